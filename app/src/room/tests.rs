//! The page's side of a room against the room server's own state machine: a teacher and three
//! students, their training workers stood in for by a few lines that answer as the worker does.

use std::collections::BTreeMap;

use agora_engine::checkpoint::Checkpoint;
use agora_engine::net::{ImageSize, Network};
use agora_federated::aggregate::Rule;
use agora_federated::flat::flatten;
use agora_federated::message::{FromRoom, RoomSettings, ToRoom};
use agora_federated::privacy::Privacy;
use agora_room::room::{Out, Room, TEACHER};

use super::{Effect, Link, RoomAction, RoomClient, RoomData, RoomSetup};
use crate::backend::BackendChoice;
use crate::project::Project;
use crate::protocol::{Command, EvaluationReport, Event, TrainData};

fn setup() -> RoomSetup {
    let project = Project::digits();
    RoomSetup {
        network: Network::lenet(
            ImageSize {
                channels: 1,
                height: 28,
                width: 28,
            },
            10,
        ),
        recipe: project.recipe,
        seed: 3,
        train_percent: 80,
        augment: project.augment,
        backend: BackendChoice::Cpu,
        data: RoomData::Digits,
    }
}

/// A training worker in a few lines: it "trains" by adding `shift` to every number.
struct FakeWorker {
    shift: f32,
    params: Option<Checkpoint>,
    digits: Vec<u8>,
    /// Training fails (as when the device runs out of memory).
    fails: bool,
}

impl FakeWorker {
    fn answer(&mut self, command: Command) -> Vec<Event> {
        match command {
            Command::Restore { setup, trained } => {
                if let TrainData::DigitsOf { digits } = setup.data {
                    self.digits = digits;
                }
                self.params = Some(*trained);
                vec![Event::Data {
                    train: 100,
                    val: 10,
                    counts: Vec::new(),
                }]
            }
            Command::Evaluate => {
                // Ten validation images, one per digit; the model gets the held digits right.
                let labels: Vec<usize> = (0..10).collect();
                let mut logits = vec![0.0; 100];
                for label in 0..10 {
                    let guess = if self.digits.contains(&(label as u8)) {
                        label
                    } else {
                        (label + 1) % 10
                    };
                    logits[label * 10 + guess] = 1.0;
                }
                vec![Event::Evaluation(Box::new(EvaluationReport {
                    classes: 10,
                    labels,
                    logits,
                    points: Vec::new(),
                    size: ImageSize {
                        channels: 1,
                        height: 28,
                        width: 28,
                    },
                    shown: 0,
                    images: Vec::new(),
                    epoch: 0,
                }))]
            }
            Command::Play if self.fails => vec![Event::Failed {
                message: "out of memory".into(),
            }],
            Command::Play => vec![Event::Running(true), Event::Finished, Event::Running(false)],
            Command::ReadWeights => {
                let mut trained = self.params.clone().expect("restored first");
                for tensor in trained.params.iter_mut().flatten() {
                    tensor.values.iter_mut().for_each(|v| *v += self.shift);
                }
                vec![Event::Weights(Ok(Box::new(trained)))]
            }
            _ => Vec::new(),
        }
    }
}

struct Page {
    client: RoomClient,
    worker: FakeWorker,
    sent: Vec<ToRoom>,
}

/// Runs the room and the pages until nothing is left to deliver.
struct Class {
    room: Option<Room>,
    pages: BTreeMap<u32, Page>,
    /// Pages not yet in the room, by their index, with their first effects.
    random: u8,
}

impl Class {
    fn bytes(&mut self) -> [u8; 64] {
        self.random = self.random.wrapping_add(1);
        [self.random; 64]
    }

    /// Handles one page's effects; returns the room's answers.
    fn effects(&mut self, id: u32, effects: Vec<Effect>) -> Out {
        let mut out = Vec::new();
        for effect in effects {
            match effect {
                Effect::Connect => {
                    let page = self.pages.get_mut(&id).expect("page");
                    let more = page.client.apply(RoomAction::Opened);
                    out.extend(self.effects(id, more));
                }
                Effect::Send(message) => {
                    self.pages
                        .get_mut(&id)
                        .expect("page")
                        .sent
                        .push(message.clone());
                    match message {
                        ToRoom::Create {
                            setup,
                            model,
                            settings,
                        } => {
                            let room =
                                Room::new("TEST-ROOM".into(), setup, &model, settings, [0; 16])
                                    .expect("room");
                            self.room = Some(room);
                            out.push((
                                TEACHER,
                                FromRoom::Created {
                                    code: "TEST-ROOM".into(),
                                    id: TEACHER,
                                    token: [0; 16],
                                },
                            ));
                        }
                        ToRoom::Join { name, .. } => {
                            let room = self.room.as_mut().expect("room");
                            let (joined, answer) = room.join(&name, [id as u8; 16]).expect("joins");
                            assert_eq!(joined, id, "pages join in order");
                            out.extend(answer);
                        }
                        other => {
                            out.extend(self.room.as_mut().expect("room").message(id, other, 0))
                        }
                    }
                }
                Effect::Worker(command) => {
                    let events = self
                        .pages
                        .get_mut(&id)
                        .expect("page")
                        .worker
                        .answer(command);
                    for event in events {
                        let more = self
                            .pages
                            .get_mut(&id)
                            .expect("page")
                            .client
                            .apply(RoomAction::Worker(Box::new(event)));
                        out.extend(self.effects(id, more));
                    }
                }
                Effect::Remember(_) | Effect::Disconnect => {}
            }
        }
        out
    }

