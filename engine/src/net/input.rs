//! What a network reads: points of the plane turned into features, an image, or the numeric
//! columns of a table.

use serde::{Deserialize, Serialize};

use super::shape::Shape;

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

/// The size of the input image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageSize {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

/// A network's input.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Input {
    /// A point `(x₁, x₂)` of the plane, turned into these features (TensorFlow Playground).
    Points { features: Vec<Feature> },
    /// An image, `[channels, height, width]`, values in `[0, 1]`.
    Image(ImageSize),
    /// A row of a table: this many numeric feature columns, standardised.
    Table { columns: usize },
    /// A photo seen by the pretrained EfficientNet-Lite0 (frozen) at `side`×`side`: its 1280
    /// features ([`crate::pretrained`]), computed once per image, are what the layers read.
    Pretrained { side: usize },
}

impl Input {
    /// The tensor shape of one sample.
    pub fn shape(&self) -> Shape {
        match self {
            Input::Points { features } => Shape::Flat(features.len()),
            Input::Image(size) => Shape::Image {
                channels: size.channels,
                height: size.height,
                width: size.width,
            },
            Input::Table { columns } => Shape::Flat(*columns),
            Input::Pretrained { .. } => Shape::Flat(crate::pretrained::FEATURES),
        }
    }

    /// The image size, for an image input.
    pub fn image(&self) -> Option<ImageSize> {
        match self {
            Input::Image(size) => Some(*size),
            _ => None,
        }
    }

    /// Numbers per sample.
    pub fn values(&self) -> usize {
        self.shape().elements()
    }
}

impl ImageSize {
    /// "1×28×28".
    pub fn describe(self) -> String {
        format!("{}×{}×{}", self.channels, self.height, self.width)
    }
}
