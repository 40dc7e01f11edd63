//! The one runner: takes the page's commands, keeps the project being trained (and the one
//! put aside while the page shows another), chooses the backend by one rule, and ticks.

use agora_engine::Device;
use agora_engine::checkpoint::Checkpoint;
use agora_engine::net::{ImageSize, Input, infer_graph};
use agora_engine::photos::{STORE_BYTES, STORE_SIZE, resample};

use agora_app::protocol::{
    BackendChoice, BackendKind, Command, Event, Measurement, PretrainedStatus, Setup,
};

use crate::context::Context;
use crate::job::{Job, Tick};
use crate::readouts;
use crate::sources::Sources;
use crate::speed;

pub struct Runner {
    context: Context,
    sources: Sources,
    /// The project on screen.
    job: Option<Job>,
    /// The project the page showed before, paused with its weights, until it comes back.
    parked: Option<Job>,
    running: bool,
    /// Epochs asked for one at a time (Step).
    steps_pending: usize,
    /// Auto's last decision and the parameter count it was measured at.
    measured: Option<(BackendKind, usize)>,
    /// The backend that trained last (Auto stays on it until it has measured).
    active: BackendKind,
}

impl Runner {
    pub fn new(context: Context) -> Runner {
        Runner {
            context,
            sources: Sources::default(),
            job: None,
            parked: None,
            running: false,
            steps_pending: 0,
            measured: None,
            active: BackendKind::Cpu,
        }
    }

    /// Whether there is training to do.
    pub fn busy(&self) -> bool {
        self.job.as_ref().is_some_and(|job| job.trainer.is_some())
            && (self.running || self.steps_pending > 0)
    }

    fn emit(&self, event: &Event) {
        self.context.emit(event);
    }

    fn set_running(&mut self, running: bool) {
        self.running = running;
        self.emit(&Event::Running(running));
    }

    fn stop(&mut self) {
        self.running = false;
        self.steps_pending = 0;
    }

    pub async fn handle(&mut self, command: Command) {
        match command {
            Command::Setup(setup) => self.setup(setup, None).await,
            Command::Restore { setup, trained } => self.setup(setup, Some(*trained)).await,
            Command::ReadWeights => {
                let weights = match &self.job {
                    Some(job) => job.weights().await.map(Box::new),
                    None => None,
                };
                self.emit(&Event::Weights(weights.ok_or_else(|| {
                    "There is no trained network to save yet.".to_owned()
                })));
            }
            Command::Export(request) => {
                let exported = match &self.job {
                    Some(job) => job.export(&request).await,
                    None => Err("There is no trained network to export yet.".to_owned()),
                };
                self.emit(&Event::Exported(exported));
            }
            Command::Switch(setup) => self.switch(setup).await,
            Command::Play => {
                if self.job.as_ref().is_none_or(|job| job.trainer.is_none()) {
                    self.emit(&Event::Running(false));
                    return;
                }
                self.measure_if_pending().await;
                let Some(trainer) = self.job.as_ref().and_then(|job| job.trainer.as_ref()) else {
                    self.emit(&Event::Running(false));
                    return;
                };
                if trainer.epoch() >= trainer.recipe().epochs {
                    self.emit(&Event::Finished);
                    self.emit(&Event::Running(false));
                    return;
                }
                self.set_running(true);
            }
            Command::Pause => {
                self.steps_pending = 0;
                self.set_running(false);
            }
            Command::Step => {
                self.measure_if_pending().await;
                self.running = false;
                self.steps_pending += 1;
            }
            Command::SetRecipe(recipe) => {
                let Some(job) = &mut self.job else { return };
                job.setup.recipe = recipe;
                if let Some(trainer) = &mut job.trainer {
                    trainer.set_recipe(recipe);
                    let (done, total) = (trainer.batches_done(), trainer.batches_per_epoch());
                    self.emit(&Event::Progress { done, total });
                }
            }
            Command::SetBackend(choice) => self.set_backend(choice).await,
            Command::Predict { pixels } => {
                let pretrained = self
                    .job
                    .as_ref()
                    .and_then(|job| match job.setup.network.input {
                        Input::Pretrained { side } => Some(side),
                        _ => None,
                    });
                if let Some(side) = pretrained {
                    self.predict_pretrained(&pixels, side).await;
                    return;
                }
                // Nothing pretrained saw this one.
                self.emit(&Event::Seen(Vec::new()));
                let prediction = match self.job.as_ref().and_then(|job| job.trainer.as_ref()) {
                    Some(trainer) => readouts::predict(trainer, &pixels).await,
                    None => Err("Train the model first: press Train.".to_owned()),
                };
                self.emit(&Event::Prediction(prediction));
            }
            Command::Embed { side, ids, pixels } => {
                let started = self.context.now();
                let result = async {
                    let pretrained = self.sources.pretrained(&self.context).await?;
                    pretrained.keep_features(&ids, &pixels, side).await
                }
                .await;
                let status = match result {
                    Ok(()) => PretrainedStatus::Embedded {
                        computed: ids.len(),
                        kept: 0,
                        ms: self.context.now() - started,
                    },
                    Err(message) => PretrainedStatus::Failed(message),
                };
                self.emit(&Event::Pretrained(status));
            }
            Command::Inspect { sample } => self.inspect(Some(sample), None).await,
            Command::InspectImage { pixels, size } => {
                self.inspect(None, Some((pixels, size))).await;
            }
            Command::Evaluate => {
                let Some(job) = &self.job else { return };
                let (Some(trainer), Some(val)) = (&job.trainer, job.split.val_pictures()) else {
                    return;
                };
                if let Some(report) = readouts::evaluate(trainer, val).await {
                    self.emit(&Event::Evaluation(Box::new(report)));
                }
            }
            Command::Speed(request) => {
                // The speed test needs the device to itself: training pauses, visibly.
                if self.running {
                    self.set_running(false);
                }
                self.steps_pending = 0;
                let webgpu = self
                    .context
                    .webgpu
                    .as_ref()
                    .map(|(device, _)| device.clone());
                speed::run(&self.context, webgpu.as_ref(), &request).await;
            }
        }
    }

