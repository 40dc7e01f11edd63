//! The layer-by-layer view: every tap of one image as maps or bars.

use agora_engine::inspect::HostTensor;
use agora_engine::inspect::SaliencyMethod;
use agora_engine::net::Layer;
use yew::prelude::*;

use super::common::*;
use super::source::Source;
use crate::colors::class_css;
use crate::pictures::{input_rgb, map_rgb, max_abs, overlay_rgb};
use crate::reports::Inspection;

/// Feature maps shown per layer, and units per dense layer.
pub(super) const MAX_MAPS: usize = 32;
pub(super) const MAX_UNITS: usize = 128;
pub(super) fn layer_label(layers: &[Layer], titles: &[String], tap: usize) -> String {
    if let Some(title) = titles.get(tap) {
        return if tap == 0 {
            title.clone()
        } else {
            format!("{tap}. {title}")
        };
    }
    if tap == 0 {
        return "Input".into();
    }
    layers
        .get(tap - 1)
        .map_or_else(String::new, |layer| format!("{tap}. {}", layer.title()))
}

#[allow(clippy::too_many_lines)]
pub(super) fn layers_view(
    inspection: Option<&Inspection>,
    layers: &[Layer],
    names: &[String],
    source: &UseStateHandle<Source>,
    shared: &UseStateHandle<bool>,
    enlarged: &UseStateHandle<Option<(usize, usize)>>,
) -> Html {
    let Some(inspection) = inspection else {
        return html! { <p class="hint">{ "Reading the layers…" }</p> };
    };
    let count = inspection.count.max(1);
    let current = match **source {
        Source::Validation(sample) => sample,
        Source::Given(_) => inspection.sample.unwrap_or(0),
    };
    let step = |delta: isize| {
        let source = source.clone();
        Callback::from(move |_| {
            let next = current.checked_add_signed(delta).unwrap_or(count - 1) % count;
            source.set(Source::Validation(next));
        })
    };
    let random = {
        let source = source.clone();
        Callback::from(move |_| {
            // A different image, spread over the set (Knuth's multiplicative hash).
            let next = (current.wrapping_mul(2_654_435_761).wrapping_add(7919)) % count;
            source.set(Source::Validation(if next == current {
                (next + 1) % count
            } else {
                next
            }));
        })
    };
    let toggle_scale = {
        let shared = shared.clone();
        Callback::from(move |_| shared.set(!*shared))
    };
    let best = inspection
        .probabilities
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or((0, 0.0), |(c, p)| (c, *p));
    let header = html! {
        <div class="sample-row">
            <button onclick={step(-1)} data-testid="sample-prev" aria-label="Previous image">{ "←" }</button>
            <span data-testid="sample-label" data-sample={inspection.sample.map(|s| s.to_string())} data-epoch={inspection.epoch.to_string()}
                data-probabilities={inspection.probabilities.iter().map(|p| format!("{p:e}")).collect::<Vec<_>>().join(",")}>{ match (inspection.sample, inspection.label) {
                (Some(sample), Some(label)) => format!("Validation image {} of {} · true class {} · predicted {} ({:.0} %)", sample + 1, inspection.count, name(names, label), name(names, best.0), best.1 * 100.0),
                _ => format!("Your image · predicted {} ({:.0} %){}", name(names, best.0), best.1 * 100.0, if best.1 < 0.6 { " — not sure" } else { "" }),
            } }</span>
            <button onclick={step(1)} data-testid="sample-next" aria-label="Next image">{ "→" }</button>
            <button onclick={random} data-testid="sample-random">{ "Another" }</button>
            <label class="check"><input type="checkbox" checked={**shared} onchange={toggle_scale} data-testid="shared-scale" />{ "one colour scale per layer (off: per map)" }</label>
            <span class="muted">{ format!("weights of epoch {}", inspection.epoch) }</span>
        </div>
    };
    let rows = inspection.taps.iter().enumerate().map(|(tap, tensor)| {
        let label = layer_label(layers, &inspection.titles, tap);
        let shape = tensor
            .shape
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("×");
        let content = match tensor.shape.as_slice() {
            [c, h, w] if tap == 0 => {
                let base = input_rgb(&tensor.values, *c, *h, *w);
                let src = image_url(&base, *h, *w);
                let saliency = inspection.saliency.as_ref().map(|saliency| {
                    let over = overlay_rgb(&base, (*h, *w), &saliency.values, (saliency.height, saliency.width));
                    let how = match saliency.method {
                        SaliencyMethod::GradCam { tap } => format!("Grad-CAM on {} for “{}”: where the last convolutional block saw evidence for it", layer_label(layers, &inspection.titles, tap), name(names, saliency.class)),
                        SaliencyMethod::GradientTimesInput => format!("gradient × input for “{}” (no convolution layer): the pixels that move its score most", name(names, saliency.class)),
                    };
                    html! {
                        <figure class="saliency" data-testid="saliency" data-method={format!("{:?}", saliency.method)}>
                            <img class="map input-map" src={image_url(&over, *h, *w)} alt="Saliency over the input" />
                            <figcaption>{ how }</figcaption>
                        </figure>
                    }
                });
                html! { <div class="input-row-maps">
                    <img class="map input-map" {src} alt="The input image" data-testid="layer-input" />
                    { for saliency }
                </div> }
            }
            [c, h, w] => maps_html(tap, tensor, (*c, *h, *w), **shared, enlarged),
            [n] => units_html(tensor, *n, tap == inspection.taps.len() - 1, names),
            _ => html! {},
        };
        html! {
            <li class="layer-maps" data-testid={format!("layer-view-{tap}")}>
                <div class="layer-maps-head"><strong>{ label }</strong><span class="muted">{ shape }</span></div>
                { content }
            </li>
        }
    });
    html! {
        <>
            { header }
            <ol class="layer-views">{ for rows }</ol>
        </>
    }
}

