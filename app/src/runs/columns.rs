//! The Runs table's columns and its order: any metric, ascending or descending, runs without
//! a value last either way.

use std::cmp::Ordering;
use std::rc::Rc;

use super::RunRecord;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Run,
    Label,
    Started,
    Seconds,
    LearningRate,
    Epochs,
    TrainLoss,
    TestLoss,
    TrainAccuracy,
    TestAccuracy,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::Run,
        Column::Label,
        Column::Started,
        Column::Seconds,
        Column::LearningRate,
        Column::Epochs,
        Column::TrainLoss,
        Column::TestLoss,
        Column::TrainAccuracy,
        Column::TestAccuracy,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Column::Run => "Run",
            Column::Label => "Label",
            Column::Started => "Started",
            Column::Seconds => "Time",
            Column::LearningRate => "Learning rate",
            Column::Epochs => "Epochs",
            Column::TrainLoss => "Train loss",
            Column::TestLoss => "Test loss",
            Column::TrainAccuracy => "Train acc.",
            Column::TestAccuracy => "Test acc.",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Column::Run => "run",
            Column::Label => "label",
            Column::Started => "started",
            Column::Seconds => "seconds",
            Column::LearningRate => "lr",
            Column::Epochs => "epochs",
            Column::TrainLoss => "train-loss",
            Column::TestLoss => "test-loss",
            Column::TrainAccuracy => "train-accuracy",
            Column::TestAccuracy => "test-accuracy",
        }
    }

    /// The number the column sorts by (`None`: not measured).
    pub fn value(self, run: &RunRecord) -> Option<f64> {
        let last = run.last();
        match self {
            Column::Run => Some(f64::from(run.id)),
            Column::Label => None,
            Column::Started => Some(run.started_ms),
            Column::Seconds => Some(run.seconds),
            Column::LearningRate => Some(run.project.recipe.learning_rate),
            #[allow(clippy::cast_precision_loss)]
            Column::Epochs => Some(run.epochs() as f64),
            Column::TrainLoss => last.and_then(|row| row.train_loss).map(f64::from),
            Column::TestLoss => last.and_then(|row| row.test_loss).map(f64::from),
            Column::TrainAccuracy => last.and_then(|row| row.train_accuracy).map(f64::from),
            Column::TestAccuracy => last.and_then(|row| row.test_accuracy).map(f64::from),
        }
    }
}

/// `runs` ordered by `column` (labels alphabetically, unlabelled last).
pub fn sorted(runs: &[Rc<RunRecord>], column: Column, descending: bool) -> Vec<Rc<RunRecord>> {
    let mut runs = runs.to_vec();
    runs.sort_by(|a, b| {
        let order = if column == Column::Label {
            match (a.label.is_empty(), b.label.is_empty()) {
                (false, false) => a.label.to_lowercase().cmp(&b.label.to_lowercase()),
                (true, true) => Ordering::Equal,
                (empty_a, _) => {
                    return if empty_a {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    };
                }
            }
        } else {
            match (column.value(a), column.value(b)) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (None, None) => Ordering::Equal,
                (None, Some(_)) => return Ordering::Greater,
                (Some(_), None) => return Ordering::Less,
            }
        };
        let order = if descending { order.reverse() } else { order };
        order.then(a.id.cmp(&b.id))
    });
    runs
}
