//! The translation catalogue at run time, for the words made outside Slint: the printed ticket,
//! spoken phrases, the staff console, the TV board and loket-central's pages.
//!
//! The catalogue is the gettext one in `lang/<code>/LC_MESSAGES/loket.po` (the screens read the
//! same files through Slint's bundled translations). Message ids are the English source texts;
//! English needs no file. Entries flagged `fuzzy` are drafts awaiting a native speaker's review:
//! they are used (a draft beats English for a visitor who reads no English) and reported as drafts.
//!
//! Rust code marks a text for translation by calling [`tr`] (or [`Catalogue::text`]) with the
//! English text as a string literal, so the extractor that writes `lang/loket.pot` finds it.
//! This module only parses and looks up; it must not decide which languages a site offers or
//! format anything beyond filling `{name}` placeholders.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

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
    #[derive(Default)]
    struct Entry {
        context: Option<String>,
        msgid: Option<String>,
        plural_id: Option<String>,
        msgstr: Option<String>,
        plural: BTreeMap<usize, String>,
        fuzzy: bool,
    }
    enum Field {
        Context,
        Id,
        PluralId,
        Str,
        PluralStr(usize),
    }
    let mut translations = Translations::default();
    let mut entry = Entry::default();
    let mut field: Option<Field> = None;
    let finish = |entry: Entry, translations: &mut Translations, line: usize| -> Result<(), PoError> {
        let Some(msgid) = entry.msgid else {
            if entry.msgstr.is_some() || !entry.plural.is_empty() {
                return Err(PoError { line, reason: "msgstr without msgid".into() });
            }
            return Ok(());
        };
        if msgid.is_empty() && entry.context.is_none() {
            let header = entry.msgstr.unwrap_or_default();
            translations.plural_forms =
                header.lines().find_map(|l| l.strip_prefix("Plural-Forms:")).map(|v| v.trim().to_owned());
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
        if translations.messages.contains_key(&key) {
            return Err(PoError { line, reason: format!("msgid {key:?} appears twice") });
        }
        translations.messages.insert(key, Message { text, plural, draft: entry.fuzzy });
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
                finish(std::mem::take(&mut entry), &mut translations, line)?;
                field = None;
            }
            entry.fuzzy |= flags.split(',').any(|f| f.trim() == "fuzzy");
            continue;
        }
        if l.starts_with('#') {
            if entry.msgid.is_some() && entry.msgstr.is_some() {
                finish(std::mem::take(&mut entry), &mut translations, line)?;
                field = None;
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
                    finish(std::mem::take(&mut entry), &mut translations, line)?;
                }
                entry.context = Some(value);
                field = Some(Field::Context);
            }
            "msgid" => {
                if entry.msgid.is_some() {
                    finish(std::mem::take(&mut entry), &mut translations, line)?;
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
    finish(entry, &mut translations, text.lines().count())?;
    Ok(translations)
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
}

/// `msgid` (an English string literal) in `language`, from the bundled catalogue.
pub fn tr(language: &str, msgid: &'static str) -> &'static str {
    Catalogue::bundled().text(language, msgid)
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
}
