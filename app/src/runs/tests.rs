use super::diff::diff;
use super::export::{COLUMNS, csv, iso_time, json};
use super::*;
use crate::project::ProjectAction;
use agora_engine::params::initial_params;
use std::rc::Rc;

fn start(project: &Project, continues: bool, now_ms: f64) -> RunAction {
    RunAction::Began(Box::new(RunStart {
        project: project.clone(),
        class_names: vec!["cat".into(), "dog".into()],
        data_name: "your images".into(),
        provenance: "photos in this browser".into(),
        browser: "Chrome 156".into(),
        now_ms,
        continues,
    }))
}

fn row(epoch: usize, loss: f32) -> RunAction {
    RunAction::Row(EpochRow {
        epoch,
        train_loss: Some(loss),
        test_loss: Some(loss * 2.0),
        train_accuracy: Some(0.5),
        test_accuracy: Some(1.0 - loss),
        learning_rate: Some(0.01),
        seconds: Some(1.0),
    })
}

fn trained_run(book: RunBook, project: &Project, now: f64, losses: &[f32]) -> RunBook {
    let mut book = book
        .apply(start(project, false, now))
        .apply(RunAction::Data {
            train: 80,
            val: 20,
            counts: vec![(40, 10), (40, 10)],
        })
        .apply(RunAction::Backend("CPU".into()))
        .apply(row(0, 0.9))
        .apply(RunAction::Running(true, now + 1000.0));
    for (epoch, &loss) in losses.iter().enumerate() {
        book = book.apply(row(epoch + 1, loss));
    }
    book.apply(RunAction::Running(false, now + 3500.0))
}

#[test]
fn a_run_is_recorded_once_it_trains_and_ends_when_the_setup_changes() {
    let project = Project::digits();
    let book = RunBook::default().apply(start(&project, false, 1.0e12));
    let book = book.apply(row(0, 0.9));
    assert!(book.runs.is_empty(), "epoch 0 is not a run yet");
    let book = trained_run(book, &project, 1.0e12, &[0.5, 0.4]);
    assert_eq!(book.runs.len(), 1);
    let run = &book.runs[0];
    assert_eq!((run.id, run.parent, book.current), (1, None, Some(1)));
    assert_eq!(run.epochs(), 2);
    assert_eq!(run.backend, "CPU");
    assert!((run.seconds - 2.5).abs() < 1e-9, "{}", run.seconds);
    assert_eq!(run.data.classes[1].name, "dog");
    assert_eq!((run.data.classes[1].train, run.data.train), (40, 80));
    assert_eq!(run.fingerprint().len(), 8);
    // Another setup: a second record; the first stays as it was.
    let other = project.clone().apply(ProjectAction::SetLearningRate(0.1));
    let book = trained_run(book, &other, 2.0e12, &[0.3]);
    assert_eq!(book.runs.len(), 2);
    assert_eq!(book.current, Some(2));
    assert_eq!(book.runs[0].epochs(), 2);
    // A recipe change goes into the current record with its next epoch, and only then.
    let book = book.apply(RunAction::Recipe(project.recipe));
    assert_eq!(
        book.runs[1].project.recipe, other.recipe,
        "no epoch with it yet"
    );
    let book = book.apply(row(2, 0.25));
    assert_eq!(book.runs[1].project.recipe, project.recipe);
    assert!(
        (book.runs[0].project.recipe.learning_rate - project.recipe.learning_rate).abs() < 1e-12
    );
}

#[test]
fn restore_goes_on_as_the_same_run_and_fork_records_a_child() {
    let project = Project::digits();
    let book = trained_run(RunBook::default(), &project, 0.0, &[0.5, 0.4]);
    let book = trained_run(book, &project, 10.0, &[0.6]);
    let restored = book
        .clone()
        .apply(RunAction::Restore(1))
        .apply(start(&project, true, 20.0))
        .apply(row(3, 0.35));
    assert_eq!(restored.runs.len(), 2, "no new record");
    assert_eq!(restored.current, Some(1));
    assert_eq!(restored.runs[0].epochs(), 3);
    let forked = book
        .apply(RunAction::Fork(1))
        .apply(start(&project, false, 30.0))
        .apply(row(1, 0.7));
    assert_eq!(forked.runs.len(), 3);
    assert_eq!(forked.runs[2].parent, Some(1));
    assert_eq!(forked.fork_parent, None, "only the next run is the child");
    let deleted = forked.apply(RunAction::Delete(1));
    assert_eq!(deleted.runs.len(), 2);
    let mut reread = deleted.clone();
    reread.settle();
    assert_eq!(
        reread.runs[1].parent, None,
        "a deleted parent is not pointed to"
    );
}

