//! The room as one page sees it: a state machine. [`RoomClient::apply`] takes what happened
//! (a person's click, a message from the room server, an event from the room's training
//! worker) and returns what to do (send to the room, command the worker, remember the
//! membership); the page does it.

use agora_federated::aggregate::encode_weighted;
use agora_federated::fixed;
use agora_federated::flat::flatten;
use agora_federated::keys::PublicKeys;
use agora_federated::message::{
    FromRoom, Member, Report, RoomSettings, RoundSummary, ToRoom, Token, floats_from_bytes,
    floats_to_bytes,
};
use agora_federated::privacy::{DELTA, clip_and_noise, epsilon_of};
use agora_federated::rng::Stream;
use agora_federated::secagg::Masker;
use serde::{Deserialize, Serialize};

use super::setup::{RoomData, RoomSetup};
use crate::protocol::{Command, EvaluationReport, Event, TrainData};

/// Who this page is in which room: kept in the tab's storage so a reload comes back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub code: String,
    pub id: u32,
    pub token: Token,
    pub teacher: bool,
    /// The digits a student holds, so a reloaded page trains on the same ones.
    #[serde(default)]
    pub digits: Vec<u8>,
}

/// What the page must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Open the socket to the room server; answer with [`RoomAction::Opened`] or `Lost`.
    Connect,
    /// Close it (leaving).
    Disconnect,
    Send(ToRoom),
    /// A command for the room's own training worker.
    Worker(Command),
    /// Keep the membership in this tab's storage (or forget it).
    Remember(Option<Membership>),
}

/// The socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    Closed,
    Connecting,
    Open,
    /// It closed; why, and whether the page retries.
    Lost(String),
}

/// A model's accuracy on the student's own digits and on all ten.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scores {
    pub own: f32,
    pub all: f32,
}

/// One round as a student lived it.
#[derive(Clone, Debug, PartialEq)]
pub struct MyRound {
    pub round: u64,
    /// The class model received.
    pub class: Option<Scores>,
    /// After training on this device.
    pub local: Option<Scores>,
    /// Bytes of the update sent.
    pub sent_bytes: Option<usize>,
    /// Whether the round counted it (known when the round is done).
    pub counted: Option<bool>,
    /// Why this device's part stopped, if it did.
    pub stopped: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    ClassEval,
    Training,
    LocalEval,
    Reading,
    Ready,
    Sent,
    Out,
}

struct Local {
    round: u64,
    settings: RoomSettings,
    masker: Option<(Masker, PublicKeys)>,
    shares_in: bool,
    step: Step,
    examples: usize,
    update: Option<Vec<f32>>,
    noise_seed: [u8; 32],
    report: Report,
}

/// What happened.
#[derive(Clone, Debug, PartialEq)]
pub enum RoomAction {
    /// Teacher: open a room for this setup.
    Create {
        setup: Box<RoomSetup>,
        settings: RoomSettings,
    },
    /// Student: join with the link's code, a name and the digits this device holds.
    Join {
        code: String,
        name: String,
        digits: Vec<u8>,
    },
    /// The page was reloaded while in a room.
    Resume(Membership),
    /// Student: the digits this device holds (between rounds).
    Digits(Vec<u8>),
    Settings(RoomSettings),
    StartRound,
    CloseRound,
    Leave,
    /// The socket opened.
    Opened,
    /// The socket closed.
    Lost(String),
    /// A frame from the room, with fresh random bytes (keys, noise) from the browser.
    Room(Box<FromRoom>, [u8; 64]),
    /// An event of the room's worker.
    Worker(Box<Event>),
    /// Something went wrong on this page (a frame it cannot read, no random numbers).
    Problem(String),
    /// The person read the problem.
    Dismiss,
}

