//! The appointment book over HTTP: staff list a day's appointments (all, or a desk's own),
//! book, move and cancel them, and open a printable slip with the booking code and its QR code
//! for the visitor.
//!
//! It owns the JSON shapes of appointments and their place in the OpenAPI document, the slip's
//! HTML (its QR code drawn as SVG from the same `qrcode` crate the printer uses), and the
//! mapping of the book's refusals to HTTP (404 for an unknown appointment, 422 with the reason
//! for a value the help point does not take). The rules are `crate::appointment`'s; every
//! change runs on the help point's thread like the desk actions. It must not decide who is
//! signed in (that is `auth`); an appointment's name is shown to staff only, never on the board.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::WebState;
use super::api::with_help_point;
use super::auth::Staff;
use super::error::{ErrorBody, JsonBody, WebError};
use super::words::escape_html;
use crate::appointment::{
    Appointment, AppointmentError, AppointmentId, AppointmentMove, AppointmentSource, NewAppointment,
};
use crate::config::Config;
use crate::help_point::{ActionError, BookingError};

/// An appointment as staff see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Appointment)]
pub struct AppointmentView {
    pub id: i64,
    /// Stable over moves and cancellation.
    pub uid: String,
    /// The booking code's six digits, as the visitor types them.
    #[schema(examples("482913"))]
    pub code: String,
    /// The code as shown to people: `482 913`.
    #[schema(examples("482 913"))]
    pub code_shown: String,
    pub starts_at: Timestamp,
    pub service: String,
    #[schema(required = true)]
    pub desk: Option<String>,
    #[schema(required = true)]
    pub language: Option<String>,
    /// Only where the help point keeps names (`[appointments] names`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// expected, checked_in, called, served, no_show or cancelled.
    #[schema(examples("expected"))]
    pub state: String,
    /// console, file or central.
    pub source: String,
    /// The code of the ticket the visitor got at check-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(examples("A-003"))]
    pub ticket: Option<String>,
}

impl AppointmentView {
    fn of(a: &Appointment, ticket: Option<String>) -> AppointmentView {
        AppointmentView {
            id: a.id.0,
            uid: a.uid.clone(),
            code: a.code.digits(),
            code_shown: a.code.to_string(),
            starts_at: a.starts_at,
            service: a.service.clone(),
            desk: a.desk.clone(),
            language: a.language.clone(),
            name: a.name.clone(),
            state: a.state.name().to_owned(),
            source: a.source.name().to_owned(),
            ticket,
        }
    }

    /// `a` with its ticket's code, read from the help point's queue or store.
    fn with_ticket(a: &Appointment, hp: &crate::help_point::HelpPoint) -> AppointmentView {
        let ticket = a.ticket.and_then(|id| match hp.queue().ticket(id) {
            Some(t) => Some(t.code()),
            None => hp.store().ticket(id).ok().flatten().map(|t| t.code()),
        });
        AppointmentView::of(a, ticket)
    }
}

impl From<BookingError> for WebError {
    fn from(e: BookingError) -> WebError {
        match e {
            BookingError::Store(e) => WebError::from(ActionError::Store(e)),
            BookingError::Appointment(e @ AppointmentError::UnknownAppointment(_)) => {
                WebError::NotFound(e.to_string())
            }
            BookingError::Appointment(e) => WebError::Unprocessable(e.to_string()),
        }
    }
}

/// Which appointments to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// The local day, e.g. 2026-11-30; today when left out.
    #[param(value_type = Option<String>, example = "2026-11-30")]
    day: Option<String>,
    /// Only this desk's appointments (and those of no desk for a service it serves).
    desk: Option<String>,
}

