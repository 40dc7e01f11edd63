//! One room: its members, its class model and its rounds, as a state machine with no sockets
//! and no clock of its own. Every call takes the time in milliseconds and returns the messages
//! to send, by member id; the socket layer delivers them. Id 0 is the teacher.

use std::collections::{BTreeMap, BTreeSet};

use agora_federated::FederatedError;
use agora_federated::aggregate::{Rule, check_update, combine, decode_mean};
use agora_federated::fixed;
use agora_federated::message::{
    FromRoom, MAX_NAME, Member, Report, RoomSettings, RoundSummary, Stage, ToRoom, Token,
    floats_from_bytes, floats_to_bytes,
};
use agora_federated::secagg::{Aggregator, MAX_STUDENTS, Phase};

/// The teacher's id.
pub const TEACHER: u32 = 0;
/// How long the keys, shares and unmasking steps wait for slow devices.
pub const STEP_MS: u64 = 15_000;

/// Messages to send: (member id, message).
pub type Out = Vec<(u32, FromRoom)>;

struct Entry {
    name: String,
    token: Token,
    connected: bool,
    stage: Stage,
    report: Option<(u64, Report)>,
    rounds: u32,
}

enum Running {
    Secure {
        aggregator: Aggregator,
        since: u64,
    },
    Plain {
        updates: BTreeMap<u32, (f32, Vec<f32>)>,
    },
}

struct Round {
    number: u64,
    settings: RoomSettings,
    taking_part: BTreeSet<u32>,
    /// Members whose connection closed during this round: a page that comes back has lost the
    /// round's keys, so the round no longer waits for them even once they are connected again.
    gone: BTreeSet<u32>,
    started: u64,
    running: Running,
}

/// One room.
pub struct Room {
    pub code: String,
    setup: Vec<u8>,
    model: Vec<f32>,
    settings: RoomSettings,
    members: BTreeMap<u32, Entry>,
    next_id: u32,
    history: Vec<RoundSummary>,
    round: Option<Round>,
    rounds_started: u64,
}

/// Checks the teacher's settings.
///
/// # Errors
/// A setting outside what a round can do, in words.
pub fn check_settings(settings: &RoomSettings) -> Result<(), String> {
    if !(1..=50).contains(&settings.local_epochs) {
        return Err("Local epochs must be between 1 and 50.".into());
    }
    if settings.quorum < 2 || settings.quorum as usize > MAX_STUDENTS {
        return Err(format!(
            "The quorum must be between 2 and {MAX_STUDENTS} students."
        ));
    }
    if !(10..=3600).contains(&settings.deadline_s) {
        return Err("A round's deadline must be between 10 s and an hour.".into());
    }
    if let Rule::TrimmedMean { percent } = settings.rule
        && percent >= 50
    {
        return Err("A trimmed mean cuts less than half at each end.".into());
    }
    if let Some(privacy) = settings.privacy
        && !(privacy.clip.is_finite()
            && privacy.clip > 0.0
            && privacy.noise.is_finite()
            && privacy.noise >= 0.0)
    {
        return Err(
            "Privacy needs a positive clipping norm and a noise level of 0 or more.".into(),
        );
    }
    Ok(())
}

impl Room {
    /// A room for `model` (4-byte floats), or why not.
    ///
    /// # Errors
    /// The model is not whole floats, holds a NaN, or the settings are out of range.
    pub fn new(
        code: String,
        setup: Vec<u8>,
        model: &[u8],
        settings: RoomSettings,
        token: Token,
    ) -> Result<Room, String> {
        let model = floats_from_bytes(model)
            .filter(|values| !values.is_empty())
            .ok_or("The class model's numbers could not be read.")?;
        if model.iter().any(|v| !v.is_finite()) {
            return Err("The class model holds a NaN or infinite number.".into());
        }
        check_settings(&settings)?;
        let mut members = BTreeMap::new();
        members.insert(
            TEACHER,
            Entry {
                name: "teacher".into(),
                token,
                connected: true,
                stage: Stage::Waiting,
                report: None,
                rounds: 0,
            },
        );
        Ok(Room {
            code,
            setup,
            model,
            settings,
            members,
            next_id: 1,
            history: Vec::new(),
            round: None,
            rounds_started: 0,
        })
    }

