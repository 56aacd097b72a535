//! The central store in PostgreSQL, for an organisation with many kiosks or its own database
//! server.
//!
//! It owns the PostgreSQL side of [`super::store::Backend`]: a small pool of synchronous
//! `postgres` clients (used from blocking threads only), the way they connect (plain, or TLS on
//! rustls as `[database] sslmode` says: [`SslMode`]), the migrations (a `schema_version` table)
//! and the translation of [`Sql`] values. The queries live in [`super::store`]. With TLS
//! required it never falls back to plain text: a server without TLS is refused.

use std::path::Path;
use std::sync::{Arc, Mutex};

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::config::SslMode;
use super::store::{Backend, Connection, Row, SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, Sql, SqlStore, StoreError};

/// Connections kept open for reuse.
const POOL_SIZE: usize = 4;

/// A small pool of connections to one database.
pub struct Postgres {
    config: postgres::Config,
    tls: Option<MakeRustlsConnect>,
    idle: Mutex<Vec<Client>>,
}

/// The central store on PostgreSQL.
pub type PostgresStore = SqlStore<Postgres>;

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        StoreError::Database(match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            // The cause too: "error performing TLS handshake: invalid peer certificate: …".
            None => {
                let mut message = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(inner) = cause {
                    let text = inner.to_string();
                    if !message.ends_with(&text) {
                        message = format!("{message}: {text}");
                    }
                    cause = inner.source();
                }
                message
            }
        })
    }
}

/// Append only: a database is brought from its version to the last, one step at a time.
const MIGRATIONS: &[&str] = &[SCHEMA_V1, SCHEMA_V2, SCHEMA_V3];

impl Postgres {
    /// Connects to `url` (`postgres://user@host:port/db` or `postgres://user@%2Frun%2Fpostgresql/db`)
    /// with the safe default for its host ([`SslMode::default_for`]: plain to this machine,
    /// TLS with a certificate checked against the system's roots elsewhere) and brings the
    /// schema up to date. Blocking: not on an async worker.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        Postgres::open_with(url, SslMode::default_for(url), None)
    }

    /// [`Postgres::open`] with the TLS of `[database]`: `mode`, and for `verify-full` the PEM file
    /// of the CA the server's certificate must chain to (`None`: the system's roots).
    pub fn open_with(url: &str, mode: SslMode, ca_file: Option<&Path>) -> Result<PostgresStore, StoreError> {
        let mut config: postgres::Config =
            url.parse().map_err(|e| StoreError::Database(format!("not a PostgreSQL URL: {e}")))?;
        let tls = match mode {
            SslMode::Disable => {
                config.ssl_mode(postgres::config::SslMode::Disable);
                None
            }
            SslMode::Require | SslMode::VerifyFull => {
                config.ssl_mode(postgres::config::SslMode::Require);
                Some(MakeRustlsConnect::new(client_config(mode, ca_file)?))
            }
        };
        let backend = Postgres { config, tls, idle: Mutex::new(Vec::new()) };
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
        Ok(match &self.tls {
            None => self.config.connect(NoTls)?,
            Some(tls) => self.config.connect(tls.clone())?,
        })
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

/// The rustls client config for `mode` (TLS required): ring, and the server's certificate checked
/// against `ca_file` or the system's roots (`verify-full`) or not checked (`require`).
fn client_config(mode: SslMode, ca_file: Option<&Path>) -> Result<rustls::ClientConfig, StoreError> {
    let provider = loket_protocol::tls::provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Database(format!("TLS: {e}")))?;
    if mode == SslMode::Require {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            use rustls_pki_types::pem::PemObject;
            let fail = |reason: String| {
                StoreError::Database(format!("database.ca_file {}: {reason}", path.display()))
            };
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| fail(e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| fail(e.to_string()))?;
            if certs.is_empty() {
                return Err(fail("no certificate in this file".into()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| fail(e.to_string()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(StoreError::Database(format!(
                    "sslmode = \"verify-full\" without database.ca_file needs the system's root \
                     certificates (package ca-certificates), but none were found{}",
                    found.errors.first().map(|e| format!(": {e}")).unwrap_or_default()
                )));
            }
        }
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// `sslmode = "require"`: any certificate is taken (the handshake's signatures are still checked,
/// so the traffic is encrypted to the holder of the certificate's key).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
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
