//! The staff API's OpenAPI document, generated from the handlers (`loket::web::openapi`):
//! it is valid OpenAPI 3.1, documents exactly the routes the server has with their success
//! status, is what `/api/v1/openapi.json` serves and what `docs/openapi.json` holds, and every
//! answer the real server gives — successes and the main refusals — matches the schema the
//! document gives for that route and status.

mod common;

use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use jiff::SignedDuration;
use loket::config::ApiToken;
use loket::report::{ReportState, ReportView};
use loket::web::ROUTES;
use loket::web::openapi::{ApiDoc, document_text};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use utoipa::OpenApi;

/// Set this to write `docs/openapi.json` from the code instead of comparing it.
const WRITE_ENV: &str = "LOKET_WRITE_OPENAPI";
const CHECKED_IN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");

fn document() -> Value {
    serde_json::to_value(ApiDoc::openapi()).expect("the document is JSON")
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

#[test]
fn the_checked_in_document_is_the_generated_one() {
    let generated = document_text();
    if std::env::var_os(WRITE_ENV).is_some() {
        std::fs::write(CHECKED_IN, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(CHECKED_IN).unwrap_or_default();
    assert!(
        checked_in == generated,
        "docs/openapi.json differs from the document the code generates; write it again with\n    \
         {WRITE_ENV}=1 cargo test --test openapi the_checked_in_document\nand commit it"
    );
}

#[test]
fn the_document_is_valid_openapi_3_1() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Loket staff API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(doc["info"]["description"].as_str().is_some_and(|d| d.contains("X-CSRF-Token")));
    // It reads back into the OpenAPI types, and says the same when written again.
    let parsed: utoipa::openapi::OpenApi = serde_json::from_value(doc.clone()).expect("an OpenAPI document");
    assert_eq!(serde_json::to_value(&parsed).unwrap(), doc);
    // Every schema is a valid JSON Schema (2020-12, OpenAPI 3.1's dialect).
    let schemas = doc["components"]["schemas"].as_object().expect("component schemas");
    assert!(schemas.len() >= 20, "{} schemas", schemas.len());
    for (name, schema) in schemas {
        if let Err(e) = jsonschema::draft202012::meta::validate(schema) {
            panic!("the schema {name} is not valid JSON Schema: {e}");
        }
    }
    for scheme in ["session", "bearer"] {
        assert!(doc["components"]["securitySchemes"][scheme].is_object(), "security scheme {scheme}");
    }
    // Every operation has an id of its own, a summary and responses with descriptions.
    let mut ids = HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path}: operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path}: summary");
            for (status, response) in op["responses"].as_object().unwrap() {
                assert!(response["description"].is_string(), "{method} {path} {status}: description");
            }
            for requirement in op["security"].as_array().into_iter().flatten() {
                for scheme in requirement.as_object().unwrap().keys() {
                    assert!(doc["components"]["securitySchemes"][scheme].is_object(), "{scheme} exists");
                }
            }
        }
    }
}

#[test]
fn the_document_lists_exactly_the_routes_of_the_router() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in
            item.as_object().expect("path item").iter().filter(|(k, _)| METHODS.contains(&k.as_str()))
        {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let served: BTreeSet<(String, String)> =
        ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
    assert_eq!(served.len(), ROUTES.len(), "ROUTES has no duplicates");
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty() && extra.is_empty(), "not documented: {missing:?}; not served: {extra:?}");
}

