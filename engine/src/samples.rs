//! What a trainer learns from: images, or rows of numbers (points of the plane turned into
//! features, or a table's columns), each with a class or a number to predict.

use serde::{Deserialize, Serialize};

use crate::data::{Label, Point, grid_points};
use crate::images::ImageSet;
use crate::net::{Feature, Head};
use crate::snapshot::GRID;

/// What each sample should be predicted as.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Targets {
    /// A class index per sample.
    Classes(Vec<u8>),
    /// A number per sample (regression).
    Values(Vec<f32>),
}

impl Targets {
    pub fn len(&self) -> usize {
        match self {
            Targets::Classes(classes) => classes.len(),
            Targets::Values(values) => values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Only the samples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Targets {
        match self {
            Targets::Classes(classes) => {
                Targets::Classes(indices.iter().map(|&i| classes[i]).collect())
            }
            Targets::Values(values) => {
                Targets::Values(indices.iter().map(|&i| values[i]).collect())
            }
        }
    }
}

/// Samples as rows of numbers: `values` is `[samples, columns]`, row-major.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rows {
    pub columns: usize,
    pub values: Vec<f32>,
    pub targets: Targets,
    /// Classes the targets come from (0 for regression).
    pub classes: usize,
}

impl Rows {
    /// Points of the plane as rows of `features`, labelled for `head`.
    pub fn from_points(points: &[Point], features: &[Feature], head: Head) -> Rows {
        let mut values = Vec::with_capacity(points.len() * features.len());
        for point in points {
            values.extend(features.iter().map(|f| f.apply(point.x1, point.x2)));
        }
        let targets = match head {
            Head::Classification { .. } => Targets::Classes(
                points
                    .iter()
                    .map(|point| match point.label {
                        Label::Class(class) => u8::try_from(class).unwrap_or(u8::MAX),
                        Label::Value(_) => 0,
                    })
                    .collect(),
            ),
            Head::Regression => Targets::Values(
                points
                    .iter()
                    .map(|point| match point.label {
                        Label::Value(value) => value,
                        #[allow(clippy::cast_precision_loss)] // a class index is small
                        Label::Class(class) => class as f32,
                    })
                    .collect(),
            ),
        };
        Rows {
            columns: features.len(),
            values,
            targets,
            classes: head.classes(),
        }
    }

    /// The playground's grid over the plane (the `GRID × GRID` points of
    /// [`grid_points`], each coordinate times `scale`) as rows of `features`: what the plane
    /// probe reads.
    pub fn plane_grid(features: &[Feature], scale: f32) -> Rows {
        let points: Vec<Point> = grid_points(GRID)
            .into_iter()
            .map(|(x1, x2)| Point {
                x1: x1 * scale,
                x2: x2 * scale,
                label: Label::Value(0.0),
            })
            .collect();
        Rows::from_points(&points, features, Head::Regression)
    }

    pub fn len(&self) -> usize {
        self.targets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Only the rows at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Rows {
        let mut values = Vec::with_capacity(indices.len() * self.columns);
        for &index in indices {
            values
                .extend_from_slice(&self.values[index * self.columns..(index + 1) * self.columns]);
        }
        Rows {
            columns: self.columns,
            values,
            targets: self.targets.subset(indices),
            classes: self.classes,
        }
    }
}

/// A set of samples a trainer takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Samples {
    Images(ImageSet),
    Rows(Rows),
}

impl Samples {
    pub fn len(&self) -> usize {
        match self {
            Samples::Images(set) => set.len(),
            Samples::Rows(rows) => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Classes the samples are labelled from (0 for regression).
    pub fn classes(&self) -> usize {
        match self {
            Samples::Images(set) => set.classes(),
            Samples::Rows(rows) => rows.classes,
        }
    }

    /// The class of each sample, if the samples are labelled with classes.
    pub fn labels(&self) -> Option<&[u8]> {
        match self {
            Samples::Images(set) => Some(&set.labels),
            Samples::Rows(Rows {
                targets: Targets::Classes(classes),
                ..
            }) => Some(classes),
            Samples::Rows(_) => None,
        }
    }

    /// Only the samples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Samples {
        match self {
            Samples::Images(set) => Samples::Images(set.subset(indices)),
            Samples::Rows(rows) => Samples::Rows(rows.subset(indices)),
        }
    }

    /// Samples of each class that train and that validate (empty for regression).
    pub fn class_counts(train: &Samples, val: &Samples) -> Vec<(usize, usize)> {
        let count = |samples: &Samples| {
            let mut counts = vec![0; samples.classes()];
            for &label in samples.labels().unwrap_or_default() {
                if let Some(slot) = counts.get_mut(usize::from(label)) {
                    *slot += 1;
                }
            }
            counts
        };
        let (train, val) = (count(train), count(val));
        (0..train.len().max(val.len()))
            .map(|class| {
                (
                    train.get(class).copied().unwrap_or(0),
                    val.get(class).copied().unwrap_or(0),
                )
            })
            .collect()
    }
}
