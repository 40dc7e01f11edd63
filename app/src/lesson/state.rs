//! Where a person is in an open lesson: the step, their answers, the goals met and
//! acknowledged, and whether it fills the projector. Changed only by [`LessonState::apply`].

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::file::Lesson;
use super::goal::Reading;

#[derive(Clone, Debug, PartialEq)]
pub struct LessonState {
    pub lesson: Rc<Lesson>,
    /// The step on screen, from 0.
    pub step: usize,
    /// Each step's answer (a choice, or the class picked).
    pub answers: Vec<Option<usize>>,
    /// Each step's goal met (stays met: a goal reached once is reached).
    pub met: Vec<bool>,
    /// Each step's "Got it" pressed after its goal was met.
    pub acknowledged: Vec<bool>,
    /// Presenter mode: large type, the step filling the screen.
    pub presenting: bool,
    /// How many times the step has been (re)entered: a change asks the page to set up the
    /// step's project again.
    pub entered: u64,
    /// Resumed after a reload: the project on screen is the person's, kept until they move.
    pub keep_project: bool,
}

/// Where a person is in a lesson, as a tab keeps it across a reload.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub step: usize,
    pub answers: Vec<Option<usize>>,
    pub met: Vec<bool>,
    pub acknowledged: Vec<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LessonAction {
    Next,
    Previous,
    Go(usize),
    /// Set this step's project up again (the person changed too much).
    Restart,
    Answer(usize),
    /// What the training shows now: marks the goal met when it is.
    Read(Reading),
    /// "Got it": the met goal was seen.
    Acknowledge,
    Present(bool),
}

impl LessonState {
    pub fn new(lesson: Lesson) -> Self {
        let steps = lesson.steps.len();
        LessonState {
            lesson: Rc::new(lesson),
            step: 0,
            answers: vec![None; steps],
            met: vec![false; steps],
            acknowledged: vec![false; steps],
            presenting: false,
            entered: 0,
            keep_project: false,
        }
    }

    /// Where the person is, to keep.
    pub fn progress(&self) -> Progress {
        Progress {
            step: self.step,
            answers: self.answers.clone(),
            met: self.met.clone(),
            acknowledged: self.acknowledged.clone(),
        }
    }

    pub fn steps(&self) -> usize {
        self.lesson.steps.len()
    }

    pub fn current(&self) -> &super::Step {
        &self.lesson.steps[self.step.min(self.steps() - 1)]
    }

    pub fn answer(&self) -> Option<usize> {
        self.answers.get(self.step).copied().flatten()
    }

    /// Every step with a goal has it met.
    pub fn finished(&self) -> bool {
        self.lesson
            .steps
            .iter()
            .zip(&self.met)
            .all(|(step, met)| step.goal.is_none() || *met)
    }

    #[must_use]
    pub fn apply(mut self, action: LessonAction) -> Self {
        let last = self.steps() - 1;
        match action {
            LessonAction::Next => self.go(self.step.saturating_add(1).min(last)),
            LessonAction::Previous => self.go(self.step.saturating_sub(1)),
            LessonAction::Go(step) => self.go(step.min(last)),
            LessonAction::Restart => {
                self.entered += 1;
                self.keep_project = false;
            }
            LessonAction::Answer(choice) => {
                let limit = self.choice_count();
                if choice < limit {
                    self.answers[self.step] = Some(choice);
                }
            }
            LessonAction::Read(reading) => {
                let answer = self.answer();
                if let Some(goal) = &self.current().goal
                    && goal.check(&reading, answer).met
                {
                    self.met[self.step] = true;
                }
            }
            LessonAction::Acknowledge => {
                if self.met[self.step] {
                    self.acknowledged[self.step] = true;
                }
            }
            LessonAction::Present(on) => self.presenting = on,
        }
        self
    }

    fn go(&mut self, step: usize) {
        if step != self.step {
            self.step = step;
            self.entered += 1;
            self.keep_project = false;
        }
    }

    fn choice_count(&self) -> usize {
        match &self.current().goal {
            Some(super::Goal::Choice { choices, .. }) => choices.len(),
            Some(super::Goal::MostConfused) => agora_engine::net::MAX_CLASSES,
            _ => 0,
        }
    }
}

/// The page's lesson, if one is open, and why the last one could not be opened.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lessons {
    pub open: Option<LessonState>,
    pub error: Option<String>,
    /// Counts lessons opened, so opening the same one again sets its first step up again.
    pub opened: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LessonsAction {
    Open(Lesson),
    /// The lesson this tab had open before a reload, at its step, the project left as it is.
    Resume {
        lesson: Lesson,
        progress: Progress,
    },
    /// A lesson file or link that could not be read, and why.
    Failed(String),
    /// The person read the message about a file or link that could not be opened.
    Dismiss,
    Close,
    Step(LessonAction),
}

impl Lessons {
    #[must_use]
    pub fn apply(mut self, action: LessonsAction) -> Self {
        match action {
            LessonsAction::Open(lesson) => {
                self.open = Some(LessonState::new(lesson));
                self.error = None;
                self.opened += 1;
            }
            LessonsAction::Resume { lesson, progress } => {
                let mut state = LessonState::new(lesson);
                let steps = state.steps();
                state.step = progress.step.min(steps - 1);
                // What was kept counts only if it fits this lesson (the same number of steps).
                if progress.met.len() == steps
                    && progress.answers.len() == steps
                    && progress.acknowledged.len() == steps
                {
                    state.answers = progress.answers;
                    state.met = progress.met;
                    state.acknowledged = progress.acknowledged;
                }
                state.keep_project = true;
                self.open = Some(state);
                self.error = None;
                self.opened += 1;
            }
            // A bad file loses nothing: the open lesson stays where it was.
            LessonsAction::Failed(message) => self.error = Some(message),
            LessonsAction::Dismiss => self.error = None,
            LessonsAction::Close => {
                self.open = None;
                self.error = None;
            }
            LessonsAction::Step(action) => {
                self.open = self.open.take().map(|state| state.apply(action));
            }
        }
        self
    }
}
