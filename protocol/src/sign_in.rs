//! The sign-in rate limit both servers apply (desk PINs at the kiosk, admin passwords at
//! `loket-central`), the check that a sign-in comes from the server's own pages, and the cookie
//! reader both use for their sessions.
//!
//! It owns the failure counts, in memory only: a restart forgets them. Two rules, so that no
//! one can lock someone else out:
//! - per account (a desk, an admin name) and address: after [`FAILURE_LIMIT`] failures within
//!   [`FAILURE_WINDOW`] that address is refused on that account until the oldest failure leaves
//!   the window. Other addresses are not affected.
//! - per account, all addresses together: beyond [`SlowDown::after`] failures within the window
//!   every attempt on the account waits its turn, one after another, each a little longer
//!   ([`SlowDown::step`] more per failure, at most [`SlowDown::max`]), so the staff's right PIN
//!   still gets in, a few seconds late. Only when more attempts wait than three turns at the
//!   cap is the newest asked to try again in a few seconds (connections are not held without
//!   bound). An address that signed in to the account before does not wait.
//!
//! The state is bounded whatever the clients send: accounts are kept by a keyed hash of their
//! name (a fixed size, however long the name), each list of failures is capped, and at most
//! [`MAX_ENTRIES`] accounts and as many (account, address) pairs are kept; beyond that the
//! least recently used is forgotten. It must not check a secret itself (the servers do, with
//! [`crate::secret`]) nor decide what a signed-in user may do.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::{HeaderMap, header};

/// Failed sign-ins for one account from one address allowed within [`FAILURE_WINDOW`].
pub const FAILURE_LIMIT: usize = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(5 * 60);
/// At most this many accounts, and as many (account, address) pairs, are remembered.
pub const MAX_ENTRIES: usize = 4096;
/// An address that signed in to an account skips that account's slow-down this long.
pub const TRUSTED_FOR: Duration = Duration::from_secs(12 * 60 * 60);
/// Addresses remembered as trusted per account.
const MAX_TRUSTED: usize = 8;
/// A slowed-down attempt whose turn is further away than this many [`SlowDown::max`] is
/// answered "try again later" instead of being held open.
const QUEUE_TURNS: u32 = 3;

/// How attempts on one account slow down when many addresses fail on it together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlowDown {
    /// Failures within the window, from all addresses, before attempts start to wait.
    pub after: usize,
    /// Each failure beyond `after` makes the next attempt wait this much longer.
    pub step: Duration,
    /// The longest wait per attempt.
    pub max: Duration,
}

impl Default for SlowDown {
    /// After 10 failures: 1 s, 2 s, … up to 10 s per attempt, one attempt at a time: at most
    /// 6 guesses a minute on one account, from any number of addresses.
    fn default() -> SlowDown {
        SlowDown { after: 2 * FAILURE_LIMIT, step: Duration::from_secs(1), max: Duration::from_secs(10) }
    }
}

impl SlowDown {
    fn wait_after(&self, failures: usize) -> Duration {
        if failures < self.after {
            return Duration::ZERO;
        }
        let beyond = u32::try_from(failures - self.after + 1).unwrap_or(u32::MAX);
        self.step.saturating_mul(beyond).min(self.max)
    }

    /// Failures worth keeping per account: beyond these the wait no longer grows.
    fn failures_kept(&self) -> usize {
        let steps = if self.step.is_zero() { 1 } else { self.max.as_nanos() / self.step.as_nanos() + 1 };
        self.after + usize::try_from(steps).unwrap_or(usize::MAX).min(1024)
    }
}

/// One account's shared state.
struct Account {
    /// Failed (or running) attempts from all addresses, oldest first, at most
    /// [`SlowDown::failures_kept`].
    failures: VecDeque<Instant>,
    /// When the next slowed-down attempt may run.
    next_turn: Instant,
    /// Addresses that signed in here, with when.
    trusted: Vec<(IpAddr, Instant)>,
    last_used: Instant,
}

#[derive(Default)]
struct Counts {
    accounts: HashMap<u64, Account>,
    /// Failed (or running) attempts per (account, address), at most [`FAILURE_LIMIT`].
    by_address: HashMap<(u64, IpAddr), Vec<Instant>>,
}

/// The sign-in limits of one server. An attempt counts as failed from the moment it starts,
/// so parallel guesses cannot slip past the limit while Argon2 runs; a success clears the
/// address's failures.
pub struct SignInLimiter {
    counts: Mutex<Counts>,
    /// Keys the account names' hashes: nobody outside can aim two names at one entry.
    hasher: std::collections::hash_map::RandomState,
    slow_down: SlowDown,
}

