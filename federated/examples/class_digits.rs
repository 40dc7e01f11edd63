//! A class of four students trains LeNet together on the bundled digits, natively: each student
//! holds only some of the digits (the split the room's browser test uses), trains a number of
//! local epochs from the class model, and the class model moves by the example-weighted mean of
//! their changes (FedAvg). Prints, per round, the class model's accuracy on all ten digits of
//! the validation split and each student's own model's, so the room's settings can be chosen
//! from figures.
//!
//! `cargo run --release -p agora-federated --example class_digits -- [rounds] [local epochs]
//! [adam|sgd] [learning rate]`
#![allow(clippy::disallowed_methods)] // native benchmark: Instant is fine here

use std::io::Read;
use std::time::Instant;

use agora_engine::images::ImageSet;
use agora_engine::net::Network;
use agora_engine::recipe::{Optimizer, Recipe};
use agora_engine::samples::Samples;
use agora_engine::{Device, Trainer};
use agora_federated::flat::{flatten, unflatten};

const STUDENTS: [(&str, &[u8]); 4] = [
    ("Ada", &[0, 1, 2, 3, 4]),
    ("Ben", &[3, 4, 5, 6, 7]),
    ("Cleo", &[6, 7, 8, 9, 0]),
    ("Dev", &[1, 2, 5, 8, 9]),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let local_epochs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let optimizer = match args.next().as_deref() {
        Some("sgd") => Optimizer::Sgd,
        _ => Optimizer::Adam,
    };
    let defaults = Recipe::default();
    let learning_rate: f64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(defaults.learning_rate);
    let recipe = Recipe {
        optimizer,
        learning_rate,
        epochs: local_epochs,
        ..defaults
    };
    let packed = include_bytes!("../../static/data/digits.agds.gz");
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(&packed[..])
        .read_to_end(&mut bytes)
        .expect("the bundled digits are valid gzip");
    let set = ImageSet::decode(&bytes).expect("the bundled digits decode");
    let (train, val) = set.split(80, 1);
    let val = Samples::Images(val);
    let network = Network::lenet(set.size, 10);
    let device = Device::flex();
    let held: Vec<Samples> = STUDENTS
        .iter()
        .map(|(_, digits)| {
            let indices: Vec<usize> = (0..train.len())
                .filter(|&at| digits.contains(&train.labels[at]))
                .collect();
            Samples::Images(train.subset(&indices))
        })
        .collect();
    let accuracy = |trainer: &mut Trainer| {
        pollster::block_on(trainer.epoch_metrics())
            .expect("metrics")
            .val_accuracy
    };
    let mut start = Trainer::new(&device, &network, &held[0], &val, recipe, None, 1)
        .expect("LeNet fits the digits");
    let like = pollster::block_on(start.params()).expect("params");
    let mut class = flatten(&like);
    println!(
        "{} numbers; {rounds} rounds of {local_epochs} local epoch(s), {optimizer:?} at {learning_rate}; class model at the start {:.1} %",
        class.len(),
        accuracy(&mut start) * 100.0
    );
    for round in 1..=rounds {
        let begun = Instant::now();
        let mut sum = vec![0.0f64; class.len()];
        let mut weight = 0.0f64;
        let mut locals = Vec::new();
        for (at, samples) in held.iter().enumerate() {
            let params = unflatten(&like, &class).expect("same shapes");
            let mut trainer = Trainer::new(
                &device,
                &network,
                samples,
                &val,
                recipe,
                Some(&params),
                round as u64 * 10 + at as u64,
            )
            .expect("LeNet fits the digits");
            let mut last = 0.0;
            for _ in 0..local_epochs {
                while !trainer.train_batches(32) {}
                last = accuracy(&mut trainer);
            }
            locals.push(last);
            let after = flatten(&pollster::block_on(trainer.params()).expect("params"));
            #[allow(clippy::cast_precision_loss)]
            let count = samples.len() as f64;
            for ((s, a), c) in sum.iter_mut().zip(&after).zip(&class) {
                *s += count * f64::from(a - c);
            }
            weight += count;
        }
        for (c, s) in class.iter_mut().zip(&sum) {
            *c += (s / weight) as f32;
        }
        let params = unflatten(&like, &class).expect("same shapes");
        let mut check = Trainer::new(&device, &network, &held[0], &val, recipe, Some(&params), 1)
            .expect("LeNet fits the digits");
        let locals: Vec<String> = STUDENTS
            .iter()
            .zip(&locals)
            .map(|((name, _), acc)| format!("{name} {:.1} %", acc * 100.0))
            .collect();
        println!(
            "round {round}: class model {:.1} % on all ten; own models {} ({:.1} s)",
            accuracy(&mut check) * 100.0,
            locals.join(", "),
            begun.elapsed().as_secs_f64()
        );
    }
}
