//! Where a run is: its weights, its epoch, and (when read with them) what the optimizer
//! remembered — what a saved or kept project goes on from.

use serde::{Deserialize, Serialize};

use crate::optimizer_state::OptimizerState;
use crate::params::LayerParams;

/// A network's numbers after some training: every layer's parameters and the epochs done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub params: Vec<LayerParams>,
    /// What the optimizer remembered (momentum, Adam's moments) and the shuffle state, when
    /// read with the weights.
    #[serde(default)]
    pub optimizer: Option<OptimizerState>,
    /// Completed epochs.
    pub epoch: usize,
}