#[test]
fn labels_and_notes_are_bounded_and_weights_of_old_runs_go_first() {
    let project = Project::digits();
    let params = initial_params(&project.network, project.recipe.init, 1).unwrap();
    let mut book = RunBook::default();
    for run in 0..(MAX_KEPT_WEIGHTS + 3) {
        #[allow(clippy::cast_precision_loss)]
        let now = run as f64;
        book = trained_run(book, &project, now, &[0.5]).apply(RunAction::Weights(Rc::new(
            Checkpoint {
                params: params.clone(),
                optimizer: None,
                epoch: 1,
            },
        )));
        if run == 0 {
            book = book.apply(RunAction::Label(1, format!("best {}", "!".repeat(99))));
        }
    }
    let kept = book.runs.iter().filter(|run| run.weights.is_some()).count();
    assert_eq!(
        kept,
        MAX_KEPT_WEIGHTS + 1,
        "the current run's and the newest others'"
    );
    assert!(
        book.runs[0].weights.is_some(),
        "a labelled run keeps its weights"
    );
    assert!(
        book.runs[1].weights.is_none(),
        "the oldest unlabelled run's go first"
    );
    assert_eq!(book.runs[0].label.chars().count(), MAX_LABEL);
    assert!(book.runs[0].label.starts_with("best"));
    let book = book
        .apply(RunAction::Note {
            id: 2,
            limits: false,
            text: "x".repeat(MAX_NOTE + 5),
        })
        .apply(RunAction::Note {
            id: 2,
            limits: true,
            text: "only my mugs".into(),
        });
    assert_eq!(book.runs[1].notes.intended_use.len(), MAX_NOTE);
    assert_eq!(
        book.runs[1].notes.limits, "only my mugs",
        "each note on its own"
    );
}

#[test]
fn a_long_run_is_thinned_and_a_loaded_book_is_settled() {
    let project = Project::default();
    let mut book = RunBook::default().apply(start(&project, false, 0.0));
    for epoch in 1..=(MAX_ROWS * 3) {
        book = book.apply(row(epoch, 0.5));
    }
    let run = &book.runs[0];
    assert!(run.rows.len() <= MAX_ROWS);
    assert_eq!(run.rows.first().map(|r| r.epoch), Some(1));
    assert_eq!(run.epochs(), MAX_ROWS * 3);
    let mut hostile = book.clone();
    hostile.runs.push(hostile.runs[0].clone());
    Rc::make_mut(&mut hostile.runs[0]).parent = Some(77);
    hostile.current = Some(99);
    hostile.next_id = 0;
    let loaded = RunBook::default().apply(RunAction::Load(Box::new(hostile)));
    assert_eq!(loaded.runs.len(), 1, "duplicate ids dropped");
    assert_eq!(loaded.runs[0].parent, None);
    assert_eq!(loaded.current, None);
    assert_eq!(loaded.next_id, 2);
}

#[test]
fn the_diff_shows_only_what_differs() {
    let project = Project::digits();
    let wider = project
        .clone()
        .apply(ProjectAction::SetLearningRate(0.05))
        .apply(ProjectAction::Remove { at: 0 });
    let book = trained_run(RunBook::default(), &project, 0.0, &[0.5]);
    let book = trained_run(book, &wider, 0.0, &[0.5]);
    let same = diff(&book.runs[0], &book.runs[0]);
    assert!(same.is_empty(), "{same:?}");
    let differences = diff(&book.runs[0], &book.runs[1]);
    let fields: Vec<&str> = differences.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(
        fields,
        ["layer 1", "recipe.learning_rate"],
        "{differences:?}"
    );
    assert_eq!(differences[0].right, "—");
    assert_eq!(differences[1].right, "0.05");
}

