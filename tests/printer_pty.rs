//! The serial printer transport end to end: a real pty pair stands in for the UART, and what
//! arrives on its master end is decoded by a small ESC/POS decoder written here, apart from the
//! encoder and the preview. An emulated printer (a buffer of N bytes draining at print speed on
//! a virtual clock) checks the pacing; fault tests check that every failure ends in an error
//! within a bounded real time. A pty ignores baud rates, so timing is checked on the virtual
//! clock, never with real sleeps of the modelled length.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use common::pty::{open_pty, read_master, readable};
use std::time::{Duration, Instant};

use loket::printer::pacing::{self, PrinterModel};
use loket::printer::serial::{PaceClock, SerialLink, VirtualClock};
use loket::printer::{
    Align, Bitmap, EscPos, PrintError, PrinterState, SerialOptions, SerialPrinter, SlipLabels, TicketSlip,
    Transport, encode_ticket,
};

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const DC2: u8 = 0x12;
const LF: u8 = 0x0A;
/// What the transport sends before each job with the default options (wake-up).
const WAKE: [u8; 5] = [0xFF, ESC, b'8', 0, 0];

// ---------------------------------------------------------------------------------------------
// The decoder: independent of `escpos.rs` and `preview.rs`.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Text(u8),
    Lf,
    Init,
    /// GS ! or ESC !: width and height multipliers.
    Size(u8, u8),
    Setting,
    FeedLines(u8),
    FeedDots(u8),
    Cut,
    /// One band of a raster image: bytes per row, rows, height multiplier, where the rows are.
    Raster {
        width: usize,
        rows: usize,
        tall: u8,
        data: std::ops::Range<usize>,
    },
    Code2d,
}

