//! The queue's rows: tickets, desks (paused or not) and the numbers given per day and prefix.
//!
//! [`Store::record`] writes what an action changed and its events (into the outbox) in one
//! transaction, so a change is kept whole or not at all; [`Store::snapshot`] gives back what the
//! queue needs to resume after a restart or a crash. Past days' tickets stay for the figures
//! until the nightly tidy-up.
//!
//! It must not decide anything about the queue: the rules live in `crate::queue`.

use jiff::SignedDuration;
use rusqlite::{OptionalExtension, Transaction, params};

use super::outbox::OutboxWriter;
use super::{Store, StoreError, parse_date, parse_time};
use crate::queue::{
    AppointmentMark, Event, EventKind, MIN_SERVICE_SECONDS, Snapshot, Ticket, TicketId, TicketState,
};

impl Store {
    /// Writes the tickets and desks an action changed, and its events into the outbox, in one
    /// transaction. Returns once the commit is durable.
    pub fn record(&mut self, events: &[Event]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let result = self.write_events(events);
        self.wrote(result)
    }

    fn write_events(&mut self, events: &[Event]) -> Result<(), StoreError> {
        let mut outbox = OutboxWriter::new(&self.origin, self.outbox_max);
        let tx = self.conn.transaction()?;
        for event in events {
            write_event(&tx, &mut outbox, event)?;
        }
        tx.commit()?;
        let dropped = outbox.dropped;
        self.log_dropped(dropped);
        Ok(())
    }

    /// What the queue needs to resume: open tickets, the newest day's tickets, numbers given,
    /// paused desks and up to `recent_services` recent service times per service.
    pub fn snapshot(&self, recent_services: usize) -> Result<Snapshot, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, service_day, prefix, number, issued_service, service, language, issued_at,
                    state, desk, outcome, called_at, finished_at, recalls, screening_code,
                    appointment_starts_at, appointment_desk
               FROM ticket
              WHERE state IN ('waiting', 'called')
                 OR service_day = (SELECT MAX(service_day) FROM ticket)
              ORDER BY id",
        )?;
        let tickets = stmt.query_map([], read_ticket)?.collect::<Result<Result<Vec<_>, _>, _>>()??;

        let mut stmt = self.conn.prepare(
            "SELECT service_day, prefix, last_number FROM day_counter
              WHERE service_day = (SELECT MAX(service_day) FROM day_counter)",
        )?;
        let last_numbers = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, u32>(2)?)))?
            .map(|row| {
                let (day, prefix, number) = row?;
                Ok((parse_date(&day)?, prefix, number))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        let mut stmt = self.conn.prepare("SELECT desk FROM desk_state WHERE paused = 1 ORDER BY desk")?;
        let paused_desks = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;

        let last_ticket_id: Option<i64> =
            self.conn.query_row("SELECT MAX(id) FROM ticket", [], |r| r.get(0))?;

        let mut stmt = self.conn.prepare(
            "SELECT service, called_at, finished_at FROM (
                SELECT service, called_at, finished_at,
                       ROW_NUMBER() OVER (PARTITION BY service ORDER BY finished_at DESC) AS n
                  FROM ticket WHERE state = 'served' AND called_at IS NOT NULL
                   AND (julianday(finished_at) - julianday(called_at)) * 86400.0 >= ?2)
              WHERE n <= ?1 ORDER BY finished_at",
        )?;
        let service_times = stmt
            .query_map(params![recent_services as i64, MIN_SERVICE_SECONDS], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })?
            .map(|row| {
                let (service, called, finished) = row?;
                let time: SignedDuration = parse_time(&finished)?.duration_since(parse_time(&called)?);
                Ok((service, time))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        Ok(Snapshot {
            tickets,
            paused_desks,
            last_ticket_id: last_ticket_id.map(TicketId),
            service_times,
            last_numbers,
        })
    }

    /// One ticket by id, from any day.
    pub fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT id, service_day, prefix, number, issued_service, service, language, issued_at,
                        state, desk, outcome, called_at, finished_at, recalls, screening_code,
                        appointment_starts_at, appointment_desk
                   FROM ticket WHERE id = ?1",
                [id.0],
                read_ticket,
            )
            .optional()?;
        row.transpose()
    }

    /// How many tickets the store holds, over all days.
    pub fn ticket_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM ticket", [], |r| r.get::<_, i64>(0))? as u64)
    }
}

