//! The queue ticket ("bonnetje") as it comes out of the printer: which lines,
//! in which order, how big, where on the line, and the optional QR code.
//! Pure layout: a [`TicketSlip`] goes in, ESC/POS bytes and the list of lines
//! that did not print as given come out. It must not do I/O and must not know
//! how bytes reach the printer (`file.rs`, later the serial port) or how they
//! are drawn (`preview.rs`).
//!
//! Text the printer's own code page (CP858) can carry is sent as text: a few
//! bytes a line, and the ticket number always in the printer's huge font A.
//! Every other line (Arabic, Persian, Pashto, Tigrinya, Cyrillic, …) is drawn
//! by `raster.rs` and sent as a `GS v 0` image cropped to its ink:
//! right-to-left lines right-aligned, others centred. At 19200 Bd the line
//! carries about 1,920 bytes a second, so every raster byte counts: a Dutch
//! ticket with QR code is about 2,000 bytes (1.1 s), an Arabic or Tigrinya
//! one with the visitor's labels about 5,300 (2.8 s). The QR code is drawn
//! as raster too (4 dots a module, the white paper around it as quiet zone),
//! or with the printer's own `GS ( k` for units known to have it
//! ([`TicketSlip::native_qr`]).

use super::escpos::{
    Align, Bitmap, COLUMNS, CodePage, DOTS_PER_LINE, EscPos, FONT_A_WIDTH, QrLevel, fold_typography,
};
use super::qr::{QrOptions, qr_bitmap};
use super::raster::{DEFAULT_TEXT_DOTS, MAX_TEXT_DOTS, RasterError, RasterText, Rasterizer, TextStyle};

/// The code page every ticket is printed in.
pub const TICKET_CODE_PAGE: CodePage = CodePage::Cp858;
/// Lines fed after the last text so the ticket clears the tear bar.
pub const TEAR_OFF_FEED_LINES: u8 = 4;
/// Lines fed before a cut (the cut command itself feeds to the blade).
pub const CUT_FEED_LINES: u8 = 2;
/// Largest magnification used for the ticket number (6× = 72×144 dots a character).
pub const MAX_NUMBER_MAGNIFICATION: u8 = 6;
/// Size of lines printed as raster, in dots per em (as tall as font A).
pub const RASTER_TEXT_DOTS: u16 = DEFAULT_TEXT_DOTS;
/// Size of the service name printed as raster (the printer prints it double height), bold.
pub const RASTER_HEADING_DOTS: u16 = 32;
/// White dots fed after a block of raster lines, so that it stands as far
/// from the next line as text lines stand from each other (the bitmaps carry
/// only 3 white rows below their ink; a text line has about 9 below its capitals).
pub const RASTER_GAP_DOTS: u16 = 6;
/// QR module size on the ticket: 4 dots = 0.5 mm, fine for phone cameras.
pub const QR_MODULE_DOTS: u8 = 4;
/// White paper kept below the QR code: its 4-module quiet zone. Above it is
/// an empty text line (30 dots), beside it the white paper.
pub const QR_QUIET_DOTS: u16 = 4 * QR_MODULE_DOTS as u16;

/// Everything printed on one queue ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketSlip {
    /// Name of the help point, printed on top, e.g. "Bibliotheek Centrum".
    pub site_name: String,
    /// The help point's logo, printed on top instead of its name.
    pub logo: Option<Bitmap>,
    /// The ticket number the visitor waits for, e.g. "E-017".
    pub code: String,
    /// The service in the site's language, e.g. "Hulp bij e-mail".
    pub service_local: String,
    /// The service in the visitor's language; `None` when that is the same language.
    pub service_visitor: Option<String>,
    /// People waiting before this visitor.
    pub people_ahead: u32,
    /// Expected wait in minutes (low, high); `None` = unknown.
    pub wait_minutes: Option<(u32, u32)>,
    /// When the ticket was taken, local time of the site.
    pub issued_at: jiff::civil::DateTime,
    pub labels: SlipLabels,
    /// A closing line, e.g. opening hours; may contain '\n'.
    pub footer: Option<String>,
    /// True when the printer has a cutter; a CSN-A2 has a tear bar.
    pub has_cutter: bool,
    /// The fixed words in the visitor's language, each printed under the
    /// site-language line it translates ("Uw nummer", "Voor u: 3", "Wachttijd:
    /// …"); a line equal to the site-language one is not repeated. `None` when
    /// the visitor reads the site's language. Any script: what CP858 cannot
    /// carry is printed as raster.
    pub visitor_labels: Option<SlipLabels>,
    /// A link printed as a QR code under the wait, e.g. to follow the queue
    /// on a phone; `None` = no code. A link too long for a QR code on the
    /// paper is left out and reported in [`EncodedSlip::omitted`].
    pub qr_url: Option<String>,
    /// Print the QR code with the printer's own command (`GS ( k`) instead of
    /// as raster: about 60 bytes instead of about 2,000, but only later
    /// firmware knows it and older units print its bytes as garbage. Keep it
    /// `false` unless a test print on the unit showed a code.
    pub native_qr: bool,
    /// The screening's result code when the ticket was taken from the screening's result
    /// screen ("K7M-4PX"), printed under the wait for the desk; `None` on other tickets.
    pub screening_code: Option<String>,
    /// On the ticket of a visitor who checked in for an appointment: "Appointment at 10:30" in
    /// the site's language, printed bold under the service, and in the visitor's language under
    /// it when it differs. `None` on walk-in tickets.
    pub appointment: Option<AppointmentLines>,
    /// Printed on top, between stars, when staff print the ticket again ("HERDRUK"), in the site's
    /// language; `None` on a ticket printed the first time.
    pub reprint: Option<String>,
}

