//! Live updates as Server-Sent Events: every committed change for the staff consoles
//! (`/api/v1/events`, with an `appointment_checked_in` event when a visitor checks in for an
//! appointment, so the desk is alerted) and every call for the "now serving" board
//! (`/api/v1/board/events`, which never hears about appointments).
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
use crate::appointment::{AppointmentEvent, AppointmentEventKind};
use crate::config::Config;
use crate::owner::HelpPointHandle;
use crate::queue::{Event, EventKind};

/// How many batches of changes a client may fall behind before it must resync.
const BACKLOG: usize = 256;
/// A comment line this often keeps proxies and browsers from closing a quiet stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The broadcast of committed changes, and the signal that the server is closing.
pub struct Live {
    changes: broadcast::Sender<Batch>,
    closing: watch::Sender<bool>,
}

/// One committed change as the broadcast carries it.
#[derive(Debug, Clone)]
enum Batch {
    Queue(Arc<[Event]>),
    CheckedIn(Arc<CheckInAlert>),
}

/// The data of an `appointment_checked_in` event: which desk is to call whom, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckInAlert {
    /// The appointment's id.
    pub id: i64,
    /// The desk that will call the visitor; `null`: any desk of the service.
    pub desk: Option<String>,
    pub service: String,
    pub starts_at: jiff::Timestamp,
    /// The code of the visitor's ticket, e.g. `A-003`.
    pub ticket: String,
}

impl CheckInAlert {
    /// The alert for an appointment event, if it is a check-in.
    pub fn of(event: &AppointmentEvent) -> Option<CheckInAlert> {
        let AppointmentEventKind::CheckedIn { ticket, .. } = &event.kind else { return None };
        let a = &event.appointment;
        Some(CheckInAlert {
            id: a.id.0,
            desk: a.desk.clone(),
            service: a.service.clone(),
            starts_at: a.starts_at,
            ticket: ticket.clone(),
        })
    }
}

impl Live {
    /// A broadcast fed by every change `help_point` commits.
    pub fn attach(help_point: &HelpPointHandle) -> Live {
        let (changes, _) = broadcast::channel(BACKLOG);
        let sender = changes.clone();
        let subscribed = help_point.subscribe(Box::new(move |events| {
            // No receiver (nobody watching) is fine.
            let _ = sender.send(Batch::Queue(events.into()));
        }));
        let sender = changes.clone();
        let alerts = help_point.send(move |hp| {
            hp.listen_appointments(Box::new(move |event| {
                if let Some(alert) = CheckInAlert::of(event) {
                    let _ = sender.send(Batch::CheckedIn(Arc::new(alert)));
                }
            }))
        });
        if subscribed.is_err() || alerts.is_err() {
            log::error!("web: live updates are off: the help point has stopped");
        }
        Live { changes, closing: watch::channel(false).0 }
    }

    /// Ends every open stream, so a graceful shutdown does not wait for them.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// The messages a client hears, cut from the broadcast by `to_message`, until closing.
    #[cfg(test)]
    fn messages<F>(&self, to_message: F) -> impl Stream<Item = Message> + use<F>
    where
        F: Fn(&Event) -> Option<Message> + Send + 'static,
    {
        self.messages_with_alerts(to_message, false)
    }

    /// [`Live::messages`], with the check-in alerts when `alerts` (staff only).
    fn messages_with_alerts<F>(&self, to_message: F, alerts: bool) -> impl Stream<Item = Message> + use<F>
    where
        F: Fn(&Event) -> Option<Message> + Send + 'static,
    {
        let mut closing = self.closing.subscribe();
        BroadcastStream::new(self.changes.subscribe())
            .flat_map(move |batch| {
                let out: Vec<Message> = match batch {
                    Ok(Batch::Queue(events)) => events.iter().filter_map(&to_message).collect(),
                    Ok(Batch::CheckedIn(alert)) if alerts => {
                        json_event("appointment_checked_in", &*alert).into_iter().collect()
                    }
                    Ok(Batch::CheckedIn(_)) => Vec::new(),
                    Err(BroadcastStreamRecvError::Lagged(missed)) => vec![Message {
                        name: "resync",
                        data: format!("{{\"missed\":{missed},\"reason\":\"too slow; reload the view\"}}"),
                    }],
                };
                stream::iter(out)
            })
            .take_until(async move {
                let _ = closing.wait_for(|closed| *closed).await;
            })
    }

    /// The stream of `to_message`'s messages; it ends before the first message for which
    /// `allowed()` says no (a desk that signed out, or whose session ran out, hears no more).
    fn stream<F, A>(
        &self,
        to_message: F,
        allowed: A,
        alerts: bool,
    ) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>> + use<F, A>>
    where
        F: Fn(&Event) -> Option<Message> + Send + 'static,
        A: Fn() -> bool + Send + 'static,
    {
        let events = self
            .messages_with_alerts(to_message, alerts)
            .take_while(move |_| std::future::ready(allowed()))
            .map(|m| Ok(SseEvent::default().event(m.name).data(m.data)));
        Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
    }
}

/// One server-sent event: its name and its JSON data.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Message {
    name: &'static str,
    data: String,
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

fn json_event(name: &'static str, data: &impl Serialize) -> Option<Message> {
    match serde_json::to_string(data) {
        Ok(data) => Some(Message { name, data }),
        Err(e) => {
            log::error!("web: cannot encode a {name} event: {e}");
            None
        }
    }
}

