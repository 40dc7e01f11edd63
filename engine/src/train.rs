//! Training, one epoch at a time, pulled by the caller (TensorFlow Playground's `oneStep()`).
//!
//! [`Trainer::train_epoch`] queues work on the device and reads nothing back, so several epochs
//! can run between two reads. [`Trainer::snapshot`] reads everything the UI shows (losses,
//! accuracies, the output heatmap, every neuron's heatmap, the weights) in one async
//! [`Transaction`], which is the only kind of read WebGPU allows in a browser.

use burn::module::Module;
use burn::nn::Linear;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData, Transaction};
use serde::{Deserialize, Serialize};

use crate::data::{Dataset, Label, Point, Rng, feature_rows, grid_points};
pub use crate::hyper::{Hyper, OptimizerKind, Regularization};
use crate::model::{Mlp, forward_layers};
use crate::shape::{SpecError, infer_shapes};
pub use crate::snapshot::{GRID, Snapshot};
use crate::spec::{Activation, Feature, Head, LayerSpec, NetworkSpec};
use crate::weights::LayerWeights;

/// Why training could not start or go on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TrainError {
    #[error("{0}")]
    Spec(#[from] SpecError),
    #[error("The dataset has no training points: raise the training share or regenerate the data.")]
    NoTrainingData,
    #[error(
        "This dataset is for {dataset}, but the network's output is set up for {network}: rebuild the network for this dataset."
    )]
    HeadMismatch { dataset: String, network: String },
    #[error(
        "The saved weights do not fit this network (layer {number}): reset the network to start again."
    )]
    WeightsMismatch { number: usize },
    #[error("Reading results from the {backend} device failed: {message}")]
    Readback { backend: String, message: String },
}

/// Points turned into tensors once, on the plain (inference) device.
struct EvalSet {
    inputs: Tensor<2>,
    targets: Tensor<2>,
    classes: Vec<usize>,
}

/// Trains one network on one dataset on one device.
pub struct Trainer {
    device: Device,
    train_device: Device,
    head: Head,
    features: Vec<Feature>,
    activations: Vec<Activation>,
    layers: Vec<Linear>,
    optimizer: ModuleOptimizer,
    hyper: Hyper,
    train_points: Vec<Point>,
    train_eval: EvalSet,
    test_eval: EvalSet,
    grid_inputs: Tensor<2>,
    rng: Rng,
    epoch: usize,
}

impl Trainer {
    /// Puts `dataset` and a network with `weights` on `device`.
    ///
    /// # Errors
    /// An invalid spec, a spec whose head does not fit the dataset, weights of the wrong shape,
    /// or a dataset with no training points.
    pub fn new(
        device: &Device,
        spec: &NetworkSpec,
        dataset: &Dataset,
        hyper: Hyper,
        weights: &[LayerWeights],
        seed: u64,
    ) -> Result<Trainer, TrainError> {
        let report = infer_shapes(spec)?;
        let dataset_head = dataset.config.head();
        if dataset_head != spec.head {
            return Err(TrainError::HeadMismatch {
                dataset: describe_head(dataset_head),
                network: describe_head(spec.head),
            });
        }
        if dataset.train.is_empty() {
            return Err(TrainError::NoTrainingData);
        }
        let mut fan_in = report.input_units;
        if weights.len() != report.layers.len() {
            return Err(TrainError::WeightsMismatch {
                number: weights.len().min(report.layers.len()) + 1,
            });
        }
        for (index, (layer, shape)) in weights.iter().zip(&report.layers).enumerate() {
            if layer.fan_in != fan_in
                || layer.units != shape.units
                || layer.weights.len() != fan_in * shape.units
                || layer.biases.len() != shape.units
            {
                return Err(TrainError::WeightsMismatch { number: index + 1 });
            }
            fan_in = shape.units;
        }
        let activations: Vec<Activation> = spec
            .layers
            .iter()
            .map(|layer| match layer {
                LayerSpec::Dense { activation, .. } => *activation,
            })
            .collect();
        let train_device = device.clone().autodiff();
        let model = Mlp::from_weights(weights, activations.clone(), &train_device);
        let grid: Vec<Point> = grid_points(GRID)
            .into_iter()
            .map(|(x1, x2)| Point {
                x1,
                x2,
                label: Label::Value(0.0),
            })
            .collect();
        let features = spec.features.clone();
        let grid_inputs = inputs_tensor(&grid, &features, device);
        Ok(Trainer {
            device: device.clone(),
            train_device,
            head: spec.head,
            train_eval: eval_set(&dataset.train, &features, spec.head, device),
            test_eval: eval_set(&dataset.test, &features, spec.head, device),
            features,
            activations,
            layers: model.layers,
            optimizer: optimizer_for(hyper.optimizer),
            hyper,
            train_points: dataset.train.clone(),
            grid_inputs,
            rng: Rng::new(seed ^ 0x00BA_7C4E),
            epoch: 0,
        })
    }

    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Continues the epoch count of an earlier run (after moving to another backend).
    pub fn resume_at(&mut self, epoch: usize) {
        self.epoch = epoch;
    }

