//! `[site]`: the help point itself: its name, time zone, languages and its name towards the
//! central system. It must not know what the languages look like (that is [`crate::languages`]).

use jiff::tz::TimeZone;
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
}
