//! The project's reducer and link, for points, tables, digits and photos.

use super::*;
use agora_engine::net::ImageSize;
use agora_engine::table::{TableChoice, TableTask};

fn dense(units: usize) -> LayerSpec {
    LayerSpec::dense(units, Some(Act::Relu))
}

fn open(link: &str) -> (Project, Vec<String>) {
    Project::from_fragment(link).expect("a link that opens")
}

fn iris() -> TableSetup {
    TableSetup {
        name: "iris.csv".into(),
        choice: TableChoice {
            label: 4,
            features: vec![0, 1, 2, 3],
            task: TableTask::Classes,
        },
        classes: 3,
    }
}

#[test]
fn a_points_link_round_trips_every_field() {
    let project = Project::default()
        .apply(ProjectAction::SetDataset(DatasetKind::Spiral))
        .apply(ProjectAction::SetNoise(25))
        .apply(ProjectAction::SetClasses(3))
        .apply(ProjectAction::SetTrainPercent(70))
        .apply(ProjectAction::SetSeed(987_654_321))
        .apply(ProjectAction::ToggleFeature(Feature::X2))
        .apply(ProjectAction::ToggleFeature(Feature::SinX2))
        .apply(ProjectAction::RemoveCard { index: 1 })
        .apply(ProjectAction::RemoveCard { index: 0 })
        .apply(ProjectAction::InsertCard {
            index: 0,
            layer: dense(8),
        })
        .apply(ProjectAction::InsertCard {
            index: 1,
            layer: LayerSpec::Dense {
                units: 8,
                activation: None,
                norm: true,
                skip: true,
                dropout: 25,
            },
        })
        .apply(ProjectAction::SetRecipe(Recipe {
            learning_rate: 0.003,
            batch_size: 17,
            optimizer: Optimizer::RmsProp,
            momentum: 0.5,
            penalty: Penalty::L2,
            penalty_rate: 0.01,
            ..Recipe::playground()
        }))
        .apply(ProjectAction::SetBackend(BackendChoice::Cpu));
    assert_eq!(project.features(), [Feature::X1, Feature::SinX2]);
    assert_eq!(project.cards().len(), 2);
    let fragment = project.to_fragment();
    assert!(
        fragment.starts_with(
            "data=spiral&classes=3&noise=25&train=70&seed=987654321&features=x1,sinx2&layers=8.relu,8.linear.bn.res.d25&lr=0.003&batch=17&opt=rmsprop&"
        ),
        "{fragment}"
    );
    let (back, unreadable) = open(&fragment);
    assert!(unreadable.is_empty(), "{unreadable:?}");
    assert_eq!(back, project);
    assert!(!is_images_link(&fragment));
}

#[test]
fn bad_entries_are_named_and_keep_defaults() {
    let (project, unreadable) =
        open("#data=moon&lr=-1&layers=4.relu,x.tanh&batch=9999&zzz=1&noise=30&net=conv8k3s1p1d1");
    assert_eq!(unreadable, ["data", "lr", "layers", "zzz", "net"]);
    let defaults = Project::default();
    assert_eq!(project.dataset().map(|d| d.kind), Some(DatasetKind::Circle));
    assert_eq!(project.recipe.learning_rate, defaults.recipe.learning_rate);
    assert_eq!(project.network, defaults.network);
    assert_eq!(project.recipe.batch_size, MAX_BATCH_SIZE);
    assert_eq!(project.dataset().map(|d| d.noise_percent), Some(30));
    // A points link may name its network in layer words, if the playground can draw it.
    let (words, unreadable) = open("#data=xor&net=fc3,relu,fc2,softmax");
    assert!(unreadable.is_empty(), "{unreadable:?}");
    assert_eq!(words.cards(), [dense(3)]);
}

