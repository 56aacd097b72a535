//! The USB barcode scanner at the kiosk: a keyboard that types a booking code's QR payload,
//! `LKT` and six digits, then Enter, much faster than a person types. This module owns telling
//! that apart from everything else a keyboard plugged into the public kiosk can type: it is fed
//! every key (its text and when it came) and yields the six digits only for the whole payload
//! typed at scanner speed. Anything else is forgotten.
//!
//! Pure: time is an argument, so the rule is tested without a window or a clock. It must not
//! check the code in (that is [`super::check_in`]) nor act on any other key.

use std::time::{Duration, Instant};

/// The payload's fixed start. L, K and T sit on the same keys on QWERTY, AZERTY and QWERTZ.
pub const PREFIX: &str = "LKT";

/// How many digits follow the prefix.
pub const DIGITS: usize = 6;

/// The longest pause between two keys of one scan. A scanner types a key every few
/// milliseconds; a person needs well over 100 ms from key to key.
pub const SCANNER_GAP: Duration = Duration::from_millis(50);

/// Collects keys typed at scanner speed until a whole booking-code payload has arrived.
#[derive(Debug, Clone)]
pub struct Scanner {
    gap: Duration,
    /// The keys of the scan in progress (upper-cased), and when the last one came.
    typed: String,
    last: Option<Instant>,
}

impl Default for Scanner {
    fn default() -> Scanner {
        Scanner::new(SCANNER_GAP)
    }
}

impl Scanner {
    /// A filter that takes keys at most `gap` apart as one scan.
    pub fn new(gap: Duration) -> Scanner {
        Scanner { gap, typed: String::new(), last: None }
    }

    /// One key, as the window reports its text ("L", "4", "\n" for Enter), and when it came.
    /// Returns the six digits when this key (Enter) ends a whole payload typed at scanner
    /// speed; otherwise `None`, and the key does nothing else.
    pub fn key(&mut self, text: &str, at: Instant) -> Option<String> {
        if is_modifier(text) {
            // A scanner presses Shift for the capitals, as a person does: part of the letter.
            return None;
        }
        let slow = self.last.is_some_and(|last| at.saturating_duration_since(last) > self.gap);
        self.last = Some(at);
        if slow {
            self.typed.clear();
        }
        if text == "\n" || text == "\r" {
            let code = self.payload();
            self.typed.clear();
            self.last = None;
            return code;
        }
        let mut chars = text.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            // Not one character (a function key, an arrow): no scanner types it.
            self.typed.clear();
            return None;
        };
        self.typed.push(c.to_ascii_uppercase());
        if !self.could_become_payload() {
            // Start again; this key may itself begin a payload ("LLKT…").
            self.typed.clear();
            if c.eq_ignore_ascii_case(&'L') {
                self.typed.push('L');
            }
        }
        None
    }

    /// Whether the keys so far are the start of `LKT` + six digits.
    fn could_become_payload(&self) -> bool {
        let typed = self.typed.as_str();
        if typed.len() <= PREFIX.len() {
            return PREFIX.starts_with(typed);
        }
        typed.starts_with(PREFIX)
            && typed.len() <= PREFIX.len() + DIGITS
            && typed[PREFIX.len()..].bytes().all(|b| b.is_ascii_digit())
    }

    fn payload(&self) -> Option<String> {
        let digits = self.typed.strip_prefix(PREFIX)?;
        (digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.to_owned())
    }
}

