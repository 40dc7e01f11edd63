//! The project: what a person set up — the data, the one network, the recipe, the seed and
//! split, augmentation and backend — and what a link reproduces.
//!
//! One type for every project: the playground's points and tables and the image classifier's
//! digits and photos. The data decide the network's input and head ([`Project::settle`]); the
//! playground's cards ([`crate::plane::cards`]) and the layer graph are two ways of editing
//! the same [`Network`]. Changed only through [`ProjectAction`]s in [`Project::apply`], a pure
//! function tested natively; the link's fields are in `fields.rs`.

mod data;
mod fields;
pub mod file;
mod graph;
mod legacy;
mod preset;
mod undo;

pub use data::{DIGIT_CLASSES, DIGITS, Data, TableSetup, table_name};
pub use fields::is_images_link;
pub use preset::Preset;
pub use undo::Undo;

use agora_engine::data::{DatasetConfig, DatasetKind, MAX_DATASET_CLASSES};
use agora_engine::net::{
    Act, Feature, Fix, GraphError, GraphReport, Head, ImageSize, Input, Layer, MAX_CLASSES,
    Network, infer_graph,
};
use agora_engine::photos::Augment;
use agora_engine::recipe::{Optimizer, Penalty, Recipe};
use serde::{Deserialize, Serialize};

pub use crate::backend::BackendChoice;
use crate::plane::{self, LayerSpec, MAX_UNITS, ShapeReport, SpecError};

/// Learning rates offered, as in TensorFlow Playground.
pub const LEARNING_RATES: [f64; 11] = [
    0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0,
];
/// Regularization rates offered.
pub const REGULARIZATION_RATES: [f64; 10] =
    [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0];
/// Momentum values offered for SGD and RMSprop (0 = none).
pub const MOMENTA: [f64; 4] = [0.0, 0.5, 0.9, 0.99];
/// Largest batch size the playground's slider offers.
pub const MAX_BATCH_SIZE: usize = 64;
/// Largest batch size for images.
pub const MAX_IMAGE_BATCH: usize = 1024;

/// Everything a link reproduces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub data: Data,
    /// The one network; its input and head follow the data.
    pub network: Network,
    pub recipe: Recipe,
    /// The data's shuffle and split, and the starting weights.
    pub seed: u64,
    /// Share of the data used for training; the rest tests.
    pub train_percent: u8,
    /// Random flips, crops and brightness for training images (photos only).
    pub augment: Augment,
    pub backend: BackendChoice,
}

impl Default for Project {
    /// TensorFlow Playground's opening setup: circle data, x₁ and x₂, two tanh layers of 4 and
    /// 2, SGD at 0.03 in batches of 10.
    fn default() -> Self {
        Project {
            data: Data::default(),
            network: Network::playground(
                vec![Feature::X1, Feature::X2],
                Head::Classification { classes: 2 },
            ),
            recipe: Recipe::playground(),
            seed: 1,
            train_percent: 50,
            augment: Augment::NONE,
            backend: BackendChoice::Auto,
        }
    }
}

/// A change the person makes. Card indices count the playground's hidden layers from 0;
/// layer positions count the layer graph's layers from 0.
#[derive(Clone, Debug, PartialEq)]
pub enum ProjectAction {
    /// Insert a card before position `index` (`index == len` appends).
    InsertCard {
        index: usize,
        layer: LayerSpec,
    },
    /// Move the card at `from` so it ends up at `to`.
    MoveCard {
        from: usize,
        to: usize,
    },
    RemoveCard {
        index: usize,
    },
    DuplicateCard {
        index: usize,
    },
    SetUnits {
        index: usize,
        units: usize,
    },
    SetActivation {
        index: usize,
        activation: Option<Act>,
    },
    /// Batch norm before the card's activation, on or off.
    SetNorm {
        index: usize,
        norm: bool,
    },
    /// A skip connection adding the previous card's output, on or off.
    SetSkip {
        index: usize,
        skip: bool,
    },
    /// Dropout after the card, in percent (0 = none).
    SetDropout {
        index: usize,
        percent: u8,
    },
    ToggleFeature(Feature),
    /// Insert `layer` into the graph before position `at` (`at` = length appends).
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
    /// Train on other data; the network keeps what fits them.
    SetData(Data),
    /// Train on generated points of this kind (keeping the noise and classes of points).
    SetDataset(DatasetKind),
    SetNoise(u32),
    /// Classes of the generated points, or of the person's photo project.
    SetClasses(usize),
    /// New data and new starting weights.
    SetSeed(u64),
    SetTrainPercent(u8),
    SetRecipe(Recipe),
    SetLearningRate(f64),
    SetBatchSize(usize),
    SetOptimizer(Optimizer),
    SetMomentum(f64),
    SetRegularization(Penalty),
    SetRegularizationRate(f64),
    SetAugment(Augment),
    SetBackend(BackendChoice),
    /// Replace everything (a link was opened).
    Load(Box<Project>),
}

