//! Messages between the page and the training worker: commands in, events out.
//!
//! Small and typed; encoded with postcard into a byte array, so a snapshot's heatmaps (tens of
//! thousands of floats) cross the boundary as raw bytes rather than JSON text.

use agora_engine::checkpoint::Checkpoint;
use agora_engine::data::DatasetConfig;
use agora_engine::net::{ImageSize, Network};
use agora_engine::photos::Augment;
use agora_engine::recipe::Recipe;
use agora_engine::snapshot::Snapshot;
use agora_engine::table::TableData;
use serde::{Deserialize, Serialize};

pub use crate::backend::{BackendChoice, BackendKind};
pub use crate::reports::{EpochReport, EvaluationReport, Inspection};
use agora_engine::bench::{Timing, TimingPlan, Workload};

/// What to train: sent whenever the network or the data change (training restarts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    /// The one network type, reading points, a table's columns or images.
    pub network: Network,
    pub data: TrainData,
    /// Starting weights, the split (and the points, for generated data) come from this seed.
    pub seed: u64,
    /// Share of the samples used for training; the rest validates (tests, for the plane).
    pub train_percent: u8,
    pub recipe: Recipe,
    /// Random flips, crops and brightness for training images.
    pub augment: Augment,
    pub backend: BackendChoice,
}

impl Setup {
    /// Whether `other` trains the same thing from the same start (a change of recipe or
    /// backend goes on with the same weights).
    pub fn same_run(&self, other: &Setup) -> bool {
        self.network == other.network
            && self.data == other.data
            && self.seed == other.seed
            && self.train_percent == other.train_percent
            && self.augment == other.augment
    }
}

/// What a project trains on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TrainData {
    /// Generated points of the plane (the worker generates them from the config).
    Points(DatasetConfig),
    /// A person's table, read, split and standardised by the page.
    Table(Box<TableData>),
    /// The bundled digits, fetched from the page's origin.
    Digits,
    /// A student's share of the digits in a room: only these digits train; the whole
    /// validation split tests (the bundled digits are public), so a page can say how the
    /// model does on its own digits and on all ten.
    DigitsOf { digits: Vec<u8> },
    /// The person's images in this browser's storage: these classes (id, name), in label
    /// order, resampled to the network's input.
    Photos { classes: Vec<(u32, String)> },
}

impl TrainData {
    /// Whether the samples are images (the image views), not rows (the plane's views).
    pub fn is_images(&self) -> bool {
        matches!(
            self,
            TrainData::Digits | TrainData::DigitsOf { .. } | TrainData::Photos { .. }
        )
    }
}

/// What an export is called and holds, from what the page knows (names the worker lacks).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportRequest {
    /// The data's short name ("digits", "circle", the table's name).
    pub title: String,
    /// Class names in label order (a table's come from its prepared rows in the worker).
    pub class_names: Vec<String>,
    /// Put the training and validation samples in the export.
    pub data: bool,
}

/// Where the pretrained network stands in the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PretrainedStatus {
    /// Downloading its weights: bytes so far, of `total` when the server said.
    Loading { loaded: u64, total: Option<u64> },
    /// Ready: the weights file's size, and whether it came from this browser's cache.
    Ready { bytes: u64, cached: bool },
    /// Computing the features of images that have none yet (`done` of `total`).
    Embedding { done: usize, total: usize },
    /// Every image's features are there (`computed` of them just now, the rest kept).
    Embedded {
        computed: usize,
        kept: usize,
        ms: f64,
    },
    /// Why it could not load, for the user.
    Failed(String),
}

/// Page → worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Build the network from its starting weights on the chosen backend; stays paused.
    Setup(Setup),
    /// The same, going on from saved weights and their epoch (a project file, a reload).
    Restore {
        setup: Setup,
        trained: Box<Checkpoint>,
    },
    /// Read the current weights back, for saving ([`Event::Weights`]).
    ReadWeights,
    /// Export the trained network ([`Event::Exported`]): ONNX, safetensors, PyTorch code and,
    /// if asked, the data, as one zip made in the worker.
    Export(ExportRequest),
    /// The page shows another project: put the current one aside (paused, weights kept) and
    /// take this one up — where it was, if it is the one put aside, else from its start.
    /// `None`: the project shown cannot train yet.
    Switch(Option<Setup>),
    Play,
    Pause,
    /// One epoch, then pause.
    Step,
    /// Change the recipe without resetting the weights.
    SetRecipe(Recipe),
    /// Move training to another backend, keeping the weights.
    SetBackend(BackendChoice),
    /// Classify one image (stored format: 64×64 RGB) with the current weights.
    Predict {
        pixels: Vec<u8>,
    },
    /// Images just stored (`ids`), decoded again at `side`×`side` RGB (back to back): the
    /// pretrained network's features of them are computed now and kept in IndexedDB.
    Embed {
        side: usize,
        ids: Vec<u64>,
        pixels: Vec<u8>,
    },
    /// Every layer's output for validation image `sample`, and the conv kernels.
    Inspect {
        sample: usize,
    },
    /// The same for an image the person gave (`pixels` channels last, of `size`), resampled to
    /// the network's input.
    InspectImage {
        pixels: Vec<u8>,
        size: ImageSize,
    },
    /// Logits and the 2-D embedding of the whole validation set.
    Evaluate,
    /// Time reference workloads on these backends (pauses any training first).
    Speed(SpeedRequest),
}

