//! Canvas drawings: heatmaps (with data points on top). The line charts are SVG (`chart.rs`).

use std::rc::Rc;

use agora_engine::data::DOMAIN;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};
use yew::prelude::*;

/// A data point to draw over a heatmap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlotPoint {
    pub x1: f32,
    pub x2: f32,
    pub rgb: [u8; 3],
    /// Test points get a dark outline, training points a white one.
    pub test: bool,
}

#[derive(Properties, PartialEq)]
pub struct HeatmapProps {
    /// RGBA, `resolution × resolution`; `None` draws a white background.
    #[prop_or_default]
    pub pixels: Option<Rc<Vec<u8>>>,
    pub resolution: usize,
    /// Drawn size in CSS pixels.
    pub size: u32,
    #[prop_or_default]
    pub points: Option<Rc<Vec<PlotPoint>>>,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
    #[prop_or_default]
    pub label: Option<AttrValue>,
}

fn context_2d(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

/// A heatmap. Without points it is drawn at grid resolution and scaled by CSS (smooth); with
/// points it is drawn at its full size so the points stay crisp.
#[function_component(Heatmap)]
pub fn heatmap(props: &HeatmapProps) -> Html {
    let canvas_ref = use_node_ref();
    let with_points = props.points.is_some();
    // With points, drawn at the screen's own density so they stay sharp on high-DPI screens.
    let density = device_pixel_ratio();
    let pixel_size = if with_points {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 1..=3 × a few hundred
        let pixels = (f64::from(props.size) * density).round() as u32;
        pixels
    } else {
        u32::try_from(props.resolution).unwrap_or(1)
    };
    {
        let canvas_ref = canvas_ref.clone();
        let pixels = props.pixels.clone();
        let points = props.points.clone();
        let resolution = props.resolution;
        use_effect_with(
            (pixels, points, pixel_size),
            move |(pixels, points, size)| {
                if let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() {
                    draw_heatmap(
                        &canvas,
                        pixels.as_deref(),
                        resolution,
                        points.as_deref(),
                        *size,
                        density,
                    );
                }
            },
        );
    }
    let style = format!("width: {0}px; height: {0}px;", props.size);
    html! {
        <canvas ref={canvas_ref} class="heatmap" width={pixel_size.to_string()} height={pixel_size.to_string()}
            {style} data-testid={props.testid.clone()} aria-label={props.label.clone()} role={props.label.as_ref().map(|_| "img")} />
    }
}

/// The screen's device pixels per CSS pixel, between 1 and 3.
fn device_pixel_ratio() -> f64 {
    web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .clamp(1.0, 3.0)
}

fn draw_heatmap(
    canvas: &HtmlCanvasElement,
    pixels: Option<&Vec<u8>>,
    resolution: usize,
    points: Option<&Vec<PlotPoint>>,
    size: u32,
    density: f64,
) {
    let Some(context) = context_2d(canvas) else {
        return;
    };
    let side = f64::from(size);
    let grid = u32::try_from(resolution).unwrap_or(1);
    let image = pixels
        .filter(|p| p.len() == resolution * resolution * 4)
        .and_then(|p| {
            ImageData::new_with_u8_clamped_array_and_sh(Clamped(p.as_slice()), grid, grid).ok()
        });
    match (image, points.is_some()) {
        (Some(image), false) => {
            let _ = context.put_image_data(&image, 0.0, 0.0);
        }
        (Some(image), true) => {
            // Scale the grid up smoothly through a small canvas.
            let scratch = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.create_element("canvas").ok())
                .and_then(|e| e.dyn_into::<HtmlCanvasElement>().ok());
            if let Some(scratch) = scratch {
                scratch.set_width(grid);
                scratch.set_height(grid);
                if let Some(scratch_context) = context_2d(&scratch) {
                    let _ = scratch_context.put_image_data(&image, 0.0, 0.0);
                    context.set_image_smoothing_enabled(true);
                    let _ = context.draw_image_with_html_canvas_element_and_dw_and_dh(
                        &scratch, 0.0, 0.0, side, side,
                    );
                }
            }
        }
        (None, _) => {
            context.set_fill_style_str("#ffffff");
            context.fill_rect(0.0, 0.0, side, side);
        }
    }
    if let Some(points) = points {
        let scale = side / (2.0 * f64::from(DOMAIN));
        for point in points {
            let x = (f64::from(point.x1) + f64::from(DOMAIN)) * scale;
            let y = (f64::from(DOMAIN) - f64::from(point.x2)) * scale;
            let [r, g, b] = point.rgb;
            context.begin_path();
            let _ = context.arc(x, y, 3.0 * density, 0.0, std::f64::consts::TAU);
            context.set_fill_style_str(&format!("rgb({r},{g},{b})"));
            context.fill();
            context.set_line_width(density);
            context.set_stroke_style_str(if point.test { "#000000" } else { "#ffffff" });
            context.stroke();
        }
    }
}
