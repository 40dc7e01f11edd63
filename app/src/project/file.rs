//! A project as one file a person keeps, moves to another computer or hands to a teacher:
//! a zip (`.agora`) that any zip tool opens, holding
//!
//! | entry | what |
//! |---|---|
//! | `manifest.json` | `{"format": "agora-project", "version": 1, "saved_by": …, "epoch": …, "entries": […]}` |
//! | `project.json` | the [`Project`]: data choice, network, recipe, seed, split, augmentation, backend |
//! | `weights.safetensors` | the trained weights (PyTorch's `state_dict` names and layout), when trained |
//! | `history.json` | the run so far: every epoch's metrics (images) and the loss curve (the plane); NaN as `null` |
//! | `runs.json` | every recorded run ([`RunBook`]): its project, data summary, metrics per epoch, label, notes |
//! | `runs/<id>.safetensors` | a recorded run's weights, while kept (the current run's are `weights.safetensors`) |
//! | `optimizer.safetensors` | what the optimizer remembered (momentum, Adam's moments, the step count) and the shuffle, with the weights |
//! | `images.safetensors` | the person's images, when they chose to include them ([`agora_engine::image_file`]) |
//! | `README.txt` | what the entries are, for whoever unzips it |
//!
//! Opening trusts nothing in the file: the zip is read within [`LIMITS`], a newer format
//! version is refused rather than half-read, the project is settled as any edit is, and the
//! weights must fit its network exactly. Every refusal says what is wrong; nothing is changed
//! until the whole file has been read.

use agora_engine::checkpoint::Checkpoint;
use agora_engine::image_file::{ImageArchive, read_images, write_images};
use agora_engine::optimizer_state::{read_state, write_state};
use agora_engine::weights::{WeightsError, read_safetensors, write_safetensors};
use agora_engine::zip::{ZipError, ZipLimits, ZipReader, ZipWriter};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Project;
use crate::reports::{EpochReport, LossPoint, RunHistory};
use crate::runs::{MAX_RUNS, RunBook};
use agora_engine::recipe::EpochMetrics;

/// What the file says it is.
pub const FORMAT: &str = "agora-project";
/// The format version this build writes and the newest it reads.
pub const VERSION: u32 = 1;
/// The file name a saved project suggests.
pub const EXTENSION: &str = "agora";
/// The most a project file may be (its weights dominate: 500 MB is 125 million parameters).
pub const MAX_FILE_BYTES: usize = 512 << 20;
/// What a project file's zip may hold.
pub const LIMITS: ZipLimits = ZipLimits {
    max_entries: 16 + MAX_RUNS,
    max_entry_bytes: MAX_FILE_BYTES as u64,
    max_total_bytes: MAX_FILE_BYTES as u64,
};
/// The most `project.json` may take: a network of thousands of layers is a few hundred KB.
const MAX_PROJECT_JSON: usize = 4 << 20;

const MANIFEST: &str = "manifest.json";
const PROJECT: &str = "project.json";
const WEIGHTS: &str = "weights.safetensors";
const README: &str = "README.txt";
const HISTORY: &str = "history.json";
const RUNS: &str = "runs.json";
const IMAGES: &str = "images.safetensors";
const OPTIMIZER: &str = "optimizer.safetensors";
/// The most `runs.json` may take: a hundred runs of 600 epochs are about 10 MB.
const MAX_RUNS_JSON: usize = 32 << 20;

fn run_weights(id: u32) -> String {
    format!("runs/{id}.safetensors")
}

/// A project as saved: what it is, and how far it had trained.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedProject {
    pub project: Project,
    /// The trained weights and their epoch; `None` for a project not trained yet.
    pub trained: Option<Checkpoint>,
    /// What the run showed up to those weights.
    pub history: RunHistory,
    /// Every recorded run, with the weights of those kept.
    pub runs: RunBook,
    /// The person's images, when they chose to put them in the file.
    pub images: Option<ImageArchive>,
}

/// `history.json`: JSON has no NaN, so a metric that is not a number (accuracy for
/// regression, a diverged loss) is `null`.
#[derive(Default, Serialize, Deserialize)]
struct SavedHistory {
    #[serde(default)]
    epochs: Vec<SavedEpoch>,
    #[serde(default)]
    losses: Vec<LossPoint>,
}

