// One project, many links, as a person meets them: links made by an older build (the
// playground's `#data=…` and the image lab's `#lab=…` JSON, kept in app/tests/fixtures) open
// the same setup in the right view; a garbled link says which entries it could not read; a
// link pasted into the address bar opens its project in its own view, whichever is on screen;
// and switching views keeps each project's edits. No training: CPU only, a few seconds.
import { readFile, mkdir } from 'node:fs/promises';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, watch, assert, expectSoon, ARTIFACTS } from './harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = resolve(process.env.AGORA_DIST || '../dist');
const FIXTURES = resolve(HERE, '../../app/tests/fixtures/links-f1d84a4.txt');

const testid = (id) => `[data-testid="${id}"]`;
const pressed = async (page, id) => (await page.locator(testid(id)).getAttribute('aria-selected')) === 'true';
const labRows = async (page) => page.locator('[data-testid^="lab-row-"]').count();
const cards = async (page) => page.locator('[data-testid^="layer-"]').count();
const hash = (page) => new URL(page.url()).hash;

async function run() {
  const started = Date.now();
  const server = await serve(DIST);
  const { context, egress } = await launch({ webgpu: false });
  const page = context.pages()[0] || await context.newPage();
  const log = [];
  watch(page, log);
  const shots = join(ARTIFACTS, 'links');
  await mkdir(shots, { recursive: true });
  const fixtures = (await readFile(FIXTURES, 'utf8')).split('\n').filter((line) => line.startsWith('#'));
  const old = { lab: fixtures.filter((l) => l.startsWith('#lab=')), playground: fixtures.filter((l) => l.startsWith('#data=')) };
  assert(old.lab.length === 3 && old.playground.length === 2, `the fixtures hold 3 lab and 2 playground links: ${fixtures.length}`);
  // A fresh page per link: a link opened by navigation, as from a bookmark.
  const visit = async (link) => {
    await page.goto('about:blank');
    await page.goto(`${server.url}${link}`);
  };
  try {
    // Old playground links: the playground, the same data and layers, rewritten in today's form.
    await visit(old.playground[1]);
    await expectSoon(page, 'the old spiral link opens the playground', async () =>
      await pressed(page, 'tab-playground') && await cards(page) === 2, 15_000);
    await expectSoon(page, 'rewritten with the same setup', async () =>
      /^#data=spiral&classes=2&noise=0&train=50&seed=1&features=x1,x2,sinx1&layers=4\.tanh,2\.linear&lr=0\.03&batch=10&opt=sgd&mom=0\.9&reg=l2&regrate=0\.003&/.test(hash(page)));
    assert(await page.locator('[data-testid="link-warning"]').count() === 0, 'an old link reads whole');

    // Old lab links: the image classifier with LeNet, the ResNet, the 3-class photo project.
    await visit(old.lab[0]);
    await expectSoon(page, 'the old LeNet link opens the image classifier', async () =>
      await pressed(page, 'tab-lab') && await labRows(page) === 13, 15_000);
    assert((await page.locator(testid('lab-total-params')).textContent()).startsWith('61706 parameters'), 'LeNet on the digits');
    await expectSoon(page, 'rewritten in today\'s form', async () =>
      hash(page).startsWith('#data=digits&net=conv6k5s1p2d1,relu,max2s2,conv16k5s1p0d1,relu,max2s2,flat,fc120,relu,fc84,relu,fc10,softmax&'));
    await visit(old.lab[2]);
    // The photo link held 3 classes; a person's classes are their own images, so on this fresh
    // browser (two empty classes) the network's output follows those two.
    await expectSoon(page, 'the old photo link opens 32×32 colour photos with LeNet, its output on the two empty classes', async () =>
      await pressed(page, 'tab-lab') && hash(page).startsWith(
        '#data=photos&side=32&colour=1&classes=2&net=conv6k5s1p2d1,relu,max2s2,conv16k5s1p0d1,relu,max2s2,flat,fc120,relu,fc84,relu,fc2,softmax&'), 15_000);

    // A garbled image link names what it could not read and keeps the defaults for it.
    await visit('#data=digits&net=conv8k3s1p1d1,relu,fc99999999,softmax&lr=NaN&seed=7&noise=3');
    await expectSoon(page, 'the garbled link says which entries', async () =>
      ((await page.locator(testid('link-warning')).textContent()) ?? '').includes('net, lr, noise'), 15_000);
    assert(await labRows(page) === 13, 'the network kept its default (LeNet)');
    assert(hash(page).includes('&seed=7&'), `what could be read was: ${hash(page)}`);
    await page.screenshot({ path: join(shots, 'garbled.png') });
    // A cut old link opens the digits with their defaults and says why.
    await visit('#lab=%7B%22network%22');
    await expectSoon(page, 'a cut old link says so', async () =>
      ((await page.locator(testid('link-warning')).textContent()) ?? '').includes('could not be read'), 15_000);
    assert(await pressed(page, 'tab-lab') && await labRows(page) === 13, 'the digits with LeNet');

    // A link pasted into this tab opens in its own view, whichever is on screen.
    await visit('');
    await expectSoon(page, 'the playground opens', async () => await cards(page) === 2, 15_000);
    await page.evaluate(() => { location.hash = '#data=digits&net=flat,fc32,relu,fc10,softmax&seed=3'; });
    await expectSoon(page, 'a pasted image link shows the image classifier with its network', async () =>
      await pressed(page, 'tab-lab') && await labRows(page) === 5);
    await page.evaluate(() => { location.hash = '#data=xor&features=x1,x2&layers=3.relu&lr=0.1'; });
    await expectSoon(page, 'a pasted playground link shows the playground with its network', async () =>
      await pressed(page, 'tab-playground') && await cards(page) === 1 && hash(page).startsWith('#data=xor&'));

    // Switching views keeps each project's edits, and the link follows the view on screen.
    await page.locator(testid('remove-0')).click();
    await expectSoon(page, 'the card is gone', async () => await cards(page) === 0 && hash(page).includes('&layers=&'));
    await page.locator(testid('tab-lab')).click();
    await expectSoon(page, 'the image project is where it was', async () =>
      await labRows(page) === 5 && hash(page).startsWith('#data=digits&net=flat,fc32,relu,fc10,softmax&'));
    await page.locator(testid('tab-playground')).click();
    await expectSoon(page, 'the playground project is where it was', async () =>
      await cards(page) === 0 && hash(page).startsWith('#data=xor&') && hash(page).includes('&layers=&'));
    await page.screenshot({ path: join(shots, 'playground.png') });

    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    const panics = log.filter((line) => /panicked|RuntimeError|unreachable/.test(line));
    assert(panics.length === 0, `no panic in the page or worker:\n${panics.join('\n')}`);
    console.log(`[links] PASS in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    console.error(`[links] FAILED: ${error.message}\npage log:\n${log.slice(-30).join('\n')}`);
    process.exitCode = 1;
  } finally {
    await context.close();
    await server.close();
  }
}

await run();
