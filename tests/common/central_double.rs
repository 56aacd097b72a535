//! A TEST DOUBLE of the central system (`loket-central`), speaking the report protocol on
//! 127.0.0.1:0, scripted to misbehave: answers with chosen statuses (and `Retry-After`), a
//! wrong token, refused ids, a 400 for batches holding a chosen id, settings and content with
//! ETags. It records every request so tests can check what the reporter sent and when, and
//! tells when it answered one, so tests await what it saw ([`CentralDouble::until`]) rather
//! than sleep.
//!
//! Not the real central system: the end-to-end tests against `loket-central` come later.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use loket::protocol::{self, BatchReceipt, EventBatch, Heartbeat, HeartbeatReply, Refused, WireEvent};

/// One request the double answered.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub path: String,
    pub status: u16,
    /// Events in a batch (0 for other requests).
    pub events: usize,
    pub if_none_match: Option<String>,
}

/// What the double holds and how it is told to answer.
#[derive(Debug, Default)]
pub struct Script {
    pub token: String,
    /// Answers for the next POSTs (heartbeat or events), in order: (status, Retry-After).
    pub faults: VecDeque<(u16, Option<u64>)>,
    /// Ids answered as refused in the receipt.
    pub refuse: HashSet<String>,
    /// A batch holding one of these ids is answered 400.
    pub bad: HashSet<String>,
    /// Every event received, in order (duplicates included).
    pub received: Vec<WireEvent>,
    /// Ids stored.
    pub stored: HashSet<String>,
    pub heartbeats: Vec<Heartbeat>,
    pub seen: Vec<Seen>,
    /// (ETag, body) of the settings and the content pack; the heartbeat reply names these ETags
    /// unless `reply_*_etag` is set.
    pub settings: Option<(String, Vec<u8>)>,
    pub content: Option<(String, Vec<u8>)>,
    pub reply_settings_etag: Option<String>,
    pub reply_content_etag: Option<String>,
}

#[derive(Clone)]
struct Shared {
    script: Arc<Mutex<Script>>,
    /// Bumped after every request the double answered.
    answered: tokio::sync::watch::Sender<u64>,
}

impl Shared {
    /// Runs `answer` on the script, then tells the waiters.
    fn answer(&self, answer: impl FnOnce(&mut Script) -> Response) -> Response {
        let response = answer(&mut self.script.lock().unwrap());
        self.answered.send_modify(|n| *n += 1);
        response
    }
}

/// A running double; it stops when dropped.
pub struct CentralDouble {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    script: Arc<Mutex<Script>>,
    answered: tokio::sync::watch::Sender<u64>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl CentralDouble {
    fn app(token: &str) -> (Router, Shared) {
        let script = Arc::new(Mutex::new(Script { token: token.to_owned(), ..Script::default() }));
        let shared = Shared { script, answered: tokio::sync::watch::channel(0).0 };
        let app = Router::new()
            .route(protocol::EVENTS_PATH, post(events))
            .route(protocol::HEARTBEAT_PATH, post(heartbeat))
            .route(protocol::SETTINGS_PATH, get(settings))
            .route(protocol::CONTENT_PATH, get(content))
            .layer(axum::extract::DefaultBodyLimit::max(protocol::MAX_BODY_BYTES))
            .with_state(shared.clone());
        (app, shared)
    }

    /// Starts the double accepting `token`, over plain HTTP.
    pub async fn start(token: &str) -> CentralDouble {
        let (app, Shared { script, answered }) = CentralDouble::app(token);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        CentralDouble { url, script, answered, _stop: stop }
    }

    /// Starts the double over HTTPS at `https://localhost:PORT` with a fresh self-signed
    /// certificate; returns it and the certificate (PEM) to trust.
    pub async fn start_https(token: &str) -> (CentralDouble, String) {
        let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let pem = key.cert.pem();
        let private = rustls_pki_types::PrivateKeyDer::try_from(key.signing_key.serialize_der()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(loket::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![key.cert.der().clone()], private)
            .unwrap();
        let (app, Shared { script, answered }) = CentralDouble::app(token);
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://localhost:{}", tcp.local_addr().unwrap().port());
        let listener = TlsListener { tcp, acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)) };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        (CentralDouble { url, script, answered, _stop: stop }, pem)
    }

    /// Reads or changes the script.
    pub fn script<T>(&self, f: impl FnOnce(&mut Script) -> T) -> T {
        f(&mut self.script.lock().unwrap())
    }

    /// Waits until the script shows what `check` looks for, re-reading it after every request
    /// the double answers; panics naming `what` if that never happens (a generous deadline).
    pub async fn until(&self, what: &str, mut check: impl FnMut(&Script) -> bool) {
        let mut answered = self.answered.subscribe();
        let waited = tokio::time::timeout(Duration::from_secs(90), async {
            while !self.script(|s| check(s)) {
                answered.changed().await.expect("the double stopped");
            }
        })
        .await;
        assert!(waited.is_ok(), "the double never saw {what}: {:#?}", self.script(|s| s.seen.clone()));
    }

