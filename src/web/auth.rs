//! Who is asking: desk sessions (a cookie plus a CSRF token), API tokens for machines, and the
//! rate limit on signing in.
//!
//! It owns the session table, the sign-in limiter (the one `loket-central` uses too, from
//! `loket_protocol::sign_in`), the cache of verified API tokens and the
//! `/api/v1/session` routes. Sessions and limits live in memory only: a restart signs every
//! desk out, which is acceptable at a help point. It must not log or keep a PIN, must not
//! verify a secret on an async worker (Argon2 is slow on purpose: `spawn_blocking`), and must
//! not decide what a desk may do beyond "this desk" or "any desk" — that is the routes' job.
//!
//! Sign-in takes only JSON from the console's own page: a form or a `fetch` from another site
//! open on the desk PC (login CSRF) is refused by its content type or by the browser's
//! `Origin`/`Sec-Fetch-Site`. Every other change needs the session's `X-CSRF-Token` header or
//! a bearer token, which no other site's page can send. API tokens are 256-bit random, so they
//! are not guessed and have no failure limit: a valid token is never refused for someone
//! else's wrong ones. Checks of new tokens run one at a time (a burst with one token costs one
//! Argon2 run), a token found wrong is remembered so repeating it costs nothing, and at most
//! [`MAX_WAITING_TOKEN_CHECKS`] wait.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::WebState;
use super::error::{ErrorBody, JsonBody, WebError, error_response};
use crate::secret::{self, same_secret};
pub use loket_protocol::sign_in::{FAILURE_LIMIT, FAILURE_WINDOW, SignInLimiter, SlowDown, cookie};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "loket_session";
/// The header that carries a session's CSRF token on every change.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A session ends this long after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

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

/// Token checks that may wait for their turn; beyond this a request is asked to try again in
/// a second.
pub const MAX_WAITING_TOKEN_CHECKS: usize = 64;
/// Wrong tokens remembered (by a keyed hash), so a client repeating one costs no Argon2 run.
const WRONG_TOKENS_KEPT: usize = 256;

/// API tokens already verified (Argon2 is too slow to run on every request), by token; the
/// wrong ones seen lately; and the turn for checking a new one.
#[derive(Default)]
pub struct VerifiedTokens {
    known: Mutex<HashMap<String, String>>,
    wrong: Mutex<VecDeque<u64>>,
    hasher: std::collections::hash_map::RandomState,
    turn: tokio::sync::Mutex<()>,
    waiting: AtomicUsize,
}

impl VerifiedTokens {
    fn known(&self, token: &str) -> Option<String> {
        self.known.lock().unwrap_or_else(|e| e.into_inner()).get(token).cloned()
    }

    fn was_wrong(&self, fingerprint: u64) -> bool {
        self.wrong.lock().unwrap_or_else(|e| e.into_inner()).contains(&fingerprint)
    }

    fn remember_wrong(&self, fingerprint: u64) {
        let mut wrong = self.wrong.lock().unwrap_or_else(|e| e.into_inner());
        if wrong.len() >= WRONG_TOKENS_KEPT {
            wrong.pop_front();
        }
        wrong.push_back(fingerprint);
    }
}

/// Counts a token check waiting for its turn while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

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

impl FromRequestParts<WebState> for Staff {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Staff, WebError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token =
                value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).ok_or(
                    WebError::Unauthorized("the Authorization header must be \"Bearer <API token>\""),
                )?;
            return check_token(state, token).await;
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

