//! The Burn model of an [`ImageNetwork`] and its trainer.
//!
//! Parameters live in one [`Node`] per layer (empty for layers without any); the graph itself
//! (which layer reads which tap) is the plain [`Layer`] list, walked by [`ConvNet::forward`].
//! Convolution, pooling and linear layers use Burn's ops; batch and layer norm are written here
//! so their running statistics follow PyTorch exactly (unbiased variance, momentum 0.1).

use burn::module::{Module, Param, ParamId};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{
    AdamConfig, AdamWConfig, GradientsParams, ModuleOptimizer, RmsPropConfig, SgdConfig,
};
use burn::tensor::activation::{leaky_relu, log_softmax, relu, sigmoid, softmax, tanh};
use burn::tensor::module::{avg_pool2d, conv2d, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData, Transaction};
use serde::{Deserialize, Serialize};

use crate::data::Rng;
use crate::images::ImageSet;
use crate::photos::Augment;
pub use crate::recipe::EpochMetrics;
use crate::recipe::{Optimizer, Recipe};
use crate::vision::{GraphError, GraphReport, ImageNetwork, Layer, Shape, infer_graph};

/// PyTorch's `BatchNorm` defaults.
pub const BATCH_NORM_MOMENTUM: f64 = 0.1;
pub const NORM_EPSILON: f64 = 1e-5;
/// PyTorch's `LeakyReLU` default slope.
pub const LEAKY_SLOPE: f64 = 0.01;

pub use crate::inspect::{HostTensor, Saliency, SaliencyMethod, grad_cam_tap};

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

/// The numbers a network starts from: PyTorch's default initialisation (uniform in
/// `±1/√fan_in` for weights and biases, norms at scale 1 and shift 0) from our seeded generator,
/// so the same seed starts the same network on every backend.
///
/// # Errors
/// The network is invalid.
pub fn initial_params(network: &ImageNetwork, seed: u64) -> Result<Vec<LayerParams>, GraphError> {
    let report = infer_graph(network)?;
    let mut rng = Rng::new(seed ^ 0xC0_4E7);
    Ok(network
        .layers
        .iter()
        .zip(param_shapes(network, &report))
        .map(|(layer, shapes)| match layer {
            Layer::Conv2d { .. } | Layer::Dense { .. } => {
                // Conv2d `[filters, channels, k, k]` and Dense `[inputs, units]`.
                let weight = &shapes[0];
                let fan_in: usize = match layer {
                    Layer::Conv2d { .. } => weight[1..].iter().product(),
                    _ => weight[0],
                };
                #[allow(clippy::cast_precision_loss)]
                let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
                shapes
                    .into_iter()
                    .map(|shape| HostTensor::uniform(shape, bound, &mut rng))
                    .collect()
            }
            // Scale 1 and shift 0; BatchNorm's running mean 0 and variance 1.
            _ => shapes
                .into_iter()
                .zip([1.0, 0.0, 0.0, 1.0])
                .map(|(shape, value)| HostTensor::filled(shape, value))
                .collect(),
        })
        .collect())
}

fn norm_features(shape: Shape) -> usize {
    match shape {
        Shape::Image { channels, .. } => channels,
        Shape::Flat(units) => units,
    }
}

/// One layer's trainable parameters.
#[derive(Module, Debug)]
pub struct Node {
    /// Conv2d kernel `[filters, channels, k, k]`.
    pub kernel: Option<Param<Tensor<4>>>,
    /// Dense weight `[inputs, units]`.
    pub matrix: Option<Param<Tensor<2>>>,
    /// Conv2d or Dense bias.
    pub bias: Option<Param<Tensor<1>>>,
    /// Norm scale.
    pub gamma: Option<Param<Tensor<1>>>,
    /// Norm shift.
    pub beta: Option<Param<Tensor<1>>>,
}

/// The trainable part of an image network: one [`Node`] per layer.
#[derive(Module, Debug)]
pub struct ConvNet {
    pub nodes: Vec<Node>,
}

/// A batch-norm layer's running statistics (not trained by gradients).
#[derive(Clone, Debug)]
pub struct Running {
    pub mean: Tensor<1>,
    pub var: Tensor<1>,
}

/// A tensor flowing through the graph.
#[derive(Clone, Debug)]
pub enum Value {
    Image(Tensor<4>),
    Flat(Tensor<2>),
}

impl Value {
    /// The tensor as `[batch, values]`.
    pub fn flat(self) -> Tensor<2> {
        match self {
            Value::Image(tensor) => tensor.flatten(1, 3),
            Value::Flat(tensor) => tensor,
        }
    }
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
    /// The class scores before Softmax (the tap feeding the last layer).
    pub fn logits(&self) -> Tensor<2> {
        self.taps[self.taps.len().saturating_sub(2)].clone().flat()
    }
}

fn tensor<const D: usize>(host: &HostTensor, device: &Device) -> Result<Tensor<D>, String> {
    let count: usize = host.shape.iter().product();
    if host.shape.len() != D || count != host.values.len() {
        return Err(format!(
            "expected a rank-{D} tensor, got shape {:?} with {} values",
            host.shape,
            host.values.len()
        ));
    }
    Ok(Tensor::from_data(
        TensorData::new(host.values.clone(), host.shape.clone()),
        device,
    ))
}

fn param<const D: usize>(host: &HostTensor, device: &Device) -> Result<Param<Tensor<D>>, String> {
    tensor(host, device).map(Param::from_tensor)
}

