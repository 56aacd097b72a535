//! The JSON API: the board, a desk's view, the desk actions and issuing tickets.
//!
//! It owns the JSON shapes of tickets, calls and desks and their place in the OpenAPI document
//! (`#[utoipa::path]` on each handler, `ToSchema` on each shape; see `openapi`), and turns
//! requests into help point actions. Every action runs in `spawn_blocking`, because each one
//! commits (an fsync) with the help point locked. It must not decide who is signed in (that
//! is `auth`) nor hold the lock across an await.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoResponses, ToSchema};

use super::WebState;
use super::auth::Staff;
use super::error::{ErrorBody, JsonBody, WebError};
use super::openapi::schemas;
use crate::config::Config;
use crate::help_point::{ActionError, HelpPoint};
use crate::queue::{EventKind, QueueError, Ticket, TicketId, WaitEstimate};

/// How many calls the board shows.
pub const BOARD_CALLS: usize = 6;

/// A ticket as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Ticket)]
pub struct TicketView {
    id: i64,
    #[schema(examples("E-017"))]
    code: String,
    service: String,
    /// In the site's local language (the staff's).
    service_name: String,
    #[schema(examples("ar"))]
    language: String,
    /// The language in its own script.
    #[schema(examples("العربية"))]
    language_name: String,
    #[schema(value_type = schemas::TicketState)]
    state: &'static str,
    /// The desk that called it, while called or served there.
    #[schema(required = true)]
    desk: Option<String>,
    issued_at: Timestamp,
    /// Minutes since issued_at on the help point's clock.
    waiting_minutes: i64,
    /// The screening's result code, when the visitor took the ticket from the screening's
    /// result screen: look it up at `/api/v1/screening/{code}`.
    #[schema(required = true, examples("K7M-4PX"))]
    screening_code: Option<String>,
}

impl TicketView {
    /// `ticket` as seen at `now`.
    pub fn of(ticket: &Ticket, config: &Config, now: Timestamp) -> TicketView {
        let service_name = config
            .service(&ticket.service)
            .map_or_else(|| ticket.service.clone(), |s| s.name(&config.site.local_language).to_owned());
        let language_name =
            crate::languages::language(&ticket.language).map_or(ticket.language.as_str(), |l| l.autonym);
        TicketView {
            id: ticket.id.0,
            code: ticket.code(),
            service: ticket.service.clone(),
            service_name,
            language: ticket.language.clone(),
            language_name: language_name.to_owned(),
            state: ticket.state.name(),
            desk: ticket.desk().map(str::to_owned),
            issued_at: ticket.issued_at,
            waiting_minutes: now.duration_since(ticket.issued_at).as_mins().max(0),
            screening_code: ticket.screening_code.clone(),
        }
    }
}

/// A call on the board.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Call)]
pub struct CallView {
    code: String,
    desk: String,
    desk_name: String,
    at: Timestamp,
}

impl CallView {
    pub fn new(config: &Config, code: String, desk: &str, at: Timestamp) -> CallView {
        let desk_name = config.desk(desk).map_or_else(|| desk.to_owned(), |d| d.name.clone());
        CallView { code, desk: desk.to_owned(), desk_name, at }
    }
}

/// Runs `f` on the help point's own thread (see [`crate::owner`]), after the commands sent
/// before it; no worker thread waits for it meanwhile.
pub(super) async fn with_help_point<T: Send + 'static>(
    state: &WebState,
    f: impl FnOnce(&mut HelpPoint, &Config) -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    let config = state.config.clone();
    state.help_point.ask(move |help_point| f(help_point, &config)).await?
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(value_type = schemas::HealthStatus)]
    status: &'static str,
    version: &'static str,
    /// Why the status is "degraded": what keeps tickets from being stored or printed, e.g.
    /// "the store cannot write: disk full" or "the printer: no_paper (out of paper)".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<String>,
    /// Reporting to the central system, when the kiosk runs a reporter (or has it off).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = schemas::ReportStatus)]
    report: Option<crate::report::ReportStatus>,
}

/// Is the server up, and can it give tickets?
///
/// "ok", or "degraded" with the problems when tickets cannot be stored or printed now (a full
/// disk, a printer out of paper); also how reporting to the central system goes, when the
/// kiosk runs a reporter.
#[utoipa::path(get, path = "/health", tag = "about", responses((status = 200, description = "Up.", body = Health)))]
pub async fn health(State(state): State<WebState>) -> Json<Health> {
    let report = state.report.as_ref().map(crate::report::ReportView::status);
    let problems = state.help_point.problems();
    let status = if problems.is_empty() { "ok" } else { "degraded" };
    Json(Health { status, version: env!("CARGO_PKG_VERSION"), problems, report })
}

