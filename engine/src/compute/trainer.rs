//! The one trainer: any [`Network`] on images or rows, a batch at a time, pulled by the caller
//! (TensorFlow Playground's `oneStep()`), so a worker loop, a native test and a benchmark all
//! drive it the same way. What the views need is read by probes on it (`probes.rs`).

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, Transaction};
use serde::{Deserialize, Serialize};

use super::batches::{EpochOrder, TrainSet};
use super::loss::{data_loss, penalty};
use super::model::{Mode, Model};
use super::norm::Running;
use super::optim::{Optim, clip_global_norm, needs_new_optimizer};
use super::tensors::{images_tensor, labels_tensor, rows_tensor, targets_tensor};
use super::value::Value;
use crate::data::Rng;
use crate::net::{GraphError, Head, Input, Network, infer_graph};
use crate::optimizer_state::OptimizerState;
use crate::params::{LayerParams, initial_params};
use crate::photos::Augment;
pub use crate::recipe::EpochMetrics;
use crate::recipe::Recipe;
use crate::samples::{Samples, Targets};

/// Why a network could not be trained.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TrainError {
    #[error("{0}")]
    Graph(#[from] GraphError),
    #[error("There are no training images: add some, or raise the training share.")]
    NoTrainingImages,
    #[error("The dataset has no training points: raise the training share or regenerate the data.")]
    NoTrainingData,
    #[error(
        "The network expects {expected} inputs but the data has {actual}: set the input to the data's size."
    )]
    SizeMismatch { expected: String, actual: String },
    #[error(
        "The data is for {data}, but the network's output is set up for {network}: rebuild the network for this data."
    )]
    HeadMismatch { data: String, network: String },
    #[error("The saved numbers do not fit this network ({0}): reset the network.")]
    Params(String),
    #[error("Reading results from the device failed: {0}")]
    Readback(String),
}

/// What [`Trainer::evaluate`] returns: per sample, the scores (logits, or the predicted value)
/// and the penultimate layer's outputs (for confusion, calibration and the embedding view).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub classes: usize,
    /// `[samples × classes]` (or `[samples × 1]` for regression), row-major.
    pub logits: Vec<f32>,
    pub feature_size: usize,
    /// `[samples × feature_size]`, row-major.
    pub features: Vec<f32>,
}

/// Samples in chunks this large when evaluating, to bound memory.
pub(crate) const EVAL_CHUNK: usize = 500;

/// Samples on the plain (inference) device, for evaluation.
pub(crate) struct EvalSet {
    pub inputs: Value,
    pub targets: Tensor<2>,
    pub labels: Option<Tensor<1, Int>>,
    pub labels_host: Option<Vec<u8>>,
    pub count: usize,
}

impl EvalSet {
    pub fn new(samples: &Samples, classes: usize, device: &Device) -> EvalSet {
        let (inputs, targets) = match samples {
            Samples::Images(set) => (
                Value::Image(images_tensor(set, device)),
                Targets::Classes(set.labels.clone()),
            ),
            Samples::Rows(rows) => (Value::Flat(rows_tensor(rows, device)), rows.targets.clone()),
        };
        EvalSet {
            inputs,
            targets: targets_tensor(&targets, classes, device),
            labels: samples.labels().map(|labels| labels_tensor(labels, device)),
            labels_host: samples.labels().map(<[u8]>::to_vec),
            count: samples.len(),
        }
    }

    pub fn chunk(&self, start: usize, len: usize) -> Value {
        match &self.inputs {
            Value::Image(t) => Value::Image(t.clone().narrow(0, start, len)),
            Value::Flat(t) => Value::Flat(t.clone().narrow(0, start, len)),
        }
    }
}

