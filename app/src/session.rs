//! Live training state: what the worker last reported about the project on screen. Kept
//! apart from the document so a loss tick re-renders the charts, not the builder. Changed only
//! by [`Session::apply`], tested natively.
//!
//! The playground and the image classifier are two projects the page keeps; the worker trains
//! the one on screen and puts the other aside. So does the session: [`SessionAction::Switch`]
//! parks what it shows and brings back what the other project had.

use std::rc::Rc;

use agora_engine::snapshot::Snapshot;

use crate::protocol::{
    BackendKind, EpochReport, EvaluationReport, Event, Inspection, Measurement, PretrainedStatus,
};
use crate::runs::{EpochRow, RunAction, RunBook};
use crate::speed::SpeedSession;

/// Most points kept in the loss chart; older ones are thinned to every other.
pub const MAX_HISTORY: usize = 600;

pub use crate::reports::{LossPoint, RunHistory};

/// What the worker is doing.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Status {
    /// The worker has not said it is ready.
    #[default]
    Starting,
    /// Loading the samples (the digits, the person's images).
    Loading,
    Paused,
    Measuring,
    Running,
    /// The run reached its last epoch.
    Finished,
    /// The loss became NaN or infinite at this epoch.
    Diverged {
        epoch: usize,
    },
    Failed {
        message: String,
    },
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Session {
    pub status: Status,
    pub webgpu: Option<Result<String, String>>,
    pub backend: Option<BackendKind>,
    pub backend_reason: String,
    pub measurement: Option<Measurement>,
    /// The loss chart: one point per snapshot (the plane) or per epoch (images).
    pub history: Vec<LossPoint>,
    /// Every finished epoch's metrics (images).
    pub epochs: Vec<EpochReport>,
    /// Steps done in the current epoch, and how many it has.
    pub progress: (usize, usize),
    /// Samples that train and that validate.
    pub data: Option<(usize, usize)>,
    /// What the plane's views draw.
    pub snapshot: Option<Rc<Snapshot>>,
    /// The latest "try it" result.
    pub prediction: Option<Result<Vec<f32>, String>>,
    pub inspection: Option<Rc<Inspection>>,
    pub evaluation: Option<Rc<EvaluationReport>>,
    /// The speed test's figures.
    pub speed: SpeedSession,
    /// What the other project showed, while this one is on screen.
    pub parked: Option<Box<Session>>,
    /// A switch was asked for and the worker has not confirmed it: reports still in flight
    /// are about the project put aside, so they are dropped.
    pub switching: bool,
    /// What saving, opening or keeping the project last did.
    pub notice: Option<Notice>,
    /// The curves and epochs of a saved run being restored: shown once the worker has its
    /// samples (its `Data` event would clear them otherwise).
    pub resuming: Option<RunHistory>,
    /// This project's recorded runs.
    pub runs: RunBook,
    /// The page's clock (ms since 1970) when the latest worker event arrived.
    pub now_ms: f64,
    /// The pretrained network's weights (loading, ready, failed) — the worker's, not a
    /// project's, so it stays across a switch.
    pub pretrained: Option<PretrainedStatus>,
    /// Its work on the person's images (embedding, embedded).
    pub features: Option<PretrainedStatus>,
    /// A long task under way (saving the project, exporting the model), for its progress bar;
    /// cleared by the notice that says how it went.
    pub working: Option<String>,
    /// What the pretrained network saw in the latest "try it" image: ImageNet's top five.
    pub seen: Option<Vec<(String, f32)>>,
}

/// What saving, opening or keeping a project did, for the project bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    /// Whether something went wrong (shown as an alert).
    pub problem: bool,
}

/// What changes the session: the worker's events, and what the page does.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionAction {
    Worker(Event),
    /// The network or data changed: forget the old run's curves.
    Restarted,
    /// The worker itself crashed or could not load.
    WorkerCrashed(String),
    /// The user pressed pause: show it at once; the worker stops after its current tick (which
    /// can take seconds on a slow GPU) and confirms.
    PauseRequested,
    /// The page asked for a speed test.
    SpeedStarted,
    /// The page shows the other project: park this one's reports, bring the other's back.
    Switch,
    /// Say what saving, opening or keeping the project did (or clear it).
    Notice(Option<Notice>),
    /// A long task started (its words, for the progress bar); its notice ends it.
    Working(String),
    /// A saved run is being restored: its curves and epochs come back with its data.
    Resume(RunHistory),
    /// Something for the run book (a run began, a label, a deletion…).
    Runs(RunAction),
    /// The time now (ms since 1970), sent before each worker event.
    Clock(f64),
    /// The runs of the project put aside (kept in this browser, read back at start).
    ParkedRuns(RunBook),
}

