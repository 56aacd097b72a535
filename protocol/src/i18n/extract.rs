//! The extractor: finds the translatable texts in the sources and writes the gettext template
//! `lang/loket.pot` from them.
//!
//! It reads `@tr("…" [| "…" % n])` in Slint files and `tr(lang, "…")`, `i18n::tr(…)` and
//! `tr_n(lang, "…", "…", n)` calls with string literals in Rust files (a Rust file's
//! `#[cfg(test)]` part at its end is left out), with the `// TRANSLATORS:` comment on the lines
//! just above a call as the translator comment. Messages of the staff pages (the console, the
//! board, loket-central) carry the extracted comment [`STAFF_NOTE`], so that `loket check` asks
//! them only of the staff's language. It works on texts the caller read: it must not walk
//! folders or write files (the catalogue test does).

use std::collections::BTreeMap;

use super::Audience;

/// The extracted comment (`#.`) that marks a message of the staff pages.
pub const STAFF_NOTE: &str = "staff page";

/// One translatable text found in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub msgid: String,
    pub plural: Option<String>,
    /// 1-based line of the call.
    pub line: usize,
    /// The `TRANSLATORS:` comment above the call, without the word.
    pub comment: Option<String>,
}

/// The kind of source file, for its syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Rust,
    Slint,
}

/// A source file as the extractor reads it.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The path written in `#:` references, relative to the workspace (`ui/ticket.slint`).
    pub path: &'a str,
    pub text: &'a str,
    pub syntax: Syntax,
    /// Who reads the texts of this file.
    pub audience: Audience,
}

/// Every translatable text in `text`, in order.
pub fn find(text: &str, syntax: Syntax) -> Vec<Found> {
    let text = match syntax {
        // The unit tests at the end of a Rust file are no source of messages.
        Syntax::Rust => text.find("\n#[cfg(test)]\nmod ").map_or(text, |end| &text[..end]),
        Syntax::Slint => text,
    };
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |end| end + 2);
        } else if let Some((_, end)) = string_literal(rest, syntax) {
            i += end;
        } else if syntax == Syntax::Rust && rest.starts_with('\'') {
            i += char_literal_length(rest);
        } else if syntax == Syntax::Slint && rest.starts_with("@tr(") {
            if let Some(message) = slint_call(&rest[4..]) {
                found.push(at_line(text, i, message));
            }
            i += 4;
        } else if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
            let word = &rest[..end];
            let after = rest[end..].trim_start();
            let is_definition = text[..i].trim_end().ends_with("fn");
            if syntax == Syntax::Rust
                && (word == "tr" || word == "tr_n")
                && !is_definition
                && let Some(args) = after.strip_prefix('(')
                && let Some(message) = rust_call(args, word == "tr_n")
            {
                found.push(at_line(text, i, message));
            }
            i += end;
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

fn at_line(text: &str, at: usize, (msgid, plural): (String, Option<String>)) -> Found {
    let line = text[..at].matches('\n').count() + 1;
    Found { msgid, plural, line, comment: translators_comment(text, line) }
}

/// The `// TRANSLATORS:` comment in the comment lines just above `line`.
fn translators_comment(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().take(line - 1).collect();
    let mut block = Vec::new();
    for l in lines.iter().rev() {
        let Some(comment) = l.trim().strip_prefix("//") else {
            break;
        };
        let comment = comment.trim_start_matches('/').trim();
        block.push(comment);
        if let Some(note) = comment.strip_prefix("TRANSLATORS:") {
            block.pop();
            block.push(note.trim());
            block.reverse();
            return Some(block.join(" ").trim().to_owned());
        }
    }
    None
}

/// `@tr(` arguments: `"text"`, `"context" => "text"`, then `| "plural" % n`.
fn slint_call(args: &str) -> Option<(String, Option<String>)> {
    let (mut msgid, end) = string_literal(args.trim_start(), Syntax::Slint)?;
    let mut rest = args.trim_start()[end..].trim_start();
    if let Some(after) = rest.strip_prefix("=>") {
        // A context: Loket's screens use none, and Slint's lookup here would miss it anyway.
        let (text, end) = string_literal(after.trim_start(), Syntax::Slint)?;
        msgid = text;
        rest = after.trim_start()[end..].trim_start();
    }
    let plural = rest
        .strip_prefix('|')
        .and_then(|after| string_literal(after.trim_start(), Syntax::Slint))
        .map(|(text, _)| text);
    Some((msgid, plural))
}