/// The appointment line of a ticket, already worded (see [`TicketSlip::appointment`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentLines {
    pub local: String,
    pub visitor: Option<String>,
}

/// Fixed words on the ticket, in the site's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipLabels {
    /// Above the number, e.g. "Uw nummer".
    pub your_number: String,
    /// "{}" is replaced by the number of people ahead, e.g. "Voor u: {}".
    pub people_ahead: String,
    /// "{low}" and "{high}" are replaced by minutes, e.g. "Wachttijd: {low}–{high} min".
    pub wait: String,
    /// Printed when the wait is unknown, e.g. "Wachttijd: onbekend".
    pub wait_unknown: String,
    /// "{}" is replaced by the screening's result code on a ticket taken from the result screen,
    /// e.g. "Code van de test: {}".
    pub result_code: String,
}

impl SlipLabels {
    pub fn dutch() -> SlipLabels {
        SlipLabels {
            your_number: "Uw nummer".into(),
            people_ahead: "Voor u: {}".into(),
            wait: "Wachttijd: {low}–{high} min".into(),
            wait_unknown: "Wachttijd: onbekend".into(),
            result_code: "Code van de test: {}".into(),
        }
    }

    pub fn english() -> SlipLabels {
        SlipLabels {
            your_number: "Your number".into(),
            people_ahead: "People ahead of you: {}".into(),
            wait: "Waiting time: {low}–{high} min".into(),
            wait_unknown: "Waiting time: unknown".into(),
            result_code: "Skills check code: {}".into(),
        }
    }
}

/// Which part of the ticket a line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlipPart {
    SiteName,
    YourNumberLabel,
    /// [`SlipLabels::your_number`] of [`TicketSlip::visitor_labels`].
    YourNumberVisitor,
    Number,
    ServiceLocal,
    ServiceVisitor,
    PeopleAhead,
    /// [`SlipLabels::people_ahead`] of [`TicketSlip::visitor_labels`].
    PeopleAheadVisitor,
    Wait,
    /// [`SlipLabels::wait`] of [`TicketSlip::visitor_labels`].
    WaitVisitor,
    QrCode,
    /// [`TicketSlip::screening_code`].
    ScreeningCode,
    /// [`TicketSlip::appointment`], in the site's language.
    Appointment,
    /// [`TicketSlip::appointment`], in the visitor's language.
    AppointmentVisitor,
    /// [`TicketSlip::reprint`].
    Reprint,
    IssuedAt,
    Footer,
}

/// A line (or the QR code) that did not print as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OmittedLine {
    pub part: SlipPart,
    /// The line's text; for [`SlipPart::QrCode`] the link.
    pub text: String,
    pub problem: LineProblem,
}

/// What went wrong with an [`OmittedLine`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    /// No bundled font has these characters (or they are control
    /// characters). The rest of the line was printed, each of these as the
    /// font's empty box.
    #[error("printed without {0:?}: no bundled font has them")]
    MissingCharacters(Vec<char>),
    /// The line or QR code could not be made and was left out.
    #[error("left out: {0}")]
    LeftOut(String),
}

/// The ticket as printer bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedSlip {
    pub bytes: Vec<u8>,
    /// Lines that did not print as given (normally empty).
    pub omitted: Vec<OmittedLine>,
}

