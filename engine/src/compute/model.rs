//! The Burn model of a [`Network`]: one typed block per layer, built from the layer's settings
//! (its serialisable config, as Burn's `LinearConfig::init`) and its numbers, each with its
//! own `forward`. The graph itself (which layer reads which tap) is walked by
//! [`Model::forward`].

use burn::module::{Module, Param, ParamId};
use burn::tensor::activation::softmax;
use burn::tensor::module::{avg_pool2d, conv2d, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor};

use super::activation::{activate, dropout};
use super::norm::{NormBlock, Running};
use super::tensors::{param, tensor};
use super::value::Value;
use crate::net::{GraphReport, Layer, Network};
use crate::params::{LayerParams, param_shapes};

/// 2-D convolution: kernel `[filters, channels, k, k]` and a bias per filter.
#[derive(Module, Debug)]
pub struct Conv2dBlock {
    pub weight: Param<Tensor<4>>,
    pub bias: Param<Tensor<1>>,
    #[module(skip)]
    pub stride: usize,
    #[module(skip)]
    pub padding: usize,
    #[module(skip)]
    pub dilation: usize,
}

impl Conv2dBlock {
    /// # Shapes
    ///   - input `[batch, channels, height, width]`
    ///   - returns `[batch, filters, height', width']`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        conv2d(
            x,
            self.weight.val(),
            Some(self.bias.val()),
            ConvOptions::new([self.stride; 2], [self.padding; 2], [self.dilation; 2], 1),
        )
    }
}

/// A fully connected layer: weight `[inputs, units]` and a bias per unit.
#[derive(Module, Debug)]
pub struct DenseBlock {
    pub weight: Param<Tensor<2>>,
    pub bias: Param<Tensor<1>>,
}

impl DenseBlock {
    /// # Shapes
    ///   - input `[batch, inputs]`
    ///   - returns `[batch, units]`
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        x.matmul(self.weight.val()) + self.bias.val().unsqueeze()
    }
}

/// One layer of the model: a typed block with parameters, or a layer without any.
#[derive(Module, Debug)]
pub enum Block {
    Conv2d(Conv2dBlock),
    Dense(DenseBlock),
    BatchNorm(NormBlock),
    LayerNorm(NormBlock),
    /// Pooling, Flatten, Dropout, activations, skips, Softmax: their settings, no numbers.
    Plain(PlainBlock),
}

/// A layer without parameters.
#[derive(Module, Debug)]
pub struct PlainBlock {
    #[module(skip)]
    pub layer: Layer,
}

/// Training (batch statistics, dropout on) or evaluation (running statistics, dropout off).
pub enum Mode<'a> {
    Train,
    Eval(&'a [Option<Running>]),
}

/// What a forward pass produced.
pub struct Forward {
    /// Tap 0 is the input; tap `i + 1` is layer `i`'s output.
    pub taps: Vec<Value>,
    /// Per layer, in training mode: the batch mean and unbiased variance of each BatchNorm.
    pub batch_stats: Vec<Option<Running>>,
}

impl Forward {
    /// Tap `tap` as `[batch, values]` (the last tap if out of range).
    pub fn flat(&self, tap: usize) -> Tensor<2> {
        let at = tap.min(self.taps.len().saturating_sub(1));
        self.taps[at].clone().flat()
    }
}

/// The trainable part of a network: one [`Block`] per layer.
#[derive(Module, Debug)]
pub struct Model {
    pub blocks: Vec<Block>,
}

impl Model {
    /// Builds the model with `params` (from [`initial_params`](crate::params::initial_params),
    /// a fixture or an earlier run) and returns it with the batch norms' running statistics.
    ///
    /// # Errors
    /// `params` do not fit the network: which layer, and how.
    pub fn new(
        network: &Network,
        report: &GraphReport,
        params: &[LayerParams],
        device: &Device,
    ) -> Result<(Model, Vec<Option<Running>>), String> {
        let expected = param_shapes(network, report);
        if params.len() != network.layers.len() {
            return Err(format!(
                "{} layers of numbers for {} layers",
                params.len(),
                network.layers.len()
            ));
        }
        let mut blocks = Vec::with_capacity(params.len());
        let mut running = Vec::with_capacity(params.len());
        for (at, (layer, numbers)) in network.layers.iter().zip(params).enumerate() {
            let shapes: Vec<&Vec<usize>> = numbers.iter().map(|host| &host.shape).collect();
            let wanted: Vec<&Vec<usize>> = expected[at].iter().collect();
            if shapes != wanted {
                return Err(format!(
                    "layer {} ({}) expects shapes {:?}, got {:?}",
                    at + 1,
                    layer.kind(),
                    wanted,
                    shapes
                ));
            }
            let mut stats = None;
            let block = match layer {
                Layer::Conv2d {
                    stride,
                    padding,
                    dilation,
                    ..
                } => Block::Conv2d(Conv2dBlock {
                    weight: param(&numbers[0], device)?,
                    bias: param(&numbers[1], device)?,
                    stride: *stride,
                    padding: *padding,
                    dilation: *dilation,
                }),
                Layer::Dense { .. } => Block::Dense(DenseBlock {
                    weight: param(&numbers[0], device)?,
                    bias: param(&numbers[1], device)?,
                }),
                Layer::BatchNorm => {
                    let plain = device.clone().inner();
                    stats = Some(Running {
                        mean: tensor(&numbers[2], &plain)?,
                        var: tensor(&numbers[3], &plain)?,
                    });
                    Block::BatchNorm(NormBlock {
                        gamma: param(&numbers[0], device)?,
                        beta: param(&numbers[1], device)?,
                    })
                }
                Layer::LayerNorm => Block::LayerNorm(NormBlock {
                    gamma: param(&numbers[0], device)?,
                    beta: param(&numbers[1], device)?,
                }),
                other => Block::Plain(PlainBlock {
                    layer: other.clone(),
                }),
            };
            blocks.push(block);
            running.push(stats);
        }
        Ok((Model { blocks }, running))
    }

