//! The wait shown to a visitor: when the desks will get to their ticket, worked out by playing
//! the desks forward.
//!
//! It owns the forecast for one waiting ticket: the tickets to be called before it (each at its
//! own service's learned time, not at the visitor's), the open desks with the services they
//! serve and the visitor each is busy with, and the appointments due in that time, which take
//! their desk from their time on. A small deterministic pass frees the desks one after another
//! — each free desk takes a due appointment first, else the next ticket it would call — until
//! a desk calls this ticket. The answer is a range of minutes from the learned spread, and the
//! "people before you" that includes the appointments going first.
//!
//! It must not do I/O, read a clock or know the queue's storage: everything is an argument,
//! time included. It costs O(waiting × desks + appointments × steps) per call, with no
//! allocation beyond a few vectors the size of its input, because it runs for every position
//! shown.

use jiff::{SignedDuration, Timestamp};

use crate::queue::WaitEstimate;

/// How long a service takes, learned from its recent visits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceTime {
    /// The mean of the recent service times.
    pub mean: SignedDuration,
    /// Their standard deviation: how far one visit is usually from the mean.
    pub spread: SignedDuration,
}

impl ServiceTime {
    /// What to assume without enough history: `mean`, give or take half of it.
    pub fn assumed(mean: SignedDuration) -> ServiceTime {
        ServiceTime { mean, spread: mean / 2 }
    }

    /// Learns from recent service times; with fewer than [`ServiceTime::SURE_AFTER`] of them
    /// the spread is not known yet and half the mean is assumed.
    pub fn learned(times: impl IntoIterator<Item = SignedDuration>, default: SignedDuration) -> ServiceTime {
        let (mut n, mut sum, mut squares) = (0u32, 0.0f64, 0.0f64);
        for time in times {
            let secs = time.as_secs_f64();
            n += 1;
            sum += secs;
            squares += secs * secs;
        }
        if n == 0 {
            return ServiceTime::assumed(default);
        }
        let mean = sum / f64::from(n);
        if n < ServiceTime::SURE_AFTER {
            return ServiceTime::assumed(SignedDuration::from_secs_f64(mean));
        }
        let variance = ((squares - sum * mean) / f64::from(n - 1)).max(0.0);
        ServiceTime {
            mean: SignedDuration::from_secs_f64(mean),
            spread: SignedDuration::from_secs_f64(variance.sqrt()),
        }
    }

    /// How many service times it takes before their spread is believed.
    pub const SURE_AFTER: u32 = 3;
}

/// An appointment expected at a desk and not yet started: its visitor goes before the walk-ins
/// from its time on, at its desk or, without one, at any open desk of its service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAppointment {
    /// When it starts; a time already past means "as soon as the desk is free".
    pub at: Timestamp,
    pub service: String,
    pub desk: Option<String>,
    /// How long staff planned for it.
    pub minutes: u32,
}

/// The visitor a desk is busy with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy<'a> {
    pub service: &'a str,
    pub since: Timestamp,
}

/// A desk as the forecast needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Desk<'a> {
    pub id: &'a str,
    pub services: &'a [String],
    /// A paused desk calls nobody.
    pub open: bool,
    pub busy: Option<Busy<'a>>,
    /// A desk that will close (a break, the end of its shift) starts no visit from then on.
    pub closes_at: Option<Timestamp>,
}

/// Everything the forecast for one waiting ticket looks at.
#[derive(Debug, Clone, Copy)]
pub struct Situation<'a> {
    pub now: Timestamp,
    /// The service this ticket waits for.
    pub service: &'a str,
    /// The services of the waiting tickets a desk would call before this one, in calling
    /// order. Tickets of services no open desk serves are harmless: nobody takes them.
    pub ahead: &'a [&'a str],
    pub desks: &'a [Desk<'a>],
    /// Appointments not started yet, in any order.
    pub appointments: &'a [DueAppointment],
}

/// Where a waiting ticket stands, as the forecast sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forecast {
    /// Tickets ahead whose service shares a desk with this ticket's service.
    pub tickets_ahead: u32,
    /// Appointments a desk of this ticket's service starts before calling it.
    pub appointments_first: u32,
    /// `None` when no open desk serves the service.
    pub wait: Option<WaitEstimate>,
}

/// How wide the range is: the mean ± this many standard deviations (about 80 % of a normal
/// spread falls inside).
const RANGE_SPREADS: f64 = 1.28;

/// A visitor busy past their service's mean is assumed to need this share of the mean more.
const OVERDUE_SHARE: f64 = 0.2;