#[derive(Serialize, ToSchema)]
pub struct Board {
    site: String,
    /// The call shown big: the newest, unless its ticket was sent on to another service (then
    /// null until the next call, so a visitor served earlier is not shown as called again).
    #[schema(required = true)]
    now_serving: Option<CallView>,
    /// Newest first.
    #[schema(max_items = 6)]
    calls: Vec<CallView>,
}

/// A desk staff can choose at sign-in.
#[derive(Serialize, ToSchema)]
pub struct DeskChoice {
    id: String,
    name: String,
    /// False for a desk without a PIN hash: it cannot sign in.
    can_sign_in: bool,
}

#[derive(Serialize, ToSchema)]
pub struct DeskList {
    /// In config order.
    desks: Vec<DeskChoice>,
}

/// The desks, for the console's sign-in form: id, name and whether the desk has a PIN. Nothing secret.
#[utoipa::path(
    get,
    path = "/api/v1/desks",
    tag = "session",
    responses((status = 200, description = "The desks in config order.", body = DeskList)),
)]
pub async fn desks(State(state): State<WebState>) -> Json<DeskList> {
    let desks = state
        .config
        .desks
        .iter()
        .map(|d| DeskChoice { id: d.id.clone(), name: d.name.clone(), can_sign_in: d.pin_hash.is_some() })
        .collect();
    Json(DeskList { desks })
}

/// The latest calls for the board, newest first (at most 6), and the one shown big.
#[utoipa::path(
    get,
    path = "/api/v1/board",
    tag = "board",
    responses((status = 200, description = "The board.", body = Board)),
)]
pub async fn board(State(state): State<WebState>) -> Result<Json<Board>, WebError> {
    with_help_point(&state, |hp, config| {
        let calls = hp
            .queue()
            .recent_calls(BOARD_CALLS)
            .into_iter()
            .map(|c| CallView::new(config, c.code, &c.desk, c.at))
            .collect();
        let now_serving = hp.queue().now_serving().map(|c| CallView::new(config, c.code, &c.desk, c.at));
        Ok(Json(Board { site: config.site.name.clone(), now_serving, calls }))
    })
    .await
}

/// The `{desk}` of a path: a desk in the config, or 404.
pub struct DeskId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for DeskId {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        let Path(desk) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| WebError::BadRequest(format!("bad desk in the address: {}", e.body_text())))?;
        Ok(DeskId(desk))
    }
}

/// Checks that `staff` may act for `desk`, and that the desk exists.
fn authorize(state: &WebState, staff: &Staff, desk: &str) -> Result<(), WebError> {
    if state.config.desk(desk).is_none() {
        return Err(WebError::NotFound(format!("there is no desk \"{desk}\"")));
    }
    staff.may_act_for(desk)
}

