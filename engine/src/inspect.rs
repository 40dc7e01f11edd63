//! What the "inside the network" views compute from numbers read back from the device: the 2-D
//! PCA projection of the penultimate features, predictions with their confidence, and the most
//! confident mistakes.
//!
//! Plain arithmetic, no Burn, so it is tested natively and runs in the worker or the page.

use serde::{Deserialize, Serialize};

use crate::calibration::softmax;
use crate::net::Layer;
pub use crate::params::HostTensor;

/// How a saliency map was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SaliencyMethod {
    /// Grad-CAM on tap `tap` (the output of layer `tap - 1`).
    GradCam { tap: usize },
    /// No convolution: |gradient × input| summed over channels.
    GradientTimesInput,
}

/// What `Trainer::saliency` returns: non-negative heat per position of the map it was
/// computed on (`height × width`, row-major), before any normalising.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Saliency {
    pub method: SaliencyMethod,
    pub class: usize,
    pub height: usize,
    pub width: usize,
    pub values: Vec<f32>,
}

/// Grad-CAM on a map whose channels are averaged into the features a head reads (the
/// pretrained network's last map): a channel's weight is the mean over positions of the
/// score's gradient there, which is the gradient with respect to its feature divided by the
/// positions; the heat is the positive part of the weighted sum of the maps. `map` is
/// `[channels, h, w]`, `gradient` one value per channel; `tap` is where the map is shown.
#[must_use]
pub fn grad_cam_of_pooled(
    map: &HostTensor,
    gradient: &[f32],
    class: usize,
    tap: usize,
) -> Saliency {
    let (channels, height, width) = match map.shape.as_slice() {
        [c, h, w] => (*c, *h, *w),
        _ => (0, 0, 0),
    };
    let plane = height * width;
    let mut values = vec![0.0_f32; plane];
    let channels = if map.values.len() == channels * plane {
        channels
    } else {
        0
    };
    #[allow(clippy::cast_precision_loss)]
    let per = 1.0 / plane.max(1) as f32;
    for (c, &g) in gradient.iter().enumerate().take(channels) {
        let weight = g * per;
        for (v, &m) in values
            .iter_mut()
            .zip(&map.values[c * plane..(c + 1) * plane])
        {
            *v += weight * m;
        }
    }
    for v in &mut values {
        *v = v.max(0.0);
    }
    Saliency {
        method: SaliencyMethod::GradCam { tap },
        class,
        height,
        width,
        values,
    }
}

/// The tap Grad-CAM looks at: the output of the last Conv2d's block (the Conv2d and the
/// activations, norms, dropouts and skips right after it), before pooling or flattening.
/// `None` without a Conv2d.
pub fn grad_cam_tap(layers: &[Layer]) -> Option<usize> {
    let last_conv = layers
        .iter()
        .rposition(|layer| matches!(layer, Layer::Conv2d { .. }))?;
    let mut end = last_conv;
    while let Some(next) = layers.get(end + 1) {
        match next {
            Layer::Activation(_)
            | Layer::BatchNorm
            | Layer::LayerNorm
            | Layer::Dropout { .. }
            | Layer::Add { .. }
            | Layer::Concat { .. } => end += 1,
            _ => break,
        }
    }
    Some(end + 1)
}

/// Top class and its probability per sample (`logits` holds `classes` numbers per sample),
/// after dividing the logits by `temperature`.
pub fn predictions(logits: &[f32], classes: usize, temperature: f32) -> Vec<(usize, f32)> {
    logits
        .chunks_exact(classes.max(1))
        .map(|row| {
            softmax(row, temperature).into_iter().enumerate().fold(
                (0, f32::NEG_INFINITY),
                |top, (class, p)| {
                    if p > top.1 { (class, p) } else { top }
                },
            )
        })
        .collect()
}

/// A wrong prediction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mistake {
    pub index: usize,
    pub actual: usize,
    pub predicted: usize,
    pub confidence: f32,
}

/// The `count` wrong predictions made with the highest confidence, most confident first.
pub fn worst_mistakes(
    logits: &[f32],
    labels: &[usize],
    classes: usize,
    count: usize,
) -> Vec<Mistake> {
    let mut mistakes: Vec<Mistake> = predictions(logits, classes, 1.0)
        .into_iter()
        .zip(labels)
        .enumerate()
        .filter(|(_, ((predicted, _), actual))| predicted != *actual)
        .map(|(index, ((predicted, confidence), &actual))| Mistake {
            index,
            actual,
            predicted,
            confidence,
        })
        .collect();
    mistakes.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    mistakes.truncate(count);
    mistakes
}