impl Project {
    /// The image classifier's opening setup: the digits, LeNet, Adam at 0.002 in batches of
    /// 32 for 10 epochs, 80 % to train.
    pub fn digits() -> Project {
        Project {
            data: Data::Digits,
            network: Preset::LeNet.network(),
            recipe: Recipe::default(),
            seed: 1,
            train_percent: 80,
            augment: Augment::NONE,
            backend: BackendChoice::Auto,
        }
    }

    /// The project a new page shows for images (`true`) or rows of numbers.
    pub fn starting(images: bool) -> Project {
        if images {
            Project::digits()
        } else {
            Project::default()
        }
    }

    /// What the network predicts: set by the data.
    pub fn head(&self) -> Head {
        match &self.data {
            Data::Points { .. } => self
                .dataset()
                .map_or(Head::Regression, |dataset| dataset.head()),
            Data::Table(table) => table.head(),
            Data::Digits => Head::Classification {
                classes: DIGIT_CLASSES,
            },
            Data::Photos { .. } => Head::Classification {
                classes: self.network.classes().clamp(2, MAX_CLASSES),
            },
        }
    }

    /// The generated points, for point data.
    pub fn dataset(&self) -> Option<DatasetConfig> {
        self.data.dataset(self.seed, self.train_percent)
    }

    /// The generated points the playground's data panel shows: the project's own, or the
    /// opening circle's with this seed and split when it trains on something else.
    pub fn points(&self) -> DatasetConfig {
        self.dataset().unwrap_or(DatasetConfig {
            kind: DatasetKind::Circle,
            noise_percent: 0,
            train_percent: u32::from(self.train_percent),
            classes: 2,
            seed: self.seed,
        })
    }

    /// The input features the network reads, for point data.
    pub fn features(&self) -> &[Feature] {
        match &self.network.input {
            Input::Points { features } => features,
            _ => &[],
        }
    }

    /// The playground's cards: the network's hidden Dense blocks (none for image networks).
    pub fn cards(&self) -> Vec<LayerSpec> {
        plane::cards(&self.network).unwrap_or_default()
    }

    /// The image size the network reads, for image data.
    pub fn image_size(&self) -> ImageSize {
        self.data.image_size().unwrap_or(DIGITS)
    }

    /// Each card's shape, or why the network cannot be trained, with the playground's limits.
    ///
    /// # Errors
    /// The first problem in the network, with how to fix it.
    pub fn shapes(&self) -> Result<ShapeReport, SpecError> {
        plane::infer_shapes(&self.network.input, &self.cards(), self.head())
    }

    /// Every layer's shape, parameters and cost, or the first problem with a fix.
    ///
    /// # Errors
    /// The first problem in the network.
    pub fn report(&self) -> Result<GraphReport, GraphError> {
        infer_graph(&self.network)
    }

    /// Why the network cannot train, in the words of the view that edits it, or `None`.
    pub fn problem(&self) -> Option<String> {
        if self.data.is_images() {
            self.report().err().map(|error| error.to_string())
        } else {
            self.shapes().err().map(|error| error.to_string())
        }
    }

    /// Whether `other` trains the same thing from the same start (a change of recipe or
    /// backend does not restart training).
    pub fn same_run(&self, other: &Project) -> bool {
        self.network == other.network
            && self.data == other.data
            && self.seed == other.seed
            && self.train_percent == other.train_percent
            && self.augment == other.augment
    }

