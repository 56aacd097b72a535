//! Nothing cut off: every visitor and learning screen, in every language a help point can offer,
//! at 800×480 and 720×1280, with no text elided, clipped or running out of its box.
//!
//! Each text on those screens is a `FitText` (ui/widgets.slint), which says "does not fit" in its
//! accessible description when its laid-out size is smaller than what its words need at that
//! width. The test walks the screens as a visitor and a learner would (Slint's headless testing
//! backend, real layout, the bundled fonts) and lists every text that does not fit.

use std::path::Path;
use std::sync::Arc;

use i_slint_backend_testing::{ElementHandle, ElementQuery, TestingBackend, TestingBackendOptions};
use loket::clock::ManualClock;
use loket::config::Config;
use loket::content::StepKind;
use loket::ui::Kiosk;
use loket::{AppWindow, KioskAdapter, PrintState, Screen, TicketAdapter};
use slint::{ComponentHandle, Model};

/// Every language a help point may offer to visitors.
const LANGUAGES: [&str; 14] =
    ["nl", "en", "fr", "ar", "fa", "prs", "ps", "ti", "uk", "ru", "tr", "so", "es", "ro"];
const SIZES: [(u32, u32); 2] = [(800, 480), (720, 1280)];

/// The languages to walk: all of them, or those listed in `LOKET_LANGUAGES` ("nl,ar,ti") while
/// working on one.
fn languages() -> Vec<&'static str> {
    match std::env::var("LOKET_LANGUAGES") {
        Ok(only) => LANGUAGES.into_iter().filter(|l| only.split(',').any(|o| o.trim() == *l)).collect(),
        Err(_) => LANGUAGES.to_vec(),
    }
}

/// The texts on screen now that do not fit their box, described for the failure message.
fn cut_off(window: &AppWindow, lang: &str, size: (u32, u32), screen: &str) -> Vec<String> {
    ElementQuery::from_root(window)
        .match_descendants()
        .match_predicate(|e| e.accessible_description().as_deref() == Some("does not fit"))
        .find_all()
        .into_iter()
        .filter(|e| e.computed_opacity() > 0.0)
        .map(|e| {
            let (p, s) = (e.absolute_position(), e.size());
            format!(
                "{lang} {}x{} {screen}: {:?} in a box {:.0}×{:.0} at ({:.0}, {:.0})",
                size.0,
                size.1,
                e.accessible_label().unwrap_or_default(),
                s.width,
                s.height,
                p.x,
                p.y
            )
        })
        .collect()
}

/// `english` as the screens show it in `lang`.
fn text(lang: &str, english: &'static str) -> String {
    loket_protocol::i18n::tr(lang, english).to_owned()
}

fn tap(window: &AppWindow, label: &str) {
    let found: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(window, label)
        .filter(|e| e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button))
        .collect();
    assert!(
        !found.is_empty(),
        "no button {label:?} on screen {:?}",
        window.global::<KioskAdapter>().get_screen()
    );
    found[0].invoke_accessible_default_action();
}

/// Does what `step` asks, as a learner who knows the way (see tests/common/ui.rs, for any language).
fn solve(window: &AppWindow, lang: &str, step: &loket::content::Step) {
    match step.kind {
        StepKind::Show => tap(window, &text(lang, "Next")),
        StepKind::Tap | StepKind::Choose => {
            let rect = step.target.unwrap();
            let screen = ElementHandle::find_by_accessible_label(window, &text(lang, "Practice screen"))
                .next()
                .expect("a practice screen");
            let scale = screen.size().width / window.global::<loket::LessonAdapter>().get_screen_width();
            let p = screen.absolute_position();
            let at = slint::LogicalPosition::new(
                p.x + (rect.x as f32 + rect.w as f32 / 2.0) * scale,
                p.y + (rect.y as f32 + rect.h as f32 / 2.0) * scale,
            );
            use slint::platform::{PointerEventButton, WindowEvent};
            let w = window.window();
            w.dispatch_event(WindowEvent::PointerMoved { position: at });
            w.dispatch_event(WindowEvent::PointerPressed { position: at, button: PointerEventButton::Left });
            w.dispatch_event(WindowEvent::PointerReleased { position: at, button: PointerEventButton::Left });
        }
        StepKind::Type => {
            for c in step.accept[0].chars() {
                let label = if c == ' ' { text(lang, "Space") } else { c.to_string() };
                tap(window, &label);
            }
            tap(window, &text(lang, "Done typing"));
        }
    }
}

