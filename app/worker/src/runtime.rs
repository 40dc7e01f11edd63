//! The worker's runtime: runs in a dedicated Web Worker, starts WebGPU, and talks to the page
//! only through `agora_app::protocol` messages, which the one [`Runner`] handles.
//!
//! One async loop does everything, so no state is borrowed across an `await`: it drains the
//! inbox, lets the runner train one tick (about `job::TICK_TARGET_MS` of work and one read),
//! and yields to the event loop so new commands can arrive.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use agora_engine::Device;
use agora_engine::net::DeviceLimits;
use js_sys::{Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use agora_app::protocol::{Command, Event, decode};

use crate::context::Context;
use crate::runner::Runner;
use crate::scope::{post, yield_now};

#[derive(Default)]
struct Inbox {
    commands: VecDeque<Command>,
    /// Resolves the promise the idle loop waits on.
    wake: Option<js_sys::Function>,
}

/// Starts the worker: listens for commands and runs the training loop until the worker ends.
pub fn start() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let inbox = Rc::new(RefCell::new(Inbox::default()));
    let listener_inbox = Rc::clone(&inbox);
    let listener_scope = scope.clone();
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
        let bytes = js_sys::Uint8Array::new(&message.data()).to_vec();
        match decode::<Command>(&bytes) {
            Ok(command) => {
                let mut inbox = listener_inbox.borrow_mut();
                inbox.commands.push_back(command);
                if let Some(wake) = inbox.wake.take() {
                    let _ = wake.call0(&JsValue::NULL);
                }
            }
            Err(error) => post(
                &listener_scope,
                &Event::Failed {
                    message: format!(
                        "The page sent the worker a message it could not read ({error}). Reload the page."
                    ),
                },
            ),
        }
    });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The listener lives as long as the worker.
    onmessage.forget();
    wasm_bindgen_futures::spawn_local(run(scope, inbox));
}

/// Asks the browser for a WebGPU adapter and sets Burn's wgpu runtime up on it.
async fn init_webgpu(
    scope: &DedicatedWorkerGlobalScope,
) -> Result<(Device, String, DeviceLimits), String> {
    let navigator = scope.navigator();
    let gpu = Reflect::get(&navigator, &"gpu".into()).unwrap_or(JsValue::UNDEFINED);
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser does not offer WebGPU".into());
    }
    let (description, limits) = adapter_description(&gpu).await?;
    let device = Device::wgpu_options()
        .init_async()
        .await
        .map_err(|error| format!("WebGPU could not start: {error}"))?;
    Ok((device, description, limits))
}

/// "swiftshader (google), software" — read from the adapter the browser offers — and its
/// buffer limits.
async fn adapter_description(gpu: &JsValue) -> Result<(String, DeviceLimits), String> {
    let request = Reflect::get(gpu, &"requestAdapter".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("this browser's WebGPU has no requestAdapter")?;
    let promise: Promise = request
        .call0(gpu)
        .map_err(|_| "WebGPU refused to look for an adapter".to_owned())?
        .unchecked_into();
    let adapter = JsFuture::from(promise)
        .await
        .map_err(|_| "WebGPU refused to look for an adapter".to_owned())?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("WebGPU found no usable GPU adapter".into());
    }
    let info = Reflect::get(&adapter, &"info".into()).unwrap_or(JsValue::UNDEFINED);
    let field = |name: &str| {
        Reflect::get(&info, &name.into())
            .ok()
            .and_then(|value| value.as_string())
            .filter(|value| !value.is_empty())
    };
    let fallback = Reflect::get(&info, &"isFallbackAdapter".into())
        .ok()
        .and_then(|value| value.as_bool())
        .unwrap_or(false);
    let mut description = [field("architecture"), field("vendor"), field("description")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    if description.is_empty() {
        description = "GPU adapter".into();
    }
    if fallback {
        description.push_str(" (software fallback, slow)");
    }
    let limits = Reflect::get(&adapter, &"limits".into()).unwrap_or(JsValue::UNDEFINED);
    let limit = |name: &str, default: u64| {
        Reflect::get(&limits, &name.into())
            .ok()
            .and_then(|value| value.as_f64())
            .filter(|value| value.is_finite() && *value > 0.0)
            .map_or(default, |value| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let bytes = value as u64;
                bytes
            })
    };
    let defaults = DeviceLimits::default();
    let limits = DeviceLimits {
        max_binding_bytes: limit("maxStorageBufferBindingSize", defaults.max_binding_bytes),
        max_buffer_bytes: limit("maxBufferSize", defaults.max_buffer_bytes),
    };
    Ok((description, limits))
}

/// Starts WebGPU, says the worker is ready, and runs the one loop: drain the inbox, tick the
/// runner if it has training to do (then yield so new commands can arrive), else wait.
async fn run(scope: DedicatedWorkerGlobalScope, inbox: Rc<RefCell<Inbox>>) {
    let (webgpu, status) = match init_webgpu(&scope).await {
        Ok((device, description, limits)) => (Some((device, limits)), Ok(description)),
        Err(reason) => (None, Err(reason)),
    };
    post(&scope, &Event::Ready { webgpu: status });
    let mut runner = Runner::new(Context {
        scope: scope.clone(),
        webgpu,
    });
    loop {
        let commands: Vec<Command> = inbox.borrow_mut().commands.drain(..).collect();
        for command in commands {
            runner.handle(command).await;
        }
        if runner.busy() {
            runner.tick().await;
            yield_now(&scope).await;
        } else if inbox.borrow().commands.is_empty() {
            let waiting = Rc::clone(&inbox);
            let wake = Promise::new(&mut |resolve, _reject| {
                waiting.borrow_mut().wake = Some(resolve);
            });
            let _ = JsFuture::from(wake).await;
        }
    }
}
