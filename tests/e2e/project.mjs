// Your work lasts, as a person meets it: train the playground, reload — the same trained
// network is back (the same test loss to 1e-6, the same epoch) and training goes on from it;
// save the project to a file, change the network, open the file — asked first, and a "no"
// changes nothing — and the network, recipe and weights are back; a bad file says what is
// wrong and changes nothing; a visit without a link resumes the kept project; the image
// classifier's run comes back after a reload — the same probabilities on a validation image to
// 1e-6 — and goes on. CPU only.
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, watch, assert, expectSoon, waitFor, ARTIFACTS } from './harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = resolve(process.env.AGORA_DIST || '../dist');
const BAD = resolve(HERE, '../../app/tests/fixtures/projects');

const testid = (id) => `[data-testid="${id}"]`;
const text = async (page, id) => ((await page.locator(testid(id)).textContent()) ?? '').trim();
const epoch = async (page) => Number((await text(page, 'epoch')).replace(/,/g, ''));
const testLoss = async (page) => Number(await page.locator(testid('test-loss')).getAttribute('data-value'));
const cards = async (page) => page.locator('[data-testid^="layer-"]').count();
const hash = (page) => new URL(page.url()).hash;
const paused = async (page) => (await page.locator(testid('play')).getAttribute('aria-label')) === 'Start training';

