//! The safetensors format itself (Hugging Face's; PyTorch, JAX and numpy load it): an 8-byte
//! little-endian header size, a JSON header naming each tensor's dtype, shape and byte range,
//! then the bytes. What the tensors mean is for the callers: a network's weights (`weights.rs`)
//! or a person's images (`image_file.rs`).
//!
//! Reading trusts nothing: the header within the file and at most 100 MB, every range inside
//! the data and of exactly its shape's size, no two tensors sharing bytes, known dtypes only.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// A file header's `__metadata__`: string keys to string values.
pub type Metadata = BTreeMap<String, String>;

/// The most a header may take (the format's own readers cap it at 100 MB too).
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// One tensor as a file holds it: its dtype's name (`F32`, `U8`, `I64`…), shape and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawTensor<'a> {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<usize>,
    pub data: &'a [u8],
}

/// Bytes per number of the dtypes this reader knows.
pub fn dtype_bytes(dtype: &str) -> Option<usize> {
    match dtype {
        "BOOL" | "U8" | "I8" => Some(1),
        "F16" | "BF16" | "I16" | "U16" => Some(2),
        "F32" | "I32" | "U32" => Some(4),
        "F64" | "I64" | "U64" => Some(8),
        _ => None,
    }
}

/// Writes `tensors` (name, dtype, shape, little-endian bytes) in the order given, with
/// `metadata` when there is any.
pub fn write(tensors: &[RawTensor<'_>], metadata: &[(&str, &str)]) -> Vec<u8> {
    let mut header = Map::new();
    if !metadata.is_empty() {
        let meta: Map<String, Value> = metadata
            .iter()
            .map(|(key, value)| ((*key).to_owned(), Value::String((*value).to_owned())))
            .collect();
        header.insert("__metadata__".into(), Value::Object(meta));
    }
    let mut offset = 0usize;
    for tensor in tensors {
        let len = tensor.data.len();
        header.insert(
            tensor.name.clone(),
            serde_json::json!({
                "dtype": tensor.dtype,
                "shape": tensor.shape,
                "data_offsets": [offset, offset + len],
            }),
        );
        offset += len;
    }
    let mut json = Value::Object(header).to_string().into_bytes();
    // The data start 8-byte aligned; the format pads the header with spaces.
    while !json.len().is_multiple_of(8) {
        json.push(b' ');
    }
    let mut bytes = Vec::with_capacity(8 + json.len() + offset);
    bytes.extend_from_slice(&(json.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&json);
    for tensor in tensors {
        bytes.extend_from_slice(tensor.data);
    }
    bytes
}

/// Reads a file's tensors (sorted by name) and metadata, checking every offset.
///
/// # Errors
/// What is wrong, in words: cut off, a header that is not JSON or longer than the file, a
/// tensor beyond the data or of another size than its shape, an unknown dtype, shared bytes.
pub fn read(bytes: &[u8]) -> Result<(Vec<RawTensor<'_>>, Metadata), String> {
    let header_len = bytes
        .get(..8)
        .map(|head| u64::from_le_bytes(head.try_into().unwrap_or([0; 8])))
        .ok_or("shorter than its 8-byte header size")?;
    if header_len > MAX_HEADER_BYTES || header_len > (bytes.len() - 8) as u64 {
        return Err("its header is longer than the file".into());
    }
    let data_start = 8 + usize::try_from(header_len).map_err(|_| "its header is too long")?;
    let header: Map<String, Value> = serde_json::from_slice(&bytes[8..data_start])
        .map_err(|error| format!("its header is not JSON: {error}"))?;
    let data = &bytes[data_start..];
    let mut metadata = BTreeMap::new();
    let mut tensors = Vec::new();
    for (name, entry) in header {
        if name == "__metadata__" {
            let Value::Object(meta) = entry else {
                return Err("its metadata is not a map of strings".into());
            };
            for (key, value) in meta {
                let Value::String(value) = value else {
                    return Err("its metadata is not a map of strings".into());
                };
                metadata.insert(key, value);
            }
            continue;
        }
        #[derive(Deserialize)]
        struct Info {
            dtype: String,
            shape: Vec<usize>,
            data_offsets: [usize; 2],
        }
        let info: Info = serde_json::from_value(entry)
            .map_err(|error| format!("the entry for \"{name}\" is malformed: {error}"))?;
        let width = dtype_bytes(&info.dtype)
            .ok_or_else(|| format!("\"{name}\" has the unknown dtype {}", info.dtype))?;
        let [start, end] = info.data_offsets;
        let count = info
            .shape
            .iter()
            .try_fold(1usize, |acc, &dim| acc.checked_mul(dim));
        if start > end
            || end > data.len()
            || count.and_then(|count| count.checked_mul(width)) != Some(end - start)
        {
            return Err(format!(
                "\"{name}\" declares data beyond the file or of another size than its shape"
            ));
        }
        tensors.push(RawTensor {
            name,
            dtype: info.dtype,
            shape: info.shape,
            data: &data[start..end],
        });
    }
    let mut ranges: Vec<(usize, usize)> = tensors
        .iter()
        .map(|tensor| {
            let start = tensor.data.as_ptr() as usize - data.as_ptr() as usize;
            (start, start + tensor.data.len())
        })
        .filter(|(start, end)| start < end)
        .collect();
    ranges.sort_unstable();
    if ranges.windows(2).any(|pair| pair[0].1 > pair[1].0) {
        return Err("two tensors share the same bytes".into());
    }
    Ok((tensors, metadata))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_tensors_of_several_dtypes() {
        let pixels = [1_u8, 2, 3, 4, 5, 6];
        let labels: Vec<u8> = [7_i64, -1].iter().flat_map(|v| v.to_le_bytes()).collect();
        let tensors = [
            RawTensor {
                name: "pixels".into(),
                dtype: "U8".into(),
                shape: vec![2, 3],
                data: &pixels,
            },
            RawTensor {
                name: "labels".into(),
                dtype: "I64".into(),
                shape: vec![2],
                data: &labels,
            },
        ];
        let bytes = write(&tensors, &[("format", "test")]);
        let (read_back, metadata) = read(&bytes).unwrap();
        assert_eq!(metadata["format"], "test");
        let by_name = |name: &str| read_back.iter().find(|t| t.name == name).unwrap();
        assert_eq!(by_name("pixels").data, pixels);
        assert_eq!(by_name("labels").data, labels.as_slice());
        assert_eq!(by_name("labels").shape, vec![2]);
        for len in 0..bytes.len() {
            assert!(read(&bytes[..len]).is_err(), "cut at {len}");
        }
    }
}
