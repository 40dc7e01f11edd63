// A person's own images, end to end, in headless Chromium with a fake webcam:
// two classes of synthetic photos (red discs, blue squares) written as PNG files, added by the
// file picker and by a drop; the bad-file corpus dropped on a third class (every refusal
// checked by file name and reason, every good file added); webcam frames by click and by
// holding; training on the CPU backend; "Try it" on held-out images of each class; a reload
// that keeps everything; the project saved with its images; "Delete all my data" that empties
// the storage; the saved file opened, bringing back the images, classes and trained model.
// Throughout: no request
// leaves 127.0.0.1, the page sends no request body, and the Content-Security-Policy blocks a
// request to another host. Exits non-zero on the first failure.
import { mkdir, mkdtemp, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, watch, assert, expectSoon, waitFor, png, ARTIFACTS } from './harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = resolve(process.env.AGORA_DIST || '../dist');
const CORPUS = resolve(HERE, '../fixtures/bad-images');
const PER_CLASS = 40;
const testid = (id) => `[data-testid="${id}"]`;

/** A seeded photo: a red disc (`disc`) or a blue square on a light, noisy background. */
function photo(kind, seed) {
  let state = seed * 2654435761 % 4294967296;
  const random = () => { state = (state * 1664525 + 1013904223) % 4294967296; return state / 4294967296; };
  const size = 96;
  const radius = 16 + random() * 18;
  const cx = radius + random() * (size - 2 * radius);
  const cy = radius + random() * (size - 2 * radius);
  const rgb = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      const inside = kind === 'disc' ? dx * dx + dy * dy <= radius * radius : Math.abs(dx) <= radius && Math.abs(dy) <= radius;
      const colour = !inside ? [235, 235, 230] : kind === 'disc' ? [210, 40, 40] : [40, 60, 210];
      for (let c = 0; c < 3; c++) {
        rgb[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, colour[c] + (random() - 0.5) * 40));
      }
    }
  }
  return png(size, size, rgb);
}

async function writePhotos(dir, kind, count, firstSeed) {
  const paths = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `${kind}-${String(i).padStart(3, '0')}.png`);
    await writeFile(path, photo(kind, firstSeed + i));
    paths.push(path);
  }
  return paths;
}

/** Drops files on a class card as a person dragging them from the file manager would. */
async function dropFiles(page, target, paths) {
  const { readFile } = await import('node:fs/promises');
  const files = await Promise.all(paths.map(async (path) => ({
    name: path.split('/').pop(),
    data: (await readFile(path)).toString('base64'),
  })));
  await page.locator(target).evaluate((element, files) => {
    const transfer = new DataTransfer();
    for (const file of files) {
      const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], file.name, { type: file.name.endsWith('.png') ? 'image/png' : '' }));
    }
    element.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    element.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
}

async function count(page, id) {
  const text = await page.locator(testid(`class-${id}`)).getAttribute('data-count');
  return Number(text);
}

async function notices(page) {
  return page.locator(`${testid('photo-notices')} li`).evaluateAll((items) =>
    items.map((li) => ({ level: li.dataset.level, text: li.textContent })));
}

async function storedImages(page) {
  return page.evaluate(async () => {
    const all = await self.agoraStore.loadAll([1, 2, 3, 4, 5, 6, 7, 8]);
    return all.classes.length;
  });
}