impl ConvNet {
    /// Builds the model with `params` (from [`initial_params`], a fixture or an earlier run) and
    /// returns it with the batch norms' running statistics.
    ///
    /// # Errors
    /// `params` do not fit the network: which layer, and how.
    pub fn from_params(
        network: &ImageNetwork,
        report: &GraphReport,
        params: &[LayerParams],
        device: &Device,
    ) -> Result<(ConvNet, Vec<Option<Running>>), String> {
        let expected = param_shapes(network, report);
        if params.len() != network.layers.len() {
            return Err(format!(
                "{} layers of numbers for {} layers",
                params.len(),
                network.layers.len()
            ));
        }
        let mut nodes = Vec::with_capacity(params.len());
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
            let mut node = Node {
                kernel: None,
                matrix: None,
                bias: None,
                gamma: None,
                beta: None,
            };
            let mut stats = None;
            match layer {
                Layer::Conv2d { .. } => {
                    node.kernel = Some(param(&numbers[0], device)?);
                    node.bias = Some(param(&numbers[1], device)?);
                }
                Layer::Dense { .. } => {
                    node.matrix = Some(param(&numbers[0], device)?);
                    node.bias = Some(param(&numbers[1], device)?);
                }
                Layer::BatchNorm => {
                    node.gamma = Some(param(&numbers[0], device)?);
                    node.beta = Some(param(&numbers[1], device)?);
                    let plain = device.clone().inner();
                    stats = Some(Running {
                        mean: tensor(&numbers[2], &plain)?,
                        var: tensor(&numbers[3], &plain)?,
                    });
                }
                Layer::LayerNorm => {
                    node.gamma = Some(param(&numbers[0], device)?);
                    node.beta = Some(param(&numbers[1], device)?);
                }
                _ => {}
            }
            nodes.push(node);
            running.push(stats);
        }
        Ok((ConvNet { nodes }, running))
    }

    /// Runs the graph on `input` `[batch, channels, height, width]`.
    ///
    /// The network must have passed [`infer_graph`]; the shapes then always fit.
    pub fn forward(&self, layers: &[Layer], input: Tensor<4>, mode: &Mode<'_>) -> Forward {
        self.forward_from(layers, vec![Value::Image(input)], mode)
    }

    /// Continues a forward pass whose first `taps.len() - 1` layers have run (`taps` holds the
    /// input and their outputs): runs the rest of `layers`. Saliency uses it to restart from a
    /// layer's output made a gradient leaf.
    pub fn forward_from(&self, layers: &[Layer], mut taps: Vec<Value>, mode: &Mode<'_>) -> Forward {
        let done = taps.len().saturating_sub(1);
        let mut batch_stats: Vec<Option<Running>> = Vec::with_capacity(layers.len());
        batch_stats.resize_with(done.min(layers.len()), || None);
        for (at, (layer, node)) in layers.iter().zip(&self.nodes).enumerate().skip(done) {
            let x = taps[at].clone();
            let mut stats = None;
            let y = match layer {
                Layer::Conv2d {
                    stride,
                    padding,
                    dilation,
                    ..
                } => {
                    let Value::Image(x) = x else {
                        unreachable!("shape inference puts Conv2d after an image")
                    };
                    Value::Image(conv2d(
                        x,
                        node.kernel
                            .as_ref()
                            .map(Param::val)
                            .expect("Conv2d has a kernel"),
                        node.bias.as_ref().map(Param::val),
                        ConvOptions::new([*stride; 2], [*padding; 2], [*dilation; 2], 1),
                    ))
                }
                Layer::MaxPool { size, stride } => {
                    let Value::Image(x) = x else {
                        unreachable!("shape inference puts pooling after an image")
                    };
                    let mut options = MaxPoolOptions::new([*size; 2]);
                    options.stride = [*stride; 2];
                    Value::Image(max_pool2d(x, options))
                }
                Layer::AvgPool { size, stride } => {
                    let Value::Image(x) = x else {
                        unreachable!("shape inference puts pooling after an image")
                    };
                    let mut options = AvgPoolOptions::new([*size; 2]);
                    options.stride = [*stride; 2];
                    Value::Image(avg_pool2d(x, options))
                }
                Layer::GlobalAvgPool => {
                    let Value::Image(x) = x else {
                        unreachable!("shape inference puts pooling after an image")
                    };
                    Value::Flat(x.mean_dim(3).mean_dim(2).flatten(1, 3))
                }
                Layer::Flatten => Value::Flat(x.flat()),
                Layer::Dense { .. } => {
                    let matrix = node
                        .matrix
                        .as_ref()
                        .map(Param::val)
                        .expect("Dense has weights");
                    let bias = node
                        .bias
                        .as_ref()
                        .map(Param::val)
                        .expect("Dense has a bias");
                    Value::Flat(x.flat().matmul(matrix) + bias.unsqueeze())
                }
                Layer::Dropout { percent } => match mode {
                    Mode::Train if *percent > 0 => {
                        let keep = 1.0 - f64::from(*percent) / 100.0;
                        match x {
                            Value::Image(x) => Value::Image(dropout(x, keep)),
                            Value::Flat(x) => Value::Flat(dropout(x, keep)),
                        }
                    }
                    _ => x,
                },
                Layer::BatchNorm => {
                    let gamma = node.gamma.as_ref().map(Param::val).expect("norm has gamma");
                    let beta = node.beta.as_ref().map(Param::val).expect("norm has beta");
                    match mode {
                        Mode::Train => {
                            let (y, batch) = batch_norm_train(x, gamma, beta);
                            stats = Some(batch);
                            y
                        }
                        Mode::Eval(running) => {
                            let running = running
                                .get(at)
                                .and_then(Option::as_ref)
                                .expect("every BatchNorm has running statistics");
                            batch_norm_eval(x, gamma, beta, running)
                        }
                    }
                }
                Layer::LayerNorm => {
                    let gamma = node.gamma.as_ref().map(Param::val).expect("norm has gamma");
                    let beta = node.beta.as_ref().map(Param::val).expect("norm has beta");
                    layer_norm(x, gamma, beta)
                }
                Layer::Activation(act) => {
                    let act = *act;
                    match x {
                        Value::Image(x) => Value::Image(activate(x, act)),
                        Value::Flat(x) => Value::Flat(activate(x, act)),
                    }
                }
                Layer::Add { from } => match (x, taps[*from].clone()) {
                    (Value::Image(a), Value::Image(b)) => Value::Image(a + b),
                    (Value::Flat(a), Value::Flat(b)) => Value::Flat(a + b),
                    _ => unreachable!("shape inference checks Add's shapes"),
                },
                Layer::Concat { from } => match (x, taps[*from].clone()) {
                    (Value::Image(a), Value::Image(b)) => Value::Image(Tensor::cat(vec![a, b], 1)),
                    (Value::Flat(a), Value::Flat(b)) => Value::Flat(Tensor::cat(vec![a, b], 1)),
                    _ => unreachable!("shape inference checks Concat's shapes"),
                },
                Layer::Softmax => Value::Flat(softmax(x.flat(), 1)),
            };
            taps.push(y);
            batch_stats.push(stats);
        }
        Forward { taps, batch_stats }
    }

    /// Every parameter's id and rank, in layer order (for global gradient clipping).
    fn param_ids(&self) -> Vec<(ParamId, usize)> {
        let mut ids = Vec::new();
        for node in &self.nodes {
            if let Some(kernel) = &node.kernel {
                ids.push((kernel.id, 4));
            }
            if let Some(matrix) = &node.matrix {
                ids.push((matrix.id, 2));
            }
            for vector in [&node.bias, &node.gamma, &node.beta].into_iter().flatten() {
                ids.push((vector.id, 1));
            }
        }
        ids
    }
}

