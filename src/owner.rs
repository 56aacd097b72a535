//! The one owner of the help point: a thread that holds the [`HelpPoint`] (the queue, its store
//! and the learning records) and does the commands everyone else sends it, one at a time, in
//! the order they came.
//!
//! Nobody else touches the help point. The screens, the web server, the desk buttons and lamps,
//! the announcer, the reporter and the nightly tidy-up hold a [`HelpPointHandle`] and
//! - send a command and wait for its answer: [`HelpPointHandle::run`] on a plain thread,
//!   [`HelpPointHandle::ask`] in async code;
//! - send a command and hear its answer later, on the owner's thread, without waiting:
//!   [`HelpPointHandle::then`] (the UI thread hands the answer on to its event loop, so it never
//!   waits for the disk);
//! - read the queue as it was last committed, at once: [`HelpPointHandle::queue`];
//! - subscribe to every committed change: [`HelpPointHandle::subscribe`];
//! - read what keeps it from giving tickets (a store that cannot write, the printer), at once:
//!   [`HelpPointHandle::problems`].
//!
//! When no command has come for [`IDLE_CHECKPOINT`] and something was committed, the owner
//! checkpoints the store (PASSIVE), so a quiet kiosk keeps its write-ahead log small.
//!
//! After each command the owner publishes the committed queue, then tells the subscribers, then
//! answers: whoever hears an answer or an event and then reads [`HelpPointHandle::queue`] sees
//! the change. "Committed before shown" stays true: an answer leaves the owner only after the
//! store's transaction.
//!
//! It must not do any work of its own; a command that panics is logged and answered with
//! [`Stopped`], and the owner goes on with the next one.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use crate::clock::Clock;
use crate::help_point::{HelpPoint, Listener};
use crate::queue::{Event, Queue};
use crate::store::Faults;

/// How long the help point is idle before its store is checkpointed.
pub const IDLE_CHECKPOINT: std::time::Duration = std::time::Duration::from_secs(60);

/// What a command leaves to do once its change is published: hand its answer on.
type Answer = Box<dyn FnOnce() + Send>;
/// A command: runs on the owner's thread with the help point, returns how to answer.
type Command = Box<dyn FnOnce(&mut HelpPoint) -> Answer + Send>;

enum Message {
    Command(Command),
    Subscribe(Listener),
    Stop,
}

/// The help point did not do the command: it has stopped (the kiosk is shutting down), or the
/// command failed unexpectedly (a bug; logged by the owner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the help point has stopped or the command failed; see the log")]
pub struct Stopped;

/// The committed queue, as last published by the owner. The lock is held only to swap or clone
/// an `Arc`, never while the disk is written.
struct Published(Mutex<Arc<Queue>>);

impl Published {
    fn get(&self) -> Arc<Queue> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, queue: Arc<Queue>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = queue;
    }
}

/// How everyone else reaches the help point. Cheap to clone; every clone talks to the same
/// owner.
#[derive(Clone)]
pub struct HelpPointHandle {
    messages: mpsc::Sender<Message>,
    published: Arc<Published>,
    clock: Arc<dyn Clock>,
    faults: Arc<Faults>,
}

