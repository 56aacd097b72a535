//! Driving the kiosk window under Slint's headless testing backend: buttons found by their
//! accessible label (in the language on screen, read from the bundled `.po` files), taps on the
//! mock phone screen as real pointer events, and a step "solved" the way a learner would.

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use loket::AppWindow;
use loket::content::{Rect, Step, StepKind};
use slint::ComponentHandle;
use slint::platform::{PointerEventButton, WindowEvent};

/// Writes what `window` shows as a PNG at `path`, checking its size and that it is not blank.
pub fn snapshot(window: &AppWindow, path: &std::path::Path, size: (u32, u32)) {
    let pixels = write_snapshot(window, path, size);
    let first = &pixels[..4];
    assert!(pixels.chunks(4).any(|p| p != first), "{} is blank", path.display());
}

/// [`snapshot`] for a screen that may well be one colour (the dark screen).
pub fn snapshot_allow_blank(window: &AppWindow, path: &std::path::Path, size: (u32, u32)) {
    write_snapshot(window, path, size);
}

fn write_snapshot(window: &AppWindow, path: &std::path::Path, (w, h): (u32, u32)) -> Vec<u8> {
    let shot = window.window().take_snapshot().unwrap();
    assert_eq!((shot.width(), shot.height()), (w, h), "{}", path.display());
    let pixels = shot.as_bytes();
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut png = png::Encoder::new(file, w, h);
    png.set_color(png::ColorType::Rgba);
    png.set_depth(png::BitDepth::Eight);
    png.write_header().unwrap().write_image_data(pixels).unwrap();
    pixels.to_vec()
}

/// Presses the one button labelled `label`.
pub fn tap(window: &AppWindow, label: &str) {
    let found: Vec<_> = ElementHandle::find_by_accessible_label(window, label)
        .filter(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .collect();
    assert_eq!(found.len(), 1, "exactly one button labelled {label:?}");
    found[0].invoke_accessible_default_action();
}

/// Whether a button labelled `label` is on screen.
pub fn has_button(window: &AppWindow, label: &str) -> bool {
    ElementHandle::find_by_accessible_label(window, label)
        .any(|e| e.accessible_role() == Some(AccessibleRole::Button))
}

/// `english` as the screen shows it in `lang` (the English source text when `lang` is "en").
pub fn text(lang: &str, english: &str) -> String {
    // The bundled catalogue, drafts included: the screens show drafts too.
    let catalogue = loket_protocol::i18n::Catalogue::bundled();
    if lang != "en" && catalogue.message(lang, english).is_none() {
        panic!("no translation of {english:?} in {lang}");
    }
    catalogue.text(lang, english).to_owned()
}

/// A tap at (`x`, `y`) in the mock screen's own pixels, as a pointer press and release at the
/// place on the window where the screen shows that point.
pub fn tap_screen(window: &AppWindow, x: f32, y: f32) {
    let (position, scale) = screen_place(window);
    let at = slint::LogicalPosition::new(position.0 + x * scale, position.1 + y * scale);
    window.window().dispatch_event(WindowEvent::PointerMoved { position: at });
    window
        .window()
        .dispatch_event(WindowEvent::PointerPressed { position: at, button: PointerEventButton::Left });
    window
        .window()
        .dispatch_event(WindowEvent::PointerReleased { position: at, button: PointerEventButton::Left });
}

/// A wrong tap, as a learner near the right spot would make: just beside `step`'s target (left,
/// right, above or below it), outside its risky spots, so it is on the part of a zoomed phone
/// the screen shows.
pub fn tap_beside_target(window: &AppWindow, step: &Step) {
    let t = step.target.expect("a tap step");
    let (x, y, w, h) = (t.x as f32, t.y as f32, t.w as f32, t.h as f32);
    let width = step.screen_size.width as f32;
    let candidates = [
        (x - 6.0, y + h / 2.0),
        (x + w + 6.0, y + h / 2.0),
        (x + w / 2.0, y - 6.0),
        (x + w / 2.0, y + h + 6.0),
    ];
    let inside = |r: &Rect, (px, py): (f32, f32)| {
        px >= r.x as f32 && px < (r.x + r.w) as f32 && py >= r.y as f32 && py < (r.y + r.h) as f32
    };
    let (px, py) = candidates
        .into_iter()
        .find(|p| p.0 >= 1.0 && p.0 < width - 1.0 && p.1 >= 1.0 && !step.avoid.iter().any(|r| inside(r, *p)))
        .expect("a spot beside the target");
    tap_screen(window, px, py);
}

/// A tap in the middle of `rect` on the mock screen.
pub fn tap_rect(window: &AppWindow, rect: Rect) {
    tap_screen(window, rect.x as f32 + rect.w as f32 / 2.0, rect.y as f32 + rect.h as f32 / 2.0);
}

/// `rect` of the mock screen as window pixels: (left, top, right, bottom).
pub fn on_window(window: &AppWindow, rect: Rect) -> (f32, f32, f32, f32) {
    let ((x, y), scale) = screen_place(window);
    let left = x + rect.x as f32 * scale;
    let top = y + rect.y as f32 * scale;
    (left, top, left + rect.w as f32 * scale, top + rect.h as f32 * scale)
}

/// Where the mock screen is on the window, and window pixels per screen pixel.
pub fn screen_place(window: &AppWindow) -> ((f32, f32), f32) {
    let screen = ALL_LANGUAGES
        .iter()
        .find_map(|lang| {
            ElementHandle::find_by_accessible_label(window, &text(lang, "Practice screen")).next()
        })
        .expect("a mock screen on the window");
    let position = screen.absolute_position();
    let size = screen.size();
    let adapter = window.global::<loket::LessonAdapter>();
    ((position.x, position.y), size.width / adapter.get_screen_width())
}

/// Types `text` on the on-screen keyboard, key by key, in the language `lang` on screen.
pub fn type_text(window: &AppWindow, lang: &str, text: &str) {
    for c in text.chars() {
        let label = if c == ' ' { self::text(lang, "Space") } else { c.to_string() };
        tap(window, &label);
    }
}

/// Does what `step` asks, as a learner who knows the way: taps the right spot, types the first
/// accepted answer and presses "done typing", or presses "next".
pub fn solve(window: &AppWindow, step: &Step) {
    let lang = current_language(window);
    match step.kind {
        StepKind::Show => tap(window, &text(&lang, "Next")),
        StepKind::Tap | StepKind::Choose => tap_rect(window, step.target.unwrap()),
        StepKind::Type => {
            type_text(window, &lang, &step.accept[0]);
            tap(window, &text(&lang, "Done typing"));
        }
    }
}

/// Every visitor language, the first four first (some words are the same in several).
const ALL_LANGUAGES: [&str; 14] =
    ["nl", "ar", "fr", "en", "fa", "prs", "ps", "ti", "uk", "ru", "tr", "so", "es", "ro"];

/// The language of the labels on screen, told by the "Stop" button's label.
pub fn current_language(window: &AppWindow) -> String {
    for lang in ALL_LANGUAGES {
        if has_button(window, &text(lang, "Stop")) {
            return lang.to_owned();
        }
    }
    panic!("no lesson on screen");
}
