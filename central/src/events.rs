//! What the central system makes of one event from a kiosk: it checks the event (a UUID id, a
//! known type, an object body) and pulls out the typed columns the dashboard groups by.
//!
//! Pure: no I/O, no clock. It owns the list of event types the central system accepts and the
//! meaning of a ticket, xAPI, device or appointment event's body; it must not store anything. A body that
//! does not have the expected shape is still stored (raw), only without figures: the kiosk
//! recorded it, and losing it helps nobody.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::Value;

use loket_protocol::appointments::AppointmentEventBody;
use loket_protocol::report::{Refused, WireEvent};
use serde::Deserialize;

/// The event types a kiosk sends: the queue's (the kiosk's `queue::EventKind::name`), the
/// xAPI statements of screenings and tutorials, device state changes, and the appointments'
/// ([`loket_protocol::appointments::APPOINTMENT_EVENT_KINDS`]).
pub const KNOWN_TYPES: &[&str] = &[
    "ticket_issued",
    "ticket_called",
    "ticket_recalled",
    "ticket_served",
    "ticket_no_show",
    "ticket_transferred",
    "ticket_expired",
    "desk_paused",
    "desk_resumed",
    loket_protocol::xapi::EVENT_TYPE,
    "device_state_changed",
    loket_protocol::appointments::APPOINTMENT_BOOKED,
    loket_protocol::appointments::APPOINTMENT_MOVED,
    loket_protocol::appointments::APPOINTMENT_CANCELLED,
    loket_protocol::appointments::APPOINTMENT_CHECKED_IN,
    loket_protocol::appointments::APPOINTMENT_NO_SHOW,
];

/// One event as stored: the wire event's fields, the raw body, and the figures taken from it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventRow {
    pub id: String,
    pub kiosk: String,
    pub site: String,
    pub kind: String,
    pub seq: i64,
    /// RFC 3339, UTC.
    pub occurred_at: String,
    pub clock_synced: bool,
    pub boot_id: String,
    /// The local day it counts for (a ticket's service day; otherwise the local date of when
    /// it happened), `YYYY-MM-DD`.
    pub day: String,
    /// The local hour (0–23) it happened in.
    pub hour: i64,
    pub ticket_id: Option<i64>,
    /// The service the ticket waits for (after a transfer, the new one).
    pub service: Option<String>,
    /// The service the ticket was issued for.
    pub issued_service: Option<String>,
    pub language: Option<String>,
    /// `ticket_called`: seconds from issue to this call.
    pub wait_seconds: Option<i64>,
    /// `ticket_served`: the outcome staff chose, if any.
    pub outcome: Option<String>,
    /// xAPI: `screening` or `tutorial`.
    pub activity: Option<String>,
    /// xAPI: `completed`, `terminated` or `answered`.
    pub verb: Option<String>,
    /// `device_state_changed`: which device and its new state.
    pub device: Option<String>,
    pub device_state: Option<String>,
    /// `appointment_*`: the appointment's uid.
    pub appointment_uid: Option<String>,
    /// `appointment_checked_in`: minutes after its start the visitor checked in.
    pub late_minutes: Option<i64>,
    /// A completed screening: (competence, level) for each competence it scored.
    pub levels: Vec<(String, String)>,
    /// The body as JSON text.
    pub body: String,
}

