//! The person's images in and out of a project file: read from this browser's IndexedDB into
//! an [`ImageArchive`] (when "Include my images" is ticked), and an archive from an opened file
//! written in place of what the browser held (after the person agreed).

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;

use super::bridge::{
    as_u32, bytes_of, field, is_quota, js_message, store_add_images, store_delete_class,
    store_load, store_save_classes,
};
use agora_engine::image_file::{ArchivedClass, IMAGE_BYTES, ImageArchive};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = loadAll)]
    async fn store_load_all(class_ids: Vec<u32>) -> Result<JsValue, JsValue>;
}

/// Images written per IndexedDB transaction.
const WRITE_BATCH: usize = 256;

/// Every image this browser holds, with its classes in the page's order.
///
/// # Errors
/// Storage could not be read, in words.
pub async fn read_album() -> Result<ImageArchive, String> {
    let stored = store_load(0)
        .await
        .map_err(|error| format!("your images could not be read ({})", js_message(&error)))?;
    let classes: Vec<(u32, ArchivedClass)> = Array::from(&field(&stored, "classes"))
        .iter()
        .map(|class| {
            (
                as_u32(&field(&class, "id")),
                ArchivedClass {
                    name: field(&class, "name").as_string().unwrap_or_default(),
                    color: field(&class, "color").as_string().unwrap_or_default(),
                },
            )
        })
        .collect();
    let ids: Vec<u32> = classes.iter().map(|(id, _)| *id).collect();
    let loaded = store_load_all(ids.clone())
        .await
        .map_err(|error| format!("your images could not be read ({})", js_message(&error)))?;
    let pixels = bytes_of(&field(&loaded, "pixels")).unwrap_or_default();
    let labels = field(&loaded, "classes")
        .dyn_into::<js_sys::Uint32Array>()
        .map(|ids| ids.to_vec())
        .unwrap_or_default();
    let labels: Vec<u32> = labels
        .iter()
        .filter_map(|id| ids.iter().position(|known| known == id))
        .filter_map(|index| u32::try_from(index).ok())
        .collect();
    if labels.len() * IMAGE_BYTES != pixels.len() {
        return Err("your images could not be read whole".into());
    }
    Ok(ImageArchive {
        classes: classes.into_iter().map(|(_, class)| class).collect(),
        labels,
        pixels,
    })
}

/// Replaces the images this browser holds with `archive`'s: the new classes are written
/// beside the old ones first, and only once all of them are in are the old ones deleted, so a
/// full quota loses nothing (what was written of the new is taken out again).
///
/// # Errors
/// Storage could not be written (a full quota says so).
pub async fn write_album(archive: &ImageArchive) -> Result<(), String> {
    let failed = |error: &JsValue| {
        if is_quota(error) {
            "this browser's storage for Agora is full, so the file's images could not be kept (your images here are as they were); free space and open the file again".to_owned()
        } else {
            format!(
                "the file's images could not be kept ({})",
                js_message(error)
            )
        }
    };
    let stored = store_load(0).await.map_err(|error| failed(&error))?;
    let old: Vec<u32> = Array::from(&field(&stored, "classes"))
        .iter()
        .map(|class| as_u32(&field(&class, "id")))
        .collect();
    let first = old.iter().max().map_or(1, |id| id.saturating_add(1));
    let new: Vec<u32> = (0..archive.classes.len())
        .map(|index| first.saturating_add(u32::try_from(index).unwrap_or(u32::MAX)))
        .collect();
    for (class, &id) in new.iter().enumerate() {
        let images: Vec<&[u8]> = archive
            .labels
            .iter()
            .zip(archive.pixels.chunks_exact(IMAGE_BYTES))
            .filter(|(label, _)| **label as usize == class)
            .map(|(_, pixels)| pixels)
            .collect();
        for batch in images.chunks(WRITE_BATCH) {
            let array = Array::new();
            for pixels in batch {
                array.push(&Uint8Array::from(*pixels));
            }
            if let Err(error) = store_add_images(id, array).await {
                for &written in &new {
                    let _ = store_delete_class(written).await;
                }
                return Err(failed(&error));
            }
        }
    }
    let classes = Array::new();
    for (class, &id) in archive.classes.iter().zip(&new) {
        let entry = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&entry, &"id".into(), &id.into());
        let _ = js_sys::Reflect::set(&entry, &"name".into(), &class.name.as_str().into());
        let _ = js_sys::Reflect::set(&entry, &"color".into(), &class.color.as_str().into());
        classes.push(&entry);
    }
    store_save_classes(classes.into())
        .await
        .map_err(|error| failed(&error))?;
    for id in old {
        let _ = store_delete_class(id).await;
    }
    Ok(())
}
