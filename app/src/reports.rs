//! What the worker reports about training and readouts: wire types, so the protocol and the
//! session both import them and neither imports the other.

use agora_engine::inspect::{HostTensor, Saliency};
use agora_engine::net::ImageSize;
use agora_engine::recipe::EpochMetrics;
use serde::{Deserialize, Serialize};

/// One point of the loss chart.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LossPoint {
    pub epoch: usize,
    pub train_loss: f32,
    pub test_loss: f32,
}

/// What a run showed so far: its loss curve (the plane) and its epochs (images).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunHistory {
    pub epochs: Vec<EpochReport>,
    pub losses: Vec<LossPoint>,
}

/// One finished epoch as the worker reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    pub metrics: EpochMetrics,
    /// Wall time of the epoch's training steps (not the validation pass).
    pub train_seconds: f64,
    pub samples_per_second: f64,
}

/// One validation image seen by every layer (answer to `Command::Inspect`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// The validation image shown, or `None` for an image the person gave (a drawing, a photo).
    pub sample: Option<usize>,
    /// Validation images there are to pick from.
    pub count: usize,
    /// The true class, when known.
    pub label: Option<usize>,
    /// Grad-CAM (or gradient × input) for the predicted class.
    pub saliency: Option<Saliency>,
    /// Tap 0 is the input image (`[c, h, w]`, 0..1), tap `i + 1` layer `i`'s output.
    pub taps: Vec<HostTensor>,
    pub probabilities: Vec<f32>,
    /// `(layer, kernel [filters, in channels, k, k])` for each Conv2d.
    pub kernels: Vec<(usize, HostTensor)>,
    /// Epoch of the weights.
    pub epoch: usize,
    /// What each tap is, when it is not the network's own layers (the pretrained network's
    /// stem, blocks and head come before the layers trained on its features).
    #[serde(default)]
    pub titles: Vec<String>,
}

/// The validation set through the current network (answer to `Command::Evaluate`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluationReport {
    pub classes: usize,
    pub labels: Vec<usize>,
    /// `[images × classes]`.
    pub logits: Vec<f32>,
    /// The penultimate features projected on their first two principal components.
    pub points: Vec<[f32; 2]>,
    /// The first `shown` validation images at the network's input size (channels last, u8),
    /// for galleries and hovering.
    pub size: ImageSize,
    pub shown: usize,
    pub images: Vec<u8>,
    pub epoch: usize,
}
