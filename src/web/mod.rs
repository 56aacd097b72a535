//! The staff web server: the desks' console, the public "now serving" board and a JSON API,
//! on axum and tokio.
//!
//! Layout
//! - [`api`]: the JSON routes and the JSON shapes of tickets, calls and desks;
//! - [`auth`]: desk sessions with CSRF tokens, API tokens, the sign-in rate limit;
//! - [`live`]: Server-Sent Events fed by the help point's change listener;
//! - [`pages`]: the pages from `src/web/static/`;
//! - [`words`]: the pages' words in the staff's language (`site.local_language`);
//! - [`results`]: screening results staff look up by their code;
//! - [`appointment_import`]: appointments from an uploaded `.ics` or CSV file;
//! - [`appointments`]: the appointment book (list, book, move, cancel) and the visitor's slip;
//! - [`print`]: tickets from staff on the kiosk's printer (issued with `print`, or reprinted);
//! - [`error`]: the one error type, answered as `{"error": "…"}`;
//! - [`openapi`]: the OpenAPI document, derived from the handlers and their types, served at
//!   `/api/v1/openapi.json` (and written out as `docs/openapi.json`).
//!
//! [`ROUTES`] lists every route; the OpenAPI document documents exactly these and every answer
//! matches its schema (`tests/openapi.rs` checks).
//! The server takes its listener and its shutdown signal as arguments ([`serve`]), so tests
//! run it on `127.0.0.1:0`; its connections are held within [`ServerLimits`] (timeouts and
//! connection caps, [`serve_within`] with shorter ones in tests). It must not own the help point: it shares it with the kiosk's
//! screens, locks it only on blocking threads and never across an await.

pub mod api;
pub mod appointment_import;
pub mod appointments;
pub mod auth;
pub mod error;
pub mod live;
pub mod openapi;
pub mod pages;
pub mod print;
pub mod results;
pub mod words;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, DefaultBodyLimit};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, patch, post};
use axum::{Extension, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_layer::Layer;

pub use loket_protocol::server::ServerLimits;

use crate::config::Config;
use crate::owner::HelpPointHandle;
use error::{INTERNAL_MESSAGE, error_response};

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (the board, the pages, health, signing in).
    Public,
    /// A signed-in desk (with its CSRF token on changes) or an API token.
    Staff,
}

/// One route of a server, as its OpenAPI document must list it; `A` says who may use it (this
/// server's [`Access`] by default). The type is shared with `loket-central`.
pub type Route<A = Access> = loket_protocol::routes::Route<A>;

pub(crate) use loket_protocol::routes::route;

/// Every route [`router`] serves.
pub const ROUTES: &[Route] = &[
    route("GET", "/health", 200, Access::Public),
    route("GET", "/", 200, Access::Public),
    route("GET", "/board", 200, Access::Public),
    route("GET", "/static/{file}", 200, Access::Public),
    route("GET", "/api/v1/board", 200, Access::Public),
    route("GET", "/api/v1/board/events", 200, Access::Public),
    route("GET", "/api/v1/openapi.json", 200, Access::Public),
    route("POST", "/api/v1/session", 200, Access::Public),
    route("GET", "/api/v1/session", 200, Access::Public),
    route("DELETE", "/api/v1/session", 204, Access::Staff),
    route("GET", "/api/v1/desks", 200, Access::Public),
    route("GET", "/api/v1/desks/{desk}", 200, Access::Staff),
    route("POST", "/api/v1/desks/{desk}/call-next", 200, Access::Staff),
    route("POST", "/api/v1/desks/{desk}/recall", 200, Access::Staff),
    route("POST", "/api/v1/desks/{desk}/no-show", 200, Access::Staff),
    route("POST", "/api/v1/desks/{desk}/served", 200, Access::Staff),
    route("POST", "/api/v1/desks/{desk}/transfer", 200, Access::Staff),
    route("POST", "/api/v1/desks/{desk}/call", 200, Access::Staff),
    route("POST", "/api/v1/desks/{desk}/pause", 200, Access::Staff),
    route("POST", "/api/v1/desks/{desk}/resume", 200, Access::Staff),
    route("POST", "/api/v1/tickets", 201, Access::Staff),
    route("POST", "/api/v1/tickets/{id}/print", 200, Access::Staff),
    route("GET", "/api/v1/events", 200, Access::Staff),
    route("GET", "/api/v1/screening/{code}", 200, Access::Staff),
    route("GET", "/api/v1/appointments", 200, Access::Staff),
    route("POST", "/api/v1/appointments", 201, Access::Staff),
    route("PATCH", "/api/v1/appointments/{id}", 200, Access::Staff),
    route("POST", "/api/v1/appointments/{id}/cancel", 200, Access::Staff),
    route("GET", "/appointments/{id}/slip", 200, Access::Staff),
    route("POST", "/api/v1/appointments/import", 200, Access::Staff),
];

/// Request bodies are small JSON objects.
const BODY_LIMIT: usize = 16 * 1024;

/// What every request handler shares.
#[derive(Clone)]
pub struct WebState {
    pub help_point: HelpPointHandle,
    pub config: Arc<Config>,
    /// The reporter's status, shown in `/health` (none: not shown).
    pub report: Option<crate::report::ReportView>,
    live: Arc<live::Live>,
    sessions: Arc<auth::Sessions>,
    /// The kiosk's printer, for tickets from staff (none: they are not printed).
    pub printer: Option<print::Printer>,
    /// How long a request waits for its ticket to leave the printer ([`print::PRINT_WAIT`]).
    pub print_wait: std::time::Duration,
    /// The content pack in use, for the screening exercises' titles (none: ids only).
    pub content: Option<Arc<crate::content::Pack>>,
    /// The wall clock desk sessions end by (the system's; tests set their own).
    session_clock: Arc<dyn crate::clock::Clock>,
    sign_in_limiter: Arc<auth::SignInLimiter>,
    tokens: Arc<auth::VerifiedTokens>,
    /// PIN and token checks (Argon2, 19 MiB each) that may run at once.
    hashing: Arc<tokio::sync::Semaphore>,
}

