//! Tabs as a real tablist (WAI-ARIA's pattern): one tab in the page's tab order, ← → (and Home,
//! End) move between tabs and select the one reached.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

/// The tablist's keys: give it to the element with `role="tablist"`.
pub fn on_tab_keys() -> Callback<KeyboardEvent> {
    Callback::from(|event: KeyboardEvent| {
        let Some(tab) = event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|e| e.closest("[role=tab]").ok().flatten())
        else {
            return;
        };
        let Some(list) = tab.parent_element() else {
            return;
        };
        let tabs = list.query_selector_all("[role=tab]").ok();
        let tabs: Vec<HtmlElement> = tabs
            .map(|nodes| {
                (0..nodes.length())
                    .filter_map(|i| nodes.item(i)?.dyn_into::<HtmlElement>().ok())
                    .collect()
            })
            .unwrap_or_default();
        let Some(at) = tabs.iter().position(|t| t.is_same_node(Some(&tab))) else {
            return;
        };
        let next = match event.key().as_str() {
            "ArrowRight" => (at + 1) % tabs.len(),
            "ArrowLeft" => (at + tabs.len() - 1) % tabs.len(),
            "Home" => 0,
            "End" => tabs.len() - 1,
            _ => return,
        };
        event.prevent_default();
        let _ = tabs[next].focus();
        tabs[next].click();
    })
}