/// Splits an ESC/POS stream into commands; anything unknown or cut off is an error.
fn tokenize(b: &[u8]) -> Result<Vec<(std::ops::Range<usize>, Tok)>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    let need = |i: usize, n: usize| {
        if i + n <= b.len() { Ok(()) } else { Err(format!("command at {i} is cut off")) }
    };
    while i < b.len() {
        let (len, tok) = match b[i] {
            LF => (1, Tok::Lf),
            ESC => {
                need(i, 2)?;
                match b[i + 1] {
                    b'@' => (2, Tok::Init),
                    b't' | b'a' | b'E' | b'v' | b'3' => (3, Tok::Setting),
                    b'!' => {
                        need(i, 3)?;
                        let n = b[i + 2];
                        (3, Tok::Size(1 + (n >> 5 & 1), 1 + (n >> 4 & 1)))
                    }
                    b'd' => {
                        need(i, 3)?;
                        (3, Tok::FeedLines(b[i + 2]))
                    }
                    b'J' => {
                        need(i, 3)?;
                        (3, Tok::FeedDots(b[i + 2]))
                    }
                    b'8' => (4, Tok::Setting),
                    other => return Err(format!("unknown ESC {other:#04x} at {i}")),
                }
            }
            GS => {
                need(i, 2)?;
                match b[i + 1] {
                    b'!' => {
                        need(i, 3)?;
                        (3, Tok::Size((b[i + 2] >> 4) + 1, (b[i + 2] & 0x0F) + 1))
                    }
                    b'a' | b'r' => (3, Tok::Setting),
                    b'V' => {
                        need(i, 3)?;
                        (if matches!(b[i + 2], 65 | 66) { 4 } else { 3 }, Tok::Cut)
                    }
                    b'v' => {
                        need(i, 8)?;
                        if b[i + 2] != b'0' {
                            return Err(format!("GS v {:#04x} at {i}", b[i + 2]));
                        }
                        let width = usize::from(b[i + 4]) + 256 * usize::from(b[i + 5]);
                        let rows = usize::from(b[i + 6]) + 256 * usize::from(b[i + 7]);
                        need(i, 8 + width * rows)?;
                        let tall = if b[i + 3] & 2 != 0 { 2 } else { 1 };
                        (
                            8 + width * rows,
                            Tok::Raster { width, rows, tall, data: i + 8..i + 8 + width * rows },
                        )
                    }
                    b'(' => {
                        // GS ( k pL pH …: skipped by its length.
                        need(i, 5)?;
                        let len = 5 + usize::from(b[i + 3]) + 256 * usize::from(b[i + 4]);
                        need(i, len)?;
                        (len, Tok::Code2d)
                    }
                    other => return Err(format!("unknown GS {other:#04x} at {i}")),
                }
            }
            DC2 => return Err(format!("DC2 at {i}: not expected from this encoder")),
            c if c < 0x20 || c == 0x7F => return Err(format!("control byte {c:#04x} at {i}")),
            c => (1, Tok::Text(c)),
        };
        need(i, len)?;
        out.push((i..i + len, tok));
        i += len;
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
enum Item {
    /// A printed line of device-font text (non-ASCII bytes become '·').
    Line { text: String, width: u8, height: u8 },
    /// A raster image (adjacent bands of the same width joined).
    Image { width_bytes: usize, height: usize, data: Vec<u8> },
}

fn decode(bytes: &[u8]) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut line = String::new();
    let (mut width, mut height) = (1u8, 1u8);
    let (mut line_w, mut line_h) = (1u8, 1u8);
    let mut previous_was_raster = false;
    for (range, tok) in tokenize(bytes)? {
        let is_raster = matches!(tok, Tok::Raster { .. });
        match tok {
            Tok::Text(c) => {
                if line.is_empty() {
                    (line_w, line_h) = (width, height);
                }
                line.push(if c.is_ascii() { char::from(c) } else { '·' });
            }
            Tok::Lf => {
                if line.chars().count() * 12 * usize::from(line_w) > 384 {
                    return Err(format!("line {line:?} is wider than the paper"));
                }
                items.push(Item::Line { text: std::mem::take(&mut line), width: line_w, height: line_h });
            }
            Tok::Init => {
                line.clear();
                (width, height) = (1, 1);
            }
            Tok::Size(w, h) => (width, height) = (w, h),
            Tok::Raster { width: w, rows, data, .. } => {
                let rows_data = bytes[data].to_vec();
                match items.last_mut() {
                    Some(Item::Image { width_bytes, height, data })
                        if previous_was_raster && *width_bytes == w =>
                    {
                        *height += rows;
                        data.extend_from_slice(&rows_data);
                    }
                    _ => items.push(Item::Image { width_bytes: w, height: rows, data: rows_data }),
                }
            }
            Tok::Setting | Tok::FeedLines(_) | Tok::FeedDots(_) | Tok::Cut | Tok::Code2d => {}
        }
        let _ = range;
        previous_was_raster = is_raster;
    }
    Ok(items)
}

// ---------------------------------------------------------------------------------------------
// The emulated printer: a UART on the virtual clock and a receive buffer that drains at print
// speed. Its own timing table, written apart from `pacing.rs`: a text line 24 rows × 30 ms +
// 6 fed rows × 2.1 ms (fed only when empty), a raster row 30 ms, ESC d n lines of 30 fed rows.

const ROW_NS: u64 = 30_000_000;
const FEED_NS: u64 = 2_100_000;

/// Each byte that reached the emulated printer, with its arrival time in ns.
type Arrivals = Arc<Mutex<Vec<(f64, u8)>>>;

/// A UART at `baud` on the virtual clock: bytes leave one after another, 10 bit times each,
/// and the kernel queue holds `queue` bytes. Records when each byte reaches the printer.
struct EmulatedUart {
    clock: VirtualClock,
    byte_ns: f64,
    queue: usize,
    arrivals: Arrivals,
}

impl EmulatedUart {
    fn new(clock: &VirtualClock, baud: u32) -> (EmulatedUart, Arrivals) {
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let uart = EmulatedUart {
            clock: clock.clone(),
            byte_ns: 1e10 / f64::from(baud),
            queue: 4096,
            arrivals: arrivals.clone(),
        };
        (uart, arrivals)
    }

    fn now_ns(&self) -> f64 {
        self.clock.now().as_nanos() as f64
    }
}

