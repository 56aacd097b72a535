//! The nightly tidy-up of the store: figures per day are kept for good, the detail behind
//! them (tickets, screening results with every exercise, tutorial sessions) only for
//! `maintenance.retention_days`, and the database file is checkpointed.
//!
//! It decides what is old and when to run; the SQL is the store's (`store::maintenance`). The
//! work goes one day at a time ([`Tidying`]): each day's figures are counted and, for a day past
//! the retention, its detail deleted, in one transaction of its own, so a figure never
//! disappears with its detail. [`start_nightly`] sends the help point's owner one day at a time,
//! so a desk's call waits for one day's work at most, never for the whole night's.
//! The outbox is left alone: what is still to be reported is the reporter's.
//!
//! [`next_run`] is the pure schedule; [`start_nightly`] is the thread that follows it and logs
//! each run to the journal. It must not touch the store's connection.

use std::time::Duration;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

use crate::owner::HelpPointHandle;
use crate::store::{Store, StoreError};

/// What one night's run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tidied {
    /// Detail from before this day was deleted.
    pub kept_from: Date,
    /// Days whose figures were counted.
    pub days_counted: u64,
    pub tickets_deleted: u64,
    pub screenings_deleted: u64,
    pub screening_items_deleted: u64,
    pub tutorial_runs_deleted: u64,
}

impl std::fmt::Display for Tidied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "figures counted for {} days; deleted from before {}: {} tickets, {} screenings ({} exercise results), {} tutorial sessions",
            self.days_counted,
            self.kept_from,
            self.tickets_deleted,
            self.screenings_deleted,
            self.screening_items_deleted,
            self.tutorial_runs_deleted
        )
    }
}

/// One night's tidy-up under way: the days still to do, and what was done so far. Each
/// [`Tidying::step`] is one day in one transaction; the store may be used by others between
/// steps.
#[derive(Debug)]
pub struct Tidying {
    days: std::vec::IntoIter<Date>,
    done: Tidied,
}

impl Tidying {
    /// Plans the tidy-up: every day that still has detail, oldest first; detail from before
    /// `today - retention_days` is to go.
    pub fn start(store: &Store, today: Date, retention_days: u32) -> Result<Tidying, StoreError> {
        let kept_from = today
            .checked_sub(i64::from(retention_days).days())
            .map_err(|e| StoreError::Damaged(format!("retention of {retention_days} days: {e}")))?;
        let done = Tidied {
            kept_from,
            days_counted: 0,
            tickets_deleted: 0,
            screenings_deleted: 0,
            screening_items_deleted: 0,
            tutorial_runs_deleted: 0,
        };
        Ok(Tidying { days: store.days_with_detail()?.into_iter(), done })
    }

    /// Does the next day: counts its figures and, if it is past the retention, deletes its
    /// detail. Returns false when no day was left.
    pub fn step(&mut self, store: &Store) -> Result<bool, StoreError> {
        let Some(day) = self.days.next() else { return Ok(false) };
        if day < self.done.kept_from {
            let deleted = store.count_figures_and_delete_detail(day)?;
            self.done.tickets_deleted += deleted.tickets;
            self.done.screenings_deleted += deleted.screenings;
            self.done.screening_items_deleted += deleted.screening_items;
            self.done.tutorial_runs_deleted += deleted.tutorial_runs;
        } else {
            store.count_figures(day)?;
        }
        Ok(true)
    }

    /// Checkpoints the store and tells what the night's run did.
    pub fn finish(mut self, store: &Store) -> Result<Tidied, StoreError> {
        store.checkpoint()?;
        self.done.days_counted = store.days_with_figures()?;
        Ok(self.done)
    }
}

/// Counts the figures, deletes detail from before `today - retention_days`, and checkpoints:
/// all of [`Tidying`]'s steps one after the other.
pub fn tidy(store: &Store, today: Date, retention_days: u32) -> Result<Tidied, StoreError> {
    let mut tidying = Tidying::start(store, today, retention_days)?;
    while tidying.step(store)? {}
    tidying.finish(store)
}

/// Why a night's tidy-up did not finish.
#[derive(Debug, thiserror::Error)]
pub enum NightlyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Stopped(#[from] crate::owner::Stopped),
}

/// [`tidy`] on the help point's store, one day per command to the help point's owner: commands
/// sent meanwhile (a visitor's tap, a desk's call) are done between two days, so they wait for
/// one day's transaction at most. The screens never wait: they read the published queue.
pub fn tidy_help_point(
    help_point: &HelpPointHandle,
    today: Date,
    retention_days: u32,
) -> Result<Tidied, NightlyError> {
    let mut tidying = help_point.run(move |hp| Tidying::start(hp.store(), today, retention_days))??;
    loop {
        let (more, after) = help_point.run(move |hp| {
            let more = tidying.step(hp.store());
            (more, tidying)
        })?;
        tidying = after;
        if !more? {
            break;
        }
    }
    Ok(help_point.run(move |hp| tidying.finish(hp.store()))??)
}

