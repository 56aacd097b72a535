//! The central system's store: events from every kiosk, their health, kiosk tokens, admin
//! users, the settings and content packs kiosks pull, and the appointments planned per site —
//! behind the [`CentralStore`] trait.
//!
//! Both real stores ([`super::sqlite`] and [`super::postgres`]) are one [`SqlStore`] over a
//! small [`Backend`] seam that runs SQL with [`Sql`] values: the queries below are written once,
//! in the SQL both databases speak (`$1` parameters, `ON CONFLICT DO NOTHING`, `COUNT(CASE …)`,
//! no `SUM`, which PostgreSQL answers as `numeric`). Each backend owns its schema and migrations.
//! The store is synchronous: the web layer calls it on blocking threads. It must not know
//! HTTP, and it must not decide what an event means — [`super::events`] does.

use sha2::{Digest, Sha256};

use super::events::EventRow;

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(String),
    #[error("the database holds a value it cannot read: {0}")]
    Damaged(String),
}

/// A value going into or coming out of SQL. Nulls are typed, because PostgreSQL wants to know.
#[derive(Debug, Clone, PartialEq)]
pub enum Sql {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

impl From<i64> for Sql {
    fn from(v: i64) -> Sql {
        Sql::Int(Some(v))
    }
}
impl From<Option<i64>> for Sql {
    fn from(v: Option<i64>) -> Sql {
        Sql::Int(v)
    }
}
impl From<&str> for Sql {
    fn from(v: &str) -> Sql {
        Sql::Text(Some(v.to_owned()))
    }
}
impl From<String> for Sql {
    fn from(v: String) -> Sql {
        Sql::Text(Some(v))
    }
}
impl From<Option<String>> for Sql {
    fn from(v: Option<String>) -> Sql {
        Sql::Text(v)
    }
}
impl From<Vec<u8>> for Sql {
    fn from(v: Vec<u8>) -> Sql {
        Sql::Bytes(Some(v))
    }
}

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Sql>);

impl Row {
    fn get(&self, i: usize) -> Result<&Sql, StoreError> {
        self.0.get(i).ok_or_else(|| StoreError::Damaged(format!("no column {i}")))
    }
    pub fn int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.get(i)? {
            Sql::Int(v) => Ok(*v),
            Sql::Real(v) => Ok(v.map(|f| f as i64)),
            Sql::Text(None) | Sql::Bytes(None) => Ok(None),
            other => Err(StoreError::Damaged(format!("column {i}: {other:?} is not a number"))),
        }
    }
    pub fn real(&self, i: usize) -> Result<Option<f64>, StoreError> {
        match self.get(i)? {
            Sql::Real(v) => Ok(*v),
            Sql::Int(v) => Ok(v.map(|n| n as f64)),
            Sql::Text(None) | Sql::Bytes(None) => Ok(None),
            other => Err(StoreError::Damaged(format!("column {i}: {other:?} is not a number"))),
        }
    }
    pub fn text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.get(i)? {
            Sql::Text(v) => Ok(v.clone()),
            Sql::Int(None) | Sql::Real(None) | Sql::Bytes(None) => Ok(None),
            other => Err(StoreError::Damaged(format!("column {i}: {other:?} is not text"))),
        }
    }
    pub fn bytes(&self, i: usize) -> Result<Option<Vec<u8>>, StoreError> {
        match self.get(i)? {
            Sql::Bytes(v) => Ok(v.clone()),
            Sql::Text(v) => Ok(v.clone().map(String::into_bytes)),
            Sql::Int(None) | Sql::Real(None) => Ok(None),
            other => Err(StoreError::Damaged(format!("column {i}: {other:?} is not bytes"))),
        }
    }
    fn count(&self, i: usize) -> Result<u64, StoreError> {
        Ok(self.int(i)?.unwrap_or(0).max(0) as u64)
    }
    fn string(&self, i: usize) -> Result<String, StoreError> {
        Ok(self.text(i)?.unwrap_or_default())
    }
}

/// A connection inside a transaction: SQL with `$1`-style parameters.
pub trait Connection {
    /// Runs a statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Sql]) -> Result<u64, StoreError>;
    fn query(&mut self, sql: &str, params: &[Sql]) -> Result<Vec<Row>, StoreError>;
}

/// A database: runs work in one transaction, committed when `work` returns `Ok`.
pub trait Backend: Send + Sync + 'static {
    fn transaction<R>(
        &self,
        work: &mut dyn FnMut(&mut dyn Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError>;
}

/// What a content file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A `loket.toml`.
    Settings,
    /// A tar archive of a content folder.
    Content,
}

impl FileKind {
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Settings => "settings",
            FileKind::Content => "content",
        }
    }
}

