//! Keeping the project's classes and images in this browser's storage: loading, adding files
//! and webcam frames in batches, renaming, and the storage estimate.

use std::rc::Rc;

use agora_engine::photos::{check_file_size, sniff};
use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use yew::prelude::*;

use super::bridge::*;
use crate::photos::{Album, AlbumAction, StoredClass, THUMBS_PER_CLASS, Thumb};
use crate::protocol::Command;

pub fn load_project(project: UseReducerDispatcher<Album>) {
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
                project.dispatch(AlbumAction::Loaded {
                    classes,
                    counts,
                    thumbs,
                });
                if empty {
                    // Two empty classes to start with, as Teachable Machine does; stored once
                    // something is added to them or they are edited.
                    let first = Album::default().new_class();
                    let second = Album::default()
                        .apply(AlbumAction::AddClass(first.clone()))
                        .new_class();
                    project.dispatch(AlbumAction::AddClass(first));
                    project.dispatch(AlbumAction::AddClass(second));
                }
            }
            Err(error) => project.dispatch(AlbumAction::StorageFailed(js_message(&error))),
        }
        refresh_estimate(&project).await;
    });
}

pub(super) async fn refresh_estimate(project: &UseReducerDispatcher<Album>) {
    if let Ok(value) = store_estimate().await {
        project.dispatch(AlbumAction::Storage {
            usage: as_u64(&field(&value, "usage")),
            quota: as_u64(&field(&value, "quota")),
        });
    }
}

pub(super) fn classes_value(classes: &[StoredClass]) -> JsValue {
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
pub(super) fn edit_classes(project: &UseReducerHandle<Album>, action: AlbumAction) {
    let after = (**project).clone().apply(action.clone());
    project.dispatch(action);
    let classes: Vec<StoredClass> = after.classes.iter().map(|c| c.class.clone()).collect();
    let dispatcher = project.dispatcher();
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(error) = store_save_classes(classes_value(&classes)).await {
            dispatcher.dispatch(AlbumAction::Refused(format!(
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
/// Where images just added go to be seen by the pretrained network (the project uses it).
#[derive(Clone, PartialEq)]
pub struct Embedder {
    pub side: usize,
    pub link: crate::ui::editor::WorkerLink,
}

/// Stores a batch and returns the images' ids (none when it could not be saved).
pub(super) async fn store_images(
    project: &UseReducerDispatcher<Album>,
    class: u32,
    images: &mut Vec<Vec<u8>>,
) -> Result<Vec<u64>, usize> {
    if images.is_empty() {
        return Ok(Vec::new());
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
            let ids: Vec<u64> = (0..batch.len())
                .map(|index| as_u64(&ids.get(u32::try_from(index).unwrap_or(0))))
                .collect();
            let thumbs = batch
                .into_iter()
                .zip(&ids)
                .map(|(pixels, &id)| Thumb {
                    id,
                    pixels: Rc::from(pixels),
                })
                .collect();
            project.dispatch(AlbumAction::Added { class, thumbs });
            Ok(ids)
        }
        Err(error) if is_quota(&error) => Err(batch.len()),
        Err(error) => {
            project.dispatch(AlbumAction::Refused(format!(
                "{} image{} could not be saved ({}).",
                batch.len(),
                if batch.len() == 1 { "" } else { "s" },
                js_message(&error)
            )));
            Ok(Vec::new())
        }
    }
}

/// Checks, decodes and stores `files` in `class`, reporting each refusal by file name.
pub(super) async fn add_files(
    project: UseReducerDispatcher<Album>,
    classes: Vec<StoredClass>,
    class: u32,
    files: Vec<JsValue>,
    embedder: Option<Embedder>,
) {
    if files.is_empty() {
        return;
    }
    // Each stored batch's images at the pretrained network's input size, for the worker.
    let mut large: Vec<u8> = Vec::new();
    let send = |ids: Vec<u64>, large: &mut Vec<u8>| {
        if let Some(embedder) = &embedder {
            let side = embedder.side;
            if !ids.is_empty() && large.len() == ids.len() * side * side * 3 {
                embedder.link.send(&Command::Embed {
                    side,
                    ids,
                    pixels: std::mem::take(large),
                });
            }
        }
        large.clear();
    };
    // The class list is stored with the first images (the starting classes live in memory
    // until then).
    let _ = store_save_classes(classes_value(&classes)).await;
    project.dispatch(AlbumAction::Start {
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
            project.dispatch(AlbumAction::Refused(format!("{name}: {problem}")));
            continue;
        }
        let bytes = match media_bytes(file).await {
            Ok(bytes) => bytes_of(&bytes).unwrap_or_default(),
            Err(error) => {
                project.dispatch(AlbumAction::Refused(format!(
                    "{name}: the file could not be read ({}).",
                    js_message(&error)
                )));
                continue;
            }
        };
        let sniffed = match sniff(&bytes) {
            Ok(sniffed) => sniffed,
            Err(problem) => {
                project.dispatch(AlbumAction::Refused(format!("{name}: {problem}")));
                continue;
            }
        };
        drop(bytes);
        match media_decode(file, SIDE).await {
            Ok(pixels) => {
                if let Some(embedder) = &embedder {
                    // The decoded original again, at the pretrained network's input size.
                    match media_decode(file, u32::try_from(embedder.side).unwrap_or(160)).await {
                        Ok(big) => large.extend(bytes_of(&big).unwrap_or_default()),
                        Err(_) => continue,
                    }
                }
                if let Some(note) = &sniffed.note {
                    project.dispatch(AlbumAction::Noted(format!("{name}: {note}")));
                }
                pending.push(bytes_of(&pixels).unwrap_or_default());
            }
            Err(_) => {
                project.dispatch(AlbumAction::Refused(format!(
                    "{name}: the {} file is damaged: the browser could not decode it.",
                    sniffed.format.label()
                )));
                continue;
            }
        }
        if pending.len() >= STORE_BATCH {
            match store_images(&project, class, &mut pending).await {
                Ok(ids) => send(ids, &mut large),
                Err(unsaved) => {
                    // Storage is full: stop here, so nothing more is decoded for nothing.
                    project.dispatch(AlbumAction::StorageFull {
                        unsaved: unsaved + remaining,
                    });
                    project.dispatch(AlbumAction::Finish);
                    refresh_estimate(&project).await;
                    return;
                }
            }
        }
    }
    match store_images(&project, class, &mut pending).await {
        Ok(ids) => send(ids, &mut large),
        Err(unsaved) => project.dispatch(AlbumAction::StorageFull { unsaved }),
    }
    project.dispatch(AlbumAction::Finish);
    refresh_estimate(&project).await;
}

/// Stores webcam frames in `class`.
pub(super) async fn add_frames(
    project: UseReducerDispatcher<Album>,
    classes: Vec<StoredClass>,
    class: u32,
    frames: Vec<Vec<u8>>,
) {
    if frames.is_empty() {
        return;
    }
    let _ = store_save_classes(classes_value(&classes)).await;
    project.dispatch(AlbumAction::Start {
        class,
        total: frames.len(),
    });
    let mut pending = frames;
    if let Err(unsaved) = store_images(&project, class, &mut pending).await {
        project.dispatch(AlbumAction::StorageFull { unsaved });
    }
    project.dispatch(AlbumAction::Finish);
    refresh_estimate(&project).await;
}

pub(super) fn stored_classes(project: &Album) -> Vec<StoredClass> {
    project.classes.iter().map(|c| c.class.clone()).collect()
}
