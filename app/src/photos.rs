//! A person's own image classes ([`Album`]): what the page shows of the photos kept in the
//! browser's storage (IndexedDB), and what happened to each file added.
//!
//! Plain data, tested natively. The page holds counts and the newest thumbnails only; the
//! images themselves stay in IndexedDB (64×64 RGB bytes each, see
//! [`agora_engine::photos::STORE_SIZE`]) and the worker reads them when training starts, so
//! 10,000 images do not sit in the page's memory.

use std::fmt::Write as _;
use std::rc::Rc;

use agora_engine::photos::split_counts;
use serde::{Deserialize, Serialize};

use crate::colors::CLASS_COLORS;

/// Thumbnails kept per class (the newest).
pub const THUMBS_PER_CLASS: usize = 24;
/// Fewer images than this in a class gets a warning.
pub const FEW_IMAGES: usize = 10;
/// Most classes a project may have.
pub const MAX_CLASSES: usize = 32;

/// A class as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredClass {
    pub id: u32,
    pub name: String,
    /// CSS colour, `#rrggbb`.
    pub color: String,
}

/// A stored image: its key and its 64×64 RGB pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumb {
    pub id: u64,
    pub pixels: Rc<[u8]>,
}

/// A class as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhotoClass {
    pub class: StoredClass,
    pub count: usize,
    /// Newest first.
    pub thumbs: Vec<Thumb>,
}

/// How bad a notice is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The file was not added.
    Refused,
    /// Added, but changed on the way (e.g. the first frame of an animation).
    Note,
    /// Something the person asked for happened (or could not).
    Info,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
}

/// Adding files or frames to a class, under way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Adding {
    pub class: u32,
    pub done: usize,
    pub total: usize,
    pub added: usize,
    pub refused: usize,
}

/// The person's classes, their images' counts and thumbnails, and notices about files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Album {
    pub classes: Vec<PhotoClass>,
    /// The stored project has been read (until then the page shows "Loading…").
    pub loaded: bool,
    pub adding: Option<Adding>,
    pub notices: Vec<Notice>,
    /// Bytes used and available to this site, from the browser's estimate.
    pub storage: Option<(u64, u64)>,
    /// Bumped whenever images or classes change: training must restart to see them.
    pub revision: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AlbumAction {
    /// What storage held when the page opened.
    Loaded {
        classes: Vec<StoredClass>,
        counts: Vec<(u32, usize)>,
        thumbs: Vec<(u32, Thumb)>,
    },
    /// Storage could not be opened or read.
    StorageFailed(String),
    AddClass(StoredClass),
    Rename {
        id: u32,
        name: String,
    },
    Recolour {
        id: u32,
        color: String,
    },
    DeleteClass {
        id: u32,
    },
    /// Adding `total` files or frames to `class` begins.
    Start {
        class: u32,
        total: usize,
    },
    /// Images stored in `class`.
    Added {
        class: u32,
        thumbs: Vec<Thumb>,
    },
    /// One file was refused; the text names it and says why.
    Refused(String),
    /// One file was added with a change worth knowing.
    Noted(String),
    /// Storage is full: `unsaved` images of this batch were not stored.
    StorageFull {
        unsaved: usize,
    },
    /// The adding finished.
    Finish,
    Storage {
        usage: u64,
        quota: u64,
    },
    Dismiss,
    /// Everything was deleted.
    Cleared,
}

impl Album {
    pub fn class(&self, id: u32) -> Option<&PhotoClass> {
        self.classes.iter().find(|c| c.class.id == id)
    }

    fn class_mut(&mut self, id: u32) -> Option<&mut PhotoClass> {
        self.classes.iter_mut().find(|c| c.class.id == id)
    }

    /// An id no class has.
    pub fn next_id(&self) -> u32 {
        self.classes
            .iter()
            .map(|c| c.class.id + 1)
            .max()
            .unwrap_or(1)
    }

