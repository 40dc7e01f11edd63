//! The playground's view of the one network: hidden Dense layers, each with its activation (or
//! none, TensorFlow Playground's "Linear"), between the input features and the head. The
//! builder edits this form; [`network`] turns it into the engine's [`Network`], which the
//! worker trains and [`infer_shapes`] checks with the engine's one shape inference, plus the
//! limits that keep the playground's drawing readable.

use agora_engine::net::{Act, Feature, GraphError, Head, Input, Layer, Network, infer_graph};
use serde::{Deserialize, Serialize};

/// Most hidden layers (the builder and the neuron heatmaps stay readable).
pub const MAX_LAYERS: usize = 8;
/// Most neurons a hidden layer may have.
pub const MAX_UNITS: usize = 64;
/// Most classes (one colour each in the heatmap).
pub const MAX_CLASSES: usize = 8;

/// The activations the playground offers, in its order; `None` is "Linear".
pub const ACTIVATIONS: [Option<Act>; 6] = [
    Some(Act::Relu),
    Some(Act::Tanh),
    Some(Act::Sigmoid),
    None,
    Some(Act::LeakyRelu),
    Some(Act::Gelu),
];

/// "tanh", or "linear" for none (the URL's key).
pub fn activation_key(activation: Option<Act>) -> &'static str {
    activation.map_or("linear", Act::key)
}

/// "Tanh", or "Linear" for none.
pub fn activation_label(activation: Option<Act>) -> &'static str {
    activation.map_or("Linear", Act::label)
}

/// The activation for a key; `Some(None)` is "linear".
pub fn activation_from_key(key: &str) -> Option<Option<Act>> {
    if key == "linear" {
        Some(None)
    } else {
        Act::from_key(key).map(Some)
    }
}

/// One hidden layer the person placed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LayerSpec {
    /// `units` neurons, each followed by `activation` (none: linear); optionally batch norm
    /// before the activation, a skip connection adding the previous layer's output after it
    /// (a residual block: the widths must match), and dropout of `dropout` percent last.
    Dense {
        units: usize,
        activation: Option<Act>,
        norm: bool,
        skip: bool,
        dropout: u8,
    },
}

/// The dropout rates the playground offers, in percent.
pub const DROPOUTS: [u8; 4] = [0, 10, 25, 50];

impl LayerSpec {
    /// A plain Dense layer with its activation.
    pub fn dense(units: usize, activation: Option<Act>) -> LayerSpec {
        LayerSpec::Dense {
            units,
            activation,
            norm: false,
            skip: false,
            dropout: 0,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            LayerSpec::Dense { .. } => "Dense",
        }
    }

    pub fn units(&self) -> usize {
        let LayerSpec::Dense { units, .. } = self;
        *units
    }

    pub fn activation(&self) -> Option<Act> {
        let LayerSpec::Dense { activation, .. } = self;
        *activation
    }
}

/// The engine's network for this input (points with features, or a table's columns), hidden
/// layers and head: per hidden layer `Dense`, `BatchNorm`?, the activation?, `Add` of the
/// previous layer's output?, `Dropout`?; then the head's output layer.
pub fn network(input: &Input, layers: &[LayerSpec], head: Head) -> Network {
    let plain: Vec<(usize, Option<Act>)> = Vec::new();
    let mut network = Network::dense(input.clone(), &plain, head);
    let output = std::mem::take(&mut network.layers);
    // The tap holding the previous hidden layer's output (0: the input).
    let mut previous = 0;
    for layer in layers {
        let LayerSpec::Dense {
            units,
            activation,
            norm,
            skip,
            dropout,
        } = *layer;
        network.layers.push(Layer::Dense { units });
        if norm {
            network.layers.push(Layer::BatchNorm);
        }
        if let Some(act) = activation {
            network.layers.push(Layer::Activation(act));
        }
        if skip {
            network.layers.push(Layer::Add { from: previous });
        }
        if dropout > 0 {
            network.layers.push(Layer::Dropout { percent: dropout });
        }
        previous = network.layers.len();
    }
    network.layers.extend(output);
    network
}