/// Checks one event and takes out its figures; `Err` is a refusal for good.
pub fn read_event(event: &WireEvent, kiosk: &str, site: &str, zone: &TimeZone) -> Result<EventRow, Refused> {
    let refuse = |reason: String| Refused { id: event.id.clone(), reason };
    let parsed = uuid::Uuid::try_parse(&event.id).map_err(|_| refuse("the id is not a UUID".into()))?;
    if parsed.to_string() != event.id.to_ascii_lowercase() {
        return Err(refuse("the id is not a UUID in its usual hyphenated form".into()));
    }
    if !KNOWN_TYPES.contains(&event.kind.as_str()) {
        return Err(refuse(format!(
            "unknown event type {:?}; known types: {}",
            event.kind,
            KNOWN_TYPES.join(", ")
        )));
    }
    if !event.body.is_object() {
        return Err(refuse("the body is not a JSON object".into()));
    }
    let local = event.occurred_at.to_zoned(zone.clone());
    let mut row = EventRow {
        id: event.id.to_ascii_lowercase(),
        kiosk: kiosk.to_owned(),
        site: site.to_owned(),
        kind: event.kind.clone(),
        seq: event.seq,
        occurred_at: event.occurred_at.to_string(),
        clock_synced: event.clock_synced,
        boot_id: event.boot_id.clone(),
        day: local.date().to_string(),
        hour: i64::from(local.hour()),
        body: event.body.to_string(),
        ..EventRow::default()
    };
    let body = &event.body;
    if event.kind.starts_with("ticket_") {
        read_ticket(body, zone, &mut row);
    } else if event.kind == loket_protocol::xapi::EVENT_TYPE {
        read_statement(body, &mut row);
    } else if event.kind == "device_state_changed" {
        row.device = text(&body["device"]);
        row.device_state = text(&body["state"]);
    } else if event.kind.starts_with("appointment_") {
        read_appointment(body, zone, &mut row);
    }
    Ok(row)
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

fn timestamp(value: &Value) -> Option<Timestamp> {
    value.as_str()?.parse().ok()
}

fn read_ticket(body: &Value, zone: &TimeZone, row: &mut EventRow) {
    let ticket = &body["ticket"];
    row.ticket_id = ticket["id"].as_i64();
    row.service = text(&ticket["service"]);
    row.issued_service = text(&ticket["issued_service"]);
    row.language = text(&ticket["language"]);
    if let Some(day) = ticket["service_day"].as_str().and_then(|d| d.parse::<jiff::civil::Date>().ok()) {
        row.day = day.to_string();
    }
    if let Some(issued) = timestamp(&ticket["issued_at"])
        && row.kind == "ticket_issued"
    {
        row.hour = i64::from(issued.to_zoned(zone.clone()).hour());
    }
    if row.kind == "ticket_called"
        && let (Some(issued), Some(called)) =
            (timestamp(&ticket["issued_at"]), timestamp(&ticket["called_at"]))
    {
        row.wait_seconds = Some(called.duration_since(issued).as_secs().max(0));
    }
    if row.kind == "ticket_served" {
        row.outcome = text(&ticket["state"]["outcome"]);
    }
}

/// An appointment event counts on the local day and hour the appointment starts (after a move,
/// its new time); a body that is not an [`AppointmentEventBody`] is kept without figures.
fn read_appointment(body: &Value, zone: &TimeZone, row: &mut EventRow) {
    let Ok(appointment) = AppointmentEventBody::deserialize(body) else { return };
    let starts = appointment.starts_at.to_zoned(zone.clone());
    row.day = starts.date().to_string();
    row.hour = i64::from(starts.hour());
    row.appointment_uid =
        Some(appointment.uid.chars().take(loket_protocol::appointments::MAX_UID_BYTES).collect());
    row.service = Some(appointment.service);
    row.language = appointment.language;
    row.late_minutes = appointment.late_minutes.map(i64::from);
}

fn read_statement(body: &Value, row: &mut EventRow) {
    let kind = body["object"]["definition"]["type"].as_str().unwrap_or_default();
    row.activity = match kind {
        "http://adlnet.gov/expapi/activities/assessment" => Some("screening".into()),
        "http://adlnet.gov/expapi/activities/lesson" => Some("tutorial".into()),
        "http://adlnet.gov/expapi/activities/cmi.interaction" => Some("exercise".into()),
        _ => None,
    };
    row.verb = body["verb"]["id"].as_str().and_then(|v| v.rsplit('/').next()).map(str::to_owned);
    if row.activity.as_deref() == Some("screening") && row.verb.as_deref() == Some("completed") {
        row.levels = levels(&body["result"]["extensions"]);
    }
    // The statement's timestamp carries the kiosk's local offset: its date and hour are local.
    if let Some(stamp) = body["timestamp"].as_str()
        && let Ok(zoned) = stamp
            .parse::<jiff::Zoned>()
            .or_else(|_| stamp.parse::<Timestamp>().map(|t| t.to_zoned(TimeZone::fixed(offset_of(stamp)))))
    {
        row.day = zoned.date().to_string();
        row.hour = i64::from(zoned.hour());
    }
}

/// The levels per competence of a screening's result (`<xapi_base>/ext/competences`); only
/// the levels the kiosk scores with ([`loket_protocol::learning::Level`]).
fn levels(extensions: &Value) -> Vec<(String, String)> {
    let Some(map) = extensions.as_object() else { return Vec::new() };
    map.iter()
        .filter(|(key, _)| key.ends_with("/ext/competences"))
        .filter_map(|(_, v)| v.as_object())
        .flatten()
        .filter_map(|(code, level)| {
            let level = level.as_str()?;
            loket_protocol::learning::Level::from_name(level)?;
            Some((code.chars().take(32).collect(), level.to_owned()))
        })
        .take(64)
        .collect()
}

/// The UTC offset written at the end of an RFC 3339 time (`+01:00`), or UTC.
fn offset_of(stamp: &str) -> jiff::tz::Offset {
    let tail = stamp.get(stamp.len().saturating_sub(6)..).unwrap_or_default();
    let sign = match tail.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return jiff::tz::Offset::UTC,
    };
    let hours: i32 = tail.get(1..3).and_then(|h| h.parse().ok()).unwrap_or(0);
    let minutes: i32 = tail.get(4..6).and_then(|m| m.parse().ok()).unwrap_or(0);
    jiff::tz::Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).unwrap_or(jiff::tz::Offset::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wire(id: &str, kind: &str, body: Value) -> WireEvent {
        WireEvent {
            id: id.into(),
            seq: 1,
            kind: kind.into(),
            occurred_at: "2026-11-30T09:10:00Z".parse().unwrap(),
            clock_synced: true,
            boot_id: "b".into(),
            body,
        }
    }

    const ID: &str = "6f1c1f9e-5b7e-4d0e-9a47-0c8f2d3f6a11";

    fn zone() -> TimeZone {
        TimeZone::get("Europe/Brussels").unwrap()
    }

    #[test]
    fn a_call_gives_its_wait_service_and_local_day() {
        let body = json!({"type": "ticket_called", "at": "2026-11-30T09:10:00Z", "desk": "desk-1", "ticket": {
            "id": 4, "service_day": "2026-11-30", "prefix": "E", "number": 4, "issued_service": "email",
            "service": "email", "language": "nl", "issued_at": "2026-11-30T09:02:30Z",
            "state": {"state": "called", "desk": "desk-1"}, "called_at": "2026-11-30T09:10:00Z",
            "finished_at": null, "recalls": 0}});
        let row = read_event(&wire(ID, "ticket_called", body), "k1", "Gent", &zone()).unwrap();
        assert_eq!(row.wait_seconds, Some(450));
        assert_eq!(row.service.as_deref(), Some("email"));
        assert_eq!(row.ticket_id, Some(4));
        assert_eq!((row.day.as_str(), row.hour), ("2026-11-30", 10));
    }

    #[test]
    fn bad_ids_types_and_bodies_are_refused_with_a_reason() {
        let r = read_event(&wire("nope", "ticket_issued", json!({})), "k", "s", &zone()).unwrap_err();
        assert!(r.reason.contains("UUID"), "{r:?}");
        let r = read_event(&wire(ID, "coffee_made", json!({})), "k", "s", &zone()).unwrap_err();
        assert!(r.reason.contains("unknown event type \"coffee_made\""), "{r:?}");
        let r = read_event(&wire(ID, "ticket_issued", json!([1])), "k", "s", &zone()).unwrap_err();
        assert!(r.reason.contains("object"), "{r:?}");
    }

    #[test]
    fn a_statement_counts_on_its_own_local_day() {
        let body = json!({"verb": {"id": loket_protocol::xapi::COMPLETED},
            "object": {"definition": {"type": "http://adlnet.gov/expapi/activities/assessment"}},
            "timestamp": "2026-11-30T00:30:00.000+01:00"});
        let row = read_event(&wire(ID, "xapi_statement", body), "k", "s", &zone()).unwrap();
        assert_eq!(row.activity.as_deref(), Some("screening"));
        assert_eq!(row.verb.as_deref(), Some("completed"));
        assert_eq!((row.day.as_str(), row.hour), ("2026-11-30", 0));
    }

    #[test]
    fn a_completed_screening_gives_its_levels_per_competence() {
        let body = json!({"verb": {"id": loket_protocol::xapi::COMPLETED},
            "object": {"definition": {"type": "http://adlnet.gov/expapi/activities/assessment"}},
            "result": {"extensions": {"https://x/ext/competences": {"1.1": "on_own", "2.1": "not_yet", "3.1": "??"},
                "https://x/ext/referral": "digital_help"}},
            "timestamp": "2026-11-30T10:30:00.000+01:00"});
        let row = read_event(&wire(ID, "xapi_statement", body), "k", "s", &zone()).unwrap();
        assert_eq!(
            row.levels,
            [("1.1".to_owned(), "on_own".to_owned()), ("2.1".to_owned(), "not_yet".to_owned())]
        );
    }

    #[test]
    fn an_appointment_event_counts_on_the_local_day_it_starts_with_its_uid_and_lateness() {
        let body = json!({"uid": "6c0a", "service": "email", "desk": "desk-1", "language": "ar",
            "starts_at": "2026-11-30T23:30:00Z", "source": "central", "checked_in_at": "2026-11-30T23:42:00Z",
            "late_minutes": 12, "ticket": "E-004", "added_later": true});
        let row = read_event(&wire(ID, "appointment_checked_in", body), "k", "s", &zone()).unwrap();
        assert_eq!((row.day.as_str(), row.hour), ("2026-12-01", 0), "Brussels is an hour ahead");
        assert_eq!(row.appointment_uid.as_deref(), Some("6c0a"));
        assert_eq!((row.service.as_deref(), row.language.as_deref()), (Some("email"), Some("ar")));
        assert_eq!(row.late_minutes, Some(12));
        let odd = read_event(&wire(ID, "appointment_no_show", json!({"uid": 5})), "k", "s", &zone()).unwrap();
        assert_eq!((odd.appointment_uid, odd.day.as_str()), (None, "2026-11-30"), "kept without figures");
    }

    #[test]
    fn an_odd_body_is_kept_without_figures() {
        let row = read_event(&wire(ID, "ticket_served", json!({"ticket": 5})), "k", "s", &zone()).unwrap();
        assert_eq!((row.service, row.outcome), (None, None));
    }
}
