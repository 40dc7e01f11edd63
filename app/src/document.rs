//! The document: what the user set up (features, layers, dataset, hyperparameters, backend).
//!
//! Serialisable, mirrored to the URL fragment so a link reproduces the setup, and changed only
//! through [`DocumentAction`]s in [`Document::apply`], a pure function tested natively. The
//! fragment (`#…`) is never sent to any server.

use agora_engine::data::{DatasetConfig, DatasetKind, MAX_DATASET_CLASSES};
use agora_engine::net::{Act, Feature, Head, Input, Network};
use agora_engine::recipe::{Optimizer, Penalty, Recipe};

use crate::link::{self, Field};
use agora_engine::table::{TableChoice, TableTask};
use serde::{Deserialize, Serialize};

pub use crate::backend::BackendChoice;
use crate::plane::{
    LayerSpec, MAX_UNITS, ShapeReport, SpecError, activation_from_key, activation_key,
    infer_shapes, points,
};

/// Learning rates offered, as in TensorFlow Playground.
pub const LEARNING_RATES: [f64; 11] = [
    0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0,
];
/// Regularization rates offered.
pub const REGULARIZATION_RATES: [f64; 10] =
    [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0];
/// Momentum values offered for SGD and RMSprop (0 = none).
pub const MOMENTA: [f64; 4] = [0.0, 0.5, 0.9, 0.99];
/// Largest batch size offered.
pub const MAX_BATCH_SIZE: usize = 64;

/// Everything a link reproduces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Enabled input features, in [`Feature::ALL`] order.
    pub features: Vec<Feature>,
    pub layers: Vec<LayerSpec>,
    pub dataset: DatasetConfig,
    /// How it trains (the playground sets the optimizer, momentum, rate, batch and penalty).
    pub recipe: Recipe,
    /// A person's own table instead of the generated points (its rows stay in the page).
    pub table: Option<TableSetup>,
    pub backend: BackendChoice,
}

impl Default for Document {
    /// TensorFlow Playground's opening setup: circle data, x₁ and x₂, two tanh layers of 4 and 2.
    fn default() -> Self {
        Document {
            features: vec![Feature::X1, Feature::X2],
            layers: vec![
                LayerSpec::dense(4, Some(Act::Tanh)),
                LayerSpec::dense(2, Some(Act::Tanh)),
            ],
            dataset: DatasetConfig {
                kind: DatasetKind::Circle,
                noise_percent: 0,
                train_percent: 50,
                classes: 2,
                seed: 1,
            },
            recipe: Recipe::playground(),
            table: None,
            backend: BackendChoice::Auto,
        }
    }
}

/// Which table the playground trains on and how: the file's name, the label and feature
/// columns, and how many classes the label column holds (0 for a number).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSetup {
    pub name: String,
    pub choice: TableChoice,
    pub classes: usize,
}

impl TableSetup {
    /// The head the table's label column asks for.
    pub fn head(&self) -> Head {
        match self.choice.task {
            TableTask::Classes => Head::Classification {
                classes: self.classes,
            },
            TableTask::Number => Head::Regression,
        }
    }
}

/// A change the user makes. Indices count hidden layers from 0, left to right.
#[derive(Clone, Debug, PartialEq)]
pub enum DocumentAction {
    /// Insert `layer` before position `index` (`index == len` appends).
    InsertLayer {
        index: usize,
        layer: LayerSpec,
    },
    /// Move the layer at `from` so it ends up at `to`.
    MoveLayer {
        from: usize,
        to: usize,
    },
    RemoveLayer {
        index: usize,
    },
    DuplicateLayer {
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
    /// Batch norm before the layer's activation, on or off.
    SetNorm {
        index: usize,
        norm: bool,
    },
    /// A skip connection adding the previous layer's output, on or off.
    SetSkip {
        index: usize,
        skip: bool,
    },
    /// Dropout after the layer, in percent (0 = none).
    SetDropout {
        index: usize,
        percent: u8,
    },
    ToggleFeature(Feature),
    SetDataset(DatasetKind),
    SetNoise(u32),
    SetTrainPercent(u32),
    SetClasses(usize),
    /// New data and new starting weights.
    SetSeed(u64),
    SetLearningRate(f64),
    SetBatchSize(usize),
    SetOptimizer(Optimizer),
    SetMomentum(f64),
    SetRegularization(Penalty),
    SetRegularizationRate(f64),
    SetBackend(BackendChoice),
    /// Train on a table (set up by the data panel from the file), or on the points again.
    SetTable(Option<Box<TableSetup>>),
    /// Replace everything (a link was opened).
    Load(Box<Document>),
}

impl Document {
    /// The network as the engine sees it; the head follows the dataset.
    pub fn network(&self) -> Network {
        crate::plane::network(&self.input(), &self.layers, self.head())
    }

