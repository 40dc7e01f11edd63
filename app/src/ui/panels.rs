//! The training controls, the data panel and the output panel.

use std::rc::Rc;

use super::part::PartOf;
use crate::lesson::Part;
use agora_engine::calibration::{Confusion, confidences, expected_calibration_error, reliability};
use agora_engine::data::DOMAIN;
use agora_engine::data::{Dataset, DatasetConfig, DatasetKind, Label, MAX_DATASET_CLASSES};
use agora_engine::recipe::{Optimizer, Penalty};
use agora_engine::samples::{Rows, Targets};
use agora_engine::snapshot::{GRID, Snapshot, TABLE_PLANE_DEVIATIONS};
use agora_engine::table::{TableData, prepare};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::Editor;
use super::WorkerLink;
use super::canvas::{Heatmap, PlotPoint};
use super::chart::LineChart;
use super::fields::NumberField;
use super::table::{LoadedTable, TablePanel};
use crate::colors::{self, CLASS_COLORS};
use crate::project::{
    BackendChoice, LEARNING_RATES, MAX_BATCH_SIZE, MOMENTA, Project, ProjectAction,
    REGULARIZATION_RATES,
};
use crate::protocol::{BackendKind, Command};
use crate::session::{Session, SessionAction, Status};

fn select_value(event: &Event) -> String {
    let select: HtmlSelectElement = event.target_unchecked_into();
    select.value()
}

/// A `<select>` handler: `action` reads the chosen value; unreadable values change nothing.
fn on_select(editor: &Editor, action: fn(&str) -> Option<ProjectAction>) -> Callback<Event> {
    let editor = editor.clone();
    Callback::from(move |event: Event| {
        if let Some(action) = action(&select_value(&event)) {
            editor.edit(action);
        }
    })
}

fn input_value(event: &InputEvent) -> String {
    let input: HtmlInputElement = event.target_unchecked_into();
    input.value()
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub project: UseReducerHandle<Project>,
    pub session: UseReducerHandle<Session>,
    pub link: WorkerLink,
    pub editor: Editor,
    pub valid: bool,
}

