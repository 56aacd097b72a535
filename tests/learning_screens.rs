//! Screenshots of the learning screens: the catalogue, tutorial steps (show, tap with a hint,
//! type), the screening's intro, every screening task, the result and "well done", in Dutch
//! (left to right) and Arabic (right to left), at 800×480 and 720×1280. PNGs go to
//! `target/tmp/screenshots/learning/` (or `$LOKET_SCREENSHOTS/learning`); look at them.
//!
//! It also checks what a picture can show: nothing blank, and the Arabic screens mirrored.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use loket::clock::ManualClock;
use loket::config::Config;
use loket::content::StepKind;
use loket::ui::Kiosk;
use loket::{AppWindow, KioskAdapter, Screen};
use slint::ComponentHandle;

mod common;

const SIZES: [(u32, u32); 2] = [(800, 480), (720, 1280)];

fn out_dir() -> PathBuf {
    let dir = std::env::var_os("LOKET_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"))
        .join("learning");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn kiosk(dir: &Path) -> (AppWindow, Kiosk) {
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.to_path_buf();
    config.speech = loket::config::Speech::Simulated;
    let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    assert!(parts.content.is_some(), "the repository's content pack loads");
    let window = AppWindow::new().unwrap();
    let kiosk = Kiosk::wire_without_event_loop(&window, parts);
    (window, kiosk)
}

#[test]
fn the_learning_screens_in_dutch_and_arabic() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .unwrap();
    let pack = loket::content::load_pack(Path::new("content"), loket::content::REQUIRED_LANGUAGES).unwrap();
    let out = out_dir();
    let mut written = 0;
    for (lang, autonym) in [("nl", "Nederlands"), ("ar", "العربية")] {
        for size in SIZES {
            let dir = tempfile::tempdir().unwrap();
            let (window, _kiosk) = kiosk(dir.path());
            window.window().set_size(slint::PhysicalSize::new(size.0, size.1));
            window.show().unwrap();
            let name = |screen: &str| out.join(format!("{screen}-{lang}-{}x{}.png", size.0, size.1));
            let mut shot = |screen: &str| {
                common::ui::snapshot(&window, &name(screen), size);
                written += 1;
            };
            common::ui::tap(&window, autonym);
            shot("services");

            // The catalogue and every tutorial's first steps.
            common::ui::tap(&window, &common::ui::text(lang, "Learn step by step"));
            shot("catalogue");
            let back = ElementHandle::find_by_accessible_label(&window, &common::ui::text(lang, "Back"))
                .next()
                .unwrap();
            let on_right = back.absolute_position().x > size.0 as f32 / 2.0;
            assert_eq!(on_right, lang == "ar", "{lang} {size:?}: back button on the right = {on_right}");
            for tutorial in &pack.tutorials {
                let title = &tutorial.strings[lang].title;
                common::ui::tap(&window, title);
                assert_eq!(window.global::<KioskAdapter>().get_screen(), Screen::Lesson);
                let mut shown_kinds = Vec::new();
                for (i, step) in tutorial.steps.iter().enumerate() {
                    // One picture per kind of step, and one with the hint showing.
                    if !shown_kinds.contains(&step.kind) {
                        shown_kinds.push(step.kind);
                        shot(&format!("{}-s{}", tutorial.id, i + 1));
                        if step.kind == StepKind::Tap {
                            // Two wrong taps: the hint words, then the spot pulsing.
                            common::ui::tap_beside_target(&window, step);
                            common::ui::tap_beside_target(&window, step);
                            shot(&format!("{}-s{}-hint", tutorial.id, i + 1));
                        }
                    }
                    common::ui::solve(&window, step);
                }
                assert_eq!(window.global::<KioskAdapter>().get_screen(), Screen::LessonDone);
                if tutorial.id == pack.tutorials[0].id {
                    shot("tutorial-done");
                }
                common::ui::tap(&window, &common::ui::text(lang, "Another lesson"));
            }
            common::ui::tap(&window, &common::ui::text(lang, "Back"));

            // The screening: the intro, each task, then the result.
            common::ui::tap(&window, &common::ui::text(lang, "Check your digital skills"));
            shot("screening-intro");
            common::ui::tap(&window, &common::ui::text(lang, "Start"));
            for (n, item) in pack.screening.iter().enumerate() {
                for (i, step) in item.steps.iter().enumerate() {
                    shot(&format!("screening-{}-s{}", item.id, i + 1));
                    // Half of the tasks done well, the others with a wrong tap first.
                    if n % 2 == 1 && step.target.is_some() {
                        common::ui::tap_beside_target(&window, step);
                    }
                    common::ui::solve(&window, step);
                }
            }
            assert_eq!(window.global::<KioskAdapter>().get_screen(), Screen::LessonDone);
            _kiosk.catch_up();
            shot("screening-result");
        }
    }
    eprintln!("{written} screenshots in {}", out.display());
}