/// A kiosk token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: i64,
    pub kiosk: String,
    pub site: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// The last heartbeat of a kiosk.
#[derive(Debug, Clone, PartialEq)]
pub struct KioskHealth {
    pub kiosk: String,
    pub site: String,
    /// When it arrived, by the central system's clock (RFC 3339).
    pub received_at: String,
    /// The heartbeat's JSON.
    pub body: String,
}

/// A stored settings file or content pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub kind: &'static str,
    /// `None`: the default for all kiosks.
    pub kiosk: Option<String>,
    pub etag: String,
    pub size: u64,
    pub updated_at: String,
}

/// The queue's figures for one site, day and service.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceFigures {
    pub site: String,
    pub day: String,
    pub service: String,
    /// Tickets issued for this service.
    pub visitors: u64,
    /// Tickets called (first call), with a known wait.
    pub called: u64,
    pub average_wait_seconds: Option<f64>,
    pub longest_wait_seconds: Option<i64>,
    pub served: u64,
    pub no_shows: u64,
}

/// The learning figures for one site and day.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LearningFigures {
    pub site: String,
    pub day: String,
    /// Tutorials ended (completed or stopped).
    pub tutorials_started: u64,
    pub tutorials_completed: u64,
    pub screenings_completed: u64,
    pub screenings_stopped: u64,
}

/// The appointment figures for one site and day (the day the appointments start), each
/// appointment counted once however many kiosks of the site reported it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppointmentFigures {
    pub site: String,
    pub day: String,
    /// Booked (from the console, a file or the central system), on the day they were last
    /// booked or moved to.
    pub booked: u64,
    /// Checked in at a kiosk.
    pub kept: u64,
    /// Checked in after their start time.
    pub late: u64,
    /// Not checked in, called or served in time.
    pub no_shows: u64,
    pub cancelled: u64,
}

/// An appointment planned on the central system for the kiosks of a site. Never a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentralAppointment {
    /// A UUID, made when it is booked; stays over moves and cancellation.
    pub uid: String,
    pub site: String,
    /// Six digits, random.
    pub code: String,
    /// RFC 3339, UTC, whole minutes.
    pub starts_at: String,
    /// The local day it starts, `YYYY-MM-DD`.
    pub day: String,
    pub service: String,
    pub desk: Option<String>,
    pub language: Option<String>,
    pub cancelled: bool,
    /// When it was booked, moved or cancelled last (RFC 3339).
    pub updated_at: String,
}

/// Which days and site the figures are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `YYYY-MM-DD`, both included.
    pub from: String,
    pub to: String,
    /// `None`: all sites.
    pub site: Option<String>,
}

/// Everything the central system keeps. Synchronous: call it from a blocking thread.
pub trait CentralStore: Send + Sync {
    /// Stores a batch in one transaction; for each row, whether it was stored now (`true`) or
    /// was held already (`false`: nothing changed).
    fn ingest(&self, rows: &[EventRow]) -> Result<Vec<bool>, StoreError>;
    /// The ids of a kiosk's stored events, in its sequence order.
    fn event_ids(&self, kiosk: &str) -> Result<Vec<String>, StoreError>;
    /// The number of events stored for a kiosk.
    fn event_count(&self, kiosk: &str) -> Result<u64, StoreError>;

    fn record_heartbeat(&self, health: &KioskHealth) -> Result<(), StoreError>;
    /// The last heartbeat of every kiosk that sent one.
    fn kiosk_health(&self) -> Result<Vec<KioskHealth>, StoreError>;
    /// The last `limit` heartbeats of a kiosk, newest first.
    fn heartbeat_history(&self, kiosk: &str, limit: u32) -> Result<Vec<KioskHealth>, StoreError>;

    /// Adds a token (by its SHA-256 hash); its id.
    fn add_token(&self, kiosk: &str, site: &str, hash: &str, at: &str) -> Result<i64, StoreError>;
    /// Revokes a token; false when there is no such token.
    fn revoke_token(&self, id: i64, at: &str) -> Result<bool, StoreError>;
    /// The kiosk and site of a token that is not revoked, by its hash.
    fn token_owner(&self, hash: &str) -> Result<Option<(String, String)>, StoreError>;
    fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError>;

    /// The Argon2id hash of an admin's password.
    fn admin_hash(&self, name: &str) -> Result<Option<String>, StoreError>;
    /// Adds the admin or sets their password.
    fn set_admin(&self, name: &str, hash: &str) -> Result<(), StoreError>;
    fn admin_count(&self) -> Result<u64, StoreError>;

