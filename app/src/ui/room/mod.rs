//! "Train together": the room panel of the image lab. A teacher opens a room for the network on
//! screen and starts rounds; students who open the link train the class model on their own
//! digits, and only masked changes of the model leave their devices. The state machine is
//! `crate::room`; the wires are [`link`].

mod chart;
mod digits;
mod link;
mod qr;
mod settings;
mod student;
mod teacher;

use std::cell::Cell;
use std::rc::Rc;

use yew::prelude::*;

use super::Editor;
use crate::room::{Link, RoomAction, RoomClient};
use link::{RoomLink, RoomWorker, remembered};

#[derive(Properties, PartialEq)]
pub struct RoomProps {
    pub editor: Editor,
    /// The code in the link the page was opened with (`#room=CODE`).
    pub code: Option<String>,
}

#[function_component(RoomPanel)]
pub fn room_panel(props: &RoomProps) -> Html {
    let update = use_force_update();
    let link = {
        let client = use_mut_ref(RoomClient::default);
        let socket = use_mut_ref(|| None);
        let worker = use_mut_ref(RoomWorker::default);
        let leaving = use_memo((), |()| Cell::new(false));
        let version = use_memo((), |()| Cell::new(0_u64));
        RoomLink {
            version: Rc::clone(&version),
            client,
            socket,
            worker,
            leaving: Rc::clone(&leaving),
            rerender: Callback::from(move |()| update.force_update()),
        }
    };
    let open = use_state(|| props.code.is_some() || remembered().is_some());
    // Back into the room this tab was in before a reload.
    {
        let link = link.clone();
        use_effect_with((), move |()| {
            if let Some(membership) = remembered() {
                link.act(RoomAction::Resume(membership));
            }
        });
    }
    let client: std::cell::Ref<'_, RoomClient> = link.client.borrow();
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let in_room = client.membership.is_some();
    let head = html! {
        <div class="room-head">
            <h2>{ "Train together" }</h2>
            <span class="room-why">{ "A class trains one model; each person's images stay on their own device." }</span>
            if !in_room {
                <button class="room-toggle" onclick={toggle} aria-expanded={open.to_string()} data-testid="room-toggle">
                    { if *open { "Hide" } else { "Open a room or join one" } }
                </button>
            }
        </div>
    };
    if !*open && !in_room {
        return html! { <section class="room panel" data-testid="room-panel">{ head }</section> };
    }
    let problem = client.problem.clone().map(|problem| {
        let dismiss = {
            let link = link.clone();
            Callback::from(move |_: MouseEvent| link.act(RoomAction::Dismiss))
        };
        html! {
            <div class="banner error" role="alert" data-testid="room-problem">
                { problem }
                <button class="fix" onclick={dismiss}>{ "OK" }</button>
            </div>
        }
    });
    let notice = client
        .notice
        .clone()
        .map(|notice| html! { <div class="banner warning" role="status" data-testid="room-notice">{ notice }</div> });
    let connection = match &client.link {
        Some(Link::Lost(reason)) => Some(
            html! { <div class="banner warning" role="status" data-testid="room-lost">{ reason.clone() }</div> },
        ),
        Some(Link::Connecting) => Some(
            html! { <p class="room-status" data-testid="room-connecting">{ "Connecting to the room server…" }</p> },
        ),
        _ => None,
    };
    let version = link.version.get();
    let body = if client.is_teacher() {
        html! { <teacher::TeacherView link={link.clone()} editor={props.editor.clone()} {version} /> }
    } else if in_room {
        html! { <student::StudentView link={link.clone()} editor={props.editor.clone()} {version} /> }
    } else {
        html! { <teacher::Begin link={link.clone()} editor={props.editor.clone()} code={props.code.clone()} /> }
    };
    drop(client);
    html! {
        <section class="room panel" data-testid="room-panel">
            { head }
            { for problem }
            { for notice }
            { for connection }
            { body }
        </section>
    }
}

/// A share as a percentage.
pub(super) fn percent(value: f32) -> String {
    format!("{:.1} %", value * 100.0)
}

/// What one round's numbers weigh on the wire, in words.
pub(super) fn kilobytes(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{:.0} KB", (bytes as f64 / 1024.0).ceil())
    }
}
