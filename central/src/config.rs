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
