//! A network and its weights as an ONNX model (opset 17, IR version 8), written from the
//! network description: every layer is one ONNX operator (GELU is composed from `Erf`, as
//! opset 17 has no `Gelu`), every parameter an initializer named as PyTorch's `state_dict`.
//! The graph takes `input` (`[batch, …]` as Agora's model reads it) and gives `logits` and
//! `probabilities` (classification) or `value` (regression). The metadata say what the input
//! means, the class names and the network itself, so any ONNX tool can use the file alone.
//!
//! The formats' definitions: <https://github.com/onnx/onnx/blob/main/onnx/onnx.proto> and
//! <https://onnx.ai/onnx/operators/>. `scripts/check_export.py` holds the result to
//! onnxruntime's numbers and `onnx.checker`.

use crate::net::{Act, Head, Layer, Network, Shape, infer_graph};
use crate::params::{HostTensor, LayerParams};
use crate::weights::{WeightsError, state_dict};

use super::proto::Message;

/// The operator set the model is written for.
pub const OPSET: i64 = 17;
/// The IR version that goes with opset 17.
const IR_VERSION: i64 = 8;
/// Batch and layer norms' ε, as the engine's.
const NORM_EPSILON: f32 = 1e-5;
/// LeakyReLU's slope, as the engine's (PyTorch's default).
const LEAKY_SLOPE: f32 = 0.01;

// TensorProto.DataType
const FLOAT: i64 = 1;

// AttributeProto.AttributeType
const ATTR_FLOAT: i64 = 1;
const ATTR_INT: i64 = 2;
const ATTR_INTS: i64 = 7;

/// The graph's value names.
pub const INPUT: &str = "input";
pub const LOGITS: &str = "logits";
pub const PROBABILITIES: &str = "probabilities";
pub const VALUE: &str = "value";

enum Attr {
    Int(i64),
    Ints(Vec<i64>),
    Float(f32),
}

struct Node {
    op: &'static str,
    name: String,
    inputs: Vec<String>,
    output: String,
    attrs: Vec<(&'static str, Attr)>,
}

impl Node {
    fn encode(&self) -> Message {
        let mut node = Message::new();
        for input in &self.inputs {
            node.string(1, input);
        }
        node.string(2, &self.output)
            .string(3, &self.name)
            .string(4, self.op);
        for (name, attr) in &self.attrs {
            let mut message = Message::new();
            message.string(1, name);
            match attr {
                Attr::Float(value) => {
                    message.float(2, *value).int(20, ATTR_FLOAT);
                }
                Attr::Int(value) => {
                    message.int(3, *value).int(20, ATTR_INT);
                }
                Attr::Ints(values) => {
                    for value in values {
                        message.int(8, *value);
                    }
                    message.int(20, ATTR_INTS);
                }
            }
            node.message(5, &message);
        }
        node
    }
}

fn dims(values: &[usize]) -> Vec<i64> {
    values
        .iter()
        .map(|&value| i64::try_from(value).unwrap_or(i64::MAX))
        .collect()
}

fn tensor(name: &str, host: &HostTensor) -> Message {
    let mut message = Message::new();
    for dim in dims(&host.shape) {
        message.int(1, dim);
    }
    let raw: Vec<u8> = host.values.iter().flat_map(|v| v.to_le_bytes()).collect();
    message.int(2, FLOAT).string(8, name).bytes(9, &raw);
    message
}

/// A `ValueInfoProto` of float32 `[batch, rest…]`.
fn value_info(name: &str, rest: &[usize]) -> Message {
    let mut shape = Message::new();
    let mut batch = Message::new();
    batch.string(2, "batch");
    shape.message(1, &batch);
    for dim in dims(rest) {
        let mut fixed = Message::new();
        fixed.int(1, dim);
        shape.message(1, &fixed);
    }
    let mut tensor_type = Message::new();
    tensor_type.int(1, FLOAT).message(2, &shape);
    let mut type_proto = Message::new();
    type_proto.message(1, &tensor_type);
    let mut info = Message::new();
    info.string(1, name).message(2, &type_proto);
    info
}

fn shape_dims(shape: Shape) -> Vec<usize> {
    match shape {
        Shape::Image {
            channels,
            height,
            width,
        } => vec![channels, height, width],
        Shape::Flat(units) => vec![units],
    }
}

fn square(value: usize) -> Attr {
    let value = i64::try_from(value).unwrap_or(i64::MAX);
    Attr::Ints(vec![value, value])
}

/// A table's standardisation, done inside the graph so `input` takes the table's own numbers:
/// `(x − means) / deviations`, and a number label's `value · deviation + mean` on the way out.
#[derive(Clone, Copy)]
pub struct InGraphScaling<'a> {
    pub means: &'a [f32],
    pub deviations: &'a [f32],
    pub label: Option<(f32, f32)>,
}

/// What the graph calls the network's input and its scores, given the scaling around them.
struct Names {
    first: String,
    score: String,
}

