//! Who may see the dashboard: the signed-in admins' sessions (a cookie, HttpOnly,
//! SameSite=Strict), the CSRF token on every POST, and reading a posted form. Signing in (the
//! password, the rate limit shared with the staff console,
//! [`loket_protocol::sign_in::SignInLimiter`]) is [`super::login`]'s.
//!
//! Sessions live in memory: a restart signs everyone out. It must not log or keep a password,
//! and must not decide what a page shows (it uses no page module).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::CentralState;
use super::error::CentralError;
use super::tls::PeerAddr;
use loket_protocol::secret::{self, same_secret};
use loket_protocol::sign_in::cookie;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "loket_central_session";
/// The form field (or header, for uploads by script) carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A session ends this long after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

#[derive(Debug, Clone)]
struct Session {
    name: String,
    csrf: String,
    created: Instant,
}

/// The signed-in admins, by session id.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    pub(crate) fn open(&self, name: &str) -> String {
        let id = secret::new_token();
        let now = Instant::now();
        let mut sessions = self.0.lock().unwrap_or_else(|e| e.into_inner());
        sessions.retain(|_, s| now.duration_since(s.created) < SESSION_LIFETIME);
        sessions
            .insert(id.clone(), Session { name: name.to_owned(), csrf: secret::new_token(), created: now });
        id
    }

    fn get(&self, id: &str) -> Option<Session> {
        let sessions = self.0.lock().unwrap_or_else(|e| e.into_inner());
        sessions.get(id).filter(|s| s.created.elapsed() < SESSION_LIFETIME).cloned()
    }

    pub(crate) fn close(&self, id: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

/// A signed-in admin. On a GET without a session the answer is a redirect to `/login`; on
/// anything else a 401. A POST also needs the session's CSRF token (form field or header),
/// which is checked by [`Admin::check_csrf`] once the form is read.
#[derive(Debug, Clone)]
pub struct Admin {
    pub name: String,
    /// Put in every form as a hidden field.
    pub csrf: String,
    pub(crate) session: String,
    header_csrf: Option<String>,
}

/// Why there is no admin.
pub enum NotSignedIn {
    Redirect,
    Error(CentralError),
}

impl IntoResponse for NotSignedIn {
    fn into_response(self) -> Response {
        match self {
            NotSignedIn::Redirect => Redirect::to("/login").into_response(),
            NotSignedIn::Error(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<CentralState> for Admin {
    type Rejection = NotSignedIn;

    async fn from_request_parts(parts: &mut Parts, state: &CentralState) -> Result<Admin, NotSignedIn> {
        let session = cookie(&parts.headers, SESSION_COOKIE)
            .and_then(|id| Some((id.to_owned(), state.sessions.get(id)?)));
        match session {
            Some((id, s)) => Ok(Admin {
                name: s.name,
                csrf: s.csrf,
                session: id,
                header_csrf: parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned),
            }),
            None if parts.method == Method::GET => Err(NotSignedIn::Redirect),
            None => Err(NotSignedIn::Error(CentralError::Unauthorized("sign in first (/login)"))),
        }
    }
}

impl Admin {
    /// Checks the CSRF token sent with a POST: the form's field, else the header.
    pub fn check_csrf(&self, form: Option<&HashMap<String, String>>) -> Result<(), CentralError> {
        let sent = form.and_then(|f| f.get(CSRF_FIELD)).map(String::as_str).or(self.header_csrf.as_deref());
        match sent {
            Some(token) if same_secret(token, &self.csrf) => Ok(()),
            Some(_) => {
                Err(CentralError::Forbidden("the CSRF token is wrong: reload the page and try again".into()))
            }
            None => Err(CentralError::Forbidden(
                "the CSRF token is missing: reload the page and try again".into(),
            )),
        }
    }
}

/// The client's address (unspecified when the router runs without connection info).
pub struct ClientIp(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<PeerAddr>>()
                .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |ConnectInfo(PeerAddr(a))| a.ip()),
        ))
    }
}

/// Parses an `application/x-www-form-urlencoded` body.
pub fn form(body: &[u8]) -> Result<HashMap<String, String>, CentralError> {
    let text =
        std::str::from_utf8(body).map_err(|_| CentralError::BadRequest("the form is not UTF-8".into()))?;
    let mut out = HashMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(decode(name)?, decode(value)?);
    }
    Ok(out)
}

fn decode(text: &str) -> Result<String, CentralError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
                out.push(
                    hex.ok_or_else(|| CentralError::BadRequest("a form field is badly encoded".into()))?,
                );
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| CentralError::BadRequest("a form field is not UTF-8".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_plus_and_percent() {
        let f = form(b"name=a+b&site=Gent%2C%20Zuid&empty=&x").unwrap();
        assert_eq!(f["name"], "a b");
        assert_eq!(f["site"], "Gent, Zuid");
        assert_eq!(f["empty"], "");
        assert_eq!(f["x"], "");
        assert!(form(b"a=%zz").is_err());
        assert!(form(b"a=%e9").is_err(), "not UTF-8");
    }
}
