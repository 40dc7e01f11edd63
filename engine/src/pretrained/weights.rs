//! The pretrained weights file: safetensors, as `scripts/pretrained/convert.py` writes it.
//! Each kernel is F32, or I8 with an F32 `<name>_scale` per output channel, or 4-bit in a U8
//! `<name>_int4` (two numbers a byte, low nibble first, two's complement) with its scale;
//! biases are F32. ImageNet's class names are in the metadata (`agora.classes`). Reading checks
//! every tensor the network needs against its shape and refuses anything else.

use std::collections::BTreeMap;

use super::{FEATURES, IMAGENET_CLASSES, STEM, blocks};
use crate::params::HostTensor;
use crate::safetensors::{self, RawTensor};

/// Where the page finds the compact file (beside `index.html`).
pub const WEIGHTS_FILE: &str = "models/efficientnet-lite0.safetensors";

/// The backbone's numbers, dequantised, and ImageNet's class names.
#[derive(Clone, Debug)]
pub struct PretrainedWeights {
    /// By name (`stem.weight`, `blocks.3.expand.bias`, `head.weight`, `classifier.weight`…):
    /// kernels `[out, in / groups, k, k]`, the classifier `[1000, 1280]`.
    pub tensors: BTreeMap<String, HostTensor>,
    pub classes: Vec<String>,
}

/// Every tensor the network has and its shape.
#[must_use]
pub fn expected_shapes() -> Vec<(String, Vec<usize>)> {
    let mut out = vec![
        ("stem.weight".to_string(), vec![STEM, 3, 3, 3]),
        ("stem.bias".to_string(), vec![STEM]),
    ];
    for (i, b) in blocks().iter().enumerate() {
        let hidden = b.hidden();
        if b.expand != 1 {
            out.push((
                format!("blocks.{i}.expand.weight"),
                vec![hidden, b.inputs, 1, 1],
            ));
            out.push((format!("blocks.{i}.expand.bias"), vec![hidden]));
        }
        out.push((
            format!("blocks.{i}.depthwise.weight"),
            vec![hidden, 1, b.kernel, b.kernel],
        ));
        out.push((format!("blocks.{i}.depthwise.bias"), vec![hidden]));
        out.push((
            format!("blocks.{i}.project.weight"),
            vec![b.outputs, hidden, 1, 1],
        ));
        out.push((format!("blocks.{i}.project.bias"), vec![b.outputs]));
    }
    out.push(("head.weight".into(), vec![FEATURES, 320, 1, 1]));
    out.push(("head.bias".into(), vec![FEATURES]));
    out.push(("classifier.weight".into(), vec![IMAGENET_CLASSES, FEATURES]));
    out.push(("classifier.bias".into(), vec![IMAGENET_CLASSES]));
    out
}

