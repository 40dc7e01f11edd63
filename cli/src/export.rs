//! `agora export`: a saved project's trained network as the page exports it — the whole
//! bundle (ONNX, safetensors, PyTorch code, the data), or the ONNX model alone.

use std::path::Path;

use agora_app::project::file::SavedProject;
use agora_engine::export::{ExportModel, bundle, onnx_bytes};
use agora_engine::{Device, Trainer};

use crate::data::{self, Split};

pub struct ExportOptions {
    /// Only `model.onnx`, not the bundle.
    pub onnx_only: bool,
    /// Leave the data out of the bundle.
    pub no_data: bool,
}

/// The export's bytes for a trained project.
///
/// # Errors
/// The project has not trained, or its network cannot be exported.
pub fn export_bytes(
    saved: &SavedProject,
    split: &Split,
    options: &ExportOptions,
) -> Result<Vec<u8>, String> {
    let project = &saved.project;
    let trained = saved.trained.as_ref().ok_or(
        "the project has not been trained yet: train it first (agora train, or in the page)",
    )?;
    // The scores Agora's own model gives a few validation samples, which the export's
    // predict.py --check holds PyTorch and onnxruntime to.
    let trainer = Trainer::new(
        &Device::flex(),
        &project.network,
        &split.train,
        &split.val,
        project.recipe,
        Some(&trained.params),
        project.seed,
    )
    .map_err(|error| error.to_string())?;
    let check = pollster::block_on(trainer.export_check(&split.val)).map_err(|e| e.to_string())?;
    let steps = trained.optimizer.as_ref().map_or(0, |state| state.steps);
    let model = ExportModel {
        title: split.name.clone(),
        network: &project.network,
        params: &trained.params,
        recipe: project.recipe,
        augment: project.augment,
        seed: project.seed,
        epochs_trained: trained.epoch,
        steps,
        class_names: split.class_names.clone(),
        columns: Vec::new(),
        check: Some(check),
        // Tables are not in project files, so a project here has no table to scale.
        scaling: None,
        data: (!options.no_data).then_some((&split.train, &split.val)),
    };
    if options.onnx_only {
        onnx_bytes(&model).map_err(|error| error.to_string())
    } else {
        bundle(&model).map_err(|error| error.to_string())
    }
}

/// Exports the project in `path` to `out`.
///
/// # Errors
/// As [`export_bytes`], or the files cannot be read or written.
pub fn export(path: &Path, out: &Path, options: &ExportOptions) -> Result<(), String> {
    let saved = crate::train::open(path)?;
    let split = data::samples(&saved)?;
    let bytes = export_bytes(&saved, &split, options)?;
    std::fs::write(out, &bytes)
        .map_err(|error| format!("{}: cannot write it ({error})", out.display()))?;
    println!("wrote {} ({} bytes)", out.display(), bytes.len());
    Ok(())
}
