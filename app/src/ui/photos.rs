//! "Your own images": class buckets filled by file picker, drop (files and folders), paste and
//! webcam; the privacy panel with storage used and "Delete all my data"; and "Try it", which
//! classifies a webcam frame or a dropped image with the model being trained.
//!
//! Files are checked by [`agora_engine::photos::sniff`], decoded by the browser
//! (`agora-media.js`), stored in IndexedDB (`agora-store.js`) and shown from the
//! [`Project`] store. Nothing leaves the device.

use std::rc::Rc;

use agora_engine::photos::{STORE_SIZE, check_file_size, sniff, split_counts};
use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlInputElement, HtmlVideoElement};
use yew::prelude::*;

use super::WorkerLink;
use crate::lab::{DataChoice, LabAction, LabDoc};
use crate::photos::{
    Level, Project, ProjectAction, StoredClass, THUMBS_PER_CLASS, Thumb, bmp_data_url, human_bytes,
};
use crate::protocol::{Command, LabCommand};
use crate::session::Session;

impl Reducible for Project {
    type Action = ProjectAction;

    fn reduce(self: Rc<Self>, action: ProjectAction) -> Rc<Self> {
        Rc::new((*self).clone().apply(action))
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = load)]
    async fn store_load(per_class: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = saveClasses)]
    async fn store_save_classes(classes: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = addImages)]
    async fn store_add_images(class: u32, images: Array) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = deleteClass)]
    async fn store_delete_class(class: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = deleteAll)]
    async fn store_delete_all() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = estimate)]
    async fn store_estimate() -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = filesFromDrop)]
    async fn media_files_from_drop(transfer: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = agoraMedia, js_name = filesFromList)]
    fn media_files_from_list(list: JsValue) -> Array;
    #[wasm_bindgen(js_namespace = agoraMedia, js_name = fileName)]
    fn media_file_name(file: &JsValue) -> String;
    #[wasm_bindgen(js_namespace = agoraMedia, js_name = fileSize)]
    fn media_file_size(file: &JsValue) -> f64;
    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = bytes)]
    async fn media_bytes(file: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = decode)]
    async fn media_decode(file: &JsValue, side: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = startCamera)]
    pub(super) async fn media_start_camera(video: &HtmlVideoElement) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = agoraMedia, js_name = stopCamera)]
    pub(super) fn media_stop_camera(video: &HtmlVideoElement);
    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = grab)]
    pub(super) fn media_grab(video: &HtmlVideoElement, side: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = startBurst)]
    fn media_start_burst(video: &HtmlVideoElement, side: u32, every_ms: u32)
    -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = agoraMedia, js_name = stopBurst)]
    fn media_stop_burst() -> Array;
}

/// Side of the stored images.
const SIDE: u32 = 64;
/// Images stored per IndexedDB transaction while adding.
const STORE_BATCH: usize = 32;
/// Milliseconds between webcam frames while recording.
const BURST_EVERY_MS: u32 = 100;
/// Below this top probability a prediction is marked "not sure".
const SURE: f32 = 0.6;

