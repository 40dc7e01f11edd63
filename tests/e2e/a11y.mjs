// Usable by everyone: axe-core's WCAG 2.2 A and AA rules on every tab and view (the playground,
// the image classifier with each view inside the network after training, a person's images,
// the speed test, a lesson and presenter mode), in light and in dark mode; then the keyboard
// alone: the page's keys train, step and reset the playground; in the image classifier it
// trains, opens a feature map and a confusion cell, and removes a layer, undoes and redoes it —
// never touching the mouse. CPU only.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { serve, launch, watch, assert, expectSoon, waitFor, ARTIFACTS } from './harness.mjs';
import { violations, describe } from './axe.mjs';

const DIST = resolve(process.env.AGORA_DIST || '../dist');
const testid = (id) => `[data-testid="${id}"]`;
const LAB = '#data=digits&epochs=1&batch=128&backend=cpu';

async function run() {
  const started = Date.now();
  const server = await serve(DIST);
  const { context, egress } = await launch({ webgpu: false });
  const page = context.pages()[0] || await context.newPage();
  const log = [];
  watch(page, log);
  const shots = join(ARTIFACTS, 'a11y');
  await mkdir(shots, { recursive: true });
  const checked = [];
  const clean = async (what) => {
    const found = await violations(page);
    assert(found.length === 0, `WCAG 2.2 A/AA violations on ${what}:\n${describe(found)}`);
    checked.push(what);
  };
  const visit = async (link) => {
    await page.goto('about:blank');
    await page.goto(`${server.url}${link}`);
  };
  const labReady = async () => expectSoon(page, 'the image classifier is ready', async () =>
    (await page.locator(testid('lab-play')).count()) === 1 && !(await page.locator(testid('lab-play')).isDisabled()), 60_000);
  try {
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      await visit('');
      await expectSoon(page, 'the playground', async () => !(await page.locator(testid('play')).isDisabled()), 30_000);
      await clean(`the playground (${scheme})`);
      await page.locator(testid('play')).click();
      await waitFor(page, 'some training', async () => Number((await page.locator(testid('epoch')).textContent()).replace(/,/g, '')) > 20, 30_000, 200);
      await page.locator(testid('play')).click();
      await clean(`the playground after training (${scheme})`);
      if (scheme === 'dark') await page.screenshot({ path: join(ARTIFACTS, 'dark-playground.png'), fullPage: true });
      await page.locator(testid('lesson-menu')).locator('summary').click();
      await clean(`the lessons menu (${scheme})`);
      await visit('#lesson=convolutions');
      await expectSoon(page, 'a lesson', async () => (await page.locator(testid('lesson')).count()) === 1, 30_000);
      await clean(`a lesson step (${scheme})`);
      await page.locator(testid('lesson-present')).click();
      await clean(`presenter mode (${scheme})`);
      if (scheme === 'dark') await page.screenshot({ path: join(ARTIFACTS, 'dark-presenter.png') });
      await visit('#speed');
      await expectSoon(page, 'the speed test', async () => (await page.locator(testid('tab-speed')).getAttribute('aria-selected')) === 'true', 30_000);
      await clean(`the speed test (${scheme})`);
      await visit('#data=photos');
      await expectSoon(page, 'your own images', async () => (await page.locator(testid('data-photos')).count()) === 1, 30_000);
      await clean(`your own images (${scheme})`);
      await visit(LAB);
      await labReady();
      await clean(`the image classifier (${scheme})`);
      await page.locator(testid('lab-play')).click();
      await waitFor(page, 'one epoch', async () => (await page.locator(testid('lab-epoch-row')).count()) === 1, 120_000, 500);
      for (const view of ['layers', 'filters', 'confusion', 'calibration', 'embedding']) {
        await page.locator(testid(`inside-tab-${view}`)).click();
        await page.waitForTimeout(800);
        if (view === 'confusion') await page.locator(testid('confusion-3-3')).click();
        await clean(`inside the network: ${view} (${scheme})`);
      }
      if (scheme === 'dark') await page.screenshot({ path: join(ARTIFACTS, 'dark-lab.png'), fullPage: true });
    }
    await page.emulateMedia({ colorScheme: 'light' });

    // The keyboard alone, from here on.
    const focused = () => page.evaluate(() => {
      const el = document.activeElement;
      return el ? { testid: el.dataset?.testid || '', classes: String(el.className?.baseVal ?? el.className), outline: getComputedStyle(el).outlineStyle, role: el.getAttribute('role') || '', selected: el.getAttribute('aria-selected') } : null;
    });
    const tabTo = async (what, matches, { back = false, most = 600 } = {}) => {
      for (let i = 0; i < most; i++) {
        await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
        const now = await focused();
        if (now && matches(now)) {
          assert(now.outline !== 'none', `${what} shows where the focus is: outline ${now.outline}`);
          return i + 1;
        }
      }
      throw new Error(`${what} is not reachable with ${back ? 'Shift+' : ''}Tab in ${most} presses`);
    };
    const epoch = async () => Number((await page.locator(testid('epoch')).textContent()).replace(/,/g, ''));

    // The playground: Space trains and pauses, → one epoch, R resets.
    await visit('');
    await expectSoon(page, 'the playground', async () => !(await page.locator(testid('play')).isDisabled()), 30_000);
    await page.keyboard.press('Space');
    await expectSoon(page, 'Space starts training', async () => (await page.locator(testid('play')).getAttribute('aria-label')) === 'Pause training', 5_000);
    await waitFor(page, 'epochs going by', async () => await epoch() > 5, 20_000, 100);
    await page.keyboard.press('Space');
    await expectSoon(page, 'Space pauses', async () => (await page.locator(testid('play')).getAttribute('aria-label')) === 'Start training', 5_000);
    await page.waitForTimeout(500);
    const paused = await epoch();
    await page.keyboard.press('ArrowRight');
    await expectSoon(page, '→ trains one epoch', async () => await epoch() === paused + 1, 5_000);
    await page.keyboard.press('r');
    await expectSoon(page, 'R resets', async () => await epoch() === 0, 5_000);

    // The image classifier: train, a feature map, a confusion cell, undo and redo an edit.
    await visit(LAB);
    await labReady();
    await page.keyboard.press('Space');
    await waitFor(page, 'an epoch trained from the keyboard', async () => (await page.locator(testid('lab-epoch-row')).count()) === 1, 120_000, 500);
    await expectSoon(page, 'the live region says so', async () => /epoch 1/.test(await page.locator(testid('announce')).textContent()), 10_000);
    for (const chart of ['lab-loss-chart', 'lab-accuracy-chart']) {
      assert(await page.locator(`${testid(chart)} polyline.series`).count() === 2 && await page.locator(testid(chart)).getAttribute('data-points') === '2',
        `${chart} has its training and validation curves`);
    }
    await page.locator('.lab-charts').screenshot({ path: join(ARTIFACTS, 'chart-lab.png') });
    const bar = page.locator(testid('lab-epoch-progress'));
    const said = (await page.locator(testid('lab-progress')).textContent()).match(/batch (\d+) of (\d+)/);
    const drawn = [await bar.getAttribute('value'), await bar.getAttribute('max')];
    assert(said && said[2] === '63' && drawn[0] === said[1] && drawn[1] === '63',
      `the epoch's progress bar shows the batches the text says (${said?.[0]}): ${drawn.join(' of ')}`);
    const toMap = await tabTo('a feature map', (f) => f.classes.includes('map-button'));
    await page.keyboard.press('Enter');
    await expectSoon(page, 'Enter enlarges the map', async () => (await page.locator(testid('map-enlarged')).count()) === 1, 5_000);
    await tabTo('the active view tab', (f) => f.role === 'tab' && f.testid === 'inside-tab-layers', { back: true });
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expectSoon(page, '→ → reaches the confusion matrix', async () =>
      (await page.locator(testid('inside-tab-confusion')).getAttribute('aria-selected')) === 'true' && (await page.locator(testid('confusion')).count()) === 1, 10_000);
    await tabTo('a confusion cell', (f) => f.classes.includes('cell-button'));
    await page.keyboard.press('Enter');
    await expectSoon(page, 'Enter shows the cell\'s images', async () => (await page.locator(`${testid('cell-examples')} img`).count()) > 0, 5_000);
    await page.screenshot({ path: join(shots, 'keyboard-confusion.png'), fullPage: true });
    const rows = async () => page.locator('[data-testid^="lab-row-"]').count();
    const before = await rows();
    await tabTo('a layer\'s remove button', (f) => f.testid === 'row-1-remove', { back: true });
    await page.keyboard.press('Enter');
    await expectSoon(page, 'Enter removes the layer', async () => await rows() === before - 1, 5_000);
    await page.keyboard.press('Control+z');
    await expectSoon(page, 'Ctrl+Z brings it back', async () => await rows() === before, 5_000);
    await page.keyboard.press('Control+Shift+z');
    await expectSoon(page, 'Ctrl+Shift+Z removes it again', async () => await rows() === before - 1, 5_000);
    await page.keyboard.press('Control+z');
    await expectSoon(page, 'and Ctrl+Z once more', async () => await rows() === before, 5_000);
    // A high-density screen: the boundary with its points is drawn at two device pixels per CSS pixel.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setDeviceMetricsOverride', { width: 1500, height: 1000, deviceScaleFactor: 2, mobile: false });
    await visit('');
    await expectSoon(page, 'the playground at 2× density', async () => (await page.locator(testid('decision-boundary')).count()) === 1, 30_000);
    const size = await page.locator(testid('decision-boundary')).evaluate((c) => [c.width, c.getBoundingClientRect().width, devicePixelRatio]);
    assert(size[2] === 2 && size[0] === 2 * size[1], `the boundary is drawn at the screen's density: ${size}`);
    await cdp.send('Emulation.clearDeviceMetricsOverride');
    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    console.log(`a11y: ok (${checked.length} views without a WCAG 2.2 A/AA violation; a map ${toMap} Tab presses in; ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  } catch (error) {
    await page.screenshot({ path: join(ARTIFACTS, 'a11y-failure.png'), fullPage: true }).catch(() => {});
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
