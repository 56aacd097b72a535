//! How both web servers hold their connections: the kiosk's staff server and `loket-central`
//! serve their routes through [`serve`], which owns accepting, the TLS handshake, HTTP/1.1 (hyper)
//! and the limits that keep a few misbehaving clients from taking a server down
//! ([`ServerLimits`]):
//!
//! - a client must send a request's head within the header timeout of connecting (or of its
//!   first byte after an idle pause); a TLS handshake must finish within it too;
//! - a connection with no request in progress is closed after the idle timeout; a response that
//!   is still streaming (the board's Server-Sent Events) is a request in progress, never idle;
//! - a request's body must arrive within the body timeout of its head;
//! - a client that reads nothing of a response for the idle timeout is dropped;
//! - at most [`ServerLimits::connections`] connections at once, and at most
//!   [`ServerLimits::connections_per_address`] from one address (an IPv6 client counts by its /64
//!   network). A connection over a cap is accepted and closed at once, so the kernel's backlog
//!   never fills, and logged at most once a minute.
//!
//! It must not know any route, session or store: it serves whatever `tower` service (an axum
//! `Router`) the server hands it, one per connection with the client's address.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::time::{Instant, Sleep};

/// An error any body or service may fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long clients may take and how many connections they may hold. Tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// From connecting (or from the first byte after an idle pause) to a complete request head;
    /// also the time a TLS handshake may take.
    pub header_timeout: Duration,
    /// How long a connection may stay open with no request in progress, and how long a client
    /// may leave a response unread.
    pub idle_timeout: Duration,
    /// From a request's head to the last byte of its body.
    pub body_timeout: Duration,
    /// Connections one client address (IPv6: one /64 network) may hold at once.
    pub connections_per_address: usize,
    /// Connections the server holds at once.
    pub connections: usize,
}

impl Default for ServerLimits {
    /// 10 s for a request head: a person's browser sends it in milliseconds, a slow mobile link in
    /// a second or two. 60 s idle: a browser's next click on the console reuses the connection.
    /// 60 s for a body: the kiosk's bodies are a few kilobytes (loket-central, which takes content
    /// packs, sets its own). 128 connections per address: a desk PC with a few browser tabs, or a
    /// hall of board screens behind one NAT address, stays far below it. 2,048 in all: well under
    /// the 8,192 files the systemd units allow, with room for the store, logs and the printer.
    fn default() -> ServerLimits {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(60),
            connections_per_address: 128,
            connections: 2048,
        }
    }
}

/// The largest request head hyper buffers (its default is about 400 KiB per connection, which
/// 2,048 slow clients would turn into 800 MB).
const MAX_HEAD_BUFFER: usize = 64 * 1024;

/// How often a refused connection may be logged.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// The body of a request as a service sees it: hyper's, failing once the body timeout is over.
pub struct RequestBody {
    inner: Incoming,
    deadline: Instant,
    timer: Option<Pin<Box<Sleep>>>,
}

/// The request body did not arrive within the body timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimedOut;

