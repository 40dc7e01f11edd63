//! The network builder: a palette of layers, the network drawn as columns of neurons (each a
//! heatmap of what it computes), weights on the connections, and three ways to edit it:
//! pointer drag (mouse, pen and touch alike), clicks, and the keyboard.
//!
//! Geometry is fixed (columns `COLUMN_W` apart, neurons `ROW_H` apart), so drop positions and
//! connection lines are computed, not measured from the DOM.

use std::rc::Rc;

use agora_engine::data::grid_points;
use agora_engine::net::Feature;
use agora_engine::snapshot::GRID;

use super::table::LoadedTable;
use crate::plane::{
    ACTIVATIONS, DROPOUTS, LayerShape, LayerSpec, MAX_UNITS, activation_from_key, activation_key,
    activation_label,
};
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::part::PartOf;
use crate::lesson::Part;

use super::Editor;
use super::canvas::Heatmap;
use super::drag::start_drag;
use crate::colors::{self, CLASS_COLORS};
use crate::project::{Project, ProjectAction};
use crate::session::Session;

const FEATURES_W: f64 = 96.0;
const COLUMN_W: f64 = 128.0;
const HEADER_H: f64 = 176.0;
const ROW_H: f64 = 44.0;
const THUMB: f64 = 34.0;

/// What is being dragged.
#[derive(Clone, Debug, PartialEq)]
pub enum DragSource {
    Palette(LayerSpec),
    Layer(usize),
}

/// A drag in the builder; its slot 0 is before the first hidden layer.
pub type Drag = super::drag::Drag<DragSource>;

/// Shared between the drag layer (which sees every pointer move) and the network panel.
#[derive(Clone, PartialEq)]
pub struct DragContext {
    pub drag: UseStateHandle<Option<Drag>>,
    pub network: NodeRef,
}

#[derive(Properties, PartialEq)]
pub struct DragLayerProps {
    pub project: UseReducerHandle<Project>,
    pub editor: Editor,
    pub children: Html,
}

