//! The staff web server under clients that misbehave: half-sent requests (slowloris), idle and
//! dripping connections, too many connections from one address. Its limits are shortened here
//! ([`ServerLimits`]); the well-behaved clients connect from 127.0.0.1, the others from
//! 127.0.0.2.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use loket::clock::ManualClock;
use loket::config::{ApiToken, Config};
use loket::help_point::{HelpPoint, queue_rules};
use loket::owner::{HelpPointHandle, HelpPointOwner};
use loket::store::Store;
use loket::web::{ServerLimits, WebState};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Longer than any wait here should take: a read that takes this long means "still open".
const GUARD: Duration = Duration::from_secs(5);

struct Server {
    addr: SocketAddr,
    token: String,
    help_point: HelpPointHandle,
    _owner: HelpPointOwner,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(limits: ServerLimits) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let token = loket::secret::new_token();
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.path().to_path_buf();
    let token_hash = loket::secret::hash(&token).unwrap();
    config.web.api_tokens.push(ApiToken { name: "ticket machine".into(), token_hash });
    let clock = Arc::new(ManualClock::new("2026-11-30T09:30:00Z".parse().unwrap()));
    let store = Store::open(&dir.path().join("loket.sqlite")).unwrap();
    let owner = HelpPointOwner::start(HelpPoint::open(queue_rules(&config), store, clock).unwrap()).unwrap();
    let help_point = owner.handle();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = WebState::new(help_point.clone(), Arc::new(config));
    tokio::spawn(loket::web::serve_within(listener, state, limits, async {
        let _ = stopped.await;
    }));
    Server { addr, token, help_point, _owner: owner, _dir: dir, _stop: stop }
}

fn limits() -> ServerLimits {
    ServerLimits {
        header_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(400),
        body_timeout: Duration::from_millis(500),
        connections_per_address: 8,
        connections: 64,
    }
}

/// A connection from `from` (another loopback address than the well-behaved clients').
async fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Reads until the server closes the connection; what it sent, or none if it was still open
/// after `wait`.
async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(wait, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.ok().map(|()| String::from_utf8_lossy(&got).into_owned())
}

/// Reads until `needle` arrives; false if the connection closed or `wait` passed first.
async fn read_until_seen(stream: &mut TcpStream, needle: &str, wait: Duration) -> bool {
    let mut got = Vec::new();
    let seen = tokio::time::timeout(wait, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
            if String::from_utf8_lossy(&got).contains(needle) {
                return true;
            }
        }
    });
    seen.await.unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_from_one_address_are_capped_while_others_are_served() {
    // Long enough that the admitted slow clients are still open while the others are served.
    let limits = ServerLimits { header_timeout: Duration::from_secs(3), ..limits() };
    let server = start(limits).await;
    let mut slow = Vec::new();
    for _ in 0..40 {
        let mut stream = connect_from("127.0.0.2", server.addr).await;
        // Half a request line, never finished.
        let _ = stream.write_all(b"GET /board HT").await;
        slow.push(stream);
    }

    let base = format!("http://{}", server.addr);
    let http = loket::tls::client().build().unwrap();
    for path in ["/health", "/board", "/api/v1/board"] {
        let response = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let ticket = http
        .post(format!("{base}/api/v1/tickets"))
        .bearer_auth(&server.token)
        .json(&json!({ "service": "email", "language": "nl" }))
        .send()
        .await
        .unwrap();
    assert_eq!(ticket.status(), StatusCode::CREATED);

    // Those over the cap of 8 were closed at once; the 8 admitted are still waiting.
    let mut still_open = 0;
    for stream in &mut slow {
        if read_until_closed(stream, Duration::from_millis(50)).await.is_none() {
            still_open += 1;
        }
    }
    assert_eq!(still_open, 8, "one address holds at most its cap");
    // And the header timeout closes those too.
    for stream in &mut slow {
        assert!(read_until_closed(stream, GUARD).await.is_some(), "a half-open connection stayed open");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_and_silent_connections_are_closed_after_the_header_timeout() {
    let server = start(limits()).await;
    let mut half = connect_from("127.0.0.2", server.addr).await;
    half.write_all(b"GET /health HTTP/1.1\r\nHost: loket\r\n").await.unwrap();
    let mut silent = connect_from("127.0.0.2", server.addr).await;
    assert!(read_until_closed(&mut half, GUARD).await.is_some(), "half a request head");
    assert!(read_until_closed(&mut silent, GUARD).await.is_some(), "nothing sent");
    // The places are given back: the address gets in again.
    let mut again = connect_from("127.0.0.2", server.addr).await;
    again.write_all(b"GET /health HTTP/1.1\r\nHost: loket\r\n\r\n").await.unwrap();
    assert!(read_until_seen(&mut again, "200 OK", GUARD).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_but_a_board_stream_is_not() {
    let server = start(limits()).await;
    let mut idle = connect_from("127.0.0.1", server.addr).await;
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: loket\r\n\r\n").await.unwrap();
    assert!(read_until_seen(&mut idle, "200 OK", GUARD).await);

    let mut board = connect_from("127.0.0.1", server.addr).await;
    board.write_all(b"GET /api/v1/board/events HTTP/1.1\r\nHost: loket\r\n\r\n").await.unwrap();
    assert!(read_until_seen(&mut board, "text/event-stream", GUARD).await);

    // The keep-alive connection is closed after the idle timeout...
    assert!(read_until_closed(&mut idle, GUARD).await.is_some(), "an idle connection stayed open");
    // ...and the board, quiet for longer than both timeouts, still hears the next call.
    tokio::time::sleep(Duration::from_millis(800)).await;
    server
        .help_point
        .run(|hp| {
            hp.take_ticket("email", "nl")?;
            hp.call_next("desk-1")
        })
        .unwrap()
        .unwrap();
    assert!(read_until_seen(&mut board, "E-001", GUARD).await, "the board stream was cut");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dripped_request_body_is_cut_off_after_the_body_timeout() {
    let server = start(limits()).await;
    let mut drip = connect_from("127.0.0.2", server.addr).await;
    let head = "POST /api/v1/session HTTP/1.1\r\nHost: loket\r\nContent-Type: application/json\r\n\
                Content-Length: 1000\r\n\r\n";
    drip.write_all(head.as_bytes()).await.unwrap();
    drip.write_all(b"{\"desk\": \"desk-1\"").await.unwrap();
    let answer = read_until_closed(&mut drip, GUARD).await;
    let answer = answer.expect("a dripping client was kept waiting");
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "{answer}");
}
