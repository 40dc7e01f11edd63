//! `agora train`: a saved project goes on training natively, from its weights, optimizer
//! state and epoch, with the one trainer the page uses; every epoch is printed and recorded
//! in the project's run book, and the project file is written back so the page opens it where
//! the command line left it.

use std::path::Path;
use std::rc::Rc;

use agora_app::project::file::{self, SavedProject};
use agora_app::reports::{EpochReport, LossPoint};
use agora_app::runs::{EpochRow, RunAction, RunStart};
use agora_engine::Trainer;
use agora_engine::checkpoint::Checkpoint;
use agora_engine::samples::Samples;

use crate::backend::Backend;
use crate::clock::{Clock, now_ms};
use crate::data;

/// Epochs trained when the recipe has no end (the playground's) and none are asked for.
const OPEN_ENDED_EPOCHS: usize = 100;

pub struct TrainOptions {
    /// Epochs to train now; by default up to the recipe's epochs.
    pub epochs: Option<usize>,
    pub backend: Backend,
}

/// Reads a project file.
///
/// # Errors
/// The file cannot be read or is not a project, with why.
pub fn open(path: &Path) -> Result<SavedProject, String> {
    let bytes = std::fs::read(path)
        .map_err(|error| format!("{}: cannot read it ({error})", path.display()))?;
    file::open(&bytes).map_err(|error| format!("{}: {error}", path.display()))
}

/// Writes `saved` to `path` through a temporary file, so a failure leaves the old file whole.
///
/// # Errors
/// The project cannot be written.
pub fn write(saved: &SavedProject, path: &Path) -> Result<(), String> {
    let bytes = file::save(
        saved,
        &format!("agora command line {}", env!("CARGO_PKG_VERSION")),
    )
    .map_err(|error| format!("the project cannot be saved: {error}"))?;
    let temporary = path.with_extension("agora.part");
    std::fs::write(&temporary, &bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|error| format!("{}: cannot write it ({error})", path.display()))
}

fn shown(value: f32) -> String {
    if value.is_finite() {
        format!("{value:.4}")
    } else {
        "–".to_owned()
    }
}

/// Trains the project in `path` and writes it to `out`.
///
/// # Errors
/// Why it could not train, for the person.
pub fn train(path: &Path, out: &Path, options: &TrainOptions) -> Result<(), String> {
    let mut saved = open(path)?;
    let split = data::samples(&saved)?;
    let project = saved.project.clone();
    let device = options.backend.device()?;
    let resume = saved.trained.clone();
    let mut trainer = Trainer::with_augment(
        &device,
        &project.network,
        &split.train,
        &split.val,
        project.recipe,
        resume
            .as_ref()
            .map(|checkpoint| checkpoint.params.as_slice()),
        project.seed,
        project.augment,
    )
    .map_err(|error| error.to_string())?;
    if let Some(resume) = &resume {
        trainer.resume_at(resume.epoch);
        if let Some(state) = &resume.optimizer
            && let Err(error) = trainer.restore_optimizer(state)
        {
            eprintln!(
                "note: the saved optimizer state does not fit ({error}); going on with fresh moments"
            );
        }
    }
    let start = trainer.epoch();
    let target = match options.epochs {
        Some(more) => start.saturating_add(more),
        None if project.recipe.epochs > 100_000 => start.saturating_add(OPEN_ENDED_EPOCHS),
        None => project.recipe.epochs,
    };
    if target <= start {
        return Err(format!(
            "the project has trained {start} of its {} epochs already; ask for more with --epochs N",
            project.recipe.epochs
        ));
    }
    println!(
        "{}: {} on {} ({} training, {} validation samples), {} → epoch {target}, {}",
        path.display(),
        project.network.head.describe(),
        split.name,
        split.train.len(),
        split.val.len(),
        if start == 0 {
            "from the start".to_owned()
        } else {
            format!("from epoch {start}")
        },
        options.backend.describe()
    );
    let mut book = saved
        .runs
        .clone()
        .apply(RunAction::Began(Box::new(RunStart {
            project: project.clone(),
            class_names: split.class_names.clone(),
            data_name: split.name.clone(),
            provenance: split.provenance.clone(),
            browser: format!("agora command line {} (native)", env!("CARGO_PKG_VERSION")),
            now_ms: now_ms(),
            continues: resume.is_some(),
        })));
    book = book
        .apply(RunAction::Data {
            train: split.train.len(),
            val: split.val.len(),
            counts: Samples::class_counts(&split.train, &split.val),
        })
        .apply(RunAction::Backend(options.backend.describe()))
        .apply(RunAction::Running(true, now_ms()));
    let samples = trainer.train_count();
    while trainer.epoch() < target {
        let clock = Clock::start();
        while !trainer.train_batches(64) {}
        let metrics = pollster::block_on(trainer.epoch_metrics()).map_err(|e| e.to_string())?;
        let seconds = clock.seconds();
        #[allow(clippy::cast_precision_loss)]
        let per_second = samples as f64 / seconds.max(1e-9);
        println!(
            "epoch {:>3}/{target}  train loss {}  accuracy {}  val loss {}  accuracy {}  {seconds:.2} s ({per_second:.0} samples/s)",
            metrics.epoch,
            shown(metrics.train_loss),
            shown(metrics.train_accuracy),
            shown(metrics.val_loss),
            shown(metrics.val_accuracy),
        );
        let report = EpochReport {
            metrics: metrics.clone(),
            train_seconds: seconds,
            samples_per_second: per_second,
        };
        book = book.apply(RunAction::Row(EpochRow::from_report(&report)));
        saved.history.epochs.push(report);
        if metrics.train_loss.is_finite() && metrics.val_loss.is_finite() {
            saved.history.losses.push(LossPoint {
                epoch: metrics.epoch,
                train_loss: metrics.train_loss,
                test_loss: metrics.val_loss,
            });
        } else {
            // Weights that are not numbers would make the file unopenable: keep the old one.
            return Err(format!(
                "the loss is no longer a number at epoch {}: the run diverged, and {} was left as it was; lower the learning rate (in the page) and train again",
                metrics.epoch,
                out.display()
            ));
        }
    }
    let params = pollster::block_on(trainer.params()).map_err(|e| e.to_string())?;
    let optimizer = pollster::block_on(trainer.optimizer_state()).ok();
    let checkpoint = Checkpoint {
        params,
        optimizer,
        epoch: trainer.epoch(),
    };
    book = book
        .apply(RunAction::Weights(Rc::new(checkpoint.clone())))
        .apply(RunAction::Running(false, now_ms()));
    saved.trained = Some(checkpoint);
    saved.runs = book;
    write(&saved, out)?;
    println!(
        "wrote {} (epoch {}): open it in the page with Open project",
        out.display(),
        trainer.epoch()
    );
    Ok(())
}
