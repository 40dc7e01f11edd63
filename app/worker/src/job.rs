//! One project being trained: its setup and samples, the one [`Trainer`] on the backend that
//! trains it, and what it reports. Every project — points, a table, the digits, photos —
//! runs through the same tick: train for about [`TICK_TARGET_MS`], read once, report.

use agora_engine::checkpoint::Checkpoint;
use agora_engine::compute::PlaneProbe;
use agora_engine::export::{ExportModel, Scaling, bundle};
use agora_engine::net::{check_limits, infer_graph};
use agora_engine::params::LayerParams;
use agora_engine::photos::Augment;
use agora_engine::snapshot::Snapshot;
use agora_engine::{Device, Trainer};

use agora_app::protocol::{
    BackendKind, EpochReport, Event, ExportRequest, Measurement, Setup, TrainData,
};

use crate::context::Context;
use crate::plane;
use crate::sources::Split;

/// How long one tick (its training and its one read) should take: long enough that the
/// reads cost little, short enough that the views move and commands wait little.
pub const TICK_TARGET_MS: f64 = 80.0;
/// Most mini-batches in one tick.
const MAX_BATCHES_PER_TICK: usize = 2048;
/// How a tick ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tick {
    /// Go on training.
    Continue,
    /// Stop: the run finished, diverged or failed (already reported).
    Stop,
}

pub struct Job {
    pub setup: Setup,
    pub split: Split,
    pub trainer: Option<Trainer>,
    /// The plane's views (points and tables); images read the trainer directly.
    probe: Option<PlaneProbe>,
    pub active: BackendKind,
    /// Auto has yet to time the backends for this network (done on the next play or step).
    pub measure_pending: bool,
    /// The last weights read back and their epoch, to go on from if the device is lost.
    checkpoint: Option<(Vec<LayerParams>, usize)>,
    batches_per_tick: usize,
    /// Training time of the epoch under way, in milliseconds.
    epoch_ms: f64,
}

impl Job {
    pub fn new(setup: Setup, split: Split) -> Job {
        Job {
            setup,
            split,
            trainer: None,
            probe: None,
            active: BackendKind::Cpu,
            measure_pending: false,
            checkpoint: None,
            batches_per_tick: 1,
            epoch_ms: 0.0,
        }
    }

    fn augment(&self) -> Augment {
        // Features of the pretrained network are computed once per image: nothing to augment.
        if self.setup.data.is_images()
            && !matches!(
                self.setup.network.input,
                agora_engine::net::Input::Pretrained { .. }
            )
        {
            self.setup.augment
        } else {
            Augment::NONE
        }
    }

    /// A trainer for this job on `device` (from `params` or the seed's starting weights), on
    /// `split`'s samples.
    fn trainer(
        &self,
        device: &Device,
        split: &Split,
        params: Option<&[LayerParams]>,
    ) -> Result<Trainer, String> {
        let mut trainer = Trainer::with_augment(
            device,
            &self.setup.network,
            &split.train,
            &split.val,
            self.setup.recipe,
            params,
            self.setup.seed,
            self.augment(),
        )
        .map_err(|error| error.to_string())?;
        // The plane reads its losses over the whole sets through its probe; the running
        // ones would cost a fifth of the speed on its tiny networks.
        trainer.track_epoch_metrics(self.setup.data.is_images());
        Ok(trainer)
    }

    /// Builds the trainer on `kind`, going on from `resume` (weights, epoch and, when saved,
    /// the optimizer's state and the shuffle) when given,
    /// and reports it. Returns whether it trains.
    pub async fn launch(
        &mut self,
        context: &Context,
        kind: BackendKind,
        reason: String,
        measurement: Option<Measurement>,
        resume: Option<Checkpoint>,
    ) -> bool {
        self.trainer = None;
        self.probe = None;
        self.active = kind;
        context.emit(&Event::Backend {
            active: kind,
            measurement,
            reason,
        });
        let (device, limits) = context.device(kind);
        let network = &self.setup.network;
        let checked = infer_graph(network).and_then(|report| {
            check_limits(network, &report, self.setup.recipe.batch_size, limits)
        });
        if let Err(error) = checked {
            context.emit(&Event::Failed {
                message: format!(
                    "This network is too big for the {}: {}",
                    kind.label(),
                    error.message
                ),
            });
            return false;
        }
        let params = resume.as_ref().map(|resume| resume.params.as_slice());
        let built = self
            .trainer(&device, &self.split, params)
            .and_then(|trainer| {
                let probe = plane::probe(&trainer).map_err(|error| error.to_string())?;
                Ok((trainer, probe))
            });
        let (mut trainer, probe) = match built {
            Ok(built) => built,
            Err(message) => {
                context.emit(&Event::Failed { message });
                return false;
            }
        };
        if let Some(resume) = resume {
            trainer.resume_at(resume.epoch);
            // A state that does not fit (another optimizer, a changed network) is dropped:
            // training goes on from the weights with fresh moments.
            if let Some(state) = &resume.optimizer
                && trainer.restore_optimizer(state).is_err()
            {
                web_sys::console::warn_1(&"Agora: the saved optimizer state did not fit".into());
            }
        }
        self.epoch_ms = 0.0;
        context.emit(&Event::Progress {
            done: 0,
            total: trainer.batches_per_epoch(),
        });
        self.trainer = Some(trainer);
        self.probe = probe;
        if self.probe.is_some() {
            return self.publish(context).await.is_some();
        }
        true
    }

