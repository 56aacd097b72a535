//! A virtual CSN-A2: reads an ESC/POS byte stream and draws what the printer
//! would print, as a PNG (8-bit grey, 384 dots wide, as long as the paper
//! that came out). It owns the interpretation of the command set `escpos.rs`
//! emits and the drawing of font A (12×24 dots) with the bundled DejaVu Sans
//! Mono. It must not be given the slip itself: it only sees bytes, so that a
//! preview shows exactly what was sent. It must not panic on any input: a
//! command it does not know is an error naming the byte offset (a real
//! printer would print such bytes as stray characters).
//!
//! Modelled behaviour (Epson-like, to verify on the unit, anchor §6.2):
//! * text is buffered and printed at LF, at `ESC d`, or when the line is full
//!   (it wraps); text not ended by LF is not printed, as on the printer;
//! * `ESC a` takes effect for the line being started, and also places
//!   `GS v 0` images;
//! * enlarged characters stand on a common baseline; a line advances by its
//!   tallest character plus 6 dots, at least 30 dots (the 24+6 default);
//! * `GS V` is drawn as a dashed line across the paper;
//! * `GS ( k` (QR, model 2): fn 65/67/69 set model, module size (default 3)
//!   and error correction (default L), fn 80 stores the data, fn 81 prints
//!   the code at the `ESC a` position without a quiet zone, like `GS v 0`.

use std::collections::HashMap;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

use super::escpos::{
    Align, CodePage, DOTS_PER_LINE, ESC, FONT_A_HEIGHT, FONT_A_WIDTH, GS, LF, NATIVE_QR_MAX_MODULE_DOTS,
    QrLevel,
};

/// The font used to draw the printer's font A.
static FONT_A_TTF: &[u8] = include_bytes!("../../fonts/DejaVuSansMono.ttf");

/// Default line pitch of the printer: 24-dot characters + 6 dots spacing.
pub const LINE_PITCH: u32 = 30;
/// Longest paper the preview draws (2.5 m at 8 dots/mm); longer is an error.
pub const MAX_PAPER_DOTS: u32 = 20_000;

const WIDTH: u32 = DOTS_PER_LINE as u32;
const CELL_W: u32 = FONT_A_WIDTH as u32;
const CELL_H: u32 = FONT_A_HEIGHT as u32;
/// Coverage above which an anti-aliased font pixel becomes a printed dot.
const INK_THRESHOLD: f32 = 0.4;
const WHITE: u8 = 255;
const BLACK: u8 = 0;

/// Why a byte stream could not be previewed.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("unknown or unsupported command {bytes} at byte offset {offset}")]
    UnknownCommand { offset: usize, bytes: String },
    #[error("{command} at byte offset {offset} is cut off: the data ends too early")]
    Truncated { offset: usize, command: &'static str },
    #[error("{command} at byte offset {offset} has an invalid parameter {value}")]
    BadParameter { offset: usize, command: &'static str, value: u16 },
    #[error("code page {number} (ESC t) at byte offset {offset} is not one the preview knows")]
    UnknownCodePage { offset: usize, number: u8 },
    #[error(
        "byte {byte:#04x} at offset {offset} is text in the printer's default code page; \
         the preview knows only CP858 (send ESC t 19 first)"
    )]
    TextBeforeCodePage { offset: usize, byte: u8 },
    #[error("the paper would be longer than {MAX_PAPER_DOTS} dots (at byte offset {offset})")]
    TooLong { offset: usize },
    #[error("the QR code printed at byte offset {offset} cannot be drawn: {reason}")]
    Qr { offset: usize, reason: String },
    #[error("the bundled preview font cannot be read")]
    Font,
    #[error("the PNG could not be written: {0}")]
    Png(#[from] png::EncodingError),
}

/// Draws the printout of `bytes` and returns the contents of a PNG file.
pub fn render_png(bytes: &[u8]) -> Result<Vec<u8>, PreviewError> {
    let paper = render(bytes)?;
    let height = paper.height().max(1);
    let mut dots = paper.dots;
    dots.resize((WIDTH * height) as usize, WHITE);
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, WIDTH, height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&dots)?;
        writer.finish()?;
    }
    Ok(png_bytes)
}

/// The printed paper: one byte per dot, 0 = black, 255 = white.
struct Paper {
    dots: Vec<u8>,
}

