//! Where a project's samples come from: generated points of the plane, the person's table
//! (prepared by the page), the bundled digits (fetched once from the page's origin) and the
//! person's images (read from this browser's storage). Each becomes the one trainer's
//! [`Samples`], split into training and validation.

use agora_engine::data::{Dataset, Point};
use agora_engine::images::{ImageSet, split_indices};
use agora_engine::net::{ImageSize, Input};
use agora_engine::photos::{STORE_BYTES, STORE_SIZE, resample};
use agora_engine::pretrained::FEATURES;
use agora_engine::samples::{Rows, Samples, Targets};
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use agora_app::protocol::{Event, PretrainedStatus, Setup, TrainData};

use crate::context::Context;
use crate::pretrained::Pretrained;

/// Where the page's own origin serves the digits (gzip; see `static/data/README.md`).
const DIGITS_URL: &str = "./data/digits.agds.gz";

#[wasm_bindgen]
extern "C" {
    /// Defined in `worker-loader.js`: fetches a gzip file from the page's origin and unpacks
    /// it with the browser's `DecompressionStream`.
    #[wasm_bindgen(catch, js_name = agoraFetchGzip)]
    async fn fetch_gzip(url: &str) -> Result<JsValue, JsValue>;

    /// Defined in `agora-store.js`: every stored image of these classes, as
    /// `{classes: Uint32Array, pixels: Uint8Array}` (64×64 RGB each, back to back).
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = loadAll)]
    async fn load_all(class_ids: Vec<u32>) -> Result<JsValue, JsValue>;
}

/// A project's samples, split.
#[derive(Clone)]
pub struct Split {
    pub train: Samples,
    pub val: Samples,
    /// The validation photos as stored (64×64), when the samples are the pretrained
    /// network's features of them: what the views show.
    pub pictures: Option<ImageSet>,
}

impl Split {
    /// The validation images, when the samples are images (what the image views look at).
    pub fn val_images(&self) -> Option<&ImageSet> {
        match &self.val {
            Samples::Images(set) => Some(set),
            Samples::Rows(_) => None,
        }
    }

    /// The validation photos to show: the images trained on, or those the features came from.
    pub fn val_pictures(&self) -> Option<&ImageSet> {
        self.pictures.as_ref().or_else(|| self.val_images())
    }

    /// Samples of each class that train and that validate (empty for regression).
    pub fn class_counts(&self) -> Vec<(usize, usize)> {
        Samples::class_counts(&self.train, &self.val)
    }

    /// A few batches of training samples (and a few to validate) to time a backend on,
    /// spread evenly over the set so samples of every class are among them.
    pub fn probe(&self, batch_size: usize, batches: usize) -> Split {
        let count = batch_size.max(1) * batches;
        let take = |samples: &Samples, count: usize| {
            let (len, count) = (samples.len(), count.min(samples.len()));
            let indices: Vec<usize> = (0..count).map(|i| i * len / count).collect();
            samples.subset(&indices)
        };
        Split {
            train: take(&self.train, count),
            val: take(&self.val, batch_size.max(1)),
            pictures: None,
        }
    }
}

/// The bundled digits and the pretrained network, loaded once and kept for every setup that
/// asks for them.
#[derive(Default)]
pub struct Sources {
    digits: Option<ImageSet>,
    pub pretrained: Option<Pretrained>,
}

impl Sources {
    /// Whether reading `data` takes a while (a fetch, the browser's storage).
    pub fn slow(&self, data: &TrainData) -> bool {
        match data {
            TrainData::Digits | TrainData::DigitsOf { .. } => self.digits.is_none(),
            TrainData::Photos { .. } => true,
            TrainData::Points(_) | TrainData::Table(_) => false,
        }
    }

    /// The setup's samples, split as it says.
    ///
    /// # Errors
    /// Why they could not be read, for the user.
    pub async fn load(&mut self, setup: &Setup, context: &Context) -> Result<Split, String> {
        let head = setup.network.head;
        match (&setup.data, &setup.network.input) {
            (TrainData::Points(config), Input::Points { features }) => {
                let dataset = Dataset::generate(*config);
                let rows = |points: &[Point]| Rows::from_points(points, features, head);
                Ok(Split {
                    train: Samples::Rows(rows(&dataset.train)),
                    val: Samples::Rows(rows(&dataset.test)),
                    pictures: None,
                })
            }
            (TrainData::Table(table), Input::Table { .. }) => Ok(Split {
                train: Samples::Rows(table.train.clone()),
                val: Samples::Rows(table.test.clone()),
                pictures: None,
            }),
            (TrainData::Digits | TrainData::DigitsOf { .. }, Input::Image(size)) => {
                if self.digits.is_none() {
                    self.digits = Some(load_digits().await?);
                }
                let digits = self.digits.as_ref().ok_or("The digits are not loaded.")?;
                if digits.size != *size {
                    return Err(format!(
                        "The digits are {}, but the network reads {}: choose the digits' size under Data.",
                        digits.size.describe(),
                        size.describe()
                    ));
                }
                let mut split = split_images(digits, setup);
                if let (TrainData::DigitsOf { digits: kept }, Samples::Images(train)) =
                    (&setup.data, &split.train)
                {
                    let indices: Vec<usize> = (0..train.len())
                        .filter(|&at| kept.contains(&train.labels[at]))
                        .collect();
                    if indices.is_empty() {
                        return Err("Choose at least one digit to hold.".into());
                    }
                    split.train = Samples::Images(train.subset(&indices));
                }
                Ok(split)
            }
            (TrainData::Photos { classes }, Input::Image(size)) => {
                let (photos, _) = load_photos(classes, *size).await?;
                Ok(split_images(&photos, setup))
            }
            (TrainData::Photos { classes }, Input::Pretrained { side }) => {
                let pretrained = self.pretrained(context).await?;
                let (photos, ids) = load_photos(classes, STORE_SIZE).await?;
                let features = pretrained
                    .features_of(context, &ids, &photos.pixels, *side)
                    .await?;
                let rows = Rows {
                    columns: FEATURES,
                    values: features,
                    targets: Targets::Classes(photos.labels.clone()),
                    classes: classes.len(),
                };
                let (train, val) = split_indices(
                    &photos.labels,
                    classes.len(),
                    setup.train_percent,
                    setup.seed,
                );
                Ok(Split {
                    train: Samples::Rows(rows.subset(&train)),
                    val: Samples::Rows(rows.subset(&val)),
                    pictures: Some(photos.subset(&val)),
                })
            }
            (data, input) => Err(format!(
                "The network reads {}, which this data ({}) does not give. Reload the page.",
                input.shape(),
                match data {
                    TrainData::Points(_) => "points",
                    TrainData::Table(_) => "a table",
                    TrainData::Digits | TrainData::DigitsOf { .. } => "the digits",
                    TrainData::Photos { .. } => "your images",
                }
            )),
        }
    }
}

