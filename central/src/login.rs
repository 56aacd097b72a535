//! Signing in and out of the dashboard: the sign-in page, checking a name and password
//! (Argon2id on a blocking thread, under the sign-in rate limit), and the session cookie.
//!
//! It owns the sign-in page's wording, in the staff's language. The sessions and the CSRF check are [`super::admin`]'s;
//! it must not log or keep a password.

use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
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

/// `GET /login`
pub async fn login_page(State(state): State<CentralState>) -> Markup {
    login_html(&state.settings.language, None)
}

/// `POST /login`: name and password as a form; a session cookie and a redirect to the
/// dashboard, or the form again with a reason.
pub async fn sign_in(
    State(state): State<CentralState>,
    ClientIp(ip): ClientIp,
    fields: Result<PostedForm<SignInForm>, CentralError>,
) -> Response {
    let l = state.settings.language.clone();
    let SignInForm { name, password } = match fields {
        Ok(PostedForm(f)) => f,
        Err(e) => return e.into_response(),
    };
    if let Err(wait) = state.limiter.begin(&format!("admin:{name}"), ip, Instant::now()) {
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            login_html(
                &l,
                Some(&fill(
                    tr(&l, "Too many failed attempts. Try again in {seconds} seconds."),
                    &[("seconds", &wait.as_secs().to_string())],
                )),
            ),
        )
            .into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
        return response;
    }
    let Ok(_permit) = state.hashing.acquire().await else {
        return CentralError::Internal("hashing semaphore closed".into()).into_response();
    };
    let lookup = name.clone();
    let ok = state
        .with_store(move |s| Ok(s.admin_hash(&lookup)?.is_some_and(|hash| secret::verify(&password, &hash))))
        .await;
    match ok {
        Ok(true) => {
            state.limiter.succeeded(&format!("admin:{name}"), ip);
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
        Ok(false) => {
            (StatusCode::UNAUTHORIZED, login_html(&l, Some(tr(&l, "The name or the password is not right."))))
                .into_response()
        }
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
