//! The image lab: build an image classifier by dragging layers (convolutions, pooling, norms,
//! skip connections), see each layer's shape, parameters, FLOPs and memory, fix mistakes in
//! one click, and train it on the bundled digits in the worker.

use std::rc::Rc;

use agora_engine::net::{Act, GraphReport, Layer, LayerInfo, Network, infer_body};
use agora_engine::recipe::{Optimizer, Recipe};
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::chart::LineChart;
use super::drag::start_drag;
pub use super::editor::{Editor, PhotoLink};
use super::fields::NumberField;
use super::part::PartOf;
use crate::lesson::Part;
use crate::photos::Album;
use crate::project::BackendChoice;
use crate::project::{Preset, Project, ProjectAction};
use crate::protocol::Command;
use crate::session::Status;
use crate::session::{LossPoint, Session};

/// Reads an input event into a new recipe (or `None` to leave it unchanged).
type RecipeChange = Rc<dyn Fn(Recipe, &Event) -> Option<Recipe>>;

/// What is being dragged in the lab.
#[derive(Clone, Debug, PartialEq)]
enum Source {
    Palette(Layer),
    Row(usize),
}

type Drag = super::drag::Drag<Source>;

/// The palette: every layer type with sensible starting settings.
fn palette() -> Vec<Layer> {
    vec![
        Layer::conv(8, 3),
        Layer::MaxPool { size: 2, stride: 2 },
        Layer::AvgPool { size: 2, stride: 2 },
        Layer::GlobalAvgPool,
        Layer::Flatten,
        Layer::Dense { units: 64 },
        Layer::Dropout { percent: 25 },
        Layer::BatchNorm,
        Layer::LayerNorm,
        Layer::Activation(Act::Relu),
        Layer::Activation(Act::LeakyRelu),
        Layer::Activation(Act::Gelu),
        Layer::Activation(Act::Tanh),
        Layer::Activation(Act::Sigmoid),
        Layer::Add { from: 0 },
        Layer::Concat { from: 0 },
        Layer::Softmax,
    ]
}

/// A new skip layer at `at` takes the latest earlier output of its input's shape (a residual
/// connection around the block just above it), or the input.
fn place(layer: Layer, at: usize, network: &Network) -> Layer {
    match layer {
        Layer::Add { .. } | Layer::Concat { .. } => {
            let body = Network {
                layers: network.layers[..at.min(network.layers.len())].to_vec(),
                ..network.clone()
            };
            let from = infer_body(&body).ok().and_then(|report| {
                let input = report.tap(at)?;
                (0..at).rev().find(|&tap| report.tap(tap) == Some(input))
            });
            let from = from.unwrap_or(0);
            if matches!(layer, Layer::Add { .. }) {
                Layer::Add { from }
            } else {
                Layer::Concat { from }
            }
        }
        other => other,
    }
}

/// Where a new layer goes when added without dragging: before the final Softmax.
fn append_slot(network: &Network) -> usize {
    match network.layers.last() {
        Some(Layer::Softmax) => network.layers.len() - 1,
        _ => network.layers.len(),
    }
}

fn slot_at(list: &NodeRef, rows: usize, x: f64, y: f64) -> Option<usize> {
    let element = list.cast::<HtmlElement>()?;
    let rect = element.get_bounding_client_rect();
    let margin = 60.0;
    if x < rect.left() - margin
        || x > rect.right() + margin
        || y < rect.top() - margin
        || y > rect.bottom() + margin
    {
        return None;
    }
    let nodes = element.query_selector_all(".lab-row").ok()?;
    let mut slot = 0;
    for index in 0..nodes.length() {
        let Some(row) = nodes
            .item(index)
            .and_then(|node| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(node).ok())
        else {
            continue;
        };
        let bounds = row.get_bounding_client_rect();
        if y > bounds.top() + bounds.height() / 2.0 {
            slot += 1;
        }
    }
    Some(slot.min(rows))
}

