//! Secure aggregation end to end, in process: five students, one of whom drops out after the
//! shares are exchanged. The server's sum is the sum of the four who stayed, and at no point
//! does the server hold a vector close to any student's update.

use std::collections::BTreeMap;

use agora_federated::FederatedError;
use agora_federated::aggregate::{decode_mean, encode_weighted};
use agora_federated::keys::PublicKeys;
use agora_federated::rng::Stream;
use agora_federated::secagg::{Aggregator, Masker, Phase, Secret};

const WORDS: usize = 2_001;

fn update(student: u32) -> Vec<f32> {
    let mut stream = Stream::new(&[student as u8 + 40; 32]);
    (0..WORDS - 1)
        .map(|_| (stream.normal() * 0.05) as f32)
        .collect()
}

/// How many words of `held` equal the student's plain encoded update.
fn agreeing(held: &[u64], plain: &[u64]) -> usize {
    held.iter().zip(plain).filter(|(a, b)| a == b).count()
}

struct Student {
    masker: Masker,
    keys: PublicKeys,
    plain: Vec<u64>,
}

fn students(ids: &[u32], threshold: usize) -> BTreeMap<u32, Student> {
    ids.iter()
        .map(|&id| {
            let (masker, keys) = Masker::new(id, 7, threshold, [id as u8; 32]);
            let plain = encode_weighted(&update(id), 100.0 + id as f32);
            (
                id,
                Student {
                    masker,
                    keys,
                    plain,
                },
            )
        })
        .collect()
}

fn assert_all_masked(server: &Aggregator, all: &BTreeMap<u32, Student>) {
    for held in server.held() {
        for student in all.values() {
            let same = agreeing(held, &student.plain);
            assert!(
                same < 5,
                "the server holds a vector agreeing with an update in {same} of {WORDS} numbers"
            );
        }
    }
}

#[test]
fn the_server_learns_only_the_sum_of_those_who_stayed() {
    let ids = [3, 5, 8, 13, 21];
    let threshold = 3;
    let mut all = students(&ids, threshold);
    let mut server = Aggregator::new(7, threshold, WORDS);
    for (&id, student) in &all {
        server.advertise(id, student.keys).expect("keys");
    }
    let roster = server.close_keys().expect("enough keys");
    for (&id, student) in all.iter_mut() {
        let sealed = student
            .masker
            .share(&roster, &student.keys)
            .expect("shares");
        server.seal(id, sealed).expect("sealed");
    }
    let inbox = server.close_shares().expect("enough shares");
    assert_eq!(inbox.len(), 5);
    for (id, sealed) in &inbox {
        assert_eq!(sealed.len(), 4);
        all.get_mut(id)
            .expect("student")
            .masker
            .receive(sealed)
            .expect("opens");
    }
    // Student 8 drops out while training: its update never arrives.
    let dropped = 8;
    for (&id, student) in &all {
        if id == dropped {
            continue;
        }
        let masked = student.masker.mask(&student.plain).expect("masked");
        assert!(agreeing(&masked, &student.plain) < 5);
        server.masked(id, masked).expect("accepted");
        assert_all_masked(&server, &all);
    }
    // A second copy, a short vector and a student outside the round are refused.
    assert_eq!(
        server.masked(3, vec![0; WORDS]),
        Err(FederatedError::Duplicate)
    );
    assert!(matches!(
        server.masked(dropped, vec![0; 10]),
        Err(FederatedError::Malformed(_))
    ));
    assert_eq!(
        server.masked(99, vec![0; WORDS]),
        Err(FederatedError::NotInRound)
    );
    let survivors = server.close_masked().expect("a quorum stayed");
    assert_eq!(survivors, vec![3, 5, 13, 21]);
    assert_eq!(
        server.masked(dropped, vec![0; WORDS]),
        Err(FederatedError::Late)
    );
    for &id in &survivors {
        let reveals = all
            .get_mut(&id)
            .expect("student")
            .masker
            .reveal(&survivors)
            .expect("reveals");
        // Never both secrets of one student, and the dropped one's self seed never.
        assert!(
            reveals
                .iter()
                .all(|r| (r.of == dropped) == (r.secret == Secret::MaskKey))
        );
        server.reveal(id, reveals).expect("shares");
        assert_all_masked(&server, &all);
    }
    assert!(server.can_finish());
    let sum = server.finish().expect("finished");
    assert_eq!(server.phase(), Phase::Done);
    assert_eq!(server.held().count(), 0);
    // Exactly the sum of the four who stayed.
    let expected = survivors.iter().fold(vec![0_u64; WORDS], |acc, id| {
        acc.iter()
            .zip(&all[id].plain)
            .map(|(a, b)| a.wrapping_add(*b))
            .collect()
    });
    assert_eq!(sum, expected);
    let mean = decode_mean(&sum).expect("weights");
    let weight: f32 = survivors.iter().map(|&id| 100.0 + id as f32).sum();
    let by_hand: f32 = survivors
        .iter()
        .map(|&id| update(id)[17] * (100.0 + id as f32))
        .sum::<f32>()
        / weight;
    assert!(
        (mean[17] - by_hand).abs() < 1e-5,
        "{} {}",
        mean[17],
        by_hand
    );
}

