// Agora's service worker: keeps this version of the page — the HTML, both wasm modules, their
// scripts, the styles and the bundled digits — in Cache Storage, so that after the first visit
// Agora opens and trains with no network at all. The pretrained weights are kept by the
// training worker itself ('agora-models-v1', worker-loader.js) and pass through here.
//
// A new version on the server installs beside the running one and waits: the page shows "a new
// version is ready" and the person reloads when they choose (agora-offline.js), so a running
// session is never swapped out from under them. VERSION and FILES are filled in by
// scripts/offline.py after each build; it fails the build if they are missing.
'use strict';

const VERSION = 'AGORA-OFFLINE-VERSION';
const FILES = ['AGORA-OFFLINE-FILES'];
const SHELL = `agora-shell-${VERSION}`;
const PASS_THROUGH = ['models/', 'room'];

function inScope(path) {
  return new URL(path, self.registration.scope).href;
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // `reload`: the server's bytes, never the HTTP cache's copy of an older build.
    await cache.addAll(FILES.map((file) => new Request(inScope(file), { cache: 'reload' })));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith('agora-shell-') && name !== SHELL).map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data === 'agora-version') {
    event.source && event.source.postMessage({ agoraVersion: VERSION });
  } else if (event.data === 'agora-update') {
    self.skipWaiting();
  }
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const scope = new URL(self.registration.scope);
  const path = url.pathname.startsWith(scope.pathname) ? url.pathname.slice(scope.pathname.length) : url.pathname;
  if (PASS_THROUGH.some((prefix) => path.startsWith(prefix))) return;
  event.respondWith(answer(request, url));
});

async function answer(request, url) {
  const cache = await caches.open(SHELL);
  // The page itself: this version's index.html (a link's fragment never reaches a server, so
  // every Agora link is the same document).
  if (request.mode === 'navigate') {
    const page = await cache.match(inScope('index.html'));
    if (page) return page;
    return fetch(request);
  }
  const kept = await cache.match(url.href, { ignoreSearch: true });
  if (kept) return kept;
  return fetch(request);
}