    /// The weights to go on from on another backend: read from the device, or (when it is
    /// lost) the last ones read back.
    pub async fn weights(&self) -> Option<Checkpoint> {
        if let Some(trainer) = &self.trainer
            && let Ok(params) = trainer.params().await
        {
            return Some(Checkpoint {
                params,
                epoch: trainer.epoch(),
                optimizer: trainer.optimizer_state().await.ok(),
            });
        }
        self.checkpoint.clone().map(|(params, epoch)| Checkpoint {
            params,
            epoch,
            optimizer: None,
        })
    }

    /// The trained network exported as one zip (`engine::export::bundle`), with the scores
    /// this model gives a few validation samples for other tools to be held to, and its file
    /// name.
    pub async fn export(&self, request: &ExportRequest) -> Result<(Vec<u8>, String), String> {
        let trainer = self
            .trainer
            .as_ref()
            .ok_or("There is no trained network to export yet.")?;
        let params = trainer.params().await.map_err(|error| error.to_string())?;
        let check = trainer
            .export_check(&self.split.val)
            .await
            .map_err(|error| error.to_string())?;
        let table = match &self.setup.data {
            TrainData::Table(table) => Some(table.as_ref()),
            _ => None,
        };
        let model = ExportModel {
            title: request.title.clone(),
            network: trainer.network(),
            params: &params,
            recipe: trainer.recipe(),
            augment: self.augment(),
            seed: self.setup.seed,
            epochs_trained: trainer.epoch(),
            steps: trainer.batches_done() as u64,
            class_names: table.map_or_else(
                || request.class_names.clone(),
                |table| table.class_names.clone(),
            ),
            columns: table.map_or_else(Vec::new, |table| table.feature_names.clone()),
            check: Some(check),
            scaling: table.map(|table| Scaling {
                means: table.means.clone(),
                deviations: table.deviations.clone(),
                label: table.label_scale,
            }),
            data: request.data.then_some((&self.split.train, &self.split.val)),
        };
        let bytes = bundle(&model).map_err(|error| format!("The export failed: {error}."))?;
        let name: String = request
            .title
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        Ok((
            bytes,
            format!(
                "agora-{}-epoch-{}-export.zip",
                name.trim_matches('-'),
                trainer.epoch()
            ),
        ))
    }

    /// Milliseconds per epoch of this job on `device`: two warm-up mini-batches (they compile
    /// the GPU kernels), then four timed ones, each group followed by a read so the queued
    /// GPU work is counted.
    pub async fn time_epoch(&self, context: &Context, device: &Device) -> Result<f64, String> {
        const WARM_UP: usize = 2;
        const TIMED: usize = 4;
        let recipe = self.setup.recipe;
        let probe = self.split.probe(recipe.batch_size, WARM_UP + TIMED);
        let mut trainer = self.trainer(device, &probe, None)?;
        let batches_per_epoch = self
            .split
            .train
            .len()
            .div_ceil(recipe.batch_size.clamp(1, self.split.train.len().max(1)));
        for _ in 0..WARM_UP {
            trainer.train_batches(1);
        }
        trainer.sync().await.map_err(|error| error.to_string())?;
        let start = context.now();
        for _ in 0..TIMED {
            trainer.train_batches(1);
        }
        trainer.sync().await.map_err(|error| error.to_string())?;
        #[allow(clippy::cast_precision_loss)] // batch counts are small
        Ok((context.now() - start) / TIMED as f64 * batches_per_epoch as f64)
    }

    /// Reads and posts the plane's snapshot.
    async fn publish(&mut self, context: &Context) -> Option<Snapshot> {
        let (trainer, probe) = (self.trainer.as_ref()?, self.probe.as_ref()?);
        match probe.read(trainer).await {
            Ok(snapshot) => {
                if let Some(params) =
                    plane::params_from_dense(&self.setup.network, &snapshot.layers)
                {
                    self.checkpoint = Some((params, snapshot.epoch));
                }
                context.emit(&Event::Snapshot(Box::new(snapshot.clone())));
                Some(snapshot)
            }
            Err(error) => {
                self.fail(context, &error.to_string());
                None
            }
        }
    }