#[test]
fn a_survivor_refuses_to_reveal_twice_or_for_a_short_list_and_too_few_fail_the_round() {
    let ids = [1, 2, 3];
    let mut all = students(&ids, 3);
    let mut server = Aggregator::new(7, 3, WORDS);
    for (&id, student) in &all {
        server.advertise(id, student.keys).expect("keys");
    }
    let roster = server.close_keys().expect("keys");
    for (&id, student) in all.iter_mut() {
        let sealed = student
            .masker
            .share(&roster, &student.keys)
            .expect("shares");
        server.seal(id, sealed).expect("sealed");
    }
    for (id, sealed) in server.close_shares().expect("shares") {
        all.get_mut(&id)
            .expect("student")
            .masker
            .receive(&sealed)
            .expect("opens");
    }
    let one = &mut all.get_mut(&1).expect("student").masker;
    // A server claiming only two stayed (below the threshold) gets nothing.
    assert!(matches!(
        one.reveal(&[1, 2]),
        Err(FederatedError::TooFew { .. })
    ));
    assert!(one.reveal(&[1, 2, 3]).is_ok());
    assert!(one.reveal(&[1, 2, 3]).is_err());
    // Two of three updates: below the quorum, the round fails without unmasking anything.
    for id in [1, 2] {
        let masked = all[&id].masker.mask(&all[&id].plain).expect("masked");
        server.masked(id, masked).expect("accepted");
    }
    assert!(matches!(
        server.close_masked(),
        Err(FederatedError::TooFew { have: 2, need: 3 })
    ));
    assert_eq!(server.held().count(), 0);
}

#[test]
fn shares_that_do_not_rebuild_the_announced_key_are_caught() {
    let ids = [1, 2, 3];
    let mut all = students(&ids, 2);
    let mut server = Aggregator::new(7, 2, WORDS);
    for (&id, student) in &all {
        server.advertise(id, student.keys).expect("keys");
    }
    let roster = server.close_keys().expect("keys");
    for (&id, student) in all.iter_mut() {
        let sealed = student
            .masker
            .share(&roster, &student.keys)
            .expect("shares");
        server.seal(id, sealed).expect("sealed");
    }
    for (id, sealed) in server.close_shares().expect("shares") {
        all.get_mut(&id)
            .expect("student")
            .masker
            .receive(&sealed)
            .expect("opens");
    }
    for id in ids {
        let masked = all[&id].masker.mask(&all[&id].plain).expect("masked");
        server.masked(id, masked).expect("accepted");
    }
    let survivors = server.close_masked().expect("all stayed");
    for id in [1, 2] {
        let mut reveals = all
            .get_mut(&id)
            .expect("student")
            .masker
            .reveal(&survivors)
            .expect("reveals");
        if id == 2 {
            reveals[0].share.y[0] ^= 1;
        }
        server.reveal(id, reveals).expect("shares");
    }
    assert!(matches!(server.finish(), Err(FederatedError::BadShares(_))));
}
