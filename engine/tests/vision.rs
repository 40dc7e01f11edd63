//! Shape inference for image networks: shapes, parameters, FLOPs, memory, every error's
//! message and its one-click fix, device limits, and the learning-rate schedules.

use agora_engine::images::{ImageSet, ImageSetError};
use agora_engine::net::{
    Act, DeviceLimits, Fix, Head, ImageSize, Input, Layer, Network, Shape, check_limits,
    infer_graph,
};
use agora_engine::recipe::{Recipe, Schedule};

const DIGIT: ImageSize = ImageSize {
    channels: 1,
    height: 28,
    width: 28,
};

fn net(layers: Vec<Layer>) -> Network {
    Network {
        input: Input::Image(DIGIT),
        layers,
        head: Head::Classification { classes: 10 },
    }
}

fn image(channels: usize, height: usize, width: usize) -> Shape {
    Shape::Image {
        channels,
        height,
        width,
    }
}

#[test]
fn lenet_has_the_textbook_shapes_and_61706_parameters() {
    let report = infer_graph(&Network::lenet(DIGIT, 10)).expect("LeNet is valid");
    let shapes: Vec<Shape> = report.layers.iter().map(|info| info.output).collect();
    assert_eq!(shapes[0], image(6, 28, 28));
    assert_eq!(shapes[2], image(6, 14, 14));
    assert_eq!(shapes[3], image(16, 10, 10));
    assert_eq!(shapes[5], image(16, 5, 5));
    assert_eq!(shapes[6], Shape::Flat(400));
    assert_eq!(shapes[12], Shape::Flat(10));
    assert_eq!(report.total_params, 61_706);
    // conv1: 6·28·28 outputs × 25 multiply-adds × 2.
    assert_eq!(report.layers[0].flops, 2 * 6 * 28 * 28 * 25);
    assert_eq!(report.layers[3].flops, 2 * 16 * 10 * 10 * 150);
    assert_eq!(report.layers[0].activation_bytes, 4 * 6 * 28 * 28);
    assert!(
        report.total_flops > 800_000 && report.total_flops < 1_000_000,
        "{}",
        report.total_flops
    );
}

#[test]
fn stride_padding_and_dilation_set_the_output_size() {
    let report = infer_graph(&net(vec![
        Layer::Conv2d {
            filters: 4,
            kernel: 3,
            stride: 2,
            padding: 2,
            dilation: 2,
        },
        Layer::AvgPool { size: 3, stride: 1 },
        Layer::GlobalAvgPool,
        Layer::Dense { units: 10 },
        Layer::Softmax,
    ]))
    .expect("valid");
    // (28 + 4 − 5) / 2 + 1 = 14
    assert_eq!(report.layers[0].output, image(4, 14, 14));
    assert_eq!(report.layers[1].output, image(4, 12, 12));
    assert_eq!(report.layers[2].output, Shape::Flat(4));
    assert_eq!(report.layers[0].params, 4 * 9 + 4);
}

#[test]
fn skip_connections_join_matching_taps() {
    let report = infer_graph(&Network::small_resnet(DIGIT, 10)).expect("valid");
    assert_eq!(report.layers[9].output, image(16, 14, 14));
    let dense = infer_graph(&net(vec![
        Layer::conv(4, 3),
        Layer::Concat { from: 0 },
        Layer::Flatten,
        Layer::Dense { units: 10 },
        Layer::Softmax,
    ]))
    .expect("valid");
    assert_eq!(dense.layers[1].output, image(5, 28, 28));
}

/// Applies the error's fix and returns the repaired network's validity.
fn fixed(mut network: Network) -> Result<(), String> {
    let error = infer_graph(&network).expect_err("invalid");
    let fix = error.fix.clone().expect("a fix");
    fix.apply(&mut network);
    infer_graph(&network)
        .map(|_| ())
        .map_err(|error| error.message)
}

#[test]
fn dense_after_an_image_asks_for_flatten_and_the_fix_inserts_it() {
    let network = net(vec![
        Layer::conv(4, 3),
        Layer::Dense { units: 10 },
        Layer::Softmax,
    ]);
    let error = infer_graph(&network).expect_err("invalid");
    assert_eq!(error.layer, Some(1));
    assert_eq!(
        error.message,
        "Dense (layer 2) needs a flat input, but it gets an image of 4×28×28: insert Flatten (or GlobalAvgPool) here."
    );
    assert_eq!(
        error.fix,
        Some(Fix::Insert {
            at: 1,
            layer: Layer::Flatten
        })
    );
    assert_eq!(
        error.fix.as_ref().map(Fix::label).as_deref(),
        Some("Insert Flatten")
    );
    assert_eq!(fixed(network), Ok(()));
}

