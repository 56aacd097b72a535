//! CSV sheets of appointments as staff write them in Excel or LibreOffice: a header line naming
//! the columns (`date`, `time`, `service`, and optionally `desk`, `language`, `name`,
//! `reference`, in any order), `;`, `,` or tab between fields (found from the header; Excel's
//! `sep=;` first line is understood), quoted fields, a UTF-8 byte-order mark, dates as
//! `2026-12-07`, `07/12/2026` or `7.12.2026` (day first) and times as `10:30`, `10.30`, `10h30` or
//! `10:30:00`, in the help point's time zone.
//!
//! It must not guess what a broken row meant: each one refuses the file with its line and the
//! reason. Rows outside the rules' range are left out, so this week's sheet can be imported again
//! on Wednesday.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};

use super::{
    ImportError, ImportRules, ImportedAppointment, MAX_APPOINTMENTS, desk_for, desk_ids, desk_named, finish,
    kept_name, language_code, service_ids, service_named, text_of,
};

/// The columns Loket reads, in the order the documentation gives them.
pub const COLUMNS: &[&str] = &["date", "time", "service", "desk", "language", "name", "reference"];
const REQUIRED: &[&str] = &["date", "time", "service"];

/// Reads a CSV sheet of appointments.
pub fn parse_csv(bytes: &[u8], rules: &ImportRules) -> Result<Vec<ImportedAppointment>, ImportError> {
    let text = text_of(bytes)?;
    let (separator, text, first_line) = separator_of(text)?;
    let mut records = records(text, separator, first_line)?.into_iter();
    let (header_line, header) =
        records.next().ok_or_else(|| ImportError::whole_file("the file has no header line"))?;
    let columns = Columns::read(header_line, &header)?;

    let mut appointments = Vec::new();
    let mut uids_used: HashMap<String, u32> = HashMap::new();
    for (line, fields) in records {
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if let Some(extra) = fields.iter().skip(header.len()).find(|f| !f.trim().is_empty()) {
            return Err(ImportError::at(
                line,
                format!(
                    "this row has more fields than the header has columns ({}), e.g. \"{}\"; \
                     is a {} missing its quotes?",
                    header.len(),
                    extra.trim(),
                    separator_name(separator)
                ),
            ));
        }
        let Some(appointment) = row(line, &fields, &columns, rules, &mut uids_used)? else {
            continue;
        };
        appointments.push(appointment);
        if appointments.len() > MAX_APPOINTMENTS {
            return Err(ImportError::at(
                line,
                format!("the file has more than {MAX_APPOINTMENTS} appointments"),
            ));
        }
    }
    finish(appointments)
}

/// One row as an appointment; none when it is outside the range.
fn row(
    line: usize,
    fields: &[String],
    columns: &Columns,
    rules: &ImportRules,
    uids_used: &mut HashMap<String, u32>,
) -> Result<Option<ImportedAppointment>, ImportError> {
    let field = |column: &str| {
        columns.index.get(column).and_then(|&i| fields.get(i)).map(|f| f.trim()).filter(|f| !f.is_empty())
    };
    let required =
        |column: &str| field(column).ok_or_else(|| ImportError::at(line, format!("the {column} is empty")));
    let date_text = required("date")?;
    let date = date(date_text).ok_or_else(|| {
        ImportError::at(
            line,
            format!("\"{date_text}\" is not a date; write 2026-12-07 or 07/12/2026 (day first)"),
        )
    })?;
    let time_text = required("time")?;
    let time = time(time_text).ok_or_else(|| {
        ImportError::at(line, format!("\"{time_text}\" is not a time; write 10:30 (24-hour clock)"))
    })?;
    let service_text = required("service")?;
    let service = service_named(rules.services, service_text).ok_or_else(|| {
        ImportError::at(
            line,
            format!("\"{service_text}\" is not a service here; services: {}", service_ids(rules.services)),
        )
    })?;
    let desk = match field("desk") {
        Some(text) => {
            let desk = desk_named(rules.desks, text).ok_or_else(|| {
                ImportError::at(
                    line,
                    format!("\"{text}\" is not a desk here; desks: {}", desk_ids(rules.desks)),
                )
            })?;
            Some(desk_for(desk, service).map_err(|why| ImportError::at(line, why))?)
        }
        None => None,
    };
    let language = match field("language") {
        Some(text) => Some(language_code(text).map_err(|why| ImportError::at(line, why))?),
        None => None,
    };
    let name = if rules.names { field("name").and_then(kept_name) } else { None };

    let civil = DateTime::from_parts(date, time);
    let starts_at: Timestamp =
        rules.time_zone.to_ambiguous_zoned(civil).compatible().map(|z| z.timestamp()).map_err(|e| {
            ImportError::at(line, format!("{date} {time} cannot be placed in the site's time zone: {e}"))
        })?;
    if !rules.in_range(starts_at) {
        return Ok(None);
    }
    let uid = match field("reference") {
        Some(reference) => format!("csv:{reference}"),
        None => {
            // Without a reference: the row's own facts (never the name), numbered when two rows
            // share them.
            let base = format!(
                "csv:{}T{}:{}:{}",
                date,
                time.strftime("%H:%M"),
                service.id,
                desk.as_deref().unwrap_or("-")
            );
            let seen = uids_used.entry(base.clone()).or_insert(0);
            *seen += 1;
            if *seen == 1 { base } else { format!("{base}#{seen}") }
        }
    };
    Ok(Some(ImportedAppointment {
        uid,
        starts_at,
        service: service.id.clone(),
        desk,
        language,
        name,
        line,
        cancelled: false,
    }))
}

