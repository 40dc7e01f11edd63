//! How the class model learns from the students' updates: federated averaging weighted by
//! example counts (McMahan et al. 2017) — on the secure sum or on plain updates — or, when the
//! teacher wants one bad or poisoned update to do no harm, the coordinate-wise median or
//! trimmed mean (Yin et al. 2018), which need each update in the clear.

use serde::{Deserialize, Serialize};

use crate::FederatedError;
use crate::fixed::{decode, encode};

/// How a round's updates become one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rule {
    /// Federated averaging over the secure sum: the server sees only the total.
    SecureMean,
    /// Federated averaging of plain updates.
    Mean,
    /// The median of each number across the students.
    Median,
    /// Each number's mean after dropping the highest and lowest `percent` of the students.
    TrimmedMean { percent: u8 },
}

impl Rule {
    /// Whether the server sees each student's update.
    pub fn plain(self) -> bool {
        !matches!(self, Rule::SecureMean)
    }

    /// The rule in plain words.
    pub fn describe(self) -> String {
        match self {
            Rule::SecureMean => "average, secure (the server sees only the sum)".into(),
            Rule::Mean => "average (the server sees each update)".into(),
            Rule::Median => "median of each weight (robust; the server sees each update)".into(),
            Rule::TrimmedMean { percent } => format!(
                "trimmed mean, {percent} % cut at each end (robust; the server sees each update)"
            ),
        }
    }
}

/// The largest magnitude a number of an update may have.
pub const UPDATE_LIMIT: f32 = 1.0e4;

/// Checks a plain update before it counts.
///
/// # Errors
/// The wrong length, a NaN or infinity, or a number too large to be a weight change.
pub fn check_update(update: &[f32], expected: usize) -> Result<(), FederatedError> {
    if update.len() != expected {
        return Err(FederatedError::Malformed(format!(
            "the update holds {} numbers; the class model needs {expected}",
            update.len()
        )));
    }
    if let Some(at) = update.iter().position(|value| !value.is_finite()) {
        return Err(FederatedError::Malformed(format!(
            "the update's number {at} is not a number (NaN or infinite)"
        )));
    }
    if update.iter().any(|value| value.abs() > UPDATE_LIMIT) {
        return Err(FederatedError::Malformed(format!(
            "the update changes a weight by more than {UPDATE_LIMIT}"
        )));
    }
    Ok(())
}

/// Weighted mean of plain updates (weights are example counts, or 1 each).
pub fn mean(updates: &[(f32, Vec<f32>)]) -> Vec<f32> {
    let total: f64 = updates.iter().map(|(weight, _)| f64::from(*weight)).sum();
    let len = updates.first().map_or(0, |(_, update)| update.len());
    let mut out = vec![0.0_f64; len];
    for (weight, update) in updates {
        for (sum, value) in out.iter_mut().zip(update) {
            *sum += f64::from(*weight) * f64::from(*value);
        }
    }
    out.into_iter()
        .map(|sum| {
            if total > 0.0 {
                (sum / total) as f32
            } else {
                0.0
            }
        })
        .collect()
}

fn per_coordinate(updates: &[(f32, Vec<f32>)], reduce: impl Fn(&mut [f32]) -> f32) -> Vec<f32> {
    let len = updates.first().map_or(0, |(_, update)| update.len());
    let mut column = Vec::with_capacity(updates.len());
    (0..len)
        .map(|at| {
            column.clear();
            column.extend(updates.iter().map(|(_, update)| update[at]));
            column.sort_by(f32::total_cmp);
            reduce(&mut column)
        })
        .collect()
}

/// Coordinate-wise median.
pub fn median(updates: &[(f32, Vec<f32>)]) -> Vec<f32> {
    per_coordinate(updates, |sorted| {
        let n = sorted.len();
        if n % 2 == 1 {
            sorted[n / 2]
        } else {
            0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
        }
    })
}

