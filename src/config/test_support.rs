//! What the tests of every table share: a small valid configuration and ways to break it.

use super::Config;

/// A small valid configuration; tests change one line to make it bad.
pub(crate) const GOOD: &str = r#"
[site]
name = "Testpunt"
timezone = "Europe/Brussels"
languages = ["nl", "en", "ar"]
local_language = "nl"

[kiosk]
idle_timeout_seconds = 45
countdown_seconds = 10
ticket_screen_seconds = 20
greeting_seconds = 3
data_dir = "data"
now_serving_count = 3

[queue]
default_service_minutes = 8
recent_services = 20

[printer]
kind = "file"
directory = "tickets"

[web]
listen = "127.0.0.1:8080"

[hours]
monday = ["09:00-12:30", "13:30-17:00"]
wednesday = ["09:00-12:00"]

[[service]]
id = "email"
prefix = "E"
pictogram = "email"
names = { nl = "E-mail", en = "E-mail", ar = "البريد الإلكتروني" }

[[service]]
id = "tablet"
prefix = "T"
pictogram = "tablet"
names = { nl = "Tablet lenen", en = "Borrow a tablet", ar = "استعارة جهاز لوحي" }

[[desk]]
id = "desk-1"
name = "Balie 1"
services = ["email", "tablet"]
"#;

/// `GOOD` with the first occurrence of `from` replaced by `to`.
pub(crate) fn good_with(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "test bug: {from:?} not in GOOD");
    GOOD.replacen(from, to, 1)
}

/// The error message for a text that must be rejected.
pub(crate) fn error(text: &str) -> String {
    match text.parse::<Config>() {
        Ok(_) => panic!("accepted a bad config:\n{text}"),
        Err(e) => e.to_string(),
    }
}

pub(crate) fn assert_names(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{part:?} missing from message:\n{message}");
    }
}