async function run() {
  const server = await serve(DIST);
  const { context, egress } = await launch({ webgpu: false, camera: true });
  const page = context.pages()[0] || await context.newPage();
  const log = [];
  watch(page, log);
  const dir = await mkdtemp(join(tmpdir(), 'agora-photos-'));
  await mkdir(ARTIFACTS, { recursive: true });
  const started = Date.now();
  try {
    await page.goto(`${server.url}#lab`);
    await page.locator(testid('data-photos')).click();
    await expectSoon(page, 'two starting classes', async () => await page.locator('[data-testid^="class-name-"]').count() === 2, 10_000);
    assert((await page.locator(testid('lab-play')).isDisabled()), 'Train is disabled while the classes are empty');
    await page.locator(testid('class-name-1')).fill('Discs');
    await page.locator(testid('class-name-1')).press('Tab');
    await page.locator(testid('class-name-2')).fill('Squares');
    await page.locator(testid('class-name-2')).press('Tab');

    // The Content-Security-Policy: a request to another host is refused by the page itself.
    const csp = await page.evaluate(async () => {
      const violations = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.blockedURI));
      const outcome = await fetch('https://example.com/collect', { method: 'POST', body: 'x' }).then(() => 'sent', () => 'blocked');
      await new Promise((ok) => setTimeout(ok, 100));
      return { outcome, violations, meta: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content };
    });
    assert(csp.outcome === 'blocked', `a fetch to another host is blocked: ${csp.outcome}`);
    assert(csp.violations.some((v) => v.startsWith('https://example.com')), `the CSP reported it: ${JSON.stringify(csp.violations)}`);
    assert(/default-src 'none'/.test(csp.meta) && /connect-src 'self'/.test(csp.meta), `strict CSP present: ${csp.meta}`);

    // Class 1 by the file picker, class 2 by a drop.
    const discs = await writePhotos(dir, 'disc', PER_CLASS, 1);
    const squares = await writePhotos(dir, 'square', PER_CLASS, 1001);
    await page.locator(testid('class-files-1')).setInputFiles(discs);
    await waitFor(page, 'the discs to be added', async () => await count(page, 1) === PER_CLASS, 60_000, 200);
    await dropFiles(page, testid('class-2'), squares);
    await waitFor(page, 'the dropped squares to be added', async () => await count(page, 2) === PER_CLASS, 60_000, 200);
    const thumbs = await page.locator(`${testid('class-1')} img.thumb`).count();
    assert(thumbs === 24, `the newest 24 thumbnails show: ${thumbs}`);
    assert((await page.locator(`${testid('class-1')} .more`).textContent()) === '+16', 'and how many more there are');

    // The bad-file corpus, dropped on a third class with the good files among them.
    await page.locator(testid('class-add')).click();
    await expectSoon(page, 'a third class', async () => await page.locator(testid('class-3')).count() === 1);
    const corpus = (await readdir(CORPUS)).sort().map((name) => join(CORPUS, name));
    await page.locator(testid('photo-dismiss')).click();
    await dropFiles(page, testid('class-3'), corpus);
    await waitFor(page, 'the corpus to be processed', async () => (await notices(page)).some((n) => n.text.startsWith('Added ')), 60_000, 200);
    const seen = await notices(page);
    const expected = {
      'empty.jpg': 'the file is empty (0 bytes)',
      'notes.jpg': 'this is a text file, not an image',
      'truncated.png': 'the PNG file is cut off (truncated)',
      'corrupt.png': 'the PNG file is damaged: the checksum of its IDAT block does not match',
      'truncated.jpg': 'the JPEG file is cut off (truncated)',
      'corrupt.jpg': 'the JPEG file is damaged: the browser could not decode it',
      'huge-20000x20000.png': 'the image is 20000×20000 pixels (400 megapixels)',
      'drawing.svg': 'SVG drawings are not supported',
      'photo.heic': 'HEIC/HEIF photos (the iPhone\'s default) cannot be decoded by this browser',
    };
    for (const [file, reason] of Object.entries(expected)) {
      const notice = seen.find((n) => n.level === 'refused' && n.text.startsWith(`${file}: `));
      assert(notice, `${file} is refused by name: ${JSON.stringify(seen)}`);
      assert(notice.text.includes(reason), `${file}: "${notice.text}" says "${reason}"`);
    }
    for (const [file, note] of Object.entries({
      'cmyk.jpg': 'CMYK colours were converted to RGB',
      'deep-16bit.png': '16-bit colour was reduced to 8-bit',
      'animated.gif': 'animated GIF (3 frames): the first is used',
    })) {
      assert(seen.some((n) => n.level === 'note' && n.text === `${file}: ${note}.`), `${file} is added with a note: ${JSON.stringify(seen)}`);
    }
    const good = corpus.length - Object.keys(expected).length;
    assert(await count(page, 3) === good, `all ${good} readable files were added: ${await count(page, 3)}`);
    assert(seen.some((n) => n.text === `Added ${good} images to “Class 3”; ${Object.keys(expected).length} files could not be used (see above).`), `summary: ${JSON.stringify(seen)}`);
    assert(await count(page, 1) === PER_CLASS && await count(page, 2) === PER_CLASS, 'nothing stored before was lost');
    await page.screenshot({ path: join(ARTIFACTS, 'photos-corpus.png'), fullPage: true });

    // A folder (with a subfolder) by "Add a folder…", and an image pasted into the selected class.
    const folder = join(dir, 'folder');
    await mkdir(join(folder, 'inner'), { recursive: true });
    await writeFile(join(folder, 'a.png'), photo('disc', 7001));
    await writeFile(join(folder, 'inner', 'b.png'), photo('disc', 7002));
    const beforeFolder = await count(page, 3);
    await page.locator(testid('class-folder-3')).setInputFiles(folder);
    await waitFor(page, 'the folder\'s two images', async () => await count(page, 3) === beforeFolder + 2, 20_000, 100);
    await page.locator(`${testid('class-3')} .class-split`).click();
    await page.evaluate(async (data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }));
      window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    }, photo('square', 7003).toString('base64'));
    await waitFor(page, 'the pasted image', async () => await count(page, 3) === beforeFolder + 3, 20_000, 100);

    // The webcam (Chromium's fake device): a click takes one frame, holding takes a burst.
    await page.locator(testid('camera-toggle')).click();
    await waitFor(page, 'the webcam to play', () => page.locator(testid('camera-view')).evaluate((v) => v.videoWidth > 0), 20_000, 200);
    const before = await count(page, 3);
    await page.locator(testid('class-record-3')).click();
    await waitFor(page, 'one webcam frame', async () => await count(page, 3) === before + 1, 10_000, 100);
    const button = await page.locator(testid('class-record-3')).boundingBox();
    await page.mouse.move(button.x + button.width / 2, button.y + button.height / 2);
    await page.mouse.down();
    await page.waitForTimeout(1_000);
    await page.mouse.up();
    await waitFor(page, 'a burst of frames', async () => await count(page, 3) >= before + 6, 10_000, 100);
    const burst = await count(page, 3) - before - 1;
    assert(burst >= 5 && burst <= 15, `holding for 1 s records about 10 frames: ${burst}`);

    // The third class goes, with its images.
    await page.locator(testid('class-delete-3')).click();
    await expectSoon(page, 'class 3 is gone', async () => await page.locator(testid('class-3')).count() === 0);
    await waitFor(page, 'storage to hold only the two classes', async () => await storedImages(page) === 2 * PER_CLASS, 10_000, 200);

    // Train on the CPU backend.
    await page.locator(testid('lab-backend-choice')).selectOption('cpu');
    await page.locator(testid('augment-flip')).check();
    await page.locator(testid('lab-epochs')).fill('15');
    await page.locator(testid('lab-epochs')).press('Tab');
    await page.locator(testid('lab-batch')).fill('16');
    await page.locator(testid('lab-batch')).press('Tab');
    await expectSoon(page, 'Train is enabled with two filled classes', async () => !(await page.locator(testid('lab-play')).isDisabled()), 10_000);
    await page.locator(testid('lab-play')).click();
    await waitFor(page, 'training to finish', async () => {
      if (await page.locator(testid('lab-failure')).count()) throw new Error(await page.locator(testid('lab-failure')).textContent());
      return /done/.test(await page.locator(testid('lab-progress')).textContent());
    }, 300_000, 500);
    const status = await page.locator(testid('lab-status')).textContent();
    assert(status === '64 training and 16 validation images', `the split: ${status}`);
    const backend = await page.locator(testid('lab-backend')).getAttribute('data-backend');
    assert(backend === 'Cpu', `trained on the CPU backend: ${backend}`);
    const epochs = await page.locator(testid('lab-epoch-row')).evaluateAll((els) =>
      els.map((el) => ({ epoch: Number(el.dataset.epoch), accuracy: Number(el.dataset.valAccuracy) })));
    const last = epochs.reduce((a, b) => (b.epoch > a.epoch ? b : a));
    const accuracy = last.accuracy;
    assert(epochs.length === 15 && last.epoch === 15 && accuracy >= 0.95, `validation accuracy ≥ 95 % after 15 epochs: ${JSON.stringify(epochs)}`);

    // Try it on held-out photos of each class.
    const heldDisc = join(dir, 'held-disc.png');
    const heldSquare = join(dir, 'held-square.png');
    await writeFile(heldDisc, photo('disc', 5000));
    await writeFile(heldSquare, photo('square', 6000));
    for (const [path, name, how] of [[heldDisc, 'Discs', 'picker'], [heldSquare, 'Squares', 'drop']]) {
      if (how === 'picker') await page.locator(testid('try-file')).setInputFiles(path);
      else await dropFiles(page, testid('try-it'), [path]);
      await waitFor(page, `a prediction for ${name}`, async () => (await page.locator(testid('try-verdict')).getAttribute('data-class').catch(() => null)) === name, 20_000, 200);
      const verdict = await page.locator(testid('try-verdict')).textContent();
      assert(!verdict.startsWith('Not sure'), `a confident ${name}: ${verdict}`);
    }
    // Live webcam predictions arrive and show every class.
    await page.locator(testid('try-live')).click();
    await waitFor(page, 'a live prediction', async () => await page.locator(`${testid('try-probabilities')} li`).count() === 2, 10_000, 200);
    await page.locator(testid('try-live')).click();
    await page.screenshot({ path: join(ARTIFACTS, 'photos-trained.png'), fullPage: true });

    // A reload keeps the classes, names, counts and the data choice.
    await page.reload();
    await waitFor(page, 'the project after a reload', async () => (await page.locator(testid('class-name-1')).count()) === 1, 20_000, 200);
    await expectSoon(page, 'the counts after a reload', async () => await count(page, 1) === PER_CLASS && await count(page, 2) === PER_CLASS, 10_000);
    assert(await page.locator(testid('class-name-1')).inputValue() === 'Discs', 'names are kept');
    assert(await page.locator(testid('class-name-2')).inputValue() === 'Squares', 'names are kept');
    const usage = await page.locator(testid('storage-usage')).textContent();
    assert(usage.startsWith(`${2 * PER_CLASS} images stored. This site uses`), `storage shown: ${usage}`);

    // The trained model came back with the reload (without pressing Train).
    await waitFor(page, 'the trained run back after the reload', async () => (await page.locator(testid('lab-epoch-row')).count()) === 15, 60_000, 200);
    // Save the project with the images in it (to carry them to another browser).
    await page.locator(testid('include-images')).check();
    const [saved] = await Promise.all([page.waitForEvent('download'), page.click(testid('save-project'))]);
    const projectPath = join(dir, saved.suggestedFilename());
    await saved.saveAs(projectPath);
    await expectSoon(page, 'saving says the images are in it', async () =>
      (await page.locator(testid('project-notice')).textContent()).includes(`With your ${2 * PER_CLASS} images in 2 classes`), 20_000);

    // Delete all my data.
    await page.locator(testid('delete-all')).click();
    await page.locator(testid('delete-all-confirm')).click();
    await expectSoon(page, 'no classes left', async () => await page.locator('[data-testid^="class-name-"]').count() === 0, 10_000);
    const databases = async () => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    assert(!(await databases()).includes('agora-photos'), `the database is gone: ${await databases()}`);
    await page.reload();
    await waitFor(page, 'the page after deleting', async () => (await page.locator('[data-testid^="class-name-"]').count()) === 2, 20_000, 200);
    assert(await count(page, 1) === 0 && await count(page, 2) === 0, 'after a reload, only empty starting classes');
    assert(!(await databases()).includes('agora-photos'), `opening the page creates no storage: ${await databases()}`);

    // Open the saved file: the images, their classes, the trained model and its epochs are back,
    // and "Try it" answers at once, without training again.
    page.once('dialog', (dialog) => dialog.accept());
    await page.locator(testid('open-project')).setInputFiles(projectPath);
    await waitFor(page, 'the images back from the file', async () =>
      (await page.locator(testid('class-name-1')).count()) === 1 && await count(page, 1) === PER_CLASS && await count(page, 2) === PER_CLASS, 30_000, 200);
    assert(await page.locator(testid('class-name-1')).inputValue() === 'Discs' && await page.locator(testid('class-name-2')).inputValue() === 'Squares', 'the class names from the file');
    await waitFor(page, 'the trained epochs back', async () => (await page.locator(testid('lab-epoch-row')).count()) === 15, 60_000, 200);
    const reopened = await page.locator(testid('lab-epoch-row')).evaluateAll((els) =>
      els.map((el) => ({ epoch: Number(el.dataset.epoch), accuracy: Number(el.dataset.valAccuracy) })));
    assert(reopened.find((row) => row.epoch === 15).accuracy === accuracy, `the same run: ${JSON.stringify(reopened)}`);
    await page.locator(testid('try-file')).setInputFiles(heldDisc);
    await waitFor(page, 'the restored model answers', async () => (await page.locator(testid('try-verdict')).getAttribute('data-class').catch(() => null)) === 'Discs', 60_000, 200);
    await page.screenshot({ path: join(ARTIFACTS, 'photos-reopened.png'), fullPage: true });

    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    const bodies = server.requests.filter((r) => r.method !== 'GET' || r.length > 0);
    assert(bodies.length === 0, `the page only fetched its own files: ${JSON.stringify(bodies)}`);
    const panics = log.filter((line) => /panicked|RuntimeError|unreachable/.test(line));
    assert(panics.length === 0, `no panic: ${panics.join('\n')}`);
    console.log(`photos: PASS in ${((Date.now() - started) / 1000).toFixed(0)} s (accuracy ${accuracy})`);
  } catch (error) {
    await page.screenshot({ path: join(ARTIFACTS, 'photos-failure.png'), fullPage: true }).catch(() => {});
    console.error(`photos: FAIL: ${error.message}\n${log.slice(-30).join('\n')}`);
    throw error;
  } finally {
    await context.close();
    await server.close();
  }
}