/// Shift, Control, Alt, AltGr, Caps Lock and Meta, as the window reports them (Slint's key
/// codes U+0010 to U+0018).
fn is_modifier(text: &str) -> bool {
    let mut chars = text.chars();
    matches!((chars.next(), chars.next()), (Some('\u{10}'..='\u{18}'), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Types `keys` (one char each, '\n' for Enter) `step` apart; returns what came out.
    fn typed(scanner: &mut Scanner, start: Instant, keys: &str, step: Duration) -> Vec<String> {
        let mut at = start;
        let mut out = Vec::new();
        for c in keys.chars() {
            out.extend(scanner.key(&c.to_string(), at));
            at += step;
        }
        out
    }

    #[test]
    fn a_payload_typed_at_scanner_speed_gives_its_digits() {
        let mut s = Scanner::default();
        assert_eq!(typed(&mut s, Instant::now(), "LKT482913\n", 8 * MS), ["482913"]);
    }

    #[test]
    fn lower_case_from_a_scanner_with_caps_lock_off_counts_too() {
        let mut s = Scanner::default();
        assert_eq!(typed(&mut s, Instant::now(), "lkt482913\n", 5 * MS), ["482913"]);
    }

    #[test]
    fn the_same_keys_typed_by_a_person_give_nothing() {
        let mut s = Scanner::default();
        assert!(typed(&mut s, Instant::now(), "LKT482913\n", 180 * MS).is_empty());
    }

    #[test]
    fn one_slow_key_in_the_middle_spoils_the_scan() {
        let mut s = Scanner::default();
        let start = Instant::now();
        assert!(typed(&mut s, start, "LKT48", 5 * MS).is_empty());
        assert!(typed(&mut s, start + 25 * MS + SCANNER_GAP + MS, "2913\n", 5 * MS).is_empty());
    }

    #[test]
    fn a_slow_start_does_not_spoil_the_scan_that_follows() {
        let mut s = Scanner::default();
        let start = Instant::now();
        assert!(typed(&mut s, start, "hello", 200 * MS).is_empty());
        assert_eq!(typed(&mut s, start + 2000 * MS, "LKT000107\n", 4 * MS), ["000107"]);
    }

    #[test]
    fn wrong_forms_give_nothing() {
        for keys in ["LKT48291\n", "LKT4829130\n", "LKX482913\n", "482913\n", "LKTA82913\n", "\n", "LKT\n"] {
            let mut s = Scanner::default();
            assert!(typed(&mut s, Instant::now(), keys, 3 * MS).is_empty(), "{keys:?}");
        }
    }

    #[test]
    fn noise_before_a_payload_is_dropped_and_the_payload_still_counts() {
        let mut s = Scanner::default();
        assert_eq!(typed(&mut s, Instant::now(), "xyLLKT123456\n", 3 * MS), ["123456"]);
    }

    #[test]
    fn a_function_key_in_the_middle_breaks_the_scan() {
        let mut s = Scanner::default();
        let start = Instant::now();
        assert!(typed(&mut s, start, "LKT12", 3 * MS).is_empty());
        assert_eq!(s.key("\u{F704}", start + 15 * MS), None);
        assert!(typed(&mut s, start + 18 * MS, "3456\n", 3 * MS).is_empty());
    }

    #[test]
    fn two_scans_in_a_row_give_two_codes() {
        let mut s = Scanner::default();
        assert_eq!(typed(&mut s, Instant::now(), "LKT111111\nLKT222222\n", 3 * MS), ["111111", "222222"]);
    }

    #[test]
    fn shift_pressed_for_the_capitals_is_part_of_the_letter() {
        let mut s = Scanner::default();
        let start = Instant::now();
        let shift: String = slint::SharedString::from(slint::platform::Key::Shift).into();
        let mut out = Vec::new();
        for (i, key) in [&shift, "L", &shift, "K", &shift, "T"].into_iter().enumerate() {
            out.extend(s.key(key, start + i as u32 * 2 * MS));
        }
        out.extend(typed(&mut s, start + 12 * MS, "482913\n", 3 * MS));
        assert_eq!(out, ["482913"]);
    }

    #[test]
    fn the_gap_is_configurable() {
        let mut s = Scanner::new(Duration::from_millis(300));
        assert_eq!(typed(&mut s, Instant::now(), "LKT482913\n", 200 * MS), ["482913"]);
    }
}
