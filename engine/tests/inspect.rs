//! The inspection reads against an independent computation: every layer's activation for one
//! image equals that layer worked out on the host, with plain loops in f64, from the earlier
//! activations and the parameters the trainer reads back; `evaluate`'s logits and penultimate
//! features equal the whole network worked out the same way.

#[macro_use]
mod common;

use agora_engine::Device;
use agora_engine::Trainer;
use agora_engine::data::Rng;
use agora_engine::images::ImageSet;
use agora_engine::net::{Act, ImageSize, Layer, Network};
use agora_engine::params::{HostTensor, LayerParams};
use agora_engine::recipe::Recipe;
use agora_engine::samples::Samples;

const SIZE: ImageSize = ImageSize {
    channels: 1,
    height: 28,
    width: 28,
};

/// PyTorch's defaults, as the engine uses them.
const NORM_EPSILON: f64 = 1e-5;
const LEAKY_SLOPE: f64 = 0.01;

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

fn close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-5 + 1e-4 * y.abs(),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

/// A tensor of one sample on the host, in f64: `[channels, height, width]` or `[values]`.
#[derive(Clone, Debug)]
struct Host {
    shape: Vec<usize>,
    values: Vec<f64>,
}

impl Host {
    fn of(tensor: &HostTensor) -> Host {
        Host {
            shape: tensor.shape.clone(),
            values: tensor.values.iter().map(|&v| f64::from(v)).collect(),
        }
    }

    #[allow(clippy::cast_possible_truncation)]
    fn f32(&self) -> Vec<f32> {
        self.values.iter().map(|&v| v as f32).collect()
    }

    fn map(&self, f: impl Fn(f64) -> f64) -> Host {
        Host {
            shape: self.shape.clone(),
            values: self.values.iter().map(|&v| f(v)).collect(),
        }
    }

    /// `(channels, height, width)` of an image.
    fn image(&self) -> (usize, usize, usize) {
        match self.shape[..] {
            [c, h, w] => (c, h, w),
            _ => panic!("an image, got shape {:?}", self.shape),
        }
    }
}

/// Image `index` of `set` as `[channels, height, width]` in `[0, 1]`.
fn pixels(set: &ImageSet, index: usize) -> Host {
    let (c, h, w) = (set.size.channels, set.size.height, set.size.width);
    let image = set.image(index);
    let mut values = vec![0.0; c * h * w];
    for y in 0..h {
        for x in 0..w {
            for channel in 0..c {
                values[channel * h * w + y * w + x] =
                    f64::from(image[(y * w + x) * c + channel]) / 255.0;
            }
        }
    }
    Host {
        shape: vec![c, h, w],
        values,
    }
}

fn pool(x: &Host, size: usize, stride: usize, max: bool) -> Host {
    let (c, h, w) = x.image();
    let (oh, ow) = ((h - size) / stride + 1, (w - size) / stride + 1);
    let mut values = Vec::with_capacity(c * oh * ow);
    for channel in 0..c {
        for oy in 0..oh {
            for ox in 0..ow {
                let window = (0..size).flat_map(|dy| {
                    (0..size).map(move |dx| {
                        x.values[channel * h * w + (oy * stride + dy) * w + ox * stride + dx]
                    })
                });
                values.push(if max {
                    window.fold(f64::NEG_INFINITY, f64::max)
                } else {
                    #[allow(clippy::cast_precision_loss)]
                    let count = (size * size) as f64;
                    window.sum::<f64>() / count
                });
            }
        }
    }
    Host {
        shape: vec![c, oh, ow],
        values,
    }
}

