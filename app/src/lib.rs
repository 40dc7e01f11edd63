//! Agora's web front end: the builder, the training controls and the views, plus the Web
//! Worker that trains off the main thread.
//!
//! The state (document, session), the worker protocol and the colour maps are plain Rust and
//! tested natively; the Yew components and the worker runtime only build for wasm32.

pub mod colors;
pub mod document;
pub mod protocol;
pub mod session;

#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod worker;
