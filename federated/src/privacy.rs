//! Differential privacy on the device: each update is clipped to an L2 norm and Gaussian noise
//! is added before it leaves (DP-FedAvg, McMahan et al. 2018), and the privacy spent over the
//! rounds is accounted with Rényi DP (Mironov 2017) and turned into (ε, δ) the way Opacus does
//! (Balle et al. 2020), at Opacus's orders.

use serde::{Deserialize, Serialize};

use crate::rng::Stream;

/// The δ the page reports ε at: one in a hundred thousand.
pub const DELTA: f64 = 1e-5;

/// What each device does to its update before it leaves.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Privacy {
    /// The largest L2 norm an update keeps.
    pub clip: f32,
    /// Noise's standard deviation as a multiple of `clip` (σ).
    pub noise: f32,
}

impl Privacy {
    /// The page's plain-words scale, from more accurate (0) to more private (4).
    pub fn level(level: u8) -> Option<Privacy> {
        let noise = match level {
            0 => return None,
            1 => 0.3,
            2 => 0.6,
            3 => 1.0,
            _ => 2.0,
        };
        Some(Privacy { clip: 1.0, noise })
    }
}

/// Clips `update` to `privacy.clip` and adds noise; returns the norm it had.
pub fn clip_and_noise(update: &mut [f32], privacy: Privacy, stream: &mut Stream) -> f32 {
    let norm = update
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum::<f64>()
        .sqrt() as f32;
    if norm > privacy.clip && norm > 0.0 {
        let scale = privacy.clip / norm;
        update.iter_mut().for_each(|v| *v *= scale);
    }
    let sd = f64::from(privacy.noise) * f64::from(privacy.clip);
    if sd > 0.0 {
        for value in update.iter_mut() {
            *value += (stream.normal() * sd) as f32;
        }
    }
    norm
}

/// Opacus's default orders: 1.1 … 10.9 by tenths, then 12 … 63.
fn orders() -> impl Iterator<Item = f64> {
    (1..100)
        .map(|x| 1.0 + f64::from(x) / 10.0)
        .chain((12..64).map(f64::from))
}

/// ε after `rounds` releases of the Gaussian mechanism with noise multiplier `noise` (each
/// student's update takes part in every round it sends; no subsampling), at `delta`.
/// Infinite without noise.
pub fn epsilon(noise: f64, rounds: usize, delta: f64) -> f64 {
    epsilon_of(&vec![noise; rounds], delta)
}

/// ε after one release per entry of `noises` (each round's noise multiplier), at `delta`.
pub fn epsilon_of(noises: &[f64], delta: f64) -> f64 {
    if noises.iter().any(|&noise| noise <= 0.0) {
        return f64::INFINITY;
    }
    if noises.is_empty() {
        return 0.0;
    }
    let per_alpha: f64 = noises.iter().map(|noise| 1.0 / (2.0 * noise * noise)).sum();
    orders()
        .map(|alpha| {
            let rdp = alpha * per_alpha;
            rdp - (delta.ln() + alpha.ln()) / (alpha - 1.0) + ((alpha - 1.0) / alpha).ln()
        })
        .fold(f64::INFINITY, f64::min)
        .max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_bounds_the_norm_and_noise_has_the_asked_spread() {
        let mut update = vec![3.0_f32, 4.0];
        let norm = clip_and_noise(
            &mut update,
            Privacy {
                clip: 1.0,
                noise: 0.0,
            },
            &mut Stream::new(&[1; 32]),
        );
        assert_eq!(norm, 5.0);
        assert!((update[0] - 0.6).abs() < 1e-6 && (update[1] - 0.8).abs() < 1e-6);
        let mut zeros = vec![0.0_f32; 50_000];
        clip_and_noise(
            &mut zeros,
            Privacy {
                clip: 2.0,
                noise: 0.5,
            },
            &mut Stream::new(&[2; 32]),
        );
        let var = zeros.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / zeros.len() as f64;
        assert!((var.sqrt() - 1.0).abs() < 0.02, "sd {}", var.sqrt());
    }

    #[test]
    fn epsilon_grows_with_rounds_and_shrinks_with_noise() {
        assert!(epsilon(0.0, 5, DELTA).is_infinite());
        assert_eq!(epsilon(1.0, 0, DELTA), 0.0);
        assert!(epsilon(1.0, 10, DELTA) > epsilon(1.0, 5, DELTA));
        assert!(epsilon(2.0, 10, DELTA) < epsilon(1.0, 10, DELTA));
    }
}
