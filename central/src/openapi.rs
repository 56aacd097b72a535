//! loket-central's OpenAPI 3.1 document, derived at compile time (utoipa) from the handlers'
//! `#[utoipa::path]` annotations and the `ToSchema` types of their requests and answers — the
//! report protocol's wire types come from `loket_protocol::report` — and served at
//! `GET /api/v1/openapi.json`.
//!
//! It owns the document's frame (title, description, the two ways in: a kiosk's token and an
//! admin's session) and the description of the admin pages, whose handlers live in modules that
//! render HTML: their routes, parameters, form fields and content types are written here as
//! annotated stand-ins and types, so the pages' modules stay free of OpenAPI. It must not
//! describe by hand anything a handler's own types already say. `docs/openapi.json` is this
//! document written out for readers of the repository; `tests/openapi.rs` fails when it differs
//! and says how to write it again, and checks every answer the real server gives against it.

use std::sync::LazyLock;

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::api;
use loket_protocol::appointments::AppointmentEventBody;
use loket_protocol::report::ErrorBody;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";

/// The description at the top of the document.
const DESCRIPTION: &str = "The organisation's central system for Loket kiosks: the report protocol \
kiosks speak with a bearer token (`kioskToken`), and the admin dashboard (HTML, Dutch) behind a \
session cookie (`adminSession`, from `POST /login`; every POST also needs the session's CSRF token). \
Every JSON error is `{\"error\": \"…\"}` with a message a person can act on.";

/// loket-central, as one OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "loket-central",
        description = DESCRIPTION,
        license(name = "GPL-3.0-or-later", identifier = "GPL-3.0-or-later"),
    ),
    paths(
        super::health,
        document_json,
        api::events,
        api::heartbeat,
        api::settings,
        api::content,
        api::appointments,
        pages::login_page,
        pages::sign_in,
        pages::sign_out,
        pages::dashboard,
        pages::export_csv,
        pages::tokens,
        pages::create_token,
        pages::revoke_token,
        pages::files,
        pages::upload_settings,
        pages::upload_content,
        pages::delete_file,
        pages::appointments_page,
        pages::book_appointment,
        pages::move_appointment,
        pages::cancel_appointment,
    ),
    // The body of an `appointment_*` event (`WireEvent.body`), documented for whoever reads the
    // stored events; the central system tolerates fields it does not name.
    components(schemas(ErrorBody, AppointmentEventBody)),
    modifiers(&WaysIn),
    tags(
        (name = "kiosk", description = "The report protocol: what kiosks send and pull."),
        (name = "admin", description = "The dashboard and admin pages, for a signed-in admin."),
        (name = "about", description = "The server itself."),
    ),
)]
pub struct ApiDoc;

/// The two ways in: `kioskToken` (a kiosk's bearer token) and `adminSession` (an admin's cookie).
struct WaysIn;

impl Modify for WaysIn {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "kioskToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A kiosk token (64 hex digits) from `loket-central new-kiosk-token` or the tokens \
                         page; it names the kiosk and its site.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "adminSession",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::admin::SESSION_COOKIE,
                "Set by POST /login. Every POST also needs the session's CSRF token (form field `csrf`, \
                 or header X-CSRF-Token).",
            ))),
        );
    }
}

/// A content pack: a tar archive of a content folder, plain relative paths, files and folders only.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct TarArchive(pub Vec<u8>);

/// The document, made once.
static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

/// The document as the server serves it and `docs/openapi.json` holds it (pretty, with a final
/// newline).
pub fn document_text() -> String {
    // Serialising utoipa's own types cannot fail (string keys only).
    let mut text = DOCUMENT.to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// This document.
///
/// Public: it describes the routes and holds nothing of any kiosk or site.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "about",
    responses((status = 200, description = "OpenAPI 3.1, as JSON.", body = Object)),
)]
pub async fn document_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(&DOCUMENT)
}

/// The admin pages as the document describes them: stand-ins that only carry the annotations
/// (the handlers are `login`'s and `pages`'), and the form fields and answers they take and give.
#[allow(dead_code)]
pub mod pages {
    use loket_protocol::report::ErrorBody;
    use utoipa::ToSchema;

    /// `POST /login`'s form.
    #[derive(ToSchema)]
    pub struct SignInForm {
        pub name: String,
        pub password: String,
    }

    /// A form with only the session's CSRF token.
    #[derive(ToSchema)]
    pub struct CsrfForm {
        /// The session's CSRF token, as the page put it in a hidden field.
        pub csrf: String,
    }

