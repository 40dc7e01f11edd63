//! The worker's runtime: runs in a dedicated Web Worker, owns the [`Trainer`], and talks to the
//! page only through [`crate::protocol`] messages.
//!
//! One async loop does everything, so no state is borrowed across an `await`: it drains the
//! inbox, trains a few epochs, reads one snapshot (one async round trip), posts it, and yields
//! to the event loop so new commands can arrive. The number of epochs per tick adapts so a tick
//! lasts about [`TICK_TARGET_MS`].

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use agora_engine::net::{DeviceLimits, infer_graph};
use agora_engine::snapshot::{LayerWeights, Snapshot};
use agora_engine::{Device, TrainError};
use js_sys::{Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use agora_app::protocol::{
    BackendChoice, BackendKind, Command, Event, LabCommand, Measurement, Setup, SpeedEvent,
    SpeedRequest, decode,
};
use agora_engine::bench::measure;

use crate::lab::LabRunner;
use crate::plane::{PlaneTrainer, params_from_dense};
use crate::scope::{now_ms, post, yield_now};

/// How long one tick of training plus its snapshot should take.
const TICK_TARGET_MS: f64 = 80.0;
/// Most epochs between two snapshots.
const MAX_EPOCHS_PER_TICK: usize = 64;

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
    wasm_bindgen_futures::spawn_local(async move {
        let mut worker = Worker::new(scope).await;
        worker.run(inbox).await;
    });
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

struct Worker {
    scope: DedicatedWorkerGlobalScope,
    webgpu: Option<Device>,
    /// The WebGPU device with the adapter's buffer limits, for the image lab.
    webgpu_limits: Option<(Device, DeviceLimits)>,
    lab: LabRunner,
    setup: Option<Setup>,
    trainer: Option<PlaneTrainer>,
    active: BackendKind,
    /// Parameters of the network the last measurement timed.
    measured_params: Option<usize>,
    /// Auto has not timed the backends for this network yet; done on the next play or step.
    measure_pending: bool,
    running: bool,
    steps_pending: usize,
    epochs_per_tick: usize,
    last_layers: Option<Vec<LayerWeights>>,
}

impl Worker {
    async fn new(scope: DedicatedWorkerGlobalScope) -> Worker {
        let webgpu = init_webgpu(&scope).await;
        let (device, status) = match webgpu {
            Ok((device, description, limits)) => (Some((device, limits)), Ok(description)),
            Err(reason) => (None, Err(reason)),
        };
        post(&scope, &Event::Ready { webgpu: status });
        Worker {
            lab: LabRunner::new(scope.clone()),
            scope,
            webgpu: device.as_ref().map(|(device, _)| device.clone()),
            webgpu_limits: device,
            setup: None,
            trainer: None,
            active: BackendKind::Cpu,
            measured_params: None,
            measure_pending: false,
            running: false,
            steps_pending: 0,
            epochs_per_tick: 1,
            last_layers: None,
        }
    }

    async fn run(&mut self, inbox: Rc<RefCell<Inbox>>) {
        loop {
            let commands: Vec<Command> = inbox.borrow_mut().commands.drain(..).collect();
            for command in commands {
                self.handle(command).await;
            }
            let busy = self.trainer.is_some() && (self.running || self.steps_pending > 0);
            if self.lab.busy() {
                self.lab.tick().await;
                yield_now(&self.scope).await;
            } else if busy {
                self.tick().await;
                yield_now(&self.scope).await;
            } else if inbox.borrow().commands.is_empty() {
                let waiting = Rc::clone(&inbox);
                let wake = Promise::new(&mut |resolve, _reject| {
                    waiting.borrow_mut().wake = Some(resolve);
                });
                let _ = JsFuture::from(wake).await;
            }
        }
    }

    fn emit(&self, event: &Event) {
        post(&self.scope, event);
    }

    fn set_running(&mut self, running: bool) {
        self.running = running;
        self.emit(&Event::Running(running));
    }

    async fn handle(&mut self, command: Command) {
        // One view trains at a time: the playground pauses the lab and the other way round.
        match &command {
            Command::Lab(LabCommand::Play) if self.running => self.set_running(false),
            Command::Play | Command::Step if self.lab.running => self.lab.pause_quietly(),
            // The speed test needs the device to itself: everything else pauses, visibly.
            Command::Speed(_) => {
                if self.running {
                    self.set_running(false);
                }
                self.steps_pending = 0;
                if self.lab.running {
                    self.lab.pause_quietly();
                    self.emit(&Event::Lab(agora_app::lab::LabEvent::Running(false)));
                }
            }
            _ => {}
        }
        match command {
            Command::Speed(request) => self.speed_test(request).await,
            Command::Lab(command) => {
                let webgpu = self.webgpu_limits.clone();
                self.lab.handle(command, webgpu.as_ref()).await;
            }
            Command::Setup(setup) => {
                self.running = false;
                self.steps_pending = 0;
                self.epochs_per_tick = 1;
                let backend = setup.backend;
                self.setup = Some(setup);
                self.last_layers = None;
                self.start(backend, None).await;
                self.emit(&Event::Running(false));
            }
            Command::Play => {
                self.measure_if_pending().await;
                if self.trainer.is_some() {
                    self.set_running(true);
                }
            }
            Command::Pause => self.set_running(false),
            Command::Step => {
                self.measure_if_pending().await;
                self.running = false;
                self.steps_pending += 1;
            }
            Command::SetRecipe(recipe) => {
                if let Some(setup) = &mut self.setup {
                    setup.recipe = recipe;
                }
                if let Some(trainer) = &mut self.trainer {
                    trainer.set_recipe(recipe);
                }
            }
            Command::SetBackend(choice) => {
                if let Some(setup) = &mut self.setup {
                    setup.backend = choice;
                }
                if choice == BackendChoice::Auto {
                    self.measured_params = None;
                }
                let weights = self.last_layers.clone();
                let was_running = self.running;
                self.start(choice, weights).await;
                if was_running {
                    self.measure_if_pending().await;
                }
                self.running = was_running && self.trainer.is_some();
            }
        }
    }

    /// Builds the trainer on the backend `choice` asks for, from `weights` or the seed's
    /// starting weights, and posts its first snapshot.
    async fn start(&mut self, choice: BackendChoice, weights: Option<Vec<LayerWeights>>) {
        let Some(setup) = self.setup.clone() else {
            return;
        };
        let (kind, reason) = match choice {
            BackendChoice::Cpu => (BackendKind::Cpu, "chosen by you".to_owned()),
            BackendChoice::WebGpu if self.webgpu.is_some() => {
                (BackendKind::WebGpu, "chosen by you".to_owned())
            }
            BackendChoice::WebGpu => (
                BackendKind::Cpu,
                "WebGPU is not available in this browser, so the CPU trains".to_owned(),
            ),
            BackendChoice::Auto => self.auto_choice(&setup),
        };
        self.launch(kind, reason, None, weights).await;
    }

    /// Builds the trainer on `kind`, continuing from `weights` and the current epoch when given.
    async fn launch(
        &mut self,
        kind: BackendKind,
        reason: String,
        measurement: Option<Measurement>,
        weights: Option<Vec<LayerWeights>>,
    ) {
        let Some(setup) = self.setup.clone() else {
            return;
        };
        let epoch = self.trainer.as_ref().map_or(0, PlaneTrainer::epoch);
        let resume = weights.is_some();
        self.trainer = None;
        self.active = kind;
        self.emit(&Event::Backend {
            active: kind,
            measurement,
            reason,
        });
        let device = self.device(kind);
        match build_trainer(&device, &setup, weights.as_deref()) {
            Ok(mut trainer) => {
                if resume {
                    trainer.resume_at(epoch);
                }
                self.publish(&trainer).await;
                self.trainer = Some(trainer);
            }
            Err(error) => self.emit(&Event::Failed {
                message: error.to_string(),
            }),
        }
    }

    fn device(&self, kind: BackendKind) -> Device {
        match (kind, &self.webgpu) {
            (BackendKind::WebGpu, Some(device)) => device.clone(),
            _ => Device::flex(),
        }
    }

    /// Auto, without measuring: the last measured choice for networks of similar size (within
    /// 4× the parameters), otherwise the current backend until the next play or step measures.
    fn auto_choice(&mut self, setup: &Setup) -> (BackendKind, String) {
        if self.webgpu.is_none() {
            self.measure_pending = false;
            return (
                BackendKind::Cpu,
                "WebGPU is not available in this browser".to_owned(),
            );
        }
        let params = parameter_count(setup);
        if let Some(measured) = self.measured_params {
            #[allow(clippy::cast_precision_loss)] // parameter counts are far below 2^52
            let ratio = params.max(1) as f64 / measured.max(1) as f64;
            if (0.25..=4.0).contains(&ratio) {
                self.measure_pending = false;
                return (self.active, "faster when last measured".to_owned());
            }
        }
        self.measure_pending = true;
        (
            self.active,
            "not measured yet: both backends are timed when you press play".to_owned(),
        )
    }

    /// Times both backends if Auto is waiting to, and moves training to the faster one.
    async fn measure_if_pending(&mut self) {
        let Some(setup) = self.setup.clone() else {
            return;
        };
        if !self.measure_pending || setup.backend != BackendChoice::Auto {
            return;
        }
        self.measure_pending = false;
        self.emit(&Event::Measuring);
        let cpu = self.time_epoch(&Device::flex(), &setup).await;
        let webgpu = match &self.webgpu {
            Some(device) => self.time_epoch(&device.clone(), &setup).await.ok(),
            None => None,
        };
        self.measured_params = Some(parameter_count(&setup));
        let (kind, reason, measurement) = match (cpu, webgpu) {
            (Err(_), _) => (
                BackendKind::WebGpu,
                "the CPU backend failed to train".to_owned(),
                None,
            ),
            (Ok(cpu_ms), Some(gpu_ms)) if gpu_ms < cpu_ms => (
                BackendKind::WebGpu,
                format!("measured faster: {gpu_ms:.1} ms vs {cpu_ms:.1} ms per epoch on the CPU"),
                Some(Measurement {
                    cpu_ms_per_epoch: cpu_ms,
                    webgpu_ms_per_epoch: Some(gpu_ms),
                }),
            ),
            (Ok(cpu_ms), Some(gpu_ms)) => (
                BackendKind::Cpu,
                format!("measured faster: {cpu_ms:.1} ms vs {gpu_ms:.1} ms per epoch on WebGPU"),
                Some(Measurement {
                    cpu_ms_per_epoch: cpu_ms,
                    webgpu_ms_per_epoch: Some(gpu_ms),
                }),
            ),
            (Ok(cpu_ms), None) => (
                BackendKind::Cpu,
                "WebGPU failed during the speed test".to_owned(),
                Some(Measurement {
                    cpu_ms_per_epoch: cpu_ms,
                    webgpu_ms_per_epoch: None,
                }),
            ),
        };
        if kind == self.active && self.trainer.is_some() {
            self.emit(&Event::Backend {
                active: kind,
                measurement,
                reason,
            });
        } else {
            let weights = self.last_layers.clone();
            self.launch(kind, reason, measurement, weights).await;
        }
    }

    /// Milliseconds per epoch on `device`, estimated from a few steps after a warm-up (which
    /// compiles the GPU kernels), each followed by a read so queued GPU work is counted.
    #[allow(clippy::cast_precision_loss)] // step counts are small
    async fn time_epoch(&self, device: &Device, setup: &Setup) -> Result<f64, TrainError> {
        const PROBE_STEPS: usize = 6;
        let mut trainer = build_trainer(device, setup, None)?;
        trainer.train_steps(2);
        trainer.snapshot().await?;
        let start = now_ms(&self.scope);
        trainer.train_steps(PROBE_STEPS);
        trainer.snapshot().await?;
        let per_step = (now_ms(&self.scope) - start) / PROBE_STEPS as f64;
        Ok(per_step * trainer.steps_per_epoch() as f64)
    }

    /// Times each requested workload on each requested backend, reporting as it goes.
    async fn speed_test(&mut self, request: SpeedRequest) {
        let scope = self.scope.clone();
        let now = move || now_ms(&scope);
        for &workload in &request.workloads {
            for &backend in &request.backends {
                self.emit(&Event::Speed(SpeedEvent::Timing { workload, backend }));
                yield_now(&self.scope).await;
                let device = match (backend, &self.webgpu) {
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
                self.emit(&Event::Speed(SpeedEvent::Measured {
                    workload,
                    backend,
                    result,
                }));
            }
        }
        self.emit(&Event::Speed(SpeedEvent::Done));
    }

    async fn publish(&mut self, trainer: &PlaneTrainer) -> Option<Snapshot> {
        match trainer.snapshot().await {
            Ok(snapshot) => {
                self.last_layers = Some(snapshot.layers.clone());
                self.emit(&Event::Snapshot(Box::new(snapshot.clone())));
                Some(snapshot)
            }
            Err(error) => {
                let message = match self.active {
                    BackendKind::WebGpu => format!(
                        "The GPU stopped answering ({error}). Choose CPU under Backend to go on from the last weights."
                    ),
                    BackendKind::Cpu => error.to_string(),
                };
                self.emit(&Event::Failed { message });
                self.running = false;
                None
            }
        }
    }

    /// Trains a few epochs, then reads and posts one snapshot.
    async fn tick(&mut self) {
        let Some(mut trainer) = self.trainer.take() else {
            return;
        };
        let start = now_ms(&self.scope);
        let epochs = if self.steps_pending > 0 {
            1
        } else {
            self.epochs_per_tick
        };
        for _ in 0..epochs {
            trainer.train_epoch();
        }
        self.steps_pending = self.steps_pending.saturating_sub(1);
        let snapshot = self.publish(&trainer).await;
        let elapsed = now_ms(&self.scope) - start;
        if self.steps_pending == 0 && epochs == self.epochs_per_tick {
            if elapsed < TICK_TARGET_MS / 2.0 {
                self.epochs_per_tick = (self.epochs_per_tick * 2).min(MAX_EPOCHS_PER_TICK);
            } else if elapsed > TICK_TARGET_MS * 2.0 {
                self.epochs_per_tick = (self.epochs_per_tick / 2).max(1);
            }
        }
        match snapshot {
            Some(snapshot) if !snapshot.is_finite() => {
                self.running = false;
                self.steps_pending = 0;
                self.emit(&Event::Running(false));
                self.emit(&Event::Diverged {
                    epoch: snapshot.epoch,
                });
            }
            Some(_) => {
                if !self.running && self.steps_pending == 0 {
                    self.emit(&Event::Running(false));
                }
            }
            None => self.emit(&Event::Running(false)),
        }
        self.trainer = Some(trainer);
    }
}

fn parameter_count(setup: &Setup) -> usize {
    infer_graph(&setup.network).map_or(0, |report| report.total_params)
}

fn build_trainer(
    device: &Device,
    setup: &Setup,
    weights: Option<&[LayerWeights]>,
) -> Result<PlaneTrainer, TrainError> {
    let params = weights.and_then(|weights| params_from_dense(&setup.network, weights));
    PlaneTrainer::new(device, setup, params.as_deref())
}