    /// One photo (stored format) through the pretrained network: what it sees (ImageNet's
    /// top five, even before training) and, once the head has trained, the person's classes.
    async fn predict_pretrained(&mut self, pixels: &[u8], side: usize) {
        let result = async {
            let pretrained = self.sources.pretrained(&self.context).await?;
            let input = ImageSize {
                channels: 3,
                height: side,
                width: side,
            };
            if pixels.len() != STORE_BYTES {
                return Err("The image did not arrive whole. Take it again.".to_owned());
            }
            let features = pretrained
                .embed_square(&resample(pixels, STORE_SIZE, input), side)
                .await?;
            let seen = pretrained.top5(&features).await?;
            Ok((features, seen))
        }
        .await;
        let (features, seen) = match result {
            Ok(done) => done,
            Err(message) => {
                self.emit(&Event::Prediction(Err(message)));
                return;
            }
        };
        self.emit(&Event::Seen(seen));
        let prediction = match self.job.as_ref().and_then(|job| job.trainer.as_ref()) {
            Some(trainer) => readouts::predict_features(trainer, features).await,
            None => Err("Train the model first: press Train.".to_owned()),
        };
        self.emit(&Event::Prediction(prediction));
    }

    /// A photo through the pretrained network and the head: the input, every block's maps,
    /// the person's classes, and Grad-CAM on the last map for the predicted class (exact: the
    /// features are that map averaged, so each map's weight is the score's gradient with
    /// respect to its feature over the map's positions).
    async fn inspect_pretrained(
        &mut self,
        sample: Option<usize>,
        given: Option<(Vec<u8>, ImageSize)>,
        side: usize,
    ) {
        let Ok(pretrained) = self.sources.pretrained(&self.context).await else {
            return;
        };
        let Some(job) = &self.job else { return };
        let target = ImageSize {
            channels: 3,
            height: side,
            width: side,
        };
        let pictures = job.split.val_pictures();
        let count = pictures.map_or(0, |p| p.len());
        let (rgb, sample, label) = match (given, sample, pictures) {
            (Some((pixels, size)), _, _) => {
                if pixels.len() != size.channels * size.height * size.width
                    || !matches!(size.channels, 1 | 3)
                {
                    return;
                }
                (resample(&pixels, size, target), None, None)
            }
            (None, Some(sample), Some(pictures)) if !pictures.is_empty() => {
                let sample = sample.min(pictures.len() - 1);
                (
                    resample(pictures.image(sample), pictures.size, target),
                    Some(sample),
                    Some(usize::from(pictures.labels[sample])),
                )
            }
            _ => return,
        };
        let Ok((maps, features)) = pretrained.inspect(&rgb, side).await else {
            return;
        };
        let mut titles = vec![format!(
            "Input ({side}×{side}, what the pretrained network sees)"
        )];
        titles.extend(agora_engine::pretrained::tap_titles());
        let mut taps = Vec::with_capacity(maps.len() + 2);
        let plane = side * side;
        let mut input = vec![0.0_f32; 3 * plane];
        for (i, px) in rgb.chunks_exact(3).enumerate() {
            for c in 0..3 {
                input[c * plane + i] = f32::from(px[c]) / 255.0;
            }
        }
        taps.push(agora_engine::params::HostTensor {
            shape: vec![3, side, side],
            values: input,
        });
        let head_tap = maps.len();
        let last = maps.last().cloned();
        taps.extend(maps);
        let (mut probabilities, mut saliency) = (Vec::new(), None);
        if let Some(trainer) = &job.trainer {
            if let Ok(p) = readouts::predict_features(trainer, features.clone()).await {
                titles.push("Your classes (the head trained on the 1,280 features)".to_owned());
                taps.push(agora_engine::params::HostTensor {
                    shape: vec![p.len()],
                    values: p.clone(),
                });
                probabilities = p;
            }
            if let (Ok((gradient, class)), Some(map)) =
                (trainer.input_gradient(&features, None).await, last)
            {
                saliency = Some(agora_engine::inspect::grad_cam_of_pooled(
                    &map, &gradient, class, head_tap,
                ));
            }
        }
        self.emit(&Event::Inspection(Box::new(
            agora_app::protocol::Inspection {
                sample,
                count,
                label,
                saliency,
                taps,
                probabilities,
                kernels: Vec::new(),
                epoch: job.trainer.as_ref().map_or(0, agora_engine::Trainer::epoch),
                titles,
            },
        )));
    }

