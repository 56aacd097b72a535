//! The help point: the queue, its store and the clock, behind one set of actions.
//!
//! Every action reads the time once, lets the pure `queue` work out the change on a copy,
//! commits the change and its events in one store transaction, and only then makes the copy
//! the current queue. So what anyone is shown — a ticket number, a call — is already durable,
//! and a failed commit leaves the queue as it was. The copy is cheap whatever the day's ticket
//! count: the queue keeps its tickets in persistent maps that copies share (see `queue`).
//!
//! Screening results and tutorial sessions go the same way: scored by `screening`, turned into
//! xAPI statements by `xapi`, and committed with their statements before the result is shown.
//!
//! Appointments go the same way: the book of appointments ([`crate::appointment`]) is kept
//! beside the queue; a booking, a move, a cancellation, a check-in (with its ticket) and the
//! no-shows at the end of a call window are committed with their events in one transaction
//! before anyone sees them. A checked-in appointment follows its ticket: called, served or a
//! no-show when the ticket is. After midnight the names of past days' appointments are deleted.
//!
//! It must not know about screens, printers or the network: callers react to the returned
//! events. It is not shared: one thread owns it and does everyone's commands ([`crate::owner`]).

use std::sync::Arc;

use jiff::SignedDuration;

use crate::appointment::{
    Appointment, AppointmentBook, AppointmentError, AppointmentEvent, AppointmentEventKind, AppointmentId,
    AppointmentMove, AppointmentRules, AppointmentSource, AppointmentState, BookingCode, CentralAppointment,
    ImportedAppointment, LatePolicy, NewAppointment, WrongCodeLimit,
};
pub use crate::appointment::{CheckInRefusal, CheckedIn};
use crate::clock::Clock;
use crate::config::{Config, LatePolicySetting, Learning};
use crate::queue::{
    AppointmentMark, DeskRule, Event, EventKind, Position, Queue, QueueError, QueueRules, ServiceRule,
    Ticket, TicketId,
};
use crate::screening::{self, Level, ReferralRule, ScreeningRecord, ScreeningRun, TutorialRun};
use crate::store::appointments::AppointmentWrite;
use crate::store::{NewScreening, Store, StoreError};
use crate::xapi;

/// Why an action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why staff, a file or the central plan could not change the appointment book.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error(transparent)]
    Appointment(#[from] AppointmentError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import or a central plan changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookChanges {
    pub booked: usize,
    pub moved: usize,
    pub cancelled: usize,
    /// Already in the book as they are (or over, or cancelled before the kiosk knew them).
    pub unchanged: usize,
    /// New ones whose call window had already ended: not booked.
    pub past: usize,
}

/// A ticket just issued, with where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTicket {
    pub ticket: Ticket,
    pub position: Position,
}

/// The queue rules a config describes.
pub fn queue_rules(config: &Config) -> QueueRules {
    QueueRules {
        services: config
            .services
            .iter()
            .map(|s| ServiceRule { id: s.id.clone(), prefix: s.prefix.clone() })
            .collect(),
        desks: config
            .desks
            .iter()
            .map(|d| DeskRule { id: d.id.clone(), services: d.services.clone() })
            .collect(),
        time_zone: config.site.timezone.clone(),
        default_service_time: SignedDuration::from_mins(i64::from(config.queue.default_service_minutes)),
        recent_services: config.queue.recent_services as usize,
    }
}

/// The appointment rules a config describes (`[appointments]`, in the site's time zone).
pub fn appointment_rules(config: &Config) -> AppointmentRules {
    let a = &config.appointments;
    let minutes = |m: u32| SignedDuration::from_mins(i64::from(m));
    AppointmentRules {
        enabled: a.enabled,
        check_in_early: minutes(a.check_in_early_minutes),
        late: minutes(a.late_minutes),
        late_policy: match a.late_policy {
            LatePolicySetting::Priority => LatePolicy::Priority,
            LatePolicySetting::WalkIn => LatePolicy::WalkIn,
        },
        call_window: minutes(a.call_window_minutes),
        names: a.names,
        expected: minutes(a.expected_minutes),
        time_zone: config.site.timezone.clone(),
    }
}

/// How screening results are scored, referred and reported, from `[learning]` and `[site]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LearningRules {
    pub on_own_max_wrong_taps: u32,
    pub referral: Vec<ReferralRule>,
    /// `learning.xapi_base`
    pub xapi_base: String,
    /// `site.kiosk_id`
    pub kiosk_id: String,
    /// The help point's time zone: statements carry local times, and "today" is local.
    pub time_zone: jiff::tz::TimeZone,
}

/// The learning rules a config describes.
pub fn learning_rules(config: &Config) -> LearningRules {
    LearningRules {
        on_own_max_wrong_taps: config.learning.on_own_max_wrong_taps,
        referral: config.learning.referral.clone(),
        xapi_base: config.learning.xapi_base.clone(),
        kiosk_id: config.site.kiosk_id.clone(),
        time_zone: config.site.timezone.clone(),
    }
}

impl LearningRules {
    /// The rules of a config whose `[learning]` was left out, in this time zone.
    pub fn defaults(time_zone: jiff::tz::TimeZone) -> LearningRules {
        let learning = Learning::default();
        LearningRules {
            on_own_max_wrong_taps: learning.on_own_max_wrong_taps,
            referral: learning.referral,
            xapi_base: learning.xapi_base,
            kiosk_id: crate::config::DEFAULT_KIOSK_ID.to_owned(),
            time_zone,
        }
    }
}

/// How many result codes are drawn before giving up (one clash in 148 million is already rare).
const CODE_ATTEMPTS: u32 = 20;

/// A fresh random result code, e.g. `K7M-4PX`, from the random bytes of a v4 UUID.
fn new_result_code() -> String {
    loop {
        let bytes = uuid::Uuid::new_v4().into_bytes();
        // Bytes 6 and 8 carry the UUID's version and variant bits; the other 14 are random.
        let random: Vec<u8> =
            bytes.iter().enumerate().filter(|(i, _)| *i != 6 && *i != 8).map(|(_, b)| *b).collect();
        if let Some(code) = screening::code_from_random(&random) {
            return code;
        }
    }
}

/// Hears every committed change (the staff console's live updates, the kiosk's "now serving"
/// strip, announcements). Called on the thread that owns the help point (see [`crate::owner`]):
/// it must only hand the events on.
pub type Listener = Box<dyn Fn(&[Event]) + Send>;

/// Hears every committed change of the appointment book (the console's live updates, the
/// desk's alert at a check-in), like a [`Listener`].
pub type AppointmentListener = Box<dyn Fn(&AppointmentEvent) + Send>;

/// The queue of a help point, kept in its store.
pub struct HelpPoint {
    /// Shared with readers as it was committed (see [`HelpPoint::shared_queue`]); a change
    /// works on a copy.
    queue: Arc<Queue>,
    store: Store,
    clock: Arc<dyn Clock>,
    listeners: Vec<Listener>,
    learning: LearningRules,
    appointment_rules: AppointmentRules,
    book: AppointmentBook,
    last_appointment_id: i64,
    /// The day whose appointments' names are kept; earlier days' names are deleted.
    names_day: Option<jiff::civil::Date>,
    wrong_codes: WrongCodeLimit,
    appointment_listeners: Vec<AppointmentListener>,
}

impl HelpPoint {
    /// Resumes the queue from the store; tickets left open from an earlier day expire now.
    pub fn open(rules: QueueRules, store: Store, clock: Arc<dyn Clock>) -> Result<HelpPoint, StoreError> {
        let snapshot = store.snapshot(rules.recent_services)?;
        let learning = LearningRules::defaults(rules.time_zone.clone());
        let appointment_rules = AppointmentRules::defaults(rules.time_zone.clone());
        let today = appointment_rules.day_of(clock.now());
        let book = AppointmentBook::new(store.appointments_from(today)?);
        let last_appointment_id = store.last_appointment_id()?.map_or(0, |id| id.0);
        let mut help_point = HelpPoint {
            queue: Arc::new(Queue::resume(rules, snapshot)),
            store,
            clock,
            listeners: Vec::new(),
            learning,
            appointment_rules,
            book,
            last_appointment_id,
            names_day: None,
            wrong_codes: WrongCodeLimit::default(),
            appointment_listeners: Vec::new(),
        };
        help_point.roll_over()?;
        Ok(help_point)
    }

