//! Agora's training worker: a dedicated Web Worker that owns the network and trains it off
//! the page's main thread (see `runtime`, and `runner` for the one runner). Builds for wasm32 only; natively it is empty.

#[cfg(target_arch = "wasm32")]
mod context;
#[cfg(target_arch = "wasm32")]
mod job;
#[cfg(target_arch = "wasm32")]
mod plane;
#[cfg(target_arch = "wasm32")]
mod pretrained;
#[cfg(target_arch = "wasm32")]
mod readouts;
#[cfg(target_arch = "wasm32")]
mod runner;
#[cfg(target_arch = "wasm32")]
mod runtime;
#[cfg(target_arch = "wasm32")]
mod scope;
#[cfg(target_arch = "wasm32")]
mod sources;
#[cfg(target_arch = "wasm32")]
mod speed;

/// Entry point, run once when `worker-loader.js` instantiates the module.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    runtime::start();
}