/// Trains one network on one device, a batch at a time.
pub struct Trainer {
    pub(crate) device: Device,
    pub(crate) train_device: Device,
    pub(crate) network: Network,
    pub(crate) model: Model,
    pub(crate) running: Vec<Option<Running>>,
    optimizer: Optim,
    recipe: Recipe,
    train: TrainSet,
    /// The training rows on the plain device, for full-set readings (rows only: small).
    pub(crate) train_eval: Option<EvalSet>,
    pub(crate) val: EvalSet,
    rng: Rng,
    epoch: usize,
    /// This epoch's order of training samples and how far it has got.
    order: Option<EpochOrder>,
    position: usize,
    /// Sum of batch losses × batch size, and of correct predictions, this epoch (on device).
    loss_sum: Option<Tensor<1>>,
    correct_sum: Option<Tensor<1>>,
    /// Whether those sums are kept (see [`Trainer::track_epoch_metrics`]).
    tracking: bool,
    /// The last step's loss, for [`Trainer::sync`].
    last_loss: Option<Tensor<1>>,
    last_rate: f64,
    /// The validation pass of the last epoch (its epoch number), for the inspection views.
    pub(crate) last_evaluation: Option<(usize, Evaluation)>,
}

fn describe_input(input: &Input) -> String {
    match input {
        Input::Image(size) => size.describe(),
        Input::Points { features } => format!("{} features", features.len()),
        Input::Table { columns } => format!("{columns} columns"),
        Input::Pretrained { side } => {
            format!("EfficientNet-Lite0 features of {side}×{side} photos")
        }
    }
}

impl Trainer {
    /// Puts the data and the network on `device`. Without `params`, the network starts from
    /// the recipe's initialiser and `seed`.
    ///
    /// # Errors
    /// An invalid network, one that does not fit the data, or `params` that do not fit it.
    pub fn new(
        device: &Device,
        network: &Network,
        train: &Samples,
        val: &Samples,
        recipe: Recipe,
        params: Option<&[LayerParams]>,
        seed: u64,
    ) -> Result<Trainer, TrainError> {
        Trainer::with_augment(
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
    /// time they are drawn.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    #[allow(clippy::too_many_arguments)]
    pub fn with_augment(
        device: &Device,
        network: &Network,
        train: &Samples,
        val: &Samples,
        recipe: Recipe,
        params: Option<&[LayerParams]>,
        seed: u64,
        augment: Augment,
    ) -> Result<Trainer, TrainError> {
        let report = infer_graph(network)?;
        if train.is_empty() {
            return Err(match train {
                Samples::Images(_) => TrainError::NoTrainingImages,
                Samples::Rows(_) => TrainError::NoTrainingData,
            });
        }
        for samples in [train, val] {
            let actual = match samples {
                Samples::Images(set) => {
                    (network.input.image() != Some(set.size)).then(|| set.size.describe())
                }
                Samples::Rows(rows) => (network.input.image().is_some()
                    || network.input.values() != rows.columns)
                    .then(|| format!("{} columns", rows.columns)),
            };
            if let Some(actual) = actual {
                return Err(TrainError::SizeMismatch {
                    expected: describe_input(&network.input),
                    actual,
                });
            }
        }
        let data_head = match train {
            Samples::Rows(rows) if matches!(rows.targets, Targets::Values(_)) => Head::Regression,
            _ => Head::Classification {
                classes: train.classes(),
            },
        };
        if data_head != network.head {
            return Err(TrainError::HeadMismatch {
                data: data_head.describe(),
                network: network.head.describe(),
            });
        }
        let initial;
        let params = match params {
            Some(params) => params,
            None => {
                initial = initial_params(network, recipe.init, seed)?;
                &initial
            }
        };
        device.seed(seed);
        let train_device = device.clone().autodiff();
        let (model, running) =
            Model::new(network, &report, params, &train_device).map_err(TrainError::Params)?;
        let classes = network.head.outputs();
        Ok(Trainer {
            device: device.clone(),
            train: TrainSet::new(train, classes, augment, seed, device, &train_device),
            train_eval: matches!(train, Samples::Rows(_))
                .then(|| EvalSet::new(train, classes, device)),
            val: EvalSet::new(val, classes, device),
            train_device,
            network: network.clone(),
            model,
            running,
            optimizer: Optim::new(&recipe),
            recipe,
            rng: Rng::new(seed ^ 0x0D1_6175),
            epoch: 0,
            order: None,
            position: 0,
            loss_sum: None,
            correct_sum: None,
            tracking: true,
            last_loss: None,
            last_rate: recipe.learning_rate,
            last_evaluation: None,
        })
    }

    /// Completed epochs.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    pub fn recipe(&self) -> Recipe {
        self.recipe
    }

    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Changes the recipe; the weights stay. Another optimizer kind starts with fresh state.
    pub fn set_recipe(&mut self, recipe: Recipe) {
        if needs_new_optimizer(&self.recipe, &recipe) {
            self.optimizer = Optim::new(&recipe);
        } else {
            self.optimizer.set_recipe(&recipe);
        }
        self.recipe = recipe;
    }

    /// What the optimizer remembers and where the shuffle is, to save with the weights.
    ///
    /// # Errors
    /// The device could not return the data.
    pub async fn optimizer_state(&self) -> Result<OptimizerState, TrainError> {
        self.optimizer
            .read(self.rng.state())
            .await
            .map_err(TrainError::Readback)
    }

    /// Goes on from a saved optimizer state and shuffle (with the weights it was saved with):
    /// the next steps are the ones the saved run would have taken.
    ///
    /// # Errors
    /// The state is another optimizer's or does not fit this network; nothing changes.
    pub fn restore_optimizer(&mut self, state: &OptimizerState) -> Result<(), String> {
        let counts: Vec<usize> = crate::weights::trainable(&self.network)
            .map_err(|error| error.to_string())?
            .iter()
            .map(|(_, shape)| shape.iter().product())
            .collect();
        self.optimizer = Optim::restore(&self.recipe, state, &counts, &self.device)?;
        self.rng = Rng::resume(state.rng);
        Ok(())
    }

    /// Continues an earlier run's epoch count (after moving to another backend).
    pub fn resume_at(&mut self, epoch: usize) {
        self.epoch = epoch;
    }

    fn batch_size(&self) -> usize {
        self.recipe.batch_size.clamp(1, self.train.len().max(1))
    }

    /// Mini-batches per epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.train.len().div_ceil(self.batch_size())
    }

