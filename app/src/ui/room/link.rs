//! The room's wires in the browser: the WebSocket to the room server, the room's own training
//! worker (beside the lab's, so the person's own project is untouched), the tab's storage of
//! the membership, and the browser's random numbers. Every event goes through
//! [`RoomLink::act`] into the [`RoomClient`] state machine; its effects come back here.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket, Worker};
use yew::Callback;

use crate::protocol::{
    Command, Event as WorkerEvent, decode as decode_event, encode as encode_command,
};
use crate::room::{Effect, Link, Membership, RoomAction, RoomClient};
use agora_federated::message::{FromRoom, decode, encode};

/// Where the membership is kept for a reload of this tab.
const STORED: &str = "agora-room";
/// Seconds between tries to get back into the room after the connection dropped.
const RETRY_MS: i32 = 3000;

#[derive(Default)]
pub struct RoomWorker {
    worker: Option<Worker>,
    ready: bool,
    queue: Vec<Command>,
}

/// Everything the room panel's callbacks share.
#[derive(Clone)]
pub struct RoomLink {
    pub client: Rc<RefCell<RoomClient>>,
    pub socket: Rc<RefCell<Option<WebSocket>>>,
    pub worker: Rc<RefCell<RoomWorker>>,
    /// Set while leaving on purpose: a close is then not a dropped connection.
    pub leaving: Rc<Cell<bool>>,
    pub rerender: Callback<()>,
    /// Counts the client's changes, so the views re-render when it changed.
    pub version: Rc<Cell<u64>>,
}

impl PartialEq for RoomLink {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.client, &other.client)
    }
}

