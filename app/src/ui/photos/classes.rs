//! The class buckets: adding by picker, drop, paste and webcam, renaming, recolouring,
//! deleting, and notices about files.

use agora_engine::photos::split_counts;
use js_sys::{Array, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlInputElement, HtmlVideoElement};
use yew::prelude::*;

use super::bridge::*;
use super::store::*;
use crate::photos::{Album, AlbumAction, Level, bmp_data_url};

#[derive(Properties, PartialEq)]
pub struct PhotoPanelProps {
    pub project: UseReducerHandle<Album>,
    pub doc: UseReducerHandle<crate::project::Project>,
    pub link: crate::ui::editor::WorkerLink,
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

    // With the pretrained network, what it sees in each new image is computed as it is added,
    // from the decoded file at the network's input size.
    let embedder = match props.doc.data {
        crate::project::Data::Photos {
            side,
            pretrained: true,
            ..
        } => Some(Embedder {
            side,
            link: props.link.clone(),
        }),
        _ => None,
    };
    // Paste adds to the selected class.
    {
        let project = project.clone();
        let embedder = embedder.clone();
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
                    embedder.clone(),
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
            edit_classes(&project, AlbumAction::AddClass(class));
        })
    };

    let cards = project.classes.iter().map(|class| {
        let id = class.class.id;
        let on_files = {
            let project = project.clone();
            let embedder = embedder.clone();
            Callback::from(move |event: Event| {
                let input = event.target_unchecked_into::<HtmlInputElement>();
                let files: Vec<JsValue> = media_files_from_list(input.files().map_or(JsValue::NULL, Into::into)).iter().collect();
                input.set_value("");
                wasm_bindgen_futures::spawn_local(add_files(project.dispatcher(), stored_classes(&project), id, files, embedder.clone()));
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
            let embedder = embedder.clone();
            let over = over.clone();
            let selected = selected.clone();
            Callback::from(move |event: DragEvent| {
                event.prevent_default();
                over.set(None);
                selected.set(Some(id));
                let Some(transfer) = event.data_transfer() else { return };
                let project = project.clone();
                let embedder = embedder.clone();
                // Read the entries now: the browser empties the drop after this handler.
                let pending = media_files_from_drop(transfer.into());
                wasm_bindgen_futures::spawn_local(async move {
                    match pending.await {
                        Ok(files) => {
                            let files: Vec<JsValue> = Array::from(&files).iter().collect();
                            add_files(project.dispatcher(), stored_classes(&project), id, files, embedder).await;
                        }
                        Err(error) => project.dispatch(AlbumAction::Refused(format!(
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
                edit_classes(&project, AlbumAction::Rename { id, name });
            })
        };
        let on_colour = {
            let project = project.clone();
            Callback::from(move |event: Event| {
                let color = event.target_unchecked_into::<HtmlInputElement>().value();
                edit_classes(&project, AlbumAction::Recolour { id, color });
            })
        };
        let on_delete = {
            let project = project.clone();
            Callback::from(move |_| {
                let after = (*project).clone().apply(AlbumAction::DeleteClass { id });
                project.dispatch(AlbumAction::DeleteClass { id });
                let classes = stored_classes(&after);
                let dispatcher = project.dispatcher();
                wasm_bindgen_futures::spawn_local(async move {
                    let deleted = store_delete_class(id).await;
                    let saved = store_save_classes(classes_value(&classes)).await;
                    if let Some(error) = deleted.err().or(saved.err()) {
                        dispatcher.dispatch(AlbumAction::Refused(format!(
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
        <p class="status" role="status" data-testid="photo-adding">
            <progress value={adding.done.to_string()} max={adding.total.max(1).to_string()} aria-label="Adding images" data-testid="photo-adding-progress"></progress>
            { format!(" Adding images… {} of {}", adding.done, adding.total) }
        </p>
    });
    let notices = (!project.notices.is_empty()).then(|| {
        let dismiss = {
            let project = project.clone();
            Callback::from(move |_| project.dispatch(AlbumAction::Dismiss))
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
