//! Every run recorded, without a server (experiment tracking as MLflow or TensorBoard's
//! HParams table do it, kept on the device): when it started, how long it trained, its project
//! (network, recipe, seed, data choice), the data's classes and counts (never pixels), the
//! backend and browser, every epoch's metrics and, while they are kept, its weights.
//!
//! A run begins when the worker is given a project to train from its seed
//! ([`RunAction::Began`]) and is recorded once it has trained (its first epoch or snapshot);
//! it ends when the network or data change or the person presses Reset. A restored run goes on
//! as the same record; a forked one is a new record whose parent is the run it came from.
//! Changed only by [`RunBook::apply`], tested natively; each project's session
//! (`session.rs`) holds its book.

pub mod columns;
pub mod diff;
pub mod export;

use std::rc::Rc;

use agora_engine::checkpoint::Checkpoint;
use serde::{Deserialize, Serialize};

use crate::project::Project;
use crate::reports::{EpochReport, LossPoint, RunHistory};
use agora_engine::recipe::{EpochMetrics, Recipe};

/// Most runs a project keeps; the oldest unlabelled one goes when another is recorded.
pub const MAX_RUNS: usize = 100;
/// Most runs whose weights are kept (besides the current one): the oldest unlabelled run's
/// weights go first, so a project of many runs stays small enough to keep in the browser.
pub const MAX_KEPT_WEIGHTS: usize = 20;
/// Most epochs a record keeps; longer runs are thinned to every other (first and last kept).
pub const MAX_ROWS: usize = 600;
/// Longest label and note.
pub const MAX_LABEL: usize = 40;
pub const MAX_NOTE: usize = 4000;

/// One epoch (or one snapshot of the playground) of a run. `None`: not measured (accuracy of
/// a regression, the learning rate of the playground's snapshots) or not a number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochRow {
    pub epoch: usize,
    pub train_loss: Option<f32>,
    pub test_loss: Option<f32>,
    pub train_accuracy: Option<f32>,
    pub test_accuracy: Option<f32>,
    #[serde(default)]
    pub learning_rate: Option<f64>,
    /// Wall time of the epoch's training steps.
    #[serde(default)]
    pub seconds: Option<f64>,
}

fn finite(value: f32) -> Option<f32> {
    value.is_finite().then_some(value)
}

impl EpochRow {
    pub fn from_report(report: &EpochReport) -> EpochRow {
        let metrics = &report.metrics;
        EpochRow {
            epoch: metrics.epoch,
            train_loss: finite(metrics.train_loss),
            test_loss: finite(metrics.val_loss),
            train_accuracy: finite(metrics.train_accuracy),
            test_accuracy: finite(metrics.val_accuracy),
            learning_rate: Some(metrics.learning_rate),
            seconds: Some(report.train_seconds),
        }
    }

    pub fn from_snapshot(snapshot: &agora_engine::snapshot::Snapshot) -> EpochRow {
        EpochRow {
            epoch: snapshot.epoch,
            train_loss: finite(snapshot.train_loss),
            test_loss: finite(snapshot.test_loss),
            train_accuracy: snapshot.train_accuracy.and_then(finite),
            test_accuracy: snapshot.test_accuracy.and_then(finite),
            learning_rate: None,
            seconds: None,
        }
    }
}

/// One class of a run's data: its name and how many samples train and validate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassCount {
    pub name: String,
    pub train: usize,
    pub validation: usize,
}

/// What a run trained on, without the samples themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSummary {
    /// The data choice in words ("the bundled digits", "your images", "circle").
    pub name: String,
    /// Where the samples come from, for the model card.
    pub provenance: String,
    pub classes: Vec<ClassCount>,
    pub train: usize,
    pub validation: usize,
}

/// What the person writes on a model card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardNotes {
    pub intended_use: String,
    pub limits: String,
}

/// One recorded run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// 1, 2, 3… within the project.
    pub id: u32,
    /// The run it was forked from.
    pub parent: Option<u32>,
    /// The person's word for it ("best", "submitted").
    #[serde(default)]
    pub label: String,
    /// When it began: milliseconds since 1970 (UTC).
    pub started_ms: f64,
    /// Time spent training, in seconds.
    pub seconds: f64,
    /// The network, recipe, seed and data choice it trained with.
    pub project: Project,
    pub data: DataSummary,
    /// The backend that trained it ("CPU", "WebGPU") and the browser.
    pub backend: String,
    pub browser: String,
    pub rows: Vec<EpochRow>,
    #[serde(default)]
    pub notes: CardNotes,
    /// Its weights, while kept (in a file: `runs/<id>.safetensors`).
    #[serde(skip)]
    pub weights: Option<Rc<Checkpoint>>,
}

