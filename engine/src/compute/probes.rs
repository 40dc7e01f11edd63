//! What the views read from the one trainer, each in one async transaction: predictions,
//! every tap for one sample, an evaluation pass, Grad-CAM saliency, the parameters, and the
//! playground's reading over the plane (losses, the output and every neuron on a grid, the
//! Dense weights).

use burn::module::Module;
use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Int, Tensor, TensorData, Transaction};

use super::model::{Block, Mode, Model};
use super::norm::Running;
use super::tensors::{images_tensor, rows_tensor, tensor};
use super::trainer::{EVAL_CHUNK, EvalSet, Evaluation, TrainError, Trainer};
use super::value::Value;
use crate::export::{CHECK_SAMPLES, Check, input_tensor};
use crate::images::ImageSet;
use crate::inspect::{Saliency, SaliencyMethod, grad_cam_tap};
use crate::net::{Head, Layer};
use crate::params::{HostTensor, LayerParams};
use crate::samples::{Rows, Samples};
use crate::snapshot::{LayerWeights, Snapshot};

fn readback(error: impl std::fmt::Debug) -> TrainError {
    TrainError::Readback(format!("{error:?}"))
}

/// Values of every tensor registered, in order.
fn floats(data: Vec<TensorData>) -> impl Iterator<Item = Vec<f32>> {
    data.into_iter().map(|data| data.iter::<f32>().collect())
}

impl Trainer {
    fn check_samples(&self, samples: &Samples) -> Result<(), TrainError> {
        let fits = match samples {
            Samples::Images(set) => self.network.input.image() == Some(set.size),
            Samples::Rows(rows) => {
                self.network.input.image().is_none() && self.network.input.values() == rows.columns
            }
        };
        if fits {
            return Ok(());
        }
        Err(TrainError::SizeMismatch {
            expected: format!("{}", self.network.input.shape()),
            actual: match samples {
                Samples::Images(set) => set.size.describe(),
                Samples::Rows(rows) => format!("{} columns", rows.columns),
            },
        })
    }

    fn images_input(&self, images: &ImageSet) -> Result<Value, TrainError> {
        self.check_samples(&Samples::Images(images.clone()))?;
        Ok(Value::Image(images_tensor(images, &self.device)))
    }

    fn probabilities(&self, scores: Tensor<2>) -> Tensor<2> {
        match self.network.head {
            Head::Classification { .. } => softmax(scores, 1),
            Head::Regression => scores,
        }
    }

    /// Class probabilities `[images][classes]` for `images` (the network's input size), from
    /// the current weights in evaluation mode. One read.
    ///
    /// # Errors
    /// The images are not the network's size, or the device failed to return the data.
    pub async fn predict(&self, images: &ImageSet) -> Result<Vec<Vec<f32>>, TrainError> {
        let input = self.images_input(images)?;
        if images.is_empty() {
            return Ok(Vec::new());
        }
        let model = self.model.valid();
        let forward = model.forward(input, &Mode::Eval(&self.running));
        let probabilities = self.probabilities(forward.flat(self.network.score_tap()));
        let data = Transaction::default()
            .register(probabilities)
            .execute_async()
            .await
            .map_err(readback)?;
        let values: Vec<f32> = floats(data).next().unwrap_or_default();
        Ok(values
            .chunks(self.network.head.outputs().max(1))
            .map(<[f32]>::to_vec)
            .collect())
    }

    /// The scores (logits, or the predicted value) `[samples × outputs]` of `samples`, from
    /// the current weights in evaluation mode, in chunks, read once: what an export's
    /// `check.safetensors` holds.
    ///
    /// # Errors
    /// The samples do not fit the network, or the device failed to return the data.
    pub async fn scores(&self, samples: &Samples) -> Result<Vec<f32>, TrainError> {
        self.check_samples(samples)?;
        let model = self.model.valid();
        let mut transaction = Transaction::default();
        let mut chunks = 0;
        let mut start = 0;
        while start < samples.len() {
            let len = EVAL_CHUNK.min(samples.len() - start);
            let indices: Vec<usize> = (start..start + len).collect();
            let input = match samples {
                Samples::Images(set) => {
                    Value::Image(images_tensor(&set.subset(&indices), &self.device))
                }
                Samples::Rows(rows) => {
                    Value::Flat(rows_tensor(&rows.subset(&indices), &self.device))
                }
            };
            let forward = model.forward(input, &Mode::Eval(&self.running));
            transaction = transaction.register(forward.flat(self.network.score_tap()));
            chunks += 1;
            start += len;
        }
        if chunks == 0 {
            return Ok(Vec::new());
        }
        let data = transaction.execute_async().await.map_err(readback)?;
        Ok(floats(data).take(chunks).flatten().collect())
    }

