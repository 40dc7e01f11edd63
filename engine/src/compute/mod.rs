//! The tensor half (feature `burn`): a [`Network`](crate::net::Network) built as a Burn model
//! of typed blocks, the one [`Trainer`], and the probes the views read through it.

mod activation;
mod backbone;
mod batches;
mod loss;
mod model;
mod norm;
mod optim;
mod probes;
mod tensors;
mod trainer;
mod value;

pub use activation::LEAKY_SLOPE;
pub use backbone::{Backbone, FoldedConv, MbConv, input_tensor, pool};
pub use batches::HOST_BATCHES_ABOVE_BYTES;
pub use loss::{cross_entropy, data_loss, mean_squared_error, penalty};
pub use model::{Block, Conv2dBlock, DenseBlock, Forward, Mode, Model, PlainBlock};
pub use norm::{BATCH_NORM_MOMENTUM, NORM_EPSILON, NormBlock, Running};
pub use optim::{Optim, clip_global_norm};
pub use probes::{PlaneProbe, neuron_taps};
pub use tensors::{images_tensor, one_hot, rows_tensor, targets_tensor};
pub use trainer::{EpochMetrics, Evaluation, TrainError, Trainer};
pub use value::Value;
