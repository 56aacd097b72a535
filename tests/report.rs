//! The reporter against a scripted double of the central system (`common::central_double`):
//! delivery exactly once, retries, `Retry-After`, a refused token, refused and bad events,
//! heartbeats, and settings and content pulled by ETag and checked before they are kept.
//!
//! The tests await what the reporter says it did (`common::activity`) and what the double saw;
//! the schedule of retries is checked from what the reporter planned, never by counting
//! requests in a window of wall-clock time.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::activity::{Watch, retry_planned, try_ended, try_started};
use common::central_double::CentralDouble;
use loket::clock::{ManualClock, SystemClock};
use loket::config::{Config, SAMPLE_TOML};
use loket::help_point::{HelpPoint, queue_rules};
use loket::protocol;
use loket::report::activity::{ActivityKind, PullOutcome, Request};
use loket::report::clock::SimulatedClockSync;
use loket::report::health::Machine;
use loket::report::pull::{CentralFiles, PullError, Pulled, central_config};
use loket::report::{ReportParts, ReportSettings, ReportState, Reporter};
use loket::store::{Origin, Store};

const TOKEN: &str = "kiosk-token-1";

/// A kiosk: its data directory with a store, a help point on it, a fake /proc and /sys.
struct Kiosk {
    dir: tempfile::TempDir,
    help_point: HelpPoint,
}

