//! How news from other threads (the help point's answers, the printer's results, committed
//! queue changes) reaches the screens: handed to the UI thread's event loop with
//! `slint::invoke_from_event_loop`, never polled by a timer.
//!
//! The news is plain data (`Send`); on the UI thread it is given to the kiosk it is meant for,
//! found by its number in a thread-local table, because the screens' state (`Rc`) never leaves
//! the UI thread. News for a kiosk that is gone is dropped.
//!
//! [`UiThread`] is the seam: [`SlintEventLoop`] in the kiosk, [`ManualUiThread`] in tests that
//! run Slint's headless backend without an event loop and hand the news over when they choose.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex};

/// A piece of work for the UI thread.
pub type Job = Box<dyn FnOnce() + Send>;

/// Runs jobs on the UI thread, in the order they were handed over.
pub trait UiThread: Send + Sync {
    fn run_later(&self, job: Job);
}

/// The real one: Slint's event loop.
pub struct SlintEventLoop;

impl UiThread for SlintEventLoop {
    fn run_later(&self, job: Job) {
        if let Err(e) = slint::invoke_from_event_loop(job) {
            // Only when the window has already closed (shutting down).
            log::debug!("news for the screens dropped: {e}");
        }
    }
}

/// Jobs kept until [`ManualUiThread::run_pending`] runs them on the calling thread: for tests
/// under Slint's headless backend, which has no event loop.
#[derive(Clone, Default)]
pub struct ManualUiThread(Arc<Mutex<VecDeque<Job>>>);

impl ManualUiThread {
    /// Runs the jobs handed over so far (and those they hand over); returns how many ran.
    pub fn run_pending(&self) -> usize {
        let mut ran = 0;
        loop {
            let job = self.0.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
            match job {
                Some(job) => {
                    job();
                    ran += 1;
                }
                None => return ran,
            }
        }
    }
}

impl UiThread for ManualUiThread {
    fn run_later(&self, job: Job) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push_back(job);
    }
}

/// How a kiosk's screens hear news: called on the UI thread with each piece.
pub type Hear = dyn Fn(super::News);

thread_local! {
    /// The kiosks wired on this (the UI) thread, by number.
    static KIOSKS: RefCell<HashMap<u64, Weak<Hear>>> = RefCell::new(HashMap::new());
}

static NEXT_KIOSK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Where news for one kiosk goes; cheap to clone and to send to other threads.
#[derive(Clone)]
pub struct Inbox {
    kiosk: u64,
    ui: Arc<dyn UiThread>,
}

impl Inbox {
    /// Registers `hear` (called on this thread with each piece of news) as a new kiosk. The
    /// kiosk hears news as long as the returned `Rc` lives.
    pub fn open(ui: Arc<dyn UiThread>, hear: Rc<Hear>) -> Inbox {
        let kiosk = NEXT_KIOSK.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        KIOSKS.with(|kiosks| {
            let mut kiosks = kiosks.borrow_mut();
            kiosks.retain(|_, k| k.strong_count() > 0);
            kiosks.insert(kiosk, Rc::downgrade(&hear));
        });
        Inbox { kiosk, ui }
    }

    /// Hands `news` to the kiosk, on the UI thread, after the news handed over before.
    pub fn post(&self, news: super::News) {
        let kiosk = self.kiosk;
        self.ui.run_later(Box::new(move || {
            let hear = KIOSKS.with(|kiosks| kiosks.borrow().get(&kiosk).and_then(Weak::upgrade));
            match hear {
                Some(hear) => hear(news),
                None => log::debug!("news for a kiosk that is gone dropped"),
            }
        }));
    }
}
