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

importScripts('./agora-store.js', './agora-worker.js');
wasm_bindgen('./agora-worker_bg.wasm');
