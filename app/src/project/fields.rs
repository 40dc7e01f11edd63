//! The project's link: one table of fields for every project (the data, the network, the
//! shared recipe and backend, the table and the augmentation), read and written by the one
//! codec in [`crate::link`]. A field is written only when the project's data carry it: the
//! playground's points write their noise, features and cards (`layers=4.tanh,2.tanh`), images
//! their layers as words (`net=conv16k3s1p1d1,relu,…`).

use agora_engine::data::DatasetKind;
use agora_engine::net::{Feature, Head, Input, Layer, MAX_CLASSES, MAX_LAYERS, Network};
use agora_engine::photos::Augment;
use agora_engine::recipe::Recipe;
use agora_engine::table::{TableChoice, TableTask};

use super::{Data, Project, TableSetup, table_name};
use crate::backend::BackendChoice;
use crate::link::{self, Field};
use crate::plane::{self, LayerSpec, MAX_UNITS, activation_from_key, activation_key};

/// Whether a link opens an image project: `#lab`, an old `#lab=…` link, or a link whose data
/// are images (`data=digits`, `data=photos`).
pub fn is_images_link(fragment: &str) -> bool {
    let fragment = fragment.trim_start_matches('#');
    fragment == "lab"
        || fragment.starts_with(super::legacy::PREFIX)
        || matches!(link::value(fragment, "data"), Some("digits" | "photos"))
}

impl link::Settings for Project {
    fn recipe(&self) -> &Recipe {
        &self.recipe
    }
    fn recipe_mut(&mut self) -> &mut Recipe {
        &mut self.recipe
    }
    fn default_recipe(&self) -> Recipe {
        Project::starting(self.data.is_images()).recipe
    }
    fn backend_mut(&mut self) -> &mut BackendChoice {
        &mut self.backend
    }
    fn backend(&self) -> BackendChoice {
        self.backend
    }
}

impl Project {
    /// The link (without `#`) that reproduces this project.
    pub fn to_fragment(&self) -> String {
        link::encode(&fields(), self)
    }

    /// Reads a link written by [`to_fragment`](Self::to_fragment), by an older build (the
    /// playground's `#data=…`, the image lab's `#lab=…` JSON) or `#lab` (the image
    /// classifier's opening setup). Missing or unreadable entries keep their defaults; the
    /// names of those that could not be read are returned so the page can say so.
    ///
    /// # Errors
    /// An old `#lab=…` link that is cut or garbled; the caller opens the digits instead.
    pub fn from_fragment(fragment: &str) -> Result<(Project, Vec<String>), String> {
        let fragment = fragment.trim_start_matches('#');
        if fragment == "lab" {
            return Ok((Project::digits(), Vec::new()));
        }
        if let Some(encoded) = fragment.strip_prefix(super::legacy::PREFIX) {
            return super::legacy::read(encoded).map(|project| (project, Vec::new()));
        }
        let mut project = Project::starting(is_images_link(fragment));
        let unreadable = link::decode(&fields(), fragment, &mut project);
        project.settle();
        Ok((project, unreadable))
    }
}

/// A card as a link holds it: "8.tanh", with ".bn", ".res" and ".d25" after it when set.
fn card_entry(card: &LayerSpec) -> String {
    let LayerSpec::Dense {
        units,
        activation,
        norm,
        skip,
        dropout,
    } = card;
    let mut entry = format!("{units}.{}", activation_key(*activation));
    if *norm {
        entry.push_str(".bn");
    }
    if *skip {
        entry.push_str(".res");
    }
    if *dropout > 0 {
        entry.push_str(&format!(".d{dropout}"));
    }
    entry
}

fn read_card(entry: &str) -> Option<LayerSpec> {
    let mut parts = entry.split('.');
    let units = parts.next()?.parse::<usize>().ok()?.min(MAX_UNITS + 1);
    let activation = activation_from_key(parts.next()?)?;
    let mut card = LayerSpec::dense(units, activation);
    let LayerSpec::Dense {
        norm,
        skip,
        dropout,
        ..
    } = &mut card;
    for part in parts {
        match part {
            "bn" => *norm = true,
            "res" => *skip = true,
            rate => *dropout = rate.strip_prefix('d')?.parse::<u8>().ok()?.min(90),
        }
    }
    Some(card)
}

/// A table setup before the link says which file and columns.
fn empty_table() -> Data {
    Data::Table(TableSetup {
        name: String::new(),
        choice: TableChoice {
            label: 0,
            features: Vec::new(),
            task: TableTask::Classes,
        },
        classes: 0,
    })
}

