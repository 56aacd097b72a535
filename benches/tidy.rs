//! How long the nightly tidy-up takes on a store of a year at a busy help point, and how long a
//! visitor's tap waits for it meanwhile.
//!
//! Run with `cargo bench --bench tidy`. Set `LOKET_BENCH_DIR` to measure on a particular disk
//! (default: the system's temp dir).
//!
//! The store holds 365 days of 274 tickets (100,010 in all; each called, then served or not
//! there), 10 screenings of 5 exercises and 10 tutorial sessions a day; the retention is 90
//! days, so about three quarters of it goes. The same store is tidied twice, while a second
//! thread takes a ticket every 20 ms through the help point's owner, as a desk's call or the API
//! does (the screen itself never waits: `benches/ui_thread.rs`):
//!
//! - "in one go": the whole tidy-up as one command to the help point's owner (what the nightly
//!   thread did before, holding the help point's lock);
//! - "a day at a time": `maintenance::tidy_help_point`, one command per day.
//!
//! It prints the tidy-up's time and how long the taps took meanwhile (waiting for the owner and
//! their own commit; a tap alone is one fsync).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use loket::clock::ManualClock;
use loket::config::Config;
use loket::help_point::{HelpPoint, queue_rules};
use loket::maintenance;
use loket::queue::Queue;
use loket::screening::{ItemEnding, ItemResult, Level, Referral, ScreeningRun, StepResult, TutorialRun};
use loket::store::{NewScreening, Store};
use loket::xapi::Statement;

const DAYS: i64 = 365;
const TICKETS_PER_DAY: usize = 274;
const SCREENINGS_PER_DAY: usize = 10;
const TUTORIALS_PER_DAY: usize = 10;
const RETENTION_DAYS: u32 = 90;
const TAP_EVERY: Duration = Duration::from_millis(20);

