//! Training reaches a stated test accuracy (or test loss) on every toy dataset, with the same
//! test body on the CPU backend (Flex) and on Burn's wgpu backend (lavapipe on machines without a
//! GPU). A missing wgpu adapter fails the wgpu tests; nothing is skipped.
//!
//! The playground trains through the one trainer (`Trainer` on rows of features) and reads
//! what it draws through a `PlaneProbe`.

#[macro_use]
mod common;

use agora_engine::Device;
use agora_engine::compute::{PlaneProbe, neuron_taps};
use agora_engine::data::{Dataset, DatasetConfig, DatasetKind, Point};
use agora_engine::net::{Act, Feature, Input, Network};
use agora_engine::recipe::{Optimizer, Recipe};
use agora_engine::samples::{Rows, Samples};
use agora_engine::snapshot::{GRID, Snapshot};
use agora_engine::{TrainError, Trainer};

on_each_backend! {
    circle_reaches_95_percent => circle;
    xor_reaches_95_percent => xor;
    gaussian_reaches_97_percent => gaussian;
    spiral_reaches_90_percent => spiral;
    three_arm_spiral_reaches_85_percent => spiral_three_classes;
    plane_regression_fits => plane;
    multi_gaussian_regression_fits => multi_gaussian;
    learning_rate_change_keeps_weights => learning_rate_change;
    a_resumed_run_goes_on_as_if_never_stopped => resumed_run;
    divergence_shows_as_non_finite_loss => divergence;
}

/// A hidden Dense layer with its activation.
fn dense(units: usize, activation: Act) -> (usize, Option<Act>) {
    (units, Some(activation))
}

struct Run {
    kind: DatasetKind,
    classes: usize,
    features: Vec<Feature>,
    layers: Vec<(usize, Option<Act>)>,
    recipe: Recipe,
    epochs: usize,
}

