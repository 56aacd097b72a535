//! Appointments planned on `loket-central` and the events a kiosk records about appointments:
//! the JSON shapes both sides speak, the path, the limits and the checks both sides apply.
//!
//! - `GET /api/v1/kiosk/appointments` — the [`AppointmentPlan`] for the kiosk its token names:
//!   every appointment of the kiosk's site from today on (cancelled ones too, marked, so a kiosk
//!   that held one learns it is off). Pulled with `If-None-Match` like the settings and the
//!   content pack: `304` when unchanged; the ETag changes whenever the plan does.
//! - The outbox event kinds [`APPOINTMENT_EVENT_KINDS`], whose JSON body is an
//!   [`AppointmentEventBody`]; fields it does not name are tolerated (a newer kiosk may add some).
//!
//! Privacy: a plan and an event carry a time, a service, a desk, a language and a booking code;
//! never a name or anything else about the person. A booking code is six random digits, derived
//! from nothing.
//!
//! Pure data and checks: no I/O, no clock. It must not know how either side stores an
//! appointment or what a kiosk does with a plan.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a kiosk pulls its site's appointment plan.
pub const APPOINTMENTS_PATH: &str = "/api/v1/kiosk/appointments";

/// The most appointments one plan may hold (a site's appointments from today on).
pub const MAX_PLAN_APPOINTMENTS: usize = 5000;
/// The largest plan a kiosk accepts, in bytes (5,000 appointments take about 1.3 MB).
pub const MAX_PLAN_BYTES: usize = 4 * 1024 * 1024;
/// The longest uid accepted, in bytes.
pub const MAX_UID_BYTES: usize = 200;

/// The outbox event types a kiosk records about appointments.
pub const APPOINTMENT_EVENT_KINDS: &[&str] = &[
    APPOINTMENT_BOOKED,
    APPOINTMENT_MOVED,
    APPOINTMENT_CANCELLED,
    APPOINTMENT_CHECKED_IN,
    APPOINTMENT_NO_SHOW,
];
pub const APPOINTMENT_BOOKED: &str = "appointment_booked";
pub const APPOINTMENT_MOVED: &str = "appointment_moved";
pub const APPOINTMENT_CANCELLED: &str = "appointment_cancelled";
pub const APPOINTMENT_CHECKED_IN: &str = "appointment_checked_in";
pub const APPOINTMENT_NO_SHOW: &str = "appointment_no_show";

/// One appointment in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlannedAppointment {
    /// Stable over moves and cancellation (a UUID made by the central system).
    pub uid: String,
    /// The booking code the visitor types at the kiosk: six digits, e.g. `482913`.
    pub code: String,
    pub starts_at: Timestamp,
    /// The service's id in the kiosk's config, e.g. `email`.
    pub service: String,
    /// The desk that will call the visitor, if one is chosen.
    pub desk: Option<String>,
    /// The visitor's language (a code such as `nl`, `ar`), if known.
    pub language: Option<String>,
    /// Cancelled: the code no longer checks in.
    pub cancelled: bool,
}

/// `GET /api/v1/kiosk/appointments`: the site's appointments from today on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AppointmentPlan {
    /// The kiosk this plan was made for (its token's kiosk).
    pub kiosk_id: String,
    /// When the central system made it, by its clock.
    pub generated_at: Timestamp,
    /// At most [`MAX_PLAN_APPOINTMENTS`], by start time.
    pub appointments: Vec<PlannedAppointment>,
}

/// Why a plan is refused (by the kiosk before it changes anything).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanRefused {
    #[error("the plan is for kiosk {plan:?}, this kiosk is {kiosk:?}")]
    OtherKiosk { plan: String, kiosk: String },
    #[error("the plan holds {0} appointments, more than {MAX_PLAN_APPOINTMENTS}")]
    TooMany(usize),
    #[error("appointment {index}: {reason}")]
    Appointment { index: usize, reason: String },
}

