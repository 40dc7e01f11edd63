//! Where the training samples wait between batches, and how one batch is put together.
//!
//! Images stay on the device as floats when they fit, and each batch is gathered with
//! `select`; with augmentation, or when they would take over [`HOST_BATCHES_ABOVE_BYTES`] as
//! floats, they stay on the host as bytes and each batch is augmented and uploaded when used.
//! Rows (points, tables) are small: each epoch's shuffled rows go up once and every batch is a
//! slice of them.

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::tensors::{images_tensor, labels_tensor, rows_tensor, targets_tensor};
use super::value::Value;
use crate::data::Rng;
use crate::images::ImageSet;
use crate::photos::Augment;
use crate::samples::{Rows, Samples, Targets};

/// Training images above this many bytes as floats stay on the host as bytes and go to the
/// device a batch at a time (10,000 64×64 colour photos are 491 MB as floats, 123 MB as bytes).
pub const HOST_BATCHES_ABOVE_BYTES: usize = 256 << 20;

enum Store {
    /// All images as floats on the training device `[count, channels, height, width]`.
    DeviceImages(Box<Tensor<4>>),
    /// Images as bytes on the host, augmented and uploaded one batch at a time.
    HostImages {
        set: ImageSet,
        augment: Augment,
        rng: Rng,
    },
    Rows(Rows),
}

/// One epoch's order of the training samples.
pub(crate) struct EpochOrder {
    host: Vec<usize>,
    /// Images only: the order on the device, for gathering with `select`.
    device: Option<Tensor<1, Int>>,
    /// Rows only: the epoch's shuffled inputs and targets (training device) and classes.
    rows: Option<(Tensor<2>, Tensor<2>, Option<Tensor<1, Int>>)>,
}

/// What one batch holds.
pub(crate) struct Batch {
    pub inputs: Value,
    /// One-hot classes or values, on the training device.
    pub targets: Tensor<2>,
    /// Class indices on the plain device, for counting correct predictions.
    pub labels: Option<Tensor<1, Int>>,
}

/// The training samples and their targets.
pub(crate) struct TrainSet {
    store: Store,
    targets: Tensor<2>,
    labels: Option<Tensor<1, Int>>,
    classes: usize,
    count: usize,
    device: Device,
    train_device: Device,
}

impl TrainSet {
    pub fn new(
        samples: &Samples,
        classes: usize,
        augment: Augment,
        seed: u64,
        device: &Device,
        train_device: &Device,
    ) -> TrainSet {
        let store = match samples {
            Samples::Images(set) => {
                if augment.any() || set.pixels.len() * 4 > HOST_BATCHES_ABOVE_BYTES {
                    Store::HostImages {
                        set: set.clone(),
                        augment,
                        rng: Rng::new(seed ^ 0xA06_3E47),
                    }
                } else {
                    Store::DeviceImages(Box::new(images_tensor(set, train_device)))
                }
            }
            Samples::Rows(rows) => Store::Rows(rows.clone()),
        };
        let (targets, labels) = match samples {
            Samples::Images(set) => (
                targets_tensor(&Targets::Classes(set.labels.clone()), classes, train_device),
                Some(labels_tensor(&set.labels, device)),
            ),
            Samples::Rows(rows) => (
                targets_tensor(&rows.targets, classes, train_device),
                samples.labels().map(|labels| labels_tensor(labels, device)),
            ),
        };
        TrainSet {
            store,
            targets,
            labels,
            classes,
            count: samples.len(),
            device: device.clone(),
            train_device: train_device.clone(),
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    /// Starts an epoch in `order`.
    pub fn start_epoch(&mut self, order: Vec<usize>) -> EpochOrder {
        let device = (!matches!(self.store, Store::Rows(_))).then(|| {
            let indices: Vec<i64> = order
                .iter()
                .map(|&i| i64::try_from(i).unwrap_or(0))
                .collect();
            Tensor::<1, Int>::from_data(TensorData::new(indices, [order.len()]), &self.device)
        });
        let rows = match &self.store {
            Store::Rows(rows) => {
                let shuffled = rows.subset(&order);
                Some((
                    rows_tensor(&shuffled, &self.train_device),
                    targets_tensor(&shuffled.targets, self.classes, &self.train_device),
                    match &shuffled.targets {
                        Targets::Classes(labels) => Some(labels_tensor(labels, &self.device)),
                        Targets::Values(_) => None,
                    },
                ))
            }
            _ => None,
        };
        EpochOrder {
            host: order,
            device,
            rows,
        }
    }

    /// The `len` samples from `position` of the epoch's order.
    pub fn batch(&mut self, epoch: &EpochOrder, position: usize, len: usize) -> Batch {
        if let Some((inputs, targets, labels)) = &epoch.rows {
            return Batch {
                inputs: Value::Flat(inputs.clone().narrow(0, position, len)),
                targets: targets.clone().narrow(0, position, len),
                labels: labels.as_ref().map(|l| l.clone().narrow(0, position, len)),
            };
        }
        let Some(order) = &epoch.device else {
            // Rows always have their epoch upload (above); an order without either is empty.
            return Batch {
                inputs: Value::Flat(Tensor::zeros([0, 1], &self.train_device)),
                targets: Tensor::zeros([0, self.classes.max(1)], &self.train_device),
                labels: None,
            };
        };
        let picked = order.clone().narrow(0, position, len);
        let on_train_device = picked.clone().to_device(&self.train_device);
        let inputs = match &mut self.store {
            Store::DeviceImages(all) => {
                Value::Image((**all).clone().select(0, on_train_device.clone()))
            }
            Store::HostImages { set, augment, rng } => {
                let mut batch = set.subset(&epoch.host[position..position + len]);
                if augment.any() {
                    let size = batch.size;
                    let per = size.channels * size.height * size.width;
                    for index in 0..batch.len() {
                        let image = &mut batch.pixels[index * per..(index + 1) * per];
                        let changed = augment.apply(image, size, rng);
                        image.copy_from_slice(&changed);
                    }
                }
                Value::Image(images_tensor(&batch, &self.train_device))
            }
            Store::Rows(rows) => Value::Flat(rows_tensor(
                &rows.subset(&epoch.host[position..position + len]),
                &self.train_device,
            )),
        };
        Batch {
            inputs,
            targets: self.targets.clone().select(0, on_train_device),
            labels: self.labels.clone().map(|labels| labels.select(0, picked)),
        }
    }
}
