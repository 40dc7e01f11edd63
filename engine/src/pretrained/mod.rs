//! The pretrained network Agora ships: Google's EfficientNet-Lite0 trained on ImageNet-1k, as
//! a description of its blocks (this file), its weights file (`weights.rs`) and, with the
//! `burn` feature, the Burn model (`compute::Backbone`).
//!
//! Lite0 is EfficientNet-B0 made for phones: no squeeze-excitation, ReLU6 instead of swish, a
//! fixed 32-channel stem and 1280-channel head. Its convolutions pad as TensorFlow's `SAME`
//! (asymmetric at stride 2); its BatchNorms (epsilon 1e-3) are folded into the convolutions by
//! `scripts/pretrained/convert.py`. It takes RGB as `(x − 127) / 128`.

mod weights;

pub use weights::{PretrainedWeights, WEIGHTS_FILE};

/// The width of the features the backbone gives a head: its last map, averaged.
pub const FEATURES: usize = 1280;
/// ImageNet-1k's classes.
pub const IMAGENET_CLASSES: usize = 1000;
/// The stem's channels.
pub const STEM: usize = 32;

/// The input sizes a person can choose: the network's own 224 and two faster ones.
pub const INPUT_SIZES: [usize; 3] = [224, 160, 128];

/// One mobile inverted bottleneck: expand (1×1, skipped when `expand` is 1), depthwise k×k at
/// `stride`, project (1×1, no activation), plus the input when the shape is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MbBlock {
    pub kernel: usize,
    pub stride: usize,
    pub expand: usize,
    pub inputs: usize,
    pub outputs: usize,
}

impl MbBlock {
    /// The channels of the depthwise convolution.
    #[must_use]
    pub fn hidden(&self) -> usize {
        self.inputs * self.expand
    }

    /// Whether the block adds its input to its output.
    #[must_use]
    pub fn skip(&self) -> bool {
        self.stride == 1 && self.inputs == self.outputs
    }
}

/// (repeats, kernel, stride, expand, inputs, outputs) of EfficientNet-B0's seven stages.
const STAGES: [(usize, usize, usize, usize, usize, usize); 7] = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
];

/// The sixteen blocks, in order.
#[must_use]
pub fn blocks() -> Vec<MbBlock> {
    let mut out = Vec::new();
    for (repeats, kernel, stride, expand, inputs, outputs) in STAGES {
        for r in 0..repeats {
            out.push(MbBlock {
                kernel,
                stride: if r == 0 { stride } else { 1 },
                expand,
                inputs: if r == 0 { inputs } else { outputs },
                outputs,
            });
        }
    }
    out
}

/// TensorFlow's `SAME` padding of one axis: (before, after) for a kernel and stride over `size`.
#[must_use]
pub fn same_padding(size: usize, kernel: usize, stride: usize) -> (usize, usize) {
    let out = size.div_ceil(stride);
    let total = ((out.saturating_sub(1)) * stride + kernel).saturating_sub(size);
    (total / 2, total - total / 2)
}

/// The side of each block's output map for an input side (the stem halves it, as do the
/// stride-2 blocks).
#[must_use]
pub fn block_sides(input: usize) -> Vec<usize> {
    let mut side = input.div_ceil(2);
    blocks()
        .iter()
        .map(|b| {
            side = side.div_ceil(b.stride);
            side
        })
        .collect()
}

/// RGB pixels `[side, side, 3]` (0–255) as the backbone's input `[3, side, side]`, `(x − 127) / 128`.
#[must_use]
pub fn normalise(rgb: &[u8], side: usize) -> Vec<f32> {
    let plane = side * side;
    let mut out = vec![0.0_f32; 3 * plane];
    for (i, px) in rgb.chunks_exact(3).take(plane).enumerate() {
        for c in 0..3 {
            out[c * plane + i] = (f32::from(px[c]) - 127.0) / 128.0;
        }
    }
    out
}

/// What a person reads for each tap of the backbone: `stem`, `block 1`…`block 16`, `head`.
#[must_use]
pub fn tap_titles() -> Vec<String> {
    let mut out = vec!["stem 3×3/2".to_string()];
    for (i, b) in blocks().iter().enumerate() {
        out.push(format!(
            "block {} (MBConv{} {}×{}{}, {} ch)",
            i + 1,
            b.expand,
            b.kernel,
            b.kernel,
            if b.stride == 2 { "/2" } else { "" },
            b.outputs
        ));
    }
    out.push(format!("head 1×1 ({FEATURES} ch)"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_blocks_end_at_320_channels_and_a_seventh_of_the_side() {
        let b = blocks();
        assert_eq!(b.len(), 16);
        assert_eq!(b[15].outputs, 320);
        assert_eq!(b.iter().filter(|b| b.skip()).count(), 9);
        assert_eq!(*block_sides(224).last().unwrap(), 7);
        assert_eq!(*block_sides(160).last().unwrap(), 5);
        assert_eq!(tap_titles().len(), 18);
    }

    #[test]
    fn same_padding_is_tensorflows() {
        assert_eq!(same_padding(224, 3, 2), (0, 1));
        assert_eq!(same_padding(112, 5, 2), (1, 2));
        assert_eq!(same_padding(113, 3, 2), (1, 1));
        assert_eq!(same_padding(56, 3, 1), (1, 1));
        assert_eq!(same_padding(14, 5, 1), (2, 2));
    }

    #[test]
    fn normalise_is_planar_and_centred() {
        let x = normalise(&[255, 127, 0, 0, 0, 0], 1);
        assert_eq!(x, vec![1.0, 0.0, -127.0 / 128.0]);
    }
}
