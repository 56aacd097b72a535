//! The translation catalogue check: `lang/loket.pot` is what the sources give (every `@tr(…)` in
//! `ui/*.slint`, every `tr(…)`/`tr_n(…)` with literals in the kiosk's, loket-central's and
//! loket-protocol's sources), and every `lang/<code>/LC_MESSAGES/loket.po` translates every
//! message it must, keeps the placeholders, has as many plural forms as its header says, passes
//! `msgfmt --check` (GNU gettext) and, for Persian and Dari, uses the Persian letters ی and ک.
//! The README's table of languages is made from the same files.
//!
//! `LOKET_WRITE_POT=1 cargo test --test translations` rewrites `lang/loket.pot` and the README's
//! table, and brings every `.po` up to date with `msgmerge` (new messages appear untranslated,
//! removed ones become obsolete `#~` entries), as lang/README.md tells translators.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use loket_protocol::i18n::extract::{self, Source, Syntax};
use loket_protocol::i18n::{self, Audience, Catalogue, PluralRule, TemplateMessage};

const POT: &str = "lang/loket.pot";

/// The languages whose `.po` must translate the staff pages too (English is the source).
/// A help point's `site.local_language` must be complete for them (`loket check` says so).
const STAFF_LANGUAGES: &[&str] = &["nl", "fr"];

/// The folders whose texts are read by the staff, not by visitors: the console and the board
/// (the kiosk's web pages), loket-central, and the language names staff read.
const STAFF_FOLDERS: &[&str] = &["src/web/", "central/src/", "protocol/src/languages.rs"];

fn writing() -> bool {
    std::env::var_os("LOKET_WRITE_POT").is_some_and(|v| v == "1")
}

/// Every file under `folder` ending in `extension`, as workspace-relative paths with `/`.
fn files(folder: &str, extension: &str, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = format!("{folder}/{}", entry.file_name().to_string_lossy());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            files(&path, extension, found);
        } else if path.ends_with(extension) {
            found.push(path);
        }
    }
}

/// The template the sources give today.
fn template_from_sources() -> String {
    let mut paths = Vec::new();
    files("ui", ".slint", &mut paths);
    for folder in ["protocol/src", "src", "central/src"] {
        files(folder, ".rs", &mut paths);
    }
    paths.sort();
    let texts: Vec<(String, String)> =
        paths.into_iter().map(|p| (std::fs::read_to_string(&p).unwrap(), p)).collect();
    let sources: Vec<Source> = texts
        .iter()
        .map(|(text, path)| Source {
            path,
            text,
            syntax: if path.ends_with(".slint") { Syntax::Slint } else { Syntax::Rust },
            audience: if STAFF_FOLDERS.iter().any(|f| path.starts_with(f)) {
                Audience::Staff
            } else {
                Audience::Visitor
            },
        })
        .collect();
    extract::template(&sources)
}

/// (language code, path) of every `.po` in `lang/`.
fn po_files() -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir("lang")
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path().join("LC_MESSAGES/loket.po")))
        .filter(|(_, path)| path.is_file())
        .collect();
    found.sort();
    found
}

fn template() -> Vec<TemplateMessage> {
    i18n::parse_template(&std::fs::read_to_string(POT).unwrap()).unwrap()
}

/// The first lines where two texts differ, for a readable failure.
fn first_difference(want: &str, have: &str) -> String {
    let (want, have): (Vec<&str>, Vec<&str>) = (want.lines().collect(), have.lines().collect());
    let at = want.iter().zip(&have).position(|(a, b)| a != b).unwrap_or(want.len().min(have.len()));
    format!(
        "line {}: the sources give {:?}, the file has {:?}",
        at + 1,
        want.get(at).copied().unwrap_or("(end)"),
        have.get(at).copied().unwrap_or("(end)")
    )
}

