//! A step's goal and checking it against what the training showed.

use serde::{Deserialize, Serialize};

use crate::session::Session;

/// What a step asks the person to reach.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Goal {
    /// The latest test (validation) accuracy is at least this share (0 to 1).
    Accuracy { at_least: f32 },
    /// The latest test loss is below this.
    TestLoss { below: f32 },
    /// At least this many epochs trained.
    Epochs { at_least: usize },
    /// The model overfits: the test loss has risen well above its lowest (by `rise`, 0.2 =
    /// 20 % by default) while the training loss kept falling below where it was then.
    Overfit {
        #[serde(default = "default_rise")]
        rise: f32,
    },
    /// The person names the class the network gets wrong most often in the test set (checked
    /// against the confusion of the latest evaluation).
    MostConfused,
    /// A question with one right choice (counted from 0).
    Choice {
        question: String,
        choices: Vec<String>,
        answer: usize,
    },
}

fn default_rise() -> f32 {
    0.2
}

/// What the checks read from a run: the latest test accuracy, the loss curve, the epochs and
/// the test set's confusion (rows the true class, columns the predicted one).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reading {
    pub epoch: usize,
    pub accuracy: Option<f32>,
    /// (train, test) loss per point, oldest first.
    pub losses: Vec<(f32, f32)>,
    pub confusion: Option<Vec<Vec<u32>>>,
    /// The classes' names, for the confusion.
    pub classes: Vec<String>,
}

/// A goal's state now: met or not, and a line saying where the person is.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub met: bool,
    pub now: String,
}

fn percent(share: f32) -> String {
    format!("{:.1} %", share * 100.0)
}

fn confusion(labels: &[usize], logits: &[f32], classes: usize) -> Option<Vec<Vec<u32>>> {
    if classes < 2 || logits.len() != labels.len() * classes {
        return None;
    }
    let mut matrix = vec![vec![0_u32; classes]; classes];
    for (row, &label) in logits.chunks(classes).zip(labels) {
        let predicted = row
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i);
        if label < classes {
            matrix[label][predicted] += 1;
        }
    }
    Some(matrix)
}

impl Reading {
    /// What the session shows now: the plane's latest snapshot, or the image classifier's
    /// latest epoch and evaluation.
    pub fn of(session: &Session, class_names: &[String]) -> Reading {
        let losses = session
            .history
            .iter()
            .map(|point| (point.train_loss, point.test_loss))
            .collect();
        let (accuracy, confusion) = if let Some(snapshot) = &session.snapshot {
            let classes = if snapshot.test_labels.is_empty() {
                0
            } else {
                snapshot.test_logits.len() / snapshot.test_labels.len()
            };
            let labels: Vec<usize> = snapshot
                .test_labels
                .iter()
                .map(|&l| usize::from(l))
                .collect();
            (
                snapshot.test_accuracy,
                confusion(&labels, &snapshot.test_logits, classes),
            )
        } else {
            let accuracy = session
                .epochs
                .last()
                .map(|report| report.metrics.val_accuracy)
                .filter(|a| a.is_finite());
            let confusion = session
                .evaluation
                .as_ref()
                .and_then(|e| confusion(&e.labels, &e.logits, e.classes));
            (accuracy, confusion)
        };
        Reading {
            epoch: session.epoch(),
            accuracy,
            losses,
            confusion,
            classes: class_names.to_vec(),
        }
    }

    fn class_name(&self, class: usize) -> String {
        self.classes
            .get(class)
            .cloned()
            .unwrap_or_else(|| class.to_string())
    }

    /// The classes (true labels) with the most wrong answers, and how many; none before an
    /// evaluation or when nothing is wrong.
    pub fn most_confused(&self) -> Option<(Vec<usize>, u32)> {
        let matrix = self.confusion.as_ref()?;
        let wrong: Vec<u32> = matrix
            .iter()
            .enumerate()
            .map(|(class, row)| row.iter().sum::<u32>() - row[class])
            .collect();
        let most = *wrong.iter().max()?;
        (most > 0).then(|| {
            (
                (0..wrong.len()).filter(|&c| wrong[c] == most).collect(),
                most,
            )
        })
    }
}

impl Goal {
    /// The goal in a few words, for the step's panel.
    pub fn describe(&self) -> String {
        match self {
            Goal::Accuracy { at_least } => format!("reach {} test accuracy", percent(*at_least)),
            Goal::TestLoss { below } => format!("bring the test loss below {below}"),
            Goal::Epochs { at_least } => format!("train for {at_least} epochs"),
            Goal::Overfit { rise } => format!(
                "make the model overfit: the training loss keeps falling while the test loss rises {:.0} % above its lowest",
                rise * 100.0
            ),
            Goal::MostConfused => "find the class the network gets wrong most often".to_owned(),
            Goal::Choice { question, .. } => question.clone(),
        }
    }