    /// Stores the settings or content for one kiosk, or (`None`) the default for all.
    fn put_file(
        &self,
        kind: FileKind,
        kiosk: Option<&str>,
        bytes: &[u8],
        at: &str,
    ) -> Result<String, StoreError>;
    /// Removes one; false when there was none.
    fn delete_file(&self, kind: FileKind, kiosk: Option<&str>) -> Result<bool, StoreError>;
    /// The ETag of the file meant for `kiosk`: its own, else the default.
    fn file_etag(&self, kind: FileKind, kiosk: &str) -> Result<Option<String>, StoreError>;
    /// The file meant for `kiosk`: (ETag, bytes).
    fn file(&self, kind: FileKind, kiosk: &str) -> Result<Option<(String, Vec<u8>)>, StoreError>;
    fn files(&self) -> Result<Vec<StoredFile>, StoreError>;

    /// Queue figures per site, day and service.
    fn service_figures(&self, period: &Period) -> Result<Vec<ServiceFigures>, StoreError>;
    /// Learning figures per site and day.
    fn learning_figures(&self, period: &Period) -> Result<Vec<LearningFigures>, StoreError>;
    /// Tickets issued per local hour (0–23), over the period.
    fn visitors_per_hour(&self, period: &Period) -> Result<[u64; 24], StoreError>;
    /// Completed screenings' levels: (competence, level, how many), by competence and level.
    fn screening_levels(&self, period: &Period) -> Result<Vec<(String, String, u64)>, StoreError>;
    /// Tickets issued per visitor language (code, count), most first; "" when none was sent.
    fn visitors_per_language(&self, period: &Period) -> Result<Vec<(String, u64)>, StoreError>;
    /// Every site a token, heartbeat or event names.
    fn sites(&self) -> Result<Vec<String>, StoreError>;
    /// Appointment figures per site and day.
    fn appointment_figures(&self, period: &Period) -> Result<Vec<AppointmentFigures>, StoreError>;

    /// Books an appointment, unless its code is held already by another appointment of the
    /// site on `today` or later that is not cancelled (`false`: nothing stored; draw another).
    fn book_appointment(&self, appointment: &CentralAppointment, today: &str) -> Result<bool, StoreError>;
    /// Moves an appointment that is not cancelled to `starts_at` (local `day`), and changes its
    /// service and desk; false when there is no such appointment or it is cancelled.
    fn move_appointment(&self, uid: &str, change: &AppointmentChange, at: &str) -> Result<bool, StoreError>;
    /// Cancels an appointment; false when there is none or it was cancelled already.
    fn cancel_appointment(&self, uid: &str, at: &str) -> Result<bool, StoreError>;
    /// The appointments of a site (`None`: all sites) on `from_day` or later, cancelled ones too,
    /// by start time.
    fn appointments(&self, site: Option<&str>, from_day: &str)
    -> Result<Vec<CentralAppointment>, StoreError>;
}

/// What a move changes: the time (and so the day), the service and the desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentChange {
    pub starts_at: String,
    pub day: String,
    pub service: String,
    pub desk: Option<String>,
}

/// The ETag of some bytes: their SHA-256, quoted.
pub fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex(&Sha256::digest(bytes)))
}

/// The SHA-256 of a kiosk token, as stored.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Columns of the `event` table that an ingested event fills.
const EVENT_COLUMNS: usize = 23;
/// Events per INSERT statement (23 parameters each, well below both databases' limits).
const INGEST_CHUNK: usize = 100;

/// The store over a backend: the queries, written once.
pub struct SqlStore<B: Backend> {
    backend: B,
}

impl<B: Backend> SqlStore<B> {
    pub fn new(backend: B) -> SqlStore<B> {
        SqlStore { backend }
    }

    fn query(&self, sql: &str, params: &[Sql]) -> Result<Vec<Row>, StoreError> {
        self.backend.transaction(&mut |c| c.query(sql, params))
    }

    fn execute(&self, sql: &str, params: &[Sql]) -> Result<u64, StoreError> {
        self.backend.transaction(&mut |c| c.execute(sql, params))
    }
}

/// `$1..$3` of a period's filter, for queries that group events.
const PERIOD: &str = "day >= $1 AND day <= $2 AND ($3 = '' OR site = $3)";

fn period_params(p: &Period) -> Vec<Sql> {
    vec![p.from.as_str().into(), p.to.as_str().into(), p.site.clone().unwrap_or_default().into()]
}

const KIOSK_KEY: &str = "";

fn kiosk_key(kiosk: Option<&str>) -> String {
    kiosk.unwrap_or(KIOSK_KEY).to_owned()
}