impl Paper {
    fn height(&self) -> u32 {
        (self.dots.len() / WIDTH as usize) as u32
    }

    fn grow_to(&mut self, height: u32) {
        let needed = (WIDTH * height) as usize;
        if self.dots.len() < needed {
            self.dots.resize(needed, WHITE);
        }
    }

    fn blacken(&mut self, x: u32, y: u32) {
        if x < WIDTH
            && let Some(dot) = self.dots.get_mut((y * WIDTH + x) as usize)
        {
            *dot = BLACK;
        }
    }
}

/// A character waiting in the line buffer.
#[derive(Clone, Copy)]
struct Cell {
    ch: char,
    width_mul: u32,
    height_mul: u32,
    bold: bool,
}

struct Printer {
    paper: Paper,
    y: u32,
    code_page: Option<CodePage>,
    align: Align,
    bold: bool,
    width_mul: u32,
    height_mul: u32,
    line: Vec<Cell>,
    line_width: u32,
    line_align: Align,
    glyphs: Glyphs,
    qr: NativeQr,
}

/// What `GS ( k` has set up so far.
struct NativeQr {
    module_dots: u32,
    level: QrLevel,
    data: Vec<u8>,
}

fn render(bytes: &[u8]) -> Result<Paper, PreviewError> {
    let mut p = Printer {
        paper: Paper { dots: Vec::new() },
        y: 0,
        code_page: None,
        align: Align::Left,
        bold: false,
        width_mul: 1,
        height_mul: 1,
        line: Vec::new(),
        line_width: 0,
        line_align: Align::Left,
        glyphs: Glyphs::new()?,
        qr: NativeQr { module_dots: 3, level: QrLevel::Low, data: Vec::new() },
    };
    let mut i = 0;
    while i < bytes.len() {
        let at = i;
        let param = |k: usize, command: &'static str| {
            bytes.get(at + k).copied().ok_or(PreviewError::Truncated { offset: at, command })
        };
        let unknown = |len: usize| PreviewError::UnknownCommand {
            offset: at,
            bytes: hex(&bytes[at..(at + len).min(bytes.len())]),
        };
        match bytes[i] {
            LF => {
                p.print_line(at)?;
                i += 1;
            }
            ESC => {
                let command = param(1, "ESC")?;
                match command {
                    b'@' => {
                        p.reset();
                        i += 2;
                    }
                    b't' => {
                        let n = param(2, "ESC t")?;
                        p.code_page = Some(
                            CodePage::from_number(n)
                                .ok_or(PreviewError::UnknownCodePage { offset: at, number: n })?,
                        );
                        i += 3;
                    }
                    b'a' => {
                        let n = param(2, "ESC a")?;
                        p.align = Align::from_number(n).ok_or(PreviewError::BadParameter {
                            offset: at,
                            command: "ESC a",
                            value: n.into(),
                        })?;
                        i += 3;
                    }
                    b'E' => {
                        p.bold = param(2, "ESC E")? & 1 == 1;
                        i += 3;
                    }
                    b'd' => {
                        let n = param(2, "ESC d")?;
                        if !p.line.is_empty() {
                            p.print_line(at)?;
                        }
                        p.advance(u32::from(n) * LINE_PITCH, at)?;
                        i += 3;
                    }
                    _ => return Err(unknown(2)),
                }
            }
            GS => {
                let command = param(1, "GS")?;
                match command {
                    b'!' => {
                        let n = param(2, "GS !")?;
                        if n & 0x88 != 0 {
                            return Err(PreviewError::BadParameter {
                                offset: at,
                                command: "GS !",
                                value: n.into(),
                            });
                        }
                        p.width_mul = u32::from(n >> 4) + 1;
                        p.height_mul = u32::from(n & 0x0F) + 1;
                        i += 3;
                    }
                    b'V' => {
                        let m = param(2, "GS V")?;
                        let feed = match m {
                            0 | 1 | 48 | 49 => {
                                i += 3;
                                0
                            }
                            65 | 66 => {
                                let n = param(3, "GS V")?;
                                i += 4;
                                u32::from(n)
                            }
                            _ => {
                                return Err(PreviewError::BadParameter {
                                    offset: at,
                                    command: "GS V",
                                    value: m.into(),
                                });
                            }
                        };
                        p.cut(feed, at)?;
                    }
                    b'v' => {
                        if param(2, "GS v")? != b'0' {
                            return Err(unknown(3));
                        }
                        let m = param(3, "GS v 0")?;
                        if m != 0 {
                            return Err(PreviewError::BadParameter {
                                offset: at,
                                command: "GS v 0",
                                value: m.into(),
                            });
                        }
                        let x_bytes = u16::from_le_bytes([param(4, "GS v 0")?, param(5, "GS v 0")?]);
                        let rows = u16::from_le_bytes([param(6, "GS v 0")?, param(7, "GS v 0")?]);
                        let len = usize::from(x_bytes) * usize::from(rows);
                        let data = bytes
                            .get(at + 8..at + 8 + len)
                            .ok_or(PreviewError::Truncated { offset: at, command: "GS v 0" })?;
                        p.raster(x_bytes, rows, data, at)?;
                        i += 8 + len;
                    }
                    b'(' => {
                        if param(2, "GS (")? != b'k' {
                            return Err(unknown(3));
                        }
                        let len = usize::from(u16::from_le_bytes([param(3, "GS ( k")?, param(4, "GS ( k")?]));
                        let body = bytes
                            .get(at + 5..at + 5 + len)
                            .ok_or(PreviewError::Truncated { offset: at, command: "GS ( k" })?;
                        p.native_qr(body, at, || unknown(5 + len.min(3)))?;
                        i += 5 + len;
                    }
                    _ => return Err(unknown(2)),
                }
            }
            byte @ (0x20..=0x7E | 0x80..=0xFF) => {
                let ch = match p.code_page {
                    Some(cp) => cp.decode_byte(byte),
                    None if byte < 0x80 => Some(char::from(byte)),
                    None => None,
                }
                .ok_or(PreviewError::TextBeforeCodePage { offset: at, byte })?;
                p.put_char(ch, at)?;
                i += 1;
            }
            _ => return Err(unknown(1)),
        }
    }
    Ok(p.paper)
}

