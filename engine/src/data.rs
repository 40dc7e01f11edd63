//! The toy 2D datasets of TensorFlow Playground (circle, XOR, Gaussian, spiral; plane and
//! multi-Gaussian for regression), generated from a seed so a shared link reproduces them.
//!
//! Points live in the square `[-6, 6]²`. Classification labels are class indices; regression
//! targets lie in `[-1, 1]`. Generation follows TensorFlow Playground's `dataset.ts`; Gaussian
//! and spiral also take a class count (2 to 6), which the original does not offer.

use serde::{Deserialize, Serialize};

use crate::net::{Feature, Head};

/// Half the side of the square the points and heatmaps cover.
pub const DOMAIN: f32 = 6.0;
/// Points generated for a classification dataset.
pub const CLASSIFY_SAMPLES: usize = 500;
/// Points generated for a regression dataset.
pub const REGRESS_SAMPLES: usize = 1200;
/// Most classes the Gaussian and spiral sets can have.
pub const MAX_DATASET_CLASSES: usize = 6;

/// A small, seedable random number generator (SplitMix64), identical on every platform.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// Where the generator is, to go on from later ([`Rng::resume`]).
    pub fn state(&self) -> u64 {
        self.state
    }

    /// A generator going on from a [`state`](Rng::state).
    pub fn resume(state: u64) -> Self {
        Self { state }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    #[allow(clippy::cast_precision_loss)] // 53 bits fit an f64 mantissa exactly
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[low, high)`.
    #[allow(clippy::cast_possible_truncation)] // the f32 the data needs
    pub fn uniform(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.next_f64() as f32
    }

    /// Normal with the given mean and variance (Box–Muller).
    #[allow(clippy::cast_possible_truncation)]
    pub fn normal(&mut self, mean: f32, variance: f32) -> f32 {
        let u1 = self.next_f64().max(f64::MIN_POSITIVE);
        let u2 = self.next_f64();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        mean + variance.sqrt() * z as f32
    }

    /// An index in `0..len`; `len` must be nonzero.
    #[allow(clippy::cast_possible_truncation)] // the result is below len, a usize
    pub fn below(&mut self, len: usize) -> usize {
        (self.next_u64() % len as u64) as usize
    }

    /// Shuffles in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for index in (1..items.len()).rev() {
            let other = self.below(index + 1);
            items.swap(index, other);
        }
    }
}

/// Which toy dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DatasetKind {
    Circle,
    Xor,
    Gaussian,
    Spiral,
    Plane,
    MultiGaussian,
}

impl DatasetKind {
    pub const ALL: [DatasetKind; 6] = [
        DatasetKind::Circle,
        DatasetKind::Xor,
        DatasetKind::Gaussian,
        DatasetKind::Spiral,
        DatasetKind::Plane,
        DatasetKind::MultiGaussian,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DatasetKind::Circle => "Circle",
            DatasetKind::Xor => "XOR",
            DatasetKind::Gaussian => "Gaussian",
            DatasetKind::Spiral => "Spiral",
            DatasetKind::Plane => "Plane",
            DatasetKind::MultiGaussian => "Multi-Gaussian",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            DatasetKind::Circle => "circle",
            DatasetKind::Xor => "xor",
            DatasetKind::Gaussian => "gauss",
            DatasetKind::Spiral => "spiral",
            DatasetKind::Plane => "plane",
            DatasetKind::MultiGaussian => "multigauss",
        }
    }

    pub fn from_key(key: &str) -> Option<DatasetKind> {
        DatasetKind::ALL.into_iter().find(|kind| kind.key() == key)
    }

    pub fn is_regression(self) -> bool {
        matches!(self, DatasetKind::Plane | DatasetKind::MultiGaussian)
    }

    /// Whether the user can choose the number of classes (2 to [`MAX_DATASET_CLASSES`]).
    pub fn has_class_count(self) -> bool {
        matches!(self, DatasetKind::Gaussian | DatasetKind::Spiral)
    }
}

/// Everything that decides which points a dataset holds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetConfig {
    pub kind: DatasetKind,
    /// Noise from 0 to 50, in percent as TensorFlow Playground's slider.
    pub noise_percent: u32,
    /// Share of points used for training, 10 to 90 percent.
    pub train_percent: u32,
    /// Classes for Gaussian and spiral; ignored by the others (circle and XOR have 2).
    pub classes: usize,
    pub seed: u64,
}

impl DatasetConfig {
    /// The head a network needs for this dataset.
    pub fn head(&self) -> Head {
        if self.kind.is_regression() {
            Head::Regression
        } else {
            Head::Classification {
                classes: self.class_count(),
            }
        }
    }

    /// Classes this dataset really has (0 for regression).
    pub fn class_count(&self) -> usize {
        match self.kind {
            DatasetKind::Plane | DatasetKind::MultiGaussian => 0,
            DatasetKind::Circle | DatasetKind::Xor => 2,
            DatasetKind::Gaussian | DatasetKind::Spiral => {
                self.classes.clamp(2, MAX_DATASET_CLASSES)
            }
        }
    }
}

/// A point's label: a class index or a regression target in `[-1, 1]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Label {
    Class(usize),
    Value(f32),
}

/// A point of the plane with its label.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x1: f32,
    pub x2: f32,
    pub label: Label,
}

