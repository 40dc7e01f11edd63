//! What the UI is shown of a network in training: losses, accuracies, heatmaps and weights.
//! Plain data, so it crosses the worker boundary and is read by the page without Burn.

use serde::{Deserialize, Serialize};

use crate::weights::LayerWeights;

/// Heatmap resolution: the output and every neuron are evaluated on a `GRID × GRID` grid.
pub const GRID: usize = 48;

/// What one read of the network shows: losses, accuracies, heatmaps and weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Completed passes over the training set.
    pub epoch: usize,
    /// Mean data loss (cross-entropy or MSE, without the regularization term).
    pub train_loss: f32,
    pub test_loss: f32,
    /// Share of points classified correctly; `None` for regression.
    pub train_accuracy: Option<f32>,
    pub test_accuracy: Option<f32>,
    /// The output over the `GRID × GRID` plane, row-major from the top-left:
    /// `[GRID², classes]` probabilities, or `[GRID²]` regression values.
    pub output_grid: Vec<f32>,
    /// Per hidden layer, the activations over the plane: `[GRID², units]`.
    pub neuron_grids: Vec<Vec<f32>>,
    /// Every layer's weights, hidden layers first.
    pub layers: Vec<LayerWeights>,
}

impl Snapshot {
    /// False when the loss became NaN or infinite: training diverged.
    pub fn is_finite(&self) -> bool {
        self.train_loss.is_finite() && self.test_loss.is_finite()
    }

    /// One neuron's heatmap: `GRID²` values.
    pub fn neuron_heatmap(&self, layer: usize, neuron: usize) -> Option<Vec<f32>> {
        let grid = self.neuron_grids.get(layer)?;
        let units = grid.len() / (GRID * GRID);
        (neuron < units).then(|| grid.iter().skip(neuron).step_by(units).copied().collect())
    }
}
