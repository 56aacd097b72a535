//! `[report]`: reporting to the central system (`loket-central`): its address, the token file,
//! the CA bundle and the reporter's timings. It must not read the token or the CA bundle (the
//! reporter does when it starts, and `loket check`), nor know the HTTP client.

use std::path::PathBuf;

use serde::Deserialize;

use super::{ConfigError, in_range, invalid, non_empty, quoted};

/// `[report]`: sending events and heartbeats to the central system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The central system's base URL; `None` = reporting off.
    pub central_url: Option<String>,
    /// The file holding this kiosk's bearer token.
    pub token_file: PathBuf,
    /// Extra certificates (PEM) to trust, e.g. an organisation's own CA.
    pub ca_bundle: Option<PathBuf>,
    pub batch_events: u32,
    pub heartbeat_seconds: u32,
    pub retry_max_seconds: u32,
    pub request_timeout_seconds: u32,
    /// The most unsent events the outbox holds; further ones are counted as dropped.
    pub outbox_max_events: u64,
    /// Acknowledged events are deleted after this many days.
    pub keep_sent_days: u32,
    /// Send only once the clock is synchronised (TLS needs a sane clock).
    pub wait_for_clock: bool,
}

impl Default for Report {
    fn default() -> Self {
        match ReportFile::default().validate() {
            Ok(report) => report,
            Err(e) => unreachable!("the [report] defaults are invalid: {e}"),
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct ReportFile {
    central_url: String,
    token_file: String,
    ca_bundle: String,
    batch_events: i64,
    heartbeat_seconds: i64,
    retry_max_seconds: i64,
    request_timeout_seconds: i64,
    outbox_max_events: i64,
    keep_sent_days: i64,
    wait_for_clock: bool,
}

impl Default for ReportFile {
    fn default() -> Self {
        ReportFile {
            central_url: String::new(),
            token_file: "/etc/loket/central-token".into(),
            ca_bundle: String::new(),
            batch_events: 500,
            heartbeat_seconds: 300,
            retry_max_seconds: 900,
            request_timeout_seconds: 30,
            outbox_max_events: 200_000,
            keep_sent_days: 7,
            wait_for_clock: true,
        }
    }
}

/// The central system's URL: `https://`, or `http://` to this machine only.
fn central_url(key: &str, url: &str) -> Result<Option<String>, ConfigError> {
    let url = url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let parsed = url::Url::parse(url).map_err(|e| {
        invalid(key, quoted(url), format!("not a URL ({e}); e.g. \"https://central.example.org\""))
    })?;
    if parsed.query().is_some() || parsed.fragment().is_some() || !parsed.username().is_empty() {
        return Err(invalid(key, quoted(url), "must be a plain base URL, without user, query or fragment"));
    }
    let local = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match parsed.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => {
            return Err(invalid(
                key,
                quoted(url),
                "must start with https:// (http:// is only allowed for this machine: 127.0.0.1, localhost or ::1)",
            ));
        }
        _ => return Err(invalid(key, quoted(url), "must start with https://")),
    }
    Ok(Some(url.trim_end_matches('/').to_owned()))
}

impl ReportFile {
    pub(super) fn validate(self) -> Result<Report, ConfigError> {
        let central_url = central_url("report.central_url", &self.central_url)?;
        let token_file = PathBuf::from(non_empty(
            "report.token_file",
            &self.token_file,
            "the file holding the kiosk's token, e.g. \"/etc/loket/central-token\"",
        )?);
        let ca_bundle = (!self.ca_bundle.trim().is_empty()).then(|| PathBuf::from(&self.ca_bundle));
        let outbox_max_events = match u64::try_from(self.outbox_max_events) {
            Ok(n) if (1000..=10_000_000).contains(&n) => n,
            _ => {
                return Err(invalid(
                    "report.outbox_max_events",
                    self.outbox_max_events.to_string(),
                    "must be between 1000 and 10000000",
                ));
            }
        };
        Ok(Report {
            central_url,
            token_file,
            ca_bundle,
            batch_events: in_range("report.batch_events", self.batch_events, 1, 1000)?,
            heartbeat_seconds: in_range("report.heartbeat_seconds", self.heartbeat_seconds, 10, 86_400)?,
            retry_max_seconds: in_range("report.retry_max_seconds", self.retry_max_seconds, 5, 86_400)?,
            request_timeout_seconds: in_range(
                "report.request_timeout_seconds",
                self.request_timeout_seconds,
                1,
                600,
            )?,
            outbox_max_events,
            keep_sent_days: in_range("report.keep_sent_days", self.keep_sent_days, 0, 3650)?,
            wait_for_clock: self.wait_for_clock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, SAMPLE_TOML};

    fn with_report(lines: &str) -> Result<Config, ConfigError> {
        let text = SAMPLE_TOML.replacen("central_url = \"\"\n", &format!("{lines}\n"), 1);
        assert_ne!(text, SAMPLE_TOML, "the sample has central_url = \"\"");
        Config::from_toml(&text)
    }

    fn report_error(lines: &str) -> (String, String) {
        match with_report(lines).unwrap_err() {
            ConfigError::Invalid { key, reason, value } => (key, format!("{value}: {reason}")),
            other => (String::new(), other.to_string()),
        }
    }

    #[test]
    fn reporting_is_off_in_the_sample_and_has_defaults() {
        let report = Config::sample().report;
        assert_eq!(report.central_url, None);
        assert_eq!(report, Report::default());
        assert_eq!(
            (report.batch_events, report.heartbeat_seconds, report.retry_max_seconds),
            (500, 300, 900)
        );
        assert_eq!((report.request_timeout_seconds, report.keep_sent_days), (30, 7));
        assert_eq!(report.outbox_max_events, 200_000);
        assert!(report.wait_for_clock);
    }

    #[test]
    fn the_samples_commented_report_keys_show_the_defaults() {
        // config/loket.toml shows every [report] key commented out with its default value
        // (ca_bundle, optional, with an example instead).
        let report = SAMPLE_TOML.split("\n[report]\n").nth(1).unwrap().split("\n[").next().unwrap();
        let shown: Vec<&str> = report
            .lines()
            .filter_map(|line| line.strip_prefix("# "))
            .filter(|line| line.parse::<toml::Table>().is_ok() && !line.starts_with("ca_bundle"))
            .collect();
        assert_eq!(shown.len(), 8, "{shown:?}");
        let config = with_report(&format!("central_url = \"\"\n{}", shown.join("\n"))).unwrap();
        assert_eq!(config.report, Report::default());
    }

    #[test]
    fn a_report_section_is_read() {
        let config = with_report(
            "central_url = \"https://central.example.org/\"\ntoken_file = \"/var/lib/loket/token\"\n\
             batch_events = 100\nwait_for_clock = false",
        )
        .unwrap();
        assert_eq!(config.report.central_url.as_deref(), Some("https://central.example.org"));
        assert_eq!(config.report.token_file, PathBuf::from("/var/lib/loket/token"));
        assert_eq!(config.report.batch_events, 100);
        assert!(!config.report.wait_for_clock);
    }

    #[test]
    fn plain_http_is_only_allowed_to_this_machine() {
        for url in ["http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"] {
            assert!(with_report(&format!("central_url = \"{url}\"")).is_ok(), "{url}");
        }
        let (key, message) = report_error("central_url = \"http://central.example.org\"");
        assert_eq!(key, "report.central_url");
        assert!(message.contains("\"http://central.example.org\""), "{message}");
        assert!(message.contains("https://") && message.contains("127.0.0.1"), "{message}");
        let (key, message) = report_error("central_url = \"ftp://x.example\"");
        assert_eq!(key, "report.central_url", "{message}");
        let (key, message) = report_error("central_url = \"not a url\"");
        assert_eq!(key, "report.central_url", "{message}");
        let (_, message) = report_error("central_url = \"https://x.example/?a=b\"");
        assert!(message.contains("query"), "{message}");
    }

    #[test]
    fn report_numbers_out_of_range_are_named() {
        for (line, key, value) in [
            ("batch_events = 0", "report.batch_events", "0"),
            ("batch_events = 1001", "report.batch_events", "1001"),
            ("heartbeat_seconds = 5", "report.heartbeat_seconds", "5"),
            ("retry_max_seconds = -1", "report.retry_max_seconds", "-1"),
            ("request_timeout_seconds = 0", "report.request_timeout_seconds", "0"),
            ("outbox_max_events = 10", "report.outbox_max_events", "10"),
            ("keep_sent_days = 9999", "report.keep_sent_days", "9999"),
        ] {
            let (k, message) = report_error(line);
            assert_eq!(k, key, "{line}: {message}");
            assert!(message.starts_with(value), "{line}: {message}");
        }
    }

    #[test]
    fn an_unknown_report_key_is_refused() {
        let (_, message) = report_error("central = \"https://x.example\"");
        assert!(message.contains("unknown field `central`"), "{message}");
    }
}
