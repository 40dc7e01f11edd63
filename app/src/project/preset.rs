//! Ready-made image networks for the layer graph.

use agora_engine::net::{Head, ImageSize, Input, Layer, Network};
use serde::{Deserialize, Serialize};

/// Ready-made networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preset {
    LeNet,
    ResNet,
    /// Only the head, to build the rest by hand.
    Empty,
}

impl Preset {
    pub const ALL: [Preset; 3] = [Preset::LeNet, Preset::ResNet, Preset::Empty];

    pub fn label(self) -> &'static str {
        match self {
            Preset::LeNet => "LeNet (small CNN)",
            Preset::ResNet => "Small ResNet (skip connection)",
            Preset::Empty => "Empty (build your own)",
        }
    }

    /// The preset for the digits.
    pub fn network(self) -> Network {
        self.network_for(super::DIGITS, super::DIGIT_CLASSES)
    }

    pub fn network_for(self, input: ImageSize, classes: usize) -> Network {
        match self {
            Preset::LeNet => Network::lenet(input, classes),
            Preset::ResNet => Network::small_resnet(input, classes),
            Preset::Empty => Network {
                input: Input::Image(input),
                layers: vec![
                    Layer::Flatten,
                    Layer::Dense { units: classes },
                    Layer::Softmax,
                ],
                head: Head::Classification { classes },
            },
        }
    }
}