/// A generated dataset, split into train and test points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub config: DatasetConfig,
    pub train: Vec<Point>,
    pub test: Vec<Point>,
}

impl Dataset {
    /// Generates the points for `config`, shuffles them and splits them.
    pub fn generate(config: DatasetConfig) -> Dataset {
        let mut rng = Rng::new(config.seed);
        let noise = config.noise_percent.min(50) as f32 / 100.0;
        let classes = config.class_count();
        let mut points = match config.kind {
            DatasetKind::Circle => circle(&mut rng, CLASSIFY_SAMPLES, noise),
            DatasetKind::Xor => xor(&mut rng, CLASSIFY_SAMPLES, noise),
            DatasetKind::Gaussian => gaussian(&mut rng, CLASSIFY_SAMPLES, noise, classes),
            DatasetKind::Spiral => spiral(&mut rng, CLASSIFY_SAMPLES, noise, classes),
            DatasetKind::Plane => plane(&mut rng, REGRESS_SAMPLES, noise),
            DatasetKind::MultiGaussian => multi_gaussian(&mut rng, REGRESS_SAMPLES, noise),
        };
        // Wide Gaussians can reach past the edge; the heatmap only shows the domain.
        for point in &mut points {
            point.x1 = point.x1.clamp(-DOMAIN, DOMAIN);
            point.x2 = point.x2.clamp(-DOMAIN, DOMAIN);
        }
        rng.shuffle(&mut points);
        let train_percent = config.train_percent.clamp(10, 90) as usize;
        let train_len = points.len() * train_percent / 100;
        let test = points.split_off(train_len);
        Dataset {
            config,
            train: points,
            test,
        }
    }
}

/// The features of each point, row after row: `[points, features]` flattened.
pub fn feature_rows(points: &[Point], features: &[Feature]) -> Vec<f32> {
    let mut rows = Vec::with_capacity(points.len() * features.len());
    for point in points {
        rows.extend(features.iter().map(|f| f.apply(point.x1, point.x2)));
    }
    rows
}

/// The centres of a `resolution × resolution` grid over the domain, row by row from the top
/// (`x2 = +6`) down, each row from left (`x1 = -6`) to right: the heatmap pixels.
#[allow(clippy::cast_precision_loss)] // resolution is at most a few hundred
pub fn grid_points(resolution: usize) -> Vec<(f32, f32)> {
    let step = 2.0 * DOMAIN / resolution as f32;
    let mut points = Vec::with_capacity(resolution * resolution);
    for row in 0..resolution {
        let x2 = DOMAIN - (row as f32 + 0.5) * step;
        for column in 0..resolution {
            let x1 = -DOMAIN + (column as f32 + 0.5) * step;
            points.push((x1, x2));
        }
    }
    points
}

