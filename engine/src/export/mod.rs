//! A trained network taken out of Agora, into formats other tools load: one zip holding
//! `model.onnx` (onnxruntime, Netron, any ONNX tool), `model.safetensors` (PyTorch's
//! `state_dict` names and layouts, the network in its metadata), `model.py` (the network as a
//! readable `nn.Module`), `predict.py`, `train.py` (the same recipe, one process or
//! `torchrun`), `common.py`, `agora.json` (what the scripts read), `check.safetensors` (a few
//! inputs and the scores Agora computed for them: `python predict.py --check`) and, when asked,
//! the data (`data/train/<class>/*.png` and `data/val/…` as an ImageFolder, or `train.csv` /
//! `val.csv`). Everything is made from what is on the device; nothing is sent anywhere.

mod onnx;
mod png;
mod proto;
mod torch_code;

use serde_json::{Value, json};
use thiserror::Error;

use crate::net::{Head, Input, Layer, Network, infer_graph};
use crate::params::{HostTensor, LayerParams};
use crate::photos::Augment;
use crate::recipe::Recipe;
use crate::safetensors::{self, RawTensor};
use crate::samples::{Samples, Targets};
use crate::weights::{WeightsError, f32_data, f32_raw, state_dict};
use crate::zip::ZipWriter;

pub use onnx::{INPUT, InGraphScaling, LOGITS, OPSET, PROBABILITIES, VALUE, write_onnx};
pub use png::encode as encode_png;
pub use torch_code::model_py;

const COMMON_PY: &str = include_str!("python/common.py");
const PREDICT_PY: &str = include_str!("python/predict.py");
const TRAIN_PY: &str = include_str!("python/train.py");

/// How many validation samples `check.safetensors` holds.
pub const CHECK_SAMPLES: usize = 8;

/// Why an export could not be made. The texts are for the person who asked for it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ExportError {
    #[error("the network cannot be exported: {0}")]
    Weights(#[from] WeightsError),
    #[error("the export would be too large for a zip file ({0}); export it without the data")]
    TooLarge(String),
    #[error(
        "a network on the pretrained EfficientNet-Lite0 cannot be exported yet: the files would hold its head without the backbone it reads; train it from scratch to export it"
    )]
    Pretrained,
}

/// A few inputs and the scores Agora's model gave them (logits, or the predicted value).
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// `[n, …input]`, as the network reads it.
    pub input: HostTensor,
    /// `[n, outputs]`.
    pub scores: HostTensor,
}

/// A table's standardisation: each column's mean and deviation over the training rows (what
/// Agora subtracted and divided by) and, for a number label, its mean and deviation. An export
/// with it takes and gives the table's own numbers: the ONNX graph, the scripts and the data
/// files do the standardising.
#[derive(Clone, Debug, PartialEq)]
pub struct Scaling {
    pub means: Vec<f32>,
    pub deviations: Vec<f32>,
    pub label: Option<(f32, f32)>,
}

impl Scaling {
    fn in_graph(&self) -> InGraphScaling<'_> {
        InGraphScaling {
            means: &self.means,
            deviations: &self.deviations,
            label: self.label,
        }
    }

    /// A standardised row back in the table's numbers.
    fn raw_row(&self, row: &[f32]) -> Vec<f32> {
        row.iter()
            .enumerate()
            .map(|(at, value)| {
                value * self.deviations.get(at).copied().unwrap_or(1.0)
                    + self.means.get(at).copied().unwrap_or(0.0)
            })
            .collect()
    }

    /// A standardised number label (or prediction) back in the label's units.
    fn raw_label(&self, value: f32) -> f32 {
        self.label
            .map_or(value, |(mean, deviation)| value * deviation + mean)
    }
}

