//! A small HTTP/1.1 proxy put between a kiosk and `loket-central` that misbehaves on purpose:
//! the central system down, an HTTP 500, a 429 with `Retry-After`, a connection cut in the middle
//! of a batch, an answer lost after the server stored the batch, a very slow server.
//!
//! One request per connection: the proxy reads the request head and its `Content-Length` body,
//! takes the next scripted fault for that path (none: pass it on), and forwards it to the real
//! server with `Connection: close`, so the answer ends where the upstream closes. Every request
//! it sees is logged with its path, the instant it arrived and the instant the proxy was done
//! with it, and tests await those ([`FaultProxy::until`]) rather than sleep.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status and a JSON error, without passing the request on.
    Status(u16),
    /// `429 Too Many Requests` with `Retry-After: seconds`.
    TooMany { retry_after: u64 },
    /// Pass on only the head and this many body bytes, then close both sides.
    CutRequest { body_bytes: usize },
    /// Pass the request on and read the whole answer (the server has stored the batch), then
    /// close the kiosk's connection without a byte of it.
    LoseAnswer,
    /// Wait this long before passing the request on (the kiosk may give up meanwhile; the
    /// request still reaches the server).
    Slow(Duration),
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub at: Instant,
    /// The fault applied, if any.
    pub fault: Option<String>,
    /// When the proxy was done with it: the answer passed on (or lost, or the fault applied),
    /// so a request it passed on has been answered by the server.
    pub finished: Option<Instant>,
}

#[derive(Default)]
struct Script {
    /// Faults for requests whose path starts with the key, in order.
    faults: Vec<(String, VecDeque<Fault>)>,
    /// While true, every connection is closed at once (the central system is down).
    down: bool,
    seen: Vec<Seen>,
}

/// A running proxy; it stops when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    script: Arc<Mutex<Script>>,
    /// Bumped whenever a request arrives or is finished.
    changed: tokio::sync::watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1:0 in front of `upstream`.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let script = Arc::new(Mutex::new(Script::default()));
        let changed = tokio::sync::watch::channel(0).0;
        let (shared, told) = (script.clone(), changed.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { continue };
                let (script, changed) = (shared.clone(), told.clone());
                tokio::spawn(async move {
                    let mut seen = None;
                    let _ = handle(client, upstream, &script, &changed, &mut seen).await;
                    if let Some(index) = seen {
                        script.lock().unwrap().seen[index].finished = Some(Instant::now());
                        changed.send_modify(|n| *n += 1);
                    }
                });
            }
        });
        FaultProxy { base, script, changed, task }
    }

    /// Applies `fault` to the next request whose path starts with `path` (after those already
    /// scripted for it).
    pub fn push(&self, path: &str, fault: Fault) {
        let mut script = self.script.lock().unwrap();
        match script.faults.iter_mut().find(|(p, _)| p == path) {
            Some((_, queue)) => queue.push_back(fault),
            None => script.faults.push((path.to_owned(), VecDeque::from([fault]))),
        }
    }

    /// Faults scripted and not yet applied.
    pub fn pending(&self) -> usize {
        self.script.lock().unwrap().faults.iter().map(|(_, q)| q.len()).sum()
    }

    /// The central system goes down (true) or comes back (false).
    pub fn set_down(&self, down: bool) {
        self.script.lock().unwrap().down = down;
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.script.lock().unwrap().seen.clone()
    }

    /// Waits until the requests seen show what `check` looks for, looking again whenever one
    /// arrives or is finished; panics naming `what` if that never happens (a generous deadline).
    pub async fn until(&self, what: &str, mut check: impl FnMut(&[Seen]) -> bool) {
        let mut changed = self.changed.subscribe();
        let waited = tokio::time::timeout(Duration::from_secs(120), async {
            while !check(&self.script.lock().unwrap().seen) {
                changed.changed().await.expect("the proxy stopped");
            }
        })
        .await;
        assert!(waited.is_ok(), "the proxy never saw {what}: {:#?}", self.seen());
    }

    /// Requests seen so far whose path starts with `path`.
    pub fn count(&self, path: &str) -> usize {
        self.script.lock().unwrap().seen.iter().filter(|s| s.path.starts_with(path)).count()
    }
}