    /// The first [`CHECK_SAMPLES`](crate::export::CHECK_SAMPLES) of `samples` and the scores
    /// this model gives them: an export's `check.safetensors`, which other tools' outputs are
    /// held to.
    ///
    /// # Errors
    /// As [`scores`](Self::scores).
    pub async fn export_check(&self, samples: &Samples) -> Result<Check, TrainError> {
        let count = CHECK_SAMPLES.min(samples.len());
        let indices: Vec<usize> = (0..count).collect();
        let few = samples.subset(&indices);
        let scores = self.scores(&few).await?;
        Ok(Check {
            input: input_tensor(&few, count),
            scores: HostTensor {
                shape: vec![count, self.network.head.outputs()],
                values: scores,
            },
        })
    }

    /// Every tap's value for one image in evaluation mode: the input, then each layer's
    /// output (`[channels, height, width]` or `[units]`), plus the class probabilities. One read.
    ///
    /// # Errors
    /// The image is not the network's size, or the device failed to return the data.
    pub async fn activations(
        &self,
        image: &ImageSet,
    ) -> Result<(Vec<HostTensor>, Vec<f32>), TrainError> {
        let input = self.images_input(&image.take(1))?;
        let model = self.model.valid();
        let forward = model.forward(input, &Mode::Eval(&self.running));
        let probabilities = self.probabilities(forward.flat(self.network.score_tap()));
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
        let mut data = floats(transaction.execute_async().await.map_err(readback)?);
        let taps = shapes
            .into_iter()
            .map(|shape| HostTensor {
                shape,
                values: data.next().unwrap_or_default(),
            })
            .collect();
        Ok((taps, data.next().unwrap_or_default()))
    }

    /// Scores `[images × classes]` and the penultimate features (the input of the final Dense
    /// layer, flattened: `[images × features]`) for `images`, in evaluation mode, in chunks,
    /// read once.
    ///
    /// # Errors
    /// The images are not the network's size, or the device failed to return the data.
    pub async fn evaluate(&self, images: &ImageSet) -> Result<Evaluation, TrainError> {
        self.check_samples(&Samples::Images(images.take(0)))?;
        let model = self.model.valid();
        let mut transaction = Transaction::default();
        let mut chunks = 0;
        let mut feature_size = 0;
        let mut start = 0;
        while start < images.len() {
            let len = EVAL_CHUNK.min(images.len() - start);
            let indices: Vec<usize> = (start..start + len).collect();
            let forward = model.forward(
                Value::Image(images_tensor(&images.subset(&indices), &self.device)),
                &Mode::Eval(&self.running),
            );
            let features = forward.flat(self.network.feature_tap());
            feature_size = features.dims()[1];
            transaction = transaction
                .register(forward.flat(self.network.score_tap()))
                .register(features);
            chunks += 1;
            start += len;
        }
        let data = transaction.execute_async().await.map_err(readback)?;
        let outputs = self.network.head.outputs();
        let mut logits = Vec::with_capacity(images.len() * outputs);
        let mut features = Vec::with_capacity(images.len() * feature_size);
        for (index, values) in floats(data).enumerate().take(chunks * 2) {
            if index % 2 == 0 {
                logits.extend(values);
            } else {
                features.extend(values);
            }
        }
        Ok(Evaluation {
            classes: outputs,
            logits,
            feature_size,
            features,
        })
    }

