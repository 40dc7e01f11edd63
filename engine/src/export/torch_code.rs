//! `model.py`: the network as a readable PyTorch `nn.Module` that mirrors Agora's graph — one
//! module per layer in `self.layers` (so `state_dict` names are the export's
//! `layers.3.weight`), one line of `forward` per layer, with the numbers and names the person
//! saw in Agora, skips written out as `+` and `torch.cat`.

use std::fmt::Write as _;

use crate::net::{Act, GraphError, Head, Input, Layer, Network, Shape, infer_graph};

/// A Python string literal (JSON's escapes are Python's).
pub fn py_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

fn shape_text(shape: Shape) -> String {
    match shape {
        Shape::Image {
            channels,
            height,
            width,
        } => format!("{channels}×{height}×{width}"),
        Shape::Flat(units) => format!("{units}"),
    }
}

fn features(shape: Shape) -> usize {
    match shape {
        Shape::Image { channels, .. } => channels,
        Shape::Flat(units) => units,
    }
}

/// The PyTorch module that computes `layer` on an input of `shape`.
fn module(layer: &Layer, shape: Shape) -> String {
    match layer {
        Layer::Conv2d {
            filters,
            kernel,
            stride,
            padding,
            dilation,
        } => format!(
            "nn.Conv2d({}, {filters}, kernel_size={kernel}, stride={stride}, padding={padding}, dilation={dilation})",
            features(shape)
        ),
        Layer::MaxPool { size, stride } => {
            format!("nn.MaxPool2d(kernel_size={size}, stride={stride})")
        }
        Layer::AvgPool { size, stride } => {
            format!("nn.AvgPool2d(kernel_size={size}, stride={stride})")
        }
        Layer::GlobalAvgPool => "nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())".to_owned(),
        Layer::Flatten => "nn.Flatten()".to_owned(),
        Layer::Dense { units } => format!("nn.Linear({}, {units})", shape.elements()),
        Layer::Dropout { percent } => format!("nn.Dropout(p={})", f64::from(*percent) / 100.0),
        Layer::BatchNorm => match shape {
            Shape::Image { channels, .. } => format!("nn.BatchNorm2d({channels})"),
            Shape::Flat(units) => format!("nn.BatchNorm1d({units})"),
        },
        Layer::LayerNorm => match shape {
            Shape::Image {
                channels,
                height,
                width,
            } => format!("nn.LayerNorm([{channels}, {height}, {width}])"),
            Shape::Flat(units) => format!("nn.LayerNorm({units})"),
        },
        Layer::Activation(Act::Relu) => "nn.ReLU()".to_owned(),
        Layer::Activation(Act::LeakyRelu) => "nn.LeakyReLU(0.01)".to_owned(),
        Layer::Activation(Act::Gelu) => "nn.GELU()".to_owned(),
        Layer::Activation(Act::Tanh) => "nn.Tanh()".to_owned(),
        Layer::Activation(Act::Sigmoid) => "nn.Sigmoid()".to_owned(),
        Layer::Add { .. } | Layer::Concat { .. } => "nn.Identity()".to_owned(),
        Layer::Softmax => "nn.Softmax(dim=1)".to_owned(),
    }
}

fn tap(at: usize) -> String {
    if at == 0 {
        "x".to_owned()
    } else {
        format!("t{at}")
    }
}

