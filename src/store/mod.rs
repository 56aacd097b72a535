//! The kiosk's store: one SQLite file holding every ticket, the learning results, the devices'
//! state, the outbox for the central system and the figures kept per day.
//!
//! This module owns the [`Store`] over its one connection: opening it, the durability settings
//! (WAL, `synchronous=FULL`), the schema (append-only [`MIGRATIONS`] keyed on
//! `PRAGMA user_version`), [`StoreError`], the checkpoints and what keeps it from writing
//! ([`Faults`]). Opening refuses what would fail later: a file it can only read (a committed
//! test write is the check), and an empty file, which is a store that lost its tickets (a new
//! store is made only where there is no file, and made whole before it gets its name). Each
//! concern is an `impl Store` block of its own, with its SQL and its tests:
//!
//! - [`queue`]: tickets, desks and day counters, written with their events in one transaction
//!   ([`Store::record`] keeps all of a change or none of it); after a crash the queue is rebuilt
//!   from [`Store::snapshot`].
//! - [`learning`]: screening results and tutorial sessions, each with its xAPI statements in the
//!   same transaction, result codes, the day's counts.
//! - [`outbox`]: what the reporter sends to the central system, with each event's [`Origin`],
//!   the bound on the backlog, the drops and the refused events.
//! - [`appointments`]: the appointment book, each change with its outbox event in one
//!   transaction, a check-in with its ticket in one transaction; names deleted after the day.
//! - [`device`]: the devices' last state (the printer).
//! - [`sessions`]: the desks' signed-in sessions (hashed), so they survive a restart.
//! - [`lock`]: the data directory's lock, one running kiosk per directory.
//! - [`maintenance`]: the figures kept per day and the deletion of old detail, one day per
//!   transaction, for the nightly tidy-up.
//!
//! Only this module and its children see the connection. It must not decide anything about the
//! queue or a result (the rules live in `queue` and `screening`), nor know who reads the outbox.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, ErrorCode, MAIN_DB, OpenFlags, TransactionBehavior};

pub mod appointments;
pub mod device;
pub mod learning;
pub mod lock;
pub mod maintenance;
pub mod outbox;
pub mod queue;
pub mod sessions;

pub use learning::NewScreening;

pub use outbox::{ClockSync, DEFAULT_OUTBOX_MAX, DroppedEvents, Origin, OutboxEvent, OutboxStatus};

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("cannot create the store {path}: {source}")]
    Create { path: String, source: std::io::Error },
    #[error(
        "the store {path} is empty (0 bytes): the tickets it held are lost (a power cut, a full or failing card?). \
         Loket does not start a new store over it, which would number today's tickets from 1 again: \
         restore a backup, or move the file away to start a new store"
    )]
    Empty { path: String },
    #[error("cannot write the store {path}: {reason}")]
    CannotWrite { path: String, reason: String },
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

impl StoreError {
    /// Why the store cannot write, when that is what went wrong (the disk or the file, not the
    /// request): e.g. "disk full". Such a fault lasts until space or access returns.
    pub fn write_fault(&self) -> Option<&'static str> {
        let (StoreError::Sql(e) | StoreError::Open { source: e, .. }) = self else {
            return match self {
                StoreError::CannotWrite { .. } => Some("the file cannot be written"),
                _ => None,
            };
        };
        match e.sqlite_error_code()? {
            ErrorCode::DiskFull => Some("disk full"),
            ErrorCode::ReadOnly => Some("the file is read-only"),
            ErrorCode::SystemIoFailure => Some("disk I/O error"),
            ErrorCode::CannotOpen => Some("its files cannot be opened"),
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Some("another program holds it"),
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => Some("the file is damaged"),
            _ => None,
        }
    }
}

/// What keeps the help point from giving tickets right now, as the store last saw it: a write
/// that failed for want of space or access (until the next write succeeds), and devices (the
/// printer) whose last recorded state is not "ready". Shared, so `/health` can read it without
/// waiting for the store.
#[derive(Debug, Default)]
pub struct Faults {
    write: Mutex<Option<&'static str>>,
    devices: Mutex<BTreeMap<String, (String, String)>>,
}

