//! The image lab's side of the worker: loads the bundled digits, builds a [`Trainer`] on
//! the chosen backend, and trains a few mini-batches per tick, reporting progress each tick
//! and metrics after each epoch.

use agora_engine::images::ImageSet;
use agora_engine::net::{DeviceLimits, ImageSize, Layer, check_limits, infer_graph};
use agora_engine::params::LayerParams;
use agora_engine::photos::{STORE_BYTES, STORE_SIZE, resample};
use agora_engine::samples::Samples;
use agora_engine::{Device, Trainer};
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::DedicatedWorkerGlobalScope;

use agora_app::document::BackendChoice;
use agora_app::lab::{EpochReport, EvaluationReport, Inspection, LabEvent};
use agora_app::protocol::{BackendKind, Event, LabCommand, LabData, LabSetup};
use agora_engine::inspect::pca2;

use crate::scope::{now_ms, post};

/// Where the page's own origin serves the digits (gzip; see `static/data/README.md`).
const DIGITS_URL: &str = "./data/digits.agds.gz";
/// How long one tick of training steps should take.
const TICK_TARGET_MS: f64 = 100.0;
const MAX_BATCHES_PER_TICK: usize = 512;
/// What one tensor may use on the CPU backend (wasm32 memory is 4 GiB at most).
const CPU_LIMITS: DeviceLimits = DeviceLimits {
    max_binding_bytes: 1 << 30,
    max_buffer_bytes: 1 << 30,
};

#[wasm_bindgen]
extern "C" {
    /// Defined in `worker-loader.js`: fetches a gzip file from the page's origin and unpacks
    /// it with the browser's `DecompressionStream`.
    #[wasm_bindgen(catch, js_name = agoraFetchGzip)]
    async fn fetch_gzip(url: &str) -> Result<JsValue, JsValue>;

    /// Defined in `agora-store.js`: every stored image of these classes, as
    /// `{classes: Uint32Array, pixels: Uint8Array}` (64×64 RGB each, back to back).
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = loadAll)]
    async fn load_all(class_ids: Vec<u32>) -> Result<JsValue, JsValue>;
}

pub struct LabRunner {
    scope: DedicatedWorkerGlobalScope,
    digits: Option<ImageSet>,
    /// What the current setup trains on: the digits, or the person's photos at the
    /// network's input size.
    data: Option<ImageSet>,
    /// The current split's validation images (what the inspection views look at).
    val: Option<ImageSet>,
    setup: Option<LabSetup>,
    trainer: Option<Trainer>,
    active: BackendKind,
    pub running: bool,
    batches_per_tick: usize,
    epoch_ms: f64,
    /// Auto has yet to time the backends for this network (done on the next play).
    measure_pending: bool,
    /// The last Auto decision, and the parameter count it was measured at.
    measured: Option<(BackendKind, usize)>,
}

impl LabRunner {
    pub fn new(scope: DedicatedWorkerGlobalScope) -> LabRunner {
        LabRunner {
            scope,
            digits: None,
            data: None,
            val: None,
            setup: None,
            trainer: None,
            active: BackendKind::Cpu,
            running: false,
            batches_per_tick: 1,
            epoch_ms: 0.0,
            measure_pending: false,
            measured: None,
        }
    }

    fn emit(&self, event: LabEvent) {
        post(&self.scope, &Event::Lab(event));
    }

    fn set_running(&mut self, running: bool) {
        self.running = running;
        self.emit(LabEvent::Running(running));
    }

    pub fn busy(&self) -> bool {
        self.running && self.trainer.is_some()
    }

    /// Stops training without telling the page (the page is switching views).
    pub fn pause_quietly(&mut self) {
        self.running = false;
    }

