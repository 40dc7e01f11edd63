//! "Inside the network": what the network being trained does with a validation image, layer
//! by layer; its conv filters; the confusion matrix with examples and the worst mistakes; the
//! reliability diagram with ECE and temperature scaling; and the penultimate layer's embedding.
//!
//! The worker answers `Inspect` (one image through every layer, plus the kernels) and
//! `Evaluate` (the validation set's logits and 2-D embedding). The panel asks after every epoch
//! and, while training, for the layer view every eight seconds or less often (see `Pacing`).

mod calibration;
mod common;
pub(in crate::ui) use common::report_image;
mod confusion;
mod embedding;
mod filters;
mod layers;
mod pacing;
mod source;
mod sources;

use std::rc::Rc;

use agora_engine::net::Layer;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use yew::prelude::*;

use super::WorkerLink;
use crate::protocol::Command;
use crate::session::Session;
use calibration::CalibrationView;
use confusion::ConfusionView;
use embedding::EmbeddingView;
use filters::filters_view;
use layers::layers_view;
use pacing::{Pacing, now_ms};
use source::Source;
use sources::SampleSources;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum View {
    Layers,
    Filters,
    Confusion,
    Calibration,
    Embedding,
}

impl View {
    const ALL: [View; 5] = [
        View::Layers,
        View::Filters,
        View::Confusion,
        View::Calibration,
        View::Embedding,
    ];

    fn label(self) -> &'static str {
        match self {
            View::Layers => "Layer by layer",
            View::Filters => "Filters",
            View::Confusion => "Confusion & mistakes",
            View::Calibration => "Confidence",
            View::Embedding => "Embedding",
        }
    }

    fn key(self) -> &'static str {
        match self {
            View::Layers => "layers",
            View::Filters => "filters",
            View::Confusion => "confusion",
            View::Calibration => "calibration",
            View::Embedding => "embedding",
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct InsideProps {
    pub session: UseReducerHandle<Session>,
    pub link: WorkerLink,
    pub layers: Rc<Vec<Layer>>,
    pub class_names: Rc<Vec<String>>,
}

#[function_component(Inside)]
pub fn inside(props: &InsideProps) -> Html {
    let view = use_state(|| View::Layers);
    let source = use_state(|| Source::Validation(0));
    let shared = use_state(|| true);
    let enlarged = use_state(|| None::<(usize, usize)>);
    let live = use_state(|| true);
    let lab = &*props.session;
    let epochs = lab.epochs.len();
    let ready = lab.data.is_some() && lab.status != crate::session::Status::Loading;

    // Ask for the views' data after every epoch and when the image changes.
    {
        let link = props.link.clone();
        use_effect_with(
            ((*source).clone(), epochs, ready),
            move |(source, _, ready)| {
                if *ready {
                    link.send(&source.command());
                    link.send(&Command::Evaluate);
                }
            },
        );
    }
    // While training, the layer view follows the weights (unless turned off): at most every
    // 8 s, and never more often than twenty times the last request's round trip, so a slow
    // device (a software GPU) spends at most about a twentieth of its time on it.
    let pacing = use_memo((), |()| Rc::new(Pacing::default()));
    {
        let pacing = Rc::clone(&pacing);
        use_effect_with(lab.inspection.as_ref().map(Rc::as_ptr), move |_| {
            pacing.answered(now_ms())
        });
    }
    {
        let link = props.link.clone();
        let pacing = Rc::clone(&pacing);
        use_effect_with(
            (lab.running() && *live, (*source).clone()),
            move |(running, source)| {
                let command = source.command();
                let tick = Closure::<dyn Fn()>::new(move || {
                    let now = now_ms();
                    if pacing.due(now) {
                        pacing.sent(now);
                        link.send(&command);
                    }
                });
                let handle = if *running {
                    web_sys::window().and_then(|window| {
                        window
                            .set_interval_with_callback_and_timeout_and_arguments_0(
                                tick.as_ref().unchecked_ref(),
                                500,
                            )
                            .ok()
                    })
                } else {
                    None
                };
                move || {
                    if let (Some(handle), Some(window)) = (handle, web_sys::window()) {
                        window.clear_interval_with_handle(handle);
                    }
                    drop(tick);
                }
            },
        );
    }

    let tabs = View::ALL.iter().map(|&v| {
        let onclick = {
            let view = view.clone();
            Callback::from(move |_| view.set(v))
        };
        html! {
            <button class={classes!("tab-button", (*view == v).then_some("active"))} role="tab" aria-selected={(*view == v).to_string()}
                tabindex={if *view == v { "0" } else { "-1" }} aria-controls="inside-body"
                {onclick} data-testid={format!("inside-tab-{}", v.key())}>{ v.label() }</button>
        }
    });
    let pick = {
        let source = source.clone();
        let view = view.clone();
        Callback::from(move |index: usize| {
            source.set(Source::Validation(index));
            view.set(View::Layers);
        })
    };
    let body = if ready {
        match *view {
            View::Layers => html! { <>
                // Fixed wrappers: the pad and the webcam must survive the view below changing shape.
                <div class="sample-area"><SampleSources source={source.clone()} /></div>
                <div class="layers-area">{ layers_view(
                    lab.inspection.as_deref(),
                    &props.layers,
                    &props.class_names,
                    &source,
                    &shared,
                    &enlarged,
                ) }</div>
            </> },
            View::Filters => filters_view(lab.inspection.as_deref(), &props.layers),
            View::Confusion => {
                html! { <ConfusionView report={lab.evaluation.clone()} names={props.class_names.clone()} {pick} /> }
            }
            View::Calibration => html! { <CalibrationView report={lab.evaluation.clone()} /> },
            View::Embedding => {
                html! { <EmbeddingView report={lab.evaluation.clone()} names={props.class_names.clone()} {pick} /> }
            }
        }
    } else {
        html! { <p class="hint">{ "Load data and build a valid network: these views show what it does, and follow it while it trains." }</p> }
    };
    let toggle_live = {
        let live = live.clone();
        Callback::from(move |_| live.set(!*live))
    };
    html! {
        <section class="panel inside" aria-label="Inside the network" data-testid="inside">
            <h2>{ "Inside the network" }</h2>
            <div class="tab-row">
                <div class="tablist" role="tablist" aria-label="Views inside the network" onkeydown={super::tablist::on_tab_keys()}>{ for tabs }</div>
                <label class="check live-toggle" title="Refresh the layer view every 8 s (less often on a slow device) while training (the other views refresh after each epoch)">
                    <input type="checkbox" checked={*live} onchange={toggle_live} data-testid="inside-live" />{ "follow training live" }
                </label>
            </div>
            <div class="inside-body" id="inside-body" role="tabpanel" data-view={view.key()}>{ body }</div>
        </section>
    }
}
