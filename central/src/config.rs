//! The central system's one TOML file (`config/central.toml` is the documented sample), read
//! strictly — an unknown key is refused — and checked, with messages that name the key and
//! the value.
//!
//! Pure apart from [`CentralConfig::load`]: it reads the file and nothing else. It must not
//! open the database or the certificate files; the command line does that.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where the server listens when neither the config nor the command line says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8470";
/// Where the data lives when neither the config nor the command line says.
pub const DEFAULT_DATA_DIR: &str = "./central-data";
/// The languages the pages are written in, for `dashboard.language`.
pub const STAFF_LANGUAGES: &[&str] = &["nl", "fr", "en"];

/// Why the config was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{0}")]
    Syntax(String),
    #[error("{key} = {value:?}: {reason}")]
    Invalid { key: &'static str, value: String, reason: String },
}

/// `central.toml`
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CentralConfig {
    /// `host:port` to listen on.
    pub listen: Option<String>,
    /// Where the SQLite file lives (when no database URL is set).
    pub data_dir: Option<PathBuf>,
    #[serde(default)]
    pub database: DatabaseConfig,
    pub tls: Option<TlsConfig>,
    #[serde(default)]
    pub dashboard: DashboardConfig,
    /// A reverse proxy in front that speaks HTTPS.
    pub proxy: Option<ProxyConfig>,
}

/// `[proxy]`: the server is reached through a reverse proxy that speaks HTTPS.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    /// The address browsers use, `https://…`: the admin cookie is then `Secure`, and a sign-in
    /// from a page at this origin is the server's own.
    pub public_url: String,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://…`; absent: SQLite in `<data_dir>/central.sqlite`.
    pub url: Option<String>,
    /// TLS to PostgreSQL: `disable`, `require` or `verify-full` (see [`SslMode`]); absent: the
    /// safe default for the URL's host ([`DatabaseConfig::ssl_mode`]).
    pub sslmode: Option<String>,
    /// PEM file with the CA certificates the server's certificate must chain to (`verify-full`);
    /// absent: the system's roots.
    pub ca_file: Option<PathBuf>,
}

/// How the connection to PostgreSQL is protected (`[database] sslmode`), named as libpq does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP, or a Unix socket: for a server on this machine only.
    Disable,
    /// TLS or no connection, but the server's certificate is not checked: it keeps the traffic
    /// from being read on the way, not from a server that pretends to be the database.
    Require,
    /// TLS or no connection, and the server's certificate must chain to the CA file (or the
    /// system's roots) and name the host in the URL.
    VerifyFull,
}