impl AppointmentPlan {
    /// Checks the whole plan for kiosk `kiosk_id`: its kiosk, its size, and every appointment
    /// ([`PlannedAppointment::check`]); no uid twice, no booking code twice among those not
    /// cancelled.
    pub fn check(&self, kiosk_id: &str) -> Result<(), PlanRefused> {
        if self.kiosk_id != kiosk_id {
            return Err(PlanRefused::OtherKiosk { plan: self.kiosk_id.clone(), kiosk: kiosk_id.to_owned() });
        }
        if self.appointments.len() > MAX_PLAN_APPOINTMENTS {
            return Err(PlanRefused::TooMany(self.appointments.len()));
        }
        let mut uids = std::collections::HashSet::new();
        let mut codes = std::collections::HashSet::new();
        for (index, a) in self.appointments.iter().enumerate() {
            let refuse = |reason: String| PlanRefused::Appointment { index, reason };
            a.check().map_err(refuse)?;
            if !uids.insert(a.uid.as_str()) {
                return Err(refuse(format!("uid {:?} comes twice", a.uid)));
            }
            if !a.cancelled && !codes.insert(a.code.as_str()) {
                return Err(refuse(format!("booking code {} is used twice", a.code)));
            }
        }
        Ok(())
    }
}

impl PlannedAppointment {
    /// One appointment is usable: a uid, a six-digit code, plain service, desk and language ids.
    pub fn check(&self) -> Result<(), String> {
        if self.uid.trim().is_empty()
            || self.uid.len() > MAX_UID_BYTES
            || self.uid.chars().any(char::is_control)
        {
            return Err(format!("uid {:?} is empty, too long or has control characters", self.uid));
        }
        if !is_booking_code(&self.code) {
            return Err(format!("booking code {:?} is not six digits", self.code));
        }
        if !is_plain_id(&self.service) {
            return Err(format!("service {:?} is not a service id", self.service));
        }
        if let Some(desk) = &self.desk
            && !is_plain_id(desk)
        {
            return Err(format!("desk {desk:?} is not a desk id"));
        }
        if let Some(language) = &self.language
            && !is_plain_id(language)
        {
            return Err(format!("language {language:?} is not a language code"));
        }
        Ok(())
    }
}