/// Everything an export is made from.
#[derive(Clone, Debug)]
pub struct ExportModel<'a> {
    /// What the person calls it ("digits", their project's data).
    pub title: String,
    pub network: &'a Network,
    pub params: &'a [LayerParams],
    pub recipe: Recipe,
    /// How training images are changed each time they are drawn (`train.py` does the same).
    pub augment: Augment,
    pub seed: u64,
    /// Epochs the weights have trained.
    pub epochs_trained: usize,
    /// Optimizer steps taken (a batch norm's `num_batches_tracked`).
    pub steps: u64,
    /// Class names in label order (empty for regression).
    pub class_names: Vec<String>,
    /// The names of a row's columns (points' features, a table's columns); empty for images.
    pub columns: Vec<String>,
    pub check: Option<Check>,
    /// A table's standardisation (`None` for points and images).
    pub scaling: Option<Scaling>,
    /// The training and validation samples, to export as data.
    pub data: Option<(&'a Samples, &'a Samples)>,
}

/// The first `count` samples as the network's input tensor `[n, …]` (images as floats in
/// `[0, 1]`, channels first).
pub fn input_tensor(samples: &Samples, count: usize) -> HostTensor {
    match samples {
        Samples::Images(set) => {
            let count = count.min(set.len());
            let size = set.size;
            let (c, h, w) = (size.channels, size.height, size.width);
            let mut values = vec![0.0; count * c * h * w];
            for index in 0..count {
                let image = set.image(index);
                for y in 0..h {
                    for x in 0..w {
                        for channel in 0..c {
                            values[index * c * h * w + channel * h * w + y * w + x] =
                                f32::from(image[(y * w + x) * c + channel]) / 255.0;
                        }
                    }
                }
            }
            HostTensor {
                shape: vec![count, c, h, w],
                values,
            }
        }
        Samples::Rows(rows) => {
            let count = count.min(rows.len());
            HostTensor {
                shape: vec![count, rows.columns],
                values: rows.values[..count * rows.columns].to_vec(),
            }
        }
    }
}

/// The names of a row's columns when none are given: a point's features, `c1…` for a table.
fn columns(model: &ExportModel<'_>) -> Vec<String> {
    if !model.columns.is_empty() {
        return model.columns.clone();
    }
    match &model.network.input {
        Input::Points { features } => features.iter().map(|f| f.key().to_owned()).collect(),
        Input::Table { columns } => (1..=*columns).map(|i| format!("c{i}")).collect(),
        Input::Image(_) | Input::Pretrained { .. } => Vec::new(),
    }
}

fn class_names(model: &ExportModel<'_>) -> Vec<String> {
    let classes = model.network.classes();
    (0..classes)
        .map(|class| {
            model
                .class_names
                .get(class)
                .filter(|name| !name.trim().is_empty())
                .cloned()
                .unwrap_or_else(|| class.to_string())
        })
        .collect()
}

/// Folder names for the classes, in label order, that sort in label order (so torchvision's
/// `ImageFolder` numbers them as Agora does) and are safe on every file system.
pub fn class_folders(names: &[String]) -> Vec<String> {
    let clean: Vec<String> = names
        .iter()
        .map(|name| {
            let safe: String = name
                .chars()
                .take(60)
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' ') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let safe = safe.trim().to_owned();
            if safe.is_empty() {
                "class".to_owned()
            } else {
                safe
            }
        })
        .collect();
    // Sorted and distinct even where file names ignore case (macOS, Windows), and none of
    // Windows' reserved device names.
    let folded: Vec<String> = clean.iter().map(|name| name.to_ascii_lowercase()).collect();
    let reserved = |name: &str| {
        let stem = name.split('.').next().unwrap_or(name);
        matches!(stem, "con" | "prn" | "aux" | "nul")
            || ((stem.starts_with("com") || stem.starts_with("lpt"))
                && stem.len() == 4
                && stem.as_bytes()[3].is_ascii_digit())
    };
    let ordered = folded.windows(2).all(|pair| pair[0] < pair[1])
        && !folded.iter().any(|name| reserved(name));
    if ordered {
        return clean;
    }
    let width = names.len().saturating_sub(1).to_string().len();
    clean
        .iter()
        .enumerate()
        .map(|(index, name)| format!("{index:0width$}-{name}"))
        .collect()
}

