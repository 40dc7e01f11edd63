//! What a project trains on: generated points, a person's table, the bundled digits or the
//! person's own photos. The data decide the network's input and head.

use agora_engine::data::{DatasetConfig, DatasetKind, MAX_DATASET_CLASSES};
use agora_engine::net::{Feature, Head, ImageSize, Input};
use agora_engine::pretrained::INPUT_SIZES;
use agora_engine::table::{TableChoice, TableTask};
use serde::{Deserialize, Serialize};

/// The bundled digits: 28×28 grey, ten classes.
pub const DIGITS: ImageSize = ImageSize {
    channels: 1,
    height: 28,
    width: 28,
};
pub const DIGIT_CLASSES: usize = 10;

/// What a project trains on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Data {
    /// One of the playground's generated point sets (TensorFlow Playground's).
    Points {
        kind: DatasetKind,
        /// Noise from 0 to 50 percent.
        noise_percent: u32,
        /// Classes for Gaussian and spiral (2 to [`MAX_DATASET_CLASSES`]).
        classes: usize,
    },
    /// A person's own table of numbers (its rows stay in the page, never in the project).
    Table(TableSetup),
    /// The bundled handwritten digits.
    Digits,
    /// The person's own images (kept in this browser), resampled to `side`×`side`; or, when
    /// `pretrained`, seen by the pretrained EfficientNet-Lite0 at `side`×`side` in colour (its
    /// features are what the layers read).
    Photos {
        side: usize,
        colour: bool,
        #[serde(default)]
        pretrained: bool,
    },
}

impl Default for Data {
    /// TensorFlow Playground's opening data: the circle, without noise.
    fn default() -> Self {
        Data::Points {
            kind: DatasetKind::Circle,
            noise_percent: 0,
            classes: 2,
        }
    }
}

/// Which table a project trains on and how: the file's name, the label and feature columns,
/// and how many classes the label column holds (0 for a number).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSetup {
    pub name: String,
    pub choice: TableChoice,
    pub classes: usize,
}

impl TableSetup {
    /// The head the table's label column asks for.
    pub fn head(&self) -> Head {
        match self.choice.task {
            TableTask::Classes => Head::Classification {
                classes: self.classes,
            },
            TableTask::Number => Head::Regression,
        }
    }
}

impl Data {
    /// A word for the data in file names: `circle`, `table`, `digits`, `photos`.
    pub fn short_name(&self) -> &'static str {
        match self {
            Data::Points { kind, .. } => kind.key(),
            Data::Table(_) => "table",
            Data::Digits => "digits",
            Data::Photos { .. } => "photos",
        }
    }

    /// Input sizes offered for photos.
    pub const PHOTO_SIDES: [usize; 5] = [16, 28, 32, 48, 64];
    /// Photos as a new photo project starts: 32×32 in colour.
    pub const PHOTOS: Data = Data::Photos {
        side: 32,
        colour: true,
        pretrained: false,
    };
    /// Photos through the pretrained network, as that choice starts: 160×160 (fast on a CPU).
    pub const PRETRAINED: Data = Data::Photos {
        side: 160,
        colour: true,
        pretrained: true,
    };

    /// Whether the layers read the pretrained network's features.
    pub fn is_pretrained(&self) -> bool {
        matches!(
            self,
            Data::Photos {
                pretrained: true,
                ..
            }
        )
    }

    /// Images (digits or photos), which the layer graph edits; otherwise rows of numbers
    /// (points or a table), which the playground's cards edit.
    pub fn is_images(&self) -> bool {
        matches!(self, Data::Digits | Data::Photos { .. })
    }

    pub fn is_photos(&self) -> bool {
        matches!(self, Data::Photos { .. })
    }

    /// The image size the network reads, for image data.
    pub fn image_size(&self) -> Option<ImageSize> {
        match *self {
            Data::Digits => Some(DIGITS),
            Data::Photos { side, colour, .. } => Some(ImageSize {
                channels: if colour { 3 } else { 1 },
                height: side,
                width: side,
            }),
            Data::Points { .. } | Data::Table(_) => None,
        }
    }

    /// The generated points with this seed and split, for point data.
    pub fn dataset(&self, seed: u64, train_percent: u8) -> Option<DatasetConfig> {
        match *self {
            Data::Points {
                kind,
                noise_percent,
                classes,
            } => Some(DatasetConfig {
                kind,
                noise_percent,
                train_percent: u32::from(train_percent),
                classes,
                seed,
            }),
            _ => None,
        }
    }

    /// The person's table setup, for table data.
    pub fn table(&self) -> Option<&TableSetup> {
        match self {
            Data::Table(table) => Some(table),
            _ => None,
        }
    }

    /// The network's input for these data; points keep the features `input` had (x₁ and x₂
    /// when it had none).
    pub fn input(&self, input: &Input) -> Input {
        match self {
            Data::Points { .. } => match input {
                Input::Points { features } => Input::Points {
                    features: features.clone(),
                },
                _ => Input::Points {
                    features: vec![Feature::X1, Feature::X2],
                },
            },
            Data::Table(table) => Input::Table {
                columns: table.choice.features.len(),
            },
            Data::Photos {
                side,
                pretrained: true,
                ..
            } => Input::Pretrained { side: *side },
            Data::Digits | Data::Photos { .. } => Input::Image(self.image_size().unwrap_or(DIGITS)),
        }
    }

    /// Values in the ranges the page offers (a link may hold anything).
    pub(super) fn sanitized(self) -> Data {
        match self {
            Data::Points {
                kind,
                noise_percent,
                classes,
            } => Data::Points {
                kind,
                noise_percent: noise_percent.min(50),
                classes: classes.clamp(2, MAX_DATASET_CLASSES),
            },
            Data::Photos {
                side,
                pretrained: true,
                ..
            } => Data::Photos {
                side: if INPUT_SIZES.contains(&side) {
                    side
                } else {
                    160
                },
                colour: true,
                pretrained: true,
            },
            Data::Photos { side, colour, .. } => Data::Photos {
                side: if Data::PHOTO_SIDES.contains(&side) {
                    side
                } else {
                    32
                },
                colour,
                pretrained: false,
            },
            other => other,
        }
    }
}

/// A file name as a link carries it: letters, digits, `.`, `-` and `_` (others become `_`),
/// at most 64 characters.
pub fn table_name(name: &str) -> String {
    name.chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
