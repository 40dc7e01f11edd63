//! The server's side of the sockets: which connection is which member of which room, the
//! messages each room answers delivered to them, and the clock that closes late steps.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use agora_federated::message::{FromRoom, MAX_FRAME, ToRoom, Token, decode, encode};
use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tower_http::services::ServeDir;

use crate::room::{Out, TEACHER};
use crate::rooms::Rooms;

type Link = (u64, UnboundedSender<Vec<u8>>);

/// Every room and every connection.
pub struct Hub {
    pub rooms: Rooms,
    links: HashMap<(String, u32), Link>,
    started: Instant,
}

impl Hub {
    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn deliver(&self, code: &str, out: Out) {
        for (id, message) in out {
            if let Some((_, sender)) = self.links.get(&(code.to_owned(), id)) {
                let _ = sender.send(encode(&message));
            }
        }
    }
}

pub type Shared = Arc<Mutex<Hub>>;

fn lock(hub: &Shared) -> MutexGuard<'_, Hub> {
    hub.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0_u8; N];
    // The operating system's randomness; without it the server cannot make codes or tokens.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        for (at, byte) in bytes.iter_mut().enumerate() {
            *byte = (nanos >> ((at % 16) * 8)) as u8;
        }
    }
    bytes
}

static CONNECTIONS: AtomicU64 = AtomicU64::new(1);

/// The page's files and the rooms' WebSocket, on one port.
pub fn router(hub: Shared, dist: PathBuf) -> Router {
    Router::new()
        .route("/room", get(upgrade))
        .fallback_service(ServeDir::new(dist).append_index_html_on_directories(true))
        .with_state(hub)
}

/// A fresh hub, and its ticker running (every half second).
pub fn start() -> Shared {
    let hub: Shared = Arc::new(Mutex::new(Hub {
        rooms: Rooms::default(),
        links: HashMap::new(),
        // A native server: the wall clock is fine here (the lint guards the wasm crates).
        #[allow(clippy::disallowed_methods)]
        started: Instant::now(),
    }));
    let ticker = Arc::clone(&hub);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(500));
        loop {
            every.tick().await;
            let mut hub = lock(&ticker);
            let now = hub.now();
            let mut outs = Vec::new();
            for room in hub.rooms.all_mut() {
                outs.push((room.code.clone(), room.tick(now)));
            }
            for (code, out) in outs {
                hub.deliver(&code, out);
            }
            hub.rooms.sweep(now);
        }
    });
    hub
}

/// Serves until the process ends.
///
/// # Errors
/// The listener failed.
pub async fn serve(listener: TcpListener, hub: Shared, dist: PathBuf) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(hub, dist).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

async fn upgrade(
    socket: WebSocketUpgrade,
    State(hub): State<Shared>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
) -> Response {
    socket
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| connection(socket, hub, from.ip()))
}

async fn connection(socket: WebSocket, hub: Shared, from: IpAddr) {
    let (mut sink, mut stream) = socket.split();
    let (sender, mut outbox) = unbounded_channel::<Vec<u8>>();
    let writer = tokio::spawn(async move {
        while let Some(frame) = outbox.recv().await {
            if sink.send(Message::Binary(frame.into())).await.is_err() {
                break;
            }
        }
    });
    let connection = CONNECTIONS.fetch_add(1, Ordering::Relaxed);
    let mut bound: Option<(String, u32)> = None;
    while let Some(Ok(frame)) = stream.next().await {
        let bytes = match frame {
            Message::Binary(bytes) => bytes,
            Message::Close(_) => break,
            _ => continue,
        };
        let mut hub = lock(&hub);
        let now = hub.now();
        let message = match decode::<ToRoom>(&bytes) {
            Ok(message) => message,
            Err(reason) => {
                let _ = sender.send(encode(&FromRoom::Refused(format!(
                    "The room could not read that: {reason}."
                ))));
                continue;
            }
        };
        if let Some((code, id)) = &bound {
            let out = match hub.rooms.get_mut(code) {
                Some(room) => room.message(*id, message, now),
                None => vec![(*id, FromRoom::Refused("This room has closed.".into()))],
            };
            hub.deliver(code, out);
            continue;
        }
        let answer = admit(&mut hub, message, from, now);
        match answer {
            Ok((code, id, out)) => {
                hub.links
                    .insert((code.clone(), id), (connection, sender.clone()));
                hub.deliver(&code, out);
                bound = Some((code, id));
            }
            Err(reason) => {
                let _ = sender.send(encode(&FromRoom::Refused(reason)));
            }
        }
    }
    if let Some((code, id)) = bound {
        let mut hub = lock(&hub);
        let now = hub.now();
        let key = (code.clone(), id);
        // Only if this connection is still the member's (a resumed one replaces it).
        if hub
            .links
            .get(&key)
            .is_some_and(|(owner, _)| *owner == connection)
        {
            hub.links.remove(&key);
            if let Some(room) = hub.rooms.get_mut(&code) {
                let out = room.disconnect(id, now);
                hub.deliver(&code, out);
            }
        }
    }
    writer.abort();
}

/// The first message of a connection: open a room, join one, or come back to one.
fn admit(
    hub: &mut Hub,
    message: ToRoom,
    from: IpAddr,
    now: u64,
) -> Result<(String, u32, Out), String> {
    match message {
        ToRoom::Create {
            setup,
            model,
            settings,
        } => {
            let token: Token = random();
            let code = hub
                .rooms
                .create(random::<8>, setup, &model, settings, token, now)?;
            let created = FromRoom::Created {
                code: code.clone(),
                id: TEACHER,
                token,
            };
            Ok((
                code,
                TEACHER,
                vec![(TEACHER, created), (TEACHER, FromRoom::Members(Vec::new()))],
            ))
        }
        ToRoom::Join { code, name } => {
            let room = hub.rooms.find(&code, from, now)?;
            let (id, out) = room.join(&name, random())?;
            Ok((room.code.clone(), id, out))
        }
        ToRoom::Resume { code, id, token } => {
            let room = hub.rooms.find(&code, from, now)?;
            let out = room.resume(id, &token)?;
            Ok((room.code.clone(), id, out))
        }
        _ => Err("Join a room first: open the teacher's link.".into()),
    }
}