impl<B: Backend> CentralStore for SqlStore<B> {
    fn ingest(&self, rows: &[EventRow]) -> Result<Vec<bool>, StoreError> {
        self.backend.transaction(&mut |c| {
            // Many rows per statement: one round trip per chunk, not per event (PostgreSQL).
            let mut new_ids = std::collections::HashSet::new();
            for chunk in rows.chunks(INGEST_CHUNK) {
                let mut sql = String::from(
                    "INSERT INTO event (event_id, kiosk, site, type, seq, occurred_at, clock_synced, boot_id,
                        day, hour, ticket_id, service, issued_service, language, wait_seconds, outcome,
                        activity, verb, device, device_state, body, appointment_uid, late_minutes) VALUES ",
                );
                let mut params: Vec<Sql> = Vec::with_capacity(chunk.len() * EVENT_COLUMNS);
                for (i, r) in chunk.iter().enumerate() {
                    let first = i * EVENT_COLUMNS;
                    let placeholders: Vec<String> =
                        (1..=EVENT_COLUMNS).map(|k| format!("${}", first + k)).collect();
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("({})", placeholders.join(", ")));
                    params.extend([
                        r.id.as_str().into(),
                        r.kiosk.as_str().into(),
                        r.site.as_str().into(),
                        r.kind.as_str().into(),
                        r.seq.into(),
                        r.occurred_at.as_str().into(),
                        i64::from(r.clock_synced).into(),
                        r.boot_id.as_str().into(),
                        r.day.as_str().into(),
                        r.hour.into(),
                        r.ticket_id.into(),
                        r.service.clone().into(),
                        r.issued_service.clone().into(),
                        r.language.clone().into(),
                        r.wait_seconds.into(),
                        r.outcome.clone().into(),
                        r.activity.clone().into(),
                        r.verb.clone().into(),
                        r.device.clone().into(),
                        r.device_state.clone().into(),
                        r.body.as_str().into(),
                        r.appointment_uid.clone().into(),
                        r.late_minutes.into(),
                    ]);
                }
                sql.push_str(" ON CONFLICT (event_id) DO NOTHING RETURNING event_id");
                for row in c.query(&sql, &params)? {
                    new_ids.insert(row.string(0)?);
                }
            }
            let mut stored = Vec::with_capacity(rows.len());
            for r in rows {
                // The first of the same id in a batch is the one stored; a repeat is a duplicate.
                let n = u64::from(new_ids.remove(r.id.as_str()));
                if n == 1 {
                    for (competence, level) in &r.levels {
                        c.execute(
                            "INSERT INTO screening_level (event_id, kiosk, site, day, competence, level)
                             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id, competence) DO NOTHING",
                            &[
                                r.id.as_str().into(),
                                r.kiosk.as_str().into(),
                                r.site.as_str().into(),
                                r.day.as_str().into(),
                                competence.as_str().into(),
                                level.as_str().into(),
                            ],
                        )?;
                    }
                }
                stored.push(n == 1);
            }
            Ok(stored)
        })
    }

    fn event_ids(&self, kiosk: &str) -> Result<Vec<String>, StoreError> {
        self.query("SELECT event_id FROM event WHERE kiosk = $1 ORDER BY seq, event_id", &[kiosk.into()])?
            .iter()
            .map(|r| r.string(0))
            .collect()
    }

    fn event_count(&self, kiosk: &str) -> Result<u64, StoreError> {
        let rows = self.query("SELECT COUNT(*) FROM event WHERE kiosk = $1", &[kiosk.into()])?;
        rows.first().map_or(Ok(0), |r| r.count(0))
    }

    fn record_heartbeat(&self, h: &KioskHealth) -> Result<(), StoreError> {
        self.backend.transaction(&mut |c| {
            let params: [Sql; 4] = [
                h.kiosk.as_str().into(),
                h.site.as_str().into(),
                h.received_at.as_str().into(),
                h.body.as_str().into(),
            ];
            c.execute(
                "INSERT INTO kiosk_health (kiosk, site, received_at, body) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (kiosk) DO UPDATE SET site = excluded.site, received_at = excluded.received_at,
                    body = excluded.body",
                &params,
            )?;
            c.execute(
                "INSERT INTO heartbeat (kiosk, site, received_at, body) VALUES ($1, $2, $3, $4)",
                &params,
            )?;
            // A small history: the last 100 per kiosk.
            c.execute(
                "DELETE FROM heartbeat WHERE kiosk = $1 AND id NOT IN
                    (SELECT id FROM heartbeat WHERE kiosk = $1 ORDER BY id DESC LIMIT 100)",
                &[h.kiosk.as_str().into()],
            )?;
            Ok(())
        })
    }

    fn kiosk_health(&self) -> Result<Vec<KioskHealth>, StoreError> {
        self.query("SELECT kiosk, site, received_at, body FROM kiosk_health ORDER BY site, kiosk", &[])?
            .iter()
            .map(read_health)
            .collect()
    }

    fn heartbeat_history(&self, kiosk: &str, limit: u32) -> Result<Vec<KioskHealth>, StoreError> {
        self.query(
            "SELECT kiosk, site, received_at, body FROM heartbeat WHERE kiosk = $1 ORDER BY id DESC LIMIT $2",
            &[kiosk.into(), i64::from(limit).into()],
        )?
        .iter()
        .map(read_health)
        .collect()
    }

    fn add_token(&self, kiosk: &str, site: &str, hash: &str, at: &str) -> Result<i64, StoreError> {
        let rows = self.backend.transaction(&mut |c| {
            c.query(
                "INSERT INTO kiosk_token (kiosk, site, hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                &[kiosk.into(), site.into(), hash.into(), at.into()],
            )
        })?;
        rows.first()
            .and_then(|r| r.int(0).transpose())
            .unwrap_or(Err(StoreError::Damaged("no token id".into())))
    }

    fn revoke_token(&self, id: i64, at: &str) -> Result<bool, StoreError> {
        let n = self.execute(
            "UPDATE kiosk_token SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            &[id.into(), at.into()],
        )?;
        Ok(n == 1)
    }

    fn token_owner(&self, hash: &str) -> Result<Option<(String, String)>, StoreError> {
        let rows = self.query(
            "SELECT kiosk, site FROM kiosk_token WHERE hash = $1 AND revoked_at IS NULL",
            &[hash.into()],
        )?;
        rows.first().map(|r| Ok((r.string(0)?, r.string(1)?))).transpose()
    }

    fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        self.query(
            "SELECT id, kiosk, site, created_at, revoked_at FROM kiosk_token ORDER BY site, kiosk, id",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(TokenInfo {
                id: r.int(0)?.unwrap_or_default(),
                kiosk: r.string(1)?,
                site: r.string(2)?,
                created_at: r.string(3)?,
                revoked_at: r.text(4)?,
            })
        })
        .collect()
    }

    fn admin_hash(&self, name: &str) -> Result<Option<String>, StoreError> {
        let rows = self.query("SELECT hash FROM admin_user WHERE name = $1", &[name.into()])?;
        rows.first().map(|r| r.string(0)).transpose()
    }

    fn set_admin(&self, name: &str, hash: &str) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO admin_user (name, hash) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET hash = excluded.hash",
            &[name.into(), hash.into()],
        )?;
        Ok(())
    }

    fn admin_count(&self) -> Result<u64, StoreError> {
        let rows = self.query("SELECT COUNT(*) FROM admin_user", &[])?;
        rows.first().map_or(Ok(0), |r| r.count(0))
    }

    fn put_file(
        &self,
        kind: FileKind,
        kiosk: Option<&str>,
        bytes: &[u8],
        at: &str,
    ) -> Result<String, StoreError> {
        let tag = etag(bytes);
        self.execute(
            "INSERT INTO kiosk_file (kind, kiosk, etag, size, updated_at, bytes) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (kind, kiosk) DO UPDATE SET etag = excluded.etag, size = excluded.size,
                updated_at = excluded.updated_at, bytes = excluded.bytes",
            &[
                kind.name().into(),
                kiosk_key(kiosk).into(),
                tag.as_str().into(),
                (bytes.len() as i64).into(),
                at.into(),
                bytes.to_vec().into(),
            ],
        )?;
        Ok(tag)
    }

    fn delete_file(&self, kind: FileKind, kiosk: Option<&str>) -> Result<bool, StoreError> {
        let n = self.execute(
            "DELETE FROM kiosk_file WHERE kind = $1 AND kiosk = $2",
            &[kind.name().into(), kiosk_key(kiosk).into()],
        )?;
        Ok(n > 0)
    }

    fn file_etag(&self, kind: FileKind, kiosk: &str) -> Result<Option<String>, StoreError> {
        let rows = self.query(
            "SELECT etag FROM kiosk_file WHERE kind = $1 AND (kiosk = $2 OR kiosk = '')
              ORDER BY LENGTH(kiosk) DESC LIMIT 1",
            &[kind.name().into(), kiosk.into()],
        )?;
        rows.first().map(|r| r.string(0)).transpose()
    }

    fn file(&self, kind: FileKind, kiosk: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let rows = self.query(
            "SELECT etag, bytes FROM kiosk_file WHERE kind = $1 AND (kiosk = $2 OR kiosk = '')
              ORDER BY LENGTH(kiosk) DESC LIMIT 1",
            &[kind.name().into(), kiosk.into()],
        )?;
        rows.first().map(|r| Ok((r.string(0)?, r.bytes(1)?.unwrap_or_default()))).transpose()
    }

    fn files(&self) -> Result<Vec<StoredFile>, StoreError> {
        self.query("SELECT kind, kiosk, etag, size, updated_at FROM kiosk_file ORDER BY kiosk, kind", &[])?
            .iter()
            .map(|r| {
                let kiosk = r.string(1)?;
                Ok(StoredFile {
                    kind: if r.string(0)? == "content" { "content" } else { "settings" },
                    kiosk: (!kiosk.is_empty()).then_some(kiosk),
                    etag: r.string(2)?,
                    size: r.count(3)?,
                    updated_at: r.string(4)?,
                })
            })
            .collect()
    }

    fn service_figures(&self, period: &Period) -> Result<Vec<ServiceFigures>, StoreError> {
        // A ticket counts once per figure: its first call gives its wait (a transferred ticket
        // is called again), and a served or no-show event is counted per ticket.
        let sql = format!(
            "SELECT site, day, service,
                    COUNT(CASE WHEN type = 'ticket_issued' THEN 1 END),
                    COUNT(CASE WHEN type = 'ticket_called' THEN 1 END),
                    CAST(AVG(CASE WHEN type = 'ticket_called' THEN wait END) AS DOUBLE PRECISION),
                    MAX(CASE WHEN type = 'ticket_called' THEN wait END),
                    COUNT(CASE WHEN type = 'ticket_served' THEN 1 END),
                    COUNT(CASE WHEN type = 'ticket_no_show' THEN 1 END)
               FROM (
                 SELECT site, day, issued_service AS service, type, kiosk, ticket_id, NULL AS wait
                   FROM event WHERE type = 'ticket_issued' AND issued_service IS NOT NULL AND {PERIOD}
                 UNION ALL
                 SELECT site, day, MIN(service), type, kiosk, ticket_id, MIN(wait_seconds)
                   FROM event WHERE type IN ('ticket_called', 'ticket_served', 'ticket_no_show')
                    AND service IS NOT NULL AND {PERIOD}
                  GROUP BY site, day, type, kiosk, ticket_id
               ) per_ticket
              GROUP BY site, day, service
              ORDER BY day, site, service"
        );
        self.query(&sql, &period_params(period))?
            .iter()
            .map(|r| {
                Ok(ServiceFigures {
                    site: r.string(0)?,
                    day: r.string(1)?,
                    service: r.string(2)?,
                    visitors: r.count(3)?,
                    called: r.count(4)?,
                    average_wait_seconds: r.real(5)?,
                    longest_wait_seconds: r.int(6)?,
                    served: r.count(7)?,
                    no_shows: r.count(8)?,
                })
            })
            .collect()
    }

    fn learning_figures(&self, period: &Period) -> Result<Vec<LearningFigures>, StoreError> {
        let sql = format!(
            "SELECT site, day,
                    COUNT(CASE WHEN activity = 'tutorial' THEN 1 END),
                    COUNT(CASE WHEN activity = 'tutorial' AND verb = 'completed' THEN 1 END),
                    COUNT(CASE WHEN activity = 'screening' AND verb = 'completed' THEN 1 END),
                    COUNT(CASE WHEN activity = 'screening' AND verb = 'terminated' THEN 1 END)
               FROM event
              WHERE type = 'xapi_statement' AND activity IN ('tutorial', 'screening')
                AND verb IN ('completed', 'terminated') AND {PERIOD}
              GROUP BY site, day
              ORDER BY day, site"
        );
        self.query(&sql, &period_params(period))?
            .iter()
            .map(|r| {
                Ok(LearningFigures {
                    site: r.string(0)?,
                    day: r.string(1)?,
                    tutorials_started: r.count(2)?,
                    tutorials_completed: r.count(3)?,
                    screenings_completed: r.count(4)?,
                    screenings_stopped: r.count(5)?,
                })
            })
            .collect()
    }

    fn visitors_per_hour(&self, period: &Period) -> Result<[u64; 24], StoreError> {
        let sql = format!(
            "SELECT hour, COUNT(*) FROM event WHERE type = 'ticket_issued' AND {PERIOD} GROUP BY hour"
        );
        let mut hours = [0u64; 24];
        for r in self.query(&sql, &period_params(period))? {
            if let Some(h) = r.int(0)?.and_then(|h| usize::try_from(h).ok()).filter(|h| *h < 24) {
                hours[h] = r.count(1)?;
            }
        }
        Ok(hours)
    }

    fn screening_levels(&self, period: &Period) -> Result<Vec<(String, String, u64)>, StoreError> {
        let sql = format!(
            "SELECT competence, level, COUNT(*) FROM screening_level WHERE {PERIOD}
              GROUP BY competence, level ORDER BY competence, level"
        );
        self.query(&sql, &period_params(period))?
            .iter()
            .map(|r| Ok((r.string(0)?, r.string(1)?, r.count(2)?)))
            .collect()
    }

    fn visitors_per_language(&self, period: &Period) -> Result<Vec<(String, u64)>, StoreError> {
        let sql = format!(
            "SELECT COALESCE(language, ''), COUNT(*) FROM event WHERE type = 'ticket_issued' AND {PERIOD}
              GROUP BY COALESCE(language, '') ORDER BY 2 DESC, 1"
        );
        self.query(&sql, &period_params(period))?.iter().map(|r| Ok((r.string(0)?, r.count(1)?))).collect()
    }

    fn sites(&self) -> Result<Vec<String>, StoreError> {
        self.query(
            "SELECT site FROM kiosk_token UNION SELECT site FROM kiosk_health UNION
             SELECT DISTINCT site FROM event ORDER BY 1",
            &[],
        )?
        .iter()
        .map(|r| r.string(0))
        .collect()
    }

    fn appointment_figures(&self, period: &Period) -> Result<Vec<AppointmentFigures>, StoreError> {
        // Each appointment once per figure (two kiosks of a site may both report it); booked on
        // the day it was last booked or moved to, whatever day that event arrived.
        let sql = format!(
            "SELECT site, day,
                    COUNT(DISTINCT CASE WHEN kind = 'booked' THEN uid END),
                    COUNT(DISTINCT CASE WHEN kind = 'appointment_checked_in' THEN uid END),
                    COUNT(DISTINCT CASE WHEN kind = 'appointment_checked_in' AND late > 0 THEN uid END),
                    COUNT(DISTINCT CASE WHEN kind = 'appointment_no_show' THEN uid END),
                    COUNT(DISTINCT CASE WHEN kind = 'appointment_cancelled' THEN uid END)
               FROM (
                 SELECT site, day, 'booked' AS kind, uid, NULL AS late
                   FROM (
                     SELECT site, day, appointment_uid AS uid,
                            ROW_NUMBER() OVER (PARTITION BY site, appointment_uid
                                               ORDER BY occurred_at DESC, seq DESC) AS latest
                       FROM event
                      WHERE type IN ('appointment_booked', 'appointment_moved')
                        AND appointment_uid IS NOT NULL AND ($3 = '' OR site = $3)
                   ) moves
                  WHERE latest = 1 AND day >= $1 AND day <= $2
                 UNION ALL
                 SELECT site, day, type, appointment_uid, late_minutes
                   FROM event
                  WHERE type IN ('appointment_checked_in', 'appointment_no_show', 'appointment_cancelled')
                    AND appointment_uid IS NOT NULL AND {PERIOD}
               ) per_appointment
              GROUP BY site, day
              ORDER BY day, site"
        );
        self.query(&sql, &period_params(period))?
            .iter()
            .map(|r| {
                Ok(AppointmentFigures {
                    site: r.string(0)?,
                    day: r.string(1)?,
                    booked: r.count(2)?,
                    kept: r.count(3)?,
                    late: r.count(4)?,
                    no_shows: r.count(5)?,
                    cancelled: r.count(6)?,
                })
            })
            .collect()
    }

    fn book_appointment(&self, a: &CentralAppointment, today: &str) -> Result<bool, StoreError> {
        let n = self.execute(
            "INSERT INTO appointment (uid, site, code, starts_at, day, service, desk, language, cancelled, updated_at)
             SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS TEXT),
                    CAST($5 AS TEXT), CAST($6 AS TEXT), CAST($7 AS TEXT), CAST($8 AS TEXT), 0, CAST($9 AS TEXT)
              WHERE NOT EXISTS (SELECT 1 FROM appointment
                                 WHERE site = $2 AND code = $3 AND cancelled = 0 AND day >= $10)",
            &[
                a.uid.as_str().into(),
                a.site.as_str().into(),
                a.code.as_str().into(),
                a.starts_at.as_str().into(),
                a.day.as_str().into(),
                a.service.as_str().into(),
                a.desk.clone().into(),
                a.language.clone().into(),
                a.updated_at.as_str().into(),
                today.into(),
            ],
        )?;
        Ok(n == 1)
    }

    fn move_appointment(&self, uid: &str, change: &AppointmentChange, at: &str) -> Result<bool, StoreError> {
        let n = self.execute(
            "UPDATE appointment SET starts_at = $2, day = $3, service = $4, desk = $5, updated_at = $6
              WHERE uid = $1 AND cancelled = 0",
            &[
                uid.into(),
                change.starts_at.as_str().into(),
                change.day.as_str().into(),
                change.service.as_str().into(),
                change.desk.clone().into(),
                at.into(),
            ],
        )?;
        Ok(n == 1)
    }

    fn cancel_appointment(&self, uid: &str, at: &str) -> Result<bool, StoreError> {
        let n = self.execute(
            "UPDATE appointment SET cancelled = 1, updated_at = $2 WHERE uid = $1 AND cancelled = 0",
            &[uid.into(), at.into()],
        )?;
        Ok(n == 1)
    }

    fn appointments(
        &self,
        site: Option<&str>,
        from_day: &str,
    ) -> Result<Vec<CentralAppointment>, StoreError> {
        self.query(
            "SELECT uid, site, code, starts_at, day, service, desk, language, cancelled, updated_at
               FROM appointment WHERE day >= $1 AND ($2 = '' OR site = $2)
              ORDER BY starts_at, site, uid",
            &[from_day.into(), site.unwrap_or_default().into()],
        )?
        .iter()
        .map(|r| {
            Ok(CentralAppointment {
                uid: r.string(0)?,
                site: r.string(1)?,
                code: r.string(2)?,
                starts_at: r.string(3)?,
                day: r.string(4)?,
                service: r.string(5)?,
                desk: r.text(6)?,
                language: r.text(7)?,
                cancelled: r.int(8)?.unwrap_or(0) != 0,
                updated_at: r.string(9)?,
            })
        })
        .collect()
    }
}

