//! Shape inference: every layer's output shape, parameters, FLOPs and activation memory, or the
//! first problem with the layer it concerns and a one-click [`Fix`]. Plain arithmetic, so the
//! builders run it on every edit.

use serde::{Deserialize, Serialize};

use super::input::{ImageSize, Input};
use super::layer::Layer;
use super::network::{Head, Network};
use super::shape::Shape;

/// What one layer produces and costs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    pub output: Shape,
    pub params: usize,
    /// Floating-point operations for one sample's forward pass (a multiply-add counts 2).
    pub flops: u64,
    /// Bytes of the layer's output for one sample (f32).
    pub activation_bytes: u64,
}

/// Shapes and costs of a valid network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphReport {
    pub input: Shape,
    pub layers: Vec<LayerInfo>,
    pub total_params: usize,
    pub total_flops: u64,
    /// Every layer's output for one sample, plus the input (what training keeps for backward).
    pub activation_bytes: u64,
}

impl GraphReport {
    /// The shape of tap `tap` (0 = input).
    pub fn tap(&self, tap: usize) -> Option<Shape> {
        if tap == 0 {
            Some(self.input)
        } else {
            self.layers.get(tap - 1).map(|info| info.output)
        }
    }
}

/// A one-click repair for a [`GraphError`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fix {
    /// Insert this layer at this position (before the layer now there).
    Insert { at: usize, layer: Layer },
    /// Remove the layer at this position.
    Remove { at: usize },
    /// Replace the layer at this position.
    Replace { at: usize, layer: Layer },
}

impl Fix {
    /// The button text.
    pub fn label(&self) -> String {
        match self {
            Fix::Insert { layer, .. } => format!("Insert {}", layer.kind()),
            Fix::Remove { at } => format!("Remove layer {}", at + 1),
            Fix::Replace { layer, .. } => match layer {
                Layer::Dense { units } => format!("Set {units} units"),
                Layer::Add { from } | Layer::Concat { from } => {
                    format!("Take layer {from}'s output")
                }
                other => format!("Use {}", other.kind()),
            },
        }
    }

    /// Applies the fix to `network`. Out-of-range positions change nothing.
    pub fn apply(&self, network: &mut Network) {
        match self {
            Fix::Insert { at, layer } => {
                if *at <= network.layers.len() {
                    network.layers.insert(*at, layer.clone());
                }
            }
            Fix::Remove { at } => {
                if *at < network.layers.len() {
                    network.layers.remove(*at);
                }
            }
            Fix::Replace { at, layer } => {
                if let Some(slot) = network.layers.get_mut(*at) {
                    *slot = layer.clone();
                }
            }
        }
    }
}

/// Why a network cannot be built, which layer is at fault (0-based), and a repair if one is
/// obvious.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct GraphError {
    pub layer: Option<usize>,
    pub message: String,
    pub fix: Option<Fix>,
}

impl GraphError {
    /// A problem with the whole network rather than one layer.
    pub(crate) fn general(message: String) -> GraphError {
        GraphError {
            layer: None,
            message,
            fix: None,
        }
    }

    pub(crate) fn at(layer: usize, message: String, fix: Option<Fix>) -> GraphError {
        GraphError {
            layer: Some(layer),
            message,
            fix,
        }
    }
}

/// The most layers a network may have.
pub const MAX_LAYERS: usize = 48;
/// The most channels or units one layer may have.
pub const MAX_WIDTH: usize = 4096;
/// The largest image side.
pub const MAX_SIDE: usize = 512;
/// The most classes.
pub const MAX_CLASSES: usize = 100;

/// Infers every layer's output shape, parameters, FLOPs and activation memory.
///
/// # Errors
/// The first problem found, with the layer it concerns and a fix where one is obvious.
pub fn infer_graph(network: &Network) -> Result<GraphReport, GraphError> {
    infer(network, true)
}

