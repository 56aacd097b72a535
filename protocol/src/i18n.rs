//! The translation catalogue at run time, for the words made outside Slint: the printed ticket,
//! spoken phrases, the staff console, the TV board and loket-central's pages.
//!
//! The catalogue is the gettext one in `lang/<code>/LC_MESSAGES/loket.po` (the screens read the
//! same files through Slint's bundled translations). Message ids are the English source texts;
//! English needs no file. Entries flagged `fuzzy` are drafts awaiting a native speaker's review:
//! they are used (a draft beats English for a visitor who reads no English) and reported as drafts.
//!
//! Rust code marks a text for translation by calling [`tr`] (or [`tr_n`] for a text with a
//! count) with the English text as a string literal, so the extractor ([`extract`]) that writes
//! `lang/loket.pot` finds it; a `// TRANSLATORS:` comment just above the call reaches the
//! translators. Texts in the staff pages' sources (the console, the board, loket-central) are
//! marked as staff messages there ([`Audience::Staff`]): they are needed in the staff's language
//! only, every other message in every language a help point offers ([`Catalogue::missing`]).
//! This module only parses and looks up; it must not decide which languages a site offers or
//! format anything beyond filling `{name}` placeholders.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

pub mod extract;
pub mod plural;

pub use plural::PluralRule;

/// One translated message of one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The translation (`msgstr`, or `msgstr[0]` for a plural entry).
    pub text: String,
    /// The plural forms (`msgstr[n]`), empty for a message without plural.
    pub plural: Vec<String>,
    /// Flagged `fuzzy`: a draft that a native speaker has not reviewed yet.
    pub draft: bool,
}

/// The messages of one language, as read from its `.po` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translations {
    /// By message id (with `msgctxt` and U+0004 in front when the entry has a context, as gettext).
    messages: HashMap<String, Message>,
    /// The `Plural-Forms` header, if any.
    pub plural_forms: Option<String>,
}

impl Translations {
    /// The translation of `msgid`, if there is a non-empty one.
    pub fn message(&self, msgid: &str) -> Option<&Message> {
        self.messages.get(msgid).filter(|m| !m.text.is_empty())
    }

    /// Every translated message id.
    pub fn msgids(&self) -> impl Iterator<Item = &str> {
        self.messages.iter().filter(|(_, m)| !m.text.is_empty()).map(|(id, _)| id.as_str())
    }

    /// How many translated messages are drafts.
    pub fn drafts(&self) -> usize {
        self.messages.values().filter(|m| m.draft && !m.text.is_empty()).count()
    }

    /// The language's `Plural-Forms` rule; the English one when the file has none or an
    /// unreadable one (the catalogue test keeps every bundled header readable).
    pub fn plural_rule(&self) -> PluralRule {
        self.plural_forms.as_deref().and_then(|h| PluralRule::parse(h).ok()).unwrap_or_default()
    }

    /// Whether `message` is fully translated: a non-empty text and, for a plural message,
    /// every form the language's rule has.
    pub fn is_complete(&self, message: &TemplateMessage) -> bool {
        let Some(found) = self.message(&message.msgid) else {
            return false;
        };
        match message.plural {
            None => true,
            Some(_) => {
                let forms = self.plural_rule().forms;
                found.plural.len() >= forms && found.plural[..forms].iter().all(|f| !f.is_empty())
            }
        }
    }
}

/// A `.po` file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct PoError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong there.
    pub reason: String,
}

/// Reads a gettext `.po` file: `msgctxt`, `msgid`, `msgid_plural`, `msgstr`, `msgstr[n]`,
/// continued strings, the usual escapes and the `fuzzy` flag. Obsolete (`#~`) entries are left out.
pub fn parse_po(text: &str) -> Result<Translations, PoError> {
    let (header, entries) = read_entries(text)?;
    let mut translations = Translations {
        plural_forms: header
            .lines()
            .find_map(|l| l.strip_prefix("Plural-Forms:"))
            .map(|v| v.trim().to_owned()),
        ..Translations::default()
    };
    for entry in entries {
        if translations.messages.contains_key(&entry.key) {
            return Err(PoError { line: entry.line, reason: format!("msgid {:?} appears twice", entry.key) });
        }
        translations.messages.insert(entry.key, entry.message);
    }
    Ok(translations)
}

