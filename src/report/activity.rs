//! What the reporter did, told as it happens: a try started and ended (with its HTTP status or
//! why it failed), the next try planned after a failure (how long, and by which rule), a batch
//! acknowledged (its last id, the backlog after it), settings or content pulled, the clock
//! still awaited. Tests and tools subscribe ([`Reporter::activity`](super::Reporter::activity))
//! and await what they expect instead of sleeping and counting.
//!
//! Pure data and its channel; the reporter only sends. Nothing is built or sent while nobody
//! listens, so the kiosk pays nothing for it. It must not be used to steer the reporter: it
//! only tells.

use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;

use super::pull::Pulled;
use super::status::ReportState;

/// How many activities a slow listener may fall behind before it misses some.
const CAPACITY: usize = 1024;

/// One thing the reporter did, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub at: Instant,
    pub kind: ActivityKind,
}

/// What the reporter did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityKind {
    /// The reporter's state became one of another kind (see [`ReportState::same_kind`]): told
    /// before the staff console can see it, so a test reads the state the reporter was in,
    /// not the one it has moved on to since.
    StateChanged { state: ReportState },
    /// The clock is not synchronised yet: nothing was tried; looked at again after the poll
    /// interval (told at every look).
    WaitingForClock,
    /// A request to the central system goes out: the `number`th since the reporter started.
    TryStarted { number: u64, request: Request },
    /// It came back with an HTTP status (`Ok`), or without one (`Err`: why).
    TryEnded { number: u64, request: Request, result: Result<u16, String> },
    /// After a failure the reporter waits `delay` before its next try (new events do not cut
    /// it short). For an unreachable central system `failures` counts the failures in a row
    /// (this one included), `ceiling` is the longest wait the backoff drew from for it and
    /// `retry_after` what the central system asked for. A refused token waits the cap
    /// (`ceiling` = `delay` = `report.retry_max_seconds`), a store failure the poll interval;
    /// neither counts as a failure of the backoff.
    RetryPlanned { failures: u32, ceiling: Duration, retry_after: Option<Duration>, delay: Duration },
    /// A receipt was applied: `marked` events marked sent (or refused), the batch's last id, and
    /// the outbox backlog right after.
    Acknowledged { last_id: String, marked: usize, backlog: u64 },
    /// Settings or content the heartbeat named were asked for.
    Pulled { what: Pulled, outcome: PullOutcome },
}

/// What came of asking for settings or content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullOutcome {
    /// Nothing new (304, 404, or an error status tried again at the next heartbeat).
    Unchanged,
    /// Checked and kept under this ETag, used from the next start.
    Kept { etag: String },
    /// Refused or not received; the problem goes with the heartbeats.
    Refused { problem: String },
}

/// A request the reporter tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Heartbeat,
    /// A batch of this many events, the last with this id.
    Events {
        count: usize,
        last_id: String,
    },
}

/// Why the next activity cannot be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error("the reporter has stopped")]
    Stopped,
    #[error("{0} activities were missed: the listener fell more than {CAPACITY} behind")]
    Missed(u64),
}

/// The sending side, held by the reporter.
#[derive(Debug, Clone)]
pub(crate) struct Teller(broadcast::Sender<Activity>);

impl Teller {
    pub(crate) fn new() -> Teller {
        Teller(broadcast::channel(CAPACITY).0)
    }

    /// Whether anybody listens (so that what is told is worth building).
    pub(crate) fn listened(&self) -> bool {
        self.0.receiver_count() > 0
    }

    /// Tells what happened; `kind` is only built when somebody listens.
    pub(crate) fn tell(&self, kind: impl FnOnce() -> ActivityKind) {
        if self.listened() {
            let _ = self.0.send(Activity { at: Instant::now(), kind: kind() });
        }
    }

    pub(crate) fn feed(&self) -> ActivityFeed {
        ActivityFeed(self.0.subscribe())
    }
}

/// What the reporter does from the moment of subscribing, in order.
#[derive(Debug)]
pub struct ActivityFeed(broadcast::Receiver<Activity>);

impl ActivityFeed {
    /// The next activity, waiting for it.
    pub async fn next(&mut self) -> Result<Activity, FeedError> {
        match self.0.recv().await {
            Ok(activity) => Ok(activity),
            Err(broadcast::error::RecvError::Closed) => Err(FeedError::Stopped),
            Err(broadcast::error::RecvError::Lagged(n)) => Err(FeedError::Missed(n)),
        }
    }

    /// Waits for the first activity that `wanted` accepts, passing over (and handing to
    /// `passed`) those before it.
    pub async fn until(
        &mut self,
        mut wanted: impl FnMut(&Activity) -> bool,
        mut passed: impl FnMut(&Activity),
    ) -> Result<Activity, FeedError> {
        loop {
            let activity = self.next().await?;
            if wanted(&activity) {
                return Ok(activity);
            }
            passed(&activity);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn nothing_is_built_while_nobody_listens_and_listeners_hear_in_order() {
        let teller = Teller::new();
        teller.tell(|| unreachable!("built although nobody listens"));
        let mut feed = teller.feed();
        teller.tell(|| ActivityKind::WaitingForClock);
        teller.tell(|| ActivityKind::TryStarted { number: 1, request: Request::Heartbeat });
        assert_eq!(feed.next().await.unwrap().kind, ActivityKind::WaitingForClock);
        let mut passed = Vec::new();
        let started = feed
            .until(|a| matches!(a.kind, ActivityKind::TryStarted { .. }), |a| passed.push(a.clone()))
            .await
            .unwrap();
        assert_eq!(started.kind, ActivityKind::TryStarted { number: 1, request: Request::Heartbeat });
        assert!(passed.is_empty());
        drop(teller);
        assert_eq!(feed.next().await, Err(FeedError::Stopped));
    }

    #[tokio::test]
    async fn a_listener_that_falls_behind_is_told_what_it_missed() {
        let teller = Teller::new();
        let mut feed = teller.feed();
        for _ in 0..CAPACITY + 3 {
            teller.tell(|| ActivityKind::WaitingForClock);
        }
        assert_eq!(feed.next().await, Err(FeedError::Missed(3)));
        assert_eq!(feed.next().await.unwrap().kind, ActivityKind::WaitingForClock);
    }
}
