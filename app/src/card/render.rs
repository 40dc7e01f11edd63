//! A model card as Markdown (for a repository or a report) and as HTML: the page shows the
//! same `<article>` it saves, and the saved file is one self-contained page (styles inline,
//! the reliability diagram as SVG, thumbnails as data URLs) that prints as it shows.

use std::fmt::Write as _;

use super::{ModelCard, percent};

/// The card's sections, in order: `(id, heading)`.
pub const SECTIONS: [(&str, &str); 9] = [
    ("details", "Model details"),
    ("intended-use", "Intended use"),
    ("limits", "Known limits"),
    ("data", "Data"),
    ("performance", "Performance"),
    ("calibration", "Calibration"),
    ("mistakes", "Most confident mistakes"),
    ("recipe", "Training recipe"),
    ("privacy", "Privacy"),
];

const PRIVACY: &str = "Trained in a web browser with Agora: the data never left the device it was on, and this card was written there too.";
const UNWRITTEN: &str = "Not written yet.";

fn heading(id: &str) -> &'static str {
    SECTIONS
        .iter()
        .find(|(key, _)| *key == id)
        .map_or("", |(_, heading)| heading)
}

/// Text made safe inside HTML elements and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown table cell: pipes escaped, lines joined.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn optional_percent(value: Option<f32>) -> String {
    value.map_or_else(|| "—".to_owned(), percent)
}

fn written(text: &str) -> &str {
    if text.trim().is_empty() {
        UNWRITTEN
    } else {
        text
    }
}

/// The card as Markdown.
pub fn markdown(card: &ModelCard) -> String {
    let mut out = format!("# {}\n\n", card.title);
    let section = |out: &mut String, id: &str| {
        let _ = write!(out, "## {}\n\n", heading(id));
    };
    section(&mut out, "details");
    out.push_str("| | |\n|---|---|\n");
    for (what, value) in &card.details {
        let _ = writeln!(out, "| {} | {} |", cell(what), cell(value));
    }
    let _ = write!(out, "| Made by | {} |\n\n", cell(&card.made_by));
    section(&mut out, "intended-use");
    let _ = write!(out, "{}\n\n", written(&card.notes.intended_use));
    section(&mut out, "limits");
    let _ = write!(out, "{}\n\n", written(&card.notes.limits));
    section(&mut out, "data");
    let _ = write!(
        out,
        "{}: {} samples train, {} validate. Source: {}.\n\n",
        card.data_name, card.train, card.validation, card.provenance
    );
    out.push_str("| Class | Train | Validate | Validation accuracy |\n|---|---:|---:|---:|\n");
    for class in &card.classes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&class.name),
            class.train,
            class.validation,
            optional_percent(class.accuracy)
        );
    }
    out.push('\n');
    section(&mut out, "performance");
    for (what, value) in &card.metrics {
        let _ = writeln!(out, "- {what}: {value}");
    }
    if let Some(accuracy) = card.accuracy {
        let _ = write!(
            out,
            "- Measured on the validation set for this card: {}\n\n",
            percent(accuracy)
        );
        out.push_str("Confusion matrix (rows: actual class, columns: predicted):\n\n| |");
        for class in &card.classes {
            let _ = write!(out, " {} |", cell(&class.name));
        }
        out.push_str("\n|---|");
        out.push_str(&"---:|".repeat(card.classes.len()));
        out.push('\n');
        for (class, row) in card.classes.iter().zip(&card.confusion) {
            let _ = write!(out, "| {} |", cell(&class.name));
            for count in row {
                let _ = write!(out, " {count} |");
            }
            out.push('\n');
        }
    } else {
        out.push_str("\nNo per-class measure: the model predicts a number, or it has not been evaluated on its validation set.\n");
    }
    out.push('\n');
    section(&mut out, "calibration");
    match card.ece {
        Some(ece) => {
            let _ = writeln!(
                out,
                "Expected calibration error (ECE, {} bins): {}.",
                card.bins.len(),
                percent(ece)
            );
            if let Some((temperature, after)) = card.temperature {
                let _ = writeln!(
                    out,
                    "Temperature scaling: T = {temperature:.2} (fitted on half the validation set) gives ECE {} on the other half.",
                    percent(after)
                );
            }
            out.push_str(
                "\n| Confidence | Predictions | Mean confidence | Right |\n|---|---:|---:|---:|\n",
            );
            for bin in card.bins.iter().filter(|bin| bin.count > 0) {
                let _ = writeln!(
                    out,
                    "| {:.0}–{:.0} % | {} | {} | {} |",
                    bin.low * 100.0,
                    bin.high * 100.0,
                    bin.count,
                    percent(bin.confidence),
                    percent(bin.accuracy)
                );
            }
        }
        None => out.push_str("Not measured.\n"),
    }
    out.push('\n');
    section(&mut out, "mistakes");
    if card.mistakes.is_empty() {
        out.push_str(if card.accuracy.is_some() {
            "No validation sample was classified wrong.\n"
        } else {
            "Not measured.\n"
        });
    } else {
        out.push_str("| Sample | Actual | Predicted | Confidence |\n|---:|---|---|---:|\n");
        for mistake in &card.mistakes {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                mistake.sample,
                cell(&mistake.actual),
                cell(&mistake.predicted),
                percent(mistake.confidence)
            );
        }
    }
    out.push('\n');
    section(&mut out, "recipe");
    for (what, value) in &card.recipe {
        let _ = writeln!(out, "- {what}: {value}");
    }
    out.push('\n');
    section(&mut out, "privacy");
    let _ = writeln!(out, "{PRIVACY}");
    out
}

