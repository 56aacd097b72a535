//! Lessons are readable and tappable on the kiosk's smallest screen (800×480): for every step
//! of every shipped tutorial and screening exercise, the practice phone as laid out on the
//! window makes the smallest text of the pictured screen at least 12 px high (from the SVG's
//! `font-size`s and the scale the lesson screen applies) and the step's target at least 44 px
//! on its shortest side, and a tap in the middle of the target lands on it.

use std::path::Path;
use std::sync::Arc;

use i_slint_backend_testing::ElementHandle;
use loket::clock::ManualClock;
use loket::config::Config;
use loket::content::Activity;
use loket::ui::Kiosk;
use loket::{AppWindow, LessonAdapter};
use slint::ComponentHandle;

mod common;
use common::ui::{solve, tap, text};

const TEXT_PX: f32 = 12.0;
const TARGET_PX: f32 = 44.0;

/// The smallest `font-size` on an SVG, times the `scale()` of the groups around it; a plain
/// scan, written apart from the kiosk's own so that a slip in one shows in the other.
fn smallest_font(svg: &str) -> f32 {
    let mut scales: Vec<(bool, f32)> = Vec::new();
    let mut smallest = f32::MAX;
    for piece in svg.split('<').skip(1) {
        let tag = piece.split('>').next().unwrap_or("");
        let attr = |name: &str| {
            tag.split(&format!(" {name}=\"")).nth(1).and_then(|r| r.split('"').next()).map(str::to_owned)
        };
        if tag.starts_with("g") && !tag.ends_with('/') {
            let scale = attr("transform")
                .and_then(|t| t.split("scale(").nth(1).map(|s| s.to_owned()))
                .and_then(|s| s.split([')', ',', ' ']).next().and_then(|f| f.parse::<f32>().ok()))
                .unwrap_or(1.0);
            scales.push((true, scale));
        } else if tag.starts_with("/g") {
            scales.pop();
        } else if tag.starts_with("text") {
            let size: f32 = attr("font-size").map_or(16.0, |s| s.parse().unwrap());
            let scale: f32 = scales.iter().map(|(_, s)| s).product();
            smallest = smallest.min(size * scale);
        }
    }
    smallest
}

fn start() -> (AppWindow, Kiosk, tempfile::TempDir) {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.path().to_path_buf();
    config.speech = loket::config::Speech::Simulated;
    let clock = Arc::new(ManualClock::new("2026-11-30T09:30:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    let window = AppWindow::new().unwrap();
    window.window().set_size(slint::PhysicalSize::new(800, 480));
    let kiosk = Kiosk::wire_without_event_loop(&window, parts);
    window.show().unwrap();
    (window, kiosk, dir)
}

/// Window pixels per mock-screen pixel, as the lesson screen draws the phone now.
fn scale(window: &AppWindow) -> f32 {
    let screen = ElementHandle::find_by_accessible_label(window, &text("nl", "Practice screen"))
        .next()
        .expect("a practice screen");
    screen.size().width / window.global::<LessonAdapter>().get_screen_width()
}

/// Goes through `activity`'s steps; every problem found goes into `problems`.
fn check(window: &AppWindow, activity: &Activity, problems: &mut Vec<String>, measured: &mut (f32, f32)) {
    let lesson = window.global::<LessonAdapter>();
    for (i, step) in activity.steps.iter().enumerate() {
        let scale = scale(window);
        let font = smallest_font(&std::fs::read_to_string(&step.screen).unwrap());
        let text_px = font * scale;
        measured.0 = measured.0.min(text_px);
        if text_px < TEXT_PX {
            problems.push(format!(
                "{} {}: smallest text {text_px:.1} px ({font} × {scale:.2})",
                activity.id, step.id
            ));
        }
        if let Some(target) = step.target {
            let side = target.w.min(target.h) as f32 * scale;
            measured.1 = measured.1.min(side);
            if side < TARGET_PX {
                problems.push(format!("{} {}: target {side:.1} px on its short side", activity.id, step.id));
            }
        }
        // The instruction keeps at least 40% of the width beside the phone.
        let phone_w = step.screen_size.width as f32 * scale;
        if phone_w > 800.0 * 0.6 {
            problems.push(format!("{} {}: the phone takes {phone_w:.0} of 800 px", activity.id, step.id));
        }
        let before = (lesson.get_step(), lesson.get_task());
        solve(window, step);
        if i + 1 < activity.steps.len() && (lesson.get_step(), lesson.get_task()) == before {
            problems.push(format!("{} {}: a tap on the target did not land", activity.id, step.id));
            return;
        }
    }
}

#[test]
fn every_lesson_step_is_readable_and_tappable_at_800_by_480() {
    let pack = loket::content::load_pack(Path::new("content"), loket::content::REQUIRED_LANGUAGES).unwrap();
    let (window, kiosk, _dir) = start();
    let mut problems = Vec::new();
    let mut measured = (f32::MAX, f32::MAX);
    tap(&window, "Nederlands");
    for tutorial in &pack.tutorials {
        tap(&window, &text("nl", "Learn step by step"));
        tap(&window, &tutorial.strings["nl"].title);
        check(&window, tutorial, &mut problems, &mut measured);
        tap(&window, &text("nl", "Another lesson"));
        tap(&window, &text("nl", "Back"));
    }
    tap(&window, &text("nl", "Check your digital skills"));
    tap(&window, &text("nl", "Start"));
    for item in &pack.screening {
        check(&window, item, &mut problems, &mut measured);
    }
    kiosk.catch_up();
    println!("smallest text {:.1} px, smallest target {:.1} px", measured.0, measured.1);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
