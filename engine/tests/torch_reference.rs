//! Agora's layers, losses, gradients and optimizers against PyTorch.
//!
//! `fixtures/torch.json` was written by `scripts/torch_fixtures.py` with PyTorch (in f64): for
//! each layer type, and for two small residual networks, the same weights and inputs, the
//! outputs, the loss, every gradient, and the parameters after 3 steps of each optimizer.
//! Every number must agree within `|a − b| ≤ ATOL + RTOL·|b|`, on Flex (CPU) and on Burn's
//! wgpu backend (lavapipe where there is no GPU).

#[macro_use]
mod common;

use agora_engine::compute::{Block, Mode, Model, Value as Tap, cross_entropy, one_hot};
use agora_engine::images::ImageSet;
use agora_engine::net::{Head, ImageSize, Input, Layer, Network, Shape, infer_body, infer_graph};
use agora_engine::params::{HostTensor, LayerParams};
use agora_engine::recipe::{Optimizer, Recipe};
use agora_engine::samples::Samples;
use agora_engine::{Device, Trainer};
use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use serde_json::Value;

/// Relative tolerance: f32 arithmetic against an f64 reference.
const RTOL: f64 = 1e-4;
/// Absolute tolerance for values near zero.
const ATOL: f64 = 2e-5;

fn fixtures() -> Value {
    let text = include_str!("fixtures/torch.json");
    serde_json::from_str(text).expect("fixtures/torch.json is valid JSON")
}

on_each_backend! {
    every_layer_matches_pytorch => layers;
    residual_network_matches_pytorch => networks;
    batch_norm_running_statistics_match_pytorch_after_a_step => running_statistics;
    every_optimizer_matches_pytorch_after_three_steps => optimizers;
    saliency_matches_pytorch => saliency;
}

fn host(value: &Value) -> HostTensor {
    serde_json::from_value(value.clone()).expect("a {shape, values} tensor")
}

fn to_tensor<const D: usize>(value: &Value, device: &Device) -> Tensor<D> {
    let host = host(value);
    Tensor::from_data(TensorData::new(host.values, host.shape), device)
}

fn values<const D: usize>(tensor: Tensor<D>) -> (Vec<usize>, Vec<f32>) {
    let dims = tensor.dims().to_vec();
    let data = tensor.into_data();
    (dims, data.iter::<f32>().collect())
}

fn tap_values(tap: Tap) -> (Vec<usize>, Vec<f32>) {
    match tap {
        Tap::Image(tensor) => values(tensor),
        Tap::Flat(tensor) => values(tensor),
    }
}

/// Fails with the case, the quantity and the worst element when `actual` is off.
fn assert_close(what: &str, actual: (&[usize], &[f32]), expected: &Value) {
    let expected = host(expected);
    assert_eq!(actual.0, expected.shape.as_slice(), "{what}: shape");
    let mut worst: Option<(usize, f64, f64, f64)> = None;
    for (index, (&a, &b)) in actual.1.iter().zip(&expected.values).enumerate() {
        let (a, b) = (f64::from(a), f64::from(b));
        let excess = (a - b).abs() - (ATOL + RTOL * b.abs());
        if excess > 0.0 && worst.is_none_or(|(_, _, _, e)| excess > e) {
            worst = Some((index, a, b, excess));
        }
    }
    if let Some((index, a, b, _)) = worst {
        panic!("{what}: element {index} is {a}, PyTorch says {b}");
    }
}

fn assert_scalar(what: &str, actual: f32, expected: f64) {
    let tolerance = ATOL + RTOL * expected.abs();
    assert!(
        (f64::from(actual) - expected).abs() <= tolerance,
        "{what}: {actual}, PyTorch says {expected}"
    );
}

fn params_of(value: &Value) -> Vec<LayerParams> {
    serde_json::from_value(value.clone()).expect("per-layer parameter lists")
}

/// The gradients of each layer's trainable parameters, in fixture order.
fn param_grads(model: &Model, grads: &burn::tensor::Gradients) -> Vec<Vec<(Vec<usize>, Vec<f32>)>> {
    model
        .blocks
        .iter()
        .map(|block| match block {
            Block::Conv2d(conv) => vec![
                values(conv.weight.val().grad(grads).expect("kernel gradient")),
                values(conv.bias.val().grad(grads).expect("bias gradient")),
            ],
            Block::Dense(dense) => vec![
                values(dense.weight.val().grad(grads).expect("weight gradient")),
                values(dense.bias.val().grad(grads).expect("bias gradient")),
            ],
            Block::BatchNorm(norm) | Block::LayerNorm(norm) => vec![
                values(norm.gamma.val().grad(grads).expect("gamma gradient")),
                values(norm.beta.val().grad(grads).expect("beta gradient")),
            ],
            Block::Plain(_) => Vec::new(),
        })
        .collect()
}

