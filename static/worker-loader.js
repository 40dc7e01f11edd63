// Loads the training worker's wasm (built by Trunk as worker.js + worker_bg.wasm, no-modules).
importScripts('./worker.js');
wasm_bindgen('./worker_bg.wasm');