/// Six ASCII digits: a booking code as stored and sent (`482913`; shown as `482 913`).
pub fn is_booking_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// A new booking code: six digits from the operating system's random source, derived from
/// nothing about the person.
pub fn new_booking_code() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    // 2^32 is not a multiple of 10^6: draws above the last whole multiple are drawn again.
    const LIMIT: u32 = u32::MAX - (u32::MAX % 1_000_000);
    loop {
        let n = OsRng.next_u32();
        if n < LIMIT {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// An id as the kiosk's config writes services and desks (and a language code): 1–64 of
/// `a-z`, `A-Z`, `0-9`, `-`, `_`.
pub fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Where an appointment was made, as an event body names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AppointmentSource {
    /// Booked by staff in the kiosk's console.
    Console,
    /// From a calendar (`.ics`) or CSV file staff dropped in or uploaded.
    File,
    /// Planned on the central system.
    Central,
}

/// The body of an `appointment_*` event (`appointment_booked`, `appointment_moved`,
/// `appointment_cancelled`, `appointment_checked_in`, `appointment_no_show`): the `body` of its
/// `WireEvent`. Pseudonymous: never a name. Fields it does not name are tolerated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppointmentEventBody {
    /// The appointment's stable uid (over moves, cancellation and check-in).
    pub uid: String,
    pub service: String,
    #[serde(default)]
    pub desk: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    /// When the appointment starts (after a move, the new time).
    pub starts_at: Timestamp,
    pub source: AppointmentSource,
    /// `appointment_checked_in`: when the visitor checked in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in_at: Option<Timestamp>,
    /// `appointment_checked_in`: minutes after the start the visitor checked in (0 on time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_minutes: Option<u32>,
    /// `appointment_checked_in`: the code of the ticket the visitor got, e.g. `A-012`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn appointment(uid: &str, code: &str) -> PlannedAppointment {
        PlannedAppointment {
            uid: uid.into(),
            code: code.into(),
            starts_at: "2026-12-04T09:30:00Z".parse().unwrap(),
            service: "email".into(),
            desk: Some("desk-1".into()),
            language: Some("ar".into()),
            cancelled: false,
        }
    }

    fn plan(appointments: Vec<PlannedAppointment>) -> AppointmentPlan {
        AppointmentPlan {
            kiosk_id: "gent-1".into(),
            generated_at: "2026-12-04T07:00:00Z".parse().unwrap(),
            appointments,
        }
    }

    #[test]
    fn a_plan_round_trips_and_refuses_unknown_fields_such_as_a_name() {
        let p = plan(vec![appointment("u1", "482913")]);
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<AppointmentPlan>(&text).unwrap(), p);
        let named = text.replacen("\"code\"", "\"name\":\"Jan\",\"code\"", 1);
        let err = serde_json::from_str::<AppointmentPlan>(&named).unwrap_err().to_string();
        assert!(err.contains("unknown field `name`"), "{err}");
        assert_eq!(p.check("gent-1"), Ok(()));
    }

    #[test]
    fn a_broken_plan_is_refused_with_the_appointment_and_the_reason() {
        let other = plan(vec![]).check("brugge-1").unwrap_err().to_string();
        assert!(other.contains("\"gent-1\"") && other.contains("\"brugge-1\""), "{other}");
        let short = plan(vec![appointment("u1", "48291")]).check("gent-1").unwrap_err().to_string();
        assert_eq!(short, "appointment 0: booking code \"48291\" is not six digits");
        let twice = plan(vec![appointment("u1", "111111"), appointment("u1", "222222")]);
        assert!(twice.check("gent-1").unwrap_err().to_string().contains("uid \"u1\" comes twice"));
        let same_code = plan(vec![appointment("u1", "111111"), appointment("u2", "111111")]);
        assert!(
            same_code.check("gent-1").unwrap_err().to_string().starts_with("appointment 1: booking code")
        );
        let mut cancelled = appointment("u2", "111111");
        cancelled.cancelled = true;
        assert_eq!(plan(vec![appointment("u1", "111111"), cancelled]).check("gent-1"), Ok(()));
        let mut bad_desk = appointment("u1", "111111");
        bad_desk.desk = Some("<desk>".into());
        assert!(plan(vec![bad_desk]).check("gent-1").is_err());
        let many = plan((0..=MAX_PLAN_APPOINTMENTS).map(|i| appointment(&format!("u{i}"), "1")).collect());
        assert_eq!(many.check("gent-1"), Err(PlanRefused::TooMany(MAX_PLAN_APPOINTMENTS + 1)));
    }

    #[test]
    fn booking_codes_are_six_random_digits() {
        let codes: std::collections::HashSet<String> = (0..200).map(|_| new_booking_code()).collect();
        assert!(codes.iter().all(|c| is_booking_code(c)), "{codes:?}");
        assert!(codes.len() > 190, "random, not one code: {}", codes.len());
        assert!(!is_booking_code("12345a") && !is_booking_code("1234567") && !is_booking_code("١٢٣٤٥٦"));
    }

    #[test]
    fn an_event_body_tolerates_fields_it_does_not_know() {
        let body = serde_json::json!({"uid": "u1", "service": "email", "desk": null, "language": "nl",
            "starts_at": "2026-12-04T09:30:00Z", "source": "central", "checked_in_at": "2026-12-04T09:41:00Z",
            "late_minutes": 11, "ticket": "A-012", "appointment_kind": "later addition"});
        let read: AppointmentEventBody = serde_json::from_value(body).unwrap();
        assert_eq!((read.source, read.late_minutes, read.desk), (AppointmentSource::Central, Some(11), None));
        let minimal = serde_json::json!({"uid": "u1", "service": "email", "starts_at": "2026-12-04T09:30:00Z",
            "source": "console"});
        assert!(serde_json::from_value::<AppointmentEventBody>(minimal).is_ok());
    }
}