/// The reliability diagram: accuracy per confidence bin against the diagonal.
fn diagram(card: &ModelCard) -> String {
    let (size, pad) = (220.0_f32, 24.0_f32);
    let inner = size - 2.0 * pad;
    let mut svg = format!(
        "<svg class=\"reliability\" viewBox=\"0 0 {size} {size}\" width=\"{size}\" height=\"{size}\" role=\"img\" aria-label=\"Reliability diagram\">\
         <rect x=\"{pad}\" y=\"{pad}\" width=\"{inner}\" height=\"{inner}\" fill=\"none\" stroke=\"#999\"/>\
         <line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{pad}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>",
        pad + inner,
        pad + inner
    );
    #[allow(clippy::cast_precision_loss)]
    let width = inner / card.bins.len().max(1) as f32;
    for (index, bin) in card
        .bins
        .iter()
        .enumerate()
        .filter(|(_, bin)| bin.count > 0)
    {
        #[allow(clippy::cast_precision_loss)]
        let x = pad + index as f32 * width;
        let height = bin.accuracy * inner;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{height:.1}\" fill=\"#3b82f6\"><title>{:.0}–{:.0} %: {} right of {}</title></rect>",
            pad + inner - height,
            width - 1.0,
            bin.low * 100.0,
            bin.high * 100.0,
            percent(bin.accuracy),
            bin.count
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">confidence</text>\
         <text x=\"10\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\" transform=\"rotate(-90 10 {})\">right</text></svg>",
        size / 2.0,
        size - 6.0,
        size / 2.0,
        size / 2.0
    );
    svg
}

fn table(out: &mut String, rows: &[(String, String)]) {
    out.push_str("<table class=\"card-pairs\">");
    for (what, value) in rows {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            escape(what),
            escape(value)
        );
    }
    out.push_str("</table>");
}

fn paragraphs(out: &mut String, text: &str) {
    for paragraph in written(text).split("\n\n") {
        let _ = write!(out, "<p>{}</p>", escape(paragraph).replace('\n', "<br>"));
    }
}

