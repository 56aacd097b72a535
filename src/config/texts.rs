//! Every text in the configuration file, whatever its key: one line of plain text (no control
//! characters such as NUL, tabs or line breaks, no invisible direction overrides) and no longer
//! than its key allows. These texts reach the screens, the printed tickets and the log, where a
//! NUL cuts a line short, a line break forges a log entry and a megabyte-long site name fills
//! the ticket and the memory. The check walks the parsed TOML before the tables judge their
//! values, so it covers every key, also ones added later; the message names the key and shows
//! the value shortened.
//!
//! It must not judge what a text means (a URL, a time zone, an id): that is each table's job.

use super::{ConfigError, invalid, quoted};

/// The longest text a key may hold unless [`LIMITS`] says otherwise, in characters.
pub const DEFAULT_MAX_CHARS: usize = 200;

/// Keys with a limit of their own, in characters: a key matches when it equals the pattern,
/// with `[*]` standing for any index and a trailing `.*` for any last part.
const LIMITS: &[(&str, usize)] = &[
    // On the screens' title bars and on top of every ticket (58 mm, 32 characters a line).
    ("site.name", 80),
    // The desk sign, called out on the board and on the ticket.
    ("desk[*].name", 40),
    // A service's button on the touch screen and a line on the ticket.
    ("service[*].names.*", 80),
    // A button on the desk's page.
    ("queue.outcomes[*]", 60),
    // Shown on the staff page and written to the log at every sign-in.
    ("web.api_token[*].name", 60),
    // Paths: long folder names are possible, megabytes are not.
    ("kiosk.data_dir", 1024),
    ("learning.content_dir", 1024),
    ("ticket.logo", 1024),
    ("report.token_file", 1024),
    ("report.ca_bundle", 1024),
    ("printer.device", 1024),
    ("printer.directory", 1024),
    ("speech.voice_packs", 1024),
];

/// The limit for `key`, e.g. `service[3].names.nl`.
fn max_chars(key: &str) -> usize {
    LIMITS.iter().find(|(pattern, _)| key_matches(pattern, key)).map_or(DEFAULT_MAX_CHARS, |(_, max)| *max)
}

/// Whether `key` matches `pattern` (see [`LIMITS`]).
fn key_matches(pattern: &str, key: &str) -> bool {
    let (pattern, any_last) = match pattern.strip_suffix(".*") {
        Some(stem) => (stem, true),
        None => (pattern, false),
    };
    let mut rest = key;
    for (i, piece) in pattern.split("[*]").enumerate() {
        if i > 0 {
            // An index: `[digits]`.
            let Some(after) = rest.strip_prefix('[') else { return false };
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let Some(after) = after[digits..].strip_prefix(']') else { return false };
            if digits == 0 {
                return false;
            }
            rest = after;
        }
        let Some(after) = rest.strip_prefix(piece) else { return false };
        rest = after;
    }
    if any_last {
        rest.strip_prefix('.').is_some_and(|last| !last.is_empty() && !last.contains(['.', '[']))
    } else {
        rest.is_empty()
    }
}

/// A character that must not be in a one-line text: the C0 and C1 controls (NUL, tab, line
/// feed, escape, DEL…), the line and paragraph separators, and the bidirectional embeddings
/// and overrides that make a text read differently from what it holds. Marks a script needs
/// (the zero-width joiners, the left-to-right and right-to-left marks) are allowed.
fn is_forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}')
}

