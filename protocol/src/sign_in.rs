//! The sign-in rate limit both servers apply (desk PINs and API tokens at the kiosk, admin
//! passwords at `loket-central`), and the cookie reader both use for their sessions.
//!
//! It owns the failure counts, in memory only: a restart forgets them. It must not check a
//! secret itself (the servers do, with [`crate::secret`]) nor decide what a signed-in user may do.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::{HeaderMap, header};

/// Failed sign-ins for one target (a desk, a user) from one address allowed within
/// [`FAILURE_WINDOW`].
pub const FAILURE_LIMIT: usize = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(5 * 60);

/// Failed attempts per (what was tried, client address). An attempt counts as failed from the
/// moment it starts, so parallel guesses cannot slip past the limit while Argon2 runs; a
/// success clears the count.
#[derive(Default)]
pub struct SignInLimiter(Mutex<HashMap<(String, IpAddr), Vec<Instant>>>);

/// Failed attempts on one target (a desk, or API tokens) from all addresses together within
/// the window, beyond which everyone waits: guessing from many addresses stays slow too.
const FAILURE_LIMIT_ALL: usize = 4 * FAILURE_LIMIT;

/// The address a limit counts: IPv6 clients by their /64 network (one computer can use many
/// addresses in it), IPv4 (also IPv4-mapped) as is.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

impl SignInLimiter {
    /// Starts an attempt, or says how long to wait.
    pub fn begin(&self, target: &str, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let ip = client_key(ip);
        let mut failures = self.0.lock().unwrap_or_else(|e| e.into_inner());
        failures.retain(|_, times| {
            times.retain(|t| now.duration_since(*t) < FAILURE_WINDOW);
            !times.is_empty()
        });
        let wait_from = |oldest: Instant| {
            let wait = FAILURE_WINDOW.saturating_sub(now.duration_since(oldest));
            // Whole seconds, rounded up, so a client that waits as told is let in.
            Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        };
        let all: Vec<Instant> = failures
            .iter()
            .filter(|((t, _), _)| t == target)
            .flat_map(|(_, times)| times.iter().copied())
            .collect();
        if all.len() >= FAILURE_LIMIT_ALL {
            return Err(wait_from(all.iter().min().copied().unwrap_or(now)));
        }
        let times = failures.entry((target.to_owned(), ip)).or_default();
        if times.len() >= FAILURE_LIMIT {
            return Err(wait_from(times.iter().min().copied().unwrap_or(now)));
        }
        times.push(now);
        Ok(())
    }

    /// The attempt succeeded: forget the failures.
    pub fn succeeded(&self, target: &str, ip: IpAddr) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&(target.to_owned(), client_key(ip)));
    }
}

/// The value of the cookie `name` in a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const ELSEWHERE: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7));

    #[test]
    fn guesses_from_many_addresses_of_one_ipv6_network_share_one_limit() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for host in 0..FAILURE_LIMIT as u16 {
            let ip: IpAddr = std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, host + 1).into();
            assert_eq!(limiter.begin("desk-1", ip, now), Ok(()));
        }
        let another: IpAddr = std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, 9).into();
        assert!(limiter.begin("desk-1", another, now).is_err(), "same /64");
        let other_network: IpAddr = std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1).into();
        assert_eq!(limiter.begin("desk-1", other_network, now), Ok(()));
    }

    #[test]
    fn guesses_from_many_addresses_hit_a_limit_per_desk() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for i in 0..FAILURE_LIMIT_ALL {
            let ip = IpAddr::V4(Ipv4Addr::new(10, 0, (i / 4) as u8, (i % 4) as u8 + 1));
            assert_eq!(limiter.begin("desk-1", ip, now), Ok(()), "attempt {i}");
        }
        let fresh = IpAddr::V4(Ipv4Addr::new(10, 9, 9, 9));
        assert!(limiter.begin("desk-1", fresh, now).is_err(), "the desk's own cap");
        assert_eq!(limiter.begin("desk-2", fresh, now), Ok(()), "other desks are not affected");
    }

    #[test]
    fn the_sixth_attempt_within_five_minutes_waits_until_the_first_leaves_the_window() {
        let limiter = SignInLimiter::default();
        let start = Instant::now();
        for i in 0..5 {
            assert_eq!(limiter.begin("desk-1", HOME, start + Duration::from_secs(i)), Ok(()));
        }
        let at = start + Duration::from_secs(60);
        assert_eq!(limiter.begin("desk-1", HOME, at), Err(Duration::from_secs(240)));
        assert_eq!(limiter.begin("desk-2", HOME, at), Ok(()), "per desk");
        assert_eq!(limiter.begin("desk-1", ELSEWHERE, at), Ok(()), "per address");
        assert_eq!(limiter.begin("desk-1", HOME, start + FAILURE_WINDOW), Ok(()), "the window passed");
    }

    #[test]
    fn a_success_clears_the_failures() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for _ in 0..4 {
            limiter.begin("desk-1", HOME, now).unwrap();
        }
        limiter.succeeded("desk-1", HOME);
        for _ in 0..5 {
            assert_eq!(limiter.begin("desk-1", HOME, now), Ok(()));
        }
        assert!(limiter.begin("desk-1", HOME, now).is_err());
    }

    #[test]
    fn a_cookie_is_found_by_its_whole_name_among_others() {
        let mut headers = HeaderMap::new();
        headers
            .insert(header::COOKIE, http::HeaderValue::from_static("theme=dark; loket_session=abc123; x=1"));
        assert_eq!(cookie(&headers, "loket_session"), Some("abc123"));
        headers.insert(header::COOKIE, http::HeaderValue::from_static("loket_sessionx=abc"));
        assert_eq!(cookie(&headers, "loket_session"), None);
    }
}