impl Kiosk {
    fn new() -> Kiosk {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::sample();
        let mut store = Store::open(&dir.path().join("loket.sqlite")).unwrap();
        store.set_origin(Origin {
            boot_id: "fake-boot".into(),
            clock: Arc::new(SimulatedClockSync::new(true)),
        });
        let clock = Arc::new(ManualClock::new("2026-11-30T09:30:00Z".parse().unwrap()));
        let help_point = HelpPoint::open(queue_rules(&config), store, clock).unwrap();
        let machine = dir.path().join("machine");
        for (path, text) in [
            ("proc/uptime", "12345.67 40000.00\n"),
            ("proc/sys/kernel/random/boot_id", "fake-boot\n"),
            ("sys/class/thermal/thermal_zone0/temp", "51500\n"),
            ("sys/class/hwmon/hwmon2/name", "rpi_volt\n"),
            ("sys/class/hwmon/hwmon2/in0_lcrit_alarm", "1\n"),
        ] {
            let path = machine.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Kiosk { dir, help_point }
    }

    fn tickets(&mut self, n: usize) {
        for _ in 0..n {
            self.help_point.take_ticket("email", "nl").unwrap();
        }
    }

    fn settings(&self, double: &CentralDouble) -> ReportSettings {
        let mut settings =
            ReportSettings::new(&double.url, TOKEN, &kiosk_id(), self.dir.path().to_path_buf());
        settings.site_name = "Digilabo".into();
        settings.retry_base = Duration::from_millis(20);
        settings.retry_max = Duration::from_secs(1);
        settings.poll_interval = Duration::from_millis(100);
        settings.gather_delay = Duration::from_millis(10);
        settings.heartbeat_interval = Duration::from_secs(60);
        settings.request_timeout = Duration::from_secs(5);
        settings
    }

    fn parts(&self) -> ReportParts {
        ReportParts {
            clock: Arc::new(SystemClock),
            clock_sync: Arc::new(SimulatedClockSync::new(true)),
            machine: Machine::at(self.dir.path().join("machine")),
        }
    }

    fn start(&self, settings: ReportSettings) -> Reporter {
        Reporter::spawn(settings, self.parts(), &tokio::runtime::Handle::current()).unwrap()
    }

    /// Starts the reporter with a watch on what it does from its first step.
    fn start_watched(&self, settings: ReportSettings) -> (Reporter, Watch) {
        let (reporter, feed) =
            Reporter::spawn_watched(settings, self.parts(), &tokio::runtime::Handle::current()).unwrap();
        (reporter, Watch::new(feed))
    }

    fn backlog(&self) -> u64 {
        self.help_point.store().outbox_backlog().unwrap()
    }
}

/// The sample's `site.kiosk_id`.
fn kiosk_id() -> String {
    Config::sample().site.kiosk_id
}

/// A retry the reporter planned, and how long after planning it the next try came.
#[derive(Debug)]
struct Plan {
    failures: u32,
    ceiling: Duration,
    retry_after: Option<Duration>,
    delay: Duration,
    /// `None` when no try followed yet.
    next_try_after: Option<Duration>,
}

/// The retries planned so far, in order.
fn planned(watch: &Watch) -> Vec<Plan> {
    let seen = &watch.seen;
    seen.iter()
        .enumerate()
        .filter_map(|(i, a)| match a.kind {
            ActivityKind::RetryPlanned { failures, ceiling, retry_after, delay } => Some(Plan {
                failures,
                ceiling,
                retry_after,
                delay,
                next_try_after: seen[i..]
                    .iter()
                    .find(|b| try_started(&b.kind))
                    .map(|b| b.at.duration_since(a.at)),
            }),
            _ => None,
        })
        .collect()
}

/// A heartbeat answered 200.
fn heartbeat_answered(kind: &ActivityKind) -> bool {
    matches!(kind, ActivityKind::TryEnded { request: Request::Heartbeat, result: Ok(200), .. })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_is_delivered_once_in_order_also_those_recorded_while_running() {
    let double = CentralDouble::start(TOKEN).await;
    let mut kiosk = Kiosk::new();
    kiosk.tickets(25);
    let mut settings = kiosk.settings(&double);
    settings.batch_events = 7;
    let reporter = kiosk.start(settings);
    assert!(reporter.wait_until_delivered(Duration::from_secs(10)).await, "{:?}", reporter.status());
    kiosk.tickets(3);
    reporter.wake();
    assert!(reporter.wait_until_delivered(Duration::from_secs(10)).await, "{:?}", reporter.status());
    assert_eq!(kiosk.backlog(), 0);

    let received = double.script(|s| s.received.clone());
    assert_eq!(received.len(), 28, "each event sent once");
    assert!(received.windows(2).all(|w| w[0].seq < w[1].seq), "in order");
    assert!(received.iter().all(|e| e.kind == "ticket_issued" && e.boot_id == "fake-boot" && e.clock_synced));
    let batches: Vec<usize> = double.seen(protocol::EVENTS_PATH).iter().map(|r| r.events).collect();
    assert!(batches.iter().all(|&n| n <= 7), "{batches:?}");
    let status = reporter.status();
    assert_eq!(status.state, ReportState::UpToDate);
    assert!(status.last_sent_at.is_some());
    reporter.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_is_retried_until_it_goes_through() {
    let double = CentralDouble::start(TOKEN).await;
    double.script(|s| s.faults.extend([(500, None), (502, None), (500, None)]));
    let mut kiosk = Kiosk::new();
    kiosk.tickets(5);
    let (reporter, mut watch) = kiosk.start_watched(kiosk.settings(&double));
    watch
        .until("the batch acknowledged", |k| matches!(k, ActivityKind::Acknowledged { backlog: 0, .. }))
        .await;
    assert!(reporter.wait_until_delivered(Duration::from_secs(10)).await, "{:?}", reporter.status());
    assert_eq!(double.script(|s| s.stored.len()), 5);
    let statuses: Vec<u16> = double.script(|s| s.seen.iter().map(|r| r.status).collect());
    assert_eq!(&statuses[..3], [500, 502, 500]);
    // The backoff as planned: base 20 ms doubling, full jitter below it, each wait kept.
    let ms = Duration::from_millis;
    let plans = planned(&watch);
    assert_eq!(plans.len(), 3, "{plans:?}");
    for (plan, n) in plans.into_iter().zip(1u32..) {
        assert_eq!((plan.failures, plan.ceiling, plan.retry_after), (n, ms(20 << (n - 1)), None));
        assert!(plan.delay <= plan.ceiling, "{plan:?}");
        let next = plan.next_try_after.expect("a next try");
        assert!(next >= plan.delay, "try {} came too early: {plan:?}", n + 1);
    }
    reporter.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_before_the_next_request() {
    let double = CentralDouble::start(TOKEN).await;
    double.script(|s| s.faults.push_back((429, Some(1))));
    let mut kiosk = Kiosk::new();
    kiosk.tickets(2);
    let (reporter, mut watch) = kiosk.start_watched(kiosk.settings(&double));
    let plan = watch.until("a retry planned", retry_planned).await;
    let ActivityKind::RetryPlanned { failures, retry_after, delay, .. } = plan.kind else { unreachable!() };
    assert_eq!((failures, retry_after), (1, Some(Duration::from_secs(1))));
    assert_eq!(delay, Duration::from_secs(1), "Retry-After: 1 asks for more than the jitter (< 20 ms)");
    let next = watch.until("the next try", try_started).await;
    assert!(next.at.duration_since(plan.at) >= delay, "{:?}", next.at.duration_since(plan.at));
    assert!(reporter.wait_until_delivered(Duration::from_secs(10)).await, "{:?}", reporter.status());
    let seen = double.script(|s| s.seen.clone());
    assert_eq!(seen[0].status, 429);
    let gap = seen[1].at.duration_since(seen[0].at);
    assert!(gap >= Duration::from_millis(950), "the next request came after {gap:?}");
    reporter.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_shown_and_not_retried_in_a_loop() {
    let double = CentralDouble::start("another-token").await;
    let mut kiosk = Kiosk::new();
    kiosk.tickets(2);
    let (reporter, mut watch) = kiosk.start_watched(kiosk.settings(&double));
    // retry_max is 1 s: each refused try is followed by a planned wait of 1 s, which new
    // events do not cut short, and the next try is the very next one (no loop in between).
    for n in 1..=3u64 {
        let ended = watch.until("a try ended", try_ended).await;
        assert!(
            matches!(ended.kind, ActivityKind::TryEnded { number, result: Ok(401), .. } if number == n),
            "{ended:?}"
        );
        let plan = watch.until("the next try planned", retry_planned).await;
        let ActivityKind::RetryPlanned { delay, ceiling, retry_after, .. } = plan.kind else {
            unreachable!()
        };
        assert_eq!((delay, ceiling, retry_after), (Duration::from_secs(1), Duration::from_secs(1), None));
        if n == 1 {
            assert_eq!(reporter.status().state, ReportState::TokenRefused { status: 401 });
            let message = reporter.status().message;
            assert!(
                message.contains("refused this kiosk's token (401)") && message.contains("report.token_file")
            );
        }
        reporter.wake();
        reporter.wake();
        let next = watch.until("the next try", try_started).await;
        assert!(matches!(next.kind, ActivityKind::TryStarted { number, .. } if number == n + 1), "{next:?}");
        assert!(next.at.duration_since(plan.at) >= delay, "{:?}", next.at.duration_since(plan.at));
    }
    assert_eq!(kiosk.backlog(), 2, "nothing is lost");
    double.script(|s| s.token = TOKEN.into());
    assert!(reporter.wait_until_delivered(Duration::from_secs(10)).await, "{:?}", reporter.status());
    reporter.shutdown().await;
    watch.read_until_stopped().await;
    let refused = double.script(|s| s.seen.iter().filter(|r| r.status == 401).count());
    let told = watch.count(|k| matches!(k, ActivityKind::TryEnded { result: Ok(401), .. }));
    assert_eq!(refused, told, "every request the double refused is a try the reporter told of");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_events_are_set_aside_and_a_bad_one_is_found_by_halving() {
    let double = CentralDouble::start(TOKEN).await;
    let mut kiosk = Kiosk::new();
    kiosk.tickets(9);
    let ids: Vec<String> =
        kiosk.help_point.store().unsent_events(100).unwrap().into_iter().map(|e| e.id).collect();
    double.script(|s| {
        s.refuse.insert(ids[2].clone());
        s.bad.insert(ids[6].clone());
    });
    let reporter = kiosk.start(kiosk.settings(&double));
    assert!(reporter.wait_until_delivered(Duration::from_secs(10)).await, "{:?}", reporter.status());
    assert_eq!(double.script(|s| s.stored.len()), 7);
    let status = reporter.status();
    assert_eq!((status.backlog, status.refused), (0, 2));
    let refused = kiosk.help_point.store().refused_events(10).unwrap();
    assert_eq!(refused.len(), 2);
    let reason = &refused.iter().find(|r| r.0 == ids[6]).unwrap().2;
    assert!(reason.contains("400") && reason.contains("body is not acceptable"), "{reason}");
    let times_sent = double.script(|s| s.received.iter().filter(|e| e.id == ids[2]).count());
    assert_eq!(times_sent, 1, "a refused event is not sent again");
    let four_hundreds = double.seen(protocol::EVENTS_PATH).iter().filter(|r| r.status == 400).count();
    assert!(four_hundreds <= 4, "halving 9 events takes at most 4 refusals, took {four_hundreds}");
    reporter.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_carry_the_machine_and_come_again_when_the_printer_changes() {
    let double = CentralDouble::start(TOKEN).await;
    let mut kiosk = Kiosk::new();
    kiosk.help_point.device_state_changed("printer", "no_paper", "status byte 0x0c").unwrap();
    kiosk.tickets(1);
    let mut settings = kiosk.settings(&double);
    settings.heartbeat_interval = Duration::from_secs(3600);
    let refused = "the config on the SD card was refused: kiosk.idle_timeout_seconds = 4";
    settings.standing_problems.push(refused.into());
    let (reporter, mut watch) = kiosk.start_watched(settings);
    watch.until("a heartbeat", heartbeat_answered).await;
    let beat = double.script(|s| s.heartbeats[0].clone());
    assert_eq!(beat.problems, [refused], "a standing problem goes with every heartbeat");
    assert_eq!((beat.kiosk.as_str(), beat.site.as_str()), (kiosk_id().as_str(), "Digilabo"));
    assert_eq!(beat.version, env!("CARGO_PKG_VERSION"));
    assert_eq!((beat.uptime_seconds, beat.boot_id.as_str()), (12345, "fake-boot"));
    assert!(beat.clock_synced);
    assert_eq!((beat.printer.state.as_str(), beat.printer.paper.as_str()), ("no_paper", "out"));
    assert_eq!(beat.outbox.backlog, 2, "sent before the events");
    assert_eq!(beat.cpu_temperature_celsius, Some(51.5));
    assert_eq!((beat.under_voltage_now, beat.under_voltage_since_boot), (Some(true), Some(true)));
    assert!(beat.disk_free_bytes.is_some());

    assert!(reporter.wait_until_delivered(Duration::from_secs(5)).await);
    kiosk.help_point.device_state_changed("printer", "ready", "").unwrap();
    watch.until("a heartbeat for the new printer state", heartbeat_answered).await;
    assert_eq!(double.script(|s| s.heartbeats.len()), 2);
    let beat = double.script(|s| s.heartbeats[1].clone());
    assert_eq!(beat.printer.state, "ready");
    assert_eq!(beat.problems, [refused]);
    assert_eq!(beat.outbox.backlog, 1, "the printer's event is not sent yet");
    reporter.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_pulled_by_etag_then_not_modified() {
    let double = CentralDouble::start(TOKEN).await;
    let central_toml = SAMPLE_TOML.replace("name = \"Digilabo\"", "name = \"Digilabo Centraal\"");
    assert_ne!(central_toml, SAMPLE_TOML);
    double.script(|s| s.settings = Some(("\"s1\"".into(), central_toml.clone().into_bytes())));
    let kiosk = Kiosk::new();
    let mut settings = kiosk.settings(&double);
    settings.heartbeat_interval = Duration::from_millis(200);
    let (reporter, mut watch) = kiosk.start_watched(settings);
    let files = CentralFiles::new(kiosk.dir.path());
    let kept = watch.until("the settings pulled", |k| matches!(k, ActivityKind::Pulled { .. })).await;
    let expected = PullOutcome::Kept { etag: "\"s1\"".into() };
    assert_eq!(kept.kind, ActivityKind::Pulled { what: Pulled::Settings, outcome: expected });
    assert_eq!(files.kept_etag(Pulled::Settings).as_deref(), Some("\"s1\""));
    assert_eq!(std::fs::read_to_string(files.settings_path()).unwrap(), central_toml);
    // The central system names a new ETag, but the settings turn out unchanged: 304.
    double.script(|s| s.reply_settings_etag = Some("\"s2\"".into()));
    let again = watch.until("a conditional request", |k| matches!(k, ActivityKind::Pulled { .. })).await;
    let unchanged = ActivityKind::Pulled { what: Pulled::Settings, outcome: PullOutcome::Unchanged };
    assert_eq!(again.kind, unchanged);
    let pulls = double.seen(protocol::SETTINGS_PATH);
    assert_eq!((pulls[0].status, pulls[0].if_none_match.as_deref()), (200, None));
    assert_eq!((pulls[1].status, pulls[1].if_none_match.as_deref()), (304, Some("\"s1\"")));
    assert_eq!(double.seen(protocol::CONTENT_PATH).len(), 0, "no content named, none asked");
    reporter.shutdown().await;

    // At the next start the central settings are used, keeping the local data directory.
    let mut local = Config::sample();
    local.kiosk.data_dir = kiosk.dir.path().to_path_buf();
    let used = central_config(local.clone());
    assert_eq!(used.site.name, "Digilabo Centraal");
    assert_eq!(used.kiosk.data_dir, local.kiosk.data_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_pack_is_pulled_checked_and_switched_to() {
    let double = CentralDouble::start(TOKEN).await;
    double.script(|s| s.content = Some(("\"c1\"".into(), tar_of(&repository_content()))));
    let kiosk = Kiosk::new();
    let (reporter, mut watch) = kiosk.start_watched(kiosk.settings(&double));
    let files = CentralFiles::new(kiosk.dir.path());
    let kept = watch.until("the pack pulled", |k| matches!(k, ActivityKind::Pulled { .. })).await;
    let expected = PullOutcome::Kept { etag: "\"c1\"".into() };
    assert_eq!(kept.kind, ActivityKind::Pulled { what: Pulled::Content, outcome: expected });
    assert_eq!(files.kept_etag(Pulled::Content).as_deref(), Some("\"c1\""));
    assert!(loket::content::load_pack(&files.content_path(), loket::content::REQUIRED_LANGUAGES).is_ok());
    assert!(reporter.status().problems.is_empty(), "{:?}", reporter.status().problems);
    reporter.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_settings_are_a_problem_in_the_heartbeat_and_the_last_good_stays() {
    let double = CentralDouble::start(TOKEN).await;
    let other = SAMPLE_TOML.replace(&format!("kiosk_id = \"{}\"", kiosk_id()), "kiosk_id = \"loket-9\"");
    assert_ne!(other, SAMPLE_TOML);
    double.script(|s| s.settings = Some(("\"bad\"".into(), other.into_bytes())));
    let kiosk = Kiosk::new();
    let mut settings = kiosk.settings(&double);
    settings.heartbeat_interval = Duration::from_millis(200);
    let (reporter, mut watch) = kiosk.start_watched(settings);
    let refused = watch.until("the settings pulled", |k| matches!(k, ActivityKind::Pulled { .. })).await;
    assert!(
        matches!(refused.kind, ActivityKind::Pulled { what: Pulled::Settings, outcome: PullOutcome::Refused { ref problem } } if problem.contains("loket-9")),
        "{refused:?}"
    );
    // The next heartbeat carries the problem.
    watch.until("the next heartbeat", heartbeat_answered).await;
    let last = double.script(|s| s.heartbeats.last().cloned()).unwrap();
    assert!(last.problems.iter().any(|p| p.contains("loket-9")), "{:?}", last.problems);
    assert!(reporter.status().problems[0].contains("settings are refused"));
    assert!(!CentralFiles::new(kiosk.dir.path()).settings_path().exists());
    assert_eq!(double.seen(protocol::SETTINGS_PATH).len(), 1, "a refused ETag is not fetched again");
    reporter.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reporter_waits_for_the_clock_and_says_so() {
    let double = CentralDouble::start(TOKEN).await;
    let mut kiosk = Kiosk::new();
    kiosk.tickets(1);
    let mut settings = kiosk.settings(&double);
    settings.wait_for_clock = true;
    let clock = Arc::new(SimulatedClockSync::new(false));
    let parts = ReportParts { clock_sync: clock.clone(), ..kiosk.parts() };
    let (reporter, feed) =
        Reporter::spawn_watched(settings, parts, &tokio::runtime::Handle::current()).unwrap();
    let mut watch = Watch::new(feed);
    // The reporter looks at the clock three times (a poll interval apart) and tries nothing.
    for _ in 0..3 {
        watch.until("waiting for the clock", |k| *k == ActivityKind::WaitingForClock).await;
        assert_eq!(reporter.status().state, ReportState::WaitingForClock);
    }
    assert_eq!(watch.count(|k| try_started(k) || try_ended(k)), 0, "{:?}", watch.seen);
    assert_eq!(double.script(|s| s.seen.len()), 0, "nothing sent");
    assert_eq!(reporter.status().backlog, 1);
    clock.set(true);
    let first = watch.until("the first try", try_started).await;
    assert!(matches!(first.kind, ActivityKind::TryStarted { number: 1, .. }), "{first:?}");
    assert!(reporter.wait_until_delivered(Duration::from_secs(10)).await);
    reporter.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_go_over_https_to_a_server_trusted_through_the_ca_bundle() {
    let (double, certificate) = CentralDouble::start_https(TOKEN).await;
    let mut kiosk = Kiosk::new();
    kiosk.tickets(3);
    // Without the bundle the self-signed server is not trusted, and nothing is marked sent.
    let (reporter, mut watch) = kiosk.start_watched(kiosk.settings(&double));
    let ended = watch.until("the first try ended", try_ended).await;
    assert!(
        matches!(ended.kind, ActivityKind::TryEnded { result: Err(ref reason), .. } if reason.contains("certificate")),
        "{ended:?}"
    );
    watch.until("a retry planned", retry_planned).await;
    assert!(
        matches!(reporter.status().state, ReportState::Unreachable { ref reason, .. } if reason.contains("certificate")),
        "{:?}",
        reporter.status()
    );
    reporter.shutdown().await;
    assert_eq!(kiosk.backlog(), 3);

    let mut settings = kiosk.settings(&double);
    settings.ca_bundle = Some(certificate.into_bytes());
    let reporter = kiosk.start(settings);
    assert!(reporter.wait_until_delivered(Duration::from_secs(10)).await, "{:?}", reporter.status());
    assert_eq!(double.script(|s| s.stored.len()), 3);
    reporter.shutdown().await;
}

// ---- settings and content checked before they are kept ------------------------------------

fn tar_of(dir: &Path) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.append_dir_all(".", dir).unwrap();
    builder.into_inner().unwrap()
}

fn repository_content() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

#[test]
fn bad_settings_are_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let files = CentralFiles::new(dir.path());
    let bad = SAMPLE_TOML.replace("idle_timeout_seconds = 45", "idle_timeout_seconds = 4500");
    assert_ne!(bad, SAMPLE_TOML);
    let id = kiosk_id();
    let error = files.install_settings(bad.as_bytes(), &id, "e1").unwrap_err().to_string();
    assert!(error.contains("kiosk.idle_timeout_seconds = 4500"), "{error}");
    let error = files.install_settings(b"[site", &id, "e1").unwrap_err();
    assert!(matches!(error, PullError::Settings(_)), "{error}");
    let error = files.install_settings(SAMPLE_TOML.as_bytes(), "loket-2", "e1").unwrap_err().to_string();
    assert!(error.contains(&format!("{id:?}")) && error.contains("\"loket-2\""), "{error}");
    assert!(!files.settings_path().exists());
    files.install_settings(SAMPLE_TOML.as_bytes(), &id, "e2").unwrap();
    assert_eq!(files.kept_etag(Pulled::Settings).as_deref(), Some("e2"));
}

#[test]
fn a_pack_with_dot_dot_or_a_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let files = CentralFiles::new(dir.path());
    let mut header = tar::Header::new_old();
    header.as_old_mut().name[..12].copy_from_slice(b"../escape.tx");
    header.set_size(2);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    let mut archive = header.as_bytes().to_vec();
    archive.extend_from_slice(b"hi");
    archive.resize(archive.len() + 510 + 1024, 0);
    let error = files.install_content(&archive, "x").unwrap_err().to_string();
    assert!(error.contains(".. are not allowed"), "{error}");
    assert!(!dir.path().join("escape.tx").exists());

    let mut builder = tar::Builder::new(Vec::new());
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    builder.append_link(&mut link, "tutorials", "/etc").unwrap();
    let error = files.install_content(&builder.into_inner().unwrap(), "x").unwrap_err().to_string();
    assert!(error.contains("no links"), "{error}");
    assert!(!files.content_path().exists());
}

#[test]
fn a_good_pack_is_switched_to_and_a_broken_one_leaves_it() {
    let dir = tempfile::tempdir().unwrap();
    let files = CentralFiles::new(dir.path());
    files.install_content(&tar_of(&repository_content()), "good-1").unwrap();
    let kept = files.content_path();
    assert!(kept.join("tutorials").is_dir());
    assert!(loket::content::load_pack(&kept, loket::content::REQUIRED_LANGUAGES).is_ok());
    assert_eq!(files.kept_etag(Pulled::Content).as_deref(), Some("good-1"));

    // A copy with a damaged tutorial: refused, and the good one stays.
    let broken = tempfile::tempdir().unwrap();
    copy_dir(&repository_content(), broken.path());
    let tutorial =
        std::fs::read_dir(broken.path().join("tutorials")).unwrap().flatten().next().unwrap().path();
    let toml = std::fs::read_dir(&tutorial)
        .map(|d| d.flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "toml")).unwrap())
        .unwrap_or(tutorial);
    std::fs::write(&toml, "this is = not [ a tutorial").unwrap();
    let error = files.install_content(&tar_of(broken.path()), "bad-2").unwrap_err().to_string();
    assert!(error.contains("content pack is refused"), "{error}");
    assert_eq!(files.kept_etag(Pulled::Content).as_deref(), Some("good-1"));
    assert!(loket::content::load_pack(&files.content_path(), loket::content::REQUIRED_LANGUAGES).is_ok());

    // A second good pack replaces the first; the old folder goes.
    files.install_content(&tar_of(&repository_content()), "good-3").unwrap();
    assert_eq!(files.kept_etag(Pulled::Content).as_deref(), Some("good-3"));
    let folders = std::fs::read_dir(dir.path().join("central"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("content-"))
        .count();
    assert_eq!(folders, 1);

    let mut local = Config::sample();
    local.kiosk.data_dir = dir.path().to_path_buf();
    assert_eq!(central_config(local).learning.content_dir, files.content_path());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