#[derive(Serialize, Deserialize)]
struct SavedEpoch {
    epoch: usize,
    train_loss: Option<f32>,
    train_accuracy: Option<f32>,
    val_loss: Option<f32>,
    val_accuracy: Option<f32>,
    learning_rate: f64,
    train_seconds: f64,
    samples_per_second: f64,
}

fn number(value: f32) -> Option<f32> {
    value.is_finite().then_some(value)
}

impl SavedHistory {
    fn from_run(history: &RunHistory) -> SavedHistory {
        SavedHistory {
            epochs: history
                .epochs
                .iter()
                .map(|report| SavedEpoch {
                    epoch: report.metrics.epoch,
                    train_loss: number(report.metrics.train_loss),
                    train_accuracy: number(report.metrics.train_accuracy),
                    val_loss: number(report.metrics.val_loss),
                    val_accuracy: number(report.metrics.val_accuracy),
                    learning_rate: report.metrics.learning_rate,
                    train_seconds: report.train_seconds,
                    samples_per_second: report.samples_per_second,
                })
                .collect(),
            losses: history
                .losses
                .iter()
                .copied()
                .filter(|point| point.train_loss.is_finite() && point.test_loss.is_finite())
                .collect(),
        }
    }

    fn into_run(self) -> RunHistory {
        RunHistory {
            epochs: self
                .epochs
                .into_iter()
                .map(|saved| EpochReport {
                    metrics: EpochMetrics {
                        epoch: saved.epoch,
                        train_loss: saved.train_loss.unwrap_or(f32::NAN),
                        train_accuracy: saved.train_accuracy.unwrap_or(f32::NAN),
                        val_loss: saved.val_loss.unwrap_or(f32::NAN),
                        val_accuracy: saved.val_accuracy.unwrap_or(f32::NAN),
                        learning_rate: saved.learning_rate,
                    },
                    train_seconds: saved.train_seconds,
                    samples_per_second: saved.samples_per_second,
                })
                .collect(),
            losses: self.losses,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    #[serde(default)]
    saved_by: String,
    /// Completed epochs of the saved weights.
    #[serde(default)]
    epoch: Option<usize>,
    #[serde(default)]
    entries: Vec<String>,
}

/// Why a project file cannot be opened. The texts are for the person who chose it.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum FileError {
    #[error("This file is {bytes} bytes; a project file can be at most {max} bytes.", max = MAX_FILE_BYTES)]
    TooBig { bytes: usize },
    #[error("This is not an Agora project file: {0}.")]
    Zip(ZipError),
    #[error("This zip is not an Agora project file: it has no manifest.json.")]
    NoManifest,
    #[error("This file's manifest.json could not be read ({0}).")]
    Manifest(String),
    #[error("This zip is a \"{0}\" file, not an Agora project.")]
    OtherFormat(String),
    #[error(
        "This project was saved by a newer Agora (format version {0}; this page reads up to {VERSION}). Open it in the newer Agora, or reload this page to update it."
    )]
    Newer(u32),
    #[error("This project file has no project.json.")]
    NoProject,
    #[error("This file's project.json could not be read ({0}).")]
    Project(String),
    #[error("The saved weights do not fit the saved network: {0}.")]
    Weights(WeightsError),
    #[error("The manifest says the weights are from epoch {0}, but the file holds no weights.")]
    MissingWeights(usize),
    #[error("This file's history.json could not be read ({0}).")]
    History(String),
    #[error("This file's runs.json could not be read ({0}).")]
    Runs(String),
    #[error("This file's images could not be read: {0}.")]
    Images(String),
    #[error("This file's optimizer state could not be read: {0}.")]
    Optimizer(String),
    #[error("The weights of run {0} do not fit its network: {1}.")]
    RunWeights(u32, WeightsError),
    #[error("This project could not be written: {0}.")]
    Write(String),
}

impl From<ZipError> for FileError {
    fn from(error: ZipError) -> Self {
        FileError::Zip(error)
    }
}