#[test]
fn every_operation_documents_its_success_status_and_staff_routes_their_401() {
    let doc = document();
    for route in ROUTES {
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{route:?} has responses"));
        assert!(
            responses.contains_key(&route.success.to_string()),
            "{} {} documents {}",
            route.method,
            route.path,
            route.success
        );
        let successes: Vec<&String> = responses.keys().filter(|k| k.starts_with('2')).collect();
        assert_eq!(successes, [&route.success.to_string()], "{route:?}: one success status");
        if route.access == loket::web::Access::Staff {
            assert!(responses.contains_key("401"), "{route:?} documents 401");
            assert!(op["security"].is_array(), "{route:?} documents its security");
        }
        let mut declared = BTreeSet::new();
        for parameter in op["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap_or_default();
            // A query parameter (a list's filter) is never a path segment; every other one is.
            let in_path = route.path.contains(&format!("{{{name}}}"));
            if parameter["in"] == "query" {
                assert!(!in_path, "{route:?}: query parameter {name} is not in the path");
                continue;
            }
            assert!(in_path, "{route:?}: parameter {name} is in the path");
            declared.insert(name.to_owned());
        }
        for segment in route.path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')) {
            assert!(declared.contains(segment), "{route:?}: the path parameter {segment} is declared");
        }
    }
}

#[test]
fn every_reference_resolves() {
    let doc = document();
    let found = loket_testkit::openapi::refs(&doc);
    assert!(!found.is_empty());
    for r in found {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("local reference: {r}"));
        assert!(doc.pointer(pointer).is_some(), "{r} resolves");
    }
}

// ---- the real server's answers against the document -----------------------------------------

/// Checks answers against the document, and remembers which (method, path, status) it checked.
struct Contract {
    doc: Value,
    checked: Mutex<BTreeSet<(String, String, u16)>>,
}

impl Contract {
    fn new() -> Contract {
        Contract { doc: document(), checked: Mutex::default() }
    }

    /// A validator for `schema` (a part of the document), its references resolved in it.
    fn validator(&self, schema: &Value) -> jsonschema::Validator {
        loket_testkit::openapi::validator(&self.doc, schema)
    }

    fn check_against(&self, what: &str, schema: &Value, body: &Value) {
        loket_testkit::openapi::assert_matches(&self.doc, what, schema, body);
    }

    /// The documented response of `method path` with `status`.
    fn response(&self, method: &str, path: &str, status: u16) -> &Value {
        let response = &self.doc["paths"][path][method.to_lowercase()]["responses"][status.to_string()];
        assert!(response.is_object(), "{method} {path} answered {status}, which the document does not list");
        self.checked.lock().unwrap().insert((method.to_owned(), path.to_owned(), status));
        response
    }

    /// Checks a real answer to `method path` (the documented path, e.g. `/api/v1/desks/{desk}`):
    /// its status is documented, its content type too, and its JSON body matches the schema.
    async fn check(&self, method: &str, path: &str, answer: reqwest::Response) -> (StatusCode, Value) {
        let status = answer.status();
        let content_type = answer
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().trim().to_owned());
        let retry_after = answer.headers().contains_key("retry-after");
        let bytes = answer.bytes().await.unwrap();
        let response = self.response(method, path, status.as_u16()).clone();
        let what = format!("{method} {path} {status}");
        if retry_after {
            assert!(response["headers"]["Retry-After"].is_object(), "{what}: Retry-After is documented");
        }
        let Some(content) = response["content"].as_object().filter(|c| !c.is_empty()) else {
            assert!(bytes.is_empty(), "{what}: documented without a body, but answered {bytes:?}");
            return (status, Value::Null);
        };
        let content_type = content_type.unwrap_or_else(|| panic!("{what}: a content type"));
        let media = content.get(&content_type).unwrap_or_else(|| {
            panic!("{what}: answered {content_type}; documented {:?}", content.keys().collect::<Vec<_>>())
        });
        if content_type != "application/json" {
            return (status, Value::Null);
        }
        let body: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{what}: JSON ({e})"));
        self.check_against(&what, &media["schema"], &body);
        (status, body)
    }

    /// The data of a server-sent event checked against the component schema `name`.
    fn check_event(&self, name: &str, data: &str) {
        let body: Value = serde_json::from_str(data).unwrap();
        let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
        self.check_against(&format!("event data {name}"), &schema, &body);
    }
}

