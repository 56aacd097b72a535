//! How long reading the biggest appointment files takes: an iCalendar file and a CSV sheet near
//! the import's limits (2 MiB, 50,000 lines, 20,000 appointments), as the kiosk's web server
//! reads an upload (on a blocking thread, before the help point books anything).
//!
//! Run with `cargo bench --bench appointment_import`. It prints each file's size, how many
//! appointments it gives and the median and slowest of 9 reads.

use std::time::{Duration, Instant};

use jiff::civil::date;
use loket::appointment_import::{ImportRules, parse_appointments};
use loket::config::Config;

/// 1,500 weekly series (with an EXDATE and a folded line each) and 2,800 single events, in
/// Outlook's style, from Monday 7 December 2026.
fn calendar() -> String {
    let mut ics = String::from("BEGIN:VCALENDAR\r\nPRODID:-//Bench//EN\r\nVERSION:2.0\r\n");
    for i in 0..4_300u32 {
        let day = 7 + i % 14;
        let (hour, minute) = (9 + i % 8, (i % 4) * 15);
        ics.push_str("BEGIN:VEVENT\r\n");
        ics.push_str(&format!("UID:bench-{i:06}@example.org\r\n"));
        ics.push_str(&format!("DTSTART;TZID=Europe/Brussels:202612{day:02}T{hour:02}{minute:02}00\r\n"));
        ics.push_str(&format!("DTEND;TZID=Europe/Brussels:202612{day:02}T{hour:02}{:02}00\r\n", minute + 15));
        ics.push_str(
            "SUMMARY:E-mail – a visitor with a rather long description of what they need hel\r\n p with\r\n",
        );
        ics.push_str("LOCATION:Balie 1\r\nSTATUS:CONFIRMED\r\nTRANSP:OPAQUE\r\n");
        if i < 1_500 {
            ics.push_str("RRULE:FREQ=WEEKLY;COUNT=9\r\n");
            ics.push_str(&format!(
                "EXDATE;TZID=Europe/Brussels:202612{:02}T{hour:02}{minute:02}00\r\n",
                day + 7
            ));
        }
        ics.push_str("END:VEVENT\r\n");
    }
    ics.push_str("END:VCALENDAR\r\n");
    ics
}

/// 19,000 rows in Excel's style, 60 days of appointments.
fn sheet() -> String {
    let mut csv = String::from("\u{feff}date;time;service;desk;language;name;reference\r\n");
    for i in 0..19_000u32 {
        let day = date(2026, 12, 7).checked_add(jiff::Span::new().days(i64::from(i % 59))).unwrap();
        csv.push_str(&format!(
            "{};{}:{:02};Smartphone & tablet;Balie 2;nl;\"Peeters, An\";R-{i:05}\r\n",
            day.strftime("%d/%m/%Y"),
            9 + i % 8,
            (i % 12) * 5
        ));
    }
    csv
}

fn main() {
    let config = Config::sample();
    let rules =
        ImportRules::for_days(&config.site.timezone, date(2026, 12, 7), 60, &config.services, &config.desks);
    for (what, file) in [("iCalendar", calendar()), ("CSV", sheet())] {
        let mut times: Vec<Duration> = Vec::new();
        let mut count = 0;
        for _ in 0..9 {
            let started = Instant::now();
            let appointments = parse_appointments(file.as_bytes(), &rules).expect("the bench file is valid");
            times.push(started.elapsed());
            count = appointments.len();
        }
        times.sort();
        println!(
            "{what}: {:.2} MiB, {} lines, {count} appointments: median {:.1} ms, slowest {:.1} ms",
            file.len() as f64 / (1024.0 * 1024.0),
            file.lines().count(),
            times[times.len() / 2].as_secs_f64() * 1000.0,
            times[times.len() - 1].as_secs_f64() * 1000.0,
        );
    }
}