/// The message of a JS error (an `Error`'s `message`, or the value as text).
fn js_message(error: &JsValue) -> String {
    Reflect::get(error, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

fn is_quota(error: &JsValue) -> bool {
    Reflect::get(error, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .is_some_and(|name| name == "QuotaExceededError")
}

fn field(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

fn bytes_of(value: &JsValue) -> Option<Vec<u8>> {
    value.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec)
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn as_u32(value: &JsValue) -> u32 {
    value.as_f64().map_or(0, |v| v as u32)
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn as_u64(value: &JsValue) -> u64 {
    value.as_f64().map_or(0, |v| v as u64)
}

/// Checks and decodes an image file to 64×64 RGB, or says why it cannot be used.
pub(super) async fn decode_checked(file: &JsValue) -> Result<Vec<u8>, String> {
    let name = media_file_name(file);
    let bytes = media_bytes(file)
        .await
        .map_err(|error| format!("{name}: {}", js_message(&error)))?;
    let sniffed = sniff(&bytes_of(&bytes).unwrap_or_default())
        .map_err(|problem| format!("{name}: {problem}"))?;
    let pixels = media_decode(file, SIDE).await.map_err(|_| {
        format!(
            "{name}: the {} file is damaged: the browser could not decode it.",
            sniffed.format.label()
        )
    })?;
    Ok(bytes_of(&pixels).unwrap_or_default())
}

/// Reads the project from storage (on page load).
pub fn load_project(project: UseReducerDispatcher<Project>) {
    wasm_bindgen_futures::spawn_local(async move {
        match store_load(u32::try_from(THUMBS_PER_CLASS).unwrap_or(24)).await {
            Ok(value) => {
                let classes: Vec<StoredClass> = Array::from(&field(&value, "classes"))
                    .iter()
                    .map(|c| StoredClass {
                        id: as_u32(&field(&c, "id")),
                        name: field(&c, "name").as_string().unwrap_or_default(),
                        color: field(&c, "color")
                            .as_string()
                            .unwrap_or_else(|| "#888888".into()),
                    })
                    .collect();
                let counts = Array::from(&field(&value, "counts"))
                    .iter()
                    .map(|pair| {
                        let pair = Array::from(&pair);
                        (as_u32(&pair.get(0)), as_u64(&pair.get(1)) as usize)
                    })
                    .collect();
                let thumbs = Array::from(&field(&value, "thumbs"))
                    .iter()
                    .filter_map(|triple| {
                        let triple = Array::from(&triple);
                        let pixels = bytes_of(&triple.get(2))?;
                        Some((
                            as_u32(&triple.get(0)),
                            Thumb {
                                id: as_u64(&triple.get(1)),
                                pixels: Rc::from(pixels),
                            },
                        ))
                    })
                    .collect();
                let empty = classes.is_empty();
                project.dispatch(ProjectAction::Loaded {
                    classes,
                    counts,
                    thumbs,
                });
                if empty {
                    // Two empty classes to start with, as Teachable Machine does; stored once
                    // something is added to them or they are edited.
                    let first = Project::default().new_class();
                    let second = Project::default()
                        .apply(ProjectAction::AddClass(first.clone()))
                        .new_class();
                    project.dispatch(ProjectAction::AddClass(first));
                    project.dispatch(ProjectAction::AddClass(second));
                }
            }
            Err(error) => project.dispatch(ProjectAction::StorageFailed(js_message(&error))),
        }
        refresh_estimate(&project).await;
    });
}

async fn refresh_estimate(project: &UseReducerDispatcher<Project>) {
    if let Ok(value) = store_estimate().await {
        project.dispatch(ProjectAction::Storage {
            usage: as_u64(&field(&value, "usage")),
            quota: as_u64(&field(&value, "quota")),
        });
    }
}

fn classes_value(classes: &[StoredClass]) -> JsValue {
    let array = Array::new();
    for class in classes {
        let object = js_sys::Object::new();
        let _ = Reflect::set(&object, &"id".into(), &class.id.into());
        let _ = Reflect::set(&object, &"name".into(), &class.name.as_str().into());
        let _ = Reflect::set(&object, &"color".into(), &class.color.as_str().into());
        array.push(&object);
    }
    array.into()
}

/// Applies a class edit and stores the resulting class list.
fn edit_classes(project: &UseReducerHandle<Project>, action: ProjectAction) {
    let after = (**project).clone().apply(action.clone());
    project.dispatch(action);
    let classes: Vec<StoredClass> = after.classes.iter().map(|c| c.class.clone()).collect();
    let dispatcher = project.dispatcher();
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(error) = store_save_classes(classes_value(&classes)).await {
            dispatcher.dispatch(ProjectAction::Refused(format!(
                "Your class names could not be saved ({}).",
                js_message(&error)
            )));
        }
    });
}

/// Stores `images` (64×64 RGB) in `class`, all or none.
///
/// # Errors
/// Storage is full: how many images were not stored (the caller reports it once, with the
/// files it will no longer try).
async fn store_images(
    project: &UseReducerDispatcher<Project>,
    class: u32,
    images: &mut Vec<Vec<u8>>,
) -> Result<(), usize> {
    if images.is_empty() {
        return Ok(());
    }
    let array = Array::new();
    for image in images.iter() {
        array.push(&Uint8Array::from(image.as_slice()));
    }
    let result = store_add_images(class, array).await;
    let batch = std::mem::take(images);
    match result {
        Ok(ids) => {
            let ids = Array::from(&ids);
            let thumbs = batch
                .into_iter()
                .enumerate()
                .map(|(index, pixels)| Thumb {
                    id: as_u64(&ids.get(u32::try_from(index).unwrap_or(0))),
                    pixels: Rc::from(pixels),
                })
                .collect();
            project.dispatch(ProjectAction::Added { class, thumbs });
            Ok(())
        }
        Err(error) if is_quota(&error) => Err(batch.len()),
        Err(error) => {
            project.dispatch(ProjectAction::Refused(format!(
                "{} image{} could not be saved ({}).",
                batch.len(),
                if batch.len() == 1 { "" } else { "s" },
                js_message(&error)
            )));
            Ok(())
        }
    }
}

/// Checks, decodes and stores `files` in `class`, reporting each refusal by file name.
async fn add_files(
    project: UseReducerDispatcher<Project>,
    classes: Vec<StoredClass>,
    class: u32,
    files: Vec<JsValue>,
) {
    if files.is_empty() {
        return;
    }
    // The class list is stored with the first images (the starting classes live in memory
    // until then).
    let _ = store_save_classes(classes_value(&classes)).await;
    project.dispatch(ProjectAction::Start {
        class,
        total: files.len(),
    });
    let mut pending: Vec<Vec<u8>> = Vec::new();
    let mut remaining = files.len();
    for file in &files {
        remaining -= 1;
        let name = media_file_name(file);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let size = media_file_size(file) as u64;
        if let Err(problem) = check_file_size(size) {
            project.dispatch(ProjectAction::Refused(format!("{name}: {problem}")));
            continue;
        }
        let bytes = match media_bytes(file).await {
            Ok(bytes) => bytes_of(&bytes).unwrap_or_default(),
            Err(error) => {
                project.dispatch(ProjectAction::Refused(format!(
                    "{name}: the file could not be read ({}).",
                    js_message(&error)
                )));
                continue;
            }
        };
        let sniffed = match sniff(&bytes) {
            Ok(sniffed) => sniffed,
            Err(problem) => {
                project.dispatch(ProjectAction::Refused(format!("{name}: {problem}")));
                continue;
            }
        };
        drop(bytes);
        match media_decode(file, SIDE).await {
            Ok(pixels) => {
                if let Some(note) = &sniffed.note {
                    project.dispatch(ProjectAction::Noted(format!("{name}: {note}")));
                }
                pending.push(bytes_of(&pixels).unwrap_or_default());
            }
            Err(_) => {
                project.dispatch(ProjectAction::Refused(format!(
                    "{name}: the {} file is damaged: the browser could not decode it.",
                    sniffed.format.label()
                )));
                continue;
            }
        }
        if pending.len() >= STORE_BATCH
            && let Err(unsaved) = store_images(&project, class, &mut pending).await
        {
            // Storage is full: stop here, so nothing more is decoded for nothing.
            project.dispatch(ProjectAction::StorageFull {
                unsaved: unsaved + remaining,
            });
            project.dispatch(ProjectAction::Finish);
            refresh_estimate(&project).await;
            return;
        }
    }
    if let Err(unsaved) = store_images(&project, class, &mut pending).await {
        project.dispatch(ProjectAction::StorageFull { unsaved });
    }
    project.dispatch(ProjectAction::Finish);
    refresh_estimate(&project).await;
}

/// Stores webcam frames in `class`.
async fn add_frames(
    project: UseReducerDispatcher<Project>,
    classes: Vec<StoredClass>,
    class: u32,
    frames: Vec<Vec<u8>>,
) {
    if frames.is_empty() {
        return;
    }
    let _ = store_save_classes(classes_value(&classes)).await;
    project.dispatch(ProjectAction::Start {
        class,
        total: frames.len(),
    });
    let mut pending = frames;
    if let Err(unsaved) = store_images(&project, class, &mut pending).await {
        project.dispatch(ProjectAction::StorageFull { unsaved });
    }
    project.dispatch(ProjectAction::Finish);
    refresh_estimate(&project).await;
}

fn stored_classes(project: &Project) -> Vec<StoredClass> {
    project.classes.iter().map(|c| c.class.clone()).collect()
}

#[derive(Properties, PartialEq)]
pub struct DataPickerProps {
    pub doc: UseReducerHandle<LabDoc>,
    pub editor: super::lab_editor::LabEditor,
}

/// Digits or your own images, and the input size and augmentation for images.
#[function_component(DataPicker)]
pub fn data_picker(props: &DataPickerProps) -> Html {
    let doc = &*props.doc;
    let choose = |data: DataChoice| {
        let editor = props.editor.clone();
        Callback::from(move |_| editor.edit(LabAction::Data(data)))
    };
    let photos = doc.data.is_photos();
    let size = {
        let editor = props.editor.clone();
        Callback::from(move |event: Event| {
            let value = event
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            let (side, colour) = value.split_once('-').unwrap_or(("32", "rgb"));
            if let Ok(side) = side.parse() {
                editor.edit(LabAction::Data(DataChoice::Photos {
                    side,
                    colour: colour == "rgb",
                }));
            }
        })
    };
    let current = match doc.data {
        DataChoice::Photos { side, colour } => {
            format!("{side}-{}", if colour { "rgb" } else { "grey" })
        }
        DataChoice::Digits => String::new(),
    };
    let toggle = |pick: fn(&mut agora_engine::photos::Augment) -> &mut bool| {
        let editor = props.editor.clone();
        Callback::from(move |event: Event| {
            let on = event.target_unchecked_into::<HtmlInputElement>().checked();
            let mut augment = editor.mirror.borrow().augment;
            *pick(&mut augment) = on;
            editor.edit(LabAction::Augment(augment));
        })
    };
    html! {
        <section class="panel data-picker" aria-label="Data">
            <span class="picker-label">{ "Train on" }</span>
            <div class="segmented" role="group">
                <button class={classes!((!photos).then_some("active"))} aria-pressed={(!photos).to_string()}
                    onclick={choose(DataChoice::Digits)} data-testid="data-digits">{ "Handwritten digits" }</button>
                <button class={classes!(photos.then_some("active"))} aria-pressed={photos.to_string()}
                    onclick={choose(if photos { doc.data } else { DataChoice::PHOTOS })} data-testid="data-photos">{ "Your own images" }</button>
            </div>
            { for photos.then(|| html! { <>
                <label class="control inline">{ "Input" }
                    <select onchange={size} data-testid="photo-size">
                        { for DataChoice::PHOTO_SIDES.iter().flat_map(|side| [(*side, true), (*side, false)]).map(|(side, colour)| {
                            let key = format!("{side}-{}", if colour { "rgb" } else { "grey" });
                            html! { <option value={key.clone()} selected={key == current}>{ format!("{side}×{side} {}", if colour { "colour" } else { "grey" }) }</option> }
                        }) }
                    </select>
                </label>
                <span class="picker-label">{ "Augment:" }</span>
                <label class="check"><input type="checkbox" checked={doc.augment.flip} onchange={toggle(|a| &mut a.flip)} data-testid="augment-flip" />{ "flip" }</label>
                <label class="check"><input type="checkbox" checked={doc.augment.crop} onchange={toggle(|a| &mut a.crop)} data-testid="augment-crop" />{ "random crop" }</label>
                <label class="check"><input type="checkbox" checked={doc.augment.brightness} onchange={toggle(|a| &mut a.brightness)} data-testid="augment-brightness" />{ "brightness" }</label>
            </> }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct PhotoPanelProps {
    pub project: UseReducerHandle<Project>,
    pub doc: UseReducerHandle<LabDoc>,
    pub camera: NodeRef,
}

/// The class buckets, the webcam, the split per class, and notices about files.
#[function_component(PhotoPanel)]
pub fn photo_panel(props: &PhotoPanelProps) -> Html {
    let project = props.project.clone();
    let camera_on = use_state(|| false);
    let camera_error = use_state(|| None::<String>);
    let selected = use_state(|| None::<u32>);
    let over = use_state(|| None::<u32>);
    let train_percent = props.doc.train_percent;

    let target = (*selected)
        .filter(|id| project.class(*id).is_some())
        .or_else(|| project.classes.first().map(|c| c.class.id));

    // Paste adds to the selected class.
    {
        let project = project.clone();
        use_effect_with((target, project.revision), move |(target, _)| {
            let target = *target;
            let listener = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
                let Some(class) = target else { return };
                let Ok(clipboard) = Reflect::get(&event, &"clipboardData".into()) else {
                    return;
                };
                let files: Vec<JsValue> = media_files_from_list(field(&clipboard, "files"))
                    .iter()
                    .collect();
                if files.is_empty() {
                    return;
                }
                event.prevent_default();
                wasm_bindgen_futures::spawn_local(add_files(
                    project.dispatcher(),
                    stored_classes(&project),
                    class,
                    files,
                ));
            });
            let window = web_sys::window();
            if let Some(window) = &window {
                let _ = window
                    .add_event_listener_with_callback("paste", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(window) = window {
                    let _ = window.remove_event_listener_with_callback(
                        "paste",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }

    let toggle_camera = {
        let video = props.camera.clone();
        let camera_on = camera_on.clone();
        let camera_error = camera_error.clone();
        Callback::from(move |_| {
            let Some(video) = video.cast::<HtmlVideoElement>() else {
                return;
            };
            if *camera_on {
                media_stop_camera(&video);
                camera_on.set(false);
                return;
            }
            let camera_on = camera_on.clone();
            let camera_error = camera_error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match media_start_camera(&video).await {
                    Ok(_) => {
                        camera_error.set(None);
                        camera_on.set(true);
                    }
                    Err(error) => camera_error.set(Some(format!(
                        "The webcam could not start: {}.",
                        js_message(&error)
                    ))),
                }
            });
        })
    };

    let add_class = {
        let project = project.clone();
        Callback::from(move |_| {
            let class = project.new_class();
            edit_classes(&project, ProjectAction::AddClass(class));
        })
    };

    let cards = project.classes.iter().map(|class| {
        let id = class.class.id;
        let on_files = {
            let project = project.clone();
            Callback::from(move |event: Event| {
                let input = event.target_unchecked_into::<HtmlInputElement>();
                let files: Vec<JsValue> = media_files_from_list(input.files().map_or(JsValue::NULL, Into::into)).iter().collect();
                input.set_value("");
                wasm_bindgen_futures::spawn_local(add_files(project.dispatcher(), stored_classes(&project), id, files));
            })
        };
        let ondragover = {
            let over = over.clone();
            Callback::from(move |event: DragEvent| {
                event.prevent_default();
                if *over != Some(id) {
                    over.set(Some(id));
                }
            })
        };
        let ondragleave = {
            let over = over.clone();
            Callback::from(move |_event: DragEvent| over.set(None))
        };
        let ondrop = {
            let project = project.clone();
            let over = over.clone();
            let selected = selected.clone();
            Callback::from(move |event: DragEvent| {
                event.prevent_default();
                over.set(None);
                selected.set(Some(id));
                let Some(transfer) = event.data_transfer() else { return };
                let project = project.clone();
                // Read the entries now: the browser empties the drop after this handler.
                let pending = media_files_from_drop(transfer.into());
                wasm_bindgen_futures::spawn_local(async move {
                    match pending.await {
                        Ok(files) => {
                            let files: Vec<JsValue> = Array::from(&files).iter().collect();
                            add_files(project.dispatcher(), stored_classes(&project), id, files).await;
                        }
                        Err(error) => project.dispatch(ProjectAction::Refused(format!(
                            "The dropped files could not be read ({}).",
                            js_message(&error)
                        ))),
                    }
                });
            })
        };
        let on_rename = {
            let project = project.clone();
            Callback::from(move |event: Event| {
                let name = event.target_unchecked_into::<HtmlInputElement>().value();
                edit_classes(&project, ProjectAction::Rename { id, name });
            })
        };
        let on_colour = {
            let project = project.clone();
            Callback::from(move |event: Event| {
                let color = event.target_unchecked_into::<HtmlInputElement>().value();
                edit_classes(&project, ProjectAction::Recolour { id, color });
            })
        };
        let on_delete = {
            let project = project.clone();
            Callback::from(move |_| {
                let after = (*project).clone().apply(ProjectAction::DeleteClass { id });
                project.dispatch(ProjectAction::DeleteClass { id });
                let classes = stored_classes(&after);
                let dispatcher = project.dispatcher();
                wasm_bindgen_futures::spawn_local(async move {
                    let deleted = store_delete_class(id).await;
                    let saved = store_save_classes(classes_value(&classes)).await;
                    if let Some(error) = deleted.err().or(saved.err()) {
                        dispatcher.dispatch(ProjectAction::Refused(format!(
                            "The class could not be removed from storage ({}); it may come back after a reload.",
                            js_message(&error)
                        )));
                    }
                    refresh_estimate(&dispatcher).await;
                });
            })
        };
        let on_select = {
            let selected = selected.clone();
            Callback::from(move |_| selected.set(Some(id)))
        };
        let record_start = {
            let video = props.camera.clone();
            let camera_error = camera_error.clone();
            Callback::from(move |event: PointerEvent| {
                event.prevent_default();
                if let Some(video) = video.cast::<HtmlVideoElement>()
                    && let Err(error) = media_start_burst(&video, SIDE, BURST_EVERY_MS)
                {
                    camera_error.set(Some(format!("No frame could be taken: {}.", js_message(&error))));
                }
            })
        };
        let record_stop = {
            let project = project.clone();
            Callback::from(move |_event: PointerEvent| {
                let frames: Vec<Vec<u8>> = media_stop_burst().iter().filter_map(|f| bytes_of(&f)).collect();
                if !frames.is_empty() {
                    wasm_bindgen_futures::spawn_local(add_frames(project.dispatcher(), stored_classes(&project), id, frames));
                }
            })
        };
        let thumbs = class.thumbs.iter().map(|thumb| {
            let src = bmp_data_url(&thumb.pixels, 64, 64);
            html! { <img class="thumb" {src} alt="" width="32" height="32" /> }
        });
        let more = class.count.saturating_sub(class.thumbs.len());
        let (train, val) = split_counts(class.count, train_percent);
        let card_class = classes!(
            "class-card",
            (target == Some(id)).then_some("selected"),
            (*over == Some(id)).then_some("drop-over")
        );
        let style = format!("border-left-color: {}", class.class.color);
        let files_id = format!("class-files-{id}");
        let folder_id = format!("class-folder-{id}");
        html! {
            <li class={card_class} {style} {ondragover} {ondragleave} {ondrop} onclick={on_select}
                data-testid={format!("class-{id}")} data-count={class.count.to_string()}>
                <div class="class-head">
                    <input type="color" value={class.class.color.clone()} onchange={on_colour} title="Colour" aria-label="Class colour" />
                    <input class="class-name" type="text" value={class.class.name.clone()} onchange={on_rename} aria-label="Class name" maxlength="40" data-testid={format!("class-name-{id}")} />
                    <span class="class-count" data-testid={format!("class-count-{id}")}>{ format!("{} image{}", class.count, if class.count == 1 { "" } else { "s" }) }</span>
                    <button class="icon" onclick={on_delete} title="Delete this class and its images" aria-label="Delete class" data-testid={format!("class-delete-{id}")}>{ "✕" }</button>
                </div>
                <div class="class-actions">
                    <label class="button" for={files_id.clone()}>{ "Add images…" }</label>
                    <input id={files_id.clone()} class="visually-hidden" type="file" multiple=true accept="image/*,.heic,.heif" onchange={on_files.clone()} data-testid={files_id} />
                    <label class="button" for={folder_id.clone()}>{ "Add a folder…" }</label>
                    <input id={folder_id.clone()} class="visually-hidden" type="file" webkitdirectory=true onchange={on_files} data-testid={folder_id} />
                    <button disabled={!*camera_on} onpointerdown={record_start} onpointerup={record_stop.clone()} onpointerleave={record_stop.clone()} onpointercancel={record_stop}
                        title="Click for one frame; hold to record ten frames a second" data-testid={format!("class-record-{id}")}>{ "Hold to record" }</button>
                </div>
                <div class="thumbs" aria-label="Newest images">
                    { for thumbs }
                    { for (more > 0).then(|| html! { <span class="more">{ format!("+{more}") }</span> }) }
                    { for (class.count == 0).then(|| html! { <span class="hint">{ "Drop images or a folder here, paste, or use the webcam." }</span> }) }
                </div>
                <div class="class-split muted">{ format!("{train} for training · {val} for validation") }</div>
            </li>
        }
    });

    let adding = project.adding.map(|adding| html! {
        <p class="status" role="status" data-testid="photo-adding">{ format!("Adding images… {} of {}", adding.done, adding.total) }</p>
    });
    let notices = (!project.notices.is_empty()).then(|| {
        let dismiss = {
            let project = project.clone();
            Callback::from(move |_| project.dispatch(ProjectAction::Dismiss))
        };
        html! {
            <div class="notices" data-testid="photo-notices">
                <ul>
                    { for project.notices.iter().map(|notice| {
                        let class = match notice.level {
                            Level::Refused => "refused",
                            Level::Note => "note",
                            Level::Info => "info",
                        };
                        html! { <li class={class} data-level={class}>{ notice.text.clone() }</li> }
                    }) }
                </ul>
                <button onclick={dismiss} data-testid="photo-dismiss">{ "Dismiss" }</button>
            </div>
        }
    });
    let warnings = project.warnings(train_percent);
    let warnings = (!warnings.is_empty()).then(|| {
        html! {
            <ul class="warnings" data-testid="photo-warnings">
                { for warnings.iter().map(|w| html! { <li>{ w.clone() }</li> }) }
            </ul>
        }
    });

    let loading = (!project.loaded)
        .then(|| html! { <p class="status">{ "Opening your stored images…" }</p> });
    // Optional parts sit inside fixed wrappers: the webcam's <video> must never be re-created
    // by a re-render (it would lose its stream).
    html! {
        <section class="panel photos" aria-label="Your images">
            <h2>{ "Your images" }</h2>
            <div class="camera">
                <video ref={props.camera.clone()} class={classes!("camera-view", (!*camera_on).then_some("off"))} muted=true playsinline=true data-testid="camera-view" />
                <button onclick={toggle_camera} data-testid="camera-toggle">{ if *camera_on { "Stop webcam" } else { "Start webcam" } }</button>
                <div class="camera-problem">
                    { for (*camera_error).clone().map(|e| html! { <p class="banner error" role="alert" data-testid="camera-error">{ e }</p> }) }
                </div>
            </div>
            <ul class="class-list" data-testid="class-list">{ for cards }</ul>
            <button onclick={add_class} disabled={project.classes.len() >= crate::photos::MAX_CLASSES} data-testid="class-add">{ "+ Add a class" }</button>
            <div class="photo-status">
                { for loading }
                { for adding }
                { for notices }
                { for warnings }
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct PrivacyPanelProps {
    pub project: UseReducerHandle<Project>,
}

/// Where the data lives, how much there is, and how to delete it.
#[function_component(PrivacyPanel)]
pub fn privacy_panel(props: &PrivacyPanelProps) -> Html {
    let confirming = use_state(|| false);
    let project = props.project.clone();
    let ask = {
        let confirming = confirming.clone();
        Callback::from(move |_| confirming.set(true))
    };
    let cancel = {
        let confirming = confirming.clone();
        Callback::from(move |_| confirming.set(false))
    };
    let delete = {
        let confirming = confirming.clone();
        let project = project.clone();
        Callback::from(move |_| {
            confirming.set(false);
            let dispatcher = project.dispatcher();
            wasm_bindgen_futures::spawn_local(async move {
                match store_delete_all().await {
                    Ok(_) => dispatcher.dispatch(ProjectAction::Cleared),
                    Err(error) => dispatcher.dispatch(ProjectAction::Refused(format!(
                        "Your data could not be deleted ({}). Close other Agora tabs and try again.",
                        js_message(&error)
                    ))),
                }
                refresh_estimate(&dispatcher).await;
            });
        })
    };
    let usage = project.storage.map_or_else(
        || "Storage use is not known yet.".to_owned(),
        |(usage, quota)| {
            format!(
                "This site uses {} of the {} this browser allows it.",
                human_bytes(usage),
                human_bytes(quota)
            )
        },
    );
    let total = project.total_images();
    html! {
        <section class="panel privacy" aria-label="Privacy" data-testid="privacy">
            <h2>{ "Your data stays here" }</h2>
            <p>{ "Your images are decoded, resized and stored by this browser, on this device (in its IndexedDB storage for this site). Training runs here too. Nothing is uploaded: the page's security policy does not even allow it to contact any other site, and it sends nothing to its own." }</p>
            <p data-testid="storage-usage">{ format!("{total} image{} stored. {usage}", if total == 1 { "" } else { "s" }) }</p>
            { if *confirming { html! {
                <div class="confirm" role="alertdialog" aria-label="Confirm deletion">
                    <span>{ format!("Delete all {total} images and every class from this device? This cannot be undone.") }</span>
                    <button class="danger" onclick={delete} data-testid="delete-all-confirm">{ "Yes, delete everything" }</button>
                    <button onclick={cancel}>{ "Cancel" }</button>
                </div>
            } } else { html! {
                <button class="danger" onclick={ask} data-testid="delete-all">{ "Delete all my data" }</button>
            } } }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct TryItProps {
    pub project: UseReducerHandle<Project>,
    pub session: UseReducerHandle<Session>,
    pub link: WorkerLink,
    pub camera: NodeRef,
}

/// Classifies a dropped image or the webcam, live, with the model being trained.
#[function_component(TryIt)]
pub fn try_it(props: &TryItProps) -> Html {
    let sample = use_state(|| None::<Rc<[u8]>>);
    let live = use_state(|| false);
    let problem = use_state(|| None::<String>);
    let prediction = props.session.lab.prediction.clone();

    // Live: a frame every 400 ms while on (the worker answers between training steps).
    {
        let live_on = *live;
        let video = props.camera.clone();
        let link = props.link.clone();
        let sample = sample.clone();
        let live = live.clone();
        use_effect_with(live_on, move |on| {
            let mut handle = None;
            let closure = Closure::<dyn Fn()>::new(move || {
                let Some(video) = video.cast::<HtmlVideoElement>() else {
                    return;
                };
                match media_grab(&video, SIDE) {
                    Ok(pixels) => {
                        if let Some(pixels) = bytes_of(&pixels) {
                            link.send(&Command::Lab(LabCommand::Predict {
                                pixels: pixels.clone(),
                            }));
                            sample.set(Some(Rc::from(pixels)));
                        }
                    }
                    Err(_) => live.set(false),
                }
            });
            if *on && let Some(window) = web_sys::window() {
                handle = window
                    .set_interval_with_callback_and_timeout_and_arguments_0(
                        closure.as_ref().unchecked_ref(),
                        400,
                    )
                    .ok();
            }
            move || {
                if let (Some(handle), Some(window)) = (handle, web_sys::window()) {
                    window.clear_interval_with_handle(handle);
                }
                drop(closure);
            }
        });
    }

    let classify_file = {
        let link = props.link.clone();
        let sample = sample.clone();
        let problem = problem.clone();
        let live = live.clone();
        Rc::new(move |file: JsValue| {
            let link = link.clone();
            let sample = sample.clone();
            let problem = problem.clone();
            live.set(false);
            wasm_bindgen_futures::spawn_local(async move {
                match decode_checked(&file).await {
                    Ok(pixels) => {
                        problem.set(None);
                        link.send(&Command::Lab(LabCommand::Predict {
                            pixels: pixels.clone(),
                        }));
                        sample.set(Some(Rc::from(pixels)));
                    }
                    Err(message) => problem.set(Some(message)),
                }
            });
        })
    };
    let on_file = {
        let classify = Rc::clone(&classify_file);
        Callback::from(move |event: Event| {
            let input = event.target_unchecked_into::<HtmlInputElement>();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                classify(file.into());
            }
            input.set_value("");
        })
    };
    let ondrop = {
        let classify = Rc::clone(&classify_file);
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            if let Some(file) = event
                .data_transfer()
                .and_then(|t| t.files())
                .and_then(|f| f.get(0))
            {
                classify(file.into());
            }
        })
    };
    let ondragover = Callback::from(|event: DragEvent| event.prevent_default());
    let toggle_live = {
        let live = live.clone();
        let video = props.camera.clone();
        let problem = problem.clone();
        Callback::from(move |_| {
            let running = video
                .cast::<HtmlVideoElement>()
                .is_some_and(|v| v.video_width() > 0);
            if !*live && !running {
                problem.set(Some("Start the webcam first (above the classes).".into()));
                return;
            }
            problem.set(None);
            live.set(!*live);
        })
    };

    let names: Vec<(String, String)> = props
        .project
        .classes
        .iter()
        .map(|c| (c.class.name.clone(), c.class.color.clone()))
        .collect();
    let result = match (&prediction, sample.is_some()) {
        (Some(Ok(probabilities)), true) => {
            let best = probabilities
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(index, p)| (index, *p));
            let verdict = best.map(|(index, p)| {
                let name = names.get(index).map_or_else(|| format!("class {index}"), |n| n.0.clone());
                let percent = p * 100.0;
                if p >= SURE {
                    html! { <p class="verdict" data-testid="try-verdict" data-class={name.clone()}>{ format!("{name} ({percent:.0} %)") }</p> }
                } else {
                    html! { <p class="verdict unsure" data-testid="try-verdict" data-class={name.clone()}>{ format!("Not sure — maybe {name} ({percent:.0} %)") }</p> }
                }
            });
            html! { <>
                { for verdict }
                <ul class="probabilities" data-testid="try-probabilities">
                    { for probabilities.iter().enumerate().map(|(index, p)| {
                        let (name, color) = names.get(index).cloned().unwrap_or_else(|| (format!("class {index}"), "#888888".into()));
                        let style = format!("width: {:.1}%; background: {color}", p * 100.0);
                        html! {
                            <li>
                                <span class="name">{ name }</span>
                                <span class="bar"><span class="fill" {style} /></span>
                                <span class="value">{ format!("{:.0} %", p * 100.0) }</span>
                            </li>
                        }
                    }) }
                </ul>
            </> }
        }
        (Some(Err(message)), true) => {
            html! { <p class="hint" data-testid="try-message">{ message.clone() }</p> }
        }
        _ => {
            html! { <p class="hint">{ "Drop an image here or use the webcam to see what the model thinks." }</p> }
        }
    };
    let preview = (*sample).clone().map(|pixels| {
        html! { <img class="try-sample" src={bmp_data_url(&pixels, STORE_SIZE.width, STORE_SIZE.height)} alt="The image being classified" width="96" height="96" /> }
    });
    html! {
        <section class="panel try-it" aria-label="Try the model" {ondrop} {ondragover} data-testid="try-it">
            <h2>{ "Try it" }</h2>
            <div class="buttons">
                <label class="button" for="try-file">{ "Choose an image…" }</label>
                <input id="try-file" class="visually-hidden" type="file" accept="image/*" onchange={on_file} data-testid="try-file" />
                <button onclick={toggle_live} aria-pressed={live.to_string()} data-testid="try-live">{ if *live { "Stop live webcam" } else { "Live webcam" } }</button>
            </div>
            { for (*problem).clone().map(|p| html! { <p class="banner error" role="alert" data-testid="try-problem">{ p }</p> }) }
            <div class="try-result">
                { for preview }
                <div>{ result }</div>
            </div>
        </section>
    }
}