/// Where each known column is.
struct Columns {
    index: HashMap<&'static str, usize>,
}

impl Columns {
    fn read(line: usize, header: &[String]) -> Result<Columns, ImportError> {
        let mut index = HashMap::new();
        for (i, title) in header.iter().enumerate() {
            let title = title.trim().to_lowercase();
            if title.is_empty() {
                continue;
            }
            let Some(&known) = COLUMNS.iter().find(|c| **c == title) else {
                let hint = if title == "code" {
                    "Loket makes each appointment's booking code itself; remove the code column".to_string()
                } else {
                    format!("the columns Loket reads are {}", COLUMNS.join(", "))
                };
                return Err(ImportError::at(
                    line,
                    format!("unknown column \"{title}\" in the header; {hint}"),
                ));
            };
            if index.insert(known, i).is_some() {
                return Err(ImportError::at(line, format!("the column \"{known}\" is in the header twice")));
            }
        }
        if let Some(missing) = REQUIRED.iter().find(|c| !index.contains_key(*c)) {
            return Err(ImportError::at(
                line,
                format!(
                    "the header has no \"{missing}\" column; the first line must name the columns, \
                     e.g. date;time;service;desk;language"
                ),
            ));
        }
        Ok(Columns { index })
    }
}

/// The separator, from Excel's `sep=` line or the header: whichever of `;`, `,` and tab it has
/// most of outside quotes. Gives the text after a `sep=` line and the number of its first line.
fn separator_of(text: &str) -> Result<(char, &str, usize), ImportError> {
    let first = text.lines().next().unwrap_or("").trim();
    if let Some(said) = first.strip_prefix("sep=").or_else(|| first.strip_prefix("SEP=")) {
        let mut chars = said.chars();
        return match (chars.next(), chars.next()) {
            (Some(separator @ (';' | ',' | '\t' | '|')), None) => {
                Ok((separator, text.split_once('\n').map_or("", |(_, rest)| rest), 2))
            }
            _ => {
                Err(ImportError::at(1, format!("\"{first}\" names no separator Loket reads (; , | or tab)")))
            }
        };
    }
    let (mut quoted, mut counts) = (false, [0usize; 3]);
    for c in text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => counts[0] += 1,
            ',' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], std::cmp::Reverse(i))).expect("three candidates");
    if counts[best] == 0 {
        return Err(ImportError::at(
            1,
            "the first line must name the columns, separated by ; or , — e.g. date;time;service;desk;language",
        ));
    }
    Ok(([';', ',', '\t'][best], text, 1))
}

fn separator_name(separator: char) -> &'static str {
    match separator {
        ';' => "field with a ';'",
        ',' => "field with a ','",
        '\t' => "field with a tab",
        _ => "field with the separator",
    }
}

/// The records of the text with the line each starts on. A quoted field may hold the separator,
/// doubled quotes and line breaks.
fn records(text: &str, separator: char, first_line: usize) -> Result<Vec<(usize, Vec<String>)>, ImportError> {
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = first_line;
    let mut record_line = first_line;
    let mut quote_opened_on: Option<usize> = None;
    let mut at_field_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quote_opened_on.is_some() {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quote_opened_on = None,
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quote_opened_on = Some(line);
                at_field_start = false;
            }
            c if c == separator => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                records.push((record_line, std::mem::take(&mut fields)));
                line += 1;
                record_line = line;
                at_field_start = true;
            }
            ' ' if at_field_start => {}
            c => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if let Some(opened) = quote_opened_on {
        return Err(ImportError::at(opened, "a quote (\") opened on this line is never closed"));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push((record_line, fields));
    }
    // Blank lines are no records.
    records.retain(|(_, fields)| !(fields.len() == 1 && fields[0].trim().is_empty()));
    Ok(records)
}

