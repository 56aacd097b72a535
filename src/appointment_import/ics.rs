//! iCalendar (RFC 5545) files as Google Calendar, Outlook/Exchange, Thunderbird and Nextcloud
//! export them, read into appointments: folded lines, `VEVENT`s with their start in UTC, in a
//! named zone (IANA, Thunderbird's `/mozilla.org/…/Europe/Brussels`, Outlook's Windows names, or
//! a `VTIMEZONE` with the site's own offsets) or floating (the site's zone), and the common
//! repeats (`RRULE` with `FREQ=DAILY` or `WEEKLY`, `INTERVAL`, `COUNT`, `UNTIL`, `BYDAY`; `RDATE`,
//! `EXDATE`, and instances moved or cancelled with `RECURRENCE-ID`), expanded within the rules'
//! range.
//!
//! It reads a subset by hand rather than through a crate: what Loket needs is small, and a
//! careful reader of that subset can say on which line a file goes wrong. It must not guess: an
//! all-day event, a repeat it cannot expand or a zone it does not know refuses the file with the
//! line, rather than giving appointments at the wrong time.

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use super::{
    ImportError, ImportRules, ImportedAppointment, MAX_APPOINTMENTS, desk_for, desk_ids, desk_named, finish,
    kept_name, language_code, service_ids, service_in_title, service_named, text_of,
};

/// Reads an iCalendar file: every event with a start in the rules' range, repeats expanded;
/// cancelled events and instances come marked `cancelled` (so an import can cancel them).
pub fn parse_ics(bytes: &[u8], rules: &ImportRules) -> Result<Vec<ImportedAppointment>, ImportError> {
    let text = text_of(bytes)?;
    let calendar = Calendar::read(text)?;
    let mut zones = Zones::new(&calendar.time_zones, rules);

    // A repeating event and the instances moved or cancelled on their own share a UID.
    let mut masters: HashMap<&str, usize> = HashMap::new();
    let mut overrides: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, event) in calendar.events.iter().enumerate() {
        let uid = event.uid()?;
        if event.first("RECURRENCE-ID").is_some() {
            overrides.entry(uid).or_default().push(index);
        } else if let Some(first) = masters.insert(uid, index) {
            return Err(ImportError::at(
                event.begin_line,
                format!(
                    "the event's UID \"{uid}\" is already used by the event on line {}",
                    calendar.events[first].begin_line
                ),
            ));
        }
    }

    let mut appointments = Vec::new();
    for event in &calendar.events {
        let uid = event.uid()?;
        if let Some(recurrence) = event.first("RECURRENCE-ID") {
            let original = match zones.moment(recurrence)? {
                Moment::At(civil, zone) => instant(civil, &zone, recurrence.line)?,
                Moment::Day(_) => return Err(all_day(recurrence.line)),
            };
            let start = event.start(&mut zones)?;
            let starts_at = instant(start.0, &start.1, event.start_line())?;
            if !rules.in_range(starts_at) {
                continue;
            }
            let details = match event.details(rules) {
                Ok(details) => details,
                // A cancelled instance need not name a known service: without it, its
                // appointment is missing from the file, which cancels it too.
                Err(_) if event.is_cancelled() => continue,
                Err(e) => return Err(e),
            };
            appointments.push(details.appointment(
                format!("{uid}/{}", basic_utc(original)),
                starts_at,
                event,
            ));
        } else {
            let moved: HashSet<Timestamp> = match overrides.get(uid) {
                Some(list) => list
                    .iter()
                    .map(|&i| {
                        let recurrence = calendar.events[i].first("RECURRENCE-ID").expect("grouped by it");
                        match zones.moment(recurrence)? {
                            Moment::At(civil, zone) => instant(civil, &zone, recurrence.line),
                            Moment::Day(_) => Err(all_day(recurrence.line)),
                        }
                    })
                    .collect::<Result<_, _>>()?,
                None => HashSet::new(),
            };
            master_instances(event, uid, &moved, &mut zones, rules, &mut appointments)?;
        }
        if appointments.len() > MAX_APPOINTMENTS {
            return Err(ImportError::at(
                event.begin_line,
                format!(
                    "the file gives more than {MAX_APPOINTMENTS} appointments in the period read; \
                     export a shorter period"
                ),
            ));
        }
    }
    finish(appointments)
}

/// The instances of an event that is not an override, within the range.
fn master_instances(
    event: &Event,
    uid: &str,
    moved: &HashSet<Timestamp>,
    zones: &mut Zones,
    rules: &ImportRules,
    appointments: &mut Vec<ImportedAppointment>,
) -> Result<(), ImportError> {
    let repeats = event.first("RRULE").is_some() || event.first("RDATE").is_some();
    let dtstart = event
        .first("DTSTART")
        .ok_or_else(|| ImportError::at(event.begin_line, "the event has no start (DTSTART)"))?;
    let (civil, zone) = match zones.moment(dtstart)? {
        Moment::At(civil, zone) => (civil, zone),
        Moment::Day(day) => {
            let until_day = rules.until.to_zoned(rules.time_zone.clone()).date();
            let from_day = rules.from.to_zoned(rules.time_zone.clone()).date();
            if day < until_day && (repeats || from_day <= day) {
                return Err(all_day(dtstart.line));
            }
            return Ok(());
        }
    };
    let mut starts: Vec<Timestamp> = Vec::new();
    match event.first("RRULE") {
        Some(rrule) => {
            let rule = Rule::read(rrule, zones)?;
            for day in rule.days(civil, &zone, rules)? {
                starts.push(instant(day.to_datetime(civil.time()), &zone, rrule.line)?);
            }
        }
        None => starts.push(instant(civil, &zone, dtstart.line)?),
    }
    for rdate in event.all("RDATE") {
        for moment in zones.moments(rdate)? {
            match moment {
                Moment::At(civil, zone) => starts.push(instant(civil, &zone, rdate.line)?),
                Moment::Day(_) => {
                    return Err(ImportError::at(rdate.line, "an RDATE without a time is not supported"));
                }
            }
        }
    }
    let mut skipped_instants = HashSet::new();
    let mut skipped_days = HashSet::new();
    for exdate in event.all("EXDATE") {
        for moment in zones.moments(exdate)? {
            match moment {
                Moment::At(civil, zone) => skipped_instants.insert(instant(civil, &zone, exdate.line)?),
                Moment::Day(day) => skipped_days.insert(day),
            };
        }
    }
    let starts: BTreeSet<Timestamp> = starts
        .into_iter()
        .filter(|at| rules.in_range(*at) && !moved.contains(at) && !skipped_instants.contains(at))
        .filter(|at| !skipped_days.contains(&at.to_zoned(zone.clone()).date()))
        .collect();
    if starts.is_empty() {
        return Ok(());
    }
    let details = match event.details(rules) {
        Ok(details) => details,
        // As for a cancelled instance: left out, and so cancelled as missing.
        Err(_) if event.is_cancelled() => return Ok(()),
        Err(e) => return Err(e),
    };
    for at in starts {
        let id = if repeats { format!("{uid}/{}", basic_utc(at)) } else { uid.to_string() };
        appointments.push(details.appointment(id, at, event));
    }
    Ok(())
}

