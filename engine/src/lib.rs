//! Agora's engine: the network a person draws, checked and sized, built as a Burn model,
//! trained on toy datasets, and read back for the UI.
//!
//! Without the default `burn` feature only the plain-data half is built (spec, shapes, data,
//! hyperparameters, snapshots, weights): what the page needs, with no tensor code in it.
//!
//! Pure Rust with no web crates: it runs natively in tests and benchmarks, and in a browser
//! Web Worker through the `app` crate. The backend is chosen at run time by the [`Device`]
//! handed to [`train::Trainer::new`] (`Device::flex()` on the CPU, `Device::wgpu(..)` on a GPU).
//!
//! [`Device`]: burn::tensor::Device

pub mod bench;
pub mod calibration;
pub mod data;
pub mod hyper;
pub mod images;
pub mod inspect;
pub mod photos;
pub mod recipe;
pub mod shape;
pub mod snapshot;
pub mod spec;
pub mod vision;
pub mod weights;

#[cfg(feature = "burn")]
pub mod convnet;
#[cfg(feature = "burn")]
pub mod model;
#[cfg(feature = "burn")]
pub mod train;

#[cfg(feature = "burn")]
pub use burn::tensor::Device;
