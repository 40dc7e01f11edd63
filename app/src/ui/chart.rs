//! A line chart as SVG: axes with ticks and titles, a legend, training dashed and test
//! (validation) solid, and the values under the pointer. The layout is `chart::Plot`.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::chart::{Plot, Series, nearest, tick_label};

const WIDTH: f64 = 320.0;
const HEIGHT: f64 = 170.0;
/// Training, then test: dark grey dashed and the accent blue, told apart by dash and by shade.
const COLOURS: [&str; 2] = ["#59636e", "#0877bd"];

#[derive(Properties, PartialEq)]
pub struct LineChartProps {
    pub series: Rc<Vec<Series>>,
    pub x_label: AttrValue,
    pub y_label: AttrValue,
    #[prop_or_default]
    pub percent: bool,
    pub testid: AttrValue,
    /// What the chart shows, for screen readers.
    pub label: AttrValue,
}

#[function_component(LineChart)]
pub fn line_chart(props: &LineChartProps) -> Html {
    let hover = use_state(|| None::<f64>);
    let Some(plot) = Plot::new(&props.series, WIDTH, HEIGHT, !props.percent) else {
        return html! {
            <figure class="chart empty" data-testid={props.testid.clone()} data-points="0">
                <p class="hint">{ format!("{} appears here as training goes.", props.y_label) }</p>
            </figure>
        };
    };
    let percent = props.percent;
    let x_ticks = plot.x.ticks.iter().map(|&t| {
        let x = plot.px(t);
        html! { <>
            <line class="grid" x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1={plot.top.to_string()} y2={plot.bottom.to_string()} />
            <text class="tick" x={format!("{x:.1}")} y={(plot.bottom + 13.0).to_string()} text-anchor="middle">{ tick_label(t, plot.x.step, false) }</text>
        </> }
    });
    let y_ticks = plot.y.ticks.iter().map(|&t| {
        let y = plot.py(t);
        html! { <>
            <line class="grid" x1={plot.left.to_string()} x2={plot.right.to_string()} y1={format!("{y:.1}")} y2={format!("{y:.1}")} />
            <text class="tick" x={(plot.left - 5.0).to_string()} y={format!("{:.1}", y + 3.5)} text-anchor="end">{ tick_label(t, plot.y.step, percent) }</text>
        </> }
    });
    let lines = props.series.iter().enumerate().map(|(i, series)| {
        html! {
            <polyline class="series" points={plot.polyline(series)} fill="none" stroke={COLOURS[i % COLOURS.len()]}
                stroke-width="2" stroke-dasharray={series.dashed.then_some("5 3")} data-series={series.name.clone()}
                data-count={series.points.len().to_string()} />
        }
    });
    // Few points: each one drawn too, so a single epoch shows.
    let marks = props.series.iter().enumerate().filter(|(_, s)| s.points.len() <= 30).flat_map(|(i, series)| {
        series.points.iter().filter(|(x, y)| x.is_finite() && y.is_finite()).map(move |&(x, y)| (i, x, y))
    }).map(|(i, x, y)| html! {
        <circle class="mark" cx={format!("{:.1}", plot.px(x))} cy={format!("{:.1}", plot.py(y))} r="2.5" fill={COLOURS[i % COLOURS.len()]} />
    }).collect::<Html>();
    let legend = props.series.iter().enumerate().map(|(i, series)| {
        html! {
            <span class="legend-item">
                <svg width="22" height="8" aria-hidden="true"><line x1="0" x2="22" y1="4" y2="4" stroke={COLOURS[i % COLOURS.len()]}
                    stroke-width="2" stroke-dasharray={series.dashed.then_some("5 3")} /></svg>
                { series.name.clone() }
            </span>
        }
    });
    // The values at the pointer's x, on every series.
    let readout = hover.map(|x| {
        let values: Vec<(usize, (f64, f64))> = props
            .series
            .iter()
            .enumerate()
            .filter_map(|(i, s)| nearest(s, x).map(|at| (i, s.points[at])))
            .collect();
        let at = values.first().map_or(x, |(_, (px, _))| *px);
        let line_x = plot.px(at);
        let dots = values.iter().filter(|(_, (_, y))| y.is_finite()).map(|(i, (px, py))| html! {
            <circle cx={format!("{:.1}", plot.px(*px))} cy={format!("{:.1}", plot.py(*py))} r="3.5" fill={COLOURS[i % COLOURS.len()]} />
        });
        let text = values
            .iter()
            .map(|(i, (_, y))| {
                let value = if percent { format!("{:.1} %", y * 100.0) } else { format!("{y:.4}") };
                format!("{} {value}", props.series[*i].name)
            })
            .collect::<Vec<_>>()
            .join(" · ");
        (html! { <>
            <line class="cursor" x1={format!("{line_x:.1}")} x2={format!("{line_x:.1}")} y1={plot.top.to_string()} y2={plot.bottom.to_string()} />
            { for dots }
        </> }, format!("{} {at}: {text}", props.x_label))
    });
    let onmousemove = {
        let hover = hover.clone();
        let plot = plot.clone();
        Callback::from(move |event: MouseEvent| {
            let Some(svg) = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| e.closest("svg.chart-svg").ok().flatten())
            else {
                return;
            };
            let rect = svg.get_bounding_client_rect();
            let px = (f64::from(event.client_x()) - rect.left()) / rect.width() * WIDTH;
            hover.set((px >= plot.left && px <= plot.right).then(|| plot.x_at(px)));
        })
    };
    let onmouseleave = {
        let hover = hover.clone();
        Callback::from(move |_: MouseEvent| hover.set(None))
    };
    let (cursor, text) = readout.map_or((None, None), |(c, t)| (Some(c), Some(t)));
    let points: usize = props.series.iter().map(|s| s.points.len()).sum();
    html! {
        <figure class="chart" data-testid={props.testid.clone()} data-points={points.to_string()}>
            <svg class="chart-svg" viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-label={props.label.clone()}
                {onmousemove} {onmouseleave}>
                { for x_ticks }
                { for y_ticks }
                <line class="axis" x1={plot.left.to_string()} x2={plot.right.to_string()} y1={plot.bottom.to_string()} y2={plot.bottom.to_string()} />
                <line class="axis" x1={plot.left.to_string()} x2={plot.left.to_string()} y1={plot.top.to_string()} y2={plot.bottom.to_string()} />
                { for lines }
                { marks }
                { for cursor }
                <text class="axis-title" x={format!("{:.1}", (plot.left + plot.right) / 2.0)} y={(HEIGHT - 4.0).to_string()} text-anchor="middle">{ props.x_label.clone() }</text>
                <text class="axis-title" x="10" y={format!("{:.1}", (plot.top + plot.bottom) / 2.0)} text-anchor="middle"
                    transform={format!("rotate(-90 10 {:.1})", (plot.top + plot.bottom) / 2.0)}>{ props.y_label.clone() }</text>
            </svg>
            <figcaption class="chart-legend">{ for legend }
                <span class="chart-readout" data-testid={format!("{}-readout", props.testid)} aria-live="off">{ text.unwrap_or_default() }</span>
            </figcaption>
        </figure>
    }
}