impl SerialLink for EmulatedUart {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let now = self.now_ns();
        let mut arrivals = self.arrivals.lock().unwrap();
        let in_flight = arrivals.iter().rev().take_while(|(t, _)| *t > now).count();
        let n = bytes.len().min(self.queue.saturating_sub(in_flight));
        let mut wire = arrivals.last().map_or(now, |(t, _)| t.max(now));
        for &b in &bytes[..n] {
            wire += self.byte_ns;
            arrivals.push((wire, b));
        }
        Ok(n)
    }
    fn unsent(&mut self) -> Option<usize> {
        let now = self.now_ns();
        Some(self.arrivals.lock().unwrap().iter().rev().take_while(|(t, _)| *t > now).count())
    }
    fn discard_input(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn read(&mut self, _buffer: &mut [u8], timeout: Duration) -> std::io::Result<usize> {
        self.clock.advance(timeout);
        Ok(0)
    }
}

/// Feeds `arrivals` to a printer with a `buffer`-byte receive buffer. The printer takes each
/// byte when it has arrived and its mechanism has finished the previous print operation.
/// Returns the most bytes ever in the buffer, or where it overran.
fn emulate(arrivals: &[(f64, u8)], buffer: usize) -> Result<usize, String> {
    let bytes: Vec<u8> = arrivals.iter().map(|a| a.1).collect();
    let tokens = tokenize(&bytes)?;
    // Where each print operation ends, and how long it keeps the mechanism busy.
    let mut ends: Vec<(usize, u64)> = Vec::new();
    let mut height = 1u64;
    let mut chars = 0;
    for (range, tok) in &tokens {
        match tok {
            Tok::Text(_) => chars += 1,
            Tok::Lf => {
                let t =
                    if chars > 0 { 24 * height * ROW_NS + 6 * FEED_NS } else { (24 * height + 6) * FEED_NS };
                ends.push((range.end, t));
                chars = 0;
            }
            Tok::Init => (height, chars) = (1, 0),
            Tok::Size(_, h) => height = u64::from(*h),
            Tok::FeedLines(n) => ends.push((range.end, u64::from(*n) * 30 * FEED_NS)),
            Tok::Raster { width, rows, tall, data } => {
                for r in 0..*rows {
                    ends.push((data.start + (r + 1) * width, u64::from(*tall) * ROW_NS));
                }
            }
            _ => {}
        }
    }
    let mut taken = Vec::with_capacity(bytes.len());
    let mut mech_free = 0f64;
    let mut next_end = 0;
    let mut out = 0; // bytes taken out so far, as seen at the current arrival
    let mut peak = 0;
    for (i, &(arrival, _)) in arrivals.iter().enumerate() {
        let t = arrival.max(mech_free);
        taken.push(t);
        while next_end < ends.len() && ends[next_end].0 <= i + 1 {
            mech_free = t.max(mech_free) + ends[next_end].1 as f64;
            next_end += 1;
        }
        while out <= i && taken[out] <= arrival {
            out += 1;
        }
        let in_buffer = i + 1 - out;
        if in_buffer > buffer {
            return Err(format!(
                "overrun at byte {i} ({:.1} ms): {in_buffer} bytes in the buffer",
                arrival / 1e6
            ));
        }
        peak = peak.max(in_buffer);
    }
    Ok(peak)
}

// ---------------------------------------------------------------------------------------------
// Sample jobs.

fn slip() -> TicketSlip {
    TicketSlip {
        site_name: "Bibliotheek Centrum".into(),
        logo: None,
        code: "E-017".into(),
        service_local: "Hulp bij e-mail".into(),
        service_visitor: Some("Help with e-mail".into()),
        people_ahead: 3,
        wait_minutes: Some((10, 20)),
        issued_at: jiff::civil::date(2026, 11, 29).at(14, 5, 0, 0),
        labels: SlipLabels::dutch(),
        footer: Some("Open ma-vr 9:00-17:00".into()),
        has_cutter: false,
        visitor_labels: None,
        qr_url: None,
        native_qr: false,
        appointment: None,
        screening_code: None,
        reprint: None,
    }
}

/// A 200 × 37 dot test image with a diagonal pattern.
fn logo() -> Bitmap {
    let mut b = Bitmap::new(200, 37).expect("valid size");
    for y in 0..37u16 {
        for x in 0..200u16 {
            b.set(x, y, (x + 2 * y) % 7 < 3);
        }
    }
    b
}