    fn deliver(&mut self, mut out: Out) {
        while !out.is_empty() {
            let mut next = Vec::new();
            for (to, message) in out {
                let random = self.bytes();
                let Some(page) = self.pages.get_mut(&to) else {
                    continue;
                };
                let effects = page
                    .client
                    .apply(RoomAction::Room(Box::new(message), random));
                next.extend(self.effects(to, effects));
            }
            out = next;
        }
    }

    fn act(&mut self, id: u32, action: RoomAction) {
        let effects = self.pages.get_mut(&id).expect("page").client.apply(action);
        let out = self.effects(id, effects);
        self.deliver(out);
    }
}

fn class(settings: RoomSettings) -> Class {
    let mut class = Class {
        room: None,
        pages: BTreeMap::new(),
        random: 0,
    };
    let new_page = |shift| Page {
        client: RoomClient::default(),
        worker: FakeWorker {
            shift,
            params: None,
            digits: (0..10).collect(),
            fails: false,
        },
        sent: Vec::new(),
    };
    class.pages.insert(TEACHER, new_page(0.0));
    class.act(
        TEACHER,
        RoomAction::Create {
            setup: Box::new(setup()),
            settings,
        },
    );
    for (id, digits) in [
        (1, vec![0, 1, 2]),
        (2, vec![3, 4, 5]),
        (3, vec![6, 7, 8, 9]),
    ] {
        class.pages.insert(id, new_page(0.01 * id as f32));
        class.act(
            id,
            RoomAction::Join {
                code: "test-room".into(),
                name: format!("student {id}"),
                digits,
            },
        );
    }
    class
}

#[test]
fn a_secure_round_from_the_pages_moves_the_class_model_by_the_mean_update() {
    let mut class = class(RoomSettings {
        quorum: 3,
        ..RoomSettings::default()
    });
    let teacher = &class.pages[&TEACHER].client;
    assert!(teacher.is_teacher());
    assert_eq!(teacher.link, Some(Link::Open));
    assert_eq!(
        teacher.join_link("http://10.0.0.2:8090").as_deref(),
        Some("http://10.0.0.2:8090/#room=TEST-ROOM")
    );
    assert_eq!(teacher.members.len(), 3);
    let start = class.pages[&TEACHER].client.model.clone();
    class.act(TEACHER, RoomAction::StartRound);
    let room = class.room.as_ref().expect("room");
    assert_eq!(room.history().len(), 1, "the round completed");
    // Equal weights (100 examples each): the mean of 0.01, 0.02 and 0.03.
    for (after, before) in room.model().iter().zip(&start) {
        assert!((after - before - 0.02).abs() < 1e-4, "{after} {before}");
    }
    for id in 1..=3 {
        let page = &class.pages[&id];
        assert_eq!(
            page.client.model,
            room.model(),
            "every page holds the new class model"
        );
        let mine = page.client.mine.last().expect("a round");
        assert_eq!(mine.counted, Some(true));
        assert_eq!(mine.sent_bytes, Some(8 * (start.len() + 1)));
        let local = mine.local.expect("scores");
        assert_eq!(local.own, 1.0);
        // Nothing but keys, sealed shares, one masked update, a report and shares left the page.
        for message in &page.sent {
            let fine = match message {
                ToRoom::Join { .. }
                | ToRoom::Keys { .. }
                | ToRoom::Report { .. }
                | ToRoom::Reveal { .. } => true,
                ToRoom::Shares { sealed, .. } => sealed.iter().all(|s| s.bytes.len() < 200),
                ToRoom::Masked { words, .. } => words.len() == 8 * (start.len() + 1),
                _ => false,
            };
            assert!(fine, "{message:?}");
        }
    }
    // The teacher's page tested the starting model and the first class model.
    let rounds: Vec<u64> = class.pages[&TEACHER]
        .client
        .scores
        .iter()
        .map(|(r, _)| *r)
        .collect();
    assert_eq!(rounds, vec![0, 1]);
    let summary = &class.pages[&TEACHER].client.history[0];
    assert_eq!((summary.counted, summary.dropped), (3, 0));
    assert_eq!(summary.local_accuracy, Some(1.0));
}

