//! The browser pages: the staff console, the public board and their script and style files,
//! compiled into the binary from `src/web/static/`.
//!
//! It owns only serving those files with their content types. It must not build HTML: the
//! pages are static and fetch everything from the API.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::error::WebError;

const CONSOLE_HTML: &str = include_str!("static/console.html");
const BOARD_HTML: &str = include_str!("static/board.html");
const CONSOLE_JS: &str = include_str!("static/console.js");
const BOARD_JS: &str = include_str!("static/board.js");
const STYLE_CSS: &str = include_str!("static/style.css");

/// The files under `/static/`, with their content types.
pub const STATIC_FILES: &[(&str, &str, &str)] = &[
    ("console.js", "text/javascript; charset=utf-8", CONSOLE_JS),
    ("board.js", "text/javascript; charset=utf-8", BOARD_JS),
    ("style.css", "text/css; charset=utf-8", STYLE_CSS),
];

fn file(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Always revalidate: after an update the browsers at the desks get the new pages.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /`: the staff console (it asks `/api/v1/session` whether to show sign-in).
pub async fn console() -> Response {
    file("text/html; charset=utf-8", CONSOLE_HTML)
}

/// `GET /board`: the "now serving" board for the TV.
pub async fn board() -> Response {
    file("text/html; charset=utf-8", BOARD_HTML)
}

/// `GET /static/{file}`.
pub async fn static_file(Path(name): Path<String>) -> Result<Response, WebError> {
    STATIC_FILES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, content_type, body)| file(content_type, body))
        .ok_or_else(|| WebError::NotFound(format!("there is no file /static/{name}")))
}
