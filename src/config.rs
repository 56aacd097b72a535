//! The kiosk's one configuration file (TOML): its typed form [`Config`], strict parsing (every
//! table rejects unknown keys) and validation whose messages name the key and the bad value,
//! e.g. `service[2].prefix = "e1": must be 1 or 2 capital letters A-Z`. Parsing comes first,
//! validation second; once a `Config` exists it is valid. This module must not act on the
//! configuration (open printers, create directories, start servers) nor read any file other
//! than the one it is asked to load; the sample `config/loket.toml` is built in.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use jiff::civil::{DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::languages;
use crate::screening::ReferralRule;

/// The sample configuration for the help point "Digilabo", also the built-in default.
pub const SAMPLE_TOML: &str = include_str!("../config/loket.toml");

/// The pictograms a service can show on its button, by name.
pub const PICTOGRAMS: &[&str] = &[
    "email",
    "appointment",
    "smartphone",
    "tablet",
    "online-lesson",
    "question",
    "printer",
    "id-card",
    "wifi",
    "password",
];

/// Serial speeds a thermal printer can be set to.
pub const BAUD_RATES: &[u32] = &[9600, 19200, 38400, 57600, 115200];

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read at all.
    #[error("cannot read config file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
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

/// A string as it would be written in TOML, for error messages.
fn quoted(text: &str) -> String {
    format!("{text:?}")
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
    pub web: Web,
    pub hours: OpeningHours,
    pub learning: Learning,
    pub report: Report,
    pub display: Display,
    pub maintenance: Maintenance,
    /// `[[service]]` tables, in file order (the order of the buttons on the kiosk).
    pub services: Vec<Service>,
    /// `[[desk]]` tables, in file order.
    pub desks: Vec<Desk>,
}

/// `[site]`: the help point itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Name shown on screen and printed on tickets.
    pub name: String,
    /// The help point's time zone (from `site.timezone`, an IANA name).
    pub timezone: TimeZone,
    /// Language codes offered at the kiosk, in this order; each is in [`languages::all`].
    pub languages: Vec<String>,
    /// The staff's language (one of `languages`), printed beside the visitor's.
    pub local_language: String,
    /// This kiosk's name towards the central system (`[a-z0-9-]`, e.g. `digilabo-onthaal-1`);
    /// it goes into every reported statement.
    pub kiosk_id: String,
}

impl Site {
    /// The offered languages with their built-in facts, in the configured order.
    pub fn offered_languages(&self) -> impl Iterator<Item = &'static languages::LanguageInfo> + '_ {
        self.languages.iter().filter_map(|code| languages::language(code))
    }
}

/// `[kiosk]`: timings and screen settings of the touchscreen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    /// On a choice screen with no touch for this long, ask "are you still there?".
    pub idle_timeout_seconds: u32,
    /// How long that question (with its countdown) stays before going back to welcome.
    pub countdown_seconds: u32,
    /// How long the ticket stays on screen.
    pub ticket_screen_seconds: u32,
    /// How often the welcome greeting changes language.
    pub greeting_seconds: u32,
    /// Where the SQLite store and printed-ticket files live (relative to the working directory
    /// unless absolute).
    pub data_dir: PathBuf,
    /// How many calls the "now serving" strip shows.
    pub now_serving_count: u32,
}

impl Kiosk {
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_seconds.into())
    }
    pub fn countdown(&self) -> Duration {
        Duration::from_secs(self.countdown_seconds.into())
    }
    pub fn ticket_screen_time(&self) -> Duration {
        Duration::from_secs(self.ticket_screen_seconds.into())
    }
    pub fn greeting_interval(&self) -> Duration {
        Duration::from_secs(self.greeting_seconds.into())
    }
}

/// `[learning]`: the tutorials and the digital-skills screening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learning {
    /// The content pack's folder (relative to the working directory unless absolute).
    pub content_dir: PathBuf,
    /// In a tutorial or the screening with no touch for this long, ask "are you still there?".
    pub idle_timeout_seconds: u32,
    /// An exercise done without hints counts as done "on their own" with at most this many
    /// wrong taps (more: "with help").
    pub on_own_max_wrong_taps: u32,
    /// The base of the xAPI ids (activities, extensions, the result-code account), an http(s)
    /// URL without a trailing slash.
    pub xapi_base: String,
    /// `[[learning.referral]]`: the first rule that matches a screening result is suggested;
    /// the last rule has no conditions.
    pub referral: Vec<ReferralRule>,
}

impl Learning {
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_seconds.into())
    }
}

impl Default for Learning {
    /// The values `[learning]` takes when the table is left out (as in the sample config).
    fn default() -> Self {
        match LearningFile::default().validate() {
            Ok(learning) => learning,
            Err(error) => unreachable!("the default [learning] is invalid: {error}"),
        }
    }
}

/// `[queue]`: how waiting times are estimated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    /// Assumed service time (minutes) before there is any history.
    pub default_service_minutes: u32,
    /// How many recent service times the estimate learns from.
    pub recent_services: u32,
    /// Outcomes a desk may give when it marks a visitor served (optional, for the figures).
    pub outcomes: Vec<String>,
}

impl QueueSettings {
    pub fn default_service_time(&self) -> Duration {
        Duration::from_secs(u64::from(self.default_service_minutes) * 60)
    }
}

/// `[printer]`: where tickets are printed, chosen by `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Printer {
    /// Simulated: ESC/POS bytes into a file plus a PNG preview, in `directory` (relative to
    /// `kiosk.data_dir` unless absolute; see [`Config::ticket_directory`]).
    File { directory: PathBuf },
    /// A thermal printer on a serial port.
    Serial(SerialPrinterSettings),
}

/// `[printer]` with `kind = "serial"`: the port, and the model the pacing follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialPrinterSettings {
    /// The serial port, e.g. `/dev/serial0` (the Pi's GPIO14/15 UART).
    pub device: PathBuf,
    pub baud: u32,
    /// BCM number of the GPIO wired (level-shifted) to the printer's busy/DTR line, if any.
    /// With it, Loket follows the line instead of the timing model.
    pub busy_gpio: Option<u8>,
    /// True when the printer's TX is wired (level-shifted) to the Pi's RX: Loket then asks the
    /// printer for paper before each ticket.
    pub status: bool,
    /// Microseconds to print one dot row (Adafruit's conservative default: 30000).
    pub dot_print_us: u32,
    /// Microseconds to feed one dot row (default 2100).
    pub dot_feed_us: u32,
    /// The printer's receive buffer in bytes (default 256).
    pub buffer_bytes: u32,
}

impl Default for SerialPrinterSettings {
    /// The values `[printer]` takes for `kind = "serial"` when only the kind is given.
    fn default() -> Self {
        SerialPrinterSettings {
            device: PathBuf::from("/dev/serial0"),
            baud: 19_200,
            busy_gpio: None,
            status: false,
            dot_print_us: 30_000,
            dot_feed_us: 2_100,
            buffer_bytes: 256,
        }
    }
}

/// `[speech]`: how calls are announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Speech {
    /// Spoken with espeak-ng (Debian package `espeak-ng`), in the local language and then in
    /// the visitor's; languages without an espeak-ng voice are skipped.
    #[default]
    EspeakNg,
    /// Nothing is said; what would be said is logged (tests, silent sites).
    Simulated,
}

/// `[ticket]`: what the printed ticket carries besides the number.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketSettings {
    /// A line at the bottom of every ticket (empty: none).
    pub footer: String,
    /// A QR code on the ticket: a URL template where `{code}` becomes the ticket code
    /// (empty: no QR).
    pub qr_url: String,
    /// Use the printer's own QR command (`GS ( k`) instead of printing the QR as an image.
    /// Many CSN-A2 units lack it: test with `loket print-test` first.
    pub native_qr: bool,
    /// The printer has a cutter (the CSN-A2 has a tear bar: false).
    pub cutter: bool,
    /// A PNG logo printed on top instead of the site name (at most 384×200 pixels); relative
    /// paths are relative to the working directory.
    pub logo: Option<PathBuf>,
}

impl TicketSettings {
    /// The QR URL for a ticket code, if a QR is configured.
    pub fn qr_url_for(&self, code: &str) -> Option<String> {
        (!self.qr_url.is_empty()).then(|| self.qr_url.replace("{code}", code))
    }
}

impl Default for Printer {
    fn default() -> Self {
        Printer::File { directory: PathBuf::from("tickets") }
    }
}

/// `[web]`: the staff web page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Web {
    /// Address and port the staff web server listens on.
    pub listen: SocketAddr,
    /// Machine clients (a second kiosk, another system) allowed to use the API with a token.
    pub api_tokens: Vec<ApiToken>,
    /// The console is reached over HTTPS (through a reverse proxy): session cookies get the
    /// `Secure` flag, so a browser never sends them over plain HTTP.
    pub https: bool,
}

/// `[[web.api_token]]`: a machine client and the Argon2 hash of its token (`loket hash-pin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub name: String,
    pub token_hash: String,
}

/// One opening period of a day, e.g. `09:00-12:30`: open from `opens` (included) until
/// `closes` (excluded), local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpenPeriod {
    pub opens: Time,
    pub closes: Time,
}

impl OpenPeriod {
    /// Whether `time` falls in this period.
    pub fn contains(&self, time: Time) -> bool {
        self.opens <= time && time < self.closes
    }
}

impl std::fmt::Display for OpenPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.opens.hour(),
            self.opens.minute(),
            self.closes.hour(),
            self.closes.minute()
        )
    }
}

