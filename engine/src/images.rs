//! Labelled image sets kept as compact bytes (one `u8` per pixel and channel), and the bundled
//! digit file's format.

use serde::{Deserialize, Serialize};

use crate::data::Rng;
use crate::net::ImageSize;

/// Images of one size with a class each. Pixels are row-major, channels last (`H×W×C`), 0..255.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSet {
    pub size: ImageSize,
    pub class_names: Vec<String>,
    pub labels: Vec<u8>,
    pub pixels: Vec<u8>,
}

/// Why an image file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ImageSetError {
    #[error("This is not an Agora image set (the header is missing or wrong).")]
    BadHeader,
    #[error("The image set is cut short: it promises {expected} bytes but has {actual}.")]
    Truncated { expected: usize, actual: usize },
    #[error("The image set has a label {label} but only {classes} classes.")]
    BadLabel { label: u8, classes: usize },
}

const MAGIC: &[u8; 8] = b"AGDS0001";
const HEADER: usize = 8 + 4 + 2 + 2 + 1 + 1;

/// Which samples train and which validate: `train_percent` of each class to training, shuffled
/// by `seed` (stratified, so both keep the class balance). The same for images and for the
/// pretrained network's features of them, so both see the same split.
pub fn split_indices(
    labels: &[u8],
    classes: usize,
    train_percent: u8,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut rng = Rng::new(seed ^ 0x5EED_1A6E);
    let mut train = Vec::new();
    let mut test = Vec::new();
    for class in 0..classes {
        let mut members: Vec<usize> = (0..labels.len())
            .filter(|&index| usize::from(labels[index]) == class)
            .collect();
        rng.shuffle(&mut members);
        let cut = (members.len() * usize::from(train_percent.min(100))).div_ceil(100);
        train.extend_from_slice(&members[..cut]);
        test.extend_from_slice(&members[cut..]);
    }
    rng.shuffle(&mut train);
    rng.shuffle(&mut test);
    (train, test)
}

impl ImageSet {
    /// Reads the format written by `scripts/make_digits.py` (already decompressed).
    ///
    /// # Errors
    /// A wrong header, a short file or a label outside the classes.
    pub fn decode(bytes: &[u8]) -> Result<ImageSet, ImageSetError> {
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return Err(ImageSetError::BadHeader);
        }
        let u32_at = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
        let count = u32_at(8) as usize;
        let height = usize::from(u16_at(12));
        let width = usize::from(u16_at(14));
        let channels = usize::from(bytes[16]);
        let classes = usize::from(bytes[17]);
        if height == 0 || width == 0 || channels == 0 || classes < 2 {
            return Err(ImageSetError::BadHeader);
        }
        let per_image = height * width * channels;
        let expected = HEADER + count + count * per_image;
        if bytes.len() < expected {
            return Err(ImageSetError::Truncated {
                expected,
                actual: bytes.len(),
            });
        }
        let labels = bytes[HEADER..HEADER + count].to_vec();
        if let Some(&label) = labels.iter().find(|&&label| usize::from(label) >= classes) {
            return Err(ImageSetError::BadLabel { label, classes });
        }
        Ok(ImageSet {
            size: ImageSize {
                channels,
                height,
                width,
            },
            class_names: (0..classes).map(|class| class.to_string()).collect(),
            labels,
            pixels: bytes[HEADER + count..expected].to_vec(),
        })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn classes(&self) -> usize {
        self.class_names.len()
    }

    fn per_image(&self) -> usize {
        self.size.height * self.size.width * self.size.channels
    }

    /// Image `index`'s pixels.
    pub fn image(&self, index: usize) -> &[u8] {
        let per = self.per_image();
        &self.pixels[index * per..(index + 1) * per]
    }

    /// The images at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> ImageSet {
        let mut pixels = Vec::with_capacity(indices.len() * self.per_image());
        for &index in indices {
            pixels.extend_from_slice(self.image(index));
        }
        ImageSet {
            size: self.size,
            class_names: self.class_names.clone(),
            labels: indices.iter().map(|&index| self.labels[index]).collect(),
            pixels,
        }
    }

    /// The first `count` images (the digit file interleaves classes, so a prefix is balanced).
    pub fn take(&self, count: usize) -> ImageSet {
        let indices: Vec<usize> = (0..count.min(self.len())).collect();
        self.subset(&indices)
    }

    /// Splits into training and validation sets, `train_percent` of each class to training,
    /// shuffled by `seed`. Stratified, so both sets keep the class balance.
    pub fn split(&self, train_percent: u8, seed: u64) -> (ImageSet, ImageSet) {
        let (train, test) = split_indices(&self.labels, self.classes(), train_percent, seed);
        (self.subset(&train), self.subset(&test))
    }

    /// Images per class.
    pub fn counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes()];
        for &label in &self.labels {
            if let Some(count) = counts.get_mut(usize::from(label)) {
                *count += 1;
            }
        }
        counts
    }
}