    pub async fn handle(&mut self, command: LabCommand, webgpu: Option<&(Device, DeviceLimits)>) {
        match command {
            LabCommand::Setup(setup) => {
                self.running = false;
                self.setup = Some(setup.clone());
                self.trainer = None;
                self.batches_per_tick = 1;
                self.epoch_ms = 0.0;
                self.emit(LabEvent::Running(false));
                self.data = None;
                match &setup.data {
                    LabData::Digits => {
                        if self.digits.is_none() {
                            self.emit(LabEvent::Loading);
                            match load_digits().await {
                                Ok(digits) => self.digits = Some(digits),
                                Err(message) => {
                                    self.emit(LabEvent::Failed { message });
                                    return;
                                }
                            }
                        }
                        self.data.clone_from(&self.digits);
                    }
                    LabData::Photos { classes } => {
                        self.emit(LabEvent::Loading);
                        match load_photos(
                            classes,
                            setup.network.input.image().unwrap_or(STORE_SIZE),
                        )
                        .await
                        {
                            Ok(photos) => self.data = Some(photos),
                            Err(message) => {
                                self.emit(LabEvent::Failed { message });
                                return;
                            }
                        }
                    }
                }
                let (kind, reason) = self.choose(&setup, webgpu);
                self.launch(kind, reason, webgpu, None).await;
            }
            LabCommand::Play => {
                if self.trainer.is_none() {
                    return;
                }
                self.measure_if_pending(webgpu).await;
                let Some(trainer) = &self.trainer else { return };
                if trainer.epoch() >= trainer.recipe().epochs {
                    self.emit(LabEvent::Finished);
                    return;
                }
                self.set_running(true);
            }
            LabCommand::Pause => self.set_running(false),
            LabCommand::Recipe(recipe) => {
                if let Some(setup) = &mut self.setup {
                    setup.recipe = recipe;
                }
                if let Some(trainer) = &mut self.trainer {
                    trainer.set_recipe(recipe);
                    let (done, total) = (trainer.batches_done(), trainer.batches_per_epoch());
                    self.emit(LabEvent::Progress { done, total });
                }
            }
            LabCommand::Predict { pixels } => {
                let prediction = match &self.trainer {
                    Some(trainer) => {
                        let input = trainer.network().input.image().unwrap_or(STORE_SIZE);
                        let image = ImageSet {
                            size: input,
                            class_names: (0..trainer.network().classes())
                                .map(|c| c.to_string())
                                .collect(),
                            labels: vec![0],
                            pixels: resample(&pixels, STORE_SIZE, input),
                        };
                        trainer
                            .predict(&image)
                            .await
                            .map_err(|error| error.to_string())
                            .and_then(|rows| {
                                rows.into_iter()
                                    .next()
                                    .ok_or_else(|| "No prediction came back.".to_owned())
                            })
                    }
                    None => Err("Train the model first: press Train.".to_owned()),
                };
                self.emit(LabEvent::Prediction(prediction));
            }
            LabCommand::Inspect { sample } => {
                if let Some(inspection) = self.inspect(Some(sample), None).await {
                    self.emit(LabEvent::Inspection(Box::new(inspection)));
                }
            }
            LabCommand::InspectImage { pixels, size } => {
                if let Some(inspection) = self.inspect(None, Some((pixels, size))).await {
                    self.emit(LabEvent::Inspection(Box::new(inspection)));
                }
            }
            LabCommand::Evaluate => {
                if let Some(report) = self.evaluate().await {
                    self.emit(LabEvent::Evaluation(Box::new(report)));
                }
            }
            LabCommand::Backend(choice) => {
                let Some(setup) = &mut self.setup else { return };
                setup.backend = choice;
                let setup = setup.clone();
                let was_running = self.running;
                self.running = false;
                let params = match &self.trainer {
                    Some(trainer) => trainer.params().await.ok().map(|p| (p, trainer.epoch())),
                    None => None,
                };
                if choice == BackendChoice::Auto {
                    self.measured = None;
                }
                let (kind, reason) = self.choose(&setup, webgpu);
                self.launch(kind, reason, webgpu, params).await;
                if was_running {
                    self.measure_if_pending(webgpu).await;
                    if self.trainer.is_some() {
                        self.set_running(true);
                    }
                }
            }
        }
    }

    /// The backend for `setup`, and why, without measuring.
    fn choose(
        &mut self,
        setup: &LabSetup,
        webgpu: Option<&(Device, DeviceLimits)>,
    ) -> (BackendKind, String) {
        self.measure_pending = false;
        match (setup.backend, webgpu) {
            (BackendChoice::Cpu, _) => (BackendKind::Cpu, "chosen by you".into()),
            (BackendChoice::WebGpu, Some(_)) => (BackendKind::WebGpu, "chosen by you".into()),
            (BackendChoice::WebGpu, None) => (
                BackendKind::Cpu,
                "WebGPU is not available in this browser, so the CPU trains".into(),
            ),
            (BackendChoice::Auto, None) => (
                BackendKind::Cpu,
                "WebGPU is not available in this browser".into(),
            ),
            (BackendChoice::Auto, Some(_)) => {
                let params = infer_graph(&setup.network).map_or(0, |report| report.total_params);
                if let Some((kind, measured)) = self.measured {
                    #[allow(clippy::cast_precision_loss)] // parameter counts are small
                    let ratio = params.max(1) as f64 / measured.max(1) as f64;
                    if (0.25..=4.0).contains(&ratio) {
                        return (kind, "faster when last measured".into());
                    }
                }
                self.measure_pending = true;
                (
                    BackendKind::Cpu,
                    "not measured yet: both backends are timed when you press play".into(),
                )
            }
        }
    }