/// What a speed test times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeedRequest {
    pub workloads: Vec<Workload>,
    pub backends: Vec<BackendKind>,
    pub plan: TimingPlan,
}

/// Time per epoch on each backend, measured after a warm-up epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub cpu_ms_per_epoch: f64,
    /// `None` when WebGPU is unavailable.
    pub webgpu_ms_per_epoch: Option<f64>,
}

/// Worker → page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The worker is listening. `webgpu` is the adapter's description, or why there is none.
    Ready {
        webgpu: Result<String, String>,
    },
    /// Took up the project of a [`Command::Switch`]: what follows is about it.
    Switched,
    /// Loading the samples (the digits, the person's images).
    Loading,
    /// The samples are ready: this many train and this many validate. Training starts over.
    Data {
        train: usize,
        val: usize,
        /// Samples of each class that train and that validate (empty for regression).
        #[serde(default)]
        counts: Vec<(usize, usize)>,
    },
    /// Timing both backends before choosing one.
    Measuring,
    /// Which backend trains from now on, and why.
    Backend {
        active: BackendKind,
        measurement: Option<Measurement>,
        reason: String,
    },
    /// Whether training runs.
    Running(bool),
    /// Steps done in the current epoch, and how many it has.
    Progress {
        done: usize,
        total: usize,
    },
    /// What the plane's views draw (points and tables), after each tick.
    Snapshot(Box<Snapshot>),
    /// One finished epoch's metrics (images).
    Epoch(EpochReport),
    /// The run reached its last epoch.
    Finished,
    /// The loss became NaN or infinite; training paused.
    Diverged {
        epoch: usize,
    },
    /// Something went wrong; training paused. The text is for the user.
    Failed {
        message: String,
    },
    /// The weights of the project on screen and their epoch ([`Command::ReadWeights`]), or
    /// why there are none.
    Weights(Result<Box<Checkpoint>, String>),
    /// The export's zip ([`Command::Export`]) and its file name, or why there is none.
    Exported(Result<(Vec<u8>, String), String>),
    /// Class probabilities for the image sent with [`Command::Predict`], or why there are none.
    Prediction(Result<Vec<f32>, String>),
    /// What the pretrained network sees in that image: ImageNet's top five (name, probability).
    Seen(Vec<(String, f32)>),
    /// The pretrained network's weights and the features of the person's images.
    Pretrained(PretrainedStatus),
    Inspection(Box<Inspection>),
    Evaluation(Box<EvaluationReport>),
    /// The speed test's reports.
    Speed(SpeedEvent),
}

/// Worker → page, while a speed test runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SpeedEvent {
    /// Timing this workload on this backend now.
    Timing {
        workload: Workload,
        backend: BackendKind,
    },
    /// One workload on one backend: its timing, or why it could not run.
    Measured {
        workload: Workload,
        backend: BackendKind,
        result: Result<Timing, String>,
    },
    /// Every requested pair is done.
    Done,
}

/// Encodes a message for `postMessage`.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    postcard::to_stdvec(message).expect(
        "postcard encodes every protocol type: no maps with non-string keys, no unsized data",
    )
}

/// Decodes a message from `postMessage`.
///
/// # Errors
/// The bytes are not a message of this version of the protocol.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, postcard::Error> {
    postcard::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_engine::data::{DatasetConfig, DatasetKind};
    use agora_engine::net::{Feature, Network};

    #[test]
    fn commands_and_events_round_trip() {
        let dataset = DatasetConfig {
            kind: DatasetKind::Spiral,
            noise_percent: 10,
            train_percent: 50,
            classes: 3,
            seed: 7,
        };
        let command = Command::Setup(Setup {
            network: Network::playground(vec![Feature::X1, Feature::X2], dataset.head()),
            data: TrainData::Points(dataset),
            seed: dataset.seed,
            train_percent: 50,
            recipe: Recipe::playground(),
            augment: Augment::NONE,
            backend: BackendChoice::Auto,
        });
        assert_eq!(
            decode::<Command>(&encode(&command)).expect("decodes"),
            command
        );
        let event = Event::Backend {
            active: BackendKind::WebGpu,
            measurement: Some(Measurement {
                cpu_ms_per_epoch: 3.5,
                webgpu_ms_per_epoch: Some(1.25),
            }),
            reason: "faster".into(),
        };
        assert_eq!(decode::<Event>(&encode(&event)).expect("decodes"), event);
        let failed = Event::Ready {
            webgpu: Err("no adapter".into()),
        };
        assert_eq!(decode::<Event>(&encode(&failed)).expect("decodes"), failed);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode::<Command>(&[0xff, 0xff, 0xff]).is_err());
    }
}
