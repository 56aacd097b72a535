//! How much each ticket writes into SQLite's write-ahead log, and how big the store's files are
//! after a day of 1,000 tickets at a busy help point: space and wear on the kiosk's SD card.
//!
//! Run with `cargo bench --bench store_wal`. Set `LOKET_BENCH_DIR` to measure on a particular
//! disk (default: the system's temp dir).
//!
//! - "WAL bytes per ticket": 100 times, the log is emptied (TRUNCATE) and one ticket issued; the
//!   log's size then is what that ticket wrote (the mean is shown).
//! - "after 1,000 tickets": a new store, 1,000 tickets (each called and served, as at a desk)
//!   through the help point's owner, the way the kiosk runs; then the sizes of the store file
//!   and of its log, before the owner stops (stopping checkpoints), and how long reading the
//!   queue back takes, as at start-up.

use std::sync::Arc;
use std::time::Instant;

use jiff::SignedDuration;
use loket::clock::ManualClock;
use loket::config::Config;
use loket::help_point::{HelpPoint, queue_rules};
use loket::owner::HelpPointOwner;
use loket::store::Store;

const SAMPLE: usize = 100;
const DAY: usize = 1000;

fn main() {
    let base = std::env::var_os("LOKET_BENCH_DIR").map(Into::into).unwrap_or_else(std::env::temp_dir);
    let config = Config::sample();
    let services: Vec<String> = config.services.iter().map(|s| s.id.clone()).collect();
    println!("the store's write-ahead log (store in {}):", base.display());

    // Bytes per ticket.
    let dir = tempfile::tempdir_in(&base).expect("a temp dir for the store");
    let path = dir.path().join("loket.sqlite");
    let clock = Arc::new(ManualClock::new("2026-11-30T08:00:00Z".parse().unwrap()));
    let store = Store::open(&path).expect("store");
    let mut hp = HelpPoint::open(queue_rules(&config), store, clock.clone()).expect("help point");
    for i in 0..20 {
        hp.take_ticket(&services[i % services.len()], "nl").expect("ticket");
    }
    // Each ticket alone into an emptied log: the log's size is what it wrote.
    let mut written = 0;
    for i in 0..SAMPLE {
        hp.store().checkpoint().expect("checkpoint");
        clock.advance(SignedDuration::from_secs(1));
        hp.take_ticket(&services[i % services.len()], "nl").expect("ticket");
        written += size(&wal(&path));
    }
    let per_ticket = written / SAMPLE as u64;
    println!("  WAL bytes per ticket issued: {per_ticket} ({:.1} KiB)", per_ticket as f64 / 1024.0);
    drop(hp);

    // A day of 1,000 tickets, as the kiosk runs.
    let dir = tempfile::tempdir_in(&base).expect("a temp dir for the store");
    let path = dir.path().join("loket.sqlite");
    let clock = Arc::new(ManualClock::new("2026-11-30T07:00:00Z".parse().unwrap()));
    let store = Store::open(&path).expect("store");
    let hp = HelpPoint::open(queue_rules(&config), store, clock.clone()).expect("help point");
    let owner = HelpPointOwner::start(hp).expect("owner");
    let handle = owner.handle();
    let desks: Vec<String> = config.desks.iter().map(|d| d.id.clone()).collect();
    let started = Instant::now();
    let mut largest_wal = 0;
    for i in 0..DAY {
        clock.advance(SignedDuration::from_secs(30));
        let service = services[i % services.len()].clone();
        handle.run(move |hp| hp.take_ticket(&service, "nl").map(|_| ())).unwrap().expect("ticket");
        for desk in &desks {
            let desk = desk.clone();
            // A desk may serve none of the waiting services: that is a refusal, not a fault.
            let _ = handle.run(move |hp| hp.call_next(&desk).and_then(|_| hp.served(&desk, None))).unwrap();
        }
        largest_wal = largest_wal.max(size(&wal(&path)));
    }
    handle.sync().unwrap();
    let tickets = handle.run(|hp| hp.store().ticket_count()).unwrap().expect("count");
    println!(
        "  after {tickets} tickets (each called and served; {:.1} s): store file {} KiB, WAL {} KiB \
         (largest meanwhile {} KiB)",
        started.elapsed().as_secs_f64(),
        size(&path) / 1024,
        size(&wal(&path)) / 1024,
        largest_wal / 1024
    );
    // Open and served tickets have no index: start-up reads the ticket table through.
    let (read, tickets) = handle
        .run(|hp| {
            let started = Instant::now();
            hp.store().snapshot(20).map(|s| (started.elapsed(), s.tickets.len()))
        })
        .unwrap()
        .expect("snapshot");
    println!(
        "  reading the queue back as at start-up: {:.1} ms ({tickets} tickets)",
        read.as_secs_f64() * 1000.0
    );
    drop(owner);
    println!("  after stopping: store file {} KiB, WAL {} KiB", size(&path) / 1024, size(&wal(&path)) / 1024);
}

fn wal(path: &std::path::Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

fn size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}
