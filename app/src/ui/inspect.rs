//! "Inside the network": what the network being trained does with a validation image, layer
//! by layer; its conv filters; the confusion matrix with examples and the worst mistakes; the
//! reliability diagram with ECE and temperature scaling; and the penultimate layer's embedding.
//!
//! The worker answers `Inspect` (one image through every layer, plus the kernels) and
//! `Evaluate` (the validation set's logits and 2-D embedding). The panel asks after every epoch
//! and, while training, for the layer view every eight seconds or less often (see `Pacing`).

use std::rc::Rc;

use agora_engine::calibration::{
    Confusion, confidences, expected_calibration_error, fit_temperature, reliability,
};
use agora_engine::inspect::SaliencyMethod;
use agora_engine::inspect::{HostTensor, predictions, worst_mistakes};
use agora_engine::net::{ImageSize, Layer};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use yew::prelude::*;

use super::WorkerLink;
use crate::colors::class_css;
use crate::lab::{EvaluationReport, Inspection};
use crate::photos::bmp_data_url;
use crate::pictures::{filter_rgb, input_rgb, map_rgb, max_abs, overlay_rgb, pixels_rgb};
use crate::protocol::{Command, LabCommand};
use crate::session::Session;

/// When the live layer view may ask again: after [`REFRESH_MS`], after twenty round trips of
/// the last request, and not while one is unanswered (for at most a minute).
#[derive(Default)]
struct Pacing {
    sent_at: std::cell::Cell<Option<f64>>,
    last_answer: std::cell::Cell<f64>,
    round_trip_ms: std::cell::Cell<f64>,
}

impl Pacing {
    fn due(&self, now: f64) -> bool {
        if let Some(sent) = self.sent_at.get() {
            return now - sent > 60_000.0;
        }
        now - self.last_answer.get() >= f64::from(REFRESH_MS).max(20.0 * self.round_trip_ms.get())
    }

    fn sent(&self, now: f64) {
        self.sent_at.set(Some(now));
    }

    fn answered(&self, now: f64) {
        if let Some(sent) = self.sent_at.take() {
            self.round_trip_ms.set(now - sent);
        }
        self.last_answer.set(now);
    }
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Feature maps shown per layer, and units per dense layer.
const MAX_MAPS: usize = 32;
const MAX_UNITS: usize = 128;
const REFRESH_MS: i32 = 8_000;

/// Which image the layer view follows.
#[derive(Clone, Debug, PartialEq)]
enum Source {
    Validation(usize),
    /// A drawing or a file: pixels (channels last) and their size.
    Given(Rc<(Vec<u8>, ImageSize)>),
}

impl Source {
    /// A 64×64 RGB image (a decoded file or a webcam frame).
    fn photo(pixels: Vec<u8>) -> Source {
        Source::Given(Rc::new((pixels, agora_engine::photos::STORE_SIZE)))
    }

