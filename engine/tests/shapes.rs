//! Shape inference and validation of playground networks (Dense stacks on points of the plane):
//! valid stacks give the right sizes, each invalid stack gives its own message saying how to
//! fix it.
//!
//! The playground-only limits (8 hidden layers, 64 units, 8 classes) are the app's now; the
//! engine checks its own, wider ones (`MAX_LAYERS`, `MAX_WIDTH`, `MAX_CLASSES`).

use agora_engine::net::{
    Act, Feature, Fix, GraphError, GraphReport, Head, Input, Layer, MAX_CLASSES, MAX_LAYERS,
    MAX_WIDTH, Network, Shape, infer_graph,
};

/// A playground network: a Dense layer with Tanh per entry of `hidden`, then the head's layers.
fn network(features: Vec<Feature>, hidden: &[usize], head: Head) -> Network {
    let hidden: Vec<(usize, Option<Act>)> = hidden
        .iter()
        .map(|&units| (units, Some(Act::Tanh)))
        .collect();
    Network::dense(Input::Points { features }, &hidden, head)
}

/// `(units, params)` of every Dense layer, hidden layers first and the output layer last.
fn dense_layers(network: &Network, report: &GraphReport) -> Vec<(usize, usize)> {
    network
        .layers
        .iter()
        .zip(&report.layers)
        .filter(|(layer, _)| matches!(layer, Layer::Dense { .. }))
        .map(|(_, info)| match info.output {
            Shape::Flat(units) => (units, info.params),
            Shape::Image { .. } => panic!("a Dense layer outputs a flat vector"),
        })
        .collect()
}

/// The neurons per hidden Dense layer (every Dense layer but the output one).
fn hidden_units(network: &Network, report: &GraphReport) -> Vec<usize> {
    let dense = dense_layers(network, report);
    let hidden = dense.len().saturating_sub(1);
    dense[..hidden].iter().map(|&(units, _)| units).collect()
}

#[test]
fn playground_default_network_has_playground_sizes() {
    let network = network(
        vec![Feature::X1, Feature::X2],
        &[4, 2],
        Head::Classification { classes: 2 },
    );
    assert_eq!(
        network,
        Network::playground(
            vec![Feature::X1, Feature::X2],
            Head::Classification { classes: 2 }
        ),
        "TensorFlow Playground's opening network"
    );
    let report = infer_graph(&network).expect("the default network is valid");
    let dense = dense_layers(&network, &report);
    let units: Vec<usize> = dense.iter().map(|&(units, _)| units).collect();
    let params: Vec<usize> = dense.iter().map(|&(_, params)| params).collect();
    assert_eq!(units, [4, 2, 2]);
    assert_eq!(params, [2 * 4 + 4, 4 * 2 + 2, 2 * 2 + 2]);
    assert_eq!(report.total_params, 12 + 10 + 6);
    assert_eq!(hidden_units(&network, &report), [4, 2]);
}

#[test]
fn no_hidden_layer_is_logistic_regression() {
    let network = network(
        Feature::ALL.to_vec(),
        &[],
        Head::Classification { classes: 3 },
    );
    let report = infer_graph(&network).expect("a network without hidden layers is valid");
    let dense = dense_layers(&network, &report);
    assert_eq!(dense.len(), 1);
    assert_eq!(dense[0].1, 7 * 3 + 3);
    assert!(hidden_units(&network, &report).is_empty());
}

#[test]
fn regression_head_has_one_output() {
    let network = network(vec![Feature::X1], &[3], Head::Regression);
    let report = infer_graph(&network).expect("valid");
    assert_eq!(
        dense_layers(&network, &report).last().copied(),
        Some((1, 4))
    );
}

