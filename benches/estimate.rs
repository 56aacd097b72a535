//! What the wait estimate costs and how right it is.
//!
//! Run with `cargo bench --bench estimate`. It times `Queue::position_at` for the last ticket
//! of a line of 50 and of 500 waiting tickets (three desks, five services, ten appointments
//! due): the estimate runs for every position shown, so it must stay far below a millisecond.
//! Then it plays 50 seeded days (see `tests/estimate_day`) and prints the error of the wait
//! shown, before issue 15 and after; `docs/wait-estimate.md` has the figures.

#[path = "../tests/estimate_day/mod.rs"]
mod estimate_day;

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use loket::queue::Queue;
use loket::wait_estimate::{self, DueAppointment};

const RUNS: usize = 2000;

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    for waiting in [50, 500] {
        let (queue, last, now, due) = a_line_of(waiting);
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let start = Instant::now();
            let position = queue.position_at(last, now, &due).expect("a position");
            times.push(start.elapsed());
            std::hint::black_box(position);
        }
        times.sort();
        let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        println!(
            "position with {waiting} waiting, 10 appointments due: median {:.1} µs   p99 {:.1} µs   max {:.1} µs",
            us(pct(0.5)),
            us(pct(0.99)),
            us(*times.last().unwrap())
        );
        // The same forecast without the queue's part (reading the line in calling order).
        let services: Vec<&str> =
            queue.waiting().take_while(|t| t.id != last).map(|t| t.service.as_str()).collect();
        let desks: Vec<wait_estimate::Desk> = queue
            .rules()
            .desks
            .iter()
            .map(|d| wait_estimate::Desk {
                id: &d.id,
                services: &d.services,
                open: true,
                busy: queue
                    .current_ticket(&d.id)
                    .map(|t| wait_estimate::Busy { service: &t.service, since: t.called_at.unwrap_or(now) }),
                closes_at: None,
            })
            .collect();
        let mine = queue.ticket(last).expect("the last ticket");
        let situation = wait_estimate::Situation {
            now,
            service: &mine.service,
            ahead: &services,
            desks: &desks,
            appointments: &due,
        };
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let start = Instant::now();
            let forecast = wait_estimate::forecast(&situation, |s| queue.service_time(s));
            times.push(start.elapsed());
            std::hint::black_box(forecast);
        }
        times.sort();
        let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        println!(
            "  of which the forecast alone:                  median {:.1} µs   p99 {:.1} µs",
            us(pct(0.5)),
            us(pct(0.99))
        );
    }
    // Set LOKET_BENCH_DAYS for more or fewer simulated days.
    let days = std::env::var("LOKET_BENCH_DAYS").ok().and_then(|d| d.parse().ok()).unwrap_or(50);
    let (table, _) = estimate_day::report(days);
    println!("{table}");
}

/// A queue with `waiting` tickets of mixed services, every desk busy, and ten appointments.
fn a_line_of(waiting: usize) -> (Queue, loket::queue::TicketId, Timestamp, Vec<DueAppointment>) {
    let rules = estimate_day::rules();
    let services: Vec<String> = rules.services.iter().map(|s| s.id.clone()).collect();
    let desks: Vec<String> = rules.desks.iter().map(|d| d.id.clone()).collect();
    let mut queue = Queue::new(rules);
    let mut now: Timestamp = "2026-12-02T08:00:00Z".parse().expect("a time");
    let mut dice = estimate_day::Dice::new(7);
    // Some history, so every service has a learned time and spread.
    for round in 0..20 {
        for desk in &desks {
            if queue.call_next(desk, now).is_ok() {
                continue;
            }
            let service = &services[(round + desk.len()) % services.len()];
            let (t, _) = queue.issue(service, "nl", now).expect("ticket");
            let _ = queue.call_ticket(desk, t.id, now);
        }
        now += SignedDuration::from_secs_f64(60.0 + 600.0 * dice.unit());
        for desk in &desks {
            let _ = queue.served(desk, None, now);
        }
    }
    for desk in &desks {
        let _ = queue.call_next(desk, now);
    }
    let mut last = None;
    for i in 0..waiting {
        let (t, _) = queue.issue(&services[i * 7 % services.len()], "nl", now).expect("ticket");
        last = Some(t.id);
    }
    let due = (0..10)
        .map(|i| DueAppointment {
            at: now + SignedDuration::from_mins(i * 30),
            service: services[i as usize % services.len()].clone(),
            desk: Some(desks[i as usize % desks.len()].clone()),
            minutes: 20,
        })
        .collect();
    (queue, last.expect("a ticket"), now, due)
}
