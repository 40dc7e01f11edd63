// Agora against TensorFlow.js 4.22 in the same headless Chromium, same machine, same run.
//
//   cd tests && node bench/speed.mjs          (after `trunk build --release`; ./bench.sh does both)
//
// Prints, and writes to artifacts/bench/speed.json:
//  - wasm sizes (raw, gzip -9, brotli 11) of dist/;
//  - page load to interactive on loopback (median of 5 fresh loads);
//  - samples/s of the reference workloads (agora_engine::bench) on Agora's CPU and WebGPU
//    backends, read from the page's own Speed test view;
//  - the same workloads in TensorFlow.js on cpu, wasm (SIMD), webgl and webgpu, wasm's CNN
//    both as shipped and with the Conv2DBackpropFilter shim (tests/bench/peer/tfjs-bench.js);
//  - ratios Agora-best / TF.js-best and Agora WebGPU / TF.js WebGPU;
//  - the backend Auto picks for the playground and the lab vs the faster one measured;
//  - the longest main-thread tasks (Long Tasks API, > 50 ms) while training.
// Env: AGORA_DIST (../dist), SKIP_WEBGPU=1 (CPU rows only), ROUNDS (CPU-side rounds, 3).
import { readFile, readdir, mkdir, writeFile } from 'node:fs/promises';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { serve, launch, waitFor, ARTIFACTS } from '../e2e/harness.mjs';

