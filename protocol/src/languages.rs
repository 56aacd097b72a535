//! The built-in table of languages a kiosk knows: for each one its code, its name in its own
//! script (autonym), its English name, its writing direction and a short "Welcome" greeting;
//! and how staff read a visitor's language, on the kiosk's console and on loket-central alike:
//! its name in the staff's language, then its own ("Tigrinya (ትግርኛ)"), so a desk PC without
//! an Ethiopic or Arabic font still shows which language it is.
//! This module only holds fixed facts about languages and those names; it must not hold the
//! kiosk's screen texts, read files, or know which languages a site offers (that is the kiosk's
//! `config::Site::languages`). Its `tr` calls are staff-page messages (`tests/translations.rs`).

use crate::i18n::tr;

/// Facts about one language the kiosk can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LanguageInfo {
    /// ISO 639 code as written in the config file, e.g. `"nl"` or `"prs"` (Dari).
    pub code: &'static str,
    /// The language's name in its own script, e.g. `"Nederlands"`, `"العربية"`.
    pub autonym: &'static str,
    /// The language's name in English, for staff and logs.
    pub english_name: &'static str,
    /// Written right to left (Arabic script).
    pub rtl: bool,
    /// "Welcome" in that language, in its own script, for the rotating welcome greeting.
    pub greeting: &'static str,
}

const fn ltr(
    code: &'static str,
    autonym: &'static str,
    english_name: &'static str,
    greeting: &'static str,
) -> LanguageInfo {
    LanguageInfo { code, autonym, english_name, rtl: false, greeting }
}

const fn rtl(
    code: &'static str,
    autonym: &'static str,
    english_name: &'static str,
    greeting: &'static str,
) -> LanguageInfo {
    LanguageInfo { code, autonym, english_name, rtl: true, greeting }
}

static LANGUAGES: &[LanguageInfo] = &[
    ltr("nl", "Nederlands", "Dutch", "Welkom"),
    ltr("en", "English", "English", "Welcome"),
    ltr("fr", "Français", "French", "Bienvenue"),
    ltr("de", "Deutsch", "German", "Willkommen"),
    rtl("ar", "العربية", "Arabic", "أهلاً وسهلاً"),
    ltr("uk", "Українська", "Ukrainian", "Ласкаво просимо"),
    ltr("ru", "Русский", "Russian", "Добро пожаловать"),
    ltr("tr", "Türkçe", "Turkish", "Hoş geldiniz"),
    // Persian and Dari are written with the Persian letters ی (U+06CC) and ک (U+06A9),
    // not the Arabic ي and ك; a test checks this.
    rtl("fa", "فارسی", "Persian", "خوش آمدید"),
    rtl("prs", "دری", "Dari", "خوش آمدید"),
    rtl("ps", "پښتو", "Pashto", "ښه راغلاست"),
    ltr("ti", "ትግርኛ", "Tigrinya", "እንቋዕ ብደሓን መጻእኩም"),
    ltr("so", "Soomaali", "Somali", "Soo dhawoow"),
    ltr("es", "Español", "Spanish", "Bienvenido"),
    ltr("ro", "Română", "Romanian", "Bun venit"),
];

/// The language with this code (exact, lowercase match), if the kiosk knows it.
pub fn language(code: &str) -> Option<&'static LanguageInfo> {
    LANGUAGES.iter().find(|info| info.code == code)
}

/// Every language the kiosk knows, in a fixed order.
pub fn all() -> &'static [LanguageInfo] {
    LANGUAGES
}

/// The name of the language `code` in the language `staff`, e.g. "Arabisch" for `ar` in `nl`;
/// none for a code the kiosk does not know.
pub fn name_for_staff(staff: &str, code: &str) -> Option<&'static str> {
    Some(match code {
        "nl" => tr(staff, "Dutch"),
        "en" => tr(staff, "English"),
        "fr" => tr(staff, "French"),
        "de" => tr(staff, "German"),
        "ar" => tr(staff, "Arabic"),
        "uk" => tr(staff, "Ukrainian"),
        "ru" => tr(staff, "Russian"),
        "tr" => tr(staff, "Turkish"),
        "fa" => tr(staff, "Persian"),
        "prs" => tr(staff, "Dari"),
        "ps" => tr(staff, "Pashto"),
        "ti" => tr(staff, "Tigrinya"),
        "so" => tr(staff, "Somali"),
        "es" => tr(staff, "Spanish"),
        "ro" => tr(staff, "Romanian"),
        _ => return None,
    })
}

