//! The kiosk's screens, wired to the help point.
//!
//! One Rust module per screen fills that screen's adapter global and answers its callbacks;
//! this module owns what they share: the visit (which screen, which language), the timers and
//! the switch of language and reading direction. Slint owns the main thread: everything here
//! runs on it; the printer thread reports back through a channel the tick timer drains.
//!
//! It must not hold queue rules: it asks the [`HelpPoint`] and shows what it answers.

mod closed;
mod learn;
mod now_serving;
mod services;
mod ticket;
mod welcome;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use slint::{ComponentHandle, Timer, TimerMode};

use crate::config::Config;
use crate::help_point::HelpPoint;
use crate::print_queue::PrintQueue;
use crate::queue::EventKind;
use crate::visit::{Screen as VisitScreen, Timeouts, Visit};
use crate::{AppWindow, KioskAdapter, Locale, NowServingAdapter, Screen, StillThereAdapter};

/// What other threads tell the screens. Drained by the tick timer, so it reaches the screen on
/// the UI thread (also under the headless test backend, which runs no event loop).
enum News {
    /// A ticket left the printer, or could not: (ticket code, printed?).
    Printed(String, bool),
    /// The queue changed (from the console, a desk button, the API or the day's roll-over);
    /// `called` when a ticket was called or recalled, which makes the strip's newest call blink.
    QueueChanged { called: bool },
}

/// How often the kiosk checks for the new service day (local midnight), in ticks.
const ROLL_OVER_TICKS: u32 = 120;

/// How long the newest call in the strip stands out after it was called.
const FRESH_CALL: Duration = Duration::from_secs(4);

/// How often the visit's timeouts are checked.
const TICK: Duration = Duration::from_millis(250);

/// What the screens need from the rest of the kiosk.
pub struct KioskParts {
    pub config: Arc<Config>,
    pub help_point: Arc<Mutex<HelpPoint>>,
    /// `None` runs without a printer (the ticket screen then says so).
    pub printer: Option<PrintQueue>,
    /// Desk buttons, lamps and the announcer; kept running as long as the kiosk.
    pub peripherals: crate::setup::Peripherals,
    /// The logo printed on tickets, if the config has one that could be read.
    pub logo: Option<crate::printer::Bitmap>,
    /// Tutorials and screening exercises; `None` when the pack could not be loaded (the kiosk
    /// then only gives tickets).
    pub content: Option<Arc<crate::content::Pack>>,
    /// Reads lesson instructions aloud.
    pub reader: Option<crate::speech::Reader>,
}

/// The wired kiosk UI. Keep it alive as long as the window runs: it owns the timers.
pub struct Kiosk {
    shared: Rc<Shared>,
    _timers: Vec<Timer>,
    _peripherals: crate::setup::Peripherals,
}

struct Shared {
    window: slint::Weak<AppWindow>,
    config: Arc<Config>,
    help_point: Arc<Mutex<HelpPoint>>,
    printer: Option<PrintQueue>,
    logo: Option<crate::printer::Bitmap>,
    visit: RefCell<Visit>,
    news: (mpsc::Sender<News>, mpsc::Receiver<News>),
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
}

impl Kiosk {
    /// Connects every screen of `window` and starts the timers, with the backlight the config
    /// asks for.
    pub fn wire(window: &AppWindow, parts: KioskParts) -> Kiosk {
        let backlight = backlight(&parts.config);
        Kiosk::wire_with_backlight(window, parts, backlight)
    }

    /// [`Kiosk::wire`] with a given backlight (the tests' simulated one).
    pub fn wire_with_backlight(
        window: &AppWindow,
        parts: KioskParts,
        backlight: Box<dyn crate::after_hours::Backlight>,
    ) -> Kiosk {
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
            news: mpsc::channel(),
            fresh_call: std::cell::Cell::new(Duration::ZERO),
            learning: learn::Learning::new(parts.content, parts.reader),
            after_hours: RefCell::new(crate::after_hours::AfterHours::new(parts.config.display.dark_after())),
            backlight: RefCell::new(backlight),
            backlight_on: std::cell::Cell::new(None),
            closed_language: std::cell::Cell::new(0),
            closed_for: std::cell::Cell::new(Duration::ZERO),
        });
        let called = shared.news.0.clone();
        shared.help_point().listen(Box::new(move |events| {
            let call = |e: &crate::queue::Event| {
                matches!(e.kind, EventKind::TicketCalled { .. } | EventKind::TicketRecalled { .. })
            };
            let _ = called.send(News::QueueChanged { called: events.iter().any(call) });
        }));

        welcome::connect(window, &shared);
        services::connect(window, &shared);
        ticket::connect(window, &shared);
        now_serving::connect(window, &shared);
        learn::connect(window, &shared);
        closed::connect(window, &shared);

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
            if ticks.is_multiple_of(ROLL_OVER_TICKS)
                && let Err(e) = ticking.help_point().roll_over()
            {
                log::error!("starting the new service day failed: {e}");
            }
            if let Some(window) = ticking.window.upgrade() {
                while let Ok(news) = ticking.news.1.try_recv() {
                    match news {
                        News::Printed(code, printed) => {
                            ticket::print_finished(&window, &ticking, &code, printed)
                        }
                        News::QueueChanged { called } => {
                            now_serving::refresh(&window, &ticking);
                            if called {
                                ticking.fresh_call.set(FRESH_CALL);
                            }
                        }
                    }
                }
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
        let kiosk = Kiosk { shared, _timers: vec![tick, greeting], _peripherals: parts.peripherals };
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

    /// Shows the queue's latest calls in the "now serving" strip (after any desk action).
    pub fn refresh_now_serving(&self) {
        if let Some(window) = self.shared.window.upgrade() {
            now_serving::refresh(&window, &self.shared);
        }
    }
}

impl Shared {
    fn help_point(&self) -> std::sync::MutexGuard<'_, HelpPoint> {
        // A panic elsewhere while holding the lock must not take the kiosk down with it.
        self.help_point.lock().unwrap_or_else(|e| e.into_inner())
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
        kiosk.set_screen(match screen {
            VisitScreen::Welcome if self.closed() => Screen::Closed,
            VisitScreen::Welcome => Screen::Welcome,
            VisitScreen::Services => Screen::Services,
            VisitScreen::Ticket => Screen::Ticket,
            VisitScreen::Catalogue => Screen::Catalogue,
            VisitScreen::ScreeningIntro => Screen::ScreeningIntro,
            VisitScreen::Lesson => Screen::Lesson,
            VisitScreen::LessonDone => Screen::LessonDone,
        });
        if screen == VisitScreen::Services {
            services::fill(&window, &self.config, &language);
        }
        learn::fill(&window, self, screen, &language);
        closed::fill(&window, self);
        self.show_countdowns();
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
        window.global::<crate::TicketAdapter>().set_seconds_left(visit.ticket_countdown() as i32);
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
