//! How long the UI thread is kept from drawing while the help point is busy: the staff API is
//! hammered (50 call-next and 50 tickets a second over HTTP) and the nightly tidy-up deletes
//! 100,000 old tickets, while visitors tap through the screens.
//!
//! The UI thread is played by this bench's main thread under Slint's headless backend: every
//! 16 ms (a frame at 60 Hz) it lets Slint's timers run (the kiosk's tick), hands over the news
//! that arrived (what Slint's event loop does), and now and then a visitor taps a language, a
//! service and "done". The time each frame's work takes is what the screen would freeze for.
//! The figure to reach: never more than 16 ms.
//!
//! `cargo bench --bench ui_thread` (LOKET_BENCH_DIR picks the disk the store is on; the default
//! is the temp dir).

use std::sync::Arc;
use std::time::{Duration, Instant};

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use loket::clock::SystemClock;
use loket::config::Config;
use loket::ui::inbox::ManualUiThread;
use loket::{AppWindow, KioskAdapter, Screen};
use slint::ComponentHandle;

const OLD_TICKETS: usize = 100_000;
const SECONDS: u64 = 12;
const FRAME: Duration = Duration::from_millis(16);
const CALLS_PER_SECOND: u64 = 50;
const TICKETS_PER_SECOND: u64 = 50;

/// Taps the button labelled `label`; returns how long the kiosk's own work took (finding the
/// button, which only the test backend does, is not counted).
fn tap(window: &AppWindow, label: &str) -> Duration {
    let button = ElementHandle::find_by_accessible_label(window, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no button {label:?}"));
    let tapped = Instant::now();
    button.invoke_accessible_default_action();
    tapped.elapsed()
}

/// 100,000 tickets of days long past (older than `retention_days`), all served: what the
/// nightly tidy-up deletes.
fn old_tickets(store_path: &std::path::Path) {
    let mut db = rusqlite::Connection::open(store_path).unwrap();
    let tx = db.transaction().unwrap();
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO ticket (service_day, prefix, number, issued_service, service, language,
                     issued_at, state, desk, called_at, finished_at)
                 VALUES (?1, 'E', ?2, 'email', 'email', 'nl', ?3, 'served', 'desk-1', ?3, ?3)",
            )
            .unwrap();
        for n in 0..OLD_TICKETS {
            let day =
                jiff::civil::date(2023, 1, 1).checked_add(jiff::Span::new().days((n / 300) as i64)).unwrap();
            let at = format!("{day}T10:00:00Z");
            insert.execute(rusqlite::params![day.to_string(), (n % 300) as i64 + 1, at]).unwrap();
        }
    }
    tx.commit().unwrap();
}

