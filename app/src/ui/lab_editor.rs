//! How the page changes the lab: every edit goes through [`LabEditor::edit`], which applies it
//! to a synchronous mirror of the lab document, renders it, rewrites the link and tells the
//! worker at once (side effects in event handlers, not in effects: see ARCHITECTURE.md).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use yew::prelude::*;

use super::WorkerLink;
use crate::lab::{LabAction, LabDoc};
use crate::protocol::{Command, Setup, TrainData};

/// How the page changes the lab: applies the edit, then tells the worker at once.
#[derive(Clone)]
pub struct LabEditor {
    pub mirror: Rc<RefCell<LabDoc>>,
    pub docs: UseReducerDispatcher<LabDoc>,
    pub link: WorkerLink,
    pub ready: Rc<Cell<bool>>,
    /// Whether the lab is the view on screen (only then does it set training up).
    pub active: Rc<Cell<bool>>,
    /// Whether the worker has the current setup.
    pub sent: Rc<Cell<bool>>,
    /// The photo project as training needs it (kept current by the lab view).
    pub photos: Rc<RefCell<PhotoLink>>,
    /// The project revision the worker last loaded.
    pub setup_revision: Rc<Cell<u64>>,
}

/// What [`LabEditor::setup`] needs to know about the person's images.
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

impl PartialEq for LabEditor {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.mirror, &other.mirror)
    }
}

impl LabEditor {
    pub fn edit(&self, action: LabAction) {
        let before = self.mirror.borrow().clone();
        let after = before.clone().apply(action.clone());
        *self.mirror.borrow_mut() = after.clone();
        self.docs.dispatch(action);
        if !self.active.get() {
            return;
        }
        super::write_hash(&format!("#{}", after.to_fragment()));
        if !after.same_run(&before) {
            self.setup();
            return;
        }
        if after.recipe != before.recipe {
            self.link.send(&Command::SetRecipe(after.recipe));
        }
        if after.backend != before.backend {
            self.link.send(&Command::SetBackend(after.backend));
        }
    }

    /// What the worker trains for the lab, if it can train now (a valid network, and the
    /// person's images ready when it trains on them); notes the project revision sent.
    pub fn training(&self) -> Option<Setup> {
        let doc = self.mirror.borrow().clone();
        if doc.report().is_err() {
            return None;
        }
        let data = if doc.data.is_photos() {
            let photos = self.photos.borrow();
            photos.ready.as_ref().ok()?;
            self.setup_revision.set(photos.revision);
            TrainData::Photos {
                classes: photos.classes.clone(),
            }
        } else {
            TrainData::Digits
        };
        Some(Setup {
            network: doc.network,
            data,
            seed: doc.seed,
            train_percent: doc.train_percent,
            recipe: doc.recipe,
            augment: doc.augment,
            backend: doc.backend,
        })
    }

    /// Sends the network to the worker (which restarts from the seed), if it can train.
    pub fn setup(&self) {
        if !self.ready.get() || !self.active.get() {
            self.sent.set(false);
            return;
        }
        match self.training() {
            Some(setup) => {
                self.sent.set(true);
                self.link.send(&Command::Setup(setup));
            }
            None => {
                self.sent.set(false);
                // The old network must not go on training behind one that cannot.
                self.link.send(&Command::Pause);
            }
        }
    }
}
