// Project files with many images: for 1,000 and 10,000 images (64×64 RGB, five classes, put in
// this browser's IndexedDB the way the page stores them), times "Save project" with "Include my
// images" ticked (from the click to the download), the file's size, and "Open project" of that
// file into an emptied browser (from choosing the file to every image back in its class). In
// headless Chromium on the CPU, each size in a fresh browser.
//
//   cd tests && node bench/project-scale.mjs            (SIZES=1000,10000 by default)
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve, launch, waitFor } from '../e2e/harness.mjs';

const DIST = resolve(process.env.AGORA_DIST || '../dist');
const SIZES = (process.env.SIZES || '1000,10000').split(',').map(Number);
const CLASSES = 5;
const testid = (id) => `[data-testid="${id}"]`;

async function total(page) {
  return page.locator('[data-testid^="class-"][data-count]').evaluateAll((els) =>
    els.reduce((sum, el) => sum + Number(el.dataset.count), 0));
}

async function measure(server, count, dir) {
  const { context } = await launch({ webgpu: false });
  const page = context.pages()[0] || await context.newPage();
  page.on('dialog', (dialog) => dialog.accept());
  try {
    await page.goto(`${server.url}#lab`);
    await page.waitForFunction(() => self.agoraStore !== undefined);
    // The images, straight into the store (adding them through the pickers is timed by
    // photos-scale.mjs): coloured noise, so the file cannot compress them away.
    // The page's first read of the (absent) store must be over: it does not create one.
    await page.waitForTimeout(1000);
    await page.evaluate(async ({ count, classes }) => {
      await self.agoraStore.saveClasses(Array.from({ length: classes }, (_, i) => ({ id: i + 1, name: `class ${i + 1}`, color: '#0877bd' })));
      let seed = 1;
      const random = () => { seed = (seed * 1664525 + 1013904223) % 4294967296; return seed / 4294967296; };
      for (let start = 0; start < count; start += 500) {
        for (let c = 0; c < classes; c++) {
          const batch = [];
          for (let i = start + c; i < Math.min(count, start + 500); i += classes) {
            const pixels = new Uint8Array(64 * 64 * 3);
            for (let p = 0; p < pixels.length; p++) pixels[p] = random() * 256;
            batch.push(pixels);
          }
          if (batch.length) await self.agoraStore.addImages(c + 1, batch);
        }
      }
    }, { count, classes: CLASSES });
    await page.reload();
    await page.locator(testid('data-photos')).click();
    await waitFor(page, `${count} images shown`, async () => (await total(page)) === count, 120_000);
    await page.locator(testid('include-images')).check();
    let started = Date.now();
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 300_000 }), page.click(testid('save-project'))]);
    const saveSeconds = (Date.now() - started) / 1000;
    const path = join(dir, `project-${count}.agora`);
    await download.saveAs(path);
    const bytes = (await stat(path)).size;
    await page.evaluate(async () => { await self.agoraStore.deleteAll(); });
    await page.reload();
    await waitFor(page, 'an empty album', async () => (await total(page)) === 0, 60_000);
    started = Date.now();
    await page.locator(testid('open-project')).setInputFiles(path);
    await waitFor(page, `${count} images back`, async () => (await total(page)) === count, 600_000, 200);
    const openSeconds = (Date.now() - started) / 1000;
    return { count, saveSeconds, openSeconds, bytes };
  } finally {
    await context.close();
  }
}

const server = await serve(DIST);
const dir = await mkdtemp(join(tmpdir(), 'agora-project-scale-'));
try {
  console.log('| images | save (click → download) | file | open (file → every image back) |');
  console.log('|---:|---:|---:|---:|');
  for (const count of SIZES) {
    const { saveSeconds, openSeconds, bytes } = await measure(server, count, dir);
    console.log(`| ${count.toLocaleString('en')} | ${saveSeconds.toFixed(1)} s | ${(bytes / 2 ** 20).toFixed(1)} MB | ${openSeconds.toFixed(1)} s |`);
  }
} finally {
  await server.close();
}