/// The parameter shapes each layer expects, in [`LayerParams`] order.
fn param_shapes(network: &ImageNetwork, report: &GraphReport) -> Vec<Vec<Vec<usize>>> {
    network
        .layers
        .iter()
        .enumerate()
        .map(|(at, layer)| {
            let input = report.tap(at).unwrap_or(report.input);
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
                (Layer::BatchNorm, shape) => vec![vec![norm_features(shape)]; 4],
                (Layer::LayerNorm, shape) => vec![vec![shape.elements()]; 2],
                _ => Vec::new(),
            }
        })
        .collect()
}

fn activate<const D: usize>(x: Tensor<D>, act: crate::vision::Act) -> Tensor<D> {
    use crate::vision::Act;
    match act {
        Act::Relu => relu(x),
        Act::LeakyRelu => leaky_relu(x, LEAKY_SLOPE),
        // Composed from erf so the gradient is erf's exact derivative: Burn's fused GELU
        // backward on wgpu is off by ~1e-3 against PyTorch.
        Act::Gelu => {
            x.clone()
                * (x.div_scalar(std::f64::consts::SQRT_2).erf().add_scalar(1.0)).mul_scalar(0.5)
        }
        Act::Tanh => tanh(x),
        Act::Sigmoid => sigmoid(x),
    }
}

fn dropout<const D: usize>(x: Tensor<D>, keep: f64) -> Tensor<D> {
    let mask = Tensor::<D>::random(x.shape(), Distribution::Bernoulli(keep), &x.device());
    (x * mask).div_scalar(keep)
}

/// Mean and biased variance over every dimension but the channel (dim 1), shaped to broadcast.
fn channel_moments(x: &Value) -> (Value, Value) {
    match x {
        Value::Image(x) => {
            let mean = x.clone().mean_dim(0).mean_dim(2).mean_dim(3);
            let var = (x.clone() - mean.clone())
                .square()
                .mean_dim(0)
                .mean_dim(2)
                .mean_dim(3);
            (Value::Image(mean), Value::Image(var))
        }
        Value::Flat(x) => {
            let mean = x.clone().mean_dim(0);
            let var = (x.clone() - mean.clone()).square().mean_dim(0);
            (Value::Flat(mean), Value::Flat(var))
        }
    }
}

fn batch_norm_train(x: Value, gamma: Tensor<1>, beta: Tensor<1>) -> (Value, Running) {
    let (mean, var) = channel_moments(&x);
    let count = match &x {
        Value::Image(t) => {
            let [n, _, h, w] = t.dims();
            n * h * w
        }
        Value::Flat(t) => t.dims()[0],
    };
    #[allow(clippy::cast_precision_loss)]
    let unbias = count as f64 / (count.max(2) - 1) as f64;
    let stats = Running {
        mean: mean.clone().flat().flatten(0, 1).detach(),
        var: var.clone().flat().flatten(0, 1).detach().mul_scalar(unbias),
    };
    let y = normalize(x, mean, var, gamma, beta);
    (y, stats)
}

fn batch_norm_eval(x: Value, gamma: Tensor<1>, beta: Tensor<1>, running: &Running) -> Value {
    let device = gamma.device();
    let mean = running.mean.clone().to_device(&device);
    let var = running.var.clone().to_device(&device);
    let (mean, var) = match &x {
        Value::Image(_) => (
            Value::Image(mean.reshape([1, -1, 1, 1])),
            Value::Image(var.reshape([1, -1, 1, 1])),
        ),
        Value::Flat(_) => (Value::Flat(mean.unsqueeze()), Value::Flat(var.unsqueeze())),
    };
    normalize(x, mean, var, gamma, beta)
}

fn normalize(x: Value, mean: Value, var: Value, gamma: Tensor<1>, beta: Tensor<1>) -> Value {
    match (x, mean, var) {
        (Value::Image(x), Value::Image(mean), Value::Image(var)) => {
            let scale = gamma.reshape([1, -1, 1, 1]);
            let shift = beta.reshape([1, -1, 1, 1]);
            Value::Image((x - mean) / var.add_scalar(NORM_EPSILON).sqrt() * scale + shift)
        }
        (Value::Flat(x), Value::Flat(mean), Value::Flat(var)) => Value::Flat(
            (x - mean) / var.add_scalar(NORM_EPSILON).sqrt() * gamma.unsqueeze() + beta.unsqueeze(),
        ),
        _ => unreachable!("moments have the input's kind"),
    }
}

/// Normalises each sample over all its values (PyTorch `LayerNorm(shape of one sample)`).
fn layer_norm(x: Value, gamma: Tensor<1>, beta: Tensor<1>) -> Value {
    let (image_dims, flat) = match x {
        Value::Image(t) => (Some(t.dims()), t.flatten(1, 3)),
        Value::Flat(t) => (None, t),
    };
    let mean = flat.clone().mean_dim(1);
    let centred = flat - mean;
    let var = centred.clone().square().mean_dim(1);
    let y = centred / var.add_scalar(NORM_EPSILON).sqrt() * gamma.unsqueeze() + beta.unsqueeze();
    match image_dims {
        Some(dims) => Value::Image(y.reshape(dims)),
        None => Value::Flat(y),
    }
}

/// Mean cross-entropy of `softmax(logits)` against one-hot `targets`.
///
/// # Shapes
///   - logits, targets `[batch, classes]`
///   - returns `[1]`
pub fn cross_entropy(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let [batch, _] = logits.dims();
    #[allow(clippy::cast_precision_loss)]
    let scale = -1.0 / batch.max(1) as f64;
    (log_softmax(logits, 1) * targets).sum().mul_scalar(scale)
}

/// Builds the optimizer a recipe asks for (each configured as its PyTorch namesake).
pub fn optimizer_for(recipe: &Recipe) -> ModuleOptimizer {
    #[allow(clippy::cast_possible_truncation)] // Burn's optimizer settings are f32
    let decay =
        (recipe.weight_decay > 0.0).then(|| WeightDecayConfig::new(recipe.weight_decay as f32));
    match recipe.optimizer {
        Optimizer::Sgd => SgdConfig::new()
            .with_weight_decay(decay)
            .with_momentum((recipe.momentum > 0.0).then_some(MomentumConfig {
                momentum: recipe.momentum,
                dampening: 0.0,
                nesterov: recipe.nesterov,
            }))
            .init(),
        Optimizer::Adam => AdamConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(decay)
            .init(),
        #[allow(clippy::cast_possible_truncation)]
        Optimizer::AdamW => AdamWConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(recipe.weight_decay as f32)
            .init(),
        #[allow(clippy::cast_possible_truncation)]
        Optimizer::RmsProp => RmsPropConfig::new()
            .with_alpha(0.99)
            .with_epsilon(1e-8)
            .with_momentum(recipe.momentum as f32)
            .with_weight_decay(decay)
            .init(),
    }
}

