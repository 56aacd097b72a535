//! The picture in the README: the ticket screen in each of the 14 languages a help point can
//! offer, side by side, drawn by Slint's software renderer at 800×480 and shrunk to half size.
//!
//! The grid goes to `target/tmp/screenshots/ticket-in-every-language.png`; with
//! `LOKET_WRITE_GRID=1` it also replaces `docs/screens/ticket-in-every-language.png`.

use std::path::Path;
use std::sync::Arc;

use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use loket::clock::ManualClock;
use loket::config::Config;
use loket::ui::Kiosk;
use loket::{AppWindow, KioskAdapter, PrintState, Screen, TicketAdapter};
use slint::ComponentHandle;

const LANGUAGES: [&str; 14] =
    ["nl", "en", "fr", "ar", "fa", "prs", "ps", "ti", "uk", "ru", "tr", "so", "es", "ro"];
const SIZE: (u32, u32) = (800, 480);
const COLUMNS: u32 = 4;

fn tap(window: &AppWindow, label: &str) {
    ElementHandle::find_by_accessible_label(window, label)
        .find(|e| e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no button {label:?}"))
        .invoke_accessible_default_action();
}

/// The ticket screen in `lang`, as RGBA pixels at half size.
fn ticket_screen(lang: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.path().to_path_buf();
    config.speech = loket::config::Speech::Simulated;
    config.site.languages = LANGUAGES.iter().map(|l| l.to_string()).collect();
    let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    // Three people already waiting for e-mail help.
    parts
        .help_point
        .run(|hp| {
            for lang in ["nl", "ar", "uk"] {
                hp.take_ticket("email", lang).unwrap();
            }
        })
        .unwrap();
    let window = AppWindow::new().unwrap();
    let kiosk = Kiosk::wire_without_event_loop(&window, parts);
    window.window().set_size(slint::PhysicalSize::new(SIZE.0, SIZE.1));
    window.show().unwrap();
    tap(&window, loket::languages::language(lang).unwrap().autonym);
    tap(&window, Config::sample().service("email").unwrap().name(lang));
    kiosk.catch_up();
    assert_eq!(window.global::<KioskAdapter>().get_screen(), Screen::Ticket, "{lang}");
    window.global::<TicketAdapter>().set_print_state(PrintState::Printed);
    let shot = window.window().take_snapshot().unwrap();
    let pixels = shot.as_bytes();
    let first = &pixels[..4];
    assert!(pixels.chunks(4).any(|p| p != first), "{lang}: the ticket screen is blank");
    half(pixels, SIZE.0, SIZE.1)
}

/// Shrinks RGBA pixels to half their width and height, averaging each 2×2 block.
fn half(pixels: &[u8], w: u32, h: u32) -> Vec<u8> {
    let (hw, hh) = (w / 2, h / 2);
    let mut out = vec![0u8; (hw * hh * 4) as usize];
    for y in 0..hh {
        for x in 0..hw {
            for c in 0..4 {
                let at = |dx: u32, dy: u32| pixels[(((2 * y + dy) * w + 2 * x + dx) * 4 + c) as usize] as u32;
                out[((y * hw + x) * 4 + c) as usize] =
                    ((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4) as u8;
            }
        }
    }
    out
}

#[test]
fn the_ticket_screen_in_every_language_side_by_side() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .unwrap();
    let (tw, th) = (SIZE.0 / 2, SIZE.1 / 2);
    let gap = 8;
    let rows = (LANGUAGES.len() as u32).div_ceil(COLUMNS);
    let (gw, gh) = (COLUMNS * tw + (COLUMNS + 1) * gap, rows * th + (rows + 1) * gap);
    let mut grid = vec![255u8; (gw * gh * 4) as usize];
    for (i, lang) in LANGUAGES.iter().enumerate() {
        let tile = ticket_screen(lang);
        let (col, row) = (i as u32 % COLUMNS, i as u32 / COLUMNS);
        let (x0, y0) = (gap + col * (tw + gap), gap + row * (th + gap));
        for y in 0..th {
            let from = (y * tw * 4) as usize;
            let to = (((y0 + y) * gw + x0) * 4) as usize;
            grid[to..to + (tw * 4) as usize].copy_from_slice(&tile[from..from + (tw * 4) as usize]);
        }
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&out).unwrap();
    let mut targets = vec![out.join("ticket-in-every-language.png")];
    if std::env::var_os("LOKET_WRITE_GRID").is_some() {
        std::fs::create_dir_all("docs/screens").unwrap();
        targets.push(Path::new("docs/screens/ticket-in-every-language.png").to_path_buf());
    }
    for path in targets {
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut png = png::Encoder::new(file, gw, gh);
        png.set_color(png::ColorType::Rgba);
        png.set_depth(png::BitDepth::Eight);
        png.write_header().unwrap().write_image_data(&grid).unwrap();
        eprintln!("{}", path.display());
    }
}