/// The room, as this page knows it.
#[derive(Default)]
pub struct RoomClient {
    pub membership: Option<Membership>,
    pub link: Option<Link>,
    hello: Option<ToRoom>,
    /// Waiting for the room to take this device in (after a join, a create or a resume).
    resuming: bool,
    pub setup: Option<RoomSetup>,
    /// The class model's numbers.
    pub model: Vec<f32>,
    pub settings: RoomSettings,
    pub history: Vec<RoundSummary>,
    /// Teacher: everyone in the room.
    pub members: Vec<Member>,
    /// The last refusal or failure, for the person.
    pub problem: Option<String>,
    /// The last thing the room said.
    pub notice: Option<String>,
    /// Student: the digits this device holds.
    pub digits: Vec<u8>,
    pub name: String,
    local: Option<Local>,
    /// Student: the rounds this device took part in.
    pub mine: Vec<MyRound>,
    /// Noise multipliers of the rounds this device's noised updates counted in (ε).
    noises: Vec<f64>,
    /// Teacher: the class model's accuracy on the teacher's test digits after each round
    /// (round 0: the starting model).
    pub scores: Vec<(u64, f32)>,
    evaluating: Option<u64>,
    /// The round running, if any (as the room announced it).
    pub round: Option<u64>,
}

fn accuracy(report: &EvaluationReport, keep: impl Fn(usize) -> bool) -> f32 {
    let classes = report.classes.max(1);
    let (mut right, mut seen) = (0_usize, 0_usize);
    for (at, &label) in report.labels.iter().enumerate() {
        if !keep(label) {
            continue;
        }
        let Some(row) = report.logits.get(at * classes..(at + 1) * classes) else {
            continue;
        };
        let predicted = row
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(class, _)| class);
        seen += 1;
        right += usize::from(predicted == label);
    }
    if seen == 0 {
        0.0
    } else {
        right as f32 / seen as f32
    }
}

impl RoomClient {
    pub fn is_teacher(&self) -> bool {
        self.membership.as_ref().is_some_and(|m| m.teacher)
    }

    /// The link students open.
    pub fn join_link(&self, origin: &str) -> Option<String> {
        self.membership
            .as_ref()
            .map(|m| format!("{origin}/#room={}", m.code))
    }

    /// ε this device has spent so far (δ = 10⁻⁵), when its updates are noised.
    pub fn epsilon(&self) -> Option<f64> {
        (!self.noises.is_empty()).then(|| epsilon_of(&self.noises, DELTA))
    }

    /// How this device's part of the current round stands, in words.
    pub fn stage(&self) -> Option<String> {
        let local = self.local.as_ref()?;
        Some(
            match local.step {
                Step::ClassEval => "testing the class model on your digits",
                Step::Training => "training on your digits",
                Step::LocalEval | Step::Reading => "testing your model",
                Step::Ready => "waiting for the other students' keys",
                Step::Sent => "update sent; waiting for the others",
                Step::Out => "out of this round",
            }
            .to_owned(),
        )
    }

    /// The numbers an update of this room holds, and its bytes on the wire.
    pub fn update_size(&self) -> (usize, usize) {
        let n = self.model.len();
        let bytes = if self.settings.rule.plain() {
            4 * n
        } else {
            8 * (n + 1)
        };
        (n, bytes)
    }

