//! Edits to a layer graph that keep skip connections pointing at the same layer: inserting,
//! removing or moving a layer renumbers every `Add`/`Concat` source after it.

use agora_engine::net::Layer;

/// Inserts at `at` and renumbers skip sources that point past it.
pub fn insert(layers: &mut Vec<Layer>, at: usize, layer: Layer) {
    let at = at.min(layers.len());
    for later in layers.iter_mut().skip(at) {
        renumber(later, |from| if from > at { from + 1 } else { from });
    }
    layers.insert(at, layer);
}

/// Removes layer `at`; skips that took its output now take its input.
pub fn remove(layers: &mut Vec<Layer>, at: usize) {
    if at >= layers.len() {
        return;
    }
    layers.remove(at);
    for later in layers.iter_mut().skip(at) {
        renumber(later, |from| if from > at { from - 1 } else { from });
    }
}

/// Moves layer `from` to position `to`, its skips following it.
pub fn move_layer(layers: &mut Vec<Layer>, from: usize, to: usize) {
    if from < layers.len() && to < layers.len() && from != to {
        let layer = layers[from].clone();
        remove(layers, from);
        insert(layers, to, layer);
    }
}

fn renumber(layer: &mut Layer, map: impl Fn(usize) -> usize) {
    match layer {
        Layer::Add { from } | Layer::Concat { from } => *from = map(*from),
        _ => {}
    }
}
