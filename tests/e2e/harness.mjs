// Shared pieces of the end-to-end tests: a loopback static server for dist/, Debian's Chromium
// with the flags from shared/BROWSER.md, and an egress guard that records any request that
// tries to leave 127.0.0.1.
import { createServer } from 'node:http';
import { readFile, stat, mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, extname, resolve, normalize } from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import { chromium } from 'playwright-core';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream',
  '.webmanifest': 'application/manifest+json',
};

/** Serves `root` on 127.0.0.1 at a free port. Records every request path. `mounts` maps a
 * path prefix ('/peer/') to another folder; `headers` are added to every response; `port` 0 is any
 * free one. */
export async function serve(root, { mounts = {}, headers = {}, port: wanted = 0 } = {}) {
  const dist = resolve(root);
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(`${dist}/index.html is missing: build the app first (trunk build)`);
  }
  const requests = [];
  const server = createServer(async (req, res) => {
    requests.push({ method: req.method, url: req.url, length: Number(req.headers['content-length'] || 0) });
    const path = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    const mount = Object.keys(mounts).sort((a, b) => b.length - a.length).find((prefix) => path.startsWith(prefix));
    const base = mount ? resolve(mounts[mount]) : dist;
    const rest = mount ? path.slice(mount.length) : path;
    let file = normalize(join(base, rest === '/' || rest === '' ? 'index.html' : rest));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store', ...headers });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok, fail) => { server.once('error', fail); server.listen(wanted, '127.0.0.1', ok); });
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, requests, close: () => new Promise((ok) => { server.close(() => ok()); server.closeAllConnections(); }) };
}

/** Launches headless Chromium; nothing can leave the machine. */
export async function launch({ webgpu, camera = false }) {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: install it (apt-get install chromium) or set CHROMIUM`);
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'agora-chromium-'));
  const args = [
    '--no-sandbox', '--disable-quic', '--no-first-run', '--no-default-browser-check',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-domain-reliability', '--disable-client-side-phishing-detection', '--disable-default-apps',
    '--disable-breakpad', '--metrics-recording-only',
    '--proxy-server=http://127.0.0.1:9', '--proxy-bypass-list=<-loopback>;127.0.0.1;localhost',
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1',
  ];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  // Chromium's built-in fake webcam (a moving test pattern), granted without a prompt.
  if (camera) args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath, headless: true, args, viewport: { width: 1500, height: 1000 }, hasTouch: true,
  });
  const egress = [];
  await context.route((url) => !['127.0.0.1', 'localhost'].includes(url.hostname), (route) => {
    egress.push(route.request().url());
    route.abort();
  });
  return { context, egress };
}

/** Collects console errors and page crashes so a failure says what the page said. */
export function watch(page, log) {
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') log.push(`[${msg.type()}] ${msg.text()}`);
  });
  page.on('pageerror', (error) => log.push(`[pageerror] ${error.message}`));
}

export function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

export const ARTIFACTS = resolve(process.env.AGORA_ARTIFACTS || 'artifacts');

/** Polls until `check` holds (the page re-renders asynchronously), else fails with `message`. */
export async function expectSoon(page, message, check, timeoutMs = 5_000) {
  const start = Date.now();
  for (;;) {
    if (await check()) return;
    if (Date.now() - start > timeoutMs) throw new Error(`assertion failed: ${message}`);
    await page.waitForTimeout(50);
  }
}

/** Checks `check` continuously for `forMs`: fails the moment it does not hold. */
export async function holdsFor(page, message, check, forMs) {
  const start = Date.now();
  let checks = 0;
  while (Date.now() - start < forMs || checks < 3) {
    if (!(await check())) throw new Error(`assertion failed after ${Date.now() - start} ms: ${message}`);
    checks += 1;
    await page.waitForTimeout(50);
  }
}

export async function waitFor(page, what, predicate, timeoutMs, pollMs = 500) {
  const start = Date.now();
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await page.waitForTimeout(pollMs);
  }
}

/** Runs `run(name)` for each name, then exits non-zero if any failed (each reports its own). */
export async function runEach(names, run) {
  let failed = false;
  for (const name of names) {
    try {
      await run(name);
    } catch {
      failed = true;
    }
  }
  process.exit(failed ? 1 : 0);
}

/** A PNG file of `rgb` (width × height × 3 bytes). */
export function png(width, height, rgb) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

