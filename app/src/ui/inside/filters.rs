//! The filters view: each convolution's kernels as images.

use agora_engine::net::Layer;
use yew::prelude::*;

use super::common::*;
use crate::pictures::{filter_rgb, map_rgb, max_abs};
use crate::reports::Inspection;

pub(super) fn filters_view(inspection: Option<&Inspection>, layers: &[Layer]) -> Html {
    let Some(inspection) = inspection else {
        return html! { <p class="hint">{ "Reading the filters…" }</p> };
    };
    if inspection.kernels.is_empty() {
        return html! { <p class="hint">{ "This network has no convolution layer, so it has no filters to show. Its first Dense layer's weights play that part." }</p> };
    }
    let groups = inspection.kernels.iter().enumerate().map(|(order, (layer, kernel))| {
        let [filters, channels, k, _] = kernel.shape.as_slice() else {
            return html! {};
        };
        let (filters, channels, k) = (*filters, *channels, *k);
        let per_filter = channels * k * k;
        let first = order == 0;
        let body = if first && (channels == 3 || channels == 1) {
            // The first layer's kernels look at pixels: show each as a small image.
            let tiles = (0..filters.min(64)).map(|f| {
                let weights = &kernel.values[f * per_filter..(f + 1) * per_filter];
                html! { <img class="filter" src={image_url(&filter_rgb(weights, channels, k), k, k)} alt={format!("Filter {}", f + 1)} title={format!("Filter {}", f + 1)} /> }
            });
            html! { <div class="filters" data-testid="filters-first">{ for tiles }</div> }
        } else {
            // Deeper kernels: one row per filter, one tile per input channel.
            let rows = (0..filters.min(16)).map(|f| {
                let tiles = (0..channels.min(16)).map(|c| {
                    let start = f * per_filter + c * k * k;
                    let weights = &kernel.values[start..start + k * k];
                    let scale = max_abs(weights);
                    html! { <img class="filter small" src={image_url(&map_rgb(weights, scale), k, k)} alt="" /> }
                });
                html! { <div class="filter-row">{ for tiles }</div> }
            });
            html! { <div class="filters deep">{ for rows }</div> }
        };
        html! {
            <div class="filter-group" data-testid={format!("filters-layer-{layer}")}>
                <div class="layer-maps-head"><strong>{ format!("{}. {}", layer + 1, layers.get(*layer).map(Layer::title).unwrap_or_default()) }</strong>
                    <span class="muted">{ format!("{filters} filters × {channels} channels × {k}×{k}") }</span></div>
                { body }
            </div>
        }
    });
    html! { <div data-testid="filters">{ for groups }</div> }
}