impl Faults {
    /// Each problem in words, e.g. "the store cannot write: disk full" or "the printer:
    /// no_paper (out of paper)"; empty when all is well.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(reason) = *self.write.lock().unwrap_or_else(|e| e.into_inner()) {
            problems.push(format!("the store cannot write: {reason}"));
        }
        for (device, (state, detail)) in self.devices.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            if state != "ready" {
                let detail = if detail.is_empty() { String::new() } else { format!(" ({detail})") };
                problems.push(format!("the {device}: {state}{detail}"));
            }
        }
        problems
    }

    pub(crate) fn note_write<T>(&self, result: &Result<T, StoreError>) {
        let fault = match result {
            Ok(_) => None,
            Err(e) => match e.write_fault() {
                Some(reason) => Some(reason),
                // A refusal or a bug says nothing about the disk.
                None => return,
            },
        };
        let mut write = self.write.lock().unwrap_or_else(|e| e.into_inner());
        match (*write, fault) {
            (None, Some(reason)) => log::error!("the store cannot write: {reason}"),
            (Some(_), None) => log::info!("the store writes again"),
            _ => {}
        }
        *write = fault;
    }

    pub(crate) fn note_device(&self, device: &str, state: &str, detail: &str) {
        self.devices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(device.to_owned(), (state.to_owned(), detail.to_owned()));
    }
}

/// After how many commits the store copies its write-ahead log back into the file (a PASSIVE
/// checkpoint, which never waits for a reader). With the log's size capped by
/// [`WAL_SIZE_LIMIT`], the log stays small on the SD card however busy the day.
pub const CHECKPOINT_EVERY: u32 = 16;

/// What the write-ahead log is cut back to after a checkpoint (`journal_size_limit`).
pub const WAL_SIZE_LIMIT: i64 = 1024 * 1024;

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
    // 8: fewer pages written to the log per ticket (each page is 4 KiB of log and of wear on the
    // SD card). The outbox gives its sequence numbers from `outbox_count.last_seq`, a row every
    // event rewrites anyway, instead of AUTOINCREMENT's `sqlite_sequence` row: a number is still
    // never given twice, even after every event was pruned. Unsent events are found from
    // `outbox_count.first_unsent` (no unsent event comes before it) instead of an index; open and
    // served tickets are read without an index, once, at start-up.
    "CREATE TABLE outbox_new (
        seq            INTEGER PRIMARY KEY,
        event_id       TEXT    NOT NULL UNIQUE,
        type           TEXT    NOT NULL,
        occurred_at    TEXT    NOT NULL,
        body           TEXT    NOT NULL,
        sent_at        TEXT,
        boot_id        TEXT    NOT NULL DEFAULT '',
        clock_synced   INTEGER NOT NULL DEFAULT 0,
        refused_at     TEXT,
        refused_reason TEXT
    );
    INSERT INTO outbox_new (seq, event_id, type, occurred_at, body, sent_at, boot_id, clock_synced,
                            refused_at, refused_reason)
        SELECT seq, event_id, type, occurred_at, body, sent_at, boot_id, clock_synced, refused_at,
               refused_reason
          FROM outbox ORDER BY seq;
    ALTER TABLE outbox_count ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox_count ADD COLUMN first_unsent INTEGER NOT NULL DEFAULT 1;
    UPDATE outbox_count
       SET last_seq = MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0),
                          COALESCE((SELECT MAX(seq) FROM outbox), 0))
     WHERE id = 1;
    UPDATE outbox_count
       SET first_unsent = COALESCE(
               (SELECT MIN(seq) FROM outbox WHERE sent_at IS NULL AND refused_at IS NULL), last_seq + 1)
     WHERE id = 1;
    DROP TABLE outbox;
    ALTER TABLE outbox_new RENAME TO outbox;
    CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
    CREATE TRIGGER outbox_count_insert AFTER INSERT ON outbox BEGIN
        UPDATE outbox_count
           SET unsent = unsent + (NEW.sent_at IS NULL AND NEW.refused_at IS NULL),
               refused = refused + (NEW.refused_at IS NOT NULL),
               last_seq = MAX(last_seq, NEW.seq)
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
    DROP INDEX ticket_open;
    DROP INDEX ticket_finished;",
    // 9: appointments (their booking codes, states and the ticket of a check-in), and the mark
    // a checked-in appointment's ticket carries for the calling order
    "CREATE TABLE appointment (
        id            INTEGER PRIMARY KEY,
        uid           TEXT    NOT NULL UNIQUE,
        code          TEXT    NOT NULL,
        day           TEXT    NOT NULL,
        starts_at     TEXT    NOT NULL,
        service       TEXT    NOT NULL,
        desk          TEXT,
        language      TEXT,
        name          TEXT,
        source        TEXT    NOT NULL,
        state         TEXT    NOT NULL,
        ticket        INTEGER,
        checked_in_at TEXT
    );
    CREATE INDEX appointment_day ON appointment (day);
    CREATE UNIQUE INDEX appointment_open_code ON appointment (code)
        WHERE state IN ('expected', 'checked_in', 'called');
    CREATE INDEX appointment_ticket ON appointment (ticket) WHERE ticket IS NOT NULL;
    ALTER TABLE ticket ADD COLUMN appointment_starts_at TEXT;
    ALTER TABLE ticket ADD COLUMN appointment_desk TEXT;",
    // 10: the desks' signed-in sessions, so a restart does not sign every desk out (see
    // `sessions`). Written so it may run after or before other steps of the same release.
    "CREATE TABLE IF NOT EXISTS desk_session (
        id_hash    TEXT PRIMARY KEY,
        desk       TEXT NOT NULL,
        pin_hash   TEXT NOT NULL,
        expires_at TEXT NOT NULL
    ) WITHOUT ROWID;",
];

