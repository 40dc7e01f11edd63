//! Activations and dropout, composed from Burn's ops so their gradients match PyTorch's.

use burn::tensor::activation::{leaky_relu, relu, sigmoid, tanh};
use burn::tensor::{Distribution, Tensor};

use crate::net::Act;

/// PyTorch's `LeakyReLU` default slope.
pub const LEAKY_SLOPE: f64 = 0.01;

pub(crate) fn activate<const D: usize>(x: Tensor<D>, act: Act) -> Tensor<D> {
    match act {
        Act::Relu => relu(x),
        Act::LeakyRelu => leaky_relu(x, LEAKY_SLOPE),
        // Composed from erf so the gradient is erf's exact derivative: Burn's fused GELU
        // backward on wgpu is off by ~1e-3 against PyTorch.
        Act::Gelu => {
            x.clone()
                * (x.div_scalar(std::f64::consts::SQRT_2).erf().add_scalar(1.0)).mul_scalar(0.5)
        }
        Act::Tanh => tanh(x),
        Act::Sigmoid => sigmoid(x),
    }
}

/// Zeroes each value with probability `1 - keep` and scales the rest by `1 / keep`.
pub(crate) fn dropout<const D: usize>(x: Tensor<D>, keep: f64) -> Tensor<D> {
    let mask = Tensor::<D>::random(x.shape(), Distribution::Bernoulli(keep), &x.device());
    (x * mask).div_scalar(keep)
}
