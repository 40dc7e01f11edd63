//! A network's numbers on the host: per layer, weights and biases, and the seeded starting
//! values. No tensors, so the same starting network is built on every backend.

use serde::{Deserialize, Serialize};

use crate::data::Rng;
use crate::shape::{SpecError, infer_shapes};
use crate::spec::NetworkSpec;

/// One dense layer's numbers, host side.
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

/// Glorot-uniform weights and zero biases for every layer of `spec`, from `seed`.
///
/// # Errors
/// The spec's validation error, if it is not a trainable network.
#[allow(clippy::cast_precision_loss)] // layer widths are at most 64
pub fn initial_weights(spec: &NetworkSpec, seed: u64) -> Result<Vec<LayerWeights>, SpecError> {
    let report = infer_shapes(spec)?;
    let mut rng = Rng::new(seed ^ 0x005E_ED0F_11EA_u64);
    let mut fan_in = report.input_units;
    let mut layers = Vec::with_capacity(report.layers.len());
    for layer in &report.layers {
        let limit = (6.0 / (fan_in + layer.units) as f32).sqrt();
        let weights = (0..fan_in * layer.units)
            .map(|_| rng.uniform(-limit, limit))
            .collect();
        layers.push(LayerWeights {
            fan_in,
            units: layer.units,
            weights,
            biases: vec![0.0; layer.units],
        });
        fan_in = layer.units;
    }
    Ok(layers)
}