    async fn launch(
        &mut self,
        kind: BackendKind,
        reason: String,
        webgpu: Option<&(Device, DeviceLimits)>,
        resume: Option<(Vec<LayerParams>, usize)>,
    ) {
        let Some(setup) = self.setup.clone() else {
            return;
        };
        let Some(data) = &self.data else { return };
        self.trainer = None;
        let (device, limits) = match (kind, webgpu) {
            (BackendKind::WebGpu, Some((device, limits))) => (device.clone(), *limits),
            _ => (Device::flex(), CPU_LIMITS),
        };
        self.active = kind;
        self.emit(LabEvent::Backend {
            active: kind,
            reason,
        });
        let report = match infer_graph(&setup.network) {
            Ok(report) => report,
            Err(error) => {
                self.emit(LabEvent::Failed {
                    message: error.message,
                });
                return;
            }
        };
        if let Err(error) = check_limits(&setup.network, &report, setup.recipe.batch_size, limits) {
            self.emit(LabEvent::Failed {
                message: format!(
                    "This network is too big for the {}: {}",
                    kind.label(),
                    error.message
                ),
            });
            return;
        }
        let (train, val) = data.split(setup.train_percent, setup.seed);
        self.val = Some(val.clone());
        let params = resume.as_ref().map(|(params, _)| params.as_slice());
        match Trainer::with_augment(
            &device,
            &setup.network,
            &Samples::Images(train.clone()),
            &Samples::Images(val.clone()),
            setup.recipe,
            params,
            setup.seed,
            setup.augment,
        ) {
            Ok(mut trainer) => {
                if let Some((_, epoch)) = resume {
                    trainer.resume_at(epoch);
                } else {
                    self.emit(LabEvent::Ready {
                        train: train.len(),
                        val: val.len(),
                    });
                }
                self.emit(LabEvent::Progress {
                    done: 0,
                    total: trainer.batches_per_epoch(),
                });
                self.trainer = Some(trainer);
            }
            Err(error) => self.emit(LabEvent::Failed {
                message: error.to_string(),
            }),
        }
    }

    /// Validation image `sample` (or an image the person gave) through every layer, with the
    /// conv kernels and the saliency map of the predicted class.
    async fn inspect(
        &self,
        sample: Option<usize>,
        given: Option<(Vec<u8>, ImageSize)>,
    ) -> Option<Inspection> {
        let (trainer, val) = (self.trainer.as_ref()?, self.val.as_ref()?);
        let input = trainer.network().input.image().unwrap_or(STORE_SIZE);
        let (image, sample, label) = match (given, sample) {
            (Some((pixels, size)), _) => {
                let expected = size.channels * size.height * size.width;
                if pixels.len() != expected || !matches!(size.channels, 1 | 3) {
                    return None;
                }
                let image = ImageSet {
                    size: input,
                    class_names: val.class_names.clone(),
                    labels: vec![0],
                    pixels: resample(&pixels, size, input),
                };
                (image, None, None)
            }
            (None, Some(sample)) if !val.is_empty() => {
                let sample = sample.min(val.len() - 1);
                (
                    val.subset(&[sample]),
                    Some(sample),
                    Some(usize::from(val.labels[sample])),
                )
            }
            _ => return None,
        };
        let (taps, probabilities) = trainer.activations(&image).await.ok()?;
        let saliency = trainer.saliency(&image, None).await.ok();
        let params = trainer.params().await.ok()?;
        let kernels = trainer
            .network()
            .layers
            .iter()
            .zip(params)
            .enumerate()
            .filter(|(_, (layer, _))| matches!(layer, Layer::Conv2d { .. }))
            .filter_map(|(index, (_, mut params))| {
                (!params.is_empty()).then(|| (index, params.swap_remove(0)))
            })
            .collect();
        Some(Inspection {
            sample,
            count: val.len(),
            label,
            saliency,
            taps,
            probabilities,
            kernels,
            epoch: trainer.epoch(),
        })
    }