/// Play, pause, step, reset, the epoch counter, the recipe and the backend.
#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let project = &props.project;
    let session = &props.session;
    let running = session.status == Status::Running;
    // A finished run can go on once its epochs are raised (the worker says if not).
    let can_train = props.valid
        && matches!(
            session.status,
            Status::Paused | Status::Running | Status::Finished
        );
    let toggle = {
        let link = props.link.clone();
        let sessions = props.session.dispatcher();
        Callback::from(move |_| {
            if running {
                link.send(&Command::Pause);
                sessions.dispatch(SessionAction::PauseRequested);
            } else {
                link.send(&Command::Play);
            }
        })
    };
    let step = {
        let link = props.link.clone();
        Callback::from(move |_| link.send(&Command::Step))
    };
    let reset = {
        let editor = props.editor.clone();
        Callback::from(move |_| editor.setup())
    };
    let editor = props.editor.clone();
    let on_rate = on_select(&props.editor, |value| {
        value.parse().ok().map(ProjectAction::SetLearningRate)
    });
    let on_optimizer = on_select(&props.editor, |value| {
        Optimizer::from_key(value).map(ProjectAction::SetOptimizer)
    });
    let on_regularization = on_select(&props.editor, |value| {
        Penalty::from_key(value).map(ProjectAction::SetRegularization)
    });
    let on_momentum = on_select(&props.editor, |value| {
        value.parse().ok().map(ProjectAction::SetMomentum)
    });
    let on_regularization_rate = on_select(&props.editor, |value| {
        value.parse().ok().map(ProjectAction::SetRegularizationRate)
    });
    let on_batch = {
        let editor = editor.clone();
        Callback::from(move |event: InputEvent| {
            if let Ok(size) = input_value(&event).parse() {
                editor.edit(ProjectAction::SetBatchSize(size));
            }
        })
    };
    let on_backend = on_select(&props.editor, |value| {
        BackendChoice::from_key(value).map(ProjectAction::SetBackend)
    });
    let recipe = project.recipe;
    let mut rates: Vec<f64> = LEARNING_RATES.to_vec();
    if !rates.contains(&recipe.learning_rate) {
        rates.push(recipe.learning_rate);
        rates.sort_by(f64::total_cmp);
    }
    let rate_options = rates.into_iter().map(|rate| {
        html! { <option value={rate.to_string()} selected={rate == recipe.learning_rate}>{ rate.to_string() }</option> }
    });
    let optimizer_options = Optimizer::ALL.into_iter().map(|kind| {
        html! { <option value={kind.key()} selected={kind == recipe.optimizer}>{ kind.label() }</option> }
    });
    let mut momenta: Vec<f64> = MOMENTA.to_vec();
    if !momenta.contains(&recipe.momentum) {
        momenta.push(recipe.momentum);
        momenta.sort_by(f64::total_cmp);
    }
    let momentum_options = momenta.into_iter().map(|momentum| {
        html! { <option value={momentum.to_string()} selected={momentum == recipe.momentum}>{ momentum.to_string() }</option> }
    });
    let regularization_options = Penalty::ALL.into_iter().map(|kind| {
        html! { <option value={kind.key()} selected={kind == recipe.penalty}>{ kind.label() }</option> }
    });
    let mut reg_rates: Vec<f64> = REGULARIZATION_RATES.to_vec();
    if !reg_rates.contains(&recipe.penalty_rate) {
        reg_rates.push(recipe.penalty_rate);
        reg_rates.sort_by(f64::total_cmp);
    }
    let reg_rate_options = reg_rates.into_iter().map(|rate| {
        html! { <option value={rate.to_string()} selected={rate == recipe.penalty_rate}>{ rate.to_string() }</option> }
    });
    let backend_options = BackendChoice::ALL.into_iter().map(|choice| {
        html! { <option value={choice.key()} selected={choice == project.backend}>{ choice.label() }</option> }
    });
    let backend_status = backend_status(session);
    // The measured timings, per backend, for anyone (and any test) checking Auto's choice.
    let active_key = session.backend.map(|kind| match kind {
        BackendKind::Cpu => "cpu",
        BackendKind::WebGpu => "webgpu",
    });
    let cpu_ms = session
        .measurement
        .as_ref()
        .map(|m| m.cpu_ms_per_epoch.to_string());
    let webgpu_ms = session
        .measurement
        .as_ref()
        .and_then(|m| m.webgpu_ms_per_epoch)
        .map(|ms| ms.to_string());
    let epoch = session.epoch();
    html! {
        <div class="controls">
            <PartOf part={Part::Train}>
            <button class="round" onclick={reset} aria-label="Reset the network" title="Reset" data-testid="reset">{ "↺" }</button>
            <button class="round play" onclick={toggle} disabled={!can_train} data-testid="play"
                aria-label={if running { "Pause training" } else { "Start training" }}>
                { if running { "❚❚" } else { "▶" } }
            </button>
            <button class="round" onclick={step} disabled={!can_train || running} aria-label="Train one epoch" title="Step" data-testid="step">
                <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M3 2 L11 8 L3 14 Z M12 2 H14 V14 H12 Z" fill="currentColor" /></svg>
            </button>
            <div class="epoch" aria-live="off"><span class="label">{ "Epoch" }</span>
                <span class="value" data-testid="epoch">{ format_epoch(epoch) }</span>
                if session.status == Status::Finished {
                    <span class="label" data-testid="finished">{ format!("done: all {} epochs", recipe.epochs) }</span>
                }</div>
            </PartOf>
            <PartOf part={Part::Recipe}>
            <label class="control">{ "Learning rate" }
                <select onchange={on_rate} data-testid="learning-rate">{ for rate_options }</select></label>
            <label class="control">{ "Optimizer" }
                <select onchange={on_optimizer} data-testid="optimizer">{ for optimizer_options }</select></label>
            if recipe.optimizer.uses_momentum() {
                <label class="control">{ "Momentum" }
                    <select onchange={on_momentum} data-testid="momentum">{ for momentum_options }</select></label>
            }
            <label class="control">{ "Regularization" }
                <select onchange={on_regularization} data-testid="regularization">{ for regularization_options }</select></label>
            <label class="control">{ "Reg. rate" }
                <select onchange={on_regularization_rate} data-testid="regularization-rate">{ for reg_rate_options }</select></label>
            <label class="control">{ format!("Batch size: {}", recipe.batch_size) }
                <input type="range" min="1" max={MAX_BATCH_SIZE.to_string()} value={recipe.batch_size.to_string()}
                    oninput={on_batch} data-testid="batch-size" /></label>
            </PartOf>
            <PartOf part={Part::Backend}>
            <label class="control">{ "Backend" }
                <select onchange={on_backend} data-testid="backend">{ for backend_options }</select>
                <span class="backend-status" data-testid="backend-status" data-active={active_key}
                    data-cpu-ms={cpu_ms} data-webgpu-ms={webgpu_ms}>
                    if session.status == Status::Measuring {
                        <progress class="busy" aria-label="Timing both backends"></progress>{ " " }
                    }
                    { backend_status }</span></label>
            </PartOf>
            <PartOf part={Part::Recipe}>
            <details class="more-settings" data-testid="more-settings">
                <summary>{ "Schedule, clipping…" }</summary>
                <div class="more-fields">
                    <super::schedule::ScheduleFields recipe={recipe} editor={props.editor.clone()} prefix="playground-" until_paused=true />
                </div>
            </details>
            </PartOf>
        </div>
    }
}

