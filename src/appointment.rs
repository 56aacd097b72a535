//! Appointments: the visitors who booked a time, and the rules of their check-in at the kiosk.
//!
//! This module owns the [`Appointment`] (a time, a service, maybe a desk and a language, a
//! random [`BookingCode`]; a name only where a help point turns names on), the
//! [`AppointmentBook`] of the appointments still to come or still open, the check-in rules
//! ([`AppointmentRules::check_in`]: too early, too late and the late policy, unknown, cancelled,
//! already used), the no-show at the end of the call window, what a new day keeps, and the limit
//! on wrong codes a kiosk accepts ([`WrongCodeLimit`]). How a checked-in appointment is called
//! before walk-ins is the queue's rule (see [`crate::queue`]); the ticket only carries an
//! [`AppointmentMark`](crate::queue::AppointmentMark).
//!
//! The rules, in order, for a code typed at `now`:
//! - more than [`WrongCodeLimit`] wrong codes in the last minute: `SlowDown`, before anything;
//! - a code that is not six digits (or `LKT` and six digits), or that no appointment has:
//!   `Unknown` (and it counts as a wrong code);
//! - cancelled: `Cancelled`; checked in, called or served: `AlreadyUsed`; recorded as a no-show
//!   (the call window has ended): `TooLate`;
//! - before `starts_at - check_in_early_minutes`: `TooEarly { opens_at }`;
//! - after `starts_at + call_window_minutes`: `TooLate`;
//! - after `starts_at + late_minutes`: late; with `late_policy = "priority"` the visitor still
//!   gets an appointment ticket, with `"walk_in"` a plain ticket in the walk-in line;
//! - otherwise on time: an appointment ticket.
//!
//! A booking code is drawn at random and reveals nothing about the person; it is unique among
//! the open appointments (expected, checked in or called), so a code can be given again once its
//! appointment is over.
//!
//! Pure domain: no I/O, no clock (time is an argument), no SQL, no Slint. It must not decide
//! the calling order (the queue does) nor store anything (the help point commits what it
//! returns).

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::help_point::IssuedTicket;
use crate::queue::{DeskId, ServiceId, TicketId};

/// The id of an appointment in the kiosk's store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AppointmentId(pub i64);

/// What a QR code or a barcode of a booking code says: `LKT` and the six digits (`LKT482913`).
/// L, K and T sit on the same keys on QWERTY, AZERTY and QWERTZ, so a USB scanner types them
/// right whatever keyboard layout the kiosk has.
pub const SCAN_PREFIX: &str = "LKT";

/// The code a visitor types at the kiosk: six random digits, shown as `482 913`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BookingCode(u32);

impl BookingCode {
    /// The largest code, `999 999`.
    const MAX: u32 = 999_999;

    /// Reads a code as a visitor or staff type it, or a scanner reads it: `482913`, `482 913`
    /// and `LKT482913` (any case) are the same code. Anything else is `None`.
    pub fn parse(text: &str) -> Option<BookingCode> {
        let text = text.trim();
        let digits = match text.get(..SCAN_PREFIX.len()) {
            Some(prefix) if prefix.eq_ignore_ascii_case(SCAN_PREFIX) => &text[SCAN_PREFIX.len()..],
            _ => text,
        };
        let digits: String = digits.chars().filter(|c| *c != ' ').collect();
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(BookingCode)
    }

    /// A code from a random number (taken modulo a million: callers give a uniform draw).
    pub fn from_random(random: u32) -> BookingCode {
        BookingCode(random % (BookingCode::MAX + 1))
    }

    /// A fresh random code from the random bytes of a v4 UUID, uniform over the million codes.
    pub fn random() -> BookingCode {
        // 2^32 is not a multiple of 10^6: draws above the last whole multiple are drawn again.
        const LIMIT: u32 = u32::MAX - (u32::MAX % (BookingCode::MAX + 1));
        loop {
            let bytes = uuid::Uuid::new_v4().into_bytes();
            // Bytes 6 and 8 carry the version and variant bits; 0..4 are random.
            let n = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            if n < LIMIT {
                return BookingCode::from_random(n);
            }
        }
    }

    /// The six digits, as stored and typed: `482913`.
    pub fn digits(&self) -> String {
        format!("{:06}", self.0)
    }

