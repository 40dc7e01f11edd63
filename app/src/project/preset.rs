//! Ready-made image networks for the layer graph.

use agora_engine::net::{Act, Head, ImageSize, Input, Layer, Network};
use serde::{Deserialize, Serialize};

/// Ready-made networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preset {
    LeNet,
    ResNet,
    /// Only the head, to build the rest by hand.
    Empty,
    /// On the pretrained network's features: one softmax layer (Teachable Machine's head).
    Softmax,
    /// On the pretrained network's features: one hidden layer of 128, dropout, softmax.
    Hidden,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::LeNet,
        Preset::ResNet,
        Preset::Empty,
        Preset::Softmax,
        Preset::Hidden,
    ];

    /// The presets that fit an input: networks over pixels, or heads over features.
    pub fn offered(pretrained: bool) -> &'static [Preset] {
        if pretrained {
            &[Preset::Softmax, Preset::Hidden]
        } else {
            &[Preset::LeNet, Preset::ResNet, Preset::Empty]
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Preset::LeNet => "LeNet (small CNN)",
            Preset::ResNet => "Small ResNet (skip connection)",
            Preset::Empty => "Empty (build your own)",
            Preset::Softmax => "Softmax head (Teachable Machine's)",
            Preset::Hidden => "One hidden layer (128, ReLU, dropout)",
        }
    }

    /// The preset for the digits.
    pub fn network(self) -> Network {
        self.network_for(super::DIGITS, super::DIGIT_CLASSES)
    }

    /// The preset over `input`: a head over the pretrained network's features, or a network
    /// over pixels (a head preset over pixels flattens them first).
    pub fn network_on(self, input: &Input, classes: usize) -> Network {
        match (self, input) {
            (Preset::Softmax | Preset::Hidden, Input::Pretrained { .. }) => {
                let mut layers = Vec::new();
                if self == Preset::Hidden {
                    layers.extend([
                        Layer::Dense { units: 128 },
                        Layer::Activation(Act::Relu),
                        Layer::Dropout { percent: 20 },
                    ]);
                }
                layers.extend([Layer::Dense { units: classes }, Layer::Softmax]);
                Network {
                    input: input.clone(),
                    layers,
                    head: Head::Classification { classes },
                }
            }
            (_, Input::Pretrained { .. }) => Preset::Softmax.network_on(input, classes),
            (_, Input::Image(size)) => self.network_for(*size, classes),
            (_, _) => Preset::Empty.network_for(super::DIGITS, classes),
        }
    }

    pub fn network_for(self, input: ImageSize, classes: usize) -> Network {
        match self {
            Preset::LeNet => Network::lenet(input, classes),
            Preset::ResNet => Network::small_resnet(input, classes),
            Preset::Empty | Preset::Softmax | Preset::Hidden => Network {
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