fn f32s(raw: &RawTensor<'_>) -> Vec<f32> {
    raw.data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

impl PretrainedWeights {
    /// Reads the file's bytes.
    ///
    /// # Errors
    /// What is wrong, in words: not safetensors, a tensor missing, of another shape or dtype,
    /// a number that is not finite, a tensor the network does not have, no class names.
    pub fn read(bytes: &[u8]) -> Result<Self, String> {
        let (raw, metadata) = safetensors::read(bytes)
            .map_err(|e| format!("the pretrained weights are not a safetensors file: {e}"))?;
        let by_name: BTreeMap<&str, &RawTensor<'_>> =
            raw.iter().map(|t| (t.name.as_str(), t)).collect();
        let mut used = 0;
        let mut tensors = BTreeMap::new();
        for (name, shape) in expected_shapes() {
            let count: usize = shape.iter().product();
            let rows = shape[0];
            let per = count / rows;
            let scale = |used: &mut usize| -> Result<Vec<f32>, String> {
                let s = by_name
                    .get(format!("{name}_scale").as_str())
                    .ok_or_else(|| format!("the pretrained weights lack {name}_scale"))?;
                *used += 1;
                if s.dtype != "F32" || s.shape != [rows] {
                    return Err(format!("{name}_scale should be F32 [{rows}]"));
                }
                Ok(f32s(s))
            };
            let values = if let Some(t) = by_name.get(name.as_str()) {
                used += 1;
                match t.dtype.as_str() {
                    "F32" if t.shape == shape => f32s(t),
                    "I8" if t.shape == shape => {
                        let s = scale(&mut used)?;
                        t.data
                            .iter()
                            .enumerate()
                            .map(|(i, &q)| f32::from(q as i8) * s[i / per])
                            .collect()
                    }
                    _ => {
                        return Err(format!(
                            "{name} should be F32 or I8 {shape:?}, the file has {} {:?}",
                            t.dtype, t.shape
                        ));
                    }
                }
            } else if let Some(t) = by_name.get(format!("{name}_int4").as_str()) {
                used += 1;
                let width = per.div_ceil(2);
                if t.dtype != "U8" || t.shape != [rows, width] {
                    return Err(format!("{name}_int4 should be U8 [{rows}, {width}]"));
                }
                let s = scale(&mut used)?;
                let mut out = Vec::with_capacity(count);
                for (r, row_scale) in s.iter().enumerate() {
                    for i in 0..per {
                        let byte = t.data[r * width + i / 2];
                        let nibble = (byte >> (4 * (i % 2))) & 0xF;
                        let q = if nibble >= 8 {
                            i16::from(nibble) - 16
                        } else {
                            i16::from(nibble)
                        };
                        out.push(f32::from(q) * row_scale);
                    }
                }
                out
            } else {
                return Err(format!("the pretrained weights lack {name}"));
            };
            if values.iter().any(|v| !v.is_finite()) {
                return Err(format!("{name} holds a number that is not finite"));
            }
            tensors.insert(name, HostTensor { shape, values });
        }
        if used != raw.len() {
            return Err(format!(
                "the pretrained weights hold {} tensors the network does not have",
                raw.len() - used
            ));
        }
        let classes: Vec<String> = metadata
            .get("agora.classes")
            .and_then(|c| serde_json::from_str(c).ok())
            .ok_or("the pretrained weights carry no ImageNet class names")?;
        if classes.len() != IMAGENET_CLASSES {
            return Err(format!(
                "the pretrained weights name {} classes, not 1000",
                classes.len()
            ));
        }
        Ok(Self { tensors, classes })
    }

    /// A tensor by name (every name of [`expected_shapes`] is there once read).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&HostTensor> {
        self.tensors.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(quantised: bool, drop: Option<&str>) -> Vec<u8> {
        let shapes = expected_shapes();
        let mut blobs: Vec<(String, String, Vec<usize>, Vec<u8>)> = Vec::new();
        for (name, shape) in &shapes {
            if Some(name.as_str()) == drop {
                continue;
            }
            let count: usize = shape.iter().product();
            if quantised && name == "classifier.weight" {
                let width = FEATURES.div_ceil(2);
                // every number −1 (nibble 0xF), scale 0.5
                blobs.push((
                    format!("{name}_int4"),
                    "U8".into(),
                    vec![shape[0], width],
                    vec![0xFF; shape[0] * width],
                ));
                blobs.push((
                    format!("{name}_scale"),
                    "F32".into(),
                    vec![shape[0]],
                    0.5_f32.to_le_bytes().repeat(shape[0]),
                ));
            } else if quantised && name.ends_with(".weight") {
                blobs.push((name.clone(), "I8".into(), shape.clone(), vec![2; count]));
                blobs.push((
                    format!("{name}_scale"),
                    "F32".into(),
                    vec![shape[0]],
                    0.25_f32.to_le_bytes().repeat(shape[0]),
                ));
            } else {
                blobs.push((
                    name.clone(),
                    "F32".into(),
                    shape.clone(),
                    1.0_f32.to_le_bytes().repeat(count),
                ));
            }
        }
        let raw: Vec<RawTensor<'_>> = blobs
            .iter()
            .map(|(n, d, s, b)| RawTensor {
                name: n.clone(),
                dtype: d.clone(),
                shape: s.clone(),
                data: b,
            })
            .collect();
        let classes = serde_json::to_string(&vec!["x"; 1000]).unwrap();
        safetensors::write(&raw, &[("agora.classes", &classes)])
    }

    #[test]
    fn int8_and_int4_are_dequantised_by_their_scales() {
        let w = PretrainedWeights::read(&file(true, None)).unwrap();
        assert!(
            w.get("stem.weight")
                .unwrap()
                .values
                .iter()
                .all(|&v| v == 0.5)
        );
        assert!(
            w.get("classifier.weight")
                .unwrap()
                .values
                .iter()
                .all(|&v| v == -0.5)
        );
        assert_eq!(
            w.get("classifier.weight").unwrap().values.len(),
            1000 * FEATURES
        );
        assert!(w.get("stem.bias").unwrap().values.iter().all(|&v| v == 1.0));
        assert_eq!(w.classes.len(), 1000);
    }

    #[test]
    fn a_missing_tensor_or_a_foreign_file_is_named() {
        let err = PretrainedWeights::read(&file(false, Some("blocks.7.project.bias"))).unwrap_err();
        assert!(err.contains("blocks.7.project.bias"), "{err}");
        let err = PretrainedWeights::read(b"not a file").unwrap_err();
        assert!(err.contains("not a safetensors file"), "{err}");
    }
}
