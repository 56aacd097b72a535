//! The kiosk's store: one SQLite file holding every ticket, the desks' state and the outbox.
//!
//! It owns the schema (append-only migrations keyed on `PRAGMA user_version`), the durability
//! settings (WAL, `synchronous=FULL`) and the rule that a queue change and its event are written
//! in one transaction: [`Store::record`] either keeps all of a change or none of it. After a
//! crash the queue is rebuilt from [`Store::snapshot`].
//!
//! It also keeps the screening results and tutorial sessions, each with its xAPI statements
//! in the same transaction ([`Store::record_screening`], [`Store::record_tutorial`]).
//!
//! The outbox is what the reporter (`report`) sends to the central system. Each event carries
//! the boot it was recorded in and whether the clock was synchronised then (the store's
//! [`Origin`]). The unsent backlog is bounded ([`Store::set_outbox_max`]): when it is full a new
//! event is not added but counted per type in `outbox_dropped` — the business rows (tickets,
//! results) are still written, and the first drop of each type is logged. A counter row kept by
//! triggers makes the bound check O(1) on the ticket path.
//!
//! It must not decide anything about the queue or a result: the rules live in `queue` and
//! `screening`.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::queue::{Event, EventKind, MIN_SERVICE_SECONDS, Snapshot, Ticket, TicketId, TicketState};
use crate::report::clock::{ClockSync, SimulatedClockSync};
use crate::screening::{
    ItemEnding, ItemResult, Level, Referral, ScreeningDetail, ScreeningRun, StepResult, TutorialRun,
    normalize_code,
};
use crate::xapi::{self, Statement};

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
        Origin { boot_id: "unknown".into(), clock: Arc::new(SimulatedClockSync::new(false)) }
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
struct OutboxWriter<'a> {
    origin: &'a Origin,
    clock_synced: bool,
    max: u64,
    dropped: Vec<String>,
}

impl<'a> OutboxWriter<'a> {
    fn new(origin: &'a Origin, max: u64) -> OutboxWriter<'a> {
        OutboxWriter { origin, clock_synced: origin.clock.is_synchronised(), max, dropped: Vec::new() }
    }

    /// Adds an event, or counts it as dropped when the unsent backlog is full.
    fn add(
        &mut self,
        tx: &Transaction<'_>,
        id: &str,
        kind: &str,
        occurred_at: Timestamp,
        body: &str,
    ) -> Result<(), StoreError> {
        let unsent: i64 = tx.query_row("SELECT unsent FROM outbox_count WHERE id = 1", [], |r| r.get(0))?;
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
        tx.execute(
            "INSERT INTO outbox (event_id, type, occurred_at, body, boot_id, clock_synced)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, kind, at, body, self.origin.boot_id, self.clock_synced],
        )?;
        Ok(())
    }
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error(
        "the store {path} was written by a newer Loket (schema version {found}, this one knows up to {known}); install the newer version or restore a backup"
    )]
    TooNew { path: String, found: i64, known: i64 },
    #[error("store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("store: a stored value is damaged: {0}")]
    Damaged(String),
    #[error("store: no free result code after {0} tries")]
    NoFreeCode(u32),
}

