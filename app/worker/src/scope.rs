//! The worker's side of the browser: posting events to the page, its clock, and yielding to
//! its event loop. A leaf, so both runners use it without importing each other.

use agora_app::protocol::{Event, encode};
use js_sys::Promise;
use wasm_bindgen_futures::JsFuture;
use web_sys::DedicatedWorkerGlobalScope;

pub fn post(scope: &DedicatedWorkerGlobalScope, event: &Event) {
    let bytes = encode(event);
    let array = js_sys::Uint8Array::from(bytes.as_slice());
    let transfer = js_sys::Array::of1(&array.buffer());
    if let Err(error) = scope.post_message_with_transfer(&array, &transfer) {
        web_sys::console::error_2(&"Agora worker: postMessage failed".into(), &error);
    }
}

pub fn now_ms(scope: &DedicatedWorkerGlobalScope) -> f64 {
    scope
        .performance()
        .map_or(0.0, |performance| performance.now())
}

/// Resolves after the event loop has had a turn (a zero-delay timeout).
pub async fn yield_now(scope: &DedicatedWorkerGlobalScope) {
    let promise = Promise::new(&mut |resolve, _reject| {
        let _ = scope.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
    });
    let _ = JsFuture::from(promise).await;
}