    /// Applies one change. Out-of-range indices change nothing.
    #[must_use]
    pub fn apply(mut self, action: ProjectAction) -> Project {
        match action {
            ProjectAction::InsertCard { index, layer } => self.edit_cards(|cards| {
                cards.insert(index.min(cards.len()), layer);
            }),
            ProjectAction::MoveCard { from, to } => self.edit_cards(|cards| {
                if from < cards.len() {
                    let card = cards.remove(from);
                    cards.insert(to.min(cards.len()), card);
                }
            }),
            ProjectAction::RemoveCard { index } => self.edit_cards(|cards| {
                if index < cards.len() {
                    cards.remove(index);
                }
            }),
            ProjectAction::DuplicateCard { index } => self.edit_cards(|cards| {
                if let Some(card) = cards.get(index).cloned() {
                    cards.insert(index + 1, card);
                }
            }),
            ProjectAction::SetUnits { index, units } => self.edit_card(index, |card| {
                // One past the limit, so the builder can show why it is the limit.
                let LayerSpec::Dense { units: current, .. } = card;
                *current = units.min(MAX_UNITS + 1);
            }),
            ProjectAction::SetActivation { index, activation } => self.edit_card(index, |card| {
                let LayerSpec::Dense {
                    activation: current,
                    ..
                } = card;
                *current = activation;
            }),
            ProjectAction::SetNorm { index, norm } => self.edit_card(index, |card| {
                let LayerSpec::Dense { norm: current, .. } = card;
                *current = norm;
            }),
            ProjectAction::SetSkip { index, skip } => self.edit_card(index, |card| {
                let LayerSpec::Dense { skip: current, .. } = card;
                *current = skip;
            }),
            ProjectAction::SetDropout { index, percent } => self.edit_card(index, |card| {
                let LayerSpec::Dense {
                    dropout: current, ..
                } = card;
                *current = percent.min(90);
            }),
            ProjectAction::ToggleFeature(feature) => {
                if let Input::Points { features } = &mut self.network.input {
                    if features.contains(&feature) {
                        features.retain(|f| *f != feature);
                    } else {
                        features.push(feature);
                        features.sort_by_key(|f| Feature::ALL.iter().position(|all| all == f));
                    }
                }
            }
            ProjectAction::Insert { at, layer } => self.edit_graph(|layers| {
                graph::insert(layers, at, layer);
            }),
            ProjectAction::Remove { at } => self.edit_graph(|layers| graph::remove(layers, at)),
            ProjectAction::Move { from, to } => {
                self.edit_graph(|layers| graph::move_layer(layers, from, to));
            }
            ProjectAction::Replace { at, layer } => self.edit_graph(|layers| {
                if let Some(slot) = layers.get_mut(at) {
                    *slot = layer;
                }
            }),
            ProjectAction::Fix(fix) => {
                if self.data.is_images() {
                    match fix {
                        Fix::Insert { at, layer } => {
                            graph::insert(&mut self.network.layers, at, layer);
                        }
                        Fix::Remove { at } => graph::remove(&mut self.network.layers, at),
                        Fix::Replace { .. } => fix.apply(&mut self.network),
                    }
                }
            }
            ProjectAction::Preset(preset) => {
                if self.data.is_images() {
                    let input = self.data.input(&self.network.input);
                    self.network = preset.network_on(&input, self.network.classes());
                }
            }
            ProjectAction::SetData(data) => self.set_data(data.sanitized()),
            ProjectAction::SetDataset(kind) => {
                let (noise_percent, classes) = match self.data {
                    Data::Points {
                        noise_percent,
                        classes,
                        ..
                    } => (noise_percent, classes),
                    _ => (0, 2),
                };
                self.set_data(Data::Points {
                    kind,
                    noise_percent,
                    classes,
                });
            }
            ProjectAction::SetNoise(noise) => {
                if let Data::Points { noise_percent, .. } = &mut self.data {
                    *noise_percent = noise.min(50);
                }
            }
            ProjectAction::SetClasses(count) => match &mut self.data {
                Data::Points { classes, .. } => *classes = count.clamp(2, MAX_DATASET_CLASSES),
                Data::Photos { .. } => {
                    self.set_classes(count.clamp(2, MAX_CLASSES));
                }
                Data::Table(_) | Data::Digits => {}
            },
            ProjectAction::SetSeed(seed) => self.seed = seed,
            ProjectAction::SetTrainPercent(percent) => self.train_percent = percent,
            ProjectAction::SetRecipe(recipe) => self.recipe = recipe,
            ProjectAction::SetLearningRate(rate) => {
                if rate.is_finite() && rate > 0.0 {
                    self.recipe.learning_rate = rate;
                }
            }
            ProjectAction::SetBatchSize(size) => self.recipe.batch_size = size,
            ProjectAction::SetOptimizer(kind) => self.recipe.optimizer = kind,
            ProjectAction::SetMomentum(momentum) => {
                if momentum.is_finite() {
                    self.recipe.momentum = momentum;
                }
            }
            ProjectAction::SetRegularization(kind) => self.recipe.penalty = kind,
            ProjectAction::SetRegularizationRate(rate) => {
                if rate.is_finite() && rate >= 0.0 {
                    self.recipe.penalty_rate = rate;
                }
            }
            ProjectAction::SetAugment(augment) => self.augment = augment,
            ProjectAction::SetBackend(choice) => self.backend = choice,
            ProjectAction::Load(project) => self = *project,
        }
        self.settle();
        self
    }

