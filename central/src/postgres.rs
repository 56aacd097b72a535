//! The central store in PostgreSQL, for an organisation with many kiosks or its own database
//! server.
//!
//! It owns the PostgreSQL side of [`super::store::Backend`]: a small pool of synchronous
//! `postgres` clients (used from blocking threads only), the migrations (a `schema_version`
//! table) and the translation of [`Sql`] values. The queries live in [`super::store`].

use std::sync::Mutex;

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};

use super::store::{Backend, Connection, Row, SCHEMA_V1, SCHEMA_V2, Sql, SqlStore, StoreError};

/// Connections kept open for reuse.
const POOL_SIZE: usize = 4;

/// A small pool of connections to one database.
pub struct Postgres {
    url: String,
    idle: Mutex<Vec<Client>>,
}

/// The central store on PostgreSQL.
pub type PostgresStore = SqlStore<Postgres>;

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        StoreError::Database(match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        })
    }
}

/// Append only: a database is brought from its version to the last, one step at a time.
const MIGRATIONS: &[&str] = &[SCHEMA_V1, SCHEMA_V2];

impl Postgres {
    /// Connects to `url` (`postgres://user@host:port/db` or `postgres://user@%2Frun%2Fpostgresql/db`)
    /// and brings the schema up to date. Blocking: not on an async worker.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let backend = Postgres { url: url.to_owned(), idle: Mutex::new(Vec::new()) };
        let mut client = backend.connect()?;
        let mut tx = client.transaction()?;
        // One migrating process at a time.
        tx.batch_execute(
            "SELECT pg_advisory_xact_lock(8470);
             CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL);",
        )?;
        let version: i64 =
            tx.query_opt("SELECT version FROM schema_version", &[])?.map_or(0, |r| r.get::<_, i64>(0));
        for (i, step) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
            tx.batch_execute(
                &step
                    .replace("{ID}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
                    .replace("{BLOB}", "BYTEA"),
            )?;
            tx.execute("DELETE FROM schema_version", &[])?;
            tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&(i as i64 + 1)])?;
        }
        tx.commit()?;
        backend.idle.lock().unwrap_or_else(|e| e.into_inner()).push(client);
        Ok(SqlStore::new(backend))
    }

    fn connect(&self) -> Result<Client, StoreError> {
        Ok(Client::connect(&self.url, NoTls)?)
    }

    fn checkout(&self) -> Result<Client, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match idle {
            Some(client) if !client.is_closed() => Ok(client),
            _ => self.connect(),
        }
    }

    fn checkin(&self, client: Client) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < POOL_SIZE && !client.is_closed() {
            idle.push(client);
        } else {
            drop(idle);
            close(vec![client]);
        }
    }
}

/// Closes clients off any async runtime: a `postgres` client blocks when it is dropped.
fn close(clients: Vec<Client>) {
    if clients.is_empty() {
        return;
    }
    let _ = std::thread::spawn(move || drop(clients)).join();
}

impl Drop for Postgres {
    fn drop(&mut self) {
        close(std::mem::take(self.idle.get_mut().unwrap_or_else(|e| e.into_inner())));
    }
}

fn params(values: &[Sql]) -> Vec<&(dyn ToSql + Sync)> {
    values
        .iter()
        .map(|v| -> &(dyn ToSql + Sync) {
            match v {
                Sql::Int(i) => i,
                Sql::Real(f) => f,
                Sql::Text(t) => t,
                Sql::Bytes(b) => b,
            }
        })
        .collect()
}

fn read_row(row: &postgres::Row) -> Result<Row, StoreError> {
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            Sql::Int(row.try_get(i)?)
        } else if *ty == Type::INT4 {
            Sql::Int(row.try_get::<_, Option<i32>>(i)?.map(i64::from))
        } else if *ty == Type::INT2 {
            Sql::Int(row.try_get::<_, Option<i16>>(i)?.map(i64::from))
        } else if *ty == Type::FLOAT8 {
            Sql::Real(row.try_get(i)?)
        } else if *ty == Type::BYTEA {
            Sql::Bytes(row.try_get(i)?)
        } else if *ty == Type::BOOL {
            Sql::Int(row.try_get::<_, Option<bool>>(i)?.map(i64::from))
        } else {
            Sql::Text(row.try_get(i)?)
        };
        values.push(value);
    }
    Ok(Row(values))
}

impl Connection for postgres::Transaction<'_> {
    fn execute(&mut self, sql: &str, values: &[Sql]) -> Result<u64, StoreError> {
        Ok(postgres::Transaction::execute(self, sql, &params(values))?)
    }

    fn query(&mut self, sql: &str, values: &[Sql]) -> Result<Vec<Row>, StoreError> {
        postgres::Transaction::query(self, sql, &params(values))?.iter().map(read_row).collect()
    }
}

impl Backend for Postgres {
    fn transaction<R>(
        &self,
        work: &mut dyn FnMut(&mut dyn Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut client = self.checkout()?;
        let result = (|| {
            let mut tx = client.transaction()?;
            let result = work(&mut tx)?;
            tx.commit()?;
            Ok(result)
        })();
        self.checkin(client);
        result
    }
}