fn circle(rng: &mut Rng, samples: usize, noise: f32) -> Vec<Point> {
    let radius = 5.0;
    let label_of = |x1: f32, x2: f32| {
        if x1.hypot(x2) < radius * 0.5 {
            Label::Class(1)
        } else {
            Label::Class(0)
        }
    };
    let mut points = Vec::with_capacity(samples);
    for (low, high) in [(0.0, radius * 0.5), (radius * 0.7, radius)] {
        for _ in 0..samples / 2 {
            let r = rng.uniform(low, high);
            let angle = rng.uniform(0.0, std::f32::consts::TAU);
            let (x1, x2) = (r * angle.sin(), r * angle.cos());
            let noise_x1 = rng.uniform(-radius, radius) * noise;
            let noise_x2 = rng.uniform(-radius, radius) * noise;
            points.push(Point {
                x1,
                x2,
                label: label_of(x1 + noise_x1, x2 + noise_x2),
            });
        }
    }
    points
}

fn xor(rng: &mut Rng, samples: usize, noise: f32) -> Vec<Point> {
    let padding = 0.3;
    let mut points = Vec::with_capacity(samples);
    for _ in 0..samples {
        let mut x1 = rng.uniform(-5.0, 5.0);
        x1 += if x1 > 0.0 { padding } else { -padding };
        let mut x2 = rng.uniform(-5.0, 5.0);
        x2 += if x2 > 0.0 { padding } else { -padding };
        let noise_x1 = rng.uniform(-5.0, 5.0) * noise;
        let noise_x2 = rng.uniform(-5.0, 5.0) * noise;
        let positive = (x1 + noise_x1) * (x2 + noise_x2) >= 0.0;
        points.push(Point {
            x1,
            x2,
            label: Label::Class(usize::from(positive)),
        });
    }
    points
}

#[allow(clippy::cast_precision_loss)] // class counts are tiny
fn gaussian(rng: &mut Rng, samples: usize, noise: f32, classes: usize) -> Vec<Point> {
    let variance = 0.5 + (4.0 - 0.5) * (noise / 0.5);
    let centres: Vec<(f32, f32)> = if classes == 2 {
        vec![(-2.0, -2.0), (2.0, 2.0)]
    } else {
        (0..classes)
            .map(|class| {
                let angle = std::f32::consts::TAU * class as f32 / classes as f32;
                (3.5 * angle.cos(), 3.5 * angle.sin())
            })
            .collect()
    };
    let mut points = Vec::with_capacity(samples);
    for (class, &(c1, c2)) in centres.iter().enumerate() {
        for _ in 0..samples / classes {
            points.push(Point {
                x1: rng.normal(c1, variance),
                x2: rng.normal(c2, variance),
                label: Label::Class(class),
            });
        }
    }
    points
}

#[allow(clippy::cast_precision_loss)]
fn spiral(rng: &mut Rng, samples: usize, noise: f32, classes: usize) -> Vec<Point> {
    let per_class = samples / classes;
    let mut points = Vec::with_capacity(samples);
    for class in 0..classes {
        let delta = std::f32::consts::TAU * class as f32 / classes as f32;
        for index in 0..per_class {
            let progress = index as f32 / per_class as f32;
            let r = progress * 5.0;
            let t = 1.75 * progress * std::f32::consts::TAU + delta;
            let x1 = r * t.sin() + rng.uniform(-1.0, 1.0) * noise;
            let x2 = r * t.cos() + rng.uniform(-1.0, 1.0) * noise;
            points.push(Point {
                x1,
                x2,
                label: Label::Class(class),
            });
        }
    }
    points
}

fn plane(rng: &mut Rng, samples: usize, noise: f32) -> Vec<Point> {
    uniform_regression(rng, samples, noise, |x1, x2| {
        ((x1 + x2) / 10.0).clamp(-1.0, 1.0)
    })
}

