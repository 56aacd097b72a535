//! The kiosk's one configuration file (TOML): its typed form [`Config`], strict parsing (every
//! table rejects unknown keys) and validation whose messages name the key and the bad value,
//! e.g. `service[2].prefix = "e1": must be 1 or 2 capital letters A-Z`. Parsing comes first,
//! validation second; once a `Config` exists it is valid.
//!
//! This module owns the whole file, the error type and the small checks every table shares; each
//! table has its own module beside it with its file type (what serde reads), its validated type,
//! its checks and its tests: [`site`], [`kiosk`], [`queue`], [`printer`], [`ticket`], [`speech`],
//! [`web`], [`hours`], [`services`], [`desks`], [`learning`], [`display`], [`maintenance`],
//! [`report`], [`appointments`]. Every type is used from here (`crate::config::Kiosk`), not from its table's module.
//! A key's default is written once, in its table's module; `config/loket.toml` shows the same
//! values, which a test keeps so.
//!
//! It must not act on the configuration (open printers, create directories, start servers), nor
//! read any file other than the one it is asked to load, nor know the HTTP client; what the
//! opening hours mean is [`crate::opening_hours`]. The sample `config/loket.toml` is built in.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use crate::languages;

mod appointments;
mod desks;
mod display;
mod hours;
mod kiosk;
mod learning;
mod maintenance;
mod pins;
mod printer;
mod queue;
mod report;
mod services;
mod site;
mod speech;
#[cfg(test)]
mod test_support;
mod texts;
mod ticket;
mod web;

pub use crate::opening_hours::{OpenPeriod, OpeningHours};
pub use appointments::{Appointments, LatePolicySetting};
pub use desks::Desk;
pub use display::{BacklightSetting, Display};
pub use kiosk::Kiosk;
pub use learning::Learning;
pub use maintenance::Maintenance;
pub use printer::{BAUD_RATES, Printer, SerialPrinterSettings};
pub use queue::QueueSettings;
pub use report::Report;
pub use services::{PICTOGRAMS, Service};
pub use site::{DEFAULT_KIOSK_ID, Site};
pub use speech::{Speech, SpokenGuidance};
pub use texts::DEFAULT_MAX_CHARS;
pub use ticket::TicketSettings;
pub use web::{ApiToken, Web};

use appointments::AppointmentsFile;
use desks::DeskFile;
use display::DisplayFile;
use hours::HoursFile;
use kiosk::KioskFile;
use learning::LearningFile;
use maintenance::MaintenanceFile;
use printer::PrinterFile;
use queue::QueueFile;
use report::ReportFile;
use services::ServiceFile;
use site::SiteFile;
use speech::SpeechFile;
use ticket::TicketFile;
use web::WebFile;

/// The sample configuration for the help point "Digilabo", also the built-in default.
pub const SAMPLE_TOML: &str = include_str!("../../config/loket.toml");

/// The largest configuration file the kiosk reads. A real one is a few kilobytes; the cap keeps
/// a wrong path (`/dev/zero`, a disk image, a log) from filling the memory.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read at all.
    #[error("cannot read config file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// The path is not a plain file (a device such as `/dev/zero`, a FIFO, a folder, a socket).
    #[error("config file {} is {kind}, not a plain file: give the path of the loket.toml file", path.display())]
    NotAFile { path: PathBuf, kind: &'static str },
    /// The file is larger than [`MAX_CONFIG_BYTES`].
    #[error(
        "config file {} is larger than {} KiB: is it the right file? A loket.toml is a few KiB",
        path.display(),
        MAX_CONFIG_BYTES / 1024
    )]
    TooLarge { path: PathBuf },
    /// The file was read but something in it is wrong (the inner error says what).
    #[error("config file {}: {error}", path.display())]
    InFile { path: PathBuf, error: Box<ConfigError> },
    /// Not valid TOML, a key the kiosk does not know, a missing key or a value of the wrong
    /// type. The text is toml's message, naming the line, the column and the key.
    #[error("{0}")]
    Syntax(String),
    /// Well-formed, but a value is not acceptable.
    #[error("{key} = {value}: {reason}")]
    Invalid {
        /// Where in the file, e.g. `service[2].prefix` (0-based, in file order).
        key: String,
        /// The bad value as written in TOML, e.g. `"e1"` or `700`.
        value: String,
        /// What is wrong and what would be right.
        reason: String,
    },
}