impl HelpPointHandle {
    /// Does `f` on the owner's thread and waits for its result. Not for the UI thread.
    pub fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut HelpPoint) -> T + Send + 'static,
    ) -> Result<T, Stopped> {
        let (answer, answered) = mpsc::sync_channel(1);
        self.then(f, move |result| {
            let _ = answer.send(result);
        })?;
        answered.recv().map_err(|_| Stopped)
    }

    /// Does `f` on the owner's thread; the future ends with its result.
    pub async fn ask<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut HelpPoint) -> T + Send + 'static,
    ) -> Result<T, Stopped> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.then(f, move |result| {
            let _ = answer.send(result);
        })?;
        answered.await.map_err(|_| Stopped)
    }

    /// Does `f` on the owner's thread, then calls `answer` with its result there, once the
    /// change is published and the subscribers have heard it. Returns at once.
    pub fn then<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut HelpPoint) -> T + Send + 'static,
        answer: impl FnOnce(T) + Send + 'static,
    ) -> Result<(), Stopped> {
        let command: Command = Box::new(move |help_point| {
            let result = f(help_point);
            Box::new(move || answer(result))
        });
        self.messages.send(Message::Command(command)).map_err(|_| Stopped)
    }

    /// Does `f` on the owner's thread; nobody waits for it.
    pub fn send(&self, f: impl FnOnce(&mut HelpPoint) + Send + 'static) -> Result<(), Stopped> {
        self.then(f, |()| {})
    }

    /// Waits until the owner has done every command sent before this call.
    pub fn sync(&self) -> Result<(), Stopped> {
        self.run(|_| ())
    }

    /// From now on, `listener` hears every committed change, on the owner's thread, after the
    /// queue it changed is published. It must only hand the events on.
    pub fn subscribe(&self, listener: Listener) -> Result<(), Stopped> {
        self.messages.send(Message::Subscribe(listener)).map_err(|_| Stopped)
    }

    /// The queue as last committed. Never waits for the owner.
    pub fn queue(&self) -> Arc<Queue> {
        self.published.get()
    }

    /// The time on the help point's clock. Never waits for the owner.
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }

    /// What keeps the help point from storing or printing tickets now, in words (empty when
    /// all is well). Never waits for the owner.
    pub fn problems(&self) -> Vec<String> {
        self.faults.problems()
    }
}

/// The owner's thread. Dropping it (or [`HelpPointOwner::stop`]) lets it finish the commands
/// sent before, checkpoints the store and ends it; later commands get [`Stopped`].
pub struct HelpPointOwner {
    handle: HelpPointHandle,
    thread: Option<JoinHandle<HelpPoint>>,
}

impl HelpPointOwner {
    /// Moves `help_point` onto its own thread.
    pub fn start(mut help_point: HelpPoint) -> std::io::Result<HelpPointOwner> {
        let (messages, inbox) = mpsc::channel::<Message>();
        let published = Arc::new(Published(Mutex::new(help_point.shared_queue())));
        let clock = help_point.clock();
        let faults = help_point.store().faults();
        // The help point's own listener only collects; the owner tells the subscribers once the
        // queue is published.
        let committed: Arc<Mutex<Vec<Event>>> = Arc::default();
        let collect = committed.clone();
        help_point.listen(Box::new(move |events| {
            collect.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(events)
        }));
        let publish = published.clone();
        let thread = std::thread::Builder::new().name("help point".into()).spawn(move || {
            let mut subscribers: Vec<Listener> = Vec::new();
            loop {
                let message = match inbox.recv_timeout(IDLE_CHECKPOINT) {
                    Ok(message) => message,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        help_point.idle();
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                };
                match message {
                    Message::Command(command) => {
                        let answer = std::panic::catch_unwind(AssertUnwindSafe(|| command(&mut help_point)));
                        let events =
                            std::mem::take(&mut *committed.lock().unwrap_or_else(|e| e.into_inner()));
                        if !events.is_empty() {
                            publish.set(help_point.shared_queue());
                            for subscriber in &subscribers {
                                subscriber(&events);
                            }
                        }
                        match answer {
                            Ok(answer) => answer(),
                            // The answer's sender was dropped with the command: the caller
                            // hears `Stopped`.
                            Err(_) => log::error!("help point: a command panicked; carrying on"),
                        }
                    }
                    Message::Subscribe(listener) => subscribers.push(listener),
                    Message::Stop => break,
                }
            }
            help_point
        })?;
        Ok(HelpPointOwner {
            handle: HelpPointHandle { messages, published, clock, faults },
            thread: Some(thread),
        })
    }

    /// A handle to send commands with.
    pub fn handle(&self) -> HelpPointHandle {
        self.handle.clone()
    }

    /// Finishes the commands sent so far, ends the thread and gives the help point back.
    pub fn stop(mut self) -> Option<HelpPoint> {
        self.finish()
    }

    fn finish(&mut self) -> Option<HelpPoint> {
        let thread = self.thread.take()?;
        let _ = self.handle.messages.send(Message::Stop);
        match thread.join() {
            Ok(help_point) => {
                match help_point.store().checkpoint() {
                    Ok(()) => log::info!("store checkpointed"),
                    Err(e) => log::warn!("closing the store: {e}"),
                }
                Some(help_point)
            }
            Err(_) => {
                log::error!("help point: its thread panicked");
                None
            }
        }
    }
}

