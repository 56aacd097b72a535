//! The central dashboard in a real browser: Debian's headless Chromium through chromedriver
//! (W3C WebDriver, JSON over HTTP from reqwest). An admin signs in and sees the figures of two
//! kiosks at two sites, the kiosks table with its warnings, and the tokens page. Screenshots at
//! 1280×800 and 390×844 land in `target/tmp/screenshots/central/` for a person to look at.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (`.ci/install-deps`); without
//! them the test fails and says so. The WebDriver client is `tests/common/browser.rs`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::browser::{Browser, Chromedriver, wait_for};
use jiff::{SignedDuration, Timestamp};
use loket_central::{InProcess, Settings};
use loket_protocol::clock::ManualClock;
use loket_protocol::report::{EventBatch, Heartbeat, OutboxHealth, PrinterHealth, WireEvent};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";
/// Under `target/tmp/`.
const SCREENSHOTS: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/screenshots/central");

// ---- a realistic day -------------------------------------------------------------------------

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn event(seq: i64, kind: &str, when: Timestamp, body: Value) -> WireEvent {
    WireEvent {
        id: uuid::Uuid::new_v4().to_string(),
        seq,
        kind: kind.into(),
        occurred_at: when,
        clock_synced: true,
        boot_id: "boot-1".into(),
        body,
    }
}

/// `count` visitors from 08:00 UTC (09:00 local) on, spread over the day, with waits of 2 to
/// 16 minutes; every seventh does not come when called; a few screenings and tutorials.
fn day_of(count: i64, services: &[&str], step_minutes: i64) -> Vec<WireEvent> {
    let mut events = Vec::new();
    let mut seq = 0;
    let mut next = |kind: &str, when: Timestamp, body: Value| {
        seq += 1;
        event(seq, kind, when, body)
    };
    for i in 0..count {
        let service = services[(i as usize * 7 / 3) % services.len()];
        let issued = at("2026-11-30T08:00:00Z") + SignedDuration::from_mins(i * step_minutes + (i % 3) * 4);
        let called = issued + SignedDuration::from_mins(2 + (i * 5) % 15);
        let finished = called + SignedDuration::from_mins(8);
        let ticket = |state: Value, called: Option<Timestamp>, finished: Option<Timestamp>| {
            json!({"id": i + 1, "service_day": "2026-11-30", "prefix": "A", "number": i + 1,
                "issued_service": service, "service": service, "language": "nl", "issued_at": issued,
                "state": state, "called_at": called, "finished_at": finished, "recalls": 0})
        };
        events.push(next(
            "ticket_issued",
            issued,
            json!({"type": "ticket_issued", "at": issued, "ticket": ticket(json!({"state": "waiting"}), None, None)}),
        ));
        if issued > at("2026-11-30T14:45:00Z") {
            continue; // still waiting
        }
        let desk = json!({"state": "called", "desk": "desk-1"});
        events.push(next(
            "ticket_called",
            called,
            json!({"type": "ticket_called", "at": called, "desk": "desk-1", "ticket": ticket(desk, Some(called), None)}),
        ));
        let (kind, state) = if i % 7 == 6 {
            ("ticket_no_show", json!({"state": "no_show", "desk": "desk-1"}))
        } else {
            ("ticket_served", json!({"state": "served", "desk": "desk-1", "outcome": null}))
        };
        events.push(next(
            kind,
            finished,
            json!({"type": kind, "at": finished, "desk": "desk-1", "ticket": ticket(state, Some(called), Some(finished))}),
        ));
    }
    for (i, (activity, verb)) in [
        ("assessment", "completed"),
        ("lesson", "completed"),
        ("lesson", "terminated"),
        ("assessment", "completed"),
    ]
    .iter()
    .enumerate()
    {
        let when = at("2026-11-30T09:20:00Z") + SignedDuration::from_mins(i as i64 * 50);
        let local = when
            .to_zoned(jiff::tz::TimeZone::get("Europe/Brussels").unwrap())
            .strftime("%Y-%m-%dT%H:%M:%S%:z");
        events.push(next(
            "xapi_statement",
            when,
            json!({"id": uuid::Uuid::new_v4().to_string(),
                "verb": {"id": format!("http://adlnet.gov/expapi/verbs/{verb}")},
                "object": {"objectType": "Activity", "id": "https://x/a",
                    "definition": {"type": format!("http://adlnet.gov/expapi/activities/{activity}")}},
                "result": {"extensions": {"https://x/ext/competences":
                    {"1.1": (["on_own", "with_help"][i % 2]), "2.1": "with_help", "3.1": (["not_yet", "on_own"][i % 2])}}},
                "timestamp": local.to_string()}),
        ));
    }
    events
}

fn heartbeat(kiosk: &str, site: &str, sent_at: Timestamp) -> Heartbeat {
    Heartbeat {
        kiosk: kiosk.into(),
        site: site.into(),
        version: "0.1.0".into(),
        sent_at,
        uptime_seconds: 7 * 3600 + 12 * 60,
        boot_id: "boot-1".into(),
        clock_synced: true,
        printer: PrinterHealth { state: "ready".into(), paper: "ok".into(), detail: String::new() },
        outbox: OutboxHealth::default(),
        disk_free_bytes: Some(21_400_000_000),
        cpu_temperature_celsius: Some(51.0),
        under_voltage_now: Some(false),
        under_voltage_since_boot: Some(false),
        problems: vec![],
    }
}

