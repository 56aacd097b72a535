//! The kiosk's screens, wired to the help point.
//!
//! One Rust module per screen fills that screen's adapter global and answers its callbacks;
//! this module owns what they share: the visit (which screen, which language), the timers and
//! the switch of language and reading direction. Slint owns the main thread: everything here
//! runs on it and never waits for the disk. Actions go to the help point's owner as commands;
//! their answers, the printer's results and committed queue changes come back as [`News`]
//! through Slint's event loop ([`inbox`]).
//!
//! It must not hold queue rules: it asks the help point and shows what it answers.

pub mod check_in;
mod closed;
pub mod fonts;
pub mod inbox;
mod learn;
mod now_serving;
pub mod scanner;
mod services;
mod spoken;
mod ticket;
mod welcome;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use slint::{ComponentHandle, Timer, TimerMode};

use crate::config::Config;
use crate::owner::{HelpPointHandle, HelpPointOwner};
use crate::print_queue::PrintQueue;
use crate::queue::EventKind;
use crate::visit::{Screen as VisitScreen, Timeouts, Visit};
use crate::{AppWindow, KioskAdapter, Locale, NowServingAdapter, Screen, StillThereAdapter};

pub use crate::setup::KioskParts;
use inbox::{Inbox, ManualUiThread, SlintEventLoop, UiThread};

/// What other threads tell the screens, handed to the UI thread by its event loop.
pub enum News {
    /// The help point answered a visitor's tap on a service: the ticket is stored (or not).
    TicketTaken { language: String, issued: Result<crate::help_point::IssuedTicket, String> },
    /// A ticket left the printer, or could not: (ticket code, printed?).
    Printed(String, bool),
    /// The queue changed (from the console, a desk button, the API or the day's roll-over);
    /// `called` when a ticket was called or recalled, which makes the strip's newest call blink.
    QueueChanged { called: bool },
    /// A finished screening is stored (or not): its result code and levels.
    ScreeningRecorded {
        language: String,
        items: Vec<crate::screening::ItemResult>,
        record: Result<crate::screening::ScreeningRecord, String>,
    },
    /// The help point answered a booking code typed or scanned in `language`.
    CheckInAnswered { language: String, reply: check_in::CheckInReply },
}

/// How often the kiosk checks for the new service day (local midnight), in ticks.
const ROLL_OVER_TICKS: u32 = 120;

/// How long the newest call in the strip stands out after it was called.
const FRESH_CALL: Duration = Duration::from_secs(4);

/// How often the visit's timeouts are checked.
const TICK: Duration = Duration::from_millis(250);

/// The wired kiosk UI. Keep it alive as long as the window runs: it owns the timers.
pub struct Kiosk {
    shared: Rc<Shared>,
    _timers: Vec<Timer>,
    _peripherals: crate::setup::Peripherals,
    /// Where news for these screens arrives; they hear it as long as this lives.
    _hearing: Rc<dyn Fn(News)>,
    /// When the screens were wired without an event loop (tests): the news waiting for them.
    manual: Option<ManualUiThread>,
    /// Dropped last: finishes the help point's commands and closes the store.
    _owner: HelpPointOwner,
}

struct Shared {
    window: slint::Weak<AppWindow>,
    config: Arc<Config>,
    help_point: HelpPointHandle,
    printer: Option<PrintQueue>,
    logo: Option<crate::printer::Bitmap>,
    visit: RefCell<Visit>,
    /// Where other threads send news for these screens.
    inbox: RefCell<Option<Inbox>>,
    /// Time left for the newest call to stand out in the strip.
    fresh_call: std::cell::Cell<Duration>,
    learning: learn::Learning,
    /// Outside the opening hours: the closed message, then dark.
    after_hours: RefCell<crate::after_hours::AfterHours>,
    backlight: RefCell<Box<dyn crate::after_hours::Backlight>>,
    /// The last state the backlight was set to.
    backlight_on: std::cell::Cell<Option<bool>>,
    /// Which visitor language the closed message is in, and for how long it has been.
    closed_language: std::cell::Cell<usize>,
    closed_for: std::cell::Cell<Duration>,
    /// Speaks the visitor screens ([`spoken`]); `None` when it could not start.
    guide: Option<crate::guidance::Guide>,
    /// The screen whose words were last handed to the guide.
    spoken_screen: std::cell::Cell<Option<Screen>>,
    /// Whether "are you still there?" was said since it came up.
    still_there_spoken: std::cell::Cell<bool>,
    /// The name of the language button just touched, said before the next screen's words.
    touched_language: RefCell<Option<crate::guidance::Utterance>>,
    /// Whether F1, F2 … call the next visitor for a desk (the desktop run only; see
    /// [`Kiosk::use_function_keys_as_desk_buttons`]).
    desk_keys: std::cell::Cell<bool>,
    /// Checking in for appointments: the desk that answers, the code typed so far.
    check_in: RefCell<check_in::CheckIn>,
    /// Tells a barcode scanner's booking codes from every other key ([`scanner`]).
    scanner: RefCell<scanner::Scanner>,
}

