//! A person's images as one safetensors file (`images.safetensors` in a project file):
//! `pixels`, `U8` `[images, 64, 64, 3]` (RGB, as the page stores them), and `labels`, `I64`
//! `[images]` (an index into the classes), with the classes' names and colours in the
//! metadata. numpy reads it with `safetensors.numpy.load_file`, PyTorch with
//! `safetensors.torch.load_file`.
//!
//! Reading checks everything: the two tensors and nothing else, their dtypes and shapes, every
//! label one of the classes, the classes' count and names within bounds.
//!
//! ```
//! use agora_engine::image_file::{ImageArchive, ArchivedClass, read_images, write_images, SIDE};
//!
//! let archive = ImageArchive {
//!     classes: vec![ArchivedClass { name: "mug".into(), color: "#0877bd".into() }],
//!     labels: vec![0, 0],
//!     pixels: vec![7; 2 * SIDE * SIDE * 3],
//! };
//! assert_eq!(read_images(&write_images(&archive)).unwrap(), archive);
//! ```

use serde::{Deserialize, Serialize};

use crate::safetensors::{self, RawTensor};

/// Side of the stored images.
pub const SIDE: usize = 64;
/// Bytes of one stored image.
pub const IMAGE_BYTES: usize = SIDE * SIDE * 3;
/// Most images a file may hold (about 1.2 GB would be 100,000; a project file stops far sooner).
pub const MAX_IMAGES: usize = 100_000;
/// Most classes, and the longest class name.
pub const MAX_CLASSES: usize = 64;
pub const MAX_NAME: usize = 100;

/// One class of images: its name and the colour the page shows it in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedClass {
    pub name: String,
    pub color: String,
}

/// Images with their classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageArchive {
    pub classes: Vec<ArchivedClass>,
    /// Per image, an index into `classes`.
    pub labels: Vec<u32>,
    /// `[images, 64, 64, 3]` RGB bytes.
    pub pixels: Vec<u8>,
}

impl ImageArchive {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// The archive as safetensors bytes.
pub fn write_images(archive: &ImageArchive) -> Vec<u8> {
    let labels: Vec<u8> = archive
        .labels
        .iter()
        .flat_map(|&label| i64::from(label).to_le_bytes())
        .collect();
    let classes = serde_json::to_string(&archive.classes).unwrap_or_else(|_| "[]".into());
    let count = archive.len();
    safetensors::write(
        &[
            RawTensor {
                name: "pixels".into(),
                dtype: "U8".into(),
                shape: vec![count, SIDE, SIDE, 3],
                data: &archive.pixels,
            },
            RawTensor {
                name: "labels".into(),
                dtype: "I64".into(),
                shape: vec![count],
                data: &labels,
            },
        ],
        &[("format", "agora-images"), ("classes", &classes)],
    )
}

/// Reads images written by [`write_images`] (or by numpy/PyTorch in the same layout).
///
/// # Errors
/// What is wrong, in words a person can act on.
pub fn read_images(bytes: &[u8]) -> Result<ImageArchive, String> {
    let (tensors, metadata) = safetensors::read(bytes)?;
    let classes: Vec<ArchivedClass> = metadata
        .get("classes")
        .ok_or("its metadata names no classes")
        .and_then(|json| {
            serde_json::from_str(json).map_err(|_| "its classes are not a list of names")
        })?;
    if classes.is_empty() || classes.len() > MAX_CLASSES {
        return Err(format!(
            "it has {} classes; Agora takes 1 to {MAX_CLASSES}",
            classes.len()
        ));
    }
    if classes
        .iter()
        .any(|class| class.name.trim().is_empty() || class.name.chars().count() > MAX_NAME)
    {
        return Err(format!(
            "a class name is empty or longer than {MAX_NAME} characters"
        ));
    }
    let mut pixels = None;
    let mut labels = None;
    for tensor in tensors {
        match (tensor.name.as_str(), tensor.dtype.as_str()) {
            ("pixels", "U8") => pixels = Some(tensor),
            ("labels", "I64") => labels = Some(tensor),
            ("pixels" | "labels", dtype) => {
                return Err(format!("its {} are {dtype} numbers", tensor.name));
            }
            (name, _) => return Err(format!("it holds \"{name}\", which is not images")),
        }
    }
    let (Some(pixels), Some(labels)) = (pixels, labels) else {
        return Err("it needs both \"pixels\" and \"labels\"".into());
    };
    let count = labels.shape.first().copied().unwrap_or(0);
    if labels.shape.len() != 1 || count > MAX_IMAGES {
        return Err(format!(
            "its labels are {:?}; at most {MAX_IMAGES} images, one label each",
            labels.shape
        ));
    }
    if pixels.shape != [count, SIDE, SIDE, 3] {
        return Err(format!(
            "its pixels are {:?}, but {count} images of {SIDE}×{SIDE} RGB are [{count}, {SIDE}, {SIDE}, 3]",
            pixels.shape
        ));
    }
    let mut read_labels = Vec::with_capacity(count);
    for chunk in labels.data.chunks_exact(8) {
        let label = i64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        match u32::try_from(label) {
            Ok(label) if (label as usize) < classes.len() => read_labels.push(label),
            _ => {
                return Err(format!(
                    "an image is labelled {label}, but there are {} classes",
                    classes.len()
                ));
            }
        }
    }
    Ok(ImageArchive {
        classes,
        labels: read_labels,
        pixels: pixels.data.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive() -> ImageArchive {
        ImageArchive {
            classes: vec![
                ArchivedClass {
                    name: "mug".into(),
                    color: "#f00".into(),
                },
                ArchivedClass {
                    name: "book".into(),
                    color: "#00f".into(),
                },
            ],
            labels: vec![1, 0, 1],
            pixels: (0..3 * IMAGE_BYTES).map(|i| (i % 251) as u8).collect(),
        }
    }

    #[test]
    fn round_trips_and_refuses_what_does_not_fit() {
        let bytes = write_images(&archive());
        assert_eq!(read_images(&bytes).unwrap(), archive());
        let mut wrong = archive();
        wrong.labels[2] = 5;
        assert!(
            read_images(&write_images(&wrong))
                .unwrap_err()
                .contains("labelled 5, but there are 2 classes")
        );
        let mut short = archive();
        short.pixels.truncate(2 * IMAGE_BYTES);
        let error = read_images(&write_images(&short)).unwrap_err();
        assert!(error.contains("another size than its shape"), "{error}");
        let mut nameless = archive();
        nameless.classes[0].name = " ".into();
        assert!(read_images(&write_images(&nameless)).is_err());
        for len in (0..bytes.len()).step_by(997) {
            assert!(read_images(&bytes[..len]).is_err());
        }
    }
}