pub(super) fn write_event(
    tx: &Transaction<'_>,
    outbox: &mut OutboxWriter<'_>,
    event: &Event,
) -> Result<(), StoreError> {
    if let Some(ticket) = event.kind.ticket() {
        write_ticket(tx, ticket, matches!(event.kind, EventKind::TicketIssued { .. }))?;
    }
    match &event.kind {
        EventKind::DeskPaused { desk } | EventKind::DeskResumed { desk } => {
            let paused = matches!(event.kind, EventKind::DeskPaused { .. });
            tx.execute(
                "INSERT INTO desk_state (desk, paused) VALUES (?1, ?2)
                 ON CONFLICT (desk) DO UPDATE SET paused = excluded.paused",
                params![desk, paused],
            )?;
        }
        EventKind::TicketIssued { ticket } => {
            tx.execute(
                "INSERT INTO day_counter (service_day, prefix, last_number) VALUES (?1, ?2, ?3)
                 ON CONFLICT (service_day, prefix) DO UPDATE SET last_number = MAX(last_number, excluded.last_number)",
                params![ticket.service_day.to_string(), ticket.prefix, ticket.number],
            )?;
        }
        _ => {}
    }
    let damaged = |e: serde_json::Error| StoreError::Damaged(e.to_string());
    let mut body = serde_json::to_string(event).map_err(damaged)?;
    // A checked-in appointment's call and service are its ticket's events, naming the appointment.
    if let Some(ticket) = event.kind.ticket().filter(|t| t.appointment.is_some())
        && let Some(uid) = super::appointments::appointment_uid_of(tx, ticket.id)?
    {
        let mut value = serde_json::to_value(event).map_err(damaged)?;
        value["appointment_uid"] = serde_json::Value::String(uid);
        body = value.to_string();
    }
    outbox.add(tx, &uuid::Uuid::new_v4().to_string(), event.kind.name(), event.at, &body)
}

/// Inserts a new ticket (`TicketIssued`) or updates a stored one (every other ticket event).
/// Issuing a ticket that exists, or changing one that does not, fails the whole transaction.
fn write_ticket(tx: &Transaction<'_>, t: &Ticket, new: bool) -> Result<(), StoreError> {
    let outcome = match &t.state {
        TicketState::Served { outcome, .. } => outcome.clone(),
        _ => None,
    };
    if new {
        tx.execute(
            "INSERT INTO ticket (id, service_day, prefix, number, issued_service, service, language,
                                 issued_at, state, desk, outcome, called_at, finished_at, recalls,
                                 screening_code, appointment_starts_at, appointment_desk)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            params![
                t.id.0,
                t.service_day.to_string(),
                t.prefix,
                t.number,
                t.issued_service,
                t.service,
                t.language,
                t.issued_at.to_string(),
                t.state.name(),
                t.desk(),
                outcome,
                t.called_at.map(|x| x.to_string()),
                t.finished_at.map(|x| x.to_string()),
                t.recalls,
                t.screening_code,
                t.appointment.as_ref().map(|m| m.starts_at.to_string()),
                t.appointment.as_ref().and_then(|m| m.desk.clone()),
            ],
        )?;
        return Ok(());
    }
    let changed = tx.execute(
        "UPDATE ticket SET service = ?2, state = ?3, desk = ?4, outcome = ?5, called_at = ?6,
                           finished_at = ?7, recalls = ?8
          WHERE id = ?1",
        params![
            t.id.0,
            t.service,
            t.state.name(),
            t.desk(),
            outcome,
            t.called_at.map(|x| x.to_string()),
            t.finished_at.map(|x| x.to_string()),
            t.recalls,
        ],
    )?;
    if changed != 1 {
        return Err(StoreError::Damaged(format!("ticket {} ({}) is not in the store", t.id.0, t.code())));
    }
    Ok(())
}

type Row = Result<Ticket, StoreError>;

