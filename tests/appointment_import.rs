//! Appointment files as the tools staff use write them (`tests/fixtures/appointments/`): Google
//! Calendar, Outlook, Thunderbird and Nextcloud exports and Excel and LibreOffice sheets, read
//! against the sample config's services and desks; and each broken file refused with its line.
//! Then `POST /api/v1/appointments/import` on a real port: a file is booked whole or not at all.

mod common;

use jiff::Timestamp;
use jiff::civil::date;
use loket::appointment_import::{ImportError, ImportRules, ImportedAppointment, parse_appointments};
use loket::config::Config;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/appointments/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Reads a fixture as on Monday 7 December 2026 at the sample help point, 60 days ahead.
fn import(name: &str, names: bool) -> Result<Vec<ImportedAppointment>, ImportError> {
    import_bytes(&fixture(name), names)
}

fn import_bytes(bytes: &[u8], names: bool) -> Result<Vec<ImportedAppointment>, ImportError> {
    let config = Config::sample();
    let mut rules =
        ImportRules::for_days(&config.site.timezone, date(2026, 12, 7), 60, &config.services, &config.desks);
    rules.names = names;
    parse_appointments(bytes, &rules)
}

/// Each appointment as "Tue 2026-12-08 10:00 email desk-1 nl", in the site's time.
fn summary(appointments: &[ImportedAppointment]) -> Vec<String> {
    let zone = Config::sample().site.timezone;
    appointments
        .iter()
        .map(|a| {
            format!(
                "{} {} {} {}",
                a.starts_at.to_zoned(zone.clone()).strftime("%a %Y-%m-%d %H:%M"),
                a.service,
                a.desk.as_deref().unwrap_or("-"),
                a.language.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

fn names(appointments: &[ImportedAppointment]) -> Vec<Option<&str>> {
    appointments.iter().map(|a| a.name.as_deref()).collect()
}

#[test]
fn google_calendar_export_with_a_weekly_series_a_moved_instance_and_a_cancelled_event() {
    let appointments = import("google.ics", true).unwrap();
    assert_eq!(
        summary(&appointments),
        [
            "Tue 2026-12-08 10:00 email desk-1 -",
            // STATUS:CANCELLED: it comes marked cancelled, so an import cancels it.
            "Wed 2026-12-09 14:00 email - -",
            "Wed 2026-12-09 14:00 smartphone - -",
            "Wed 2026-12-16 14:00 smartphone - -",
            // 23 and 30 December are EXDATEs.
            "Wed 2027-01-06 14:00 smartphone - -",
            // Moved from 14:00 to 15:30 at desk 2 (RECURRENCE-ID).
            "Wed 2027-01-13 15:30 smartphone desk-2 -",
            "Wed 2027-01-20 14:00 smartphone - -",
            "Wed 2027-01-27 14:00 smartphone - -",
        ]
    );
    let cancelled: Vec<bool> = appointments.iter().map(|a| a.cancelled).collect();
    assert_eq!(cancelled, [false, true, false, false, false, false, false, false]);
    assert_eq!(appointments[1].uid, "0q9w8e7r6t5y4u3i2o1p@google.com");
    let appointments: Vec<ImportedAppointment> = appointments.into_iter().filter(|a| !a.cancelled).collect();
    assert_eq!(appointments[0].uid, "3k1v9q0c2m1h8s7o0b6d1r4t5e@google.com");
    assert_eq!(appointments[1].uid, "7f0m2qk4h9c1e3a5b7d9f1h3j5@google.com/20261209T130000Z");
    assert_eq!(appointments[4].uid, "7f0m2qk4h9c1e3a5b7d9f1h3j5@google.com/20270113T130000Z");
    // The title less the service; the attendee who is not the organiser (from a folded line);
    // the moved instance names nobody.
    assert_eq!(names(&appointments)[..3], [Some("mevrouw Peeters"), Some("Jan Smet"), Some("Jan Smet")]);
    assert_eq!(appointments[4].name, None);
    assert_eq!(appointments[0].line, 26, "the line of the event's BEGIN:VEVENT");
}

#[test]
fn outlook_export_with_windows_zone_names_categories_and_a_workday_series() {
    let appointments = import("outlook.ics", false).unwrap();
    assert_eq!(
        summary(&appointments),
        [
            "Thu 2026-12-10 09:15 appointment desk-1 -",
            "Mon 2026-12-14 09:00 email - fr",
            "Tue 2026-12-15 09:00 email - fr",
            "Wed 2026-12-16 09:00 email - fr",
            "Thu 2026-12-17 09:00 email - fr",
            "Fri 2026-12-18 09:00 email - fr",
        ]
    );
    assert!(names(&appointments).iter().all(Option::is_none), "names are off");
    assert_eq!(
        appointments[0].uid,
        "040000008200E00074C5B7101A82E00800000000D0A1C7E2F46BDB01000000000000000010000000A8E1B8C2D3E4F5069788796A5B4C3D2E",
        "the folded UID is read whole"
    );
    assert_eq!(appointments[0].starts_at, "2026-12-10T08:15:00Z".parse::<Timestamp>().unwrap());
}

#[test]
fn thunderbird_export_with_loket_properties_and_a_mozilla_zone_name() {
    let appointments = import("thunderbird.ics", false).unwrap();
    assert_eq!(
        summary(&appointments),
        [
            "Mon 2026-12-07 16:00 online-lessons - -",
            "Mon 2027-01-04 11:30 tablet desk-2 uk",
            "Wed 2027-01-06 11:30 tablet desk-2 uk",
            "Fri 2027-01-08 11:30 tablet desk-2 uk",
            "Sun 2027-01-10 11:30 tablet desk-2 uk",
        ]
    );
}

#[test]
fn nextcloud_export_in_utc_with_the_time_zone_after_the_events() {
    let appointments = import("nextcloud.ics", true).unwrap();
    assert_eq!(
        summary(&appointments),
        [
            "Fri 2026-12-11 15:00 something-else desk-2 ti",
            "Tue 2026-12-15 09:30 appointment - -",
            "Tue 2026-12-29 09:30 appointment - -",
        ]
    );
    assert_eq!(names(&appointments), [None, Some("Mohammed"), Some("Mohammed")]);
}

#[test]
fn excel_sheet_with_a_bom_semicolons_and_day_first_dates() {
    let appointments = import("excel.csv", true).unwrap();
    assert_eq!(
        summary(&appointments),
        [
            "Mon 2026-12-07 10:30 email desk-1 nl",
            "Mon 2026-12-07 11:00 appointment - ar",
            "Tue 2026-12-08 09:15 smartphone desk-2 -",
        ]
    );
    assert_eq!(names(&appointments), [Some("An Peeters"), Some("Fatima El Amrani"), Some("Janssens; Els")]);
    assert_eq!(
        appointments.iter().map(|a| a.uid.as_str()).collect::<Vec<_>>(),
        ["csv:A-101", "csv:A-102", "csv:A-103"]
    );
    assert_eq!(appointments.iter().map(|a| a.line).collect::<Vec<_>>(), [2, 3, 4]);
}

#[test]
fn libreoffice_sheet_with_commas_quotes_and_a_row_before_the_period() {
    let appointments = import("libreoffice.csv", true).unwrap();
    assert_eq!(
        summary(&appointments),
        [
            "Wed 2026-12-09 14:00 smartphone desk-2 uk",
            "Wed 2026-12-09 14:30 tablet - -",
            "Thu 2026-12-10 09:00 email desk-1 fr",
        ]
    );
    assert_eq!(names(&appointments), [Some("Kovalenko, Olena"), None, Some("Dubois, \"Jeanne\"")]);
}

#[test]
fn line_endings_do_not_matter() {
    for name in
        ["google.ics", "outlook.ics", "thunderbird.ics", "nextcloud.ics", "excel.csv", "libreoffice.csv"]
    {
        let original = fixture(name);
        let text = String::from_utf8(original.clone()).unwrap();
        let other =
            if text.contains("\r\n") { text.replace("\r\n", "\n") } else { text.replace('\n', "\r\n") };
        assert_eq!(import_bytes(&original, true), import_bytes(other.as_bytes(), true), "{name}");
        assert!(!import_bytes(&original, true).unwrap().is_empty(), "{name}");
    }
}

#[test]
fn each_broken_file_is_refused_with_its_line_and_reason() {
    let cases = [
        ("broken-all-day.ics", 10, "all-day event"),
        ("broken-unknown-zone.ics", 20, "the time zone \"Customized Time Zone\" is not one Loket knows"),
        ("broken-unclosed.ics", 9, "BEGIN:VEVENT is never closed"),
        ("broken-no-service.ics", 12, "no service found for this event: its title \"Teamoverleg\""),
        ("broken-monthly.ics", 6, "this repeat (FREQ=MONTHLY) is not supported"),
        ("broken-desk.ics", 9, "desk desk-1 does not serve tablet"),
        ("broken-date.csv", 4, "\"12/31/2026\" is not a date"),
        ("broken-service.csv", 3, "\"printing\" is not a service here"),
        ("broken-quote.csv", 2, "a quote (\") opened on this line is never closed"),
    ];
    for (name, line, reason) in cases {
        let error = import(name, false).unwrap_err();
        assert_eq!(error.line, Some(line), "{name}: {error}");
        assert!(error.reason.contains(reason), "{name}: {error}");
        assert!(error.to_string().starts_with(&format!("line {line}: ")), "{name}: {error}");
    }
}

#[test]
fn an_empty_or_foreign_file_is_refused() {
    assert_eq!(import_bytes(b"", false).unwrap_err().line, None);
    let pdf = import_bytes(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n", false).unwrap_err();
    assert_eq!(pdf.line, Some(2), "{pdf}");
}

#[test]
fn the_examples_in_the_staff_documentation_read_as_it_says() {
    let doc = std::fs::read_to_string(format!("{}/docs/appointments-import.md", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    let examples: Vec<&str> =
        doc.split("```").skip(1).step_by(2).map(|block| block.trim_start_matches('\n')).collect();
    assert_eq!(examples.len(), 2, "one iCalendar and one CSV example");

    let calendar = import_bytes(examples[0].as_bytes(), true).unwrap();
    assert_eq!(
        summary(&calendar),
        [
            "Mon 2026-12-07 10:30 email desk-1 nl",
            "Wed 2026-12-09 14:00 smartphone - -",
            "Wed 2026-12-16 14:00 smartphone - -",
            "Wed 2026-12-23 14:00 smartphone - -",
            "Wed 2026-12-30 14:00 smartphone - -",
        ]
    );
    assert_eq!(calendar[0].name.as_deref(), Some("Mrs Peeters"));

    let sheet = import_bytes(examples[1].as_bytes(), true).unwrap();
    assert_eq!(
        summary(&sheet),
        [
            "Mon 2026-12-07 10:30 email desk-1 nl",
            "Mon 2026-12-07 11:00 appointment - ar",
            "Tue 2026-12-08 09:15 smartphone desk-2 -",
        ]
    );
    assert_eq!(names(&sheet), [Some("An Peeters"), None, Some("Janssens; Els")]);
}

/// The web server of the sample help point (Monday 30 November 2026, 09:30 UTC) with an API
/// token; `adjust` changes its config.
async fn web(adjust: impl FnOnce(&mut Config)) -> (common::web::WebServer, String) {
    let token = loket::secret::new_token();
    let hash = loket::secret::hash(&token).unwrap();
    let server = common::web::start_web(|config| {
        config.web.api_tokens.push(loket::config::ApiToken { name: "planning".into(), token_hash: hash });
        adjust(config);
    })
    .await;
    (server, token)
}

async fn upload(server: &common::web::WebServer, token: &str, file: Vec<u8>) -> (u16, serde_json::Value) {
    let response = loket::tls::client()
        .build()
        .unwrap()
        .post(format!("{}/api/v1/appointments/import", server.base))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

const SHEET: &str = "date;time;service;desk;reference\n\
                     01/12/2026;10:30;email;Balie 1;A-1\n\
                     01/12/2026;11:00;smartphone;;A-2\n\
                     02/12/2026;09:00;tablet;desk-2;A-3\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_sheet_is_booked_once_and_a_broken_one_changes_nothing() {
    let (server, token) = web(|_| {}).await;

    // The same rows and then one that names no service: refused on that line, nothing booked.
    let broken = format!("{SHEET}03/12/2026;09:00;printing;;A-4\n");
    let (status, body) = upload(&server, &token, broken.into_bytes()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["line"], 5);
    assert!(body["error"].as_str().unwrap().contains("\"printing\" is not a service here"), "{body}");

    let (status, body) = upload(&server, &token, SHEET.as_bytes().to_vec()).await;
    assert_eq!(
        (status, &body),
        (200, &serde_json::json!({ "booked": 3, "moved": 0, "cancelled": 0, "unchanged": 0, "past": 0 }))
    );

    // Again: nothing new. With one row moved by its reference: moved.
    let (_, body) = upload(&server, &token, SHEET.as_bytes().to_vec()).await;
    assert_eq!(
        body,
        serde_json::json!({ "booked": 0, "moved": 0, "cancelled": 0, "unchanged": 3, "past": 0 })
    );
    let moved = SHEET.replace("01/12/2026;11:00", "01/12/2026;14:00");
    let (_, body) = upload(&server, &token, moved.into_bytes()).await;
    assert_eq!(
        body,
        serde_json::json!({ "booked": 0, "moved": 1, "cancelled": 0, "unchanged": 2, "past": 0 })
    );

    // A calendar goes the same way.
    let (status, body) = upload(&server, &token, fixture("broken-all-day.ics")).await;
    assert_eq!((status, body["line"].as_u64()), (400, Some(10)), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_file_cancels_what_it_no_longer_has_on_its_days_or_marks_cancelled() {
    let (server, token) = web(|_| {}).await;
    let (_, body) = upload(&server, &token, SHEET.as_bytes().to_vec()).await;
    assert_eq!(body["booked"], 3, "{body}");

    // 1 December again without A-2: cancelled. 2 December is not in this file: A-3 stays.
    let first_day = "date;time;service;desk;reference\n01/12/2026;10:30;email;Balie 1;A-1\n";
    let (status, body) = upload(&server, &token, first_day.as_bytes().to_vec()).await;
    assert_eq!(
        (status, &body),
        (200, &serde_json::json!({ "booked": 0, "moved": 0, "cancelled": 1, "unchanged": 1, "past": 0 }))
    );

    // A calendar that marks A-3 cancelled; the console's appointments are never touched.
    let calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:A-3\r\n\
                    DTSTART;TZID=Europe/Brussels:20261202T090000\r\nSUMMARY:tablet\r\n\
                    STATUS:CANCELLED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let (status, body) = upload(&server, &token, calendar.as_bytes().to_vec()).await;
    assert_eq!((status, &body["cancelled"]), (200, &serde_json::json!(1)), "{body}");
    let (_, body) = upload(&server, &token, calendar.as_bytes().to_vec()).await;
    assert_eq!(
        (&body["cancelled"], &body["unchanged"]),
        (&serde_json::json!(0), &serde_json::json!(1)),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_is_refused_when_appointments_are_off_or_the_file_is_too_big() {
    let (server, token) = web(|config| config.appointments.enabled = false).await;
    let (status, body) = upload(&server, &token, SHEET.as_bytes().to_vec()).await;
    assert_eq!((status, &body["line"]), (409, &serde_json::Value::Null), "{body}");
    assert!(body["error"].as_str().unwrap().contains("turned off"), "{body}");

    let (server, token) = web(|_| {}).await;
    let big = SHEET.repeat(loket::appointment_import::MAX_BYTES / SHEET.len() + 1);
    let (status, body) = upload(&server, &token, big.into_bytes()).await;
    assert_eq!((status, &body["line"]), (413, &serde_json::Value::Null), "{body}");
    assert!(body["error"].as_str().unwrap().contains("2048 KiB"), "{body}");
}