fn main() {
    let base = std::env::var_os("LOKET_BENCH_DIR").map(Into::into).unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base).expect("a temp dir for the store");
    let first_day = date(2026, 1, 1);
    let today = first_day.checked_add(DAYS.days()).expect("a day");

    let started = Instant::now();
    let year = dir.path().join("year.sqlite");
    let tickets = fill(&year, first_day);
    println!(
        "a year at a busy help point: {tickets} tickets, {} screenings, {} tutorial sessions over {DAYS} days \
         (filled in {:.1} s, store in {})",
        SCREENINGS_PER_DAY as i64 * DAYS,
        TUTORIALS_PER_DAY as i64 * DAYS,
        started.elapsed().as_secs_f64(),
        base.display()
    );

    for (name, by_day) in [("in one go", false), ("a day at a time", true)] {
        let copy = dir.path().join(format!("{}.sqlite", name.replace(' ', "-")));
        std::fs::copy(&year, &copy).expect("a copy of the store");
        let (tidy_time, tidied, mut taps) = tidy_while_tapping(&copy, today, by_day);
        taps.sort();
        let median = taps.get(taps.len() / 2).copied().unwrap_or_default();
        let longest = taps.last().copied().unwrap_or_default();
        println!(
            "  tidy-up {name:<16} {:>6.0} ms; {:>4} taps, median {:>6.1} ms, longest {:>7.1} ms",
            ms(tidy_time),
            taps.len(),
            ms(median),
            ms(longest)
        );
        println!("    {tidied}");
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Fills a store at `path` with [`DAYS`] days from `first_day`, one transaction per day for the
/// tickets (as if recorded live; the events are counted as dropped, not queued, to keep the
/// outbox out of it). Returns the number of tickets.
fn fill(path: &std::path::Path, first_day: Date) -> usize {
    let config = Config::sample();
    let services: Vec<&str> = config.services.iter().map(|s| s.id.as_str()).collect();
    let desk_of = |service: &str| {
        let desk = config.desks.iter().find(|d| d.services.iter().any(|s| s == service));
        desk.expect("every service has a desk").id.clone()
    };
    let mut store = Store::open(path).expect("store");
    store.set_outbox_max(0);
    let mut queue = Queue::new(queue_rules(&config));
    let mut tickets = 0;
    for n in 0..DAYS {
        let day = first_day.checked_add(n.days()).expect("a day");
        let opening = day.at(8, 0, 0, 0).to_zoned(TimeZone::UTC).expect("a time").timestamp();
        let at = |seconds: i64| opening.checked_add(SignedDuration::from_secs(seconds)).expect("a time");
        let mut events = queue.roll_over(at(0));
        for i in 0..TICKETS_PER_DAY {
            let t = i as i64 * 100;
            let service = services[i % services.len()];
            events.extend(queue.issue(service, "nl", at(t)).expect("a ticket").1);
            let desk = desk_of(service);
            events.extend(queue.call_next(&desk, at(t + 30)).expect("a call"));
            if i % 10 == 9 {
                events.extend(queue.no_show(&desk, at(t + 60)).expect("a no-show"));
            } else {
                events.extend(queue.served(&desk, None, at(t + 90)).expect("served"));
            }
            tickets += 1;
        }
        store.record(&events).expect("a day of tickets");
        for i in 0..SCREENINGS_PER_DAY {
            let code = format!("{:03}-{:03}", n, i);
            let run = screening(at(i as i64 * 600));
            let levels = [Level::OnOwn, Level::WithHelp, Level::NotYet, Level::OnOwn, Level::WithHelp];
            let competences = [("1.1".to_owned(), Level::WithHelp), ("2.1".to_owned(), Level::NotYet)];
            let referral = Referral { outcome: "group-session".into(), label: "Digisessie".into() };
            let new = NewScreening {
                code: &code,
                day,
                run: &run,
                levels: &levels,
                competences: &competences,
                referral: &referral,
                statements: &[],
            };
            assert!(store.record_screening(&new).expect("a screening"), "code {code} free");
        }
        for i in 0..TUTORIALS_PER_DAY {
            let run = tutorial(at(i as i64 * 600));
            let statement =
                Statement { id: uuid::Uuid::new_v4(), timestamp: run.ended_at, json: serde_json::json!({}) };
            let session = uuid::Uuid::new_v4().to_string();
            store.record_tutorial(&run, &session, day, &statement).expect("a tutorial session");
        }
    }
    store.checkpoint().expect("checkpoint");
    tickets
}

fn screening(started_at: Timestamp) -> ScreeningRun {
    let step = |n: usize| StepResult {
        step_id: format!("s{n:02}"),
        done: n.is_multiple_of(2),
        wrong_taps: 1,
        risky_taps: 0,
        hint_level: 1,
        time_ms: 8_000,
        first_action_ms: Some(1_200),
    };
    let item = |id: &str| ItemResult {
        item_id: id.into(),
        version: 1,
        digcomp: vec!["1.1".into(), "2.1".into()],
        digcomp_version: "2.2".into(),
        ending: ItemEnding::Completed,
        steps: (0..4).map(step).collect(),
        duration_ms: 40_000,
    };
    let ids = ["x01-touch-warmup", "x02-find-the-app", "x03-form", "x04-mail-reply", "x05-video-call"];
    ScreeningRun {
        language: "nl".into(),
        instructions_language: None,
        started_at,
        ended_at: started_at.checked_add(SignedDuration::from_mins(12)).expect("a time"),
        finished: true,
        items: ids.iter().map(|id| item(id)).collect(),
    }
}

fn tutorial(started_at: Timestamp) -> TutorialRun {
    TutorialRun {
        tutorial_id: "t02-email".into(),
        version: 1,
        digcomp: vec!["2.1".into()],
        language: "nl".into(),
        instructions_language: None,
        started_at,
        ended_at: started_at.checked_add(SignedDuration::from_mins(6)).expect("a time"),
        completed: true,
        steps_done: 8,
        steps_total: 8,
        hints: 1,
        wrong_taps: 0,
    }
}

/// Tidies the store at `path` while another thread takes a ticket every [`TAP_EVERY`]; returns
/// the tidy-up's time, what it did and how long each tap took.
fn tidy_while_tapping(
    path: &std::path::Path,
    today: Date,
    by_day: bool,
) -> (Duration, maintenance::Tidied, Vec<Duration>) {
    let config = Config::sample();
    let opening = today.at(9, 0, 0, 0).to_zoned(TimeZone::UTC).expect("a time").timestamp();
    let clock = Arc::new(ManualClock::new(opening));
    let store = Store::open(path).expect("store");
    let owner = loket::owner::HelpPointOwner::start(
        HelpPoint::open(queue_rules(&config), store, clock).expect("help point"),
    )
    .expect("the help point's thread");
    let help_point = owner.handle();
    let services: Vec<String> = config.services.iter().map(|s| s.id.clone()).collect();
    let tidying = Arc::new(AtomicBool::new(true));

    let tapper = {
        let (help_point, tidying) = (help_point.clone(), tidying.clone());
        std::thread::spawn(move || {
            let mut taps = Vec::new();
            while tidying.load(Ordering::SeqCst) {
                std::thread::sleep(TAP_EVERY);
                let start = Instant::now();
                let service = &services[taps.len() % services.len()];
                let service = service.clone();
                help_point
                    .run(move |hp| hp.take_ticket(&service, "nl"))
                    .expect("help point")
                    .expect("a ticket");
                taps.push(start.elapsed());
            }
            taps
        })
    };
    // Let the tapper get going before the tidy-up starts.
    std::thread::sleep(TAP_EVERY * 3);
    let start = Instant::now();
    let tidied = if by_day {
        maintenance::tidy_help_point(&help_point, today, RETENTION_DAYS).expect("tidy-up")
    } else {
        help_point
            .run(move |hp| maintenance::tidy(hp.store(), today, RETENTION_DAYS))
            .expect("help point")
            .expect("tidy-up")
    };
    let took = start.elapsed();
    tidying.store(false, Ordering::SeqCst);
    let taps = tapper.join().expect("the tapper");
    (took, tidied, taps)
}
