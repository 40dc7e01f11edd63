//! A project's runs as files other tools read as they are: CSV (one row per run, RFC 4180
//! quoting, empty cells for what was not measured) and JSON (one object per run with the same
//! columns and its epochs), both read by `pandas.read_csv` / `pandas.read_json` unchanged
//! (checked by `scripts/check_runs_export.py`).

use serde_json::{Map, Value, json};

use super::{RunBook, RunRecord};

/// The CSV's columns, in order.
pub const COLUMNS: [&str; 24] = [
    "run",
    "parent",
    "label",
    "started",
    "seconds",
    "data",
    "classes",
    "train_samples",
    "validation_samples",
    "network",
    "fingerprint",
    "parameters",
    "seed",
    "optimizer",
    "learning_rate",
    "batch_size",
    "planned_epochs",
    "epochs",
    "backend",
    "browser",
    "train_loss",
    "test_loss",
    "train_accuracy",
    "test_accuracy",
];

/// `ms` since 1970 as ISO 8601 in UTC (`2026-12-03T12:08:20Z`).
pub fn iso_time(ms: f64) -> String {
    #[allow(clippy::cast_possible_truncation)] // whole seconds of a date
    let seconds = (ms / 1000.0).floor() as i64;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The epochs a recipe plans, or `None` for the playground's "until paused" (`usize::MAX`,
/// which is 2³² − 1 in a file saved by the 32-bit page).
pub fn planned_epochs(epochs: usize) -> Option<usize> {
    (epochs < u32::MAX as usize).then_some(epochs)
}

fn number(value: Option<f32>) -> Value {
    value.map_or(Value::Null, |v| json!(f64::from(v)))
}

/// One run's columns, as JSON values (`null`: not measured).
fn columns(run: &RunRecord) -> Map<String, Value> {
    let recipe = &run.project.recipe;
    let last = run.last();
    let parameters = agora_engine::net::infer_graph(&run.project.network)
        .map_or(Value::Null, |graph| json!(graph.total_params));
    let values = [
        json!(run.id),
        run.parent.map_or(Value::Null, |parent| json!(parent)),
        json!(run.label),
        json!(iso_time(run.started_ms)),
        json!((run.seconds * 10.0).round() / 10.0),
        json!(run.data.name),
        json!(
            run.data
                .classes
                .iter()
                .map(|class| class.name.as_str())
                .collect::<Vec<_>>()
                .join(";")
        ),
        json!(run.data.train),
        json!(run.data.validation),
        json!(
            run.project
                .network
                .layers
                .iter()
                .map(agora_engine::net::Layer::token)
                .collect::<Vec<_>>()
                .join(" ")
        ),
        json!(run.fingerprint()),
        parameters,
        json!(run.project.seed),
        json!(recipe.optimizer.label()),
        json!(recipe.learning_rate),
        json!(recipe.batch_size),
        planned_epochs(recipe.epochs).map_or(Value::Null, |epochs| json!(epochs)),
        json!(run.epochs()),
        json!(run.backend),
        json!(run.browser),
        number(last.and_then(|row| row.train_loss)),
        number(last.and_then(|row| row.test_loss)),
        number(last.and_then(|row| row.train_accuracy)),
        number(last.and_then(|row| row.test_accuracy)),
    ];
    COLUMNS
        .iter()
        .zip(values)
        .map(|(name, value)| ((*name).to_owned(), value))
        .collect()
}

fn cell(value: &Value) -> String {
    let text = match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// One header row and one row per run, oldest first.
pub fn csv(book: &RunBook) -> String {
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for run in &book.runs {
        let row = columns(run);
        let cells: Vec<String> = COLUMNS.iter().map(|name| cell(&row[*name])).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// An array of runs: the CSV's columns, plus each run's epochs and its class counts.
pub fn json(book: &RunBook) -> String {
    let runs: Vec<Value> = book
        .runs
        .iter()
        .map(|run| {
            let mut object = columns(run);
            object.insert(
                "class_counts".into(),
                serde_json::to_value(&run.data.classes).unwrap_or(Value::Null),
            );
            object.insert(
                "epoch_metrics".into(),
                serde_json::to_value(&run.rows).unwrap_or(Value::Null),
            );
            Value::Object(object)
        })
        .collect();
    serde_json::to_string_pretty(&runs).unwrap_or_else(|_| "[]".into())
}
