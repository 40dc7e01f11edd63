//! Batch and layer normalisation, written here so their running statistics follow PyTorch
//! exactly (unbiased running variance, momentum 0.1, ε = 1e-5).

use burn::module::Param;
use burn::prelude::Module;
use burn::tensor::Tensor;

use super::value::Value;

/// PyTorch's `BatchNorm` defaults.
pub const BATCH_NORM_MOMENTUM: f64 = 0.1;
pub const NORM_EPSILON: f64 = 1e-5;

/// A batch-norm layer's running statistics (not trained by gradients).
#[derive(Clone, Debug)]
pub struct Running {
    pub mean: Tensor<1>,
    pub var: Tensor<1>,
}

impl Running {
    /// PyTorch's update: `running ← (1 − momentum) · running + momentum · batch`.
    pub fn update(&mut self, batch: &Running) {
        let keep = 1.0 - BATCH_NORM_MOMENTUM;
        self.mean = self.mean.clone().mul_scalar(keep)
            + batch.mean.clone().inner().mul_scalar(BATCH_NORM_MOMENTUM);
        self.var = self.var.clone().mul_scalar(keep)
            + batch.var.clone().inner().mul_scalar(BATCH_NORM_MOMENTUM);
    }
}

/// A norm's learned scale and shift, per channel (batch norm) or per value (layer norm).
#[derive(Module, Debug)]
pub struct NormBlock {
    pub gamma: Param<Tensor<1>>,
    pub beta: Param<Tensor<1>>,
}

impl NormBlock {
    /// Batch norm with this batch's statistics; returns them (mean, unbiased variance).
    pub fn batch_train(&self, x: Value) -> (Value, Running) {
        let (mean, var) = channel_moments(&x);
        let count = match &x {
            Value::Image(t) => {
                let [n, _, h, w] = t.dims();
                n * h * w
            }
            Value::Flat(t) => t.dims()[0],
        };
        #[allow(clippy::cast_precision_loss)]
        let unbias = count as f64 / (count.max(2) - 1) as f64;
        let stats = Running {
            mean: mean.clone().flat().flatten(0, 1).detach(),
            var: var.clone().flat().flatten(0, 1).detach().mul_scalar(unbias),
        };
        (self.normalize(x, mean, var), stats)
    }

    /// Batch norm with the running statistics.
    pub fn batch_eval(&self, x: Value, running: &Running) -> Value {
        let device = self.gamma.val().device();
        let mean = running.mean.clone().to_device(&device);
        let var = running.var.clone().to_device(&device);
        let (mean, var) = match &x {
            Value::Image(_) => (
                Value::Image(mean.reshape([1, -1, 1, 1])),
                Value::Image(var.reshape([1, -1, 1, 1])),
            ),
            Value::Flat(_) => (Value::Flat(mean.unsqueeze()), Value::Flat(var.unsqueeze())),
        };
        self.normalize(x, mean, var)
    }

    fn normalize(&self, x: Value, mean: Value, var: Value) -> Value {
        let (gamma, beta) = (self.gamma.val(), self.beta.val());
        match x {
            Value::Image(x) => {
                let (mean, var) = (mean.image(), var.image());
                let scale = gamma.reshape([1, -1, 1, 1]);
                let shift = beta.reshape([1, -1, 1, 1]);
                Value::Image((x - mean) / var.add_scalar(NORM_EPSILON).sqrt() * scale + shift)
            }
            Value::Flat(x) => Value::Flat(
                (x - mean.flat()) / var.flat().add_scalar(NORM_EPSILON).sqrt() * gamma.unsqueeze()
                    + beta.unsqueeze(),
            ),
        }
    }

    /// Layer norm: each sample over all its values (PyTorch `LayerNorm(shape of one sample)`).
    pub fn layer(&self, x: Value) -> Value {
        let (image_dims, flat) = match x {
            Value::Image(t) => (Some(t.dims()), t.flatten(1, 3)),
            Value::Flat(t) => (None, t),
        };
        let mean = flat.clone().mean_dim(1);
        let centred = flat - mean;
        let var = centred.clone().square().mean_dim(1);
        let y = centred / var.add_scalar(NORM_EPSILON).sqrt() * self.gamma.val().unsqueeze()
            + self.beta.val().unsqueeze();
        match image_dims {
            Some(dims) => Value::Image(y.reshape(dims)),
            None => Value::Flat(y),
        }
    }
}

/// Mean and biased variance over every dimension but the channel (dim 1), shaped to broadcast.
fn channel_moments(x: &Value) -> (Value, Value) {
    match x {
        Value::Image(x) => {
            let mean = x.clone().mean_dim(0).mean_dim(2).mean_dim(3);
            let var = (x.clone() - mean.clone())
                .square()
                .mean_dim(0)
                .mean_dim(2)
                .mean_dim(3);
            (Value::Image(mean), Value::Image(var))
        }
        Value::Flat(x) => {
            let mean = x.clone().mean_dim(0);
            let var = (x.clone() - mean.clone()).square().mean_dim(0);
            (Value::Flat(mean), Value::Flat(var))
        }
    }
}
