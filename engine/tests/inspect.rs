//! The inspection reads: every layer's activation for one image equals a direct forward pass
//! through that prefix of the network, and `evaluate`'s logits and penultimate features equal
//! the full forward pass's.

#[macro_use]
mod common;

use agora_engine::Device;
use agora_engine::convnet::{ImageTrainer, Mode, Value};
use agora_engine::data::Rng;
use agora_engine::images::ImageSet;
use agora_engine::recipe::Recipe;
use agora_engine::vision::{ImageNetwork, ImageSize};
use burn::tensor::{Tensor, TensorData};

const SIZE: ImageSize = ImageSize {
    channels: 1,
    height: 28,
    width: 28,
};

fn noise(count: usize, seed: u64) -> ImageSet {
    let mut rng = Rng::new(seed);
    ImageSet {
        size: SIZE,
        class_names: (0..10).map(|c| c.to_string()).collect(),
        labels: (0..count)
            .map(|i| u8::try_from(i % 10).expect("< 10"))
            .collect(),
        pixels: (0..count * 784)
            .map(|_| u8::try_from(rng.below(256)).expect("< 256"))
            .collect(),
    }
}

fn values(value: &Value) -> Vec<f32> {
    let data = match value {
        Value::Image(tensor) => tensor.clone().into_data(),
        Value::Flat(tensor) => tensor.clone().into_data(),
    };
    data.iter::<f32>().collect()
}

fn close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-5 + 1e-4 * y.abs(),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

fn activations_match_prefix_forward_passes(device: Device) {
    // The residual preset: conv, batch norm, ReLU, an Add skip, pooling, dense.
    let network = ImageNetwork::small_resnet(SIZE, 10);
    let train = noise(64, 1);
    let val = noise(20, 2);
    let recipe = Recipe {
        batch_size: 16,
        ..Recipe::default()
    };
    let mut trainer =
        ImageTrainer::new(&device, &network, &train, &val, recipe, None, 4).expect("valid");
    trainer.train_batches(3); // batch-norm running statistics move off their start
    let image = val.subset(&[3]);
    let (taps, probabilities) =
        pollster::block_on(trainer.activations(&image)).expect("activations");
    assert_eq!(taps.len(), network.layers.len() + 1, "input + every layer");
    let model = trainer.eval_model();
    let input_values: Vec<f32> = image.pixels.iter().map(|&p| f32::from(p) / 255.0).collect();
    let input: Tensor<4> =
        Tensor::from_data(TensorData::new(input_values, [1, 1, 28, 28]), &device);
    for (prefix, tap) in taps.iter().enumerate() {
        let direct = model.forward(
            &network.layers[..prefix],
            input.clone(),
            &Mode::Eval(trainer.running()),
        );
        let last = direct.taps.last().expect("the input at least");
        close(
            &taps[prefix].values,
            &values(last),
            &format!("tap {prefix}"),
        );
        let expected_shape: Vec<usize> = match last {
            Value::Image(t) => t.dims()[1..].to_vec(),
            Value::Flat(t) => t.dims()[1..].to_vec(),
        };
        assert_eq!(tap.shape, expected_shape, "tap {prefix} shape");
    }
    let sum: f32 = probabilities.iter().sum();
    assert!((sum - 1.0).abs() < 1e-4);
    close(
        &probabilities,
        &taps[network.layers.len()].values,
        "Softmax output = probabilities",
    );

    // evaluate: logits and penultimate features of every validation image, in chunks.
    let evaluation = pollster::block_on(trainer.evaluate(&val)).expect("evaluation");
    assert_eq!(evaluation.logits.len(), 20 * 10);
    let full = model.forward(
        &network.layers,
        agora_engine::convnet::images_tensor(&val, &device),
        &Mode::Eval(trainer.running()),
    );
    close(
        &evaluation.logits,
        &full.logits().into_data().iter::<f32>().collect::<Vec<_>>(),
        "logits",
    );
    // Taps: [.., penultimate, logits, probabilities].
    let penultimate = &full.taps[network.layers.len() - 2];
    assert_eq!(
        evaluation.feature_size * 20,
        evaluation.features.len(),
        "features per image"
    );
    close(
        &evaluation.features,
        &values(penultimate),
        "penultimate features",
    );
    // After an epoch, the epoch's own validation pass is kept and equals a fresh evaluation;
    // once a batch of the next epoch has run it is stale and not offered.
    assert!(trainer.last_evaluation().is_none(), "no epoch finished yet");
    while !trainer.train_batches(2) {}
    pollster::block_on(trainer.epoch_metrics()).expect("metrics");
    let kept = trainer.last_evaluation().expect("kept").clone();
    let fresh = pollster::block_on(trainer.evaluate(&val)).expect("evaluation");
    close(&kept.logits, &fresh.logits, "kept logits");
    close(&kept.features, &fresh.features, "kept features");
    trainer.train_batches(1);
    assert!(trainer.last_evaluation().is_none(), "stale after a step");
    let evaluation = pollster::block_on(trainer.evaluate(&val)).expect("evaluation");
    let predicted = pollster::block_on(trainer.predict(&val)).expect("predict");
    let softmaxed: Vec<f32> = evaluation
        .logits
        .chunks(10)
        .flat_map(|row| agora_engine::calibration::softmax(row, 1.0))
        .collect();
    close(
        &softmaxed,
        &predicted.concat(),
        "predict = softmax(evaluate)",
    );
}

on_each_backend! {
    activations_and_evaluation => activations_match_prefix_forward_passes;
}
