//! The kiosk's screens on a real Slint event loop (the headless backend's): a tap answers at
//! once, and the help point's answer and the printer's result reach the screen through
//! `slint::invoke_from_event_loop`, not a timer (time is mocked and never advanced here, so no
//! timer fires). One test in this file: the event loop can be set up once per process.

use std::sync::Arc;
use std::time::Duration;

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use loket::clock::ManualClock;
use loket::config::Config;
use loket::{AppWindow, KioskAdapter, PrintState, Screen, ServicesAdapter, TicketAdapter};
use slint::ComponentHandle;

fn tap(window: &AppWindow, label: &str) {
    let button = ElementHandle::find_by_accessible_label(window, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no button {label:?}"));
    button.invoke_accessible_default_action();
}

/// Lets the event loop run the work handed to it so far, then returns.
fn turn_the_event_loop() {
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(10));
        slint::invoke_from_event_loop(|| slint::quit_event_loop().unwrap()).unwrap();
    });
    slint::run_event_loop().unwrap();
}

#[test]
fn news_reaches_the_screens_through_the_event_loop() {
    i_slint_backend_testing::init_integration_test_with_mock_time();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.path().to_path_buf();
    config.speech = loket::config::Speech::Simulated;
    let clock = Arc::new(ManualClock::new("2026-11-30T09:30:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    let help_point = parts.help_point.clone();
    let window = AppWindow::new().unwrap();
    let kiosk = loket::ui::Kiosk::wire(&window, parts);

    tap(&window, "English");
    tap(&window, "E-mail");
    assert!(window.global::<ServicesAdapter>().get_busy(), "the tap is answered at once");
    help_point.sync().unwrap();
    assert_eq!(help_point.queue().tickets().count(), 1, "the ticket is stored…");
    assert_eq!(window.global::<KioskAdapter>().get_screen(), Screen::Services, "…and not yet shown");
    assert_eq!(kiosk.catch_up(), 0, "with an event loop, nothing waits to be handed over by hand");

    turn_the_event_loop();
    assert_eq!(window.global::<KioskAdapter>().get_screen(), Screen::Ticket);
    assert_eq!(window.global::<TicketAdapter>().get_code().as_str(), "E-001");
    assert!(!window.global::<ServicesAdapter>().get_busy());

    // The simulated printer answers from its own thread; the loop brings the result.
    let ticket = window.global::<TicketAdapter>();
    for _ in 0..300 {
        if ticket.get_print_state() != PrintState::Printing {
            break;
        }
        turn_the_event_loop();
    }
    assert_eq!(ticket.get_print_state(), PrintState::Printed);

    // A call from elsewhere reaches the strip the same way.
    help_point.run(|hp| hp.call_next("desk-1")).unwrap().unwrap();
    turn_the_event_loop();
    let strip = ElementHandle::find_by_accessible_label(&window, "Ticket E-001 to Balie 1").count();
    assert_eq!(strip, 1, "the strip shows the call, in the visitor's language (English)");
}