fn format_epoch(epoch: usize) -> String {
    let digits = format!("{epoch:06}");
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn backend_status(session: &Session) -> String {
    if matches!(session.status, Status::Starting) {
        return "starting…".into();
    }
    if matches!(session.status, Status::Measuring) {
        return "measuring CPU and WebGPU speed…".into();
    }
    let gpu = match &session.webgpu {
        Some(Ok(adapter)) => format!("WebGPU: {adapter}"),
        Some(Err(reason)) => format!("WebGPU unavailable: {reason}"),
        None => String::new(),
    };
    match session.backend {
        Some(active) => format!(
            "Running on {} ({}). {gpu}",
            active.label(),
            session.backend_reason
        ),
        None => gpu,
    }
}

#[derive(Properties, PartialEq)]
pub struct DataPanelProps {
    pub project: UseReducerHandle<Project>,
    pub editor: Editor,
    pub table: Option<LoadedTable>,
    pub on_table: Callback<Option<LoadedTable>>,
}

/// Dataset choice, classes, noise, train/test split and seed.
#[function_component(DataPanel)]
pub fn data_panel(props: &DataPanelProps) -> Html {
    let project = &props.project;
    let dataset = project.points();
    let editor = props.editor.clone();
    let table_open = use_state(|| false);
    let thumbnails = use_memo((), |()| {
        DatasetKind::ALL
            .iter()
            .map(|&kind| {
                let data = Dataset::generate(DatasetConfig {
                    kind,
                    noise_percent: 0,
                    train_percent: 90,
                    classes: 2,
                    seed: 4,
                });
                Rc::new(plot_points(&data, false))
            })
            .collect::<Vec<_>>()
    });
    let tiles = DatasetKind::ALL.into_iter().enumerate().map(|(index, kind)| {
        let onclick = {
            let editor = editor.clone();
            Callback::from(move |_| editor.edit(ProjectAction::SetDataset(kind)))
        };
        let selected = kind == dataset.kind && project.data.table().is_none();
        html! {
            <button class={classes!("dataset", selected.then_some("selected"))} {onclick}
                aria-pressed={selected.to_string()} data-testid={format!("dataset-{}", kind.key())} title={kind.label()}>
                <Heatmap points={thumbnails[index].clone()} resolution={GRID} size={56} />
                <span>{ kind.label() }</span>
            </button>
        }
    });
    let on_noise = {
        let editor = editor.clone();
        Callback::from(move |event: InputEvent| {
            if let Ok(noise) = input_value(&event).parse() {
                editor.edit(ProjectAction::SetNoise(noise));
            }
        })
    };
    let on_ratio = {
        let editor = editor.clone();
        Callback::from(move |event: InputEvent| {
            if let Ok(percent) = input_value(&event).parse() {
                editor.edit(ProjectAction::SetTrainPercent(percent));
            }
        })
    };
    let on_classes = {
        let editor = editor.clone();
        Callback::from(move |event: Event| {
            if let Ok(classes) = select_value(&event).parse() {
                editor.edit(ProjectAction::SetClasses(classes));
            }
        })
    };
    let regenerate = {
        let editor = editor.clone();
        Callback::from(move |_| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            // a random seed below 2^32
            let seed = (js_sys::Math::random() * 4_294_967_296.0) as u64;
            editor.edit(ProjectAction::SetSeed(seed));
        })
    };
    let on_seed = {
        let editor = editor.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Ok(seed) = input.value().trim().parse() {
                editor.edit(ProjectAction::SetSeed(seed));
            }
        })
    };
    let table_chosen = project.data.table().is_some() || *table_open;
    let choose_table = {
        let table_open = table_open.clone();
        Callback::from(move |_| table_open.set(true))
    };
    let class_options = (2..=MAX_DATASET_CLASSES).map(|count| {
        html! { <option value={count.to_string()} selected={count == dataset.class_count()}>{ count }</option> }
    });
    html! {
        <section class="data-panel" aria-label="Data">
            <h2>{ "Data" }</h2>
            <p class="panel-note">{ "Which dataset do you want to use?" }</p>
            <div class="datasets">{ for tiles }
                <button class={classes!("dataset", "table-tile", table_chosen.then_some("selected"))} onclick={choose_table}
                    aria-pressed={table_chosen.to_string()} data-testid="dataset-table" title="Your own table of numbers (CSV)">
                    <span class="table-icon" aria-hidden="true">{ "▦" }</span>
                    <span>{ "Your table" }</span>
                </button>
            </div>
            if table_chosen {
                <TablePanel project={props.project.clone()} editor={props.editor.clone()} table={props.table.clone()} on_table={props.on_table.clone()} />
            }
            { for (dataset.kind.has_class_count() && project.data.table().is_none()).then(|| html! {
                <label class="control">{ "Classes" }
                    <select onchange={on_classes} data-testid="classes">{ for class_options }</select></label>
            }) }
            <label class="control">{ format!("Ratio of training to test data: {}%", dataset.train_percent) }
                <input type="range" min="10" max="90" step="10" value={dataset.train_percent.to_string()} oninput={on_ratio} data-testid="train-ratio" /></label>
            if project.data.table().is_none() {
                <label class="control">{ format!("Noise: {}", dataset.noise_percent) }
                    <input type="range" min="0" max="50" step="5" value={dataset.noise_percent.to_string()} oninput={on_noise} data-testid="noise" /></label>
            }
            <div class="seed">
                <label>{ "Seed " }
                    <NumberField min="0" value={dataset.seed.to_string()} onchange={on_seed}
                        testid="seed" label="Random seed: the same seed gives the same data and starting weights" /></label>
                <button onclick={regenerate} data-testid="regenerate">{ "Regenerate" }</button>
            </div>
        </section>
    }
}