    /// Requests to `path`, in order.
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.script(|s| s.seen.iter().filter(|r| r.path == path).cloned().collect())
    }
}

/// TCP with a TLS handshake on each connection (failed handshakes are skipped).
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else { continue };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

fn error(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(protocol::ErrorBody { error: text.to_owned() })).into_response()
}

/// Checks the token and the scripted faults; `Some` is the answer to give instead.
fn gate(script: &mut Script, headers: &HeaderMap, path: &str, events: usize, post: bool) -> Option<Response> {
    let expected = format!("Bearer {}", script.token);
    let mut note = |status: u16| {
        script.seen.push(Seen {
            at: Instant::now(),
            path: path.to_owned(),
            status,
            events,
            if_none_match: headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        })
    };
    if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        note(401);
        return Some(error(StatusCode::UNAUTHORIZED, "unknown or revoked token"));
    }
    if post && let Some((status, retry_after)) = script.faults.pop_front() {
        note(status);
        let mut response = error(StatusCode::from_u16(status).unwrap(), "scripted fault");
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        return Some(response);
    }
    None
}

async fn events(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    shared.answer(|script| answer_events(script, &headers, &body))
}

fn answer_events(script: &mut Script, headers: &HeaderMap, body: &[u8]) -> Response {
    let batch: Result<EventBatch, _> = serde_json::from_slice(body);
    let count = batch.as_ref().map_or(0, |b| b.events.len());
    if let Some(answer) = gate(script, headers, protocol::EVENTS_PATH, count, true) {
        return answer;
    }
    let Ok(batch) = batch else {
        return error(StatusCode::BAD_REQUEST, "not a batch");
    };
    let note = |script: &mut Script, status: u16| {
        script.seen.push(Seen {
            at: Instant::now(),
            path: protocol::EVENTS_PATH.into(),
            status,
            events: count,
            if_none_match: None,
        })
    };
    if let Some(bad) = batch.events.iter().find(|e| script.bad.contains(&e.id)) {
        let text = format!("event {}: body is not acceptable", bad.id);
        note(script, 400);
        return error(StatusCode::BAD_REQUEST, &text);
    }
    note(script, 200);
    let mut receipt = BatchReceipt::default();
    for event in batch.events {
        script.received.push(event.clone());
        if script.refuse.contains(&event.id) {
            receipt.refused.push(Refused { id: event.id, reason: "scripted refusal".into() });
        } else if script.stored.insert(event.id.clone()) {
            receipt.stored.push(event.id);
        } else {
            receipt.duplicate.push(event.id);
        }
    }
    axum::Json(receipt).into_response()
}

async fn heartbeat(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    shared.answer(|script| answer_heartbeat(script, &headers, &body))
}

fn answer_heartbeat(script: &mut Script, headers: &HeaderMap, body: &[u8]) -> Response {
    if let Some(answer) = gate(script, headers, protocol::HEARTBEAT_PATH, 0, true) {
        return answer;
    }
    let Ok(heartbeat) = serde_json::from_slice::<Heartbeat>(body) else {
        return error(StatusCode::BAD_REQUEST, "not a heartbeat");
    };
    script.heartbeats.push(heartbeat);
    script.seen.push(Seen {
        at: Instant::now(),
        path: protocol::HEARTBEAT_PATH.into(),
        status: 200,
        events: 0,
        if_none_match: None,
    });
    let reply = HeartbeatReply {
        server_time: jiff::Timestamp::now(),
        settings_etag: script
            .reply_settings_etag
            .clone()
            .or_else(|| script.settings.as_ref().map(|s| s.0.clone())),
        content_etag: script
            .reply_content_etag
            .clone()
            .or_else(|| script.content.as_ref().map(|s| s.0.clone())),
    };
    axum::Json(reply).into_response()
}

fn pull(script: &mut Script, headers: &HeaderMap, path: &str, settings: bool) -> Response {
    if let Some(answer) = gate(script, headers, path, 0, false) {
        return answer;
    }
    let held = if settings { script.settings.clone() } else { script.content.clone() };
    let if_none_match = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (status, response) = match held {
        None => (404, error(StatusCode::NOT_FOUND, "nothing for this kiosk")),
        Some((etag, _)) if if_none_match.as_deref() == Some(etag.as_str()) => {
            (304, (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response())
        }
        Some((etag, body)) => (200, (StatusCode::OK, [(header::ETAG, etag)], body).into_response()),
    };
    script.seen.push(Seen { at: Instant::now(), path: path.to_owned(), status, events: 0, if_none_match });
    response
}

async fn settings(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    shared.answer(|script| pull(script, &headers, protocol::SETTINGS_PATH, true))
}

async fn content(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    shared.answer(|script| pull(script, &headers, protocol::CONTENT_PATH, false))
}
