//! A tensor flowing through the graph: an image batch or a flat batch.

use burn::tensor::Tensor;

/// A batch of images `[batch, channels, height, width]` or of vectors `[batch, values]`.
#[derive(Clone, Debug)]
pub enum Value {
    Image(Tensor<4>),
    Flat(Tensor<2>),
}

impl Value {
    /// The tensor as `[batch, values]`.
    pub fn flat(self) -> Tensor<2> {
        match self {
            Value::Image(tensor) => tensor.flatten(1, 3),
            Value::Flat(tensor) => tensor,
        }
    }

    /// The tensor as images; a flat batch becomes `[batch, values, 1, 1]` (shape inference
    /// never lets an image layer see one).
    pub fn image(self) -> Tensor<4> {
        match self {
            Value::Image(tensor) => tensor,
            Value::Flat(tensor) => tensor.unsqueeze_dims(&[2, 3]),
        }
    }

    /// Applies `f` to the tensor whatever its rank.
    pub(crate) fn map(
        self,
        image: impl FnOnce(Tensor<4>) -> Tensor<4>,
        flat: impl FnOnce(Tensor<2>) -> Tensor<2>,
    ) -> Value {
        match self {
            Value::Image(tensor) => Value::Image(image(tensor)),
            Value::Flat(tensor) => Value::Flat(flat(tensor)),
        }
    }

    /// Cut from the graph: no gradient flows back through it.
    pub fn detach(self) -> Value {
        self.map(Tensor::detach, Tensor::detach)
    }
}
