//! Confusion, reliability, ECE and temperature scaling against hand-computed values.

use agora_engine::calibration::{
    Confusion, confidences, expected_calibration_error, fit_temperature, nll, reliability, softmax,
};
use agora_engine::data::Rng;

#[test]
fn confusion_counts_pairs_and_per_class_accuracy() {
    let confusion = Confusion::new(&[0, 0, 1, 1, 1, 2], &[0, 1, 1, 1, 0, 2], 4);
    assert_eq!(confusion.counts[0], vec![1, 1, 0, 0]);
    assert_eq!(confusion.counts[1], vec![1, 2, 0, 0]);
    assert_eq!(confusion.counts[2], vec![0, 0, 1, 0]);
    let accuracy = confusion.per_class_accuracy();
    assert_eq!(accuracy[0], Some(0.5));
    assert!((accuracy[1].expect("class 1 has samples") - 2.0 / 3.0).abs() < 1e-6);
    assert_eq!(accuracy[2], Some(1.0));
    assert_eq!(accuracy[3], None);
}

#[test]
fn ece_matches_the_formula_on_a_hand_made_example() {
    // Bins of 0.25: [0.1, 0.2] in bin 0 (both wrong), [0.6, 0.7] in bin 2 (one right),
    // [0.9, 0.95, 1.0] in bin 3 (all right).
    let confidences = [0.1, 0.2, 0.6, 0.7, 0.9, 0.95, 1.0];
    let correct = [false, false, true, false, true, true, true];
    let bins = reliability(&confidences, &correct, 4);
    assert_eq!(
        bins.iter().map(|b| b.count).collect::<Vec<_>>(),
        vec![2, 0, 2, 3]
    );
    assert!((bins[0].confidence - 0.15).abs() < 1e-6 && bins[0].accuracy == 0.0);
    assert!((bins[2].confidence - 0.65).abs() < 1e-6 && (bins[2].accuracy - 0.5).abs() < 1e-6);
    assert!((bins[3].confidence - 0.95).abs() < 1e-6 && bins[3].accuracy == 1.0);
    // (2/7)·0.15 + (2/7)·0.15 + (3/7)·0.05
    let expected = 2.0 / 7.0 * 0.15 + 2.0 / 7.0 * 0.15 + 3.0 / 7.0 * 0.05;
    assert!((expected_calibration_error(&bins) - expected).abs() < 1e-6);
    assert_eq!(expected_calibration_error(&reliability(&[], &[], 10)), 0.0);
}

#[test]
fn temperature_scaling_undoes_overconfidence() {
    // Calibrated logits: labels drawn from softmax(z). Then made overconfident by ×3.
    let classes = 4;
    let mut rng = Rng::new(9);
    let mut logits = Vec::new();
    let mut labels = Vec::new();
    for _ in 0..4000 {
        let row: Vec<f32> = (0..classes).map(|_| rng.normal(0.0, 1.5)).collect();
        let probabilities = softmax(&row, 1.0);
        let mut draw = rng.uniform(0.0, 1.0);
        let mut label = classes - 1;
        for (class, p) in probabilities.iter().enumerate() {
            if draw < *p {
                label = class;
                break;
            }
            draw -= p;
        }
        logits.extend(row.iter().map(|z| z * 3.0));
        labels.push(label);
    }
    let temperature = fit_temperature(&logits, &labels, classes);
    assert!(
        (temperature - 3.0).abs() < 0.3,
        "fitted temperature {temperature}"
    );
    assert!(nll(&logits, &labels, classes, temperature) < nll(&logits, &labels, classes, 1.0));
    let ece = |t| {
        let (confidence, correct) = confidences(&logits, &labels, classes, t);
        expected_calibration_error(&reliability(&confidence, &correct, 15))
    };
    let (before, after) = (ece(1.0), ece(temperature));
    assert!(
        before > 0.1,
        "overconfident logits are miscalibrated: {before}"
    );
    assert!(after < 0.04, "temperature scaling calibrates them: {after}");
}
