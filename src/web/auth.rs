//! Who is asking: desk sessions (a cookie plus a CSRF token), API tokens for machines, and the
//! rate limit on signing in.
//!
//! It owns the session table, the sign-in limiter (the one `loket-central` uses too, from
//! `loket_protocol::sign_in`), the cache of verified API tokens and the
//! `/api/v1/session` routes. Sessions are kept in the store too (by a hash of their id, with
//! their end and a hash of the desk's PIN hash), so a restart signs nobody out; they still end
//! after [`SESSION_LIFETIME`], on signing out and when a desk's PIN is changed. Limits live in
//! memory only. It must not log or keep a PIN, must not
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

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

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
use crate::store::sessions::StoredSession;
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
    expires_at: Timestamp,
}

/// A hex SHA-256 of `value`, under `purpose` (so one value gives unrelated hashes).
fn digest(purpose: &str, value: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(purpose.as_bytes());
    hasher.update([0]);
    hasher.update(value.as_bytes());
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What the store keeps instead of a session id. Ids are 256-bit random, so a fast hash is
/// enough: nobody can find an id from its hash.
fn session_id_hash(id: &str) -> String {
    digest("loket desk session", id)
}

/// A session's CSRF token, derived from its id (which only the cookie carries), so the store
/// need not keep it and it stays the same after a restart.
fn csrf_token_of(id: &str) -> String {
    digest("loket csrf token", id)
}

/// What the store keeps of a desk's PIN hash: a different PIN gives a different one.
fn pin_fingerprint(pin_hash: &str) -> String {
    digest("loket desk pin", pin_hash)
}

fn lifetime() -> SignedDuration {
    SignedDuration::from_secs(SESSION_LIFETIME.as_secs() as i64)
}

/// The signed-in desks, by session id: the ones seen since the start. The store keeps them
/// too (hashed), so a desk stays signed in across a restart.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    /// Opens a session for `desk`: (session id, the session).
    fn open(&self, desk: &str, now: Timestamp) -> (String, Session) {
        let id = secret::new_token();
        let session = Session {
            desk: desk.to_owned(),
            csrf_token: csrf_token_of(&id),
            expires_at: now.saturating_add(lifetime()).unwrap_or(now),
        };
        self.remember(&id, session.clone(), now);
        (id, session)
    }

    /// Keeps `session` under `id`, and forgets the ones that have ended.
    fn remember(&self, id: &str, session: Session, now: Timestamp) {
        let mut sessions = self.0.lock().unwrap_or_else(|e| e.into_inner());
        sessions.retain(|_, s| s.expires_at > now);
        sessions.insert(id.to_owned(), session);
    }

    fn get(&self, id: &str, now: Timestamp) -> Option<Session> {
        let mut sessions = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let session = sessions.get(id)?.clone();
        if session.expires_at <= now {
            sessions.remove(id);
            return None;
        }
        Some(session)
    }

    /// Whether the session is still signed in.
    pub(super) fn is_open(&self, id: &str, now: Timestamp) -> bool {
        self.get(id, now).is_some()
    }

    fn close(&self, id: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

/// The session `id` names: one seen since the start, or one the store kept from before a
/// restart that has not ended and whose desk still has the PIN it signed in with.
async fn find_session(state: &WebState, id: &str) -> Option<Session> {
    let now = state.session_clock.now();
    if let Some(session) = state.sessions.get(id, now) {
        return Some(session);
    }
    // Only ids of the form `secret::new_token` gives can be kept ones.
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let id_hash = session_id_hash(id);
    let config = state.config.clone();
    let found = super::api::with_help_point(state, move |hp, _| {
        let Some(kept) = hp.store().desk_session(&id_hash)? else { return Ok(None) };
        let pin_unchanged = config
            .desk(&kept.desk)
            .and_then(|d| d.pin_hash.as_deref())
            .is_some_and(|pin_hash| same_secret(&pin_fingerprint(pin_hash), &kept.pin_hash));
        if kept.expires_at > now && pin_unchanged {
            return Ok(Some(kept));
        }
        if let Err(e) = hp.store_mut().end_desk_session(&id_hash) {
            log::warn!("web: an ended desk session stays in the store: {e}");
        }
        Ok(None)
    })
    .await;
    match found {
        Ok(Some(kept)) => {
            let session =
                Session { desk: kept.desk, csrf_token: csrf_token_of(id), expires_at: kept.expires_at };
            state.sessions.remember(id, session.clone(), now);
            Some(session)
        }
        Ok(None) => None,
        Err(e) => {
            log::error!("web: cannot look up a kept desk session: {e}");
            None
        }
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
        let session = find_session(state, id)
            .await
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
    let hash = pin_hash.clone();
    let right = pin.len() <= 64
        && tokio::task::spawn_blocking(move || {
            let _permit = permit;
            secret::verify(&pin, &hash)
        })
        .await?;
    if !right {
        log::warn!("web: failed sign-in for {} from {ip}", request.desk);
        return Err(WebError::Unauthorized(WRONG_DESK_OR_PIN));
    }
    state.sign_in_limiter.succeeded(&request.desk, ip, Instant::now());
    let (id, session) = state.sessions.open(&request.desk, state.session_clock.now());
    keep_session(&state, &id, &request.desk, &pin_hash, session.expires_at).await;
    let csrf_token = session.csrf_token;
    log::info!("web: {} signed in from {ip}", request.desk);
    let secure = if state.config.web.https { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/{secure}");
    let mut response = Json(session_view(&state, &request.desk, csrf_token)).into_response();
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| WebError::Internal(format!("cookie: {e}")))?;
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Has the store keep a new session, so it outlives a restart. A store that cannot keep it
/// costs only that: the desk is signed in until the next restart.
async fn keep_session(state: &WebState, id: &str, desk: &str, pin_hash: &str, expires_at: Timestamp) {
    let kept = StoredSession {
        id_hash: session_id_hash(id),
        desk: desk.to_owned(),
        pin_hash: pin_fingerprint(pin_hash),
        expires_at,
    };
    let now = state.session_clock.now();
    let result =
        super::api::with_help_point(state, move |hp, _| Ok(hp.store_mut().save_desk_session(&kept, now)?))
            .await;
    if let Err(e) = result {
        log::warn!("web: the session of {desk} is not kept across a restart: {e}");
    }
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
    let session = find_session(&state, id)
        .await
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
        let id_hash = session_id_hash(session);
        let ended = super::api::with_help_point(&state, move |hp, _| {
            Ok(hp.store_mut().end_desk_session(&id_hash)?)
        })
        .await;
        if let Err(e) = ended {
            // Not found by a cookie again all the same: signing out also ends it in memory,
            // and a restart checks the end time.
            log::error!("web: {desk}'s signed-out session stays in the store until it ends: {e}");
        }
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
        let start: Timestamp = "2026-11-30T09:00:00Z".parse().unwrap();
        let (id, session) = sessions.open("desk-1", start);
        assert_ne!(id, session.csrf_token);
        assert_eq!(
            sessions.get(&id, start + SignedDuration::from_hours(1)).map(|s| s.desk),
            Some("desk-1".into())
        );
        assert!(sessions.get(&id, start + lifetime()).is_none());
    }

    #[test]
    fn the_store_gets_hashes_never_the_session_id_or_the_pin_hash() {
        let id = secret::new_token();
        let pin_hash = secret::hash("2468").unwrap();
        for kept in [session_id_hash(&id), csrf_token_of(&id), pin_fingerprint(&pin_hash)] {
            assert_eq!(kept.len(), 64);
            assert!(!kept.contains(&id) && !pin_hash.contains(&kept));
        }
        assert_ne!(session_id_hash(&id), csrf_token_of(&id), "the CSRF token does not give the stored hash");
        assert_ne!(pin_fingerprint(&pin_hash), pin_fingerprint(&secret::hash("2468").unwrap()), "a new hash");
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