/// The project as a file's bytes.
///
/// # Errors
/// The weights do not fit the network (a bug upstream), or the file would pass 4 GiB.
pub fn save(saved: &SavedProject, saved_by: &str) -> Result<Vec<u8>, FileError> {
    let project = serde_json::to_vec_pretty(&saved.project)
        .map_err(|error| FileError::Write(error.to_string()))?;
    let weights = saved
        .trained
        .as_ref()
        .map(|trained| {
            let epoch = trained.epoch.to_string();
            write_safetensors(
                &saved.project.network,
                &trained.params,
                &[("format", "agora-weights"), ("epoch", &epoch)],
            )
        })
        .transpose()
        .map_err(|error| FileError::Write(error.to_string()))?;
    let history = serde_json::to_vec(&SavedHistory::from_run(&saved.history))
        .map_err(|error| FileError::Write(error.to_string()))?;
    let runs =
        serde_json::to_vec(&saved.runs).map_err(|error| FileError::Write(error.to_string()))?;
    // The current run's weights are the project's; the others' each in their own entry.
    let mut run_weights_files = Vec::new();
    for run in &saved.runs.runs {
        if let Some(trained) = run
            .weights
            .as_ref()
            .filter(|_| saved.runs.current != Some(run.id))
        {
            let epoch = trained.epoch.to_string();
            let id = run.id.to_string();
            let bytes = write_safetensors(
                &run.project.network,
                &trained.params,
                &[("format", "agora-weights"), ("epoch", &epoch), ("run", &id)],
            )
            .map_err(|error| FileError::Write(error.to_string()))?;
            run_weights_files.push((run_weights(run.id), bytes));
        }
    }
    let mut entries = vec![
        PROJECT.to_owned(),
        HISTORY.to_owned(),
        RUNS.to_owned(),
        README.to_owned(),
    ];
    if weights.is_some() {
        entries.push(WEIGHTS.to_owned());
    }
    let optimizer = saved
        .trained
        .as_ref()
        .and_then(|trained| trained.optimizer.as_ref())
        .map(|state| write_state(&saved.project.network, state))
        .transpose()
        .map_err(FileError::Write)?;
    if optimizer.is_some() {
        entries.push(OPTIMIZER.to_owned());
    }
    let images = saved.images.as_ref().map(write_images);
    if images.is_some() {
        entries.push(IMAGES.to_owned());
    }
    entries.extend(run_weights_files.iter().map(|(name, _)| name.clone()));
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        saved_by: saved_by.into(),
        epoch: saved.trained.as_ref().map(|trained| trained.epoch),
        entries,
    };
    let manifest = serde_json::to_vec_pretty(&manifest)
        .map_err(|error| FileError::Write(error.to_string()))?;
    let mut zip = ZipWriter::new();
    zip.add(MANIFEST, &manifest)?;
    zip.add(PROJECT, &project)?;
    zip.add(HISTORY, &history)?;
    zip.add(RUNS, &runs)?;
    if let Some(weights) = &weights {
        zip.add(WEIGHTS, weights)?;
    }
    if let Some(optimizer) = &optimizer {
        zip.add(OPTIMIZER, optimizer)?;
    }
    for (name, bytes) in &run_weights_files {
        zip.add(name, bytes)?;
    }
    if let Some(images) = &images {
        zip.add(IMAGES, images)?;
    }
    zip.add(README, readme().as_bytes())?;
    Ok(zip.finish()?)
}

