//! A long day under load: does the kiosk's web server hold its memory and its ticket latency as
//! the day's ticket count grows?
//!
//! 20 machine clients issue tickets through `POST /api/v1/tickets` with an API token, two desks
//! call the next visitor through the API, and 200 public boards follow the calls over SSE, for
//! 10 minutes, against the real HTTP server on a loopback port and a real SQLite store. The
//! clients come from the source addresses 127.0.0.2–127.0.0.30 (bound before connecting), as
//! many machines on a network would, so a per-address connection cap does not stop them.
//!
//! Run with `cargo bench --bench soak`. Settings (environment):
//! - `LOKET_SOAK_SECONDS`: how long (default 600);
//! - `LOKET_SOAK_RATE`: tickets per second, all issuing clients together (default 40, about
//!   24,000 tickets in 10 minutes; 0 = as fast as the server answers);
//! - `LOKET_SOAK_CALLS`: calls per second, both desks together (default 10);
//! - `LOKET_BENCH_DIR`: where the store goes (default: the system's temp dir).
//!
//! It prints the process's resident memory (server and clients) after the first minute and at
//! the end (goal: the end within 10 % of the first minute), and the p50/p99 latency of the
//! tickets numbered up to 1,000, 5,000, 10,000 and 20,000 of the day, each over the last 1,000
//! tickets before that number (goal: p99 flat, under 5 ms at 20,000).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use loket::clock::Clock;
use loket::config::{ApiToken, Config};
use loket::help_point::{HelpPoint, queue_rules};
use loket::store::Store;
use loket::web::WebState;

const ISSUERS: usize = 20;
const BOARDS: usize = 200;
const DESKS: [&str; 2] = ["desk-1", "desk-2"];
/// The ticket numbers of the day at which the latency is reported.
const MILESTONES: [u64; 4] = [1_000, 5_000, 10_000, 20_000];
/// Each milestone's latency is over this many tickets before it.
const WINDOW: u64 = 1_000;

/// The help point's clock: a working day's morning that moves on in real time, so the soak
/// never crosses local midnight whenever it is run.
struct MorningClock {
    morning: Timestamp,
    started: Instant,
}

impl Clock for MorningClock {
    fn now(&self) -> Timestamp {
        let elapsed = SignedDuration::try_from(self.started.elapsed()).unwrap_or(SignedDuration::ZERO);
        self.morning.checked_add(elapsed).unwrap_or(self.morning)
    }
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The resident memory of this process, in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// The n-th source address: 127.0.0.2 to 127.0.0.30.
fn source(n: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (n % 29) as u8))
}

fn client(n: usize) -> reqwest::Client {
    loket::tls::client().local_address(source(n)).build().expect("an HTTP client")
}

