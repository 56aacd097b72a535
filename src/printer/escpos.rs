//! ESC/POS encoder for the 58 mm CSN-A2-class ticket printer: turns printing
//! intentions (align, bold, size, text, feed, cut, raster image) into the exact
//! bytes the printer understands, and text into the printer's code page.
//! It owns the byte layout of every command and the CP858 character table.
//! It must not do I/O, pacing or layout decisions: it never talks to a port,
//! never sleeps, and never decides what goes on a ticket (that is `slip.rs`).
//!
//! Hardware notes (see `shared/anchors/thermal-printer.md`):
//! * 384 dots per line (48 bytes), font A is 12×24 dots, so 32 columns.
//! * Code page numbers on the CSN-A2 differ from Epson's. CP858 (Multilingual
//!   Latin 1 + €) is `ESC t 19` on the CSN-A2 (Adafruit `CODEPAGE_CP858`).
//!   After `ESC @` the printer is back on its default table (CP437), so the
//!   encoder only trusts ASCII until `code_page()` is sent again.
//! * If the enlarged ticket number prints at normal size, the unit ignores
//!   `GS !`; Adafruit's library falls back to `ESC !` for that reason.
//! * Commands a firmware does not know are printed as text (Adafruit issue
//!   #38), so this encoder emits only the small set listed on [`EscPos`].
//! * Raster images are sent as `GS v 0` in bands that fit the printer's
//!   ~256-byte receive buffer (5 rows at full width), as Adafruit does
//!   without a DTR line. With a DTR/busy line wired, bigger bands (up to 255
//!   rows) are fine: use [`EscPos::raster_in_bands`].
//! * The printer's own QR command (`GS ( k`, [`EscPos::native_qr`]) exists
//!   only on later firmware (CSN-A2L manual rev. 5, 2018); older units print
//!   its bytes as stray characters. Use it only after a test print on the unit.

/// Dots on one printed line of 58 mm paper.
pub const DOTS_PER_LINE: u16 = 384;
/// Width of one character of the printer's font A, in dots.
pub const FONT_A_WIDTH: u16 = 12;
/// Height of one character of the printer's font A, in dots.
pub const FONT_A_HEIGHT: u16 = 24;
/// Characters of font A at normal size on one line.
pub const COLUMNS: usize = (DOTS_PER_LINE / FONT_A_WIDTH) as usize;
/// Largest magnification `GS !` allows (width and height each).
pub const MAX_MAGNIFICATION: u8 = 8;
/// Raster band size that fits the printer's receive buffer when there is no
/// DTR flow control (Adafruit: "assuming 256 byte printer buffer").
pub const RASTER_BAND_BYTES: usize = 256;

/// Largest payload of the printer's own QR command: a model 2 code holds at
/// most 2,953 bytes (version 40, level L, byte mode).
pub const NATIVE_QR_MAX_BYTES: usize = 2_953;
/// Largest module size `GS ( k` fn 67 accepts, in dots.
pub const NATIVE_QR_MAX_MODULE_DOTS: u8 = 16;

pub(crate) const ESC: u8 = 0x1B;
pub(crate) const GS: u8 = 0x1D;
pub(crate) const LF: u8 = 0x0A;

/// Where text and images sit on the line (`ESC a n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

impl Align {
    fn number(self) -> u8 {
        match self {
            Align::Left => 0,
            Align::Center => 1,
            Align::Right => 2,
        }
    }

    /// Reads the `n` of `ESC a n` (0–2, or the ASCII digits '0'–'2').
    pub(crate) fn from_number(n: u8) -> Option<Align> {
        match n {
            0 | b'0' => Some(Align::Left),
            1 | b'1' => Some(Align::Center),
            2 | b'2' => Some(Align::Right),
            _ => None,
        }
    }
}

/// Character tables the encoder can write text in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodePage {
    /// CP858: PC850 (Multilingual Latin 1) with € at 0xD5. Carries Dutch,
    /// English, French, German, Spanish, Portuguese, Italian, Nordic text.
    #[default]
    Cp858,
}

