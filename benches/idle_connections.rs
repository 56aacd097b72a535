//! The staff web server with 2,000 idle connections that never finish their request (a
//! slowloris): the files and memory it holds, whether `/health` still answers, and what is left
//! once the header timeout has passed. Once as before issue 14 (`axum::serve`, no limits), once as
//! now ([`loket::web::serve`], the default limits).
//!
//! Run with `cargo bench --bench idle_connections` (or `cargo test --bench idle_connections` for
//! a quicker debug build); about a minute, as it waits out the 10 s header timeout. Server and
//! clients share this process, so the server's files are counted as the process's open files
//! minus the ones the clients hold. Linux only (`/proc/self`).
//!
//! Measured (debug build, 2 shared cores): before, 2,000 files held for as long as the clients
//! like, from 16 addresses or from one; now, 2,000 from 16 addresses (under the caps) and none 11 s
//! later, 128 from one address; `/health` answered in every case.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use loket::clock::ManualClock;
use loket::config::Config;
use loket::help_point::{HelpPoint, queue_rules};
use loket::store::Store;
use loket::web::WebState;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

const IDLE: usize = 2_000;

#[derive(Clone, Copy)]
enum Server {
    /// `axum::serve` with no timeouts or caps.
    Before,
    /// `loket::web::serve` with the default limits.
    Now,
}

fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

async fn slow_client(from: [u8; 4], to: SocketAddr) -> Option<TcpStream> {
    let socket = TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::from((from, 0))).ok()?;
    let mut stream = socket.connect(to).await.ok()?;
    let _ = stream.write_all(b"GET /board HT").await;
    Some(stream)
}

async fn health_ms(http: &reqwest::Client, base: &str) -> String {
    let started = Instant::now();
    let answer =
        tokio::time::timeout(Duration::from_secs(5), http.get(format!("{base}/health")).send()).await;
    match answer {
        Ok(Ok(r)) => format!("{} in {:.1} ms", r.status().as_u16(), started.elapsed().as_secs_f64() * 1e3),
        Ok(Err(e)) => format!("failed: {e}"),
        Err(_) => "no answer in 5 s".into(),
    }
}

fn run(which: Server, addresses: u8) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = Config::sample();
    let clock = Arc::new(ManualClock::new("2026-11-30T08:00:00Z".parse().unwrap()));
    let store = Store::open(&dir.path().join("bench.sqlite")).expect("store");
    let hp = HelpPoint::open(queue_rules(&config), store, clock).expect("help point");
    let owner = loket::owner::HelpPointOwner::start(hp).expect("the help point's thread");
    let state = WebState::new(owner.handle(), Arc::new(config));

    let server = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = server.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let serving = std::thread::spawn(move || {
        server.block_on(async move {
            match which {
                Server::Before => {
                    let app = loket::web::router(state).into_make_service_with_connect_info::<SocketAddr>();
                    let _ = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
                }
                Server::Now => {
                    let _ = loket::web::serve(listener, state, shutdown).await;
                }
            }
        });
    });

    let clients = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    clients.block_on(async {
        let http = loket::tls::client().build().unwrap();
        let _ = health_ms(&http, &base).await;
        let (files_before, rss_before) = (open_files(), rss_mib());
        let mut slow = Vec::with_capacity(IDLE);
        for i in 0..IDLE {
            let from = [127, 0, 0, 2 + (i % usize::from(addresses)) as u8];
            if let Some(stream) = slow_client(from, addr).await {
                slow.push(stream);
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let held = |files: usize| files.saturating_sub(files_before + slow.len());
        let label = match which {
            Server::Before => "before (axum::serve)",
            Server::Now => "now (loket::web::serve)",
        };
        println!(
            "{label}, {IDLE} idle connections from {addresses} address(es): the server holds {} more files, \
             RSS {rss_before:.1} -> {:.1} MiB; /health {}",
            held(open_files()),
            rss_mib(),
            health_ms(&http, &base).await,
        );
        if addresses > 1 {
            tokio::time::sleep(Duration::from_secs(11)).await;
            println!(
                "{label}, 11 s later: the server holds {} more files, RSS {:.1} MiB; /health {}",
                held(open_files()),
                rss_mib(),
                health_ms(&http, &base).await,
            );
        }
        drop(slow);
    });
    let _ = stop.send(());
    let _ = serving.join();
}

fn main() {
    for which in [Server::Before, Server::Now] {
        run(which, 16);
        run(which, 1);
    }
}
