//! Outside the opening hours: the kiosk shows "Closed — open again Monday 09:00", then, after a
//! while without a touch and once nobody is waiting any more, goes dark (backlight off). A touch
//! on the dark screen brings the message back; opening time brings the kiosk back.
//!
//! [`AfterHours`] is the pure rule, driven by "open or not" and elapsed time passed in, so it
//! is tested without a clock or a screen. The backlight is a side effect behind [`Backlight`]:
//! [`SysfsBacklight`] writes `/sys/class/backlight/*/bl_power` (or `brightness`), the simulated
//! one only remembers. It must not know about Slint; `ui` shows what it says.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::civil::{DateTime, Weekday};

/// What the screen shows with respect to the opening hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Open: the normal screens.
    Open,
    /// Closed: the message with the next opening, backlight on.
    Closed,
    /// Closed and nobody around: a black screen, backlight off.
    Dark,
}

/// The after-hours rule.
#[derive(Debug, Clone)]
pub struct AfterHours {
    /// How long the closed message stays after closing or after a touch before going dark;
    /// `None` never goes dark.
    dark_after: Option<Duration>,
    shown: Shown,
    since_touch: Duration,
}

impl AfterHours {
    pub fn new(dark_after: Option<Duration>) -> AfterHours {
        AfterHours { dark_after, shown: Shown::Open, since_touch: Duration::ZERO }
    }

    pub fn shown(&self) -> Shown {
        self.shown
    }

    /// Time passed; `open` is whether the help point is open now, `queue_empty` whether nobody
    /// is waiting or being called (the screen never goes dark in front of waiting people).
    /// Returns true when what is shown changed.
    pub fn tick(&mut self, open: bool, queue_empty: bool, elapsed: Duration) -> bool {
        let before = self.shown;
        self.shown = match (open, self.shown) {
            (true, _) => Shown::Open,
            (false, Shown::Open) => {
                self.since_touch = Duration::ZERO;
                Shown::Closed
            }
            (false, Shown::Closed) => {
                self.since_touch += elapsed;
                match self.dark_after {
                    Some(after) if self.since_touch >= after && queue_empty => Shown::Dark,
                    _ => Shown::Closed,
                }
            }
            (false, Shown::Dark) => Shown::Dark,
        };
        self.shown != before
    }

    /// A touch on the closed or dark screen: the message again, for another `dark_after`.
    /// Returns true when what is shown changed.
    pub fn touched(&mut self) -> bool {
        self.since_touch = Duration::ZERO;
        if self.shown == Shown::Dark {
            self.shown = Shown::Closed;
            return true;
        }
        false
    }
}

/// How the next opening is said: "today", "tomorrow" or a weekday, and the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpensOn {
    Today,
    Tomorrow,
    /// 0 = Monday … 6 = Sunday.
    Weekday(u8),
}

/// The next opening as the closed screen says it, seen from `now`: the day and `HH:MM`.
pub fn next_opening_words(now: DateTime, next: DateTime) -> (OpensOn, String) {
    let days = (next.date() - now.date()).get_days();
    let on = match days {
        0 => OpensOn::Today,
        1 => OpensOn::Tomorrow,
        _ => OpensOn::Weekday(weekday_index(next.weekday())),
    };
    (on, format!("{:02}:{:02}", next.hour(), next.minute()))
}

fn weekday_index(day: Weekday) -> u8 {
    day.to_monday_zero_offset() as u8
}

/// The screen's backlight.
pub trait Backlight: Send {
    /// Switches the light on or off.
    fn set_on(&mut self, on: bool) -> std::io::Result<()>;
    /// What it is, for the log.
    fn describe(&self) -> String;
}

/// A panel's backlight in sysfs (`/sys/class/backlight/<name>`): `bl_power` 0 (on) or 4 (off)
/// where the driver has it, otherwise `brightness` 0 and back to what it was. Writable by the
/// `video` group on Raspberry Pi OS (udev rule 60-backlight.rules).
pub struct SysfsBacklight {
    dir: PathBuf,
    /// The brightness to restore, when `bl_power` is missing.
    restore: Option<String>,
}

impl SysfsBacklight {
    /// The first backlight under `class_dir` (normally `/sys/class/backlight`), if any: HDMI
    /// screens have none.
    pub fn find(class_dir: &Path) -> Option<SysfsBacklight> {
        let mut dirs: Vec<PathBuf> =
            std::fs::read_dir(class_dir).ok()?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        dirs.sort();
        dirs.into_iter().next().map(|dir| SysfsBacklight { dir, restore: None })
    }
}

impl Backlight for SysfsBacklight {
    fn set_on(&mut self, on: bool) -> std::io::Result<()> {
        let bl_power = self.dir.join("bl_power");
        if bl_power.exists() {
            return std::fs::write(bl_power, if on { "0" } else { "4" });
        }
        let brightness = self.dir.join("brightness");
        if on {
            let level = match self.restore.take() {
                Some(level) => level,
                None => std::fs::read_to_string(self.dir.join("max_brightness"))?.trim().to_owned(),
            };
            std::fs::write(brightness, level)
        } else {
            let current = std::fs::read_to_string(&brightness)?.trim().to_owned();
            if current != "0" {
                self.restore = Some(current);
            }
            std::fs::write(brightness, "0")
        }
    }