impl RunRecord {
    /// A short fingerprint of the network (the first 8 hex digits of the CRC-32 of its layers
    /// as the link writes them, input and head included): equal networks, equal fingerprints.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.project)
    }

    pub fn last(&self) -> Option<&EpochRow> {
        self.rows.last()
    }

    /// Completed epochs.
    pub fn epochs(&self) -> usize {
        self.last().map_or(0, |row| row.epoch)
    }

    /// The run's curves as the page shows them when it is restored: the loss curve, and for
    /// images the epochs' table too.
    pub fn history(&self) -> RunHistory {
        let losses = self
            .rows
            .iter()
            .filter_map(|row| {
                Some(LossPoint {
                    epoch: row.epoch,
                    train_loss: row.train_loss?,
                    test_loss: row.test_loss?,
                })
            })
            .collect();
        let epochs = if self.project.data.is_images() {
            self.rows
                .iter()
                .map(|row| EpochReport {
                    metrics: EpochMetrics {
                        epoch: row.epoch,
                        train_loss: row.train_loss.unwrap_or(f32::NAN),
                        train_accuracy: row.train_accuracy.unwrap_or(f32::NAN),
                        val_loss: row.test_loss.unwrap_or(f32::NAN),
                        val_accuracy: row.test_accuracy.unwrap_or(f32::NAN),
                        learning_rate: row.learning_rate.unwrap_or(0.0),
                    },
                    train_seconds: row.seconds.unwrap_or(0.0),
                    samples_per_second: 0.0,
                })
                .collect()
        } else {
            Vec::new()
        };
        RunHistory { epochs, losses }
    }
}

/// The fingerprint of a project's network (see [`RunRecord::fingerprint`]).
pub fn fingerprint(project: &Project) -> String {
    let network = serde_json::to_string(&project.network).unwrap_or_default();
    format!("{:08x}", agora_engine::zip::crc32(network.as_bytes()))
}

/// The browser and its major version from a user agent ("Chrome 156", "Firefox 133").
pub fn browser_name(agent: &str) -> String {
    let version = |product: &str| {
        agent.split(' ').find_map(|part| {
            let rest = part.strip_prefix(product)?.strip_prefix('/')?;
            Some(rest.split('.').next().unwrap_or(rest).to_owned())
        })
    };
    for (product, name) in [
        ("Edg", "Edge"),
        ("Firefox", "Firefox"),
        ("HeadlessChrome", "Chrome (headless)"),
        ("Chrome", "Chrome"),
    ] {
        if let Some(major) = version(product) {
            return format!("{name} {major}");
        }
    }
    if agent.contains("Safari")
        && let Some(major) = version("Version")
    {
        return format!("Safari {major}");
    }
    agent.chars().take(60).collect()
}

/// What the page knows when it gives the worker a project to train.
#[derive(Clone, Debug, PartialEq)]
pub struct RunStart {
    pub project: Project,
    pub class_names: Vec<String>,
    pub data_name: String,
    pub provenance: String,
    pub browser: String,
    pub now_ms: f64,
    /// Whether this goes on from saved weights: the current record goes on.
    pub continues: bool,
}

/// A project's runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunBook {
    /// Oldest first; shared, so the session's copies on every event copy pointers.
    #[serde(with = "shared")]
    pub runs: Vec<Rc<RunRecord>>,
    /// The run the worker is training now, once recorded.
    pub current: Option<u32>,
    pub next_id: u32,
    /// The run the next recorded run is forked from.
    #[serde(default)]
    pub fork_parent: Option<u32>,
    /// What the next recorded run starts from (not saved: a reload sets up again).
    #[serde(skip)]
    pub start: Option<Box<RunStart>>,
    /// Class counts the worker reported for the run being set up.
    #[serde(skip)]
    pub counts: Vec<(usize, usize)>,
    #[serde(skip)]
    pub split: (usize, usize),
    /// When the worker last started training (ms), while it trains.
    #[serde(skip)]
    pub running_since: Option<f64>,
    #[serde(skip)]
    pub backend: String,
}

/// `Vec<Rc<RunRecord>>` in a file as a plain array of runs.
mod shared {
    use std::rc::Rc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::RunRecord;

