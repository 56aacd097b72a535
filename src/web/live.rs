//! Live updates as Server-Sent Events: every committed change for the staff consoles
//! (`/api/v1/events`) and every call for the "now serving" board (`/api/v1/board/events`).
//!
//! It owns the broadcast channel fed by a [`HelpPoint`] listener and the streams cut from it.
//! The listener runs with the help point locked, so it only sends; all JSON is made in the
//! streams. A client too slow to keep up gets a `resync` event and should reload its view.
//! It must not touch the help point itself.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Serialize;
use tokio::sync::{broadcast, watch};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::WebState;
use super::api::{CallView, TicketView};
use super::auth::Staff;
use crate::config::Config;
use crate::help_point::HelpPoint;
use crate::queue::{Event, EventKind};

/// How many batches of changes a client may fall behind before it must resync.
const BACKLOG: usize = 256;
/// A comment line this often keeps proxies and browsers from closing a quiet stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The broadcast of committed changes, and the signal that the server is closing.
pub struct Live {
    changes: broadcast::Sender<Arc<[Event]>>,
    closing: watch::Sender<bool>,
}

impl Live {
    /// A broadcast fed by every change `help_point` commits.
    pub fn attach(help_point: &mut HelpPoint) -> Live {
        let (changes, _) = broadcast::channel(BACKLOG);
        let sender = changes.clone();
        help_point.listen(Box::new(move |events| {
            // No receiver (nobody watching) is fine.
            let _ = sender.send(events.into());
        }));
        Live { changes, closing: watch::channel(false).0 }
    }

    /// Ends every open stream, so a graceful shutdown does not wait for them.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    fn stream<F>(&self, to_sse: F) -> impl Stream<Item = Result<SseEvent, Infallible>> + use<F>
    where
        F: Fn(&Event) -> Option<SseEvent> + Send + 'static,
    {
        let mut closing = self.closing.subscribe();
        BroadcastStream::new(self.changes.subscribe())
            .flat_map(move |batch| {
                let out: Vec<SseEvent> = match batch {
                    Ok(events) => events.iter().filter_map(&to_sse).collect(),
                    Err(BroadcastStreamRecvError::Lagged(missed)) => {
                        vec![SseEvent::default().event("resync").data(format!(
                            "{{\"missed\":{missed},\"reason\":\"too slow; reload the view\"}}"
                        ))]
                    }
                };
                stream::iter(out.into_iter().map(Ok))
            })
            .take_until(async move {
                let _ = closing.wait_for(|closed| *closed).await;
            })
    }
}

/// The data of a `queue` event.
#[derive(Serialize)]
struct Change {
    #[serde(rename = "type")]
    kind: &'static str,
    ticket: Option<TicketView>,
    desk: Option<String>,
}

fn change(config: &Config, event: &Event) -> Change {
    let desk = match &event.kind {
        EventKind::TicketCalled { desk, .. }
        | EventKind::TicketRecalled { desk, .. }
        | EventKind::TicketServed { desk, .. }
        | EventKind::TicketNoShow { desk, .. }
        | EventKind::DeskPaused { desk }
        | EventKind::DeskResumed { desk } => Some(desk.clone()),
        EventKind::TicketIssued { .. }
        | EventKind::TicketTransferred { .. }
        | EventKind::TicketExpired { .. } => None,
    };
    Change {
        kind: event.kind.name(),
        ticket: event.kind.ticket().map(|t| TicketView::of(t, config, event.at)),
        desk,
    }
}

/// The call an event shows on the board, if it is a call or a recall.
pub fn board_call(config: &Config, event: &Event) -> Option<CallView> {
    match &event.kind {
        EventKind::TicketCalled { ticket, desk } | EventKind::TicketRecalled { ticket, desk } => {
            Some(CallView::new(config, ticket.code(), desk, event.at))
        }
        _ => None,
    }
}

fn json_event(name: &str, data: &impl Serialize) -> Option<SseEvent> {
    match serde_json::to_string(data) {
        Ok(json) => Some(SseEvent::default().event(name).data(json)),
        Err(e) => {
            log::error!("web: cannot encode a {name} event: {e}");
            None
        }
    }
}

/// `GET /api/v1/events`: every committed change, for staff.
pub async fn queue_events(
    State(state): State<WebState>,
    _staff: Staff,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let config = state.config.clone();
    let stream = state.live.stream(move |event| json_event("queue", &change(&config, event)));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// `GET /api/v1/board/events`: every call, for the public board.
pub async fn board_events(
    State(state): State<WebState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let config = state.config.clone();
    let stream = state.live.stream(move |event| json_event("call", &board_call(&config, event)?));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}