fn input_description(network: &Network, columns: &[String], scaling: Option<&Scaling>) -> Value {
    match &network.input {
        Input::Image(size) => json!({
            "kind": "image",
            "shape": [size.channels, size.height, size.width],
            "channels": size.channels,
            "height": size.height,
            "width": size.width,
            "layout": "NCHW float32",
            "scale": "pixel / 255, in [0, 1]",
            "colour": if size.channels == 3 { "RGB" } else { "grey" },
        }),
        Input::Pretrained { side } => json!({
            "kind": "pretrained",
            "backbone": "efficientnet-lite0",
            "shape": [crate::pretrained::FEATURES],
            "side": side,
            "scale": "the pretrained network's 1280 features of an RGB photo at side x side, (x - 127) / 128",
        }),
        Input::Points { .. } => json!({
            "kind": "points",
            "shape": [columns.len()],
            "columns": columns,
            "scale": "features of the point (x1, x2) of the plane, each in about [-6, 6]",
        }),
        Input::Table { .. } => match scaling {
            Some(scaling) => json!({
                "kind": "table",
                "shape": [columns.len()],
                "columns": columns,
                "scale": "the table's own numbers; the model standardises each column: (x - mean) / deviation",
                "means": scaling.means,
                "deviations": scaling.deviations,
                "label_scale": scaling.label.map(|(mean, deviation)| [mean, deviation]),
            }),
            None => json!({
                "kind": "table",
                "shape": [columns.len()],
                "columns": columns,
                "scale": "each column standardised with the training rows' mean and deviation",
            }),
        },
    }
}

fn task(network: &Network) -> &'static str {
    match network.head {
        Head::Classification { .. } => "classification",
        Head::Regression => "regression",
    }
}

/// The metadata both model files carry: what the input is, the classes, the network.
fn metadata(model: &ExportModel<'_>) -> Vec<(String, String)> {
    let columns = columns(model);
    vec![
        ("agora.title".into(), model.title.clone()),
        ("agora.task".into(), task(model.network).into()),
        (
            "agora.classes".into(),
            serde_json::to_string(&class_names(model)).unwrap_or_default(),
        ),
        (
            "agora.input".into(),
            input_description(model.network, &columns, model.scaling.as_ref()).to_string(),
        ),
        (
            "agora.network".into(),
            serde_json::to_string(model.network).unwrap_or_default(),
        ),
        (
            "agora.recipe".into(),
            serde_json::to_string(&model.recipe).unwrap_or_default(),
        ),
        ("agora.epochs".into(), model.epochs_trained.to_string()),
    ]
}

/// `model.onnx`.
///
/// # Errors
/// The network is invalid or the parameters do not fit it.
pub fn onnx_bytes(model: &ExportModel<'_>) -> Result<Vec<u8>, ExportError> {
    if matches!(model.network.input, Input::Pretrained { .. }) {
        return Err(ExportError::Pretrained);
    }
    Ok(write_onnx(
        model.network,
        model.params,
        &model.title,
        &metadata(model),
        model.scaling.as_ref().map(Scaling::in_graph),
    )?)
}

/// `model.safetensors`: PyTorch's `state_dict` of `model.py`'s `AgoraNet` (batch norms'
/// `num_batches_tracked` included), the metadata of [`onnx_bytes`] and `format: pt`.
///
/// # Errors
/// The network is invalid or the parameters do not fit it.
pub fn safetensors_bytes(model: &ExportModel<'_>) -> Result<Vec<u8>, ExportError> {
    let tensors = state_dict(model.network, model.params)?;
    let steps = i64::try_from(model.steps).unwrap_or(i64::MAX).to_le_bytes();
    let data = f32_data(&tensors);
    let mut raw = f32_raw(&tensors, &data);
    for (at, layer) in model.network.layers.iter().enumerate() {
        if matches!(layer, Layer::BatchNorm) {
            raw.push(RawTensor {
                name: format!("layers.{at}.num_batches_tracked"),
                dtype: "I64".into(),
                shape: Vec::new(),
                data: &steps,
            });
        }
    }
    let mut meta = metadata(model);
    meta.insert(0, ("format".into(), "pt".into()));
    let meta: Vec<(&str, &str)> = meta
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    Ok(safetensors::write(&raw, &meta))
}

fn host_raw<'a>(name: &str, tensor: &HostTensor, data: &'a [u8]) -> RawTensor<'a> {
    RawTensor {
        name: name.to_owned(),
        dtype: "F32".into(),
        shape: tensor.shape.clone(),
        data,
    }
}

