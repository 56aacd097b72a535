//! Outside the opening hours: the kiosk says it is closed and when it opens again, in the
//! visitors' languages in turn, offers no ticket button, goes dark after a while (backlight
//! off), wakes on a touch, and comes back at opening time.
//!
//! Also draws the closed screen to PNG (Dutch and Arabic, 800×480 and 720×1280, and the dark
//! screen) into `target/tmp/screenshots/` or `$LOKET_SCREENSHOTS`: look at them. One test per
//! file: the software-rendering backend is set up once per process.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use i_slint_backend_testing::{AccessibleRole, ElementHandle, TestingBackend, TestingBackendOptions};
use loket::after_hours::SimulatedBacklight;
use loket::clock::ManualClock;
use loket::config::Config;
use loket::ui::Kiosk;
use loket::{AppWindow, KioskAdapter, Screen};
use slint::ComponentHandle;

mod common;

fn out_dir() -> PathBuf {
    let dir = std::env::var_os("LOKET_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Advances the mock clock of the UI's timers by `d`, in the kiosk's 250 ms ticks.
fn wait(d: Duration) {
    for _ in 0..d.as_millis() / 250 {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(250));
    }
}

fn has_text(window: &AppWindow, text: &str) -> bool {
    ElementHandle::find_by_accessible_label(window, text).next().is_some()
}

/// A kiosk on Saturday morning (the sample help point opens Monday to Friday), nobody waiting.
fn saturday_kiosk(dir: &Path) -> (AppWindow, Kiosk, Arc<ManualClock>, SimulatedBacklight) {
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.to_path_buf();
    config.speech = loket::config::Speech::Simulated;
    config.display.dark_after_closed_minutes = 1;
    // 2026-12-05 is a Saturday; 10:00 in Brussels.
    let clock = Arc::new(ManualClock::new("2026-12-05T09:00:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock.clone()).unwrap();
    let window = AppWindow::new().unwrap();
    let backlight = SimulatedBacklight::default();
    let manual = Some(loket::ui::inbox::ManualUiThread::default());
    let kiosk = Kiosk::wire_with(&window, parts, Box::new(backlight.clone()), manual);
    (window, kiosk, clock, backlight)
}

#[test]
fn closed_says_when_it_opens_goes_dark_wakes_on_touch_and_opens_on_time() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .unwrap();
    let out = out_dir();

    for size in [(800, 480), (720, 1280)] {
        let dir = tempfile::tempdir().unwrap();
        let (window, _kiosk, _clock, backlight) = saturday_kiosk(dir.path());
        window.window().set_size(slint::PhysicalSize::new(size.0, size.1));
        window.show().unwrap();
        let name = |what: &str| out.join(format!("{what}-{}x{}.png", size.0, size.1));

        assert_eq!(window.global::<KioskAdapter>().get_screen(), Screen::Closed);
        assert_eq!(backlight.is_on(), Some(true));
        assert!(!has_text(&window, "Nederlands") && !has_text(&window, "العربية"), "no language buttons");
        assert!(
            !ElementHandle::find_by_accessible_label(&window, "E-mail")
                .any(|e| e.accessible_role() == Some(AccessibleRole::Button))
        );
        // The sample offers nl, en, fr, ar, …: Dutch first, Arabic three greetings later.
        assert!(has_text(&window, "Gesloten"), "in Dutch first");
        assert!(has_text(&window, "Weer open op maandag om 09:00"));
        common::ui::snapshot(&window, &name("closed-nl"), size);
        wait(Duration::from_secs(9));
        assert!(has_text(&window, "مغلق"), "in Arabic three greetings later");
        assert!(has_text(&window, "نفتح مجددًا يوم الاثنين الساعة 09:00"));
        common::ui::snapshot(&window, &name("closed-ar"), size);

        // A minute without a touch and nobody waiting: dark.
        wait(Duration::from_secs(60));
        assert_eq!(backlight.is_on(), Some(false), "backlight off");
        common::ui::snapshot_allow_blank(&window, &name("closed-dark"), size);
        // A touch brings the message back, light on.
        let dark = ElementHandle::find_by_accessible_label(&window, "Closed")
            .chain(ElementHandle::find_by_accessible_label(&window, "Gesloten"))
            .chain(ElementHandle::find_by_accessible_label(&window, "مغلق"))
            .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
            .expect("the dark screen is one big button");
        dark.invoke_accessible_default_action();
        assert_eq!(backlight.is_on(), Some(true), "a touch wakes it");
        assert!(!window.global::<loket::ClosedAdapter>().get_dark());
    }

    // Opening time: the welcome screen and its language buttons are back.
    let dir = tempfile::tempdir().unwrap();
    let (window, _kiosk, clock, backlight) = saturday_kiosk(dir.path());
    window.window().set_size(slint::PhysicalSize::new(800, 480));
    window.show().unwrap();
    wait(Duration::from_secs(70));
    assert_eq!(backlight.is_on(), Some(false));
    clock.set("2026-12-07T08:00:00Z".parse().unwrap()); // Monday 09:00 in Brussels
    wait(Duration::from_secs(1));
    assert_eq!(window.global::<KioskAdapter>().get_screen(), Screen::Welcome);
    assert_eq!(backlight.is_on(), Some(true));
    assert!(has_text(&window, "Nederlands"));
}
