//! The plane's views of the one trainer: the probe that reads what the playground draws
//! (losses over the whole sets, the output and every neuron over the grid, the Dense
//! weights) as a [`Snapshot`], and the weights a snapshot carries back into parameters.

use agora_engine::compute::{PlaneProbe, neuron_taps};
use agora_engine::data::DOMAIN;
use agora_engine::net::{Feature, Input, Layer, Network};
use agora_engine::params::{HostTensor, LayerParams};
use agora_engine::samples::Rows;
use agora_engine::snapshot::{LayerWeights, TABLE_PLANE_DEVIATIONS};
use agora_engine::{TrainError, Trainer};

/// The probe for a network reading rows: the grid's points as the network's features, or, for
/// a table of two columns, the standardised columns themselves as the two axes (±3 σ); no
/// grid for wider tables. `None` for images (their views read the trainer directly).
///
/// # Errors
/// The grid does not fit the network.
pub fn probe(trainer: &Trainer) -> Result<Option<PlaneProbe>, TrainError> {
    let network = trainer.network();
    let taps = neuron_taps(&network.layers);
    match &network.input {
        Input::Points { features } => {
            PlaneProbe::new(trainer, &Rows::plane_grid(features, 1.0), taps).map(Some)
        }
        Input::Table { columns: 2 } => PlaneProbe::new(
            trainer,
            &Rows::plane_grid(&[Feature::X1, Feature::X2], TABLE_PLANE_DEVIATIONS / DOMAIN),
            taps,
        )
        .map(Some),
        Input::Table { .. } => Ok(Some(PlaneProbe::without_grid())),
        Input::Image(_) | Input::Pretrained { .. } => Ok(None),
    }
}

/// The parameters of `network` from the Dense weights a snapshot holds, to go on from them
/// after the device that trained them is lost; `None` when the network has numbers a
/// snapshot does not carry (norms) or the weights do not fit.
pub fn params_from_dense(network: &Network, dense: &[LayerWeights]) -> Option<Vec<LayerParams>> {
    let mut dense = dense.iter();
    network
        .layers
        .iter()
        .map(|layer| match layer {
            Layer::Dense { units } => {
                let weights = dense.next()?;
                (weights.units == *units
                    && weights.weights.len() == weights.fan_in * weights.units
                    && weights.biases.len() == weights.units)
                    .then(|| {
                        vec![
                            HostTensor {
                                shape: vec![weights.fan_in, weights.units],
                                values: weights.weights.clone(),
                            },
                            HostTensor {
                                shape: vec![weights.units],
                                values: weights.biases.clone(),
                            },
                        ]
                    })
            }
            Layer::Conv2d { .. } | Layer::BatchNorm | Layer::LayerNorm => None,
            _ => Some(Vec::new()),
        })
        .collect()
}