fn compare_grads(name: &str, actual: &[Vec<(Vec<usize>, Vec<f32>)>], expected: &Value) {
    let expected = expected.as_array().expect("a list per layer");
    assert_eq!(
        actual.len(),
        expected.len(),
        "{name}: layers with gradients"
    );
    for (layer, (mine, theirs)) in actual.iter().zip(expected).enumerate() {
        let theirs = theirs.as_array().expect("a list of tensors");
        assert_eq!(
            mine.len(),
            theirs.len(),
            "{name}: layer {} gradient count",
            layer + 1
        );
        for (index, (tensor, reference)) in mine.iter().zip(theirs).enumerate() {
            assert_close(
                &format!("{name}: gradient {index} of layer {}", layer + 1),
                (&tensor.0, &tensor.1),
                reference,
            );
        }
    }
}

fn layers(device: Device) {
    let fixtures = fixtures();
    let cases = fixtures["layer_cases"].as_array().expect("layer cases");
    assert!(cases.len() >= 20, "every layer type has a case");
    for case in cases {
        let name = case["name"].as_str().expect("a name");
        let shape: Vec<usize> = serde_json::from_value(case["input_shape"].clone()).expect("shape");
        let network = Network {
            input: Input::Image(ImageSize {
                channels: shape[0],
                height: shape[1],
                width: shape[2],
            }),
            layers: serde_json::from_value(case["layers"].clone()).expect("Agora layers"),
            head: Head::Classification { classes: 2 },
        };
        let report = infer_body(&network).unwrap_or_else(|error| panic!("{name}: {error}"));
        let train_device = device.clone().autodiff();
        let params = params_of(&case["params"]);
        let (model, _) = Model::new(&network, &report, &params, &train_device)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let input = to_tensor::<4>(&case["input"], &train_device).require_grad();
        let forward = model.forward(Tap::Image(input.clone()), &Mode::Train);
        let output = forward.taps.last().cloned().expect("an output");
        let loss = match output.clone() {
            Tap::Image(out) => (out * to_tensor::<4>(&case["probe"], &train_device)).sum(),
            Tap::Flat(out) => (out * to_tensor::<2>(&case["probe"], &train_device)).sum(),
        };
        let (dims, out) = tap_values(output);
        assert_close(&format!("{name}: output"), (&dims, &out), &case["output"]);
        let loss_value = values(loss.clone()).1[0];
        assert_scalar(
            &format!("{name}: loss"),
            loss_value,
            case["loss"].as_f64().expect("loss"),
        );
        let grads = loss.backward();
        let input_grad = values(input.grad(&grads).expect("input gradient"));
        assert_close(
            &format!("{name}: input gradient"),
            (&input_grad.0, &input_grad.1),
            &case["input_grad"],
        );
        compare_grads(name, &param_grads(&model, &grads), &case["param_grads"]);
    }
}

/// The fixture's network, written as `{input: {channels, height, width}, layers, classes}`.
fn network_of(case: &Value) -> Network {
    let network = &case["network"];
    let classes = network["classes"].as_u64().expect("a class count");
    Network {
        input: Input::Image(
            serde_json::from_value(network["input"].clone()).expect("an image size"),
        ),
        layers: serde_json::from_value(network["layers"].clone()).expect("Agora layers"),
        head: Head::Classification {
            classes: usize::try_from(classes).expect("few classes"),
        },
    }
}

/// Images of the network's input size, one per class, all black: a trainer needs samples to
/// be built, but the steps below use the fixture's batch.
fn placeholder(network: &Network) -> ImageSet {
    let size = network.input.image().expect("an image network");
    let classes = network.classes();
    ImageSet {
        size,
        class_names: (0..classes).map(|c| c.to_string()).collect(),
        labels: (0..classes)
            .map(|c| u8::try_from(c).expect("few classes"))
            .collect(),
        pixels: vec![0; classes * size.channels * size.height * size.width],
    }
}

fn labels_of(case: &Value) -> Vec<u8> {
    serde_json::from_value(case["labels"].clone()).expect("labels")
}

