//! The queue of a help point: tickets, desks and the rules between them.
//!
//! This is the pure domain. It owns numbering (a prefix per service, restarting every service
//! day at local midnight), the order in which desks call visitors, positions, the estimated wait
//! learned from recent service times, and the life of a ticket: waiting → called (recalled) →
//! served or no-show, with transfers back to waiting in another service.
//!
//! Appointments: a visitor who checked in for an appointment gets a ticket with an
//! [`AppointmentMark`]. Its desk (or, when the appointment names none, any desk of its service)
//! calls it before every walk-in from the appointment's time on; checked in early, it waits
//! until then and walk-ins are served meanwhile; it is never called as a walk-in (see
//! [`Queue::call_next`]). Whether a late check-in keeps that priority is decided at check-in
//! (`crate::appointment`): without it the ticket has no mark and waits as a walk-in. Every change returns
//! the [`Event`]s that describe it; the caller persists them (see `store`) and only then shows
//! the result to anyone.
//!
//! It must not do I/O, read a clock or know about Slint, SQLite or tokio: time is an argument
//! and the time zone is data.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use rpds::{RedBlackTreeMapSync, RedBlackTreeSetSync};
use serde::{Deserialize, Serialize};

use crate::wait_estimate::{self, DueAppointment, ServiceTime};

/// The id of a ticket, unique for the whole life of a kiosk (not only for one day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TicketId(pub i64);

/// A service a visitor can choose ("email", "appointment", …), as named in the config.
pub type ServiceId = String;
/// A desk where staff serve visitors ("desk-1"), as named in the config.
pub type DeskId = String;

/// Where a ticket is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TicketState {
    /// Waiting to be called.
    Waiting,
    /// Called to a desk; the visitor is on the way or being served.
    Called { desk: DeskId },
    /// The desk finished with this visitor.
    Served { desk: DeskId, outcome: Option<String> },
    /// Called, but the visitor did not come.
    NoShow { desk: DeskId },
    /// Still open when its service day ended; kept for the statistics.
    Expired,
}

impl TicketState {
    /// Short name used in the store and in events.
    pub fn name(&self) -> &'static str {
        match self {
            TicketState::Waiting => "waiting",
            TicketState::Called { .. } => "called",
            TicketState::Served { .. } => "served",
            TicketState::NoShow { .. } => "no_show",
            TicketState::Expired => "expired",
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self, TicketState::Waiting | TicketState::Called { .. })
    }
}

/// A queue ticket as the visitor holds it and staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    /// The local date the ticket was issued on; numbering restarts every service day.
    pub service_day: Date,
    /// The prefix at issue time ("E"); the printed code never changes, even after a transfer.
    pub prefix: String,
    pub number: u32,
    /// The service the ticket was issued for.
    pub issued_service: ServiceId,
    /// The service it waits for now (differs from `issued_service` after a transfer).
    pub service: ServiceId,
    /// The visitor's language (a code such as "ar"): print, screen and announcement use it.
    pub language: String,
    /// Arrival time; a transfer keeps it, so the visitor keeps their place.
    pub issued_at: Timestamp,
    pub state: TicketState,
    pub called_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// How many times the ticket was called again after the first call.
    pub recalls: u32,
    /// The screening's result code, when the ticket was taken from the screening's result
    /// screen: the desk sees it and knows what the visitor can already do. It stays on the
    /// kiosk (the central system has the result under this code already, and linking it to a
    /// queue visit there is nobody's need), so it is left out of the ticket's JSON.
    #[serde(skip)]
    pub screening_code: Option<String>,
    /// Set when the visitor checked in for an appointment: desks call this ticket before
    /// walk-ins from the appointment's time on (see [`Queue::call_next`]). Its uid goes into
    /// the events' bodies as `appointment_uid` (see `store`), not the ticket's JSON.
    #[serde(skip)]
    pub appointment: Option<AppointmentMark>,
}

/// What a ticket of a checked-in appointment carries for the calling order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentMark {
    /// From this time on the ticket is called first.
    pub starts_at: Timestamp,
    /// The desk that calls it; `None`: any desk of its service.
    pub desk: Option<DeskId>,
}

impl Ticket {
    /// The code on the ticket and the screens, e.g. `E-017`.
    pub fn code(&self) -> String {
        ticket_code(&self.prefix, self.number)
    }

    /// The desk that called this ticket, if any.
    pub fn desk(&self) -> Option<&str> {
        match &self.state {
            TicketState::Called { desk }
            | TicketState::Served { desk, .. }
            | TicketState::NoShow { desk } => Some(desk),
            TicketState::Waiting | TicketState::Expired => None,
        }
    }
}

/// Formats a ticket code: the prefix, a dash and at least three digits (`E-017`, `E-1204`).
pub fn ticket_code(prefix: &str, number: u32) -> String {
    format!("{prefix}-{number:03}")
}

/// What happened, for the store's outbox and, later, the central system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The kinds of [`Event`]. Ticket events carry the ticket as it is after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    TicketIssued { ticket: Ticket },
    TicketCalled { ticket: Ticket, desk: DeskId },
    TicketRecalled { ticket: Ticket, desk: DeskId },
    TicketServed { ticket: Ticket, desk: DeskId },
    TicketNoShow { ticket: Ticket, desk: DeskId },
    TicketTransferred { ticket: Ticket, from: ServiceId, to: ServiceId },
    TicketExpired { ticket: Ticket },
    DeskPaused { desk: DeskId },
    DeskResumed { desk: DeskId },
}

impl EventKind {
    /// The event's type name, as in its JSON form.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::TicketIssued { .. } => "ticket_issued",
            EventKind::TicketCalled { .. } => "ticket_called",
            EventKind::TicketRecalled { .. } => "ticket_recalled",
            EventKind::TicketServed { .. } => "ticket_served",
            EventKind::TicketNoShow { .. } => "ticket_no_show",
            EventKind::TicketTransferred { .. } => "ticket_transferred",
            EventKind::TicketExpired { .. } => "ticket_expired",
            EventKind::DeskPaused { .. } => "desk_paused",
            EventKind::DeskResumed { .. } => "desk_resumed",
        }
    }

    /// The ticket this event changed, if it is a ticket event.
    pub fn ticket(&self) -> Option<&Ticket> {
        match self {
            EventKind::TicketIssued { ticket }
            | EventKind::TicketCalled { ticket, .. }
            | EventKind::TicketRecalled { ticket, .. }
            | EventKind::TicketServed { ticket, .. }
            | EventKind::TicketNoShow { ticket, .. }
            | EventKind::TicketTransferred { ticket, .. }
            | EventKind::TicketExpired { ticket } => Some(ticket),
            EventKind::DeskPaused { .. } | EventKind::DeskResumed { .. } => None,
        }
    }
}

/// Why a queue action was refused. Each message is fit to show to staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("there is no service \"{0}\"")]
    UnknownService(String),
    #[error("there is no desk \"{0}\"")]
    UnknownDesk(String),
    #[error("there is no ticket {0:?} today")]
    UnknownTicket(TicketId),
    #[error("desk \"{0}\" is paused")]
    DeskPaused(String),
    #[error("nobody is waiting for the services of desk \"{0}\"")]
    NobodyWaiting(String),
    #[error("desk \"{0}\" has no called ticket")]
    NoCurrentTicket(String),
    #[error("ticket {code} is not waiting")]
    NotWaiting { code: String },
    #[error("desk \"{desk}\" does not serve \"{service}\"")]
    NotServedByDesk { desk: String, service: String },
    #[error("ticket {code} already waits for \"{service}\"")]
    SameService { code: String, service: String },
    #[error("ticket {code} is being served at desk \"{desk}\"")]
    AtAnotherDesk { code: String, desk: String },
    #[error("desk \"{desk}\" is no longer serving ticket {expected:?}: reload to see its visitor now")]
    NoLongerCurrent { desk: String, expected: TicketId },
}

/// A service as the queue needs it: its id and ticket prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRule {
    pub id: ServiceId,
    pub prefix: String,
}

/// A desk as the queue needs it: its id and the services it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskRule {
    pub id: DeskId,
    pub services: Vec<ServiceId>,
}

/// The fixed rules of a help point's queue, from its config.
#[derive(Debug, Clone)]
pub struct QueueRules {
    pub services: Vec<ServiceRule>,
    pub desks: Vec<DeskRule>,
    pub time_zone: TimeZone,
    /// Assumed time to serve one visitor before there is any history.
    pub default_service_time: SignedDuration,
    /// How many recent service times per service the estimate learns from.
    pub recent_services: usize,
}

/// An estimated wait, as a range of whole minutes (`low..=high`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitEstimate {
    pub low_minutes: u32,
    pub high_minutes: u32,
}

/// Where a waiting ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Waiting tickets that desks serving this ticket's service will call first.
    pub people_ahead: u32,
    /// `None` when no open desk serves the service right now.
    pub wait: Option<WaitEstimate>,
}

/// A recent call, for the "now serving" strip and the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub ticket: TicketId,
    pub code: String,
    pub desk: DeskId,
    pub at: Timestamp,
    pub language: String,
}

impl Call {
    fn of(ticket: &Ticket, desk: &str, at: Timestamp) -> Call {
        Call {
            ticket: ticket.id,
            code: ticket.code(),
            desk: desk.to_owned(),
            at,
            language: ticket.language.clone(),
        }
    }
}

/// Everything the queue needs to resume after a restart, as read back from the store.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Tickets still open (from any day) and all tickets of the newest service day.
    pub tickets: Vec<Ticket>,
    pub paused_desks: Vec<DeskId>,
    /// The highest ticket id ever given, so ids never repeat.
    pub last_ticket_id: Option<TicketId>,
    /// Recent service times, per service, oldest first.
    pub service_times: Vec<(ServiceId, SignedDuration)>,
    /// Highest number given per prefix, per service day (kept even if tickets are pruned).
    pub last_numbers: Vec<(Date, String, u32)>,
}

/// Where a waiting ticket stands in line: desks call the earliest arrival first, then the
/// lowest id.
type Place = (Timestamp, TicketId);

/// How many of the most recent calls the queue keeps for [`Queue::recent_calls`] (the screens
/// show at most 8), beyond the calls of tickets still open.
pub const RECENT_CALLS_KEPT: usize = 32;

