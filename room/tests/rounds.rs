//! A room's rounds without sockets: students speaking the protocol to `Room` directly.

use std::collections::BTreeMap;

use agora_federated::aggregate::{Rule, encode_weighted};
use agora_federated::fixed;
use agora_federated::keys::PublicKeys;
use agora_federated::message::{FromRoom, RoomSettings, ToRoom, floats_to_bytes};
use agora_federated::secagg::Masker;
use agora_room::room::{Out, Room, TEACHER};

const SIZE: usize = 50;

struct Student {
    id: u32,
    delta: Vec<f32>,
    masker: Option<(Masker, PublicKeys)>,
    /// Drops (stops answering and disconnects) once it has the shares.
    drops: bool,
    /// Comes straight back after dropping (a reloaded page): connected, but without the
    /// round's keys.
    comes_back: bool,
    /// Its training fails once it has the shares: it sits the round out, still connected.
    sits_out: bool,
    token: [u8; 16],
}

/// Delivers messages until nothing is left, the students answering as the page does.
fn run(
    room: &mut Room,
    students: &mut BTreeMap<u32, Student>,
    mut out: Out,
    now: u64,
) -> Vec<FromRoom> {
    let mut teacher = Vec::new();
    while !out.is_empty() {
        let mut next = Vec::new();
        for (to, message) in out {
            if to == TEACHER {
                teacher.push(message);
                continue;
            }
            let Some(student) = students.get_mut(&to) else {
                continue;
            };
            let reply = match message {
                FromRoom::Round {
                    round, settings, ..
                } => {
                    if settings.rule.plain() {
                        Some(ToRoom::Plain {
                            round,
                            weight: 10.0,
                            update: floats_to_bytes(&student.delta),
                        })
                    } else {
                        let (masker, keys) =
                            Masker::new(to, round, settings.quorum as usize, [to as u8; 32]);
                        student.masker = Some((masker, keys));
                        Some(ToRoom::Keys { round, keys })
                    }
                }
                FromRoom::Roster { round, keys } => {
                    let (masker, own) = student.masker.as_mut().expect("keys first");
                    let sealed = masker
                        .share(&keys.into_iter().collect(), own)
                        .expect("shares");
                    Some(ToRoom::Shares { round, sealed })
                }
                FromRoom::Shares { round, sealed } => {
                    let (masker, _) = student.masker.as_mut().expect("keys first");
                    masker.receive(&sealed).expect("opens");
                    if student.sits_out {
                        Some(ToRoom::SitOut { round })
                    } else if student.drops {
                        next.extend(room.disconnect(to, now));
                        if student.comes_back {
                            next.extend(room.resume(to, &student.token).expect("resumes"));
                        }
                        None
                    } else {
                        let words = masker
                            .mask(&encode_weighted(&student.delta, 10.0))
                            .expect("mask");
                        Some(ToRoom::Masked {
                            round,
                            words: fixed::to_bytes(&words),
                        })
                    }
                }
                FromRoom::Unmask { round, survivors } => {
                    let (masker, _) = student.masker.as_mut().expect("keys first");
                    Some(ToRoom::Reveal {
                        round,
                        reveals: masker.reveal(&survivors).expect("reveal"),
                    })
                }
                _ => None,
            };
            if let Some(reply) = reply {
                next.extend(room.message(student.id, reply, now));
            }
        }
        out = next;
    }
    teacher
}

fn room_with(rule: Rule, quorum: u32, deltas: &[Vec<f32>]) -> (Room, BTreeMap<u32, Student>) {
    let settings = RoomSettings {
        quorum,
        rule,
        ..RoomSettings::default()
    };
    let mut room = Room::new(
        "TEST-CODE".into(),
        vec![1, 2, 3],
        &floats_to_bytes(&[0.0; SIZE]),
        settings,
        [9; 16],
    )
    .expect("room");
    let mut students = BTreeMap::new();
    for (at, delta) in deltas.iter().enumerate() {
        let (id, out) = room
            .join(&format!("student {at}"), [at as u8; 16])
            .expect("joined");
        assert!(matches!(out[0], (to, FromRoom::Joined { .. }) if to == id));
        students.insert(
            id,
            Student {
                id,
                delta: delta.clone(),
                masker: None,
                drops: false,
                comes_back: false,
                sits_out: false,
                token: [at as u8; 16],
            },
        );
    }
    (room, students)
}

