// "Inside the network", end to end on the digits (CPU backend): train LeNet, then open every
// view and check it draws something that is not blank and that changes between two validation
// images; enlarge a map; switch the colour scale; click a confusion cell for its examples; fit a
// temperature; hover the embedding. While training, the layer view must keep answering (the
// time to show another image is printed), and the cost of following training live is printed
// as images per second with it off and on. Screenshots of each view land in artifacts/.
import { mkdir } from 'node:fs/promises';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, watch, assert, expectSoon, waitFor, ARTIFACTS } from './harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = resolve(process.env.AGORA_DIST || '../dist');
const testid = (id) => `[data-testid="${id}"]`;

/** The RGB pixels of a BMP data URL (as the page draws maps), to tell blank from not. */
function bmpPixels(src) {
  const bytes = Buffer.from(src.split(',')[1], 'base64');
  const width = bytes.readInt32LE(18);
  const height = Math.abs(bytes.readInt32LE(22));
  const row = Math.ceil((width * 3) / 4) * 4;
  const out = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width * 3; x++) out.push(bytes[54 + y * row + x]);
  return out;
}

function distinct(values) {
  return new Set(values).size;
}

async function mapSources(page, tap) {
  return page.locator(`${testid(`layer-view-${tap}`)} img`).evaluateAll((imgs) => imgs.map((i) => i.src));
}

async function epochSpeeds(page) {
  return page.locator(testid('lab-epoch-row')).evaluateAll((rows) =>
    rows.map((r) => ({ epoch: Number(r.dataset.epoch), speed: Number(r.lastElementChild.textContent) })));
}

