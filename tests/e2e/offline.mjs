// Agora without a network: visit once, then every request is blocked (the browser is offline
// and the server is gone) and the page is reloaded: it opens from the service worker's copy,
// loads the bundled digits and trains an epoch on them. Then a new version on the server: the
// running page keeps going and offers "a new version is ready"; accepting reloads into it.
// CPU only, about a minute.
import { cp, mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve, launch, watch, assert, expectSoon, waitFor, ARTIFACTS } from './harness.mjs';

const DIST = resolve(process.env.AGORA_DIST || '../dist');
const testid = (id) => `[data-testid="${id}"]`;
const LINK = '#data=digits&epochs=1&batch=128&backend=cpu';

async function run() {
  const started = Date.now();
  // A copy of the build, so the test can put a "new version" on the server.
  const root = await mkdtemp(join(tmpdir(), 'agora-offline-'));
  await cp(DIST, root, { recursive: true });
  let server = await serve(root);
  const address = server.url;
  const { context, egress } = await launch({ webgpu: false });
  const page = context.pages()[0] || await context.newPage();
  const log = [];
  watch(page, log);
  let blocked = 0;
  try {
    const sw = await readFile(join(root, 'sw.js'), 'utf8');
    assert(!sw.includes('AGORA-OFFLINE'), 'the build filled in the service worker\'s files and version');
    const kept = JSON.parse(sw.match(/const FILES = (\[.*\]);/)[1]);
    assert(kept.includes('index.html') && kept.includes('data/digits.agds.gz') && kept.some((f) => f.endsWith('_bg.wasm')),
      `the page, the digits and the wasm are kept: ${kept.join(', ')}`);
    const manifest = JSON.parse(await readFile(join(root, 'manifest.webmanifest'), 'utf8'));
    assert(manifest.icons.some((icon) => icon.sizes === '512x512') && manifest.start_url, 'an installable manifest');

    // First visit, online.
    await page.goto(`${address}${LINK}`);
    await expectSoon(page, 'the page says it is kept for offline use', async () =>
      (await page.locator(testid('offline-status')).getAttribute('data-state').catch(() => null)) === 'kept', 60_000);
    await expectSoon(page, 'the service worker controls the page', async () =>
      await page.evaluate(() => !!navigator.serviceWorker.controller), 30_000);
    const manifestLink = await page.evaluate(() => document.querySelector('link[rel=manifest]')?.href);
    assert(manifestLink && manifestLink.endsWith('/manifest.webmanifest'), `the page links its manifest: ${manifestLink}`);

    // No network at all: the browser is offline, every request is refused, the server is gone.
    await context.setOffline(true);
    await context.route('**/*', (route) => { blocked += 1; route.abort('internetdisconnected'); });
    await server.close();
    const servedBefore = server.requests.length;
    await page.reload();
    await expectSoon(page, 'the page opens offline in the image classifier', async () =>
      (await page.locator(testid('tab-lab')).getAttribute('aria-selected').catch(() => null)) === 'true', 30_000);
    await expectSoon(page, 'the digits load offline', async () =>
      /^\d+ training and \d+ validation digits$/.test(await page.locator(testid('lab-status')).textContent().catch(() => '')), 60_000);
    await expectSoon(page, 'ready to train offline', async () => !(await page.locator(testid('lab-play')).isDisabled()), 60_000);
    await page.locator(testid('lab-play')).click();
    const accuracy = await waitFor(page, 'one epoch trained offline', async () => {
      const rows = await page.locator(testid('lab-epoch-row')).evaluateAll((els) => els.map((el) => Number(el.dataset.valAccuracy)));
      const failure = await page.locator(testid('lab-failure')).count();
      if (failure) throw new Error(`training failed offline: ${await page.locator(testid('lab-failure')).textContent()}`);
      return rows.length >= 1 ? rows[0] : null;
    }, 180_000, 1_000);
    assert(accuracy > 0.5, `the offline epoch learned the digits: ${accuracy}`);
    assert(server.requests.length === servedBefore, 'nothing reached the server while offline');
    await page.screenshot({ path: join(ARTIFACTS, 'offline-trained.png'), fullPage: true });

    // Back online; a new version goes up on the same address.
    await context.unroute('**/*');
    await context.setOffline(false);
    await writeFile(join(root, 'sw.js'), sw.replace(/const VERSION = "([0-9a-f]+)";/, 'const VERSION = "$1-next";'));
    server = await serve(root, { port: Number(new URL(address).port) });
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
    await expectSoon(page, 'the page offers the new version', async () => await page.locator(testid('update-ready')).count() === 1, 30_000);
    assert(await page.locator(testid('lab-epoch-row')).count() >= 1, 'the running session is untouched');
    await page.locator(testid('update-ready')).screenshot({ path: join(ARTIFACTS, 'offline-update.png') });
    const before = await page.evaluate(() => performance.timeOrigin);
    await page.locator(testid('update-reload')).click();
    await expectSoon(page, 'the page reloads into the new version', async () =>
      (await page.evaluate(() => performance.timeOrigin).catch(() => before)) !== before, 30_000);
    const version = await page.evaluate(() => new Promise((ok) => {
      navigator.serviceWorker.addEventListener('message', (event) => ok(event.data.agoraVersion));
      navigator.serviceWorker.controller.postMessage('agora-version');
    }));
    assert(/-next$/.test(version), `the new version runs: ${version}`);
    assert(await page.locator(testid('update-ready')).count() === 0, 'no banner once updated');
    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    console.log(`offline: ok (trained offline to ${(accuracy * 100).toFixed(1)} % in one epoch; ${blocked} requests refused; ${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  } catch (error) {
    await page.screenshot({ path: join(ARTIFACTS, 'offline-failure.png'), fullPage: true }).catch(() => {});
    console.error(log.join('\n'));
    throw error;
  } finally {
    await context.close();
    await server.close().catch(() => {});
    await rm(root, { recursive: true, force: true });
  }
}

run().catch((error) => {
  console.error(error);
  process.exit(1);
});
