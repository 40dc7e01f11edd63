// The pretrained network, end to end in headless Chromium on the CPU backend: "Your own
// images" → "Pretrained (few photos)"; two classes of real photos (crops of scikit-image's cat
// and coffee cup, made by scripts/pretrained/crops.py into $AGORA_CROPS), ten each; the
// weights' download shown with its progress as the first photos are added, each photo's
// features computed as it is added (from the decoded file at 160×160) and kept; training the
// head in under 30 s; held-out crops classified as their class; "What does the pretrained
// network see?" naming a cat and a cup among ImageNet's top five; every block's maps and
// Grad-CAM on the last one; confusion and the embedding of the validation crops; a reload
// reading the weights from this browser's cache (the server sees one request for them in all);
// no request leaving 127.0.0.1. Exits non-zero on failure.
import { readdir, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serve, launch, watch, assert, expectSoon, waitFor, ARTIFACTS } from './harness.mjs';

const DIST = resolve(process.env.AGORA_DIST || '../dist');
const CROPS = process.env.AGORA_CROPS;
const MODEL = '/models/efficientnet-lite0.safetensors';
const testid = (id) => `[data-testid="${id}"]`;
const CAT = ['tabby', 'tiger cat', 'Egyptian cat', 'Persian cat', 'Siamese cat', 'lynx', 'tiger', 'cougar'];
const CUP = ['espresso', 'cup', 'coffee mug', 'saucer', 'eggnog', 'soup bowl', 'mixing bowl', 'teapot', 'coffeepot'];

async function crops(photo, kind) {
  const folder = join(CROPS, photo);
  return (await readdir(folder)).filter((n) => n.startsWith(kind)).sort().map((n) => join(folder, n));
}

async function count(page, id) {
  return Number(await page.locator(testid(`class-${id}`)).getAttribute('data-count'));
}