    /// What a QR code or barcode carries: `LKT482913`.
    pub fn scan_payload(&self) -> String {
        format!("{SCAN_PREFIX}{}", self.digits())
    }
}

/// Shown as two groups of three digits: `482 913`.
impl fmt::Display for BookingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.digits();
        write!(f, "{} {}", &digits[..3], &digits[3..])
    }
}

impl Serialize for BookingCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.digits())
    }
}

impl<'de> Deserialize<'de> for BookingCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        BookingCode::parse(&text).ok_or_else(|| serde::de::Error::custom("not a six-digit booking code"))
    }
}

/// Where an appointment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentSource {
    /// Booked by staff in the console (or through the API).
    Console,
    /// From a calendar (`.ics`) or CSV file staff uploaded.
    File,
    /// Planned on the central system and pulled by the kiosk.
    Central,
}

impl AppointmentSource {
    /// The name in the store and in events: `console`, `file`, `central`.
    pub fn name(&self) -> &'static str {
        match self {
            AppointmentSource::Console => "console",
            AppointmentSource::File => "file",
            AppointmentSource::Central => "central",
        }
    }

    pub fn from_name(name: &str) -> Option<AppointmentSource> {
        [AppointmentSource::Console, AppointmentSource::File, AppointmentSource::Central]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// Where an appointment is in its life: expected → checked in → called → served, or a no-show
/// (never checked in by the end of the call window, or not there when called), or cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AppointmentState {
    Expected,
    /// The visitor checked in and holds this ticket.
    CheckedIn {
        ticket: TicketId,
    },
    Called,
    Served,
    NoShow,
    Cancelled,
}

impl AppointmentState {
    /// The name in the store, the API and the console: `expected`, `checked_in`, …
    pub fn name(&self) -> &'static str {
        match self {
            AppointmentState::Expected => "expected",
            AppointmentState::CheckedIn { .. } => "checked_in",
            AppointmentState::Called => "called",
            AppointmentState::Served => "served",
            AppointmentState::NoShow => "no_show",
            AppointmentState::Cancelled => "cancelled",
        }
    }

    /// Expected, checked in or called: its code is in use.
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            AppointmentState::Expected | AppointmentState::CheckedIn { .. } | AppointmentState::Called
        )
    }
}

/// A visitor's booked time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: AppointmentId,
    /// Stable over moves and cancellation: the central system's uuid, a calendar event's UID
    /// (with its instance), or made by the kiosk.
    pub uid: String,
    pub code: BookingCode,
    pub starts_at: Timestamp,
    pub service: ServiceId,
    /// The desk that will call the visitor; `None`: any desk of the service.
    pub desk: Option<DeskId>,
    /// The visitor's language, when known.
    pub language: Option<String>,
    /// Only when `[appointments] names = true`, as staff typed it; never shown on the kiosk or
    /// the board, never reported, deleted after the day.
    pub name: Option<String>,
    pub source: AppointmentSource,
    pub state: AppointmentState,
    /// The ticket the visitor got at check-in (kept when called and served).
    pub ticket: Option<TicketId>,
    pub checked_in_at: Option<Timestamp>,
}

/// A new appointment, as staff, a file or the central system describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAppointment {
    pub starts_at: Timestamp,
    pub service: ServiceId,
    pub desk: Option<DeskId>,
    pub language: Option<String>,
    pub name: Option<String>,
}

/// A move: what changes (`desk: Some(None)` takes the desk away).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppointmentMove {
    pub starts_at: Option<Timestamp>,
    pub service: Option<ServiceId>,
    pub desk: Option<Option<DeskId>>,
}

/// One appointment read from an `.ics` or `.csv` file (see `appointment_import`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedAppointment {
    /// The calendar event's UID (with its RECURRENCE-ID or instance start), or the CSV's uid
    /// column; stable, so importing the same file twice changes nothing.
    pub uid: String,
    pub starts_at: Timestamp,
    pub service: ServiceId,
    pub desk: Option<DeskId>,
    pub language: Option<String>,
    pub name: Option<String>,
    /// The line of the file it came from, for messages.
    pub line: usize,
    /// The file marks it cancelled (iCalendar `STATUS:CANCELLED`): an import cancels it.
    pub cancelled: bool,
}