/// `tr(` / `tr_n(` arguments: an expression for the language, then the literal(s).
fn rust_call(args: &str, plural: bool) -> Option<(String, Option<String>)> {
    let rest = skip_argument(args)?;
    let (msgid, end) = string_literal(rest.trim_start(), Syntax::Rust)?;
    let rest = rest.trim_start()[end..].trim_start();
    if !plural {
        return rest.starts_with(')').then_some((msgid, None));
    }
    let rest = rest.strip_prefix(',')?.trim_start();
    let (plural, _) = string_literal(rest, Syntax::Rust)?;
    Some((msgid, Some(plural)))
}

/// The text after the first argument and its comma.
fn skip_argument(args: &str) -> Option<&str> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < args.len() {
        let rest = &args[i..];
        if let Some((_, end)) = string_literal(rest, Syntax::Rust) {
            i += end;
            continue;
        }
        let c = rest.chars().next()?;
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return None,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => return Some(&rest[1..]),
            _ => {}
        }
        i += c.len_utf8();
    }
    None
}

/// The length of a Rust char literal at the start of `text`, or 1 for a lifetime's quote.
fn char_literal_length(text: &str) -> usize {
    let mut chars = text.char_indices().skip(1);
    match chars.next() {
        Some((_, '\\')) => text.get(3..).and_then(|t| t.find('\'')).map_or(1, |end| end + 4),
        Some(_) => match chars.next() {
            Some((at, '\'')) => at + 1,
            _ => 1,
        },
        None => 1,
    }
}