    pub fn apply(&mut self, action: RoomAction) -> Vec<Effect> {
        match action {
            RoomAction::Create { setup, settings } => match setup.starting_model() {
                Ok(model) => {
                    self.hello = Some(ToRoom::Create {
                        setup: setup.to_bytes(),
                        model: floats_to_bytes(&model),
                        settings,
                    });
                    self.model = model;
                    self.settings = settings;
                    self.setup = Some(*setup);
                    self.connect()
                }
                Err(problem) => {
                    self.problem = Some(problem);
                    Vec::new()
                }
            },
            RoomAction::Join { code, name, digits } => {
                if digits.is_empty() {
                    self.problem = Some("Choose at least one digit this device holds.".into());
                    return Vec::new();
                }
                self.digits = digits;
                self.name.clone_from(&name);
                self.hello = Some(ToRoom::Join { code, name });
                self.connect()
            }
            RoomAction::Resume(membership) => {
                if !membership.digits.is_empty() {
                    self.digits.clone_from(&membership.digits);
                }
                self.membership = Some(membership);
                self.connect()
            }
            RoomAction::Digits(digits) => {
                if digits.is_empty() {
                    return Vec::new();
                }
                self.digits = digits;
                match &mut self.membership {
                    Some(membership) => {
                        membership.digits.clone_from(&self.digits);
                        vec![Effect::Remember(Some(membership.clone()))]
                    }
                    None => Vec::new(),
                }
            }
            RoomAction::Settings(settings) => vec![Effect::Send(ToRoom::Settings(settings))],
            RoomAction::StartRound => vec![Effect::Send(ToRoom::StartRound)],
            RoomAction::CloseRound => vec![Effect::Send(ToRoom::CloseRound)],
            RoomAction::Leave => {
                let teacher = self.is_teacher();
                let name = std::mem::take(&mut self.name);
                let digits = std::mem::take(&mut self.digits);
                *self = RoomClient {
                    name,
                    digits,
                    ..RoomClient::default()
                };
                let mut effects = Vec::new();
                if !teacher {
                    effects.push(Effect::Send(ToRoom::Leave));
                }
                effects.extend([Effect::Disconnect, Effect::Remember(None)]);
                effects
            }
            RoomAction::Opened => {
                self.link = Some(Link::Open);
                if let Some(m) = &self.membership {
                    self.resuming = true;
                    vec![Effect::Send(ToRoom::Resume {
                        code: m.code.clone(),
                        id: m.id,
                        token: m.token,
                    })]
                } else {
                    self.resuming = self.hello.is_some();
                    self.hello.clone().map(Effect::Send).into_iter().collect()
                }
            }
            RoomAction::Lost(reason) => {
                self.link = Some(Link::Lost(reason));
                if let Some(local) = &mut self.local {
                    local.step = Step::Out;
                }
                self.stop_mine("the connection to the room dropped");
                Vec::new()
            }
            RoomAction::Room(message, random) => self.on_room(*message, random),
            RoomAction::Worker(event) => self.on_worker(*event),
            RoomAction::Problem(problem) => {
                self.problem = Some(problem);
                Vec::new()
            }
            RoomAction::Dismiss => {
                self.problem = None;
                Vec::new()
            }
        }
    }

    fn connect(&mut self) -> Vec<Effect> {
        self.problem = None;
        self.link = Some(Link::Connecting);
        vec![Effect::Connect]
    }

    fn stop_mine(&mut self, why: &str) {
        if let (Some(local), Some(mine)) = (&self.local, self.mine.last_mut())
            && mine.round == local.round
            && mine.stopped.is_none()
            && mine.sent_bytes.is_none()
        {
            mine.stopped = Some(why.to_owned());
        }
    }

    /// The teacher's page tests each class model on its own test digits.
    fn evaluate_class(&mut self, round: u64) -> Vec<Effect> {
        let Some(setup) = &self.setup else {
            return Vec::new();
        };
        let Ok(trained) = setup.checkpoint(&self.model) else {
            return Vec::new();
        };
        let data = match setup.data {
            RoomData::Digits => TrainData::Digits,
        };
        self.evaluating = Some(round);
        vec![
            Effect::Worker(Command::Restore {
                setup: setup.worker_setup(data, 1),
                trained: Box::new(trained),
            }),
            Effect::Worker(Command::Evaluate),
        ]
    }