/// Reads a project file, checking all of it before anything is used.
///
/// # Errors
/// Every way the file can be wrong has its own [`FileError`].
pub fn open(bytes: &[u8]) -> Result<SavedProject, FileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FileError::TooBig { bytes: bytes.len() });
    }
    let zip = ZipReader::open(bytes, LIMITS)?;
    if !zip.contains(MANIFEST) {
        return Err(FileError::NoManifest);
    }
    let manifest: Manifest = serde_json::from_slice(&zip.read(MANIFEST)?)
        .map_err(|error| FileError::Manifest(error.to_string()))?;
    if manifest.format != FORMAT {
        return Err(FileError::OtherFormat(manifest.format));
    }
    if manifest.version > VERSION {
        return Err(FileError::Newer(manifest.version));
    }
    if !zip.contains(PROJECT) {
        return Err(FileError::NoProject);
    }
    let json = zip.read(PROJECT)?;
    if json.len() > MAX_PROJECT_JSON {
        return Err(FileError::Project(format!(
            "it is {} bytes, over the {MAX_PROJECT_JSON} a project takes",
            json.len()
        )));
    }
    let mut project: Project =
        serde_json::from_slice(&json).map_err(|error| FileError::Project(error.to_string()))?;
    // As every edit does: values in range, the network's input and head following the data.
    project.settle();
    let trained = if zip.contains(WEIGHTS) {
        let (params, metadata) =
            read_safetensors(&project.network, &zip.read(WEIGHTS)?).map_err(FileError::Weights)?;
        let epoch = metadata
            .get("epoch")
            .and_then(|epoch| epoch.parse().ok())
            .or(manifest.epoch)
            .unwrap_or(0);
        let optimizer = if zip.contains(OPTIMIZER) {
            Some(
                read_state(&project.network, &zip.read(OPTIMIZER)?)
                    .map_err(FileError::Optimizer)?,
            )
        } else {
            None
        };
        Some(Checkpoint {
            params,
            epoch,
            optimizer,
        })
    } else if let Some(epoch) = manifest.epoch {
        return Err(FileError::MissingWeights(epoch));
    } else {
        None
    };
    // The run's curves; a file without them (or from another tool) opens with none.
    let history = if zip.contains(HISTORY) {
        serde_json::from_slice::<SavedHistory>(&zip.read(HISTORY)?)
            .map_err(|error| FileError::History(error.to_string()))?
            .into_run()
    } else {
        RunHistory::default()
    };
    let runs = read_runs(&zip, trained.as_ref())?;
    let images = if zip.contains(IMAGES) {
        Some(read_images(&zip.read(IMAGES)?).map_err(FileError::Images)?)
    } else {
        None
    };
    Ok(SavedProject {
        project,
        trained,
        history,
        runs,
        images,
    })
}

/// `runs.json` and the kept runs' weights, each checked against its own network; a file
/// without runs (an older one) opens with none.
fn read_runs(zip: &ZipReader, trained: Option<&Checkpoint>) -> Result<RunBook, FileError> {
    if !zip.contains(RUNS) {
        return Ok(RunBook::default());
    }
    let json = zip.read(RUNS)?;
    if json.len() > MAX_RUNS_JSON {
        return Err(FileError::Runs(format!(
            "it is {} bytes, over the {MAX_RUNS_JSON} the runs take",
            json.len()
        )));
    }
    let mut book: RunBook =
        serde_json::from_slice(&json).map_err(|error| FileError::Runs(error.to_string()))?;
    if book.runs.len() > MAX_RUNS {
        return Err(FileError::Runs(format!(
            "it lists {} runs; a project keeps at most {MAX_RUNS}",
            book.runs.len()
        )));
    }
    book.settle();
    let current = book.current;
    for run in book.runs.iter_mut().map(std::rc::Rc::make_mut) {
        run.project.settle();
        let name = run_weights(run.id);
        if zip.contains(&name) {
            let (params, metadata) = read_safetensors(&run.project.network, &zip.read(&name)?)
                .map_err(|error| FileError::RunWeights(run.id, error))?;
            let epoch = metadata
                .get("epoch")
                .and_then(|epoch| epoch.parse().ok())
                .unwrap_or(0);
            run.weights = Some(std::rc::Rc::new(Checkpoint {
                params,
                epoch,
                optimizer: None,
            }));
        } else if current == Some(run.id) {
            run.weights = trained.cloned().map(std::rc::Rc::new);
        }
    }
    Ok(book)
}

/// The name a saved project suggests: `agora-circle-epoch-12.agora`.
pub fn file_name(saved: &SavedProject) -> String {
    let data = saved.project.data.short_name();
    match &saved.trained {
        Some(trained) => format!("agora-{data}-epoch-{}.{EXTENSION}", trained.epoch),
        None => format!("agora-{data}.{EXTENSION}"),
    }
}