    /// Where Grad-CAM looks and why it is there, and the heat per position, for one image and
    /// class (the predicted one when `class` is `None`). One read.
    ///
    /// Grad-CAM (Selvaraju et al. 2017) weights the maps of the last convolutional block (the
    /// last Conv2d and the activations, norms and skips right after it, before any pooling) by
    /// the mean gradient of the class score over each map, sums them and keeps the positive
    /// part. Without a Conv2d it is gradient × input, summed over channels, as magnitudes.
    ///
    /// # Errors
    /// The image is not the network's size, or the device failed to return the data.
    pub async fn saliency(
        &self,
        image: &ImageSet,
        class: Option<usize>,
    ) -> Result<Saliency, TrainError> {
        self.check_samples(&Samples::Images(image.take(0)))?;
        if image.is_empty() {
            return Err(TrainError::NoTrainingImages);
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
    ) -> Result<Saliency, TrainError> {
        let Some(size) = self.network.input.image() else {
            return Err(TrainError::SizeMismatch {
                expected: format!("{}", self.network.input.shape()),
                actual: format!("{:?}", input.shape),
            });
        };
        if input.shape != [1, size.channels, size.height, size.width] {
            return Err(TrainError::SizeMismatch {
                expected: format!("1×{}", size.describe()),
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
        let input: Tensor<4> = tensor(input, &self.train_device).map_err(TrainError::Params)?;
        let classes = self.network.head.outputs();
        let score_tap = self.network.score_tap();
        let score_of = |logits: Tensor<2>| -> Tensor<1> {
            match class {
                Some(c) => logits.narrow(1, c.min(classes.saturating_sub(1)), 1).sum(),
                None => logits.max_dim(1).sum(),
            }
        };
        let (heat, logits, method) = match grad_cam_tap(layers) {
            Some(tap) => {
                let prefix = self.model.forward_prefix(Value::Image(input), tap, &mode);
                let mut taps: Vec<Value> = prefix.taps.into_iter().map(Value::detach).collect();
                let Some(Value::Image(maps)) = taps.pop() else {
                    return Err(TrainError::Params(
                        "the Grad-CAM layer does not output images".into(),
                    ));
                };
                let leaf = maps.require_grad();
                taps.push(Value::Image(leaf.clone()));
                let logits = self.model.forward_from(taps, &mode).flat(score_tap);
                let gradients = score_of(logits.clone()).backward();
                let Some(gradient) = leaf.grad(&gradients) else {
                    return Err(TrainError::Readback(
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
                let logits = self
                    .model
                    .forward(Value::Image(leaf.clone()), &mode)
                    .flat(score_tap);
                let gradients = score_of(logits.clone()).backward();
                let Some(gradient) = leaf.grad(&gradients) else {
                    return Err(TrainError::Readback("no gradient reached the input".into()));
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
            .map_err(readback)?;
        let mut data = floats(data);
        let values: Vec<f32> = data.next().unwrap_or_default();
        let logits: Vec<f32> = data.next().unwrap_or_default();
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

    /// The gradient of a class's score (the predicted one when `class` is `None`) with respect
    /// to a flat input (a row, or the pretrained network's features of an image), in
    /// evaluation mode, and that class. One read. With the features' gradient the pretrained
    /// network's Grad-CAM is exact: its features are its last map averaged.
    ///
    /// # Errors
    /// The network does not read a flat input of this length, or the device failed.
    pub async fn input_gradient(
        &self,
        input: &[f32],
        class: Option<usize>,
    ) -> Result<(Vec<f32>, usize), TrainError> {
        let width = match self.network.input.shape() {
            crate::net::Shape::Flat(width) if width == input.len() => width,
            shape => {
                return Err(TrainError::SizeMismatch {
                    expected: format!("{shape}"),
                    actual: format!("{} values", input.len()),
                });
            }
        };
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
        let leaf: Tensor<2> = Tensor::<2>::from_data(
            burn::tensor::TensorData::new(input.to_vec(), [1, width]),
            &self.train_device,
        )
        .require_grad();
        let classes = self.network.head.outputs();
        let logits = self
            .model
            .forward(Value::Flat(leaf.clone()), &mode)
            .flat(self.network.score_tap());
        let score = match class {
            Some(c) => logits
                .clone()
                .narrow(1, c.min(classes.saturating_sub(1)), 1)
                .sum(),
            None => logits.clone().max_dim(1).sum(),
        };
        let gradients = score.backward();
        let Some(gradient) = leaf.grad(&gradients) else {
            return Err(TrainError::Readback("no gradient reached the input".into()));
        };
        let data = Transaction::default()
            .register(gradient)
            .register(logits.detach().inner())
            .execute_async()
            .await
            .map_err(readback)?;
        let mut data = floats(data);
        let gradient: Vec<f32> = data.next().unwrap_or_default();
        let logits: Vec<f32> = data.next().unwrap_or_default();
        let class = class.unwrap_or_else(|| {
            logits
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(c, _)| c)
        });
        Ok((gradient, class))
    }

    /// Every parameter and running statistic, read back in one transaction, in
    /// [`LayerParams`] order.
    ///
    /// # Errors
    /// The device failed to return the data.
    pub async fn params(&self) -> Result<Vec<LayerParams>, TrainError> {
        let model = self.model.valid();
        let mut transaction = Transaction::default();
        let mut shapes: Vec<Vec<Vec<usize>>> = Vec::new();
        for (block, running) in model.blocks.iter().zip(&self.running) {
            let mut layer = Vec::new();
            match block {
                Block::Conv2d(conv) => {
                    layer.push(conv.weight.val().dims().to_vec());
                    transaction = transaction.register(conv.weight.val());
                    layer.push(conv.bias.val().dims().to_vec());
                    transaction = transaction.register(conv.bias.val());
                }
                Block::Dense(dense) => {
                    layer.push(dense.weight.val().dims().to_vec());
                    transaction = transaction.register(dense.weight.val());
                    layer.push(dense.bias.val().dims().to_vec());
                    transaction = transaction.register(dense.bias.val());
                }
                Block::BatchNorm(norm) | Block::LayerNorm(norm) => {
                    layer.push(norm.gamma.val().dims().to_vec());
                    transaction = transaction.register(norm.gamma.val());
                    layer.push(norm.beta.val().dims().to_vec());
                    transaction = transaction.register(norm.beta.val());
                }
                Block::Plain(_) => {}
            }
            if let Some(running) = running {
                layer.push(running.mean.dims().to_vec());
                transaction = transaction.register(running.mean.clone());
                layer.push(running.var.dims().to_vec());
                transaction = transaction.register(running.var.clone());
            }
            shapes.push(layer);
        }
        let mut data = floats(transaction.execute_async().await.map_err(readback)?);
        Ok(shapes
            .into_iter()
            .map(|layer| {
                layer
                    .into_iter()
                    .map(|shape| HostTensor {
                        shape,
                        values: data.next().unwrap_or_default(),
                    })
                    .collect()
            })
            .collect())
    }
}

/// The playground's probe: a grid of the plane (as rows of the network's features), kept on
/// the device, and the taps whose values it reads over the grid. Without a grid (a table of
/// more than two columns has no plane to draw) it reads the losses and weights only.
pub struct PlaneProbe {
    grid: Option<Tensor<2>>,
    taps: Vec<usize>,
}

impl PlaneProbe {
    /// `grid` holds one row of features per grid point.
    ///
    /// # Errors
    /// The grid's columns do not fit the network's input.
    pub fn new(trainer: &Trainer, grid: &Rows, taps: Vec<usize>) -> Result<PlaneProbe, TrainError> {
        if trainer.network.input.image().is_some() || trainer.network.input.values() != grid.columns
        {
            return Err(TrainError::SizeMismatch {
                expected: format!("{}", trainer.network.input.shape()),
                actual: format!("{} columns", grid.columns),
            });
        }
        Ok(PlaneProbe {
            grid: Some(super::tensors::rows_tensor(grid, &trainer.device)),
            taps,
        })
    }

    /// A probe that reads losses, accuracies and weights but nothing over a grid.
    pub fn without_grid() -> PlaneProbe {
        PlaneProbe {
            grid: None,
            taps: Vec::new(),
        }
    }

    /// Reads everything the playground draws, in one transaction.
    ///
    /// # Errors
    /// The device failed to return the data (for example, a lost GPU).
    pub async fn read(&self, trainer: &Trainer) -> Result<Snapshot, TrainError> {
        let model: Model = trainer.model.valid();
        let mode = Mode::Eval(&trainer.running);
        let network = &trainer.network;
        let head = network.head;
        let classification = matches!(head, Head::Classification { .. });
        let loss_and_argmax = |set: &EvalSet| {
            let forward = model.forward_prefix(set.inputs.clone(), network.score_tap(), &mode);
            let scores = forward.flat(network.score_tap());
            let loss = super::loss::data_loss(head, scores.clone(), set.targets.clone());
            (loss, scores.clone().argmax(1), scores)
        };
        let train = trainer.train_eval.as_ref().unwrap_or(&trainer.val);
        let (train_loss, train_argmax, _) = loss_and_argmax(train);
        let (test_loss, test_argmax, test_scores) = loss_and_argmax(&trainer.val);
        let grid = self.grid.as_ref().map(|grid| {
            model.forward_prefix(Value::Flat(grid.clone()), network.score_tap(), &mode)
        });
        let mut transaction = Transaction::default()
            .register(train_loss)
            .register(test_loss);
        if classification {
            transaction = transaction
                .register::<2, Int>(train_argmax)
                .register::<2, Int>(test_argmax)
                .register(test_scores);
        }
        if let Some(grid) = &grid {
            let output = grid.flat(network.score_tap());
            transaction = transaction.register(if classification {
                softmax(output, 1)
            } else {
                output
            });
            for &tap in &self.taps {
                transaction = transaction.register(grid.flat(tap));
            }
        }
        let mut dense_shapes = Vec::new();
        for block in &model.blocks {
            if let Block::Dense(dense) = block {
                dense_shapes.push(dense.weight.val().dims());
                transaction = transaction
                    .register(dense.weight.val())
                    .register(dense.bias.val());
            }
        }
        let mut data = transaction
            .execute_async()
            .await
            .map_err(readback)?
            .into_iter();
        let mut next = || data.next();
        let scalar = |data: Option<TensorData>| {
            data.and_then(|data| data.iter::<f32>().next())
                .unwrap_or(f32::NAN)
        };
        let train_loss = scalar(next());
        let test_loss = scalar(next());
        let (train_accuracy, test_accuracy, test_logits) = if classification {
            (
                Some(accuracy(next(), train.labels_host.as_deref())),
                Some(accuracy(next(), trainer.val.labels_host.as_deref())),
                next()
                    .map(|data| data.iter::<f32>().collect())
                    .unwrap_or_default(),
            )
        } else {
            (None, None, Vec::new())
        };
        let mut values = || -> Vec<f32> {
            next()
                .map(|data| data.iter::<f32>().collect())
                .unwrap_or_default()
        };
        let (output_grid, neuron_grids) = if grid.is_some() {
            let output = values();
            (output, self.taps.iter().map(|_| values()).collect())
        } else {
            (Vec::new(), Vec::new())
        };
        let layers = dense_shapes
            .into_iter()
            .map(|[fan_in, units]| LayerWeights {
                fan_in,
                units,
                weights: values(),
                biases: values(),
            })
            .collect();
        Ok(Snapshot {
            epoch: trainer.epoch(),
            train_loss,
            test_loss,
            train_accuracy,
            test_accuracy,
            test_logits,
            test_labels: trainer.val.labels_host.clone().unwrap_or_default(),
            output_grid,
            neuron_grids,
            layers,
        })
    }
}

/// The taps the playground draws as neurons: for each hidden Dense layer (all but the last),
/// the output after the norms, activations, skip and dropout that follow it.
pub fn neuron_taps(layers: &[Layer]) -> Vec<usize> {
    let dense: Vec<usize> = layers
        .iter()
        .enumerate()
        .filter(|(_, layer)| matches!(layer, Layer::Dense { .. }))
        .map(|(at, _)| at)
        .collect();
    let hidden = dense.len().saturating_sub(1);
    dense[..hidden]
        .iter()
        .map(|&at| {
            let mut end = at + 1;
            while matches!(
                layers.get(end),
                Some(
                    Layer::Activation(_)
                        | Layer::BatchNorm
                        | Layer::LayerNorm
                        | Layer::Dropout { .. }
                        | Layer::Add { .. }
                )
            ) {
                end += 1;
            }
            end
        })
        .collect()
}

#[allow(clippy::cast_precision_loss)] // sample counts are small
fn accuracy(predictions: Option<TensorData>, classes: Option<&[u8]>) -> f32 {
    let (Some(predictions), Some(classes)) = (predictions, classes) else {
        return f32::NAN;
    };
    if classes.is_empty() {
        return 0.0;
    }
    let correct = predictions
        .iter::<i64>()
        .zip(classes)
        .filter(|&(predicted, &class)| predicted == i64::from(class))
        .count();
    correct as f32 / classes.len() as f32
}
