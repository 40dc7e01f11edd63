// Speed of the pretrained path in headless Chromium on the CPU backend (wasm): photos embedded
// per second as they are added, the head's training time on them, and "try it" predictions per
// second (a file through the backbone and the head), and live webcam frames answered per second.
// Crops of scikit-image's cat and coffee photos (scripts/pretrained/crops.py) at each input size.
//
//   ~/.cache/agora/py/bin/python scripts/pretrained/crops.py ~/.cache/agora/wheels/scikit_image-*.whl /tmp/crops300 150 10
//   cd tests && AGORA_CROPS=/tmp/crops300 node bench/pretrained-speed.mjs      (SIDES=160,128,224)
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { serve, launch, waitFor } from '../e2e/harness.mjs';

const DIST = resolve(process.env.AGORA_DIST || '../dist');
const CROPS = process.env.AGORA_CROPS;
const SIDES = (process.env.SIDES || '160,128,224').split(',').map(Number);
const testid = (id) => `[data-testid="${id}"]`;

async function files(photo, kind) {
  const folder = join(CROPS, photo);
  return (await readdir(folder)).filter((n) => n.startsWith(kind)).sort().map((n) => join(folder, n));
}

async function one(server, side) {
  const { context } = await launch({ webgpu: false, camera: true });
  const page = context.pages()[0] || await context.newPage();
  try {
    await page.goto(`${server.url}#lab`);
    await page.locator(testid('data-photos')).click();
    await waitFor(page, 'classes', async () => await page.locator('[data-testid^="class-name-"]').count() === 2, 10_000, 100);
    await page.locator(testid('model-pretrained')).click();
    await page.locator(testid('photo-size')).selectOption(`${side}-rgb`);
    const cats = await files('chelsea', 'train');
    const cups = await files('coffee', 'train');
    // The download first (one image), so the rate below is decoding and features alone.
    await page.locator(testid('class-files-1')).setInputFiles(cats.slice(0, 1));
    await waitFor(page, 'the first image seen', async () => /1 computed now/.test(await page.locator(testid('features-status')).textContent().catch(() => '')), 60_000, 100);
    const start = Date.now();
    await page.locator(testid('class-files-1')).setInputFiles(cats.slice(1));
    await waitFor(page, 'the cats', async () => Number(await page.locator(testid('class-1')).getAttribute('data-count')) === cats.length, 300_000, 100);
    await page.locator(testid('class-files-2')).setInputFiles(cups);
    await waitFor(page, 'the cups', async () => Number(await page.locator(testid('class-2')).getAttribute('data-count')) === cups.length, 300_000, 100);
    const total = cats.length + cups.length;
    // Features arrive after the images are stored: wait until training finds them all kept.
    await page.locator(testid('lab-backend-choice')).selectOption('cpu');
    await page.locator(testid('lab-epochs')).fill('20');
    await page.locator(testid('lab-epochs')).press('Tab');
    await page.waitForTimeout(200);
    await page.locator(testid('lab-play')).click();
    await waitFor(page, 'the kept features', async () => new RegExp(`Features of ${total} images ready: 0 computed now`).test(await page.locator(testid('features-status')).textContent()), 300_000, 100);
    const added = (Date.now() - start) / 1000;
    const trainStart = Date.now();
    await waitFor(page, 'the head to train', async () => /done/.test(await page.locator(testid('lab-progress')).textContent()), 300_000, 100);
    const trained = (Date.now() - trainStart) / 1000;
    const held = [...await files('chelsea', 'held'), ...await files('coffee', 'held')];
    const predictStart = Date.now();
    let last = '';
    for (const path of held) {
      await page.locator(testid('try-file')).setInputFiles(path);
      await waitFor(page, 'a new prediction', async () => {
        const now = await page.locator(`${testid('seen-top5')}`).textContent().catch(() => '');
        return now && now !== last && await page.locator(testid('try-verdict')).count() === 1 ? (last = now) : false;
      }, 20_000, 20);
    }
    const perSecond = held.length / ((Date.now() - predictStart) / 1000);
    // The live webcam (Chromium's fake camera): answers counted over five seconds.
    await page.locator(testid('camera-toggle')).click();
    await waitFor(page, 'the webcam', () => page.locator(testid('camera-view')).evaluate((v) => v.videoWidth > 0), 20_000, 100);
    await page.locator(testid('try-live')).click();
    await page.waitForTimeout(1000);
    const frames = await page.evaluate(() => new Promise((done) => {
      let n = 0;
      let last = '';
      const started = performance.now();
      const tick = () => {
        // A new frame is shown as it is sent, and one is sent only once the last is answered.
        const img = document.querySelector('.try-sample')?.getAttribute('src') || '';
        if (img !== last) { n += 1; last = img; }
        if (performance.now() - started < 5000) requestAnimationFrame(tick); else done(n / 5);
      };
      tick();
    }));
    await page.locator(testid('try-live')).click();
    console.log(`| ${side}² | ${total - 1} | ${((total - 1) / added).toFixed(1)} images/s | ${trained.toFixed(1)} s | ${perSecond.toFixed(1)} /s | ${frames.toFixed(1)} /s |`);
    if (frames === 0) throw new Error('the live webcam gave no answer');
  } finally {
    await context.close();
  }
}

async function run() {
  if (!CROPS) throw new Error('AGORA_CROPS must name the folder scripts/pretrained/crops.py wrote');
  const server = await serve(DIST);
  console.log('| input | images added | decoded + features | head, 20 epochs | try-it predictions (file → backbone → head → shown) | live webcam frames answered |');
  console.log('|---|---:|---:|---:|---:|---:|');
  try {
    for (const side of SIDES) await one(server, side);
  } finally {
    await server.close();
  }
}

run().catch((error) => {
  console.error(error);
  process.exit(1);
});
