//! A visitor at the kiosk, driven through the real screens with Slint's headless testing
//! backend: elements are found by their accessible labels, time is mocked.

use std::sync::Arc;
use std::time::Duration;

use i_slint_backend_testing::ElementHandle;
use loket::clock::ManualClock;
use loket::config::Config;
use loket::ui::Kiosk;
use loket::{AppWindow, KioskAdapter, Locale, Screen, StillThereAdapter, TicketAdapter};
use slint::ComponentHandle;

struct Running {
    window: AppWindow,
    _kiosk: Kiosk,
    parts_dir: tempfile::TempDir,
    help_point: loket::owner::HelpPointHandle,
}

fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.path().to_path_buf();
    config.speech = loket::config::Speech::Simulated;
    let clock = Arc::new(ManualClock::new("2026-11-30T09:30:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    let help_point = parts.help_point.clone();
    let window = AppWindow::new().unwrap();
    let kiosk = Kiosk::wire_without_event_loop(&window, parts);
    Running { window, _kiosk: kiosk, parts_dir: dir, help_point }
}

fn tap(window: &AppWindow, label: &str) {
    let found: Vec<_> = ElementHandle::find_by_accessible_label(window, label)
        .filter(|e| e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button))
        .collect();
    assert_eq!(found.len(), 1, "exactly one button labelled {label:?}");
    found[0].invoke_accessible_default_action();
}

/// Waits (in real time) until the printer thread has answered and the screen has heard it.
fn wait_for_the_printer(k: &Running) {
    for _ in 0..500 {
        k._kiosk.catch_up();
        if k.window.global::<TicketAdapter>().get_print_state() != loket::PrintState::Printing {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the printer did not answer within 5 s");
}

fn wait(seconds: u64) {
    // Timers fire once per step, as they would on a running kiosk.
    for _ in 0..seconds * 4 {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(250));
    }
}

#[test]
fn a_visitor_takes_a_ticket_in_arabic_and_it_is_stored_with_the_language() {
    i_slint_backend_testing::init_no_event_loop();
    let k = start();
    let w = &k.window;
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Welcome);

    tap(w, "العربية");
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Services);
    assert!(w.global::<Locale>().get_rtl(), "Arabic screens are mirrored");
    // The service names are shown in Arabic, and the back button's label is translated.
    tap(w, "البريد الإلكتروني");
    // At once: the tap is answered ("your ticket is being made") while the help point stores it.
    assert!(w.global::<loket::ServicesAdapter>().get_busy(), "the tap is answered at once");
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Services);
    tap(w, "البريد الإلكتروني");
    k._kiosk.catch_up();

    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Ticket, "two taps to a ticket");
    assert!(!w.global::<loket::ServicesAdapter>().get_busy());
    let code = w.global::<TicketAdapter>().get_code().to_string();
    assert_eq!(code, "E-001");
    let hp = k.help_point.queue();
    let stored: Vec<_> = hp.tickets().collect();
    assert_eq!(stored.len(), 1, "a second tap while busy takes no second ticket");
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].code(), stored[0].language.as_str()), (code.clone(), "ar"));
    drop(hp);

    // The simulated printer writes the bytes and a preview beside them.
    let tickets = k.parts_dir.path().join("tickets");
    let mut found = false;
    for _ in 0..200 {
        if tickets.join("2026-11-30-E-001.png").exists() && tickets.join("2026-11-30-E-001.escpos").exists() {
            found = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(found, "printed files in {}", tickets.display());

    // "Done" goes back to the welcome screen and forgets the language.
    tap(w, "تم");
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Welcome);
    assert!(!w.global::<Locale>().get_rtl());
}

#[test]
fn idle_on_the_services_screen_asks_then_returns_to_welcome() {
    i_slint_backend_testing::init_no_event_loop();
    let k = start();
    let w = &k.window;
    let idle = Config::sample().kiosk.idle_timeout_seconds as u64;
    let countdown = Config::sample().kiosk.countdown_seconds as u64;

    tap(w, "English");
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Services);
    wait(idle - 1);
    assert!(!w.global::<StillThereAdapter>().get_shown());
    wait(1);
    assert!(w.global::<StillThereAdapter>().get_shown(), "asks after {idle} s");
    assert_eq!(w.global::<StillThereAdapter>().get_seconds_left(), countdown as i32);
    // "Yes" keeps the visitor's choice…
    tap(w, "Yes, I need more time");
    assert!(!w.global::<StillThereAdapter>().get_shown());
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Services);
    // …and without an answer the kiosk goes back to welcome.
    wait(idle + countdown);
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Welcome);
    k._kiosk.catch_up();
    assert_eq!(k.help_point.queue().tickets().count(), 0, "no ticket was taken");
}