fn main() {
    i_slint_backend_testing::init_no_event_loop();
    let base = std::env::var_os("LOKET_BENCH_DIR").map(Into::into).unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base).expect("a temp dir for the store");
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.path().to_path_buf();
    config.speech = loket::config::Speech::Simulated;
    config.hours = loket::config::OpeningHours::always_open();
    // Make the store with its schema, then fill it with old days.
    drop(loket::store::Store::open(&dir.path().join(loket::setup::STORE_FILE)).unwrap());
    old_tickets(&dir.path().join(loket::setup::STORE_FILE));

    let parts = loket::setup::kiosk_parts(config, Arc::new(SystemClock)).expect("the kiosk's parts");
    let help_point = parts.help_point.clone();
    let web_state = loket::web::WebState::new(help_point.clone(), parts.config.clone());
    let window = AppWindow::new().unwrap();
    window.window().set_size(slint::PhysicalSize::new(800, 480));
    let manual = ManualUiThread::default();
    let backlight = Box::new(loket::after_hours::SimulatedBacklight::default());
    let kiosk = loket::ui::Kiosk::wire_with(&window, parts, backlight, Some(manual.clone()));

    // The staff console and the API: a real server on loopback, hammered from another runtime.
    let server = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = server.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        server.block_on(loket::web::serve(listener, web_state, std::future::pending()))
    });
    let load = std::thread::spawn(move || hammer(&base_url));

    // The nightly tidy-up, a few seconds in, on the help point's own thread.
    let tidy_help_point = help_point.clone();
    let tidy = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        let started = Instant::now();
        let today = jiff::Zoned::now().date();
        let tidied = loket::maintenance::tidy_help_point(&tidy_help_point, today, 365).expect("tidied");
        (started.elapsed(), tidied)
    });

    let mut frames: Vec<Duration> = Vec::new();
    let mut taps: Vec<Duration> = Vec::new();
    let started = Instant::now();
    let mut next_frame = started;
    let mut frame = 0u64;
    while started.elapsed() < Duration::from_secs(SECONDS) {
        next_frame += FRAME;
        let work = Instant::now();
        let mut not_counted = Duration::ZERO;
        i_slint_backend_testing::mock_elapsed_time(FRAME);
        manual.run_pending();
        // A visitor every second: a language, then a service; "done" half a second later.
        let mut visitor = |label: &str| {
            let found = Instant::now();
            let took = tap(&window, label);
            not_counted += found.elapsed() - took;
            taps.push(took);
        };
        match frame % 60 {
            0 => visitor("English"),
            5 => visitor("E-mail"),
            30 if window.global::<KioskAdapter>().get_screen() == Screen::Ticket => visitor("Done"),
            _ => {}
        }
        frames.push(work.elapsed() - not_counted);
        frame += 1;
        if let Some(wait) = next_frame.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    let (tidy_time, tidied) = tidy.join().unwrap();
    let (calls, tickets) = load.join().unwrap();
    let visitors = help_point.run(|hp| hp.queue().tickets().filter(|t| t.language == "en").count()).unwrap();
    drop(kiosk);

    frames.sort();
    taps.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p99 = frames[frames.len() * 99 / 100];
    let over = frames.iter().filter(|d| **d > FRAME).count();
    println!(
        "ui_thread: {} frames in {SECONDS} s; frame work p50 {:.2} ms, p99 {:.2} ms, longest {:.2} ms; \
         {over} frames over 16 ms; longest tap {:.2} ms",
        frames.len(),
        ms(frames[frames.len() / 2]),
        ms(p99),
        ms(*frames.last().unwrap()),
        ms(*taps.last().unwrap()),
    );
    println!(
        "ui_thread: meanwhile {calls} call-next and {tickets} tickets over HTTP, {visitors} tickets tapped \
         on screen, and the nightly tidy-up ({tidied}) took {:.0} ms on the help point's thread",
        ms(tidy_time),
    );
}

/// 50 call-next and 50 tickets a second for the bench's duration; returns how many were done.
fn hammer(base_url: &str) -> (u64, u64) {
    let clients = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    clients.block_on(async move {
        let http = loket::tls::client().build().unwrap();
        let signed_in = http
            .post(format!("{base_url}/api/v1/session"))
            .json(&serde_json::json!({ "desk": "desk-1", "pin": "2468" }))
            .send()
            .await
            .expect("sign in");
        let cookie =
            signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let session: serde_json::Value = signed_in.json().await.unwrap();
        let csrf = session["csrf_token"].as_str().unwrap().to_owned();
        let mut every =
            tokio::time::interval(Duration::from_millis(1000 / CALLS_PER_SECOND.max(TICKETS_PER_SECOND)));
        let (mut calls, mut tickets) = (0, 0);
        let until = Instant::now() + Duration::from_secs(SECONDS);
        while Instant::now() < until {
            every.tick().await;
            let call = http
                .post(format!("{base_url}/api/v1/desks/desk-1/call-next"))
                .header("cookie", &cookie)
                .header("x-csrf-token", &csrf)
                .json(&serde_json::json!({}))
                .send();
            let ticket = http
                .post(format!("{base_url}/api/v1/tickets"))
                .header("cookie", &cookie)
                .header("x-csrf-token", &csrf)
                .json(&serde_json::json!({ "service": "email", "language": "nl" }))
                .send();
            let (call, ticket) = tokio::join!(call, ticket);
            calls += u64::from(call.is_ok_and(|r| r.status().is_success() || r.status().as_u16() == 409));
            tickets += u64::from(ticket.is_ok_and(|r| r.status().is_success()));
        }
        (calls, tickets)
    })
}
