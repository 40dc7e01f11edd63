//! What an optimizer remembers between steps — SGD's momentum buffers, Adam's first and second
//! moments, RMSprop's running squares, the step count — and the trainer's shuffle state, as
//! plain numbers: saved with a project (`optimizer.safetensors`, tensors named as PyTorch's
//! optimizer state: `layers.3.weight.exp_avg`) so a resumed run goes on exactly as if it had
//! never stopped.
//!
//! Reading checks the file against the network: the optimizer named, every tensor one of a
//! parameter's slots and of that parameter's shape, finite.

use serde::{Deserialize, Serialize};

use crate::net::Network;
use crate::params::HostTensor;
use crate::recipe::Optimizer;
use crate::safetensors::{self, RawTensor};
use crate::weights::trainable;

/// One parameter's state: up to two tensors, flattened, in the parameter's element order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ParamState {
    pub first: Option<Vec<f32>>,
    pub second: Option<Vec<f32>>,
}

/// An optimizer's whole state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerState {
    pub optimizer: Optimizer,
    /// Steps taken.
    pub steps: u64,
    /// Per trainable parameter, in layer order (weight, then bias; gamma, then beta).
    pub params: Vec<ParamState>,
    /// The trainer's shuffle generator.
    pub rng: u64,
}

/// The PyTorch names of an optimizer's two state slots (`None`: the slot is unused).
pub fn slot_names(optimizer: Optimizer) -> [Option<&'static str>; 2] {
    match optimizer {
        Optimizer::Sgd => [Some("momentum_buffer"), None],
        Optimizer::Adam | Optimizer::AdamW => [Some("exp_avg"), Some("exp_avg_sq")],
        Optimizer::RmsProp => [Some("momentum_buffer"), Some("square_avg")],
    }
}

/// The state as safetensors bytes, each slot shaped as its parameter.
///
/// # Errors
/// The network is not valid, or the state does not fit it.
pub fn write_state(network: &Network, state: &OptimizerState) -> Result<Vec<u8>, String> {
    let params = trainable(network).map_err(|error| error.to_string())?;
    if params.len() != state.params.len() {
        return Err(format!(
            "the optimizer holds {} parameters, the network has {}",
            state.params.len(),
            params.len()
        ));
    }
    let names = slot_names(state.optimizer);
    let mut data = Vec::new();
    for ((name, shape), slots) in params.iter().zip(&state.params) {
        for (slot, values) in names.iter().zip([&slots.first, &slots.second]) {
            if let (Some(slot), Some(values)) = (slot, values) {
                if values.len() != shape.iter().product::<usize>() {
                    return Err(format!("the state of {name} does not fit its shape"));
                }
                let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                data.push((format!("{name}.{slot}"), shape.clone(), bytes));
            }
        }
    }
    let raw: Vec<RawTensor<'_>> = data
        .iter()
        .map(|(name, shape, bytes)| RawTensor {
            name: name.clone(),
            dtype: "F32".into(),
            shape: shape.clone(),
            data: bytes,
        })
        .collect();
    let steps = state.steps.to_string();
    let rng = state.rng.to_string();
    Ok(safetensors::write(
        &raw,
        &[
            ("format", "agora-optimizer"),
            ("optimizer", state.optimizer.key()),
            ("steps", &steps),
            ("rng", &rng),
        ],
    ))
}

/// Reads a state written by [`write_state`] for `network`.
///
/// # Errors
/// What does not fit, in words.
pub fn read_state(network: &Network, bytes: &[u8]) -> Result<OptimizerState, String> {
    let (tensors, metadata) = safetensors::read(bytes)?;
    let optimizer = metadata
        .get("optimizer")
        .and_then(|key| Optimizer::from_key(key))
        .ok_or("it names no optimizer Agora knows")?;
    let number = |key: &str| -> Result<u64, String> {
        metadata
            .get(key)
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("its \"{key}\" is not a whole number"))
    };
    let (steps, rng) = (number("steps")?, number("rng")?);
    let params = trainable(network).map_err(|error| error.to_string())?;
    let names = slot_names(optimizer);
    let mut states = vec![ParamState::default(); params.len()];
    for tensor in tensors {
        let found = params.iter().enumerate().find_map(|(at, (name, shape))| {
            names.iter().enumerate().find_map(|(slot, slot_name)| {
                let slot_name = (*slot_name)?;
                (tensor.name == format!("{name}.{slot_name}")).then_some((at, slot, shape))
            })
        });
        let Some((at, slot, shape)) = found else {
            return Err(format!(
                "it holds \"{}\", which is no state of this network's {} optimizer",
                tensor.name,
                optimizer.label()
            ));
        };
        if tensor.dtype != "F32" || &tensor.shape != shape {
            return Err(format!(
                "\"{}\" is {} {:?}, but its parameter is F32 {shape:?}",
                tensor.name, tensor.dtype, tensor.shape
            ));
        }
        let values: Vec<f32> = tensor
            .data
            .chunks_exact(4)
            .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
            .collect();
        if values.iter().any(|value| !value.is_finite()) {
            return Err(format!(
                "\"{}\" holds a number that is not finite",
                tensor.name
            ));
        }
        let state = &mut states[at];
        if slot == 0 {
            state.first = Some(values);
        } else {
            state.second = Some(values);
        }
    }
    Ok(OptimizerState {
        optimizer,
        steps,
        params: states,
        rng,
    })
}

/// A state's slots as host tensors shaped as their parameters, for tests and exports.
pub fn shaped(network: &Network, state: &OptimizerState) -> Vec<(String, HostTensor)> {
    let Ok(params) = trainable(network) else {
        return Vec::new();
    };
    let names = slot_names(state.optimizer);
    let mut out = Vec::new();
    for ((name, shape), slots) in params.iter().zip(&state.params) {
        for (slot, values) in names.iter().zip([&slots.first, &slots.second]) {
            if let (Some(slot), Some(values)) = (slot, values) {
                out.push((
                    format!("{name}.{slot}"),
                    HostTensor {
                        shape: shape.clone(),
                        values: values.clone(),
                    },
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{Feature, Head};

    #[test]
    fn round_trips_and_refuses_what_does_not_fit() {
        let network = Network::playground(
            vec![Feature::X1, Feature::X2],
            Head::Classification { classes: 2 },
        );
        let params = trainable(&network).unwrap();
        let state = OptimizerState {
            optimizer: Optimizer::Adam,
            steps: 12,
            params: params
                .iter()
                .map(|(_, shape)| {
                    let count = shape.iter().product::<usize>();
                    ParamState {
                        first: Some(vec![0.5; count]),
                        second: Some(vec![0.25; count]),
                    }
                })
                .collect(),
            rng: 77,
        };
        let bytes = write_state(&network, &state).unwrap();
        assert_eq!(read_state(&network, &bytes).unwrap(), state);
        let names: Vec<String> = shaped(&network, &state)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names[0], "layers.0.weight.exp_avg");
        let other = Network::playground(vec![Feature::X1], Head::Classification { classes: 2 });
        assert!(read_state(&other, &bytes).unwrap_err().contains("is F32"));
        for len in (0..bytes.len()).step_by(13) {
            assert!(read_state(&network, &bytes[..len]).is_err());
        }
    }
}