fn kiosk(dir: &Path) -> (AppWindow, Kiosk) {
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.to_path_buf();
    config.speech = loket::config::Speech::Simulated;
    config.site.languages = LANGUAGES.iter().map(|l| l.to_string()).collect();
    let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    let window = AppWindow::new().unwrap();
    let kiosk = Kiosk::wire_without_event_loop(&window, parts);
    (window, kiosk)
}

#[test]
fn no_text_is_cut_off_in_any_language_at_either_size() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .unwrap();
    let pack = loket::content::load_pack(Path::new("content"), loket::content::REQUIRED_LANGUAGES).unwrap();
    let mut problems = Vec::new();
    let mut screens = 0;
    for lang in languages() {
        let autonym = loket::languages::language(lang).unwrap().autonym;
        for size in SIZES {
            let dir = tempfile::tempdir().unwrap();
            let (window, kiosk) = kiosk(dir.path());
            window.window().set_size(slint::PhysicalSize::new(size.0, size.1));
            window.show().unwrap();
            let mut check = |window: &AppWindow, screen: &str| {
                let mut found = cut_off(window, lang, size, screen);
                // A text is found once per element it is made of (the FitText and its Text).
                found.dedup();
                problems.extend(found);
                screens += 1;
            };

            eprintln!("{lang} {size:?}");
            check(&window, "welcome");
            tap(&window, autonym);
            check(&window, "services");
            let idle = Config::sample().kiosk.idle_timeout_seconds as u64;
            for _ in 0..(idle + 3) * 4 {
                i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(250));
            }
            check(&window, "still-there");
            tap(&window, &text(lang, "Yes, I need more time"));

            // The visitor's ticket: being made, printed, printer failed.
            let email = Config::sample().service("email").unwrap().name(lang).to_owned();
            tap(&window, &email);
            check(&window, "ticket-being-made");
            kiosk.catch_up();
            assert_eq!(window.global::<KioskAdapter>().get_screen(), Screen::Ticket, "{lang}");
            window.global::<TicketAdapter>().set_print_state(PrintState::Printed);
            check(&window, "ticket");
            window.global::<TicketAdapter>().set_print_state(PrintState::Failed);
            check(&window, "ticket-printer-failed");
            tap(&window, &text(lang, "Done"));

            // Learning: the catalogue, every step of every tutorial, the screening.
            tap(&window, autonym);
            tap(&window, &text(lang, "Learn step by step"));
            check(&window, "catalogue");
            for tutorial in &pack.tutorials {
                // The tile's title as the catalogue shows it (a lesson not in `lang` falls back).
                let tiles = window.global::<loket::CatalogueAdapter>().get_tutorials();
                let tile = tiles.iter().find(|t| t.id == tutorial.id.as_str()).expect("a tile per tutorial");
                tap(&window, &tile.title);
                for (i, step) in tutorial.steps.iter().enumerate() {
                    check(&window, &format!("{} step {}", tutorial.id, i + 1));
                    solve(&window, lang, step);
                }
                check(&window, &format!("{} done", tutorial.id));
                tap(&window, &text(lang, "Another lesson"));
            }
            tap(&window, &text(lang, "Back"));
            tap(&window, &text(lang, "Check your digital skills"));
            check(&window, "screening intro");
            tap(&window, &text(lang, "Start"));
            for item in &pack.screening {
                for (i, step) in item.steps.iter().enumerate() {
                    check(&window, &format!("screening {} step {}", item.id, i + 1));
                    solve(&window, lang, step);
                }
            }
            kiosk.catch_up();
            check(&window, "screening result");
            // Result codes are random: the widest one must fit too.
            window.global::<loket::LessonDoneAdapter>().set_code("WWW-WWW".into());
            check(&window, "screening result with the widest code");
        }
    }
    problems.dedup();
    eprintln!("{screens} screens checked");
    assert!(problems.is_empty(), "{} texts do not fit:\n{}", problems.len(), problems.join("\n"));
}