#[test]
fn playground_links_made_before_the_one_project_open_the_same_setup() {
    let links: Vec<&str> = include_str!("../../tests/fixtures/links-f1d84a4.txt")
        .lines()
        .filter(|line| line.starts_with("#data="))
        .collect();
    assert_eq!(links.len(), 2);
    let (opening, unreadable) = open(links[0]);
    assert!(unreadable.is_empty(), "{unreadable:?}");
    assert_eq!(opening, Project::default());
    let (project, unreadable) = open(links[1]);
    assert!(unreadable.is_empty(), "{unreadable:?}");
    assert_eq!(project.dataset().map(|d| d.kind), Some(DatasetKind::Spiral));
    assert_eq!(
        project.features(),
        [Feature::X1, Feature::X2, Feature::SinX1]
    );
    assert_eq!(
        project.cards(),
        [
            LayerSpec::dense(4, Some(Act::Tanh)),
            LayerSpec::dense(2, None)
        ]
    );
    // "SGD + momentum" was SGD with momentum 0.9; L2 is the same penalty.
    assert_eq!(project.recipe.optimizer, Optimizer::Sgd);
    assert_eq!(project.recipe.momentum, 0.9);
    assert_eq!(project.recipe.penalty, Penalty::L2);
    assert_eq!(project.recipe.penalty_rate, 0.003);
    assert_eq!(project.recipe.learning_rate, 0.03);
    assert_eq!(project.recipe.batch_size, 10);
}

#[test]
fn a_table_makes_a_table_network_and_round_trips_through_the_link() {
    let project = Project::default().apply(ProjectAction::SetData(Data::Table(iris())));
    assert_eq!(project.network.input, Input::Table { columns: 4 });
    assert_eq!(project.head(), Head::Classification { classes: 3 });
    assert_eq!(
        project.cards(),
        Project::default().cards(),
        "the cards stay"
    );
    let report = project.shapes().expect("valid");
    assert_eq!(report.layers.last().map(|l| l.units), Some(3));
    assert!(!project.same_run(&Project::default()));
    let fragment = project.to_fragment();
    assert!(
        fragment.contains("&table=iris.csv&label=4&cols=0,1,2,3&task=classes&tclasses=3"),
        "{fragment}"
    );
    let (back, unreadable) = open(&fragment);
    assert!(unreadable.is_empty(), "{unreadable:?}");
    assert_eq!(back, project);
    // A link of the build before the one project named the points first, then the table.
    let (old, unreadable) = open(
        "#data=circle&classes=2&noise=0&train=50&seed=1&features=x1,x2&layers=4.tanh,2.tanh&lr=0.03&batch=10&opt=sgd&table=iris.csv&label=4&cols=0,1,2,3&task=classes&tclasses=3",
    );
    assert!(unreadable.is_empty(), "{unreadable:?}");
    assert_eq!(old, project);
    // Choosing generated data leaves the table; a number label makes a regression.
    let points = project
        .clone()
        .apply(ProjectAction::SetDataset(DatasetKind::Xor));
    assert_eq!(points.data.table(), None);
    assert!(matches!(points.network.input, Input::Points { .. }));
    let mut number = iris();
    number.choice.task = TableTask::Number;
    let regression = project.apply(ProjectAction::SetData(Data::Table(number)));
    assert_eq!(regression.head(), Head::Regression);
    assert_eq!(
        regression.network.layers.last(),
        Some(&Layer::Dense { units: 1 })
    );
    assert_eq!(table_name("my data (v2).csv"), "my_data__v2_.csv");
}

#[test]
fn cards_insert_move_duplicate_remove() {
    let project = Project::default()
        .apply(ProjectAction::RemoveCard { index: 0 })
        .apply(ProjectAction::RemoveCard { index: 0 });
    assert!(project.cards().is_empty());
    let project = project
        .apply(ProjectAction::InsertCard {
            index: 0,
            layer: dense(1),
        })
        .apply(ProjectAction::InsertCard {
            index: 9,
            layer: dense(2),
        })
        .apply(ProjectAction::InsertCard {
            index: 1,
            layer: dense(3),
        });
    assert_eq!(project.cards(), [dense(1), dense(3), dense(2)]);
    let project = project.apply(ProjectAction::MoveCard { from: 0, to: 2 });
    assert_eq!(project.cards(), [dense(3), dense(2), dense(1)]);
    let project = project.apply(ProjectAction::MoveCard { from: 2, to: 0 });
    assert_eq!(project.cards(), [dense(1), dense(3), dense(2)]);
    let project = project.apply(ProjectAction::DuplicateCard { index: 1 });
    assert_eq!(project.cards(), [dense(1), dense(3), dense(3), dense(2)]);
    let project = project
        .apply(ProjectAction::RemoveCard { index: 0 })
        .apply(ProjectAction::RemoveCard { index: 7 });
    assert_eq!(project.cards(), [dense(3), dense(3), dense(2)]);
    // The cards are the network: Dense, activation, …, then the head's output layer.
    assert_eq!(
        project.network.layers[..2],
        [Layer::Dense { units: 3 }, Layer::Activation(Act::Relu)]
    );
    assert_eq!(
        project.network.layers[6..],
        [Layer::Dense { units: 2 }, Layer::Softmax]
    );
    // Graph edits are the image classifier's: they leave the cards alone.
    let same = project.clone().apply(ProjectAction::Remove { at: 0 });
    assert_eq!(same, project);
}