/// Like [`infer_graph`] but for a network body without the classifier head (no Softmax or
/// class count required): for tests of single layers and for feature extractors.
///
/// # Errors
/// The first problem found.
pub fn infer_body(network: &Network) -> Result<GraphReport, GraphError> {
    infer(network, false)
}

#[allow(clippy::too_many_lines)] // one arm per layer kind reads best as one match
fn infer(network: &Network, with_head: bool) -> Result<GraphReport, GraphError> {
    match &network.input {
        Input::Image(ImageSize {
            channels,
            height,
            width,
        }) => {
            if *channels == 0
                || *height == 0
                || *width == 0
                || *height > MAX_SIDE
                || *width > MAX_SIDE
            {
                return Err(GraphError::general(format!(
                    "The input image must be 1×1 to {MAX_SIDE}×{MAX_SIDE} pixels with at least one channel."
                )));
            }
        }
        Input::Points { features } => {
            if features.is_empty() {
                return Err(GraphError::general(
                    "The network has no input: switch on at least one input feature (x₁, x₂, …) in the Features column.".to_owned(),
                ));
            }
        }
        Input::Table { columns } => {
            if *columns == 0 {
                return Err(GraphError::general(
                    "The network has no input: choose at least one feature column of the table."
                        .to_owned(),
                ));
            }
            if *columns > MAX_WIDTH {
                return Err(GraphError::general(format!(
                    "The table has {columns} feature columns; at most {MAX_WIDTH} fit: choose fewer."
                )));
            }
        }
        Input::Pretrained { side } => {
            if !crate::pretrained::INPUT_SIZES.contains(side) {
                return Err(GraphError::general(format!(
                    "The pretrained network reads photos of 224, 160 or 128 pixels, not {side}: choose one under Data."
                )));
            }
        }
    }
    if with_head
        && let Head::Classification { classes } = network.head
        && !(2..=MAX_CLASSES).contains(&classes)
    {
        return Err(GraphError::general(format!(
            "A classifier needs 2 to {MAX_CLASSES} classes; this dataset has {classes}."
        )));
    }
    if network.layers.len() > MAX_LAYERS {
        return Err(GraphError::at(
            MAX_LAYERS,
            format!("At most {MAX_LAYERS} layers fit: remove some."),
            Some(Fix::Remove { at: MAX_LAYERS }),
        ));
    }
    let input = network.input.shape();
    let mut taps = vec![input];
    let mut infos: Vec<LayerInfo> = Vec::with_capacity(network.layers.len());
    let last = network.layers.len().checked_sub(1);
    for (at, layer) in network.layers.iter().enumerate() {
        let shape = taps[at];
        let number = at + 1;
        let kind = layer.kind();
        let needs_image = |shape: Shape| -> Result<(usize, usize, usize), GraphError> {
            match shape {
                Shape::Image {
                    channels,
                    height,
                    width,
                } => Ok((channels, height, width)),
                Shape::Flat(_) => Err(GraphError::at(
                    at,
                    format!(
                        "{kind} (layer {number}) needs an image (channels × height × width), but it gets a flat vector of {shape}: move it before the Flatten or Dense layers."
                    ),
                    Some(Fix::Remove { at }),
                )),
            }
        };
        let positive = |value: usize, what: &str, replacement: Layer| {
            if value == 0 {
                Err(GraphError::at(
                    at,
                    format!("{kind} (layer {number}) needs at least 1 {what}."),
                    Some(Fix::Replace {
                        at,
                        layer: replacement,
                    }),
                ))
            } else {
                Ok(())
            }
        };
        let (output, params, flops) = match layer {
            Layer::Conv2d {
                filters,
                kernel,
                stride,
                padding,
                dilation,
            } => {
                let fixed = Layer::Conv2d {
                    filters: (*filters).max(1),
                    kernel: (*kernel).max(1),
                    stride: (*stride).max(1),
                    padding: *padding,
                    dilation: (*dilation).max(1),
                };
                positive(*filters, "filter", fixed.clone())?;
                positive(*kernel, "pixel of kernel", fixed.clone())?;
                positive(*stride, "pixel of stride", fixed.clone())?;
                positive(*dilation, "pixel of dilation", fixed)?;
                if *filters > MAX_WIDTH {
                    return Err(GraphError::at(
                        at,
                        format!(
                            "{kind} (layer {number}) has {filters} filters; at most {MAX_WIDTH} fit."
                        ),
                        None,
                    ));
                }
                let (in_channels, height, width) = needs_image(shape)?;
                let span = dilation * (kernel - 1) + 1;
                let padded_h = height + 2 * padding;
                let padded_w = width + 2 * padding;
                if span > padded_h || span > padded_w {
                    let same = Layer::Conv2d {
                        filters: *filters,
                        kernel: *kernel,
                        stride: *stride,
                        padding: span / 2,
                        dilation: *dilation,
                    };
                    return Err(GraphError::at(
                        at,
                        format!(
                            "Conv2d (layer {number}) has a {span}×{span} window but its input is only {height}×{width}{}: pad it, or use a smaller kernel or dilation.",
                            if *padding > 0 {
                                " after padding".to_owned()
                            } else {
                                String::new()
                            }
                        ),
                        Some(Fix::Replace { at, layer: same }),
                    ));
                }
                let out_h = (padded_h - span) / stride + 1;
                let out_w = (padded_w - span) / stride + 1;
                let params = filters * in_channels * kernel * kernel + filters;
                let flops =
                    2 * (filters * out_h * out_w) as u64 * (in_channels * kernel * kernel) as u64;
                (
                    Shape::Image {
                        channels: *filters,
                        height: out_h,
                        width: out_w,
                    },
                    params,
                    flops,
                )
            }
            Layer::MaxPool { size, stride } | Layer::AvgPool { size, stride } => {
                let replace = |size: usize, stride: usize| match layer {
                    Layer::MaxPool { .. } => Layer::MaxPool { size, stride },
                    _ => Layer::AvgPool { size, stride },
                };
                positive(
                    *size,
                    "pixel of window",
                    replace((*size).max(1), (*stride).max(1)),
                )?;
                positive(
                    *stride,
                    "pixel of stride",
                    replace((*size).max(1), (*stride).max(1)),
                )?;
                let (channels, height, width) = needs_image(shape)?;
                if *size > height || *size > width {
                    return Err(GraphError::at(
                        at,
                        format!(
                            "{kind} (layer {number}) pools {size}×{size} windows but its input is only {height}×{width}: use a smaller window or remove it."
                        ),
                        Some(Fix::Remove { at }),
                    ));
                }
                let out_h = (height - size) / stride + 1;
                let out_w = (width - size) / stride + 1;
                let flops = (channels * out_h * out_w * size * size) as u64;
                (
                    Shape::Image {
                        channels,
                        height: out_h,
                        width: out_w,
                    },
                    0,
                    flops,
                )
            }
            Layer::GlobalAvgPool => {
                let (channels, height, width) = needs_image(shape)?;
                (Shape::Flat(channels), 0, (channels * height * width) as u64)
            }
            Layer::Flatten => match shape {
                Shape::Image { .. } => (Shape::Flat(shape.elements()), 0, 0),
                Shape::Flat(_) => {
                    return Err(GraphError::at(
                        at,
                        format!(
                            "Flatten (layer {number}) gets a vector that is already flat: remove it."
                        ),
                        Some(Fix::Remove { at }),
                    ));
                }
            },
            Layer::Dense { units } => {
                positive(*units, "unit", Layer::Dense { units: 1 })?;
                if *units > MAX_WIDTH {
                    return Err(GraphError::at(
                        at,
                        format!(
                            "Dense (layer {number}) has {units} units; at most {MAX_WIDTH} fit."
                        ),
                        Some(Fix::Replace {
                            at,
                            layer: Layer::Dense { units: MAX_WIDTH },
                        }),
                    ));
                }
                let Shape::Flat(inputs) = shape else {
                    return Err(GraphError::at(
                        at,
                        format!(
                            "Dense (layer {number}) needs a flat input, but it gets an image of {shape}: insert Flatten (or GlobalAvgPool) here."
                        ),
                        Some(Fix::Insert {
                            at,
                            layer: Layer::Flatten,
                        }),
                    ));
                };
                (
                    Shape::Flat(*units),
                    inputs * units + units,
                    2 * (inputs * units) as u64,
                )
            }
            Layer::Dropout { percent } => {
                if *percent >= 100 {
                    return Err(GraphError::at(
                        at,
                        format!(
                            "Dropout (layer {number}) would drop every value: use a rate below 100 %."
                        ),
                        Some(Fix::Replace {
                            at,
                            layer: Layer::Dropout { percent: 50 },
                        }),
                    ));
                }
                (shape, 0, shape.elements() as u64)
            }
            Layer::BatchNorm => {
                let features = match shape {
                    Shape::Image { channels, .. } => channels,
                    Shape::Flat(units) => units,
                };
                (shape, 2 * features, 4 * shape.elements() as u64)
            }
            Layer::LayerNorm => (shape, 2 * shape.elements(), 5 * shape.elements() as u64),
            Layer::Activation(act) => (shape, 0, act.flops() * shape.elements() as u64),
            Layer::Add { from } | Layer::Concat { from } => {
                if *from > at {
                    let fix = Fix::Replace {
                        at,
                        layer: match layer {
                            Layer::Add { .. } => Layer::Add {
                                from: at.saturating_sub(1),
                            },
                            _ => Layer::Concat {
                                from: at.saturating_sub(1),
                            },
                        },
                    };
                    return Err(GraphError::at(
                        at,
                        format!(
                            "{kind} (layer {number}) can only take the output of an earlier layer (input to layer {at})."
                        ),
                        Some(fix),
                    ));
                }
                let other = taps[*from];
                let source = if *from == 0 {
                    "the input".to_owned()
                } else {
                    format!("layer {from}")
                };
                if matches!(layer, Layer::Add { .. }) {
                    if other != shape {
                        return Err(GraphError::at(
                            at,
                            format!(
                                "Add (layer {number}) joins tensors of the same shape, but {source} gives {other} and layer {at} gives {shape}: take another layer's output, or make the shapes agree (a 1×1 Conv2d changes channels)."
                            ),
                            matching_tap(&taps, at, shape).map(|from| Fix::Replace {
                                at,
                                layer: Layer::Add { from },
                            }),
                        ));
                    }
                    (shape, 0, shape.elements() as u64)
                } else {
                    let joined = match (shape, other) {
                        (Shape::Flat(a), Shape::Flat(b)) => Some(Shape::Flat(a + b)),
                        (
                            Shape::Image {
                                channels: a,
                                height,
                                width,
                            },
                            Shape::Image {
                                channels: b,
                                height: h2,
                                width: w2,
                            },
                        ) if height == h2 && width == w2 => Some(Shape::Image {
                            channels: a + b,
                            height,
                            width,
                        }),
                        _ => None,
                    };
                    let Some(joined) = joined else {
                        return Err(GraphError::at(
                            at,
                            format!(
                                "Concat (layer {number}) joins images of the same height and width, or two flat vectors, but {source} gives {other} and layer {at} gives {shape}: take another layer's output."
                            ),
                            None,
                        ));
                    };
                    (joined, 0, 0)
                }
            }
            Layer::Softmax => {
                if Some(at) != last {
                    return Err(GraphError::at(
                        at,
                        format!(
                            "Softmax (layer {number}) gives the class probabilities, so it must be the last layer: remove it here."
                        ),
                        Some(Fix::Remove { at }),
                    ));
                }
                let Head::Classification { classes } = network.head else {
                    return Err(GraphError::at(
                        at,
                        format!(
                            "Softmax (layer {number}) turns scores into class probabilities, but this network predicts a number: remove it."
                        ),
                        Some(Fix::Remove { at }),
                    ));
                };
                match shape {
                    Shape::Flat(_) if !with_head => {}
                    Shape::Flat(units) if units == classes => {}
                    Shape::Flat(units) => {
                        let previous = at
                            .checked_sub(1)
                            .and_then(|p| network.layers.get(p).map(|l| (p, l)));
                        let fix = match previous {
                            Some((p, Layer::Dense { .. })) => Fix::Replace {
                                at: p,
                                layer: Layer::Dense { units: classes },
                            },
                            _ => Fix::Insert {
                                at,
                                layer: Layer::Dense { units: classes },
                            },
                        };
                        return Err(GraphError::at(
                            at,
                            format!(
                                "Softmax needs one input per class ({classes}), but it gets {units}: end with Dense {classes}."
                            ),
                            Some(fix),
                        ));
                    }
                    Shape::Image { .. } => {
                        return Err(GraphError::at(
                            at,
                            format!(
                                "Softmax needs a flat vector of {classes} class scores, but it gets an image of {shape}: insert Flatten and Dense {classes} before it."
                            ),
                            Some(Fix::Insert {
                                at,
                                layer: Layer::Flatten,
                            }),
                        ));
                    }
                }
                (shape, 0, 3 * shape.elements() as u64)
            }
        };
        if params > 50_000_000 {
            return Err(GraphError::at(
                at,
                format!(
                    "{kind} (layer {number}) would have {params} parameters; at most 50 million fit in a browser tab: shrink it."
                ),
                None,
            ));
        }
        infos.push(LayerInfo {
            output,
            params,
            flops,
            activation_bytes: 4 * output.elements() as u64,
        });
        taps.push(output);
    }
    if with_head {
        check_head(network, &taps)?;
    }
    let total_params = infos.iter().map(|info| info.params).sum();
    let total_flops = infos.iter().map(|info| info.flops).sum();
    let activation_bytes =
        4 * input.elements() as u64 + infos.iter().map(|info| info.activation_bytes).sum::<u64>();
    Ok(GraphReport {
        input,
        layers: infos,
        total_params,
        total_flops,
        activation_bytes,
    })
}