/// The string literal at the start of `text`, unescaped, and its length in bytes.
fn string_literal(text: &str, syntax: Syntax) -> Option<(String, usize)> {
    if syntax == Syntax::Rust
        && let Some(raw) = text.strip_prefix('r')
    {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let body = raw[hashes..].strip_prefix('"')?;
        let closing = format!("\"{}", "#".repeat(hashes));
        let end = body.find(&closing)?;
        return Some((body[..end].to_owned(), 1 + hashes + 1 + end + closing.len()));
    }
    let body = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((out, at + 2)),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                '\n' => {
                    // A Rust line continuation: the next line's leading blanks go too.
                    let skip = body[at + 2..].len() - body[at + 2..].trim_start().len();
                    for _ in body[at + 2..at + 2 + skip].chars() {
                        chars.next();
                    }
                }
                'u' => {
                    let hex_start = at + 3;
                    let hex_end = hex_start + body[hex_start..].find('}')?;
                    out.push(char::from_u32(u32::from_str_radix(&body[hex_start..hex_end], 16).ok()?)?);
                    for _ in body[at + 2..=hex_end].chars() {
                        chars.next();
                    }
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// The template text for the messages of `sources`, in the order of the sources and of the
/// messages in them; a message found twice is one entry with every reference.
pub fn template(sources: &[Source]) -> String {
    struct Entry {
        plural: Option<String>,
        references: Vec<String>,
        comments: Vec<String>,
        staff_only: bool,
        order: usize,
    }
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for source in sources {
        for found in find(source.text, source.syntax) {
            let order = entries.len();
            let entry = entries.entry(found.msgid).or_insert_with(|| Entry {
                plural: found.plural.clone(),
                references: Vec::new(),
                comments: Vec::new(),
                staff_only: true,
                order,
            });
            entry.references.push(format!("{}:{}", source.path, found.line));
            if let Some(comment) = found.comment
                && !entry.comments.contains(&comment)
            {
                entry.comments.push(comment);
            }
            if entry.plural.is_none() {
                entry.plural = found.plural;
            }
            entry.staff_only &= source.audience == Audience::Staff;
        }
    }
    let mut ordered: Vec<(String, Entry)> = entries.into_iter().collect();
    ordered.sort_by_key(|(_, e)| e.order);
    let mut out = String::from(HEADER);
    for (msgid, entry) in ordered {
        out.push('\n');
        for comment in &entry.comments {
            out.push_str(&format!("#. {comment}\n"));
        }
        if entry.staff_only {
            out.push_str(&format!("#. {STAFF_NOTE}\n"));
        }
        for reference in &entry.references {
            out.push_str(&format!("#: {reference}\n"));
        }
        out.push_str(&format!("msgid {}\n", quote(&msgid)));
        match &entry.plural {
            Some(plural) => {
                out.push_str(&format!("msgid_plural {}\nmsgstr[0] \"\"\nmsgstr[1] \"\"\n", quote(plural)))
            }
            None => out.push_str("msgstr \"\"\n"),
        }
    }
    out
}

const HEADER: &str = r#"# Loket: every text a visitor or the staff sees, hears or reads on paper, in English.
# Written from the sources by `LOKET_WRITE_POT=1 cargo test --test translations`; do not edit by
# hand. Translators: see lang/README.md.
#
#, fuzzy
msgid ""
msgstr ""
"Project-Id-Version: loket\n"
"Report-Msgid-Bugs-To: \n"
"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\n"
"Last-Translator: FULL NAME <EMAIL@ADDRESS>\n"
"Language-Team: LANGUAGE <LL@li.org>\n"
"Language: \n"
"MIME-Version: 1.0\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Content-Transfer-Encoding: 8bit\n"
"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\n"
"#;

/// A string as a `.po` file writes it.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(found: &[Found]) -> Vec<(&str, Option<&str>, usize)> {
        found.iter().map(|f| (f.msgid.as_str(), f.plural.as_deref(), f.line)).collect()
    }

    #[test]
    fn slint_texts_with_plurals_and_translator_comments() {
        let slint = r#"Text {
    // The visitor's number, large.
    // TRANSLATORS: "number" as in a queue ticket,
    // not a phone number.
    text: @tr("Your number is {}", code);
}
// @tr("commented out")
Text { text: @tr("One person before you" | "{n} people before you" % count); }
Text { text: "not \"@tr(\" this"; }
Text { text: @tr("Say \"hi\"\n"); }
"#;
        let found = find(slint, Syntax::Slint);
        assert_eq!(
            ids(&found),
            [
                ("Your number is {}", None, 5),
                ("One person before you", Some("{n} people before you"), 8),
                ("Say \"hi\"\n", None, 10),
            ]
        );
        assert_eq!(found[0].comment.as_deref(), Some("\"number\" as in a queue ticket, not a phone number."));
        assert_eq!(found[1].comment, None);
    }

    #[test]
    fn rust_calls_with_literals_only() {
        let rust = r##"
pub fn tr(language: &str, msgid: &'static str) -> &'static str { todo!() }
fn f(lang: &str, n: u64) {
    // TRANSLATORS: printed at the top of the ticket.
    let a = tr(lang, "Your number");
    let b = i18n::tr(&ticket.language, r#"Desk "{desk}""#);
    let c = tr_n(lang, "One person", "{n} people", n);
    let d = tr(lang, msgid); // not a literal: not extracted
    let e = attr(lang, "no");
    let f = tr(lookup(x, y), "Two \
              lines");
    let g: &'a str = tr(lang, "after a lifetime");
    let h = 'x';
    // tr(lang, "in a comment")
    let i = "tr(lang, \"in a string\")";
}

#[cfg(test)]
mod tests {
    fn t() { tr("nl", "Only in a test"); }
}
"##;
        let found = find(rust, Syntax::Rust);
        assert_eq!(
            ids(&found),
            [
                ("Your number", None, 5),
                ("Desk \"{desk}\"", None, 6),
                ("One person", Some("{n} people"), 7),
                ("Two lines", None, 10),
                ("after a lifetime", None, 12),
            ]
        );
        assert_eq!(found[0].comment.as_deref(), Some("printed at the top of the ticket."));
        assert_eq!(found[1].comment, None);
    }

    #[test]
    fn the_template_merges_references_and_marks_staff_messages() {
        let sources = [
            Source {
                path: "ui/a.slint",
                text: "// TRANSLATORS: a button\nText { text: @tr(\"Back\"); }\n",
                syntax: Syntax::Slint,
                audience: Audience::Visitor,
            },
            Source {
                path: "src/web/pages.rs",
                text: "fn p(l: &str) { tr(l, \"Back\"); tr(l, \"Called\"); }\n",
                syntax: Syntax::Rust,
                audience: Audience::Staff,
            },
        ];
        let pot = template(&sources);
        assert!(pot.starts_with("# Loket"), "{pot}");
        assert!(
            pot.contains(
                "\n#. a button\n#: ui/a.slint:2\n#: src/web/pages.rs:1\nmsgid \"Back\"\nmsgstr \"\"\n"
            ),
            "a message of both audiences is a visitor message: {pot}"
        );
        assert!(pot.contains("\n#. staff page\n#: src/web/pages.rs:1\nmsgid \"Called\"\n"), "{pot}");
        assert!(pot.find("\"Back\"").unwrap() < pot.find("\"Called\"").unwrap(), "source order");
        let parsed = super::super::parse_template(&pot).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[1].audience, Audience::Staff);
    }

    #[test]
    fn quoting_escapes_what_po_files_escape() {
        assert_eq!(quote("a \"b\"\\\n"), r#""a \"b\"\\\n""#);
    }
}
