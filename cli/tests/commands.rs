//! The `agora` binary end to end: a project saved as the page saves it trains natively, is
//! written back with its weights, epochs and run, goes on from there, exports, and classifies
//! image files; bad input gets a message and a failing exit, never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use agora_app::project::Project;
use agora_app::project::file::{self, SavedProject};
use agora_app::runs::RunBook;
use agora_app::session::RunHistory;
use agora_engine::export::encode_png;
use agora_engine::zip::{ZipLimits, ZipReader};

fn agora(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(args)
        .output()
        .expect("the agora binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("agora-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

fn write_project(path: &Path, project: Project) {
    let saved = SavedProject {
        project,
        trained: None,
        history: RunHistory::default(),
        runs: RunBook::default(),
        images: None,
    };
    std::fs::write(path, file::save(&saved, "a test").expect("saves")).expect("writes");
}

fn open(path: &Path) -> SavedProject {
    file::open(&std::fs::read(path).expect("reads")).expect("the page's format")
}

#[test]
fn the_digits_train_natively_go_on_export_and_classify() {
    let dir = folder("digits");
    let project = dir.join("digits.agora");
    write_project(&project, Project::digits());

    let first = agora(&["train", project.to_str().unwrap(), "--epochs", "1"]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("epoch   1/1"), "{}", text(&first));
    let saved = open(&project);
    let trained = saved.trained.as_ref().expect("weights written back");
    assert_eq!(trained.epoch, 1);
    assert!(
        trained.optimizer.is_some(),
        "the optimizer's state goes along"
    );
    assert_eq!(saved.history.epochs.len(), 1);
    let accuracy = saved.history.epochs[0].metrics.val_accuracy;
    assert!(accuracy > 0.8, "LeNet after an epoch of digits: {accuracy}");
    let run = saved.runs.runs.last().expect("the run is recorded");
    assert_eq!(run.rows.len(), 1);
    assert!(
        run.browser.contains("agora command line"),
        "{}",
        run.browser
    );

    // Going on: epoch 2 of the same run, from the saved weights and optimizer state.
    let second = agora(&["train", project.to_str().unwrap(), "--epochs", "1"]);
    assert!(second.status.success(), "{}", text(&second));
    assert!(text(&second).contains("from epoch 1"), "{}", text(&second));
    let saved = open(&project);
    assert_eq!(saved.trained.as_ref().map(|t| t.epoch), Some(2));
    assert_eq!(saved.runs.runs.len(), 1, "one run, gone on");
    assert_eq!(saved.runs.runs[0].rows.len(), 2);

    let export = dir.join("digits-export.zip");
    let exported = agora(&[
        "export",
        project.to_str().unwrap(),
        "--out",
        export.to_str().unwrap(),
        "--no-data",
    ]);
    assert!(exported.status.success(), "{}", text(&exported));
    let bytes = std::fs::read(&export).expect("the export");
    let zip = ZipReader::open(&bytes, ZipLimits::default()).expect("a zip");
    for name in [
        "model.onnx",
        "model.safetensors",
        "model.py",
        "train.py",
        "check.safetensors",
    ] {
        assert!(zip.contains(name), "{name}");
    }
    assert!(!zip.names().iter().any(|name| name.starts_with("data/")));

    // A digit image: a white 7 on black, as the page's drawing pad makes them.
    let mut pixels = vec![0_u8; 28 * 28];
    for x in 6..22 {
        pixels[6 * 28 + x] = 255;
    }
    for step in 0..16 {
        pixels[(7 + step) * 28 + 21 - step / 2] = 255;
    }
    let image = dir.join("seven.png");
    std::fs::write(&image, encode_png(&pixels, 28, 28, 1)).expect("an image");
    let predicted = agora(&[
        "predict",
        project.to_str().unwrap(),
        image.to_str().unwrap(),
    ]);
    assert!(predicted.status.success(), "{}", text(&predicted));
    let line = text(&predicted);
    assert!(
        line.starts_with(&format!("{}: ", image.display())),
        "{line}"
    );
    assert!(line.contains("; then "), "{line}");

    let broken = dir.join("broken.png");
    std::fs::write(&broken, b"\x89PNG\r\n\x1a\nbroken").expect("writes");
    let output = agora(&[
        "predict",
        project.to_str().unwrap(),
        broken.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("not an image this can read"),
        "{}",
        text(&output)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_gets_a_message_not_a_panic() {
    let dir = folder("bad");
    let not_a_project = dir.join("notes.agora");
    std::fs::write(&not_a_project, b"these are not the droids").expect("writes");
    for (args, says) in [
        (
            vec!["train", not_a_project.to_str().unwrap()],
            "notes.agora: ",
        ),
        (vec!["train", "/nowhere/at/all.agora"], "cannot read it"),
        (vec!["train"], "name the project file"),
        (vec!["frobnicate"], "unknown command"),
        (
            vec!["train", "x.agora", "--epochs", "zero"],
            "--epochs zero",
        ),
        (
            vec!["train", "x.agora", "--backend", "abacus"],
            "unknown backend",
        ),
    ] {
        let output = agora(&args);
        assert!(!output.status.success(), "{args:?}");
        let said = text(&output);
        assert!(said.contains(says), "{args:?}: {said}");
        assert!(!said.contains("panicked"), "{args:?}: {said}");
    }
    let project = dir.join("untrained.agora");
    write_project(&project, Project::digits());
    let output = agora(&["export", project.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("has not been trained yet"),
        "{}",
        text(&output)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