async function run() {
  if (!CROPS || !existsSync(join(CROPS, 'chelsea')) || !existsSync(join(CROPS, 'coffee'))) {
    throw new Error('AGORA_CROPS must name the folder scripts/pretrained/crops.py wrote (chelsea/, coffee/)');
  }
  const server = await serve(DIST);
  const { context, egress } = await launch({ webgpu: false });
  const page = context.pages()[0] || await context.newPage();
  const log = [];
  watch(page, log);
  await mkdir(ARTIFACTS, { recursive: true });
  const started = Date.now();
  try {
    await page.goto(`${server.url}#lab`);
    await page.locator(testid('data-photos')).click();
    await expectSoon(page, 'two starting classes', async () => await page.locator('[data-testid^="class-name-"]').count() === 2, 10_000);
    await page.locator(testid('model-pretrained')).click();
    await expectSoon(page, 'the pretrained input', async () => await page.locator(testid('pretrained-input')).count() === 1, 5_000);
    const input = await page.locator(testid('pretrained-input')).textContent();
    assert(input.includes('160×160') && input.includes('EfficientNet-Lite0'), `the network reads the pretrained features: ${input}`);
    await page.locator(testid('class-name-1')).fill('Cat');
    await page.locator(testid('class-name-1')).press('Tab');
    await page.locator(testid('class-name-2')).fill('Coffee');
    await page.locator(testid('class-name-2')).press('Tab');
    // Record every download figure the page shows (the file may arrive faster than a poll).
    await page.evaluate(() => {
      window.agoraSeenProgress = [];
      new MutationObserver(() => {
        const bar = document.querySelector('[data-testid="pretrained-progress"]');
        if (bar) window.agoraSeenProgress.push(bar.parentElement.textContent);
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    const addStart = Date.now();
    await page.locator(testid('class-files-1')).setInputFiles(await crops('chelsea', 'train'));
    await waitFor(page, 'the cat photos to be added and seen', async () => await count(page, 1) === 10
      && /Features of 10 images ready: 10 computed now/.test(await page.locator(testid('features-status')).textContent().catch(() => '')), 60_000, 200);
    const catSeconds = (Date.now() - addStart) / 1000;
    const embedded = await page.locator(testid('features-status')).textContent();
    const progress = await page.evaluate(() => window.agoraSeenProgress);
    assert(progress.some((t) => /Downloading the pretrained network: [\d.]+ MB of/.test(t)), `the download's progress showed: ${JSON.stringify(progress.slice(0, 3))}`);
    const ready = await page.locator(testid('pretrained-status')).textContent();
    assert(/EfficientNet-Lite0, pretrained on ImageNet by Google: 3\.\d\d MB downloaded/.test(ready), `ready, downloaded: ${ready}`);
    const coffeeStart = Date.now();
    await page.locator(testid('class-files-2')).setInputFiles(await crops('coffee', 'train'));
    await waitFor(page, 'the coffee photos to be added and seen', async () => await count(page, 2) === 10
      && (await page.locator(testid('features-status')).textContent()) !== embedded, 60_000, 200);
    const coffeeSeconds = (Date.now() - coffeeStart) / 1000;
    console.log(`pretrained: 10 photos added (download + decode + features) in ${catSeconds.toFixed(1)} s, the next 10 in ${coffeeSeconds.toFixed(1)} s; ${await page.locator(testid('features-status')).textContent()}`);
    await page.locator(testid('lab-backend-choice')).selectOption('cpu');
    await page.locator(testid('lab-epochs')).fill('20');
    await page.locator(testid('lab-epochs')).press('Tab');
    await page.locator(testid('lab-batch')).fill('8');
    await page.locator(testid('lab-batch')).press('Tab');
    await expectSoon(page, 'Train is enabled', async () => !(await page.locator(testid('lab-play')).isDisabled()), 10_000);
    const trainStart = Date.now();
    await page.locator(testid('lab-play')).click();
    await waitFor(page, 'the head to finish training', async () => {
      if (await page.locator(testid('lab-failure')).count()) throw new Error(await page.locator(testid('lab-failure')).textContent());
      return /done/.test(await page.locator(testid('lab-progress')).textContent());
    }, 120_000, 250);
    const trainSeconds = (Date.now() - trainStart) / 1000;
    const features = await page.locator(testid('features-status')).textContent();
    assert(features === 'Features of 20 images ready: 0 computed now, 20 kept from before.', `training read the features kept when the photos were added: ${features}`);
    assert(trainSeconds < 30, `20 epochs of the head in under 30 s: ${trainSeconds.toFixed(1)} s`);
    const status = await page.locator(testid('lab-status')).textContent();
    assert(status === '16 training and 4 validation images', `the split: ${status}`);
    const epochs = await page.locator(testid('lab-epoch-row')).evaluateAll((els) =>
      els.map((el) => ({ epoch: Number(el.dataset.epoch), accuracy: Number(el.dataset.valAccuracy) })));
    const last = epochs.reduce((a, b) => (b.epoch > a.epoch ? b : a));
    assert(last.epoch === 20 && last.accuracy === 1, `every validation crop right after the last epoch: ${JSON.stringify(last)}`);

    // Held-out crops: the person's class, and what the pretrained network itself sees.
    // Cat and coffee crops in turn, so each verdict awaited is a new one.
    const held = { chelsea: await crops('chelsea', 'held'), coffee: await crops('coffee', 'held') };
    const seenTop = { Cat: [], Coffee: [] };
    for (let i = 0; i < held.chelsea.length; i++) {
      for (const [photo, name, imagenet] of [['chelsea', 'Cat', CAT], ['coffee', 'Coffee', CUP]]) {
        const path = held[photo][i];
        await page.locator(testid('try-file')).setInputFiles(path);
        await waitFor(page, `${path} classified as ${name}`, async () =>
          (await page.locator(testid('try-verdict')).getAttribute('data-class').catch(() => null)) === name, 20_000, 200);
        const top = await page.locator(`${testid('seen-top5')} li .name`).allTextContents();
        assert(top.length === 5, `ImageNet's top five for ${path}: ${top.join(', ')}`);
        if (top.some((t) => imagenet.includes(t))) seenTop[name].push(path);
      }
    }
    assert(seenTop.Cat.length === held.chelsea.length, `the pretrained network sees a cat in every cat crop: ${JSON.stringify(seenTop)}`);
    assert(seenTop.Coffee.length === held.coffee.length, `and a cup in every coffee crop: ${JSON.stringify(seenTop)}`);
    await page.screenshot({ path: join(ARTIFACTS, 'pretrained-trained.png'), fullPage: true });

    // Inside: every block's maps of a validation crop and Grad-CAM on the last map.
    await page.locator(testid('inside-tab-layers')).click();
    await waitFor(page, 'Grad-CAM on the pretrained network', async () => await page.locator(testid('saliency')).count() === 1, 30_000, 250);
    const method = await page.locator(testid('saliency')).getAttribute('data-method');
    assert(method === 'GradCam { tap: 18 }', `Grad-CAM on the head's map (tap 18): ${method}`);
    const caption = await page.locator(`${testid('saliency')} figcaption`).textContent();
    assert(caption.includes('head 1×1 (1280 ch)'), `the caption names the map: ${caption}`);
    const block16 = await page.locator(`${testid('layer-view-17')} .layer-maps-head`).textContent();
    assert(block16.includes('block 16') && block16.includes('320×5×5'), `block 16's maps at 5×5: ${block16}`);
    const maps = await page.locator(`${testid('layer-view-1')} img.map`).count();
    assert(maps === 32, `the stem's first 32 maps show: ${maps}`);
    await page.locator(`${testid('inside')}`).screenshot({ path: join(ARTIFACTS, 'pretrained-inside.png') });
    await page.locator(testid('inside-tab-confusion')).click();
    await waitFor(page, 'the confusion matrix', async () => await page.locator(testid('confusion')).count() === 1, 20_000, 250);
    const diagonal = Number(await page.locator(testid('confusion-0-0')).textContent()) + Number(await page.locator(testid('confusion-1-1')).textContent());
    assert(diagonal === 4, `the four validation crops on the diagonal: ${diagonal}`);
    await page.locator(testid('inside-tab-embedding')).click();
    await waitFor(page, 'the embedding', async () => await page.locator(testid('embedding')).count() === 1, 20_000, 250);
    assert(await page.locator(testid('embedding')).getAttribute('data-points') === '4', 'the embedding has the four validation crops');

    // A reload: the weights come from Cache Storage, the features from IndexedDB.
    await page.reload();
    await waitFor(page, 'the project after a reload', async () => (await page.locator(testid('class-name-1')).count()) === 1, 20_000, 200);
    await waitFor(page, 'the trained head back after the reload', async () => (await page.locator(testid('lab-epoch-row')).count()) === 20, 60_000, 200);
    await page.locator(testid('try-file')).setInputFiles((await crops('chelsea', 'held'))[0]);
    await waitFor(page, 'the restored head classifying a cat', async () =>
      (await page.locator(testid('try-verdict')).getAttribute('data-class').catch(() => null)) === 'Cat', 30_000, 200);
    await waitFor(page, 'the weights from the cache', async () => /read from this browser's cache/.test(await page.locator(testid('pretrained-status')).textContent()), 30_000, 200);
    const fetched = server.requests.filter((r) => r.url.startsWith(MODEL)).length;
    assert(fetched === 1, `the weights were downloaded once in all: ${fetched} requests`);
    await page.screenshot({ path: join(ARTIFACTS, 'pretrained-reloaded.png'), fullPage: true });
    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    console.log(`pretrained: ok (head trained in ${trainSeconds.toFixed(1)} s; ${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  } catch (error) {
    await page.screenshot({ path: join(ARTIFACTS, 'pretrained-failure.png'), fullPage: true }).catch(() => {});
    console.error(log.join('\n'));
    throw error;
  } finally {
    await context.close();
    await server.close();
  }
}

run().catch((error) => {
  console.error(error);
  process.exit(1);
});