/// CP858, bytes 0x80..=0xFF.
const CP858_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', 'ø', '£', 'Ø', '×', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '®', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', 'Á', 'Â', 'À', '©', '╣', '║', '╗', '╝', '¢', '¥', '┐', //
    '└', '┴', '┬', '├', '─', '┼', 'ã', 'Ã', '╚', '╔', '╩', '╦', '╠', '═', '╬', '¤', //
    'ð', 'Ð', 'Ê', 'Ë', 'È', '€', 'Í', 'Î', 'Ï', '┘', '┌', '█', '▄', '¦', 'Ì', '▀', //
    'Ó', 'ß', 'Ô', 'Ò', 'õ', 'Õ', 'µ', 'þ', 'Þ', 'Ú', 'Û', 'Ù', 'ý', 'Ý', '¯', '´', //
    '\u{AD}', '±', '‗', '¾', '¶', '§', '÷', '¸', '°', '¨', '·', '¹', '³', '²', '■', '\u{A0}',
];

impl CodePage {
    /// The `n` of `ESC t n` that selects this table on a CSN-A2.
    pub fn number(self) -> u8 {
        match self {
            CodePage::Cp858 => 19,
        }
    }

    /// The table a CSN-A2 selects for `ESC t n`, if the encoder knows it.
    pub fn from_number(n: u8) -> Option<CodePage> {
        match n {
            19 => Some(CodePage::Cp858),
            _ => None,
        }
    }

    /// The byte for one printable character, if this table has it.
    pub fn encode_char(self, c: char) -> Option<u8> {
        if (' '..='~').contains(&c) {
            return u8::try_from(c).ok();
        }
        let table = match self {
            CodePage::Cp858 => &CP858_HIGH,
        };
        let index = table.iter().position(|&t| t == c)?;
        u8::try_from(0x80 + index).ok()
    }

    /// The character a printable byte stands for in this table.
    pub fn decode_byte(self, byte: u8) -> Option<char> {
        match byte {
            0x20..=0x7E => Some(char::from(byte)),
            0x80..=0xFF => match self {
                CodePage::Cp858 => CP858_HIGH.get(usize::from(byte - 0x80)).copied(),
            },
            _ => None,
        }
    }

    /// Encodes text: typographic characters the table lacks are folded to
    /// plain ones (– to -, “ to ", … to ...), '\n' becomes LF, and every other
    /// character the table cannot carry becomes '?' and is counted as lost.
    pub fn encode(self, text: &str) -> EncodedText {
        encode_with(Some(self), text)
    }

    /// True when `text` prints without losing a character.
    pub fn can_carry(self, text: &str) -> bool {
        self.encode(text).lost == 0
    }
}

/// How much of a QR code may be damaged and still read (`GS ( k` fn 69).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QrLevel {
    /// About 7 %.
    Low,
    /// About 15 %: what Loket prints.
    #[default]
    Medium,
    /// About 25 %.
    Quartile,
    /// About 30 %.
    High,
}

impl QrLevel {
    /// The `n` of fn 69: 48..=51 (ASCII '0'..='3').
    pub fn number(self) -> u8 {
        match self {
            QrLevel::Low => 48,
            QrLevel::Medium => 49,
            QrLevel::Quartile => 50,
            QrLevel::High => 51,
        }
    }

    /// Reads the `n` of fn 69.
    pub fn from_number(n: u8) -> Option<QrLevel> {
        match n {
            48 => Some(QrLevel::Low),
            49 => Some(QrLevel::Medium),
            50 => Some(QrLevel::Quartile),
            51 => Some(QrLevel::High),
            _ => None,
        }
    }
}

/// Why the printer's own QR command cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NativeQrError {
    #[error("there is nothing to put in the QR code")]
    Empty,
    #[error("{bytes} bytes are more than a QR code holds ({NATIVE_QR_MAX_BYTES})")]
    TooLong { bytes: usize },
    #[error("QR module size {dots} dots is outside 1..={NATIVE_QR_MAX_MODULE_DOTS}")]
    ModuleSize { dots: u8 },
}

/// Text turned into code-page bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EncodedText {
    pub bytes: Vec<u8>,
    /// Characters the code page could not carry; each was printed as '?'.
    pub lost: usize,
}

/// Plain stand-ins for typographic characters that CP858 lacks. These are
/// not counted as lost: the reader sees the same thing.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => "-",
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => "\"",
        '\u{2026}' => "...",
        '\u{2022}' => "·",
        '\u{2009}' | '\u{202F}' | '\u{2007}' | '\u{2002}' | '\u{2003}' => " ",
        '\t' => " ",
        'ĳ' => "ij",
        'Ĳ' => "IJ",
        _ => return None,
    })
}