fn floats(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The CSV files' label column: `label`, unless a feature is called that.
fn label_column(columns: &[String]) -> &'static str {
    if columns.iter().any(|name| name == "label") {
        "__label__"
    } else {
        "label"
    }
}

/// Adds one split of the data to the zip.
fn add_split(
    zip: &mut ZipWriter,
    split: &str,
    samples: &Samples,
    folders: &[String],
    classes: &[String],
    columns: &[String],
    scaling: Option<&Scaling>,
) -> Result<(), ExportError> {
    let too_large = |error: crate::zip::ZipError| ExportError::TooLarge(error.to_string());
    match samples {
        Samples::Images(set) => {
            let size = set.size;
            for index in 0..set.len() {
                let label = usize::from(set.labels[index]);
                let Some(folder) = folders.get(label) else {
                    continue;
                };
                let png = encode_png(set.image(index), size.width, size.height, size.channels);
                zip.add(&format!("data/{split}/{folder}/{index:05}.png"), &png)
                    .map_err(too_large)?;
            }
        }
        Samples::Rows(rows) => {
            let mut text = columns
                .iter()
                .map(|name| csv_field(name))
                .collect::<Vec<_>>()
                .join(",");
            text.push(',');
            text.push_str(label_column(columns));
            text.push('\n');
            for index in 0..rows.len() {
                let row = &rows.values[index * rows.columns..(index + 1) * rows.columns];
                let row = scaling.map_or_else(|| row.to_vec(), |scaling| scaling.raw_row(row));
                for value in &row {
                    text.push_str(&format!("{value},"));
                }
                match &rows.targets {
                    Targets::Classes(labels) => {
                        let name = classes
                            .get(usize::from(labels[index]))
                            .map_or_else(|| labels[index].to_string(), |name| csv_field(name));
                        text.push_str(&name);
                    }
                    Targets::Values(values) => {
                        let value = scaling.map_or(values[index], |s| s.raw_label(values[index]));
                        text.push_str(&value.to_string());
                    }
                }
                text.push('\n');
            }
            zip.add(&format!("data/{split}.csv"), text.as_bytes())
                .map_err(too_large)?;
        }
    }
    Ok(())
}

/// The epochs `train.py` trains by default: the recipe's, or for a run without an end (the
/// playground's) the epochs it had trained here, at least one.
fn default_epochs(model: &ExportModel<'_>) -> usize {
    if model.recipe.epochs > 10_000 {
        model.epochs_trained.clamp(1, 10_000)
    } else {
        model.recipe.epochs.max(1)
    }
}

/// `agora.json`: what `predict.py` and `train.py` read.
fn description(model: &ExportModel<'_>, folders: &[String]) -> Value {
    let columns = columns(model);
    let data = model.data.map(|(train, _)| match train {
        Samples::Images(_) => json!({"format": "imagefolder", "root": "data", "folders": folders}),
        Samples::Rows(_) => {
            json!({"format": "csv", "root": "data", "label_column": label_column(&columns)})
        }
    });
    json!({
        "format": "agora-export",
        "version": 1,
        "title": model.title,
        "task": task(model.network),
        "classes": class_names(model),
        "input": input_description(model.network, &columns, model.scaling.as_ref()),
        "network": model.network,
        "network_json": serde_json::to_string(model.network).unwrap_or_default(),
        "recipe": model.recipe,
        "augment": model.augment,
        "seed": model.seed,
        "epochs": default_epochs(model),
        "epochs_trained": model.epochs_trained,
        "data": data,
    })
}

