//! A network's numbers as a safetensors file (Hugging Face's format, which PyTorch, JAX and
//! numpy load): one named float32 tensor per parameter, named and laid out as PyTorch's
//! `state_dict` of the same network would be — `layers.3.weight`, `layers.3.bias`, a batch
//! norm's `running_mean` and `running_var`, a Dense weight as `[units, inputs]`.
//!
//! Reading checks everything against the network it is meant for: every tensor there, each
//! of the shape the layer needs, finite, and nothing left over.
//!
//! ```
//! use agora_engine::net::{Feature, Head, Network};
//! use agora_engine::params::initial_params;
//! use agora_engine::recipe::Init;
//! use agora_engine::weights::{read_safetensors, write_safetensors};
//!
//! let network = Network::playground(vec![Feature::X1, Feature::X2], Head::Classification { classes: 2 });
//! let params = initial_params(&network, Init::Glorot, 1).unwrap();
//! let bytes = write_safetensors(&network, &params, &[("epoch", "12")]).unwrap();
//! let (read, metadata) = read_safetensors(&network, &bytes).unwrap();
//! assert_eq!(read, params);
//! assert_eq!(metadata.get("epoch").map(String::as_str), Some("12"));
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::net::{Layer, Network, infer_graph};
use crate::params::{HostTensor, LayerParams, param_shapes};

pub use crate::safetensors::Metadata;
use crate::safetensors::{self, RawTensor};

/// Named tensors, as a file holds them.
pub type Tensors = BTreeMap<String, HostTensor>;

/// Why weights cannot be written or read. The texts are for the person who chose the file.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum WeightsError {
    #[error("the network is not valid: {0}")]
    Network(String),
    #[error("the weights file is cut off or not a safetensors file ({0})")]
    Format(String),
    #[error("the weights file holds {dtype} numbers for \"{name}\"; Agora reads float32 (F32)")]
    DType { name: String, dtype: String },
    #[error("the weights file has no \"{name}\", which layer {layer} ({kind}) needs")]
    Missing {
        name: String,
        layer: usize,
        kind: String,
    },
    #[error(
        "\"{name}\" is {found:?} in the weights file, but layer {layer} ({kind}) of this network needs {expected:?}"
    )]
    Shape {
        name: String,
        layer: usize,
        kind: String,
        found: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error("\"{name}\" holds a number that is not finite (NaN or infinite)")]
    NotFinite { name: String },
    #[error("the weights file has \"{name}\", which no layer of this network has")]
    Unexpected { name: String },
    #[error("the weights give {given} layers, the network has {layers}")]
    LayerCount { given: usize, layers: usize },
}

/// The names of a layer's parameters, in [`LayerParams`] order.
fn param_names(layer: &Layer) -> &'static [&'static str] {
    match layer {
        Layer::Conv2d { .. } | Layer::Dense { .. } | Layer::LayerNorm => &["weight", "bias"],
        Layer::BatchNorm => &["weight", "bias", "running_mean", "running_var"],
        _ => &[],
    }
}

/// The trainable parameters (weights and biases; a norm's gamma and beta, named `weight` and
/// `bias` as PyTorch names them), in the order a trainer updates them, each with its name and
/// its shape as Agora keeps it (a Dense weight `[inputs, units]`).
///
/// # Errors
/// The network is invalid.
pub fn trainable(network: &Network) -> Result<Vec<(String, Vec<usize>)>, WeightsError> {
    let report = infer_graph(network).map_err(|error| WeightsError::Network(error.message))?;
    let mut out = Vec::new();
    for (at, (layer, shapes)) in network
        .layers
        .iter()
        .zip(param_shapes(network, &report))
        .enumerate()
    {
        for (name, shape) in param_names(layer).iter().zip(shapes).take(2) {
            out.push((format!("layers.{at}.{name}"), shape));
        }
    }
    Ok(out)
}

/// Our Dense weights are `[inputs, units]` (as Burn keeps them); PyTorch's `[units, inputs]`.
fn transposed(tensor: &HostTensor) -> HostTensor {
    let [rows, cols] = tensor.shape[..] else {
        return tensor.clone();
    };
    let mut values = vec![0.0; tensor.values.len()];
    for row in 0..rows {
        for col in 0..cols {
            values[col * rows + row] = tensor.values[row * cols + col];
        }
    }
    HostTensor {
        shape: vec![cols, rows],
        values,
    }
}

/// Each parameter's name and tensor in the file's layout.
fn named(network: &Network, params: &[LayerParams]) -> Vec<(String, HostTensor)> {
    let mut out = Vec::new();
    for (at, (layer, tensors)) in network.layers.iter().zip(params).enumerate() {
        for (name, tensor) in param_names(layer).iter().zip(tensors) {
            let tensor = if matches!(layer, Layer::Dense { .. }) && *name == "weight" {
                transposed(tensor)
            } else {
                tensor.clone()
            };
            out.push((format!("layers.{at}.{name}"), tensor));
        }
    }
    out
}