/// One appointment of the central system's plan, as the kiosk needs it (the wire type is
/// `loket_protocol`'s `PlannedAppointment`; never a name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentralAppointment {
    pub uid: String,
    /// Six digits; the central system draws it.
    pub code: String,
    pub starts_at: Timestamp,
    pub service: ServiceId,
    pub desk: Option<DeskId>,
    pub language: Option<String>,
    pub cancelled: bool,
}

/// A visitor checked in: their ticket, and when and where they will be called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedIn {
    pub issued: IssuedTicket,
    pub starts_at: Timestamp,
    pub desk: Option<DeskId>,
}

/// Why a code did not check in. The kiosk shows a friendly message for each and offers a
/// normal ticket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckInRefusal {
    #[error("too early: check-in opens at {opens_at}")]
    TooEarly { opens_at: Timestamp },
    #[error("too late for this appointment")]
    TooLate,
    #[error("no appointment has this code")]
    Unknown,
    #[error("this appointment was cancelled")]
    Cancelled,
    #[error("this code was already used")]
    AlreadyUsed,
    #[error("too many wrong codes: try again in {retry_after_seconds} s")]
    SlowDown { retry_after_seconds: u32 },
    /// The kiosk could not record the check-in (its store); nothing changed.
    #[error("the check-in could not be recorded")]
    Unavailable,
}

/// What happens to a late check-in (`[appointments] late_policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatePolicy {
    /// Still called before walk-ins.
    Priority,
    /// Joins the walk-in line.
    WalkIn,
}

/// The rules of `[appointments]`, as the domain needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct AppointmentRules {
    pub enabled: bool,
    /// How long before `starts_at` a visitor may check in.
    pub check_in_early: SignedDuration,
    /// After `starts_at` plus this, a check-in is late (see `late_policy`).
    pub late: SignedDuration,
    pub late_policy: LatePolicy,
    /// After `starts_at` plus this, an appointment never checked in is a no-show, and a
    /// check-in is too late.
    pub call_window: SignedDuration,
    /// Whether staff may give a name.
    pub names: bool,
    /// How long staff plan for one appointment.
    pub expected: SignedDuration,
    pub time_zone: TimeZone,
}

impl AppointmentRules {
    /// The defaults of `[appointments]` (off), in this time zone.
    pub fn defaults(time_zone: TimeZone) -> AppointmentRules {
        AppointmentRules {
            enabled: false,
            check_in_early: SignedDuration::from_mins(30),
            late: SignedDuration::from_mins(15),
            late_policy: LatePolicy::Priority,
            call_window: SignedDuration::from_mins(30),
            names: false,
            expected: SignedDuration::from_mins(20),
            time_zone,
        }
    }

    /// When an appointment never checked in becomes a no-show.
    pub fn no_show_at(&self, appointment: &Appointment) -> Timestamp {
        appointment.starts_at.saturating_add(self.call_window).unwrap_or(appointment.starts_at)
    }

    /// The local day of a moment.
    pub fn day_of(&self, at: Timestamp) -> Date {
        at.to_zoned(self.time_zone.clone()).date()
    }

    /// Whether this appointment may check in at `now`, and how (see the module's rules).
    pub fn check_in(&self, appointment: &Appointment, now: Timestamp) -> Result<Admission, CheckInRefusal> {
        match appointment.state {
            AppointmentState::Expected => {}
            AppointmentState::Cancelled => return Err(CheckInRefusal::Cancelled),
            AppointmentState::CheckedIn { .. } | AppointmentState::Called | AppointmentState::Served => {
                return Err(CheckInRefusal::AlreadyUsed);
            }
            AppointmentState::NoShow => return Err(CheckInRefusal::TooLate),
        }
        let opens_at =
            appointment.starts_at.saturating_sub(self.check_in_early).unwrap_or(appointment.starts_at);
        if now < opens_at {
            return Err(CheckInRefusal::TooEarly { opens_at });
        }
        if now > self.no_show_at(appointment) {
            return Err(CheckInRefusal::TooLate);
        }
        let after_start = now.duration_since(appointment.starts_at);
        let late_minutes = (after_start.as_secs().max(0) / 60) as u32;
        let late = after_start > self.late;
        let priority = !late || self.late_policy == LatePolicy::Priority;
        Ok(Admission { priority, late, late_minutes })
    }
}