/** A full quota: the images that fit are kept, the rest are reported, nothing is lost.
 * Headless Chromium here ignores CDP's Storage.overrideQuotaForOrigin (the estimate stays at
 * 10.7 GB), so the quota is made to run out the way the browser does it: once 40 more images
 * are stored, the next IndexedDB transaction aborts with a QuotaExceededError. */
async function quota() {
  const server = await serve(DIST);
  const { context, egress } = await launch({ webgpu: false });
  const page = context.pages()[0] || await context.newPage();
  const log = [];
  watch(page, log);
  const dir = await mkdtemp(join(tmpdir(), 'agora-quota-'));
  try {
    await page.goto(`${server.url}#lab`);
    await page.locator(testid('data-photos')).click();
    await expectSoon(page, 'two starting classes', async () => await page.locator('[data-testid^="class-name-"]').count() === 2, 10_000);
    await page.locator(testid('class-files-1')).setInputFiles(await writePhotos(dir, 'disc', 10, 1));
    await waitFor(page, 'ten images', async () => await count(page, 1) === 10, 30_000, 200);
    await page.evaluate(() => {
      let budget = 40;
      const add = IDBObjectStore.prototype.add;
      IDBObjectStore.prototype.add = function (...args) {
        budget -= 1;
        const tx = this.transaction;
        if (budget < 0 && !tx.quotaHit) {
          tx.quotaHit = true;
          Object.defineProperty(tx, 'error', { value: new DOMException('Quota exceeded.', 'QuotaExceededError') });
          queueMicrotask(() => tx.abort());
        }
        return add.apply(this, args);
      };
    });
    await page.locator(testid('class-files-2')).setInputFiles(await writePhotos(dir, 'square', 100, 1001));
    await waitFor(page, 'the storage-full message', async () => (await notices(page)).some((n) => n.text.startsWith("This site's storage is full")), 60_000, 200);
    await waitFor(page, 'adding to end', async () => (await notices(page)).some((n) => n.text.startsWith('Added ')), 30_000, 200);
    const stored = await count(page, 2);
    assert(stored === 32, `the first batch of 32 fitted, the second did not: ${stored}`);
    const full = (await notices(page)).find((n) => n.text.startsWith("This site's storage is full"));
    assert(full.text.startsWith("This site's storage is full: 68 images could not be saved. Everything saved before is safe."), `a clear message with the count: ${full.text}`);
    assert((await notices(page)).filter((n) => n.text.startsWith("This site's storage is full")).length === 1, 'said once');
    assert(await count(page, 1) === 10, 'the earlier images are untouched');
    await page.reload();
    await waitFor(page, 'the project after a reload', async () => (await page.locator(testid('class-name-2')).count()) === 1, 20_000, 200);
    await expectSoon(page, 'what was shown as stored is stored', async () => await count(page, 1) === 10 && await count(page, 2) === stored, 10_000);
    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    console.log(`photos quota: PASS (${stored} of 100 fitted; the message: "${full.text}")`);
  } catch (error) {
    await page.screenshot({ path: join(ARTIFACTS, 'photos-quota-failure.png'), fullPage: true }).catch(() => {});
    console.error(`photos quota: FAIL: ${error.message}\n${log.slice(-30).join('\n')}`);
    throw error;
  } finally {
    await context.close();
    await server.close();
  }
}

run().then(quota).then(() => process.exit(0), () => process.exit(1));
