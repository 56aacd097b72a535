//! The appointment book's rows: each appointment as it is now, written with its outbox event
//! (and, for a check-in, with the ticket's own rows and events) in one transaction.
//!
//! An appointment's name, where a help point keeps names, never goes into the outbox and is
//! deleted once the appointment's day is over ([`Store::forget_appointment_names`]). The
//! appointments of past days stay (without names) for the figures until the nightly tidy-up.
//!
//! It must not decide anything about appointments: the rules live in `crate::appointment`.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use rusqlite::{OptionalExtension, Transaction, params};

use super::outbox::OutboxWriter;
use super::queue::write_event;
use super::{Store, StoreError, parse_time};
use crate::appointment::{
    Appointment, AppointmentEvent, AppointmentId, AppointmentSource, AppointmentState, BookingCode,
};
use crate::queue::{Event, TicketId};

/// An appointment to write as it is now, with the event that reports the change, if any (a
/// call or a service follows the ticket and has no event of its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppointmentWrite {
    Event(AppointmentEvent),
    Quiet(Appointment),
}

impl AppointmentWrite {
    pub fn appointment(&self) -> &Appointment {
        match self {
            AppointmentWrite::Event(event) => &event.appointment,
            AppointmentWrite::Quiet(appointment) => appointment,
        }
    }
}

const COLUMNS: &str =
    "id, uid, code, starts_at, service, desk, language, name, source, state, ticket, checked_in_at";

impl Store {
    /// Writes the appointments a change touched and the queue's events of the same change (a
    /// check-in's ticket) in one transaction: all of it or none. The appointments go first, so
    /// a ticket event's body can name its appointment.
    pub fn record_with_appointments(
        &mut self,
        events: &[Event],
        appointments: &[AppointmentWrite],
        time_zone: &TimeZone,
    ) -> Result<(), StoreError> {
        if appointments.is_empty() {
            return self.record(events);
        }
        let result = self.write_with_appointments(events, appointments, time_zone);
        self.wrote(result)
    }

    fn write_with_appointments(
        &mut self,
        events: &[Event],
        appointments: &[AppointmentWrite],
        time_zone: &TimeZone,
    ) -> Result<(), StoreError> {
        let mut outbox = OutboxWriter::new(&self.origin, self.outbox_max);
        let tx = self.conn.transaction()?;
        for write in appointments {
            write_appointment(&tx, write.appointment(), time_zone)?;
            if let AppointmentWrite::Event(event) = write {
                let body = event.body().to_string();
                outbox.add(&tx, &uuid::Uuid::new_v4().to_string(), event.name(), event.at, &body)?;
            }
        }
        for event in events {
            write_event(&tx, &mut outbox, event)?;
        }
        tx.commit()?;
        let dropped = outbox.dropped;
        self.log_dropped(dropped);
        Ok(())
    }

    /// The appointments the kiosk keeps in mind from `today` on: today's and later days', and
    /// any still open from an earlier day.
    pub fn appointments_from(&self, today: Date) -> Result<Vec<Appointment>, StoreError> {
        self.query_appointments(
            &format!(
                "SELECT {COLUMNS} FROM appointment
                  WHERE day >= ?1 OR state IN ('expected', 'checked_in', 'called')
                  ORDER BY starts_at, id"
            ),
            params![today.to_string()],
        )
    }

    /// The appointments of one local day, by time.
    pub fn appointments_on(&self, day: Date) -> Result<Vec<Appointment>, StoreError> {
        self.query_appointments(
            &format!("SELECT {COLUMNS} FROM appointment WHERE day = ?1 ORDER BY starts_at, id"),
            params![day.to_string()],
        )
    }

    /// One appointment by id, from any day.
    pub fn appointment(&self, id: AppointmentId) -> Result<Option<Appointment>, StoreError> {
        let row = self
            .conn
            .query_row(&format!("SELECT {COLUMNS} FROM appointment WHERE id = ?1"), [id.0], read_appointment)
            .optional()?;
        row.transpose()
    }