#[derive(Serialize, ToSchema)]
pub struct DeskInfo {
    id: String,
    name: String,
    paused: bool,
    services: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceWaiting {
    service: String,
    name: String,
    waiting: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Figures {
    /// Every service of the help point, in config order.
    waiting_per_service: Vec<ServiceWaiting>,
    /// The longest wait among tickets this desk can call (0 when none wait).
    longest_wait_minutes: i64,
    /// The whole help point's, today.
    served_today: usize,
    /// The whole help point's, today.
    no_shows_today: usize,
    /// Screenings that ended today at the kiosk.
    screenings_today: u64,
    /// Tutorial sessions that ended today at the kiosk.
    tutorials_today: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceInfo {
    id: String,
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeskView {
    desk: DeskInfo,
    /// The ticket the desk serves now, if any.
    #[schema(required = true)]
    current: Option<TicketView>,
    /// Tickets of this desk's services, in calling order.
    waiting: Vec<TicketView>,
    figures: Figures,
    services: Vec<ServiceInfo>,
    outcomes: Vec<String>,
    /// The languages a ticket can be issued in (site.languages), for the console's "issue a
    /// ticket".
    languages: Vec<String>,
}

fn desk_view(hp: &HelpPoint, config: &Config, desk_id: &str) -> Result<DeskView, WebError> {
    let desk =
        config.desk(desk_id).ok_or_else(|| WebError::NotFound(format!("there is no desk \"{desk_id}\"")))?;
    let now = hp.now();
    let queue = hp.queue();
    let local = &config.site.local_language;
    let waiting: Vec<TicketView> =
        queue.waiting().filter(|t| desk.serves(&t.service)).map(|t| TicketView::of(t, config, now)).collect();
    let today = queue.service_day(now);
    // The queue matters more than these two figures: a store that cannot count them shows 0.
    let (screenings_today, tutorials_today) = hp.learning_today().unwrap_or_else(|e| {
        log::error!("web: today's screenings and tutorials not counted: {e}");
        (0, 0)
    });
    let (served_today, no_shows_today) = queue.finished_on(today);
    let figures = Figures {
        waiting_per_service: config
            .services
            .iter()
            .map(|s| ServiceWaiting {
                service: s.id.clone(),
                name: s.name(local).to_owned(),
                waiting: queue.waiting_for(&s.id),
            })
            .collect(),
        longest_wait_minutes: waiting.iter().map(|t| t.waiting_minutes).max().unwrap_or(0),
        served_today,
        no_shows_today,
        screenings_today,
        tutorials_today,
    };
    Ok(DeskView {
        desk: DeskInfo {
            id: desk.id.clone(),
            name: desk.name.clone(),
            paused: queue.is_paused(&desk.id),
            services: desk.services.clone(),
        },
        current: queue.current_ticket(&desk.id).map(|t| TicketView::of(t, config, now)),
        waiting,
        figures,
        services: config
            .services
            .iter()
            .map(|s| ServiceInfo { id: s.id.clone(), name: s.name(local).to_owned() })
            .collect(),
        outcomes: config.queue.outcomes.clone(),
        languages: config.site.languages.clone(),
    })
}

/// What a desk's console shows.
///
/// Needs the session of this desk, or an API token.
#[utoipa::path(
    get,
    path = "/api/v1/desks/{desk}",
    tag = "desks",
    params(("desk" = String, Path, description = "A desk's id from the config, e.g. desk-1.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The desk's view.", body = DeskView),
        (status = 401, description = "No session or API token, or a wrong one.", body = ErrorBody),
        (status = 403, description = "A session acting for another desk.", body = ErrorBody),
        (status = 404, description = "No such desk.", body = ErrorBody),
    ),
)]
pub async fn desk(
    State(state): State<WebState>,
    staff: Staff,
    DeskId(desk): DeskId,
) -> Result<Json<DeskView>, WebError> {
    authorize(&state, &staff, &desk)?;
    with_help_point(&state, move |hp, config| desk_view(hp, config, &desk).map(Json)).await
}

/// The ticket a call or recall called.
#[derive(Serialize, ToSchema)]
pub struct Called {
    called: TicketView,
}

/// The ticket an action changed, as it is now.
#[derive(Serialize, ToSchema)]
pub struct Changed {
    ticket: TicketView,
}

/// Whether the desk is paused now.
#[derive(Serialize, ToSchema)]
pub struct Paused {
    paused: bool,
}

/// Why a desk action was not done (documentation only: the answers are [`WebError`]s).
#[derive(IntoResponses)]
#[allow(dead_code)]
enum DeskActionRefusals {
    /// The body is not valid JSON for this route (syntax, field types, unknown fields).
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// No session or API token, or a wrong one.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Missing or wrong X-CSRF-Token header (sessions), or a session acting for another desk.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such desk, ticket or service.
    #[response(status = 404)]
    NotFound(ErrorBody),
    #[response(
        status = 409,
        description = "The queue refused: nobody waiting, desk paused, no current ticket, ticket not \
                       waiting, or the desk no longer serves the ticket its screen shows."
    )]
    Conflict(ErrorBody),
    /// The help point cannot store the change now (e.g. its disk is full); the reason says why.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// Which event of an action carries the ticket the answer shows.
#[derive(Clone, Copy)]
enum Shown {
    Called,
    Served,
    NoShow,
    Transferred,
}

/// Runs a desk action and answers the ticket it changed.
async fn act(
    state: &WebState,
    staff: &Staff,
    desk: String,
    shown: Shown,
    action: impl FnOnce(&mut HelpPoint, &str) -> Result<Vec<crate::queue::Event>, ActionError> + Send + 'static,
) -> Result<TicketView, WebError> {
    authorize(state, staff, &desk)?;
    with_help_point(state, move |hp, config| {
        let events = action(hp, &desk)?;
        let now = hp.now();
        events
            .iter()
            .rev()
            .find_map(|e| match (&e.kind, shown) {
                (
                    EventKind::TicketCalled { ticket, .. } | EventKind::TicketRecalled { ticket, .. },
                    Shown::Called,
                )
                | (EventKind::TicketServed { ticket, .. }, Shown::Served)
                | (EventKind::TicketNoShow { ticket, .. }, Shown::NoShow)
                | (EventKind::TicketTransferred { ticket, .. }, Shown::Transferred) => {
                    Some(TicketView::of(ticket, config, now))
                }
                _ => None,
            })
            .ok_or_else(|| WebError::Internal(format!("the action on {desk} returned no ticket event")))
    })
    .await
}

/// Call the next visitor (the desk's current ticket, if any, is marked served first).
///
/// Needs the session of this desk with `X-CSRF-Token`, or an API token.
#[utoipa::path(
    post,
    path = "/api/v1/desks/{desk}/call-next",
    tag = "desks",
    params(("desk" = String, Path, description = "A desk's id from the config, e.g. desk-1.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The ticket called.", body = Called),
        DeskActionRefusals,
    ),
)]
pub async fn call_next(
    State(state): State<WebState>,
    staff: Staff,
    DeskId(desk): DeskId,
) -> Result<Json<Called>, WebError> {
    let called = act(&state, &staff, desk, Shown::Called, |hp, desk| hp.call_next(desk)).await?;
    Ok(Json(Called { called }))
}