struct Server {
    web: common::web::WebServer,
    http: reqwest::Client,
    token: String,
    contract: Contract,
}

/// A desk signed in through the API.
struct Desk {
    cookie: String,
    csrf: String,
}

async fn start() -> Server {
    let token = loket::secret::new_token();
    let hash = loket::secret::hash(&token).unwrap();
    let unreachable = ReportState::Unreachable {
        since: "2026-11-30T08:00:00Z".parse().unwrap(),
        reason: "connection refused".into(),
    };
    let web = common::web::start_web_with(
        |config| config.web.api_tokens.push(ApiToken { name: "second kiosk".into(), token_hash: hash }),
        |state| state.with_report(ReportView::new(unreachable)),
    )
    .await;
    Server { web, http: loket::tls::client().build().unwrap(), token, contract: Contract::new() }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.web.base)
    }

    fn take(&self, service: &str) -> i64 {
        let service = service.to_owned();
        self.web.help_point.run(move |hp| hp.take_ticket(&service, "nl")).unwrap().unwrap().ticket.id.0
    }

    fn as_desk(&self, desk: &Desk, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("cookie", &desk.cookie)
            .header("x-csrf-token", &desk.csrf)
    }

    fn as_token(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(&self.token)
    }

    /// Sends `request` and checks its answer against `method documented`.
    async fn check(&self, documented: &str, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let request = request.build().unwrap();
        let method = request.method().as_str().to_owned();
        let answer = self.http.execute(request).await.unwrap();
        self.contract.check(&method, documented, answer).await
    }

    async fn sign_in(&self, desk: &str, pin: &str) -> Desk {
        let request = self.http.post(self.url("/api/v1/session")).json(&json!({ "desk": desk, "pin": pin }));
        let request = request.build().unwrap();
        let answer = self.http.execute(request).await.unwrap();
        let cookie = answer.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let (status, body) = self.contract.check("POST", "/api/v1/session", answer).await;
        assert_eq!(status, StatusCode::OK);
        Desk { cookie, csrf: body["csrf_token"].as_str().unwrap().to_owned() }
    }
}

/// The first server-sent event named `name` on `stream`: its data.
async fn first_event(mut stream: reqwest::Response, name: &str) -> String {
    let mut seen = String::new();
    let marker = format!("event: {name}\ndata: ");
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if let Some(start) = seen.find(&marker) {
                let rest = &seen[start + marker.len()..];
                if let Some(end) = rest.find('\n') {
                    return rest[..end].to_owned();
                }
            }
        }
        panic!("the stream ended; saw {seen:?}");
    })
    .await;
    found.unwrap_or_else(|_| panic!("no {name} event within 10 s"))
}