const DIST = resolve(process.env.AGORA_DIST || '../dist');
const WEBGPU = process.env.SKIP_WEBGPU !== '1';
const testid = (id) => `[data-testid="${id}"]`;
const WORKLOADS = ['mlp', 'cnn', 'playground'];
const LABELS = { mlp: 'MLP 784-128-10', cnn: 'CNN conv8-pool-conv16-pool-dense10', playground: 'Playground 2-8-8-2 (batch 10)' };
// The same rule as agora_engine::bench::TimingPlan::default().
const PLAN = { warmup_steps: 5, min_steps: 20, min_ms: 1000, segments: 3, budget_ms: 20000 };
const PLAYGROUND_REF = '#data=spiral&classes=2&noise=0&train=90&seed=1&features=x1,x2&layers=8.tanh,8.tanh&lr=0.001&batch=10&opt=adam&reg=none&regrate=0&backend=auto';

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (value) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—');
const results = { date: new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`, plan: PLAN };

// --- sizes -----------------------------------------------------------------------------------
results.sizes = [];
for (const name of (await readdir(DIST)).filter((file) => file.endsWith('.wasm')).sort()) {
  const bytes = await readFile(join(DIST, name));
  results.sizes.push({
    name,
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length,
  });
}
console.log('\n== wasm sizes (MB)');
let totals = { raw: 0, gzip: 0, brotli: 0 };
for (const size of results.sizes) {
  console.log(`${size.name.padEnd(40)} raw ${(size.raw / 1e6).toFixed(2)}  gzip ${(size.gzip / 1e6).toFixed(2)}  brotli ${(size.brotli / 1e6).toFixed(2)}`);
  for (const key of Object.keys(totals)) totals[key] += size[key];
}
console.log(`${'all wasm'.padEnd(40)} raw ${(totals.raw / 1e6).toFixed(2)}  gzip ${(totals.gzip / 1e6).toFixed(2)}  brotli ${(totals.brotli / 1e6).toFixed(2)}`);
results.sizes.push({ name: 'total', ...totals });

// --- one browser for everything ---------------------------------------------------------------
// The peer page is served cross-origin isolated (COOP/COEP), so TF.js's wasm backend may use
// threads where the machine allows (it takes half of hardwareConcurrency).
const app = await serve(DIST);
const peer = await serve(DIST, {
  mounts: { '/peer/tfjs/': resolve('node_modules/@tensorflow'), '/peer/': resolve('bench/peer') },
  headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
});
const { context, egress } = await launch({ webgpu: WEBGPU });
const log = [];
try {
  // --- load to interactive ---------------------------------------------------------------------
  // Interactive: the play button is enabled (page rendered, worker started and ready).
  await context.addInitScript(() => {
    const observer = new MutationObserver(() => {
      const play = document.querySelector('[data-testid="play"]');
      if (play && !play.disabled && !window.__agoraInteractive) {
        window.__agoraInteractive = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(document, { subtree: true, childList: true, attributes: true });
    window.__longTasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) window.__longTasks.push({ start: entry.startTime, duration: entry.duration });
      }).observe({ type: 'longtask', buffered: true });
    } catch { /* no Long Tasks API: reported as missing below */ }
  });
  const loads = [];
  for (let i = 0; i < 5; i++) {
    const page = await context.newPage();
    await page.goto(app.url);
    const interactive = await waitFor(page, 'the play button to enable', () => page.evaluate(() => window.__agoraInteractive), 30_000, 20);
    const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN);
    loads.push({ interactive, paint });
    await page.close();
  }
  results.load = { runs: loads, interactive_ms: median(loads.map((l) => l.interactive)), first_paint_ms: median(loads.map((l) => l.paint)) };
  console.log(`\n== page load on loopback (median of 5): first paint ${results.load.first_paint_ms.toFixed(0)} ms, interactive ${results.load.interactive_ms.toFixed(0)} ms`);

  // --- samples per second: rounds that alternate Agora and TF.js -------------------------------
  // This VM's speed drifts by tens of percent over minutes, so the CPU-side backends run in
  // ROUNDS rounds (Agora, then TF.js, then again) and each backend's figure is the median of its
  // rounds. The WebGPU rows (SwiftShader, slow) run once, one after the other.
  const agoraRun = async (backends) => {
    const page = await context.newPage();
    page.on('console', (msg) => { if (msg.type() === 'error') log.push(msg.text()); });
    await page.goto(`${app.url}#speed`);
    await page.locator(`${testid('speed-run')}:not([disabled])`).waitFor({ timeout: 60_000 });
    for (const backend of ['cpu', 'webgpu']) {
      if ((await page.isChecked(testid(`speed-use-${backend}`))) !== backends.includes(backend)) await page.click(testid(`speed-use-${backend}`));
    }
    results.agora.adapter = await page.locator('.speed .panel-note').nth(1).textContent();
    await page.click(testid('speed-run'));
    await waitFor(page, 'the speed test to finish', async () => (await page.getAttribute(testid('speed-table'), 'data-done')) === 'true', 30 * 60_000, 1000);
    for (const workload of WORKLOADS) {
      for (const backend of backends) {
        const cell = page.locator(testid(`speed-${workload}-${backend}`));
        const error = await cell.getAttribute('data-error');
        const entry = (results.agora[workload][backend] ??= { runs: [] });
        if (error) entry.error = error; else entry.runs.push(Number(await cell.getAttribute('data-rate')));
        console.log(`agora ${backend.padEnd(9)} ${workload.padEnd(10)} ${error ? `error: ${error}` : `${fmt(entry.runs.at(-1))} samples/s`}`);
      }
    }
    await page.close();
  };
  const tfjsRun = async (configs) => {
    for (const workload of WORKLOADS) {
      for (const config of configs) {
        if (config.only && !config.only.includes(workload)) continue;
        const tab = await context.newPage();
        await tab.goto(`${peer.url}peer/tfjs.html`);
        const outcome = await tab.evaluate(({ backend, workload, plan, shim }) => window.runTfjs(backend, workload, plan, { shim }),
          { backend: config.backend, workload, plan: PLAN, shim: !!config.shim });
        await tab.close();
        const entry = (results.tfjs[workload][config.name] ??= { runs: [], detail: [] });
        if (outcome.error) entry.error = outcome.error; else { entry.runs.push(median(outcome.segments)); entry.detail.push(outcome); }
        console.log(`tfjs  ${config.name.padEnd(9)} ${workload.padEnd(10)} ${outcome.error ? `error: ${outcome.error}` : `${fmt(median(outcome.segments))} samples/s${outcome.threads ? ` (${outcome.threads} thread${outcome.threads > 1 ? 's' : ''})` : ''}`}`);
      }
    }
  };
  results.agora = Object.fromEntries(WORKLOADS.map((w) => [w, {}]));
  results.tfjs = Object.fromEntries(WORKLOADS.map((w) => [w, {}]));
  const cpuConfigs = [
    { name: 'cpu', backend: 'cpu' },
    { name: 'wasm', backend: 'wasm' },
    { name: 'wasm+shim', backend: 'wasm', shim: true, only: ['cnn'] },
    { name: 'webgl', backend: 'webgl' },
  ];
  const rounds = Number(process.env.ROUNDS || 3);
  for (let round = 1; round <= rounds; round++) {
    console.log(`\n-- round ${round} of ${rounds}`);
    await agoraRun(['cpu']);
    await tfjsRun(cpuConfigs);
  }
  if (WEBGPU) {
    console.log('\n-- WebGPU');
    await agoraRun(['webgpu']);
    await tfjsRun([{ name: 'webgpu', backend: 'webgpu' }]);
  }
  for (const side of [results.agora, results.tfjs]) {
    for (const workload of WORKLOADS) for (const entry of Object.values(side[workload])) entry.rate = entry.runs.length ? median(entry.runs) : NaN;
  }

  // --- Auto's choice ------------------------------------------------------------------------------
  results.auto = {};
  {
    const tab = await context.newPage();
    await tab.goto(`${app.url}${PLAYGROUND_REF}`);
    await tab.locator(`${testid('play')}:not([disabled])`).waitFor({ timeout: 60_000 });
    await tab.click(testid('play'));
    const status = await waitFor(tab, 'Auto to choose a backend', async () => {
      const text = await tab.locator(testid('backend-status')).textContent();
      return /^Running on/.test(text) && (!WEBGPU || /measured/.test(text)) ? text : null;
    }, 10 * 60_000, 250);
    // Long tasks while the playground trains: 15 s from here.
    await tab.evaluate(() => { window.__longTasks = []; });
    await tab.waitForTimeout(15_000);
    const tasks = await tab.evaluate(() => window.__longTasks);
    results.longTasks = { playground: tasks };
    results.auto.playground = { status, chose: status.includes('WebGPU') && !status.startsWith('Running on CPU') ? 'webgpu' : 'cpu' };
    await tab.close();
  }
  {
    const tab = await context.newPage();
    await tab.goto(`${app.url}#lab`);
    await tab.locator(`${testid('lab-play')}:not([disabled])`).waitFor({ timeout: 120_000 });
    await tab.click(testid('lab-play'));
    const chose = await waitFor(tab, 'the lab to choose a backend', async () => {
      const text = await tab.locator(testid('lab-backend')).textContent().catch(() => '');
      return /^Training on/.test(text) && (!WEBGPU || /measured/.test(text)) ? tab.getAttribute(testid('lab-backend'), 'data-backend') : null;
    }, 10 * 60_000, 250);
    await tab.evaluate(() => { window.__longTasks = []; });
    await tab.waitForTimeout(20_000);
    results.longTasks.lab = await tab.evaluate(() => window.__longTasks);
    results.auto.lab = { status: await tab.locator(testid('lab-backend')).textContent(), chose: chose === 'WebGpu' ? 'webgpu' : 'cpu' };
    await tab.close();
  }
} finally {
  await context.close();
  await app.close();
  await peer.close();
}

