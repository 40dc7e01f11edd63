//! Few-shot accuracy: the pretrained EfficientNet-Lite0 with a softmax head trained on its
//! features (what the page's *Pretrained (few photos)* does) against LeNet trained from scratch
//! (the page's *From scratch* default), with 5, 10 and 30 images per class, on data no one here
//! made (`scripts/pretrained/fewshot_data.py`: scikit-learn's digits upscaled and coloured;
//! crops of eight of scikit-image's photos, test crops from the other half of each photo).
//! Both on Burn's CPU backend, natively; each figure the test accuracy after the last epoch,
//! averaged over three seeds (which images are the shots, and the starting weights).
//!
//!     cargo run -p agora-engine --release --example fewshot -- DIR [side]
//!
//! `DIR` holds `efficientnet-lite0.safetensors` (the page's int8 file) and `fewshot.safetensors`.

// A native benchmark: the wall clock is fine here (the rule is for code that runs in wasm).
#![allow(clippy::disallowed_methods)]

use std::path::Path;
use std::time::Instant;

use agora_engine::compute::Backbone;
use agora_engine::data::Rng;
use agora_engine::images::ImageSet;
use agora_engine::net::{Head, ImageSize, Input, Layer, Network};
use agora_engine::photos::{Augment, resample};
use agora_engine::pretrained::{FEATURES, PretrainedWeights};
use agora_engine::recipe::Recipe;
use agora_engine::safetensors;
use agora_engine::samples::{Rows, Samples, Targets};
use agora_engine::{Device, Trainer};

const SHOTS: [usize; 3] = [5, 10, 30];
const SEEDS: [u64; 3] = [1, 2, 3];
const EPOCHS: usize = 40;
const STORED: usize = 160;

struct Set {
    train: ImageSet,
    test: ImageSet,
}

fn load(dir: &Path, name: &str) -> Set {
    let bytes = std::fs::read(dir.join("fewshot.safetensors")).expect("fewshot.safetensors");
    let (tensors, _) = safetensors::read(&bytes).expect("safetensors");
    let get = |key: &str| {
        tensors
            .iter()
            .find(|t| t.name == format!("{name}.{key}"))
            .unwrap_or_else(|| panic!("{name}.{key}"))
            .data
            .to_vec()
    };
    let size = ImageSize {
        channels: 3,
        height: STORED,
        width: STORED,
    };
    let set = |part: &str| {
        let labels = get(&format!("{part}_labels"));
        let classes = usize::from(*labels.iter().max().unwrap_or(&0)) + 1;
        ImageSet {
            size,
            class_names: (0..classes).map(|c| c.to_string()).collect(),
            labels,
            pixels: get(&format!("{part}_pixels")),
        }
    };
    Set {
        train: set("train"),
        test: set("test"),
    }
}

/// `shots` images per class from the pool, chosen by `seed`.
fn shots(pool: &ImageSet, shots: usize, seed: u64) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    let mut chosen = Vec::new();
    for class in 0..pool.classes() {
        let mut members: Vec<usize> = (0..pool.len())
            .filter(|&i| usize::from(pool.labels[i]) == class)
            .collect();
        rng.shuffle(&mut members);
        chosen.extend(members.into_iter().take(shots));
    }
    rng.shuffle(&mut chosen);
    chosen
}

fn embed(backbone: &Backbone, set: &ImageSet, side: usize, device: &Device) -> Vec<f32> {
    let to = ImageSize {
        channels: 3,
        height: side,
        width: side,
    };
    let mut out = Vec::with_capacity(set.len() * FEATURES);
    for start in (0..set.len()).step_by(16) {
        let end = (start + 16).min(set.len());
        let mut rgb = Vec::new();
        for i in start..end {
            rgb.extend(resample(set.image(i), set.size, to));
        }
        out.extend(pollster::block_on(backbone.embed(&rgb, side, device)).expect("features"));
    }
    out
}

fn rows(features: &[f32], labels: &[u8], indices: &[usize], classes: usize) -> Samples {
    Samples::Rows(Rows {
        columns: FEATURES,
        values: indices
            .iter()
            .flat_map(|&i| features[i * FEATURES..(i + 1) * FEATURES].iter().copied())
            .collect(),
        targets: Targets::Classes(indices.iter().map(|&i| labels[i]).collect()),
        classes,
    })
}

