//! The built-in table of languages the kiosk knows: for each one its code, its name in its own
//! script (autonym), its English name, its writing direction and a short "Welcome" greeting.
//! This module only holds fixed facts about languages; it must not hold the kiosk's screen
//! texts (those live with the translations), read files, or know which languages a site offers
//! (that is `config::Site::languages`).

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
}