impl Kiosk {
    /// Connects every screen of `window` and starts the timers, with the backlight the config
    /// asks for; news reaches the screens through Slint's event loop.
    pub fn wire(window: &AppWindow, parts: KioskParts) -> Kiosk {
        let backlight = backlight(&parts.config);
        Kiosk::wire_with(window, parts, backlight, None)
    }

    /// Lets F1, F2 … call the next visitor for the first, second … desk: the desktop run's
    /// stand-in for the desks' buttons (the built-in sample, `loket` without --config, on
    /// simulated hardware). Off unless this is called: a keyboard plugged into a public kiosk
    /// must not call anyone.
    pub fn use_function_keys_as_desk_buttons(&self) {
        self.shared.desk_keys.set(true);
    }

    /// Lets visitors with an appointment check in at `desk`: "I have an appointment" on the
    /// services screen, and booking codes from a barcode scanner on any visitor screen. Without
    /// it the kiosk offers neither.
    pub fn offer_check_in(&self, desk: Rc<dyn check_in::CheckInDesk>) {
        if let Some(window) = self.shared.window.upgrade() {
            check_in::offer(&window, &self.shared, desk);
        }
    }

    /// [`Kiosk::wire`] without an event loop (Slint's headless test backend): news waits until
    /// [`Kiosk::catch_up`] hands it over.
    pub fn wire_without_event_loop(window: &AppWindow, parts: KioskParts) -> Kiosk {
        let backlight = backlight(&parts.config);
        Kiosk::wire_with(window, parts, backlight, Some(ManualUiThread::default()))
    }