    /// Starts a new service day if midnight has passed (also done by every action).
    pub fn roll_over(&mut self) -> Result<Vec<Event>, StoreError> {
        match self.act(|q, now| Ok(q.roll_over(now))) {
            Ok(events) => Ok(events),
            Err(ActionError::Store(e)) => Err(e),
            Err(ActionError::Queue(_)) => Ok(Vec::new()),
        }
    }

    /// A visitor takes a ticket. When this returns, the ticket is in the store.
    pub fn take_ticket(&mut self, service: &str, language: &str) -> Result<IssuedTicket, ActionError> {
        self.take_ticket_with_code(service, language, None)
    }

    /// A learner takes a ticket from the screening's result screen: the result code goes on
    /// the ticket, for the desk.
    pub fn take_ticket_with_code(
        &mut self,
        service: &str,
        language: &str,
        screening_code: Option<&str>,
    ) -> Result<IssuedTicket, ActionError> {
        let mut issued = None;
        self.act(|q, now| {
            let (ticket, events) = q.issue_with_code(service, language, screening_code, now)?;
            issued = Some(ticket);
            Ok(events)
        })?;
        let ticket = issued.expect("issue returned a ticket");
        let position = self.position_now(ticket.id)?;
        Ok(IssuedTicket { ticket, position })
    }

    /// Where a waiting ticket stands now, counting the booked appointments not yet checked in
    /// that will take a desk before it (a checked-in appointment is already a ticket in the queue).
    pub fn position_now(
        &self,
        ticket: crate::queue::TicketId,
    ) -> Result<crate::queue::Position, crate::queue::QueueError> {
        let now = self.clock.now();
        self.queue.position_at(ticket, now, &self.appointments_due(now))
    }

    /// The appointments expected from now on whose visitors have not checked in yet, for the
    /// wait shown to walk-ins (up to the end of their call window: a late visitor may still come).
    fn appointments_due(&self, now: jiff::Timestamp) -> Vec<crate::wait_estimate::DueAppointment> {
        if !self.appointment_rules.enabled {
            return Vec::new();
        }
        let rules = &self.appointment_rules;
        let minutes = u32::try_from(rules.expected.as_mins()).unwrap_or(0);
        let today = rules.day_of(now);
        // Runs for every ticket shown: no sorting, and later days' appointments (a central plan
        // may hold thousands) are left out before anything else.
        self.book
            .iter()
            .filter(|a| a.state == crate::appointment::AppointmentState::Expected)
            .filter(|a| rules.day_of(a.starts_at) == today && rules.no_show_at(a) > now)
            .map(|a| crate::wait_estimate::DueAppointment {
                at: a.starts_at,
                service: a.service.clone(),
                desk: a.desk.clone(),
                minutes,
            })
            .collect()
    }

    pub fn call_next(&mut self, desk: &str) -> Result<Vec<Event>, ActionError> {
        self.act(|q, now| q.call_next(desk, now))
    }

    pub fn call_ticket(&mut self, desk: &str, ticket: TicketId) -> Result<Vec<Event>, ActionError> {
        self.act(|q, now| q.call_ticket(desk, ticket, now))
    }

    pub fn recall(&mut self, desk: &str) -> Result<Vec<Event>, ActionError> {
        self.act(|q, now| q.recall(desk, now))
    }

    pub fn served(&mut self, desk: &str, outcome: Option<&str>) -> Result<Vec<Event>, ActionError> {
        self.act(|q, now| q.served(desk, outcome, now))
    }

    pub fn no_show(&mut self, desk: &str) -> Result<Vec<Event>, ActionError> {
        self.act(|q, now| q.no_show(desk, now))
    }

    pub fn transfer(&mut self, ticket: TicketId, to: &str) -> Result<Vec<Event>, ActionError> {
        self.act(|q, now| q.transfer(ticket, to, now))
    }

    /// A transfer asked by a desk (see [`Queue::transfer_for_desk`]).
    pub fn transfer_for_desk(
        &mut self,
        desk: &str,
        ticket: TicketId,
        to: &str,
    ) -> Result<Vec<Event>, ActionError> {
        self.act(|q, now| q.transfer_for_desk(desk, ticket, to, now))
    }

    pub fn pause(&mut self, desk: &str) -> Result<Vec<Event>, ActionError> {
        self.act(|q, now| q.pause(desk, now))
    }

    pub fn resume_desk(&mut self, desk: &str) -> Result<Vec<Event>, ActionError> {
        self.act(|q, now| q.resume_desk(desk, now))
    }

    /// Records a new state of a device (the printer), once per change, with an event.
    pub fn device_state_changed(
        &mut self,
        device: &str,
        state: &str,
        detail: &str,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now();
        self.store.record_device_state(device, state, detail, now)
    }

    /// Uses these rules for screenings and tutorials from now on (the defaults until then).
    pub fn set_learning_rules(&mut self, rules: LearningRules) {
        self.learning = rules;
    }

    /// Scores a screening, gives it a new result code and stores it with its xAPI statements in
    /// one transaction. When this returns, the result can be looked up by its code.
    ///
    /// The result code is drawn at random (see [`screening::code_from_random`]); on the unlikely
    /// clash with an earlier code another one is drawn.
    pub fn record_screening(&mut self, run: ScreeningRun) -> Result<ScreeningRecord, StoreError> {
        self.record_screening_drawing(run, &mut new_result_code)
    }

    /// [`HelpPoint::record_screening`] with the codes drawn by `draw`.
    fn record_screening_drawing(
        &mut self,
        run: ScreeningRun,
        draw: &mut dyn FnMut() -> String,
    ) -> Result<ScreeningRecord, StoreError> {
        let rules = &self.learning;
        let scores = screening::score(&run.items, rules.on_own_max_wrong_taps);
        let referral = screening::refer(&rules.referral, &scores.items);
        let levels: Vec<Level> = scores.items.iter().map(|(_, level)| *level).collect();
        let day = run.ended_at.to_zoned(rules.time_zone.clone()).date();
        let profile =
            xapi::Profile { base: &rules.xapi_base, kiosk_id: &rules.kiosk_id, time_zone: &rules.time_zone };
        let registration = uuid::Uuid::new_v4();
        for _ in 0..CODE_ATTEMPTS {
            let code = draw();
            let statements = xapi::screening_statements(
                &profile,
                &run,
                &code,
                &scores,
                &referral,
                registration,
                &mut uuid::Uuid::new_v4,
            );
            let new = NewScreening {
                code: &code,
                day,
                run: &run,
                levels: &levels,
                competences: &scores.competences,
                referral: &referral,
                statements: &statements,
            };
            if self.store.record_screening(&new)? {
                return Ok(ScreeningRecord {
                    code,
                    items: scores.items,
                    competences: scores.competences,
                    referral,
                });
            }
            log::warn!("result code {code} was taken; drawing another");
        }
        Err(StoreError::NoFreeCode(CODE_ATTEMPTS))
    }

    /// Stores a tutorial session with its xAPI statement in one transaction.
    pub fn record_tutorial(&mut self, run: TutorialRun) -> Result<(), StoreError> {
        let rules = &self.learning;
        let profile =
            xapi::Profile { base: &rules.xapi_base, kiosk_id: &rules.kiosk_id, time_zone: &rules.time_zone };
        let session = uuid::Uuid::new_v4();
        let statement = xapi::tutorial_statement(&profile, &run, session, uuid::Uuid::new_v4());
        let day = run.ended_at.to_zoned(rules.time_zone.clone()).date();
        self.store.record_tutorial(&run, &session.to_string(), day, &statement)
    }

    /// How many screenings and tutorial sessions ended today (local time).
    pub fn learning_today(&self) -> Result<(u64, u64), StoreError> {
        let today = self.clock.now().to_zoned(self.learning.time_zone.clone()).date();
        self.store.learning_counts(today)
    }

    /// Adds a listener that hears every change once it is committed.
    pub fn listen(&mut self, listener: Listener) {
        self.listeners.push(listener);
    }