    /// How many numbers the class model has.
    pub fn size(&self) -> usize {
        self.model.len()
    }

    pub fn students(&self) -> usize {
        self.members.len() - 1
    }

    fn joined(&self, id: u32) -> FromRoom {
        FromRoom::Joined {
            id,
            token: self.members.get(&id).map(|e| e.token).unwrap_or_default(),
            teacher: id == TEACHER,
            setup: self.setup.clone(),
            model: floats_to_bytes(&self.model),
            settings: self.settings,
            rounds: self.history.clone(),
        }
    }

    fn members_view(&self) -> Vec<Member> {
        self.members
            .iter()
            .filter(|(id, _)| **id != TEACHER)
            .map(|(&id, entry)| Member {
                id,
                name: entry.name.clone(),
                stage: if entry.connected {
                    entry.stage
                } else {
                    Stage::Away
                },
                report: entry.report.map(|(_, report)| report),
                rounds: entry.rounds,
            })
            .collect()
    }

    fn to_teacher(&self, out: &mut Out) {
        out.push((TEACHER, FromRoom::Members(self.members_view())));
    }

    fn to_everyone(&self, message: &FromRoom, out: &mut Out) {
        for (&id, entry) in &self.members {
            if entry.connected {
                out.push((id, message.clone()));
            }
        }
    }