async function run() {
  const server = await serve(DIST);
  const { context, egress } = await launch({ webgpu: false, camera: true });
  const page = context.pages()[0] || await context.newPage();
  const log = [];
  watch(page, log);
  const shots = join(ARTIFACTS, 'inside');
  await mkdir(shots, { recursive: true });
  try {
    await page.goto(`${server.url}#lab`);
    await waitFor(page, 'the digits', async () => / training and /.test(await page.locator(testid('lab-status')).textContent()), 60_000, 300);
    await page.locator(testid('lab-backend-choice')).selectOption('cpu');
    for (const [id, value] of [['lab-epochs', '6'], ['lab-batch', '128']]) {
      await page.locator(testid(id)).fill(value);
      await page.locator(testid(id)).press('Tab');
    }
    await expectSoon(page, 'batch 128 applied', async () => / of 63$/.test(await page.locator(testid('lab-progress')).textContent()), 10_000);

    // Epochs 1–3 without the live layer view, 4–6 with it: the cost of following live
    // (epoch 1 warms up, so 2–3 against 5–6).
    await page.locator(testid('inside-live')).uncheck();
    await page.locator(testid('lab-play')).click();
    await waitFor(page, 'three epochs', async () => (await epochSpeeds(page)).length >= 3, 300_000, 200);
    await page.locator(testid('inside-live')).check();
    // Responsiveness while training: another image is shown within a few seconds.
    const clicked = Date.now();
    await page.locator(testid('sample-next')).click();
    await waitFor(page, 'the next image while training', async () => /^Validation image 2 of /.test(await page.locator(testid('sample-label')).textContent()), 5_000, 20);
    const latency = Date.now() - clicked;
    await waitFor(page, 'all six epochs', async () => /done/.test(await page.locator(testid('lab-progress')).textContent()), 300_000, 500);
    const speeds = (await epochSpeeds(page)).sort((a, b) => a.epoch - b.epoch);
    const off = (speeds[1].speed + speeds[2].speed) / 2;
    const on = (speeds[4].speed + speeds[5].speed) / 2;
    const slower = ((off - on) / off) * 100;
    console.log(`[inside] images/s: epochs 2–3 (live view off) ${off.toFixed(0)}, epochs 5–6 (live view on) ${on.toFixed(0)} (${slower.toFixed(1)} % slower); next image shown ${latency} ms after the click while training`);
    // Measured 0.1–4.5 % on this 2-core VM, whose speed itself drifts by tens of percent
    // between epochs; a live view that costs a quarter of training is a regression.
    assert(slower < 25, `following training live costs under 25 % of training speed: ${slower.toFixed(1)} %`);

    // Layer by layer: every conv map is drawn, not blank, and changes with the image.
    await page.locator(testid('inside-tab-layers')).click();
    await page.locator(testid('sample-prev')).click();
    await expectSoon(page, 'image 1', async () => /^Validation image 1 of /.test(await page.locator(testid('sample-label')).textContent()), 10_000);
    const first = await mapSources(page, 1);
    assert(first.length === 6, `conv 1 shows its 6 maps: ${first.length}`);
    assert(first.some((src) => distinct(bmpPixels(src)) > 8), 'conv 1 maps are not blank');
    const input = bmpPixels(await page.locator(`${testid('layer-input')}`).getAttribute('src'));
    assert(distinct(input) > 2, 'the input image is drawn');
    const units = await page.locator(`${testid('layer-view-8')} .unit`).count();
    assert(units === 120, `Dense 120 shows its units as bars: ${units}`);
    assert(await page.locator(`${testid('output-bars')} li`).count() === 10, 'the output shows ten class probabilities');
    // Grad-CAM over the input: present, on LeNet's last conv block, and not the bare image.
    const saliency = page.locator(`${testid('saliency')}`);
    assert(await saliency.getAttribute('data-method') === 'GradCam { tap: 5 }', `Grad-CAM after conv 2 and its ReLU: ${await saliency.getAttribute('data-method')}`);
    const overlay = bmpPixels(await saliency.locator('img').getAttribute('src'));
    assert(overlay.join() !== input.join(), 'the heat map changes the picture');
    await page.screenshot({ path: join(shots, 'layers.png'), fullPage: true });
    await page.locator(testid('sample-next')).click();
    await expectSoon(page, 'image 2', async () => /^Validation image 2 of /.test(await page.locator(testid('sample-label')).textContent()), 10_000);
    await expectSoon(page, 'maps change with the image', async () => (await mapSources(page, 1)).join() !== first.join(), 10_000);
    // Per-map scale changes how the maps are drawn.
    const shared = await mapSources(page, 4);
    await page.locator(testid('shared-scale')).uncheck();
    await expectSoon(page, 'a per-map scale redraws the maps', async () => (await mapSources(page, 4)).join() !== shared.join());
    await page.locator(`${testid('layer-view-4')} img`).first().click();
    await expectSoon(page, 'a map enlarges', () => page.locator(testid('map-enlarged')).isVisible());

    // A digit drawn on the pad goes through the network too.
    await page.locator(testid('draw-pad')).scrollIntoViewIfNeeded();
    const pad = await page.locator(testid('draw-pad')).boundingBox();
    const at = (fx, fy) => [pad.x + pad.width * fx, pad.y + pad.height * fy];
    await page.mouse.move(...at(0.3, 0.2));
    await page.mouse.down();
    for (const [fx, fy] of [[0.7, 0.2], [0.45, 0.85]]) await page.mouse.move(...at(fx, fy), { steps: 8 });
    await page.mouse.up();
    const beforeDrawing = await mapSources(page, 1);
    await page.locator(testid('draw-use')).click();
    await expectSoon(page, 'the drawing is shown', async () => /^Your image · predicted \d \(\d+ %\)/.test(await page.locator(testid('sample-label')).textContent()), 10_000);
    await expectSoon(page, 'the maps follow the drawing', async () => (await mapSources(page, 1)).join() !== beforeDrawing.join(), 10_000);
    const drawn = bmpPixels(await page.locator(testid('layer-input')).getAttribute('src'));
    assert(distinct(drawn) > 2, 'the drawing reaches the input layer');
    console.log(`[inside] the drawn digit: ${await page.locator(testid('sample-label')).textContent()}`);
    await page.locator(testid('inside')).screenshot({ path: join(shots, 'drawing.png') });

    // A webcam frame (Chromium's fake camera) and a dropped photo go through it as well.
    await page.locator(testid('inspect-camera')).click();
    await expectSoon(page, 'the webcam starts', async () => (await page.locator(testid('inspect-camera')).textContent()) === 'Take a webcam frame', 20_000);
    await waitFor(page, 'webcam frames', () => page.evaluate(() => [...document.querySelectorAll('video')].some((v) => v.readyState >= 2 && v.videoWidth > 0 && v.currentTime > 0)), 10_000, 50);
    const beforeFrame = bmpPixels(await page.locator(testid('layer-input')).getAttribute('src')).join();
    await page.locator(testid('inspect-camera')).click();
    await expectSoon(page, 'the webcam frame is shown', async () => bmpPixels(await page.locator(testid('layer-input')).getAttribute('src')).join() !== beforeFrame, 10_000);
    const photo = (await import('node:fs')).readFileSync(resolve(HERE, '../fixtures/bad-images/good-photo.jpg')).toString('base64');
    const beforeDrop = bmpPixels(await page.locator(testid('layer-input')).getAttribute('src')).join();
    await page.locator(testid('sample-sources')).evaluate((element, data) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], 'photo.jpg', { type: 'image/jpeg' }));
      element.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, photo);
    await expectSoon(page, 'the dropped photo is shown', async () => bmpPixels(await page.locator(testid('layer-input')).getAttribute('src')).join() !== beforeDrop, 10_000);

    // Filters: the first conv's six 5×5 kernels as images, and the second conv's grid.
    await page.locator(testid('inside-tab-filters')).click();
    const filters = await page.locator(`${testid('filters-first')} img`).evaluateAll((imgs) => imgs.map((i) => i.src));
    assert(filters.length === 6 && filters.every((src) => distinct(bmpPixels(src)) > 2), `six non-blank first-layer filters: ${filters.length}`);
    assert(await page.locator(`${testid('filters-layer-3')} img`).count() === 16 * 6, 'conv 2: 16 filters × 6 channels');
    await page.locator(testid('inside')).screenshot({ path: join(shots, 'filters.png') });

    // Confusion: 10×10 counts that add up to the validation set, per-class accuracy, a cell's
    // examples, and the most confident mistakes.
    await page.locator(testid('inside-tab-confusion')).click();
    const counts = await page.locator(`${testid('confusion')} td.cell`).evaluateAll((cells) => cells.map((c) => Number(c.textContent)));
    const val = Number((await page.locator(testid('lab-status')).textContent()).match(/and (\d+) validation/)[1]);
    assert(counts.length === 100 && counts.reduce((a, b) => a + b, 0) === val, `the matrix counts all ${val} validation digits`);
    const accuracy = await page.locator(testid('class-accuracy-3')).textContent();
    assert(/^\d+ %$/.test(accuracy), `per-class accuracy: ${accuracy}`);
    await page.locator(testid('confusion-3-3')).click();
    const examples = await page.locator(`${testid('cell-examples')} img`).count();
    assert(examples > 0, 'a cell shows its images');
    const mistakes = Number(await page.locator(testid('worst-mistakes')).getAttribute('data-count'));
    const offDiagonal = counts.filter((_, i) => i % 11 !== 0).reduce((a, b) => a + b, 0);
    assert(mistakes === Math.min(12, offDiagonal), `the worst mistakes gallery: ${mistakes} of ${offDiagonal}`);
    await page.locator(testid('inside')).screenshot({ path: join(shots, 'confusion.png') });
    // A mistake opens in the layer view: six epochs of LeNet at batch 128 leave some (about
    // 2 % of the validation digits), so the case exists.
    assert(offDiagonal > 0 && mistakes > 0, `there are mistakes to open: ${offDiagonal}`);
    await page.locator(`${testid('worst-mistakes')} figure`).first().click();
    const opened = await waitFor(page, 'the layer view to open on the mistake', async () => {
      if ((await page.locator(testid('sample-label')).count()) !== 1) return null;
      return (await page.locator(testid('sample-label')).textContent()).match(/true class (\S+) · predicted (\S+)/);
    }, 10_000, 100);
    assert(opened[1] !== opened[2], `the opened image is a mistake: ${opened[0]}`);
    console.log(`[inside] a mistake opens in the layer view: ${opened[0]}`);

    // Confidence: reliability bars, ECE, temperature scaling, the "not sure" split.
    await page.locator(testid('inside-tab-calibration')).click();
    assert(await page.locator(`${testid('reliability')} rect.bin`).count() > 2, 'reliability bars are drawn');
    const ece = await page.locator(testid('ece')).textContent();
    assert(/^Expected calibration error: \d+\.\d %$/.test(ece), `ECE shown: ${ece}`);
    await page.locator(testid('fit-temperature')).click();
    await expectSoon(page, 'a fitted temperature', async () => /T = \d+\.\d\d; \d+\.\d % before/.test(await page.locator(testid('ece')).textContent()));
    const split = await page.locator(testid('sure-split')).textContent();
    assert(/^\d+ sure \(\d+ % right\) · \d+ not sure \((\d+ %|—) right\)$/.test(split), `sure / not sure: ${split}`);
    await page.locator(testid('inside')).screenshot({ path: join(shots, 'calibration.png') });

    // Embedding: one point per validation digit; hovering shows the digit.
    await page.locator(testid('inside-tab-embedding')).click();
    const points = Number(await page.locator(testid('embedding')).getAttribute('data-points'));
    assert(points === val && await page.locator(`${testid('embedding')} circle`).count() === val, `one point per validation image: ${points}`);
    const circle = await page.locator(`${testid('embedding')} circle`).nth(17).boundingBox();
    await page.mouse.move(circle.x + circle.width / 2, circle.y + circle.height / 2);
    await expectSoon(page, 'hovering shows an image', () => page.locator(`${testid('embedding-hover')} img`).isVisible());
    await page.locator(testid('inside')).screenshot({ path: join(shots, 'embedding.png') });

    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    const panics = log.filter((line) => /panicked|RuntimeError|unreachable/.test(line));
    assert(panics.length === 0, `no panic: ${panics.join('\n')}`);
    console.log('[inside] PASS');
  } catch (error) {
    await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    console.error(`[inside] FAIL: ${error.message}\n${log.slice(-30).join('\n')}`);
    throw error;
  } finally {
    await context.close();
    await server.close();
  }
}

run().then(() => process.exit(0), () => process.exit(1));
