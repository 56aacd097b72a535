//! The kiosk in a real X window: every script has ink where the layout puts its text.
//!
//! Starts the `loket` binary (desktop build: winit and the software renderer) on a private
//! Xvfb display of 800×480, takes a picture of the screen with `xwd` and checks that the
//! Tigrinya, Arabic and Ukrainian welcome buttons and the Tigrinya greeting are drawn: dark
//! pixels inside the rectangles where Slint's headless testing backend lays those elements out
//! for the same config and size, about as many as the headless picture has there. Ethiopic was
//! once drawn as nothing in the window (the bundled fonts were not used as fallbacks); this test
//! fails if that comes back.
//!
//! It needs `Xvfb` and `xwd` (Debian packages `xvfb` and `x11-apps`, installed by
//! `.ci/install-deps`); without them it fails and says so. It must not be skipped.

#![cfg(feature = "desktop")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use i_slint_backend_testing::{AccessibleRole, ElementHandle, TestingBackend, TestingBackendOptions};
use loket::AppWindow;
use loket::clock::ManualClock;
use loket::config::{Config, OpeningHours};
use loket::ui::Kiosk;
use slint::ComponentHandle;

const SIZE: (u32, u32) = (800, 480);

/// The languages on the welcome screen, Tigrinya first: its greeting is the one shown at start.
const LANGUAGES: [&str; 5] = ["ti", "ar", "uk", "nl", "en"];

/// A pixel is ink when it is this dark (luminance 0..255): the text colour (`Theme.ink`,
/// #141A22) and most of its anti-aliased edge; never the button's surface, border or the page.
const INK_BELOW: u32 = 128;

/// Fewest ink pixels a drawn name can have: far fewer than any of these names leaves.
const MIN_INK: usize = 40;

/// A child process that is killed (and reaped) when the test is done with it, pass or fail.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A rectangle in window pixels.
#[derive(Debug, Clone, Copy)]
struct Rect {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

/// An RGB picture.
struct Picture {
    width: u32,
    height: u32,
    rgb: Vec<[u8; 3]>,
}

impl Picture {
    fn ink_in(&self, r: Rect) -> usize {
        let mut ink = 0;
        for y in r.y..(r.y + r.h).min(self.height) {
            for x in r.x..(r.x + r.w).min(self.width) {
                let [red, green, blue] = self.rgb[(y * self.width + x) as usize];
                let luminance = (299 * red as u32 + 587 * green as u32 + 114 * blue as u32) / 1000;
                if luminance < INK_BELOW {
                    ink += 1;
                }
            }
        }
        ink
    }

