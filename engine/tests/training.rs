//! Training reaches a stated test accuracy (or test loss) on every toy dataset, with the same
//! test body on the CPU backend (Flex) and on Burn's wgpu backend (lavapipe on machines without a
//! GPU). A missing wgpu adapter fails the wgpu tests; nothing is skipped.

#[macro_use]
mod common;

use agora_engine::Device;
use agora_engine::data::{Dataset, DatasetConfig, DatasetKind};
use agora_engine::model::initial_weights;
use agora_engine::spec::{Activation, Feature, LayerSpec, NetworkSpec};
use agora_engine::train::{GRID, Hyper, OptimizerKind, Regularization, Snapshot, Trainer};

on_each_backend! {
    circle_reaches_95_percent => circle;
    xor_reaches_95_percent => xor;
    gaussian_reaches_97_percent => gaussian;
    spiral_reaches_90_percent => spiral;
    three_arm_spiral_reaches_85_percent => spiral_three_classes;
    plane_regression_fits => plane;
    multi_gaussian_regression_fits => multi_gaussian;
    learning_rate_change_keeps_weights => learning_rate_change;
    divergence_shows_as_non_finite_loss => divergence;
}

fn dense(units: usize, activation: Activation) -> LayerSpec {
    LayerSpec::Dense { units, activation }
}

struct Run {
    kind: DatasetKind,
    classes: usize,
    features: Vec<Feature>,
    layers: Vec<LayerSpec>,
    hyper: Hyper,
    epochs: usize,
}

fn adam(learning_rate: f64, batch_size: usize) -> Hyper {
    Hyper {
        learning_rate,
        batch_size,
        optimizer: OptimizerKind::Adam,
        regularization: Regularization::None,
        regularization_rate: 0.0,
    }
}

fn dataset(kind: DatasetKind, classes: usize) -> Dataset {
    Dataset::generate(DatasetConfig {
        kind,
        noise_percent: 0,
        train_percent: 50,
        classes,
        seed: 3,
    })
}

fn train(device: &Device, run: Run) -> (Snapshot, Snapshot) {
    let data = dataset(run.kind, run.classes);
    let spec = NetworkSpec {
        features: run.features,
        layers: run.layers,
        head: data.config.head(),
    };
    let weights = initial_weights(&spec, 11).expect("valid spec");
    let mut trainer =
        Trainer::new(device, &spec, &data, run.hyper, &weights, 11).expect("trainer builds");
    let before = pollster::block_on(trainer.snapshot()).expect("snapshot");
    for _ in 0..run.epochs {
        trainer.train_epoch();
    }
    let after = pollster::block_on(trainer.snapshot()).expect("snapshot");
    assert_eq!(after.epoch, run.epochs);
    assert!(
        after.train_loss < before.train_loss,
        "train loss should fall: {} -> {}",
        before.train_loss,
        after.train_loss
    );
    (before, after)
}

fn assert_accuracy(after: &Snapshot, at_least: f32) {
    let accuracy = after.test_accuracy.expect("classification has an accuracy");
    assert!(
        accuracy >= at_least,
        "test accuracy {accuracy} < {at_least}"
    );
}

fn circle(device: Device) {
    let (_, after) = train(
        &device,
        Run {
            kind: DatasetKind::Circle,
            classes: 2,
            features: vec![Feature::X1, Feature::X2],
            layers: vec![dense(8, Activation::Tanh), dense(4, Activation::Tanh)],
            hyper: adam(0.03, 25),
            epochs: 40,
        },
    );
    assert_accuracy(&after, 0.95);
    // The heatmap covers the plane: GRID² points × 2 class probabilities summing to 1.
    assert_eq!(after.output_grid.len(), GRID * GRID * 2);
    let sum: f32 = after.output_grid[..2].iter().sum();
    assert!((sum - 1.0).abs() < 1e-4, "probabilities sum to {sum}");
    assert_eq!(after.neuron_grids.len(), 2);
    assert_eq!(after.neuron_grids[0].len(), GRID * GRID * 8);
    let first = after.neuron_heatmap(0, 0).expect("neuron 0 exists");
    let spread = first.iter().copied().fold(f32::MIN, f32::max)
        - first.iter().copied().fold(f32::MAX, f32::min);
    assert!(
        spread > 0.1,
        "a trained neuron's heatmap is not flat: spread {spread}"
    );
}

fn xor(device: Device) {
    let (_, after) = train(
        &device,
        Run {
            kind: DatasetKind::Xor,
            classes: 2,
            features: vec![Feature::X1, Feature::X2],
            layers: vec![dense(8, Activation::Tanh), dense(4, Activation::Tanh)],
            hyper: adam(0.03, 25),
            epochs: 40,
        },
    );
    assert_accuracy(&after, 0.95);
}