#[test]
fn the_template_is_what_the_sources_give() {
    let pot = template_from_sources();
    if writing() {
        std::fs::write(POT, &pot).unwrap();
        fold_waiting_drafts();
        for (code, po) in po_files() {
            let out = Command::new("msgmerge")
                .args(["--quiet", "--update", "--no-fuzzy-matching", "--backup=none"])
                .arg(&po)
                .arg(POT)
                .output()
                .expect("msgmerge (GNU gettext) runs");
            assert!(out.status.success(), "msgmerge {code}: {}", String::from_utf8_lossy(&out.stderr));
        }
        write_languages_table();
        return;
    }
    let have = std::fs::read_to_string(POT).unwrap_or_default();
    assert!(
        have == pot,
        "{POT} is not what the sources give ({}); rewrite it and merge it into every .po with\n    \
         LOKET_WRITE_POT=1 cargo test --test translations",
        first_difference(&pot, &have)
    );
    let messages = template();
    assert!(messages.len() >= 60, "found only {} messages", messages.len());
    for expected in ["Your number", "People before you: {count}", "Back"] {
        assert!(messages.iter().any(|m| m.msgid == expected), "{expected:?} is not in the template");
    }
}

/// The drafts waiting in `lang/drafts/<code>.po` for a language whose file was being made on
/// another branch: (code, path).
fn waiting_drafts() -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir("lang/drafts")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".po").map(|code| (code.to_owned(), e.path()))
        })
        .collect();
    found.sort();
    found
}

/// The entries (blank-line separated blocks with a `msgid`) of a drafts file, with their msgid.
fn draft_entries(text: &str) -> Vec<(String, &str)> {
    text.split("\n\n")
        .filter(|block| block.lines().any(|l| l.starts_with("msgid ")))
        .map(|block| {
            let parsed = i18n::parse_po(block).unwrap();
            let msgid = parsed.msgids().next().expect("a draft has a translation").to_owned();
            (msgid, block.trim_matches('\n'))
        })
        .collect()
}

/// Adds to each language's file the waiting drafts it has no entry for, and removes a drafts
/// file once its language's file has every one of them.
fn fold_waiting_drafts() {
    for (code, drafts) in waiting_drafts() {
        let target = Path::new("lang").join(&code).join("LC_MESSAGES/loket.po");
        let Ok(mut text) = std::fs::read_to_string(&target) else {
            continue; // that language's file is not there yet
        };
        let waiting = std::fs::read_to_string(&drafts).unwrap();
        for (msgid, block) in draft_entries(&waiting) {
            if !text.lines().any(|l| l == format!("msgid {}", extract::quote(&msgid))) {
                text = format!("{}\n\n{block}\n", text.trim_end());
            }
        }
        std::fs::write(&target, text).unwrap();
        std::fs::remove_file(&drafts).unwrap();
    }
}

#[test]
fn the_waiting_drafts_are_honest_drafts_for_known_languages() {
    for (code, path) in waiting_drafts() {
        assert!(loket::languages::language(&code).is_some(), "{}: no language {code:?}", path.display());
        let text = std::fs::read_to_string(&path).unwrap();
        let entries = draft_entries(&text);
        assert!(!entries.is_empty(), "{}", path.display());
        for (msgid, block) in entries {
            let parsed = i18n::parse_po(block).unwrap();
            let message = parsed.message(&msgid).unwrap();
            assert!(
                message.draft && block.contains(DRAFT_NOTE),
                "{code}: {msgid:?} is not marked as a draft"
            );
            assert_eq!(placeholders(&message.text), placeholders(&msgid), "{code}: {:?}", message.text);
            if code == "fa" || code == "prs" {
                assert!(
                    !message.text.contains(['\u{064A}', '\u{0643}']),
                    "{code}: Arabic letters in {:?}",
                    message.text
                );
            }
        }
    }
}

/// The translator comment of every draft the developers wrote.
const DRAFT_NOTE: &str = "# Drafted, to be reviewed by a native speaker";

/// The placeholders of a text, sorted (a translation may reorder them).
fn placeholders(text: &str) -> Vec<&str> {
    let mut found = i18n::placeholders(text);
    found.sort();
    found
}