/// The ticket, then a text marker and the logo as `GS v 0` bands.
fn ticket_with_logo() -> Vec<u8> {
    let mut job = encode_ticket(&slip()).bytes;
    let mut p = EscPos::new();
    p.align(Align::Center).line("LOGO").raster(&logo()).feed(2);
    job.extend_from_slice(p.bytes());
    job
}

/// A raster-heavy ticket like the anchor's case (e): the text ticket, four 24-px text lines as
/// full-width rasters (30 rows each) and a cropped raster QR (28 bytes × 174 rows).
fn raster_ticket() -> Vec<u8> {
    let mut job = encode_ticket(&slip()).bytes;
    let mut p = EscPos::new();
    for _ in 0..4 {
        let mut line = Bitmap::new(384, 30).expect("valid");
        for x in (0..384).step_by(3) {
            line.set(x, 12, true);
        }
        p.raster(&line);
    }
    let mut qr = Bitmap::new(224, 174).expect("valid");
    for y in 0..174 {
        for x in 0..224 {
            qr.set(x, y, (x / 6 + y / 6) % 2 == 0);
        }
    }
    p.raster(&qr).feed(3);
    job.extend_from_slice(p.bytes());
    job
}

fn virtual_printer(baud: u32, clock: &VirtualClock) -> (SerialPrinter, Arrivals) {
    let (uart, arrivals) = EmulatedUart::new(clock, baud);
    let options = SerialOptions { model: PrinterModel::at_baud(baud), ..SerialOptions::default() };
    (SerialPrinter::with_link("/dev/emulated", Box::new(uart), Box::new(clock.clone()), options), arrivals)
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn a_whole_ticket_over_a_pty_decodes_back_to_its_text_and_images() {
    let pty = open_pty();
    let job = ticket_with_logo();
    let want = WAKE.len() + job.len();
    let master = pty.master.try_clone().expect("master");
    let reader = std::thread::spawn(move || read_master(master, want, Duration::from_secs(10)));

    let clock = VirtualClock::new().with_real_pause(Duration::from_micros(200));
    let started = Instant::now();
    let mut printer = SerialPrinter::open(&pty.path, SerialOptions::default())
        .expect("the pty opens as a UART")
        .with_clock(Box::new(clock.clone()));
    printer.send("E-017", &job).expect("sent");
    let got = reader.join().expect("reader");
    assert!(started.elapsed() < Duration::from_secs(10));

    // Byte-exact: the wake-up, then the job unchanged, in paced chunks (several waits).
    assert_eq!(got.len(), want);
    assert_eq!(got[..WAKE.len()], WAKE);
    assert_eq!(got[WAKE.len()..], job[..]);
    assert!(pacing::plan(&job, &printer.options().model).chunks.len() > 1);
    assert!(clock.now() >= pacing::paced_time(&job, &PrinterModel::default()));

    let items = decode(&got).expect("decodes");
    let lines: Vec<&str> = items
        .iter()
        .filter_map(|i| if let Item::Line { text, .. } = i { Some(text.as_str()) } else { None })
        .collect();
    for expected in [
        "Bibliotheek Centrum",
        "Uw nummer",
        "Hulp bij e-mail",
        "Help with e-mail",
        "Voor u: 3",
        "Wachttijd: 10-20 min",
        "29-11-2026 14:05",
        "Open ma-vr 9:00-17:00",
        "LOGO",
    ] {
        assert!(lines.contains(&expected), "{expected:?} not in {lines:?}");
    }
    // The number is printed big.
    let number = items.iter().find(|i| matches!(i, Item::Line { text, .. } if text == "E-017"));
    assert!(matches!(number, Some(Item::Line { width: 6, height: 6, .. })), "{number:?}");

    // Every image is whole and fits the paper; the logo comes back with its size and dots.
    let images: Vec<&Item> = items.iter().filter(|i| matches!(i, Item::Image { .. })).collect();
    for image in &images {
        let Item::Image { width_bytes, height, data } = image else { unreachable!() };
        assert!((1..=48).contains(width_bytes) && *height > 0 && data.len() == width_bytes * height);
    }
    let logo = logo();
    assert_eq!(
        images.last(),
        Some(&&Item::Image { width_bytes: 25, height: 37, data: logo.packed().to_vec() }),
        "the logo after the LOGO line"
    );
}

#[test]
fn an_arabic_ticket_with_a_qr_code_over_a_pty_decodes_back_to_its_lines_images_and_url() {
    let url = "https://digilabo.example/queue/E-017";
    let mut arabic = slip();
    arabic.service_visitor = Some("مساعدة في البريد الإلكتروني".into());
    arabic.visitor_labels = Some(loket::printed_ticket::labels("ar"));
    arabic.qr_url = Some(url.into());
    let job = encode_ticket(&arabic).bytes;

    let pty = open_pty();
    let want = WAKE.len() + job.len();
    let master = pty.master.try_clone().expect("master");
    let reader = std::thread::spawn(move || read_master(master, want, Duration::from_secs(10)));
    let clock = VirtualClock::new().with_real_pause(Duration::from_micros(200));
    let mut printer = SerialPrinter::open(&pty.path, SerialOptions::default())
        .expect("the pty opens as a UART")
        .with_clock(Box::new(clock.clone()));
    printer.send("E-017", &job).expect("sent");
    let got = reader.join().expect("reader");
    assert_eq!(got[WAKE.len()..], job[..]);

    let items = decode(&got).expect("decodes");
    let lines: Vec<&str> = items
        .iter()
        .filter_map(|i| if let Item::Line { text, .. } = i { Some(text.as_str()) } else { None })
        .collect();
    for expected in ["Uw nummer", "E-017", "Hulp bij e-mail", "Voor u: 3"] {
        assert!(lines.contains(&expected), "{expected:?} not in {lines:?}");
    }
    // Code-page bytes beyond ASCII only in the ruled line under the site name.
    let coded: Vec<_> = lines.iter().filter(|l| l.contains('·')).collect();
    assert!(
        coded.iter().all(|l| l.chars().all(|c| c == '·')),
        "no Arabic went out as code-page text: {lines:?}"
    );

    // Each Arabic line comes back as an image of the size the rasteriser drew it.
    let rasterizer = loket::printer::Rasterizer::new().expect("fonts");
    let images: Vec<(usize, usize, &Vec<u8>)> = items
        .iter()
        .filter_map(|i| match i {
            Item::Image { width_bytes, height, data } => Some((*width_bytes, *height, data)),
            _ => None,
        })
        .collect();
    for text in ["رقمك", "مساعدة في البريد الإلكتروني", "عدد الأشخاص قبلك: 3"]
    {
        let drawn = rasterizer.rasterize(text, loket::printer::TextStyle::default()).expect("drawn");
        let bitmap = &drawn.lines[0].bitmap;
        let size = (bitmap.row_bytes(), usize::from(bitmap.height()));
        assert!(
            images.iter().any(|(w, h, data)| (*w, *h) == size && data[..] == bitmap.packed()[..]),
            "{text:?}: no image of {size:?} among {:?}",
            images.iter().map(|(w, h, _)| (w, h)).collect::<Vec<_>>()
        );
    }

    // The QR code is the tallest image; read it back like a phone would.
    let (width_bytes, height, data) = images.iter().max_by_key(|(_, h, _)| *h).copied().expect("a QR image");
    let dark = |x: usize, y: usize| data[y * width_bytes + x / 8] & (0x80 >> (x % 8)) != 0;
    let mut image = rqrr::PreparedImage::prepare_from_bitmap(width_bytes * 8, height, dark);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the {}×{height} image", width_bytes * 8);
    let (_, content) = grids[0].decode().expect("the QR code decodes");
    assert_eq!(content, url);
}

#[test]
fn the_paced_transport_never_overruns_an_emulated_printer_and_an_unpaced_write_does() {
    let job = raster_ticket();
    for baud in [9600, 19_200] {
        for overshoot in [Duration::ZERO, Duration::from_millis(3)] {
            let clock = VirtualClock::new().with_overshoot(overshoot);
            let (mut printer, arrivals) = virtual_printer(baud, &clock);
            printer.send("paced", &job).expect("sent");
            let arrivals = arrivals.lock().unwrap().clone();
            assert_eq!(arrivals.len(), WAKE.len() + job.len());
            let peak = emulate(&arrivals, 256).unwrap_or_else(|e| panic!("{baud} Bd, {overshoot:?}: {e}"));
            assert!(peak > 128, "the buffer is used, not starved: peak {peak}");
        }
        // The same job written at once: the emulated printer overruns.
        let clock = VirtualClock::new();
        let (mut uart, arrivals) = EmulatedUart::new(&clock, baud);
        let mut left = &job[..];
        while !left.is_empty() {
            let n = uart.write(left).expect("write");
            left = &left[n..];
            clock.advance(Duration::from_millis(100));
        }
        let err = emulate(&arrivals.lock().unwrap(), 256).expect_err("unpaced overruns");
        assert!(err.contains("overrun"), "{err}");
    }
}

#[test]
fn a_second_job_waits_for_the_first_to_print() {
    let job = ticket_with_logo();
    let clock = VirtualClock::new();
    let (mut printer, arrivals) = virtual_printer(19_200, &clock);
    printer.send("one", &job).expect("first");
    printer.send("two", &job).expect("second");
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 2 * (WAKE.len() + job.len()));
    emulate(&arrivals, 256).expect("no overrun across jobs");
}

