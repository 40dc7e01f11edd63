//! How far to trust the confidence: the reliability diagram, ECE, temperature scaling, and
//! the "not sure" threshold.

use agora_engine::calibration::{
    confidences, expected_calibration_error, fit_temperature, reliability,
};
use yew::prelude::*;

use super::common::*;

#[function_component(CalibrationView)]
pub(super) fn calibration_view(props: &ReportProps) -> Html {
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
