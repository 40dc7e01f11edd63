//! Project files made by other tools (Python's zipfile with deflated entries, Hugging Face's
//! safetensors), written by `scripts/make_bad_projects.py`: the good one opens with the
//! numbers the script wrote; each bad one is refused with the message a person reads.

use std::path::PathBuf;

use agora_app::project::Project;
use agora_app::project::file::{self, SavedProject};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/projects")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn the_fixture_project_is_the_playgrounds_opening_one() {
    let project: Project = serde_json::from_slice(&fixture("project.json")).unwrap();
    assert_eq!(project, Project::default());
}

#[test]
fn a_file_python_wrote_opens_with_its_numbers() {
    let saved = file::open(&fixture("good.agora")).unwrap();
    assert_eq!(saved.project, Project::default());
    let trained = saved.trained.expect("the file holds weights");
    assert_eq!(trained.epoch, 7);
    // Values are their position / 1000 in PyTorch's [out, in] layout; ours is [in, out].
    let first = &trained.params[0][0];
    assert_eq!(first.shape, vec![2, 4]);
    let torch_at = |out: usize, input: usize| (out * 2 + input) as f32 / 1000.0;
    assert_eq!(first.values[4 + 1], torch_at(1, 1));
    assert_eq!(first.values[3], torch_at(3, 0));
    assert_eq!(trained.params[4][1].values, vec![0.0, 0.001]);
    // Saved again by Agora, it reopens to the same numbers.
    let again = file::save(
        &SavedProject {
            project: saved.project.clone(),
            trained: Some(trained.clone()),
            history: saved.history.clone(),
            runs: saved.runs.clone(),
            images: None,
        },
        "test",
    )
    .unwrap();
    assert_eq!(file::open(&again).unwrap().trained, Some(trained));
}

#[test]
fn every_bad_file_gets_its_message() {
    let cases: &[(&str, &str)] = &[
        (
            "bad-not-a-zip.agora",
            "This is not an Agora project file: this file is not a zip archive",
        ),
        ("bad-empty.agora", "this file is not a zip archive"),
        ("bad-cut-off.agora", "the file is cut off"),
        (
            "bad-newer-version.agora",
            "saved by a newer Agora (format version 99; this page reads up to 1)",
        ),
        (
            "bad-other-format.agora",
            "This zip is a \"teachable-machine\" file, not an Agora project.",
        ),
        ("bad-no-manifest.agora", "it has no manifest.json"),
        ("bad-not-json.agora", "project.json could not be read"),
        (
            "bad-wrong-shapes.agora",
            "The saved weights do not fit the saved network: \"layers.0.weight\" is [3, 2] in the weights file, but layer 1 (Dense 4) of this network needs [4, 2].",
        ),
        (
            "bad-nan-weights.agora",
            "\"layers.2.bias\" holds a number that is not finite",
        ),
        ("bad-float16-weights.agora", "holds F16 numbers for"),
        (
            "bad-no-weights.agora",
            "the weights are from epoch 7, but the file holds no weights",
        ),
        (
            "bad-dot-dot.agora",
            "\"../../evil.txt\" points outside the archive (it climbs out with ..)",
        ),
        (
            "bad-absolute-path.agora",
            "\"/etc/cron.d/evil\" points outside the archive (it is an absolute path)",
        ),
        (
            "bad-thousands-of-entries.agora",
            "the archive holds 5003 entries; a project file has at most 116",
        ),
        (
            "bad-declared-size.agora",
            "declares 4000000000 bytes unpacked, over the 536870912 bytes allowed",
        ),
        (
            "bad-checksum.agora",
            "\"project.json\" is damaged (its checksum does not match)",
        ),
        (
            "bad-run-weights.agora",
            "The weights of run 1 do not fit its network: \"layers.4.weight\" is [3, 2]",
        ),
        (
            "bad-runs-json.agora",
            "This file's runs.json could not be read",
        ),
        (
            "bad-optimizer-state.agora",
            "This file's optimizer state could not be read: \"layers.0.weight.exp_avg\" is F32 [3, 2], but its parameter is F32 [2, 4].",
        ),
        (
            "bad-image-labels.agora",
            "This file's images could not be read: an image is labelled 7, but there are 2 classes.",
        ),
    ];
    assert!(cases.len() >= 12);
    for (name, expected) in cases {
        let error = file::open(&fixture(name)).expect_err(name).to_string();
        assert!(
            error.contains(expected),
            "{name}: expected …{expected}…, got: {error}"
        );
    }
}

