//! `[learning]` and `[[learning.referral]]`: the content pack's folder, the tutorials' and the
//! screening's timings, the xAPI base and the referral rules. It must not load the pack (that is
//! [`crate::content`]) nor judge a screening result (that is [`crate::screening`]).

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, identifier, in_range, invalid, is_identifier, non_empty, quoted};
use crate::screening::ReferralRule;

/// `[learning]`: the tutorials and the digital-skills screening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learning {
    /// The content pack's folder (read from a file: relative to its folder unless absolute).
    pub content_dir: PathBuf,
    /// In a tutorial or the screening with no touch for this long, ask "are you still there?".
    pub idle_timeout_seconds: u32,
    /// An exercise done without hints counts as done "on their own" with at most this many
    /// wrong taps (more: "with help").
    pub on_own_max_wrong_taps: u32,
    /// The base of the xAPI ids (activities, extensions, the result-code account), an http(s)
    /// URL without a trailing slash.
    pub xapi_base: String,
    /// `[[learning.referral]]`: the first rule that matches a screening result is suggested;
    /// the last rule has no conditions.
    pub referral: Vec<ReferralRule>,
}

impl Learning {
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_seconds.into())
    }
}

impl Default for Learning {
    /// The values `[learning]` takes when the table is left out (as in the sample config).
    fn default() -> Self {
        match LearningFile::default().validate() {
            Ok(learning) => learning,
            Err(error) => unreachable!("the default [learning] is invalid: {error}"),
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct LearningFile {
    content_dir: String,
    idle_timeout_seconds: i64,
    on_own_max_wrong_taps: i64,
    xapi_base: String,
    referral: Vec<ReferralFile>,
}

/// The defaults of `[learning]`, written once (config/loket.toml restates them; a test keeps it so).
impl Default for LearningFile {
    fn default() -> Self {
        let rule = |outcome: &str, label: &str| ReferralFile {
            outcome: outcome.into(),
            label: label.into(),
            on_own: Vec::new(),
            at_least_with_help: Vec::new(),
            not_yet: Vec::new(),
            not_yet_at_most: None,
            not_yet_at_least: None,
        };
        let strings = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>();
        LearningFile {
            content_dir: "content".into(),
            idle_timeout_seconds: 120,
            on_own_max_wrong_taps: 1,
            xapi_base: "https://loket.invalid/xapi".into(),
            referral: vec![
                ReferralFile {
                    on_own: strings(&["x01-touch-warmup", "x04-mail-reply", "x05-video-call"]),
                    ..rule("online-lessons", "Kan online lessen volgen")
                },
                ReferralFile {
                    at_least_with_help: strings(&["x01-touch-warmup", "x02-find-the-app"]),
                    not_yet_at_most: Some(2),
                    ..rule("group-session", "Digisessie in groep (Meet/Zoom en e-mail)")
                },
                rule(
                    "one-to-one",
                    "Eén-op-één begeleiding in het Digilabo (vraag of er een toestel thuis is: leentablet)",
                ),
            ],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReferralFile {
    outcome: String,
    label: String,
    #[serde(default)]
    on_own: Vec<String>,
    #[serde(default)]
    at_least_with_help: Vec<String>,
    #[serde(default)]
    not_yet: Vec<String>,
    #[serde(default)]
    not_yet_at_most: Option<i64>,
    #[serde(default)]
    not_yet_at_least: Option<i64>,
}

impl LearningFile {
    pub(super) fn validate(self) -> Result<Learning, ConfigError> {
        let content_dir = PathBuf::from(non_empty(
            "learning.content_dir",
            &self.content_dir,
            "the folder of the content pack, e.g. \"content\"",
        )?);
        let idle_timeout_seconds =
            in_range("learning.idle_timeout_seconds", self.idle_timeout_seconds, 10, 1800)?;
        let on_own_max_wrong_taps =
            in_range("learning.on_own_max_wrong_taps", self.on_own_max_wrong_taps, 0, 20)?;
        let xapi_base = xapi_base("learning.xapi_base", &self.xapi_base)?;
        if self.referral.is_empty() {
            return Err(invalid(
                "learning.referral",
                "(none)",
                "add at least one [[learning.referral]] table; the last one, without conditions, is the fallback",
            ));
        }
        let last = self.referral.len() - 1;
        let mut referral: Vec<ReferralRule> = Vec::with_capacity(self.referral.len());
        for (index, rule) in self.referral.into_iter().enumerate() {
            let rule = rule.validate(index)?;
            if referral.iter().any(|r| r.outcome == rule.outcome) {
                return Err(invalid(
                    format!("learning.referral[{index}].outcome"),
                    quoted(&rule.outcome),
                    "another rule already has this outcome",
                ));
            }
            let unconditional = rule.on_own.is_empty()
                && rule.at_least_with_help.is_empty()
                && rule.not_yet.is_empty()
                && rule.not_yet_at_most.is_none()
                && rule.not_yet_at_least.is_none();
            if index == last && !unconditional {
                return Err(invalid(
                    format!("learning.referral[{index}]"),
                    format!("{{ outcome = {} }}", quoted(&rule.outcome)),
                    "the last rule must have no conditions: it is the fallback when no other rule matches",
                ));
            }
            if index < last && unconditional {
                return Err(invalid(
                    format!("learning.referral[{index}]"),
                    format!("{{ outcome = {} }}", quoted(&rule.outcome)),
                    "has no conditions, so it always matches and the rules after it are never used; \
                     only the last rule may be without conditions",
                ));
            }
            referral.push(rule);
        }
        Ok(Learning { content_dir, idle_timeout_seconds, on_own_max_wrong_taps, xapi_base, referral })
    }
}

/// An http(s) URL without a trailing slash, query or fragment, used as a base for ids.
fn xapi_base(key: &str, url: &str) -> Result<String, ConfigError> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest else {
        return Err(invalid(key, quoted(url), "must start with https:// or http://"));
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(invalid(key, quoted(url), "must name a host, e.g. \"https://digilabo.example/xapi\""));
    }
    if url.ends_with('/') {
        return Err(invalid(key, quoted(url), "must not end with a slash"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '{' | '}')) {
        return Err(invalid(key, quoted(url), "must be a plain URL without spaces, '?', '#' or braces"));
    }
    if url.len() > 200 {
        return Err(invalid(key, quoted(url), "must be at most 200 characters"));
    }
    Ok(url.to_owned())
}

impl ReferralFile {
    pub(super) fn validate(self, index: usize) -> Result<ReferralRule, ConfigError> {
        let at = |field: &str| format!("learning.referral[{index}].{field}");
        let outcome = identifier(&at("outcome"), &self.outcome)?;
        let label =
            non_empty(&at("label"), &self.label, "what staff read, e.g. \"Kan online lessen volgen\"")?;
        for (field, ids) in [
            ("on_own", &self.on_own),
            ("at_least_with_help", &self.at_least_with_help),
            ("not_yet", &self.not_yet),
        ] {
            for (i, id) in ids.iter().enumerate() {
                let key = format!("learning.referral[{index}].{field}[{i}]");
                if !is_identifier(id) {
                    return Err(invalid(
                        key,
                        quoted(id),
                        "must be a screening exercise id (its folder name), e.g. \"x04-mail-reply\"",
                    ));
                }
                if ids[..i].contains(id) {
                    return Err(invalid(key, quoted(id), "listed twice"));
                }
            }
        }
        let count =
            |field: &str, value: Option<i64>| value.map(|v| in_range(&at(field), v, 0, 100)).transpose();
        let not_yet_at_most = count("not_yet_at_most", self.not_yet_at_most)?;
        let not_yet_at_least = count("not_yet_at_least", self.not_yet_at_least)?;
        if let (Some(most), Some(least)) = (not_yet_at_most, not_yet_at_least)
            && least > most
        {
            return Err(invalid(
                at("not_yet_at_least"),
                least.to_string(),
                format!("is more than not_yet_at_most = {most}, so the rule can never match"),
            ));
        }
        Ok(ReferralRule {
            outcome,
            label,
            on_own: self.on_own,
            at_least_with_help: self.at_least_with_help,
            not_yet: self.not_yet,
            not_yet_at_most,
            not_yet_at_least,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;
    use crate::config::{Config, Learning};
    use std::path::PathBuf;
    use std::time::Duration;

    /// `GOOD` with a `[learning]` table appended (after the desks, as TOML allows).
    fn good_with_learning(learning: &str) -> String {
        format!("{GOOD}\n{learning}")
    }

    const RULES: &str = r#"
[learning]
[[learning.referral]]
outcome = "online"
label = "Online lessen"
on_own = ["x04-mail-reply"]
[[learning.referral]]
outcome = "group"
label = "Groep"
not_yet_at_most = 2
[[learning.referral]]
outcome = "coaching"
label = "Begeleiding"
"#;

    #[test]
    fn learning_takes_its_defaults_when_the_table_is_absent() {
        let config: Config = GOOD.parse().unwrap();
        assert_eq!(config.learning, Learning::default());
        assert_eq!(config.learning.content_dir, PathBuf::from("content"));
        assert_eq!(config.learning.idle_timeout(), Duration::from_secs(120));
        assert_eq!(config.learning.on_own_max_wrong_taps, 1);
        assert_eq!(config.learning.xapi_base, "https://loket.invalid/xapi");
        let outcomes: Vec<&str> = config.learning.referral.iter().map(|r| r.outcome.as_str()).collect();
        assert_eq!(outcomes, ["online-lessons", "group-session", "one-to-one"]);
        assert_eq!(config.site.kiosk_id, "loket-1");
    }

    #[test]
    fn the_sample_learning_table_equals_the_defaults() {
        let config = Config::sample();
        assert_eq!(config.learning, Learning::default());
        assert_eq!(config.site.kiosk_id, "digilabo-onthaal-1");
    }

    #[test]
    fn learning_rules_are_read_in_order() {
        let config: Config = good_with_learning(RULES).parse().unwrap();
        let rules = &config.learning.referral;
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].on_own, ["x04-mail-reply"]);
        assert_eq!((rules[1].not_yet_at_most, rules[1].not_yet_at_least), (Some(2), None));
        assert_eq!(rules[2].label, "Begeleiding");
    }

    #[test]
    fn learning_idle_timeout_out_of_range() {
        let message = error(&good_with_learning("[learning]\nidle_timeout_seconds = 5"));
        assert_names(&message, &["learning.idle_timeout_seconds = 5", "between 10 and 1800"]);
    }

    #[test]
    fn learning_on_own_max_wrong_taps_out_of_range() {
        let message = error(&good_with_learning("[learning]\non_own_max_wrong_taps = -1"));
        assert_names(&message, &["learning.on_own_max_wrong_taps = -1", "between 0 and 20"]);
    }

    #[test]
    fn learning_empty_content_dir() {
        let message = error(&good_with_learning("[learning]\ncontent_dir = \"\""));
        assert_names(&message, &["learning.content_dir = \"\"", "empty"]);
    }

    #[test]
    fn unknown_key_in_learning() {
        let message = error(&good_with_learning("[learning]\nquiz = true"));
        assert_names(&message, &["quiz", "unknown field"]);
    }

    #[test]
    fn unknown_key_in_a_referral_rule() {
        let message = error(&good_with_learning(&RULES.replace("not_yet_at_most", "not_yet_max")));
        assert_names(&message, &["not_yet_max", "unknown field"]);
    }

    #[test]
    fn xapi_base_must_be_an_http_url_without_a_trailing_slash() {
        for (base, reason) in [
            ("ftp://x.example/xapi", "https:// or http://"),
            ("https:///xapi", "host"),
            ("https://x.example/xapi/", "slash"),
            ("https://x.example/xapi?a=1", "plain URL"),
            ("https://x.example/x api", "plain URL"),
        ] {
            let message = error(&good_with_learning(&format!("[learning]\nxapi_base = {base:?}")));
            assert_names(&message, &[&format!("learning.xapi_base = {base:?}"), reason]);
        }
        let config: Config =
            good_with_learning("[learning]\nxapi_base = \"http://10.0.0.5:8080/lrs\"").parse().unwrap();
        assert_eq!(config.learning.xapi_base, "http://10.0.0.5:8080/lrs");
    }

    #[test]
    fn no_referral_rules() {
        let message = error(&good_with_learning("[learning]\nreferral = []"));
        assert_names(&message, &["learning.referral = (none)", "at least one"]);
    }

    #[test]
    fn the_last_referral_rule_must_be_the_fallback() {
        let text = RULES.replace("label = \"Begeleiding\"", "label = \"Begeleiding\"\nnot_yet = [\"x01\"]");
        let message = error(&good_with_learning(&text));
        assert_names(
            &message,
            &["learning.referral[2] = { outcome = \"coaching\" }", "last rule", "no conditions"],
        );
    }

    #[test]
    fn a_rule_without_conditions_before_the_last_is_refused() {
        let message = error(&good_with_learning(&RULES.replace("not_yet_at_most = 2\n", "")));
        assert_names(&message, &["learning.referral[1] = { outcome = \"group\" }", "never used"]);
    }

    #[test]
    fn duplicate_referral_outcome() {
        let message = error(&good_with_learning(&RULES.replace("\"group\"", "\"online\"")));
        assert_names(&message, &["learning.referral[1].outcome = \"online\"", "already"]);
    }

    #[test]
    fn empty_referral_outcome_and_label() {
        let message = error(&good_with_learning(&RULES.replace("\"group\"", "\"\"")));
        assert_names(&message, &["learning.referral[1].outcome = \"\"", "lowercase"]);
        let message = error(&good_with_learning(&RULES.replace("\"Groep\"", "\" \"")));
        assert_names(&message, &["learning.referral[1].label = \" \"", "empty"]);
    }

    #[test]
    fn bad_item_id_in_a_referral_rule() {
        let message = error(&good_with_learning(&RULES.replace("[\"x04-mail-reply\"]", "[\"X04 Mail\"]")));
        assert_names(&message, &["learning.referral[0].on_own[0] = \"X04 Mail\"", "exercise id"]);
        let twice = RULES.replace("[\"x04-mail-reply\"]", "[\"x04-mail-reply\", \"x04-mail-reply\"]");
        let message = error(&good_with_learning(&twice));
        assert_names(&message, &["learning.referral[0].on_own[1] = \"x04-mail-reply\"", "twice"]);
    }

    #[test]
    fn referral_counts_must_be_possible() {
        let message =
            error(&good_with_learning(&RULES.replace("not_yet_at_most = 2", "not_yet_at_most = -2")));
        assert_names(&message, &["learning.referral[1].not_yet_at_most = -2", "between 0 and 100"]);
        let both = RULES.replace("not_yet_at_most = 2", "not_yet_at_most = 2\nnot_yet_at_least = 3");
        let message = error(&good_with_learning(&both));
        assert_names(&message, &["learning.referral[1].not_yet_at_least = 3", "never match"]);
    }
}