fn networks(device: Device) {
    let fixtures = fixtures();
    for case in fixtures["network_cases"].as_array().expect("network cases") {
        let name = case["name"].as_str().expect("a name");
        let network = network_of(case);
        let report = infer_graph(&network).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert!(
            network
                .layers
                .iter()
                .any(|layer| matches!(layer, Layer::Add { .. }))
        );
        let train_device = device.clone().autodiff();
        let params = params_of(&case["params"]);
        let (model, running) = Model::new(&network, &report, &params, &train_device)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let input = to_tensor::<4>(&case["input"], &train_device);
        let forward = model.forward(Tap::Image(input), &Mode::Train);
        let logits = forward.flat(network.score_tap());
        let (dims, out) = values(logits.clone());
        assert_close(&format!("{name}: logits"), (&dims, &out), &case["logits"]);
        let (dims, out) = tap_values(forward.taps.last().cloned().expect("probabilities"));
        assert_close(
            &format!("{name}: probabilities"),
            (&dims, &out),
            &case["probabilities"],
        );
        let targets = one_hot(&labels_of(case), network.classes(), &train_device);
        let loss = cross_entropy(logits, targets);
        assert_scalar(
            &format!("{name}: loss"),
            values(loss.clone()).1[0],
            case["loss"].as_f64().expect("loss"),
        );
        let grads = loss.backward();
        compare_grads(name, &param_grads(&model, &grads), &case["param_grads"]);
        // Evaluation mode uses the running statistics.
        let eval = model.valid();
        let forward = eval.forward(
            Tap::Image(to_tensor::<4>(&case["input"], &device)),
            &Mode::Eval(&running),
        );
        let (dims, out) = values(forward.flat(network.score_tap()));
        assert_close(
            &format!("{name}: evaluation logits"),
            (&dims, &out),
            &case["eval_logits"],
        );
    }
}

fn optimizers(device: Device) {
    let fixtures = fixtures();
    let case = &fixtures["network_cases"][0];
    let network = network_of(case);
    let params = params_of(&case["params"]);
    let labels = labels_of(case);
    let optimizers = case["optimizers"].as_array().expect("optimizer runs");
    assert!(optimizers.len() >= 8, "every optimizer has a run");
    let placeholder = Samples::Images(placeholder(&network));
    for run in optimizers {
        let name = run["name"].as_str().expect("a name");
        let recipe: Recipe =
            serde_json::from_value(run["recipe"].clone()).expect("an Agora recipe");
        let mut trainer = Trainer::new(
            &device,
            &network,
            &placeholder,
            &placeholder,
            recipe,
            Some(&params),
            1,
        )
        .unwrap_or_else(|error| panic!("{name}: {error}"));
        let train_device = device.clone().autodiff();
        let losses = run["losses"].as_array().expect("losses");
        for (step, expected) in losses.iter().enumerate() {
            let inputs = to_tensor::<4>(&case["input"], &train_device);
            let targets = one_hot(&labels, network.classes(), &train_device);
            let (loss, _) = trainer.step(Tap::Image(inputs), targets, recipe.learning_rate);
            assert_scalar(
                &format!("{name}: loss at step {}", step + 1),
                values(loss).1[0],
                expected.as_f64().expect("loss"),
            );
        }
        let after = pollster::block_on(trainer.params()).expect("parameters read back");
        let expected = run["params_after"]
            .as_array()
            .expect("parameters per layer");
        assert_eq!(after.len(), expected.len());
        for (layer, (mine, theirs)) in after.iter().zip(expected).enumerate() {
            let theirs = theirs.as_array().expect("tensors");
            assert_eq!(
                mine.len(),
                theirs.len(),
                "{name}: layer {} tensors",
                layer + 1
            );
            for (index, (tensor, reference)) in mine.iter().zip(theirs).enumerate() {
                assert_close(
                    &format!(
                        "{name}: tensor {index} of layer {} after 3 steps",
                        layer + 1
                    ),
                    (&tensor.shape, &tensor.values),
                    reference,
                );
            }
        }
    }
}

/// Grad-CAM (and gradient × input without a conv) against PyTorch, in evaluation mode, on the
/// fixture's weights and batch-norm statistics.
fn saliency(device: Device) {
    use agora_engine::inspect::{SaliencyMethod, grad_cam_tap};
    let fixtures = fixtures();
    for case in fixtures["saliency_cases"]
        .as_array()
        .expect("saliency cases")
    {
        let name = case["name"].as_str().expect("a name");
        let network = network_of(case);
        let params = params_of(&case["params"]);
        let blank = Samples::Images(placeholder(&network));
        let trainer = Trainer::new(
            &device,
            &network,
            &blank,
            &blank,
            agora_engine::recipe::Recipe::default(),
            Some(&params),
            1,
        )
        .unwrap_or_else(|error| panic!("{name}: {error}"));
        let class = case["class"]
            .as_u64()
            .map(|c| usize::try_from(c).expect("small"));
        let result = pollster::block_on(trainer.saliency_for(&host(&case["input"]), class))
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let expected_tap = case["tap"]
            .as_u64()
            .map(|t| usize::try_from(t).expect("small"));
        assert_eq!(grad_cam_tap(&network.layers), expected_tap, "{name}: layer");
        match (result.method, expected_tap) {
            (SaliencyMethod::GradCam { tap }, Some(expected)) => {
                assert_eq!(tap, expected, "{name}")
            }
            (SaliencyMethod::GradientTimesInput, None) => {}
            (method, expected) => panic!("{name}: {method:?} but expected tap {expected:?}"),
        }
        assert_eq!(
            result.class,
            usize::try_from(case["expected_class"].as_u64().expect("a class")).expect("small"),
            "{name}: class"
        );
        assert_close(
            &format!("{name}: heat"),
            (&[result.height, result.width], &result.values),
            &case["heat"],
        );
    }
}

