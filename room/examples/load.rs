//! Load benchmark: one room server (the release binary, as a child process), a teacher and N
//! simulated students speaking the same protocol over WebSockets on loopback, secure
//! aggregation on. Prints each round's time (keys → shares → masked updates → shares handed
//! over → new model to everyone) and the server's peak memory (VmHWM).
//!
//!   cargo build -p agora-room --release
//!   cargo run -p agora-room --release --example load -- [students 30] [numbers 61706: LeNet, the digits network] [rounds 3]
//!
//! The students do not train: each sends a fixed random update as soon as it can, so the
//! figures are the server's and the protocol's cost, not training's.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Instant;

use agora_federated::aggregate::encode_weighted;
use agora_federated::fixed;
use agora_federated::message::{
    FromRoom, RoomSettings, ToRoom, decode, encode, floats_from_bytes, floats_to_bytes,
};
use agora_federated::rng::Stream;
use agora_federated::secagg::Masker;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send(socket: &mut Socket, message: &ToRoom) {
    socket
        .send(Message::Binary(encode(message).into()))
        .await
        .expect("send");
}

async fn next(socket: &mut Socket) -> Option<FromRoom> {
    loop {
        match socket.next().await? {
            Ok(Message::Binary(bytes)) => return decode(&bytes).ok(),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

/// One student: joins, then answers every round until the socket closes.
async fn student(url: String, code: String, id_hint: usize, numbers: usize) {
    let (mut socket, _) = connect_async(&url).await.expect("connect");
    send(
        &mut socket,
        &ToRoom::Join {
            code,
            name: format!("student {id_hint}"),
        },
    )
    .await;
    let mut stream = Stream::new(&[id_hint as u8 + 1; 32]);
    let update: Vec<f32> = (0..numbers)
        .map(|_| (stream.normal() * 0.01) as f32)
        .collect();
    let mut id = 0;
    let mut masker: Option<(Masker, agora_federated::keys::PublicKeys)> = None;
    while let Some(message) = next(&mut socket).await {
        match message {
            FromRoom::Joined { id: mine, .. } => id = mine,
            FromRoom::Round {
                round, settings, ..
            } => {
                let (m, keys) = Masker::new(id, round, settings.quorum as usize, stream.bytes32());
                masker = Some((m, keys));
                send(&mut socket, &ToRoom::Keys { round, keys }).await;
            }
            FromRoom::Roster { round, keys } => {
                if let Some((m, own)) = &mut masker {
                    let sealed = m.share(&keys.into_iter().collect(), own).expect("share");
                    send(&mut socket, &ToRoom::Shares { round, sealed }).await;
                }
            }
            FromRoom::Shares { round, sealed } => {
                if let Some((m, _)) = &mut masker {
                    m.receive(&sealed).expect("receive");
                    let words = m.mask(&encode_weighted(&update, 100.0)).expect("mask");
                    send(
                        &mut socket,
                        &ToRoom::Masked {
                            round,
                            words: fixed::to_bytes(&words),
                        },
                    )
                    .await;
                }
            }
            FromRoom::Unmask { round, survivors } => {
                if let Some((m, _)) = &mut masker {
                    let reveals = m.reveal(&survivors).expect("reveal");
                    send(&mut socket, &ToRoom::Reveal { round, reveals }).await;
                }
            }
            _ => {}
        }
    }
}

fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main]
#[allow(clippy::disallowed_methods)] // a native benchmark reads the wall clock
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let students = args.first().copied().unwrap_or(30);
    let numbers = args.get(1).copied().unwrap_or(61_706);
    let rounds = args.get(2).copied().unwrap_or(3);
    let dist = std::env::temp_dir().join("agora-room-load");
    std::fs::create_dir_all(&dist).expect("dist");
    std::fs::write(dist.join("index.html"), "<!doctype html>").expect("index");
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let binary = std::path::Path::new(&target).join("release/agora-room");
    let mut server = tokio::process::Command::new(&binary)
        .args(["--host", "127.0.0.1", "--port", "0", "--dist"])
        .arg(&dist)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (cargo build -p agora-room --release)",
                binary.display()
            )
        });
    let pid = server.id().expect("pid");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let line = lines
        .next_line()
        .await
        .expect("line")
        .expect("start-up line");
    let port = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .expect("port");
    let url = format!("ws://127.0.0.1:{port}/room");
    let before = peak_kib(pid).unwrap_or(0);

    let (mut teacher, _) = connect_async(&url).await.expect("teacher");
    let model = vec![0.0_f32; numbers];
    let settings = RoomSettings {
        quorum: (students as u32 * 2).div_ceil(3).max(2),
        ..RoomSettings::default()
    };
    send(
        &mut teacher,
        &ToRoom::Create {
            setup: vec![0; 64],
            model: floats_to_bytes(&model),
            settings,
        },
    )
    .await;
    let code = loop {
        if let Some(FromRoom::Created { code, .. }) = next(&mut teacher).await {
            break code;
        }
    };
    let mut tasks = Vec::new();
    for at in 0..students {
        tasks.push(tokio::spawn(student(
            url.clone(),
            code.clone(),
            at,
            numbers,
        )));
    }
    loop {
        if let Some(FromRoom::Members(members)) = next(&mut teacher).await
            && members.len() == students
        {
            break;
        }
    }
    println!(
        "{students} students, {numbers} numbers per update ({} KB masked), quorum {}",
        8 * (numbers + 1) / 1024,
        settings.quorum
    );
    println!("| round | students counted | round time | server peak memory |");
    println!("|---:|---:|---:|---:|");
    let mut times = BTreeMap::new();
    for _ in 0..rounds {
        let start = Instant::now();
        send(&mut teacher, &ToRoom::StartRound).await;
        let summary = loop {
            match next(&mut teacher).await {
                Some(FromRoom::RoundDone { summary, model }) => {
                    assert_eq!(floats_from_bytes(&model).map(|m| m.len()), Some(numbers));
                    break summary;
                }
                Some(FromRoom::RoundFailed { reason, .. }) => panic!("round failed: {reason}"),
                Some(_) => {}
                None => panic!("the server closed the teacher's socket"),
            }
        };
        let seconds = start.elapsed().as_secs_f64();
        times.insert(summary.round, seconds);
        println!(
            "| {} | {} | {:.2} s | {:.0} MiB |",
            summary.round,
            summary.counted,
            seconds,
            peak_kib(pid).unwrap_or(0) as f64 / 1024.0
        );
        assert_eq!(summary.counted as usize, students);
    }
    println!(
        "server memory before the room: {:.0} MiB",
        before as f64 / 1024.0
    );
    for task in tasks {
        task.abort();
    }
    let _ = server.kill().await;
}
