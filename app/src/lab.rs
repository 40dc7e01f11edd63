//! The image lab's state: the image network being drawn with its training recipe
//! ([`LabDoc`]).
//!
//! Edits keep skip connections pointing at the same layer: inserting, removing or moving a
//! layer renumbers every `Add`/`Concat` source after it.

use agora_engine::net::{
    Fix, GraphError, GraphReport, Head, ImageSize, Input, Layer, MAX_CLASSES, MAX_LAYERS, Network,
    infer_graph,
};
use agora_engine::photos::Augment;
use agora_engine::recipe::Recipe;
use serde::{Deserialize, Serialize};

use crate::backend::BackendChoice;
use crate::link::{self, Field};

/// The bundled digits: 28×28 grey, ten classes.
pub const DIGITS: ImageSize = ImageSize {
    channels: 1,
    height: 28,
    width: 28,
};
pub const DIGIT_CLASSES: usize = 10;

/// What the lab trains on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataChoice {
    /// The bundled handwritten digits.
    #[default]
    Digits,
    /// The person's own images (kept in this browser), resampled to `side`×`side`.
    Photos { side: usize, colour: bool },
}

impl DataChoice {
    /// Input sizes offered for photos.
    pub const PHOTO_SIDES: [usize; 5] = [16, 28, 32, 48, 64];
    pub const PHOTOS: DataChoice = DataChoice::Photos {
        side: 32,
        colour: true,
    };

    pub fn input(self) -> ImageSize {
        match self {
            DataChoice::Digits => DIGITS,
            DataChoice::Photos { side, colour } => ImageSize {
                channels: if colour { 3 } else { 1 },
                height: side,
                width: side,
            },
        }
    }

    pub fn is_photos(self) -> bool {
        matches!(self, DataChoice::Photos { .. })
    }

    fn sanitized(self) -> DataChoice {
        match self {
            DataChoice::Digits => self,
            DataChoice::Photos { side, colour } => DataChoice::Photos {
                side: if DataChoice::PHOTO_SIDES.contains(&side) {
                    side
                } else {
                    32
                },
                colour,
            },
        }
    }
}

/// Ready-made networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preset {
    LeNet,
    ResNet,
    /// Only the head, to build the rest by hand.
    Empty,
}

impl Preset {
    pub const ALL: [Preset; 3] = [Preset::LeNet, Preset::ResNet, Preset::Empty];

    pub fn label(self) -> &'static str {
        match self {
            Preset::LeNet => "LeNet (small CNN)",
            Preset::ResNet => "Small ResNet (skip connection)",
            Preset::Empty => "Empty (build your own)",
        }
    }

    /// The preset for the digits.
    pub fn network(self) -> Network {
        self.network_for(DIGITS, DIGIT_CLASSES)
    }

    pub fn network_for(self, input: ImageSize, classes: usize) -> Network {
        match self {
            Preset::LeNet => Network::lenet(input, classes),
            Preset::ResNet => Network::small_resnet(input, classes),
            Preset::Empty => Network {
                input: Input::Image(input),
                layers: vec![
                    Layer::Flatten,
                    Layer::Dense { units: classes },
                    Layer::Softmax,
                ],
                head: Head::Classification { classes },
            },
        }
    }
}

/// What the user set up in the lab.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabDoc {
    pub network: Network,
    pub recipe: Recipe,
    pub seed: u64,
    /// Share of the digits used for training; the rest validates.
    pub train_percent: u8,
    pub backend: BackendChoice,
    #[serde(default)]
    pub data: DataChoice,
    /// Random flips, crops and brightness for training images (photos only).
    #[serde(default)]
    pub augment: Augment,
}

impl Default for LabDoc {
    fn default() -> Self {
        LabDoc {
            network: Preset::LeNet.network(),
            recipe: Recipe::default(),
            seed: 1,
            train_percent: 80,
            backend: BackendChoice::Auto,
            data: DataChoice::Digits,
            augment: Augment::NONE,
        }
    }
}

/// Edits to a [`LabDoc`].
#[derive(Clone, Debug, PartialEq)]
pub enum LabAction {
    /// Insert `layer` before position `at` (`at` = length appends).
    Insert {
        at: usize,
        layer: Layer,
    },
    Remove {
        at: usize,
    },
    Move {
        from: usize,
        to: usize,
    },
    Replace {
        at: usize,
        layer: Layer,
    },
    Fix(Fix),
    Preset(Preset),
    Recipe(Recipe),
    /// Replace everything (a link was opened).
    Load(Box<LabDoc>),
    Seed(u64),
    TrainPercent(u8),
    Backend(BackendChoice),
    /// Train on the digits or on the person's photos (at a size).
    Data(DataChoice),
    /// The photo project has this many classes.
    Classes(usize),
    Augment(Augment),
}

