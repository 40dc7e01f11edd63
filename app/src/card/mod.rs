//! A model card for a trained model (as Mitchell et al.'s "Model Cards for Model Reporting"
//! and Hugging Face's model cards lay it out), generated from the run and the validation set:
//! what the model is, what it was trained on, how well it does per class, how far its
//! confidence can be trusted, its most confident mistakes, and what the person says it is for
//! and where it falls short. [`render`] writes it as Markdown and as a self-contained HTML page.

pub mod render;

use agora_engine::calibration::{
    Bin, Confusion, confidences, expected_calibration_error, fit_temperature, reliability,
};

use crate::runs::{CardNotes, ClassCount, RunRecord, export::iso_time};

/// Most mistakes a card lists.
pub const MISTAKES: usize = 8;
/// Reliability bins.
pub const BINS: usize = 10;

/// The validation set through the model: what the card measures.
pub struct Validation<'a> {
    pub labels: &'a [usize],
    /// `[samples × classes]`.
    pub logits: &'a [f32],
    /// A validation sample as a data URL, when its pixels are on this device.
    pub thumbnail: &'a dyn Fn(usize) -> Option<String>,
}

/// One class's line: its name, samples, and how often the model got it right.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassLine {
    pub name: String,
    pub train: usize,
    pub validation: usize,
    /// Share of its validation samples classified right (`None` with none).
    pub accuracy: Option<f32>,
}

/// A validation sample the model got wrong, most confident first.
#[derive(Clone, Debug, PartialEq)]
pub struct Mistake {
    pub sample: usize,
    pub actual: String,
    pub predicted: String,
    pub confidence: f32,
    pub thumbnail: Option<String>,
}

/// Everything the card says.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelCard {
    pub title: String,
    /// `(what, value)` pairs: the model, its size, when and how long it trained.
    pub details: Vec<(String, String)>,
    pub notes: CardNotes,
    pub data_name: String,
    pub provenance: String,
    pub train: usize,
    pub validation: usize,
    pub classes: Vec<ClassLine>,
    /// Share of validation samples classified right.
    pub accuracy: Option<f32>,
    /// `confusion[actual][predicted]`.
    pub confusion: Vec<Vec<u32>>,
    pub bins: Vec<Bin>,
    pub ece: Option<f32>,
    /// The temperature fitted on the even-numbered validation samples, and the ECE with it
    /// on the odd-numbered ones (a temperature judged where it was fitted would flatter
    /// itself).
    pub temperature: Option<(f32, f32)>,
    pub mistakes: Vec<Mistake>,
    /// `(setting, value)` pairs of the recipe.
    pub recipe: Vec<(String, String)>,
    /// The final epoch's metrics, `(what, value)`.
    pub metrics: Vec<(String, String)>,
    pub made_by: String,
}

fn percent(value: f32) -> String {
    format!("{:.1} %", value * 100.0)
}

fn share(right: u32, of: u32) -> Option<f32> {
    #[allow(clippy::cast_precision_loss)] // counts of samples
    (of > 0).then(|| right as f32 / of as f32)
}

fn class_name(names: &[ClassCount], class: usize) -> String {
    names
        .get(class)
        .map_or_else(|| format!("class {class}"), |class| class.name.clone())
}

/// The card of `run` (its weights being the model measured on `validation`).
pub fn build(run: &RunRecord, validation: Option<&Validation<'_>>, made_by: &str) -> ModelCard {
    let names = &run.data.classes;
    let classes = names.len();
    let mut card = ModelCard {
        title: if run.label.is_empty() {
            format!("Model card: run {} on {}", run.id, run.data.name)
        } else {
            format!(
                "Model card: run {} ({}) on {}",
                run.id, run.label, run.data.name
            )
        },
        details: details(run),
        notes: run.notes.clone(),
        data_name: run.data.name.clone(),
        provenance: run.data.provenance.clone(),
        train: run.data.train,
        validation: run.data.validation,
        classes: names
            .iter()
            .map(|class| ClassLine {
                name: class.name.clone(),
                train: class.train,
                validation: class.validation,
                accuracy: None,
            })
            .collect(),
        accuracy: None,
        confusion: Vec::new(),
        bins: Vec::new(),
        ece: None,
        temperature: None,
        mistakes: Vec::new(),
        recipe: recipe(run),
        metrics: metrics(run),
        made_by: made_by.to_owned(),
    };
    let Some(validation) = validation.filter(|v| {
        classes > 1 && !v.labels.is_empty() && v.logits.len() == v.labels.len() * classes
    }) else {
        return card;
    };
    let predicted: Vec<usize> = validation
        .logits
        .chunks_exact(classes)
        .map(|row| {
            row.iter()
                .copied()
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |top, (i, v)| {
                        if v > top.1 { (i, v) } else { top }
                    },
                )
                .0
        })
        .collect();
    let confusion = Confusion::new(validation.labels, &predicted, classes);
    for (class, (line, row)) in card.classes.iter_mut().zip(&confusion.counts).enumerate() {
        line.accuracy = share(row[class], row.iter().sum());
    }
    let right: u32 = (0..classes).map(|c| confusion.counts[c][c]).sum();
    let total: u32 = confusion.counts.iter().flatten().sum();
    card.accuracy = share(right, total);
    card.confusion = confusion.counts;
    let (confidence, correct) = confidences(validation.logits, validation.labels, classes, 1.0);
    card.bins = reliability(&confidence, &correct, BINS);
    card.ece = Some(expected_calibration_error(&card.bins));
    card.temperature = fitted(validation, classes);
    let mut mistakes: Vec<Mistake> = (0..validation.labels.len())
        .filter(|&i| !correct[i])
        .map(|i| Mistake {
            sample: i,
            actual: class_name(names, validation.labels[i]),
            predicted: class_name(names, predicted[i]),
            confidence: confidence[i],
            thumbnail: None,
        })
        .collect();
    mistakes.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    mistakes.truncate(MISTAKES);
    for mistake in &mut mistakes {
        mistake.thumbnail = (validation.thumbnail)(mistake.sample);
    }
    card.mistakes = mistakes;
    card
}