/// The test set through the current network: the confusion matrix (rows the true class,
/// columns the prediction) and how far its confidence can be trusted (expected calibration
/// error over ten bins) — the image lab's views, for the playground's classes.
fn test_views(snapshot: &Snapshot, classes: usize, names: &[String]) -> Html {
    let labels: Vec<usize> = snapshot
        .test_labels
        .iter()
        .map(|&l| usize::from(l))
        .collect();
    let predicted: Vec<usize> = snapshot
        .test_logits
        .chunks_exact(classes)
        .map(|row| {
            row.iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(class, _)| class)
        })
        .collect();
    let confusion = Confusion::new(&labels, &predicted, classes);
    let (confidence, correct) = confidences(&snapshot.test_logits, &labels, classes, 1.0);
    let ece = expected_calibration_error(&reliability(&confidence, &correct, 10));
    let name = |class: usize| {
        names
            .get(class)
            .cloned()
            .unwrap_or_else(|| format!("class {class}"))
    };
    let header = (0..classes).map(|c| html! { <th scope="col" title={name(c)}><span class="swatch" style={format!("background: {}", colors::class_css(c))} /></th> });
    let rows = confusion.counts.iter().enumerate().map(|(truth, row)| {
        let cells = row.iter().enumerate().map(|(guess, count)| {
            html! { <td class={classes!("cell", (truth == guess).then_some("diagonal"))} data-testid={format!("pg-confusion-{truth}-{guess}")}>{ count }</td> }
        });
        html! { <tr><th scope="row" title={name(truth)}><span class="swatch" style={format!("background: {}", colors::class_css(truth))} />{ name(truth) }</th>{ for cells }</tr> }
    });
    html! {
        <details class="test-views" open=true>
            <summary>{ "Test set: confusion and confidence" }</summary>
            <table class="confusion small" data-testid="playground-confusion">
                <thead><tr><th>{ "true \\ predicted" }</th>{ for header }</tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <p class="panel-note" data-testid="playground-ece">{ format!("Expected calibration error: {:.1} % (how far the confidence differs from the accuracy)", ece * 100.0) }</p>
        </details>
    }
}

