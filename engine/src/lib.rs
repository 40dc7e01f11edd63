//! Agora's engine: the network a person draws, checked and sized, built as a Burn model,
//! trained on points of the plane, images or a table, and read back for the views.
//!
//! One network type ([`net::Network`]: an input, a graph of layers, a head) serves the
//! playground, the image lab and tables; one [`Trainer`] trains it on any backend; the views
//! read it through probes on that trainer.
//!
//! Without the default `burn` feature only the plain-data half is built (the network and its
//! shape inference, data, recipe, parameters on the host, readouts): what the page needs, with
//! no tensor code in it. Pure Rust with no web crates: it runs natively in tests and
//! benchmarks, and in a browser Web Worker through the `app` crate. The backend is chosen at
//! run time by the [`Device`] handed to [`Trainer::new`].
//!
//! ```
//! use agora_engine::data::{Dataset, DatasetConfig, DatasetKind};
//! use agora_engine::net::{Feature, Network};
//! use agora_engine::recipe::Recipe;
//! use agora_engine::samples::{Rows, Samples};
//! use agora_engine::{Device, Trainer};
//!
//! // TensorFlow Playground's opening setup: the circle, x₁ and x₂, two tanh layers.
//! let config = DatasetConfig { kind: DatasetKind::Circle, noise_percent: 0, train_percent: 50, classes: 2, seed: 1 };
//! let data = Dataset::generate(config);
//! let features = vec![Feature::X1, Feature::X2];
//! let network = Network::playground(features.clone(), config.head());
//! let rows = |points| Samples::Rows(Rows::from_points(points, &features, config.head()));
//! let mut trainer = Trainer::new(
//!     &Device::flex(), &network, &rows(&data.train), &rows(&data.test),
//!     Recipe { learning_rate: 0.1, ..Recipe::playground() }, None, 1,
//! ).unwrap();
//! while !trainer.train_batches(100) {}
//! let metrics = pollster::block_on(trainer.epoch_metrics()).unwrap();
//! assert_eq!(metrics.epoch, 1);
//! assert!(metrics.val_loss.is_finite());
//! ```
//!
//! [`Device`]: burn::tensor::Device

pub mod bench;
pub mod calibration;
pub mod checkpoint;
pub mod data;
pub mod export;
pub mod image_file;
pub mod images;
pub mod inspect;
pub mod net;
pub mod optimizer_state;
pub mod params;
pub mod photos;
pub mod pretrained;
pub mod recipe;
pub mod safetensors;
pub mod samples;
pub mod snapshot;
pub mod table;
pub mod weights;
pub mod zip;

#[cfg(feature = "burn")]
pub mod compute;

#[cfg(feature = "burn")]
pub use burn::tensor::Device;
#[cfg(feature = "burn")]
pub use compute::{TrainError, Trainer};