    /// Runs the graph on `input`.
    pub fn forward(&self, input: Value, mode: &Mode<'_>) -> Forward {
        self.forward_from(vec![input], mode)
    }

    /// Runs only the first `count` layers on `input`.
    pub fn forward_prefix(&self, input: Value, count: usize, mode: &Mode<'_>) -> Forward {
        self.run(vec![input], count, mode)
    }

    /// Continues a forward pass whose first `taps.len() - 1` layers have run (`taps` holds the
    /// input and their outputs): runs the rest. Saliency uses it to restart from a layer's
    /// output made a gradient leaf.
    pub fn forward_from(&self, taps: Vec<Value>, mode: &Mode<'_>) -> Forward {
        self.run(taps, self.blocks.len(), mode)
    }

    fn run(&self, mut taps: Vec<Value>, end: usize, mode: &Mode<'_>) -> Forward {
        let done = taps.len().saturating_sub(1);
        let end = end.min(self.blocks.len());
        let mut batch_stats: Vec<Option<Running>> = Vec::with_capacity(end);
        batch_stats.resize_with(done.min(end), || None);
        for at in done..end {
            let x = taps[at].clone();
            let mut stats = None;
            let y = match &self.blocks[at] {
                Block::Conv2d(conv) => Value::Image(conv.forward(x.image())),
                Block::Dense(dense) => Value::Flat(dense.forward(x.flat())),
                Block::BatchNorm(norm) => match mode {
                    Mode::Train => {
                        let (y, batch) = norm.batch_train(x);
                        stats = Some(batch);
                        y
                    }
                    Mode::Eval(running) => match running.get(at).and_then(Option::as_ref) {
                        Some(running) => norm.batch_eval(x, running),
                        None => norm.batch_train(x).0,
                    },
                },
                Block::LayerNorm(norm) => norm.layer(x),
                Block::Plain(plain) => plain.forward(x, &taps, mode),
            };
            taps.push(y);
            batch_stats.push(stats);
        }
        Forward { taps, batch_stats }
    }

    /// Every parameter's id and rank, in layer order (for global gradient clipping).
    pub(crate) fn param_ids(&self) -> Vec<(ParamId, usize)> {
        let mut ids = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Conv2d(conv) => {
                    ids.push((conv.weight.id, 4));
                    ids.push((conv.bias.id, 1));
                }
                Block::Dense(dense) => {
                    ids.push((dense.weight.id, 2));
                    ids.push((dense.bias.id, 1));
                }
                Block::BatchNorm(norm) | Block::LayerNorm(norm) => {
                    ids.push((norm.gamma.id, 1));
                    ids.push((norm.beta.id, 1));
                }
                Block::Plain(_) => {}
            }
        }
        ids
    }
}

impl PlainBlock {
    fn forward(&self, x: Value, taps: &[Value], mode: &Mode<'_>) -> Value {
        match &self.layer {
            Layer::MaxPool { size, stride } => {
                let mut options = MaxPoolOptions::new([*size; 2]);
                options.stride = [*stride; 2];
                Value::Image(max_pool2d(x.image(), options))
            }
            Layer::AvgPool { size, stride } => {
                let mut options = AvgPoolOptions::new([*size; 2]);
                options.stride = [*stride; 2];
                Value::Image(avg_pool2d(x.image(), options))
            }
            Layer::GlobalAvgPool => Value::Flat(x.image().mean_dim(3).mean_dim(2).flatten(1, 3)),
            Layer::Flatten => Value::Flat(x.flat()),
            Layer::Dropout { percent } => match mode {
                Mode::Train if *percent > 0 && *percent < 100 => {
                    let keep = 1.0 - f64::from(*percent) / 100.0;
                    x.map(|t| dropout(t, keep), |t| dropout(t, keep))
                }
                _ => x,
            },
            Layer::Activation(act) => {
                let act = *act;
                x.map(|t| activate(t, act), |t| activate(t, act))
            }
            Layer::Add { from } => match (x.clone(), taps.get(*from).cloned().unwrap_or(x)) {
                (Value::Image(a), Value::Image(b)) => Value::Image(a + b),
                (a, b) => Value::Flat(a.flat() + b.flat()),
            },
            Layer::Concat { from } => match (x.clone(), taps.get(*from).cloned().unwrap_or(x)) {
                (Value::Image(a), Value::Image(b)) => Value::Image(Tensor::cat(vec![a, b], 1)),
                (a, b) => Value::Flat(Tensor::cat(vec![a.flat(), b.flat()], 1)),
            },
            Layer::Softmax => Value::Flat(softmax(x.flat(), 1)),
            // Layers with parameters are never plain blocks.
            Layer::Conv2d { .. } | Layer::Dense { .. } | Layer::BatchNorm | Layer::LayerNorm => x,
        }
    }
}