/// Scales all gradients together so their global L2 norm is at most `max_norm`
/// (`torch.nn.utils.clip_grad_norm_`). Stays on the device: no read.
pub fn clip_global_norm(grads: &mut GradientsParams, model: &ConvNet, max_norm: f64) {
    let ids = model.param_ids();
    let mut total: Option<Tensor<1>> = None;
    for &(id, rank) in &ids {
        let squared = match rank {
            4 => grads.get::<4>(id).map(|g| g.square().sum()),
            2 => grads.get::<2>(id).map(|g| g.square().sum()),
            _ => grads.get::<1>(id).map(|g| g.square().sum()),
        };
        if let Some(squared) = squared {
            total = Some(match total {
                Some(sum) => sum + squared,
                None => squared,
            });
        }
    }
    let Some(total) = total else { return };
    let coefficient = total
        .sqrt()
        .add_scalar(1e-6)
        .recip()
        .mul_scalar(max_norm)
        .clamp_max(1.0);
    for (id, rank) in ids {
        match rank {
            4 => {
                if let Some(g) = grads.remove::<4>(id) {
                    grads.register(id, g * coefficient.clone().reshape([1, 1, 1, 1]));
                }
            }
            2 => {
                if let Some(g) = grads.remove::<2>(id) {
                    grads.register(id, g * coefficient.clone().reshape([1, 1]));
                }
            }
            _ => {
                if let Some(g) = grads.remove::<1>(id) {
                    grads.register(id, g * coefficient.clone());
                }
            }
        }
    }
}

/// Images as `[count, channels, height, width]` floats in `[0, 1]`.
pub fn images_tensor(set: &ImageSet, device: &Device) -> Tensor<4> {
    let size = set.size;
    let (c, h, w) = (size.channels, size.height, size.width);
    let mut values = vec![0.0_f32; set.len() * c * h * w];
    for index in 0..set.len() {
        let image = set.image(index);
        let base = index * c * h * w;
        for y in 0..h {
            for x in 0..w {
                for channel in 0..c {
                    values[base + channel * h * w + y * w + x] =
                        f32::from(image[(y * w + x) * c + channel]) / 255.0;
                }
            }
        }
    }
    Tensor::from_data(TensorData::new(values, [set.len(), c, h, w]), device)
}

/// One-hot labels `[count, classes]`.
pub fn one_hot(labels: &[u8], classes: usize, device: &Device) -> Tensor<2> {
    let mut values = vec![0.0_f32; labels.len() * classes];
    for (row, &label) in labels.iter().enumerate() {
        if usize::from(label) < classes {
            values[row * classes + usize::from(label)] = 1.0;
        }
    }
    Tensor::from_data(TensorData::new(values, [labels.len(), classes]), device)
}

fn labels_tensor(labels: &[u8], device: &Device) -> Tensor<1, Int> {
    let values: Vec<i64> = labels.iter().map(|&label| i64::from(label)).collect();
    Tensor::from_data(TensorData::new(values, [labels.len()]), device)
}

/// What [`ImageTrainer::evaluate`] returns: per image, the class scores and the penultimate
/// layer's outputs (for confusion, calibration and the embedding view).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub classes: usize,
    /// `[images × classes]`, row-major.
    pub logits: Vec<f32>,
    pub feature_size: usize,
    /// `[images × feature_size]`, row-major.
    pub features: Vec<f32>,
}

/// Why an image network could not be trained.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ImageTrainError {
    #[error("{0}")]
    Graph(#[from] GraphError),
    #[error("There are no training images: add some, or raise the training share.")]
    NoTrainingImages,
    #[error(
        "The network expects {expected} images but the dataset has {actual}: set the input to the dataset's size."
    )]
    SizeMismatch { expected: String, actual: String },
    #[error("The network has {network} outputs but the dataset has {dataset} classes.")]
    ClassMismatch { network: usize, dataset: usize },
    #[error("The saved numbers do not fit this network ({0}): reset the network.")]
    Params(String),
    #[error("Reading results from the device failed: {0}")]
    Readback(String),
}

/// Images in chunks this large when evaluating, to bound memory.
const EVAL_CHUNK: usize = 500;
/// Training images above this many bytes as floats stay on the host as bytes and go to the
/// device a batch at a time (10,000 64×64 colour photos are 491 MB as floats, 123 MB as bytes).
pub const HOST_BATCHES_ABOVE_BYTES: usize = 256 << 20;

/// Where the training images wait between batches.
enum TrainImages {
    /// All of them as floats on the training device `[count, channels, height, width]`.
    Device(Box<Tensor<4>>),
    /// As bytes on the host, augmented and uploaded one batch at a time.
    Host(HostBatches),
}

struct HostBatches {
    set: ImageSet,
    augment: Augment,
    rng: Rng,
}

impl HostBatches {
    fn batch(&mut self, indices: &[usize], device: &Device) -> Tensor<4> {
        let mut batch = self.set.subset(indices);
        if self.augment.any() {
            let size = batch.size;
            let per = size.channels * size.height * size.width;
            for index in 0..batch.len() {
                let image = &mut batch.pixels[index * per..(index + 1) * per];
                let changed = self.augment.apply(image, size, &mut self.rng);
                image.copy_from_slice(&changed);
            }
        }
        images_tensor(&batch, device)
    }
}

/// Trains an image network on one device, a batch at a time.
pub struct ImageTrainer {
    device: Device,
    train_device: Device,
    network: ImageNetwork,
    model: ConvNet,
    running: Vec<Option<Running>>,
    optimizer: ModuleOptimizer,
    recipe: Recipe,
    train_images: TrainImages,
    train_targets: Tensor<2>,
    train_labels: Tensor<1, Int>,
    train_count: usize,
    val_inputs: Tensor<4>,
    val_targets: Tensor<2>,
    val_labels: Tensor<1, Int>,
    val_count: usize,
    rng: Rng,
    epoch: usize,
    /// This epoch's order of training images and how far it has got.
    order: Option<Tensor<1, Int>>,
    order_host: Vec<usize>,
    position: usize,
    /// Sum of batch losses × batch size, and of correct predictions, this epoch (on device).
    loss_sum: Option<Tensor<1>>,
    correct_sum: Option<Tensor<1>>,
    last_rate: f64,
    /// The validation pass of the last epoch (its epoch number), for the inspection views.
    last_evaluation: Option<(usize, Evaluation)>,
}