fn read_health(r: &Row) -> Result<KioskHealth, StoreError> {
    Ok(KioskHealth { kiosk: r.string(0)?, site: r.string(1)?, received_at: r.string(2)?, body: r.string(3)? })
}

/// Version 3: the appointments planned centrally, and the appointment columns of events.
pub(super) const SCHEMA_V3: &str = "
ALTER TABLE event ADD COLUMN appointment_uid TEXT;
ALTER TABLE event ADD COLUMN late_minutes BIGINT;
CREATE INDEX event_appointment ON event (site, appointment_uid);
CREATE TABLE appointment (
    uid TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    code TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    day TEXT NOT NULL,
    service TEXT NOT NULL,
    desk TEXT,
    language TEXT,
    cancelled BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX appointment_site_day ON appointment (site, day);
";

/// Version 2: the levels of completed screenings, one row per competence.
pub(super) const SCHEMA_V2: &str = "
CREATE TABLE screening_level (
    event_id TEXT NOT NULL,
    kiosk TEXT NOT NULL,
    site TEXT NOT NULL,
    day TEXT NOT NULL,
    competence TEXT NOT NULL,
    level TEXT NOT NULL,
    PRIMARY KEY (event_id, competence)
);
CREATE INDEX screening_level_day ON screening_level (day, site);
";

/// The tables, in the SQL both databases take; each backend adds its own id column types.
/// `{ID}` is the auto-numbered primary key, `{BLOB}` the type of bytes.
pub(super) const SCHEMA_V1: &str = "
CREATE TABLE event (
    event_id TEXT PRIMARY KEY,
    kiosk TEXT NOT NULL,
    site TEXT NOT NULL,
    type TEXT NOT NULL,
    seq BIGINT NOT NULL,
    occurred_at TEXT NOT NULL,
    clock_synced BIGINT NOT NULL,
    boot_id TEXT NOT NULL,
    day TEXT NOT NULL,
    hour BIGINT NOT NULL,
    ticket_id BIGINT,
    service TEXT,
    issued_service TEXT,
    language TEXT,
    wait_seconds BIGINT,
    outcome TEXT,
    activity TEXT,
    verb TEXT,
    device TEXT,
    device_state TEXT,
    body TEXT NOT NULL
);
CREATE INDEX event_day ON event (day, site, type);
CREATE INDEX event_kiosk ON event (kiosk, seq);
CREATE TABLE kiosk_health (
    kiosk TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    received_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE heartbeat (
    id {ID},
    kiosk TEXT NOT NULL,
    site TEXT NOT NULL,
    received_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX heartbeat_kiosk ON heartbeat (kiosk, id);
CREATE TABLE kiosk_token (
    id {ID},
    kiosk TEXT NOT NULL,
    site TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE admin_user (
    name TEXT PRIMARY KEY,
    hash TEXT NOT NULL
);
CREATE TABLE kiosk_file (
    kind TEXT NOT NULL,
    kiosk TEXT NOT NULL,
    etag TEXT NOT NULL,
    size BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    bytes {BLOB} NOT NULL,
    PRIMARY KEY (kind, kiosk)
);
";
