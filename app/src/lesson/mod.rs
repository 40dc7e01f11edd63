//! Lessons: short sequences of steps inside Agora. Each step sets up a project (a link's
//! fields, the same ones the address bar holds), says in a few sentences what to try, shows or
//! locks parts of the page, and may have a goal the page checks as the person trains ("reach
//! 90 % test accuracy", "make it overfit", "find the digit it confuses most", a question).
//!
//! A lesson is a small JSON file a teacher can write (`app/lessons/README.md` documents it),
//! open from a file or a link, and share: the six that ship are in `app/lessons/`. Plain Rust,
//! tested natively: reading a file (`file.rs`), a lesson in a link (`link.rs`), the goals (`goal.rs`), where a person is in a
//! lesson (`state.rs`), the shipped lessons (`builtin.rs`).

mod base64url;
mod builtin;
mod file;
mod goal;
mod link;
mod state;

#[cfg(test)]
mod tests;

pub use builtin::{BUILTIN, builtin};
pub use file::{Lesson, LessonError, MAX_LESSON_BYTES, Part, Step, read};
pub use goal::{Check, Goal, Reading};
pub use link::{from_link, to_link};
pub use state::{LessonAction, LessonState, Lessons, LessonsAction, Progress};

/// The fragment that opens a lesson: `#lesson=ID` (a shipped one) or `#lesson=j.…` (a whole
/// lesson carried by the link).
pub const LESSON_FRAGMENT: &str = "#lesson=";