/// Who reads a message: every visitor in their language, or the staff in theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    /// On screen, on the ticket or spoken: needed in every language a help point offers.
    Visitor,
    /// The console, the board and loket-central's pages: needed in the staff's language
    /// (marked in the template with the extracted comment [`extract::STAFF_NOTE`]).
    Staff,
}

/// One message of the template (`lang/loket.pot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateMessage {
    pub msgid: String,
    pub plural: Option<String>,
    pub audience: Audience,
}

/// Reads the template (`lang/loket.pot`): its messages in file order, staff ones known by their
/// extracted comment.
pub fn parse_template(text: &str) -> Result<Vec<TemplateMessage>, PoError> {
    let (_, entries) = read_entries(text)?;
    let mut messages: Vec<TemplateMessage> = Vec::with_capacity(entries.len());
    for entry in entries {
        if messages.iter().any(|m| m.msgid == entry.key) {
            return Err(PoError { line: entry.line, reason: format!("msgid {:?} appears twice", entry.key) });
        }
        let staff = entry.notes.iter().any(|n| n == extract::STAFF_NOTE);
        messages.push(TemplateMessage {
            msgid: entry.key,
            plural: entry.plural_id,
            audience: if staff { Audience::Staff } else { Audience::Visitor },
        });
    }
    Ok(messages)
}

/// One entry as read, before it goes into a [`Translations`] or a template.
struct ReadEntry {
    /// The message id, with its context and U+0004 in front when it has one.
    key: String,
    plural_id: Option<String>,
    message: Message,
    /// Extracted comments (`#.`).
    notes: Vec<String>,
    /// Where the entry ended, for errors.
    line: usize,
}

/// The header's text and every other entry of a `.po` or `.pot` file, in file order.
fn read_entries(text: &str) -> Result<(String, Vec<ReadEntry>), PoError> {
    #[derive(Default)]
    struct Entry {
        context: Option<String>,
        msgid: Option<String>,
        plural_id: Option<String>,
        msgstr: Option<String>,
        plural: BTreeMap<usize, String>,
        fuzzy: bool,
        notes: Vec<String>,
    }
    enum Field {
        Context,
        Id,
        PluralId,
        Str,
        PluralStr(usize),
    }
    let mut header = String::new();
    let mut read = Vec::new();
    let mut entry = Entry::default();
    let mut field: Option<Field> = None;
    let mut finish = |entry: Entry, line: usize| -> Result<(), PoError> {
        let Some(msgid) = entry.msgid else {
            if entry.msgstr.is_some() || !entry.plural.is_empty() {
                return Err(PoError { line, reason: "msgstr without msgid".into() });
            }
            return Ok(());
        };
        if msgid.is_empty() && entry.context.is_none() {
            header = entry.msgstr.unwrap_or_default();
            return Ok(());
        }
        let key = match entry.context {
            Some(context) => format!("{context}\u{4}{msgid}"),
            None => msgid,
        };
        let plural: Vec<String> = entry.plural.into_values().collect();
        let text = match (&entry.plural_id, entry.msgstr) {
            (None, Some(text)) => text,
            (Some(_), None) => plural.first().cloned().unwrap_or_default(),
            (None, None) => return Err(PoError { line, reason: format!("no msgstr for {key:?}") }),
            (Some(_), Some(_)) => {
                return Err(PoError { line, reason: format!("plain msgstr for plural entry {key:?}") });
            }
        };
        read.push(ReadEntry {
            key,
            plural_id: entry.plural_id,
            message: Message { text, plural, draft: entry.fuzzy },
            notes: entry.notes,
            line,
        });
        Ok(())
    };
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with("#~") {
            continue;
        }
        if let Some(flags) = l.strip_prefix("#,") {
            if entry.msgid.is_some() {
                finish(std::mem::take(&mut entry), line)?;
                field = None;
            }
            entry.fuzzy |= flags.split(',').any(|f| f.trim() == "fuzzy");
            continue;
        }
        if l.starts_with('#') {
            if entry.msgid.is_some() && (entry.msgstr.is_some() || !entry.plural.is_empty()) {
                finish(std::mem::take(&mut entry), line)?;
                field = None;
            }
            if let Some(note) = l.strip_prefix("#.") {
                entry.notes.push(note.trim().to_owned());
            }
            continue;
        }
        if l.starts_with('"') {
            let more = unquote(l, line)?;
            let target = match field {
                Some(Field::Context) => entry.context.as_mut(),
                Some(Field::Id) => entry.msgid.as_mut(),
                Some(Field::PluralId) => entry.plural_id.as_mut(),
                Some(Field::Str) => entry.msgstr.as_mut(),
                Some(Field::PluralStr(n)) => entry.plural.get_mut(&n),
                None => None,
            };
            let Some(target) = target else {
                return Err(PoError { line, reason: "a string that continues nothing".into() });
            };
            target.push_str(&more);
            continue;
        }
        let (keyword, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
        let value = unquote(rest.trim(), line)?;
        match keyword {
            "msgctxt" => {
                if entry.msgid.is_some() {
                    finish(std::mem::take(&mut entry), line)?;
                }
                entry.context = Some(value);
                field = Some(Field::Context);
            }
            "msgid" => {
                if entry.msgid.is_some() {
                    finish(std::mem::take(&mut entry), line)?;
                }
                entry.msgid = Some(value);
                field = Some(Field::Id);
            }
            "msgid_plural" => {
                entry.plural_id = Some(value);
                field = Some(Field::PluralId);
            }
            "msgstr" => {
                if entry.msgid.is_none() {
                    return Err(PoError { line, reason: "msgstr without msgid".into() });
                }
                entry.msgstr = Some(value);
                field = Some(Field::Str);
            }
            k if k.starts_with("msgstr[") && k.ends_with(']') => {
                let n: usize = k["msgstr[".len()..k.len() - 1]
                    .parse()
                    .map_err(|_| PoError { line, reason: format!("bad plural index in {k:?}") })?;
                if entry.plural_id.is_none() {
                    return Err(PoError { line, reason: format!("{k} without msgid_plural") });
                }
                entry.plural.insert(n, value);
                field = Some(Field::PluralStr(n));
            }
            other => return Err(PoError { line, reason: format!("unknown keyword {other:?}") }),
        }
    }
    finish(entry, text.lines().count())?;
    Ok((header, read))
}

