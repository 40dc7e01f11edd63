use super::render::{SECTIONS, article, markdown, page};
use super::*;
use crate::project::Project;
use crate::runs::{DataSummary, EpochRow, RunRecord};

fn run() -> RunRecord {
    RunRecord {
        id: 3,
        parent: Some(1),
        label: "best".into(),
        started_ms: 1_796_299_200_000.0,
        seconds: 12.5,
        project: Project::digits(),
        data: DataSummary {
            name: "your images".into(),
            provenance: "photos kept in this browser".into(),
            classes: vec![
                ClassCount {
                    name: "mug".into(),
                    train: 8,
                    validation: 3,
                },
                ClassCount {
                    name: "book".into(),
                    train: 8,
                    validation: 2,
                },
            ],
            train: 16,
            validation: 5,
        },
        backend: "WebGPU".into(),
        browser: "Chrome 156".into(),
        rows: vec![EpochRow {
            epoch: 4,
            train_loss: Some(0.2),
            test_loss: Some(0.4),
            train_accuracy: Some(0.9),
            test_accuracy: Some(0.8),
            learning_rate: Some(0.001),
            seconds: Some(3.0),
        }],
        notes: CardNotes {
            intended_use: "Tell my mugs from my books.".into(),
            limits: "Only my kitchen's light. <script>alert(1)</script>".into(),
        },
        weights: None,
    }
}

#[test]
fn the_card_measures_each_class_and_lists_the_surest_mistakes_first() {
    // Five validation images: mugs 0, 1, 2 and books 3, 4; image 2 is a mug taken for a
    // book at high confidence, image 4 a book taken for a mug at lower confidence.
    let labels = [0, 0, 0, 1, 1];
    let logits = [3.0, 0.0, 2.0, 0.0, 0.0, 4.0, 0.0, 3.0, 1.0, 0.5];
    let thumbnail = |sample: usize| (sample == 2).then(|| "data:image/bmp;base64,AA".to_owned());
    let validation = Validation {
        labels: &labels,
        logits: &logits,
        thumbnail: &thumbnail,
    };
    let card = build(&run(), Some(&validation), "Agora test");
    assert_eq!(card.confusion, vec![vec![2, 1], vec![1, 1]]);
    let accuracies: Vec<Option<f32>> = card.classes.iter().map(|c| c.accuracy).collect();
    assert_eq!(accuracies, [Some(2.0 / 3.0), Some(0.5)]);
    assert_eq!(card.accuracy, Some(0.6));
    let mistakes: Vec<(usize, &str, &str)> = card
        .mistakes
        .iter()
        .map(|m| (m.sample, m.actual.as_str(), m.predicted.as_str()))
        .collect();
    assert_eq!(mistakes, [(2, "mug", "book"), (4, "book", "mug")]);
    assert!(card.mistakes[0].confidence > card.mistakes[1].confidence);
    assert!(card.mistakes[0].thumbnail.is_some() && card.mistakes[1].thumbnail.is_none());
    assert!(card.ece.is_some_and(|ece| (0.0..=1.0).contains(&ece)));
    assert!(card.temperature.is_some());
    assert!(
        card.details
            .iter()
            .any(|(what, value)| what == "Forked from" && value == "run 1")
    );
    assert!(card.title.contains("run 3 (best)"));
}

#[test]
fn every_section_is_in_both_formats_and_notes_cannot_inject_markup() {
    let labels = [0, 1];
    let logits = [2.0, 0.0, 0.0, 2.0];
    let none = |_| None;
    let card = build(
        &run(),
        Some(&Validation {
            labels: &labels,
            logits: &logits,
            thumbnail: &none,
        }),
        "Agora test",
    );
    let md = markdown(&card);
    let html = page(&card);
    for (id, heading) in SECTIONS {
        assert!(
            md.contains(&format!("## {heading}\n")),
            "{heading} in Markdown"
        );
        assert!(
            html.contains(&format!("data-section=\"{id}\"")),
            "{id} in HTML"
        );
    }
    assert!(md.contains("| mug | 8 | 3 | 100.0 % |"), "{md}");
    assert!(md.contains("Tell my mugs from my books."));
    assert!(!html.contains("<script>"), "notes are escaped");
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.starts_with("<!doctype html>") && html.contains("<style>"));
    assert!(html.contains("No validation sample was classified wrong."));
    assert!(article(&card).starts_with("<article class=\"model-card\">"));
}

#[test]
fn a_card_without_a_measure_says_so() {
    let mut regression = run();
    regression.data.classes.clear();
    regression.notes = CardNotes::default();
    let card = build(&regression, None, "Agora test");
    assert_eq!(card.accuracy, None);
    let md = markdown(&card);
    assert!(md.contains("No per-class measure"));
    assert!(md.contains("Not written yet."));
    // Logits that do not match the classes are not measured rather than misread.
    let labels = [0, 1];
    let logits = [1.0, 2.0, 3.0];
    let none = |_| None;
    let card = build(
        &run(),
        Some(&Validation {
            labels: &labels,
            logits: &logits,
            thumbnail: &none,
        }),
        "t",
    );
    assert_eq!(card.accuracy, None);
}
