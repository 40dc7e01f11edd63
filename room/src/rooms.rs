//! Every open room, by code, and the guard against guessing codes: each address may get a code
//! wrong a few times a minute.

use std::collections::HashMap;
use std::net::IpAddr;

use agora_federated::message::{MAX_SETUP, RoomSettings, Token};

use crate::room::Room;

/// Wrong codes an address may try per minute.
pub const WRONG_CODES_PER_MINUTE: u32 = 10;
/// Rooms nobody is connected to are closed after this long.
pub const EMPTY_ROOM_MS: u64 = 30 * 60 * 1000;
/// Most rooms one server holds.
pub const MAX_ROOMS: usize = 200;

/// The letters of a code: no 0/O, 1/I/L, U/V look-alikes.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTWXYZ23456789";

/// A code from 8 random bytes: `ABCD-EFGH` (≈ 39 bits; guessing is rate-limited).
pub fn code_from(random: [u8; 8]) -> String {
    let letters: String = random
        .iter()
        .map(|&b| ALPHABET[usize::from(b) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &letters[..4], &letters[4..])
}

/// A code as a person may type it: upper case, the dash optional.
pub fn normalise(code: &str) -> String {
    let letters: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if letters.len() == 8 {
        format!("{}-{}", &letters[..4], &letters[4..])
    } else {
        letters
    }
}

#[derive(Default)]
pub struct Rooms {
    rooms: HashMap<String, (Room, u64)>,
    wrong: HashMap<IpAddr, (u64, u32)>,
}

impl Rooms {
    /// Opens a room under a fresh code.
    ///
    /// # Errors
    /// Too many rooms, a setup too large, or a model or settings the room refuses.
    pub fn create(
        &mut self,
        random: impl Fn() -> [u8; 8],
        setup: Vec<u8>,
        model: &[u8],
        settings: RoomSettings,
        token: Token,
        now: u64,
    ) -> Result<String, String> {
        if self.rooms.len() >= MAX_ROOMS {
            return Err("This server holds as many rooms as it can; close one first.".into());
        }
        if setup.len() > MAX_SETUP {
            return Err("The network's description is too large for a room.".into());
        }
        let mut code = code_from(random());
        while self.rooms.contains_key(&code) {
            code = code_from(random());
        }
        let room = Room::new(code.clone(), setup, model, settings, token)?;
        self.rooms.insert(code.clone(), (room, now));
        Ok(code)
    }

    /// The room of `code`, counting a wrong code against `from`.
    ///
    /// # Errors
    /// The address tried too many wrong codes, or there is no such room.
    pub fn find(&mut self, code: &str, from: IpAddr, now: u64) -> Result<&mut Room, String> {
        let (since, count) = self.wrong.get(&from).copied().unwrap_or((now, 0));
        let (since, count) = if now.saturating_sub(since) > 60_000 {
            (now, 0)
        } else {
            (since, count)
        };
        if count >= WRONG_CODES_PER_MINUTE {
            return Err(
                "Too many wrong room codes from this device: wait a minute, then check the link."
                    .into(),
            );
        }
        let code = normalise(code);
        match self.rooms.get_mut(&code) {
            Some((room, _)) => Ok(room),
            None => {
                self.wrong.insert(from, (since, count + 1));
                Err(format!(
                    "There is no room {code} on this server: check the link, or ask the teacher — the room may have closed or the server restarted. Your data and your model stay on this device."
                ))
            }
        }
    }

    /// The room of `code`, if open (no counting).
    pub fn get_mut(&mut self, code: &str) -> Option<&mut Room> {
        self.rooms.get_mut(code).map(|(room, _)| room)
    }

    /// Every room (the ticker).
    pub fn all_mut(&mut self) -> impl Iterator<Item = &mut Room> {
        self.rooms.values_mut().map(|(room, _)| room)
    }

    /// Closes rooms no one has been connected to for [`EMPTY_ROOM_MS`].
    pub fn sweep(&mut self, now: u64) {
        for (room, seen) in self.rooms.values_mut() {
            if !room.empty() {
                *seen = now;
            }
        }
        self.rooms
            .retain(|_, (_, seen)| now.saturating_sub(*seen) < EMPTY_ROOM_MS);
        self.wrong
            .retain(|_, (since, _)| now.saturating_sub(*since) < 60_000);
    }

    pub fn len(&self) -> usize {
        self.rooms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rooms.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_look_alike_free_and_typed_codes_are_found() {
        let code = code_from([0, 1, 2, 3, 250, 251, 252, 253]);
        assert_eq!(code.len(), 9);
        assert!(
            code.chars()
                .all(|c| c == '-' || ALPHABET.contains(&(c as u8)))
        );
        assert_eq!(normalise(&code.to_lowercase().replace('-', " ")), code);
    }

    #[test]
    fn guessing_codes_is_rate_limited() {
        let mut rooms = Rooms::default();
        let model: Vec<u8> = [0.5_f32; 4].iter().flat_map(|v| v.to_le_bytes()).collect();
        let code = rooms
            .create(
                || [7; 8],
                vec![],
                &model,
                RoomSettings::default(),
                [1; 16],
                0,
            )
            .expect("created");
        let ip: IpAddr = "10.0.0.9".parse().expect("address");
        for attempt in 0..WRONG_CODES_PER_MINUTE {
            let error = rooms
                .find("ZZZZ-ZZZZ", ip, u64::from(attempt))
                .err()
                .expect("no room");
            assert!(error.contains("no room ZZZZ-ZZZZ"), "{error}");
        }
        let blocked = rooms.find(&code, ip, 100).err().expect("blocked");
        assert!(blocked.contains("Too many wrong room codes"), "{blocked}");
        // Another address is not blocked, and a minute later this one is not either.
        assert!(
            rooms
                .find(&code, "10.0.0.10".parse().expect("address"), 100)
                .is_ok()
        );
        assert!(rooms.find(&code, ip, 70_000).is_ok());
    }
}