/// The queue of one help point for the current service day.
///
/// A busy day has tens of thousands of tickets, and the help point copies its queue for every
/// action (see `help_point`): so the open tickets, the lines and the calls are kept in
/// persistent maps, which a copy shares and a change copies only a path of (O(log n)). No
/// action scans the day: the lines are kept per service, the desks' current tickets and the
/// day's figures are kept as they change. Memory does not grow with the day either: a finished
/// ticket leaves the open tickets (it is in the store) and keeps only its code, in 16 bytes
/// (`Codes`), and only the most recent calls are kept.
#[derive(Debug, Clone)]
pub struct Queue {
    rules: Arc<QueueRules>,
    day: Option<Date>,
    /// The open tickets: today's, and any still open from an earlier day until it is rolled
    /// over. A ticket leaves when it is served or a no-show.
    tickets: RedBlackTreeMapSync<TicketId, Ticket>,
    /// The code of every ticket of the day, open or finished.
    codes: Codes,
    /// The waiting tickets of each service, in calling order.
    lines: BTreeMap<ServiceId, RedBlackTreeSetSync<Place>>,
    /// The waiting tickets of checked-in appointments, by appointment time (a handful a day).
    booked: RedBlackTreeSetSync<Place>,
    /// The ticket each desk has called and not yet finished.
    at_desk: BTreeMap<DeskId, TicketId>,
    /// Served and no-show tickets per service day, for the figures: (served, no-shows).
    finished: BTreeMap<Date, (usize, usize)>,
    last_numbers: HashMap<String, u32>,
    last_ticket_id: i64,
    paused: Vec<DeskId>,
    service_times: HashMap<ServiceId, VecDeque<SignedDuration>>,
    /// Today's recent calls by the order they were made, the latest per ticket only: every call
    /// newer than the [`RECENT_CALLS_KEPT`]-th newest call of a finished ticket (see
    /// `Queue::trim_calls`).
    calls: RedBlackTreeMapSync<u64, Call>,
    /// Where each ticket's latest call is in `calls`.
    call_of: RedBlackTreeMapSync<TicketId, u64>,
    /// How many calls in `calls` are of finished tickets (those never change again).
    finished_calls: usize,
    next_call: u64,
    /// The newest call was taken back (its ticket sent on to another service) and nobody has
    /// been called since: the calls listed are history, not "now serving".
    newest_taken_back: bool,
}

impl Queue {
    /// A queue with no history.
    pub fn new(rules: QueueRules) -> Queue {
        Queue::resume(rules, Snapshot::default())
    }

    /// A queue that continues from what the store kept.
    pub fn resume(rules: QueueRules, snapshot: Snapshot) -> Queue {
        let day = snapshot.tickets.iter().map(|t| t.service_day).max();
        let mut queue = Queue {
            day,
            tickets: RedBlackTreeMapSync::new_sync(),
            codes: Codes::default(),
            lines: BTreeMap::new(),
            booked: RedBlackTreeSetSync::new_sync(),
            at_desk: BTreeMap::new(),
            finished: BTreeMap::new(),
            last_numbers: HashMap::new(),
            last_ticket_id: snapshot.last_ticket_id.map_or(0, |id| id.0),
            paused: snapshot.paused_desks,
            service_times: HashMap::new(),
            calls: RedBlackTreeMapSync::new_sync(),
            call_of: RedBlackTreeMapSync::new_sync(),
            finished_calls: 0,
            next_call: 0,
            newest_taken_back: false,
            rules: Arc::new(rules),
        };
        let newest_numbers_day = snapshot.last_numbers.iter().map(|(d, _, _)| *d).max();
        let day = match (queue.day, newest_numbers_day) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        queue.day = day;
        for (d, prefix, number) in snapshot.last_numbers {
            if Some(d) == day {
                let n = queue.last_numbers.entry(prefix).or_insert(0);
                *n = (*n).max(number);
            }
        }
        let mut calls = Vec::new();
        let mut tickets = snapshot.tickets;
        // By id, so that a desk left with two called tickets serves the older one first.
        tickets.sort_by_key(|t| t.id);
        for ticket in tickets {
            queue.last_ticket_id = queue.last_ticket_id.max(ticket.id.0);
            if Some(ticket.service_day) == day {
                let n = queue.last_numbers.entry(ticket.prefix.clone()).or_insert(0);
                *n = (*n).max(ticket.number);
                // Today's calls, served or not, so "now serving" looks the same after a restart.
                if let (Some(desk), Some(at)) = (ticket.desk(), ticket.called_at) {
                    calls.push(Call::of(&ticket, desk, at));
                }
            }
            if Some(ticket.service_day) == day || ticket.state.is_open() {
                queue.codes.add(ticket.id, &ticket.prefix, ticket.number);
                queue.put(ticket);
            }
        }
        calls.sort_by_key(|c| c.at);
        for call in calls {
            queue.push_call(call);
        }
        for (service, time) in snapshot.service_times {
            queue.learn_service_time(&service, time);
        }
        queue
    }

    pub fn rules(&self) -> &QueueRules {
        &self.rules
    }

    /// The local service day of a moment.
    pub fn service_day(&self, now: Timestamp) -> Date {
        now.to_zoned(self.rules.time_zone.clone()).date()
    }

    /// Starts a new service day if `now` is past local midnight: numbering restarts and tickets
    /// still open from the previous day expire. Every action calls this first; a caller may
    /// also call it from a timer so the screens are right after midnight.
    pub fn roll_over(&mut self, now: Timestamp) -> Vec<Event> {
        let today = self.service_day(now);
        if self.day.is_some_and(|day| day >= today) {
            return Vec::new();
        }
        self.day = Some(today);
        self.last_numbers.clear();
        self.calls = RedBlackTreeMapSync::new_sync();
        self.call_of = RedBlackTreeMapSync::new_sync();
        self.finished_calls = 0;
        self.codes = Codes::default();
        self.newest_taken_back = false;
        self.lines.clear();
        self.booked = RedBlackTreeSetSync::new_sync();
        self.at_desk.clear();
        self.finished.clear();
        // The one walk over the open tickets, once a day.
        let old = std::mem::replace(&mut self.tickets, RedBlackTreeMapSync::new_sync());
        old.values()
            .filter(|t| t.state.is_open())
            .map(|t| {
                let mut ticket = t.clone();
                ticket.state = TicketState::Expired;
                ticket.finished_at = Some(now);
                Event { at: now, kind: EventKind::TicketExpired { ticket } }
            })
            .collect()
    }

    /// Issues a ticket for a visitor who chose `service` in `language`.
    pub fn issue(
        &mut self,
        service: &str,
        language: &str,
        now: Timestamp,
    ) -> Result<(Ticket, Vec<Event>), QueueError> {
        self.issue_with_code(service, language, None, now)
    }

    /// [`Queue::issue`] for a learner who comes from the screening's result screen, with the
    /// result code on the ticket.
    pub fn issue_with_code(
        &mut self,
        service: &str,
        language: &str,
        screening_code: Option<&str>,
        now: Timestamp,
    ) -> Result<(Ticket, Vec<Event>), QueueError> {
        let rule = self
            .rules
            .services
            .iter()
            .find(|s| s.id == service)
            .ok_or_else(|| QueueError::UnknownService(service.to_owned()))?;
        let prefix = rule.prefix.clone();
        let mut events = self.roll_over(now);
        let number = self.last_numbers.get(&prefix).copied().unwrap_or(0) + 1;
        self.last_numbers.insert(prefix.clone(), number);
        self.last_ticket_id += 1;
        // The day the queue is in, which never goes back: a clock stepped back past midnight
        // must not reuse yesterday's numbers.
        let service_day = self.day.unwrap_or_else(|| self.service_day(now));
        let ticket = Ticket {
            id: TicketId(self.last_ticket_id),
            service_day,
            prefix,
            number,
            issued_service: service.to_owned(),
            service: service.to_owned(),
            language: language.to_owned(),
            issued_at: now,
            state: TicketState::Waiting,
            called_at: None,
            finished_at: None,
            recalls: 0,
            screening_code: screening_code.map(str::to_owned),
            appointment: None,
        };
        self.codes.add(ticket.id, &ticket.prefix, ticket.number);
        self.put(ticket.clone());
        events.push(Event { at: now, kind: EventKind::TicketIssued { ticket: ticket.clone() } });
        Ok((ticket, events))
    }

    /// Issues the ticket of a visitor who checked in for an appointment: with `mark`, desks call
    /// it before walk-ins from the appointment's time on (see [`Queue::call_next`]); without, it
    /// is a walk-in ticket like any other (a late check-in under the walk-in policy).
    pub fn issue_for_appointment(
        &mut self,
        service: &str,
        language: &str,
        mark: Option<AppointmentMark>,
        now: Timestamp,
    ) -> Result<(Ticket, Vec<Event>), QueueError> {
        let (mut ticket, mut events) = self.issue_with_code(service, language, None, now)?;
        if mark.is_some() {
            ticket.appointment = mark;
            self.put(ticket.clone());
            if let Some(Event { kind: EventKind::TicketIssued { ticket: issued }, .. }) = events.last_mut() {
                *issued = ticket.clone();
            }
        }
        Ok((ticket, events))
    }

    /// Calls the next visitor to `desk`. A ticket of a checked-in appointment whose time has
    /// come (`starts_at <= now`) goes first, the earliest appointment first, when the desk is
    /// the appointment's desk, or serves its service when the appointment has no desk. Then the
    /// longest-waiting walk-in among the services the desk serves.
    ///
    /// An appointment ticket is never called as a walk-in: checked in early, it waits until its
    /// time (walk-ins are served meanwhile); booked with another desk, it waits for that desk
    /// (staff can still call it to any desk with [`Queue::call_ticket`]). A ticket the desk had
    /// called before is marked served first, so one press of a desk's button is enough to move
    /// on.
    pub fn call_next(&mut self, desk: &str, now: Timestamp) -> Result<Vec<Event>, QueueError> {
        let rule = self.open_desk(desk)?;
        let next = self
            .due_appointment(&rule, now)
            .or_else(|| {
                rule.services
                    .iter()
                    .filter_map(|s| {
                        let line = self.lines.get(s)?;
                        line.iter()
                            .find(|(_, id)| self.tickets.get(id).is_some_and(|t| t.appointment.is_none()))
                    })
                    .min()
                    .map(|(_, id)| *id)
            })
            .ok_or_else(|| QueueError::NobodyWaiting(desk.to_owned()))?;
        self.call(desk, next, now)
    }

    /// The waiting appointment ticket `desk` calls first at `now`, if any.
    fn due_appointment(&self, rule: &DeskRule, now: Timestamp) -> Option<TicketId> {
        self.booked
            .iter()
            .take_while(|(starts_at, _)| *starts_at <= now)
            .filter_map(|(_, id)| self.tickets.get(id))
            .find(|t| {
                let for_desk = t.appointment.as_ref().and_then(|m| m.desk.as_deref());
                rule.services.contains(&t.service) && for_desk.is_none_or(|d| d == rule.id)
            })
            .map(|t| t.id)
    }

    /// The waiting tickets of checked-in appointments, by appointment time.
    pub fn waiting_appointments(&self) -> impl Iterator<Item = &Ticket> {
        self.booked.iter().filter_map(|(_, id)| self.tickets.get(id))
    }

    /// Calls a particular waiting ticket to `desk`, out of order.
    pub fn call_ticket(
        &mut self,
        desk: &str,
        ticket: TicketId,
        now: Timestamp,
    ) -> Result<Vec<Event>, QueueError> {
        let rule = self.open_desk(desk)?;
        let t = self.open_ticket(ticket)?;
        if t.state != TicketState::Waiting {
            return Err(QueueError::NotWaiting { code: t.code() });
        }
        if !rule.services.contains(&t.service) {
            return Err(QueueError::NotServedByDesk { desk: desk.to_owned(), service: t.service.clone() });
        }
        self.call(desk, ticket, now)
    }

