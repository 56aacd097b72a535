//! The dashboard's reading of the stored figures, in the staff's words and language (`l`, from
//! `dashboard.language`): a kiosk's warnings, the CSV export, and the bar chart of visitors per
//! hour (an SVG maud template).
//!
//! Pure: no I/O; the time is an argument. It must not query the store.

use std::fmt::Write;

use jiff::Timestamp;
use loket_protocol::i18n::{fill, tr};
use maud::{Markup, html};

use super::store::{AppointmentFigures, LearningFigures, ServiceFigures};
use loket_protocol::report::Heartbeat;

/// Disk space below which a kiosk is warned about.
const LOW_DISK_BYTES: u64 = 500 * 1024 * 1024;
/// A CPU this hot is warned about.
const HOT_CELSIUS: f64 = 80.0;
/// A kiosk clock this far from ours is "not equal".
const CLOCK_SKEW_SECONDS: i64 = 120;
/// Events waiting this long on a kiosk are a warning.
const OLD_BACKLOG_SECONDS: i64 = 60 * 60;

/// What staff should know about a kiosk, in plain words of the language `l`, most urgent first.
pub fn warnings(
    l: &str,
    heartbeat: Option<&Heartbeat>,
    received_at: Option<Timestamp>,
    now: Timestamp,
    stale_minutes: u32,
) -> Vec<String> {
    let mut out = Vec::new();
    match received_at {
        None => out.push(tr(l, "never seen yet").to_owned()),
        Some(at) => {
            let minutes = now.duration_since(at).as_secs() / 60;
            if minutes >= i64::from(stale_minutes) {
                out.push(fill(tr(l, "not seen for {time}"), &[("time", &duration_words(l, minutes))]));
            }
        }
    }
    let Some(h) = heartbeat else { return out };
    if h.printer.paper == "out" || h.printer.state == "no_paper" {
        out.push(tr(l, "out of paper").into());
    } else if h.printer.state == "not_answering" {
        out.push(tr(l, "printer not answering").into());
    } else if h.printer.state == "fault" {
        out.push(tr(l, "printer fault").into());
    }
    let skewed =
        received_at.is_some_and(|at| at.duration_since(h.sent_at).as_secs().abs() > CLOCK_SKEW_SECONDS);
    if !h.clock_synced || skewed {
        out.push(tr(l, "clock not right").into());
    }
    if h.outbox.dropped.values().any(|n| *n > 0) {
        out.push(tr(l, "events thrown away").into());
    }
    if h.under_voltage_now == Some(true) || h.under_voltage_since_boot == Some(true) {
        out.push(tr(l, "under-voltage").into());
    }
    if h.disk_free_bytes.is_some_and(|b| b < LOW_DISK_BYTES) {
        out.push(tr(l, "disk almost full").into());
    }
    if h.cpu_temperature_celsius.is_some_and(|t| t >= HOT_CELSIUS) {
        out.push(tr(l, "too hot").into());
    }
    if let Some(oldest) = h.outbox.oldest_unsent_at
        && h.sent_at.duration_since(oldest).as_secs() > OLD_BACKLOG_SECONDS
    {
        out.push(tr(l, "events are piling up").into());
    }
    out.extend(h.problems.iter().cloned());
    out
}

/// "15 minuten", "2 uur", "3 dagen" (in Dutch).
pub fn duration_words(l: &str, minutes: i64) -> String {
    let (template, n) = match minutes {
        m if m < 120 => (tr(l, "{n} minutes"), m),
        m if m < 48 * 60 => (tr(l, "{n} hours"), m / 60),
        m => (tr(l, "{n} days"), m / (24 * 60)),
    };
    fill(template, &[("n", &n.to_string())])
}

/// Seconds as minutes with one decimal, as the language `l` writes it: `7,5` (`7.5` in English).
pub fn minutes(l: &str, seconds: f64) -> String {
    decimal(l, format!("{:.1}", seconds / 60.0))
}

