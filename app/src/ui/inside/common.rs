//! What the inside views share: image URLs, class names, the report props.

use std::rc::Rc;

use yew::prelude::*;

use crate::photos::bmp_data_url;
use crate::pictures::pixels_rgb;
use crate::reports::EvaluationReport;

pub(super) fn image_url(rgb: &[u8], height: usize, width: usize) -> String {
    bmp_data_url(rgb, width, height)
}

/// A validation image from the evaluation report, as a data URL.
pub(in crate::ui) fn report_image(report: &EvaluationReport, index: usize) -> Option<String> {
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

pub(super) fn name(names: &[String], class: usize) -> String {
    names
        .get(class)
        .cloned()
        .unwrap_or_else(|| format!("class {class}"))
}

#[derive(Properties, PartialEq)]
pub(super) struct ReportProps {
    pub(super) report: Option<Rc<EvaluationReport>>,
    #[prop_or_default]
    pub(super) names: Rc<Vec<String>>,
    #[prop_or_default]
    pub(super) pick: Callback<usize>,
}

pub(super) fn waiting() -> Html {
    html! { <p class="hint">{ "Evaluating the validation set…" }</p> }
}