impl Names {
    fn new(network: &Network, scaling: Option<InGraphScaling<'_>>) -> Names {
        let scaled_label =
            scaling.is_some_and(|s| s.label.is_some()) && matches!(network.head, Head::Regression);
        Names {
            first: if scaling.is_some() {
                "input.standardised".to_owned()
            } else {
                INPUT.to_owned()
            },
            score: match network.head {
                Head::Classification { .. } => LOGITS.to_owned(),
                Head::Regression if scaled_label => "value.standardised".to_owned(),
                Head::Regression => VALUE.to_owned(),
            },
        }
    }
}

/// The name of tap `tap`'s value in the graph.
fn tap_name(network: &Network, names: &Names, tap: usize) -> String {
    if tap == 0 {
        names.first.clone()
    } else if tap == network.score_tap() {
        names.score.clone()
    } else if tap == network.layers.len() && matches!(network.head, Head::Classification { .. }) {
        PROBABILITIES.to_owned()
    } else {
        format!("layers.{}.output", tap - 1)
    }
}

/// The nodes of one layer, reading tap `at` and writing tap `at + 1`.
fn layer_nodes(network: &Network, names: &Names, at: usize, layer: &Layer) -> Vec<Node> {
    let input = tap_name(network, names, at);
    let output = tap_name(network, names, at + 1);
    let name = format!("layers.{at}");
    let param = |suffix: &str| format!("layers.{at}.{suffix}");
    let node = |op: &'static str, inputs: Vec<String>, attrs: Vec<(&'static str, Attr)>| Node {
        op,
        name: name.clone(),
        inputs,
        output: output.clone(),
        attrs,
    };
    match layer {
        Layer::Conv2d {
            kernel,
            stride,
            padding,
            dilation,
            ..
        } => {
            let pad = i64::try_from(*padding).unwrap_or(i64::MAX);
            vec![node(
                "Conv",
                vec![input, param("weight"), param("bias")],
                vec![
                    ("kernel_shape", square(*kernel)),
                    ("strides", square(*stride)),
                    ("pads", Attr::Ints(vec![pad; 4])),
                    ("dilations", square(*dilation)),
                ],
            )]
        }
        Layer::MaxPool { size, stride } => vec![node(
            "MaxPool",
            vec![input],
            vec![
                ("kernel_shape", square(*size)),
                ("strides", square(*stride)),
            ],
        )],
        Layer::AvgPool { size, stride } => vec![node(
            "AveragePool",
            vec![input],
            vec![
                ("kernel_shape", square(*size)),
                ("strides", square(*stride)),
            ],
        )],
        Layer::GlobalAvgPool => {
            let pooled = format!("layers.{at}.pooled");
            vec![
                Node {
                    op: "GlobalAveragePool",
                    name: format!("{name}.pool"),
                    inputs: vec![input],
                    output: pooled.clone(),
                    attrs: Vec::new(),
                },
                node("Flatten", vec![pooled], vec![("axis", Attr::Int(1))]),
            ]
        }
        Layer::Flatten => vec![node("Flatten", vec![input], vec![("axis", Attr::Int(1))])],
        Layer::Dense { .. } => vec![node(
            "Gemm",
            vec![input, param("weight"), param("bias")],
            vec![("transB", Attr::Int(1))],
        )],
        Layer::Dropout { .. } => vec![node("Identity", vec![input], Vec::new())],
        Layer::BatchNorm => vec![node(
            "BatchNormalization",
            vec![
                input,
                param("weight"),
                param("bias"),
                param("running_mean"),
                param("running_var"),
            ],
            vec![("epsilon", Attr::Float(NORM_EPSILON))],
        )],
        Layer::LayerNorm => vec![node(
            "LayerNormalization",
            vec![input, param("weight"), param("bias")],
            vec![
                ("axis", Attr::Int(1)),
                ("epsilon", Attr::Float(NORM_EPSILON)),
            ],
        )],
        Layer::Activation(Act::Relu) => vec![node("Relu", vec![input], Vec::new())],
        Layer::Activation(Act::LeakyRelu) => vec![node(
            "LeakyRelu",
            vec![input],
            vec![("alpha", Attr::Float(LEAKY_SLOPE))],
        )],
        Layer::Activation(Act::Tanh) => vec![node("Tanh", vec![input], Vec::new())],
        Layer::Activation(Act::Sigmoid) => vec![node("Sigmoid", vec![input], Vec::new())],
        Layer::Activation(Act::Gelu) => {
            // x · ½ · (1 + erf(x / √2)), PyTorch's exact GELU.
            let step = |suffix: &str| format!("layers.{at}.{suffix}");
            let part = |op: &'static str, suffix: &str, inputs: Vec<String>| Node {
                op,
                name: step(suffix),
                inputs,
                output: step(suffix),
                attrs: Vec::new(),
            };
            vec![
                part("Div", "scaled", vec![input.clone(), GELU_SQRT2.into()]),
                part("Erf", "erf", vec![step("scaled")]),
                part("Add", "shifted", vec![step("erf"), GELU_ONE.into()]),
                part("Mul", "gated", vec![input, step("shifted")]),
                node("Mul", vec![step("gated"), GELU_HALF.into()], Vec::new()),
            ]
        }
        Layer::Add { from } => vec![node(
            "Add",
            vec![input, tap_name(network, names, *from)],
            Vec::new(),
        )],
        Layer::Concat { from } => vec![node(
            "Concat",
            vec![input, tap_name(network, names, *from)],
            vec![("axis", Attr::Int(1))],
        )],
        Layer::Softmax => vec![node("Softmax", vec![input], vec![("axis", Attr::Int(1))])],
    }
}

