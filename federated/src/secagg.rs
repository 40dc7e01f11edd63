//! Secure aggregation (Bonawitz et al., "Practical Secure Aggregation for Privacy-Preserving
//! Machine Learning", CCS 2017, the honest-but-curious server version): each student adds to
//! its update a mask from every other student's key (pairwise masks, which cancel in the sum)
//! and one of its own (the self mask), and gives every other student Shamir shares of its mask
//! key and of its self-mask seed. The server only ever holds masked vectors. When the round
//! closes, every student still there hands over, for each student who dropped, a share of its
//! mask key (so the dropped student's pairwise masks can be taken out of the sum) and, for each
//! student who stayed, a share of its self-mask seed — never both for the same student, so no
//! update is ever unmasked alone.
//!
//! [`Masker`] is a student's side of one round; [`Aggregator`] the server's.

use std::collections::{BTreeMap, BTreeSet};

use chacha20poly1305::aead::Aead;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use serde::{Deserialize, Serialize};
use x25519_dalek::StaticSecret;

use crate::FederatedError;
use crate::keys::{PublicKeys, agreed, commit, public, secret};
use crate::rng::{Stream, mask_words};
use crate::shamir::{Share, combine, split};

/// The most students in one round (Shamir's x is one byte).
pub const MAX_STUDENTS: usize = 200;

/// Everyone's announced keys, by id.
pub type Roster = BTreeMap<u32, PublicKeys>;

/// Shares one student seals for another: `to` reads them, the server cannot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub to: u32,
    pub bytes: Vec<u8>,
}

/// What is inside a [`Sealed`].
#[derive(Serialize, Deserialize)]
struct SharePair {
    from: u32,
    to: u32,
    round: u64,
    mask_key: Share,
    self_seed: Share,
}

/// Which secret a revealed share belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Secret {
    /// The self-mask seed of a student who stayed.
    SelfSeed,
    /// The mask key of a student who dropped.
    MaskKey,
}

/// One share handed to the server when the round closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reveal {
    pub of: u32,
    pub secret: Secret,
    pub share: Share,
}

/// For each student, the shares others sealed for it: (sender, ciphertext).
pub type Inbox = BTreeMap<u32, Vec<(u32, Vec<u8>)>>;

/// A ciphertext of [`SharePair`] is at most this long (postcard + the 16-byte tag).
pub const SEALED_MAX: usize = 160;

/// Shamir's x of `id`: its place in the roster, from 1.
fn x_of(roster: &Roster, id: u32) -> Option<u8> {
    roster
        .keys()
        .position(|&other| other == id)
        .and_then(|at| u8::try_from(at + 1).ok())
}

fn nonce(from: u32, to: u32) -> [u8; 12] {
    let mut nonce = [0_u8; 12];
    nonce[..4].copy_from_slice(&from.to_le_bytes());
    nonce[4..8].copy_from_slice(&to.to_le_bytes());
    nonce
}

fn seal_key(
    secret: &StaticSecret,
    other: &[u8; 32],
    round: u64,
    ids: (u32, u32),
) -> Result<ChaCha20Poly1305, FederatedError> {
    let key = agreed(secret, other, "seal", round, ids)?;
    Ok(ChaCha20Poly1305::new((&key).into()))
}

/// Adds or takes away the mask of `seed` (add when `add`).
fn apply_mask(sum: &mut [u64], seed: &[u8; 32], add: bool) {
    let masks = mask_words(seed, sum.len());
    for (word, mask) in sum.iter_mut().zip(masks) {
        *word = if add {
            word.wrapping_add(mask)
        } else {
            word.wrapping_sub(mask)
        };
    }
}

/// One student's side of one round.
pub struct Masker {
    id: u32,
    round: u64,
    threshold: usize,
    seal_secret: StaticSecret,
    mask_secret: StaticSecret,
    self_seed: [u8; 32],
    stream: Stream,
    roster: Roster,
    /// Shares of other students' secrets, by the student they belong to (this one's own too).
    held: BTreeMap<u32, (Share, Share)>,
    revealed: bool,
}

