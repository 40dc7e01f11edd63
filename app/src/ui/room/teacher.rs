//! The teacher's side: opening a room (or joining one as a student), then the projector view —
//! the link and its QR code, who has joined and where each is in the round, the rounds so far
//! with the class model's accuracy, and the buttons that run the rounds.

use agora_federated::message::{RoomSettings, Stage};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::chart::RoundChart;
use super::digits::DigitPicker;
use super::link::{RoomLink, origin};
use super::qr::Qr;
use super::settings::SettingsForm;
use super::{kilobytes, percent};
use crate::room::{RoomAction, RoomSetup};
use crate::ui::Editor;

#[derive(Properties, PartialEq)]
pub struct BeginProps {
    pub link: RoomLink,
    pub editor: Editor,
    pub code: Option<String>,
}

/// Not in a room yet: open one for the network on screen, or join with a code.
#[function_component(Begin)]
pub fn begin(props: &BeginProps) -> Html {
    let settings = use_state(RoomSettings::default);
    let code = use_state(|| props.code.clone().unwrap_or_default());
    let name = use_state(String::new);
    let digits = use_state(|| (0..10).collect::<Vec<u8>>());
    let create = {
        let link = props.link.clone();
        let editor = props.editor.clone();
        let settings = *settings;
        Callback::from(move |_: MouseEvent| {
            match editor.training().map(|setup| RoomSetup::from_setup(&setup)) {
                Some(Ok(setup)) => link.act(RoomAction::Create {
                    setup: Box::new(setup),
                    settings,
                }),
                Some(Err(problem)) => link.act(RoomAction::Problem(problem)),
                None => link.act(RoomAction::Problem(
                    "This network cannot be trained yet: fix it first.".into(),
                )),
            }
        })
    };
    let on_settings = {
        let settings = settings.clone();
        Callback::from(move |next: RoomSettings| settings.set(next))
    };
    let text = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            state.set(input.value());
        })
    };
    let join = {
        let link = props.link.clone();
        let (code, name, digits) = ((*code).clone(), (*name).clone(), (*digits).clone());
        Callback::from(move |_: MouseEvent| {
            link.act(RoomAction::Join {
                code: code.clone(),
                name: name.clone(),
                digits: digits.clone(),
            });
        })
    };
    let joining = props.code.is_some();
    let join_form = html! {
        <div class="room-join">
            <h3>{ "Join a room" }</h3>
            <label>{ "Room code " }
                <input value={(*code).clone()} oninput={text(&code)} placeholder="ABCD-EFGH" data-testid="room-code" />
            </label>
            <label>{ "Your display name " }
                <input value={(*name).clone()} oninput={text(&name)} maxlength="40" data-testid="room-name" />
            </label>
            <DigitPicker digits={(*digits).clone()} on_change={{
                let digits = digits.clone();
                Callback::from(move |next: Vec<u8>| digits.set(next))
            }} />
            <p class="room-leaves">{ "Your digits stay on this device. Each round only the change of the model (masked, so the server sees just the class's sum) and two accuracies are sent." }</p>
            <button class="primary" onclick={join} data-testid="room-join">{ "Join" }</button>
        </div>
    };
    let create_form = html! {
        <div class="room-create">
            <h3>{ "Open a room (teacher)" }</h3>
            <p>{ "The class trains the network on screen. Students on the same network open the link; their images never leave their devices." }</p>
            <SettingsForm settings={*settings} on_change={on_settings} />
            <button class="primary" onclick={create} data-testid="room-create">{ "Open a room for this network" }</button>
        </div>
    };
    html! {
        <div class="room-begin">
            if joining { { join_form } { create_form } } else { { create_form } { join_form } }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct TeacherProps {
    pub link: RoomLink,
    pub editor: Editor,
    /// The client's change count: a new one re-renders the view.
    pub version: u64,
}

fn stage_words(stage: Stage) -> &'static str {
    match stage {
        Stage::Waiting => "waiting",
        Stage::Training => "training",
        Stage::Sent => "update sent",
        Stage::Dropped => "dropped out",
        Stage::Away => "disconnected",
    }
}