#[test]
fn the_ticket_screen_counts_down_and_more_time_keeps_it() {
    i_slint_backend_testing::init_no_event_loop();
    let k = start();
    let w = &k.window;
    let shown = Config::sample().kiosk.ticket_screen_seconds as i32;

    tap(w, "Nederlands");
    tap(w, "E-mail");
    k._kiosk.catch_up();
    let ticket = w.global::<TicketAdapter>();
    assert_eq!(ticket.get_seconds_left(), shown);
    wait_for_the_printer(&k);
    assert_eq!(ticket.get_print_state(), loket::PrintState::Printed);
    wait(5);
    assert_eq!(ticket.get_seconds_left(), shown - 5);
    tap(w, "Meer tijd");
    assert_eq!(ticket.get_seconds_left(), shown);
    wait(shown as u64);
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Welcome);
}

#[test]
fn a_desk_key_calls_the_next_ticket_into_the_now_serving_strip() {
    i_slint_backend_testing::init_no_event_loop();
    let k = start();
    let w = &k.window;
    tap(w, "English");
    tap(w, "E-mail");
    k._kiosk.catch_up();
    tap(w, "Done");
    // F1 on the keyboard stands in for desk 1's call button (in the desktop run, which says so).
    k._kiosk.use_function_keys_as_desk_buttons();
    w.window()
        .dispatch_event(slint::platform::WindowEvent::KeyPressed { text: slint::platform::Key::F1.into() });
    w.window()
        .dispatch_event(slint::platform::WindowEvent::KeyReleased { text: slint::platform::Key::F1.into() });
    k._kiosk.catch_up();
    let calls: Vec<_> = ElementHandle::find_by_accessible_label(w, "Ticket E-001 naar Balie 1").collect();
    assert_eq!(calls.len(), 1, "the strip shows the call in the local language on the welcome screen");
}

#[test]
fn f1_calls_nobody_on_a_kiosk() {
    // As `loket run --config FILE` wires it: a keyboard plugged into the kiosk is the public's.
    i_slint_backend_testing::init_no_event_loop();
    let k = start();
    let w = &k.window;
    tap(w, "English");
    tap(w, "E-mail");
    k._kiosk.catch_up();
    tap(w, "Done");
    for key in [slint::platform::Key::F1, slint::platform::Key::F2] {
        w.window().dispatch_event(slint::platform::WindowEvent::KeyPressed { text: key.into() });
        w.window().dispatch_event(slint::platform::WindowEvent::KeyReleased { text: key.into() });
    }
    k._kiosk.catch_up();
    assert_eq!(ElementHandle::find_by_accessible_label(w, "Ticket E-001 naar Balie 1").count(), 0);
    assert!(k.help_point.queue().recent_calls(3).is_empty(), "nobody was called");
}

#[test]
fn the_welcome_greeting_changes_language() {
    i_slint_backend_testing::init_no_event_loop();
    let k = start();
    let greeting = || k.window.global::<loket::WelcomeAdapter>().get_greeting().to_string();
    let first = greeting();
    assert_eq!(first, "Welkom", "the first offered language greets first");
    let mut seen = vec![first];
    for _ in 0..3 {
        wait(Config::sample().kiosk.greeting_seconds as u64);
        seen.push(greeting());
    }
    assert_eq!(seen, ["Welkom", "Welcome", "Bienvenue", "أهلاً وسهلاً"]);
}