fn fitted(validation: &Validation<'_>, classes: usize) -> Option<(f32, f32)> {
    let half = |parity: usize| {
        let mut logits = Vec::new();
        let mut labels = Vec::new();
        for (i, (row, &label)) in validation
            .logits
            .chunks_exact(classes)
            .zip(validation.labels)
            .enumerate()
        {
            if i % 2 == parity {
                logits.extend_from_slice(row);
                labels.push(label);
            }
        }
        (logits, labels)
    };
    let (fit_logits, fit_labels) = half(0);
    let (test_logits, test_labels) = half(1);
    if fit_labels.is_empty() || test_labels.is_empty() {
        return None;
    }
    let temperature = fit_temperature(&fit_logits, &fit_labels, classes);
    let (confidence, correct) = confidences(&test_logits, &test_labels, classes, temperature);
    let ece = expected_calibration_error(&reliability(&confidence, &correct, BINS));
    Some((temperature, ece))
}

fn details(run: &RunRecord) -> Vec<(String, String)> {
    let network = &run.project.network;
    let layers: Vec<String> = network
        .layers
        .iter()
        .map(agora_engine::net::Layer::token)
        .collect();
    let parameters = agora_engine::net::infer_graph(network)
        .map_or_else(|_| "—".to_owned(), |graph| graph.total_params.to_string());
    let mut details = vec![
        ("Network".to_owned(), layers.join(" → ")),
        ("Fingerprint".to_owned(), run.fingerprint()),
        ("Parameters".to_owned(), parameters),
        ("Trained for".to_owned(), format!("{} epochs", run.epochs())),
        ("Started".to_owned(), iso_time(run.started_ms)),
        ("Training time".to_owned(), format!("{:.1} s", run.seconds)),
        ("Backend".to_owned(), run.backend.clone()),
        ("Browser".to_owned(), run.browser.clone()),
        ("Seed".to_owned(), run.project.seed.to_string()),
    ];
    if let Some(parent) = run.parent {
        details.push(("Forked from".to_owned(), format!("run {parent}")));
    }
    details
}

fn recipe(run: &RunRecord) -> Vec<(String, String)> {
    let recipe = &run.project.recipe;
    let mut lines = vec![
        ("Optimizer".to_owned(), recipe.optimizer.label().to_owned()),
        ("Learning rate".to_owned(), recipe.learning_rate.to_string()),
        ("Batch size".to_owned(), recipe.batch_size.to_string()),
        (
            "Epochs planned".to_owned(),
            crate::runs::export::planned_epochs(recipe.epochs).map_or_else(
                || "no end (until paused)".to_owned(),
                |epochs| epochs.to_string(),
            ),
        ),
        ("Schedule".to_owned(), recipe.schedule.label().to_owned()),
        ("Weight decay".to_owned(), recipe.weight_decay.to_string()),
        (
            "Gradient clipping".to_owned(),
            recipe
                .clip_norm
                .map_or_else(|| "off".to_owned(), |norm| format!("norm {norm}")),
        ),
        (
            "Training share".to_owned(),
            format!("{} %", run.project.train_percent),
        ),
    ];
    if recipe.optimizer.uses_momentum() {
        lines.insert(2, ("Momentum".to_owned(), recipe.momentum.to_string()));
    }
    lines
}

fn metrics(run: &RunRecord) -> Vec<(String, String)> {
    let Some(last) = run.last() else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    let mut add = |what: &str, value: Option<String>| {
        if let Some(value) = value {
            lines.push((what.to_owned(), value));
        }
    };
    add("Train loss", last.train_loss.map(|v| format!("{v:.4}")));
    add("Validation loss", last.test_loss.map(|v| format!("{v:.4}")));
    add("Train accuracy", last.train_accuracy.map(percent));
    add("Validation accuracy", last.test_accuracy.map(percent));
    lines
}

#[cfg(test)]
mod tests;
