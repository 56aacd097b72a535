//! `loket-central`: the organisation's central system. Kiosks post their events and
//! heartbeats to it and pull their settings, content packs ([`loket_protocol::report`]) and the
//! appointments planned for their site ([`loket_protocol::appointments`]); staff see the figures
//! of every site and the health of every kiosk on a Dutch dashboard, and plan appointments.
//!
//! Layout
//! - [`config`]: `central.toml`, read strictly;
//! - [`events`]: pure — checks a kiosk's event and takes out the figures the dashboard counts;
//! - [`store`]: the [`store::CentralStore`] trait and its queries, written once over a small
//!   backend seam; [`sqlite`] and [`postgres`] are the two real backends;
//! - [`figures`]: pure — warnings in plain words, CSV, the bar chart;
//! - [`api`]: the kiosk routes (bearer token); [`admin`]: sessions, CSRF, forms; [`login`]:
//!   signing in and out; [`layout`]: the frame of every page; [`pages`]: the dashboard and the
//!   admin pages; [`appointments`]: the appointments planned per site (book, move, cancel) and
//!   their figures; [`error`]: the one error type. Arrows: `login`, `pages` and `appointments`
//!   use `layout` and `admin`, `pages` uses `appointments`' figures table, `layout` uses `admin`;
//!   `admin` uses none of them;
//! - [`openapi`]: the OpenAPI document, derived from the handlers and served at
//!   `/api/v1/openapi.json`;
//! - [`tls`]: the HTTPS certificate and the client's address (connections, timeouts and caps are
//!   `loket_protocol::server`'s); [`cli`]: the `loket-central` command line.
//!
//! [`ROUTES`] lists every route; the OpenAPI document (and `docs/openapi.json`, its copy)
//! documents exactly these (a test checks). [`serve`] takes its listener, store, clock and shutdown as arguments, so tests run
//! the real server on `127.0.0.1:0` over SQLite in a temp dir or a throwaway PostgreSQL.

pub mod admin;
pub mod api;
pub mod appointments;
pub mod cli;
pub mod config;
pub mod error;
pub mod events;
pub mod figures;
pub mod layout;
pub mod login;
pub mod openapi;
pub mod pages;
pub mod postgres;
pub mod sqlite;
pub mod store;
pub mod tls;

use std::future::Future;
use std::sync::Arc;

use axum::extract::{ConnectInfo, DefaultBodyLimit};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use jiff::tz::TimeZone;
use tower_http::catch_panic::CatchPanicLayer;
use tower_layer::Layer;

use error::{CentralError, INTERNAL_MESSAGE, error_response};
use loket_protocol::appointments::APPOINTMENTS_PATH;
use loket_protocol::clock::Clock;
use loket_protocol::report::{
    CONTENT_PATH, EVENTS_PATH, HEARTBEAT_PATH, MAX_BODY_BYTES, MAX_CONTENT_BYTES, SETTINGS_PATH,
};
use loket_protocol::routes::route;
use store::{CentralStore, StoreError};

pub use loket_protocol::server::ServerLimits;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health, the sign-in page.
    Public,
    /// A kiosk with its bearer token.
    Kiosk,
    /// A signed-in admin (and the session's CSRF token on every POST).
    Admin,
}

/// One route of `loket-central`.
pub type Route = loket_protocol::routes::Route<Access>;

/// Every route [`router`] serves.
pub const ROUTES: &[Route] = &[
    route("GET", "/health", 200, Access::Public),
    route("GET", openapi::DOCUMENT_PATH, 200, Access::Public),
    route("POST", EVENTS_PATH, 200, Access::Kiosk),
    route("POST", HEARTBEAT_PATH, 200, Access::Kiosk),
    route("GET", SETTINGS_PATH, 200, Access::Kiosk),
    route("GET", CONTENT_PATH, 200, Access::Kiosk),
    route("GET", APPOINTMENTS_PATH, 200, Access::Kiosk),
    route("GET", "/login", 200, Access::Public),
    route("POST", "/login", 303, Access::Public),
    route("POST", "/logout", 303, Access::Admin),
    route("GET", "/", 200, Access::Admin),
    route("GET", "/export.csv", 200, Access::Admin),
    route("GET", "/tokens", 200, Access::Admin),
    route("POST", "/tokens", 200, Access::Admin),
    route("POST", "/tokens/{id}/revoke", 303, Access::Admin),
    route("GET", "/files", 200, Access::Admin),
    route("POST", "/files/settings", 303, Access::Admin),
    route("POST", "/files/content", 200, Access::Admin),
    route("POST", "/files/delete", 303, Access::Admin),
    route("GET", "/appointments", 200, Access::Admin),
    route("POST", "/appointments", 303, Access::Admin),
    route("POST", "/appointments/{uid}/move", 303, Access::Admin),
    route("POST", "/appointments/{uid}/cancel", 303, Access::Admin),
];