    pub fn train_count(&self) -> usize {
        self.train.len()
    }

    /// Keep (the default) or skip the running loss and accuracy of each epoch's batches. The
    /// playground reads its losses over the whole sets through its probe instead, and on its
    /// tiny networks the few extra ops per step cost a fifth of the speed. Without them,
    /// [`epoch_metrics`](Self::epoch_metrics) reports the training loss and accuracy as NaN.
    pub fn track_epoch_metrics(&mut self, tracking: bool) {
        self.tracking = tracking;
    }

    /// Whether an epoch is under way (some of its batches ran).
    pub fn mid_epoch(&self) -> bool {
        self.order.is_some()
    }

    /// Runs up to `batches` mini-batch steps; returns true when this finished an epoch (then
    /// read [`epoch_metrics`](Self::epoch_metrics)). Reads nothing back.
    pub fn train_batches(&mut self, batches: usize) -> bool {
        let batch_size = self.batch_size();
        let count = self.train.len();
        for _ in 0..batches {
            if self.order.is_none() {
                let mut order: Vec<usize> = (0..count).collect();
                if self.recipe.shuffle {
                    self.rng.shuffle(&mut order);
                }
                self.order = Some(self.train.start_epoch(order));
                self.position = 0;
                self.loss_sum = None;
                self.correct_sum = None;
            }
            let Some(order) = self.order.as_ref() else {
                break;
            };
            let len = batch_size.min(count - self.position);
            let mut batch = self.train.batch(order, self.position, len);
            if !self.tracking {
                batch.labels = None;
            }
            #[allow(clippy::cast_precision_loss)]
            let fraction = self.position as f64 / count as f64;
            let rate = self.recipe.rate_at(self.epoch, fraction);
            let (loss, scores) = self.step(batch.inputs, batch.targets, rate);
            if self.tracking {
                #[allow(clippy::cast_precision_loss)]
                let weighted = loss.clone().mul_scalar(len as f64);
                self.loss_sum = Some(match self.loss_sum.take() {
                    Some(sum) => sum + weighted,
                    None => weighted,
                });
            }
            self.last_loss = Some(loss);
            if let Some(labels) = batch.labels {
                let correct = scores
                    .argmax(1)
                    .flatten::<1>(0, 1)
                    .equal(labels)
                    .float()
                    .sum();
                self.correct_sum = Some(match self.correct_sum.take() {
                    Some(sum) => sum + correct,
                    None => correct,
                });
            }
            self.last_rate = rate;
            self.position += len;
            if self.position >= count {
                self.order = None;
                self.epoch += 1;
                return true;
            }
        }
        false
    }

