//! `[display]`: the screen outside the opening hours (when it goes dark, whether the backlight
//! is switched). It must not touch the backlight (that is [`crate::after_hours`]).

use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, in_range, invalid, quoted};

/// `[display]`: the screen outside the opening hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Display {
    /// Minutes the "closed" message stays lit (after closing time or a touch) before the screen
    /// goes dark; 0 = never dark.
    pub dark_after_closed_minutes: u32,
    /// Switch the panel's backlight off when dark: `Auto` takes the first one in
    /// /sys/class/backlight (DSI panels have one, HDMI screens do not).
    pub backlight: BacklightSetting,
}

impl Display {
    /// How long the closed message stays lit; `None` never goes dark.
    pub fn dark_after(&self) -> Option<Duration> {
        (self.dark_after_closed_minutes > 0)
            .then(|| Duration::from_secs(u64::from(self.dark_after_closed_minutes) * 60))
    }
}

/// `display.backlight`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BacklightSetting {
    Auto,
    None,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DisplayFile {
    #[serde(default = "default_dark_after")]
    dark_after_closed_minutes: i64,
    #[serde(default = "default_backlight")]
    backlight: String,
}

fn default_dark_after() -> i64 {
    10
}

fn default_backlight() -> String {
    "auto".into()
}

impl Default for DisplayFile {
    fn default() -> Self {
        DisplayFile { dark_after_closed_minutes: default_dark_after(), backlight: default_backlight() }
    }
}

impl DisplayFile {
    pub(super) fn validate(self) -> Result<Display, ConfigError> {
        let backlight = match self.backlight.as_str() {
            "auto" => BacklightSetting::Auto,
            "none" => BacklightSetting::None,
            other => return Err(invalid("display.backlight", quoted(other), "must be \"auto\" or \"none\"")),
        };
        Ok(Display {
            dark_after_closed_minutes: in_range(
                "display.dark_after_closed_minutes",
                self.dark_after_closed_minutes,
                0,
                1440,
            )?,
            backlight,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::test_support::*;

    #[test]
    fn never_dark_is_zero_minutes() {
        let config =
            Config::from_toml(&format!("{GOOD}\n[display]\ndark_after_closed_minutes = 0\n")).unwrap();
        assert_eq!(config.display.dark_after(), None);
    }

    #[test]
    fn bad_backlight_setting() {
        let message = error(&format!("{GOOD}\n[display]\nbacklight = \"dim\"\n"));
        assert_names(&message, &["display.backlight = \"dim\"", "\"auto\" or \"none\""]);
    }
}