impl Default for SignInLimiter {
    fn default() -> SignInLimiter {
        SignInLimiter::new(SlowDown::default())
    }
}

/// The address a limit counts (the sign-in limits and both servers' connection caps): IPv6
/// clients by their /64 network (one computer can use many addresses in it), IPv4 (also
/// IPv4-mapped) as is.
pub fn client_network(ip: IpAddr) -> IpAddr {
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

/// Whole seconds, rounded up, so a client that waits as told is let in.
fn whole_seconds(wait: Duration) -> Duration {
    Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
}

impl SignInLimiter {
    pub fn new(slow_down: SlowDown) -> SignInLimiter {
        SignInLimiter { counts: Mutex::default(), hasher: Default::default(), slow_down }
    }

    fn account_key(&self, target: &str) -> u64 {
        self.hasher.hash_one(target)
    }

    /// Starts an attempt on `target` from `ip`: `Ok(wait)` — check the secret after waiting
    /// `wait` (zero unless the account is slowed down) — or `Err(retry_after)`.
    pub fn begin(&self, target: &str, ip: IpAddr, now: Instant) -> Result<Duration, Duration> {
        let key = self.account_key(target);
        let ip = client_network(ip);
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let Counts { accounts, by_address } = &mut *counts;

        let recent = |t: &Instant| now.saturating_duration_since(*t) < FAILURE_WINDOW;
        if !by_address.contains_key(&(key, ip)) && by_address.len() >= MAX_ENTRIES {
            by_address.retain(|_, times| times.iter().any(recent));
            evict_oldest(by_address, |times| times.iter().max().copied());
        }
        let own = by_address.entry((key, ip)).or_default();
        own.retain(recent);
        if own.len() >= FAILURE_LIMIT {
            let oldest = own.iter().min().copied().unwrap_or(now);
            return Err(whole_seconds(FAILURE_WINDOW.saturating_sub(now.saturating_duration_since(oldest))));
        }

        if !accounts.contains_key(&key) && accounts.len() >= MAX_ENTRIES {
            accounts.retain(|_, a| {
                a.failures.iter().any(recent)
                    || a.trusted.iter().any(|(_, at)| now.saturating_duration_since(*at) < TRUSTED_FOR)
            });
            evict_oldest(accounts, |a| Some(a.last_used));
        }
        let account = accounts.entry(key).or_insert_with(|| Account {
            failures: VecDeque::new(),
            next_turn: now,
            trusted: Vec::new(),
            last_used: now,
        });
        account.last_used = now;
        while account.failures.front().is_some_and(|t| !recent(t)) {
            account.failures.pop_front();
        }
        account.trusted.retain(|(_, at)| now.saturating_duration_since(*at) < TRUSTED_FOR);
        let trusted = account.trusted.iter().any(|(a, _)| *a == ip);
        let mut wait = Duration::ZERO;
        let step = self.slow_down.wait_after(account.failures.len());
        if !step.is_zero() && !trusted {
            let turn = account.next_turn.max(now) + step;
            wait = turn - now;
            if wait > self.slow_down.max * QUEUE_TURNS {
                return Err(whole_seconds(wait - self.slow_down.max));
            }
            account.next_turn = turn;
        }

        own.push(now);
        account.failures.push_back(now);
        while account.failures.len() > self.slow_down.failures_kept() {
            account.failures.pop_front();
        }
        Ok(wait)
    }

    /// The attempt started at `started` was not made after all (the server was busy): it does
    /// not count.
    pub fn withdraw(&self, target: &str, ip: IpAddr, started: Instant) {
        let key = self.account_key(target);
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = counts.by_address.get_mut(&(key, client_network(ip)))
            && let Some(i) = times.iter().position(|t| *t == started)
        {
            times.swap_remove(i);
        }
        if let Some(account) = counts.accounts.get_mut(&key)
            && let Some(i) = account.failures.iter().position(|t| *t == started)
        {
            account.failures.remove(i);
        }
    }

    /// The attempt succeeded: forget this address's failures on `target`, and let it skip the
    /// account's slow-down for [`TRUSTED_FOR`].
    pub fn succeeded(&self, target: &str, ip: IpAddr, now: Instant) {
        let key = self.account_key(target);
        let ip = client_network(ip);
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let own = counts.by_address.remove(&(key, ip)).unwrap_or_default();
        if let Some(account) = counts.accounts.get_mut(&key) {
            account.failures.retain(|t| !own.contains(t));
            account.trusted.retain(|(a, _)| *a != ip);
            if account.trusted.len() >= MAX_TRUSTED {
                account.trusted.remove(0);
            }
            account.trusted.push((ip, now));
        }
    }

    /// How many entries (accounts plus (account, address) pairs) the limiter holds: at most
    /// twice [`MAX_ENTRIES`], each of a bounded size.
    pub fn entries(&self) -> usize {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.accounts.len() + counts.by_address.len()
    }
}

/// Forgets the entry used longest ago when `map` is full.
fn evict_oldest<K: Copy + Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, V>,
    last_used: impl Fn(&V) -> Option<Instant>,
) {
    if map.len() < MAX_ENTRIES {
        return;
    }
    if let Some(oldest) = map.iter().min_by_key(|(_, v)| last_used(v)).map(|(k, _)| *k) {
        map.remove(&oldest);
    }
}