    /// Reports a lost or failing device.
    fn fail(&self, context: &Context, error: &str) {
        let message = match self.active {
            BackendKind::WebGpu => format!(
                "The GPU stopped answering ({error}). Choose CPU under Backend to go on from the last weights it reported."
            ),
            BackendKind::Cpu => error.to_owned(),
        };
        context.emit(&Event::Failed { message });
    }

    /// One tick: trains about [`TICK_TARGET_MS`] worth of mini-batches (whole epochs for the
    /// plane, whose views draw each epoch; to the end of the epoch when `stepping`), reads
    /// once (the plane's snapshot, or a sync), and reports; after an epoch of images, its
    /// metrics. The number of batches per tick doubles or halves to keep to the target.
    pub async fn tick(&mut self, context: &Context, stepping: bool) -> Tick {
        let Some(trainer) = self.trainer.as_mut() else {
            return Tick::Stop;
        };
        let start = context.now();
        let per_epoch = trainer.batches_per_epoch().max(1);
        // The recipe's last epoch (a playground that trains until paused has none).
        let last_epoch = trainer.recipe().epochs;
        let (trained, finished) = if self.probe.is_some() {
            let epochs = if stepping {
                1
            } else {
                self.batches_per_tick.div_ceil(per_epoch)
            }
            .min(last_epoch.saturating_sub(trainer.epoch()).max(1));
            for _ in 0..epochs {
                while !trainer.train_batches(usize::MAX) {}
            }
            (epochs * per_epoch, true)
        } else {
            let before = trainer.batches_done();
            let budget = if stepping {
                usize::MAX
            } else {
                self.batches_per_tick
            };
            let finished = trainer.train_batches(budget);
            let after = if finished {
                per_epoch
            } else {
                trainer.batches_done()
            };
            (after.saturating_sub(before), finished)
        };
        let outcome = if self.probe.is_some() {
            match self.publish(context).await {
                Some(snapshot) if !snapshot.is_finite() => {
                    context.emit(&Event::Diverged {
                        epoch: snapshot.epoch,
                    });
                    Tick::Stop
                }
                Some(snapshot) if snapshot.epoch >= last_epoch => {
                    context.emit(&Event::Finished);
                    Tick::Stop
                }
                Some(_) => Tick::Continue,
                None => Tick::Stop,
            }
        } else {
            Tick::Continue
        };
        if self.probe.is_none()
            && let Some(trainer) = self.trainer.as_ref()
            && let Err(error) = trainer.sync().await
        {
            self.fail(context, &error.to_string());
            return Tick::Stop;
        }
        let elapsed = context.now() - start;
        self.epoch_ms += elapsed;
        if !stepping {
            let base = trained.max(self.batches_per_tick);
            if elapsed < TICK_TARGET_MS / 2.0 {
                self.batches_per_tick = (base * 2).min(MAX_BATCHES_PER_TICK);
            } else if elapsed > TICK_TARGET_MS * 2.0 {
                self.batches_per_tick = (base / 2).max(1);
            }
        }
        if self.probe.is_some() || outcome == Tick::Stop {
            return outcome;
        }
        self.report_images(context, finished).await
    }

    /// Progress, and after an epoch its metrics (and a checkpoint of the weights).
    async fn report_images(&mut self, context: &Context, finished: bool) -> Tick {
        let Some(trainer) = self.trainer.as_mut() else {
            return Tick::Stop;
        };
        let total = trainer.batches_per_epoch();
        context.emit(&Event::Progress {
            done: if finished {
                total
            } else {
                trainer.batches_done()
            },
            total,
        });
        if !finished {
            return Tick::Continue;
        }
        let metrics = match trainer.epoch_metrics().await {
            Ok(metrics) => metrics,
            Err(error) => {
                self.fail(context, &error.to_string());
                return Tick::Stop;
            }
        };
        let seconds = self.epoch_ms / 1000.0;
        self.epoch_ms = 0.0;
        #[allow(clippy::cast_precision_loss)]
        let samples_per_second = trainer.train_count() as f64 / seconds.max(1e-9);
        let diverged = !metrics.train_loss.is_finite() || !metrics.val_loss.is_finite();
        let (epoch, done) = (metrics.epoch, metrics.epoch >= trainer.recipe().epochs);
        context.emit(&Event::Epoch(EpochReport {
            metrics,
            train_seconds: seconds,
            samples_per_second,
        }));
        if diverged {
            context.emit(&Event::Diverged { epoch });
            return Tick::Stop;
        }
        if let Ok(params) = trainer.params().await {
            self.checkpoint = Some((params, epoch));
        }
        if done {
            context.emit(&Event::Finished);
            return Tick::Stop;
        }
        Tick::Continue
    }
}
