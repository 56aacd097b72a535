//! Who is asking: desk sessions (a cookie plus a CSRF token), API tokens for machines, and the
//! rate limit on signing in.
//!
//! It owns the session table, the sign-in limiter, the cache of verified API tokens and the
//! `/api/v1/session` routes. Sessions and limits live in memory only: a restart signs every
//! desk out, which is acceptable at a help point. It must not log or keep a PIN, must not
//! verify a secret on an async worker (Argon2 is slow on purpose: `spawn_blocking`), and must
//! not decide what a desk may do beyond "this desk" or "any desk" — that is the routes' job.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::WebState;
use super::error::{ErrorBody, JsonBody, WebError};
use crate::secret::{self, same_secret};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "loket_session";
/// The header that carries a session's CSRF token on every change.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A session ends this long after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// Failed sign-ins for one desk from one address allowed within [`FAILURE_WINDOW`].
pub const FAILURE_LIMIT: usize = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(5 * 60);

const WRONG_DESK_OR_PIN: &str = "wrong desk or PIN";

/// A signed-in desk.
#[derive(Debug, Clone)]
struct Session {
    desk: String,
    csrf_token: String,
    created: Instant,
}

/// The signed-in desks, by session id.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    /// Opens a session for `desk`: (session id, CSRF token).
    fn open(&self, desk: &str, now: Instant) -> (String, String) {
        let id = secret::new_token();
        let csrf_token = secret::new_token();
        let mut sessions = self.0.lock().unwrap_or_else(|e| e.into_inner());
        sessions.retain(|_, s| now.duration_since(s.created) < SESSION_LIFETIME);
        sessions.insert(
            id.clone(),
            Session { desk: desk.to_owned(), csrf_token: csrf_token.clone(), created: now },
        );
        (id, csrf_token)
    }

    fn get(&self, id: &str, now: Instant) -> Option<Session> {
        let mut sessions = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let session = sessions.get(id)?.clone();
        if now.duration_since(session.created) >= SESSION_LIFETIME {
            sessions.remove(id);
            return None;
        }
        Some(session)
    }

    /// Whether the session is still signed in.
    pub(super) fn is_open(&self, id: &str, now: Instant) -> bool {
        self.get(id, now).is_some()
    }

    fn close(&self, id: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

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

/// API tokens already verified (Argon2 is too slow to run on every request), by token.
#[derive(Default)]
pub struct VerifiedTokens(Mutex<HashMap<String, String>>);

/// Who sent a request that needs staff rights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staff {
    /// A desk signed in with its PIN; may act for that desk only.
    Desk { desk: String, session: String },
    /// A machine with an API token (named in `[[web.api_token]]`); may act for any desk.
    Token { name: String },
}

impl Staff {
    /// Allowed to see and act for `desk`?
    pub fn may_act_for(&self, desk: &str) -> Result<(), WebError> {
        match self {
            Staff::Desk { desk: own, .. } if own != desk => {
                Err(WebError::Forbidden(format!("signed in for {own}: cannot act for {desk}")))
            }
            _ => Ok(()),
        }
    }
}

/// The client's address (unspecified when the router runs without connection info).
pub fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| addr.ip())
}

/// The client's address, as an extractor.
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SESSION_COOKIE)
}

/// The value of the cookie `name` in a request's `Cookie` headers (also for `loket-central`).
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

impl FromRequestParts<WebState> for Staff {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Staff, WebError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token =
                value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).ok_or(
                    WebError::Unauthorized("the Authorization header must be \"Bearer <API token>\""),
                )?;
            return check_token(state, token, client_ip(parts)).await;
        }
        let id = session_cookie(&parts.headers).ok_or(WebError::Unauthorized("sign in first"))?;
        let session = state
            .sessions
            .get(id, Instant::now())
            .ok_or(WebError::Unauthorized("your session has ended; sign in again"))?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !same_secret(sent, &session.csrf_token) {
                return Err(WebError::Forbidden(
                    "missing or wrong X-CSRF-Token header; reload the page and try again".into(),
                ));
            }
        }
        Ok(Staff::Desk { desk: session.desk, session: id.to_owned() })
    }
}

const TOKEN_LIMIT_KEY: &str = "api token";

/// How many PIN or token checks may run at once: each takes 19 MiB and a core for a moment,
/// so a burst of sign-ins must not exhaust a Raspberry Pi's memory or starve desk actions.
pub(super) const CONCURRENT_CHECKS: usize = 2;

/// A place among the running PIN and token checks, or 429 "try again in a second".
fn hashing_permit(state: &WebState) -> Result<tokio::sync::OwnedSemaphorePermit, WebError> {
    state
        .hashing
        .clone()
        .try_acquire_owned()
        .map_err(|_| WebError::TooManyAttempts { retry_after: std::time::Duration::from_secs(1) })
}

async fn check_token(state: &WebState, token: &str, ip: IpAddr) -> Result<Staff, WebError> {
    const UNKNOWN: &str = "unknown API token";
    if let Some(name) = state.tokens.0.lock().unwrap_or_else(|e| e.into_inner()).get(token) {
        return Ok(Staff::Token { name: name.clone() });
    }
    // Tokens from `loket new-api-token` are 64 characters: anything far from that is refused
    // without spending an Argon2 run (or a place in the limit) on it.
    if !(32..=256).contains(&token.len()) {
        return Err(WebError::Unauthorized(UNKNOWN));
    }
    let permit = hashing_permit(state)?;
    state
        .sign_in_limiter
        .begin(TOKEN_LIMIT_KEY, ip, Instant::now())
        .map_err(|retry_after| WebError::TooManyAttempts { retry_after })?;
    let config = state.config.clone();
    let candidate = token.to_owned();
    let found = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        config
            .web
            .api_tokens
            .iter()
            .find(|t| secret::verify(&candidate, &t.token_hash))
            .map(|t| t.name.clone())
    })
    .await?;
    let name = found.ok_or(WebError::Unauthorized(UNKNOWN))?;
    state.sign_in_limiter.succeeded(TOKEN_LIMIT_KEY, ip);
    state.tokens.0.lock().unwrap_or_else(|e| e.into_inner()).insert(token.to_owned(), name.clone());
    Ok(Staff::Token { name })
}