    /// Checks the goal; `answer` is the person's choice for [`Goal::Choice`] and
    /// [`Goal::MostConfused`].
    pub fn check(&self, reading: &Reading, answer: Option<usize>) -> Check {
        match self {
            Goal::Accuracy { at_least } => match reading.accuracy {
                Some(now) => Check {
                    met: now >= *at_least,
                    now: format!("now {} (epoch {})", percent(now), reading.epoch),
                },
                None => Check {
                    met: false,
                    now: "not trained yet".to_owned(),
                },
            },
            Goal::TestLoss { below } => match reading.losses.last() {
                Some(&(_, test)) if test.is_finite() => Check {
                    met: test < *below,
                    now: format!("now {test:.3}"),
                },
                _ => Check {
                    met: false,
                    now: "not trained yet".to_owned(),
                },
            },
            Goal::Epochs { at_least } => Check {
                met: reading.epoch >= *at_least,
                now: format!("{} of {at_least}", reading.epoch.min(*at_least)),
            },
            Goal::Overfit { rise } => overfit(&reading.losses, *rise),
            Goal::MostConfused => match (reading.most_confused(), answer) {
                (None, _) => Check {
                    met: false,
                    now: "train, then open the confusion matrix under “Inside the network”"
                        .to_owned(),
                },
                (Some(_), None) => Check {
                    met: false,
                    now: "pick the class".to_owned(),
                },
                (Some((worst, wrong)), Some(picked)) => {
                    let met = worst.contains(&picked);
                    Check {
                        met,
                        now: if met {
                            format!(
                                "yes: {} is wrong {wrong} times in the test set",
                                reading.class_name(picked)
                            )
                        } else {
                            format!(
                                "not {}: look for the row with the most outside its diagonal",
                                reading.class_name(picked)
                            )
                        },
                    }
                }
            },
            Goal::Choice {
                choices,
                answer: right,
                ..
            } => match answer {
                None => Check {
                    met: false,
                    now: "pick an answer".to_owned(),
                },
                Some(picked) => Check {
                    met: picked == *right,
                    now: if picked == *right {
                        "right".to_owned()
                    } else {
                        format!(
                            "not “{}”: think again",
                            choices.get(picked).map_or("", String::as_str)
                        )
                    },
                },
            },
        }
    }

    /// The choices a person picks from, if the goal has any (`classes` for the confusion).
    pub fn choices(&self, classes: &[String]) -> Option<Vec<String>> {
        match self {
            Goal::Choice { choices, .. } => Some(choices.clone()),
            Goal::MostConfused => Some(classes.to_vec()),
            _ => None,
        }
    }

    pub(super) fn check_limits(&self, most_choices: usize, most_text: usize) -> Result<(), String> {
        let share = |value: f32, what: &str| {
            if value.is_finite() && value > 0.0 && value <= 1.0 {
                Ok(())
            } else {
                Err(format!(
                    "its goal's {what} must be a share above 0 and at most 1, not {value}"
                ))
            }
        };
        match self {
            Goal::Accuracy { at_least } => share(*at_least, "at_least"),
            Goal::Overfit { rise } => share(*rise, "rise"),
            Goal::TestLoss { below } if !(below.is_finite() && *below > 0.0) => {
                Err(format!("its goal's test loss must be above 0, not {below}"))
            }
            Goal::Epochs { at_least } if *at_least == 0 || *at_least > 10_000 => Err(format!(
                "its goal's epochs must be 1 to 10000, not {at_least}"
            )),
            Goal::Choice {
                question,
                choices,
                answer,
            } => {
                if question.trim().is_empty() || question.chars().count() > most_text {
                    return Err("its question is empty or too long".to_owned());
                }
                if choices.len() < 2 || choices.len() > most_choices {
                    return Err(format!(
                        "its question has 2 to {most_choices} choices, not {}",
                        choices.len()
                    ));
                }
                if choices
                    .iter()
                    .any(|c| c.trim().is_empty() || c.chars().count() > 200)
                {
                    return Err("a choice is empty or longer than 200 characters".to_owned());
                }
                if *answer >= choices.len() {
                    return Err(format!(
                        "its answer is choice {answer} (counted from 0), but there are only {}",
                        choices.len()
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

fn overfit(losses: &[(f32, f32)], rise: f32) -> Check {
    let finite: Vec<(f32, f32)> = losses
        .iter()
        .copied()
        .filter(|(train, test)| train.is_finite() && test.is_finite())
        .collect();
    let Some(&(train_now, test_now)) = finite.last() else {
        return Check {
            met: false,
            now: "not trained yet".to_owned(),
        };
    };
    let (lowest_at, &(train_then, lowest)) = finite
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
        .unwrap_or((0, &(train_now, test_now)));
    let risen = if lowest > 0.0 {
        test_now / lowest - 1.0
    } else {
        0.0
    };
    let met = lowest_at + 1 < finite.len() && risen >= rise && train_now < train_then;
    Check {
        met,
        now: format!(
            "test loss {test_now:.3}, {:.0} % above its lowest ({lowest:.3}); training loss {train_now:.3} (was {train_then:.3} then)",
            risen.max(0.0) * 100.0
        ),
    }
}