async function run() {
  const started = Date.now();
  const server = await serve(DIST);
  const { context, egress } = await launch({ webgpu: false });
  const page = context.pages()[0] || await context.newPage();
  const log = [];
  watch(page, log);
  const shots = join(ARTIFACTS, 'project');
  await mkdir(shots, { recursive: true });
  const dialogs = [];
  let answer = true;
  page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await (answer ? dialog.accept() : dialog.dismiss()); });
  try {
    await page.goto(`${server.url}#data=circle&features=x1,x2&layers=4.tanh,2.tanh&lr=0.03&batch=10&backend=cpu`);
    await waitFor(page, 'the worker to start', async () => (await text(page, 'backend-status')).includes('Running on CPU'), 120_000);
    await page.click(testid('play'));
    await waitFor(page, 'epoch 30', async () => (await epoch(page)) >= 30, 120_000);
    await page.click(testid('play'));
    await waitFor(page, 'the pause', async () => await paused(page), 10_000);
    // The last tick in flight reports after the button flips: wait for the epoch to settle.
    let settled = -1;
    await waitFor(page, 'the epoch to settle', async () => { const now = await epoch(page); const same = now === settled; settled = now; return same; }, 10_000, 700);
    const trained = { epoch: await epoch(page), loss: await testLoss(page) };
    assert(trained.epoch >= 30 && Number.isFinite(trained.loss), `trained: ${JSON.stringify(trained)}`);
    const kept = await text(page, 'project-kept');
    console.log(`[project] trained to epoch ${trained.epoch}, test loss ${trained.loss}; ${kept}`);

    // Reload: the same trained network, from this browser's storage.
    await page.reload();
    await waitFor(page, 'the kept weights to come back', async () => (await epoch(page)) === trained.epoch, 60_000);
    await waitFor(page, 'the reloaded snapshot', async () => Number.isFinite(await testLoss(page)), 30_000);
    const reloaded = await testLoss(page);
    assert(Math.abs(reloaded - trained.loss) <= 1e-6, `after a reload the test loss is ${reloaded}, before ${trained.loss}`);
    // Training goes on from there, not from epoch 0.
    await page.click(testid('step'));
    await waitFor(page, 'one more epoch', async () => (await epoch(page)) === trained.epoch + 1, 30_000);
    await waitFor(page, 'the step to end', async () => await paused(page), 10_000);
    const stepped = { epoch: await epoch(page), loss: await testLoss(page) };

    // Save to a file.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(testid('save-project'))]);
    const path = join(shots, download.suggestedFilename());
    await download.saveAs(path);
    const bytes = await readFile(path);
    assert(download.suggestedFilename() === `agora-circle-epoch-${stepped.epoch}.agora`, `file name ${download.suggestedFilename()}`);
    assert(bytes.subarray(0, 4).toString('latin1') === 'PK\x03\x04' && bytes.includes('weights.safetensors'), 'the file is a zip with the weights');
    await expectSoon(page, 'saving says what it saved', async () => (await text(page, 'project-notice')).includes(`weights after ${stepped.epoch} epochs`));
    console.log(`[project] saved ${download.suggestedFilename()}: ${bytes.length} bytes; "${await text(page, 'project-notice')}"`);
    await page.screenshot({ path: join(shots, 'saved.png') });

    // Change the network: training starts over.
    await page.locator(testid('remove-0')).click();
    await expectSoon(page, 'one card left and epoch 0', async () => await cards(page) === 1 && await epoch(page) === 0, 15_000);
    const changed = hash(page);

    // A bad file: its message, and nothing changes.
    for (const [name, expected] of [['bad-dot-dot.agora', 'points outside the archive'], ['bad-newer-version.agora', 'saved by a newer Agora'], ['bad-not-a-zip.agora', 'not a zip archive']]) {
      await page.setInputFiles(testid('open-project'), join(BAD, name));
      await expectSoon(page, `${name} is refused`, async () => (await text(page, 'project-notice')).includes(expected), 10_000);
      assert((await text(page, 'project-notice')).includes('Nothing was changed'), 'it says nothing changed');
      assert(hash(page) === changed && await cards(page) === 1, `${name} changed the project`);
    }
    await page.screenshot({ path: join(shots, 'bad-file.png') });

    // Open the saved file, answering no: nothing changes.
    answer = false;
    await page.setInputFiles(testid('open-project'), path);
    await expectSoon(page, 'a "no" keeps the project', async () => (await text(page, 'project-notice')).includes('was not opened'), 10_000);
    assert(dialogs.length === 1 && dialogs[0].includes(`trained for ${stepped.epoch} epochs`), `asked first: ${dialogs}`);
    assert(hash(page) === changed && await cards(page) === 1, 'declining changed the project');

    // And yes: the network, the recipe and the weights are back.
    answer = true;
    await page.setInputFiles(testid('open-project'), path);
    await waitFor(page, 'the saved network back', async () => await cards(page) === 2 && await epoch(page) === stepped.epoch, 30_000);
    await waitFor(page, 'its snapshot', async () => Math.abs((await testLoss(page)) - stepped.loss) <= 1e-6, 30_000);
    assert(hash(page).includes('layers=4.tanh,2.tanh'), `the link follows: ${hash(page)}`);

    // A visit without a link resumes the kept project.
    await page.goto('about:blank');
    await page.goto(server.url);
    await waitFor(page, 'the kept project on a bare visit', async () => await cards(page) === 2 && await epoch(page) === stepped.epoch, 60_000);
    await waitFor(page, 'its weights', async () => Math.abs((await testLoss(page)) - stepped.loss) <= 1e-6, 30_000);
    await page.screenshot({ path: join(shots, 'resumed.png') });

    // The image classifier: one epoch of the digits, a reload, and the run is back — its
    // epoch row, the same validation accuracy — and training goes on to epoch 2, not 1.
    const rows = async () => page.locator(testid('lab-epoch-row')).evaluateAll((els) =>
      els.map((el) => [Number(el.dataset.epoch), Number(el.dataset.valAccuracy)]).sort((a, b) => a[0] - b[0]));
    await page.goto('about:blank');
    await page.goto(`${server.url}#data=digits&net=flat,fc32,relu,fc10,softmax&seed=3&epochs=1&batch=64&backend=cpu`);
    await waitFor(page, 'the digits to load', async () => !(await page.locator(testid('lab-play')).isDisabled()), 120_000);
    await page.locator(testid('lab-play')).click();
    await waitFor(page, 'the one epoch', async () => /done/.test(await text(page, 'lab-progress')) && (await rows()).length === 1, 120_000);
    const [[, firstAccuracy]] = await rows();
    // The network's answer on the first validation image, as the page shows it after epoch 1.
    const seen = async () => page.locator(testid('sample-label')).evaluate((el) =>
      ({ sample: el.dataset.sample, epoch: Number(el.dataset.epoch), p: (el.dataset.probabilities || '').split(',').map(Number) }));
    await waitFor(page, 'the first image seen by the trained network', async () => {
      const now = await seen().catch(() => null);
      return now && now.sample === '0' && now.epoch === 1;
    }, 60_000);
    const before = await seen();
    await page.reload();
    await waitFor(page, 'the run back after a reload', async () => JSON.stringify(await rows()) === JSON.stringify([[1, firstAccuracy]]), 120_000);
    await waitFor(page, 'the same image seen again', async () => {
      const now = await seen().catch(() => null);
      return now && now.sample === '0' && now.epoch === 1;
    }, 60_000);
    const after = await seen();
    const drift = Math.max(...before.p.map((p, i) => Math.abs(p - after.p[i])));
    assert(before.p.length === 10 && after.p.length === 10 && drift <= 1e-6, `the same predictions after a reload: ${before.p} vs ${after.p}`);
    console.log(`[project] digits: validation image 1 gets the same 10 probabilities after a reload (largest difference ${drift})`);
    const epochsField = page.locator(testid('lab-epochs'));
    await epochsField.fill('2');
    await epochsField.press('Tab');
    await waitFor(page, 'two epochs asked for', async () => / of 2 /.test(await text(page, 'lab-progress')), 10_000);
    await waitFor(page, 'ready to go on', async () => !(await page.locator(testid('lab-play')).isDisabled()), 60_000);
    await page.locator(testid('lab-play')).click();
    await waitFor(page, 'epoch 2 after the restored epoch 1', async () => (await rows()).length === 2, 120_000);
    const second = await rows();
    assert(second[1][0] === 2 && second[1][1] > 0.8, `went on from the saved weights: ${JSON.stringify(second)}`);
    // The same two epochs without a reload, in a fresh browser: the resumed run (weights, Adam's
    // moments and the shuffle came back) is the run that never stopped, to the last image.
    const fresh = await launch({ webgpu: false });
    try {
      const straight = fresh.context.pages()[0] || await fresh.context.newPage();
      await straight.goto(`${server.url}#data=digits&net=flat,fc32,relu,fc10,softmax&seed=3&epochs=2&batch=64&backend=cpu`);
      await waitFor(straight, 'the digits to load again', async () => !(await straight.locator(testid('lab-play')).isDisabled()), 120_000);
      await straight.locator(testid('lab-play')).click();
      const straightRows = async () => straight.locator(testid('lab-epoch-row')).evaluateAll((els) =>
        els.map((el) => [Number(el.dataset.epoch), Number(el.dataset.valAccuracy)]).sort((a, b) => a[0] - b[0]));
      await waitFor(straight, 'two epochs straight', async () => (await straightRows()).length === 2, 120_000);
      const uninterrupted = await straightRows();
      assert(JSON.stringify(uninterrupted) === JSON.stringify(second), `resumed ${JSON.stringify(second)} vs never stopped ${JSON.stringify(uninterrupted)}`);
      console.log(`[project] digits: epoch 2 after a reload is the epoch 2 of a run that never stopped (${(second[1][1] * 100).toFixed(2)} % both)`);
    } finally {
      await fresh.context.close();
    }
    console.log(`[project] digits: epoch 1 at ${(firstAccuracy * 100).toFixed(2)} % came back after a reload; epoch 2 at ${(second[1][1] * 100).toFixed(2)} %`);
    await page.screenshot({ path: join(shots, 'lab-resumed.png') });

    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    const panics = log.filter((line) => /panicked|RuntimeError|unreachable/.test(line));
    assert(panics.length === 0, `no panic in the page or worker:\n${panics.join('\n')}`);
    console.log(`[project] PASS in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    console.error(`[project] FAILED: ${error.message}\npage log:\n${log.slice(-30).join('\n')}`);
    process.exitCode = 1;
  } finally {
    await context.close();
    await server.close();
  }
}

await run();