fn all_day(line: usize) -> ImportError {
    ImportError::at(
        line,
        "this is an all-day event; an appointment needs a start time — give the event a time, or leave it out of the export",
    )
}

/// A civil time in a zone as an instant; a time skipped by a clock change moves forward.
fn instant(civil: DateTime, zone: &TimeZone, line: usize) -> Result<Timestamp, ImportError> {
    zone.to_ambiguous_zoned(civil)
        .compatible()
        .map(|z| z.timestamp())
        .map_err(|e| ImportError::at(line, format!("this time cannot be placed in its time zone: {e}")))
}

/// `20261207T093000Z`: how an instance's original start is written into its uid.
fn basic_utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// One content line, unfolded: `NAME;PARAM=VALUE:value`.
#[derive(Debug, Clone)]
struct Property {
    /// Upper case.
    name: String,
    /// Names upper case, values without their quotes.
    params: Vec<(String, String)>,
    value: String,
    /// Where the (first physical line of the) property is.
    line: usize,
}

impl Property {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The value as text, with `\,`, `\;`, `\n` and `\\` read.
    fn text(&self) -> String {
        unescape(&self.value)
    }

    /// A list value (`CATEGORIES:a,b\,c`) as its texts.
    fn texts(&self) -> Vec<String> {
        let mut items = vec![String::new()];
        let mut chars = self.value.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    let item = items.last_mut().expect("never empty");
                    item.push('\\');
                    if let Some(next) = chars.next() {
                        item.push(next);
                    }
                }
                ',' => items.push(String::new()),
                c => items.last_mut().expect("never empty").push(c),
            }
        }
        items.iter().map(|i| unescape(i)).filter(|i| !i.trim().is_empty()).collect()
    }
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a content line into its name, parameters and value.
fn property(line: usize, text: &str) -> Result<Property, ImportError> {
    let broken = |why: &str| ImportError::at(line, format!("this is not an iCalendar line ({why})"));
    let name_end = text.find([';', ':']).ok_or_else(|| broken("no ':' before the value"))?;
    let name = &text[..name_end];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(broken("the property's name is not letters, digits and dashes"));
    }
    let mut params = Vec::new();
    let mut rest = &text[name_end..];
    while let Some(after) = rest.strip_prefix(';') {
        let eq = after.find('=').ok_or_else(|| broken("a parameter without '='"))?;
        let param_name = after[..eq].to_ascii_uppercase();
        let mut value_part = &after[eq + 1..];
        let mut values = Vec::new();
        loop {
            if let Some(quoted) = value_part.strip_prefix('"') {
                let close = quoted.find('"').ok_or_else(|| broken("a quote that is not closed"))?;
                values.push(quoted[..close].to_string());
                value_part = &quoted[close + 1..];
            } else {
                let end = value_part.find([',', ';', ':']).unwrap_or(value_part.len());
                values.push(value_part[..end].to_string());
                value_part = &value_part[end..];
            }
            match value_part.strip_prefix(',') {
                Some(more) => value_part = more,
                None => break,
            }
        }
        params.push((param_name, values.join(",")));
        rest = value_part;
    }
    let value = rest.strip_prefix(':').ok_or_else(|| broken("no ':' before the value"))?;
    Ok(Property { name: name.to_ascii_uppercase(), params, value: value.to_string(), line })
}

/// One `VEVENT`: its properties (not those of an alarm inside it).
#[derive(Debug)]
struct Event {
    begin_line: usize,
    properties: Vec<Property>,
}

/// What an event says about the appointment besides its time.
struct Details {
    service: String,
    desk: Option<String>,
    language: Option<String>,
    name: Option<String>,
}

impl Details {
    fn appointment(&self, uid: String, starts_at: Timestamp, event: &Event) -> ImportedAppointment {
        ImportedAppointment {
            uid,
            starts_at,
            service: self.service.clone(),
            desk: self.desk.clone(),
            language: self.language.clone(),
            name: self.name.clone(),
            line: event.begin_line,
            cancelled: event.is_cancelled(),
        }
    }
}

impl Event {
    fn first(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Property> + 's {
        self.properties.iter().filter(move |p| p.name == name)
    }

    fn uid(&self) -> Result<&str, ImportError> {
        match self.first("UID").map(|p| p.value.trim()) {
            Some(uid) if !uid.is_empty() => Ok(uid),
            _ => Err(ImportError::at(
                self.begin_line,
                "the event has no UID; export it from the calendar tool again",
            )),
        }
    }

    fn start_line(&self) -> usize {
        self.first("DTSTART").map_or(self.begin_line, |p| p.line)
    }

    /// The start of an override, which must have a time.
    fn start(&self, zones: &mut Zones) -> Result<(DateTime, TimeZone), ImportError> {
        let dtstart = self
            .first("DTSTART")
            .ok_or_else(|| ImportError::at(self.begin_line, "the event has no start (DTSTART)"))?;
        match zones.moment(dtstart)? {
            Moment::At(civil, zone) => Ok((civil, zone)),
            Moment::Day(_) => Err(all_day(dtstart.line)),
        }
    }

    fn is_cancelled(&self) -> bool {
        self.first("STATUS").is_some_and(|s| s.value.trim().eq_ignore_ascii_case("CANCELLED"))
    }