impl ImageTrainer {
    /// Puts the data and the network on `device`.
    ///
    /// # Errors
    /// An invalid network, one that does not fit the data, or `params` that do not fit it.
    pub fn new(
        device: &Device,
        network: &ImageNetwork,
        train: &ImageSet,
        val: &ImageSet,
        recipe: Recipe,
        params: Option<&[LayerParams]>,
        seed: u64,
    ) -> Result<ImageTrainer, ImageTrainError> {
        ImageTrainer::with_augment(
            device,
            network,
            train,
            val,
            recipe,
            params,
            seed,
            Augment::NONE,
        )
    }

    /// Like [`new`](Self::new), with training images changed at random by `augment` each
    /// time they are drawn. With augmentation, or when the training images would take more
    /// than [`HOST_BATCHES_ABOVE_BYTES`] as floats, they stay on the host as bytes and each
    /// batch is uploaded when it is used.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    #[allow(clippy::too_many_arguments)]
    pub fn with_augment(
        device: &Device,
        network: &ImageNetwork,
        train: &ImageSet,
        val: &ImageSet,
        recipe: Recipe,
        params: Option<&[LayerParams]>,
        seed: u64,
        augment: Augment,
    ) -> Result<ImageTrainer, ImageTrainError> {
        let report = infer_graph(network)?;
        if train.is_empty() {
            return Err(ImageTrainError::NoTrainingImages);
        }
        if train.size != network.input {
            let describe = |size: crate::vision::ImageSize| {
                format!("{}×{}×{}", size.channels, size.height, size.width)
            };
            return Err(ImageTrainError::SizeMismatch {
                expected: describe(network.input),
                actual: describe(train.size),
            });
        }
        if train.classes() != network.classes {
            return Err(ImageTrainError::ClassMismatch {
                network: network.classes,
                dataset: train.classes(),
            });
        }
        let initial;
        let params = match params {
            Some(params) => params,
            None => {
                initial = initial_params(network, seed)?;
                &initial
            }
        };
        device.seed(seed);
        let train_device = device.clone().autodiff();
        let (model, running) = ConvNet::from_params(network, &report, params, &train_device)
            .map_err(ImageTrainError::Params)?;
        let classes = network.classes;
        let float_bytes = train.pixels.len() * 4;
        let train_images = if augment.any() || float_bytes > HOST_BATCHES_ABOVE_BYTES {
            TrainImages::Host(HostBatches {
                set: train.clone(),
                augment,
                rng: Rng::new(seed ^ 0xA06_3E47),
            })
        } else {
            TrainImages::Device(Box::new(images_tensor(train, &train_device)))
        };
        Ok(ImageTrainer {
            device: device.clone(),
            train_images,
            train_targets: one_hot(&train.labels, classes, &train_device),
            train_labels: labels_tensor(&train.labels, device),
            train_count: train.len(),
            val_inputs: images_tensor(val, device),
            val_targets: one_hot(&val.labels, classes, device),
            val_labels: labels_tensor(&val.labels, device),
            val_count: val.len(),
            train_device,
            network: network.clone(),
            model,
            running,
            optimizer: optimizer_for(&recipe),
            recipe,
            rng: Rng::new(seed ^ 0x0D1_6175),
            epoch: 0,
            order: None,
            order_host: Vec::new(),
            position: 0,
            loss_sum: None,
            correct_sum: None,
            last_rate: recipe.learning_rate,
            last_evaluation: None,
        })
    }

    pub fn epoch(&self) -> usize {
        self.epoch
    }

    pub fn recipe(&self) -> Recipe {
        self.recipe
    }

    pub fn network(&self) -> &ImageNetwork {
        &self.network
    }

    /// Changes the recipe; the weights stay. Another optimizer kind starts with fresh state.
    pub fn set_recipe(&mut self, recipe: Recipe) {
        if recipe.optimizer != self.recipe.optimizer
            || recipe.nesterov != self.recipe.nesterov
            || recipe.weight_decay != self.recipe.weight_decay
            || recipe.momentum != self.recipe.momentum
        {
            self.optimizer = optimizer_for(&recipe);
        }
        self.recipe = recipe;
    }

    /// Continues an earlier run's epoch count (after moving to another backend).
    pub fn resume_at(&mut self, epoch: usize) {
        self.epoch = epoch;
    }

