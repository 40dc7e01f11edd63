//! The pretrained network in the worker: its weights fetched once from the page's origin (kept
//! in Cache Storage, so a second visit downloads nothing), the backbone built on the CPU
//! backend, and each image's features computed once and kept in IndexedDB beside the image.

use agora_engine::Device;
use agora_engine::compute::Backbone;
use agora_engine::photos::{STORE_SIZE, resample};
use agora_engine::pretrained::{FEATURES, PretrainedWeights, WEIGHTS_FILE};
use js_sys::{Float32Array, Float64Array, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use agora_app::protocol::{Event, PretrainedStatus};

use crate::context::Context;
use crate::scope::yield_now;

/// Images embedded per forward pass.
const BATCH: usize = 8;
/// What Cache Storage keys the weights by: bump with the converter's format.
const CACHE_VERSION: &str = "1";

#[wasm_bindgen]
extern "C" {
    /// Defined in `worker-loader.js`: `{bytes, cached}`, telling `progress(loaded, total)`.
    #[wasm_bindgen(catch, js_name = agoraFetchModel)]
    async fn fetch_model(
        url: &str,
        progress: &Closure<dyn Fn(f64, f64)>,
    ) -> Result<JsValue, JsValue>;

    /// Defined in `agora-store.js`: `{have: Uint8Array, values: Float32Array}`.
    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = loadFeatures)]
    async fn load_features(model: &str, ids: Float64Array, width: u32) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = agoraStore, js_name = putFeatures)]
    async fn put_features(
        model: &str,
        ids: Float64Array,
        values: Float32Array,
        width: u32,
    ) -> Result<JsValue, JsValue>;
}

/// The loaded backbone and ImageNet's class names.
pub struct Pretrained {
    backbone: Backbone,
    pub classes: Vec<String>,
    device: Device,
}