/// Layer `layer` worked out on the host: its input is the last of `taps` (tap 0 the image),
/// its numbers `params` in the trainer's order, in evaluation mode.
#[allow(clippy::too_many_lines)] // one arm per layer kind
fn host_layer(layer: &Layer, taps: &[Host], params: &LayerParams) -> Host {
    let x = taps.last().expect("the input at least");
    let p: Vec<Host> = params.iter().map(Host::of).collect();
    match layer {
        Layer::Conv2d {
            filters,
            kernel,
            stride,
            padding,
            dilation,
        } => {
            let (c, h, w) = x.image();
            let (k, s, pad, d) = (*kernel, *stride, *padding, *dilation);
            let span = d * (k - 1) + 1;
            let (oh, ow) = ((h + 2 * pad - span) / s + 1, (w + 2 * pad - span) / s + 1);
            let (weight, bias) = (&p[0], &p[1]);
            assert_eq!(weight.shape, [*filters, c, k, k]);
            let mut values = Vec::with_capacity(filters * oh * ow);
            for f in 0..*filters {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let mut sum = bias.values[f];
                        for channel in 0..c {
                            for ky in 0..k {
                                for kx in 0..k {
                                    let y = (oy * s + ky * d).checked_sub(pad);
                                    let xx = (ox * s + kx * d).checked_sub(pad);
                                    if let (Some(y), Some(xx)) = (y, xx)
                                        && y < h
                                        && xx < w
                                    {
                                        sum += weight.values[((f * c + channel) * k + ky) * k + kx]
                                            * x.values[channel * h * w + y * w + xx];
                                    }
                                }
                            }
                        }
                        values.push(sum);
                    }
                }
            }
            Host {
                shape: vec![*filters, oh, ow],
                values,
            }
        }
        Layer::Dense { units } => {
            let inputs = x.values.len();
            let (weight, bias) = (&p[0], &p[1]);
            assert_eq!(weight.shape, [inputs, *units]);
            Host {
                shape: vec![*units],
                values: (0..*units)
                    .map(|j| {
                        bias.values[j]
                            + (0..inputs)
                                .map(|i| x.values[i] * weight.values[i * units + j])
                                .sum::<f64>()
                    })
                    .collect(),
            }
        }
        Layer::BatchNorm => {
            let (gamma, beta, mean, var) = (&p[0], &p[1], &p[2], &p[3]);
            let per = x.values.len() / x.shape[0];
            Host {
                shape: x.shape.clone(),
                values: x
                    .values
                    .iter()
                    .enumerate()
                    .map(|(at, &v)| {
                        let ch = at / per;
                        (v - mean.values[ch]) / (var.values[ch] + NORM_EPSILON).sqrt()
                            * gamma.values[ch]
                            + beta.values[ch]
                    })
                    .collect(),
            }
        }
        Layer::LayerNorm => {
            let (gamma, beta) = (&p[0], &p[1]);
            #[allow(clippy::cast_precision_loss)]
            let n = x.values.len() as f64;
            let mean = x.values.iter().sum::<f64>() / n;
            let var = x.values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            Host {
                shape: x.shape.clone(),
                values: x
                    .values
                    .iter()
                    .enumerate()
                    .map(|(at, &v)| {
                        (v - mean) / (var + NORM_EPSILON).sqrt() * gamma.values[at]
                            + beta.values[at]
                    })
                    .collect(),
            }
        }
        Layer::Activation(act) => match act {
            Act::Relu => x.map(|v| v.max(0.0)),
            Act::LeakyRelu => x.map(|v| if v >= 0.0 { v } else { LEAKY_SLOPE * v }),
            Act::Tanh => x.map(f64::tanh),
            Act::Sigmoid => x.map(|v| 1.0 / (1.0 + (-v).exp())),
            Act::Gelu => unimplemented!("GELU is not in this test's network"),
        },
        Layer::MaxPool { size, stride } => pool(x, *size, *stride, true),
        Layer::AvgPool { size, stride } => pool(x, *size, *stride, false),
        Layer::GlobalAvgPool => {
            let (c, h, w) = x.image();
            #[allow(clippy::cast_precision_loss)]
            let count = (h * w) as f64;
            Host {
                shape: vec![c],
                values: x
                    .values
                    .chunks(h * w)
                    .map(|plane| plane.iter().sum::<f64>() / count)
                    .collect(),
            }
        }
        Layer::Flatten => Host {
            shape: vec![x.values.len()],
            values: x.values.clone(),
        },
        Layer::Dropout { .. } => x.clone(),
        Layer::Add { from } => {
            let other = &taps[*from];
            assert_eq!(other.shape, x.shape, "Add joins equal shapes");
            Host {
                shape: x.shape.clone(),
                values: x
                    .values
                    .iter()
                    .zip(&other.values)
                    .map(|(a, b)| a + b)
                    .collect(),
            }
        }
        Layer::Concat { from } => {
            let other = &taps[*from];
            let mut shape = x.shape.clone();
            shape[0] += other.shape[0];
            Host {
                shape,
                values: x.values.iter().chain(&other.values).copied().collect(),
            }
        }
        Layer::Softmax => {
            let top = x.values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let exps: Vec<f64> = x.values.iter().map(|v| (v - top).exp()).collect();
            let total: f64 = exps.iter().sum();
            Host {
                shape: x.shape.clone(),
                values: exps.iter().map(|e| e / total).collect(),
            }
        }
    }
}