    /// Mini-batches per epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.train_count
            .div_ceil(self.recipe.batch_size.clamp(1, self.train_count))
    }

    pub fn train_count(&self) -> usize {
        self.train_count
    }

    /// Runs up to `batches` mini-batch steps; returns true when this finished an epoch (then
    /// read [`epoch_metrics`](Self::epoch_metrics)). Reads nothing back.
    pub fn train_batches(&mut self, batches: usize) -> bool {
        let batch_size = self.recipe.batch_size.clamp(1, self.train_count);
        for _ in 0..batches {
            let order = match &self.order {
                Some(order) => order.clone(),
                None => {
                    let mut indices: Vec<i64> = (0..self.train_count)
                        .map(|i| i64::try_from(i).unwrap_or(0))
                        .collect();
                    if self.recipe.shuffle {
                        self.rng.shuffle(&mut indices);
                    }
                    self.order_host = indices
                        .iter()
                        .map(|&i| usize::try_from(i).unwrap_or(0))
                        .collect();
                    let order = Tensor::<1, Int>::from_data(
                        TensorData::new(indices, [self.train_count]),
                        &self.device,
                    );
                    self.order = Some(order.clone());
                    self.position = 0;
                    self.loss_sum = None;
                    self.correct_sum = None;
                    order
                }
            };
            let len = batch_size.min(self.train_count - self.position);
            let picked = order.narrow(0, self.position, len);
            #[allow(clippy::cast_precision_loss)]
            let fraction = self.position as f64 / self.train_count as f64;
            let rate = self.recipe.rate_at(self.epoch, fraction);
            let on_train_device = picked.clone().to_device(&self.train_device);
            let inputs = match &mut self.train_images {
                TrainImages::Device(all) => (**all).clone().select(0, on_train_device.clone()),
                TrainImages::Host(host) => host.batch(
                    &self.order_host[self.position..self.position + len],
                    &self.train_device,
                ),
            };
            let targets = self.train_targets.clone().select(0, on_train_device);
            let labels = self.train_labels.clone().select(0, picked);
            let (loss, logits) = self.step(inputs, targets, rate);
            #[allow(clippy::cast_precision_loss)]
            let weighted = loss.mul_scalar(len as f64);
            let correct = logits
                .argmax(1)
                .flatten::<1>(0, 1)
                .equal(labels)
                .float()
                .sum();
            self.loss_sum = Some(match self.loss_sum.take() {
                Some(sum) => sum + weighted,
                None => weighted,
            });
            self.correct_sum = Some(match self.correct_sum.take() {
                Some(sum) => sum + correct,
                None => correct,
            });
            self.last_rate = rate;
            self.position += len;
            if self.position >= self.train_count {
                self.order = None;
                self.epoch += 1;
                return true;
            }
        }
        false
    }

    /// One optimizer step on a batch at learning rate `rate`. Returns the loss and the logits
    /// (both detached, on the plain device). Public so tests can drive exact steps.
    pub fn step(
        &mut self,
        inputs: Tensor<4>,
        targets: Tensor<2>,
        rate: f64,
    ) -> (Tensor<1>, Tensor<2>) {
        let forward = self
            .model
            .forward(&self.network.layers, inputs, &Mode::Train);
        let logits = forward.logits();
        let loss = cross_entropy(logits.clone(), targets);
        for (slot, stats) in self.running.iter_mut().zip(forward.batch_stats) {
            if let (Some(running), Some(batch)) = (slot.as_mut(), stats) {
                let keep = 1.0 - BATCH_NORM_MOMENTUM;
                running.mean = running.mean.clone().mul_scalar(keep)
                    + batch.mean.inner().mul_scalar(BATCH_NORM_MOMENTUM);
                running.var = running.var.clone().mul_scalar(keep)
                    + batch.var.inner().mul_scalar(BATCH_NORM_MOMENTUM);
            }
        }
        let gradients = loss.backward();
        let mut gradients = GradientsParams::from_grads(gradients, &self.model);
        if let Some(max_norm) = self.recipe.clip_norm {
            clip_global_norm(&mut gradients, &self.model, max_norm);
        }
        let model = std::mem::replace(&mut self.model, ConvNet { nodes: Vec::new() });
        self.model = self.optimizer.step(rate, model, gradients);
        (loss.detach().inner(), logits.detach().inner())
    }

    /// Mini-batches done in the current epoch.
    pub fn batches_done(&self) -> usize {
        self.position
            .div_ceil(self.recipe.batch_size.clamp(1, self.train_count))
    }

    /// Waits until the queued steps have run on the device (one scalar read), so a caller
    /// can time them.
    ///
    /// # Errors
    /// The device failed to return the data.
    pub async fn sync(&self) -> Result<(), ImageTrainError> {
        let Some(sum) = &self.loss_sum else {
            return Ok(());
        };
        Transaction::default()
            .register(sum.clone())
            .execute_async()
            .await
            .map(|_| ())
            .map_err(|error| ImageTrainError::Readback(format!("{error:?}")))
    }

    /// The model for evaluation (plain device) and the running statistics.
    pub fn eval_model(&self) -> ConvNet {
        self.model.valid()
    }

    pub fn running(&self) -> &[Option<Running>] {
        &self.running
    }

    /// Loss and accuracy of the finished epoch, plus the validation set's, in one read.
    ///
    /// # Errors
    /// The device failed to return the data.
    pub async fn epoch_metrics(&mut self) -> Result<EpochMetrics, ImageTrainError> {
        let model = self.model.valid();
        let mut val_loss: Option<Tensor<1>> = None;
        let mut val_correct: Option<Tensor<1>> = None;
        // The same pass's logits and penultimate features, read in the same transaction, so
        // the inspection views cost no second pass over the validation set.
        let mut outputs: Vec<(Tensor<2>, Tensor<2>)> = Vec::new();
        let mut start = 0;
        while start < self.val_count {
            let len = EVAL_CHUNK.min(self.val_count - start);
            let forward = model.forward(
                &self.network.layers,
                self.val_inputs.clone().narrow(0, start, len),
                &Mode::Eval(&self.running),
            );
            let logits = forward.logits();
            let features = forward.taps[forward.taps.len().saturating_sub(3)]
                .clone()
                .flat();
            #[allow(clippy::cast_precision_loss)]
            let loss = cross_entropy(
                logits.clone(),
                self.val_targets.clone().narrow(0, start, len),
            )
            .mul_scalar(len as f64);
            let correct = logits
                .clone()
                .argmax(1)
                .flatten::<1>(0, 1)
                .equal(self.val_labels.clone().narrow(0, start, len))
                .float()
                .sum();
            val_loss = Some(val_loss.map_or(loss.clone(), |sum| sum + loss));
            val_correct = Some(val_correct.map_or(correct.clone(), |sum| sum + correct));
            outputs.push((logits, features));
            start += len;
        }
        let zero = || Tensor::<1>::zeros([1], &self.device);
        let feature_size = outputs.first().map_or(0, |(_, f)| f.dims()[1]);
        let mut transaction = Transaction::default()
            .register(self.loss_sum.clone().unwrap_or_else(zero))
            .register(self.correct_sum.clone().unwrap_or_else(zero))
            .register(val_loss.unwrap_or_else(zero))
            .register(val_correct.unwrap_or_else(zero));
        for (logits, features) in outputs {
            transaction = transaction.register(logits).register(features);
        }
        let mut data = transaction
            .execute_async()
            .await
            .map_err(|error| ImageTrainError::Readback(format!("{error:?}")))?
            .into_iter();
        let mut scalar = || {
            data.next()
                .and_then(|data| data.iter::<f32>().next())
                .unwrap_or(f32::NAN)
        };
        let values = [scalar(), scalar(), scalar(), scalar()];
        let mut evaluation = Evaluation {
            classes: self.network.classes,
            logits: Vec::with_capacity(self.val_count * self.network.classes),
            feature_size,
            features: Vec::with_capacity(self.val_count * feature_size),
        };
        for (index, data) in data.enumerate() {
            if index % 2 == 0 {
                evaluation.logits.extend(data.iter::<f32>());
            } else {
                evaluation.features.extend(data.iter::<f32>());
            }
        }
        self.last_evaluation = Some((self.epoch, evaluation));
        #[allow(clippy::cast_precision_loss)]
        let (train_n, val_n) = (self.train_count.max(1) as f32, self.val_count.max(1) as f32);
        Ok(EpochMetrics {
            epoch: self.epoch,
            train_loss: values[0] / train_n,
            train_accuracy: values[1] / train_n,
            val_loss: values[2] / val_n,
            val_accuracy: values[3] / val_n,
            learning_rate: self.last_rate,
        })
    }

    /// The validation set's logits and penultimate features as the last
    /// [`epoch_metrics`](Self::epoch_metrics) read them, if the weights have not changed since.
    pub fn last_evaluation(&self) -> Option<&Evaluation> {
        match &self.last_evaluation {
            Some((epoch, evaluation)) if *epoch == self.epoch && self.order.is_none() => {
                Some(evaluation)
            }
            _ => None,
        }
    }

    /// Class probabilities `[images][classes]` for `images` (the network's input size), from
    /// the current weights in evaluation mode. One read.
    ///
    /// # Errors
    /// The images are not the network's size, or the device failed to return the data.
    pub async fn predict(&self, images: &ImageSet) -> Result<Vec<Vec<f32>>, ImageTrainError> {
        self.check_size(images)?;
        if images.is_empty() {
            return Ok(Vec::new());
        }
        let model = self.model.valid();
        let forward = model.forward(
            &self.network.layers,
            images_tensor(images, &self.device),
            &Mode::Eval(&self.running),
        );
        let probabilities = softmax(forward.logits(), 1);
        let data = Transaction::default()
            .register(probabilities)
            .execute_async()
            .await
            .map_err(|error| ImageTrainError::Readback(format!("{error:?}")))?;
        let values: Vec<f32> = data
            .into_iter()
            .next()
            .map(|data| data.iter::<f32>().collect())
            .unwrap_or_default();
        Ok(values
            .chunks(self.network.classes.max(1))
            .map(<[f32]>::to_vec)
            .collect())
    }

    /// Every tap's value for one image in evaluation mode: the input, then each layer's
    /// output (`[channels, height, width]` or `[units]`), plus the class probabilities. One read.
    ///
    /// # Errors
    /// The image is not the network's size, or the device failed to return the data.
    pub async fn activations(
        &self,
        image: &ImageSet,
    ) -> Result<(Vec<HostTensor>, Vec<f32>), ImageTrainError> {
        self.check_size(image)?;
        let model = self.model.valid();
        let one = image.take(1);
        let forward = model.forward(
            &self.network.layers,
            images_tensor(&one, &self.device),
            &Mode::Eval(&self.running),
        );
        let probabilities = softmax(forward.logits(), 1);
        let mut transaction = Transaction::default();
        let mut shapes = Vec::with_capacity(forward.taps.len());
        for tap in &forward.taps {
            match tap {
                Value::Image(tensor) => {
                    shapes.push(tensor.dims()[1..].to_vec());
                    transaction = transaction.register(tensor.clone());
                }
                Value::Flat(tensor) => {
                    shapes.push(tensor.dims()[1..].to_vec());
                    transaction = transaction.register(tensor.clone());
                }
            }
        }
        transaction = transaction.register(probabilities);
        let mut data = transaction
            .execute_async()
            .await
            .map_err(|error| ImageTrainError::Readback(format!("{error:?}")))?
            .into_iter();
        let taps = shapes
            .into_iter()
            .map(|shape| HostTensor {
                shape,
                values: data
                    .next()
                    .map(|data| data.iter::<f32>().collect())
                    .unwrap_or_default(),
            })
            .collect();
        let probabilities = data
            .next()
            .map(|data| data.iter::<f32>().collect())
            .unwrap_or_default();
        Ok((taps, probabilities))
    }

    /// Logits `[images × classes]` and the penultimate features (the input of the layer that
    /// makes the logits, flattened: `[images × features]`) for `images`, in evaluation mode,
    /// in chunks, read once.
    ///
    /// # Errors
    /// The images are not the network's size, or the device failed to return the data.
    pub async fn evaluate(&self, images: &ImageSet) -> Result<Evaluation, ImageTrainError> {
        self.check_size(images)?;
        let model = self.model.valid();
        let layers = &self.network.layers;
        let mut transaction = Transaction::default();
        let mut chunks = 0;
        let mut feature_size = 0;
        let mut start = 0;
        while start < images.len() {
            let len = EVAL_CHUNK.min(images.len() - start);
            let indices: Vec<usize> = (start..start + len).collect();
            let forward = model.forward(
                layers,
                images_tensor(&images.subset(&indices), &self.device),
                &Mode::Eval(&self.running),
            );
            let features = forward.taps[forward.taps.len().saturating_sub(3)]
                .clone()
                .flat();
            feature_size = features.dims()[1];
            transaction = transaction.register(forward.logits()).register(features);
            chunks += 1;
            start += len;
        }
        let data = transaction
            .execute_async()
            .await
            .map_err(|error| ImageTrainError::Readback(format!("{error:?}")))?;
        let mut logits = Vec::with_capacity(images.len() * self.network.classes);
        let mut features = Vec::with_capacity(images.len() * feature_size);
        for (index, data) in data.into_iter().enumerate().take(chunks * 2) {
            if index % 2 == 0 {
                logits.extend(data.iter::<f32>());
            } else {
                features.extend(data.iter::<f32>());
            }
        }
        Ok(Evaluation {
            classes: self.network.classes,
            logits,
            feature_size,
            features,
        })
    }

    fn check_size(&self, images: &ImageSet) -> Result<(), ImageTrainError> {
        if images.size == self.network.input {
            return Ok(());
        }
        let describe = |size: crate::vision::ImageSize| {
            format!("{}×{}×{}", size.channels, size.height, size.width)
        };
        Err(ImageTrainError::SizeMismatch {
            expected: describe(self.network.input),
            actual: describe(images.size),
        })
    }

    /// Where Grad-CAM looks and why it is there, and the heat per position, for one image and
    /// class (the predicted one when `class` is `None`). One read.
    ///
    /// Grad-CAM (Selvaraju et al. 2017) weights the maps of the last convolutional block (the last
    /// Conv2d and the activations, norms and skips right after it, before any pooling) by the
    /// mean gradient of the class score over each map, sums them and keeps the positive part.
    /// Without a Conv2d it is gradient × input, summed over channels, as magnitudes.
    ///
    /// # Errors
    /// The image is not the network's size, or the device failed to return the data.
    pub async fn saliency(
        &self,
        image: &ImageSet,
        class: Option<usize>,
    ) -> Result<Saliency, ImageTrainError> {
        self.check_size(image)?;
        if image.is_empty() {
            return Err(ImageTrainError::NoTrainingImages);
        }
        let (c, h, w) = (image.size.channels, image.size.height, image.size.width);
        let pixels = image.image(0);
        let mut values = vec![0.0_f32; c * h * w];
        for (at, &pixel) in pixels.iter().enumerate() {
            let (position, channel) = (at / c, at % c);
            values[channel * h * w + position] = f32::from(pixel) / 255.0;
        }
        self.saliency_for(
            &HostTensor {
                shape: vec![1, c, h, w],
                values,
            },
            class,
        )
        .await
    }

    /// [`saliency`](Self::saliency) for an input given as numbers `[1, channels, height,
    /// width]` (as the PyTorch reference gives them).
    ///
    /// # Errors
    /// The input does not have the network's shape, or the device failed to return the data.
    pub async fn saliency_for(
        &self,
        input: &HostTensor,
        class: Option<usize>,
    ) -> Result<Saliency, ImageTrainError> {
        let size = self.network.input;
        if input.shape != [1, size.channels, size.height, size.width] {
            return Err(ImageTrainError::SizeMismatch {
                expected: format!("1×{}×{}×{}", size.channels, size.height, size.width),
                actual: format!("{:?}", input.shape),
            });
        }
        let layers = &self.network.layers;
        let running: Vec<Option<Running>> = self
            .running
            .iter()
            .map(|slot| {
                slot.as_ref().map(|r| Running {
                    mean: r.mean.clone().autodiff(),
                    var: r.var.clone().autodiff(),
                })
            })
            .collect();
        let mode = Mode::Eval(&running);
        let input: Tensor<4> =
            tensor(input, &self.train_device).map_err(ImageTrainError::Params)?;
        let score_of = |logits: Tensor<2>| -> Tensor<1> {
            match class {
                Some(c) => logits
                    .narrow(1, c.min(self.network.classes.saturating_sub(1)), 1)
                    .sum(),
                None => logits.max_dim(1).sum(),
            }
        };
        let (heat, logits, method) = match grad_cam_tap(layers) {
            Some(tap) => {
                let prefix = self.model.forward(&layers[..tap], input, &mode);
                let mut taps: Vec<Value> = prefix
                    .taps
                    .into_iter()
                    .map(|value| match value {
                        Value::Image(t) => Value::Image(t.detach()),
                        Value::Flat(t) => Value::Flat(t.detach()),
                    })
                    .collect();
                let Some(Value::Image(maps)) = taps.pop() else {
                    return Err(ImageTrainError::Params(
                        "the Grad-CAM layer does not output images".into(),
                    ));
                };
                let leaf = maps.require_grad();
                taps.push(Value::Image(leaf.clone()));
                let logits = self.model.forward_from(layers, taps, &mode).logits();
                let gradients = score_of(logits.clone()).backward();
                let Some(gradient) = leaf.grad(&gradients) else {
                    return Err(ImageTrainError::Readback(
                        "no gradient reached the Grad-CAM layer".into(),
                    ));
                };
                let weights = gradient.mean_dim(3).mean_dim(2); // [1, c, 1, 1]
                let heat = relu((leaf.inner() * weights).sum_dim(1)); // [1, 1, h, w]
                (
                    heat,
                    logits.detach().inner(),
                    SaliencyMethod::GradCam { tap },
                )
            }
            None => {
                let leaf = input.require_grad();
                let logits = self.model.forward(layers, leaf.clone(), &mode).logits();
                let gradients = score_of(logits.clone()).backward();
                let Some(gradient) = leaf.grad(&gradients) else {
                    return Err(ImageTrainError::Readback(
                        "no gradient reached the input".into(),
                    ));
                };
                let heat = (gradient * leaf.inner()).sum_dim(1).abs();
                (
                    heat,
                    logits.detach().inner(),
                    SaliencyMethod::GradientTimesInput,
                )
            }
        };
        let [_, _, height, width] = heat.dims();
        let data = Transaction::default()
            .register(heat)
            .register(logits)
            .execute_async()
            .await
            .map_err(|error| ImageTrainError::Readback(format!("{error:?}")))?;
        let mut data = data.into_iter();
        let values: Vec<f32> = data
            .next()
            .map(|d| d.iter::<f32>().collect())
            .unwrap_or_default();
        let logits: Vec<f32> = data
            .next()
            .map(|d| d.iter::<f32>().collect())
            .unwrap_or_default();
        let class = class.unwrap_or_else(|| {
            logits
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(c, _)| c)
        });
        Ok(Saliency {
            method,
            class,
            height,
            width,
            values,
        })
    }

    /// Every parameter and running statistic, read back in one transaction.
    ///
    /// # Errors
    /// The device failed to return the data.
    pub async fn params(&self) -> Result<Vec<LayerParams>, ImageTrainError> {
        let model = self.model.valid();
        let mut transaction = Transaction::default();
        let mut shapes: Vec<Vec<Vec<usize>>> = Vec::new();
        for (node, running) in model.nodes.iter().zip(&self.running) {
            let mut layer = Vec::new();
            if let Some(kernel) = &node.kernel {
                layer.push(kernel.val().dims().to_vec());
                transaction = transaction.register(kernel.val());
            }
            if let Some(matrix) = &node.matrix {
                layer.push(matrix.val().dims().to_vec());
                transaction = transaction.register(matrix.val());
            }
            for vector in [&node.gamma, &node.beta, &node.bias].into_iter().flatten() {
                layer.push(vector.val().dims().to_vec());
                transaction = transaction.register(vector.val());
            }
            if let Some(running) = running {
                layer.push(running.mean.dims().to_vec());
                transaction = transaction.register(running.mean.clone());
                layer.push(running.var.dims().to_vec());
                transaction = transaction.register(running.var.clone());
            }
            shapes.push(layer);
        }
        let data = transaction
            .execute_async()
            .await
            .map_err(|error| ImageTrainError::Readback(format!("{error:?}")))?;
        let mut data = data.into_iter();
        Ok(shapes
            .into_iter()
            .map(|layer| {
                layer
                    .into_iter()
                    .map(|shape| HostTensor {
                        shape,
                        values: data
                            .next()
                            .map(|data| data.iter::<f32>().collect())
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .collect())
    }
}
