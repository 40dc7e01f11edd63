//! The optimizer a recipe asks for, each configured as its PyTorch namesake, and global-norm
//! gradient clipping (Burn clips per tensor; PyTorch by the global norm).

use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{
    AdamConfig, AdamWConfig, GradientsParams, ModuleOptimizer, RmsPropConfig, SgdConfig,
};
use burn::tensor::Tensor;

use super::model::Model;
use crate::recipe::{Optimizer, Recipe};

/// Builds the optimizer a recipe asks for.
pub fn optimizer_for(recipe: &Recipe) -> ModuleOptimizer {
    #[allow(clippy::cast_possible_truncation)] // Burn's optimizer settings are f32
    let decay =
        (recipe.weight_decay > 0.0).then(|| WeightDecayConfig::new(recipe.weight_decay as f32));
    match recipe.optimizer {
        Optimizer::Sgd => SgdConfig::new()
            .with_weight_decay(decay)
            .with_momentum((recipe.momentum > 0.0).then_some(MomentumConfig {
                momentum: recipe.momentum,
                dampening: 0.0,
                nesterov: recipe.nesterov,
            }))
            .init(),
        Optimizer::Adam => AdamConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(decay)
            .init(),
        #[allow(clippy::cast_possible_truncation)]
        Optimizer::AdamW => AdamWConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(recipe.weight_decay as f32)
            .init(),
        #[allow(clippy::cast_possible_truncation)]
        Optimizer::RmsProp => RmsPropConfig::new()
            .with_alpha(0.99)
            .with_epsilon(1e-8)
            .with_momentum(recipe.momentum as f32)
            .with_weight_decay(decay)
            .init(),
    }
}

/// Whether going from `old` to `new` needs a fresh optimizer (its state would not fit).
pub fn needs_new_optimizer(old: &Recipe, new: &Recipe) -> bool {
    new.optimizer != old.optimizer
        || new.nesterov != old.nesterov
        || new.weight_decay != old.weight_decay
        || new.momentum != old.momentum
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