fn unquote(text: &str, line: usize) -> Result<String, PoError> {
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|_| text.len() >= 2)
        .ok_or_else(|| PoError { line, reason: format!("expected a quoted string, found {text:?}") })?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                other => {
                    return Err(PoError {
                        line,
                        reason: format!("unknown escape \\{}", other.unwrap_or(' ')),
                    });
                }
            },
            '"' => return Err(PoError { line, reason: "an unescaped quote inside a string".into() }),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Every language's translations.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    languages: BTreeMap<String, Translations>,
}

/// The `.po` files bundled into the program at build time: (language code, file text).
const BUNDLED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/bundled_po.rs"));

/// The template `lang/loket.pot` bundled at build time (empty if there is none).
const BUNDLED_TEMPLATE: &str = include!(concat!(env!("OUT_DIR"), "/bundled_pot.rs"));

/// The source language: the message ids are its texts, so it is always complete.
pub const SOURCE_LANGUAGE: &str = "en";

impl Catalogue {
    /// Reads `(language code, .po text)` pairs; the first unreadable file is the error.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Catalogue, (String, PoError)> {
        let mut languages = BTreeMap::new();
        for (code, text) in files {
            let translations = parse_po(text).map_err(|e| (code.to_owned(), e))?;
            languages.insert(code.to_owned(), translations);
        }
        Ok(Catalogue { languages })
    }

    /// The catalogue bundled into the program. A language whose file cannot be read is logged
    /// and left out (a test keeps every bundled file readable).
    pub fn bundled() -> &'static Catalogue {
        static BUNDLED_CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        BUNDLED_CATALOGUE.get_or_init(|| {
            let mut languages = BTreeMap::new();
            for (code, text) in BUNDLED {
                match parse_po(text) {
                    Ok(t) => {
                        languages.insert((*code).to_owned(), t);
                    }
                    Err(e) => log::error!("translations for {code} left out: lang/{code}: {e}"),
                }
            }
            Catalogue { languages }
        })
    }

    /// The bundled files themselves, for checks.
    pub fn bundled_files() -> &'static [(&'static str, &'static str)] {
        BUNDLED
    }

    /// The messages of the bundled template `lang/loket.pot`, in its order. An unreadable
    /// template is logged and counts as empty (a test keeps it readable and up to date).
    pub fn template() -> &'static [TemplateMessage] {
        static TEMPLATE: OnceLock<Vec<TemplateMessage>> = OnceLock::new();
        TEMPLATE.get_or_init(|| {
            parse_template(BUNDLED_TEMPLATE).unwrap_or_else(|e| {
                log::error!("lang/loket.pot left out: {e}");
                Vec::new()
            })
        })
    }

    /// The languages that have a file.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.languages.keys().map(String::as_str)
    }

    /// One language's translations.
    pub fn translations(&self, language: &str) -> Option<&Translations> {
        self.languages.get(language)
    }

    /// The translation of `msgid` into `language`, if there is one.
    pub fn message(&self, language: &str, msgid: &str) -> Option<&Message> {
        self.languages.get(language)?.message(msgid)
    }

    /// `msgid` in `language`: its translation, or the English source text when there is none
    /// (English itself, or a message not yet translated; `loket check` refuses to offer a
    /// visitor language with untranslated messages).
    pub fn text<'a>(&'a self, language: &str, msgid: &'a str) -> &'a str {
        self.message(language, msgid).map_or(msgid, |m| m.text.as_str())
    }

    /// The form of a plural message for the count `n` in `language`, by the language's
    /// `Plural-Forms` rule; the English `singular` or `plural` when it has no translation.
    pub fn plural_text<'a>(&'a self, language: &str, singular: &'a str, plural: &'a str, n: u64) -> &'a str {
        let english = if n == 1 { singular } else { plural };
        let Some(translations) = self.languages.get(language) else {
            return english;
        };
        let Some(message) = translations.message(singular) else {
            return english;
        };
        match message.plural.get(translations.plural_rule().form(n)) {
            Some(form) if !form.is_empty() => form,
            _ => english,
        }
    }

    /// The messages of `template` for `audience` that `language` lacks (no translation, or a
    /// plural form missing), in template order. Drafts count as translated. The source
    /// language lacks nothing.
    pub fn missing<'t>(
        &self,
        language: &str,
        template: &'t [TemplateMessage],
        audience: Audience,
    ) -> Vec<&'t str> {
        if language == SOURCE_LANGUAGE {
            return Vec::new();
        }
        let empty = Translations::default();
        let translations = self.languages.get(language).unwrap_or(&empty);
        template
            .iter()
            .filter(|m| m.audience == audience && !translations.is_complete(m))
            .map(|m| m.msgid.as_str())
            .collect()
    }

    /// How many messages of `template` `language` has only as drafts (flagged `fuzzy`).
    pub fn drafts(&self, language: &str, template: &[TemplateMessage]) -> usize {
        let Some(translations) = self.languages.get(language) else {
            return 0;
        };
        template.iter().filter(|m| translations.message(&m.msgid).is_some_and(|t| t.draft)).count()
    }
}

