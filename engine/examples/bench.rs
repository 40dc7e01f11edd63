//! Prints training speed for the playground's networks on each backend: milliseconds per epoch
//! (all mini-batches of one pass, no reads) and per snapshot (the one async read per tick).
//!
//! `cargo run --release -p agora-engine --example bench` (wgpu runs on lavapipe without a GPU).
#![allow(clippy::disallowed_methods)] // native benchmark: Instant is fine here

use std::time::Instant;

use agora_engine::Device;
use agora_engine::data::{Dataset, DatasetConfig, DatasetKind};
use agora_engine::spec::{Activation, Feature, LayerSpec, NetworkSpec};
use agora_engine::train::{Hyper, OptimizerKind, Regularization, Trainer};
use agora_engine::weights::initial_weights;

fn main() {
    let backends = [
        ("flex (CPU)", Device::flex()),
        (
            "wgpu",
            Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
        ),
    ];
    let networks = [
        ("spiral 7→8→8→2, batch 10", 10, vec![8, 8]),
        ("spiral 7→8→8→2, batch 25", 25, vec![8, 8]),
        ("spiral 7→32→32→32→2, batch 25", 25, vec![32, 32, 32]),
    ];
    println!(
        "{:<14} {:<32} {:>12} {:>14}",
        "backend", "network", "ms/epoch", "ms/snapshot"
    );
    for (name, device) in &backends {
        for (label, batch_size, widths) in &networks {
            let (epoch_ms, snapshot_ms) = measure(device, *batch_size, widths);
            println!("{name:<14} {label:<32} {epoch_ms:>12.2} {snapshot_ms:>14.2}");
        }
    }
}

fn measure(device: &Device, batch_size: usize, widths: &[usize]) -> (f64, f64) {
    let data = Dataset::generate(DatasetConfig {
        kind: DatasetKind::Spiral,
        noise_percent: 0,
        train_percent: 50,
        classes: 2,
        seed: 1,
    });
    let spec = NetworkSpec {
        features: Feature::ALL.to_vec(),
        layers: widths
            .iter()
            .map(|&units| LayerSpec::Dense {
                units,
                activation: Activation::Tanh,
            })
            .collect(),
        head: data.config.head(),
    };
    let hyper = Hyper {
        learning_rate: 0.03,
        batch_size,
        optimizer: OptimizerKind::Adam,
        regularization: Regularization::None,
        regularization_rate: 0.0,
    };
    let weights = initial_weights(&spec, 1).expect("valid network");
    let mut trainer = Trainer::new(device, &spec, &data, hyper, &weights, 1).expect("trainer");
    // Warm-up: kernel compilation on wgpu.
    trainer.train_epoch();
    pollster::block_on(trainer.snapshot()).expect("snapshot");
    let epochs = 20;
    let start = Instant::now();
    for _ in 0..epochs {
        trainer.train_epoch();
    }
    pollster::block_on(trainer.snapshot()).expect("snapshot");
    let with_read = start.elapsed().as_secs_f64() * 1000.0;
    let start = Instant::now();
    let reads = 5;
    for _ in 0..reads {
        pollster::block_on(trainer.snapshot()).expect("snapshot");
    }
    let snapshot_ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(reads);
    ((with_read - snapshot_ms) / f64::from(epochs), snapshot_ms)
}