fn slot_at(network: &NodeRef, layers: usize, x: f64, y: f64) -> Option<usize> {
    let element = network.cast::<HtmlElement>()?;
    let rect = element.get_bounding_client_rect();
    let margin = 40.0;
    if x < rect.left() - margin
        || x > rect.right() + margin
        || y < rect.top() - margin
        || y > rect.bottom() + margin
    {
        return None;
    }
    let inside = x - rect.left() + f64::from(element.scroll_left()) - FEATURES_W;
    let slot = ((inside + COLUMN_W / 2.0) / COLUMN_W).floor().max(0.0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // non-negative, small
    let slot = slot as usize;
    Some(slot.min(layers))
}

/// The page's root: follows a drag wherever the pointer goes and drops it.
#[function_component(DragLayer)]
pub fn drag_layer(props: &DragLayerProps) -> Html {
    let drag = use_state(|| None::<Drag>);
    let network = use_node_ref();
    let context = DragContext {
        drag: drag.clone(),
        network: network.clone(),
    };
    let layers = props.project.cards().len();
    let onpointermove = {
        let drag = drag.clone();
        let network = network.clone();
        Callback::from(move |event: PointerEvent| {
            if let Some(current) = (*drag).clone() {
                drag.set(Some(
                    current.follow(&event, |x, y| slot_at(&network, layers, x, y)),
                ));
            }
        })
    };
    let onpointerup = {
        let drag = drag.clone();
        let projects = props.editor.clone();
        Callback::from(move |_event: PointerEvent| {
            if let Some(current) = (*drag).clone() {
                if current.moved
                    && let Some(slot) = current.slot
                {
                    match current.source {
                        DragSource::Palette(layer) => {
                            projects.edit(ProjectAction::InsertCard { index: slot, layer });
                        }
                        DragSource::Layer(from) => {
                            let to = if slot > from { slot - 1 } else { slot };
                            if to != from {
                                projects.edit(ProjectAction::MoveCard { from, to });
                            }
                        }
                    }
                }
                drag.set(None);
            }
        })
    };
    let onpointercancel = {
        let drag = drag.clone();
        Callback::from(move |_event: PointerEvent| drag.set(None))
    };
    let ghost = (*drag).as_ref().filter(|d| d.moved).map(|d| {
        let label = match &d.source {
            DragSource::Palette(layer) => layer_title(layer),
            DragSource::Layer(index) => format!("Layer {}", index + 1),
        };
        let style = format!(
            "left: {}px; top: {}px;",
            d.pointer.0 + 8.0,
            d.pointer.1 + 8.0
        );
        html! { <div class="drag-ghost" {style}>{ label }</div> }
    });
    let class = classes!(
        "app",
        drag.as_ref().is_some_and(|d| d.moved).then_some("dragging")
    );
    html! {
        <ContextProvider<DragContext> {context}>
            <div {class} {onpointermove} {onpointerup} {onpointercancel}>
                { props.children.clone() }
                { for ghost }
            </div>
        </ContextProvider<DragContext>>
    }
}

fn layer_title(layer: &LayerSpec) -> String {
    match layer {
        LayerSpec::Dense { activation, .. } => format!("Dense · {}", activation_label(*activation)),
    }
}

#[derive(Properties, PartialEq)]
pub struct NetworkPanelProps {
    pub project: UseReducerHandle<Project>,
    pub editor: Editor,
    pub session: UseReducerHandle<Session>,
    /// The person's table, when one is open (for its column names).
    pub table: Option<LoadedTable>,
}

/// The palette and the network.
#[function_component(NetworkPanel)]
pub fn network_panel(props: &NetworkPanelProps) -> Html {
    let context = use_context::<DragContext>().expect("NetworkPanel sits inside DragLayer");
    let hovered = use_state(|| None::<(usize, usize)>);
    let focus_request = use_state(|| None::<usize>);
    let project = &props.project;
    let cards = project.cards();
    let layer_count = cards.len();

    // After a keyboard move, keep focus on the moved layer.
    use_effect_with((*focus_request, layer_count), |(request, _)| {
        if let Some(index) = request
            && let Some(element) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&format!("layer-{index}")))
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(e).ok())
        {
            let _ = element.focus();
        }
    });

    let palette = ACTIVATIONS.into_iter().map(|activation| {
        let layer = LayerSpec::dense(4, activation);
        let onpointerdown = start_drag(&context.drag, DragSource::Palette(layer.clone()));
        let onclick = {
            let projects = props.editor.clone();
            let drag = context.drag.clone();
            let layer = layer.clone();
            Callback::from(move |_event: MouseEvent| {
                // A drag that ended here is not a click.
                if drag.as_ref().is_some_and(|d| d.moved) {
                    return;
                }
                projects.edit(ProjectAction::InsertCard { index: usize::MAX, layer: layer.clone() });
            })
        };
        let title = layer_title(&layer);
        html! {
            <button class="palette-item" data-testid={format!("palette-dense-{}", activation_key(activation))}
                aria-label={format!("Add a {title} layer (drag it into the network, or press Enter to append it)")}
                {onpointerdown} {onclick}>
                <span class="grip" aria-hidden="true">{ "⠿" }</span>{ title }
            </button>
        }
    });

    let snapshot = props.session.snapshot.clone();
    let shapes = project.shapes().ok();
    let feature_pixels = use_memo((), |()| feature_heatmaps());
    let features_shown: Vec<Feature> = Feature::ALL.to_vec();
    let outputs = project.head().outputs();
    // A table's chosen columns stand where the point features do.
    let table_columns: Option<Vec<String>> = project.data.table().map(|table| {
        table
            .choice
            .features
            .iter()
            .map(|&column| {
                props
                    .table
                    .as_ref()
                    .and_then(|t| t.headers.get(column).cloned())
                    .unwrap_or_else(|| format!("column {}", column + 1))
            })
            .collect()
    });
    let input_rows = table_columns
        .as_ref()
        .map_or(features_shown.len(), Vec::len);
    let rows = input_rows
        .max(
            cards
                .iter()
                .map(|LayerSpec::Dense { units, .. }| (*units).min(MAX_UNITS))
                .max()
                .unwrap_or(0),
        )
        .max(outputs);
    #[allow(clippy::cast_precision_loss)]
    let height = HEADER_H + rows as f64 * ROW_H + 8.0;
    #[allow(clippy::cast_precision_loss)]
    let width = FEATURES_W + (layer_count as f64 + 1.0) * COLUMN_W;

    // Node positions: (x of the left edge of the thumbnail, y of its top).
    let feature_y = |index: usize| {
        #[allow(clippy::cast_precision_loss)]
        let y = HEADER_H + index as f64 * ROW_H;
        y
    };
    let column_x = |column: usize| {
        #[allow(clippy::cast_precision_loss)]
        let x = FEATURES_W + column as f64 * COLUMN_W + 12.0;
        x
    };

    // Connections: one path per weight, coloured by sign, thick by size.
    let mut paths = Vec::new();
    let mut previous: Vec<(f64, f64)> = match &table_columns {
        Some(columns) => (0..columns.len())
            .map(|row| (8.0 + THUMB, feature_y(row) + THUMB / 2.0))
            .collect(),
        None => project
            .features()
            .iter()
            .map(|feature| {
                let row = Feature::ALL.iter().position(|f| f == feature).unwrap_or(0);
                (8.0 + THUMB, feature_y(row) + THUMB / 2.0)
            })
            .collect(),
    };
    let widths: Vec<usize> = cards
        .iter()
        .map(|LayerSpec::Dense { units, .. }| *units)
        .chain(std::iter::once(outputs))
        .collect();
    for (column, &units) in widths.iter().enumerate() {
        let units = units.min(MAX_UNITS);
        let weights = snapshot
            .as_ref()
            .and_then(|s| s.layers.get(column))
            .filter(|layer| layer.fan_in == previous.len() && layer.units == units);
        let x = column_x(column);
        for j in 0..units {
            let y = feature_y(j) + THUMB / 2.0;
            for (i, &(px, py)) in previous.iter().enumerate() {
                let weight = weights.map_or(0.0, |layer| layer.weights[i * layer.units + j]);
                let [r, g, b] = colors::diverging(weight.clamp(-1.0, 1.0));
                let stroke_width = (f64::from(weight.abs()) * 2.5).clamp(0.4, 6.0);
                let mid = (px + x) / 2.0;
                paths.push(html! {
                    <path d={format!("M{px:.1},{py:.1} C{mid:.1},{py:.1} {mid:.1},{y:.1} {x:.1},{y:.1}")}
                        stroke={format!("rgb({r},{g},{b})")} stroke-width={format!("{stroke_width:.2}")} fill="none" />
                });
            }
        }
        previous = (0..units)
            .map(|j| (x + THUMB, feature_y(j) + THUMB / 2.0))
            .collect();
    }

    let column_nodes = table_columns
        .iter()
        .flatten()
        .enumerate()
        .map(|(row, name)| {
            let style = format!("left: 8px; top: {}px;", feature_y(row));
            html! {
                <div class="feature column" {style} data-testid={format!("input-column-{row}")}
                    aria-label={format!("Input column {name}")}>
                    <span class="column-swatch" aria-hidden="true">{ "▦" }</span>
                    <span class="feature-label">{ name.clone() }</span>
                </div>
            }
        });
    let feature_nodes = features_shown.iter().filter(|_| table_columns.is_none()).enumerate().map(|(row, feature)| {
        let enabled = project.features().contains(feature);
        let onclick = {
            let projects = props.editor.clone();
            let feature = *feature;
            Callback::from(move |_| projects.edit(ProjectAction::ToggleFeature(feature)))
        };
        let style = format!("left: 8px; top: {}px;", feature_y(row));
        html! {
            <button class={classes!("feature", (!enabled).then_some("off"))} {style} {onclick}
                aria-pressed={enabled.to_string()} data-testid={format!("feature-{}", feature.key())}
                aria-label={format!("Input feature {}: {}", feature.label(), if enabled { "on" } else { "off" })}>
                <Heatmap pixels={feature_pixels[row].clone()} resolution={GRID} size={THUMB as u32} />
                <span class="feature-label">{ feature.label() }</span>
            </button>
        }
    });

    let drop_marker = context.drag.as_ref().filter(|d| d.moved).and_then(|d| d.slot).map(|slot| {
        #[allow(clippy::cast_precision_loss)]
        let x = FEATURES_W + slot as f64 * COLUMN_W - 6.0;
        html! { <div class="drop-marker" style={format!("left: {x}px; height: {height}px;")} data-testid="drop-marker" /> }
    });

    let layer_columns = cards.iter().enumerate().map(|(index, layer)| {
        let shape = shapes.as_ref().and_then(|s| s.layers.get(index)).cloned();
        let neuron_grid = snapshot
            .as_ref()
            .and_then(|s| s.neuron_grids.get(index))
            .cloned();
        html! {
            <LayerColumn index={index} layer={layer.clone()} count={layer_count}
                editor={props.editor.clone()} shape={shape} focus_request={focus_request.clone()}
                hovered={hovered.clone()} neurons={neuron_grid.map(Rc::new)} x={column_x(index)} />
        }
    });

    // A table's classes go by their names.
    let class_names: Vec<String> = match (project.data.table(), &props.table) {
        (Some(setup), Some(table)) => table.distinct(setup.choice.label),
        _ => Vec::new(),
    };
    let output_nodes = (0..outputs).map(|class| {
        let style = format!(
            "left: {}px; top: {}px;",
            column_x(layer_count),
            feature_y(class)
        );
        let [r, g, b] = if outputs == 1 {
            CLASS_COLORS[1]
        } else {
            CLASS_COLORS[class % CLASS_COLORS.len()]
        };
        let label = if outputs == 1 {
            "value".to_owned()
        } else {
            class_names
                .get(class)
                .cloned()
                .unwrap_or_else(|| format!("class {class}"))
        };
        html! {
            <div class="output-node" {style} title={label.clone()}>
                <span class="swatch" style={format!("background: rgb({r},{g},{b})")} />
                <span class="feature-label">{ label }</span>
            </div>
        }
    });
    let output_header = {
        let shape = shapes.as_ref().and_then(|s| s.layers.last()).cloned();
        let style = format!("left: {}px;", column_x(layer_count) - 8.0);
        let head = if outputs == 1 {
            "Regression · MSE".to_owned()
        } else {
            format!("Softmax · {outputs} classes")
        };
        html! {
            <div class="layer-card output-card" {style} data-testid="output-card">
                <div class="layer-title">{ "Output" }</div>
                <div class="layer-detail">{ head }</div>
                { for shape.map(|s| html! {
                    <div class="layer-shape">{ format!("[batch, {}]", s.units) }<br/>{ format!("{} params", s.params) }</div>
                }) }
            </div>
        }
    };

    let enlarged = hovered.and_then(|(layer, neuron)| {
        let grid = snapshot.as_ref()?.neuron_heatmap(layer, neuron)?;
        let activation = match cards.get(layer)? {
            LayerSpec::Dense { activation, .. } => *activation,
        };
        let pixels = Rc::new(colors::neuron_pixels(&grid, activation));
        let style = format!("left: {}px; top: {}px;", column_x(layer) + THUMB + 10.0, feature_y(neuron));
        Some(html! {
            <div class="neuron-zoom" {style} data-testid="neuron-zoom">
                <Heatmap {pixels} resolution={GRID} size={160} />
                <div class="zoom-label">{ format!("Layer {}, neuron {}", layer + 1, neuron + 1) }</div>
            </div>
        })
    });

    let total = shapes.as_ref().map(|s| s.total_params);
    html! {
        <section class="network-panel" aria-label="Network">
            <PartOf part={Part::Network}><div class="palette" role="toolbar" aria-label="Layer palette">
                <span class="palette-title">{ "Layers" }</span>
                { for palette }
                <span class="hint">{ "Drag a layer between columns, or click to append. Focus a layer: ← → move, Delete removes, D duplicates, + − neurons." }</span>
            </div></PartOf>
            <div class="network-summary">
                { format!("{} hidden layer{}", layer_count, if layer_count == 1 { "" } else { "s" }) }
                { for total.map(|t| html! { <span data-testid="total-params">{ format!(" · {t} parameters") }</span> }) }
            </div>
            <div class="network" ref={context.network.clone()} data-testid="network"
                style={format!("width: {width}px; height: {height}px;")}>
                <svg class="links" width={width.to_string()} height={height.to_string()} aria-hidden="true">{ for paths }</svg>
                <div class="features-title">{ "Features" }</div>
                <PartOf part={Part::Features}>{ for feature_nodes }</PartOf>
                <PartOf part={Part::Network}>{ for column_nodes }{ for layer_columns }</PartOf>
                { output_header }
                { for output_nodes }
                { for drop_marker }
                { for enlarged }
            </div>
        </section>
    }
}