/// Lays out one ticket.
pub fn encode_ticket(slip: &TicketSlip) -> EncodedSlip {
    let mut t = Ticket { p: EscPos::new(), align: Align::Center, omitted: Vec::new(), rasterizer: None };
    t.p.init().code_page(TICKET_CODE_PAGE).align(Align::Center);
    let normal = TextStyle::sized(RASTER_TEXT_DOTS);
    let visitor = slip.visitor_labels.as_ref();

    match &slip.logo {
        Some(logo) => {
            t.set_align(Align::Center);
            t.p.raster(logo);
            t.p.feed_dots(RASTER_GAP_DOTS);
        }
        None => {
            t.p.bold(true);
            t.lines(SlipPart::SiteName, &slip.site_name, 1, normal.bold());
            t.p.bold(false);
        }
    }
    t.p.line(&"─".repeat(COLUMNS));
    if let Some(mark) = &slip.reprint {
        // A second slip for the same number must not pass for a new ticket.
        t.p.bold(true);
        t.lines(SlipPart::Reprint, &format!("*** {mark} ***"), 1, normal.bold());
        t.p.bold(false);
    }
    t.p.line("");

    t.lines(SlipPart::YourNumberLabel, &slip.labels.your_number, 1, normal);
    if let Some(v) = visitor {
        t.translation(SlipPart::YourNumberVisitor, &v.your_number, &slip.labels.your_number);
    }
    let m = number_magnification(&slip.code);
    t.p.size(m, m).bold(true);
    let number_dots = (RASTER_TEXT_DOTS * u16::from(m)).min(MAX_TEXT_DOTS);
    t.lines(SlipPart::Number, &slip.code, m, TextStyle::sized(number_dots).bold());
    t.p.size(1, 1).bold(false);
    t.p.line("");

    t.p.size(1, 2).bold(true);
    t.lines(SlipPart::ServiceLocal, &slip.service_local, 1, TextStyle::sized(RASTER_HEADING_DOTS).bold());
    t.p.size(1, 1).bold(false);
    if let Some(visitor) = &slip.service_visitor {
        t.translation(SlipPart::ServiceVisitor, visitor, &slip.service_local);
    }
    t.p.line("");

    if let Some(appointment) = &slip.appointment {
        t.p.bold(true);
        t.lines(SlipPart::Appointment, &appointment.local, 1, normal.bold());
        t.p.bold(false);
        if let Some(visitor) = &appointment.visitor {
            t.translation(SlipPart::AppointmentVisitor, visitor, &appointment.local);
        }
        t.p.line("");
    }

    // An appointment's ticket promises its time, not a walk-in's wait: checked in early, the
    // visitor is called from that time on, whatever the walk-ins' wait says.
    if slip.appointment.is_none() {
        let ahead = people_ahead_text(&slip.labels, slip.people_ahead);
        t.lines(SlipPart::PeopleAhead, &ahead, 1, normal);
        if let Some(v) = visitor {
            t.translation(SlipPart::PeopleAheadVisitor, &people_ahead_text(v, slip.people_ahead), &ahead);
        }
        let wait = wait_text(&slip.labels, slip.wait_minutes);
        t.lines(SlipPart::Wait, &wait, 1, normal);
        if let Some(v) = visitor {
            t.translation(SlipPart::WaitVisitor, &wait_text(v, slip.wait_minutes), &wait);
        }
        t.p.line("");
    }

    // For the desk: in the site's language, like the words above the number.
    if let Some(code) = &slip.screening_code {
        t.p.bold(true);
        t.lines(SlipPart::ScreeningCode, &slip.labels.result_code.replace("{}", code), 1, normal.bold());
        t.p.bold(false);
        t.p.line("");
    }

    if let Some(url) = slip.qr_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        t.qr_code(url, slip.native_qr);
    }
    t.lines(SlipPart::IssuedAt, &issued_at_text(slip.issued_at), 1, normal);

    if let Some(footer) = &slip.footer {
        t.p.line("");
        t.lines(SlipPart::Footer, footer, 1, normal);
    }

    if slip.has_cutter {
        t.p.feed(CUT_FEED_LINES).cut();
    } else {
        t.p.feed(TEAR_OFF_FEED_LINES);
    }
    EncodedSlip { bytes: t.p.into_bytes(), omitted: t.omitted }
}

/// A technician's test page: a sample number in the printer's huge font, one line per
/// language in its own script (as text where the code page carries it, as raster where not),
/// a QR code and the time — everything a real ticket may need, on one page.
pub fn encode_test_page(
    title: &str,
    lines: &[String],
    qr_url: &str,
    native_qr: bool,
    at: jiff::civil::DateTime,
    has_cutter: bool,
) -> EncodedSlip {
    let mut t = Ticket { p: EscPos::new(), align: Align::Center, omitted: Vec::new(), rasterizer: None };
    t.p.init().code_page(TICKET_CODE_PAGE).align(Align::Center);
    let normal = TextStyle::sized(RASTER_TEXT_DOTS);
    t.p.bold(true);
    t.lines(SlipPart::SiteName, title, 1, normal.bold());
    t.p.bold(false);
    t.p.line(&"─".repeat(COLUMNS));
    let m = number_magnification("E-017");
    t.p.size(m, m).bold(true);
    t.lines(SlipPart::Number, "E-017", m, normal);
    t.p.size(1, 1).bold(false);
    t.p.line("");
    for line in lines {
        t.lines(SlipPart::Footer, line, 1, normal);
    }
    t.p.line("");
    t.qr_code(qr_url, native_qr);
    t.lines(SlipPart::IssuedAt, &issued_at_text(at), 1, normal);
    if has_cutter {
        t.p.feed(CUT_FEED_LINES).cut();
    } else {
        t.p.feed(TEAR_OFF_FEED_LINES);
    }
    EncodedSlip { bytes: t.p.into_bytes(), omitted: t.omitted }
}