/// The figures kept for `day`, as (figure, key, value), sorted.
pub fn figures(store: &Store, day: Date) -> Result<Vec<(String, String, i64)>, StoreError> {
    store.daily_figures(day)
}

/// The first moment after `now` that is `at` o'clock in `now`'s time zone. On a day when `at`
/// does not exist (the spring clock change) it runs at the next valid moment.
pub fn next_run(now: &Zoned, at: Time) -> Zoned {
    let today = now.date().to_datetime(at).to_zoned(now.time_zone().clone());
    match today {
        Ok(run) if run > *now => run,
        _ => {
            let tomorrow = now.date().tomorrow().unwrap_or(now.date()).to_datetime(at);
            tomorrow.to_zoned(now.time_zone().clone()).unwrap_or_else(|_| now.clone())
        }
    }
}

/// Starts the thread that tidies the store every night at `at` (local time in `zone`). It
/// checks the clock every minute, so a clock set right by NTP after boot is followed.
pub fn start_nightly(
    help_point: HelpPointHandle,
    zone: TimeZone,
    at: Time,
    retention_days: u32,
) -> std::io::Result<()> {
    let now = || -> Timestamp { help_point.now() };
    let first = next_run(&now().to_zoned(zone.clone()), at);
    log::info!(
        "nightly maintenance at {at} ({zone_name}), next {first}",
        zone_name = zone.iana_name().unwrap_or("local")
    );
    let help_point = help_point.clone();
    std::thread::Builder::new().name("maintenance".into()).spawn(move || {
        let now = || -> Timestamp { help_point.now() };
        let mut next = first;
        loop {
            let left = next.timestamp().duration_since(now());
            if left.is_positive() {
                std::thread::sleep(Duration::try_from(left).unwrap_or_default().min(Duration::from_secs(60)));
                continue;
            }
            let today = now().to_zoned(zone.clone()).date();
            let started = std::time::Instant::now();
            match tidy_help_point(&help_point, today, retention_days) {
                Ok(tidied) => log::info!(
                    "nightly maintenance done in {} ms: {tidied}; store checkpointed",
                    started.elapsed().as_millis()
                ),
                Err(e) => log::error!("nightly maintenance failed (tried again tomorrow): {e}"),
            }
            next = next_run(&now().to_zoned(zone.clone()), at);
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::config::Config;
    use crate::help_point::HelpPoint;
    use crate::help_point::queue_rules;
    use crate::screening::{ItemEnding, ItemResult, Level, Referral, ScreeningRun};
    use crate::store::NewScreening;
    use jiff::SignedDuration;
    use jiff::civil::date;

    /// A help point with a busy Monday 2026-08-03 and one ticket on Monday 2026-11-30.
    fn history() -> HelpPoint {
        let config = Config::sample();
        let clock = Arc::new(ManualClock::new("2026-08-03T08:00:00Z".parse().unwrap()));
        let mut store = Store::open_in_memory().unwrap();
        record_monday_screening(&mut store);
        let mut hp = HelpPoint::open(queue_rules(&config), store, clock.clone()).unwrap();
        hp.take_ticket("email", "ar").unwrap();
        hp.take_ticket("email", "nl").unwrap();
        hp.take_ticket("tablet", "uk").unwrap();
        clock.advance(SignedDuration::from_mins(10));
        hp.call_next("desk-1").unwrap();
        clock.advance(SignedDuration::from_mins(5));
        hp.served("desk-1", None).unwrap();
        hp.call_next("desk-1").unwrap();
        hp.no_show("desk-1").unwrap();
        clock.set("2026-11-30T09:00:00Z".parse().unwrap());
        hp.roll_over().unwrap();
        hp.take_ticket("email", "fr").unwrap();
        hp
    }

    /// Records a screening on Monday 2026-08-03 of two exercises (one done on their own, one
    /// not yet) and one competence, referred to a one-to-one session.
    fn record_monday_screening(store: &mut Store) {
        let item = |id: &str| ItemResult {
            item_id: id.into(),
            version: 1,
            digcomp: vec!["1.1".into()],
            digcomp_version: "2.2".into(),
            ending: ItemEnding::Completed,
            steps: Vec::new(),
            duration_ms: 1000,
        };
        let run = ScreeningRun {
            language: "nl".into(),
            instructions_language: None,
            started_at: "2026-08-03T08:00:00Z".parse().unwrap(),
            ended_at: "2026-08-03T08:20:00Z".parse().unwrap(),
            finished: true,
            items: vec![item("x01-touch-warmup"), item("x02-find-the-app")],
        };
        let recorded = store.record_screening(&NewScreening {
            code: "K7M-4PX",
            day: date(2026, 8, 3),
            run: &run,
            levels: &[Level::OnOwn, Level::NotYet],
            competences: &[("1.1".to_owned(), Level::WithHelp)],
            referral: &Referral { outcome: "one-to-one".into(), label: "x".into() },
            statements: &[],
        });
        assert!(recorded.unwrap());
    }

    fn count(store: &Store, table: &str) -> i64 {
        store.row_count(table)
    }

    #[test]
    fn old_detail_goes_and_its_figures_stay() {
        let hp = history();
        let store = hp.store();
        let tidied = tidy(store, date(2026, 11, 30), 90).unwrap();
        assert_eq!(tidied.kept_from, date(2026, 9, 1));
        assert_eq!(
            (tidied.tickets_deleted, tidied.screenings_deleted, tidied.screening_items_deleted),
            (3, 1, 2)
        );
        assert_eq!(count(store, "ticket"), 1, "today's ticket stays");
        assert_eq!(count(store, "screening_competence"), 0);

        let monday = figures(store, date(2026, 8, 3)).unwrap();
        let get = |figure: &str, key: &str| {
            monday.iter().find(|(f, k, _)| f == figure && k == key).map(|(_, _, v)| *v)
        };
        assert_eq!(get("tickets_issued", "email"), Some(2));
        assert_eq!(get("tickets_issued", "tablet"), Some(1));
        assert_eq!(get("tickets_served", "email"), Some(1));
        assert_eq!(get("tickets_no_show", "email"), Some(1));
        assert_eq!(get("tickets_called", "email"), Some(2));
        // Called after 10 and after 15 minutes.
        assert_eq!(get("wait_seconds_total", "email"), Some(25 * 60));
        assert_eq!(get("screenings", "one-to-one"), Some(1));
        assert_eq!(get("screening_levels", "x02-find-the-app:not_yet"), Some(1));

        // A second night: the detail is gone, the figures are not.
        tidy(store, date(2026, 12, 1), 90).unwrap();
        assert_eq!(figures(store, date(2026, 8, 3)).unwrap(), monday);
        assert_eq!(figures(store, date(2026, 11, 30)).unwrap().len(), 1, "today's ticket is counted too");
    }

    #[test]
    fn nothing_recent_is_touched() {
        let hp = history();
        let tidied = tidy(hp.store(), date(2026, 11, 30), 3650).unwrap();
        assert_eq!((tidied.tickets_deleted, tidied.screenings_deleted), (0, 0));
        assert_eq!(count(hp.store(), "ticket"), 4);
    }

    #[test]
    fn taps_get_in_between_two_days_of_the_tidy_up() {
        let mut hp = history();
        let mut tidying = Tidying::start(hp.store(), date(2026, 11, 30), 90).unwrap();
        let mut taps = 0;
        while tidying.step(hp.store()).unwrap() {
            hp.take_ticket("email", "nl").unwrap();
            taps += 1;
        }
        let tidied = tidying.finish(hp.store()).unwrap();
        assert_eq!(taps, 2, "one step per day with detail");
        assert_eq!(tidied.tickets_deleted, 3);
        assert_eq!(count(hp.store(), "ticket"), 1 + taps, "today's tickets stay");

        let owner = crate::owner::HelpPointOwner::start(history()).unwrap();
        let tidied = tidy_help_point(&owner.handle(), date(2026, 11, 30), 90).unwrap();
        assert_eq!((tidied.tickets_deleted, tidied.screenings_deleted, tidied.days_counted), (3, 1, 2));
    }

    #[test]
    fn the_next_run_is_tonight_or_tomorrow_night_in_local_time() {
        let zone = TimeZone::get("Europe/Brussels").unwrap();
        let at = Time::constant(3, 0, 0, 0);
        let evening = date(2026, 11, 30).at(22, 0, 0, 0).to_zoned(zone.clone()).unwrap();
        assert_eq!(next_run(&evening, at).datetime(), date(2026, 12, 1).at(3, 0, 0, 0));
        let early = date(2026, 11, 30).at(1, 0, 0, 0).to_zoned(zone.clone()).unwrap();
        assert_eq!(next_run(&early, at).datetime(), date(2026, 11, 30).at(3, 0, 0, 0));
        let exactly = date(2026, 11, 30).at(3, 0, 0, 0).to_zoned(zone.clone()).unwrap();
        assert_eq!(next_run(&exactly, at).datetime(), date(2026, 12, 1).at(3, 0, 0, 0), "not twice");
        // 02:30 does not exist on 2027-03-28 in Brussels: the run is still that night.
        let before_spring = date(2027, 3, 27).at(23, 0, 0, 0).to_zoned(zone).unwrap();
        let run = next_run(&before_spring, Time::constant(2, 30, 0, 0));
        assert_eq!(run.date(), date(2027, 3, 28));
    }
}