fn done(teacher: &[FromRoom]) -> Option<&agora_federated::message::RoundSummary> {
    teacher.iter().find_map(|m| match m {
        FromRoom::RoundDone { summary, .. } => Some(summary),
        _ => None,
    })
}

#[test]
fn a_secure_round_averages_and_a_student_who_drops_does_not_stall_it() {
    let deltas: Vec<Vec<f32>> = (0..4).map(|i| vec![i as f32 * 0.1; SIZE]).collect();
    let (mut room, mut students) = room_with(Rule::SecureMean, 3, &deltas);
    students.get_mut(&2).expect("student").drops = true;
    let start = room.message(TEACHER, ToRoom::StartRound, 0);
    let teacher = run(&mut room, &mut students, start, 0);
    let summary = done(&teacher).expect("the round completed without student 2");
    assert_eq!((summary.counted, summary.dropped), (3, 1));
    // Students 1, 3, 4 hold deltas 0.0, 0.2, 0.3 with equal weights.
    for value in room.model() {
        assert!((value - 0.5 / 3.0).abs() < 1e-5, "{value}");
    }
}

#[test]
fn a_student_whose_page_reloads_mid_round_does_not_stall_it() {
    let deltas: Vec<Vec<f32>> = (0..4).map(|i| vec![i as f32 * 0.1; SIZE]).collect();
    let (mut room, mut students) = room_with(Rule::SecureMean, 3, &deltas);
    let student = students.get_mut(&2).expect("student");
    student.drops = true;
    student.comes_back = true;
    let start = room.message(TEACHER, ToRoom::StartRound, 0);
    // Everything happens at time 0: the round must not wait for a step or the deadline.
    let teacher = run(&mut room, &mut students, start, 0);
    let summary = done(&teacher).expect("the round completed without the reloaded student");
    assert_eq!((summary.counted, summary.dropped), (3, 1));
    assert!(
        room.connected(2),
        "the reloaded student is back in the room"
    );
    // The next round includes them again.
    students.get_mut(&2).expect("student").drops = false;
    let start = room.message(TEACHER, ToRoom::StartRound, 1);
    let teacher = run(&mut room, &mut students, start, 1);
    assert_eq!(done(&teacher).expect("round 2").counted, 4);
}

#[test]
fn a_student_whose_training_fails_sits_out_without_stalling_the_round() {
    let deltas: Vec<Vec<f32>> = (0..4).map(|i| vec![i as f32 * 0.1; SIZE]).collect();
    let (mut room, mut students) = room_with(Rule::SecureMean, 3, &deltas);
    students.get_mut(&4).expect("student").sits_out = true;
    let start = room.message(TEACHER, ToRoom::StartRound, 0);
    let teacher = run(&mut room, &mut students, start, 0);
    let summary = done(&teacher).expect("the round completed without student 4");
    assert_eq!((summary.counted, summary.dropped), (3, 1));
    for value in room.model() {
        assert!((value - 0.3 / 3.0).abs() < 1e-5, "{value}");
    }
    // Sitting out of a round that is not running is refused.
    let out = room.message(4, ToRoom::SitOut { round: 1 }, 1);
    assert!(matches!(&out[..], [(4, FromRoom::Refused(_))]), "{out:?}");
}