impl Printer {
    /// `ESC @`: modes back to power-on; the line buffer is cleared.
    fn reset(&mut self) {
        self.code_page = None;
        self.align = Align::Left;
        self.bold = false;
        self.width_mul = 1;
        self.height_mul = 1;
        self.line.clear();
        self.line_width = 0;
    }

    fn advance(&mut self, dots: u32, offset: usize) -> Result<(), PreviewError> {
        self.y = self.y.saturating_add(dots);
        if self.y > MAX_PAPER_DOTS {
            return Err(PreviewError::TooLong { offset });
        }
        self.paper.grow_to(self.y);
        Ok(())
    }

    fn put_char(&mut self, ch: char, offset: usize) -> Result<(), PreviewError> {
        let width = CELL_W * self.width_mul;
        if self.line_width + width > WIDTH {
            // The printer wraps a full line.
            self.print_line(offset)?;
        }
        if self.line.is_empty() {
            self.line_align = self.align;
        }
        self.line.push(Cell { ch, width_mul: self.width_mul, height_mul: self.height_mul, bold: self.bold });
        self.line_width += width;
        Ok(())
    }

    /// Prints the line buffer (an empty buffer feeds one line).
    fn print_line(&mut self, offset: usize) -> Result<(), PreviewError> {
        if self.line.is_empty() {
            return self.advance(LINE_PITCH, offset);
        }
        let tallest = self.line.iter().map(|c| CELL_H * c.height_mul).max().unwrap_or(CELL_H);
        let top = self.y;
        self.advance((tallest + 6).max(LINE_PITCH), offset)?;
        let mut x = match self.line_align {
            Align::Left => 0,
            Align::Center => (WIDTH - self.line_width) / 2,
            Align::Right => WIDTH - self.line_width,
        };
        let cells = std::mem::take(&mut self.line);
        for cell in &cells {
            let cell_top = top + tallest - CELL_H * cell.height_mul;
            let glyph = self.glyphs.get(cell.ch);
            for gy in 0..CELL_H {
                for gx in 0..CELL_W {
                    if !glyph[(gy * CELL_W + gx) as usize] {
                        continue;
                    }
                    for dy in 0..cell.height_mul {
                        for dx in 0..cell.width_mul {
                            let px = x + gx * cell.width_mul + dx;
                            let py = cell_top + gy * cell.height_mul + dy;
                            self.paper.blacken(px, py);
                            if cell.bold {
                                self.paper.blacken(px + 1, py);
                            }
                        }
                    }
                }
            }
            x += CELL_W * cell.width_mul;
        }
        self.line_width = 0;
        Ok(())
    }