const GELU_SQRT2: &str = "gelu.sqrt2";
const GELU_ONE: &str = "gelu.one";
const GELU_HALF: &str = "gelu.half";

fn scalar(value: f32) -> HostTensor {
    HostTensor {
        shape: Vec::new(),
        values: vec![value],
    }
}

/// The ONNX model of `network` with `params`, and `metadata` as its `metadata_props`.
///
/// # Errors
/// The network is invalid or the parameters do not fit it.
pub fn write_onnx(
    network: &Network,
    params: &[LayerParams],
    graph_name: &str,
    metadata: &[(String, String)],
    scaling: Option<InGraphScaling<'_>>,
) -> Result<Vec<u8>, WeightsError> {
    let report = infer_graph(network).map_err(|error| WeightsError::Network(error.message))?;
    let tensors = state_dict(network, params)?;
    let names = Names::new(network, scaling);
    let step = |op: &'static str, name: &str, inputs: [&str; 2], output: &str| Node {
        op,
        name: name.to_owned(),
        inputs: inputs.iter().map(|input| (*input).to_owned()).collect(),
        output: output.to_owned(),
        attrs: Vec::new(),
    };
    let mut graph = Message::new();
    let mut constants: Vec<(&str, HostTensor)> = Vec::new();
    if let Some(scaling) = scaling {
        graph.message(
            1,
            &step(
                "Sub",
                "table.centre",
                [INPUT, "table.means"],
                "input.centred",
            )
            .encode(),
        );
        graph.message(
            1,
            &step(
                "Div",
                "table.scale",
                ["input.centred", "table.deviations"],
                &names.first,
            )
            .encode(),
        );
        let flat = |values: &[f32]| HostTensor {
            shape: vec![values.len()],
            values: values.to_vec(),
        };
        constants.push(("table.means", flat(scaling.means)));
        constants.push(("table.deviations", flat(scaling.deviations)));
    }
    for (at, layer) in network.layers.iter().enumerate() {
        for node in layer_nodes(network, &names, at, layer) {
            graph.message(1, &node.encode());
        }
    }
    if names.score != VALUE
        && matches!(network.head, Head::Regression)
        && let Some((mean, deviation)) = scaling.and_then(|s| s.label)
    {
        graph.message(
            1,
            &step(
                "Mul",
                "label.scale",
                [&names.score, "label.deviation"],
                "value.scaled",
            )
            .encode(),
        );
        graph.message(
            1,
            &step("Add", "label.shift", ["value.scaled", "label.mean"], VALUE).encode(),
        );
        constants.push(("label.deviation", scalar(deviation)));
        constants.push(("label.mean", scalar(mean)));
    }
    graph.string(2, graph_name);
    for (name, host) in &tensors {
        graph.message(5, &tensor(name, host));
    }
    for (name, host) in &constants {
        graph.message(5, &tensor(name, host));
    }
    if network
        .layers
        .iter()
        .any(|layer| matches!(layer, Layer::Activation(Act::Gelu)))
    {
        for (name, value) in [
            (GELU_SQRT2, std::f32::consts::SQRT_2),
            (GELU_ONE, 1.0),
            (GELU_HALF, 0.5),
        ] {
            graph.message(5, &tensor(name, &scalar(value)));
        }
    }
    graph.message(11, &value_info(INPUT, &shape_dims(report.input)));
    let score_shape = report
        .tap(network.score_tap())
        .map_or_else(Vec::new, shape_dims);
    match network.head {
        Head::Classification { .. } => {
            graph.message(12, &value_info(LOGITS, &score_shape));
            graph.message(12, &value_info(PROBABILITIES, &score_shape));
        }
        Head::Regression => {
            graph.message(12, &value_info(VALUE, &score_shape));
        }
    }
    let mut model = Message::new();
    let mut opset = Message::new();
    opset.string(1, "").int(2, OPSET);
    model
        .int(1, IR_VERSION)
        .string(2, "Agora")
        .string(3, env!("CARGO_PKG_VERSION"))
        .message(7, &graph)
        .message(8, &opset);
    for (key, value) in metadata {
        let mut entry = Message::new();
        entry.string(1, key).string(2, value);
        model.message(14, &entry);
    }
    Ok(model.into_bytes())
}