/// A two-column table's rows as points of the (standardised) plane, coloured by label.
fn table_points(data: &TableData, with_test: bool) -> Vec<PlotPoint> {
    // The plane spans ±TABLE_PLANE_DEVIATIONS standard deviations, drawn over ±DOMAIN.
    let scale = DOMAIN / TABLE_PLANE_DEVIATIONS;
    let rows = |rows: &Rows, test: bool| -> Vec<PlotPoint> {
        (0..rows.len())
            .map(|r| PlotPoint {
                x1: rows.values[r * rows.columns] * scale,
                x2: rows.values[r * rows.columns + 1] * scale,
                rgb: match &rows.targets {
                    Targets::Classes(classes) => {
                        CLASS_COLORS[usize::from(classes[r]) % CLASS_COLORS.len()]
                    }
                    Targets::Values(values) => colors::diverging(values[r].clamp(-1.0, 1.0)),
                },
                test,
            })
            .collect()
    };
    let mut points = rows(&data.train, false);
    if with_test {
        points.extend(rows(&data.test, true));
    }
    points
}

/// The dataset's points, coloured by label.
fn plot_points(data: &Dataset, with_test: bool) -> Vec<PlotPoint> {
    let point = |p: &agora_engine::data::Point, test: bool| PlotPoint {
        x1: p.x1,
        x2: p.x2,
        rgb: match p.label {
            Label::Class(class) => CLASS_COLORS[class % CLASS_COLORS.len()],
            Label::Value(value) => colors::diverging(value),
        },
        test,
    };
    let mut points: Vec<PlotPoint> = data.train.iter().map(|p| point(p, false)).collect();
    if with_test {
        points.extend(data.test.iter().map(|p| point(p, true)));
    }
    points
}

#[derive(Properties, PartialEq)]
pub struct OutputPanelProps {
    pub project: UseReducerHandle<Project>,
    pub session: UseReducerHandle<Session>,
    pub table: Option<LoadedTable>,
}

