//! Visitors' languages as staff read them on the dashboard: the language's name in the staff's
//! language, then its own name, "Tigrinya (ትግርኛ)", so a PC without an Ethiopic or Arabic font
//! still shows which language it is.
//!
//! It holds the languages a kiosk can offer (the kiosk's own table is `loket::languages`; a test
//! of the kiosk keeps the two the same). It must not decide which languages a site offers.

use loket_protocol::i18n::tr;

/// Each language a kiosk can offer: its code and its name in its own script.
const AUTONYMS: &[(&str, &str)] = &[
    ("nl", "Nederlands"),
    ("en", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("ar", "العربية"),
    ("uk", "Українська"),
    ("ru", "Русский"),
    ("tr", "Türkçe"),
    ("fa", "فارسی"),
    ("prs", "دری"),
    ("ps", "پښتو"),
    ("ti", "ትግርኛ"),
    ("so", "Soomaali"),
    ("es", "Español"),
    ("ro", "Română"),
];

/// The name of the language `code` in the language `staff`; none for a code kiosks do not know.
pub fn name(staff: &str, code: &str) -> Option<&'static str> {
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

/// The language's name in its own script.
pub fn autonym(code: &str) -> Option<&'static str> {
    AUTONYMS.iter().find(|(c, _)| *c == code).map(|(_, a)| *a)
}

/// Every language code kiosks know, in a fixed order.
pub fn codes() -> impl Iterator<Item = &'static str> {
    AUTONYMS.iter().map(|(c, _)| *c)
}

/// "Tigrinya (ትግርኛ)", "Arabisch (العربية)"; the name alone when it is the language's own
/// ("Nederlands" for Dutch staff); the code as it came for a language kiosks do not know.
pub fn for_staff(staff: &str, code: &str) -> String {
    match (name(staff, code), autonym(code)) {
        (Some(name), Some(autonym)) if name == autonym => name.to_owned(),
        (Some(name), Some(autonym)) => format!("{name} ({autonym})"),
        _ => code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_is_named_in_the_staff_language_then_in_its_own() {
        assert_eq!(for_staff("nl", "ti"), "Tigrinya (ትግርኛ)");
        assert_eq!(for_staff("fr", "ar"), "Arabe (العربية)");
        assert_eq!(for_staff("en", "uk"), "Ukrainian (Українська)");
        assert_eq!(for_staff("fr", "fr"), "Français");
        assert_eq!(for_staff("nl", "xx"), "xx");
        assert!(codes().all(|c| name("en", c).is_some()), "every code has a name");
    }
}
