//! A network's parameters (every layer's tensors, batch-norm statistics included) as one vector
//! of numbers in a fixed order, and back into the layers' shapes: what an update is.

use agora_engine::params::{HostTensor, LayerParams};

/// Every number of every tensor, layer by layer, in order.
pub fn flatten(params: &[LayerParams]) -> Vec<f32> {
    params
        .iter()
        .flatten()
        .flat_map(|tensor| tensor.values.iter().copied())
        .collect()
}

/// How many numbers the layers hold.
pub fn count(params: &[LayerParams]) -> usize {
    params
        .iter()
        .flatten()
        .map(|tensor| tensor.values.len())
        .sum()
}

/// `values` poured into the shapes of `like`, or `None` when the count differs.
pub fn unflatten(like: &[LayerParams], values: &[f32]) -> Option<Vec<LayerParams>> {
    if count(like) != values.len() {
        return None;
    }
    let mut at = 0;
    Some(
        like.iter()
            .map(|layer| {
                layer
                    .iter()
                    .map(|tensor| {
                        let n = tensor.values.len();
                        let out = HostTensor {
                            shape: tensor.shape.clone(),
                            values: values[at..at + n].to_vec(),
                        };
                        at += n;
                        out
                    })
                    .collect()
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_engine::net::{ImageSize, Network};
    use agora_engine::params::initial_params;
    use agora_engine::recipe::Init;

    #[test]
    fn flatten_and_back_is_the_same_network() {
        let size = ImageSize {
            channels: 1,
            height: 28,
            width: 28,
        };
        let network = Network::lenet(size, 10);
        let params = initial_params(&network, Init::Torch, 3).expect("valid");
        let flat = flatten(&params);
        assert_eq!(flat.len(), count(&params));
        assert_eq!(unflatten(&params, &flat), Some(params.clone()));
        assert_eq!(unflatten(&params, &flat[1..]), None);
    }
}
