//! `[site]`: the help point itself: its name, time zone, languages and its name towards the
//! central system. It must not know what the languages look like (that is [`crate::languages`]),
//! nor hold any translation: it only asks the translation catalogue (`lang/`, through
//! `loket_protocol::i18n`) whether each offered language is complete, so that no visitor gets
//! English or Dutch under their own language's button.

use jiff::tz::TimeZone;
use loket_protocol::i18n::{Audience, Catalogue, TemplateMessage};
use serde::Deserialize;

use super::{ConfigError, identifier, invalid, known_codes, non_empty, quoted, quoted_list};
use crate::languages;

/// `[site]`: the help point itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Name shown on screen and printed on tickets.
    pub name: String,
    /// The help point's time zone (from `site.timezone`, an IANA name).
    pub timezone: TimeZone,
    /// Language codes offered at the kiosk, in this order; each is in [`languages::all`].
    pub languages: Vec<String>,
    /// The staff's language (one of `languages`), printed beside the visitor's.
    pub local_language: String,
    /// This kiosk's name towards the central system (`[a-z0-9-]`, e.g. `digilabo-onthaal-1`);
    /// it goes into every reported statement.
    pub kiosk_id: String,
}

impl Site {
    /// The offered languages with their built-in facts, in the configured order.
    pub fn offered_languages(&self) -> impl Iterator<Item = &'static languages::LanguageInfo> + '_ {
        self.languages.iter().filter_map(|code| languages::language(code))
    }

    /// Per offered language, in the configured order, how many of its translations in the
    /// bundled catalogue are drafts that no native speaker has reviewed yet.
    pub fn translation_drafts(&self) -> Vec<(&str, usize)> {
        let catalogue = Catalogue::bundled();
        let template = Catalogue::template();
        self.languages.iter().map(|code| (code.as_str(), catalogue.drafts(code, template))).collect()
    }
}

/// How many missing texts an error lists by name.
const MISSING_NAMED: usize = 3;

