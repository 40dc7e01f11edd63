//! Training settings that can change while training runs: learning rate, batch size,
//! optimizer and regularization. Plain data, shared with the UI and the URL.

use serde::{Deserialize, Serialize};

/// How parameters are updated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OptimizerKind {
    Sgd,
    /// SGD with momentum 0.9.
    Momentum,
    Adam,
}

impl OptimizerKind {
    pub const ALL: [OptimizerKind; 3] = [
        OptimizerKind::Sgd,
        OptimizerKind::Momentum,
        OptimizerKind::Adam,
    ];

    pub fn label(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "SGD",
            OptimizerKind::Momentum => "SGD + momentum",
            OptimizerKind::Adam => "Adam",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Momentum => "momentum",
            OptimizerKind::Adam => "adam",
        }
    }

    pub fn from_key(key: &str) -> Option<OptimizerKind> {
        OptimizerKind::ALL
            .into_iter()
            .find(|kind| kind.key() == key)
    }
}

/// A penalty on the weights (not the biases), added to the loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Regularization {
    None,
    /// `rate · Σ|w|`
    L1,
    /// `rate · ½ Σw²`
    L2,
}

impl Regularization {
    pub const ALL: [Regularization; 3] =
        [Regularization::None, Regularization::L1, Regularization::L2];

    pub fn label(self) -> &'static str {
        match self {
            Regularization::None => "None",
            Regularization::L1 => "L1",
            Regularization::L2 => "L2",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Regularization::None => "none",
            Regularization::L1 => "l1",
            Regularization::L2 => "l2",
        }
    }

    pub fn from_key(key: &str) -> Option<Regularization> {
        Regularization::ALL
            .into_iter()
            .find(|kind| kind.key() == key)
    }
}

/// Settings that can change while training runs, without resetting the network.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hyper {
    pub learning_rate: f64,
    pub batch_size: usize,
    pub optimizer: OptimizerKind,
    pub regularization: Regularization,
    pub regularization_rate: f64,
}

impl Default for Hyper {
    /// TensorFlow Playground's defaults.
    fn default() -> Self {
        Hyper {
            learning_rate: 0.03,
            batch_size: 10,
            optimizer: OptimizerKind::Sgd,
            regularization: Regularization::None,
            regularization_rate: 0.0,
        }
    }
}
