//! The browser's side of the photos: IndexedDB (`agora-store.js`) and media (`agora-media.js`)
//! bindings, JS error and field helpers, and checked decoding of an image file.

use agora_engine::photos::sniff;
use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::HtmlVideoElement;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = load)]
    pub(super) async fn store_load(per_class: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = saveClasses)]
    pub(super) async fn store_save_classes(classes: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = addImages)]
    pub(super) async fn store_add_images(class: u32, images: Array) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = deleteClass)]
    pub(super) async fn store_delete_class(class: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = deleteAll)]
    pub(super) async fn store_delete_all() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = estimate)]
    pub(super) async fn store_estimate() -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = filesFromDrop)]
    pub(super) async fn media_files_from_drop(transfer: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = agoraMedia, js_name = filesFromList)]
    pub(super) fn media_files_from_list(list: JsValue) -> Array;
    #[wasm_bindgen(js_namespace = agoraMedia, js_name = fileName)]
    pub(super) fn media_file_name(file: &JsValue) -> String;
    #[wasm_bindgen(js_namespace = agoraMedia, js_name = fileSize)]
    pub(super) fn media_file_size(file: &JsValue) -> f64;
    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = bytes)]
    pub(super) async fn media_bytes(file: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = decode)]
    pub(super) async fn media_decode(file: &JsValue, side: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = startCamera)]
    pub(in crate::ui) async fn media_start_camera(
        video: &HtmlVideoElement,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = agoraMedia, js_name = stopCamera)]
    pub(in crate::ui) fn media_stop_camera(video: &HtmlVideoElement);
    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = grab)]
    pub(in crate::ui) fn media_grab(
        video: &HtmlVideoElement,
        side: u32,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = startBurst)]
    pub(super) fn media_start_burst(
        video: &HtmlVideoElement,
        side: u32,
        every_ms: u32,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = agoraMedia, js_name = stopBurst)]
    pub(super) fn media_stop_burst() -> Array;
}

/// Side of the stored images.
pub(super) const SIDE: u32 = 64;
/// Images stored per IndexedDB transaction while adding.
pub(super) const STORE_BATCH: usize = 32;
/// Milliseconds between webcam frames while recording.
pub(super) const BURST_EVERY_MS: u32 = 100;
/// Below this top probability a prediction is marked "not sure".
pub(super) const SURE: f32 = 0.6;

/// The message of a JS error (an `Error`'s `message`, or the value as text).
pub(super) fn js_message(error: &JsValue) -> String {
    Reflect::get(error, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

pub(super) fn is_quota(error: &JsValue) -> bool {
    Reflect::get(error, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .is_some_and(|name| name == "QuotaExceededError")
}

pub(super) fn field(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

pub(super) fn bytes_of(value: &JsValue) -> Option<Vec<u8>> {
    value.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec)
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(super) fn as_u32(value: &JsValue) -> u32 {
    value.as_f64().map_or(0, |v| v as u32)
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(super) fn as_u64(value: &JsValue) -> u64 {
    value.as_f64().map_or(0, |v| v as u64)
}

/// Checks and decodes an image file to 64×64 RGB, or says why it cannot be used.
pub(in crate::ui) async fn decode_checked(file: &JsValue) -> Result<Vec<u8>, String> {
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