/// 64 bytes from the browser's cryptographic generator, or `None` when it gives none.
pub fn random64() -> Option<[u8; 64]> {
    let crypto = web_sys::window()?.crypto().ok()?;
    let mut bytes = [0_u8; 64];
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    (bytes != [0_u8; 64]).then_some(bytes)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The membership this tab kept, if any.
pub fn remembered() -> Option<Membership> {
    let text = storage()?.get_item(STORED).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

fn remember(membership: Option<&Membership>) {
    let Some(storage) = storage() else { return };
    match membership.and_then(|m| serde_json::to_string(m).ok()) {
        Some(text) => {
            let _ = storage.set_item(STORED, &text);
        }
        None => {
            let _ = storage.remove_item(STORED);
        }
    }
}

/// `ws://host/room` for the page's own server.
fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/room", location.host().ok()?))
}

/// The page's origin, for the join link.
pub fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

impl RoomLink {
    /// Applies `action` and carries out what it asks.
    pub fn act(&self, action: RoomAction) {
        let effects = self.client.borrow_mut().apply(action);
        for effect in effects {
            self.perform(effect);
        }
        self.version.set(self.version.get() + 1);
        self.rerender.emit(());
    }

    fn perform(&self, effect: Effect) {
        match effect {
            Effect::Connect => self.connect(),
            Effect::Disconnect => {
                self.leaving.set(true);
                if let Some(socket) = self.socket.borrow_mut().take() {
                    let _ = socket.close();
                }
            }
            Effect::Send(message) => {
                if let Some(socket) = self.socket.borrow().as_ref()
                    && socket.ready_state() == WebSocket::OPEN
                {
                    let _ = socket.send_with_u8_array(&encode(&message));
                }
            }
            Effect::Worker(command) => self.to_worker(command),
            Effect::Remember(membership) => remember(membership.as_ref()),
        }
    }

    fn connect(&self) {
        self.leaving.set(false);
        if let Some(old) = self.socket.borrow_mut().take() {
            old.set_onclose(None);
            let _ = old.close();
        }
        let Some(url) = socket_url() else { return };
        let socket = match WebSocket::new(&url) {
            Ok(socket) => socket,
            Err(error) => {
                self.act(RoomAction::Lost(format!(
                    "The room server could not be reached ({error:?})."
                )));
                return;
            }
        };
        socket.set_binary_type(BinaryType::Arraybuffer);
        let opened = Rc::new(Cell::new(false));
        let on_open = {
            let link = self.clone();
            let opened = Rc::clone(&opened);
            Closure::<dyn Fn()>::new(move || {
                opened.set(true);
                link.act(RoomAction::Opened);
            })
        };
        let on_message = {
            let link = self.clone();
            Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
                let bytes = js_sys::Uint8Array::new(&message.data()).to_vec();
                let Some(random) = random64() else {
                    link.act(RoomAction::Problem(
                        "This browser gives no secure random numbers, so this device cannot take part privately.".into(),
                    ));
                    return;
                };
                match decode::<FromRoom>(&bytes) {
                    Ok(message) => link.act(RoomAction::Room(Box::new(message), random)),
                    Err(reason) => link.act(RoomAction::Problem(format!(
                        "The room server sent something this page cannot read ({reason}): it may run another version of Agora."
                    ))),
                }
            })
        };
        let on_close = {
            let link = self.clone();
            Closure::<dyn Fn(CloseEvent)>::new(move |event: CloseEvent| {
                if link.leaving.get() {
                    return;
                }
                let reason = if opened.get() {
                    format!(
                        "The connection to the room server dropped (code {}). Trying again every few seconds; nothing on this device is lost.",
                        event.code()
                    )
                } else {
                    format!(
                        "The room server could not be reached at {}. Rooms need the page served by agora-room: the teacher runs ./room.sh and students open the address it prints.",
                        socket_url().unwrap_or_default()
                    )
                };
                link.act(RoomAction::Lost(reason));
                link.retry_later();
            })
        };
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_open.forget();
        on_message.forget();
        on_close.forget();
        *self.socket.borrow_mut() = Some(socket);
    }

    /// After a dropped connection, a member tries to come back.
    fn retry_later(&self) {
        let link = self.clone();
        let retry = Closure::once_into_js(move || {
            let membership = {
                let client = link.client.borrow();
                match (&client.membership, &client.link) {
                    (Some(m), Some(Link::Lost(_))) => Some(m.clone()),
                    _ => None,
                }
            };
            if let Some(membership) = membership {
                link.act(RoomAction::Resume(membership));
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                retry.unchecked_ref(),
                RETRY_MS,
            );
        }
    }

    fn to_worker(&self, command: Command) {
        let mut room_worker = self.worker.borrow_mut();
        if room_worker.worker.is_none() {
            match Worker::new("./worker-loader.js") {
                Ok(worker) => {
                    let link = self.clone();
                    let on_event =
                        Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
                            let bytes = js_sys::Uint8Array::new(&message.data()).to_vec();
                            let Ok(event) = decode_event::<WorkerEvent>(&bytes) else {
                                return;
                            };
                            if matches!(event, WorkerEvent::Ready { .. }) {
                                let queued = {
                                    let mut room_worker = link.worker.borrow_mut();
                                    room_worker.ready = true;
                                    std::mem::take(&mut room_worker.queue)
                                };
                                for command in queued {
                                    link.to_worker(command);
                                }
                                return;
                            }
                            link.act(RoomAction::Worker(Box::new(event)));
                        });
                    worker.set_onmessage(Some(on_event.as_ref().unchecked_ref()));
                    on_event.forget();
                    room_worker.worker = Some(worker);
                }
                Err(error) => {
                    drop(room_worker);
                    self.act(RoomAction::Problem(format!(
                        "The room's training worker could not start ({error:?}). Reload the page."
                    )));
                    return;
                }
            }
        }
        if !room_worker.ready {
            room_worker.queue.push(command);
            return;
        }
        if let Some(worker) = &room_worker.worker {
            let bytes = encode_command(&command);
            let _ = worker.post_message(&js_sys::Uint8Array::from(bytes.as_slice()));
        }
    }
}
