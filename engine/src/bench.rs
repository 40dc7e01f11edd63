//! The reference workloads Agora is timed on, here and beside TensorFlow.js in the same
//! browser (`tests/bench/speed.mjs`), and the timing rule both sides follow.
//!
//! Each workload trains through the same trainer a person's training uses on synthetic data of
//! the right shape (the spiral for the playground net), with Adam at
//! a learning rate of 1e-3. Timing: a warm-up (which compiles GPU kernels), then segments of
//! at least [`TimingPlan::min_steps`] steps and [`TimingPlan::min_ms`], each closed by one
//! read so queued GPU work is counted; the figure is the median segment.

use serde::{Deserialize, Serialize};

use crate::data::{DatasetConfig, DatasetKind, Rng};
use crate::images::ImageSet;
use crate::net::{Act, Feature, Head, ImageSize, Input, Layer, Network};

#[cfg(feature = "burn")]
pub use trainer::measure;

/// One reference network and its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Workload {
    /// 784 → 128 ReLU → 10, cross-entropy, batch 64.
    Mlp,
    /// 28×28×1: conv 8@3×3 ReLU → max-pool 2 → conv 16@3×3 ReLU → max-pool 2 → dense 10, batch 64.
    Cnn,
    /// TensorFlow Playground's size: 2 inputs → 8 tanh → 8 tanh → 2 classes on the spiral, batch 10.
    Playground,
}

/// Learning rate of every workload (Adam).
pub const LEARNING_RATE: f64 = 1e-3;

impl Workload {
    pub const ALL: [Workload; 3] = [Workload::Mlp, Workload::Cnn, Workload::Playground];

    pub fn key(self) -> &'static str {
        match self {
            Workload::Mlp => "mlp",
            Workload::Cnn => "cnn",
            Workload::Playground => "playground",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Workload::Mlp => "MLP 784-128-10",
            Workload::Cnn => "CNN 28×28 conv8-pool-conv16-pool-dense10",
            Workload::Playground => "Playground 2-8-8-2, spiral",
        }
    }

    pub fn batch_size(self) -> usize {
        match self {
            Workload::Mlp | Workload::Cnn => 64,
            Workload::Playground => 10,
        }
    }

    /// The image network of the MLP and CNN workloads (`None` for the playground).
    /// The workload's network.
    pub fn network(self) -> Network {
        let input = ImageSize {
            channels: 1,
            height: 28,
            width: 28,
        };
        let conv = |filters| Layer::Conv2d {
            filters,
            kernel: 3,
            stride: 1,
            padding: 0,
            dilation: 1,
        };
        let layers = match self {
            Workload::Mlp => vec![
                Layer::Flatten,
                Layer::Dense { units: 128 },
                Layer::Activation(Act::Relu),
                Layer::Dense { units: 10 },
                Layer::Softmax,
            ],
            Workload::Cnn => vec![
                conv(8),
                Layer::Activation(Act::Relu),
                Layer::MaxPool { size: 2, stride: 2 },
                conv(16),
                Layer::Activation(Act::Relu),
                Layer::MaxPool { size: 2, stride: 2 },
                Layer::Flatten,
                Layer::Dense { units: 10 },
                Layer::Softmax,
            ],
            Workload::Playground => {
                return Network::dense(
                    Input::Points {
                        features: vec![Feature::X1, Feature::X2],
                    },
                    &[(8, Some(Act::Tanh)), (8, Some(Act::Tanh))],
                    Head::Classification { classes: 2 },
                );
            }
        };
        Network {
            input: Input::Image(input),
            layers,
            head: Head::Classification { classes: 10 },
        }
    }

    pub fn playground_dataset(seed: u64) -> DatasetConfig {
        DatasetConfig {
            kind: DatasetKind::Spiral,
            noise_percent: 0,
            train_percent: 90,
            classes: 2,
            seed,
        }
    }
}

/// Uniformly random pixels and labels: the right shape, nothing to learn.
pub fn synthetic_images(size: ImageSize, classes: usize, count: usize, seed: u64) -> ImageSet {
    let mut rng = Rng::new(seed);
    let pixels = (0..count * size.channels * size.height * size.width)
        .map(|_| u8::try_from(rng.below(256)).unwrap_or(0))
        .collect();
    let labels = (0..count)
        .map(|_| u8::try_from(rng.below(classes)).unwrap_or(0))
        .collect();
    ImageSet {
        size,
        class_names: (0..classes).map(|class| class.to_string()).collect(),
        labels,
        pixels,
    }
}

/// How a backend is timed on a workload.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimingPlan {
    /// Steps before timing (kernels compile, buffers settle).
    pub warmup_steps: usize,
    /// Each timed segment has at least this many steps…
    pub min_steps: usize,
    /// …and lasts at least this long.
    pub min_ms: f64,
    /// Segments wanted (the median is reported).
    pub segments: usize,
    /// No new segment starts after this much timing (slow devices get fewer segments).
    pub budget_ms: f64,
}

impl Default for TimingPlan {
    fn default() -> Self {
        TimingPlan {
            warmup_steps: 5,
            min_steps: 20,
            min_ms: 1_000.0,
            segments: 3,
            budget_ms: 20_000.0,
        }
    }
}

