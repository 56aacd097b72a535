//! What a learner types shows as on a phone, checked in the pixels Slint's software renderer
//! draws at 800×480: the answer stays in the mail while it is sent, a code goes one digit per
//! box with one cursor, a typed phone number covers the field's placeholder, and the keyboard
//! pictured on a mock screen is the kiosk's own AZERTY keyboard.

use std::path::Path;
use std::sync::Arc;

use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use loket::clock::ManualClock;
use loket::config::Config;
use loket::content::{Pack, Rect, StepKind};
use loket::ui::Kiosk;
use loket::{AppWindow, LessonAdapter};
use slint::{ComponentHandle, Model};

mod common;
use common::ui::{on_window, solve, tap, text, type_text};

struct Running {
    window: AppWindow,
    _kiosk: Kiosk,
    _dir: tempfile::TempDir,
}

fn start() -> Running {
    // Each test thread has its own platform: the software renderer, for real pixels.
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .unwrap();
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
    Running { window, _kiosk: kiosk, _dir: dir }
}

fn pack() -> Pack {
    loket::content::load_pack(Path::new("content"), loket::content::REQUIRED_LANGUAGES).unwrap()
}

/// The pixels inside `area` (window pixels, left/top/right/bottom) of what the window shows.
fn pixels(window: &AppWindow, (left, top, right, bottom): (f32, f32, f32, f32)) -> Vec<[u8; 3]> {
    let shot = window.window().take_snapshot().unwrap();
    let width = shot.width() as usize;
    let bytes = shot.as_bytes();
    let mut out = Vec::new();
    for y in top.ceil() as usize..(bottom.floor() as usize).min(shot.height() as usize) {
        for x in left.ceil() as usize..(right.floor() as usize).min(width) {
            let i = (y * width + x) * 4;
            out.push([bytes[i], bytes[i + 1], bytes[i + 2]]);
        }
    }
    out
}

/// Pixels drawn on a white or near-white field: text, its anti-aliasing, a cursor.
fn ink(pixels: &[[u8; 3]]) -> usize {
    pixels.iter().filter(|p| p.iter().any(|c| *c < 230)).count()
}

/// A rect inset by `by` picture pixels on every side.
fn inset(r: Rect, by: u32) -> Rect {
    Rect { x: r.x + by, y: r.y + by, w: r.w - 2 * by, h: r.h - 2 * by }
}

/// Opens the screening in Dutch and solves the exercises before `id`.
fn screening_at(k: &Running, pack: &Pack, id: &str) {
    tap(&k.window, "Nederlands");
    tap(&k.window, &text("nl", "Check your digital skills"));
    tap(&k.window, &text("nl", "Start"));
    for item in pack.screening.iter().take_while(|i| i.id != id) {
        for step in &item.steps {
            solve(&k.window, step);
        }
    }
}

#[test]
fn the_typed_answer_stays_in_the_mail_while_it_is_sent() {
    let k = start();
    let pack = pack();
    let tutorial = pack.tutorials.iter().find(|t| t.id == "t02-email").unwrap();
    tap(&k.window, "Nederlands");
    tap(&k.window, &text("nl", "Learn step by step"));
    tap(&k.window, &tutorial.strings["nl"].title);
    let typing = tutorial.steps.iter().position(|s| s.kind == StepKind::Type).unwrap();
    for step in &tutorial.steps[..typing] {
        solve(&k.window, step);
    }
    let field = tutorial.steps[typing].field.unwrap();
    let empty = ink(&pixels(&k.window, on_window(&k.window, inset(field, 4))));
    type_text(&k.window, "nl", "ok");
    tap(&k.window, &text("nl", "Done typing"));
    let lesson = k.window.global::<LessonAdapter>();
    assert_eq!(lesson.get_step() as usize, typing + 2, "on the send step");
    assert!(lesson.get_field() && !lesson.get_field_cursor(), "the answer without a cursor");
    assert_eq!(lesson.get_typed().as_str(), "ok");
    let sending = ink(&pixels(&k.window, on_window(&k.window, inset(field, 4))));
    if let Some(dir) = std::env::var_os("LOKET_DEBUG_SHOT") {
        common::ui::snapshot(&k.window, &Path::new(&dir).join("send.png"), (800, 480));
    }
    assert!(sending > empty + 20, "the typed ok is drawn in the mail on the send step ({empty} → {sending})");
}

#[test]
fn a_code_goes_one_digit_per_box_with_one_cursor() {
    let k = start();
    let pack = pack();
    let item = pack.screening.iter().find(|i| i.id == "x01-touch-warmup").unwrap();
    screening_at(&k, &pack, &item.id);
    let typing = item.steps.iter().position(|s| s.kind == StepKind::Type).unwrap();
    for step in &item.steps[..typing] {
        solve(&k.window, step);
    }
    let step = &item.steps[typing];
    let boxes = step.boxes.expect("the code field is four boxes");
    let field = step.field.unwrap();
    let box_of = |i: u32| {
        let w = field.w / boxes;
        inset(Rect { x: field.x + i * w, y: field.y, w, h: field.h }, 8)
    };
    let ink_in = |i: u32| ink(&pixels(&k.window, on_window(&k.window, box_of(i))));
    // Before typing: one cursor, in the first box.
    assert!(ink_in(0) > 0, "the cursor in the first box");
    assert!((1..boxes).all(|i| ink_in(i) == 0), "no second cursor");

    type_text(&k.window, "nl", "47");
    if let Some(dir) = std::env::var_os("LOKET_DEBUG_SHOT") {
        common::ui::snapshot(&k.window, &Path::new(&dir).join("code.png"), (800, 480));
    }
    let lesson = k.window.global::<LessonAdapter>();
    let chars: Vec<String> = lesson.get_field_chars().iter().map(|c| c.to_string()).collect();
    assert_eq!(chars, ["4", "7"]);
    let inked: Vec<usize> = (0..boxes).map(ink_in).collect();
    assert!(inked[0] > 20 && inked[1] > 20, "a digit in each of the first two boxes: {inked:?}");
    assert!(inked[2] > 0, "the cursor moved on to the third box: {inked:?}");
    assert_eq!(inked[3], 0, "the last box is empty: {inked:?}");
    assert!(inked[0] < inked[2] * 20, "not both digits crammed into the first box: {inked:?}");
}

