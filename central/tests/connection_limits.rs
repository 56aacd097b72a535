//! `loket-central` under clients that misbehave, plain and over TLS: half-sent requests
//! (slowloris), stalled TLS handshakes, too many connections from one address. Its limits are
//! shortened here ([`ServerLimits`]); the well-behaved client connects from 127.0.0.1, the others
//! from 127.0.0.2.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use loket_central::{CentralState, ServerLimits, Settings};
use loket_protocol::clock::ManualClock;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Longer than any wait here should take: a read that takes this long means "still open".
const GUARD: Duration = Duration::from_secs(5);

struct Server {
    addr: SocketAddr,
    /// The certificate a client trusts, when the server speaks TLS.
    cert_pem: Option<String>,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(limits: ServerLimits, tls: bool) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let (config, cert_pem) = if tls {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert_path, cert.cert.pem()).unwrap();
        std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
        (Some(loket_central::tls::server_config(&cert_path, &key_path).unwrap()), Some(cert.cert.pem()))
    } else {
        (None, None)
    };
    let store = Arc::new(loket_central::sqlite::Sqlite::in_memory().unwrap());
    let clock = Arc::new(ManualClock::new("2026-11-30T10:30:00Z".parse().unwrap()));
    let state = CentralState::new(store, clock, Settings::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(loket_central::serve_within(listener, state, config, limits, async {
        let _ = stopped.await;
    }));
    Server { addr, cert_pem, _dir: dir, _stop: stop }
}

fn limits(header_timeout: Duration) -> ServerLimits {
    ServerLimits {
        header_timeout,
        idle_timeout: Duration::from_millis(400),
        body_timeout: Duration::from_millis(500),
        connections_per_address: 8,
        connections: 64,
    }
}

async fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Whether the server closed the connection within `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let read = tokio::time::timeout(wait, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    read.await.is_ok()
}

/// `/health` from 127.0.0.1, over TLS when the server speaks it.
async fn health(server: &Server) -> StatusCode {
    let http = match &server.cert_pem {
        None => loket_protocol::tls::client(),
        Some(pem) => {
            let root = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
            loket_protocol::tls::client().tls_certs_only([root]).resolve("localhost", server.addr)
        }
    };
    let scheme = if server.cert_pem.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://localhost:{}/health", server.addr.port());
    http.build().unwrap().get(url).send().await.unwrap().status()
}

/// 30 connections from 127.0.0.2 that send `opening` and stall: those over the cap of 8 are
/// closed at once, the server answers 127.0.0.1 meanwhile, and the header timeout closes the
/// rest.
async fn slow_clients_are_capped_and_timed_out(tls: bool, opening: &[u8]) {
    let server = start(limits(Duration::from_secs(3)), tls).await;
    let mut slow = Vec::new();
    for _ in 0..30 {
        let mut stream = connect_from("127.0.0.2", server.addr).await;
        let _ = stream.write_all(opening).await;
        slow.push(stream);
    }
    assert_eq!(health(&server).await, StatusCode::OK);
    let mut still_open = 0;
    for stream in &mut slow {
        if !closed_within(stream, Duration::from_millis(50)).await {
            still_open += 1;
        }
    }
    assert_eq!(still_open, 8, "one address holds at most its cap");
    for stream in &mut slow {
        assert!(closed_within(stream, GUARD).await, "a stalled connection stayed open");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_plain_clients_are_capped_and_timed_out() {
    slow_clients_are_capped_and_timed_out(false, b"GET /health HT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_tls_handshakes_are_capped_and_timed_out() {
    // Half a TLS record header: the handshake never completes.
    slow_clients_are_capped_and_timed_out(true, &[0x16, 0x03]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_are_closed_after_the_header_timeout_plain_and_tls() {
    for tls in [false, true] {
        let server = start(limits(Duration::from_millis(300)), tls).await;
        let mut silent = connect_from("127.0.0.2", server.addr).await;
        assert!(closed_within(&mut silent, GUARD).await, "silent connection, tls: {tls}");
        if !tls {
            let mut half = connect_from("127.0.0.2", server.addr).await;
            half.write_all(b"GET /health HTTP/1.1\r\nHost: central\r\n").await.unwrap();
            assert!(closed_within(&mut half, GUARD).await, "half a request head");
        }
        assert_eq!(health(&server).await, StatusCode::OK);
    }
}