/// Every language in `offered` must translate every visitor message of `template` (a draft
/// counts; English is the source), and `local_language` every staff message too: a language
/// that is not complete cannot be offered. The error names the key, the language, how many
/// texts are missing and the first few.
pub fn check_translations(
    offered: &[String],
    local_language: &str,
    catalogue: &Catalogue,
    template: &[TemplateMessage],
) -> Result<(), ConfigError> {
    let describe = |missing: &[&str], audience: &str, code: &str| {
        let named: Vec<String> = missing.iter().take(MISSING_NAMED).map(|m| quoted(m)).collect();
        let more = if missing.len() > MISSING_NAMED { ", …" } else { "" };
        format!(
            "{} of the {audience} texts have no translation in lang/{code}/LC_MESSAGES/loket.po: {}{more}",
            missing.len(),
            named.join(", ")
        )
    };
    for (index, code) in offered.iter().enumerate() {
        let missing = catalogue.missing(code, template, Audience::Visitor);
        if !missing.is_empty() {
            return Err(invalid(
                format!("site.languages[{index}]"),
                quoted(code),
                format!("not complete, so it cannot be offered: {}", describe(&missing, "visitor", code)),
            ));
        }
    }
    let missing = catalogue.missing(local_language, template, Audience::Staff);
    if !missing.is_empty() {
        return Err(invalid(
            "site.local_language",
            quoted(local_language),
            format!(
                "the staff pages are not complete in this language: {}",
                describe(&missing, "staff page", local_language)
            ),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SiteFile {
    name: String,
    timezone: String,
    languages: Vec<String>,
    local_language: String,
    #[serde(default = "default_kiosk_id")]
    kiosk_id: String,
}

/// `site.kiosk_id` when the config does not name the kiosk.
pub const DEFAULT_KIOSK_ID: &str = "loket-1";

fn default_kiosk_id() -> String {
    DEFAULT_KIOSK_ID.into()
}

impl SiteFile {
    pub(super) fn validate(self) -> Result<Site, ConfigError> {
        let name = non_empty("site.name", &self.name, "the help point's name")?;
        let timezone = TimeZone::get(&self.timezone).map_err(|_| {
            invalid(
                "site.timezone",
                quoted(&self.timezone),
                "not a known IANA time zone name, e.g. \"Europe/Brussels\"",
            )
        })?;
        if self.languages.is_empty() {
            return Err(invalid(
                "site.languages",
                "[]",
                "offer at least one language, e.g. [\"nl\", \"en\"]",
            ));
        }
        for (index, code) in self.languages.iter().enumerate() {
            let key = format!("site.languages[{index}]");
            if languages::language(code).is_none() {
                return Err(invalid(
                    key,
                    quoted(code),
                    format!("not a language Loket knows; known codes: {}", known_codes()),
                ));
            }
            if self.languages[..index].contains(code) {
                return Err(invalid(key, quoted(code), "listed twice"));
            }
        }
        if !self.languages.contains(&self.local_language) {
            return Err(invalid(
                "site.local_language",
                quoted(&self.local_language),
                format!("must be one of site.languages {}", quoted_list(&self.languages)),
            ));
        }
        check_translations(
            &self.languages,
            &self.local_language,
            Catalogue::bundled(),
            Catalogue::template(),
        )?;
        let kiosk_id = identifier("site.kiosk_id", &self.kiosk_id)?;
        if kiosk_id.len() > 64 {
            return Err(invalid("site.kiosk_id", quoted(&kiosk_id), "must be at most 64 characters"));
        }
        Ok(Site { name, timezone, languages: self.languages, local_language: self.local_language, kiosk_id })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;

    #[test]
    fn empty_site_name() {
        let message = error(&good_with("name = \"Testpunt\"", "name = \"  \""));
        assert_names(&message, &["site.name = \"  \"", "empty"]);
    }

    #[test]
    fn bad_timezone() {
        let message = error(&good_with("\"Europe/Brussels\"", "\"Europe/Brussel\""));
        assert_names(&message, &["site.timezone = \"Europe/Brussel\"", "time zone"]);
    }

    #[test]
    fn no_languages() {
        let message = error(&good_with("[\"nl\", \"en\", \"ar\"]", "[]"));
        assert_names(&message, &["site.languages = []", "at least one"]);
    }

    #[test]
    fn unknown_language_in_site_languages() {
        let message = error(&good_with("[\"nl\", \"en\", \"ar\"]", "[\"nl\", \"en\", \"klingon\"]"));
        assert_names(&message, &["site.languages[2] = \"klingon\"", "not a language"]);
    }

    #[test]
    fn duplicate_language() {
        let message = error(&good_with("[\"nl\", \"en\", \"ar\"]", "[\"nl\", \"en\", \"nl\"]"));
        assert_names(&message, &["site.languages[2] = \"nl\"", "twice"]);
    }

    #[test]
    fn local_language_not_offered() {
        let message = error(&good_with("local_language = \"nl\"", "local_language = \"fr\""));
        assert_names(&message, &["site.local_language = \"fr\"", "site.languages"]);
    }

    #[test]
    fn bad_kiosk_id() {
        let message =
            error(&good_with("local_language = \"nl\"", "local_language = \"nl\"\nkiosk_id = \"Onthaal 2\""));
        assert_names(&message, &["site.kiosk_id = \"Onthaal 2\"", "lowercase"]);
        let long = "k".repeat(65);
        let message = error(&good_with(
            "local_language = \"nl\"",
            &format!("local_language = \"nl\"\nkiosk_id = \"{long}\""),
        ));
        assert_names(&message, &["site.kiosk_id", "at most 64"]);
    }

    mod translations {
        use super::super::check_translations;
        use crate::config::ConfigError;
        use loket_protocol::i18n::{Catalogue, parse_template};

        const TEMPLATE: &str = r#"
msgid "Back"
msgstr ""

msgid "Your number"
msgstr ""

msgid "Next"
msgstr ""

msgid "Skip"
msgstr ""

#. staff page
msgid "Called"
msgstr ""
"#;

        const DUTCH: &str = r#"
msgid "Back"
msgstr "Terug"

# Drafted, to be reviewed by a native speaker
#, fuzzy
msgid "Your number"
msgstr "Jouw nummer"

msgid "Next"
msgstr "Verder"

msgid "Skip"
msgstr "Overslaan"

msgid "Called"
msgstr "Opgeroepen"
"#;

        /// Dutch complete (one draft), Tigrinya with one text, Arabic without the staff text.
        fn check(offered: &[&str], local: &str) -> Result<(), ConfigError> {
            let template = parse_template(TEMPLATE).unwrap();
            let arabic = DUTCH.replace("Terug", "رجوع").replace("msgstr \"Opgeroepen\"", "msgstr \"\"");
            let catalogue = Catalogue::from_files([
                ("nl", DUTCH),
                ("ti", "msgid \"Back\"\nmsgstr \"ተመለሱ\"\n"),
                ("ar", arabic.as_str()),
            ])
            .unwrap();
            let offered: Vec<String> = offered.iter().map(|s| (*s).to_owned()).collect();
            check_translations(&offered, local, &catalogue, &template)
        }

        #[test]
        fn complete_languages_pass_and_drafts_count_as_translated() {
            check(&["nl", "en", "ar"], "nl").unwrap();
        }

        #[test]
        fn an_incomplete_visitor_language_is_refused_with_what_it_lacks() {
            let message = check(&["nl", "ti"], "nl").unwrap_err().to_string();
            for part in [
                "site.languages[1] = \"ti\"",
                "cannot be offered",
                "3 of the visitor texts",
                "\"Your number\"",
            ] {
                assert!(message.contains(part), "{part:?} not in {message}");
            }
            assert!(
                !message.contains("Called"),
                "staff texts are not asked of a visitor language: {message}"
            );
        }

        #[test]
        fn a_language_without_a_file_lacks_everything_and_only_the_first_few_are_named() {
            let message = check(&["so"], "so").unwrap_err().to_string();
            assert!(message.contains("4 of the visitor texts") && message.ends_with(", …"), "{message}");
            assert!(!message.contains("\"Skip\""), "the fourth is not named: {message}");
        }

        #[test]
        fn english_is_the_source_and_always_complete() {
            check(&["en"], "en").unwrap();
        }

        #[test]
        fn the_staff_language_must_have_the_staff_pages() {
            let message = check(&["ar", "nl"], "ar").unwrap_err().to_string();
            for part in
                ["site.local_language = \"ar\"", "staff pages", "1 of the staff page texts", "\"Called\""]
            {
                assert!(message.contains(part), "{part:?} not in {message}");
            }
            check(&["ar", "nl"], "nl").unwrap();
        }

        #[test]
        fn the_bundled_catalogue_completes_the_sample_languages() {
            let sample = crate::config::Config::sample();
            assert!(sample.site.languages.len() >= 14, "the sample offers every visitor language");
            let drafts = sample.site.translation_drafts();
            assert_eq!(drafts.len(), sample.site.languages.len());
            assert!(drafts.iter().any(|(code, n)| *code == "en" && *n == 0));
        }
    }
}
