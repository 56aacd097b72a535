//! Appointments from a file staff drop in or upload: an iCalendar `.ics` file as calendar tools
//! export it ([`ics`]) or a CSV sheet ([`csv`]), read into [`ImportedAppointment`]s, or refused
//! whole with the line and the reason. Both formats are described for staff in
//! `docs/appointments-import.md`.
//!
//! This is a pure parser: it gets the file's bytes and the help point's services, desks, time
//! zone and date range as arguments, and it must not read files, a clock or the store, nor book
//! anything. A broken file gives one [`ImportError`] and no appointments at all, so a caller never
//! imports half a file. It checks what it can know from the config (the service and desk exist,
//! the desk serves the service, the language is one Loket knows); whether a time is bookable is
//! the help point's business.

pub mod csv;
pub mod ics;

use std::ops::Range;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use thiserror::Error;

pub use crate::appointment::ImportedAppointment;
use crate::config::{Desk, Service};
use crate::languages;

/// The largest file taken (2 MiB): a year of a busy help point's appointments is a few hundred
/// kilobytes, so anything bigger is not an appointment list.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// The most lines a file may have.
pub const MAX_LINES: usize = 50_000;
/// The most appointments one file may give (repeats included).
pub const MAX_APPOINTMENTS: usize = 20_000;
/// Longer names are cut to this many characters.
pub const MAX_NAME_CHARS: usize = 80;

/// What an import needs to know about the help point.
#[derive(Debug, Clone, Copy)]
pub struct ImportRules<'a> {
    /// The help point's time zone: CSV times and iCalendar times without a zone are read in it.
    pub time_zone: &'a TimeZone,
    /// Appointments starting before this are left out (e.g. the start of today).
    pub from: Timestamp,
    /// Appointments starting at or after this are left out (e.g. 60 days ahead); repeating events
    /// are expanded up to here.
    pub until: Timestamp,
    /// The configured services, matched by id or by any of their names.
    pub services: &'a [Service],
    /// The configured desks, matched by id or by name.
    pub desks: &'a [Desk],
    /// Whether names are kept (`[appointments] names = true`); when false no name is read.
    pub names: bool,
}

impl<'a> ImportRules<'a> {
    /// Rules for `days` days from the start of `today` in `time_zone`, names off.
    pub fn for_days(
        time_zone: &'a TimeZone,
        today: Date,
        days: i64,
        services: &'a [Service],
        desks: &'a [Desk],
    ) -> ImportRules<'a> {
        let start = |date: Date| {
            time_zone.to_ambiguous_zoned(date.to_datetime(jiff::civil::Time::midnight())).compatible()
        };
        let from = start(today).map(|z| z.timestamp()).unwrap_or(Timestamp::MIN);
        let until = today
            .checked_add(jiff::Span::new().days(days.clamp(0, 3650)))
            .ok()
            .and_then(|day| start(day).ok())
            .map_or(Timestamp::MAX, |z| z.timestamp());
        ImportRules { time_zone, from, until, services, desks, names: false }
    }

    fn in_range(&self, at: Timestamp) -> bool {
        self.from <= at && at < self.until
    }
}

/// Why a file was refused: the line (1-based; none when it is about the whole file) and the
/// reason, in words a staff member can act on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}{reason}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct ImportError {
    /// The line the problem is on, when there is one.
    pub line: Option<usize>,
    /// What is wrong and, where it helps, what to do.
    pub reason: String,
}

impl ImportError {
    pub(crate) fn at(line: usize, reason: impl Into<String>) -> ImportError {
        ImportError { line: Some(line), reason: reason.into() }
    }

    pub(crate) fn whole_file(reason: impl Into<String>) -> ImportError {
        ImportError { line: None, reason: reason.into() }
    }
}

/// Reads an `.ics` or a CSV file, told apart by its content (an iCalendar file starts with
/// `BEGIN:VCALENDAR`).
pub fn parse_appointments(
    bytes: &[u8],
    rules: &ImportRules,
) -> Result<Vec<ImportedAppointment>, ImportError> {
    let text = text_of(bytes)?;
    if text.trim_start().get(..15).is_some_and(|start| start.eq_ignore_ascii_case("BEGIN:VCALENDAR")) {
        ics::parse_ics(bytes, rules)
    } else {
        csv::parse_csv(bytes, rules)
    }
}