fn readme(model: &ExportModel<'_>, params: usize) -> String {
    let data = match model.data {
        Some((Samples::Images(_), _)) => {
            "- `data/train/<class>/*.png`, `data/val/<class>/*.png`: the images Agora trained and\n  validated on, one folder per class (an ImageFolder; the folders sort in class order).\n"
        }
        Some((Samples::Rows(_), _)) => {
            "- `data/train.csv`, `data/val.csv`: the rows Agora trained and validated on.\n"
        }
        None => "- No data: this export was made without it, so `train.py` needs `--data`.\n",
    };
    let example = match model.network.input {
        Input::Image(_) => "python predict.py my-photo.jpg",
        _ => "python predict.py data/val.csv",
    };
    format!(
        "# {title} — exported from Agora\n\n\
         A network of {layers} layers ({params} parameters) trained {epochs} epochs in Agora, in\n\
         formats other tools open. Made in the browser from what was on the device; nothing was\n\
         sent anywhere.\n\n\
         - `model.onnx`: ONNX (opset {OPSET}). Input `input`; outputs `logits` and `probabilities`\n  \
         (or `value`). The class names and what the input means are in its metadata.\n\
         - `model.safetensors`: the weights with PyTorch's `state_dict` names and layouts; the\n  \
         network is in its metadata (`agora.network`).\n\
         - `model.py`: the network as a PyTorch `nn.Module` (`AgoraNet`), layer by layer.\n\
         - `predict.py`: classifies files with PyTorch or onnxruntime; `--check` compares both with\n  \
         the outputs Agora computed (`check.safetensors`).\n\
         - `train.py`: trains the same network with the same recipe; runs under `torchrun`.\n\
         - `agora.json`: the network, recipe, classes and input the scripts read.\n{data}\n\
         ```sh\n\
         pip install torch safetensors pillow onnxruntime\n\
         python predict.py --check\n\
         {example}\n\
         python train.py --epochs 2\n\
         torchrun --nproc-per-node 2 train.py --epochs 2\n\
         ```\n",
        title = model.title,
        layers = model.network.layers.len(),
        epochs = model.epochs_trained,
    )
}

