//! What every part of the worker needs from it: where to post events, the clock, and the
//! devices (the CPU backend, and WebGPU's device when the browser gave one).

use agora_engine::Device;
use agora_engine::net::DeviceLimits;
use web_sys::DedicatedWorkerGlobalScope;

use agora_app::protocol::{BackendKind, Event};

use crate::scope::{now_ms, post};

/// What one tensor may use on the CPU backend (wasm32 memory is 4 GiB at most).
const CPU_LIMITS: DeviceLimits = DeviceLimits {
    max_binding_bytes: 1 << 30,
    max_buffer_bytes: 1 << 30,
};

/// What every job needs from the worker: where to post, and the WebGPU device if any.
pub struct Context {
    pub scope: DedicatedWorkerGlobalScope,
    pub webgpu: Option<(Device, DeviceLimits)>,
}

impl Context {
    pub fn emit(&self, event: &Event) {
        post(&self.scope, event);
    }

    pub fn now(&self) -> f64 {
        now_ms(&self.scope)
    }

    /// The device for a backend, and what one tensor may use on it.
    pub fn device(&self, kind: BackendKind) -> (Device, DeviceLimits) {
        match (kind, &self.webgpu) {
            (BackendKind::WebGpu, Some((device, limits))) => (device.clone(), *limits),
            _ => (Device::flex(), CPU_LIMITS),
        }
    }
}
