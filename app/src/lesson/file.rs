//! A lesson file: what it holds, the limits it must keep, and reading it (from a file's bytes
//! or from a link) with a message that says what is wrong and where.

use serde::{Deserialize, Serialize};

use super::goal::Goal;
use crate::project::Project;

/// The version of the format this build reads (`"agora_lesson": 1`).
pub const FORMAT: u32 = 1;
/// Largest lesson file read.
pub const MAX_LESSON_BYTES: usize = 256 * 1024;
const MAX_STEPS: usize = 40;
const MAX_TITLE: usize = 120;
const MAX_TEXT: usize = 3_000;
const MAX_CHOICES: usize = 8;

/// A part of the page a step can hide or lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// The tabs between the playground, the image classifier and the speed test.
    Views,
    /// The project bar: new, open, save, share, export.
    Project,
    /// Which data, the split, noise, classes, the person's images.
    Data,
    /// The playground's input features.
    Features,
    /// The network: layers, units, activations.
    Network,
    /// Train, pause, step, reset.
    Train,
    /// Learning rate, batch, optimizer, regularization, epochs, schedule.
    Recipe,
    /// CPU or WebGPU.
    Backend,
    /// The views inside the network (maps, filters, confusion, calibration, embedding).
    Inside,
    /// The recorded runs.
    Runs,
    /// Training together in a room.
    Room,
}

impl Part {
    pub const ALL: [Part; 11] = [
        Part::Views,
        Part::Project,
        Part::Data,
        Part::Features,
        Part::Network,
        Part::Train,
        Part::Recipe,
        Part::Backend,
        Part::Inside,
        Part::Runs,
        Part::Room,
    ];

    /// The name in a lesson file and in the page's `data-part` attribute.
    pub fn key(self) -> &'static str {
        match self {
            Part::Views => "views",
            Part::Project => "project",
            Part::Data => "data",
            Part::Features => "features",
            Part::Network => "network",
            Part::Train => "train",
            Part::Recipe => "recipe",
            Part::Backend => "backend",
            Part::Inside => "inside",
            Part::Runs => "runs",
            Part::Room => "room",
        }
    }
}

/// One step of a lesson.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: String,
    /// A few sentences; a blank line starts a new paragraph.
    pub text: String,
    /// The project this step opens, as a link's fields (`data=spiral&layers=8.tanh,…`); none
    /// keeps what the person has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Only these parts are shown (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show: Option<Vec<Part>>,
    /// These parts are shown but cannot be changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lock: Vec<Part>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<Goal>,
    /// What the page says when the goal is met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub praise: Option<String>,
}

impl Step {
    /// Whether `part` is hidden in this step.
    pub fn hides(&self, part: Part) -> bool {
        self.show
            .as_ref()
            .is_some_and(|shown| !shown.contains(&part))
    }

    /// Whether `part` is shown but cannot be changed.
    pub fn locks(&self, part: Part) -> bool {
        self.lock.contains(&part)
    }

    /// The step's project, read as a link.
    ///
    /// # Errors
    /// Fields the link codec cannot read, named.
    pub fn project(&self) -> Result<Option<Project>, String> {
        let Some(fields) = &self.project else {
            return Ok(None);
        };
        match Project::from_fragment(fields) {
            Ok((project, unreadable)) if unreadable.is_empty() => Ok(Some(project)),
            Ok((_, unreadable)) => Err(format!(
                "its project has settings Agora cannot read: {}",
                unreadable.join(", ")
            )),
            Err(reason) => Err(format!("its project cannot be read ({reason})")),
        }
    }
}

/// A lesson: a title, a line about it, and its steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// The format's version: 1.
    pub agora_lesson: u32,
    pub title: String,
    #[serde(default)]
    pub about: String,
    pub steps: Vec<Step>,
}

/// Why a lesson cannot be opened.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LessonError {
    #[error("the file is {0} KB; a lesson file is at most 256 KB")]
    TooLarge(usize),
    #[error("this is not a lesson file Agora can read: {0}")]
    Unreadable(String),
    #[error("this lesson is for a newer Agora (format {0}; this page reads format 1)")]
    NewerFormat(u32),
    #[error("{0}")]
    Invalid(String),
    #[error("the link's lesson is cut or garbled")]
    Garbled,
    #[error("there is no lesson called “{0}” in this Agora")]
    Unknown(String),
}

/// Reads and checks a lesson file.
///
/// # Errors
/// Too large, not JSON of this shape (serde's message names the line and the field), a newer
/// format, or a step that breaks a limit or whose project cannot be read.
pub fn read(bytes: &[u8]) -> Result<Lesson, LessonError> {
    if bytes.len() > MAX_LESSON_BYTES {
        return Err(LessonError::TooLarge(bytes.len().div_ceil(1024)));
    }
    #[derive(Deserialize)]
    struct Version {
        agora_lesson: Option<u32>,
    }
    let version: Version =
        serde_json::from_slice(bytes).map_err(|e| LessonError::Unreadable(e.to_string()))?;
    match version.agora_lesson {
        None => {
            return Err(LessonError::Unreadable(
                "it has no \"agora_lesson\" field (a lesson file starts with \"agora_lesson\": 1)"
                    .into(),
            ));
        }
        Some(n) if n > FORMAT => return Err(LessonError::NewerFormat(n)),
        Some(_) => {}
    }
    let lesson: Lesson =
        serde_json::from_slice(bytes).map_err(|e| LessonError::Unreadable(e.to_string()))?;
    check(&lesson).map_err(LessonError::Invalid)?;
    Ok(lesson)
}

fn check(lesson: &Lesson) -> Result<(), String> {
    let short = |text: &str, most: usize, what: &str| {
        if text.trim().is_empty() {
            Err(format!("{what} is empty"))
        } else if text.chars().count() > most {
            Err(format!("{what} is longer than {most} characters"))
        } else {
            Ok(())
        }
    };
    short(&lesson.title, MAX_TITLE, "the lesson's title")?;
    if lesson.about.chars().count() > MAX_TEXT {
        return Err(format!(
            "the lesson's \"about\" is longer than {MAX_TEXT} characters"
        ));
    }
    if lesson.steps.is_empty() || lesson.steps.len() > MAX_STEPS {
        return Err(format!(
            "a lesson has 1 to {MAX_STEPS} steps; this one has {}",
            lesson.steps.len()
        ));
    }
    for (index, step) in lesson.steps.iter().enumerate() {
        let at = |problem: String| {
            format!(
                "step {} (“{}”): {problem}",
                index + 1,
                step.title.chars().take(40).collect::<String>()
            )
        };
        short(&step.title, MAX_TITLE, "its title").map_err(at)?;
        short(&step.text, MAX_TEXT, "its text").map_err(at)?;
        if let Some(praise) = &step.praise {
            short(praise, MAX_TEXT, "its praise").map_err(at)?;
        }
        step.project().map_err(at)?;
        if let Some(goal) = &step.goal {
            goal.check_limits(MAX_CHOICES, MAX_TEXT).map_err(at)?;
        }
    }
    Ok(())
}