    fn cut(&mut self, feed: u32, offset: usize) -> Result<(), PreviewError> {
        if !self.line.is_empty() {
            self.print_line(offset)?;
        }
        self.advance(feed + 8, offset)?;
        let y = self.y;
        self.advance(2, offset)?;
        for x in (0..WIDTH).filter(|x| x % 12 < 7) {
            self.paper.blacken(x, y);
            self.paper.blacken(x, y + 1);
        }
        self.advance(8, offset)
    }

    /// One `GS ( k` function (`body` = cn fn parameters); only QR (cn 49).
    fn native_qr(
        &mut self,
        body: &[u8],
        offset: usize,
        unknown: impl Fn() -> PreviewError,
    ) -> Result<(), PreviewError> {
        let bad = |value: u8| PreviewError::BadParameter { offset, command: "GS ( k", value: value.into() };
        match body {
            [49, 65, model, _] => {
                if !(49..=50).contains(model) {
                    return Err(bad(*model));
                }
            }
            [49, 67, size] => {
                if !(1..=NATIVE_QR_MAX_MODULE_DOTS).contains(size) {
                    return Err(bad(*size));
                }
                self.qr.module_dots = u32::from(*size);
            }
            [49, 69, level] => self.qr.level = QrLevel::from_number(*level).ok_or_else(|| bad(*level))?,
            [49, 80, 48, data @ ..] => self.qr.data = data.to_vec(),
            [49, 81, 48] => return self.print_qr(offset),
            _ => return Err(unknown()),
        }
        Ok(())
    }

    fn print_qr(&mut self, offset: usize) -> Result<(), PreviewError> {
        if !self.line.is_empty() {
            self.print_line(offset)?;
        }
        let qr_error = |reason: String| PreviewError::Qr { offset, reason };
        if self.qr.data.is_empty() {
            return Err(qr_error("no data was stored (fn 80)".into()));
        }
        let level = match self.qr.level {
            QrLevel::Low => qrcode::EcLevel::L,
            QrLevel::Medium => qrcode::EcLevel::M,
            QrLevel::Quartile => qrcode::EcLevel::Q,
            QrLevel::High => qrcode::EcLevel::H,
        };
        let code = qrcode::QrCode::with_error_correction_level(&self.qr.data, level)
            .map_err(|e| qr_error(e.to_string()))?;
        let modules = code.width() as u32;
        let side = modules * self.qr.module_dots;
        if side > WIDTH {
            return Err(qr_error(format!("{side} dots are wider than the paper")));
        }
        let x0 = match self.align {
            Align::Left => 0,
            Align::Center => (WIDTH - side) / 2,
            Align::Right => WIDTH - side,
        };
        let top = self.y;
        self.advance(side, offset)?;
        for (i, color) in code.to_colors().iter().enumerate() {
            if *color != qrcode::Color::Dark {
                continue;
            }
            let (mx, my) = (i as u32 % modules, i as u32 / modules);
            for dy in 0..self.qr.module_dots {
                for dx in 0..self.qr.module_dots {
                    self.paper
                        .blacken(x0 + mx * self.qr.module_dots + dx, top + my * self.qr.module_dots + dy);
                }
            }
        }
        Ok(())
    }