/// A number written with a decimal point, with the decimal sign of the language `l`.
pub fn decimal(l: &str, number: String) -> String {
    if l == "en" { number } else { number.replace('.', ",") }
}

/// One text cell of a CSV loket-central writes, quoted when it must be (RFC 4180), and never
/// read as a formula (OWASP's rule for CSV injection): a cell starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return gets a leading `'`, so a spreadsheet shows it as text.
///
/// A cell that is a plain number (`-12`, `+3`, `-4.5`: a sign, digits, at most one decimal
/// point) stays as it is: a spreadsheet reads it as that number and nothing runs. The export's
/// figures are written as numbers, never through this function, so a negative figure stays a
/// number.
pub fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(text) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r', ';']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A sign, digits and at most one decimal point with digits on both sides: `-12`, `+3.5`.
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "1"));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && all_digits(fraction)
}

/// The CSV export: one row per site, day and service with the queue's figures, then one row
/// per site and day with the learning figures (service `leren`), then one per site and day with
/// the appointment figures (service `afspraken`); each row leaves the others' columns empty.
pub fn csv(
    services: &[ServiceFigures],
    learning: &[LearningFigures],
    appointments: &[AppointmentFigures],
) -> String {
    let mut out = String::from(
        "datum,vestiging,dienst,bezoekers,opgeroepen,geholpen,niet_gekomen,gemiddelde_wachttijd_s,\
         langste_wachttijd_s,tutorials_gestart,tutorials_voltooid,screenings_voltooid,screenings_gestopt,\
         afspraken_geboekt,afspraken_gekomen,afspraken_te_laat,afspraken_niet_gekomen,afspraken_geannuleerd\r\n",
    );
    for f in services {
        let average = f.average_wait_seconds.map(|s| format!("{}", s.round() as i64)).unwrap_or_default();
        let longest = f.longest_wait_seconds.map(|s| s.to_string()).unwrap_or_default();
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{},{},,,,,,,,,\r\n",
            csv_field(&f.day),
            csv_field(&f.site),
            csv_field(&f.service),
            f.visitors,
            f.called,
            f.served,
            f.no_shows,
            average,
            longest
        );
    }
    for l in learning {
        let _ = write!(
            out,
            "{},{},leren,,,,,,,{},{},{},{},,,,,\r\n",
            csv_field(&l.day),
            csv_field(&l.site),
            l.tutorials_started,
            l.tutorials_completed,
            l.screenings_completed,
            l.screenings_stopped
        );
    }
    for a in appointments {
        let _ = write!(
            out,
            "{},{},afspraken,,,,,,,,,,,{},{},{},{},{}\r\n",
            csv_field(&a.day),
            csv_field(&a.site),
            a.booked,
            a.kept,
            a.late,
            a.no_shows,
            a.cancelled
        );
    }
    out
}