impl Session {
    /// What a saved project keeps of this run.
    pub fn run_history(&self) -> RunHistory {
        RunHistory {
            epochs: self.epochs.clone(),
            losses: self.history.clone(),
        }
    }

    pub fn epoch(&self) -> usize {
        self.snapshot.as_ref().map_or_else(
            || self.epochs.last().map_or(0, |report| report.metrics.epoch),
            |snapshot| snapshot.epoch,
        )
    }

    /// Whether the worker is listening and not busy failing.
    pub fn ready(&self) -> bool {
        !matches!(self.status, Status::Starting | Status::Failed { .. })
    }

    pub fn running(&self) -> bool {
        self.status == Status::Running
    }

    pub fn last(&self) -> Option<&EpochReport> {
        self.epochs.last()
    }

    /// What went wrong, for the user: a failure, or a divergence.
    pub fn problem(&self) -> Option<String> {
        match &self.status {
            Status::Failed { message } => Some(message.clone()),
            Status::Diverged { epoch } => Some(format!(
                "Training diverged in epoch {epoch}: the loss became NaN or infinite, so training paused. Lower the learning rate or turn on gradient clipping, then press Reset."
            )),
            _ => None,
        }
    }

    #[must_use]
    pub fn apply(mut self, action: SessionAction) -> Session {
        match action {
            SessionAction::Restarted => {
                self.history.clear();
                self.epochs.clear();
                self.snapshot = None;
                self.inspection = None;
                self.evaluation = None;
                self.progress = (0, 0);
                if matches!(
                    self.status,
                    Status::Running | Status::Diverged { .. } | Status::Finished
                ) {
                    self.status = Status::Paused;
                }
            }
            SessionAction::WorkerCrashed(message) => {
                self.status = Status::Failed { message };
            }
            SessionAction::PauseRequested => {
                if matches!(self.status, Status::Running | Status::Measuring) {
                    self.status = Status::Paused;
                }
            }
            SessionAction::SpeedStarted => self.speed = std::mem::take(&mut self.speed).started(),
            SessionAction::Switch => return self.switched(),
            SessionAction::Notice(notice) => {
                self.notice = notice;
                self.working = None;
            }
            SessionAction::Working(what) => self.working = Some(what),
            SessionAction::Resume(history) => self.resuming = Some(history),
            SessionAction::Runs(action) => self.runs = std::mem::take(&mut self.runs).apply(action),
            SessionAction::Clock(now) => self.now_ms = now,
            SessionAction::ParkedRuns(book) => {
                let parked = self.parked.get_or_insert_with(Box::default);
                parked.runs = RunBook::default().apply(RunAction::Load(Box::new(book)));
            }
            SessionAction::Worker(event) => {
                if !self.switching {
                    self.record(&event);
                }
                self.apply_event(event);
            }
        }
        self
    }

    /// This project's reports parked, the other's back (or none yet); what belongs to the
    /// page rather than a project (WebGPU, the speed test, a crashed worker) stays.
    fn switched(mut self) -> Session {
        let back = self
            .parked
            .take()
            .map_or_else(Session::default, |parked| *parked);
        let worker_ready = self.webgpu.is_some();
        // Before the worker is ready nothing is sent, so no confirmation will come.
        let mut shown = Session {
            webgpu: self.webgpu.take(),
            speed: std::mem::take(&mut self.speed),
            pretrained: self.pretrained.take(),
            switching: worker_ready,
            ..back
        };
        if !worker_ready {
            // Still starting, or the worker itself failed: that is the page's, not a project's.
            shown.status = self.status.clone();
        } else if matches!(
            shown.status,
            Status::Starting | Status::Running | Status::Measuring | Status::Loading
        ) {
            shown.status = Status::Paused;
        }
        self.switching = false;
        if matches!(self.status, Status::Running | Status::Measuring) {
            self.status = Status::Paused;
        }
        shown.parked = Some(Box::new(self));
        shown
    }

    /// What the run book takes from a worker event.
    fn record(&mut self, event: &Event) {
        let action = match event {
            Event::Data { train, val, counts } => RunAction::Data {
                train: *train,
                val: *val,
                counts: counts.clone(),
            },
            Event::Backend { active, .. } => RunAction::Backend(active.label().to_owned()),
            Event::Running(running) => RunAction::Running(*running, self.now_ms),
            Event::Epoch(report) => RunAction::Row(EpochRow::from_report(report)),
            Event::Snapshot(snapshot) => RunAction::Row(EpochRow::from_snapshot(snapshot)),
            _ => return,
        };
        self.runs = std::mem::take(&mut self.runs).apply(action);
    }