/// The schema, one step per released change. Never edit a step: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: tickets, desks, outbox
    "CREATE TABLE ticket (
        id             INTEGER PRIMARY KEY,
        service_day    TEXT    NOT NULL,
        prefix         TEXT    NOT NULL,
        number         INTEGER NOT NULL,
        issued_service TEXT    NOT NULL,
        service        TEXT    NOT NULL,
        language       TEXT    NOT NULL,
        issued_at      TEXT    NOT NULL,
        state          TEXT    NOT NULL,
        desk           TEXT,
        outcome        TEXT,
        called_at      TEXT,
        finished_at    TEXT,
        recalls        INTEGER NOT NULL DEFAULT 0,
        UNIQUE (service_day, prefix, number)
    );
    CREATE INDEX ticket_open ON ticket (state) WHERE state IN ('waiting', 'called');
    CREATE INDEX ticket_finished ON ticket (service, finished_at) WHERE state = 'served';
    CREATE TABLE day_counter (
        service_day TEXT    NOT NULL,
        prefix      TEXT    NOT NULL,
        last_number INTEGER NOT NULL,
        PRIMARY KEY (service_day, prefix)
    ) WITHOUT ROWID;
    CREATE TABLE desk_state (
        desk   TEXT PRIMARY KEY,
        paused INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE outbox (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id    TEXT    NOT NULL UNIQUE,
        type        TEXT    NOT NULL,
        occurred_at TEXT    NOT NULL,
        body        TEXT    NOT NULL,
        sent_at     TEXT
    );",
    // 2: the state of the kiosk's devices (the printer), as staff and the central system see it
    "CREATE TABLE device_state (
        device TEXT PRIMARY KEY,
        state  TEXT NOT NULL,
        detail TEXT NOT NULL,
        since  TEXT NOT NULL
    ) WITHOUT ROWID;",
    // 3: screening results (per exercise and per competence) and tutorial sessions
    "CREATE TABLE screening (
        id             INTEGER PRIMARY KEY,
        code           TEXT    NOT NULL UNIQUE,
        day            TEXT    NOT NULL,
        language       TEXT    NOT NULL,
        started_at     TEXT    NOT NULL,
        ended_at       TEXT    NOT NULL,
        finished       INTEGER NOT NULL,
        referral       TEXT    NOT NULL,
        referral_label TEXT    NOT NULL
    );
    CREATE INDEX screening_day ON screening (day);
    CREATE TABLE screening_item (
        screening       INTEGER NOT NULL REFERENCES screening (id),
        position        INTEGER NOT NULL,
        item_id         TEXT    NOT NULL,
        version         INTEGER NOT NULL,
        digcomp         TEXT    NOT NULL,
        digcomp_version TEXT    NOT NULL,
        ending          TEXT    NOT NULL,
        level           TEXT    NOT NULL,
        steps           TEXT    NOT NULL,
        duration_ms     INTEGER NOT NULL,
        PRIMARY KEY (screening, position)
    ) WITHOUT ROWID;
    CREATE TABLE screening_competence (
        screening INTEGER NOT NULL REFERENCES screening (id),
        code      TEXT    NOT NULL,
        level     TEXT    NOT NULL,
        PRIMARY KEY (screening, code)
    ) WITHOUT ROWID;
    CREATE TABLE tutorial_run (
        id          INTEGER PRIMARY KEY,
        session     TEXT    NOT NULL UNIQUE,
        day         TEXT    NOT NULL,
        tutorial_id TEXT    NOT NULL,
        version     INTEGER NOT NULL,
        digcomp     TEXT    NOT NULL,
        language    TEXT    NOT NULL,
        started_at  TEXT    NOT NULL,
        ended_at    TEXT    NOT NULL,
        completed   INTEGER NOT NULL,
        steps_done  INTEGER NOT NULL,
        steps_total INTEGER NOT NULL,
        hints       INTEGER NOT NULL,
        wrong_taps  INTEGER NOT NULL
    );
    CREATE INDEX tutorial_run_day ON tutorial_run (day);",
    // 4: reporting to the central system: each event's boot and clock state, events set aside
    // as refused, an O(1) count of unsent events kept by triggers, events dropped when full
    "ALTER TABLE outbox ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE outbox ADD COLUMN clock_synced INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN refused_at TEXT;
    ALTER TABLE outbox ADD COLUMN refused_reason TEXT;
    CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL AND refused_at IS NULL;
    CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
    CREATE TABLE outbox_count (
        id           INTEGER PRIMARY KEY CHECK (id = 1),
        unsent       INTEGER NOT NULL,
        refused      INTEGER NOT NULL,
        last_sent_at TEXT
    );
    INSERT INTO outbox_count (id, unsent, refused)
        SELECT 1, (SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL), 0;
    CREATE TRIGGER outbox_count_insert AFTER INSERT ON outbox BEGIN
        UPDATE outbox_count
           SET unsent = unsent + (NEW.sent_at IS NULL AND NEW.refused_at IS NULL),
               refused = refused + (NEW.refused_at IS NOT NULL)
         WHERE id = 1;
    END;
    CREATE TRIGGER outbox_count_update AFTER UPDATE OF sent_at, refused_at ON outbox BEGIN
        UPDATE outbox_count
           SET unsent = unsent - (OLD.sent_at IS NULL AND OLD.refused_at IS NULL)
                               + (NEW.sent_at IS NULL AND NEW.refused_at IS NULL),
               refused = refused - (OLD.refused_at IS NOT NULL) + (NEW.refused_at IS NOT NULL)
         WHERE id = 1;
    END;
    CREATE TRIGGER outbox_count_delete AFTER DELETE ON outbox BEGIN
        UPDATE outbox_count
           SET unsent = unsent - (OLD.sent_at IS NULL AND OLD.refused_at IS NULL),
               refused = refused - (OLD.refused_at IS NOT NULL)
         WHERE id = 1;
    END;
    CREATE TABLE outbox_dropped (
        type     TEXT    PRIMARY KEY,
        count    INTEGER NOT NULL,
        first_at TEXT    NOT NULL,
        last_at  TEXT    NOT NULL
    ) WITHOUT ROWID;",
];

/// A scored screening, ready to be stored (see [`Store::record_screening`]).
#[derive(Debug, Clone, Copy)]
pub struct NewScreening<'a> {
    /// The result code as shown, e.g. `K7M-4PX`.
    pub code: &'a str,
    /// The local day it ended on (for the day's figures).
    pub day: Date,
    pub run: &'a ScreeningRun,
    /// The level of each of `run.items`, in the same order.
    pub levels: &'a [Level],
    pub competences: &'a [(String, Level)],
    pub referral: &'a Referral,
    pub statements: &'a [Statement],
}

/// The kiosk's SQLite store.
pub struct Store {
    pub(crate) conn: Connection,
    origin: Origin,
    outbox_max: u64,
    /// Event types whose drop was already logged since the store was opened.
    dropped_logged: HashSet<String>,
}

