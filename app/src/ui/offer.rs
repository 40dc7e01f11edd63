//! Files the page makes and offers for download (a project, the runs' exports, a model card):
//! made in this tab, handed to the browser as a blob; nothing is sent anywhere.

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = agoraProjects, js_name = download)]
    fn download_as(bytes: Uint8Array, name: &str, kind: &str);
}

/// Offers `bytes` as a file named `name` of MIME type `kind`.
pub(super) fn offer_bytes(bytes: &[u8], name: &str, kind: &str) {
    download_as(Uint8Array::from(bytes), name, kind);
}

/// Offers `text` as a file.
pub(super) fn offer(text: &str, name: &str, kind: &str) {
    offer_bytes(text.as_bytes(), name, kind);
}