#[test]
fn invalid_edits_surface_as_spec_errors() {
    let project = Project::default().apply(ProjectAction::SetUnits { index: 0, units: 0 });
    assert!(matches!(
        project.shapes(),
        Err(SpecError::ZeroUnits { number: 1, .. })
    ));
    assert!(project.problem().is_some_and(|p| p.contains("0 neurons")));
    let project = Project::default()
        .apply(ProjectAction::ToggleFeature(Feature::X1))
        .apply(ProjectAction::ToggleFeature(Feature::X2));
    assert_eq!(project.shapes(), Err(SpecError::NoFeatures));
    let project = project
        .apply(ProjectAction::ToggleFeature(Feature::SinX2))
        .apply(ProjectAction::ToggleFeature(Feature::X1));
    assert_eq!(
        project.features(),
        [Feature::X1, Feature::SinX2],
        "kept in palette order"
    );
}

#[test]
fn settings_do_not_change_the_run_but_layers_do() {
    let project = Project::default();
    let faster = project.clone().apply(ProjectAction::SetLearningRate(0.3));
    assert!(project.same_run(&faster));
    assert_eq!(faster.recipe.learning_rate, 0.3);
    let rejected = project
        .clone()
        .apply(ProjectAction::SetLearningRate(f64::NAN));
    assert_eq!(rejected.recipe.learning_rate, project.recipe.learning_rate);
    let wider = project
        .clone()
        .apply(ProjectAction::SetUnits { index: 1, units: 5 });
    assert!(!project.same_run(&wider));
    let batch = project.apply(ProjectAction::SetBatchSize(500));
    assert_eq!(
        batch.recipe.batch_size, MAX_BATCH_SIZE,
        "the playground's slider"
    );
    assert_eq!(
        batch.recipe.epochs,
        usize::MAX,
        "the playground trains until paused"
    );
}

#[test]
fn presets_are_valid_networks() {
    for preset in Preset::ALL {
        let project = Project::digits().apply(ProjectAction::Preset(preset));
        assert!(project.report().is_ok(), "{preset:?}");
    }
    // The playground's points take no preset.
    let points = Project::default().apply(ProjectAction::Preset(Preset::ResNet));
    assert_eq!(points, Project::default());
}

#[test]
fn skips_follow_their_layer_through_edits() {
    let project = Project::digits().apply(ProjectAction::Preset(Preset::ResNet));
    let add_at = project
        .network
        .layers
        .iter()
        .position(|layer| matches!(layer, Layer::Add { .. }))
        .expect("the preset has a skip");
    assert_eq!(project.network.layers[add_at], Layer::Add { from: 4 });
    // Insert before the skip's source: the source moves down one.
    let project = project.apply(ProjectAction::Insert {
        at: 0,
        layer: Layer::Activation(Act::Gelu),
    });
    assert_eq!(project.network.layers[add_at + 1], Layer::Add { from: 5 });
    assert!(project.report().is_ok(), "{:?}", project.report());
    // Remove it again: back to where it was.
    let project = project.apply(ProjectAction::Remove { at: 0 });
    assert_eq!(project.network.layers[add_at], Layer::Add { from: 4 });
    // Move a layer inside the block: still valid, source unchanged.
    let project = project.apply(ProjectAction::Move { from: 6, to: 5 });
    assert_eq!(project.network.layers[add_at], Layer::Add { from: 4 });
    assert!(project.report().is_ok());
}

