//! A student's side: where this device is in the round, what it sends, the digits it holds, and
//! each round's class model and own model on its digits and on all ten.

use yew::prelude::*;

use super::digits::DigitPicker;
use super::link::RoomLink;
use super::{kilobytes, percent};
use crate::project::file::SavedProject;
use crate::project::{Data, Project};
use crate::room::{RoomAction, RoomClient, RoomData};
use crate::runs::RunBook;
use crate::session::RunHistory;
use crate::ui::Editor;

/// The class model as a lab project, to look inside it with every view.
pub fn class_project(client: &RoomClient) -> Option<SavedProject> {
    let setup = client.setup.as_ref()?;
    let trained = setup.checkpoint(&client.model).ok()?;
    let data = match setup.data {
        RoomData::Digits => Data::Digits,
    };
    Some(SavedProject {
        project: Project {
            data,
            network: setup.network.clone(),
            recipe: setup.recipe,
            seed: setup.seed,
            train_percent: setup.train_percent,
            augment: setup.augment,
            backend: setup.backend,
        },
        trained: Some(trained),
        history: RunHistory::default(),
        runs: RunBook::default(),
        images: None,
    })
}

#[derive(Properties, PartialEq)]
pub struct StudentProps {
    pub link: RoomLink,
    pub editor: Editor,
    /// The client's change count: a new one re-renders the view.
    pub version: u64,
}

#[function_component(StudentView)]
pub fn student_view(props: &StudentProps) -> Html {
    let client = props.link.client.borrow();
    let code = client
        .membership
        .as_ref()
        .map(|m| m.code.clone())
        .unwrap_or_default();
    let (numbers, bytes) = client.update_size();
    let secure = !client.settings.rule.plain();
    let on_digits = {
        let link = props.link.clone();
        Callback::from(move |digits: Vec<u8>| link.act(RoomAction::Digits(digits)))
    };
    let leave = {
        let link = props.link.clone();
        Callback::from(move |_: MouseEvent| link.act(RoomAction::Leave))
    };
    let open_class = {
        let editor = props.editor.clone();
        let link = props.link.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(saved) = class_project(&link.client.borrow()) {
                editor.restore(saved);
            }
        })
    };
    let stage = client
        .stage()
        .unwrap_or_else(|| "waiting for the teacher to start a round".into());
    let scores = |s: Option<crate::room::Scores>| match s {
        Some(s) => (percent(s.own), percent(s.all)),
        None => ("…".into(), "…".into()),
    };
    html! {
        <div class="room-student" data-testid="room-student">
            <p>{ format!("You are {} in room {code}. ", client.name) }
                <strong data-testid="room-stage">{ stage }</strong></p>
            <p class="room-leaves" data-testid="room-leaves">{ if secure {
                format!("What leaves this device each round: the change of the model ({numbers} numbers, {}), masked so that the server can only add it to the others', and two accuracies. Your images, their labels and how many you have stay here.", kilobytes(bytes))
            } else {
                format!("What leaves this device each round: the change of the model ({numbers} numbers, {}) and how many images it learned from — this room's rule lets the server see each update — and two accuracies. Your images and their labels stay here.", kilobytes(bytes))
            } }</p>
            if let Some(epsilon) = client.epsilon() {
                <p data-testid="room-epsilon">{ format!("Privacy spent so far: ε = {epsilon:.2} (δ = 10⁻⁵) over the rounds your noised update counted in.") }</p>
            }
            <DigitPicker digits={client.digits.clone()} on_change={on_digits} />
            <table class="room-mine">
                <thead><tr><th>{ "Round" }</th><th>{ "Class model: your digits" }</th><th>{ "all ten" }</th><th>{ "Yours after training: your digits" }</th><th>{ "all ten" }</th><th>{ "Sent" }</th><th>{ "Counted" }</th></tr></thead>
                <tbody>
                    { for client.mine.iter().map(|mine| {
                        let (class_own, class_all) = scores(mine.class);
                        let (local_own, local_all) = scores(mine.local);
                        html! {
                            <tr data-testid="room-mine" data-round={mine.round.to_string()}>
                                <td>{ mine.round }</td>
                                <td>{ class_own }</td>
                                <td data-testid="room-class-all">{ class_all }</td>
                                <td>{ local_own }</td>
                                <td data-testid="room-local-all">{ local_all }</td>
                                <td>{ mine.sent_bytes.map_or_else(|| "—".into(), kilobytes) }</td>
                                <td data-testid="room-counted">{ match (mine.counted, &mine.stopped) {
                                    (Some(true), _) => "yes".to_owned(),
                                    (Some(false), Some(why)) => format!("no: {why}"),
                                    (Some(false), None) => "no".to_owned(),
                                    (None, Some(why)) => format!("stopped: {why}"),
                                    (None, None) => "…".to_owned(),
                                } }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            <p>{ format!("The class model has been through {} round{}.", client.history.len(), if client.history.len() == 1 { "" } else { "s" }) }</p>
            <div class="room-actions">
                <button onclick={open_class} data-testid="room-open-class">{ "Open the class model in the lab" }</button>
                <button onclick={leave} data-testid="room-leave">{ "Leave the room" }</button>
            </div>
        </div>
    }
}
