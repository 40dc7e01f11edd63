// Take the trained model anywhere, as a person meets it: train a network using every layer
// type on the digits in the page, press Export model, and the zip the browser downloads (no
// request leaves 127.0.0.1) is held to onnx.checker, onnxruntime and PyTorch by
// scripts/check_export.py — the same scores as the page's model within 1e-4, and train.py
// trains it two epochs under torchrun with two processes; then the playground's network, with
// its points. CPU only (the WebGPU path trains the same weights; the export reads them back).
import { mkdir } from 'node:fs/promises';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { serve, launch, watch, assert, expectSoon, waitFor, ARTIFACTS } from './harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = resolve(process.env.AGORA_DIST || '../dist');
const CHECK = resolve(HERE, '../../scripts/check_export.py');
const IRIS = resolve(HERE, '../fixtures/tables/iris.csv');
const PYTHON = process.env.AGORA_PY;

const testid = (id) => `[data-testid="${id}"]`;
const text = async (page, id) => ((await page.locator(testid(id)).textContent()) ?? '').trim();
const epoch = async (page) => Number((await text(page, 'epoch')).replace(/,/g, ''));
const paused = async (page) => (await page.locator(testid('play')).getAttribute('aria-label')) === 'Start training';

// Every layer type but GlobalAvgPool (a chain cannot hold it and Flatten; the small ResNet
// preset, checked natively, has it): strided, padded and dilated convolutions, both norms on
// images and vectors, every activation, both pools, dropout, Add and Concat skips.
const EVERY_LAYER = [
  'conv8k3s1p1d1', 'bn', 'relu', 'conv8k3s1p2d2', 'ln', 'add3', 'gelu', 'cat1', 'max2s2',
  'conv8k3s2p1d1', 'lrelu', 'avg2s2', 'flat', 'fc16', 'bn', 'tanh', 'drop20', 'fc16', 'ln',
  'sigmoid', 'cat16', 'fc10', 'softmax',
].join(',');

function check(zip, torchrun) {
  const args = [CHECK, ...(torchrun ? ['--torchrun', torchrun] : []), zip];
  const out = execFileSync(PYTHON, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  const lines = out.split('\n').filter((line) => /^(ok |onnxruntime|PyTorch|predict\.py)/.test(line));
  for (const line of lines) console.log(`[export]   ${line}`);
  assert(/all 1 exports match Agora/.test(out), `check_export.py: ${out}`);
  return out;
}

async function exported(page, shots) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.click(testid('export-model'))]);
  const path = join(shots, download.suggestedFilename());
  await download.saveAs(path);
  await expectSoon(page, 'the export says what it holds', async () => /^Exported agora-.*model\.onnx/.test(await text(page, 'project-notice')), 10_000);
  return { path, name: download.suggestedFilename() };
}

async function run() {
  assert(PYTHON, 'AGORA_PY names the Python with torch, onnx and onnxruntime (scripts/env.sh sets it)');
  const started = Date.now();
  const server = await serve(DIST);
  const { context, egress } = await launch({ webgpu: false });
  const page = context.pages()[0] || await context.newPage();
  const log = [];
  watch(page, log);
  const shots = join(ARTIFACTS, 'export');
  await mkdir(shots, { recursive: true });
  try {
    await page.goto(`${server.url}#data=digits&net=${EVERY_LAYER}&seed=5&epochs=1&batch=64&backend=cpu`);
    await waitFor(page, 'the digits to load', async () => !(await page.locator(testid('lab-play')).isDisabled()), 120_000);
    const rows = async () => page.locator(testid('lab-epoch-row')).count();
    await page.locator(testid('lab-play')).click();
    const trainStart = Date.now();
    await waitFor(page, 'the one epoch', async () => /done/.test(await text(page, 'lab-progress')) && (await rows()) === 1, 240_000);
    const seconds = (Date.now() - trainStart) / 1000;
    const digits = await exported(page, shots);
    assert(digits.name === 'agora-digits-epoch-1-export.zip', `file name ${digits.name}`);
    console.log(`[export] digits, every layer type: one epoch in the page in ${seconds.toFixed(1)} s; ${digits.name}`);
    await page.screenshot({ path: join(shots, 'digits-exported.png') });
    check(digits.path, 'agora-digits');

    // The playground: the opening network on the circle, a few epochs, exported with its points.
    await page.goto(`${server.url}#data=circle&features=x1,x2,x1sq,x2sq&layers=6.tanh,3.relu&lr=0.03&batch=10&backend=cpu`);
    await waitFor(page, 'the worker to start', async () => (await text(page, 'backend-status')).includes('Running on CPU'), 120_000);
    await page.click(testid('play'));
    await waitFor(page, 'epoch 20', async () => (await epoch(page)) >= 20, 120_000);
    await page.click(testid('play'));
    await waitFor(page, 'the pause', async () => await paused(page), 10_000);
    const circle = await exported(page, shots);
    assert(/^agora-circle-epoch-\d+-export\.zip$/.test(circle.name), `file name ${circle.name}`);
    console.log(`[export] playground: ${circle.name}`);
    await page.screenshot({ path: join(shots, 'playground-exported.png') });
    check(circle.path, null);

    // A person's table (scikit-learn's iris): the export takes the table's own numbers — the
    // standardisation Agora did is in the ONNX graph and the scripts — and names its columns.
    await page.goto(`${server.url}#backend=cpu&lr=0.03&opt=adam&batch=10&layers=8.tanh`);
    await page.locator(testid('dataset-table')).click();
    await page.locator(testid('table-file')).setInputFiles(IRIS);
    await expectSoon(page, 'the table is read', async () => /^iris\.csv: 150 rows/.test(await text(page, 'table-summary')), 10_000);
    await expectSoon(page, 'the run is set up', async () => !(await page.locator(testid('play')).isDisabled()), 30_000);
    await page.click(testid('play'));
    await waitFor(page, 'epoch 30', async () => (await epoch(page)) >= 30, 120_000);
    await page.click(testid('play'));
    await waitFor(page, 'the pause', async () => await paused(page), 10_000);
    const iris = await exported(page, shots);
    console.log(`[export] table: ${iris.name}`);
    const out = check(iris.path, null);
    assert(/predict\.py data\/val\.csv: val\.csv row 1: (setosa|versicolor|virginica) /.test(out), `the iris export names its classes: ${out}`);

    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    const panics = log.filter((line) => /panicked|RuntimeError|unreachable|pageerror/.test(line));
    assert(panics.length === 0, `no panic in the page or worker:\n${panics.join('\n')}`);
    console.log(`[export] PASS in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    console.error(`[export] FAILED: ${error.message}\npage log:\n${log.slice(-30).join('\n')}`);
    process.exitCode = 1;
  } finally {
    await context.close();
    await server.close();
  }
}

await run();