    fn call(&mut self, desk: &str, id: TicketId, now: Timestamp) -> Result<Vec<Event>, QueueError> {
        let mut events = Vec::new();
        if self.current_ticket(desk).is_some() {
            events.extend(self.finish(desk, None, now, true)?);
        }
        let mut ticket = self.tickets.get(&id).ok_or(QueueError::UnknownTicket(id))?.clone();
        ticket.state = TicketState::Called { desk: desk.to_owned() };
        ticket.called_at = Some(now);
        self.put(ticket.clone());
        self.push_call(Call::of(&ticket, desk, now));
        events.push(Event { at: now, kind: EventKind::TicketCalled { ticket, desk: desk.to_owned() } });
        Ok(events)
    }

    /// Checks that `ticket`, when given, is still the desk's current ticket: what staff see on
    /// their screen may have changed (a desk button, another tab) since they clicked.
    pub fn expect_current(&self, desk: &str, ticket: Option<TicketId>) -> Result<(), QueueError> {
        match ticket {
            Some(expected) if self.current_ticket(desk).map(|t| t.id) != Some(expected) => {
                Err(QueueError::NoLongerCurrent { desk: desk.to_owned(), expected })
            }
            _ => Ok(()),
        }
    }

    /// Calls the desk's current ticket once more (the visitor did not notice).
    pub fn recall(&mut self, desk: &str, now: Timestamp) -> Result<Vec<Event>, QueueError> {
        self.desk_rule(desk)?;
        let id = self.current_ticket(desk).ok_or_else(|| QueueError::NoCurrentTicket(desk.to_owned()))?.id;
        let mut ticket = self.tickets.get(&id).ok_or(QueueError::UnknownTicket(id))?.clone();
        ticket.recalls += 1;
        self.put(ticket.clone());
        self.push_call(Call::of(&ticket, desk, now));
        Ok(vec![Event { at: now, kind: EventKind::TicketRecalled { ticket, desk: desk.to_owned() } }])
    }

    /// The desk is done with its current visitor; `outcome` is an optional label from config.
    pub fn served(
        &mut self,
        desk: &str,
        outcome: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<Event>, QueueError> {
        self.desk_rule(desk)?;
        self.finish(desk, outcome.map(str::to_owned), now, true)
    }

    /// The desk's current visitor did not come.
    pub fn no_show(&mut self, desk: &str, now: Timestamp) -> Result<Vec<Event>, QueueError> {
        self.desk_rule(desk)?;
        self.finish(desk, None, now, false)
    }

    fn finish(
        &mut self,
        desk: &str,
        outcome: Option<String>,
        now: Timestamp,
        served: bool,
    ) -> Result<Vec<Event>, QueueError> {
        let id = self.current_ticket(desk).ok_or_else(|| QueueError::NoCurrentTicket(desk.to_owned()))?.id;
        let mut ticket = self.tickets.get(&id).ok_or(QueueError::UnknownTicket(id))?.clone();
        ticket.finished_at = Some(now);
        let desk = desk.to_owned();
        if served {
            ticket.state = TicketState::Served { desk: desk.clone(), outcome };
            self.put(ticket.clone());
            if let Some(called) = ticket.called_at {
                self.learn_service_time(&ticket.service, now.duration_since(called));
            }
            Ok(vec![Event { at: now, kind: EventKind::TicketServed { ticket, desk } }])
        } else {
            ticket.state = TicketState::NoShow { desk: desk.clone() };
            self.put(ticket.clone());
            Ok(vec![Event { at: now, kind: EventKind::TicketNoShow { ticket, desk } }])
        }
    }

    /// Moves a waiting or called ticket to another service. It waits there with its original
    /// arrival time, so the visitor does not start again at the back.
    pub fn transfer(&mut self, ticket: TicketId, to: &str, now: Timestamp) -> Result<Vec<Event>, QueueError> {
        if !self.rules.services.iter().any(|s| s.id == to) {
            return Err(QueueError::UnknownService(to.to_owned()));
        }
        let t = self.open_ticket(ticket)?;
        if !t.state.is_open() {
            return Err(QueueError::NotWaiting { code: t.code() });
        }
        if t.service == to {
            return Err(QueueError::SameService { code: t.code(), service: to.to_owned() });
        }
        let mut t = t.clone();
        let from = std::mem::replace(&mut t.service, to.to_owned());
        t.state = TicketState::Waiting;
        t.called_at = None;
        let ticket = t.clone();
        self.put(t);
        // Waiting again: it is no longer "now serving" anywhere. When its call was the newest,
        // the calls before it are history: none of them is now serving until the next call.
        if self.call_of.get(&ticket.id).is_some_and(|&order| order + 1 == self.next_call) {
            self.newest_taken_back = true;
        }
        self.drop_call(ticket.id);
        Ok(vec![Event { at: now, kind: EventKind::TicketTransferred { ticket, from, to: to.to_owned() } }])
    }

    /// A transfer asked by a desk: only its own current ticket, or a waiting ticket of a service
    /// it serves — never a visitor being served at another desk.
    pub fn transfer_for_desk(
        &mut self,
        desk: &str,
        ticket: TicketId,
        to: &str,
        now: Timestamp,
    ) -> Result<Vec<Event>, QueueError> {
        let rule = self.desk_rule(desk)?;
        if !self.rules.services.iter().any(|s| s.id == to) {
            return Err(QueueError::UnknownService(to.to_owned()));
        }
        let t = self.open_ticket(ticket)?;
        match &t.state {
            TicketState::Called { desk: at } if at == desk => {}
            TicketState::Called { desk: at } => {
                return Err(QueueError::AtAnotherDesk { code: t.code(), desk: at.clone() });
            }
            TicketState::Waiting if !rule.services.contains(&t.service) => {
                return Err(QueueError::NotServedByDesk {
                    desk: desk.to_owned(),
                    service: t.service.clone(),
                });
            }
            _ => {}
        }
        self.transfer(ticket, to, now)
    }

    /// Pauses a desk: it calls nobody, and it no longer counts for wait estimates.
    pub fn pause(&mut self, desk: &str, now: Timestamp) -> Result<Vec<Event>, QueueError> {
        self.desk_rule(desk)?;
        if self.paused.iter().any(|d| d == desk) {
            return Ok(Vec::new());
        }
        self.paused.push(desk.to_owned());
        Ok(vec![Event { at: now, kind: EventKind::DeskPaused { desk: desk.to_owned() } }])
    }

    /// Opens a paused desk again.
    pub fn resume_desk(&mut self, desk: &str, now: Timestamp) -> Result<Vec<Event>, QueueError> {
        self.desk_rule(desk)?;
        let before = self.paused.len();
        self.paused.retain(|d| d != desk);
        if self.paused.len() == before {
            return Ok(Vec::new());
        }
        Ok(vec![Event { at: now, kind: EventKind::DeskResumed { desk: desk.to_owned() } }])
    }

    pub fn is_paused(&self, desk: &str) -> bool {
        self.paused.iter().any(|d| d == desk)
    }

    /// The ticket a desk has called and not yet finished.
    pub fn current_ticket(&self, desk: &str) -> Option<&Ticket> {
        self.at_desk.get(desk).and_then(|id| self.tickets.get(id))
    }

    /// An open ticket (waiting or called). A finished ticket is in the store
    /// (`Store::ticket`); the queue keeps only its code.
    pub fn ticket(&self, id: TicketId) -> Option<&Ticket> {
        self.tickets.get(&id)
    }

    /// An open ticket, or why there is none: a ticket of the day that is finished is "not
    /// waiting" (with its code, for staff), any other is unknown.
    fn open_ticket(&self, id: TicketId) -> Result<&Ticket, QueueError> {
        match self.tickets.get(&id) {
            Some(ticket) => Ok(ticket),
            None => match self.codes.code(id) {
                Some(code) => Err(QueueError::NotWaiting { code }),
                None => Err(QueueError::UnknownTicket(id)),
            },
        }
    }

    /// Tickets waiting, in the order desks will call them (arrival time, then id).
    pub fn waiting(&self) -> impl Iterator<Item = &Ticket> {
        // The lines merged: each is in calling order, and there are a few.
        let mut lines: Vec<_> = self.lines.values().map(|line| line.iter().peekable()).collect();
        std::iter::from_fn(move || {
            let (place, line) =
                lines.iter_mut().enumerate().filter_map(|(i, line)| Some((**line.peek()?, i))).min()?;
            lines[line].next();
            Some(place)
        })
        .filter_map(|(_, id)| self.tickets.get(&id))
    }

    /// How many tickets wait for `service`.
    pub fn waiting_for(&self, service: &str) -> usize {
        self.lines.get(service).map_or(0, |line| line.size())
    }

    /// Whether any ticket is waiting or called to a desk.
    pub fn has_open_tickets(&self) -> bool {
        self.lines.values().any(|line| !line.is_empty()) || !self.at_desk.is_empty()
    }

    /// How many tickets of the service day `day` were served, and how many were no-shows.
    pub fn finished_on(&self, day: Date) -> (usize, usize) {
        self.finished.get(&day).copied().unwrap_or((0, 0))
    }

    /// The open tickets (waiting or called), by id: today's, and any left from an earlier day
    /// until it is rolled over. Finished tickets are in the store.
    pub fn tickets(&self) -> impl Iterator<Item = &Ticket> {
        self.tickets.values()
    }

    /// The most recent calls, newest first, one per ticket: up to [`RECENT_CALLS_KEPT`].
    pub fn recent_calls(&self, count: usize) -> Vec<Call> {
        self.calls.values().rev().take(count).cloned().collect()
    }

    /// How many people are before a waiting ticket, and the estimated wait, as of the latest
    /// moment the queue knows of (the ticket's issue or a desk's latest call), with no
    /// appointments due. [`Queue::position_at`] takes the time and the appointments.
    pub fn position(&self, id: TicketId) -> Result<Position, QueueError> {
        let ticket = self.open_ticket(id)?;
        let now = self
            .at_desk
            .values()
            .filter_map(|id| self.tickets.get(id)?.called_at)
            .fold(ticket.issued_at, Timestamp::max);
        self.position_at(id, now, &[])
    }

    /// How many people are before a waiting ticket at `now`, and the estimated wait.
    /// The call shown as "now serving" (big on the board, lit in the kiosk's strip): the
    /// newest call, unless the newest call was taken back by a transfer — then the one before
    /// it is history (a visitor served long ago) unless its visitor is still at the desk.
    pub fn now_serving(&self) -> Option<Call> {
        let (_, newest) = self.calls.last()?;
        let still_at_desk = || {
            self.tickets.get(&newest.ticket).is_some_and(|t| matches!(t.state, TicketState::Called { .. }))
        };
        (!self.newest_taken_back || still_at_desk()).then(|| newest.clone())
    }

    /// How many people are before a waiting ticket, and the estimated wait.
    ///
    /// People ahead are the waiting tickets, arrived earlier, whose service is served by a desk
    /// that also serves this ticket's service, and the `appointments` such a desk starts before
    /// calling it. The wait comes from playing the open desks forward (see [`wait_estimate`]):
    /// each ticket ahead at its own service's learned time, each desk finishing its visitor
    /// first, appointments taking their desk from their time on; it is a range because a single
    /// number would be a promise.
    pub fn position_at(
        &self,
        id: TicketId,
        now: Timestamp,
        appointments: &[DueAppointment],
    ) -> Result<Position, QueueError> {
        let ticket = self.open_ticket(id)?;
        if ticket.state != TicketState::Waiting {
            return Err(QueueError::NotWaiting { code: ticket.code() });
        }
        let desks: Vec<&DeskRule> =
            self.rules.desks.iter().filter(|d| d.services.contains(&ticket.service)).collect();
        // The services whose tickets the same desks call.
        let mut competing: Vec<&ServiceId> = desks.iter().flat_map(|d| &d.services).collect();
        competing.sort();
        competing.dedup();
        let place = (ticket.issued_at, ticket.id);
        let people_ahead = competing
            .into_iter()
            .filter_map(|service| self.lines.get(service))
            .map(|line| count_before(line, &place))
            .sum::<usize>() as u32;
        let ahead: Vec<&str> =
            self.waiting().take_while(|t| (t.issued_at, t.id) < place).map(|t| t.service.as_str()).collect();
        let desks: Vec<wait_estimate::Desk> = self
            .rules
            .desks
            .iter()
            .map(|d| wait_estimate::Desk {
                id: &d.id,
                services: &d.services,
                open: !self.is_paused(&d.id),
                busy: self
                    .current_ticket(&d.id)
                    .map(|t| wait_estimate::Busy { service: &t.service, since: t.called_at.unwrap_or(now) }),
                closes_at: None,
            })
            .collect();
        let situation = wait_estimate::Situation {
            now,
            service: &ticket.service,
            ahead: &ahead,
            desks: &desks,
            appointments,
        };
        let forecast = wait_estimate::forecast(&situation, |service| self.service_time(service));
        Ok(Position { people_ahead: people_ahead + forecast.appointments_first, wait: forecast.wait })
    }

    /// The recent service times of a service, as the wait estimate uses them.
    pub fn service_time(&self, service: &str) -> ServiceTime {
        let recent = self.service_times.get(service).into_iter().flatten().copied();
        ServiceTime::learned(recent, self.rules.default_service_time)
    }

    /// The average of the recent service times of a service, or the default without history.
    pub fn average_service_time(&self, service: &str) -> SignedDuration {
        match self.service_times.get(service) {
            Some(times) if !times.is_empty() => {
                let total: f64 = times.iter().map(|d| d.as_secs_f64()).sum();
                SignedDuration::from_secs_f64(total / times.len() as f64)
            }
            _ => self.rules.default_service_time,
        }
    }

    fn learn_service_time(&mut self, service: &str, time: SignedDuration) {
        // A visitor served in under 10 s was a mistake or a skip; don't learn from it.
        if time < SignedDuration::from_secs(MIN_SERVICE_SECONDS) {
            return;
        }
        let limit = self.rules.recent_services.max(1);
        let times = self.service_times.entry(service.to_owned()).or_default();
        times.push_back(time);
        while times.len() > limit {
            times.pop_front();
        }
    }

    fn desk_rule(&self, desk: &str) -> Result<&DeskRule, QueueError> {
        self.rules.desks.iter().find(|d| d.id == desk).ok_or_else(|| QueueError::UnknownDesk(desk.to_owned()))
    }

    fn open_desk(&self, desk: &str) -> Result<DeskRule, QueueError> {
        let rule = self.desk_rule(desk)?.clone();
        if self.is_paused(desk) {
            return Err(QueueError::DeskPaused(desk.to_owned()));
        }
        Ok(rule)
    }

    /// Keeps `ticket` as it is now, and the lines, the desks and the figures with it.
    fn put(&mut self, ticket: Ticket) {
        if let Some(old) = self.tickets.get(&ticket.id) {
            match &old.state {
                TicketState::Waiting => {
                    let place = (old.issued_at, old.id);
                    if let Some(mark) = &old.appointment {
                        self.booked.remove_mut(&(mark.starts_at, old.id));
                    }
                    if let Some(line) = self.lines.get_mut(&old.service) {
                        line.remove_mut(&place);
                    }
                }
                TicketState::Called { desk } => {
                    if self.at_desk.get(desk) == Some(&old.id) {
                        self.at_desk.remove(desk);
                    }
                }
                TicketState::Served { .. } => self.finished.entry(old.service_day).or_default().0 -= 1,
                TicketState::NoShow { .. } => self.finished.entry(old.service_day).or_default().1 -= 1,
                TicketState::Expired => {}
            }
        }
        match &ticket.state {
            TicketState::Waiting => {
                let place = (ticket.issued_at, ticket.id);
                if let Some(mark) = &ticket.appointment {
                    self.booked.insert_mut((mark.starts_at, ticket.id));
                }
                self.lines
                    .entry(ticket.service.clone())
                    .or_insert_with(RedBlackTreeSetSync::new_sync)
                    .insert_mut(place);
            }
            // A desk left with two called tickets (an old store) serves the older one first.
            TicketState::Called { desk } => {
                self.at_desk.entry(desk.clone()).or_insert(ticket.id);
            }
            TicketState::Served { .. } => self.finished.entry(ticket.service_day).or_default().0 += 1,
            TicketState::NoShow { .. } => self.finished.entry(ticket.service_day).or_default().1 += 1,
            TicketState::Expired => {}
        }
        if ticket.state.is_open() {
            self.tickets.insert_mut(ticket.id, ticket);
        } else {
            // Finished: only its code stays (in `codes`), and its call if it is recent.
            let id = ticket.id;
            self.tickets.remove_mut(&id);
            if self.call_of.contains_key(&id) {
                self.finished_calls += 1;
                self.trim_calls();
            }
        }
    }

    /// Adds a call (or a recall) as the newest; it replaces the ticket's earlier call.
    fn push_call(&mut self, call: Call) {
        self.drop_call(call.ticket);
        // A resumed queue also brings back the calls of tickets already finished.
        if !self.tickets.contains_key(&call.ticket) {
            self.finished_calls += 1;
        }
        let order = self.next_call;
        self.next_call += 1;
        self.call_of.insert_mut(call.ticket, order);
        self.calls.insert_mut(order, call);
        self.trim_calls();
        self.newest_taken_back = false;
    }

    /// Called only for a ticket still open (a transfer, or a call replaced by a recall).
    fn drop_call(&mut self, ticket: TicketId) {
        if let Some(order) = self.call_of.get(&ticket).copied() {
            self.calls.remove_mut(&order);
            self.call_of.remove_mut(&ticket);
        }
    }

    /// Forgets the oldest calls while [`RECENT_CALLS_KEPT`] newer calls of finished tickets
    /// remain. Only an open ticket's call can leave the list (a transfer) or move (a recall),
    /// and those newer calls of finished tickets stay for the rest of the day: so a forgotten
    /// call could never be among the [`RECENT_CALLS_KEPT`] most recent again.
    fn trim_calls(&mut self) {
        while let Some((&order, call)) = self.calls.first() {
            let finished = !self.tickets.contains_key(&call.ticket);
            if self.finished_calls.saturating_sub(usize::from(finished)) < RECENT_CALLS_KEPT {
                return;
            }
            let ticket = call.ticket;
            self.calls.remove_mut(&order);
            self.call_of.remove_mut(&ticket);
            self.finished_calls = self.finished_calls.saturating_sub(usize::from(finished));
        }
    }
}

/// The code of every ticket of the day, in id order, in 16 bytes a ticket: what a finished ticket
/// leaves in memory, so staff asking for it hear "E-017 is not waiting" rather than "unknown".
/// Chunks are shared by the queue's copies; adding a ticket copies only the last chunk.
#[derive(Debug, Clone, Default)]
struct Codes {
    /// The prefixes seen today ("E", "T"), each once.
    prefixes: Vec<Arc<str>>,
    /// (ticket, number, index in `prefixes`), in rising ticket order.
    chunks: Vec<Arc<Vec<(TicketId, u32, u32)>>>,
}

/// Tickets per chunk of [`Codes`]: 8 KiB.
const CODES_PER_CHUNK: usize = 512;

impl Codes {
    /// Adds a ticket; ids come in rising order (a new ticket's id is the highest yet, and a
    /// resumed queue adds its tickets by id). An id not above the last is already there.
    fn add(&mut self, id: TicketId, prefix: &str, number: u32) {
        if self.chunks.last().and_then(|c| c.last()).is_some_and(|(last, _, _)| *last >= id) {
            return;
        }
        let index = match self.prefixes.iter().position(|p| &**p == prefix) {
            Some(index) => index,
            None => {
                self.prefixes.push(prefix.into());
                self.prefixes.len() - 1
            }
        };
        if self.chunks.last().is_none_or(|c| c.len() >= CODES_PER_CHUNK) {
            self.chunks.push(Arc::new(Vec::with_capacity(CODES_PER_CHUNK)));
        }
        if let Some(chunk) = self.chunks.last_mut() {
            // Shared with an earlier copy of the queue: copy it, at its full size.
            if Arc::get_mut(chunk).is_none() {
                let mut copy = Vec::with_capacity(CODES_PER_CHUNK);
                copy.extend_from_slice(chunk);
                *chunk = Arc::new(copy);
            }
            if let Some(chunk) = Arc::get_mut(chunk) {
                chunk.push((id, number, index as u32));
            }
        }
    }