/// The playground's cards for a network built by [`network`]: its hidden layers, read back
/// from the one network (the inverse of [`network`] whatever the head), or `None` when the
/// network is not a stack of Dense blocks the playground can draw (a conv net, a layer norm, a
/// skip from further back).
pub fn cards(network: &Network) -> Option<Vec<LayerSpec>> {
    let layers = &network.layers;
    let mut cards = Vec::new();
    let mut at = 0;
    loop {
        if let [Layer::Dense { .. }] | [Layer::Dense { .. }, Layer::Softmax] = &layers[at..] {
            return Some(cards);
        }
        let Some(&Layer::Dense { units }) = layers.get(at) else {
            return None;
        };
        let previous = at;
        at += 1;
        let norm = matches!(layers.get(at), Some(Layer::BatchNorm));
        at += usize::from(norm);
        let activation = match layers.get(at) {
            Some(&Layer::Activation(act)) => {
                at += 1;
                Some(act)
            }
            _ => None,
        };
        let skip = match layers.get(at) {
            Some(&Layer::Add { from }) if from == previous => {
                at += 1;
                true
            }
            Some(Layer::Add { .. }) => return None,
            _ => false,
        };
        let dropout = match layers.get(at) {
            Some(&Layer::Dropout { percent }) if percent > 0 => {
                at += 1;
                percent
            }
            _ => 0,
        };
        cards.push(LayerSpec::Dense {
            units,
            activation,
            norm,
            skip,
            dropout,
        });
    }
}

/// Points of the plane with these features.
pub fn points(features: &[Feature]) -> Input {
    Input::Points {
        features: features.to_vec(),
    }
}

/// Why a network cannot be trained. Each message says what is wrong and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum SpecError {
    #[error(
        "The network has no input: switch on at least one input feature (x₁, x₂, …) in the Features column."
    )]
    NoFeatures,
    #[error("The network has no input: tick at least one feature column of your table.")]
    NoColumns,
    #[error(
        "Layer {number} ({kind}) has 0 neurons: give it at least 1 neuron with +, or remove the layer."
    )]
    ZeroUnits { number: usize, kind: String },
    #[error(
        "Layer {number} ({kind}) has {units} neurons, more than the {max} allowed: lower it to {max} or fewer."
    )]
    TooManyUnits {
        number: usize,
        kind: String,
        units: usize,
        max: usize,
    },
    #[error(
        "Layer {number}'s skip adds {from} values to its own {units}: give both layers the same number of neurons, or untick skip."
    )]
    SkipShape {
        number: usize,
        from: usize,
        units: usize,
    },
    #[error(
        "The network has {count} hidden layers, more than the {max} allowed: remove {excess} of them.",
        excess = count - max
    )]
    TooManyLayers { count: usize, max: usize },
    #[error(
        "A classifier needs at least 2 classes, this one has {classes}: pick a dataset with 2 or more classes."
    )]
    TooFewClasses { classes: usize },
    #[error(
        "A classifier can have at most {max} classes, this one has {classes}: pick fewer classes."
    )]
    TooManyClasses { classes: usize, max: usize },
    /// Anything else the engine's shape inference finds.
    #[error("{0}")]
    Graph(GraphError),
}

/// One hidden or output layer's place in the network, as the builder shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerShape {
    /// "Dense", "Output".
    pub kind: String,
    /// Values per sample this layer outputs: shape `[batch, units]`.
    pub units: usize,
    /// Trainable numbers in this layer (weights and biases).
    pub params: usize,
}

/// Every Dense layer's shape, hidden layers first and the output layer last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShapeReport {
    pub input_units: usize,
    pub layers: Vec<LayerShape>,
    pub total_params: usize,
}

impl ShapeReport {
    /// The neurons per hidden layer, e.g. `[4, 2]`.
    pub fn hidden_units(&self) -> Vec<usize> {
        let hidden = self.layers.len().saturating_sub(1);
        self.layers[..hidden]
            .iter()
            .map(|layer| layer.units)
            .collect()
    }
}

