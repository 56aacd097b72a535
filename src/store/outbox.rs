//! The outbox: the events the reporter (`report`) sends to the central system, written in the
//! same transaction as the change they tell of.
//!
//! Each event carries the boot it was recorded in and whether the clock was synchronised then
//! (the store's [`Origin`], asked through [`ClockSync`]). The unsent backlog is bounded
//! ([`Store::set_outbox_max`]): when it is full a new event is not added but counted per type in
//! `outbox_dropped` — the business rows (tickets, results) are still written, and the first drop
//! of each type is logged. A counter row kept by triggers makes the bound check O(1) on the
//! ticket path. Events the central system refuses for good are set aside with their reason.
//!
//! Every event gets the next sequence number after the highest ever given (`last_seq` in that
//! counter row), so numbers only grow, even after every event was pruned: the central system
//! orders a kiosk's events by them. The unsent events are read from `first_unsent` on (no unsent
//! event comes before it), which acknowledgements move forward: no index is written per event.
//!
//! It must not know how or when events are sent: that is the reporter's.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, StoreError, parse_time};

/// Tells whether the machine's clock is synchronised: the store asks it for each recorded
/// change and keeps the answer with the event (`clock_synced`). The reporter's kernel clock
/// (`report::clock::KernelClockSync`) is the real one; a `bool` is a fixed answer and an
/// [`AtomicBool`] one set by hand.
pub trait ClockSync: Send + Sync {
    fn is_synchronised(&self) -> bool;
}

impl ClockSync for bool {
    fn is_synchronised(&self) -> bool {
        *self
    }
}

impl ClockSync for AtomicBool {
    fn is_synchronised(&self) -> bool {
        self.load(Ordering::SeqCst)
    }
}

/// How many unsent events the outbox holds at most unless told otherwise (`report.outbox_max_events`).
pub const DEFAULT_OUTBOX_MAX: u64 = 200_000;

/// Where the events recorded now come from: the machine's boot and its clock's state.
#[derive(Clone)]
pub struct Origin {
    /// Linux's `boot_id` of this boot.
    pub boot_id: String,
    /// Whether the clock is synchronised, asked for each recorded change.
    pub clock: Arc<dyn ClockSync>,
}

impl Origin {
    /// The origin of a store nobody described: boot `unknown`, clock not synchronised.
    pub fn unknown() -> Origin {
        Origin { boot_id: "unknown".into(), clock: Arc::new(false) }
    }
}

impl std::fmt::Debug for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Origin").field("boot_id", &self.boot_id).finish_non_exhaustive()
    }
}

/// One outbox event waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    /// As stored (RFC 3339).
    pub occurred_at: String,
    pub clock_synced: bool,
    pub boot_id: String,
    /// The event's JSON text.
    pub body: String,
}

/// The outbox as the reporter and the health view see it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboxStatus {
    /// Events not yet acknowledged (not counting refused ones).
    pub backlog: u64,
    pub oldest_unsent_at: Option<Timestamp>,
    /// Events the central system refused for good, kept aside.
    pub refused: u64,
    /// The last time a batch was acknowledged.
    pub last_sent_at: Option<Timestamp>,
}

/// Events of one type not added because the outbox was full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedEvents {
    pub count: u64,
    pub first_at: Timestamp,
    pub last_at: Timestamp,
}

/// What one transaction needs to add outbox events: the origin and the bound. Types dropped are
/// collected so the store logs them after the commit.
pub(super) struct OutboxWriter<'a> {
    origin: &'a Origin,
    clock_synced: bool,
    max: u64,
    pub(super) dropped: Vec<String>,
}

