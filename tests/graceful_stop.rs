//! Stopping the kiosk (what `loket run` does after SIGTERM ends the event loop): dropping the
//! wired kiosk and its window lets go of every part of it, so the print queue finishes the
//! ticket being printed, then the help point's owner finishes its commands and checkpoints the
//! store before the process exits.

use std::sync::Arc;

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use loket::clock::ManualClock;
use loket::config::Config;
use loket::ui::Kiosk;
use loket::{AppWindow, KioskAdapter, Screen};
use slint::ComponentHandle;

fn tap(window: &AppWindow, label: &str) {
    let button = ElementHandle::find_by_accessible_label(window, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no button {label:?}"));
    button.invoke_accessible_default_action();
}

#[test]
fn stopping_right_after_a_tap_still_prints_the_ticket_and_releases_the_store() {
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

    tap(&window, "Nederlands");
    tap(&window, "E-mail");
    kiosk.catch_up();
    assert_eq!(window.global::<KioskAdapter>().get_screen(), Screen::Ticket);
    // The printer thread is now drawing the ticket; stop at once, as after SIGTERM.
    drop(kiosk);
    drop(window);

    let tickets = dir.path().join("tickets");
    let printed: Vec<_> = std::fs::read_dir(&tickets).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(
        printed.iter().any(|f| f.to_string_lossy().ends_with(".escpos"))
            && printed.iter().any(|f| f.to_string_lossy().ends_with(".png")),
        "the ticket was finished before the stop returned: {printed:?}"
    );
    assert_eq!(help_point.sync(), Err(loket::owner::Stopped), "the help point's owner has stopped");
    let wal = dir.path().join(format!("{}-wal", loket::setup::STORE_FILE));
    assert!(std::fs::metadata(&wal).map_or(true, |m| m.len() == 0), "the store was checkpointed");
    let store = loket::store::Store::open(&dir.path().join(loket::setup::STORE_FILE)).unwrap();
    assert_eq!(store.ticket_count().unwrap(), 1, "the ticket is in the store");
}
