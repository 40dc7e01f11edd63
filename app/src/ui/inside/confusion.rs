//! The confusion matrix with per-class accuracy, a cell's examples and the most confident
//! mistakes.

use agora_engine::calibration::Confusion;
use agora_engine::inspect::{predictions, worst_mistakes};
use yew::prelude::*;

use super::common::*;

#[function_component(ConfusionView)]
pub(super) fn confusion_view(props: &ReportProps) -> Html {
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
            let label = format!("{n} {} taken for {}: show them", name(names, actual), name(names, guess));
            html! {
                <td class={classes!("cell", selected.then_some("selected"))} {style} data-testid={format!("confusion-{actual}-{guess}")}>
                    <button class="cell-button" {onclick} aria-label={label} aria-pressed={selected.to_string()}>{ n }</button>
                </td>
            }
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
                    <figure class="example">
                        <button class="example-open" {onclick} title="See it layer by layer">
                            <img {src} alt={format!("{caption}: see it layer by layer")} />
                        </button>
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
