//! The staff API's OpenAPI 3.1 document, derived at compile time (utoipa) from the handlers'
//! `#[utoipa::path]` annotations and the `ToSchema` types of their requests and answers, and
//! served at `GET /api/v1/openapi.json`.
//!
//! It owns the document's frame (title, description, the two ways staff sign in), the schemas
//! of answer parts whose Rust types live outside the web layer (the domain must not know about
//! OpenAPI), and the description of the two event streams, whose handlers belong to `live`. It
//! must not describe anything by hand that a handler's types already say. `docs/openapi.json`
//! is this document written out for readers of the repository; `tests/openapi.rs` fails when
//! it differs and says how to write it again.

use std::sync::LazyLock;

use axum::Json;
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Required};
use utoipa::{Modify, OpenApi};

use super::error::ErrorBody;
use super::{api, appointment_import, appointments, auth, pages, results};

/// The description at the top of the document.
const DESCRIPTION: &str = "The web server of a Loket help point: the staff console, the public \
\"now serving\" board and the JSON API behind them. Every error is `{\"error\": \"…\"}` with a message \
a person can act on. Staff routes take either a desk session (cookie `loket_session` from `POST \
/api/v1/session`, plus header `X-CSRF-Token` on every POST and DELETE) or `Authorization: Bearer \
<API token>` (see `loket new-api-token`). A session may act for its own desk only; an API token for \
any desk.";

/// The staff API, as one OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Loket staff API",
        description = DESCRIPTION,
        license(name = "GPL-3.0-or-later", identifier = "GPL-3.0-or-later"),
    ),
    paths(
        api::health,
        pages::console,
        pages::board,
        pages::static_file,
        api::board,
        board_events,
        document_json,
        auth::sign_in,
        auth::current,
        auth::sign_out,
        api::desks,
        api::desk,
        api::call_next,
        api::recall,
        api::no_show,
        api::served,
        api::transfer,
        api::call,
        api::pause,
        api::resume,
        api::take_ticket,
        super::print::reprint,
        queue_events,
        results::screening,
        appointments::list,
        appointments::book,
        appointments::move_appointment,
        appointments::cancel,
        appointments::slip,
        appointment_import::import_appointments,
    ),
    components(schemas(ErrorBody, schemas::Change, api::CallView)),
    modifiers(&SignInSchemes, &OptionalBodies),
)]
pub struct ApiDoc;

/// The two ways staff are recognised: `session` (a desk's cookie) and `bearer` (an API token).
struct SignInSchemes;

impl Modify for SignInSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::auth::SESSION_COOKIE,
                "From POST /api/v1/session; POST and DELETE also need header X-CSRF-Token with the \
                 session's csrf_token.",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token from `loket new-api-token`, its hash in [[web.api_token]].",
                    ))
                    .build(),
            ),
        );
    }
}

/// A request body the handler takes as `Option<T>` may be left out (an empty body reads as
/// `{}`); utoipa also lets it be `null`, which the server refuses: the body's schema is `T`'s.
struct OptionalBodies;

fn is_null(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null))
}

impl Modify for OptionalBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                let Some(RefOr::T(body)) = &mut operation.request_body else { continue };
                if body.required == Some(Required::True) {
                    continue;
                }
                for content in body.content.values_mut() {
                    let RefOr::T(content) = content else { continue };
                    let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema else { continue };
                    if let [a, b] = one_of.items.as_slice()
                        && (is_null(a) != is_null(b))
                    {
                        content.schema = Some(if is_null(a) { b.clone() } else { a.clone() });
                    }
                }
            }
        }
    }
}

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
/// Public like the desk list: it describes the routes and holds nothing of the help point.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "about",
    responses((status = 200, description = "OpenAPI 3.1, as JSON.", body = Object)),
)]
pub async fn document_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(&DOCUMENT)
}

/// Server-Sent Events for the board.
///
/// Event `call` with a Call as data, for every call and recall. A comment every 15 s keeps the
/// stream open. A client too slow to keep up gets an event `resync` and should reload
/// /api/v1/board. (Served by `live::board_events`.)
#[utoipa::path(
    get,
    path = "/api/v1/board/events",
    tag = "board",
    responses((status = 200, description = "An event stream.", content_type = "text/event-stream", body = String)),
)]
#[allow(dead_code)]
fn board_events() {}