fn read_ticket(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let id: i64 = r.get(0)?;
    let day: String = r.get(1)?;
    let issued_at: String = r.get(7)?;
    let state: String = r.get(8)?;
    let desk: Option<String> = r.get(9)?;
    let outcome: Option<String> = r.get(10)?;
    let called_at: Option<String> = r.get(11)?;
    let finished_at: Option<String> = r.get(12)?;
    let (prefix, number, issued_service, service, language, recalls, screening_code) =
        (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(13)?, r.get(14)?);
    let appointment_starts_at: Option<String> = r.get(15)?;
    let appointment_desk: Option<String> = r.get(16)?;
    Ok((|| {
        let need_desk = || {
            desk.clone().ok_or_else(|| StoreError::Damaged(format!("ticket {id} is {state} without a desk")))
        };
        let state = match state.as_str() {
            "waiting" => TicketState::Waiting,
            "called" => TicketState::Called { desk: need_desk()? },
            "served" => TicketState::Served { desk: need_desk()?, outcome },
            "no_show" => TicketState::NoShow { desk: need_desk()? },
            "expired" => TicketState::Expired,
            other => return Err(StoreError::Damaged(format!("ticket {id} has unknown state {other:?}"))),
        };
        Ok(Ticket {
            id: TicketId(id),
            service_day: parse_date(&day)?,
            prefix,
            number,
            issued_service,
            service,
            language,
            issued_at: parse_time(&issued_at)?,
            state,
            called_at: called_at.as_deref().map(parse_time).transpose()?,
            finished_at: finished_at.as_deref().map(parse_time).transpose()?,
            recalls,
            screening_code,
            appointment: appointment_starts_at
                .as_deref()
                .map(parse_time)
                .transpose()?
                .map(|starts_at| AppointmentMark { starts_at, desk: appointment_desk }),
        })
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::Queue;
    use crate::queue::fixtures::{at, rules};

    #[test]
    fn reopening_gives_back_the_same_queue() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        let mut store = Store::open(&path).unwrap();
        let mut q = Queue::new(rules());
        let mut record = |events: Vec<Event>| store.record(&events).unwrap();
        record(q.issue("email", "ar", at(9, 0)).unwrap().1);
        record(q.issue("tablet", "nl", at(9, 1)).unwrap().1);
        record(q.issue("email", "fr", at(9, 2)).unwrap().1);
        record(q.call_next("desk-1", at(9, 3)).unwrap());
        record(q.pause("desk-2", at(9, 4)).unwrap());
        drop(store);

        let store = Store::open(&path).unwrap();
        let again = Queue::resume(rules(), store.snapshot(5).unwrap());
        let mine: Vec<_> = q.tickets().cloned().collect();
        let theirs: Vec<_> = again.tickets().cloned().collect();
        assert_eq!(mine, theirs);
        assert!(again.is_paused("desk-2"));
        assert_eq!(again.current_ticket("desk-1").unwrap().code(), "E-001");
        assert_eq!(again.recent_calls(3).len(), 1);
        assert_eq!(store.outbox_backlog().unwrap(), 5);
    }

    #[test]
    fn a_screening_code_on_a_ticket_is_kept_but_not_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        let mut store = Store::open(&path).unwrap();
        let mut q = Queue::new(rules());
        let (with_code, events) = q.issue_with_code("email", "ti", Some("K7M-4PX"), at(9, 0)).unwrap();
        store.record(&events).unwrap();
        let (without, events) = q.issue("email", "nl", at(9, 1)).unwrap();
        store.record(&events).unwrap();
        drop(store);

        let store = Store::open(&path).unwrap();
        assert_eq!(store.ticket(with_code.id).unwrap().unwrap().screening_code.as_deref(), Some("K7M-4PX"));
        assert_eq!(store.ticket(without.id).unwrap().unwrap().screening_code, None);
        let again = Queue::resume(rules(), store.snapshot(5).unwrap());
        assert_eq!(again.tickets().find(|t| t.id == with_code.id), Some(&with_code), "kept over a restart");
        let body: String = store
            .conn
            .query_row("SELECT body FROM outbox WHERE type = 'ticket_issued' ORDER BY seq LIMIT 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(body.contains(r#""language":"ti""#), "the first ticket's event: {body}");
        assert!(!body.contains("K7M-4PX"), "the code stays on the kiosk: {body}");
    }

    #[test]
    fn numbers_continue_after_restart_and_never_repeat() {
        let mut store = Store::open_in_memory().unwrap();
        let mut q = Queue::new(rules());
        for _ in 0..3 {
            store.record(&q.issue("email", "nl", at(9, 0)).unwrap().1).unwrap();
        }
        let mut again = Queue::resume(rules(), store.snapshot(5).unwrap());
        let (t, events) = again.issue("email", "nl", at(9, 5)).unwrap();
        store.record(&events).unwrap();
        assert_eq!(t.code(), "E-004");
        // The database itself refuses a duplicate number for the same day.
        let mut stale = Queue::new(rules());
        let (_, dup) = stale.issue("email", "nl", at(9, 6)).unwrap();
        assert!(store.record(&dup).is_err());
    }

    #[test]
    fn a_failed_transaction_keeps_nothing_of_the_change() {
        let mut store = Store::open_in_memory().unwrap();
        let mut q = Queue::new(rules());
        let (first, events) = q.issue("email", "nl", at(9, 0)).unwrap();
        store.record(&events).unwrap();
        // A batch whose second event collides: the first must not be kept either.
        let (_, good) = q.issue("tablet", "nl", at(9, 1)).unwrap();
        let mut bad = good.clone();
        let mut clash = first.clone();
        clash.id = TicketId(77);
        bad.push(Event { at: at(9, 1), kind: EventKind::TicketIssued { ticket: clash } });
        assert!(store.record(&bad).is_err());
        assert_eq!(store.ticket_count().unwrap(), 1);
        assert_eq!(store.outbox_backlog().unwrap(), 1);
    }

    #[test]
    fn service_times_are_read_back_for_the_estimate() {
        let mut store = Store::open_in_memory().unwrap();
        let mut q = Queue::new(rules());
        for i in 0..3 {
            store.record(&q.issue("email", "nl", at(9, 0)).unwrap().1).unwrap();
            store.record(&q.call_next("desk-1", at(10, i * 20)).unwrap()).unwrap();
            store.record(&q.served("desk-1", None, at(10, i * 20 + 12)).unwrap()).unwrap();
        }
        // A mistaken call closed within seconds is not one of the recent service times.
        store.record(&q.issue("email", "nl", at(9, 0)).unwrap().1).unwrap();
        store.record(&q.call_next("desk-1", at(11, 30)).unwrap()).unwrap();
        store.record(&q.served("desk-1", None, at(11, 30)).unwrap()).unwrap();
        let snapshot = store.snapshot(2).unwrap();
        assert_eq!(snapshot.service_times.len(), 2, "only the two most recent real ones");
        assert!(
            snapshot.service_times.iter().all(|(_, t)| *t == SignedDuration::from_mins(12)),
            "{snapshot:?}"
        );
        let again = Queue::resume(rules(), snapshot);
        assert_eq!(again.average_service_time("email"), SignedDuration::from_mins(12));
    }

    #[test]
    fn yesterdays_finished_tickets_stay_stored_but_leave_the_queue() {
        let mut store = Store::open_in_memory().unwrap();
        let mut q = Queue::new(rules());
        store.record(&q.issue("email", "nl", at(9, 0)).unwrap().1).unwrap();
        store.record(&q.issue("email", "nl", at(9, 1)).unwrap().1).unwrap();
        let tomorrow = at(9, 0).checked_add(SignedDuration::from_hours(24)).unwrap();
        let (t, events) = q.issue("email", "nl", tomorrow).unwrap();
        store.record(&events).unwrap();
        assert_eq!(t.code(), "E-001");
        assert_eq!(store.ticket_count().unwrap(), 3, "past tickets are kept for statistics");
        let again = Queue::resume(rules(), store.snapshot(5).unwrap());
        assert_eq!(again.tickets().count(), 1);
        assert_eq!(store.ticket(TicketId(1)).unwrap().unwrap().state, TicketState::Expired);
    }
}
