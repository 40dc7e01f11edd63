//! Key agreement between two students through the server (X25519), and what each agreed
//! secret is turned into: a mask seed, or the key that seals the Shamir shares one sends the
//! other.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};

use crate::FederatedError;

/// What a student announces at the start of a round: the public halves of two fresh key pairs
/// (one for sealing shares, one for masks) and a commitment to its self-mask seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeys {
    pub seal: [u8; 32],
    pub mask: [u8; 32],
    /// SHA-256 of the self-mask seed: the server checks the seed it rebuilds against it.
    pub self_commit: [u8; 32],
}

/// A fresh secret from 32 random bytes.
pub fn secret(bytes: [u8; 32]) -> StaticSecret {
    StaticSecret::from(bytes)
}

pub fn public(secret: &StaticSecret) -> [u8; 32] {
    PublicKey::from(secret).to_bytes()
}

/// SHA-256 of a purpose, the round, the two ids (smaller first) and the agreed secret.
///
/// # Errors
/// The other's key is one of the few points that agree on a known secret (a hostile key).
pub fn agreed(
    secret: &StaticSecret,
    other: &[u8; 32],
    purpose: &str,
    round: u64,
    ids: (u32, u32),
) -> Result<[u8; 32], FederatedError> {
    let shared = secret.diffie_hellman(&PublicKey::from(*other));
    if !shared.was_contributory() {
        return Err(FederatedError::HostileKey);
    }
    let (low, high) = if ids.0 < ids.1 { ids } else { (ids.1, ids.0) };
    let mut hash = Sha256::new();
    hash.update(b"agora-room/1/");
    hash.update(purpose.as_bytes());
    hash.update(round.to_le_bytes());
    hash.update(low.to_le_bytes());
    hash.update(high.to_le_bytes());
    hash.update(shared.as_bytes());
    Ok(hash.finalize().into())
}

pub fn commit(seed: &[u8; 32]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"agora-room/1/self-mask");
    hash.update(seed);
    hash.finalize().into()
}
