//! The report protocol between a kiosk and `loket-central`: the JSON shapes both sides speak,
//! the paths and the limits. With the `openapi` feature each wire type is also a `ToSchema`, from
//! which loket-central's OpenAPI document takes its schemas (`central/docs/openapi.json` is that
//! document written out).
//!
//! - `POST /api/v1/events` — a [`EventBatch`] of outbox events; the answer, a [`BatchReceipt`],
//!   names every id the central system now holds (stored now, or already before: storing an id
//!   twice is a no-op) and the ones it refused for good, with a reason. The kiosk marks an event
//!   sent only when its id comes back in `stored` or `duplicate`.
//! - `POST /api/v1/heartbeat` — a [`Heartbeat`], the kiosk's last-value state; answered with a
//!   [`HeartbeatReply`] carrying the ETags of the settings and the content pack meant for it.
//! - `GET /api/v1/kiosk/settings` and `GET /api/v1/kiosk/content` — pulled with `If-None-Match`;
//!   `304` when unchanged, `404` when the central system has none for this kiosk.
//!
//! Every request carries `Authorization: Bearer <kiosk token>`; the token names the kiosk, and
//! a batch or heartbeat for another kiosk id is refused (`403`). A wrong or revoked token is
//! `401`, which the kiosk does not retry in a loop. `429` and `503` may carry `Retry-After`
//! (seconds), which the kiosk honours.
//!
//! Privacy: an event's `body` is the kiosk's own record of what happened — tickets (code,
//! service, language, times, desk, outcome), device states and pseudonymous xAPI statements.
//! Nothing a visitor typed, no names, no phone numbers.
//!
//! Pure data: no I/O. It must not know how either side stores or sends anything.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a batch of events is posted.
pub const EVENTS_PATH: &str = "/api/v1/events";
/// Where a heartbeat is posted.
pub const HEARTBEAT_PATH: &str = "/api/v1/heartbeat";
/// The kiosk's settings (a `loket.toml`), pulled with an ETag.
pub const SETTINGS_PATH: &str = "/api/v1/kiosk/settings";
/// The kiosk's content pack (a tar archive of a content folder), pulled with an ETag.
pub const CONTENT_PATH: &str = "/api/v1/kiosk/content";

/// The most events one batch may hold.
pub const MAX_BATCH_EVENTS: usize = 1000;
/// The largest request body the central system accepts, in bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// The largest content pack the central system serves and a kiosk accepts, in bytes.
pub const MAX_CONTENT_BYTES: usize = 64 * 1024 * 1024;

/// One outbox event on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WireEvent {
    /// Unique over all kiosks and all time (a UUID); the idempotency key.
    pub id: String,
    /// The kiosk's own sequence number: increases with every event it records, never reused.
    pub seq: i64,
    /// The event type, e.g. `ticket_issued`, `xapi_statement`, `device_state_changed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened, by the kiosk's clock.
    pub occurred_at: Timestamp,
    /// Whether the kiosk's clock was synchronised (NTP) when the event was recorded; when not,
    /// `occurred_at` may be off, and `boot_id` + `seq` still order the kiosk's events.
    pub clock_synced: bool,
    /// The kiosk's boot (Linux `boot_id`) when the event was recorded.
    pub boot_id: String,
    /// The event itself, as the kiosk recorded it: a JSON object.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}

/// `POST /api/v1/events`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    /// The sending kiosk (`site.kiosk_id`); must be the kiosk its token was made for.
    pub kiosk: String,
    /// When the batch was sent, by the kiosk's clock (lets the central system see a clock that is
    /// off).
    pub sent_at: Timestamp,
    /// At most [`MAX_BATCH_EVENTS`].
    pub events: Vec<WireEvent>,
}

/// An event the central system will never store, and why (e.g. an id that is not a UUID). The
/// kiosk keeps it aside and counts it in its heartbeat rather than sending it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Refused {
    pub id: String,
    pub reason: String,
}

/// The answer to a batch.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchReceipt {
    /// Ids stored by this request.
    pub stored: Vec<String>,
    /// Ids the central system already held (sent before, the answer lost): nothing was changed.
    pub duplicate: Vec<String>,
    /// Ids refused for good.
    #[serde(default)]
    pub refused: Vec<Refused>,
}

/// The printer as the heartbeat reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PrinterHealth {
    /// `ready`, `no_paper`, `not_answering`, `fault`, or `unknown` before the first print.
    pub state: String,
    /// Paper as far as the printer can tell: `ok`, `out` or `unknown` (no status line wired).
    pub paper: String,
    pub detail: String,
}

/// The kiosk's outbox as the heartbeat reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OutboxHealth {
    /// Events recorded and not yet acknowledged.
    pub backlog: u64,
    /// When the oldest of them happened.
    pub oldest_unsent_at: Option<Timestamp>,
    /// Events the kiosk had to drop because its outbox was full, per type, since it was set up.
    pub dropped: BTreeMap<String, u64>,
    /// Events the central system refused for good, kept aside on the kiosk.
    pub refused: u64,
    /// The last time a batch was acknowledged.
    pub last_sent_at: Option<Timestamp>,
}

/// `POST /api/v1/heartbeat`: the kiosk's state now (last value wins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    pub kiosk: String,
    /// The site's name (`site.name`), so the central system can group kiosks.
    pub site: String,
    /// Loket's version.
    pub version: String,
    /// By the kiosk's clock.
    pub sent_at: Timestamp,
    pub uptime_seconds: u64,
    pub boot_id: String,
    pub clock_synced: bool,
    pub printer: PrinterHealth,
    pub outbox: OutboxHealth,
    /// Free bytes on the file system holding the store.
    pub disk_free_bytes: Option<u64>,
    /// `None` where the machine does not expose it.
    pub cpu_temperature_celsius: Option<f64>,
    /// Under-voltage now, and seen since boot (`None` where the machine does not expose it).
    pub under_voltage_now: Option<bool>,
    pub under_voltage_since_boot: Option<bool>,
    /// Problems the kiosk wants staff at the centre to see, e.g. a refused content pack.
    #[serde(default)]
    pub problems: Vec<String>,
}

/// The answer to a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HeartbeatReply {
    /// The central system's clock.
    pub server_time: Timestamp,
    /// The ETag of the settings meant for this kiosk, if there are any.
    pub settings_etag: Option<String>,
    /// The ETag of the content pack meant for this kiosk, if there is one.
    pub content_etag: Option<String>,
}

/// A JSON error answer from the central system: `{"error": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_round_trips_and_refuses_unknown_fields() {
        let batch = EventBatch {
            kiosk: "digilabo-1".into(),
            sent_at: "2026-11-29T10:00:00Z".parse().unwrap(),
            events: vec![WireEvent {
                id: "6f1c1f9e-5b7e-4d0e-9a47-0c8f2d3f6a11".into(),
                seq: 7,
                kind: "ticket_issued".into(),
                occurred_at: "2026-11-29T09:59:58Z".parse().unwrap(),
                clock_synced: true,
                boot_id: "b".into(),
                body: serde_json::json!({"type": "ticket_issued"}),
            }],
        };
        let text = serde_json::to_string(&batch).unwrap();
        assert!(text.contains("\"type\":\"ticket_issued\""), "{text}");
        assert_eq!(serde_json::from_str::<EventBatch>(&text).unwrap(), batch);
        let extra = text.replacen("\"kiosk\"", "\"name\":\"x\",\"kiosk\"", 1);
        let err = serde_json::from_str::<EventBatch>(&extra).unwrap_err().to_string();
        assert!(err.contains("unknown field `name`"), "{err}");
    }
}