    pub fn hyper(&self) -> Hyper {
        self.hyper
    }

    /// Changes the settings; the weights stay. A new optimizer kind starts with fresh state.
    pub fn set_hyper(&mut self, hyper: Hyper) {
        if hyper.optimizer != self.hyper.optimizer {
            self.optimizer = optimizer_for(hyper.optimizer);
        }
        self.hyper = hyper;
    }

    /// One pass over the training points in shuffled mini-batches. Reads nothing back.
    pub fn train_epoch(&mut self) {
        let mut order: Vec<Point> = self.train_points.clone();
        self.rng.shuffle(&mut order);
        let count = order.len();
        let inputs = inputs_tensor(&order, &self.features, &self.train_device);
        let targets = targets_tensor(&order, self.head, &self.train_device);
        let batch_size = self.hyper.batch_size.clamp(1, count);
        let mut start = 0;
        while start < count {
            let len = batch_size.min(count - start);
            let batch_inputs = inputs.clone().narrow(0, start, len);
            let batch_targets = targets.clone().narrow(0, start, len);
            self.step(batch_inputs, batch_targets);
            start += len;
        }
        self.epoch += 1;
    }

    /// Mini-batch steps in one epoch at the current batch size.
    pub fn steps_per_epoch(&self) -> usize {
        self.train_points.len().div_ceil(
            self.hyper
                .batch_size
                .clamp(1, self.train_points.len().max(1)),
        )
    }

    /// Runs `steps` mini-batch steps on batches of the training points without counting an
    /// epoch: a cheap probe for timing a backend.
    pub fn train_steps(&mut self, steps: usize) {
        let count = self.train_points.len();
        let batch_size = self.hyper.batch_size.clamp(1, count);
        let inputs = inputs_tensor(&self.train_points, &self.features, &self.train_device);
        let targets = targets_tensor(&self.train_points, self.head, &self.train_device);
        for step in 0..steps {
            let start = (step * batch_size) % count;
            let len = batch_size.min(count - start);
            self.step(
                inputs.clone().narrow(0, start, len),
                targets.clone().narrow(0, start, len),
            );
        }
    }

    fn step(&mut self, inputs: Tensor<2>, targets: Tensor<2>) {
        let output = self.forward_train(inputs);
        let mut loss = data_loss(output, targets, self.head);
        let rate = self.hyper.regularization_rate;
        if rate > 0.0 {
            let penalty = self.layers.iter().map(|layer| {
                let weight = layer.weight.val();
                match self.hyper.regularization {
                    Regularization::None => None,
                    Regularization::L1 => Some(weight.abs().sum()),
                    Regularization::L2 => Some(weight.square().sum().mul_scalar(0.5)),
                }
            });
            for term in penalty.flatten() {
                loss = loss + term.mul_scalar(rate);
            }
        }
        let gradients = loss.backward();
        let gradients = GradientsParams::from_grads(gradients, &self.layers);
        let layers = std::mem::take(&mut self.layers);
        self.layers = self
            .optimizer
            .step(self.hyper.learning_rate, layers, gradients);
    }

    fn forward_train(&self, inputs: Tensor<2>) -> Tensor<2> {
        forward_layers(&self.layers, &self.activations, inputs)
            .pop()
            .expect("a validated network has an output layer")
    }

    /// Waits until the queued steps have run on the device (reads the output layer's
    /// weights, a few numbers), so a caller can time them.
    ///
    /// # Errors
    /// The device failed to return the data.
    pub async fn sync(&self) -> Result<(), TrainError> {
        let Some(layer) = self.layers.last() else {
            return Ok(());
        };
        Transaction::default()
            .register(layer.weight.val().inner())
            .execute_async()
            .await
            .map(|_| ())
            .map_err(|error| TrainError::Readback {
                backend: format!("{:?}", self.device),
                message: format!("{error:?}"),
            })
    }

