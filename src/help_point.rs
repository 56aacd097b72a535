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
//! It must not know about screens, printers or the network: callers react to the returned
//! events. It is not shared: one thread owns it and does everyone's commands ([`crate::owner`]).

use std::sync::Arc;

use jiff::SignedDuration;

use crate::clock::Clock;
use crate::config::{Config, Learning};
use crate::queue::{DeskRule, Event, Position, Queue, QueueError, QueueRules, ServiceRule, Ticket, TicketId};
use crate::screening::{self, Level, ReferralRule, ScreeningRecord, ScreeningRun, TutorialRun};
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

/// The queue of a help point, kept in its store.
pub struct HelpPoint {
    /// Shared with readers as it was committed (see [`HelpPoint::shared_queue`]); a change
    /// works on a copy.
    queue: Arc<Queue>,
    store: Store,
    clock: Arc<dyn Clock>,
    listeners: Vec<Listener>,
    learning: LearningRules,
}

impl HelpPoint {
    /// Resumes the queue from the store; tickets left open from an earlier day expire now.
    pub fn open(rules: QueueRules, store: Store, clock: Arc<dyn Clock>) -> Result<HelpPoint, StoreError> {
        let snapshot = store.snapshot(rules.recent_services)?;
        let learning = LearningRules::defaults(rules.time_zone.clone());
        let mut help_point = HelpPoint {
            queue: Arc::new(Queue::resume(rules, snapshot)),
            store,
            clock,
            listeners: Vec::new(),
            learning,
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
        let position = self.queue.position(ticket.id)?;
        Ok(IssuedTicket { ticket, position })
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
        let now = self.clock.now();
        let mut next = Queue::clone(&self.queue);
        let mut events = next.roll_over(now);
        events.extend(change(&mut next, now)?);
        self.store.record(&events)?;
        self.queue = Arc::new(next);
        if !events.is_empty() {
            for listener in &self.listeners {
                listener(&events);
            }
        }
        Ok(events)
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
}