/// Folds typographic characters (see [`CodePage::encode`]) without encoding,
/// so that layout can count columns the way the printer will.
pub fn fold_typography(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match fold(c) {
            Some(plain) => out.push_str(plain),
            None => out.push(c),
        }
    }
    out
}

/// `None` = the printer's power-on table: only ASCII is trusted.
fn encode_with(code_page: Option<CodePage>, text: &str) -> EncodedText {
    let mut out = EncodedText { bytes: Vec::with_capacity(text.len()), lost: 0 };
    let byte_for = |c: char| match code_page {
        Some(cp) => cp.encode_char(c),
        None if (' '..='~').contains(&c) => u8::try_from(c).ok(),
        None => None,
    };
    for c in text.chars() {
        if c == '\n' {
            out.bytes.push(LF);
        } else if let Some(b) = byte_for(c) {
            out.bytes.push(b);
        } else if let Some(plain) = fold(c) {
            for p in plain.chars() {
                match byte_for(p) {
                    Some(b) => out.bytes.push(b),
                    None => {
                        out.bytes.push(b'?');
                        out.lost += 1;
                    }
                }
            }
        } else {
            out.bytes.push(b'?');
            out.lost += 1;
        }
    }
    out
}

/// A black-and-white image for `GS v 0`: 1 bit per dot, rows packed
/// most-significant bit first (leftmost dot), 1 = black.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u16,
    height: u16,
    packed: Vec<u8>,
}

/// Why a bitmap cannot be printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BitmapError {
    #[error("image width {width} dots is not a multiple of 8")]
    WidthNotMultipleOf8 { width: u16 },
    #[error("image width {width} dots is wider than the paper ({DOTS_PER_LINE} dots)")]
    TooWide { width: u16 },
    #[error("image has no dots ({width}×{height})")]
    Empty { width: u16, height: u16 },
    #[error("image data is {got} bytes, {expected} expected for its size")]
    DataLength { expected: usize, got: usize },
}

impl Bitmap {
    /// A white image. `width` must be a multiple of 8, at most 384.
    pub fn new(width: u16, height: u16) -> Result<Bitmap, BitmapError> {
        let len = Self::check(width, height)?;
        Ok(Bitmap { width, height, packed: vec![0; len] })
    }

    /// An image from packed rows (`width / 8` bytes per row, MSB = left dot).
    pub fn from_packed(width: u16, height: u16, packed: Vec<u8>) -> Result<Bitmap, BitmapError> {
        let expected = Self::check(width, height)?;
        if packed.len() != expected {
            return Err(BitmapError::DataLength { expected, got: packed.len() });
        }
        Ok(Bitmap { width, height, packed })
    }

    fn check(width: u16, height: u16) -> Result<usize, BitmapError> {
        if width == 0 || height == 0 {
            return Err(BitmapError::Empty { width, height });
        }
        if !width.is_multiple_of(8) {
            return Err(BitmapError::WidthNotMultipleOf8 { width });
        }
        if width > DOTS_PER_LINE {
            return Err(BitmapError::TooWide { width });
        }
        Ok(usize::from(width / 8) * usize::from(height))
    }

    pub fn width(&self) -> u16 {
        self.width
    }

    pub fn height(&self) -> u16 {
        self.height
    }

    /// Bytes per row.
    pub fn row_bytes(&self) -> usize {
        usize::from(self.width / 8)
    }

    /// All rows, packed.
    pub fn packed(&self) -> &[u8] {
        &self.packed
    }

    /// Blackens or whitens one dot; dots outside the image are ignored.
    pub fn set(&mut self, x: u16, y: u16, black: bool) {
        if x >= self.width || y >= self.height {
            return;
        }
        let i = usize::from(y) * self.row_bytes() + usize::from(x / 8);
        let mask = 0x80u8 >> (x % 8);
        if let Some(byte) = self.packed.get_mut(i) {
            if black {
                *byte |= mask;
            } else {
                *byte &= !mask;
            }
        }
    }

    /// True for a black dot; dots outside the image are white.
    pub fn is_black(&self, x: u16, y: u16) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let i = usize::from(y) * self.row_bytes() + usize::from(x / 8);
        self.packed.get(i).is_some_and(|b| b & (0x80u8 >> (x % 8)) != 0)
    }
}

