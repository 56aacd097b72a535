//! `[kiosk]`: the touchscreen's timings, the data folder and the "now serving" strip. It must
//! not create the data folder (that is `setup`).

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, in_range, non_empty};

/// `[kiosk]`: timings and screen settings of the touchscreen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    /// On a choice screen with no touch for this long, ask "are you still there?".
    pub idle_timeout_seconds: u32,
    /// How long that question (with its countdown) stays before going back to welcome.
    pub countdown_seconds: u32,
    /// How long the ticket stays on screen.
    pub ticket_screen_seconds: u32,
    /// How often the welcome greeting changes language.
    pub greeting_seconds: u32,
    /// Where the SQLite store and printed-ticket files live (read from a file: relative to its folder
    /// unless absolute).
    pub data_dir: PathBuf,
    /// How many calls the "now serving" strip shows.
    pub now_serving_count: u32,
}

impl Kiosk {
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_seconds.into())
    }
    pub fn countdown(&self) -> Duration {
        Duration::from_secs(self.countdown_seconds.into())
    }
    pub fn ticket_screen_time(&self) -> Duration {
        Duration::from_secs(self.ticket_screen_seconds.into())
    }
    pub fn greeting_interval(&self) -> Duration {
        Duration::from_secs(self.greeting_seconds.into())
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct KioskFile {
    idle_timeout_seconds: i64,
    countdown_seconds: i64,
    ticket_screen_seconds: i64,
    greeting_seconds: i64,
    data_dir: String,
    now_serving_count: i64,
}

impl Default for KioskFile {
    fn default() -> Self {
        KioskFile {
            idle_timeout_seconds: 45,
            countdown_seconds: 10,
            ticket_screen_seconds: 20,
            greeting_seconds: 3,
            data_dir: "loket-data".into(),
            now_serving_count: 3,
        }
    }
}

impl KioskFile {
    pub(super) fn validate(self) -> Result<Kiosk, ConfigError> {
        Ok(Kiosk {
            idle_timeout_seconds: in_range("kiosk.idle_timeout_seconds", self.idle_timeout_seconds, 5, 600)?,
            countdown_seconds: in_range("kiosk.countdown_seconds", self.countdown_seconds, 3, 60)?,
            ticket_screen_seconds: in_range(
                "kiosk.ticket_screen_seconds",
                self.ticket_screen_seconds,
                5,
                300,
            )?,
            greeting_seconds: in_range("kiosk.greeting_seconds", self.greeting_seconds, 1, 30)?,
            data_dir: PathBuf::from(non_empty(
                "kiosk.data_dir",
                &self.data_dir,
                "the folder for the ticket store, e.g. \"loket-data\"",
            )?),
            now_serving_count: in_range("kiosk.now_serving_count", self.now_serving_count, 1, 8)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;

    #[test]
    fn unknown_key_in_kiosk() {
        let message = error(&good_with("now_serving_count = 3", "now_serving_count = 3\nscreensaver = true"));
        assert_names(&message, &["screensaver", "unknown field"]);
    }

    #[test]
    fn wrong_type() {
        let message = error(&good_with("greeting_seconds = 3", "greeting_seconds = \"3\""));
        assert_names(&message, &["greeting_seconds"]);
    }

    #[test]
    fn idle_timeout_out_of_range() {
        let message = error(&good_with("idle_timeout_seconds = 45", "idle_timeout_seconds = 601"));
        assert_names(&message, &["kiosk.idle_timeout_seconds = 601", "between 5 and 600"]);
    }

    #[test]
    fn negative_countdown() {
        let message = error(&good_with("countdown_seconds = 10", "countdown_seconds = -1"));
        assert_names(&message, &["kiosk.countdown_seconds = -1", "between 3 and 60"]);
    }

    #[test]
    fn now_serving_count_out_of_range() {
        let message = error(&good_with("now_serving_count = 3", "now_serving_count = 9"));
        assert_names(&message, &["kiosk.now_serving_count = 9", "between 1 and 8"]);
    }

    #[test]
    fn empty_data_dir() {
        let message = error(&good_with("data_dir = \"data\"", "data_dir = \"\""));
        assert_names(&message, &["kiosk.data_dir = \"\"", "empty"]);
    }
}