#[test]
fn every_language_translates_every_message_it_must() {
    let messages = template();
    let mut problems = Vec::new();
    for (code, path) in po_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let translations = match i18n::parse_po(&text) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let rule = match translations.plural_forms.as_deref().map(PluralRule::parse) {
            Some(Ok(rule)) => rule,
            other => {
                problems.push(format!("{code}: no readable Plural-Forms header: {other:?}"));
                continue;
            }
        };
        for message in &messages {
            if message.audience == Audience::Staff && !STAFF_LANGUAGES.contains(&code.as_str()) {
                continue;
            }
            let Some(found) = translations.message(&message.msgid) else {
                problems.push(format!("{code}: no translation for {:?}", message.msgid));
                continue;
            };
            match &message.plural {
                None => {
                    if placeholders(&found.text) != placeholders(&message.msgid) {
                        problems.push(format!(
                            "{code}: {:?} does not keep the placeholders of {:?}",
                            found.text, message.msgid
                        ));
                    }
                }
                Some(plural) => {
                    if found.plural.len() != rule.forms {
                        problems.push(format!(
                            "{code}: {:?} has {} plural forms, the header says {}",
                            message.msgid,
                            found.plural.len(),
                            rule.forms
                        ));
                    }
                    // A form may spell out its number ("one person"); none may bring a placeholder
                    // of its own, and the last (the general one) keeps every one.
                    let wanted = placeholders(plural);
                    for (index, form) in found.plural.iter().enumerate() {
                        let have = placeholders(form);
                        let fits = if index + 1 == found.plural.len() {
                            have == wanted
                        } else {
                            have.iter().all(|p| wanted.contains(p))
                        };
                        if form.is_empty() || !fits {
                            problems.push(format!("{code}: form {index} {form:?} of {plural:?}"));
                        }
                    }
                }
            }
        }
        let known: Vec<&str> = messages.iter().map(|m| m.msgid.as_str()).collect();
        for msgid in translations.msgids() {
            if !known.contains(&msgid) {
                problems.push(format!(
                    "{code}: {msgid:?} is not in {POT}; run LOKET_WRITE_POT=1 cargo test --test translations"
                ));
            }
        }
        if code == "fa" || code == "prs" {
            for msgid in translations.msgids() {
                let text = &translations.message(msgid).unwrap().text;
                if text.contains(['\u{064A}', '\u{0643}']) {
                    problems.push(format!("{code}: Arabic ي or ك instead of Persian ی or ک in {text:?}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn drafts_show_on_screen() {
    use i_slint_backend_testing::ElementHandle;
    use slint::ComponentHandle;
    // A draft (flagged fuzzy) is shown, not English: Slint reads the flags-free copy of lang/.
    let catalogue = Catalogue::bundled();
    let drafted: Vec<(&str, &str)> = catalogue
        .languages()
        .filter_map(|code| {
            catalogue.message(code, "Back").filter(|m| m.draft).map(|m| (code, m.text.as_str()))
        })
        .collect();
    assert!(!drafted.is_empty(), "no language has \"Back\" as a draft to show");
    i_slint_backend_testing::init_no_event_loop();
    let window = loket::AppWindow::new().unwrap();
    window.global::<loket::KioskAdapter>().set_screen(loket::Screen::Services);
    for (code, text) in drafted {
        slint::select_bundled_translation(code).unwrap();
        let found = ElementHandle::find_by_accessible_label(&window, text).count();
        assert!(found > 0, "{code}: the draft {text:?} is not on screen");
        assert_eq!(
            ElementHandle::find_by_accessible_label(&window, "Back").count(),
            0,
            "{code}: English shown"
        );
    }
}

/// Every draft carries the developers' note, and every note marks a draft: a reviewer removes
/// both, so a reviewed translation can never still look like a draft, nor a draft like a
/// reviewed one.
#[test]
fn drafts_and_their_note_go_together() {
    for (code, path) in po_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        for block in text.split("\n\n").filter(|b| b.lines().any(|l| l.starts_with("msgid "))) {
            let fuzzy = block.lines().any(|l| l.starts_with("#,") && l.contains("fuzzy"));
            let noted = block.lines().any(|l| l == DRAFT_NOTE);
            let header = block.lines().any(|l| l == "msgid \"\"");
            if !header {
                assert_eq!(
                    fuzzy, noted,
                    "{code}: a draft flag without the note or the other way round:\n{block}"
                );
            }
        }
    }
}

#[test]
fn every_file_passes_msgfmt_check() {
    for (code, po) in po_files() {
        let out = Command::new("msgfmt")
            .args(["--check", "--output-file=/dev/null"])
            .arg(&po)
            .output()
            .expect("msgfmt (GNU gettext, Debian package gettext) runs");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && said.is_empty(), "msgfmt --check {code}: {said}");
    }
}

#[test]
fn the_bundled_catalogue_is_the_files_in_lang() {
    let bundled: Vec<&str> = Catalogue::bundled_files().iter().map(|(code, _)| *code).collect();
    let files: Vec<String> = po_files().into_iter().map(|(code, _)| code).collect();
    assert_eq!(bundled, files);
    assert_eq!(Catalogue::template(), template().as_slice());
}

const TABLE_START: &str = "<!-- languages table: made by tests/translations.rs -->\n";
const TABLE_END: &str = "<!-- end of the languages table -->\n";

/// The README's table: per language the kiosk knows, how many visitor messages it translates,
/// how many of them are drafts, and whether it covers the staff pages.
fn languages_table() -> String {
    let messages = template();
    let texts: Vec<(String, String)> =
        po_files().into_iter().map(|(code, path)| (code, std::fs::read_to_string(path).unwrap())).collect();
    let catalogue =
        Catalogue::from_files(texts.iter().map(|(code, text)| (code.as_str(), text.as_str()))).unwrap();
    let visitor = messages.iter().filter(|m| m.audience == Audience::Visitor).count();
    let staff = messages.len() - visitor;
    let mut table = format!(
        "| language | code | visitor messages (of {visitor}) | drafts | reviewed | staff pages (of {staff}) |\n\
         | --- | --- | --- | --- | --- | --- |\n"
    );
    for language in loket::languages::all() {
        let code = language.code;
        let missing = catalogue.missing(code, &messages, Audience::Visitor).len();
        let staff_missing = catalogue.missing(code, &messages, Audience::Staff).len();
        let drafts = catalogue.drafts(code, &messages);
        let reviewed = if code == i18n::SOURCE_LANGUAGE {
            "source"
        } else if missing == 0 && drafts == 0 {
            "yes"
        } else {
            "no"
        };
        let name = if language.autonym == language.english_name {
            language.english_name.to_owned()
        } else {
            format!("{} ({})", language.english_name, language.autonym)
        };
        table.push_str(&format!(
            "| {name} | {code} | {} | {drafts} | {reviewed} | {} |\n",
            visitor - missing,
            staff - staff_missing,
        ));
    }
    table
}

/// README.md and where its table starts and ends.
fn readme_table() -> (String, usize, usize) {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme.find(TABLE_START).expect("README.md has the languages table's start marker");
    let body_start = start + TABLE_START.len();
    let end = body_start + readme[body_start..].find(TABLE_END).expect("README.md has its end marker");
    (readme, body_start, end)
}

fn write_languages_table() {
    let (readme, start, end) = readme_table();
    std::fs::write("README.md", format!("{}{}{}", &readme[..start], languages_table(), &readme[end..]))
        .unwrap();
}

#[test]
fn the_readme_table_of_languages_is_up_to_date() {
    let (readme, body_start, end) = readme_table();
    if writing() {
        return; // the template's test writes it, after the template and the .po files
    }
    let table = languages_table();
    assert!(
        readme[body_start..end] == table,
        "README.md's table of languages is stale ({}); rewrite it with\n    \
         LOKET_WRITE_POT=1 cargo test --test translations",
        first_difference(&table, &readme[body_start..end])
    );
}

#[test]
fn every_language_file_is_for_a_language_the_kiosk_knows() {
    let known: BTreeMap<&str, bool> = loket::languages::all().iter().map(|l| (l.code, true)).collect();
    for (code, path) in po_files() {
        assert!(
            known.contains_key(code.as_str()),
            "{}: no language {code:?} in src/languages.rs",
            path.display()
        );
        let text = std::fs::read_to_string(Path::new(&path)).unwrap();
        assert!(text.contains(&format!("\"Language: {code}\\n\"")), "{}: Language header", path.display());
    }
}