#[test]
fn a_malformed_or_replayed_update_is_refused_with_a_message() {
    let deltas: Vec<Vec<f32>> = (0..3).map(|_| vec![0.1; SIZE]).collect();
    let (mut room, mut students) = room_with(Rule::Median, 2, &deltas);
    let start = room.message(TEACHER, ToRoom::StartRound, 0);
    // Student 1 sends a short update and a NaN before the real one.
    let short = room.message(
        1,
        ToRoom::Plain {
            round: 1,
            weight: 1.0,
            update: floats_to_bytes(&[0.0; 3]),
        },
        0,
    );
    assert!(
        matches!(&short[..], [(1, FromRoom::Refused(text))] if text.contains("3 numbers") && text.contains("50"))
    );
    let mut nan = vec![0.0; SIZE];
    nan[7] = f32::NAN;
    let refused = room.message(
        1,
        ToRoom::Plain {
            round: 1,
            weight: 1.0,
            update: floats_to_bytes(&nan),
        },
        0,
    );
    assert!(matches!(&refused[..], [(1, FromRoom::Refused(text))] if text.contains("NaN")));
    let teacher = run(&mut room, &mut students, start, 0);
    assert!(done(&teacher).is_some());
    let late = room.message(
        1,
        ToRoom::Plain {
            round: 1,
            weight: 1.0,
            update: floats_to_bytes(&deltas[0]),
        },
        0,
    );
    assert!(matches!(&late[..], [(1, FromRoom::Refused(text))] if text.contains("not counted")));
    let student_only = room.message(2, ToRoom::StartRound, 0);
    assert!(matches!(&student_only[..], [(2, FromRoom::Refused(_))]));
}

#[test]
fn the_median_shrugs_off_a_poisoned_update_that_wrecks_the_mean() {
    let mut deltas: Vec<Vec<f32>> = (0..5).map(|_| vec![0.1; SIZE]).collect();
    deltas[4] = vec![-500.0; SIZE];
    for (rule, robust) in [(Rule::Median, true), (Rule::Mean, false)] {
        let (mut room, mut students) = room_with(rule, 2, &deltas);
        let start = room.message(TEACHER, ToRoom::StartRound, 0);
        run(&mut room, &mut students, start, 0);
        let value = room.model()[0];
        assert_eq!((value - 0.1).abs() < 1e-6, robust, "{rule:?}: {value}");
    }
}

#[test]
fn below_the_quorum_a_round_fails_and_the_model_stays() {
    let deltas: Vec<Vec<f32>> = (0..3).map(|_| vec![0.1; SIZE]).collect();
    let (mut room, _) = room_with(Rule::SecureMean, 5, &deltas);
    let refused = room.message(TEACHER, ToRoom::StartRound, 0);
    assert!(matches!(&refused[..], [(TEACHER, FromRoom::Refused(t))] if t.contains("quorum is 5")));
    // One of three drops after the shares with a quorum of three: the round fails at once.
    let (mut room, mut students) = room_with(Rule::SecureMean, 3, &deltas);
    students.get_mut(&3).expect("student").drops = true;
    let start = room.message(TEACHER, ToRoom::StartRound, 0);
    let teacher = run(&mut room, &mut students, start, 0);
    assert!(done(&teacher).is_none());
    let failed = |messages: &[FromRoom]| {
        messages.iter().any(
            |m| matches!(m, FromRoom::RoundFailed { reason, .. } if reason.contains("too few")),
        )
    };
    assert!(failed(&teacher), "{teacher:?}");
    assert!(room.model().iter().all(|&v| v == 0.0));
    // Students who never answer: the keys step closes at its deadline and the round fails.
    let (mut room, _) = room_with(Rule::SecureMean, 2, &deltas);
    room.message(TEACHER, ToRoom::StartRound, 0);
    assert!(room.tick(1_000).is_empty());
    let later: Vec<FromRoom> = room
        .tick(20_000)
        .into_iter()
        .filter(|(to, _)| *to == TEACHER)
        .map(|(_, m)| m)
        .collect();
    assert!(failed(&later), "{later:?}");
    // And the next round can start.
    assert!(
        room.message(TEACHER, ToRoom::StartRound, 21_000)
            .iter()
            .any(|(_, m)| matches!(m, FromRoom::Round { round: 2, .. }))
    );
}