    /// What the network reads: the chosen features of the points, or the table's columns.
    pub fn input(&self) -> Input {
        match &self.table {
            Some(table) => Input::Table {
                columns: table.choice.features.len(),
            },
            None => points(&self.features),
        }
    }

    /// What the network predicts: set by the dataset or the table's label column.
    pub fn head(&self) -> Head {
        self.table
            .as_ref()
            .map_or_else(|| self.dataset.head(), TableSetup::head)
    }

    /// Each layer's shape, or why the network cannot be trained.
    ///
    /// # Errors
    /// The first problem in the network, with how to fix it.
    pub fn shapes(&self) -> Result<ShapeReport, SpecError> {
        infer_shapes(&self.input(), &self.layers, self.head())
    }

    /// Applies one change. Out-of-range indices change nothing.
    #[must_use]
    pub fn apply(mut self, action: DocumentAction) -> Document {
        let len = self.layers.len();
        match action {
            DocumentAction::InsertLayer { index, layer } => {
                self.layers.insert(index.min(len), layer);
            }
            DocumentAction::MoveLayer { from, to } => {
                if from < len {
                    let layer = self.layers.remove(from);
                    self.layers.insert(to.min(len - 1), layer);
                }
            }
            DocumentAction::RemoveLayer { index } => {
                if index < len {
                    self.layers.remove(index);
                }
            }
            DocumentAction::DuplicateLayer { index } => {
                if let Some(layer) = self.layers.get(index).cloned() {
                    self.layers.insert(index + 1, layer);
                }
            }
            DocumentAction::SetUnits { index, units } => {
                if let Some(LayerSpec::Dense { units: current, .. }) = self.layers.get_mut(index) {
                    // Allow one past the limits so the builder can show why they are limits.
                    *current = units.min(MAX_UNITS + 1);
                }
            }
            DocumentAction::SetActivation { index, activation } => {
                if let Some(LayerSpec::Dense {
                    activation: current,
                    ..
                }) = self.layers.get_mut(index)
                {
                    *current = activation;
                }
            }
            DocumentAction::SetNorm { index, norm } => {
                if let Some(LayerSpec::Dense { norm: current, .. }) = self.layers.get_mut(index) {
                    *current = norm;
                }
            }
            DocumentAction::SetSkip { index, skip } => {
                if let Some(LayerSpec::Dense { skip: current, .. }) = self.layers.get_mut(index) {
                    *current = skip;
                }
            }
            DocumentAction::SetDropout { index, percent } => {
                if let Some(LayerSpec::Dense {
                    dropout: current, ..
                }) = self.layers.get_mut(index)
                {
                    *current = percent.min(90);
                }
            }
            DocumentAction::ToggleFeature(feature) => {
                if self.features.contains(&feature) {
                    self.features.retain(|f| *f != feature);
                } else {
                    self.features.push(feature);
                    self.features
                        .sort_by_key(|f| Feature::ALL.iter().position(|all| all == f));
                }
            }
            DocumentAction::SetDataset(kind) => {
                self.dataset.kind = kind;
                self.table = None;
            }
            DocumentAction::SetTable(table) => self.table = table.map(|table| *table),
            DocumentAction::SetNoise(noise) => self.dataset.noise_percent = noise.min(50),
            DocumentAction::SetTrainPercent(percent) => {
                self.dataset.train_percent = percent.clamp(10, 90);
            }
            DocumentAction::SetClasses(classes) => {
                self.dataset.classes = classes.clamp(2, MAX_DATASET_CLASSES);
            }
            DocumentAction::SetSeed(seed) => self.dataset.seed = seed,
            DocumentAction::SetLearningRate(rate) => {
                if rate.is_finite() && rate > 0.0 {
                    self.recipe.learning_rate = rate;
                }
            }
            DocumentAction::SetBatchSize(size) => {
                self.recipe.batch_size = size.clamp(1, MAX_BATCH_SIZE);
            }
            DocumentAction::SetOptimizer(kind) => self.recipe.optimizer = kind,
            DocumentAction::SetMomentum(momentum) => {
                if momentum.is_finite() {
                    self.recipe.momentum = momentum.clamp(0.0, 0.999);
                }
            }
            DocumentAction::SetRegularization(kind) => self.recipe.penalty = kind,
            DocumentAction::SetRegularizationRate(rate) => {
                if rate.is_finite() && rate >= 0.0 {
                    self.recipe.penalty_rate = rate;
                }
            }
            DocumentAction::SetBackend(choice) => self.backend = choice,
            DocumentAction::Load(document) => return *document,
        }
        self
    }

