//! The Runs view: every run of the project on screen in a table sortable by any metric, the
//! curves of the runs ticked overlaid, what differs between two of them, and Restore, Fork,
//! Delete and a label per run; the history exported as CSV and JSON. The book itself is
//! `crate::runs`, tested natively.

use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::Editor;
use super::card::CardPanel;
use super::offer::offer;
use crate::colors;
use crate::project::file::SavedProject;
use crate::runs::columns::{Column, sorted};
use crate::runs::diff::diff;
use crate::runs::export::{csv, iso_time, json};
use crate::runs::{RunAction, RunBook, RunRecord};
use crate::session::{Session, SessionAction};

fn metric(value: Option<f32>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.4}"))
}

fn accuracy(value: Option<f32>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.1} %", v * 100.0))
}

fn duration(seconds: f64) -> String {
    if seconds >= 90.0 {
        format!("{:.1} min", seconds / 60.0)
    } else {
        format!("{seconds:.1} s")
    }
}

/// What a run's row shows in a column.
fn cell(run: &RunRecord, column: Column) -> String {
    let last = run.last();
    match column {
        Column::Run => run.parent.map_or_else(
            || run.id.to_string(),
            |parent| format!("{} ← {parent}", run.id),
        ),
        Column::Label => run.label.clone(),
        // The time of day it began (the date is in the exports).
        Column::Started => iso_time(run.started_ms)
            .get(11..16)
            .unwrap_or_default()
            .to_owned(),
        Column::Seconds => duration(run.seconds),
        Column::LearningRate => run.project.recipe.learning_rate.to_string(),
        Column::Epochs => run.epochs().to_string(),
        Column::TrainLoss => metric(last.and_then(|row| row.train_loss)),
        Column::TestLoss => metric(last.and_then(|row| row.test_loss)),
        Column::TrainAccuracy => accuracy(last.and_then(|row| row.train_accuracy)),
        Column::TestAccuracy => accuracy(last.and_then(|row| row.test_accuracy)),
    }
}

/// Which of a run's numbers a curve follows.
#[derive(Clone, Copy)]
enum Curve {
    TestLoss,
    TestAccuracy,
}