/// Builder for an ESC/POS byte stream. Emits only these commands:
/// `ESC @`, `ESC t n`, `ESC a n`, `ESC E n`, `GS ! n`, printable text, `LF`,
/// `ESC d n`, `GS V 66 0`, `GS v 0`, and `GS ( k` (QR) only when
/// [`EscPos::native_qr`] is called.
///
/// Text the current code page cannot carry is printed as '?' and counted in
/// [`EscPos::lost_characters`].
#[derive(Debug, Clone, Default)]
pub struct EscPos {
    bytes: Vec<u8>,
    /// `None` until `code_page()` is sent (and again after `init()`).
    code_page: Option<CodePage>,
    lost: usize,
}

impl EscPos {
    pub fn new() -> EscPos {
        EscPos::default()
    }

    /// `ESC @`: resets the printer's modes (size, bold, alignment, code page).
    pub fn init(&mut self) -> &mut Self {
        self.code_page = None;
        self.push(&[ESC, b'@'])
    }

    /// `ESC t n`: selects the code page text is written in.
    pub fn code_page(&mut self, code_page: CodePage) -> &mut Self {
        self.code_page = Some(code_page);
        self.push(&[ESC, b't', code_page.number()])
    }

    /// `ESC a n`. Takes effect at the start of a line.
    pub fn align(&mut self, align: Align) -> &mut Self {
        self.push(&[ESC, b'a', align.number()])
    }

    /// `ESC E n`: emphasised (bold) on or off.
    pub fn bold(&mut self, on: bool) -> &mut Self {
        self.push(&[ESC, b'E', u8::from(on)])
    }

    /// `GS ! n`: character width and height multipliers, each 1..=8
    /// (values outside are clamped to that range).
    pub fn size(&mut self, width_mul: u8, height_mul: u8) -> &mut Self {
        let w = width_mul.clamp(1, MAX_MAGNIFICATION) - 1;
        let h = height_mul.clamp(1, MAX_MAGNIFICATION) - 1;
        self.push(&[GS, b'!', (w << 4) | h])
    }

    /// Text in the current code page ('\n' becomes LF; see [`CodePage::encode`]).
    pub fn text(&mut self, text: &str) -> &mut Self {
        let encoded = encode_with(self.code_page, text);
        self.lost += encoded.lost;
        self.bytes.extend_from_slice(&encoded.bytes);
        self
    }

    /// Text, then LF (prints the line).
    pub fn line(&mut self, text: &str) -> &mut Self {
        self.text(text).push(&[LF])
    }

    /// `ESC d n`: prints what is buffered and feeds `n` lines.
    pub fn feed(&mut self, lines: u8) -> &mut Self {
        self.push(&[ESC, b'd', lines])
    }

    /// `GS V 66 0`: feeds to the cutter and makes a partial cut. Only for
    /// printers with a cutter; a CSN-A2 has a tear bar.
    pub fn cut(&mut self) -> &mut Self {
        self.push(&[GS, b'V', 66, 0])
    }

    /// `GS v 0` in bands that fit the printer's receive buffer
    /// ([`RASTER_BAND_BYTES`]), for links without DTR flow control.
    pub fn raster(&mut self, bitmap: &Bitmap) -> &mut Self {
        let rows = (RASTER_BAND_BYTES / bitmap.row_bytes().max(1)).clamp(1, 255);
        self.raster_in_bands(bitmap, u8::try_from(rows).unwrap_or(u8::MAX))
    }

    /// `GS v 0` in bands of at most `max_rows` rows (1..=255; 0 counts as 1).
    pub fn raster_in_bands(&mut self, bitmap: &Bitmap, max_rows: u8) -> &mut Self {
        let row_bytes = bitmap.row_bytes();
        let band = usize::from(max_rows.max(1));
        let x = (row_bytes as u16).to_le_bytes();
        for chunk in bitmap.packed().chunks(row_bytes * band) {
            let rows = (chunk.len() / row_bytes) as u16;
            let y = rows.to_le_bytes();
            self.push(&[GS, b'v', b'0', 0, x[0], x[1], y[0], y[1]]);
            self.bytes.extend_from_slice(chunk);
        }
        self
    }

    /// Feeds `rows` dot rows (1/8 mm each) by printing a white image one byte
    /// wide (`GS v 0`, 8 + `rows` bytes per 255 rows). `ESC J n` would do it in
    /// 3 bytes but is missing on older CSN-A2 firmware. 0 sends nothing.
    pub fn feed_dots(&mut self, rows: u16) -> &mut Self {
        match Bitmap::new(8, rows) {
            Ok(white) => self.raster(&white),
            Err(_) => self,
        }
    }