#[test]
fn a_typed_phone_number_covers_the_placeholder() {
    let k = start();
    let pack = pack();
    let item = pack.screening.iter().find(|i| i.id == "x06-appointment").unwrap();
    screening_at(&k, &pack, &item.id);
    let typing = item.steps.iter().position(|s| s.kind == StepKind::Type).unwrap();
    for step in &item.steps[..typing] {
        solve(&k.window, step);
    }
    // Past the first 80 picture pixels of the field: the placeholder ("Je gsm-nummer") reaches
    // there, four typed digits do not.
    let whole = inset(item.steps[typing].field.unwrap(), 4);
    let field = Rect { x: whole.x + 80, w: 60, ..whole };
    let before = pixels(&k.window, on_window(&k.window, field));
    if let Some(dir) = std::env::var_os("LOKET_DEBUG_SHOT") {
        common::ui::snapshot(&k.window, &Path::new(&dir).join("phone.png"), (800, 480));
    }
    assert!(ink(&before) > 10, "the picture's placeholder shows while nothing is typed");
    type_text(&k.window, "nl", "0470");
    let after = pixels(&k.window, on_window(&k.window, field));
    assert_eq!(ink(&after), 0, "no placeholder beside the typed number");
    let typed = ink(&pixels(&k.window, on_window(&k.window, Rect { w: 80, ..whole })));
    assert!(typed > 20, "the number is drawn ({typed})");
}

/// The letters of a mock screen's pictured keyboard, row by row (keys are 30×44 rects with a
/// one-letter label).
fn pictured_keyboard(svg: &str) -> Vec<String> {
    let mut keys: Vec<(i64, f64, char)> = Vec::new();
    for line in svg.lines() {
        let Some(label) =
            line.split("text-anchor=\"middle\">").nth(1).and_then(|r| r.strip_suffix("</text>"))
        else {
            continue;
        };
        let mut chars = label.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else { continue };
        if !line.contains("width=\"30\" height=\"44\"") || !c.is_ascii_lowercase() {
            continue;
        }
        let attr = |name: &str| -> f64 {
            line.split(&format!(" {name}=\""))
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap()
                .parse()
                .unwrap()
        };
        keys.push((attr("y") as i64, attr("x"), c));
    }
    keys.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut rows: Vec<(i64, String)> = Vec::new();
    for (y, _, c) in keys {
        match rows.last_mut() {
            Some((row_y, row)) if *row_y == y => row.push(c),
            _ => rows.push((y, c.to_string())),
        }
    }
    rows.into_iter().map(|(_, row)| row).collect()
}

/// The kiosk's own keyboard's letter rows, from where its keys are on the window.
fn kiosk_keyboard(window: &AppWindow) -> Vec<String> {
    let mut keys: Vec<(i64, f32, char)> = ('a'..='z')
        .map(|c| {
            let key = ElementHandle::find_by_accessible_label(window, &c.to_string())
                .next()
                .unwrap_or_else(|| panic!("no key {c} on the kiosk's keyboard"));
            let at = key.absolute_position();
            (at.y.round() as i64, at.x, c)
        })
        .collect();
    keys.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut rows: Vec<(i64, String)> = Vec::new();
    for (y, _, c) in keys {
        match rows.last_mut() {
            Some((row_y, row)) if *row_y == y => row.push(c),
            _ => rows.push((y, c.to_string())),
        }
    }
    rows.into_iter().map(|(_, row)| row).collect()
}

#[test]
fn a_pictured_keyboard_is_the_kiosks_own_azerty() {
    let k = start();
    let pack = pack();
    let tutorial = pack.tutorials.iter().find(|t| t.id == "t02-email").unwrap();
    tap(&k.window, "Nederlands");
    tap(&k.window, &text("nl", "Learn step by step"));
    tap(&k.window, &tutorial.strings["nl"].title);
    let typing = tutorial.steps.iter().position(|s| s.kind == StepKind::Type).unwrap();
    for step in &tutorial.steps[..typing] {
        solve(&k.window, step);
    }
    let kiosk = kiosk_keyboard(&k.window);
    assert_eq!(kiosk[0], "azertyuiop", "{kiosk:?}");

    let mut pictured = 0;
    for activity in pack.tutorials.iter().chain(&pack.screening) {
        for step in &activity.steps {
            let svg = std::fs::read_to_string(&step.screen).unwrap();
            let rows = pictured_keyboard(&svg);
            if rows.len() < 3 {
                continue;
            }
            pictured += 1;
            assert_eq!(rows, kiosk, "{} {}: the pictured keyboard", activity.id, step.id);
        }
    }
    assert!(pictured > 0, "some mock screen pictures a keyboard");
}