/// The ticked runs' curves on one pair of axes (SVG, so it scales and prints).
fn curves(runs: &[Rc<RunRecord>], curve: Curve) -> Html {
    let value = |row: &crate::runs::EpochRow| match curve {
        Curve::TestLoss => row.test_loss,
        Curve::TestAccuracy => row.test_accuracy,
    };
    let points: Vec<(u32, Vec<(f64, f64)>)> = runs
        .iter()
        .map(|run| {
            #[allow(clippy::cast_precision_loss)]
            let line = run
                .rows
                .iter()
                .filter_map(|row| Some((row.epoch as f64, f64::from(value(row)?))))
                .collect();
            (run.id, line)
        })
        .collect();
    let all = points.iter().flat_map(|(_, line)| line.iter());
    let (mut x_max, mut y_min, mut y_max) = (1.0_f64, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in all {
        x_max = x_max.max(x);
        y_min = y_min.min(y);
        y_max = y_max.max(y);
    }
    if !y_min.is_finite() {
        return Html::default();
    }
    if matches!(curve, Curve::TestAccuracy) {
        (y_min, y_max) = (y_min.clamp(0.0, 1.0), 1.0);
    } else {
        y_min = 0.0_f64.min(y_min);
    }
    let span = (y_max - y_min).max(1e-9);
    let (width, height, pad) = (360.0, 160.0, 28.0);
    let title = match curve {
        Curve::TestLoss => "Test loss",
        Curve::TestAccuracy => "Test accuracy",
    };
    let lines = points.iter().enumerate().map(|(index, (id, line))| {
        let coordinates: Vec<String> = line
            .iter()
            .map(|&(x, y)| {
                format!(
                    "{:.1},{:.1}",
                    pad + x / x_max * (width - 2.0 * pad),
                    height - pad - (y - y_min) / span * (height - 2.0 * pad)
                )
            })
            .collect();
        let colour = colors::class_css(index);
        // A run of one epoch is a point, not a line.
        let dots = (coordinates.len() < 2).then(|| {
            coordinates.iter().map(|point| {
                let (x, y) = point.split_once(',').unwrap_or(("0", "0"));
                html! { <circle cx={x.to_owned()} cy={y.to_owned()} r="3" fill={colour.clone()} /> }
            }).collect::<Html>()
        });
        html! {
            <>
                <polyline points={coordinates.join(" ")} fill="none" stroke={colour.clone()} stroke-width="2" data-run={id.to_string()}>
                    <title>{ format!("run {id}") }</title>
                </polyline>
                { for dots }
            </>
        }
    });
    html! {
        <figure class="runs-chart" data-testid={match curve { Curve::TestLoss => "runs-loss", Curve::TestAccuracy => "runs-accuracy" }}>
            <figcaption>{ title }</figcaption>
            <svg viewBox={format!("0 0 {width} {height}")} width={width.to_string()} height={height.to_string()} role="img" aria-label={format!("{title} of the ticked runs by epoch")}>
                <rect x={pad.to_string()} y={pad.to_string()} width={(width - 2.0 * pad).to_string()} height={(height - 2.0 * pad).to_string()} fill="none" stroke="#ccc" />
                <text x={pad.to_string()} y={(height - 8.0).to_string()} font-size="10">{ "epoch 0" }</text>
                <text x={(width - pad).to_string()} y={(height - 8.0).to_string()} font-size="10" text-anchor="end">{ format!("{x_max:.0}") }</text>
                <text x="2" y={(pad + 4.0).to_string()} font-size="10">{ format!("{y_max:.2}") }</text>
                <text x="2" y={(height - pad).to_string()} font-size="10">{ format!("{y_min:.2}") }</text>
                { for lines }
            </svg>
            <div class="runs-legend">
                { for points.iter().enumerate().map(|(index, (id, _))| html! {
                    <span class="legend-item"><span class="swatch" style={format!("background: {}", colors::class_css(index))} />{ format!("run {id}") }</span>
                }) }
            </div>
        </figure>
    }
}

#[derive(Properties, PartialEq)]
pub struct RunsPanelProps {
    pub session: UseReducerHandle<Session>,
    pub editor: Editor,
}

/// Loads a run's network, recipe and weights (`fork`: as a new run, its child).
fn bring_back(editor: &Editor, book: &RunBook, run: &RunRecord, fork: bool) {
    let action = if fork {
        RunAction::Fork(run.id)
    } else {
        RunAction::Restore(run.id)
    };
    let book = book.clone().apply(action);
    let weights = run.weights.as_deref().cloned();
    let text = match (&weights, fork) {
        (Some(w), false) => format!("Restored run {} (epoch {}).", run.id, w.epoch),
        (Some(w), true) => format!(
            "Forked run {} at epoch {}: what trains now is recorded as its child.",
            run.id, w.epoch
        ),
        (None, _) => format!(
            "Run {}'s network and recipe are back; its weights were not kept, so it trains again from its seed.",
            run.id
        ),
    };
    editor.restore(SavedProject {
        project: run.project.clone(),
        history: if weights.is_some() {
            run.history()
        } else {
            crate::session::RunHistory::default()
        },
        trained: weights,
        runs: book,
        images: None,
    });
    editor
        .sessions
        .dispatch(SessionAction::Notice(Some(crate::session::Notice {
            text,
            problem: false,
        })));
}

#[function_component(RunsPanel)]
pub fn runs_panel(props: &RunsPanelProps) -> Html {
    let sort = use_state(|| (Column::Run, false));
    let ticked = use_state(Vec::<u32>::new);
    let card = use_state(|| false);
    let book = &props.session.runs;
    let ticked_now: Vec<u32> = ticked
        .iter()
        .copied()
        .filter(|id| book.get(*id).is_some())
        .collect();
    let (column, descending) = *sort;
    let ordered = sorted(&book.runs, column, descending);
    let header = |column: Column| {
        let sort = sort.clone();
        let current = *sort;
        let arrow = if current.0 == column {
            if current.1 { " ▼" } else { " ▲" }
        } else {
            ""
        };
        let onclick = Callback::from(move |_| {
            let (now, descending) = *sort;
            sort.set((column, now == column && !descending));
        });
        let pressed = if current.0 == column {
            if current.1 { "descending" } else { "ascending" }
        } else {
            "none"
        };
        html! {
            <th aria-sort={pressed}>
                <button class="sort" onclick={onclick} data-testid={format!("sort-{}", column.key())}>{ column.title() }{ arrow }</button>
            </th>
        }
    };
    let rows = ordered.iter().map(|run| {
        let id = run.id;
        let tick = {
            let ticked = ticked.clone();
            Callback::from(move |event: Event| {
                let on = event.target_unchecked_into::<HtmlInputElement>().checked();
                let mut now: Vec<u32> = ticked.iter().copied().filter(|t| *t != id).collect();
                if on {
                    now.push(id);
                }
                ticked.set(now);
            })
        };
        // On every keystroke, so a re-render (a report arriving) cannot wipe what was typed.
        let label = {
            let sessions = props.editor.sessions.clone();
            Callback::from(move |event: InputEvent| {
                let value = event.target_unchecked_into::<HtmlInputElement>().value();
                sessions.dispatch(SessionAction::Runs(RunAction::Label(id, value)));
            })
        };
        let action = |fork: bool| {
            let editor = props.editor.clone();
            let session = props.session.clone();
            Callback::from(move |_: MouseEvent| {
                if let Some(run) = session.runs.get(id) {
                    bring_back(&editor, &session.runs, run, fork);
                }
            })
        };
        let delete = {
            let sessions = props.editor.sessions.clone();
            Callback::from(move |_: MouseEvent| {
                let question = format!("Delete run {id} and its weights from this project?");
                let agreed = web_sys::window()
                    .and_then(|window| window.confirm_with_message(&question).ok())
                    .unwrap_or(false);
                if agreed {
                    sessions.dispatch(SessionAction::Runs(RunAction::Delete(id)));
                }
            })
        };
        let current = book.current == Some(id);
        let network: Vec<String> = run
            .project
            .network
            .layers
            .iter()
            .map(agora_engine::net::Layer::token)
            .collect();
        let weights = run.weights.as_ref().map_or_else(
            || "weights not kept".to_owned(),
            |w| format!("weights of epoch {}", w.epoch),
        );
        html! {
            <tr class={classes!(current.then_some("current"))} data-testid="run-row" data-run={id.to_string()}>
                <td><input type="checkbox" checked={ticked_now.contains(&id)} onchange={tick} aria-label={format!("Compare run {id}")} data-testid="run-tick" /></td>
                { for Column::ALL.iter().map(|&column| {
                    if column == Column::Label {
                        html! { <td><input class="run-label" list="run-labels" value={run.label.clone()} oninput={label.clone()} placeholder="label" aria-label={format!("Label of run {id}")} data-testid="run-label" /></td> }
                    } else {
                        html! { <td data-column={column.key()}>{ cell(run, column) }</td> }
                    }
                }) }
                <td title={network.join(" ")}><code>{ run.fingerprint() }</code></td>
                <td>{ &run.backend }</td>
                <td class="run-actions">
                    <span class="hint">{ if current { "on screen · ".to_owned() } else { String::new() } }{ weights }</span>
                    <button onclick={action(false)} data-testid="run-restore" title="Load this run's network, recipe and weights">{ "Restore" }</button>
                    <button onclick={action(true)} data-testid="run-fork" title="Start a new run from this one, recorded as its child">{ "Fork" }</button>
                    <button onclick={delete} data-testid="run-delete">{ "Delete" }</button>
                </td>
            </tr>
        }
    });
    let compared: Vec<Rc<RunRecord>> = ticked_now
        .iter()
        .filter_map(|id| book.runs.iter().find(|run| run.id == *id).cloned())
        .collect();
    let difference = (compared.len() == 2).then(|| {
        let (a, b) = (&compared[0], &compared[1]);
        let differences = diff(a, b);
        html! {
            <div class="runs-diff" data-testid="runs-diff">
                <h4>{ format!("What differs between run {} and run {}", a.id, b.id) }</h4>
                if differences.is_empty() {
                    <p class="hint">{ "Nothing: the same network, recipe, seed and data." }</p>
                } else {
                    <table>
                        <tr><th>{ "Setting" }</th><th>{ format!("run {}", a.id) }</th><th>{ format!("run {}", b.id) }</th></tr>
                        { for differences.iter().map(|d| html! {
                            <tr data-testid="diff-row"><th scope="row">{ &d.field }</th><td>{ &d.left }</td><td>{ &d.right }</td></tr>
                        }) }
                    </table>
                }
            </div>
        }
    });
    let export = |as_json: bool| {
        let session = props.session.clone();
        Callback::from(move |_: MouseEvent| {
            if as_json {
                offer(&json(&session.runs), "agora-runs.json", "application/json");
            } else {
                offer(&csv(&session.runs), "agora-runs.csv", "text/csv");
            }
        })
    };
    let toggle_card = {
        let card = card.clone();
        Callback::from(move |_: MouseEvent| card.set(!*card))
    };
    let count = book.runs.len();
    html! {
        <section class="runs panel" data-testid="runs" aria-label="Runs">
            <div class="runs-head">
                <h3>{ format!("Runs ({count})") }</h3>
                <span class="hint">{ "Every run of this project, kept on this device. Tick two to compare them." }</span>
                <button onclick={export(false)} disabled={count == 0} data-testid="runs-csv">{ "Export CSV" }</button>
                <button onclick={export(true)} disabled={count == 0} data-testid="runs-json">{ "Export JSON" }</button>
                <button onclick={toggle_card} aria-pressed={card.to_string()} data-testid="show-card">{ "Model card" }</button>
            </div>
            <datalist id="run-labels"><option value="best" /><option value="submitted" /><option value="baseline" /></datalist>
            if count == 0 {
                <p class="hint" data-testid="runs-empty">{ "No run yet: train the network and it is recorded here." }</p>
            } else {
                <div class="runs-scroll">
                    <table class="runs-table">
                        <thead><tr>
                            <th><span class="visually-hidden">{ "Compare" }</span></th>
                            { for Column::ALL.iter().map(|&column| header(column)) }
                            <th>{ "Network" }</th>
                            <th>{ "Backend" }</th>
                            <th></th>
                        </tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </div>
            }
            if !compared.is_empty() {
                <div class="runs-charts">
                    { curves(&compared, Curve::TestLoss) }
                    { curves(&compared, Curve::TestAccuracy) }
                </div>
            }
            { for difference }
            if *card {
                <CardPanel session={props.session.clone()} editor={props.editor.clone()} />
            }
        </section>
    }
}
