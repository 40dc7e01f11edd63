//! `agora-room`: the server a teacher starts so a class can train one model together. It serves
//! the built page and, on `/room`, a WebSocket per member: it relays keys and sealed shares
//! between students, sums their masked updates and keeps the class model. Rooms live in memory
//! only; it never receives a student's data.

pub mod hub;
pub mod room;
pub mod rooms;