/// How a visitor is admitted at check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// Called before walk-ins (see [`crate::queue`]); otherwise a plain walk-in ticket.
    pub priority: bool,
    /// After `starts_at + late_minutes`.
    pub late: bool,
    /// Whole minutes after `starts_at` (0 when early or on time).
    pub late_minutes: u32,
}

/// Why staff, a file or the central plan could not change an appointment. Each message is fit
/// to show to staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppointmentError {
    #[error("appointments are turned off in this help point's config ([appointments] enabled)")]
    Disabled,
    #[error("there is no appointment {0}")]
    UnknownAppointment(i64),
    #[error("there is no service \"{0}\"")]
    UnknownService(String),
    #[error("there is no desk \"{0}\"")]
    UnknownDesk(String),
    #[error("desk \"{desk}\" does not serve \"{service}\"")]
    NotServedByDesk { desk: String, service: String },
    #[error("this help point does not keep names ([appointments] names = false)")]
    NamesOff,
    #[error("the name is too long (at most {MAX_NAME_CHARS} characters) or not one line")]
    BadName,
    #[error("language \"{0}\" is not one the kiosk knows")]
    UnknownLanguage(String),
    #[error("the appointment is {0} and can no longer change")]
    Closed(&'static str),
    #[error("the appointment would start in the past")]
    InThePast,
    #[error("no free booking code: too many open appointments")]
    NoFreeCode,
    #[error("booking code {0} is already used by another open appointment")]
    CodeTaken(String),
    #[error("\"{0}\" is not a six-digit booking code")]
    BadCode(String),
}

/// The longest name staff may give.
pub const MAX_NAME_CHARS: usize = 80;

/// How many codes are drawn before giving up (with fewer than a thousand open appointments out
/// of a million codes, a clash is already rare).
const CODE_ATTEMPTS: u32 = 50;

/// The appointments a kiosk keeps in mind: today's and later ones, and any still open.
/// Finished appointments of past days stay in the store for the figures, not here.
#[derive(Debug, Clone, Default)]
pub struct AppointmentBook {
    appointments: BTreeMap<AppointmentId, Appointment>,
}

impl AppointmentBook {
    pub fn new(appointments: impl IntoIterator<Item = Appointment>) -> AppointmentBook {
        AppointmentBook { appointments: appointments.into_iter().map(|a| (a.id, a)).collect() }
    }

    pub fn get(&self, id: AppointmentId) -> Option<&Appointment> {
        self.appointments.get(&id)
    }

    /// The appointment a code was given to: the open one, else the latest one that had it.
    pub fn by_code(&self, code: BookingCode) -> Option<&Appointment> {
        let mut with_code = self.appointments.values().filter(|a| a.code == code);
        let all: Vec<&Appointment> = with_code.by_ref().collect();
        all.iter().find(|a| a.state.is_open()).or_else(|| all.iter().max_by_key(|a| a.starts_at)).copied()
    }

    /// The appointment with this uid.
    pub fn by_uid(&self, uid: &str) -> Option<&Appointment> {
        self.appointments.values().find(|a| a.uid == uid)
    }

    /// The appointment a ticket was given for.
    pub fn by_ticket(&self, ticket: TicketId) -> Option<&Appointment> {
        self.appointments.values().find(|a| a.ticket == Some(ticket))
    }

    /// Whether an open appointment (other than `except`) holds this code.
    pub fn code_in_use(&self, code: BookingCode, except: Option<AppointmentId>) -> bool {
        self.appointments.values().any(|a| a.code == code && a.state.is_open() && Some(a.id) != except)
    }

    /// A code no open appointment holds, drawn with `draw`.
    pub fn free_code(&self, draw: &mut dyn FnMut() -> BookingCode) -> Result<BookingCode, AppointmentError> {
        (0..CODE_ATTEMPTS)
            .map(|_| draw())
            .find(|c| !self.code_in_use(*c, None))
            .ok_or(AppointmentError::NoFreeCode)
    }

    /// Keeps `appointment` as it is now.
    pub fn put(&mut self, appointment: Appointment) {
        self.appointments.insert(appointment.id, appointment);
    }

