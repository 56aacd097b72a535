//! `[[service]]`: the kinds of help a visitor can take a ticket for, one button each, with
//! their names per language. Ids and prefixes being unique is checked over the whole file in
//! the parent module.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ConfigError, Site, identifier, invalid, known_codes, quoted};
use crate::languages;

/// The pictograms a service can show on its button, by name.
pub const PICTOGRAMS: &[&str] = &[
    "email",
    "appointment",
    "smartphone",
    "tablet",
    "online-lesson",
    "question",
    "printer",
    "id-card",
    "wifi",
    "password",
];

/// One `[[service]]`: a kind of help a visitor can take a ticket for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Stable identifier, `[a-z0-9-]+`, unique.
    pub id: String,
    /// Ticket-number letters (1-2 capitals), unique, e.g. `E` for ticket E12.
    pub prefix: String,
    /// One of [`PICTOGRAMS`].
    pub pictogram: String,
    /// Name per language code; always has `"en"`, the site's local language and every offered one.
    pub names: BTreeMap<String, String>,
}

impl Service {
    /// The name in `lang`, falling back to English.
    pub fn name(&self, lang: &str) -> &str {
        self.names.get(lang).or_else(|| self.names.get("en")).map_or(self.id.as_str(), String::as_str)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ServiceFile {
    id: String,
    prefix: String,
    pictogram: String,
    names: BTreeMap<String, String>,
}

impl ServiceFile {
    pub(super) fn validate(self, index: usize, site: &Site) -> Result<Service, ConfigError> {
        let at = |field: &str| format!("service[{index}].{field}");
        let id = identifier(&at("id"), &self.id)?;
        let prefix_ok =
            (1..=2).contains(&self.prefix.len()) && self.prefix.bytes().all(|b| b.is_ascii_uppercase());
        if !prefix_ok {
            return Err(invalid(at("prefix"), quoted(&self.prefix), "must be 1 or 2 capital letters A-Z"));
        }
        if !PICTOGRAMS.contains(&self.pictogram.as_str()) {
            return Err(invalid(
                at("pictogram"),
                quoted(&self.pictogram),
                format!("not a known pictogram; choose one of {}", PICTOGRAMS.join(", ")),
            ));
        }
        for (code, name) in &self.names {
            let key = format!("service[{index}].names.{code}");
            if languages::language(code).is_none() {
                return Err(invalid(
                    key,
                    quoted(name),
                    format!("{} is not a language Loket knows; known codes: {}", quoted(code), known_codes()),
                ));
            }
            if name.trim().is_empty() {
                return Err(invalid(key, quoted(name), "the name must not be empty"));
            }
        }
        let written = || {
            let codes: Vec<&String> = self.names.keys().collect();
            format!("{{ {} }}", codes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "))
        };
        // A visitor who picked a language never sees the button in another one.
        let required =
            ["en", site.local_language.as_str()].into_iter().chain(site.languages.iter().map(String::as_str));
        for required in required {
            if !self.names.contains_key(required) {
                return Err(invalid(
                    at("names"),
                    written(),
                    format!(
                        "needs a name in {required:?} (English, the site's local_language and every \
                         language in site.languages are required)"
                    ),
                ));
            }
        }
        Ok(Service { id, prefix: self.prefix, pictogram: self.pictogram, names: self.names })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::test_support::*;

    #[test]
    fn unknown_key_in_service() {
        let message = error(&good_with("pictogram = \"email\"", "pictogram = \"email\"\ncolor = \"blue\""));
        assert_names(&message, &["color", "unknown field"]);
    }

    #[test]
    fn no_services() {
        let text = GOOD.split("[[service]]").next().unwrap().to_string();
        let message = error(&text);
        assert_names(&message, &["service = (none)", "at least one"]);
    }

    #[test]
    fn bad_service_id() {
        let message = error(&good_with("id = \"tablet\"", "id = \"Tablet\""));
        assert_names(&message, &["service[1].id = \"Tablet\"", "lowercase"]);
    }

    #[test]
    fn duplicate_service_id() {
        let message = error(&good_with("id = \"tablet\"", "id = \"email\""));
        assert_names(&message, &["service[1].id = \"email\"", "already"]);
    }

    #[test]
    fn duplicate_prefix() {
        let message = error(&good_with("prefix = \"T\"", "prefix = \"E\""));
        assert_names(&message, &["service[1].prefix = \"E\"", "already"]);
    }

    #[test]
    fn bad_prefix() {
        let message = error(&good_with("prefix = \"E\"", "prefix = \"EMA\""));
        assert_names(&message, &["service[0].prefix = \"EMA\"", "1 or 2 capital letters"]);
    }

    #[test]
    fn unknown_pictogram() {
        let message = error(&good_with("pictogram = \"email\"", "pictogram = \"envelope\""));
        assert_names(&message, &["service[0].pictogram = \"envelope\"", "wifi"]);
    }

    #[test]
    fn service_name_in_unknown_language() {
        let message = error(&good_with("en = \"E-mail\",", "en = \"E-mail\", xx = \"Mail\","));
        assert_names(&message, &["service[0].names.xx = \"Mail\"", "\"xx\" is not a language"]);
    }

    #[test]
    fn service_without_local_language_name() {
        let message = error(&good_with("nl = \"E-mail\", ", ""));
        assert_names(&message, &["service[0].names = { ar, en }", "\"nl\""]);
    }

    #[test]
    fn service_without_english_name() {
        let message =
            error(&good_with("names = { nl = \"E-mail\", en = \"E-mail\",", "names = { nl = \"E-mail\","));
        assert_names(&message, &["service[0].names = { ar, nl }", "\"en\""]);
    }

    #[test]
    fn service_without_a_name_in_an_offered_language() {
        let message = error(&good_with("languages = [\"nl\", \"en\"", "languages = [\"nl\", \"en\", \"ps\""));
        assert_names(&message, &["service[0].names = { ar, en, nl }", "\"ps\"", "site.languages"]);
    }

    #[test]
    fn service_name_falls_back_to_english() {
        let config = Config::sample();
        let email = config.service("email").unwrap();
        assert_eq!(email.name("nl"), "E-mail");
        assert_eq!(email.name("ar"), "البريد الإلكتروني");
        let other = config.service("something-else").unwrap();
        assert_eq!(other.name("ti"), "ካልእ ጉዳይ");
        assert_eq!(other.name("de"), other.name("en"), "a language the site does not offer");
        assert_eq!(other.name("xx"), "Something else");
    }

    #[test]
    fn every_sample_service_name_is_in_a_known_offered_language() {
        let config = Config::sample();
        for service in &config.services {
            for code in service.names.keys() {
                assert!(config.site.languages.contains(code), "{}: {code}", service.id);
            }
        }
    }
}