impl SslMode {
    /// The values `sslmode` takes, as written in the config.
    pub const NAMES: [&'static str; 3] = ["disable", "require", "verify-full"];

    fn from_name(name: &str) -> Option<SslMode> {
        match name {
            "disable" => Some(SslMode::Disable),
            "require" => Some(SslMode::Require),
            "verify-full" => Some(SslMode::VerifyFull),
            _ => None,
        }
    }

    /// The value as written in the config.
    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Require => "require",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// The safe default for a database URL: `disable` when every host is a Unix socket or a
    /// loopback address (`localhost`, `127.0.0.0/8`, `::1`), where the traffic never leaves the
    /// machine; `verify-full` for any other host.
    pub fn default_for(url: &str) -> SslMode {
        match url.parse::<postgres::Config>() {
            Ok(config) if config.get_hosts().iter().all(is_on_this_machine) => SslMode::Disable,
            _ => SslMode::VerifyFull,
        }
    }
}

/// A Unix socket, or a loopback host.
fn is_on_this_machine(host: &postgres::config::Host) -> bool {
    match host {
        postgres::config::Host::Unix(_) => true,
        postgres::config::Host::Tcp(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
    }
}

impl DatabaseConfig {
    /// The sslmode in force: as set (checked when the config was read), else
    /// [`SslMode::default_for`] the URL.
    pub fn ssl_mode(&self) -> SslMode {
        match (&self.sslmode, &self.url) {
            (Some(name), _) => SslMode::from_name(name).unwrap_or(SslMode::VerifyFull),
            (None, Some(url)) => SslMode::default_for(url),
            (None, None) => SslMode::Disable,
        }
    }

    fn check(&self) -> Result<(), ConfigError> {
        if let Some(name) = &self.sslmode
            && SslMode::from_name(name).is_none()
        {
            return Err(ConfigError::Invalid {
                key: "database.sslmode",
                value: name.clone(),
                reason: format!("must be one of \"{}\"", SslMode::NAMES.join("\", \"")),
            });
        }
        let Some(url) = &self.url else {
            if let Some(name) = &self.sslmode {
                return Err(ConfigError::Invalid {
                    key: "database.sslmode",
                    value: name.clone(),
                    reason: "only for PostgreSQL: set database.url too".into(),
                });
            }
            return Ok(());
        };
        let parsed = url.parse::<postgres::Config>().map_err(|e| ConfigError::Invalid {
            key: "database.url",
            value: url.clone(),
            reason: format!("not a PostgreSQL URL: {e}"),
        })?;
        if url.split_once('?').is_some_and(|(_, query)| query.split('&').any(|p| p.starts_with("sslmode="))) {
            return Err(ConfigError::Invalid {
                key: "database.url",
                value: url.clone(),
                reason: "set database.sslmode instead of sslmode= in the URL".into(),
            });
        }
        let mode = self.ssl_mode();
        if mode != SslMode::Disable
            && parsed.get_hosts().iter().any(|h| matches!(h, postgres::config::Host::Unix(_)))
        {
            return Err(ConfigError::Invalid {
                key: "database.sslmode",
                value: mode.name().into(),
                reason:
                    "PostgreSQL speaks no TLS over a Unix socket: use \"disable\" (the socket never leaves \
                         the machine) or a host name"
                        .into(),
            });
        }
        if let Some(ca_file) = &self.ca_file
            && mode != SslMode::VerifyFull
        {
            return Err(ConfigError::Invalid {
                key: "database.ca_file",
                value: ca_file.display().to_string(),
                reason: format!(
                    "only used with sslmode = \"verify-full\", but sslmode is \"{}\"",
                    mode.name()
                ),
            });
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardConfig {
    /// A kiosk not heard from for this long is shown as not seen.
    #[serde(default = "default_stale_minutes")]
    pub stale_minutes: u32,
    /// The time zone the sites are in: an event's local hour and day.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// The staff's language: the pages are shown in it (one of [`STAFF_LANGUAGES`]).
    #[serde(default = "default_language")]
    pub language: String,
}

fn default_stale_minutes() -> u32 {
    15
}

fn default_timezone() -> String {
    "Europe/Brussels".into()
}

fn default_language() -> String {
    "nl".into()
}

impl Default for DashboardConfig {
    fn default() -> DashboardConfig {
        DashboardConfig {
            stale_minutes: default_stale_minutes(),
            timezone: default_timezone(),
            language: default_language(),
        }
    }
}

impl std::str::FromStr for CentralConfig {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<CentralConfig, ConfigError> {
        let config: CentralConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        config.check()?;
        Ok(config)
    }
}

impl CentralConfig {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<CentralConfig, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Read { path: path.display().to_string(), reason: e.to_string() })?;
        text.parse().map_err(|e| match e {
            ConfigError::Syntax(s) => ConfigError::Syntax(format!("{}: {s}", path.display())),
            other => other,
        })
    }

    fn check(&self) -> Result<(), ConfigError> {
        if let Some(listen) = &self.listen {
            listen.parse::<SocketAddr>().map_err(|_| ConfigError::Invalid {
                key: "listen",
                value: listen.clone(),
                reason: "not an address and port such as 127.0.0.1:8470 or [::]:443".into(),
            })?;
        }
        if let Some(url) = &self.database.url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                key: "database.url",
                value: url.clone(),
                reason: "must start with postgres:// (leave it out to use SQLite in data_dir)".into(),
            });
        }
        self.database.check()?;
        if self.dashboard.stale_minutes == 0 {
            return Err(ConfigError::Invalid {
                key: "dashboard.stale_minutes",
                value: "0".into(),
                reason: "must be at least 1".into(),
            });
        }
        if let Some(proxy) = &self.proxy {
            check_public_url(&proxy.public_url)?;
        }
        jiff::tz::TimeZone::get(&self.dashboard.timezone).map_err(|_| ConfigError::Invalid {
            key: "dashboard.timezone",
            value: self.dashboard.timezone.clone(),
            reason: "not a time zone name such as Europe/Brussels".into(),
        })?;
        if !STAFF_LANGUAGES.contains(&self.dashboard.language.as_str()) {
            return Err(ConfigError::Invalid {
                key: "dashboard.language",
                value: self.dashboard.language.clone(),
                reason: format!("the pages are written in {} only", STAFF_LANGUAGES.join(", ")),
            });
        }
        Ok(())
    }