/// A screening a learner finished a few minutes ago; its result code.
fn record_screening(server: &Server) -> String {
    use loket::screening::{ItemEnding, ItemResult, ScreeningRun, StepResult};
    let step = |wrong_taps: u32, risky_taps: u32, hint_level: u8| StepResult {
        step_id: "s01".into(),
        done: true,
        wrong_taps,
        risky_taps,
        hint_level,
        time_ms: 20_000,
        first_action_ms: Some(3_000),
    };
    let item = |id: &str, digcomp: &[&str], ending: ItemEnding, steps: Vec<StepResult>| ItemResult {
        item_id: id.into(),
        version: 1,
        digcomp: digcomp.iter().map(|c| (*c).to_owned()).collect(),
        digcomp_version: "2.2".into(),
        ending,
        steps,
        duration_ms: 65_000,
    };
    let now = server.web.help_point.now();
    let run = ScreeningRun {
        language: "ar".into(),
        instructions_language: None,
        started_at: now.checked_sub(SignedDuration::from_mins(6)).unwrap(),
        ended_at: now,
        finished: true,
        items: vec![
            item("x01-touch-warmup", &["5.2"], ItemEnding::Completed, vec![step(0, 0, 0)]),
            item("x04-mail-reply", &["2.1"], ItemEnding::Completed, vec![step(0, 0, 2)]),
            item("x07-phishing", &["4.2", "1.2"], ItemEnding::Completed, vec![step(1, 1, 0)]),
            item("x08-search-ad", &["1.1", "1.2"], ItemEnding::NotReached, vec![]),
        ],
    };
    server.web.help_point.run(move |hp| hp.record_screening(run)).unwrap().unwrap().code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_of_the_real_server_matches_its_schema() {
    let s = start().await;
    let get = |path: &str| s.http.get(s.url(path));

    // The document itself, as served: the one the code generates.
    let (_, served) = s.check("/api/v1/openapi.json", get("/api/v1/openapi.json")).await;
    assert_eq!(served, document(), "/api/v1/openapi.json serves the generated document");

    // Public pages and reads.
    s.check("/health", get("/health")).await;
    s.check("/", get("/")).await;
    s.check("/board", get("/board")).await;
    for file in ["console.js", "board.js", "style.css"] {
        s.check("/static/{file}", get(&format!("/static/{file}"))).await;
    }
    assert_eq!(s.check("/static/{file}", get("/static/secret.txt")).await.0, StatusCode::NOT_FOUND);
    s.check("/api/v1/desks", get("/api/v1/desks")).await;

    // Live streams: open them before anything happens.
    let staff_events = s.as_token(Method::GET, "/api/v1/events").send().await.unwrap();
    let board_events = get("/api/v1/board/events").send().await.unwrap();
    assert_eq!(staff_events.status(), StatusCode::OK);
    assert_eq!(board_events.status(), StatusCode::OK);
    assert_eq!(s.check("/api/v1/events", get("/api/v1/events")).await.0, StatusCode::UNAUTHORIZED);

    // Signing in: refusals first.
    let session = "/api/v1/session";
    let bad_json = s.http.post(s.url(session)).header("content-type", "application/json").body("{desk");
    assert_eq!(s.check(session, bad_json).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(s.check(session, get(session)).await.0, StatusCode::UNAUTHORIZED);
    let desk1 = s.sign_in("desk-1", "2468").await;
    let (status, view) = s.check(session, s.as_desk(&desk1, Method::GET, session)).await;
    assert_eq!((status, view["desk"].as_str()), (StatusCode::OK, Some("desk-1")));

    // A desk's day: a call, every action, and what each refuses.
    let desk = "/api/v1/desks/{desk}";
    let act = |action: &str| format!("/api/v1/desks/{{desk}}/{action}");
    let on_desk1 = |action: &str| format!("/api/v1/desks/desk-1/{action}");
    assert_eq!(
        s.check(&act("call-next"), s.as_desk(&desk1, Method::POST, &on_desk1("call-next"))).await.0,
        StatusCode::CONFLICT
    );
    let first = s.take("email");
    s.take("email");
    s.take("email");
    let (status, called) =
        s.check(&act("call-next"), s.as_desk(&desk1, Method::POST, &on_desk1("call-next"))).await;
    assert_eq!((status, called["called"]["id"].as_i64()), (StatusCode::OK, Some(first)));
    let (status, view) = s.check(desk, s.as_desk(&desk1, Method::GET, "/api/v1/desks/desk-1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        view["current"].is_object() && view["waiting"].as_array().is_some_and(|w| !w.is_empty()),
        "{view}"
    );
    assert_eq!(s.check(desk, get("/api/v1/desks/desk-1")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        s.check(desk, s.as_desk(&desk1, Method::GET, "/api/v1/desks/desk-2")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(s.check(desk, s.as_token(Method::GET, "/api/v1/desks/desk-9")).await.0, StatusCode::NOT_FOUND);

    let recall = s.as_desk(&desk1, Method::POST, &on_desk1("recall"));
    assert_eq!(s.check(&act("recall"), recall.json(&json!({ "ticket": first }))).await.0, StatusCode::OK);
    let wrong_body = s.as_desk(&desk1, Method::POST, &on_desk1("recall")).json(&json!({ "tikket": 1 }));
    assert_eq!(s.check(&act("recall"), wrong_body).await.0, StatusCode::BAD_REQUEST);
    let moved_on = s.as_desk(&desk1, Method::POST, &on_desk1("recall")).json(&json!({ "ticket": first + 1 }));
    assert_eq!(s.check(&act("recall"), moved_on).await.0, StatusCode::CONFLICT);
    let no_csrf = s.http.post(s.url(&on_desk1("recall"))).header("cookie", &desk1.cookie);
    assert_eq!(s.check(&act("recall"), no_csrf).await.0, StatusCode::FORBIDDEN);
    let no_session = s.http.post(s.url(&on_desk1("recall")));
    assert_eq!(s.check(&act("recall"), no_session).await.0, StatusCode::UNAUTHORIZED);

    let served = |body: Value| s.as_desk(&desk1, Method::POST, &on_desk1("served")).json(&body);
    let (status, message) = s.check(&act("served"), served(json!({ "outcome": "<script>" }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
    assert_eq!(s.check(&act("served"), served(json!({ "outcome": "Geholpen" }))).await.0, StatusCode::OK);

    s.check(&act("call-next"), s.as_desk(&desk1, Method::POST, &on_desk1("call-next"))).await;
    let (status, changed) =
        s.check(&act("no-show"), s.as_desk(&desk1, Method::POST, &on_desk1("no-show"))).await;
    assert_eq!((status, changed["ticket"]["state"].as_str()), (StatusCode::OK, Some("no_show")));

    let third = first + 2;
    let call =
        |ticket: i64| s.as_desk(&desk1, Method::POST, &on_desk1("call")).json(&json!({ "ticket": ticket }));
    assert_eq!(s.check(&act("call"), call(9999)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(s.check(&act("call"), call(third)).await.0, StatusCode::OK);
    let transfer = |service: &str| {
        s.as_desk(&desk1, Method::POST, &on_desk1("transfer")).json(&json!({ "service": service }))
    };
    assert_eq!(s.check(&act("transfer"), transfer("fax")).await.0, StatusCode::NOT_FOUND);
    let (status, changed) = s.check(&act("transfer"), transfer("tablet")).await;
    assert_eq!(
        (status, changed["ticket"]["service"].as_str()),
        (StatusCode::OK, Some("tablet")),
        "{changed}"
    );

    for action in ["pause", "resume"] {
        let (status, body) = s.check(&act(action), s.as_desk(&desk1, Method::POST, &on_desk1(action))).await;
        assert_eq!((status, body["paused"].as_bool()), (StatusCode::OK, Some(action == "pause")));
    }

    // Tickets issued by a machine.
    let tickets = "/api/v1/tickets";
    let issue = |service: &str, language: &str| {
        s.as_token(Method::POST, tickets).json(&json!({ "service": service, "language": language }))
    };
    let (status, issued) = s.check(tickets, issue("email", "ar")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(issued["wait"].is_object() || issued["wait"].is_null(), "{issued}");
    assert_eq!(s.check(tickets, issue("fax", "nl")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(s.check(tickets, issue("email", "de")).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let wrong_token = s.http.post(s.url(tickets)).bearer_auth("f".repeat(64)).json(&json!({}));
    assert_eq!(s.check(tickets, wrong_token).await.0, StatusCode::UNAUTHORIZED);
    let desk_without_csrf = s.http.post(s.url(tickets)).header("cookie", &desk1.cookie).json(&json!({}));
    assert_eq!(s.check(tickets, desk_without_csrf).await.0, StatusCode::FORBIDDEN);
    let unknown_field = s.as_token(Method::POST, tickets).json(&json!({ "service": "email", "lang": "nl" }));
    assert_eq!(s.check(tickets, unknown_field).await.0, StatusCode::BAD_REQUEST);
    // Printed on the kiosk's printer (this server has none: the answer says so), and again.
    let printed = s
        .as_token(Method::POST, tickets)
        .json(&json!({ "service": "email", "language": "nl", "print": true }));
    let (status, issued) = s.check(tickets, printed).await;
    assert_eq!((status, issued["print"]["state"].as_str()), (StatusCode::CREATED, Some("printer_not_ready")));
    let reprint = "/api/v1/tickets/{id}/print";
    let again = format!("/api/v1/tickets/{}/print", issued["ticket"]["id"]);
    let (status, reprinted) = s.check(reprint, s.as_token(Method::POST, &again)).await;
    assert_eq!((status, reprinted["print"]["state"].as_str()), (StatusCode::OK, Some("printer_not_ready")));
    assert_eq!(
        s.check(reprint, s.as_token(Method::POST, "/api/v1/tickets/9999/print")).await.0,
        StatusCode::NOT_FOUND
    );

    // The board, now that there were calls, and what the streams said meanwhile.
    let (_, board) = s.check("/api/v1/board", get("/api/v1/board")).await;
    assert!(board["calls"].as_array().is_some_and(|c| !c.is_empty()), "{board}");
    s.contract.check_event("Call", &first_event(board_events, "call").await);
    s.contract.check_event("Change", &first_event(staff_events, "queue").await);

    // Screening results.
    let code = record_screening(&s);
    let screening = "/api/v1/screening/{code}";
    let (status, result) =
        s.check(screening, s.as_desk(&desk1, Method::GET, &format!("/api/v1/screening/{code}"))).await;
    assert_eq!((status, result["code"].as_str()), (StatusCode::OK, Some(code.as_str())));
    assert_eq!(
        s.check(screening, s.as_token(Method::GET, "/api/v1/screening/nonsense!")).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        s.check(screening, s.as_token(Method::GET, "/api/v1/screening/K7M4PX")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(s.check(screening, get("/api/v1/screening/K7M4PX")).await.0, StatusCode::UNAUTHORIZED);

    // Appointments: booked, listed, moved, cancelled, and the visitor's slip.
    let config = loket::config::Config::sample();
    s.web
        .help_point
        .run(move |hp| hp.set_appointment_rules(loket::help_point::appointment_rules(&config)))
        .unwrap();
    let appointments = "/api/v1/appointments";
    let book = |body: Value| s.as_token(Method::POST, appointments).json(&body);
    let (status, booked) =
        s.check(appointments, book(json!({"starts_at": "2026-11-30T10:00:00Z", "service": "email"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    let bad = book(json!({"starts_at": "2026-11-30T10:00:00Z", "service": "fax"}));
    assert_eq!(s.check(appointments, bad).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(s.check(appointments, book(json!({"when": 1}))).await.0, StatusCode::BAD_REQUEST);
    let (status, list) = s
        .check(
            appointments,
            s.as_desk(&desk1, Method::GET, "/api/v1/appointments?day=2026-11-30&desk=desk-1"),
        )
        .await;
    assert_eq!((status, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    assert_eq!(
        s.check(appointments, s.as_token(Method::GET, "/api/v1/appointments?day=x")).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(s.check(appointments, get(appointments)).await.0, StatusCode::UNAUTHORIZED);
    let one = format!("/api/v1/appointments/{}", booked["id"]);
    let moved = s.as_token(Method::PATCH, &one).json(&json!({"desk": "desk-1"}));
    let (status, moved) = s.check("/api/v1/appointments/{id}", moved).await;
    assert_eq!((status, moved["desk"].as_str()), (StatusCode::OK, Some("desk-1")));
    let missing = s.as_token(Method::PATCH, "/api/v1/appointments/999").json(&json!({}));
    assert_eq!(s.check("/api/v1/appointments/{id}", missing).await.0, StatusCode::NOT_FOUND);
    let slip = format!("/appointments/{}/slip", booked["id"]);
    assert_eq!(s.check("/appointments/{id}/slip", s.as_token(Method::GET, &slip)).await.0, StatusCode::OK);
    let cancel = "/api/v1/appointments/{id}/cancel";
    let (status, cancelled) = s.check(cancel, s.as_token(Method::POST, &format!("{one}/cancel"))).await;
    assert_eq!((status, cancelled["state"].as_str()), (StatusCode::OK, Some("cancelled")));
    assert_eq!(
        s.check(cancel, s.as_token(Method::POST, &format!("{one}/cancel"))).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Appointments from a file: imported, and a broken file refused with its line.
    let import = "/api/v1/appointments/import";
    let file = |text: &'static str| {
        s.as_desk(&desk1, Method::POST, import).header("content-type", "text/csv").body(text)
    };
    let (status, imported) = s.check(import, file("date;time;service\n2026-12-01;10:30;email\n")).await;
    assert_eq!((status, imported["booked"].as_u64()), (StatusCode::OK, Some(1)), "{imported}");
    let (status, refusal) = s.check(import, file("date;time;service\n2026-12-01;10:30;fax\n")).await;
    assert_eq!((status, refusal["line"].as_u64()), (StatusCode::BAD_REQUEST, Some(2)), "{refusal}");

    // Signing out, and the sign-in limit.
    assert_eq!(
        s.check(session, s.http.delete(s.url(session)).header("cookie", &desk1.cookie)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(s.check(session, s.as_desk(&desk1, Method::DELETE, session)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(s.check(session, s.http.delete(s.url(session))).await.0, StatusCode::UNAUTHORIZED);
    let wrong_pin = || s.http.post(s.url(session)).json(&json!({ "desk": "desk-2", "pin": "0000" }));
    for _ in 0..loket::web::auth::FAILURE_LIMIT {
        assert_eq!(s.check(session, wrong_pin()).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(s.check(session, wrong_pin()).await.0, StatusCode::TOO_MANY_REQUESTS);

    // Every route's success was checked against the document.
    let checked = s.contract.checked.lock().unwrap().clone();
    for route in ROUTES.iter().filter(|r| !r.path.ends_with("/events")) {
        assert!(
            checked.contains(&(route.method.to_owned(), route.path.to_owned(), route.success)),
            "{} {} {} was not checked",
            route.method,
            route.path,
            route.success
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_without_a_reporter_matches_its_schema_too() {
    let web = common::web::start_web(|_| {}).await;
    let contract = Contract::new();
    let http = loket::tls::client().build().unwrap();
    let answer = http.get(format!("{}/health", web.base)).send().await.unwrap();
    let (status, body) = contract.check("GET", "/health", answer).await;
    assert_eq!((status, body.get("report")), (StatusCode::OK, None));
}

#[test]
fn an_answer_that_differs_from_its_schema_is_caught() {
    let contract = Contract::new();
    let ticket = json!({
        "id": 1, "code": "E-001", "service": "email", "service_name": "E-mail", "language": "nl",
        "language_name": "Nederlands", "state": "waiting", "desk": null,
        "issued_at": "2026-11-30T09:30:00Z", "waiting_minutes": 0, "screening_code": null
    });
    let schema = json!({ "$ref": "#/components/schemas/Ticket" });
    assert!(contract.validator(&schema).is_valid(&ticket), "the sample ticket is valid");
    let mut undocumented = ticket.clone();
    undocumented["secret"] = json!("x");
    let mut wrong_state = ticket.clone();
    wrong_state["state"] = json!("lost");
    let mut missing = ticket.clone();
    missing.as_object_mut().unwrap().remove("code");
    for bad in [undocumented, wrong_state, missing] {
        assert!(!contract.validator(&schema).is_valid(&bad), "{bad} is refused");
    }
}
