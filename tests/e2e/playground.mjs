// The TensorFlow Playground path, as a person takes it: open the page, build a network by
// dragging two Dense layers in, pick the spiral, press play, watch it reach 90 % test accuracy,
// change the learning rate mid-training, reload from the URL. Run once on WebGPU (SwiftShader's
// software adapter here) and once with the CPU backend forced. Every run asserts that no request
// left 127.0.0.1. Exits non-zero on the first failure; a run that cannot start fails too.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { serve, launch, watch, assert, expectSoon, holdsFor, waitFor, runEach, ARTIFACTS } from './harness.mjs';

const DIST = resolve(process.env.AGORA_DIST || '../dist');
const runs = (process.env.AGORA_E2E_BACKENDS || 'cpu,webgpu').split(',');
const TIMEOUT_MS = { cpu: 240_000, webgpu: 1_500_000 };

const testid = (id) => `[data-testid="${id}"]`;

async function text(page, id) {
  return (await page.locator(testid(id)).textContent())?.trim() ?? '';
}

async function epoch(page) {
  return Number((await text(page, 'epoch')).replace(/,/g, ''));
}

async function layerCount(page) {
  return page.locator('[data-testid^="layer-"]').count();
}

/** Presses on a palette item and drags it to the slot before hidden layer `slot`. */
async function dragPaletteItem(page, activation, slot) {
  const item = await page.locator(testid(`palette-dense-${activation}`)).boundingBox();
  const network = await page.locator(testid('network')).boundingBox();
  await page.mouse.move(item.x + item.width / 2, item.y + item.height / 2);
  await page.mouse.down();
  const x = network.x + 96 + slot * 128;
  const y = network.y + 150;
  await page.mouse.move(x, y, { steps: 12 });
  await expectSoon(page, 'a drop marker shows where the layer will go', () => page.locator(testid('drop-marker')).isVisible());
  await page.mouse.up();
}

/** Drags a layer by its handle to the slot before hidden layer `slot`. */
async function dragLayer(page, index, slot) {
  const handle = await page.locator(`${testid(`layer-${index}`)} .handle`).boundingBox();
  const network = await page.locator(testid('network')).boundingBox();
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(network.x + 96 + slot * 128, network.y + 150, { steps: 12 });
  await page.mouse.up();
}

/** A finger drag, through Chromium's touch input (pointer events of type "touch"). */
async function touchDrag(page, from, to) {
  const cdp = await page.context().newCDPSession(page);
  const touch = (type, points) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points });
  await touch('touchStart', [{ x: from.x, y: from.y }]);
  for (let i = 1; i <= 12; i += 1) {
    await touch('touchMove', [{ x: from.x + ((to.x - from.x) * i) / 12, y: from.y + ((to.y - from.y) * i) / 12 }]);
  }
  await touch('touchEnd', []);
  await cdp.detach();
}

async function setUnits(page, index, units) {
  const input = page.locator(testid(`units-${index}`));
  await input.fill(String(units));
}

/** Colour statistics of a canvas: distinct colours, orange-ish and blue-ish pixels. */
async function canvasStats(page, selector) {
  return page.evaluate((sel) => {
    const canvas = document.querySelector(sel);
    if (!canvas) return null;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set();
    let orange = 0;
    let blue = 0;
    for (let i = 0; i < data.length; i += 4) {
      colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      if (data[i] > data[i + 2] + 60) orange += 1;
      if (data[i + 2] > data[i] + 60) blue += 1;
    }
    return { distinct: colours.size, orange, blue, pixels: data.length / 4 };
  }, selector);
}