/// Every tap of `network` for `input`, worked out on the host from `params`.
fn host_forward(network: &Network, params: &[LayerParams], input: Host) -> Vec<Host> {
    let mut taps = vec![input];
    for (layer, numbers) in network.layers.iter().zip(params) {
        let next = host_layer(layer, &taps, numbers);
        taps.push(next);
    }
    taps
}

fn activations_match_a_host_computation(device: Device) {
    // The residual preset: conv, batch norm, ReLU, an Add skip, pooling, dense.
    let network = Network::small_resnet(SIZE, 10);
    let train = noise(64, 1);
    let val = noise(20, 2);
    let recipe = Recipe {
        batch_size: 16,
        ..Recipe::default()
    };
    let mut trainer = Trainer::new(
        &device,
        &network,
        &Samples::Images(train),
        &Samples::Images(val.clone()),
        recipe,
        None,
        4,
    )
    .expect("valid");
    trainer.train_batches(3); // batch-norm running statistics move off their start
    let params = pollster::block_on(trainer.params()).expect("parameters read back");
    assert_eq!(params.len(), network.layers.len());
    let bn = network
        .layers
        .iter()
        .position(|layer| *layer == Layer::BatchNorm)
        .expect("a batch norm");
    assert!(
        params[bn][2].values.iter().any(|&m| m != 0.0),
        "the running mean moved, so evaluation mode is tested with real statistics"
    );

    let image = val.subset(&[3]);
    let (taps, probabilities) =
        pollster::block_on(trainer.activations(&image)).expect("activations");
    assert_eq!(taps.len(), network.layers.len() + 1, "input + every layer");
    let input = pixels(&image, 0);
    assert_eq!(taps[0].shape, input.shape, "tap 0 shape");
    close(&taps[0].values, &input.f32(), "tap 0 (the input)");
    // Each layer on the host, fed the engine's own earlier taps, so every layer is checked on
    // its own and errors do not add up.
    let engine_taps: Vec<Host> = taps.iter().map(Host::of).collect();
    for (at, layer) in network.layers.iter().enumerate() {
        let expected = host_layer(layer, &engine_taps[..=at], &params[at]);
        let tap = &taps[at + 1];
        assert_eq!(
            tap.shape,
            expected.shape,
            "tap {} ({}) shape",
            at + 1,
            layer.kind()
        );
        close(
            &tap.values,
            &expected.f32(),
            &format!("tap {} ({})", at + 1, layer.kind()),
        );
    }
    // And the whole network on the host from the pixels alone.
    let host = host_forward(&network, &params, input);
    let sum: f32 = probabilities.iter().sum();
    assert!((sum - 1.0).abs() < 1e-4);
    close(
        &probabilities,
        &host[network.layers.len()].f32(),
        "probabilities = the host's softmax",
    );
    close(
        &probabilities,
        &taps[network.layers.len()].values,
        "Softmax output = probabilities",
    );

    // evaluate: logits and penultimate features of every validation image, in chunks.
    let evaluation = pollster::block_on(trainer.evaluate(&val)).expect("evaluation");
    assert_eq!(evaluation.logits.len(), 20 * 10);
    assert_eq!(
        evaluation.feature_size * 20,
        evaluation.features.len(),
        "features per image"
    );
    let mut logits = Vec::new();
    let mut features = Vec::new();
    for index in 0..val.len() {
        let host = host_forward(&network, &params, pixels(&val, index));
        // Taps: [.., penultimate, logits, probabilities].
        logits.extend(host[network.score_tap()].f32());
        features.extend(host[network.feature_tap()].f32());
    }
    assert_eq!(network.score_tap(), network.layers.len() - 1);
    assert_eq!(network.feature_tap(), network.layers.len() - 2);
    close(&evaluation.logits, &logits, "logits");
    close(&evaluation.features, &features, "penultimate features");
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
    activations_and_evaluation => activations_match_a_host_computation;
}
