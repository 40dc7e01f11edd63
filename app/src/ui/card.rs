//! The model card of the model on screen: the person writes its intended use and known
//! limits, the rest comes from the run and the validation set (`crate::card`, tested
//! natively). Shown in the page, printable, and saved as a self-contained HTML page or as
//! Markdown.

use wasm_bindgen::prelude::*;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use super::Editor;
use super::offer::offer;
use crate::card::{Validation, build, render};
use crate::protocol::Command;
use crate::runs::RunAction;
use crate::session::{Session, SessionAction};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = agoraProjects, js_name = print)]
    fn print_page();
}

const MADE_BY: &str = concat!("Agora ", env!("CARGO_PKG_VERSION"));

#[derive(Properties, PartialEq)]
pub struct CardPanelProps {
    pub session: UseReducerHandle<Session>,
    pub editor: Editor,
}

#[function_component(CardPanel)]
pub fn card_panel(props: &CardPanelProps) -> Html {
    let session = &*props.session;
    let images = props.editor.shows_images();
    let epoch = session.epoch();
    let ready = session.data.is_some();
    // The validation set through the weights on screen, measured again after every epoch.
    {
        let link = props.editor.link.clone();
        use_effect_with((epoch, ready, images), move |(_, ready, images)| {
            if *ready && *images {
                link.send(&Command::Evaluate);
            }
        });
    }
    let Some(run) = session.runs.current_run() else {
        return html! {
            <div class="card-panel" data-testid="model-card">
                <p class="hint" data-testid="card-empty">{ "Train the network first: the model card describes the run on screen (restore a run to see its card)." }</p>
            </div>
        };
    };
    let id = run.id;
    let evaluation = session.evaluation.clone().filter(|_| images);
    let snapshot = session.snapshot.clone().filter(|_| !images);
    let labels: Vec<usize>;
    let logits: &[f32];
    if let Some(report) = &evaluation {
        labels = report.labels.clone();
        logits = &report.logits;
    } else if let Some(snapshot) = &snapshot {
        labels = snapshot
            .test_labels
            .iter()
            .map(|&l| usize::from(l))
            .collect();
        logits = &snapshot.test_logits;
    } else {
        labels = Vec::new();
        logits = &[];
    }
    let thumbnail = |sample: usize| -> Option<String> {
        super::inside::report_image(evaluation.as_ref()?, sample)
    };
    let validation = Validation {
        labels: &labels,
        logits,
        thumbnail: &thumbnail,
    };
    let measured = !labels.is_empty();
    let card = build(run, measured.then_some(&validation), MADE_BY);
    let notes = run.notes.clone();
    let edit = |limits: bool| {
        let sessions = props.editor.sessions.clone();
        // On every keystroke: a report arriving re-renders the card, and a textarea bound to a
        // value not yet stored would lose what was typed.
        Callback::from(move |event: InputEvent| {
            let text = event.target_unchecked_into::<HtmlTextAreaElement>().value();
            sessions.dispatch(SessionAction::Runs(RunAction::Note { id, limits, text }));
        })
    };
    let stem = format!("agora-model-card-run-{id}");
    let save = |markdown: bool| {
        let card = card.clone();
        let stem = stem.clone();
        Callback::from(move |_: MouseEvent| {
            if markdown {
                offer(
                    &render::markdown(&card),
                    &format!("{stem}.md"),
                    "text/markdown",
                );
            } else {
                offer(&render::page(&card), &format!("{stem}.html"), "text/html");
            }
        })
    };
    let print = Callback::from(|_: MouseEvent| print_page());
    let article = Html::from_html_unchecked(AttrValue::from(render::article(&card)));
    html! {
        <div class="card-panel" data-testid="model-card">
            <div class="card-notes">
                <label>{ "Intended use: what is this model for, and for whom?" }
                    <textarea value={notes.intended_use.clone()} oninput={edit(false)} rows="2" data-testid="card-use"
                        placeholder="e.g. Sort photos of my mugs from photos of my books, for a class demo." />
                </label>
                <label>{ "Known limits: where should it not be trusted?" }
                    <textarea value={notes.limits.clone()} oninput={edit(true)} rows="2" data-testid="card-limits"
                        placeholder="e.g. Only photos taken in my kitchen; never seen other mugs." />
                </label>
                <div class="card-buttons">
                    <button onclick={print} data-testid="card-print">{ "Print" }</button>
                    <button onclick={save(false)} data-testid="card-html">{ "Save as HTML" }</button>
                    <button onclick={save(true)} data-testid="card-markdown">{ "Save as Markdown" }</button>
                    if images && evaluation.is_none() {
                        <span class="hint">{ "Measuring the validation set…" }</span>
                    }
                </div>
            </div>
            { article }
        </div>
    }
}
