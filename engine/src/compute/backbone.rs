//! EfficientNet-Lite0 as Burn modules (the blocks of [`crate::pretrained`]), built from its
//! weights file. It runs frozen: the page computes each image's features once with it and
//! trains a head on them; the views read its maps, its ImageNet classes and Grad-CAM on its
//! last map.

use burn::module::{Module, Param};
use burn::tensor::module::conv2d;
use burn::tensor::ops::{ConvOptions, PadMode};
use burn::tensor::{Device, Tensor, TensorData};

use super::tensors::{param, tensor};
use crate::params::HostTensor;
use crate::pretrained::{
    FEATURES, IMAGENET_CLASSES, PretrainedWeights, blocks, normalise, same_padding,
};

/// A convolution with its BatchNorm folded in, padded as TensorFlow's `SAME`, then ReLU6 or
/// nothing.
#[derive(Module, Debug)]
pub struct FoldedConv {
    pub weight: Param<Tensor<4>>,
    pub bias: Param<Tensor<1>>,
    #[module(skip)]
    pub stride: usize,
    #[module(skip)]
    pub groups: usize,
    #[module(skip)]
    pub relu6: bool,
}

impl FoldedConv {
    fn new(
        weights: &PretrainedWeights,
        name: &str,
        stride: usize,
        groups: usize,
        relu6: bool,
        device: &Device,
    ) -> Result<Self, String> {
        let get = |part: &str| {
            weights
                .get(&format!("{name}.{part}"))
                .ok_or_else(|| format!("the pretrained weights lack {name}.{part}"))
        };
        Ok(Self {
            weight: param(get("weight")?, device)?,
            bias: param(get("bias")?, device)?,
            stride,
            groups,
            relu6,
        })
    }

    /// # Shapes
    ///   - input `[batch, channels, height, width]`
    ///   - returns `[batch, filters, ⌈height / stride⌉, ⌈width / stride⌉]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, h, w] = x.dims();
        let k = self.weight.dims()[2];
        let (top, bottom) = same_padding(h, k, self.stride);
        let (left, right) = same_padding(w, k, self.stride);
        let (x, pad) = if top == bottom && left == right {
            (x, [top, left])
        } else {
            (
                x.pad((left, right, top, bottom), PadMode::Constant(0.0)),
                [0, 0],
            )
        };
        let y = conv2d(
            x,
            self.weight.val(),
            Some(self.bias.val()),
            ConvOptions::new([self.stride; 2], pad, [1, 1], self.groups),
        );
        if self.relu6 { y.clamp(0.0, 6.0) } else { y }
    }
}

/// A mobile inverted bottleneck: expand, depthwise, project, and the skip.
#[derive(Module, Debug)]
pub struct MbConv {
    pub expand: Option<FoldedConv>,
    pub depthwise: FoldedConv,
    pub project: FoldedConv,
    #[module(skip)]
    pub skip: bool,
}

impl MbConv {
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let h = match &self.expand {
            Some(expand) => expand.forward(x.clone()),
            None => x.clone(),
        };
        let h = self.project.forward(self.depthwise.forward(h));
        if self.skip { h + x } else { h }
    }
}

/// The whole pretrained network: stem, sixteen blocks, the 1×1 head to 1280 channels, and the
/// ImageNet classifier over their average.
#[derive(Module, Debug)]
pub struct Backbone {
    pub stem: FoldedConv,
    pub blocks: Vec<MbConv>,
    pub head: FoldedConv,
    /// `[1280, 1000]`, so features · weight.
    pub classifier: Param<Tensor<2>>,
    pub classifier_bias: Param<Tensor<1>>,
}

impl Backbone {
    /// Builds the network on `device` from its weights.
    ///
    /// # Errors
    /// A tensor the weights lack or of another shape.
    pub fn new(weights: &PretrainedWeights, device: &Device) -> Result<Self, String> {
        let stem = FoldedConv::new(weights, "stem", 2, 1, true, device)?;
        let mut out = Vec::new();
        for (i, b) in blocks().iter().enumerate() {
            let name = format!("blocks.{i}");
            let expand = if b.expand == 1 {
                None
            } else {
                Some(FoldedConv::new(
                    weights,
                    &format!("{name}.expand"),
                    1,
                    1,
                    true,
                    device,
                )?)
            };
            out.push(MbConv {
                expand,
                depthwise: FoldedConv::new(
                    weights,
                    &format!("{name}.depthwise"),
                    b.stride,
                    b.hidden(),
                    true,
                    device,
                )?,
                project: FoldedConv::new(weights, &format!("{name}.project"), 1, 1, false, device)?,
                skip: b.skip(),
            });
        }
        let head = FoldedConv::new(weights, "head", 1, 1, true, device)?;
        let fc = weights
            .get("classifier.weight")
            .ok_or("the pretrained weights lack classifier.weight")?;
        let transposed = HostTensor {
            shape: vec![FEATURES, IMAGENET_CLASSES],
            values: (0..FEATURES * IMAGENET_CLASSES)
                .map(|i| fc.values[(i % IMAGENET_CLASSES) * FEATURES + i / IMAGENET_CLASSES])
                .collect(),
        };
        let bias = weights
            .get("classifier.bias")
            .ok_or("the pretrained weights lack classifier.bias")?;
        Ok(Self {
            stem,
            blocks: out,
            head,
            classifier: Param::from_tensor(tensor(&transposed, device)?),
            classifier_bias: param(bias, device)?,
        })
    }