/// The projector view.
#[function_component(TeacherView)]
pub fn teacher_view(props: &TeacherProps) -> Html {
    let client = props.link.client.borrow();
    let join = client.join_link(&origin()).unwrap_or_default();
    let code = client
        .membership
        .as_ref()
        .map(|m| m.code.clone())
        .unwrap_or_default();
    let act = |action: RoomAction| {
        let link = props.link.clone();
        Callback::from(move |_: MouseEvent| link.act(action.clone()))
    };
    let on_settings = {
        let link = props.link.clone();
        Callback::from(move |next: RoomSettings| link.act(RoomAction::Settings(next)))
    };
    let running = client.round;
    let next_round = client.history.last().map_or(1, |s| s.round + 1);
    let score = |round: u64| {
        client
            .scores
            .iter()
            .find(|(r, _)| *r == round)
            .map_or_else(|| "…".to_owned(), |(_, a)| percent(*a))
    };
    let local: Vec<(u64, f32)> = client
        .history
        .iter()
        .filter_map(|s| s.local_accuracy.map(|a| (s.round, a)))
        .collect();
    let (numbers, bytes) = client.update_size();
    let open_class = {
        let editor = props.editor.clone();
        let link = props.link.clone();
        Callback::from(move |_: MouseEvent| {
            let client = link.client.borrow();
            if let Some(saved) = super::student::class_project(&client) {
                editor.restore(saved);
            }
        })
    };
    html! {
        <div class="room-teacher" data-testid="room-teacher">
            <div class="room-invite">
                <div>
                    <p class="room-code-big" data-testid="room-code-shown">{ code }</p>
                    <p>{ "Students open " }<a href={join.clone()} data-testid="room-link">{ join.clone() }</a></p>
                    <p class="room-leaves">{ format!(
                        "What leaves each student's device per round: the model's change ({numbers} numbers, {}), and two accuracies. Their images, labels and counts do not.",
                        kilobytes(bytes)
                    ) }</p>
                </div>
                <Qr text={join} />
            </div>
            <h3>{ format!("{} student{} joined", client.members.len(), if client.members.len() == 1 { "" } else { "s" }) }</h3>
            <table class="room-members">
                <thead><tr><th>{ "Name" }</th><th>{ "This round" }</th><th>{ "Class model on their data" }</th><th>{ "Theirs after training" }</th><th>{ "Rounds counted" }</th></tr></thead>
                <tbody>
                    { for client.members.iter().map(|member| html! {
                        <tr data-testid="room-member" data-stage={stage_words(member.stage)}>
                            <td>{ member.name.clone() }</td>
                            <td>{ stage_words(member.stage) }</td>
                            <td>{ member.report.map_or_else(|| "—".into(), |r| percent(r.class_accuracy)) }</td>
                            <td>{ member.report.map_or_else(|| "—".into(), |r| percent(r.local_accuracy)) }</td>
                            <td>{ member.rounds }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <div class="room-actions">
                if let Some(round) = running {
                    <span class="room-status" data-testid="room-running">{ format!("Round {round} running…") }</span>
                    <button onclick={act(RoomAction::CloseRound)} data-testid="room-close-round">{ "Close the round with the updates in" }</button>
                } else {
                    <button class="primary" onclick={act(RoomAction::StartRound)} data-testid="room-start-round">{ format!("Start round {next_round}") }</button>
                }
                <button onclick={open_class} data-testid="room-open-class">{ "Open the class model in the lab" }</button>
                <button onclick={act(RoomAction::Leave)} data-testid="room-leave">{ "Close this page's room view" }</button>
            </div>
            <SettingsForm settings={client.settings} on_change={on_settings} />
            <h3>{ "Rounds" }</h3>
            <RoundChart class={client.scores.clone()} local={local} />
            <p class="room-legend"><span class="class-key">{ "━ class model on the teacher's test digits" }</span>{ " " }<span class="local-key">{ "━ students' own models on their data (mean)" }</span></p>
            <table class="room-rounds">
                <thead><tr><th>{ "Round" }</th><th>{ "Counted" }</th><th>{ "Dropped" }</th><th>{ "Class model, teacher's test digits" }</th><th>{ "Students: class model on their data" }</th><th>{ "Students: own model on their data" }</th><th>{ "Change" }</th></tr></thead>
                <tbody>
                    <tr><td>{ "start" }</td><td>{ "—" }</td><td>{ "—" }</td><td data-testid="room-score-0">{ score(0) }</td><td>{ "—" }</td><td>{ "—" }</td><td>{ "—" }</td></tr>
                    { for client.history.iter().map(|s| html! {
                        <tr data-testid="room-round">
                            <td>{ s.round }</td>
                            <td>{ s.counted }</td>
                            <td>{ s.dropped }</td>
                            <td data-testid={format!("room-score-{}", s.round)}>{ score(s.round) }</td>
                            <td>{ s.class_accuracy.map_or_else(|| "—".into(), percent) }</td>
                            <td>{ s.local_accuracy.map_or_else(|| "—".into(), percent) }</td>
                            <td>{ format!("{:.3}", s.change) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}