/// A day's appointments, by time.
///
/// Needs a desk session or an API token.
#[utoipa::path(
    get,
    path = "/api/v1/appointments",
    tag = "appointments",
    params(ListQuery),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The day's appointments, by time.", body = Vec<AppointmentView>),
        (status = 400, description = "A bad day or an unknown query parameter.", body = ErrorBody),
        (status = 401, description = "No session or API token, or a wrong one.", body = ErrorBody),
        (status = 404, description = "No such desk.", body = ErrorBody),
    ),
)]
pub async fn list(
    State(state): State<WebState>,
    _staff: Staff,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<AppointmentView>>, WebError> {
    let Query(query) = query.map_err(|e| WebError::BadRequest(format!("bad query: {}", e.body_text())))?;
    let day: Option<Date> = match query.day.as_deref() {
        Some(text) => Some(text.parse().map_err(|_| {
            WebError::BadRequest(format!("day = \"{text}\": must be a date like 2026-11-30"))
        })?),
        None => None,
    };
    if let Some(desk) = &query.desk
        && state.config.desk(desk).is_none()
    {
        return Err(WebError::NotFound(format!("there is no desk \"{desk}\"")));
    }
    with_help_point(&state, move |hp, _| {
        let day = day.unwrap_or_else(|| hp.appointment_rules().day_of(hp.now()));
        let list = hp
            .appointments_on(day, query.desk.as_deref())
            .map_err(|e| WebError::from(ActionError::Store(e)))?;
        Ok(Json(list.iter().map(|a| AppointmentView::with_ticket(a, hp)).collect()))
    })
    .await
}

/// A new appointment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Book {
    starts_at: Timestamp,
    /// A service's id from the config.
    service: String,
    /// A desk's id from the config; left out: any desk of the service.
    #[serde(default)]
    desk: Option<String>,
    /// The visitor's language, if known.
    #[serde(default)]
    language: Option<String>,
    /// Only where the help point keeps names.
    #[serde(default)]
    name: Option<String>,
}