    /// One optimizer step on a batch at learning rate `rate`. Returns the data loss and the
    /// scores (logits or values), both detached, on the plain device. Public so tests can
    /// drive exact steps.
    ///
    /// # Shapes
    ///   - inputs `[batch, …input]`, targets `[batch, classes]` one-hot or `[batch, 1]`
    pub fn step(&mut self, inputs: Value, targets: Tensor<2>, rate: f64) -> (Tensor<1>, Tensor<2>) {
        // Up to the scores: the final Softmax is not part of the loss.
        let forward = self
            .model
            .forward_prefix(inputs, self.network.score_tap(), &Mode::Train);
        let scores = forward.flat(self.network.score_tap());
        let loss = data_loss(self.network.head, scores.clone(), targets);
        for (slot, stats) in self.running.iter_mut().zip(&forward.batch_stats) {
            if let (Some(running), Some(batch)) = (slot.as_mut(), stats) {
                running.update(batch);
            }
        }
        let objective = match penalty(&self.model, self.recipe.penalty, self.recipe.penalty_rate) {
            Some(term) => loss.clone() + term,
            None => loss.clone(),
        };
        let gradients = objective.backward();
        let mut gradients = GradientsParams::from_grads(gradients, &self.model);
        if let Some(max_norm) = self.recipe.clip_norm {
            clip_global_norm(&mut gradients, &self.model, max_norm);
        }
        let model = std::mem::replace(&mut self.model, Model { blocks: Vec::new() });
        self.model = self.optimizer.step(rate, model, gradients);
        (loss.detach().inner(), scores.detach().inner())
    }

    /// Mini-batches done in the current epoch.
    pub fn batches_done(&self) -> usize {
        self.position.div_ceil(self.batch_size())
    }

    /// Waits until the queued steps have run on the device (one scalar read), so a caller
    /// can time them.
    ///
    /// # Errors
    /// The device failed to return the data.
    pub async fn sync(&self) -> Result<(), TrainError> {
        let Some(loss) = self.loss_sum.as_ref().or(self.last_loss.as_ref()) else {
            return Ok(());
        };
        Transaction::default()
            .register(loss.clone())
            .execute_async()
            .await
            .map(|_| ())
            .map_err(|error| TrainError::Readback(format!("{error:?}")))
    }

    /// The model for evaluation (plain device).
    pub fn eval_model(&self) -> Model {
        self.model.valid()
    }

    /// The batch norms' running statistics, per layer.
    pub fn running(&self) -> &[Option<Running>] {
        &self.running
    }