/// How the dashboard reads the figures.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A kiosk not heard from for this long is "not seen".
    pub stale_minutes: u32,
    /// The staff's language, `dashboard.language`: the pages are shown in it.
    pub language: String,
    /// The sites' time zone.
    pub time_zone: TimeZone,
    /// The server speaks HTTPS, itself or through a proxy (`[proxy] public_url`): cookies are
    /// `Secure`.
    pub secure_cookies: bool,
    /// The proxy's public origin (`https://host`), whose pages may sign in besides `Host`'s.
    pub public_origin: Option<String>,
    /// How sign-ins slow down when many addresses fail on one admin.
    pub sign_in: loket_protocol::sign_in::SlowDown,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            stale_minutes: 15,
            language: "nl".into(),
            time_zone: TimeZone::get("Europe/Brussels").unwrap_or(TimeZone::UTC),
            secure_cookies: false,
            public_origin: None,
            sign_in: loket_protocol::sign_in::SlowDown::default(),
        }
    }
}

/// What every request handler shares.
#[derive(Clone)]
pub struct CentralState {
    pub store: Arc<dyn CentralStore>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    sessions: Arc<admin::Sessions>,
    limiter: Arc<loket_protocol::sign_in::SignInLimiter>,
    /// Argon2 checks (19 MiB each) that may run at once.
    hashing: Arc<tokio::sync::Semaphore>,
}

impl CentralState {
    pub fn new(store: Arc<dyn CentralStore>, clock: Arc<dyn Clock>, settings: Settings) -> CentralState {
        let limiter = Arc::new(loket_protocol::sign_in::SignInLimiter::new(settings.sign_in));
        CentralState {
            store,
            clock,
            settings: Arc::new(settings),
            sessions: Arc::default(),
            limiter,
            hashing: Arc::new(tokio::sync::Semaphore::new(2)),
        }
    }

    /// Runs `work` on the store on a blocking thread.
    pub async fn with_store<R: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn CentralStore) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, CentralError> {
        let store = self.store.clone();
        Ok(tokio::task::spawn_blocking(move || work(store.as_ref())).await??)
    }
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    log::error!("central: a request handler panicked");
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
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The answer to `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` while the server answers.
    pub status: String,
    /// loket-central's version.
    pub version: String,
}

/// Liveness.
///
/// For a monitor or a load balancer: it touches neither the store nor a session.
#[utoipa::path(
    get,
    path = "/health",
    tag = "about",
    responses((status = 200, description = "The server answers.", body = Health)),
)]
pub async fn health() -> axum::Json<Health> {
    axum::Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() })
}

/// All routes of [`ROUTES`], wired to their handlers.
pub fn router(state: CentralState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route(openapi::DOCUMENT_PATH, get(openapi::document_json))
        .route(EVENTS_PATH, post(api::events))
        .route(HEARTBEAT_PATH, post(api::heartbeat))
        .route(SETTINGS_PATH, get(api::settings))
        .route(CONTENT_PATH, get(api::content))
        .route(APPOINTMENTS_PATH, get(api::appointments))
        .route("/login", get(login::login_page).post(login::sign_in))
        .route("/logout", post(login::sign_out))
        .route("/", get(pages::dashboard))
        .route("/export.csv", get(pages::export_csv))
        .route("/tokens", get(pages::tokens).post(pages::create_token))
        .route("/tokens/{id}/revoke", post(pages::revoke_token))
        .route("/files", get(pages::files))
        .route("/files/settings", post(pages::upload_settings))
        .route(
            "/files/content",
            post(pages::upload_content).layer(DefaultBodyLimit::max(MAX_CONTENT_BYTES + 64 * 1024)),
        )
        .route("/files/delete", post(pages::delete_file))
        .route("/appointments", get(appointments::page).post(appointments::book))
        .route("/appointments/{uid}/move", post(appointments::move_one))
        .route("/appointments/{uid}/cancel", post(appointments::cancel))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(safety_headers))
        .layer(CatchPanicLayer::custom(panicked))
        .with_state(state)
}

