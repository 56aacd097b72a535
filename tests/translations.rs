//! Every text on screen is translated: each `@tr("…")` in `ui/*.slint` has a non-empty
//! translation in every bundled language (`lang/<code>/LC_MESSAGES/loket.po`), and every
//! placeholder survives the translation.

use std::collections::BTreeMap;
use std::path::Path;

/// The string literal starting at `s` (which begins with `"`), unescaped, and the rest.
fn literal(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.strip_prefix('"')?.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '"' => return Some((out, &s[i + 2..])),
            c => out.push(c),
        }
    }
    None
}

/// The source texts of every `@tr(...)` in the UI: (singular, optional plural).
fn source_texts() -> Vec<(String, Option<String>)> {
    let mut texts = Vec::new();
    for entry in std::fs::read_dir("ui").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "slint") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices("@tr(") {
            let rest = text[at + 4..].trim_start();
            let (singular, rest) =
                literal(rest).unwrap_or_else(|| panic!("{}: unreadable @tr", path.display()));
            let rest = rest.trim_start();
            let plural = rest.strip_prefix('|').and_then(|r| literal(r.trim_start())).map(|(p, _)| p);
            texts.push((singular, plural));
        }
    }
    texts.sort();
    texts.dedup();
    texts
}

/// msgid → msgstr (or msgstr[n] list) of a .po file.
fn po(path: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut entries = BTreeMap::new();
    let (mut id, mut strs): (Option<String>, Vec<String>) = (None, Vec::new());
    let mut flush = |id: &mut Option<String>, strs: &mut Vec<String>| {
        if let Some(id) = id.take() {
            entries.insert(id, std::mem::take(strs));
        }
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("msgid ") {
            flush(&mut id, &mut strs);
            id = Some(literal(rest).unwrap().0);
        } else if line.starts_with("msgstr") {
            let (_, value) = line.split_once(' ').unwrap();
            strs.push(literal(value).unwrap().0);
        }
    }
    flush(&mut id, &mut strs);
    entries
}

fn placeholders(s: &str) -> Vec<&str> {
    let mut found: Vec<&str> =
        s.match_indices('{').filter_map(|(i, _)| s[i..].find('}').map(|j| &s[i..i + j + 1])).collect();
    found.sort();
    found
}

#[test]
fn every_screen_text_is_translated_in_every_bundled_language() {
    let texts = source_texts();
    assert!(texts.len() >= 15, "found the UI texts: {texts:?}");
    let mut problems = Vec::new();
    for entry in std::fs::read_dir("lang").unwrap() {
        let lang = entry.unwrap().file_name().to_string_lossy().into_owned();
        let entries = po(&Path::new("lang").join(&lang).join("LC_MESSAGES/loket.po"));
        for (singular, plural) in &texts {
            match entries.get(singular) {
                None => problems.push(format!("{lang}: no translation for {singular:?}")),
                Some(strs) if strs.is_empty() || strs.iter().any(|s| s.is_empty()) => {
                    problems.push(format!("{lang}: empty translation for {singular:?}"))
                }
                Some(strs) => {
                    let wanted = placeholders(plural.as_deref().unwrap_or(singular));
                    // Plural forms may spell out "one"; the others must keep {n}.
                    let last = strs.last().unwrap();
                    if placeholders(last) != wanted {
                        problems.push(format!("{lang}: {last:?} lost the placeholders of {singular:?}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