    /// All appointments in mind, in no particular order (for counting and filtering).
    pub fn iter(&self) -> impl Iterator<Item = &Appointment> {
        self.appointments.values()
    }

    /// All appointments in mind, by starting time.
    pub fn all(&self) -> Vec<&Appointment> {
        let mut all: Vec<&Appointment> = self.appointments.values().collect();
        all.sort_by_key(|a| (a.starts_at, a.id));
        all
    }

    /// Expected appointments whose call window has ended at `now` (or whose day is over): they
    /// become no-shows.
    pub fn no_shows_due(&self, rules: &AppointmentRules, now: Timestamp) -> Vec<AppointmentId> {
        let today = rules.day_of(now);
        self.appointments
            .values()
            .filter(|a| a.state == AppointmentState::Expected)
            .filter(|a| now > rules.no_show_at(a) || rules.day_of(a.starts_at) < today)
            .map(|a| a.id)
            .collect()
    }

    /// A new day: appointments of past days that are no longer open are let go (the store
    /// keeps them, without their names); later days' appointments and open ones stay.
    pub fn forget_before(&mut self, rules: &AppointmentRules, today: Date) {
        self.appointments.retain(|_, a| a.state.is_open() || rules.day_of(a.starts_at) >= today);
    }

    pub fn len(&self) -> usize {
        self.appointments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.appointments.is_empty()
    }
}

/// Checks a name staff typed: one line, at most [`MAX_NAME_CHARS`] characters, and only where
/// names are on. An empty name is no name.
pub fn check_name(rules: &AppointmentRules, name: Option<&str>) -> Result<Option<String>, AppointmentError> {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if !rules.names {
        return Err(AppointmentError::NamesOff);
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AppointmentError::BadName);
    }
    Ok(Some(name.to_owned()))
}

/// How many wrong codes a kiosk accepts in [`WRONG_CODE_WINDOW_SECONDS`] before it asks to slow
/// down.
pub const WRONG_CODES_PER_MINUTE: usize = 5;
/// The window of [`WRONG_CODES_PER_MINUTE`].
pub const WRONG_CODE_WINDOW_SECONDS: i64 = 60;

/// The wrong codes typed at one kiosk lately: after [`WRONG_CODES_PER_MINUTE`] in a minute,
/// every code (right or wrong) waits until the oldest of them is a minute old. Guessing a code
/// of a million at 5 a minute takes years. Its memory is bounded: it keeps at most the limit's
/// number of times.
#[derive(Debug, Clone)]
pub struct WrongCodeLimit {
    limit: usize,
    window: SignedDuration,
    recent: VecDeque<Timestamp>,
}

impl Default for WrongCodeLimit {
    fn default() -> Self {
        WrongCodeLimit::new(WRONG_CODES_PER_MINUTE, SignedDuration::from_secs(WRONG_CODE_WINDOW_SECONDS))
    }
}

impl WrongCodeLimit {
    pub fn new(limit: usize, window: SignedDuration) -> WrongCodeLimit {
        WrongCodeLimit { limit: limit.max(1), window, recent: VecDeque::new() }
    }

    /// `Err(SlowDown)` while the limit is reached.
    pub fn check(&mut self, now: Timestamp) -> Result<(), CheckInRefusal> {
        while let Some(oldest) = self.recent.front() {
            // A clock stepped back leaves times "in the future": they age out by the window too.
            if now.duration_since(*oldest) >= self.window
                || *oldest > now.saturating_add(self.window).unwrap_or(now)
            {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        if self.recent.len() < self.limit {
            return Ok(());
        }
        let oldest = self.recent.front().copied().unwrap_or(now);
        let wait = self.window - now.duration_since(oldest);
        let retry_after_seconds = wait.as_secs().clamp(1, i64::from(u32::MAX)) as u32;
        Err(CheckInRefusal::SlowDown { retry_after_seconds })
    }

    /// Counts a wrong code.
    pub fn note_wrong(&mut self, now: Timestamp) {
        self.recent.push_back(now);
        while self.recent.len() > self.limit {
            self.recent.pop_front();
        }
    }

    /// How many wrong codes it holds (at most the limit).
    pub fn held(&self) -> usize {
        self.recent.len()
    }
}

/// What happened to an appointment, for the outbox (and the central system) and the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentEvent {
    pub at: Timestamp,
    pub kind: AppointmentEventKind,
    /// The appointment as it is after the change.
    pub appointment: Appointment,
}

/// The kinds of [`AppointmentEvent`]; a call and a service are the ticket's own events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppointmentEventKind {
    Booked,
    Moved,
    Cancelled,
    /// `late_minutes`: whole minutes after the start (0 on time); `ticket`: its code, `A-012`.
    CheckedIn {
        late_minutes: u32,
        ticket: String,
    },
    NoShow,
}