pub(super) fn maps_html(
    tap: usize,
    tensor: &HostTensor,
    (channels, height, width): (usize, usize, usize),
    shared: bool,
    enlarged: &UseStateHandle<Option<(usize, usize)>>,
) -> Html {
    let plane = height * width;
    let layer_scale = max_abs(&tensor.values);
    let shown = channels.min(MAX_MAPS);
    let maps = (0..shown).map(|channel| {
        let values = &tensor.values[channel * plane..((channel + 1) * plane).min(tensor.values.len())];
        let scale = if shared { layer_scale } else { max_abs(values) };
        let src = image_url(&map_rgb(values, scale), height, width);
        let onclick = {
            let enlarged = enlarged.clone();
            Callback::from(move |_| {
                enlarged.set(if *enlarged == Some((tap, channel)) { None } else { Some((tap, channel)) });
            })
        };
        let open = **enlarged == Some((tap, channel));
        html! {
            <button class="map-button" {onclick} aria-pressed={open.to_string()} title={format!("Map {} — click to enlarge", channel + 1)}
                data-testid={format!("map-{tap}-{channel}")}>
                <img class="map" src={src} alt={format!("Map {}", channel + 1)} />
            </button>
        }
    });
    let big = enlarged.filter(|(t, c)| *t == tap && *c < shown).map(|(_, channel)| {
        let values = &tensor.values[channel * plane..((channel + 1) * plane).min(tensor.values.len())];
        let scale = if shared { layer_scale } else { max_abs(values) };
        html! {
            <figure class="map-large" data-testid="map-enlarged">
                <img src={image_url(&map_rgb(values, scale), height, width)} alt={format!("Map {} enlarged", channel + 1)} />
                <figcaption>{ format!("Map {} of {channels}: blue positive, orange negative, up to ±{scale:.3}", channel + 1) }</figcaption>
            </figure>
        }
    });
    html! {
        <>
            <div class="maps" data-maps={shown.to_string()}>
                { for maps }
                { for (channels > shown).then(|| html! { <span class="muted">{ format!("+{} more", channels - shown) }</span> }) }
            </div>
            { for big }
        </>
    }
}

pub(super) fn units_html(
    tensor: &HostTensor,
    units: usize,
    output: bool,
    names: &[String],
) -> Html {
    let scale = max_abs(&tensor.values).max(1e-12);
    let shown = units.min(MAX_UNITS);
    if output {
        let bars = tensor.values.iter().enumerate().map(|(class, p)| {
            let style = format!("width: {:.1}%; background: {}", p * 100.0, class_css(class));
            html! {
                <li>
                    <span class="name">{ name(names, class) }</span>
                    <span class="bar"><span class="fill" {style} /></span>
                    <span class="value">{ format!("{:.0} %", p * 100.0) }</span>
                </li>
            }
        });
        return html! { <ul class="probabilities" data-testid="output-bars">{ for bars }</ul> };
    }
    let bars = tensor.values.iter().take(shown).map(|v| {
        let height = (v.abs() / scale * 100.0).clamp(0.0, 100.0);
        let class = if *v >= 0.0 {
            "unit positive"
        } else {
            "unit negative"
        };
        let style = format!("height: {height:.0}%");
        html! { <span {class} {style} title={format!("{v:.3}")} /> }
    });
    html! {
        <div class="units" data-units={shown.to_string()}>
            { for bars }
            { for (units > shown).then(|| html! { <span class="muted">{ format!("+{} more", units - shown) }</span> }) }
        </div>
    }
}