impl Drop for HelpPointOwner {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::config::Config;
    use crate::help_point::queue_rules;
    use crate::store::Store;

    fn owner() -> HelpPointOwner {
        let clock = Arc::new(ManualClock::new("2026-11-30T08:30:00Z".parse().unwrap()));
        let help_point =
            HelpPoint::open(queue_rules(&Config::sample()), Store::open_in_memory().unwrap(), clock).unwrap();
        HelpPointOwner::start(help_point).unwrap()
    }

    #[test]
    fn commands_are_done_in_order_and_answered() {
        let owner = owner();
        let hp = owner.handle();
        let first = hp.run(|hp| hp.take_ticket("email", "nl")).unwrap().unwrap();
        let second = hp.run(|hp| hp.take_ticket("email", "ar")).unwrap().unwrap();
        assert_eq!((first.ticket.code(), second.ticket.code()), ("E-001".into(), "E-002".into()));
        assert_eq!(second.position.people_ahead, 1);
    }

    #[test]
    fn the_published_queue_shows_a_change_before_its_answer_arrives() {
        let owner = owner();
        let hp = owner.handle();
        assert_eq!(hp.queue().tickets().count(), 0);
        let (seen, saw) = mpsc::channel();
        let reader = hp.clone();
        hp.then(
            |hp| hp.take_ticket("email", "nl").unwrap().ticket.id,
            move |id| {
                let _ = seen.send(reader.queue().ticket(id).is_some());
            },
        )
        .unwrap();
        assert!(saw.recv().unwrap(), "the answer comes after the queue is published");
    }

    #[test]
    fn subscribers_hear_committed_changes_once_and_after_publishing() {
        let owner = owner();
        let hp = owner.handle();
        let (heard, hearing) = mpsc::channel();
        let reader = hp.clone();
        hp.subscribe(Box::new(move |events| {
            for event in events {
                let _ = heard.send((event.kind.name(), reader.queue().tickets().count()));
            }
        }))
        .unwrap();
        hp.run(|hp| hp.take_ticket("email", "nl")).unwrap().unwrap();
        assert!(hp.run(|hp| hp.take_ticket("fax", "nl")).unwrap().is_err());
        hp.run(|hp| hp.call_next("desk-1")).unwrap().unwrap();
        hp.sync().unwrap();
        let heard: Vec<_> = hearing.try_iter().collect();
        assert_eq!(heard, [("ticket_issued", 1), ("ticket_called", 1)]);
        assert!(
            matches!(&hp.queue().recent_calls(1)[..], [call] if call.code == "E-001"),
            "the call is published"
        );
    }

    #[test]
    fn a_panicking_command_is_answered_as_failed_and_the_owner_carries_on() {
        let owner = owner();
        let hp = owner.handle();
        let failed: Result<(), Stopped> = hp.run(|_| panic!("a bug"));
        assert_eq!(failed, Err(Stopped));
        assert!(hp.run(|hp| hp.take_ticket("email", "nl")).unwrap().is_ok(), "the next command is done");
    }

    #[test]
    fn stopping_finishes_what_was_sent_and_refuses_the_rest() {
        let owner = owner();
        let hp = owner.handle();
        for _ in 0..20 {
            hp.send(|hp| {
                hp.take_ticket("email", "nl").unwrap();
            })
            .unwrap();
        }
        let help_point = owner.stop().unwrap();
        assert_eq!(help_point.store().ticket_count().unwrap(), 20, "every command sent before the stop");
        assert_eq!(hp.run(|_| ()), Err(Stopped));
        assert!(hp.send(|_| ()).is_err());
    }

    #[tokio::test]
    async fn async_callers_ask_without_blocking_a_worker() {
        let owner = owner();
        let hp = owner.handle();
        let issued = hp.ask(|hp| hp.take_ticket("email", "fr")).await.unwrap().unwrap();
        assert_eq!(issued.ticket.language, "fr");
    }
}