    fn on_room(&mut self, message: FromRoom, random: [u8; 64]) -> Vec<Effect> {
        match message {
            FromRoom::Created { code, id, token } => {
                let membership = Membership {
                    code,
                    id,
                    token,
                    teacher: true,
                    digits: Vec::new(),
                };
                self.membership = Some(membership.clone());
                self.resuming = false;
                self.hello = None;
                let mut effects = vec![Effect::Remember(Some(membership))];
                effects.extend(self.evaluate_class(0));
                effects
            }
            FromRoom::Joined {
                id,
                token,
                teacher,
                setup,
                model,
                settings,
                rounds,
            } => {
                self.resuming = false;
                let code = match (&self.membership, &self.hello) {
                    (Some(m), _) => m.code.clone(),
                    (None, Some(ToRoom::Join { code, .. })) => code.clone(),
                    _ => String::new(),
                };
                let membership = Membership {
                    code,
                    id,
                    token,
                    teacher,
                    digits: self.digits.clone(),
                };
                self.membership = Some(membership.clone());
                self.hello = None;
                match RoomSetup::from_bytes(&setup) {
                    Ok(setup) => self.setup = Some(setup),
                    Err(problem) => self.problem = Some(problem),
                }
                match floats_from_bytes(&model) {
                    Some(model) => self.model = model,
                    None => self.problem = Some("The class model could not be read.".into()),
                }
                self.settings = settings;
                self.history = rounds;
                self.local = None;
                let mut effects = vec![Effect::Remember(Some(membership))];
                if teacher && self.scores.is_empty() {
                    let round = self.history.last().map_or(0, |s| s.round);
                    effects.extend(self.evaluate_class(round));
                }
                effects
            }
            FromRoom::Refused(reason) => {
                if self.resuming {
                    // The room is gone or would not take this device: nothing is lost here.
                    self.resuming = false;
                    self.membership = None;
                    self.hello = None;
                    self.link = Some(Link::Closed);
                    self.problem = Some(reason);
                    return vec![Effect::Disconnect, Effect::Remember(None)];
                }
                self.problem = Some(reason);
                Vec::new()
            }
            FromRoom::Members(members) => {
                self.members = members;
                Vec::new()
            }
            FromRoom::Settings(settings) => {
                self.settings = settings;
                Vec::new()
            }
            FromRoom::Notice(text) => {
                self.notice = Some(text);
                Vec::new()
            }
            FromRoom::Round {
                round, settings, ..
            } => {
                self.round = Some(round);
                self.settings = settings;
                if self.is_teacher() {
                    return Vec::new();
                }
                self.start_local(round, settings, random)
            }
            FromRoom::Roster { round, keys } => {
                let Some(local) = self
                    .local
                    .as_mut()
                    .filter(|l| l.round == round && l.step != Step::Out)
                else {
                    return Vec::new();
                };
                let Some((masker, own)) = &mut local.masker else {
                    return Vec::new();
                };
                match masker.share(&keys.into_iter().collect(), own) {
                    Ok(sealed) => vec![Effect::Send(ToRoom::Shares { round, sealed })],
                    Err(error) => {
                        local.step = Step::Out;
                        self.problem = Some(format!("This device left round {round}: {error}."));
                        Vec::new()
                    }
                }
            }
            FromRoom::Shares { round, sealed } => {
                let Some(local) = self
                    .local
                    .as_mut()
                    .filter(|l| l.round == round && l.step != Step::Out)
                else {
                    return Vec::new();
                };
                let Some((masker, _)) = &mut local.masker else {
                    return Vec::new();
                };
                if let Err(error) = masker.receive(&sealed) {
                    local.step = Step::Out;
                    self.problem = Some(format!("This device left round {round}: {error}."));
                    return Vec::new();
                }
                local.shares_in = true;
                self.try_send()
            }
            FromRoom::Unmask { round, survivors } => {
                let Some(local) = self
                    .local
                    .as_mut()
                    .filter(|l| l.round == round && l.step != Step::Out)
                else {
                    return Vec::new();
                };
                let Some((masker, _)) = &mut local.masker else {
                    return Vec::new();
                };
                match masker.reveal(&survivors) {
                    Ok(reveals) => vec![Effect::Send(ToRoom::Reveal { round, reveals })],
                    Err(error) => {
                        self.problem = Some(format!("This device kept its shares: {error}."));
                        Vec::new()
                    }
                }
            }
            FromRoom::RoundDone { summary, model } => {
                self.round = None;
                let Some(model) = floats_from_bytes(&model).filter(|m| m.len() == self.model.len())
                else {
                    self.problem = Some("The new class model could not be read.".into());
                    return Vec::new();
                };
                self.model = model;
                let round = summary.round;
                self.history.push(summary);
                if let Some(local) = self.local.take()
                    && local.round == round
                {
                    let counted = local.step == Step::Sent;
                    if counted && let Some(privacy) = local.settings.privacy {
                        self.noises.push(f64::from(privacy.noise));
                    }
                    if let Some(mine) = self.mine.iter_mut().find(|m| m.round == round) {
                        mine.counted = Some(counted);
                    }
                }
                if self.is_teacher() {
                    return self.evaluate_class(round);
                }
                Vec::new()
            }
            FromRoom::RoundFailed { round, reason } => {
                self.round = None;
                self.notice = Some(reason);
                if self.local.as_ref().is_some_and(|l| l.round == round) {
                    self.local = None;
                    if let Some(mine) = self.mine.iter_mut().find(|m| m.round == round) {
                        mine.counted = Some(false);
                    }
                }
                Vec::new()
            }
        }
    }

