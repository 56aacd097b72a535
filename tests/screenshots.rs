//! The screenshot generator: every screen, in Dutch (left to right) and Arabic (right to
//! left), at 800×480, 720×1280 and 1920×1080, drawn by Slint's software renderer without a
//! display. PNGs go to `target/tmp/screenshots/` (or `$LOKET_SCREENSHOTS`); look at them.
//!
//! It also checks what a picture can show: the size is right, the screen is not blank, and
//! Arabic screens are mirrored (the back button sits on the right).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use jiff::SignedDuration;
use loket::clock::ManualClock;
use loket::config::Config;
use loket::ui::Kiosk;
use loket::{AppWindow, KioskAdapter, PrintState, TicketAdapter};
use slint::ComponentHandle;

mod common;

const SIZES: [(u32, u32); 3] = [(800, 480), (720, 1280), (1920, 1080)];

fn out_dir() -> PathBuf {
    let dir = std::env::var_os("LOKET_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tap(window: &AppWindow, label: &str) {
    let el = ElementHandle::find_by_accessible_label(window, label)
        .find(|e| e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no button {label:?}"));
    el.invoke_accessible_default_action();
}

/// A kiosk in the middle of a morning: a few people waiting, two desks busy.
fn busy_kiosk(dir: &Path) -> (AppWindow, Kiosk) {
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.to_path_buf();
    config.speech = loket::config::Speech::Simulated;
    let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock.clone()).unwrap();
    let advance = clock.clone();
    parts
        .help_point
        .run(move |hp| {
            let clock = advance;
            for (service, lang) in [
                ("email", "ar"),
                ("tablet", "uk"),
                ("email", "nl"),
                ("appointment", "fr"),
                ("smartphone", "ti"),
                ("email", "prs"),
                ("tablet", "so"),
            ] {
                hp.take_ticket(service, lang).unwrap();
                clock.advance(SignedDuration::from_mins(3));
            }
            hp.call_next("desk-1").unwrap();
            hp.call_next("desk-2").unwrap();
            clock.advance(SignedDuration::from_mins(4));
            hp.call_next("desk-1").unwrap();
        })
        .unwrap();
    let window = AppWindow::new().unwrap();
    let kiosk = Kiosk::wire_without_event_loop(&window, parts);
    (window, kiosk)
}

#[test]
fn every_screen_in_dutch_and_arabic_at_three_sizes() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .unwrap();
    let out = out_dir();
    let mut written = 0;
    for (lang, autonym, back_label, email) in
        [("nl", "Nederlands", "Terug", "E-mail"), ("ar", "العربية", "رجوع", "البريد الإلكتروني")]
    {
        for size in SIZES {
            let dir = tempfile::tempdir().unwrap();
            let (window, _kiosk) = busy_kiosk(dir.path());
            window.window().set_size(slint::PhysicalSize::new(size.0, size.1));
            window.show().unwrap();
            let name = |screen: &str| out.join(format!("{screen}-{lang}-{}x{}.png", size.0, size.1));

            common::ui::snapshot(&window, &name("welcome"), size);
            // The band for the person setting the kiosk up, in the staff's language (Dutch).
            let notice = _kiosk.show_staff_notice(
                "config file /boot/firmware/loket.toml: kiosk.idle_timeout_seconds = 4: must be between 5 and 600",
                std::time::Duration::from_secs(60),
            );
            common::ui::snapshot(&window, &name("welcome-refused-config"), size);
            drop(notice);
            tap(&window, autonym);
            common::ui::snapshot(&window, &name("services"), size);

            // Mirroring: the back button starts the line on the reading side.
            let back = ElementHandle::find_by_accessible_label(&window, back_label).next().unwrap();
            let on_right = back.absolute_position().x > size.0 as f32 / 2.0;
            assert_eq!(on_right, lang == "ar", "{lang} {size:?}: back button on the right = {on_right}");

            let idle = Config::sample().kiosk.idle_timeout_seconds as u64;
            for _ in 0..(idle + 3) * 4 {
                i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(250));
            }
            common::ui::snapshot(&window, &name("still-there"), size);
            tap(&window, &loket_text(lang, "Yes, I need more time"));

            tap(&window, email);
            // What the visitor sees until the help point has stored the ticket.
            common::ui::snapshot(&window, &name("services-ticket-being-made"), size);
            _kiosk.catch_up();
            assert_eq!(window.global::<KioskAdapter>().get_screen(), loket::Screen::Ticket);
            window.global::<TicketAdapter>().set_print_state(PrintState::Printed);
            common::ui::snapshot(&window, &name("ticket"), size);
            window.global::<TicketAdapter>().set_print_state(PrintState::Failed);
            common::ui::snapshot(&window, &name("ticket-printer-failed"), size);
            written += 7;
        }
    }
    eprintln!("{written} screenshots in {}", out.display());
}

/// The few translated labels this test taps.
fn loket_text(lang: &str, english: &str) -> String {
    match (lang, english) {
        ("nl", "Yes, I need more time") => "Ja, ik heb meer tijd nodig".into(),
        ("ar", "Yes, I need more time") => "نعم، أحتاج وقتًا إضافيًا".into(),
        _ => english.into(),
    }
}
