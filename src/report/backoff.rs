//! When to try again after a failed request: exponential backoff with full jitter
//! (`delay = random(0, min(cap, base · 2^failures))`), reset by a success, and the central
//! system's own `Retry-After` honoured when it gives one.
//!
//! Pure: the random number is an argument, so tests check the bounds exactly.

use std::time::Duration;

/// The first retry waits up to this long (then 2×, 4×, … up to the cap).
pub const DEFAULT_BASE: Duration = Duration::from_secs(2);

/// The state of retrying after failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    /// Backoff starting at `base` and never waiting longer than `cap`.
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff { base, cap: cap.max(base), failures: 0 }
    }

    /// Failures in a row since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// A request succeeded: the next failure starts again from `base`.
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }

    /// The longest the next wait may be: `min(cap, base · 2^failures)` (before this failure).
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX);
        self.base.checked_mul(factor).map_or(self.cap, |d| d.min(self.cap))
    }

    /// A request failed: how long to wait before the next one. `unit` is a random number in
    /// `[0, 1)`; `retry_after` is the server's `Retry-After`, which is waited at least (but never
    /// longer than the cap).
    pub fn failed(&mut self, unit: f64, retry_after: Option<Duration>) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        let jittered = ceiling.mul_f64(unit.clamp(0.0, 1.0));
        match retry_after {
            Some(after) => after.min(self.cap).max(jittered),
            None => jittered,
        }
    }

    /// The cap: how long an unrecoverable failure (a refused token) waits between tries.
    pub fn cap(&self) -> Duration {
        self.cap
    }
}

/// Reads a `Retry-After` header given in seconds (the HTTP-date form is not used by the
/// central system and gives `None`).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A random number in `[0, 1)` for the jitter (from a v4 UUID's random bits: no extra crate).
pub fn random_unit() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn waits_grow_exponentially_up_to_the_cap() {
        let mut backoff = Backoff::new(2 * SECOND, 900 * SECOND);
        let ceilings: Vec<u64> = (0..12)
            .map(|_| {
                let c = backoff.ceiling().as_secs();
                backoff.failed(0.5, None);
                c
            })
            .collect();
        assert_eq!(ceilings, [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]);
    }

    #[test]
    fn full_jitter_stays_between_zero_and_the_ceiling() {
        let mut backoff = Backoff::new(2 * SECOND, 60 * SECOND);
        for _ in 0..4 {
            backoff.failed(0.5, None);
        }
        let ceiling = backoff.ceiling();
        assert_eq!(ceiling, 32 * SECOND);
        assert_eq!(backoff.clone().failed(0.0, None), Duration::ZERO);
        assert_eq!(backoff.clone().failed(0.25, None), 8 * SECOND);
        assert!(backoff.clone().failed(0.999_999, None) < ceiling);
        for _ in 0..1000 {
            let wait = backoff.clone().failed(random_unit(), None);
            assert!(wait < ceiling, "{wait:?}");
        }
    }

    #[test]
    fn huge_failure_counts_never_overflow() {
        let mut backoff = Backoff::new(2 * SECOND, 900 * SECOND);
        for _ in 0..500 {
            assert!(backoff.failed(1.0, None) <= 900 * SECOND);
        }
        assert_eq!(backoff.ceiling(), 900 * SECOND);
    }

    #[test]
    fn a_success_starts_again_from_the_base() {
        let mut backoff = Backoff::new(2 * SECOND, 900 * SECOND);
        for _ in 0..5 {
            backoff.failed(1.0, None);
        }
        backoff.succeeded();
        assert_eq!(backoff.failures(), 0);
        assert_eq!(backoff.ceiling(), 2 * SECOND);
    }

    #[test]
    fn retry_after_is_waited_at_least_but_not_beyond_the_cap() {
        let mut backoff = Backoff::new(2 * SECOND, 900 * SECOND);
        assert_eq!(backoff.failed(0.0, Some(30 * SECOND)), 30 * SECOND, "longer than the jitter");
        let mut capped = Backoff::new(2 * SECOND, 60 * SECOND);
        assert_eq!(capped.failed(0.0, Some(3600 * SECOND)), 60 * SECOND);
        let mut long = Backoff::new(2 * SECOND, 900 * SECOND);
        for _ in 0..8 {
            long.failed(1.0, None);
        }
        assert_eq!(long.failed(0.5, Some(SECOND)), 256 * SECOND, "the jitter when it is longer");
    }

    #[test]
    fn retry_after_in_seconds_is_read_and_a_date_is_not() {
        assert_eq!(parse_retry_after(" 1 "), Some(SECOND));
        assert_eq!(parse_retry_after("120"), Some(120 * SECOND));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-5"), None);
    }

    #[test]
    fn random_units_are_in_range() {
        for _ in 0..1000 {
            let u = random_unit();
            assert!((0.0..1.0).contains(&u), "{u}");
        }
    }
}