    /// The printer's own QR code (model 2), printed where the line starts and
    /// placed by `ESC a`: `GS ( k` fn 65 (model 2), fn 67 (module size), fn 69
    /// (error correction), fn 80 (store `data`) and fn 81 (print). Byte for
    /// byte what python-escpos 3.1 sends with `qr(..., native=True)`.
    /// Not every CSN-A2 knows it (see the module notes): Loket draws QR codes
    /// as raster unless a printer is known to have it.
    pub fn native_qr(
        &mut self,
        data: &[u8],
        module_dots: u8,
        level: QrLevel,
    ) -> Result<&mut Self, NativeQrError> {
        if data.is_empty() {
            return Err(NativeQrError::Empty);
        }
        if data.len() > NATIVE_QR_MAX_BYTES {
            return Err(NativeQrError::TooLong { bytes: data.len() });
        }
        if !(1..=NATIVE_QR_MAX_MODULE_DOTS).contains(&module_dots) {
            return Err(NativeQrError::ModuleSize { dots: module_dots });
        }
        let store_len =
            u16::try_from(data.len() + 3).map_err(|_| NativeQrError::TooLong { bytes: data.len() })?;
        let [pl, ph] = store_len.to_le_bytes();
        self.push(&[GS, b'(', b'k', 4, 0, 49, 65, 50, 0]);
        self.push(&[GS, b'(', b'k', 3, 0, 49, 67, module_dots]);
        self.push(&[GS, b'(', b'k', 3, 0, 49, 69, level.number()]);
        self.push(&[GS, b'(', b'k', pl, ph, 49, 80, 48]);
        self.push(data);
        Ok(self.push(&[GS, b'(', b'k', 3, 0, 49, 81, 48]))
    }

