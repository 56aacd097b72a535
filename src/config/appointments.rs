//! `[appointments]`: whether visitors with an appointment check in at the kiosk, and the
//! windows of their check-in and call. The rules themselves are [`crate::appointment`]'s.

use serde::Deserialize;

use super::{ConfigError, in_range, invalid, quoted};

/// What happens to a visitor who checks in later than `late_minutes` after their time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatePolicySetting {
    /// Still called before walk-ins.
    Priority,
    /// Joins the walk-in line.
    WalkIn,
}

/// `[appointments]`: check-in for booked visitors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointments {
    /// "I have an appointment" on the welcome screen, and the console's appointment pages.
    pub enabled: bool,
    /// How many minutes before their time a visitor may check in.
    pub check_in_early_minutes: u32,
    /// After their time plus this many minutes a check-in is late (see `late_policy`).
    pub late_minutes: u32,
    pub late_policy: LatePolicySetting,
    /// An appointment not checked in by its time plus this many minutes is a no-show.
    pub call_window_minutes: u32,
    /// Whether staff may note a name with an appointment (deleted after the day).
    pub names: bool,
    /// The minutes staff plan for one appointment.
    pub expected_minutes: u32,
}

impl Default for Appointments {
    fn default() -> Self {
        // Valid by construction: the defaults below pass the checks.
        AppointmentsFile::default().validate().unwrap_or(Appointments {
            enabled: false,
            check_in_early_minutes: 30,
            late_minutes: 15,
            late_policy: LatePolicySetting::Priority,
            call_window_minutes: 30,
            names: false,
            expected_minutes: 20,
        })
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct AppointmentsFile {
    enabled: bool,
    check_in_early_minutes: i64,
    late_minutes: i64,
    late_policy: String,
    call_window_minutes: i64,
    names: bool,
    expected_minutes: i64,
}

impl Default for AppointmentsFile {
    fn default() -> Self {
        AppointmentsFile {
            enabled: false,
            check_in_early_minutes: 30,
            late_minutes: 15,
            late_policy: "priority".into(),
            call_window_minutes: 30,
            names: false,
            expected_minutes: 20,
        }
    }
}

impl AppointmentsFile {
    pub(super) fn validate(self) -> Result<Appointments, ConfigError> {
        let late_policy = match self.late_policy.as_str() {
            "priority" => LatePolicySetting::Priority,
            "walk_in" => LatePolicySetting::WalkIn,
            other => {
                return Err(invalid(
                    "appointments.late_policy",
                    quoted(other),
                    "must be \"priority\" (still called first) or \"walk_in\" (joins the walk-in line)",
                ));
            }
        };
        let late_minutes = in_range("appointments.late_minutes", self.late_minutes, 0, 240)?;
        let call_window_minutes =
            in_range("appointments.call_window_minutes", self.call_window_minutes, 1, 240)?;
        if call_window_minutes < late_minutes {
            return Err(invalid(
                "appointments.call_window_minutes",
                call_window_minutes.to_string(),
                format!(
                    "must be at least appointments.late_minutes ({late_minutes}): a late visitor would be a \
                     no-show before being late"
                ),
            ));
        }
        Ok(Appointments {
            enabled: self.enabled,
            check_in_early_minutes: in_range(
                "appointments.check_in_early_minutes",
                self.check_in_early_minutes,
                0,
                240,
            )?,
            late_minutes,
            late_policy,
            call_window_minutes,
            names: self.names,
            expected_minutes: in_range("appointments.expected_minutes", self.expected_minutes, 1, 480)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;
    use crate::config::{Config, LatePolicySetting};

    #[test]
    fn left_out_it_is_off_with_the_documented_defaults() {
        let config: Config = GOOD.parse().unwrap();
        let a = &config.appointments;
        assert!(!a.enabled && !a.names);
        assert_eq!((a.check_in_early_minutes, a.late_minutes, a.call_window_minutes), (30, 15, 30));
        assert_eq!((a.late_policy, a.expected_minutes), (LatePolicySetting::Priority, 20));
    }

    #[test]
    fn every_key_is_read() {
        let config: Config = format!(
            "{GOOD}\n[appointments]\nenabled = true\ncheck_in_early_minutes = 10\nlate_minutes = 5\n\
             late_policy = \"walk_in\"\ncall_window_minutes = 45\nnames = true\nexpected_minutes = 30\n"
        )
        .parse()
        .unwrap();
        let a = &config.appointments;
        assert!(a.enabled && a.names);
        assert_eq!((a.check_in_early_minutes, a.late_minutes, a.call_window_minutes), (10, 5, 45));
        assert_eq!((a.late_policy, a.expected_minutes), (LatePolicySetting::WalkIn, 30));
    }

    #[test]
    fn an_unknown_late_policy_is_named() {
        let message = error(&format!("{GOOD}\n[appointments]\nlate_policy = \"queue\"\n"));
        assert_names(&message, &["appointments.late_policy = \"queue\"", "walk_in"]);
    }

    #[test]
    fn an_unknown_key_is_refused() {
        let message = error(&format!("{GOOD}\n[appointments]\nearly_minutes = 10\n"));
        assert_names(&message, &["early_minutes"]);
    }

    #[test]
    fn a_window_shorter_than_lateness_is_refused() {
        let message =
            error(&format!("{GOOD}\n[appointments]\nlate_minutes = 40\ncall_window_minutes = 30\n"));
        assert_names(&message, &["appointments.call_window_minutes = 30", "late_minutes (40)"]);
    }

    #[test]
    fn out_of_range_minutes_are_named() {
        let message = error(&format!("{GOOD}\n[appointments]\nexpected_minutes = 0\n"));
        assert_names(&message, &["appointments.expected_minutes = 0", "between 1 and 480"]);
    }
}
