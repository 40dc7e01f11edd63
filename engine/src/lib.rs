//! Agora's engine: the network a person draws, checked and sized, built as a Burn model,
//! trained on toy datasets, and read back for the UI.
//!
//! Pure Rust with no web crates: it runs natively in tests and benchmarks, and in a browser
//! Web Worker through the `app` crate. The backend is chosen at run time by the [`Device`]
//! handed to [`train::Trainer::new`] (`Device::flex()` on the CPU, `Device::wgpu(..)` on a GPU).
//!
//! [`Device`]: burn::tensor::Device

pub mod data;
pub mod model;
pub mod shape;
pub mod spec;
pub mod train;

pub use burn::tensor::Device;