impl FromStr for OpenPeriod {
    /// What is wrong, in words (the caller adds the key and value).
    type Err = String;

    /// Parses `"HH:MM-HH:MM"` (spaces around the dash allowed); opening must be before closing.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const FORM: &str = "must look like \"09:00-12:30\" (HH:MM-HH:MM, 24-hour clock)";
        let (opens, closes) = text.split_once('-').ok_or(FORM)?;
        let opens = parse_clock(opens.trim()).ok_or(FORM)?;
        let closes = parse_clock(closes.trim()).ok_or(FORM)?;
        if opens >= closes {
            return Err("the opening time must be before the closing time".into());
        }
        Ok(OpenPeriod { opens, closes })
    }
}

/// `"HH:MM"` (or `"H:MM"`), 00:00 to 23:59.
fn parse_clock(text: &str) -> Option<Time> {
    let (hour, minute) = text.split_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(hour) || hour.len() > 2 || !digits(minute) || minute.len() != 2 {
        return None;
    }
    let hour: i8 = hour.parse().ok()?;
    let minute: i8 = minute.parse().ok()?;
    Time::new(hour, minute, 0, 0).ok()
}

/// `[hours]`: opening hours in local time, per weekday. A day without periods is closed.
/// Each day's periods are sorted and do not overlap.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpeningHours {
    pub monday: Vec<OpenPeriod>,
    pub tuesday: Vec<OpenPeriod>,
    pub wednesday: Vec<OpenPeriod>,
    pub thursday: Vec<OpenPeriod>,
    pub friday: Vec<OpenPeriod>,
    pub saturday: Vec<OpenPeriod>,
    pub sunday: Vec<OpenPeriod>,
}

impl OpeningHours {
    /// Open every day around the clock (trying the kiosk out of hours: `loket run --always-open`).
    pub fn always_open() -> OpeningHours {
        let day = vec![OpenPeriod { opens: Time::MIN, closes: Time::MAX }];
        OpeningHours {
            monday: day.clone(),
            tuesday: day.clone(),
            wednesday: day.clone(),
            thursday: day.clone(),
            friday: day.clone(),
            saturday: day.clone(),
            sunday: day,
        }
    }

    /// The opening periods on that weekday (empty when closed all day).
    pub fn on(&self, day: Weekday) -> &[OpenPeriod] {
        match day {
            Weekday::Monday => &self.monday,
            Weekday::Tuesday => &self.tuesday,
            Weekday::Wednesday => &self.wednesday,
            Weekday::Thursday => &self.thursday,
            Weekday::Friday => &self.friday,
            Weekday::Saturday => &self.saturday,
            Weekday::Sunday => &self.sunday,
        }
    }

    /// Whether the help point is open at this local date and time.
    pub fn is_open(&self, at: DateTime) -> bool {
        let time = at.time();
        self.on(at.weekday()).iter().any(|p| p.contains(time))
    }

    /// The first moment strictly after `after` at which an opening period starts, looking at
    /// most 7 days ahead (so the same weekday next week counts). `None` when the help point
    /// never opens.
    pub fn next_opening(&self, after: DateTime) -> Option<DateTime> {
        let start = after.date();
        for offset in 0..=7i64 {
            let Ok(date) = start.checked_add(jiff::Span::new().days(offset)) else {
                return None;
            };
            let found = self
                .on(date.weekday())
                .iter()
                .map(|p| date.to_datetime(p.opens))
                .find(|&opening| opening > after);
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// One `[[service]]`: a kind of help a visitor can take a ticket for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Stable identifier, `[a-z0-9-]+`, unique.
    pub id: String,
    /// Ticket-number letters (1-2 capitals), unique, e.g. `E` for ticket E12.
    pub prefix: String,
    /// One of [`PICTOGRAMS`].
    pub pictogram: String,
    /// Name per language code; always has `"en"` and the site's local language.
    pub names: BTreeMap<String, String>,
}

impl Service {
    /// The name in `lang`, falling back to English.
    pub fn name(&self, lang: &str) -> &str {
        self.names.get(lang).or_else(|| self.names.get("en")).map_or(self.id.as_str(), String::as_str)
    }
}

/// One `[[desk]]`: a place where staff call tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desk {
    /// Stable identifier, `[a-z0-9-]+`, unique.
    pub id: String,
    /// What is written on the physical desk sign, e.g. "Balie 1".
    pub name: String,
    /// Ids of the services handled at this desk.
    pub services: Vec<String>,
    /// Argon2 hash of the desk's PIN for the staff console (`loket hash-pin`); without one
    /// the desk cannot sign in.
    pub pin_hash: Option<String>,
    /// BCM GPIO of the desk's "call next" button (to GND; internal pull-up), if wired.
    pub button_gpio: Option<u8>,
    /// BCM GPIO of the desk's lamp, lit while it serves a visitor, if wired.
    pub led_gpio: Option<u8>,
}

impl Desk {
    /// Whether this desk handles the service with that id.
    pub fn serves(&self, service_id: &str) -> bool {
        self.services.iter().any(|s| s == service_id)
    }
}

impl Config {
    /// Parses and validates a configuration text.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        file.validate()
    }