/// Checks one text at `key`.
fn check_text(key: &str, text: &str) -> Result<(), ConfigError> {
    if let Some((at, c)) = text.chars().enumerate().find(|(_, c)| is_forbidden(*c)) {
        return Err(invalid(
            key,
            quoted(text),
            format!(
                "contains the control character U+{:04X} at character {}; write plain text on one line",
                u32::from(c),
                at + 1
            ),
        ));
    }
    let max = max_chars(key);
    let length = text.chars().count();
    if length > max {
        return Err(invalid(
            key,
            quoted(text),
            format!("is {length} characters long; it must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// Checks every text in `table`, in file order as far as TOML keeps it, and reports the first
/// bad one.
pub(super) fn check_texts(table: &toml::Table) -> Result<(), ConfigError> {
    for (name, value) in table {
        check_key_name("(top level)", name)?;
        check_value(name, value)?;
    }
    Ok(())
}

/// Table keys are texts too (a service's `names` are keyed by language code); a bad one is
/// reported at the table that holds it.
fn check_key_name(table: &str, name: &str) -> Result<(), ConfigError> {
    if name.chars().any(is_forbidden) || name.chars().count() > DEFAULT_MAX_CHARS {
        return Err(invalid(
            table,
            quoted(name),
            "has a key with control characters or too long; a key is a short name on one line",
        ));
    }
    Ok(())
}

fn check_value(key: &str, value: &toml::Value) -> Result<(), ConfigError> {
    match value {
        toml::Value::String(text) => check_text(key, text),
        toml::Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, item)| check_value(&format!("{key}[{i}]"), item))
        }
        toml::Value::Table(table) => table.iter().try_for_each(|(name, item)| {
            check_key_name(key, name)?;
            check_value(&format!("{key}.{name}"), item)
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_support::*;
    use crate::config::{Config, SAMPLE_TOML};

    #[test]
    fn patterns_match_indexes_and_last_parts() {
        assert!(key_matches("desk[*].name", "desk[12].name"));
        assert!(!key_matches("desk[*].name", "desk[].name"));
        assert!(!key_matches("desk[*].name", "desk[1].names"));
        assert!(key_matches("service[*].names.*", "service[0].names.nl"));
        assert!(!key_matches("service[*].names.*", "service[0].names"));
        assert!(!key_matches("service[*].names.*", "service[0].names.nl.x"));
        assert_eq!(max_chars("site.name"), 80);
        assert_eq!(max_chars("ticket.footer"), DEFAULT_MAX_CHARS);
    }

    #[test]
    fn the_sample_is_plain_text_within_the_limits() {
        let table: toml::Table = SAMPLE_TOML.parse().unwrap();
        check_texts(&table).unwrap();
    }

    #[test]
    fn a_site_name_with_nul_is_refused_naming_the_key_and_the_character() {
        let message = error(&good_with("name = \"Testpunt\"", "name = \"Test\\u0000punt\""));
        assert_names(&message, &["site.name = \"Test\\0punt\"", "U+0000", "character 5", "one line"]);
    }

    #[test]
    fn a_megabyte_long_site_name_is_refused_with_the_value_shortened() {
        let long = "A".repeat(1 << 20);
        let message = error(&good_with("name = \"Testpunt\"", &format!("name = \"{long}\"")));
        assert_names(&message, &["site.name = \"AAAA", "1048576 characters", "at most 80"]);
        assert!(message.len() < 400, "the message shows the value shortened: {} bytes", message.len());
    }

    #[test]
    fn a_site_name_of_80_characters_is_kept_and_of_81_refused() {
        let name = "É".repeat(80);
        let config: Config = good_with("name = \"Testpunt\"", &format!("name = \"{name}\"")).parse().unwrap();
        assert_eq!(config.site.name, name);
        let message = error(&good_with("name = \"Testpunt\"", &format!("name = \"{name}É\"")));
        assert_names(&message, &["site.name", "81 characters", "at most 80"]);
    }

    #[test]
    fn line_breaks_tabs_escapes_and_direction_overrides_are_refused_in_every_text() {
        for (from, to, key) in [
            ("name = \"Balie 1\"", "name = \"Balie\\n1\"", "desk[0].name"),
            ("en = \"E-mail\"", "en = \"E-\\tmail\"", "service[0].names.en"),
            ("en = \"Borrow a tablet\"", "en = \"Borrow \\u001b[2J\"", "service[1].names.en"),
            ("name = \"Testpunt\"", "name = \"Test\\u202Epunt\"", "site.name"),
            ("name = \"Testpunt\"", "name = \"Test\\u2028punt\"", "site.name"),
            ("\"Europe/Brussels\"", "\"Europe/Brussels\\r\"", "site.timezone"),
            ("data_dir = \"data\"", "data_dir = \"da\\u0085ta\"", "kiosk.data_dir"),
            ("\"09:00-12:00\"", "\"09:00-12:00\\u0000\"", "hours.wednesday[0]"),
        ] {
            let message = error(&good_with(from, to));
            assert_names(&message, &[&format!("{key} = "), "control character"]);
        }
    }

    #[test]
    fn marks_that_scripts_need_are_kept() {
        // Persian needs the zero-width non-joiner; mixed Arabic and Latin text the direction marks.
        let name = "Test\u{200C}punt \u{200F}ب\u{200E}";
        let config: Config = good_with("name = \"Testpunt\"", &format!("name = \"{name}\"")).parse().unwrap();
        assert_eq!(config.site.name, name);
    }

    #[test]
    fn every_key_has_a_limit_also_ones_without_their_own() {
        let with = |ticket: &str| format!("{GOOD}\n[ticket]\n{ticket}\n");
        let message = error(&with(&format!("footer = \"{}\"", "x".repeat(DEFAULT_MAX_CHARS + 1))));
        assert_names(&message, &["ticket.footer", "at most 200"]);
        let message = error(&good_with("name = \"Balie 1\"", &format!("name = \"{}\"", "B".repeat(41))));
        assert_names(&message, &["desk[0].name", "at most 40"]);
        let message = error(&good_with("en = \"E-mail\"", &format!("en = \"{}\"", "m".repeat(81))));
        assert_names(&message, &["service[0].names.en", "at most 80"]);
    }

    #[test]
    fn a_key_with_a_control_character_is_refused() {
        let message = error(&good_with("en = \"E-mail\"", "\"e\\u0000n\" = \"E-mail\""));
        assert_names(&message, &["service[0].names = \"e\\0n\"", "control characters"]);
        assert!(!message.contains('\0'), "the message itself is plain text: {message:?}");
    }
}
