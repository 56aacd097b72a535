//! The `loket-central` command line: serve (the default), make a kiosk token, set an admin's
//! password. `src/main.rs` only calls [`main`].
//!
//! It owns start-up: read the config, open the store, make the first admin, bind, serve until
//! Ctrl-C or SIGTERM. It must not hold any logic a test would want: that is in the library.
//! The first admin's password never goes to standard output or the log (the journal keeps
//! both): it is written to [`FIRST_PASSWORD_FILE`] in the data folder, readable by the
//! service's user only, and only that file's path is logged.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use super::config::{CentralConfig, DEFAULT_DATA_DIR, DEFAULT_LISTEN};
use super::postgres::Postgres;
use super::sqlite::Sqlite;
use super::store::CentralStore;
use super::{CentralState, Settings};
use loket_protocol::clock::SystemClock;

/// The organisation's central system for Loket kiosks: collects their events and health,
/// shows the figures, serves their settings and content.
#[derive(Debug, Parser)]
#[command(name = "loket-central", version)]
pub struct Args {
    /// The config file (TOML); see config/central.toml.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Listen on this address and port (default 127.0.0.1:8470, or `listen` in the config).
    #[arg(long)]
    pub listen: Option<String>,
    /// Where the SQLite database lives (default ./central-data, or `data_dir` in the config).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Makes a token for a kiosk and prints it once (put it in the file named by the kiosk's report.token_file).
    NewKioskToken {
        /// The kiosk's id (`site.kiosk_id` in its loket.toml).
        #[arg(long)]
        kiosk: String,
        /// The site's name, to group kiosks on the dashboard.
        #[arg(long)]
        site: String,
    },
    /// Sets an admin's password (read from stdin), adding the admin if new.
    SetPassword {
        /// The admin's name.
        name: String,
    },
}

/// The name of the admin made on first start.
pub const FIRST_ADMIN: &str = "admin";
/// The file in the data folder that holds the first admin's password (mode 0600).
pub const FIRST_PASSWORD_FILE: &str = "first-admin-password";

/// Opens the store the config asks for: PostgreSQL at `database.url`, else SQLite in
/// `<data_dir>/central.sqlite` (the folder is made). Blocking.
pub fn open_store(config: &CentralConfig, data_dir: &Path) -> anyhow::Result<Arc<dyn CentralStore>> {
    match &config.database.url {
        Some(url) => {
            let (mode, ca_file) = (config.database.ssl_mode(), config.database.ca_file.as_deref());
            let store = Postgres::open_with(url, mode, ca_file).with_context(|| {
                format!("cannot open the PostgreSQL database (sslmode = \"{}\")", mode.name())
            })?;
            Ok(Arc::new(store))
        }
        None => {
            std::fs::create_dir_all(data_dir)
                .with_context(|| format!("cannot make {}", data_dir.display()))?;
            let path = data_dir.join("central.sqlite");
            Ok(Arc::new(Sqlite::open(&path).with_context(|| format!("cannot open {}", path.display()))?))
        }
    }
}

/// Makes the first admin when there is none: their random password, to show once.
pub fn ensure_admin(store: &dyn CentralStore) -> anyhow::Result<Option<String>> {
    if store.admin_count()? > 0 {
        return Ok(None);
    }
    let password: String = loket_protocol::secret::new_token().chars().take(20).collect();
    store.set_admin(FIRST_ADMIN, &loket_protocol::secret::hash(&password)?)?;
    Ok(Some(password))
}

/// Makes the first admin when there is none and writes their password to
/// `<data_dir>/first-admin-password`, readable by this user only: the file's path, to log.
pub fn ensure_admin_with_password_file(
    store: &dyn CentralStore,
    data_dir: &Path,
) -> anyhow::Result<Option<PathBuf>> {
    if store.admin_count()? > 0 {
        return Ok(None);
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("cannot make {}", data_dir.display()))?;
    let path = data_dir.join(FIRST_PASSWORD_FILE);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        // An older file keeps its mode on open: make it the owner's only.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot protect {}", path.display()))?;
    }
    let Some(password) = ensure_admin(store)? else {
        return Ok(None);
    };
    writeln!(file, "{password}")
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Some(path))
}

/// The dashboard's settings from the config; `tls`: the server speaks HTTPS itself.
pub fn settings(config: &CentralConfig, tls: bool) -> Settings {
    Settings {
        stale_minutes: config.dashboard.stale_minutes,
        language: config.dashboard.language.clone(),
        time_zone: config.time_zone(),
        secure_cookies: tls || config.proxy.is_some(),
        public_origin: config.public_origin(),
        ..Settings::default()
    }
}