async fn check_token(state: &WebState, token: &str) -> Result<Staff, WebError> {
    const UNKNOWN: &str = "unknown API token";
    let tokens = &state.tokens;
    if let Some(name) = tokens.known(token) {
        return Ok(Staff::Token { name });
    }
    // Tokens from `loket new-api-token` are 64 characters: anything far from that is refused
    // without spending an Argon2 run on it.
    if !(32..=256).contains(&token.len()) {
        return Err(WebError::Unauthorized(UNKNOWN));
    }
    let fingerprint = tokens.hasher.hash_one(token);
    if tokens.was_wrong(fingerprint) {
        return Err(WebError::Unauthorized(UNKNOWN));
    }
    let _waiting = Waiting(&tokens.waiting);
    if tokens.waiting.fetch_add(1, Ordering::Relaxed) >= MAX_WAITING_TOKEN_CHECKS {
        return Err(WebError::TooManyAttempts { retry_after: Duration::from_secs(1) });
    }
    let _turn = tokens.turn.lock().await;
    // The request before this one may have checked the same token.
    if let Some(name) = tokens.known(token) {
        return Ok(Staff::Token { name });
    }
    if tokens.was_wrong(fingerprint) {
        return Err(WebError::Unauthorized(UNKNOWN));
    }
    let permit = state
        .hashing
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| WebError::Internal(format!("token check: {e}")))?;
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
    let Some(name) = found else {
        tokens.remember_wrong(fingerprint);
        return Err(WebError::Unauthorized(UNKNOWN));
    };
    tokens.known.lock().unwrap_or_else(|e| e.into_inner()).insert(token.to_owned(), name.clone());
    Ok(Staff::Token { name })
}

/// The sign-in request comes as JSON from the console's own page, not as a form or a script
/// of another site open on the desk PC.
pub struct FromOwnPage;

impl<S: Send + Sync> FromRequestParts<S> for FromOwnPage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<FromOwnPage, Response> {
        if let Some(why) = loket_protocol::sign_in::cross_site(&parts.headers, &[]) {
            return Err(error_response(StatusCode::FORBIDDEN, &why));
        }
        let content_type =
            parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            let shown = if content_type.is_empty() { "none" } else { content_type };
            return Err(error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!("sign in with Content-Type: application/json (this request had {shown})"),
            ));
        }
        Ok(FromOwnPage)
    }
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
/// Takes JSON only, from the console's own page. Sets the cookie `loket_session` (HttpOnly,
/// SameSite=Strict, Path=/). After 5 failed attempts for the same desk from the same address
/// within 5 minutes, every attempt from that address (the right PIN too) is answered 429 until
/// the window has passed; other addresses are not refused. When many addresses fail on one
/// desk, attempts on it take turns and each waits a few seconds before it is checked.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "session",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in.", body = SessionView),
        (status = 400, description = "The body is not valid JSON for this route (syntax, field types, unknown fields).", body = ErrorBody),
        (status = 401, description = "Wrong desk or PIN (the same message for both), or a desk without a PIN.", body = ErrorBody),
        (status = 403, description = "Sent from another site's page (by Origin or Sec-Fetch-Site).", body = ErrorBody),
        (status = 415, description = "Not sent as application/json.", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins; try again after Retry-After seconds.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    ),
)]
pub async fn sign_in(
    State(state): State<WebState>,
    ClientIp(ip): ClientIp,
    _: FromOwnPage,
    JsonBody(request): JsonBody<SignIn>,
) -> Result<Response, WebError> {
    let Some(pin_hash) = state.config.desk(&request.desk).and_then(|d| d.pin_hash.clone()) else {
        // An unknown desk or one without a PIN costs no Argon2 run, so it needs no limit.
        return Err(WebError::Unauthorized(WRONG_DESK_OR_PIN));
    };
    let started = Instant::now();
    let wait = state
        .sign_in_limiter
        .begin(&request.desk, ip, started)
        .map_err(|retry_after| WebError::TooManyAttempts { retry_after })?;
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let permit = hashing_permit(&state).inspect_err(|_| {
        state.sign_in_limiter.withdraw(&request.desk, ip, started);
    })?;
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
    state.sign_in_limiter.succeeded(&request.desk, ip, Instant::now());
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
    fn a_desk_acts_for_itself_and_a_token_for_any_desk() {
        let desk = Staff::Desk { desk: "desk-1".into(), session: "s".into() };
        assert!(desk.may_act_for("desk-1").is_ok());
        assert!(matches!(desk.may_act_for("desk-2"), Err(WebError::Forbidden(_))));
        assert!(Staff::Token { name: "kiosk-2".into() }.may_act_for("desk-2").is_ok());
    }
}