impl LabDoc {
    pub fn report(&self) -> Result<GraphReport, GraphError> {
        infer_graph(&self.network)
    }

    /// Whether `other` trains the same thing (a change of recipe or backend does not restart).
    pub fn same_run(&self, other: &LabDoc) -> bool {
        self.network == other.network
            && self.seed == other.seed
            && self.train_percent == other.train_percent
            && self.data == other.data
            && self.augment == other.augment
    }

    #[must_use]
    pub fn apply(mut self, action: LabAction) -> LabDoc {
        let layers = &mut self.network.layers;
        match action {
            LabAction::Insert { at, layer } => insert(layers, at, layer),
            LabAction::Remove { at } => remove(layers, at),
            LabAction::Move { from, to } => {
                if from < layers.len() && to < layers.len() && from != to {
                    let layer = layers[from].clone();
                    remove(layers, from);
                    insert(layers, to, layer);
                }
            }
            LabAction::Replace { at, layer } => {
                if let Some(slot) = layers.get_mut(at) {
                    *slot = layer;
                }
            }
            LabAction::Fix(fix) => match fix {
                Fix::Insert { at, layer } => insert(layers, at, layer),
                Fix::Remove { at } => remove(layers, at),
                Fix::Replace { .. } => fix.apply(&mut self.network),
            },
            LabAction::Preset(preset) => {
                self.network = preset.network_for(self.input(), self.network.classes());
            }
            LabAction::Recipe(recipe) => self.recipe = sanitize(recipe),
            LabAction::Load(doc) => return doc.sanitized(),
            LabAction::Seed(seed) => self.seed = seed,
            LabAction::TrainPercent(percent) => self.train_percent = percent.clamp(10, 95),
            LabAction::Backend(backend) => self.backend = backend,
            LabAction::Data(data) => {
                let data = data.sanitized();
                if data != self.data {
                    let classes = match (self.data, data) {
                        (_, DataChoice::Digits) => DIGIT_CLASSES,
                        (DataChoice::Photos { .. }, _) => self.network.classes(),
                        (DataChoice::Digits, _) => 2,
                    };
                    self.data = data;
                    self.network.input = Input::Image(data.input());
                    self.set_classes(classes);
                }
            }
            LabAction::Classes(classes) => {
                if self.data.is_photos() {
                    self.set_classes(classes.clamp(2, MAX_CLASSES));
                }
            }
            LabAction::Augment(augment) => self.augment = augment,
        }
        self
    }

    /// Sets the class count, and the output layer to match when it matched before.
    fn set_classes(&mut self, classes: usize) {
        let old = self.network.classes();
        let layers = &mut self.network.layers;
        if let [.., Layer::Dense { units }, Layer::Softmax] = layers.as_mut_slice()
            && *units == old
        {
            *units = classes;
        }
        self.network.head = Head::Classification { classes };
    }

    /// The image size the network reads (the data's).
    pub fn input(&self) -> ImageSize {
        self.network.input.image().unwrap_or(self.data.input())
    }
}

/// The fragment prefix of lab links made before the one URL codec: `#lab=` then the setup as
/// percent-encoded JSON. Such links still open.
pub const LEGACY_PREFIX: &str = "lab=";

/// Whether a fragment opens the image lab: `#lab`, an old `#lab=…` link, or a link whose data
/// are images (`data=digits`, `data=photos`).
pub fn is_lab_fragment(fragment: &str) -> bool {
    let fragment = fragment.trim_start_matches('#');
    fragment == "lab"
        || fragment.starts_with(LEGACY_PREFIX)
        || matches!(link::value(fragment, "data"), Some("digits" | "photos"))
}

impl link::Settings for LabDoc {
    fn recipe(&self) -> &Recipe {
        &self.recipe
    }
    fn recipe_mut(&mut self) -> &mut Recipe {
        &mut self.recipe
    }
    fn default_recipe() -> Recipe {
        Recipe::default()
    }
    fn backend_mut(&mut self) -> &mut BackendChoice {
        &mut self.backend
    }
    fn backend(&self) -> BackendChoice {
        self.backend
    }
}