/// Projects `rows` (each `dim` numbers) onto their first two principal components, found by
/// power iteration on `XᵀX` without forming it (`O(rows × dim)` per iteration), the second
/// after deflating the first. Signs are fixed so each component's largest coordinate is
/// positive, so the picture does not flip between epochs.
#[allow(clippy::cast_precision_loss)]
pub fn pca2(rows: &[f32], dim: usize) -> Vec<[f32; 2]> {
    let dim = dim.max(1);
    let count = rows.len() / dim;
    if count == 0 {
        return Vec::new();
    }
    let mut mean = vec![0.0_f64; dim];
    for row in rows.chunks_exact(dim) {
        for (m, &x) in mean.iter_mut().zip(row) {
            *m += f64::from(x);
        }
    }
    for m in &mut mean {
        *m /= count as f64;
    }
    let centred: Vec<f64> = rows
        .chunks_exact(dim)
        .flat_map(|row| row.iter().zip(&mean).map(|(&x, &m)| f64::from(x) - m))
        .collect();
    // XᵀX v, minus the part along components already found.
    let apply = |v: &[f64], found: &[Vec<f64>]| -> Vec<f64> {
        let mut out = vec![0.0; dim];
        for row in centred.chunks_exact(dim) {
            let dot: f64 = row.iter().zip(v).map(|(a, b)| a * b).sum();
            for (o, &a) in out.iter_mut().zip(row) {
                *o += a * dot;
            }
        }
        for component in found {
            let along: f64 = out.iter().zip(component).map(|(a, b)| a * b).sum();
            for (o, &c) in out.iter_mut().zip(component) {
                *o -= along * c;
            }
        }
        out
    };
    let normalise = |v: &mut Vec<f64>| -> bool {
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm < 1e-12 {
            return false;
        }
        for x in v.iter_mut() {
            *x /= norm;
        }
        true
    };
    let mut components: Vec<Vec<f64>> = Vec::new();
    for k in 0..2 {
        // A fixed, non-degenerate start.
        let mut v: Vec<f64> = (0..dim)
            .map(|i| 1.0 + ((i * 7 + k * 13) % 11) as f64 / 11.0)
            .collect();
        for component in &components {
            let along: f64 = v.iter().zip(component).map(|(a, b)| a * b).sum();
            for (x, &c) in v.iter_mut().zip(component) {
                *x -= along * c;
            }
        }
        let mut ok = normalise(&mut v);
        for _ in 0..100 {
            if !ok {
                break;
            }
            let mut next = apply(&v, &components);
            ok = normalise(&mut next);
            let change: f64 = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
            v = next;
            if change < 1e-9 {
                break;
            }
        }
        if !ok {
            v = vec![0.0; dim];
        }
        let largest = v
            .iter()
            .copied()
            .fold(0.0_f64, |top, x| if x.abs() > top.abs() { x } else { top });
        if largest < 0.0 {
            for x in &mut v {
                *x = -*x;
            }
        }
        components.push(v);
    }
    #[allow(clippy::cast_possible_truncation)]
    centred
        .chunks_exact(dim)
        .map(|row| {
            let project = |c: &[f64]| row.iter().zip(c).map(|(a, b)| a * b).sum::<f64>() as f32;
            [project(&components[0]), project(&components[1])]
        })
        .collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn grad_cam_of_pooled_weighs_each_map_by_its_features_gradient() {
        // Two 1×2 maps: the first counts for the class, the second against it.
        let map = HostTensor {
            shape: vec![2, 1, 2],
            values: vec![1.0, 3.0, 4.0, 0.0],
        };
        let s = grad_cam_of_pooled(&map, &[2.0, -1.0], 1, 18);
        // (2·[1, 3] − 1·[4, 0]) / 2 positions = [−1, 3] → ReLU → [0, 3]
        assert_eq!(s.values, vec![0.0, 3.0]);
        assert_eq!((s.height, s.width, s.class), (1, 2, 1));
        assert_eq!(s.method, SaliencyMethod::GradCam { tap: 18 });
        let wrong = HostTensor {
            shape: vec![2, 1, 2],
            values: vec![1.0],
        };
        assert_eq!(
            grad_cam_of_pooled(&wrong, &[1.0, 1.0], 0, 1).values,
            vec![0.0, 0.0]
        );
    }

    use super::*;

    #[test]
    fn pca_finds_the_spread_directions() {
        // Points spread along (1, 1, 0) by t and, less and uncorrelated (an even function of
        // t), along (0, 0, 1).
        let mut rows = Vec::new();
        for t in -10..=10 {
            let t = t as f32;
            rows.extend_from_slice(&[t + 5.0, t + 5.0, (t * 0.7).cos()]);
        }
        let projected = pca2(&rows, 3);
        assert_eq!(projected.len(), 21);
        // First component: ±t·√2 along the diagonal (sign fixed positive), centred.
        for (point, t) in projected.iter().zip(-10..=10) {
            let expected = t as f32 * 2.0_f32.sqrt();
            assert!(
                (point[0] - expected).abs() < 1e-3,
                "{} vs {expected}",
                point[0]
            );
        }
        // The second carries the small third coordinate's spread, centred on 0.
        let mean: f32 = projected.iter().map(|p| p[1]).sum::<f32>() / 21.0;
        assert!(mean.abs() < 1e-4);
        let spread = projected.iter().map(|p| p[1].abs()).fold(0.0, f32::max);
        assert!(spread > 0.5 && spread < 2.0, "{spread}");
        assert!(pca2(&[], 3).is_empty());
        // Identical points project to the origin without NaN.
        let same = pca2(&[1.0, 2.0, 1.0, 2.0], 2);
        assert!(same.iter().all(|p| p[0] == 0.0 && p[1] == 0.0));
    }

    #[test]
    fn mistakes_are_the_confident_wrong_ones() {
        // Three samples, two classes: right, wrong at 0.73, wrong at 0.99.
        let logits = [2.0, 0.0, 1.0, 0.0, 0.0, 4.6];
        let labels = [0, 1, 0];
        let mistakes = worst_mistakes(&logits, &labels, 2, 5);
        assert_eq!(mistakes.len(), 2);
        assert_eq!((mistakes[0].index, mistakes[0].predicted), (2, 1));
        assert!((mistakes[0].confidence - 0.990_048).abs() < 1e-5);
        assert_eq!((mistakes[1].index, mistakes[1].actual), (1, 1));
        assert!((mistakes[1].confidence - 0.731_058_6).abs() < 1e-5);
        assert_eq!(worst_mistakes(&logits, &labels, 2, 1).len(), 1);
        let hot = predictions(&logits, 2, 2.0);
        assert!(hot[2].1 < 0.99, "a higher temperature lowers confidence");
    }
}