fn main() {
    let seconds = setting("LOKET_SOAK_SECONDS", 600);
    let rate = setting("LOKET_SOAK_RATE", 40);
    let call_rate = setting("LOKET_SOAK_CALLS", 10);
    let base = std::env::var_os("LOKET_BENCH_DIR").map(Into::into).unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base).expect("a temp dir for the store");

    let token = loket::secret::new_token();
    let mut config = Config::sample();
    config.web.api_tokens.push(ApiToken {
        name: "soak".into(),
        token_hash: loket::secret::hash(&token).expect("a token hash"),
    });
    let clock =
        Arc::new(MorningClock { morning: "2026-11-30T08:00:00Z".parse().unwrap(), started: Instant::now() });
    let store = Store::open(&dir.path().join("soak.sqlite")).expect("store");
    let hp = HelpPoint::open(queue_rules(&config), store, clock).expect("help point");
    let owner = loket::owner::HelpPointOwner::start(hp).expect("the help point's thread");
    let state = WebState::new(owner.handle(), Arc::new(config));

    // The server as in `loket run`: its own runtime with two workers on its own thread.
    let server = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = server.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || server.block_on(loket::web::serve(listener, state, std::future::pending())));

    let clients = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    clients.block_on(async move {
        let bearer = format!("Bearer {token}");
        // One ticket first, alone: the token is verified once (Argon2) and cached.
        let first = client(0)
            .post(format!("{base_url}/api/v1/tickets"))
            .header("authorization", &bearer)
            .json(&serde_json::json!({ "service": "email", "language": "nl" }))
            .send()
            .await
            .expect("the first ticket");
        assert_eq!(first.status(), reqwest::StatusCode::CREATED, "{}", first.text().await.unwrap_or_default());

        // 200 boards, spread over the source addresses (one client, so one pool, per address).
        let board_clients: Vec<reqwest::Client> = (0..29).map(client).collect();
        let calls_seen = Arc::new(AtomicU64::new(0));
        for n in 0..BOARDS {
            let mut stream = board_clients[n % 29]
                .get(format!("{base_url}/api/v1/board/events"))
                .send()
                .await
                .expect("a board's stream");
            let seen = calls_seen.clone();
            tokio::spawn(async move {
                while let Ok(Some(chunk)) = stream.chunk().await {
                    let calls = chunk.windows(11).filter(|w| w == b"event: call").count();
                    seen.fetch_add(calls as u64, Ordering::Relaxed);
                }
            });
        }

        let stop = Arc::new(AtomicBool::new(false));
        let errors = Arc::new(AtomicU64::new(0));
        let issued = Arc::new(AtomicU64::new(1));
        // Each issuer keeps its own pace: ISSUERS clients at `rate` together.
        let gap = (rate > 0).then(|| Duration::from_secs_f64(ISSUERS as f64 / rate as f64));
        let mut issuers = Vec::new();
        for n in 0..ISSUERS {
            let http = client(n);
            let (url, bearer, stop, errors, issued) =
                (format!("{base_url}/api/v1/tickets"), bearer.clone(), stop.clone(), errors.clone(), issued.clone());
            // The clients' own records are made room for up front, so the memory figures are the
            // server's (a growing Vec would count too).
            let expected = if rate > 0 { (seconds * rate) as usize / ISSUERS * 2 } else { 100_000 };
            issuers.push(tokio::spawn(async move {
                // (ticket id = its number of the day on a fresh store, latency)
                let mut times: Vec<(u64, Duration)> = Vec::with_capacity(expected);
                let languages = ["nl", "ar", "uk", "fr", "ti"];
                let services = ["email", "appointment", "smartphone", "tablet", "online-lessons"];
                let mut next = Instant::now() + gap.map_or(Duration::ZERO, |g| g.mul_f64(n as f64 / ISSUERS as f64));
                let mut i = n;
                while !stop.load(Ordering::Relaxed) {
                    if let Some(gap) = gap {
                        tokio::time::sleep_until(next.into()).await;
                        next += gap;
                    }
                    i += 1;
                    let body = serde_json::json!({
                        "service": services[i % services.len()],
                        "language": languages[i % languages.len()],
                    });
                    let start = Instant::now();
                    let answer = http.post(&url).header("authorization", &bearer).json(&body).send().await;
                    let id = match answer {
                        Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                            r.json::<serde_json::Value>().await.ok().and_then(|v| v["ticket"]["id"].as_u64())
                        }
                        _ => None,
                    };
                    match id {
                        Some(id) => {
                            times.push((id, start.elapsed()));
                            issued.fetch_add(1, Ordering::Relaxed);
                        }
                        None => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                times
            }));
        }
        // Two desks call the next visitor at `call_rate` together (409 when nobody waits).
        let call_gap = (call_rate > 0).then(|| Duration::from_secs_f64(DESKS.len() as f64 / call_rate as f64));
        for (n, desk) in DESKS.iter().enumerate() {
            let http = client(ISSUERS + n);
            let (url, bearer, stop) =
                (format!("{base_url}/api/v1/desks/{desk}/call-next"), bearer.clone(), stop.clone());
            let Some(call_gap) = call_gap else { break };
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(call_gap);
                while !stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    if let Ok(r) = http.post(&url).header("authorization", &bearer).send().await {
                        let _ = r.bytes().await;
                    }
                }
            });
        }

        println!(
            "soak: {ISSUERS} issuing clients ({}), {} desks calling ({call_rate}/s), {BOARDS} board streams, \
             {seconds} s, store in {}",
            if rate == 0 { "as fast as answered".to_owned() } else { format!("{rate} tickets/s") },
            DESKS.len(),
            base.display()
        );
        let started = Instant::now();
        let mut first_minute: Option<(f64, u64)> = None;
        let mut report = tokio::time::interval(Duration::from_secs(60));
        report.tick().await;
        while started.elapsed() < Duration::from_secs(seconds) {
            let left = Duration::from_secs(seconds).saturating_sub(started.elapsed());
            tokio::select! {
                _ = report.tick() => {
                    let rss = rss_mib();
                    first_minute.get_or_insert((rss, issued.load(Ordering::Relaxed)));
                    println!(
                        "  {:>4} s: RSS {rss:.1} MiB, {} calls seen by the boards, {} failed tickets",
                        started.elapsed().as_secs(),
                        calls_seen.load(Ordering::Relaxed),
                        errors.load(Ordering::Relaxed)
                    );
                }
                _ = tokio::time::sleep(left) => {}
            }
        }
        stop.store(true, Ordering::Relaxed);
        let end = rss_mib();
        let issued_at_end = issued.load(Ordering::Relaxed);
        let mut times: Vec<(u64, Duration)> = Vec::new();
        for issuer in issuers {
            times.extend(issuer.await.expect("an issuer"));
        }
        let tickets = times.iter().map(|(id, _)| *id).max().unwrap_or(0);
        println!(
            "  tickets issued: {} ({:.0}/s), failed: {}, calls seen by the boards: {}",
            times.len(),
            times.len() as f64 / seconds.max(1) as f64,
            errors.load(Ordering::Relaxed),
            calls_seen.load(Ordering::Relaxed)
        );
        match first_minute {
            Some((first, then)) => println!(
                "  RSS after the first minute {first:.1} MiB, at the end {end:.1} MiB: {:+.1} % (goal: within 10 %); \
                 {:.0} bytes more per ticket issued since",
                (end - first) / first * 100.0,
                (end - first) * 1024.0 * 1024.0 / issued_at_end.saturating_sub(then).max(1) as f64
            ),
            None => println!("  RSS at the end {end:.1} MiB (the run was shorter than a minute)"),
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!("  ticket latency through the API, by the day's ticket number (goal: p99 flat, < 5 ms at 20,000):");
        for milestone in MILESTONES {
            let mut window: Vec<Duration> = times
                .iter()
                .filter(|(id, _)| *id > milestone.saturating_sub(WINDOW) && *id <= milestone)
                .map(|(_, t)| *t)
                .collect();
            if milestone > tickets || window.is_empty() {
                println!("    at {milestone:>6}: not reached");
                continue;
            }
            window.sort();
            let pct = |p: f64| window[((window.len() - 1) as f64 * p).round() as usize];
            println!(
                "    at {milestone:>6}: p50 {:.3} ms   p99 {:.3} ms   max {:.3} ms   ({} tickets)",
                ms(pct(0.5)),
                ms(pct(0.99)),
                ms(window[window.len() - 1]),
                window.len()
            );
        }
    });
    drop(owner);
}