impl<'a> OutboxWriter<'a> {
    pub(super) fn new(origin: &'a Origin, max: u64) -> OutboxWriter<'a> {
        OutboxWriter { origin, clock_synced: origin.clock.is_synchronised(), max, dropped: Vec::new() }
    }

    /// Adds an event, or counts it as dropped when the unsent backlog is full.
    pub(super) fn add(
        &mut self,
        tx: &Transaction<'_>,
        id: &str,
        kind: &str,
        occurred_at: Timestamp,
        body: &str,
    ) -> Result<(), StoreError> {
        let unsent: i64 =
            tx.prepare_cached("SELECT unsent FROM outbox_count WHERE id = 1")?.query_row([], |r| r.get(0))?;
        let at = occurred_at.to_string();
        if u64::try_from(unsent).unwrap_or(0) >= self.max {
            tx.execute(
                "INSERT INTO outbox_dropped (type, count, first_at, last_at) VALUES (?1, 1, ?2, ?2)
                 ON CONFLICT (type) DO UPDATE SET count = count + 1, last_at = excluded.last_at",
                params![kind, at],
            )?;
            self.dropped.push(kind.to_owned());
            return Ok(());
        }
        // The next number after the highest ever given, kept in the counter row the insert
        // trigger rewrites anyway: no page more per event, and never a number twice.
        tx.prepare_cached(
            "INSERT INTO outbox (seq, event_id, type, occurred_at, body, boot_id, clock_synced)
             SELECT last_seq + 1, ?1, ?2, ?3, ?4, ?5, ?6 FROM outbox_count WHERE id = 1",
        )?
        .execute(params![id, kind, at, body, self.origin.boot_id, self.clock_synced])?;
        Ok(())
    }
}

impl Store {
    /// Records events from now on as coming from `origin`.
    pub fn set_origin(&mut self, origin: Origin) {
        self.origin = origin;
    }

    /// Holds at most `max` unsent events from now on; further ones are counted as dropped.
    pub fn set_outbox_max(&mut self, max: u64) {
        self.outbox_max = max;
    }

    /// Logs the first drop of each type since the store was opened (the count is in the table).
    pub(super) fn log_dropped(&mut self, dropped: Vec<String>) {
        for kind in dropped {
            if self.dropped_logged.insert(kind.clone()) {
                log::error!(
                    "the outbox is full ({} unsent events, report.outbox_max_events): {kind} events are \
                     no longer added for the central system, only counted (the kiosk keeps working)",
                    self.outbox_max
                );
            }
        }
    }

    /// Events waiting to be sent to the central system (not counting refused ones). O(1): a
    /// counter kept by triggers.
    pub fn outbox_backlog(&self) -> Result<u64, StoreError> {
        let unsent: i64 =
            self.conn.query_row("SELECT unsent FROM outbox_count WHERE id = 1", [], |r| r.get(0))?;
        Ok(u64::try_from(unsent).unwrap_or(0))
    }

    /// Up to `limit` unsent events, oldest first (refused ones are left aside).
    pub fn unsent_events(&self, limit: usize) -> Result<Vec<OutboxEvent>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, event_id, type, occurred_at, clock_synced, boot_id, body FROM outbox
              WHERE seq >= (SELECT first_unsent FROM outbox_count WHERE id = 1)
                AND sent_at IS NULL AND refused_at IS NULL
              ORDER BY seq LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok(OutboxEvent {
                    seq: r.get(0)?,
                    id: r.get(1)?,
                    kind: r.get(2)?,
                    occurred_at: r.get(3)?,
                    clock_synced: r.get(4)?,
                    boot_id: r.get(5)?,
                    body: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Marks these events acknowledged by the central system at `at`; returns how many were
    /// unsent until now (an unknown or already sent id changes nothing).
    pub fn mark_sent(&mut self, ids: &[String], at: Timestamp) -> Result<usize, StoreError> {
        let at = at.to_string();
        let tx = self.conn.transaction()?;
        let mut changed = 0;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET sent_at = ?2 WHERE event_id = ?1 AND sent_at IS NULL AND refused_at IS NULL",
            )?;
            for id in ids {
                changed += stmt.execute(params![id, at])?;
            }
        }
        if changed > 0 {
            tx.execute("UPDATE outbox_count SET last_sent_at = ?1 WHERE id = 1", [&at])?;
            advance_first_unsent(&tx)?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Sets an event aside as refused for good, with the reason; it is not sent again. Returns
    /// false when no unsent event has that id.
    pub fn mark_refused(&mut self, id: &str, reason: &str, at: Timestamp) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE outbox SET refused_at = ?2, refused_reason = ?3
              WHERE event_id = ?1 AND sent_at IS NULL AND refused_at IS NULL",
            params![id, at.to_string(), reason],
        )?;
        if changed == 1 {
            advance_first_unsent(&tx)?;
        }
        tx.commit()?;
        Ok(changed == 1)
    }

