//! Agora's web front end: the builder, the training controls and the views, plus the Web
//! Worker that trains off the main thread.
//!
//! The state (document, session), the worker protocol and the colour maps are plain Rust and
//! tested natively; the Yew components only build for wasm32 with the `page` feature. The
//! training worker is the `agora-worker` crate beside this one.

pub mod backend;
pub mod colors;
pub mod document;
pub mod lab;
pub mod lab_events;
pub mod photos;
pub mod pictures;
pub mod plane;
pub mod protocol;
pub mod session;
pub mod speed;

#[cfg(all(target_arch = "wasm32", feature = "page"))]
pub mod ui;

/// Mounts the page; run once when the module is instantiated.
#[cfg(all(target_arch = "wasm32", feature = "page"))]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    yew::Renderer::<ui::App>::new().render();
}