/// `POST /api/v1/session`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    desk: String,
    pin: String,
}

/// The answer to a sign-in and to `GET /api/v1/session`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Session)]
pub struct SessionView {
    desk: String,
    desk_name: String,
    /// Send it back in the `X-CSRF-Token` header on every POST and DELETE.
    csrf_token: String,
}

fn session_view(state: &WebState, desk: &str, csrf_token: String) -> SessionView {
    let desk_name = state.config.desk(desk).map_or_else(|| desk.to_owned(), |d| d.name.clone());
    SessionView { desk: desk.to_owned(), desk_name, csrf_token }
}

/// Sign a desk in with its PIN.
///
/// Sets the cookie `loket_session` (HttpOnly, SameSite=Strict, Path=/). After 5 failed attempts
/// for the same desk from the same address within 5 minutes, every attempt (the right PIN too)
/// is answered 429 until the window has passed.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "session",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in.", body = SessionView),
        (status = 400, description = "The body is not valid JSON for this route (syntax, field types, unknown fields).", body = ErrorBody),
        (status = 401, description = "Wrong desk or PIN (the same message for both), or a desk without a PIN.", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins; try again after Retry-After seconds.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    ),
)]
pub async fn sign_in(
    State(state): State<WebState>,
    ClientIp(ip): ClientIp,
    JsonBody(request): JsonBody<SignIn>,
) -> Result<Response, WebError> {
    let Some(pin_hash) = state.config.desk(&request.desk).and_then(|d| d.pin_hash.clone()) else {
        // An unknown desk or one without a PIN costs no Argon2 run, so it needs no limit.
        return Err(WebError::Unauthorized(WRONG_DESK_OR_PIN));
    };
    let permit = hashing_permit(&state)?;
    state
        .sign_in_limiter
        .begin(&request.desk, ip, Instant::now())
        .map_err(|retry_after| WebError::TooManyAttempts { retry_after })?;
    let pin = request.pin;
    let right = pin.len() <= 64
        && tokio::task::spawn_blocking(move || {
            let _permit = permit;
            secret::verify(&pin, &pin_hash)
        })
        .await?;
    if !right {
        log::warn!("web: failed sign-in for {} from {ip}", request.desk);
        return Err(WebError::Unauthorized(WRONG_DESK_OR_PIN));
    }
    state.sign_in_limiter.succeeded(&request.desk, ip);
    let (id, csrf_token) = state.sessions.open(&request.desk, Instant::now());
    log::info!("web: {} signed in from {ip}", request.desk);
    let secure = if state.config.web.https { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/{secure}");
    let mut response = Json(session_view(&state, &request.desk, csrf_token)).into_response();
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| WebError::Internal(format!("cookie: {e}")))?;
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// The desk this browser is signed in for.
///
/// Answers 401 when not signed in; the console then shows sign-in.
#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "session",
    security(("session" = [])),
    responses(
        (status = 200, description = "Signed in.", body = SessionView),
        (status = 401, description = "Not signed in, or the session has ended (after 12 hours).", body = ErrorBody),
    ),
)]
pub async fn current(
    State(state): State<WebState>,
    headers: HeaderMap,
) -> Result<Json<SessionView>, WebError> {
    let id = session_cookie(&headers).ok_or(WebError::Unauthorized("not signed in"))?;
    let session = state
        .sessions
        .get(id, Instant::now())
        .ok_or(WebError::Unauthorized("your session has ended; sign in again"))?;
    Ok(Json(session_view(&state, &session.desk, session.csrf_token)))
}

/// Sign out (clears the cookie).
#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "session",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Signed out."),
        (status = 401, description = "No session or API token, or a wrong one.", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token header.", body = ErrorBody),
    ),
)]
pub async fn sign_out(State(state): State<WebState>, staff: Staff) -> Response {
    if let Staff::Desk { session, desk } = &staff {
        state.sessions.close(session);
        log::info!("web: {desk} signed out");
    }
    let secure = if state.config.web.https { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}");
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
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
    fn sessions_end_after_twelve_hours() {
        let sessions = Sessions::default();
        let start = Instant::now();
        let (id, csrf) = sessions.open("desk-1", start);
        assert_ne!(id, csrf);
        assert_eq!(
            sessions.get(&id, start + Duration::from_secs(3600)).map(|s| s.desk),
            Some("desk-1".into())
        );
        assert!(sessions.get(&id, start + SESSION_LIFETIME).is_none());
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("theme=dark; loket_session=abc123; x=1"));
        assert_eq!(session_cookie(&headers), Some("abc123"));
        headers.insert(header::COOKIE, HeaderValue::from_static("loket_sessionx=abc"));
        assert_eq!(session_cookie(&headers), None);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", "a"));
    }

    #[test]
    fn a_desk_acts_for_itself_and_a_token_for_any_desk() {
        let desk = Staff::Desk { desk: "desk-1".into(), session: "s".into() };
        assert!(desk.may_act_for("desk-1").is_ok());
        assert!(matches!(desk.may_act_for("desk-2"), Err(WebError::Forbidden(_))));
        assert!(Staff::Token { name: "kiosk-2".into() }.may_act_for("desk-2").is_ok());
    }
}
