//! The room's wire protocol: every message is one binary WebSocket frame, postcard-encoded.
//! Updates travel as raw little-endian numbers of an exact length, so a frame's size says what
//! it is: the class model (4 bytes a number), a masked update (8 bytes a number, plus one for
//! the weight), or a small control message.

use serde::{Deserialize, Serialize};

use crate::aggregate::Rule;
use crate::keys::PublicKeys;
use crate::privacy::Privacy;
use crate::secagg::{Reveal, Sealed};

/// The largest frame the server reads (a 4 M-number model's masked update).
pub const MAX_FRAME: usize = 34 << 20;
/// The largest opaque setup a room keeps (the network and recipe, as the page wrote them).
pub const MAX_SETUP: usize = 64 << 10;
/// The longest display name.
pub const MAX_NAME: usize = 40;

/// What the teacher chose for the rounds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoomSettings {
    /// Epochs each student trains on their own data per round.
    pub local_epochs: u32,
    /// The fewest students a round completes with (and the shares' threshold).
    pub quorum: u32,
    pub rule: Rule,
    /// Clipping and noise on every device, or none.
    pub privacy: Option<Privacy>,
    /// Seconds a round waits for updates before closing with those who sent.
    pub deadline_s: u32,
}

impl Default for RoomSettings {
    fn default() -> Self {
        RoomSettings {
            local_epochs: 1,
            quorum: 2,
            rule: Rule::SecureMean,
            privacy: None,
            deadline_s: 300,
        }
    }
}

/// A client's secret for coming back after a dropped connection.
pub type Token = [u8; 16];

/// What a student reports after a round's local training: accuracies on their own validation
/// data, never their data.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The class model received, before local training.
    pub class_accuracy: f32,
    /// After local training (the update sent).
    pub local_accuracy: f32,
}

/// Where a member is in the current round, as the teacher sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Joined; not in a round.
    Waiting,
    /// In the round: keys and shares exchanged, training on their data.
    Training,
    /// Update received.
    Sent,
    /// Dropped out of this round (disconnected or too late).
    Dropped,
    /// Not connected.
    Away,
}

/// One member of the room, as the teacher's projector shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub id: u32,
    pub name: String,
    pub stage: Stage,
    pub report: Option<Report>,
    /// Rounds this member's update counted in.
    pub rounds: u32,
}

/// What happened in a round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundSummary {
    pub round: u64,
    /// Whose updates counted.
    pub counted: u32,
    /// Who started the round but did not finish it.
    pub dropped: u32,
    /// The mean of the reports of those counted: the class model they received, and theirs.
    pub class_accuracy: Option<f32>,
    pub local_accuracy: Option<f32>,
    /// The L2 norm of the class model's change.
    pub change: f32,
}

/// Client → room.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToRoom {
    /// The teacher opens a room for a network: its setup (opaque to the server), its starting
    /// numbers and the settings.
    Create {
        setup: Vec<u8>,
        model: Vec<u8>,
        settings: RoomSettings,
    },
    /// A student joins with the room's code and a display name.
    Join { code: String, name: String },
    /// Back after a dropped connection (teacher or student).
    Resume { code: String, id: u32, token: Token },
    /// Teacher: new settings for the next rounds.
    Settings(RoomSettings),
    /// Teacher: start a round with everyone connected.
    StartRound,
    /// Teacher: close the round now with the updates that arrived.
    CloseRound,
    /// A student's keys for the round.
    Keys { round: u64, keys: PublicKeys },
    /// A student's shares, sealed for each other student.
    Shares { round: u64, sealed: Vec<Sealed> },
    /// A student's masked update (secure rule): 8-byte words, the weight last.
    Masked { round: u64, words: Vec<u8> },
    /// A student's plain update (robust rules): 4-byte floats, and its weight.
    Plain {
        round: u64,
        weight: f32,
        update: Vec<u8>,
    },
    /// A survivor's shares of the secrets needed to finish the round.
    Reveal { round: u64, reveals: Vec<Reveal> },
    /// How the round went on this device.
    Report { round: u64, report: Report },
    /// Leave the room for good.
    Leave,
    /// This device cannot finish the round (its training failed): the round goes on without it.
    SitOut { round: u64 },
}

/// Room → client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromRoom {
    /// The room is open: its code, and the teacher's id and token.
    Created { code: String, id: u32, token: Token },
    /// In the room: who this client is, the room's setup and class model, its settings and the
    /// rounds done.
    Joined {
        id: u32,
        token: Token,
        teacher: bool,
        setup: Vec<u8>,
        model: Vec<u8>,
        settings: RoomSettings,
        rounds: Vec<RoundSummary>,
    },
    /// Why a request was refused; nothing changed.
    Refused(String),
    /// Teacher: everyone in the room now.
    Members(Vec<Member>),
    /// The settings changed.
    Settings(RoomSettings),
    /// A round starts: announce keys (secure rule) and train from the class model.
    Round {
        round: u64,
        settings: RoomSettings,
        /// How many take part.
        taking_part: u32,
    },
    /// Everyone's keys for the round (secure rule).
    Roster {
        round: u64,
        keys: Vec<(u32, PublicKeys)>,
    },
    /// The shares sealed for this student (secure rule).
    Shares {
        round: u64,
        sealed: Vec<(u32, Vec<u8>)>,
    },
    /// The updates are in: who stayed; hand over shares (secure rule).
    Unmask { round: u64, survivors: Vec<u32> },
    /// The round is done: the new class model.
    RoundDone {
        summary: RoundSummary,
        model: Vec<u8>,
    },
    /// The round ended without a new model, and why.
    RoundFailed { round: u64, reason: String },
    /// Something for the person to read (the teacher left, a member was refused…).
    Notice(String),
}

/// Encodes a message as one frame.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    postcard::to_stdvec(message).unwrap_or_default()
}

/// Decodes a frame.
///
/// # Errors
/// Too long, or not a message of this protocol.
pub fn decode<'a, T: Deserialize<'a>>(frame: &'a [u8]) -> Result<T, String> {
    if frame.len() > MAX_FRAME {
        return Err(format!("a message of {} bytes is too long", frame.len()));
    }
    postcard::from_bytes(frame).map_err(|error| format!("not a message of this room ({error})"))
}

/// Floats as little-endian bytes.
pub fn floats_to_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Floats from little-endian bytes, or `None` when the length is not a whole number of them.
pub fn floats_from_bytes(bytes: &[u8]) -> Option<Vec<f32>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_garbage_is_refused() {
        let message = ToRoom::Join {
            code: "ABCD-EFGH".into(),
            name: "Ada".into(),
        };
        assert_eq!(decode::<ToRoom>(&encode(&message)), Ok(message));
        assert!(decode::<ToRoom>(&[0xff, 0x01, 0x02]).is_err());
        assert_eq!(
            floats_from_bytes(&floats_to_bytes(&[1.5, -2.0])),
            Some(vec![1.5, -2.0])
        );
        assert_eq!(floats_from_bytes(&[0; 3]), None);
    }
}