/// The end of the network must fit its head: `Softmax` after `Dense classes`, or one number.
fn check_head(network: &Network, taps: &[Shape]) -> Result<(), GraphError> {
    let count = network.layers.len();
    let last = network.layers.last();
    match network.head {
        Head::Classification { classes } => {
            if last != Some(&Layer::Softmax) {
                return Err(GraphError::at(
                    count.saturating_sub(1),
                    format!(
                        "A classifier ends with Dense {classes} then Softmax, which turns scores into class probabilities: append Softmax."
                    ),
                    Some(Fix::Insert {
                        at: count,
                        layer: Layer::Softmax,
                    }),
                ));
            }
        }
        Head::Regression => {
            let output = taps.last().copied().unwrap_or(Shape::Flat(0));
            if output != Shape::Flat(1) {
                let fix = match (last, output) {
                    (Some(Layer::Dense { .. }), _) => Fix::Replace {
                        at: count - 1,
                        layer: Layer::Dense { units: 1 },
                    },
                    (_, Shape::Image { .. }) => Fix::Insert {
                        at: count,
                        layer: Layer::Flatten,
                    },
                    _ => Fix::Insert {
                        at: count,
                        layer: Layer::Dense { units: 1 },
                    },
                };
                return Err(GraphError::at(
                    count.saturating_sub(1),
                    format!(
                        "A regression network ends with one number, but this one gives {output}: end with Dense 1."
                    ),
                    Some(fix),
                ));
            }
        }
    }
    Ok(())
}

/// The latest earlier tap with `shape` (not the immediate input), for Add's fix.
fn matching_tap(taps: &[Shape], at: usize, shape: Shape) -> Option<usize> {
    (0..at).rev().find(|&tap| taps[tap] == shape)
}
