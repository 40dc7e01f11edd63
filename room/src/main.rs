//! `agora-room [--port 8090] [--host 0.0.0.0] [--dist dist]`: serves the page and its rooms
//! (`--port 0` takes a free port; the start-up line says which).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: agora-room [--port 8090] [--host 0.0.0.0] [--dist dist]";

/// This machine's address on its network, as students should type it (no packet is sent).
fn lan_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("10.255.255.255:1").ok()?;
    socket
        .local_addr()
        .ok()
        .map(|a| a.ip())
        .filter(|ip| !ip.is_unspecified())
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut port = 8090_u16;
    let mut host = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    let mut dist = PathBuf::from("dist");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        let ok = match (flag.as_str(), value) {
            ("--port", Some(v)) => v.parse().map(|p| port = p).is_ok(),
            ("--host", Some(v)) => v.parse().map(|h| host = h).is_ok(),
            ("--dist", Some(v)) => {
                dist = PathBuf::from(v);
                true
            }
            _ => false,
        };
        if !ok {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    if !dist.join("index.html").is_file() {
        eprintln!(
            "agora-room: {} has no index.html: build the page first (trunk build --release), or pass --dist",
            dist.display()
        );
        return ExitCode::from(2);
    }
    let listener = match tokio::net::TcpListener::bind(SocketAddr::new(host, port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("agora-room: cannot listen on {host}:{port}: {error}");
            return ExitCode::from(1);
        }
    };
    let port = listener.local_addr().map_or(port, |address| address.port());
    let shown = if host.is_unspecified() {
        lan_address().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
    } else {
        host
    };
    println!(
        "agora-room: students open http://{shown}:{port}/ — rooms are kept in memory only and end with this process; \
         no student data is stored or received, only masked model updates and accuracies"
    );
    let hub = agora_room::hub::start();
    match agora_room::hub::serve(listener, hub, dist).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("agora-room: {error}");
            ExitCode::from(1)
        }
    }
}
