//! The project kept: saved to a file ("Save project"), opened from one ("Open project…"), and
//! kept in this browser's IndexedDB (`static/agora-projects.js`) as the same file's bytes, so
//! a reload, a closed tab or a browser restart resumes it with its trained weights.
//!
//! Weights live in the worker; [`Editor::request_weights`] asks for them and [`on_weights`]
//! (called from the worker's message handler) writes the file once they arrive. The format is
//! `crate::project::file`'s, tested natively.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::Editor;
use super::chosen::{file_bytes, file_name, file_size, files_from_list};
use crate::project::Project;
use crate::project::file::{self, MAX_FILE_BYTES, SavedProject};
use crate::runs::RunAction;
use crate::session::{Notice, Session, SessionAction};
use agora_engine::checkpoint::Checkpoint;
use std::rc::Rc;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = agoraProjects, js_name = save)]
    async fn store_save(slot: &str, bytes: Uint8Array) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraProjects, js_name = load)]
    async fn store_load(slot: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraProjects, js_name = deleteAll)]
    pub(in crate::ui) async fn store_delete_projects() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = agoraProjects, js_name = persist)]
    async fn persist() -> JsValue;
    #[wasm_bindgen(js_namespace = agoraProjects, js_name = onDrop)]
    fn on_drop(open: &Closure<dyn Fn(JsValue)>);
}

/// A project file dropped anywhere on the page is opened as "Open project…" opens it.
pub fn accept_drops(editor: Editor) {
    let open = Closure::<dyn Fn(JsValue)>::new(move |file: JsValue| {
        let editor = editor.clone();
        wasm_bindgen_futures::spawn_local(async move { open_file(&editor, file).await });
    });
    on_drop(&open);
    open.forget();
}

const SAVED_BY: &str = concat!("Agora ", env!("CARGO_PKG_VERSION"));

/// Where a project is kept: the page's two projects, rows of numbers and images.
fn slot(project: &Project) -> &'static str {
    if project.data.is_images() {
        "images"
    } else {
        "rows"
    }
}

fn js_message(error: &JsValue) -> String {
    error.dyn_ref::<js_sys::Error>().map_or_else(
        || format!("{error:?}"),
        |error| String::from(error.message()),
    )
}

fn is_quota(error: &JsValue) -> bool {
    error
        .dyn_ref::<js_sys::Error>()
        .is_some_and(|error| error.name() == "QuotaExceededError")
}

fn notice(editor: &Editor, text: String, problem: bool) {
    editor
        .sessions
        .dispatch(SessionAction::Notice(Some(Notice { text, problem })));
}

fn size_text(bytes: usize) -> String {
    #[allow(clippy::cast_precision_loss)] // a size to read, not to compute with
    let value = bytes as f64;
    if bytes >= 1 << 20 {
        format!("{:.1} MB", value / f64::from(1 << 20))
    } else {
        format!("{:.1} KB", value / 1024.0)
    }
}

/// Keeps `saved` in this browser under its project's slot.
async fn keep(editor: &Editor, saved: &SavedProject) {
    let Ok(bytes) = file::save(saved, SAVED_BY) else {
        return;
    };
    if let Err(error) = store_save(slot(&saved.project), Uint8Array::from(bytes.as_slice())).await {
        let text = if is_quota(&error) {
            "This browser's storage for Agora is full, so the latest training was not kept here (what was kept before still is). Save the project to a file, or free space by deleting images.".to_owned()
        } else {
            format!(
                "The project could not be kept in this browser ({}); save it to a file to keep it.",
                js_message(&error)
            )
        };
        notice(editor, text, true);
    }
}

/// Keeps a project whose network or data just changed (no weights yet).
pub fn keep_untrained(editor: &Editor, project: &Project) {
    if !editor.resumed.get() {
        return;
    }
    let editor = editor.clone();
    let saved = SavedProject {
        project: project.clone(),
        trained: None,
        history: crate::session::RunHistory::default(),
        runs: editor.runs.borrow().clone(),
        images: None,
    };
    wasm_bindgen_futures::spawn_local(async move { keep(&editor, &saved).await });
}

/// The worker's weights arrived: save them to a file and/or keep them, as asked.
pub fn on_weights(editor: &Editor, weights: Result<Box<Checkpoint>, String>) {
    let download_now = editor.saving.replace(false);
    let keep_now = editor.keeping.replace(false) && editor.resumed.get();
    let project = editor.mirror.borrow().clone();
    let trained = weights.ok().map(|trained| *trained);
    if let Some(trained) = &trained {
        editor
            .sessions
            .dispatch(SessionAction::Runs(RunAction::Weights(Rc::new(
                trained.clone(),
            ))));
    }
    let history = editor.history.borrow().clone();
    let runs = editor.runs.borrow().clone();
    let mut saved = SavedProject {
        project,
        trained,
        history,
        runs,
        images: None,
    };
    // The network may have changed while the weights were on their way: then they belong to
    // no project on screen, and the project is saved untrained.
    if file::save(&saved, SAVED_BY).is_err() {
        saved.trained = None;
    }
    if download_now {
        let with_images = editor.include_images.get() && saved.project.data.is_photos();
        let editor = editor.clone();
        let mut saved = saved.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if with_images {
                match super::photos::read_album().await {
                    Ok(images) => saved.images = Some(images),
                    Err(error) => {
                        notice(
                            &editor,
                            format!("The project was not saved: {error}."),
                            true,
                        );
                        return;
                    }
                }
            }
            offer_file(&editor, &saved);
        });
    }
    if keep_now {
        let editor = editor.clone();
        wasm_bindgen_futures::spawn_local(async move { keep(&editor, &saved).await });
    }
}