    /// The service, desk, language and (when names are on) name the event gives.
    fn details(&self, rules: &ImportRules) -> Result<Details, ImportError> {
        let summary = self.first("SUMMARY").map(|p| (p.text(), p.line));
        let title = summary.as_ref().map_or("", |(t, _)| t.as_str());

        // Which service: said outright, as a category, or in the title.
        let mut rest_of_title = None;
        let service = if let Some(said) = self.first("X-LOKET-SERVICE") {
            service_named(rules.services, &said.text()).ok_or_else(|| {
                ImportError::at(
                    said.line,
                    format!(
                        "X-LOKET-SERVICE \"{}\" is not a service here; services: {}",
                        said.text().trim(),
                        service_ids(rules.services)
                    ),
                )
            })?
        } else if let Some(found) = self
            .all("CATEGORIES")
            .flat_map(|p| p.texts())
            .find_map(|category| service_named(rules.services, &category))
        {
            found
        } else {
            let line = summary.as_ref().map_or(self.begin_line, |(_, l)| *l);
            match service_in_title(rules.services, title) {
                Ok(Some((service, rest))) => {
                    rest_of_title = Some(rest);
                    service
                }
                Ok(None) => {
                    return Err(ImportError::at(
                        line,
                        format!(
                            "no service found for this event: its title \"{}\" and its categories name none of \
                             the services here ({}); put a service's id or name in the title or the categories",
                            title.trim(),
                            service_ids(rules.services)
                        ),
                    ));
                }
                Err(several) => {
                    return Err(ImportError::at(
                        line,
                        format!(
                            "the title \"{}\" names more than one service ({}); say which with a category",
                            title.trim(),
                            several.join(", ")
                        ),
                    ));
                }
            }
        };

        let desk = match (self.first("X-LOKET-DESK"), self.first("LOCATION")) {
            (Some(said), _) => {
                let desk = desk_named(rules.desks, &said.text()).ok_or_else(|| {
                    ImportError::at(
                        said.line,
                        format!(
                            "X-LOKET-DESK \"{}\" is not a desk here; desks: {}",
                            said.text().trim(),
                            desk_ids(rules.desks)
                        ),
                    )
                })?;
                Some(desk_for(desk, service).map_err(|why| ImportError::at(said.line, why))?)
            }
            (None, Some(location)) => match desk_named(rules.desks, &location.text()) {
                Some(desk) => {
                    Some(desk_for(desk, service).map_err(|why| ImportError::at(location.line, why))?)
                }
                None => None,
            },
            (None, None) => None,
        };

        let language = match self.first("X-LOKET-LANGUAGE") {
            Some(said) => Some(language_code(&said.text()).map_err(|why| ImportError::at(said.line, why))?),
            None => None,
        };

        let name = if rules.names { self.name(title, rest_of_title, rules) } else { None };
        Ok(Details { service: service.id.clone(), desk, language, name })
    }

    /// The visitor's name: the first attendee who is not the organiser, by their CN; else what
    /// the title says besides the service.
    fn name(&self, title: &str, rest_of_title: Option<String>, rules: &ImportRules) -> Option<String> {
        let organiser = self.first("ORGANIZER").map(|o| o.value.trim().to_ascii_lowercase());
        let attendee = self
            .all("ATTENDEE")
            .filter(|a| a.param("ROLE").is_none_or(|r| !r.eq_ignore_ascii_case("CHAIR")))
            .filter(|a| organiser.as_deref() != Some(a.value.trim().to_ascii_lowercase().as_str()))
            .find_map(|a| a.param("CN").and_then(kept_name));
        attendee.or_else(|| match rest_of_title {
            Some(rest) => kept_name(&rest),
            None if service_named(rules.services, title).is_some() => None,
            None => kept_name(title),
        })
    }
}

/// The events and time zones of a file.
#[derive(Debug, Default)]
struct Calendar {
    events: Vec<Event>,
    /// `VTIMEZONE`s by `TZID`: the UTC offsets (seconds) their parts change to.
    time_zones: HashMap<String, BTreeSet<i32>>,
}