    fn raster(&mut self, x_bytes: u16, rows: u16, data: &[u8], offset: usize) -> Result<(), PreviewError> {
        if !self.line.is_empty() {
            self.print_line(offset)?;
        }
        let width = u32::from(x_bytes) * 8;
        let x0 = match self.align {
            _ if width >= WIDTH => 0,
            Align::Left => 0,
            Align::Center => (WIDTH - width) / 2,
            Align::Right => WIDTH - width,
        };
        let top = self.y;
        self.advance(u32::from(rows), offset)?;
        let row_bytes = usize::from(x_bytes).max(1);
        for (r, row) in data.chunks(row_bytes).enumerate() {
            for (b, byte) in row.iter().enumerate() {
                for bit in 0..8u32 {
                    if byte & (0x80 >> bit) != 0 {
                        self.paper.blacken(x0 + b as u32 * 8 + bit, top + r as u32);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Font A glyphs (12×24 dots, true = ink), drawn once per character.
struct Glyphs {
    font: FontRef<'static>,
    scale: PxScale,
    baseline: f32,
    cache: HashMap<char, Vec<bool>>,
}

impl Glyphs {
    fn new() -> Result<Glyphs, PreviewError> {
        let font = FontRef::try_from_slice(FONT_A_TTF).map_err(|_| PreviewError::Font)?;
        // Scale so that one advance is exactly one 12-dot cell.
        let unit = font.as_scaled(PxScale::from(1.0));
        let advance = unit.h_advance(font.glyph_id('0'));
        if advance <= 0.0 {
            return Err(PreviewError::Font);
        }
        let px = CELL_W as f32 / advance;
        let scaled = font.as_scaled(PxScale::from(px));
        // Centre the font's ascent..descent box in the 24-dot cell.
        let spare = (CELL_H as f32 - (scaled.ascent() - scaled.descent())).max(0.0);
        let baseline = (spare / 2.0 + scaled.ascent()).round();
        Ok(Glyphs { font, scale: PxScale::from(px), baseline, cache: HashMap::new() })
    }

    fn get(&mut self, ch: char) -> &[bool] {
        let (font, scale, baseline) = (&self.font, self.scale, self.baseline);
        self.cache.entry(ch).or_insert_with(|| {
            let mut cell = vec![false; (CELL_W * CELL_H) as usize];
            let glyph = font.glyph_id(ch).with_scale_and_position(scale, point(0.0, baseline));
            if let Some(outline) = font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                outline.draw(|gx, gy, coverage| {
                    let x = bounds.min.x as i32 + gx as i32;
                    let y = bounds.min.y as i32 + gy as i32;
                    if coverage >= INK_THRESHOLD
                        && (0..CELL_W as i32).contains(&x)
                        && (0..CELL_H as i32).contains(&y)
                    {
                        cell[(y as u32 * CELL_W + x as u32) as usize] = true;
                    }
                });
            }
            cell
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:#04x}")).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::escpos::{Bitmap, EscPos};
    use super::super::slip::{TicketSlip, encode_ticket};
    use super::*;

    fn sample_ticket(has_cutter: bool) -> Vec<u8> {
        encode_ticket(&TicketSlip { has_cutter, ..super::super::slip::tests::sample() }).bytes
    }

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("png header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("png frame");
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    fn black_in(dots: &[u8], rows: std::ops::Range<u32>, cols: std::ops::Range<u32>) -> usize {
        rows.flat_map(|y| cols.clone().map(move |x| (x, y)))
            .filter(|&(x, y)| dots[(y * WIDTH + x) as usize] == BLACK)
            .count()
    }

    #[test]
    fn sample_ticket_renders_as_a_384_dot_wide_png() {
        let (width, height, dots) = decode(&render_png(&sample_ticket(true)).expect("renders"));
        assert_eq!(width, 384);
        // Roughly 9 normal lines, 2 double, one 144-dot number, feed and cut:
        // between 5 and 15 cm of paper.
        assert!((400..=1200).contains(&height), "height {height}");
        // The big number: line 4 starts below header (30), rule (30), blank (30),
        // label (30) = 120 dots and is 144 dots high, 360 dots wide, centred.
        let number = black_in(&dots, 120..264, 12..372);
        assert!(number > 5_000, "only {number} black dots in the number");
        // The margins beside the number stay white.
        assert_eq!(black_in(&dots, 120..264, 0..12), 0);
        assert_eq!(black_in(&dots, 120..264, 373..384), 0);
    }

    #[test]
    fn cut_is_drawn_as_a_dashed_line_at_the_end() {
        let (_, height, dots) = decode(&render_png(&sample_ticket(true)).expect("renders"));
        let last_dash_row =
            (0..height).rev().find(|&y| black_in(&dots, y..y + 1, 0..384) > 100).expect("a dashed line");
        assert!(height - last_dash_row < 20);
        assert!(black_in(&dots, last_dash_row..last_dash_row + 1, 0..384) < 384);
        let (_, _, torn) = decode(&render_png(&sample_ticket(false)).expect("renders"));
        let torn_rows = torn.len() as u32 / WIDTH;
        assert_eq!(black_in(&torn, torn_rows - 60..torn_rows, 0..384), 0);
    }

    #[test]
    fn text_bold_and_size_are_drawn() {
        let mut p = EscPos::new();
        p.init().code_page(CodePage::Cp858).line("H");
        let (_, _, plain) = decode(&render_png(p.bytes()).expect("renders"));
        let plain_ink = black_in(&plain, 0..24, 0..12);
        assert!(plain_ink > 20);

        let mut p = EscPos::new();
        p.init().code_page(CodePage::Cp858).bold(true).line("H");
        let (_, _, bold) = decode(&render_png(p.bytes()).expect("renders"));
        assert!(black_in(&bold, 0..24, 0..13) > plain_ink);

        let mut p = EscPos::new();
        p.init().code_page(CodePage::Cp858).size(2, 3).line("H");
        let (_, h, big) = decode(&render_png(p.bytes()).expect("renders"));
        assert_eq!(h, 72 + 6);
        assert_eq!(black_in(&big, 0..72, 0..24), plain_ink * 6);
    }

    #[test]
    fn alignment_moves_the_line() {
        let mut p = EscPos::new();
        p.init().code_page(CodePage::Cp858).align(Align::Right).line("I");
        let (_, _, dots) = decode(&render_png(p.bytes()).expect("renders"));
        assert_eq!(black_in(&dots, 0..24, 0..372), 0);
        assert!(black_in(&dots, 0..24, 372..384) > 0);
    }

    #[test]
    fn cp858_text_is_drawn_and_euro_has_ink() {
        let mut p = EscPos::new();
        p.init().code_page(CodePage::Cp858).line("€");
        let (_, _, dots) = decode(&render_png(p.bytes()).expect("renders"));
        assert!(black_in(&dots, 0..24, 0..12) > 10);
    }

    #[test]
    fn raster_is_blitted() {
        let mut bitmap = Bitmap::new(16, 3).expect("valid");
        for x in 0..16 {
            bitmap.set(x, 1, true);
        }
        let mut p = EscPos::new();
        p.init().raster(&bitmap);
        let (_, h, dots) = decode(&render_png(p.bytes()).expect("renders"));
        assert_eq!(h, 3);
        assert_eq!(black_in(&dots, 1..2, 0..16), 16);
        assert_eq!(black_in(&dots, 0..3, 0..384), 16);
    }

    /// Reads the QR code off a preview with `rqrr`, as a phone would.
    fn read_qr(width: u32, height: u32, dots: &[u8]) -> Option<String> {
        let mut image =
            rqrr::PreparedImage::prepare_from_greyscale(width as usize, height as usize, |x, y| {
                dots[y * width as usize + x]
            });
        let grids = image.detect_grids();
        grids.first().and_then(|g| g.decode().ok()).map(|(_, text)| text)
    }

    #[test]
    fn qr_codes_on_tickets_read_back_from_the_preview() {
        use super::super::slip::tests::{arabic_with_qr, dutch_with_qr, tigrinya_with_qr};
        for slip in [dutch_with_qr(), arabic_with_qr(), tigrinya_with_qr()] {
            let url = slip.qr_url.clone().expect("has a link");
            for native_qr in [false, true] {
                let bytes = encode_ticket(&TicketSlip { native_qr, ..slip.clone() }).bytes;
                let (w, h, dots) = decode(&render_png(&bytes).expect("renders"));
                assert_eq!(read_qr(w, h, &dots).as_deref(), Some(url.as_str()), "native {native_qr}");
            }
        }
        // The same preview without the code has nothing to read.
        let (w, h, dots) = decode(&render_png(&sample_ticket(false)).expect("renders"));
        assert_eq!(read_qr(w, h, &dots), None);
    }

    #[test]
    fn arabic_ticket_preview_has_ink_on_the_right_under_the_service() {
        use super::super::slip::tests::arabic_with_qr;
        let (_, h, dots) = decode(&render_png(&encode_ticket(&arabic_with_qr()).bytes).expect("renders"));
        // Service name: double-height text at 30+30+30+30+150+30 = 300..360; the Arabic below it.
        let arabic_rows = 362..400;
        assert!(h > 600);
        assert!(black_in(&dots, arabic_rows.clone(), 372..384) > 0, "right-aligned: ink at the right edge");
        assert!(black_in(&dots, arabic_rows, 0..64) == 0, "nothing at the left");
    }

    #[test]
    fn native_qr_commands_are_checked() {
        let mut p = EscPos::new();
        p.native_qr(b"A012", 4, crate::printer::escpos::QrLevel::Medium).expect("valid");
        let (_, h, _) = decode(&render_png(p.bytes()).expect("renders"));
        assert_eq!(h, 21 * 4, "version 1 at 4 dots a module");
        // Print without stored data.
        assert!(matches!(
            render_png(&[0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48]),
            Err(PreviewError::Qr { offset: 0, .. })
        ));
        // Module size 0, unknown function, another symbol type, cut-off data.
        assert!(matches!(
            render_png(&[0x1D, 0x28, 0x6B, 3, 0, 49, 67, 0]),
            Err(PreviewError::BadParameter { offset: 0, .. })
        ));
        assert!(matches!(
            render_png(&[0x1D, 0x28, 0x6B, 3, 0, 49, 82, 48]),
            Err(PreviewError::UnknownCommand { offset: 0, .. })
        ));
        assert!(matches!(
            render_png(&[0x1D, 0x28, 0x6B, 3, 0, 48, 67, 4]),
            Err(PreviewError::UnknownCommand { offset: 0, .. })
        ));
        assert!(matches!(
            render_png(&[0x1D, 0x28, 0x6B, 9, 0, 49, 80, 48, b'x']),
            Err(PreviewError::Truncated { offset: 0, command: "GS ( k" })
        ));
    }

    #[test]
    fn empty_stream_gives_a_one_dot_high_png() {
        let (w, h, _) = decode(&render_png(&[]).expect("renders"));
        assert_eq!((w, h), (384, 1));
    }

    #[test]
    fn unknown_command_names_its_offset() {
        let err = render_png(&[0x1B, 0x40, b'A', 0x1B, b'J', 3]).expect_err("ESC J is not known");
        assert!(matches!(err, PreviewError::UnknownCommand { offset: 3, .. }), "{err}");
        assert!(err.to_string().contains("offset 3"), "{err}");
        let err = render_png(&[0x1B, 0x40, 0x07]).expect_err("BEL is not known");
        assert!(matches!(err, PreviewError::UnknownCommand { offset: 2, .. }));
    }

    #[test]
    fn truncated_and_bad_commands_are_errors() {
        assert!(matches!(
            render_png(&[0x1D, 0x76, 0x30, 0, 48, 0, 10, 0, 1, 2, 3]),
            Err(PreviewError::Truncated { offset: 0, command: "GS v 0" })
        ));
        assert!(matches!(render_png(&[0x1B]), Err(PreviewError::Truncated { offset: 0, .. })));
        assert!(matches!(
            render_png(&[0x1B, 0x74, 99]),
            Err(PreviewError::UnknownCodePage { offset: 0, number: 99 })
        ));
        assert!(matches!(
            render_png(&[b'a', 0x82]),
            Err(PreviewError::TextBeforeCodePage { offset: 1, byte: 0x82 })
        ));
        assert!(matches!(render_png(&[0x1D, 0x21, 0x88]), Err(PreviewError::BadParameter { offset: 0, .. })));
    }

    #[test]
    fn endless_feeds_are_refused_not_allocated() {
        let feeds: Vec<u8> = std::iter::repeat_n([0x1B, 0x64, 255], 100).flatten().collect();
        assert!(matches!(render_png(&feeds), Err(PreviewError::TooLong { .. })));
    }

    #[test]
    fn garbage_never_panics() {
        // A small deterministic pseudo-random generator (xorshift).
        let mut state: u32 = 0x2545_F491;
        for len in 0..400 {
            let garbage: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    (state >> 24) as u8
                })
                .collect();
            let _ = render_png(&garbage);
        }
        // Mostly command bytes, so that parameters get exercised.
        let mut state: u32 = 7;
        for len in 0..400 {
            let garbage: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    [
                        0x1B, 0x1D, 0x0A, b'v', b'0', b'!', b'V', b'a', b't', 19, 0, 1, 66, 0xFF, b'(', b'k',
                        49, 81,
                    ][(state % 18) as usize]
                })
                .collect();
            let _ = render_png(&garbage);
        }
    }
}