#[test]
fn a_lenet_file_is_its_weights_and_little_else() {
    use agora_engine::checkpoint::Checkpoint;
    use agora_engine::net::infer_graph;
    use agora_engine::params::initial_params;
    let project = Project::digits();
    let params = initial_params(&project.network, project.recipe.init, 1).unwrap();
    let count = infer_graph(&project.network).unwrap().total_params;
    let saved = SavedProject {
        project,
        trained: Some(Checkpoint {
            params,
            optimizer: None,
            epoch: 3,
        }),
        history: agora_app::session::RunHistory::default(),
        runs: agora_app::runs::RunBook::default(),
        images: None,
    };
    let bytes = file::save(&saved, "test").unwrap();
    // float32 weights plus the JSON entries, the safetensors header and the zip's directory.
    assert!(
        bytes.len() >= count * 4 && bytes.len() < count * 4 + 16_384,
        "{} bytes for {count} parameters",
        bytes.len()
    );
    assert_eq!(file::open(&bytes).unwrap().trained, saved.trained);
    println!("LeNet-5 project: {count} parameters, {} bytes", bytes.len());
}

#[test]
fn a_kept_run_costs_its_weights_and_a_few_kb() {
    use agora_app::runs::{EpochRow, RunAction, RunBook, RunStart};
    use agora_engine::checkpoint::Checkpoint;
    use agora_engine::net::infer_graph;
    use agora_engine::params::initial_params;
    use std::rc::Rc;
    let project = Project::digits();
    let params = initial_params(&project.network, project.recipe.init, 1).unwrap();
    let count = infer_graph(&project.network).unwrap().total_params;
    // `runs` ended runs of 20 epochs each, their weights kept, and the current one.
    let file_with = |runs: usize| {
        let mut book = RunBook::default();
        for run in 0..=runs {
            book = book.apply(RunAction::Began(Box::new(RunStart {
                project: project.clone(),
                class_names: (0..10).map(|d| d.to_string()).collect(),
                data_name: "digits".into(),
                provenance: "the bundled digits".into(),
                browser: "Chrome 156".into(),
                now_ms: 1.7e12,
                continues: false,
            })));
            for epoch in 1..=20 {
                book = book.apply(RunAction::Row(EpochRow {
                    epoch,
                    train_loss: Some(0.1),
                    test_loss: Some(0.2),
                    train_accuracy: Some(0.97),
                    test_accuracy: Some(0.96),
                    learning_rate: Some(0.001),
                    seconds: Some(12.5),
                }));
            }
            let _ = run;
            book = book.apply(RunAction::Weights(Rc::new(Checkpoint {
                params: params.clone(),
                optimizer: None,
                epoch: 20,
            })));
        }
        let saved = SavedProject {
            project: project.clone(),
            trained: Some(Checkpoint {
                params: params.clone(),
                optimizer: None,
                epoch: 20,
            }),
            history: agora_app::session::RunHistory::default(),
            runs: book,
            images: None,
        };
        file::save(&saved, "test").unwrap()
    };
    let (one, eleven) = (file_with(0).len(), file_with(10).len());
    let per_run = (eleven - one) / 10;
    assert!(
        per_run >= count * 4 && per_run < count * 4 + 16_384,
        "{per_run} bytes per kept run of {count} parameters"
    );
    let reopened = file::open(&file_with(3)).unwrap();
    assert_eq!(reopened.runs.runs.len(), 4);
    assert!(reopened.runs.runs.iter().all(|run| run.weights.is_some()));
    println!(
        "LeNet-5 run kept: {per_run} bytes each ({} of weights); a project of 1 run {one} bytes, of 11 runs {eleven} bytes",
        count * 4
    );
}

#[test]
fn runs_and_images_written_by_python_open() {
    let runs = file::open(&fixture("good-with-runs.agora")).unwrap();
    assert_eq!(runs.runs.runs.len(), 1);
    let run = &runs.runs.runs[0];
    assert_eq!(
        (run.id, run.label.as_str(), runs.runs.next_id),
        (1, "best", 2)
    );
    assert_eq!(
        run.project, runs.project,
        "the run's project is settled as the file's"
    );
    assert_eq!(
        run.weights.as_ref().map(|w| w.params.len()),
        Some(runs.project.network.layers.len())
    );
    let images = file::open(&fixture("good-with-images.agora"))
        .unwrap()
        .images
        .unwrap();
    assert_eq!(images.labels, vec![0, 1]);
    assert_eq!(images.classes[1].name, "squares");
    assert_eq!(images.pixels[251], 0, "numpy's bytes, in order");
    assert_eq!(images.pixels[250], 250);
}