/// Writes `saved` as a file and offers it for download, saying what is in it.
fn offer_file(editor: &Editor, saved: &SavedProject) {
    match file::save(saved, SAVED_BY) {
        Ok(bytes) => {
            let name = file::file_name(saved);
            super::offer::offer_bytes(&bytes, &name, "application/zip");
            let what = saved.trained.as_ref().map_or_else(
                || "the network and recipe (not trained yet)".to_owned(),
                |trained| {
                    format!(
                        "the network, recipe and weights after {} epochs",
                        trained.epoch
                    )
                },
            );
            let runs = match saved.runs.runs.len() {
                0 => String::new(),
                1 => ", 1 run".to_owned(),
                n => format!(", {n} runs"),
            };
            let images = saved.images.as_ref().map_or_else(
                || {
                    if saved.project.data.is_photos() {
                        " Your images are not in it.".to_owned()
                    } else {
                        String::new()
                    }
                },
                |images| {
                    format!(
                        " With your {} images in {} classes.",
                        images.len(),
                        images.classes.len()
                    )
                },
            );
            notice(
                editor,
                format!(
                    "Saved {name} ({}): {what}{runs}.{images}",
                    size_text(bytes.len())
                ),
                false,
            );
        }
        Err(error) => notice(editor, error.to_string(), true),
    }
}

/// Reads a kept project's bytes, if this browser holds one for `slot`.
async fn load_slot(slot: &str) -> Option<SavedProject> {
    let bytes = store_load(slot).await.ok()?;
    let bytes = bytes.dyn_ref::<Uint8Array>()?.to_vec();
    file::open(&bytes).ok()
}

/// At start: brings back the projects this browser kept. With no link, the kept project is
/// the one on screen; with a link to the same run, its weights come back; another link wins.
/// Until this is done nothing is kept, so a fresh start cannot overwrite what was kept.
pub fn resume(editor: Editor, from_link: bool) {
    wasm_bindgen_futures::spawn_local(async move {
        let shown = editor.mirror.borrow().clone();
        let other = if shown.data.is_images() {
            "rows"
        } else {
            "images"
        };
        if let Some(saved) = load_slot(slot(&shown)).await {
            let same_run = saved.project.same_run(&editor.mirror.borrow().clone());
            if !from_link {
                editor.restore(saved);
            } else if same_run && let Some(trained) = saved.trained {
                *editor.pending.borrow_mut() = Some(trained);
                editor
                    .sessions
                    .dispatch(SessionAction::Runs(RunAction::Load(Box::new(saved.runs))));
                editor
                    .sessions
                    .dispatch(SessionAction::Resume(saved.history));
                if editor.sent.get() {
                    editor.setup();
                }
            }
        }
        if let Some(saved) = load_slot(other).await {
            editor.restore_parked(saved);
        }
        editor.resumed.set(true);
        let granted = persist().await.as_string().unwrap_or_default();
        editor.persisted.set(granted == "granted");
    });
}