impl AppointmentEvent {
    /// The event's type in the outbox: `appointment_booked`, …
    pub fn name(&self) -> &'static str {
        match self.kind {
            AppointmentEventKind::Booked => "appointment_booked",
            AppointmentEventKind::Moved => "appointment_moved",
            AppointmentEventKind::Cancelled => "appointment_cancelled",
            AppointmentEventKind::CheckedIn { .. } => "appointment_checked_in",
            AppointmentEventKind::NoShow => "appointment_no_show",
        }
    }

    /// The outbox body: pseudonymous, never the name.
    pub fn body(&self) -> serde_json::Value {
        let a = &self.appointment;
        let mut body = serde_json::json!({
            "uid": a.uid,
            "service": a.service,
            "desk": a.desk,
            "language": a.language,
            "starts_at": a.starts_at,
            "source": a.source.name(),
        });
        if let AppointmentEventKind::CheckedIn { late_minutes, ticket } = &self.kind {
            body["checked_in_at"] = serde_json::json!(a.checked_in_at.unwrap_or(self.at));
            body["late_minutes"] = serde_json::json!(late_minutes);
            body["ticket"] = serde_json::json!(ticket);
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::fixtures::at;

    fn rules() -> AppointmentRules {
        AppointmentRules {
            enabled: true,
            ..AppointmentRules::defaults(TimeZone::get("Europe/Brussels").unwrap())
        }
    }

    /// An expected appointment at 10:30 on the fixtures' day.
    fn expected(id: i64, code: u32) -> Appointment {
        Appointment {
            id: AppointmentId(id),
            uid: format!("uid-{id}"),
            code: BookingCode::from_random(code),
            starts_at: at(10, 30),
            service: "email".into(),
            desk: Some("desk-1".into()),
            language: None,
            name: None,
            source: AppointmentSource::Console,
            state: AppointmentState::Expected,
            ticket: None,
            checked_in_at: None,
        }
    }

    #[test]
    fn a_code_is_read_as_typed_spaced_or_scanned() {
        let code = BookingCode::parse("482913").unwrap();
        assert_eq!(BookingCode::parse("482 913"), Some(code));
        assert_eq!(BookingCode::parse("LKT482913"), Some(code));
        assert_eq!(BookingCode::parse("lkt482913"), Some(code));
        assert_eq!(BookingCode::parse(" 482913\n"), Some(code));
        assert_eq!(code.to_string(), "482 913");
        assert_eq!(code.digits(), "482913");
        assert_eq!(code.scan_payload(), "LKT482913");
        assert_eq!(BookingCode::parse("007001").unwrap().to_string(), "007 001");
    }

    #[test]
    fn anything_else_is_no_code() {
        for bad in
            ["", "48291", "4829130", "48291x", "LKT48291", "XYZ482913", "+48291", "４８２９１３", "LKT"]
        {
            assert_eq!(BookingCode::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn random_codes_spread_over_the_million() {
        let codes: std::collections::BTreeSet<BookingCode> =
            (0..200).map(|_| BookingCode::random()).collect();
        assert!(codes.len() > 195, "200 draws of a million give almost no clash: {}", codes.len());
        assert!(codes.iter().all(|c| c.0 <= BookingCode::MAX));
        assert_eq!(BookingCode::from_random(1_482_913).digits(), "482913");
    }

    #[test]
    fn a_code_serialises_as_its_six_digits() {
        let code = BookingCode::parse("012345").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"012345\"");
        assert_eq!(serde_json::from_str::<BookingCode>("\"012 345\"").unwrap(), code);
        assert!(serde_json::from_str::<BookingCode>("\"12345\"").is_err());
    }

    #[test]
    fn check_in_opens_early_minutes_before_the_time() {
        let rules = rules();
        let a = expected(1, 1);
        assert_eq!(rules.check_in(&a, at(9, 59)), Err(CheckInRefusal::TooEarly { opens_at: at(10, 0) }));
        let on_time = rules.check_in(&a, at(10, 0)).unwrap();
        assert_eq!(on_time, Admission { priority: true, late: false, late_minutes: 0 });
        assert_eq!(rules.check_in(&a, at(10, 30)).unwrap().late_minutes, 0);
    }

    #[test]
    fn a_late_check_in_keeps_priority_or_walks_in_per_policy() {
        let mut rules = rules();
        let a = expected(1, 1);
        assert_eq!(
            rules.check_in(&a, at(10, 45)).unwrap(),
            Admission { priority: true, late: false, late_minutes: 15 }
        );
        assert_eq!(
            rules.check_in(&a, at(10, 50)).unwrap(),
            Admission { priority: true, late: true, late_minutes: 20 }
        );
        rules.late_policy = LatePolicy::WalkIn;
        assert!(rules.check_in(&a, at(10, 45)).unwrap().priority, "15 minutes late is not late yet");
        assert_eq!(
            rules.check_in(&a, at(10, 50)).unwrap(),
            Admission { priority: false, late: true, late_minutes: 20 }
        );
    }

    #[test]
    fn after_the_call_window_it_is_too_late() {
        let rules = rules();
        let a = expected(1, 1);
        assert!(rules.check_in(&a, at(11, 0)).is_ok(), "the window's last minute");
        assert_eq!(rules.check_in(&a, at(11, 1)), Err(CheckInRefusal::TooLate));
        let mut tomorrow = a.clone();
        tomorrow.starts_at = at(10, 30) + SignedDuration::from_hours(24);
        assert!(matches!(rules.check_in(&tomorrow, at(10, 30)), Err(CheckInRefusal::TooEarly { .. })));
    }

    #[test]
    fn a_used_cancelled_or_missed_appointment_does_not_check_in() {
        let rules = rules();
        let mut a = expected(1, 1);
        for (state, refusal) in [
            (AppointmentState::CheckedIn { ticket: TicketId(4) }, CheckInRefusal::AlreadyUsed),
            (AppointmentState::Called, CheckInRefusal::AlreadyUsed),
            (AppointmentState::Served, CheckInRefusal::AlreadyUsed),
            (AppointmentState::Cancelled, CheckInRefusal::Cancelled),
            (AppointmentState::NoShow, CheckInRefusal::TooLate),
        ] {
            a.state = state;
            assert_eq!(rules.check_in(&a, at(10, 30)), Err(refusal), "{state:?}");
        }
    }

    #[test]
    fn the_book_finds_the_open_appointment_of_a_code() {
        let mut old = expected(1, 111_111);
        old.state = AppointmentState::Served;
        old.starts_at = at(9, 0);
        let open = expected(2, 111_111);
        let book = AppointmentBook::new([old.clone(), open.clone()]);
        assert_eq!(book.by_code(open.code).unwrap().id, open.id);
        let book = AppointmentBook::new([old.clone()]);
        assert_eq!(book.by_code(old.code).unwrap().id, old.id, "a used code is still known: already used");
        assert!(book.by_code(BookingCode::from_random(222_222)).is_none());
    }

    #[test]
    fn a_new_code_is_never_one_an_open_appointment_holds() {
        let book = AppointmentBook::new([expected(1, 111_111), expected(2, 222_222)]);
        let mut draws = vec![
            BookingCode::from_random(333_333),
            BookingCode::from_random(222_222),
            BookingCode::from_random(111_111),
        ];
        let code = book.free_code(&mut || draws.pop().unwrap()).unwrap();
        assert_eq!(code.digits(), "333333");
        assert_eq!(
            book.free_code(&mut || BookingCode::from_random(111_111)),
            Err(AppointmentError::NoFreeCode)
        );
        let mut served = expected(3, 444_444);
        served.state = AppointmentState::Served;
        let book = AppointmentBook::new([served]);
        assert_eq!(book.free_code(&mut || BookingCode::from_random(444_444)).unwrap().digits(), "444444");
    }

    #[test]
    fn an_appointment_not_checked_in_is_a_no_show_at_the_end_of_its_window() {
        let rules = rules();
        let mut checked_in = expected(2, 2);
        checked_in.state = AppointmentState::CheckedIn { ticket: TicketId(1) };
        let book = AppointmentBook::new([expected(1, 1), checked_in]);
        assert!(book.no_shows_due(&rules, at(11, 0)).is_empty());
        assert_eq!(book.no_shows_due(&rules, at(11, 1)), [AppointmentId(1)], "a checked-in visitor is here");
    }

    #[test]
    fn at_the_end_of_the_day_every_expected_appointment_is_a_no_show() {
        let rules = rules();
        let mut late_evening = expected(1, 1);
        late_evening.starts_at = at(23, 50);
        let book = AppointmentBook::new([late_evening]);
        let next_morning = at(0, 10) + SignedDuration::from_hours(24);
        assert!(book.no_shows_due(&rules, at(23, 59)).is_empty());
        assert_eq!(book.no_shows_due(&rules, next_morning), [AppointmentId(1)]);
    }

    #[test]
    fn a_new_day_keeps_later_appointments_and_lets_past_ones_go() {
        let rules = rules();
        let mut served = expected(1, 1);
        served.state = AppointmentState::Served;
        let mut tomorrow = expected(2, 2);
        tomorrow.starts_at = at(10, 30) + SignedDuration::from_hours(24);
        let mut book = AppointmentBook::new([served, tomorrow]);
        book.forget_before(&rules, jiff::civil::date(2026, 11, 30));
        assert_eq!(book.all().iter().map(|a| a.id.0).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn names_only_where_names_are_on() {
        let mut rules = rules();
        assert_eq!(check_name(&rules, Some("Ann")), Err(AppointmentError::NamesOff));
        assert_eq!(check_name(&rules, Some("  ")), Ok(None), "an empty name is no name");
        rules.names = true;
        assert_eq!(check_name(&rules, Some(" Ann Peeters ")), Ok(Some("Ann Peeters".into())));
        assert_eq!(check_name(&rules, Some("Ann\nPeeters")), Err(AppointmentError::BadName));
        assert_eq!(check_name(&rules, Some(&"a".repeat(81))), Err(AppointmentError::BadName));
    }

    #[test]
    fn five_wrong_codes_a_minute_then_slow_down() {
        let mut limit = WrongCodeLimit::default();
        let start = at(10, 0);
        for i in 0..5 {
            let now = start + SignedDuration::from_secs(i);
            assert_eq!(limit.check(now), Ok(()));
            limit.note_wrong(now);
        }
        assert_eq!(
            limit.check(start + SignedDuration::from_secs(10)),
            Err(CheckInRefusal::SlowDown { retry_after_seconds: 50 })
        );
        assert_eq!(limit.check(start + SignedDuration::from_secs(60)), Ok(()), "the first one aged out");
    }

    #[test]
    fn the_limit_holds_at_most_its_count_whatever_is_typed() {
        let mut limit = WrongCodeLimit::default();
        for i in 0..10_000 {
            limit.note_wrong(at(10, 0) + SignedDuration::from_millis(i));
        }
        assert_eq!(limit.held(), WRONG_CODES_PER_MINUTE);
        // A clock stepped back an hour does not lock the kiosk for an hour.
        assert_eq!(limit.check(at(9, 0)), Ok(()));
    }

    #[test]
    fn an_event_body_names_no_person() {
        let mut a = expected(1, 482_913);
        a.name = Some("Ann Peeters".into());
        a.language = Some("ar".into());
        a.checked_in_at = Some(at(10, 20));
        let event = AppointmentEvent {
            at: at(10, 20),
            kind: AppointmentEventKind::CheckedIn { late_minutes: 0, ticket: "A-003".into() },
            appointment: a,
        };
        let body = event.body();
        assert_eq!(event.name(), "appointment_checked_in");
        assert_eq!(body["uid"], "uid-1");
        assert_eq!(body["desk"], "desk-1");
        assert_eq!(body["language"], "ar");
        assert_eq!(body["source"], "console");
        assert_eq!(body["ticket"], "A-003");
        assert_eq!(body["late_minutes"], 0);
        let text = body.to_string();
        assert!(!text.contains("Ann") && !text.contains("482913"), "{text}");
    }
}