#[test]
fn the_csv_has_one_row_per_run_and_quotes_what_needs_it() {
    let project = Project::digits();
    let book = trained_run(
        RunBook::default(),
        &project,
        1_764_763_700_000.0,
        &[0.5, 0.25],
    );
    let book = trained_run(book, &project, 1_764_763_800_000.0, &[0.6])
        .apply(RunAction::Label(2, "say \"hi\", twice".into()));
    let text = csv(&book);
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].split(',').count(), COLUMNS.len());
    assert!(
        lines[2].contains("\"say \"\"hi\"\", twice\""),
        "{}",
        lines[2]
    );
    assert!(
        lines[1].starts_with("1,,,2025-12-03T12:08:20Z,2.5,your images,cat;dog,80,20,"),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with(",0.25,0.5,0.5,0.75"), "{}", lines[1]);
    let parsed: serde_json::Value = serde_json::from_str(&json(&book)).unwrap();
    assert_eq!(parsed.as_array().map(Vec::len), Some(2));
    assert_eq!(parsed[0]["epoch_metrics"].as_array().map(Vec::len), Some(2));
    assert_eq!(parsed[0]["test_accuracy"], 0.75);
    assert_eq!(parsed[1]["label"], "say \"hi\", twice");
}

#[test]
fn iso_times_are_utc() {
    assert_eq!(iso_time(0.0), "1970-01-01T00:00:00Z");
    assert_eq!(iso_time(951_782_400_000.0), "2000-02-29T00:00:00Z");
    assert_eq!(iso_time(1_796_299_200_000.0), "2026-12-03T12:00:00Z");
}

#[test]
fn browsers_are_named_by_their_user_agent() {
    assert_eq!(
        browser_name(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.7000.0 Safari/537.36"
        ),
        "Chrome (headless) 156"
    );
    assert_eq!(
        browser_name("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"),
        "Firefox 133"
    );
    assert_eq!(
        browser_name(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"
        ),
        "Safari 18"
    );
}

#[test]
fn the_table_sorts_by_any_metric_with_unmeasured_runs_last() {
    use super::columns::{Column, sorted};
    let project = Project::digits();
    let book = trained_run(RunBook::default(), &project, 0.0, &[0.5]);
    let book = trained_run(book, &project, 1.0, &[0.2]);
    let book = trained_run(book, &project, 2.0, &[0.7]);
    // Run 4 began but recorded no test accuracy.
    let book = book
        .apply(start(&project, false, 3.0))
        .apply(RunAction::Row(EpochRow {
            epoch: 1,
            ..EpochRow::default()
        }));
    let ids = |column, descending| -> Vec<u32> {
        sorted(&book.runs, column, descending)
            .iter()
            .map(|run| run.id)
            .collect()
    };
    // Test accuracy is 1 - loss in these runs.
    assert_eq!(ids(Column::TestAccuracy, true), [2, 1, 3, 4]);
    assert_eq!(ids(Column::TestAccuracy, false), [3, 1, 2, 4]);
    assert_eq!(ids(Column::TestLoss, false), [2, 1, 3, 4]);
    let labelled = book
        .apply(RunAction::Label(3, "best".into()))
        .apply(RunAction::Label(1, "Baseline".into()));
    assert_eq!(
        sorted(&labelled.runs, Column::Label, false)
            .iter()
            .map(|run| run.id)
            .collect::<Vec<_>>(),
        [1, 3, 2, 4]
    );
}

#[test]
fn the_playgrounds_endless_runs_plan_no_epochs() {
    use super::export::planned_epochs;
    assert_eq!(planned_epochs(usize::MAX), None);
    assert_eq!(
        planned_epochs(u32::MAX as usize),
        None,
        "as the 32-bit page saves it"
    );
    assert_eq!(planned_epochs(12), Some(12));
    let book = trained_run(RunBook::default(), &Project::default(), 0.0, &[0.5]);
    let line = csv(&book).lines().nth(1).unwrap_or_default().to_owned();
    let cells: Vec<&str> = line.split(',').collect();
    let at = COLUMNS.iter().position(|c| *c == "planned_epochs").unwrap();
    assert_eq!(cells[at], "", "{line}");
}

#[test]
fn a_run_that_goes_on_elsewhere_names_every_backend_it_trained_on() {
    let project = Project::digits();
    let book = trained_run(RunBook::default(), &project, 1.0e12, &[0.5]);
    // Saved, trained on by the command line, opened in the page again.
    let book = book
        .apply(start(&project, true, 2.0e12))
        .apply(RunAction::Backend("CPU (native, Burn's Flex)".into()))
        .apply(row(2, 0.4))
        .apply(start(&project, true, 3.0e12))
        .apply(RunAction::Backend("CPU".into()))
        .apply(RunAction::Backend("CPU (native, Burn's Flex)".into()));
    assert_eq!(book.runs.len(), 1, "one run, gone on");
    assert_eq!(book.runs[0].backend, "CPU + CPU (native, Burn's Flex)");
    assert_eq!(book.runs[0].epochs(), 2);
}
