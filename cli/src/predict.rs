//! `agora predict`: classifies image files (or the rows of a CSV) with a saved project's
//! trained network. Images go the page's way: centre-cropped square, shrunk to 64×64, then
//! resampled to the network's input.

use std::path::Path;

use agora_engine::images::ImageSet;
use agora_engine::net::{Head, Input};
use agora_engine::photos::{STORE_SIZE, resample};
use agora_engine::samples::{Rows, Samples, Targets};
use agora_engine::{Device, Trainer};
use image::imageops::FilterType;

use crate::data;

/// An image file as 64×64 RGB bytes, centre-cropped.
fn store_image(path: &Path) -> Result<Vec<u8>, String> {
    let image = image::open(path)
        .map_err(|error| format!("{}: not an image this can read ({error})", path.display()))?;
    let side = image.width().min(image.height());
    if side == 0 {
        return Err(format!("{}: the image is empty", path.display()));
    }
    let cropped = image.crop_imm(
        (image.width() - side) / 2,
        (image.height() - side) / 2,
        side,
        side,
    );
    let size = u32::try_from(STORE_SIZE.width).unwrap_or(64);
    Ok(cropped
        .resize_exact(size, size, FilterType::Triangle)
        .to_rgb8()
        .into_raw())
}

/// Rows of a CSV whose header names the network's columns (or, for points, x1 and x2).
fn csv_rows(path: &Path, input: &Input) -> Result<Vec<Vec<f32>>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("{}: cannot read it ({error})", path.display()))?;
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| format!("{}: the CSV is empty", path.display()))?
        .split(',')
        .map(str::trim)
        .collect();
    let Input::Points { features } = input else {
        return Err("tables: classify rows in the page, or with the export's predict.py".into());
    };
    let keys: Vec<&str> = features.iter().map(|f| f.key()).collect();
    let column = |name: &str| header.iter().position(|h| *h == name);
    let mut rows = Vec::new();
    for (number, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let value = |at: Option<usize>, name: &str| -> Result<f32, String> {
            at.and_then(|at| cells.get(at))
                .and_then(|cell| cell.parse::<f32>().ok())
                .ok_or_else(|| {
                    format!(
                        "{} line {}: no number in column {name}",
                        path.display(),
                        number + 2
                    )
                })
        };
        if keys.iter().all(|key| column(key).is_some()) {
            rows.push(
                keys.iter()
                    .map(|key| value(column(key), key))
                    .collect::<Result<_, _>>()?,
            );
        } else {
            let (x1, x2) = (value(column("x1"), "x1")?, value(column("x2"), "x2")?);
            rows.push(features.iter().map(|f| f.apply(x1, x2)).collect());
        }
    }
    Ok(rows)
}

/// Prints a prediction for every file.
///
/// # Errors
/// The project has not trained, or a file cannot be read.
pub fn predict(project_path: &Path, files: &[String]) -> Result<(), String> {
    let saved = crate::train::open(project_path)?;
    let trained = saved
        .trained
        .as_ref()
        .ok_or("the project has not been trained yet: train it first")?;
    let split = data::samples(&saved)?;
    let network = &saved.project.network;
    let mut names = Vec::new();
    let samples = match &network.input {
        Input::Image(size) => {
            let mut pixels = Vec::new();
            for file in files {
                pixels.extend(resample(&store_image(Path::new(file))?, STORE_SIZE, *size));
                names.push(file.clone());
            }
            Samples::Images(ImageSet {
                size: *size,
                class_names: split.class_names.clone(),
                labels: vec![0; names.len()],
                pixels,
            })
        }
        input => {
            let mut values = Vec::new();
            for file in files {
                for (row, numbers) in csv_rows(Path::new(file), input)?.into_iter().enumerate() {
                    values.extend(numbers);
                    names.push(format!("{file} row {}", row + 1));
                }
            }
            Samples::Rows(Rows {
                columns: input.values(),
                targets: match network.head {
                    Head::Classification { .. } => Targets::Classes(vec![0; names.len()]),
                    Head::Regression => Targets::Values(vec![0.0; names.len()]),
                },
                values,
                classes: network.classes(),
            })
        }
    };
    let trainer = Trainer::new(
        &Device::flex(),
        network,
        &split.train,
        &split.val,
        saved.project.recipe,
        Some(&trained.params),
        saved.project.seed,
    )
    .map_err(|error| error.to_string())?;
    let scores = pollster::block_on(trainer.scores(&samples)).map_err(|e| e.to_string())?;
    let outputs = network.head.outputs().max(1);
    for (name, scores) in names.iter().zip(scores.chunks(outputs)) {
        if matches!(network.head, Head::Regression) {
            println!("{name}: {:.6}", scores[0]);
            continue;
        }
        let top = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = scores.iter().map(|s| (s - top).exp()).collect();
        let sum: f32 = exp.iter().sum();
        let mut order: Vec<usize> = (0..exp.len()).collect();
        order.sort_by(|&a, &b| exp[b].total_cmp(&exp[a]));
        let label = |class: usize| {
            split
                .class_names
                .get(class)
                .cloned()
                .unwrap_or_else(|| class.to_string())
        };
        let rest: Vec<String> = order[1..order.len().min(3)]
            .iter()
            .map(|&class| format!("{} {:.3}", label(class), exp[class] / sum))
            .collect();
        println!(
            "{name}: {} ({:.3}; then {})",
            label(order[0]),
            exp[order[0]] / sum,
            rest.join(", ")
        );
    }
    Ok(())
}