    /// The refused events with their reasons, oldest first: (event id, type, reason).
    pub fn refused_events(&self, limit: usize) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT event_id, type, refused_reason FROM outbox WHERE refused_at IS NOT NULL ORDER BY seq LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Backlog, oldest unsent event, refused count and last acknowledgement.
    pub fn outbox_status(&self) -> Result<OutboxStatus, StoreError> {
        let (unsent, refused, last_sent_at): (i64, i64, Option<String>) = self.conn.query_row(
            "SELECT unsent, refused, last_sent_at FROM outbox_count WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let oldest: Option<String> = self
            .conn
            .query_row(
                "SELECT occurred_at FROM outbox
                  WHERE seq >= (SELECT first_unsent FROM outbox_count WHERE id = 1)
                    AND sent_at IS NULL AND refused_at IS NULL
                  ORDER BY seq LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(OutboxStatus {
            backlog: u64::try_from(unsent).unwrap_or(0),
            oldest_unsent_at: oldest.as_deref().map(parse_time).transpose()?,
            refused: u64::try_from(refused).unwrap_or(0),
            last_sent_at: last_sent_at.as_deref().map(parse_time).transpose()?,
        })
    }

    /// Events dropped because the outbox was full, per type, since the store was created.
    pub fn dropped_events(&self) -> Result<BTreeMap<String, DroppedEvents>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT type, count, first_at, last_at FROM outbox_dropped")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?
            .map(|row| {
                let (kind, count, first, last) = row?;
                let dropped = DroppedEvents {
                    count: u64::try_from(count).unwrap_or(0),
                    first_at: parse_time(&first)?,
                    last_at: parse_time(&last)?,
                };
                Ok((kind, dropped))
            })
            .collect::<Result<BTreeMap<_, _>, StoreError>>()?;
        Ok(rows)
    }

    /// Deletes events acknowledged before `before`; returns how many.
    pub fn prune_sent(&mut self, before: Timestamp) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .execute("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?1", [before.to_string()])?)
    }

