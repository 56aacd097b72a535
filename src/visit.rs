//! A visit at the kiosk: which screen a visitor sees and the timeouts that bring the kiosk
//! back to the welcome screen.
//!
//! Pure state, driven by taps and by elapsed time passed in (`tick`), so the rules are tested
//! without a window or a clock. It owns "any half-finished choice is forgotten": going back to
//! welcome always drops the chosen language. It must not know about Slint or the queue.

use std::time::Duration;

/// The screens of a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Greetings in many languages and a button per language.
    Welcome,
    /// What do you need help with?
    Services,
    /// The visitor's ticket, with a countdown back to welcome.
    Ticket,
    /// The tutorials to choose from.
    Catalogue,
    /// What the skills check is, and "start".
    ScreeningIntro,
    /// A tutorial step or a screening task.
    Lesson,
    /// "Well done", or the screening's result with its code.
    LessonDone,
    /// The keypad for an appointment's code, and why a code was refused.
    CheckIn,
    /// "You are checked in", with a countdown back to welcome like the ticket's.
    CheckedIn,
}

impl Screen {
    /// Screens where the kiosk waits for a touch and asks "are you still there?" after a while.
    fn waits_for_touch(self) -> bool {
        !matches!(self, Screen::Welcome | Screen::Ticket | Screen::CheckedIn)
    }

    /// Screens that show a ticket (and count down to welcome) while it prints.
    fn shows_ticket(self) -> bool {
        matches!(self, Screen::Ticket | Screen::CheckedIn)
    }
}

/// How long the kiosk waits, from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// No touch for this long on a choice screen: ask "are you still there?".
    pub idle: Duration,
    /// How long that question stays (with a visible countdown) before going back to welcome.
    pub countdown: Duration,
    /// How long a ticket stays on screen.
    pub ticket: Duration,
    /// No touch for this long during a tutorial step or a screening task: ask "are you still
    /// there?" (longer than `idle`: reading, listening and trying take time).
    pub learning_idle: Duration,
}

/// One visitor's path through the screens.
#[derive(Debug, Clone)]
pub struct Visit {
    timeouts: Timeouts,
    screen: Screen,
    language: Option<String>,
    /// Time since the last touch (choice screens) or left on the ticket screen.
    since_touch: Duration,
    ticket_left: Duration,
    /// The ticket on screen is still at the printer: the screen waits for the result, so a
    /// failure can still ask the visitor to remember the number.
    printing: bool,
}

impl Visit {
    pub fn new(timeouts: Timeouts) -> Visit {
        Visit {
            timeouts,
            screen: Screen::Welcome,
            language: None,
            since_touch: Duration::ZERO,
            ticket_left: Duration::ZERO,
            printing: false,
        }
    }

    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The language the visitor chose, while the visit lasts.
    pub fn language(&self) -> Option<&str> {
        self.language.as_deref()
    }

    /// The visitor tapped a language on the welcome screen.
    pub fn choose_language(&mut self, code: &str) {
        self.language = Some(code.to_owned());
        self.screen = Screen::Services;
        self.touched();
    }

    /// Any touch: the visitor is still there.
    pub fn touched(&mut self) {
        self.since_touch = Duration::ZERO;
    }

    /// Goes to one of the learning screens (catalogue, screening intro, lesson, done), keeping
    /// the language.
    pub fn go_to(&mut self, screen: Screen) {
        debug_assert!(!matches!(screen, Screen::Welcome | Screen::Ticket | Screen::CheckedIn));
        self.screen = screen;
        self.touched();
    }

    /// Back to the services screen (from a learning screen), keeping the language.
    pub fn back_to_services(&mut self) {
        self.screen = Screen::Services;
        self.touched();
    }

    /// The visitor has an appointment (tapped, or scanned its code on any screen): the keypad,
    /// in the language chosen so far (none yet: the site's).
    pub fn open_check_in(&mut self) {
        self.screen = Screen::CheckIn;
        self.touched();
    }

    /// The appointment is checked in: its ticket is shown (and printed) like a taken one.
    pub fn checked_in(&mut self) {
        self.ticket_shown();
        self.screen = Screen::CheckedIn;
    }

    /// The ticket is stored and can be shown.
    pub fn ticket_shown(&mut self) {
        self.screen = Screen::Ticket;
        self.ticket_left = self.timeouts.ticket;
        self.printing = true;
        self.touched();
    }

    /// The ticket left the printer.
    pub fn printed(&mut self) {
        self.printing = false;
    }

