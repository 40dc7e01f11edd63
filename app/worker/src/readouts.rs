//! What the image views ask of the trained network: one image classified, one image through
//! every layer (with the conv kernels and the saliency map), and the validation set's scores
//! and embedding. Each reads the one trainer in its current state.

use agora_engine::Trainer;
use agora_engine::calibration::softmax;
use agora_engine::images::ImageSet;
use agora_engine::inspect::pca2;
use agora_engine::net::{ImageSize, Layer};
use agora_engine::photos::{STORE_SIZE, resample};
use agora_engine::samples::{Rows, Samples, Targets};

use agora_app::protocol::{EvaluationReport, Inspection};

/// Class probabilities for one stored image (64×64 RGB), resampled to the network's input.
pub async fn predict(trainer: &Trainer, pixels: &[u8]) -> Result<Vec<f32>, String> {
    let Some(input) = trainer.network().input.image() else {
        return Err("This network does not read images.".to_owned());
    };
    if pixels.len() != STORE_SIZE.channels * STORE_SIZE.height * STORE_SIZE.width {
        return Err("The image did not arrive whole. Take it again.".to_owned());
    }
    let image = ImageSet {
        size: input,
        class_names: (0..trainer.network().classes())
            .map(|c| c.to_string())
            .collect(),
        labels: vec![0],
        pixels: resample(pixels, STORE_SIZE, input),
    };
    trainer
        .predict(&image)
        .await
        .map_err(|error| error.to_string())
        .and_then(|rows| {
            rows.into_iter()
                .next()
                .ok_or_else(|| "No prediction came back.".to_owned())
        })
}

/// Class probabilities for the pretrained network's features of one image.
pub async fn predict_features(trainer: &Trainer, features: Vec<f32>) -> Result<Vec<f32>, String> {
    let rows = Samples::Rows(Rows {
        columns: features.len(),
        values: features,
        targets: Targets::Classes(vec![0]),
        classes: trainer.network().classes(),
    });
    let logits = trainer
        .scores(&rows)
        .await
        .map_err(|error| error.to_string())?;
    Ok(softmax(&logits, 1.0))
}

/// Validation image `sample` (or an image the person gave) through every layer, with the
/// conv kernels and the saliency map of the predicted class.
pub async fn inspect(
    trainer: &Trainer,
    val: &ImageSet,
    sample: Option<usize>,
    given: Option<(Vec<u8>, ImageSize)>,
) -> Option<Inspection> {
    let input = trainer.network().input.image()?;
    let (image, sample, label) = match (given, sample) {
        (Some((pixels, size)), _) => {
            let expected = size.channels * size.height * size.width;
            if pixels.len() != expected || !matches!(size.channels, 1 | 3) {
                return None;
            }
            let image = ImageSet {
                size: input,
                class_names: val.class_names.clone(),
                labels: vec![0],
                pixels: resample(&pixels, size, input),
            };
            (image, None, None)
        }
        (None, Some(sample)) if !val.is_empty() => {
            let sample = sample.min(val.len() - 1);
            (
                val.subset(&[sample]),
                Some(sample),
                Some(usize::from(val.labels[sample])),
            )
        }
        _ => return None,
    };
    let (taps, probabilities) = trainer.activations(&image).await.ok()?;
    let saliency = trainer.saliency(&image, None).await.ok();
    let params = trainer.params().await.ok()?;
    let kernels = trainer
        .network()
        .layers
        .iter()
        .zip(params)
        .enumerate()
        .filter(|(_, (layer, _))| matches!(layer, Layer::Conv2d { .. }))
        .filter_map(|(index, (_, mut params))| {
            (!params.is_empty()).then(|| (index, params.swap_remove(0)))
        })
        .collect();
    Some(Inspection {
        sample,
        count: val.len(),
        label,
        saliency,
        taps,
        probabilities,
        kernels,
        epoch: trainer.epoch(),
        titles: Vec::new(),
    })
}

/// The validation set through the network: logits, the 2-D embedding, and images to show.
pub async fn evaluate(trainer: &Trainer, val: &ImageSet) -> Option<EvaluationReport> {
    /// Images sent for galleries and hovering (at most 8 MB of them).
    const IMAGE_BYTES: usize = 8 << 20;
    let evaluation = match trainer.last_evaluation() {
        Some(kept) => kept.clone(),
        None => trainer.evaluate(val).await.ok()?,
    };
    let points = pca2(&evaluation.features, evaluation.feature_size);
    let size = val.size;
    let per = size.channels * size.height * size.width;
    let shown = val.len().min(IMAGE_BYTES / per.max(1));
    Some(EvaluationReport {
        classes: evaluation.classes,
        labels: val.labels.iter().map(|&l| usize::from(l)).collect(),
        logits: evaluation.logits,
        points,
        size,
        shown,
        images: val.pixels[..shown * per].to_vec(),
        epoch: trainer.epoch(),
    })
}
