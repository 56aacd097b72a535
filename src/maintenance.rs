//! The nightly tidy-up of the store: figures per day are kept for good, the detail behind
//! them (tickets, screening results with every exercise, tutorial sessions) only for
//! `maintenance.retention_days`, and the database file is checkpointed.
//!
//! In one transaction, first the figures of every day still in the store are (re)counted into
//! `daily_figure`, then the old detail is deleted, so a figure never disappears with its
//! detail. `daily_figure` is created here with `IF NOT EXISTS` rather than as a store
//! migration: it is maintenance's own table, read by nothing else yet. The outbox is left
//! alone: what is still to be reported is the reporter's.
//!
//! [`next_run`] is the pure schedule; [`start_nightly`] is the thread that follows it and logs
//! each run to the journal.

use std::time::Duration;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

use crate::owner::HelpPointHandle;
use crate::store::{Store, StoreError};

const FIGURES_TABLE: &str = "CREATE TABLE IF NOT EXISTS daily_figure (
    day    TEXT    NOT NULL,
    figure TEXT    NOT NULL,
    key    TEXT    NOT NULL,
    value  INTEGER NOT NULL,
    PRIMARY KEY (day, figure, key)
) WITHOUT ROWID;";

/// Every figure kept per day: (figure, SQL giving (day, key, value) rows). Counted again each
/// night for the days whose detail is still there.
const FIGURES: &[(&str, &str)] = &[
    ("tickets_issued", "SELECT service_day, issued_service, COUNT(*) FROM ticket GROUP BY 1, 2"),
    (
        "tickets_served",
        "SELECT service_day, service, COUNT(*) FROM ticket WHERE state = 'served' GROUP BY 1, 2",
    ),
    (
        "tickets_no_show",
        "SELECT service_day, service, COUNT(*) FROM ticket WHERE state = 'no_show' GROUP BY 1, 2",
    ),
    (
        "tickets_called",
        "SELECT service_day, service, COUNT(*) FROM ticket WHERE called_at IS NOT NULL GROUP BY 1, 2",
    ),
    (
        "wait_seconds_total",
        "SELECT service_day, service,
                CAST(ROUND(SUM((julianday(called_at) - julianday(issued_at)) * 86400)) AS INTEGER)
         FROM ticket WHERE called_at IS NOT NULL GROUP BY 1, 2",
    ),
    ("screenings", "SELECT day, referral, COUNT(*) FROM screening GROUP BY 1, 2"),
    (
        "screening_levels",
        "SELECT s.day, i.item_id || ':' || i.level, COUNT(*)
         FROM screening_item i JOIN screening s ON s.id = i.screening GROUP BY 1, 2",
    ),
    ("tutorial_runs", "SELECT day, tutorial_id, COUNT(*) FROM tutorial_run GROUP BY 1, 2"),
    (
        "tutorials_completed",
        "SELECT day, tutorial_id, COUNT(*) FROM tutorial_run WHERE completed = 1 GROUP BY 1, 2",
    ),
];

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

/// Counts the figures, deletes detail from before `today - retention_days`, and checkpoints.
pub fn tidy(store: &Store, today: Date, retention_days: u32) -> Result<Tidied, StoreError> {
    let kept_from = today
        .checked_sub(i64::from(retention_days).days())
        .map_err(|e| StoreError::Damaged(format!("retention of {retention_days} days: {e}")))?;
    let cutoff = kept_from.to_string();
    // `unchecked`: the store is shared behind the help point's lock, which the caller holds.
    let tx = store.conn.unchecked_transaction()?;
    tx.execute_batch(FIGURES_TABLE)?;
    for (figure, select) in FIGURES {
        // Each SELECT gives (day, key, value); the figure's name goes beside them.
        let select = select.replacen(" FROM", ", ?1 FROM", 1);
        tx.execute(
            &format!("INSERT OR REPLACE INTO daily_figure (day, key, value, figure) {select}"),
            [figure],
        )?;
    }
    let days_counted: i64 = tx.query_row("SELECT COUNT(DISTINCT day) FROM daily_figure", [], |r| r.get(0))?;
    // Tickets of an old day are all finished or expired: the roll-over closed that day.
    let tickets_deleted = tx.execute(
        "DELETE FROM ticket WHERE service_day < ?1 AND state NOT IN ('waiting', 'called')",
        [&cutoff],
    )?;
    tx.execute("DELETE FROM day_counter WHERE service_day < ?1", [&cutoff])?;
    let screening_items_deleted = tx.execute(
        "DELETE FROM screening_item WHERE screening IN (SELECT id FROM screening WHERE day < ?1)",
        [&cutoff],
    )?;
    tx.execute(
        "DELETE FROM screening_competence WHERE screening IN (SELECT id FROM screening WHERE day < ?1)",
        [&cutoff],
    )?;
    let screenings_deleted = tx.execute("DELETE FROM screening WHERE day < ?1", [&cutoff])?;
    let tutorial_runs_deleted = tx.execute("DELETE FROM tutorial_run WHERE day < ?1", [&cutoff])?;
    tx.commit()?;
    store.checkpoint()?;
    Ok(Tidied {
        kept_from,
        days_counted: days_counted as u64,
        tickets_deleted: tickets_deleted as u64,
        screenings_deleted: screenings_deleted as u64,
        screening_items_deleted: screening_items_deleted as u64,
        tutorial_runs_deleted: tutorial_runs_deleted as u64,
    })
}

/// The figures kept for `day`, as (figure, key, value), sorted.
pub fn figures(store: &Store, day: Date) -> Result<Vec<(String, String, i64)>, StoreError> {
    store.conn.execute_batch(FIGURES_TABLE)?;
    let mut stmt = store
        .conn
        .prepare("SELECT figure, key, value FROM daily_figure WHERE day = ?1 ORDER BY figure, key")?;
    let rows = stmt.query_map([day.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
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
            // Done by the help point's owner, between other commands; the screens do not wait
            // for it (they read the published queue).
            let result = help_point.run(move |hp| tidy(hp.store(), today, retention_days));
            match result.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string())) {
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
    use jiff::SignedDuration;
    use jiff::civil::date;

    /// A help point with a busy Monday 2026-08-03 and one ticket on Monday 2026-11-30.
    fn history() -> HelpPoint {
        let config = Config::sample();
        let clock = Arc::new(ManualClock::new("2026-08-03T08:00:00Z".parse().unwrap()));
        let store = Store::open_in_memory().unwrap();
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
        hp.store()
            .conn
            .execute_batch(
                "INSERT INTO screening (id, code, day, language, started_at, ended_at, finished, referral, referral_label)
                 VALUES (1, 'K7M-4PX', '2026-08-03', 'nl', '2026-08-03T08:00:00Z', '2026-08-03T08:20:00Z', 1, 'one-to-one', 'x');
                 INSERT INTO screening_item VALUES (1, 0, 'x01-touch-warmup', 1, '1.1', '2.2', 'done', 'on_own', '[]', 1000);
                 INSERT INTO screening_item VALUES (1, 1, 'x02-find-the-app', 1, '1.1', '2.2', 'done', 'not_yet', '[]', 1000);
                 INSERT INTO screening_competence VALUES (1, '1.1', 'with_help');",
            )
            .unwrap();
        clock.set("2026-11-30T09:00:00Z".parse().unwrap());
        hp.roll_over().unwrap();
        hp.take_ticket("email", "fr").unwrap();
        hp
    }

    fn count(store: &Store, table: &str) -> i64 {
        store.conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).unwrap()
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