impl Body for RequestBody {
    type Data = hyper::body::Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(BoxError::from)));
        }
        let deadline = this.deadline;
        let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        ready!(timer.as_mut().poll(cx));
        Poll::Ready(Some(Err(Box::new(BodyTimedOut))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `make_service(client address)` on every connection `listener` accepts — over TLS
/// when `tls` is given — within `limits`, until `shutdown` completes. Then it stops accepting,
/// lets every connection finish its request in progress and returns when all are closed (a
/// server with endless streams ends them when `shutdown` completes).
pub async fn serve<M, S, B>(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ServerLimits,
    make_service: M,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()>
where
    M: Fn(SocketAddr) -> S,
    S: tower_service::Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Unpin + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let limits = Arc::new(limits);
    let caps = Arc::new(ConnectionCaps::new(&limits));
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    // Each connection holds a clone of `open`; `closed` ends when the last one is dropped.
    let (open, mut closed) = tokio::sync::mpsc::channel::<()>(1);
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, addr) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of files or memory: wait a moment rather than spin.
                    log::warn!("web: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Some(admitted) = caps.admit(addr.ip()) else {
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let connection = Connection {
            limits: limits.clone(),
            service: make_service(addr),
            stop: stop.clone(),
            _admitted: admitted,
            _open: open.clone(),
        };
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => connection.run(tcp).await,
                Some(acceptor) => {
                    let handshake = acceptor.accept(tcp);
                    match tokio::time::timeout(connection.limits.header_timeout, handshake).await {
                        Ok(Ok(stream)) => connection.run(stream).await,
                        Ok(Err(e)) => log::debug!("web: TLS handshake with {addr} failed: {e}"),
                        Err(_) => log::debug!("web: TLS handshake with {addr} timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    drop(open);
    let _ = closed.recv().await;
    Ok(())
}

/// One accepted connection, and what it holds until it closes.
struct Connection<S> {
    limits: Arc<ServerLimits>,
    service: S,
    stop: tokio::sync::watch::Receiver<bool>,
    _admitted: Admitted,
    _open: tokio::sync::mpsc::Sender<()>,
}

impl<S> Connection<S> {
    async fn run<I, B>(mut self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        S: tower_service::Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body + Unpin + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let activity = Arc::new(Activity::default());
        let io = TimedIo::new(io, self.limits.clone(), activity.clone());
        let service = PerRequest { inner: self.service.clone(), limits: self.limits.clone(), activity };
        let mut http = hyper::server::conn::http1::Builder::new();
        http.max_buf_size(MAX_HEAD_BUFFER);
        let connection = http.serve_connection(TokioIo::new(io), service);
        let mut connection = std::pin::pin!(connection);
        let mut stopping = false;
        loop {
            tokio::select! {
                done = connection.as_mut() => {
                    if let Err(e) = done {
                        log::debug!("web: connection ended: {e}");
                    }
                    return;
                }
                changed = self.stop.wait_for(|stop| *stop), if !stopping => {
                    // Finish the request in progress, then close (or close now when idle).
                    stopping = true;
                    let _ = changed;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Whether a connection has requests in progress: counted from the request's head until its
/// response's body is done (or dropped).
#[derive(Default)]
struct Activity {
    in_progress: AtomicUsize,
    /// Responses finished so far: a new number means the connection just became idle.
    finished: AtomicUsize,
    /// The connection's reader, parked while a request was in progress (no timer runs then):
    /// woken when the request ends, so the idle timer starts even if hyper asked for the next
    /// request before it dropped the finished response.
    parked_reader: std::sync::Mutex<Option<std::task::Waker>>,
}

/// Held while a request is in progress.
struct InProgress(Arc<Activity>);

impl InProgress {
    fn begin(activity: &Arc<Activity>) -> InProgress {
        activity.in_progress.fetch_add(1, Ordering::SeqCst);
        InProgress(activity.clone())
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Ordering::SeqCst);
        self.0.in_progress.fetch_sub(1, Ordering::SeqCst);
        let parked = self.0.parked_reader.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(reader) = parked {
            reader.wake();
        }
    }
}

/// The service hyper calls: the server's, with the body timeout on requests and the activity
/// count on responses.
struct PerRequest<S> {
    inner: S,
    limits: Arc<ServerLimits>,
    activity: Arc<Activity>,
}

impl<S, B> hyper::service::Service<Request<Incoming>> for PerRequest<S>
where
    S: tower_service::Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody<B>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let in_progress = InProgress::begin(&self.activity);
        let deadline = Instant::now() + self.limits.body_timeout;
        let request = request.map(|inner| RequestBody { inner, deadline, timer: None });
        let mut inner = self.inner.clone();
        Box::pin(async move {
            std::future::poll_fn(|cx| inner.poll_ready(cx)).await.map_err(Into::into)?;
            let response = inner.call(request).await.map_err(Into::into)?;
            Ok(response.map(|body| ResponseBody { inner: body, _in_progress: in_progress }))
        })
    }
}

/// A response's body; the request counts as in progress until it is done.
pub struct ResponseBody<B> {
    inner: B,
    _in_progress: InProgress,
}

impl<B> Body for ResponseBody<B>
where
    B: Body + Unpin + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Data = B::Data;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx).map(|frame| frame.map(|f| f.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What a connection without a request in progress is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    /// A request head that has begun (or a first request): the header timeout runs.
    Head,
    /// The next request, after a finished one: the idle timeout runs.
    NextRequest,
}

/// The client's byte stream, failing reads once the client has taken too long for its request
/// head or stayed idle too long, and writes once it has read nothing for the idle timeout.
struct TimedIo<I> {
    inner: I,
    limits: Arc<ServerLimits>,
    activity: Arc<Activity>,
    /// What the connection waits for and until when; none while a request is in progress.
    waiting: Option<(Waiting, Instant)>,
    /// The `finished` count `waiting` was set for.
    finished_seen: usize,
    read_timer: Pin<Box<Sleep>>,
    /// Since when writes have not gone through.
    write_stalled: Option<Pin<Box<Sleep>>>,
}

impl<I> TimedIo<I> {
    fn new(inner: I, limits: Arc<ServerLimits>, activity: Arc<Activity>) -> TimedIo<I> {
        let deadline = Instant::now() + limits.header_timeout;
        TimedIo {
            inner,
            limits,
            activity,
            waiting: Some((Waiting::Head, deadline)),
            finished_seen: 0,
            read_timer: Box::pin(tokio::time::sleep_until(deadline)),
            write_stalled: None,
        }
    }

    /// Brings `waiting` up to date after a read that brought `got_bytes`.
    fn update_waiting(&mut self, got_bytes: bool) {
        if self.activity.in_progress.load(Ordering::SeqCst) > 0 {
            self.waiting = None;
            return;
        }
        let finished = self.activity.finished.load(Ordering::SeqCst);
        let now = Instant::now();
        if finished != self.finished_seen {
            self.finished_seen = finished;
            self.waiting = Some((Waiting::NextRequest, now + self.limits.idle_timeout));
        }
        match self.waiting {
            Some((Waiting::NextRequest, _)) if got_bytes => {
                self.waiting = Some((Waiting::Head, now + self.limits.header_timeout));
            }
            _ => {}
        }
    }

    fn write_result<T>(&mut self, cx: &mut Context<'_>, result: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if result.is_ready() {
            self.write_stalled = None;
            return result;
        }
        let idle = self.limits.idle_timeout;
        let stalled = self.write_stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
        if stalled.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client reads nothing")));
        }
        Poll::Pending
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for TimedIo<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        let got_bytes = matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before;
        this.update_waiting(got_bytes);
        if result.is_ready() {
            return result;
        }
        let Some((waiting, deadline)) = this.waiting else {
            // A request is in progress: no timer. Ask to be polled again when it ends.
            *this.activity.parked_reader.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
            if this.activity.in_progress.load(Ordering::SeqCst) == 0 {
                // It ended in between: poll again at once.
                cx.waker().wake_by_ref();
            }
            return Poll::Pending;
        };
        if this.read_timer.deadline() != deadline {
            this.read_timer.as_mut().reset(deadline);
        }
        if this.read_timer.as_mut().poll(cx).is_ready() {
            let why = match waiting {
                Waiting::Head => "the request head did not arrive in time",
                Waiting::NextRequest => "the connection was idle too long",
            };
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, why)));
        }
        Poll::Pending
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for TimedIo<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.write_result(cx, result)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.write_result(cx, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_flush(cx);
        self.write_result(cx, result)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.write_result(cx, result)
    }
}

pub use crate::sign_in::client_network;

/// The connections open now, in all and per client network.
struct ConnectionCaps {
    per_address: usize,
    total: usize,
    open: Mutex<OpenConnections>,
}

#[derive(Default)]
struct OpenConnections {
    total: usize,
    /// Only networks with open connections: at most `total` entries.
    by_network: HashMap<IpAddr, usize>,
    /// Connections refused since the last log line, and when that was.
    refused: u64,
    last_logged: Option<Instant>,
}

impl ConnectionCaps {
    fn new(limits: &ServerLimits) -> ConnectionCaps {
        ConnectionCaps {
            per_address: limits.connections_per_address,
            total: limits.connections,
            open: Mutex::default(),
        }
    }

    /// A place for a connection from `ip`, or none when a cap is reached.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Admitted> {
        let network = client_network(ip);
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let from_network = open.by_network.get(&network).copied().unwrap_or(0);
        if open.total >= self.total || from_network >= self.per_address {
            open.refused += 1;
            let now = Instant::now();
            if open.last_logged.is_none_or(|at| now.duration_since(at) >= REFUSAL_LOG_INTERVAL) {
                let cap = if open.total >= self.total {
                    format!("{} connections in all", self.total)
                } else {
                    format!("{} connections from one address ({network})", self.per_address)
                };
                log::warn!(
                    "web: refused {} connection(s) over the cap of {cap}; next report in a minute at most",
                    open.refused
                );
                open.refused = 0;
                open.last_logged = Some(now);
            }
            return None;
        }
        open.total += 1;
        *open.by_network.entry(network).or_insert(0) += 1;
        Some(Admitted { caps: self.clone(), network })
    }
}

/// A connection's place under the caps, given back when dropped.
struct Admitted {
    caps: Arc<ConnectionCaps>,
    network: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.caps.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        open.total -= 1;
        if let Some(count) = open.by_network.get_mut(&self.network) {
            *count -= 1;
            if *count == 0 {
                open.by_network.remove(&self.network);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_address: usize, total: usize) -> ServerLimits {
        ServerLimits { connections_per_address: per_address, connections: total, ..ServerLimits::default() }
    }

    #[test]
    fn one_network_is_capped_while_another_gets_in() {
        let caps = Arc::new(ConnectionCaps::new(&limits(2, 10)));
        let here: IpAddr = "127.0.0.2".parse().unwrap();
        let held: Vec<_> = (0..2).map(|_| caps.admit(here).expect("under the cap")).collect();
        assert!(caps.admit(here).is_none(), "third from one address");
        assert!(caps.admit("127.0.0.1".parse().unwrap()).is_some(), "another address");
        drop(held);
        assert!(caps.admit(here).is_some(), "places are given back");
    }

    #[test]
    fn ipv6_clients_count_by_their_64_network() {
        let caps = Arc::new(ConnectionCaps::new(&limits(2, 10)));
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:9:9:9:9".parse().unwrap();
        let _held = (caps.admit(a).unwrap(), caps.admit(b).unwrap());
        assert!(caps.admit("2001:db8:1:2::77".parse().unwrap()).is_none(), "same /64");
        assert!(caps.admit("2001:db8:1:3::1".parse().unwrap()).is_some(), "another /64");
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
        assert_eq!(client_network(mapped), "10.0.0.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn the_total_cap_holds_across_addresses_and_memory_stays_bounded() {
        let caps = Arc::new(ConnectionCaps::new(&limits(5, 3)));
        let held: Vec<_> =
            (1..=3).map(|i| caps.admit(IpAddr::from([10, 0, 0, i])).expect("under the cap")).collect();
        assert!(caps.admit(IpAddr::from([10, 0, 0, 9])).is_none());
        drop(held);
        assert!(caps.open.lock().unwrap().by_network.is_empty(), "closed networks are forgotten");
        assert_eq!(caps.open.lock().unwrap().total, 0);
    }
}