#[test]
fn conv_after_flatten_is_refused() {
    let network = net(vec![
        Layer::Flatten,
        Layer::conv(4, 3),
        Layer::Dense { units: 10 },
        Layer::Softmax,
    ]);
    let error = infer_graph(&network).expect_err("invalid");
    assert_eq!(
        error.message,
        "Conv2d (layer 2) needs an image (channels × height × width), but it gets a flat vector of 784: move it before the Flatten or Dense layers."
    );
    assert_eq!(fixed(network), Ok(()));
}

#[test]
fn a_kernel_larger_than_its_input_suggests_padding() {
    let network = Network {
        input: Input::Image(ImageSize {
            channels: 1,
            height: 4,
            width: 4,
        }),
        layers: vec![
            Layer::Conv2d {
                filters: 2,
                kernel: 5,
                stride: 1,
                padding: 0,
                dilation: 1,
            },
            Layer::Flatten,
            Layer::Dense { units: 10 },
            Layer::Softmax,
        ],
        head: Head::Classification { classes: 10 },
    };
    let error = infer_graph(&network).expect_err("invalid");
    assert_eq!(
        error.message,
        "Conv2d (layer 1) has a 5×5 window but its input is only 4×4: pad it, or use a smaller kernel or dilation."
    );
    assert_eq!(fixed(network), Ok(()));
}

#[test]
fn add_with_different_shapes_names_both_and_offers_a_matching_tap() {
    let network = net(vec![
        Layer::conv(4, 3),
        Layer::conv(8, 3),
        Layer::conv(4, 3),
        Layer::Add { from: 2 },
        Layer::Flatten,
        Layer::Dense { units: 10 },
        Layer::Softmax,
    ]);
    let error = infer_graph(&network).expect_err("invalid");
    assert_eq!(
        error.message,
        "Add (layer 4) joins tensors of the same shape, but layer 2 gives 8×28×28 and layer 3 gives 4×28×28: take another layer's output, or make the shapes agree (a 1×1 Conv2d changes channels)."
    );
    assert_eq!(
        error.fix,
        Some(Fix::Replace {
            at: 3,
            layer: Layer::Add { from: 1 }
        })
    );
    assert_eq!(fixed(network), Ok(()));
    let forward = net(vec![
        Layer::Add { from: 1 },
        Layer::Flatten,
        Layer::Dense { units: 10 },
        Layer::Softmax,
    ]);
    assert_eq!(
        infer_graph(&forward).expect_err("invalid").message,
        "Add (layer 1) can only take the output of an earlier layer (input to layer 0)."
    );
}

#[test]
fn the_head_must_be_softmax_over_the_classes() {
    let missing = net(vec![Layer::Flatten, Layer::Dense { units: 10 }]);
    let error = infer_graph(&missing).expect_err("invalid");
    assert!(
        error.message.contains("append Softmax"),
        "{}",
        error.message
    );
    assert_eq!(fixed(missing), Ok(()));
    let wrong_units = net(vec![
        Layer::Flatten,
        Layer::Dense { units: 7 },
        Layer::Softmax,
    ]);
    let error = infer_graph(&wrong_units).expect_err("invalid");
    assert_eq!(
        error.message,
        "Softmax needs one input per class (10), but it gets 7: end with Dense 10."
    );
    assert_eq!(
        error.fix.as_ref().map(Fix::label).as_deref(),
        Some("Set 10 units")
    );
    assert_eq!(fixed(wrong_units), Ok(()));
    let early = net(vec![
        Layer::Flatten,
        Layer::Softmax,
        Layer::Dense { units: 10 },
        Layer::Softmax,
    ]);
    assert!(
        infer_graph(&early)
            .expect_err("invalid")
            .message
            .contains("must be the last layer")
    );
    assert_eq!(fixed(early), Ok(()));
}

#[test]
fn zero_sizes_and_full_dropout_are_refused_with_fixes() {
    for network in [
        net(vec![
            Layer::conv(0, 3),
            Layer::Flatten,
            Layer::Dense { units: 10 },
            Layer::Softmax,
        ]),
        net(vec![
            Layer::MaxPool { size: 0, stride: 2 },
            Layer::Flatten,
            Layer::Dense { units: 10 },
            Layer::Softmax,
        ]),
        net(vec![
            Layer::Flatten,
            Layer::Dense { units: 0 },
            Layer::Dense { units: 10 },
            Layer::Softmax,
        ]),
        net(vec![
            Layer::Dropout { percent: 100 },
            Layer::Flatten,
            Layer::Dense { units: 10 },
            Layer::Softmax,
        ]),
        net(vec![
            Layer::Flatten,
            Layer::Flatten,
            Layer::Dense { units: 10 },
            Layer::Softmax,
        ]),
        net(vec![
            Layer::MaxPool {
                size: 40,
                stride: 2,
            },
            Layer::Flatten,
            Layer::Dense { units: 10 },
            Layer::Softmax,
        ]),
    ] {
        assert_eq!(fixed(network), Ok(()));
    }
}

