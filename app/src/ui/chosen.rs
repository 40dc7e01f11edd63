//! Files a person chose or dropped, as the page reads them (through `static/agora-media.js`):
//! their names, sizes and bytes. Nothing is uploaded: the bytes stay in this tab.

use js_sys::Array;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = filesFromDrop)]
    pub(super) async fn files_from_drop(transfer: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = agoraMedia, js_name = filesFromList)]
    pub(super) fn files_from_list(list: JsValue) -> Array;
    #[wasm_bindgen(js_namespace = agoraMedia, js_name = fileName)]
    pub(super) fn file_name(file: &JsValue) -> String;
    #[wasm_bindgen(js_namespace = agoraMedia, js_name = fileSize)]
    pub(super) fn file_size(file: &JsValue) -> f64;
    #[wasm_bindgen(catch, js_namespace = agoraMedia, js_name = bytes)]
    pub(super) async fn file_bytes(file: &JsValue) -> Result<JsValue, JsValue>;
}