impl Masker {
    /// Fresh keys for `round` from 32 random bytes, and what to announce.
    pub fn new(id: u32, round: u64, threshold: usize, entropy: [u8; 32]) -> (Masker, PublicKeys) {
        let mut stream = Stream::new(&entropy);
        let seal_secret = secret(stream.bytes32());
        let mask_secret = secret(stream.bytes32());
        let self_seed = stream.bytes32();
        let keys = PublicKeys {
            seal: public(&seal_secret),
            mask: public(&mask_secret),
            self_commit: commit(&self_seed),
        };
        let masker = Masker {
            id,
            round,
            threshold,
            seal_secret,
            mask_secret,
            self_seed,
            stream,
            roster: Roster::new(),
            held: BTreeMap::new(),
            revealed: false,
        };
        (masker, keys)
    }

    /// Shares of this student's mask key and self-mask seed, one sealed for each other student
    /// of the roster the server sent.
    ///
    /// # Errors
    /// The roster leaves this student out, changes its keys, is too small or too large, or holds
    /// a hostile key.
    pub fn share(
        &mut self,
        roster: &Roster,
        own: &PublicKeys,
    ) -> Result<Vec<Sealed>, FederatedError> {
        if roster.get(&self.id) != Some(own) {
            return Err(FederatedError::Protocol(
                "the room's list of keys leaves this device out".into(),
            ));
        }
        if roster.len() < self.threshold.max(2) {
            return Err(FederatedError::TooFew {
                have: roster.len(),
                need: self.threshold.max(2),
            });
        }
        if roster.len() > MAX_STUDENTS {
            return Err(FederatedError::Protocol(format!(
                "a round holds at most {MAX_STUDENTS} students"
            )));
        }
        self.roster = roster.clone();
        let xs: Vec<u8> = (1..=roster.len())
            .map(|x| u8::try_from(x).unwrap_or(u8::MAX))
            .collect();
        let key_shares = split(
            &self.mask_secret.to_bytes(),
            self.threshold,
            &xs,
            &mut self.stream,
        );
        let seed_shares = split(&self.self_seed, self.threshold, &xs, &mut self.stream);
        let mut sealed = Vec::new();
        for ((&to, keys), (key_share, seed_share)) in
            roster.iter().zip(key_shares.into_iter().zip(seed_shares))
        {
            if to == self.id {
                self.held.insert(to, (key_share, seed_share));
                continue;
            }
            let pair = SharePair {
                from: self.id,
                to,
                round: self.round,
                mask_key: key_share,
                self_seed: seed_share,
            };
            let plain = postcard::to_stdvec(&pair)
                .map_err(|error| FederatedError::Protocol(error.to_string()))?;
            let bytes = seal_key(&self.seal_secret, &keys.seal, self.round, (self.id, to))?
                .encrypt((&nonce(self.id, to)).into(), plain.as_slice())
                .map_err(|_| FederatedError::Protocol("a share could not be sealed".into()))?;
            sealed.push(Sealed { to, bytes });
        }
        Ok(sealed)
    }

    /// Opens the shares other students sealed for this one (those who got this far).
    ///
    /// # Errors
    /// A share does not open with its sender's key, or is not for this student and round.
    pub fn receive(&mut self, sealed: &[(u32, Vec<u8>)]) -> Result<(), FederatedError> {
        for (from, bytes) in sealed {
            let keys = self.roster.get(from).ok_or_else(|| {
                FederatedError::Protocol(format!("shares from student {from}, who has no keys"))
            })?;
            let plain = seal_key(&self.seal_secret, &keys.seal, self.round, (self.id, *from))?
                .decrypt((&nonce(*from, self.id)).into(), bytes.as_slice())
                .map_err(|_| {
                    FederatedError::Protocol(format!("shares from student {from} do not open"))
                })?;
            let pair: SharePair = postcard::from_bytes(&plain)
                .map_err(|error| FederatedError::Protocol(error.to_string()))?;
            if pair.from != *from || pair.to != self.id || pair.round != self.round {
                return Err(FederatedError::Protocol(format!(
                    "shares from student {from} are for another student or round"
                )));
            }
            self.held.insert(*from, (pair.mask_key, pair.self_seed));
        }
        Ok(())
    }

    /// The students this one will mask against: itself and those whose shares it holds.
    pub fn peers(&self) -> BTreeSet<u32> {
        self.held.keys().copied().collect()
    }

