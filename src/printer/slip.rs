//! The queue ticket ("bonnetje") as it comes out of the printer: which lines,
//! in which order, how big, centred. Pure layout: a [`TicketSlip`] goes in,
//! ESC/POS bytes and the list of lines that could not be printed come out.
//! It must not do I/O and must not know how bytes reach the printer
//! (`file.rs`, later the serial port) or how they are drawn (`preview.rs`).
//!
//! This version prints only text the printer's own code page (CP858) can
//! carry. A line with anything else in it (Arabic, Tigrinya, Cyrillic, …) is
//! left out whole and listed in [`EncodedSlip::omitted`], so the caller can
//! tell staff and a later version can print it as a raster image instead.

use super::escpos::{Align, COLUMNS, CodePage, DOTS_PER_LINE, EscPos, FONT_A_WIDTH, fold_typography};

/// The code page every ticket is printed in.
pub const TICKET_CODE_PAGE: CodePage = CodePage::Cp858;
/// Lines fed after the last text so the ticket clears the tear bar.
pub const TEAR_OFF_FEED_LINES: u8 = 4;
/// Lines fed before a cut (the cut command itself feeds to the blade).
pub const CUT_FEED_LINES: u8 = 2;
/// Largest magnification used for the ticket number (6× = 72×144 dots a character).
pub const MAX_NUMBER_MAGNIFICATION: u8 = 6;

/// Everything printed on one queue ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketSlip {
    /// Name of the help point, printed on top, e.g. "Bibliotheek Centrum".
    pub site_name: String,
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
}

impl SlipLabels {
    pub fn dutch() -> SlipLabels {
        SlipLabels {
            your_number: "Uw nummer".into(),
            people_ahead: "Voor u: {}".into(),
            wait: "Wachttijd: {low}–{high} min".into(),
            wait_unknown: "Wachttijd: onbekend".into(),
        }
    }

    pub fn english() -> SlipLabels {
        SlipLabels {
            your_number: "Your number".into(),
            people_ahead: "People ahead of you: {}".into(),
            wait: "Waiting time: {low}–{high} min".into(),
            wait_unknown: "Waiting time: unknown".into(),
        }
    }
}

/// Which part of the ticket a line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlipPart {
    SiteName,
    YourNumberLabel,
    Number,
    ServiceLocal,
    ServiceVisitor,
    PeopleAhead,
    Wait,
    IssuedAt,
    Footer,
}

/// A line left off the ticket because the code page cannot carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OmittedLine {
    pub part: SlipPart,
    pub text: String,
}

/// The ticket as printer bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedSlip {
    pub bytes: Vec<u8>,
    /// Lines not printed (empty when the whole ticket printed).
    pub omitted: Vec<OmittedLine>,
}

/// Lays out one ticket.
pub fn encode_ticket(slip: &TicketSlip) -> EncodedSlip {
    let mut t = Ticket { p: EscPos::new(), omitted: Vec::new() };
    t.p.init().code_page(TICKET_CODE_PAGE).align(Align::Center);

    t.p.bold(true);
    t.lines(SlipPart::SiteName, &slip.site_name, 1);
    t.p.bold(false);
    t.p.line(&"─".repeat(COLUMNS));
    t.p.line("");

    t.lines(SlipPart::YourNumberLabel, &slip.labels.your_number, 1);
    let m = number_magnification(&slip.code);
    t.p.size(m, m).bold(true);
    t.lines(SlipPart::Number, &slip.code, m);
    t.p.size(1, 1).bold(false);
    t.p.line("");

    t.p.size(1, 2).bold(true);
    t.lines(SlipPart::ServiceLocal, &slip.service_local, 1);
    t.p.size(1, 1).bold(false);
    if let Some(visitor) = &slip.service_visitor
        && visitor.trim() != slip.service_local.trim()
    {
        t.lines(SlipPart::ServiceVisitor, visitor, 1);
    }
    t.p.line("");

    let ahead = people_ahead_text(&slip.labels, slip.people_ahead);
    t.lines(SlipPart::PeopleAhead, &ahead, 1);
    t.lines(SlipPart::Wait, &wait_text(&slip.labels, slip.wait_minutes), 1);
    t.p.line("");
    t.lines(SlipPart::IssuedAt, &issued_at_text(slip.issued_at), 1);

    if let Some(footer) = &slip.footer {
        t.p.line("");
        t.lines(SlipPart::Footer, footer, 1);
    }

    if slip.has_cutter {
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
    omitted: Vec<OmittedLine>,
}

impl Ticket {
    /// Prints `text` word-wrapped to the columns left at `width_mul`, or
    /// records it as omitted when the code page cannot carry all of it.
    fn lines(&mut self, part: SlipPart, text: &str, width_mul: u8) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        if !TICKET_CODE_PAGE.can_carry(text) {
            self.omitted.push(OmittedLine { part, text: text.to_owned() });
            return;
        }
        let columns = (COLUMNS / usize::from(width_mul.max(1))).max(1);
        for line in wrap(&fold_typography(text), columns) {
            self.p.line(&line);
        }
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
mod tests {
    use super::*;

    fn sample() -> TicketSlip {
        TicketSlip {
            site_name: "Bibliotheek Centrum".into(),
            code: "E-017".into(),
            service_local: "Hulp bij e-mail".into(),
            service_visitor: Some("Help with e-mail".into()),
            people_ahead: 3,
            wait_minutes: Some((10, 20)),
            issued_at: jiff::civil::date(2026, 11, 29).at(14, 5, 0, 0),
            labels: SlipLabels::dutch(),
            footer: Some("Open ma–vr 9:00–17:00".into()),
            has_cutter: false,
        }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
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
    fn date_and_time_are_day_month_year() {
        let out = encode_ticket(&sample());
        assert!(contains(&out.bytes, b"29-11-2026 14:05\n"));
    }

    #[test]
    fn arabic_service_name_is_reported_as_omitted_and_not_printed() {
        let slip = TicketSlip {
            service_visitor: Some("مساعدة في البريد الإلكتروني".into()), ..sample()
        };
        let out = encode_ticket(&slip);
        assert_eq!(
            out.omitted,
            vec![OmittedLine {
                part: SlipPart::ServiceVisitor, text: "مساعدة في البريد الإلكتروني".into()
            }]
        );
        assert!(!contains(&out.bytes, b"??"), "no question marks printed");
        assert!(contains(&out.bytes, b"Hulp bij e-mail\n"));
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