/// Plays the desks forward to the moment one of them calls this ticket.
///
/// `times` gives each service's learned time; it is asked once per service involved.
pub fn forecast(situation: &Situation, times: impl Fn(&str) -> ServiceTime) -> Forecast {
    let Situation { now, service: mine, ahead, desks, appointments } = *situation;
    let mut names = Names(vec![mine]);
    let open: Vec<&Desk> = desks.iter().filter(|d| d.open).collect();
    let mut lanes: Vec<Lane> = open
        .iter()
        .map(|d| Lane {
            serves: d.services.iter().map(|s| names.index(s)).collect(),
            free_at: 0.0,
            variance: 0.0,
            cursor: 0,
            closes_at: d.closes_at.map_or(f64::INFINITY, |at| seconds_after(now, at)),
            active: true,
        })
        .collect();
    // This ticket is the last job, number `ahead.len()`.
    let jobs: Vec<usize> = ahead.iter().map(|s| names.index(s)).chain([0]).collect();
    let mut due: Vec<Due> = appointments
        .iter()
        .map(|a| Due {
            at: seconds_after(now, a.at).max(0.0),
            service: names.index(&a.service),
            lane: a.desk.as_deref().and_then(|id| open.iter().position(|d| d.id == id)),
            seconds: f64::from(a.minutes) * 60.0,
            taken: false,
        })
        .collect();
    let busy: Vec<Option<(usize, Timestamp)>> =
        open.iter().map(|d| d.busy.map(|b| (names.index(b.service), b.since))).collect();
    let learned: Vec<(f64, f64)> = names
        .0
        .iter()
        .map(|s| {
            let t = times(s);
            let mean = t.mean.as_secs_f64().max(0.0);
            (mean, t.spread.as_secs_f64().powi(2))
        })
        .collect();

    // The tickets ahead that a desk of this service would call: these people are "before you".
    let mut competing = vec![false; names.0.len()];
    for desk in desks.iter().filter(|d| d.services.iter().any(|s| s == mine)) {
        for service in desk.services {
            if let Some(i) = names.0.iter().position(|n| n == service) {
                competing[i] = true;
            }
        }
    }
    let tickets_ahead = jobs[..ahead.len()].iter().filter(|&&s| competing[s]).count() as u32;

    // Each open desk finishes its visitor first: the rest of the mean, or a little when overdue.
    for (lane, busy) in lanes.iter_mut().zip(busy) {
        if let Some((service, since)) = busy {
            let (mean, variance) = learned[service];
            let elapsed = seconds_after(since, now).max(0.0);
            let left = (mean - elapsed).max(mean * OVERDUE_SHARE);
            lane.free_at = left;
            lane.variance = if mean > 0.0 { variance * (left / mean).min(1.0) } else { 0.0 };
        }
    }
    let serves_mine = |lane: &Lane| lane.serves.contains(&0);
    if !lanes.iter().any(serves_mine) {
        return Forecast { tickets_ahead, appointments_first: 0, wait: None };
    }

    let mine_index = ahead.len();
    let mut taken = vec![false; jobs.len()];
    let mut appointments_first = 0u32;
    loop {
        // The desk that is free first (the first in the config on a tie).
        let Some(d) = (0..lanes.len())
            .filter(|&d| lanes[d].active)
            .min_by(|&a, &b| lanes[a].free_at.total_cmp(&lanes[b].free_at))
        else {
            // Every desk that could call this ticket closes before it gets there.
            return Forecast { tickets_ahead, appointments_first, wait: None };
        };
        let t = lanes[d].free_at;
        if t >= lanes[d].closes_at {
            lanes[d].active = false;
            continue;
        }
        let lane = &lanes[d];
        let can_take = |a: &Due| {
            !a.taken && (a.lane == Some(d) || (a.lane.is_none() && lane.serves.contains(&a.service)))
        };
        // An appointment due by now goes first.
        let first_due = (0..due.len())
            .filter(|&i| can_take(&due[i]) && due[i].at <= t)
            .min_by(|&a, &b| due[a].at.total_cmp(&due[b].at));
        let lane = &mut lanes[d];
        if let Some(i) = first_due {
            due[i].taken = true;
            lane.free_at = t + due[i].seconds;
            lane.variance += learned[due[i].service].1;
            if lane.serves.contains(&0) {
                appointments_first += 1;
            }
            continue;
        }
        // Else the next ticket this desk would call.
        while lane.cursor < jobs.len() && (taken[lane.cursor] || !lane.serves.contains(&jobs[lane.cursor])) {
            lane.cursor += 1;
        }
        if lane.cursor == mine_index {
            let wait = range(t, lane.variance);
            return Forecast { tickets_ahead, appointments_first, wait: Some(wait) };
        }
        if lane.cursor < jobs.len() {
            taken[lane.cursor] = true;
            let (mean, variance) = learned[jobs[lane.cursor]];
            lane.free_at = t + mean;
            lane.variance += variance;
            continue;
        }
        // Nothing to call: the desk waits for its next appointment, or is out of the picture.
        let serves = &lanes[d].serves;
        let next_due = due
            .iter()
            .filter(|a| !a.taken && (a.lane == Some(d) || (a.lane.is_none() && serves.contains(&a.service))))
            .map(|a| a.at)
            .min_by(f64::total_cmp);
        match next_due {
            Some(at) => lanes[d].free_at = at.max(t),
            None => lanes[d].active = false,
        }
    }
}

