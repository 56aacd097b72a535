//! How long it takes to issue a ticket, commit included: the time between a visitor's tap
//! and the number being safe on disk (SQLite, WAL, `synchronous=FULL`).
//!
//! Run with `cargo bench --bench issue_ticket`. Set `LOKET_BENCH_DIR` to measure on a
//! particular disk (default: the system's temp dir). Goal: median under 2 ms.
//!
//! A day is realistic at a help point with up to a few hundred tickets, so the clock moves to
//! the next day every 300 tickets (outside the timed part).

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::SignedDuration;
use loket::clock::ManualClock;
use loket::config::Config;
use loket::help_point::{HelpPoint, queue_rules};
use loket::store::Store;

const TICKETS: usize = 3000;
const PER_DAY: usize = 300;

fn main() {
    let base = std::env::var_os("LOKET_BENCH_DIR").map(Into::into).unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base).expect("a temp dir for the store");
    let config = Config::sample();
    let clock = Arc::new(ManualClock::new("2026-11-30T08:00:00Z".parse().unwrap()));
    let store = Store::open(&dir.path().join("bench.sqlite")).expect("store");
    let mut hp = HelpPoint::open(queue_rules(&config), store, clock.clone()).expect("help point");
    let services: Vec<&str> = config.services.iter().map(|s| s.id.as_str()).collect();

    let mut times = Vec::with_capacity(TICKETS);
    for i in 0..TICKETS {
        if i > 0 && i % PER_DAY == 0 {
            clock.advance(SignedDuration::from_hours(24));
            hp.roll_over().expect("roll over");
        }
        clock.advance(SignedDuration::from_secs(1));
        let service = services[i % services.len()];
        let start = Instant::now();
        hp.take_ticket(service, "nl").expect("ticket");
        times.push(start.elapsed());
    }
    times.sort();
    let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "issue a ticket, commit included ({TICKETS} tickets, synchronous=FULL, store in {}):",
        base.display()
    );
    println!(
        "  median {:.3} ms   p95 {:.3} ms   p99 {:.3} ms   max {:.3} ms   (goal: median < 2 ms)",
        ms(pct(0.5)),
        ms(pct(0.95)),
        ms(pct(0.99)),
        ms(*times.last().unwrap())
    );
    // A durable commit cannot be faster than one fsync of the disk it lands on.
    println!("  the disk's floor: one 4 KiB write + fsync, median {:.3} ms", ms(fsync_floor(dir.path())));
}

/// The median time of a 4 KiB write followed by fsync, in `dir`.
fn fsync_floor(dir: &std::path::Path) -> Duration {
    use std::io::Write;
    let mut file = std::fs::File::create(dir.join("fsync-probe")).expect("probe file");
    let block = [0u8; 4096];
    let mut times: Vec<Duration> = (0..200)
        .map(|_| {
            file.write_all(&block).expect("write");
            let start = Instant::now();
            file.sync_all().expect("fsync");
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}
