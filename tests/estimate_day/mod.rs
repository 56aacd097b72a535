//! A simulated day at a help point, to measure the wait shown to walk-ins against the wait they
//! really had: before issue 15 (everyone ahead at the visitor's own service's average, shared
//! over the open desks) and after (the desks played forward, each ticket at its own service's
//! time, appointments taking their desk).
//!
//! The day is seeded, so every figure can be reproduced: visitors arrive from 9:00 to 16:30
//! with a morning peak; five services take different times (drawn around their mean with a
//! spread of half of it); three desks serve different services, two take a break at noon and
//! one works 10:30–15:00; ten appointments take their desk at their time. It drives the real
//! [`Queue`] through its public actions, with a clock of its own (15-second steps). It must not
//! read the real clock or touch anything outside memory.
//!
//! Shared by `tests/wait_estimate_day.rs` (asserts) and `benches/estimate.rs` (prints).

#![allow(dead_code)] // each user takes its own part

use std::collections::HashMap;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use loket::queue::{DeskRule, EventKind, Queue, QueueRules, ServiceRule, TicketId, WaitEstimate};
use loket::wait_estimate::DueAppointment;

/// The services of the day: id, prefix, mean minutes, share of the walk-ins.
const SERVICES: [(&str, &str, f64, f64); 5] = [
    ("email", "E", 12.0, 0.25),
    ("appointment", "A", 20.0, 0.10),
    ("tablet", "T", 6.0, 0.20),
    ("question", "Q", 3.0, 0.30),
    ("smartphone", "S", 15.0, 0.15),
];

/// A desk: id, services, when it works (local minutes after midnight, from–to), its break.
struct DeskPlan {
    id: &'static str,
    services: &'static [&'static str],
    works: (i64, i64),
    pause: Option<(i64, i64)>,
}

const DESKS: [DeskPlan; 3] = [
    DeskPlan {
        id: "desk-1",
        services: &["email", "appointment", "question"],
        works: (9 * 60, 24 * 60),
        pause: Some((12 * 60, 12 * 60 + 30)),
    },
    DeskPlan {
        id: "desk-2",
        services: &["smartphone", "tablet", "question"],
        works: (9 * 60, 24 * 60),
        pause: Some((12 * 60 + 30, 13 * 60)),
    },
    DeskPlan {
        id: "desk-3",
        services: &["email", "tablet", "question", "smartphone"],
        works: (10 * 60 + 30, 15 * 60),
        pause: None,
    },
];

/// The day's appointments: local time (h, m), service, desk.
const APPOINTMENTS: [((i64, i64), &str, &str); 10] = [
    ((9, 30), "appointment", "desk-1"),
    ((10, 0), "smartphone", "desk-2"),
    ((10, 30), "appointment", "desk-1"),
    ((11, 0), "appointment", "desk-1"),
    ((11, 30), "smartphone", "desk-2"),
    ((13, 30), "appointment", "desk-1"),
    ((14, 0), "smartphone", "desk-2"),
    ((14, 30), "appointment", "desk-1"),
    ((15, 0), "appointment", "desk-1"),
    ((15, 30), "smartphone", "desk-2"),
];

/// Minutes planned for one appointment.
const APPOINTMENT_MINUTES: u32 = 20;

/// Walk-ins per minute at a local time (minutes after midnight): a morning peak.
fn arrival_rate(minute: i64) -> f64 {
    match minute {
        m if m < 9 * 60 => 0.0,
        m if m < 9 * 60 + 30 => 0.15,
        m if m < 11 * 60 => 0.35,
        m if m < 13 * 60 => 0.20,
        m if m < 16 * 60 + 30 => 0.15,
        _ => 0.0,
    }
}

const STEP_SECONDS: i64 = 15;

/// A small seeded generator (xorshift64*), so a day can be replayed.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A visit of about `mean` minutes: log-normal with a standard deviation of half the mean.
    fn minutes_around(&mut self, mean: f64) -> f64 {
        let sigma2 = (1.0f64 + 0.25).ln();
        let mu = mean.ln() - sigma2 / 2.0;
        let normal = (-2.0 * (1.0 - self.unit()).ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos();
        (mu + sigma2.sqrt() * normal).exp().max(0.5)
    }
}