#[test]
fn a_fix_repairs_the_network() {
    let project = Project::digits().apply(ProjectAction::Remove { at: 6 }); // LeNet's Flatten
    let error = project.report().expect_err("Dense after an image");
    assert!(project.problem().is_some());
    let fix = error.fix.expect("a fix");
    let project = project.apply(ProjectAction::Fix(fix));
    assert!(project.report().is_ok());
    assert_eq!(project.network, Project::digits().network);
}

#[test]
fn recipe_values_are_kept_in_range() {
    let project = Project::digits().apply(ProjectAction::SetRecipe(Recipe {
        learning_rate: f64::NAN,
        batch_size: 0,
        epochs: usize::MAX,
        clip_norm: Some(-1.0),
        ..Recipe::default()
    }));
    assert_eq!(project.recipe.learning_rate, 0.001);
    assert_eq!(project.recipe.batch_size, 1);
    assert_eq!(project.recipe.epochs, 500);
    assert_eq!(project.recipe.clip_norm, None);
    let big = Project::digits().apply(ProjectAction::SetBatchSize(600));
    assert_eq!(big.recipe.batch_size, 600, "images take big batches");
    let same = Project::digits().apply(ProjectAction::SetRecipe(Recipe {
        learning_rate: 0.1,
        ..Recipe::default()
    }));
    assert!(
        same.same_run(&Project::digits()),
        "a recipe change does not restart"
    );
}

#[test]
fn an_image_link_reproduces_the_setup() {
    let project = Project::digits()
        .apply(ProjectAction::Preset(Preset::ResNet))
        .apply(ProjectAction::SetSeed(42))
        .apply(ProjectAction::SetRecipe(Recipe {
            learning_rate: 0.0125,
            clip_norm: Some(1.5),
            schedule: agora_engine::recipe::Schedule::Step {
                every: 2,
                gamma: 0.5,
            },
            ..Recipe::default()
        }))
        .apply(ProjectAction::SetBackend(BackendChoice::Cpu));
    let fragment = project.to_fragment();
    // Readable, like the playground's: the data, the layers as words, the settings.
    assert!(
        fragment.starts_with("data=digits&net=conv16k3s1p1d1,bn,relu,max2s2,")
            && fragment.contains(",add4,relu,gap,fc10,softmax&"),
        "{fragment}"
    );
    assert!(fragment.contains("&seed=42&") && fragment.contains("&clip=1.5&sched=step.2.0.5&"));
    assert!(
        !fragment.contains("noise=")
            && !fragment.contains("features=")
            && !fragment.contains("layers="),
        "{fragment}"
    );
    assert!(
        fragment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.,&=".contains(&b)),
        "{fragment}"
    );
    assert!(is_images_link(&format!("#{fragment}")));
    assert_eq!(
        Project::from_fragment(&format!("#{fragment}")),
        Ok((project, Vec::new()))
    );
    assert_eq!(
        Project::from_fragment("#lab"),
        Ok((Project::digits(), Vec::new()))
    );
}

#[test]
fn lab_links_made_before_the_one_network_type_open_the_same_setup() {
    let links: Vec<&str> = include_str!("../../tests/fixtures/links-f1d84a4.txt")
        .lines()
        .filter(|line| line.starts_with("#lab="))
        .collect();
    assert_eq!(links.len(), 3);
    let opened = |link: &str| {
        let (project, unreadable) = open(link);
        assert!(unreadable.is_empty());
        assert!(is_images_link(link));
        project
    };
    let lenet = opened(links[0]);
    assert_eq!(lenet, Project::digits());
    let resnet = opened(links[1]);
    assert_eq!(resnet.network, Preset::ResNet.network());
    let photos = opened(links[2]);
    assert_eq!(photos.data, Data::PHOTOS);
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
    assert_eq!(
        photos.network,
        Preset::LeNet.network_for(photos.image_size(), 3)
    );
}

