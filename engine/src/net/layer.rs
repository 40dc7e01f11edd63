//! The layers a person places in a network: plain serde data, no tensors.
//!
//! A network is a chain of layers where `Add` and `Concat` also take an earlier tensor (a
//! "tap"), so residual blocks and dense skips are graphs, not only stacks. Tap 0 is the input;
//! tap `i` is the output of layer `i - 1`. Layer `i` reads tap `i` and writes tap `i + 1`.

use serde::{Deserialize, Serialize};

/// The nonlinearities a network offers (an `Activation` layer; a Dense layer has none of its
/// own, so TensorFlow Playground's "Linear" is a Dense layer with no activation after it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Act {
    Relu,
    /// `max(x, 0.01·x)`, PyTorch's default slope.
    LeakyRelu,
    /// The exact (erf) form, as PyTorch's `nn.GELU()`.
    Gelu,
    Tanh,
    Sigmoid,
}

impl Act {
    pub const ALL: [Act; 5] = [
        Act::Relu,
        Act::LeakyRelu,
        Act::Gelu,
        Act::Tanh,
        Act::Sigmoid,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Act::Relu => "ReLU",
            Act::LeakyRelu => "LeakyReLU",
            Act::Gelu => "GELU",
            Act::Tanh => "Tanh",
            Act::Sigmoid => "Sigmoid",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Act::Relu => "relu",
            Act::LeakyRelu => "lrelu",
            Act::Gelu => "gelu",
            Act::Tanh => "tanh",
            Act::Sigmoid => "sigmoid",
        }
    }

    pub fn from_key(key: &str) -> Option<Act> {
        Act::ALL.into_iter().find(|act| act.key() == key)
    }

    /// Floating-point operations per element, roughly (for the FLOPs estimate).
    pub(crate) fn flops(self) -> u64 {
        match self {
            Act::Relu | Act::LeakyRelu => 1,
            Act::Tanh | Act::Sigmoid => 4,
            Act::Gelu => 8,
        }
    }
}

/// One layer of a network.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Layer {
    /// 2-D convolution with `filters` output channels, a square `kernel`, symmetric zero
    /// `padding`, `stride` and `dilation`.
    Conv2d {
        filters: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        dilation: usize,
    },
    /// Max over `size × size` windows every `stride` pixels.
    MaxPool {
        size: usize,
        stride: usize,
    },
    /// Mean over `size × size` windows every `stride` pixels.
    AvgPool {
        size: usize,
        stride: usize,
    },
    /// Mean of each channel over the whole image: `C×H×W → C`.
    GlobalAvgPool,
    /// `C×H×W → C·H·W`.
    Flatten,
    /// Fully connected, `units` outputs; no activation of its own.
    Dense {
        units: usize,
    },
    /// Zeroes each value with probability `percent / 100` while training.
    Dropout {
        percent: u8,
    },
    /// Normalises each channel (or feature) over the batch; learns a scale and shift.
    BatchNorm,
    /// Normalises each sample over all its values; learns a scale and shift per value.
    LayerNorm,
    Activation(Act),
    /// Adds tap `from` to this layer's input (a residual connection). Shapes must match.
    Add {
        from: usize,
    },
    /// Joins tap `from` with this layer's input: along channels for images of the same size,
    /// end to end for flat vectors.
    Concat {
        from: usize,
    },
    /// Turns the last layer's outputs into class probabilities. Must come last.
    Softmax,
}

impl Layer {
    /// The name the palette and the messages use.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Conv2d { .. } => "Conv2d",
            Layer::MaxPool { .. } => "MaxPool2d",
            Layer::AvgPool { .. } => "AvgPool2d",
            Layer::GlobalAvgPool => "GlobalAvgPool",
            Layer::Flatten => "Flatten",
            Layer::Dense { .. } => "Dense",
            Layer::Dropout { .. } => "Dropout",
            Layer::BatchNorm => "BatchNorm",
            Layer::LayerNorm => "LayerNorm",
            Layer::Activation(act) => act.label(),
            Layer::Add { .. } => "Add",
            Layer::Concat { .. } => "Concat",
            Layer::Softmax => "Softmax",
        }
    }

    /// The name with its main setting, as the views list layers: "Conv2d 8@3×3", "Dense 10".
    pub fn title(&self) -> String {
        match self {
            Layer::Conv2d {
                filters, kernel, ..
            } => format!("Conv2d {filters}@{kernel}×{kernel}"),
            Layer::MaxPool { size, .. } => format!("MaxPool2d {size}×{size}"),
            Layer::AvgPool { size, .. } => format!("AvgPool2d {size}×{size}"),
            Layer::Dense { units } => format!("Dense {units}"),
            Layer::Dropout { percent } => format!("Dropout {percent} %"),
            other => other.kind().to_owned(),
        }
    }

    /// The tap this layer joins with its input, for `Add` and `Concat`.
    pub fn skip_from(&self) -> Option<usize> {
        match self {
            Layer::Add { from } | Layer::Concat { from } => Some(*from),
            _ => None,
        }
    }

    /// A conv layer with "same"-style settings: stride 1, padding keeping the size.
    pub fn conv(filters: usize, kernel: usize) -> Layer {
        Layer::Conv2d {
            filters,
            kernel,
            stride: 1,
            padding: kernel / 2,
            dilation: 1,
        }
    }
}
