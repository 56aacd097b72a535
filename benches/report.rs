//! The reporter draining a backlog: 100,000 events from a real SQLite store to a real
//! `loket-central` (SQLite, in this process) on loopback, as after a long outage.
//!
//! Run with `cargo bench --bench report`. Set `LOKET_BENCH_DIR` to put the stores on a
//! particular disk (default: the system's temp dir). Set `LOKET_CENTRAL_URL` (and
//! `LOKET_CENTRAL_TOKEN`, `LOKET_KIOSK_ID`) to send to a running `loket-central` elsewhere (e.g.
//! one on PostgreSQL); `-- --receiver-only` sends to a receiver that only answers, to see the
//! kiosk's side alone. Goal: 100,000 events delivered in under 30 s. Each acknowledged batch is
//! one commit on each side.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::routing::post;
use loket::clock::SystemClock;
use loket::config::Config;
use loket::help_point::queue_rules;
use loket::protocol::{self, BatchReceipt, EventBatch, HeartbeatReply};
use loket::queue::Queue;
use loket::report::clock::SimulatedClockSync;
use loket::report::health::Machine;
use loket::report::{ReportParts, ReportSettings, Reporter};
use loket::store::Store;
use loket_central::InProcess;

const EVENTS: usize = 100_000;
const GOAL: Duration = Duration::from_secs(30);

/// A minimal receiver: acknowledges every event of every batch as stored.
fn receiver() -> axum::Router {
    axum::Router::new()
        .route(
            protocol::EVENTS_PATH,
            post(|Json(batch): Json<EventBatch>| async move {
                Json(BatchReceipt {
                    stored: batch.events.into_iter().map(|e| e.id).collect(),
                    ..BatchReceipt::default()
                })
            }),
        )
        .route(
            protocol::HEARTBEAT_PATH,
            post(|| async {
                Json(HeartbeatReply {
                    server_time: jiff::Timestamp::now(),
                    settings_etag: None,
                    content_etag: None,
                })
            }),
        )
        .layer(axum::extract::DefaultBodyLimit::max(protocol::MAX_BODY_BYTES))
}

/// Fills the store with `EVENTS` queue events (issued, called, served), 3,000 per commit.
fn fill(store: &mut Store, config: &Config) {
    let mut queue = Queue::new(queue_rules(config));
    let start: jiff::Timestamp = "2026-11-30T08:00:00Z".parse().unwrap();
    let mut pending = Vec::new();
    let mut written = 0;
    let mut minute = 0i64;
    while written < EVENTS {
        // A new day every 900 tickets keeps the numbers within a day's range.
        let now = start + jiff::SignedDuration::from_secs(minute / 900 * 86_400 + minute % 900);
        minute += 1;
        pending.extend(queue.issue("email", "nl", now).unwrap().1);
        pending.extend(queue.call_next("desk-1", now).unwrap());
        pending.extend(queue.served("desk-1", None, now).unwrap());
        if pending.len() >= 3000 || written + pending.len() >= EVENTS {
            let take = pending.len().min(EVENTS - written);
            store.record(&pending[..take]).unwrap();
            written += take;
            pending.clear();
        }
    }
}

fn main() {
    let base = std::env::var_os("LOKET_BENCH_DIR").map(Into::into).unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base).expect("a temp dir for the store");
    let config = Config::sample();
    let filling = Instant::now();
    let mut store = Store::open(&dir.path().join("loket.sqlite")).expect("store");
    fill(&mut store, &config);
    let backlog = store.outbox_backlog().unwrap();
    drop(store);
    println!("report: {backlog} events recorded in {:.1} s", filling.elapsed().as_secs_f64());

    let central_dir = tempfile::tempdir_in(&base).expect("a temp dir for the central system");
    let mut central_server: Option<InProcess> = None;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (url, token, kiosk) = match std::env::var("LOKET_CENTRAL_URL") {
        Ok(url) => (
            url,
            std::env::var("LOKET_CENTRAL_TOKEN").unwrap_or_default(),
            std::env::var("LOKET_KIOSK_ID").unwrap_or_else(|_| config.site.kiosk_id.clone()),
        ),
        Err(_) if std::env::args().any(|a| a == "--receiver-only") => {
            let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            runtime.spawn(async move { axum::serve(listener, receiver()).await });
            (url, "bench".to_owned(), config.site.kiosk_id.clone())
        }
        Err(_) => {
            // A real loket-central over SQLite, in this process.
            let central = runtime
                .block_on(InProcess::start_sqlite(central_dir.path(), Arc::new(SystemClock)))
                .expect("loket-central");
            let token = runtime.block_on(central.new_kiosk_token(&config.site.kiosk_id, "Bench")).unwrap();
            let url = central.base_url();
            central_server = Some(central);
            (url, token, config.site.kiosk_id.clone())
        }
    };
    let mut settings = ReportSettings::new(&url, &token, &kiosk, dir.path().to_path_buf());
    settings.batch_events = config.report.batch_events as usize;
    let parts = ReportParts {
        clock: Arc::new(SystemClock),
        clock_sync: Arc::new(SimulatedClockSync::new(true)),
        machine: Machine::real(),
    };
    let started = Instant::now();
    let reporter = Reporter::spawn(settings.clone(), parts, runtime.handle()).expect("reporter");
    let delivered = runtime.block_on(reporter.wait_until_delivered(Duration::from_secs(300)));
    let seconds = started.elapsed().as_secs_f64();
    let status = reporter.status();
    runtime.block_on(reporter.shutdown());
    assert!(delivered, "not delivered: {status:?}");
    if let Some(central) = &central_server {
        let stored = runtime.block_on(central.event_count(&kiosk)).unwrap();
        assert_eq!(stored, backlog, "the central system holds every event once");
    }
    println!(
        "report: {backlog} events drained to {url} in batches of {} in {seconds:.2} s: {:.0} events/s (goal: under {} s) {}",
        settings.batch_events,
        backlog as f64 / seconds,
        GOAL.as_secs(),
        if started.elapsed() <= GOAL { "ok" } else { "TOO SLOW" }
    );
}
