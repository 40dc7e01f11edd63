//! Live training state: what the worker last reported. Kept apart from the document so a loss
//! tick re-renders the charts, not the builder. Changed only by [`Session::apply`], tested
//! natively.

use std::rc::Rc;

use agora_engine::snapshot::Snapshot;

use crate::lab::LabSession;
use crate::protocol::{BackendKind, Event, Measurement};
use crate::speed::SpeedSession;

/// Most points kept in the loss chart; older ones are thinned to every other.
pub const MAX_HISTORY: usize = 600;

/// One point of the loss chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossPoint {
    pub epoch: usize,
    pub train_loss: f32,
    pub test_loss: f32,
}

/// What the worker is doing.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Status {
    /// The worker has not said it is ready.
    #[default]
    Starting,
    Paused,
    Measuring,
    Running,
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
    pub history: Vec<LossPoint>,
    pub snapshot: Option<Rc<Snapshot>>,
    /// The image lab's training.
    pub lab: LabSession,
    /// The speed test's figures.
    pub speed: SpeedSession,
}

/// What changes the session: the worker's events, and a restart from the page.
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
}

impl Session {
    pub fn epoch(&self) -> usize {
        self.snapshot.as_ref().map_or(0, |snapshot| snapshot.epoch)
    }

    /// Whether the worker is listening and not busy failing.
    pub fn ready(&self) -> bool {
        !matches!(self.status, Status::Starting | Status::Failed { .. })
    }

    #[must_use]
    pub fn apply(mut self, action: SessionAction) -> Session {
        match action {
            SessionAction::Restarted => {
                self.history.clear();
                self.snapshot = None;
                if matches!(self.status, Status::Running | Status::Diverged { .. }) {
                    self.status = Status::Paused;
                }
            }
            SessionAction::WorkerCrashed(message) => {
                self.status = Status::Failed { message };
            }
            SessionAction::PauseRequested => {
                if self.status == Status::Running {
                    self.status = Status::Paused;
                }
            }
            SessionAction::SpeedStarted => self.speed = std::mem::take(&mut self.speed).started(),
            SessionAction::Worker(event) => self.apply_event(event),
        }
        self
    }

    fn apply_event(&mut self, event: Event) {
        match event {
            Event::Ready { webgpu } => {
                self.webgpu = Some(webgpu);
                self.status = Status::Paused;
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
                if matches!(self.status, Status::Failed { .. }) {
                    self.status = Status::Paused;
                }
                if measurement.is_some() {
                    self.measurement = measurement;
                }
            }
            Event::Running(true) => self.status = Status::Running,
            // Pausing keeps a divergence or failure on screen until the user acts on it.
            Event::Running(false) => {
                if matches!(
                    self.status,
                    Status::Running | Status::Measuring | Status::Starting
                ) {
                    self.status = Status::Paused;
                }
            }
            Event::Snapshot(snapshot) => {
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
                self.snapshot = Some(Rc::new(*snapshot));
            }
            Event::Diverged { epoch } => self.status = Status::Diverged { epoch },
            Event::Failed { message } => self.status = Status::Failed { message },
            Event::Lab(event) => self.lab = std::mem::take(&mut self.lab).apply(event),
            Event::Speed(event) => self.speed = std::mem::take(&mut self.speed).apply(event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
