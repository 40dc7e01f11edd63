// A class trains one model together, on loopback: the real room server (agora-room, serving the
// built page), a teacher and four students, each student in their own browser context holding
// only some of the digits. Secure aggregation is on (the default rule). Round 1 runs with all
// four; in round 2 one student reloads their page while training (they drop out, the round
// completes with the quorum of three, and the reloaded page comes back into the room by
// itself); round 3 runs with all four again. The class model's accuracy on all ten digits
// must end far above every student's own model (trained on their digits only). A malformed
// update and a wrong room code are refused with messages. Every frame a student sends is a
// small control message or one masked update of exactly the expected size; every HTTP request
// is a GET; nothing leaves 127.0.0.1. Screenshots of the projector and a student land in
// artifacts/room/.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { watch, assert, waitFor, expectSoon, ARTIFACTS } from './harness.mjs';
import { violations, describe } from './axe.mjs';

const DIST = resolve(process.env.AGORA_DIST || '../dist');
const ROOM = process.env.AGORA_ROOM_BIN
  || join(process.env.CARGO_TARGET_DIR || join(process.env.HOME, '.cache/agora/target'), 'release/agora-room');
const testid = (id) => `[data-testid="${id}"]`;
const STUDENTS = [
  { name: 'Ada', digits: [0, 1, 2, 3, 4] },
  { name: 'Ben', digits: [3, 4, 5, 6, 7] },
  { name: 'Cleo', digits: [6, 7, 8, 9, 0] },
  { name: 'Dev', digits: [1, 2, 5, 8, 9] },
];
// The lab's LeNet (padded first conv): 61,706 numbers in one update (8 bytes each in a masked
// update, plus the weight).
const LENET = 61_706;

/** The room server on a free port; resolves with its URL once its start-up line is out. */
function startRoom() {
  if (!existsSync(ROOM)) throw new Error(`${ROOM} is missing: cargo build -p agora-room --release`);
  const child = spawn(ROOM, ['--host', '127.0.0.1', '--port', '0', '--dist', DIST], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`agora-room did not start: ${out}`)), 10_000);
    const read = (chunk) => {
      out += chunk;
      const match = out.match(/students open (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (match) {
        clearTimeout(timer);
        assert(/kept in memory only/.test(out) && /no student data is stored/.test(out), `the start-up line says what the server keeps: ${out}`);
        ok({ url: match[1], child, line: out.trim() });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => fail(new Error(`agora-room exited (${code}): ${out}`)));
  });
}

async function newContext(browser, egress) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.route((url) => !['127.0.0.1', 'localhost'].includes(url.hostname), (route) => {
    egress.push(route.request().url());
    route.abort();
  });
  return context;
}

/** postcard: a varint, a string, bytes. */
const varint = (n) => { const out = []; do { let b = n & 0x7f; n = Math.floor(n / 128); if (n) b |= 0x80; out.push(b); } while (n); return out; };
const str = (s) => { const b = [...Buffer.from(s, 'utf8')]; return [...varint(b.length), ...b]; };

/** Speaks the protocol by hand from `page`: join `code`, then send `frames`; returns the
 * texts of the refusals that came back. */
async function rawClient(page, code, frames) {
  const join = [1, ...str(code), ...str('raw')];
  return page.evaluate(async ({ join, frames }) => {
    const socket = new WebSocket(`ws://${location.host}/room`);
    socket.binaryType = 'arraybuffer';
    const said = [];
    await new Promise((ok) => { socket.onopen = ok; });
    socket.onmessage = (event) => {
      const bytes = new Uint8Array(event.data);
      if (bytes[0] === 2) said.push(new TextDecoder().decode(bytes.slice(bytes[1] < 128 ? 2 : 3)));
    };
    socket.send(new Uint8Array(join));
    await new Promise((ok) => setTimeout(ok, 300));
    for (const frame of frames) socket.send(new Uint8Array(frame));
    await new Promise((ok) => setTimeout(ok, 500));
    socket.close();
    return said;
  }, { join, frames });
}

const percent = (text) => Number(text.replace('%', '').trim()) / 100;

