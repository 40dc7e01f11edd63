//! The training worker's entry point (a dedicated Web Worker, loaded by worker-loader.js).

#[cfg(target_arch = "wasm32")]
fn main() {
    agora_app::worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The Agora worker runs in a browser: build it with `trunk build` (see README.md).");
}
