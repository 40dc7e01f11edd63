// Scale benchmark for "your own images": writes 10,000 PNG photos (64×64, five classes of
// coloured shapes), adds them through the class file pickers (2,000 per class) in headless
// Chromium, then trains one epoch on them at 64×64 colour on the CPU backend. Prints the time
// to add them, the rate, the tab's memory (resident memory of the page's renderer and its
// training worker, from /proc) after adding and after training, and the storage used.
//
//   cd tests && node bench/photos-scale.mjs            (COUNT=10000 by default)
import { mkdtemp, writeFile, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve, launch, waitFor, png } from '../e2e/harness.mjs';

const DIST = resolve(process.env.AGORA_DIST || '../dist');
const COUNT = Number(process.env.COUNT || 10_000);
const CLASSES = 5;
const SIDE = 64;
const testid = (id) => `[data-testid="${id}"]`;

const COLOURS = [[210, 40, 40], [40, 60, 210], [30, 160, 60], [220, 170, 20], [140, 50, 170]];

function photo(label, seed) {
  let state = (seed * 2654435761) % 4294967296;
  const random = () => { state = (state * 1664525 + 1013904223) % 4294967296; return state / 4294967296; };
  const rgb = new Uint8Array(SIDE * SIDE * 3);
  const r = 10 + random() * 16, cx = r + random() * (SIDE - 2 * r), cy = r + random() * (SIDE - 2 * r);
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
    const inside = (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
    const colour = inside ? COLOURS[label] : [235, 235, 230];
    for (let c = 0; c < 3; c++) rgb[(y * SIDE + x) * 3 + c] = Math.max(0, Math.min(255, colour[c] + (random() - 0.5) * 50));
  }
  return png(SIDE, SIDE, rgb);
}

/** Resident memory (MiB) of Chromium's renderer processes: the page and its training worker
 * (a dedicated worker runs in its page's renderer). Run the benchmark with no other Chromium. */
async function rendererMiB() {
  let kib = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      // Chromium rewrites its processes' titles, so the arguments may be one string.
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'latin1');
      if (!cmd.includes('--type=renderer')) continue;
      const status = await readFile(`/proc/${pid}/status`, 'latin1');
      kib += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] || 0);
    } catch { /* the process ended */ }
  }
  return kib / 1024;
}

const dir = await mkdtemp(join(tmpdir(), 'agora-scale-'));
const t0 = Date.now();
const byClass = Array.from({ length: CLASSES }, () => []);
for (let i = 0; i < COUNT; i++) {
  const path = join(dir, `p${i}.png`);
  await writeFile(path, photo(i % CLASSES, i + 1));
  byClass[i % CLASSES].push(path);
}
console.log(`wrote ${COUNT} PNG files (${SIDE}×${SIDE}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const server = await serve(DIST);
const { context } = await launch({ webgpu: false });
const page = context.pages()[0] || await context.newPage();
const crashes = [];
page.on('crash', () => crashes.push('page crashed'));
page.on('pageerror', (e) => crashes.push(e.message));
try {
  await page.goto(`${server.url}#lab`);
  await page.locator(testid('data-photos')).click();
  await waitFor(page, 'the starting classes', async () => await page.locator('[data-testid^="class-name-"]').count() === 2, 20_000, 200);
  for (let c = 3; c <= CLASSES; c++) await page.locator(testid('class-add')).click();
  await waitFor(page, 'five classes', async () => await page.locator('[data-testid^="class-name-"]').count() === CLASSES, 10_000, 100);
  const memBefore = await rendererMiB();
  const start = Date.now();
  for (let c = 0; c < CLASSES; c++) {
    await page.locator(testid(`class-files-${c + 1}`)).setInputFiles(byClass[c]);
    await waitFor(page, `class ${c + 1} to fill`, async () =>
      Number(await page.locator(testid(`class-${c + 1}`)).getAttribute('data-count')) === byClass[c].length, 1_200_000, 500);
    console.log(`  class ${c + 1}: ${byClass[c].length} images, ${((Date.now() - start) / 1000).toFixed(1)} s so far`);
  }
  const addSeconds = (Date.now() - start) / 1000;
  const memAdded = await rendererMiB();
  const usage = await page.locator(testid('storage-usage')).textContent();
  console.log(`added ${COUNT} images in ${addSeconds.toFixed(1)} s (${(COUNT / addSeconds).toFixed(0)} images/s)`);
  console.log(`tab memory (renderer RSS): ${memBefore.toFixed(0)} MiB before, ${memAdded.toFixed(0)} MiB after adding`);
  console.log(`storage: ${usage}`);

  await page.locator(testid('photo-size')).selectOption('64-rgb');
  await page.locator(testid('lab-backend-choice')).selectOption('cpu');
  await page.locator(testid('lab-epochs')).fill('1');
  await page.locator(testid('lab-epochs')).press('Tab');
  await page.locator(testid('lab-batch')).fill('64');
  await page.locator(testid('lab-batch')).press('Tab');
  await page.waitForTimeout(500);
  const trainStart = Date.now();
  await page.locator(testid('lab-play')).click();
  await waitFor(page, 'the images to load in the worker', async () => / training and /.test(await page.locator(testid('lab-status')).textContent()), 300_000, 500);
  const loadSeconds = (Date.now() - trainStart) / 1000;
  const memLoaded = await rendererMiB();
  await waitFor(page, 'one epoch', async () => {
    if (await page.locator(testid('lab-failure')).count()) throw new Error(await page.locator(testid('lab-failure')).textContent());
    return /done/.test(await page.locator(testid('lab-progress')).textContent());
  }, 1_800_000, 2_000);
  const row = await page.locator(testid('lab-epoch-row')).first().evaluate((el) => ({ accuracy: Number(el.dataset.valAccuracy), text: el.textContent }));
  const memTrained = await rendererMiB();
  console.log(`worker loaded and resampled them in ${loadSeconds.toFixed(1)} s (${await page.locator(testid('lab-status')).textContent()})`);
  console.log(`one epoch at 64×64×3 (LeNet, CPU backend, batch 64): validation accuracy ${(row.accuracy * 100).toFixed(1)} %, ${((Date.now() - trainStart) / 1000).toFixed(0)} s in all`);
  console.log(`tab memory (renderer RSS): ${memLoaded.toFixed(0)} MiB with the images in the worker, ${memTrained.toFixed(0)} MiB after the epoch`);
  if (crashes.length) throw new Error(crashes.join('; '));
  console.log('photos-scale: PASS (no crash)');
} catch (error) {
  console.error(`photos-scale: FAIL: ${error.message}`);
  process.exitCode = 1;
} finally {
  await context.close();
  await server.close();
}
