//! Shared by the engine's integration tests: each test body runs once per backend.

use agora_engine::Device;

/// Burn's wgpu backend on the default adapter (lavapipe on machines without a GPU). A missing
/// adapter fails the test; nothing is skipped.
pub fn wgpu_device() -> Device {
    Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)
}

/// Runs each test body once on Flex (CPU) and once on wgpu.
macro_rules! on_each_backend {
    ($($name:ident => $body:ident;)*) => {
        mod flex {
            $(#[test] fn $name() { super::$body(agora_engine::Device::flex()); })*
        }
        mod wgpu {
            $(#[test] fn $name() { super::$body(super::common::wgpu_device()); })*
        }
    };
}