/// The whole export as one zip.
///
/// # Errors
/// The network is invalid, the parameters do not fit it, or the data pass zip's 4 GiB.
pub fn bundle(model: &ExportModel<'_>) -> Result<Vec<u8>, ExportError> {
    if matches!(model.network.input, Input::Pretrained { .. }) {
        return Err(ExportError::Pretrained);
    }
    let report = infer_graph(model.network)
        .map_err(|error| ExportError::Weights(WeightsError::Network(error.message)))?;
    let classes = class_names(model);
    let folders = class_folders(&classes);
    let too_large = |error: crate::zip::ZipError| ExportError::TooLarge(error.to_string());
    let mut zip = ZipWriter::new();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("README.md", readme(model, report.total_params).into_bytes()),
        (
            "agora.json",
            serde_json::to_vec_pretty(&description(model, &folders)).unwrap_or_default(),
        ),
        ("model.onnx", onnx_bytes(model)?),
        ("model.safetensors", safetensors_bytes(model)?),
        (
            "model.py",
            model_py(model.network, &model.title)
                .map_err(|error| ExportError::Weights(WeightsError::Network(error.message)))?
                .into_bytes(),
        ),
        ("common.py", COMMON_PY.as_bytes().to_vec()),
        ("predict.py", PREDICT_PY.as_bytes().to_vec()),
        ("train.py", TRAIN_PY.as_bytes().to_vec()),
    ];
    for (name, bytes) in &files {
        zip.add(name, bytes).map_err(too_large)?;
    }
    if let Some(check) = model
        .check
        .as_ref()
        .filter(|check| check.input.shape.first() > Some(&0))
    {
        // With a table's scaling, the file holds the table's numbers in and the label's out,
        // as the ONNX model and the scripts take and give them.
        let check = match &model.scaling {
            Some(scaling) => {
                let width = check.input.shape.get(1).copied().unwrap_or(1).max(1);
                let regression = matches!(model.network.head, Head::Regression);
                Check {
                    input: HostTensor {
                        shape: check.input.shape.clone(),
                        values: check
                            .input
                            .values
                            .chunks(width)
                            .flat_map(|row| scaling.raw_row(row))
                            .collect(),
                    },
                    scores: HostTensor {
                        shape: check.scores.shape.clone(),
                        values: check
                            .scores
                            .values
                            .iter()
                            .map(|&v| if regression { scaling.raw_label(v) } else { v })
                            .collect(),
                    },
                }
            }
            None => check.clone(),
        };
        let (input, scores) = (floats(&check.input.values), floats(&check.scores.values));
        let raw = [
            host_raw("input", &check.input, &input),
            host_raw("scores", &check.scores, &scores),
        ];
        zip.add(
            "check.safetensors",
            &safetensors::write(
                &raw,
                &[("agora.about", "inputs and Agora's scores for them")],
            ),
        )
        .map_err(too_large)?;
    }
    if let Some((train, val)) = model.data {
        let columns = columns(model);
        let scaling = model.scaling.as_ref();
        add_split(
            &mut zip, "train", train, &folders, &classes, &columns, scaling,
        )?;
        add_split(&mut zip, "val", val, &folders, &classes, &columns, scaling)?;
    }
    zip.finish().map_err(too_large)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::net::ImageSize;
    use crate::params::initial_params;
    use crate::recipe::Init;
    use crate::zip::{ZipLimits, ZipReader};

    const DIGITS: ImageSize = ImageSize {
        channels: 1,
        height: 28,
        width: 28,
    };

    fn export_of(network: &Network) -> Vec<u8> {
        let params = initial_params(network, Init::Torch, 3).expect("params");
        let model = ExportModel {
            title: "digits".into(),
            network,
            params: &params,
            recipe: Recipe::default(),
            augment: Augment::NONE,
            seed: 3,
            epochs_trained: 2,
            steps: 40,
            class_names: Vec::new(),
            columns: Vec::new(),
            check: None,
            scaling: None,
            data: None,
        };
        bundle(&model).expect("exports")
    }

    #[test]
    fn an_export_holds_pytorchs_names_and_layouts() {
        let bytes = export_of(&Network::small_resnet(DIGITS, 10));
        let zip = ZipReader::open(&bytes, ZipLimits::default()).expect("a zip");
        for name in [
            "README.md",
            "agora.json",
            "model.onnx",
            "model.safetensors",
            "model.py",
            "common.py",
            "predict.py",
            "train.py",
        ] {
            assert!(zip.contains(name), "{name}");
        }
        let weights = zip.read("model.safetensors").expect("weights");
        let (tensors, metadata) = safetensors::read(&weights).expect("safetensors");
        let find = |name: &str| tensors.iter().find(|t| t.name == name).expect(name);
        assert_eq!(
            find("layers.12.weight").shape,
            [10, 16],
            "Dense as [out, in]"
        );
        assert_eq!(find("layers.1.running_var").shape, [16]);
        let tracked = find("layers.1.num_batches_tracked");
        assert_eq!(
            (tracked.dtype.as_str(), tracked.data),
            ("I64", &40_i64.to_le_bytes()[..])
        );
        assert_eq!(metadata.get("format").map(String::as_str), Some("pt"));
        let network: Network =
            serde_json::from_str(&metadata["agora.network"]).expect("the network");
        assert_eq!(network, Network::small_resnet(DIGITS, 10));
        let model = String::from_utf8(zip.read("model.py").expect("model.py")).expect("text");
        assert!(
            model.contains("t10 = self.layers[9](t9) + t4  # Add"),
            "{model}"
        );
        assert!(model.contains("nn.BatchNorm2d(16)"));
        let config: Value =
            serde_json::from_slice(&zip.read("agora.json").expect("json")).expect("json");
        assert_eq!(config["classes"][9], "9");
        assert_eq!(config["epochs"], 10);
    }

    #[test]
    fn class_folders_sort_in_class_order() {
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(class_folders(&names(&["0", "1", "2"])), ["0", "1", "2"]);
        assert_eq!(
            class_folders(&names(&["dog", "cat", "../x"])),
            ["0-dog", "1-cat", "2-___x"]
        );
        // Apart only by case, or a device name on Windows: numbered.
        assert_eq!(class_folders(&names(&["A", "a"])), ["0-A", "1-a"]);
        assert_eq!(class_folders(&names(&["con", "dog"])), ["0-con", "1-dog"]);
        assert_eq!(class_folders(&names(&["chat", "été"])), ["0-chat", "1-_t_"]);
        let many: Vec<String> = (0..12).map(|i| format!("c{i}")).collect();
        assert_eq!(class_folders(&many)[11], "11-c11");
        assert_eq!(class_folders(&many)[2], "02-c2");
    }
}