/// What one walk-in was shown, and what really happened.
#[derive(Debug, Clone)]
pub struct Shown {
    pub service: String,
    pub issued_at: Timestamp,
    /// Today's formula (before issue 15).
    pub before: Option<WaitEstimate>,
    /// The new estimate as the queue gives it until appointments are fed in.
    pub after_without_appointments: Option<WaitEstimate>,
    /// The new estimate with the day's appointments due.
    pub after: Option<WaitEstimate>,
    /// Minutes from the ticket to its call.
    pub real_minutes: Option<f64>,
}

/// The queue rules of the simulated help point.
pub fn rules() -> QueueRules {
    QueueRules {
        services: SERVICES
            .iter()
            .map(|(id, prefix, _, _)| ServiceRule { id: id.to_string(), prefix: prefix.to_string() })
            .collect(),
        desks: DESKS
            .iter()
            .map(|d| DeskRule {
                id: d.id.into(),
                services: d.services.iter().map(|s| s.to_string()).collect(),
            })
            .collect(),
        time_zone: TimeZone::get("Europe/Brussels").expect("the Brussels time zone"),
        default_service_time: SignedDuration::from_mins(8),
        recent_services: 20,
    }
}

fn local(day_start: Timestamp, minute: f64) -> Timestamp {
    day_start + SignedDuration::from_secs_f64(minute * 60.0)
}

struct Appointment {
    at: Timestamp,
    arrives: Timestamp,
    service: &'static str,
    desk: &'static str,
    started: bool,
}

/// Runs one day with `seed` and returns every walk-in's shown and real wait.
pub fn simulate_day(seed: u64) -> Vec<Shown> {
    let mut dice = Dice::new(seed);
    let rules = rules();
    let midnight = jiff::civil::date(2026, 12, 2)
        .at(0, 0, 0, 0)
        .to_zoned(rules.time_zone.clone())
        .expect("a local midnight")
        .timestamp();
    let mut queue = Queue::new(rules);
    let mut appointments: Vec<Appointment> = APPOINTMENTS
        .iter()
        .map(|((h, m), service, desk)| {
            let minute = (h * 60 + m) as f64;
            Appointment {
                at: local(midnight, minute),
                arrives: local(midnight, minute - 10.0 * dice.unit()),
                service,
                desk,
                started: false,
            }
        })
        .collect();
    let mean_of = |service: &str| SERVICES.iter().find(|s| s.0 == service).map_or(8.0, |s| s.2);
    let mut shown: Vec<Shown> = Vec::new();
    let mut index: HashMap<TicketId, usize> = HashMap::new();
    let mut busy_until: Vec<Option<Timestamp>> = vec![None; DESKS.len()];

    let mut step = 0i64;
    loop {
        let minute = 9 * 60 - 5 + step * STEP_SECONDS / 60;
        let now = midnight + SignedDuration::from_secs(9 * 3600 - 300 + step * STEP_SECONDS);
        step += 1;

        // The desks first: finish, take a break, take an appointment or call the next.
        for (d, plan) in DESKS.iter().enumerate() {
            if busy_until[d].is_some_and(|until| until <= now) {
                queue.served(plan.id, None, now).expect("served");
                busy_until[d] = None;
            }
            if busy_until[d].is_some() {
                continue;
            }
            let working = minute >= plan.works.0
                && minute < plan.works.1
                && !plan.pause.is_some_and(|(from, to)| minute >= from && minute < to);
            if !working {
                queue.pause(plan.id, now).expect("pause");
                continue;
            }
            queue.resume_desk(plan.id, now).expect("resume");
            if let Some(a) = appointments
                .iter_mut()
                .find(|a| !a.started && a.desk == plan.id && a.at <= now && a.arrives <= now)
            {
                a.started = true;
                let (ticket, _) = queue.issue(a.service, "nl", now).expect("an appointment's ticket");
                queue.call_ticket(plan.id, ticket.id, now).expect("the appointment is called");
                let minutes = dice.minutes_around(f64::from(APPOINTMENT_MINUTES));
                busy_until[d] = Some(local(now, minutes));
                continue;
            }
            if let Ok(events) = queue.call_next(plan.id, now) {
                for event in &events {
                    if let EventKind::TicketCalled { ticket, .. } = &event.kind {
                        if let Some(&i) = index.get(&ticket.id) {
                            let waited = now.duration_since(shown[i].issued_at).as_secs_f64() / 60.0;
                            shown[i].real_minutes = Some(waited);
                        }
                        busy_until[d] = Some(local(now, dice.minutes_around(mean_of(&ticket.service))));
                    }
                }
            }
        }

        // Then the visitors who arrive in this step.
        if dice.unit() < arrival_rate(minute) * STEP_SECONDS as f64 / 60.0 {
            let pick = dice.unit();
            let mut share = 0.0;
            let service = SERVICES
                .iter()
                .find(|s| {
                    share += s.3;
                    pick < share
                })
                .map_or("question", |s| s.0);
            let (ticket, _) = queue.issue(service, "nl", now).expect("a walk-in's ticket");
            let due: Vec<DueAppointment> = appointments
                .iter()
                .filter(|a| !a.started)
                .map(|a| DueAppointment {
                    at: a.at,
                    service: a.service.into(),
                    desk: Some(a.desk.into()),
                    minutes: APPOINTMENT_MINUTES,
                })
                .collect();
            let after = queue.position_at(ticket.id, now, &due).expect("a position").wait;
            let after_without_appointments = queue.position_at(ticket.id, now, &[]).expect("a position").wait;
            index.insert(ticket.id, shown.len());
            shown.push(Shown {
                service: service.into(),
                issued_at: now,
                before: todays_formula(&queue, ticket.id),
                after_without_appointments,
                after,
                real_minutes: None,
            });
        }

        let done = minute > 16 * 60 + 30
            && queue.waiting().next().is_none()
            && busy_until.iter().all(Option::is_none)
            && appointments.iter().all(|a| a.started);
        if done || minute > 23 * 60 {
            return shown;
        }
    }
}

