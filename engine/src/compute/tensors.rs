//! Host numbers to device tensors: images as floats in `[0, 1]`, rows, one-hot targets, class
//! indices, and [`HostTensor`]s as parameters.

use burn::module::Param;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::images::ImageSet;
use crate::params::HostTensor;
use crate::samples::{Rows, Targets};

/// A host tensor on `device`, checked to have rank `D` and as many values as its shape.
pub(crate) fn tensor<const D: usize>(
    host: &HostTensor,
    device: &Device,
) -> Result<Tensor<D>, String> {
    let count: usize = host.shape.iter().product();
    if host.shape.len() != D || count != host.values.len() {
        return Err(format!(
            "expected a rank-{D} tensor, got shape {:?} with {} values",
            host.shape,
            host.values.len()
        ));
    }
    Ok(Tensor::from_data(
        TensorData::new(host.values.clone(), host.shape.clone()),
        device,
    ))
}

pub(crate) fn param<const D: usize>(
    host: &HostTensor,
    device: &Device,
) -> Result<Param<Tensor<D>>, String> {
    tensor(host, device).map(Param::from_tensor)
}

/// Images as `[count, channels, height, width]` floats in `[0, 1]`.
pub fn images_tensor(set: &ImageSet, device: &Device) -> Tensor<4> {
    let size = set.size;
    let (c, h, w) = (size.channels, size.height, size.width);
    let mut values = vec![0.0_f32; set.len() * c * h * w];
    for index in 0..set.len() {
        let image = set.image(index);
        let base = index * c * h * w;
        for y in 0..h {
            for x in 0..w {
                for channel in 0..c {
                    values[base + channel * h * w + y * w + x] =
                        f32::from(image[(y * w + x) * c + channel]) / 255.0;
                }
            }
        }
    }
    Tensor::from_data(TensorData::new(values, [set.len(), c, h, w]), device)
}

/// Rows as `[count, columns]`.
pub fn rows_tensor(rows: &Rows, device: &Device) -> Tensor<2> {
    Tensor::from_data(
        TensorData::new(rows.values.clone(), [rows.len(), rows.columns]),
        device,
    )
}

/// Targets as the loss reads them: one-hot `[count, classes]`, or values `[count, 1]`.
pub fn targets_tensor(targets: &Targets, classes: usize, device: &Device) -> Tensor<2> {
    match targets {
        Targets::Classes(labels) => one_hot(labels, classes, device),
        Targets::Values(values) => {
            Tensor::from_data(TensorData::new(values.clone(), [values.len(), 1]), device)
        }
    }
}

/// One-hot labels `[count, classes]`.
pub fn one_hot(labels: &[u8], classes: usize, device: &Device) -> Tensor<2> {
    let mut values = vec![0.0_f32; labels.len() * classes];
    for (row, &label) in labels.iter().enumerate() {
        if usize::from(label) < classes {
            values[row * classes + usize::from(label)] = 1.0;
        }
    }
    Tensor::from_data(TensorData::new(values, [labels.len(), classes]), device)
}

/// Class indices `[count]`.
pub(crate) fn labels_tensor(labels: &[u8], device: &Device) -> Tensor<1, Int> {
    let values: Vec<i64> = labels.iter().map(|&label| i64::from(label)).collect();
    Tensor::from_data(TensorData::new(values, [labels.len()]), device)
}
