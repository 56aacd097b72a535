//! A visitor with an appointment checks in at the kiosk, through the real screens (Slint's
//! headless testing backend): the code typed on the keypad, or scanned by a USB barcode
//! scanner (keys sent through the window), and each refusal with its message and the offer of
//! a normal ticket. The help point's appointments are stood in for by a desk that answers per
//! code and takes a real ticket when it checks one in, so the ticket is stored and printed.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use loket::clock::ManualClock;
use loket::config::Config;
use loket::ui::Kiosk;
use loket::ui::check_in::{CheckInDesk, CheckInReply};
use loket::{AppWindow, CheckInAdapter, CheckInState, KioskAdapter, Locale, Screen};
use slint::{ComponentHandle, Model};

/// What the stand-in desk answers for a code; codes it does not know are unknown.
#[derive(Clone)]
enum Answer {
    CheckIn { starts_at: &'static str, desk: Option<&'static str> },
    TooEarly(&'static str),
    TooLate,
    Cancelled,
    AlreadyUsed,
    SlowDown,
    Failed,
}

struct StandInDesk {
    help_point: loket::owner::HelpPointHandle,
    answers: HashMap<&'static str, Answer>,
    asked: Arc<Mutex<Vec<(String, String)>>>,
}

impl CheckInDesk for StandInDesk {
    fn check_in(&self, code: &str, language: &str, reply: Box<dyn FnOnce(CheckInReply) + Send>) {
        self.asked.lock().unwrap().push((code.to_owned(), language.to_owned()));
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        let answer = match self.answers.get(code).cloned() {
            Some(Answer::CheckIn { starts_at, desk }) => {
                let (starts_at, desk) = (at(starts_at), desk.map(str::to_owned));
                let language = language.to_owned();
                // Like the help point: the appointment's ticket is stored before it is shown.
                self.help_point
                    .then(
                        move |hp| hp.take_ticket("appointment", &language).map_err(|e| e.to_string()),
                        move |issued| {
                            reply(match issued {
                                Ok(issued) => {
                                    CheckInReply::CheckedIn { issued: Box::new(issued), starts_at, desk }
                                }
                                Err(e) => CheckInReply::Failed(e),
                            })
                        },
                    )
                    .unwrap();
                return;
            }
            Some(Answer::TooEarly(opens)) => CheckInReply::TooEarly { opens_at: at(opens) },
            Some(Answer::TooLate) => CheckInReply::TooLate,
            Some(Answer::Cancelled) => CheckInReply::Cancelled,
            Some(Answer::AlreadyUsed) => CheckInReply::AlreadyUsed,
            Some(Answer::SlowDown) => CheckInReply::SlowDown { retry_after_seconds: 30 },
            Some(Answer::Failed) => CheckInReply::Failed("the store is read-only".into()),
            None => CheckInReply::Unknown,
        };
        reply(answer);
    }
}

struct Running {
    window: AppWindow,
    kiosk: Kiosk,
    help_point: loket::owner::HelpPointHandle,
    asked: Arc<Mutex<Vec<(String, String)>>>,
    _dir: tempfile::TempDir,
}

/// A kiosk on Monday 30 November 2026, 9:30 UTC (10:30 in Brussels), offering check-in.
fn start() -> Running {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.path().to_path_buf();
    config.speech = loket::config::Speech::Simulated;
    let clock = Arc::new(ManualClock::new("2026-11-30T09:30:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    let help_point = parts.help_point.clone();
    let window = AppWindow::new().unwrap();
    let kiosk = Kiosk::wire_without_event_loop(&window, parts);
    let asked = Arc::new(Mutex::new(Vec::new()));
    let answers = HashMap::from([
        ("482913", Answer::CheckIn { starts_at: "2026-11-30T09:30:00Z", desk: Some("desk-2") }),
        ("500100", Answer::CheckIn { starts_at: "2026-11-30T09:45:00Z", desk: None }),
        ("111111", Answer::TooEarly("2026-11-30T13:30:00Z")),
        ("222222", Answer::TooLate),
        ("333333", Answer::Cancelled),
        ("444444", Answer::AlreadyUsed),
        ("555555", Answer::SlowDown),
        ("666666", Answer::Failed),
    ]);
    let desk = StandInDesk { help_point: help_point.clone(), answers, asked: asked.clone() };
    kiosk.offer_check_in(Rc::new(desk));
    Running { window, kiosk, help_point, asked, _dir: dir }
}

fn buttons(window: &AppWindow, label: &str) -> usize {
    ElementHandle::find_by_accessible_label(window, label)
        .filter(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .count()
}

fn tap(window: &AppWindow, label: &str) {
    let found: Vec<_> = ElementHandle::find_by_accessible_label(window, label)
        .filter(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .collect();
    assert_eq!(found.len(), 1, "exactly one button labelled {label:?}");
    found[0].invoke_accessible_default_action();
}

fn type_code(window: &AppWindow, code: &str) {
    for digit in code.chars() {
        tap(window, &digit.to_string());
    }
}

/// Keys as a keyboard (or a scanner, which is one) sends them through the window.
fn keys(window: &AppWindow, keys: &[&str]) {
    for key in keys {
        let text: slint::SharedString = (*key).into();
        window.window().dispatch_event(slint::platform::WindowEvent::KeyPressed { text: text.clone() });
        window.window().dispatch_event(slint::platform::WindowEvent::KeyReleased { text });
    }
}

fn scan(window: &AppWindow, payload: &str) {
    let mut typed: Vec<String> = payload.chars().map(String::from).collect();
    typed.push("\n".into());
    let typed: Vec<&str> = typed.iter().map(String::as_str).collect();
    keys(window, &typed);
}

fn screen(k: &Running) -> Screen {
    k.window.global::<KioskAdapter>().get_screen()
}

/// Waits (in real time) until the printer thread has answered and the screen has heard it.
fn wait_for_the_printer(k: &Running) -> loket::PrintState {
    for _ in 0..500 {
        k.kiosk.catch_up();
        let state = k.window.global::<CheckInAdapter>().get_print_state();
        if state != loket::PrintState::Printing {
            return state;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the printer did not answer within 5 s");
}

/// Everything said from the `before`-th thing on, once `count` more were said.
fn heard(k: &Running, before: usize, count: usize) -> Vec<String> {
    let said = k.kiosk.wait_until_said(before + count, Duration::from_secs(5)).unwrap();
    said[before.min(said.len())..].iter().map(|(language, text)| format!("{language}: {text}")).collect()
}

#[test]
fn a_visitor_types_the_code_checks_in_hears_it_and_gets_the_ticket_printed() {
    let k = start();
    let w = &k.window;
    tap(w, "English");
    assert_eq!(buttons(w, "I have an appointment"), 1, "offered on the services screen");
    tap(w, "I have an appointment");
    assert_eq!(screen(&k), Screen::CheckIn);
    let adapter = w.global::<CheckInAdapter>();
    type_code(w, "4829");
    assert_eq!(adapter.get_typed(), "482 9");
    tap(w, "OK");
    assert!(k.asked.lock().unwrap().is_empty(), "OK waits for six digits");
    type_code(w, "177");
    tap(w, "Erase");
    type_code(w, "3");
    assert_eq!(adapter.get_typed(), "482 913", "a seventh digit is not taken, Erase takes the last");
    let before = k.kiosk.said().unwrap().len();
    tap(w, "OK");
    k.kiosk.catch_up();

    assert_eq!(*k.asked.lock().unwrap(), [("482913".to_owned(), "en".to_owned())]);
    assert_eq!(screen(&k), Screen::CheckedIn);
    assert_eq!(adapter.get_headline(), "You are checked in.");
    assert_eq!(adapter.get_detail(), "Balie 2 will call you at 10:30.", "in Brussels time");
    let ticket = k.help_point.queue().waiting().next().expect("the ticket is stored").code();
    assert_eq!(adapter.get_code(), ticket.as_str());
    assert_eq!(wait_for_the_printer(&k), loket::PrintState::Printed, "the sample's printer is simulated");
    let said = heard(&k, before, 2);
    assert!(said.contains(&"en: You are checked in.".to_owned()), "{said:?}");
    assert!(said.contains(&"en: Balie 2 will call you at 10:30.".to_owned()), "{said:?}");

    tap(w, "Done");
    assert_eq!(screen(&k), Screen::Welcome);
}

#[test]
fn without_a_desk_the_confirmation_says_a_desk_will_call() {
    let k = start();
    let w = &k.window;
    tap(w, "English");
    tap(w, "I have an appointment");
    type_code(w, "500100");
    tap(w, "OK");
    k.kiosk.catch_up();
    assert_eq!(screen(&k), Screen::CheckedIn);
    assert_eq!(w.global::<CheckInAdapter>().get_detail(), "A desk will call you at 10:45.");
}

#[test]
fn a_scanned_code_on_the_welcome_screen_checks_in_in_the_sites_language() {
    let k = start();
    let w = &k.window;
    assert_eq!(screen(&k), Screen::Welcome);
    scan(w, "LKT482913");
    k.kiosk.catch_up();
    assert_eq!(*k.asked.lock().unwrap(), [("482913".to_owned(), "nl".to_owned())]);
    assert_eq!(screen(&k), Screen::CheckedIn);
    assert_eq!(k.help_point.queue().waiting().count(), 1);
    // The next visitor scans while the confirmation is still up.
    scan(w, "LKT222222");
    k.kiosk.catch_up();
    assert_eq!(
        (screen(&k), w.global::<CheckInAdapter>().get_state()),
        (Screen::CheckIn, CheckInState::Refused)
    );
}

#[test]
fn a_scanned_code_on_the_services_screen_checks_in_in_the_chosen_language() {
    let k = start();
    let w = &k.window;
    tap(w, "العربية");
    scan(w, "lkt111111");
    k.kiosk.catch_up();
    assert_eq!(*k.asked.lock().unwrap(), [("111111".to_owned(), "ar".to_owned())]);
    assert_eq!(screen(&k), Screen::CheckIn);
    assert_eq!(w.global::<CheckInAdapter>().get_state(), CheckInState::Refused);
    assert!(w.global::<Locale>().get_rtl());
}

#[test]
fn other_keys_on_the_public_screens_do_nothing() {
    let k = start();
    let w = &k.window;
    let typed = ["a", "4", "8", "2", "9", "1", "3", "\n", "\t", " ", "\u{1b}", "L", "K", "T", "1", "2", "\n"];
    let f_keys: Vec<slint::SharedString> =
        [slint::platform::Key::F1, slint::platform::Key::F2, slint::platform::Key::Escape]
            .into_iter()
            .map(Into::into)
            .collect();
    let f_keys: Vec<&str> = f_keys.iter().map(|k| k.as_str()).collect();

    keys(w, &typed);
    keys(w, &f_keys);
    k.kiosk.catch_up();
    assert_eq!(screen(&k), Screen::Welcome, "no key leaves the welcome screen");

    tap(w, "English");
    keys(w, &typed);
    keys(w, &f_keys);
    k.kiosk.catch_up();
    assert_eq!(screen(&k), Screen::Services);

    tap(w, "I have an appointment");
    keys(w, &typed);
    keys(w, &f_keys);
    k.kiosk.catch_up();
    assert_eq!(screen(&k), Screen::CheckIn);
    assert_eq!(w.global::<CheckInAdapter>().get_typed(), "", "typed digits do not reach the keypad");
    assert!(k.asked.lock().unwrap().is_empty(), "nothing was checked in");
    assert!(k.help_point.queue().waiting().next().is_none(), "no ticket was taken");
    assert!(k.help_point.queue().recent_calls(3).is_empty(), "nobody was called");

    // And the scanner still works after all that noise.
    scan(w, "LKT482913");
    k.kiosk.catch_up();
    assert_eq!(screen(&k), Screen::CheckedIn);
}

#[test]
fn each_refusal_shows_its_message_and_offers_a_normal_ticket_and_the_keypad_again() {
    let cases = [
        ("111111", "You are early. You can check in from 14:30."),
        ("222222", "The time of this appointment has passed."),
        ("999999", "We do not know this code. Please check it."),
        ("333333", "This appointment was cancelled."),
        ("444444", "This code was already used to check in."),
        ("555555", "Please wait a moment, then try again."),
        ("666666", "Checking in is not possible right now."),
    ];
    let k = start();
    let w = &k.window;
    let adapter = w.global::<CheckInAdapter>();
    tap(w, "English");
    for (code, message) in cases {
        tap(w, "I have an appointment");
        let before = k.kiosk.said().unwrap().len();
        type_code(w, code);
        tap(w, "OK");
        k.kiosk.catch_up();
        assert_eq!((screen(&k), adapter.get_state()), (Screen::CheckIn, CheckInState::Refused), "{code}");
        assert_eq!(adapter.get_headline(), message, "{code}");
        assert_eq!(adapter.get_detail(), "You can take a normal ticket.", "{code}");
        let said = heard(&k, before, 2);
        assert!(said.contains(&format!("en: {message}")), "{code} is said too: {said:?}");
        assert_eq!(buttons(w, "Take a ticket"), 1, "{code}");
        assert_eq!(buttons(w, "Back"), 1, "{code}: a way back");

        tap(w, "Type the code again");
        assert_eq!(
            (screen(&k), adapter.get_state(), adapter.get_typed()),
            (Screen::CheckIn, CheckInState::Typing, "".into())
        );
        type_code(w, code);
        tap(w, "OK");
        k.kiosk.catch_up();
        tap(w, "Take a ticket");
        assert_eq!(screen(&k), Screen::Services, "{code}: the normal ticket's services, in English");
        assert_eq!(buttons(w, "E-mail"), 1);
    }
    assert!(k.help_point.queue().waiting().next().is_none(), "no refusal took a ticket by itself");
}

#[test]
fn back_from_the_keypad_goes_where_the_visitor_came_from() {
    let k = start();
    let w = &k.window;
    tap(w, "English");
    tap(w, "I have an appointment");
    tap(w, "Back");
    assert_eq!(screen(&k), Screen::Services);
    // A refused scan on the welcome screen: back is the welcome screen again.
    tap(w, "Back");
    scan(w, "LKT999999");
    k.kiosk.catch_up();
    assert_eq!(screen(&k), Screen::CheckIn);
    tap(w, "Terug");
    assert_eq!(screen(&k), Screen::Welcome);
}

#[test]
fn the_keypad_in_arabic_shows_the_visitors_own_digits_beside_0_to_9() {
    let k = start();
    let w = &k.window;
    tap(w, "العربية");
    tap(w, "لدي موعد");
    let adapter = w.global::<CheckInAdapter>();
    type_code(w, "4829");
    assert_eq!(adapter.get_typed(), "482 9", "the keys are 0–9, as printed on the slip");
    assert_eq!(adapter.get_typed_native(), "\u{200E}٤٨٢\u{200E} ٩", "marked left to right, as the boxes");
    let native: Vec<String> = adapter.get_native_digits().iter().map(|d| d.to_string()).collect();
    assert_eq!(native.len(), 10);
    assert_eq!(native[7], "٧");
    assert!(w.global::<Locale>().get_rtl());
}

#[test]
fn a_kiosk_without_check_in_offers_no_appointment_button_and_ignores_scans() {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.path().to_path_buf();
    let clock = Arc::new(ManualClock::new("2026-11-30T09:30:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    let window = AppWindow::new().unwrap();
    let kiosk = Kiosk::wire_without_event_loop(&window, parts);
    scan(&window, "LKT482913");
    kiosk.catch_up();
    assert_eq!(window.global::<KioskAdapter>().get_screen(), Screen::Welcome);
    tap(&window, "English");
    assert_eq!(buttons(&window, "I have an appointment"), 0);
}
