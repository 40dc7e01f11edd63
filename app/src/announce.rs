//! What the page's live region says about training, for screen readers: the state, and the
//! progress in steps a listener can follow (each epoch of images; every 50 epochs of the
//! playground, which runs hundreds a minute), never the figures of every tick.

use crate::session::{Session, Status};

/// Playground epochs between two announcements while it trains.
const PLANE_EVERY: usize = 50;

pub fn announcement(session: &Session, images: bool) -> String {
    let epoch = session.epoch();
    match &session.status {
        Status::Starting => "Starting the training worker.".to_owned(),
        Status::Loading => "Loading the data.".to_owned(),
        Status::Measuring => "Timing the CPU and WebGPU to choose the faster.".to_owned(),
        Status::Failed { message } => format!("Training stopped: {message}"),
        Status::Diverged { epoch } => {
            format!("Training diverged at epoch {epoch} and paused: lower the learning rate.")
        }
        Status::Finished => match latest_accuracy(session, images) {
            Some(accuracy) => {
                format!("Training finished at epoch {epoch}: test accuracy {accuracy}.")
            }
            None => format!("Training finished at epoch {epoch}."),
        },
        Status::Paused if epoch == 0 => "Ready to train.".to_owned(),
        Status::Paused => match latest_accuracy(session, images) {
            Some(accuracy) => format!("Paused at epoch {epoch}: test accuracy {accuracy}."),
            None => format!("Paused at epoch {epoch}."),
        },
        Status::Running if images => match latest_accuracy(session, true) {
            Some(accuracy) => {
                format!("Training: epoch {epoch} done, validation accuracy {accuracy}.")
            }
            None => "Training the first epoch.".to_owned(),
        },
        Status::Running => format!("Training: epoch {}.", epoch / PLANE_EVERY * PLANE_EVERY),
    }
}

fn latest_accuracy(session: &Session, images: bool) -> Option<String> {
    let share = if images {
        session.epochs.last().map(|e| e.metrics.val_accuracy)
    } else {
        session.snapshot.as_ref().and_then(|s| s.test_accuracy)
    };
    share
        .filter(|a| a.is_finite())
        .map(|a| format!("{:.1} %", a * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::EpochReport;
    use agora_engine::recipe::EpochMetrics;

    fn epoch(n: usize, accuracy: f32) -> EpochReport {
        EpochReport {
            metrics: EpochMetrics {
                epoch: n,
                train_loss: 0.5,
                train_accuracy: 0.8,
                val_loss: 0.4,
                val_accuracy: accuracy,
                learning_rate: 0.001,
            },
            train_seconds: 1.0,
            samples_per_second: 100.0,
        }
    }

    #[test]
    fn it_says_each_epoch_of_images_and_the_state() {
        let mut session = Session::default();
        assert_eq!(
            announcement(&session, true),
            "Starting the training worker."
        );
        session.status = Status::Running;
        assert_eq!(announcement(&session, true), "Training the first epoch.");
        session.epochs.push(epoch(1, 0.912));
        assert_eq!(
            announcement(&session, true),
            "Training: epoch 1 done, validation accuracy 91.2 %."
        );
        session.status = Status::Finished;
        assert_eq!(
            announcement(&session, true),
            "Training finished at epoch 1: test accuracy 91.2 %."
        );
        session.status = Status::Diverged { epoch: 3 };
        assert!(announcement(&session, true).contains("diverged at epoch 3"));
    }

    #[test]
    fn the_playground_is_announced_every_fifty_epochs() {
        let mut session = Session {
            status: Status::Running,
            ..Session::default()
        };
        session.epochs.push(epoch(73, 0.5));
        assert_eq!(announcement(&session, false), "Training: epoch 50.");
        session.epochs.push(epoch(99, 0.5));
        assert_eq!(announcement(&session, false), "Training: epoch 50.");
        session.epochs.push(epoch(100, 0.5));
        assert_eq!(announcement(&session, false), "Training: epoch 100.");
    }
}