async function run() {
  const room = await startRoom();
  console.log(room.line);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--proxy-server=http://127.0.0.1:9', '--proxy-bypass-list=<-loopback>;127.0.0.1;localhost',
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1'],
  });
  const egress = [];
  const log = [];
  const shots = join(ARTIFACTS, 'room');
  await mkdir(shots, { recursive: true });
  const started = Date.now();
  const pages = [];
  try {
    // The teacher opens the image lab (LeNet on the digits, CPU backend) and a room for it.
    const teacherContext = await newContext(browser, egress);
    const teacher = await teacherContext.newPage();
    watch(teacher, log);
    pages.push(['teacher', teacher]);
    await teacher.goto(`${room.url}#lab`);
    await waitFor(teacher, 'the digits', async () => / training and /.test(await teacher.locator(testid('lab-status')).textContent()), 60_000, 300);
    await teacher.locator(testid('lab-backend-choice')).selectOption('cpu');
    await teacher.locator(testid('room-toggle')).click();
    await teacher.locator(testid('room-quorum')).fill('3');
    await teacher.locator(testid('room-quorum')).press('Tab');
    await teacher.locator(testid('room-create')).click();
    await teacher.locator(testid('room-teacher')).waitFor({ timeout: 10_000 });
    const link = await teacher.locator(testid('room-link')).getAttribute('href');
    const code = link.split('#room=')[1];
    assert(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/.test(code), `an unguessable-looking code: ${link}`);
    assert(await teacher.locator(`${testid('room-qr')} path`).count() === 1, 'a QR code of the link');
    await expectSoon(teacher, 'the starting model tested on the teacher\'s digits', async () => /%/.test(await teacher.locator(testid('room-score-0')).textContent()), 60_000);

    // A wrong code is refused with a message.
    const wrong = await rawClient(teacher, 'ZZZZ-ZZZZ', []);
    assert(wrong.some((t) => /no room ZZZZ-ZZZZ/.test(t)), `a wrong code is refused: ${JSON.stringify(wrong)}`);

    // Four students join from the link, each with their own digits.
    const students = [];
    for (const student of STUDENTS) {
      const context = await newContext(browser, egress);
      const page = await context.newPage();
      watch(page, log);
      pages.push([student.name, page]);
      const frames = [];
      const methods = [];
      page.on('request', (request) => methods.push(request.method()));
      page.on('websocket', (socket) => socket.on('framesent', (frame) => frames.push(Buffer.from(frame.payload))));
      await page.goto(link);
      await page.locator(testid('room-join')).waitFor({ timeout: 30_000 });
      assert(await page.locator(testid('room-code')).inputValue() === code, 'the link fills in the code');
      await page.locator(testid('room-name')).fill(student.name);
      for (let digit = 0; digit < 10; digit++) {
        const box = page.locator(testid(`room-digit-${digit}`));
        if (student.digits.includes(digit) !== await box.isChecked()) await box.click();
      }
      await page.locator(testid('room-join')).click();
      await page.locator(testid('room-student')).waitFor({ timeout: 10_000 });
      students.push({ ...student, page, frames, methods });
    }
    await expectSoon(teacher, 'four students on the projector', async () => await teacher.locator(testid('room-member')).count() === 4, 10_000);
    await teacher.screenshot({ path: join(shots, 'projector-joined.png'), fullPage: true });
    { const found = await violations(teacher); assert(found.length === 0, `WCAG 2.2 A/AA violations on the projector view:\n${describe(found)}`); }

    const roundDone = async (round) => {
      await waitFor(teacher, `round ${round}`, async () => await teacher.locator(testid('room-round')).count() >= round, 240_000, 500);
      await expectSoon(teacher, `round ${round} tested`, async () => /%/.test(await teacher.locator(testid(`room-score-${round}`)).textContent()), 60_000);
    };

    // Round 1: everyone.
    await teacher.locator(testid('room-start-round')).click();
    await roundDone(1);
    // A malformed update (5 bytes, not whole numbers) during no round of its own is refused.
    const refused = await rawClient(teacher, code, [[8, 1, ...varint(5), 1, 2, 3, 4, 5], [12]]);
    assert(refused.some((t) => /refused/i.test(t) && /whole numbers/.test(t)), `a malformed update is refused with a message: ${JSON.stringify(refused)}`);

    // Round 2: Dev reloads mid-training and drops out; the round completes with three.
    await teacher.locator(testid('room-start-round')).click();
    const dev = students[3];
    await waitFor(dev.page, 'Dev training', async () => /training/.test(await dev.page.locator(testid('room-stage')).textContent()), 60_000, 100);
    await dev.page.reload();
    await roundDone(2);
    const second = await teacher.locator(testid('room-round')).nth(1).locator('td').allTextContents();
    assert(second[1] === '3' && second[2] === '1', `round 2 counted three and one dropped: ${second}`);
    // The reloaded page is back in the room by itself.
    await dev.page.locator(testid('room-student')).waitFor({ timeout: 30_000 });
    await expectSoon(teacher, 'Dev back', async () => (await teacher.locator(`${testid('room-member')}[data-stage="disconnected"]`).count()) === 0, 20_000);

    // Round 3: all four again.
    await teacher.locator(testid('room-start-round')).click();
    await roundDone(3);
    const third = await teacher.locator(testid('room-round')).nth(2).locator('td').allTextContents();
    assert(third[1] === '4', `round 3 counted four: ${third}`);

    // The class model against each student's own model, on all ten digits.
    const classAccuracy = percent(await teacher.locator(testid('room-score-3')).textContent());
    const locals = [];
    for (const student of students) {
      await expectSoon(student.page, `${student.name}'s round 3`, async () => /yes/.test(await student.page.locator(`${testid('room-mine')}[data-round="3"] ${testid('room-counted')}`).textContent()), 30_000);
      // Their own model: trained on their digits alone in round 1 from the shared start.
      const own = await student.page.locator(`${testid('room-mine')}[data-round="1"] ${testid('room-local-all')}`).allTextContents();
      const last = await student.page.locator(`${testid('room-mine')}[data-round="3"] ${testid('room-local-all')}`).textContent();
      locals.push({ name: student.name, round1: own.length ? percent(own[0]) : null, round3: percent(last) });
    }
    console.log(`class model after 3 rounds, all ten digits: ${(classAccuracy * 100).toFixed(1)} %`);
    for (const l of locals) console.log(`  ${l.name}'s own model on all ten: round 1 ${l.round1 === null ? '—' : (l.round1 * 100).toFixed(1) + ' %'}, round 3 ${(l.round3 * 100).toFixed(1)} %`);
    const best = Math.max(...locals.flatMap((l) => [l.round1 ?? 0, l.round3]));
    assert(classAccuracy >= 0.8, `the class model reaches 80 % on all ten digits (${classAccuracy})`);
    assert(classAccuracy >= best + 0.2, `the class model is far above every student's own model (${classAccuracy} vs ${best})`);

    // What the students sent: control messages and masked updates of the exact size, no images.
    const masked = 1 + 1 + varint(8 * (LENET + 1)).length + 8 * (LENET + 1);
    for (const student of students) {
      const kinds = { 1: 'join', 2: 'resume', 6: 'keys', 7: 'shares', 8: 'masked', 10: 'reveal', 11: 'report', 12: 'leave', 13: 'sit-out' };
      let updates = 0;
      for (const frame of student.frames) {
        const kind = kinds[frame[0]];
        assert(kind, `${student.name} sent only room messages (got variant ${frame[0]})`);
        if (kind === 'masked') {
          updates += 1;
          assert(frame.length === masked, `${student.name}'s masked update is ${frame.length} bytes, expected ${masked}`);
        } else {
          assert(frame.length <= 2048, `${student.name}'s ${kind} message is small (${frame.length} bytes)`);
        }
      }
      assert(updates >= 2, `${student.name} sent their updates (${updates})`);
      assert(student.methods.every((m) => m === 'GET'), `${student.name}'s page only fetched (${[...new Set(student.methods)]})`);
    }
    await students[0].page.screenshot({ path: join(shots, 'student.png'), fullPage: true });
    await teacher.screenshot({ path: join(shots, 'projector-rounds.png'), fullPage: true });
    { const found = await violations(students[0].page); assert(found.length === 0, `WCAG 2.2 A/AA violations on a student's rounds:\n${describe(found)}`); }
    { const found = await violations(teacher); assert(found.length === 0, `WCAG 2.2 A/AA violations on the projector after rounds:\n${describe(found)}`); }
    assert(egress.length === 0, `nothing left 127.0.0.1: ${egress.join(', ')}`);
    console.log(`room: PASS (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  } catch (error) {
    console.error(`room: FAIL — ${error.message}`);
    console.error(log.slice(-30).join('\n'));
    for (const [name, page] of pages) {
      await page.screenshot({ path: join(shots, `failed-${name}.png`), fullPage: true }).catch(() => {});
    }
    console.error(`screenshots of every page: ${shots}/failed-*.png`);
    process.exitCode = 1;
  } finally {
    await browser.close();
    room.child.kill();
  }
}

await run();
