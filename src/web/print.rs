//! Tickets from staff on the kiosk's printer: a ticket issued through the API or the console
//! with `"print": true`, and a visitor's ticket printed again (`POST /api/v1/tickets/{id}/print`,
//! marked as a reprint on the slip).
//!
//! It owns the print answer's JSON shape and the reprint route. The slip is the kiosk's own
//! (`printed_ticket::slip`) and the job goes through the kiosk's print queue (a
//! [`PrintHandle`]), so staff tickets print in turn with the visitors' and the printer's state
//! is reported the same way. It waits for the printer at most [`WebState::print_wait`] and
//! then answers "queued". It must not talk to the printer itself, nor decide who may print
//! (any signed-in desk or API token may).

use std::time::Duration;

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use loket_protocol::i18n::tr;
use serde::Serialize;
use utoipa::ToSchema;

use super::WebState;
use super::api::{TicketView, with_help_point};
use super::auth::Staff;
use super::error::{ErrorBody, WebError};
use crate::help_point::IssuedTicket;
use crate::print_queue::{PrintHandle, printer_state};
use crate::queue::{Position, QueueError, TicketId};

/// How long a request waits for its ticket to leave the printer before answering "queued".
pub const PRINT_WAIT: Duration = Duration::from_secs(5);

/// The kiosk's printer, as the web server uses it.
#[derive(Clone)]
pub struct Printer {
    pub(super) queue: PrintHandle,
    pub(super) logo: Option<crate::printer::Bitmap>,
}

impl Printer {
    /// Prints through `queue` (the kiosk's print queue), with the site's logo if it has one.
    pub fn new(queue: PrintHandle, logo: Option<crate::printer::Bitmap>) -> Printer {
        Printer { queue, logo }
    }
}

/// How printing a ticket went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PrintAnswer {
    /// "printed": the ticket left the printer; "queued": it waits for its turn or is being
    /// printed; "printer_not_ready": it was not printed, `reason` says why (out of paper, not
    /// answering, no printer).
    #[schema(examples("printed", "queued", "printer_not_ready"))]
    state: &'static str,
    /// Why the printer is not ready, e.g. "the printer /dev/serial0 is out of paper".
    #[schema(required = true)]
    reason: Option<String>,
    /// The printer's state after this ticket, as `/health` reports it: ready, no_paper,
    /// not_answering or fault; null when not known yet.
    #[schema(required = true, examples("no_paper"))]
    printer: Option<&'static str>,
}

impl PrintAnswer {
    fn not_ready(reason: String, printer: Option<&'static str>) -> PrintAnswer {
        PrintAnswer { state: "printer_not_ready", reason: Some(reason), printer }
    }
}

/// Prints `issued` in its visitor's language (a reprint carries the mark in the staff's
/// language) and answers how it went, waiting for the printer at most `state.print_wait`.
pub(super) async fn print(state: &WebState, issued: &IssuedTicket, reprint: bool) -> PrintAnswer {
    let Some(printer) = &state.printer else {
        return PrintAnswer::not_ready("this kiosk has no printer".into(), None);
    };
    let config = &state.config;
    let ticket = &issued.ticket;
    let mut slip = crate::printed_ticket::slip(config, issued, &ticket.language, printer.logo.as_ref());
    if reprint {
        // TRANSLATORS: staff page: printed on top of a ticket printed again at a desk's request.
        slip.reprint = Some(tr(&config.site.local_language, "REPRINT").to_owned());
    }
    let job = format!("{}-{}{}", ticket.service_day, ticket.code(), if reprint { "-reprint" } else { "" });
    let (done, result) = tokio::sync::oneshot::channel();
    printer.queue.print(slip, job, move |result| {
        let _ = done.send(result);
    });
    match tokio::time::timeout(state.print_wait, result).await {
        Ok(Ok(Ok(_))) => PrintAnswer { state: "printed", reason: None, printer: Some("ready") },
        Ok(Ok(result @ Err(_))) => {
            let printer = printer_state(&result);
            PrintAnswer::not_ready(result.err().map(|e| e.to_string()).unwrap_or_default(), Some(printer))
        }
        Ok(Err(_)) => PrintAnswer::not_ready("the printer has stopped".into(), None),
        Err(_) => PrintAnswer { state: "queued", reason: None, printer: None },
    }
}

/// The `{id}` of a ticket's path.
pub struct TicketPath(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for TicketPath {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        let Path(id) = Path::<i64>::from_request_parts(parts, state)
            .await
            .map_err(|e| WebError::BadRequest(format!("bad ticket id in the address: {}", e.body_text())))?;
        Ok(TicketPath(id))
    }
}

/// A ticket printed again.
#[derive(Serialize, ToSchema)]
pub struct Reprinted {
    ticket: TicketView,
    print: PrintAnswer,
}

/// Print a visitor's ticket again (lost, or unreadable), marked as a reprint.
///
/// For a ticket that is waiting or called today; the slip shows where it stands now. Needs
/// an API token, or a desk's session with `X-CSRF-Token`. Answers how printing went:
/// "printed", "queued" (still printing after a few seconds) or "printer_not_ready" with why.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/print",
    tag = "tickets",
    params(("id" = i64, Path, description = "The ticket's id, as in its JSON.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Sent to the printer; `print` says how it went.", body = Reprinted),
        (status = 400, description = "The id is not a number.", body = ErrorBody),
        (status = 401, description = "No session or API token, or a wrong one.", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token header (sessions).", body = ErrorBody),
        (status = 404, description = "No such ticket today.", body = ErrorBody),
        (status = 409, description = "The ticket is no longer waiting or called (served, did not come, expired).", body = ErrorBody),
    ),
)]
pub async fn reprint(
    State(state): State<WebState>,
    staff: Staff,
    TicketPath(id): TicketPath,
) -> Result<Json<Reprinted>, WebError> {
    let issued = with_help_point(&state, move |hp, _| {
        let Some(ticket) = hp.queue().ticket(TicketId(id)).cloned() else {
            // A finished ticket is no longer in the queue, only in the store.
            let today = Some(hp.queue().service_day(hp.now()));
            return Err(match hp.store().ticket(TicketId(id))? {
                Some(done) if Some(done.service_day) == today => QueueError::NotWaiting { code: done.code() },
                _ => QueueError::UnknownTicket(TicketId(id)),
            }
            .into());
        };
        if !ticket.state.is_open() {
            return Err(QueueError::NotWaiting { code: ticket.code() }.into());
        }
        let position = hp.position_now(ticket.id).unwrap_or(Position { people_ahead: 0, wait: None });
        Ok(IssuedTicket { ticket, position })
    })
    .await?;
    let print = print(&state, &issued, true).await;
    let by = match &staff {
        Staff::Desk { desk, .. } => desk.as_str(),
        Staff::Token { name } => name.as_str(),
    };
    log::info!("web: ticket {} reprinted for {by}: {}", issued.ticket.code(), print.state);
    let ticket = TicketView::of(&issued.ticket, &state.config, state.help_point.now());
    Ok(Json(Reprinted { ticket, print }))
}
