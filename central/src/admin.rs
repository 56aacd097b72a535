//! Who may see the dashboard: the signed-in admins' sessions (a cookie, HttpOnly,
//! SameSite=Strict), the CSRF token on every POST, and reading a posted form (axum's `Form`). Signing in (the
//! password, the rate limit shared with the staff console,
//! [`loket_protocol::sign_in::SignInLimiter`]) is [`super::login`]'s.
//!
//! Sessions live in memory: a restart signs everyone out. It must not log or keep a password,
//! and must not decide what a page shows (it uses no page module).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

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
/// The content type of a posted form.
const FORM_TYPE: &str = "application/x-www-form-urlencoded";
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
    /// Checks the CSRF token sent with a POST: the form's field (`None` when the form has none,
    /// or there is no form), else the header.
    pub fn check_csrf(&self, form: Option<&str>) -> Result<(), CentralError> {
        let sent = form.or(self.header_csrf.as_deref());
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

/// A posted `application/x-www-form-urlencoded` form, read by axum's [`axum::Form`] into `T`.
///
/// A form sent without a content type is read as one, as before (scripts and tests post
/// `name=…&password=…` bare). A form that cannot be read is a 400 with the reason (a 413 when it
/// is over the route's size limit), as `{"error": "…"}` like every other refusal. Fields the
/// form does not name are ignored, as they always were: the forms' structs say which they read.
pub struct PostedForm<T>(pub T);

impl<T, S> FromRequest<S> for PostedForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = CentralError;

    async fn from_request(mut req: Request, state: &S) -> Result<PostedForm<T>, CentralError> {
        if !req.headers().contains_key(header::CONTENT_TYPE) {
            req.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(FORM_TYPE));
        }
        // axum's Form reads a broken encoding leniently (as browsers send nothing like it); a
        // form that is not what a browser sends is refused with the reason instead.
        let content_type = req.headers().get(header::CONTENT_TYPE).cloned();
        let method = req.method().clone();
        let body = match axum::body::Bytes::from_request(req, state).await {
            Ok(body) => body,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(CentralError::TooLarge(format!(
                    "the request body is too large: {}",
                    e.body_text()
                )));
            }
            Err(e) => {
                return Err(CentralError::BadRequest(format!("cannot read the form: {}", e.body_text())));
            }
        };
        if let Err(why) = well_encoded(&body) {
            return Err(CentralError::BadRequest(format!("cannot read the form: {why}")));
        }
        let mut req = Request::new(axum::body::Body::from(body));
        *req.method_mut() = method;
        if let Some(content_type) = content_type {
            req.headers_mut().insert(header::CONTENT_TYPE, content_type);
        }
        match Form::<T>::from_request(req, state).await {
            Ok(Form(fields)) => Ok(PostedForm(fields)),
            Err(FormRejection::InvalidFormContentType(_)) => {
                Err(CentralError::BadRequest(format!("the form must be sent as {FORM_TYPE}")))
            }
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(CentralError::TooLarge(format!("the request body is too large: {}", e.body_text())))
            }
            Err(e) => Err(CentralError::BadRequest(format!("cannot read the form: {}", e.body_text()))),
        }
    }
}

/// Whether `body` is a form as a browser encodes it: every `%` followed by two hex digits, and
/// the decoded text UTF-8.
fn well_encoded(body: &[u8]) -> Result<(), &'static str> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut decoded = Vec::with_capacity(body.len());
    let mut bytes = body.iter().copied();
    while let Some(b) = bytes.next() {
        decoded.push(match b {
            b'%' => match (bytes.next().and_then(hex), bytes.next().and_then(hex)) {
                (Some(high), Some(low)) => high * 16 + low,
                _ => return Err("a % is not followed by two hex digits"),
            },
            b => b,
        });
    }
    std::str::from_utf8(&decoded).map(|_| ()).map_err(|_| "the text is not UTF-8")
}

/// A form that carries only the CSRF token (sign-out, revoking a token).
#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Fields {
        name: String,
        site: String,
        #[serde(default)]
        empty: String,
        #[serde(default)]
        missing: Option<String>,
    }

    async fn post<T: DeserializeOwned>(
        content_type: Option<&str>,
        body: &'static str,
    ) -> Result<T, CentralError> {
        let mut request = Request::builder().method("POST").uri("/");
        if let Some(c) = content_type {
            request = request.header(header::CONTENT_TYPE, c);
        }
        let request = request.body(axum::body::Body::from(body)).unwrap();
        PostedForm::<T>::from_request(request, &()).await.map(|PostedForm(f)| f)
    }

    #[tokio::test]
    async fn forms_decode_plus_and_percent() {
        let f: Fields = post(Some(FORM_TYPE), "name=a+b&site=Gent%2C%20Zuid&empty=&x").await.unwrap();
        assert_eq!(f.name, "a b");
        assert_eq!(f.site, "Gent, Zuid");
        assert_eq!(f.empty, "");
        assert_eq!(f.missing, None);
        let bare: Fields = post(None, "name=a&site=b").await.unwrap();
        assert_eq!((bare.name.as_str(), bare.site.as_str()), ("a", "b"), "no content type: read as a form");
        let missing = post::<Fields>(Some(FORM_TYPE), "name=a").await.unwrap_err();
        assert!(matches!(&missing, CentralError::BadRequest(m) if m.contains("site")), "{missing:?}");
        for broken in ["name=%zz&site=b", "name=%4&site=b", "name=%ff&site=b"] {
            let refused = post::<Fields>(Some(FORM_TYPE), broken).await.unwrap_err();
            assert!(matches!(&refused, CentralError::BadRequest(m) if m.contains("cannot read")), "{broken}");
        }
        let json = post::<Fields>(Some("application/json"), "{}").await.unwrap_err();
        assert!(matches!(&json, CentralError::BadRequest(m) if m.contains("urlencoded")), "{json:?}");
    }
}
