//! Opening hours: the periods of each weekday in local time, whether the help point is open at a
//! moment and when it opens next. Pure: no clock (the time is passed in), no I/O, no config file
//! (`config::hours` reads `[hours]` into [`OpeningHours`]). The closed screen
//! ([`crate::after_hours`], `ui::closed`) asks it.

use std::str::FromStr;

use jiff::civil::{DateTime, Time, Weekday};

/// One opening period of a day, e.g. `09:00-12:30`: open from `opens` (included) until
/// `closes` (excluded), local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpenPeriod {
    pub opens: Time,
    pub closes: Time,
}

impl OpenPeriod {
    /// Whether `time` falls in this period.
    pub fn contains(&self, time: Time) -> bool {
        self.opens <= time && time < self.closes
    }
}

impl std::fmt::Display for OpenPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.opens.hour(),
            self.opens.minute(),
            self.closes.hour(),
            self.closes.minute()
        )
    }
}

impl FromStr for OpenPeriod {
    /// What is wrong, in words (the caller adds the key and value).
    type Err = String;

    /// Parses `"HH:MM-HH:MM"` (spaces around the dash allowed); opening must be before closing.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const FORM: &str = "must look like \"09:00-12:30\" (HH:MM-HH:MM, 24-hour clock)";
        let (opens, closes) = text.split_once('-').ok_or(FORM)?;
        let opens = parse_clock(opens.trim()).ok_or(FORM)?;
        let closes = parse_clock(closes.trim()).ok_or(FORM)?;
        if opens >= closes {
            return Err("the opening time must be before the closing time".into());
        }
        Ok(OpenPeriod { opens, closes })
    }
}

/// `"HH:MM"` (or `"H:MM"`), 00:00 to 23:59; `None` when it is not such a time of day.
pub fn parse_clock(text: &str) -> Option<Time> {
    let (hour, minute) = text.split_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(hour) || hour.len() > 2 || !digits(minute) || minute.len() != 2 {
        return None;
    }
    let hour: i8 = hour.parse().ok()?;
    let minute: i8 = minute.parse().ok()?;
    Time::new(hour, minute, 0, 0).ok()
}

/// `[hours]`: opening hours in local time, per weekday. A day without periods is closed.
/// Each day's periods are sorted and do not overlap.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpeningHours {
    pub monday: Vec<OpenPeriod>,
    pub tuesday: Vec<OpenPeriod>,
    pub wednesday: Vec<OpenPeriod>,
    pub thursday: Vec<OpenPeriod>,
    pub friday: Vec<OpenPeriod>,
    pub saturday: Vec<OpenPeriod>,
    pub sunday: Vec<OpenPeriod>,
}

impl OpeningHours {
    /// Open every day around the clock (trying the kiosk out of hours: `loket run --always-open`).
    pub fn always_open() -> OpeningHours {
        let day = vec![OpenPeriod { opens: Time::MIN, closes: Time::MAX }];
        OpeningHours {
            monday: day.clone(),
            tuesday: day.clone(),
            wednesday: day.clone(),
            thursday: day.clone(),
            friday: day.clone(),
            saturday: day.clone(),
            sunday: day,
        }
    }

    /// The opening periods on that weekday (empty when closed all day).
    pub fn on(&self, day: Weekday) -> &[OpenPeriod] {
        match day {
            Weekday::Monday => &self.monday,
            Weekday::Tuesday => &self.tuesday,
            Weekday::Wednesday => &self.wednesday,
            Weekday::Thursday => &self.thursday,
            Weekday::Friday => &self.friday,
            Weekday::Saturday => &self.saturday,
            Weekday::Sunday => &self.sunday,
        }
    }

    /// Whether the help point is open at this local date and time.
    pub fn is_open(&self, at: DateTime) -> bool {
        let time = at.time();
        self.on(at.weekday()).iter().any(|p| p.contains(time))
    }