/// Heatmaps of the input features over the plane, scaled to their largest magnitude.
fn feature_heatmaps() -> Vec<Rc<Vec<u8>>> {
    let grid = grid_points(GRID);
    Feature::ALL
        .iter()
        .map(|feature| {
            let values: Vec<f32> = grid.iter().map(|&(x1, x2)| feature.apply(x1, x2)).collect();
            Rc::new(colors::neuron_pixels(&values, None))
        })
        .collect()
}

#[derive(Properties, PartialEq)]
struct LayerColumnProps {
    index: usize,
    count: usize,
    layer: LayerSpec,
    editor: Editor,
    shape: Option<LayerShape>,
    focus_request: UseStateHandle<Option<usize>>,
    hovered: UseStateHandle<Option<(usize, usize)>>,
    neurons: Option<Rc<Vec<f32>>>,
    x: f64,
}

#[function_component(LayerColumn)]
fn layer_column(props: &LayerColumnProps) -> Html {
    let context = use_context::<DragContext>().expect("LayerColumn sits inside DragLayer");
    let index = props.index;
    let LayerSpec::Dense {
        units,
        activation,
        norm,
        skip,
        dropout,
    } = props.layer.clone();
    let projects = props.editor.clone();
    let dispatch = {
        let projects = projects.clone();
        move |action: ProjectAction| projects.edit(action)
    };
    let onkeydown = {
        let dispatch = dispatch.clone();
        let focus = props.focus_request.clone();
        let count = props.count;
        Callback::from(move |event: KeyboardEvent| {
            // Keys typed into the card's own inputs belong to them.
            let from_input = event
                .target()
                .and_then(|t| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(t).ok())
                .is_some_and(|e| e.tag_name() != "DIV");
            if from_input {
                return;
            }
            let handled = match event.key().as_str() {
                "ArrowLeft" if index > 0 => {
                    dispatch(ProjectAction::MoveCard {
                        from: index,
                        to: index - 1,
                    });
                    focus.set(Some(index - 1));
                    true
                }
                "ArrowRight" if index + 1 < count => {
                    dispatch(ProjectAction::MoveCard {
                        from: index,
                        to: index + 1,
                    });
                    focus.set(Some(index + 1));
                    true
                }
                "Delete" | "Backspace" => {
                    dispatch(ProjectAction::RemoveCard { index });
                    focus.set(if count > 1 {
                        Some(index.min(count - 2))
                    } else {
                        None
                    });
                    true
                }
                "d" | "D" => {
                    dispatch(ProjectAction::DuplicateCard { index });
                    focus.set(Some(index + 1));
                    true
                }
                "+" | "=" => {
                    dispatch(ProjectAction::SetUnits {
                        index,
                        units: units + 1,
                    });
                    true
                }
                "-" => {
                    dispatch(ProjectAction::SetUnits {
                        index,
                        units: units.saturating_sub(1),
                    });
                    true
                }
                _ => false,
            };
            if handled {
                event.prevent_default();
            }
        })
    };
    let onpointerdown = start_drag(&context.drag, DragSource::Layer(index));
    let on_units = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let units = input.value().trim().parse::<usize>().unwrap_or(0);
            dispatch(ProjectAction::SetUnits { index, units });
        })
    };
    let on_activation = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Some(activation) = activation_from_key(&select.value()) {
                dispatch(ProjectAction::SetActivation { index, activation });
            }
        })
    };
    let less = {
        let dispatch = dispatch.clone();
        Callback::from(move |_| {
            dispatch(ProjectAction::SetUnits {
                index,
                units: units.saturating_sub(1),
            })
        })
    };
    let more = {
        let dispatch = dispatch.clone();
        Callback::from(move |_| {
            dispatch(ProjectAction::SetUnits {
                index,
                units: units + 1,
            })
        })
    };
    let duplicate = {
        let dispatch = dispatch.clone();
        Callback::from(move |_| dispatch(ProjectAction::DuplicateCard { index }))
    };
    let on_norm = {
        let dispatch = dispatch.clone();
        Callback::from(move |_| dispatch(ProjectAction::SetNorm { index, norm: !norm }))
    };
    let on_skip = {
        let dispatch = dispatch.clone();
        Callback::from(move |_| dispatch(ProjectAction::SetSkip { index, skip: !skip }))
    };
    let on_dropout = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Ok(percent) = select.value().parse::<u8>() {
                dispatch(ProjectAction::SetDropout { index, percent });
            }
        })
    };
    let remove = Callback::from(move |_| dispatch(ProjectAction::RemoveCard { index }));
    let dragging_me = context
        .drag
        .as_ref()
        .is_some_and(|d| d.moved && d.source == DragSource::Layer(index));
    let card_style = format!("left: {}px;", props.x - 8.0);
    let shown = units.min(MAX_UNITS);
    let neurons = (0..shown).map(|neuron| {
        let pixels = props.neurons.as_ref().and_then(|grid| {
            let count = grid.len() / (GRID * GRID);
            (neuron < count && count == units).then(|| {
                let values: Vec<f32> = grid.iter().skip(neuron).step_by(count).copied().collect();
                Rc::new(colors::neuron_pixels(&values, activation))
            })
        });
        #[allow(clippy::cast_precision_loss)]
        let style = format!("left: {}px; top: {}px;", props.x, HEADER_H + neuron as f64 * ROW_H);
        let onmouseenter = {
            let hovered = props.hovered.clone();
            Callback::from(move |_| hovered.set(Some((index, neuron))))
        };
        let onmouseleave = {
            let hovered = props.hovered.clone();
            Callback::from(move |_| hovered.set(None))
        };
        html! {
            <div class="neuron" {style} {onmouseenter} {onmouseleave} data-testid={format!("neuron-{index}-{neuron}")}>
                { match pixels {
                    Some(pixels) => html! { <Heatmap {pixels} resolution={GRID} size={THUMB as u32} /> },
                    None => html! { <div class="neuron-empty" /> },
                } }
            </div>
        }
    });
    let dropout_options = DROPOUTS.into_iter().map(|percent| {
        let label = if percent == 0 { "no dropout".to_owned() } else { format!("dropout {percent} %") };
        html! { <option value={percent.to_string()} selected={percent == dropout}>{ label }</option> }
    });
    let activation_options = ACTIVATIONS.into_iter().map(|option| {
        html! { <option value={activation_key(option)} selected={option == activation}>{ activation_label(option) }</option> }
    });
    html! {
        <>
            <div id={format!("layer-{index}")} class={classes!("layer-card", dragging_me.then_some("lifted"))}
                style={card_style} tabindex="0" {onkeydown} data-testid={format!("layer-{index}")}
                role="group" aria-label={format!("Layer {}: Dense, {units} neurons, {}", index + 1, activation_label(activation))}>
                <div class="layer-title">
                    <span class="handle" {onpointerdown} title="Drag to move" aria-hidden="true">{ "⠿" }</span>
                    { "Dense" }
                    <button class="icon" onclick={duplicate} aria-label={format!("Duplicate layer {}", index + 1)} title="Duplicate">
                        <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true"><rect x="1.5" y="4.5" width="9" height="9" fill="none" stroke="currentColor" /><rect x="5.5" y="1.5" width="9" height="9" fill="white" stroke="currentColor" /></svg>
                    </button>
                    <button class="icon" onclick={remove} aria-label={format!("Remove layer {}", index + 1)} title="Remove" data-testid={format!("remove-{index}")}>{ "✕" }</button>
                </div>
                <div class="units">
                    <button class="icon" onclick={less} aria-label="One neuron fewer">{ "−" }</button>
                    <input type="number" min="1" max={MAX_UNITS.to_string()} value={units.to_string()}
                        oninput={on_units} aria-label={format!("Neurons in layer {}", index + 1)} data-testid={format!("units-{index}")} />
                    <button class="icon" onclick={more} aria-label="One neuron more">{ "+" }</button>
                </div>
                <select onchange={on_activation} aria-label={format!("Activation of layer {}", index + 1)} data-testid={format!("activation-{index}")}>
                    { for activation_options }
                </select>
                <div class="layer-extras">
                    <label title="Batch norm before the activation"><input type="checkbox" checked={norm} onchange={on_norm} data-testid={format!("norm-{index}")} />{ "BN" }</label>
                    <label title="Add the previous layer's output (a residual connection; same width)"><input type="checkbox" checked={skip} onchange={on_skip} data-testid={format!("skip-{index}")} />{ "skip" }</label>
                </div>
                <select onchange={on_dropout} aria-label={format!("Dropout after layer {}", index + 1)} data-testid={format!("dropout-{index}")}>
                    { for dropout_options }
                </select>
                { match &props.shape {
                    Some(shape) => html! {
                        <div class="layer-shape" data-testid={format!("shape-{index}")}>
                            { format!("[batch, {}]", shape.units) }<br/>{ format!("{} params", shape.params) }
                        </div>
                    },
                    None => html! { <div class="layer-shape invalid">{ "invalid" }</div> },
                } }
            </div>
            { for neurons }
        </>
    }
}