/// Server-Sent Events for staff: every committed change.
///
/// Event `queue` with a Change as data, for every change. A comment every 15 s keeps the
/// stream open. A client too slow to keep up gets an event `resync` and should reload its view.
/// (Served by `live::queue_events`.)
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "desks",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "An event stream.", content_type = "text/event-stream", body = String),
        (status = 401, description = "No session or API token, or a wrong one.", body = ErrorBody),
    ),
)]
#[allow(dead_code)]
fn queue_events() {}

/// Schemas of answer parts whose Rust types live outside the web layer (the queue, screening,
/// the reporter, the live stream's private shape): written here as types, so the document is
/// still derived, and checked against what the server really answers by `tests/openapi.rs`.
#[allow(dead_code)]
pub mod schemas {
    use jiff::Timestamp;
    use std::collections::BTreeMap;
    use utoipa::ToSchema;

    /// `ok` while the server answers and can store and print tickets; `degraded` when it cannot.
    #[derive(ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum HealthStatus {
        Ok,
        Degraded,
    }

    /// Where a ticket stands.
    #[derive(ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum TicketState {
        Waiting,
        Called,
        Served,
        NoShow,
        Expired,
    }

    /// An estimated wait, as a range of whole minutes.
    #[derive(ToSchema)]
    pub struct WaitEstimate {
        pub low_minutes: u32,
        pub high_minutes: u32,
    }

    /// How far a learner got with an exercise, or with a DigComp competence.
    ///
    /// on_own: done alone (no hint, no risky tap, at most learning.on_own_max_wrong_taps wrong
    /// taps); with_help: done with hints or more wrong taps; not_yet: skipped, left, not reached,
    /// shown by the kiosk, or a risky tap.
    #[derive(ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Level {
        OnOwn,
        WithHelp,
        NotYet,
    }

    /// How an exercise ended.
    #[derive(ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ItemEnding {
        Completed,
        Skipped,
        TimedOut,
        NotReached,
    }

    /// The first [[learning.referral]] rule that matched.
    #[derive(ToSchema)]
    pub struct Referral {
        /// The rule's outcome id, e.g. group-session.
        pub outcome: String,
        /// What staff read, from the config.
        pub label: String,
    }

    /// What the reporter is doing.
    #[derive(ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ReportState {
        Off,
        Starting,
        WaitingForClock,
        Sending,
        UpToDate,
        Unreachable,
        TokenRefused,
    }

    /// Reporting to the central system; absent when the kiosk runs no reporter.
    #[derive(ToSchema)]
    pub struct ReportStatus {
        pub state: ReportState,
        /// The state in words.
        pub message: String,
        /// With unreachable: since when.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub since: Option<Timestamp>,
        /// With unreachable: the last error.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reason: Option<String>,
        /// With token_refused: 401 or 403.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<u16>,
        /// Events not yet acknowledged.
        pub backlog: u64,
        #[schema(required = true)]
        pub oldest_unsent_at: Option<Timestamp>,
        #[schema(required = true)]
        pub last_sent_at: Option<Timestamp>,
        /// Events the central system refused for good, kept aside.
        pub refused: u64,
        /// Events not kept because the outbox was full, per type.
        pub dropped: BTreeMap<String, u64>,
        /// Settings or content from the central system that were refused.
        pub problems: Vec<String>,
    }

    /// What a change was.
    #[derive(ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ChangeType {
        TicketIssued,
        TicketCalled,
        TicketRecalled,
        TicketServed,
        TicketNoShow,
        TicketTransferred,
        TicketExpired,
        DeskPaused,
        DeskResumed,
    }

    /// The data of a `queue` event on `/api/v1/events`: one committed change.
    #[derive(ToSchema)]
    pub struct Change {
        #[serde(rename = "type")]
        pub kind: ChangeType,
        /// The ticket it changed, as it is now; null for a desk's pause and resume.
        #[schema(required = true)]
        pub ticket: Option<crate::web::api::TicketView>,
        /// The desk it happened at, if any.
        #[schema(required = true)]
        pub desk: Option<String>,
    }
}
