//! The Burn module built from a [`NetworkSpec`]: a stack of dense layers.
//!
//! Initial weights come from our own seeded generator rather than Burn's, so the same seed
//! gives the same starting network on the CPU and on WebGPU, and a shared link reproduces it.

use crate::spec::Activation;
pub use crate::weights::{LayerWeights, initial_weights};
use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::activation::{relu, sigmoid, tanh};
use burn::tensor::{Device, Tensor, TensorData};

/// A multilayer perceptron: hidden dense layers with their activations, then the output layer
/// (logits for classification, one value for regression).
#[derive(Debug, Clone)]
pub struct Mlp {
    /// Hidden layers first, the output layer last.
    pub layers: Vec<Linear>,
    /// One per hidden layer.
    pub activations: Vec<Activation>,
}

impl Mlp {
    /// Builds the network on `device` with the given numbers (from [`initial_weights`] or a
    /// previous run).
    pub fn from_weights(
        weights: &[LayerWeights],
        activations: Vec<Activation>,
        device: &Device,
    ) -> Mlp {
        let layers = weights
            .iter()
            .map(|layer| Linear {
                weight: Param::from_tensor(Tensor::from_data(
                    TensorData::new(layer.weights.clone(), [layer.fan_in, layer.units]),
                    device,
                )),
                bias: Some(Param::from_tensor(Tensor::from_data(
                    TensorData::new(layer.biases.clone(), [layer.units]),
                    device,
                ))),
            })
            .collect();
        Mlp {
            layers,
            activations,
        }
    }

    /// Runs the network.
    ///
    /// # Shapes
    ///   - input `[batch, features]`
    ///   - returns `[batch, outputs]`: logits, or the regression value
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        forward_layers(&self.layers, &self.activations, input)
            .pop()
            .expect("forward_layers returns one tensor per layer and there is an output layer")
    }
}

/// Runs `layers` on `input` and returns every layer's output: each hidden layer after its
/// activation, then the output layer's raw output.
pub fn forward_layers(
    layers: &[Linear],
    activations: &[Activation],
    input: Tensor<2>,
) -> Vec<Tensor<2>> {
    let mut outputs = Vec::with_capacity(layers.len());
    let mut x = input;
    for (index, layer) in layers.iter().enumerate() {
        x = layer.forward(x);
        if let Some(activation) = activations.get(index) {
            x = activate(x, *activation);
        }
        outputs.push(x.clone());
    }
    outputs
}

fn activate(x: Tensor<2>, activation: Activation) -> Tensor<2> {
    match activation {
        Activation::Relu => relu(x),
        Activation::Tanh => tanh(x),
        Activation::Sigmoid => sigmoid(x),
        Activation::Linear => x,
    }
}