/// The largest magnification (at most [`MAX_NUMBER_MAGNIFICATION`]) at
/// which `code` fits on one line of font A: "E-017" gets 6× (5 × 72 = 360 dots).
pub fn number_magnification(code: &str) -> u8 {
    let chars = fold_typography(code.trim()).chars().count().max(1);
    let per_char = chars * usize::from(FONT_A_WIDTH);
    let fits = usize::from(DOTS_PER_LINE) / per_char;
    u8::try_from(fits.clamp(1, usize::from(MAX_NUMBER_MAGNIFICATION))).unwrap_or(1)
}

/// "Voor u: {}" with the count filled in.
pub fn people_ahead_text(labels: &SlipLabels, people_ahead: u32) -> String {
    labels.people_ahead.replace("{}", &people_ahead.to_string())
}

/// "Wachttijd: 10–20 min", or the unknown-wait label.
pub fn wait_text(labels: &SlipLabels, wait_minutes: Option<(u32, u32)>) -> String {
    match wait_minutes {
        None => labels.wait_unknown.clone(),
        Some((a, b)) => {
            labels.wait.replace("{low}", &a.min(b).to_string()).replace("{high}", &a.max(b).to_string())
        }
    }
}

/// "29-11-2026 14:05".
pub fn issued_at_text(issued_at: jiff::civil::DateTime) -> String {
    issued_at.strftime("%d-%m-%Y %H:%M").to_string()
}

struct Ticket {
    p: EscPos,
    /// The `ESC a` in force.
    align: Align,
    omitted: Vec<OmittedLine>,
    /// Loaded at the first line that needs it: a Dutch ticket never does.
    rasterizer: Option<Result<Rasterizer, RasterError>>,
}

impl Ticket {
    /// Prints `text` centred: as text word-wrapped to the columns left at
    /// `width_mul` (in the size and weight the caller set) when the code page
    /// carries all of it, else drawn in `raster` style.
    fn lines(&mut self, part: SlipPart, text: &str, width_mul: u8, raster: TextStyle) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        if !TICKET_CODE_PAGE.can_carry(text) {
            self.raster_lines(part, text, raster);
            return;
        }
        self.set_align(Align::Center);
        let columns = (COLUMNS / usize::from(width_mul.max(1))).max(1);
        for line in wrap(&fold_typography(text), columns) {
            self.p.line(&line);
        }
    }

    /// A line in the visitor's language under the one it translates, in
    /// normal size; left out when it says the same.
    fn translation(&mut self, part: SlipPart, text: &str, original: &str) {
        if text.trim() != original.trim() {
            self.lines(part, text, 1, TextStyle::sized(RASTER_TEXT_DOTS));
        }
    }

    fn raster_lines(&mut self, part: SlipPart, text: &str, style: TextStyle) {
        let drawn: Result<RasterText, RasterError> = match self.rasterizer.get_or_insert_with(Rasterizer::new)
        {
            Ok(rasterizer) => rasterizer.rasterize(text, style),
            Err(e) => Err(e.clone()),
        };
        match drawn {
            Ok(drawn) => {
                for line in &drawn.lines {
                    self.set_align(line.align());
                    self.p.raster(&line.bitmap);
                }
                self.set_align(Align::Center);
                if !drawn.lines.is_empty() {
                    self.p.feed_dots(RASTER_GAP_DOTS);
                }
                if !drawn.missing.is_empty() {
                    self.omit(part, text, LineProblem::MissingCharacters(drawn.missing));
                }
            }
            Err(e) => self.omit(part, text, LineProblem::LeftOut(e.to_string())),
        }
    }

    /// The QR code, centred, followed by its quiet zone. The printer's own
    /// command is used only for a code that also fits as raster: drawn at
    /// the same module size, a wider one would run off the paper.
    fn qr_code(&mut self, url: &str, native: bool) {
        self.set_align(Align::Center);
        let printed = qr_bitmap(url, QrOptions { module_dots: QR_MODULE_DOTS, quiet_zone_modules: 0 })
            .map_err(|e| e.to_string())
            .and_then(|bitmap| {
                if native {
                    self.p
                        .native_qr(url.as_bytes(), QR_MODULE_DOTS, QrLevel::Medium)
                        .map_err(|e| e.to_string())?;
                } else {
                    self.p.raster(&bitmap);
                }
                Ok(())
            });
        match printed {
            Ok(()) => {
                self.p.feed_dots(QR_QUIET_DOTS);
            }
            Err(reason) => self.omit(SlipPart::QrCode, url, LineProblem::LeftOut(reason)),
        }
    }

    fn set_align(&mut self, align: Align) {
        if self.align != align {
            self.p.align(align);
            self.align = align;
        }
    }

    fn omit(&mut self, part: SlipPart, text: &str, problem: LineProblem) {
        self.omitted.push(OmittedLine { part, text: text.to_owned(), problem });
    }
}

