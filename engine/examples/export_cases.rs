//! Writes the exports `scripts/check_export.py` holds to onnxruntime's and PyTorch's numbers:
//! each preset network (the playground's opening network, LeNet and the small ResNet on the
//! bundled digits), a regression, a table, and a network using every layer type — each trained
//! an epoch here on the CPU backend, so batch norms' running statistics are not the starting
//! ones, then exported with its data and the scores Agora computes for eight validation samples.
//!
//!     cargo run -p agora-engine --release --example export_cases -- DIR

use std::io::Read;
use std::path::PathBuf;

use agora_engine::data::{Dataset, DatasetConfig, DatasetKind, Rng};
use agora_engine::export::{ExportModel, Scaling, bundle};
use agora_engine::images::ImageSet;
use agora_engine::net::{Act, Feature, Head, ImageSize, Input, Layer, Network};
use agora_engine::recipe::{Optimizer, Recipe};
use agora_engine::samples::{Rows, Samples, Targets};
use agora_engine::{Device, Trainer};

fn digits() -> ImageSet {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../static/data/digits.agds.gz");
    let gz = std::fs::read(path).expect("the bundled digits");
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut bytes)
        .expect("gzip");
    ImageSet::decode(&bytes).expect("digits file")
}

/// Coloured noise whose class is the brightest channel: 3×16×16, three classes.
fn colour_images(count: usize, seed: u64) -> ImageSet {
    let mut rng = Rng::new(seed);
    let size = ImageSize {
        channels: 3,
        height: 16,
        width: 16,
    };
    let mut labels = Vec::with_capacity(count);
    let mut pixels = Vec::with_capacity(count * 768);
    for index in 0..count {
        let class = index % 3;
        labels.push(u8::try_from(class).unwrap_or(0));
        for _ in 0..256 {
            for channel in 0..3 {
                let base = if channel == class { 150.0 } else { 60.0 };
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                pixels.push((base + rng.uniform(-60.0, 60.0)).clamp(0.0, 255.0) as u8);
            }
        }
    }
    ImageSet {
        size,
        class_names: vec!["red".into(), "green".into(), "blue, bright".into()],
        labels,
        pixels,
    }
}

/// Every layer type but `GlobalAvgPool` (which the small ResNet has; a chain cannot hold both
/// it and `Flatten`): strided, padded and dilated convolutions, both norms on images and on
/// vectors, every activation, both pools, dropout, and `Add` / `Concat` skips on images and
/// on vectors.
fn every_layer() -> Network {
    Network {
        input: Input::Image(ImageSize {
            channels: 3,
            height: 16,
            width: 16,
        }),
        layers: vec![
            Layer::conv(8, 3),
            Layer::BatchNorm,
            Layer::Activation(Act::Relu),
            Layer::Conv2d {
                filters: 8,
                kernel: 3,
                stride: 1,
                padding: 2,
                dilation: 2,
            },
            Layer::LayerNorm,
            Layer::Add { from: 3 },
            Layer::Activation(Act::Gelu),
            Layer::Concat { from: 1 },
            Layer::MaxPool { size: 2, stride: 2 },
            Layer::Conv2d {
                filters: 8,
                kernel: 3,
                stride: 2,
                padding: 1,
                dilation: 1,
            },
            Layer::Activation(Act::LeakyRelu),
            Layer::AvgPool { size: 2, stride: 2 },
            Layer::Flatten,
            Layer::Dense { units: 16 },
            Layer::BatchNorm,
            Layer::Activation(Act::Tanh),
            Layer::Dropout { percent: 20 },
            Layer::Dense { units: 16 },
            Layer::LayerNorm,
            Layer::Activation(Act::Sigmoid),
            Layer::Concat { from: 16 },
            Layer::Dense { units: 3 },
            Layer::Softmax,
        ],
        head: Head::Classification { classes: 3 },
    }
}

