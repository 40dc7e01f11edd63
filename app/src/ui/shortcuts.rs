//! The page's keys: Space trains or pauses, → trains one epoch (the playground), R resets,
//! Ctrl+Z / Ctrl+Shift+Z (⌘ on a Mac; Ctrl+Y too) undo and redo network edits. None of them
//! fires while the person types in a field, or where the focused control has a use for the key
//! (Space on a button presses that button; arrows move within tabs, a slider or the embedding).

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement, KeyboardEvent};

use super::editor::Editor;

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// Clicks the first of these buttons that is on the page and enabled.
fn press(testids: &[&str]) {
    let Some(document) = document() else {
        return;
    };
    for id in testids {
        if let Ok(Some(element)) = document.query_selector(&format!("[data-testid=\"{id}\"]"))
            && let Ok(button) = element.dyn_into::<HtmlElement>()
            && !button.has_attribute("disabled")
            // Not where a lesson step hid or locked it.
            && button.closest("[inert], [hidden]").ok().flatten().is_none()
        {
            button.click();
            return;
        }
    }
}

fn handle(editor: &Editor, event: &KeyboardEvent) {
    if event.default_prevented() || event.alt_key() {
        return;
    }
    let target = event.target().and_then(|t| t.dyn_into::<Element>().ok());
    let typing = target.as_ref().is_some_and(|el| {
        matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
            || el.has_attribute("contenteditable")
    });
    if typing {
        return;
    }
    let key = event.key();
    let command = event.ctrl_key() || event.meta_key();
    if command {
        match key.as_str() {
            "z" | "Z" if event.shift_key() => editor.redo(),
            "z" | "Z" => editor.undo(),
            "y" | "Y" => editor.redo(),
            _ => return,
        }
        event.prevent_default();
        return;
    }
    let on_control = target.as_ref().is_some_and(|el| {
        el.closest("button, a, summary, [role=tab], [role=tablist], svg[tabindex], [tabindex]")
            .ok()
            .flatten()
            .is_some()
    });
    let presenting = document()
        .and_then(|d| d.body())
        .is_some_and(|body| body.class_list().contains("presenting"));
    match key.as_str() {
        " " if !on_control => press(&["play", "lab-play"]),
        "ArrowRight" if !on_control && !presenting => press(&["step"]),
        "r" | "R" if !event.shift_key() => press(&["reset", "lab-reset"]),
        _ => return,
    }
    event.prevent_default();
}

/// Listens for the page's keys for as long as the page lives.
pub fn install(editor: Editor) {
    let listener =
        Closure::<dyn Fn(KeyboardEvent)>::new(move |event: KeyboardEvent| handle(&editor, &event));
    if let Some(document) = document() {
        let _ =
            document.add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
    }
    listener.forget();
}
