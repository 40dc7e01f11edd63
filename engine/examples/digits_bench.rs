//! Prints image-network training speed on the bundled digits for each backend: seconds per
//! epoch (8,000 images, then a one-scalar read), images per second, and the validation
//! accuracy reached, for LeNet and the small ResNet at two batch sizes.
//!
//! `cargo run --release -p agora-engine --example digits_bench [epochs]` (wgpu runs on lavapipe
//! without a GPU; `AGORA_BENCH_BACKENDS=flex` or `=wgpu` picks one).
#![allow(clippy::disallowed_methods)] // native benchmark: Instant is fine here

use std::io::Read;
use std::time::Instant;

use agora_engine::images::ImageSet;
use agora_engine::net::{Network, infer_graph};
use agora_engine::recipe::Recipe;
use agora_engine::samples::Samples;
use agora_engine::{Device, Trainer};

fn main() {
    let epochs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let packed = include_bytes!("../../static/data/digits.agds.gz");
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(&packed[..])
        .read_to_end(&mut bytes)
        .expect("the bundled digits are valid gzip");
    let set = ImageSet::decode(&bytes).expect("the bundled digits decode");
    let (train, val) = set.split(80, 1);
    let train_count = train.len();
    let (train, val) = (Samples::Images(train), Samples::Images(val));
    let wanted = std::env::var("AGORA_BENCH_BACKENDS").unwrap_or_else(|_| "flex,wgpu".into());
    let mut backends = Vec::new();
    if wanted.contains("flex") {
        backends.push(("flex (CPU)", Device::flex()));
    }
    if wanted.contains("wgpu") {
        backends.push((
            "wgpu",
            Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
        ));
    }
    let networks = [
        ("LeNet", Network::lenet(set.size, 10)),
        ("small ResNet", Network::small_resnet(set.size, 10)),
    ];
    println!(
        "{:<12} {:<14} {:>6} {:>10} {:>10} {:>10} {:>9}",
        "backend", "network", "batch", "MFLOP/img", "s/epoch", "images/s", "val acc"
    );
    for (name, device) in &backends {
        for (label, network) in &networks {
            let flops = infer_graph(network).map_or(0, |r| r.total_flops);
            for batch_size in [32, 256] {
                let recipe = Recipe {
                    batch_size,
                    epochs,
                    ..Recipe::default()
                };
                let mut trainer = Trainer::new(device, network, &train, &val, recipe, None, 1)
                    .expect("the network fits the digits");
                // Warm-up: compile kernels on a few batches, outside the timing.
                trainer.train_batches(3);
                pollster::block_on(trainer.sync()).expect("read");
                let mut trainer = Trainer::new(device, network, &train, &val, recipe, None, 1)
                    .expect("the network fits the digits");
                let mut seconds = 0.0;
                let mut accuracy = 0.0;
                for _ in 0..epochs {
                    let start = Instant::now();
                    while !trainer.train_batches(32) {}
                    pollster::block_on(trainer.sync()).expect("read");
                    seconds += start.elapsed().as_secs_f64();
                    accuracy = pollster::block_on(trainer.epoch_metrics())
                        .expect("metrics")
                        .val_accuracy;
                }
                #[allow(clippy::cast_precision_loss)]
                let per_epoch = seconds / epochs as f64;
                #[allow(clippy::cast_precision_loss)]
                let images = train_count as f64 / per_epoch;
                #[allow(clippy::cast_precision_loss)]
                let mflop = flops as f64 / 1e6;
                println!(
                    "{name:<12} {label:<14} {batch_size:>6} {mflop:>10.2} {per_epoch:>10.2} {images:>10.0} {:>8.2}%",
                    accuracy * 100.0
                );
            }
        }
    }
}