/// The image lab's link: its data, the network's layers as words ([`Layer::token`]), the
/// seed and split, the shared recipe and backend, and the augmentation.
fn fields() -> Vec<Field<LabDoc>> {
    let mut fields: Vec<Field<LabDoc>> = vec![
        Field {
            key: "data",
            write: |d| {
                Some(match d.data {
                    DataChoice::Digits => "digits".to_owned(),
                    DataChoice::Photos { .. } => "photos".to_owned(),
                })
            },
            read: |d, v| {
                d.data = match (v, d.data) {
                    ("digits", _) => DataChoice::Digits,
                    ("photos", DataChoice::Photos { .. }) => d.data,
                    ("photos", DataChoice::Digits) => DataChoice::PHOTOS,
                    _ => return false,
                };
                true
            },
        },
        Field {
            key: "side",
            write: |d| match d.data {
                DataChoice::Photos { side, .. } => Some(side.to_string()),
                DataChoice::Digits => None,
            },
            read: |d, v| {
                // Only photos have a size to choose (the link names the data first).
                let (Ok(new), DataChoice::Photos { colour, .. }) = (v.parse::<usize>(), d.data)
                else {
                    return false;
                };
                if !DataChoice::PHOTO_SIDES.contains(&new) {
                    return false;
                }
                d.data = DataChoice::Photos { side: new, colour };
                true
            },
        },
        Field {
            key: "colour",
            write: |d| match d.data {
                DataChoice::Photos { colour, .. } => Some(u8::from(colour).to_string()),
                DataChoice::Digits => None,
            },
            read: |d, v| {
                let (Some(new), DataChoice::Photos { side, .. }) = (link::flag(v), d.data) else {
                    return false;
                };
                d.data = DataChoice::Photos { side, colour: new };
                true
            },
        },
        Field {
            key: "classes",
            write: |d| d.data.is_photos().then(|| d.network.classes().to_string()),
            read: |d, v| {
                v.parse::<usize>()
                    .ok()
                    .filter(|c| (2..=MAX_CLASSES).contains(c))
                    .map(|classes| d.network.head = Head::Classification { classes })
                    .is_some()
            },
        },
        Field {
            key: "net",
            write: |d| {
                Some(
                    d.network
                        .layers
                        .iter()
                        .map(Layer::token)
                        .collect::<Vec<_>>()
                        .join(","),
                )
            },
            read: |d, v| {
                let layers: Option<Vec<Layer>> = v
                    .split(',')
                    .filter(|word| !word.is_empty())
                    .map(Layer::from_token)
                    .collect();
                layers
                    .filter(|layers| layers.len() <= MAX_LAYERS)
                    .map(|layers| d.network.layers = layers)
                    .is_some()
            },
        },
        Field {
            key: "seed",
            write: |d| Some(d.seed.to_string()),
            read: |d, v| v.parse().map(|seed| d.seed = seed).is_ok(),
        },
        Field {
            key: "train",
            write: |d| Some(d.train_percent.to_string()),
            read: |d, v| v.parse().map(|t| d.train_percent = t).is_ok(),
        },
    ];
    fields.extend(link::settings_fields());
    fields.push(Field {
        key: "aug",
        write: |d: &LabDoc| {
            let a = d.augment;
            let on: Vec<&str> = [(a.flip, "flip"), (a.crop, "crop"), (a.brightness, "light")]
                .into_iter()
                .filter_map(|(on, name)| on.then_some(name))
                .collect();
            (!on.is_empty()).then(|| on.join(","))
        },
        read: |d, v| {
            let mut augment = Augment::NONE;
            for name in v.split(',').filter(|n| !n.is_empty()) {
                match name {
                    "flip" => augment.flip = true,
                    "crop" => augment.crop = true,
                    "light" => augment.brightness = true,
                    _ => return false,
                }
            }
            d.augment = augment;
            true
        },
    });
    fields
}

impl LabDoc {
    /// The URL fragment (without `#`) that reproduces this setup.
    pub fn to_fragment(&self) -> String {
        link::encode(&fields(), self)
    }