    /// Reads losses, accuracies, heatmaps and weights in one async round trip.
    ///
    /// # Errors
    /// The device failed to return the data (for example, a lost GPU).
    pub async fn snapshot(&self) -> Result<Snapshot, TrainError> {
        let layers = self.layers.valid();
        let train_output =
            forward_layers(&layers, &self.activations, self.train_eval.inputs.clone())
                .pop()
                .expect("a validated network has an output layer");
        let test_output = forward_layers(&layers, &self.activations, self.test_eval.inputs.clone())
            .pop()
            .expect("a validated network has an output layer");
        let mut grid_outputs = forward_layers(&layers, &self.activations, self.grid_inputs.clone());
        let grid_output = grid_outputs
            .pop()
            .expect("a validated network has an output layer");
        let classification = matches!(self.head, Head::Classification { .. });
        let mut transaction = Transaction::default()
            .register(data_loss(
                train_output.clone(),
                self.train_eval.targets.clone(),
                self.head,
            ))
            .register(data_loss(
                test_output.clone(),
                self.test_eval.targets.clone(),
                self.head,
            ));
        if classification {
            transaction = transaction
                .register::<2, Int>(train_output.argmax(1))
                .register::<2, Int>(test_output.argmax(1))
                .register(softmax(grid_output, 1));
        } else {
            transaction = transaction.register(grid_output);
        }
        for neurons in grid_outputs {
            transaction = transaction.register(neurons);
        }
        for layer in &layers {
            transaction = transaction.register(layer.weight.val());
            if let Some(bias) = &layer.bias {
                transaction = transaction.register(bias.val());
            }
        }
        let data = transaction
            .execute_async()
            .await
            .map_err(|error| TrainError::Readback {
                backend: format!("{:?}", self.device),
                message: format!("{error:?}"),
            })?;
        let mut data = data.into_iter();
        let mut next = || data.next().expect("one TensorData per registered tensor");
        let scalar = |data: TensorData| data.iter::<f32>().next().unwrap_or(f32::NAN);
        let train_loss = scalar(next());
        let test_loss = scalar(next());
        let (train_accuracy, test_accuracy) = if classification {
            let train = accuracy(&next(), &self.train_eval.classes);
            let test = accuracy(&next(), &self.test_eval.classes);
            (Some(train), Some(test))
        } else {
            (None, None)
        };
        let output_grid = next().iter::<f32>().collect();
        let neuron_grids = (0..self.activations.len())
            .map(|_| next().iter::<f32>().collect())
            .collect();
        let layers = layers
            .iter()
            .map(|layer| {
                let [fan_in, units] = layer.weight.val().dims();
                LayerWeights {
                    fan_in,
                    units,
                    weights: next().iter::<f32>().collect(),
                    biases: next().iter::<f32>().collect(),
                }
            })
            .collect();
        Ok(Snapshot {
            epoch: self.epoch,
            train_loss,
            test_loss,
            train_accuracy,
            test_accuracy,
            output_grid,
            neuron_grids,
            layers,
        })
    }
}

fn optimizer_for(kind: OptimizerKind) -> ModuleOptimizer {
    match kind {
        OptimizerKind::Sgd => SgdConfig::new().init(),
        OptimizerKind::Momentum => SgdConfig::new()
            .with_momentum(Some(MomentumConfig {
                momentum: 0.9,
                dampening: 0.0,
                nesterov: false,
            }))
            .init(),
        OptimizerKind::Adam => AdamConfig::new().with_epsilon(1e-8).init(),
    }
}

fn describe_head(head: Head) -> String {
    match head {
        Head::Classification { classes } => format!("classification into {classes} classes"),
        Head::Regression => "regression".to_owned(),
    }
}

#[allow(clippy::cast_precision_loss)] // point counts are small
fn accuracy(predictions: &TensorData, classes: &[usize]) -> f32 {
    if classes.is_empty() {
        return 0.0;
    }
    let correct = predictions
        .iter::<i64>()
        .zip(classes)
        .filter(|&(predicted, &class)| usize::try_from(predicted).ok() == Some(class))
        .count();
    correct as f32 / classes.len() as f32
}

/// Mean cross-entropy of softmax(logits), or mean squared error.
///
/// # Shapes
///   - output `[batch, outputs]`, targets `[batch, outputs]` (one-hot for classification)
///   - returns `[1]`
fn data_loss(output: Tensor<2>, targets: Tensor<2>, head: Head) -> Tensor<1> {
    let [batch, _] = output.dims();
    match head {
        Head::Classification { .. } => {
            #[allow(clippy::cast_precision_loss)]
            let scale = -1.0 / batch.max(1) as f64;
            (log_softmax(output, 1) * targets).sum().mul_scalar(scale)
        }
        Head::Regression => (output - targets).square().mean(),
    }
}

fn inputs_tensor(points: &[Point], features: &[Feature], device: &Device) -> Tensor<2> {
    Tensor::from_data(
        TensorData::new(
            feature_rows(points, features),
            [points.len(), features.len()],
        ),
        device,
    )
}

fn targets_tensor(points: &[Point], head: Head, device: &Device) -> Tensor<2> {
    let outputs = head.outputs();
    let mut values = vec![0.0_f32; points.len() * outputs];
    for (row, point) in points.iter().enumerate() {
        match point.label {
            Label::Class(class) => {
                if class < outputs {
                    values[row * outputs + class] = 1.0;
                }
            }
            Label::Value(value) => values[row * outputs] = value,
        }
    }
    Tensor::from_data(TensorData::new(values, [points.len(), outputs]), device)
}

fn eval_set(points: &[Point], features: &[Feature], head: Head, device: &Device) -> EvalSet {
    EvalSet {
        inputs: inputs_tensor(points, features, device),
        targets: targets_tensor(points, head, device),
        classes: points
            .iter()
            .map(|point| match point.label {
                Label::Class(class) => class,
                Label::Value(_) => 0,
            })
            .collect(),
    }
}