#[test]
fn a_linear_layer_is_a_dense_layer_without_activation() {
    let network = Network::dense(
        Input::Points {
            features: vec![Feature::X1, Feature::X2],
        },
        &[(3, None), (2, Some(Act::Relu))],
        Head::Regression,
    );
    assert_eq!(
        network.layers,
        [
            Layer::Dense { units: 3 },
            Layer::Dense { units: 2 },
            Layer::Activation(Act::Relu),
            Layer::Dense { units: 1 },
        ]
    );
    let report = infer_graph(&network).expect("valid");
    assert_eq!(
        dense_layers(&network, &report),
        [(3, 2 * 3 + 3), (2, 3 * 2 + 2), (1, 2 + 1)]
    );
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
fn every_invalid_network_says_what_and_how() {
    let cases: Vec<(Network, GraphError)> = vec![
        (
            network(vec![], &[4], Head::Regression),
            GraphError {
                layer: None,
                message: "The network has no input: switch on at least one input feature (x₁, x₂, …) in the Features column.".into(),
                fix: None,
            },
        ),
        (
            // Layers: Dense 4, Tanh, Dense 0, Tanh, Dense 1: the empty one is layer 3.
            network(vec![Feature::X1], &[4, 0], Head::Regression),
            GraphError {
                layer: Some(2),
                message: "Dense (layer 3) needs at least 1 unit.".into(),
                fix: Some(Fix::Replace {
                    at: 2,
                    layer: Layer::Dense { units: 1 },
                }),
            },
        ),
        (
            network(vec![Feature::X1], &[MAX_WIDTH + 1], Head::Regression),
            GraphError {
                layer: Some(0),
                message: "Dense (layer 1) has 4097 units; at most 4096 fit.".into(),
                fix: Some(Fix::Replace {
                    at: 0,
                    layer: Layer::Dense { units: MAX_WIDTH },
                }),
            },
        ),
        (
            // 24 hidden layers with their activations, plus the output: 49 layers.
            network(vec![Feature::X1], &[2; MAX_LAYERS / 2], Head::Regression),
            GraphError {
                layer: Some(MAX_LAYERS),
                message: "At most 48 layers fit: remove some.".into(),
                fix: Some(Fix::Remove { at: MAX_LAYERS }),
            },
        ),
        (
            network(vec![Feature::X1], &[], Head::Classification { classes: 1 }),
            GraphError {
                layer: None,
                message: "A classifier needs 2 to 100 classes; this dataset has 1.".into(),
                fix: None,
            },
        ),
        (
            network(
                vec![Feature::X1],
                &[],
                Head::Classification {
                    classes: MAX_CLASSES + 1,
                },
            ),
            GraphError {
                layer: None,
                message: "A classifier needs 2 to 100 classes; this dataset has 101.".into(),
                fix: None,
            },
        ),
    ];
    for (network, expected) in cases {
        let error = infer_graph(&network).expect_err("this network is invalid");
        assert_eq!(error.to_string(), expected.message);
        assert_eq!(error, expected);
        // The fix repairs the network, except for the layer count: removing the 49th layer
        // (here the output layer) leaves the rest to the person.
        if error.fix.is_some() && error.layer != Some(MAX_LAYERS) {
            assert_eq!(fixed(network), Ok(()), "{}", expected.message);
        }
    }
}

#[test]
fn the_playground_limits_are_not_the_engines() {
    // 10 hidden layers of 65 units into 9 classes: over the playground's 8 layers, 64 units
    // and 8 classes, which the app enforces; the engine takes it.
    let network = network(
        vec![Feature::X1],
        &[65; 10],
        Head::Classification { classes: 9 },
    );
    let report = infer_graph(&network).expect("valid for the engine");
    assert_eq!(hidden_units(&network, &report), [65; 10]);
    assert_eq!(
        dense_layers(&network, &report).last(),
        Some(&(9, 65 * 9 + 9))
    );
}

#[test]
fn network_survives_json() {
    let network = network(
        Feature::ALL.to_vec(),
        &[5],
        Head::Classification { classes: 4 },
    );
    let json = serde_json::to_string(&network).expect("serialises");
    let back: Network = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, network);
}