fn load(args: &Args) -> anyhow::Result<(CentralConfig, PathBuf)> {
    let config = match &args.config {
        Some(path) => CentralConfig::load(path)?,
        None => CentralConfig::default(),
    };
    let data_dir = args
        .data_dir
        .clone()
        .or_else(|| config.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    Ok((config, data_dir))
}

/// Runs the command line.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (config, data_dir) = load(&args)?;
    match &args.command {
        Some(Command::NewKioskToken { kiosk, site }) => {
            anyhow::ensure!(
                super::pages::valid_kiosk_id(kiosk),
                "--kiosk {kiosk:?}: use letters, digits, . _ -"
            );
            anyhow::ensure!(!site.trim().is_empty(), "--site must not be empty");
            let store = open_store(&config, &data_dir)?;
            let (_, token) =
                super::pages::new_kiosk_token(store.as_ref(), kiosk, site.trim(), jiff::Timestamp::now())?;
            println!("{token}");
            eprintln!(
                "The token for kiosk {kiosk} ({site}); it is shown only this once. Put it in the kiosk's config."
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::SetPassword { name }) => {
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("cannot read the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']);
            anyhow::ensure!(password.chars().count() >= 10, "a password needs at least 10 characters");
            let store = open_store(&config, &data_dir)?;
            store.set_admin(name, &loket_protocol::secret::hash(password)?)?;
            eprintln!("Password set for {name}.");
            Ok(ExitCode::SUCCESS)
        }
        None => serve(&args, &config, &data_dir),
    }
}

fn serve(args: &Args, config: &CentralConfig, data_dir: &Path) -> anyhow::Result<ExitCode> {
    let listen =
        args.listen.clone().or_else(|| config.listen.clone()).unwrap_or_else(|| DEFAULT_LISTEN.into());
    let addr: std::net::SocketAddr =
        listen.parse().with_context(|| format!("--listen {listen:?}: not an address"))?;
    let tls = match &config.tls {
        Some(t) => Some(super::tls::server_config(&t.cert, &t.key)?),
        None => None,
    };
    let store = open_store(config, data_dir)?;
    if let Some(path) = ensure_admin_with_password_file(store.as_ref(), data_dir)? {
        log::warn!(
            "first start: made the admin user '{FIRST_ADMIN}'; its password is in {} (readable by this user \
             only). Sign in, change it with: loket-central set-password {FIRST_ADMIN}, then delete the file",
            path.display()
        );
    }
    let settings = settings(config, tls.is_some());
    let state = CentralState::new(store, Arc::new(SystemClock), settings);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let local = listener.local_addr().unwrap_or(addr);
        log::info!("listening on {scheme}://{local}");
        super::serve(listener, state, tls, shutdown_signal()).await.context("the server stopped")
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// `loket-central`'s `main`.
pub fn main() -> ExitCode {
    loket_protocol::journal_log::init("info");
    match run(Args::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("loket-central: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_password_goes_to_a_file_only_its_user_reads() {
        let dir = tempfile::tempdir().unwrap();
        let store = Sqlite::open(&dir.path().join("central.sqlite")).unwrap();
        let data = dir.path().join("data");
        let path = ensure_admin_with_password_file(&store, &data).unwrap().expect("a first admin");
        assert_eq!(path, data.join(FIRST_PASSWORD_FILE));
        let password = std::fs::read_to_string(&path).unwrap();
        let hash = store.admin_hash(FIRST_ADMIN).unwrap().unwrap();
        assert!(loket_protocol::secret::verify(password.trim_end(), &hash), "the file's password signs in");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(ensure_admin_with_password_file(&store, &data).unwrap(), None, "only on first start");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), password, "the file is not rewritten");
    }

    #[test]
    fn cookies_are_secure_with_tls_or_behind_an_https_proxy() {
        let plain: CentralConfig = "".parse().unwrap();
        assert!(!settings(&plain, false).secure_cookies);
        assert!(settings(&plain, true).secure_cookies);
        let proxied: CentralConfig = "[proxy]\npublic_url = \"https://central.example.org\"".parse().unwrap();
        let s = settings(&proxied, false);
        assert!(s.secure_cookies);
        assert_eq!(s.public_origin.as_deref(), Some("https://central.example.org"));
    }
}