impl ConfigError {
    /// The innermost error, looking through [`ConfigError::InFile`].
    pub fn cause(&self) -> &ConfigError {
        match self {
            ConfigError::InFile { error, .. } => error.cause(),
            other => other,
        }
    }
}

fn invalid(key: impl Into<String>, value: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.into(), value: value.into(), reason: reason.into() }
}

/// How many characters of a value an error message shows before it shortens it.
const SHOWN_CHARS: usize = 60;

/// A string as it would be written in TOML, for error messages: control characters escaped,
/// and a long one shortened to its start and its length, e.g. `"AAAA…" (1048576 characters)`.
fn quoted(text: &str) -> String {
    let length = text.chars().count();
    if length <= SHOWN_CHARS + 20 {
        return format!("{text:?}");
    }
    let start: String = text.chars().take(SHOWN_CHARS).collect();
    let start = format!("{start:?}");
    format!("{}…\" ({length} characters)", &start[..start.len() - 1])
}

/// toml's message with every line shortened: it quotes the offending line of the file, which
/// may be a megabyte long.
fn syntax_error(error: &toml::de::Error) -> ConfigError {
    let message = error.to_string();
    let lines: Vec<String> = message
        .lines()
        .map(|line| {
            if line.chars().count() <= 2 * SHOWN_CHARS + 40 {
                line.to_owned()
            } else {
                let start: String = line.chars().take(2 * SHOWN_CHARS).collect();
                format!("{start}… ({} characters)", line.chars().count())
            }
        })
        .collect();
    ConfigError::Syntax(lines.join("\n"))
}

fn quoted_list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<String> = items.iter().map(|s| quoted(s.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

// ------------------------------------------------------------------------------------------
// The validated configuration.

/// The whole, validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub site: Site,
    pub kiosk: Kiosk,
    pub queue: QueueSettings,
    pub printer: Printer,
    pub ticket: TicketSettings,
    pub speech: Speech,
    /// `[speech]`'s spoken guidance on the visitor screens and the voice packs.
    pub spoken_guidance: SpokenGuidance,
    pub web: Web,
    pub hours: OpeningHours,
    pub learning: Learning,
    pub report: Report,
    pub display: Display,
    pub maintenance: Maintenance,
    pub appointments: Appointments,
    /// `[[service]]` tables, in file order (the order of the buttons on the kiosk).
    pub services: Vec<Service>,
    /// `[[desk]]` tables, in file order.
    pub desks: Vec<Desk>,
}

impl Config {
    /// Parses and validates a configuration text.
    /// Every text in it must be one line of plain text within its key's length limit (see
    /// [`texts`]) before the tables judge their values.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| syntax_error(&e))?;
        let table: toml::Table = text.parse().map_err(|e| syntax_error(&e))?;
        texts::check_texts(&table)?;
        file.validate()
    }

    /// Reads, parses and validates the file at `path`; every error names the path. Only a
    /// plain file of at most [`MAX_CONFIG_BYTES`] is read. Relative paths in the file are
    /// relative to the file's folder (see [`Config::relative_to`]), so the kiosk finds its
    /// content pack whatever folder it is started from.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = read_config_file(path)?;
        let config = Config::from_toml(&text)
            .map_err(|error| ConfigError::InFile { path: path.to_path_buf(), error: Box::new(error) })?;
        Ok(config.relative_to(path.parent().unwrap_or(Path::new(""))))
    }

    /// The config with its relative paths joined to `folder`: `kiosk.data_dir`,
    /// `learning.content_dir`, `ticket.logo`, `report.token_file` and `report.ca_bundle`
    /// (`printer.directory` stays relative to `kiosk.data_dir`). Absolute paths are kept.
    pub fn relative_to(mut self, folder: &Path) -> Config {
        let under = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = folder.join(&*path);
            }
        };
        under(&mut self.kiosk.data_dir);
        under(&mut self.learning.content_dir);
        if let Some(logo) = &mut self.ticket.logo {
            under(logo);
        }
        under(&mut self.report.token_file);
        if let Some(ca_bundle) = &mut self.report.ca_bundle {
            under(ca_bundle);
        }
        self
    }

    /// The built-in sample configuration ([`SAMPLE_TOML`]), which a test keeps valid.
    pub fn sample() -> Config {
        match Config::from_toml(SAMPLE_TOML) {
            Ok(config) => config,
            Err(error) => unreachable!("the built-in config/loket.toml is invalid: {error}"),
        }
    }

    /// The service with this id.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    /// The desk with this id.
    pub fn desk(&self, id: &str) -> Option<&Desk> {
        self.desks.iter().find(|d| d.id == id)
    }

    /// Where ticket files go for `kind = "file"`: `printer.directory` under `kiosk.data_dir`
    /// (unless absolute). `None` for a serial printer.
    pub fn ticket_directory(&self) -> Option<PathBuf> {
        match &self.printer {
            Printer::File { directory } => Some(self.kiosk.data_dir.join(directory)),
            Printer::Serial { .. } => None,
        }
    }
}

