//! `POST /api/v1/appointments/import`: staff upload a calendar (`.ics`) or a CSV sheet, and its
//! appointments from today up to [`IMPORT_DAYS`] ahead are booked, moved, cancelled or left as
//! they are.
//!
//! It owns the route's answers: the counts of what changed, or `{error, line}` for a file that
//! is refused, in which case nothing changed. It must not read the file itself (that is
//! [`crate::appointment_import`]) nor decide what a booking may be (that is the help point's
//! `import_appointments`); it parses on a blocking thread, not while holding the help point.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::WebState;
use super::auth::Staff;
use super::error::{ErrorBody, WebError};
use crate::appointment::AppointmentError;
use crate::appointment_import::{ImportError, ImportRules, MAX_BYTES, parse_appointments};
use crate::help_point::{ActionError, BookingError};

/// How many days ahead an import reads (today included).
pub const IMPORT_DAYS: i64 = 60;

/// What an import changed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AppointmentsImported)]
pub struct Imported {
    /// New appointments booked, each with a new booking code.
    booked: usize,
    /// Appointments already known (by their uid) whose time, service, desk or language changed.
    moved: usize,
    /// Appointments an earlier file booked, still expected, that this file marks cancelled or
    /// no longer has on a day it covers: cancelled.
    cancelled: usize,
    /// Appointments already known as they are.
    unchanged: usize,
    /// New appointments whose time was already over: not booked.
    past: usize,
}

/// Why a file was refused: nothing was imported.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ImportRefusal)]
pub struct Refusal {
    /// What is wrong, in words staff can act on.
    error: String,
    /// The line of the file (1-based); null when the problem is the whole file.
    #[schema(required = true, examples(4))]
    line: Option<usize>,
}

/// A refused import.
#[derive(Debug)]
pub enum ImportRefused {
    /// 400: the file is broken or names something the help point does not have.
    File(Refusal),
    /// 409: appointments are turned off in the config.
    Off,
    /// 413: the file is bigger than [`MAX_BYTES`].
    TooBig,
    /// Any other failure, answered as the web layer's errors are.
    Web(WebError),
}

impl From<WebError> for ImportRefused {
    fn from(e: WebError) -> ImportRefused {
        ImportRefused::Web(e)
    }
}

impl From<ImportError> for ImportRefused {
    fn from(e: ImportError) -> ImportRefused {
        ImportRefused::File(Refusal { error: e.reason, line: e.line })
    }
}

impl IntoResponse for ImportRefused {
    fn into_response(self) -> Response {
        let refusal = |status: StatusCode, error: String, line: Option<usize>| {
            (status, Json(Refusal { error, line })).into_response()
        };
        match self {
            ImportRefused::File(r) => refusal(StatusCode::BAD_REQUEST, r.error, r.line),
            ImportRefused::Off => refusal(StatusCode::CONFLICT, AppointmentError::Disabled.to_string(), None),
            ImportRefused::TooBig => refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the file is bigger than {} KiB; export a shorter period", MAX_BYTES / 1024),
                None,
            ),
            ImportRefused::Web(e) => e.into_response(),
        }
    }
}

/// Import appointments from an iCalendar (`.ics`) or CSV file.
///
/// The body is the file as it is (`text/calendar`, `text/csv` or any other type: the content
/// tells the formats apart), at most 2 MiB. Appointments from today up to 60 days ahead are
/// read; one already known by its uid (the event's UID, or the CSV's `reference`) is moved
/// when it changed, a new one is booked with a new code. One an earlier file booked, still
/// expected, is cancelled when the file marks it cancelled or no longer has it on a day the
/// file covers (its first appointment's day to its last one's). A broken file is refused with the
/// line and the reason, and nothing changes. Both formats are described in
/// `docs/appointments-import.md`. Needs an API token, or a session with `X-CSRF-Token`.
#[utoipa::path(
    post,
    path = "/api/v1/appointments/import",
    tag = "appointments",
    security(("session" = []), ("bearer" = [])),
    request_body(content = String, content_type = "text/plain", description = "The .ics or .csv file."),
    responses(
        (status = 200, description = "Imported.", body = Imported),
        (status = 400, description = "The file is refused (nothing changed): the reason and the line.", body = Refusal),
        (status = 401, description = "No session or API token, or a wrong one.", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token header (sessions).", body = ErrorBody),
        (status = 409, description = "Appointments are turned off in the config.", body = Refusal),
        (status = 413, description = "The file is bigger than 2 MiB.", body = Refusal),
        (status = 503, description = "The appointments cannot be stored now (e.g. the disk is full); the reason says why.", body = ErrorBody),
    ),
)]
pub async fn import_appointments(
    State(state): State<WebState>,
    staff: Staff,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Imported>, ImportRefused> {
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ImportRefused::TooBig,
        _ => WebError::BadRequest(format!("cannot read the request body: {}", e.body_text())).into(),
    })?;
    if !state.config.appointments.enabled {
        return Err(ImportRefused::Off);
    }
    let now = state.help_point.ask(|hp| hp.now()).await.map_err(WebError::from)?;
    let config = state.config.clone();
    let imported = tokio::task::spawn_blocking(move || {
        let zone = &config.site.timezone;
        let today = now.to_zoned(zone.clone()).date();
        let mut rules = ImportRules::for_days(zone, today, IMPORT_DAYS, &config.services, &config.desks);
        rules.names = config.appointments.names;
        parse_appointments(&body, &rules)
    })
    .await
    .map_err(WebError::from)??;
    let count = imported.len();
    let changes = state
        .help_point
        .ask(move |hp| hp.import_appointments(imported))
        .await
        .map_err(WebError::from)?
        .map_err(|(line, e)| match e {
            BookingError::Appointment(AppointmentError::Disabled) => ImportRefused::Off,
            BookingError::Appointment(e) => {
                ImportRefused::File(Refusal { error: e.to_string(), line: (line > 0).then_some(line) })
            }
            BookingError::Store(e) => ImportRefused::Web(ActionError::Store(e).into()),
        })?;
    let by = match &staff {
        Staff::Desk { desk, .. } => desk.as_str(),
        Staff::Token { name } => name.as_str(),
    };
    log::info!(
        "web: {count} appointments imported by {by}: {} booked, {} moved, {} cancelled, {} unchanged, {} past",
        changes.booked,
        changes.moved,
        changes.cancelled,
        changes.unchanged,
        changes.past
    );
    Ok(Json(Imported {
        booked: changes.booked,
        moved: changes.moved,
        cancelled: changes.cancelled,
        unchanged: changes.unchanged,
        past: changes.past,
    }))
}