    /// The outbox in order: (sequence, event id, type, JSON body).
    pub fn outbox(&self, limit: usize) -> Result<Vec<(i64, String, String, String)>, StoreError> {
        let mut stmt =
            self.conn.prepare("SELECT seq, event_id, type, body FROM outbox ORDER BY seq LIMIT ?1")?;
        let rows = stmt
            .query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// Moves `outbox_count.first_unsent` up to the oldest event still unsent (or past the newest),
/// after events were acknowledged or refused. It walks only over the events settled since the
/// last move: the reporter sends the oldest first.
fn advance_first_unsent(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE outbox_count
            SET first_unsent = COALESCE(
                    (SELECT seq FROM outbox
                      WHERE seq >= outbox_count.first_unsent AND sent_at IS NULL AND refused_at IS NULL
                      ORDER BY seq LIMIT 1),
                    last_seq + 1)
          WHERE id = 1",
        [],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::fixtures::{at, rules};
    use crate::queue::{Event, Queue};
    use crate::store::MIGRATIONS;
    use rusqlite::Connection;

    #[test]
    fn outbox_holds_each_event_once_in_order_with_a_unique_id() {
        let mut store = Store::open_in_memory().unwrap();
        let mut q = Queue::new(rules());
        store.record(&q.issue("email", "uk", at(9, 0)).unwrap().1).unwrap();
        store.record(&q.call_next("desk-1", at(9, 1)).unwrap()).unwrap();
        let rows = store.outbox(10).unwrap();
        let types: Vec<_> = rows.iter().map(|r| r.2.as_str()).collect();
        assert_eq!(types, ["ticket_issued", "ticket_called"]);
        assert!(rows[0].0 < rows[1].0);
        assert_ne!(rows[0].1, rows[1].1);
        let body: Event = serde_json::from_str(&rows[0].3).unwrap();
        assert_eq!(body.kind.ticket().unwrap().language, "uk");
    }

    fn issue(store: &mut Store, q: &mut Queue, n: usize) {
        for _ in 0..n {
            store.record(&q.issue("email", "nl", at(9, 0)).unwrap().1).unwrap();
        }
    }

    fn ids(store: &Store) -> Vec<String> {
        store.unsent_events(1000).unwrap().into_iter().map(|e| e.id).collect()
    }

    #[test]
    fn a_full_outbox_counts_drops_per_type_and_keeps_the_tickets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        let mut store = Store::open(&path).unwrap();
        store.set_outbox_max(5);
        let mut q = Queue::new(rules());
        issue(&mut store, &mut q, 7);
        assert!(store.record_device_state("printer", "no_paper", "", at(9, 1)).unwrap());
        assert_eq!(store.ticket_count().unwrap(), 7, "the tickets are all kept");
        assert_eq!(store.device_state("printer").unwrap().unwrap().0, "no_paper");
        assert_eq!(store.outbox_backlog().unwrap(), 5);
        let dropped = store.dropped_events().unwrap();
        let counts: Vec<(&str, u64)> = dropped.iter().map(|(k, d)| (k.as_str(), d.count)).collect();
        assert_eq!(counts, [("device_state_changed", 1), ("ticket_issued", 2)]);
        assert_eq!(dropped["ticket_issued"].first_at, at(9, 0));

        // Sending makes room again; the counter follows every change.
        let sent: Vec<String> = ids(&store).into_iter().take(2).collect();
        assert_eq!(store.mark_sent(&sent, at(10, 0)).unwrap(), 2);
        assert_eq!(store.mark_sent(&sent, at(10, 0)).unwrap(), 0, "sent once");
        assert_eq!(store.outbox_backlog().unwrap(), 3);
        issue(&mut store, &mut q, 1);
        assert_eq!(store.outbox_backlog().unwrap(), 4);
        let refused = ids(&store)[0].clone();
        assert!(store.mark_refused(&refused, "not a UUID", at(10, 1)).unwrap());
        assert!(!ids(&store).contains(&refused), "a refused event is not sent again");
        let status = store.outbox_status().unwrap();
        assert_eq!((status.backlog, status.refused, status.last_sent_at), (3, 1, Some(at(10, 0))));
        assert_eq!(store.refused_events(10).unwrap()[0].2, "not a UUID");
        assert_eq!(store.prune_sent(at(9, 30)).unwrap(), 0, "sent later than that");
        assert_eq!(store.prune_sent(at(11, 0)).unwrap(), 2);
        assert_eq!(store.outbox_backlog().unwrap(), 3);
        drop(store);

        let store = Store::open(&path).unwrap();
        assert_eq!(store.outbox_backlog().unwrap(), 3, "the counter is stored");
        let counted: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND refused_at IS NULL", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(counted, 3);
        assert_eq!(store.dropped_events().unwrap()["ticket_issued"].count, 2);
    }

    #[test]
    fn events_carry_their_origin_and_come_out_in_order() {
        let mut store = Store::open_in_memory().unwrap();
        let clock = Arc::new(AtomicBool::new(false));
        store.set_origin(Origin { boot_id: "boot-a".into(), clock: clock.clone() });
        let mut q = Queue::new(rules());
        issue(&mut store, &mut q, 1);
        clock.store(true, Ordering::SeqCst);
        store.set_origin(Origin { boot_id: "boot-b".into(), clock });
        issue(&mut store, &mut q, 2);
        let events = store.unsent_events(2).unwrap();
        assert_eq!(events.len(), 2, "the limit holds");
        assert!(events[0].seq < events[1].seq);
        assert_eq!((events[0].boot_id.as_str(), events[0].clock_synced), ("boot-a", false));
        assert_eq!((events[1].boot_id.as_str(), events[1].clock_synced), ("boot-b", true));
        assert_eq!(events[0].occurred_at, at(9, 0).to_string());
    }

    #[test]
    fn a_store_of_schema_3_keeps_its_outbox_and_counts_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            for step in &MIGRATIONS[..3] {
                conn.execute_batch(step).unwrap();
            }
            conn.pragma_update(None, "user_version", 3).unwrap();
            for (id, sent) in [("a", Some("2026-11-29T08:00:00Z")), ("b", None), ("c", None)] {
                conn.execute(
                    "INSERT INTO outbox (event_id, type, occurred_at, body, sent_at)
                     VALUES (?1, 'ticket_issued', '2026-11-29T07:00:00Z', '{}', ?2)",
                    params![id, sent],
                )
                .unwrap();
            }
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        assert_eq!(store.outbox_backlog().unwrap(), 2);
        let unsent = store.unsent_events(10).unwrap();
        let names: Vec<&str> = unsent.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(names, ["b", "c"]);
        assert_eq!((unsent[0].boot_id.as_str(), unsent[0].clock_synced), ("", false), "unknown before");
        store.mark_sent(&["b".to_owned()], at(10, 0)).unwrap();
        assert_eq!(store.outbox_backlog().unwrap(), 1);
    }

    fn seqs(store: &Store) -> Vec<i64> {
        store.unsent_events(1000).unwrap().into_iter().map(|e| e.seq).collect()
    }

