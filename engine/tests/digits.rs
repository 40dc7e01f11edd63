//! Image networks train on the bundled digits: LeNet reaches ≥ 97 % validation accuracy on
//! the CPU backend; the same code runs on wgpu (lavapipe) for a shorter check; a seed makes a
//! run reproducible.

use std::io::Read;

use agora_engine::compute::EpochMetrics;
use agora_engine::images::ImageSet;
use agora_engine::net::{Act, Head, Input, Layer, Network};
use agora_engine::recipe::{Optimizer, Recipe, Schedule};
use agora_engine::samples::Samples;
use agora_engine::{Device, Trainer};

fn digits() -> ImageSet {
    let packed = include_bytes!("../../static/data/digits.agds.gz");
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(&packed[..])
        .read_to_end(&mut bytes)
        .expect("the bundled digits are valid gzip");
    ImageSet::decode(&bytes).expect("the bundled digits decode")
}

fn train(
    device: &Device,
    network: &Network,
    set: &ImageSet,
    recipe: Recipe,
    seed: u64,
) -> (Trainer, Vec<EpochMetrics>) {
    let (train, val) = set.split(80, seed);
    let mut trainer = Trainer::new(
        device,
        network,
        &Samples::Images(train),
        &Samples::Images(val),
        recipe,
        None,
        seed,
    )
    .expect("the network fits the digits");
    let mut history = Vec::new();
    for _ in 0..recipe.epochs {
        while !trainer.train_batches(16) {}
        let metrics = pollster::block_on(trainer.epoch_metrics()).expect("metrics read back");
        println!(
            "epoch {}: train loss {:.4} acc {:.4}, val loss {:.4} acc {:.4}, lr {:.5}",
            metrics.epoch,
            metrics.train_loss,
            metrics.train_accuracy,
            metrics.val_loss,
            metrics.val_accuracy,
            metrics.learning_rate
        );
        history.push(metrics);
    }
    (trainer, history)
}