fn gaussian(device: Device) {
    let (_, after) = train(
        &device,
        Run {
            kind: DatasetKind::Gaussian,
            classes: 2,
            features: vec![Feature::X1, Feature::X2],
            layers: vec![],
            hyper: adam(0.03, 25),
            epochs: 20,
        },
    );
    assert_accuracy(&after, 0.97);
}

fn spiral(device: Device) {
    let (_, after) = train(
        &device,
        Run {
            kind: DatasetKind::Spiral,
            classes: 2,
            features: Feature::ALL.to_vec(),
            layers: vec![dense(8, Activation::Tanh), dense(8, Activation::Tanh)],
            hyper: adam(0.03, 25),
            epochs: 150,
        },
    );
    assert_accuracy(&after, 0.90);
}

fn spiral_three_classes(device: Device) {
    let (_, after) = train(
        &device,
        Run {
            kind: DatasetKind::Spiral,
            classes: 3,
            features: Feature::ALL.to_vec(),
            layers: vec![dense(12, Activation::Tanh), dense(8, Activation::Tanh)],
            hyper: adam(0.03, 25),
            epochs: 150,
        },
    );
    assert_accuracy(&after, 0.85);
}

fn plane(device: Device) {
    let (_, after) = train(
        &device,
        Run {
            kind: DatasetKind::Plane,
            classes: 0,
            features: vec![Feature::X1, Feature::X2],
            layers: vec![dense(4, Activation::Tanh)],
            hyper: adam(0.03, 30),
            epochs: 20,
        },
    );
    assert!(after.test_accuracy.is_none());
    assert!(after.test_loss < 0.01, "test MSE {}", after.test_loss);
    assert_eq!(after.output_grid.len(), GRID * GRID);
}

fn multi_gaussian(device: Device) {
    let (_, after) = train(
        &device,
        Run {
            kind: DatasetKind::MultiGaussian,
            classes: 0,
            features: Feature::ALL.to_vec(),
            layers: vec![dense(8, Activation::Tanh), dense(8, Activation::Tanh)],
            hyper: adam(0.03, 30),
            epochs: 60,
        },
    );
    assert!(after.test_loss < 0.05, "test MSE {}", after.test_loss);
}

fn learning_rate_change(device: Device) {
    let data = dataset(DatasetKind::Circle, 2);
    let spec = NetworkSpec {
        features: vec![Feature::X1, Feature::X2],
        layers: vec![dense(4, Activation::Tanh)],
        head: data.config.head(),
    };
    let weights = initial_weights(&spec, 5).expect("valid");
    let mut trainer =
        Trainer::new(&device, &spec, &data, adam(0.01, 25), &weights, 5).expect("builds");
    trainer.train_epoch();
    trainer.train_epoch();
    let before = pollster::block_on(trainer.snapshot()).expect("snapshot");
    trainer.set_hyper(Hyper {
        learning_rate: 0.001,
        ..trainer.hyper()
    });
    let unchanged = pollster::block_on(trainer.snapshot()).expect("snapshot");
    assert_eq!(
        unchanged.epoch, 2,
        "changing the learning rate does not reset the epoch"
    );
    assert_eq!(unchanged.layers, before.layers, "nor the weights");
    trainer.train_epoch();
    let after = pollster::block_on(trainer.snapshot()).expect("snapshot");
    assert_eq!(after.epoch, 3);
    assert_ne!(
        after.layers, before.layers,
        "training goes on from where it was"
    );
}

fn divergence(device: Device) {
    let data = dataset(DatasetKind::Plane, 0);
    let spec = NetworkSpec {
        features: vec![
            Feature::X1,
            Feature::X2,
            Feature::X1Squared,
            Feature::X2Squared,
        ],
        layers: vec![dense(8, Activation::Relu), dense(8, Activation::Relu)],
        head: data.config.head(),
    };
    let weights = initial_weights(&spec, 5).expect("valid");
    let hyper = Hyper {
        learning_rate: 10.0,
        batch_size: 10,
        optimizer: OptimizerKind::Sgd,
        regularization: Regularization::None,
        regularization_rate: 0.0,
    };
    let mut trainer = Trainer::new(&device, &spec, &data, hyper, &weights, 5).expect("builds");
    trainer.train_epoch();
    trainer.train_epoch();
    let after = pollster::block_on(trainer.snapshot()).expect("snapshot");
    assert!(
        !after.is_finite(),
        "lr 10 on squared features diverges, loss {}",
        after.train_loss
    );
}