    /// The time on the help point's clock.
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }

    /// The queue as it is now (read only).
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// The queue as it is now, to keep: later changes do not alter it.
    pub fn shared_queue(&self) -> Arc<Queue> {
        self.queue.clone()
    }

    /// The help point's clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, for records beside the queue's (the desks' sessions); the queue's own
    /// changes go through its actions only.
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Nothing to do for a while: the store copies its log into its file.
    pub fn idle(&mut self) {
        if self.store.has_uncheckpointed_commits()
            && let Err(e) = self.store.checkpoint_passive()
        {
            log::warn!("checkpointing the store: {e}");
        }
    }

    /// Runs a change on a copy of the queue, commits its events, then keeps the copy. The copy
    /// shares the day's tickets with the queue readers hold; it costs O(services + desks).
    fn act(
        &mut self,
        change: impl FnOnce(&mut Queue, jiff::Timestamp) -> Result<Vec<Event>, QueueError>,
    ) -> Result<Vec<Event>, ActionError> {
        self.act_with_book(|q, now| Ok((change(q, now)?, Vec::new())))
    }

    /// [`HelpPoint::act`] for a change that also writes appointments (a check-in). The
    /// appointments of the tickets the change touched follow them, and the appointments whose
    /// call window has ended become no-shows, in the same transaction.
    fn act_with_book(
        &mut self,
        change: impl FnOnce(
            &mut Queue,
            jiff::Timestamp,
        ) -> Result<(Vec<Event>, Vec<AppointmentWrite>), QueueError>,
    ) -> Result<Vec<Event>, ActionError> {
        let now = self.clock.now();
        let mut next = Queue::clone(&self.queue);
        let mut events = next.roll_over(now);
        let (changed, mut writes) = change(&mut next, now)?;
        events.extend(changed);
        writes.extend(self.follow_tickets(&events, &writes));
        writes.extend(self.no_shows(now, &writes));
        self.store.record_with_appointments(&events, &writes, &self.appointment_rules.time_zone)?;
        self.queue = Arc::new(next);
        self.keep_writes(&writes);
        if !events.is_empty() {
            for listener in &self.listeners {
                listener(&events);
            }
        }
        self.forget_past_names(now);
        Ok(events)
    }

    /// The appointments whose tickets these events changed, as they are now (a call, a service
    /// and a transfer back to waiting are the ticket's own events; a no-show at the desk is the
    /// appointment's too).
    fn follow_tickets(&self, events: &[Event], pending: &[AppointmentWrite]) -> Vec<AppointmentWrite> {
        let mut writes: Vec<AppointmentWrite> = Vec::new();
        for event in events {
            let Some(ticket) = event.kind.ticket() else { continue };
            if ticket.appointment.is_none() {
                continue;
            }
            let known = writes
                .iter()
                .chain(pending)
                .rev()
                .map(AppointmentWrite::appointment)
                .find(|a| a.ticket == Some(ticket.id))
                .or_else(|| self.book.by_ticket(ticket.id));
            let Some(appointment) = known else { continue };
            let mut appointment = appointment.clone();
            let state = match &event.kind {
                EventKind::TicketCalled { .. } | EventKind::TicketRecalled { .. } => AppointmentState::Called,
                EventKind::TicketServed { .. } => AppointmentState::Served,
                EventKind::TicketTransferred { .. } => AppointmentState::CheckedIn { ticket: ticket.id },
                EventKind::TicketNoShow { .. } => {
                    appointment.state = AppointmentState::NoShow;
                    writes.push(AppointmentWrite::Event(AppointmentEvent {
                        at: event.at,
                        kind: AppointmentEventKind::NoShow,
                        appointment,
                    }));
                    continue;
                }
                _ => continue,
            };
            if appointment.state != state {
                appointment.state = state;
                writes.push(AppointmentWrite::Quiet(appointment));
            }
        }
        writes
    }

    /// Expected appointments whose call window has ended at `now`: no-shows.
    fn no_shows(&self, now: jiff::Timestamp, pending: &[AppointmentWrite]) -> Vec<AppointmentWrite> {
        self.book
            .no_shows_due(&self.appointment_rules, now)
            .into_iter()
            .filter(|id| !pending.iter().any(|w| w.appointment().id == *id))
            .filter_map(|id| self.book.get(id).cloned())
            .map(|mut appointment| {
                appointment.state = AppointmentState::NoShow;
                AppointmentWrite::Event(AppointmentEvent {
                    at: now,
                    kind: AppointmentEventKind::NoShow,
                    appointment,
                })
            })
            .collect()
    }

    /// Keeps committed appointment writes in the book and tells the listeners.
    fn keep_writes(&mut self, writes: &[AppointmentWrite]) {
        for write in writes {
            self.book.put(write.appointment().clone());
            if let AppointmentWrite::Event(event) = write {
                for listener in &self.appointment_listeners {
                    listener(event);
                }
            }
        }
    }

    /// Once a day: deletes the names of past days' appointments and lets them go from the book.
    fn forget_past_names(&mut self, now: jiff::Timestamp) {
        let today = self.appointment_rules.day_of(now);
        if self.names_day.is_some_and(|day| day >= today) {
            return;
        }
        match self.store.forget_appointment_names(today) {
            Ok(_) => {
                self.names_day = Some(today);
                self.book.forget_before(&self.appointment_rules, today);
            }
            Err(e) => log::warn!("deleting the names of past appointments: {e}"),
        }
    }

    /// Commits appointment changes that touch no ticket (booking, moving, cancelling, an
    /// import, a central plan), with the no-shows due now.
    fn commit_book(&mut self, mut writes: Vec<AppointmentWrite>) -> Result<(), StoreError> {
        let now = self.clock.now();
        writes.extend(self.no_shows(now, &writes));
        if writes.is_empty() {
            return Ok(());
        }
        self.store.record_with_appointments(&[], &writes, &self.appointment_rules.time_zone)?;
        self.keep_writes(&writes);
        Ok(())
    }
}

/// Whether a file may cancel `appointment`: one a file booked, still expected.
fn cancellable_by_file(appointment: &Appointment) -> bool {
    appointment.source == AppointmentSource::File && appointment.state == AppointmentState::Expected
}

/// The appointment book: staff's bookings, files, the central plan and the kiosk's check-in.
impl HelpPoint {
    /// Uses these appointment rules from now on (appointments are off until then).
    pub fn set_appointment_rules(&mut self, rules: AppointmentRules) {
        self.appointment_rules = rules;
    }

    pub fn appointment_rules(&self) -> &AppointmentRules {
        &self.appointment_rules
    }

    /// Adds a listener that hears every appointment event once it is committed.
    pub fn listen_appointments(&mut self, listener: AppointmentListener) {
        self.appointment_listeners.push(listener);
    }

    /// A visitor at the kiosk types or scans a booking code. On time, they get an appointment
    /// ticket (called first from their time on); late, per `late_policy`; otherwise the reason
    /// (see [`crate::appointment`]). When this returns `Ok`, the check-in and its ticket are
    /// stored.
    pub fn check_in(&mut self, code: &str, language: &str) -> Result<CheckedIn, CheckInRefusal> {
        let now = self.clock.now();
        self.wrong_codes.check(now)?;
        let found = if self.appointment_rules.enabled {
            BookingCode::parse(code).and_then(|c| self.book.by_code(c)).cloned()
        } else {
            None
        };
        let Some(appointment) = found else {
            self.wrong_codes.note_wrong(now);
            return Err(CheckInRefusal::Unknown);
        };
        // A no-show due now is one, whatever the rules would say at this moment.
        if self.book.no_shows_due(&self.appointment_rules, now).contains(&appointment.id) {
            if let Err(e) = self.commit_book(Vec::new()) {
                log::error!("recording no-shows: {e}");
            }
            return Err(CheckInRefusal::TooLate);
        }
        let admission = self.appointment_rules.check_in(&appointment, now)?;
        let mark = admission
            .priority
            .then(|| AppointmentMark { starts_at: appointment.starts_at, desk: appointment.desk.clone() });
        let mut issued = None;
        let result = self.act_with_book(|q, now| {
            let (ticket, events) = q.issue_for_appointment(&appointment.service, language, mark, now)?;
            let mut checked_in = appointment.clone();
            checked_in.state = AppointmentState::CheckedIn { ticket: ticket.id };
            checked_in.ticket = Some(ticket.id);
            checked_in.checked_in_at = Some(now);
            let write = AppointmentWrite::Event(AppointmentEvent {
                at: now,
                kind: AppointmentEventKind::CheckedIn {
                    late_minutes: admission.late_minutes,
                    ticket: ticket.code(),
                },
                appointment: checked_in,
            });
            issued = Some(ticket);
            Ok((events, vec![write]))
        });
        if let Err(e) = result {
            log::error!("checking in appointment {}: {e}", appointment.id.0);
            return Err(CheckInRefusal::Unavailable);
        }
        let Some(ticket) = issued else { return Err(CheckInRefusal::Unavailable) };
        let position = self.position_now(ticket.id).map_err(|_| CheckInRefusal::Unavailable)?;
        Ok(CheckedIn {
            issued: IssuedTicket { ticket, position },
            starts_at: appointment.starts_at,
            desk: appointment.desk,
        })
    }