    async fn inspect(
        &mut self,
        sample: Option<usize>,
        given: Option<(Vec<u8>, agora_engine::net::ImageSize)>,
    ) {
        let Some(job) = &self.job else { return };
        if let Input::Pretrained { side } = job.setup.network.input {
            self.inspect_pretrained(sample, given, side).await;
            return;
        }
        let Some(job) = &self.job else { return };
        let (Some(trainer), Some(val)) = (&job.trainer, job.split.val_images()) else {
            return;
        };
        if let Some(inspection) = readouts::inspect(trainer, val, sample, given).await {
            self.emit(&Event::Inspection(Box::new(inspection)));
        }
    }

    /// Loads the setup's samples and builds its trainer from the seed (or from `trained`, the
    /// saved weights and epoch); stays paused.
    async fn setup(&mut self, setup: Setup, trained: Option<Checkpoint>) {
        self.stop();
        self.emit(&Event::Running(false));
        self.job = None;
        if self.sources.slow(&setup.data) {
            self.emit(&Event::Loading);
        }
        let split = match self.sources.load(&setup, &self.context).await {
            Ok(split) => split,
            Err(message) => {
                self.emit(&Event::Failed { message });
                return;
            }
        };
        self.emit(&Event::Data {
            train: split.train.len(),
            val: split.val.len(),
            counts: split.class_counts(),
        });
        let mut job = Job::new(setup, split);
        let (kind, reason) = self.choose(&mut job);
        job.launch(&self.context, kind, reason, None, trained).await;
        self.active = job.active;
        self.job = Some(job);
    }

    /// Puts the current project aside and takes up `setup`'s: the one put aside before, if
    /// it is that project, with its weights; else a fresh one.
    async fn switch(&mut self, setup: Option<Setup>) {
        self.stop();
        let current = self.job.take();
        let parked = std::mem::replace(&mut self.parked, current);
        self.emit(&Event::Switched);
        self.emit(&Event::Running(false));
        let Some(setup) = setup else { return };
        match parked {
            Some(mut job) if job.setup.same_run(&setup) && job.trainer.is_some() => {
                if job.setup.recipe != setup.recipe
                    && let Some(trainer) = &mut job.trainer
                {
                    trainer.set_recipe(setup.recipe);
                }
                job.setup.recipe = setup.recipe;
                let backend = setup.backend;
                let moved = job.setup.backend != backend;
                if let Some(trainer) = &job.trainer {
                    self.emit(&Event::Progress {
                        done: trainer.batches_done(),
                        total: trainer.batches_per_epoch(),
                    });
                }
                self.active = job.active;
                self.job = Some(job);
                if moved {
                    self.set_backend(backend).await;
                }
            }
            _ => self.setup(setup, None).await,
        }
    }

    /// Moves training to the backend `choice` asks for, keeping the weights.
    async fn set_backend(&mut self, choice: BackendChoice) {
        let Some(mut job) = self.job.take() else {
            return;
        };
        job.setup.backend = choice;
        if choice == BackendChoice::Auto {
            self.measured = None;
        }
        let was_running = self.running;
        self.running = false;
        let weights = job.weights().await;
        let (kind, reason) = self.choose(&mut job);
        job.launch(&self.context, kind, reason, None, weights).await;
        self.active = job.active;
        let trains = job.trainer.is_some();
        self.job = Some(job);
        if was_running {
            self.measure_if_pending().await;
            self.running = trains;
        }
    }

