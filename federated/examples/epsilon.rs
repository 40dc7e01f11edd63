//! Prints the accountant's ε for a grid of noise multipliers and round counts (δ = 10⁻⁵), one
//! `noise rounds epsilon` line each, for `scripts/room/check_epsilon.py` to hold against Opacus.

use agora_federated::privacy::{DELTA, Privacy, epsilon};

fn main() {
    let mut noises: Vec<f64> = (1..=4)
        .filter_map(Privacy::level)
        .map(|p| f64::from(p.noise))
        .collect();
    noises.extend([0.8, 1.5, 5.0]);
    for noise in noises {
        for rounds in [1, 3, 10, 50, 200] {
            println!("{noise} {rounds} {:.12e}", epsilon(noise, rounds, DELTA));
        }
    }
}
