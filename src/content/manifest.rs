//! The TOML files of a pack as written on disk: `tutorial.toml` / `item.toml` (structure only)
//! and `strings/<lang>.toml` (words), parsed strictly, with byte spans kept so that every
//! problem can name its line. This module only parses text; it must not read files or judge
//! whether images exist (that is the loader's job in `load`).

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{Rect, StepKind};

/// `tutorial.toml` or `item.toml`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawManifest {
    pub id: Spanned<String>,
    pub version: Spanned<i64>,
    pub digcomp: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub digcomp_version: Option<Spanned<String>>,
    #[serde(default)]
    pub eds_foundation: Vec<String>,
    pub estimated_minutes: Spanned<u32>,
    pub ui_language: Spanned<String>,
    /// A square pictogram for the catalogue (optional; a plain book is shown without it).
    #[serde(default)]
    pub icon: Option<Spanned<String>>,
    pub steps: Vec<RawStep>,
}

/// One `[[steps]]` table, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    pub id: Spanned<String>,
    pub kind: Spanned<StepKind>,
    pub screen: Spanned<String>,
    #[serde(default)]
    pub highlight: Option<Spanned<Rect>>,
    #[serde(default)]
    pub target: Option<Spanned<Rect>>,
    #[serde(default)]
    pub field: Option<Spanned<Rect>>,
    #[serde(default)]
    pub avoid: Vec<Spanned<Rect>>,
    #[serde(default)]
    pub hint_after_s: Option<u32>,
    #[serde(default)]
    pub max_wrong_taps: Option<u32>,
    #[serde(default)]
    pub accept: Vec<String>,
    #[serde(default)]
    pub keyboard: Option<Spanned<String>>,
    #[serde(default)]
    pub boxes: Option<Spanned<u32>>,
}

/// A syntax or schema error from toml: the line it is on (if toml knows) and a short message.
pub(super) struct SyntaxError {
    pub line: Option<usize>,
    pub message: String,
}

pub(super) fn parse_manifest(text: &str) -> Result<RawManifest, SyntaxError> {
    toml::from_str(text).map_err(|e| syntax_error(text, &e))
}

/// `strings/<lang>.toml`, as written: the top-level keys with their spans.
pub(super) fn parse_strings(text: &str) -> Result<BTreeMap<Spanned<String>, toml::Value>, SyntaxError> {
    toml::from_str(text).map_err(|e| syntax_error(text, &e))
}

fn syntax_error(text: &str, e: &toml::de::Error) -> SyntaxError {
    SyntaxError { line: e.span().map(|span| line_of(text, span.start)), message: plain_message(e.message()) }
}

/// toml's serde wording ("unknown field `titel`, expected …") in the words staff use.
fn plain_message(message: &str) -> String {
    let message = message.trim().replace('\n', " ");
    for (serde_word, our_word) in [("unknown field", "unknown key"), ("missing field", "missing key")] {
        if let Some(rest) = message.strip_prefix(serde_word) {
            let rest = rest.trim_start();
            if let Some(rest) = rest.strip_prefix('`')
                && let Some(end) = rest.find('`')
            {
                let (name, tail) = (&rest[..end], &rest[end + 1..]);
                let tail = tail.trim_start_matches(',').trim();
                let tail = tail.replace('`', "\"");
                return if tail.is_empty() {
                    format!("{our_word} {name:?}")
                } else {
                    format!("{our_word} {name:?} ({tail})")
                };
            }
        }
    }
    message.replace('`', "\"")
}

/// The 1-based line that byte `offset` of `text` is on.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset].iter().filter(|b| **b == b'\n').count() + 1
}

/// The line of a spanned value.
pub(super) fn line_at(text: &str, span: Range<usize>) -> usize {
    line_of(text, span.start)
}

/// The line of `key = …` in the table that starts at byte `from`, if it is there (the search
/// stops at the next table header).
pub(super) fn key_line_after(text: &str, from: usize, key: &str) -> Option<usize> {
    let from = from.min(text.len());
    let start = text[..from].rfind('\n').map_or(0, |n| n + 1);
    let mut offset = start;
    for (i, line) in text[start..].split_inclusive('\n').enumerate() {
        let trimmed = line.trim_start();
        if i > 0 && trimmed.starts_with('[') {
            return None;
        }
        let unquoted = trimmed.trim_start_matches('"');
        if let Some(rest) = unquoted.strip_prefix(key) {
            let rest = rest.trim_start_matches('"').trim_start();
            if rest.starts_with('=') {
                return Some(line_of(text, offset));
            }
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_from_one() {
        let text = "a = 1\nb = 2\n\n[c]\nd = 3\n";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 6), 2);
        assert_eq!(line_of(text, 1000), 6);
        let c = text.find("[c]").unwrap();
        assert_eq!(key_line_after(text, c, "d"), Some(5));
        assert_eq!(key_line_after(text, c, "a"), None);
    }

    #[test]
    fn serde_words_become_staff_words() {
        assert_eq!(
            plain_message("unknown field `titel`, expected `id` or `version`"),
            "unknown key \"titel\" (expected \"id\" or \"version\")"
        );
        assert_eq!(plain_message("missing field `steps`"), "missing key \"steps\"");
    }

    #[test]
    fn unknown_step_key_names_its_line() {
        let text = "id = \"t\"\nversion = 1\ndigcomp = []\nestimated_minutes = 1\nui_language = \"nl\"\n\n[[steps]]\nid = \"s01\"\nkind = \"show\"\nscreen = \"img/a.svg\"\nsay = \"x\"\n";
        let Err(e) = parse_manifest(text) else { panic!("parsed") };
        assert_eq!(e.line, Some(11), "{}", e.message);
        assert!(e.message.starts_with("unknown key \"say\""), "{}", e.message);
    }
}