/// Visitors per hour as an inline SVG bar chart, from the first to the last hour with
/// visitors (at least 8:00–17:00), with the count above each bar.
pub fn hour_chart(l: &str, hours: &[u64; 24]) -> Markup {
    let busy: Vec<usize> = (0..24).filter(|h| hours[*h] > 0).collect();
    let first = busy.first().copied().unwrap_or(8).min(8);
    let last = busy.last().copied().unwrap_or(17).max(17);
    let max = hours.iter().copied().max().unwrap_or(0).max(1);
    let (bar, gap, height, top, bottom) = (34usize, 10usize, 120usize, 22usize, 24usize);
    let width = (last - first + 1) * (bar + gap) + gap;
    let base = top + height;
    // SVG elements are closed explicitly (`<rect …></rect>`): inside HTML, SVG is foreign
    // content, where an element left open would swallow the ones after it.
    html! {
        svg class="chart" viewBox={ "0 0 " (width) " " (height + top + bottom) } role="img"
            aria-label=(tr(l, "Visitors per hour")) xmlns="http://www.w3.org/2000/svg" {
            line x1="0" y1=(base) x2=(width) y2=(base) stroke="#9aa5b1" stroke-width="1" {}
            @for (i, h) in (first..=last).enumerate() {
                @let n = hours[h];
                @let x = gap + i * (bar + gap);
                @let bar_height = (n as usize * height) / max as usize;
                @let y = base - bar_height;
                g {
                    title {
                        (fill(tr(l, "{from}:00–{to}:00: {n} visitors"), &[
                            ("from", &h.to_string()),
                            ("to", &(h + 1).to_string()),
                            ("n", &n.to_string()),
                        ]))
                    }
                    rect x=(x) y=(y) width=(bar) height=(bar_height) rx="3" fill="#1f6feb" {}
                    @if n > 0 {
                        text x=(x + bar / 2) y=(y.saturating_sub(5)) text-anchor="middle" font-size="16"
                            font-weight="600" fill="#1c2733" { (n) }
                    }
                    text x=(x + bar / 2) y=(base + 19) text-anchor="middle" font-size="15" fill="#52606d" {
                        // TRANSLATORS: an hour below the bars of the chart, e.g. 9h.
                        (fill(tr(l, "{hour}h"), &[("hour", &h.to_string())]))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loket_protocol::report::{OutboxHealth, PrinterHealth};

    fn heartbeat() -> Heartbeat {
        Heartbeat {
            kiosk: "k1".into(),
            site: "Gent".into(),
            version: "0.1.0".into(),
            sent_at: "2026-11-30T10:00:00Z".parse().unwrap(),
            uptime_seconds: 60,
            boot_id: "b".into(),
            clock_synced: true,
            printer: PrinterHealth { state: "ready".into(), paper: "ok".into(), detail: String::new() },
            outbox: OutboxHealth::default(),
            disk_free_bytes: Some(10 << 30),
            cpu_temperature_celsius: Some(50.0),
            under_voltage_now: Some(false),
            under_voltage_since_boot: Some(false),
            problems: vec![],
        }
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_healthy_kiosk_seen_just_now_has_no_warnings() {
        let h = heartbeat();
        assert!(
            warnings("nl", Some(&h), Some(at("2026-11-30T10:00:01Z")), at("2026-11-30T10:05:00Z"), 15)
                .is_empty()
        );
    }

    #[test]
    fn every_problem_is_named_in_plain_words() {
        let mut h = heartbeat();
        h.printer.paper = "out".into();
        h.clock_synced = false;
        h.outbox.dropped.insert("ticket_issued".into(), 3);
        h.under_voltage_since_boot = Some(true);
        let w = warnings("nl", Some(&h), Some(at("2026-11-30T10:00:00Z")), at("2026-11-30T10:20:00Z"), 15);
        assert_eq!(
            w,
            [
                "20 minuten niet gezien",
                "papier op",
                "klok niet gelijk",
                "gebeurtenissen weggegooid",
                "onderspanning"
            ]
        );
        assert_eq!(warnings("nl", None, None, at("2026-11-30T10:20:00Z"), 15), ["nog nooit gezien"]);
        assert_eq!(warnings("fr", None, None, at("2026-11-30T10:20:00Z"), 15), ["jamais vu"]);
        let w = warnings("en", Some(&h), Some(at("2026-11-30T10:00:00Z")), at("2026-11-30T13:20:00Z"), 15);
        assert_eq!(w[..2], ["not seen for 3 hours", "out of paper"]);
    }

    #[test]
    fn a_clock_far_from_ours_is_not_equal_even_when_synchronised() {
        let h = heartbeat();
        let w = warnings("nl", Some(&h), Some(at("2026-11-30T10:05:00Z")), at("2026-11-30T10:06:00Z"), 15);
        assert_eq!(w, ["klok niet gelijk"]);
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("Gent"), "Gent");
        assert_eq!(csv_field("Gent, Zuid"), "\"Gent, Zuid\"");
        assert_eq!(csv_field("zeg \"hoi\""), "\"zeg \"\"hoi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
    }

    #[test]
    fn every_cell_a_spreadsheet_would_run_is_text() {
        assert_eq!(csv_field("+1+cmd|' /C calc'!A0"), "'+1+cmd|' /C calc'!A0");
        assert_eq!(csv_field("-2+3"), "'-2+3");
        assert_eq!(csv_field("@SUM(1+1)"), "'@SUM(1+1)");
        assert_eq!(csv_field("\t=1+1"), "'\t=1+1");
        assert_eq!(csv_field("\r=1+1"), "\"'\r=1+1\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-"), "'-");
        assert_eq!(csv_field("+32 9 123 45 67"), "'+32 9 123 45 67");
        assert_eq!(csv_field("-1.2.3"), "'-1.2.3");
        assert_eq!(csv_field("-.5"), "'-.5");
    }

    #[test]
    fn plain_numbers_stay_numbers() {
        for number in ["-12", "+3", "-4.5", "0", "17"] {
            assert_eq!(csv_field(number), number);
        }
    }

    #[test]
    fn the_export_defuses_names_and_keeps_negative_figures() {
        let services = [ServiceFigures {
            site: "\t=cmd|'/C calc'!A0".into(),
            day: "2026-11-30".into(),
            service: "@SUM(A1)".into(),
            visitors: 3,
            called: 2,
            average_wait_seconds: Some(-4.0),
            longest_wait_seconds: Some(-2),
            served: 1,
            no_shows: 0,
        }];
        let learning = [LearningFigures {
            site: "-1+1".into(),
            day: "2026-11-30".into(),
            tutorials_started: 1,
            ..LearningFigures::default()
        }];
        let appointments = [AppointmentFigures {
            site: "=HYPERLINK(\"x\")".into(),
            day: "2026-11-30".into(),
            booked: 5,
            kept: 3,
            late: 1,
            no_shows: 1,
            cancelled: 1,
        }];
        let text = csv(&services, &learning, &appointments);
        let rows: Vec<&str> = text.split("\r\n").collect();
        let columns = rows[0].split(',').count();
        assert_eq!(rows[1], "2026-11-30,'\t=cmd|'/C calc'!A0,'@SUM(A1),3,2,1,0,-4,-2,,,,,,,,,");
        assert_eq!(rows[2], "2026-11-30,'-1+1,leren,,,,,,,1,0,0,0,,,,,");
        assert_eq!(rows[3], "2026-11-30,\"'=HYPERLINK(\"\"x\"\")\",afspraken,,,,,,,,,,,5,3,1,1,1");
        for row in &rows[1..4] {
            assert_eq!(row.split(',').count(), columns, "{row}");
            for cell in row.split(',').filter(|c| !c.is_empty()) {
                assert!(
                    !cell.starts_with(['=', '+', '@', '\t', '\r'])
                        && (!cell.starts_with('-') || is_plain_number(cell)),
                    "{cell:?} would run in a spreadsheet"
                );
            }
        }
    }

    #[test]
    fn the_chart_has_a_bar_and_label_per_hour() {
        let mut hours = [0; 24];
        hours[9] = 4;
        hours[10] = 2;
        let svg = hour_chart("nl", &hours).into_string();
        assert_eq!(svg.matches("<rect").count(), 10, "8u..17u");
        assert!(svg.contains("9:00–10:00: 4 bezoekers"));
        assert!(svg.contains(">9u<"), "{svg}");
        let svg = hour_chart("fr", &hours).into_string();
        assert!(svg.contains("9:00–10:00 : 4 visiteurs") && svg.contains(">9h<"), "{svg}");
        assert!(svg.contains("aria-label=\"Visiteurs par heure\""), "{svg}");
    }
}
