//! loket-central's OpenAPI document, generated from the handlers (`loket_central::openapi`): it
//! is valid OpenAPI 3.1, documents exactly the routes the server has with their methods and
//! success status, is what `/api/v1/openapi.json` serves and what `docs/openapi.json` holds, and
//! every answer the real server gives (over SQLite in a temp dir) — successes and the main
//! refusals, JSON, HTML, CSV, TOML and tar — has a documented status and content type, and its
//! JSON body matches the schema the document gives for it.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};

use loket_central::openapi::{ApiDoc, document_text};
use loket_central::{Access, InProcess, ROUTES, Settings};
use loket_protocol::appointments::APPOINTMENTS_PATH;
use loket_protocol::clock::ManualClock;
use loket_protocol::report::{
    CONTENT_PATH, EVENTS_PATH, EventBatch, HEARTBEAT_PATH, Heartbeat, MAX_BODY_BYTES, OutboxHealth,
    PrinterHealth, SETTINGS_PATH, WireEvent,
};
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
        "central/docs/openapi.json differs from the document the code generates; write it again with\n    \
         {WRITE_ENV}=1 cargo test -p loket-central --test openapi the_checked_in_document\nand commit it"
    );
}

#[test]
fn the_document_is_valid_openapi_3_1() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "loket-central");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    // It reads back into the OpenAPI types, and says the same when written again.
    let parsed: utoipa::openapi::OpenApi = serde_json::from_value(doc.clone()).expect("an OpenAPI document");
    assert_eq!(serde_json::to_value(&parsed).unwrap(), doc);
    // Every schema is a valid JSON Schema (2020-12, OpenAPI 3.1's dialect), the report
    // protocol's wire types among them.
    let schemas = doc["components"]["schemas"].as_object().expect("component schemas");
    for wire in [
        "EventBatch",
        "WireEvent",
        "BatchReceipt",
        "Refused",
        "Heartbeat",
        "HeartbeatReply",
        "AppointmentPlan",
        "PlannedAppointment",
    ] {
        assert!(schemas.contains_key(wire), "the schema {wire}");
    }
    for (name, schema) in schemas {
        if let Err(e) = jsonschema::draft202012::meta::validate(schema) {
            panic!("the schema {name} is not valid JSON Schema: {e}");
        }
    }
    for scheme in ["kioskToken", "adminSession"] {
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
fn the_openapi_document_lists_exactly_the_routes() {
    let doc = document();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().unwrap().iter().filter(|(k, _)| METHODS.contains(&k.as_str())) {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let served: BTreeSet<(String, String)> =
        ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
    assert_eq!(served.len(), ROUTES.len(), "ROUTES has no duplicates");
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty() && extra.is_empty(), "not documented: {missing:?}; not served: {extra:?}");
    for route in ROUTES {
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{route:?} has responses"));
        // 303 is a success for a form's POST, and "sign in first" for an admin page's GET.
        let successes: Vec<&String> = responses
            .keys()
            .filter(|k| k.starts_with('2') || (*k == "303" && route.method == "POST"))
            .collect();
        assert_eq!(successes, [&route.success.to_string()], "{route:?}: its one success status");
        if route.access != Access::Public {
            let without = if route.method == "GET" && route.access == Access::Admin { "303" } else { "401" };
            assert!(responses.contains_key(without), "{route:?} documents {without} without credentials");
            assert!(op["security"].is_array(), "{route:?} documents its security");
        }
        let mut declared = BTreeSet::new();
        for parameter in op["parameters"].as_array().into_iter().flatten() {
            if parameter["in"] == "path" {
                declared.insert(parameter["name"].as_str().unwrap_or_default().to_owned());
            }
        }
        let in_path: BTreeSet<String> = route
            .path
            .split('/')
            .filter_map(|s| Some(s.strip_prefix('{')?.strip_suffix('}')?.to_owned()))
            .collect();
        assert_eq!(declared, in_path, "{route:?}: its path parameters are declared");
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

    /// Checks a real answer to `method path` (the documented path, e.g. `/tokens/{id}/revoke`):
    /// its status is documented, its content type and its headers too, and a JSON body matches
    /// the schema.
    async fn check(&self, method: &str, path: &str, answer: reqwest::Response) -> (StatusCode, Value) {
        let status = answer.status();
        let headers = answer.headers().clone();
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().trim().to_owned());
        let bytes = answer.bytes().await.unwrap();
        let response = self.response(method, path, status.as_u16()).clone();
        let what = format!("{method} {path} {status}");
        for header in ["Retry-After", "ETag", "Location", "Set-Cookie", "Content-Disposition"] {
            if headers.contains_key(header) {
                assert!(response["headers"][header].is_object(), "{what}: {header} is documented");
            }
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
}

const PASSWORD: &str = "correct horse battery staple";
const NOW: &str = "2026-11-30T10:30:00Z";

/// The real server over SQLite, with an admin `admin` and a token for kiosk `gent-1`.
struct Server {
    central: InProcess,
    http: reqwest::Client,
    token: String,
    contract: Contract,
    _dir: tempfile::TempDir,
}

/// A signed-in admin.
struct Session {
    cookie: String,
    csrf: String,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.sqlite");
    let store = tokio::task::spawn_blocking(move || {
        let store = loket_central::sqlite::Sqlite::open(&path).unwrap();
        use loket_central::store::CentralStore;
        store.set_admin("admin", &loket_protocol::secret::hash(PASSWORD).unwrap()).unwrap();
        store
    })
    .await
    .unwrap();
    let clock = Arc::new(ManualClock::new(NOW.parse().unwrap()));
    let central = InProcess::start(Arc::new(store), clock, Settings::default(), None).await.unwrap();
    let token = central.new_kiosk_token("gent-1", "Gent").await.unwrap();
    let http = loket_protocol::tls::client().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Server { central, http, token, contract: Contract::new(), _dir: dir }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.central.base_url())
    }

    fn as_kiosk(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(&self.token)
    }

    fn as_admin(&self, session: &Session, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).header("cookie", &session.cookie)
    }

    /// A form posted by a signed-in admin; `csrf` adds the session's token to `fields`.
    fn form(&self, session: &Session, path: &str, fields: &str, csrf: bool) -> reqwest::RequestBuilder {
        let body = if csrf { format!("csrf={}&{fields}", session.csrf) } else { fields.to_owned() };
        self.as_admin(session, Method::POST, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }

    /// Sends `request` and checks its answer against `method documented`.
    async fn check(&self, documented: &str, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let request = request.build().unwrap();
        let method = request.method().as_str().to_owned();
        let answer = self.http.execute(request).await.unwrap();
        self.contract.check(&method, documented, answer).await
    }

    async fn sign_in(&self) -> Session {
        let request = self
            .http
            .post(self.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("name=admin&password={}", PASSWORD.replace(' ', "+")))
            .build()
            .unwrap();
        let answer = self.http.execute(request).await.unwrap();
        let cookie = answer.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        assert_eq!(self.contract.check("POST", "/login", answer).await.0, StatusCode::SEE_OTHER);
        let page = self.http.get(self.url("/tokens")).header("cookie", &cookie).send().await.unwrap();
        let page = page.text().await.unwrap();
        let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        Session { cookie, csrf }
    }
}

fn batch(kiosk: &str, ids: &[&str]) -> EventBatch {
    let events = ids
        .iter()
        .enumerate()
        .map(|(seq, id)| WireEvent {
            id: (*id).to_owned(),
            seq: seq as i64 + 1,
            kind: "device_state_changed".into(),
            occurred_at: "2026-11-30T10:00:00Z".parse().unwrap(),
            clock_synced: true,
            boot_id: "boot-1".into(),
            body: json!({"type": "device_state_changed", "device": "printer", "state": "ready"}),
        })
        .collect();
    EventBatch { kiosk: kiosk.into(), sent_at: NOW.parse().unwrap(), events }
}

fn heartbeat(kiosk: &str) -> Heartbeat {
    Heartbeat {
        kiosk: kiosk.into(),
        site: "Gent".into(),
        version: "0.1.0".into(),
        sent_at: NOW.parse().unwrap(),
        uptime_seconds: 3600,
        boot_id: "boot-1".into(),
        clock_synced: true,
        printer: PrinterHealth { state: "ready".into(), paper: "ok".into(), detail: String::new() },
        outbox: OutboxHealth {
            oldest_unsent_at: Some("2026-11-30T10:29:00Z".parse().unwrap()),
            ..OutboxHealth::default()
        },
        disk_free_bytes: Some(12_000_000_000),
        cpu_temperature_celsius: Some(48.5),
        under_voltage_now: Some(false),
        under_voltage_since_boot: None,
        problems: vec!["a refused content pack".into()],
    }
}

/// A content pack with one file.
fn pack() -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(5);
    header.set_cksum();
    builder.append_data(&mut header, "tutorials/x.toml", &b"id=1\n"[..]).unwrap();
    builder.into_inner().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_of_the_real_server_matches_its_schema() {
    let s = start().await;
    let get = |path: &str| s.http.get(s.url(path));

    // The document itself, as served: the one the code generates. And health.
    let (_, served) = s.check("/api/v1/openapi.json", get("/api/v1/openapi.json")).await;
    assert_eq!(served, document(), "/api/v1/openapi.json serves the generated document");
    s.check("/health", get("/health")).await;

    // Events: a batch with a refused event, then every refusal.
    let ok_id = "6f1c1f9e-5b7e-4d0e-9a47-0c8f2d3f6a11";
    let sent = s.as_kiosk(Method::POST, EVENTS_PATH).json(&batch("gent-1", &[ok_id, "not-a-uuid"]));
    let (status, receipt) = s.check(EVENTS_PATH, sent).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (receipt["stored"][0].as_str(), receipt["refused"][0]["id"].as_str()),
        (Some(ok_id), Some("not-a-uuid"))
    );
    let again = s.as_kiosk(Method::POST, EVENTS_PATH).json(&batch("gent-1", &[ok_id]));
    assert_eq!(s.check(EVENTS_PATH, again).await.1["duplicate"][0].as_str(), Some(ok_id));
    let not_json = s.as_kiosk(Method::POST, EVENTS_PATH).body("{events");
    assert_eq!(s.check(EVENTS_PATH, not_json).await.0, StatusCode::BAD_REQUEST);
    let no_token = s.http.post(s.url(EVENTS_PATH)).json(&batch("gent-1", &[]));
    assert_eq!(s.check(EVENTS_PATH, no_token).await.0, StatusCode::UNAUTHORIZED);
    let wrong_token = s.http.post(s.url(EVENTS_PATH)).bearer_auth("0123abcd").json(&batch("gent-1", &[]));
    assert_eq!(s.check(EVENTS_PATH, wrong_token).await.0, StatusCode::UNAUTHORIZED);
    let other_kiosk = s.as_kiosk(Method::POST, EVENTS_PATH).json(&batch("brugge-1", &[]));
    assert_eq!(s.check(EVENTS_PATH, other_kiosk).await.0, StatusCode::FORBIDDEN);
    let too_large = s.as_kiosk(Method::POST, EVENTS_PATH).body(" ".repeat(MAX_BODY_BYTES + 1));
    assert_eq!(s.check(EVENTS_PATH, too_large).await.0, StatusCode::PAYLOAD_TOO_LARGE);

    // Heartbeats.
    let (status, reply) =
        s.check(HEARTBEAT_PATH, s.as_kiosk(Method::POST, HEARTBEAT_PATH).json(&heartbeat("gent-1"))).await;
    assert_eq!((status, reply["server_time"].as_str()), (StatusCode::OK, Some(NOW)));
    let mut unknown_field = serde_json::to_value(heartbeat("gent-1")).unwrap();
    unknown_field["name"] = json!("x");
    let refused = s.as_kiosk(Method::POST, HEARTBEAT_PATH).json(&unknown_field);
    assert_eq!(s.check(HEARTBEAT_PATH, refused).await.0, StatusCode::BAD_REQUEST);
    let no_token = s.http.post(s.url(HEARTBEAT_PATH)).json(&heartbeat("gent-1"));
    assert_eq!(s.check(HEARTBEAT_PATH, no_token).await.0, StatusCode::UNAUTHORIZED);
    let other_kiosk = s.as_kiosk(Method::POST, HEARTBEAT_PATH).json(&heartbeat("brugge-1"));
    assert_eq!(s.check(HEARTBEAT_PATH, other_kiosk).await.0, StatusCode::FORBIDDEN);

    // Settings and content: none yet, and no token.
    for path in [SETTINGS_PATH, CONTENT_PATH] {
        assert_eq!(s.check(path, s.as_kiosk(Method::GET, path)).await.0, StatusCode::NOT_FOUND);
        assert_eq!(s.check(path, get(path)).await.0, StatusCode::UNAUTHORIZED);
    }

    // The admin pages, signed out.
    s.check("/login", get("/login")).await;
    for path in ["/", "/export.csv", "/tokens", "/files", "/appointments"] {
        assert_eq!(s.check(path, get(path)).await.0, StatusCode::SEE_OTHER, "{path}");
    }
    let wrong_password = s.http.post(s.url("/login")).body("name=admin&password=wrong");
    assert_eq!(s.check("/login", wrong_password).await.0, StatusCode::UNAUTHORIZED);
    let badly_encoded = s.http.post(s.url("/login")).body("name=%zz");
    assert_eq!(s.check("/login", badly_encoded).await.0, StatusCode::BAD_REQUEST);
    let signed_out = s.http.post(s.url("/tokens")).body("kiosk=a&site=b");
    assert_eq!(s.check("/tokens", signed_out).await.0, StatusCode::UNAUTHORIZED);

    // Signed in.
    let admin = s.sign_in().await;
    for path in ["/", "/?day=2026-11-30&site=Gent", "/tokens", "/files"] {
        let documented = path.split('?').next().unwrap();
        assert_eq!(
            s.check(documented, s.as_admin(&admin, Method::GET, path)).await.0,
            StatusCode::OK,
            "{path}"
        );
    }
    assert_eq!(
        s.check("/", s.as_admin(&admin, Method::GET, "/?day=monday")).await.0,
        StatusCode::BAD_REQUEST
    );
    let csv = s.as_admin(&admin, Method::GET, "/export.csv?from=2026-11-30&to=2026-11-30");
    assert_eq!(s.check("/export.csv", csv).await.0, StatusCode::OK);
    let backwards = s.as_admin(&admin, Method::GET, "/export.csv?from=2026-11-30&to=2026-11-01");
    assert_eq!(s.check("/export.csv", backwards).await.0, StatusCode::BAD_REQUEST);

    // Tokens: made, refused, revoked.
    let made = s.form(&admin, "/tokens", "kiosk=gent-2&site=Gent", true);
    assert_eq!(s.check("/tokens", made).await.0, StatusCode::OK);
    let bad_kiosk = s.form(&admin, "/tokens", "kiosk=a+b&site=Gent", true);
    assert_eq!(s.check("/tokens", bad_kiosk).await.0, StatusCode::BAD_REQUEST);
    let bad_form = s.form(&admin, "/tokens", "kiosk=%zz", true);
    assert_eq!(s.check("/tokens", bad_form).await.0, StatusCode::BAD_REQUEST);
    let no_csrf = s.form(&admin, "/tokens", "kiosk=gent-3&site=Gent", false);
    assert_eq!(s.check("/tokens", no_csrf).await.0, StatusCode::FORBIDDEN);
    let revoke = "/tokens/{id}/revoke";
    assert_eq!(s.check(revoke, s.form(&admin, "/tokens/2/revoke", "", true)).await.0, StatusCode::SEE_OTHER);
    assert_eq!(s.check(revoke, s.form(&admin, "/tokens/2/revoke", "", true)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        s.check(revoke, s.form(&admin, "/tokens/two/revoke", "", true)).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(s.check(revoke, s.form(&admin, "/tokens/1/revoke", "", false)).await.0, StatusCode::FORBIDDEN);
    let signed_out = s.http.post(s.url("/tokens/1/revoke"));
    assert_eq!(s.check(revoke, signed_out).await.0, StatusCode::UNAUTHORIZED);

    // Settings: stored, refused, pulled.
    let settings = s.form(&admin, "/files/settings", "kiosk=&toml=%5Bsite%5D%0Aname+%3D+%22Gent%22%0A", true);
    assert_eq!(s.check("/files/settings", settings).await.0, StatusCode::SEE_OTHER);
    let not_toml = s.form(&admin, "/files/settings", "toml=%5Bsite", true);
    assert_eq!(s.check("/files/settings", not_toml).await.0, StatusCode::BAD_REQUEST);
    let no_csrf = s.form(&admin, "/files/settings", "toml=a+%3D+1", false);
    assert_eq!(s.check("/files/settings", no_csrf).await.0, StatusCode::FORBIDDEN);
    let pulled = s.as_kiosk(Method::GET, SETTINGS_PATH).send().await.unwrap();
    let etag = pulled.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(s.contract.check("GET", SETTINGS_PATH, pulled).await.0, StatusCode::OK);
    let unchanged = s.as_kiosk(Method::GET, SETTINGS_PATH).header("if-none-match", &etag);
    assert_eq!(s.check(SETTINGS_PATH, unchanged).await.0, StatusCode::NOT_MODIFIED);

    // A content pack: stored, refused, pulled.
    let upload = |csrf: Option<&str>, body: Vec<u8>| {
        let request = s.as_admin(&admin, Method::POST, "/files/content?kiosk=gent-1").body(body);
        match csrf {
            Some(csrf) => request.header("x-csrf-token", csrf),
            None => request,
        }
    };
    let (status, stored) = s.check("/files/content", upload(Some(&admin.csrf), pack())).await;
    assert_eq!(status, StatusCode::OK);
    let etag = stored["etag"].as_str().unwrap().to_owned();
    let not_tar = upload(Some(&admin.csrf), b"not a tar".to_vec());
    assert_eq!(s.check("/files/content", not_tar).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(s.check("/files/content", upload(None, pack())).await.0, StatusCode::FORBIDDEN);
    assert_eq!(s.check(CONTENT_PATH, s.as_kiosk(Method::GET, CONTENT_PATH)).await.0, StatusCode::OK);
    let unchanged = s.as_kiosk(Method::GET, CONTENT_PATH).header("if-none-match", &etag);
    assert_eq!(s.check(CONTENT_PATH, unchanged).await.0, StatusCode::NOT_MODIFIED);

    // Removing files.
    let delete = s.form(&admin, "/files/delete", "kind=content&kiosk=gent-1", true);
    assert_eq!(s.check("/files/delete", delete).await.0, StatusCode::SEE_OTHER);
    let no_kind = s.form(&admin, "/files/delete", "kind=photos", true);
    assert_eq!(s.check("/files/delete", no_kind).await.0, StatusCode::BAD_REQUEST);
    let no_csrf = s.form(&admin, "/files/delete", "kind=settings", false);
    assert_eq!(s.check("/files/delete", no_csrf).await.0, StatusCode::FORBIDDEN);

    // Appointments: none yet, then booked, refused, pulled, moved and cancelled.
    let plan_path = APPOINTMENTS_PATH;
    assert_eq!(s.check(plan_path, s.as_kiosk(Method::GET, plan_path)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(s.check(plan_path, get(plan_path)).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) =
        s.check("/appointments", s.as_admin(&admin, Method::GET, "/appointments?site=Gent")).await;
    assert_eq!(status, StatusCode::OK);
    let backwards = s.as_admin(&admin, Method::GET, "/appointments?from=2026-11-30&to=2026-11-01");
    assert_eq!(s.check("/appointments", backwards).await.0, StatusCode::BAD_REQUEST);
    let book = s.form(&admin, "/appointments", "site=Gent&date=2026-11-30&time=14:00&service=email", true);
    assert_eq!(s.check("/appointments", book).await.0, StatusCode::SEE_OTHER);
    let bad_service =
        s.form(&admin, "/appointments", "site=Gent&date=2026-11-30&time=14:00&service=a+b", true);
    assert_eq!(s.check("/appointments", bad_service).await.0, StatusCode::BAD_REQUEST);
    let no_csrf =
        s.form(&admin, "/appointments", "site=Gent&date=2026-11-30&time=14:00&service=email", false);
    assert_eq!(s.check("/appointments", no_csrf).await.0, StatusCode::FORBIDDEN);
    let pulled = s.as_kiosk(Method::GET, plan_path).send().await.unwrap();
    let etag = pulled.headers()["etag"].to_str().unwrap().to_owned();
    let (status, plan) = s.contract.check("GET", plan_path, pulled).await;
    assert_eq!((status, plan["kiosk_id"].as_str()), (StatusCode::OK, Some("gent-1")));
    let uid = plan["appointments"][0]["uid"].as_str().unwrap().to_owned();
    let unchanged = s.as_kiosk(Method::GET, plan_path).header("if-none-match", &etag);
    assert_eq!(s.check(plan_path, unchanged).await.0, StatusCode::NOT_MODIFIED);
    let (move_path, cancel_path) = ("/appointments/{uid}/move", "/appointments/{uid}/cancel");
    let moved = s.form(
        &admin,
        &format!("/appointments/{uid}/move"),
        "date=2026-11-30&time=15:00&service=email",
        true,
    );
    assert_eq!(s.check(move_path, moved).await.0, StatusCode::SEE_OTHER);
    let bad_time =
        s.form(&admin, &format!("/appointments/{uid}/move"), "date=2026-11-30&time=3pm&service=email", true);
    assert_eq!(s.check(move_path, bad_time).await.0, StatusCode::BAD_REQUEST);
    let unknown = s.form(&admin, "/appointments/nope/move", "date=2026-11-30&time=15:00&service=email", true);
    assert_eq!(s.check(move_path, unknown).await.0, StatusCode::NOT_FOUND);
    let no_csrf = s.form(&admin, &format!("/appointments/{uid}/move"), "date=2026-11-30&time=15:00", false);
    assert_eq!(s.check(move_path, no_csrf).await.0, StatusCode::FORBIDDEN);
    let signed_out = s.http.post(s.url(&format!("/appointments/{uid}/move")));
    assert_eq!(s.check(move_path, signed_out).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        s.check(cancel_path, s.form(&admin, &format!("/appointments/{uid}/cancel"), "", false)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.check(cancel_path, s.form(&admin, &format!("/appointments/{uid}/cancel"), "", true)).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        s.check(cancel_path, s.form(&admin, &format!("/appointments/{uid}/cancel"), "", true)).await.0,
        StatusCode::NOT_FOUND
    );

    // Signing out, then the sign-in limit.
    assert_eq!(s.check("/logout", s.form(&admin, "/logout", "", false)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(s.check("/logout", s.form(&admin, "/logout", "", true)).await.0, StatusCode::SEE_OTHER);
    assert_eq!(s.check("/logout", s.http.post(s.url("/logout"))).await.0, StatusCode::UNAUTHORIZED);
    let mut last = StatusCode::OK;
    for _ in 0..10 {
        last = s.check("/login", s.http.post(s.url("/login")).body("name=admin&password=x")).await.0;
        if last == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);

    // Every route's success was checked against the document.
    let checked = s.contract.checked.lock().unwrap().clone();
    for route in ROUTES {
        assert!(
            checked.contains(&(route.method.to_owned(), route.path.to_owned(), route.success)),
            "{} {} {} was not checked",
            route.method,
            route.path,
            route.success
        );
    }
}

#[test]
fn an_answer_that_differs_from_its_schema_is_caught() {
    let contract = Contract::new();
    let receipt =
        json!({ "stored": ["a"], "duplicate": [], "refused": [{ "id": "b", "reason": "not a UUID" }] });
    let schema = json!({ "$ref": "#/components/schemas/BatchReceipt" });
    assert!(contract.validator(&schema).is_valid(&receipt), "the sample receipt is valid");
    let mut undocumented = receipt.clone();
    undocumented["secret"] = json!("x");
    let mut wrong_type = receipt.clone();
    wrong_type["stored"] = json!("a");
    let mut missing = receipt.clone();
    missing.as_object_mut().unwrap().remove("stored");
    let mut deep = receipt.clone();
    deep["refused"][0]["why"] = json!("x");
    for bad in [undocumented, wrong_type, missing, deep] {
        assert!(!contract.validator(&schema).is_valid(&bad), "{bad} is refused");
    }
}
