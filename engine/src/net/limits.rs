//! What a device can hold: a network whose tensors would not fit is refused before training,
//! saying what to shrink.

use serde::{Deserialize, Serialize};

use super::infer::{GraphError, GraphReport};
use super::layer::Layer;
use super::network::Network;
use super::shape::Shape;

/// What the device can hold in one buffer (WebGPU's `maxStorageBufferBindingSize` and
/// `maxBufferSize`; 128 MiB and 256 MiB by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceLimits {
    pub max_binding_bytes: u64,
    pub max_buffer_bytes: u64,
}

impl Default for DeviceLimits {
    fn default() -> Self {
        DeviceLimits {
            max_binding_bytes: 128 << 20,
            max_buffer_bytes: 256 << 20,
        }
    }
}

/// Refuses a network whose tensors would not fit the device for this batch size, saying what
/// to shrink. Counts each layer's output, its parameters, and a convolution's unfolded input.
///
/// # Errors
/// The first layer over a limit.
pub fn check_limits(
    network: &Network,
    report: &GraphReport,
    batch: usize,
    limits: DeviceLimits,
) -> Result<(), GraphError> {
    let limit = limits.max_binding_bytes.min(limits.max_buffer_bytes);
    let mib = |bytes: u64| bytes.div_ceil(1 << 20);
    let batch = batch.max(1) as u64;
    for (at, (layer, info)) in network.layers.iter().zip(&report.layers).enumerate() {
        let number = at + 1;
        let kind = layer.kind();
        let params = 4 * info.params as u64;
        if params > limit {
            return Err(GraphError::at(
                at,
                format!(
                    "{kind} (layer {number}) needs {} MiB for its weights, over this device's {} MiB per buffer: use fewer units or filters, or add pooling before it.",
                    mib(params),
                    mib(limit)
                ),
                None,
            ));
        }
        let mut needed = info.activation_bytes * batch;
        if let (Layer::Conv2d { kernel, .. }, Some(Shape::Image { channels, .. })) =
            (layer, report.tap(at))
            && let Shape::Image { height, width, .. } = info.output
        {
            needed = needed.max(4 * batch * (channels * kernel * kernel * height * width) as u64);
        }
        if needed > limit {
            return Err(GraphError::at(
                at,
                format!(
                    "{kind} (layer {number}) needs {} MiB for a batch of {batch}, over this device's {} MiB per buffer: lower the batch size, use fewer filters, or a smaller image.",
                    mib(needed),
                    mib(limit)
                ),
                None,
            ));
        }
    }
    Ok(())
}
