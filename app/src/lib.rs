//! Agora's web front end: the builder, the training controls and the views, plus the Web
//! Worker that trains off the main thread.
//!
//! The state (project, session), the worker protocol and the colour maps are plain Rust and
//! tested natively; the Yew components only build for wasm32 with the `page` feature. The
//! training worker is the `agora-worker` crate beside this one.
//!
//! ```
//! use agora_app::project::{Project, ProjectAction};
//! use agora_app::protocol::{Command, Setup, TrainData, decode, encode};
//! use agora_engine::net::{Input, infer_graph};
//!
//! // TensorFlow Playground's opening project, one edit, and the link that reproduces it.
//! let project = Project::default().apply(ProjectAction::SetUnits { index: 0, units: 6 });
//! let (reopened, unreadable) = Project::from_fragment(&project.to_fragment()).unwrap();
//! assert!(unreadable.is_empty());
//! assert_eq!(reopened, project);
//!
//! // The one network type the worker trains: points with two features, 6 and 2 tanh neurons.
//! let network = project.network.clone();
//! assert!(matches!(network.input, Input::Points { .. }));
//! assert_eq!(infer_graph(&network).unwrap().total_params, 2 * 6 + 6 + 6 * 2 + 2 + 2 * 2 + 2);
//!
//! // What the page sends the worker, as the bytes that cross to it.
//! let setup = Command::Setup(Setup {
//!     network,
//!     data: TrainData::Points(project.dataset().unwrap()),
//!     seed: project.seed,
//!     train_percent: project.train_percent,
//!     recipe: project.recipe,
//!     augment: project.augment,
//!     backend: project.backend,
//! });
//! assert_eq!(decode::<Command>(&encode(&setup)).unwrap(), setup);
//! ```

pub mod announce;
pub mod backend;
pub mod card;
pub mod chart;
pub mod colors;
pub mod colour_vision;
pub mod lesson;
pub mod link;
pub mod offline;
pub mod photos;
pub mod pictures;
pub mod plane;
pub mod project;
pub mod protocol;
pub mod reports;
pub mod room;
pub mod runs;
pub mod session;
pub mod speed;

#[cfg(all(target_arch = "wasm32", feature = "page"))]
pub mod ui;

/// Mounts the page; run once when the module is instantiated.
#[cfg(all(target_arch = "wasm32", feature = "page"))]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    yew::Renderer::<ui::App>::new().render();
}