/// Coordinate-wise trimmed mean: `percent` of the students (rounded down, but at least one when
/// three or more take part) dropped at each end.
pub fn trimmed_mean(updates: &[(f32, Vec<f32>)], percent: u8) -> Vec<f32> {
    let n = updates.len();
    let mut cut = n * usize::from(percent.min(49)) / 100;
    if cut == 0 && percent > 0 && n >= 3 {
        cut = 1;
    }
    per_coordinate(updates, |sorted| {
        let kept = &sorted[cut..n - cut];
        kept.iter().map(|&v| f64::from(v)).sum::<f64>() as f32 / kept.len() as f32
    })
}

/// The plain rules applied.
pub fn combine(rule: Rule, updates: &[(f32, Vec<f32>)]) -> Vec<f32> {
    match rule {
        Rule::SecureMean | Rule::Mean => mean(updates),
        Rule::Median => median(updates),
        Rule::TrimmedMean { percent } => trimmed_mean(updates, percent),
    }
}

/// A student's update for the secure sum: `weight × update` in the ring, then the weight, so
/// the server's sum holds the weighted total and the total weight.
pub fn encode_weighted(update: &[f32], weight: f32) -> Vec<u64> {
    update
        .iter()
        .map(|&value| encode(f64::from(value) * f64::from(weight)))
        .chain(std::iter::once(encode(f64::from(weight))))
        .collect()
}

/// The mean update from the secure sum of [`encode_weighted`] vectors.
///
/// # Errors
/// The total weight is not positive (nothing to average).
pub fn decode_mean(sum: &[u64]) -> Result<Vec<f32>, FederatedError> {
    let (weight, totals) = sum
        .split_last()
        .ok_or_else(|| FederatedError::Malformed("an empty sum".into()))?;
    let weight = decode(*weight);
    if weight <= 0.0 {
        return Err(FederatedError::Malformed(
            "the updates carry no weight".into(),
        ));
    }
    Ok(totals
        .iter()
        .map(|&total| (decode(total) / weight) as f32)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn updates() -> Vec<(f32, Vec<f32>)> {
        vec![
            (1.0, vec![1.0, 10.0]),
            (1.0, vec![2.0, 20.0]),
            (2.0, vec![3.0, 30.0]),
            (1.0, vec![-1000.0, 1000.0]),
        ]
    }

    #[test]
    fn the_mean_is_weighted_and_the_robust_rules_ignore_one_outlier() {
        let all = updates();
        let mean = mean(&all);
        assert!((mean[0] - (1.0 + 2.0 + 6.0 - 1000.0) / 5.0).abs() < 1e-3);
        assert_eq!(median(&all), vec![1.5, 25.0]);
        // 25 % of four: one cut at each end → the mean of the two middle ones.
        assert_eq!(trimmed_mean(&all, 25), vec![1.5, 25.0]);
        assert_eq!(trimmed_mean(&all[..3], 0), vec![2.0, 20.0]);
    }

    #[test]
    fn bad_updates_are_refused_with_reasons() {
        assert!(check_update(&[0.0; 3], 3).is_ok());
        let short = check_update(&[0.0; 2], 3).expect_err("short").to_string();
        assert!(
            short.contains("2 numbers") && short.contains("3"),
            "{short}"
        );
        assert!(
            check_update(&[0.0, f32::NAN, 0.0], 3)
                .expect_err("nan")
                .to_string()
                .contains("NaN")
        );
        assert!(check_update(&[0.0, 1e9, 0.0], 3).is_err());
    }

    #[test]
    fn the_secure_sum_of_weighted_updates_decodes_to_the_weighted_mean() {
        let all = updates();
        let sum = all
            .iter()
            .map(|(weight, update)| encode_weighted(update, *weight))
            .fold(vec![0_u64; 3], |acc, words| {
                acc.iter()
                    .zip(words)
                    .map(|(a, b)| a.wrapping_add(b))
                    .collect()
            });
        let decoded = decode_mean(&sum).expect("weights");
        for (a, b) in decoded.iter().zip(mean(&all)) {
            assert!((a - b).abs() < 1e-4, "{a} {b}");
        }
    }
}