/// A desk in the forecast: when it is free next and how unsure that is.
struct Lane {
    serves: Vec<usize>,
    /// Seconds from now.
    free_at: f64,
    /// The variance of `free_at`, in seconds squared.
    variance: f64,
    /// The first job this desk has not looked past yet.
    cursor: usize,
    closes_at: f64,
    active: bool,
}

/// An appointment in the forecast.
struct Due {
    /// Seconds from now, never before now.
    at: f64,
    service: usize,
    /// Its desk, when that desk is open; else any open desk of its service takes it.
    lane: Option<usize>,
    seconds: f64,
    taken: bool,
}

/// The services met so far, numbered; 0 is the ticket's own.
struct Names<'a>(Vec<&'a str>);

impl<'a> Names<'a> {
    fn index(&mut self, name: &'a str) -> usize {
        match self.0.iter().position(|n| *n == name) {
            Some(i) => i,
            None => {
                self.0.push(name);
                self.0.len() - 1
            }
        }
    }
}

fn seconds_after(from: Timestamp, to: Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64()
}

/// Turns an expected wait and its variance (seconds) into whole minutes: the mean ± 1.28
/// standard deviations, rounded out to 5 minutes, never narrower than 5 minutes.
pub fn range(expected_seconds: f64, variance: f64) -> WaitEstimate {
    let margin = RANGE_SPREADS * variance.max(0.0).sqrt();
    let low = ((expected_seconds - margin).max(0.0) / 60.0 / 5.0).floor() as u32 * 5;
    let high = (((expected_seconds + margin) / 60.0 / 5.0).ceil() as u32 * 5).max(low + 5);
    WaitEstimate { low_minutes: low, high_minutes: high }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap() + SignedDuration::from_mins(minutes)
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    /// Exact service times (no spread), so the expected moment shows as a 5-minute range.
    fn exact(service: &str) -> ServiceTime {
        let minutes = match service {
            "email" => 12,
            "appointment" => 20,
            "tablet" => 6,
            "question" => 3,
            _ => 8,
        };
        ServiceTime { mean: mins(minutes), spread: SignedDuration::ZERO }
    }

    fn desk<'a>(id: &'a str, services: &'a [String]) -> Desk<'a> {
        Desk { id, services, open: true, busy: None, closes_at: None }
    }

    fn services(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn forecast_for(
        service: &str,
        ahead: &[&str],
        desks: &[Desk],
        appointments: &[DueAppointment],
    ) -> Forecast {
        let situation = Situation { now: at(0), service, ahead, desks, appointments };
        forecast(&situation, exact)
    }

    fn wait(low: u32, high: u32) -> Option<WaitEstimate> {
        Some(WaitEstimate { low_minutes: low, high_minutes: high })
    }

    #[test]
    fn each_ticket_ahead_counts_at_its_own_service_time() {
        let both = services(&["email", "question"]);
        let desks = [desk("desk-1", &both)];
        // Three e-mail visits (12 min each) before a quick question: 36 minutes, not 3 × 3.
        let f = forecast_for("question", &["email", "email", "email"], &desks, &[]);
        assert_eq!(f, Forecast { tickets_ahead: 3, appointments_first: 0, wait: wait(35, 40) });
    }

    #[test]
    fn desks_share_the_line_and_each_takes_the_next_ticket_it_serves() {
        let email = services(&["email"]);
        let email_and_tablet = services(&["email", "tablet"]);
        let desks = [desk("desk-1", &email_and_tablet), desk("desk-2", &email)];
        // desk-1 takes the tablet (0–6), desk-2 the first e-mail (0–12); desk-1 then takes the
        // second e-mail (6–18) and desk-2 calls this ticket at 12.
        let f = forecast_for("email", &["tablet", "email", "email"], &desks, &[]);
        assert_eq!(f.wait, wait(10, 15));
        assert_eq!(f.tickets_ahead, 3);
    }

    #[test]
    fn tickets_of_desks_that_do_not_serve_this_service_are_not_before_you() {
        let email = services(&["email"]);
        let tablet = services(&["tablet"]);
        let desks = [desk("desk-1", &email), desk("desk-2", &tablet)];
        let f = forecast_for("email", &["tablet", "tablet", "email"], &desks, &[]);
        assert_eq!(f, Forecast { tickets_ahead: 1, appointments_first: 0, wait: wait(10, 15) });
    }

    #[test]
    fn a_busy_desk_finishes_its_visitor_first() {
        let email = services(&["email"]);
        let mut busy = desk("desk-1", &email);
        // Busy with a 20-minute appointment for 15 minutes: free in 5.
        busy.busy = Some(Busy { service: "appointment", since: at(-15) });
        let f = forecast_for("email", &[], &[busy], &[]);
        assert_eq!(f.wait, wait(5, 10));
        // Long overdue: assumed to take a fifth of the mean more (4 minutes).
        busy.busy = Some(Busy { service: "appointment", since: at(-60) });
        assert_eq!(forecast_for("email", &[], &[busy], &[]).wait, wait(0, 5));
    }

    #[test]
    fn a_desk_that_closes_starts_no_visit_after_its_closing_time() {
        let email = services(&["email"]);
        let mut closing = desk("desk-2", &email);
        closing.closes_at = Some(at(10));
        let desks = [desk("desk-1", &email), closing];
        // desk-2 takes one e-mail at 0 and then closes; desk-1 takes the other three in turn.
        let f = forecast_for("email", &["email", "email", "email", "email"], &desks, &[]);
        assert_eq!(f.wait, wait(35, 40));
        let open = [desk("desk-1", &email), desk("desk-2", &email)];
        assert_eq!(forecast_for("email", &["email"; 4], &open, &[]).wait, wait(20, 25));
    }

    #[test]
    fn no_open_desk_no_estimate_but_the_people_ahead_still_count() {
        let email = services(&["email"]);
        let mut paused = desk("desk-1", &email);
        paused.open = false;
        let f = forecast_for("email", &["email", "email"], &[paused], &[]);
        assert_eq!(f, Forecast { tickets_ahead: 2, appointments_first: 0, wait: None });
        // Open, but it closes before it gets to this ticket.
        let mut closing = desk("desk-1", &email);
        closing.closes_at = Some(at(20));
        assert_eq!(forecast_for("email", &["email", "email"], &[closing], &[]).wait, None);
    }

    #[test]
    fn an_appointment_takes_its_desk_from_its_time_on() {
        let email = services(&["email"]);
        let desks = [desk("desk-1", &email), desk("desk-2", &email)];
        let appointment = DueAppointment {
            at: at(5),
            service: "appointment".into(),
            desk: Some("desk-2".into()),
            minutes: 30,
        };
        // desk-1 takes the first e-mail (0–12), desk-2 the second (0–12); at 12 desk-2's
        // appointment is due and goes first (12–42), so desk-1 calls this ticket at 12 still.
        let f = forecast_for("email", &["email", "email"], &desks, std::slice::from_ref(&appointment));
        assert_eq!(f.wait, wait(10, 15));
        // With three ahead, desk-1 takes the third at 12 and calls this ticket at 24, not 12+.
        let f = forecast_for("email", &["email"; 3], &desks, std::slice::from_ref(&appointment));
        assert_eq!(f, Forecast { tickets_ahead: 3, appointments_first: 1, wait: wait(20, 25) });
        // Without it, desk-2 would have called this ticket at 12.
        assert_eq!(forecast_for("email", &["email"; 3], &desks, &[]).wait, wait(10, 15));
    }

    #[test]
    fn an_appointment_without_a_desk_goes_to_a_desk_of_its_service() {
        let email = services(&["email"]);
        let tablet = services(&["tablet"]);
        let desks = [desk("desk-1", &email), desk("desk-2", &tablet)];
        let for_service =
            |service: &str| DueAppointment { at: at(-5), service: service.into(), desk: None, minutes: 20 };
        // A tablet appointment is desk-2's business: nothing changes for an e-mail ticket.
        let f = forecast_for("email", &["email"], &desks, &[for_service("tablet")]);
        assert_eq!(f, Forecast { tickets_ahead: 1, appointments_first: 0, wait: wait(10, 15) });
        // An e-mail appointment already due goes before everyone: 20 + 12 minutes.
        let f = forecast_for("email", &["email"], &desks, &[for_service("email")]);
        assert_eq!(f, Forecast { tickets_ahead: 1, appointments_first: 1, wait: wait(30, 35) });
    }

    #[test]
    fn an_idle_desk_waits_for_its_appointment_and_then_calls_the_line() {
        let email = services(&["email"]);
        let mut desk_1 = desk("desk-1", &email);
        desk_1.busy = Some(Busy { service: "email", since: at(0) });
        let desks = [desk_1];
        let appointment = DueAppointment { at: at(10), service: "email".into(), desk: None, minutes: 20 };
        // The visitor at the desk leaves at 12; the appointment (due at 10) goes first: 32.
        let f = forecast_for("email", &[], &desks, &[appointment]);
        assert_eq!(f, Forecast { tickets_ahead: 0, appointments_first: 1, wait: wait(30, 35) });
    }

    #[test]
    fn the_range_widens_with_the_spread_of_the_visits_ahead() {
        let email = services(&["email"]);
        let desks = [desk("desk-1", &email)];
        let situation = Situation {
            now: at(0),
            service: "email",
            ahead: &["email"; 4],
            desks: &desks,
            appointments: &[],
        };
        let sure = forecast(&situation, |_| ServiceTime { mean: mins(10), spread: SignedDuration::ZERO });
        let unsure = forecast(&situation, |_| ServiceTime { mean: mins(10), spread: mins(5) });
        assert_eq!(sure.wait, wait(40, 45));
        // 40 ± 1.28 × √(4 × 25) = 40 ± 12.8 minutes.
        assert_eq!(unsure.wait, wait(25, 55));
    }

    #[test]
    fn ranges_are_rounded_out_to_five_minutes() {
        assert_eq!(range(0.0, 0.0), WaitEstimate { low_minutes: 0, high_minutes: 5 });
        assert_eq!(range(20.0 * 60.0, 0.0), WaitEstimate { low_minutes: 20, high_minutes: 25 });
        assert_eq!(range(22.0 * 60.0, 0.0), WaitEstimate { low_minutes: 20, high_minutes: 25 });
        // 60 ± 1.28 × 10 minutes.
        assert_eq!(range(3600.0, 600.0f64.powi(2)), WaitEstimate { low_minutes: 45, high_minutes: 75 });
        assert_eq!(range(60.0, 3600.0f64.powi(2)), WaitEstimate { low_minutes: 0, high_minutes: 80 });
        assert_eq!(WaitEstimate { low_minutes: 15, high_minutes: 30 }.to_string(), "15–30 min");
    }

    #[test]
    fn service_times_are_learned_with_their_spread() {
        let learned = ServiceTime::learned([mins(10), mins(12), mins(14)], mins(8));
        assert_eq!(learned.mean, mins(12));
        assert_eq!(learned.spread, mins(2));
        // Too few to believe a spread: half the mean.
        assert_eq!(ServiceTime::learned([mins(10), mins(14)], mins(8)), ServiceTime::assumed(mins(12)));
        assert_eq!(ServiceTime::learned([], mins(8)), ServiceTime { mean: mins(8), spread: mins(4) });
    }

    #[test]
    fn it_stays_cheap_on_a_long_line_with_many_appointments() {
        // A correctness check on size, not a timing: every ticket and appointment is placed.
        let email = services(&["email", "tablet"]);
        let tablet = services(&["tablet"]);
        let desks = [desk("desk-1", &email), desk("desk-2", &tablet), desk("desk-3", &email)];
        let ahead: Vec<&str> = (0..500).map(|i| if i % 3 == 0 { "tablet" } else { "email" }).collect();
        let appointments: Vec<DueAppointment> = (0..20)
            .map(|i| DueAppointment { at: at(i * 30), service: "email".into(), desk: None, minutes: 20 })
            .collect();
        let f = forecast_for("email", &ahead, &desks, &appointments);
        assert_eq!(f.tickets_ahead, 500);
        assert!(f.appointments_first > 0 && f.appointments_first <= 20, "{f:?}");
        assert!(f.wait.is_some_and(|w| w.low_minutes > 600), "{f:?}");
    }
}