/// Why a request that signs in (or changes something) was refused as coming from another
/// site's page: a browser says so in `Sec-Fetch-Site`, or sends an `Origin` that is not the
/// server's own (`Host`, or one of `own_origins` such as the public URL behind a proxy).
/// Requests without either header (scripts, old browsers) pass: they carry no one's cookies
/// or desk PC by surprise.
pub fn cross_site(headers: &HeaderMap, own_origins: &[&str]) -> Option<String> {
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("");
        return match site {
            "same-origin" | "none" => None,
            other => {
                Some(format!("refused: the request came from another site's page (Sec-Fetch-Site: {other})"))
            }
        };
    }
    let origin = headers.get(header::ORIGIN)?;
    let origin = origin.to_str().unwrap_or("").trim_end_matches('/');
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
    let own = (!host.is_empty() && origin_host.eq_ignore_ascii_case(host))
        || own_origins.iter().any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin));
    if own {
        None
    } else {
        Some(format!("refused: the request came from another site's page (Origin: {origin})"))
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

    fn address(i: usize) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, (i >> 16) as u8, (i >> 8) as u8, i as u8))
    }

    #[test]
    fn guesses_from_many_addresses_of_one_ipv6_network_share_one_limit() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for host in 0..FAILURE_LIMIT as u16 {
            let ip: IpAddr = std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, host + 1).into();
            assert_eq!(limiter.begin("desk-1", ip, now), Ok(Duration::ZERO));
        }
        let another: IpAddr = std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, 9).into();
        assert!(limiter.begin("desk-1", another, now).is_err(), "same /64");
        let other_network: IpAddr = std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1).into();
        assert_eq!(limiter.begin("desk-1", other_network, now), Ok(Duration::ZERO));
    }

    #[test]
    fn guesses_from_many_addresses_slow_the_desk_down_but_never_lock_it() {
        let limiter = SignInLimiter::default();
        let rules = SlowDown::default();
        let now = Instant::now();
        // Five wrong PINs from each of four addresses, each tried when its turn came.
        let mut at = Instant::now();
        for i in 0..4 * FAILURE_LIMIT {
            let wait = limiter.begin("desk-1", address(i / FAILURE_LIMIT), at).expect("slowed, not refused");
            assert!(wait <= rules.max, "attempt {i}: {wait:?}");
            at += wait;
        }
        // The staff's own address: not refused, it waits its turn, at most the cap.
        let wait = limiter.begin("desk-1", HOME, at).expect("the right PIN is not refused");
        assert!(wait > Duration::ZERO && wait <= rules.max, "{wait:?}");
        assert_eq!(limiter.begin("desk-2", HOME, now), Ok(Duration::ZERO), "other desks are not affected");
    }

    #[test]
    fn slowed_down_attempts_take_turns_and_the_wait_is_capped() {
        let rules = SlowDown { after: 2, step: Duration::from_secs(1), max: Duration::from_secs(3) };
        let limiter = SignInLimiter::new(rules);
        let now = Instant::now();
        let waits: Vec<_> = (0..6).map(|i| limiter.begin("admin", address(i), now)).collect();
        let s = Duration::from_secs;
        // Free, free; then 1 s, 1+2 s, 3+3 s, 6+3 s in turn: one attempt at a time.
        assert_eq!(waits, [Ok(s(0)), Ok(s(0)), Ok(s(1)), Ok(s(3)), Ok(s(6)), Ok(s(9))]);
        // The next turn would be 12 s away, beyond three turns of the cap: try again later.
        assert_eq!(limiter.begin("admin", address(7), now), Err(s(9)));
        // Later, the turns have passed; the wait per attempt stays at the cap.
        assert_eq!(limiter.begin("admin", address(8), now + s(60)), Ok(s(3)));
    }

    #[test]
    fn an_address_that_signed_in_skips_the_slow_down() {
        let limiter = SignInLimiter::new(SlowDown { after: 1, ..SlowDown::default() });
        let now = Instant::now();
        assert_eq!(limiter.begin("desk-1", HOME, now), Ok(Duration::ZERO));
        limiter.succeeded("desk-1", HOME, now);
        assert_eq!(limiter.begin("desk-1", ELSEWHERE, now), Ok(Duration::ZERO));
        assert!(limiter.begin("desk-1", address(3), now).unwrap() > Duration::ZERO, "a stranger waits");
        assert_eq!(limiter.begin("desk-1", HOME, now), Ok(Duration::ZERO), "the staff's address does not");
        let later = now + TRUSTED_FOR;
        assert_eq!(limiter.begin("desk-1", address(4), later), Ok(Duration::ZERO));
        assert!(limiter.begin("desk-1", HOME, later).unwrap() > Duration::ZERO, "for a while");
    }

    #[test]
    fn the_sixth_attempt_within_five_minutes_waits_until_the_first_leaves_the_window() {
        let limiter = SignInLimiter::default();
        let start = Instant::now();
        for i in 0..5 {
            assert_eq!(limiter.begin("desk-1", HOME, start + Duration::from_secs(i)), Ok(Duration::ZERO));
        }
        let at = start + Duration::from_secs(60);
        assert_eq!(limiter.begin("desk-1", HOME, at), Err(Duration::from_secs(240)));
        assert_eq!(limiter.begin("desk-2", HOME, at), Ok(Duration::ZERO), "per desk");
        assert_eq!(limiter.begin("desk-1", ELSEWHERE, at), Ok(Duration::ZERO), "per address");
        assert!(limiter.begin("desk-1", HOME, start + FAILURE_WINDOW).is_ok(), "the window passed");
    }

    #[test]
    fn a_success_clears_the_failures() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for _ in 0..4 {
            limiter.begin("desk-1", HOME, now).unwrap();
        }
        limiter.succeeded("desk-1", HOME, now);
        for _ in 0..5 {
            assert_eq!(limiter.begin("desk-1", HOME, now), Ok(Duration::ZERO));
        }
        assert!(limiter.begin("desk-1", HOME, now).is_err());
    }

    #[test]
    fn a_withdrawn_attempt_does_not_count() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for i in 0..10u64 {
            let at = now + Duration::from_millis(i);
            limiter.begin("desk-1", HOME, at).unwrap();
            limiter.withdraw("desk-1", HOME, at);
        }
        assert_eq!(limiter.begin("desk-1", HOME, now), Ok(Duration::ZERO));
    }

    #[test]
    fn the_state_stays_bounded_whatever_names_and_addresses_are_sent() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        let long = "x".repeat(16 * 1024);
        for i in 0..MAX_ENTRIES + 1000 {
            let name = format!("{i}{long}");
            let _ = limiter.begin(&name, address(i), now);
            let _ = limiter.begin(&long, address(i), now);
        }
        assert!(limiter.entries() <= 2 * MAX_ENTRIES, "{}", limiter.entries());
        // A desk under attack by many addresses keeps its own, capped list of failures.
        let counts = limiter.counts.lock().unwrap();
        let kept = counts.accounts.values().map(|a| a.failures.len()).max().unwrap_or(0);
        assert!(kept <= SlowDown::default().failures_kept(), "{kept}");
    }

    #[test]
    fn a_sign_in_from_another_site_is_named_and_one_from_the_page_itself_passes() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, http::HeaderValue::from_static(v));
            }
            h
        };
        let own = [("host", "kiosk.local:8080"), ("origin", "http://kiosk.local:8080")];
        assert_eq!(cross_site(&headers(&own), &[]), None);
        assert_eq!(cross_site(&headers(&[("host", "kiosk.local:8080")]), &[]), None, "a script");
        assert_eq!(cross_site(&headers(&[("sec-fetch-site", "same-origin")]), &[]), None);
        let evil =
            cross_site(&headers(&[("host", "kiosk.local:8080"), ("origin", "https://evil.example")]), &[]);
        assert!(evil.is_some_and(|m| m.contains("evil.example")));
        let fetch = cross_site(&headers(&[("sec-fetch-site", "cross-site")]), &[]);
        assert!(fetch.is_some_and(|m| m.contains("cross-site")));
        assert!(cross_site(&headers(&[("sec-fetch-site", "same-site")]), &[]).is_some());
        assert!(cross_site(&headers(&[("host", "a"), ("origin", "null")]), &[]).is_some());
        let proxied = [("host", "127.0.0.1:8470"), ("origin", "https://central.example.org")];
        assert_eq!(cross_site(&headers(&proxied), &["https://central.example.org/"]), None, "public URL");
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
