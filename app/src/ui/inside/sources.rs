//! Where the layer view's image comes from: the validation set, a drawing pad, a file, the
//! webcam.

use std::rc::Rc;

use agora_engine::net::ImageSize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use yew::prelude::*;

use super::source::Source;

#[derive(Properties, PartialEq)]
pub(super) struct SampleSourcesProps {
    pub(super) source: UseStateHandle<Source>,
}

/// A drawing pad and a file picker: the layer view can follow the person's own image.
#[function_component(SampleSources)]
pub(super) fn sample_sources(props: &SampleSourcesProps) -> Html {
    const PAD: u32 = 168;
    let canvas = use_node_ref();
    let video = use_node_ref();
    let camera_on = use_state(|| false);
    let drawing = use_state(|| false);
    let problem = use_state(|| None::<String>);
    {
        let canvas = canvas.clone();
        use_effect_with((), move |()| {
            if let Some(ctx) = pad_context(&canvas) {
                clear_pad(&ctx, PAD);
            }
        });
    }
    let point = |event: &PointerEvent, canvas: &NodeRef| -> Option<(f64, f64)> {
        let element = canvas.cast::<web_sys::HtmlCanvasElement>()?;
        let rect = element.get_bounding_client_rect();
        Some((
            (f64::from(event.client_x()) - rect.left()) / rect.width() * f64::from(PAD),
            (f64::from(event.client_y()) - rect.top()) / rect.height() * f64::from(PAD),
        ))
    };
    let onpointerdown = {
        let canvas = canvas.clone();
        let drawing = drawing.clone();
        Callback::from(move |event: PointerEvent| {
            event.prevent_default();
            if let (Some(ctx), Some((x, y))) = (pad_context(&canvas), point(&event, &canvas)) {
                ctx.begin_path();
                ctx.move_to(x, y);
                ctx.line_to(x + 0.1, y + 0.1);
                ctx.stroke();
                drawing.set(true);
            }
        })
    };
    let onpointermove = {
        let canvas = canvas.clone();
        let drawing = drawing.clone();
        Callback::from(move |event: PointerEvent| {
            if !*drawing {
                return;
            }
            if let (Some(ctx), Some((x, y))) = (pad_context(&canvas), point(&event, &canvas)) {
                ctx.line_to(x, y);
                ctx.stroke();
            }
        })
    };
    let stop = {
        let drawing = drawing.clone();
        Callback::from(move |_event: PointerEvent| drawing.set(false))
    };
    let clear = {
        let canvas = canvas.clone();
        Callback::from(move |_| {
            if let Some(ctx) = pad_context(&canvas) {
                clear_pad(&ctx, PAD);
            }
        })
    };
    let use_drawing = {
        let canvas = canvas.clone();
        let source = props.source.clone();
        Callback::from(move |_| {
            let Some(ctx) = pad_context(&canvas) else {
                return;
            };
            let Ok(data) = ctx.get_image_data(0.0, 0.0, f64::from(PAD), f64::from(PAD)) else {
                return;
            };
            let grey: Vec<u8> = data.data().0.chunks_exact(4).map(|px| px[0]).collect();
            let side = PAD as usize;
            source.set(Source::Given(Rc::new((
                grey,
                ImageSize {
                    channels: 1,
                    height: side,
                    width: side,
                },
            ))));
        })
    };
    let on_file = {
        let source = props.source.clone();
        let problem = problem.clone();
        Callback::from(move |event: Event| {
            let input = event.target_unchecked_into::<web_sys::HtmlInputElement>();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            input.set_value("");
            show_file(file.into(), source.clone(), problem.clone());
        })
    };
    let camera = {
        let video = video.clone();
        let camera_on = camera_on.clone();
        let problem = problem.clone();
        let source = props.source.clone();
        Callback::from(move |_| {
            let Some(element) = video.cast::<web_sys::HtmlVideoElement>() else {
                return;
            };
            if *camera_on {
                // Running: this click takes the frame.
                match super::super::photos::media_grab(&element, 64) {
                    Ok(pixels) => {
                        let pixels = js_sys::Uint8Array::new(&pixels).to_vec();
                        source.set(Source::photo(pixels));
                    }
                    Err(_) => problem.set(Some("No frame could be taken from the webcam.".into())),
                }
                return;
            }
            let camera_on = camera_on.clone();
            let problem = problem.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match super::super::photos::media_start_camera(&element).await {
                    Ok(_) => {
                        problem.set(None);
                        camera_on.set(true);
                    }
                    Err(error) => problem.set(Some(format!(
                        "The webcam could not start: {}.",
                        js_sys::Reflect::get(&error, &"message".into())
                            .ok()
                            .and_then(|m| m.as_string())
                            .unwrap_or_default()
                    ))),
                }
            });
        })
    };
    let stop_camera = {
        let video = video.clone();
        let camera_on = camera_on.clone();
        Callback::from(move |_| {
            if let Some(element) = video.cast::<web_sys::HtmlVideoElement>() {
                super::super::photos::media_stop_camera(&element);
            }
            camera_on.set(false);
        })
    };
    let ondragover = Callback::from(|event: DragEvent| event.prevent_default());
    let ondrop = {
        let source = props.source.clone();
        let problem = problem.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            let Some(file) = event
                .data_transfer()
                .and_then(|t| t.files())
                .and_then(|f| f.get(0))
            else {
                return;
            };
            show_file(file.into(), source.clone(), problem.clone());
        })
    };
    html! {
        <div class="sample-sources" {ondragover} {ondrop} data-testid="sample-sources" title="Drop an image here to see it go through the network">
            <canvas ref={canvas} class="draw-pad" width={PAD.to_string()} height={PAD.to_string()}
                {onpointerdown} {onpointermove} onpointerup={stop.clone()} onpointerleave={stop}
                data-testid="draw-pad" aria-label="Drawing pad: draw a digit" />
            <div class="buttons">
                <button onclick={use_drawing} data-testid="draw-use">{ "Show my drawing" }</button>
                <button onclick={clear} data-testid="draw-clear">{ "Clear" }</button>
                <label class="button" for="inspect-file">{ "Or an image file…" }</label>
                <input id="inspect-file" class="visually-hidden" type="file" accept="image/*" onchange={on_file} data-testid="inspect-file" />
            </div>
            <div class="buttons">
                <video ref={video} class={classes!("camera-view", "small", (!*camera_on).then_some("off"))} muted=true playsinline=true />
                <button onclick={camera} data-testid="inspect-camera">{ if *camera_on { "Take a webcam frame" } else { "Use the webcam" } }</button>
                <span class="camera-stop">{ for camera_on.then(|| html! { <button onclick={stop_camera}>{ "Stop webcam" }</button> }) }</span>
            </div>
            // Optional parts in fixed wrappers: the <video> must not be re-created.
            <div class="sample-problem">{ for (*problem).clone().map(|p| html! { <p class="banner error" role="alert">{ p }</p> }) }</div>
        </div>
    }
}

/// Checks and decodes a chosen or dropped file and shows it layer by layer.
pub(super) fn show_file(
    file: JsValue,
    source: UseStateHandle<Source>,
    problem: UseStateHandle<Option<String>>,
) {
    wasm_bindgen_futures::spawn_local(async move {
        match super::super::photos::decode_checked(&file).await {
            Ok(pixels) => {
                problem.set(None);
                source.set(Source::photo(pixels));
            }
            Err(message) => problem.set(Some(message)),
        }
    });
}

pub(super) fn pad_context(canvas: &NodeRef) -> Option<web_sys::CanvasRenderingContext2d> {
    let element = canvas.cast::<web_sys::HtmlCanvasElement>()?;
    let ctx: web_sys::CanvasRenderingContext2d =
        element.get_context("2d").ok().flatten()?.dyn_into().ok()?;
    ctx.set_stroke_style_str("#ffffff");
    ctx.set_line_width(14.0);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    Some(ctx)
}

pub(super) fn clear_pad(ctx: &web_sys::CanvasRenderingContext2d, side: u32) {
    ctx.set_fill_style_str("#000000");
    ctx.fill_rect(0.0, 0.0, f64::from(side), f64::from(side));
}