    /// The first moment strictly after `after` at which an opening period starts, looking at
    /// most 7 days ahead (so the same weekday next week counts). `None` when the help point
    /// never opens.
    pub fn next_opening(&self, after: DateTime) -> Option<DateTime> {
        let start = after.date();
        for offset in 0..=7i64 {
            let Ok(date) = start.checked_add(jiff::Span::new().days(offset)) else {
                return None;
            };
            let found = self
                .on(date.weekday())
                .iter()
                .map(|p| date.to_datetime(p.opens))
                .find(|&opening| opening > after);
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn sample_hours() -> OpeningHours {
        OpeningHours {
            monday: vec!["09:00-12:30".parse().unwrap(), "13:30-17:00".parse().unwrap()],
            friday: vec!["09:00-12:00".parse().unwrap()],
            ..OpeningHours::default()
        }
    }

    #[test]
    fn open_period_parses_and_displays() {
        let period: OpenPeriod = " 9:05 - 17:00 ".parse().unwrap();
        assert_eq!(period.to_string(), "09:05-17:00");
        assert!("09:00".parse::<OpenPeriod>().is_err());
        assert!("09:00-09:00".parse::<OpenPeriod>().is_err());
        assert!("09:0-10:00".parse::<OpenPeriod>().is_err());
        assert!("+9:00-10:00".parse::<OpenPeriod>().is_err());
        assert!("09:60-10:00".parse::<OpenPeriod>().is_err());
    }

    #[test]
    fn is_open_follows_the_periods() {
        let hours = sample_hours();
        let monday = date(2025, 6, 2);
        assert_eq!(monday.weekday(), Weekday::Monday);
        assert!(!hours.is_open(monday.at(8, 59, 59, 0)));
        assert!(hours.is_open(monday.at(9, 0, 0, 0)));
        assert!(hours.is_open(monday.at(12, 29, 59, 0)));
        assert!(!hours.is_open(monday.at(12, 30, 0, 0)), "closing time is excluded");
        assert!(!hours.is_open(monday.at(13, 0, 0, 0)), "lunch break");
        assert!(hours.is_open(monday.at(16, 0, 0, 0)));
        assert!(!hours.is_open(date(2025, 6, 3).at(10, 0, 0, 0)), "Tuesday is closed");
    }

    #[test]
    fn next_opening_same_day_after_lunch() {
        let hours = sample_hours();
        let monday = date(2025, 6, 2);
        assert_eq!(hours.next_opening(monday.at(7, 0, 0, 0)), Some(monday.at(9, 0, 0, 0)));
        assert_eq!(hours.next_opening(monday.at(12, 45, 0, 0)), Some(monday.at(13, 30, 0, 0)));
        assert_eq!(
            hours.next_opening(monday.at(9, 0, 0, 0)),
            Some(monday.at(13, 30, 0, 0)),
            "strictly after"
        );
    }

    #[test]
    fn next_opening_skips_closed_days() {
        let hours = sample_hours();
        let monday_evening = date(2025, 6, 2).at(18, 0, 0, 0);
        assert_eq!(hours.next_opening(monday_evening), Some(date(2025, 6, 6).at(9, 0, 0, 0)));
        let friday_noon = date(2025, 6, 6).at(12, 0, 0, 0);
        assert_eq!(hours.next_opening(friday_noon), Some(date(2025, 6, 9).at(9, 0, 0, 0)));
    }

    #[test]
    fn next_opening_a_week_ahead() {
        let hours = OpeningHours { monday: vec!["09:00-12:00".parse().unwrap()], ..OpeningHours::default() };
        let monday = date(2025, 6, 2);
        assert_eq!(hours.next_opening(monday.at(10, 0, 0, 0)), Some(date(2025, 6, 9).at(9, 0, 0, 0)));
    }

    #[test]
    fn next_opening_never_when_always_closed() {
        let hours = OpeningHours::default();
        assert_eq!(hours.next_opening(date(2025, 6, 2).at(10, 0, 0, 0)), None);
        assert!(!hours.is_open(date(2025, 6, 2).at(10, 0, 0, 0)));
    }

    #[test]
    fn next_opening_at_the_end_of_time_does_not_panic() {
        let hours = sample_hours();
        assert_eq!(hours.next_opening(DateTime::MAX), None);
    }
}