    /// Reads a fragment written by [`to_fragment`](Self::to_fragment) (with or without `#`),
    /// or an old `#lab=…` link; `#lab` alone is the default setup. Unreadable entries keep
    /// their defaults and are named.
    ///
    /// # Errors
    /// The link is not an image-lab link, or an old one that cannot be read; the caller falls
    /// back to the default setup.
    pub fn from_fragment(fragment: &str) -> Result<(LabDoc, Vec<String>), String> {
        let fragment = fragment.trim_start_matches('#');
        if fragment == "lab" {
            return Ok((LabDoc::default(), Vec::new()));
        }
        if let Some(encoded) = fragment.strip_prefix(LEGACY_PREFIX) {
            return legacy(encoded).map(|doc| (doc, Vec::new()));
        }
        if !is_lab_fragment(fragment) {
            return Err("this is not an image-lab link".to_owned());
        }
        let mut doc = LabDoc::default();
        let unreadable = link::decode(&fields(), fragment, &mut doc);
        Ok((doc.sanitized(), unreadable))
    }

    /// The data's input size and classes, and training settings in usable ranges.
    fn sanitized(mut self) -> LabDoc {
        self.data = self.data.sanitized();
        self.network.input = Input::Image(self.data.input());
        let classes = match self.data {
            DataChoice::Digits => DIGIT_CLASSES,
            DataChoice::Photos { .. } => self.network.classes().clamp(2, MAX_CLASSES),
        };
        self.network.head = Head::Classification { classes };
        self.recipe = sanitize(self.recipe);
        self.train_percent = self.train_percent.clamp(10, 95);
        self
    }
}