#[test]
fn a_missing_device_is_reported_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ttyAMA9");
    let started = Instant::now();
    let err = SerialPrinter::open(&path, SerialOptions::default()).expect_err("missing");
    assert!(matches!(&err, PrintError::DeviceMissing { path: p } if *p == path), "{err}");
    assert!(err.to_string().contains("ttyAMA9"), "{err}");
    // A file that is not a tty cannot be opened as one.
    let file = dir.path().join("not-a-tty");
    std::fs::write(&file, b"").expect("file");
    let err = SerialPrinter::open(&file, SerialOptions::default()).expect_err("not a tty");
    assert!(matches!(err, PrintError::Open { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_pty_nobody_reads_makes_the_write_time_out_in_bounded_real_time() {
    let pty = open_pty();
    // A fast model, so the real-time limit is short: 0.29 s of wire for 115 KB at 4 MBd.
    let model = PrinterModel {
        baud: 4_000_000,
        dot_print_time: Duration::from_micros(10),
        ..PrinterModel::default()
    };
    let options =
        SerialOptions { model, timeout_margin: Duration::from_millis(300), ..SerialOptions::default() };
    let mut printer = SerialPrinter::open(&pty.path, options).expect("opens");
    let mut job = vec![GS, b'v', b'0', 0, 48, 0];
    let rows: u16 = 2400; // 115 KB: more than a pty holds (18 KB here; Linux caps it near 64 KB)
    job.extend_from_slice(&rows.to_le_bytes());
    job.resize(8 + 48 * usize::from(rows), 0x81);
    let started = Instant::now();
    let err = printer.send("stuck", &job).expect_err("times out");
    let elapsed = started.elapsed();
    let PrintError::Timeout { sent, total, .. } = err else { panic!("{err}") };
    assert!(sent > 0 && sent < total, "{sent} of {total}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    drop(pty);
}

/// Answers every `ESC v 0` on the master end with `reply` until `stop`, `want` bytes were read,
/// or 10 s passed; returns what it read.
fn answer_status(
    master: File,
    reply: u8,
    stop: Arc<Mutex<bool>>,
    want: usize,
) -> std::thread::JoinHandle<Vec<u8>> {
    answer_status_with(master, vec![reply], stop, want)
}

/// [`answer_status`] with any bytes as the answer.
fn answer_status_with(
    mut master: File,
    reply: Vec<u8>,
    stop: Arc<Mutex<bool>>,
    want: usize,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut answered = 0;
        let mut buf = [0u8; 4096];
        let until = Instant::now() + Duration::from_secs(10);
        while !*stop.lock().unwrap() && seen.len() < want && Instant::now() < until {
            if !readable(&master, Duration::from_millis(20)) {
                continue;
            }
            let Ok(n) = master.read(&mut buf) else { break };
            seen.extend_from_slice(&buf[..n]);
            let asks = seen.windows(3).filter(|w| *w == [ESC, b'v', 0]).count();
            while answered < asks {
                if master.write_all(&reply).is_err() {
                    break;
                }
                answered += 1;
            }
        }
        seen
    })
}

#[test]
fn a_no_paper_reply_stops_the_job_and_shows_in_the_status() {
    let pty = open_pty();
    let stop = Arc::new(Mutex::new(false));
    let answers =
        answer_status(pty.master.try_clone().expect("master"), 0b0000_0100, stop.clone(), usize::MAX);
    let options = SerialOptions {
        rx_wired: true,
        status_timeout: Duration::from_millis(500),
        ..SerialOptions::default()
    };
    let started = Instant::now();
    let mut printer = SerialPrinter::open(&pty.path, options).expect("opens");
    assert_eq!(printer.status(), PrinterState::NoPaper);
    let err = printer.send("E-017", &ticket_with_logo()).expect_err("no paper");
    assert!(matches!(err, PrintError::NoPaper { .. }), "{err}");
    assert!(err.to_string().contains("out of paper"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    *stop.lock().unwrap() = true;
    let seen = answers.join().expect("answerer");
    // Nothing of the ticket went out: only wake-ups and status queries.
    assert_eq!(seen, [&[ESC, b'v', 0][..], &WAKE, &[ESC, b'v', 0]].concat());
}

#[test]
fn a_paper_ok_reply_lets_the_job_through() {
    let pty = open_pty();
    let stop = Arc::new(Mutex::new(false));
    let job = ticket_with_logo();
    let want = 3 + WAKE.len() + 3 + job.len();
    let answers = answer_status(pty.master.try_clone().expect("master"), 0x00, stop, want);
    let options = SerialOptions {
        rx_wired: true,
        status_timeout: Duration::from_millis(500),
        ..SerialOptions::default()
    };
    let clock = VirtualClock::new().with_real_pause(Duration::from_micros(200));
    let mut printer = SerialPrinter::open(&pty.path, options).expect("opens").with_clock(Box::new(clock));
    assert_eq!(printer.status(), PrinterState::Ready);
    printer.send("E-017", &job).expect("printed");
    let seen = answers.join().expect("answerer");
    assert_eq!(seen.len(), want);
    assert!(seen.ends_with(&job));
}

#[test]
fn no_reply_at_all_is_not_answering_within_the_read_timeout() {
    let pty = open_pty();
    let timeout = Duration::from_millis(300);
    let options = SerialOptions { rx_wired: true, status_timeout: timeout, ..SerialOptions::default() };
    let mut printer = SerialPrinter::open(&pty.path, options).expect("opens");
    let started = Instant::now();
    assert_eq!(printer.status(), PrinterState::NotAnswering);
    let elapsed = started.elapsed();
    assert!(elapsed >= timeout && elapsed < timeout + Duration::from_millis(700), "{elapsed:?}");
    let started = Instant::now();
    let err = printer.send("E-017", b"\x1B@E-017\n").expect_err("no answer");
    assert!(matches!(err, PrintError::NoAnswer { .. }), "{err}");
    assert!(started.elapsed() < timeout + Duration::from_secs(1));
    // Without RX wired nothing is asked and nothing can be known.
    let mut blind = SerialPrinter::open(&pty.path, SerialOptions::default()).expect("opens");
    assert_eq!(blind.status(), PrinterState::Unknown);
}

/// Prints, for two sample tickets at 9600 and 19200 Bd: bytes, the wire floor, the paced time
/// (the sender's time to the last byte), the ideal paced time (byte by byte, no headroom: the
/// model's own floor) and the overhead of each over the wire floor; under Adafruit's print
/// speed (30 ms a dot row) and under an assumed 50 mm/s (2.5 ms a row).
#[test]
fn pacing_overhead_over_the_wire_floor() {
    let text = encode_ticket(&slip()).bytes;
    let rasters = raster_ticket();
    let pct = |a: Duration, b: Duration| 100.0 * (a.as_secs_f64() / b.as_secs_f64() - 1.0);
    for (speed, dot_print_time) in
        [("30 ms/row", Duration::from_millis(30)), ("50 mm/s", Duration::from_micros(2500))]
    {
        for (name, job) in [("text ticket", &text), ("raster ticket", &rasters)] {
            for baud in [9600, 19_200] {
                let model = PrinterModel { dot_print_time, ..PrinterModel::at_baud(baud) };
                let ideal_model = PrinterModel { min_chunk_bytes: 1, headroom_bytes: 0, ..model.clone() };
                let wire = pacing::wire_time(job, baud);
                let plan = pacing::plan(job, &model);
                let paced = pacing::paced_time(job, &model);
                let ideal = pacing::paced_time(job, &ideal_model);
                eprintln!(
                    "{speed}, {name}: {} B at {baud} Bd: wire {:.3} s, paced {:.3} s (+{:.1} %, {} chunks), \
                     model floor {:.3} s (+{:.1} %), printed at {:.3} s",
                    job.len(),
                    wire.as_secs_f64(),
                    paced.as_secs_f64(),
                    pct(paced, wire),
                    plan.chunks.len(),
                    ideal.as_secs_f64(),
                    pct(ideal, wire),
                    plan.print_done.as_secs_f64(),
                );
                assert_eq!(paced, plan.wire_done);
                assert!(wire <= ideal && ideal <= paced);
                // What chunking and headroom cost over the model's own floor.
                assert!(pct(paced, ideal) < 5.0, "{speed} {name} {baud}: {:.1} %", pct(paced, ideal));
                if dot_print_time < Duration::from_millis(10) && baud == 9600 {
                    // Where the printer keeps up with the wire, pacing costs little over it.
                    assert!(pct(paced, wire) < 20.0, "{speed} {name} {baud}: {:.1} %", pct(paced, wire));
                }
            }
        }
    }
}

/// Bytes that look like nothing (xorshift), as a printer at the wrong baud rate sends them.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 32) as u8
        })
        .collect()
}

/// A printer on `pty` that answers each status query with `reply`: its status, then what a
/// ticket gets, and what came over the wire.
fn garbled(reply: Vec<u8>) -> (PrinterState, PrintError, Vec<u8>) {
    let pty = open_pty();
    let stop = Arc::new(Mutex::new(false));
    let answers =
        answer_status_with(pty.master.try_clone().expect("master"), reply, stop.clone(), usize::MAX);
    let options = SerialOptions {
        rx_wired: true,
        status_timeout: Duration::from_millis(500),
        ..SerialOptions::default()
    };
    let started = Instant::now();
    let mut printer = SerialPrinter::open(&pty.path, options).expect("opens");
    let state = printer.status();
    let err = printer.send("E-017", &ticket_with_logo()).expect_err("not understood");
    assert!(started.elapsed() < Duration::from_secs(5));
    *stop.lock().unwrap() = true;
    (state, err, answers.join().expect("answerer"))
}

#[test]
fn a_printer_answering_random_bytes_is_not_understood_not_out_of_paper() {
    let reply = noise(24, 0x5eed);
    let (state, err, seen) = garbled(reply.clone());
    let PrinterState::NotUnderstood(bytes) = &state else { panic!("{state:?}") };
    assert!(bytes.len() > 1 && reply.starts_with(bytes), "{bytes:02x?}");
    assert!(matches!(err, PrintError::StatusNotUnderstood { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("do not understand") && message.contains("baud rate"), "{message}");
    assert!(!message.contains("out of paper"), "{message}");
    // Nothing of the ticket went out: only wake-ups and status queries.
    assert_eq!(seen, [&[ESC, b'v', 0][..], &WAKE, &[ESC, b'v', 0]].concat());
}

#[test]
fn one_byte_with_a_fixed_bit_set_is_not_understood_even_with_the_paper_bit() {
    // 0xE4 has bit 2 (no paper) set, and bits 5 to 7, which a status byte never has.
    let (state, err, _) = garbled(vec![0xE4]);
    assert_eq!(state, PrinterState::NotUnderstood(vec![0xE4]));
    assert!(err.to_string().contains("(0xe4)"), "{err}");
}
