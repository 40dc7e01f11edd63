// Beyond the browser and back: LeNet trains an epoch of the digits in the page, Save project,
// the `agora` command line trains it one more epoch natively, and Open project in the page
// shows epoch 2 (the page's own epoch row and the command line's), the run recorded with its
// native backend, and the same predictions as the command line's model: the page's
// probabilities for validation image 1 equal the softmax of the scores `agora export` wrote
// for it (check.safetensors), within 1e-5. Prints the epoch time of both. CPU only.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { serve, launch, watch, assert, waitFor, ARTIFACTS } from './harness.mjs';

const DIST = resolve(process.env.AGORA_DIST || '../dist');
const AGORA = process.env.AGORA_BIN || join(process.env.CARGO_TARGET_DIR || '../target', 'release/agora');
const PYTHON = process.env.AGORA_PY;

const testid = (id) => `[data-testid="${id}"]`;
const text = async (page, id) => ((await page.locator(testid(id)).textContent()) ?? '').trim();
const LENET = 'conv6k5s1p2d1,relu,max2s2,conv16k5s1p0d1,relu,max2s2,flat,fc120,relu,fc84,relu,fc10,softmax';

async function run() {
  assert(PYTHON, 'AGORA_PY names the Python with safetensors (scripts/env.sh sets it)');
  const started = Date.now();
  const server = await serve(DIST);
  const { context, egress } = await launch({ webgpu: false });
  const page = context.pages()[0] || await context.newPage();
  const log = [];
  watch(page, log);
  const shots = join(ARTIFACTS, 'cli');
  await mkdir(shots, { recursive: true });
  page.on('dialog', (dialog) => dialog.accept());
  const rows = async () => page.locator(testid('lab-epoch-row')).evaluateAll((els) =>
    els.map((el) => ({ epoch: Number(el.dataset.epoch), accuracy: Number(el.dataset.valAccuracy), seconds: el.children[6].textContent }))
      .sort((a, b) => a.epoch - b.epoch));
  const seen = async () => page.locator(testid('sample-label')).evaluate((el) =>
    ({ sample: el.dataset.sample, epoch: Number(el.dataset.epoch), p: (el.dataset.probabilities || '').split(',').map(Number) }));
  try {
    await page.goto(`${server.url}#data=digits&net=${LENET}&seed=3&epochs=1&batch=32&backend=cpu`);
    await waitFor(page, 'the digits to load', async () => !(await page.locator(testid('lab-play')).isDisabled()), 120_000);
    await page.locator(testid('lab-play')).click();
    await waitFor(page, 'the one epoch', async () => /done/.test(await text(page, 'lab-progress')) && (await rows()).length === 1, 180_000);
    const [pageEpoch] = await rows();

    const [download] = await Promise.all([page.waitForEvent('download'), page.click(testid('save-project'))]);
    const project = join(shots, 'digits.agora');
    await download.saveAs(project);

    const trained = execFileSync(AGORA, ['train', project, '--epochs', '1'], { encoding: 'utf8', timeout: 300_000 });
    const line = trained.split('\n').find((l) => /^epoch +2\/2/.test(l));
    assert(line, `agora train printed epoch 2: ${trained}`);
    const cliSeconds = Number(/ ([0-9.]+) s \(/.exec(line)[1]);
    const cliAccuracy = Number(/val loss [0-9.]+ +accuracy ([0-9.]+)/.exec(line)[1]);
    console.log(`[cli] epoch 1 in the page (wasm, CPU): ${pageEpoch.seconds}; epoch 2 by agora train (native CPU): ${cliSeconds} s`);

    // The command line's own scores for the first validation images, written by its export.
    const exported = join(shots, 'digits-export.zip');
    execFileSync(AGORA, ['export', project, '--no-data', '--out', exported], { encoding: 'utf8', timeout: 120_000 });
    const cliP = JSON.parse(execFileSync(PYTHON, ['-c', `
import io, json, sys, zipfile
import numpy as np
from safetensors.numpy import load
scores = load(zipfile.ZipFile(sys.argv[1]).read("check.safetensors"))["scores"][0].astype(np.float64)
p = np.exp(scores - scores.max()); p /= p.sum()
print(json.dumps(p.tolist()))`, exported], { encoding: 'utf8' }));

    await page.locator(testid('open-project')).setInputFiles(project);
    await waitFor(page, 'both epochs back', async () => (await rows()).length === 2, 120_000);
    const back = await rows();
    assert(Math.abs(back[1].accuracy - cliAccuracy) < 1e-4, `the page shows the command line's epoch 2: ${JSON.stringify(back)} vs ${cliAccuracy}`);
    await waitFor(page, 'the first image seen by the network trained natively', async () => {
      const now = await seen().catch(() => null);
      return now && now.sample === '0' && now.epoch === 2;
    }, 60_000);
    const pageP = (await seen()).p;
    const drift = Math.max(...pageP.map((p, i) => Math.abs(p - cliP[i])));
    assert(pageP.length === 10 && drift <= 1e-5, `the page and the command line predict the same: ${pageP} vs ${cliP}`);
    console.log(`[cli] validation image 1: the page's probabilities equal the command line's (largest difference ${drift.toExponential(2)})`);
    const runs = await page.locator('[data-testid="runs"]').textContent().catch(() => '');
    assert(/native/.test(runs), `the Runs panel shows the command line's run: ${runs}`);
    await page.screenshot({ path: join(shots, 'opened.png'), fullPage: true });

    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    const panics = log.filter((l) => /panicked|RuntimeError|unreachable|pageerror/.test(l));
    assert(panics.length === 0, `no panic in the page or worker:\n${panics.join('\n')}`);
    console.log(`[cli] PASS in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    console.error(`[cli] FAILED: ${error.message}\npage log:\n${log.slice(-30).join('\n')}`);
    process.exitCode = 1;
  } finally {
    await context.close();
    await server.close();
  }
}

await run();
