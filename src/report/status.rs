//! What the reporter is doing, as the staff console and the kiosk's `/health` show it: off,
//! sending, up to date, waiting for the clock, central unreachable since …, token refused.
//!
//! Pure data and its one shared cell ([`ReportView`]); the reporter writes it, the web server
//! reads it. It must not hold its lock across anything slow.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use serde::Serialize;

/// The reporter's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ReportState {
    /// `report.central_url` is empty.
    Off,
    /// Started, nothing tried yet.
    Starting,
    /// Waiting for the clock to be synchronised before speaking HTTPS.
    WaitingForClock,
    /// Sending a backlog.
    Sending,
    /// Everything recorded has been acknowledged.
    UpToDate,
    /// The central system cannot be reached (or answers with an error) since then.
    Unreachable { since: Timestamp, reason: String },
    /// The central system refused this kiosk's token (401 or 403).
    TokenRefused { status: u16 },
}

impl ReportState {
    /// One sentence for staff and the log.
    pub fn describe(&self) -> String {
        match self {
            ReportState::Off => "reporting is off (report.central_url is empty)".into(),
            ReportState::Starting => "starting".into(),
            ReportState::WaitingForClock => {
                "waiting for the clock to be synchronised (NTP) before sending".into()
            }
            ReportState::Sending => "sending".into(),
            ReportState::UpToDate => "up to date".into(),
            ReportState::Unreachable { since, reason } => {
                format!("the central system is unreachable since {since}: {reason}")
            }
            ReportState::TokenRefused { status } => {
                format!("the central system refused this kiosk's token ({status}): check report.token_file")
            }
        }
    }

    /// Whether `other` is the same kind of state (a change of reason is not a change of state).
    pub fn same_kind(&self, other: &ReportState) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// The reporter's state with its outbox figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportStatus {
    #[serde(flatten)]
    pub state: ReportState,
    /// The state in words.
    pub message: String,
    pub backlog: u64,
    pub oldest_unsent_at: Option<Timestamp>,
    pub last_sent_at: Option<Timestamp>,
    /// Events refused for good by the central system, kept aside.
    pub refused: u64,
    /// Events dropped because the outbox was full, per type.
    pub dropped: BTreeMap<String, u64>,
    /// Problems with what the central system handed out (settings, content).
    pub problems: Vec<String>,
}

impl ReportStatus {
    pub fn new(state: ReportState) -> ReportStatus {
        ReportStatus {
            message: state.describe(),
            state,
            backlog: 0,
            oldest_unsent_at: None,
            last_sent_at: None,
            refused: 0,
            dropped: BTreeMap::new(),
            problems: Vec::new(),
        }
    }
}

/// The shared, always current status (cheap to clone).
#[derive(Debug, Clone)]
pub struct ReportView(Arc<Mutex<ReportStatus>>);

impl ReportView {
    pub fn new(state: ReportState) -> ReportView {
        ReportView(Arc::new(Mutex::new(ReportStatus::new(state))))
    }

    /// The status now.
    pub fn status(&self) -> ReportStatus {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut ReportStatus)) {
        let mut status = self.0.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut status);
        status.message = status.state.describe();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_serialises_with_its_state_and_message() {
        let view = ReportView::new(ReportState::Starting);
        view.update(|s| {
            s.state = ReportState::TokenRefused { status: 401 };
            s.backlog = 12;
        });
        let json = serde_json::to_value(view.status()).unwrap();
        assert_eq!(json["state"], "token_refused");
        assert_eq!(json["status"], 401);
        assert_eq!(json["backlog"], 12);
        assert_eq!(
            json["message"],
            "the central system refused this kiosk's token (401): check report.token_file"
        );
        let off = serde_json::to_value(ReportStatus::new(ReportState::Off)).unwrap();
        assert_eq!(off["state"], "off");
    }

    #[test]
    fn a_new_reason_is_not_a_new_state() {
        let a = ReportState::Unreachable { since: Timestamp::UNIX_EPOCH, reason: "a".into() };
        let b = ReportState::Unreachable { since: Timestamp::UNIX_EPOCH, reason: "b".into() };
        assert!(a.same_kind(&b));
        assert!(!a.same_kind(&ReportState::UpToDate));
    }
}