fn points(kind: DatasetKind, features: &[Feature], head: Head) -> (Samples, Samples) {
    let dataset = Dataset::generate(DatasetConfig {
        kind,
        noise_percent: 10,
        train_percent: 50,
        classes: 2,
        seed: 7,
    });
    let rows = |points| Samples::Rows(Rows::from_points(points, features, head));
    (rows(&dataset.train), rows(&dataset.test))
}

/// A table of four standardised columns whose class is the sign of a mix of them.
fn table(count: usize, seed: u64) -> Samples {
    let mut rng = Rng::new(seed);
    let mut values = Vec::with_capacity(count * 4);
    let mut labels = Vec::with_capacity(count);
    for _ in 0..count {
        let row: Vec<f32> = (0..4).map(|_| rng.uniform(-2.0, 2.0)).collect();
        labels.push(u8::from(row[0] + 0.5 * row[1] - row[2] * row[3] > 0.0));
        values.extend(row);
    }
    Samples::Rows(Rows {
        columns: 4,
        values,
        targets: Targets::Classes(labels),
        classes: 2,
    })
}

/// The same rows with a number to predict: a mix of the first two columns.
fn values(samples: &Samples) -> Samples {
    let Samples::Rows(rows) = samples else {
        return samples.clone();
    };
    let targets = (0..rows.len())
        .map(|row| rows.values[row * 4] + 0.5 * rows.values[row * 4 + 1])
        .collect();
    Samples::Rows(Rows {
        targets: Targets::Values(targets),
        classes: 0,
        ..rows.clone()
    })
}

struct Case {
    name: &'static str,
    network: Network,
    train: Samples,
    val: Samples,
    recipe: Recipe,
    class_names: Vec<String>,
    columns: Vec<String>,
    /// A table's standardisation (the export takes the table's own numbers).
    scaling: Option<Scaling>,
}