#[test]
fn bad_image_links_say_why_and_change_nothing() {
    assert_eq!(
        Project::from_fragment("#lab=%7"),
        Err("the link is cut or garbled".to_owned())
    );
    assert!(
        Project::from_fragment("#lab=%7B%22network%22")
            .is_err_and(|e| e.starts_with("the link's setup could not be read"))
    );
    // A cut or hostile link keeps the defaults of what it garbles and names it.
    let (project, unreadable) = open(
        "#data=digits&net=conv8k3s1p1d1,relu,fc99999999,softmax&lr=NaN&seed=7&side=4000&opt=&layers=4.tanh&noise=3&features=x1",
    );
    assert_eq!(
        unreadable,
        ["net", "lr", "side", "opt", "layers", "noise", "features"]
    );
    assert_eq!(project.network, Project::digits().network);
    assert_eq!(project.seed, 7);
    assert_eq!(
        project.data,
        Data::Digits,
        "a size does not turn digits into photos"
    );
    // A link cannot change the data's size or smuggle in unusable settings.
    let mut odd = Project::digits();
    odd.network.input = Input::Image(ImageSize {
        height: 5000,
        ..DIGITS
    });
    odd.recipe.batch_size = 0;
    let (read, _) = open(&odd.to_fragment());
    assert_eq!(read.network.input, Input::Image(DIGITS));
    assert_eq!(read.recipe.batch_size, 1);
}

#[test]
fn photos_set_the_input_and_the_output_layer() {
    let project = Project::digits().apply(ProjectAction::SetData(Data::PHOTOS));
    assert_eq!(
        project.image_size(),
        ImageSize {
            channels: 3,
            height: 32,
            width: 32
        }
    );
    assert_eq!(project.network.classes(), 2);
    assert_eq!(
        project.network.layers[project.network.layers.len() - 2],
        Layer::Dense { units: 2 }
    );
    assert!(project.report().is_ok(), "{:?}", project.report());
    let project = project.apply(ProjectAction::SetClasses(5));
    assert_eq!(project.network.classes(), 5);
    assert!(project.report().is_ok());
    let grey = project.clone().apply(ProjectAction::SetData(Data::Photos {
        side: 64,
        colour: false,
        pretrained: false,
    }));
    assert_eq!((grey.image_size().channels, grey.network.classes()), (1, 5));
    assert!(
        !grey.same_run(&project),
        "another input size restarts training"
    );
    assert!(
        grey.report().is_ok(),
        "LeNet adapts to 64×64: {:?}",
        grey.report()
    );
    // Presets are built for the current data.
    let resnet = grey.clone().apply(ProjectAction::Preset(Preset::ResNet));
    assert_eq!(
        (resnet.image_size().height, resnet.network.classes()),
        (64, 5)
    );
    assert!(resnet.report().is_ok());
    // Digits ignore class counts from a project.
    let digits = grey.apply(ProjectAction::SetData(Data::Digits));
    assert_eq!(digits.image_size(), DIGITS);
    assert_eq!(
        digits.apply(ProjectAction::SetClasses(3)).network.classes(),
        10
    );
    // A link keeps the data choice; an odd size is replaced.
    let photos = Project::digits()
        .apply(ProjectAction::SetData(Data::PHOTOS))
        .apply(ProjectAction::SetAugment(Augment {
            flip: true,
            ..Augment::NONE
        }));
    assert_eq!(
        Project::from_fragment(&photos.to_fragment()),
        Ok((photos.clone(), Vec::new()))
    );
    let mut odd = photos;
    odd.data = Data::Photos {
        side: 4000,
        colour: true,
        pretrained: false,
    };
    let (read, unreadable) = open(&odd.to_fragment());
    assert_eq!(read.image_size().height, 32);
    assert_eq!(unreadable, ["side"]);
}