    /// The validation set through the network: logits, the 2-D embedding, and images to show.
    async fn evaluate(&self) -> Option<EvaluationReport> {
        /// Images sent for galleries and hovering (at most 8 MB of them).
        const IMAGE_BYTES: usize = 8 << 20;
        let (trainer, val) = (self.trainer.as_ref()?, self.val.as_ref()?);
        let evaluation = match trainer.last_evaluation() {
            Some(kept) => kept.clone(),
            None => trainer.evaluate(val).await.ok()?,
        };
        let points = pca2(&evaluation.features, evaluation.feature_size);
        let size = val.size;
        let per = size.channels * size.height * size.width;
        let shown = val.len().min(IMAGE_BYTES / per.max(1));
        Some(EvaluationReport {
            classes: evaluation.classes,
            labels: val.labels.iter().map(|&l| usize::from(l)).collect(),
            logits: evaluation.logits,
            points,
            size,
            shown,
            images: val.pixels[..shown * per].to_vec(),
            epoch: trainer.epoch(),
        })
    }

    /// Times a few steps on both backends and moves to the faster one.
    async fn measure_if_pending(&mut self, webgpu: Option<&(Device, DeviceLimits)>) {
        if !self.measure_pending {
            return;
        }
        self.measure_pending = false;
        let (Some(setup), Some((gpu, _))) = (self.setup.clone(), webgpu) else {
            return;
        };
        self.emit(LabEvent::Backend {
            active: self.active,
            reason: "timing both backends…".into(),
        });
        let cpu = self.time_steps(&Device::flex(), &setup).await;
        let gpu = self.time_steps(gpu, &setup).await;
        let params = infer_graph(&setup.network).map_or(0, |report| report.total_params);
        let (kind, reason) = match (cpu, gpu) {
            (Some(cpu), Some(gpu)) if gpu < cpu => (
                BackendKind::WebGpu,
                format!("measured faster: {gpu:.0} ms vs {cpu:.0} ms per batch on the CPU"),
            ),
            (Some(cpu), Some(gpu)) => (
                BackendKind::Cpu,
                format!("measured faster: {cpu:.0} ms vs {gpu:.0} ms per batch on WebGPU"),
            ),
            (None, Some(_)) => (
                BackendKind::WebGpu,
                "the CPU backend failed to train".into(),
            ),
            _ => (
                BackendKind::Cpu,
                "WebGPU failed during the speed test".into(),
            ),
        };
        self.measured = Some((kind, params));
        let resume = match &self.trainer {
            Some(trainer) if trainer.epoch() > 0 || trainer.batches_done() > 0 => {
                trainer.params().await.ok().map(|p| (p, trainer.epoch()))
            }
            _ => None,
        };
        if kind == self.active {
            self.emit(LabEvent::Backend {
                active: kind,
                reason,
            });
        } else {
            self.launch(kind, reason, webgpu, resume).await;
        }
    }

    /// Milliseconds per mini-batch on `device`, after a warm-up step (kernel compilation).
    async fn time_steps(&self, device: &Device, setup: &LabSetup) -> Option<f64> {
        const STEPS: usize = 3;
        let data = self.data.as_ref()?;
        // A prefix with every class in it (the digits interleave classes; photos are shuffled
        // by the split first).
        let (shuffled, _) = data.split(100, setup.seed);
        let (train, val) = shuffled
            .take(setup.recipe.batch_size * (STEPS + 1))
            .split(90, setup.seed);
        let mut trainer = Trainer::with_augment(
            device,
            &setup.network,
            &Samples::Images(train),
            &Samples::Images(val),
            setup.recipe,
            None,
            setup.seed,
            setup.augment,
        )
        .ok()?;
        trainer.train_batches(1);
        trainer.sync().await.ok()?;
        let start = now_ms(&self.scope);
        trainer.train_batches(STEPS);
        trainer.sync().await.ok()?;
        #[allow(clippy::cast_precision_loss)]
        Some((now_ms(&self.scope) - start) / STEPS as f64)
    }