// --- report ------------------------------------------------------------------------------------
const rate = (entry) => (entry && entry.runs?.length ? entry.rate : NaN);
console.log(`\n== samples per second (median over rounds of each run's median segment), same browser, same run`);
console.log(`${'workload'.padEnd(36)} ${'Agora CPU'.padStart(11)} ${'Agora WebGPU'.padStart(13)} | ${'TF.js cpu'.padStart(10)} ${'wasm'.padStart(9)} ${'wasm+shim'.padStart(10)} ${'webgl'.padStart(9)} ${'webgpu'.padStart(9)} | best/best  webgpu/webgpu`);
results.ratios = {};
for (const workload of WORKLOADS) {
  const a = results.agora[workload];
  const t = results.tfjs[workload];
  const agoraBest = Math.max(rate(a.cpu), rate(a.webgpu) || 0);
  const tfjsBest = Math.max(...Object.values(t).map((entry) => rate(entry) || 0));
  const tfjsShipped = Math.max(...Object.entries(t).filter(([name]) => name !== 'wasm+shim').map(([, entry]) => rate(entry) || 0));
  const ratio = agoraBest / tfjsBest;
  const gpuRatio = rate(a.webgpu) / rate(t.webgpu);
  results.ratios[workload] = { agoraBest, tfjsBest, tfjsShipped, bestOverBest: ratio, bestOverShipped: agoraBest / tfjsShipped, webgpuOverWebgpu: gpuRatio };
  console.log(`${LABELS[workload].padEnd(36)} ${fmt(rate(a.cpu)).padStart(11)} ${fmt(rate(a.webgpu)).padStart(13)} | ${fmt(rate(t.cpu)).padStart(10)} ${fmt(rate(t.wasm)).padStart(9)} ${fmt(rate(t['wasm+shim'])).padStart(10)} ${fmt(rate(t.webgl)).padStart(9)} ${fmt(rate(t.webgpu)).padStart(9)} | ${ratio.toFixed(2).padStart(8)}× ${Number.isFinite(gpuRatio) ? `${gpuRatio.toFixed(2)}×` : '—'}`);
}
for (const [workload, t] of Object.entries(results.tfjs)) {
  for (const [name, entry] of Object.entries(t)) if (entry.error) console.log(`  TF.js ${name} on ${workload}: ${entry.error}`);
}
for (const [workload, a] of Object.entries(results.agora)) {
  if (typeof a !== 'object') continue;
  for (const [name, entry] of Object.entries(a)) if (entry?.error) console.log(`  Agora ${name} on ${workload}: ${entry.error}`);
}
console.log(`Agora's adapter: ${results.agora.adapter}`);