/// The file as text: within the size limits, UTF-8 (a byte-order mark is dropped).
pub(crate) fn text_of(bytes: &[u8]) -> Result<&str, ImportError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImportError::whole_file(format!(
            "the file is {} KiB; Loket takes files up to {} KiB — export a shorter period",
            bytes.len().div_ceil(1024),
            MAX_BYTES / 1024
        )));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
        ImportError::at(line, "this line is not UTF-8 text; save the file as UTF-8 (\"CSV UTF-8\" in Excel)")
    })?;
    if text.trim().is_empty() {
        return Err(ImportError::whole_file("the file is empty"));
    }
    if text.lines().nth(MAX_LINES).is_some() {
        return Err(ImportError::at(
            MAX_LINES + 1,
            format!("the file has more than {MAX_LINES} lines — export a shorter period"),
        ));
    }
    Ok(text)
}

/// Lowercase with runs of white space made one space, for matching what staff typed.
fn folded(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The service `text` names exactly: by id or by one of its names, in any case.
pub(crate) fn service_named<'s>(services: &'s [Service], text: &str) -> Option<&'s Service> {
    let wanted = folded(text);
    services.iter().find(|s| s.id == wanted || s.names.values().any(|n| folded(n) == wanted))
}

/// The service a calendar entry's title names, with what is left of the title once that is
/// taken out ("E-mail – Mrs Peeters" → e-mail, "Mrs Peeters"). The title names a service when one
/// of its ids or names appears in it as whole words, and not only inside another service's name
/// ("Smartphone & tablet" is the smartphone service, not the tablet one); naming two services is
/// no answer.
pub(crate) fn service_in_title<'s>(
    services: &'s [Service],
    title: &str,
) -> Result<Option<(&'s Service, String)>, Vec<&'s str>> {
    let title_folded = folded(title);
    let mut matches: Vec<(&Service, Range<usize>, String)> = Vec::new();
    for service in services {
        let mut labels: Vec<String> = service.names.values().map(|n| folded(n)).collect();
        labels.push(service.id.clone());
        labels.sort_by_key(|l| std::cmp::Reverse(l.chars().count()));
        if let Some((span, rest)) = labels.iter().find_map(|label| without_words(&title_folded, label, title))
        {
            matches.push((service, span, rest));
        }
    }
    let inside_another = |span: &Range<usize>| {
        matches
            .iter()
            .any(|(_, other, _)| other != span && other.start <= span.start && span.end <= other.end)
    };
    let mut found: Vec<(&Service, String)> = matches
        .iter()
        .filter(|(_, span, _)| !inside_another(span))
        .map(|(service, _, rest)| (*service, rest.clone()))
        .collect();
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(found.iter().map(|(s, _)| s.id.as_str()).collect()),
    }
}

/// When `label` appears in `haystack` (already folded) as whole words: where, and the original
/// title without it, trimmed of separators.
fn without_words(haystack: &str, label: &str, original: &str) -> Option<(Range<usize>, String)> {
    if label.is_empty() {
        return None;
    }
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    let start = haystack.match_indices(label).map(|(i, _)| i).find(|&i| {
        !is_word(haystack[..i].chars().next_back()) && !is_word(haystack[i + label.len()..].chars().next())
    })?;
    let separators: &[char] = &['-', '–', '—', ':', ',', '/', '|', '(', ')', ' '];
    // The folded title is the original with its spaces made single and its letters lowercase:
    // where lowercasing keeps every length, the same byte positions cut the original.
    let spaced = original.split_whitespace().collect::<Vec<_>>().join(" ");
    if spaced.len() == haystack.len()
        && spaced.chars().zip(haystack.chars()).all(|(a, b)| a.len_utf8() == b.len_utf8())
    {
        let rest = format!("{} {}", &spaced[..start], &spaced[start + label.len()..]);
        let rest = rest.split_whitespace().collect::<Vec<_>>().join(" ").trim_matches(separators).to_string();
        return Some((start..start + label.len(), rest));
    }
    // Otherwise keep the words of the original that do not belong to the label.
    let words_before = haystack[..start].split_whitespace().count();
    let label_words = label.split_whitespace().count();
    let original_words: Vec<&str> = original.split_whitespace().collect();
    let mut rest: Vec<&str> = original_words[..words_before.min(original_words.len())].to_vec();
    let after = (words_before + label_words).min(original_words.len());
    rest.extend_from_slice(&original_words[after..]);
    Some((start..start + label.len(), rest.join(" ").trim_matches(separators).to_string()))
}

