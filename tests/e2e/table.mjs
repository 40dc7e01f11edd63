// Your own table of numbers, as a person takes it: choose scikit-learn's iris as a CSV file
// (written by scripts/make_tables.py), see its columns, train the playground's network on the
// four measurements and reach 90 % test accuracy; keep two columns and see the decision
// boundary on them; predict a number instead of a class; and open bad files — ragged rows,
// text where numbers are needed, an empty file, one class only, a file of 100 MB — each of which
// must say which line and what to do, and leave the open table as it was. CPU backend only:
// the WebGPU path is the playground's own (tests/e2e/playground.mjs).
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { serve, launch, watch, assert, expectSoon, waitFor, ARTIFACTS } from './harness.mjs';
import { violations, describe } from './axe.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = resolve(process.env.AGORA_DIST || '../dist');
const IRIS = resolve(HERE, '../fixtures/tables/iris.csv');
const TARGET = 0.9;

const testid = (id) => `[data-testid="${id}"]`;
const text = async (page, id) => ((await page.locator(testid(id)).textContent()) ?? '').trim();
const percent = async (page, id) => Number((await text(page, id)).replace('%', '')) / 100;

async function open(page, file) {
  await page.locator(testid('table-file')).setInputFiles(file);
}

async function run() {
  const server = await serve(DIST);
  const { context, egress } = await launch({ webgpu: false });
  const page = context.pages()[0] || await context.newPage();
  const log = [];
  watch(page, log);
  const shots = join(ARTIFACTS, 'table');
  await mkdir(shots, { recursive: true });
  const scratch = join(tmpdir(), `agora-table-${process.pid}`);
  await mkdir(scratch, { recursive: true });
  try {
    await page.goto(`${server.url}#backend=cpu&lr=0.03&opt=adam&batch=10&layers=8.tanh,8.tanh`);
    await page.locator(testid('dataset-table')).click();
    await open(page, IRIS);
    await expectSoon(page, 'the table is read', async () =>
      await text(page, 'table-summary') === 'iris.csv: 150 rows, 5 columns; predicting 3 classes from 4 features.', 10_000);
    assert(await page.locator(testid('table-label')).inputValue() === '4', 'the last column is the label');
    for (let column = 0; column < 4; column += 1) {
      assert(await page.locator(testid(`input-column-${column}`)).isVisible(), `input column ${column} stands in the network`);
    }
    const columnName = (await page.locator(`${testid('input-column-2')} .feature-label`).textContent()).trim();
    assert(columnName === 'petal_length_cm', `columns are named: ${columnName}`);
    assert(await page.locator(testid('no-plane')).isVisible(), 'four features: no plane to draw, and it says so');
    assert(/#.*table=iris\.csv&label=4&cols=0,1,2,3&task=classes&tclasses=3/.test(page.url()), `the link names the table: ${page.url()}`);

    // Train on the four measurements: the test accuracy reaches the target.
    await expectSoon(page, 'the run is set up', async () => !(await page.locator(testid('play')).isDisabled()), 30_000);
    await page.click(testid('play'));
    const reached = await waitFor(page, `test accuracy ≥ ${TARGET}`, async () => {
      const accuracy = await percent(page, 'test-accuracy');
      return accuracy >= TARGET ? accuracy : null;
    }, 120_000, 250);
    await page.click(testid('play'));
    await expectSoon(page, 'training pauses', async () => (await page.locator(testid('play')).getAttribute('aria-label')) === 'Start training', 30_000);
    const last = await percent(page, 'test-accuracy');
    assert(last >= TARGET, `the accuracy shown after pausing is the last one and still ≥ ${TARGET}: ${last}`);
    console.log(`[table] iris, 4 features: test accuracy ${(reached * 100).toFixed(1)} % (${(last * 100).toFixed(1)} % when paused), epoch ${await text(page, 'epoch')}`);
    await page.screenshot({ path: join(shots, '1-iris-four-features.png'), fullPage: true });
    { const found = await violations(page); assert(found.length === 0, `WCAG 2.2 A/AA violations on a table in the playground:\n${describe(found)}`); }

    // Bad files: each says which line and what to do; the open table stays.
    const summary = await text(page, 'table-summary');
    const bad = [
      ['ragged.csv', 'a,b,label\n1,2,x\n3,4\n5,6,y\n', /^ragged\.csv: Line 3 has 2 values but the header names 3 columns/],
      ['text.csv', 'a,b,label\n1,2,x\n3,four,y\n5,6,x\n7,8,y\n', /^text\.csv: Line 3, column "b": "four" is not a number\. Features must be numbers/],
      ['empty.csv', '', /^empty\.csv: The file is empty/],
      ['one-class.csv', 'a,b,label\n1,2,x\n3,4,x\n5,6,x\n', /^one-class\.csv: Every row has the same label \("x"\) in "label"/],
    ];
    for (const [name, content, expected] of bad) {
      const path = join(scratch, name);
      await writeFile(path, content);
      await open(page, path);
      await expectSoon(page, `${name} is refused with a reason`, async () =>
        (await page.locator(testid('table-error')).count()) === 1 && expected.test(await text(page, 'table-error')), 10_000);
      console.log(`[table] ${name}: ${await text(page, 'table-error')}`);
    }
    const huge = join(scratch, 'huge.csv');
    await writeFile(huge, Buffer.alloc(100 * 1024 * 1024, 0x31));
    await open(page, huge);
    await expectSoon(page, 'a 100 MB file is refused before it is read', async () =>
      /^huge\.csv: The file is 100 MB; tables up to 20 MB can be read here/.test(await text(page, 'table-error')), 10_000);
    await page.screenshot({ path: join(shots, '2-bad-file.png'), fullPage: true });
    // The one-class file opened (it reads) but did not replace the iris setup in the network.
    assert(await page.locator(testid('input-column-3')).isVisible(), 'the iris network is still set up');

    // Back to iris; keep two columns: the decision boundary is drawn on them.
    await open(page, IRIS);
    await expectSoon(page, 'iris again', async () => await text(page, 'table-summary') === summary, 10_000);
    await page.locator(testid('table-feature-0')).uncheck();
    await page.locator(testid('table-feature-1')).uncheck();
    await expectSoon(page, 'two features', async () => /from 2 features\.$/.test(await text(page, 'table-summary')), 10_000);
    await expectSoon(page, 'the plane is drawn', () => page.locator(testid('decision-boundary')).isVisible(), 10_000);
    await expectSoon(page, 'the run is set up again', async () => !(await page.locator(testid('play')).isDisabled()), 30_000);
    await page.click(testid('play'));
    await waitFor(page, 'petal length and width separate the species', async () => await percent(page, 'test-accuracy') >= TARGET, 120_000, 250);
    await page.click(testid('play'));
    await page.screenshot({ path: join(shots, '3-iris-petals.png'), fullPage: true });

    // Predict a number: the petal width from the other measurements. Its many values make it
    // a number by itself.
    await page.locator(testid('table-label')).selectOption('3');
    await expectSoon(page, 'a number to predict', async () => /predicting a number \(standardised\) from 1 feature\.$/.test(await text(page, 'table-summary')), 10_000);
    assert(await page.locator(testid('table-task')).inputValue() === 'number', 'the task follows the label column');
    await page.locator(testid('table-feature-0')).check();
    await page.locator(testid('table-feature-1')).check();
    await expectSoon(page, 'three features', async () => /from 3 features\.$/.test(await text(page, 'table-summary')), 10_000);
    await expectSoon(page, 'the regression run is set up', async () => !(await page.locator(testid('play')).isDisabled()), 30_000);
    await waitFor(page, 'a first reading', async () => (await text(page, 'test-loss')) !== '—', 30_000, 200);
    const before = Number(await text(page, 'test-loss'));
    await page.click(testid('play'));
    await waitFor(page, 'the test loss to fall below a quarter', async () => Number(await text(page, 'test-loss')) < Math.min(0.25, before / 2), 120_000, 250);
    await page.click(testid('play'));
    console.log(`[table] petal width as a number: test loss ${before} → ${await text(page, 'test-loss')} (standardised)`);
    await page.screenshot({ path: join(shots, '4-regression.png'), fullPage: true });

    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    const posts = server.requests.filter((r) => r.method !== 'GET' || r.length > 0);
    assert(posts.length === 0, `the table was never sent anywhere: ${JSON.stringify(posts)}`);
    const panics = log.filter((line) => /panicked|RuntimeError|unreachable/.test(line));
    assert(panics.length === 0, `no panic: ${panics.join('\n')}`);
    console.log('[table] PASS');
  } catch (error) {
    await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    console.error(`[table] FAIL: ${error.message}\n${log.slice(-30).join('\n')}`);
    throw error;
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await context.close();
    await server.close();
  }
}

run().then(() => process.exit(0), () => process.exit(1));