    /// Runs a few mini-batches; after an epoch, reads and posts its metrics.
    pub async fn tick(&mut self) {
        let Some(mut trainer) = self.trainer.take() else {
            self.running = false;
            return;
        };
        let start = now_ms(&self.scope);
        let finished_epoch = trainer.train_batches(self.batches_per_tick);
        if let Err(error) = trainer.sync().await {
            self.fail(&error.to_string());
            self.trainer = Some(trainer);
            return;
        }
        let elapsed = now_ms(&self.scope) - start;
        self.epoch_ms += elapsed;
        if elapsed < TICK_TARGET_MS / 2.0 {
            self.batches_per_tick = (self.batches_per_tick * 2).min(MAX_BATCHES_PER_TICK);
        } else if elapsed > TICK_TARGET_MS * 2.0 {
            self.batches_per_tick = (self.batches_per_tick / 2).max(1);
        }
        let total = trainer.batches_per_epoch();
        self.emit(LabEvent::Progress {
            done: if finished_epoch {
                total
            } else {
                trainer.batches_done()
            },
            total,
        });
        if finished_epoch {
            match trainer.epoch_metrics().await {
                Ok(metrics) => {
                    let seconds = self.epoch_ms / 1000.0;
                    self.epoch_ms = 0.0;
                    #[allow(clippy::cast_precision_loss)]
                    let samples_per_second = trainer.train_count() as f64 / seconds.max(1e-9);
                    let diverged = !metrics.train_loss.is_finite() || !metrics.val_loss.is_finite();
                    let done = metrics.epoch >= trainer.recipe().epochs;
                    self.emit(LabEvent::Epoch(EpochReport {
                        metrics,
                        train_seconds: seconds,
                        samples_per_second,
                    }));
                    if diverged {
                        self.set_running(false);
                    } else if done {
                        self.running = false;
                        self.emit(LabEvent::Finished);
                    }
                }
                Err(error) => self.fail(&error.to_string()),
            }
        }
        self.trainer = Some(trainer);
    }

    fn fail(&mut self, error: &str) {
        self.running = false;
        let message = match self.active {
            BackendKind::WebGpu => format!(
                "The GPU stopped answering ({error}). Choose CPU under Backend to go on from the last epoch's weights."
            ),
            BackendKind::Cpu => error.to_owned(),
        };
        self.emit(LabEvent::Failed { message });
    }
}

async fn load_digits() -> Result<ImageSet, String> {
    let bytes = fetch_gzip(DIGITS_URL).await.map_err(|error| {
        format!(
            "The bundled digits could not be loaded from this site ({}). Reload the page.",
            error.as_string().unwrap_or_else(|| format!("{error:?}"))
        )
    })?;
    let bytes: Uint8Array = bytes
        .dyn_into()
        .map_err(|_| "The digits file did not arrive as bytes. Reload the page.".to_owned())?;
    ImageSet::decode(&bytes.to_vec())
        .map_err(|error| format!("The bundled digits file is damaged: {error} Reload the page."))
}

/// Reads the person's images of `classes` from this browser's storage and resamples them to
/// the network's input. Labels follow the order of `classes`.
async fn load_photos(classes: &[(u32, String)], input: ImageSize) -> Result<ImageSet, String> {
    let ids: Vec<u32> = classes.iter().map(|(id, _)| *id).collect();
    let loaded = load_all(ids.clone()).await.map_err(|error| {
        format!(
            "Your images could not be read from this browser's storage ({}). Reload the page; if it persists, the storage may have been cleared.",
            error
                .as_string()
                .or_else(|| js_sys::Reflect::get(&error, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string()))
                .unwrap_or_else(|| format!("{error:?}"))
        )
    })?;
    let field = |name: &str| js_sys::Reflect::get(&loaded, &name.into()).ok();
    let image_classes: Vec<u32> = field("classes")
        .and_then(|v| v.dyn_into::<js_sys::Uint32Array>().ok())
        .map(|array| array.to_vec())
        .ok_or_else(|| "Storage returned no class list. Reload the page.".to_owned())?;
    let pixels: Vec<u8> = field("pixels")
        .and_then(|v| v.dyn_into::<Uint8Array>().ok())
        .map(|array| array.to_vec())
        .ok_or_else(|| "Storage returned no pixels. Reload the page.".to_owned())?;
    let per = input.channels * input.height * input.width;
    let mut labels = Vec::with_capacity(image_classes.len());
    let mut resized = Vec::with_capacity(image_classes.len() * per);
    for (index, class) in image_classes.iter().enumerate() {
        let Some(label) = ids.iter().position(|id| id == class) else {
            continue;
        };
        let Some(image) = pixels.get(index * STORE_BYTES..(index + 1) * STORE_BYTES) else {
            break;
        };
        labels.push(u8::try_from(label).unwrap_or(u8::MAX));
        resized.extend(resample(image, STORE_SIZE, input));
    }
    Ok(ImageSet {
        size: input,
        class_names: classes.iter().map(|(_, name)| name.clone()).collect(),
        labels,
        pixels: resized,
    })
}
