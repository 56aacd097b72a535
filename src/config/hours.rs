//! `[hours]`: the opening hours as written, per weekday, read into [`OpeningHours`] with
//! messages that name the day and the period. What they mean (open now? open again when?) is
//! [`crate::opening_hours`]; this module only parses and checks.

use serde::Deserialize;

use super::{ConfigError, invalid, quoted};
use crate::opening_hours::{OpenPeriod, OpeningHours};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HoursFile {
    #[serde(default)]
    monday: Vec<String>,
    #[serde(default)]
    tuesday: Vec<String>,
    #[serde(default)]
    wednesday: Vec<String>,
    #[serde(default)]
    thursday: Vec<String>,
    #[serde(default)]
    friday: Vec<String>,
    #[serde(default)]
    saturday: Vec<String>,
    #[serde(default)]
    sunday: Vec<String>,
}

fn validate_day(day: &str, periods: &[String]) -> Result<Vec<OpenPeriod>, ConfigError> {
    let mut parsed: Vec<OpenPeriod> = Vec::with_capacity(periods.len());
    for (index, text) in periods.iter().enumerate() {
        let key = format!("hours.{day}[{index}]");
        let period: OpenPeriod =
            text.parse().map_err(|reason: String| invalid(&key, quoted(text), reason))?;
        if let Some(previous) = parsed.last()
            && period.opens < previous.closes
        {
            return Err(invalid(
                key,
                quoted(text),
                format!(
                    "overlaps or comes before \"{previous}\"; list a day's periods in order, without overlap"
                ),
            ));
        }
        parsed.push(period);
    }
    Ok(parsed)
}

impl HoursFile {
    pub(super) fn validate(self) -> Result<OpeningHours, ConfigError> {
        Ok(OpeningHours {
            monday: validate_day("monday", &self.monday)?,
            tuesday: validate_day("tuesday", &self.tuesday)?,
            wednesday: validate_day("wednesday", &self.wednesday)?,
            thursday: validate_day("thursday", &self.thursday)?,
            friday: validate_day("friday", &self.friday)?,
            saturday: validate_day("saturday", &self.saturday)?,
            sunday: validate_day("sunday", &self.sunday)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;
    use crate::config::{Config, OpeningHours};
    use jiff::civil::date;

    #[test]
    fn unknown_day_in_hours() {
        let message = error(&good_with("wednesday =", "woensdag ="));
        assert_names(&message, &["woensdag", "unknown field"]);
    }

    #[test]
    fn bad_hours_string() {
        let message = error(&good_with("\"13:30-17:00\"", "\"13.30-17.00\""));
        assert_names(&message, &["hours.monday[1] = \"13.30-17.00\"", "HH:MM-HH:MM"]);
    }

    #[test]
    fn hours_impossible_time() {
        let message = error(&good_with("\"13:30-17:00\"", "\"13:30-24:00\""));
        assert_names(&message, &["hours.monday[1] = \"13:30-24:00\"", "HH:MM-HH:MM"]);
    }

    #[test]
    fn hours_closing_before_opening() {
        let message = error(&good_with("\"09:00-12:00\"", "\"12:00-09:00\""));
        assert_names(&message, &["hours.wednesday[0] = \"12:00-09:00\"", "before the closing"]);
    }

    #[test]
    fn overlapping_hours() {
        let message = error(&good_with("\"13:30-17:00\"", "\"12:00-17:00\""));
        assert_names(&message, &["hours.monday[1] = \"12:00-17:00\"", "overlaps", "09:00-12:30"]);
    }

    #[test]
    fn unsorted_hours() {
        let message =
            error(&good_with("[\"09:00-12:30\", \"13:30-17:00\"]", "[\"13:30-17:00\", \"09:00-12:30\"]"));
        assert_names(&message, &["hours.monday[1] = \"09:00-12:30\"", "in order"]);
    }

    #[test]
    fn sample_hours_are_weekdays_with_lunch_break() {
        let hours = Config::sample().hours;
        let wednesday = date(2025, 6, 4);
        assert!(hours.is_open(wednesday.at(10, 0, 0, 0)));
        assert!(!hours.is_open(wednesday.at(12, 45, 0, 0)));
        let saturday = date(2025, 6, 7);
        assert_eq!(hours.next_opening(saturday.at(10, 0, 0, 0)), Some(date(2025, 6, 9).at(9, 0, 0, 0)));
    }

    #[test]
    fn always_open_is_open_at_any_hour_of_any_day() {
        let hours = OpeningHours::always_open();
        for day in 1..=7 {
            for (h, m) in [(0, 0), (3, 17), (12, 0), (23, 59)] {
                let at = date(2025, 6, day).at(h, m, 0, 0);
                assert!(hours.is_open(at), "{at}");
            }
        }
        assert!(
            !Config::sample().hours.is_open(date(2025, 6, 7).at(12, 0, 0, 0)),
            "the sample closes on Saturday"
        );
    }
}