fn number<T: std::str::FromStr>(event: &Event) -> Option<T> {
    let input: HtmlInputElement = event.target_unchecked_into();
    input.value().trim().parse().ok()
}

fn select_value(event: &Event) -> String {
    let select: HtmlSelectElement = event.target_unchecked_into();
    select.value()
}

fn human(value: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let v = value as f64;
    if v >= 1e9 {
        format!("{:.2} G", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{value}")
    }
}

fn bytes(value: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let v = value as f64;
    if v >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", v / 1024.0 / 1024.0)
    } else if v >= 1024.0 {
        format!("{:.1} KiB", v / 1024.0)
    } else {
        format!("{value} B")
    }
}

#[derive(Properties, PartialEq)]
pub struct ImageLabProps {
    pub doc: UseReducerHandle<Project>,
    pub session: UseReducerHandle<Session>,
    pub editor: Editor,
    pub album: UseReducerHandle<Album>,
}

/// The image lab view.
#[function_component(ImageLab)]
pub fn image_lab(props: &ImageLabProps) -> Html {
    let drag = use_state(|| None::<Drag>);
    let list = use_node_ref();
    let camera = use_node_ref();
    let doc = &*props.doc;
    let editor = props.editor.clone();
    let rows = doc.network.layers.len();
    let album = &*props.album;
    let photos = doc.data.is_photos();
    let photos_ready = album.trainable(doc.train_percent);

    // Keep the editor's view of the album current, and the network's classes in step.
    {
        let editor = editor.clone();
        let link = PhotoLink {
            classes: album.labels(),
            ready: photos_ready.clone(),
            revision: album.revision,
        };
        let classes = album.classes.len();
        use_effect_with((album.revision, photos, classes), move |_| {
            let ready = link.ready.is_ok();
            *editor.photos.borrow_mut() = link;
            let network_classes = editor.mirror.borrow().network.classes();
            if photos && classes >= 2 && classes != network_classes {
                editor.edit(ProjectAction::SetClasses(classes));
            }
            // A saved model waiting for the images (a file just opened, a project kept in this
            // browser) goes on as soon as they are read.
            if photos && ready && !editor.sent.get() && editor.pending.borrow().is_some() {
                editor.setup();
            }
        });
    }

    let onpointermove = {
        let drag = drag.clone();
        let list = list.clone();
        Callback::from(move |event: PointerEvent| {
            if let Some(current) = (*drag).clone() {
                drag.set(Some(
                    current.follow(&event, |x, y| slot_at(&list, rows, x, y)),
                ));
            }
        })
    };
    let onpointerup = {
        let drag = drag.clone();
        let editor = editor.clone();
        Callback::from(move |_event: PointerEvent| {
            if let Some(current) = (*drag).clone() {
                if current.moved
                    && let Some(slot) = current.slot
                {
                    match current.source {
                        Source::Palette(layer) => {
                            let network = editor.mirror.borrow().network.clone();
                            let layer = place(layer, slot, &network);
                            editor.edit(ProjectAction::Insert { at: slot, layer });
                        }
                        Source::Row(from) => {
                            let to = if slot > from { slot - 1 } else { slot };
                            if to != from {
                                editor.edit(ProjectAction::Move { from, to });
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
    let start = |source: Source| start_drag(&drag, source);

    // Shapes: the whole network's, or those before the first error.
    let result = doc.report();
    let (infos, error): (Vec<LayerInfo>, _) = match &result {
        Ok(report) => (report.layers.clone(), None),
        Err(error) => {
            let upto = error.layer.unwrap_or(0).min(rows);
            let body = Network {
                layers: doc.network.layers[..upto].to_vec(),
                ..doc.network.clone()
            };
            (
                infer_body(&body)
                    .map(|report| report.layers)
                    .unwrap_or_default(),
                Some(error.clone()),
            )
        }
    };

    let palette_items = palette().into_iter().map(|layer| {
        let label = Layer::title(&layer);
        let testid = format!("palette-{}", layer.kind());
        let onkeydown = {
            let editor = editor.clone();
            let layer = layer.clone();
            Callback::from(move |event: KeyboardEvent| {
                if event.key() == "Enter" || event.key() == " " {
                    event.prevent_default();
                    let network = editor.mirror.borrow().network.clone();
                    let at = append_slot(&network);
                    editor.edit(ProjectAction::Insert {
                        at,
                        layer: place(layer.clone(), at, &network),
                    });
                }
            })
        };
        html! {
            <li class="palette-item lab-palette-item" tabindex="0" data-testid={testid}
                title="Drag into the network, or press Enter to add it before the output"
                onpointerdown={start(Source::Palette(layer.clone()))} {onkeydown}>
                { label }
            </li>
        }
    });

    let row_views = doc.network.layers.iter().enumerate().map(|(at, layer)| {
        let info = infos.get(at);
        let faulty = error.as_ref().and_then(|e| e.layer) == Some(at);
        let replace = {
            let editor = editor.clone();
            move |layer: Layer| editor.edit(ProjectAction::Replace { at, layer })
        };
        let field = |label: &'static str, value: usize, make: Rc<dyn Fn(usize) -> Layer>| {
            let replace = replace.clone();
            let onchange = Callback::from(move |event: Event| {
                if let Some(value) = number::<usize>(&event) {
                    replace(make(value));
                }
            });
            let testid = format!("row-{at}-{}", label.to_lowercase());
            html! {
                <label class="lab-field">{ label }
                    <NumberField min="0" value={value.to_string()} {onchange} testid={testid} />
                </label>
            }
        };
        let settings = match layer.clone() {
            Layer::Conv2d { filters, kernel, stride, padding, dilation } => html! { <>
                { field("Filters", filters, Rc::new(move |v| Layer::Conv2d { filters: v, kernel, stride, padding, dilation })) }
                { field("Kernel", kernel, Rc::new(move |v| Layer::Conv2d { filters, kernel: v, stride, padding, dilation })) }
                { field("Stride", stride, Rc::new(move |v| Layer::Conv2d { filters, kernel, stride: v, padding, dilation })) }
                { field("Padding", padding, Rc::new(move |v| Layer::Conv2d { filters, kernel, stride, padding: v, dilation })) }
                { field("Dilation", dilation, Rc::new(move |v| Layer::Conv2d { filters, kernel, stride, padding, dilation: v })) }
            </> },
            Layer::MaxPool { size, stride } => html! { <>
                { field("Size", size, Rc::new(move |v| Layer::MaxPool { size: v, stride })) }
                { field("Stride", stride, Rc::new(move |v| Layer::MaxPool { size, stride: v })) }
            </> },
            Layer::AvgPool { size, stride } => html! { <>
                { field("Size", size, Rc::new(move |v| Layer::AvgPool { size: v, stride })) }
                { field("Stride", stride, Rc::new(move |v| Layer::AvgPool { size, stride: v })) }
            </> },
            Layer::Dense { units } => field("Units", units, Rc::new(|v| Layer::Dense { units: v })),
            Layer::Dropout { percent } => field("Percent", usize::from(percent), Rc::new(|v| Layer::Dropout { percent: u8::try_from(v.min(100)).unwrap_or(100) })),
            Layer::Activation(act) => {
                let replace = replace.clone();
                let onchange = Callback::from(move |event: Event| {
                    if let Some(act) = Act::from_key(&select_value(&event)) {
                        replace(Layer::Activation(act));
                    }
                });
                html! {
                    <select {onchange} aria-label="Activation" data-testid={format!("row-{at}-activation")}>
                        { for Act::ALL.iter().map(|option| html! {
                            <option value={option.key()} selected={*option == act}>{ option.label() }</option>
                        }) }
                    </select>
                }
            }
            Layer::Add { from } | Layer::Concat { from } => {
                let is_add = matches!(layer, Layer::Add { .. });
                let replace = replace.clone();
                let onchange = Callback::from(move |event: Event| {
                    if let Ok(from) = select_value(&event).parse::<usize>() {
                        replace(if is_add { Layer::Add { from } } else { Layer::Concat { from } });
                    }
                });
                html! {
                    <label class="lab-field">{ if is_add { "adds the output of" } else { "joins the output of" } }
                        <select {onchange} data-testid={format!("row-{at}-from")}>
                            { for (0..=at).map(|tap| {
                                let label = if tap == 0 { "the input image".to_owned() } else { format!("layer {tap} ({})", Layer::title(&doc.network.layers[tap - 1])) };
                                html! { <option value={tap.to_string()} selected={tap == from}>{ label }</option> }
                            }) }
                        </select>
                    </label>
                }
            }
            _ => html! {},
        };
        let feeds: Vec<usize> = doc.network.layers.iter().enumerate().skip(at + 1)
            .filter(|(_, later)| later.skip_from() == Some(at + 1))
            .map(|(index, _)| index + 1)
            .collect();
        let skip_note = (!feeds.is_empty()).then(|| html! {
            <span class="skip-note" title="A skip connection starts here">
                { format!("↳ skip to layer {}", feeds.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }
            </span>
        });
        let stats = info.map_or_else(
            || html! { <span class="lab-stats muted">{ "—" }</span> },
            |info| html! {
                <span class="lab-stats">
                    <span class="shape" data-testid={format!("row-{at}-shape")}>{ info.output.to_string() }</span>
                    <span title="parameters">{ format!("{} params", human(info.params as u64)) }</span>
                    <span title="floating-point operations per image">{ format!("{} FLOPs", human(info.flops)) }</span>
                    <span title="output memory per image">{ bytes(info.activation_bytes) }</span>
                </span>
            },
        );
        let remove = { let editor = editor.clone(); Callback::from(move |_| editor.edit(ProjectAction::Remove { at })) };
        let up = { let editor = editor.clone(); Callback::from(move |_| if at > 0 { editor.edit(ProjectAction::Move { from: at, to: at - 1 }) }) };
        let down = { let editor = editor.clone(); Callback::from(move |_| if at + 1 < rows { editor.edit(ProjectAction::Move { from: at, to: at + 1 }) }) };
        let class = classes!("lab-row", faulty.then_some("faulty"), layer.skip_from().map(|_| "skip"));
        let drop_before = (*drag).as_ref().filter(|d| d.moved).and_then(|d| d.slot) == Some(at);
        html! {
            <>
            { for drop_before.then(|| html! { <li class="drop-marker" aria-hidden="true" /> }) }
            <li {class} data-testid={format!("lab-row-{at}")} data-kind={layer.kind()}>
                <span class="handle" title="Drag to move" onpointerdown={start(Source::Row(at))}>{ "⠿" }</span>
                <span class="index">{ at + 1 }</span>
                <span class="kind">{ Layer::title(layer) }</span>
                <span class="settings">{ settings }</span>
                { stats }
                { for skip_note }
                <span class="row-buttons">
                    <button onclick={up} title="Move up" aria-label={format!("Move layer {} up", at + 1)}>{ "↑" }</button>
                    <button onclick={down} title="Move down" aria-label={format!("Move layer {} down", at + 1)}>{ "↓" }</button>
                    <button onclick={remove} title="Remove" aria-label={format!("Remove layer {}", at + 1)} data-testid={format!("row-{at}-remove")}>{ "✕" }</button>
                </span>
            </li>
            </>
        }
    });
    let drop_at_end = (*drag).as_ref().filter(|d| d.moved).and_then(|d| d.slot) == Some(rows);

    let error_view = error.as_ref().map(|error| {
        let fix = error.fix.clone().map(|fix| {
            let label = fix.label();
            let editor = editor.clone();
            let onclick = Callback::from(move |_| editor.edit(ProjectAction::Fix(fix.clone())));
            html! { <button class="fix" {onclick} data-testid="lab-fix">{ label }</button> }
        });
        html! {
            <div class="banner warning" role="alert" data-testid="lab-error">
                { format!("This network cannot be trained yet. {}", error.message) }
                { for fix }
            </div>
        }
    });

    let ghost = (*drag).as_ref().filter(|d| d.moved).map(|d| {
        let label = match &d.source {
            Source::Palette(layer) => Layer::title(layer),
            Source::Row(index) => format!("Layer {}", index + 1),
        };
        let style = format!(
            "left: {}px; top: {}px;",
            d.pointer.0 + 8.0,
            d.pointer.1 + 8.0
        );
        html! { <div class="drag-ghost" {style}>{ label }</div> }
    });

    let totals = result.as_ref().ok().map(|report: &GraphReport| html! {
        <p class="totals" data-testid="lab-totals">
            <span data-testid="lab-total-params">{ format!("{} parameters", report.total_params) }</span>
            { format!(" · {} FLOPs per image · {} of activations per image ({} for a batch of {})",
                human(report.total_flops), bytes(report.activation_bytes),
                bytes(report.activation_bytes * doc.recipe.batch_size as u64), doc.recipe.batch_size) }
        </p>
    });

    let class = classes!(
        "lab",
        drag.as_ref().is_some_and(|d| d.moved).then_some("dragging")
    );
    let input_name = if photos { "your images" } else { "digits" };
    let class_names: Rc<Vec<String>> = Rc::new(if photos {
        album.labels().into_iter().map(|(_, name)| name).collect()
    } else {
        (0..10).map(|digit| digit.to_string()).collect()
    });
    let photo_panels = photos.then(|| html! {
        <div class="photo-columns">
            <super::photos::PhotoPanel project={props.album.clone()} doc={props.doc.clone()} link={editor.link.clone()} camera={camera.clone()} />
            <div class="photo-side">
                <super::photos::TryIt project={props.album.clone()} session={props.session.clone()} link={editor.link.clone()} camera={camera.clone()} />
                <super::photos::PrivacyPanel project={props.album.clone()} />
            </div>
        </div>
    });
    let stale = photos
        && editor.sent.get()
        && props.session.data.is_some()
        && editor.setup_revision.get() != album.revision;
    html! {
        <div {class} {onpointermove} {onpointerup} {onpointercancel}>
            <PartOf part={Part::Data}><super::photos::DataPicker doc={props.doc.clone()} editor={editor.clone()} session={props.session.clone()} /></PartOf>
            // Fixed wrappers: a banner appearing must not re-create the photo panels (and the
            // webcam's <video> with them).
            <div class="photo-area">{ for photo_panels }</div>
            <div class="lab-banners">{ for error_view }</div>
            <div class="lab-columns">
                <PartOf part={Part::Network}>
                <section class="panel lab-palette" aria-label="Layers">
                    <h2>{ "Layers" }</h2>
                    <p class="hint">{ "Drag a layer into the network. Add and Concat make skip connections." }</p>
                    <ul class="palette">{ for palette_items }</ul>
                </section>
                <section class="panel lab-network" aria-label="Network">
                    <h2>{ "Network" }</h2>
                    { if let agora_engine::net::Input::Pretrained { side } = doc.network.input {
                        html! { <p class="input-row" data-testid="pretrained-input">{ format!("Input: your photos at {side}×{side} → EfficientNet-Lite0, pretrained on ImageNet (frozen: 16 blocks, 3.4 M parameters) → 1,280 features. The layers below learn your classes from them.") }</p> }
                    } else {
                        html! { <p class="input-row">{ format!("Input: {input_name}, {}×{}×{} (channels × height × width)", doc.image_size().channels, doc.image_size().height, doc.image_size().width) }</p> }
                    } }
                    <ol class="lab-list" ref={list.clone()} data-testid="lab-list">
                        { for row_views }
                        { for drop_at_end.then(|| html! { <li class="drop-marker" aria-hidden="true" /> }) }
                    </ol>
                    { for totals }
                </section>
                </PartOf>
                <TrainingPanel doc={props.doc.clone()} session={props.session.clone()} editor={editor.clone()} valid={result.is_ok()}
                    photos={photos.then(|| (photos_ready.clone(), album.total_images(), stale))} />
            </div>
            <PartOf part={Part::Inside}><div class="inside-area">
                <super::inside::Inside session={props.session.clone()} link={editor.link.clone()}
                    layers={Rc::new(doc.network.layers.clone())} class_names={class_names} />
            </div></PartOf>
            { for ghost }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct TrainingPanelProps {
    doc: UseReducerHandle<Project>,
    session: UseReducerHandle<Session>,
    editor: Editor,
    valid: bool,
    /// For photos: whether they can train (or what is missing), how many there are, and
    /// whether they changed since the worker loaded them.
    photos: Option<(Result<(), String>, usize, bool)>,
}

#[function_component(TrainingPanel)]
fn training_panel(props: &TrainingPanelProps) -> Html {
    let doc = &*props.doc;
    let lab = &*props.session;
    let loading = lab.status == Status::Loading;
    let editor = props.editor.clone();
    let recipe = doc.recipe;
    let set_recipe = {
        let editor = editor.clone();
        move |change: RecipeChange| {
            let editor = editor.clone();
            Callback::from(move |event: Event| {
                let current = editor.mirror.borrow().recipe;
                if let Some(recipe) = change(current, &event) {
                    editor.edit(ProjectAction::SetRecipe(recipe));
                }
            })
        }
    };
    let on_preset = {
        let editor = editor.clone();
        Callback::from(move |event: Event| {
            let value = select_value(&event);
            if let Some(preset) = Preset::ALL.into_iter().find(|p| format!("{p:?}") == value) {
                editor.edit(ProjectAction::Preset(preset));
            }
        })
    };
    let on_backend = {
        let editor = editor.clone();
        Callback::from(move |event: Event| {
            if let Some(choice) = BackendChoice::from_key(&select_value(&event)) {
                editor.edit(ProjectAction::SetBackend(choice));
            }
        })
    };
    let on_seed = {
        let editor = editor.clone();
        Callback::from(move |event: Event| {
            if let Some(seed) = number::<u64>(&event) {
                editor.edit(ProjectAction::SetSeed(seed));
            }
        })
    };
    let on_split = {
        let editor = editor.clone();
        Callback::from(move |event: Event| {
            if let Some(percent) = number::<u8>(&event) {
                editor.edit(ProjectAction::SetTrainPercent(percent));
            }
        })
    };
    let play = {
        let editor = editor.clone();
        let running = lab.running();
        Callback::from(move |_| {
            if running {
                editor.link.send(&Command::Pause);
                return;
            }
            if !editor.sent.get() {
                editor.setup();
            }
            editor.link.send(&Command::Play);
        })
    };
    let reset = {
        let editor = editor.clone();
        Callback::from(move |_| editor.setup())
    };
    let ready = match &props.photos {
        Some((photos_ready, _, _)) => photos_ready.is_ok() && !loading,
        None => lab.data.is_some() && !loading,
    };
    let play_label = if lab.running() { "Pause" } else { "Train" };
    let noun = if props.photos.is_some() {
        "images"
    } else {
        "digits"
    };
    let status = match (&props.photos, loading, lab.data) {
        (_, true, _) => format!("Loading the {noun}…"),
        (Some((Err(missing), _, _)), _, _) => missing.clone(),
        (Some((Ok(()), total, _)), _, _) if !editor.sent.get() => {
            format!("{total} images ready: press Train to load them.")
        }
        (_, _, Some((train, val))) => format!("{train} training and {val} validation {noun}"),
        _ => "Waiting for the worker…".to_owned(),
    };
    let stale = props.photos.as_ref().is_some_and(|(_, _, stale)| *stale).then(|| html! {
        <p class="banner warning" role="status" data-testid="lab-stale">{ "Your images changed since training started: press Reset to train on all of them." }</p>
    });
    let epoch = lab.last().map_or(0, |report| report.metrics.epoch);
    let progress = format!(
        "Epoch {} of {} · batch {} of {}{}",
        if lab.progress.0 > 0 && lab.progress.0 < lab.progress.1 {
            epoch + 1
        } else {
            epoch
        },
        recipe.epochs,
        lab.progress.0,
        lab.progress.1,
        if lab.status == Status::Finished {
            " · done"
        } else {
            ""
        }
    );
    let history: Rc<Vec<LossPoint>> = Rc::new(
        lab.epochs
            .iter()
            .map(|report| LossPoint {
                epoch: report.metrics.epoch,
                train_loss: report.metrics.train_loss,
                test_loss: report.metrics.val_loss,
            })
            .collect(),
    );
    let accuracy = Rc::new(vec![
        crate::chart::Series {
            name: "training".to_owned(),
            points: lab
                .epochs
                .iter()
                .map(|r| (r.metrics.epoch as f64, f64::from(r.metrics.train_accuracy)))
                .collect(),
            dashed: true,
        },
        crate::chart::Series {
            name: "validation".to_owned(),
            points: lab
                .epochs
                .iter()
                .map(|r| (r.metrics.epoch as f64, f64::from(r.metrics.val_accuracy)))
                .collect(),
            dashed: false,
        },
    ]);
    let reason = if lab.status == Status::Measuring {
        "timing both backends…"
    } else {
        lab.backend_reason.as_str()
    };
    let backend = lab.backend.as_ref().map(|kind| {
        html! {
            <p class="backend-status" data-testid="lab-backend" data-backend={format!("{kind:?}")}>
                { format!("Training on {} — {reason}", kind.label()) }
            </p>
        }
    });
    let message = lab.problem().map(|message| {
        html! {
            <div class="banner error" role="alert" data-testid="lab-failure">{ message }</div>
        }
    });
    let momentum_used = recipe.optimizer.uses_momentum();
    html! {
        <section class="panel lab-training" aria-label="Training">
            <h2>{ "Training" }</h2>
            <PartOf part={Part::Network}>
            <label class="control">{ "Preset" }
                <select onchange={on_preset} data-testid="lab-preset">
                    <option value="" selected=true disabled=true>{ "Load a network…" }</option>
                    { for Preset::offered(props.doc.data.is_pretrained()).iter().map(|preset| html! { <option value={format!("{preset:?}")}>{ preset.label() }</option> }) }
                </select>
            </label>
            </PartOf>
            <PartOf part={Part::Train}>
            <div class="buttons">
                <button class="primary" onclick={play} disabled={!ready || !props.valid} data-testid="lab-play">{ play_label }</button>
                <button onclick={reset} disabled={!props.valid} data-testid="lab-reset" title="Start again from the seed's weights">{ "Reset" }</button>
            </div>
            </PartOf>
            <p class="status" data-testid="lab-status">
                if matches!(lab.status, Status::Loading | Status::Starting | Status::Measuring) {
                    <progress class="busy" aria-label={status.clone()} data-testid="lab-busy"></progress>{ " " }
                }
                { status }
            </p>
            { for stale }
            <p class="progress" data-testid="lab-progress">{ progress }</p>
            if lab.running() && lab.epochs.is_empty() && lab.progress.0 == 0
                && lab.backend == Some(crate::protocol::BackendKind::WebGpu) {
                <p class="status" data-testid="lab-compiling"><progress class="busy" aria-label="Compiling the GPU's kernels"></progress>
                    { " Compiling the GPU's kernels (the first batches only; later ones are fast)…" }</p>
            }
            <progress class="epoch-progress" aria-label="This epoch's batches" data-testid="lab-epoch-progress"
                value={lab.progress.0.to_string()} max={lab.progress.1.max(1).to_string()}></progress>
            { for backend }
            { for message }
            <PartOf part={Part::Recipe}>
            <div class="recipe">
                <label class="control">{ "Optimizer" }
                    <select data-testid="lab-optimizer" onchange={set_recipe(Rc::new(|r, e| Optimizer::from_key(&select_value(e)).map(|optimizer| Recipe { optimizer, ..r })))}>
                        { for Optimizer::ALL.iter().map(|o| html! { <option value={o.key()} selected={*o == recipe.optimizer}>{ o.label() }</option> }) }
                    </select>
                </label>
                <label class="control">{ "Learning rate" }
                    <NumberField step="any" testid="lab-lr" value={recipe.learning_rate.to_string()}
                        onchange={set_recipe(Rc::new(|r, e| number::<f64>(e).map(|learning_rate| Recipe { learning_rate, ..r })))} />
                </label>
                <label class="control">{ "Momentum" }
                    <NumberField step="any" disabled={!momentum_used} value={recipe.momentum.to_string()}
                        onchange={set_recipe(Rc::new(|r, e| number::<f64>(e).map(|momentum| Recipe { momentum, ..r })))} />
                </label>
                <super::schedule::ScheduleFields recipe={recipe} editor={editor.clone()} prefix="lab-" />
                <label class="control">{ "Batch size" }
                    <NumberField min="1" testid="lab-batch" value={recipe.batch_size.to_string()}
                        onchange={set_recipe(Rc::new(|r, e| number::<usize>(e).map(|batch_size| Recipe { batch_size, ..r })))} />
                </label>
                <label class="control check">
                    <input type="checkbox" checked={recipe.shuffle}
                        onchange={set_recipe(Rc::new(|r, e| { let input: HtmlInputElement = e.target_unchecked_into(); Some(Recipe { shuffle: input.checked(), ..r }) }))} />
                    { "Shuffle every epoch" }
                </label>
                <label class="control">{ "Seed" }
                    <NumberField min="0" value={doc.seed.to_string()} onchange={on_seed} />
                </label>
                <label class="control">{ "Training share (%)" }
                    <NumberField min="10" max="95" value={doc.train_percent.to_string()} onchange={on_split} />
                </label>
                <PartOf part={Part::Backend}>
                <label class="control">{ "Backend" }
                    <select onchange={on_backend} data-testid="lab-backend-choice">
                        { for [BackendChoice::Auto, BackendChoice::WebGpu, BackendChoice::Cpu].iter().map(|choice| html! {
                            <option value={choice.key()} selected={*choice == doc.backend}>{ choice.label() }</option>
                        }) }
                    </select>
                </label>
                </PartOf>
            </div>
            </PartOf>
            <div class="lab-charts">
                <LineChart series={crate::chart::loss_series(&history, "validation")} x_label="epoch" y_label="loss" testid="lab-loss-chart"
                    label="Training loss (dashed) and validation loss per epoch" />
                <LineChart series={accuracy} x_label="epoch" y_label="accuracy" percent=true testid="lab-accuracy-chart"
                    label="Training accuracy (dashed) and validation accuracy per epoch" />
            </div>
            <table class="epochs" data-testid="lab-epochs-table">
                <thead><tr>
                    <th>{ "Epoch" }</th><th>{ "Train loss" }</th><th>{ "Train acc." }</th><th>{ "Val. loss" }</th>
                    <th>{ "Val. acc." }</th><th>{ "LR" }</th><th>{ "Time" }</th><th>{ "Images/s" }</th>
                </tr></thead>
                <tbody>
                    { for lab.epochs.iter().rev().map(|report| {
                        let m = &report.metrics;
                        html! {
                            <tr data-testid="lab-epoch-row" data-val-accuracy={m.val_accuracy.to_string()} data-epoch={m.epoch.to_string()}>
                                <td>{ m.epoch }</td>
                                <td>{ format!("{:.4}", m.train_loss) }</td>
                                <td>{ format!("{:.2} %", m.train_accuracy * 100.0) }</td>
                                <td>{ format!("{:.4}", m.val_loss) }</td>
                                <td>{ format!("{:.2} %", m.val_accuracy * 100.0) }</td>
                                <td>{ format!("{:.2e}", m.learning_rate) }</td>
                                <td>{ format!("{:.1} s", report.train_seconds) }</td>
                                <td>{ format!("{:.0}", report.samples_per_second) }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </section>
    }
}
