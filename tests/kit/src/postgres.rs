//! A throwaway PostgreSQL cluster for the central system's tests: `initdb` into a temp dir,
//! the server on a free port with its unix socket in that dir, stopped and removed when
//! dropped. [`postgres_database`] shares one cluster between the tests running at the same
//! time and gives each its own empty database. [`start_postgres_with_tls`] starts one of its
//! own that speaks TLS with a certificate the test made, and takes TCP connections only over TLS.
//!
//! Needs the Debian package `postgresql` (`.ci/install-deps` installs it); without it the test
//! fails and says so, it never skips. As root (CI containers), the cluster belongs to the
//! `postgres` system user the package creates: initdb refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// A running cluster; stopped when dropped.
pub struct PgCluster {
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("postgres").exists() && b.join("initdb").exists() && b.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL's server programs (initdb, postgres, pg_ctl under /usr/lib/postgresql/*/bin) are \
             missing: run .ci/install-deps (or apt-get install postgresql); the central system's tests \
             run against PostgreSQL too"
        )
    })
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl PgCluster {
    fn command(&self, program: &str) -> Command {
        command(&self.bin, program, self.as_postgres)
    }
}

fn command(bin: &Path, program: &str, as_postgres: bool) -> Command {
    let path = bin.join(program);
    let mut c = if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    };
    c.stdin(Stdio::null()).env("LC_ALL", "C.UTF-8");
    c
}

fn run(mut c: Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The cluster the running tests share, while any of them holds it.
static SHARED: Mutex<Weak<PgCluster>> = Mutex::new(Weak::new());
static DATABASES: AtomicU32 = AtomicU32::new(0);

/// A new empty database (`postgres://…` URL) on the shared cluster; hold the cluster while
/// using it.
pub fn postgres_database() -> (Arc<PgCluster>, String) {
    let cluster = {
        let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        match shared.upgrade() {
            Some(c) => c,
            None => {
                let c = Arc::new(start_postgres());
                *shared = Arc::downgrade(&c);
                c
            }
        }
    };
    let name = format!("central_{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::Relaxed));
    let url = cluster.create_database(&name);
    (cluster, url)
}

/// Starts a new cluster.
pub fn start_postgres() -> PgCluster {
    start(None)
}

/// Starts a new cluster that speaks TLS with this certificate chain and private key (PEM), and
/// refuses every TCP connection without TLS (`hostssl` only in `pg_hba.conf`); its Unix socket,
/// which the kit's `createdb` may use, stays as it is.
pub fn start_postgres_with_tls(cert_pem: &str, key_pem: &str) -> PgCluster {
    start(Some((cert_pem, key_pem)))
}

fn start(tls: Option<(&str, &str)>) -> PgCluster {
    let bin = bin_dir();
    let as_postgres = is_root();
    let dir = tempfile::Builder::new().prefix("loket-pg-").tempdir().unwrap();
    let data = dir.path().join("data");
    let socket = dir.path().to_path_buf();
    if as_postgres {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status()
            .expect("chown the cluster's temp dir to the postgres user");
        assert!(
            status.success(),
            "chown to postgres failed: is the `postgres` user there (package postgresql)?"
        );
    }
    let mut init = command(&bin, "initdb", as_postgres);
    init.args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-D"]).arg(&data);
    run(init, "initdb");
    let mut options = String::new();
    if let Some((cert_pem, key_pem)) = tls {
        use std::os::unix::fs::PermissionsExt;
        let (cert, key) = (data.join("server.crt"), data.join("server.key"));
        std::fs::write(&cert, cert_pem).unwrap();
        std::fs::write(&key, key_pem).unwrap();
        // PostgreSQL refuses a private key that others can read.
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all all 127.0.0.1/32 trust\n\
             hostssl all all ::1/128 trust\n",
        )
        .unwrap();
        if as_postgres {
            let status = Command::new("chown")
                .arg("postgres:postgres")
                .args([&cert, &key, &data.join("pg_hba.conf")])
                .status()
                .expect("chown the certificate and key to the postgres user");
            assert!(status.success(), "chown of the certificate and key to postgres failed");
        }
        options = format!(" -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}", cert.display(), key.display());
    }
    let port = free_port();
    let mut start = command(&bin, "pg_ctl", as_postgres);
    start
        .args(["-w", "-t", "30", "-l"])
        .arg(dir.path().join("log"))
        .arg("-D")
        .arg(&data)
        .arg("-o")
        .arg(format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=50 -c shared_buffers=16MB{options}",
            socket.display()
        ))
        .arg("start");
    run(start, "pg_ctl start");
    PgCluster { port, bin, data, as_postgres, _dir: dir }
}

impl PgCluster {
    /// Makes an empty database; its URL.
    pub fn create_database(&self, name: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut create = self.command("createdb");
            create.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", name]);
            let out = create.output().expect("run createdb");
            if out.status.success() {
                return format!("postgres://postgres@127.0.0.1:{}/{name}", self.port);
            }
            assert!(Instant::now() < deadline, "createdb failed: {}", String::from_utf8_lossy(&out.stderr));
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let mut stop = self.command("pg_ctl");
        stop.args(["-w", "-t", "20", "-m", "immediate", "-D"]).arg(&self.data).arg("stop");
        let _ = stop.stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}