/// The ids of the configured services, for error messages.
pub(crate) fn service_ids(services: &[Service]) -> String {
    services.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")
}

/// The desk `text` names: by id or by its name, in any case.
pub(crate) fn desk_named<'d>(desks: &'d [Desk], text: &str) -> Option<&'d Desk> {
    let wanted = folded(text);
    desks.iter().find(|d| d.id == wanted || folded(&d.name) == wanted)
}

/// The desk's id when it serves the service, or why not.
pub(crate) fn desk_for(desk: &Desk, service: &Service) -> Result<String, String> {
    if desk.serves(&service.id) {
        Ok(desk.id.clone())
    } else {
        Err(format!(
            "desk {} does not serve {}; it serves {}",
            desk.id,
            service.id,
            if desk.services.is_empty() { "nothing".to_string() } else { desk.services.join(", ") }
        ))
    }
}

/// The ids of the configured desks, for error messages.
pub(crate) fn desk_ids(desks: &[Desk]) -> String {
    if desks.is_empty() {
        return "none".to_string();
    }
    desks.iter().map(|d| d.id.as_str()).collect::<Vec<_>>().join(", ")
}

/// A language code Loket knows, lowercased; or why not.
pub(crate) fn language_code(text: &str) -> Result<String, String> {
    let code = text.trim().to_lowercase();
    match languages::language(&code) {
        Some(info) => Ok(info.code.to_string()),
        None => Err(format!(
            "\"{}\" is not a language code Loket knows; known codes: {}",
            text.trim(),
            languages::all().iter().map(|l| l.code).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// A name as kept: trimmed, at most [`MAX_NAME_CHARS`] characters, none when empty.
pub(crate) fn kept_name(text: &str) -> Option<String> {
    let name: String =
        text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(MAX_NAME_CHARS).collect();
    (!name.is_empty()).then_some(name)
}

/// Refuses a second appointment with a uid already given, sorts by start.
pub(crate) fn finish(
    mut appointments: Vec<ImportedAppointment>,
) -> Result<Vec<ImportedAppointment>, ImportError> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut duplicate = None;
    for appointment in &appointments {
        if let Some(first) = seen.insert(&appointment.uid, appointment.line) {
            duplicate =
                Some((appointment.line.max(first), appointment.line.min(first), appointment.uid.clone()));
            break;
        }
    }
    if let Some((line, first, uid)) = duplicate {
        return Err(ImportError::at(line, format!("the appointment \"{uid}\" is already on line {first}")));
    }
    appointments.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then_with(|| a.uid.cmp(&b.uid)));
    Ok(appointments)
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::collections::BTreeMap;

    use super::*;

    pub fn service(id: &str, en: &str, nl: &str) -> Service {
        Service {
            id: id.to_string(),
            prefix: id[..1].to_uppercase(),
            pictogram: "question".to_string(),
            names: BTreeMap::from([("en".to_string(), en.to_string()), ("nl".to_string(), nl.to_string())]),
        }
    }

    pub fn desk(id: &str, name: &str, services: &[&str]) -> Desk {
        Desk {
            id: id.to_string(),
            name: name.to_string(),
            services: services.iter().map(|s| s.to_string()).collect(),
            pin_hash: None,
            button_gpio: None,
            led_gpio: None,
        }
    }

    pub fn services() -> Vec<Service> {
        vec![
            service("email", "E-mail", "E-mail"),
            service("smartphone", "Smartphone help", "Hulp met je smartphone"),
            service("itsme", "itsme", "itsme"),
        ]
    }

    pub fn desks() -> Vec<Desk> {
        vec![
            desk("desk-1", "Balie 1", &["email", "smartphone"]),
            desk("desk-2", "Balie 2", &["email", "itsme"]),
        ]
    }

    pub fn brussels() -> TimeZone {
        TimeZone::get("Europe/Brussels").unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn a_service_is_found_by_id_or_any_name_in_any_case() {
        let services = services();
        assert_eq!(service_named(&services, "EMAIL").map(|s| s.id.as_str()), Some("email"));
        assert_eq!(
            service_named(&services, " hulp  met je smartphone ").map(|s| s.id.as_str()),
            Some("smartphone")
        );
        assert!(service_named(&services, "mail").is_none());
    }

    #[test]
    fn a_title_names_a_service_by_whole_words_and_the_rest_is_kept() {
        let services = services();
        let (service, rest) = service_in_title(&services, "E-mail – Mrs Peeters").unwrap().unwrap();
        assert_eq!((service.id.as_str(), rest.as_str()), ("email", "Mrs Peeters"));
        let (service, rest) = service_in_title(&services, "Jan: smartphone help").unwrap().unwrap();
        assert_eq!((service.id.as_str(), rest.as_str()), ("smartphone", "Jan"));
        // "itsme" inside another word is no match.
        assert_eq!(service_in_title(&services, "Gitsmeet").unwrap(), None);
        assert_eq!(service_in_title(&services, "e-mail and itsme").unwrap_err(), vec!["email", "itsme"]);
        // A service's name inside another's longer name is not a second service.
        let mut services = services;
        services.push(super::test_support::service("tablet", "Borrow a tablet", "Tablet lenen"));
        services[1].names.insert("fr".into(), "Smartphone et tablette".into());
        services[1].names.insert("de".into(), "Smartphone & tablet".into());
        let (service, rest) = service_in_title(&services, "Smartphone & Tablet: An").unwrap().unwrap();
        assert_eq!((service.id.as_str(), rest.as_str()), ("smartphone", "An"));
        assert_eq!(
            service_in_title(&services, "Tablet").unwrap().map(|(s, _)| s.id.as_str()),
            Some("tablet")
        );
    }

    #[test]
    fn a_desk_that_does_not_serve_the_service_is_named_in_the_reason() {
        let (desks, services) = (desks(), services());
        let reason = desk_for(&desks[0], &services[2]).unwrap_err();
        assert_eq!(reason, "desk desk-1 does not serve itsme; it serves email, smartphone");
    }

    #[test]
    fn too_big_a_file_is_refused_before_it_is_read() {
        let big = vec![b'a'; MAX_BYTES + 1];
        let error = text_of(&big).unwrap_err();
        assert_eq!(error.line, None);
        assert!(error.reason.contains("up to 2048 KiB"), "{error}");
    }

    #[test]
    fn too_many_lines_are_refused_naming_the_first_line_over() {
        let many = "x\n".repeat(MAX_LINES + 5);
        let error = text_of(many.as_bytes()).unwrap_err();
        assert_eq!(error.line, Some(MAX_LINES + 1));
        assert_eq!(text_of("x\n".repeat(MAX_LINES).as_bytes()).map(|t| t.len()), Ok(2 * MAX_LINES));
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_on_its_line() {
        let error = text_of(b"date,time,service\n2026-12-07,10:30,caf\xE9\n").unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(error.to_string().starts_with("line 2: this line is not UTF-8"), "{error}");
    }

    #[test]
    fn the_same_uid_twice_is_refused_on_the_later_line() {
        let one = |line| ImportedAppointment {
            uid: "a".into(),
            starts_at: Timestamp::UNIX_EPOCH,
            service: "email".into(),
            desk: None,
            language: None,
            name: None,
            line,
            cancelled: false,
        };
        let error = finish(vec![one(9), one(4)]).unwrap_err();
        assert_eq!(error, ImportError::at(9, "the appointment \"a\" is already on line 4"));
    }

    #[test]
    fn the_range_runs_from_the_start_of_today_for_the_days_asked() {
        let (tz, services, desks) = (brussels(), services(), desks());
        let rules = ImportRules::for_days(&tz, jiff::civil::date(2026, 12, 7), 60, &services, &desks);
        assert_eq!(rules.from, "2026-12-06T23:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(rules.until, "2027-02-04T23:00:00Z".parse::<Timestamp>().unwrap());
    }
}