/// The network's parameters exactly as PyTorch's `state_dict` of the same network holds them
/// (what an export writes): [`named`]'s tensors, with a LayerNorm's scale and shift in the
/// shape of its input (`nn.LayerNorm([c, h, w])`), where Agora keeps them flat.
///
/// # Errors
/// The network is invalid or `params` do not fit it.
pub fn state_dict(
    network: &Network,
    params: &[LayerParams],
) -> Result<Vec<(String, HostTensor)>, WeightsError> {
    check(network, params)?;
    let report = infer_graph(network).map_err(|error| WeightsError::Network(error.message))?;
    let mut tensors = named(network, params);
    let mut next = 0;
    for (at, layer) in network.layers.iter().enumerate() {
        let count = param_names(layer).len();
        if matches!(layer, Layer::LayerNorm)
            && let Some(crate::net::Shape::Image {
                channels,
                height,
                width,
            }) = report.tap(at)
        {
            for (_, tensor) in &mut tensors[next..next + count] {
                tensor.shape = vec![channels, height, width];
            }
        }
        next += count;
    }
    Ok(tensors)
}

/// The network's parameters as a safetensors file, with `metadata` in its header.
///
/// # Errors
/// The network is invalid or `params` do not fit it.
pub fn write_safetensors(
    network: &Network,
    params: &[LayerParams],
    metadata: &[(&str, &str)],
) -> Result<Vec<u8>, WeightsError> {
    check(network, params)?;
    let tensors = named(network, params);
    let data = f32_data(&tensors);
    Ok(safetensors::write(&f32_raw(&tensors, &data), metadata))
}

/// Each tensor's numbers as little-endian bytes, for [`f32_raw`].
pub fn f32_data(tensors: &[(String, HostTensor)]) -> Vec<Vec<u8>> {
    tensors
        .iter()
        .map(|(_, tensor)| tensor.values.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect()
}

/// Named float32 tensors as the safetensors writer takes them, over their bytes `data`.
pub fn f32_raw<'a>(tensors: &[(String, HostTensor)], data: &'a [Vec<u8>]) -> Vec<RawTensor<'a>> {
    tensors
        .iter()
        .zip(data)
        .map(|((name, tensor), data)| RawTensor {
            name: name.clone(),
            dtype: "F32".into(),
            shape: tensor.shape.clone(),
            data,
        })
        .collect()
}

/// Reads a safetensors file's tensors (float32 only) and header metadata, checking every
/// offset against the file.
///
/// # Errors
/// Not a safetensors file, cut off, overlapping or out-of-range tensors, another dtype.
pub fn read_tensors(bytes: &[u8]) -> Result<(Tensors, Metadata), WeightsError> {
    let (raw, metadata) = safetensors::read(bytes).map_err(WeightsError::Format)?;
    let mut tensors = BTreeMap::new();
    for tensor in raw {
        if tensor.dtype != "F32" {
            return Err(WeightsError::DType {
                name: tensor.name,
                dtype: tensor.dtype,
            });
        }
        let values = tensor
            .data
            .chunks_exact(4)
            .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
            .collect();
        tensors.insert(
            tensor.name,
            HostTensor {
                shape: tensor.shape,
                values,
            },
        );
    }
    Ok((tensors, metadata))
}

/// Reads weights for `network` from a safetensors file: every parameter there, of the right
/// shape, finite, nothing extra.
///
/// # Errors
/// As [`read_tensors`], or the tensors do not fit the network.
pub fn read_safetensors(
    network: &Network,
    bytes: &[u8],
) -> Result<(Vec<LayerParams>, Metadata), WeightsError> {
    let (mut tensors, metadata) = read_tensors(bytes)?;
    let report = infer_graph(network).map_err(|error| WeightsError::Network(error.message))?;
    let mut params = Vec::with_capacity(network.layers.len());
    for (at, (layer, shapes)) in network
        .layers
        .iter()
        .zip(param_shapes(network, &report))
        .enumerate()
    {
        let mut layer_params = Vec::new();
        for (name, shape) in param_names(layer).iter().zip(shapes) {
            let key = format!("layers.{at}.{name}");
            let Some(tensor) = tensors.remove(&key) else {
                return Err(WeightsError::Missing {
                    name: key,
                    layer: at + 1,
                    kind: layer.title(),
                });
            };
            let dense_weight = matches!(layer, Layer::Dense { .. }) && *name == "weight";
            let expected = if dense_weight {
                vec![shape[1], shape[0]]
            } else {
                shape
            };
            if tensor.shape != expected {
                return Err(WeightsError::Shape {
                    name: key,
                    layer: at + 1,
                    kind: layer.title(),
                    found: tensor.shape,
                    expected,
                });
            }
            if tensor.values.iter().any(|value| !value.is_finite()) {
                return Err(WeightsError::NotFinite { name: key });
            }
            layer_params.push(if dense_weight {
                transposed(&tensor)
            } else {
                tensor
            });
        }
        params.push(layer_params);
    }
    if let Some(name) = tensors.into_keys().next() {
        return Err(WeightsError::Unexpected { name });
    }
    Ok((params, metadata))
}