fn train(
    device: &Device,
    network: &Network,
    train: &Samples,
    test: &Samples,
    seed: u64,
    augment: Augment,
) -> (f32, f64) {
    let recipe = Recipe {
        epochs: EPOCHS,
        batch_size: 16,
        ..Recipe::default()
    };
    let started = Instant::now();
    let mut trainer =
        Trainer::with_augment(device, network, train, test, recipe, None, seed, augment)
            .expect("trainer");
    let mut last = f32::NAN;
    for _ in 0..EPOCHS {
        while !trainer.train_batches(64) {}
        last = pollster::block_on(trainer.epoch_metrics())
            .expect("metrics")
            .val_accuracy;
    }
    (last, started.elapsed().as_secs_f64())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = Path::new(args.first().map_or(".", String::as_str));
    let side: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(160);
    let device = Device::flex();
    let weights = PretrainedWeights::read(
        &std::fs::read(dir.join("efficientnet-lite0.safetensors")).expect("weights"),
    )
    .expect("weights file");
    let backbone = Backbone::new(&weights, &device).expect("backbone");
    println!(
        "few-shot accuracy on the test images after the last of {EPOCHS} epochs, mean of {} seeds (CPU, native)",
        SEEDS.len()
    );
    println!(
        "| data | per class | pretrained ({side}², softmax head) | from scratch (LeNet, 32² colour, flip + crop) |"
    );
    println!("|---|---:|---:|---:|");
    for name in ["digits", "photos"] {
        let set = load(dir, name);
        let classes = set.train.classes();
        let started = Instant::now();
        let train_features = embed(&backbone, &set.train, side, &device);
        let test_features = embed(&backbone, &set.test, side, &device);
        let seconds = started.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let rate = (set.train.len() + set.test.len()) as f64 / seconds;
        eprintln!(
            "{name}: {} images embedded at {side}² in {seconds:.1} s ({rate:.1} images/s)",
            set.train.len() + set.test.len()
        );
        let all_test: Vec<usize> = (0..set.test.len()).collect();
        let test_rows = rows(&test_features, &set.test.labels, &all_test, classes);
        let small = ImageSize {
            channels: 3,
            height: 32,
            width: 32,
        };
        let shrink = |s: &ImageSet| ImageSet {
            size: small,
            class_names: s.class_names.clone(),
            labels: s.labels.clone(),
            pixels: (0..s.len())
                .flat_map(|i| resample(s.image(i), s.size, small))
                .collect(),
        };
        let (train_small, test_small) = (shrink(&set.train), shrink(&set.test));
        let head = Network {
            input: Input::Pretrained { side },
            layers: vec![Layer::Dense { units: classes }, Layer::Softmax],
            head: Head::Classification { classes },
        };
        let lenet = Network::lenet(small, classes);
        let augment = Augment {
            flip: true,
            crop: true,
            ..Augment::NONE
        };
        for k in SHOTS {
            let (mut transfer, mut scratch, mut head_s) = (0.0, 0.0, 0.0);
            for seed in SEEDS {
                let chosen = shots(&set.train, k, seed);
                let (a, t) = train(
                    &device,
                    &head,
                    &rows(&train_features, &set.train.labels, &chosen, classes),
                    &test_rows,
                    seed,
                    Augment::NONE,
                );
                let (b, _) = train(
                    &device,
                    &lenet,
                    &Samples::Images(train_small.subset(&chosen)),
                    &Samples::Images(test_small.clone()),
                    seed,
                    augment,
                );
                transfer += a;
                scratch += b;
                head_s += t;
            }
            #[allow(clippy::cast_precision_loss)]
            let n = SEEDS.len() as f32;
            println!(
                "| {name} ({classes} classes) | {k} | {:.1} % | {:.1} % |",
                100.0 * transfer / n,
                100.0 * scratch / n
            );
            eprintln!(
                "  {name} {k}/class: the head trained {EPOCHS} epochs in {:.2} s",
                head_s / f64::from(n)
            );
        }
    }
}
