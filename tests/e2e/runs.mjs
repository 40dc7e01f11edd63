// Every run recorded, as a person meets it: three runs of the digits with three learning
// rates appear in the Runs table; sorted by test accuracy; two ticked show their curves
// overlaid and a diff of only what differs; one restored (its weights, recipe and epochs back),
// one forked (the next run is its child); labelled; the history exported as CSV and JSON that
// pandas reads; the model card with every section, saved as HTML and Markdown; and the
// project file, dropped on the page in a fresh browser (another computer), brings every run
// back. CPU only.
import { mkdir, readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, watch, assert, expectSoon, waitFor, ARTIFACTS } from './harness.mjs';
import { violations, describe } from './axe.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = resolve(process.env.AGORA_DIST || '../dist');
const CHECK = resolve(HERE, '../../scripts/check_runs_export.py');
const SECTIONS = ['details', 'intended-use', 'limits', 'data', 'performance', 'calibration', 'mistakes', 'recipe', 'privacy'];
const HEADINGS = ['Model details', 'Intended use', 'Known limits', 'Data', 'Performance', 'Calibration', 'Most confident mistakes', 'Training recipe', 'Privacy'];

const testid = (id) => `[data-testid="${id}"]`;
const text = async (page, id) => ((await page.locator(testid(id)).first().textContent()) ?? '').trim();

// The Runs table as shown: id, parent, label, learning rate, epochs, test accuracy, current.
const table = (page) => page.locator(testid('run-row')).evaluateAll((rows) => rows.map((row) => {
  const cell = (key) => row.querySelector(`[data-column="${key}"]`)?.textContent.trim() ?? '';
  const [id, parent] = cell('run').split('←').map((s) => s.trim());
  return {
    id: Number(id), parent: parent ? Number(parent) : null,
    label: row.querySelector('[data-testid="run-label"]').value,
    lr: Number(cell('lr')), epochs: Number(cell('epochs')),
    accuracy: Number(cell('test-accuracy').replace(' %', '')) / 100,
    current: row.classList.contains('current'),
  };
}));
const epochRows = (page) => page.locator(testid('lab-epoch-row')).evaluateAll((els) =>
  els.map((el) => [Number(el.dataset.epoch), Number(el.dataset.valAccuracy)]).sort((a, b) => a[0] - b[0]));

async function field(page, id, value) {
  const input = page.locator(testid(id));
  await input.fill(String(value));
  await input.press('Tab');
}

async function trainOneRun(page, runs) {
  await waitFor(page, 'ready to train', async () => !(await page.locator(testid('lab-play')).isDisabled()), 120_000);
  await page.locator(testid('lab-play')).click();
  await waitFor(page, `run ${runs} recorded and done`, async () =>
    /done/.test(await text(page, 'lab-progress')) && (await table(page)).length === runs, 180_000);
  // The pause keeps the weights (the row says which epoch's).
  await waitFor(page, 'its weights kept', async () => (await page.locator(`${testid('run-row')}.current`).textContent()).includes('weights of epoch'), 30_000);
}

function pandasPython() {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import pandas'], { stdio: 'ignore' });
      return python;
    } catch { /* try the next */ }
  }
  throw new Error('no python3 with pandas: scripts/setup.sh installs python3-pandas');
}

async function download(page, shots, button) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(testid(button))]);
  const path = join(shots, file.suggestedFilename());
  await file.saveAs(path);
  return { name: file.suggestedFilename(), path, text: await readFile(path, 'utf8') };
}