/// Handles one connection; `seen` is set to the index of its request in the log once logged.
async fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    script: &Mutex<Script>,
    changed: &tokio::sync::watch::Sender<u64>,
    seen: &mut Option<usize>,
) -> std::io::Result<()> {
    if script.lock().unwrap().down {
        return Ok(()); // closed at once: "connection closed before message completed"
    }
    let Some((head, mut body)) = read_head(&mut client).await? else { return Ok(()) };
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let fault = {
        let mut script = script.lock().unwrap();
        let fault = script
            .faults
            .iter_mut()
            .find(|(p, q)| path.starts_with(p.as_str()) && !q.is_empty())
            .and_then(|(_, q)| q.pop_front());
        let at = Instant::now();
        let fault_text = fault.as_ref().map(|f| format!("{f:?}"));
        script.seen.push(Seen { path: path.clone(), at, fault: fault_text, finished: None });
        *seen = Some(script.seen.len() - 1);
        fault
    };
    changed.send_modify(|n| *n += 1);
    while body.len() < length {
        let mut chunk = vec![0u8; 64 * 1024];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        body.extend_from_slice(&chunk[..n]);
    }

    // The request head, forwarded with `Connection: close`.
    let mut forwarded = String::new();
    for line in head.lines() {
        let name = line.split(':').next().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive") {
            continue;
        }
        forwarded.push_str(line);
        forwarded.push_str("\r\n");
        if line == request_line {
            forwarded.push_str("connection: close\r\n");
        }
    }
    forwarded.push_str("\r\n");

    match fault {
        Some(Fault::Status(code)) => {
            let body = format!("{{\"error\":\"proxy: scripted {code}\"}}");
            let answer = format!(
                "HTTP/1.1 {code} Scripted\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            client.write_all(answer.as_bytes()).await?;
        }
        Some(Fault::TooMany { retry_after }) => {
            let body = "{\"error\":\"proxy: slow down\"}";
            let answer = format!(
                "HTTP/1.1 429 Too Many Requests\r\nretry-after: {retry_after}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            client.write_all(answer.as_bytes()).await?;
        }
        Some(Fault::CutRequest { body_bytes }) => {
            let mut server = TcpStream::connect(upstream).await?;
            server.write_all(forwarded.as_bytes()).await?;
            server.write_all(&body[..body_bytes.min(body.len())]).await?;
            // Both sides closed mid-body: the server sees an incomplete request, the kiosk no answer.
        }
        Some(Fault::LoseAnswer) => {
            let answer = exchange(upstream, &forwarded, &body).await?;
            assert!(answer.starts_with(b"HTTP/1.1 200"), "upstream did not store the batch");
            // The answer is dropped: the kiosk's connection closes without it.
        }
        Some(Fault::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            let answer = exchange(upstream, &forwarded, &body).await?;
            let _ = client.write_all(&answer).await; // the kiosk may have given up
        }
        None => {
            let answer = exchange(upstream, &forwarded, &body).await?;
            client.write_all(&answer).await?;
        }
    }
    let _ = client.shutdown().await;
    Ok(())
}

/// Sends the request to the server and reads its whole answer (it closes after it).
async fn exchange(upstream: SocketAddr, head: &str, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(head.as_bytes()).await?;
    server.write_all(body).await?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await?;
    Ok(answer)
}

/// Reads up to the end of the request head; returns it and the body bytes read past it.
async fn read_head(client: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            return Ok(Some((head, buffer[end + 4..].to_vec())));
        }
        if buffer.len() > 64 * 1024 {
            return Ok(None);
        }
    }
}