#[test]
fn a_missing_printer_asks_the_visitor_to_remember_the_number_and_is_recorded() {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("ttyNOPRINTER");
    let mut sample = loket::config::SAMPLE_TOML
        .replace("\nkind = \"file\"\n", &format!("\nkind = \"serial\"\ndevice = \"{}\"\n", missing.display()))
        .replace("directory = \"tickets\"", "")
        .replace("engine = \"espeak-ng\"", "engine = \"simulated\"");
    sample = sample.replace("data_dir = \"loket-data\"", &format!("data_dir = \"{}\"", dir.path().display()));
    let config: Config = sample.parse().unwrap();
    let shown = config.kiosk.ticket_screen_seconds as i32;
    let clock = Arc::new(ManualClock::new("2026-11-30T09:30:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    let help_point = parts.help_point.clone();
    let window = AppWindow::new().unwrap();
    let kiosk = Kiosk::wire_without_event_loop(&window, parts);

    tap(&window, "Français");
    tap(&window, "E-mail");
    kiosk.catch_up();
    let ticket = window.global::<TicketAdapter>();
    // The printer thread reports back; the news reaches the screen through the UI thread.
    let mut failed = false;
    for _ in 0..400 {
        kiosk.catch_up();
        if ticket.get_print_state() == loket::PrintState::Failed {
            failed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(failed, "the ticket screen says the printer failed");
    assert!(
        ticket.get_seconds_left() > shown,
        "the number stays up longer: {} > {shown}",
        ticket.get_seconds_left()
    );
    // …in the visitor's language.
    let remember: Vec<_> = ElementHandle::find_by_accessible_label(
        &window,
        "L'imprimante ne fonctionne pas. Retenez bien votre numéro.",
    )
    .collect();
    assert_eq!(remember.len(), 1, "the printer message is in French");
    assert_eq!(window.global::<KioskAdapter>().get_screen(), Screen::Ticket);
    let state = help_point.run(|hp| hp.store().device_state("printer")).unwrap().unwrap();
    assert_eq!(state.map(|s| s.0).as_deref(), Some("not_answering"));
    assert_eq!(help_point.queue().tickets().count(), 1, "the ticket is valid all the same");
}

#[test]
fn a_call_from_elsewhere_shows_in_the_strip_as_soon_as_the_ui_thread_hears_it_and_stands_out() {
    i_slint_backend_testing::init_no_event_loop();
    let k = start();
    let w = &k.window;
    tap(w, "English");
    tap(w, "E-mail");
    k._kiosk.catch_up();
    tap(w, "Done");
    // The staff console calls from another thread.
    let help_point = k.help_point.clone();
    std::thread::spawn(move || help_point.run(|hp| hp.call_next("desk-1")).unwrap().unwrap()).join().unwrap();
    let strip = || ElementHandle::find_by_accessible_label(w, "Ticket E-001 naar Balie 1").count();
    assert_eq!(strip(), 0, "not before the news is handed to the UI thread");
    assert!(k._kiosk.catch_up() >= 1, "the queue changed (and perhaps the printer answered)");
    assert_eq!(strip(), 1);
    assert!(w.global::<loket::NowServingAdapter>().get_fresh(), "the new call stands out");
    wait(5);
    assert!(!w.global::<loket::NowServingAdapter>().get_fresh(), "…for a few seconds");
}

/// Whether some element on screen has a text that mentions `words`.
fn shown_with(window: &AppWindow, words: &'static str) -> bool {
    !i_slint_backend_testing::ElementQuery::from_root(window)
        .match_descendants()
        .match_predicate(move |e| e.accessible_label().is_some_and(|l| l.contains(words)))
        .find_all()
        .is_empty()
}

#[test]
fn a_refused_sd_card_config_is_told_on_the_welcome_screen_for_a_quarter_of_an_hour() {
    i_slint_backend_testing::init_no_event_loop();
    let running = start();
    let why = "kiosk.idle_timeout_seconds = 4: must be between 5 and 600";
    assert!(!shown_with(&running.window, "idle_timeout_seconds"));
    let _notice = running._kiosk.show_staff_notice(why, Duration::from_secs(15 * 60));
    assert!(shown_with(&running.window, "idle_timeout_seconds"), "the reason is on the welcome screen");
    assert!(shown_with(&running.window, "SD-kaart is geweigerd"), "in the staff's language (Dutch)");
    wait(14 * 60);
    assert!(shown_with(&running.window, "idle_timeout_seconds"), "still there after 14 minutes");
    wait(61);
    assert!(!shown_with(&running.window, "idle_timeout_seconds"), "gone after 15 minutes");
}
