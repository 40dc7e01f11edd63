//! The reference workloads timed natively, for profiling the engine outside the browser:
//! `cargo run --release -p agora-engine --example speed [flex|wgpu] [mlp|cnn|playground…]`.
//! The browser figures (what BENCHMARKS.md reports) come from `tests/bench/speed.mjs`.

// Native only (an example binary): the wasm ban on `Instant::now` does not apply here.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use agora_engine::Device;
use agora_engine::bench::{TimingPlan, Workload, measure};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wgpu = args.iter().any(|arg| arg == "wgpu");
    let device = if wgpu {
        Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)
    } else {
        Device::flex()
    };
    let chosen: Vec<Workload> = Workload::ALL
        .into_iter()
        .filter(|workload| {
            !args
                .iter()
                .any(|arg| Workload::ALL.iter().any(|w| w.key() == arg))
                || args.iter().any(|arg| arg == workload.key())
        })
        .collect();
    let origin = Instant::now();
    let now = move || origin.elapsed().as_secs_f64() * 1_000.0;
    for workload in chosen {
        let mut trainer = match workload.trainer(&device, 1) {
            Ok(trainer) => trainer,
            Err(error) => {
                eprintln!("{}: {error}", workload.label());
                std::process::exit(1);
            }
        };
        match pollster::block_on(measure(
            &mut trainer,
            workload.batch_size(),
            TimingPlan::default(),
            &now,
        )) {
            Ok(timing) => println!(
                "{:<44} {:>6}  median {:>10.0} samples/s  best {:>10.0}  ({} steps)",
                workload.label(),
                if wgpu { "wgpu" } else { "flex" },
                timing.median(),
                timing.best(),
                timing.steps
            ),
            Err(error) => {
                eprintln!("{}: {error}", workload.label());
                std::process::exit(1);
            }
        }
    }
}
