// Starts the training worker: Trunk builds the agora-worker crate as agora-worker.js plus
// agora-worker_bg.wasm (wasm-bindgen's no-modules target); its start function runs on init.

// Fetches a gzip file from the page's own origin and unpacks it with the browser's
// DecompressionStream; the worker calls it (as agoraFetchGzip) to load the bundled digits.
self.agoraFetchGzip = async (url) => {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) {
    throw new Error(`${url} answered ${response.status} ${response.statusText}`);
  }
  const unpacked = response.body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(unpacked).arrayBuffer());
};

// Fetches the pretrained network's weights from the page's own origin, telling `progress`
// (bytes so far, total or 0) as they arrive, and keeps them in this browser's Cache Storage so
// the next visit reads them from there: {bytes: Uint8Array, cached: bool}.
self.agoraFetchModel = async (url, progress) => {
  let cache = null;
  try {
    cache = await caches.open('agora-models-v1');
    const hit = await cache.match(url);
    if (hit) return { bytes: new Uint8Array(await hit.arrayBuffer()), cached: true };
  } catch (error) {
    cache = null; // no Cache Storage here (an opaque origin): download each time
  }
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) {
    throw new Error(`${url} answered ${response.status} ${response.statusText}`);
  }
  const total = Number(response.headers.get('content-length')) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  let told = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    const now = performance.now();
    if (now - told > 100) { told = now; progress(loaded, total); }
  }
  progress(loaded, total);
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) { bytes.set(chunk, at); at += chunk.length; }
  if (cache) {
    try {
      await cache.put(url, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }));
    } catch (error) {
      // a full quota: it loads from the site next time
    }
  }
  return { bytes, cached: false };
};

importScripts('./agora-store.js', './agora-worker.js');
wasm_bindgen('./agora-worker_bg.wasm');