    fn describe(&self) -> String {
        format!("backlight {}", self.dir.display())
    }
}

/// No backlight to switch (an HDMI screen, a laptop, the tests): remembers the last state so
/// tests can look.
#[derive(Clone, Default)]
pub struct SimulatedBacklight {
    on: Arc<Mutex<Option<bool>>>,
}

impl SimulatedBacklight {
    /// The last state asked for; `None` before any.
    pub fn is_on(&self) -> Option<bool> {
        *self.on.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Backlight for SimulatedBacklight {
    fn set_on(&mut self, on: bool) -> std::io::Result<()> {
        *self.on.lock().unwrap_or_else(|e| e.into_inner()) = Some(on);
        Ok(())
    }

    fn describe(&self) -> String {
        "no backlight control (the closed screen is drawn black)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn closing_shows_the_message_then_goes_dark_once_nobody_waits() {
        let mut a = AfterHours::new(Some(10 * MIN));
        assert!(!a.tick(true, true, MIN));
        assert_eq!(a.shown(), Shown::Open);
        assert!(a.tick(false, false, MIN), "closing time");
        assert_eq!(a.shown(), Shown::Closed);
        a.tick(false, false, 15 * MIN);
        assert_eq!(a.shown(), Shown::Closed, "people still wait to be called: stays lit");
        assert!(a.tick(false, true, MIN));
        assert_eq!(a.shown(), Shown::Dark);
    }

    #[test]
    fn a_touch_wakes_the_dark_screen_for_another_while() {
        let mut a = AfterHours::new(Some(10 * MIN));
        a.tick(false, true, MIN);
        a.tick(false, true, 10 * MIN);
        assert_eq!(a.shown(), Shown::Dark);
        assert!(a.touched());
        assert_eq!(a.shown(), Shown::Closed);
        a.tick(false, true, 9 * MIN);
        assert_eq!(a.shown(), Shown::Closed);
        a.tick(false, true, MIN);
        assert_eq!(a.shown(), Shown::Dark);
    }

    #[test]
    fn opening_time_brings_the_kiosk_back_even_when_dark() {
        let mut a = AfterHours::new(Some(MIN));
        a.tick(false, true, MIN);
        a.tick(false, true, MIN);
        assert_eq!(a.shown(), Shown::Dark);
        assert!(a.tick(true, true, MIN));
        assert_eq!(a.shown(), Shown::Open);
    }

    #[test]
    fn without_dark_after_the_message_stays() {
        let mut a = AfterHours::new(None);
        a.tick(false, true, MIN);
        a.tick(false, true, 1000 * MIN);
        assert_eq!(a.shown(), Shown::Closed);
    }

    #[test]
    fn the_next_opening_is_today_tomorrow_or_a_weekday() {
        let friday = jiff::civil::date(2026, 12, 4);
        let evening = friday.at(18, 0, 0, 0);
        assert_eq!(
            next_opening_words(friday.at(12, 45, 0, 0), friday.at(13, 30, 0, 0)),
            (OpensOn::Today, "13:30".into())
        );
        let saturday = jiff::civil::date(2026, 12, 5).at(9, 0, 0, 0);
        assert_eq!(next_opening_words(evening, saturday), (OpensOn::Tomorrow, "09:00".into()));
        let monday = jiff::civil::date(2026, 12, 7).at(9, 0, 0, 0);
        assert_eq!(next_opening_words(evening, monday), (OpensOn::Weekday(0), "09:00".into()));
    }

    #[test]
    fn sysfs_backlight_uses_bl_power_when_there() {
        let dir = tempfile::tempdir().unwrap();
        let panel = dir.path().join("10-0045");
        std::fs::create_dir(&panel).unwrap();
        std::fs::write(panel.join("bl_power"), "0").unwrap();
        let mut light = SysfsBacklight::find(dir.path()).unwrap();
        light.set_on(false).unwrap();
        assert_eq!(std::fs::read_to_string(panel.join("bl_power")).unwrap(), "4");
        light.set_on(true).unwrap();
        assert_eq!(std::fs::read_to_string(panel.join("bl_power")).unwrap(), "0");
    }

    #[test]
    fn sysfs_backlight_otherwise_dims_to_zero_and_restores_the_level() {
        let dir = tempfile::tempdir().unwrap();
        let panel = dir.path().join("rpi_backlight");
        std::fs::create_dir(&panel).unwrap();
        std::fs::write(panel.join("brightness"), "180\n").unwrap();
        std::fs::write(panel.join("max_brightness"), "255\n").unwrap();
        let mut light = SysfsBacklight::find(dir.path()).unwrap();
        light.set_on(false).unwrap();
        assert_eq!(std::fs::read_to_string(panel.join("brightness")).unwrap(), "0");
        light.set_on(true).unwrap();
        assert_eq!(std::fs::read_to_string(panel.join("brightness")).unwrap(), "180");
    }

    #[test]
    fn no_backlight_dir_means_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(SysfsBacklight::find(dir.path()).is_none());
        assert!(SysfsBacklight::find(&dir.path().join("missing")).is_none());
    }
}