fn split_images(images: &ImageSet, setup: &Setup) -> Split {
    let (train, val) = images.split(setup.train_percent, setup.seed);
    Split {
        train: Samples::Images(train),
        val: Samples::Images(val),
        pictures: None,
    }
}

impl Sources {
    /// The pretrained network, loaded on first use.
    ///
    /// # Errors
    /// Why it could not load, for the user (also reported as [`PretrainedStatus::Failed`]).
    pub async fn pretrained(&mut self, context: &Context) -> Result<&Pretrained, String> {
        if self.pretrained.is_none() {
            match Pretrained::load(context).await {
                Ok(loaded) => self.pretrained = Some(loaded),
                Err(message) => {
                    context.emit(&Event::Pretrained(PretrainedStatus::Failed(
                        message.clone(),
                    )));
                    return Err(message);
                }
            }
        }
        self.pretrained
            .as_ref()
            .ok_or_else(|| "The pretrained network is not loaded.".to_owned())
    }
}

async fn load_digits() -> Result<ImageSet, String> {
    let bytes = fetch_gzip(DIGITS_URL).await.map_err(|error| {
        format!(
            "The bundled digits could not be loaded from this site ({}). Reload the page.",
            error.as_string().unwrap_or_else(|| format!("{error:?}"))
        )
    })?;
    let bytes: Uint8Array = bytes
        .dyn_into()
        .map_err(|_| "The digits file did not arrive as bytes. Reload the page.".to_owned())?;
    ImageSet::decode(&bytes.to_vec())
        .map_err(|error| format!("The bundled digits file is damaged: {error} Reload the page."))
}

/// Reads the person's images of `classes` from this browser's storage and resamples them to
/// the network's input, with each image's id in storage. Labels follow the order of `classes`.
async fn load_photos(
    classes: &[(u32, String)],
    input: ImageSize,
) -> Result<(ImageSet, Vec<f64>), String> {
    let ids: Vec<u32> = classes.iter().map(|(id, _)| *id).collect();
    let loaded = load_all(ids.clone()).await.map_err(|error| {
        format!(
            "Your images could not be read from this browser's storage ({}). Reload the page; if it persists, the storage may have been cleared.",
            error
                .as_string()
                .or_else(|| js_sys::Reflect::get(&error, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string()))
                .unwrap_or_else(|| format!("{error:?}"))
        )
    })?;
    let field = |name: &str| js_sys::Reflect::get(&loaded, &name.into()).ok();
    let image_classes: Vec<u32> = field("classes")
        .and_then(|v| v.dyn_into::<js_sys::Uint32Array>().ok())
        .map(|array| array.to_vec())
        .ok_or_else(|| "Storage returned no class list. Reload the page.".to_owned())?;
    let pixels: Vec<u8> = field("pixels")
        .and_then(|v| v.dyn_into::<Uint8Array>().ok())
        .map(|array| array.to_vec())
        .ok_or_else(|| "Storage returned no pixels. Reload the page.".to_owned())?;
    let stored_ids: Vec<f64> = field("ids")
        .and_then(|v| v.dyn_into::<js_sys::Float64Array>().ok())
        .map(|array| array.to_vec())
        .ok_or_else(|| "Storage returned no image ids. Reload the page.".to_owned())?;
    let mut kept_ids = Vec::with_capacity(stored_ids.len());
    let per = input.channels * input.height * input.width;
    let mut labels = Vec::with_capacity(image_classes.len());
    let mut resized = Vec::with_capacity(image_classes.len() * per);
    for (index, class) in image_classes.iter().enumerate() {
        let Some(label) = ids.iter().position(|id| id == class) else {
            continue;
        };
        let Some(image) = pixels.get(index * STORE_BYTES..(index + 1) * STORE_BYTES) else {
            break;
        };
        labels.push(u8::try_from(label).unwrap_or(u8::MAX));
        kept_ids.push(stored_ids.get(index).copied().unwrap_or(-1.0));
        if input == STORE_SIZE {
            resized.extend_from_slice(image);
        } else {
            resized.extend(resample(image, STORE_SIZE, input));
        }
    }
    let set = ImageSet {
        size: input,
        class_names: classes.iter().map(|(_, name)| name.clone()).collect(),
        labels,
        pixels: resized,
    };
    Ok((set, kept_ids))
}