/// The body of recall and no-show: optionally the ticket the desk's screen shows, so the
/// action is refused (409) if the desk has moved on to another visitor meanwhile.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnTicket {
    /// The ticket the desk's screen shows. If given and the desk no longer serves it (a desk
    /// button or another tab moved on), the action is refused with 409 and changes nothing.
    #[serde(default)]
    ticket: Option<i64>,
}

/// Call the desk's current ticket again.
///
/// Needs the session of this desk with `X-CSRF-Token`, or an API token.
#[utoipa::path(
    post,
    path = "/api/v1/desks/{desk}/recall",
    tag = "desks",
    params(("desk" = String, Path, description = "A desk's id from the config, e.g. desk-1.")),
    security(("session" = []), ("bearer" = [])),
    request_body(content = Option<OnTicket>, description = "Optional: without a body the action is done on the desk's current ticket."),
    responses(
        (status = 200, description = "The ticket called.", body = Called),
        DeskActionRefusals,
    ),
)]
pub async fn recall(
    State(state): State<WebState>,
    staff: Staff,
    DeskId(desk): DeskId,
    JsonBody(body): JsonBody<OnTicket>,
) -> Result<Json<Called>, WebError> {
    let called = act(&state, &staff, desk, Shown::Called, move |hp, desk| {
        hp.queue().expect_current(desk, body.ticket.map(TicketId))?;
        hp.recall(desk)
    })
    .await?;
    Ok(Json(Called { called }))
}