    fn apply_event(&mut self, event: Event) {
        if self.switching
            && !matches!(
                event,
                Event::Ready { .. }
                    | Event::Speed(_)
                    | Event::Switched
                    | Event::Pretrained(
                        PretrainedStatus::Loading { .. } | PretrainedStatus::Ready { .. }
                    )
            )
        {
            return;
        }
        match event {
            Event::Ready { webgpu } => {
                self.webgpu = Some(webgpu);
                self.status = Status::Paused;
            }
            Event::Switched => self.switching = false,
            Event::Loading => self.status = Status::Loading,
            Event::Data { train, val, .. } => {
                self.status = Status::Paused;
                self.data = Some((train, val));
                self.inspection = None;
                self.evaluation = None;
                let resumed = self.resuming.take().unwrap_or_default();
                self.epochs = resumed.epochs;
                self.history = resumed.losses;
                self.progress = (0, 0);
            }
            Event::Measuring => self.status = Status::Measuring,
            Event::Backend {
                active,
                measurement,
                reason,
            } => {
                self.backend = Some(active);
                self.backend_reason = reason;
                // A new backend is a fresh start after a failure (a lost GPU, say).
                if matches!(self.status, Status::Failed { .. } | Status::Measuring) {
                    self.status = Status::Paused;
                }
                if measurement.is_some() {
                    self.measurement = measurement;
                }
            }
            Event::Running(true) => self.status = Status::Running,
            // Pausing keeps a divergence, failure or finish on screen until the user acts.
            Event::Running(false) => {
                if matches!(
                    self.status,
                    Status::Running | Status::Measuring | Status::Starting | Status::Loading
                ) {
                    self.status = Status::Paused;
                }
            }
            Event::Progress { done, total } => self.progress = (done, total),
            Event::Snapshot(snapshot) => self.add_snapshot(*snapshot),
            Event::Epoch(report) => {
                let metrics = report.metrics.clone();
                self.epochs.retain(|old| old.metrics.epoch < metrics.epoch);
                self.history.retain(|point| point.epoch < metrics.epoch);
                if metrics.train_loss.is_finite() && metrics.val_loss.is_finite() {
                    self.history.push(LossPoint {
                        epoch: metrics.epoch,
                        train_loss: metrics.train_loss,
                        test_loss: metrics.val_loss,
                    });
                }
                self.epochs.push(report);
            }
            Event::Finished => self.status = Status::Finished,
            Event::Diverged { epoch } => self.status = Status::Diverged { epoch },
            Event::Failed { message } => self.status = Status::Failed { message },
            Event::Prediction(prediction) => self.prediction = Some(prediction),
            Event::Seen(top) => self.seen = Some(top),
            Event::Pretrained(status) => match status {
                PretrainedStatus::Embedding { .. } | PretrainedStatus::Embedded { .. } => {
                    self.features = Some(status);
                }
                PretrainedStatus::Loading { .. }
                | PretrainedStatus::Ready { .. }
                | PretrainedStatus::Failed(_) => self.pretrained = Some(status),
            },
            Event::Inspection(inspection) => self.inspection = Some(Rc::from(inspection)),
            Event::Evaluation(report) => self.evaluation = Some(Rc::from(report)),
            Event::Speed(event) => self.speed = std::mem::take(&mut self.speed).apply(event),
            // The page's project file code takes the weights (they are not a report to show).
            Event::Weights(_) | Event::Exported(_) => {}
        }
    }