    fn command(&self) -> Command {
        Command::Lab(match self {
            Source::Validation(sample) => LabCommand::Inspect { sample: *sample },
            Source::Given(given) => LabCommand::InspectImage {
                pixels: given.0.clone(),
                size: given.1,
            },
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum View {
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

fn image_url(rgb: &[u8], height: usize, width: usize) -> String {
    bmp_data_url(rgb, width, height)
}

/// A validation image from the evaluation report, as a data URL.
fn report_image(report: &EvaluationReport, index: usize) -> Option<String> {
    if index >= report.shown {
        return None;
    }
    let size = report.size;
    let per = size.channels * size.height * size.width;
    let pixels = report.images.get(index * per..(index + 1) * per)?;
    Some(image_url(
        &pixels_rgb(pixels, size.channels),
        size.height,
        size.width,
    ))
}

fn name(names: &[String], class: usize) -> String {
    names
        .get(class)
        .cloned()
        .unwrap_or_else(|| format!("class {class}"))
}

#[function_component(Inside)]
pub fn inside(props: &InsideProps) -> Html {
    let view = use_state(|| View::Layers);
    let source = use_state(|| Source::Validation(0));
    let shared = use_state(|| true);
    let enlarged = use_state(|| None::<(usize, usize)>);
    let live = use_state(|| true);
    let lab = &props.session.lab;
    let epochs = lab.epochs.len();
    let ready = lab.data.is_some() && !lab.loading;

    // Ask for the views' data after every epoch and when the image changes.
    {
        let link = props.link.clone();
        use_effect_with(
            ((*source).clone(), epochs, ready),
            move |(source, _, ready)| {
                if *ready {
                    link.send(&source.command());
                    link.send(&Command::Lab(LabCommand::Evaluate));
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
            (lab.running && *live, (*source).clone()),
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
            <button class={classes!("tab-button", (*view == v).then_some("active"))} aria-pressed={(*view == v).to_string()}
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
            <div class="tab-row" role="group">
                { for tabs }
                <label class="check live-toggle" title="Refresh the layer view every 8 s (less often on a slow device) while training (the other views refresh after each epoch)">
                    <input type="checkbox" checked={*live} onchange={toggle_live} data-testid="inside-live" />{ "follow training live" }
                </label>
            </div>
            <div class="inside-body" data-view={view.key()}>{ body }</div>
        </section>
    }
}

fn layer_label(layers: &[Layer], tap: usize) -> String {
    if tap == 0 {
        return "Input".into();
    }
    layers
        .get(tap - 1)
        .map_or_else(String::new, |layer| format!("{tap}. {}", layer.title()))
}

#[allow(clippy::too_many_lines)]
fn layers_view(
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
            <span data-testid="sample-label">{ match (inspection.sample, inspection.label) {
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
        let label = layer_label(layers, tap);
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
                        SaliencyMethod::GradCam { tap } => format!("Grad-CAM on {} for “{}”: where the last convolutional block saw evidence for it", layer_label(layers, tap), name(names, saliency.class)),
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

fn maps_html(
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
        html! { <img class="map" src={src} alt={format!("Map {}", channel + 1)} title={format!("Map {} — click to enlarge", channel + 1)} {onclick} /> }
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

fn units_html(tensor: &HostTensor, units: usize, output: bool, names: &[String]) -> Html {
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

fn filters_view(inspection: Option<&Inspection>, layers: &[Layer]) -> Html {
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

#[derive(Properties, PartialEq)]
struct ReportProps {
    report: Option<Rc<EvaluationReport>>,
    #[prop_or_default]
    names: Rc<Vec<String>>,
    #[prop_or_default]
    pick: Callback<usize>,
}

fn waiting() -> Html {
    html! { <p class="hint">{ "Evaluating the validation set…" }</p> }
}

#[function_component(ConfusionView)]
fn confusion_view(props: &ReportProps) -> Html {
    let cell = use_state(|| None::<(usize, usize)>);
    let Some(report) = props.report.clone() else {
        return waiting();
    };
    let classes = report.classes;
    let predicted: Vec<usize> = predictions(&report.logits, classes, 1.0)
        .into_iter()
        .map(|(class, _)| class)
        .collect();
    let confusion = Confusion::new(&report.labels, &predicted, classes);
    let accuracy = confusion.per_class_accuracy();
    let largest = confusion
        .counts
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    let names = &props.names;
    let header = (0..classes).map(|c| html! { <th scope="col">{ name(names, c) }</th> });
    let rows = confusion.counts.iter().enumerate().map(|(actual, row)| {
        let cells = row.iter().enumerate().map(|(guess, &n)| {
            #[allow(clippy::cast_precision_loss)]
            let strength = n as f32 / largest as f32;
            let style = if actual == guess {
                format!("background: rgba(44, 160, 44, {:.2})", 0.1 + 0.8 * strength)
            } else if n > 0 {
                format!("background: rgba(214, 39, 40, {:.2})", 0.15 + 0.75 * strength)
            } else {
                String::new()
            };
            let onclick = {
                let cell = cell.clone();
                Callback::from(move |_| cell.set(Some((actual, guess))))
            };
            let selected = *cell == Some((actual, guess));
            html! { <td class={classes!("cell", selected.then_some("selected"))} {style} {onclick} data-testid={format!("confusion-{actual}-{guess}")}>{ n }</td> }
        });
        let acc = accuracy[actual].map_or_else(|| "—".to_owned(), |a| format!("{:.0} %", a * 100.0));
        html! { <tr><th scope="row">{ name(names, actual) }</th>{ for cells }<td class="per-class" data-testid={format!("class-accuracy-{actual}")}>{ acc }</td></tr> }
    });
    let gallery = |indices: Vec<(usize, String)>| {
        let pick = props.pick.clone();
        indices
            .into_iter()
            .filter_map(|(index, caption)| {
                let src = report_image(&report, index)?;
                let onclick = {
                    let pick = pick.clone();
                    Callback::from(move |_| pick.emit(index))
                };
                Some(html! {
                    <figure class="example" {onclick} title="Click to see it layer by layer">
                        <img {src} alt={caption.clone()} />
                        <figcaption>{ caption }</figcaption>
                    </figure>
                })
            })
            .collect::<Html>()
    };
    let examples = (*cell).map(|(actual, guess)| {
        let indices: Vec<(usize, String)> = report
            .labels
            .iter()
            .zip(&predicted)
            .enumerate()
            .filter(|(_, (l, p))| **l == actual && **p == guess)
            .take(24)
            .map(|(i, _)| (i, format!("#{}", i + 1)))
            .collect();
        let title = format!(
            "True {} predicted as {}: {} image{}",
            name(names, actual),
            name(names, guess),
            confusion.counts[actual][guess],
            if confusion.counts[actual][guess] == 1 {
                ""
            } else {
                "s"
            }
        );
        html! {
            <div class="examples" data-testid="cell-examples">
                <h3>{ title }</h3>
                <div class="gallery">{ gallery(indices) }</div>
            </div>
        }
    });
    let mistakes: Vec<(usize, String)> =
        worst_mistakes(&report.logits, &report.labels, classes, 12)
            .into_iter()
            .map(|m| {
                (
                    m.index,
                    format!(
                        "{} → {} ({:.0} %)",
                        name(names, m.actual),
                        name(names, m.predicted),
                        m.confidence * 100.0
                    ),
                )
            })
            .collect();
    let mistakes_count = mistakes.len();
    html! {
        <div class="confusion-view">
            <p class="hint">{ format!("Validation set after epoch {}: rows are the true class, columns the prediction. Click a cell to see its images.", report.epoch) }</p>
            <table class="confusion" data-testid="confusion">
                <thead><tr><th>{ "true \\ predicted" }</th>{ for header }<th>{ "accuracy" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            { for examples }
            <div class="examples" data-testid="worst-mistakes" data-count={mistakes_count.to_string()}>
                <h3>{ "The most confident mistakes (true → predicted)" }</h3>
                { if mistakes_count == 0 { html! { <p class="hint">{ "No mistakes on the validation set." }</p> } } else { html! { <div class="gallery">{ gallery(mistakes) }</div> } } }
            </div>
        </div>
    }
}

#[function_component(CalibrationView)]
fn calibration_view(props: &ReportProps) -> Html {
    let temperature = use_state(|| None::<f32>);
    let threshold = use_state(|| 60_u8);
    let Some(report) = props.report.clone() else {
        return waiting();
    };
    let classes = report.classes;
    // Fit on the even-numbered validation images, measure on the odd ones: a temperature
    // judged on the images it was fitted to would flatter itself.
    let split = |parity: usize| -> (Vec<f32>, Vec<usize>) {
        report
            .logits
            .chunks_exact(classes.max(1))
            .zip(&report.labels)
            .enumerate()
            .filter(|(i, _)| i % 2 == parity)
            .fold(
                (Vec::new(), Vec::new()),
                |(mut logits, mut labels), (_, (row, &label))| {
                    logits.extend_from_slice(row);
                    labels.push(label);
                    (logits, labels)
                },
            )
    };
    let (fit_logits, fit_labels) = split(0);
    let (test_logits, test_labels) = split(1);
    let measure = |t: f32| {
        let (conf, correct) = confidences(&test_logits, &test_labels, classes, t);
        let bins = reliability(&conf, &correct, 10);
        (expected_calibration_error(&bins), bins, conf, correct)
    };
    let (ece, bins, conf, correct) = measure(temperature.unwrap_or(1.0));
    let ece_before = measure(1.0).0;
    let fit = {
        let temperature = temperature.clone();
        Callback::from(move |_| {
            if temperature.is_some() {
                temperature.set(None);
            } else {
                temperature.set(Some(fit_temperature(&fit_logits, &fit_labels, classes)));
            }
        })
    };
    let on_threshold = {
        let threshold = threshold.clone();
        Callback::from(move |event: Event| {
            let value = event
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            if let Ok(v) = value.parse::<u8>() {
                threshold.set(v.clamp(10, 99));
            }
        })
    };
    let cut = f32::from(*threshold) / 100.0;
    let judged: Vec<(f32, bool)> = conf.iter().copied().zip(correct.iter().copied()).collect();
    let (sure, unsure): (Vec<_>, Vec<_>) = judged.into_iter().partition(|(c, _)| *c >= cut);
    #[allow(clippy::cast_precision_loss)]
    let share_right = |group: &[(f32, bool)]| -> String {
        if group.is_empty() {
            "—".into()
        } else {
            format!(
                "{:.0} %",
                group.iter().filter(|(_, ok)| *ok).count() as f32 / group.len() as f32 * 100.0
            )
        }
    };
    // The reliability diagram: bars of accuracy per confidence bin over the diagonal.
    let bars = bins.iter().map(|bin| {
        let x = bin.low * 200.0;
        let height = bin.accuracy * 200.0;
        let gap = (bin.confidence - bin.accuracy) * 200.0;
        let title = format!("{:.0}–{:.0} %: {} predictions, {:.0} % right, mean confidence {:.0} %", bin.low * 100.0, bin.high * 100.0, bin.count, bin.accuracy * 100.0, bin.confidence * 100.0);
        html! {
            <g>
                <title>{ title }</title>
                { if bin.count > 0 { html! { <>
                    <rect class="bin" x={format!("{x:.1}")} y={format!("{:.1}", 200.0 - height)} width="19" height={format!("{height:.1}")} />
                    <rect class="gap" x={format!("{x:.1}")} y={format!("{:.1}", 200.0 - height - gap.max(0.0))} width="19" height={format!("{:.1}", gap.abs())} />
                </> } } else { html! {} } }
            </g>
        }
    });
    html! {
        <div class="calibration-view">
            <p class="hint">{ "When the network says 80 %, is it right 80 % of the time? Bars are how often it was right for each confidence range; on the diagonal it is honest, below it overconfident." }</p>
            <div class="calibration-columns">
                <svg class="reliability" viewBox="-30 -10 250 250" width="260" height="260" data-testid="reliability" role="img" aria-label="Reliability diagram">
                    <rect x="0" y="0" width="200" height="200" class="frame" />
                    { for bars }
                    <line x1="0" y1="200" x2="200" y2="0" class="diagonal" />
                    <text x="100" y="228" class="axis">{ "confidence" }</text>
                    <text x="-18" y="100" class="axis" transform="rotate(-90 -18 100)">{ "accuracy" }</text>
                </svg>
                <div>
                    <p data-testid="ece">{ format!("Expected calibration error: {:.1} %", ece * 100.0) }
                        { for temperature.map(|t| html! { <span class="muted">{ format!(" (T = {t:.2}; {:.1} % before)", ece_before * 100.0) }</span> }) }</p>
                    <button onclick={fit} data-testid="fit-temperature">{ if temperature.is_some() { "Undo temperature scaling" } else { "Fit a temperature" } }</button>
                    <p class="hint">{ "Temperature scaling divides the network's scores by one number fitted on half of the validation images; ECE is measured on the other half." }</p>
                    <label class="control">{ format!("Mark predictions under {} % as “not sure”", *threshold) }
                        <input type="range" min="10" max="99" value={threshold.to_string()} onchange={on_threshold} data-testid="sure-threshold" />
                    </label>
                    <p data-testid="sure-split">{ format!("{} sure ({} right) · {} not sure ({} right)", sure.len(), share_right(&sure), unsure.len(), share_right(&unsure)) }</p>
                </div>
            </div>
        </div>
    }
}

#[function_component(EmbeddingView)]
fn embedding_view(props: &ReportProps) -> Html {
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
                <svg class="embedding" viewBox="0 0 400 400" width="400" height="400" {onmousemove} {onclick} data-testid="embedding" data-points={report.points.len().to_string()} role="img" aria-label="Embedding">
                    <rect x="0" y="0" width="400" height="400" class="frame" />
                    { for dots }
                </svg>
                <div>{ for detail }<div class="legend">{ for legend }</div></div>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct SampleSourcesProps {
    source: UseStateHandle<Source>,
}

/// A drawing pad and a file picker: the layer view can follow the person's own image.
#[function_component(SampleSources)]
fn sample_sources(props: &SampleSourcesProps) -> Html {
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
                match super::photos::media_grab(&element, 64) {
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
                match super::photos::media_start_camera(&element).await {
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
                super::photos::media_stop_camera(&element);
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
fn show_file(
    file: JsValue,
    source: UseStateHandle<Source>,
    problem: UseStateHandle<Option<String>>,
) {
    wasm_bindgen_futures::spawn_local(async move {
        match super::photos::decode_checked(&file).await {
            Ok(pixels) => {
                problem.set(None);
                source.set(Source::photo(pixels));
            }
            Err(message) => problem.set(Some(message)),
        }
    });
}

fn pad_context(canvas: &NodeRef) -> Option<web_sys::CanvasRenderingContext2d> {
    let element = canvas.cast::<web_sys::HtmlCanvasElement>()?;
    let ctx: web_sys::CanvasRenderingContext2d =
        element.get_context("2d").ok().flatten()?.dyn_into().ok()?;
    ctx.set_stroke_style_str("#ffffff");
    ctx.set_line_width(14.0);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    Some(ctx)
}

fn clear_pad(ctx: &web_sys::CanvasRenderingContext2d, side: u32) {
    ctx.set_fill_style_str("#000000");
    ctx.fill_rect(0.0, 0.0, f64::from(side), f64::from(side));
}