    /// The ticket could not be printed: keep the number up longer so it can be remembered.
    pub fn print_failed(&mut self) {
        self.printing = false;
        if self.screen.shows_ticket() {
            self.ticket_left = self.ticket_left.max(self.timeouts.ticket * 2);
        }
    }

    /// "More time": on the ticket screen the countdown starts again; elsewhere it is a touch.
    pub fn more_time(&mut self) {
        if self.screen.shows_ticket() {
            self.ticket_left = self.ticket_left.max(self.timeouts.ticket);
        }
        self.touched();
    }

    /// Back to the welcome screen; the half-finished choice is forgotten.
    pub fn back_to_welcome(&mut self) {
        self.screen = Screen::Welcome;
        self.printing = false;
        self.language = None;
        self.touched();
    }

    /// Time passed. Returns true when the screen changed.
    pub fn tick(&mut self, elapsed: Duration) -> bool {
        match self.screen {
            Screen::Welcome => false,
            screen if screen.waits_for_touch() => {
                self.since_touch += elapsed;
                if self.since_touch >= self.idle() + self.timeouts.countdown {
                    self.back_to_welcome();
                    true
                } else {
                    false
                }
            }
            _ => {
                // While the printer has not answered, the countdown stops at its last second.
                let floor = if self.printing { Duration::from_secs(1) } else { Duration::ZERO };
                self.ticket_left = self.ticket_left.saturating_sub(elapsed).max(floor.min(self.ticket_left));
                if self.ticket_left.is_zero() {
                    self.back_to_welcome();
                    true
                } else {
                    false
                }
            }
        }
    }

    /// While the kiosk asks "are you still there?": the whole seconds left before it gives up.
    pub fn still_there_countdown(&self) -> Option<u32> {
        if !self.screen.waits_for_touch() || self.since_touch < self.idle() {
            return None;
        }
        let left = (self.idle() + self.timeouts.countdown).saturating_sub(self.since_touch);
        Some(whole_seconds_up(left))
    }

    /// How long the screen on show waits for a touch before asking. A lesson and its end
    /// screen wait as long as learning takes: the screening's result code must stay up while
    /// the learner copies it or walks to the desk.
    fn idle(&self) -> Duration {
        match self.screen {
            Screen::Lesson | Screen::LessonDone => self.timeouts.learning_idle,
            _ => self.timeouts.idle,
        }
    }

    /// On the ticket screen: the whole seconds left before going back to welcome.
    pub fn ticket_countdown(&self) -> u32 {
        whole_seconds_up(self.ticket_left)
    }
}