    /// The proxy's public origin (`https://host[:port]`, no trailing slash), when set.
    pub fn public_origin(&self) -> Option<String> {
        self.proxy.as_ref().map(|p| p.public_url.trim_end_matches('/').to_owned())
    }

    /// The time zone of the sites (checked when the config was read).
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.dashboard.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

/// `proxy.public_url` is an `https://` address of a host, with no path beyond `/`.
fn check_public_url(url: &str) -> Result<(), ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        key: "proxy.public_url",
        value: url.to_owned(),
        reason: reason.to_owned(),
    };
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(invalid(
            "must start with https:// (the proxy speaks HTTPS; leave [proxy] out otherwise)",
        ));
    };
    let host = rest.strip_suffix('/').unwrap_or(rest);
    let bad_char = |c: char| !(c.is_ascii_alphanumeric() || "-.:[]".contains(c));
    if host.is_empty() || host.chars().any(bad_char) {
        return Err(invalid("must be https:// and a host name, such as https://central.example.org"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_valid() {
        let text = include_str!("../config/central.toml");
        let config: CentralConfig = text.parse().unwrap();
        assert_eq!(config.dashboard.stale_minutes, 15);
        assert_eq!(config.dashboard.language, "nl");
    }

    #[test]
    fn the_staff_language_is_dutch_unless_set_and_must_be_one_the_pages_are_written_in() {
        assert_eq!("".parse::<CentralConfig>().unwrap().dashboard.language, "nl");
        for language in ["nl", "fr", "en"] {
            let config: CentralConfig = format!("[dashboard]\nlanguage = \"{language}\"").parse().unwrap();
            assert_eq!(config.dashboard.language, language);
        }
        for bad in ["NL", "de", "", "nederlands"] {
            let err = format!("[dashboard]\nlanguage = \"{bad}\"")
                .parse::<CentralConfig>()
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                format!("dashboard.language = \"{bad}\": the pages are written in nl, fr, en only")
            );
        }
    }

    fn database(lines: &str) -> Result<CentralConfig, String> {
        format!("[database]\n{lines}").parse::<CentralConfig>().map_err(|e| e.to_string())
    }

    #[test]
    fn postgres_on_another_machine_needs_a_verified_certificate_unless_told_otherwise() {
        for (url, mode) in [
            ("postgres://loket@db.example.org/central", SslMode::VerifyFull),
            ("postgres://loket@10.0.0.5:5432/central", SslMode::VerifyFull),
            ("postgres://loket@localhost/central", SslMode::Disable),
            ("postgres://loket@127.0.0.1:5433/central", SslMode::Disable),
            ("postgres://loket@[::1]/central", SslMode::Disable),
            ("postgres://loket@%2Frun%2Fpostgresql/central", SslMode::Disable),
        ] {
            let config = database(&format!("url = \"{url}\"")).unwrap();
            assert_eq!(config.database.ssl_mode(), mode, "{url}");
        }
        for name in SslMode::NAMES {
            let config =
                database(&format!("url = \"postgres://db.example.org/c\"\nsslmode = \"{name}\"")).unwrap();
            assert_eq!(config.database.ssl_mode().name(), name);
        }
        let config = database(
            "url = \"postgres://db.example.org/c\"\nsslmode = \"verify-full\"\nca_file = \"ca.pem\"",
        )
        .unwrap();
        assert_eq!(config.database.ca_file, Some(PathBuf::from("ca.pem")));
    }

    #[test]
    fn a_bad_sslmode_or_ca_file_is_refused_by_key_and_value() {
        let url = "url = \"postgres://db.example.org/c\"";
        assert_eq!(
            database(&format!("{url}\nsslmode = \"prefer\"")).unwrap_err(),
            "database.sslmode = \"prefer\": must be one of \"disable\", \"require\", \"verify-full\""
        );
        assert_eq!(
            database(&format!("{url}\nsslmode = \"Require\"")).unwrap_err(),
            "database.sslmode = \"Require\": must be one of \"disable\", \"require\", \"verify-full\""
        );
        assert_eq!(
            database("sslmode = \"require\"").unwrap_err(),
            "database.sslmode = \"require\": only for PostgreSQL: set database.url too"
        );
        assert_eq!(
            database("url = \"postgres://db.example.org/c?sslmode=disable\"").unwrap_err(),
            "database.url = \"postgres://db.example.org/c?sslmode=disable\": set database.sslmode instead of \
             sslmode= in the URL"
        );
        let err = database("url = \"postgres://%2Frun%2Fpostgresql/c\"\nsslmode = \"require\"").unwrap_err();
        assert!(
            err.starts_with("database.sslmode = \"require\": PostgreSQL speaks no TLS over a Unix socket"),
            "{err}"
        );
        assert_eq!(
            database(&format!("{url}\nsslmode = \"require\"\nca_file = \"ca.pem\"")).unwrap_err(),
            "database.ca_file = \"ca.pem\": only used with sslmode = \"verify-full\", but sslmode is \"require\""
        );
        let err = database("url = \"postgres://localhost/c\"\nca_file = \"ca.pem\"").unwrap_err();
        assert!(err.ends_with("but sslmode is \"disable\""), "{err}");
    }

    #[test]
    fn a_proxy_needs_an_https_url_of_a_host() {
        let config: CentralConfig = "[proxy]\npublic_url = \"https://central.example.org/\"".parse().unwrap();
        assert_eq!(config.public_origin().as_deref(), Some("https://central.example.org"));
        assert_eq!("".parse::<CentralConfig>().unwrap().public_origin(), None);
        for bad in
            ["http://central.example.org", "central.example.org", "https://", "https://a/b", "https://a b"]
        {
            let err = format!("[proxy]\npublic_url = \"{bad}\"").parse::<CentralConfig>().unwrap_err();
            assert!(
                matches!(&err, ConfigError::Invalid { key: "proxy.public_url", value, .. } if value == bad),
                "{bad}: {err}"
            );
        }
        for bad in ["[proxy]\nhttps = true", "[proxy]\npublic_url = true", "[proxy]"] {
            assert!(matches!(bad.parse::<CentralConfig>(), Err(ConfigError::Syntax(_))), "{bad}");
        }
    }

    #[test]
    fn an_empty_file_takes_the_defaults() {
        assert_eq!("".parse::<CentralConfig>().unwrap(), CentralConfig::default());
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let err = "[dashboard]\nstale_minuts = 3\n".parse::<CentralConfig>().unwrap_err().to_string();
        assert!(err.contains("unknown field `stale_minuts`"), "{err}");
    }

    #[test]
    fn bad_values_name_key_and_value() {
        let err = "listen = \"localhost\"".parse::<CentralConfig>().unwrap_err().to_string();
        assert!(err.starts_with("listen = \"localhost\":"), "{err}");
        let err = "[database]\nurl = \"mysql://x\"".parse::<CentralConfig>().unwrap_err().to_string();
        assert!(err.starts_with("database.url = \"mysql://x\""), "{err}");
        let err = "[dashboard]\ntimezone = \"Mars/Base\"".parse::<CentralConfig>().unwrap_err().to_string();
        assert!(err.contains("dashboard.timezone = \"Mars/Base\""), "{err}");
        let err = "[tls]\ncert = \"c.pem\"".parse::<CentralConfig>().unwrap_err().to_string();
        assert!(err.contains("missing field `key`"), "{err}");
    }
}