/// Batch norm's running statistics after one training step, as the trainer itself updates
/// them (`Trainer::step`, read back by `Trainer::params`), against PyTorch's after one
/// training forward pass. Each batch-norm layer case gets a classifier head so the trainer
/// takes it; the step's learning rate is 0, so the scale and shift stay where they were.
fn running_statistics(device: Device) {
    let fixtures = fixtures();
    let mut checked = 0;
    for case in fixtures["layer_cases"].as_array().expect("layer cases") {
        let name = case["name"].as_str().expect("a name");
        let body: Vec<Layer> =
            serde_json::from_value(case["layers"].clone()).expect("Agora layers");
        if !body.contains(&Layer::BatchNorm) {
            continue;
        }
        let shape: Vec<usize> = serde_json::from_value(case["input_shape"].clone()).expect("shape");
        let size = ImageSize {
            channels: shape[0],
            height: shape[1],
            width: shape[2],
        };
        let mut network = Network {
            input: Input::Image(size),
            layers: body.clone(),
            head: Head::Classification { classes: 2 },
        };
        let report = infer_body(&network).unwrap_or_else(|error| panic!("{name}: {error}"));
        let features = match report.layers.last().map(|info| info.output) {
            Some(Shape::Flat(units)) => units,
            Some(image) => {
                network.layers.push(Layer::Flatten);
                image.elements()
            }
            None => panic!("{name}: no layers"),
        };
        network.layers.push(Layer::Dense { units: 2 });
        network.layers.push(Layer::Softmax);
        let mut params = params_of(&case["params"]);
        if network.layers.len() == body.len() + 3 {
            params.push(Vec::new()); // Flatten
        }
        params.push(vec![
            HostTensor {
                shape: vec![features, 2],
                values: (0..features * 2).map(|i| (i % 7) as f32 * 0.01).collect(),
            },
            HostTensor {
                shape: vec![2],
                values: vec![0.0; 2],
            },
        ]);
        params.push(Vec::new()); // Softmax
        let recipe = Recipe {
            optimizer: Optimizer::Sgd,
            momentum: 0.0,
            learning_rate: 0.0,
            ..Recipe::default()
        };
        let placeholder = Samples::Images(placeholder(&network));
        let mut trainer = Trainer::new(
            &device,
            &network,
            &placeholder,
            &placeholder,
            recipe,
            Some(&params),
            1,
        )
        .unwrap_or_else(|error| panic!("{name}: {error}"));
        let train_device = device.clone().autodiff();
        let input = to_tensor::<4>(&case["input"], &train_device);
        let batch = input.dims()[0];
        let targets = one_hot(&vec![0; batch], 2, &train_device);
        trainer.step(Tap::Image(input), targets, 0.0);
        let after = pollster::block_on(trainer.params()).expect("parameters read back");
        for (at, layer) in body.iter().enumerate() {
            if *layer != Layer::BatchNorm {
                continue;
            }
            let expected = case["params_after_forward"][at]
                .as_array()
                .expect("gamma, beta, running mean, running var");
            assert_eq!(after[at].len(), 4, "{name}: batch norm's numbers");
            assert_eq!(expected.len(), 4, "{name}: PyTorch's batch norm numbers");
            for (index, (mine, theirs)) in after[at].iter().zip(expected).enumerate() {
                let what = ["gamma", "beta", "running mean", "running var"][index];
                assert_close(
                    &format!("{name}: {what} after a step"),
                    (&mine.shape, &mine.values),
                    theirs,
                );
            }
            // The statistics moved off their start (mean 0, variance 1).
            assert!(
                after[at][2].values.iter().any(|&m| m != 0.0),
                "{name}: the running mean moved"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 2,
        "batch norm on images and on vectors: {checked}"
    );
}
