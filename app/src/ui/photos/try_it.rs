//! "Try it": classify a dropped image or the webcam, live, with the model being trained.

use std::rc::Rc;

use agora_engine::photos::STORE_SIZE;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlInputElement, HtmlVideoElement};
use yew::prelude::*;

use super::super::WorkerLink;
use super::bridge::*;
use crate::photos::{Album, bmp_data_url};
use crate::protocol::Command;
use crate::session::Session;

#[derive(Properties, PartialEq)]
pub struct TryItProps {
    pub project: UseReducerHandle<Album>,
    pub session: UseReducerHandle<Session>,
    pub link: WorkerLink,
    pub camera: NodeRef,
}

/// Classifies a dropped image or the webcam, live, with the model being trained.
#[function_component(TryIt)]
pub fn try_it(props: &TryItProps) -> Html {
    let sample = use_state(|| None::<Rc<[u8]>>);
    let live = use_state(|| false);
    let problem = use_state(|| None::<String>);
    let prediction = props.session.prediction.clone();

    // Live: the next frame as soon as the worker has answered the last one (it answers between
    // training steps), checked every 50 ms; a frame unanswered for 2 s is given up on.
    let waiting = use_mut_ref(|| None::<f64>);
    {
        let waiting = waiting.clone();
        use_effect_with(prediction.clone(), move |_| {
            *waiting.borrow_mut() = None;
        });
    }
    {
        let live_on = *live;
        let video = props.camera.clone();
        let link = props.link.clone();
        let sample = sample.clone();
        let live = live.clone();
        let waiting = waiting.clone();
        use_effect_with(live_on, move |on| {
            let mut handle = None;
            let closure = Closure::<dyn Fn()>::new(move || {
                let now = js_sys::Date::now();
                if waiting.borrow().is_some_and(|sent| now - sent < 2000.0) {
                    return;
                }
                let Some(video) = video.cast::<HtmlVideoElement>() else {
                    return;
                };
                match media_grab(&video, SIDE) {
                    Ok(pixels) => {
                        if let Some(pixels) = bytes_of(&pixels) {
                            *waiting.borrow_mut() = Some(now);
                            link.send(&Command::Predict {
                                pixels: pixels.clone(),
                            });
                            sample.set(Some(Rc::from(pixels)));
                        }
                    }
                    Err(_) => live.set(false),
                }
            });
            if *on && let Some(window) = web_sys::window() {
                handle = window
                    .set_interval_with_callback_and_timeout_and_arguments_0(
                        closure.as_ref().unchecked_ref(),
                        50,
                    )
                    .ok();
            }
            move || {
                if let (Some(handle), Some(window)) = (handle, web_sys::window()) {
                    window.clear_interval_with_handle(handle);
                }
                drop(closure);
            }
        });
    }

    let classify_file = {
        let link = props.link.clone();
        let sample = sample.clone();
        let problem = problem.clone();
        let live = live.clone();
        Rc::new(move |file: JsValue| {
            let link = link.clone();
            let sample = sample.clone();
            let problem = problem.clone();
            live.set(false);
            wasm_bindgen_futures::spawn_local(async move {
                match decode_checked(&file).await {
                    Ok(pixels) => {
                        problem.set(None);
                        link.send(&Command::Predict {
                            pixels: pixels.clone(),
                        });
                        sample.set(Some(Rc::from(pixels)));
                    }
                    Err(message) => problem.set(Some(message)),
                }
            });
        })
    };
    let on_file = {
        let classify = Rc::clone(&classify_file);
        Callback::from(move |event: Event| {
            let input = event.target_unchecked_into::<HtmlInputElement>();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                classify(file.into());
            }
            input.set_value("");
        })
    };
    let ondrop = {
        let classify = Rc::clone(&classify_file);
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            if let Some(file) = event
                .data_transfer()
                .and_then(|t| t.files())
                .and_then(|f| f.get(0))
            {
                classify(file.into());
            }
        })
    };
    let ondragover = Callback::from(|event: DragEvent| event.prevent_default());
    let toggle_live = {
        let live = live.clone();
        let video = props.camera.clone();
        let problem = problem.clone();
        Callback::from(move |_| {
            let running = video
                .cast::<HtmlVideoElement>()
                .is_some_and(|v| v.video_width() > 0);
            if !*live && !running {
                problem.set(Some("Start the webcam first (above the classes).".into()));
                return;
            }
            problem.set(None);
            live.set(!*live);
        })
    };

    let names: Vec<(String, String)> = props
        .project
        .classes
        .iter()
        .map(|c| (c.class.name.clone(), c.class.color.clone()))
        .collect();
    let result = match (&prediction, sample.is_some()) {
        (Some(Ok(probabilities)), true) => {
            let best = probabilities
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(index, p)| (index, *p));
            let verdict = best.map(|(index, p)| {
                let name = names.get(index).map_or_else(|| format!("class {index}"), |n| n.0.clone());
                let percent = p * 100.0;
                if p >= SURE {
                    html! { <p class="verdict" data-testid="try-verdict" data-class={name.clone()}>{ format!("{name} ({percent:.0} %)") }</p> }
                } else {
                    html! { <p class="verdict unsure" data-testid="try-verdict" data-class={name.clone()}>{ format!("Not sure — maybe {name} ({percent:.0} %)") }</p> }
                }
            });
            html! { <>
                { for verdict }
                <ul class="probabilities" data-testid="try-probabilities">
                    { for probabilities.iter().enumerate().map(|(index, p)| {
                        let (name, color) = names.get(index).cloned().unwrap_or_else(|| (format!("class {index}"), "#888888".into()));
                        let style = format!("width: {:.1}%; background: {color}", p * 100.0);
                        html! {
                            <li>
                                <span class="name">{ name }</span>
                                <span class="bar"><span class="fill" {style} /></span>
                                <span class="value">{ format!("{:.0} %", p * 100.0) }</span>
                            </li>
                        }
                    }) }
                </ul>
            </> }
        }
        (Some(Err(message)), true) => {
            html! { <p class="hint" data-testid="try-message">{ message.clone() }</p> }
        }
        _ => {
            html! { <p class="hint">{ "Drop an image here or use the webcam to see what the model thinks." }</p> }
        }
    };
    // What the pretrained network itself sees: ImageNet's top five (its own classes).
    let seen = match (&props.session.seen, sample.is_some()) {
        (Some(top), true) if !top.is_empty() => html! {
            <div class="seen" data-testid="seen">
                <h3>{ "What does the pretrained network see?" }</h3>
                <ol class="probabilities" data-testid="seen-top5">
                    { for top.iter().map(|(name, p)| {
                        let style = format!("width: {:.1}%; background: #7a869a", p * 100.0);
                        html! {
                            <li>
                                <span class="name">{ name.clone() }</span>
                                <span class="bar"><span class="fill" {style} /></span>
                                <span class="value">{ format!("{:.0} %", p * 100.0) }</span>
                            </li>
                        }
                    }) }
                </ol>
                <p class="hint">{ "ImageNet's 1,000 classes, as the network learned them before it saw your images." }</p>
            </div>
        },
        _ => html! {},
    };
    let preview = (*sample).clone().map(|pixels| {
        html! { <img class="try-sample" src={bmp_data_url(&pixels, STORE_SIZE.width, STORE_SIZE.height)} alt="The image being classified" width="96" height="96" /> }
    });
    html! {
        <section class="panel try-it" aria-label="Try the model" {ondrop} {ondragover} data-testid="try-it">
            <h2>{ "Try it" }</h2>
            <div class="buttons">
                <label class="button" for="try-file">{ "Choose an image…" }</label>
                <input id="try-file" class="visually-hidden" type="file" accept="image/*" onchange={on_file} data-testid="try-file" />
                <button onclick={toggle_live} aria-pressed={live.to_string()} data-testid="try-live">{ if *live { "Stop live webcam" } else { "Live webcam" } }</button>
            </div>
            { for (*problem).clone().map(|p| html! { <p class="banner error" role="alert" data-testid="try-problem">{ p }</p> }) }
            <div class="try-result">
                { for preview }
                <div>{ result }</div>
            </div>
            { seen }
        </section>
    }
}