    /// [`Kiosk::wire`] with a given backlight (the tests' simulated one), and without an event
    /// loop when `manual` is given.
    pub fn wire_with(
        window: &AppWindow,
        parts: KioskParts,
        backlight: Box<dyn crate::after_hours::Backlight>,
        manual: Option<ManualUiThread>,
    ) -> Kiosk {
        // Before anything is shown: names and greetings in every script with the bundled fonts.
        if let Err(e) = fonts::use_bundled_fonts() {
            log::error!("{e}: text in some scripts may not be drawn");
        }
        let kiosk = &parts.config.kiosk;
        let timeouts = Timeouts {
            idle: kiosk.idle_timeout(),
            countdown: kiosk.countdown(),
            ticket: kiosk.ticket_screen_time(),
            learning_idle: parts.config.learning.idle_timeout(),
        };
        let shared = Rc::new(Shared {
            window: window.as_weak(),
            config: parts.config.clone(),
            help_point: parts.help_point,
            printer: parts.printer,
            logo: parts.logo,
            visit: RefCell::new(Visit::new(timeouts)),
            inbox: RefCell::new(None),
            fresh_call: std::cell::Cell::new(Duration::ZERO),
            learning: learn::Learning::new(parts.content, parts.reader),
            after_hours: RefCell::new(crate::after_hours::AfterHours::new(parts.config.display.dark_after())),
            backlight: RefCell::new(backlight),
            backlight_on: std::cell::Cell::new(None),
            closed_language: std::cell::Cell::new(0),
            closed_for: std::cell::Cell::new(Duration::ZERO),
            guide: parts.guide,
            spoken_screen: std::cell::Cell::new(None),
            still_there_spoken: std::cell::Cell::new(false),
            touched_language: RefCell::new(None),
            desk_keys: std::cell::Cell::new(false),
            check_in: RefCell::new(check_in::CheckIn::default()),
            scanner: RefCell::new(scanner::Scanner::default()),
        });
        let ui: Arc<dyn UiThread> = match &manual {
            Some(manual) => Arc::new(manual.clone()),
            None => Arc::new(SlintEventLoop),
        };
        let hearing: Rc<dyn Fn(News)> = {
            let shared = shared.clone();
            Rc::new(move |news| shared.hear(news))
        };
        let inbox = Inbox::open(ui, hearing.clone());
        *shared.inbox.borrow_mut() = Some(inbox.clone());
        let subscribed = shared.help_point.subscribe(Box::new(move |events| {
            let call = |e: &crate::queue::Event| {
                matches!(e.kind, EventKind::TicketCalled { .. } | EventKind::TicketRecalled { .. })
            };
            inbox.post(News::QueueChanged { called: events.iter().any(call) });
        }));
        if subscribed.is_err() {
            log::error!("the screens will not follow the queue: the help point has stopped");
        }

        welcome::connect(window, &shared);
        services::connect(window, &shared);
        ticket::connect(window, &shared);
        now_serving::connect(window, &shared);
        learn::connect(window, &shared);
        closed::connect(window, &shared);
        check_in::connect(window, &shared);

        let listening = shared.clone();
        window.global::<KioskAdapter>().on_listen_again(move || {
            listening.visit.borrow_mut().touched();
            if let Some(window) = listening.window.upgrade() {
                spoken::listen_again(&window, &listening);
            }
        });

        let still_there = shared.clone();
        window.global::<StillThereAdapter>().on_still_here(move || {
            still_there.visit.borrow_mut().touched();
            still_there.show();
        });

        let ticking = shared.clone();
        let tick = Timer::default();
        let mut ticks = 0u32;
        tick.start(TimerMode::Repeated, TICK, move || {
            // At local midnight the new service day starts even if nobody does anything.
            ticks = ticks.wrapping_add(1);
            if ticks.is_multiple_of(ROLL_OVER_TICKS) {
                // Sent, not waited for: the owner starts the new day if midnight has passed.
                let sent = ticking.help_point.send(|hp| {
                    if let Err(e) = hp.roll_over() {
                        log::error!("starting the new service day failed: {e}");
                    }
                });
                if sent.is_err() {
                    log::warn!("the help point has stopped");
                }
            }
            if let Some(window) = ticking.window.upgrade() {
                let fresh = ticking.fresh_call.get().saturating_sub(TICK);
                ticking.fresh_call.set(fresh);
                window.global::<NowServingAdapter>().set_fresh(!fresh.is_zero());
            }
            learn::tick(&ticking, TICK);
            closed::tick(&ticking, TICK);
            let changed = ticking.visit.borrow_mut().tick(TICK);
            if changed {
                if ticking.visit.borrow().screen() == VisitScreen::Welcome {
                    learn::walked_away(&ticking);
                }
                ticking.show();
            } else {
                ticking.show_countdowns();
            }
        });

        let greeting = welcome::start_greetings(window, &shared);
        let kiosk = Kiosk {
            shared,
            _timers: vec![tick, greeting],
            _peripherals: parts.peripherals,
            _hearing: hearing,
            manual,
            _owner: parts.owner,
        };
        closed::tick(&kiosk.shared, Duration::ZERO);
        kiosk.shared.show();
        kiosk
    }

    /// Shows `text` to the person setting the kiosk up, in a band on the welcome screen, for
    /// `how_long` (e.g. why the config on the SD card was refused). Keep the returned timer: it
    /// takes the band away.
    pub fn show_staff_notice(&self, text: &str, how_long: Duration) -> Timer {
        let timer = Timer::default();
        if let Some(window) = self.shared.window.upgrade() {
            window.global::<crate::WelcomeAdapter>().set_staff_notice(text.into());
            let weak = self.shared.window.clone();
            timer.start(slint::TimerMode::SingleShot, how_long, move || {
                if let Some(window) = weak.upgrade() {
                    window.global::<crate::WelcomeAdapter>().set_staff_notice("".into());
                }
            });
        }
        timer
    }

    /// What the simulated voice said so far (calls and lesson instructions), as (language,
    /// text); `None` with a real voice.
    pub fn said(&self) -> Option<Vec<(String, String)>> {
        self._peripherals.said()
    }

    /// Waits until the simulated voice has said `count` things (at most `limit`); returns what
    /// it said; `None` with a real voice.
    pub fn wait_until_said(&self, count: usize, limit: Duration) -> Option<Vec<(String, String)>> {
        self._peripherals.wait_until_said(count, limit)
    }

    /// Shows the queue's latest calls in the "now serving" strip (after any desk action).
    pub fn refresh_now_serving(&self) {
        if let Some(window) = self.shared.window.upgrade() {
            now_serving::refresh(&window, &self.shared);
        }
    }

    /// Waits until the help point has done every command sent so far, then, when wired without
    /// an event loop, hands the news waiting for the screens over on this thread. Returns how
    /// much news was heard (always 0 with an event loop: the loop hands it over itself).
    pub fn catch_up(&self) -> usize {
        let _ = self.shared.help_point.sync();
        self.manual.as_ref().map_or(0, ManualUiThread::run_pending)
    }
}

