//! A lesson in a link: `#lesson=ID` names a shipped one, `#lesson=j.…` carries a whole lesson
//! as base64url JSON (the fragment never reaches a server).

use super::base64url;
use super::file::{Lesson, LessonError, read};

/// The link fragment's value (after `#lesson=`) that carries the whole lesson.
pub fn to_link(lesson: &Lesson) -> String {
    let json = serde_json::to_vec(lesson).unwrap_or_default();
    format!("j.{}", base64url::encode(&json))
}

/// Reads the value after `#lesson=`: a shipped lesson's id, or `j.` and a whole lesson.
///
/// # Errors
/// An unknown id, a garbled link, or a lesson that [`read`] refuses.
pub fn from_link(value: &str) -> Result<Lesson, LessonError> {
    if let Some(encoded) = value.strip_prefix("j.") {
        let bytes = base64url::decode(encoded).ok_or(LessonError::Garbled)?;
        return read(&bytes);
    }
    super::builtin::builtin(value)
        .ok_or_else(|| LessonError::Unknown(value.chars().take(40).collect()))
}