/// Serves the central system on `listener` — over HTTPS when `tls` is given — until
/// `shutdown` completes, within [`central_limits`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: CentralState,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_within(listener, state, tls, central_limits(), shutdown).await
}

/// The kiosk's [`ServerLimits`], but with time for an admin's content pack (up to
/// [`MAX_CONTENT_BYTES`], 64 MiB) to come in over a slow office line: ten minutes is about
/// 1 Mbit/s.
pub fn central_limits() -> ServerLimits {
    ServerLimits { body_timeout: std::time::Duration::from_secs(600), ..ServerLimits::default() }
}

/// [`serve`] within `limits`: how long clients (and TLS handshakes) may take and how many
/// connections they may hold (`loket_protocol::server` applies them).
pub async fn serve_within(
    listener: tokio::net::TcpListener,
    state: CentralState,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state);
    let per_client = move |addr| Extension(ConnectInfo(tls::PeerAddr(addr))).layer(app.clone());
    loket_protocol::server::serve(listener, tls, limits, per_client, shutdown).await
}

/// A central system running in this process, on `127.0.0.1:0`: for tests here and for the
/// kiosk's reporter tests. It stops when dropped.
pub struct InProcess {
    /// Where it listens: `http://{addr}` (or `https://` when started with TLS).
    pub addr: std::net::SocketAddr,
    pub store: Arc<dyn CentralStore>,
    limiter: Arc<loket_protocol::sign_in::SignInLimiter>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl InProcess {
    /// Starts the server over `store` on a free local port; `tls` makes it speak HTTPS.
    pub async fn start(
        store: Arc<dyn CentralStore>,
        clock: Arc<dyn Clock>,
        settings: Settings,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<InProcess> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = CentralState::new(store.clone(), clock, settings);
        let limiter = state.limiter.clone();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(e) = serve(listener, state, tls, shutdown).await {
                log::error!("central: {e}");
            }
        });
        Ok(InProcess { addr, store, limiter, _stop: stop })
    }

    /// Starts it over SQLite in `dir` (`central.sqlite`).
    pub async fn start_sqlite(dir: &std::path::Path, clock: Arc<dyn Clock>) -> Result<InProcess, StoreError> {
        let path = dir.join("central.sqlite");
        let store = tokio::task::spawn_blocking(move || sqlite::Sqlite::open(&path))
            .await
            .map_err(|e| StoreError::Database(e.to_string()))??;
        InProcess::start(Arc::new(store), clock, Settings::default(), None)
            .await
            .map_err(|e| StoreError::Database(e.to_string()))
    }

    /// Starts it over the PostgreSQL database at `url` (`postgres://…`).
    pub async fn start_postgres(url: &str, clock: Arc<dyn Clock>) -> Result<InProcess, StoreError> {
        let url = url.to_owned();
        let store = tokio::task::spawn_blocking(move || postgres::Postgres::open(&url))
            .await
            .map_err(|e| StoreError::Database(e.to_string()))??;
        InProcess::start(Arc::new(store), clock, Settings::default(), None)
            .await
            .map_err(|e| StoreError::Database(e.to_string()))
    }

    /// How many entries the sign-in limiter holds (bounded, whatever clients send).
    pub fn sign_in_entries(&self) -> usize {
        self.limiter.entries()
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    async fn blocking<R: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn CentralStore) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || work(store.as_ref()))
            .await
            .map_err(|e| StoreError::Database(e.to_string()))?
    }

    /// Makes a token for `kiosk` at `site`; the token for its `Authorization: Bearer` header.
    pub async fn new_kiosk_token(&self, kiosk: &str, site: &str) -> Result<String, StoreError> {
        let (kiosk, site) = (kiosk.to_owned(), site.to_owned());
        self.blocking(move |s| Ok(pages::new_kiosk_token(s, &kiosk, &site, jiff::Timestamp::now())?.1)).await
    }

    /// The ids of the events stored for `kiosk`, in its sequence order.
    pub async fn event_ids(&self, kiosk: &str) -> Result<Vec<String>, StoreError> {
        let kiosk = kiosk.to_owned();
        self.blocking(move |s| s.event_ids(&kiosk)).await
    }

    /// How many events are stored for `kiosk`.
    pub async fn event_count(&self, kiosk: &str) -> Result<u64, StoreError> {
        let kiosk = kiosk.to_owned();
        self.blocking(move |s| s.event_count(&kiosk)).await
    }
}