fn readme() -> String {
    format!(
        "An Agora project ({FORMAT}, format version {VERSION}).\n\n\
         Open it in Agora with \"Open project\". The entries:\n\
         - manifest.json: the format, its version, the epoch the weights are from.\n\
         - project.json: the data choice, the network, the training recipe, seed and split.\n\
         - history.json: every epoch's metrics and the loss curve so far (null: not a number).\n\
         - runs.json: every run recorded: when, how long, network, recipe, seed, data classes\n\
         \x20 and counts, backend, browser, metrics per epoch, label and model card notes.\n\
         - runs/<id>.safetensors: the weights of a recorded run, while kept.\n\
         - optimizer.safetensors (when trained): the optimizer's state per parameter, named as\n\
         \x20 PyTorch names it (layers.<i>.weight.exp_avg, .exp_avg_sq, .momentum_buffer,\n\
         \x20 .square_avg; shaped as Agora keeps the parameter), the step count, the shuffle.\n\
         - images.safetensors (when included): the images, pixels uint8 [n, 64, 64, 3] and\n\
         \x20 labels int64 [n], the class names in its metadata.\n\
         - weights.safetensors (when trained): every parameter as float32, named and shaped as\n\
         \x20 PyTorch's state_dict of the same network (layers.<i>.weight, .bias, .running_mean,\n\
         \x20 .running_var; Linear weights as [out, in]). Load it with\n\
         \x20 safetensors.numpy.load_file(\"weights.safetensors\") or safetensors.torch.load_file.\n\n\
         Images are in the file only when \"Include my images\" was ticked.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::ProjectAction;
    use agora_engine::params::initial_params;

    fn trained() -> SavedProject {
        let project = Project::default().apply(ProjectAction::SetUnits { index: 0, units: 5 });
        let params = initial_params(&project.network, project.recipe.init, 9).unwrap();
        let history = RunHistory {
            epochs: vec![EpochReport {
                metrics: EpochMetrics {
                    epoch: 1,
                    train_loss: 0.5,
                    train_accuracy: f32::NAN,
                    val_loss: 0.25,
                    val_accuracy: 0.75,
                    learning_rate: 0.03,
                },
                train_seconds: 1.5,
                samples_per_second: 100.0,
            }],
            losses: vec![LossPoint {
                epoch: 12,
                train_loss: 0.1,
                test_loss: 0.2,
            }],
        };
        SavedProject {
            project,
            trained: Some(Checkpoint {
                params,
                epoch: 12,
                optimizer: None,
            }),
            history,
            runs: RunBook::default(),
            images: None,
        }
    }

    #[test]
    fn round_trips_project_and_weights() {
        let saved = trained();
        let bytes = save(&saved, "Agora test").unwrap();
        let opened = open(&bytes).unwrap();
        assert_eq!(opened.project, saved.project);
        assert_eq!(opened.trained, saved.trained);
        assert_eq!(opened.history.losses, saved.history.losses);
        // NaN went out as null and came back as NaN.
        let epoch = &opened.history.epochs[0];
        assert!(epoch.metrics.train_accuracy.is_nan());
        assert_eq!(epoch.metrics.val_accuracy, 0.75);
        assert_eq!(epoch.samples_per_second, 100.0);
        let untrained = SavedProject {
            project: Project::digits(),
            trained: None,
            history: RunHistory::default(),
            runs: RunBook::default(),
            images: None,
        };
        assert_eq!(open(&save(&untrained, "t").unwrap()).unwrap(), untrained);
        assert_eq!(file_name(&saved), "agora-circle-epoch-12.agora");
    }

    #[test]
    fn the_file_is_a_zip_with_its_entries_named() {
        let bytes = save(&trained(), "Agora test").unwrap();
        let zip = ZipReader::open(&bytes, LIMITS).unwrap();
        assert_eq!(
            zip.names(),
            vec![MANIFEST, PROJECT, HISTORY, RUNS, WEIGHTS, README],
            "the order other tools list"
        );
        let manifest: serde_json::Value =
            serde_json::from_slice(&zip.read(MANIFEST).unwrap()).unwrap();
        assert_eq!(manifest["format"], "agora-project");
        assert_eq!(manifest["version"], 1);
        assert_eq!(manifest["epoch"], 12);
    }

    #[test]
    fn every_cut_is_refused_with_a_message() {
        let bytes = save(&trained(), "Agora test").unwrap();
        for len in (0..bytes.len()).step_by(7) {
            let error = open(&bytes[..len]).unwrap_err();
            assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn runs_come_back_with_their_own_weights() {
        use crate::runs::{EpochRow, RunAction, RunStart};
        let mut saved = trained();
        let other = Project::default().apply(ProjectAction::SetUnits { index: 0, units: 3 });
        let other_params = initial_params(&other.network, other.recipe.init, 2).unwrap();
        let mut book = RunBook::default();
        for (project, params) in [
            (&other, &other_params),
            (&saved.project, &saved.trained.as_ref().unwrap().params),
        ] {
            book = book
                .apply(RunAction::Began(Box::new(RunStart {
                    project: project.clone(),
                    class_names: vec!["a".into(), "b".into()],
                    data_name: "circle".into(),
                    provenance: "generated".into(),
                    browser: "test".into(),
                    now_ms: 0.0,
                    continues: false,
                })))
                .apply(RunAction::Row(EpochRow {
                    epoch: 3,
                    ..EpochRow::default()
                }))
                .apply(RunAction::Weights(std::rc::Rc::new(Checkpoint {
                    params: params.clone(),
                    optimizer: None,
                    epoch: 3,
                })));
        }
        saved.runs = book;
        let bytes = save(&saved, "t").unwrap();
        let zip = ZipReader::open(&bytes, LIMITS).unwrap();
        assert!(zip.contains("runs/1.safetensors"));
        assert!(
            !zip.contains("runs/2.safetensors"),
            "the current run's weights are the project's"
        );
        let opened = open(&bytes).unwrap();
        assert_eq!(opened.runs.runs.len(), 2);
        assert_eq!(opened.runs.current, Some(2));
        assert_eq!(
            opened.runs.runs[0].weights.as_ref().map(|w| &w.params),
            Some(&other_params)
        );
        assert_eq!(
            opened.runs.runs[1].weights.as_deref(),
            saved.trained.as_ref()
        );
        assert_eq!(opened.runs.runs[0].project, other);
    }

    #[test]
    fn images_come_back_when_included() {
        use agora_engine::image_file::{ArchivedClass, IMAGE_BYTES};
        let mut saved = trained();
        saved.project =
            Project::digits().apply(ProjectAction::SetData(crate::project::Data::PHOTOS));
        saved.trained = None;
        saved.images = Some(ImageArchive {
            classes: vec![
                ArchivedClass {
                    name: "mug".into(),
                    color: "#f00".into(),
                },
                ArchivedClass {
                    name: "book".into(),
                    color: "#00f".into(),
                },
            ],
            labels: vec![0, 1, 1],
            pixels: vec![9; 3 * IMAGE_BYTES],
        });
        let opened = open(&save(&saved, "t").unwrap()).unwrap();
        assert_eq!(opened.images, saved.images);
    }

    #[test]
    fn the_optimizer_state_comes_back_with_the_weights() {
        use agora_engine::optimizer_state::{OptimizerState, ParamState};
        use agora_engine::weights::trainable;
        let mut saved = trained();
        let shapes = trainable(&saved.project.network).unwrap();
        let state = OptimizerState {
            optimizer: agora_engine::recipe::Optimizer::Sgd,
            steps: 40,
            params: shapes
                .iter()
                .map(|(_, shape)| ParamState {
                    first: Some(vec![0.125; shape.iter().product()]),
                    second: None,
                })
                .collect(),
            rng: 99,
        };
        if let Some(trained) = saved.trained.as_mut() {
            trained.optimizer = Some(state.clone());
        }
        let bytes = save(&saved, "t").unwrap();
        let opened = open(&bytes).unwrap();
        assert_eq!(opened.trained.and_then(|t| t.optimizer), Some(state));
        assert!(ZipReader::open(&bytes, LIMITS).unwrap().contains(OPTIMIZER));
    }
}
