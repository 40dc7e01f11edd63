//! Training on a person's own photos: images stored at 64×64 RGB, resampled to the network's
//! input, augmented on the host, and classified one at a time by `predict`.

#[macro_use]
mod common;

use agora_engine::data::Rng;
use agora_engine::images::ImageSet;
use agora_engine::net::{ImageSize, Network};
use agora_engine::photos::{Augment, STORE_SIZE, resample};
use agora_engine::recipe::{Optimizer, Recipe};
use agora_engine::samples::Samples;
use agora_engine::{Device, Trainer};

const INPUT: ImageSize = ImageSize {
    channels: 3,
    height: 32,
    width: 32,
};

/// A 64×64 photo: a red disc (class 0) or a blue square (class 1) of random size and place
/// on a light background with noise, as the end-to-end test draws them.
fn photo(class: u8, rng: &mut Rng) -> Vec<u8> {
    let radius = rng.uniform(10.0, 22.0);
    let cx = rng.uniform(radius, 64.0 - radius);
    let cy = rng.uniform(radius, 64.0 - radius);
    let mut pixels = Vec::with_capacity(64 * 64 * 3);
    for y in 0..64 {
        for x in 0..64 {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let inside = if class == 0 {
                dx * dx + dy * dy <= radius * radius
            } else {
                dx.abs() <= radius && dy.abs() <= radius
            };
            let colour: [f32; 3] = match (inside, class) {
                (false, _) => [235.0, 235.0, 230.0],
                (true, 0) => [210.0, 40.0, 40.0],
                (true, _) => [40.0, 60.0, 210.0],
            };
            for value in colour {
                let noisy = value + rng.uniform(-20.0, 20.0);
                pixels.push(noisy.clamp(0.0, 255.0) as u8);
            }
        }
    }
    pixels
}

fn photos(count: usize, seed: u64) -> ImageSet {
    let mut rng = Rng::new(seed);
    let mut labels = Vec::new();
    let mut pixels = Vec::new();
    for index in 0..count {
        let class = u8::try_from(index % 2).expect("two classes");
        labels.push(class);
        pixels.extend(resample(&photo(class, &mut rng), STORE_SIZE, INPUT));
    }
    ImageSet {
        size: INPUT,
        class_names: vec!["disc".into(), "square".into()],
        labels,
        pixels,
    }
}

fn learns_discs_from_squares_with_augmentation(device: Device) {
    let (train, val) = photos(160, 1).split(80, 7);
    let network = Network::lenet(INPUT, 2);
    let recipe = Recipe {
        optimizer: Optimizer::Adam,
        learning_rate: 0.003,
        batch_size: 16,
        epochs: 6,
        ..Recipe::default()
    };
    let augment = Augment {
        flip: true,
        crop: true,
        brightness: true,
    };
    let mut trainer = Trainer::with_augment(
        &device,
        &network,
        &Samples::Images(train),
        &Samples::Images(val),
        recipe,
        None,
        5,
        augment,
    )
    .expect("a valid network for the photos");
    let mut last = None;
    for _ in 0..recipe.epochs {
        while !trainer.train_batches(8) {}
        last = Some(pollster::block_on(trainer.epoch_metrics()).expect("metrics"));
    }
    let metrics = last.expect("six epochs");
    assert!(
        metrics.val_accuracy >= 0.95,
        "validation accuracy {:.3} after 6 epochs",
        metrics.val_accuracy
    );
    // Held-out photos, one of each, classified with their probabilities.
    let held_out = photos(2, 99);
    let probabilities = pollster::block_on(trainer.predict(&held_out)).expect("predictions");
    assert_eq!(probabilities.len(), 2);
    for (row, label) in probabilities.iter().zip(&held_out.labels) {
        let sum: f32 = row.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "probabilities sum to {sum}");
        assert!(row[usize::from(*label)] > 0.5, "class {label} got {row:?}");
    }
    // The wrong size is refused, not guessed.
    let wrong = ImageSet {
        size: STORE_SIZE,
        class_names: held_out.class_names.clone(),
        labels: vec![0],
        pixels: vec![0; 64 * 64 * 3],
    };
    assert!(pollster::block_on(trainer.predict(&wrong)).is_err());
}

fn augmented_training_is_reproducible(device: Device) {
    let (train, val) = photos(40, 2).split(75, 1);
    let network = Network::lenet(INPUT, 2);
    let recipe = Recipe {
        batch_size: 8,
        epochs: 1,
        ..Recipe::default()
    };
    let (train, val) = (Samples::Images(train), Samples::Images(val));
    let run = |augment: Augment| {
        let mut trainer =
            Trainer::with_augment(&device, &network, &train, &val, recipe, None, 3, augment)
                .expect("valid");
        while !trainer.train_batches(4) {}
        pollster::block_on(trainer.params()).expect("params")
    };
    let augment = Augment {
        flip: true,
        crop: true,
        brightness: false,
    };
    let first = run(augment);
    assert_eq!(first, run(augment), "same seed, same augmentation draws");
    assert_ne!(
        first,
        run(Augment::NONE),
        "augmentation changes what is learned"
    );
}

on_each_backend! {
    learns_discs_from_squares => learns_discs_from_squares_with_augmentation;
    reproducible_with_augmentation => augmented_training_is_reproducible;
}
