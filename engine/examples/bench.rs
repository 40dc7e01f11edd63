//! Prints training speed for the playground's networks on each backend: milliseconds per epoch
//! (all mini-batches of one pass, no reads) and per snapshot (the one async read per tick).
//!
//! `cargo run --release -p agora-engine --example bench` (wgpu runs on lavapipe without a GPU).
#![allow(clippy::disallowed_methods)] // native benchmark: Instant is fine here

use std::time::Instant;

use agora_engine::compute::{PlaneProbe, neuron_taps};
use agora_engine::data::{Dataset, DatasetConfig, DatasetKind, Point};
use agora_engine::net::{Act, Feature, Input, Network};
use agora_engine::recipe::{Optimizer, Recipe};
use agora_engine::samples::{Rows, Samples};
use agora_engine::{Device, Trainer};

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
    let features = Feature::ALL.to_vec();
    let head = data.config.head();
    let hidden: Vec<(usize, Option<Act>)> = widths
        .iter()
        .map(|&units| (units, Some(Act::Tanh)))
        .collect();
    let network = Network::dense(
        Input::Points {
            features: features.clone(),
        },
        &hidden,
        head,
    );
    let recipe = Recipe {
        optimizer: Optimizer::Adam,
        learning_rate: 0.03,
        batch_size,
        ..Recipe::playground()
    };
    let rows = |points: &[Point]| Samples::Rows(Rows::from_points(points, &features, head));
    let mut trainer = Trainer::new(
        device,
        &network,
        &rows(&data.train),
        &rows(&data.test),
        recipe,
        None,
        1,
    )
    .expect("trainer");
    let probe = PlaneProbe::new(
        &trainer,
        &Rows::plane_grid(&features, 1.0),
        neuron_taps(&network.layers),
    )
    .expect("probe");
    let snapshot = |trainer: &Trainer| pollster::block_on(probe.read(trainer)).expect("snapshot");
    let train_epoch = |trainer: &mut Trainer| while !trainer.train_batches(usize::MAX) {};
    // Warm-up: kernel compilation on wgpu.
    train_epoch(&mut trainer);
    snapshot(&trainer);
    let epochs = 20;
    let start = Instant::now();
    for _ in 0..epochs {
        train_epoch(&mut trainer);
    }
    snapshot(&trainer);
    let with_read = start.elapsed().as_secs_f64() * 1000.0;
    let start = Instant::now();
    let reads = 5;
    for _ in 0..reads {
        snapshot(&trainer);
    }
    let snapshot_ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(reads);
    ((with_read - snapshot_ms) / f64::from(epochs), snapshot_ms)
}
