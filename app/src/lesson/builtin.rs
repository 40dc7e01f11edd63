//! The lessons that ship with Agora (`app/lessons/*.json`), by the id a link names.

use super::file::{Lesson, read};

/// Id and file of each shipped lesson, in teaching order.
pub const BUILTIN: [(&str, &str); 6] = [
    ("one-neuron", include_str!("../../lessons/one-neuron.json")),
    (
        "depth-spiral",
        include_str!("../../lessons/depth-spiral.json"),
    ),
    (
        "overfitting",
        include_str!("../../lessons/overfitting.json"),
    ),
    (
        "convolutions",
        include_str!("../../lessons/convolutions.json"),
    ),
    ("own-images", include_str!("../../lessons/own-images.json")),
    ("together", include_str!("../../lessons/together.json")),
];

/// The shipped lesson `id` (every one is read by the tests, so none fails here).
pub fn builtin(id: &str) -> Option<Lesson> {
    BUILTIN
        .iter()
        .find(|(name, _)| *name == id)
        .and_then(|(_, text)| read(text.as_bytes()).ok())
}
