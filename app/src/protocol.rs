//! Messages between the page and the training worker: commands in, events out.
//!
//! Small and typed; encoded with postcard into a byte array, so a snapshot's heatmaps (tens of
//! thousands of floats) cross the boundary as raw bytes rather than JSON text.

use agora_engine::data::DatasetConfig;
use agora_engine::net::{ImageSize, Network};
use agora_engine::photos::Augment;
use agora_engine::recipe::Recipe;
use agora_engine::snapshot::Snapshot;
use agora_engine::table::TableData;
use serde::{Deserialize, Serialize};

pub use crate::backend::{BackendChoice, BackendKind};
pub use crate::lab_events::LabEvent;
use agora_engine::bench::{Timing, TimingPlan, Workload};

/// What to train: sent whenever the network or the data change (training restarts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    /// The one network type, reading points or a table's columns.
    pub network: Network,
    pub data: PlaneData,
    /// Starting weights (and the points, for generated data) come from this seed.
    pub seed: u64,
    pub recipe: Recipe,
    pub backend: BackendChoice,
}

/// What the playground trains on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PlaneData {
    /// Generated points of the plane (the worker generates them from the config).
    Points(DatasetConfig),
    /// A person's table, read, split and standardised by the page.
    Table(Box<TableData>),
}

/// Page → worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Build the network from its starting weights on the chosen backend; stays paused.
    Setup(Setup),
    Play,
    Pause,
    /// One epoch, then pause.
    Step,
    /// Change the recipe without resetting the weights.
    SetRecipe(Recipe),
    /// Move training to another backend, keeping the weights.
    SetBackend(BackendChoice),
    /// The image lab's commands.
    Lab(LabCommand),
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

/// What the image lab trains: sent when the network, seed or split change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabSetup {
    pub network: Network,
    pub recipe: Recipe,
    pub seed: u64,
    pub train_percent: u8,
    pub backend: BackendChoice,
    pub data: LabData,
    pub augment: Augment,
}

/// Which images the lab trains on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LabData {
    /// The bundled digits, fetched from the page's origin.
    Digits,
    /// The person's images in this browser's storage: these classes (id, name), in label
    /// order, resampled to the network's input.
    Photos { classes: Vec<(u32, String)> },
}

/// Page → worker, for the image lab.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LabCommand {
    /// Load the digits (once), build the network from the seed; stays paused.
    Setup(LabSetup),
    Play,
    Pause,
    /// Change the recipe without resetting the weights.
    Recipe(Recipe),
    /// Move training to another backend, keeping the weights.
    Backend(BackendChoice),
    /// Classify one image (stored format: 64×64 RGB) with the current weights.
    Predict {
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
    /// Timing both backends before choosing one.
    Measuring,
    /// Which backend trains from now on, and why.
    Backend {
        active: BackendKind,
        measurement: Option<Measurement>,
        reason: String,
    },
    /// Whether epochs are being run.
    Running(bool),
    Snapshot(Box<Snapshot>),
    /// The loss became NaN or infinite; training paused.
    Diverged {
        epoch: usize,
    },
    /// Something went wrong; training paused. The text is for the user.
    Failed {
        message: String,
    },
    /// The image lab's reports.
    Lab(LabEvent),
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
    use crate::document::Document;

    #[test]
    fn commands_and_events_round_trip() {
        let document = Document::default();
        let command = Command::Setup(Setup {
            network: document.network(),
            data: PlaneData::Points(document.dataset),
            seed: document.dataset.seed,
            recipe: document.recipe,
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