/// What kind of thing a path that is not a plain file is, for [`ConfigError::NotAFile`].
fn kind_of(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_dir() {
        "a folder"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else if file_type.is_fifo() {
        "a named pipe (FIFO)"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a plain file"
    }
}

/// The text of the config file at `path`: a plain file (a symbolic link to one is fine) of at
/// most [`MAX_CONFIG_BYTES`]. The type is looked at before opening, since opening a FIFO waits
/// for a writer; the file is opened without waiting and looked at again, in case the path
/// changed in between, and never read past the cap.
fn read_config_file(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let read_error = |source| ConfigError::Read { path: path.to_path_buf(), source };
    let not_a_file = |file_type| ConfigError::NotAFile { path: path.to_path_buf(), kind: kind_of(file_type) };
    let metadata = std::fs::metadata(path).map_err(read_error)?;
    if !metadata.is_file() {
        return Err(not_a_file(metadata.file_type()));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(read_error)?;
    let metadata = file.metadata().map_err(read_error)?;
    if !metadata.is_file() {
        return Err(not_a_file(metadata.file_type()));
    }
    if metadata.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge { path: path.to_path_buf() });
    }
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes).map_err(read_error)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge { path: path.to_path_buf() });
    }
    String::from_utf8(bytes).map_err(|_| {
        read_error(std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"))
    })
}

impl FromStr for Config {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Config::from_toml(text)
    }
}

// ------------------------------------------------------------------------------------------
// The file as written: parsed strictly, not yet validated. Numbers are read as i64 so that a
// negative or huge value gets a range message naming the key, not a type error.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfigFile {
    site: SiteFile,
    #[serde(default)]
    kiosk: KioskFile,
    #[serde(default)]
    queue: QueueFile,
    #[serde(default)]
    printer: PrinterFile,
    #[serde(default)]
    ticket: TicketFile,
    #[serde(default)]
    speech: SpeechFile,
    #[serde(default)]
    web: WebFile,
    hours: HoursFile,
    #[serde(default)]
    learning: LearningFile,
    #[serde(default)]
    report: ReportFile,
    #[serde(default)]
    display: DisplayFile,
    #[serde(default)]
    maintenance: MaintenanceFile,
    #[serde(default)]
    appointments: AppointmentsFile,
    #[serde(rename = "service", default)]
    services: Vec<ServiceFile>,
    #[serde(rename = "desk", default)]
    desks: Vec<DeskFile>,
}

// ------------------------------------------------------------------------------------------
// Checks shared by the tables: the first problem found, in file order, is reported.

