//! A kiosk's reporter and a real `loket-central`, end to end: 10,000 events delivered exactly
//! once to SQLite and to PostgreSQL; every fault between them (central down, 500, 429 with
//! `Retry-After`, a connection cut mid-batch, an answer lost after the batch was stored, a very
//! slow server) injected by a proxy, while tickets keep being issued; a kiosk process killed
//! with a backlog that resumes where it stopped; a wrong and a revoked token; HTTPS with the
//! organisation's own CA.
//!
//! The tests await facts, not time: what the reporter says it did (`common::activity`), the
//! proxy's word that a request was answered, the kiosk's outbox backlog in its SQLite file.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::activity::{Watch, retry_planned, try_ended, try_started};
use common::fault_proxy::{Fault, FaultProxy};
use loket::clock::{ManualClock, SystemClock};
use loket::config::Config;
use loket::help_point::{HelpPoint, queue_rules};
use loket::protocol::EVENTS_PATH;
use loket::queue::Queue;
use loket::report::activity::ActivityKind;
use loket::report::clock::SimulatedClockSync;
use loket::report::health::Machine;
use loket::report::{ReportParts, ReportSettings, ReportState, Reporter};
use loket::store::Store;
use loket_central::InProcess;

/// The sample config's `site.kiosk_id`.
const KIOSK: &str = "digilabo-onthaal-1";

/// Records `n` queue events (issued, called, served) in the kiosk's store, in big commits.
fn fill(store_path: &Path, n: usize) {
    let config = Config::sample();
    let mut store = Store::open(store_path).unwrap();
    let mut queue = Queue::new(queue_rules(&config));
    let start: jiff::Timestamp = "2026-11-30T08:00:00Z".parse().unwrap();
    let (mut pending, mut written, mut minute) = (Vec::new(), 0, 0i64);
    while written < n {
        let now = start + jiff::SignedDuration::from_secs(minute / 900 * 86_400 + minute % 900);
        minute += 1;
        pending.extend(queue.issue("email", "nl", now).unwrap().1);
        pending.extend(queue.call_next("desk-1", now).unwrap());
        pending.extend(queue.served("desk-1", None, now).unwrap());
        if pending.len() >= 3000 || written + pending.len() >= n {
            let take = pending.len().min(n - written);
            store.record(&pending[..take]).unwrap();
            written += take;
            pending.clear();
        }
    }
}

/// Every event id the kiosk recorded, in order.
fn kiosk_ids(store_path: &Path) -> Vec<String> {
    let store = Store::open(store_path).unwrap();
    store.outbox(usize::MAX >> 1).unwrap().into_iter().map(|(_, id, _, _)| id).collect()
}

/// The central system holds exactly the kiosk's events: none missing, none twice.
async fn assert_exactly_once(central: &InProcess, store_path: &Path) {
    let sent = kiosk_ids(store_path);
    let stored = central.event_ids(KIOSK).await.unwrap();
    let unique: HashSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "an event is stored twice");
    assert_eq!(central.event_count(KIOSK).await.unwrap() as usize, sent.len());
    let missing: Vec<&String> = sent.iter().filter(|id| !unique.contains(id)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} events missing, e.g. {:?}",
        missing.len(),
        sent.len(),
        missing.first()
    );
    assert_eq!(stored.len(), sent.len());
}

/// Reporter settings for a test: short waits so faults pass quickly.
fn settings(url: &str, token: &str, dir: &Path) -> ReportSettings {
    let mut s = ReportSettings::new(url, token, KIOSK, dir.to_path_buf());
    s.retry_base = Duration::from_millis(50);
    s.retry_max = Duration::from_millis(800);
    s.request_timeout = Duration::from_secs(2);
    s.poll_interval = Duration::from_millis(100);
    s.gather_delay = Duration::from_millis(20);
    s.wait_for_clock = false;
    s
}

/// Starts the reporter on this test's runtime, on a machine without /proc or /sys to report.
fn spawn(settings: ReportSettings) -> Reporter {
    let parts = ReportParts {
        clock: Arc::new(SystemClock),
        clock_sync: Arc::new(SimulatedClockSync::new(true)),
        machine: Machine::at(settings.data_dir.join("no-machine")),
    };
    Reporter::spawn(settings, parts, &tokio::runtime::Handle::current()).unwrap()
}