    /// Whether two documents train the same network on the same data from the same start
    /// (hyperparameters and backend may differ: changing those does not reset training).
    pub fn same_run(&self, other: &Document) -> bool {
        self.features == other.features
            && self.layers == other.layers
            && self.dataset == other.dataset
            && self.table == other.table
    }

    /// The URL fragment (without `#`) that reproduces this document.
    pub fn to_fragment(&self) -> String {
        link::encode(&fields(), self)
    }

    /// Reads a fragment written by [`Document::to_fragment`]. Missing or unreadable entries
    /// keep their defaults; the names of those that could not be read are returned so the UI
    /// can say so.
    pub fn from_fragment(fragment: &str) -> (Document, Vec<String>) {
        let mut document = Document::default();
        let unreadable = link::decode(&fields(), fragment, &mut document);
        let clean = Document::default()
            .apply(DocumentAction::Load(Box::new(document.clone())))
            .apply(DocumentAction::SetBatchSize(document.recipe.batch_size))
            .apply(DocumentAction::SetNoise(document.dataset.noise_percent))
            .apply(DocumentAction::SetTrainPercent(
                document.dataset.train_percent,
            ))
            .apply(DocumentAction::SetClasses(document.dataset.classes));
        (clean, unreadable)
    }
}

impl link::Settings for Document {
    fn recipe(&self) -> &Recipe {
        &self.recipe
    }
    fn recipe_mut(&mut self) -> &mut Recipe {
        &mut self.recipe
    }
    fn default_recipe() -> Recipe {
        Recipe::playground()
    }
    fn backend_mut(&mut self) -> &mut BackendChoice {
        &mut self.backend
    }
    fn backend(&self) -> BackendChoice {
        self.backend
    }
}

/// A hidden layer as a link holds it: "8.tanh", with ".bn", ".res" and ".d25" after it when set.
fn layer_entry(layer: &LayerSpec) -> String {
    let LayerSpec::Dense {
        units,
        activation,
        norm,
        skip,
        dropout,
    } = layer;
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

fn read_layer(entry: &str) -> Option<LayerSpec> {
    let mut parts = entry.split('.');
    let units = parts.next()?.parse::<usize>().ok()?.min(MAX_UNITS + 1);
    let activation = activation_from_key(parts.next()?)?;
    let mut layer = LayerSpec::dense(units, activation);
    let LayerSpec::Dense {
        norm,
        skip,
        dropout,
        ..
    } = &mut layer;
    for part in parts {
        match part {
            "bn" => *norm = true,
            "res" => *skip = true,
            rate => *dropout = rate.strip_prefix('d')?.parse::<u8>().ok()?.min(90),
        }
    }
    Some(layer)
}

/// The playground's link: its data, features and hidden layers, the shared recipe and
/// backend, and the table when it trains on one.
fn fields() -> Vec<Field<Document>> {
    let mut fields: Vec<Field<Document>> = vec![
        Field {
            key: "data",
            write: |d| Some(d.dataset.kind.key().to_owned()),
            read: |d, v| {
                DatasetKind::from_key(v)
                    .map(|kind| d.dataset.kind = kind)
                    .is_some()
            },
        },
        Field {
            key: "classes",
            write: |d| Some(d.dataset.classes.to_string()),
            read: |d, v| v.parse().map(|c| d.dataset.classes = c).is_ok(),
        },
        Field {
            key: "noise",
            write: |d| Some(d.dataset.noise_percent.to_string()),
            read: |d, v| v.parse().map(|n| d.dataset.noise_percent = n).is_ok(),
        },
        Field {
            key: "train",
            write: |d| Some(d.dataset.train_percent.to_string()),
            read: |d, v| v.parse().map(|t| d.dataset.train_percent = t).is_ok(),
        },
        Field {
            key: "seed",
            write: |d| Some(d.dataset.seed.to_string()),
            read: |d, v| v.parse().map(|s| d.dataset.seed = s).is_ok(),
        },
        Field {
            key: "features",
            write: |d| {
                Some(
                    d.features
                        .iter()
                        .map(|f| f.key())
                        .collect::<Vec<_>>()
                        .join(","),
                )
            },
            read: |d, v| {
                let parsed: Option<Vec<Feature>> = v
                    .split(',')
                    .filter(|key| !key.is_empty())
                    .map(Feature::from_key)
                    .collect();
                parsed.map(|features| d.features = features).is_some()
            },
        },
        Field {
            key: "layers",
            write: |d| {
                Some(
                    d.layers
                        .iter()
                        .map(layer_entry)
                        .collect::<Vec<_>>()
                        .join(","),
                )
            },
            read: |d, v| {
                let parsed: Option<Vec<LayerSpec>> = v
                    .split(',')
                    .filter(|e| !e.is_empty())
                    .map(read_layer)
                    .collect();
                parsed.map(|layers| d.layers = layers).is_some()
            },
        },
    ];
    fields.extend(link::settings_fields());
    fields.extend([
        Field {
            key: "table",
            write: |d: &Document| d.table.as_ref().map(|t| table_name(&t.name)),
            read: |d, v| {
                let name = table_name(v);
                !name.is_empty() && {
                    table_entry(d).name = name;
                    true
                }
            },
        },
        Field {
            key: "label",
            write: |d: &Document| d.table.as_ref().map(|t| t.choice.label.to_string()),
            read: |d, v| {
                v.parse()
                    .map(|label| table_entry(d).choice.label = label)
                    .is_ok()
            },
        },
        Field {
            key: "cols",
            write: |d: &Document| {
                d.table.as_ref().map(|t| {
                    t.choice
                        .features
                        .iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                })
            },
            read: |d, v| {
                let parsed: Result<Vec<usize>, _> = v
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::parse)
                    .collect();
                parsed
                    .map(|features| table_entry(d).choice.features = features)
                    .is_ok()
            },
        },
        Field {
            key: "task",
            write: |d: &Document| {
                d.table.as_ref().map(|t| match t.choice.task {
                    TableTask::Classes => "classes".to_owned(),
                    TableTask::Number => "number".to_owned(),
                })
            },
            read: |d, v| {
                let task = match v {
                    "classes" => TableTask::Classes,
                    "number" => TableTask::Number,
                    _ => return false,
                };
                table_entry(d).choice.task = task;
                true
            },
        },
        Field {
            key: "tclasses",
            write: |d: &Document| d.table.as_ref().map(|t| t.classes.to_string()),
            read: |d, v| {
                v.parse()
                    .map(|classes| table_entry(d).classes = classes)
                    .is_ok()
            },
        },
    ]);
    fields
}

/// The document's table setup, made if the link names one.
fn table_entry(document: &mut Document) -> &mut TableSetup {
    document.table.get_or_insert_with(|| TableSetup {
        name: String::new(),
        choice: TableChoice {
            label: 0,
            features: Vec::new(),
            task: TableTask::Classes,
        },
        classes: 0,
    })
}

/// A file name as a link carries it: letters, digits, `.`, `-` and `_` (others become `_`),
/// at most 64 characters.
pub fn table_name(name: &str) -> String {
    name.chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(units: usize) -> LayerSpec {
        LayerSpec::dense(units, Some(Act::Relu))
    }

    #[test]
    fn fragment_round_trips_every_field() {
        let document = Document {
            features: vec![Feature::X1, Feature::SinX2],
            layers: vec![
                dense(8),
                LayerSpec::Dense {
                    units: 8,
                    activation: None,
                    norm: true,
                    skip: true,
                    dropout: 25,
                },
            ],
            dataset: DatasetConfig {
                kind: DatasetKind::Spiral,
                noise_percent: 25,
                train_percent: 70,
                classes: 3,
                seed: 987_654_321,
            },
            recipe: Recipe {
                learning_rate: 0.003,
                batch_size: 17,
                optimizer: Optimizer::RmsProp,
                momentum: 0.5,
                penalty: Penalty::L2,
                penalty_rate: 0.01,
                ..Recipe::playground()
            },
            table: None,
            backend: BackendChoice::Cpu,
        };
        let (back, unreadable) = Document::from_fragment(&document.to_fragment());
        assert!(unreadable.is_empty(), "{unreadable:?}");
        assert_eq!(back, document);
    }

    #[test]
    fn bad_fragment_entries_are_reported_and_keep_defaults() {
        let (document, unreadable) = Document::from_fragment(
            "#data=moon&lr=-1&layers=4.relu,x.tanh&batch=9999&zzz=1&noise=30",
        );
        assert_eq!(unreadable, ["data", "lr", "layers", "zzz"]);
        let defaults = Document::default();
        assert_eq!(document.dataset.kind, defaults.dataset.kind);
        assert_eq!(document.recipe.learning_rate, defaults.recipe.learning_rate);
        assert_eq!(document.layers, defaults.layers);
        assert_eq!(document.recipe.batch_size, MAX_BATCH_SIZE);
        assert_eq!(document.dataset.noise_percent, 30);
    }

    #[test]
    fn links_made_before_the_shared_recipe_still_open_the_same_setup() {
        let links: Vec<&str> = include_str!("../tests/fixtures/links-f1d84a4.txt")
            .lines()
            .filter(|line| line.starts_with("#data="))
            .collect();
        assert_eq!(links.len(), 2);
        let (opening, unreadable) = Document::from_fragment(links[0]);
        assert!(unreadable.is_empty(), "{unreadable:?}");
        assert_eq!(opening, Document::default());
        let (document, unreadable) = Document::from_fragment(links[1]);
        assert!(unreadable.is_empty(), "{unreadable:?}");
        assert_eq!(document.dataset.kind, DatasetKind::Spiral);
        assert_eq!(
            document.features,
            [Feature::X1, Feature::X2, Feature::SinX1]
        );
        assert_eq!(
            document.layers,
            [
                LayerSpec::dense(4, Some(Act::Tanh)),
                LayerSpec::dense(2, None)
            ]
        );
        // "SGD + momentum" was SGD with momentum 0.9; L2 is the same penalty.
        assert_eq!(document.recipe.optimizer, Optimizer::Sgd);
        assert_eq!(document.recipe.momentum, 0.9);
        assert_eq!(document.recipe.penalty, Penalty::L2);
        assert_eq!(document.recipe.penalty_rate, 0.003);
        assert_eq!(document.recipe.learning_rate, 0.03);
        assert_eq!(document.recipe.batch_size, 10);
    }

    #[test]
    fn a_table_setup_makes_a_table_network_and_round_trips_through_the_link() {
        let table = TableSetup {
            name: "iris.csv".into(),
            choice: TableChoice {
                label: 4,
                features: vec![0, 1, 2, 3],
                task: TableTask::Classes,
            },
            classes: 3,
        };
        let doc = Document::default().apply(DocumentAction::SetTable(Some(Box::new(table))));
        assert_eq!(doc.input(), Input::Table { columns: 4 });
        assert_eq!(doc.head(), Head::Classification { classes: 3 });
        let report = doc.shapes().expect("valid");
        assert_eq!(report.layers.last().map(|l| l.units), Some(3));
        assert!(!doc.same_run(&Document::default()));
        let (back, unreadable) = Document::from_fragment(&doc.to_fragment());
        assert!(unreadable.is_empty(), "{unreadable:?}");
        assert_eq!(back, doc);
        // Choosing generated data leaves the table.
        let points = doc.apply(DocumentAction::SetDataset(DatasetKind::Xor));
        assert_eq!(points.table, None);
        assert!(matches!(points.input(), Input::Points { .. }));
        assert_eq!(table_name("my data (v2).csv"), "my_data__v2_.csv");
    }

    #[test]
    fn layers_insert_move_duplicate_remove() {
        let doc = Document {
            layers: vec![],
            ..Document::default()
        };
        let doc = doc
            .apply(DocumentAction::InsertLayer {
                index: 0,
                layer: dense(1),
            })
            .apply(DocumentAction::InsertLayer {
                index: 9,
                layer: dense(2),
            })
            .apply(DocumentAction::InsertLayer {
                index: 1,
                layer: dense(3),
            });
        assert_eq!(doc.layers, [dense(1), dense(3), dense(2)]);
        let doc = doc.apply(DocumentAction::MoveLayer { from: 0, to: 2 });
        assert_eq!(doc.layers, [dense(3), dense(2), dense(1)]);
        let doc = doc.apply(DocumentAction::MoveLayer { from: 2, to: 0 });
        assert_eq!(doc.layers, [dense(1), dense(3), dense(2)]);
        let doc = doc.apply(DocumentAction::DuplicateLayer { index: 1 });
        assert_eq!(doc.layers, [dense(1), dense(3), dense(3), dense(2)]);
        let doc = doc
            .apply(DocumentAction::RemoveLayer { index: 0 })
            .apply(DocumentAction::RemoveLayer { index: 7 });
        assert_eq!(doc.layers, [dense(3), dense(3), dense(2)]);
    }

    #[test]
    fn invalid_edits_surface_as_spec_errors() {
        let doc = Document::default().apply(DocumentAction::SetUnits { index: 0, units: 0 });
        assert!(matches!(
            doc.shapes(),
            Err(SpecError::ZeroUnits { number: 1, .. })
        ));
        let doc = Document::default()
            .apply(DocumentAction::ToggleFeature(Feature::X1))
            .apply(DocumentAction::ToggleFeature(Feature::X2));
        assert_eq!(doc.shapes(), Err(SpecError::NoFeatures));
        let doc = doc
            .apply(DocumentAction::ToggleFeature(Feature::SinX2))
            .apply(DocumentAction::ToggleFeature(Feature::X1));
        assert_eq!(
            doc.features,
            [Feature::X1, Feature::SinX2],
            "kept in palette order"
        );
    }

    #[test]
    fn hyperparameters_do_not_change_the_run_but_layers_do() {
        let doc = Document::default();
        let faster = doc.clone().apply(DocumentAction::SetLearningRate(0.3));
        assert!(doc.same_run(&faster));
        assert_eq!(faster.recipe.learning_rate, 0.3);
        let rejected = doc.clone().apply(DocumentAction::SetLearningRate(f64::NAN));
        assert_eq!(rejected.recipe.learning_rate, doc.recipe.learning_rate);
        let wider = doc
            .clone()
            .apply(DocumentAction::SetUnits { index: 1, units: 5 });
        assert!(!doc.same_run(&wider));
    }
}