/// What one backend did on one workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Samples per second of each timed segment, in order.
    pub segments: Vec<f64>,
    /// Steps timed in all.
    pub steps: usize,
    pub batch_size: usize,
}

impl Timing {
    /// The median segment's samples per second.
    pub fn median(&self) -> f64 {
        median(&self.segments)
    }

    /// The fastest segment's samples per second.
    pub fn best(&self) -> f64 {
        self.segments.iter().copied().fold(0.0, f64::max)
    }
}

/// The median of `values` (0 for none).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return 0.0;
    }
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        f64::midpoint(sorted[middle - 1], sorted[middle])
    }
}

/// The half that needs tensors: building a workload on a device and timing it.
#[cfg(feature = "burn")]
mod trainer {
    use super::{LEARNING_RATE, Timing, TimingPlan, Workload, synthetic_images};
    use crate::compute::Trainer;
    use crate::data::Dataset;
    use crate::net::Input;
    use crate::recipe::{Optimizer, Recipe};
    use crate::samples::{Rows, Samples};
    use burn::tensor::Device;

    /// Training images per synthetic epoch.
    const SYNTHETIC_IMAGES: usize = 64 * 16;

    impl Workload {
        /// The workload's trainer on `device`: Adam at [`LEARNING_RATE`], the workload's batch.
        ///
        /// # Errors
        /// The device cannot hold the workload.
        pub fn trainer(self, device: &Device, seed: u64) -> Result<Trainer, String> {
            let network = self.network();
            let recipe = Recipe {
                optimizer: Optimizer::Adam,
                learning_rate: LEARNING_RATE,
                batch_size: self.batch_size(),
                epochs: usize::MAX,
                ..Recipe::default()
            };
            let (train, val) = match &network.input {
                Input::Image(size) => (
                    Samples::Images(synthetic_images(*size, 10, SYNTHETIC_IMAGES, seed)),
                    Samples::Images(synthetic_images(*size, 10, 64, seed ^ 1)),
                ),
                Input::Points { features } => {
                    let config = Workload::playground_dataset(seed);
                    let dataset = Dataset::generate(config);
                    let rows = |points| Rows::from_points(points, features, network.head);
                    (
                        Samples::Rows(rows(&dataset.train)),
                        Samples::Rows(rows(&dataset.test)),
                    )
                }
                _ => return Err("the workload has no data".into()),
            };
            let mut trainer = Trainer::new(device, &network, &train, &val, recipe, None, seed)
                .map_err(|error| error.to_string())?;
            // As the playground trains it: its losses come from the plane probe.
            trainer.track_epoch_metrics(network.input.image().is_some());
            Ok(trainer)
        }
    }

    /// Queues `count` optimizer steps, one batch at a time (`train_batches` stops at the end
    /// of an epoch); reads nothing.
    fn run_steps(trainer: &mut Trainer, count: usize) {
        for _ in 0..count {
            trainer.train_batches(1);
        }
    }

    async fn sync(trainer: &Trainer) -> Result<(), String> {
        trainer.sync().await.map_err(|error| error.to_string())
    }

    /// Times `trainer` by `plan`, with `now` a millisecond clock.
    ///
    /// # Errors
    /// The device failed during a read.
    pub async fn measure(
        trainer: &mut Trainer,
        batch_size: usize,
        plan: TimingPlan,
        now: &dyn Fn() -> f64,
    ) -> Result<Timing, String> {
        run_steps(trainer, plan.warmup_steps);
        sync(trainer).await?;
        let started = now();
        let mut segments = Vec::new();
        let mut steps_total = 0;
        while segments.len() < plan.segments.max(1)
            && (segments.is_empty() || now() - started < plan.budget_ms)
        {
            let start = now();
            let mut steps = 0;
            let mut chunk = plan.min_steps.clamp(1, 10);
            loop {
                run_steps(trainer, chunk);
                sync(trainer).await?;
                steps += chunk;
                let elapsed = now() - start;
                if steps >= plan.min_steps && elapsed >= plan.min_ms {
                    #[allow(clippy::cast_precision_loss)]
                    segments.push((steps * batch_size) as f64 / (elapsed.max(1e-3) / 1_000.0));
                    break;
                }
                // Fast devices take bigger chunks, so reads stay rare.
                if elapsed < plan.min_ms / 4.0 {
                    chunk = (chunk * 2).min(1_000);
                }
            }
            steps_total += steps;
        }
        Ok(Timing {
            segments,
            steps: steps_total,
            batch_size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert!((median(&[3.0, 1.0, 2.0]) - 2.0).abs() < 1e-12);
        assert!((median(&[4.0, 1.0, 2.0, 3.0]) - 2.5).abs() < 1e-12);
        assert!(median(&[]).abs() < 1e-12);
    }

    #[test]
    fn synthetic_images_have_the_asked_shape_and_all_classes_in_range() {
        let size = ImageSize {
            channels: 1,
            height: 28,
            width: 28,
        };
        let set = synthetic_images(size, 10, 100, 7);
        assert_eq!(set.pixels.len(), 100 * 784);
        assert_eq!(set.labels.len(), 100);
        assert!(set.labels.iter().all(|&label| label < 10));
        assert_eq!(set.classes(), 10);
    }
}
