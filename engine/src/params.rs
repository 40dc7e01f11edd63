//! A network's numbers on the host: every layer's parameters (and batch-norm running
//! statistics) in a fixed order, and the seeded starting values. No tensors, so the same
//! starting network is built on every backend and a saved project can hold them.

use serde::{Deserialize, Serialize};

use crate::data::Rng;
use crate::net::{GraphError, GraphReport, Layer, Network, Shape, infer_graph};
use crate::recipe::Init;

/// A tensor held on the host, in PyTorch's layout except for Dense weights, which are
/// `[inputs, units]` as Burn stores them. Activations drop the batch axis: `[c, h, w]` or `[n]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostTensor {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

impl HostTensor {
    fn filled(shape: Vec<usize>, value: f32) -> HostTensor {
        let count = shape.iter().product();
        HostTensor {
            shape,
            values: vec![value; count],
        }
    }

    fn uniform(shape: Vec<usize>, bound: f32, rng: &mut Rng) -> HostTensor {
        let count = shape.iter().product();
        HostTensor {
            shape,
            values: (0..count).map(|_| rng.uniform(-bound, bound)).collect(),
        }
    }
}

/// One layer's numbers, in a fixed order: Conv2d `[weight, bias]`, Dense `[weight, bias]`,
/// BatchNorm `[gamma, beta, running mean, running var]`, LayerNorm `[gamma, beta]`, others `[]`.
pub type LayerParams = Vec<HostTensor>;

/// The parameter shapes each layer expects, in [`LayerParams`] order.
pub fn param_shapes(network: &Network, report: &GraphReport) -> Vec<Vec<Vec<usize>>> {
    network
        .layers
        .iter()
        .enumerate()
        .map(|(at, layer)| {
            let input = report.tap(at).unwrap_or(report.input);
            let features = match input {
                Shape::Image { channels, .. } => channels,
                Shape::Flat(units) => units,
            };
            match (layer, input) {
                (
                    Layer::Conv2d {
                        filters, kernel, ..
                    },
                    Shape::Image { channels, .. },
                ) => vec![vec![*filters, channels, *kernel, *kernel], vec![*filters]],
                (Layer::Dense { units }, Shape::Flat(inputs)) => {
                    vec![vec![inputs, *units], vec![*units]]
                }
                (Layer::BatchNorm, _) => vec![vec![features]; 4],
                (Layer::LayerNorm, shape) => vec![vec![shape.elements()]; 2],
                _ => Vec::new(),
            }
        })
        .collect()
}

/// The numbers a network starts from, drawn by `init` from `seed` with our own generator, so
/// the same seed starts the same network on every backend. Norms start at scale 1 and shift
/// 0, BatchNorm's running mean at 0 and variance at 1.
///
/// # Errors
/// The network is invalid.
pub fn initial_params(
    network: &Network,
    init: Init,
    seed: u64,
) -> Result<Vec<LayerParams>, GraphError> {
    let report = infer_graph(network)?;
    let mut rng = Rng::new(
        seed ^ match init {
            Init::Torch => 0xC0_4E7,
            Init::Glorot => 0x005E_ED0F_11EA,
        },
    );
    Ok(network
        .layers
        .iter()
        .zip(param_shapes(network, &report))
        .map(|(layer, shapes)| match layer {
            Layer::Conv2d { .. } | Layer::Dense { .. } => {
                // Conv2d `[filters, channels, k, k]` and Dense `[inputs, units]`.
                let weight = &shapes[0];
                let (fan_in, fan_out): (usize, usize) = match layer {
                    Layer::Conv2d { .. } => (
                        weight[1..].iter().product(),
                        weight[0] * weight[2] * weight[3],
                    ),
                    _ => (weight[0], weight[1]),
                };
                #[allow(clippy::cast_precision_loss)] // fan sizes are far below 2^24
                match init {
                    Init::Torch => {
                        let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
                        shapes
                            .into_iter()
                            .map(|shape| HostTensor::uniform(shape, bound, &mut rng))
                            .collect()
                    }
                    Init::Glorot => {
                        let bound = (6.0 / (fan_in + fan_out).max(1) as f32).sqrt();
                        let mut shapes = shapes.into_iter();
                        let weights = shapes
                            .next()
                            .map(|shape| HostTensor::uniform(shape, bound, &mut rng));
                        weights
                            .into_iter()
                            .chain(shapes.map(|shape| HostTensor::filled(shape, 0.0)))
                            .collect()
                    }
                }
            }
            _ => shapes
                .into_iter()
                .zip([1.0, 0.0, 0.0, 1.0])
                .map(|(shape, value)| HostTensor::filled(shape, value))
                .collect(),
        })
        .collect())
}