/// `msgid` (an English string literal) in `language`, from the bundled catalogue.
pub fn tr(language: &str, msgid: &'static str) -> &'static str {
    Catalogue::bundled().text(language, msgid)
}

/// The form for the count `n` of a plural message (English string literals, `{n}` for the
/// count) in `language`, from the bundled catalogue; fill `{n}` with [`fill`] afterwards:
/// `fill(tr_n(lang, "One person before you", "{n} people before you", n), &[("n", &n.to_string())])`.
pub fn tr_n(language: &str, singular: &'static str, plural: &'static str, n: u64) -> &'static str {
    Catalogue::bundled().plural_text(language, singular, plural, n)
}

/// Fills `{name}` placeholders: `fill("Number {code}", &[("code", "E 17")])` → `"Number E 17"`.
/// A placeholder without a value stays as written, so a mistake shows instead of vanishing.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        match after.find('}') {
            Some(end) => {
                let name = &after[1..end];
                match values.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => out.push_str(value),
                    None => out.push_str(&after[..=end]),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholders of a text, in order (`{}`, `{0}`, `{code}` …), for checking that a
/// translation keeps every one.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start..];
        match after.find('}') {
            Some(end) => {
                found.push(&after[..=end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"# A comment
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

msgid "Back"
msgstr "Terug"

#. Drafted, to be reviewed by a native speaker
#, fuzzy
msgid "Your number is {code}"
msgstr ""
"Jouw nummer "
"is {code}"

msgid "{n} person before you"
msgid_plural "{n} people before you"
msgstr[0] "{n} persoon voor je"
msgstr[1] "{n} mensen voor je"

msgctxt "staff"
msgid "Back"
msgstr "Vorige"

msgid "Untranslated"
msgstr ""

#~ msgid "Old"
#~ msgstr "Oud"

msgid "Say \"hi\"\n"
msgstr "Zeg \"hoi\"\n"
"#;

    #[test]
    fn a_po_file_is_read_with_drafts_plurals_contexts_and_escapes() {
        let t = parse_po(SAMPLE).unwrap();
        assert_eq!(t.plural_forms.as_deref(), Some("nplurals=2; plural=(n != 1);"));
        assert_eq!(t.message("Back").unwrap().text, "Terug");
        assert!(!t.message("Back").unwrap().draft);
        let draft = t.message("Your number is {code}").unwrap();
        assert_eq!((draft.text.as_str(), draft.draft), ("Jouw nummer is {code}", true));
        let plural = t.message("{n} person before you").unwrap();
        assert_eq!(plural.plural, ["{n} persoon voor je", "{n} mensen voor je"]);
        assert_eq!(t.message("staff\u{4}Back").unwrap().text, "Vorige");
        assert_eq!(t.message("Untranslated"), None, "an empty msgstr is no translation");
        assert_eq!(t.message("Old"), None, "obsolete entries are left out");
        assert_eq!(t.message("Say \"hi\"\n").unwrap().text, "Zeg \"hoi\"\n");
        assert_eq!(t.drafts(), 1);
        let mut ids: Vec<_> = t.msgids().collect();
        ids.sort();
        assert_eq!(ids.len(), 5);
    }

    #[test]
    fn broken_files_name_the_line() {
        let cases = [
            ("msgid \"a\"\nmsgstr \"b\nx\"\n", 2),
            ("msgid \"a\"\nmsgstr[0] \"b\"\n", 2),
            ("msgid \"a\"\nmsgstr \"b\"\nmsgid \"a\"\nmsgstr \"c\"\n", 4),
            ("msgstr \"b\"\n", 1),
            ("msgid \"a\"\nmsgtext \"b\"\n", 2),
            ("msgid \"a\"\nmsgstr \"b\\q\"\n", 2),
            ("\"floating\"\n", 1),
        ];
        for (text, line) in cases {
            let e = parse_po(text).expect_err(text);
            assert_eq!(e.line, line, "{text:?}: {e}");
        }
    }

    #[test]
    fn text_falls_back_to_the_english_source() {
        let catalogue = Catalogue::from_files([("nl", SAMPLE)]).unwrap();
        assert_eq!(catalogue.text("nl", "Back"), "Terug");
        assert_eq!(catalogue.text("en", "Back"), "Back");
        assert_eq!(catalogue.text("nl", "Untranslated"), "Untranslated");
        assert_eq!(catalogue.languages().collect::<Vec<_>>(), ["nl"]);
        let e = Catalogue::from_files([("nl", SAMPLE), ("fr", "msgid \"x\"\n")]).unwrap_err();
        assert_eq!(e.0, "fr");
    }

    #[test]
    fn placeholders_are_filled_by_name_and_listed_in_order() {
        assert_eq!(
            fill("Number {code}, to {desk}.", &[("desk", "Desk 1"), ("code", "E 17")]),
            "Number E 17, to Desk 1."
        );
        assert_eq!(fill("{missing} stays", &[]), "{missing} stays");
        assert_eq!(fill("no end {", &[]), "no end {");
        assert_eq!(placeholders("{} and {0} and {code}"), ["{}", "{0}", "{code}"]);
    }

    #[test]
    fn every_bundled_file_is_readable() {
        assert!(!Catalogue::bundled_files().is_empty(), "no lang/*/LC_MESSAGES/loket.po bundled");
        for (code, text) in Catalogue::bundled_files() {
            parse_po(text).unwrap_or_else(|e| panic!("lang/{code}/LC_MESSAGES/loket.po: {e}"));
        }
        assert_eq!(tr("nl", "Back"), "Terug");
    }

    const TEMPLATE: &str = r#"msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"

#: ui/a.slint:1
msgid "Back"
msgstr ""

#. TRANSLATORS: printed
#: src/printed_ticket.rs:9
msgid "Your number is {code}"
msgstr ""

#: ui/ticket.slint:94
msgid "{n} person before you"
msgid_plural "{n} people before you"
msgstr[0] ""
msgstr[1] ""

#. staff page
#: src/web/pages.rs:3
msgid "Called"
msgstr ""
"#;

    #[test]
    fn the_template_knows_visitor_and_staff_messages_in_order() {
        let template = parse_template(TEMPLATE).unwrap();
        let ids: Vec<(&str, Audience)> = template.iter().map(|m| (m.msgid.as_str(), m.audience)).collect();
        assert_eq!(
            ids,
            [
                ("Back", Audience::Visitor),
                ("Your number is {code}", Audience::Visitor),
                ("{n} person before you", Audience::Visitor),
                ("Called", Audience::Staff),
            ]
        );
        assert_eq!(template[2].plural.as_deref(), Some("{n} people before you"));
        let twice = format!("{TEMPLATE}\nmsgid \"Back\"\nmsgstr \"\"\n");
        assert!(parse_template(&twice).unwrap_err().reason.contains("twice"));
    }

    #[test]
    fn missing_messages_are_listed_per_audience_and_drafts_count_as_translated() {
        let template = parse_template(TEMPLATE).unwrap();
        let catalogue = Catalogue::from_files([("nl", SAMPLE)]).unwrap();
        assert_eq!(catalogue.missing("nl", &template, Audience::Visitor), Vec::<&str>::new());
        assert_eq!(catalogue.missing("nl", &template, Audience::Staff), ["Called"]);
        assert_eq!(catalogue.drafts("nl", &template), 1, "the ticket's number is a draft");
        assert_eq!(
            catalogue.missing("ti", &template, Audience::Visitor),
            ["Back", "Your number is {code}", "{n} person before you"],
            "a language without a file lacks everything"
        );
        assert!(catalogue.missing("en", &template, Audience::Staff).is_empty(), "English is the source");
    }

    #[test]
    fn a_plural_message_lacking_a_form_is_incomplete() {
        let template = parse_template(TEMPLATE).unwrap();
        let three_forms =
            SAMPLE.replace("nplurals=2; plural=(n != 1)", "nplurals=3; plural=(n==1 ? 0 : n==2 ? 1 : 2)");
        let catalogue = Catalogue::from_files([("xx", three_forms.as_str())]).unwrap();
        assert_eq!(catalogue.missing("xx", &template, Audience::Visitor), ["{n} person before you"]);
    }

    #[test]
    fn plural_texts_follow_the_language_rule() {
        let catalogue = Catalogue::from_files([("nl", SAMPLE)]).unwrap();
        let form =
            |lang: &str, n| catalogue.plural_text(lang, "{n} person before you", "{n} people before you", n);
        assert_eq!(form("nl", 1), "{n} persoon voor je");
        assert_eq!(form("nl", 0), "{n} mensen voor je");
        assert_eq!(form("nl", 4), "{n} mensen voor je");
        assert_eq!(form("en", 1), "{n} person before you");
        assert_eq!(form("en", 2), "{n} people before you");
        assert_eq!(catalogue.plural_text("nl", "Not there", "Not there at all", 3), "Not there at all");
        assert_eq!(fill(form("nl", 3), &[("n", "3")]), "3 mensen voor je");
    }

    #[test]
    fn the_bundled_template_is_there_and_tr_n_reads_it() {
        assert!(!Catalogue::template().is_empty(), "lang/loket.pot is bundled");
        assert_eq!(tr_n("en", "One thing", "{n} things", 1), "One thing");
        assert_eq!(tr_n("en", "One thing", "{n} things", 5), "{n} things");
    }
}
