//! The browser pages: the staff console, the public board and their script and style files,
//! compiled into the binary from `src/web/static/`.
//!
//! It owns serving those files with their content types, the two pages with their words filled
//! in the staff's language (`site.local_language`, by [`super::words`]). It must not build
//! HTML beyond that: the pages fetch everything else from the API.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::WebState;
use super::error::{ErrorBody, WebError};
use super::words;

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

fn page(html: String) -> Response {
    let mut response = html.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
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
pub async fn console(State(state): State<WebState>) -> Response {
    // In the staff's language, as the board.
    let staff = &state.config.site.local_language;
    page(words::page(CONSOLE_HTML, staff, &words::console(staff)))
}

/// The public "now serving" board page for the TV.
#[utoipa::path(
    get,
    path = "/board",
    tag = "pages",
    operation_id = "board_page",
    responses((status = 200, description = "HTML.", content_type = "text/html", body = String)),
)]
pub async fn board(State(state): State<WebState>) -> Response {
    let staff = &state.config.site.local_language;
    page(words::page(BOARD_HTML, staff, &words::board(staff)))
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
