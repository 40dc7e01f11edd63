//! Learning together without pooling data: what the page and the room server share.
//!
//! - [`message`]: the room's wire protocol (postcard frames over a WebSocket).
//! - [`secagg`]: secure aggregation — masks that cancel in the sum, shares that survive drop-outs.
//! - [`aggregate`]: federated averaging and the robust rules (median, trimmed mean) on plain
//!   updates, and every check an update must pass.
//! - [`privacy`]: clipping and Gaussian noise on the device, and the (ε, δ) accountant.
//! - [`flat`]: a network's parameters as one vector and back.
//! - [`fixed`], [`keys`], [`shamir`], [`rng`]: the pieces under them.

pub mod aggregate;
pub mod fixed;
pub mod flat;
pub mod keys;
pub mod message;
pub mod privacy;
pub mod rng;
pub mod secagg;
pub mod shamir;

use thiserror::Error;

/// Why a step of a round was refused; the texts are for people.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum FederatedError {
    #[error("too few students for this step: {have} of the {need} needed")]
    TooFew { have: usize, need: usize },
    #[error("this arrived after its step of the round was over")]
    Late,
    #[error("this was sent twice for the same round")]
    Duplicate,
    #[error("this device is not part of the current round")]
    NotInRound,
    #[error("refused: {0}")]
    Malformed(String),
    #[error("student {0}'s shares do not rebuild the key it announced")]
    BadShares(u32),
    #[error("a key is not a valid public key")]
    HostileKey,
    #[error("{0}")]
    Protocol(String),
}