/// Losses, accuracies, the loss chart and the decision boundary (or regression surface).
#[function_component(OutputPanel)]
pub fn output_panel(props: &OutputPanelProps) -> Html {
    let show_test = use_state(|| false);
    let dataset = props.project.points();
    let data = use_memo(dataset, |config| Dataset::generate(*config));
    let setup = props.project.data.table().cloned();
    let points = use_memo(
        (data.clone(), *show_test, props.table.clone(), setup.clone()),
        |(data, with_test, table, setup)| match setup {
            None => plot_points(data, *with_test),
            Some(setup) => table
                .as_ref()
                .filter(|_| setup.choice.features.len() == 2)
                .and_then(|table| {
                    prepare(
                        table,
                        &setup.choice,
                        data.config.train_percent,
                        data.config.seed,
                    )
                    .ok()
                })
                .map(|prepared| table_points(&prepared, *with_test))
                .unwrap_or_default(),
        },
    );
    let session = &props.session;
    let outputs = props.project.head().outputs();
    // A table of more than two columns has no plane to draw.
    let plane = setup.as_ref().is_none_or(|s| s.choice.features.len() == 2);
    let class_names: Vec<String> = match (&setup, &props.table) {
        (Some(setup), Some(table)) => table.distinct(setup.choice.label),
        _ => (0..outputs).map(|class| format!("class {class}")).collect(),
    };
    let pixels = use_memo(session.snapshot.clone(), move |snapshot| {
        snapshot
            .as_ref()
            .filter(|s| s.output_grid.len() == GRID * GRID * outputs)
            .map(|s| Rc::new(colors::output_pixels(&s.output_grid, outputs)))
    });
    let history = use_memo(session.history.clone(), |history| history.clone());
    let snapshot = session.snapshot.as_ref();
    let metric = |value: Option<f32>| value.map_or("—".to_owned(), |v| format!("{v:.3}"));
    let percent =
        |value: Option<f32>| value.map_or("—".to_owned(), |v| format!("{:.1}%", v * 100.0));
    let toggle_test = {
        let show_test = show_test.clone();
        Callback::from(move |_| show_test.set(!*show_test))
    };
    let legend = if outputs == 1 {
        html! { <div class="legend"><span class="gradient" />{ "−1 … 0 … +1" }</div> }
    } else {
        html! {
            <div class="legend">
                { for (0..outputs).map(|class| html! {
                    <span class="legend-item"><span class="swatch" style={format!("background: {}", colors::class_css(class))} />{ class_names.get(class).cloned().unwrap_or_default() }</span>
                }) }
            </div>
        }
    };
    let backend = session.backend.map_or("", BackendKind::label);
    html! {
        <section class="output-panel" aria-label="Output">
            <h2>{ "Output" }</h2>
            <dl class="metrics">
                <dt>{ "Test loss" }</dt><dd data-testid="test-loss" data-value={snapshot.map(|s| s.test_loss.to_string())}>{ metric(snapshot.map(|s| s.test_loss)) }</dd>
                <dt>{ "Training loss" }</dt><dd data-testid="train-loss">{ metric(snapshot.map(|s| s.train_loss)) }</dd>
                { for (outputs > 1).then(|| html! {
                    <>
                        <dt>{ "Test accuracy" }</dt><dd data-testid="test-accuracy">{ percent(snapshot.and_then(|s| s.test_accuracy)) }</dd>
                        <dt>{ "Training accuracy" }</dt><dd data-testid="train-accuracy">{ percent(snapshot.and_then(|s| s.train_accuracy)) }</dd>
                    </>
                }) }
            </dl>
            { for snapshot.filter(|s| outputs > 1 && !s.test_labels.is_empty()).map(|s| test_views(s, outputs, &class_names)) }
            <LineChart series={crate::chart::loss_series(&history, "test")} x_label="epoch" y_label="loss" testid="loss-chart"
                label="Training loss (dashed) and test loss over epochs" />
            if plane {
                <Heatmap pixels={(*pixels).clone()} resolution={GRID} size={300} points={Some(Rc::clone(&points))}
                    testid="decision-boundary" label="The network's output over the input plane, with the data points" />
            } else {
                <p class="panel-note" data-testid="no-plane">{ "With more than two feature columns there is no plane to draw: the losses, the accuracy and the curve show how the network learns." }</p>
            }
            { legend }
            <label class="checkbox"><input type="checkbox" checked={*show_test} onclick={toggle_test} data-testid="show-test" />{ "Show test data" }</label>
            <p class="panel-note" data-testid="backend-active">{ if backend.is_empty() { String::new() } else { format!("Trained on {backend}") } }</p>
        </section>
    }
}
