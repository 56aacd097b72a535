//! What the nightly tidy-up needs from the store: the figures kept per day (`daily_figure`),
//! counted from the detail behind them, and the deletion of a day's detail.
//!
//! Work is done one day per transaction: a day's figures are counted and, when the day is past
//! the retention, its detail deleted in the same transaction, so a figure never disappears with
//! its detail and a figure is never counted again from half of it. A day at a help point is a
//! few hundred tickets, so each transaction is short and other writers (a visitor's tap) get in
//! between days. These commits do not wait for the disk (see `in_tidy_transaction`); the
//! store's own commits still do.
//!
//! It must not decide what is old or when to run: that is `crate::maintenance`'s. It leaves the
//! outbox alone: what is still to be reported is the reporter's.
//!
//! These methods take `&self`, as the tidy-up reaches the store through the help point's shared
//! reference; each opens its own transaction (and fails rather than nests if one were open).

use jiff::civil::Date;
use rusqlite::{Transaction, params};

use super::{Store, StoreError, parse_date};

/// Every figure kept per day: its name, and the query counting it for one day (`?1`) as
/// (key, value) rows.
const FIGURES: &[(&str, &str)] = &[
    ("tickets_issued", "SELECT issued_service, COUNT(*) FROM ticket WHERE service_day = ?1 GROUP BY 1"),
    (
        "tickets_served",
        "SELECT service, COUNT(*) FROM ticket WHERE service_day = ?1 AND state = 'served' GROUP BY 1",
    ),
    (
        "tickets_no_show",
        "SELECT service, COUNT(*) FROM ticket WHERE service_day = ?1 AND state = 'no_show' GROUP BY 1",
    ),
    (
        "tickets_called",
        "SELECT service, COUNT(*) FROM ticket WHERE service_day = ?1 AND called_at IS NOT NULL GROUP BY 1",
    ),
    (
        "wait_seconds_total",
        "SELECT service, CAST(ROUND(SUM((julianday(called_at) - julianday(issued_at)) * 86400)) AS INTEGER)
           FROM ticket WHERE service_day = ?1 AND called_at IS NOT NULL GROUP BY 1",
    ),
    ("screenings", "SELECT referral, COUNT(*) FROM screening WHERE day = ?1 GROUP BY 1"),
    (
        "screening_levels",
        "SELECT i.item_id || ':' || i.level, COUNT(*)
           FROM screening_item i JOIN screening s ON s.id = i.screening WHERE s.day = ?1 GROUP BY 1",
    ),
    ("tutorial_runs", "SELECT tutorial_id, COUNT(*) FROM tutorial_run WHERE day = ?1 GROUP BY 1"),
    (
        "tutorials_completed",
        "SELECT tutorial_id, COUNT(*) FROM tutorial_run WHERE day = ?1 AND completed = 1 GROUP BY 1",
    ),
];

/// What deleting one day's detail removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeletedDetail {
    pub tickets: u64,
    pub screenings: u64,
    pub screening_items: u64,
    pub tutorial_runs: u64,
}

