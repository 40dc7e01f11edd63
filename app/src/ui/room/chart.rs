//! Accuracy per round: the class model on the teacher's test digits, and the students' own
//! models on their own data (the mean of what they reported), as two lines.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ChartProps {
    /// (round, class model accuracy on the teacher's test data).
    pub class: Vec<(u64, f32)>,
    /// (round, mean local accuracy the students reported).
    pub local: Vec<(u64, f32)>,
}

const W: f32 = 360.0;
const H: f32 = 160.0;
const LEFT: f32 = 36.0;
const BOTTOM: f32 = 22.0;

#[function_component(RoundChart)]
pub fn round_chart(props: &ChartProps) -> Html {
    let last = props
        .class
        .iter()
        .chain(&props.local)
        .map(|(r, _)| *r)
        .max()
        .unwrap_or(1)
        .max(1);
    let x = |round: u64| LEFT + (W - LEFT - 10.0) * round as f32 / last as f32;
    let y = |accuracy: f32| 8.0 + (H - BOTTOM - 8.0) * (1.0 - accuracy.clamp(0.0, 1.0));
    let line = |points: &[(u64, f32)]| {
        points
            .iter()
            .map(|(r, a)| format!("{:.1},{:.1}", x(*r), y(*a)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let ticks = [0.0_f32, 0.25, 0.5, 0.75, 1.0];
    html! {
        <svg class="room-chart" viewBox={format!("0 0 {W} {H}")} role="img"
            aria-label="Accuracy per round: the class model on the teacher's test digits, and the students' own models on their data">
            { for ticks.iter().map(|t| html! {
                <>
                    <line x1={LEFT.to_string()} x2={(W - 10.0).to_string()} y1={y(*t).to_string()} y2={y(*t).to_string()} class="grid" />
                    <text x={(LEFT - 4.0).to_string()} y={(y(*t) + 4.0).to_string()} class="tick" text-anchor="end">{ format!("{:.0}%", t * 100.0) }</text>
                </>
            }) }
            { for (0..=last).map(|r| html! {
                <text x={x(r).to_string()} y={(H - 6.0).to_string()} class="tick" text-anchor="middle">{ r.to_string() }</text>
            }) }
            <polyline points={line(&props.class)} class="class-line" fill="none" />
            <polyline points={line(&props.local)} class="local-line" fill="none" />
            { for props.class.iter().map(|(r, a)| html! { <circle cx={x(*r).to_string()} cy={y(*a).to_string()} r="3" class="class-dot" /> }) }
        </svg>
    }
}
