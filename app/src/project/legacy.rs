//! Image-lab links made before the one URL codec: `#lab=` then the setup as percent-encoded
//! JSON, with the image network of the build before the one network type. Such links still
//! open the same project.

use agora_engine::net::Network;
use agora_engine::photos::Augment;
use agora_engine::recipe::Recipe;
use serde::Deserialize;

use super::{Data, Project};
use crate::backend::BackendChoice;

/// The fragment prefix of those links.
pub const PREFIX: &str = "lab=";

/// The image lab's setup as those links hold it.
#[derive(Deserialize)]
struct OldLab {
    network: Network,
    recipe: Recipe,
    seed: u64,
    train_percent: u8,
    backend: BackendChoice,
    #[serde(default)]
    data: OldData,
    #[serde(default)]
    augment: Augment,
}

#[derive(Default, Deserialize)]
enum OldData {
    #[default]
    Digits,
    Photos {
        side: usize,
        colour: bool,
    },
}

/// The project an old `#lab=` link holds (after the prefix).
///
/// # Errors
/// The link is cut, garbled or not an image-lab setup.
pub fn read(encoded: &str) -> Result<Project, String> {
    let json = percent_decode(encoded).ok_or_else(|| "the link is cut or garbled".to_owned())?;
    let mut value: serde_json::Value = serde_json::from_str(&json)
        .map_err(|error| format!("the link's setup could not be read ({error})"))?;
    upgrade_image_network(&mut value);
    let old: OldLab = serde_json::from_value(value)
        .map_err(|error| format!("the link's setup could not be read ({error})"))?;
    let mut project = Project {
        data: match old.data {
            OldData::Digits => Data::Digits,
            OldData::Photos { side, colour } => Data::Photos {
                side,
                colour,
                pretrained: false,
            },
        },
        network: old.network,
        recipe: old.recipe,
        seed: old.seed,
        train_percent: old.train_percent,
        augment: old.augment,
        backend: old.backend,
    };
    project.settle();
    Ok(project)
}

/// Links made before the playground and the lab shared one network type held an image
/// network as `{"input": {channels, height, width}, "layers": […], "classes": n}`: rewrite
/// it as the one network type (`input: {"Image": …}`, `head: {"Classification": …}`).
fn upgrade_image_network(doc: &mut serde_json::Value) {
    let Some(network) = doc
        .get_mut("network")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    let Some(classes) = network.remove("classes") else {
        return;
    };
    if let Some(input) = network.remove("input") {
        network.insert("input".into(), serde_json::json!({ "Image": input }));
    }
    network.insert(
        "head".into(),
        serde_json::json!({ "Classification": { "classes": classes } }),
    );
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}