impl Store {
    /// The days that still have detail (tickets, numbers given, screenings or tutorial
    /// sessions), oldest first.
    pub fn days_with_detail(&self) -> Result<Vec<Date>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT service_day FROM ticket UNION SELECT service_day FROM day_counter
             UNION SELECT day FROM screening UNION SELECT day FROM tutorial_run ORDER BY 1",
        )?;
        let days = stmt.query_map([], |r| r.get::<_, String>(0))?;
        days.map(|day| parse_date(&day?)).collect()
    }

    /// Counts the figures of `day` again from its detail, in one transaction.
    pub fn count_figures(&self, day: Date) -> Result<(), StoreError> {
        self.in_tidy_transaction(|tx| count_figures(tx, day))
    }

    /// Counts the figures of `day`, then deletes its detail, in one transaction. A ticket
    /// still waiting or called is kept (a day is closed by the queue's roll-over, not here).
    pub fn count_figures_and_delete_detail(&self, day: Date) -> Result<DeletedDetail, StoreError> {
        self.in_tidy_transaction(|tx| count_figures_and_delete_detail(tx, day))
    }

    /// Runs `work` in one transaction whose commit does not wait for the disk
    /// (`synchronous=NORMAL` for it alone): WAL still keeps it whole or not at all, and a
    /// tidy-up lost to a power cut is done again the next night from the detail still there.
    /// Without it each of the night's few hundred days would wait for an fsync, and a tap with
    /// it. The store's own setting (`FULL`) is put back whatever happens.
    fn in_tidy_transaction<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let done = (|| -> Result<T, StoreError> {
            let tx = self.conn.unchecked_transaction()?;
            let value = work(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        let back = self.conn.pragma_update(None, "synchronous", "FULL");
        let value = done?;
        back?;
        Ok(value)
    }

    /// How many days have figures kept.
    pub fn days_with_figures(&self) -> Result<u64, StoreError> {
        let days: i64 =
            self.conn.query_row("SELECT COUNT(DISTINCT day) FROM daily_figure", [], |r| r.get(0))?;
        Ok(u64::try_from(days).unwrap_or(0))
    }

    /// The figures kept for `day`, as (figure, key, value), sorted.
    pub fn daily_figures(&self, day: Date) -> Result<Vec<(String, String, i64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT figure, key, value FROM daily_figure WHERE day = ?1 ORDER BY figure, key")?;
        let rows = stmt.query_map([day.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many rows a table holds (tests only: the tidy-up's tests look behind the methods).
    #[cfg(test)]
    pub(crate) fn row_count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        self.conn.query_row(&sql, [], |r| r.get(0)).expect("a table of the store")
    }
}

/// Counts the figures of `day`, then deletes its detail.
fn count_figures_and_delete_detail(tx: &Transaction<'_>, day: Date) -> Result<DeletedDetail, StoreError> {
    count_figures(tx, day)?;
    let day = day.to_string();
    let tickets = tx.execute(
        "DELETE FROM ticket WHERE service_day = ?1 AND state NOT IN ('waiting', 'called')",
        [&day],
    )?;
    tx.execute("DELETE FROM day_counter WHERE service_day = ?1", [&day])?;
    let screening_items = tx.execute(
        "DELETE FROM screening_item WHERE screening IN (SELECT id FROM screening WHERE day = ?1)",
        [&day],
    )?;
    tx.execute(
        "DELETE FROM screening_competence WHERE screening IN (SELECT id FROM screening WHERE day = ?1)",
        [&day],
    )?;
    let screenings = tx.execute("DELETE FROM screening WHERE day = ?1", [&day])?;
    let tutorial_runs = tx.execute("DELETE FROM tutorial_run WHERE day = ?1", [&day])?;
    Ok(DeletedDetail {
        tickets: tickets as u64,
        screenings: screenings as u64,
        screening_items: screening_items as u64,
        tutorial_runs: tutorial_runs as u64,
    })
}

/// Counts every figure of `day` into `daily_figure`, replacing what was counted before.
fn count_figures(tx: &Transaction<'_>, day: Date) -> Result<(), StoreError> {
    let day = day.to_string();
    let mut keep = tx.prepare_cached(
        "INSERT OR REPLACE INTO daily_figure (day, figure, key, value) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (figure, count) in FIGURES {
        let mut stmt = tx.prepare_cached(count)?;
        let rows = stmt.query_map([&day], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (key, value) = row?;
            keep.execute(params![day, figure, key, value])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::Queue;
    use crate::queue::fixtures::{at, rules};
    use crate::store::MIGRATIONS;
    use jiff::civil::date;
    use jiff::{SignedDuration, ToSpan};
    use rusqlite::Connection;

    /// Two tickets on 2026-11-29 (one served after 10 minutes), one on 2026-11-30.
    fn two_days() -> Store {
        let mut store = Store::open_in_memory().unwrap();
        let mut q = Queue::new(rules());
        store.record(&q.issue("email", "nl", at(9, 0)).unwrap().1).unwrap();
        store.record(&q.issue("email", "nl", at(9, 1)).unwrap().1).unwrap();
        store.record(&q.call_next("desk-1", at(9, 10)).unwrap()).unwrap();
        store.record(&q.served("desk-1", None, at(9, 20)).unwrap()).unwrap();
        let tomorrow = at(9, 0).checked_add(SignedDuration::from_hours(24)).unwrap();
        store.record(&q.issue("email", "nl", tomorrow).unwrap().1).unwrap();
        store
    }

    fn day_of(n: i64) -> Date {
        at(9, 0).to_zoned(jiff::tz::TimeZone::UTC).date().checked_add(n.days()).unwrap()
    }

    #[test]
    fn a_day_is_counted_and_deleted_in_one_step_and_the_next_day_stays() {
        let store = two_days();
        assert_eq!(store.days_with_detail().unwrap(), [day_of(0), day_of(1)]);
        let deleted = store.count_figures_and_delete_detail(day_of(0)).unwrap();
        assert_eq!(deleted, DeletedDetail { tickets: 2, ..DeletedDetail::default() });
        assert_eq!(store.days_with_detail().unwrap(), [day_of(1)], "its numbers given go with it");
        let figures = store.daily_figures(day_of(0)).unwrap();
        let get = |figure: &str| figures.iter().find(|(f, _, _)| f == figure).map(|(_, _, v)| *v);
        assert_eq!((get("tickets_issued"), get("tickets_served")), (Some(2), Some(1)));
        assert_eq!(get("wait_seconds_total"), Some(10 * 60));
        assert_eq!(store.row_count("ticket"), 1);

        store.count_figures(day_of(1)).unwrap();
        assert_eq!(store.days_with_figures().unwrap(), 2);
        assert_eq!(store.row_count("ticket"), 1, "counting deletes nothing");
    }

    #[test]
    fn the_store_waits_for_the_disk_again_after_a_tidy_up_step_done_or_failed() {
        let store = two_days();
        let synchronous =
            |store: &Store| -> i64 { store.conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap() };
        store.count_figures_and_delete_detail(day_of(0)).unwrap();
        assert_eq!(synchronous(&store), 2, "FULL");
        store.conn.execute_batch("DROP TABLE daily_figure").unwrap();
        assert!(store.count_figures(day_of(1)).is_err());
        assert_eq!(synchronous(&store), 2, "FULL");
        assert_eq!(store.row_count("ticket"), 1, "and the failed step changed nothing");
    }

    #[test]
    fn counting_again_changes_nothing_and_a_deleted_day_is_not_counted_again() {
        let store = two_days();
        store.count_figures(day_of(0)).unwrap();
        let first = store.daily_figures(day_of(0)).unwrap();
        store.count_figures(day_of(0)).unwrap();
        assert_eq!(store.daily_figures(day_of(0)).unwrap(), first);
        store.count_figures_and_delete_detail(day_of(0)).unwrap();
        assert!(!store.days_with_detail().unwrap().contains(&day_of(0)));
        assert_eq!(store.daily_figures(day_of(0)).unwrap(), first);
    }

    #[test]
    fn a_store_whose_figures_table_the_old_tidy_up_created_opens_and_keeps_its_figures() {
        // Before migration 5 the tidy-up created `daily_figure` itself, with this statement,
        // in a store at schema version 4.
        let old_tidy_up = "CREATE TABLE IF NOT EXISTS daily_figure (
            day    TEXT    NOT NULL,
            figure TEXT    NOT NULL,
            key    TEXT    NOT NULL,
            value  INTEGER NOT NULL,
            PRIMARY KEY (day, figure, key)
        ) WITHOUT ROWID;";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            for step in &MIGRATIONS[..4] {
                conn.execute_batch(step).unwrap();
            }
            conn.pragma_update(None, "user_version", 4).unwrap();
            conn.execute_batch(old_tidy_up).unwrap();
            conn.execute(
                "INSERT INTO daily_figure (day, figure, key, value) VALUES ('2026-08-03', 'tickets_issued', 'email', 7)",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let kept = store.daily_figures(date(2026, 8, 3)).unwrap();
        assert_eq!(kept, [("tickets_issued".into(), "email".into(), 7)]);
        store.count_figures(date(2026, 8, 4)).unwrap();
        assert_eq!(store.days_with_figures().unwrap(), 1, "a day without detail has no figures");
    }
}