/// Like [`spawn`], with a feed of what the reporter does from its first step.
fn spawn_watched(settings: ReportSettings) -> (Reporter, loket::report::activity::ActivityFeed) {
    let parts = ReportParts {
        clock: Arc::new(SystemClock),
        clock_sync: Arc::new(SimulatedClockSync::new(true)),
        machine: Machine::at(settings.data_dir.join("no-machine")),
    };
    Reporter::spawn_watched(settings, parts, &tokio::runtime::Handle::current()).unwrap()
}

async fn central_sqlite(dir: &Path) -> InProcess {
    InProcess::start_sqlite(dir, Arc::new(SystemClock)).await.unwrap()
}

async fn deliver_10_000(central: InProcess) {
    let kiosk = tempfile::tempdir().unwrap();
    let store_path = kiosk.path().join("loket.sqlite");
    fill(&store_path, 10_000);
    let token = central.new_kiosk_token(KIOSK, "Digilabo").await.unwrap();
    let reporter = spawn(settings(&central.base_url(), &token, kiosk.path()));
    assert!(reporter.wait_until_delivered(Duration::from_secs(120)).await, "{:?}", reporter.status());
    reporter.shutdown().await;
    assert_exactly_once(&central, &store_path).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_events_reach_a_sqlite_central_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    deliver_10_000(central_sqlite(dir.path()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_events_reach_a_postgresql_central_exactly_once() {
    let (_cluster, url) = tokio::task::spawn_blocking(common::postgres::postgres_database).await.unwrap();
    let central = InProcess::start_postgres(&url, Arc::new(SystemClock)).await.unwrap();
    deliver_10_000(central).await;
}

/// Waits until `check` holds, looking every 20 ms, up to `timeout` (for facts nobody tells of,
/// such as another process's SQLite file).
async fn until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_between_kiosk_and_central_loses_nothing_and_counts_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let central = central_sqlite(dir.path()).await;
    let proxy = FaultProxy::start(central.addr).await;
    let token = central.new_kiosk_token(KIOSK, "Digilabo").await.unwrap();

    let kiosk = tempfile::tempdir().unwrap();
    let store_path = kiosk.path().join("loket.sqlite");
    fill(&store_path, 2_000);
    let config = Config::sample();
    let clock = Arc::new(ManualClock::new("2026-12-01T09:30:00Z".parse().unwrap()));
    let mut help_point =
        HelpPoint::open(queue_rules(&config), Store::open(&store_path).unwrap(), clock).unwrap();
    let mut s = settings(&proxy.base, &token, kiosk.path());
    s.batch_events = 300;
    s.retry_max = Duration::from_secs(2); // above the 429's Retry-After: 1
    let reporter = spawn(s);
    assert!(reporter.wait_until_delivered(Duration::from_secs(60)).await, "{:?}", reporter.status());

    // The kiosk's screens go on issuing tickets whatever the network does.
    let mut issue = |n: usize| {
        for _ in 0..n {
            help_point.take_ticket("email", "nl").expect("a ticket while the central system misbehaves");
        }
        reporter.wake();
    };

    // The central system is down.
    let mut watch = Watch::new(reporter.activity());
    proxy.set_down(true);
    issue(20);
    // Told as it happens: with a 50 ms backoff the status may already say "sending" again.
    watch
        .until("the central system unreachable", |k| {
            matches!(k, ActivityKind::StateChanged { state: ReportState::Unreachable { .. } })
        })
        .await;
    watch.until("a retry planned while the central system is down", retry_planned).await;
    assert!(reporter.status().backlog > 0, "{:?}", reporter.status());
    proxy.set_down(false);
    assert!(
        reporter.wait_until_delivered(Duration::from_secs(30)).await,
        "after down: {:?}",
        reporter.status()
    );

    // Two 500s, then a 429 asking for 1 s: nothing is sent before that second has passed.
    let mut watch = Watch::new(reporter.activity());
    proxy.push(EVENTS_PATH, Fault::Status(500));
    proxy.push(EVENTS_PATH, Fault::Status(500));
    proxy.push(EVENTS_PATH, Fault::TooMany { retry_after: 1 });
    issue(20);
    let ms = Duration::from_millis;
    for (n, ceiling) in [(1, ms(50)), (2, ms(100))] {
        let plan = watch.until("a retry after a 500", retry_planned).await;
        let ActivityKind::RetryPlanned { failures, ceiling: c, retry_after, delay } = plan.kind else {
            unreachable!()
        };
        assert_eq!((failures, c, retry_after), (n, ceiling, None));
        assert!(delay <= ceiling, "{delay:?}");
    }
    let plan = watch.until("the retry the 429 asked for", retry_planned).await;
    let ActivityKind::RetryPlanned { failures, retry_after, delay, .. } = plan.kind else { unreachable!() };
    assert_eq!((failures, retry_after), (3, Some(Duration::from_secs(1))));
    assert!(delay >= Duration::from_secs(1) && delay <= Duration::from_secs(2), "{delay:?}");
    let next = watch.until("the try after the 429", try_started).await;
    assert!(next.at.duration_since(plan.at) >= delay, "{:?}", next.at.duration_since(plan.at));
    assert!(
        reporter.wait_until_delivered(Duration::from_secs(30)).await,
        "after 500/429: {:?}",
        reporter.status()
    );
    assert_eq!(proxy.pending(), 0);
    let seen = proxy.seen();
    let events: Vec<_> = seen.iter().filter(|s| s.path == EVENTS_PATH).collect();
    let refused =
        events.iter().position(|s| s.fault.as_deref().is_some_and(|f| f.contains("TooMany"))).unwrap();
    let waited = events[refused + 1].at.duration_since(events[refused].at);
    assert!(waited >= Duration::from_secs(1), "Retry-After: 1 not honoured, next try after {waited:?}");

    // A connection cut in the middle of a batch.
    proxy.push(EVENTS_PATH, Fault::CutRequest { body_bytes: 200 });
    issue(20);
    assert!(
        reporter.wait_until_delivered(Duration::from_secs(30)).await,
        "after a cut: {:?}",
        reporter.status()
    );

    // The answer lost after the server stored the batch: the kiosk sends it again, the server
    // answers "duplicate" and stores nothing twice.
    proxy.push(EVENTS_PATH, Fault::LoseAnswer);
    issue(20);
    assert!(
        reporter.wait_until_delivered(Duration::from_secs(30)).await,
        "after a lost answer: {:?}",
        reporter.status()
    );

    // A server slower than the kiosk's patience (2 s): the kiosk gives up, the server stores it
    // anyway, the retry is a duplicate.
    proxy.push(EVENTS_PATH, Fault::Slow(Duration::from_millis(2500)));
    issue(20);
    assert!(
        reporter.wait_until_delivered(Duration::from_secs(30)).await,
        "after a slow server: {:?}",
        reporter.status()
    );
    // The slow request reaches the server after the kiosk gave up on it: count after that.
    proxy
        .until("every request answered, the slow one too", |seen| seen.iter().all(|s| s.finished.is_some()))
        .await;
    assert!(proxy.seen().iter().any(|s| s.fault.as_deref().is_some_and(|f| f.starts_with("Slow"))));

    reporter.shutdown().await;
    assert_eq!(help_point.store().ticket_count().unwrap(), 2_000 / 3 + 1 + 100, "every ticket was issued");
    assert_exactly_once(&central, &store_path).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_revoked_token_is_refused_and_not_retried_in_a_loop() {
    let dir = tempfile::tempdir().unwrap();
    let central = central_sqlite(dir.path()).await;
    let proxy = FaultProxy::start(central.addr).await;
    let kiosk = tempfile::tempdir().unwrap();
    let store_path = kiosk.path().join("loket.sqlite");
    fill(&store_path, 50);

    // A refused token waits retry_max (1 s here) before the next try, however often new
    // events wake the reporter: the next try is the very next one, and not before.
    let mut s = settings(&proxy.base, "not-a-token", kiosk.path());
    s.retry_max = Duration::from_secs(1);
    let (reporter, feed) = spawn_watched(s);
    let mut watch = Watch::new(feed);
    let ended = watch.until("the first try ended", try_ended).await;
    assert!(matches!(ended.kind, ActivityKind::TryEnded { number: 1, result: Ok(401), .. }), "{ended:?}");
    let plan = watch.until("the next try planned", retry_planned).await;
    let ActivityKind::RetryPlanned { delay, .. } = plan.kind else { unreachable!() };
    assert_eq!(delay, Duration::from_secs(1));
    assert_eq!(reporter.status().state, ReportState::TokenRefused { status: 401 });
    assert!(reporter.status().message.contains("report.token_file"), "{}", reporter.status().message);
    for _ in 0..20 {
        reporter.wake();
    }
    let next = watch.until("the next try", try_started).await;
    assert!(matches!(next.kind, ActivityKind::TryStarted { number: 2, .. }), "{next:?}");
    assert!(next.at.duration_since(plan.at) >= delay, "{:?}", next.at.duration_since(plan.at));
    let ended = watch.until("the second try ended", try_ended).await;
    assert!(matches!(ended.kind, ActivityKind::TryEnded { number: 2, result: Ok(401), .. }), "{ended:?}");
    reporter.shutdown().await;
    watch.read_until_stopped().await;
    let started = watch.count(|k| matches!(k, ActivityKind::TryStarted { .. }));
    let ended = watch.count(|k| matches!(k, ActivityKind::TryEnded { .. }));
    let requests = proxy.seen().len();
    assert!((ended..=started).contains(&requests), "{requests} requests for {ended}..={started} tries");
    assert_eq!(central.event_count(KIOSK).await.unwrap(), 0);

    // A good token delivers; once revoked, the kiosk is refused again and keeps its events.
    let token = central.new_kiosk_token(KIOSK, "Digilabo").await.unwrap();
    let mut s = settings(&proxy.base, &token, kiosk.path());
    s.retry_max = Duration::from_secs(60);
    let reporter = spawn(s);
    assert!(reporter.wait_until_delivered(Duration::from_secs(30)).await, "{:?}", reporter.status());
    let store = central.store.clone();
    tokio::task::spawn_blocking(move || {
        let id = store.tokens().unwrap().iter().find(|t| t.kiosk == KIOSK).unwrap().id;
        assert!(store.revoke_token(id, &jiff::Timestamp::now().to_string()).unwrap());
    })
    .await
    .unwrap();
    let mut watch = Watch::new(reporter.activity());
    fill_more(&store_path);
    reporter.wake();
    watch.until("a retry planned after the revocation", retry_planned).await;
    assert_eq!(reporter.status().state, ReportState::TokenRefused { status: 401 }, "{:?}", reporter.status());
    let backlog = Store::open(&store_path).unwrap().outbox_backlog().unwrap();
    assert!(backlog >= 3, "the new ticket's events wait: {backlog}");
    assert_eq!(reporter.status().backlog, backlog, "{:?}", reporter.status());
    reporter.shutdown().await;
}

/// One more ticket issued, called and served: three events, recorded in one commit so that
/// the reporter finds either none or all three (not a part it would be refused for alone).
fn fill_more(store_path: &Path) {
    let rules = queue_rules(&Config::sample());
    let mut store = Store::open(store_path).unwrap();
    let mut queue = Queue::resume(rules.clone(), store.snapshot(rules.recent_services).unwrap());
    let now: jiff::Timestamp = "2026-12-02T09:30:00Z".parse().unwrap();
    let mut events = queue.roll_over(now);
    events.extend(queue.issue("email", "nl", now).unwrap().1);
    events.extend(queue.call_next("desk-1", now).unwrap());
    events.extend(queue.served("desk-1", None, now).unwrap());
    store.record(&events).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_the_organisations_own_ca_bundle() {
    let ca = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let cert_pem = ca.cert.pem();
    let certs = vec![ca.cert.der().clone()];
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(ca.signing_key.serialize_der().into());
    let tls = rustls::ServerConfig::builder_with_provider(loket::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(loket_central::sqlite::Sqlite::open(&dir.path().join("c.sqlite")).unwrap());
    let central = InProcess::start(store, Arc::new(SystemClock), Default::default(), Some(Arc::new(tls)))
        .await
        .unwrap();
    let token = central.new_kiosk_token(KIOSK, "Digilabo").await.unwrap();
    let url = format!("https://localhost:{}", central.addr.port());

    let kiosk = tempfile::tempdir().unwrap();
    let store_path = kiosk.path().join("loket.sqlite");
    fill(&store_path, 30);

    // Without the bundle the certificate is not trusted: nothing is sent, the reason is named.
    let (reporter, feed) = spawn_watched(settings(&url, &token, kiosk.path()));
    let ended = Watch::new(feed).until("the first try ended", try_ended).await;
    assert!(
        matches!(ended.kind, ActivityKind::TryEnded { result: Err(ref reason), .. } if reason.contains("certificate")),
        "{ended:?}"
    );
    reporter.shutdown().await;
    assert_eq!(central.event_count(KIOSK).await.unwrap(), 0);

    let mut s = settings(&url, &token, kiosk.path());
    s.ca_bundle = Some(cert_pem.into_bytes());
    let reporter = spawn(s);
    assert!(reporter.wait_until_delivered(Duration::from_secs(30)).await, "{:?}", reporter.status());
    reporter.shutdown().await;
    assert_exactly_once(&central, &store_path).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_killed_with_a_backlog_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let central = central_sqlite(dir.path()).await;
    let proxy = FaultProxy::start(central.addr).await;
    let token = central.new_kiosk_token(KIOSK, "Digilabo").await.unwrap();
    // Every batch takes a while, so the kiosk is killed in the middle of its backlog.
    for _ in 0..200 {
        proxy.push(EVENTS_PATH, Fault::Slow(Duration::from_millis(150)));
    }

    let kiosk = tempfile::tempdir().unwrap();
    let store_path = kiosk.path().join("loket.sqlite");
    fill(&store_path, 6_000);
    std::fs::write(kiosk.path().join("token"), &token).unwrap();
    let config = kiosk.path().join("loket.toml");
    let sample = loket::config::SAMPLE_TOML.replacen(
        "central_url = \"\"",
        &format!(
            "central_url = \"{}\"\ntoken_file = \"{}\"\nbatch_events = 200\nwait_for_clock = false",
            proxy.base,
            kiosk.path().join("token").display()
        ),
        1,
    );
    std::fs::write(&config, sample).unwrap();

    let log = kiosk.path().join("kiosk.log");
    let start = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_loket"))
            .args(["run", "--headless", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config)
            .arg("--data-dir")
            .arg(kiosk.path())
            .env("RUST_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap()
    };
    let mut first = start();
    // Three batches of 200 answered by the central system (through the proxy), then the kill.
    let answered = |seen: &[common::fault_proxy::Seen]| {
        seen.iter().filter(|s| s.path.starts_with(EVENTS_PATH) && s.finished.is_some()).count()
    };
    proxy.until("three batches answered", |seen| answered(seen) >= 3).await;
    let n = central.event_count(KIOSK).await.unwrap();
    assert!(n >= 600, "{n} events stored: {}", std::fs::read_to_string(&log).unwrap_or_default());
    first.kill().unwrap(); // SIGKILL: no goodbye
    first.wait().unwrap();
    let at_kill = central.event_count(KIOSK).await.unwrap();
    assert!(at_kill < 6_000, "the backlog was already sent");

    let outbox = Store::open(&store_path).unwrap();
    let mut second = start();
    // Stopped once the kiosk itself has written the last acknowledgement: its backlog is 0.
    let delivered = until(Duration::from_secs(120), || outbox.outbox_backlog().unwrap() == 0).await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert!(delivered, "backlog left: {}", std::fs::read_to_string(&log).unwrap_or_default());
    assert_exactly_once(&central, &store_path).await;
    assert_eq!(outbox.outbox_backlog().unwrap(), 0, "acknowledged events are marked sent");
}

/// Takes the plans the reporter hands over (as `HelpPoint::apply_central_plan` will), or refuses
/// them while `refusal` is set.
#[derive(Default)]
struct PlanRecorder {
    taken: std::sync::Mutex<Vec<loket_protocol::appointments::AppointmentPlan>>,
    refusal: std::sync::Mutex<Option<String>>,
}

impl loket::report::pull::AppointmentPlanSink for PlanRecorder {
    fn apply(&self, plan: loket_protocol::appointments::AppointmentPlan) -> Result<usize, String> {
        if let Some(why) = self.refusal.lock().unwrap().clone() {
            return Err(why);
        }
        let n = plan.appointments.len();
        self.taken.lock().unwrap().push(plan);
        Ok(n)
    }
}

/// An appointment tomorrow (by the real clock) at the kiosk's site, booked on the central system.
async fn book_centrally(central: &InProcess, uid: &str, code: &str) {
    let store = central.store.clone();
    let starts = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
    let zone = jiff::tz::TimeZone::get("Europe/Brussels").unwrap();
    let appointment = loket_central::store::CentralAppointment {
        uid: uid.into(),
        site: "Digilabo".into(),
        code: code.into(),
        starts_at: starts.to_string(),
        day: starts.to_zoned(zone.clone()).date().to_string(),
        service: "email".into(),
        desk: Some("desk-1".into()),
        language: None,
        cancelled: false,
        updated_at: jiff::Timestamp::now().to_string(),
    };
    let today = jiff::Timestamp::now().to_zoned(zone).date().to_string();
    let booked = tokio::task::spawn_blocking(move || store.book_appointment(&appointment, &today));
    assert!(booked.await.unwrap().unwrap(), "booked");
}

fn plan_pulled(kind: &ActivityKind) -> bool {
    matches!(kind, ActivityKind::Pulled { what: loket::report::pull::Pulled::Appointments, .. })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appointments_planned_centrally_reach_the_kiosk_by_etag_and_a_refused_plan_changes_nothing() {
    use loket::report::activity::PullOutcome;
    use loket::report::pull::{CentralFiles, Pulled};
    let dir = tempfile::tempdir().unwrap();
    let central = central_sqlite(dir.path()).await;
    let token = central.new_kiosk_token(KIOSK, "Digilabo").await.unwrap();
    let kiosk = tempfile::tempdir().unwrap();
    let sink = Arc::new(PlanRecorder::default());
    let mut settings = settings(&central.base_url(), &token, kiosk.path());
    settings.heartbeat_interval = Duration::from_millis(100);
    settings.appointments = Some(sink.clone());
    let files = CentralFiles::new(kiosk.path());

    // No appointments yet: 404, nothing handed over.
    let (reporter, feed) = spawn_watched(settings);
    let mut watch = Watch::new(feed);
    let none = watch.until("the plan asked for", plan_pulled).await;
    assert_eq!(
        none.kind,
        ActivityKind::Pulled { what: Pulled::Appointments, outcome: PullOutcome::Unchanged }
    );
    assert!(sink.taken.lock().unwrap().is_empty());

    // Booked centrally: the next pull hands the plan to the help point and keeps it.
    book_centrally(&central, "11111111-1111-4111-8111-111111111111", "482913").await;
    let kept = watch
        .until("the plan kept", |k| {
            plan_pulled(k) && !matches!(k, ActivityKind::Pulled { outcome: PullOutcome::Unchanged, .. })
        })
        .await;
    let ActivityKind::Pulled { outcome: PullOutcome::Kept { etag: first_etag }, .. } = kept.kind else {
        panic!("{kept:?}")
    };
    {
        let taken = sink.taken.lock().unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].kiosk_id, KIOSK);
        assert_eq!(taken[0].appointments[0].code, "482913");
        assert_eq!(taken[0].appointments[0].desk.as_deref(), Some("desk-1"));
    }
    assert_eq!(files.kept_etag(Pulled::Appointments).as_deref(), Some(first_etag.as_str()));
    assert_eq!(files.kept_plan().unwrap().appointments.len(), 1);

    // Unchanged: the kiosk sends its ETag and gets 304; nothing is handed over again.
    let same = watch.until("the plan asked for again", plan_pulled).await;
    assert_eq!(
        same.kind,
        ActivityKind::Pulled { what: Pulled::Appointments, outcome: PullOutcome::Unchanged }
    );
    assert_eq!(sink.taken.lock().unwrap().len(), 1);

    // A plan the help point refuses: a problem with the reason; the last good plan stays.
    *sink.refusal.lock().unwrap() = Some("service \"email\" is not offered here".into());
    book_centrally(&central, "22222222-2222-4222-8222-222222222222", "713604").await;
    let refused = watch
        .until("the new plan refused", |k| {
            plan_pulled(k) && matches!(k, ActivityKind::Pulled { outcome: PullOutcome::Refused { .. }, .. })
        })
        .await;
    assert!(format!("{refused:?}").contains("is not offered here"), "{refused:?}");
    assert_eq!(files.kept_etag(Pulled::Appointments).as_deref(), Some(first_etag.as_str()));
    assert_eq!(files.kept_plan().unwrap().appointments.len(), 1, "the last good plan stays");
    watch
        .until("a heartbeat after the refusal", |k| {
            matches!(k, ActivityKind::TryEnded { request: loket::report::activity::Request::Heartbeat, .. })
        })
        .await;
    assert!(
        reporter.status().problems.iter().any(|p| p.contains("appointment plan is refused")),
        "{:?}",
        reporter.status().problems
    );
    // Refused once: not handed over again while the central plan stays the same.
    *sink.refusal.lock().unwrap() = None;
    watch.until("the plan asked for once more", plan_pulled).await;
    assert_eq!(sink.taken.lock().unwrap().len(), 1, "a refused plan is not applied later unchanged");

    // The central system down: the kiosk keeps what it has.
    reporter.shutdown().await;
    drop(central);
    assert_eq!(files.kept_plan().unwrap().appointments[0].code, "482913");
}