/// Opens a chosen project file: read and checked whole, then, if the person agrees, it
/// replaces the project of its kind. A bad file changes nothing and says what is wrong.
async fn open_file(editor: &Editor, file: JsValue) {
    let name = file_name(&file);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // sizes are whole bytes
    let size = file_size(&file).max(0.0) as usize;
    if size > MAX_FILE_BYTES {
        notice(
            editor,
            format!("{name}: {}", file::FileError::TooBig { bytes: size }),
            true,
        );
        return;
    }
    let Ok(bytes) = file_bytes(&file).await else {
        notice(
            editor,
            format!("{name}: the browser could not read this file."),
            true,
        );
        return;
    };
    let bytes = bytes
        .dyn_ref::<Uint8Array>()
        .map(Uint8Array::to_vec)
        .unwrap_or_default();
    let saved = match file::open(&bytes) {
        Ok(saved) => saved,
        Err(error) => {
            notice(
                editor,
                format!("{name}: {error} Nothing was changed."),
                true,
            );
            return;
        }
    };
    let kind = if saved.project.data.is_images() {
        "image classifier"
    } else {
        "playground"
    };
    let trained = saved.trained.as_ref().map_or_else(
        || "not trained yet".to_owned(),
        |trained| format!("trained for {} epochs", trained.epoch),
    );
    let images = saved.images.as_ref().map_or_else(String::new, |images| {
        format!(
            " Its {} images in {} classes replace the images in this browser.",
            images.len(),
            images.classes.len()
        )
    });
    let question = format!(
        "Open {name} ({trained})? It replaces the {kind}'s current project; save that first if you want to keep it.{images}"
    );
    let agreed = web_sys::window()
        .and_then(|window| window.confirm_with_message(&question).ok())
        .unwrap_or(false);
    if !agreed {
        notice(
            editor,
            format!("{name} was not opened; your project is as it was."),
            false,
        );
        return;
    }
    let waits = match &saved.project.data {
        crate::project::Data::Table(setup) => Some(format!(
            " Choose its table ({}) again to go on training: the file holds the setup, not the rows.",
            setup.name
        )),
        crate::project::Data::Photos { .. } if saved.images.is_none() => {
            Some(" It trains on the images in this browser.".to_owned())
        }
        _ => None,
    };
    let mut saved = saved;
    let brought = saved.images.as_ref().map_or_else(String::new, |images| {
        format!(" Its {} images are in this browser now.", images.len())
    });
    if let Some(images) = saved.images.take() {
        if let Err(error) = super::photos::write_album(&images).await {
            notice(editor, format!("{name} was not opened: {error}."), true);
            return;
        }
        // The worker trains on them once the image view has read them back.
        editor.photos.borrow_mut().ready = Err("Your images are still being opened.".into());
        super::photos::load_project(editor.album.clone());
    }
    let text = format!(
        "Opened {name}: {trained}.{}{brought}",
        waits.unwrap_or_default()
    );
    editor.restore(saved);
    notice(editor, text, false);
}

#[derive(Properties, PartialEq)]
pub struct ProjectBarProps {
    pub editor: Editor,
    pub session: UseReducerHandle<Session>,
}

/// Save project, Open project…, and what the last of them (or keeping) did.
#[function_component(ProjectBar)]
pub fn project_bar(props: &ProjectBarProps) -> Html {
    // What a save takes of the run and the runs before: as shown now.
    *props.editor.history.borrow_mut() = props.session.run_history();
    props
        .editor
        .runs
        .borrow_mut()
        .clone_from(&props.session.runs);
    let save = {
        let editor = props.editor.clone();
        Callback::from(move |_: MouseEvent| {
            editor
                .sessions
                .dispatch(SessionAction::Working("Saving the project…".to_owned()));
            editor.request_weights(true);
        })
    };
    let open = {
        let editor = props.editor.clone();
        Callback::from(move |event: Event| {
            let Some(input) = event.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let files = files_from_list(input.files().map(JsValue::from).unwrap_or_default());
            input.set_value("");
            if let Some(file) = files.iter().next() {
                let editor = editor.clone();
                wasm_bindgen_futures::spawn_local(async move { open_file(&editor, file).await });
            }
        })
    };
    let notice = props.session.notice.as_ref().map(|notice| {
        let class = if notice.problem {
            "project-notice problem"
        } else {
            "project-notice"
        };
        let role = if notice.problem { "alert" } else { "status" };
        html! { <div class={class} role={role} data-testid="project-notice">{ &notice.text }</div> }
    });
    let include = use_state(|| props.editor.include_images.get());
    let on_include = {
        let editor = props.editor.clone();
        let include = include.clone();
        Callback::from(move |event: Event| {
            let on = event.target_unchecked_into::<HtmlInputElement>().checked();
            editor.include_images.set(on);
            include.set(on);
        })
    };
    let photos = props.editor.mirror.borrow().data.is_photos();
    let kept = if props.editor.persisted.get() {
        "Kept in this browser (persistent storage granted)"
    } else {
        "Kept in this browser (it may clear it when space runs low)"
    };
    html! {
        <div class="project-bar">
            <button class="project-button" onclick={save} data-testid="save-project"
                title="Save the network, recipe and trained weights to a file">{ "Save project" }</button>
            if photos {
                <label class="project-include" title="Put your images in the file, to move them to another browser or hand them to someone">
                    <input type="checkbox" checked={*include} onchange={on_include} data-testid="include-images" />
                    { "Include my images" }
                </label>
            }
            <super::export::ExportButton editor={props.editor.clone()} />
            <label class="project-button" title="Open a project file saved by Agora (or drop one on the page)">
                { "Open project…" }
                <input type="file" accept=".agora,application/zip" class="hidden-input" onchange={open} data-testid="open-project" />
            </label>
            <span class="project-kept" data-testid="project-kept">{ kept }</span>
            { for props.session.working.as_ref().map(|what| html! {
                <div class="project-notice" role="status" data-testid="project-working">
                    <progress class="busy" aria-label={what.clone()}></progress>{ format!(" {what}") }
                </div>
            }) }
            { for notice }
        </div>
    }
}