/// The current visitor did not come.
///
/// Needs the session of this desk with `X-CSRF-Token`, or an API token.
#[utoipa::path(
    post,
    path = "/api/v1/desks/{desk}/no-show",
    tag = "desks",
    params(("desk" = String, Path, description = "A desk's id from the config, e.g. desk-1.")),
    security(("session" = []), ("bearer" = [])),
    request_body(content = Option<OnTicket>, description = "Optional: without a body the action is done on the desk's current ticket."),
    responses(
        (status = 200, description = "The ticket as it is now.", body = Changed),
        DeskActionRefusals,
    ),
)]
pub async fn no_show(
    State(state): State<WebState>,
    staff: Staff,
    DeskId(desk): DeskId,
    JsonBody(body): JsonBody<OnTicket>,
) -> Result<Json<Changed>, WebError> {
    let ticket = act(&state, &staff, desk, Shown::NoShow, move |hp, desk| {
        hp.queue().expect_current(desk, body.ticket.map(TicketId))?;
        hp.no_show(desk)
    })
    .await?;
    Ok(Json(Changed { ticket }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Served {
    /// One of queue.outcomes, e.g. "Geholpen".
    #[serde(default)]
    outcome: Option<String>,
    /// The ticket the desk's screen shows (see [`OnTicket`]).
    #[serde(default)]
    ticket: Option<i64>,
}

/// The current visitor was served, with an optional outcome.
///
/// Needs the session of this desk with `X-CSRF-Token`, or an API token.
#[utoipa::path(
    post,
    path = "/api/v1/desks/{desk}/served",
    tag = "desks",
    params(("desk" = String, Path, description = "A desk's id from the config, e.g. desk-1.")),
    security(("session" = []), ("bearer" = [])),
    request_body(content = Option<Served>, description = "Optional: without a body the desk's current ticket is served, without an outcome."),
    responses(
        (status = 200, description = "The ticket as it is now.", body = Changed),
        (status = 422, description = "The outcome is not one of queue.outcomes.", body = ErrorBody),
        DeskActionRefusals,
    ),
)]
pub async fn served(
    State(state): State<WebState>,
    staff: Staff,
    DeskId(desk): DeskId,
    JsonBody(body): JsonBody<Served>,
) -> Result<Json<Changed>, WebError> {
    authorize(&state, &staff, &desk)?;
    if let Some(outcome) = &body.outcome
        && !state.config.queue.outcomes.contains(outcome)
    {
        let allowed = state.config.queue.outcomes.join(", ");
        return Err(WebError::Unprocessable(format!(
            "the outcome \"{outcome}\" is not one of this help point's outcomes ({allowed})"
        )));
    }
    let ticket = act(&state, &staff, desk, Shown::Served, move |hp, desk| {
        hp.queue().expect_current(desk, body.ticket.map(TicketId))?;
        hp.served(desk, body.outcome.as_deref())
    })
    .await?;
    Ok(Json(Changed { ticket }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// The service to move the ticket to.
    service: String,
    /// The ticket id; default: the desk's current ticket.
    #[serde(default)]
    ticket: Option<i64>,
}

/// Move a ticket to another service; it keeps its arrival time.
///
/// Needs the session of this desk with `X-CSRF-Token`, or an API token.
#[utoipa::path(
    post,
    path = "/api/v1/desks/{desk}/transfer",
    tag = "desks",
    params(("desk" = String, Path, description = "A desk's id from the config, e.g. desk-1.")),
    security(("session" = []), ("bearer" = [])),
    request_body = Transfer,
    responses(
        (status = 200, description = "The ticket as it is now.", body = Changed),
        DeskActionRefusals,
    ),
)]
pub async fn transfer(
    State(state): State<WebState>,
    staff: Staff,
    DeskId(desk): DeskId,
    JsonBody(body): JsonBody<Transfer>,
) -> Result<Json<Changed>, WebError> {
    let ticket = act(&state, &staff, desk, Shown::Transferred, move |hp, desk| {
        let id = match body.ticket {
            Some(id) => TicketId(id),
            None => {
                hp.queue()
                    .current_ticket(desk)
                    .ok_or_else(|| QueueError::NoCurrentTicket(desk.to_owned()))?
                    .id
            }
        };
        hp.transfer_for_desk(desk, id, &body.service)
    })
    .await?;
    Ok(Json(Changed { ticket }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallTicket {
    ticket: i64,
}

/// Call a particular waiting ticket, out of order.
///
/// Needs the session of this desk with `X-CSRF-Token`, or an API token.
#[utoipa::path(
    post,
    path = "/api/v1/desks/{desk}/call",
    tag = "desks",
    params(("desk" = String, Path, description = "A desk's id from the config, e.g. desk-1.")),
    security(("session" = []), ("bearer" = [])),
    request_body = CallTicket,
    responses(
        (status = 200, description = "The ticket called.", body = Called),
        DeskActionRefusals,
    ),
)]
pub async fn call(
    State(state): State<WebState>,
    staff: Staff,
    DeskId(desk): DeskId,
    JsonBody(body): JsonBody<CallTicket>,
) -> Result<Json<Called>, WebError> {
    let called =
        act(&state, &staff, desk, Shown::Called, move |hp, desk| hp.call_ticket(desk, TicketId(body.ticket)))
            .await?;
    Ok(Json(Called { called }))
}

async fn set_paused(
    state: &WebState,
    staff: &Staff,
    desk: String,
    pause: bool,
) -> Result<Json<Paused>, WebError> {
    authorize(state, staff, &desk)?;
    with_help_point(state, move |hp, _| {
        if pause {
            hp.pause(&desk)?
        } else {
            hp.resume_desk(&desk)?
        };
        Ok(Json(Paused { paused: hp.queue().is_paused(&desk) }))
    })
    .await
}

/// Pause the desk: it calls nobody and does not count for wait estimates.
///
/// Needs the session of this desk with `X-CSRF-Token`, or an API token.
#[utoipa::path(
    post,
    path = "/api/v1/desks/{desk}/pause",
    tag = "desks",
    params(("desk" = String, Path, description = "A desk's id from the config, e.g. desk-1.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Whether the desk is paused now.", body = Paused),
        DeskActionRefusals,
    ),
)]
pub async fn pause(
    State(state): State<WebState>,
    staff: Staff,
    DeskId(desk): DeskId,
) -> Result<Json<Paused>, WebError> {
    set_paused(&state, &staff, desk, true).await
}

