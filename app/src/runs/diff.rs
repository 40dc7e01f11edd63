//! What differs between two runs: their networks layer by layer (aligned as a text diff
//! aligns lines, so one inserted layer is one difference, not every layer after it), and every
//! setting of the recipe, seed, split and data by its name in the project file.

use std::collections::BTreeMap;

use serde_json::Value;

use super::RunRecord;

/// One difference: what it is, and each run's value ("—" where a run has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub field: String,
    pub left: String,
    pub right: String,
}

const ABSENT: &str = "—";

/// Everything that differs between `left` and `right`, the network first.
pub fn diff(left: &RunRecord, right: &RunRecord) -> Vec<Difference> {
    let mut differences = network_diff(&tokens(left), &tokens(right));
    let (a, b) = (settings(left), settings(right));
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let (x, y) = (a.get(key), b.get(key));
        if x != y {
            differences.push(Difference {
                field: key.clone(),
                left: x.cloned().unwrap_or_else(|| ABSENT.into()),
                right: y.cloned().unwrap_or_else(|| ABSENT.into()),
            });
        }
    }
    differences
}

fn tokens(run: &RunRecord) -> Vec<String> {
    run.project
        .network
        .layers
        .iter()
        .map(agora_engine::net::Layer::token)
        .collect()
}

/// The two layer lists aligned by their longest common subsequence; each layer only one
/// side has is a difference, named by its place in each network (`layer 3`, from 1).
fn network_diff(left: &[String], right: &[String]) -> Vec<Difference> {
    let (n, m) = (left.len(), right.len());
    // common[i][j]: the longest common subsequence of left[i..] and right[j..].
    let mut common = vec![vec![0_usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if left[i] == right[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let mut differences = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && left[i] == right[j] {
            i += 1;
            j += 1;
        } else if i < n && j < m && common[i + 1][j + 1] == common[i][j] {
            // Both sides changed this layer: one difference, side by side.
            differences.push(Difference {
                field: format!("layer {}", i + 1),
                left: left[i].clone(),
                right: right[j].clone(),
            });
            i += 1;
            j += 1;
        } else if j >= m || (i < n && common[i + 1][j] >= common[i][j + 1]) {
            differences.push(Difference {
                field: format!("layer {}", i + 1),
                left: left[i].clone(),
                right: ABSENT.into(),
            });
            i += 1;
        } else {
            differences.push(Difference {
                field: format!("layer {}", j + 1),
                left: ABSENT.into(),
                right: right[j].clone(),
            });
            j += 1;
        }
    }
    differences
}

/// The run's settings as `path = value` (the project without its layers, and the data's
/// classes and counts).
fn settings(run: &RunRecord) -> BTreeMap<String, String> {
    let mut project = run.project.clone();
    project.network.layers.clear();
    let mut flat = BTreeMap::new();
    if let Ok(value) = serde_json::to_value(&project) {
        flatten("", &value, &mut flat);
    }
    flat.remove("network.layers");
    for class in &run.data.classes {
        flat.insert(
            format!("class {}", class.name),
            format!("{} train, {} validate", class.train, class.validation),
        );
    }
    flat.insert("data".into(), run.data.name.clone());
    flat
}

fn flatten(path: &str, value: &Value, into: &mut BTreeMap<String, String>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, value) in map {
                flatten(&join(key), value, into);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (index, value) in items.iter().enumerate() {
                flatten(&join(&index.to_string()), value, into);
            }
        }
        Value::String(text) => {
            into.insert(path.to_owned(), text.clone());
        }
        other => {
            into.insert(path.to_owned(), other.to_string());
        }
    }
}
