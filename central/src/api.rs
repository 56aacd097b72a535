//! The kiosk routes of the report protocol ([`loket_protocol::report`]): events, heartbeats, and the
//! settings, content and appointment plan ([`loket_protocol::appointments`]) pulled with an ETag.
//! Every request carries the kiosk's bearer token.
//!
//! It owns the token check (SHA-256 looked up in the store: it runs on every request, so not
//! Argon2 — the token is 32 random bytes, not a password) and the protocol's status codes.
//! It must not interpret an event: [`super::events`] does. Each handler's `#[utoipa::path]` is its
//! entry in the OpenAPI document ([`super::openapi`]), next to the code that gives those answers.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::CentralState;
use super::error::{Body, CentralError};
use super::events::read_event;
use super::store::{CentralAppointment, FileKind, KioskHealth, etag, token_hash};
use loket_protocol::appointments::{AppointmentPlan, MAX_PLAN_APPOINTMENTS, PlannedAppointment};
use loket_protocol::report::{
    BatchReceipt, ErrorBody, EventBatch, Heartbeat, HeartbeatReply, MAX_BATCH_EVENTS,
};

/// The kiosk a request's bearer token was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    pub kiosk: String,
    pub site: String,
}

impl FromRequestParts<CentralState> for Kiosk {
    type Rejection = CentralError;

    async fn from_request_parts(parts: &mut Parts, state: &CentralState) -> Result<Kiosk, CentralError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(CentralError::Unauthorized("no kiosk token: send Authorization: Bearer <token>"))?;
        let hash = token_hash(token);
        match state.with_store(move |s| s.token_owner(&hash)).await? {
            Some((kiosk, site)) => Ok(Kiosk { kiosk, site }),
            None => Err(CentralError::Unauthorized("this kiosk token is not known here or was revoked")),
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, CentralError> {
    serde_json::from_slice(body).map_err(|e| CentralError::BadRequest(format!("not a valid {what}: {e}")))
}

/// Stores a batch of outbox events.
///
/// Idempotent by event id: the receipt names every id now held (stored by this request, or
/// already before) and those refused for good, with a reason. At most 1000 events a batch.
#[utoipa::path(
    post,
    path = "/api/v1/events",
    tag = "kiosk",
    security(("kioskToken" = [])),
    request_body = EventBatch,
    responses(
        (status = 200, description = "What became of every event.", body = BatchReceipt),
        (status = 400, description = "Not an event batch, or more than 1000 events; the reason is in `error`.", body = ErrorBody),
        (status = 401, description = "No kiosk token, or a wrong or revoked one.", body = ErrorBody),
        (status = 403, description = "The batch names another kiosk than its token.", body = ErrorBody),
        (status = 413, description = "The body is larger than 8 MiB.", body = ErrorBody),
        (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
)]
pub async fn events(
    State(state): State<CentralState>,
    kiosk: Kiosk,
    Body(body): Body,
) -> Result<Json<BatchReceipt>, CentralError> {
    let batch: EventBatch = parse(&body, "event batch")?;
    if batch.kiosk != kiosk.kiosk {
        return Err(CentralError::Forbidden(format!(
            "this token is for kiosk {:?}, not {:?}",
            kiosk.kiosk, batch.kiosk
        )));
    }
    if batch.events.len() > MAX_BATCH_EVENTS {
        return Err(CentralError::BadRequest(format!(
            "a batch holds at most {MAX_BATCH_EVENTS} events, this one {}",
            batch.events.len()
        )));
    }
    let mut receipt = BatchReceipt::default();
    let mut rows = Vec::with_capacity(batch.events.len());
    // The ids as the kiosk wrote them: it looks for these in the receipt.
    let mut sent_ids = Vec::with_capacity(batch.events.len());
    for event in batch.events {
        match read_event(&event, &kiosk.kiosk, &kiosk.site, &state.settings.time_zone) {
            Ok(row) => {
                rows.push(row);
                sent_ids.push(event.id);
            }
            Err(refused) => receipt.refused.push(refused),
        }
    }
    let stored = state.with_store(move |s| s.ingest(&rows)).await?;
    for (id, now) in sent_ids.into_iter().zip(stored) {
        if now { receipt.stored.push(id) } else { receipt.duplicate.push(id) }
    }
    if !receipt.refused.is_empty() {
        log::warn!("central: {} refused {} events", kiosk.kiosk, receipt.refused.len());
    }
    Ok(Json(receipt))
}

/// The kiosk's state now (last value wins).
///
/// Answered with the central system's clock and the ETags of the settings and content pack meant
/// for this kiosk, so it pulls them only when they changed.
#[utoipa::path(
    post,
    path = "/api/v1/heartbeat",
    tag = "kiosk",
    security(("kioskToken" = [])),
    request_body = Heartbeat,
    responses(
        (status = 200, description = "Stored.", body = HeartbeatReply),
        (status = 400, description = "Not a heartbeat; the reason is in `error`.", body = ErrorBody),
        (status = 401, description = "No kiosk token, or a wrong or revoked one.", body = ErrorBody),
        (status = 403, description = "The heartbeat names another kiosk than its token.", body = ErrorBody),
        (status = 413, description = "The body is larger than 8 MiB.", body = ErrorBody),
        (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
)]
pub async fn heartbeat(
    State(state): State<CentralState>,
    kiosk: Kiosk,
    Body(body): Body,
) -> Result<Json<HeartbeatReply>, CentralError> {
    let heartbeat: Heartbeat = parse(&body, "heartbeat")?;
    if heartbeat.kiosk != kiosk.kiosk {
        return Err(CentralError::Forbidden(format!(
            "this token is for kiosk {:?}, not {:?}",
            kiosk.kiosk, heartbeat.kiosk
        )));
    }
    let now = state.clock.now();
    // Grouped by the site its token names, like its events; the kiosk's own name for its site
    // stays in the stored heartbeat.
    let health = KioskHealth {
        kiosk: kiosk.kiosk.clone(),
        site: kiosk.site.clone(),
        received_at: now.to_string(),
        body: serde_json::to_string(&heartbeat).map_err(|e| CentralError::Internal(e.to_string()))?,
    };
    let (settings_etag, content_etag) = state
        .with_store(move |s| {
            s.record_heartbeat(&health)?;
            Ok((
                s.file_etag(FileKind::Settings, &health.kiosk)?,
                s.file_etag(FileKind::Content, &health.kiosk)?,
            ))
        })
        .await?;
    Ok(Json(HeartbeatReply { server_time: now, settings_etag, content_etag }))
}

/// Whether `If-None-Match` names `etag` (or is `*`).
pub fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|candidate| {
            let candidate = candidate.trim();
            candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
        })
}

