//! Training together in a room, as one page sees it: the teacher's page opens the room and
//! starts rounds; a student's page trains the class model on the student's own data each round
//! and sends back only its change, masked. [`RoomClient`] is the state machine — messages from
//! the room server and from the room's own training worker in, effects out — with no browser
//! in it, so it is tested natively; `ui/room.rs` wires it to a WebSocket and a worker.

pub mod client;
pub mod setup;

pub use client::{Effect, Link, Membership, MyRound, RoomAction, RoomClient, Scores};
pub use setup::{RoomData, RoomSetup};

#[cfg(test)]
mod tests;
