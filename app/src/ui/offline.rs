//! The page's side of working offline: the "new version is ready" banner and the footer's line
//! saying whether this browser keeps Agora (state from `static/agora-offline.js`).

use wasm_bindgen::prelude::*;
use yew::prelude::*;

use crate::offline::Offline;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = agoraOffline, js_name = watch)]
    fn watch(listener: &Closure<dyn Fn(String)>) -> Result<js_sys::Function, JsValue>;
    #[wasm_bindgen(catch, js_namespace = agoraOffline, js_name = reload)]
    fn reload() -> Result<(), JsValue>;
}

/// The offline state, followed for as long as the component lives.
#[hook]
fn use_offline() -> Offline {
    let state = use_state(|| Offline::Starting);
    {
        let state = state.clone();
        use_effect_with((), move |()| {
            let listener = Closure::<dyn Fn(String)>::new(move |text: String| {
                state.set(Offline::parse(&text));
            });
            let stop = watch(&listener).ok();
            if stop.is_none() {
                // agora-offline.js did not load: say so rather than claim anything.
                listener
                    .as_ref()
                    .unchecked_ref::<js_sys::Function>()
                    .call1(
                        &JsValue::NULL,
                        &JsValue::from_str("unavailable: the page's offline script did not load"),
                    )
                    .ok();
            }
            // Unmounted (the view changed): stop listening, then let the closure go.
            move || {
                if let Some(stop) = stop {
                    let _ = stop.call0(&JsValue::NULL);
                }
                drop(listener);
            }
        });
    }
    (*state).clone()
}

/// "A new version of Agora is ready", with the button that switches to it.
#[function_component(UpdateBanner)]
pub fn update_banner() -> Html {
    if use_offline() != Offline::UpdateReady {
        return html! {};
    }
    let onclick = Callback::from(|_| {
        let _ = reload();
    });
    html! {
        <div class="banner update" role="status" data-testid="update-ready">
            { "A new version of Agora is ready. This one keeps running until you choose: " }
            <button class="fix" {onclick} data-testid="update-reload">{ "Reload to update" }</button>
        </div>
    }
}

/// The footer's line: kept for offline use, or why not.
#[function_component(OfflineNote)]
pub fn offline_note() -> Html {
    let state = use_offline();
    let kind = match state {
        Offline::Starting => "starting",
        Offline::Kept | Offline::UpdateReady => "kept",
        Offline::Unavailable(_) => "unavailable",
    };
    html! {
        <span class="offline-note" data-testid="offline-status" data-state={kind}>{ state.note() }</span>
    }
}
