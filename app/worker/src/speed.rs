//! The speed test: times each requested reference workload on each requested backend and
//! reports as it goes.

use agora_engine::Device;
use agora_engine::bench::measure;

use agora_app::protocol::{BackendKind, Event, SpeedEvent, SpeedRequest};

use crate::context::Context;
use crate::scope::yield_now;

pub async fn run(context: &Context, webgpu: Option<&Device>, request: &SpeedRequest) {
    let now = || context.now();
    for &workload in &request.workloads {
        for &backend in &request.backends {
            context.emit(&Event::Speed(SpeedEvent::Timing { workload, backend }));
            yield_now(&context.scope).await;
            let device = match (backend, webgpu) {
                (BackendKind::Cpu, _) => Ok(Device::flex()),
                (BackendKind::WebGpu, Some(device)) => Ok(device.clone()),
                (BackendKind::WebGpu, None) => {
                    Err("WebGPU is not available in this browser".to_owned())
                }
            };
            let result = match device {
                Ok(device) => match workload.trainer(&device, 1) {
                    Ok(mut trainer) => {
                        measure(&mut trainer, workload.batch_size(), request.plan, &now).await
                    }
                    Err(error) => Err(error),
                },
                Err(error) => Err(error),
            };
            context.emit(&Event::Speed(SpeedEvent::Measured {
                workload,
                backend,
                result,
            }));
        }
    }
    context.emit(&Event::Speed(SpeedEvent::Done));
}
