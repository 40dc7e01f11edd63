// Starts the training worker: Trunk builds the agora-worker crate as agora-worker.js plus
// agora-worker_bg.wasm (wasm-bindgen's no-modules target); its start function runs on init.
importScripts('./agora-worker.js');
wasm_bindgen('./agora-worker_bg.wasm');