    /// Staff book an appointment: it gets a fresh random code.
    pub fn book(
        &mut self,
        new: NewAppointment,
        source: AppointmentSource,
    ) -> Result<Appointment, BookingError> {
        let uid = format!("loket-{}", uuid::Uuid::new_v4());
        let code = self.book.free_code(&mut BookingCode::random)?;
        let appointment = self.new_appointment(uid, code, new, source)?;
        self.commit_book(vec![self.event(AppointmentEventKind::Booked, appointment.clone())])?;
        Ok(appointment)
    }

    /// Staff move an appointment (time, service or desk); its code stays.
    pub fn move_appointment(
        &mut self,
        id: AppointmentId,
        change: AppointmentMove,
    ) -> Result<Appointment, BookingError> {
        let mut appointment = self.expected(id)?;
        if let Some(starts_at) = change.starts_at {
            appointment.starts_at = starts_at;
        }
        if let Some(service) = change.service {
            appointment.service = service;
        }
        if let Some(desk) = change.desk {
            appointment.desk = desk;
        }
        self.check_place(&appointment.service, appointment.desk.as_deref())?;
        if change.starts_at.is_some() && self.is_past(&appointment) {
            return Err(AppointmentError::InThePast.into());
        }
        self.commit_book(vec![self.event(AppointmentEventKind::Moved, appointment.clone())])?;
        Ok(appointment)
    }

    /// Staff cancel an appointment: its code no longer checks in.
    pub fn cancel_appointment(&mut self, id: AppointmentId) -> Result<Appointment, BookingError> {
        let mut appointment = self.expected(id)?;
        appointment.state = AppointmentState::Cancelled;
        self.commit_book(vec![self.event(AppointmentEventKind::Cancelled, appointment.clone())])?;
        Ok(appointment)
    }

    /// The appointments of a local day, by time; only a desk's own (and those of no desk for a
    /// service it serves) when `desk` is given.
    pub fn appointments_on(
        &self,
        day: jiff::civil::Date,
        desk: Option<&str>,
    ) -> Result<Vec<Appointment>, StoreError> {
        let all = self.store.appointments_on(day)?;
        let Some(desk) = desk else { return Ok(all) };
        let services = self.queue.rules().desks.iter().find(|d| d.id == desk).map(|d| d.services.clone());
        Ok(all
            .into_iter()
            .filter(|a| match &a.desk {
                Some(d) => d == desk,
                None => services.as_ref().is_some_and(|s| s.contains(&a.service)),
            })
            .collect())
    }

    /// One appointment, from any day.
    pub fn appointment(&self, id: AppointmentId) -> Result<Option<Appointment>, StoreError> {
        match self.book.get(id) {
            Some(a) => Ok(Some(a.clone())),
            None => self.store.appointment(id),
        }
    }

    /// Appointments read from a file: new uids are booked, known ones moved when their time,
    /// service, desk or language changed. An appointment an earlier file booked that is still
    /// expected is cancelled when this file marks it cancelled, or when its uid is missing from
    /// this file although its day is within the file's days (from its first appointment's day
    /// to its last one's); appointments booked at the console or by the central system are
    /// never cancelled by a file. All of them are checked before anything is written: a bad one
    /// refuses the whole file (with its line), and nothing changes.
    pub fn import_appointments(
        &mut self,
        imported: Vec<ImportedAppointment>,
    ) -> Result<BookChanges, (usize, BookingError)> {
        let mut writes = Vec::new();
        let mut changes = BookChanges::default();
        let mut codes: Vec<BookingCode> = Vec::new();
        let mut next_id = self.last_appointment_id;
        let days: Vec<jiff::civil::Date> =
            imported.iter().map(|i| self.appointment_rules.day_of(i.starts_at)).collect();
        let file_days = days.iter().min().copied().zip(days.iter().max().copied());
        let in_file: std::collections::HashSet<String> = imported.iter().map(|i| i.uid.clone()).collect();
        for item in imported {
            let line = item.line;
            let at_line = |e: BookingError| (line, e);
            if item.cancelled {
                match self.book.by_uid(&item.uid).cloned() {
                    Some(known) if cancellable_by_file(&known) => {
                        changes.cancelled += 1;
                        writes.push(self.cancelled(known));
                    }
                    _ => changes.unchanged += 1,
                }
                continue;
            }
            let new = NewAppointment {
                starts_at: item.starts_at,
                service: item.service,
                desk: item.desk,
                language: item.language,
                name: item.name,
            };
            match self.book.by_uid(&item.uid).cloned() {
                Some(known) => {
                    let write = self.merge(known, new, false).map_err(at_line)?;
                    match write {
                        Some(w) => {
                            changes.moved += 1;
                            writes.push(w);
                        }
                        None => changes.unchanged += 1,
                    }
                }
                None if self.starts_in_past(new.starts_at) => changes.past += 1,
                None => {
                    let mut draw = || loop {
                        let code = BookingCode::random();
                        if !codes.contains(&code) {
                            return code;
                        }
                    };
                    let code = self.book.free_code(&mut draw).map_err(|e| at_line(e.into()))?;
                    codes.push(code);
                    let checked = self.checked_new(new).map_err(at_line)?;
                    next_id += 1;
                    let appointment = self.appointment_from(
                        AppointmentId(next_id),
                        item.uid,
                        code,
                        checked,
                        AppointmentSource::File,
                    );
                    changes.booked += 1;
                    writes.push(self.event(AppointmentEventKind::Booked, appointment));
                }
            }
        }
        if let Some((first, last)) = file_days {
            let rules = &self.appointment_rules;
            let missing: Vec<Appointment> = self
                .book
                .all()
                .into_iter()
                .filter(|a| cancellable_by_file(a) && !in_file.contains(&a.uid))
                .filter(|a| (first..=last).contains(&rules.day_of(a.starts_at)))
                .cloned()
                .collect();
            for known in missing {
                changes.cancelled += 1;
                writes.push(self.cancelled(known));
            }
        }
        self.commit_book(writes).map_err(|e| (0, e.into()))?;
        self.last_appointment_id = self.last_appointment_id.max(next_id);
        Ok(changes)
    }

    /// The write that cancels `appointment`, with its event.
    fn cancelled(&self, mut appointment: Appointment) -> AppointmentWrite {
        appointment.state = AppointmentState::Cancelled;
        self.event(AppointmentEventKind::Cancelled, appointment)
    }