/// Points uniform over the domain, each labelled with `value_at` a noisy copy of itself.
fn uniform_regression(
    rng: &mut Rng,
    samples: usize,
    noise: f32,
    value_at: impl Fn(f32, f32) -> f32,
) -> Vec<Point> {
    let radius = DOMAIN;
    let mut points = Vec::with_capacity(samples);
    for _ in 0..samples {
        let x1 = rng.uniform(-radius, radius);
        let x2 = rng.uniform(-radius, radius);
        let noise_x1 = rng.uniform(-radius, radius) * noise;
        let noise_x2 = rng.uniform(-radius, radius) * noise;
        points.push(Point {
            x1,
            x2,
            label: Label::Value(value_at(x1 + noise_x1, x2 + noise_x2)),
        });
    }
    points
}

fn multi_gaussian(rng: &mut Rng, samples: usize, noise: f32) -> Vec<Point> {
    const BUMPS: [(f32, f32, f32); 6] = [
        (-4.0, 2.5, 1.0),
        (0.0, 2.5, -1.0),
        (4.0, 2.5, 1.0),
        (-4.0, -2.5, -1.0),
        (0.0, -2.5, 1.0),
        (4.0, -2.5, -1.0),
    ];
    let value_at = |x1: f32, x2: f32| {
        let mut value = 0.0_f32;
        for (c1, c2, sign) in BUMPS {
            // Falls linearly from 1 at the centre to 0 at distance 2, as in the original.
            let bump = sign * (1.0 - (x1 - c1).hypot(x2 - c2) / 2.0).clamp(0.0, 1.0);
            if bump.abs() > value.abs() {
                value = bump;
            }
        }
        value
    };
    uniform_regression(rng, samples, noise, value_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(kind: DatasetKind) -> DatasetConfig {
        DatasetConfig {
            kind,
            noise_percent: 0,
            train_percent: 50,
            classes: 3,
            seed: 7,
        }
    }

    #[test]
    fn same_seed_same_points_other_seed_other_points() {
        let a = Dataset::generate(config(DatasetKind::Spiral));
        let b = Dataset::generate(config(DatasetKind::Spiral));
        assert_eq!(a, b);
        let c = Dataset::generate(DatasetConfig {
            seed: 8,
            ..config(DatasetKind::Spiral)
        });
        assert_ne!(a.train, c.train);
    }

    #[test]
    fn split_follows_train_percent_and_points_stay_in_domain() {
        for kind in DatasetKind::ALL {
            let data = Dataset::generate(DatasetConfig {
                train_percent: 30,
                ..config(kind)
            });
            let total = data.train.len() + data.test.len();
            assert_eq!(data.train.len(), total * 30 / 100, "{kind:?}");
            for point in data.train.iter().chain(&data.test) {
                assert!(
                    point.x1.abs() <= DOMAIN && point.x2.abs() <= DOMAIN,
                    "{kind:?}"
                );
                match point.label {
                    Label::Class(class) => assert!(class < data.config.class_count().max(2)),
                    Label::Value(value) => assert!((-1.0..=1.0).contains(&value)),
                }
            }
        }
    }

    #[test]
    fn classes_are_balanced_and_all_present() {
        let data = Dataset::generate(config(DatasetKind::Gaussian));
        let mut counts = [0usize; 3];
        for point in data.train.iter().chain(&data.test) {
            let Label::Class(class) = point.label else {
                panic!("gaussian is a classification set")
            };
            counts[class] += 1;
        }
        assert_eq!(counts, [166, 166, 166]);
    }

    #[test]
    fn grid_runs_top_left_to_bottom_right() {
        let grid = grid_points(4);
        assert_eq!(grid.len(), 16);
        assert_eq!(grid[0], (-4.5, 4.5));
        assert_eq!(grid[3], (4.5, 4.5));
        assert_eq!(grid[15], (4.5, -4.5));
    }
}
