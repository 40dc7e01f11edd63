//! How far to trust a classifier: the confusion matrix, per-class accuracy, the reliability
//! diagram, the expected calibration error (ECE), and temperature scaling.
//!
//! Plain arithmetic on numbers read back from the device, so the page can use it too.

use serde::{Deserialize, Serialize};

/// Counts of (true class, predicted class): `counts[actual][predicted]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub counts: Vec<Vec<u32>>,
}

impl Confusion {
    /// Tallies pairs; labels outside `0..classes` are skipped.
    pub fn new(actual: &[usize], predicted: &[usize], classes: usize) -> Confusion {
        let mut counts = vec![vec![0_u32; classes]; classes];
        for (&truth, &guess) in actual.iter().zip(predicted) {
            if truth < classes && guess < classes {
                counts[truth][guess] += 1;
            }
        }
        Confusion { counts }
    }

    /// The share of each class's samples predicted correctly (`None` for a class with none).
    #[allow(clippy::cast_precision_loss)] // counts are far below 2^24
    pub fn per_class_accuracy(&self) -> Vec<Option<f32>> {
        self.counts
            .iter()
            .enumerate()
            .map(|(class, row)| {
                let total: u32 = row.iter().sum();
                (total > 0).then(|| row[class] as f32 / total as f32)
            })
            .collect()
    }
}

/// One bar of a reliability diagram: predictions whose confidence falls in `[low, high)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    pub low: f32,
    pub high: f32,
    pub count: usize,
    /// Mean confidence of the predictions in the bin (0 when empty).
    pub confidence: f32,
    /// Share of them that were right (0 when empty).
    pub accuracy: f32,
}

/// Splits predictions into `bins` equal-width confidence bins (the last includes 1.0).
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
pub fn reliability(confidences: &[f32], correct: &[bool], bins: usize) -> Vec<Bin> {
    let bins = bins.max(1);
    let mut sums = vec![(0_usize, 0.0_f64, 0_usize); bins];
    for (&confidence, &right) in confidences.iter().zip(correct) {
        if !confidence.is_finite() {
            continue;
        }
        let index = ((confidence.clamp(0.0, 1.0) * bins as f32) as usize).min(bins - 1);
        let slot = &mut sums[index];
        slot.0 += 1;
        slot.1 += f64::from(confidence);
        slot.2 += usize::from(right);
    }
    sums.into_iter()
        .enumerate()
        .map(|(index, (count, confidence, right))| Bin {
            low: index as f32 / bins as f32,
            high: (index + 1) as f32 / bins as f32,
            count,
            confidence: if count > 0 {
                (confidence / count as f64) as f32
            } else {
                0.0
            },
            accuracy: if count > 0 {
                right as f32 / count as f32
            } else {
                0.0
            },
        })
        .collect()
}

/// Expected calibration error: `Σ_b (n_b / N) · |accuracy_b − confidence_b|`.
#[allow(clippy::cast_precision_loss)]
pub fn expected_calibration_error(bins: &[Bin]) -> f32 {
    let total: usize = bins.iter().map(|bin| bin.count).sum();
    if total == 0 {
        return 0.0;
    }
    bins.iter()
        .map(|bin| bin.count as f32 / total as f32 * (bin.accuracy - bin.confidence).abs())
        .sum()
}

/// Softmax of `logits / temperature` for one sample.
pub fn softmax(logits: &[f32], temperature: f32) -> Vec<f32> {
    let scaled: Vec<f32> = logits.iter().map(|&z| z / temperature).collect();
    let top = scaled.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = scaled.iter().map(|&z| (z - top).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Mean negative log-likelihood of `labels` under `softmax(logits / temperature)`;
/// `logits` holds `classes` numbers per sample.
#[allow(clippy::cast_precision_loss)]
pub fn nll(logits: &[f32], labels: &[usize], classes: usize, temperature: f32) -> f64 {
    let mut total = 0.0;
    let mut count = 0;
    for (row, &label) in logits.chunks_exact(classes.max(1)).zip(labels) {
        let scaled: Vec<f64> = row.iter().map(|&z| f64::from(z / temperature)).collect();
        let top = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let log_sum = scaled.iter().map(|&z| (z - top).exp()).sum::<f64>().ln() + top;
        if let Some(&z) = scaled.get(label) {
            total += log_sum - z;
            count += 1;
        }
    }
    if count == 0 {
        0.0
    } else {
        total / f64::from(count)
    }
}

/// The temperature (between 0.05 and 20) that minimises the validation NLL — Guo et al. 2017's
/// temperature scaling — by golden-section search on `ln T` (the NLL is convex in `1/T`).
#[allow(clippy::cast_possible_truncation)]
pub fn fit_temperature(logits: &[f32], labels: &[usize], classes: usize) -> f32 {
    let loss = |log_t: f64| nll(logits, labels, classes, log_t.exp() as f32);
    let ratio = (5.0_f64.sqrt() - 1.0) / 2.0;
    let (mut low, mut high) = (0.05_f64.ln(), 20.0_f64.ln());
    let mut a = high - ratio * (high - low);
    let mut b = low + ratio * (high - low);
    let (mut loss_a, mut loss_b) = (loss(a), loss(b));
    for _ in 0..60 {
        if loss_a < loss_b {
            high = b;
            b = a;
            loss_b = loss_a;
            a = high - ratio * (high - low);
            loss_a = loss(a);
        } else {
            low = a;
            a = b;
            loss_a = loss_b;
            b = low + ratio * (high - low);
            loss_b = loss(b);
        }
    }
    ((low + high) / 2.0).exp() as f32
}

/// Confidence (top probability) and whether the top class is `label`, per sample.
pub fn confidences(
    logits: &[f32],
    labels: &[usize],
    classes: usize,
    temperature: f32,
) -> (Vec<f32>, Vec<bool>) {
    logits
        .chunks_exact(classes.max(1))
        .zip(labels)
        .map(|(row, &label)| {
            let probabilities = softmax(row, temperature);
            let (best, confidence) = probabilities.iter().copied().enumerate().fold(
                (0, f32::NEG_INFINITY),
                |top, (i, p)| if p > top.1 { (i, p) } else { top },
            );
            (confidence, best == label)
        })
        .unzip()
}