    fn add_snapshot(&mut self, snapshot: Snapshot) {
        if snapshot.epoch == 0
            || self
                .history
                .last()
                .is_some_and(|last| last.epoch >= snapshot.epoch)
        {
            self.history.retain(|point| point.epoch < snapshot.epoch);
        }
        if snapshot.is_finite() {
            self.history.push(LossPoint {
                epoch: snapshot.epoch,
                train_loss: snapshot.train_loss,
                test_loss: snapshot.test_loss,
            });
        }
        if self.history.len() > MAX_HISTORY {
            let keep_last = self.history.pop();
            let thinned = self.history.iter().copied().step_by(2).collect();
            self.history = thinned;
            self.history.extend(keep_last);
        }
        self.snapshot = Some(Rc::new(snapshot));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_task_shows_until_its_notice() {
        let working =
            Session::default().apply(SessionAction::Working("Saving the project…".into()));
        assert_eq!(working.working.as_deref(), Some("Saving the project…"));
        let done = working.apply(SessionAction::Notice(Some(Notice {
            text: "Saved".into(),
            problem: false,
        })));
        assert_eq!(done.working, None);
        assert_eq!(done.notice.map(|n| n.text).as_deref(), Some("Saved"));
    }

    fn snapshot(epoch: usize, loss: f32) -> Event {
        Event::Snapshot(Box::new(Snapshot {
            epoch,
            train_loss: loss,
            test_loss: loss,
            train_accuracy: Some(0.5),
            test_accuracy: Some(0.5),
            test_logits: vec![],
            test_labels: vec![],
            output_grid: vec![],
            neuron_grids: vec![],
            layers: vec![],
        }))
    }

    #[test]
    fn snapshots_build_the_loss_curve_and_restart_clears_it() {
        let session = Session::default()
            .apply(SessionAction::Worker(Event::Ready {
                webgpu: Err("none".into()),
            }))
            .apply(SessionAction::Worker(snapshot(0, 0.7)))
            .apply(SessionAction::Worker(Event::Running(true)))
            .apply(SessionAction::Worker(snapshot(1, 0.5)))
            .apply(SessionAction::Worker(snapshot(2, 0.4)));
        assert_eq!(session.status, Status::Running);
        assert_eq!(session.epoch(), 2);
        let losses: Vec<f32> = session.history.iter().map(|p| p.train_loss).collect();
        assert_eq!(losses, [0.7, 0.5, 0.4]);
        let session = session.apply(SessionAction::Restarted);
        assert!(session.history.is_empty());
        assert_eq!(session.status, Status::Paused);
        // A reset run starts at epoch 0 again and replaces the old curve.
        let session = session
            .apply(SessionAction::Worker(snapshot(5, 0.3)))
            .apply(SessionAction::Worker(snapshot(0, 0.9)));
        assert_eq!(session.history.len(), 1);
    }

    #[test]
    fn pause_shows_at_once_and_late_snapshots_still_land() {
        let session = Session::default()
            .apply(SessionAction::Worker(Event::Running(true)))
            .apply(SessionAction::PauseRequested);
        assert_eq!(session.status, Status::Paused);
        let session = session
            .apply(SessionAction::Worker(snapshot(3, 0.2)))
            .apply(SessionAction::Worker(Event::Running(false)));
        assert_eq!(session.status, Status::Paused);
        assert_eq!(session.epoch(), 3);
        let failed = Session {
            status: Status::Failed {
                message: "lost".into(),
            },
            ..Session::default()
        }
        .apply(SessionAction::PauseRequested);
        assert!(
            matches!(failed.status, Status::Failed { .. }),
            "a failure stays on screen"
        );
    }

    #[test]
    fn divergence_keeps_the_finite_curve() {
        let session = Session::default()
            .apply(SessionAction::Worker(snapshot(1, 0.5)))
            .apply(SessionAction::Worker(snapshot(2, f32::NAN)))
            .apply(SessionAction::Worker(Event::Diverged { epoch: 2 }))
            .apply(SessionAction::Worker(Event::Running(false)));
        assert_eq!(session.history.len(), 1);
        assert_eq!(session.status, Status::Diverged { epoch: 2 });
    }

    #[test]
    fn long_runs_are_thinned_not_truncated() {
        let mut session = Session::default();
        for epoch in 0..=(MAX_HISTORY * 3) {
            session = session.apply(SessionAction::Worker(snapshot(epoch, 1.0)));
        }
        assert!(session.history.len() <= MAX_HISTORY);
        assert_eq!(session.history.first().map(|p| p.epoch), Some(0));
        assert_eq!(
            session.history.last().map(|p| p.epoch),
            Some(MAX_HISTORY * 3)
        );
    }

    fn report(epoch: usize, loss: f32) -> Event {
        Event::Epoch(EpochReport {
            metrics: agora_engine::recipe::EpochMetrics {
                epoch,
                train_loss: loss,
                train_accuracy: 0.5,
                val_loss: loss,
                val_accuracy: 0.5,
                learning_rate: 0.01,
            },
            train_seconds: 1.0,
            samples_per_second: 8000.0,
        })
    }

    #[test]
    fn epochs_build_the_table_and_the_curve_and_divergence_says_what_to_do() {
        let session = Session::default()
            .apply(SessionAction::Worker(Event::Ready {
                webgpu: Err("none".into()),
            }))
            .apply(SessionAction::Worker(Event::Loading))
            .apply(SessionAction::Worker(Event::Data {
                train: 8000,
                val: 2000,
                counts: vec![],
            }))
            .apply(SessionAction::Worker(Event::Running(true)))
            .apply(SessionAction::Worker(report(1, 0.5)));
        assert_eq!(session.status, Status::Running);
        assert_eq!((session.epochs.len(), session.history.len()), (1, 1));
        assert_eq!(session.epoch(), 1);
        assert_eq!(session.problem(), None);
        let diverged = session
            .clone()
            .apply(SessionAction::Worker(report(2, f32::NAN)))
            .apply(SessionAction::Worker(Event::Diverged { epoch: 2 }))
            .apply(SessionAction::Worker(Event::Running(false)));
        assert_eq!(diverged.epochs.len(), 2);
        assert_eq!(diverged.history.len(), 1, "the curve keeps finite losses");
        assert!(diverged.problem().is_some_and(
            |m| m.contains("diverged in epoch 2") && m.contains("Lower the learning rate")
        ));
        let finished = session
            .apply(SessionAction::Worker(Event::Finished))
            .apply(SessionAction::Worker(Event::Running(false)));
        assert_eq!(
            finished.status,
            Status::Finished,
            "a finish stays on screen"
        );
        let restarted = finished.apply(SessionAction::Worker(Event::Data {
            train: 10,
            val: 5,
            counts: vec![],
        }));
        assert!(restarted.epochs.is_empty() && restarted.status == Status::Paused);
    }

    #[test]
    fn a_restored_run_shows_its_epochs_once_the_data_are_in_and_only_then() {
        let trained = Session::default()
            .apply(SessionAction::Worker(Event::Data {
                train: 80,
                val: 20,
                counts: vec![],
            }))
            .apply(SessionAction::Worker(report(1, 0.5)))
            .apply(SessionAction::Worker(report(2, 0.4)));
        let history = trained.run_history();
        assert_eq!(history.epochs.len(), 2);
        let restored = Session::default()
            .apply(SessionAction::Restarted)
            .apply(SessionAction::Resume(history.clone()));
        assert!(
            restored.epochs.is_empty(),
            "not before the worker has the data"
        );
        let restored = restored.apply(SessionAction::Worker(Event::Data {
            train: 80,
            val: 20,
            counts: vec![],
        }));
        assert_eq!(restored.run_history(), history);
        assert_eq!(restored.epoch(), 2);
        let next = restored.apply(SessionAction::Worker(report(3, 0.3)));
        assert_eq!(
            next.epochs.len(),
            3,
            "training goes on after the restored epochs"
        );
        let fresh = next.apply(SessionAction::Worker(Event::Data {
            train: 80,
            val: 20,
            counts: vec![],
        }));
        assert!(
            fresh.epochs.is_empty(),
            "a later restart starts a new curve"
        );
    }

    #[test]
    fn switching_parks_one_projects_reports_and_brings_the_others_back() {
        let playground = Session::default()
            .apply(SessionAction::Worker(Event::Ready {
                webgpu: Ok("gpu".into()),
            }))
            .apply(SessionAction::Worker(Event::Running(true)))
            .apply(SessionAction::Worker(snapshot(7, 0.3)));
        let images = playground.apply(SessionAction::Switch);
        assert!(images.switching);
        assert_eq!(images.status, Status::Paused, "the worker is ready");
        assert_eq!(images.epoch(), 0, "nothing trained on images yet");
        assert_eq!(
            images.webgpu,
            Some(Ok("gpu".into())),
            "WebGPU is the page's"
        );
        // A snapshot in flight from the playground does not land on the image project.
        let images = images
            .apply(SessionAction::Worker(snapshot(8, 0.2)))
            .apply(SessionAction::Worker(Event::Switched))
            .apply(SessionAction::Worker(Event::Data {
                train: 80,
                val: 20,
                counts: vec![],
            }))
            .apply(SessionAction::Worker(report(1, 0.9)));
        assert_eq!((images.snapshot.as_ref(), images.epochs.len()), (None, 1));
        let back = images.apply(SessionAction::Switch);
        assert_eq!(back.epoch(), 7);
        assert_eq!(back.status, Status::Paused, "parked while running: paused");
        assert_eq!(back.history.len(), 1);
        let again = back
            .apply(SessionAction::Worker(Event::Switched))
            .apply(SessionAction::Switch);
        assert_eq!((again.epochs.len(), again.data), (1, Some((80, 20))));
        // Before the worker is ready, both projects say it is starting.
        let starting = Session::default().apply(SessionAction::Switch);
        assert_eq!(starting.status, Status::Starting);
    }
}