/// Each Dense layer's units and parameters, or why the network is invalid: the playground's
/// limits first (in reading order: inputs, layers top to bottom, head), then the engine's
/// shape inference.
///
/// `[x1, x2] → Dense 4 → Dense 2 → Classification {2}` gives units `[4, 2, 2]` and params
/// `[12, 10, 6]`.
///
/// # Errors
/// The first problem found.
pub fn infer_shapes(
    input: &Input,
    layers: &[LayerSpec],
    head: Head,
) -> Result<ShapeReport, SpecError> {
    match input {
        Input::Points { features } if features.is_empty() => return Err(SpecError::NoFeatures),
        Input::Table { columns: 0 } => return Err(SpecError::NoColumns),
        _ => {}
    }
    if layers.len() > MAX_LAYERS {
        return Err(SpecError::TooManyLayers {
            count: layers.len(),
            max: MAX_LAYERS,
        });
    }
    let mut width = input.values();
    for (index, layer) in layers.iter().enumerate() {
        let LayerSpec::Dense { units, skip, .. } = *layer;
        let number = index + 1;
        let kind = layer.kind().to_owned();
        if units == 0 {
            return Err(SpecError::ZeroUnits { number, kind });
        }
        if units > MAX_UNITS {
            return Err(SpecError::TooManyUnits {
                number,
                kind,
                units,
                max: MAX_UNITS,
            });
        }
        if skip && units != width {
            return Err(SpecError::SkipShape {
                number,
                from: width,
                units,
            });
        }
        width = units;
    }
    if let Head::Classification { classes } = head {
        if classes < 2 {
            return Err(SpecError::TooFewClasses { classes });
        }
        if classes > MAX_CLASSES {
            return Err(SpecError::TooManyClasses {
                classes,
                max: MAX_CLASSES,
            });
        }
    }
    let network = network(input, layers, head);
    let report = infer_graph(&network).map_err(SpecError::Graph)?;
    // One entry per Dense layer, with the numbers of the norm after it.
    let mut dense: Vec<LayerShape> = Vec::new();
    for (layer, info) in network.layers.iter().zip(&report.layers) {
        match (layer, dense.last_mut()) {
            (Layer::Dense { .. }, _) => dense.push(LayerShape {
                kind: "Dense".to_owned(),
                units: info.output.elements(),
                params: info.params,
            }),
            (_, Some(last)) => last.params += info.params,
            (_, None) => {}
        }
    }
    let count = dense.len();
    let layers = dense
        .into_iter()
        .enumerate()
        .map(|(at, mut shape)| {
            if at + 1 == count {
                "Output".clone_into(&mut shape.kind);
            }
            shape
        })
        .collect();
    Ok(ShapeReport {
        input_units: input.values(),
        layers,
        total_params: report.total_params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(units: usize, activation: Option<Act>) -> LayerSpec {
        LayerSpec::dense(units, activation)
    }

    #[test]
    fn the_opening_network_has_tf_playgrounds_shapes() {
        let report = infer_shapes(
            &points(&[Feature::X1, Feature::X2]),
            &[dense(4, Some(Act::Tanh)), dense(2, Some(Act::Tanh))],
            Head::Classification { classes: 2 },
        )
        .expect("valid");
        let units: Vec<usize> = report.layers.iter().map(|l| l.units).collect();
        let params: Vec<usize> = report.layers.iter().map(|l| l.params).collect();
        assert_eq!(units, [4, 2, 2]);
        assert_eq!(params, [12, 10, 6]);
        assert_eq!(report.total_params, 28);
        assert_eq!(report.hidden_units(), [4, 2]);
        assert_eq!(report.layers[2].kind, "Output");
    }

    #[test]
    fn the_network_is_dense_layers_with_their_activations_then_the_head() {
        let network = network(
            &points(&[Feature::X1]),
            &[dense(3, None), dense(2, Some(Act::Relu))],
            Head::Regression,
        );
        assert_eq!(
            network.layers,
            [
                Layer::Dense { units: 3 },
                Layer::Dense { units: 2 },
                Layer::Activation(Act::Relu),
                Layer::Dense { units: 1 },
            ]
        );
    }

    #[test]
    fn norm_skip_and_dropout_make_a_residual_block() {
        let block = LayerSpec::Dense {
            units: 2,
            activation: Some(Act::Relu),
            norm: true,
            skip: true,
            dropout: 25,
        };
        let network = network(
            &points(&[Feature::X1, Feature::X2]),
            std::slice::from_ref(&block),
            Head::Classification { classes: 2 },
        );
        assert_eq!(
            network.layers,
            [
                Layer::Dense { units: 2 },
                Layer::BatchNorm,
                Layer::Activation(Act::Relu),
                Layer::Add { from: 0 },
                Layer::Dropout { percent: 25 },
                Layer::Dense { units: 2 },
                Layer::Softmax,
            ]
        );
        assert!(infer_graph(&network).is_ok());
        let report = infer_shapes(
            &points(&[Feature::X1, Feature::X2]),
            &[block.clone(), block.clone()],
            Head::Classification { classes: 2 },
        )
        .expect("valid");
        assert_eq!(report.hidden_units(), [2, 2]);
        // 2·2 weights and 2 biases, and the norm's scale and shift (2 + 2) count too.
        assert_eq!(report.layers[0].params, 10);
        assert_eq!(
            infer_shapes(
                &points(&[Feature::X1]),
                &[block],
                Head::Classification { classes: 2 }
            )
            .expect_err("widths differ")
            .to_string(),
            "Layer 1's skip adds 1 values to its own 2: give both layers the same number of neurons, or untick skip."
        );
    }

    #[test]
    fn cards_read_back_every_network_the_playground_builds() {
        let block = |units, activation, norm, skip, dropout| LayerSpec::Dense {
            units,
            activation,
            norm,
            skip,
            dropout,
        };
        let stacks = [
            vec![],
            vec![dense(4, Some(Act::Tanh)), dense(2, Some(Act::Tanh))],
            vec![dense(3, None), dense(3, None)],
            vec![
                block(8, Some(Act::Relu), true, false, 10),
                block(8, None, true, true, 0),
                block(8, Some(Act::Gelu), false, true, 50),
                dense(0, Some(Act::Sigmoid)),
            ],
        ];
        for stack in stacks {
            for head in [Head::Classification { classes: 3 }, Head::Regression] {
                for input in [
                    points(&[Feature::X1, Feature::X2]),
                    Input::Table { columns: 4 },
                ] {
                    let built = network(&input, &stack, head);
                    assert_eq!(
                        cards(&built).as_deref(),
                        Some(stack.as_slice()),
                        "{built:?}"
                    );
                }
            }
        }
        // What the playground cannot draw is not mistaken for cards.
        let image = agora_engine::net::ImageSize {
            channels: 1,
            height: 28,
            width: 28,
        };
        assert_eq!(cards(&Network::lenet(image, 10)), None);
        let mut far_skip = network(
            &points(&[Feature::X1, Feature::X2]),
            &[
                dense(2, None),
                dense(2, None),
                block(2, None, false, true, 0),
            ],
            Head::Regression,
        );
        assert_eq!(far_skip.layers[3], Layer::Add { from: 2 });
        far_skip.layers[3] = Layer::Add { from: 0 };
        assert_eq!(cards(&far_skip), None);
        let mut normed = network(&points(&[Feature::X1]), &[dense(2, None)], Head::Regression);
        normed.layers.insert(1, Layer::LayerNorm);
        assert_eq!(cards(&normed), None);
    }

    #[test]
    fn limits_and_empty_inputs_say_what_to_do() {
        let head = Head::Classification { classes: 2 };
        assert_eq!(
            infer_shapes(&points(&[]), &[], head),
            Err(SpecError::NoFeatures)
        );
        let error =
            infer_shapes(&points(&[Feature::X1]), &[dense(0, None)], head).expect_err("0 units");
        assert_eq!(
            error.to_string(),
            "Layer 1 (Dense) has 0 neurons: give it at least 1 neuron with +, or remove the layer."
        );
        let many = vec![dense(2, None); MAX_LAYERS + 2];
        assert_eq!(
            infer_shapes(&points(&[Feature::X1]), &many, head)
                .expect_err("too many")
                .to_string(),
            "The network has 10 hidden layers, more than the 8 allowed: remove 2 of them."
        );
        assert_eq!(
            infer_shapes(&points(&[Feature::X1]), &[dense(65, None)], head),
            Err(SpecError::TooManyUnits {
                number: 1,
                kind: "Dense".into(),
                units: 65,
                max: 64
            })
        );
        assert!(matches!(
            infer_shapes(
                &points(&[Feature::X1]),
                &[],
                Head::Classification { classes: 9 }
            ),
            Err(SpecError::TooManyClasses { classes: 9, max: 8 })
        ));
    }

    #[test]
    fn keys_round_trip_and_linear_is_no_activation() {
        for activation in ACTIVATIONS {
            assert_eq!(
                activation_from_key(activation_key(activation)),
                Some(activation)
            );
        }
        assert_eq!(activation_from_key("linear"), Some(None));
        assert_eq!(activation_label(None), "Linear");
        assert_eq!(activation_from_key("swish"), None);
    }
}