    /// Reads, parses and validates the file at `path`; every error names the path.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Config::from_toml(&text)
            .map_err(|error| ConfigError::InFile { path: path.to_path_buf(), error: Box::new(error) })
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
struct ConfigFile {
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
    #[serde(rename = "service", default)]
    services: Vec<ServiceFile>,
    #[serde(rename = "desk", default)]
    desks: Vec<DeskFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteFile {
    name: String,
    timezone: String,
    languages: Vec<String>,
    local_language: String,
    #[serde(default = "default_kiosk_id")]
    kiosk_id: String,
}

/// `site.kiosk_id` when the config does not name the kiosk.
pub const DEFAULT_KIOSK_ID: &str = "loket-1";

fn default_kiosk_id() -> String {
    DEFAULT_KIOSK_ID.into()
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct LearningFile {
    content_dir: String,
    idle_timeout_seconds: i64,
    on_own_max_wrong_taps: i64,
    xapi_base: String,
    referral: Vec<ReferralFile>,
}

impl Default for LearningFile {
    fn default() -> Self {
        let rule = |outcome: &str, label: &str| ReferralFile {
            outcome: outcome.into(),
            label: label.into(),
            on_own: Vec::new(),
            at_least_with_help: Vec::new(),
            not_yet: Vec::new(),
            not_yet_at_most: None,
            not_yet_at_least: None,
        };
        let strings = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>();
        LearningFile {
            content_dir: "content".into(),
            idle_timeout_seconds: 120,
            on_own_max_wrong_taps: 1,
            xapi_base: "https://loket.invalid/xapi".into(),
            referral: vec![
                ReferralFile {
                    on_own: strings(&["x01-touch-warmup", "x04-mail-reply", "x05-video-call"]),
                    ..rule("online-lessons", "Kan online lessen volgen")
                },
                ReferralFile {
                    at_least_with_help: strings(&["x01-touch-warmup", "x02-find-the-app"]),
                    not_yet_at_most: Some(2),
                    ..rule("group-session", "Digisessie in groep (Meet/Zoom en e-mail)")
                },
                rule(
                    "one-to-one",
                    "Eén-op-één begeleiding in het Digilabo (vraag of er een toestel thuis is: leentablet)",
                ),
            ],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferralFile {
    outcome: String,
    label: String,
    #[serde(default)]
    on_own: Vec<String>,
    #[serde(default)]
    at_least_with_help: Vec<String>,
    #[serde(default)]
    not_yet: Vec<String>,
    #[serde(default)]
    not_yet_at_most: Option<i64>,
    #[serde(default)]
    not_yet_at_least: Option<i64>,
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct KioskFile {
    idle_timeout_seconds: i64,
    countdown_seconds: i64,
    ticket_screen_seconds: i64,
    greeting_seconds: i64,
    data_dir: String,
    now_serving_count: i64,
}

impl Default for KioskFile {
    fn default() -> Self {
        KioskFile {
            idle_timeout_seconds: 45,
            countdown_seconds: 10,
            ticket_screen_seconds: 20,
            greeting_seconds: 3,
            data_dir: "loket-data".into(),
            now_serving_count: 3,
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct QueueFile {
    default_service_minutes: i64,
    recent_services: i64,
    outcomes: Vec<String>,
}

impl Default for QueueFile {
    fn default() -> Self {
        QueueFile { default_service_minutes: 8, recent_services: 20, outcomes: Vec::new() }
    }
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
enum PrinterFile {
    File {
        #[serde(default = "default_ticket_directory")]
        directory: String,
    },
    Serial {
        #[serde(default = "default_serial_device")]
        device: String,
        #[serde(default = "default_baud")]
        baud: i64,
        #[serde(default)]
        busy_gpio: Option<i64>,
        #[serde(default)]
        status: bool,
        #[serde(default = "default_dot_print_us")]
        dot_print_us: i64,
        #[serde(default = "default_dot_feed_us")]
        dot_feed_us: i64,
        #[serde(default = "default_buffer_bytes")]
        buffer_bytes: i64,
    },
}

fn default_dot_print_us() -> i64 {
    30_000
}
fn default_dot_feed_us() -> i64 {
    2_100
}
fn default_buffer_bytes() -> i64 {
    256
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct SpeechFile {
    engine: String,
}

impl Default for SpeechFile {
    fn default() -> Self {
        SpeechFile { engine: "espeak-ng".into() }
    }
}

impl SpeechFile {
    fn validate(self) -> Result<Speech, ConfigError> {
        match self.engine.as_str() {
            "espeak-ng" => Ok(Speech::EspeakNg),
            "simulated" => Ok(Speech::Simulated),
            _ => {
                Err(invalid("speech.engine", quoted(&self.engine), "must be \"espeak-ng\" or \"simulated\""))
            }
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct TicketFile {
    footer: String,
    qr_url: String,
    native_qr: bool,
    cutter: bool,
    logo: String,
}

impl TicketFile {
    fn validate(self) -> Result<TicketSettings, ConfigError> {
        if !self.qr_url.is_empty() {
            if !(self.qr_url.starts_with("https://") || self.qr_url.starts_with("http://")) {
                return Err(invalid(
                    "ticket.qr_url",
                    quoted(&self.qr_url),
                    "must start with https:// or http://",
                ));
            }
            if !self.qr_url.contains("{code}") {
                return Err(invalid(
                    "ticket.qr_url",
                    quoted(&self.qr_url),
                    "must contain {code}, which becomes the ticket code",
                ));
            }
            if self.qr_url.len() > 200 {
                return Err(invalid("ticket.qr_url", quoted(&self.qr_url), "must be at most 200 characters"));
            }
        }
        if self.footer.chars().count() > 200 || self.footer.chars().any(char::is_control) {
            return Err(invalid(
                "ticket.footer",
                quoted(&self.footer),
                "must be one line of at most 200 characters",
            ));
        }
        let logo = (!self.logo.trim().is_empty()).then(|| PathBuf::from(self.logo.trim()));
        Ok(TicketSettings {
            footer: self.footer,
            qr_url: self.qr_url,
            native_qr: self.native_qr,
            cutter: self.cutter,
            logo,
        })
    }
}

fn default_ticket_directory() -> String {
    "tickets".into()
}
fn default_serial_device() -> String {
    "/dev/serial0".into()
}
fn default_baud() -> i64 {
    19200
}

impl Default for PrinterFile {
    fn default() -> Self {
        PrinterFile::File { directory: default_ticket_directory() }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct WebFile {
    listen: String,
    https: bool,
    #[serde(rename = "api_token")]
    api_tokens: Vec<ApiTokenFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiTokenFile {
    name: String,
    token_hash: String,
}

impl Default for WebFile {
    fn default() -> Self {
        WebFile { listen: "127.0.0.1:8080".into(), https: false, api_tokens: Vec::new() }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoursFile {
    #[serde(default)]
    monday: Vec<String>,
    #[serde(default)]
    tuesday: Vec<String>,
    #[serde(default)]
    wednesday: Vec<String>,
    #[serde(default)]
    thursday: Vec<String>,
    #[serde(default)]
    friday: Vec<String>,
    #[serde(default)]
    saturday: Vec<String>,
    #[serde(default)]
    sunday: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceFile {
    id: String,
    prefix: String,
    pictogram: String,
    names: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeskFile {
    id: String,
    name: String,
    services: Vec<String>,
    #[serde(default)]
    pin_hash: Option<String>,
    #[serde(default)]
    button_gpio: Option<i64>,
    #[serde(default)]
    led_gpio: Option<i64>,
}

/// A BCM GPIO number free for buttons, lamps and the busy line: 2..=27 without the UART's 14/15.
fn gpio_pin(key: &str, pin: i64) -> Result<u8, ConfigError> {
    let p = u8::try_from(pin).ok().filter(|p| (2..=27).contains(p));
    match p {
        Some(14 | 15) => Err(invalid(key, pin.to_string(), "GPIO14 and GPIO15 are the printer's UART")),
        Some(p) => Ok(p),
        None => Err(invalid(key, pin.to_string(), "must be a BCM GPIO number from 2 to 27")),
    }
}

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

// ------------------------------------------------------------------------------------------
// Validation: the first problem found, in file order, is reported.

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
    fn validate(self) -> Result<Config, ConfigError> {
        let site = self.site.validate()?;
        let kiosk = self.kiosk.validate()?;
        let queue = self.queue.validate()?;
        let printer = self.printer.validate()?;
        let ticket = self.ticket.validate()?;
        let speech = self.speech.validate()?;
        let web = self.web.validate()?;
        let hours = self.hours.validate()?;
        let learning = self.learning.validate()?;
        let display = self.display.validate()?;
        let maintenance = self.maintenance.validate()?;

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

        let report = self.report.validate()?;
        Ok(Config {
            site,
            kiosk,
            queue,
            printer,
            ticket,
            speech,
            web,
            hours,
            learning,
            report,
            display,
            maintenance,
            services,
            desks,
        })
    }
}

impl SiteFile {
    fn validate(self) -> Result<Site, ConfigError> {
        let name = non_empty("site.name", &self.name, "the help point's name")?;
        let timezone = TimeZone::get(&self.timezone).map_err(|_| {
            invalid(
                "site.timezone",
                quoted(&self.timezone),
                "not a known IANA time zone name, e.g. \"Europe/Brussels\"",
            )
        })?;
        if self.languages.is_empty() {
            return Err(invalid(
                "site.languages",
                "[]",
                "offer at least one language, e.g. [\"nl\", \"en\"]",
            ));
        }
        for (index, code) in self.languages.iter().enumerate() {
            let key = format!("site.languages[{index}]");
            if languages::language(code).is_none() {
                return Err(invalid(
                    key,
                    quoted(code),
                    format!("not a language Loket knows; known codes: {}", known_codes()),
                ));
            }
            if self.languages[..index].contains(code) {
                return Err(invalid(key, quoted(code), "listed twice"));
            }
        }
        if !self.languages.contains(&self.local_language) {
            return Err(invalid(
                "site.local_language",
                quoted(&self.local_language),
                format!("must be one of site.languages {}", quoted_list(&self.languages)),
            ));
        }
        let kiosk_id = identifier("site.kiosk_id", &self.kiosk_id)?;
        if kiosk_id.len() > 64 {
            return Err(invalid("site.kiosk_id", quoted(&kiosk_id), "must be at most 64 characters"));
        }
        Ok(Site { name, timezone, languages: self.languages, local_language: self.local_language, kiosk_id })
    }
}

impl KioskFile {
    fn validate(self) -> Result<Kiosk, ConfigError> {
        Ok(Kiosk {
            idle_timeout_seconds: in_range("kiosk.idle_timeout_seconds", self.idle_timeout_seconds, 5, 600)?,
            countdown_seconds: in_range("kiosk.countdown_seconds", self.countdown_seconds, 3, 60)?,
            ticket_screen_seconds: in_range(
                "kiosk.ticket_screen_seconds",
                self.ticket_screen_seconds,
                5,
                300,
            )?,
            greeting_seconds: in_range("kiosk.greeting_seconds", self.greeting_seconds, 1, 30)?,
            data_dir: PathBuf::from(non_empty(
                "kiosk.data_dir",
                &self.data_dir,
                "the folder for the ticket store, e.g. \"loket-data\"",
            )?),
            now_serving_count: in_range("kiosk.now_serving_count", self.now_serving_count, 1, 8)?,
        })
    }
}

impl LearningFile {
    fn validate(self) -> Result<Learning, ConfigError> {
        let content_dir = PathBuf::from(non_empty(
            "learning.content_dir",
            &self.content_dir,
            "the folder of the content pack, e.g. \"content\"",
        )?);
        let idle_timeout_seconds =
            in_range("learning.idle_timeout_seconds", self.idle_timeout_seconds, 10, 1800)?;
        let on_own_max_wrong_taps =
            in_range("learning.on_own_max_wrong_taps", self.on_own_max_wrong_taps, 0, 20)?;
        let xapi_base = xapi_base("learning.xapi_base", &self.xapi_base)?;
        if self.referral.is_empty() {
            return Err(invalid(
                "learning.referral",
                "(none)",
                "add at least one [[learning.referral]] table; the last one, without conditions, is the fallback",
            ));
        }
        let last = self.referral.len() - 1;
        let mut referral: Vec<ReferralRule> = Vec::with_capacity(self.referral.len());
        for (index, rule) in self.referral.into_iter().enumerate() {
            let rule = rule.validate(index)?;
            if referral.iter().any(|r| r.outcome == rule.outcome) {
                return Err(invalid(
                    format!("learning.referral[{index}].outcome"),
                    quoted(&rule.outcome),
                    "another rule already has this outcome",
                ));
            }
            let unconditional = rule.on_own.is_empty()
                && rule.at_least_with_help.is_empty()
                && rule.not_yet.is_empty()
                && rule.not_yet_at_most.is_none()
                && rule.not_yet_at_least.is_none();
            if index == last && !unconditional {
                return Err(invalid(
                    format!("learning.referral[{index}]"),
                    format!("{{ outcome = {} }}", quoted(&rule.outcome)),
                    "the last rule must have no conditions: it is the fallback when no other rule matches",
                ));
            }
            if index < last && unconditional {
                return Err(invalid(
                    format!("learning.referral[{index}]"),
                    format!("{{ outcome = {} }}", quoted(&rule.outcome)),
                    "has no conditions, so it always matches and the rules after it are never used; \
                     only the last rule may be without conditions",
                ));
            }
            referral.push(rule);
        }
        Ok(Learning { content_dir, idle_timeout_seconds, on_own_max_wrong_taps, xapi_base, referral })
    }
}

/// An http(s) URL without a trailing slash, query or fragment, used as a base for ids.
fn xapi_base(key: &str, url: &str) -> Result<String, ConfigError> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest else {
        return Err(invalid(key, quoted(url), "must start with https:// or http://"));
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(invalid(key, quoted(url), "must name a host, e.g. \"https://digilabo.example/xapi\""));
    }
    if url.ends_with('/') {
        return Err(invalid(key, quoted(url), "must not end with a slash"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '{' | '}')) {
        return Err(invalid(key, quoted(url), "must be a plain URL without spaces, '?', '#' or braces"));
    }
    if url.len() > 200 {
        return Err(invalid(key, quoted(url), "must be at most 200 characters"));
    }
    Ok(url.to_owned())
}

impl ReferralFile {
    fn validate(self, index: usize) -> Result<ReferralRule, ConfigError> {
        let at = |field: &str| format!("learning.referral[{index}].{field}");
        let outcome = identifier(&at("outcome"), &self.outcome)?;
        let label =
            non_empty(&at("label"), &self.label, "what staff read, e.g. \"Kan online lessen volgen\"")?;
        for (field, ids) in [
            ("on_own", &self.on_own),
            ("at_least_with_help", &self.at_least_with_help),
            ("not_yet", &self.not_yet),
        ] {
            for (i, id) in ids.iter().enumerate() {
                let key = format!("learning.referral[{index}].{field}[{i}]");
                if !is_identifier(id) {
                    return Err(invalid(
                        key,
                        quoted(id),
                        "must be a screening exercise id (its folder name), e.g. \"x04-mail-reply\"",
                    ));
                }
                if ids[..i].contains(id) {
                    return Err(invalid(key, quoted(id), "listed twice"));
                }
            }
        }
        let count =
            |field: &str, value: Option<i64>| value.map(|v| in_range(&at(field), v, 0, 100)).transpose();
        let not_yet_at_most = count("not_yet_at_most", self.not_yet_at_most)?;
        let not_yet_at_least = count("not_yet_at_least", self.not_yet_at_least)?;
        if let (Some(most), Some(least)) = (not_yet_at_most, not_yet_at_least)
            && least > most
        {
            return Err(invalid(
                at("not_yet_at_least"),
                least.to_string(),
                format!("is more than not_yet_at_most = {most}, so the rule can never match"),
            ));
        }
        Ok(ReferralRule {
            outcome,
            label,
            on_own: self.on_own,
            at_least_with_help: self.at_least_with_help,
            not_yet: self.not_yet,
            not_yet_at_most,
            not_yet_at_least,
        })
    }
}

impl QueueFile {
    fn validate(self) -> Result<QueueSettings, ConfigError> {
        Ok(QueueSettings {
            default_service_minutes: in_range(
                "queue.default_service_minutes",
                self.default_service_minutes,
                1,
                240,
            )?,
            recent_services: in_range("queue.recent_services", self.recent_services, 1, 500)?,
            outcomes: {
                for (i, outcome) in self.outcomes.iter().enumerate() {
                    non_empty(&format!("queue.outcomes[{i}]"), outcome, "a short label such as \"Helped\"")?;
                    if self.outcomes[..i].contains(outcome) {
                        return Err(invalid(format!("queue.outcomes[{i}]"), quoted(outcome), "listed twice"));
                    }
                }
                self.outcomes
            },
        })
    }
}

impl PrinterFile {
    fn validate(self) -> Result<Printer, ConfigError> {
        match self {
            PrinterFile::File { directory } => Ok(Printer::File {
                directory: PathBuf::from(non_empty(
                    "printer.directory",
                    &directory,
                    "the folder for ticket files, e.g. \"tickets\"",
                )?),
            }),
            PrinterFile::Serial {
                device,
                baud,
                busy_gpio,
                status,
                dot_print_us,
                dot_feed_us,
                buffer_bytes,
            } => {
                let device = non_empty("printer.device", &device, "the serial port, e.g. \"/dev/serial0\"")?;
                let rates: Vec<String> = BAUD_RATES.iter().map(u32::to_string).collect();
                let baud = u32::try_from(baud).ok().filter(|b| BAUD_RATES.contains(b)).ok_or_else(|| {
                    invalid("printer.baud", baud.to_string(), format!("must be one of {}", rates.join(", ")))
                })?;
                let busy_gpio = busy_gpio
                    .map(|pin| {
                        u8::try_from(pin).ok().filter(|p| (2..=27).contains(p)).ok_or_else(|| {
                            invalid(
                                "printer.busy_gpio",
                                pin.to_string(),
                                "must be a BCM GPIO number from 2 to 27",
                            )
                        })
                    })
                    .transpose()?;
                if busy_gpio == Some(14) || busy_gpio == Some(15) {
                    return Err(invalid(
                        "printer.busy_gpio",
                        busy_gpio.unwrap_or_default().to_string(),
                        "GPIO14 and GPIO15 are the UART's TX and RX",
                    ));
                }
                Ok(Printer::Serial(SerialPrinterSettings {
                    device: PathBuf::from(device),
                    baud,
                    busy_gpio,
                    status,
                    dot_print_us: in_range("printer.dot_print_us", dot_print_us, 100, 200_000)?,
                    dot_feed_us: in_range("printer.dot_feed_us", dot_feed_us, 100, 100_000)?,
                    buffer_bytes: in_range("printer.buffer_bytes", buffer_bytes, 32, 1_048_576)?,
                }))
            }
        }
    }
}

impl WebFile {
    fn validate(self) -> Result<Web, ConfigError> {
        let listen = self.listen.trim().parse::<SocketAddr>().map_err(|_| {
            invalid(
                "web.listen",
                quoted(&self.listen),
                "must be an IP address and a port, e.g. \"127.0.0.1:8080\" or \"0.0.0.0:8080\"",
            )
        })?;
        let mut api_tokens = Vec::new();
        for (i, token) in self.api_tokens.into_iter().enumerate() {
            let name = non_empty(&format!("web.api_token[{i}].name"), &token.name, "who uses the token")?;
            let token_hash = argon2_hash(&format!("web.api_token[{i}].token_hash"), &token.token_hash)?;
            api_tokens.push(ApiToken { name, token_hash });
        }
        Ok(Web { listen, api_tokens, https: self.https })
    }
}

fn validate_day(day: &str, periods: &[String]) -> Result<Vec<OpenPeriod>, ConfigError> {
    let mut parsed: Vec<OpenPeriod> = Vec::with_capacity(periods.len());
    for (index, text) in periods.iter().enumerate() {
        let key = format!("hours.{day}[{index}]");
        let period: OpenPeriod =
            text.parse().map_err(|reason: String| invalid(&key, quoted(text), reason))?;
        if let Some(previous) = parsed.last()
            && period.opens < previous.closes
        {
            return Err(invalid(
                key,
                quoted(text),
                format!(
                    "overlaps or comes before \"{previous}\"; list a day's periods in order, without overlap"
                ),
            ));
        }
        parsed.push(period);
    }
    Ok(parsed)
}

impl HoursFile {
    fn validate(self) -> Result<OpeningHours, ConfigError> {
        Ok(OpeningHours {
            monday: validate_day("monday", &self.monday)?,
            tuesday: validate_day("tuesday", &self.tuesday)?,
            wednesday: validate_day("wednesday", &self.wednesday)?,
            thursday: validate_day("thursday", &self.thursday)?,
            friday: validate_day("friday", &self.friday)?,
            saturday: validate_day("saturday", &self.saturday)?,
            sunday: validate_day("sunday", &self.sunday)?,
        })
    }
}

/// `[display]`: the screen outside the opening hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Display {
    /// Minutes the "closed" message stays lit (after closing time or a touch) before the screen
    /// goes dark; 0 = never dark.
    pub dark_after_closed_minutes: u32,
    /// Switch the panel's backlight off when dark: `Auto` takes the first one in
    /// /sys/class/backlight (DSI panels have one, HDMI screens do not).
    pub backlight: BacklightSetting,
}

impl Display {
    /// How long the closed message stays lit; `None` never goes dark.
    pub fn dark_after(&self) -> Option<Duration> {
        (self.dark_after_closed_minutes > 0)
            .then(|| Duration::from_secs(u64::from(self.dark_after_closed_minutes) * 60))
    }
}

/// `display.backlight`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BacklightSetting {
    Auto,
    None,
}

/// `[maintenance]`: the nightly clean-up of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintenance {
    /// Local time (site.timezone) of the nightly run.
    pub nightly_at: Time,
    /// Days that tickets and screening details are kept; daily figures are kept for good.
    pub retention_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisplayFile {
    #[serde(default = "default_dark_after")]
    dark_after_closed_minutes: i64,
    #[serde(default = "default_backlight")]
    backlight: String,
}

fn default_dark_after() -> i64 {
    10
}

fn default_backlight() -> String {
    "auto".into()
}

impl Default for DisplayFile {
    fn default() -> Self {
        DisplayFile { dark_after_closed_minutes: default_dark_after(), backlight: default_backlight() }
    }
}

impl DisplayFile {
    fn validate(self) -> Result<Display, ConfigError> {
        let backlight = match self.backlight.as_str() {
            "auto" => BacklightSetting::Auto,
            "none" => BacklightSetting::None,
            other => return Err(invalid("display.backlight", quoted(other), "must be \"auto\" or \"none\"")),
        };
        Ok(Display {
            dark_after_closed_minutes: in_range(
                "display.dark_after_closed_minutes",
                self.dark_after_closed_minutes,
                0,
                1440,
            )?,
            backlight,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaintenanceFile {
    #[serde(default = "default_nightly_at")]
    nightly_at: String,
    #[serde(default = "default_retention_days")]
    retention_days: i64,
}

fn default_nightly_at() -> String {
    "03:00".into()
}

fn default_retention_days() -> i64 {
    90
}

impl Default for MaintenanceFile {
    fn default() -> Self {
        MaintenanceFile { nightly_at: default_nightly_at(), retention_days: default_retention_days() }
    }
}

impl MaintenanceFile {
    fn validate(self) -> Result<Maintenance, ConfigError> {
        let nightly_at = parse_clock(self.nightly_at.trim()).ok_or_else(|| {
            invalid("maintenance.nightly_at", quoted(&self.nightly_at), "must look like \"03:00\" (HH:MM)")
        })?;
        Ok(Maintenance {
            nightly_at,
            retention_days: in_range("maintenance.retention_days", self.retention_days, 1, 3650)?,
        })
    }
}

impl ServiceFile {
    fn validate(self, index: usize, site: &Site) -> Result<Service, ConfigError> {
        let at = |field: &str| format!("service[{index}].{field}");
        let id = identifier(&at("id"), &self.id)?;
        let prefix_ok =
            (1..=2).contains(&self.prefix.len()) && self.prefix.bytes().all(|b| b.is_ascii_uppercase());
        if !prefix_ok {
            return Err(invalid(at("prefix"), quoted(&self.prefix), "must be 1 or 2 capital letters A-Z"));
        }
        if !PICTOGRAMS.contains(&self.pictogram.as_str()) {
            return Err(invalid(
                at("pictogram"),
                quoted(&self.pictogram),
                format!("not a known pictogram; choose one of {}", PICTOGRAMS.join(", ")),
            ));
        }
        for (code, name) in &self.names {
            let key = format!("service[{index}].names.{code}");
            if languages::language(code).is_none() {
                return Err(invalid(
                    key,
                    quoted(name),
                    format!("{} is not a language Loket knows; known codes: {}", quoted(code), known_codes()),
                ));
            }
            if name.trim().is_empty() {
                return Err(invalid(key, quoted(name), "the name must not be empty"));
            }
        }
        let written = || {
            let codes: Vec<&String> = self.names.keys().collect();
            format!("{{ {} }}", codes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "))
        };
        for required in ["en", site.local_language.as_str()] {
            if !self.names.contains_key(required) {
                return Err(invalid(
                    at("names"),
                    written(),
                    format!(
                        "needs a name in {required:?} (English and the site's local_language are required)"
                    ),
                ));
            }
        }
        Ok(Service { id, prefix: self.prefix, pictogram: self.pictogram, names: self.names })
    }
}

impl DeskFile {
    fn validate(self, index: usize, services: &[Service]) -> Result<Desk, ConfigError> {
        let at = |field: &str| format!("desk[{index}].{field}");
        let id = identifier(&at("id"), &self.id)?;
        let name = non_empty(&at("name"), &self.name, "what is written on the desk sign")?;
        if self.services.is_empty() {
            return Err(invalid(at("services"), "[]", "a desk must serve at least one service"));
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, service) in self.services.iter().enumerate() {
            let key = format!("desk[{index}].services[{i}]");
            if !services.iter().any(|s| &s.id == service) {
                let ids: Vec<&str> = services.iter().map(|s| s.id.as_str()).collect();
                return Err(invalid(
                    key,
                    quoted(service),
                    format!("no [[service]] has this id; configured: {}", ids.join(", ")),
                ));
            }
            if seen.insert(service.as_str(), i).is_some() {
                return Err(invalid(key, quoted(service), "listed twice"));
            }
        }
        let pin_hash = self.pin_hash.map(|h| argon2_hash(&at("pin_hash"), &h)).transpose()?;
        let button_gpio = self.button_gpio.map(|p| gpio_pin(&at("button_gpio"), p)).transpose()?;
        let led_gpio = self.led_gpio.map(|p| gpio_pin(&at("led_gpio"), p)).transpose()?;
        Ok(Desk { id, name, services: self.services, pin_hash, button_gpio, led_gpio })
    }
}

// ------------------------------------------------------------------------------------------
// [report]: reporting to the central system (`loket-central`), kept apart from the other tables.

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

impl Report {
    /// Reads the kiosk's token from `token_file`: it must be readable and not empty.
    pub fn read_token(&self) -> Result<String, ConfigError> {
        let shown = quoted(&self.token_file.display().to_string());
        let text = std::fs::read_to_string(&self.token_file).map_err(|e| {
            invalid("report.token_file", shown.clone(), format!("cannot read the token: {e}"))
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(invalid(
                "report.token_file",
                shown,
                "the file is empty; put the kiosk's token in it",
            ));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("report.token_file", shown, "the token must be one line without spaces"));
        }
        Ok(token.to_owned())
    }

    /// Reads `ca_bundle`, if set: PEM certificates (`None` when not set).
    pub fn read_ca_bundle(&self) -> Result<Option<Vec<u8>>, ConfigError> {
        let Some(path) = &self.ca_bundle else { return Ok(None) };
        let shown = quoted(&path.display().to_string());
        let pem = std::fs::read(path)
            .map_err(|e| invalid("report.ca_bundle", shown.clone(), format!("cannot read it: {e}")))?;
        if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(invalid(
                "report.ca_bundle",
                shown,
                "holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            ));
        }
        Ok(Some(pem))
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ReportFile {
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
    let parsed = reqwest::Url::parse(url).map_err(|e| {
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
    fn validate(self) -> Result<Report, ConfigError> {
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
    use jiff::civil::date;

    /// A small valid configuration; tests change one line to make it bad.
    const GOOD: &str = r#"
[site]
name = "Testpunt"
timezone = "Europe/Brussels"
languages = ["nl", "en", "ar"]
local_language = "nl"

[kiosk]
idle_timeout_seconds = 45
countdown_seconds = 10
ticket_screen_seconds = 20
greeting_seconds = 3
data_dir = "data"
now_serving_count = 3

[queue]
default_service_minutes = 8
recent_services = 20

[printer]
kind = "file"
directory = "tickets"

[web]
listen = "127.0.0.1:8080"

[hours]
monday = ["09:00-12:30", "13:30-17:00"]
wednesday = ["09:00-12:00"]

[[service]]
id = "email"
prefix = "E"
pictogram = "email"
names = { nl = "E-mail", en = "E-mail" }

[[service]]
id = "tablet"
prefix = "T"
pictogram = "tablet"
names = { nl = "Tablet lenen", en = "Borrow a tablet" }

[[desk]]
id = "desk-1"
name = "Balie 1"
services = ["email", "tablet"]
"#;

    /// `GOOD` with the first occurrence of `from` replaced by `to`.
    fn good_with(from: &str, to: &str) -> String {
        assert!(GOOD.contains(from), "test bug: {from:?} not in GOOD");
        GOOD.replacen(from, to, 1)
    }

    /// The error message for a text that must be rejected.
    fn error(text: &str) -> String {
        match text.parse::<Config>() {
            Ok(_) => panic!("accepted a bad config:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    fn assert_names(message: &str, parts: &[&str]) {
        for part in parts {
            assert!(message.contains(part), "{part:?} missing from message:\n{message}");
        }
    }

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
    fn serial_printer_is_read() {
        let text = good_with(
            "kind = \"file\"\ndirectory = \"tickets\"",
            "kind = \"serial\"\ndevice = \"/dev/ttyUSB0\"\nbaud = 115200",
        );
        let config: Config = text.parse().unwrap();
        let Printer::Serial(serial) = &config.printer else { panic!("{:?}", config.printer) };
        assert_eq!((serial.device.to_str(), serial.baud), (Some("/dev/ttyUSB0"), 115200));
        assert_eq!(
            (serial.busy_gpio, serial.status, serial.dot_print_us, serial.buffer_bytes),
            (None, false, 30_000, 256)
        );
        assert_eq!(config.ticket_directory(), None);
    }

    #[test]
    fn serial_printer_details_are_read_and_checked() {
        let serial = |extra: &str| {
            good_with(
                "kind = \"file\"\ndirectory = \"tickets\"",
                &format!("kind = \"serial\"\ndevice = \"/dev/serial0\"\n{extra}"),
            )
        };
        let config: Config = serial("busy_gpio = 18\nstatus = true\ndot_print_us = 2500").parse().unwrap();
        let Printer::Serial(s) = &config.printer else { panic!() };
        assert_eq!((s.busy_gpio, s.status, s.dot_print_us), (Some(18), true, 2500));
        assert_names(&error(&serial("busy_gpio = 14")), &["printer.busy_gpio = 14", "UART"]);
        assert_names(&error(&serial("busy_gpio = 40")), &["printer.busy_gpio = 40", "2 to 27"]);
        assert_names(&error(&serial("dot_print_us = 0")), &["printer.dot_print_us = 0"]);
        assert_names(&error(&serial("buffer_bytes = 4")), &["printer.buffer_bytes = 4"]);
    }

    #[test]
    fn ticket_settings_are_read_and_checked() {
        let config = Config::sample();
        assert_eq!(config.ticket.qr_url_for("E-017"), None, "no QR in the sample by default");
        let with = |ticket: &str| format!("{GOOD}\n[ticket]\n{ticket}\n");
        let config: Config =
            with("qr_url = \"https://example.org/q/{code}\"\nfooter = \"Tot zo!\"").parse().unwrap();
        assert_eq!(config.ticket.qr_url_for("E-017").as_deref(), Some("https://example.org/q/E-017"));
        assert_eq!(config.ticket.footer, "Tot zo!");
        assert_names(
            &error(&with("qr_url = \"ftp://x/{code}\"")),
            &["ticket.qr_url = \"ftp://x/{code}\"", "https://"],
        );
        assert_names(&error(&with("qr_url = \"https://x/\"")), &["ticket.qr_url", "{code}"]);
        assert_names(&error(&with("colour = true")), &["colour"]);
    }

    #[test]
    fn desk_pins_buttons_and_lamps_are_checked() {
        let desk = |extra: &str| good_with("name = \"Balie 1\"", &format!("name = \"Balie 1\"\n{extra}"));
        let config: Config = desk(
            "pin_hash = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\"\nbutton_gpio = 17\nled_gpio = 27",
        )
        .parse()
        .unwrap();
        let d = &config.desks[0];
        assert_eq!((d.button_gpio, d.led_gpio), (Some(17), Some(27)));
        assert!(d.pin_hash.as_deref().unwrap().starts_with("$argon2id$"));
        assert_names(&error(&desk("pin_hash = \"1234\"")), &["desk[0].pin_hash = \"1234\"", "hash-pin"]);
        assert_names(&error(&desk("button_gpio = 14")), &["desk[0].button_gpio = 14", "UART"]);
        assert_names(&error(&desk("led_gpio = 99")), &["desk[0].led_gpio = 99"]);
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
    fn speech_engine_is_checked() {
        let with = |table: &str| format!("{GOOD}\n{table}\n");
        assert_eq!(Config::sample().speech, Speech::EspeakNg);
        let config: Config = with("[speech]\nengine = \"simulated\"").parse().unwrap();
        assert_eq!(config.speech, Speech::Simulated);
        assert_names(&error(&with("[speech]\nengine = \"festival\"")), &["speech.engine = \"festival\""]);
    }

    #[test]
    fn service_name_falls_back_to_english() {
        let config = Config::sample();
        let email = config.service("email").unwrap();
        assert_eq!(email.name("nl"), "E-mail");
        assert_eq!(email.name("ar"), "البريد الإلكتروني");
        let other = config.service("something-else").unwrap();
        assert_eq!(other.name("ti"), other.name("en"));
        assert_eq!(other.name("xx"), "Something else");
    }

    #[test]
    fn every_sample_service_name_is_in_a_known_offered_language() {
        let config = Config::sample();
        for service in &config.services {
            for code in service.names.keys() {
                assert!(config.site.languages.contains(code), "{}: {code}", service.id);
            }
        }
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
        assert_eq!(Config::load(&good).unwrap(), Config::sample());
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, good_with("\"Europe/Brussels\"", "\"Mars/Olympus\"")).unwrap();
        let error = Config::load(&bad).unwrap_err();
        assert!(matches!(error.cause(), ConfigError::Invalid { key, .. } if key == "site.timezone"));
        assert_names(&error.to_string(), &["bad.toml", "site.timezone", "Mars/Olympus"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn invalid_is_displayed_as_key_value_reason() {
        let message = error(&good_with("prefix = \"T\"", "prefix = \"e1\""));
        assert_eq!(message, "service[1].prefix = \"e1\": must be 1 or 2 capital letters A-Z");
    }

    // ---- one test per bad input ----

    #[test]
    fn unknown_top_level_key() {
        let message = error(&format!("colour = \"red\"\n{GOOD}"));
        assert_names(&message, &["colour", "unknown field"]);
    }

    #[test]
    fn unknown_key_in_kiosk() {
        let message = error(&good_with("now_serving_count = 3", "now_serving_count = 3\nscreensaver = true"));
        assert_names(&message, &["screensaver", "unknown field"]);
    }

    #[test]
    fn unknown_key_in_file_printer() {
        let message =
            error(&good_with("directory = \"tickets\"", "directory = \"tickets\"\npaper_width = 80"));
        assert_names(&message, &["paper_width", "unknown field"]);
    }

    #[test]
    fn key_of_the_other_printer_kind_is_rejected() {
        let message = error(&good_with("directory = \"tickets\"", "directory = \"tickets\"\nbaud = 9600"));
        assert_names(&message, &["baud", "unknown field"]);
    }

    #[test]
    fn unknown_printer_kind() {
        let message = error(&good_with("kind = \"file\"", "kind = \"usb\""));
        assert_names(&message, &["usb", "file", "serial"]);
    }

    #[test]
    fn unknown_key_in_service() {
        let message = error(&good_with("pictogram = \"email\"", "pictogram = \"email\"\ncolor = \"blue\""));
        assert_names(&message, &["color", "unknown field"]);
    }

    #[test]
    fn unknown_day_in_hours() {
        let message = error(&good_with("wednesday =", "woensdag ="));
        assert_names(&message, &["woensdag", "unknown field"]);
    }

    #[test]
    fn missing_key() {
        let message = error(&good_with("local_language = \"nl\"\n", ""));
        assert_names(&message, &["local_language", "missing"]);
    }

    #[test]
    fn wrong_type() {
        let message = error(&good_with("greeting_seconds = 3", "greeting_seconds = \"3\""));
        assert_names(&message, &["greeting_seconds"]);
    }

    #[test]
    fn bad_toml_syntax() {
        let message = error(&good_with("[queue]", "[queue"));
        assert_names(&message, &["line"]);
    }

    #[test]
    fn empty_site_name() {
        let message = error(&good_with("name = \"Testpunt\"", "name = \"  \""));
        assert_names(&message, &["site.name = \"  \"", "empty"]);
    }

    #[test]
    fn bad_timezone() {
        let message = error(&good_with("\"Europe/Brussels\"", "\"Europe/Brussel\""));
        assert_names(&message, &["site.timezone = \"Europe/Brussel\"", "time zone"]);
    }

    #[test]
    fn no_languages() {
        let message = error(&good_with("[\"nl\", \"en\", \"ar\"]", "[]"));
        assert_names(&message, &["site.languages = []", "at least one"]);
    }

    #[test]
    fn unknown_language_in_site_languages() {
        let message = error(&good_with("[\"nl\", \"en\", \"ar\"]", "[\"nl\", \"en\", \"klingon\"]"));
        assert_names(&message, &["site.languages[2] = \"klingon\"", "not a language"]);
    }

    #[test]
    fn duplicate_language() {
        let message = error(&good_with("[\"nl\", \"en\", \"ar\"]", "[\"nl\", \"en\", \"nl\"]"));
        assert_names(&message, &["site.languages[2] = \"nl\"", "twice"]);
    }

    #[test]
    fn local_language_not_offered() {
        let message = error(&good_with("local_language = \"nl\"", "local_language = \"fr\""));
        assert_names(&message, &["site.local_language = \"fr\"", "site.languages"]);
    }

    #[test]
    fn idle_timeout_out_of_range() {
        let message = error(&good_with("idle_timeout_seconds = 45", "idle_timeout_seconds = 601"));
        assert_names(&message, &["kiosk.idle_timeout_seconds = 601", "between 5 and 600"]);
    }

    #[test]
    fn negative_countdown() {
        let message = error(&good_with("countdown_seconds = 10", "countdown_seconds = -1"));
        assert_names(&message, &["kiosk.countdown_seconds = -1", "between 3 and 60"]);
    }

    #[test]
    fn now_serving_count_out_of_range() {
        let message = error(&good_with("now_serving_count = 3", "now_serving_count = 9"));
        assert_names(&message, &["kiosk.now_serving_count = 9", "between 1 and 8"]);
    }

    #[test]
    fn empty_data_dir() {
        let message = error(&good_with("data_dir = \"data\"", "data_dir = \"\""));
        assert_names(&message, &["kiosk.data_dir = \"\"", "empty"]);
    }

    #[test]
    fn recent_services_out_of_range() {
        let message = error(&good_with("recent_services = 20", "recent_services = 0"));
        assert_names(&message, &["queue.recent_services = 0", "between 1 and 500"]);
    }

    #[test]
    fn bad_baud() {
        let text = good_with(
            "kind = \"file\"\ndirectory = \"tickets\"",
            "kind = \"serial\"\ndevice = \"/dev/serial0\"\nbaud = 14400",
        );
        let message = error(&text);
        assert_names(&message, &["printer.baud = 14400", "9600, 19200, 38400, 57600, 115200"]);
    }

    #[test]
    fn bad_web_listen() {
        let message = error(&good_with("\"127.0.0.1:8080\"", "\"localhost\""));
        assert_names(&message, &["web.listen = \"localhost\"", "IP address and a port"]);
    }

    #[test]
    fn bad_hours_string() {
        let message = error(&good_with("\"13:30-17:00\"", "\"13.30-17.00\""));
        assert_names(&message, &["hours.monday[1] = \"13.30-17.00\"", "HH:MM-HH:MM"]);
    }

    #[test]
    fn hours_impossible_time() {
        let message = error(&good_with("\"13:30-17:00\"", "\"13:30-24:00\""));
        assert_names(&message, &["hours.monday[1] = \"13:30-24:00\"", "HH:MM-HH:MM"]);
    }

    #[test]
    fn hours_closing_before_opening() {
        let message = error(&good_with("\"09:00-12:00\"", "\"12:00-09:00\""));
        assert_names(&message, &["hours.wednesday[0] = \"12:00-09:00\"", "before the closing"]);
    }

    #[test]
    fn overlapping_hours() {
        let message = error(&good_with("\"13:30-17:00\"", "\"12:00-17:00\""));
        assert_names(&message, &["hours.monday[1] = \"12:00-17:00\"", "overlaps", "09:00-12:30"]);
    }

    #[test]
    fn unsorted_hours() {
        let message =
            error(&good_with("[\"09:00-12:30\", \"13:30-17:00\"]", "[\"13:30-17:00\", \"09:00-12:30\"]"));
        assert_names(&message, &["hours.monday[1] = \"09:00-12:30\"", "in order"]);
    }

    #[test]
    fn no_services() {
        let text = GOOD.split("[[service]]").next().unwrap().to_string();
        let message = error(&text);
        assert_names(&message, &["service = (none)", "at least one"]);
    }

    #[test]
    fn bad_service_id() {
        let message = error(&good_with("id = \"tablet\"", "id = \"Tablet\""));
        assert_names(&message, &["service[1].id = \"Tablet\"", "lowercase"]);
    }

    #[test]
    fn duplicate_service_id() {
        let message = error(&good_with("id = \"tablet\"", "id = \"email\""));
        assert_names(&message, &["service[1].id = \"email\"", "already"]);
    }

    #[test]
    fn duplicate_prefix() {
        let message = error(&good_with("prefix = \"T\"", "prefix = \"E\""));
        assert_names(&message, &["service[1].prefix = \"E\"", "already"]);
    }

    #[test]
    fn bad_prefix() {
        let message = error(&good_with("prefix = \"E\"", "prefix = \"EMA\""));
        assert_names(&message, &["service[0].prefix = \"EMA\"", "1 or 2 capital letters"]);
    }

    #[test]
    fn unknown_pictogram() {
        let message = error(&good_with("pictogram = \"email\"", "pictogram = \"envelope\""));
        assert_names(&message, &["service[0].pictogram = \"envelope\"", "wifi"]);
    }

    #[test]
    fn service_name_in_unknown_language() {
        let message = error(&good_with("en = \"E-mail\" }", "en = \"E-mail\", xx = \"Mail\" }"));
        assert_names(&message, &["service[0].names.xx = \"Mail\"", "\"xx\" is not a language"]);
    }

    #[test]
    fn service_without_local_language_name() {
        let message = error(&good_with("nl = \"E-mail\", ", ""));
        assert_names(&message, &["service[0].names = { en }", "\"nl\""]);
    }

    #[test]
    fn service_without_english_name() {
        let message =
            error(&good_with("names = { nl = \"E-mail\", en = \"E-mail\" }", "names = { nl = \"E-mail\" }"));
        assert_names(&message, &["service[0].names = { nl }", "\"en\""]);
    }

    #[test]
    fn no_desks() {
        let text = GOOD.split("[[desk]]").next().unwrap().to_string();
        let message = error(&text);
        assert_names(&message, &["desk = (none)", "at least one"]);
    }

    #[test]
    fn desk_without_name() {
        let message = error(&good_with("name = \"Balie 1\"", "name = \"\""));
        assert_names(&message, &["desk[0].name = \"\"", "empty"]);
    }

    #[test]
    fn desk_refers_to_unknown_service() {
        let message = error(&good_with("[\"email\", \"tablet\"]", "[\"email\", \"tablet\", \"fax\"]"));
        assert_names(&message, &["desk[0].services[2] = \"fax\"", "no [[service]]"]);
    }

    #[test]
    fn desk_lists_a_service_twice() {
        let message = error(&good_with("[\"email\", \"tablet\"]", "[\"email\", \"tablet\", \"email\"]"));
        assert_names(&message, &["desk[0].services[2] = \"email\"", "twice"]);
    }

    #[test]
    fn duplicate_desk_id() {
        let text = format!("{GOOD}\n[[desk]]\nid = \"desk-1\"\nname = \"Balie 2\"\nservices = [\"email\"]\n");
        let message = error(&text);
        assert_names(&message, &["desk[1].id = \"desk-1\"", "already"]);
    }

    #[test]
    fn service_served_by_no_desk() {
        let message = error(&good_with("[\"email\", \"tablet\"]", "[\"email\"]"));
        assert_names(&message, &["service[1].id = \"tablet\"", "no desk serves"]);
    }

    // ---- [learning] ----

    /// `GOOD` with a `[learning]` table appended (after the desks, as TOML allows).
    fn good_with_learning(learning: &str) -> String {
        format!("{GOOD}\n{learning}")
    }

    const RULES: &str = r#"
[learning]
[[learning.referral]]
outcome = "online"
label = "Online lessen"
on_own = ["x04-mail-reply"]
[[learning.referral]]
outcome = "group"
label = "Groep"
not_yet_at_most = 2
[[learning.referral]]
outcome = "coaching"
label = "Begeleiding"
"#;

    #[test]
    fn learning_takes_its_defaults_when_the_table_is_absent() {
        let config: Config = GOOD.parse().unwrap();
        assert_eq!(config.learning, Learning::default());
        assert_eq!(config.learning.content_dir, PathBuf::from("content"));
        assert_eq!(config.learning.idle_timeout(), Duration::from_secs(120));
        assert_eq!(config.learning.on_own_max_wrong_taps, 1);
        assert_eq!(config.learning.xapi_base, "https://loket.invalid/xapi");
        let outcomes: Vec<&str> = config.learning.referral.iter().map(|r| r.outcome.as_str()).collect();
        assert_eq!(outcomes, ["online-lessons", "group-session", "one-to-one"]);
        assert_eq!(config.site.kiosk_id, "loket-1");
    }

    #[test]
    fn the_sample_learning_table_equals_the_defaults() {
        let config = Config::sample();
        assert_eq!(config.learning, Learning::default());
        assert_eq!(config.site.kiosk_id, "digilabo-onthaal-1");
    }

    #[test]
    fn learning_rules_are_read_in_order() {
        let config: Config = good_with_learning(RULES).parse().unwrap();
        let rules = &config.learning.referral;
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].on_own, ["x04-mail-reply"]);
        assert_eq!((rules[1].not_yet_at_most, rules[1].not_yet_at_least), (Some(2), None));
        assert_eq!(rules[2].label, "Begeleiding");
    }

    #[test]
    fn learning_idle_timeout_out_of_range() {
        let message = error(&good_with_learning("[learning]\nidle_timeout_seconds = 5"));
        assert_names(&message, &["learning.idle_timeout_seconds = 5", "between 10 and 1800"]);
    }

    #[test]
    fn learning_on_own_max_wrong_taps_out_of_range() {
        let message = error(&good_with_learning("[learning]\non_own_max_wrong_taps = -1"));
        assert_names(&message, &["learning.on_own_max_wrong_taps = -1", "between 0 and 20"]);
    }

    #[test]
    fn learning_empty_content_dir() {
        let message = error(&good_with_learning("[learning]\ncontent_dir = \"\""));
        assert_names(&message, &["learning.content_dir = \"\"", "empty"]);
    }

    #[test]
    fn unknown_key_in_learning() {
        let message = error(&good_with_learning("[learning]\nquiz = true"));
        assert_names(&message, &["quiz", "unknown field"]);
    }

    #[test]
    fn unknown_key_in_a_referral_rule() {
        let message = error(&good_with_learning(&RULES.replace("not_yet_at_most", "not_yet_max")));
        assert_names(&message, &["not_yet_max", "unknown field"]);
    }

    #[test]
    fn xapi_base_must_be_an_http_url_without_a_trailing_slash() {
        for (base, reason) in [
            ("ftp://x.example/xapi", "https:// or http://"),
            ("https:///xapi", "host"),
            ("https://x.example/xapi/", "slash"),
            ("https://x.example/xapi?a=1", "plain URL"),
            ("https://x.example/x api", "plain URL"),
        ] {
            let message = error(&good_with_learning(&format!("[learning]\nxapi_base = {base:?}")));
            assert_names(&message, &[&format!("learning.xapi_base = {base:?}"), reason]);
        }
        let config: Config =
            good_with_learning("[learning]\nxapi_base = \"http://10.0.0.5:8080/lrs\"").parse().unwrap();
        assert_eq!(config.learning.xapi_base, "http://10.0.0.5:8080/lrs");
    }

    #[test]
    fn no_referral_rules() {
        let message = error(&good_with_learning("[learning]\nreferral = []"));
        assert_names(&message, &["learning.referral = (none)", "at least one"]);
    }

    #[test]
    fn the_last_referral_rule_must_be_the_fallback() {
        let text = RULES.replace("label = \"Begeleiding\"", "label = \"Begeleiding\"\nnot_yet = [\"x01\"]");
        let message = error(&good_with_learning(&text));
        assert_names(
            &message,
            &["learning.referral[2] = { outcome = \"coaching\" }", "last rule", "no conditions"],
        );
    }

    #[test]
    fn a_rule_without_conditions_before_the_last_is_refused() {
        let message = error(&good_with_learning(&RULES.replace("not_yet_at_most = 2\n", "")));
        assert_names(&message, &["learning.referral[1] = { outcome = \"group\" }", "never used"]);
    }

    #[test]
    fn duplicate_referral_outcome() {
        let message = error(&good_with_learning(&RULES.replace("\"group\"", "\"online\"")));
        assert_names(&message, &["learning.referral[1].outcome = \"online\"", "already"]);
    }

    #[test]
    fn empty_referral_outcome_and_label() {
        let message = error(&good_with_learning(&RULES.replace("\"group\"", "\"\"")));
        assert_names(&message, &["learning.referral[1].outcome = \"\"", "lowercase"]);
        let message = error(&good_with_learning(&RULES.replace("\"Groep\"", "\" \"")));
        assert_names(&message, &["learning.referral[1].label = \" \"", "empty"]);
    }

    #[test]
    fn bad_item_id_in_a_referral_rule() {
        let message = error(&good_with_learning(&RULES.replace("[\"x04-mail-reply\"]", "[\"X04 Mail\"]")));
        assert_names(&message, &["learning.referral[0].on_own[0] = \"X04 Mail\"", "exercise id"]);
        let twice = RULES.replace("[\"x04-mail-reply\"]", "[\"x04-mail-reply\", \"x04-mail-reply\"]");
        let message = error(&good_with_learning(&twice));
        assert_names(&message, &["learning.referral[0].on_own[1] = \"x04-mail-reply\"", "twice"]);
    }

    #[test]
    fn referral_counts_must_be_possible() {
        let message =
            error(&good_with_learning(&RULES.replace("not_yet_at_most = 2", "not_yet_at_most = -2")));
        assert_names(&message, &["learning.referral[1].not_yet_at_most = -2", "between 0 and 100"]);
        let both = RULES.replace("not_yet_at_most = 2", "not_yet_at_most = 2\nnot_yet_at_least = 3");
        let message = error(&good_with_learning(&both));
        assert_names(&message, &["learning.referral[1].not_yet_at_least = 3", "never match"]);
    }

    #[test]
    fn bad_kiosk_id() {
        let message =
            error(&good_with("local_language = \"nl\"", "local_language = \"nl\"\nkiosk_id = \"Onthaal 2\""));
        assert_names(&message, &["site.kiosk_id = \"Onthaal 2\"", "lowercase"]);
        let long = "k".repeat(65);
        let message = error(&good_with(
            "local_language = \"nl\"",
            &format!("local_language = \"nl\"\nkiosk_id = \"{long}\""),
        ));
        assert_names(&message, &["site.kiosk_id", "at most 64"]);
    }

    // ---- opening hours ----

    fn sample_hours() -> OpeningHours {
        OpeningHours {
            monday: vec!["09:00-12:30".parse().unwrap(), "13:30-17:00".parse().unwrap()],
            friday: vec!["09:00-12:00".parse().unwrap()],
            ..OpeningHours::default()
        }
    }

    #[test]
    fn open_period_parses_and_displays() {
        let period: OpenPeriod = " 9:05 - 17:00 ".parse().unwrap();
        assert_eq!(period.to_string(), "09:05-17:00");
        assert!("09:00".parse::<OpenPeriod>().is_err());
        assert!("09:00-09:00".parse::<OpenPeriod>().is_err());
        assert!("09:0-10:00".parse::<OpenPeriod>().is_err());
        assert!("+9:00-10:00".parse::<OpenPeriod>().is_err());
        assert!("09:60-10:00".parse::<OpenPeriod>().is_err());
    }

    #[test]
    fn is_open_follows_the_periods() {
        let hours = sample_hours();
        let monday = date(2025, 6, 2);
        assert_eq!(monday.weekday(), Weekday::Monday);
        assert!(!hours.is_open(monday.at(8, 59, 59, 0)));
        assert!(hours.is_open(monday.at(9, 0, 0, 0)));
        assert!(hours.is_open(monday.at(12, 29, 59, 0)));
        assert!(!hours.is_open(monday.at(12, 30, 0, 0)), "closing time is excluded");
        assert!(!hours.is_open(monday.at(13, 0, 0, 0)), "lunch break");
        assert!(hours.is_open(monday.at(16, 0, 0, 0)));
        assert!(!hours.is_open(date(2025, 6, 3).at(10, 0, 0, 0)), "Tuesday is closed");
    }

    #[test]
    fn next_opening_same_day_after_lunch() {
        let hours = sample_hours();
        let monday = date(2025, 6, 2);
        assert_eq!(hours.next_opening(monday.at(7, 0, 0, 0)), Some(monday.at(9, 0, 0, 0)));
        assert_eq!(hours.next_opening(monday.at(12, 45, 0, 0)), Some(monday.at(13, 30, 0, 0)));
        assert_eq!(
            hours.next_opening(monday.at(9, 0, 0, 0)),
            Some(monday.at(13, 30, 0, 0)),
            "strictly after"
        );
    }

    #[test]
    fn next_opening_skips_closed_days() {
        let hours = sample_hours();
        let monday_evening = date(2025, 6, 2).at(18, 0, 0, 0);
        assert_eq!(hours.next_opening(monday_evening), Some(date(2025, 6, 6).at(9, 0, 0, 0)));
        let friday_noon = date(2025, 6, 6).at(12, 0, 0, 0);
        assert_eq!(hours.next_opening(friday_noon), Some(date(2025, 6, 9).at(9, 0, 0, 0)));
    }

    #[test]
    fn next_opening_a_week_ahead() {
        let hours = OpeningHours { monday: vec!["09:00-12:00".parse().unwrap()], ..OpeningHours::default() };
        let monday = date(2025, 6, 2);
        assert_eq!(hours.next_opening(monday.at(10, 0, 0, 0)), Some(date(2025, 6, 9).at(9, 0, 0, 0)));
    }

    #[test]
    fn next_opening_never_when_always_closed() {
        let hours = OpeningHours::default();
        assert_eq!(hours.next_opening(date(2025, 6, 2).at(10, 0, 0, 0)), None);
        assert!(!hours.is_open(date(2025, 6, 2).at(10, 0, 0, 0)));
    }

    #[test]
    fn next_opening_at_the_end_of_time_does_not_panic() {
        let hours = sample_hours();
        assert_eq!(hours.next_opening(DateTime::MAX), None);
    }

    #[test]
    fn sample_hours_are_weekdays_with_lunch_break() {
        let hours = Config::sample().hours;
        let wednesday = date(2025, 6, 4);
        assert!(hours.is_open(wednesday.at(10, 0, 0, 0)));
        assert!(!hours.is_open(wednesday.at(12, 45, 0, 0)));
        let saturday = date(2025, 6, 7);
        assert_eq!(hours.next_opening(saturday.at(10, 0, 0, 0)), Some(date(2025, 6, 9).at(9, 0, 0, 0)));
    }

    #[test]
    fn always_open_is_open_at_any_hour_of_any_day() {
        let hours = OpeningHours::always_open();
        for day in 1..=7 {
            for (h, m) in [(0, 0), (3, 17), (12, 0), (23, 59)] {
                let at = date(2025, 6, day).at(h, m, 0, 0);
                assert!(hours.is_open(at), "{at}");
            }
        }
        assert!(
            !Config::sample().hours.is_open(date(2025, 6, 7).at(12, 0, 0, 0)),
            "the sample closes on Saturday"
        );
    }

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

    #[test]
    fn the_token_file_must_be_readable_and_not_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let report = Report { token_file: path.clone(), ..Report::default() };
        let message = report.read_token().unwrap_err().to_string();
        assert!(message.starts_with("report.token_file = ") && message.contains("token\""), "{message}");
        assert!(message.contains("cannot read"), "{message}");
        std::fs::write(&path, "\n").unwrap();
        assert!(report.read_token().unwrap_err().to_string().contains("empty"));
        std::fs::write(&path, "abc123\n").unwrap();
        assert_eq!(report.read_token().unwrap(), "abc123");
    }

    #[test]
    fn a_ca_bundle_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "hello").unwrap();
        let report = Report { ca_bundle: Some(path), ..Report::default() };
        let message = report.read_ca_bundle().unwrap_err().to_string();
        assert!(message.starts_with("report.ca_bundle = ") && message.contains("PEM"), "{message}");
        assert_eq!(Report::default().read_ca_bundle().unwrap(), None);
    }

    // ---- display and maintenance ----

    #[test]
    fn display_and_maintenance_default_when_left_out() {
        let config = Config::sample();
        assert_eq!(config.display.dark_after(), Some(Duration::from_secs(600)));
        assert_eq!(config.display.backlight, BacklightSetting::Auto);
        assert_eq!(config.maintenance.nightly_at, Time::constant(3, 0, 0, 0));
        assert_eq!(config.maintenance.retention_days, 90);
    }

    #[test]
    fn never_dark_is_zero_minutes() {
        let config =
            Config::from_toml(&format!("{GOOD}\n[display]\ndark_after_closed_minutes = 0\n")).unwrap();
        assert_eq!(config.display.dark_after(), None);
    }

    #[test]
    fn bad_backlight_setting() {
        let message = error(&format!("{GOOD}\n[display]\nbacklight = \"dim\"\n"));
        assert_names(&message, &["display.backlight = \"dim\"", "\"auto\" or \"none\""]);
    }

    #[test]
    fn bad_nightly_time() {
        let message = error(&format!("{GOOD}\n[maintenance]\nnightly_at = \"3 am\"\n"));
        assert_names(&message, &["maintenance.nightly_at = \"3 am\"", "HH:MM"]);
    }

    #[test]
    fn retention_out_of_range() {
        let message = error(&format!("{GOOD}\n[maintenance]\nretention_days = 0\n"));
        assert_names(&message, &["maintenance.retention_days", "0"]);
    }
}