fn whole_seconds_up(d: Duration) -> u32 {
    d.as_millis().div_ceil(1000) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn visit() -> Visit {
        Visit::new(Timeouts { idle: 30 * S, countdown: 10 * S, ticket: 20 * S, learning_idle: 120 * S })
    }

    #[test]
    fn a_lesson_waits_longer_for_a_touch_than_a_choice_screen() {
        let mut v = visit();
        v.choose_language("ar");
        v.go_to(Screen::Catalogue);
        v.tick(30 * S);
        assert_eq!(v.still_there_countdown(), Some(10), "the catalogue asks like any choice screen");
        v.go_to(Screen::Lesson);
        assert_eq!(v.still_there_countdown(), None, "a new screen is a touch");
        v.tick(119 * S);
        assert_eq!(v.still_there_countdown(), None);
        v.tick(S);
        assert_eq!(v.still_there_countdown(), Some(10));
        assert!(v.tick(10 * S));
        assert_eq!((v.screen(), v.language()), (Screen::Welcome, None));
    }

    #[test]
    fn the_screenings_result_stays_as_long_as_a_lesson_step() {
        let mut v = visit();
        v.choose_language("ti");
        v.go_to(Screen::LessonDone);
        v.tick(119 * S);
        assert_eq!(
            (v.screen(), v.still_there_countdown()),
            (Screen::LessonDone, None),
            "not the 30 s of a choice"
        );
        v.tick(S);
        assert_eq!(v.still_there_countdown(), Some(10));
        assert!(v.tick(10 * S));
        assert_eq!(v.screen(), Screen::Welcome);
    }

    #[test]
    fn from_a_learning_screen_back_goes_to_the_services_in_the_same_language() {
        let mut v = visit();
        v.choose_language("fr");
        v.go_to(Screen::ScreeningIntro);
        v.back_to_services();
        assert_eq!((v.screen(), v.language()), (Screen::Services, Some("fr")));
    }

    #[test]
    fn a_visit_goes_from_language_to_services_to_ticket() {
        let mut v = visit();
        assert_eq!((v.screen(), v.language()), (Screen::Welcome, None));
        v.choose_language("ar");
        assert_eq!((v.screen(), v.language()), (Screen::Services, Some("ar")));
        v.ticket_shown();
        assert_eq!(v.screen(), Screen::Ticket);
        assert_eq!(v.ticket_countdown(), 20);
    }

    #[test]
    fn welcome_never_times_out() {
        let mut v = visit();
        assert!(!v.tick(3600 * S));
        assert_eq!(v.screen(), Screen::Welcome);
    }

    #[test]
    fn idle_on_a_choice_screen_asks_then_forgets_the_choice() {
        let mut v = visit();
        v.choose_language("fr");
        assert!(!v.tick(29 * S));
        assert_eq!(v.still_there_countdown(), None);
        v.tick(S);
        assert_eq!(v.still_there_countdown(), Some(10));
        v.tick(Duration::from_millis(2500));
        assert_eq!(v.still_there_countdown(), Some(8), "rounded up, so it never shows 0 early");
        assert!(v.tick(8 * S));
        assert_eq!((v.screen(), v.language()), (Screen::Welcome, None));
    }

    #[test]
    fn a_touch_answers_the_question() {
        let mut v = visit();
        v.choose_language("fr");
        v.tick(35 * S);
        assert!(v.still_there_countdown().is_some());
        v.more_time();
        assert_eq!(v.still_there_countdown(), None);
        v.tick(29 * S);
        assert_eq!(v.screen(), Screen::Services);
    }

    #[test]
    fn the_ticket_screen_counts_down_and_more_time_restarts_it() {
        let mut v = visit();
        v.choose_language("nl");
        v.ticket_shown();
        v.printed();
        v.tick(15 * S);
        assert_eq!(v.ticket_countdown(), 5);
        v.more_time();
        assert_eq!(v.ticket_countdown(), 20);
        assert!(!v.tick(19 * S));
        assert!(v.tick(S));
        assert_eq!((v.screen(), v.language()), (Screen::Welcome, None));
    }

    #[test]
    fn the_ticket_screen_waits_for_a_slow_printer_and_then_for_the_visitor() {
        let mut v = visit();
        v.choose_language("ar");
        v.ticket_shown();
        assert!(!v.tick(60 * S), "the printer has not answered yet");
        assert_eq!((v.screen(), v.ticket_countdown()), (Screen::Ticket, 1));
        v.print_failed();
        assert_eq!(v.ticket_countdown(), 40, "then the number stays up to be remembered");
        assert!(v.tick(40 * S));
        assert_eq!(v.screen(), Screen::Welcome);
    }

    #[test]
    fn a_printed_ticket_counts_down_normally() {
        let mut v = visit();
        v.choose_language("nl");
        v.ticket_shown();
        v.printed();
        assert!(v.tick(20 * S));
    }

    #[test]
    fn a_failed_print_keeps_the_number_up_longer() {
        let mut v = visit();
        v.choose_language("ti");
        v.ticket_shown();
        v.print_failed();
        assert_eq!(v.ticket_countdown(), 40);
    }

    #[test]
    fn the_keypad_waits_for_a_touch_and_gives_up_like_a_choice_screen() {
        let mut v = visit();
        v.choose_language("ps");
        v.open_check_in();
        assert_eq!((v.screen(), v.language()), (Screen::CheckIn, Some("ps")));
        v.tick(30 * S);
        assert_eq!(v.still_there_countdown(), Some(10));
        assert!(v.tick(10 * S));
        assert_eq!((v.screen(), v.language()), (Screen::Welcome, None));
    }

    #[test]
    fn a_check_in_counts_down_like_a_ticket_and_waits_for_the_printer() {
        let mut v = visit();
        v.open_check_in();
        assert_eq!(v.language(), None, "a scan on the welcome screen keeps the site's language");
        v.checked_in();
        assert_eq!(
            (v.screen(), v.ticket_countdown(), v.still_there_countdown()),
            (Screen::CheckedIn, 20, None)
        );
        assert!(!v.tick(25 * S), "the printer has not answered");
        assert_eq!(v.ticket_countdown(), 1);
        v.print_failed();
        assert_eq!(v.ticket_countdown(), 40, "a failed print keeps the confirmation up longer");
        v.more_time();
        assert!(v.tick(40 * S));
        assert_eq!(v.screen(), Screen::Welcome);
    }
}