    /// The central system's plan for this kiosk: its appointments booked, moved or cancelled
    /// to match (by uid), with the codes the central system drew. Appointments already checked
    /// in or over are left as they are. Returns what changed.
    pub fn apply_central_plan(&mut self, plan: Vec<CentralAppointment>) -> Result<BookChanges, BookingError> {
        let mut writes = Vec::new();
        let mut changes = BookChanges::default();
        let mut next_id = self.last_appointment_id;
        for planned in plan {
            let code = BookingCode::parse(&planned.code)
                .ok_or_else(|| AppointmentError::BadCode(planned.code.clone()))?;
            let new = NewAppointment {
                starts_at: planned.starts_at,
                service: planned.service,
                desk: planned.desk,
                language: planned.language,
                name: None,
            };
            match self.book.by_uid(&planned.uid).cloned() {
                Some(known) if known.state != AppointmentState::Expected => changes.unchanged += 1,
                Some(mut known) if planned.cancelled => {
                    known.state = AppointmentState::Cancelled;
                    changes.cancelled += 1;
                    writes.push(self.event(AppointmentEventKind::Cancelled, known));
                }
                Some(mut known) => {
                    let recoded = known.code != code;
                    known.code = code;
                    match self.merge(known.clone(), new, true)? {
                        Some(w) => {
                            changes.moved += 1;
                            writes.push(w);
                        }
                        None if recoded => {
                            changes.moved += 1;
                            writes.push(AppointmentWrite::Quiet(known));
                        }
                        None => changes.unchanged += 1,
                    }
                }
                None if planned.cancelled => changes.unchanged += 1,
                None if self.starts_in_past(new.starts_at) => changes.past += 1,
                None => {
                    if self.book.code_in_use(code, None)
                        || writes
                            .iter()
                            .any(|w| w.appointment().code == code && w.appointment().state.is_open())
                    {
                        return Err(AppointmentError::CodeTaken(code.to_string()).into());
                    }
                    let checked = self.checked_new(new)?;
                    next_id += 1;
                    let appointment = self.appointment_from(
                        AppointmentId(next_id),
                        planned.uid,
                        code,
                        checked,
                        AppointmentSource::Central,
                    );
                    changes.booked += 1;
                    writes.push(self.event(AppointmentEventKind::Booked, appointment));
                }
            }
        }
        self.commit_book(writes)?;
        self.last_appointment_id = self.last_appointment_id.max(next_id);
        Ok(changes)
    }

    /// A changed appointment from a file or the plan, as a move; `None` when nothing changed.
    fn merge(
        &self,
        known: Appointment,
        new: NewAppointment,
        from_central: bool,
    ) -> Result<Option<AppointmentWrite>, BookingError> {
        if known.state != AppointmentState::Expected {
            return Ok(None);
        }
        let new = self.checked_new(new)?;
        let mut moved = known.clone();
        moved.starts_at = new.starts_at;
        moved.service = new.service;
        moved.desk = new.desk;
        moved.language = new.language;
        if !from_central {
            moved.name = new.name;
        }
        if moved == known {
            return Ok(None);
        }
        Ok(Some(self.event(AppointmentEventKind::Moved, moved)))
    }

    fn new_appointment(
        &mut self,
        uid: String,
        code: BookingCode,
        new: NewAppointment,
        source: AppointmentSource,
    ) -> Result<Appointment, BookingError> {
        let new = self.checked_new(new)?;
        if source == AppointmentSource::Console && self.starts_in_past(new.starts_at) {
            return Err(AppointmentError::InThePast.into());
        }
        self.last_appointment_id += 1;
        Ok(self.appointment_from(AppointmentId(self.last_appointment_id), uid, code, new, source))
    }

    fn appointment_from(
        &self,
        id: AppointmentId,
        uid: String,
        code: BookingCode,
        new: NewAppointment,
        source: AppointmentSource,
    ) -> Appointment {
        Appointment {
            id,
            uid,
            code,
            starts_at: new.starts_at,
            service: new.service,
            desk: new.desk,
            language: new.language,
            name: new.name,
            source,
            state: AppointmentState::Expected,
            ticket: None,
            checked_in_at: None,
        }
    }

    /// A new appointment's values, checked against the config; the name trimmed.
    fn checked_new(&self, mut new: NewAppointment) -> Result<NewAppointment, BookingError> {
        if !self.appointment_rules.enabled {
            return Err(AppointmentError::Disabled.into());
        }
        self.check_place(&new.service, new.desk.as_deref())?;
        if let Some(language) = &new.language
            && crate::languages::language(language).is_none()
        {
            return Err(AppointmentError::UnknownLanguage(language.clone()).into());
        }
        new.name = crate::appointment::check_name(&self.appointment_rules, new.name.as_deref())?;
        Ok(new)
    }

