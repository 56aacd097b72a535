//! The browser pages: the staff console, the public board and their script and style files,
//! compiled into the binary from `src/web/static/`.
//!
//! It owns only serving those files with their content types. It must not build HTML: the
//! pages are static and fetch everything from the API.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::error::{ErrorBody, WebError};

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

/// The staff console page (it asks GET /api/v1/session whether to show sign-in).
#[utoipa::path(
    get,
    path = "/",
    tag = "pages",
    operation_id = "console_page",
    responses((status = 200, description = "HTML.", content_type = "text/html", body = String)),
)]
pub async fn console() -> Response {
    file("text/html; charset=utf-8", CONSOLE_HTML)
}

/// The public "now serving" board page for the TV.
#[utoipa::path(
    get,
    path = "/board",
    tag = "pages",
    operation_id = "board_page",
    responses((status = 200, description = "HTML.", content_type = "text/html", body = String)),
)]
pub async fn board() -> Response {
    file("text/html; charset=utf-8", BOARD_HTML)
}

/// A script or style file of the pages.
#[utoipa::path(
    get,
    path = "/static/{file}",
    tag = "pages",
    params(("file" = String, Path, description = "console.js, board.js or style.css.")),
    responses(
        (status = 200, description = "The file.", content((String = "text/javascript"), (String = "text/css"))),
        (status = 404, description = "No such file.", body = ErrorBody),
    ),
)]
pub async fn static_file(Path(name): Path<String>) -> Result<Response, WebError> {
    STATIC_FILES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, content_type, body)| file(content_type, body))
        .ok_or_else(|| WebError::NotFound(format!("there is no file /static/{name}")))
}