async fn post(http: &reqwest::Client, url: &str, token: &str, body: &impl serde::Serialize) {
    let response = http.post(url).bearer_auth(token).json(body).send().await.unwrap();
    assert!(response.status().is_success(), "{url}: {}", response.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sees_the_figures_and_the_kiosks_of_two_sites() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(loket_central::sqlite::Sqlite::open(&dir.path().join("c.sqlite")).unwrap());
    loket_central::store::CentralStore::set_admin(
        store.as_ref(),
        "admin",
        &loket_protocol::secret::hash(PASSWORD).unwrap(),
    )
    .unwrap();
    let clock = Arc::new(ManualClock::new(at("2026-11-30T15:10:00Z")));
    let server = InProcess::start(store, clock.clone(), Settings::default(), None).await.unwrap();
    let base = server.base_url();
    let http = loket_protocol::tls::client().build().unwrap();
    let gent = server.new_kiosk_token("gent-1", "Gent Zuid").await.unwrap();
    let brugge = server.new_kiosk_token("brugge-1", "Brugge").await.unwrap();
    server.new_kiosk_token("oostende-1", "Oostende").await.unwrap();

    let events_url = format!("{base}{}", loket_protocol::report::EVENTS_PATH);
    let heartbeat_url = format!("{base}{}", loket_protocol::report::HEARTBEAT_PATH);
    let gent_day = day_of(34, &["e-mail", "afspraak", "identiteitskaart"], 12);
    let brugge_day = day_of(15, &["e-mail", "afspraak"], 25);
    for chunk in gent_day.chunks(40) {
        let batch = EventBatch { kiosk: "gent-1".into(), sent_at: clock.now_ts(), events: chunk.to_vec() };
        post(&http, &events_url, &gent, &batch).await;
    }
    post(
        &http,
        &events_url,
        &brugge,
        &EventBatch { kiosk: "brugge-1".into(), sent_at: clock.now_ts(), events: brugge_day },
    )
    .await;

    // Brugge last reported 20 minutes ago, out of paper, its clock off and events dropped.
    let mut sick = heartbeat("brugge-1", "Brugge", clock.now_ts());
    sick.printer = PrinterHealth { state: "no_paper".into(), paper: "out".into(), detail: "sensor".into() };
    sick.clock_synced = false;
    sick.outbox.dropped.insert("xapi_statement".into(), 12);
    sick.outbox.backlog = 40;
    sick.outbox.oldest_unsent_at = Some(clock.now_ts() - SignedDuration::from_mins(25));
    post(&http, &heartbeat_url, &brugge, &sick).await;
    clock.advance(SignedDuration::from_mins(20));
    post(&http, &heartbeat_url, &gent, &heartbeat("gent-1", "Gent Zuid", clock.now_ts())).await;

    let driver = Chromedriver::start();
    for (width, height, name) in [(1280, 800, "laptop"), (390, 844, "phone")] {
        let browser = Browser::open(&driver, name, width, height, SCREENSHOTS).await;
        browser.goto(&format!("{base}/")).await;
        assert!(browser.text("h1").await.contains("Loket centraal"), "redirected to the sign-in page");
        browser.screenshot(&format!("{name}-0-login.png")).await;
        browser.type_into("input[name=password]", PASSWORD).await;
        browser.click("button[type=submit]").await;
        // Signing in posts a form: wait for the dashboard's page to replace the sign-in page.
        let (title, _) = wait_for("the dashboard", Duration::from_secs(5), || async {
            let title = browser.text("h1").await;
            if title.starts_with("Overzicht") { Ok(title) } else { Err(title) }
        })
        .await;
        assert_eq!(title, "Overzicht van maandag 30 november 2026");
        let tiles = browser.text(".tiles").await;
        assert!(tiles.contains("49\nbezoekers"), "{tiles}");
        assert!(!browser.overflows_sideways().await, "{name}: the dashboard fits the width");
        browser.screenshot(&format!("{name}-1-dashboard.png")).await;
        browser.js("document.querySelector('.chart').scrollIntoView({block: 'start'})").await;
        browser.screenshot(&format!("{name}-2-chart.png")).await;

        let kiosks = browser.text("#kiosks").await;
        assert!(kiosks.contains("20 minuten niet gezien"), "{kiosks}");
        assert!(kiosks.contains("papier op") && kiosks.contains("klok niet gelijk"), "{kiosks}");
        assert!(
            kiosks.contains("gebeurtenissen weggegooid") && kiosks.contains("nog nooit gezien"),
            "{kiosks}"
        );
        browser.js("document.getElementById('kiosks').scrollIntoView({block: 'start'})").await;
        browser.screenshot(&format!("{name}-3-kiosks.png")).await;

        browser.goto(&format!("{base}/?site=Brugge")).await;
        assert!(browser.text(".tiles").await.contains("15\nbezoekers"));

        browser.goto(&format!("{base}/tokens")).await;
        browser.type_into("input[name=kiosk]", &format!("kortrijk-{name}")).await;
        browser.type_into("input[name=site]", "Kortrijk").await;
        browser.click("form[action='/tokens'] button").await;
        // The form posts and a new page shows the token once: wait for that page.
        let (token, _) = wait_for("the new token", Duration::from_secs(5), || async {
            let token = browser.text("#new-token").await;
            if token.is_empty() { Err("no token shown yet".to_owned()) } else { Ok(token) }
        })
        .await;
        assert_eq!(token.len(), 64, "the new token is shown: {token}");
        assert!(!browser.overflows_sideways().await, "{name}: the tokens page fits the width");
        browser.screenshot(&format!("{name}-4-tokens.png")).await;
        browser.goto(&format!("{base}/files")).await;
        browser.screenshot(&format!("{name}-5-files.png")).await;
        browser.close().await;
    }
}

trait Now {
    fn now_ts(&self) -> Timestamp;
}

impl Now for ManualClock {
    fn now_ts(&self) -> Timestamp {
        loket_protocol::clock::Clock::now(self)
    }
}