    /// Every map in order: the stem's, each block's, the head's (18 in all).
    ///
    /// # Shapes
    ///   - input `[batch, 3, side, side]`, already normalised
    pub fn taps(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        let mut x = self.stem.forward(x);
        let mut out = vec![x.clone()];
        for block in &self.blocks {
            x = block.forward(x);
            out.push(x.clone());
        }
        out.push(self.head.forward(x));
        out
    }

    /// The head's map `[batch, 1280, side / 32, side / 32]`.
    pub fn head_map(&self, x: Tensor<4>) -> Tensor<4> {
        let mut x = self.stem.forward(x);
        for block in &self.blocks {
            x = block.forward(x);
        }
        self.head.forward(x)
    }

    /// The features a head is trained on: the head's map averaged, `[batch, 1280]`.
    pub fn features(&self, x: Tensor<4>) -> Tensor<2> {
        pool(self.head_map(x))
    }

    /// ImageNet logits `[batch, 1000]` from features.
    pub fn imagenet(&self, features: Tensor<2>) -> Tensor<2> {
        features.matmul(self.classifier.val()) + self.classifier_bias.val().unsqueeze()
    }
}

impl Backbone {
    /// Features `[count × 1280]` of RGB images `side`×`side` (channels last, back to back),
    /// read back in one transfer (async, so it works on WebGPU too).
    ///
    /// # Errors
    /// The device failed to return the data.
    pub async fn embed(
        &self,
        rgb: &[u8],
        side: usize,
        device: &Device,
    ) -> Result<Vec<f32>, String> {
        let per = side * side * 3;
        let count = rgb.len() / per.max(1);
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut values = Vec::with_capacity(count * per);
        for image in rgb.chunks_exact(per) {
            values.extend(normalise(image, side));
        }
        read(self.features(input_tensor(values, count, side, device))).await
    }

    /// One image (RGB `side`×`side`, channels last) through the network: every map (stem, the
    /// sixteen blocks, the head; each `[channels, h, w]`) and its 1280 features. One read.
    ///
    /// # Errors
    /// The device failed to return the data.
    pub async fn inspect(
        &self,
        rgb: &[u8],
        side: usize,
        device: &Device,
    ) -> Result<(Vec<HostTensor>, Vec<f32>), String> {
        if rgb.len() != side * side * 3 {
            return Err("the image is not side × side RGB".to_owned());
        }
        let x = input_tensor(normalise(rgb, side), 1, side, device);
        let taps = self.taps(x);
        let features = taps.last().map(|head| pool(head.clone()));
        let shapes: Vec<Vec<usize>> = taps.iter().map(|t| t.dims()[1..].to_vec()).collect();
        let mut transaction = burn::tensor::Transaction::default();
        for t in taps {
            transaction = transaction.register(t);
        }
        if let Some(f) = features {
            transaction = transaction.register(f);
        }
        let data = transaction.execute_async().await.map_err(|error| {
            format!("the pretrained network's maps could not be read: {error:?}")
        })?;
        let mut values = data
            .into_iter()
            .map(|d| d.convert::<f32>().try_to_vec::<f32>().unwrap_or_default());
        let maps = shapes
            .into_iter()
            .map(|shape| HostTensor {
                shape,
                values: values.next().unwrap_or_default(),
            })
            .collect();
        Ok((maps, values.next().unwrap_or_default()))
    }

    /// ImageNet's probabilities for the features of one image, `[1000]`.
    ///
    /// # Errors
    /// Not 1280 features, or the device failed to return the data.
    pub async fn imagenet_probabilities(
        &self,
        features: &[f32],
        device: &Device,
    ) -> Result<Vec<f32>, String> {
        if features.len() != FEATURES {
            return Err(format!(
                "expected {FEATURES} features, got {}",
                features.len()
            ));
        }
        let f = Tensor::<2>::from_data(TensorData::new(features.to_vec(), [1, FEATURES]), device);
        read(burn::tensor::activation::softmax(self.imagenet(f), 1)).await
    }
}

async fn read(t: Tensor<2>) -> Result<Vec<f32>, String> {
    t.into_data_async()
        .await
        .map_err(|error| format!("the pretrained network's result could not be read: {error:?}"))?
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|error| format!("the pretrained network's result is not numbers: {error:?}"))
}

/// A map averaged over its positions: `[batch, channels, h, w]` → `[batch, channels]`.
pub fn pool(map: Tensor<4>) -> Tensor<2> {
    let [n, c, _, _] = map.dims();
    map.flatten::<3>(2, 3).mean_dim(2).reshape([n, c])
}

/// Normalised images `[count, 3, side, side]` from planar host numbers.
pub fn input_tensor(values: Vec<f32>, count: usize, side: usize, device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(values, [count, 3, side, side]), device)
}
