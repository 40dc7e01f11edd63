//! A pointer drag (mouse, pen or finger), shared by the playground's builder and the image
//! lab: a press records the source, moves past a small threshold make it a drag, and each move
//! records where the pointer is and which slot it would drop into.

use yew::prelude::*;

/// Pointer travel before a press becomes a drag.
const DRAG_THRESHOLD_PX: f64 = 5.0;

/// A press on `source` that may have become a drag.
#[derive(Clone, Debug, PartialEq)]
pub struct Drag<S> {
    pub source: S,
    pub start: (f64, f64),
    pub pointer: (f64, f64),
    pub moved: bool,
    /// Where the dragged thing would be inserted.
    pub slot: Option<usize>,
}

impl<S: Clone> Drag<S> {
    /// The drag after a pointer move to `event`, dropping into `slot(x, y)`. Once moved, the
    /// browser's default (text selection, scrolling) is stopped.
    pub fn follow(
        &self,
        event: &PointerEvent,
        slot: impl Fn(f64, f64) -> Option<usize>,
    ) -> Drag<S> {
        let pointer = (f64::from(event.client_x()), f64::from(event.client_y()));
        let distance = (pointer.0 - self.start.0).hypot(pointer.1 - self.start.1);
        let moved = self.moved || distance > DRAG_THRESHOLD_PX;
        if moved {
            event.prevent_default();
        }
        Drag {
            pointer,
            moved,
            slot: slot(pointer.0, pointer.1),
            ..self.clone()
        }
    }
}

/// A press that may become a drag of `source` (primary button, pen or finger).
pub fn start_drag<S: Clone + 'static>(
    drag: &UseStateHandle<Option<Drag<S>>>,
    source: S,
) -> Callback<PointerEvent> {
    let drag = drag.clone();
    Callback::from(move |event: PointerEvent| {
        if event.button() != 0 {
            return;
        }
        // No text selection or scrolling while dragging.
        event.prevent_default();
        let point = (f64::from(event.client_x()), f64::from(event.client_y()));
        drag.set(Some(Drag {
            source: source.clone(),
            start: point,
            pointer: point,
            moved: false,
            slot: None,
        }));
    })
}
