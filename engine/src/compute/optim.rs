//! The optimizer a recipe asks for, each as its PyTorch namesake, with its state (momentum
//! buffers, Adam's moments, the step count) held here as plain tensors in parameter order, so
//! a saved project can take it along and a resumed run goes on as if never stopped; and
//! global-norm gradient clipping (PyTorch's `clip_grad_norm_`).

use burn::module::{Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData, Transaction};

use super::model::{Block, Model};
use crate::optimizer_state::{OptimizerState, ParamState};
use crate::recipe::{Optimizer, Recipe};

const BETA_1: f64 = 0.9;
const BETA_2: f64 = 0.999;
const ALPHA: f64 = 0.99;
const EPSILON: f64 = 1e-8;

/// The update rule and its state.
pub struct Optim {
    recipe: Recipe,
    /// Steps taken (Adam's bias correction counts them).
    steps: u64,
    /// Per parameter, in [`Model::param_ids`] order: its state, flattened, on the plain device.
    states: Vec<[Option<Tensor<1>>; 2]>,
}

/// Whether going from `old` to `new` needs a fresh optimizer (its state would not fit).
pub fn needs_new_optimizer(old: &Recipe, new: &Recipe) -> bool {
    new.optimizer != old.optimizer
        || new.nesterov != old.nesterov
        || new.weight_decay != old.weight_decay
        || new.momentum != old.momentum
}

impl Optim {
    pub fn new(recipe: &Recipe) -> Optim {
        Optim {
            recipe: *recipe,
            steps: 0,
            states: Vec::new(),
        }
    }

    /// A new recipe that keeps the state (the learning rate or schedule changed).
    pub fn set_recipe(&mut self, recipe: &Recipe) {
        self.recipe = *recipe;
    }

    /// The state as plain numbers, read from the device without blocking (WebGPU in a
    /// browser cannot read synchronously). `rng` is the trainer's shuffle state.
    ///
    /// # Errors
    /// The device could not return the data.
    pub async fn read(&self, rng: u64) -> Result<OptimizerState, String> {
        let mut transaction = Transaction::default();
        let mut any = false;
        for slots in &self.states {
            for tensor in slots.iter().flatten() {
                transaction = transaction.register(tensor.clone());
                any = true;
            }
        }
        let data: Vec<TensorData> = if any {
            transaction
                .execute_async()
                .await
                .map_err(|error| format!("{error:?}"))?
        } else {
            Vec::new()
        };
        let mut values = data
            .into_iter()
            .map(|data| data.iter::<f32>().collect::<Vec<f32>>());
        let params = self
            .states
            .iter()
            .map(|[first, second]| ParamState {
                first: first.as_ref().and_then(|_| values.next()),
                second: second.as_ref().and_then(|_| values.next()),
            })
            .collect();
        Ok(OptimizerState {
            optimizer: self.recipe.optimizer,
            steps: self.steps,
            params,
            rng,
        })
    }

    /// The optimizer of `recipe` going on from `state`, whose parameters have `counts`
    /// elements each; on `device` (the plain one).
    ///
    /// # Errors
    /// The state is another optimizer's, or does not fit the parameters.
    pub fn restore(
        recipe: &Recipe,
        state: &OptimizerState,
        counts: &[usize],
        device: &Device,
    ) -> Result<Optim, String> {
        if state.optimizer != recipe.optimizer {
            return Err(format!(
                "the saved state is {}'s, the recipe trains with {}",
                state.optimizer.label(),
                recipe.optimizer.label()
            ));
        }
        if state.params.len() > counts.len() {
            return Err(format!(
                "the saved state has {} parameters, the network {}",
                state.params.len(),
                counts.len()
            ));
        }
        let tensor = |values: &Option<Vec<f32>>,
                      count: usize|
         -> Result<Option<Tensor<1>>, String> {
            match values {
                Some(values) if values.len() == count && values.iter().all(|v| v.is_finite()) => {
                    Ok(Some(Tensor::from_data(
                        TensorData::new(values.clone(), [count]),
                        device,
                    )))
                }
                Some(_) => Err("a saved state does not fit its parameter".into()),
                None => Ok(None),
            }
        };
        let mut states = Vec::with_capacity(state.params.len());
        for (slots, &count) in state.params.iter().zip(counts) {
            states.push([tensor(&slots.first, count)?, tensor(&slots.second, count)?]);
        }
        Ok(Optim {
            recipe: *recipe,
            steps: state.steps,
            states,
        })
    }

    /// Updates every parameter of `model` from its gradient at learning rate `rate`.
    pub fn step(&mut self, rate: f64, model: Model, mut grads: GradientsParams) -> Model {
        self.steps += 1;
        let mut index = 0;
        let blocks = model
            .blocks
            .into_iter()
            .map(|block| match block {
                Block::Conv2d(mut conv) => {
                    conv.weight = self.update(index, conv.weight, &mut grads, rate);
                    conv.bias = self.update(index + 1, conv.bias, &mut grads, rate);
                    index += 2;
                    Block::Conv2d(conv)
                }
                Block::Dense(mut dense) => {
                    dense.weight = self.update(index, dense.weight, &mut grads, rate);
                    dense.bias = self.update(index + 1, dense.bias, &mut grads, rate);
                    index += 2;
                    Block::Dense(dense)
                }
                Block::BatchNorm(mut norm) => {
                    norm.gamma = self.update(index, norm.gamma, &mut grads, rate);
                    norm.beta = self.update(index + 1, norm.beta, &mut grads, rate);
                    index += 2;
                    Block::BatchNorm(norm)
                }
                Block::LayerNorm(mut norm) => {
                    norm.gamma = self.update(index, norm.gamma, &mut grads, rate);
                    norm.beta = self.update(index + 1, norm.beta, &mut grads, rate);
                    index += 2;
                    Block::LayerNorm(norm)
                }
                plain @ Block::Plain(_) => plain,
            })
            .collect();
        Model { blocks }
    }