fn cases() -> Vec<Case> {
    let digits = digits();
    // A fifth of the digits keeps the PyTorch runs short; the split is the page's own.
    let some: Vec<usize> = (0..digits.len()).step_by(5).collect();
    let (digit_train, digit_val) = digits.subset(&some).split(80, 1);
    let digit_names = digits.class_names.clone();
    let size = digits.size;
    let colours = colour_images(600, 3);
    let (colour_train, colour_val) = colours.split(80, 2);
    let all_features = Feature::ALL.to_vec();
    let two = Head::Classification { classes: 2 };
    let (circle_train, circle_val) = points(DatasetKind::Circle, &all_features, two);
    let (plane_train, plane_val) = points(
        DatasetKind::Plane,
        &[Feature::X1, Feature::X2],
        Head::Regression,
    );
    let table_rows = table(400, 5);
    let Samples::Rows(rows) = &table_rows else {
        unreachable!()
    };
    let table_train = Samples::Rows(rows.subset(&(0..300).collect::<Vec<_>>()));
    let table_val = Samples::Rows(rows.subset(&(300..400).collect::<Vec<_>>()));
    let adam = Recipe {
        epochs: 3,
        ..Recipe::default()
    };
    vec![
        Case {
            name: "playground",
            network: Network::dense(
                Input::Points {
                    features: all_features.clone(),
                },
                &[(8, Some(Act::Tanh)), (4, Some(Act::Tanh))],
                two,
            ),
            train: circle_train,
            val: circle_val,
            recipe: Recipe::playground(),
            class_names: vec!["blue".into(), "orange".into()],
            columns: Vec::new(),
            scaling: None,
        },
        Case {
            name: "regression",
            network: Network::dense(
                Input::Points {
                    features: vec![Feature::X1, Feature::X2],
                },
                &[(6, Some(Act::Relu))],
                Head::Regression,
            ),
            train: plane_train,
            val: plane_val,
            recipe: Recipe {
                optimizer: Optimizer::Sgd,
                learning_rate: 0.01,
                ..Recipe::playground()
            },
            class_names: Vec::new(),
            columns: Vec::new(),
            scaling: None,
        },
        Case {
            name: "table",
            network: Network::dense(
                Input::Table { columns: 4 },
                &[(16, Some(Act::Relu)), (8, Some(Act::Gelu))],
                two,
            ),
            train: table_train.clone(),
            val: table_val.clone(),
            recipe: adam,
            class_names: vec!["no".into(), "yes".into()],
            columns: vec![
                "height".into(),
                "width, cm".into(),
                "depth".into(),
                "mass".into(),
            ],
            scaling: Some(Scaling {
                means: vec![170.0, 40.0, -3.0, 0.5],
                deviations: vec![10.0, 2.5, 4.0, 0.1],
                label: None,
            }),
        },
        Case {
            name: "table-value",
            network: Network::dense(
                Input::Table { columns: 4 },
                &[(12, Some(Act::Tanh))],
                Head::Regression,
            ),
            train: values(&table_train),
            val: values(&table_val),
            recipe: adam,
            class_names: Vec::new(),
            columns: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            scaling: Some(Scaling {
                means: vec![1.0, 2.0, 3.0, 4.0],
                deviations: vec![0.5, 2.0, 1.5, 3.0],
                label: Some((20.0, 4.0)),
            }),
        },
        Case {
            name: "lenet",
            network: Network::lenet(size, 10),
            train: Samples::Images(digit_train.clone()),
            val: Samples::Images(digit_val.clone()),
            recipe: Recipe {
                epochs: 2,
                ..Recipe::default()
            },
            class_names: digit_names.clone(),
            columns: Vec::new(),
            scaling: None,
        },
        Case {
            name: "resnet",
            network: Network::small_resnet(size, 10),
            train: Samples::Images(digit_train),
            val: Samples::Images(digit_val),
            recipe: adam,
            class_names: digit_names,
            columns: Vec::new(),
            scaling: None,
        },
        Case {
            name: "every-layer",
            network: every_layer(),
            train: Samples::Images(colour_train),
            val: Samples::Images(colour_val),
            recipe: Recipe {
                optimizer: Optimizer::AdamW,
                weight_decay: 0.01,
                clip_norm: Some(1.0),
                ..adam
            },
            class_names: colours.class_names.clone(),
            columns: Vec::new(),
            scaling: None,
        },
    ]
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "exports".into()));
    std::fs::create_dir_all(&dir).expect("the output folder");
    let device = Device::flex();
    for case in cases() {
        let mut trainer = Trainer::new(
            &device,
            &case.network,
            &case.train,
            &case.val,
            case.recipe,
            None,
            11,
        )
        .expect("the case trains");
        while !trainer.train_batches(64) {}
        let metrics = pollster::block_on(trainer.epoch_metrics()).expect("metrics");
        let params = pollster::block_on(trainer.params()).expect("params");
        let check = pollster::block_on(trainer.export_check(&case.val)).expect("scores");
        let model = ExportModel {
            title: case.name.to_owned(),
            network: &case.network,
            params: &params,
            recipe: case.recipe,
            // LeNet's export asks train.py to augment (the page's crop and brightness), so the
            // torchrun check trains through that path too.
            augment: if case.name == "lenet" {
                agora_engine::photos::Augment {
                    crop: true,
                    brightness: true,
                    flip: false,
                }
            } else {
                agora_engine::photos::Augment::NONE
            },
            seed: 11,
            epochs_trained: trainer.epoch(),
            steps: trainer.batches_done() as u64,
            class_names: case.class_names.clone(),
            columns: case.columns.clone(),
            check: Some(check),
            scaling: case.scaling.clone(),
            data: Some((&case.train, &case.val)),
        };
        let bytes = bundle(&model).expect("the export");
        let path = dir.join(format!("{}.zip", case.name));
        std::fs::write(&path, &bytes).expect("write the export");
        println!(
            "{}: {} bytes, epoch 1 val loss {:.4}, val accuracy {:.3} → {}",
            case.name,
            bytes.len(),
            metrics.val_loss,
            metrics.val_accuracy,
            path.display()
        );
    }
}