/// An old `#lab=` link: the setup as percent-encoded JSON.
fn legacy(encoded: &str) -> Result<LabDoc, String> {
    let json = percent_decode(encoded).ok_or_else(|| "the link is cut or garbled".to_owned())?;
    let mut value: serde_json::Value = serde_json::from_str(&json)
        .map_err(|error| format!("the link's setup could not be read ({error})"))?;
    upgrade_image_network(&mut value);
    let doc: LabDoc = serde_json::from_value(value)
        .map_err(|error| format!("the link's setup could not be read ({error})"))?;
    Ok(doc.sanitized())
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

/// Keeps typed-in numbers in ranges training can use.
fn sanitize(mut recipe: Recipe) -> Recipe {
    if !recipe.learning_rate.is_finite() || recipe.learning_rate <= 0.0 {
        recipe.learning_rate = 0.001;
    }
    recipe.learning_rate = recipe.learning_rate.min(10.0);
    recipe.momentum = if recipe.momentum.is_finite() {
        recipe.momentum.clamp(0.0, 0.999)
    } else {
        0.0
    };
    recipe.weight_decay = if recipe.weight_decay.is_finite() {
        recipe.weight_decay.clamp(0.0, 1.0)
    } else {
        0.0
    };
    recipe.clip_norm = recipe
        .clip_norm
        .filter(|norm| norm.is_finite() && *norm > 0.0);
    recipe.batch_size = recipe.batch_size.clamp(1, 1024);
    recipe.epochs = recipe.epochs.clamp(1, 500);
    recipe.warmup_epochs = recipe.warmup_epochs.min(recipe.epochs);
    recipe
}

/// Inserts at `at` and renumbers skip sources that point past it.
fn insert(layers: &mut Vec<Layer>, at: usize, layer: Layer) {
    let at = at.min(layers.len());
    for later in layers.iter_mut().skip(at) {
        renumber(later, |from| if from > at { from + 1 } else { from });
    }
    layers.insert(at, layer);
}

/// Removes layer `at`; skips that took its output now take its input.
fn remove(layers: &mut Vec<Layer>, at: usize) {
    if at >= layers.len() {
        return;
    }
    layers.remove(at);
    for later in layers.iter_mut().skip(at) {
        renumber(later, |from| if from > at { from - 1 } else { from });
    }
}

fn renumber(layer: &mut Layer, map: impl Fn(usize) -> usize) {
    match layer {
        Layer::Add { from } | Layer::Concat { from } => *from = map(*from),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_engine::net::Act;

    #[test]
    fn presets_are_valid_networks() {
        for preset in Preset::ALL {
            let doc = LabDoc::default().apply(LabAction::Preset(preset));
            assert!(doc.report().is_ok(), "{preset:?}");
        }
    }

    #[test]
    fn skips_follow_their_layer_through_edits() {
        let doc = LabDoc::default().apply(LabAction::Preset(Preset::ResNet));
        let add_at = doc
            .network
            .layers
            .iter()
            .position(|layer| matches!(layer, Layer::Add { .. }))
            .expect("the preset has a skip");
        assert_eq!(doc.network.layers[add_at], Layer::Add { from: 4 });
        // Insert before the skip's source: the source moves down one.
        let doc = doc.apply(LabAction::Insert {
            at: 0,
            layer: Layer::Activation(Act::Gelu),
        });
        assert_eq!(doc.network.layers[add_at + 1], Layer::Add { from: 5 });
        assert!(doc.report().is_ok(), "{:?}", doc.report());
        // Remove it again: back to where it was.
        let doc = doc.apply(LabAction::Remove { at: 0 });
        assert_eq!(doc.network.layers[add_at], Layer::Add { from: 4 });
        // Move a layer inside the block: still valid, source unchanged.
        let doc = doc.apply(LabAction::Move { from: 6, to: 5 });
        assert_eq!(doc.network.layers[add_at], Layer::Add { from: 4 });
        assert!(doc.report().is_ok());
    }

    #[test]
    fn a_fix_repairs_the_network() {
        let doc = LabDoc::default().apply(LabAction::Remove { at: 6 }); // LeNet's Flatten
        let error = doc.report().expect_err("Dense after an image");
        let fix = error.fix.expect("a fix");
        let doc = doc.apply(LabAction::Fix(fix));
        assert!(doc.report().is_ok());
        assert_eq!(doc.network, LabDoc::default().network);
    }

    #[test]
    fn recipe_values_are_kept_in_range() {
        let doc = LabDoc::default().apply(LabAction::Recipe(Recipe {
            learning_rate: f64::NAN,
            batch_size: 0,
            epochs: 0,
            clip_norm: Some(-1.0),
            ..Recipe::default()
        }));
        assert_eq!(doc.recipe.learning_rate, 0.001);
        assert_eq!(doc.recipe.batch_size, 1);
        assert_eq!(doc.recipe.epochs, 1);
        assert_eq!(doc.recipe.clip_norm, None);
        let same = LabDoc::default().apply(LabAction::Recipe(Recipe {
            learning_rate: 0.1,
            ..Recipe::default()
        }));
        assert!(
            same.same_run(&LabDoc::default()),
            "a recipe change does not restart"
        );
    }

    #[test]
    fn a_link_reproduces_the_setup() {
        let doc = LabDoc::default()
            .apply(LabAction::Preset(Preset::ResNet))
            .apply(LabAction::Seed(42))
            .apply(LabAction::Recipe(Recipe {
                learning_rate: 0.0125,
                clip_norm: Some(1.5),
                schedule: agora_engine::recipe::Schedule::Step {
                    every: 2,
                    gamma: 0.5,
                },
                ..Recipe::default()
            }))
            .apply(LabAction::Backend(BackendChoice::Cpu));
        let fragment = doc.to_fragment();
        // Readable, like the playground's: the data, the layers as words, the settings.
        assert!(
            fragment.starts_with("data=digits&net=conv16k3s1p1d1,bn,relu,max2s2,")
                && fragment.contains(",add4,relu,gap,fc10,softmax&"),
            "{fragment}"
        );
        assert!(fragment.contains("&seed=42&") && fragment.contains("&clip=1.5&sched=step.2.0.5&"));
        assert!(
            fragment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.,&=".contains(&b)),
            "{fragment}"
        );
        assert!(is_lab_fragment(&format!("#{fragment}")));
        assert_eq!(
            LabDoc::from_fragment(&format!("#{fragment}")),
            Ok((doc, Vec::new()))
        );
        assert_eq!(
            LabDoc::from_fragment("#lab"),
            Ok((LabDoc::default(), Vec::new()))
        );
    }

    #[test]
    fn links_made_before_the_one_network_type_open_the_same_setup() {
        let links: Vec<&str> = include_str!("../tests/fixtures/links-f1d84a4.txt")
            .lines()
            .filter(|line| line.starts_with("#lab="))
            .collect();
        assert_eq!(links.len(), 3);
        let open = |link: &str| {
            let (doc, unreadable) = LabDoc::from_fragment(link).expect("an old lab link opens");
            assert!(unreadable.is_empty());
            assert!(is_lab_fragment(link));
            doc
        };
        let lenet = open(links[0]);
        assert_eq!(lenet, LabDoc::default());
        let resnet = open(links[1]);
        assert_eq!(resnet.network, Preset::ResNet.network());
        let photos = open(links[2]);
        assert_eq!(photos.data, DataChoice::PHOTOS);
        assert_eq!(photos.network.classes(), 3);
        assert_eq!(
            photos.network.input,
            Input::Image(ImageSize {
                channels: 3,
                height: 32,
                width: 32
            })
        );
        assert_eq!(
            photos.network.layers.last(),
            Some(&Layer::Softmax),
            "the network came through whole"
        );
        assert_eq!(photos.network, Preset::LeNet.network_for(photos.input(), 3));
    }

    #[test]
    fn bad_links_say_why_and_change_nothing() {
        assert!(LabDoc::from_fragment("#x1=1").is_err());
        assert!(
            LabDoc::from_fragment("#data=circle").is_err(),
            "a playground link"
        );
        assert_eq!(
            LabDoc::from_fragment("#lab=%7"),
            Err("the link is cut or garbled".to_owned())
        );
        assert!(
            LabDoc::from_fragment("#lab=%7B%22network%22")
                .is_err_and(|e| e.starts_with("the link's setup could not be read"))
        );
        // A cut or hostile link keeps the defaults of what it garbles and names it.
        let (doc, unreadable) = LabDoc::from_fragment(
            "#data=digits&net=conv8k3s1p1d1,relu,fc99999999,softmax&lr=NaN&seed=7&side=4000&opt=",
        )
        .expect("a lab link");
        assert_eq!(unreadable, ["net", "lr", "side", "opt"]);
        assert_eq!(doc.network.layers, LabDoc::default().network.layers);
        assert_eq!(doc.seed, 7);
        assert_eq!(
            doc.data,
            DataChoice::Digits,
            "a size does not turn digits into photos"
        );
        // A link cannot change the data's size or smuggle in unusable settings.
        let mut odd = LabDoc::default();
        odd.network.input = Input::Image(ImageSize {
            height: 5000,
            ..DIGITS
        });
        odd.recipe.batch_size = 0;
        let (read, _) = LabDoc::from_fragment(&odd.to_fragment()).expect("readable");
        assert_eq!(read.network.input, Input::Image(DIGITS));
        assert_eq!(read.recipe.batch_size, 1);
    }

    #[test]
    fn photos_set_the_input_and_the_output_layer() {
        let doc = LabDoc::default().apply(LabAction::Data(DataChoice::PHOTOS));
        assert_eq!(
            doc.input(),
            ImageSize {
                channels: 3,
                height: 32,
                width: 32
            }
        );
        assert_eq!(doc.network.classes(), 2);
        assert_eq!(
            doc.network.layers[doc.network.layers.len() - 2],
            Layer::Dense { units: 2 }
        );
        assert!(doc.report().is_ok(), "{:?}", doc.report());
        let doc = doc.apply(LabAction::Classes(5));
        assert_eq!(doc.network.classes(), 5);
        assert!(doc.report().is_ok());
        let grey = doc.clone().apply(LabAction::Data(DataChoice::Photos {
            side: 64,
            colour: false,
        }));
        assert_eq!((grey.input().channels, grey.network.classes()), (1, 5));
        assert!(!grey.same_run(&doc), "another input size restarts training");
        assert!(
            grey.report().is_ok(),
            "LeNet adapts to 64×64: {:?}",
            grey.report()
        );
        // Presets are built for the current data.
        let resnet = grey.clone().apply(LabAction::Preset(Preset::ResNet));
        assert_eq!((resnet.input().height, resnet.network.classes()), (64, 5));
        assert!(resnet.report().is_ok());
        // Digits ignore class counts from a project.
        let digits = grey.apply(LabAction::Data(DataChoice::Digits));
        assert_eq!(digits.input(), DIGITS);
        assert_eq!(digits.apply(LabAction::Classes(3)).network.classes(), 10);
        // A link keeps the data choice; an odd size is replaced.
        let photos = LabDoc::default()
            .apply(LabAction::Data(DataChoice::PHOTOS))
            .apply(LabAction::Augment(Augment {
                flip: true,
                ..Augment::NONE
            }));
        assert_eq!(
            LabDoc::from_fragment(&photos.to_fragment()),
            Ok((photos.clone(), Vec::new()))
        );
        let mut odd = photos;
        odd.data = DataChoice::Photos {
            side: 4000,
            colour: true,
        };
        let (read, unreadable) = LabDoc::from_fragment(&odd.to_fragment()).expect("readable");
        assert_eq!(read.input().height, 32);
        assert_eq!(unreadable, ["side"]);
    }
}