async fn pull(
    state: CentralState,
    kiosk: Kiosk,
    headers: HeaderMap,
    kind: FileKind,
) -> Result<Response, CentralError> {
    let name = kiosk.kiosk.clone();
    let Some((etag, bytes)) = state.with_store(move |s| s.file(kind, &name)).await? else {
        return Err(CentralError::NotFound(format!(
            "there is no {} for kiosk {:?}",
            kind.name(),
            kiosk.kiosk
        )));
    };
    let tag = HeaderValue::from_str(&etag).map_err(|e| CentralError::Internal(e.to_string()))?;
    if matches(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    let content_type = match kind {
        FileKind::Settings => "application/toml",
        FileKind::Content => "application/x-tar",
    };
    Ok((
        StatusCode::OK,
        [(header::ETAG, tag), (header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        bytes,
    )
        .into_response())
}

/// The settings (a `loket.toml`) meant for this kiosk: its own, else the default.
///
/// Pulled with `If-None-Match`: `304` when the kiosk already has them.
#[utoipa::path(
    get,
    path = "/api/v1/kiosk/settings",
    tag = "kiosk",
    security(("kioskToken" = [])),
    params(("If-None-Match" = Option<String>, Header, description = "The ETag the kiosk holds, or `*`.")),
    responses(
        (status = 200, description = "The settings.", content_type = "application/toml", body = String,
            headers(("ETag" = String, description = "Send it back as If-None-Match."))),
        (status = 304, description = "Unchanged since the ETag sent.",
            headers(("ETag" = String))),
        (status = 401, description = "No kiosk token, or a wrong or revoked one.", body = ErrorBody),
        (status = 404, description = "There are no settings for this kiosk.", body = ErrorBody),
        (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
)]
pub async fn settings(
    State(state): State<CentralState>,
    kiosk: Kiosk,
    headers: HeaderMap,
) -> Result<Response, CentralError> {
    pull(state, kiosk, headers, FileKind::Settings).await
}

/// The content pack (a tar archive of a content folder) meant for this kiosk: its own, else the
/// default.
///
/// Pulled with `If-None-Match`: `304` when the kiosk already has it.
#[utoipa::path(
    get,
    path = "/api/v1/kiosk/content",
    tag = "kiosk",
    security(("kioskToken" = [])),
    params(("If-None-Match" = Option<String>, Header, description = "The ETag the kiosk holds, or `*`.")),
    responses(
        (status = 200, description = "The content pack.", content_type = "application/x-tar", body = super::openapi::TarArchive,
            headers(("ETag" = String, description = "Send it back as If-None-Match."))),
        (status = 304, description = "Unchanged since the ETag sent.",
            headers(("ETag" = String))),
        (status = 401, description = "No kiosk token, or a wrong or revoked one.", body = ErrorBody),
        (status = 404, description = "There is no content pack for this kiosk.", body = ErrorBody),
        (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
)]
pub async fn content(
    State(state): State<CentralState>,
    kiosk: Kiosk,
    headers: HeaderMap,
) -> Result<Response, CentralError> {
    pull(state, kiosk, headers, FileKind::Content).await
}

/// The plan for `kiosk` made of its site's appointments from today on (by start time, at most
/// [`MAX_PLAN_APPOINTMENTS`]); a stored time that does not read is left out and logged.
pub fn plan(kiosk: &str, now: jiff::Timestamp, stored: &[CentralAppointment]) -> AppointmentPlan {
    let appointments = stored
        .iter()
        .filter_map(|a| match a.starts_at.parse() {
            Ok(starts_at) => Some(PlannedAppointment {
                uid: a.uid.clone(),
                code: a.code.clone(),
                starts_at,
                service: a.service.clone(),
                desk: a.desk.clone(),
                language: a.language.clone(),
                cancelled: a.cancelled,
            }),
            Err(e) => {
                log::error!("central: appointment {} has a damaged time {:?}: {e}", a.uid, a.starts_at);
                None
            }
        })
        .take(MAX_PLAN_APPOINTMENTS)
        .collect();
    AppointmentPlan { kiosk_id: kiosk.to_owned(), generated_at: now, appointments }
}

/// The ETag of a plan: what it holds for its kiosk, not when it was made, so it changes exactly
/// when the plan does.
pub fn plan_etag(plan: &AppointmentPlan) -> String {
    let held = serde_json::json!({"kiosk_id": plan.kiosk_id, "appointments": plan.appointments});
    etag(held.to_string().as_bytes())
}

/// The appointments of this kiosk's site from today on, planned on the central system.
///
/// Cancelled ones are in it too (`cancelled: true`), so a kiosk that held one learns it is off.
/// Never a name. Pulled with `If-None-Match`: `304` when the kiosk already has this plan; the
/// ETag changes whenever an appointment is booked, moved or cancelled, and when a day has passed.
#[utoipa::path(
    get,
    path = "/api/v1/kiosk/appointments",
    tag = "kiosk",
    security(("kioskToken" = [])),
    params(("If-None-Match" = Option<String>, Header, description = "The ETag the kiosk holds, or `*`.")),
    responses(
        (status = 200, description = "The plan.", body = AppointmentPlan,
            headers(("ETag" = String, description = "Send it back as If-None-Match."))),
        (status = 304, description = "Unchanged since the ETag sent.",
            headers(("ETag" = String))),
        (status = 401, description = "No kiosk token, or a wrong or revoked one.", body = ErrorBody),
        (status = 404, description = "There are no appointments for this kiosk's site from today on.", body = ErrorBody),
        (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
)]
pub async fn appointments(
    State(state): State<CentralState>,
    kiosk: Kiosk,
    headers: HeaderMap,
) -> Result<Response, CentralError> {
    let now = state.clock.now();
    let today = now.to_zoned(state.settings.time_zone.clone()).date().to_string();
    let site = kiosk.site.clone();
    let stored = state.with_store(move |s| s.appointments(Some(&site), &today)).await?;
    let plan = plan(&kiosk.kiosk, now, &stored);
    if plan.appointments.is_empty() {
        return Err(CentralError::NotFound(format!(
            "there are no appointments for site {:?} from today on",
            kiosk.site
        )));
    }
    let etag = plan_etag(&plan);
    let tag = HeaderValue::from_str(&etag).map_err(|e| CentralError::Internal(e.to_string()))?;
    if matches(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    Ok((StatusCode::OK, [(header::ETAG, tag)], Json(plan)).into_response())
}
