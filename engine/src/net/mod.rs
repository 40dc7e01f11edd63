//! The network a person draws, as plain serde data with no tensors: its input, its layers
//! and its head ([`Network`]), and the shape inference that checks and sizes it on every edit
//! ([`infer_graph`]). The playground, the image lab and a table of numbers all use this one
//! type; the tensor half (`compute`) builds and trains it.

mod infer;
mod input;
mod layer;
mod limits;
mod network;
mod shape;
mod token;

pub use infer::{
    Fix, GraphError, GraphReport, LayerInfo, MAX_CLASSES, MAX_LAYERS, MAX_SIDE, MAX_WIDTH,
    infer_body, infer_graph,
};
pub use input::{Feature, ImageSize, Input};
pub use layer::{Act, Layer};
pub use limits::{DeviceLimits, check_limits};
pub use network::{Head, Network};
pub use shape::Shape;
