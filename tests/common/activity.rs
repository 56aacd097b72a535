//! Awaiting what the reporter did (its activity feed, `loket::report::activity`) in tests,
//! instead of sleeping and counting. Every wait has a generous deadline only so that a test
//! waiting for something that never comes fails, naming what it waited for and what came
//! instead; no test passes or fails by the deadline's length.

use std::time::Duration;

use loket::report::activity::{Activity, ActivityFeed, ActivityKind, FeedError};

/// Long enough for a loaded machine; reached only when the awaited thing never comes.
const DEADLINE: Duration = Duration::from_secs(90);

/// A feed and everything read from it so far, in order.
pub struct Watch {
    feed: ActivityFeed,
    pub seen: Vec<Activity>,
}

impl Watch {
    pub fn new(feed: ActivityFeed) -> Watch {
        Watch { feed, seen: Vec::new() }
    }

    /// Waits for the next activity `wanted` accepts (those before it are kept in `seen` too).
    pub async fn until(&mut self, what: &str, mut wanted: impl FnMut(&ActivityKind) -> bool) -> Activity {
        let seen = &mut self.seen;
        let found =
            tokio::time::timeout(DEADLINE, self.feed.until(|a| wanted(&a.kind), |a| seen.push(a.clone())))
                .await;
        match found {
            Ok(Ok(activity)) => {
                self.seen.push(activity.clone());
                activity
            }
            Ok(Err(e)) => panic!("waiting for {what}: {e}; before: {:#?}", self.tail()),
            Err(_) => panic!("waiting for {what}: not within {DEADLINE:?}; before: {:#?}", self.tail()),
        }
    }

    /// Reads everything up to the reporter's end (call after stopping it).
    pub async fn read_until_stopped(&mut self) {
        loop {
            match tokio::time::timeout(DEADLINE, self.feed.next()).await {
                Ok(Ok(activity)) => self.seen.push(activity),
                Ok(Err(FeedError::Stopped)) => return,
                Ok(Err(e)) => panic!("reading to the end: {e}"),
                Err(_) => panic!("the reporter did not stop within {DEADLINE:?}"),
            }
        }
    }

    /// How many of what was seen `counted` accepts.
    pub fn count(&self, mut counted: impl FnMut(&ActivityKind) -> bool) -> usize {
        self.seen.iter().filter(|a| counted(&a.kind)).count()
    }

    fn tail(&self) -> &[Activity] {
        &self.seen[self.seen.len().saturating_sub(8)..]
    }
}

/// A try started.
pub fn try_started(kind: &ActivityKind) -> bool {
    matches!(kind, ActivityKind::TryStarted { .. })
}

/// A try ended.
pub fn try_ended(kind: &ActivityKind) -> bool {
    matches!(kind, ActivityKind::TryEnded { .. })
}

/// A retry planned after a failure.
pub fn retry_planned(kind: &ActivityKind) -> bool {
    matches!(kind, ActivityKind::RetryPlanned { .. })
}