    /// A new class with a free name ("Class 3") and the next colour.
    pub fn new_class(&self) -> StoredClass {
        let mut number = self.classes.len() + 1;
        while self
            .classes
            .iter()
            .any(|c| c.class.name == format!("Class {number}"))
        {
            number += 1;
        }
        let [r, g, b] = CLASS_COLORS[self.classes.len() % CLASS_COLORS.len()];
        StoredClass {
            id: self.next_id(),
            name: format!("Class {number}"),
            color: format!("#{r:02x}{g:02x}{b:02x}"),
        }
    }

    pub fn total_images(&self) -> usize {
        self.classes.iter().map(|c| c.count).sum()
    }

    /// Classes in order, with their ids and names, as the worker labels them.
    pub fn labels(&self) -> Vec<(u32, String)> {
        self.classes
            .iter()
            .map(|c| (c.class.id, c.class.name.clone()))
            .collect()
    }

    /// Whether training can start, or what is missing.
    ///
    /// # Errors
    /// What to add before training.
    pub fn trainable(&self, train_percent: u8) -> Result<(), String> {
        if self.classes.len() < 2 {
            return Err("Add at least two classes to train a classifier.".into());
        }
        if let Some(empty) = self.classes.iter().find(|c| c.count == 0) {
            return Err(format!(
                "“{}” has no images yet: add some, or delete the class.",
                empty.class.name
            ));
        }
        if self
            .classes
            .iter()
            .all(|c| split_counts(c.count, train_percent).1 == 0)
        {
            return Err(
                "No image is left for validation: add more images or lower the training share."
                    .into(),
            );
        }
        Ok(())
    }

    /// Advice about the data: too few images, unbalanced classes, no validation images.
    pub fn warnings(&self, train_percent: u8) -> Vec<String> {
        let mut warnings = Vec::new();
        for class in &self.classes {
            if class.count > 0 && class.count < FEW_IMAGES {
                warnings.push(format!(
                    "“{}” has only {} image{}: add at least {FEW_IMAGES} (dozens are better) so the network learns the class, not the photos.",
                    class.class.name,
                    class.count,
                    if class.count == 1 { "" } else { "s" }
                ));
            }
        }
        let counted: Vec<&PhotoClass> = self.classes.iter().filter(|c| c.count > 0).collect();
        if let (Some(most), Some(least)) = (
            counted.iter().max_by_key(|c| c.count),
            counted.iter().min_by_key(|c| c.count),
        ) && least.count * 3 < most.count
        {
            warnings.push(format!(
                "The classes are unbalanced: “{}” has {} images but “{}” only {}. The network will lean towards “{}”; add images to “{}”.",
                most.class.name, most.count, least.class.name, least.count, most.class.name, least.class.name
            ));
        }
        for class in &self.classes {
            if class.count > 0 && split_counts(class.count, train_percent).1 == 0 {
                warnings.push(format!(
                    "“{}” has no validation images at this split, so its accuracy cannot be measured.",
                    class.class.name
                ));
            }
        }
        warnings
    }