    fn check_place(&self, service: &str, desk: Option<&str>) -> Result<(), AppointmentError> {
        let rules = self.queue.rules();
        if !rules.services.iter().any(|s| s.id == service) {
            return Err(AppointmentError::UnknownService(service.to_owned()));
        }
        if let Some(desk) = desk {
            let rule = rules
                .desks
                .iter()
                .find(|d| d.id == desk)
                .ok_or_else(|| AppointmentError::UnknownDesk(desk.to_owned()))?;
            if !rule.services.iter().any(|s| s == service) {
                return Err(AppointmentError::NotServedByDesk {
                    desk: desk.to_owned(),
                    service: service.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// An expected appointment by id (the only kind staff may move or cancel).
    fn expected(&self, id: AppointmentId) -> Result<Appointment, BookingError> {
        if !self.appointment_rules.enabled {
            return Err(AppointmentError::Disabled.into());
        }
        let appointment = self.appointment(id)?.ok_or(AppointmentError::UnknownAppointment(id.0))?;
        if appointment.state != AppointmentState::Expected {
            return Err(AppointmentError::Closed(appointment.state.name()).into());
        }
        Ok(appointment)
    }

    /// Whether a moment's call window has already ended at the help point's clock.
    fn starts_in_past(&self, starts_at: jiff::Timestamp) -> bool {
        starts_at.saturating_add(self.appointment_rules.call_window).unwrap_or(starts_at) < self.clock.now()
    }

    fn is_past(&self, appointment: &Appointment) -> bool {
        self.starts_in_past(appointment.starts_at)
    }

    fn event(&self, kind: AppointmentEventKind, appointment: Appointment) -> AppointmentWrite {
        AppointmentWrite::Event(AppointmentEvent { at: self.clock.now(), kind, appointment })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn open(clock: Arc<ManualClock>) -> HelpPoint {
        let config = Config::sample();
        HelpPoint::open(queue_rules(&config), Store::open_in_memory().unwrap(), clock).unwrap()
    }

    fn morning() -> Arc<ManualClock> {
        Arc::new(ManualClock::new("2026-11-30T08:30:00Z".parse().unwrap()))
    }

    #[test]
    fn a_taken_ticket_is_stored_with_its_language_before_it_is_returned() {
        let mut hp = open(morning());
        let issued = hp.take_ticket("email", "ar").unwrap();
        assert_eq!(issued.ticket.code(), "E-001");
        assert_eq!(issued.position.people_ahead, 0);
        let stored = hp.store().ticket(issued.ticket.id).unwrap().unwrap();
        assert_eq!(stored, issued.ticket);
        assert_eq!(stored.language, "ar");
    }

    #[test]
    fn a_refused_action_changes_nothing() {
        let mut hp = open(morning());
        assert!(matches!(
            hp.take_ticket("fax", "nl"),
            Err(ActionError::Queue(QueueError::UnknownService(_)))
        ));
        assert_eq!(hp.store().ticket_count().unwrap(), 0);
        assert_eq!(hp.store().outbox_backlog().unwrap(), 0);
    }

    #[test]
    fn listeners_hear_committed_changes_only() {
        let mut hp = open(morning());
        let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = heard.clone();
        hp.listen(Box::new(move |events| log.lock().unwrap().extend(events.iter().map(|e| e.kind.name()))));
        hp.take_ticket("email", "nl").unwrap();
        assert!(hp.take_ticket("fax", "nl").is_err());
        assert!(hp.call_next("desk-2").is_err(), "desk-2 does not serve e-mail");
        hp.call_next("desk-1").unwrap();
        assert_eq!(*heard.lock().unwrap(), ["ticket_issued", "ticket_called"]);
    }

    #[test]
    fn people_ahead_grow_and_calls_shrink_them() {
        let clock = morning();
        let mut hp = open(clock.clone());
        hp.take_ticket("email", "nl").unwrap();
        clock.advance(SignedDuration::from_mins(1));
        let second = hp.take_ticket("email", "fr").unwrap();
        assert_eq!(second.position.people_ahead, 1);
        let desk = &Config::sample()
            .desks
            .iter()
            .find(|d| d.services.iter().any(|s| s == "email"))
            .unwrap()
            .id
            .clone();
        hp.call_next(desk).unwrap();
        assert_eq!(hp.queue().position(second.ticket.id).unwrap().people_ahead, 0);
        assert_eq!(hp.queue().recent_calls(3)[0].code, "E-001");
    }

    fn exercise(
        id: &str,
        ending: crate::screening::ItemEnding,
        hint_level: u8,
    ) -> crate::screening::ItemResult {
        crate::screening::ItemResult {
            item_id: id.into(),
            version: 1,
            digcomp: vec!["2.1".into()],
            digcomp_version: "2.2".into(),
            ending,
            steps: vec![crate::screening::StepResult {
                step_id: "s01".into(),
                done: true,
                wrong_taps: 0,
                risky_taps: 0,
                hint_level,
                time_ms: 9_000,
                first_action_ms: Some(2_000),
            }],
            duration_ms: 9_000,
        }
    }

    fn screening_run(hp: &HelpPoint) -> ScreeningRun {
        use crate::screening::ItemEnding::{Completed, NotReached};
        ScreeningRun {
            language: "ar".into(),
            instructions_language: None,
            started_at: hp.now(),
            ended_at: hp.now(),
            finished: false,
            items: vec![
                exercise("x01-touch-warmup", Completed, 0),
                exercise("x02-find-the-app", Completed, 2),
                exercise("x04-mail-reply", NotReached, 0),
            ],
        }
    }

    #[test]
    fn a_recorded_screening_has_a_code_its_levels_and_its_statements() {
        let mut hp = open(morning());
        let mut config = Config::sample();
        config.site.kiosk_id = "onthaal-7".into();
        hp.set_learning_rules(learning_rules(&config));
        let record = hp.record_screening(screening_run(&hp)).unwrap();
        assert_eq!(crate::screening::normalize_code(&record.code).as_deref(), Some(record.code.as_str()));
        let levels: Vec<Level> = record.items.iter().map(|(_, l)| *l).collect();
        assert_eq!(levels, [Level::OnOwn, Level::WithHelp, Level::NotYet]);
        assert_eq!(record.competences, [("2.1".into(), Level::WithHelp)]);
        assert_eq!(record.referral.outcome, "group-session", "the sample rules");

        let detail = hp.store().screening_by_code(&record.code.to_lowercase()).unwrap().unwrap();
        assert_eq!(detail.code, record.code);
        assert_eq!(detail.referral, record.referral);
        assert_eq!(detail.competences, record.competences);

        let rows = hp.store().outbox(10).unwrap();
        assert_eq!(rows.len(), 3, "two answered (one not reached) and the screening");
        for (_, _, kind, body) in &rows {
            assert_eq!(kind, "xapi_statement");
            let json: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(json["actor"]["account"]["name"], record.code.as_str());
            let kiosk = &json["context"]["extensions"]["https://loket.invalid/xapi/ext/kiosk_id"];
            assert_eq!(kiosk, "onthaal-7");
        }
    }

    #[test]
    fn each_screening_gets_its_own_code() {
        let mut hp = open(morning());
        let codes: std::collections::BTreeSet<String> =
            (0..50).map(|_| hp.record_screening(screening_run(&hp)).unwrap().code).collect();
        assert_eq!(codes.len(), 50);
    }

    #[test]
    fn a_taken_code_is_drawn_again() {
        let mut hp = open(morning());
        let first = hp.record_screening(screening_run(&hp)).unwrap();
        let mut codes = vec!["MMM-MMM".to_owned(), first.code.clone()];
        let mut draw = || codes.pop().unwrap();
        let second = hp.record_screening_drawing(screening_run(&hp), &mut draw).unwrap();
        assert_eq!(second.code, "MMM-MMM");
        let mut always_taken = || first.code.clone();
        let err = hp.record_screening_drawing(screening_run(&hp), &mut always_taken).unwrap_err();
        assert!(matches!(err, StoreError::NoFreeCode(20)), "{err}");
        assert_eq!(hp.store().outbox_backlog().unwrap(), 6, "two screenings of three statements");
    }

    #[test]
    fn the_referral_follows_the_rules_it_was_given() {
        let mut hp = open(morning());
        let mut rules = learning_rules(&Config::sample());
        rules.referral = vec![ReferralRule {
            outcome: "anyone".into(),
            label: "Iedereen".into(),
            ..ReferralRule::default()
        }];
        hp.set_learning_rules(rules);
        assert_eq!(hp.record_screening(screening_run(&hp)).unwrap().referral.outcome, "anyone");
    }

    #[test]
    fn tutorials_and_screenings_count_for_today() {
        let clock = morning();
        let mut hp = open(clock.clone());
        let run = TutorialRun {
            tutorial_id: "t01-touchscreen".into(),
            version: 1,
            digcomp: vec!["5.2".into()],
            language: "ti".into(),
            instructions_language: None,
            started_at: hp.now(),
            ended_at: hp.now(),
            completed: true,
            steps_done: 5,
            steps_total: 5,
            hints: 0,
            wrong_taps: 1,
        };
        hp.record_tutorial(run.clone()).unwrap();
        hp.record_screening(screening_run(&hp)).unwrap();
        assert_eq!(hp.learning_today().unwrap(), (1, 1));
        let rows = hp.store().outbox(10).unwrap();
        let tutorial: serde_json::Value = serde_json::from_str(&rows[0].3).unwrap();
        assert_eq!(tutorial["object"]["id"], "https://loket.invalid/xapi/tutorial/t01-touchscreen");
        clock.advance(SignedDuration::from_hours(24));
        assert_eq!(hp.learning_today().unwrap(), (0, 0));
    }

    mod appointments {
        use super::*;
        use crate::appointment::{AppointmentRules, NewAppointment};

        /// A help point with appointments on (the sample's), at 08:30 UTC (09:30 in Brussels).
        fn booking(clock: Arc<ManualClock>) -> HelpPoint {
            let mut hp = open(clock);
            hp.set_appointment_rules(appointment_rules(&Config::sample()));
            hp
        }

        fn new_at(minutes_from_now: i64, hp: &HelpPoint, desk: Option<&str>) -> NewAppointment {
            NewAppointment {
                starts_at: hp.now() + SignedDuration::from_mins(minutes_from_now),
                service: "appointment".into(),
                desk: desk.map(str::to_owned),
                language: Some("ar".into()),
                name: None,
            }
        }

        fn outbox_kinds(hp: &HelpPoint) -> Vec<String> {
            hp.store().outbox(100).unwrap().into_iter().map(|(_, _, kind, _)| kind).collect()
        }

        fn outbox_body(hp: &HelpPoint, kind: &str) -> serde_json::Value {
            let rows = hp.store().outbox(100).unwrap();
            let (_, _, _, body) = rows.iter().rev().find(|(_, _, k, _)| k == kind).unwrap();
            serde_json::from_str(body).unwrap()
        }

        #[test]
        fn booking_is_refused_while_appointments_are_off() {
            let mut hp = open(morning());
            let new = new_at(30, &hp, None);
            assert!(matches!(
                hp.book(new, AppointmentSource::Console),
                Err(BookingError::Appointment(AppointmentError::Disabled))
            ));
            assert_eq!(hp.check_in("123456", "nl"), Err(CheckInRefusal::Unknown));
        }

        #[test]
        fn a_check_in_gives_an_appointment_ticket_and_is_reported_without_a_name() {
            let clock = morning();
            let mut hp = booking(clock.clone());
            let booked = hp.book(new_at(30, &hp, Some("desk-1")), AppointmentSource::Console).unwrap();
            clock.advance(SignedDuration::from_mins(25));
            let checked = hp.check_in(&booked.code.scan_payload(), "ar").unwrap();
            assert_eq!((checked.starts_at, checked.desk.as_deref()), (booked.starts_at, Some("desk-1")));
            let ticket = &checked.issued.ticket;
            assert_eq!(ticket.appointment.as_ref().unwrap().starts_at, booked.starts_at);
            assert_eq!(ticket.language, "ar");
            let stored = hp.store().appointment(booked.id).unwrap().unwrap();
            assert_eq!(stored.state, AppointmentState::CheckedIn { ticket: ticket.id });
            assert_eq!(hp.store().ticket(ticket.id).unwrap().unwrap(), *ticket, "the mark is stored");
            assert_eq!(outbox_kinds(&hp), ["appointment_booked", "appointment_checked_in", "ticket_issued"]);
            let body = outbox_body(&hp, "appointment_checked_in");
            assert_eq!(body["uid"], booked.uid.as_str());
            assert_eq!(body["ticket"], ticket.code().as_str());
            assert_eq!(body["late_minutes"], 0);
            let issued = outbox_body(&hp, "ticket_issued");
            assert_eq!(issued["appointment_uid"], booked.uid.as_str());
        }

        #[test]
        fn a_walk_in_is_told_the_wait_behind_the_appointments_still_expected() {
            let with_booking = {
                let mut hp = booking(morning());
                hp.book(new_at(5, &hp, None), AppointmentSource::Console).unwrap();
                hp.book(new_at(10, &hp, None), AppointmentSource::Console).unwrap();
                (0..4).for_each(|_| drop(hp.take_ticket("appointment", "nl").unwrap()));
                hp.take_ticket("appointment", "nl").unwrap().position
            };
            let without = {
                let mut hp = booking(morning());
                (0..4).for_each(|_| drop(hp.take_ticket("appointment", "nl").unwrap()));
                hp.take_ticket("appointment", "nl").unwrap().position
            };
            let (with, without) = (with_booking.wait.unwrap(), without.wait.unwrap());
            assert!(
                with.high_minutes > without.high_minutes,
                "two appointments due before the walk-in make the wait longer: {with:?} vs {without:?}"
            );
        }

        #[test]
        fn a_code_checks_in_once() {
            let clock = morning();
            let mut hp = booking(clock.clone());
            let booked = hp.book(new_at(10, &hp, None), AppointmentSource::Console).unwrap();
            hp.check_in(&booked.code.digits(), "nl").unwrap();
            assert_eq!(hp.check_in(&booked.code.to_string(), "nl"), Err(CheckInRefusal::AlreadyUsed));
            assert_eq!(hp.queue().waiting().count(), 1);
        }

        #[test]
        fn a_cancelled_appointment_does_not_check_in() {
            let mut hp = booking(morning());
            let booked = hp.book(new_at(10, &hp, None), AppointmentSource::Console).unwrap();
            hp.cancel_appointment(booked.id).unwrap();
            assert_eq!(hp.check_in(&booked.code.digits(), "nl"), Err(CheckInRefusal::Cancelled));
            assert!(matches!(
                hp.cancel_appointment(booked.id),
                Err(BookingError::Appointment(AppointmentError::Closed("cancelled")))
            ));
        }

        #[test]
        fn too_early_says_when_check_in_opens() {
            let mut hp = booking(morning());
            let booked = hp.book(new_at(45, &hp, None), AppointmentSource::Console).unwrap();
            let opens_at = booked.starts_at - SignedDuration::from_mins(30);
            assert_eq!(hp.check_in(&booked.code.digits(), "nl"), Err(CheckInRefusal::TooEarly { opens_at }));
        }

        #[test]
        fn the_checked_in_visitor_is_called_first_and_the_appointment_follows_the_ticket() {
            let clock = morning();
            let mut hp = booking(clock.clone());
            hp.take_ticket("email", "nl").unwrap();
            let booked = hp.book(new_at(5, &hp, Some("desk-1")), AppointmentSource::Console).unwrap();
            hp.check_in(&booked.code.digits(), "nl").unwrap();
            clock.advance(SignedDuration::from_mins(5));
            let events = hp.call_next("desk-1").unwrap();
            let called = events.iter().find_map(|e| e.kind.ticket()).unwrap();
            assert!(called.appointment.is_some(), "the appointment before the walk-in");
            assert_eq!(hp.appointment(booked.id).unwrap().unwrap().state, AppointmentState::Called);
            assert_eq!(outbox_body(&hp, "ticket_called")["appointment_uid"], booked.uid.as_str());
            clock.advance(SignedDuration::from_mins(20));
            hp.served("desk-1", None).unwrap();
            assert_eq!(hp.store().appointment(booked.id).unwrap().unwrap().state, AppointmentState::Served);
        }

        #[test]
        fn late_under_the_walk_in_policy_joins_the_walk_ins() {
            let clock = morning();
            let mut hp = booking(clock.clone());
            let mut rules = appointment_rules(&Config::sample());
            rules.late_policy = crate::appointment::LatePolicy::WalkIn;
            hp.set_appointment_rules(rules);
            let booked = hp.book(new_at(5, &hp, None), AppointmentSource::Console).unwrap();
            clock.advance(SignedDuration::from_mins(25));
            let checked = hp.check_in(&booked.code.digits(), "nl").unwrap();
            assert!(checked.issued.ticket.appointment.is_none());
            assert_eq!(outbox_body(&hp, "appointment_checked_in")["late_minutes"], 20);
        }

        #[test]
        fn a_no_show_is_recorded_at_the_end_of_the_window_by_the_timer() {
            let clock = morning();
            let mut hp = booking(clock.clone());
            let booked = hp.book(new_at(10, &hp, None), AppointmentSource::Console).unwrap();
            clock.advance(SignedDuration::from_mins(40));
            hp.roll_over().unwrap();
            assert_eq!(hp.appointment(booked.id).unwrap().unwrap().state, AppointmentState::Expected);
            clock.advance(SignedDuration::from_mins(1));
            hp.roll_over().unwrap();
            assert_eq!(hp.store().appointment(booked.id).unwrap().unwrap().state, AppointmentState::NoShow);
            assert_eq!(outbox_kinds(&hp).last().unwrap(), "appointment_no_show");
            assert_eq!(hp.check_in(&booked.code.digits(), "nl"), Err(CheckInRefusal::TooLate));
        }

        #[test]
        fn wrong_codes_slow_the_kiosk_down_but_right_ones_before_do_not_count() {
            let mut hp = booking(morning());
            let booked = hp.book(new_at(10, &hp, None), AppointmentSource::Console).unwrap();
            let wrong = if booked.code.digits() == "000000" { "000001" } else { "000000" };
            for _ in 0..5 {
                assert_eq!(hp.check_in(wrong, "nl"), Err(CheckInRefusal::Unknown));
            }
            assert!(matches!(hp.check_in(&booked.code.digits(), "nl"), Err(CheckInRefusal::SlowDown { .. })));
        }

        #[test]
        fn appointments_and_their_tickets_survive_a_restart() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("loket.sqlite");
            let clock = morning();
            let config = Config::sample();
            let reopen = |clock: Arc<ManualClock>| {
                let mut hp =
                    HelpPoint::open(queue_rules(&config), Store::open(&path).unwrap(), clock).unwrap();
                hp.set_appointment_rules(appointment_rules(&config));
                hp
            };
            let mut hp = reopen(clock.clone());
            let first = hp.book(new_at(10, &hp, Some("desk-1")), AppointmentSource::Console).unwrap();
            let second = hp.book(new_at(60, &hp, None), AppointmentSource::Console).unwrap();
            let ticket = hp.check_in(&first.code.digits(), "nl").unwrap().issued.ticket;
            drop(hp);
            let mut hp = reopen(clock.clone());
            assert_eq!(hp.queue().ticket(ticket.id).unwrap().appointment, ticket.appointment);
            assert_eq!(hp.check_in(&first.code.digits(), "nl"), Err(CheckInRefusal::AlreadyUsed));
            clock.advance(SignedDuration::from_mins(40));
            assert!(hp.check_in(&second.code.digits(), "nl").is_ok(), "the second is still known");
            let third = hp.book(new_at(60, &hp, None), AppointmentSource::Console).unwrap();
            assert!(third.id > second.id, "ids keep growing across restarts");
        }

        #[test]
        fn at_midnight_names_go_and_later_days_stay() {
            let clock = morning();
            let mut hp = booking(clock.clone());
            let mut rules: AppointmentRules = appointment_rules(&Config::sample());
            rules.names = true;
            hp.set_appointment_rules(rules);
            let mut today = new_at(60, &hp, None);
            today.name = Some("Ann Peeters".into());
            let today = hp.book(today, AppointmentSource::Console).unwrap();
            let mut tomorrow = new_at(24 * 60, &hp, None);
            tomorrow.name = Some("Omar".into());
            let tomorrow = hp.book(tomorrow, AppointmentSource::Console).unwrap();
            assert_eq!(
                hp.store().appointment(today.id).unwrap().unwrap().name.as_deref(),
                Some("Ann Peeters")
            );
            clock.advance(SignedDuration::from_hours(16));
            hp.roll_over().unwrap();
            let gone = hp.store().appointment(today.id).unwrap().unwrap();
            assert_eq!((gone.name, gone.state), (None, AppointmentState::NoShow));
            let kept = hp.appointment(tomorrow.id).unwrap().unwrap();
            assert_eq!((kept.name.as_deref(), kept.state), (Some("Omar"), AppointmentState::Expected));
            clock.advance(SignedDuration::from_hours(8));
            assert!(hp.check_in(&tomorrow.code.digits(), "nl").is_ok());
        }

        #[test]
        fn a_move_keeps_the_code_and_is_reported() {
            let mut hp = booking(morning());
            let booked = hp.book(new_at(60, &hp, None), AppointmentSource::Console).unwrap();
            let later = booked.starts_at + SignedDuration::from_mins(30);
            let change = AppointmentMove {
                starts_at: Some(later),
                desk: Some(Some("desk-1".into())),
                ..Default::default()
            };
            let moved = hp.move_appointment(booked.id, change).unwrap();
            assert_eq!(
                (moved.code, moved.starts_at, moved.desk.as_deref()),
                (booked.code, later, Some("desk-1"))
            );
            assert_eq!(outbox_body(&hp, "appointment_moved")["starts_at"], later.to_string());
            let bad = AppointmentMove { desk: Some(Some("desk-2".into())), ..Default::default() };
            assert!(matches!(
                hp.move_appointment(booked.id, bad),
                Err(BookingError::Appointment(AppointmentError::NotServedByDesk { .. }))
            ));
        }

        #[test]
        fn an_import_books_new_uids_moves_known_ones_and_refuses_a_bad_file_whole() {
            let mut hp = booking(morning());
            let now = hp.now();
            let item = |uid: &str, minutes: i64, service: &str, line: usize| ImportedAppointment {
                uid: uid.into(),
                starts_at: now + SignedDuration::from_mins(minutes),
                service: service.into(),
                desk: None,
                language: None,
                name: None,
                line,
                cancelled: false,
            };
            let file = vec![item("a@cal", 60, "email", 3), item("b@cal", 90, "email", 9)];
            let changes = hp.import_appointments(file.clone()).unwrap();
            assert_eq!((changes.booked, changes.moved), (2, 0));
            assert_eq!(
                hp.import_appointments(file).unwrap().unchanged,
                2,
                "the same file twice changes nothing"
            );
            let broken = vec![item("c@cal", 60, "email", 2), item("d@cal", 70, "fax", 5)];
            let (line, error) = hp.import_appointments(broken).unwrap_err();
            assert_eq!(line, 5);
            assert!(error.to_string().contains("fax"), "{error}");
            let day = hp.appointment_rules().day_of(hp.now());
            assert_eq!(hp.appointments_on(day, None).unwrap().len(), 2, "nothing of the broken file");
            let moved = hp.import_appointments(vec![item("a@cal", 75, "email", 3)]).unwrap();
            assert_eq!(moved.moved, 1);
        }

        #[test]
        fn a_new_import_cancels_the_files_appointments_it_no_longer_has_or_marks_cancelled() {
            let clock = morning();
            let mut hp = booking(clock.clone());
            let now = hp.now();
            let item = |uid: &str, minutes: i64, cancelled: bool| ImportedAppointment {
                uid: uid.into(),
                starts_at: now + SignedDuration::from_mins(minutes),
                service: "email".into(),
                desk: None,
                language: None,
                name: None,
                line: 2,
                cancelled,
            };
            let next_week = 7 * 24 * 60;
            let first = vec![item("a", 20, false), item("b", 90, false), item("c", 120, false)];
            let tomorrow = vec![item("t", 24 * 60, false), item("w", next_week, false)];
            assert_eq!(hp.import_appointments(first).unwrap().booked, 3);
            assert_eq!(hp.import_appointments(tomorrow).unwrap().booked, 2);
            let console = hp.book(new_at(100, &hp, None), AppointmentSource::Console).unwrap();
            let code_of = |hp: &HelpPoint, uid: &str| hp.book.by_uid(uid).unwrap().code.scan_payload();
            let a_code = code_of(&hp, "a");
            hp.check_in(&a_code, "nl").unwrap();
            // Today's file again: "a" is checked in, "b" is gone, "c" is cancelled in it.
            let again = vec![item("c", 120, true), item("d", 150, false)];
            let changes = hp.import_appointments(again).unwrap();
            assert_eq!((changes.booked, changes.cancelled), (1, 2), "{changes:?}");
            let state = |hp: &HelpPoint, uid: &str| hp.book.by_uid(uid).unwrap().state;
            assert_eq!(state(&hp, "b"), AppointmentState::Cancelled);
            assert_eq!(state(&hp, "c"), AppointmentState::Cancelled);
            assert!(matches!(state(&hp, "a"), AppointmentState::CheckedIn { .. }), "checked in: kept");
            assert_eq!(state(&hp, "t"), AppointmentState::Expected, "tomorrow is not in the file's days");
            assert_eq!(state(&hp, "w"), AppointmentState::Expected);
            assert_eq!(hp.appointment(console.id).unwrap().unwrap().state, AppointmentState::Expected);
            let b_code = code_of(&hp, "b");
            assert_eq!(hp.check_in(&b_code, "nl"), Err(CheckInRefusal::Cancelled));
            let kinds = outbox_kinds(&hp);
            assert_eq!(kinds.iter().filter(|k| *k == "appointment_cancelled").count(), 2, "{kinds:?}");
            let stored = hp.store().appointment(hp.book.by_uid("c").unwrap().id).unwrap().unwrap();
            assert_eq!(stored.state, AppointmentState::Cancelled, "the cancellation is stored");
            // Cancelled ones again, and one the kiosk never knew: nothing more to cancel.
            let repeat = vec![item("c", 120, true), item("x", 130, true), item("d", 150, false)];
            let changes = hp.import_appointments(repeat).unwrap();
            assert_eq!((changes.cancelled, changes.booked, changes.unchanged), (0, 0, 3), "{changes:?}");
            assert!(hp.book.by_uid("x").is_none(), "a cancelled event is never booked");
        }

        #[test]
        fn the_central_plan_books_moves_and_cancels_by_uid() {
            let mut hp = booking(morning());
            let now = hp.now();
            let planned = |uid: &str, code: &str, minutes: i64, cancelled: bool| CentralAppointment {
                uid: uid.into(),
                code: code.into(),
                starts_at: now + SignedDuration::from_mins(minutes),
                service: "appointment".into(),
                desk: None,
                language: Some("fr".into()),
                cancelled,
            };
            let plan = vec![planned("u1", "111111", 10, false), planned("u2", "222222", 60, false)];
            assert_eq!(hp.apply_central_plan(plan.clone()).unwrap().booked, 2);
            assert_eq!(hp.apply_central_plan(plan).unwrap().unchanged, 2);
            let changes = hp
                .apply_central_plan(vec![
                    planned("u1", "111111", 20, false),
                    planned("u2", "222222", 60, true),
                ])
                .unwrap();
            assert_eq!((changes.moved, changes.cancelled), (1, 1));
            assert_eq!(hp.check_in("222222", "nl"), Err(CheckInRefusal::Cancelled));
            assert!(hp.check_in("111 111", "nl").is_ok());
            let taken = hp.apply_central_plan(vec![planned("u3", "111111", 30, false)]);
            assert!(matches!(taken, Err(BookingError::Appointment(AppointmentError::CodeTaken(_)))));
        }

        #[test]
        fn a_desk_sees_its_own_appointments_and_those_of_no_desk_it_can_serve() {
            let mut hp = booking(morning());
            let mine = hp.book(new_at(10, &hp, Some("desk-1")), AppointmentSource::Console).unwrap();
            let anyone = hp.book(new_at(20, &hp, None), AppointmentSource::Console).unwrap();
            let mut tablet = new_at(30, &hp, Some("desk-2"));
            tablet.service = "tablet".into();
            hp.book(tablet, AppointmentSource::Console).unwrap();
            let day = hp.appointment_rules().day_of(hp.now());
            let ids: Vec<_> = hp.appointments_on(day, Some("desk-1")).unwrap().iter().map(|a| a.id).collect();
            assert_eq!(ids, [mine.id, anyone.id]);
            assert_eq!(hp.appointments_on(day, None).unwrap().len(), 3);
        }
    }
}