/// `2026-12-07`, or day first: `07/12/2026`, `7.12.2026`, `07-12-2026`, `07/12/26`.
fn date(text: &str) -> Option<Date> {
    let parts: Vec<&str> = text.split(['-', '/', '.']).map(str::trim).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let number =
        |s: &str| s.parse::<i16>().ok().filter(|_| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    let (year, month, day) = if a.len() == 4 {
        (number(a)?, number(b)?, number(c)?)
    } else {
        let year = match c.len() {
            4 => number(c)?,
            2 => 2000 + number(c)?,
            _ => return None,
        };
        (year, number(b)?, number(a)?)
    };
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// `10:30`, `9:05`, `10.30`, `10h30`, `10:30:00`, `2:30 PM`.
fn time(text: &str) -> Option<Time> {
    let lower = text.trim().to_ascii_lowercase();
    let (clock, afternoon) = match (lower.strip_suffix("pm"), lower.strip_suffix("am")) {
        (Some(clock), _) => (clock.trim(), Some(true)),
        (_, Some(clock)) => (clock.trim(), Some(false)),
        _ => (lower.as_str(), None),
    };
    let parts: Vec<&str> = clock.split([':', '.', 'h']).collect();
    let number = |s: &str| {
        s.parse::<i8>()
            .ok()
            .filter(|_| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
    };
    let (hour, minute, second) = match parts.as_slice() {
        [h, m] if m.len() == 2 => (number(h)?, number(m)?, 0),
        [h, m, s] if m.len() == 2 && s.len() == 2 => (number(h)?, number(m)?, number(s)?),
        _ => return None,
    };
    let hour = match afternoon {
        None => hour,
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(true) => hour % 12 + 12,
        Some(false) => hour % 12,
    };
    Time::new(hour, minute, second, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn read(text: &str, names: bool) -> Result<Vec<ImportedAppointment>, ImportError> {
        let (tz, services, desks) = (brussels(), services(), desks());
        let mut rules = ImportRules::for_days(&tz, jiff::civil::date(2026, 12, 1), 60, &services, &desks);
        rules.names = names;
        parse_csv(text.as_bytes(), &rules)
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_semicolon_sheet_with_a_bom_and_european_dates_is_read() {
        let sheet = "\u{feff}Date;Time;Service;Desk;Language;Name\r\n\
                     07/12/2026;10:30;E-mail;Balie 1;nl;An Peeters\r\n\
                     8.12.2026;9h05;itsme;;;\r\n";
        let appointments = read(sheet, true).unwrap();
        assert_eq!(appointments.len(), 2);
        let (first, second) = (&appointments[0], &appointments[1]);
        assert_eq!(first.starts_at, at("2026-12-07T09:30:00Z"));
        assert_eq!(
            (first.service.as_str(), first.desk.as_deref(), first.language.as_deref(), first.name.as_deref()),
            ("email", Some("desk-1"), Some("nl"), Some("An Peeters"))
        );
        assert_eq!((first.line, second.line), (2, 3));
        assert_eq!(second.starts_at, at("2026-12-08T08:05:00Z"));
        assert_eq!((second.desk.as_deref(), second.language.as_deref()), (None, None));
    }

    #[test]
    fn a_comma_sheet_with_quoted_fields_and_a_line_break_in_a_name_is_read() {
        let sheet = "time,date,service,name\n\
                     10:30,2026-12-07,\"Hulp met je smartphone\",\"Peeters, An\"\n\
                     \"11:00\",2026-12-07,email,\"Jan \"\"Jos\"\"\nSmet\"\n\
                     12:00,2026-12-07,email,\n";
        let appointments = read(sheet, true).unwrap();
        assert_eq!(appointments.iter().map(|a| a.line).collect::<Vec<_>>(), [2, 3, 5]);
        assert_eq!(appointments[0].name.as_deref(), Some("Peeters, An"));
        assert_eq!(appointments[1].name.as_deref(), Some("Jan \"Jos\" Smet"));
        assert_eq!(appointments[2].name, None);
    }

    #[test]
    fn names_are_dropped_when_names_are_off() {
        let appointments =
            read("date;time;service;name\n2026-12-07;10:30;email;An Peeters\n", false).unwrap();
        assert_eq!(appointments[0].name, None);
    }

    #[test]
    fn excel_sep_line_and_tab_separated_sheets_are_read() {
        let sep = read("sep=,\ndate,time,service\n2026-12-07,10:30,email\n", false).unwrap();
        assert_eq!((sep.len(), sep[0].line), (1, 3));
        let tabs = read("date\ttime\tservice\n2026-12-07\t10:30\temail\n", false).unwrap();
        assert_eq!(tabs.len(), 1);
    }

    #[test]
    fn uids_come_from_the_reference_or_the_row_never_the_name() {
        let appointments = read(
            "date;time;service;desk;name;reference\n\
             2026-12-07;10:30;email;desk-2;An;\n\
             2026-12-07;10:30;email;desk-2;Jan;\n\
             2026-12-07;11:00;itsme;;Els;B-17\n",
            true,
        )
        .unwrap();
        let uids: Vec<&str> = appointments.iter().map(|a| a.uid.as_str()).collect();
        assert_eq!(
            uids,
            ["csv:2026-12-07T10:30:email:desk-2", "csv:2026-12-07T10:30:email:desk-2#2", "csv:B-17"]
        );
    }

    #[test]
    fn rows_outside_the_range_are_left_out() {
        let appointments = read(
            "date;time;service\n2026-11-30;10:30;email\n2026-12-01;00:00;email\n2027-01-30;00:00;email\n",
            false,
        )
        .unwrap();
        assert_eq!(appointments.iter().map(|a| a.line).collect::<Vec<_>>(), [3]);
    }

    #[test]
    fn each_broken_row_is_refused_with_its_line_and_reason() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "date;time;service\n2026-12-07;10:30;email\n2026-13-07;10:30;email\n",
                3,
                "\"2026-13-07\" is not a date",
            ),
            ("date;time;service\n31/11/2026;10:30;email\n", 2, "\"31/11/2026\" is not a date"),
            ("date;time;service\n2026-12-07;25:00;email\n", 2, "\"25:00\" is not a time"),
            ("date;time;service\n2026-12-07;;email\n", 2, "the time is empty"),
            (
                "date;time;service\n2026-12-07;10:30;fax\n",
                2,
                "\"fax\" is not a service here; services: email",
            ),
            ("date;time;service;desk\n2026-12-07;10:30;email;desk-7\n", 2, "\"desk-7\" is not a desk here"),
            (
                "date;time;service;desk\n2026-12-07;10:30;itsme;desk-1\n",
                2,
                "desk desk-1 does not serve itsme",
            ),
            ("date;time;service;language\n2026-12-07;10:30;email;xx\n", 2, "\"xx\" is not a language code"),
            ("date;time;service\n2026-12-07;10:30;email;extra\n", 2, "more fields than the header"),
            ("date;time;service;name\n2026-12-07;10:30;email;\"An\n", 2, "never closed"),
            ("date;time\n2026-12-07;10:30\n", 1, "no \"service\" column"),
            ("date;time;service;code\n", 1, "Loket makes each appointment's booking code itself"),
            ("date;time;service;notes\n", 1, "unknown column \"notes\""),
            ("date;time;service;date\n", 1, "\"date\" is in the header twice"),
            ("appointments\n", 1, "the first line must name the columns"),
            ("sep=x\ndate;time;service\n", 1, "names no separator"),
            (
                "date;time;service;reference\n2026-12-07;10:30;email;R1\n2026-12-08;10:30;email;R1\n",
                3,
                "already on line 2",
            ),
        ];
        for (sheet, line, reason) in cases {
            let error = read(sheet, false).unwrap_err();
            assert_eq!(error.line, Some(*line), "{sheet:?}: {error}");
            assert!(error.reason.contains(reason), "{sheet:?}: {error}");
        }
    }

    #[test]
    fn dates_and_times_in_the_forms_spreadsheets_write() {
        let d = jiff::civil::date(2026, 12, 7);
        for text in ["2026-12-07", "07/12/2026", "7/12/2026", "07.12.2026", "07-12-2026", "07/12/26"] {
            assert_eq!(date(text), Some(d), "{text}");
        }
        assert_eq!(date("12/07"), None);
        let t = jiff::civil::time(14, 5, 0, 0);
        for text in ["14:05", "14.05", "14h05", "14:05:00", "2:05 PM", "02:05pm"] {
            assert_eq!(time(text), Some(t), "{text}");
        }
        assert_eq!(time("9:05"), Some(jiff::civil::time(9, 5, 0, 0)));
        assert_eq!(time("12:30 AM"), Some(jiff::civil::time(0, 30, 0, 0)));
        assert_eq!(time("1430"), None);
        assert_eq!(time("14:5"), None);
    }
}