async function run() {
  const started = Date.now();
  const server = await serve(DIST);
  let { context, egress } = await launch({ webgpu: false });
  let page = context.pages()[0] || await context.newPage();
  const log = [];
  watch(page, log);
  const shots = join(ARTIFACTS, 'runs');
  await mkdir(shots, { recursive: true });
  const accept = (p) => p.on('dialog', (dialog) => dialog.accept());
  accept(page);
  try {
    await page.goto(`${server.url}#data=digits&net=flat,fc32,relu,fc10,softmax&seed=3&epochs=1&batch=64&lr=0.002&backend=cpu`);
    await expectSoon(page, 'no run yet', async () => (await page.locator(testid('runs-empty')).count()) === 1, 60_000);
    await trainOneRun(page, 1);
    // Two more runs with other learning rates: change it, Reset, train.
    for (const [lr, runs] of [[0.0002, 2], [0.02, 3]]) {
      await field(page, 'lab-lr', lr);
      await page.locator(testid('lab-reset')).click();
      await trainOneRun(page, runs);
    }
    let rows = await table(page);
    assert(JSON.stringify(rows.map((r) => [r.id, r.lr, r.epochs])) === JSON.stringify([[1, 0.002, 1], [2, 0.0002, 1], [3, 0.02, 1]]), `three runs: ${JSON.stringify(rows)}`);
    assert(rows.every((r) => r.accuracy > 0.1 && r.accuracy <= 1) && rows[2].current, `measured, the last on screen: ${JSON.stringify(rows)}`);
    console.log(`[runs] three runs: ${rows.map((r) => `lr ${r.lr} → ${(r.accuracy * 100).toFixed(2)} %`).join(', ')}`);

    // Sorted by test accuracy, best first.
    await page.click(testid('sort-test-accuracy'));
    await page.click(testid('sort-test-accuracy'));
    const sorted = await table(page);
    const byAccuracy = [...rows].sort((a, b) => b.accuracy - a.accuracy || a.id - b.id).map((r) => r.id);
    assert(JSON.stringify(sorted.map((r) => r.id)) === JSON.stringify(byAccuracy), `sorted ${sorted.map((r) => r.id)}, expected ${byAccuracy}`);
    await page.click(testid('sort-run'));

    // Tick runs 1 and 2: their curves overlaid, and only what differs.
    const tick = (id) => page.locator(`${testid('run-row')}[data-run="${id}"] ${testid('run-tick')}`).check();
    await tick(1);
    await tick(2);
    await expectSoon(page, 'two curves in each chart', async () =>
      (await page.locator(`${testid('runs-loss')} polyline`).count()) === 2 && (await page.locator(`${testid('runs-accuracy')} polyline`).count()) === 2);
    const diff = await page.locator(testid('diff-row')).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));
    assert(JSON.stringify(diff) === JSON.stringify([['recipe.learning_rate', '0.002', '0.0002']]), `the diff: ${JSON.stringify(diff)}`);
    await page.locator(`${testid('run-row')}[data-run="1"] ${testid('run-label')}`).fill('best');
    await page.locator(`${testid('run-row')}[data-run="1"] ${testid('run-label')}`).press('Tab');
    await page.locator(testid('runs')).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'runs.png'), fullPage: true });
    { const found = await violations(page); assert(found.length === 0, `WCAG 2.2 A/AA violations on the runs view:\n${describe(found)}`); }

    // Restore run 1: its learning rate and its epoch back, as the current run.
    await page.locator(`${testid('run-row')}[data-run="1"] ${testid('run-restore')}`).click();
    await waitFor(page, 'run 1 back', async () => {
      const epochs = await epochRows(page);
      return epochs.length === 1 && Math.abs(epochs[0][1] - rows[0].accuracy) < 0.0005 && (await table(page))[0].current;
    }, 60_000);
    assert(Number(await page.locator(testid('lab-lr')).inputValue()) === 0.002, 'the restored recipe');
    // Fork run 2 and train a second epoch: a new run, its child, going on from epoch 1.
    await page.locator(`${testid('run-row')}[data-run="2"] ${testid('run-fork')}`).click();
    await waitFor(page, 'run 2 back to fork', async () => Number(await page.locator(testid('lab-lr')).inputValue()) === 0.0002 && (await epochRows(page)).length === 1, 60_000);
    await field(page, 'lab-epochs', 2);
    await trainOneRun(page, 4);
    rows = await table(page);
    const child = rows.find((r) => r.id === 4);
    assert(child && child.parent === 2 && child.epochs === 2 && child.current, `the fork: ${JSON.stringify(rows)}`);
    assert(rows.find((r) => r.id === 2).epochs === 1 && rows.find((r) => r.id === 1).label === 'best', `the others as they were: ${JSON.stringify(rows)}`);

    // Exports: one CSV row per run; pandas reads both files as they are.
    const csv = await download(page, shots, 'runs-csv');
    const json = await download(page, shots, 'runs-json');
    const lines = csv.text.split('\r\n').filter((line) => line);
    assert(lines.length === 1 + 4 && lines[0].startsWith('run,parent,label,started'), `the CSV:\n${csv.text}`);
    const checked = execFileSync(pandasPython(), [CHECK, csv.path, json.path, '4', '4', '2'], { encoding: 'utf8' });
    console.log(`[runs] ${checked.trim()}`);

    // The model card of the model on screen (run 4): every section, the person's words in it.
    await page.click(testid('show-card'));
    await field(page, 'card-use', 'Read digits written on a tablet, for a class demo.');
    await field(page, 'card-limits', 'Only digits like MNIST\'s: centred, white on black.');
    await expectSoon(page, 'the card measured', async () => /Measured on the validation set/.test(await text(page, 'model-card')), 60_000);
    const sections = await page.locator(`${testid('model-card')} section`).evaluateAll((els) => els.map((el) => el.dataset.section));
    assert(JSON.stringify(sections) === JSON.stringify(SECTIONS), `sections ${sections}`);
    const card = await text(page, 'model-card');
    assert(card.includes('class demo') && card.includes('run 4') && card.includes('Forked from'), `the card names its run and notes: ${card.slice(0, 600)}`);
    assert((await page.locator(`${testid('model-card')} .card-mistakes img`).count()) > 0, 'mistakes have thumbnails');
    await page.locator(testid('model-card')).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'model-card.png'), fullPage: true });
    { const found = await violations(page); assert(found.length === 0, `WCAG 2.2 A/AA violations on the model card:\n${describe(found)}`); }
    const html = await download(page, shots, 'card-html');
    const md = await download(page, shots, 'card-markdown');
    for (const [id, heading] of SECTIONS.map((id, i) => [id, HEADINGS[i]])) {
      assert(html.text.includes(`data-section="${id}"`), `HTML card has ${id}`);
      assert(md.text.includes(`## ${heading}\n`), `Markdown card has ${heading}`);
    }
    assert(html.text.startsWith('<!doctype html>') && md.text.includes('class demo'), 'the saved cards');
    // Opened by itself, the saved HTML is the card, with no request anywhere.
    const cardPage = await context.newPage();
    await cardPage.setContent(html.text);
    assert((await cardPage.locator('article.model-card section').count()) === SECTIONS.length, 'the saved HTML card opens on its own');
    await cardPage.screenshot({ path: join(shots, 'model-card-file.png'), fullPage: true });
    await cardPage.close();

    // The project file carries every run to a fresh browser.
    const [saved] = await Promise.all([page.waitForEvent('download'), page.click(testid('save-project'))]);
    const projectPath = join(shots, saved.suggestedFilename());
    await saved.saveAs(projectPath);
    const before = await table(page);
    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    await context.close();
    ({ context, egress } = await launch({ webgpu: false }));
    page = context.pages()[0] || await context.newPage();
    watch(page, log);
    accept(page);
    await page.goto(`${server.url}#data=digits&backend=cpu`);
    await waitFor(page, 'the worker', async () => !(await page.locator(testid('lab-play')).isDisabled()), 120_000);
    // Dropped on the page, as a person drags it from their files.
    const dropped = (await readFile(projectPath)).toString('base64');
    await page.evaluate(({ dropped, name }) => {
      const bytes = Uint8Array.from(atob(dropped), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], name, { type: 'application/zip' }));
      const target = document.querySelector('.lab') || document.body;
      for (const type of ['dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, { dropped, name: saved.suggestedFilename() });
    await waitFor(page, 'the runs back in a fresh browser', async () => JSON.stringify(await table(page)) === JSON.stringify(before), 60_000);
    await waitFor(page, 'the run on screen back', async () => (await epochRows(page)).length === 2, 60_000);
    console.log(`[runs] ${before.length} runs came back in a fresh browser from ${saved.suggestedFilename()} (${(await readFile(projectPath)).length} bytes)`);
    await page.screenshot({ path: join(shots, 'reopened.png'), fullPage: true });

    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    const panics = log.filter((line) => /panicked|RuntimeError|unreachable/.test(line));
    assert(panics.length === 0, `no panic in the page or worker:\n${panics.join('\n')}`);
    console.log(`[runs] PASS in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    console.error(`[runs] FAILED: ${error.message}\npage log:\n${log.slice(-30).join('\n')}`);
    process.exitCode = 1;
  } finally {
    await context.close();
    await server.close();
  }
}

if (!existsSync(CHECK)) throw new Error(`missing ${CHECK}`);
await run();
