// Lessons as a person meets them: a shipped lesson opened from a link runs end to end (steps
// that set up the project, hide and lock controls, goals met by training and by answering,
// each acknowledged), presenter mode with the keyboard, a lesson file of one's own (and a
// broken one refused with a message, losing nothing), the same lesson opened from its shared
// link, a reload mid-lesson; then a screenshot of every step of every shipped lesson. CPU only.
import { mkdir, writeFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve, launch, watch, assert, expectSoon, waitFor, ARTIFACTS } from './harness.mjs';

const DIST = resolve(process.env.AGORA_DIST || '../dist');
const testid = (id) => `[data-testid="${id}"]`;
const SHIPPED = { 'one-neuron': 3, 'depth-spiral': 3, overfitting: 2, convolutions: 3, 'own-images': 2, together: 2 };

async function run() {
  const started = Date.now();
  const server = await serve(DIST);
  const { context, egress } = await launch({ webgpu: false });
  const page = context.pages()[0] || await context.newPage();
  const log = [];
  watch(page, log);
  const shots = join(ARTIFACTS, 'lessons');
  await mkdir(shots, { recursive: true });
  const text = async (id) => (await page.locator(testid(id)).textContent()) ?? '';
  const stepIs = async (n) => (await page.locator(testid('lesson')).getAttribute('data-step').catch(() => null)) === String(n);
  const goalMet = async () => (await page.locator(testid('lesson-goal')).getAttribute('data-met').catch(() => null)) === 'true';
  const trainUntilMet = async (what, timeout) => {
    await expectSoon(page, 'the playground can train', async () => !(await page.locator(testid('play')).isDisabled()), 30_000);
    await page.locator(testid('play')).click();
    await waitFor(page, what, goalMet, timeout, 250);
    if ((await page.locator(testid('play')).getAttribute('aria-label')) === 'Pause training') await page.locator(testid('play')).click();
  };
  try {
    // A shipped lesson from a link, on a fresh page.
    await page.goto(`${server.url}#lesson=one-neuron`);
    await expectSoon(page, 'the lesson opens on its first step', async () =>
      (await page.locator(testid('lesson-title')).count()) === 1 && await stepIs(0), 30_000);
    assert((await text('lesson-title')) === 'What one neuron computes', `the lesson's title: ${await text('lesson-title')}`);
    assert((await text('lesson-step-title')) === 'One neuron, two clouds of points', 'step 1');
    await expectSoon(page, 'step 1 set up the gaussian clouds with no hidden layer', async () =>
      (await page.locator(testid('dataset-gauss')).getAttribute('aria-pressed')) === 'true'
      && (await page.locator('[data-testid^="layer-"]').count()) === 0
      && new URL(page.url()).hash.includes('layers=&'), 15_000);
    // The recipe is hidden; the network and features are shown but locked.
    assert(!(await page.locator(testid('learning-rate')).isVisible()), 'the learning rate is hidden in step 1');
    assert(await page.locator(testid('play')).isVisible(), 'training is shown');
    assert(await page.locator('[data-part="features"]').evaluate((el) => el.inert), 'the features are locked');
    assert(await page.locator('[data-part="data"]').evaluate((el) => el.inert), 'the data are locked');
    await page.locator(testid('feature-x1x2')).click({ force: true, timeout: 2_000 }).catch(() => {});
    assert((await page.locator(testid('feature-x1x2')).getAttribute('aria-pressed')) === 'false', 'a locked feature cannot be turned on');
    assert(!(await goalMet()), 'the goal is not met before training');
    assert(/not trained yet/.test(await text('lesson-now')), `the goal's state before training: ${await text('lesson-now')}`);
    await page.screenshot({ path: join(shots, 'run-1-start.png'), fullPage: true });
    await trainUntilMet('95 % on the two clouds', 60_000);
    assert(/✓ Goal met/.test(await text('lesson-now')), `the goal says it is met: ${await text('lesson-now')}`);
    await page.screenshot({ path: join(shots, 'run-1-met.png'), fullPage: true });
    await page.locator(testid('lesson-ack')).click();
    await expectSoon(page, 'the met goal is acknowledged', async () => await page.locator(testid('lesson-acknowledged')).count() === 1);
    assert(await page.locator(testid('lesson-dot-0')).evaluate((el) => el.classList.contains('done')), 'step 1 shows as done');

    // Step 2: a question. A wrong answer says so; the right one meets the goal.
    await page.locator(testid('lesson-next')).click();
    await expectSoon(page, 'step 2 sets up XOR', async () => await stepIs(1)
      && (await page.locator(testid('dataset-xor')).getAttribute('aria-pressed')) === 'true', 15_000);
    await page.locator(testid('lesson-answer-0')).check();
    await expectSoon(page, 'a wrong answer is not accepted', async () => /think again/.test(await text('lesson-now')));
    assert(!(await goalMet()), 'a wrong answer does not meet the goal');
    await page.locator(testid('lesson-answer-1')).check();
    await expectSoon(page, 'the right answer meets the goal', goalMet);
    await page.locator(testid('lesson-ack')).click();

    // A reload mid-lesson comes back to the same step and goals, the project as the person left it.
    await page.reload();
    await expectSoon(page, 'the reloaded tab is back in the lesson at step 2', async () =>
      (await page.locator(testid('lesson-title')).textContent().catch(() => '')) === 'What one neuron computes' && await stepIs(1), 30_000);
    assert((await page.locator(testid('dataset-xor')).getAttribute('aria-pressed')) === 'true', 'its project is still XOR');
    assert(await goalMet() && await page.locator(testid('lesson-answer-1')).isChecked(), 'the answer and the met goal are kept');
    assert(await page.locator(testid('lesson-dot-0')).evaluate((el) => el.classList.contains('done')), 'step 1 is still done');

    // Presenter mode: large type, the keyboard between steps, Esc back.
    await page.locator(testid('lesson-present')).click();
    await expectSoon(page, 'presenter mode', async () => await page.evaluate(() => document.body.classList.contains('presenting')));
    const size = await page.locator(testid('lesson-step-title')).evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert(size >= 32, `the step's title is large on a projector: ${size}px`);
    assert(!(await page.locator('.footer').isVisible()), 'the footer is out of the way');
    await page.screenshot({ path: join(ARTIFACTS, 'lessons-presenter.png') });
    await page.locator('body').press('ArrowRight');
    await expectSoon(page, '→ moves to step 3', async () => await stepIs(2), 5_000);
    await page.locator('body').press('ArrowLeft');
    await expectSoon(page, '← moves back to step 2', async () => await stepIs(1), 5_000);
    await page.locator('body').press('ArrowRight');
    await expectSoon(page, '→ again to step 3', async () => await stepIs(2), 5_000);
    await page.locator('body').press('Escape');
    await expectSoon(page, 'Esc leaves presenter mode', async () => !(await page.evaluate(() => document.body.classList.contains('presenting'))));

    // Step 3: the features are free now; x₁x₂ solves XOR for one neuron.
    await expectSoon(page, 'step 3 unlocks the features', async () => !(await page.locator('[data-part="features"]').evaluate((el) => el.inert)), 10_000);
    await page.locator(testid('feature-x1x2')).click();
    await expectSoon(page, 'x₁x₂ is on', async () => (await page.locator(testid('feature-x1x2')).getAttribute('aria-pressed')) === 'true');
    await trainUntilMet('90 % on XOR with x₁x₂', 90_000);
    await page.locator(testid('lesson-ack')).click();
    await expectSoon(page, 'the lesson is complete', async () => /Lesson complete/.test(await text('lesson-end')));
    await page.screenshot({ path: join(shots, 'run-3-complete.png'), fullPage: true });

    // A lesson file of one's own; a broken one is refused and the open lesson stays.
    const folder = await mkdtemp(join(tmpdir(), 'agora-lesson-'));
    const mine = {
      agora_lesson: 1, title: 'Our class: circles', about: 'A teacher\'s own lesson.',
      steps: [
        { title: 'A circle', text: 'Train on the circle.', project: 'data=circle&features=x1sq,x2sq&layers=', show: ['train', 'data'], goal: { kind: 'epochs', at_least: 2 } },
        { title: 'Why?', text: 'Think.', goal: { kind: 'choice', question: 'Why do x₁² and x₂² work?', choices: ['A circle is a line in them', 'Luck'], answer: 0 } },
      ],
    };
    await writeFile(join(folder, 'mine.json'), JSON.stringify(mine));
    await writeFile(join(folder, 'broken.json'), '{"agora_lesson": 1, "title": "Broken", "steps": [{"title": "x", "text": "y", "project": "data=spiral&wings=3"}]}');
    await page.locator(testid('lesson-file')).setInputFiles(join(folder, 'broken.json'));
    await expectSoon(page, 'a broken lesson file is refused with a message', async () =>
      /could not be opened as a lesson: step 1 .*cannot read: wings/.test(await page.locator(testid('lesson-error')).textContent().catch(() => '')), 10_000);
    assert((await text('lesson-title')) === 'What one neuron computes', 'the open lesson stays');
    await page.locator(testid('lesson-file')).setInputFiles(join(folder, 'mine.json'));
    await expectSoon(page, 'the teacher\'s lesson opens', async () => (await text('lesson-title')) === 'Our class: circles' && await stepIs(0), 10_000);
    assert(await page.locator(testid('lesson-error')).count() === 0, 'the old message is gone');
    await expectSoon(page, 'its step set up the circle', async () =>
      (await page.locator(testid('dataset-circle')).getAttribute('aria-pressed')) === 'true'
      && (await page.locator(testid('feature-x1sq')).getAttribute('aria-pressed')) === 'true', 15_000);
    await page.locator(testid('lesson-share')).click();
    const link = await page.locator(testid('lesson-link')).inputValue();
    assert(link.startsWith(`${server.url}#lesson=j.`), `the shared link carries the lesson: ${link.slice(0, 80)}`);

    // Its link on a fresh page.
    await page.goto('about:blank');
    await page.goto(link);
    await expectSoon(page, 'the shared link opens the same lesson', async () =>
      (await page.locator(testid('lesson-title')).textContent().catch(() => '')) === 'Our class: circles', 30_000);
    await trainUntilMet('two epochs', 60_000);
    // A link to no lesson says so.
    await page.goto('about:blank');
    await page.goto(`${server.url}#lesson=no-such-lesson`);
    await expectSoon(page, 'an unknown lesson is named', async () =>
      /no lesson called “no-such-lesson”/.test(await page.locator(testid('lesson-error')).textContent().catch(() => '')), 30_000);

    // Every step of every shipped lesson, as a person sees it, hiding and locking what its
    // file says (read from the lesson files themselves).
    const parts = async () => page.locator('[data-part]').evaluateAll((els) => els.map((el) => [el.dataset.part, el.hidden, el.inert]));
    for (const [id, steps] of Object.entries(SHIPPED)) {
      const lesson = JSON.parse(await readFile(new URL(`../../app/lessons/${id}.json`, import.meta.url), 'utf8'));
      assert(lesson.steps.length === steps, `${id} has ${steps} steps in its file`);
      await page.goto('about:blank');
      await page.goto(`${server.url}#lesson=${id}`);
      await expectSoon(page, `${id} opens`, async () => await stepIs(0), 30_000);
      for (let step = 0; step < steps; step++) {
        if (step > 0) {
          await page.locator(testid('lesson-next')).click();
          await expectSoon(page, `${id} step ${step + 1}`, async () => await stepIs(step), 10_000);
        }
        const { show, lock = [] } = lesson.steps[step];
        await expectSoon(page, `${id} step ${step + 1} hides and locks what its file says`, async () => {
          const seen = await parts();
          return seen.length > 0 && seen.every(([part, hidden, inert]) =>
            hidden === (show ? !show.includes(part) : false) && inert === lock.includes(part));
        }, 15_000).catch(async (error) => { throw new Error(`${error.message}: ${JSON.stringify(await parts())}`); });
        await page.waitForTimeout(600);
        await page.screenshot({ path: join(shots, `${id}-${step + 1}.png`), fullPage: true });
      }
      assert(await page.locator(testid('lesson-next')).count() === 0, `${id} has ${steps} steps`);
    }
    assert(egress.length === 0, `no request left 127.0.0.1: ${egress.join(', ')}`);
    console.log(`lessons: ok (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  } catch (error) {
    await page.screenshot({ path: join(ARTIFACTS, 'lessons-failure.png'), fullPage: true }).catch(() => {});
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