/// `GET /api/v1/events`: every committed change, for staff.
pub async fn queue_events(
    State(state): State<WebState>,
    staff: Staff,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let config = state.config.clone();
    let sessions = state.sessions.clone();
    let clock = state.session_clock.clone();
    let allowed = move || match &staff {
        Staff::Desk { session, .. } => sessions.is_open(session, clock.now()),
        Staff::Token { .. } => true,
    };
    state.live.stream(move |event| json_event("queue", &change(&config, event)), allowed, true)
}

/// `GET /api/v1/board/events`: every call, for the public board, and a `transferred` event
/// (no data) when a ticket is sent on, after which the board fetches `/api/v1/board` again.
pub async fn board_events(
    State(state): State<WebState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let config = state.config.clone();
    state.live.stream(
        move |event| match &event.kind {
            // A ticket sent on may have been the one shown big: the board fetches the list again.
            EventKind::TicketTransferred { .. } => Some(Message { name: "transferred", data: "{}".into() }),
            _ => json_event("call", &board_call(&config, event)?),
        },
        || true,
        false,
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::help_point::{HelpPoint, queue_rules};
    use crate::owner::HelpPointOwner;
    use crate::store::Store;

    fn help_point() -> HelpPointOwner {
        let clock = Arc::new(ManualClock::new("2026-11-30T09:30:00Z".parse().unwrap()));
        let hp =
            HelpPoint::open(queue_rules(&Config::sample()), Store::open_in_memory().unwrap(), clock).unwrap();
        HelpPointOwner::start(hp).unwrap()
    }

    #[tokio::test]
    async fn the_board_hears_calls_and_recalls_only() {
        let owner = help_point();
        let hp = owner.handle();
        let live = Live::attach(&hp);
        let config = Config::sample();
        let board = live.messages(move |e| json_event("call", &board_call(&config, e)?));
        hp.run(|hp| hp.take_ticket("email", "nl")).unwrap().unwrap();
        hp.run(|hp| hp.call_next("desk-1")).unwrap().unwrap();
        hp.run(|hp| hp.recall("desk-1")).unwrap().unwrap();
        hp.run(|hp| hp.served("desk-1", None)).unwrap().unwrap();
        hp.run(|hp| hp.take_ticket("email", "nl")).unwrap().unwrap();
        hp.run(|hp| hp.call_next("desk-1")).unwrap().unwrap();
        let heard: Vec<Message> = board.take(3).collect().await;
        let call = r#"{"code":"E-001","desk":"desk-1","desk_name":"Balie 1","at":"2026-11-30T09:30:00Z"}"#;
        assert_eq!(heard[..2], vec![Message { name: "call", data: call.into() }; 2]);
        assert!(heard[2].data.contains("E-002"), "served and issued are not calls: {:?}", heard[2]);
    }

    #[tokio::test]
    async fn closing_ends_the_streams() {
        let owner = help_point();
        let hp = owner.handle();
        let live = Live::attach(&hp);
        let board = live.messages(|_| None);
        live.close();
        let ended = tokio::time::timeout(std::time::Duration::from_secs(1), board.count()).await;
        assert_eq!(ended.ok(), Some(0));
    }

    #[tokio::test]
    async fn a_client_that_falls_behind_is_told_to_resync() {
        let owner = help_point();
        let hp = owner.handle();
        let live = Live::attach(&hp);
        let config = Config::sample();
        let staff = live.messages(move |e| json_event("queue", &change(&config, e)));
        for _ in 0..BACKLOG + 10 {
            hp.run(|hp| hp.take_ticket("email", "nl")).unwrap().unwrap();
        }
        let heard: Vec<Message> = staff.take(1 + BACKLOG).collect().await;
        assert_eq!(heard[0].name, "resync");
        assert!(heard[0].data.contains("\"missed\":10"), "{}", heard[0].data);
        assert_eq!(
            heard[1..].iter().filter(|m| m.name == "queue").count(),
            BACKLOG,
            "then what it still has"
        );
        assert!(heard[1].data.starts_with(r#"{"type":"ticket_issued","ticket":{"#), "{}", heard[1].data);
    }

    #[tokio::test]
    async fn staff_hear_a_check_in_and_the_board_does_not() {
        let owner = help_point();
        let hp = owner.handle();
        let live = Live::attach(&hp);
        let config = Config::sample();
        let staff_config = config.clone();
        let staff = live.messages_with_alerts(move |e| json_event("queue", &change(&staff_config, e)), true);
        let board = live.messages(move |e| json_event("call", &board_call(&config, e)?));
        let code = hp
            .run(|hp| {
                hp.set_appointment_rules(crate::help_point::appointment_rules(&Config::sample()));
                let new = crate::appointment::NewAppointment {
                    starts_at: hp.now(),
                    service: "appointment".into(),
                    desk: Some("desk-1".into()),
                    language: None,
                    name: None,
                };
                hp.book(new, crate::appointment::AppointmentSource::Console).unwrap().code
            })
            .unwrap();
        hp.run(move |hp| hp.check_in(&code.digits(), "nl")).unwrap().unwrap();
        hp.run(|hp| hp.call_next("desk-1")).unwrap().unwrap();
        let heard: Vec<Message> = staff.take(3).collect().await;
        let names: Vec<&str> = heard.iter().map(|m| m.name).collect();
        assert_eq!(
            names,
            ["appointment_checked_in", "queue", "queue"],
            "the alert, then its ticket, then the call"
        );
        let alert: serde_json::Value = serde_json::from_str(&heard[0].data).unwrap();
        assert_eq!(alert["desk"], "desk-1");
        assert_eq!(alert["ticket"], "A-001");
        assert_eq!(alert["starts_at"], "2026-11-30T09:30:00Z");
        let calls: Vec<Message> = board.take(1).collect().await;
        assert_eq!(calls[0].name, "call", "the board hears only the call");
    }
}