/// Word-wraps to at most `columns` characters a line; words longer than a
/// line are split. '\n' starts a new line.
fn wrap(text: &str, columns: usize) -> Vec<String> {
    let columns = columns.max(1);
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        let mut current = String::new();
        let mut len = 0;
        for word in paragraph.split_whitespace() {
            let mut word: Vec<char> = word.chars().collect();
            let needed = if len == 0 { word.len() } else { len + 1 + word.len() };
            if needed <= columns {
                if len > 0 {
                    current.push(' ');
                    len += 1;
                }
                current.extend(word.iter());
                len += word.len();
                continue;
            }
            if len > 0 {
                out.push(std::mem::take(&mut current));
            }
            while word.len() > columns {
                let rest = word.split_off(columns);
                out.push(word.into_iter().collect());
                word = rest;
            }
            len = word.len();
            current = word.into_iter().collect();
        }
        if len > 0 || out.is_empty() {
            out.push(current);
        }
    }
    out.retain(|l| !l.is_empty());
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A Dutch ticket with an English visitor line, shared by the printer module's tests.
    pub(crate) fn sample() -> TicketSlip {
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
            footer: Some("Open ma–vr 9:00–17:00".into()),
            has_cutter: false,
            visitor_labels: None,
            qr_url: None,
            native_qr: false,
            appointment: None,
            screening_code: None,
            reprint: None,
        }
    }

    const URL: &str = "https://loket.example.org/t/E-017";

    fn arabic_labels() -> SlipLabels {
        SlipLabels {
            your_number: "رقمك".into(),
            people_ahead: "عدد الأشخاص قبلك: {}".into(),
            wait: "وقت الانتظار: {low}–{high} دقيقة".into(),
            wait_unknown: "وقت الانتظار: غير معروف".into(),
            result_code: "رمز الاختبار: {}".into(),
        }
    }

    fn tigrinya_labels() -> SlipLabels {
        SlipLabels {
            your_number: "ቁጽርኹም".into(),
            people_ahead: "ቅድሜኹም ዘለዉ ሰባት: {}".into(),
            wait: "ግዜ ምጽባይ: {low}–{high} ደቒቕ".into(),
            wait_unknown: "ግዜ ምጽባይ: ኣይፍለጥን".into(),
            result_code: "ኮድ ፈተና: {}".into(),
        }
    }

    /// The Dutch sample with a QR code.
    pub(crate) fn dutch_with_qr() -> TicketSlip {
        TicketSlip { service_visitor: None, qr_url: Some(URL.into()), ..sample() }
    }

    /// An Arabic-speaking visitor's ticket with a QR code.
    pub(crate) fn arabic_with_qr() -> TicketSlip {
        TicketSlip {
            service_visitor: Some("مساعدة في البريد الإلكتروني".into()),
            visitor_labels: Some(arabic_labels()),
            qr_url: Some(URL.into()),
            ..sample()
        }
    }

    /// A Tigrinya-speaking visitor's ticket with a QR code.
    pub(crate) fn tigrinya_with_qr() -> TicketSlip {
        TicketSlip {
            service_visitor: Some("ሓገዝ ብኢመይል".into()),
            visitor_labels: Some(tigrinya_labels()),
            qr_url: Some(URL.into()),
            ..sample()
        }
    }

    /// What the printer does with the bytes, as far as these tests need:
    /// every `GS v 0` band with the `ESC a` in force and the byte offset where
    /// it starts, and every `GS ( k` function. Written apart from the encoder:
    /// it walks the command set the printer knows.
    #[derive(Debug, Default)]
    struct Decoded {
        /// (offset, align, bytes per row, rows)
        rasters: Vec<(usize, Align, usize, usize)>,
        /// (cn, fn) of each `GS ( k`.
        native_qr: Vec<(u8, u8)>,
    }

    fn decode(bytes: &[u8]) -> Decoded {
        let mut out = Decoded::default();
        let mut align = Align::Left;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i..] {
                [0x1B, b'@', ..] => (align, i) = (Align::Left, i + 2),
                [0x1B, b'a', n, ..] => (align, i) = (Align::from_number(n).expect("ESC a 0-2"), i + 3),
                [0x1B, b't' | b'E' | b'd', _, ..] | [0x1D, b'!', _, ..] => i += 3,
                [0x1D, b'V', 66, _, ..] => i += 4,
                [0x1D, b'v', b'0', 0, xl, xh, yl, yh, ..] => {
                    let (x, y) = (
                        usize::from(u16::from_le_bytes([xl, xh])),
                        usize::from(u16::from_le_bytes([yl, yh])),
                    );
                    out.rasters.push((i, align, x, y));
                    i += 8 + x * y;
                }
                [0x1D, b'(', b'k', pl, ph, cn, f, ..] => {
                    out.native_qr.push((cn, f));
                    i += 5 + usize::from(u16::from_le_bytes([pl, ph]));
                }
                [0x0A, ..] | [0x20..=0x7E | 0x80..=0xFF, ..] => i += 1,
                _ => panic!("unexpected byte {:#04x} at {i}", bytes[i]),
            }
        }
        assert_eq!(i, bytes.len(), "the last command is complete");
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_logo_replaces_the_site_name_at_the_top() {
        let mut slip = sample();
        let mut logo = Bitmap::new(64, 16).expect("valid");
        logo.set(3, 3, true);
        slip.logo = Some(logo.clone());
        let bytes = encode_ticket(&slip).bytes;
        let name = slip.site_name.as_bytes();
        assert!(!contains(&bytes, name), "no site name text");
        let raster = bytes.windows(3).position(|w| w == [0x1D, b'v', b'0']).expect("a raster");
        let number = bytes.windows(5).position(|w| w == slip.code.as_bytes()).expect("the number");
        assert!(raster < number, "the logo is on top");
        assert!(contains(&bytes, logo.packed()));
    }

    #[test]
    fn starts_with_init_and_code_page_858() {
        let out = encode_ticket(&sample());
        assert_eq!(out.bytes[..5], [0x1B, 0x40, 0x1B, 0x74, 19]);
        assert!(out.omitted.is_empty());
    }

    #[test]
    fn number_is_printed_huge_and_bold_then_size_goes_back_to_normal() {
        let out = encode_ticket(&sample());
        // 6× wide and high (GS ! 0x55), bold on, the number, LF, back to 1×.
        assert!(contains(&out.bytes, b"\x1D\x21\x55\x1B\x45\x01E-017\n\x1D\x21\x00\x1B\x45\x00"));
    }

    #[test]
    fn number_size_fits_the_paper() {
        assert_eq!(number_magnification("E-017"), 6); // 360 of 384 dots
        assert_eq!(number_magnification("A12"), 6);
        assert_eq!(number_magnification("AB-1234"), 4); // 7 × 48 = 336
        assert_eq!(number_magnification("ABCDEFGH-1234567"), 2);
        assert_eq!(number_magnification(""), 6);
        for code in ["E-017", "AB-1234", "X"] {
            let m = usize::from(number_magnification(code));
            assert!(code.len() * 12 * m <= 384, "{code}");
        }
    }

    #[test]
    fn counts_and_wait_are_filled_in() {
        let nl = SlipLabels::dutch();
        assert_eq!(people_ahead_text(&nl, 3), "Voor u: 3");
        assert_eq!(wait_text(&nl, Some((10, 20))), "Wachttijd: 10–20 min");
        assert_eq!(wait_text(&nl, Some((20, 10))), "Wachttijd: 10–20 min");
        assert_eq!(wait_text(&nl, None), "Wachttijd: onbekend");
        let en = SlipLabels::english();
        assert_eq!(people_ahead_text(&en, 0), "People ahead of you: 0");
        assert_eq!(wait_text(&en, Some((5, 15))), "Waiting time: 5–15 min");

        let out = encode_ticket(&sample());
        assert!(contains(&out.bytes, b"Voor u: 3\n"));
        // The en dash has no place in CP858: it is printed as '-'.
        assert!(contains(&out.bytes, b"Wachttijd: 10-20 min\n"));
        let unknown = encode_ticket(&TicketSlip { wait_minutes: None, ..sample() });
        assert!(contains(&unknown.bytes, b"Wachttijd: onbekend\n"));
    }

    #[test]
    fn a_reprint_is_marked_on_top_and_a_first_print_is_not() {
        let first = encode_ticket(&sample());
        let again = encode_ticket(&TicketSlip { reprint: Some("HERDRUK".into()), ..sample() });
        let find = |bytes: &[u8], what: &[u8]| bytes.windows(what.len()).position(|w| w == what);
        assert_eq!(find(&first.bytes, b"HERDRUK"), None);
        let mark = find(&again.bytes, b"HERDRUK").expect("the mark is printed");
        let number = find(&again.bytes, sample().code.as_bytes()).expect("the number is printed");
        assert!(mark < number, "the mark comes before the number");
        assert!(again.omitted.is_empty(), "{:?}", again.omitted);
    }

    #[test]
    fn a_screening_code_is_printed_only_when_the_ticket_has_one() {
        let with = encode_ticket(&TicketSlip { screening_code: Some("K7M-4PX".into()), ..sample() });
        assert!(contains(&with.bytes, b"Code van de test: K7M-4PX\n"));
        assert!(!contains(&encode_ticket(&sample()).bytes, b"Code van de test"));
    }

    #[test]
    fn date_and_time_are_day_month_year() {
        let out = encode_ticket(&sample());
        assert!(contains(&out.bytes, b"29-11-2026 14:05\n"));
    }

    #[test]
    fn arabic_service_name_is_printed_as_a_right_aligned_raster() {
        let slip = TicketSlip {
            service_visitor: Some("مساعدة في البريد الإلكتروني".into()), ..sample()
        };
        let out = encode_ticket(&slip);
        assert!(out.omitted.is_empty(), "{:?}", out.omitted);
        assert!(!contains(&out.bytes, b"??"), "no question marks printed");
        assert!(contains(&out.bytes, b"Hulp bij e-mail\n"));
        let rasters = decode(&out.bytes).rasters;
        // The line's image bands, then the white gap after it (one byte wide).
        let (gap, image) = rasters.split_last().expect("the Arabic line is an image");
        assert!(!image.is_empty());
        // ESC a 2 right before the image, every band right-aligned, cropped
        // narrower than the paper, and centred again after it.
        let first = image[0].0;
        assert_eq!(out.bytes[first - 3..first], [0x1B, 0x61, 2]);
        for &(_, align, row_bytes, _) in image {
            assert_eq!(align, Align::Right);
            assert!(row_bytes > 1 && row_bytes < 48, "{row_bytes} bytes a row: not cropped");
        }
        let (last, _, x, y) = image[image.len() - 1];
        assert_eq!(out.bytes[last + 8 + x * y..last + 11 + x * y], [0x1B, 0x61, 1]);
        assert_eq!((gap.1, gap.2, gap.3), (Align::Center, 1, usize::from(RASTER_GAP_DOTS)));
    }

    #[test]
    fn every_script_prints_and_nothing_is_omitted() {
        for (service, visitor) in [
            ("مساعدة في البريد الإلكتروني", arabic_labels()),
            ("ሓገዝ ብኢመይል", tigrinya_labels()),
            ("Допомога з електронною поштою", SlipLabels::english()),
            ("کمک در ایمیل", SlipLabels::english()),
            ("د برېښنالیک مرسته", SlipLabels::english()),
        ] {
            let slip = TicketSlip {
                service_visitor: Some(service.into()),
                visitor_labels: Some(visitor),
                ..sample()
            };
            let out = encode_ticket(&slip);
            assert!(out.omitted.is_empty(), "{service}: {:?}", out.omitted);
            assert!(!decode(&out.bytes).rasters.is_empty(), "{service}");
        }
    }

    #[test]
    fn latin_lines_stay_text_and_need_no_raster() {
        let slip = TicketSlip { visitor_labels: Some(SlipLabels::english()), ..sample() };
        let out = encode_ticket(&slip);
        assert!(decode(&out.bytes).rasters.is_empty());
        assert!(contains(&out.bytes, b"Voor u: 3\nPeople ahead of you: 3\n"));
        assert!(contains(&out.bytes, b"Wachttijd: 10-20 min\nWaiting time: 10-20 min\n"));
        assert!(contains(&out.bytes, b"Uw nummer\nYour number\n"));
        // Polish: Latin, but not in CP858, so drawn.
        let polish =
            encode_ticket(&TicketSlip { service_visitor: Some("Pomoc z pocztą".into()), ..sample() });
        assert_eq!(decode(&polish.bytes).rasters[0].1, Align::Center);
    }

    #[test]
    fn visitor_labels_follow_the_dutch_ones_in_the_visitors_script() {
        let out = encode_ticket(&arabic_with_qr());
        assert!(out.omitted.is_empty(), "{:?}", out.omitted);
        let voor_u = out.bytes.windows(10).position(|w| w == b"Voor u: 3\n").expect("Dutch line");
        let wacht = out.bytes.windows(5).position(|w| w == b"Wacht").expect("Dutch wait");
        let rasters = decode(&out.bytes).rasters;
        // The Arabic "people before you" is drawn between the two Dutch lines, right-aligned.
        assert!(rasters.iter().any(|&(at, align, ..)| at > voor_u && at < wacht && align == Align::Right));
        // A visitor line that says the same as the Dutch one is not repeated.
        let same = encode_ticket(&TicketSlip { visitor_labels: Some(SlipLabels::dutch()), ..sample() });
        assert_eq!(same.bytes, encode_ticket(&sample()).bytes);
    }

    #[test]
    fn ticket_number_stays_in_the_printers_font_even_on_an_arabic_ticket() {
        let out = encode_ticket(&arabic_with_qr());
        assert!(contains(&out.bytes, b"\x1D\x21\x55\x1B\x45\x01E-017\n\x1D\x21\x00\x1B\x45\x00"));
    }

    #[test]
    fn a_number_the_code_page_cannot_carry_is_drawn_big() {
        let out = encode_ticket(&TicketSlip { code: "Б-017".into(), ..sample() });
        assert!(out.omitted.is_empty());
        let rasters = decode(&out.bytes).rasters;
        let rows: usize = rasters.iter().map(|r| r.3).sum();
        assert!(rows > 100, "only {rows} rows: not drawn at 6×");
    }

    #[test]
    fn characters_no_font_has_are_reported_and_the_rest_printed() {
        let out = encode_ticket(&TicketSlip { service_visitor: Some("帮助 e-mail".into()), ..sample() });
        assert_eq!(
            out.omitted,
            vec![OmittedLine {
                part: SlipPart::ServiceVisitor,
                text: "帮助 e-mail".into(),
                problem: LineProblem::MissingCharacters(vec!['帮', '助']),
            }]
        );
        assert!(!decode(&out.bytes).rasters.is_empty(), "the line is still printed");
        assert!(out.omitted[0].problem.to_string().contains("no bundled font"));
    }

    #[test]
    fn raster_qr_code_is_centred_and_followed_by_its_quiet_zone() {
        let out = encode_ticket(&dutch_with_qr());
        assert!(out.omitted.is_empty());
        let decoded = decode(&out.bytes);
        assert!(decoded.native_qr.is_empty());
        // 33 characters: version 3, 29 modules × 4 dots = 116 dots = 15 bytes a row.
        let qr: Vec<_> = decoded.rasters.iter().filter(|r| r.2 == 15).collect();
        assert_eq!(qr.iter().map(|r| r.3).sum::<usize>(), 116);
        assert!(qr.iter().all(|r| r.1 == Align::Center));
        // Then 16 white rows one byte wide, then the date.
        let white = decoded.rasters.iter().find(|r| r.2 == 1).expect("quiet zone");
        assert_eq!(white.3, usize::from(QR_QUIET_DOTS));
        assert!(out.bytes[white.0 + 8..].starts_with(&[0; 16]));
        assert!(out.bytes[white.0 + 8 + 16..].starts_with(b"29-11-2026 14:05\n"));
    }

    #[test]
    fn native_qr_sends_gs_paren_k_and_no_image() {
        let out = encode_ticket(&TicketSlip { native_qr: true, ..dutch_with_qr() });
        let decoded = decode(&out.bytes);
        assert_eq!(decoded.native_qr, [(49, 65), (49, 67), (49, 69), (49, 80), (49, 81)]);
        assert!(decoded.rasters.iter().all(|r| r.2 == 1), "only the white quiet zone is raster");
        let store = out.bytes.windows(8).position(|w| w == b"\x1D(k\x24\x001P0").expect("store 33 + 3 bytes");
        assert_eq!(&out.bytes[store + 8..store + 8 + URL.len()], URL.as_bytes());
        assert!(out.bytes.len() < 300, "{} bytes", out.bytes.len());
    }

    #[test]
    fn a_link_too_long_for_a_qr_code_is_reported_and_the_ticket_still_prints() {
        // Version 23 at level M: 109 modules, 436 dots at 4 dots a module.
        let long = format!("https://example.org/{}", "x".repeat(800));
        for native in [false, true] {
            let slip = TicketSlip { qr_url: Some(long.clone()), native_qr: native, ..dutch_with_qr() };
            let out = encode_ticket(&slip);
            assert_eq!(out.omitted.len(), 1, "native {native}");
            assert_eq!(out.omitted[0].part, SlipPart::QrCode);
            assert!(matches!(out.omitted[0].problem, LineProblem::LeftOut(_)));
            assert!(contains(&out.bytes, b"29-11-2026 14:05\n"));
        }
        // An empty link means no code.
        let empty = encode_ticket(&TicketSlip { qr_url: Some("  ".into()), ..sample() });
        assert_eq!(empty.bytes, encode_ticket(&sample()).bytes);
    }

    #[test]
    fn tickets_with_qr_fit_the_time_on_a_19200_baud_line() {
        // 19200 Bd 8N1 = 1,920 bytes a second.
        let seconds = |bytes: usize| bytes as f64 / 1920.0;
        for (name, slip, limit) in [
            ("Dutch", dutch_with_qr(), 5_000),
            ("Arabic", arabic_with_qr(), 11_000),
            ("Tigrinya", tigrinya_with_qr(), 11_000),
        ] {
            let out = encode_ticket(&slip);
            assert!(out.omitted.is_empty(), "{name}: {:?}", out.omitted);
            let n = out.bytes.len();
            eprintln!("{name} ticket with QR: {n} bytes, {:.2} s at 19200 Bd", seconds(n));
            assert!(n < limit, "{name}: {n} bytes");
        }
        // Without any raster the ticket stays tiny.
        assert!(encode_ticket(&sample()).bytes.len() < 300);
    }

    #[test]
    fn dutch_and_french_accents_print() {
        let slip = TicketSlip { service_visitor: Some("Aide à l'e-mail".into()), ..sample() };
        let out = encode_ticket(&slip);
        assert!(out.omitted.is_empty());
        assert!(contains(&out.bytes, b"Aide \x85 l'e-mail\n"));
    }

    #[test]
    fn cut_only_with_a_cutter() {
        let cut = [0x1D, 0x56, 66, 0];
        let tear = encode_ticket(&sample());
        assert!(!contains(&tear.bytes, &cut));
        assert!(tear.bytes.ends_with(&[0x1B, 0x64, TEAR_OFF_FEED_LINES]));
        let with_cutter = encode_ticket(&TicketSlip { has_cutter: true, ..sample() });
        assert!(with_cutter.bytes.ends_with(&cut));
    }

    #[test]
    fn optional_lines_are_left_out_cleanly() {
        let slip = TicketSlip { service_visitor: None, footer: None, ..sample() };
        let out = encode_ticket(&slip);
        assert!(!contains(&out.bytes, b"Help with"));
        assert!(!contains(&out.bytes, b"Open ma"));
        assert!(out.omitted.is_empty());
    }

    #[test]
    fn long_lines_are_word_wrapped_to_the_paper() {
        assert_eq!(
            wrap("Gemeentelijke Openbare Bibliotheek Centrum", 32),
            ["Gemeentelijke Openbare", "Bibliotheek Centrum"]
        );
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("a\nb  c", 32), ["a", "b c"]);
        assert!(wrap("   ", 32).is_empty());
    }
}