    fn start_local(&mut self, round: u64, settings: RoomSettings, random: [u8; 64]) -> Vec<Effect> {
        let Some(membership) = &self.membership else {
            return Vec::new();
        };
        let Some(setup) = &self.setup else {
            return Vec::new();
        };
        let (entropy, noise_seed) = random.split_at(32);
        let mut key_seed = [0_u8; 32];
        key_seed.copy_from_slice(entropy);
        let mut noise = [0_u8; 32];
        noise.copy_from_slice(noise_seed);
        let mut effects = Vec::new();
        let masker = (!settings.rule.plain()).then(|| {
            let (masker, keys) =
                Masker::new(membership.id, round, settings.quorum as usize, key_seed);
            effects.push(Effect::Send(ToRoom::Keys { round, keys }));
            (masker, keys)
        });
        let trained = match setup.checkpoint(&self.model) {
            Ok(trained) => trained,
            Err(problem) => {
                self.problem = Some(problem);
                return effects;
            }
        };
        let data = match setup.data {
            RoomData::Digits => TrainData::DigitsOf {
                digits: self.digits.clone(),
            },
        };
        effects.push(Effect::Worker(Command::Restore {
            setup: setup.worker_setup(data, settings.local_epochs),
            trained: Box::new(trained),
        }));
        effects.push(Effect::Worker(Command::Evaluate));
        self.local = Some(Local {
            round,
            settings,
            masker,
            shares_in: false,
            step: Step::ClassEval,
            examples: 0,
            update: None,
            noise_seed: noise,
            report: Report {
                class_accuracy: 0.0,
                local_accuracy: 0.0,
            },
        });
        self.mine.push(MyRound {
            round,
            class: None,
            local: None,
            sent_bytes: None,
            counted: None,
            stopped: None,
        });
        effects
    }

    fn scores(&self, report: &EvaluationReport) -> Scores {
        let digits = &self.digits;
        Scores {
            own: accuracy(report, |label| {
                u8::try_from(label).is_ok_and(|label| digits.contains(&label))
            }),
            all: accuracy(report, |_| true),
        }
    }