    /// A student joins.
    ///
    /// # Errors
    /// The name is empty or too long, or the room is full.
    pub fn join(&mut self, name: &str, token: Token) -> Result<(u32, Out), String> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(format!(
                "Pick a display name of 1 to {MAX_NAME} characters."
            ));
        }
        if self.students() >= MAX_STUDENTS {
            return Err(format!("This room is full ({MAX_STUDENTS} students)."));
        }
        let id = self.next_id;
        self.next_id += 1;
        self.members.insert(
            id,
            Entry {
                name: name.to_owned(),
                token,
                connected: true,
                stage: Stage::Waiting,
                report: None,
                rounds: 0,
            },
        );
        let mut out = vec![(id, self.joined(id))];
        self.to_teacher(&mut out);
        Ok((id, out))
    }

    /// A member comes back after a dropped connection.
    ///
    /// # Errors
    /// No such member, or the wrong token.
    pub fn resume(&mut self, id: u32, token: &Token) -> Result<Out, String> {
        let entry = self
            .members
            .get_mut(&id)
            .filter(|entry| &entry.token == token)
            .ok_or("This device is not a member of this room (or its key is wrong).")?;
        entry.connected = true;
        let out_of_round = self
            .round
            .as_ref()
            .is_some_and(|round| round.gone.contains(&id));
        if out_of_round {
            entry.stage = Stage::Dropped;
        } else if entry.stage == Stage::Dropped || entry.stage == Stage::Away {
            entry.stage = Stage::Waiting;
        }
        let mut out = vec![(id, self.joined(id))];
        if id == TEACHER {
            self.to_everyone(&FromRoom::Notice("The teacher is back.".into()), &mut out);
        }
        self.to_teacher(&mut out);
        Ok(out)
    }

    /// A member's connection closed.
    pub fn disconnect(&mut self, id: u32, now: u64) -> Out {
        let mut out = Vec::new();
        let Some(entry) = self.members.get_mut(&id) else {
            return out;
        };
        entry.connected = false;
        if id == TEACHER {
            self.to_everyone(
                &FromRoom::Notice(
                    "The teacher's page disconnected. The room stays open; rounds already started go on.".into(),
                ),
                &mut out,
            );
            return out;
        }
        if let Some(round) = self.round.as_mut()
            && round.taking_part.contains(&id)
        {
            round.gone.insert(id);
            entry.stage = Stage::Dropped;
        }
        self.to_teacher(&mut out);
        out.extend(self.advance(now, false));
        out
    }

    /// Whether a member is connected.
    pub fn connected(&self, id: u32) -> bool {
        self.members.get(&id).is_some_and(|entry| entry.connected)
    }

    /// Whether no one is connected (the room can be closed after a while).
    pub fn empty(&self) -> bool {
        self.members.values().all(|entry| !entry.connected)
    }

    /// A message from member `id`.
    pub fn message(&mut self, id: u32, message: ToRoom, now: u64) -> Out {
        let refuse = |text: String| vec![(id, FromRoom::Refused(text))];
        let teacher_only = matches!(
            message,
            ToRoom::Settings(_) | ToRoom::StartRound | ToRoom::CloseRound
        );
        if teacher_only && id != TEACHER {
            return refuse("Only the teacher can do that.".into());
        }
        match message {
            ToRoom::Settings(settings) => {
                if let Err(reason) = check_settings(&settings) {
                    return refuse(reason);
                }
                self.settings = settings;
                let mut out = Vec::new();
                self.to_everyone(&FromRoom::Settings(settings), &mut out);
                out
            }
            ToRoom::StartRound => self.start_round(now),
            ToRoom::CloseRound => self.advance(now, true),
            ToRoom::Keys { round, keys } => {
                self.with_aggregator(id, round, now, |a| a.advertise(id, keys))
            }
            ToRoom::Shares { round, sealed } => {
                self.with_aggregator(id, round, now, |a| a.seal(id, sealed))
            }
            ToRoom::Masked { round, words } => {
                let Some(words) = fixed::from_bytes(&words) else {
                    return refuse(
                        "Your update was refused: its bytes are not whole numbers.".into(),
                    );
                };
                let out = self.with_aggregator(id, round, now, |a| a.masked(id, words));
                self.after_update(id, out, now)
            }
            ToRoom::Plain {
                round,
                weight,
                update,
            } => self.plain(id, round, weight, &update, now),
            ToRoom::Reveal { round, reveals } => {
                self.with_aggregator(id, round, now, |a| a.reveal(id, reveals))
            }
            ToRoom::Report { round, report } => {
                let valid = [report.class_accuracy, report.local_accuracy]
                    .iter()
                    .all(|a| a.is_finite() && (0.0..=1.0).contains(a));
                if !valid {
                    return refuse("A report's accuracies must lie between 0 and 1.".into());
                }
                if let Some(entry) = self.members.get_mut(&id) {
                    entry.report = Some((round, report));
                }
                let mut out = Vec::new();
                self.to_teacher(&mut out);
                out
            }
            ToRoom::Leave => {
                self.members.remove(&id);
                let mut out = Vec::new();
                self.to_teacher(&mut out);
                out.extend(self.advance(now, false));
                out
            }
            ToRoom::SitOut { round } => {
                let Some(current) = self.round.as_mut().filter(|r| r.number == round) else {
                    return refuse(format!("Round {round} is not running."));
                };
                if !current.taking_part.contains(&id) {
                    return refuse(format!("This device is not in round {round}."));
                }
                current.gone.insert(id);
                if let Some(entry) = self.members.get_mut(&id) {
                    entry.stage = Stage::Dropped;
                }
                let mut out = Vec::new();
                self.to_teacher(&mut out);
                out.extend(self.advance(now, false));
                out
            }
            ToRoom::Create { .. } | ToRoom::Join { .. } | ToRoom::Resume { .. } => {
                refuse("This device is in a room already.".into())
            }
        }
    }

    fn after_update(&mut self, id: u32, out: Out, now: u64) -> Out {
        let refused = out
            .iter()
            .any(|(to, m)| *to == id && matches!(m, FromRoom::Refused(_)));
        let mut out = out;
        if !refused && let Some(entry) = self.members.get_mut(&id) {
            entry.stage = Stage::Sent;
            self.to_teacher(&mut out);
            out.extend(self.advance(now, false));
        }
        out
    }

    fn start_round(&mut self, now: u64) -> Out {
        if let Some(round) = &self.round {
            return vec![(
                TEACHER,
                FromRoom::Refused(format!("Round {} is still running.", round.number)),
            )];
        }
        let taking_part: BTreeSet<u32> = self
            .members
            .iter()
            .filter(|(id, entry)| **id != TEACHER && entry.connected)
            .map(|(&id, _)| id)
            .collect();
        let quorum = self.settings.quorum as usize;
        if taking_part.len() < quorum {
            return vec![(
                TEACHER,
                FromRoom::Refused(format!(
                    "{} student{} connected; the quorum is {quorum}. Wait for more to join, or lower the quorum.",
                    taking_part.len(),
                    if taking_part.len() == 1 {
                        " is"
                    } else {
                        "s are"
                    }
                )),
            )];
        }
        self.rounds_started += 1;
        let number = self.rounds_started;
        let running = if self.settings.rule.plain() {
            Running::Plain {
                updates: BTreeMap::new(),
            }
        } else {
            Running::Secure {
                aggregator: Aggregator::new(number, quorum, self.model.len() + 1),
                since: now,
            }
        };
        for id in &taking_part {
            if let Some(entry) = self.members.get_mut(id) {
                entry.stage = Stage::Training;
            }
        }
        let start = FromRoom::Round {
            round: number,
            settings: self.settings,
            taking_part: taking_part.len() as u32,
        };
        let mut out: Out = taking_part.iter().map(|&id| (id, start.clone())).collect();
        out.push((TEACHER, start));
        self.round = Some(Round {
            number,
            settings: self.settings,
            taking_part,
            gone: BTreeSet::new(),
            started: now,
            running,
        });
        self.to_teacher(&mut out);
        out
    }

    fn with_aggregator(
        &mut self,
        id: u32,
        round: u64,
        now: u64,
        step: impl FnOnce(&mut Aggregator) -> Result<(), FederatedError>,
    ) -> Out {
        let result = match self.round.as_mut() {
            Some(Round {
                number,
                running: Running::Secure { aggregator, .. },
                ..
            }) if *number == round => step(aggregator),
            Some(Round { number, .. }) if *number != round => Err(FederatedError::Late),
            None => Err(FederatedError::Late),
            Some(_) => Err(FederatedError::Protocol(
                "this round does not use secure aggregation".into(),
            )),
        };
        match result {
            Ok(()) => self.advance(now, false),
            Err(error) => vec![(id, FromRoom::Refused(refusal(&error, round)))],
        }
    }

    fn plain(&mut self, id: u32, round: u64, weight: f32, update: &[u8], now: u64) -> Out {
        let size = self.model.len();
        let result = (|| {
            let current = self
                .round
                .as_mut()
                .filter(|r| r.number == round)
                .ok_or(FederatedError::Late)?;
            if !current.taking_part.contains(&id) {
                return Err(FederatedError::NotInRound);
            }
            let Running::Plain { updates } = &mut current.running else {
                return Err(FederatedError::Protocol(
                    "this round uses secure aggregation".into(),
                ));
            };
            if updates.contains_key(&id) {
                return Err(FederatedError::Duplicate);
            }
            let values = floats_from_bytes(update).ok_or_else(|| {
                FederatedError::Malformed("its bytes are not whole numbers".into())
            })?;
            check_update(&values, size)?;
            if !(weight.is_finite() && weight > 0.0 && weight <= 1.0e7) {
                return Err(FederatedError::Malformed(
                    "its weight must be a positive count".into(),
                ));
            }
            updates.insert(id, (weight, values));
            Ok(())
        })();
        match result {
            Ok(()) => self.after_update(id, Vec::new(), now),
            Err(error) => vec![(id, FromRoom::Refused(refusal(&error, round)))],
        }
    }

    /// Time passes: steps whose deadline passed close.
    pub fn tick(&mut self, now: u64) -> Out {
        self.advance(now, false)
    }

    /// Closes every step that can close: everyone still connected answered, or its time is up
    /// (or the teacher closed the round: `force`).
    fn advance(&mut self, now: u64, force: bool) -> Out {
        let mut out = Vec::new();
        let gone = self
            .round
            .as_ref()
            .map(|round| round.gone.clone())
            .unwrap_or_default();
        let connected: BTreeSet<u32> = self
            .members
            .iter()
            .filter(|(id, e)| e.connected && !gone.contains(id))
            .map(|(&id, _)| id)
            .collect();
        loop {
            let Some(round) = self.round.as_mut() else {
                return out;
            };
            let deadline = round.started + u64::from(round.settings.deadline_s) * 1000;
            let waited = |set: &BTreeSet<u32>, done: &BTreeSet<u32>| {
                set.iter()
                    .all(|id| done.contains(id) || !connected.contains(id))
            };
            match &mut round.running {
                Running::Plain { updates } => {
                    let done: BTreeSet<u32> = updates.keys().copied().collect();
                    if !(force || now >= deadline || waited(&round.taking_part, &done)) {
                        return out;
                    }
                    let quorum = round.settings.quorum as usize;
                    if updates.len() < quorum {
                        let reason = format!(
                            "only {} update{} arrived; the quorum is {quorum}",
                            updates.len(),
                            if updates.len() == 1 { "" } else { "s" }
                        );
                        out.extend(self.fail(&reason));
                        return out;
                    }
                    let list: Vec<(f32, Vec<f32>)> = updates.values().cloned().collect();
                    let counted: BTreeSet<u32> = updates.keys().copied().collect();
                    let rule = round.settings.rule;
                    let change = combine(rule, &list);
                    out.extend(self.apply(&change, &counted));
                    return out;
                }
                Running::Secure { aggregator, since } => {
                    let step_over = now >= *since + STEP_MS;
                    let result = match aggregator.phase() {
                        Phase::Keys => {
                            if !(force
                                || step_over
                                || waited(&round.taking_part, &aggregator.advertised()))
                            {
                                return out;
                            }
                            aggregator.close_keys().map(|roster| {
                                let keys: Vec<_> = roster.iter().map(|(&id, &k)| (id, k)).collect();
                                for &id in roster.keys() {
                                    out.push((
                                        id,
                                        FromRoom::Roster {
                                            round: round.number,
                                            keys: keys.clone(),
                                        },
                                    ));
                                }
                            })
                        }
                        Phase::Shares => {
                            if !(force
                                || step_over
                                || waited(&aggregator.advertised(), &aggregator.sealed_by()))
                            {
                                return out;
                            }
                            aggregator.close_shares().map(|inbox| {
                                for (id, sealed) in inbox {
                                    out.push((
                                        id,
                                        FromRoom::Shares {
                                            round: round.number,
                                            sealed,
                                        },
                                    ));
                                }
                            })
                        }
                        Phase::Masked => {
                            let sharing = aggregator.sharing().clone();
                            if !(force
                                || now >= deadline
                                || waited(&sharing, &aggregator.arrived()))
                            {
                                return out;
                            }
                            aggregator.close_masked().map(|survivors| {
                                for &id in &survivors {
                                    out.push((
                                        id,
                                        FromRoom::Unmask {
                                            round: round.number,
                                            survivors: survivors.clone(),
                                        },
                                    ));
                                }
                            })
                        }
                        Phase::Unmask => {
                            let survivors = aggregator.survivors().clone();
                            let all_in = waited(&survivors, &aggregator.revealed());
                            if !(aggregator.can_finish() && (all_in || step_over || force)) {
                                if step_over && !aggregator.can_finish() {
                                    let reason = format!(
                                        "too few students handed over their shares ({} of the {} needed)",
                                        aggregator.revealed().len(),
                                        aggregator.threshold()
                                    );
                                    out.extend(self.fail(&reason));
                                }
                                return out;
                            }
                            let counted = survivors;
                            match aggregator.finish().and_then(|sum| decode_mean(&sum)) {
                                Ok(change) => {
                                    out.extend(self.apply(&change, &counted));
                                    return out;
                                }
                                Err(error) => Err(error),
                            }
                        }
                        Phase::Done => return out,
                    };
                    match result {
                        Ok(()) => *since = now,
                        Err(error) => {
                            out.extend(self.fail(&error.to_string()));
                            return out;
                        }
                    }
                }
            }
        }
    }

    fn fail(&mut self, reason: &str) -> Out {
        let mut out = Vec::new();
        let Some(round) = self.round.take() else {
            return out;
        };
        for entry in self.members.values_mut() {
            entry.stage = Stage::Waiting;
        }
        self.to_everyone(
            &FromRoom::RoundFailed {
                round: round.number,
                reason: format!(
                    "Round {} ended without a new class model: {reason}.",
                    round.number
                ),
            },
            &mut out,
        );
        self.to_teacher(&mut out);
        out
    }

    fn apply(&mut self, change: &[f32], counted: &BTreeSet<u32>) -> Out {
        let Some(round) = self.round.take() else {
            return Vec::new();
        };
        if change.len() != self.model.len() || change.iter().any(|v| !v.is_finite()) {
            self.round = Some(round);
            return self.fail("the combined update was not a valid change of the model");
        }
        for (weight, delta) in self.model.iter_mut().zip(change) {
            *weight += delta;
        }
        let norm = change
            .iter()
            .map(|v| f64::from(*v).powi(2))
            .sum::<f64>()
            .sqrt() as f32;
        let reports: Vec<Report> = counted
            .iter()
            .filter_map(|id| self.members.get(id))
            .filter_map(|entry| {
                entry
                    .report
                    .filter(|(r, _)| *r == round.number)
                    .map(|(_, rep)| rep)
            })
            .collect();
        let mean = |f: fn(&Report) -> f32| {
            (!reports.is_empty()).then(|| reports.iter().map(f).sum::<f32>() / reports.len() as f32)
        };
        let summary = RoundSummary {
            round: round.number,
            counted: counted.len() as u32,
            dropped: (round.taking_part.len() - counted.len().min(round.taking_part.len())) as u32,
            class_accuracy: mean(|r| r.class_accuracy),
            local_accuracy: mean(|r| r.local_accuracy),
            change: norm,
        };
        self.history.push(summary.clone());
        for (id, entry) in self.members.iter_mut() {
            if counted.contains(id) {
                entry.rounds += 1;
            }
            entry.stage = Stage::Waiting;
        }
        let mut out = Vec::new();
        self.to_everyone(
            &FromRoom::RoundDone {
                summary,
                model: floats_to_bytes(&self.model),
            },
            &mut out,
        );
        self.to_teacher(&mut out);
        out
    }

    /// Every number of the class model (tests, benchmarks).
    pub fn model(&self) -> &[f32] {
        &self.model
    }

    /// Rounds done.
    pub fn history(&self) -> &[RoundSummary] {
        &self.history
    }
}

fn refusal(error: &FederatedError, round: u64) -> String {
    match error {
        FederatedError::Late => format!(
            "That was for round {round}, which is not the step the room is on: it was not counted."
        ),
        FederatedError::Malformed(reason) => format!("Your update was refused: {reason}."),
        other => format!("Refused: {other}."),
    }
}