impl Store {
    /// Opens (or creates) the store file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let shown = path.display().to_string();
        let conn =
            Connection::open(path).map_err(|source| StoreError::Open { path: shown.clone(), source })?;
        Store::setup(conn, &shown)
    }

    /// A store in memory, for tests and tools.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::setup(Connection::open_in_memory()?, ":memory:")
    }

    fn setup(conn: Connection, shown: &str) -> Result<Store, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL keeps readers and the writer apart; FULL makes every commit survive power loss,
        // which is the promise behind "the number you see is stored".
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Store {
            conn,
            origin: Origin::unknown(),
            outbox_max: DEFAULT_OUTBOX_MAX,
            dropped_logged: HashSet::new(),
        };
        store.migrate(shown)?;
        Ok(store)
    }

    /// Records events from now on as coming from `origin`.
    pub fn set_origin(&mut self, origin: Origin) {
        self.origin = origin;
    }

    /// Holds at most `max` unsent events from now on; further ones are counted as dropped.
    pub fn set_outbox_max(&mut self, max: u64) {
        self.outbox_max = max;
    }

    /// Logs the first drop of each type since the store was opened (the count is in the table).
    fn log_dropped(&mut self, dropped: Vec<String>) {
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

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn migrate(&mut self, shown: &str) -> Result<(), StoreError> {
        let known = MIGRATIONS.len() as i64;
        let found = self.schema_version()?;
        if found > known {
            return Err(StoreError::TooNew { path: shown.to_owned(), found, known });
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(step)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Writes the tickets and desks an action changed, and its events into the outbox, in one
    /// transaction. Returns once the commit is durable.
    pub fn record(&mut self, events: &[Event]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut outbox = OutboxWriter::new(&self.origin, self.outbox_max);
        let tx = self.conn.transaction()?;
        for event in events {
            write_event(&tx, &mut outbox, event)?;
        }
        tx.commit()?;
        let dropped = outbox.dropped;
        self.log_dropped(dropped);
        Ok(())
    }

    /// What the queue needs to resume: open tickets, the newest day's tickets, numbers given,
    /// paused desks and up to `recent_services` recent service times per service.
    pub fn snapshot(&self, recent_services: usize) -> Result<Snapshot, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, service_day, prefix, number, issued_service, service, language, issued_at,
                    state, desk, outcome, called_at, finished_at, recalls
               FROM ticket
              WHERE state IN ('waiting', 'called')
                 OR service_day = (SELECT MAX(service_day) FROM ticket)
              ORDER BY id",
        )?;
        let tickets = stmt.query_map([], read_ticket)?.collect::<Result<Result<Vec<_>, _>, _>>()??;

        let mut stmt = self.conn.prepare(
            "SELECT service_day, prefix, last_number FROM day_counter
              WHERE service_day = (SELECT MAX(service_day) FROM day_counter)",
        )?;
        let last_numbers = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, u32>(2)?)))?
            .map(|row| {
                let (day, prefix, number) = row?;
                Ok((parse_date(&day)?, prefix, number))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        let mut stmt = self.conn.prepare("SELECT desk FROM desk_state WHERE paused = 1 ORDER BY desk")?;
        let paused_desks = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;

        let last_ticket_id: Option<i64> =
            self.conn.query_row("SELECT MAX(id) FROM ticket", [], |r| r.get(0))?;

        let mut stmt = self.conn.prepare(
            "SELECT service, called_at, finished_at FROM (
                SELECT service, called_at, finished_at,
                       ROW_NUMBER() OVER (PARTITION BY service ORDER BY finished_at DESC) AS n
                  FROM ticket WHERE state = 'served' AND called_at IS NOT NULL
                   AND (julianday(finished_at) - julianday(called_at)) * 86400.0 >= ?2)
              WHERE n <= ?1 ORDER BY finished_at",
        )?;
        let service_times = stmt
            .query_map(params![recent_services as i64, MIN_SERVICE_SECONDS], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })?
            .map(|row| {
                let (service, called, finished) = row?;
                let time: SignedDuration = parse_time(&finished)?.duration_since(parse_time(&called)?);
                Ok((service, time))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        Ok(Snapshot {
            tickets,
            paused_desks,
            last_ticket_id: last_ticket_id.map(TicketId),
            service_times,
            last_numbers,
        })
    }

    /// One ticket by id, from any day.
    pub fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT id, service_day, prefix, number, issued_service, service, language, issued_at,
                        state, desk, outcome, called_at, finished_at, recalls
                   FROM ticket WHERE id = ?1",
                [id.0],
                read_ticket,
            )
            .optional()?;
        row.transpose()
    }

    /// How many tickets the store holds, over all days.
    pub fn ticket_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM ticket", [], |r| r.get::<_, i64>(0))? as u64)
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
              WHERE sent_at IS NULL AND refused_at IS NULL ORDER BY seq LIMIT ?1",
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
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Sets an event aside as refused for good, with the reason; it is not sent again. Returns
    /// false when no unsent event has that id.
    pub fn mark_refused(&mut self, id: &str, reason: &str, at: Timestamp) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE outbox SET refused_at = ?2, refused_reason = ?3
              WHERE event_id = ?1 AND sent_at IS NULL AND refused_at IS NULL",
            params![id, at.to_string(), reason],
        )?;
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
                "SELECT occurred_at FROM outbox WHERE sent_at IS NULL AND refused_at IS NULL ORDER BY seq LIMIT 1",
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

    /// Records a device's new state (e.g. the printer: "no_paper") and an event for the central
    /// system, in one transaction. Returns false, writing nothing, when the state is unchanged.
    pub fn record_device_state(
        &mut self,
        device: &str,
        state: &str,
        detail: &str,
        at: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        let mut outbox = OutboxWriter::new(&self.origin, self.outbox_max);
        let tx = self.conn.transaction()?;
        let old: Option<String> = tx
            .query_row("SELECT state FROM device_state WHERE device = ?1", [device], |r| r.get(0))
            .optional()?;
        if old.as_deref() == Some(state) {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO device_state (device, state, detail, since) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (device) DO UPDATE SET state = excluded.state, detail = excluded.detail,
                                                since = excluded.since",
            params![device, state, detail, at.to_string()],
        )?;
        let body = serde_json::json!({
            "type": "device_state_changed", "at": at, "device": device, "state": state,
            "previous": old, "detail": detail,
        });
        outbox.add(&tx, &uuid::Uuid::new_v4().to_string(), "device_state_changed", at, &body.to_string())?;
        tx.commit()?;
        let dropped = outbox.dropped;
        self.log_dropped(dropped);
        Ok(true)
    }

    /// A device's last recorded state and its detail.
    pub fn device_state(&self, device: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT state, detail FROM device_state WHERE device = ?1", [device], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    /// Stores a scored screening, its exercises, its competences and its statements (into the
    /// outbox) in one transaction. Returns false, writing nothing, when the code is already
    /// taken: the caller draws another.
    pub fn record_screening(&mut self, new: &NewScreening<'_>) -> Result<bool, StoreError> {
        let run = new.run;
        if new.levels.len() != run.items.len() {
            return Err(StoreError::Damaged(format!(
                "{} levels for {} exercises",
                new.levels.len(),
                run.items.len()
            )));
        }
        let mut outbox = OutboxWriter::new(&self.origin, self.outbox_max);
        let tx = self.conn.transaction()?;
        let taken: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM screening WHERE code = ?1)", [new.code], |r| {
                r.get(0)
            })?;
        if taken {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO screening (code, day, language, started_at, ended_at, finished, referral, referral_label)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                new.code,
                new.day.to_string(),
                run.language,
                run.started_at.to_string(),
                run.ended_at.to_string(),
                run.finished,
                new.referral.outcome,
                new.referral.label,
            ],
        )?;
        let id = tx.last_insert_rowid();
        for (position, (item, level)) in run.items.iter().zip(new.levels).enumerate() {
            tx.execute(
                "INSERT INTO screening_item (screening, position, item_id, version, digcomp, digcomp_version,
                                             ending, level, steps, duration_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    id,
                    position as i64,
                    item.item_id,
                    item.version,
                    to_json(&item.digcomp)?,
                    item.digcomp_version,
                    item.ending.name(),
                    level.name(),
                    to_json(&item.steps)?,
                    i64::try_from(item.duration_ms).unwrap_or(i64::MAX),
                ],
            )?;
        }
        for (code, level) in new.competences {
            tx.execute(
                "INSERT INTO screening_competence (screening, code, level) VALUES (?1, ?2, ?3)",
                params![id, code, level.name()],
            )?;
        }
        for statement in new.statements {
            write_statement(&tx, &mut outbox, statement)?;
        }
        tx.commit()?;
        let dropped = outbox.dropped;
        self.log_dropped(dropped);
        Ok(true)
    }

    /// Stores a tutorial session and its statement (into the outbox) in one transaction.
    /// `session` is the random id its statement uses as actor.
    pub fn record_tutorial(
        &mut self,
        run: &TutorialRun,
        session: &str,
        day: Date,
        statement: &Statement,
    ) -> Result<(), StoreError> {
        let mut outbox = OutboxWriter::new(&self.origin, self.outbox_max);
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO tutorial_run (session, day, tutorial_id, version, digcomp, language, started_at,
                                       ended_at, completed, steps_done, steps_total, hints, wrong_taps)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                session,
                day.to_string(),
                run.tutorial_id,
                run.version,
                to_json(&run.digcomp)?,
                run.language,
                run.started_at.to_string(),
                run.ended_at.to_string(),
                run.completed,
                run.steps_done,
                run.steps_total,
                run.hints,
                run.wrong_taps,
            ],
        )?;
        write_statement(&tx, &mut outbox, statement)?;
        tx.commit()?;
        let dropped = outbox.dropped;
        self.log_dropped(dropped);
        Ok(())
    }

    /// A recorded screening by its result code, typed in any case, with or without the dash;
    /// `None` when no screening has that code (or it cannot be a code).
    pub fn screening_by_code(&self, code: &str) -> Result<Option<ScreeningDetail>, StoreError> {
        let Some(code) = normalize_code(code) else { return Ok(None) };
        let row = self
            .conn
            .query_row(
                "SELECT id, language, started_at, ended_at, finished, referral, referral_label
                   FROM screening WHERE code = ?1",
                [&code],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, language, started_at, ended_at, finished, outcome, label)) = row else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare(
            "SELECT item_id, version, digcomp, digcomp_version, ending, level, steps, duration_ms
               FROM screening_item WHERE screening = ?1 ORDER BY position",
        )?;
        let items = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            })?
            .map(|row| {
                let (item_id, version, digcomp, digcomp_version, ending, level, steps, duration_ms) = row?;
                let item = ItemResult {
                    digcomp: from_json::<Vec<String>>(&digcomp, &code)?,
                    ending: ItemEnding::from_name(&ending).ok_or_else(|| {
                        StoreError::Damaged(format!("screening {code}: unknown ending {ending:?}"))
                    })?,
                    steps: from_json::<Vec<StepResult>>(&steps, &code)?,
                    item_id,
                    version,
                    digcomp_version,
                    duration_ms: u64::try_from(duration_ms).unwrap_or(0),
                };
                Ok((item, parse_level(&level, &code)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut stmt = self
            .conn
            .prepare("SELECT code, level FROM screening_competence WHERE screening = ?1 ORDER BY code")?;
        let competences = stmt
            .query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .map(|row| {
                let (competence, level) = row?;
                Ok((competence, parse_level(&level, &code)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(ScreeningDetail {
            started_at: parse_time(&started_at)?,
            ended_at: parse_time(&ended_at)?,
            code,
            language,
            finished,
            items,
            competences,
            referral: Referral { outcome, label },
        }))
    }

    /// How many screenings and tutorial sessions ended on this local day.
    pub fn learning_counts(&self, day: Date) -> Result<(u64, u64), StoreError> {
        let day = day.to_string();
        let count = |table: &str| -> Result<u64, StoreError> {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE day = ?1");
            Ok(self.conn.query_row(&sql, [&day], |r| r.get::<_, i64>(0))? as u64)
        };
        Ok((count("screening")?, count("tutorial_run")?))
    }

    /// Makes the WAL's content part of the main file (done at a quiet moment and at shutdown).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }
}

fn write_statement(
    tx: &Transaction<'_>,
    outbox: &mut OutboxWriter<'_>,
    statement: &Statement,
) -> Result<(), StoreError> {
    let body = statement.json.to_string();
    outbox.add(tx, &statement.id.to_string(), xapi::EVENT_TYPE, statement.timestamp, &body)
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Damaged(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, code: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Damaged(format!("screening {code}: {e}")))
}

fn parse_level(name: &str, code: &str) -> Result<Level, StoreError> {
    Level::from_name(name)
        .ok_or_else(|| StoreError::Damaged(format!("screening {code}: unknown level {name:?}")))
}

fn write_event(tx: &Transaction<'_>, outbox: &mut OutboxWriter<'_>, event: &Event) -> Result<(), StoreError> {
    if let Some(ticket) = event.kind.ticket() {
        write_ticket(tx, ticket, matches!(event.kind, EventKind::TicketIssued { .. }))?;
    }
    match &event.kind {
        EventKind::DeskPaused { desk } | EventKind::DeskResumed { desk } => {
            let paused = matches!(event.kind, EventKind::DeskPaused { .. });
            tx.execute(
                "INSERT INTO desk_state (desk, paused) VALUES (?1, ?2)
                 ON CONFLICT (desk) DO UPDATE SET paused = excluded.paused",
                params![desk, paused],
            )?;
        }
        EventKind::TicketIssued { ticket } => {
            tx.execute(
                "INSERT INTO day_counter (service_day, prefix, last_number) VALUES (?1, ?2, ?3)
                 ON CONFLICT (service_day, prefix) DO UPDATE SET last_number = MAX(last_number, excluded.last_number)",
                params![ticket.service_day.to_string(), ticket.prefix, ticket.number],
            )?;
        }
        _ => {}
    }
    let body = serde_json::to_string(event).map_err(|e| StoreError::Damaged(e.to_string()))?;
    outbox.add(tx, &uuid::Uuid::new_v4().to_string(), event.kind.name(), event.at, &body)
}

/// Inserts a new ticket (`TicketIssued`) or updates a stored one (every other ticket event).
/// Issuing a ticket that exists, or changing one that does not, fails the whole transaction.
fn write_ticket(tx: &Transaction<'_>, t: &Ticket, new: bool) -> Result<(), StoreError> {
    let outcome = match &t.state {
        TicketState::Served { outcome, .. } => outcome.clone(),
        _ => None,
    };
    if new {
        tx.execute(
            "INSERT INTO ticket (id, service_day, prefix, number, issued_service, service, language,
                                 issued_at, state, desk, outcome, called_at, finished_at, recalls)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                t.id.0,
                t.service_day.to_string(),
                t.prefix,
                t.number,
                t.issued_service,
                t.service,
                t.language,
                t.issued_at.to_string(),
                t.state.name(),
                t.desk(),
                outcome,
                t.called_at.map(|x| x.to_string()),
                t.finished_at.map(|x| x.to_string()),
                t.recalls,
            ],
        )?;
        return Ok(());
    }
    let changed = tx.execute(
        "UPDATE ticket SET service = ?2, state = ?3, desk = ?4, outcome = ?5, called_at = ?6,
                           finished_at = ?7, recalls = ?8
          WHERE id = ?1",
        params![
            t.id.0,
            t.service,
            t.state.name(),
            t.desk(),
            outcome,
            t.called_at.map(|x| x.to_string()),
            t.finished_at.map(|x| x.to_string()),
            t.recalls,
        ],
    )?;
    if changed != 1 {
        return Err(StoreError::Damaged(format!("ticket {} ({}) is not in the store", t.id.0, t.code())));
    }
    Ok(())
}

type Row = Result<Ticket, StoreError>;

fn read_ticket(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let id: i64 = r.get(0)?;
    let day: String = r.get(1)?;
    let issued_at: String = r.get(7)?;
    let state: String = r.get(8)?;
    let desk: Option<String> = r.get(9)?;
    let outcome: Option<String> = r.get(10)?;
    let called_at: Option<String> = r.get(11)?;
    let finished_at: Option<String> = r.get(12)?;
    let (prefix, number, issued_service, service, language, recalls) =
        (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(13)?);
    Ok((|| {
        let need_desk = || {
            desk.clone().ok_or_else(|| StoreError::Damaged(format!("ticket {id} is {state} without a desk")))
        };
        let state = match state.as_str() {
            "waiting" => TicketState::Waiting,
            "called" => TicketState::Called { desk: need_desk()? },
            "served" => TicketState::Served { desk: need_desk()?, outcome },
            "no_show" => TicketState::NoShow { desk: need_desk()? },
            "expired" => TicketState::Expired,
            other => return Err(StoreError::Damaged(format!("ticket {id} has unknown state {other:?}"))),
        };
        Ok(Ticket {
            id: TicketId(id),
            service_day: parse_date(&day)?,
            prefix,
            number,
            issued_service,
            service,
            language,
            issued_at: parse_time(&issued_at)?,
            state,
            called_at: called_at.as_deref().map(parse_time).transpose()?,
            finished_at: finished_at.as_deref().map(parse_time).transpose()?,
            recalls,
        })
    })())
}

fn parse_time(text: &str) -> Result<Timestamp, StoreError> {
    text.parse().map_err(|e| StoreError::Damaged(format!("time {text:?}: {e}")))
}

fn parse_date(text: &str) -> Result<Date, StoreError> {
    text.parse().map_err(|e| StoreError::Damaged(format!("date {text:?}: {e}")))
}

/// Reads the current schema version of a store file without changing it (for `loket check`).
pub fn peek_schema_version(path: &Path) -> Result<Option<i64>, StoreError> {
    if !path.exists() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|source| StoreError::Open { path: path.display().to_string(), source })?;
    Ok(Some(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::Queue;
    use crate::queue::fixtures::{at, rules};

    #[test]
    fn migrations_run_once_and_set_the_version() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        drop(Store::open(&path).unwrap());
        let again = Store::open(&path).unwrap();
        assert_eq!(again.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let mode: String = again.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = again.conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
    }

    #[test]
    fn a_store_from_a_newer_version_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        let err = Store::open(&path).err().unwrap().to_string();
        assert!(err.contains("schema version 99"), "{err}");
        assert!(err.contains("loket.sqlite"), "{err}");
    }

    #[test]
    fn reopening_gives_back_the_same_queue() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        let mut store = Store::open(&path).unwrap();
        let mut q = Queue::new(rules());
        let mut record = |events: Vec<Event>| store.record(&events).unwrap();
        record(q.issue("email", "ar", at(9, 0)).unwrap().1);
        record(q.issue("tablet", "nl", at(9, 1)).unwrap().1);
        record(q.issue("email", "fr", at(9, 2)).unwrap().1);
        record(q.call_next("desk-1", at(9, 3)).unwrap());
        record(q.pause("desk-2", at(9, 4)).unwrap());
        drop(store);

        let store = Store::open(&path).unwrap();
        let again = Queue::resume(rules(), store.snapshot(5).unwrap());
        let mine: Vec<_> = q.tickets().cloned().collect();
        let theirs: Vec<_> = again.tickets().cloned().collect();
        assert_eq!(mine, theirs);
        assert!(again.is_paused("desk-2"));
        assert_eq!(again.current_ticket("desk-1").unwrap().code(), "E-001");
        assert_eq!(again.recent_calls(3).len(), 1);
        assert_eq!(store.outbox_backlog().unwrap(), 5);
    }

    #[test]
    fn numbers_continue_after_restart_and_never_repeat() {
        let mut store = Store::open_in_memory().unwrap();
        let mut q = Queue::new(rules());
        for _ in 0..3 {
            store.record(&q.issue("email", "nl", at(9, 0)).unwrap().1).unwrap();
        }
        let mut again = Queue::resume(rules(), store.snapshot(5).unwrap());
        let (t, events) = again.issue("email", "nl", at(9, 5)).unwrap();
        store.record(&events).unwrap();
        assert_eq!(t.code(), "E-004");
        // The database itself refuses a duplicate number for the same day.
        let mut stale = Queue::new(rules());
        let (_, dup) = stale.issue("email", "nl", at(9, 6)).unwrap();
        assert!(store.record(&dup).is_err());
    }

    #[test]
    fn a_failed_transaction_keeps_nothing_of_the_change() {
        let mut store = Store::open_in_memory().unwrap();
        let mut q = Queue::new(rules());
        let (first, events) = q.issue("email", "nl", at(9, 0)).unwrap();
        store.record(&events).unwrap();
        // A batch whose second event collides: the first must not be kept either.
        let (_, good) = q.issue("tablet", "nl", at(9, 1)).unwrap();
        let mut bad = good.clone();
        let mut clash = first.clone();
        clash.id = TicketId(77);
        bad.push(Event { at: at(9, 1), kind: EventKind::TicketIssued { ticket: clash } });
        assert!(store.record(&bad).is_err());
        assert_eq!(store.ticket_count().unwrap(), 1);
        assert_eq!(store.outbox_backlog().unwrap(), 1);
    }

    #[test]
    fn service_times_are_read_back_for_the_estimate() {
        let mut store = Store::open_in_memory().unwrap();
        let mut q = Queue::new(rules());
        for i in 0..3 {
            store.record(&q.issue("email", "nl", at(9, 0)).unwrap().1).unwrap();
            store.record(&q.call_next("desk-1", at(10, i * 20)).unwrap()).unwrap();
            store.record(&q.served("desk-1", None, at(10, i * 20 + 12)).unwrap()).unwrap();
        }
        // A mistaken call closed within seconds is not one of the recent service times.
        store.record(&q.issue("email", "nl", at(9, 0)).unwrap().1).unwrap();
        store.record(&q.call_next("desk-1", at(11, 30)).unwrap()).unwrap();
        store.record(&q.served("desk-1", None, at(11, 30)).unwrap()).unwrap();
        let snapshot = store.snapshot(2).unwrap();
        assert_eq!(snapshot.service_times.len(), 2, "only the two most recent real ones");
        assert!(
            snapshot.service_times.iter().all(|(_, t)| *t == SignedDuration::from_mins(12)),
            "{snapshot:?}"
        );
        let again = Queue::resume(rules(), snapshot);
        assert_eq!(again.average_service_time("email"), SignedDuration::from_mins(12));
    }

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

    #[test]
    fn a_device_state_change_is_stored_once_with_its_event() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.device_state("printer").unwrap(), None);
        assert!(store.record_device_state("printer", "no_paper", "status byte 0x04", at(9, 0)).unwrap());
        assert!(!store.record_device_state("printer", "no_paper", "again", at(9, 1)).unwrap(), "unchanged");
        assert!(store.record_device_state("printer", "ready", "", at(9, 5)).unwrap());
        assert_eq!(store.device_state("printer").unwrap(), Some(("ready".into(), "".into())));
        let rows = store.outbox(10).unwrap();
        assert_eq!(rows.len(), 2);
        let body: serde_json::Value = serde_json::from_str(&rows[1].3).unwrap();
        assert_eq!((body["state"].as_str(), body["previous"].as_str()), (Some("ready"), Some("no_paper")));
    }

    #[test]
    fn a_store_of_schema_1_is_brought_up_to_date_and_keeps_its_tickets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO ticket (id, service_day, prefix, number, issued_service, service, language,
                                     issued_at, state) VALUES (1, '2026-11-29', 'E', 1, 'email', 'email', 'nl',
                                     '2026-11-29T08:00:00Z', 'waiting')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        assert_eq!(store.ticket(TicketId(1)).unwrap().unwrap().code(), "E-001");
        assert_eq!(store.device_state("printer").unwrap(), None);
    }

    fn screening_run() -> ScreeningRun {
        let step = |done: bool, hint_level: u8| StepResult {
            step_id: "s01".into(),
            done,
            wrong_taps: 2,
            risky_taps: 0,
            hint_level,
            time_ms: 8_000,
            first_action_ms: None,
        };
        let item = |id: &str, ending: ItemEnding, steps: Vec<StepResult>| ItemResult {
            item_id: id.into(),
            version: 2,
            digcomp: vec!["2.1".into(), "2.4".into()],
            digcomp_version: "2.2".into(),
            ending,
            steps,
            duration_ms: 30_500,
        };
        ScreeningRun {
            language: "uk".into(),
            started_at: at(10, 0),
            ended_at: at(10, 12),
            finished: true,
            items: vec![
                item("x04-mail-reply", ItemEnding::Completed, vec![step(true, 1), step(true, 0)]),
                item("x05-video-call", ItemEnding::Skipped, vec![step(false, 3)]),
            ],
        }
    }

    fn statement(n: u128) -> Statement {
        Statement {
            id: uuid::Uuid::from_u128(n),
            timestamp: at(10, 12),
            json: serde_json::json!({ "id": uuid::Uuid::from_u128(n).to_string() }),
        }
    }

    fn record(store: &mut Store, code: &str, statements: &[Statement]) -> Result<bool, StoreError> {
        let run = screening_run();
        let referral = Referral { outcome: "group-session".into(), label: "Digisessie in groep".into() };
        let competences = [("2.1".to_owned(), Level::WithHelp), ("2.4".to_owned(), Level::WithHelp)];
        store.record_screening(&NewScreening {
            code,
            day: at(10, 12).to_zoned(jiff::tz::TimeZone::UTC).date(),
            run: &run,
            levels: &[Level::WithHelp, Level::NotYet],
            competences: &competences,
            referral: &referral,
            statements,
        })
    }

    #[test]
    fn a_screening_is_stored_with_its_statements_and_read_back_by_code() {
        let mut store = Store::open_in_memory().unwrap();
        assert!(record(&mut store, "K7M-4PX", &[statement(1), statement(2)]).unwrap());
        let detail = store.screening_by_code("K7M-4PX").unwrap().unwrap();
        let run = screening_run();
        assert_eq!(detail.code, "K7M-4PX");
        assert_eq!(
            (detail.language.as_str(), detail.started_at, detail.ended_at),
            ("uk", run.started_at, run.ended_at)
        );
        assert!(detail.finished);
        assert_eq!(
            detail.items,
            [(run.items[0].clone(), Level::WithHelp), (run.items[1].clone(), Level::NotYet)]
        );
        assert_eq!(detail.competences, [("2.1".into(), Level::WithHelp), ("2.4".into(), Level::WithHelp)]);
        assert_eq!(detail.referral.outcome, "group-session");
        assert_eq!(detail.referral.label, "Digisessie in groep");
        let rows = store.outbox(10).unwrap();
        let types: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
        assert_eq!(types, ["xapi_statement", "xapi_statement"]);
        assert_eq!(rows[0].1, uuid::Uuid::from_u128(1).to_string(), "the statement id is the event id");
    }

    #[test]
    fn codes_are_found_in_any_case_with_or_without_the_dash() {
        let mut store = Store::open_in_memory().unwrap();
        record(&mut store, "K7M-4PX", &[]).unwrap();
        for typed in ["k7m-4px", "K7M4PX", " k7m4px"] {
            assert_eq!(store.screening_by_code(typed).unwrap().unwrap().code, "K7M-4PX", "{typed}");
        }
        assert_eq!(store.screening_by_code("K7M-4PA").unwrap(), None);
        assert_eq!(store.screening_by_code("nonsense").unwrap(), None);
    }

    #[test]
    fn a_taken_code_writes_nothing() {
        let mut store = Store::open_in_memory().unwrap();
        assert!(record(&mut store, "K7M-4PX", &[statement(1)]).unwrap());
        assert!(!record(&mut store, "K7M-4PX", &[statement(2)]).unwrap());
        assert_eq!(store.outbox_backlog().unwrap(), 1);
    }

    #[test]
    fn a_failed_screening_transaction_keeps_nothing() {
        let mut store = Store::open_in_memory().unwrap();
        assert!(record(&mut store, "AAA-AAA", &[statement(1), statement(1)]).is_err(), "duplicate event id");
        assert_eq!(store.screening_by_code("AAA-AAA").unwrap(), None);
        assert_eq!(store.outbox_backlog().unwrap(), 0);
        let count: i64 =
            store.conn.query_row("SELECT COUNT(*) FROM screening_item", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 0);
    }

    #[test]
    fn tutorials_and_screenings_are_counted_per_day() {
        let mut store = Store::open_in_memory().unwrap();
        record(&mut store, "AAA-AAA", &[]).unwrap();
        let run = TutorialRun {
            tutorial_id: "t02-email".into(),
            version: 1,
            digcomp: vec!["2.1".into()],
            language: "fr".into(),
            started_at: at(11, 0),
            ended_at: at(11, 6),
            completed: false,
            steps_done: 3,
            steps_total: 8,
            hints: 1,
            wrong_taps: 0,
        };
        let today = at(11, 6).to_zoned(jiff::tz::TimeZone::UTC).date();
        store.record_tutorial(&run, "session-1", today, &statement(9)).unwrap();
        store.record_tutorial(&run, "session-2", today, &statement(10)).unwrap();
        assert_eq!(store.learning_counts(today).unwrap(), (1, 2));
        assert_eq!(store.learning_counts(today.tomorrow().unwrap()).unwrap(), (0, 0));
        assert_eq!(store.outbox_backlog().unwrap(), 2);
        assert!(store.record_tutorial(&run, "session-3", today, &statement(9)).is_err(), "statement twice");
        assert_eq!(store.learning_counts(today).unwrap(), (1, 2), "and nothing of it kept");
    }

    #[test]
    fn a_store_of_schema_2_gets_the_learning_tables() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute_batch(MIGRATIONS[1]).unwrap();
            conn.pragma_update(None, "user_version", 2).unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        assert!(record(&mut store, "AAA-AAA", &[]).unwrap());
    }

    #[test]
    fn yesterdays_finished_tickets_stay_stored_but_leave_the_queue() {
        let mut store = Store::open_in_memory().unwrap();
        let mut q = Queue::new(rules());
        store.record(&q.issue("email", "nl", at(9, 0)).unwrap().1).unwrap();
        store.record(&q.issue("email", "nl", at(9, 1)).unwrap().1).unwrap();
        let tomorrow = at(9, 0).checked_add(SignedDuration::from_hours(24)).unwrap();
        let (t, events) = q.issue("email", "nl", tomorrow).unwrap();
        store.record(&events).unwrap();
        assert_eq!(t.code(), "E-001");
        assert_eq!(store.ticket_count().unwrap(), 3, "past tickets are kept for statistics");
        let again = Queue::resume(rules(), store.snapshot(5).unwrap());
        assert_eq!(again.tickets().count(), 1);
        assert_eq!(store.ticket(TicketId(1)).unwrap().unwrap().state, TicketState::Expired);
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
        let clock = Arc::new(SimulatedClockSync::new(false));
        store.set_origin(Origin { boot_id: "boot-a".into(), clock: clock.clone() });
        let mut q = Queue::new(rules());
        issue(&mut store, &mut q, 1);
        clock.set(true);
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
        assert_eq!(store.schema_version().unwrap(), 4);
        assert_eq!(store.outbox_backlog().unwrap(), 2);
        let unsent = store.unsent_events(10).unwrap();
        let names: Vec<&str> = unsent.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(names, ["b", "c"]);
        assert_eq!((unsent[0].boot_id.as_str(), unsent[0].clock_synced), ("", false), "unknown before");
        store.mark_sent(&["b".to_owned()], at(10, 0)).unwrap();
        assert_eq!(store.outbox_backlog().unwrap(), 1);
    }
}