    pub fn serialize<S: Serializer>(runs: &[Rc<RunRecord>], to: S) -> Result<S::Ok, S::Error> {
        let plain: Vec<&RunRecord> = runs.iter().map(Rc::as_ref).collect();
        plain.serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Vec<Rc<RunRecord>>, D::Error> {
        Ok(Vec::<RunRecord>::deserialize(from)?
            .into_iter()
            .map(Rc::new)
            .collect())
    }
}

/// What changes a run book.
#[derive(Clone, Debug, PartialEq)]
pub enum RunAction {
    /// The worker was given a project to train.
    Began(Box<RunStart>),
    /// The worker's samples are in: this many train and validate, per class.
    Data {
        train: usize,
        val: usize,
        counts: Vec<(usize, usize)>,
    },
    /// The backend that trains from now on.
    Backend(String),
    /// Training started (`true`) or paused, at this time (ms).
    Running(bool, f64),
    /// An epoch or a snapshot finished.
    Row(EpochRow),
    /// The recipe changed (the learning rate, say): the run goes on with it from its next
    /// epoch.
    Recipe(Recipe),
    /// The current run's weights, as last read from the worker.
    Weights(Rc<Checkpoint>),
    Delete(u32),
    Label(u32, String),
    /// The person wrote a model card's intended use (or, with `limits`, its known limits).
    Note {
        id: u32,
        limits: bool,
        text: String,
    },
    /// The next run recorded is a child of this one (the current run ends).
    Fork(u32),
    /// This run is being restored: it is the current one from now on.
    Restore(u32),
    /// A saved book replaces this one (a project file opened, a kept project back).
    Load(Box<RunBook>),
}

impl RunBook {
    pub fn get(&self, id: u32) -> Option<&RunRecord> {
        self.runs.iter().find(|run| run.id == id).map(Rc::as_ref)
    }

    fn get_mut(&mut self, id: u32) -> Option<&mut RunRecord> {
        self.runs
            .iter_mut()
            .find(|run| run.id == id)
            .map(Rc::make_mut)
    }

    pub fn current_run(&self) -> Option<&RunRecord> {
        self.current.and_then(|id| self.get(id))
    }

    #[must_use]
    pub fn apply(mut self, action: RunAction) -> RunBook {
        match action {
            RunAction::Began(start) => {
                self.settle_time(start.now_ms);
                if !start.continues || self.current_run().is_none() {
                    self.current = None;
                }
                self.counts.clear();
                self.start = Some(start);
            }
            RunAction::Data { train, val, counts } => {
                self.split = (train, val);
                self.counts = counts;
            }
            RunAction::Backend(backend) => {
                self.backend.clone_from(&backend);
                // A run that trained on one backend and goes on on another (Auto moving to
                // WebGPU, the command line, then the page again) names each, in order.
                if let Some(run) = self.current.and_then(|id| self.get_mut(id)) {
                    if run.rows.is_empty() || run.backend.is_empty() {
                        run.backend = backend;
                    } else if !run.backend.split(" + ").any(|name| name == backend) {
                        run.backend = format!("{} + {backend}", run.backend);
                    }
                }
            }
            RunAction::Running(true, now) => self.running_since = Some(now),
            RunAction::Running(false, now) => self.settle_time(now),
            RunAction::Row(row) => self.add_row(row),
            // The run takes it with its next epoch: a change and then Reset is the next
            // run's recipe, not this one's.
            RunAction::Recipe(recipe) => {
                if let Some(start) = &mut self.start {
                    start.project.recipe = recipe;
                }
            }
            RunAction::Weights(weights) => {
                if let Some(run) = self.current.and_then(|id| self.get_mut(id)) {
                    run.weights = Some(weights);
                }
                self.trim_weights();
            }
            RunAction::Delete(id) => {
                self.runs.retain(|run| run.id != id);
                if self.current == Some(id) {
                    // Deleted while on screen: what it trains from now on is not recorded
                    // until the next run begins.
                    self.current = None;
                    self.start = None;
                }
                if self.fork_parent == Some(id) {
                    self.fork_parent = None;
                }
            }
            // As typed (trimmed only when read from a file: a space typed now may be the
            // middle of a label).
            RunAction::Label(id, label) => {
                if let Some(run) = self.get_mut(id) {
                    run.label = label.chars().take(MAX_LABEL).collect();
                }
            }
            RunAction::Note { id, limits, text } => {
                if let Some(run) = self.get_mut(id) {
                    let text: String = text.chars().take(MAX_NOTE).collect();
                    if limits {
                        run.notes.limits = text;
                    } else {
                        run.notes.intended_use = text;
                    }
                }
            }
            RunAction::Fork(id) => {
                if self.get(id).is_some() {
                    self.fork_parent = Some(id);
                    self.current = None;
                }
            }
            RunAction::Restore(id) => {
                if self.get(id).is_some() {
                    self.current = Some(id);
                    self.fork_parent = None;
                }
            }
            RunAction::Load(book) => {
                let mut book = *book;
                book.start = self.start.take();
                book.backend = std::mem::take(&mut self.backend);
                book.settle();
                return book;
            }
        }
        self
    }

