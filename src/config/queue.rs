//! `[queue]`: how waiting times are estimated and which outcomes a desk may give. The estimate
//! itself is [`crate::queue`]'s.

use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, in_range, invalid, non_empty, quoted};

/// `[queue]`: how waiting times are estimated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    /// Assumed service time (minutes) before there is any history.
    pub default_service_minutes: u32,
    /// How many recent service times the estimate learns from.
    pub recent_services: u32,
    /// Outcomes a desk may give when it marks a visitor served (optional, for the figures).
    pub outcomes: Vec<String>,
}

impl QueueSettings {
    pub fn default_service_time(&self) -> Duration {
        Duration::from_secs(u64::from(self.default_service_minutes) * 60)
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct QueueFile {
    default_service_minutes: i64,
    recent_services: i64,
    outcomes: Vec<String>,
}

impl Default for QueueFile {
    fn default() -> Self {
        QueueFile { default_service_minutes: 8, recent_services: 20, outcomes: Vec::new() }
    }
}

impl QueueFile {
    pub(super) fn validate(self) -> Result<QueueSettings, ConfigError> {
        Ok(QueueSettings {
            default_service_minutes: in_range(
                "queue.default_service_minutes",
                self.default_service_minutes,
                1,
                240,
            )?,
            recent_services: in_range("queue.recent_services", self.recent_services, 1, 500)?,
            outcomes: {
                for (i, outcome) in self.outcomes.iter().enumerate() {
                    non_empty(&format!("queue.outcomes[{i}]"), outcome, "a short label such as \"Helped\"")?;
                    if self.outcomes[..i].contains(outcome) {
                        return Err(invalid(format!("queue.outcomes[{i}]"), quoted(outcome), "listed twice"));
                    }
                }
                self.outcomes
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;

    #[test]
    fn recent_services_out_of_range() {
        let message = error(&good_with("recent_services = 20", "recent_services = 0"));
        assert_names(&message, &["queue.recent_services = 0", "between 1 and 500"]);
    }
}