    /// Characters replaced by '?' so far because the code page lacks them.
    pub fn lost_characters(&self) -> usize {
        self.lost
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn push(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(bytes);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(build: impl FnOnce(&mut EscPos) -> &mut EscPos) -> Vec<u8> {
        let mut p = EscPos::new();
        build(&mut p);
        p.into_bytes()
    }

    #[test]
    fn init_is_esc_at() {
        assert_eq!(bytes(|p| p.init()), [0x1B, 0x40]);
    }

    #[test]
    fn code_page_858_is_esc_t_19_on_the_csn_a2() {
        assert_eq!(bytes(|p| p.code_page(CodePage::Cp858)), [0x1B, 0x74, 19]);
        assert_eq!(CodePage::from_number(19), Some(CodePage::Cp858));
        assert_eq!(CodePage::from_number(0), None);
    }

    #[test]
    fn align_is_esc_a() {
        assert_eq!(
            bytes(|p| p.align(Align::Left).align(Align::Center).align(Align::Right)),
            [0x1B, 0x61, 0, 0x1B, 0x61, 1, 0x1B, 0x61, 2]
        );
    }

    #[test]
    fn bold_is_esc_e() {
        assert_eq!(bytes(|p| p.bold(true).bold(false)), [0x1B, 0x45, 1, 0x1B, 0x45, 0]);
    }

    #[test]
    fn size_is_gs_bang_with_width_in_high_nibble() {
        assert_eq!(bytes(|p| p.size(1, 1)), [0x1D, 0x21, 0x00]);
        assert_eq!(bytes(|p| p.size(4, 4)), [0x1D, 0x21, 0x33]);
        assert_eq!(bytes(|p| p.size(2, 1)), [0x1D, 0x21, 0x10]);
        assert_eq!(bytes(|p| p.size(8, 8)), [0x1D, 0x21, 0x77]);
        // Out of range is clamped, never an invalid command.
        assert_eq!(bytes(|p| p.size(0, 200)), [0x1D, 0x21, 0x07]);
    }

    #[test]
    fn feed_is_esc_d() {
        assert_eq!(bytes(|p| p.feed(3)), [0x1B, 0x64, 3]);
    }

    #[test]
    fn cut_is_gs_v_66_0() {
        assert_eq!(bytes(|p| p.cut()), [0x1D, 0x56, 66, 0]);
    }

    #[test]
    fn line_is_text_then_lf() {
        assert_eq!(bytes(|p| p.line("E-017")), b"E-017\n");
    }

    #[test]
    fn text_in_cp858_keeps_dutch_and_euro() {
        let mut p = EscPos::new();
        p.code_page(CodePage::Cp858).text("café € ë");
        assert_eq!(p.bytes()[3..], [b'c', b'a', b'f', 0x82, b' ', 0xD5, b' ', 0x89]);
        assert_eq!(p.lost_characters(), 0);
    }

    #[test]
    fn text_the_code_page_lacks_becomes_question_marks_and_is_counted() {
        let mut p = EscPos::new();
        p.code_page(CodePage::Cp858).text("Aب").text("ቁ");
        assert_eq!(p.bytes()[3..], *b"A??");
        assert_eq!(p.lost_characters(), 2);
    }

    #[test]
    fn typographic_characters_are_folded_not_lost() {
        let encoded = CodePage::Cp858.encode("10–20 min “ok”…");
        assert_eq!(encoded.bytes, b"10-20 min \"ok\"...");
        assert_eq!(encoded.lost, 0);
        assert_eq!(fold_typography("a–b"), "a-b");
    }

    #[test]
    fn control_characters_cannot_smuggle_commands() {
        let mut p = EscPos::new();
        p.code_page(CodePage::Cp858).text("a\u{1B}@b\nc\u{7F}");
        assert_eq!(p.bytes()[3..], *b"a?@b\nc?");
        assert_eq!(p.lost_characters(), 2);
    }

    #[test]
    fn only_ascii_is_trusted_before_a_code_page_is_chosen() {
        let mut p = EscPos::new();
        p.init().text("é").code_page(CodePage::Cp858).text("é").init().text("é");
        assert_eq!(p.bytes(), [0x1B, 0x40, b'?', 0x1B, 0x74, 19, 0x82, 0x1B, 0x40, b'?']);
        assert_eq!(p.lost_characters(), 2);
    }

    #[test]
    fn cp858_table_round_trips() {
        for b in (0x20u8..=0x7E).chain(0x80..=0xFF) {
            let c = CodePage::Cp858.decode_byte(b).expect("printable");
            assert_eq!(CodePage::Cp858.encode_char(c), Some(b), "byte {b:#04x}");
        }
        assert_eq!(CodePage::Cp858.decode_byte(0x1B), None);
    }

    #[test]
    fn bitmap_checks_its_size() {
        assert_eq!(Bitmap::new(10, 1), Err(BitmapError::WidthNotMultipleOf8 { width: 10 }));
        assert_eq!(Bitmap::new(392, 1), Err(BitmapError::TooWide { width: 392 }));
        assert_eq!(Bitmap::new(8, 0), Err(BitmapError::Empty { width: 8, height: 0 }));
        assert_eq!(
            Bitmap::from_packed(16, 2, vec![0; 3]),
            Err(BitmapError::DataLength { expected: 4, got: 3 })
        );
        let mut b = Bitmap::new(16, 2).expect("valid");
        b.set(0, 0, true);
        b.set(9, 1, true);
        b.set(99, 99, true); // outside: ignored
        assert_eq!(b.packed(), [0x80, 0, 0, 0x40]);
        assert!(b.is_black(9, 1) && !b.is_black(8, 1) && !b.is_black(99, 99));
    }

    #[test]
    fn raster_is_gs_v_0_with_width_in_bytes() {
        let bitmap = Bitmap::from_packed(16, 2, vec![0xF0, 0x0F, 0xAA, 0x55]).expect("valid");
        assert_eq!(bytes(|p| p.raster(&bitmap)), [0x1D, 0x76, 0x30, 0, 2, 0, 2, 0, 0xF0, 0x0F, 0xAA, 0x55]);
    }

    #[test]
    fn raster_is_split_into_bands_that_fit_the_buffer() {
        // Full width: 48 bytes a row, 256 / 48 = 5 rows a band; 12 rows = 5 + 5 + 2.
        let bitmap = Bitmap::new(384, 12).expect("valid");
        let out = bytes(|p| p.raster(&bitmap));
        assert_eq!(out.len(), 3 * 8 + 12 * 48);
        assert_eq!(out[..8], [0x1D, 0x76, 0x30, 0, 48, 0, 5, 0]);
        let second = 8 + 5 * 48;
        assert_eq!(out[second..second + 8], [0x1D, 0x76, 0x30, 0, 48, 0, 5, 0]);
        let third = 2 * second;
        assert_eq!(out[third..third + 8], [0x1D, 0x76, 0x30, 0, 48, 0, 2, 0]);
    }

    #[test]
    fn feed_dots_is_a_white_raster_one_byte_wide() {
        assert_eq!(bytes(|p| p.feed_dots(3)), [0x1D, 0x76, 0x30, 0, 1, 0, 3, 0, 0, 0, 0]);
        assert!(bytes(|p| p.feed_dots(0)).is_empty());
        // More than 255 rows: two bands.
        let out = bytes(|p| p.feed_dots(300));
        assert_eq!(out.len(), 2 * 8 + 300);
        assert_eq!(out[..8], [0x1D, 0x76, 0x30, 0, 1, 0, 255, 0]);
    }

    #[test]
    fn native_qr_is_gs_paren_k_model_2_size_level_store_print() {
        let mut p = EscPos::new();
        p.native_qr(b"NATIVE-A012", 6, QrLevel::Medium).expect("valid");
        let mut expected = vec![
            0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00, // fn 65: model 2
            0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06, // fn 67: 6 dots a module
            0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31, // fn 69: level M
            0x1D, 0x28, 0x6B, 0x0E, 0x00, 0x31, 0x50, 0x30, // fn 80: store 11 + 3 bytes
        ];
        expected.extend_from_slice(b"NATIVE-A012");
        expected.extend_from_slice(&[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]); // fn 81: print
        assert_eq!(p.bytes(), expected);
    }

    #[test]
    fn native_qr_matches_python_escpos_for_a_26_byte_payload() {
        // python-escpos 3.1 `Dummy().qr(data, native=True, size=6, ec=QR_ECLEVEL_L)`
        // (anchor thermal-printer.md §2.1): store length 0x1d = 26 + 3.
        let data = b"https://example.org/t/A012";
        assert_eq!(data.len(), 26);
        let out = bytes(|p| p.native_qr(data, 6, QrLevel::Low).expect("valid"));
        assert_eq!(
            out[..25],
            [
                0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00, 0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31,
                0x43, 0x06, 0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x30
            ]
        );
        assert_eq!(out[25..33], [0x1d, 0x28, 0x6b, 0x1d, 0x00, 0x31, 0x50, 0x30]);
        assert_eq!(out[33..59], *data);
        assert_eq!(out[59..], [0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30]);
    }

    #[test]
    fn native_qr_length_is_little_endian_over_256_bytes() {
        let data = vec![b'7'; 300];
        let out = bytes(|p| p.native_qr(&data, 3, QrLevel::High).expect("valid"));
        // 303 = 0x012F
        assert_eq!(out[25..33], [0x1D, 0x28, 0x6B, 0x2F, 0x01, 0x31, 0x50, 0x30]);
        assert_eq!(out[24], 0x33); // level H
        assert_eq!(out.len(), 9 + 8 + 8 + 8 + 300 + 8);
    }

    #[test]
    fn native_qr_refuses_what_the_printer_cannot_print() {
        let mut p = EscPos::new();
        assert_eq!(p.native_qr(b"", 4, QrLevel::Medium).err(), Some(NativeQrError::Empty));
        assert_eq!(p.native_qr(b"x", 0, QrLevel::Medium).err(), Some(NativeQrError::ModuleSize { dots: 0 }));
        assert_eq!(
            p.native_qr(b"x", 17, QrLevel::Medium).err(),
            Some(NativeQrError::ModuleSize { dots: 17 })
        );
        let long = vec![b'x'; NATIVE_QR_MAX_BYTES + 1];
        assert_eq!(
            p.native_qr(&long, 4, QrLevel::Medium).err(),
            Some(NativeQrError::TooLong { bytes: NATIVE_QR_MAX_BYTES + 1 })
        );
        assert!(p.bytes().is_empty(), "nothing is sent for a refused code");
        for level in [QrLevel::Low, QrLevel::Medium, QrLevel::Quartile, QrLevel::High] {
            assert_eq!(QrLevel::from_number(level.number()), Some(level));
        }
    }

    #[test]
    fn raster_in_bands_allows_big_bands_with_flow_control() {
        let bitmap = Bitmap::new(8, 300).expect("valid");
        let out = bytes(|p| p.raster_in_bands(&bitmap, 255));
        assert_eq!(out[..8], [0x1D, 0x76, 0x30, 0, 1, 0, 255, 0]);
        let second = 8 + 255;
        assert_eq!(out[second..second + 8], [0x1D, 0x76, 0x30, 0, 1, 0, 45, 0]);
        assert_eq!(out.len(), 2 * 8 + 300);
    }
}
