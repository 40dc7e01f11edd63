//! What the playground shows of a network on points of the plane: losses, accuracies, the
//! output and every neuron over the plane, and the Dense weights. Plain data, so it crosses the
//! worker boundary and is read by the page without Burn.

use serde::{Deserialize, Serialize};

/// One dense layer's numbers, as the playground draws them on the links.
///
/// # Shapes
///   - `weights` `[fan_in, units]`, row-major: `weights[i * units + j]` joins input `i` to
///     neuron `j`
///   - `biases` `[units]`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerWeights {
    pub fan_in: usize,
    pub units: usize,
    pub weights: Vec<f32>,
    pub biases: Vec<f32>,
}

/// The plane drawn for a table of two columns spans this many standard deviations each way
/// (the points of the plane span ±`data::DOMAIN`), so standardised rows fill the picture.
pub const TABLE_PLANE_DEVIATIONS: f32 = 3.0;

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
    /// The test points' logits `[points × classes]` and classes, for the confusion matrix and
    /// the calibration of the playground (empty for regression).
    pub test_logits: Vec<f32>,
    pub test_labels: Vec<u8>,
    /// The output over the `GRID × GRID` plane, row-major from the top-left:
    /// `[GRID², classes]` probabilities, or `[GRID²]` regression values.
    pub output_grid: Vec<f32>,
    /// Per hidden Dense layer, its neurons (after its activation) over the plane:
    /// `[GRID², units]`.
    pub neuron_grids: Vec<Vec<f32>>,
    /// Every Dense layer's weights, hidden layers first, the output layer last.
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