fn input_text(input: &Input) -> String {
    match input {
        Input::Image(size) => format!(
            "images [N, {}, {}, {}], pixels / 255 in [0, 1]{}",
            size.channels,
            size.height,
            size.width,
            if size.channels == 3 {
                ", channels R, G, B"
            } else {
                ", grey"
            }
        ),
        Input::Points { features } => format!(
            "rows [N, {}] of the features {}",
            features.len(),
            features
                .iter()
                .map(|feature| feature.key())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Input::Table { columns } => format!("rows [N, {columns}] of standardised columns"),
        Input::Pretrained { side } => {
            format!("EfficientNet-Lite0's features [N, 1280] of RGB photos at {side}x{side}")
        }
    }
}

/// The text of `model.py` for `network`.
///
/// # Errors
/// The network is invalid.
pub fn model_py(network: &Network, title: &str) -> Result<String, GraphError> {
    let report = infer_graph(network)?;
    let mut out = String::new();
    let outputs = match network.head {
        Head::Classification { classes } => format!("{classes} class scores (logits)"),
        Head::Regression => "one number".to_owned(),
    };
    let _ = writeln!(
        out,
        "\"\"\"The network {} as trained in Agora, as a PyTorch module.\n\n\
         Input: {}.\nOutput of forward(): {}.\n\n\
         Layer numbers are the ones Agora shows: layer 1 is self.layers[0], and t4 is the output\n\
         of layer 4. Load the trained weights with load() below, or\n\
         model.load_state_dict(safetensors.torch.load_file(\"model.safetensors\")).\n\
         Written by Agora {}; it needs only PyTorch (and safetensors to load weights).\n\"\"\"",
        py_string(title),
        input_text(&network.input),
        outputs,
        env!("CARGO_PKG_VERSION")
    );
    out.push_str("import torch\nfrom torch import nn\n\n");
    let shape = shape_text(report.input);
    let _ = writeln!(out, "INPUT_SHAPE = ({},)", shape.replace('×', ", "));
    let _ = writeln!(
        out,
        "TASK = {}\n\n",
        py_string(match network.head {
            Head::Classification { .. } => "classification",
            Head::Regression => "regression",
        })
    );
    out.push_str("class AgoraNet(nn.Module):\n");
    let _ = writeln!(
        out,
        "    \"\"\"{} layers; {} parameters.\"\"\"\n",
        network.layers.len(),
        report.total_params
    );
    out.push_str("    def __init__(self):\n        super().__init__()\n        self.layers = nn.ModuleList([\n");
    for (at, layer) in network.layers.iter().enumerate() {
        let input = report.tap(at).unwrap_or(report.input);
        let output = report.tap(at + 1).unwrap_or(input);
        let note = match layer {
            Layer::Add { from } => format!(" (+ {})", tap(*from)),
            Layer::Concat { from } => format!(" (joined with {})", tap(*from)),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "            {},  # {} {}{}: {} → {}",
            module(layer, input),
            at + 1,
            layer.title(),
            note,
            shape_text(input),
            shape_text(output)
        );
    }
    out.push_str("        ])\n\n");
    let score = network.score_tap();
    let _ = writeln!(
        out,
        "    def forward(self, x):\n        \"\"\"{} for a batch x of {}.\"\"\"",
        outputs.replace(" (logits)", ", the logits"),
        input_text(&network.input)
    );
    for (at, layer) in network.layers.iter().enumerate().take(score) {
        let call = format!("self.layers[{at}]({})", tap(at));
        let line = match layer {
            Layer::Add { from } => format!("{call} + {}", tap(*from)),
            Layer::Concat { from } => format!("torch.cat([{call}, {}], dim=1)", tap(*from)),
            _ => call,
        };
        let _ = writeln!(out, "        {} = {line}  # {}", tap(at + 1), layer.title());
    }
    let _ = writeln!(out, "        return {}\n", tap(score));
    if matches!(network.head, Head::Classification { .. }) {
        let _ = writeln!(
            out,
            "    def probabilities(self, x):\n        \"\"\"Class probabilities: the final Softmax (layer {}) on forward(x).\"\"\"\n        return self.layers[{}](self.forward(x))\n",
            network.layers.len(),
            network.layers.len() - 1
        );
    }
    out.push_str(
        "\ndef load(path=\"model.safetensors\", map_location=\"cpu\"):\n    \
         \"\"\"AgoraNet with the weights in `path` (every tensor checked by load_state_dict).\"\"\"\n    \
         from safetensors.torch import load_file\n\n    \
         model = AgoraNet()\n    \
         model.load_state_dict(load_file(path, device=str(map_location)))\n    \
         return model.eval()\n",
    );
    Ok(out)
}