/// A PHC-format Argon2 hash as `loket hash-pin` makes it.
fn argon2_hash(key: &str, hash: &str) -> Result<String, ConfigError> {
    if !hash.starts_with("$argon2") || hash.split('$').count() < 5 {
        return Err(invalid(
            key,
            quoted(hash),
            "must be an Argon2 hash made with `loket hash-pin` (never the PIN itself)",
        ));
    }
    Ok(hash.to_owned())
}

fn non_empty(key: &str, value: &str, what: &str) -> Result<String, ConfigError> {
    if value.trim().is_empty() {
        return Err(invalid(key, quoted(value), format!("must not be empty: {what}")));
    }
    Ok(value.to_string())
}

fn in_range(key: &str, value: i64, min: u32, max: u32) -> Result<u32, ConfigError> {
    match u32::try_from(value) {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(invalid(key, value.to_string(), format!("must be between {min} and {max}"))),
    }
}

fn is_identifier(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn identifier(key: &str, id: &str) -> Result<String, ConfigError> {
    if !is_identifier(id) {
        return Err(invalid(
            key,
            quoted(id),
            "must be lowercase letters a-z, digits and dashes, e.g. \"email\" or \"desk-1\"",
        ));
    }
    Ok(id.to_string())
}

fn known_codes() -> String {
    languages::all().iter().map(|l| l.code).collect::<Vec<_>>().join(", ")
}

impl ConfigFile {
    pub(super) fn validate(self) -> Result<Config, ConfigError> {
        let site = self.site.validate()?;
        let kiosk = self.kiosk.validate()?;
        let queue = self.queue.validate()?;
        let printer = self.printer.validate()?;
        let ticket = self.ticket.validate()?;
        let (speech, spoken_guidance) = self.speech.validate()?;
        let web = self.web.validate()?;
        let hours = self.hours.validate()?;
        let learning = self.learning.validate()?;
        let display = self.display.validate()?;
        let maintenance = self.maintenance.validate()?;
        let appointments = self.appointments.validate()?;

        if self.services.is_empty() {
            return Err(invalid("service", "(none)", "add at least one [[service]] table"));
        }
        let mut services: Vec<Service> = Vec::with_capacity(self.services.len());
        for (index, service) in self.services.into_iter().enumerate() {
            let service = service.validate(index, &site)?;
            if services.iter().any(|s| s.id == service.id) {
                return Err(invalid(
                    format!("service[{index}].id"),
                    quoted(&service.id),
                    "another service already has this id",
                ));
            }
            if services.iter().any(|s| s.prefix == service.prefix) {
                return Err(invalid(
                    format!("service[{index}].prefix"),
                    quoted(&service.prefix),
                    "another service already uses this prefix",
                ));
            }
            services.push(service);
        }

        if self.desks.is_empty() {
            return Err(invalid("desk", "(none)", "add at least one [[desk]] table"));
        }
        let mut desks: Vec<Desk> = Vec::with_capacity(self.desks.len());
        for (index, desk) in self.desks.into_iter().enumerate() {
            let desk = desk.validate(index, &services)?;
            if desks.iter().any(|d| d.id == desk.id) {
                return Err(invalid(
                    format!("desk[{index}].id"),
                    quoted(&desk.id),
                    "another desk already has this id",
                ));
            }
            desks.push(desk);
        }

        for (index, service) in services.iter().enumerate() {
            if !desks.iter().any(|d| d.serves(&service.id)) {
                return Err(invalid(
                    format!("service[{index}].id"),
                    quoted(&service.id),
                    "no desk serves this service; add it to the services of a [[desk]]",
                ));
            }
        }

        pins::check_pins(&printer, &desks)?;

        let report = self.report.validate()?;
        Ok(Config {
            site,
            kiosk,
            queue,
            printer,
            ticket,
            speech,
            spoken_guidance,
            web,
            hours,
            learning,
            report,
            display,
            maintenance,
            appointments,
            services,
            desks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use jiff::civil::Time;
    use std::time::Duration;

    #[test]
    fn sample_parses_and_validates() {
        let config = Config::from_toml(SAMPLE_TOML).unwrap();
        assert_eq!(config, Config::sample());
        assert_eq!(config.site.name, "Digilabo");
        assert_eq!(config.site.timezone.iana_name(), Some("Europe/Brussels"));
        assert_eq!(config.site.local_language, "nl");
        assert_eq!(config.services.len(), 6);
        assert_eq!(config.desks.len(), 2);
        assert_eq!(config.printer, Printer::default());
        assert_eq!(config.web.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.ticket_directory(), Some(PathBuf::from("loket-data/tickets")));
        let prefixes: Vec<&str> = config.services.iter().map(|s| s.prefix.as_str()).collect();
        assert_eq!(prefixes, ["E", "A", "S", "T", "L", "V"]);
        for service in &config.services {
            for lang in ["nl", "en", "fr", "ar"] {
                assert!(service.names.contains_key(lang), "{} lacks {lang}", service.id);
            }
        }
        assert!(config.hours.saturday.is_empty() && config.hours.sunday.is_empty());
        assert_eq!(config.hours.monday.len(), 2, "Monday has a lunch break");
    }

    #[test]
    fn good_test_config_is_valid() {
        let config: Config = GOOD.parse().unwrap();
        assert_eq!(config.kiosk.idle_timeout(), Duration::from_secs(45));
        assert_eq!(config.queue.default_service_time(), Duration::from_secs(8 * 60));
        let languages: Vec<&str> = config.site.offered_languages().map(|l| l.code).collect();
        assert_eq!(languages, ["nl", "en", "ar"]);
        assert_eq!(config.service("tablet").unwrap().prefix, "T");
        assert!(config.service("nope").is_none());
        assert_eq!(config.desk("desk-1").unwrap().name, "Balie 1");
        assert!(config.desk("desk-9").is_none());
    }

    #[test]
    fn optional_tables_take_the_sample_defaults() {
        let minimal = r#"
[site]
name = "Mini"
timezone = "UTC"
languages = ["en"]
local_language = "en"
[hours]
[[service]]
id = "q"
prefix = "Q"
pictogram = "question"
names = { en = "Question" }
[[desk]]
id = "d"
name = "Desk"
services = ["q"]
"#;
        let config: Config = minimal.parse().unwrap();
        assert_eq!(config.kiosk.data_dir, PathBuf::from("loket-data"));
        assert_eq!(config.kiosk.now_serving_count, 3);
        assert_eq!(config.queue.recent_services, 20);
        assert_eq!(config.printer, Printer::default());
        assert_eq!(config.web.listen.port(), 8080);
        assert_eq!(config.hours, OpeningHours::default());
    }

    #[test]
    fn load_names_the_path() {
        let path = Path::new("/nonexistent/loket-test/loket.toml");
        let message = Config::load(path).unwrap_err().to_string();
        assert_names(&message, &["/nonexistent/loket-test/loket.toml", "cannot read"]);
    }

    #[test]
    fn load_reads_a_file_and_names_it_in_validation_errors() {
        let dir = std::env::temp_dir().join(format!("loket-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(&good, SAMPLE_TOML).unwrap();
        assert_eq!(Config::load(&good).unwrap(), Config::sample().relative_to(&dir));
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, good_with("\"Europe/Brussels\"", "\"Mars/Olympus\"")).unwrap();
        let error = Config::load(&bad).unwrap_err();
        assert!(matches!(error.cause(), ConfigError::Invalid { key, .. } if key == "site.timezone"));
        assert_names(&error.to_string(), &["bad.toml", "site.timezone", "Mars/Olympus"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_device_is_refused_without_reading_it() {
        // `/dev/zero` never ends: reading it whole would fill the memory.
        let error = Config::load(Path::new("/dev/zero")).unwrap_err();
        assert!(matches!(error, ConfigError::NotAFile { kind: "a device", .. }), "{error:?}");
        assert_names(&error.to_string(), &["/dev/zero", "a device", "not a plain file"]);
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("loket.toml");
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
        let message = Config::load(&fifo).unwrap_err().to_string();
        assert_names(&message, &[&fifo.display().to_string(), "named pipe", "not a plain file"]);
        let message = Config::load(dir.path()).unwrap_err().to_string();
        assert_names(&message, &["a folder", "not a plain file"]);
    }

    #[test]
    fn a_file_over_the_cap_is_refused_and_one_at_the_cap_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.toml");
        // The sample padded with a comment to exactly the cap: read (and valid).
        let padding = MAX_CONFIG_BYTES as usize - SAMPLE_TOML.len() - 2;
        std::fs::write(&path, format!("{SAMPLE_TOML}#{}\n", "x".repeat(padding))).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), MAX_CONFIG_BYTES);
        assert_eq!(Config::load(&path).unwrap().site.name, "Digilabo");
        std::fs::write(&path, format!("{SAMPLE_TOML}#{}\n", "x".repeat(padding + 1))).unwrap();
        let error = Config::load(&path).unwrap_err();
        assert!(matches!(error, ConfigError::TooLarge { .. }), "{error:?}");
        assert_names(&error.to_string(), &[&path.display().to_string(), "larger than 1024 KiB"]);
    }

    #[test]
    fn a_symbolic_link_to_a_config_file_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("real.toml");
        std::fs::write(&path, SAMPLE_TOML).unwrap();
        let link = dir.path().join("loket.toml");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert_eq!(Config::load(&link).unwrap().site.name, "Digilabo");
    }

    #[test]
    fn a_syntax_error_on_a_megabyte_line_is_shown_shortened() {
        let text = format!("{GOOD}\nbroken = {}\n", "z".repeat(1 << 20));
        let message = error(&text);
        assert_names(&message, &["line", "characters)"]);
        assert!(message.len() < 2000, "{} bytes", message.len());
    }

    #[test]
    fn quoted_values_are_escaped_and_long_ones_shortened() {
        assert_eq!(quoted("Balie\u{0}1"), "\"Balie\\01\"");
        let long = "é".repeat(100);
        assert_eq!(quoted(&long), format!("\"{}…\" (100 characters)", "é".repeat(SHOWN_CHARS)));
        assert_eq!(quoted(&"a".repeat(80)), format!("\"{}\"", "a".repeat(80)), "80 are shown whole");
    }

    /// `text` without the table that starts at the line `header` (up to the next table).
    fn without_table(text: &str, header: &str) -> String {
        let mut out = Vec::new();
        let mut inside = false;
        for line in text.lines() {
            if line.starts_with('[') {
                inside = line == header;
            }
            if !inside {
                out.push(line);
            }
        }
        out.join("\n")
    }

    #[test]
    fn the_sample_shows_the_defaults_of_the_tables_that_may_be_left_out() {
        // The defaults are written once, in code; config/loket.toml restates them for the reader.
        let sample = Config::sample();
        let left_out = |header: &str| {
            let text = without_table(SAMPLE_TOML, header);
            assert!(!text.contains(&format!("\n{header}\n")), "test bug: {header} still there");
            Config::from_toml(&text).unwrap()
        };
        assert_eq!(left_out("[kiosk]").kiosk, sample.kiosk);
        let queue = left_out("[queue]").queue;
        assert_eq!(
            (queue.default_service_minutes, queue.recent_services),
            (sample.queue.default_service_minutes, sample.queue.recent_services)
        );
        assert!(queue.outcomes.is_empty(), "outcomes are the sample's own, none by default");
        assert_eq!(left_out("[printer]").printer, sample.printer);
        assert_eq!(left_out("[speech]").speech, sample.speech);
        assert_eq!(left_out("[web]").web, sample.web);
        assert_eq!(left_out("[display]").display, sample.display);
        assert_eq!(left_out("[maintenance]").maintenance, sample.maintenance);
        assert_eq!(left_out("[report]").report, sample.report);
        assert_eq!(
            left_out("[appointments]").appointments,
            Appointments { enabled: false, ..sample.appointments.clone() },
            "the sample turns appointments on"
        );
        assert!(sample.appointments.enabled);
        let learning = without_table(&without_table(SAMPLE_TOML, "[learning]"), "[[learning.referral]]");
        assert_eq!(Config::from_toml(&learning).unwrap().learning, sample.learning);
    }

    #[test]
    fn relative_paths_in_a_file_are_relative_to_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.toml");
        let text = SAMPLE_TOML
            .replace("logo = \"\"", "logo = \"logo.png\"")
            .replace("# ca_bundle = \"/etc/loket/central-ca.pem\"", "ca_bundle = \"ca/central.pem\"");
        std::fs::write(&path, text).unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.kiosk.data_dir, dir.path().join("loket-data"));
        assert_eq!(config.learning.content_dir, dir.path().join("content"));
        assert_eq!(config.ticket.logo, Some(dir.path().join("logo.png")));
        assert_eq!(config.report.ca_bundle, Some(dir.path().join("ca/central.pem")));
        assert_eq!(config.report.token_file, PathBuf::from("/etc/loket/central-token"), "absolute: kept");
        assert_eq!(config.ticket_directory(), Some(dir.path().join("loket-data/tickets")));
        let here = Config::load(Path::new("config/loket.toml")).unwrap();
        assert_eq!(
            here.learning.content_dir,
            PathBuf::from("config/content"),
            "a relative file stays relative"
        );
        assert_eq!(
            Config::sample().learning.content_dir,
            PathBuf::from("content"),
            "the text alone: as written"
        );
    }

    #[test]
    fn invalid_is_displayed_as_key_value_reason() {
        let message = error(&good_with("prefix = \"T\"", "prefix = \"e1\""));
        assert_eq!(message, "service[1].prefix = \"e1\": must be 1 or 2 capital letters A-Z");
    }

    #[test]
    fn unknown_top_level_key() {
        let message = error(&format!("colour = \"red\"\n{GOOD}"));
        assert_names(&message, &["colour", "unknown field"]);
    }

    #[test]
    fn missing_key() {
        let message = error(&good_with("local_language = \"nl\"\n", ""));
        assert_names(&message, &["local_language", "missing"]);
    }

    #[test]
    fn bad_toml_syntax() {
        let message = error(&good_with("[queue]", "[queue"));
        assert_names(&message, &["line"]);
    }

    #[test]
    fn outcomes_and_api_tokens_are_checked() {
        let with = |table: &str| format!("{GOOD}\n{table}\n");
        let outcomes = |list: &str| {
            good_with("recent_services = 20", &format!("recent_services = 20\noutcomes = {list}"))
        };
        let config: Config = outcomes("[\"Geholpen\", \"Doorverwezen\"]").parse().unwrap();
        assert_eq!(config.queue.outcomes, ["Geholpen", "Doorverwezen"]);
        assert_names(&error(&outcomes("[\"A\", \"A\"]")), &["queue.outcomes[1] = \"A\""]);
        let token = "[[web.api_token]]\nname = \"tweede kiosk\"\ntoken_hash = \"$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA\"";
        let config: Config = with(token).parse().unwrap();
        assert_eq!(config.web.api_tokens[0].name, "tweede kiosk");
        let bad = token.replace("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA", "secret");
        assert_names(&error(&with(&bad)), &["web.api_token[0].token_hash = \"secret\""]);
    }

    #[test]
    fn display_and_maintenance_default_when_left_out() {
        let config = Config::sample();
        assert_eq!(config.display.dark_after(), Some(Duration::from_secs(600)));
        assert_eq!(config.display.backlight, BacklightSetting::Auto);
        assert_eq!(config.maintenance.nightly_at, Time::constant(3, 0, 0, 0));
        assert_eq!(config.maintenance.retention_days, 90);
    }
}