async function run(backend) {
  const started = Date.now();
  const log = [];
  const server = await serve(DIST);
  const { context, egress } = await launch({ webgpu: true });
  const shots = join(ARTIFACTS, backend);
  await mkdir(shots, { recursive: true });
  const page = await context.newPage();
  watch(page, log);
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  try {
    await page.goto(server.url);
    await page.locator(testid('network')).waitFor({ timeout: 60_000 });
    await waitFor(page, 'the worker to start', async () => !(await text(page, 'backend-status')).includes('starting'), 120_000);
    const webgpuStatus = await text(page, 'backend-status');
    console.log(`[${backend}] worker ready: ${webgpuStatus}`);
    assert(!webgpuStatus.includes('WebGPU unavailable'), `Chromium with --enable-unsafe-webgpu offers WebGPU (${webgpuStatus})`);

    // Start from an empty network: remove the two default layers.
    await expectSoon(page, 'the default network has two hidden layers', async () => await layerCount(page) === 2);
    await page.click(testid('remove-1'));
    await page.focus(testid('layer-0'));
    await page.keyboard.press('Delete');
    await expectSoon(page, 'both layers removed (button and Delete key)', async () => await layerCount(page) === 0);

    // Drag two Dense layers in from the palette.
    await dragPaletteItem(page, 'tanh', 0);
    await expectSoon(page, 'the first dragged layer is in', async () => await layerCount(page) === 1);
    await dragPaletteItem(page, 'tanh', 1);
    await expectSoon(page, 'the second dragged layer is in', async () => await layerCount(page) === 2);

    // Keyboard reorder: give them different sizes, move the second left.
    await setUnits(page, 0, 8);
    await setUnits(page, 1, 6);
    await page.focus(testid('layer-1'));
    await page.keyboard.press('ArrowLeft');
    await expectSoon(page, 'ArrowLeft moved layer 2 before layer 1', async () => await page.locator(testid('units-0')).inputValue() === '6');
    await dragLayer(page, 1, 0);
    await expectSoon(page, 'dragging a layer by its handle reorders it', async () =>
      await page.locator(testid('units-0')).inputValue() === '8' && await page.locator(testid('units-1')).inputValue() === '6');
    await setUnits(page, 1, 8);

    // A finger drags a ReLU layer to the end; D duplicates it; Delete removes both.
    const item = await page.locator(testid('palette-dense-relu')).boundingBox();
    const network = await page.locator(testid('network')).boundingBox();
    await touchDrag(page, { x: item.x + item.width / 2, y: item.y + item.height / 2 }, { x: network.x + 96 + 2 * 128, y: network.y + 150 });
    await expectSoon(page, 'a touch drag added a third layer', async () => await layerCount(page) === 3);
    await expectSoon(page, 'the touched layer is ReLU', async () => await page.locator(testid('activation-2')).inputValue() === 'relu');
    await page.focus(testid('layer-2'));
    await page.keyboard.press('d');
    await expectSoon(page, 'D duplicated the layer', async () => await layerCount(page) === 4);
    await page.keyboard.press('Delete');
    await expectSoon(page, 'Delete removed the duplicate', async () => await layerCount(page) === 3);
    await page.focus(testid('layer-2'));
    await page.keyboard.press('Delete');
    await expectSoon(page, 'Delete removed the ReLU layer', async () => await layerCount(page) === 2);

    // An invalid network says why and cannot be trained.
    await setUnits(page, 1, 0);
    await expectSoon(page, 'an invalid network is explained', async () =>
      (await page.locator(testid('spec-error')).count()) === 1 &&
      (await text(page, 'spec-error')).includes('Layer 2 (Dense) has 0 neurons: give it at least 1 neuron'));
    await expectSoon(page, 'play is disabled for an invalid network', async () => await page.locator(testid('play')).isDisabled());
    await setUnits(page, 1, 8);
    await expectSoon(page, 'the error clears once fixed', async () => await page.locator(testid('spec-error')).count() === 0);

    // Live shapes and parameter counts.
    await page.click(testid('dataset-spiral'));
    for (const key of ['x1', 'x2', 'x1sq', 'x2sq', 'x1x2', 'sinx1', 'sinx2']) {
      const feature = page.locator(testid(`feature-${key}`));
      if ((await feature.getAttribute('aria-pressed')) !== 'true') await feature.click();
    }
    await expectSoon(page, 'layer 1 shows its shape and parameters', async () => {
      const shape0 = await text(page, 'shape-0');
      return shape0.includes('[batch, 8]') && shape0.includes(`${7 * 8 + 8} params`);
    });
    await expectSoon(page, 'the network shows its total parameters', async () =>
      (await text(page, 'total-params')).includes(`${64 + 72 + 18} parameters`));

    await page.selectOption(testid('optimizer'), 'adam');
    // The CPU run trains with dropout too (the lab's layers are the playground's now); the
    // WebGPU run keeps the plain network, as its software adapter is slow.
    if (backend === 'cpu') {
      await page.selectOption(testid('dropout-1'), '10');
      await expectSoon(page, 'dropout is in the link', async () => page.url().includes('layers=8.tanh,8.tanh.d10'));
    }
    await page.locator(testid('batch-size')).fill('25');
    await page.selectOption(testid('backend'), backend);
    const expected = backend === 'webgpu' ? 'Running on WebGPU' : 'Running on CPU (wasm)';
    await waitFor(page, `backend ${backend}`, async () => (await text(page, 'backend-status')).includes(expected), 300_000);
    await page.screenshot({ path: join(shots, '1-built.png'), fullPage: true });

    // Train.
    await page.evaluate(() => { window.__longTasks = []; });
    const trainStart = Date.now();
    await page.click(testid('play'));
    await waitFor(page, 'epoch 10', async () => (await epoch(page)) >= 10, TIMEOUT_MS[backend]);
    const before = await epoch(page);
    await page.selectOption(testid('learning-rate'), '0.01');
    await waitFor(page, 'training to go on after the learning-rate change', async () => (await epoch(page)) > before + 2, TIMEOUT_MS[backend]);
    assert(page.url().includes('lr=0.01'), `the new learning rate is in the URL: ${page.url()}`);
    const accuracy = await waitFor(page, 'test accuracy >= 90%', async () => {
      const value = parseFloat(await text(page, 'test-accuracy'));
      return value >= 90 ? value : null;
    }, TIMEOUT_MS[backend], 1000);
    const trainedEpochs = await epoch(page);
    const seconds = (Date.now() - trainStart) / 1000;
    await page.click(testid('play'));
    await expectSoon(page, 'pause shows at once, even mid-epoch on a slow GPU', async () =>
      (await page.locator(testid('play')).getAttribute('aria-label')) === 'Start training', 2_000);
    const longTasks = await page.evaluate(() => window.__longTasks);
    console.log(`[${backend}] test accuracy ${accuracy}% at epoch ${trainedEpochs} after ${seconds.toFixed(1)} s; ` +
      `main-thread tasks over 50 ms while training: ${longTasks.length}, longest ${Math.max(0, ...longTasks).toFixed(0)} ms`);

    // The heatmaps are drawn, not blank.
    const boundary = await canvasStats(page, `${testid('decision-boundary')}`);
    assert(boundary && boundary.distinct > 50, `decision boundary has many colours: ${JSON.stringify(boundary)}`);
    assert(boundary.orange > boundary.pixels * 0.1 && boundary.blue > boundary.pixels * 0.1,
      `decision boundary shows both classes: ${JSON.stringify(boundary)}`);
    for (const neuron of ['neuron-0-0', 'neuron-1-3']) {
      const stats = await canvasStats(page, `${testid(neuron)} canvas`);
      assert(stats && stats.distinct > 10, `${neuron} heatmap is not blank: ${JSON.stringify(stats)}`);
    }
    // The loss chart: both curves drawn, axes with ticks, and the values under the pointer.
    const curves = await page.locator(`${testid('loss-chart')} polyline.series`).evaluateAll((lines) => lines.map((l) => l.getAttribute('points').split(' ').length));
    assert(curves.length === 2 && curves.every((n) => n > 2), `the loss chart draws training and test: ${curves}`);
    assert(await page.locator(`${testid('loss-chart')} text.tick`).count() >= 5, 'the loss chart has ticks');
    const box = await page.locator(`${testid('loss-chart')} svg.chart-svg`).boundingBox();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
    await expectSoon(page, 'the chart reads the values under the pointer', async () =>
      /^epoch \d+: training \d\.\d{4} · test \d\.\d{4}$/.test(await text(page, 'loss-chart-readout')), 3_000);
    await page.locator(testid('loss-chart')).screenshot({ path: join(ARTIFACTS, 'chart-loss.png') });
    await page.hover(testid('neuron-1-0'));
    await page.locator(testid('neuron-zoom')).waitFor({ timeout: 5_000 });
    const zoom = await canvasStats(page, `${testid('neuron-zoom')} canvas`);
    assert(zoom && zoom.distinct > 10, 'hovering a neuron shows its heatmap large');
    const linkPaths = await page.locator('svg.links path').count();
    assert(linkPaths === 7 * 8 + 8 * 8 + 8 * 2, `one connection per weight: ${linkPaths}`);
    // The test set's confusion matrix: every test point counted once, mostly on the diagonal
    // (the accuracy shown), and the calibration error beside it.
    const cells = await page.locator(`${testid('playground-confusion')} td`).evaluateAll((tds) => tds.map((td) => Number(td.textContent)));
    const total = cells.reduce((a, b) => a + b, 0);
    const diagonal = cells[0] + cells[3];
    assert(cells.length === 4 && total === 250, `the confusion matrix counts the 250 test points: ${cells}`);
    const shown = parseFloat(await text(page, 'test-accuracy'));
    assert(Math.abs((diagonal / total) * 100 - shown) < 0.11, `its diagonal is the test accuracy: ${diagonal}/${total} vs ${shown} %`);
    assert(/^Expected calibration error: \d+\.\d %/.test(await text(page, 'playground-ece')), 'the calibration error is shown');
    await page.screenshot({ path: join(shots, '2-trained.png'), fullPage: true });

    // Reload from the URL: the same setup comes back.
    const hash = new URL(page.url()).hash;
    assert(hash.includes('data=spiral') && hash.includes(backend === 'cpu' ? 'layers=8.tanh,8.tanh.d10' : 'layers=8.tanh,8.tanh&') && hash.includes('opt=adam'),
      `the URL holds the setup: ${hash}`);
    await page.reload();
    await page.locator(testid('network')).waitFor({ timeout: 60_000 });
    assert(new URL(page.url()).hash === hash, `the URL is unchanged after reload: ${page.url()}`);
    await expectSoon(page, 'two layers after reload', async () => await layerCount(page) === 2);
    await expectSoon(page, 'layer sizes after reload', async () => await page.locator(testid('units-1')).inputValue() === '8');
    await expectSoon(page, 'spiral after reload', async () => await page.locator(testid('dataset-spiral')).getAttribute('aria-pressed') === 'true');
    await expectSoon(page, 'learning rate after reload', async () => await page.locator(testid('learning-rate')).inputValue() === '0.01');
    await expectSoon(page, 'optimizer after reload', async () => await page.locator(testid('optimizer')).inputValue() === 'adam');
    await expectSoon(page, 'backend after reload', async () => await page.locator(testid('backend')).inputValue() === backend);
    await expectSoon(page, 'features after reload', async () => await page.locator(testid('feature-sinx2')).getAttribute('aria-pressed') === 'true');
    await waitFor(page, 'the reloaded run to show its first snapshot', async () => (await text(page, 'test-loss')) !== '—', 300_000);
    await page.screenshot({ path: join(shots, '3-reloaded.png'), fullPage: true });

    if (backend === 'cpu') {
      // Making the network invalid while it trains stops the old network.
      await page.click(testid('play'));
      await waitFor(page, 'training to run', async () => (await page.locator(testid('play')).getAttribute('aria-label')) === 'Pause training', 30_000);
      await setUnits(page, 1, 0);
      await expectSoon(page, 'an invalid network pauses training', async () =>
        (await page.locator(testid('play')).getAttribute('aria-label')) === 'Start training');
      // The button flips at once, but a tick already in flight may still report: wait until
      // the epoch shown stops changing, then none may follow.
      let stopped = await epoch(page);
      await waitFor(page, 'the tick in flight to report', async () => {
        await page.waitForTimeout(300);
        const now = await epoch(page);
        const settled = now === stopped;
        stopped = now;
        return settled;
      }, 10_000, 0);
      await holdsFor(page, 'no epochs run behind an invalid network', async () => await epoch(page) === stopped, 1_500);
      await setUnits(page, 1, 8);

      // Auto times both backends when play is pressed and keeps the faster one.
      await page.selectOption(testid('backend'), 'auto');
      await waitFor(page, 'Auto to wait for play', async () => (await text(page, 'backend-status')).includes('not measured yet'), 60_000);
      await page.click(testid('play'));
      const auto = await waitFor(page, 'the backend measurement', async () =>
        (await text(page, 'backend-status')).match(/Running on (.*?) \(measured faster: ([\d.]+) ms vs ([\d.]+) ms per epoch/), 300_000);
      await page.click(testid('play'));
      // The measured timings themselves, per backend, not the message's order.
      const status = page.locator(testid('backend-status'));
      const active = await status.getAttribute('data-active');
      const cpuMs = Number(await status.getAttribute('data-cpu-ms'));
      const gpuAttr = await status.getAttribute('data-webgpu-ms');
      console.log(`[${backend}] Auto chose ${active}: CPU ${cpuMs} ms, WebGPU ${gpuAttr ?? 'unavailable'} ms per epoch (${auto[0]})`);
      assert(Number.isFinite(cpuMs) && cpuMs > 0, `the CPU was timed: ${cpuMs}`);
      if (gpuAttr === null) {
        assert(active === 'cpu', `without a WebGPU timing Auto keeps the CPU: ${active}`);
      } else {
        const gpuMs = Number(gpuAttr);
        const faster = gpuMs < cpuMs ? 'webgpu' : 'cpu';
        assert(active === faster, `Auto picked the faster backend: ${active}, CPU ${cpuMs} ms vs WebGPU ${gpuMs} ms`);
      }

      // Divergence: a huge learning rate on ReLU regression pauses training with advice.
      await page.click(testid('dataset-plane'));
      await page.selectOption(testid('activation-0'), 'relu');
      await page.selectOption(testid('activation-1'), 'relu');
      await page.selectOption(testid('optimizer'), 'sgd');
      await page.selectOption(testid('learning-rate'), '10');
      await waitFor(page, 'the plane run to be set up', async () => !(await page.locator(testid('play')).isDisabled()), 60_000);
      await page.click(testid('play'));
      await page.locator(testid('diverged')).waitFor({ timeout: 120_000 });
      const message = await text(page, 'diverged');
      assert(message.includes('Lower the learning rate'), `divergence explained: ${message}`);
      await expectSoon(page, 'play is disabled after divergence until reset', async () => await page.locator(testid('play')).isDisabled());
      await page.selectOption(testid('learning-rate'), '0.01');
      await page.click(testid('reset'));
      await waitFor(page, 'reset to clear the divergence', async () => (await page.locator(testid('diverged')).count()) === 0, 30_000);
      await expectSoon(page, 'reset brings the network back to epoch 0', async () => await epoch(page) === 0);
      await page.screenshot({ path: join(shots, '4-after-divergence.png'), fullPage: true });

      // The lab's layers in the playground: batch norm and a skip connection per layer.
      await page.click(testid('dataset-spiral'));
      await page.locator(testid('norm-0')).check();
      await expectSoon(page, 'batch norm counts its scale and shift', async () => (await text(page, 'shape-0')).includes(`${7 * 8 + 8 + 16} params`));
      await page.locator(testid('skip-1')).check();
      await expectSoon(page, 'a skip between layers of the same width is valid', async () =>
        (await page.locator(testid('spec-error')).count()) === 0 && /layers=8\.relu\.bn,8\.relu\.res/.test(page.url()));
      await page.locator(testid('skip-0')).check();
      await expectSoon(page, 'a skip across different widths says what to do', async () =>
        (await page.locator(testid('spec-error')).count()) === 1 &&
        (await text(page, 'spec-error')).includes("Layer 1's skip adds 7 values to its own 8"));
      await page.locator(testid('skip-0')).uncheck();
      await expectSoon(page, 'play is back', async () => !(await page.locator(testid('play')).isDisabled()), 30_000);
      await page.click(testid('step'));
      await waitFor(page, 'a step with batch norm and a skip', async () => await epoch(page) >= 1, 30_000, 100);

      // Every schedule: a cosine needs an end, trains to it and stops there; the link keeps it.
      await page.locator('[data-testid="more-settings"] summary').click();
      await page.selectOption(testid('playground-schedule'), 'cos');
      await expectSoon(page, 'a cosine gets 200 epochs', async () =>
        await page.locator(testid('playground-epochs')).inputValue() === '200' && /&sched=cos&(.*&)?epochs=200&/.test(page.url()));
      const lastEpoch = 25;
      await page.locator(testid('playground-epochs')).fill(String(lastEpoch));
      await page.locator(testid('playground-epochs')).press('Tab');
      await expectSoon(page, 'the link holds the epochs', async () => page.url().includes(`&epochs=${lastEpoch}&`));
      await page.locator(testid('playground-warmup')).fill('3');
      await page.locator(testid('playground-warmup')).press('Tab');
      await expectSoon(page, 'the link holds the warm-up', async () => page.url().includes('&warmup=3&'));
      await page.screenshot({ path: join(shots, '5-schedule.png') });
      await page.click(testid('reset'));
      await expectSoon(page, 'reset to epoch 0', async () => await epoch(page) === 0, 30_000);
      await page.click(testid('play'));
      await waitFor(page, 'the cosine schedule to finish', async () => (await page.locator(testid('finished')).count()) === 1, 120_000, 100);
      assert(await epoch(page) === lastEpoch, `training stopped at the schedule's last epoch: ${await epoch(page)}`);
      await holdsFor(page, 'no epoch after the last', async () => await epoch(page) === lastEpoch
        && (await page.locator(testid('play')).getAttribute('aria-label')) === 'Start training', 1_000);
      // Going on needs more epochs: an empty count trains until paused again (constant rate).
      await page.selectOption(testid('playground-schedule'), 'const');
      await page.locator(testid('playground-epochs')).fill('');
      await page.locator(testid('playground-epochs')).press('Tab');
      await expectSoon(page, 'until paused again', async () => !page.url().includes('&epochs='));
      await page.click(testid('play'));
      await waitFor(page, 'training to go on past the old end', async () => await epoch(page) > lastEpoch, 30_000, 100);
      await page.click(testid('play'));
    }

    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    const bodies = server.requests.filter((r) => r.method !== 'GET' || r.length > 0);
    assert(bodies.length === 0, `the page only fetched its own files: ${JSON.stringify(bodies)}`);
    const panics = log.filter((line) => /panicked|RuntimeError|unreachable/.test(line));
    assert(panics.length === 0, `no panic in the page or worker:\n${panics.join('\n')}`);
    console.log(`[${backend}] passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    console.error(`[${backend}] FAILED: ${error.message}\npage log:\n${log.slice(-40).join('\n')}`);
    throw error;
  } finally {
    await context.close();
    await server.close();
  }
}

await runEach(runs, run);