    /// The code of a ticket of the day.
    fn code(&self, id: TicketId) -> Option<String> {
        let after = self.chunks.partition_point(|c| c.first().is_some_and(|(first, _, _)| *first <= id));
        let chunk = self.chunks.get(after.checked_sub(1)?)?;
        let (_, number, prefix) = chunk[chunk.binary_search_by_key(&id, |(t, _, _)| *t).ok()?];
        Some(ticket_code(self.prefixes.get(prefix as usize)?, number))
    }
}

/// How many places in `line` come before `place`. It walks from both ends at once and stops
/// at the nearer one: a ticket just issued is at the back, so that costs next to nothing.
fn count_before(line: &RedBlackTreeSetSync<Place>, place: &Place) -> usize {
    let mut before = line.range(..*place);
    let mut after = line.range((Bound::Excluded(*place), Bound::Unbounded));
    let (mut counted_before, mut counted_after) = (0, 0);
    loop {
        if before.next().is_none() {
            return counted_before;
        }
        counted_before += 1;
        if after.next().is_none() {
            return line.size() - counted_after - usize::from(line.contains(place));
        }
        counted_after += 1;
    }
}

/// A visitor "served" in less than this many seconds was a mistake or a skip: the estimate
/// does not learn from it.
pub const MIN_SERVICE_SECONDS: i64 = 10;

impl fmt::Display for WaitEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{} min", self.low_minutes, self.high_minutes)
    }
}

