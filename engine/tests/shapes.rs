//! Shape inference and validation: valid stacks give the right sizes, each invalid stack gives
//! its own message saying how to fix it.

use agora_engine::shape::{MAX_CLASSES, MAX_LAYERS, MAX_UNITS, SpecError, infer_shapes};
use agora_engine::spec::{Activation, Feature, Head, LayerSpec, NetworkSpec};

fn dense(units: usize) -> LayerSpec {
    LayerSpec::Dense {
        units,
        activation: Activation::Tanh,
    }
}

fn spec(features: Vec<Feature>, layers: Vec<LayerSpec>, head: Head) -> NetworkSpec {
    NetworkSpec {
        features,
        layers,
        head,
    }
}

#[test]
fn playground_default_network_has_playground_sizes() {
    let report = infer_shapes(&spec(
        vec![Feature::X1, Feature::X2],
        vec![dense(4), dense(2)],
        Head::Classification { classes: 2 },
    ))
    .expect("the default network is valid");
    let units: Vec<usize> = report.layers.iter().map(|l| l.units).collect();
    let params: Vec<usize> = report.layers.iter().map(|l| l.params).collect();
    assert_eq!(units, [4, 2, 2]);
    assert_eq!(params, [2 * 4 + 4, 4 * 2 + 2, 2 * 2 + 2]);
    assert_eq!(report.total_params, 12 + 10 + 6);
    assert_eq!(report.hidden_units(), [4, 2]);
}

#[test]
fn no_hidden_layer_is_logistic_regression() {
    let report = infer_shapes(&spec(
        Feature::ALL.to_vec(),
        vec![],
        Head::Classification { classes: 3 },
    ))
    .expect("a network without hidden layers is valid");
    assert_eq!(report.layers.len(), 1);
    assert_eq!(report.layers[0].params, 7 * 3 + 3);
    assert!(report.hidden_units().is_empty());
}

#[test]
fn regression_head_has_one_output() {
    let report =
        infer_shapes(&spec(vec![Feature::X1], vec![dense(3)], Head::Regression)).expect("valid");
    assert_eq!(
        report.layers.last().map(|l| (l.units, l.params)),
        Some((1, 4))
    );
}

#[test]
fn every_invalid_network_says_what_and_how() {
    let cases: Vec<(NetworkSpec, SpecError, &str)> = vec![
        (
            spec(vec![], vec![dense(4)], Head::Regression),
            SpecError::NoFeatures,
            "The network has no input: switch on at least one input feature (x₁, x₂, …) in the Features column.",
        ),
        (
            spec(
                vec![Feature::X1],
                vec![dense(4), dense(0)],
                Head::Regression,
            ),
            SpecError::ZeroUnits {
                number: 2,
                kind: "Dense".into(),
            },
            "Layer 2 (Dense) has 0 neurons: give it at least 1 neuron with +, or remove the layer.",
        ),
        (
            spec(
                vec![Feature::X1],
                vec![dense(MAX_UNITS + 1)],
                Head::Regression,
            ),
            SpecError::TooManyUnits {
                number: 1,
                kind: "Dense".into(),
                units: 65,
                max: 64,
            },
            "Layer 1 (Dense) has 65 neurons, more than the 64 allowed: lower it to 64 or fewer.",
        ),
        (
            spec(
                vec![Feature::X1],
                vec![dense(2); MAX_LAYERS + 2],
                Head::Regression,
            ),
            SpecError::TooManyLayers { count: 10, max: 8 },
            "The network has 10 hidden layers, more than the 8 allowed: remove 2 of them.",
        ),
        (
            spec(
                vec![Feature::X1],
                vec![],
                Head::Classification { classes: 1 },
            ),
            SpecError::TooFewClasses { classes: 1 },
            "A classifier needs at least 2 classes, this one has 1: pick a dataset with 2 or more classes.",
        ),
        (
            spec(
                vec![Feature::X1],
                vec![],
                Head::Classification {
                    classes: MAX_CLASSES + 1,
                },
            ),
            SpecError::TooManyClasses { classes: 9, max: 8 },
            "A classifier can have at most 8 classes, this one has 9: pick fewer classes.",
        ),
    ];
    for (network, expected, message) in cases {
        let error = infer_shapes(&network).expect_err("this network is invalid");
        assert_eq!(error, expected);
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn spec_survives_json() {
    let network = spec(
        Feature::ALL.to_vec(),
        vec![dense(5)],
        Head::Classification { classes: 4 },
    );
    let json = serde_json::to_string(&network).expect("serialises");
    let back: NetworkSpec = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, network);
}