/// The wait as Loket showed it before issue 15: everyone ahead at this ticket's service's
/// average, plus half a visit per busy desk, shared over the open desks of the service; from
/// 75 % to 150 % of that, rounded out to 5 minutes.
pub fn todays_formula(queue: &Queue, id: TicketId) -> Option<WaitEstimate> {
    let ticket = queue.ticket(id)?;
    let people_ahead = queue.position_at(id, ticket.issued_at, &[]).ok()?.people_ahead;
    let desks: Vec<&DeskRule> =
        queue.rules().desks.iter().filter(|d| d.services.contains(&ticket.service)).collect();
    let open = desks.iter().filter(|d| !queue.is_paused(&d.id)).count();
    let busy = desks.iter().filter(|d| queue.current_ticket(&d.id).is_some()).count();
    (open > 0).then(|| {
        let per_visitor = queue.average_service_time(&ticket.service).as_secs_f64();
        let seconds = per_visitor * (people_ahead as f64 + 0.5 * busy as f64) / open as f64;
        let minutes = seconds / 60.0;
        let low = ((minutes * 0.75) / 5.0).floor() as u32 * 5;
        let high = (((minutes * 1.5) / 5.0).ceil() as u32 * 5).max(low + 5);
        WaitEstimate { low_minutes: low, high_minutes: high }
    })
}

/// How far the shown waits were from the real ones, over the walk-ins shown a range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Errors {
    /// Walk-ins shown a range (and called).
    pub count: usize,
    /// Walk-ins shown no estimate (no open desk for their service at the time).
    pub unknown: usize,
    /// Mean of |middle of the range − real wait|, in minutes.
    pub mean_absolute: f64,
    /// 90th percentile of the same.
    pub p90: f64,
    /// Share of the real waits inside the range (its ends included).
    pub inside: f64,
    /// Mean width of the range, in minutes.
    pub mean_width: f64,
    /// Mean of (middle of the range − real wait): above 0 the waits shown are too long.
    pub bias: f64,
}