    /// A book read from a file: ids unique, the current and parent runs ones it holds, the
    /// next id past them all, labels and notes within bounds.
    pub fn settle(&mut self) {
        let mut seen = std::collections::BTreeSet::new();
        self.runs.retain(|run| seen.insert(run.id));
        self.runs.truncate(MAX_RUNS);
        let ids: Vec<u32> = self.runs.iter().map(|run| run.id).collect();
        for run in self.runs.iter_mut().map(Rc::make_mut) {
            run.label = run.label.trim().chars().take(MAX_LABEL).collect();
            run.notes.intended_use = run.notes.intended_use.chars().take(MAX_NOTE).collect();
            run.notes.limits = run.notes.limits.chars().take(MAX_NOTE).collect();
            run.parent = run.parent.filter(|parent| ids.contains(parent));
            run.rows.truncate(MAX_ROWS * 2);
        }
        self.current = self.current.filter(|id| ids.contains(id));
        self.fork_parent = self.fork_parent.filter(|id| ids.contains(id));
        let past = ids.iter().max().map_or(0, |id| id.saturating_add(1));
        self.next_id = self.next_id.max(past);
    }

    fn settle_time(&mut self, now: f64) {
        if let Some(since) = self.running_since.take()
            && let Some(run) = self.current.and_then(|id| self.get_mut(id))
        {
            run.seconds += ((now - since) / 1000.0).max(0.0);
        }
    }

    fn add_row(&mut self, row: EpochRow) {
        if self.current_run().is_none() {
            // Nothing trained yet is not a run (the worker reports epoch 0 of a fresh start).
            if row.epoch == 0 {
                return;
            }
            let Some(start) = self.start.clone() else {
                return;
            };
            let record = self.record(&start);
            self.current = Some(record.id);
            self.runs.push(Rc::new(record));
            self.trim_runs();
        }
        let recipe = self.start.as_ref().map(|start| start.project.recipe);
        let Some(run) = self.current.and_then(|id| self.get_mut(id)) else {
            return;
        };
        if let Some(recipe) = recipe {
            run.project.recipe = recipe;
        }
        // A reset run starts over: rows from its future go.
        run.rows.retain(|old| old.epoch < row.epoch);
        run.rows.push(row);
        if run.rows.len() > MAX_ROWS {
            let last = run.rows.pop();
            let thinned = run.rows.iter().copied().step_by(2).collect();
            run.rows = thinned;
            run.rows.extend(last);
        }
    }

    fn record(&mut self, start: &RunStart) -> RunRecord {
        let id = self.next_id.max(1);
        self.next_id = id.saturating_add(1);
        let classes = start
            .class_names
            .iter()
            .enumerate()
            .map(|(class, name)| {
                let (train, validation) = self.counts.get(class).copied().unwrap_or((0, 0));
                ClassCount {
                    name: name.clone(),
                    train,
                    validation,
                }
            })
            .collect();
        RunRecord {
            id,
            parent: self.fork_parent.take(),
            label: String::new(),
            started_ms: start.now_ms,
            seconds: 0.0,
            project: start.project.clone(),
            data: DataSummary {
                name: start.data_name.clone(),
                provenance: start.provenance.clone(),
                classes,
                train: self.split.0,
                validation: self.split.1,
            },
            backend: self.backend.clone(),
            browser: start.browser.clone(),
            rows: Vec::new(),
            notes: CardNotes::default(),
            weights: None,
        }
    }

    /// Unlabelled runs go first, oldest first; the current run stays.
    fn removable(&self, keep: impl Fn(&RunRecord) -> bool) -> Option<u32> {
        self.runs
            .iter()
            .filter(|run| Some(run.id) != self.current && !keep(run))
            .find(|run| run.label.is_empty())
            .or_else(|| {
                self.runs
                    .iter()
                    .find(|run| Some(run.id) != self.current && !keep(run))
            })
            .map(|run| run.id)
    }

    fn trim_runs(&mut self) {
        while self.runs.len() > MAX_RUNS {
            let Some(id) = self.removable(|_| false) else {
                break;
            };
            self.runs.retain(|run| run.id != id);
        }
    }

    fn trim_weights(&mut self) {
        let kept = |book: &RunBook| {
            book.runs
                .iter()
                .filter(|run| run.weights.is_some() && Some(run.id) != book.current)
                .count()
        };
        while kept(self) > MAX_KEPT_WEIGHTS {
            let Some(id) = self.removable(|run| run.weights.is_none()) else {
                break;
            };
            if let Some(run) = self.get_mut(id) {
                run.weights = None;
            }
        }
    }
}

#[cfg(test)]
mod tests;