impl WebState {
    /// The web side of a help point; from now on its changes are broadcast to live clients.
    pub fn new(help_point: HelpPointHandle, config: Arc<Config>) -> WebState {
        let live = live::Live::attach(&help_point);
        WebState {
            help_point,
            config,
            report: None,
            live: Arc::new(live),
            sessions: Arc::default(),
            printer: None,
            print_wait: print::PRINT_WAIT,
            content: None,
            session_clock: Arc::new(crate::clock::SystemClock),
            sign_in_limiter: Arc::default(),
            tokens: Arc::default(),
            hashing: Arc::new(tokio::sync::Semaphore::new(auth::CONCURRENT_CHECKS)),
        }
    }
}

impl WebState {
    /// Shows the reporter's status in `/health` and the console.
    pub fn with_report(mut self, report: crate::report::ReportView) -> WebState {
        self.report = Some(report);
        self
    }

    /// Prints tickets from staff on `printer` (the kiosk's print queue), waiting at most
    /// `wait` for each before answering "queued" (tests wait less).
    pub fn with_printer(mut self, printer: print::Printer, wait: std::time::Duration) -> WebState {
        self.printer = Some(printer);
        self.print_wait = wait;
        self
    }

    /// Names screening exercises by their titles in `content` in the result lookup.
    pub fn with_content(mut self, content: Option<Arc<crate::content::Pack>>) -> WebState {
        self.content = content;
        self
    }

    /// Ends desk sessions by `clock` instead of the system's (tests move it 12 hours on).
    pub fn with_session_clock(mut self, clock: Arc<dyn crate::clock::Clock>) -> WebState {
        self.session_clock = clock;
        self
    }

    /// Uses `limiter` for desk sign-ins (tests use a shorter slow-down).
    pub fn with_sign_in_limiter(mut self, limiter: auth::SignInLimiter) -> WebState {
        self.sign_in_limiter = Arc::new(limiter);
        self
    }
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    log::error!("web: a request handler panicked");
    error_response(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_MESSAGE)
}

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, "there is no such page or API route")
}

async fn method_not_allowed() -> Response {
    error_response(StatusCode::METHOD_NOT_ALLOWED, "this route does not take that method")
}

async fn safety_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// All routes of [`ROUTES`], wired to their handlers.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/health", get(api::health))
        .route("/", get(pages::console))
        .route("/board", get(pages::board))
        .route("/static/{file}", get(pages::static_file))
        .route("/api/v1/board", get(api::board))
        .route("/api/v1/board/events", get(live::board_events))
        .route("/api/v1/openapi.json", get(openapi::document_json))
        .route("/api/v1/session", post(auth::sign_in).get(auth::current).delete(auth::sign_out))
        .route("/api/v1/desks", get(api::desks))
        .route("/api/v1/desks/{desk}", get(api::desk))
        .route("/api/v1/desks/{desk}/call-next", post(api::call_next))
        .route("/api/v1/desks/{desk}/recall", post(api::recall))
        .route("/api/v1/desks/{desk}/no-show", post(api::no_show))
        .route("/api/v1/desks/{desk}/served", post(api::served))
        .route("/api/v1/desks/{desk}/transfer", post(api::transfer))
        .route("/api/v1/desks/{desk}/call", post(api::call))
        .route("/api/v1/desks/{desk}/pause", post(api::pause))
        .route("/api/v1/desks/{desk}/resume", post(api::resume))
        .route("/api/v1/tickets", post(api::take_ticket))
        .route("/api/v1/tickets/{id}/print", post(print::reprint))
        .route("/api/v1/events", get(live::queue_events))
        .route("/api/v1/screening/{code}", get(results::screening))
        .route("/api/v1/appointments", get(appointments::list).post(appointments::book))
        .route("/api/v1/appointments/{id}", patch(appointments::move_appointment))
        .route("/api/v1/appointments/{id}/cancel", post(appointments::cancel))
        .route("/appointments/{id}/slip", get(appointments::slip))
        .route(
            "/api/v1/appointments/import",
            post(appointment_import::import_appointments)
                .layer(DefaultBodyLimit::max(crate::appointment_import::MAX_BYTES)),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response(safety_headers))
        .layer(CatchPanicLayer::custom(panicked))
        .with_state(state)
}

/// Serves the web routes on `listener` until `shutdown` completes, within the default
/// [`ServerLimits`]; open event streams are ended then, so the server stops promptly.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: WebState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_within(listener, state, ServerLimits::default(), shutdown).await
}

/// [`serve`] within `limits`: how long clients may take and how many connections they may hold
/// (`loket_protocol::server` applies them). Long-lived event streams are requests in progress,
/// never idle.
pub async fn serve_within(
    listener: tokio::net::TcpListener,
    state: WebState,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let live = state.live.clone();
    let app = router(state);
    let per_client = move |addr: SocketAddr| Extension(ConnectInfo(addr)).layer(app.clone());
    let shutdown = async move {
        shutdown.await;
        live.close();
    };
    loket_protocol::server::serve(listener, None, limits, per_client, shutdown).await
}