/// The card as an `<article>`, for the page and the saved file alike.
pub fn article(card: &ModelCard) -> String {
    let mut out = format!(
        "<article class=\"model-card\"><h2>{}</h2>",
        escape(&card.title)
    );
    let open = |out: &mut String, id: &str| {
        let _ = write!(
            out,
            "<section data-section=\"{id}\"><h3>{}</h3>",
            heading(id)
        );
    };
    open(&mut out, "details");
    let mut details = card.details.clone();
    details.push(("Made by".into(), card.made_by.clone()));
    table(&mut out, &details);
    out.push_str("</section>");
    open(&mut out, "intended-use");
    paragraphs(&mut out, &card.notes.intended_use);
    out.push_str("</section>");
    open(&mut out, "limits");
    paragraphs(&mut out, &card.notes.limits);
    out.push_str("</section>");
    open(&mut out, "data");
    let _ = write!(
        out,
        "<p>{}: {} samples train, {} validate. Source: {}.</p>\
         <table class=\"card-grid\"><tr><th>Class</th><th>Train</th><th>Validate</th><th>Validation accuracy</th></tr>",
        escape(&card.data_name),
        card.train,
        card.validation,
        escape(&card.provenance)
    );
    for class in &card.classes {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&class.name),
            class.train,
            class.validation,
            optional_percent(class.accuracy)
        );
    }
    out.push_str("</table></section>");
    open(&mut out, "performance");
    table(&mut out, &card.metrics);
    if let Some(accuracy) = card.accuracy {
        let _ = write!(
            out,
            "<p>Measured on the validation set for this card: <strong>{}</strong>. Rows: actual class; columns: predicted.</p><table class=\"card-grid confusion\"><tr><th></th>",
            percent(accuracy)
        );
        for class in &card.classes {
            let _ = write!(out, "<th>{}</th>", escape(&class.name));
        }
        out.push_str("</tr>");
        for (actual, (class, row)) in card.classes.iter().zip(&card.confusion).enumerate() {
            let _ = write!(out, "<tr><th>{}</th>", escape(&class.name));
            for (predicted, count) in row.iter().enumerate() {
                let kind = if actual == predicted {
                    "right"
                } else {
                    "wrong"
                };
                let _ = write!(out, "<td class=\"{kind}\">{count}</td>");
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>");
    } else {
        out.push_str("<p>No per-class measure: the model predicts a number, or it has not been evaluated on its validation set.</p>");
    }
    out.push_str("</section>");
    open(&mut out, "calibration");
    if let Some(ece) = card.ece {
        let _ = write!(
            out,
            "<p>Expected calibration error (ECE, {} bins): <strong>{}</strong>: how far, on average, the confidence it shows is from how often it is right.</p>",
            card.bins.len(),
            percent(ece)
        );
        if let Some((temperature, after)) = card.temperature {
            let _ = write!(
                out,
                "<p>Temperature scaling: T = {temperature:.2} (fitted on half the validation set) gives ECE {} on the other half.</p>",
                percent(after)
            );
        }
        out.push_str(&diagram(card));
    } else {
        out.push_str("<p>Not measured.</p>");
    }
    out.push_str("</section>");
    open(&mut out, "mistakes");
    if card.mistakes.is_empty() {
        out.push_str(if card.accuracy.is_some() {
            "<p>No validation sample was classified wrong.</p>"
        } else {
            "<p>Not measured.</p>"
        });
    } else {
        out.push_str("<ul class=\"card-mistakes\">");
        for mistake in &card.mistakes {
            out.push_str("<li>");
            if let Some(url) = mistake
                .thumbnail
                .as_ref()
                .filter(|url| url.starts_with("data:image/"))
            {
                let _ = write!(
                    out,
                    "<img src=\"{}\" alt=\"\" width=\"48\" height=\"48\">",
                    escape(url)
                );
            }
            let _ = write!(
                out,
                "<span>sample {}: a {} taken for a {} at {}</span></li>",
                mistake.sample,
                escape(&mistake.actual),
                escape(&mistake.predicted),
                percent(mistake.confidence)
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
    open(&mut out, "recipe");
    table(&mut out, &card.recipe);
    out.push_str("</section>");
    open(&mut out, "privacy");
    let _ = write!(out, "<p>{PRIVACY}</p></section></article>");
    out
}

const PAGE_STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1f2937}\
h2{font-size:1.5rem}h3{font-size:1.1rem;margin-top:1.6rem;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}\
.card-grid td{text-align:right}.confusion td.right{background:#dcfce7}.confusion td.wrong{background:#fef2f2}\
.card-mistakes{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.75rem}.card-mistakes li{display:flex;gap:.5rem;align-items:center;max-width:16rem}\
.card-mistakes img{image-rendering:pixelated;border:1px solid #ccc}@media print{body{margin:0}}";

/// The card as one self-contained HTML page.
pub fn page(card: &ModelCard) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{PAGE_STYLE}</style></head><body>{}</body></html>\n",
        escape(&card.title),
        article(card)
    )
}
