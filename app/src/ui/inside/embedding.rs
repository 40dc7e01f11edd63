//! The embedding view: the penultimate features of the validation set in two dimensions.

use agora_engine::inspect::predictions;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::common::*;
use crate::colors::class_css;

#[function_component(EmbeddingView)]
pub(super) fn embedding_view(props: &ReportProps) -> Html {
    let hover = use_state(|| None::<usize>);
    let Some(report) = props.report.clone() else {
        return waiting();
    };
    if report.points.is_empty() {
        return waiting();
    }
    let (min_x, max_x, min_y, max_y) = report.points.iter().fold(
        (
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ),
        |(a, b, c, d), p| (a.min(p[0]), b.max(p[0]), c.min(p[1]), d.max(p[1])),
    );
    let span_x = (max_x - min_x).max(1e-6);
    let span_y = (max_y - min_y).max(1e-6);
    let place = |p: &[f32; 2]| {
        (
            (p[0] - min_x) / span_x * 380.0 + 10.0,
            (max_y - p[1]) / span_y * 380.0 + 10.0,
        )
    };
    let dots = report.points.iter().zip(&report.labels).map(|(p, &label)| {
        let (x, y) = place(p);
        html! { <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="2.2" fill={class_css(label)} /> }
    });
    let onmousemove = {
        let hover = hover.clone();
        let points: Vec<(f32, f32)> = report.points.iter().map(place).collect();
        Callback::from(move |event: MouseEvent| {
            // Yew delegates events to its root, so find the drawing from what the pointer is on.
            let Some(svg) = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| e.closest("svg.embedding").ok().flatten())
            else {
                return;
            };
            let rect = svg.get_bounding_client_rect();
            #[allow(clippy::cast_possible_truncation)]
            let (x, y) = (
                ((f64::from(event.client_x()) - rect.left()) / rect.width() * 400.0) as f32,
                ((f64::from(event.client_y()) - rect.top()) / rect.height() * 400.0) as f32,
            );
            let nearest = points
                .iter()
                .enumerate()
                .map(|(i, (px, py))| (i, (px - x).powi(2) + (py - y).powi(2)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .filter(|(_, d)| *d < 100.0)
                .map(|(i, _)| i);
            if *hover != nearest {
                hover.set(nearest);
            }
        })
    };
    let onclick = {
        let hover = hover.clone();
        let pick = props.pick.clone();
        Callback::from(move |_| {
            if let Some(index) = *hover {
                pick.emit(index);
            }
        })
    };
    // The keyboard: arrows move between the points (in the order of the validation set),
    // Enter follows the one shown.
    let onkeydown = {
        let hover = hover.clone();
        let pick = props.pick.clone();
        let count = report.points.len();
        Callback::from(move |event: KeyboardEvent| {
            let step = match event.key().as_str() {
                "ArrowRight" | "ArrowDown" => Some(1),
                "ArrowLeft" | "ArrowUp" => Some(count - 1),
                "Home" => {
                    event.prevent_default();
                    hover.set(Some(0));
                    None
                }
                "Enter" | " " => {
                    event.prevent_default();
                    if let Some(index) = *hover {
                        pick.emit(index);
                    }
                    None
                }
                _ => None,
            };
            if let Some(step) = step {
                event.prevent_default();
                hover.set(Some(hover.map_or(0, |i| (i + step) % count)));
            }
        })
    };
    let marker = hover.and_then(|index| report.points.get(index)).map(|p| {
        let (x, y) = place(p);
        html! { <circle class="focus-ring" cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="6" /> }
    });
    let detail = hover.and_then(|index| {
        let label = *report.labels.get(index)?;
        let predicted = predictions(report.logits.get(index * report.classes..(index + 1) * report.classes)?, report.classes, 1.0).first().copied()?;
        Some(html! {
            <div class="hover-card" data-testid="embedding-hover">
                { for report_image(&report, index).map(|src| html! { <img {src} alt="" /> }) }
                <p>{ format!("#{} · true {} · predicted {} ({:.0} %)", index + 1, name(&props.names, label), name(&props.names, predicted.0), predicted.1 * 100.0) }</p>
            </div>
        })
    });
    let legend = (0..report.classes).map(|c| html! {
        <span class="legend-item"><span class="swatch" style={format!("background: {}", class_css(c))} />{ name(&props.names, c) }</span>
    });
    html! {
        <div class="embedding-view">
            <p class="hint">{ format!("The penultimate layer's outputs for {} validation images, projected on their two main directions (PCA), after epoch {}. Classes pull apart as the network learns; hover a point to see its image, click to follow it layer by layer.", report.points.len(), report.epoch) }</p>
            <div class="embedding-columns">
                <svg class="embedding" viewBox="0 0 400 400" width="400" height="400" {onmousemove} {onclick} {onkeydown} tabindex="0"
                    data-testid="embedding" data-points={report.points.len().to_string()} role="group"
                    aria-label={format!("Embedding of {} validation images: arrow keys move between them, Enter follows one layer by layer", report.points.len())}>
                    <rect x="0" y="0" width="400" height="400" class="frame" />
                    { for dots }
                    { for marker }
                </svg>
                <div><div aria-live="polite">{ for detail }</div><div class="legend">{ for legend }</div></div>
            </div>
        </div>
    }
}