/// Reads a value into the table setup (the data turn into a table when a link names one),
/// if the data are rows of numbers.
fn table_read(project: &mut Project, read: impl FnOnce(&mut TableSetup) -> bool) -> bool {
    if project.data.is_images() {
        return false;
    }
    if !matches!(project.data, Data::Table(_)) {
        project.data = empty_table();
    }
    match &mut project.data {
        Data::Table(table) => read(table),
        _ => false,
    }
}

/// Every field of a link, in the order a link writes them.
#[allow(clippy::too_many_lines)] // one table, as TensorFlow Playground's state.ts
fn fields() -> Vec<Field<Project>> {
    let mut fields: Vec<Field<Project>> = vec![
        Field {
            key: "data",
            write: |p| {
                Some(match &p.data {
                    Data::Points { kind, .. } => kind.key().to_owned(),
                    Data::Table(_) => "table".to_owned(),
                    Data::Digits => "digits".to_owned(),
                    Data::Photos { .. } => "photos".to_owned(),
                })
            },
            read: |p, v| {
                // The link's first entry; an image link started from the digits.
                p.data = match (v, &p.data) {
                    ("digits", data) if data.is_images() => Data::Digits,
                    ("photos", Data::Photos { .. }) => return true,
                    ("photos", Data::Digits) => Data::PHOTOS,
                    ("table", Data::Table(_)) => return true,
                    ("table", data) if !data.is_images() => empty_table(),
                    (key, data) if !data.is_images() => match DatasetKind::from_key(key) {
                        Some(kind) => Data::Points {
                            kind,
                            noise_percent: 0,
                            classes: 2,
                        },
                        None => return false,
                    },
                    _ => return false,
                };
                true
            },
        },
        Field {
            key: "pretrained",
            write: |p| {
                p.data
                    .is_pretrained()
                    .then(|| "efficientnet-lite0".to_owned())
            },
            read: |p, v| {
                let (true, Data::Photos { side, .. }) = (v == "efficientnet-lite0", &p.data) else {
                    return false;
                };
                p.data = Data::Photos {
                    side: *side,
                    colour: true,
                    pretrained: true,
                };
                true
            },
        },
        Field {
            key: "side",
            write: |p| match p.data {
                Data::Photos { side, .. } => Some(side.to_string()),
                _ => None,
            },
            read: |p, v| {
                // Only photos have a size to choose (the link names the data first).
                let (
                    Ok(new),
                    Data::Photos {
                        colour, pretrained, ..
                    },
                ) = (v.parse::<usize>(), &p.data)
                else {
                    return false;
                };
                let sides: &[usize] = if *pretrained {
                    &agora_engine::pretrained::INPUT_SIZES
                } else {
                    &Data::PHOTO_SIDES
                };
                if !sides.contains(&new) {
                    return false;
                }
                p.data = Data::Photos {
                    side: new,
                    colour: *colour,
                    pretrained: *pretrained,
                };
                true
            },
        },
        Field {
            key: "colour",
            write: |p| match p.data {
                Data::Photos { colour, .. } => Some(u8::from(colour).to_string()),
                _ => None,
            },
            read: |p, v| {
                let (
                    Some(new),
                    Data::Photos {
                        side, pretrained, ..
                    },
                ) = (link::flag(v), &p.data)
                else {
                    return false;
                };
                p.data = Data::Photos {
                    side: *side,
                    colour: new,
                    pretrained: *pretrained,
                };
                true
            },
        },
        Field {
            key: "classes",
            write: |p| match &p.data {
                Data::Points { classes, .. } => Some(classes.to_string()),
                Data::Photos { .. } => Some(p.network.classes().to_string()),
                Data::Table(_) | Data::Digits => None,
            },
            read: |p, v| {
                let Ok(count) = v.parse::<usize>() else {
                    return false;
                };
                match &mut p.data {
                    Data::Points { classes, .. } => *classes = count,
                    Data::Photos { .. } if (2..=MAX_CLASSES).contains(&count) => {
                        p.network.head = Head::Classification { classes: count };
                    }
                    _ => return false,
                }
                true
            },
        },
        Field {
            key: "net",
            write: |p| {
                p.data.is_images().then(|| {
                    p.network
                        .layers
                        .iter()
                        .map(Layer::token)
                        .collect::<Vec<_>>()
                        .join(",")
                })
            },
            read: |p, v| {
                let layers: Option<Vec<Layer>> = v
                    .split(',')
                    .filter(|word| !word.is_empty())
                    .map(Layer::from_token)
                    .collect();
                let Some(layers) = layers.filter(|layers| layers.len() <= MAX_LAYERS) else {
                    return false;
                };
                let network = Network {
                    layers,
                    ..p.network.clone()
                };
                // Rows of numbers take only networks the playground can draw.
                if !p.data.is_images() && plane::cards(&network).is_none() {
                    return false;
                }
                p.network = network;
                true
            },
        },
        Field {
            key: "noise",
            write: |p| match p.data {
                Data::Points { noise_percent, .. } => Some(noise_percent.to_string()),
                _ => None,
            },
            read: |p, v| match (&mut p.data, v.parse::<u32>()) {
                (Data::Points { noise_percent, .. }, Ok(noise)) => {
                    *noise_percent = noise;
                    true
                }
                _ => false,
            },
        },
        Field {
            key: "train",
            write: |p| Some(p.train_percent.to_string()),
            read: |p, v| {
                v.parse::<u32>()
                    .map(|t| p.train_percent = u8::try_from(t.min(100)).unwrap_or(100))
                    .is_ok()
            },
        },
        Field {
            key: "seed",
            write: |p| Some(p.seed.to_string()),
            read: |p, v| v.parse().map(|s| p.seed = s).is_ok(),
        },
        Field {
            key: "features",
            write: |p| {
                matches!(p.data, Data::Points { .. }).then(|| {
                    p.features()
                        .iter()
                        .map(|f| f.key())
                        .collect::<Vec<_>>()
                        .join(",")
                })
            },
            read: |p, v| {
                let parsed: Option<Vec<Feature>> = v
                    .split(',')
                    .filter(|key| !key.is_empty())
                    .map(Feature::from_key)
                    .collect();
                match (parsed, &mut p.network.input) {
                    (Some(features), Input::Points { features: current }) => {
                        *current = features;
                        true
                    }
                    _ => false,
                }
            },
        },
        Field {
            key: "layers",
            write: |p| {
                (!p.data.is_images()).then(|| {
                    p.cards()
                        .iter()
                        .map(card_entry)
                        .collect::<Vec<_>>()
                        .join(",")
                })
            },
            read: |p, v| {
                let parsed: Option<Vec<LayerSpec>> = v
                    .split(',')
                    .filter(|e| !e.is_empty())
                    .map(read_card)
                    .collect();
                match parsed {
                    Some(cards) if !p.data.is_images() => {
                        p.network = plane::network(&p.network.input, &cards, p.network.head);
                        true
                    }
                    _ => false,
                }
            },
        },
    ];
    fields.extend(link::settings_fields());
    fields.extend([
        Field {
            key: "table",
            write: |p: &Project| p.data.table().map(|t| table_name(&t.name)),
            read: |p, v| {
                let name = table_name(v);
                !name.is_empty()
                    && table_read(p, |t| {
                        t.name = name;
                        true
                    })
            },
        },
        Field {
            key: "label",
            write: |p: &Project| p.data.table().map(|t| t.choice.label.to_string()),
            read: |p, v| match v.parse() {
                Ok(label) => table_read(p, |t| {
                    t.choice.label = label;
                    true
                }),
                Err(_) => false,
            },
        },
        Field {
            key: "cols",
            write: |p: &Project| {
                p.data.table().map(|t| {
                    t.choice
                        .features
                        .iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                })
            },
            read: |p, v| {
                let parsed: Result<Vec<usize>, _> = v
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::parse)
                    .collect();
                match parsed {
                    Ok(features) => table_read(p, |t| {
                        t.choice.features = features;
                        true
                    }),
                    Err(_) => false,
                }
            },
        },
        Field {
            key: "task",
            write: |p: &Project| {
                p.data.table().map(|t| match t.choice.task {
                    TableTask::Classes => "classes".to_owned(),
                    TableTask::Number => "number".to_owned(),
                })
            },
            read: |p, v| {
                let task = match v {
                    "classes" => TableTask::Classes,
                    "number" => TableTask::Number,
                    _ => return false,
                };
                table_read(p, |t| {
                    t.choice.task = task;
                    true
                })
            },
        },
        Field {
            key: "tclasses",
            write: |p: &Project| p.data.table().map(|t| t.classes.to_string()),
            read: |p, v| match v.parse() {
                Ok(classes) => table_read(p, |t| {
                    t.classes = classes;
                    true
                }),
                Err(_) => false,
            },
        },
        Field {
            key: "aug",
            write: |p: &Project| {
                let a = p.augment;
                let on: Vec<&str> = [(a.flip, "flip"), (a.crop, "crop"), (a.brightness, "light")]
                    .into_iter()
                    .filter_map(|(on, name)| on.then_some(name))
                    .collect();
                (!on.is_empty()).then(|| on.join(","))
            },
            read: |p, v| {
                let mut augment = Augment::NONE;
                for name in v.split(',').filter(|n| !n.is_empty()) {
                    match name {
                        "flip" => augment.flip = true,
                        "crop" => augment.crop = true,
                        "light" => augment.brightness = true,
                        _ => return false,
                    }
                }
                p.augment = augment;
                true
            },
        },
    ]);
    fields
}