    /// The highest appointment id ever given.
    pub fn last_appointment_id(&self) -> Result<Option<AppointmentId>, StoreError> {
        let id: Option<i64> = self.conn.query_row("SELECT MAX(id) FROM appointment", [], |r| r.get(0))?;
        Ok(id.map(AppointmentId))
    }

    /// Deletes the names of appointments whose day is before `today`. Returns how many.
    pub fn forget_appointment_names(&mut self, today: Date) -> Result<usize, StoreError> {
        let result = self
            .conn
            .execute(
                "UPDATE appointment SET name = NULL WHERE day < ?1 AND name IS NOT NULL",
                [today.to_string()],
            )
            .map_err(StoreError::from);
        self.wrote(result)
    }

    fn query_appointments(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Appointment>, StoreError> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(params, read_appointment)?.collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().collect()
    }
}

/// The uid of the appointment a ticket was given for, inside a transaction.
pub(super) fn appointment_uid_of(
    tx: &Transaction<'_>,
    ticket: TicketId,
) -> Result<Option<String>, StoreError> {
    Ok(tx
        .query_row(
            "SELECT uid FROM appointment WHERE ticket = ?1 ORDER BY id DESC LIMIT 1",
            [ticket.0],
            |r| r.get(0),
        )
        .optional()?)
}

fn write_appointment(tx: &Transaction<'_>, a: &Appointment, time_zone: &TimeZone) -> Result<(), StoreError> {
    let day = a.starts_at.to_zoned(time_zone.clone()).date();
    let ticket = match a.state {
        AppointmentState::CheckedIn { ticket } => Some(ticket),
        _ => a.ticket,
    };
    tx.execute(
        "INSERT INTO appointment (id, uid, code, day, starts_at, service, desk, language, name, source,
                                  state, ticket, checked_in_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET
            code = excluded.code, day = excluded.day, starts_at = excluded.starts_at,
            service = excluded.service, desk = excluded.desk, language = excluded.language,
            name = excluded.name, state = excluded.state, ticket = excluded.ticket,
            checked_in_at = excluded.checked_in_at",
        params![
            a.id.0,
            a.uid,
            a.code.digits(),
            day.to_string(),
            a.starts_at.to_string(),
            a.service,
            a.desk,
            a.language,
            a.name,
            a.source.name(),
            a.state.name(),
            ticket.map(|t| t.0),
            a.checked_in_at.map(|t| t.to_string()),
        ],
    )?;
    Ok(())
}

type Row = Result<Appointment, StoreError>;

fn read_appointment(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let id: i64 = r.get(0)?;
    let uid: String = r.get(1)?;
    let code: String = r.get(2)?;
    let starts_at: String = r.get(3)?;
    let (service, desk, language, name): (String, Option<String>, Option<String>, Option<String>) =
        (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?);
    let source: String = r.get(8)?;
    let state: String = r.get(9)?;
    let ticket: Option<i64> = r.get(10)?;
    let checked_in_at: Option<String> = r.get(11)?;
    Ok((|| {
        let damaged = |what: String| StoreError::Damaged(format!("appointment {id}: {what}"));
        let ticket = ticket.map(TicketId);
        let state = match state.as_str() {
            "expected" => AppointmentState::Expected,
            "checked_in" => AppointmentState::CheckedIn {
                ticket: ticket.ok_or_else(|| damaged("checked in without a ticket".into()))?,
            },
            "called" => AppointmentState::Called,
            "served" => AppointmentState::Served,
            "no_show" => AppointmentState::NoShow,
            "cancelled" => AppointmentState::Cancelled,
            other => return Err(damaged(format!("unknown state {other:?}"))),
        };
        Ok(Appointment {
            id: AppointmentId(id),
            uid,
            code: BookingCode::parse(&code).ok_or_else(|| damaged(format!("booking code {code:?}")))?,
            starts_at: parse_time(&starts_at)?,
            service,
            desk,
            language,
            name,
            source: AppointmentSource::from_name(&source)
                .ok_or_else(|| damaged(format!("unknown source {source:?}")))?,
            state,
            ticket,
            checked_in_at: checked_in_at.as_deref().map(parse_time).transpose()?,
        })
    })())
}