    /// `input` (the update in the ring) with the self mask and every pairwise mask added.
    ///
    /// # Errors
    /// A peer's key is hostile.
    pub fn mask(&self, input: &[u64]) -> Result<Vec<u64>, FederatedError> {
        let mut out = input.to_vec();
        apply_mask(&mut out, &self.self_seed, true);
        for &peer in self.held.keys().filter(|&&peer| peer != self.id) {
            let keys = self
                .roster
                .get(&peer)
                .ok_or_else(|| FederatedError::Protocol(format!("student {peer} has no keys")))?;
            let seed = agreed(
                &self.mask_secret,
                &keys.mask,
                "mask",
                self.round,
                (self.id, peer),
            )?;
            apply_mask(&mut out, &seed, self.id < peer);
        }
        Ok(out)
    }

    /// The shares to hand over now that the server says who stayed: a self-seed share for each
    /// who stayed, a mask-key share for each who dropped. Once per round.
    ///
    /// # Errors
    /// The list is too short, leaves this student out, names someone this student never
    /// exchanged shares with, or comes a second time.
    pub fn reveal(&mut self, survivors: &[u32]) -> Result<Vec<Reveal>, FederatedError> {
        let stayed: BTreeSet<u32> = survivors.iter().copied().collect();
        if self.revealed {
            return Err(FederatedError::Protocol(
                "the round asked for shares twice".into(),
            ));
        }
        if !stayed.contains(&self.id) {
            return Err(FederatedError::Protocol(
                "the round closed without this device's update".into(),
            ));
        }
        if stayed.len() < self.threshold {
            return Err(FederatedError::TooFew {
                have: stayed.len(),
                need: self.threshold,
            });
        }
        if let Some(stranger) = stayed.iter().find(|id| !self.held.contains_key(id)) {
            return Err(FederatedError::Protocol(format!(
                "the room names student {stranger} as staying, who shared nothing with this device"
            )));
        }
        self.revealed = true;
        Ok(self
            .held
            .iter()
            .map(|(&of, &(mask_key, self_seed))| {
                if stayed.contains(&of) {
                    Reveal {
                        of,
                        secret: Secret::SelfSeed,
                        share: self_seed,
                    }
                } else {
                    Reveal {
                        of,
                        secret: Secret::MaskKey,
                        share: mask_key,
                    }
                }
            })
            .collect())
    }
}

/// Where the server's round is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Keys,
    Shares,
    Masked,
    Unmask,
    Done,
}

/// The server's side of one round: it holds keys, sealed shares, masked vectors and, at the
/// end, shares of the secrets it needs to take the masks out of the sum — never an unmasked
/// update.
pub struct Aggregator {
    round: u64,
    threshold: usize,
    words: usize,
    phase: Phase,
    roster: Roster,
    sealed: BTreeMap<u32, Vec<Sealed>>,
    /// Those who exchanged shares (U2).
    sharing: BTreeSet<u32>,
    masked: BTreeMap<u32, Vec<u64>>,
    survivors: BTreeSet<u32>,
    reveals: BTreeMap<u32, Vec<Reveal>>,
}

