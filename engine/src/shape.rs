//! Shape inference and validation: what each layer outputs, how many parameters it holds, and
//! why a network cannot be trained. Runs on every edit in the builder, so it is plain
//! arithmetic with no tensors.

use serde::{Deserialize, Serialize};

use crate::spec::{Head, LayerSpec, NetworkSpec};

/// Most hidden layers a network may have (the builder and the neuron heatmaps stay readable).
pub const MAX_LAYERS: usize = 8;
/// Most neurons a dense layer may have.
pub const MAX_UNITS: usize = 64;
/// Most classes a classification head may have (one colour each in the heatmap).
pub const MAX_CLASSES: usize = 8;

/// Why a network cannot be trained. Each message says what is wrong and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum SpecError {
    #[error(
        "The network has no input: switch on at least one input feature (x₁, x₂, …) in the Features column."
    )]
    NoFeatures,
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
}

/// One layer's place in the network, as the builder shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerShape {
    /// "Dense", "Output".
    pub kind: String,
    /// Values per sample this layer outputs: shape `[batch, units]`.
    pub units: usize,
    /// Trainable numbers in this layer (weights and biases).
    pub params: usize,
}

/// Every layer's shape, hidden layers first and the output layer last.
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

/// Infers each layer's output shape and parameter count, or says why the network is invalid.
///
/// `[x1, x2] → Dense 4 → Dense 2 → Classification {2}` gives units `[4, 2, 2]` and params
/// `[12, 10, 6]`.
///
/// # Errors
/// The first problem found, in reading order (inputs, then layers top to bottom, then head).
pub fn infer_shapes(spec: &NetworkSpec) -> Result<ShapeReport, SpecError> {
    let input_units = spec.input_units();
    if input_units == 0 {
        return Err(SpecError::NoFeatures);
    }
    if spec.layers.len() > MAX_LAYERS {
        return Err(SpecError::TooManyLayers {
            count: spec.layers.len(),
            max: MAX_LAYERS,
        });
    }
    let mut layers = Vec::with_capacity(spec.layers.len() + 1);
    let mut fan_in = input_units;
    for (index, layer) in spec.layers.iter().enumerate() {
        let LayerSpec::Dense { units, .. } = *layer;
        let number = index + 1;
        if units == 0 {
            return Err(SpecError::ZeroUnits {
                number,
                kind: layer.kind().to_owned(),
            });
        }
        if units > MAX_UNITS {
            return Err(SpecError::TooManyUnits {
                number,
                kind: layer.kind().to_owned(),
                units,
                max: MAX_UNITS,
            });
        }
        layers.push(LayerShape {
            kind: layer.kind().to_owned(),
            units,
            params: fan_in * units + units,
        });
        fan_in = units;
    }
    if let Head::Classification { classes } = spec.head {
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
    let outputs = spec.head.outputs();
    layers.push(LayerShape {
        kind: "Output".to_owned(),
        units: outputs,
        params: fan_in * outputs + outputs,
    });
    let total_params = layers.iter().map(|layer| layer.params).sum();
    Ok(ShapeReport {
        input_units,
        layers,
        total_params,
    })
}