/// A visitor's language as staff read it: its name in the staff's language and, in brackets,
/// its own name ("Tigrinya (ትግርኛ)", "Arabisch (العربية)"); the name alone when both are the
/// same ("Nederlands" for Dutch staff), the code itself for a language the kiosk does not know.
pub fn for_staff(staff: &str, code: &str) -> String {
    match (name_for_staff(staff, code), language(code).map(|l| l.autonym)) {
        (Some(name), Some(autonym)) if name == autonym => name.to_owned(),
        (Some(name), Some(autonym)) => format!("{name} ({autonym})"),
        _ => code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique() {
        let mut seen = HashSet::new();
        for info in all() {
            assert!(seen.insert(info.code), "code {} listed twice", info.code);
        }
    }

    #[test]
    fn codes_are_lowercase_ascii_letters() {
        for info in all() {
            assert!(
                (2..=3).contains(&info.code.len()) && info.code.bytes().all(|b| b.is_ascii_lowercase()),
                "bad code {:?}",
                info.code
            );
        }
    }

    #[test]
    fn rtl_is_set_exactly_for_arabic_script_languages() {
        let rtl: HashSet<&str> = all().iter().filter(|i| i.rtl).map(|i| i.code).collect();
        assert_eq!(rtl, HashSet::from(["ar", "fa", "prs", "ps"]));
    }

    #[test]
    fn the_required_languages_are_known() {
        for code in
            ["nl", "en", "fr", "ar", "uk", "ru", "tr", "fa", "prs", "ps", "ti", "so", "es", "ro", "de"]
        {
            assert!(language(code).is_some(), "{code} missing");
        }
    }

    #[test]
    fn lookup_finds_by_code_and_rejects_unknown() {
        let nl = language("nl").unwrap();
        assert_eq!(nl.autonym, "Nederlands");
        assert_eq!(nl.greeting, "Welkom");
        assert_eq!(language("prs").unwrap().english_name, "Dari");
        assert!(language("xx").is_none());
        assert!(language("NL").is_none());
        assert!(language("").is_none());
    }

    #[test]
    fn no_text_is_empty_or_padded() {
        for info in all() {
            for text in [info.autonym, info.english_name, info.greeting] {
                assert!(!text.is_empty() && text.trim() == text, "{}: {text:?}", info.code);
            }
        }
    }

    #[test]
    fn rtl_texts_are_in_arabic_script_and_others_are_not() {
        let arabic_script = |c: char| ('\u{0600}'..='\u{06FF}').contains(&c);
        for info in all() {
            for text in [info.autonym, info.greeting] {
                assert_eq!(text.chars().any(arabic_script), info.rtl, "{}: {text:?}", info.code);
            }
        }
    }

    #[test]
    fn persian_and_dari_use_persian_yeh_and_kaf() {
        for code in ["fa", "prs"] {
            let info = language(code).unwrap();
            for text in [info.autonym, info.greeting] {
                assert!(
                    !text.contains('\u{064A}') && !text.contains('\u{0643}'),
                    "{code}: {text:?} uses Arabic yeh or kaf"
                );
            }
        }
    }

    #[test]
    fn tigrinya_is_in_ethiopic_script() {
        let info = language("ti").unwrap();
        let ethiopic = |c: char| ('\u{1200}'..='\u{137F}').contains(&c);
        for text in [info.autonym, info.greeting] {
            assert!(text.chars().filter(|c| !c.is_whitespace()).all(ethiopic));
        }
    }

    #[test]
    fn a_visitor_language_is_named_in_the_staff_language_with_its_own_name() {
        assert_eq!(for_staff("en", "ti"), "Tigrinya (ትግርኛ)");
        assert_eq!(for_staff("nl", "ar"), "Arabisch (العربية)");
        assert_eq!(for_staff("fr", "ti"), "Tigrigna (ትግርኛ)");
        assert_eq!(for_staff("fr", "ar"), "Arabe (العربية)");
        assert_eq!(for_staff("nl", "nl"), "Nederlands", "no name twice");
        assert_eq!(for_staff("en", "en"), "English");
        assert_eq!(for_staff("fr", "fr"), "Français");
        assert_eq!(for_staff("nl", "xx"), "xx", "an unknown code is shown as it is");
    }

    #[test]
    fn every_known_language_has_a_name_for_staff_in_nl_and_fr() {
        for info in all() {
            let english =
                name_for_staff("en", info.code).unwrap_or_else(|| panic!("{} has no name", info.code));
            assert_eq!(english, info.english_name, "{}", info.code);
            for staff in ["nl", "fr"] {
                let message = crate::i18n::Catalogue::bundled().message(staff, info.english_name);
                assert!(message.is_some(), "{} has no name in {staff}", info.english_name);
            }
        }
    }
}