#[test]
fn a_network_too_big_for_the_device_says_what_to_shrink() {
    let network = Network {
        input: Input::Image(ImageSize {
            channels: 3,
            height: 256,
            width: 256,
        }),
        layers: vec![
            Layer::conv(256, 3),
            Layer::Activation(Act::Relu),
            Layer::GlobalAvgPool,
            Layer::Dense { units: 10 },
            Layer::Softmax,
        ],
        head: Head::Classification { classes: 10 },
    };
    let report = infer_graph(&network).expect("valid shapes");
    let error = check_limits(&network, &report, 64, DeviceLimits::default()).expect_err("too big");
    assert_eq!(error.layer, Some(0));
    assert_eq!(
        error.message,
        "Conv2d (layer 1) needs 4096 MiB for a batch of 64, over this device's 128 MiB per buffer: lower the batch size, use fewer filters, or a smaller image."
    );
    let lenet = Network::lenet(DIGIT, 10);
    let report = infer_graph(&lenet).expect("valid");
    assert_eq!(
        check_limits(&lenet, &report, 256, DeviceLimits::default()),
        Ok(())
    );
    let wide = net(vec![
        Layer::Flatten,
        Layer::Dense { units: 4096 },
        Layer::Dense { units: 4096 },
        Layer::Dense { units: 10 },
        Layer::Softmax,
    ]);
    let report = infer_graph(&wide).expect("valid");
    let tiny = DeviceLimits {
        max_binding_bytes: 32 << 20,
        max_buffer_bytes: 64 << 20,
    };
    let error = check_limits(&wide, &report, 1, tiny).expect_err("weights too big");
    assert!(
        error
            .message
            .starts_with("Dense (layer 3) needs 65 MiB for its weights"),
        "{}",
        error.message
    );
}

#[test]
fn schedules_follow_their_formulas() {
    let base = Recipe {
        learning_rate: 0.1,
        epochs: 10,
        ..Recipe::default()
    };
    assert!((base.rate_at(7, 0.5) - 0.1).abs() < 1e-12);
    let step = Recipe {
        schedule: Schedule::Step {
            every: 3,
            gamma: 0.5,
        },
        ..base
    };
    assert!((step.rate_at(2, 0.9) - 0.1).abs() < 1e-12);
    assert!((step.rate_at(3, 0.0) - 0.05).abs() < 1e-12);
    assert!((step.rate_at(6, 0.0) - 0.025).abs() < 1e-12);
    let cosine = Recipe {
        schedule: Schedule::Cosine,
        ..base
    };
    assert!((cosine.rate_at(0, 0.0) - 0.1).abs() < 1e-12);
    assert!((cosine.rate_at(5, 0.0) - 0.05).abs() < 1e-12);
    assert!(cosine.rate_at(9, 1.0).abs() < 1e-12);
    let warm = Recipe {
        warmup_epochs: 2,
        schedule: Schedule::Cosine,
        ..base
    };
    assert!((warm.rate_at(0, 0.5) - 0.025).abs() < 1e-12);
    assert!((warm.rate_at(1, 0.0) - 0.05).abs() < 1e-12);
    assert!((warm.rate_at(2, 0.0) - 0.1).abs() < 1e-12);
    assert!((warm.rate_at(6, 0.0) - 0.05).abs() < 1e-12);
}

#[test]
fn broken_image_sets_are_refused_with_the_reason() {
    assert_eq!(ImageSet::decode(b"PNG...."), Err(ImageSetError::BadHeader));
    let mut bytes = b"AGDS0001".to_vec();
    bytes.extend_from_slice(&2u32.to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&[1, 3]);
    bytes.extend_from_slice(&[0, 2]);
    let truncated = ImageSet::decode(&bytes);
    assert_eq!(
        truncated,
        Err(ImageSetError::Truncated {
            expected: 28,
            actual: 20
        })
    );
    bytes.extend_from_slice(&[9; 8]);
    assert_eq!(
        ImageSet::decode(&bytes).map(|set| set.counts()),
        Ok(vec![1, 0, 1])
    );
    bytes[18] = 7;
    assert_eq!(
        ImageSet::decode(&bytes),
        Err(ImageSetError::BadLabel {
            label: 7,
            classes: 3
        })
    );
}
