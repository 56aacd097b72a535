//! Signing in and out of the dashboard: the sign-in page, checking a name and password
//! (Argon2id on a blocking thread, under the sign-in rate limit), and the session cookie.
//!
//! It owns the sign-in page's wording, in the staff's language. The sessions and the CSRF check are [`super::admin`]'s;
//! it must not log or keep a password.
//!
//! A sign-in posted from another site's page (login CSRF) is refused by the browser's
//! `Origin`/`Sec-Fetch-Site`. A name longer than [`MAX_NAME_BYTES`] or a password longer than
//! [`MAX_PASSWORD_BYTES`] is refused before any count or Argon2 run. An unknown name costs the
//! same Argon2 work as a known one (against a hash of a random password), so the answer's
//! timing does not tell which names exist.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use loket_protocol::i18n::{fill, tr};
use loket_protocol::secret;
use maud::{Markup, html};
use serde::Deserialize;

use super::CentralState;
use super::admin::{Admin, ClientIp, CsrfForm, PostedForm, SESSION_COOKIE, SESSION_LIFETIME};
use super::error::CentralError;
use super::layout::layout;

fn login_html(l: &str, message: Option<&str>) -> Markup {
    layout(
        l,
        tr(l, "Sign in"),
        None,
        html! {
            section class="card narrow" {
                h1 { (tr(l, "Loket central")) }
                p { (tr(l, "Sign in to see the figures and the kiosks.")) }
                @if let Some(m) = message {
                    p class="alert" role="alert" { (m) }
                }
                form method="post" action="/login" class="stack" {
                    label { (tr(l, "Name")) " " input name="name" autocomplete="username" required value="admin"; }
                    label {
                        (tr(l, "Password")) " "
                        input name="password" type="password" autocomplete="current-password" required autofocus;
                    }
                    button type="submit" { (tr(l, "Sign in")) }
                }
            }
        },
    )
}

/// The sign-in form's fields; a missing one is empty (and so does not sign in).
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// The longest admin name taken (bytes); `set-password` names are short.
pub const MAX_NAME_BYTES: usize = 64;
/// The longest password taken (bytes).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A hash of a random password with the same parameters as real ones: an unknown name is
/// checked against it, so it takes as long as a known one.
fn no_such_admin() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| secret::hash(&secret::new_token()).unwrap_or_default())
}

/// The form again with `message`, answered with `status`.
fn refused(l: &str, status: StatusCode, message: &str) -> Response {
    (status, login_html(l, Some(message))).into_response()
}

/// `GET /login`
pub async fn login_page(State(state): State<CentralState>) -> Markup {
    login_html(&state.settings.language, None)
}

/// `POST /login`: name and password as a form; a session cookie and a redirect to the
/// dashboard, or the form again with a reason.
pub async fn sign_in(
    State(state): State<CentralState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    fields: Result<PostedForm<SignInForm>, CentralError>,
) -> Response {
    let l = state.settings.language.clone();
    let own: Vec<&str> = state.settings.public_origin.iter().map(String::as_str).collect();
    if let Some(why) = loket_protocol::sign_in::cross_site(&headers, &own) {
        log::warn!("central: sign-in from {ip} {why}");
        return refused(
            &l,
            StatusCode::FORBIDDEN,
            tr(&l, "This sign-in came from another site. Open the sign-in page itself."),
        );
    }
    let SignInForm { name, password } = match fields {
        Ok(PostedForm(f)) => f,
        Err(e) => return e.into_response(),
    };
    if name.len() > MAX_NAME_BYTES || password.len() > MAX_PASSWORD_BYTES {
        return CentralError::BadRequest(format!(
            "the name or the password is too long (at most {MAX_NAME_BYTES} and {MAX_PASSWORD_BYTES} bytes)"
        ))
        .into_response();
    }
    let started = Instant::now();
    let target = format!("admin:{name}");
    let wait = match state.limiter.begin(&target, ip, started) {
        Ok(wait) => wait,
        Err(wait) => {
            let mut response = refused(
                &l,
                StatusCode::TOO_MANY_REQUESTS,
                &fill(
                    tr(&l, "Too many failed attempts. Try again in {seconds} seconds."),
                    &[("seconds", &wait.as_secs().to_string())],
                ),
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
            return response;
        }
    };
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let Ok(_permit) = state.hashing.acquire().await else {
        return CentralError::Internal("hashing semaphore closed".into()).into_response();
    };
    let lookup = name.clone();
    let ok = state
        .with_store(move |s| {
            let hash = s.admin_hash(&lookup)?;
            let right = secret::verify(&password, hash.as_deref().unwrap_or_else(|| no_such_admin()));
            Ok(right && hash.is_some())
        })
        .await;
    match ok {
        Ok(true) => {
            state.limiter.succeeded(&target, ip, Instant::now());
            let id = state.sessions.open(&name);
            let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
            let cookie = format!(
                "{SESSION_COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
                SESSION_LIFETIME.as_secs()
            );
            let mut response = Redirect::to("/").into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            log::info!("central: {name} signed in");
            response
        }
        Ok(false) => refused(&l, StatusCode::UNAUTHORIZED, tr(&l, "The name or the password is not right.")),
        Err(e) => e.into_response(),
    }
}

/// `POST /logout`
pub async fn sign_out(
    State(state): State<CentralState>,
    admin: Admin,
    PostedForm(form): PostedForm<CsrfForm>,
) -> Result<Response, CentralError> {
    admin.check_csrf(form.csrf.as_deref())?;
    state.sessions.close(&admin.session);
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("loket_central_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(response)
}