#[test]
fn a_page_whose_training_fails_sits_the_round_out_and_the_round_goes_on() {
    let mut class = class(RoomSettings {
        quorum: 2,
        ..RoomSettings::default()
    });
    class.pages.get_mut(&3).expect("page").worker.fails = true;
    let start = class.pages[&TEACHER].client.model.clone();
    class.act(TEACHER, RoomAction::StartRound);
    let room = class.room.as_ref().expect("room");
    assert_eq!(
        room.history().len(),
        1,
        "the round completed without waiting"
    );
    let summary = &room.history()[0];
    assert_eq!((summary.counted, summary.dropped), (2, 1));
    for (after, before) in room.model().iter().zip(&start) {
        assert!((after - before - 0.015).abs() < 1e-4, "{after} {before}");
    }
    let page = &class.pages[&3];
    assert!(
        page.sent
            .iter()
            .any(|m| matches!(m, ToRoom::SitOut { round: 1 }))
    );
    assert!(
        page.client
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("sits out round 1") && p.contains("out of memory")),
        "{:?}",
        page.client.problem
    );
}

#[test]
fn a_reloaded_page_comes_back_with_the_digits_it_held() {
    let mut class = class(RoomSettings::default());
    let remembered = class.pages[&2]
        .client
        .membership
        .clone()
        .expect("in the room");
    assert_eq!(remembered.digits, vec![3, 4, 5]);
    let mut reloaded = RoomClient::default();
    assert_eq!(
        reloaded.apply(RoomAction::Resume(remembered)),
        vec![Effect::Connect]
    );
    assert_eq!(reloaded.digits, vec![3, 4, 5]);
    // Changing the digits is remembered for the next reload.
    let effects = class
        .pages
        .get_mut(&2)
        .expect("page")
        .client
        .apply(RoomAction::Digits(vec![4]));
    assert!(
        matches!(&effects[..], [Effect::Remember(Some(m))] if m.digits == vec![4]),
        "{effects:?}"
    );
    class.act(2, RoomAction::Digits(vec![4]));
}

#[test]
fn with_privacy_updates_are_clipped_and_noised_and_epsilon_is_counted() {
    let privacy = Privacy {
        clip: 0.5,
        noise: 1.0,
    };
    let settings = RoomSettings {
        quorum: 2,
        rule: Rule::Mean,
        privacy: Some(privacy),
        ..RoomSettings::default()
    };
    let mut class = class(settings);
    class.act(TEACHER, RoomAction::StartRound);
    for id in 1..=3 {
        let page = &class.pages[&id];
        let update = page.sent.iter().find_map(|m| match m {
            ToRoom::Plain { update, weight, .. } => Some((
                agora_federated::message::floats_from_bytes(update).expect("floats"),
                *weight,
            )),
            _ => None,
        });
        let (update, weight) = update.expect("a plain update");
        assert_eq!(weight, 1.0, "with noise, every student counts once");
        // Clipped to 0.5 and noised with σ = 0.5 per number: nothing like the raw 0.01·id.
        let mean = update.iter().sum::<f32>() / update.len() as f32;
        let sd =
            (update.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / update.len() as f32).sqrt();
        assert!((sd - 0.5).abs() < 0.05, "sd {sd}");
        let epsilon = page.client.epsilon().expect("counted");
        assert!(epsilon.is_finite() && epsilon > 1.0, "{epsilon}");
    }
    assert!(class.pages[&TEACHER].client.epsilon().is_none());
}

#[test]
fn a_refused_join_is_said_and_leaves_the_page_out_of_any_room() {
    let mut client = RoomClient::default();
    let effects = client.apply(RoomAction::Join {
        code: "NOPE".into(),
        name: "Ada".into(),
        digits: vec![1],
    });
    assert_eq!(effects, vec![Effect::Connect]);
    client.apply(RoomAction::Opened);
    let effects = client.apply(RoomAction::Room(
        Box::new(FromRoom::Refused("There is no room NOPE".into())),
        [0; 64],
    ));
    assert!(effects.contains(&Effect::Remember(None)));
    assert!(client.membership.is_none());
    assert_eq!(client.problem.as_deref(), Some("There is no room NOPE"));
    assert!(
        client
            .apply(RoomAction::Join {
                code: "X".into(),
                name: "Ada".into(),
                digits: vec![]
            })
            .is_empty()
    );
    assert!(
        client
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("at least one digit"))
    );
    let flat = flatten(&setup().starting().expect("valid"));
    assert_eq!(flat.len(), setup().starting_model().expect("valid").len());
}