#[test]
fn bundled_digits_are_ten_balanced_classes() {
    let set = digits();
    assert_eq!(set.len(), 10_000);
    assert_eq!(
        (set.size.channels, set.size.height, set.size.width),
        (1, 28, 28)
    );
    assert_eq!(
        set.counts(),
        vec![1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    );
    // Interleaved: the first 100 hold every digit ten times.
    assert!(set.take(100).counts().iter().all(|&count| count == 10));
    // Real strokes, not blank images: about a fifth of MNIST's pixels are ink.
    let ink = set.pixels.iter().filter(|&&p| p > 127).count() as f64 / set.pixels.len() as f64;
    assert!((0.08..0.3).contains(&ink), "ink share {ink}");
    let (train, val) = set.split(80, 7);
    assert_eq!(train.len() + val.len(), 10_000);
    assert!((7990..=8010).contains(&train.len()));
    for (class, (t, v)) in train.counts().iter().zip(val.counts()).enumerate() {
        let share = *t as f64 / (*t + v) as f64;
        assert!((0.79..0.81).contains(&share), "class {class} split {share}");
    }
}

#[test]
fn lenet_reaches_97_percent_on_the_cpu() {
    let set = digits();
    let network = Network::lenet(set.size, 10);
    // Cosine annealing settles the weights by the last epoch: at a constant rate the last
    // epoch's accuracy wanders (96.5 % to 97.4 % over seeds 1 to 3), with cosine it was 97.5 %
    // to 98.0 % (97.7 % for seed 1).
    let recipe = Recipe {
        optimizer: Optimizer::Adam,
        learning_rate: 0.002,
        schedule: Schedule::Cosine,
        epochs: 6,
        batch_size: 32,
        ..Recipe::default()
    };
    let (_, history) = train(&Device::flex(), &network, &set, recipe, 1);
    // The last epoch's model is the one a person keeps, so it, not the best, must reach 97 %.
    let last = history.last().expect("epochs ran");
    assert!(
        last.val_accuracy >= 0.97,
        "validation accuracy after the last epoch {}",
        last.val_accuracy
    );
    assert!(
        last.train_loss < history[0].train_loss,
        "training loss went down"
    );
    assert_eq!(last.epoch, 6);
}

#[test]
fn residual_network_with_batch_norm_learns_on_the_cpu() {
    let set = digits().take(5000);
    let network = Network::small_resnet(set.size, 10);
    let recipe = Recipe {
        optimizer: Optimizer::AdamW,
        learning_rate: 0.01,
        momentum: 0.0,
        nesterov: false,
        weight_decay: 1e-2,
        clip_norm: Some(5.0),
        schedule: Schedule::Cosine,
        warmup_epochs: 1,
        epochs: 5,
        batch_size: 64,
        shuffle: true,
        ..Recipe::default()
    };
    let (_, history) = train(&Device::flex(), &network, &set, recipe, 3);
    let last = history.last().expect("epochs ran");
    assert!(
        last.val_accuracy >= 0.85,
        "validation accuracy {}",
        last.val_accuracy
    );
    assert!(
        last.learning_rate < 0.01,
        "cosine ends near zero: {}",
        last.learning_rate
    );
}

#[test]
fn lenet_learns_on_wgpu() {
    let set = digits().take(2000);
    let network = Network::lenet(set.size, 10);
    let recipe = Recipe {
        epochs: 2,
        batch_size: 64,
        ..Recipe::default()
    };
    let device = Device::wgpu(burn::tensor::DeviceKind::DefaultDevice);
    let (_, history) = train(&device, &network, &set, recipe, 5);
    let last = history.last().expect("epochs ran");
    // A check that wgpu learns (chance is 10 %), not a race: 80.5 % was measured on lavapipe.
    assert!(
        last.val_accuracy >= 0.7,
        "validation accuracy {}",
        last.val_accuracy
    );
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_does_not() {
    let set = digits().take(600);
    let network = Network {
        input: Input::Image(set.size),
        layers: vec![
            Layer::conv(4, 3),
            Layer::Activation(Act::Gelu),
            Layer::MaxPool { size: 2, stride: 2 },
            Layer::Dropout { percent: 25 },
            Layer::Flatten,
            Layer::LayerNorm,
            Layer::Dense { units: 10 },
            Layer::Softmax,
        ],
        head: Head::Classification { classes: 10 },
    };
    let recipe = Recipe {
        epochs: 1,
        ..Recipe::default()
    };
    let run = |seed| {
        let (trainer, history) = train(&Device::flex(), &network, &set, recipe, seed);
        let params = pollster::block_on(trainer.params()).expect("parameters read back");
        (params, history)
    };
    let (first, first_history) = run(11);
    let (second, second_history) = run(11);
    let (third, _) = run(12);
    assert_eq!(first, second, "same seed, same parameters");
    assert_eq!(first_history, second_history);
    assert_ne!(first, third, "another seed starts elsewhere");
}

#[test]
fn dropout_zeroes_the_stated_share_while_training_only() {
    use agora_engine::compute::{Mode, Model, Value};
    use agora_engine::net::{ImageSize, infer_body};
    use agora_engine::params::initial_params;
    use agora_engine::recipe::Init;
    use burn::tensor::Tensor;
    let size = ImageSize {
        channels: 1,
        height: 50,
        width: 50,
    };
    let network = Network {
        input: Input::Image(size),
        layers: vec![Layer::Dropout { percent: 30 }],
        head: Head::Classification { classes: 2 },
    };
    let report = infer_body(&network).expect("valid");
    let params = vec![Vec::new()];
    assert_eq!(
        initial_params(&Network::lenet(size, 2), Init::Torch, 1)
            .map(|p| p.len())
            .ok(),
        Some(13)
    );
    let device = Device::flex().autodiff();
    device.seed(4);
    let (model, running) = Model::new(&network, &report, &params, &device).expect("builds");
    let ones = Tensor::<4>::ones([4, 1, 50, 50], &device);
    let train = model.forward(Value::Image(ones.clone()), &Mode::Train);
    let Some(Value::Image(out)) = train.taps.last().cloned() else {
        panic!("an image")
    };
    let values: Vec<f32> = out.into_data().iter::<f32>().collect();
    let zeros = values.iter().filter(|&&v| v == 0.0).count() as f64 / values.len() as f64;
    assert!((0.27..0.33).contains(&zeros), "share dropped {zeros}");
    let kept = values
        .iter()
        .copied()
        .find(|&v| v != 0.0)
        .expect("something kept");
    assert!(
        (kept - 1.0 / 0.7).abs() < 1e-5,
        "kept values are scaled up: {kept}"
    );
    let eval = model.forward(Value::Image(ones), &Mode::Eval(&running));
    let Some(Value::Image(out)) = eval.taps.last().cloned() else {
        panic!("an image")
    };
    assert!(
        out.into_data().iter::<f32>().all(|v| v == 1.0),
        "evaluation keeps everything"
    );
}