    /// Makes the project consistent whatever was set: the data's values in range, the
    /// network's input and head following the data (the output layer with them), and the
    /// recipe's numbers in ranges training can use.
    pub fn settle(&mut self) {
        self.data = std::mem::take(&mut self.data).sanitized();
        self.train_percent = self.train_percent.clamp(10, 95);
        self.recipe = usable(self.recipe, self.data.is_images());
        let head = self.head();
        let input = self.data.input(&self.network.input);
        if self.data.is_images() {
            self.network.input = input;
            if let Head::Classification { classes } = head {
                self.set_classes(classes);
            }
        } else {
            let cards = plane::cards(&self.network)
                .unwrap_or_else(|| plane::cards(&Project::default().network).unwrap_or_default());
            self.network = plane::network(&input, &cards, head);
        }
    }

    /// Changes the data; a network for rows of numbers stays the playground's, one for images
    /// a graph (the preset's opening network when coming from the other kind).
    fn set_data(&mut self, data: Data) {
        if data == self.data {
            return;
        }
        let classes = match (&self.data, &data) {
            (_, Data::Digits) => DIGIT_CLASSES,
            (Data::Photos { .. }, _) => self.network.classes(),
            _ => 2,
        };
        if data.is_images() != self.data.is_images() {
            let fresh = Project::starting(data.is_images());
            self.network = fresh.network;
            self.recipe = fresh.recipe;
            self.train_percent = fresh.train_percent;
        }
        let switched = data.is_pretrained() != self.data.is_pretrained();
        self.data = data;
        if self.data.is_images() {
            let input = self.data.input(&self.network.input);
            if switched {
                // Pixels and the pretrained network's features need other layers.
                let preset = if self.data.is_pretrained() {
                    Preset::Softmax
                } else {
                    Preset::LeNet
                };
                self.network = preset.network_on(&input, classes);
                self.recipe = Project::starting(true).recipe;
            } else {
                self.network.input = input;
            }
            self.set_classes(classes);
        }
    }

    /// Sets the class count, and the output layer to match when it matched before.
    fn set_classes(&mut self, classes: usize) {
        let old = self.network.classes();
        if let [.., Layer::Dense { units }, Layer::Softmax] = self.network.layers.as_mut_slice()
            && *units == old
        {
            *units = classes;
        }
        self.network.head = Head::Classification { classes };
    }

    /// Edits the playground's cards (rows of numbers only).
    fn edit_cards(&mut self, edit: impl FnOnce(&mut Vec<LayerSpec>)) {
        if self.data.is_images() {
            return;
        }
        if let Some(mut cards) = plane::cards(&self.network) {
            edit(&mut cards);
            self.network = plane::network(&self.network.input, &cards, self.network.head);
        }
    }

    fn edit_card(&mut self, index: usize, edit: impl FnOnce(&mut LayerSpec)) {
        self.edit_cards(|cards| {
            if let Some(card) = cards.get_mut(index) {
                edit(card);
            }
        });
    }

    /// Edits the layer graph (images only).
    fn edit_graph(&mut self, edit: impl FnOnce(&mut Vec<Layer>)) {
        if self.data.is_images() {
            edit(&mut self.network.layers);
        }
    }
}

/// Keeps numbers in ranges training can use: the playground's batch slider goes to
/// [`MAX_BATCH_SIZE`], images to [`MAX_IMAGE_BATCH`]; the playground may train until paused,
/// images for at most 500 epochs.
fn usable(mut recipe: Recipe, images: bool) -> Recipe {
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
    if !recipe.penalty_rate.is_finite() || recipe.penalty_rate < 0.0 {
        recipe.penalty_rate = 0.0;
    }
    recipe.clip_norm = recipe
        .clip_norm
        .filter(|norm| norm.is_finite() && *norm > 0.0);
    let most = if images {
        MAX_IMAGE_BATCH
    } else {
        MAX_BATCH_SIZE
    };
    recipe.batch_size = recipe.batch_size.clamp(1, most);
    if images || recipe.epochs != usize::MAX {
        recipe.epochs = recipe.epochs.clamp(1, 500);
    }
    recipe.warmup_epochs = recipe.warmup_epochs.min(recipe.epochs);
    recipe
}

#[cfg(test)]
mod tests;