    #[test]
    fn sequence_numbers_only_grow_even_when_every_event_was_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        let mut store = Store::open(&path).unwrap();
        let mut q = Queue::new(rules());
        issue(&mut store, &mut q, 3);
        let highest = *seqs(&store).last().unwrap();
        assert_eq!(store.mark_sent(&ids(&store), at(10, 0)).unwrap(), 3);
        assert_eq!(store.prune_sent(at(11, 0)).unwrap(), 3);
        assert!(store.outbox(10).unwrap().is_empty(), "every event is gone");
        drop(store);

        let mut store = Store::open(&path).unwrap();
        issue(&mut store, &mut q, 2);
        let next = seqs(&store);
        assert_eq!(next, [highest + 1, highest + 2], "numbering goes on after the highest ever given");
    }

    #[test]
    fn unsent_events_follow_acknowledgements_and_refusals_in_any_order() {
        let mut store = Store::open_in_memory().unwrap();
        let mut q = Queue::new(rules());
        issue(&mut store, &mut q, 4);
        let all = ids(&store);
        // The second and the fourth first, then the first: the third stays the oldest unsent.
        assert_eq!(store.mark_sent(&[all[1].clone(), all[3].clone()], at(10, 0)).unwrap(), 2);
        assert_eq!(ids(&store), [all[0].clone(), all[2].clone()]);
        assert_eq!(store.mark_sent(&all[..1], at(10, 1)).unwrap(), 1);
        assert_eq!(ids(&store), [all[2].clone()]);
        assert_eq!(store.outbox_status().unwrap().oldest_unsent_at, Some(at(9, 0)));
        assert!(store.mark_refused(&all[2], "no such service", at(10, 2)).unwrap());
        assert!(ids(&store).is_empty());
        assert_eq!(store.outbox_status().unwrap().oldest_unsent_at, None);
        issue(&mut store, &mut q, 1);
        assert_eq!(ids(&store).len(), 1, "a new event after all were settled is found");
        assert_eq!(store.outbox_backlog().unwrap(), 1);
    }

    /// A store left by the previous version (schema 7, the outbox with AUTOINCREMENT): its
    /// events keep their numbers and order, the unsent ones are still sent, and numbering goes
    /// on after the highest number it ever gave, also one whose event was pruned.
    #[test]
    fn an_outbox_of_schema_7_keeps_its_events_their_order_and_its_numbering() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            for step in &MIGRATIONS[..7] {
                conn.execute_batch(step).unwrap();
            }
            conn.pragma_update(None, "user_version", 7).unwrap();
            let sent = Some("2026-11-29T08:00:00Z");
            for (id, sent_at) in
                [("a", sent), ("b", None), ("c", sent), ("d", None), ("e", None), ("f", sent)]
            {
                conn.execute(
                    "INSERT INTO outbox (event_id, type, occurred_at, body, sent_at, boot_id)
                     VALUES (?1, 'ticket_issued', '2026-11-29T07:00:00Z', '{}', ?2, 'boot-old')",
                    params![id, sent_at],
                )
                .unwrap();
            }
            conn.execute("UPDATE outbox SET refused_at = '2026-11-29T08:00:00Z' WHERE event_id = 'd'", [])
                .unwrap();
            // The newest was acknowledged and pruned: only AUTOINCREMENT remembers its number.
            conn.execute("DELETE FROM outbox WHERE event_id IN ('a', 'f')", []).unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let kept: Vec<(i64, String)> = store.outbox(10).unwrap().into_iter().map(|r| (r.0, r.1)).collect();
        let expected = [(2, "b"), (3, "c"), (4, "d"), (5, "e")].map(|(seq, id)| (seq, id.to_owned()));
        assert_eq!(kept, expected, "every event with its number");
        assert_eq!(ids(&store), ["b", "e"], "unsent, oldest first; refused and sent left out");
        assert_eq!(store.unsent_events(1).unwrap()[0].boot_id, "boot-old");
        let status = store.outbox_status().unwrap();
        assert_eq!((status.backlog, status.refused), (2, 1));
        let mut q = Queue::new(rules());
        issue(&mut store, &mut q, 1);
        assert_eq!(seqs(&store), [2, 5, 7], "after 6, the highest ever given");
        store.mark_sent(&["b".to_owned()], at(10, 0)).unwrap();
        assert_eq!(seqs(&store), [5, 7]);
    }
}
