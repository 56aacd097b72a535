//! The central store in one SQLite file (WAL): for a small organisation, started with one
//! command and no database server.
//!
//! It owns the SQLite side of [`super::store::Backend`]: its migrations (keyed on
//! `PRAGMA user_version`) and the translation of [`Sql`] values. The queries live in
//! [`super::store`].

use std::path::Path;
use std::sync::Mutex;

use rusqlite::types::{Value, ValueRef};

use super::store::{Backend, Connection, Row, SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, Sql, SqlStore, StoreError};

/// One connection, shared behind a lock: SQLite writes one at a time anyway.
pub struct Sqlite(Mutex<rusqlite::Connection>);

/// The central store on SQLite.
pub type SqliteStore = SqlStore<Sqlite>;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Database(e.to_string())
    }
}

/// Append only: a database is brought from its version to the last, one step at a time.
const MIGRATIONS: &[&str] = &[SCHEMA_V1, SCHEMA_V2, SCHEMA_V3];

impl Sqlite {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Sqlite::setup(rusqlite::Connection::open(path)?)
    }

    /// A database in memory, for tests.
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        Sqlite::setup(rusqlite::Connection::open_in_memory()?)
    }

    fn setup(mut conn: rusqlite::Connection) -> Result<SqliteStore, StoreError> {
        durable(&conn)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, step) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
            let tx = conn.transaction()?;
            tx.execute_batch(
                &step.replace("{ID}", "INTEGER PRIMARY KEY AUTOINCREMENT").replace("{BLOB}", "BLOB"),
            )?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(SqlStore::new(Sqlite(Mutex::new(conn))))
    }
}

/// The connection's settings. `synchronous = FULL`: a batch the kiosk is told is stored is on
/// the disk before the answer goes out, so a power cut after the answer loses nothing the kiosk
/// has already marked sent (with NORMAL, WAL may lose the last commits: exactly-once broken).
fn durable(conn: &rusqlite::Connection) -> Result<(), rusqlite::Error> {
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
}

fn to_value(v: &Sql) -> Value {
    match v {
        Sql::Int(Some(i)) => Value::Integer(*i),
        Sql::Real(Some(f)) => Value::Real(*f),
        Sql::Text(Some(t)) => Value::Text(t.clone()),
        Sql::Bytes(Some(b)) => Value::Blob(b.clone()),
        Sql::Int(None) | Sql::Real(None) | Sql::Text(None) | Sql::Bytes(None) => Value::Null,
    }
}

fn from_value(v: ValueRef<'_>) -> Sql {
    match v {
        ValueRef::Null => Sql::Int(None),
        ValueRef::Integer(i) => Sql::Int(Some(i)),
        ValueRef::Real(f) => Sql::Real(Some(f)),
        ValueRef::Text(t) => Sql::Text(Some(String::from_utf8_lossy(t).into_owned())),
        ValueRef::Blob(b) => Sql::Bytes(Some(b.to_vec())),
    }
}

/// `$1` → `?1`: numbered, so a parameter may appear in any order and more than once.
fn dialect(sql: &str) -> String {
    sql.replace('$', "?")
}

impl Connection for rusqlite::Transaction<'_> {
    fn execute(&mut self, sql: &str, params: &[Sql]) -> Result<u64, StoreError> {
        let values: Vec<Value> = params.iter().map(to_value).collect();
        let mut stmt = self.prepare_cached(&dialect(sql))?;
        Ok(stmt.execute(rusqlite::params_from_iter(values))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Sql]) -> Result<Vec<Row>, StoreError> {
        let values: Vec<Value> = params.iter().map(to_value).collect();
        let mut stmt = self.prepare_cached(&dialect(sql))?;
        let columns = stmt.column_count();
        let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| {
            (0..columns).map(|i| r.get_ref(i).map(from_value)).collect::<Result<Vec<_>, _>>().map(Row)
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

impl Backend for Sqlite {
    fn transaction<R>(
        &self,
        work: &mut dyn FnMut(&mut dyn Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut conn = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let result = work(&mut tx)?;
        tx.commit()?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_acknowledged_batch_is_on_disk_wal_with_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("central.db")).unwrap();
        durable(&conn).unwrap();
        let synchronous: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        let journal: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!((synchronous, journal.as_str()), (2, "wal"), "2 = FULL");
        Sqlite::open(&dir.path().join("central.db")).expect("the store opens with these settings");
    }
}