    fn on_worker(&mut self, event: Event) -> Vec<Effect> {
        if self.is_teacher() {
            if let Event::Failed { message } = &event {
                self.evaluating = None;
                self.problem = Some(format!(
                    "The class model could not be tested on this page: {message}"
                ));
            }
            if let Event::Evaluation(report) = &event
                && let Some(round) = self.evaluating.take()
            {
                let all = accuracy(report, |_| true);
                self.scores.retain(|(r, _)| *r != round);
                self.scores.push((round, all));
            }
            return Vec::new();
        }
        let Some(step) = self.local.as_ref().map(|l| l.step) else {
            return Vec::new();
        };
        match (step, event) {
            (_, Event::Data { train, .. }) => {
                if let Some(local) = &mut self.local {
                    local.examples = train;
                }
                Vec::new()
            }
            (Step::ClassEval, Event::Evaluation(report)) => {
                let scores = self.scores(&report);
                if let Some(mine) = self.mine.last_mut() {
                    mine.class = Some(scores);
                }
                if let Some(local) = &mut self.local {
                    local.report.class_accuracy = scores.own;
                    local.step = Step::Training;
                }
                vec![Effect::Worker(Command::Play)]
            }
            (Step::Training, Event::Finished) => {
                if let Some(local) = &mut self.local {
                    local.step = Step::LocalEval;
                }
                vec![Effect::Worker(Command::Evaluate)]
            }
            (Step::LocalEval, Event::Evaluation(report)) => {
                let scores = self.scores(&report);
                if let Some(mine) = self.mine.last_mut() {
                    mine.local = Some(scores);
                }
                if let Some(local) = &mut self.local {
                    local.report.local_accuracy = scores.own;
                    local.step = Step::Reading;
                }
                vec![Effect::Worker(Command::ReadWeights)]
            }
            (Step::Reading, Event::Weights(Ok(trained))) => {
                let after = flatten(&trained.params);
                let before = &self.model;
                if after.len() != before.len() {
                    return self.out("the trained model does not fit the class model");
                }
                let mut update: Vec<f32> = after.iter().zip(before).map(|(a, b)| a - b).collect();
                if update.iter().any(|v| !v.is_finite()) {
                    return self.out("training on your digits diverged (NaN)");
                }
                if let Some(local) = &mut self.local {
                    if let Some(privacy) = local.settings.privacy {
                        clip_and_noise(&mut update, privacy, &mut Stream::new(&local.noise_seed));
                    }
                    local.update = Some(update);
                    local.step = Step::Ready;
                }
                self.try_send()
            }
            (
                Step::Training | Step::ClassEval | Step::LocalEval | Step::Reading,
                Event::Failed { message },
            ) => self.out(&format!("training stopped: {message}")),
            (Step::Training, Event::Diverged { .. }) => {
                self.out("training on your digits diverged (NaN)")
            }
            (Step::Reading, Event::Weights(Err(message))) => self.out(&message),
            _ => Vec::new(),
        }
    }

    /// This device cannot finish the round: it says so, so that the round does not wait for it.
    fn out(&mut self, why: &str) -> Vec<Effect> {
        self.stop_mine(why);
        let Some(local) = &mut self.local else {
            return Vec::new();
        };
        local.step = Step::Out;
        self.problem = Some(format!(
            "This device sits out round {}: {why}. The round goes on with the others.",
            local.round
        ));
        vec![Effect::Send(ToRoom::SitOut { round: local.round })]
    }

    /// Sends the update once it is ready (and, for the secure sum, once the shares are in).
    fn try_send(&mut self) -> Vec<Effect> {
        let Some(local) = &mut self.local else {
            return Vec::new();
        };
        if local.step != Step::Ready {
            return Vec::new();
        }
        let Some(update) = &local.update else {
            return Vec::new();
        };
        let weight = if local.settings.privacy.is_some() {
            1.0
        } else {
            local.examples.max(1) as f32
        };
        let round = local.round;
        let message = match &local.masker {
            None => ToRoom::Plain {
                round,
                weight,
                update: floats_to_bytes(update),
            },
            Some(_) if !local.shares_in => return Vec::new(),
            Some((masker, _)) => match masker.mask(&encode_weighted(update, weight)) {
                Ok(words) => ToRoom::Masked {
                    round,
                    words: fixed::to_bytes(&words),
                },
                Err(error) => return self.out(&error.to_string()),
            },
        };
        let bytes = match &message {
            ToRoom::Plain { update, .. } => update.len(),
            ToRoom::Masked { words, .. } => words.len(),
            _ => 0,
        };
        local.step = Step::Sent;
        let report = local.report;
        if let Some(mine) = self.mine.last_mut() {
            mine.sent_bytes = Some(bytes);
        }
        vec![
            Effect::Send(ToRoom::Report { round, report }),
            Effect::Send(message),
        ]
    }
}
