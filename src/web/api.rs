//! The JSON API: the board, a desk's view, the desk actions and issuing tickets.
//!
//! It owns the JSON shapes of tickets, calls and desks (see `docs/openapi.json`) and turns
//! requests into help point actions. Every action runs in `spawn_blocking`, because each one
//! commits (an fsync) with the help point locked. It must not decide who is signed in (that
//! is `auth`) nor hold the lock across an await.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::WebState;
use super::auth::Staff;
use super::error::{JsonBody, WebError};
use crate::config::Config;
use crate::help_point::{ActionError, HelpPoint};
use crate::queue::{EventKind, QueueError, Ticket, TicketId, TicketState, WaitEstimate};

/// How many calls the board shows.
pub const BOARD_CALLS: usize = 6;

/// A ticket as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    id: i64,
    code: String,
    service: String,
    /// In the site's local language (the staff's).
    service_name: String,
    language: String,
    /// The language in its own script.
    language_name: String,
    state: &'static str,
    desk: Option<String>,
    issued_at: Timestamp,
    waiting_minutes: i64,
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
        }
    }
}

/// A call on the board.
#[derive(Debug, Clone, Serialize)]
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

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    version: &'static str,
    /// Reporting to the central system, when the kiosk runs a reporter (or has it off).
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<crate::report::ReportStatus>,
}

/// `GET /health`: the server is up; and how reporting to the central system goes.
pub async fn health(State(state): State<WebState>) -> Json<Health> {
    let report = state.report.as_ref().map(crate::report::ReportView::status);
    Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION"), report })
}

#[derive(Serialize)]
pub struct Board {
    site: String,
    calls: Vec<CallView>,
}

/// A desk staff can choose at sign-in.
#[derive(Serialize)]
pub struct DeskChoice {
    id: String,
    name: String,
    /// False for a desk without a PIN hash: it cannot sign in.
    can_sign_in: bool,
}

#[derive(Serialize)]
pub struct DeskList {
    desks: Vec<DeskChoice>,
}

/// `GET /api/v1/desks`: the desks, for the sign-in form (names only, nothing secret).
pub async fn desks(State(state): State<WebState>) -> Json<DeskList> {
    let desks = state
        .config
        .desks
        .iter()
        .map(|d| DeskChoice { id: d.id.clone(), name: d.name.clone(), can_sign_in: d.pin_hash.is_some() })
        .collect();
    Json(DeskList { desks })
}

/// `GET /api/v1/board`: the latest calls, newest first.
pub async fn board(State(state): State<WebState>) -> Result<Json<Board>, WebError> {
    with_help_point(&state, |hp, config| {
        let calls = hp
            .queue()
            .recent_calls(BOARD_CALLS)
            .into_iter()
            .map(|c| CallView::new(config, c.code, &c.desk, c.at))
            .collect();
        Ok(Json(Board { site: config.site.name.clone(), calls }))
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

#[derive(Serialize)]
pub struct DeskInfo {
    id: String,
    name: String,
    paused: bool,
    services: Vec<String>,
}

#[derive(Serialize)]
pub struct ServiceWaiting {
    service: String,
    name: String,
    waiting: usize,
}

#[derive(Serialize)]
pub struct Figures {
    /// Every service of the help point, in config order.
    waiting_per_service: Vec<ServiceWaiting>,
    /// The longest wait among tickets this desk can call (0 when none wait).
    longest_wait_minutes: i64,
    /// The whole help point's, today.
    served_today: usize,
    no_shows_today: usize,
    /// Screenings and tutorial sessions that ended today at the kiosk.
    screenings_today: u64,
    tutorials_today: u64,
}

#[derive(Serialize)]
pub struct ServiceInfo {
    id: String,
    name: String,
}

#[derive(Serialize)]
pub struct DeskView {
    desk: DeskInfo,
    current: Option<TicketView>,
    waiting: Vec<TicketView>,
    figures: Figures,
    services: Vec<ServiceInfo>,
    outcomes: Vec<String>,
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
    let count_today = |state: fn(&TicketState) -> bool| {
        queue.tickets().filter(|t| t.service_day == today && state(&t.state)).count()
    };
    let figures = Figures {
        waiting_per_service: config
            .services
            .iter()
            .map(|s| ServiceWaiting {
                service: s.id.clone(),
                name: s.name(local).to_owned(),
                waiting: queue.waiting().filter(|t| t.service == s.id).count(),
            })
            .collect(),
        longest_wait_minutes: waiting.iter().map(|t| t.waiting_minutes).max().unwrap_or(0),
        served_today: count_today(|s| matches!(s, TicketState::Served { .. })),
        no_shows_today: count_today(|s| matches!(s, TicketState::NoShow { .. })),
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
    })
}

/// `GET /api/v1/desks/{desk}`.
pub async fn desk(
    State(state): State<WebState>,
    staff: Staff,
    DeskId(desk): DeskId,
) -> Result<Json<DeskView>, WebError> {
    authorize(&state, &staff, &desk)?;
    with_help_point(&state, move |hp, config| desk_view(hp, config, &desk).map(Json)).await
}

#[derive(Serialize)]
pub struct Called {
    called: TicketView,
}

#[derive(Serialize)]
pub struct Changed {
    ticket: TicketView,
}

#[derive(Serialize)]
pub struct Paused {
    paused: bool,
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

/// `POST /api/v1/desks/{desk}/call-next`.
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
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnTicket {
    #[serde(default)]
    ticket: Option<i64>,
}

/// `POST /api/v1/desks/{desk}/recall`.
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

/// `POST /api/v1/desks/{desk}/no-show`.
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Served {
    #[serde(default)]
    outcome: Option<String>,
    /// The ticket the desk's screen shows (see [`OnTicket`]).
    #[serde(default)]
    ticket: Option<i64>,
}

/// `POST /api/v1/desks/{desk}/served`.
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    service: String,
    #[serde(default)]
    ticket: Option<i64>,
}

/// `POST /api/v1/desks/{desk}/transfer`: the given ticket, or the desk's current one.
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallTicket {
    ticket: i64,
}

/// `POST /api/v1/desks/{desk}/call`: a particular waiting ticket, out of order.
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

/// `POST /api/v1/desks/{desk}/pause`.
pub async fn pause(
    State(state): State<WebState>,
    staff: Staff,
    DeskId(desk): DeskId,
) -> Result<Json<Paused>, WebError> {
    set_paused(&state, &staff, desk, true).await
}

/// `POST /api/v1/desks/{desk}/resume`.
pub async fn resume(
    State(state): State<WebState>,
    staff: Staff,
    DeskId(desk): DeskId,
) -> Result<Json<Paused>, WebError> {
    set_paused(&state, &staff, desk, false).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakeTicket {
    service: String,
    language: String,
}

#[derive(Serialize)]
pub struct Issued {
    ticket: TicketView,
    people_ahead: u32,
    wait: Option<WaitEstimate>,
}

/// `POST /api/v1/tickets`: issues a ticket (a second kiosk, or staff for a visitor).
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
    let issued = with_help_point(&state, move |hp, config| {
        let issued = hp.take_ticket(&body.service, &body.language)?;
        Ok(Issued {
            ticket: TicketView::of(&issued.ticket, config, hp.now()),
            people_ahead: issued.position.people_ahead,
            wait: issued.position.wait,
        })
    })
    .await?;
    let by = match &staff {
        Staff::Desk { desk, .. } => desk.as_str(),
        Staff::Token { name } => name.as_str(),
    };
    log::info!("web: ticket {} issued by {by}", issued.ticket.code);
    Ok((StatusCode::CREATED, Json(issued)))
}
