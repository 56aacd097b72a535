//! `[maintenance]`: when the nightly tidy-up runs and how long tickets are kept. It must not
//! run it (that is [`crate::maintenance`]).

use jiff::civil::Time;
use serde::Deserialize;

use super::{ConfigError, in_range, invalid, quoted};
use crate::opening_hours::parse_clock;

/// `[maintenance]`: the nightly clean-up of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintenance {
    /// Local time (site.timezone) of the nightly run.
    pub nightly_at: Time,
    /// Days that tickets and screening details are kept; daily figures are kept for good.
    pub retention_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MaintenanceFile {
    #[serde(default = "default_nightly_at")]
    nightly_at: String,
    #[serde(default = "default_retention_days")]
    retention_days: i64,
}

fn default_nightly_at() -> String {
    "03:00".into()
}

fn default_retention_days() -> i64 {
    90
}

impl Default for MaintenanceFile {
    fn default() -> Self {
        MaintenanceFile { nightly_at: default_nightly_at(), retention_days: default_retention_days() }
    }
}

impl MaintenanceFile {
    pub(super) fn validate(self) -> Result<Maintenance, ConfigError> {
        let nightly_at = parse_clock(self.nightly_at.trim()).ok_or_else(|| {
            invalid("maintenance.nightly_at", quoted(&self.nightly_at), "must look like \"03:00\" (HH:MM)")
        })?;
        Ok(Maintenance {
            nightly_at,
            retention_days: in_range("maintenance.retention_days", self.retention_days, 1, 3650)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;

    #[test]
    fn bad_nightly_time() {
        let message = error(&format!("{GOOD}\n[maintenance]\nnightly_at = \"3 am\"\n"));
        assert_names(&message, &["maintenance.nightly_at = \"3 am\"", "HH:MM"]);
    }

    #[test]
    fn retention_out_of_range() {
        let message = error(&format!("{GOOD}\n[maintenance]\nretention_days = 0\n"));
        assert_names(&message, &["maintenance.retention_days", "0"]);
    }
}