impl Shared {
    /// News from another thread, now on the UI thread.
    fn hear(self: &Rc<Self>, news: News) {
        let Some(window) = self.window.upgrade() else { return };
        match news {
            News::TicketTaken { language, issued } => {
                services::ticket_taken(&window, self, &language, issued)
            }
            News::Printed(code, printed) => ticket::print_finished(&window, self, &code, printed),
            News::QueueChanged { called } => {
                now_serving::refresh(&window, self);
                if called {
                    self.fresh_call.set(FRESH_CALL);
                    window.global::<NowServingAdapter>().set_fresh(true);
                }
            }
            News::ScreeningRecorded { language, items, record } => {
                learn::screening_recorded(&window, self, &language, &items, record)
            }
            News::CheckInAnswered { language, reply } => check_in::answered(&window, self, &language, reply),
        }
    }

    /// The visitor's language, or the site's before one is chosen (while closed: the language
    /// the closed message is in).
    fn language(&self) -> String {
        if let Some(language) = self.visit.borrow().language() {
            return language.to_owned();
        }
        if self.closed() {
            return closed::language(self);
        }
        self.config.site.local_language.clone()
    }

    /// Whether the closed (or dark) screen is up: outside the opening hours, between visits.
    fn closed(&self) -> bool {
        self.after_hours.borrow().shown() != crate::after_hours::Shown::Open
            && self.visit.borrow().screen() == VisitScreen::Welcome
    }

    /// Puts the window in line with the visit: screen, language, direction, countdowns.
    fn show(&self) {
        let Some(window) = self.window.upgrade() else { return };
        let language = self.language();
        let screen = self.visit.borrow().screen();
        select_language(&window, &language);
        let kiosk = window.global::<KioskAdapter>();
        let shown = match screen {
            VisitScreen::Welcome if self.closed() => Screen::Closed,
            VisitScreen::Welcome => Screen::Welcome,
            VisitScreen::Services => Screen::Services,
            VisitScreen::Ticket => Screen::Ticket,
            VisitScreen::Catalogue => Screen::Catalogue,
            VisitScreen::ScreeningIntro => Screen::ScreeningIntro,
            VisitScreen::Lesson => Screen::Lesson,
            VisitScreen::LessonDone => Screen::LessonDone,
            VisitScreen::CheckIn => Screen::CheckIn,
            VisitScreen::CheckedIn => Screen::CheckedIn,
        };
        kiosk.set_screen(shown);
        if screen == VisitScreen::Services {
            services::fill(&window, &self.config, &language);
        }
        learn::fill(&window, self, screen, &language);
        closed::fill(&window, self);
        self.show_countdowns();
        spoken::screen_shown(&window, self, shown);
    }

    fn show_countdowns(&self) {
        let Some(window) = self.window.upgrade() else { return };
        let visit = self.visit.borrow();
        let still_there = window.global::<StillThereAdapter>();
        match visit.still_there_countdown() {
            Some(seconds) => {
                still_there.set_shown(true);
                still_there.set_seconds_left(seconds as i32);
            }
            None => still_there.set_shown(false),
        }
        drop(visit);
        spoken::still_there_shown(&window, self, still_there.get_shown());
        let visit = self.visit.borrow();
        window.global::<crate::TicketAdapter>().set_seconds_left(visit.ticket_countdown() as i32);
        window.global::<crate::CheckInAdapter>().set_seconds_left(visit.ticket_countdown() as i32);
    }
}

/// The backlight `display.backlight` asks for: the panel's in /sys/class/backlight, or none.
fn backlight(config: &Config) -> Box<dyn crate::after_hours::Backlight> {
    use crate::after_hours::{SimulatedBacklight, SysfsBacklight};
    match config.display.backlight {
        crate::config::BacklightSetting::Auto => {
            match SysfsBacklight::find("/sys/class/backlight".as_ref()) {
                Some(found) => Box::new(found),
                None => Box::new(SimulatedBacklight::default()),
            }
        }
        crate::config::BacklightSetting::None => Box::new(SimulatedBacklight::default()),
    }
}

/// Switches the bundled translation and the reading direction to `code`. Languages without a
/// bundled translation show the English source texts, still in their own direction.
fn select_language(window: &AppWindow, code: &str) {
    if slint::select_bundled_translation(code).is_err() {
        // "" selects the source texts, which are English.
        let _ = slint::select_bundled_translation("");
    }
    let rtl = crate::languages::language(code).is_some_and(|l| l.rtl);
    window.global::<Locale>().set_rtl(rtl);
}