/// Rules and times shared by the unit tests of the queue and the store.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// Three services; desk 1 serves e-mail and appointments, desk 2 tablets.
    pub fn rules() -> QueueRules {
        QueueRules {
            services: vec![
                ServiceRule { id: "email".into(), prefix: "E".into() },
                ServiceRule { id: "appointment".into(), prefix: "A".into() },
                ServiceRule { id: "tablet".into(), prefix: "T".into() },
            ],
            desks: vec![
                DeskRule { id: "desk-1".into(), services: vec!["email".into(), "appointment".into()] },
                DeskRule { id: "desk-2".into(), services: vec!["tablet".into()] },
            ],
            time_zone: TimeZone::get("Europe/Brussels").unwrap(),
            default_service_time: SignedDuration::from_mins(6),
            recent_services: 3,
        }
    }

    /// 29 November 2026 at the given local time in Brussels (UTC+1).
    pub fn at(hh: i8, mm: i8) -> Timestamp {
        jiff::civil::date(2026, 11, 29)
            .at(hh, mm, 0, 0)
            .to_zoned(TimeZone::get("Europe/Brussels").unwrap())
            .unwrap()
            .timestamp()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{at, rules};
    use super::*;

    fn issue(q: &mut Queue, service: &str, now: Timestamp) -> Ticket {
        q.issue(service, "nl", now).unwrap().0
    }

    fn checked_in(
        q: &mut Queue,
        service: &str,
        starts_at: Timestamp,
        desk: Option<&str>,
        now: Timestamp,
    ) -> Ticket {
        let mark = AppointmentMark { starts_at, desk: desk.map(str::to_owned) };
        q.issue_for_appointment(service, "nl", Some(mark), now).unwrap().0
    }

    fn called(events: &[Event]) -> TicketId {
        events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::TicketCalled { ticket, .. } => Some(ticket.id),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn a_checked_in_appointment_is_called_before_walk_ins_from_its_time_on() {
        let mut q = Queue::new(rules());
        let walk_in = issue(&mut q, "email", at(10, 0));
        let booked = checked_in(&mut q, "appointment", at(10, 30), Some("desk-1"), at(10, 20));
        assert_eq!(booked.appointment.as_ref().unwrap().starts_at, at(10, 30));
        assert_eq!(called(&q.call_next("desk-1", at(10, 30)).unwrap()), booked.id, "its time has come");
        assert_eq!(called(&q.call_next("desk-1", at(10, 40)).unwrap()), walk_in.id);
    }

    #[test]
    fn an_early_check_in_waits_for_its_time_while_walk_ins_are_served() {
        let mut q = Queue::new(rules());
        let booked = checked_in(&mut q, "appointment", at(10, 30), None, at(10, 5));
        let walk_in = issue(&mut q, "email", at(10, 10));
        assert_eq!(called(&q.call_next("desk-1", at(10, 15)).unwrap()), walk_in.id);
        assert_eq!(
            q.call_next("desk-1", at(10, 20)),
            Err(QueueError::NobodyWaiting("desk-1".into())),
            "the appointment is not called as a walk-in before its time"
        );
        assert_eq!(called(&q.call_next("desk-1", at(10, 30)).unwrap()), booked.id);
    }

    #[test]
    fn an_appointment_with_a_desk_is_called_by_that_desk_only() {
        let mut rules = rules();
        rules.desks.push(DeskRule { id: "desk-3".into(), services: vec!["email".into()] });
        let mut q = Queue::new(rules);
        let for_desk_1 = checked_in(&mut q, "email", at(10, 0), Some("desk-1"), at(9, 50));
        let walk_in = issue(&mut q, "email", at(9, 55));
        assert_eq!(
            called(&q.call_next("desk-3", at(10, 5)).unwrap()),
            walk_in.id,
            "desk-3 skips desk-1's visitor"
        );
        assert_eq!(
            q.call_next("desk-3", at(10, 6)).map(|_| ()),
            Err(QueueError::NobodyWaiting("desk-3".into()))
        );
        assert_eq!(called(&q.call_next("desk-1", at(10, 7)).unwrap()), for_desk_1.id);
    }

    #[test]
    fn an_appointment_without_a_desk_is_called_by_any_desk_of_its_service() {
        let mut rules = rules();
        rules.desks.push(DeskRule { id: "desk-3".into(), services: vec!["email".into()] });
        let mut q = Queue::new(rules);
        issue(&mut q, "email", at(9, 0));
        let booked = checked_in(&mut q, "email", at(10, 0), None, at(9, 50));
        assert_eq!(
            q.call_next("desk-2", at(10, 0)),
            Err(QueueError::NobodyWaiting("desk-2".into())),
            "desk-2 does not serve e-mail"
        );
        assert_eq!(called(&q.call_next("desk-3", at(10, 0)).unwrap()), booked.id);
    }

    #[test]
    fn appointments_due_together_are_called_by_their_time() {
        let mut q = Queue::new(rules());
        let later = checked_in(&mut q, "email", at(10, 30), None, at(10, 0));
        let earlier = checked_in(&mut q, "appointment", at(10, 15), None, at(10, 5));
        assert_eq!(called(&q.call_next("desk-1", at(10, 40)).unwrap()), earlier.id);
        assert_eq!(called(&q.call_next("desk-1", at(10, 41)).unwrap()), later.id);
        assert_eq!(q.waiting_appointments().count(), 0);
    }

    #[test]
    fn an_appointment_ticket_can_still_be_called_out_of_order_and_survives_a_restart() {
        let mut q = Queue::new(rules());
        let booked = checked_in(&mut q, "email", at(10, 30), Some("desk-1"), at(10, 0));
        let tickets: Vec<Ticket> = q.tickets().cloned().collect();
        let again = Queue::resume(
            rules(),
            Snapshot { tickets, last_ticket_id: Some(booked.id), ..Snapshot::default() },
        );
        assert_eq!(again.waiting_appointments().map(|t| t.id).collect::<Vec<_>>(), [booked.id]);
        let events = q.call_ticket("desk-1", booked.id, at(10, 1)).unwrap();
        assert_eq!(called(&events), booked.id);
    }

    #[test]
    fn without_a_mark_a_late_check_in_is_a_walk_in() {
        let mut q = Queue::new(rules());
        let walk_in = issue(&mut q, "email", at(10, 0));
        let (late, _) = q.issue_for_appointment("email", "nl", None, at(10, 50)).unwrap();
        assert!(late.appointment.is_none());
        assert_eq!(called(&q.call_next("desk-1", at(10, 51)).unwrap()), walk_in.id);
        assert_eq!(called(&q.call_next("desk-1", at(10, 52)).unwrap()), late.id);
    }

    #[test]
    fn numbers_are_per_prefix_and_codes_have_three_digits() {
        let mut q = Queue::new(rules());
        let e1 = issue(&mut q, "email", at(9, 0));
        let a1 = issue(&mut q, "appointment", at(9, 1));
        let e2 = issue(&mut q, "email", at(9, 2));
        assert_eq!((e1.code(), a1.code(), e2.code()), ("E-001".into(), "A-001".into(), "E-002".into()));
        assert_eq!(ticket_code("E", 1204), "E-1204");
        assert_ne!(e1.id, e2.id);
    }

    #[test]
    fn issuing_yields_an_event_with_the_ticket_and_its_language() {
        let mut q = Queue::new(rules());
        let (ticket, events) = q.issue("email", "ar", at(9, 0)).unwrap();
        assert_eq!(ticket.language, "ar");
        assert_eq!(events, vec![Event { at: at(9, 0), kind: EventKind::TicketIssued { ticket } }]);
    }

    #[test]
    fn unknown_service_is_refused() {
        let mut q = Queue::new(rules());
        assert_eq!(q.issue("fax", "nl", at(9, 0)), Err(QueueError::UnknownService("fax".into())));
    }

    #[test]
    fn numbering_restarts_at_local_midnight_and_open_tickets_expire() {
        let mut q = Queue::new(rules());
        let first = issue(&mut q, "email", at(23, 50));
        issue(&mut q, "email", at(23, 55));
        // 23:59:59 local is still the same day…
        let late = jiff::civil::date(2026, 11, 29)
            .at(23, 59, 59, 0)
            .to_zoned(rules().time_zone)
            .unwrap()
            .timestamp();
        assert_eq!(issue(&mut q, "email", late).number, 3);
        // …and 00:00 local (23:00 UTC) is the next.
        let midnight =
            jiff::civil::date(2026, 11, 30).at(0, 0, 0, 0).to_zoned(rules().time_zone).unwrap().timestamp();
        let (next_day, events) = q.issue("email", "nl", midnight).unwrap();
        assert_eq!(next_day.code(), "E-001");
        assert_eq!(next_day.service_day, jiff::civil::date(2026, 11, 30));
        assert!(next_day.id.0 > first.id.0, "ids keep growing across days");
        let expired: Vec<_> = events.iter().filter(|e| e.kind.name() == "ticket_expired").collect();
        assert_eq!(expired.len(), 3, "yesterday's waiting tickets expire and are reported");
        assert_eq!(q.waiting().count(), 1);
    }

    #[test]
    fn a_clock_stepped_back_past_midnight_keeps_the_day_and_its_numbers() {
        let mut q = Queue::new(rules());
        let after_midnight =
            jiff::civil::date(2026, 11, 30).at(0, 5, 0, 0).to_zoned(rules().time_zone).unwrap().timestamp();
        let first = issue(&mut q, "email", after_midnight);
        // NTP steps the clock back ten minutes, to the previous day.
        let before =
            jiff::civil::date(2026, 11, 29).at(23, 55, 0, 0).to_zoned(rules().time_zone).unwrap().timestamp();
        let second = issue(&mut q, "email", before);
        assert_eq!(second.service_day, first.service_day);
        assert_eq!(second.number, first.number + 1);
    }

    #[test]
    fn a_transferred_ticket_leaves_the_now_serving_list() {
        let mut q = Queue::new(rules());
        let t = issue(&mut q, "email", at(9, 0));
        q.call_next("desk-1", at(9, 1)).unwrap();
        assert_eq!(q.recent_calls(3).len(), 1);
        q.transfer(t.id, "tablet", at(9, 2)).unwrap();
        assert!(q.recent_calls(3).is_empty());
    }

    #[test]
    fn a_transfer_does_not_bring_back_a_served_ticket_as_now_serving() {
        let mut q = Queue::new(rules());
        issue(&mut q, "email", at(9, 0));
        let second = issue(&mut q, "email", at(9, 1));
        q.call_next("desk-1", at(9, 2)).unwrap();
        assert_eq!(q.now_serving().map(|c| c.code), Some("E-001".into()));
        q.served("desk-1", None, at(9, 8)).unwrap();
        assert_eq!(q.now_serving().map(|c| c.code), Some("E-001".into()), "the last call until the next");
        q.call_next("desk-1", at(9, 10)).unwrap();
        q.transfer_for_desk("desk-1", second.id, "tablet", at(9, 11)).unwrap();
        let codes: Vec<String> = q.recent_calls(3).into_iter().map(|c| c.code).collect();
        assert_eq!(codes, ["E-001"], "the served E-001 stays in the history");
        assert_eq!(q.now_serving(), None, "but it is not served now: E-002 was sent on");
        let third = issue(&mut q, "email", at(9, 12));
        q.call_ticket("desk-1", third.id, at(9, 13)).unwrap();
        assert_eq!(q.now_serving().map(|c| c.code), Some("E-003".into()), "the next call is");

        // A visitor still at a desk stays now serving when a newer call is taken back.
        let tablet = issue(&mut q, "tablet", at(9, 14));
        q.call_ticket("desk-2", tablet.id, at(9, 15)).unwrap();
        let fourth = issue(&mut q, "email", at(9, 16));
        q.served("desk-1", None, at(9, 16)).unwrap();
        q.call_ticket("desk-1", fourth.id, at(9, 17)).unwrap();
        q.transfer(fourth.id, "tablet", at(9, 18)).unwrap();
        assert_eq!(q.now_serving().map(|c| c.code), Some("T-001".into()));
    }

    #[test]
    fn resume_continues_numbering_and_ids() {
        let mut q = Queue::new(rules());
        let a = issue(&mut q, "email", at(9, 0));
        let b = issue(&mut q, "email", at(9, 1));
        let snapshot = Snapshot {
            tickets: vec![a.clone(), b.clone()],
            last_ticket_id: Some(b.id),
            ..Snapshot::default()
        };
        let mut again = Queue::resume(rules(), snapshot);
        let c = issue(&mut again, "email", at(9, 2));
        assert_eq!(c.number, 3);
        assert_eq!(c.id.0, b.id.0 + 1);
        assert_eq!(again.waiting().count(), 3);
    }

    #[test]
    fn resume_keeps_todays_calls_for_the_now_serving_list() {
        let mut q = Queue::new(rules());
        let mut all = TicketLog::default();
        all.hear(&q.issue("email", "nl", at(9, 0)).unwrap().1);
        all.hear(&q.issue("tablet", "nl", at(9, 1)).unwrap().1);
        all.hear(&q.call_next("desk-1", at(9, 2)).unwrap());
        all.hear(&q.served("desk-1", None, at(9, 12)).unwrap());
        all.hear(&q.call_next("desk-2", at(9, 13)).unwrap());
        // As the store gives it back: the served ticket too.
        let snapshot = Snapshot { tickets: all.tickets().cloned().collect(), ..Snapshot::default() };
        let again = Queue::resume(rules(), snapshot);
        let codes = |q: &Queue| q.recent_calls(3).into_iter().map(|c| (c.code, c.desk)).collect::<Vec<_>>();
        assert_eq!(codes(&again), codes(&q));
        assert_eq!(codes(&again).len(), 2, "the served visitor's call is still listed");
    }

    #[test]
    fn resume_uses_last_numbers_even_without_tickets() {
        let day = jiff::civil::date(2026, 11, 29);
        let snapshot = Snapshot {
            last_numbers: vec![(day, "E".into(), 41)],
            last_ticket_id: Some(TicketId(99)),
            ..Snapshot::default()
        };
        let mut q = Queue::resume(rules(), snapshot);
        let t = issue(&mut q, "email", at(10, 0));
        assert_eq!((t.number, t.id), (42, TicketId(100)));
    }

    #[test]
    fn a_desk_calls_the_oldest_ticket_of_its_own_services_across_services() {
        let mut q = Queue::new(rules());
        let tablet = issue(&mut q, "tablet", at(9, 0));
        let appointment = issue(&mut q, "appointment", at(9, 1));
        let email = issue(&mut q, "email", at(9, 2));
        let events = q.call_next("desk-1", at(9, 5)).unwrap();
        let EventKind::TicketCalled { ticket, desk } = &events[0].kind else { panic!("{events:?}") };
        assert_eq!((ticket.id, desk.as_str()), (appointment.id, "desk-1"), "tablet is not desk-1's");
        assert_eq!(ticket.called_at, Some(at(9, 5)));
        // Calling again serves the current visitor first, then calls the next.
        let events = q.call_next("desk-1", at(9, 15)).unwrap();
        let names: Vec<_> = events.iter().map(|e| e.kind.name()).collect();
        assert_eq!(names, ["ticket_served", "ticket_called"]);
        assert_eq!(q.current_ticket("desk-1").unwrap().id, email.id);
        assert_eq!(q.call_next("desk-1", at(9, 20)).unwrap_err(), QueueError::NobodyWaiting("desk-1".into()));
        assert_eq!(q.current_ticket("desk-1").map(|t| t.id), Some(email.id), "refused: nothing changed");
        assert_eq!(q.call_next("desk-2", at(9, 21)).unwrap()[0].kind.ticket().unwrap().id, tablet.id);
    }

    #[test]
    fn recall_no_show_and_served() {
        let mut q = Queue::new(rules());
        let t = issue(&mut q, "email", at(9, 0));
        assert_eq!(q.recall("desk-1", at(9, 1)), Err(QueueError::NoCurrentTicket("desk-1".into())));
        q.call_next("desk-1", at(9, 1)).unwrap();
        let events = q.recall("desk-1", at(9, 2)).unwrap();
        assert_eq!(events[0].kind.ticket().unwrap().recalls, 1);
        assert_eq!(q.recent_calls(5).len(), 1, "a recall shows once in the strip");
        assert_eq!(q.recent_calls(5)[0].at, at(9, 2), "…at the time of the recall");
        let events = q.no_show("desk-1", at(9, 4)).unwrap();
        assert_eq!(events[0].kind.ticket().unwrap().state, TicketState::NoShow { desk: "desk-1".into() });
        assert_eq!(events[0].kind.name(), "ticket_no_show");
        assert_eq!(q.ticket(t.id), None, "a finished ticket is in the store, no longer in the queue");
        assert_eq!(q.served("desk-1", None, at(9, 5)), Err(QueueError::NoCurrentTicket("desk-1".into())));

        let u = issue(&mut q, "email", at(9, 6));
        q.call_next("desk-1", at(9, 7)).unwrap();
        let events = q.served("desk-1", Some("helped"), at(9, 17)).unwrap();
        let served = events[0].kind.ticket().unwrap();
        assert_eq!(served.id, u.id);
        assert_eq!(
            served.state,
            TicketState::Served { desk: "desk-1".into(), outcome: Some("helped".into()) }
        );
        assert_eq!(served.finished_at, Some(at(9, 17)));
    }

    #[test]
    fn transfer_keeps_the_arrival_time_and_thus_the_place() {
        let mut q = Queue::new(rules());
        let early = issue(&mut q, "email", at(9, 0));
        let later = issue(&mut q, "tablet", at(9, 10));
        q.call_next("desk-1", at(9, 15)).unwrap();
        // Desk 1 finds the visitor actually needs a tablet.
        let events = q.transfer(early.id, "tablet", at(9, 16)).unwrap();
        let EventKind::TicketTransferred { ticket, from, to } = &events[0].kind else { panic!() };
        assert_eq!((from.as_str(), to.as_str()), ("email", "tablet"));
        assert_eq!(ticket.issued_at, at(9, 0));
        assert_eq!(ticket.code(), "E-001", "the printed code stays");
        assert_eq!(ticket.state, TicketState::Waiting);
        assert!(q.current_ticket("desk-1").is_none());
        let called = q.call_next("desk-2", at(9, 17)).unwrap();
        assert_eq!(called[0].kind.ticket().unwrap().id, early.id, "arrived before {later:?}");
        assert_eq!(
            q.transfer(early.id, "tablet", at(9, 18)),
            Err(QueueError::SameService { code: "E-001".into(), service: "tablet".into() })
        );
        assert_eq!(q.transfer(early.id, "fax", at(9, 18)), Err(QueueError::UnknownService("fax".into())));
    }

    #[test]
    fn a_desk_transfers_only_its_own_visitor_or_one_waiting_for_its_services() {
        let mut q = Queue::new(rules());
        let email = issue(&mut q, "email", at(9, 0));
        let tablet = issue(&mut q, "tablet", at(9, 1));
        let waiting_tablet = issue(&mut q, "tablet", at(9, 2));
        q.call_next("desk-2", at(9, 3)).unwrap();
        assert_eq!(
            q.transfer_for_desk("desk-1", tablet.id, "email", at(9, 4)),
            Err(QueueError::AtAnotherDesk { code: "T-001".into(), desk: "desk-2".into() })
        );
        assert_eq!(
            q.transfer_for_desk("desk-1", waiting_tablet.id, "email", at(9, 4)),
            Err(QueueError::NotServedByDesk { desk: "desk-1".into(), service: "tablet".into() })
        );
        assert!(q.transfer_for_desk("desk-2", tablet.id, "email", at(9, 5)).is_ok(), "its own visitor");
        assert!(
            q.transfer_for_desk("desk-1", email.id, "tablet", at(9, 6)).is_ok(),
            "waiting for its service"
        );
    }

    #[test]
    fn an_action_on_a_ticket_the_desk_no_longer_serves_is_refused() {
        let mut q = Queue::new(rules());
        let first = issue(&mut q, "email", at(9, 0));
        let second = issue(&mut q, "email", at(9, 1));
        q.call_next("desk-1", at(9, 2)).unwrap();
        assert_eq!(q.expect_current("desk-1", Some(first.id)), Ok(()));
        assert_eq!(q.expect_current("desk-1", None), Ok(()));
        // The desk's button served the first visitor and called the second meanwhile.
        q.call_next("desk-1", at(9, 3)).unwrap();
        assert_eq!(
            q.expect_current("desk-1", Some(first.id)),
            Err(QueueError::NoLongerCurrent { desk: "desk-1".into(), expected: first.id })
        );
        assert_eq!(q.expect_current("desk-1", Some(second.id)), Ok(()));
    }

    #[test]
    fn finished_tickets_cannot_be_transferred_or_called() {
        let mut q = Queue::new(rules());
        let t = issue(&mut q, "email", at(9, 0));
        q.call_next("desk-1", at(9, 1)).unwrap();
        q.served("desk-1", None, at(9, 5)).unwrap();
        assert_eq!(
            q.transfer(t.id, "tablet", at(9, 6)),
            Err(QueueError::NotWaiting { code: "E-001".into() })
        );
        assert_eq!(
            q.call_ticket("desk-1", t.id, at(9, 6)),
            Err(QueueError::NotWaiting { code: "E-001".into() })
        );
    }

    #[test]
    fn call_a_specific_ticket_out_of_order() {
        let mut q = Queue::new(rules());
        issue(&mut q, "email", at(9, 0));
        let second = issue(&mut q, "email", at(9, 1));
        let tablet = issue(&mut q, "tablet", at(9, 2));
        q.call_ticket("desk-1", second.id, at(9, 3)).unwrap();
        assert_eq!(q.current_ticket("desk-1").unwrap().id, second.id);
        assert_eq!(
            q.call_ticket("desk-1", tablet.id, at(9, 4)),
            Err(QueueError::NotServedByDesk { desk: "desk-1".into(), service: "tablet".into() })
        );
        assert_eq!(
            q.call_ticket("desk-1", TicketId(999), at(9, 4)),
            Err(QueueError::UnknownTicket(TicketId(999)))
        );
    }

    #[test]
    fn a_paused_desk_calls_nobody_and_counts_for_no_estimate() {
        let mut q = Queue::new(rules());
        let t = issue(&mut q, "tablet", at(9, 0));
        assert_eq!(q.pause("desk-2", at(9, 1)).unwrap()[0].kind.name(), "desk_paused");
        assert!(q.pause("desk-2", at(9, 1)).unwrap().is_empty(), "pausing twice changes nothing");
        assert_eq!(q.call_next("desk-2", at(9, 2)), Err(QueueError::DeskPaused("desk-2".into())));
        assert_eq!(q.position(t.id).unwrap().wait, None, "no open desk: the wait is unknown");
        assert_eq!(q.resume_desk("desk-2", at(9, 3)).unwrap()[0].kind.name(), "desk_resumed");
        assert!(q.call_next("desk-2", at(9, 4)).is_ok());
        assert_eq!(q.pause("desk-9", at(9, 5)), Err(QueueError::UnknownDesk("desk-9".into())));
    }

    #[test]
    fn position_counts_only_tickets_competing_for_the_same_desks() {
        let mut q = Queue::new(rules());
        issue(&mut q, "email", at(9, 0));
        issue(&mut q, "tablet", at(9, 1));
        issue(&mut q, "appointment", at(9, 2));
        let me = issue(&mut q, "email", at(9, 3));
        let pos = q.position(me.id).unwrap();
        assert_eq!(pos.people_ahead, 2, "email and appointment share desk-1; tablet does not");
        // Default 6 min per visitor, two ahead, one desk: 12 min → 9..18 → 5–20.
        assert_eq!(pos.wait, Some(WaitEstimate { low_minutes: 5, high_minutes: 20 }));
    }

    #[test]
    fn the_first_in_line_gets_a_short_range() {
        let mut q = Queue::new(rules());
        let me = issue(&mut q, "email", at(9, 0));
        let pos = q.position(me.id).unwrap();
        assert_eq!(
            pos,
            Position { people_ahead: 0, wait: Some(WaitEstimate { low_minutes: 0, high_minutes: 5 }) }
        );
    }

    #[test]
    fn the_estimate_learns_from_recent_service_times() {
        let mut q = Queue::new(rules());
        assert_eq!(q.average_service_time("email"), SignedDuration::from_mins(6));
        let after = |minutes: i64| at(10, 0).checked_add(SignedDuration::from_mins(minutes)).unwrap();
        for (start, minutes) in [(0, 20), (30, 20), (60, 20), (90, 2)] {
            issue(&mut q, "email", at(9, 0));
            q.call_next("desk-1", after(start)).unwrap();
            q.served("desk-1", None, after(start + minutes)).unwrap();
        }
        // Only the three most recent count: (20 + 20 + 2) / 3 = 14 min.
        assert_eq!(q.average_service_time("email"), SignedDuration::from_mins(14));
        assert_eq!(q.average_service_time("tablet"), SignedDuration::from_mins(6), "per service");
        // A mistaken call closed within seconds teaches nothing.
        issue(&mut q, "email", at(12, 0));
        q.call_next("desk-1", at(12, 1)).unwrap();
        q.served("desk-1", None, at(12, 1)).unwrap();
        assert_eq!(q.average_service_time("email"), SignedDuration::from_mins(14));
    }

    /// Rules where one desk serves e-mail and quick questions, and tablets are shared.
    fn mixed_rules() -> QueueRules {
        let mut rules = rules();
        rules.services.push(ServiceRule { id: "question".into(), prefix: "Q".into() });
        rules.desks = vec![
            DeskRule {
                id: "desk-1".into(),
                services: vec!["email".into(), "question".into(), "tablet".into()],
            },
            DeskRule { id: "desk-2".into(), services: vec!["tablet".into(), "appointment".into()] },
        ];
        rules
    }

    /// Serves three visitors of `service` at `desk`, `minutes` each, from `from` on: the queue
    /// learns that the service takes exactly that long. Returns when the desk is free again.
    fn teach(q: &mut Queue, desk: &str, service: &str, minutes: i64, from: Timestamp) -> Timestamp {
        let mut now = from;
        for _ in 0..3 {
            let t = issue(q, service, now);
            q.call_ticket(desk, t.id, now).unwrap();
            now = now.checked_add(SignedDuration::from_mins(minutes)).unwrap();
            q.served(desk, None, now).unwrap();
        }
        now
    }

    #[test]
    fn one_quick_visit_does_not_make_the_long_ones_ahead_look_short() {
        let mut q = Queue::new(mixed_rules());
        let now = teach(&mut q, "desk-1", "email", 12, at(9, 0));
        let now = teach(&mut q, "desk-1", "question", 2, now);
        for _ in 0..3 {
            issue(&mut q, "email", now);
        }
        let me = issue(&mut q, "question", now);
        // Three e-mail visits of 12 minutes are ahead: about 36 minutes, not 3 × 2.
        let pos = q.position_at(me.id, now, &[]).unwrap();
        assert_eq!(
            pos,
            Position { people_ahead: 3, wait: Some(WaitEstimate { low_minutes: 35, high_minutes: 40 }) }
        );
        assert_eq!(q.position(me.id).unwrap(), pos, "as of the ticket's issue");
    }

    #[test]
    fn two_services_on_one_desk_each_at_its_own_time() {
        let mut q = Queue::new(mixed_rules());
        let now = teach(&mut q, "desk-1", "email", 12, at(9, 0));
        let now = teach(&mut q, "desk-1", "tablet", 6, now);
        issue(&mut q, "tablet", now);
        issue(&mut q, "email", now);
        let me = issue(&mut q, "email", now);
        // Both desks are free; desk-1, first in the config, takes the tablet (6 min) and then the
        // e-mail (12 min), while desk-2 has nothing else it serves: called at 18, not 2 × 12.
        let pos = q.position_at(me.id, now, &[]).unwrap();
        assert_eq!(pos.people_ahead, 2, "the tablet ticket shares desk-1");
        assert_eq!(pos.wait, Some(WaitEstimate { low_minutes: 15, high_minutes: 20 }));
    }

    #[test]
    fn a_desk_that_closes_hands_its_share_to_the_others() {
        let mut q = Queue::new(mixed_rules());
        let now = teach(&mut q, "desk-1", "email", 12, at(9, 0));
        let now = teach(&mut q, "desk-1", "tablet", 6, now);
        issue(&mut q, "tablet", now);
        issue(&mut q, "tablet", now);
        let me = issue(&mut q, "email", now);
        // Both desks take a tablet (6 min); desk-1 then calls this ticket.
        let open = q.position_at(me.id, now, &[]).unwrap().wait;
        assert_eq!(open, Some(WaitEstimate { low_minutes: 5, high_minutes: 10 }));
        // desk-2 closes: desk-1 serves both tablets first.
        q.pause("desk-2", now).unwrap();
        let closed = q.position_at(me.id, now, &[]).unwrap().wait;
        assert_eq!(closed, Some(WaitEstimate { low_minutes: 10, high_minutes: 15 }));
        // desk-1 closes too: nobody calls e-mail tickets, so no estimate.
        q.pause("desk-1", now).unwrap();
        assert_eq!(q.position_at(me.id, now, &[]).unwrap().wait, None);
    }

    #[test]
    fn appointments_due_take_their_desk_and_go_before_you() {
        let mut q = Queue::new(mixed_rules());
        let now = teach(&mut q, "desk-1", "email", 12, at(9, 0));
        let now = teach(&mut q, "desk-2", "appointment", 20, now);
        issue(&mut q, "email", now);
        let me = issue(&mut q, "email", now);
        let in_minutes = |m: i64| now.checked_add(SignedDuration::from_mins(m)).unwrap();
        let due = |desk: &str, m: i64| DueAppointment {
            at: in_minutes(m),
            service: "appointment".into(),
            desk: Some(desk.into()),
            minutes: 20,
        };
        assert_eq!(
            q.position_at(me.id, now, &[]).unwrap().wait,
            Some(WaitEstimate { low_minutes: 10, high_minutes: 15 })
        );
        // An appointment at desk-1 in 5 minutes: it goes after the e-mail ahead (12) and before
        // this ticket, which is called at 32.
        let pos = q.position_at(me.id, now, &[due("desk-1", 5)]).unwrap();
        assert_eq!(
            pos,
            Position { people_ahead: 2, wait: Some(WaitEstimate { low_minutes: 30, high_minutes: 35 }) }
        );
        // One at desk-2, which does not serve e-mail, changes nothing for this ticket.
        let pos = q.position_at(me.id, now, &[due("desk-2", 5)]).unwrap();
        assert_eq!(
            pos,
            Position { people_ahead: 1, wait: Some(WaitEstimate { low_minutes: 10, high_minutes: 15 }) }
        );
        // One after this ticket is called does not go first.
        let pos = q.position_at(me.id, now, &[due("desk-1", 13)]).unwrap();
        assert_eq!(pos.people_ahead, 1);
    }

    #[test]
    fn the_visitor_at_the_desk_is_counted_from_when_they_were_called() {
        let mut q = Queue::new(mixed_rules());
        let now = teach(&mut q, "desk-1", "email", 12, at(9, 0));
        let at_desk = issue(&mut q, "email", now);
        q.call_ticket("desk-1", at_desk.id, now).unwrap();
        let me = issue(&mut q, "email", now);
        let later = |m: i64| now.checked_add(SignedDuration::from_mins(m)).unwrap();
        assert_eq!(
            q.position_at(me.id, later(0), &[]).unwrap().wait,
            Some(WaitEstimate { low_minutes: 10, high_minutes: 15 })
        );
        // Nine minutes in, three are left.
        assert_eq!(
            q.position_at(me.id, later(9), &[]).unwrap().wait,
            Some(WaitEstimate { low_minutes: 0, high_minutes: 5 })
        );
    }

    #[test]
    fn recent_calls_newest_first() {
        let mut q = Queue::new(rules());
        issue(&mut q, "email", at(9, 0));
        issue(&mut q, "tablet", at(9, 0));
        issue(&mut q, "email", at(9, 0));
        q.call_next("desk-1", at(9, 1)).unwrap();
        q.call_next("desk-2", at(9, 2)).unwrap();
        q.call_next("desk-1", at(9, 3)).unwrap();
        let calls: Vec<_> = q.recent_calls(2).into_iter().map(|c| (c.code, c.desk)).collect();
        assert_eq!(calls, [("E-002".to_string(), "desk-1".to_string()), ("T-001".into(), "desk-2".into())]);
    }

    #[test]
    fn events_serialise_with_their_type() {
        let mut q = Queue::new(rules());
        let (_, events) = q.issue("email", "ar", at(9, 0)).unwrap();
        let json = serde_json::to_value(&events[0]).unwrap();
        assert_eq!(json["type"], "ticket_issued");
        assert_eq!(json["ticket"]["language"], "ar");
        assert_eq!(json["ticket"]["state"]["state"], "waiting");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, events[0]);
    }

    /// A small seeded generator (xorshift64*), so a failing sequence can be replayed.
    struct Dice(u64);

    impl Dice {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
        }
    }

    /// The old calls list: every call and recall in order, a transfer removing its ticket's,
    /// a new day clearing it; "recent" is the newest per ticket, newest first.
    #[derive(Default)]
    struct CallLog(Vec<Call>);

    impl CallLog {
        fn hear(&mut self, events: &[Event]) {
            for event in events {
                match &event.kind {
                    EventKind::TicketCalled { ticket, desk } | EventKind::TicketRecalled { ticket, desk } => {
                        self.0.push(Call::of(ticket, desk, event.at))
                    }
                    EventKind::TicketTransferred { ticket, .. } => self.0.retain(|c| c.ticket != ticket.id),
                    _ => {}
                }
            }
        }

        fn recent(&self, count: usize) -> Vec<Call> {
            let mut out: Vec<Call> = Vec::new();
            for call in self.0.iter().rev() {
                if out.len() < count && !out.iter().any(|c| c.ticket == call.ticket) {
                    out.push(call.clone());
                }
            }
            out
        }
    }

    /// Every ticket of the day as the events tell it (each event carries its ticket after the
    /// change), as the store keeps them: the queue itself keeps only the open ones.
    #[derive(Default)]
    struct TicketLog(BTreeMap<TicketId, Ticket>);

    impl TicketLog {
        fn hear(&mut self, events: &[Event]) {
            for ticket in events.iter().filter_map(|e| e.kind.ticket()) {
                self.0.insert(ticket.id, ticket.clone());
            }
        }

        fn tickets(&self) -> impl Iterator<Item = &Ticket> {
            self.0.values()
        }
    }

    /// What the queue shows, worked out the simple way from all the day's tickets, as the
    /// queue did before it kept lines per service.
    fn by_the_old_definition(q: &Queue, all: &TicketLog, now: Timestamp) -> String {
        let rules = q.rules();
        let mut waiting: Vec<&Ticket> = all.tickets().filter(|t| t.state == TicketState::Waiting).collect();
        waiting.sort_by_key(|t| (t.issued_at, t.id));
        let current = |desk: &str| {
            all.tickets()
                .find(|t| matches!(&t.state, TicketState::Called { desk: d } if d == desk))
                .map(|t| t.id)
        };
        let positions: Vec<(TicketId, u32, usize, usize)> = waiting
            .iter()
            .map(|me| {
                let desks: Vec<&DeskRule> =
                    rules.desks.iter().filter(|d| d.services.contains(&me.service)).collect();
                let ahead = waiting
                    .iter()
                    .take_while(|t| t.id != me.id)
                    .filter(|t| desks.iter().any(|d| d.services.contains(&t.service)))
                    .count() as u32;
                let open = desks.iter().filter(|d| !q.is_paused(&d.id)).count();
                let busy = desks.iter().filter(|d| current(&d.id).is_some()).count();
                (me.id, ahead, open, busy)
            })
            .collect();
        let today = q.service_day(now);
        let count = |served: bool| {
            all.tickets()
                .filter(|t| t.service_day == today)
                .filter(|t| match t.state {
                    TicketState::Served { .. } => served,
                    TicketState::NoShow { .. } => !served,
                    _ => false,
                })
                .count()
        };
        let per_service: Vec<usize> =
            rules.services.iter().map(|s| waiting.iter().filter(|t| t.service == s.id).count()).collect();
        let desks: Vec<Option<TicketId>> = rules.desks.iter().map(|d| current(&d.id)).collect();
        let open = all.tickets().any(|t| t.state.is_open());
        format!(
            "waiting {:?}\npositions {positions:?}\nper service {per_service:?}\ndesks {desks:?}\n\
             served {} no-shows {}\nopen {open}",
            waiting.iter().map(|t| t.id).collect::<Vec<_>>(),
            count(true),
            count(false)
        )
    }

    /// The same, read from the queue's own lines, desks and counters.
    fn as_the_queue_keeps_it(q: &Queue, now: Timestamp) -> String {
        let rules = q.rules();
        let waiting: Vec<TicketId> = q.waiting().map(|t| t.id).collect();
        let positions: Vec<(TicketId, u32, usize, usize)> = waiting
            .iter()
            .map(|id| {
                let me = q.ticket(*id).unwrap();
                let desks: Vec<&DeskRule> =
                    rules.desks.iter().filter(|d| d.services.contains(&me.service)).collect();
                let open = desks.iter().filter(|d| !q.is_paused(&d.id)).count();
                let busy = desks.iter().filter(|d| q.current_ticket(&d.id).is_some()).count();
                (*id, q.position(*id).unwrap().people_ahead, open, busy)
            })
            .collect();
        let (served, no_shows) = q.finished_on(q.service_day(now));
        let per_service: Vec<usize> = rules.services.iter().map(|s| q.waiting_for(&s.id)).collect();
        let desks: Vec<Option<TicketId>> =
            rules.desks.iter().map(|d| q.current_ticket(&d.id).map(|t| t.id)).collect();
        format!(
            "waiting {waiting:?}\npositions {positions:?}\nper service {per_service:?}\ndesks {desks:?}\n\
             served {served} no-shows {no_shows}\nopen {}",
            q.has_open_tickets()
        )
    }

    /// A long day: the queue keeps the open tickets, the codes and the recent calls, not every
    /// ticket of the day.
    #[test]
    fn a_busy_day_keeps_only_its_open_tickets_and_recent_calls() {
        let mut q = Queue::new(rules());
        let first = issue(&mut q, "email", at(8, 0));
        for _ in 1..2000 {
            issue(&mut q, "email", at(8, 0));
        }
        let mut codes = Vec::new();
        for _ in 0..1990 {
            let events = q.call_next("desk-1", at(9, 0)).unwrap();
            codes.push(events.last().unwrap().kind.ticket().unwrap().code());
        }
        q.served("desk-1", None, at(9, 30)).unwrap();
        assert_eq!(q.tickets().count(), 10, "the 10 still waiting");
        assert_eq!(q.finished_on(q.service_day(at(9, 0))), (1990, 0));
        assert!(q.calls.size() <= RECENT_CALLS_KEPT + 1, "{} calls kept", q.calls.size());
        let recent: Vec<String> = q.recent_calls(8).into_iter().map(|c| c.code).collect();
        let newest: Vec<String> = codes.iter().rev().take(8).cloned().collect();
        assert_eq!(recent, newest);
        // A finished ticket is still known by its code.
        let not_waiting = Err(QueueError::NotWaiting { code: "E-001".into() });
        assert_eq!(q.call_ticket("desk-1", first.id, at(9, 31)), not_waiting.clone());
        assert_eq!(q.transfer(first.id, "tablet", at(9, 31)), not_waiting.clone());
        assert_eq!(q.transfer_for_desk("desk-1", first.id, "tablet", at(9, 31)), not_waiting);
        assert_eq!(q.position(first.id), Err(QueueError::NotWaiting { code: "E-001".into() }));
        assert_eq!(q.ticket(first.id), None);
        assert_eq!(q.position(TicketId(5000)), Err(QueueError::UnknownTicket(TicketId(5000))));
        let e1990 = q.ticket(TicketId(first.id.0 + 1990)).unwrap();
        assert_eq!(q.position(e1990.id).unwrap().people_ahead, 0);
    }

    /// Calls are forgotten once enough newer calls of finished tickets exist: with transfers,
    /// recalls and no-shows all day, the recent calls are still those of the whole day's log.
    #[test]
    fn forgotten_calls_never_hide_a_recent_one() {
        for seed in 1..=20u64 {
            let mut dice = Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let mut q = Queue::new(rules());
            let mut log = CallLog::default();
            let mut now = at(8, 0);
            for step in 0..1500 {
                now = now.checked_add(SignedDuration::from_secs(dice.below(20) as i64)).unwrap();
                let desk = ["desk-1", "desk-2"][dice.below(2)];
                let service = ["email", "appointment", "tablet"][dice.below(3)];
                let some_ticket = TicketId(1 + dice.below(q.last_ticket_id.max(1) as usize) as i64);
                let result = match dice.below(10) {
                    0..=2 => q.issue(service, "nl", now).map(|(_, events)| events),
                    3 | 4 => q.call_next(desk, now),
                    5 => q.recall(desk, now),
                    6 | 7 => q.served(desk, None, now),
                    8 => q.no_show(desk, now),
                    _ => q.transfer(some_ticket, service, now),
                };
                if let Ok(events) = result {
                    log.hear(&events);
                }
                for count in [3, RECENT_CALLS_KEPT] {
                    assert_eq!(q.recent_calls(count), log.recent(count), "seed {seed}, step {step}");
                }
                assert!(q.calls.size() <= RECENT_CALLS_KEPT + 2, "seed {seed}, step {step}");
            }
        }
    }

    /// Random days of issuing, calling, recalling, serving, no-shows, transfers, pauses, clock
    /// steps and midnights: the lines, positions, desks, figures and calls the queue keeps must
    /// always be what the simple definitions over all tickets give; a copy taken earlier must
    /// not change; a queue resumed from the tickets must have the same lines.
    #[test]
    fn the_kept_lines_agree_with_the_simple_definitions_on_random_days() {
        let services = ["email", "appointment", "tablet", "fax"];
        let desks = ["desk-1", "desk-2", "desk-9"];
        for seed in 1..=40u64 {
            let mut dice = Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let mut q = Queue::new(rules());
            let mut log = CallLog::default();
            let mut all = TicketLog::default();
            let mut now = at(8, 0);
            let mut day = q.service_day(now);
            let mut earlier: Option<(Queue, String, Timestamp)> = None;
            for step in 0..400 {
                let minutes = match dice.below(50) {
                    0 => 24 * 60,
                    1 => -10,
                    _ => dice.below(3) as i64,
                };
                now = now.checked_add(SignedDuration::from_mins(minutes)).unwrap();
                if q.service_day(now) > day {
                    day = q.service_day(now);
                    log = CallLog::default();
                    all = TicketLog::default();
                }
                let expired = q.roll_over(now);
                log.hear(&expired);
                all.hear(&expired);
                let before = as_the_queue_keeps_it(&q, now);
                let desk = desks[dice.below(desks.len())];
                let some_ticket = TicketId(1 + dice.below(q.last_ticket_id.max(1) as usize + 2) as i64);
                let service = services[dice.below(services.len())];
                let result = match dice.below(12) {
                    0..=3 => q.issue(service, "nl", now).map(|(_, events)| events),
                    4 | 5 => q.call_next(desk, now),
                    6 => q.call_ticket(desk, some_ticket, now),
                    7 => q.recall(desk, now),
                    8 => q.served(desk, None, now),
                    9 => q.no_show(desk, now),
                    10 if dice.below(2) == 0 => q.transfer(some_ticket, service, now),
                    10 => q.transfer_for_desk(desk, some_ticket, service, now),
                    _ if dice.below(2) == 0 => q.pause(desk, now),
                    _ => q.resume_desk(desk, now),
                };
                match result {
                    Ok(events) => {
                        log.hear(&events);
                        all.hear(&events);
                    }
                    Err(_) => {
                        assert_eq!(as_the_queue_keeps_it(&q, now), before, "a refused action changed nothing")
                    }
                }
                let kept = as_the_queue_keeps_it(&q, now);
                assert_eq!(kept, by_the_old_definition(&q, &all, now), "seed {seed}, step {step}");
                for count in [1, 3, 6] {
                    assert_eq!(q.recent_calls(count), log.recent(count), "seed {seed}, step {step}");
                }
                if let Some((copy, seen, then)) = &earlier {
                    assert_eq!(
                        &as_the_queue_keeps_it(copy, *then),
                        seen,
                        "a copy is not changed by later actions"
                    );
                }
                if step % 50 == 0 {
                    earlier = Some((q.clone(), kept.clone(), now));
                    // What the store gives back: the day's tickets, open and finished.
                    let snapshot = Snapshot {
                        tickets: all.tickets().cloned().collect(),
                        paused_desks: desks
                            .iter()
                            .filter(|d| q.is_paused(d))
                            .map(|d| d.to_string())
                            .collect(),
                        last_ticket_id: Some(TicketId(q.last_ticket_id)),
                        ..Snapshot::default()
                    };
                    let again = Queue::resume(rules(), snapshot);
                    assert_eq!(as_the_queue_keeps_it(&again, now), kept, "resumed: seed {seed}, step {step}");
                }
            }
        }
    }
}
