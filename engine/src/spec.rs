//! What the user drew: input features, hidden layers, and the output head.
//!
//! Plain serde data with no tensors, so the builder, the URL codec and shape inference can
//! use it without touching Burn (TensorFlow Playground's `nn.ts` is shaped the same way).

use serde::{Deserialize, Serialize};

/// An input feature computed from a point `(x1, x2)` of the plane, as in TensorFlow Playground.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Feature {
    X1,
    X2,
    X1Squared,
    X2Squared,
    X1TimesX2,
    SinX1,
    SinX2,
}

impl Feature {
    /// Every feature, in the order the UI lists them.
    pub const ALL: [Feature; 7] = [
        Feature::X1,
        Feature::X2,
        Feature::X1Squared,
        Feature::X2Squared,
        Feature::X1TimesX2,
        Feature::SinX1,
        Feature::SinX2,
    ];

    /// The label shown next to the feature's heatmap.
    pub fn label(self) -> &'static str {
        match self {
            Feature::X1 => "x₁",
            Feature::X2 => "x₂",
            Feature::X1Squared => "x₁²",
            Feature::X2Squared => "x₂²",
            Feature::X1TimesX2 => "x₁x₂",
            Feature::SinX1 => "sin(x₁)",
            Feature::SinX2 => "sin(x₂)",
        }
    }

    /// A short ASCII key, used in the shareable URL.
    pub fn key(self) -> &'static str {
        match self {
            Feature::X1 => "x1",
            Feature::X2 => "x2",
            Feature::X1Squared => "x1sq",
            Feature::X2Squared => "x2sq",
            Feature::X1TimesX2 => "x1x2",
            Feature::SinX1 => "sinx1",
            Feature::SinX2 => "sinx2",
        }
    }

    pub fn from_key(key: &str) -> Option<Feature> {
        Feature::ALL
            .into_iter()
            .find(|feature| feature.key() == key)
    }

    /// The feature's value at `(x1, x2)`.
    pub fn apply(self, x1: f32, x2: f32) -> f32 {
        match self {
            Feature::X1 => x1,
            Feature::X2 => x2,
            Feature::X1Squared => x1 * x1,
            Feature::X2Squared => x2 * x2,
            Feature::X1TimesX2 => x1 * x2,
            Feature::SinX1 => x1.sin(),
            Feature::SinX2 => x2.sin(),
        }
    }
}

/// The nonlinearity after a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Activation {
    Relu,
    Tanh,
    Sigmoid,
    Linear,
}

impl Activation {
    pub const ALL: [Activation; 4] = [
        Activation::Relu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Linear,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Activation::Relu => "ReLU",
            Activation::Tanh => "Tanh",
            Activation::Sigmoid => "Sigmoid",
            Activation::Linear => "Linear",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Linear => "linear",
        }
    }

    pub fn from_key(key: &str) -> Option<Activation> {
        Activation::ALL
            .into_iter()
            .find(|activation| activation.key() == key)
    }
}

/// One hidden layer the user placed in the network.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LayerSpec {
    /// A fully connected layer: `units` neurons, each followed by `activation`.
    Dense {
        units: usize,
        activation: Activation,
    },
}

impl LayerSpec {
    pub fn kind(&self) -> &'static str {
        match self {
            LayerSpec::Dense { .. } => "Dense",
        }
    }
}

/// What the network predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Head {
    /// Softmax over `classes` outputs, trained with cross-entropy.
    Classification { classes: usize },
    /// One linear output, trained with mean squared error.
    Regression,
}

impl Head {
    /// How many numbers the output layer produces per sample.
    pub fn outputs(self) -> usize {
        match self {
            Head::Classification { classes } => classes,
            Head::Regression => 1,
        }
    }
}

/// A whole network: `features` feed the first hidden layer, the last hidden layer feeds the head.
///
/// `features = [x1, x2]`, `layers = [Dense 4 tanh, Dense 2 tanh]`, `head = Classification {2}`
/// is TensorFlow Playground's default network.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetworkSpec {
    pub features: Vec<Feature>,
    pub layers: Vec<LayerSpec>,
    pub head: Head,
}

impl NetworkSpec {
    /// The number of inputs the first layer sees.
    pub fn input_units(&self) -> usize {
        self.features.len()
    }
}