/// The errors of one way of showing the wait, over any number of days.
pub fn errors<'a>(
    shown: impl IntoIterator<Item = &'a Shown>,
    pick: fn(&Shown) -> Option<WaitEstimate>,
) -> Errors {
    let mut misses = Vec::new();
    let (mut inside, mut width, mut unknown, mut bias) = (0usize, 0.0, 0usize, 0.0);
    for s in shown {
        let Some(real) = s.real_minutes else { continue };
        let Some(range) = pick(s) else {
            unknown += 1;
            continue;
        };
        let (low, high) = (f64::from(range.low_minutes), f64::from(range.high_minutes));
        misses.push(((low + high) / 2.0 - real).abs());
        bias += (low + high) / 2.0 - real;
        inside += usize::from(low <= real && real <= high);
        width += high - low;
    }
    misses.sort_by(f64::total_cmp);
    let count = misses.len();
    let n = count.max(1) as f64;
    Errors {
        count,
        unknown,
        mean_absolute: misses.iter().sum::<f64>() / n,
        p90: misses.get((count * 9).div_ceil(10).saturating_sub(1)).copied().unwrap_or(0.0),
        inside: inside as f64 / n,
        mean_width: width / n,
        bias: bias / n,
    }
}

/// The figures of `days` seeded days (seeds 1..=days), as a table.
pub fn report(days: u64) -> (String, [Errors; 3]) {
    let all: Vec<Shown> = (1..=days).flat_map(simulate_day).collect();
    let before = errors(&all, |s| s.before);
    let without = errors(&all, |s| s.after_without_appointments);
    let after = errors(&all, |s| s.after);
    let mut real: Vec<f64> = all.iter().filter_map(|s| s.real_minutes).collect();
    real.sort_by(f64::total_cmp);
    let mut table = format!(
        "{days} simulated days, {} walk-ins; real wait: mean {:.1} min, median {:.1} min, 90th pct {:.1} min\n\
         | estimate | shown | no estimate | mean abs. error | 90th pct error | mean signed error | real wait in range | mean range width |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        all.len(),
        real.iter().sum::<f64>() / real.len().max(1) as f64,
        real.get(real.len() / 2).copied().unwrap_or(0.0),
        real.get((real.len() * 9).div_ceil(10).saturating_sub(1)).copied().unwrap_or(0.0),
    );
    for (name, e) in [
        ("before (own service's average × people ahead)", before),
        ("after, no appointments known", without),
        ("after, with the day's appointments", after),
    ] {
        table += &format!(
            "| {name} | {} | {} | {:.1} min | {:.1} min | {:+.1} min | {:.0} % | {:.1} min |\n",
            e.count,
            e.unknown,
            e.mean_absolute,
            e.p90,
            e.bias,
            e.inside * 100.0,
            e.mean_width
        );
    }
    // Where the error comes from: before desk-3 opens at 10:30 (which no estimate knows in
    // advance), and after.
    table += "\nmean signed error by the time the ticket was taken (before / after without / after with appointments):\n";
    for (name, early) in [("before 10:30", true), ("from 10:30", false)] {
        let part: Vec<&Shown> = all
            .iter()
            .filter(|s| {
                let local = s.issued_at.to_zoned(TimeZone::get("Europe/Brussels").expect("tz"));
                (i64::from(local.hour()) * 60 + i64::from(local.minute()) < 10 * 60 + 30) == early
            })
            .collect();
        let e = |pick: fn(&Shown) -> Option<WaitEstimate>| errors(part.iter().copied(), pick);
        let (b, w, a) = (e(|s| s.before), e(|s| s.after_without_appointments), e(|s| s.after));
        table += &format!(
            "- {name}: {} walk-ins; {:+.1} / {:+.1} / {:+.1} min; mean abs. {:.1} / {:.1} / {:.1} min\n",
            a.count, b.bias, w.bias, a.bias, b.mean_absolute, w.mean_absolute, a.mean_absolute
        );
    }
    (table, [before, without, after])
}