/// Book an appointment; it gets a fresh random booking code.
///
/// Needs a desk session with `X-CSRF-Token`, or an API token.
#[utoipa::path(
    post,
    path = "/api/v1/appointments",
    tag = "appointments",
    security(("session" = []), ("bearer" = [])),
    request_body = Book,
    responses(
        (status = 201, description = "Booked.", body = AppointmentView),
        (status = 400, description = "The body is not valid JSON for this route.", body = ErrorBody),
        (status = 401, description = "No session or API token, or a wrong one.", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token header (sessions).", body = ErrorBody),
        (status = 422, description = "A value the help point does not take (service, desk, language, name, a time past), or appointments are off; the reason says which.", body = ErrorBody),
        (status = 503, description = "The appointment cannot be stored now; the reason says why.", body = ErrorBody),
    ),
)]
pub async fn book(
    State(state): State<WebState>,
    _staff: Staff,
    JsonBody(body): JsonBody<Book>,
) -> Result<(StatusCode, Json<AppointmentView>), WebError> {
    let view = with_help_point(&state, move |hp, _| {
        let new = NewAppointment {
            starts_at: body.starts_at,
            service: body.service,
            desk: body.desk,
            language: body.language,
            name: body.name,
        };
        let booked = hp.book(new, AppointmentSource::Console)?;
        Ok(AppointmentView::of(&booked, None))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// What a move changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Move {
    #[serde(default)]
    starts_at: Option<Timestamp>,
    #[serde(default)]
    service: Option<String>,
    /// A desk's id; `null` takes the desk away (any desk of the service).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    desk: Option<Option<String>>,
}

/// A field that is there (maybe `null`) is `Some`, a field left out is `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The appointment in the address.
fn appointment_id(
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<AppointmentId, WebError> {
    let Path(id) =
        id.map_err(|e| WebError::BadRequest(format!("bad appointment in the address: {}", e.body_text())))?;
    Ok(AppointmentId(id))
}

/// Move an appointment (its time, service or desk); its code stays.
///
/// Needs a desk session with `X-CSRF-Token`, or an API token.
#[utoipa::path(
    patch,
    path = "/api/v1/appointments/{id}",
    tag = "appointments",
    params(("id" = i64, Path, description = "The appointment's id.")),
    security(("session" = []), ("bearer" = [])),
    request_body = Move,
    responses(
        (status = 200, description = "Moved.", body = AppointmentView),
        (status = 400, description = "The body is not valid JSON for this route.", body = ErrorBody),
        (status = 401, description = "No session or API token, or a wrong one.", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token header (sessions).", body = ErrorBody),
        (status = 404, description = "No such appointment.", body = ErrorBody),
        (status = 422, description = "A value the help point does not take, or the appointment is no longer expected.", body = ErrorBody),
        (status = 503, description = "The change cannot be stored now; the reason says why.", body = ErrorBody),
    ),
)]
pub async fn move_appointment(
    State(state): State<WebState>,
    _staff: Staff,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
    JsonBody(body): JsonBody<Move>,
) -> Result<Json<AppointmentView>, WebError> {
    let id = appointment_id(id)?;
    with_help_point(&state, move |hp, _| {
        let change = AppointmentMove { starts_at: body.starts_at, service: body.service, desk: body.desk };
        let moved = hp.move_appointment(id, change)?;
        Ok(Json(AppointmentView::of(&moved, None)))
    })
    .await
}

/// Cancel an appointment: its code no longer checks in.
///
/// Needs a desk session with `X-CSRF-Token`, or an API token.
#[utoipa::path(
    post,
    path = "/api/v1/appointments/{id}/cancel",
    tag = "appointments",
    params(("id" = i64, Path, description = "The appointment's id.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled.", body = AppointmentView),
        (status = 400, description = "A bad id in the address.", body = ErrorBody),
        (status = 401, description = "No session or API token, or a wrong one.", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token header (sessions).", body = ErrorBody),
        (status = 404, description = "No such appointment.", body = ErrorBody),
        (status = 422, description = "The appointment is no longer expected (checked in, over or cancelled).", body = ErrorBody),
        (status = 503, description = "The change cannot be stored now; the reason says why.", body = ErrorBody),
    ),
)]
pub async fn cancel(
    State(state): State<WebState>,
    _staff: Staff,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Json<AppointmentView>, WebError> {
    let id = appointment_id(id)?;
    with_help_point(&state, move |hp, _| Ok(Json(AppointmentView::of(&hp.cancel_appointment(id)?, None))))
        .await
}

/// A printable slip for the visitor: the help point, the time, the service, the booking code
/// and its QR code (`LKT` and the six digits, which the kiosk's scanner reads).
///
/// Needs a desk session or an API token.
#[utoipa::path(
    get,
    path = "/appointments/{id}/slip",
    tag = "appointments",
    params(("id" = i64, Path, description = "The appointment's id.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "HTML, ready to print.", content_type = "text/html", body = String),
        (status = 400, description = "A bad id in the address.", body = ErrorBody),
        (status = 401, description = "No session or API token, or a wrong one.", body = ErrorBody),
        (status = 404, description = "No such appointment.", body = ErrorBody),
    ),
)]
pub async fn slip(
    State(state): State<WebState>,
    _staff: Staff,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Response, WebError> {
    let id = appointment_id(id)?;
    let appointment = with_help_point(&state, move |hp, _| {
        hp.appointment(id)
            .map_err(|e| WebError::from(ActionError::Store(e)))?
            .ok_or_else(|| WebError::NotFound(format!("there is no appointment {}", id.0)))
    })
    .await?;
    let html = slip_html(&state.config, &appointment)?;
    let mut response = html.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The slip's page: the site, the local date and time, the service in the site's language, the
/// code and its QR code.
pub fn slip_html(config: &Config, a: &Appointment) -> Result<String, WebError> {
    let local = config.site.local_language.as_str();
    let service = config.service(&a.service).map_or(a.service.as_str(), |s| s.name(local));
    let when = a.starts_at.to_zoned(config.site.timezone.clone());
    let qr = qr_svg(&a.code.scan_payload()).map_err(WebError::Internal)?;
    // The slip's own words wait for their translations (lang/): for now it carries the site,
    // the time, the service and the code, which need none.
    Ok(format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{site}</title>\
<style>body{{font-family:sans-serif;text-align:center;max-width:30em;margin:2em auto}}\
.code{{font-size:3em;font-weight:bold;letter-spacing:.1em}}svg{{width:12em;height:12em}}\
@media print{{button{{display:none}}}}</style></head><body>\
<h1>{site}</h1><p class=\"when\">{date} · {time}</p><p class=\"service\">{service}</p>\
<p class=\"code\">{code}</p>{qr}<button onclick=\"print()\">🖶</button></body></html>\n",
        lang = escape_html(local),
        site = escape_html(&config.site.name),
        date = when.strftime("%Y-%m-%d"),
        time = when.strftime("%H:%M"),
        service = escape_html(service),
        code = a.code,
        qr = qr,
    ))
}

/// A QR code of `data` as an SVG of black squares on white, with the quiet zone.
pub fn qr_svg(data: &str) -> Result<String, String> {
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| format!("QR code of {data:?}: {e}"))?;
    let width = code.width();
    let quiet = 4;
    let size = width + 2 * quiet;
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\" \
role=\"img\" aria-label=\"{data}\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
<path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the SVG's squares back into a grid and decodes it, as a phone or scanner would.
    fn decode(svg: &str) -> String {
        let view = svg.split("viewBox=\"0 0 ").nth(1).unwrap();
        let size: usize = view.split(' ').next().unwrap().parse().unwrap();
        let path = svg.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap();
        let scale = 8;
        let mut dark = vec![false; size * size];
        for square in path.split('M').filter(|s| !s.is_empty()) {
            let mut xy = square.split('h').next().unwrap().split(' ');
            let x: usize = xy.next().unwrap().parse().unwrap();
            let y: usize = xy.next().unwrap().parse().unwrap();
            dark[y * size + x] = true;
        }
        let mut grid = rqrr::PreparedImage::prepare_from_greyscale(size * scale, size * scale, |x, y| {
            if dark[(y / scale) * size + x / scale] { 0 } else { 255 }
        });
        let grids = grid.detect_grids();
        assert_eq!(grids.len(), 1);
        grids[0].decode().unwrap().1
    }

    #[test]
    fn the_slips_qr_code_reads_as_the_scan_payload() {
        assert_eq!(decode(&qr_svg("LKT482913").unwrap()), "LKT482913");
    }

    #[test]
    fn the_slip_shows_the_code_the_time_in_the_site_zone_and_escapes_what_staff_typed() {
        let mut config = Config::sample();
        config.site.name = "Digi<labo>".into();
        let a = Appointment {
            id: AppointmentId(7),
            uid: "u".into(),
            code: crate::appointment::BookingCode::parse("482913").unwrap(),
            starts_at: "2026-11-30T09:30:00Z".parse().unwrap(),
            service: "email".into(),
            desk: None,
            language: None,
            name: Some("Ann".into()),
            source: AppointmentSource::Console,
            state: crate::appointment::AppointmentState::Expected,
            ticket: None,
            checked_in_at: None,
        };
        let html = slip_html(&config, &a).unwrap();
        assert!(html.contains("482 913") && html.contains("10:30") && html.contains("2026-11-30"), "{html}");
        assert!(html.contains("Digi&lt;labo&gt;"));
        assert!(!html.contains("Ann"), "the slip does not need the name");
        assert!(html.contains("aria-label=\"LKT482913\""));
    }

    #[test]
    fn refusals_map_to_not_found_and_unprocessable() {
        let unknown: WebError = BookingError::Appointment(AppointmentError::UnknownAppointment(3)).into();
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        let bad: WebError = BookingError::Appointment(AppointmentError::UnknownDesk("desk-9".into())).into();
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.to_string().contains("desk-9"));
    }
}