    /// Loss and accuracy of the finished epoch's batches, plus the validation set's, in one
    /// read. Also keeps the validation scores and penultimate features of the same pass
    /// ([`last_evaluation`](Self::last_evaluation)), so the inspection views cost no second
    /// pass.
    ///
    /// # Errors
    /// The device failed to return the data.
    pub async fn epoch_metrics(&mut self) -> Result<EpochMetrics, TrainError> {
        let model = self.model.valid();
        let mut val_loss: Option<Tensor<1>> = None;
        let mut val_correct: Option<Tensor<1>> = None;
        let mut outputs: Vec<(Tensor<2>, Tensor<2>)> = Vec::new();
        let mut start = 0;
        while start < self.val.count {
            let len = EVAL_CHUNK.min(self.val.count - start);
            let forward = model.forward_prefix(
                self.val.chunk(start, len),
                self.network.score_tap(),
                &Mode::Eval(&self.running),
            );
            let scores = forward.flat(self.network.score_tap());
            let features = forward.flat(self.network.feature_tap());
            #[allow(clippy::cast_precision_loss)]
            let loss = data_loss(
                self.network.head,
                scores.clone(),
                self.val.targets.clone().narrow(0, start, len),
            )
            .mul_scalar(len as f64);
            if let Some(labels) = &self.val.labels {
                let correct = scores
                    .clone()
                    .argmax(1)
                    .flatten::<1>(0, 1)
                    .equal(labels.clone().narrow(0, start, len))
                    .float()
                    .sum();
                val_correct = Some(val_correct.map_or(correct.clone(), |sum| sum + correct));
            }
            val_loss = Some(val_loss.map_or(loss.clone(), |sum| sum + loss));
            outputs.push((scores, features));
            start += len;
        }
        let zero = || Tensor::<1>::zeros([1], &self.device);
        // Without tracking there is no training loss or accuracy to report: NaN, not 0.
        let untracked = if self.tracking { 0.0 } else { f32::NAN };
        let train_sum = || Tensor::<1>::full([1], untracked, &self.device);
        let classification = matches!(self.network.head, Head::Classification { .. });
        let feature_size = outputs.first().map_or(0, |(_, f)| f.dims()[1]);
        let mut transaction = Transaction::default()
            .register(self.loss_sum.clone().unwrap_or_else(train_sum))
            .register(self.correct_sum.clone().unwrap_or_else(train_sum))
            .register(val_loss.unwrap_or_else(zero))
            .register(val_correct.unwrap_or_else(zero));
        for (scores, features) in outputs {
            transaction = transaction.register(scores).register(features);
        }
        let mut data = transaction
            .execute_async()
            .await
            .map_err(|error| TrainError::Readback(format!("{error:?}")))?
            .into_iter();
        let mut scalar = || {
            data.next()
                .and_then(|data| data.iter::<f32>().next())
                .unwrap_or(f32::NAN)
        };
        let values = [scalar(), scalar(), scalar(), scalar()];
        let outputs = self.network.head.outputs();
        let mut evaluation = Evaluation {
            classes: outputs,
            logits: Vec::with_capacity(self.val.count * outputs),
            feature_size,
            features: Vec::with_capacity(self.val.count * feature_size),
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
        let (train_n, val_n) = (self.train.len().max(1) as f32, self.val.count.max(1) as f32);
        let accuracy = |correct: f32, n: f32| {
            if classification {
                correct / n
            } else {
                f32::NAN
            }
        };
        Ok(EpochMetrics {
            epoch: self.epoch,
            train_loss: values[0] / train_n,
            train_accuracy: accuracy(values[1], train_n),
            val_loss: values[2] / val_n,
            val_accuracy: accuracy(values[3], val_n),
            learning_rate: self.last_rate,
        })
    }

    /// The validation set's scores and penultimate features as the last
    /// [`epoch_metrics`](Self::epoch_metrics) read them, if the weights have not changed since.
    pub fn last_evaluation(&self) -> Option<&Evaluation> {
        match &self.last_evaluation {
            Some((epoch, evaluation)) if *epoch == self.epoch && self.order.is_none() => {
                Some(evaluation)
            }
            _ => None,
        }
    }
}
