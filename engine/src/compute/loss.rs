//! What training minimises: softmax cross-entropy or mean squared error, plus the recipe's
//! L1 or L2 penalty on the weights.

use burn::tensor::Tensor;
use burn::tensor::activation::log_softmax;

use super::model::{Block, Model};
use crate::net::Head;
use crate::recipe::Penalty;

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

/// Mean squared error.
///
/// # Shapes
///   - output, targets `[batch, outputs]`
///   - returns `[1]`
pub fn mean_squared_error(output: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    (output - targets).square().mean()
}

/// The head's loss on its scores (logits, or the predicted values).
pub fn data_loss(head: Head, scores: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    match head {
        Head::Classification { .. } => cross_entropy(scores, targets),
        Head::Regression => mean_squared_error(scores, targets),
    }
}

/// `rate · Σ|w|` (L1) or `rate · ½ Σw²` (L2) over every Dense and Conv2d weight; `None` when
/// there is no penalty.
pub fn penalty(model: &Model, kind: Penalty, rate: f64) -> Option<Tensor<1>> {
    if kind == Penalty::None || rate <= 0.0 {
        return None;
    }
    let mut total: Option<Tensor<1>> = None;
    for block in &model.blocks {
        let value = match block {
            Block::Dense(dense) => weight_penalty(dense.weight.val(), kind),
            Block::Conv2d(conv) => weight_penalty(conv.weight.val(), kind),
            _ => continue,
        };
        total = Some(match total {
            Some(sum) => sum + value,
            None => value,
        });
    }
    total.map(|sum| sum.mul_scalar(rate))
}

fn weight_penalty<const D: usize>(weight: Tensor<D>, kind: Penalty) -> Tensor<1> {
    match kind {
        Penalty::L1 => weight.abs().sum(),
        _ => weight.square().sum().mul_scalar(0.5),
    }
}