fn check(network: &Network, params: &[LayerParams]) -> Result<(), WeightsError> {
    let report = infer_graph(network).map_err(|error| WeightsError::Network(error.message))?;
    if params.len() != network.layers.len() {
        return Err(WeightsError::LayerCount {
            given: params.len(),
            layers: network.layers.len(),
        });
    }
    for (at, ((layer, shapes), given)) in network
        .layers
        .iter()
        .zip(param_shapes(network, &report))
        .zip(params)
        .enumerate()
    {
        let found: Vec<Vec<usize>> = given.iter().map(|tensor| tensor.shape.clone()).collect();
        if found != shapes
            || given
                .iter()
                .any(|tensor| tensor.values.len() != tensor.shape.iter().product::<usize>())
        {
            return Err(WeightsError::Shape {
                name: format!("layers.{at}"),
                layer: at + 1,
                kind: layer.title(),
                found: found.concat(),
                expected: shapes.concat(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{Feature, Head, ImageSize, Input};
    use crate::params::initial_params;
    use crate::recipe::Init;

    fn image_network() -> Network {
        Network {
            input: Input::Image(ImageSize {
                channels: 1,
                height: 8,
                width: 8,
            }),
            layers: vec![
                Layer::Conv2d {
                    filters: 2,
                    kernel: 3,
                    stride: 1,
                    padding: 1,
                    dilation: 1,
                },
                Layer::BatchNorm,
                Layer::Flatten,
                Layer::Dense { units: 3 },
                Layer::Softmax,
            ],
            head: Head::Classification { classes: 3 },
        }
    }

    #[test]
    fn round_trips_with_pytorch_names_and_layout() {
        let network = image_network();
        let params = initial_params(&network, Init::Torch, 3).unwrap();
        let bytes = write_safetensors(&network, &params, &[]).unwrap();
        let (tensors, _) = read_tensors(&bytes).unwrap();
        let names: Vec<&str> = tensors.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            vec![
                "layers.0.bias",
                "layers.0.weight",
                "layers.1.bias",
                "layers.1.running_mean",
                "layers.1.running_var",
                "layers.1.weight",
                "layers.3.bias",
                "layers.3.weight",
            ]
        );
        // PyTorch's Linear keeps `[out, in]`: 3 × (2·8·8).
        assert_eq!(tensors["layers.3.weight"].shape, vec![3, 128]);
        assert_eq!(tensors["layers.3.weight"].values[1], params[3][0].values[3]);
        assert_eq!(read_safetensors(&network, &bytes).unwrap().0, params);
    }

    #[test]
    fn another_network_is_refused_with_the_layer_named() {
        let network = image_network();
        let params = initial_params(&network, Init::Torch, 3).unwrap();
        let bytes = write_safetensors(&network, &params, &[]).unwrap();
        let mut wider = network.clone();
        wider.layers[0] = Layer::Conv2d {
            filters: 4,
            kernel: 3,
            stride: 1,
            padding: 1,
            dilation: 1,
        };
        let error = read_safetensors(&wider, &bytes).unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"layers.0.weight\" is [2, 1, 3, 3] in the weights file, but layer 1 (Conv2d 4@3×3) of this network needs [4, 1, 3, 3]"
        );
        let plane = Network::playground(vec![Feature::X1], Head::Regression);
        assert!(matches!(
            read_safetensors(&plane, &bytes),
            Err(WeightsError::Missing { .. } | WeightsError::Shape { .. })
        ));
    }

    #[test]
    fn every_cut_is_an_error_not_a_panic() {
        let network = image_network();
        let params = initial_params(&network, Init::Torch, 3).unwrap();
        let bytes = write_safetensors(&network, &params, &[("epoch", "2")]).unwrap();
        for len in 0..bytes.len() {
            assert!(read_safetensors(&network, &bytes[..len]).is_err(), "{len}");
        }
    }

    #[test]
    fn nan_is_refused() {
        let network = image_network();
        let mut params = initial_params(&network, Init::Torch, 3).unwrap();
        params[0][1].values[0] = f32::NAN;
        let bytes = write_safetensors(&network, &params, &[]).unwrap();
        assert_eq!(
            read_safetensors(&network, &bytes).unwrap_err(),
            WeightsError::NotFinite {
                name: "layers.0.bias".into()
            }
        );
    }
}