fn message(error: &JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            Reflect::get(error, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{error:?}"))
}

/// The key features are kept under: the network and the input side.
pub fn model_key(side: usize) -> String {
    format!("efficientnet-lite0@{side}")
}

impl Pretrained {
    /// Downloads (or reads from the cache) and builds the backbone, reporting progress.
    ///
    /// # Errors
    /// Why not, for the user.
    pub async fn load(context: &Context) -> Result<Pretrained, String> {
        let scope = context.scope.clone();
        let progress = Closure::<dyn Fn(f64, f64)>::new(move |loaded: f64, total: f64| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let status = PretrainedStatus::Loading {
                loaded: loaded as u64,
                total: (total > 0.0).then_some(total as u64),
            };
            crate::scope::post(&scope, &Event::Pretrained(status));
        });
        let url = format!("./{WEIGHTS_FILE}?v={CACHE_VERSION}");
        let fetched = fetch_model(&url, &progress).await.map_err(|error| {
            format!(
                "The pretrained network could not be downloaded from this site ({}). Check the connection to the page and choose Pretrained again.",
                message(&error)
            )
        })?;
        let cached = Reflect::get(&fetched, &"cached".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let bytes = Reflect::get(&fetched, &"bytes".into())
            .ok()
            .and_then(|v| v.dyn_into::<Uint8Array>().ok())
            .ok_or("The pretrained network's weights did not arrive as bytes.")?
            .to_vec();
        let weights = PretrainedWeights::read(&bytes).map_err(|error| {
            format!("The pretrained network's file is damaged: {error}. Reload the page.")
        })?;
        let device = Device::flex();
        let backbone = Backbone::new(&weights, &device)?;
        context.emit(&Event::Pretrained(PretrainedStatus::Ready {
            bytes: bytes.len() as u64,
            cached,
        }));
        Ok(Pretrained {
            backbone,
            classes: weights.classes,
            device,
        })
    }

    /// Features `[count × 1280]` of images given as RGB `side`×`side` (channels last).
    pub async fn embed_square(&self, rgb: &[u8], side: usize) -> Result<Vec<f32>, String> {
        self.backbone.embed(rgb, side, &self.device).await
    }

    /// ImageNet's five most likely classes for features of one image.
    pub async fn top5(&self, features: &[f32]) -> Result<Vec<(String, f32)>, String> {
        let probabilities = self
            .backbone
            .imagenet_probabilities(features, &self.device)
            .await?;
        let mut order: Vec<usize> = (0..probabilities.len()).collect();
        order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
        Ok(order
            .into_iter()
            .take(5)
            .map(|i| {
                (
                    self.classes.get(i).cloned().unwrap_or_default(),
                    probabilities[i],
                )
            })
            .collect())
    }

    /// One image (RGB `side`×`side`) through the backbone: every map and the features.
    pub async fn inspect(
        &self,
        rgb: &[u8],
        side: usize,
    ) -> Result<(Vec<agora_engine::params::HostTensor>, Vec<f32>), String> {
        self.backbone.inspect(rgb, side, &self.device).await
    }

    /// Computes and keeps the features of images just stored (RGB `side`×`side` each, from
    /// the decoded file), so training reads them instead of the 64×64 copies.
    pub async fn keep_features(&self, ids: &[u64], rgb: &[u8], side: usize) -> Result<(), String> {
        if rgb.len() != ids.len() * side * side * 3 {
            return Err("The images to embed did not arrive whole.".to_owned());
        }
        let per = side * side * 3;
        let width = u32::try_from(FEATURES).unwrap_or(1280);
        let key = model_key(side);
        for (chunk_ids, chunk) in ids.chunks(BATCH).zip(rgb.chunks(BATCH * per)) {
            let features = self.embed_square(chunk, side).await?;
            #[allow(clippy::cast_precision_loss)]
            let ids: Vec<f64> = chunk_ids.iter().map(|&id| id as f64).collect();
            put_features(
                &key,
                Float64Array::from(&ids[..]),
                Float32Array::from(&features[..]),
                width,
            )
            .await
            .map_err(|error| {
                format!(
                    "Your images' features could not be kept in this browser's storage ({}).",
                    message(&error)
                )
            })?;
        }
        Ok(())
    }

    /// Features of stored images (64×64 RGB each, back to back, with their ids): those kept
    /// in IndexedDB are read, the rest computed from the stored copy at `side` and kept.
    pub async fn features_of(
        &self,
        context: &Context,
        ids: &[f64],
        stored: &[u8],
        side: usize,
    ) -> Result<Vec<f32>, String> {
        let key = model_key(side);
        let width = u32::try_from(FEATURES).unwrap_or(1280);
        let kept = load_features(&key, Float64Array::from(ids), width)
            .await
            .map_err(|error| {
                format!(
                    "Your images' features could not be read from this browser's storage ({}).",
                    message(&error)
                )
            })?;
        let have = Reflect::get(&kept, &"have".into())
            .ok()
            .and_then(|v| v.dyn_into::<Uint8Array>().ok())
            .map(|a| a.to_vec())
            .unwrap_or_default();
        let mut values = Reflect::get(&kept, &"values".into())
            .ok()
            .and_then(|v| v.dyn_into::<Float32Array>().ok())
            .map(|a| a.to_vec())
            .unwrap_or_default();
        if have.len() != ids.len() || values.len() != ids.len() * FEATURES {
            return Err("Storage returned features of the wrong size. Reload the page.".to_owned());
        }
        let missing: Vec<usize> = (0..ids.len()).filter(|&i| have[i] == 0).collect();
        let started = context.now();
        let input = agora_engine::net::ImageSize {
            channels: 3,
            height: side,
            width: side,
        };
        let per = STORE_SIZE.channels * STORE_SIZE.height * STORE_SIZE.width;
        for (done, chunk) in missing.chunks(BATCH).enumerate() {
            context.emit(&Event::Pretrained(PretrainedStatus::Embedding {
                done: done * BATCH,
                total: missing.len(),
            }));
            let mut rgb = Vec::with_capacity(chunk.len() * side * side * 3);
            for &i in chunk {
                let image = stored
                    .get(i * per..(i + 1) * per)
                    .ok_or("An image did not arrive whole. Reload the page.")?;
                rgb.extend(resample(image, STORE_SIZE, input));
            }
            let features = self.embed_square(&rgb, side).await?;
            for (k, &i) in chunk.iter().enumerate() {
                values[i * FEATURES..(i + 1) * FEATURES]
                    .copy_from_slice(&features[k * FEATURES..(k + 1) * FEATURES]);
            }
            let chunk_ids: Vec<f64> = chunk.iter().map(|&i| ids[i]).collect();
            put_features(
                &key,
                Float64Array::from(&chunk_ids[..]),
                Float32Array::from(&features[..]),
                width,
            )
            .await
            .map_err(|error| {
                format!(
                    "Your images' features could not be kept in this browser's storage ({}).",
                    message(&error)
                )
            })?;
            yield_now(&context.scope).await;
        }
        context.emit(&Event::Pretrained(PretrainedStatus::Embedded {
            computed: missing.len(),
            kept: ids.len() - missing.len(),
            ms: context.now() - started,
        }));
        Ok(values)
    }
}
