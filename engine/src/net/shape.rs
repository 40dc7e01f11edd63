//! A tensor's shape per sample: an image or a flat vector.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A tensor's shape per sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Shape {
    Image {
        channels: usize,
        height: usize,
        width: usize,
    },
    Flat(usize),
}

impl Shape {
    pub fn elements(self) -> usize {
        match self {
            Shape::Image {
                channels,
                height,
                width,
            } => channels * height * width,
            Shape::Flat(units) => units,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Image {
                channels,
                height,
                width,
            } => write!(f, "{channels}×{height}×{width}"),
            Shape::Flat(units) => write!(f, "{units}"),
        }
    }
}