console.log('\n== Auto backend choice');
for (const [view, workload] of [['playground', 'playground'], ['lab', 'cnn']]) {
  const a = results.agora[workload];
  const faster = rate(a.webgpu) > rate(a.cpu) ? 'webgpu' : 'cpu';
  results.auto[view].faster = faster;
  console.log(`${view.padEnd(11)} Auto chose ${results.auto[view].chose}; the speed test's faster backend for ${workload}: ${faster} — ${results.auto[view].chose === faster ? 'OK' : 'WRONG'}`);
}

console.log('\n== main thread while training (Long Tasks API: tasks over 50 ms)');
for (const [view, tasks] of Object.entries(results.longTasks)) {
  const longest = tasks.reduce((max, task) => Math.max(max, task.duration), 0);
  console.log(`${view.padEnd(11)} ${tasks.length} long task(s)${tasks.length ? `, longest ${longest.toFixed(0)} ms` : ' (none over 50 ms)'}`);
}
if (egress.length) console.log(`!! requests tried to leave the machine: ${egress.join(', ')}`);
if (log.length) console.log(`page errors:\n${log.join('\n')}`);
await mkdir(join(ARTIFACTS, 'bench'), { recursive: true });
await writeFile(join(ARTIFACTS, 'bench', 'speed.json'), JSON.stringify(results, null, 2));
console.log(`\nwrote ${join(ARTIFACTS, 'bench', 'speed.json')}`);