impl Calendar {
    fn read(text: &str) -> Result<Calendar, ImportError> {
        let mut calendar = Calendar::default();
        // Open components with the line they began on.
        let mut open: Vec<(String, usize)> = Vec::new();
        let mut event: Option<Event> = None;
        let mut zone: Option<(Option<String>, BTreeSet<i32>)> = None;
        let mut seen_calendar = false;
        for (line, content) in unfolded(text) {
            let property = property(line, &content)?;
            match property.name.as_str() {
                "BEGIN" => {
                    let component = property.value.trim().to_ascii_uppercase();
                    match (open.len(), component.as_str()) {
                        (0, "VCALENDAR") => seen_calendar = true,
                        (0, _) => {
                            return Err(ImportError::at(
                                line,
                                format!("{component} outside BEGIN:VCALENDAR; this is not an iCalendar file"),
                            ));
                        }
                        (1, "VEVENT") => event = Some(Event { begin_line: line, properties: Vec::new() }),
                        (1, "VTIMEZONE") => zone = Some((None, BTreeSet::new())),
                        _ => {}
                    }
                    open.push((component, line));
                }
                "END" => {
                    let component = property.value.trim().to_ascii_uppercase();
                    match open.last() {
                        Some((begun, _)) if *begun == component => {
                            open.pop();
                        }
                        Some((begun, begun_line)) if open.iter().any(|(c, _)| *c == component) => {
                            return Err(ImportError::at(
                                *begun_line,
                                format!(
                                    "BEGIN:{begun} is never closed with END:{begun} (END:{component} on line {line} \
                                     comes first)"
                                ),
                            ));
                        }
                        _ => {
                            return Err(ImportError::at(
                                line,
                                format!("END:{component} without a BEGIN:{component} before it"),
                            ));
                        }
                    }
                    match (open.len(), component.as_str()) {
                        (1, "VEVENT") => calendar.events.extend(event.take()),
                        (1, "VTIMEZONE") => {
                            if let Some((Some(tzid), offsets)) = zone.take() {
                                calendar.time_zones.insert(tzid, offsets);
                            }
                        }
                        _ => {}
                    }
                }
                _ if open.is_empty() => {
                    return Err(ImportError::at(
                        line,
                        "a line outside BEGIN:VCALENDAR … END:VCALENDAR; this is not an iCalendar file",
                    ));
                }
                _ => {
                    match (open.len(), open.last().map(|(c, _)| c.as_str()), event.as_mut(), zone.as_mut()) {
                        (2, Some("VEVENT"), Some(event), _) => event.properties.push(property),
                        (2, Some("VTIMEZONE"), _, Some(zone)) if property.name == "TZID" => {
                            zone.0 = Some(property.value.trim().to_string());
                        }
                        (3, _, _, Some(zone)) if property.name == "TZOFFSETTO" => {
                            if let Some(seconds) = utc_offset(&property.value) {
                                zone.1.insert(seconds);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        if let Some((component, begun)) = open.last() {
            return Err(ImportError::at(
                *begun,
                format!("BEGIN:{component} is never closed with END:{component}"),
            ));
        }
        if !seen_calendar {
            return Err(ImportError::whole_file("this is not an iCalendar file (no BEGIN:VCALENDAR)"));
        }
        Ok(calendar)
    }
}

/// `+0100`, `-0330`, `+013000` as seconds east of UTC.
fn utc_offset(value: &str) -> Option<i32> {
    let value = value.trim();
    let sign = match value.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits = &value[1..];
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| digits.get(range).and_then(|d| d.parse::<i32>().ok());
    Some(sign * (number(0..2)? * 3600 + number(2..4)? * 60 + number(4..6).unwrap_or(0)))
}

/// The logical lines of the text with the number of their first physical line; a line that
/// starts with a space or a tab continues the one before (RFC 5545 §3.1). Blank lines are
/// skipped.
fn unfolded(text: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (index, physical) in text.split('\n').enumerate() {
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        match (physical.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(continued), Some((_, last))) => last.push_str(continued),
            _ if physical.trim().is_empty() => {}
            _ => lines.push((index + 1, physical.to_string())),
        }
    }
    lines
}

/// A date-time value as written: a day, or a civil time in the zone it is read in.
enum Moment {
    Day(Date),
    At(DateTime, TimeZone),
}

/// The zones a file's times are in, looked up once per `TZID`.
struct Zones<'r> {
    defined: &'r HashMap<String, BTreeSet<i32>>,
    site: &'r TimeZone,
    /// The site's offsets in winter and summer, to recognise a `VTIMEZONE` with a made-up name.
    site_offsets: BTreeSet<i32>,
    found: HashMap<String, TimeZone>,
}

impl<'r> Zones<'r> {
    fn new(defined: &'r HashMap<String, BTreeSet<i32>>, rules: &'r ImportRules) -> Zones<'r> {
        let year = rules.from.to_zoned(TimeZone::UTC).year();
        let site_offsets = [1, 7]
            .into_iter()
            .filter_map(|month| jiff::civil::date(year, month, 15).to_zoned(rules.time_zone.clone()).ok())
            .map(|z| z.offset().seconds())
            .collect();
        Zones { defined, site: rules.time_zone, site_offsets, found: HashMap::new() }
    }

    /// The one moment of a DTSTART or RECURRENCE-ID.
    fn moment(&mut self, property: &Property) -> Result<Moment, ImportError> {
        let mut moments = self.moments(property)?;
        match (moments.pop(), moments.is_empty()) {
            (Some(moment), true) => Ok(moment),
            _ => Err(ImportError::at(property.line, format!("{} must be one date-time", property.name))),
        }
    }

    /// The moments of a date-time property (EXDATE and RDATE may list several).
    fn moments(&mut self, property: &Property) -> Result<Vec<Moment>, ImportError> {
        let line = property.line;
        let value_type = property.param("VALUE").map(str::to_ascii_uppercase);
        if value_type.as_deref() == Some("PERIOD") {
            return Err(ImportError::at(line, format!("{} with periods is not supported", property.name)));
        }
        let zone = match property.param("TZID") {
            Some(tzid) => Some(self.zone(tzid, line)?),
            None => None,
        };
        let mut moments = Vec::new();
        for value in property.value.split(',').map(str::trim) {
            let bad = || {
                ImportError::at(
                    line,
                    format!(
                        "{}: \"{value}\" is not a date (20261207) or a date-time (20261207T103000, with Z for UTC)",
                        property.name
                    ),
                )
            };
            if value.len() == 8 || value_type.as_deref() == Some("DATE") {
                moments.push(Moment::Day(basic_date(value).ok_or_else(bad)?));
                continue;
            }
            let (civil, utc) = match value.strip_suffix(['Z', 'z']) {
                Some(civil) => (civil, true),
                None => (value, false),
            };
            let civil = basic_date_time(civil).ok_or_else(bad)?;
            let zone = match (utc, &zone) {
                (true, _) => TimeZone::UTC,
                (false, Some(zone)) => zone.clone(),
                (false, None) => self.site.clone(),
            };
            moments.push(Moment::At(civil, zone));
        }
        Ok(moments)
    }

    fn zone(&mut self, tzid: &str, line: usize) -> Result<TimeZone, ImportError> {
        if let Some(zone) = self.found.get(tzid) {
            return Ok(zone.clone());
        }
        let tzid_trimmed = tzid.trim();
        // An IANA name, possibly behind a prefix such as Thunderbird's "/mozilla.org/20050126_1/".
        let iana = std::iter::once(tzid_trimmed)
            .chain(tzid_trimmed.match_indices('/').map(|(i, _)| &tzid_trimmed[i + 1..]))
            .filter(|name| name.contains('/') || *name == "UTC" || *name == "GMT")
            .find_map(|name| TimeZone::get(name).ok());
        let zone = iana
            .or_else(|| windows_zone(tzid_trimmed).and_then(|name| TimeZone::get(name).ok()))
            .or_else(|| {
                // A zone the file defines under a name of its own ("Customized Time Zone") with the
                // site's offsets is the site's zone.
                let offsets = self.defined.get(tzid)?;
                (!offsets.is_empty() && *offsets == self.site_offsets).then(|| self.site.clone())
            })
            .ok_or_else(|| {
                ImportError::at(
                    line,
                    format!(
                        "the time zone \"{tzid_trimmed}\" is not one Loket knows; export the calendar \
                         with a time zone such as Europe/Brussels, or in UTC"
                    ),
                )
            })?;
        self.found.insert(tzid.to_string(), zone.clone());
        Ok(zone)
    }
}

/// The IANA zone of a Windows time zone name, as Outlook and Exchange write them (CLDR's
/// mapping, for the zones of the help points' regions and their visitors').
fn windows_zone(name: &str) -> Option<&'static str> {
    const ZONES: &[(&str, &str)] = &[
        ("Romance Standard Time", "Europe/Paris"),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Central Europe Standard Time", "Europe/Budapest"),
        ("Central European Standard Time", "Europe/Warsaw"),
        ("GMT Standard Time", "Europe/London"),
        ("Greenwich Standard Time", "Atlantic/Reykjavik"),
        ("GTB Standard Time", "Europe/Bucharest"),
        ("FLE Standard Time", "Europe/Helsinki"),
        ("E. Europe Standard Time", "Europe/Chisinau"),
        ("Turkey Standard Time", "Europe/Istanbul"),
        ("Russian Standard Time", "Europe/Moscow"),
        ("Morocco Standard Time", "Africa/Casablanca"),
        ("W. Central Africa Standard Time", "Africa/Lagos"),
        ("E. Africa Standard Time", "Africa/Nairobi"),
        ("South Africa Standard Time", "Africa/Johannesburg"),
        ("Egypt Standard Time", "Africa/Cairo"),
        ("Israel Standard Time", "Asia/Jerusalem"),
        ("Syria Standard Time", "Asia/Damascus"),
        ("Arab Standard Time", "Asia/Riyadh"),
        ("Arabic Standard Time", "Asia/Baghdad"),
        ("Iran Standard Time", "Asia/Tehran"),
        ("Afghanistan Standard Time", "Asia/Kabul"),
        ("Pakistan Standard Time", "Asia/Karachi"),
        ("India Standard Time", "Asia/Kolkata"),
        ("China Standard Time", "Asia/Shanghai"),
        ("Tokyo Standard Time", "Asia/Tokyo"),
        ("AUS Eastern Standard Time", "Australia/Sydney"),
        ("Eastern Standard Time", "America/New_York"),
        ("Central Standard Time", "America/Chicago"),
        ("Mountain Standard Time", "America/Denver"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("UTC", "UTC"),
        ("Coordinated Universal Time", "UTC"),
    ];
    ZONES.iter().find(|(windows, _)| windows.eq_ignore_ascii_case(name)).map(|(_, iana)| *iana)
}

/// `20261207`.
fn basic_date(value: &str) -> Option<Date> {
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i16 = value[0..4].parse().ok()?;
    let month: i8 = value[4..6].parse().ok()?;
    let day: i8 = value[6..8].parse().ok()?;
    Date::new(year, month, day).ok()
}

/// `20261207T103000`.
fn basic_date_time(value: &str) -> Option<DateTime> {
    let (date, time) = value.split_once(['T', 't'])?;
    if time.len() != 6 || !time.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hour: i8 = time[0..2].parse().ok()?;
    let minute: i8 = time[2..4].parse().ok()?;
    let second: i8 = time[4..6].parse().ok()?;
    let time = jiff::civil::Time::new(hour, minute, second.min(59), 0).ok()?;
    Some(basic_date(date)?.to_datetime(time))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frequency {
    Daily,
    Weekly,
}

/// Where a repeat ends.
enum Until {
    Day(Date),
    At(Timestamp),
    Civil(DateTime),
}

/// An `RRULE` of the kinds Loket expands.
struct Rule {
    frequency: Frequency,
    interval: i64,
    count: Option<u32>,
    until: Option<Until>,
    /// Empty: the start's own weekday (weekly) or every day (daily).
    days: Vec<Weekday>,
    week_start: Weekday,
    line: usize,
}

/// The most periods one repeat is walked through, so no rule makes the import spin.
const MAX_PERIODS: i64 = 200_000;

impl Rule {
    fn read(property: &Property, zones: &mut Zones) -> Result<Rule, ImportError> {
        let line = property.line;
        let unsupported = |what: &str| {
            ImportError::at(
                line,
                format!(
                    "this repeat ({what}) is not supported; Loket expands daily and weekly repeats — export the dates one by one"
                ),
            )
        };
        let mut rule = Rule {
            frequency: Frequency::Daily,
            interval: 1,
            count: None,
            until: None,
            days: Vec::new(),
            week_start: Weekday::Monday,
            line,
        };
        let mut frequency = None;
        for part in property.value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| ImportError::at(line, format!("RRULE: \"{part}\" is not NAME=VALUE")))?;
            let bad = || ImportError::at(line, format!("RRULE: {key}={value} is not valid"));
            match key.to_ascii_uppercase().as_str() {
                "FREQ" => {
                    frequency = Some(match value.to_ascii_uppercase().as_str() {
                        "DAILY" => Frequency::Daily,
                        "WEEKLY" => Frequency::Weekly,
                        _ => return Err(unsupported(part)),
                    })
                }
                "INTERVAL" => {
                    rule.interval = value.parse().ok().filter(|i| (1..=1000).contains(i)).ok_or_else(bad)?
                }
                "COUNT" => rule.count = Some(value.parse().ok().filter(|c| *c >= 1).ok_or_else(bad)?),
                "UNTIL" => {
                    let until =
                        Property { name: "UNTIL".into(), params: Vec::new(), value: value.into(), line };
                    rule.until = Some(match zones.moment(&until)? {
                        Moment::Day(day) => Until::Day(day),
                        Moment::At(civil, zone) if value.ends_with(['Z', 'z']) => {
                            Until::At(instant(civil, &zone, line)?)
                        }
                        Moment::At(civil, _) => Until::Civil(civil),
                    });
                }
                "BYDAY" => {
                    for day in value.split(',') {
                        rule.days.push(weekday(day.trim()).ok_or_else(|| {
                            if day.trim().starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+') {
                                unsupported(part)
                            } else {
                                bad()
                            }
                        })?);
                    }
                }
                "WKST" => rule.week_start = weekday(value).ok_or_else(bad)?,
                _ => return Err(unsupported(part)),
            }
        }
        rule.frequency = frequency.ok_or_else(|| ImportError::at(line, "RRULE without FREQ"))?;
        if rule.count.is_some() && rule.until.is_some() {
            return Err(ImportError::at(line, "RRULE has both COUNT and UNTIL; it may have only one"));
        }
        Ok(rule)
    }

    /// The days the event happens on, in order, from its first up to the end of the range.
    fn days(&self, start: DateTime, zone: &TimeZone, rules: &ImportRules) -> Result<Vec<Date>, ImportError> {
        let first = start.date();
        let last_day = rules.until.to_zoned(zone.clone()).date();
        let from_day = rules.from.to_zoned(zone.clone()).date();
        let period_days = match self.frequency {
            Frequency::Daily => self.interval,
            Frequency::Weekly => 7 * self.interval,
        };
        // Without a COUNT, periods wholly before the range need not be walked.
        let skip = match self.count {
            None => ((first.until(from_day).map_or(0, |s| s.get_days() as i64) - 7) / period_days).max(0),
            Some(_) => 0,
        };
        // Weekly repeats run week by week from the week (by WKST) the event starts in.
        let week_of_first = first
            .checked_sub(Span::new().days(i64::from(self.week_start.until(first.weekday()))))
            .map_err(|e| ImportError::at(self.line, format!("RRULE: {e}")))?;
        let mut weekdays: Vec<i64> = match (self.frequency, self.days.is_empty()) {
            (Frequency::Weekly, true) => vec![i64::from(self.week_start.until(first.weekday()))],
            (Frequency::Weekly, false) => {
                self.days.iter().map(|d| i64::from(self.week_start.until(*d))).collect()
            }
            (Frequency::Daily, _) => vec![0],
        };
        weekdays.sort_unstable();
        weekdays.dedup();

        let mut days = vec![first];
        let mut counted = 1u32;
        'periods: for period in skip..skip + MAX_PERIODS {
            let base = match self.frequency {
                Frequency::Daily => first,
                Frequency::Weekly => week_of_first,
            };
            for &offset in &weekdays {
                let Some(day) = base.checked_add(Span::new().days(period * period_days + offset)).ok() else {
                    break 'periods;
                };
                if day <= first {
                    continue;
                }
                if self.frequency == Frequency::Daily
                    && !self.days.is_empty()
                    && !self.days.contains(&day.weekday())
                {
                    continue;
                }
                if day > last_day || self.count.is_some_and(|c| counted >= c) {
                    break 'periods;
                }
                let ended = match &self.until {
                    Some(Until::Day(until)) => day > *until,
                    Some(Until::Civil(until)) => day.to_datetime(start.time()) > *until,
                    Some(Until::At(until)) => {
                        instant(day.to_datetime(start.time()), zone, self.line)? > *until
                    }
                    None => false,
                };
                if ended {
                    break 'periods;
                }
                counted += 1;
                days.push(day);
            }
        }
        Ok(days)
    }
}