    #[must_use]
    pub fn apply(mut self, action: AlbumAction) -> Album {
        match action {
            AlbumAction::Loaded {
                classes,
                counts,
                thumbs,
            } => {
                self.classes = classes
                    .into_iter()
                    .map(|class| PhotoClass {
                        count: counts
                            .iter()
                            .find(|(id, _)| *id == class.id)
                            .map_or(0, |(_, count)| *count),
                        thumbs: Vec::new(),
                        class,
                    })
                    .collect();
                for (id, thumb) in thumbs {
                    if let Some(class) = self.class_mut(id)
                        && class.thumbs.len() < THUMBS_PER_CLASS
                    {
                        class.thumbs.push(thumb);
                    }
                }
                self.loaded = true;
                self.revision += 1;
            }
            AlbumAction::StorageFailed(reason) => {
                self.loaded = true;
                self.notices.push(Notice {
                    level: Level::Info,
                    text: format!(
                        "This browser's storage could not be used ({reason}). Images you add now work until the page is closed, but are not kept."
                    ),
                });
            }
            AlbumAction::AddClass(class) => {
                if self.classes.len() < MAX_CLASSES && self.class(class.id).is_none() {
                    self.classes.push(PhotoClass {
                        class,
                        count: 0,
                        thumbs: Vec::new(),
                    });
                    self.revision += 1;
                }
            }
            AlbumAction::Rename { id, name } => {
                let name = name.trim();
                if !name.is_empty()
                    && let Some(class) = self.class_mut(id)
                {
                    class.class.name = name.chars().take(40).collect();
                    self.revision += 1;
                }
            }
            AlbumAction::Recolour { id, color } => {
                if is_css_hex(&color)
                    && let Some(class) = self.class_mut(id)
                {
                    class.class.color = color;
                }
            }
            AlbumAction::DeleteClass { id } => {
                self.classes.retain(|c| c.class.id != id);
                self.revision += 1;
            }
            AlbumAction::Start { class, total } => {
                self.notices.retain(|n| n.level == Level::Refused);
                self.adding = Some(Adding {
                    class,
                    done: 0,
                    total,
                    added: 0,
                    refused: 0,
                });
            }
            AlbumAction::Added { class, thumbs } => {
                let added = thumbs.len();
                if let Some(target) = self.class_mut(class) {
                    target.count += added;
                    let mut newest: Vec<Thumb> = thumbs.into_iter().rev().collect();
                    newest.append(&mut target.thumbs);
                    newest.truncate(THUMBS_PER_CLASS);
                    target.thumbs = newest;
                    self.revision += 1;
                }
                if let Some(adding) = &mut self.adding {
                    adding.done += added;
                    adding.added += added;
                }
            }
            AlbumAction::Refused(text) => {
                if let Some(adding) = &mut self.adding {
                    adding.done += 1;
                    adding.refused += 1;
                }
                self.notices.push(Notice {
                    level: Level::Refused,
                    text,
                });
            }
            AlbumAction::Noted(text) => self.notices.push(Notice {
                level: Level::Note,
                text,
            }),
            AlbumAction::StorageFull { unsaved } => {
                if let Some(adding) = &mut self.adding {
                    adding.done += unsaved;
                    adding.refused += unsaved;
                }
                self.notices.push(Notice {
                    level: Level::Refused,
                    text: format!(
                        "This site's storage is full: {unsaved} image{} could not be saved. Everything saved before is safe. Delete images or classes you no longer need, or free space on this device.",
                        if unsaved == 1 { "" } else { "s" }
                    ),
                });
            }
            AlbumAction::Finish => {
                if let Some(adding) = self.adding.take() {
                    let name = self
                        .class(adding.class)
                        .map_or_else(String::new, |c| c.class.name.clone());
                    let mut text = format!(
                        "Added {} image{} to “{name}”",
                        adding.added,
                        if adding.added == 1 { "" } else { "s" }
                    );
                    if adding.refused > 0 {
                        let _ = write!(
                            text,
                            "; {} file{} could not be used (see above)",
                            adding.refused,
                            if adding.refused == 1 { "" } else { "s" }
                        );
                    }
                    text.push('.');
                    self.notices.push(Notice {
                        level: Level::Info,
                        text,
                    });
                }
            }
            AlbumAction::Storage { usage, quota } => self.storage = Some((usage, quota)),
            AlbumAction::Dismiss => self.notices.clear(),
            AlbumAction::Cleared => {
                self.classes.clear();
                self.adding = None;
                self.notices = vec![Notice {
                    level: Level::Info,
                    text: "All your images and classes were deleted from this device.".into(),
                }];
                self.revision += 1;
            }
        }
        self
    }
}