    fn is_one_colour(&self) -> bool {
        self.rgb.iter().all(|p| *p == self.rgb[0])
    }
}

/// The sample config with Tigrinya, Arabic and Ukrainian offered, Tigrinya's greeting shown
/// for long enough to be photographed, no sound and the source tree's content pack.
fn test_config_toml() -> String {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample = std::fs::read_to_string(manifest.join("config/loket.toml")).unwrap();
    let mut doc: toml::Table = sample.parse().unwrap();
    let table = |doc: &toml::Table, name: &str| -> toml::Table {
        doc.get(name).and_then(|t| t.as_table()).cloned().unwrap_or_default()
    };
    let mut site = table(&doc, "site");
    site.insert("languages".into(), toml::Value::Array(LANGUAGES.iter().map(|l| (*l).into()).collect()));
    site.insert("local_language".into(), "nl".into());
    doc.insert("site".into(), site.into());
    let mut kiosk = table(&doc, "kiosk");
    kiosk.insert("greeting_seconds".into(), 30.into());
    doc.insert("kiosk".into(), kiosk.into());
    let mut speech = table(&doc, "speech");
    speech.insert("engine".into(), "simulated".into());
    doc.insert("speech".into(), speech.into());
    let mut learning = table(&doc, "learning");
    learning.insert("content_dir".into(), manifest.join("content").to_string_lossy().into_owned().into());
    doc.insert("learning".into(), learning.into());
    toml::to_string(&doc).unwrap()
}

/// Where the headless testing backend lays out `label` at [`SIZE`]: the element with that
/// accessible label (and `role`, if given), as a pixel rectangle.
fn place_of(window: &AppWindow, label: &str, role: Option<AccessibleRole>) -> Rect {
    let found: Vec<_> = ElementHandle::find_by_accessible_label(window, label)
        .filter(|e| role.is_none() || e.accessible_role() == role)
        .collect();
    assert_eq!(found.len(), 1, "exactly one element labelled {label:?} on the welcome screen");
    let (at, size) = (found[0].absolute_position(), found[0].size());
    assert!(size.width > 10.0 && size.height > 10.0, "{label:?} is laid out {size:?}");
    // A pixel inside the border on every side: only what is drawn inside counts.
    Rect {
        x: at.x.max(0.0) as u32 + 2,
        y: at.y.max(0.0) as u32 + 2,
        w: (size.width as u32).saturating_sub(4),
        h: (size.height as u32).saturating_sub(4),
    }
}

/// The welcome screen of `config_toml` drawn by the headless testing backend, and where
/// `names` are on it.
fn headless_welcome(config_toml: &str, names: &[(&str, Option<AccessibleRole>)]) -> (Picture, Vec<Rect>) {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_toml(config_toml).unwrap();
    config.kiosk.data_dir = dir.path().to_path_buf();
    config.hours = OpeningHours::always_open();
    let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    let window = AppWindow::new().unwrap();
    let _kiosk = Kiosk::wire_without_event_loop(&window, parts);
    window.window().set_size(slint::PhysicalSize::new(SIZE.0, SIZE.1));
    window.show().unwrap();
    let places = names.iter().map(|(label, role)| place_of(&window, label, *role)).collect();
    let shot = window.window().take_snapshot().unwrap();
    assert_eq!((shot.width(), shot.height()), SIZE);
    let rgb = shot.as_slice().iter().map(|p| [p.r, p.g, p.b]).collect();
    (Picture { width: shot.width(), height: shot.height(), rgb }, places)
}

/// Fails with what to install when `program` is not on the PATH.
fn require(program: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    assert!(
        found,
        "tests/real_window.rs needs `{program}` (Debian package {package}): \
         run .ci/install-deps, or apt-get install xvfb x11-apps"
    );
}

/// Starts Xvfb on a display number of its own choosing; returns it with the display name.
fn start_xvfb() -> (Killed, String) {
    require("Xvfb", "xvfb");
    let screen = format!("{}x{}x24", SIZE.0, SIZE.1);
    let mut child = Command::new("Xvfb")
        .args(["-displayfd", "1", "-screen", "0", &screen, "-nolisten", "tcp", "-noreset"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start Xvfb");
    // Xvfb writes its display number once it accepts clients.
    let stdout = child.stdout.take().unwrap();
    let xvfb = Killed(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(10)).expect("Xvfb did not start within 10 s");
    let number: u32 = line.trim().parse().unwrap_or_else(|_| panic!("Xvfb said {line:?}, not a display"));
    (xvfb, format!(":{number}"))
}

/// A picture of the whole screen of `display`, taken with `xwd`.
fn screenshot(display: &str) -> Picture {
    let out = Command::new("xwd")
        .args(["-root", "-silent", "-display", display])
        .stderr(Stdio::inherit())
        .output()
        .expect("cannot run xwd");
    assert!(out.status.success(), "xwd failed: {}", out.status);
    decode_xwd(&out.stdout)
}

/// Decodes an X window dump (the format `xwd` writes) of a TrueColor screen with 24 or 32 bits
/// per pixel into RGB.
fn decode_xwd(data: &[u8]) -> Picture {
    let field = |i: usize| u32::from_be_bytes(data[i * 4..i * 4 + 4].try_into().unwrap());
    assert!(data.len() >= 100, "xwd wrote only {} bytes", data.len());
    let (header_size, version) = (field(0) as usize, field(1));
    assert_eq!(version, 7, "not an X11 window dump");
    let (width, height) = (field(4), field(5));
    let (byte_order, bits_per_pixel, bytes_per_line) = (field(7), field(11), field(12) as usize);
    let masks = [field(14), field(15), field(16)];
    let colours = field(19) as usize;
    assert!(bits_per_pixel == 32 || bits_per_pixel == 24, "{bits_per_pixel} bits per pixel");
    let pixels = &data[header_size + colours * 12..];
    assert!(pixels.len() >= bytes_per_line * height as usize, "the dump is cut short");
    let bytes = bits_per_pixel as usize / 8;
    let mut rgb = Vec::with_capacity((width * height) as usize);
    for y in 0..height as usize {
        for x in 0..width as usize {
            let at = y * bytes_per_line + x * bytes;
            let mut value = 0u32;
            for i in 0..bytes {
                // byte_order 0: least significant byte first.
                let byte = pixels[at + if byte_order == 0 { bytes - 1 - i } else { i }];
                value = value << 8 | byte as u32;
            }
            let channel = |mask: u32| ((value & mask) >> mask.trailing_zeros()) as u8;
            rgb.push([channel(masks[0]), channel(masks[1]), channel(masks[2])]);
        }
    }
    Picture { width, height, rgb }
}

#[test]
fn tigrinya_arabic_and_ukrainian_have_ink_in_the_real_window() {
    let started = Instant::now();
    require("xwd", "x11-apps");
    let ti = loket::languages::language("ti").unwrap();
    let ar = loket::languages::language("ar").unwrap();
    let uk = loket::languages::language("uk").unwrap();
    let button = Some(AccessibleRole::Button);
    let names = [(ti.autonym, button), (ar.autonym, button), (uk.autonym, button), (ti.greeting, None)];

    let config_toml = test_config_toml();
    let (headless, places) = headless_welcome(&config_toml, &names);

    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("loket.toml");
    std::fs::write(&config_path, &config_toml).unwrap();
    let log_path = dir.path().join("loket.log");
    let (_xvfb, display) = start_xvfb();
    let mut kiosk = Killed(
        Command::new(env!("CARGO_BIN_EXE_loket"))
            .arg("--config")
            .arg(&config_path)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--listen", "127.0.0.1:0", "--always-open"])
            .env("DISPLAY", &display)
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("SLINT_BACKEND")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .expect("cannot start loket"),
    );
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();

    // The window is up once two pictures in a row are the same and not one plain colour.
    let mut last: Option<Picture> = None;
    let shot = loop {
        assert!(started.elapsed() < Duration::from_secs(20), "no steady window within 20 s:\n{}", log());
        if let Some(status) = kiosk.0.try_wait().unwrap() {
            panic!("loket stopped ({status}):\n{}", log());
        }
        std::thread::sleep(Duration::from_millis(300));
        let now = screenshot(&display);
        assert_eq!((now.width, now.height), SIZE, "the Xvfb screen");
        if !now.is_one_colour() && last.as_ref().is_some_and(|l| l.rgb == now.rgb) {
            break now;
        }
        last = Some(now);
    };

    let mut wrong = Vec::new();
    for ((label, _), place) in names.iter().zip(&places) {
        let expected = headless.ink_in(*place);
        let drawn = shot.ink_in(*place);
        eprintln!("{label:?} in {place:?}: {drawn} ink pixels in the window, {expected} headless");
        if drawn < MIN_INK {
            wrong.push(format!("{label:?}: {drawn} ink pixels in the window in {place:?}: not drawn"));
        }
        if expected < MIN_INK {
            wrong.push(format!("{label:?}: {expected} ink pixels in the headless picture in {place:?}"));
        }
        // The window uses the same renderer and fonts as the headless picture: the same ink,
        // give or take anti-aliasing.
        if drawn * 5 < expected * 4 || drawn * 4 > expected * 5 {
            wrong.push(format!("{label:?}: {drawn} ink pixels in the window, {expected} headless"));
        }
    }
    assert!(wrong.is_empty(), "{}\nloket's log:\n{}", wrong.join("\n"), log());
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
}
