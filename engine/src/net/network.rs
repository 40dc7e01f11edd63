//! A whole network: its input, its layers, and what it predicts. The one network type the
//! playground, the image lab and a table of numbers share.

use serde::{Deserialize, Serialize};

use super::input::{Feature, ImageSize, Input};
use super::layer::{Act, Layer};

/// What a network predicts, and so how it is trained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Head {
    /// Class probabilities: the network ends with `Dense classes` then `Softmax`, and is
    /// trained with softmax cross-entropy.
    Classification { classes: usize },
    /// One number: the network ends with `Dense 1`, trained with mean squared error.
    Regression,
}

impl Head {
    /// How many numbers the last Dense layer produces per sample.
    pub fn outputs(self) -> usize {
        match self {
            Head::Classification { classes } => classes,
            Head::Regression => 1,
        }
    }

    /// Classes, or 0 for regression.
    pub fn classes(self) -> usize {
        match self {
            Head::Classification { classes } => classes,
            Head::Regression => 0,
        }
    }

    /// "classification into 3 classes", "regression".
    pub fn describe(self) -> String {
        match self {
            Head::Classification { classes } => format!("classification into {classes} classes"),
            Head::Regression => "regression".to_owned(),
        }
    }
}

/// A whole network.
///
/// `[x₁, x₂] → Dense 4 → Tanh → Dense 2 → Tanh → Dense 2 → Softmax` is TensorFlow
/// Playground's opening network ([`Network::dense`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Network {
    pub input: Input,
    pub layers: Vec<Layer>,
    pub head: Head,
}

impl Network {
    /// A stack of Dense layers, each followed by its activation (none = linear), then the
    /// head's output layer: `Dense classes` + `Softmax`, or `Dense 1`.
    pub fn dense(input: Input, hidden: &[(usize, Option<Act>)], head: Head) -> Network {
        let mut layers = Vec::with_capacity(2 * hidden.len() + 2);
        for &(units, act) in hidden {
            layers.push(Layer::Dense { units });
            if let Some(act) = act {
                layers.push(Layer::Activation(act));
            }
        }
        layers.push(Layer::Dense {
            units: head.outputs(),
        });
        if matches!(head, Head::Classification { .. }) {
            layers.push(Layer::Softmax);
        }
        Network {
            input,
            layers,
            head,
        }
    }

    /// TensorFlow Playground's opening network on points: x₁, x₂ → 4 tanh → 2 tanh → head.
    pub fn playground(features: Vec<Feature>, head: Head) -> Network {
        Network::dense(
            Input::Points { features },
            &[(4, Some(Act::Tanh)), (2, Some(Act::Tanh))],
            head,
        )
    }

    /// LeNet-5 adapted to 28×28 digits (LeCun et al. 1998, with ReLU and max pooling):
    /// conv 6@5×5 (padded) → pool → conv 16@5×5 → pool → 120 → 84 → classes.
    pub fn lenet(input: ImageSize, classes: usize) -> Network {
        Network {
            input: Input::Image(input),
            layers: vec![
                Layer::conv(6, 5),
                Layer::Activation(Act::Relu),
                Layer::MaxPool { size: 2, stride: 2 },
                Layer::Conv2d {
                    filters: 16,
                    kernel: 5,
                    stride: 1,
                    padding: 0,
                    dilation: 1,
                },
                Layer::Activation(Act::Relu),
                Layer::MaxPool { size: 2, stride: 2 },
                Layer::Flatten,
                Layer::Dense { units: 120 },
                Layer::Activation(Act::Relu),
                Layer::Dense { units: 84 },
                Layer::Activation(Act::Relu),
                Layer::Dense { units: classes },
                Layer::Softmax,
            ],
            head: Head::Classification { classes },
        }
    }

    /// A small residual network: conv stem and pooling, one residual block
    /// (conv-BN-ReLU-conv-BN + skip, then ReLU), global average pooling, the classifier.
    pub fn small_resnet(input: ImageSize, classes: usize) -> Network {
        Network {
            input: Input::Image(input),
            layers: vec![
                Layer::conv(16, 3),
                Layer::BatchNorm,
                Layer::Activation(Act::Relu),
                Layer::MaxPool { size: 2, stride: 2 },
                Layer::conv(16, 3),
                Layer::BatchNorm,
                Layer::Activation(Act::Relu),
                Layer::conv(16, 3),
                Layer::BatchNorm,
                Layer::Add { from: 4 },
                Layer::Activation(Act::Relu),
                Layer::GlobalAvgPool,
                Layer::Dense { units: classes },
                Layer::Softmax,
            ],
            head: Head::Classification { classes },
        }
    }

    /// Classes the head predicts (0 for regression).
    pub fn classes(&self) -> usize {
        self.head.classes()
    }

    /// The tap holding the scores the loss reads: the input of the final Softmax for
    /// classification (logits), the last output for regression.
    pub fn score_tap(&self) -> usize {
        match self.head {
            Head::Classification { .. } => self.layers.len().saturating_sub(1),
            Head::Regression => self.layers.len(),
        }
    }

    /// The tap feeding the final Dense layer: the penultimate features (embedding view).
    pub fn feature_tap(&self) -> usize {
        self.score_tap().saturating_sub(1)
    }
}