fn weekday(code: &str) -> Option<Weekday> {
    Some(match code.to_ascii_uppercase().as_str() {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    /// A calendar around the given events, CRLF like the tools write it.
    fn calendar(events: &str) -> Vec<u8> {
        let body =
            format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//EN\n{}\nEND:VCALENDAR\n", events.trim());
        body.lines().map(|l| format!("{l}\r\n")).collect::<String>().into_bytes()
    }

    fn read(events: &str, names: bool) -> Result<Vec<ImportedAppointment>, ImportError> {
        let (tz, services, desks) = (brussels(), services(), desks());
        let mut rules = ImportRules::for_days(&tz, jiff::civil::date(2026, 12, 1), 60, &services, &desks);
        rules.names = names;
        parse_ics(&calendar(events), &rules)
    }

    fn starts(appointments: &[ImportedAppointment]) -> Vec<String> {
        appointments
            .iter()
            .map(|a| a.starts_at.to_zoned(brussels()).strftime("%a %Y-%m-%d %H:%M").to_string())
            .collect()
    }

    #[test]
    fn a_folded_line_is_read_whole() {
        let lines = unfolded("SUMMARY:E-mail met\r\n  mevrouw Peeters\r\nUID:1\r\n");
        assert_eq!(
            lines,
            vec![(1, "SUMMARY:E-mail met mevrouw Peeters".to_string()), (3, "UID:1".to_string())]
        );
    }

    #[test]
    fn quoted_parameters_may_hold_colons_and_semicolons() {
        let p = property(4, "ATTENDEE;CN=\"Peeters; An: mevr.\";ROLE=REQ-PARTICIPANT:mailto:an@example.org")
            .unwrap();
        assert_eq!(p.param("CN"), Some("Peeters; An: mevr."));
        assert_eq!(p.value, "mailto:an@example.org");
        let error = property(7, "DTSTART;TZID=\"Europe/Brussels:20261207T103000").unwrap_err();
        assert_eq!(error.line, Some(7));
    }

    #[test]
    fn an_event_in_utc_in_a_zone_and_floating_lands_at_the_same_instant() {
        let appointments = read(
            "BEGIN:VEVENT\nUID:a\nDTSTART:20261207T093000Z\nSUMMARY:E-mail\nEND:VEVENT\n\
             BEGIN:VEVENT\nUID:b\nDTSTART;TZID=Europe/Brussels:20261207T103000\nSUMMARY:E-mail\nEND:VEVENT\n\
             BEGIN:VEVENT\nUID:c\nDTSTART:20261207T103000\nSUMMARY:E-mail\nEND:VEVENT",
            false,
        )
        .unwrap();
        assert_eq!(appointments.len(), 3);
        assert!(
            appointments.iter().all(|a| a.starts_at == "2026-12-07T09:30:00Z".parse::<Timestamp>().unwrap())
        );
    }

    #[test]
    fn a_weekly_repeat_keeps_its_local_time_across_a_clock_change() {
        let (tz, services, desks) = (brussels(), services(), desks());
        let rules = ImportRules::for_days(&tz, jiff::civil::date(2027, 3, 20), 14, &services, &desks);
        let file = calendar(
            "BEGIN:VEVENT\nUID:w\nDTSTART;TZID=Europe/Brussels:20270308T100000\nRRULE:FREQ=WEEKLY\nSUMMARY:E-mail\nEND:VEVENT",
        );
        let appointments = parse_ics(&file, &rules).unwrap();
        assert_eq!(starts(&appointments), ["Mon 2027-03-22 10:00", "Mon 2027-03-29 10:00"]);
        // Before and after the change to summer time (28 March): 09:00 and 08:00 UTC.
        assert_eq!(appointments[0].uid, "w/20270322T090000Z");
        assert_eq!(appointments[1].uid, "w/20270329T080000Z");
    }

    #[test]
    fn byday_interval_and_count_give_the_right_days() {
        let appointments = read(
            "BEGIN:VEVENT\nUID:r\nDTSTART;TZID=Europe/Brussels:20261201T140000\n\
             RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=5\nSUMMARY:itsme\nEND:VEVENT",
            false,
        )
        .unwrap();
        assert_eq!(
            starts(&appointments),
            [
                "Tue 2026-12-01 14:00",
                "Thu 2026-12-03 14:00",
                "Tue 2026-12-15 14:00",
                "Thu 2026-12-17 14:00",
                "Tue 2026-12-29 14:00"
            ]
        );
    }

    #[test]
    fn a_daily_repeat_stops_at_until_and_skips_its_exdates() {
        let appointments = read(
            "BEGIN:VEVENT\nUID:d\nDTSTART;TZID=Europe/Brussels:20261207T090000\n\
             RRULE:FREQ=DAILY;UNTIL=20261210T080000Z\n\
             EXDATE;TZID=Europe/Brussels:20261208T090000\nSUMMARY:E-mail\nEND:VEVENT",
            false,
        )
        .unwrap();
        assert_eq!(
            starts(&appointments),
            ["Mon 2026-12-07 09:00", "Wed 2026-12-09 09:00", "Thu 2026-12-10 09:00"]
        );
    }

    #[test]
    fn a_repeat_without_end_stops_at_the_end_of_the_range() {
        let appointments = read(
            "BEGIN:VEVENT\nUID:long\nDTSTART:20200106T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO\nSUMMARY:E-mail\nEND:VEVENT",
            false,
        )
        .unwrap();
        // 60 days from Tuesday 1 December 2026: the Mondays 7 December .. 25 January.
        assert_eq!(appointments.len(), 8);
        assert_eq!(starts(&appointments)[0], "Mon 2026-12-07 10:00");
        assert_eq!(starts(&appointments)[7], "Mon 2027-01-25 10:00");
    }

    #[test]
    fn a_moved_instance_replaces_its_original_and_a_cancelled_one_comes_marked_cancelled() {
        let appointments = read(
            "BEGIN:VEVENT\nUID:m\nDTSTART;TZID=Europe/Brussels:20261207T100000\nRRULE:FREQ=DAILY;COUNT=3\n\
             SUMMARY:E-mail\nEND:VEVENT\n\
             BEGIN:VEVENT\nUID:m\nRECURRENCE-ID;TZID=Europe/Brussels:20261208T100000\n\
             DTSTART;TZID=Europe/Brussels:20261208T153000\nSUMMARY:E-mail\nLOCATION:Balie 2\nEND:VEVENT\n\
             BEGIN:VEVENT\nUID:m\nRECURRENCE-ID:20261209T090000Z\nDTSTART:20261209T090000Z\nSTATUS:CANCELLED\n\
             SUMMARY:E-mail\nEND:VEVENT",
            false,
        )
        .unwrap();
        assert_eq!(
            starts(&appointments),
            ["Mon 2026-12-07 10:00", "Tue 2026-12-08 15:30", "Wed 2026-12-09 10:00"]
        );
        assert_eq!(appointments[1].uid, "m/20261208T090000Z", "the uid keeps the original start");
        assert_eq!(appointments[1].desk.as_deref(), Some("desk-2"));
        assert_eq!(appointments[0].desk, None);
        let cancelled: Vec<(&str, bool)> =
            appointments.iter().map(|a| (a.uid.as_str(), a.cancelled)).collect();
        assert_eq!(
            cancelled,
            [("m/20261207T090000Z", false), ("m/20261208T090000Z", false), ("m/20261209T090000Z", true)],
            "the cancelled instance keeps its uid, so the one booked before can be cancelled"
        );
    }

    #[test]
    fn a_cancelled_event_comes_marked_cancelled_and_one_without_a_known_service_is_left_out() {
        let appointments = read(
            "BEGIN:VEVENT\nUID:c\nDTSTART:20261207T090000Z\nSTATUS:CANCELLED\nSUMMARY:E-mail\nEND:VEVENT\n\
             BEGIN:VEVENT\nUID:d\nDTSTART:20261207T100000Z\nSTATUS:CANCELLED\nSUMMARY:Lunch\nEND:VEVENT\n\
             BEGIN:VEVENT\nUID:e\nDTSTART:20261207T110000Z\nSUMMARY:E-mail\nEND:VEVENT",
            false,
        )
        .unwrap();
        let seen: Vec<(&str, bool)> = appointments.iter().map(|a| (a.uid.as_str(), a.cancelled)).collect();
        assert_eq!(seen, [("c", true), ("e", false)]);
    }

    #[test]
    fn an_all_day_event_in_the_range_is_refused_on_its_start_line() {
        let error =
            read("BEGIN:VEVENT\nUID:x\nDTSTART;VALUE=DATE:20261207\nSUMMARY:E-mail\nEND:VEVENT", false)
                .unwrap_err();
        assert_eq!(error.line, Some(6));
        assert!(error.reason.contains("all-day"), "{error}");
        // One from last year does not stop the import.
        let old =
            read("BEGIN:VEVENT\nUID:x\nDTSTART;VALUE=DATE:20251207\nSUMMARY:Holiday\nEND:VEVENT", false);
        assert_eq!(old, Ok(vec![]));
    }

    #[test]
    fn service_desk_and_language_come_from_the_loket_properties() {
        let appointments = read(
            "BEGIN:VEVENT\nUID:p\nDTSTART:20261207T090000Z\nSUMMARY:Afspraak\nX-LOKET-SERVICE:itsme\n\
             X-LOKET-DESK:desk-2\nX-LOKET-LANGUAGE:AR\nEND:VEVENT",
            false,
        )
        .unwrap();
        let a = &appointments[0];
        assert_eq!(
            (a.service.as_str(), a.desk.as_deref(), a.language.as_deref(), a.name.as_deref()),
            ("itsme", Some("desk-2"), Some("ar"), None)
        );
    }

    #[test]
    fn a_category_names_the_service_when_the_title_does_not() {
        let appointments = read(
            "BEGIN:VEVENT\nUID:c\nDTSTART:20261207T090000Z\nSUMMARY:Mevr. Janssens\n\
             CATEGORIES:Blue category,Hulp met je smartphone\nEND:VEVENT",
            true,
        )
        .unwrap();
        assert_eq!(appointments[0].service, "smartphone");
        assert_eq!(appointments[0].name.as_deref(), Some("Mevr. Janssens"));
    }

    #[test]
    fn names_come_from_the_attendee_or_the_title_only_when_asked() {
        let events = "BEGIN:VEVENT\nUID:n1\nDTSTART:20261207T090000Z\nSUMMARY:E-mail - Jan\n\
             ORGANIZER;CN=Digilab:mailto:balie@example.org\n\
             ATTENDEE;CN=Digilab;ROLE=CHAIR:mailto:balie@example.org\n\
             ATTENDEE;CN=An Peeters:mailto:an@example.org\nEND:VEVENT\n\
             BEGIN:VEVENT\nUID:n2\nDTSTART:20261207T100000Z\nSUMMARY:E-mail – Jan Smet\nEND:VEVENT";
        let with = read(events, true).unwrap();
        assert_eq!(with[0].name.as_deref(), Some("An Peeters"));
        assert_eq!(with[1].name.as_deref(), Some("Jan Smet"));
        let without = read(events, false).unwrap();
        assert!(without.iter().all(|a| a.name.is_none()));
    }

    #[test]
    fn an_event_naming_no_service_is_refused_on_its_title() {
        let error =
            read("BEGIN:VEVENT\nUID:z\nDTSTART:20261207T090000Z\nSUMMARY:Team meeting\nEND:VEVENT", false)
                .unwrap_err();
        assert_eq!(error.line, Some(7));
        assert!(
            error.reason.contains("no service found") && error.reason.contains("email, smartphone, itsme")
        );
    }

    #[test]
    fn a_desk_that_does_not_serve_the_service_is_refused() {
        let error = read(
            "BEGIN:VEVENT\nUID:z\nDTSTART:20261207T090000Z\nSUMMARY:itsme\nLOCATION:Balie 1\nEND:VEVENT",
            false,
        )
        .unwrap_err();
        assert_eq!(
            error,
            ImportError::at(8, "desk desk-1 does not serve itsme; it serves email, smartphone")
        );
    }

    #[test]
    fn an_alarm_inside_an_event_does_not_lend_it_its_properties() {
        let appointments = read(
            "BEGIN:VEVENT\nUID:al\nDTSTART:20261207T090000Z\nSUMMARY:E-mail\nBEGIN:VALARM\nACTION:DISPLAY\n\
             X-LOKET-DESK:desk-9\nTRIGGER:-PT15M\nEND:VALARM\nEND:VEVENT",
            false,
        )
        .unwrap();
        assert_eq!(appointments[0].desk, None);
    }

    #[test]
    fn an_unknown_zone_is_refused_but_a_windows_name_and_the_sites_offsets_are_known() {
        let error = read(
            "BEGIN:VEVENT\nUID:t\nDTSTART;TZID=Mars/Olympus:20261207T090000\nSUMMARY:E-mail\nEND:VEVENT",
            false,
        )
        .unwrap_err();
        assert_eq!(error.line, Some(6));
        assert!(error.reason.contains("Mars/Olympus"), "{error}");
        let windows = read(
            "BEGIN:VEVENT\nUID:t\nDTSTART;TZID=\"Romance Standard Time\":20261207T090000\nSUMMARY:E-mail\nEND:VEVENT",
            false,
        )
        .unwrap();
        assert_eq!(windows[0].starts_at, "2026-12-07T08:00:00Z".parse::<Timestamp>().unwrap());
        let custom = read(
            "BEGIN:VTIMEZONE\nTZID:Customized Time Zone\nBEGIN:STANDARD\nDTSTART:16010101T030000\n\
             TZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:16010101T020000\n\
             TZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nEND:DAYLIGHT\nEND:VTIMEZONE\n\
             BEGIN:VEVENT\nUID:t\nDTSTART;TZID=Customized Time Zone:20261207T090000\nSUMMARY:E-mail\nEND:VEVENT",
            false,
        )
        .unwrap();
        assert_eq!(custom[0].starts_at, "2026-12-07T08:00:00Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn broken_structure_is_refused_with_its_line() {
        let unclosed =
            read("BEGIN:VEVENT\nUID:u\nDTSTART:20261207T090000Z\nSUMMARY:E-mail", false).unwrap_err();
        assert_eq!(unclosed.line, Some(4));
        assert!(unclosed.reason.contains("never closed"), "{unclosed}");
        let crossed = read("BEGIN:VEVENT\nUID:u\nEND:VTODO", false).unwrap_err();
        assert_eq!(crossed.line, Some(6));
        let bad_date =
            read("BEGIN:VEVENT\nUID:u\nDTSTART:2026-12-07 09:00\nSUMMARY:E-mail\nEND:VEVENT", false)
                .unwrap_err();
        assert_eq!(bad_date.line, Some(6));
        let no_uid =
            read("BEGIN:VEVENT\nDTSTART:20261207T090000Z\nSUMMARY:E-mail\nEND:VEVENT", false).unwrap_err();
        assert_eq!(no_uid.line, Some(4));
    }

    #[test]
    fn a_monthly_repeat_is_refused_rather_than_guessed() {
        let error = read(
            "BEGIN:VEVENT\nUID:mo\nDTSTART:20261207T090000Z\nRRULE:FREQ=MONTHLY;BYDAY=1MO\nSUMMARY:E-mail\nEND:VEVENT",
            false,
        )
        .unwrap_err();
        assert_eq!(error.line, Some(7));
        assert!(error.reason.contains("FREQ=MONTHLY") && error.reason.contains("not supported"), "{error}");
    }
}