fn is_css_hex(color: &str) -> bool {
    color.len() == 7 && color.starts_with('#') && color[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// A `data:` URL of a 24-bit BMP of `pixels` (RGB, channels last), for an `<img>` thumbnail
/// (the page's CSP allows `data:` images; BMP needs no compression code).
pub fn bmp_data_url(pixels: &[u8], width: usize, height: usize) -> String {
    let row = (width * 3).div_ceil(4) * 4;
    let size = 54 + row * height;
    let mut bmp = Vec::with_capacity(size);
    let le32 = |value: usize| u32::try_from(value).unwrap_or(0).to_le_bytes();
    bmp.extend_from_slice(b"BM");
    bmp.extend_from_slice(&le32(size));
    bmp.extend_from_slice(&[0; 4]);
    bmp.extend_from_slice(&le32(54));
    bmp.extend_from_slice(&le32(40));
    bmp.extend_from_slice(&le32(width));
    // Negative height: rows top-down.
    bmp.extend_from_slice(&(-i32::try_from(height).unwrap_or(0)).to_le_bytes());
    bmp.extend_from_slice(&[1, 0, 24, 0]);
    bmp.extend_from_slice(&[0; 24]);
    for y in 0..height {
        for x in 0..width {
            let at = (y * width + x) * 3;
            let [r, g, b] = [0, 1, 2].map(|c| pixels.get(at + c).copied().unwrap_or(0));
            bmp.extend_from_slice(&[b, g, r]);
        }
        bmp.resize(bmp.len() + row - width * 3, 0);
    }
    format!("data:image/bmp;base64,{}", base64(&bmp))
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Bytes as a person reads them: "12.3 MB".
pub fn human_bytes(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let value = bytes as f64;
    if value >= 1e9 {
        format!("{:.1} GB", value / 1e9)
    } else if value >= 1e6 {
        format!("{:.1} MB", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.0} kB", value / 1e3)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thumb(id: u64) -> Thumb {
        Thumb {
            id,
            pixels: Rc::from(vec![0_u8; 12]),
        }
    }

    fn two_classes() -> Album {
        let project = Album::default();
        let first = project.new_class();
        let project = project.apply(AlbumAction::AddClass(first));
        let second = project.new_class();
        project.apply(AlbumAction::AddClass(second))
    }

    #[test]
    fn classes_get_free_names_ids_and_colours() {
        let project = two_classes();
        let names: Vec<&str> = project
            .classes
            .iter()
            .map(|c| c.class.name.as_str())
            .collect();
        assert_eq!(names, ["Class 1", "Class 2"]);
        assert_ne!(
            project.classes[0].class.color,
            project.classes[1].class.color
        );
        let project = project
            .apply(AlbumAction::Rename {
                id: 1,
                name: "  Cats ".into(),
            })
            .apply(AlbumAction::Rename {
                id: 2,
                name: "   ".into(),
            })
            .apply(AlbumAction::Recolour {
                id: 2,
                color: "red; background: url(x)".into(),
            })
            .apply(AlbumAction::DeleteClass { id: 1 });
        assert_eq!(project.classes.len(), 1);
        assert_eq!(
            project.classes[0].class.name, "Class 2",
            "blank names are ignored"
        );
        assert!(
            is_css_hex(&project.classes[0].class.color),
            "only #rrggbb colours"
        );
        let third = project.new_class();
        assert_eq!(
            (third.id, third.name.as_str()),
            (3, "Class 2".replace('2', "3").as_str())
        );
    }

    #[test]
    fn adding_counts_keeps_newest_thumbnails_and_summarises() {
        let project = two_classes()
            .apply(AlbumAction::Start {
                class: 1,
                total: 30,
            })
            .apply(AlbumAction::Added {
                class: 1,
                thumbs: (0..26).map(thumb).collect(),
            })
            .apply(AlbumAction::Refused(
                "notes.jpg: this is a text file".into(),
            ))
            .apply(AlbumAction::StorageFull { unsaved: 3 });
        let adding = project.adding.expect("under way");
        assert_eq!((adding.done, adding.added, adding.refused), (30, 26, 4));
        let class = project.class(1).expect("class 1");
        assert_eq!(class.count, 26);
        assert_eq!(class.thumbs.len(), THUMBS_PER_CLASS);
        assert_eq!(class.thumbs[0].id, 25, "newest first");
        let project = project.apply(AlbumAction::Finish);
        let texts: Vec<&str> = project.notices.iter().map(|n| n.text.as_str()).collect();
        assert!(texts[0].starts_with("notes.jpg"));
        assert!(texts[1].starts_with("This site's storage is full: 3 images could not be saved. Everything saved before is safe."));
        assert_eq!(
            texts[2],
            "Added 26 images to “Class 1”; 4 files could not be used (see above)."
        );
        // The next drop keeps earlier refusals but drops the old summary.
        let next = project.apply(AlbumAction::Start { class: 2, total: 1 });
        assert_eq!(next.notices.len(), 2);
    }

    #[test]
    fn training_needs_two_classes_with_images_and_warns_about_balance() {
        let project = two_classes();
        assert!(
            project
                .trainable(80)
                .is_err_and(|e| e.contains("has no images"))
        );
        let project = project
            .apply(AlbumAction::Added {
                class: 1,
                thumbs: (0..40).map(thumb).collect(),
            })
            .apply(AlbumAction::Added {
                class: 2,
                thumbs: (0..6).map(thumb).collect(),
            });
        assert_eq!(project.trainable(80), Ok(()));
        let warnings = project.warnings(80);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("“Class 2” has only 6 images"));
        assert!(warnings[1].starts_with(
            "The classes are unbalanced: “Class 1” has 40 images but “Class 2” only 6."
        ));
        let one = Album::default().apply(AlbumAction::AddClass(StoredClass {
            id: 1,
            name: "Only".into(),
            color: "#000000".into(),
        }));
        assert!(one.trainable(80).is_err_and(|e| e.contains("two classes")));
        assert!(
            project
                .warnings(95)
                .iter()
                .any(|w| w.contains("no validation images")),
            "6 images at 95 % leave none for validation"
        );
    }

    #[test]
    fn loading_restores_counts_and_thumbnails() {
        let classes = vec![
            StoredClass {
                id: 4,
                name: "Cats".into(),
                color: "#ff0000".into(),
            },
            StoredClass {
                id: 9,
                name: "Dogs".into(),
                color: "#0000ff".into(),
            },
        ];
        let project = Album::default().apply(AlbumAction::Loaded {
            classes,
            counts: vec![(4, 120), (9, 3)],
            thumbs: vec![(4, thumb(1)), (9, thumb(2)), (7, thumb(3))],
        });
        assert!(project.loaded);
        assert_eq!(project.total_images(), 123);
        assert_eq!(project.class(9).map(|c| c.thumbs.len()), Some(1));
        assert_eq!(project.next_id(), 10);
        assert_eq!(project.labels()[1], (9, "Dogs".to_owned()));
        let cleared = project.apply(AlbumAction::Cleared);
        assert!(cleared.classes.is_empty());
    }

    #[test]
    fn thumbnails_are_valid_bmp_data_urls() {
        let url = bmp_data_url(&[255, 0, 0, 0, 0, 255], 2, 1);
        assert_eq!(
            url,
            format!(
                "data:image/bmp;base64,{}",
                base64(&{
                    let mut bmp = b"BM".to_vec();
                    bmp.extend_from_slice(&62_u32.to_le_bytes());
                    bmp.extend_from_slice(&[0; 4]);
                    bmp.extend_from_slice(&54_u32.to_le_bytes());
                    bmp.extend_from_slice(&40_u32.to_le_bytes());
                    bmp.extend_from_slice(&2_u32.to_le_bytes());
                    bmp.extend_from_slice(&(-1_i32).to_le_bytes());
                    bmp.extend_from_slice(&[1, 0, 24, 0]);
                    bmp.extend_from_slice(&[0; 24]);
                    bmp.extend_from_slice(&[0, 0, 255, 255, 0, 0, 0, 0]);
                    bmp
                })
            )
        );
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(human_bytes(12_345_678), "12.3 MB");
    }
}