impl Aggregator {
    /// A round summing vectors of `words` ring elements, needing `threshold` students at every
    /// step (and at least two).
    pub fn new(round: u64, threshold: usize, words: usize) -> Aggregator {
        Aggregator {
            round,
            threshold: threshold.max(2),
            words,
            phase: Phase::Keys,
            roster: Roster::new(),
            sealed: BTreeMap::new(),
            sharing: BTreeSet::new(),
            masked: BTreeMap::new(),
            survivors: BTreeSet::new(),
            reveals: BTreeMap::new(),
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn round(&self) -> u64 {
        self.round
    }

    pub fn threshold(&self) -> usize {
        self.threshold
    }

    fn expect(&self, phase: Phase) -> Result<(), FederatedError> {
        if self.phase == phase {
            Ok(())
        } else {
            Err(FederatedError::Late)
        }
    }

    /// A student's keys for this round.
    ///
    /// # Errors
    /// The keys step is over, or this student sent keys already.
    pub fn advertise(&mut self, id: u32, keys: PublicKeys) -> Result<(), FederatedError> {
        self.expect(Phase::Keys)?;
        if self.roster.len() >= MAX_STUDENTS {
            return Err(FederatedError::Protocol(format!(
                "a round holds at most {MAX_STUDENTS} students"
            )));
        }
        if self.roster.insert(id, keys).is_some() {
            return Err(FederatedError::Duplicate);
        }
        Ok(())
    }

    /// Ends the keys step: the roster every student gets.
    ///
    /// # Errors
    /// Fewer students than the threshold sent keys.
    pub fn close_keys(&mut self) -> Result<Roster, FederatedError> {
        self.expect(Phase::Keys)?;
        if self.roster.len() < self.threshold {
            self.phase = Phase::Done;
            return Err(FederatedError::TooFew {
                have: self.roster.len(),
                need: self.threshold,
            });
        }
        self.phase = Phase::Shares;
        Ok(self.roster.clone())
    }

    /// A student's sealed shares: one for every other student of the roster.
    ///
    /// # Errors
    /// Late, a second time, not in the roster, or not one sealed share per other student.
    pub fn seal(&mut self, id: u32, sealed: Vec<Sealed>) -> Result<(), FederatedError> {
        self.expect(Phase::Shares)?;
        if !self.roster.contains_key(&id) {
            return Err(FederatedError::NotInRound);
        }
        if self.sealed.contains_key(&id) {
            return Err(FederatedError::Duplicate);
        }
        let to: BTreeSet<u32> = sealed.iter().map(|s| s.to).collect();
        let others: BTreeSet<u32> = self.roster.keys().copied().filter(|&o| o != id).collect();
        if to != others || sealed.len() != others.len() {
            return Err(FederatedError::Malformed(
                "shares must go to every other student of the round, once each".into(),
            ));
        }
        if sealed.iter().any(|s| s.bytes.len() > SEALED_MAX) {
            return Err(FederatedError::Malformed(
                "a sealed share is too long".into(),
            ));
        }
        self.sealed.insert(id, sealed);
        Ok(())
    }

    /// Ends the shares step: for each student who shared, the shares sealed for it by the
    /// others who shared.
    ///
    /// # Errors
    /// Fewer than the threshold shared.
    pub fn close_shares(&mut self) -> Result<Inbox, FederatedError> {
        self.expect(Phase::Shares)?;
        self.sharing = self.sealed.keys().copied().collect();
        if self.sharing.len() < self.threshold {
            self.phase = Phase::Done;
            return Err(FederatedError::TooFew {
                have: self.sharing.len(),
                need: self.threshold,
            });
        }
        let mut inbox: Inbox = self.sharing.iter().map(|&id| (id, Vec::new())).collect();
        for (&from, sealed) in &self.sealed {
            for share in sealed {
                if let Some(list) = inbox.get_mut(&share.to) {
                    list.push((from, share.bytes.clone()));
                }
            }
        }
        self.sealed.clear();
        self.phase = Phase::Masked;
        Ok(inbox)
    }

    /// Who announced keys.
    pub fn advertised(&self) -> BTreeSet<u32> {
        self.roster.keys().copied().collect()
    }

    /// Who sent their sealed shares.
    pub fn sealed_by(&self) -> BTreeSet<u32> {
        self.sealed.keys().copied().collect()
    }

    /// Those whose updates the round waits for or keeps: the survivors once the updates are
    /// in.
    pub fn survivors(&self) -> &BTreeSet<u32> {
        &self.survivors
    }

    /// Who exchanged shares (and may send a masked update).
    pub fn sharing(&self) -> &BTreeSet<u32> {
        &self.sharing
    }

    /// A student's masked update.
    ///
    /// # Errors
    /// Late, a second time, from someone who did not share, or of the wrong length.
    pub fn masked(&mut self, id: u32, words: Vec<u64>) -> Result<(), FederatedError> {
        self.expect(Phase::Masked)?;
        if !self.sharing.contains(&id) {
            return Err(FederatedError::NotInRound);
        }
        if self.masked.contains_key(&id) {
            return Err(FederatedError::Duplicate);
        }
        if words.len() != self.words {
            return Err(FederatedError::Malformed(format!(
                "the update holds {} numbers; the class model needs {}",
                words.len(),
                self.words
            )));
        }
        self.masked.insert(id, words);
        Ok(())
    }

    /// Those whose masked update arrived.
    pub fn arrived(&self) -> BTreeSet<u32> {
        self.masked.keys().copied().collect()
    }

    /// Ends the update step: who stayed, whom every survivor is asked for shares.
    ///
    /// # Errors
    /// Fewer than the threshold sent an update.
    pub fn close_masked(&mut self) -> Result<Vec<u32>, FederatedError> {
        self.expect(Phase::Masked)?;
        self.survivors = self.masked.keys().copied().collect();
        if self.survivors.len() < self.threshold {
            self.phase = Phase::Done;
            self.masked.clear();
            return Err(FederatedError::TooFew {
                have: self.survivors.len(),
                need: self.threshold,
            });
        }
        self.phase = Phase::Unmask;
        Ok(self.survivors.iter().copied().collect())
    }

    /// A survivor's shares.
    ///
    /// # Errors
    /// Late, a second time, not a survivor, or shares that ask for both secrets of a student,
    /// are not at the sender's x, or name students outside the round.
    pub fn reveal(&mut self, id: u32, reveals: Vec<Reveal>) -> Result<(), FederatedError> {
        self.expect(Phase::Unmask)?;
        if !self.survivors.contains(&id) {
            return Err(FederatedError::NotInRound);
        }
        if self.reveals.contains_key(&id) {
            return Err(FederatedError::Duplicate);
        }
        let x = x_of(&self.roster, id);
        let mut seen = BTreeSet::new();
        for reveal in &reveals {
            let expected = if self.survivors.contains(&reveal.of) {
                Secret::SelfSeed
            } else {
                Secret::MaskKey
            };
            if !self.sharing.contains(&reveal.of)
                || reveal.secret != expected
                || Some(reveal.share.x) != x
                || !seen.insert(reveal.of)
            {
                return Err(FederatedError::Malformed(
                    "the shares handed over do not match the round".into(),
                ));
            }
        }
        self.reveals.insert(id, reveals);
        Ok(())
    }

    /// Whether enough survivors handed over their shares to finish.
    pub fn can_finish(&self) -> bool {
        self.phase == Phase::Unmask && self.reveals.len() >= self.threshold
    }

    /// Who handed over shares.
    pub fn revealed(&self) -> BTreeSet<u32> {
        self.reveals.keys().copied().collect()
    }

    fn rebuild(&self, of: u32, secret: Secret) -> Result<[u8; 32], FederatedError> {
        let shares: Vec<Share> = self
            .reveals
            .values()
            .flatten()
            .filter(|reveal| reveal.of == of && reveal.secret == secret)
            .map(|reveal| reveal.share)
            .collect();
        if shares.len() < self.threshold {
            return Err(FederatedError::TooFew {
                have: shares.len(),
                need: self.threshold,
            });
        }
        Ok(combine(&shares))
    }

    /// The sum of the survivors' updates: the masked vectors added, each survivor's self mask
    /// and each dropped student's pairwise masks taken out. Ends the round.
    ///
    /// # Errors
    /// Too few shares, or shares that rebuild a secret other than the one announced.
    pub fn finish(&mut self) -> Result<Vec<u64>, FederatedError> {
        self.expect(Phase::Unmask)?;
        self.phase = Phase::Done;
        let mut sum = vec![0_u64; self.words];
        for vector in std::mem::take(&mut self.masked).into_values() {
            for (total, word) in sum.iter_mut().zip(vector) {
                *total = total.wrapping_add(word);
            }
        }
        for &survivor in &self.survivors {
            let seed = self.rebuild(survivor, Secret::SelfSeed)?;
            if self.roster.get(&survivor).map(|keys| keys.self_commit) != Some(commit(&seed)) {
                return Err(FederatedError::BadShares(survivor));
            }
            apply_mask(&mut sum, &seed, false);
        }
        for &dropped in self.sharing.difference(&self.survivors) {
            let key = secret(self.rebuild(dropped, Secret::MaskKey)?);
            let announced = self.roster.get(&dropped).map(|keys| keys.mask);
            if announced != Some(public(&key)) {
                return Err(FederatedError::BadShares(dropped));
            }
            for &survivor in &self.survivors {
                let other = self
                    .roster
                    .get(&survivor)
                    .map(|keys| keys.mask)
                    .ok_or(FederatedError::NotInRound)?;
                let seed = agreed(&key, &other, "mask", self.round, (survivor, dropped))?;
                // The survivor added this mask if its id is the smaller: take it out again.
                apply_mask(&mut sum, &seed, survivor > dropped);
            }
        }
        Ok(sum)
    }

    /// Every vector of numbers the server holds now (for tests: all are masked).
    pub fn held(&self) -> impl Iterator<Item = &Vec<u64>> {
        self.masked.values()
    }
}
