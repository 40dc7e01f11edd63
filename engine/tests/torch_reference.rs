//! Agora's layers, losses, gradients and optimizers against PyTorch.
//!
//! `fixtures/torch.json` was written by `scripts/torch_fixtures.py` with PyTorch (in f64): for
//! each layer type, and for two small residual networks, the same weights and inputs, the
//! outputs, the loss, every gradient, and the parameters after 3 steps of each optimizer.
//! Every number must agree within `|a − b| ≤ ATOL + RTOL·|b|`, on Flex (CPU) and on Burn's
//! wgpu backend (lavapipe where there is no GPU).

#[macro_use]
mod common;

use agora_engine::Device;
use agora_engine::convnet::{
    ConvNet, HostTensor, ImageTrainer, LayerParams, Mode, Value as Tap, cross_entropy, one_hot,
};
use agora_engine::images::ImageSet;
use agora_engine::recipe::Recipe;
use agora_engine::vision::{ImageNetwork, ImageSize, Layer, infer_body, infer_graph};
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
fn param_grads(
    model: &ConvNet,
    grads: &burn::tensor::Gradients,
) -> Vec<Vec<(Vec<usize>, Vec<f32>)>> {
    model
        .nodes
        .iter()
        .map(|node| {
            let mut out = Vec::new();
            if let Some(kernel) = &node.kernel {
                out.push(values(kernel.val().grad(grads).expect("kernel gradient")));
            }
            if let Some(matrix) = &node.matrix {
                out.push(values(matrix.val().grad(grads).expect("weight gradient")));
            }
            for vector in [&node.gamma, &node.beta, &node.bias].into_iter().flatten() {
                out.push(values(vector.val().grad(grads).expect("vector gradient")));
            }
            out
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
        let network = ImageNetwork {
            input: ImageSize {
                channels: shape[0],
                height: shape[1],
                width: shape[2],
            },
            layers: serde_json::from_value(case["layers"].clone()).expect("Agora layers"),
            classes: 2,
        };
        let report = infer_body(&network).unwrap_or_else(|error| panic!("{name}: {error}"));
        let train_device = device.clone().autodiff();
        let params = params_of(&case["params"]);
        let (model, running) = ConvNet::from_params(&network, &report, &params, &train_device)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let input = to_tensor::<4>(&case["input"], &train_device).require_grad();
        let forward = model.forward(&network.layers, input.clone(), &Mode::Train);
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
        // Batch norm's running statistics after one training forward pass.
        for (at, (stats, old)) in forward.batch_stats.into_iter().zip(&running).enumerate() {
            if let (Some(batch), Some(old)) = (stats, old) {
                let mean = old.mean.clone().mul_scalar(0.9) + batch.mean.inner().mul_scalar(0.1);
                let var = old.var.clone().mul_scalar(0.9) + batch.var.inner().mul_scalar(0.1);
                let after = &case["params_after_forward"][at];
                let mean = values(mean);
                let var = values(var);
                assert_close(
                    &format!("{name}: running mean"),
                    (&mean.0, &mean.1),
                    &after[2],
                );
                assert_close(&format!("{name}: running var"), (&var.0, &var.1), &after[3]);
            }
        }
    }
}

fn network_of(case: &Value) -> ImageNetwork {
    serde_json::from_value(case["network"].clone()).expect("an Agora network")
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
        let (model, running) = ConvNet::from_params(&network, &report, &params, &train_device)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let input = to_tensor::<4>(&case["input"], &train_device);
        let forward = model.forward(&network.layers, input.clone(), &Mode::Train);
        let logits = forward.logits();
        let (dims, out) = values(logits.clone());
        assert_close(&format!("{name}: logits"), (&dims, &out), &case["logits"]);
        let (dims, out) = tap_values(forward.taps.last().cloned().expect("probabilities"));
        assert_close(
            &format!("{name}: probabilities"),
            (&dims, &out),
            &case["probabilities"],
        );
        let targets = one_hot(&labels_of(case), network.classes, &train_device);
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
            &network.layers,
            to_tensor::<4>(&case["input"], &device),
            &Mode::Eval(&running),
        );
        let (dims, out) = values(forward.logits());
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
    // A one-image set just to build the trainer; the steps below use the fixture's batch.
    let size = network.input;
    let placeholder = ImageSet {
        size,
        class_names: (0..network.classes).map(|c| c.to_string()).collect(),
        labels: vec![0],
        pixels: vec![0; size.channels * size.height * size.width],
    };
    for run in optimizers {
        let name = run["name"].as_str().expect("a name");
        let recipe: Recipe =
            serde_json::from_value(run["recipe"].clone()).expect("an Agora recipe");
        let mut trainer = ImageTrainer::new(
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
            let targets = one_hot(&labels, network.classes, &train_device);
            let (loss, _) = trainer.step(inputs, targets, recipe.learning_rate);
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
    use agora_engine::convnet::{SaliencyMethod, grad_cam_tap};
    use agora_engine::images::ImageSet;
    let fixtures = fixtures();
    for case in fixtures["saliency_cases"]
        .as_array()
        .expect("saliency cases")
    {
        let name = case["name"].as_str().expect("a name");
        let network = network_of(case);
        let params = params_of(&case["params"]);
        let size = network.input;
        let blank = ImageSet {
            size,
            class_names: (0..network.classes).map(|c| c.to_string()).collect(),
            labels: (0..network.classes)
                .map(|c| u8::try_from(c).expect("few classes"))
                .collect(),
            pixels: vec![0; network.classes * size.channels * size.height * size.width],
        };
        let trainer = ImageTrainer::new(
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