/// Open a paused desk again.
///
/// Needs the session of this desk with `X-CSRF-Token`, or an API token.
#[utoipa::path(
    post,
    path = "/api/v1/desks/{desk}/resume",
    tag = "desks",
    params(("desk" = String, Path, description = "A desk's id from the config, e.g. desk-1.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Whether the desk is paused now.", body = Paused),
        DeskActionRefusals,
    ),
)]
pub async fn resume(
    State(state): State<WebState>,
    staff: Staff,
    DeskId(desk): DeskId,
) -> Result<Json<Paused>, WebError> {
    set_paused(&state, &staff, desk, false).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeTicket {
    service: String,
    /// One of site.languages.
    language: String,
    /// Print the ticket on the kiosk's printer too (a visitor at the desk without one);
    /// default false (a phone call, a second kiosk with its own printer).
    #[serde(default)]
    print: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Issued {
    ticket: TicketView,
    people_ahead: u32,
    /// Null when the help point cannot estimate it yet.
    #[schema(value_type = Option<schemas::WaitEstimate>, required = true)]
    wait: Option<WaitEstimate>,
    /// How printing went, when `print` was asked; null otherwise.
    #[schema(required = true)]
    print: Option<super::print::PrintAnswer>,
}

/// Issue a ticket (a second kiosk, or staff for a visitor).
///
/// Needs an API token, or a session with `X-CSRF-Token`. With `"print": true` the ticket is
/// printed on the kiosk's printer, in turn with the visitors' tickets, and `print` says how
/// that went ("printed", "queued", or "printer_not_ready" with why); the ticket is issued
/// whatever the printer does.
#[utoipa::path(
    post,
    path = "/api/v1/tickets",
    tag = "tickets",
    security(("session" = []), ("bearer" = [])),
    request_body = TakeTicket,
    responses(
        (status = 201, description = "Issued.", body = Issued),
        (status = 400, description = "The body is not valid JSON for this route (syntax, field types, unknown fields).", body = ErrorBody),
        (status = 401, description = "No session or API token, or a wrong one.", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token header (sessions).", body = ErrorBody),
        (status = 404, description = "No such service.", body = ErrorBody),
        (status = 422, description = "The language is not offered here.", body = ErrorBody),
        (status = 503, description = "The ticket cannot be stored now (e.g. the disk is full); the reason says why.", body = ErrorBody),
    ),
)]
pub async fn take_ticket(
    State(state): State<WebState>,
    staff: Staff,
    JsonBody(body): JsonBody<TakeTicket>,
) -> Result<(StatusCode, Json<Issued>), WebError> {
    if state.config.service(&body.service).is_none() {
        return Err(WebError::NotFound(format!("there is no service \"{}\"", body.service)));
    }
    if !state.config.site.languages.contains(&body.language) {
        let offered = state.config.site.languages.join(", ");
        return Err(WebError::Unprocessable(format!(
            "the language \"{}\" is not offered here ({offered})",
            body.language
        )));
    }
    let (issued, taken) = with_help_point(&state, move |hp, config| {
        let issued = hp.take_ticket(&body.service, &body.language)?;
        let answer = Issued {
            ticket: TicketView::of(&issued.ticket, config, hp.now()),
            people_ahead: issued.position.people_ahead,
            wait: issued.position.wait,
            print: None,
        };
        Ok((answer, issued))
    })
    .await?;
    let mut issued = issued;
    if body.print {
        issued.print = Some(super::print::print(&state, &taken, false).await);
    }
    let by = match &staff {
        Staff::Desk { desk, .. } => desk.as_str(),
        Staff::Token { name } => name.as_str(),
    };
    log::info!("web: ticket {} issued by {by}", issued.ticket.code);
    Ok((StatusCode::CREATED, Json(issued)))
}
