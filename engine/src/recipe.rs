//! How a network is trained: optimizer, learning-rate schedule, penalties, clipping, the
//! initialiser, epochs, batches. Plain data shared with the UI and the URL; the maths of the
//! schedule is here too. The playground and the image lab set the same recipe.

use serde::{Deserialize, Serialize};

/// The parameter update rule. Each matches PyTorch's optimizer of the same name (checked
/// against fixtures written by PyTorch in `engine/tests/fixtures`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Optimizer {
    /// `torch.optim.SGD`, with the recipe's momentum and Nesterov flag.
    Sgd,
    /// `torch.optim.Adam` (β = 0.9, 0.999; ε = 1e-8); weight decay is added to the gradient.
    Adam,
    /// `torch.optim.AdamW`: weight decay is decoupled from the gradient.
    AdamW,
    /// `torch.optim.RMSprop` (α = 0.99, ε = 1e-8), with the recipe's momentum.
    RmsProp,
}

impl Optimizer {
    pub const ALL: [Optimizer; 4] = [
        Optimizer::Sgd,
        Optimizer::Adam,
        Optimizer::AdamW,
        Optimizer::RmsProp,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Optimizer::Sgd => "SGD",
            Optimizer::Adam => "Adam",
            Optimizer::AdamW => "AdamW",
            Optimizer::RmsProp => "RMSprop",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Optimizer::Sgd => "sgd",
            Optimizer::Adam => "adam",
            Optimizer::AdamW => "adamw",
            Optimizer::RmsProp => "rmsprop",
        }
    }

    pub fn from_key(key: &str) -> Option<Optimizer> {
        Optimizer::ALL.into_iter().find(|kind| kind.key() == key)
    }

    /// Whether the momentum setting applies.
    pub fn uses_momentum(self) -> bool {
        matches!(self, Optimizer::Sgd | Optimizer::RmsProp)
    }
}

/// How the learning rate changes over training, after the warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    Constant,
    /// Multiply by `gamma` every `every` epochs (PyTorch's `StepLR`).
    Step {
        every: usize,
        gamma: f64,
    },
    /// Half a cosine from the base rate down to 0 at the last epoch (`CosineAnnealingLR`
    /// with `T_max` = epochs, evaluated per step).
    Cosine,
}

impl Schedule {
    pub fn label(self) -> &'static str {
        match self {
            Schedule::Constant => "Constant",
            Schedule::Step { .. } => "Step",
            Schedule::Cosine => "Cosine",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Schedule::Constant => "const",
            Schedule::Step { .. } => "step",
            Schedule::Cosine => "cos",
        }
    }
}

/// A penalty on the weights of Dense and Conv2d layers (not biases or norms), added to the
/// loss, so it behaves the same under every optimizer (TensorFlow Playground's
/// regularization).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Penalty {
    None,
    /// `rate · Σ|w|`
    L1,
    /// `rate · ½ Σw²`
    L2,
}

impl Penalty {
    pub const ALL: [Penalty; 3] = [Penalty::None, Penalty::L1, Penalty::L2];

    pub fn label(self) -> &'static str {
        match self {
            Penalty::None => "None",
            Penalty::L1 => "L1",
            Penalty::L2 => "L2",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Penalty::None => "none",
            Penalty::L1 => "l1",
            Penalty::L2 => "l2",
        }
    }

    pub fn from_key(key: &str) -> Option<Penalty> {
        Penalty::ALL.into_iter().find(|kind| kind.key() == key)
    }
}

/// How the starting weights are drawn (from the run's seed, by our own generator, so every
/// backend starts from the same numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Init {
    /// PyTorch's default for `Linear` and `Conv2d`: weights and biases uniform in
    /// `±1/√fan_in`.
    Torch,
    /// Glorot (Xavier) uniform weights in `±√(6 / (fan_in + fan_out))`, zero biases: the
    /// playground's.
    Glorot,
}

impl Init {
    pub const ALL: [Init; 2] = [Init::Torch, Init::Glorot];

    pub fn label(self) -> &'static str {
        match self {
            Init::Torch => "PyTorch default",
            Init::Glorot => "Glorot uniform",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Init::Torch => "torch",
            Init::Glorot => "glorot",
        }
    }

    pub fn from_key(key: &str) -> Option<Init> {
        Init::ALL.into_iter().find(|kind| kind.key() == key)
    }
}