    /// The one rule for choosing a backend, without measuring: the person's choice when they
    /// made one (the CPU when WebGPU is missing); for Auto, the last measured choice for a
    /// network of similar size (within 4× the parameters), otherwise the backend that trained
    /// last until the next play or step times both.
    fn choose(&self, job: &mut Job) -> (BackendKind, String) {
        job.measure_pending = false;
        let webgpu = self.context.webgpu.is_some();
        match (job.setup.backend, webgpu) {
            (BackendChoice::Cpu, _) => (BackendKind::Cpu, "chosen by you".into()),
            (BackendChoice::WebGpu, true) => (BackendKind::WebGpu, "chosen by you".into()),
            (BackendChoice::WebGpu, false) => (
                BackendKind::Cpu,
                "WebGPU is not available in this browser, so the CPU trains".into(),
            ),
            (BackendChoice::Auto, false) => (
                BackendKind::Cpu,
                "WebGPU is not available in this browser".into(),
            ),
            (BackendChoice::Auto, true) => {
                let params = parameter_count(job);
                if let Some((kind, measured)) = self.measured {
                    #[allow(clippy::cast_precision_loss)] // parameter counts are far below 2^52
                    let ratio = params.max(1) as f64 / measured.max(1) as f64;
                    if (0.25..=4.0).contains(&ratio) {
                        return (kind, "faster when last measured".into());
                    }
                }
                job.measure_pending = true;
                (
                    self.active,
                    "not measured yet: both backends are timed when you press play".into(),
                )
            }
        }
    }

    /// Times both backends if Auto is waiting to, and moves training to the faster one (with
    /// its weights). If neither can train, says so for both.
    async fn measure_if_pending(&mut self) {
        let Some(mut job) = self.job.take() else {
            return;
        };
        let pending = job.measure_pending && job.setup.backend == BackendChoice::Auto;
        job.measure_pending = false;
        let Some((gpu, _)) = self.context.webgpu.clone().filter(|_| pending) else {
            self.job = Some(job);
            return;
        };
        self.emit(&Event::Measuring);
        let cpu = job.time_epoch(&self.context, &Device::flex()).await;
        let webgpu = job.time_epoch(&self.context, &gpu).await;
        let measurement = |cpu_ms: f64, gpu_ms: Option<f64>| {
            Some(Measurement {
                cpu_ms_per_epoch: cpu_ms,
                webgpu_ms_per_epoch: gpu_ms,
            })
        };
        let (kind, reason, measured) = match (cpu, webgpu) {
            (Ok(cpu_ms), Ok(gpu_ms)) if gpu_ms < cpu_ms => (
                BackendKind::WebGpu,
                format!("measured faster: {gpu_ms:.1} ms vs {cpu_ms:.1} ms per epoch on the CPU"),
                measurement(cpu_ms, Some(gpu_ms)),
            ),
            (Ok(cpu_ms), Ok(gpu_ms)) => (
                BackendKind::Cpu,
                format!("measured faster: {cpu_ms:.1} ms vs {gpu_ms:.1} ms per epoch on WebGPU"),
                measurement(cpu_ms, Some(gpu_ms)),
            ),
            (Ok(cpu_ms), Err(_)) => (
                BackendKind::Cpu,
                "WebGPU failed during the speed test".into(),
                measurement(cpu_ms, None),
            ),
            (Err(_), Ok(_)) => (
                BackendKind::WebGpu,
                "the CPU backend failed to train".into(),
                None,
            ),
            (Err(cpu), Err(gpu)) => {
                self.emit(&Event::Failed {
                    message: format!(
                        "Neither backend could train this network. On the CPU: {cpu} On WebGPU: {gpu}"
                    ),
                });
                job.trainer = None;
                self.job = Some(job);
                return;
            }
        };
        self.measured = Some((kind, parameter_count(&job)));
        if kind == job.active && job.trainer.is_some() {
            self.emit(&Event::Backend {
                active: kind,
                measurement: measured,
                reason,
            });
        } else {
            let weights = job.weights().await;
            job.launch(&self.context, kind, reason, measured, weights)
                .await;
        }
        self.active = job.active;
        self.job = Some(job);
    }

    /// Trains one tick of the project on screen and reports it.
    pub async fn tick(&mut self) {
        let stepping = !self.running && self.steps_pending > 0;
        let Some(job) = self.job.as_mut() else {
            self.stop();
            return;
        };
        let outcome = job.tick(&self.context, stepping).await;
        self.steps_pending = self.steps_pending.saturating_sub(usize::from(stepping));
        if outcome == Tick::Stop {
            self.stop();
            self.emit(&Event::Running(false));
        } else if !self.running && self.steps_pending == 0 {
            self.emit(&Event::Running(false));
        }
    }
}

fn parameter_count(job: &Job) -> usize {
    infer_graph(&job.setup.network).map_or(0, |report| report.total_params)
}