/// The kiosk's SQLite store.
pub struct Store {
    conn: Connection,
    origin: Origin,
    outbox_max: u64,
    /// Event types whose drop was already logged since the store was opened.
    dropped_logged: HashSet<String>,
    faults: Arc<Faults>,
    /// Commits since the last checkpoint.
    commits: u32,
}

impl Store {
    /// Opens the store file, or creates it where there is no file, and brings its schema up to
    /// date. Refuses an empty file and a file that cannot be written, naming it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, OpenFlags::default())
    }

    /// [`Store::open`] with SQLite's open flags (tests open a store read-only this way: as root,
    /// file modes do not stop a write).
    fn open_with(path: &Path, flags: OpenFlags) -> Result<Store, StoreError> {
        let shown = path.display().to_string();
        match std::fs::metadata(path) {
            // SQLite would take an empty file for a new store: numbering would start again at 1
            // on a day whose tickets are in visitors' hands. A store made by Loket is never
            // empty under its name (see `create`), so an empty one lost its content.
            Ok(meta) if meta.len() == 0 => return Err(StoreError::Empty { path: shown }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Store::create(path)?,
            _ => {}
        }
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|source| StoreError::Open { path: shown.clone(), source })?;
        // SQLite reads the file at the first statement: a damaged or foreign file shows up here,
        // and the message must name it.
        let store = Store::setup(conn, &shown).map_err(|e| match e {
            StoreError::Sql(source) => StoreError::Open { path: shown.clone(), source },
            other => other,
        })?;
        store.check_writable(&shown)?;
        Ok(store)
    }

    /// Makes a new store at `path`, whole: built under another name, synced, then renamed, so a
    /// crash meanwhile never leaves an empty or half-made file where the store belongs.
    fn create(path: &Path) -> Result<(), StoreError> {
        let shown = path.display().to_string();
        let io = |source| StoreError::Create { path: shown.clone(), source };
        let new = with_suffix(path, ".new");
        for stale in [with_suffix(&new, "-wal"), with_suffix(&new, "-shm"), new.clone()] {
            match std::fs::remove_file(&stale) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
                _ => {}
            }
        }
        let conn =
            Connection::open(&new).map_err(|source| StoreError::Open { path: shown.clone(), source })?;
        let store = Store::setup(conn, &shown)?;
        store.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        // The last connection to close takes the log away: all is in the file now.
        store.conn.close().map_err(|(_, source)| StoreError::Open { path: shown.clone(), source })?;
        std::fs::File::open(&new).and_then(|f| f.sync_all()).map_err(io)?;
        std::fs::rename(&new, path).map_err(io)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        Ok(())
    }

    /// Refuses a store that would fail every ticket: SQLite quietly opens a file it may not
    /// write read-only, and a log or folder that cannot be written only shows at the first
    /// commit. So a test write is committed here (the schema version, rewritten as it is).
    fn check_writable(&self, shown: &str) -> Result<(), StoreError> {
        let cannot = |reason: String| StoreError::CannotWrite { path: shown.to_owned(), reason };
        if self.conn.is_readonly(MAIN_DB)? {
            return Err(cannot(
                "it can only be read (the file or its folder is read-only, or belongs to another user)"
                    .into(),
            ));
        }
        self.test_write().map_err(|e| {
            let reason = match e.write_fault() {
                Some(fault) => format!("a test write failed: {fault} ({e})"),
                None => format!("a test write failed: {e}"),
            };
            cannot(reason)
        })
    }

    /// Commits one write that changes nothing, and so proves the file, its write-ahead log and
    /// its shared-memory file take a write now.
    fn test_write(&self) -> Result<(), StoreError> {
        let version = self.schema_version()?;
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        Ok(())
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
        // After a checkpoint the log is cut back to this size, not left at its largest.
        conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        let mut store = Store {
            conn,
            origin: Origin::unknown(),
            outbox_max: DEFAULT_OUTBOX_MAX,
            dropped_logged: HashSet::new(),
            faults: Arc::default(),
            commits: 0,
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

    /// Makes the WAL's content part of the main file and empties the log (done at night and at
    /// shutdown).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    /// Copies what it can of the log into the file without waiting for anyone (PASSIVE); the
    /// next commits then reuse the log from its start. Done every [`CHECKPOINT_EVERY`] commits
    /// and when the help point is idle.
    pub fn checkpoint_passive(&mut self) -> Result<(), StoreError> {
        self.commits = 0;
        self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Whether anything was committed since the last checkpoint.
    pub fn has_uncheckpointed_commits(&self) -> bool {
        self.commits > 0
    }

    /// What keeps the store (and the printer) from giving tickets now; shared, for `/health`.
    pub fn faults(&self) -> Arc<Faults> {
        self.faults.clone()
    }

    /// Notes how a write ended, for [`Faults`], and checkpoints after every
    /// [`CHECKPOINT_EVERY`] commits. Every write the help point makes goes through here.
    pub(crate) fn wrote<T>(&mut self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        self.faults.note_write(&result);
        if result.is_ok() {
            self.commits += 1;
            if self.commits >= CHECKPOINT_EVERY
                && let Err(e) = self.checkpoint_passive()
            {
                log::warn!("checkpointing the store: {e}");
            }
        }
        result
    }

    /// Caps how many pages the file may grow to: a full disk, for tests.
    #[doc(hidden)]
    pub fn limit_pages_for_tests(&self, pages: u64) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// How many pages the file has now.
    #[doc(hidden)]
    pub fn page_count_for_tests(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row("PRAGMA page_count", [], |r| r.get::<_, i64>(0))? as u64)
    }
}

/// `path` with `suffix` added to its file name, as SQLite names the log (`-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
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
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Ok(meta) if meta.len() == 0 => return Err(StoreError::Empty { path: path.display().to_string() }),
        _ => {}
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

    #[test]
    fn a_store_that_can_only_be_read_is_refused_at_open_with_the_file_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        drop(Store::open(&path).unwrap());
        // What SQLite does, quietly, with a file on a card remounted read-only or owned by
        // another user (file modes cannot show it when the tests run as root).
        let message = Store::open_with(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .err()
            .expect("a read-only store is refused")
            .to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("cannot write the store"), "{message}");
        assert!(message.contains("can only be read"), "{message}");
    }

    #[test]
    fn a_store_whose_write_ahead_log_cannot_be_written_is_refused_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        drop(Store::open(&path).unwrap());
        // Another open connection keeps SQLite from taking the write lock: the test write must
        // fail, and the open with it, rather than the first ticket.
        let holder = Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE;").unwrap();
        let conn = Connection::open(&path).unwrap();
        conn.busy_timeout(std::time::Duration::ZERO).unwrap();
        let store = Store {
            conn,
            origin: Origin::unknown(),
            outbox_max: DEFAULT_OUTBOX_MAX,
            dropped_logged: HashSet::new(),
            faults: Arc::default(),
            commits: 0,
        };
        let message = store.check_writable(&path.display().to_string()).unwrap_err().to_string();
        assert!(message.contains("loket.sqlite"), "{message}");
        assert!(message.contains("a test write failed: another program holds it"), "{message}");
        holder.execute_batch("ROLLBACK;").unwrap();
        store.check_writable("loket.sqlite").expect("writable once the other program lets go");
    }

    #[test]
    fn an_empty_store_file_is_refused_not_taken_for_a_new_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        std::fs::write(&path, b"").unwrap();
        let message = Store::open(&path).err().expect("an empty store is refused").to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("is empty (0 bytes)"), "{message}");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "the file is left as it was");
        let message = peek_schema_version(&path).expect_err("loket check refuses it too").to_string();
        assert!(message.contains("is empty (0 bytes)"), "{message}");
    }

    #[test]
    fn a_new_store_is_made_whole_under_its_name_and_nothing_is_left_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        // Left by a crash while an earlier new store was being made.
        std::fs::write(dir.path().join("loket.sqlite.new"), b"half made").unwrap();
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        assert!(std::fs::metadata(&path).unwrap().len() > 0);
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["loket.sqlite", "loket.sqlite-shm", "loket.sqlite-wal"]);
    }

    #[test]
    fn a_write_that_finds_no_space_is_a_fault_until_a_write_succeeds() {
        use crate::queue::{Event, EventKind};
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("loket.sqlite")).unwrap();
        let faults = store.faults();
        assert!(faults.problems().is_empty());
        let pause = |n: usize| Event {
            at: "2026-11-30T08:00:00Z".parse().unwrap(),
            kind: EventKind::DeskPaused { desk: format!("desk-{n}-{}", "x".repeat(900)) },
        };
        store.limit_pages_for_tests(store.page_count_for_tests().unwrap()).unwrap();
        let failed =
            (0..200).map(|n| store.record(&[pause(n)])).find_map(Result::err).expect("the store fills up");
        assert_eq!(failed.write_fault(), Some("disk full"), "{failed}");
        assert_eq!(faults.problems(), ["the store cannot write: disk full"]);
        store.limit_pages_for_tests(1_000_000).unwrap();
        store.record(&[pause(1000)]).unwrap();
        assert!(faults.problems().is_empty(), "{:?}", faults.problems());
    }

    #[test]
    fn the_write_ahead_log_stays_small_however_many_tickets() {
        use crate::clock::ManualClock;
        use crate::help_point::{HelpPoint, queue_rules};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        let clock = Arc::new(ManualClock::new("2026-11-30T08:00:00Z".parse().unwrap()));
        let config = crate::config::Config::sample();
        let mut hp = HelpPoint::open(queue_rules(&config), Store::open(&path).unwrap(), clock).unwrap();
        let wal = with_suffix(&path, "-wal");
        let mut largest = 0;
        for _ in 0..300 {
            hp.take_ticket("email", "nl").unwrap();
            largest = largest.max(std::fs::metadata(&wal).unwrap().len());
        }
        // 300 tickets write some 11 MB of log; without regular checkpoints the log grows to
        // SQLite's own 4 MB mark and stays that size all day.
        assert!(largest <= WAL_SIZE_LIMIT as u64, "the log reached {largest} bytes");
    }

    /// Pages a ticket's changes write into the log, on average over many tickets: each page is
    /// 4 KiB more log, and written twice (log, then file) on the SD card. Schema 7 wrote 9 or
    /// more to issue, 7 to call and 8 to serve (the outbox's AUTOINCREMENT row, the indexes of
    /// open and served tickets and of unsent events); the rows, the two unique keys and the
    /// counters are what it needs, and now and then a new page as the file grows.
    #[test]
    fn a_ticket_writes_few_pages_to_the_log() {
        use crate::queue::Queue;
        use crate::queue::fixtures::{at, rules};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        let mut store = Store::open(&path).unwrap();
        let page = store.conn.query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0)).unwrap() as u64;
        let wal = with_suffix(&path, "-wal");
        // The log holds a 32-byte header and a 24-byte header per page.
        let pages = || (std::fs::metadata(&wal).unwrap().len().saturating_sub(32)) / (page + 24);
        let mut q = Queue::new(rules());
        let (mut issued, mut called, mut served) = (0, 0, 0);
        const TICKETS: u64 = 60;
        for _ in 0..TICKETS {
            store.checkpoint().unwrap();
            store.record(&q.issue("email", "nl", at(9, 0)).unwrap().1).unwrap();
            issued += pages();
            store.checkpoint().unwrap();
            store.record(&q.call_next("desk-1", at(9, 1)).unwrap()).unwrap();
            called += pages();
            store.checkpoint().unwrap();
            store.record(&q.served("desk-1", None, at(9, 2)).unwrap()).unwrap();
            served += pages();
        }
        let per = |total: u64| total as f64 / TICKETS as f64;
        let (issued, called, served) = (per(issued), per(called), per(served));
        eprintln!("pages per change: issue {issued:.2}, call {called:.2}, served {served:.2}");
        assert!(issued <= 7.0, "issuing writes {issued:.2} pages");
        assert!(called <= 4.5, "calling writes {called:.2} pages");
        assert!(served <= 4.5, "serving writes {served:.2} pages");
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