/// Everything about how a network is trained. Fields missing from a saved recipe take their
/// defaults, so older links still open.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Recipe {
    pub optimizer: Optimizer,
    pub learning_rate: f64,
    /// SGD and RMSprop momentum (0 = none).
    pub momentum: f64,
    pub nesterov: bool,
    /// L2 penalty (SGD, Adam, RMSprop) or decoupled decay (AdamW).
    pub weight_decay: f64,
    /// Rescale all gradients together so their global L2 norm is at most this
    /// (`torch.nn.utils.clip_grad_norm_`); `None` = no clipping.
    pub clip_norm: Option<f64>,
    pub schedule: Schedule,
    /// Epochs over which the rate rises linearly from 0 to the base rate, step by step.
    pub warmup_epochs: usize,
    /// How many epochs a run lasts (the cosine schedule ends here; training stops here).
    /// `usize::MAX` is "no end"; read saturating, so a project saved where `usize` is 64 bits
    /// opens where it is 32 (wasm32).
    #[serde(deserialize_with = "saturating_usize")]
    pub epochs: usize,
    pub batch_size: usize,
    /// Reshuffle the training samples every epoch (from the run's seed).
    pub shuffle: bool,
    /// L1 or L2 penalty on the weights, at `penalty_rate`.
    pub penalty: Penalty,
    pub penalty_rate: f64,
    pub init: Init,
}

impl Default for Recipe {
    fn default() -> Self {
        Recipe {
            optimizer: Optimizer::Adam,
            learning_rate: 0.002,
            momentum: 0.9,
            nesterov: false,
            weight_decay: 0.0,
            clip_norm: None,
            schedule: Schedule::Constant,
            warmup_epochs: 0,
            epochs: 10,
            batch_size: 32,
            shuffle: true,
            penalty: Penalty::None,
            penalty_rate: 0.0,
            init: Init::Torch,
        }
    }
}

impl Recipe {
    /// TensorFlow Playground's settings: plain SGD at 0.03, batches of 10, Glorot weights,
    /// no penalty; it trains until paused.
    pub fn playground() -> Recipe {
        Recipe {
            optimizer: Optimizer::Sgd,
            learning_rate: 0.03,
            momentum: 0.0,
            batch_size: 10,
            epochs: usize::MAX,
            init: Init::Glorot,
            ..Recipe::default()
        }
    }

    /// The learning rate for the step at `epoch + fraction` (fraction in `[0, 1)` of the way
    /// through that epoch).
    pub fn rate_at(&self, epoch: usize, fraction: f64) -> f64 {
        let base = self.learning_rate;
        #[allow(clippy::cast_precision_loss)] // epoch counts are small
        let position = epoch as f64 + fraction.clamp(0.0, 1.0);
        #[allow(clippy::cast_precision_loss)]
        let warmup = self.warmup_epochs as f64;
        if position < warmup {
            return base * (position / warmup).max(0.0);
        }
        match self.schedule {
            Schedule::Constant => base,
            Schedule::Step { every, gamma } => {
                let drops = epoch / every.max(1);
                base * gamma.powi(i32::try_from(drops).unwrap_or(i32::MAX))
            }
            Schedule::Cosine => {
                #[allow(clippy::cast_precision_loss)]
                let total = (self.epochs.clamp(1, 1 << 30) as f64 - warmup).max(1e-9);
                let progress = ((position - warmup) / total).clamp(0.0, 1.0);
                base * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
            }
        }
    }
}

/// What one epoch did, read back after it ends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    pub epoch: usize,
    /// Mean loss over the epoch's batches, as they were trained.
    pub train_loss: f32,
    /// Share right over the epoch's batches; NaN for regression.
    pub train_accuracy: f32,
    pub val_loss: f32,
    /// NaN for regression.
    pub val_accuracy: f32,
    /// The learning rate at the epoch's last step.
    pub learning_rate: f64,
}

/// A count written as any unsigned number, capped at this target's `usize::MAX`.
fn saturating_usize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    let value = <u64 as serde::Deserialize>::deserialize(deserializer)?;
    Ok(usize::try_from(value).unwrap_or(usize::MAX))
}