    fn update<const D: usize>(
        &mut self,
        index: usize,
        param: Param<Tensor<D>>,
        grads: &mut GradientsParams,
        rate: f64,
    ) -> Param<Tensor<D>> {
        let id: ParamId = param.id;
        let Some(grad) = grads.remove::<D>(id) else {
            return param;
        };
        let value = param.val().inner();
        let shape = value.shape();
        let count = shape.num_elements();
        let p = value.reshape([count]);
        let g = grad.reshape([count]);
        if self.states.len() <= index {
            self.states.resize_with(index + 1, || [None, None]);
        }
        let state = &mut self.states[index];
        let recipe = &self.recipe;
        let decay = recipe.weight_decay;
        let updated = match recipe.optimizer {
            Optimizer::Sgd => {
                let g = if decay > 0.0 {
                    g + p.clone().mul_scalar(decay)
                } else {
                    g
                };
                let g = if recipe.momentum > 0.0 {
                    let buffer = match state[0].take() {
                        Some(buffer) => buffer.mul_scalar(recipe.momentum) + g.clone(),
                        None => g.clone(),
                    };
                    state[0] = Some(buffer.clone());
                    if recipe.nesterov {
                        g + buffer.mul_scalar(recipe.momentum)
                    } else {
                        buffer
                    }
                } else {
                    g
                };
                p - g.mul_scalar(rate)
            }
            Optimizer::Adam | Optimizer::AdamW => {
                let adam = recipe.optimizer == Optimizer::Adam;
                let (p, g) = if adam && decay > 0.0 {
                    (p.clone(), g + p.mul_scalar(decay))
                } else if !adam {
                    (p.mul_scalar(1.0 - rate * decay), g)
                } else {
                    (p, g)
                };
                let first = match state[0].take() {
                    Some(m) => m.mul_scalar(BETA_1) + g.clone().mul_scalar(1.0 - BETA_1),
                    None => g.clone().mul_scalar(1.0 - BETA_1),
                };
                let second = match state[1].take() {
                    Some(v) => v.mul_scalar(BETA_2) + g.square().mul_scalar(1.0 - BETA_2),
                    None => g.square().mul_scalar(1.0 - BETA_2),
                };
                #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
                let t = self.steps.min(i32::MAX as u64) as i32;
                let correction_1 = 1.0 - BETA_1.powi(t);
                let correction_2 = (1.0 - BETA_2.powi(t)).sqrt();
                let denominator = second
                    .clone()
                    .sqrt()
                    .div_scalar(correction_2)
                    .add_scalar(EPSILON);
                let step = first
                    .clone()
                    .div(denominator)
                    .mul_scalar(rate / correction_1);
                state[0] = Some(first);
                state[1] = Some(second);
                p - step
            }
            Optimizer::RmsProp => {
                let g = if decay > 0.0 {
                    g + p.clone().mul_scalar(decay)
                } else {
                    g
                };
                let square = match state[1].take() {
                    Some(v) => v.mul_scalar(ALPHA) + g.clone().square().mul_scalar(1.0 - ALPHA),
                    None => g.clone().square().mul_scalar(1.0 - ALPHA),
                };
                let average = square.clone().sqrt().add_scalar(EPSILON);
                state[1] = Some(square);
                if recipe.momentum > 0.0 {
                    let buffer = match state[0].take() {
                        Some(buffer) => buffer.mul_scalar(recipe.momentum) + g.div(average),
                        None => g.div(average),
                    };
                    state[0] = Some(buffer.clone());
                    p - buffer.mul_scalar(rate)
                } else {
                    p - g.div(average).mul_scalar(rate)
                }
            }
        };
        let dims: [usize; D] = shape.dims();
        Param::initialized(id, Tensor::from_inner(updated.reshape(dims)).require_grad())
    }
}

/// Scales all gradients together so their global L2 norm is at most `max_norm`
/// (`torch.nn.utils.clip_grad_norm_`). Stays on the device: no read.
pub fn clip_global_norm(grads: &mut GradientsParams, model: &Model, max_norm: f64) {
    let ids = model.param_ids();
    let mut total: Option<Tensor<1>> = None;
    for &(id, rank) in &ids {
        let squared = match rank {
            4 => grads.get::<4>(id).map(|g| g.square().sum()),
            2 => grads.get::<2>(id).map(|g| g.square().sum()),
            _ => grads.get::<1>(id).map(|g| g.square().sum()),
        };
        if let Some(squared) = squared {
            total = Some(match total {
                Some(sum) => sum + squared,
                None => squared,
            });
        }
    }
    let Some(total) = total else { return };
    let coefficient = total
        .sqrt()
        .add_scalar(1e-6)
        .recip()
        .mul_scalar(max_norm)
        .clamp_max(1.0);
    for (id, rank) in ids {
        match rank {
            4 => {
                if let Some(g) = grads.remove::<4>(id) {
                    grads.register(id, g * coefficient.clone().reshape([1, 1, 1, 1]));
                }
            }
            2 => {
                if let Some(g) = grads.remove::<2>(id) {
                    grads.register(id, g * coefficient.clone().reshape([1, 1]));
                }
            }
            _ => {
                if let Some(g) = grads.remove::<1>(id) {
                    grads.register(id, g * coefficient.clone());
                }
            }
        }
    }
}