#[test]
fn the_pretrained_network_gives_a_head_over_its_features_and_back() {
    let photos = Project::digits()
        .apply(ProjectAction::SetData(Data::PHOTOS))
        .apply(ProjectAction::SetClasses(3));
    let pre = photos
        .clone()
        .apply(ProjectAction::SetData(Data::PRETRAINED));
    assert_eq!(pre.network.input, Input::Pretrained { side: 160 });
    assert_eq!(
        pre.network.layers,
        [Layer::Dense { units: 3 }, Layer::Softmax],
        "Teachable Machine's head: one softmax layer"
    );
    assert!(pre.report().is_ok(), "{:?}", pre.report());
    assert!(!pre.same_run(&photos));
    // The hidden-layer head, more classes, another input size: all kept by a link.
    let hidden = pre
        .apply(ProjectAction::Preset(Preset::Hidden))
        .apply(ProjectAction::SetClasses(4))
        .apply(ProjectAction::SetData(Data::Photos {
            side: 224,
            colour: true,
            pretrained: true,
        }));
    assert_eq!(hidden.network.input, Input::Pretrained { side: 224 });
    assert_eq!(hidden.network.layers.len(), 5);
    assert_eq!(hidden.network.classes(), 4);
    assert!(hidden.report().is_ok(), "{:?}", hidden.report());
    assert_eq!(
        Project::from_fragment(&hidden.to_fragment()),
        Ok((hidden.clone(), Vec::new()))
    );
    // Sizes the pretrained network does not take become 160; grey is not offered.
    let odd = hidden.clone().apply(ProjectAction::SetData(Data::Photos {
        side: 64,
        colour: false,
        pretrained: true,
    }));
    assert_eq!(odd.data, Data::PRETRAINED);
    // Back to pixels: a network over pixels again, the classes kept.
    let back = hidden.apply(ProjectAction::SetData(Data::PHOTOS));
    assert_eq!(back.network.input, Input::Image(back.image_size()));
    assert!(matches!(back.network.layers[0], Layer::Conv2d { .. }));
    assert_eq!(back.network.classes(), 4);
    assert!(back.report().is_ok());
}

#[test]
fn changing_between_images_and_rows_gives_each_its_own_network() {
    let images = Project::default().apply(ProjectAction::SetData(Data::Digits));
    assert_eq!(images, Project::digits().apply(ProjectAction::SetSeed(1)));
    assert!(images.report().is_ok());
    let rows = Project::digits().apply(ProjectAction::SetDataset(DatasetKind::Spiral));
    assert_eq!(rows.cards(), Project::default().cards());
    assert_eq!(rows.recipe, Recipe::playground());
    assert!(rows.shapes().is_ok());
}

#[test]
fn undo_and_redo_bring_back_networks_only() {
    let start = Project::default();
    let mut undo = Undo::default();
    assert!(undo.undo(&start).is_none(), "nothing to undo yet");
    let wider = start
        .clone()
        .apply(ProjectAction::SetUnits { index: 0, units: 7 });
    undo.record(&start, &wider);
    // A recipe change is not a network edit: nothing remembered.
    let faster = wider.clone().apply(ProjectAction::Load(Box::new(Project {
        recipe: agora_engine::recipe::Recipe {
            learning_rate: 0.3,
            ..wider.recipe
        },
        ..wider.clone()
    })));
    undo.record(&wider, &faster);
    assert!(undo.can_undo(false) && !undo.can_redo(false) && !undo.can_undo(true));
    let back = undo.undo(&faster).expect("one edit to undo");
    assert_eq!(back.network, start.network, "the network before the edit");
    assert_eq!(
        back.recipe.learning_rate, 0.3,
        "the recipe stays as it is now"
    );
    assert!(undo.undo(&back).is_none(), "only one network edit was made");
    let again = undo.redo(&back).expect("the undone edit");
    assert_eq!(again.network, wider.network);
    assert!(undo.redo(&again).is_none());
    // A new edit after an undo forgets the redo.
    let back = undo.undo(&again).expect("undo");
    let other = back.clone().apply(ProjectAction::RemoveCard { index: 0 });
    undo.record(&back, &other);
    assert!(!undo.can_redo(false));
    // The image project has its own history.
    let digits = Project::digits();
    let fewer = digits.clone().apply(ProjectAction::Remove { at: 1 });
    undo.record(&digits, &fewer);
    assert!(undo.can_undo(true));
    assert_eq!(undo.undo(&fewer).map(|p| p.network), Some(digits.network));
    assert_eq!(
        undo.undo(&other).map(|p| p.network),
        Some(start.network),
        "the playground's is untouched"
    );
}