/// The playground's recipe (Glorot weights, no penalty) with Adam.
fn adam(learning_rate: f64, batch_size: usize) -> Recipe {
    Recipe {
        optimizer: Optimizer::Adam,
        learning_rate,
        batch_size,
        ..Recipe::playground()
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

/// A trainer on `data`'s train and test points and the playground's probe over the plane.
fn playground(
    device: &Device,
    data: &Dataset,
    features: Vec<Feature>,
    layers: &[(usize, Option<Act>)],
    recipe: Recipe,
    seed: u64,
) -> Result<(Trainer, PlaneProbe), TrainError> {
    let head = data.config.head();
    let network = Network::dense(
        Input::Points {
            features: features.clone(),
        },
        layers,
        head,
    );
    let rows = |points: &[Point]| Samples::Rows(Rows::from_points(points, &features, head));
    let trainer = Trainer::new(
        device,
        &network,
        &rows(&data.train),
        &rows(&data.test),
        recipe,
        None,
        seed,
    )?;
    let probe = PlaneProbe::new(
        &trainer,
        &Rows::plane_grid(&features, 1.0),
        neuron_taps(&network.layers),
    )?;
    Ok((trainer, probe))
}

/// One pass over the training points (the old playground trainer's `train_epoch`).
fn train_epoch(trainer: &mut Trainer) {
    while !trainer.train_batches(usize::MAX) {}
}

/// What the playground shows now, read through the probe.
fn snapshot(trainer: &Trainer, probe: &PlaneProbe) -> Snapshot {
    pollster::block_on(probe.read(trainer)).expect("the probe reads back")
}

fn train(device: &Device, run: Run) -> (Snapshot, Snapshot) {
    let data = dataset(run.kind, run.classes);
    let (mut trainer, probe) = playground(device, &data, run.features, &run.layers, run.recipe, 11)
        .expect("trainer builds");
    let before = snapshot(&trainer, &probe);
    for _ in 0..run.epochs {
        train_epoch(&mut trainer);
    }
    let after = snapshot(&trainer, &probe);
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
    // The test logits read with it give the same accuracy.
    let classes = after.test_logits.len() / after.test_labels.len().max(1);
    assert_eq!(after.test_logits.len(), after.test_labels.len() * classes);
    let correct = after
        .test_logits
        .chunks(classes)
        .zip(&after.test_labels)
        .filter(|(row, label)| {
            let top = row
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(class, _)| class);
            top == Some(usize::from(**label))
        })
        .count();
    #[allow(clippy::cast_precision_loss)]
    let from_logits = correct as f32 / after.test_labels.len() as f32;
    assert!(
        (from_logits - accuracy).abs() < 1e-6,
        "accuracy from the test logits {from_logits} vs {accuracy}"
    );
}

fn circle(device: Device) {
    let (_, after) = train(
        &device,
        Run {
            kind: DatasetKind::Circle,
            classes: 2,
            features: vec![Feature::X1, Feature::X2],
            layers: vec![dense(8, Act::Tanh), dense(4, Act::Tanh)],
            recipe: adam(0.03, 25),
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
            layers: vec![dense(8, Act::Tanh), dense(4, Act::Tanh)],
            recipe: adam(0.03, 25),
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
            layers: Vec::new(),
            recipe: adam(0.03, 25),
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
            layers: vec![dense(8, Act::Tanh), dense(8, Act::Tanh)],
            recipe: adam(0.03, 25),
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
            layers: vec![dense(12, Act::Tanh), dense(8, Act::Tanh)],
            recipe: adam(0.03, 25),
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
            layers: vec![dense(4, Act::Tanh)],
            recipe: adam(0.03, 30),
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
            layers: vec![dense(8, Act::Tanh), dense(8, Act::Tanh)],
            recipe: adam(0.03, 30),
            epochs: 60,
        },
    );
    assert!(after.test_loss < 0.05, "test MSE {}", after.test_loss);
}

fn learning_rate_change(device: Device) {
    let data = dataset(DatasetKind::Circle, 2);
    let (mut trainer, probe) = playground(
        &device,
        &data,
        vec![Feature::X1, Feature::X2],
        &[dense(4, Act::Tanh)],
        adam(0.01, 25),
        5,
    )
    .expect("builds");
    train_epoch(&mut trainer);
    train_epoch(&mut trainer);
    let before = snapshot(&trainer, &probe);
    trainer.set_recipe(Recipe {
        learning_rate: 0.001,
        ..trainer.recipe()
    });
    let unchanged = snapshot(&trainer, &probe);
    assert_eq!(
        unchanged.epoch, 2,
        "changing the learning rate does not reset the epoch"
    );
    assert_eq!(unchanged.layers, before.layers, "nor the weights");
    train_epoch(&mut trainer);
    let after = snapshot(&trainer, &probe);
    assert_eq!(after.epoch, 3);
    assert_ne!(
        after.layers, before.layers,
        "training goes on from where it was"
    );
}

fn divergence(device: Device) {
    let data = dataset(DatasetKind::Plane, 0);
    let recipe = Recipe {
        optimizer: Optimizer::Sgd,
        learning_rate: 10.0,
        batch_size: 10,
        ..Recipe::playground()
    };
    let (mut trainer, probe) = playground(
        &device,
        &data,
        vec![
            Feature::X1,
            Feature::X2,
            Feature::X1Squared,
            Feature::X2Squared,
        ],
        &[dense(8, Act::Relu), dense(8, Act::Relu)],
        recipe,
        5,
    )
    .expect("builds");
    train_epoch(&mut trainer);
    train_epoch(&mut trainer);
    let after = snapshot(&trainer, &probe);
    assert!(
        !after.is_finite(),
        "lr 10 on squared features diverges, loss {}",
        after.train_loss
    );
}

/// A run stopped after an epoch and resumed from its weights, optimizer state and shuffle
/// (what a saved project holds) takes the same next epoch as the run that never stopped; from
/// the weights alone (fresh moments) it does not.
fn resumed_run(device: Device) {
    let data = dataset(DatasetKind::Spiral, 2);
    let layers = [dense(8, Act::Tanh), dense(8, Act::Tanh)];
    let recipes = [
        Recipe {
            optimizer: Optimizer::Sgd,
            momentum: 0.9,
            nesterov: true,
            weight_decay: 0.001,
            ..adam(0.05, 10)
        },
        Recipe {
            weight_decay: 0.001,
            ..adam(0.01, 10)
        },
        Recipe {
            optimizer: Optimizer::AdamW,
            weight_decay: 0.01,
            ..adam(0.01, 10)
        },
        Recipe {
            optimizer: Optimizer::RmsProp,
            momentum: 0.5,
            ..adam(0.002, 10)
        },
    ];
    let features = vec![Feature::X1, Feature::X2];
    for recipe in recipes {
        let name = recipe.optimizer.label();
        let build =
            || playground(&device, &data, features.clone(), &layers, recipe, 4).expect("builds");
        let (mut straight, _) = build();
        train_epoch(&mut straight);
        train_epoch(&mut straight);
        let expected = pollster::block_on(straight.params()).expect("read");
        let (mut first, _) = build();
        train_epoch(&mut first);
        let params = pollster::block_on(first.params()).expect("read");
        let state = pollster::block_on(first.optimizer_state()).expect("state");
        let resume = |with_state: bool| {
            let network = first.network().clone();
            let rows = |points: &[Point]| {
                Samples::Rows(Rows::from_points(points, &features, network.head))
            };
            let mut trainer = Trainer::new(
                &device,
                &network,
                &rows(&data.train),
                &rows(&data.test),
                recipe,
                Some(&params),
                4,
            )
            .expect("builds from the weights");
            if with_state {
                trainer.restore_optimizer(&state).expect("the state fits");
            }
            trainer.resume_at(1);
            train_epoch(&mut trainer);
            let after = pollster::block_on(trainer.params()).expect("read");
            after
                .iter()
                .flatten()
                .zip(expected.iter().flatten())
                .flat_map(|(a, b)| a.values.iter().zip(&b.values).map(|(x, y)| (x - y).abs()))
                .fold(0.0_f32, f32::max)
        };
        let resumed = resume(true);
        let fresh = resume(false);
        println!("{name}: resumed with state {resumed:e}, from the weights alone {fresh:e}");
        assert!(
            resumed <= 1e-5,
            "{name}: the resumed epoch differs by {resumed}"
        );
        assert!(
            fresh > 100.0 * resumed.max(1e-7),
            "{name}: fresh moments should differ ({fresh})"
        );
    }
}
