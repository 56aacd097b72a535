//! The kiosk's store: one SQLite file holding every ticket, the learning results, the devices'
//! state, the outbox for the central system and the figures kept per day.
//!
//! This module owns the [`Store`] over its one connection: opening it, the durability settings
//! (WAL, `synchronous=FULL`), the schema (append-only [`MIGRATIONS`] keyed on
//! `PRAGMA user_version`), [`StoreError`] and the checkpoint. Each concern is an `impl Store`
//! block of its own, with its SQL and its tests:
//!
//! - [`queue`]: tickets, desks and day counters, written with their events in one transaction
//!   ([`Store::record`] keeps all of a change or none of it); after a crash the queue is rebuilt
//!   from [`Store::snapshot`].
//! - [`learning`]: screening results and tutorial sessions, each with its xAPI statements in the
//!   same transaction, result codes, the day's counts.
//! - [`outbox`]: what the reporter sends to the central system, with each event's [`Origin`],
//!   the bound on the backlog, the drops and the refused events.
//! - [`device`]: the devices' last state (the printer).
//! - [`maintenance`]: the figures kept per day and the deletion of old detail, one day per
//!   transaction, for the nightly tidy-up.
//!
//! Only this module and its children see the connection. It must not decide anything about the
//! queue or a result (the rules live in `queue` and `screening`), nor know who reads the outbox.

use std::collections::HashSet;
use std::path::Path;

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::Connection;

pub mod device;
pub mod learning;
pub mod maintenance;
pub mod outbox;
pub mod queue;

pub use learning::NewScreening;
pub use outbox::{ClockSync, DEFAULT_OUTBOX_MAX, DroppedEvents, Origin, OutboxEvent, OutboxStatus};

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
pub(crate) const MIGRATIONS: &[&str] = &[
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
    // 5: the figures kept per day by the nightly tidy-up. Before this step the tidy-up created
    // the table itself, the same way, so a store at version 4 may have it already.
    "CREATE TABLE IF NOT EXISTS daily_figure (
        day    TEXT    NOT NULL,
        figure TEXT    NOT NULL,
        key    TEXT    NOT NULL,
        value  INTEGER NOT NULL,
        PRIMARY KEY (day, figure, key)
    ) WITHOUT ROWID;",
    // 6: the screening's result code on a ticket taken from the screening's result screen
    "ALTER TABLE ticket ADD COLUMN screening_code TEXT;",
    // 7: the language a run's instructions were shown in, when the pack lacked the learner's
    "ALTER TABLE screening ADD COLUMN instructions_language TEXT;
    ALTER TABLE tutorial_run ADD COLUMN instructions_language TEXT;",
];

/// The kiosk's SQLite store.
pub struct Store {
    conn: Connection,
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
        // SQLite reads the file at the first statement: a damaged or foreign file shows up here,
        // and the message must name it.
        Store::setup(conn, &shown).map_err(|e| match e {
            StoreError::Sql(source) => StoreError::Open { path: shown.clone(), source },
            other => other,
        })
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

    /// Makes the WAL's content part of the main file (done at a quiet moment and at shutdown).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }
}

/// A stored time, read back.
pub(crate) fn parse_time(text: &str) -> Result<Timestamp, StoreError> {
    text.parse().map_err(|e| StoreError::Damaged(format!("time {text:?}: {e}")))
}

/// A stored day, read back.
pub(crate) fn parse_date(text: &str) -> Result<Date, StoreError> {
    text.parse().map_err(|e| StoreError::Damaged(format!("date {text:?}: {e}")))
}

/// Reads the current schema version of a store file without changing it (for `loket check`).
pub fn peek_schema_version(path: &Path) -> Result<Option<i64>, StoreError> {
    if !path.exists() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|source| StoreError::Open { path: path.display().to_string(), source })?;
    // A file that is not a SQLite database opens; reading it is what fails.
    let version = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|source| StoreError::Open { path: path.display().to_string(), source })?;
    Ok(Some(version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::TicketId;

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
    fn a_file_that_is_not_a_store_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        std::fs::write(&path, b"this is a text file, not a SQLite database, and long enough to be read")
            .unwrap();
        let message = Store::open(&path).err().expect("refused").to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("not a database"), "{message}");
        assert!(!message.starts_with("store: store:"), "{message}");
    }

    /// The schema as SQLite holds it, spaces aside: (type, name, SQL), by name.
    fn schema(store: &Store) -> Vec<(String, String, String)> {
        let mut stmt = store.conn.prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY name").unwrap();
        let rows = stmt.query_map([], |r| {
            let sql: Option<String> = r.get(2)?;
            let sql = sql.unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
            Ok((r.get(0)?, r.get(1)?, sql))
        });
        rows.unwrap().collect::<Result<_, _>>().unwrap()
    }

    /// An in-memory database left at `version` by an older Loket, with `then` run on it.
    fn older(version: usize, then: &str) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        for step in &MIGRATIONS[..version] {
            conn.execute_batch(step).unwrap();
        }
        conn.pragma_update(None, "user_version", version as i64).unwrap();
        conn.execute_batch(then).unwrap();
        conn
    }

    #[test]
    fn every_older_version_is_brought_to_the_schema_of_a_new_store() {
        let new = schema(&Store::open_in_memory().unwrap());
        assert!(new.iter().any(|(_, name, _)| name == "daily_figure"));
        // Up to version 4 the nightly tidy-up created `daily_figure` itself, like this.
        let by_the_old_tidy_up = "CREATE TABLE IF NOT EXISTS daily_figure (
            day    TEXT    NOT NULL,
            figure TEXT    NOT NULL,
            key    TEXT    NOT NULL,
            value  INTEGER NOT NULL,
            PRIMARY KEY (day, figure, key)
        ) WITHOUT ROWID;";
        let olders = (0..MIGRATIONS.len()).map(|v| (v, "")).chain([(4, by_the_old_tidy_up)]);
        for (version, then) in olders {
            let store = Store::setup(older(version, then), ":memory:").unwrap();
            assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64, "from {version}");
            assert_eq!(schema(&store), new, "from version {version} (and {then:?})");
        }
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
}