    /// `POST /tokens`'s form.
    #[derive(ToSchema)]
    pub struct NewTokenForm {
        pub csrf: String,
        /// The kiosk's id (`site.kiosk_id`): letters, digits, `.`, `_`, `-`.
        pub kiosk: String,
        /// The site it stands at, as the dashboard groups it.
        pub site: String,
    }

    /// `POST /files/settings`'s form.
    #[derive(ToSchema)]
    pub struct SettingsForm {
        pub csrf: String,
        /// The kiosk they are for; empty or left out: the default for every kiosk.
        pub kiosk: Option<String>,
        /// The `loket.toml`; it must be valid TOML.
        pub toml: String,
    }

    /// Which file a kiosk pulls.
    #[derive(ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum FileKind {
        Settings,
        Content,
    }

    /// `POST /files/delete`'s form.
    #[derive(ToSchema)]
    pub struct DeleteFileForm {
        pub csrf: String,
        pub kind: FileKind,
        /// The kiosk whose file goes; empty or left out: the default.
        pub kiosk: Option<String>,
    }

    /// A content pack stored.
    #[derive(ToSchema)]
    pub struct StoredPack {
        /// Its ETag, which kiosks will see in their heartbeat's answer.
        pub etag: String,
    }

    /// The sign-in form.
    #[utoipa::path(
        get,
        path = "/login",
        tag = "admin",
        responses((status = 200, description = "The page.", content_type = "text/html", body = String)),
    )]
    pub fn login_page() {}

    /// Signs an admin in.
    ///
    /// Rate limited per name and address; when many addresses fail on one name, attempts on it
    /// take turns and wait a few seconds. A success sets the session cookie and goes to the
    /// dashboard; a failure shows the form again with the reason. A form posted from another
    /// site's page (by `Origin` or `Sec-Fetch-Site`) is refused.
    #[utoipa::path(
        post,
        path = "/login",
        tag = "admin",
        request_body(content = SignInForm, content_type = "application/x-www-form-urlencoded"),
        responses(
            (status = 303, description = "Signed in: to the dashboard.",
                headers(("Location" = String), ("Set-Cookie" = String, description = "The session cookie."))),
            (status = 400, description = "The form cannot be read, or the name or the password is too long.", body = ErrorBody),
            (status = 401, description = "A wrong name or password: the form again.", content_type = "text/html", body = String),
            (status = 403, description = "Posted from another site's page: the form again.", content_type = "text/html", body = String),
            (status = 429, description = "Too many failed sign-ins: the form again.", content_type = "text/html", body = String,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn sign_in() {}

    /// Signs out.
    #[utoipa::path(
        post,
        path = "/logout",
        tag = "admin",
        security(("adminSession" = [])),
        request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
        responses(
            (status = 303, description = "Signed out: to the sign-in form.",
                headers(("Location" = String), ("Set-Cookie" = String, description = "Clears the session cookie."))),
            (status = 400, description = "The form cannot be read.", body = ErrorBody),
            (status = 401, description = "Not signed in.", body = ErrorBody),
            (status = 403, description = "A missing or wrong CSRF token.", body = ErrorBody),
        ),
    )]
    pub fn sign_out() {}

    /// The dashboard.
    ///
    /// A day's figures per site and service, visitors per hour, the screenings' levels, the
    /// kiosks' health and warnings.
    #[utoipa::path(
        get,
        path = "/",
        tag = "admin",
        security(("adminSession" = [])),
        params(
            ("day" = Option<jiff::civil::Date>, Query, description = "The day shown; today when left out."),
            ("site" = Option<String>, Query, description = "One site; every site when left out."),
        ),
        responses(
            (status = 200, description = "The page.", content_type = "text/html", body = String),
            (status = 303, description = "Not signed in: to the sign-in form.", headers(("Location" = String))),
            (status = 400, description = "The day is not a date.", body = ErrorBody),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn dashboard() {}

    /// The figures as CSV.
    ///
    /// One row per site, day and service; then one `leren` row per site and day with the learning
    /// figures, and one `afspraken` row per site and day with the appointment figures.
    #[utoipa::path(
        get,
        path = "/export.csv",
        tag = "admin",
        security(("adminSession" = [])),
        params(
            ("from" = Option<jiff::civil::Date>, Query, description = "The first day; today when left out."),
            ("to" = Option<jiff::civil::Date>, Query, description = "The last day; `from` when left out."),
            ("site" = Option<String>, Query, description = "One site; every site when left out."),
        ),
        responses(
            (status = 200, description = "A CSV file (UTF-8), as an attachment.", content_type = "text/csv", body = String,
                headers(("Content-Disposition" = String))),
            (status = 303, description = "Not signed in: to the sign-in form.", headers(("Location" = String))),
            (status = 400, description = "A day that is not a date, or `to` before `from`.", body = ErrorBody),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn export_csv() {}

    /// Kiosk tokens: make one, revoke one.
    #[utoipa::path(
        get,
        path = "/tokens",
        tag = "admin",
        security(("adminSession" = [])),
        responses(
            (status = 200, description = "The page.", content_type = "text/html", body = String),
            (status = 303, description = "Not signed in: to the sign-in form.", headers(("Location" = String))),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn tokens() {}

    /// Makes a token for a kiosk.
    ///
    /// The page answered shows the token once: only its SHA-256 is stored.
    #[utoipa::path(
        post,
        path = "/tokens",
        tag = "admin",
        security(("adminSession" = [])),
        request_body(content = NewTokenForm, content_type = "application/x-www-form-urlencoded"),
        responses(
            (status = 200, description = "The tokens page with the new token.", content_type = "text/html", body = String),
            (status = 400, description = "The form cannot be read (JSON), or names no valid kiosk or site (the page again).",
                content(
                    (ErrorBody = "application/json"),
                    (String = "text/html"),
                )),
            (status = 401, description = "Not signed in.", body = ErrorBody),
            (status = 403, description = "A missing or wrong CSRF token.", body = ErrorBody),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn create_token() {}

    /// Revokes a token: its kiosk gets 401 from then on.
    #[utoipa::path(
        post,
        path = "/tokens/{id}/revoke",
        tag = "admin",
        security(("adminSession" = [])),
        params(("id" = i64, Path, description = "The token's number, as the tokens page shows it.")),
        request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
        responses(
            (status = 303, description = "Revoked: back to the tokens page.", headers(("Location" = String))),
            (status = 400, description = "The form cannot be read, or the id is not a number.", body = ErrorBody),
            (status = 401, description = "Not signed in.", body = ErrorBody),
            (status = 403, description = "A missing or wrong CSRF token.", body = ErrorBody),
            (status = 404, description = "There is no active token with this id.", body = ErrorBody),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn revoke_token() {}

    /// The settings and content packs kiosks pull, and the forms to change them.
    #[utoipa::path(
        get,
        path = "/files",
        tag = "admin",
        security(("adminSession" = [])),
        responses(
            (status = 200, description = "The page.", content_type = "text/html", body = String),
            (status = 303, description = "Not signed in: to the sign-in form.", headers(("Location" = String))),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn files() {}

    /// Stores a `loket.toml` for one kiosk, or (kiosk empty) the default for all.
    #[utoipa::path(
        post,
        path = "/files/settings",
        tag = "admin",
        security(("adminSession" = [])),
        request_body(content = SettingsForm, content_type = "application/x-www-form-urlencoded"),
        responses(
            (status = 303, description = "Stored: back to the files page.", headers(("Location" = String))),
            (status = 400, description = "The form cannot be read, names no valid kiosk, or the settings are not TOML.", body = ErrorBody),
            (status = 401, description = "Not signed in.", body = ErrorBody),
            (status = 403, description = "A missing or wrong CSRF token.", body = ErrorBody),
            (status = 413, description = "The settings are larger than 8 MiB.", body = ErrorBody),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn upload_settings() {}

    /// Stores a content pack for one kiosk, or the default.
    ///
    /// The tar archive is the raw body (at most 64 MiB, plain relative paths, files and folders
    /// only: no links or devices); the CSRF
    /// token goes in the X-CSRF-Token header.
    #[utoipa::path(
        post,
        path = "/files/content",
        tag = "admin",
        security(("adminSession" = [])),
        params(
            ("kiosk" = Option<String>, Query, description = "The kiosk it is for; the default when empty or left out."),
            ("X-CSRF-Token" = String, Header, description = "The session's CSRF token."),
        ),
        request_body(content = super::TarArchive, content_type = "application/x-tar"),
        responses(
            (status = 200, description = "Stored.", body = StoredPack),
            (status = 400, description = "Not a usable tar archive (the error names the entry and why), or no valid kiosk.", body = ErrorBody),
            (status = 401, description = "Not signed in.", body = ErrorBody),
            (status = 403, description = "A missing or wrong CSRF token.", body = ErrorBody),
            (status = 413, description = "The pack is larger than 64 MiB.", body = ErrorBody),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn upload_content() {}

    /// Removes a kiosk's (or the default) settings or content pack.
    #[utoipa::path(
        post,
        path = "/files/delete",
        tag = "admin",
        security(("adminSession" = [])),
        request_body(content = DeleteFileForm, content_type = "application/x-www-form-urlencoded"),
        responses(
            (status = 303, description = "Removed: back to the files page.", headers(("Location" = String))),
            (status = 400, description = "The form cannot be read, or names no kind or no valid kiosk.", body = ErrorBody),
            (status = 401, description = "Not signed in.", body = ErrorBody),
            (status = 403, description = "A missing or wrong CSRF token.", body = ErrorBody),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn delete_file() {}

    /// `POST /appointments`'s form. There is no field for a name.
    #[derive(ToSchema)]
    pub struct BookAppointmentForm {
        pub csrf: String,
        /// The site whose kiosks will check the visitor in, as its kiosks' tokens name it.
        pub site: String,
        /// The day, in the sites' time zone.
        pub date: jiff::civil::Date,
        /// The time, e.g. `10:30`.
        pub time: String,
        /// The service's id in the kiosks' settings.
        pub service: String,
        /// The desk's id; empty or left out: any desk of the service.
        pub desk: Option<String>,
        /// The visitor's language code, if known.
        pub language: Option<String>,
    }

    /// `POST /appointments/{uid}/move`'s form.
    #[derive(ToSchema)]
    pub struct MoveAppointmentForm {
        pub csrf: String,
        pub date: jiff::civil::Date,
        pub time: String,
        pub service: String,
        pub desk: Option<String>,
    }

    /// The appointments planned per site, the booking form and the appointment figures.
    ///
    /// The appointments from today on (cancelled ones marked) with their booking codes, and per
    /// site and day over the period: booked, checked in, late, did not come, cancelled.
    #[utoipa::path(
        get,
        path = "/appointments",
        tag = "admin",
        security(("adminSession" = [])),
        params(
            ("site" = Option<String>, Query, description = "One site; every site when left out."),
            ("from" = Option<jiff::civil::Date>, Query, description = "The figures' first day; four weeks before `to` when left out."),
            ("to" = Option<jiff::civil::Date>, Query, description = "The figures' last day; today when left out."),
        ),
        responses(
            (status = 200, description = "The page.", content_type = "text/html", body = String),
            (status = 303, description = "Not signed in: to the sign-in form.", headers(("Location" = String))),
            (status = 400, description = "A day that is not a date, or `to` before `from`.", body = ErrorBody),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn appointments_page() {}

    /// Books an appointment for a site's kiosks, with a new random six-digit booking code.
    #[utoipa::path(
        post,
        path = "/appointments",
        tag = "admin",
        security(("adminSession" = [])),
        request_body(content = BookAppointmentForm, content_type = "application/x-www-form-urlencoded"),
        responses(
            (status = 303, description = "Booked: back to the appointments page.", headers(("Location" = String))),
            (status = 400, description = "The form cannot be read, or names no site, a day or time that is not one or has passed, or a service, desk or language that is not an id.", body = ErrorBody),
            (status = 401, description = "Not signed in.", body = ErrorBody),
            (status = 403, description = "A missing or wrong CSRF token.", body = ErrorBody),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn book_appointment() {}

    /// Moves an appointment: a new day and time (and service and desk), the same code.
    #[utoipa::path(
        post,
        path = "/appointments/{uid}/move",
        tag = "admin",
        security(("adminSession" = [])),
        params(("uid" = String, Path, description = "The appointment's uid.")),
        request_body(content = MoveAppointmentForm, content_type = "application/x-www-form-urlencoded"),
        responses(
            (status = 303, description = "Moved: back to the appointments page.", headers(("Location" = String))),
            (status = 400, description = "The form cannot be read, or the day, time, service or desk is not one.", body = ErrorBody),
            (status = 401, description = "Not signed in.", body = ErrorBody),
            (status = 403, description = "A missing or wrong CSRF token.", body = ErrorBody),
            (status = 404, description = "There is no such appointment, or it is cancelled.", body = ErrorBody),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn move_appointment() {}

    /// Cancels an appointment: its code no longer checks in at the kiosks.
    #[utoipa::path(
        post,
        path = "/appointments/{uid}/cancel",
        tag = "admin",
        security(("adminSession" = [])),
        params(("uid" = String, Path, description = "The appointment's uid.")),
        request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
        responses(
            (status = 303, description = "Cancelled: back to the appointments page.", headers(("Location" = String))),
            (status = 400, description = "The form cannot be read.", body = ErrorBody),
            (status = 401, description = "Not signed in.", body = ErrorBody),
            (status = 403, description = "A missing or wrong CSRF token.", body = ErrorBody),
            (status = 404, description = "There is no such appointment, or it was cancelled already.", body = ErrorBody),
            (status = 500, description = "The central system failed; try again later.", body = ErrorBody,
                headers(("Retry-After" = u32, description = "Seconds to wait."))),
        ),
    )]
    pub fn cancel_appointment() {}
}
