//! `loket-central` end to end: the real server on 127.0.0.1:0 and real HTTP (reqwest), over
//! SQLite in a temp dir and over a throwaway PostgreSQL cluster — every test runs on both
//! (`both_backends!`). Also: HTTPS works, and the command line starts it. (The OpenAPI document
//! and the answers' schemas: `tests/openapi.rs`.)

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};
use loket_central::store::{AppointmentFigures, CentralStore, FileKind, Period};
use loket_central::{InProcess, Settings};
use loket_protocol::appointments::{APPOINTMENTS_PATH, AppointmentPlan};
use loket_protocol::clock::ManualClock;
use loket_protocol::report::{
    BatchReceipt, EventBatch, Heartbeat, HeartbeatReply, MAX_BATCH_EVENTS, MAX_BODY_BYTES, OutboxHealth,
    PrinterHealth, WireEvent,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy)]
enum Db {
    Sqlite,
    Postgres,
}

const PASSWORD: &str = "correct horse battery staple";
const NOW: &str = "2026-11-30T10:30:00Z";

/// A running central system with a manual clock; an admin `admin` with [`PASSWORD`].
struct Central {
    server: InProcess,
    base: String,
    clock: Arc<ManualClock>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
    _pg: Option<Arc<common::postgres::PgCluster>>,
}

fn client() -> reqwest::Client {
    loket_protocol::tls::client().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn start(db: Db) -> Central {
    start_with(db, Settings::default()).await
}

/// [`start`] with other dashboard settings (e.g. the staff's language).
async fn start_with(db: Db, settings: Settings) -> Central {
    let dir = tempfile::tempdir().unwrap();
    let (store, pg): (Arc<dyn CentralStore>, _) = match db {
        Db::Sqlite => {
            (Arc::new(loket_central::sqlite::Sqlite::open(&dir.path().join("c.sqlite")).unwrap()), None)
        }
        Db::Postgres => {
            let (cluster, url) =
                tokio::task::spawn_blocking(common::postgres::postgres_database).await.unwrap();
            let store = tokio::task::spawn_blocking(move || loket_central::postgres::Postgres::open(&url))
                .await
                .unwrap()
                .unwrap();
            (Arc::new(store), Some(cluster))
        }
    };
    let s = store.clone();
    tokio::task::spawn_blocking(move || {
        s.set_admin("admin", &loket_protocol::secret::hash(PASSWORD).unwrap())
    })
    .await
    .unwrap()
    .unwrap();
    let clock = Arc::new(ManualClock::new(NOW.parse().unwrap()));
    let server = InProcess::start(store, clock.clone(), settings, None).await.unwrap();
    Central { base: server.base_url(), server, clock, http: client(), _dir: dir, _pg: pg }
}

static SEQ: AtomicI64 = AtomicI64::new(1);

fn event(kind: &str, at: &str, body: Value) -> WireEvent {
    WireEvent {
        id: uuid::Uuid::new_v4().to_string(),
        seq: SEQ.fetch_add(1, Ordering::Relaxed),
        kind: kind.into(),
        occurred_at: at.parse().unwrap(),
        clock_synced: true,
        boot_id: "boot-1".into(),
        body,
    }
}

/// A ticket event as the kiosk's queue writes it.
fn ticket_event(
    kind: &str,
    id: i64,
    service: &str,
    issued: &str,
    called: Option<&str>,
    at: &str,
) -> WireEvent {
    let state = match kind {
        "ticket_issued" => json!({"state": "waiting"}),
        "ticket_called" => json!({"state": "called", "desk": "desk-1"}),
        "ticket_served" => json!({"state": "served", "desk": "desk-1", "outcome": "helped"}),
        "ticket_no_show" => json!({"state": "no_show", "desk": "desk-1"}),
        other => panic!("{other}"),
    };
    let finished = matches!(kind, "ticket_served" | "ticket_no_show").then_some(at);
    let mut body = json!({"type": kind, "at": at, "ticket": {
        "id": id, "service_day": "2026-11-30", "prefix": "E", "number": id, "issued_service": service,
        "service": service, "language": "nl", "issued_at": issued, "state": state, "called_at": called,
        "finished_at": finished, "recalls": 0}});
    if kind != "ticket_issued" {
        body["desk"] = json!("desk-1");
    }
    event(kind, at, body)
}

fn statement(activity: &str, verb: &str, at_local: &str, at: &str) -> WireEvent {
    let kind = match activity {
        "screening" => "http://adlnet.gov/expapi/activities/assessment",
        _ => "http://adlnet.gov/expapi/activities/lesson",
    };
    let body = json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "actor": {"objectType": "Agent", "account": {"homePage": "https://x/session", "name": "s"}},
        "verb": {"id": format!("http://adlnet.gov/expapi/verbs/{verb}"), "display": {"en": verb}},
        "object": {"objectType": "Activity", "id": format!("https://x/{activity}"), "definition": {"type": kind}},
        "result": {"completion": verb == "completed", "extensions": {
            "https://x/ext/competences": {"1.1": "on_own", "2.1": "with_help"}}},
        "timestamp": at_local,
    });
    event("xapi_statement", at, body)
}

/// A realistic morning: 3 email tickets and 1 appointment; calls after 240 s, 600 s, 120 s;
/// 2 served, 1 no-show; a screening and a tutorial completed.
fn morning() -> Vec<WireEvent> {
    vec![
        ticket_event("ticket_issued", 1, "email", "2026-11-30T09:00:00Z", None, "2026-11-30T09:00:00Z"),
        ticket_event("ticket_issued", 2, "email", "2026-11-30T09:05:00Z", None, "2026-11-30T09:05:00Z"),
        ticket_event("ticket_issued", 3, "email", "2026-11-30T09:10:00Z", None, "2026-11-30T09:10:00Z"),
        ticket_event("ticket_issued", 4, "appointment", "2026-11-30T10:00:00Z", None, "2026-11-30T10:00:00Z"),
        ticket_event(
            "ticket_called",
            1,
            "email",
            "2026-11-30T09:00:00Z",
            Some("2026-11-30T09:04:00Z"),
            "2026-11-30T09:04:00Z",
        ),
        ticket_event(
            "ticket_served",
            1,
            "email",
            "2026-11-30T09:00:00Z",
            Some("2026-11-30T09:04:00Z"),
            "2026-11-30T09:14:00Z",
        ),
        ticket_event(
            "ticket_called",
            2,
            "email",
            "2026-11-30T09:05:00Z",
            Some("2026-11-30T09:15:00Z"),
            "2026-11-30T09:15:00Z",
        ),
        ticket_event(
            "ticket_no_show",
            2,
            "email",
            "2026-11-30T09:05:00Z",
            Some("2026-11-30T09:15:00Z"),
            "2026-11-30T09:18:00Z",
        ),
        ticket_event(
            "ticket_called",
            4,
            "appointment",
            "2026-11-30T10:00:00Z",
            Some("2026-11-30T10:02:00Z"),
            "2026-11-30T10:02:00Z",
        ),
        ticket_event(
            "ticket_served",
            4,
            "appointment",
            "2026-11-30T10:00:00Z",
            Some("2026-11-30T10:02:00Z"),
            "2026-11-30T10:20:00Z",
        ),
        statement("screening", "completed", "2026-11-30T10:25:00.000+01:00", "2026-11-30T09:25:00Z"),
        statement("tutorial", "completed", "2026-11-30T11:05:00.000+01:00", "2026-11-30T10:05:00Z"),
    ]
}

fn batch(kiosk: &str, events: Vec<WireEvent>) -> EventBatch {
    EventBatch { kiosk: kiosk.into(), sent_at: NOW.parse().unwrap(), events }
}

fn heartbeat(kiosk: &str, site: &str) -> Heartbeat {
    Heartbeat {
        kiosk: kiosk.into(),
        site: site.into(),
        version: "0.1.0".into(),
        sent_at: NOW.parse().unwrap(),
        uptime_seconds: 3 * 3600,
        boot_id: "boot-1".into(),
        clock_synced: true,
        printer: PrinterHealth { state: "ready".into(), paper: "ok".into(), detail: String::new() },
        outbox: OutboxHealth::default(),
        disk_free_bytes: Some(12_000_000_000),
        cpu_temperature_celsius: Some(48.0),
        under_voltage_now: Some(false),
        under_voltage_since_boot: Some(false),
        problems: vec![],
    }
}

/// A signed-in admin: the session cookie and the CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

impl Central {
    async fn token(&self, kiosk: &str, site: &str) -> String {
        self.server.new_kiosk_token(kiosk, site).await.unwrap()
    }

    async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl serde::Serialize,
    ) -> reqwest::Response {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    async fn send(&self, token: &str, batch: &EventBatch) -> BatchReceipt {
        let response = self.post_json(loket_protocol::report::EVENTS_PATH, Some(token), batch).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn sign_in(&self) -> Session {
        let response = self
            .http
            .post(format!("{}/login", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("name=admin&password={}", PASSWORD.replace(' ', "+")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let page = self.page_with(&cookie, "/tokens").await;
        let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        Session { cookie, csrf }
    }

    async fn page_with(&self, cookie: &str, path: &str) -> String {
        let response =
            self.http.get(format!("{}{path}", self.base)).header("cookie", cookie).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.text().await.unwrap()
    }

    async fn page(&self, session: &Session, path: &str) -> String {
        self.page_with(&session.cookie, path).await
    }

    async fn post_form(&self, session: &Session, path: &str, form: &str) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", &session.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned())
            .send()
            .await
            .unwrap()
    }
}

async fn error_of(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"].as_str().unwrap_or_else(|| panic!("a JSON error: {body}")).to_owned()
}

// ---- the tests, each run on SQLite and on PostgreSQL ----------------------------------------

async fn a_batch_is_stored_once_and_counted_once(db: Db) {
    let c = start(db).await;
    let token = c.token("gent-1", "Gent").await;
    let events = batch("gent-1", morning());
    let ids: Vec<String> = events.events.iter().map(|e| e.id.clone()).collect();
    let first = c.send(&token, &events).await;
    assert_eq!(first.stored, ids);
    assert!(first.duplicate.is_empty() && first.refused.is_empty(), "{first:?}");
    let again = c.send(&token, &events).await;
    assert!(again.stored.is_empty(), "{again:?}");
    assert_eq!(again.duplicate, ids);
    assert_eq!(c.server.event_count("gent-1").await.unwrap(), ids.len() as u64);
    assert_eq!(c.server.event_ids("gent-1").await.unwrap(), ids, "in sequence order");

    let session = c.sign_in().await;
    let csv = c.page(&session, "/export.csv?from=2026-11-30&to=2026-11-30").await;
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(
        rows[0].starts_with("datum,vestiging,dienst,bezoekers,opgeroepen,geholpen,niet_gekomen,"),
        "{csv}"
    );
    assert_eq!(rows[1], "2026-11-30,Gent,appointment,1,1,1,0,120,120,,,,,,,,,");
    assert_eq!(rows[2], "2026-11-30,Gent,email,3,2,1,1,420,600,,,,,,,,,");
    assert_eq!(rows[3], "2026-11-30,Gent,leren,,,,,,,1,1,1,0,,,,,");
}

async fn a_mixed_batch_names_new_old_and_refused_ids(db: Db) {
    let c = start(db).await;
    let token = c.token("gent-1", "Gent").await;
    let old = morning().remove(0);
    c.send(&token, &batch("gent-1", vec![old.clone()])).await;
    let new = morning().remove(1);
    let mut not_uuid = morning().remove(2);
    not_uuid.id = "ticket-3".into();
    let mut unknown = morning().remove(3);
    unknown.kind = "coffee_made".into();
    let mut array_body = morning().remove(4);
    array_body.body = json!([1, 2]);
    let mut upper = morning().remove(5);
    upper.id = upper.id.to_uppercase();
    let mixed = vec![old.clone(), new.clone(), not_uuid, unknown, array_body, upper.clone()];
    let receipt = c.send(&token, &batch("gent-1", mixed)).await;
    assert_eq!(receipt.stored, [new.id.clone(), upper.id.clone()], "ids come back as the kiosk wrote them");
    assert_eq!(receipt.duplicate, std::slice::from_ref(&old.id));
    let reasons: Vec<(&str, &str)> =
        receipt.refused.iter().map(|r| (r.id.as_str(), r.reason.as_str())).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert_eq!(reasons[0].0, "ticket-3");
    assert!(reasons[0].1.contains("UUID"), "{reasons:?}");
    assert!(reasons[1].1.contains("unknown event type \"coffee_made\""), "{reasons:?}");
    assert!(reasons[2].1.contains("JSON object"), "{reasons:?}");
    assert_eq!(c.server.event_count("gent-1").await.unwrap(), 3);
    let again = c.send(&token, &batch("gent-1", vec![upper.clone()])).await;
    assert_eq!(again.duplicate, [upper.id.clone()]);
}

async fn malformed_batches_are_refused_with_a_reason(db: Db) {
    let c = start(db).await;
    let token = c.token("gent-1", "Gent").await;
    let url = format!("{}{}", c.base, loket_protocol::report::EVENTS_PATH);
    let raw = |body: String| c.http.post(&url).bearer_auth(&token).body(body).send();

    let response = raw("{not json".into()).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(response).await.contains("not a valid event batch"));

    let mut extra = serde_json::to_value(batch("gent-1", vec![])).unwrap();
    extra["name"] = json!("x");
    let response = raw(extra.to_string()).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(response).await.contains("unknown field `name`"));

    let many = batch("gent-1", (0..=MAX_BATCH_EVENTS).map(|_| morning().remove(0)).collect());
    let response = c.post_json(loket_protocol::report::EVENTS_PATH, Some(&token), &many).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(response).await.contains("at most 1000 events"));

    let response =
        c.post_json(loket_protocol::report::EVENTS_PATH, Some(&token), &batch("brugge-1", morning())).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(error_of(response).await.contains("this token is for kiosk \"gent-1\", not \"brugge-1\""));
    let response = c
        .post_json(loket_protocol::report::HEARTBEAT_PATH, Some(&token), &heartbeat("brugge-1", "Brugge"))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let response = raw(" ".repeat(MAX_BODY_BYTES + 1)).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_of(response).await.contains("too large"));
    assert_eq!(c.server.event_count("gent-1").await.unwrap(), 0);
}

async fn missing_wrong_and_revoked_tokens_are_401(db: Db) {
    let c = start(db).await;
    let token = c.token("gent-1", "Gent").await;
    let body = batch("gent-1", morning());
    let response = c.post_json(loket_protocol::report::EVENTS_PATH, None, &body).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(error_of(response).await.contains("Authorization: Bearer"));
    let response = c.post_json(loket_protocol::report::EVENTS_PATH, Some("0123abcd"), &body).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let ok =
        c.post_json(loket_protocol::report::HEARTBEAT_PATH, Some(&token), &heartbeat("gent-1", "Gent")).await;
    assert_eq!(ok.status(), StatusCode::OK);

    let session = c.sign_in().await;
    let page = c.page(&session, "/tokens").await;
    let revoke = page.split("action=\"/tokens/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let response =
        c.post_form(&session, &format!("/tokens/{revoke}"), &format!("csrf={}", session.csrf)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    for path in [loket_protocol::report::EVENTS_PATH, loket_protocol::report::HEARTBEAT_PATH] {
        let response = c.post_json(path, Some(&token), &body).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(error_of(response).await.contains("revoked"));
    }
    let response = c
        .http
        .get(format!("{}{}", c.base, loket_protocol::report::SETTINGS_PATH))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn a_heartbeat_is_stored_answered_and_shown(db: Db) {
    let c = start(db).await;
    let token = c.token("gent-1", "Gent").await;
    let mut beat = heartbeat("gent-1", "Gent");
    beat.printer.paper = "out".into();
    beat.outbox.backlog = 7;
    let response = c.post_json(loket_protocol::report::HEARTBEAT_PATH, Some(&token), &beat).await;
    assert_eq!(response.status(), StatusCode::OK);
    let reply: HeartbeatReply = response.json().await.unwrap();
    assert_eq!(reply.server_time, NOW.parse::<Timestamp>().unwrap());
    assert_eq!((reply.settings_etag, reply.content_etag), (None, None));

    let store = c.server.store.clone();
    let (health, history) = tokio::task::spawn_blocking(move || {
        (store.kiosk_health().unwrap(), store.heartbeat_history("gent-1", 10).unwrap())
    })
    .await
    .unwrap();
    assert_eq!(health.len(), 1);
    assert_eq!(health[0].received_at, NOW);
    assert_eq!(serde_json::from_str::<Heartbeat>(&health[0].body).unwrap(), beat);
    assert_eq!(history.len(), 1);

    let session = c.sign_in().await;
    let page = c.page(&session, "/").await;
    assert!(page.contains("gent-1") && page.contains("papier op"), "the kiosk and its warning");
    assert!(!page.contains("niet gezien"), "just seen");
}

async fn a_kiosk_not_seen_for_stale_minutes_is_shown_as_not_seen(db: Db) {
    let c = start(db).await;
    let token = c.token("gent-1", "Gent").await;
    c.token("brugge-1", "Brugge").await;
    c.post_json(loket_protocol::report::HEARTBEAT_PATH, Some(&token), &heartbeat("gent-1", "Gent")).await;
    let session = c.sign_in().await;
    c.clock.advance(SignedDuration::from_mins(14));
    let page = c.page(&session, "/").await;
    assert!(!page.contains("minuten niet gezien"), "14 minutes is not yet stale");
    assert!(page.contains("nog nooit gezien"), "brugge-1 never sent a heartbeat");
    c.clock.advance(SignedDuration::from_mins(2));
    let page = c.page(&session, "/").await;
    assert!(page.contains("16 minuten niet gezien"), "stale after 15 minutes");
}

async fn settings_and_content_are_pulled_by_etag(db: Db) {
    let c = start(db).await;
    let token = c.token("gent-1", "Gent").await;
    let get = |path: &'static str, etag: Option<String>| {
        let mut request = c.http.get(format!("{}{path}", c.base)).bearer_auth(&token);
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        request.send()
    };
    let response = get(loket_protocol::report::SETTINGS_PATH, None).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(error_of(response).await.contains("no settings"));
    assert_eq!(
        get(loket_protocol::report::CONTENT_PATH, None).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    let session = c.sign_in().await;
    let response = c
        .post_form(
            &session,
            "/files/settings",
            &format!("csrf={}&kiosk=&toml=%5Bsite%5D%0Aname+%3D+%22Gent%22%0A", session.csrf),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = get(loket_protocol::report::SETTINGS_PATH, None).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(response.text().await.unwrap(), "[site]\nname = \"Gent\"\n");
    let response = get(loket_protocol::report::SETTINGS_PATH, Some(etag.clone())).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    let beat =
        c.post_json(loket_protocol::report::HEARTBEAT_PATH, Some(&token), &heartbeat("gent-1", "Gent")).await;
    let reply: HeartbeatReply = beat.json().await.unwrap();
    assert_eq!(reply.settings_etag.as_deref(), Some(etag.as_str()));

    // Bad TOML is refused; a kiosk's own settings win over the default.
    let response =
        c.post_form(&session, "/files/settings", &format!("csrf={}&toml=%5Bsite", session.csrf)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = c
        .post_form(&session, "/files/settings", &format!("csrf={}&kiosk=gent-1&toml=a+%3D+1", session.csrf))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = get(loket_protocol::report::SETTINGS_PATH, Some(etag.clone())).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "a = 1");

    // A content pack, uploaded raw with the CSRF header.
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(6);
    header.set_cksum();
    builder.append_data(&mut header, "tutorials/x.toml", &b"id=1\n\n"[..]).unwrap();
    let pack = builder.into_inner().unwrap();
    let upload = |csrf: Option<&str>, body: Vec<u8>| {
        let mut request = c
            .http
            .post(format!("{}/files/content?kiosk=gent-1", c.base))
            .header("cookie", &session.cookie)
            .body(body);
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        request.send()
    };
    assert_eq!(upload(None, pack.clone()).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(
        upload(Some(&session.csrf), b"not a tar".to_vec()).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(upload(Some(&session.csrf), pack.clone()).await.unwrap().status(), StatusCode::OK);
    let response = get(loket_protocol::report::CONTENT_PATH, None).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(response.bytes().await.unwrap().to_vec(), pack);
    let response =
        get(loket_protocol::report::CONTENT_PATH, Some(format!("W/{etag}, \"other\""))).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    let store = c.server.store.clone();
    let tag = tokio::task::spawn_blocking(move || store.file_etag(FileKind::Content, "gent-1").unwrap())
        .await
        .unwrap();
    assert_eq!(tag, Some(etag));
}

/// A tar archive with one plain file, then one link entry (a symbolic or a hard link).
fn pack_with_link(kind: tar::EntryType, name: &str, target: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(6);
    header.set_cksum();
    builder.append_data(&mut header, "tutorials/x.toml", &b"id=2\n\n"[..]).unwrap();
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(kind);
    link.set_size(0);
    builder.append_link(&mut link, name, target).unwrap();
    builder.into_inner().unwrap()
}

async fn packs_with_links_are_refused_and_the_last_good_pack_stays(db: Db) {
    let c = start(db).await;
    let token = c.token("gent-1", "Gent").await;
    let session = c.sign_in().await;
    let upload = |body: Vec<u8>| {
        c.http
            .post(format!("{}/files/content?kiosk=gent-1", c.base))
            .header("cookie", &session.cookie)
            .header("x-csrf-token", &session.csrf)
            .body(body)
            .send()
    };
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(6);
    header.set_cksum();
    builder.append_data(&mut header, "tutorials/x.toml", &b"id=1\n\n"[..]).unwrap();
    let good = builder.into_inner().unwrap();
    assert_eq!(upload(good.clone()).await.unwrap().status(), StatusCode::OK);

    for (kind, name, target, words) in [
        (tar::EntryType::Symlink, "tutorials/secrets", "/etc", "a symbolic link"),
        (tar::EntryType::Link, "tutorials/passwd", "etc/passwd", "a hard link"),
    ] {
        let response = upload(pack_with_link(kind, name, target)).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{words}");
        let error = error_of(response).await;
        assert!(error.contains(&format!("\"{name}\" is {words}")), "{error}");
        let response = c
            .http
            .get(format!("{}{}", c.base, loket_protocol::report::CONTENT_PATH))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.bytes().await.unwrap().to_vec(), good, "the last good pack stays");
    }
}

async fn admin_pages_need_a_session_and_changes_a_csrf_token(db: Db) {
    let c = start(db).await;
    for path in ["/", "/tokens", "/files", "/export.csv"] {
        let response = c.http.get(format!("{}{path}", c.base)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(response.headers()["location"], "/login");
    }
    let response = c.http.post(format!("{}/tokens", c.base)).body("kiosk=a&site=b").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let response =
        c.http.post(format!("{}/login", c.base)).body("name=admin&password=wrong").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("set-cookie").is_none());
    assert!(response.text().await.unwrap().contains("klopt niet"));

    let session = c.sign_in().await;
    let response = c.post_form(&session, "/tokens", "kiosk=gent-2&site=Gent").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(error_of(response).await.contains("CSRF token is missing"));
    let response = c.post_form(&session, "/tokens", "kiosk=gent-2&site=Gent&csrf=nope").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let response =
        c.post_form(&session, "/tokens", &format!("kiosk=gent-2&site=Gent&csrf={}", session.csrf)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    let token = page.split("id=\"new-token\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    let ok =
        c.post_json(loket_protocol::report::HEARTBEAT_PATH, Some(&token), &heartbeat("gent-2", "Gent")).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(!c.page(&session, "/tokens").await.contains(&token), "shown only once");

    let response = c.post_form(&session, "/logout", &format!("csrf={}", session.csrf)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = c.http.get(format!("{}/", c.base)).header("cookie", &session.cookie).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed out");
}

async fn repeated_wrong_passwords_are_slowed_down(db: Db) {
    let c = start(db).await;
    let mut last = StatusCode::OK;
    for _ in 0..6 {
        last = c
            .http
            .post(format!("{}/login", c.base))
            .body("name=admin&password=x")
            .send()
            .await
            .unwrap()
            .status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

async fn the_dashboard_shows_the_days_figures(db: Db) {
    let c = start(db).await;
    let token = c.token("gent-1", "Gent").await;
    c.send(&token, &batch("gent-1", morning())).await;
    let session = c.sign_in().await;
    let page = c.page(&session, "/?day=2026-11-30").await;
    assert!(page.contains("maandag 30 november 2026"));
    assert!(page.contains("<svg class=\"chart\""), "a bar chart");
    assert!(page.contains("10:00–11:00: 3 bezoekers"), "{page}");
    assert!(page.contains("<div class=\"n\">4</div><div class=\"l\">bezoekers</div>"));
    assert!(page.contains("title=\"zelfstandig: 1\">1</span>"), "the screening's levels");
    let empty = c.page(&session, "/?day=2026-11-29&site=Gent").await;
    assert!(empty.contains("Geen bezoekers op deze dag"));
    let response = c
        .http
        .get(format!("{}/?day=gisteren", c.base))
        .header("cookie", &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

/// Names that kiosks, sites and stored files bring in from outside are shown as text on every
/// admin page, never run: in element text and in attribute values alike.
async fn hostile_names_are_escaped_on_the_dashboard_and_admin_pages(db: Db) {
    const KIOSK: &str = "<script>alert(1)</script>";
    const SITE: &str = "\"><img src=x onerror=alert(2)>";
    const PROBLEM: &str = "<script>alert(3)</script>";
    let c = start(db).await;
    let token = c.token(KIOSK, SITE).await;
    let mut beat = heartbeat(KIOSK, SITE);
    beat.problems = vec![PROBLEM.into()];
    beat.version = "<b>0.1.0</b>".into();
    let response = c.post_json(loket_protocol::report::HEARTBEAT_PATH, Some(&token), &beat).await;
    assert_eq!(response.status(), StatusCode::OK);
    c.send(&token, &batch(KIOSK, morning())).await;
    let store = c.server.store.clone();
    tokio::task::spawn_blocking(move || store.put_file(FileKind::Settings, Some(KIOSK), b"a = 1", NOW))
        .await
        .unwrap()
        .unwrap();
    let session = c.sign_in().await;
    let site_q: String = SITE.bytes().map(|b| format!("%{b:02X}")).collect();
    for path in ["/".to_owned(), format!("/?day=2026-11-30&site={site_q}"), "/tokens".into(), "/files".into()]
    {
        let page = c.page(&session, &path).await;
        for raw in [KIOSK, SITE, PROBLEM, "<script>alert", "<img", "<b>"] {
            assert!(!page.contains(raw), "{path} shows {raw:?} unescaped:\n{page}");
        }
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{path}: the kiosk, as text");
    }
    let dashboard = c.page(&session, "/").await;
    assert!(dashboard.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"), "the site, as text");
    assert!(dashboard.contains("&lt;script&gt;alert(3)&lt;/script&gt;"), "the kiosk's problem, as text");
    assert!(dashboard.contains("&lt;b&gt;0.1.0&lt;/b&gt;"), "the version, as text");
    let files = c.page(&session, "/files").await;
    assert!(files.contains("name=\"kiosk\" value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""), "{files}");
}

async fn the_store_keeps_its_promises(db: Db) {
    let c = start(db).await;
    let store = c.server.store.clone();
    tokio::task::spawn_blocking(move || {
        let zone = jiff::tz::TimeZone::get("Europe/Brussels").unwrap();
        let rows: Vec<_> = morning()
            .iter()
            .map(|e| loket_central::events::read_event(e, "gent-1", "Gent", &zone).unwrap())
            .collect();
        // The same event twice in one batch: stored once.
        let twice = vec![rows[0].clone(), rows[1].clone(), rows[0].clone()];
        assert_eq!(store.ingest(&twice).unwrap(), [true, true, false]);
        assert_eq!(store.ingest(&rows).unwrap().iter().filter(|now| **now).count(), rows.len() - 2);
        assert_eq!(store.event_count("gent-1").unwrap(), rows.len() as u64);
        assert_eq!(store.event_count("brugge-1").unwrap(), 0);

        let id = store.add_token("gent-1", "Gent", "hash-1", NOW).unwrap();
        assert_eq!(store.token_owner("hash-1").unwrap(), Some(("gent-1".into(), "Gent".into())));
        assert!(store.revoke_token(id, NOW).unwrap());
        assert!(!store.revoke_token(id, NOW).unwrap(), "revoked once");
        assert!(!store.revoke_token(id + 100, NOW).unwrap(), "no such token");
        assert_eq!(store.token_owner("hash-1").unwrap(), None);
        assert_eq!(store.tokens().unwrap()[0].revoked_at.as_deref(), Some(NOW));

        store.set_admin("els", "h1").unwrap();
        store.set_admin("els", "h2").unwrap();
        assert_eq!(store.admin_hash("els").unwrap().as_deref(), Some("h2"));
        assert_eq!(store.admin_count().unwrap(), 2, "admin and els");

        assert_eq!(store.file(FileKind::Settings, "gent-1").unwrap(), None);
        let default = store.put_file(FileKind::Settings, None, b"a = 1", NOW).unwrap();
        let own = store.put_file(FileKind::Settings, Some("gent-1"), b"a = 2", NOW).unwrap();
        assert_ne!(default, own);
        assert_eq!(store.file(FileKind::Settings, "gent-1").unwrap(), Some((own.clone(), b"a = 2".to_vec())));
        assert_eq!(store.file_etag(FileKind::Settings, "brugge-1").unwrap(), Some(default.clone()));
        assert_eq!(store.file_etag(FileKind::Content, "gent-1").unwrap(), None);
        assert!(store.delete_file(FileKind::Settings, Some("gent-1")).unwrap());
        assert_eq!(store.file_etag(FileKind::Settings, "gent-1").unwrap(), Some(default));
        assert_eq!(store.files().unwrap().len(), 1);

        for minute in 0..105 {
            let at = format!("2026-11-30T10:{:02}:00Z", minute % 60);
            let health = loket_central::store::KioskHealth {
                kiosk: "gent-1".into(),
                site: "Gent".into(),
                received_at: at,
                body: format!("{{\"n\":{minute}}}"),
            };
            store.record_heartbeat(&health).unwrap();
        }
        assert_eq!(store.kiosk_health().unwrap().len(), 1, "last value per kiosk");
        assert_eq!(store.kiosk_health().unwrap()[0].body, "{\"n\":104}");
        let history = store.heartbeat_history("gent-1", 1000).unwrap();
        assert_eq!(history.len(), 100, "a small history");
        assert_eq!(history[0].body, "{\"n\":104}", "newest first");
        assert_eq!(store.sites().unwrap(), ["Gent"]);
    })
    .await
    .unwrap();
}

// ---- appointments planned centrally, and their figures ---------------------------------------

impl Central {
    async fn plan(&self, token: &str, etag: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{APPOINTMENTS_PATH}", self.base)).bearer_auth(token);
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        request.send().await.unwrap()
    }

    async fn book(&self, session: &Session, fields: &str) -> reqwest::Response {
        self.post_form(session, "/appointments", &format!("csrf={}&{fields}", session.csrf)).await
    }
}

async fn appointments_are_booked_moved_cancelled_and_pulled_by_etag(db: Db) {
    let c = start(db).await;
    let gent = c.token("gent-1", "Gent").await;
    let gent_2 = c.token("gent-2", "Gent").await;
    let brugge = c.token("brugge-1", "Brugge").await;
    let response = c.plan(&gent, None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(error_of(response).await.contains("no appointments for site \"Gent\""));

    let session = c.sign_in().await;
    // A name sent along is not a field of the form: it is not kept anywhere.
    let booked = c.book(
        &session,
        "site=Gent&date=2026-11-30&time=14:00&service=email&desk=desk-1&language=ar&name=Jan+Peeters",
    );
    assert_eq!(booked.await.status(), StatusCode::SEE_OTHER);
    let booked = c.book(&session, "site=Gent&date=2026-12-01&time=09:30&service=phone&desk=&language=").await;
    assert_eq!(booked.status(), StatusCode::SEE_OTHER);
    let booked = c.book(&session, "site=Brugge&date=2026-11-30&time=15:00&service=email").await;
    assert_eq!(booked.status(), StatusCode::SEE_OTHER);
    for (fields, why) in [
        ("site=Gent&date=2026-11-29&time=14:00&service=email", "has passed"),
        ("site=Gent&date=2026-11-30&time=14:00&service=e+mail", "not an id"),
        ("site=Gent&date=30-11-2026&time=14:00&service=email", "not a date"),
        ("site=Gent&date=2026-11-30&time=2pm&service=email", "not a time"),
        ("site=&date=2026-11-30&time=14:00&service=email", "give the site"),
    ] {
        let refused = c.book(&session, fields).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{fields}");
        assert!(error_of(refused).await.contains(why), "{fields}: {why}");
    }
    let no_csrf =
        c.post_form(&session, "/appointments", "site=Gent&date=2026-11-30&time=16:00&service=email");
    assert_eq!(no_csrf.await.status(), StatusCode::FORBIDDEN);

    let response = c.plan(&gent, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let text = response.text().await.unwrap();
    assert!(!text.contains("Jan") && !text.contains("name"), "never a name: {text}");
    let plan: AppointmentPlan = serde_json::from_str(&text).unwrap();
    assert_eq!(plan.kiosk_id, "gent-1");
    assert_eq!(plan.generated_at, NOW.parse::<Timestamp>().unwrap());
    assert_eq!(plan.check("gent-1"), Ok(()));
    let first = &plan.appointments[0];
    assert_eq!(plan.appointments.len(), 2, "Gent's only: {plan:?}");
    assert_eq!(first.starts_at, "2026-11-30T13:00:00Z".parse::<Timestamp>().unwrap(), "14:00 in Brussels");
    assert_eq!(
        (first.service.as_str(), first.desk.as_deref(), first.language.as_deref()),
        ("email", Some("desk-1"), Some("ar"))
    );
    assert_eq!(
        (plan.appointments[1].service.as_str(), plan.appointments[1].desk.as_deref()),
        ("phone", None)
    );
    assert!(loket_protocol::appointments::is_booking_code(&first.code));
    assert_ne!(first.code, plan.appointments[1].code);
    let other_kiosk: AppointmentPlan = c.plan(&gent_2, None).await.json().await.unwrap();
    assert_eq!(
        (other_kiosk.kiosk_id.as_str(), other_kiosk.appointments),
        ("gent-2", plan.appointments.clone())
    );
    let brugge_plan: AppointmentPlan = c.plan(&brugge, None).await.json().await.unwrap();
    assert_eq!(brugge_plan.appointments.len(), 1);
    let unchanged = c.plan(&gent, Some(&etag)).await;
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(unchanged.headers()["etag"].to_str().unwrap(), etag);
    let page = c.page(&session, "/appointments?site=Gent").await;
    let shown = format!("{} {}", &first.code[..3], &first.code[3..]);
    assert!(page.contains(&format!("<code>{shown}</code>")), "the code as staff read it out: {page}");

    // Moved: the same code, a new time and no desk; the ETag changes.
    let moved = c
        .post_form(
            &session,
            &format!("/appointments/{}/move", first.uid),
            &format!("csrf={}&date=2026-11-30&time=15:15&service=email&desk=", session.csrf),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    let response = c.plan(&gent, Some(&etag)).await;
    assert_eq!(response.status(), StatusCode::OK, "a changed plan is sent again");
    let moved_etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(moved_etag, etag);
    let plan: AppointmentPlan = response.json().await.unwrap();
    let again = plan.appointments.iter().find(|a| a.uid == first.uid).unwrap();
    assert_eq!((again.code.as_str(), again.desk.as_deref()), (first.code.as_str(), None));
    assert_eq!(again.starts_at, "2026-11-30T14:15:00Z".parse::<Timestamp>().unwrap());

    // Cancelled: still in the plan, marked, so a kiosk that held it learns it is off.
    let second = plan.appointments.iter().find(|a| a.service == "phone").unwrap().uid.clone();
    let cancel = format!("/appointments/{second}/cancel");
    let csrf = format!("csrf={}", session.csrf);
    assert_eq!(c.post_form(&session, &cancel, &csrf).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.post_form(&session, &cancel, &csrf).await.status(), StatusCode::NOT_FOUND, "once");
    let move_cancelled = format!("csrf={}&date=2026-12-01&time=10:00&service=phone", session.csrf);
    let refused = c.post_form(&session, &format!("/appointments/{second}/move"), &move_cancelled).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let response = c.plan(&gent, Some(&moved_etag)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let plan: AppointmentPlan = response.json().await.unwrap();
    assert!(plan.appointments.iter().find(|a| a.uid == second).unwrap().cancelled);

    // From today on: the next day the past ones are gone; when none are left, 404.
    c.clock.set("2026-12-01T08:00:00Z".parse().unwrap());
    let plan: AppointmentPlan = c.plan(&gent, None).await.json().await.unwrap();
    assert_eq!(plan.appointments.iter().map(|a| a.uid.as_str()).collect::<Vec<_>>(), [second.as_str()]);
    c.clock.set("2026-12-02T08:00:00Z".parse().unwrap());
    assert_eq!(c.plan(&gent, None).await.status(), StatusCode::NOT_FOUND);
}

/// An appointment event as the kiosk's outbox writes it.
fn appointment_event(kind: &str, uid: &str, starts_at: &str, at: &str, late: Option<u32>) -> WireEvent {
    let mut body = json!({"uid": uid, "service": "email", "desk": null, "language": "nl",
        "starts_at": starts_at, "source": "central"});
    if let Some(late) = late {
        body["late_minutes"] = json!(late);
        body["checked_in_at"] = json!(at);
        body["ticket"] = json!("E-007");
    }
    event(kind, at, body)
}

async fn appointment_figures_count_each_appointment_once(db: Db) {
    let c = start(db).await;
    let gent_1 = c.token("gent-1", "Gent").await;
    let gent_2 = c.token("gent-2", "Gent").await;
    let day = "2026-11-30T07:00:00Z";
    let on = |kind: &str, uid: &str, starts: &str, late: Option<u32>| {
        appointment_event(kind, uid, starts, day, late)
    };
    let first = vec![
        on("appointment_booked", "u1", "2026-11-30T09:00:00Z", None),
        on("appointment_checked_in", "u1", "2026-11-30T09:00:00Z", Some(0)),
        on("appointment_booked", "u2", "2026-11-30T10:00:00Z", None),
        on("appointment_moved", "u2", "2026-12-01T10:00:00Z", None),
        on("appointment_booked", "u3", "2026-11-30T12:00:00Z", None),
        on("appointment_checked_in", "u3", "2026-11-30T12:00:00Z", Some(12)),
        on("appointment_booked", "u4", "2026-11-30T13:00:00Z", None),
        on("appointment_no_show", "u4", "2026-11-30T13:00:00Z", None),
        on("appointment_booked", "u5", "2026-11-30T14:00:00Z", None),
        on("appointment_cancelled", "u5", "2026-11-30T14:00:00Z", None),
    ];
    let receipt = c.send(&gent_1, &batch("gent-1", first)).await;
    assert!(receipt.refused.is_empty(), "appointment events are known: {receipt:?}");
    // The other kiosk of the site holds the same central plan and reports the same bookings.
    let second = vec![
        on("appointment_booked", "u1", "2026-11-30T09:00:00Z", None),
        on("appointment_booked", "u3", "2026-11-30T12:00:00Z", None),
    ];
    c.send(&gent_2, &batch("gent-2", second)).await;

    let store = c.server.store.clone();
    let figures = tokio::task::spawn_blocking(move || {
        let period = Period { from: "2026-11-30".into(), to: "2026-12-01".into(), site: Some("Gent".into()) };
        store.appointment_figures(&period)
    })
    .await
    .unwrap()
    .unwrap();
    let expected = [
        AppointmentFigures {
            site: "Gent".into(),
            day: "2026-11-30".into(),
            booked: 4,
            kept: 2,
            late: 1,
            no_shows: 1,
            cancelled: 1,
        },
        AppointmentFigures { site: "Gent".into(), day: "2026-12-01".into(), booked: 1, ..Default::default() },
    ];
    assert_eq!(figures, expected, "u2 counts on the day it was moved to; u1 and u3 once each");

    let session = c.sign_in().await;
    let csv = c.page(&session, "/export.csv?from=2026-11-30&to=2026-12-01").await;
    assert!(csv.lines().next().unwrap().ends_with(
        ",afspraken_geboekt,afspraken_gekomen,afspraken_te_laat,afspraken_niet_gekomen,afspraken_geannuleerd"
    ));
    assert!(csv.contains("\r\n2026-11-30,Gent,afspraken,,,,,,,,,,,4,2,1,1,1\r\n"), "{csv}");
    assert!(csv.contains("\r\n2026-12-01,Gent,afspraken,,,,,,,,,,,1,0,0,0,0\r\n"), "{csv}");
    let dashboard = c.page(&session, "/?day=2026-11-30").await;
    assert!(dashboard.contains("id=\"appointments\""), "the day's appointments on the dashboard");
    let period = c.page(&session, "/appointments?from=2026-11-30&to=2026-12-01").await;
    assert!(
        period.contains("<th class=\"num\">5</th><th class=\"num\">2</th><th class=\"num\">1</th>"),
        "{period}"
    );
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::Db::Sqlite).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::Db::Postgres).await
            })*
        }
    };
}

both_backends!(
    the_store_keeps_its_promises,
    a_batch_is_stored_once_and_counted_once,
    a_mixed_batch_names_new_old_and_refused_ids,
    malformed_batches_are_refused_with_a_reason,
    missing_wrong_and_revoked_tokens_are_401,
    a_heartbeat_is_stored_answered_and_shown,
    a_kiosk_not_seen_for_stale_minutes_is_shown_as_not_seen,
    settings_and_content_are_pulled_by_etag,
    packs_with_links_are_refused_and_the_last_good_pack_stays,
    admin_pages_need_a_session_and_changes_a_csrf_token,
    repeated_wrong_passwords_are_slowed_down,
    the_dashboard_shows_the_days_figures,
    hostile_names_are_escaped_on_the_dashboard_and_admin_pages,
    appointments_are_booked_moved_cancelled_and_pulled_by_etag,
    appointment_figures_count_each_appointment_once,
);

// ---- signing in under attack (SQLite: the limits do not depend on the store) ---------------

/// A client whose requests come from `ip` (any 127.x address reaches the server on loopback).
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    loket_protocol::tls::client()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_limit_stays_bounded_whatever_names_are_sent() {
    let c = start(Db::Sqlite).await;
    let url = format!("{}/login", c.base);
    let long = "n".repeat(16 * 1024);
    for i in 0..2000 {
        let response = c.http.post(&url).body(format!("name={i}{long}&password=x")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "request {i}");
        if i == 0 {
            assert!(response.text().await.unwrap().contains("too long"));
        }
    }
    let huge = format!("name={}&password=x", "n".repeat(MAX_BODY_BYTES - 64));
    let response = c.http.post(&url).body(huge).send().await.unwrap();
    assert!(
        [StatusCode::BAD_REQUEST, StatusCode::PAYLOAD_TOO_LARGE].contains(&response.status()),
        "{}",
        response.status()
    );
    assert_eq!(c.server.sign_in_entries(), 0, "absurd names are refused before they are counted");
    // Names of a plausible length are counted, each in a bounded entry.
    for i in 0..20 {
        let response = c.http.post(&url).body(format!("name=someone-{i}&password=x")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let entries = c.server.sign_in_entries();
    assert!((20..=40).contains(&entries), "{entries}");
    c.sign_in().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_from_other_addresses_do_not_lock_the_admin_out() {
    let quick = loket_protocol::sign_in::SlowDown {
        after: 2 * loket_protocol::sign_in::FAILURE_LIMIT,
        step: std::time::Duration::from_millis(20),
        max: std::time::Duration::from_millis(100),
    };
    let c = start_with(Db::Sqlite, Settings { sign_in: quick, ..Settings::default() }).await;
    let url = format!("{}/login", c.base);
    for host in 2..=5 {
        let other = client_from([127, 0, 0, host]);
        for _ in 0..loket_protocol::sign_in::FAILURE_LIMIT {
            let response = other.post(&url).body("name=admin&password=wrong").send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "from 127.0.0.{host}");
        }
        let locked = other.post(&url).body("name=admin&password=wrong").send().await.unwrap();
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS, "that address is locked out");
    }
    let right = format!("name=admin&password={}", PASSWORD.replace(' ', "+"));
    let response = client_from([127, 0, 0, 1]).post(&url).body(right).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the admin's own address gets in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_posted_from_another_sites_page_is_refused() {
    let public = "https://central.example.org";
    let settings =
        Settings { public_origin: Some(public.into()), language: "en".into(), ..Settings::default() };
    let c = start_with(Db::Sqlite, settings).await;
    let url = format!("{}/login", c.base);
    let right = format!("name=admin&password={}", PASSWORD.replace(' ', "+"));
    for (name, value) in
        [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site"), ("origin", "null")]
    {
        let response = c.http.post(&url).header(name, value).body(right.clone()).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(response.headers().get("set-cookie").is_none());
        let page = response.text().await.unwrap();
        assert!(page.contains("another site"), "{page}");
    }
    for (name, value) in [("origin", c.base.as_str()), ("origin", public), ("sec-fetch-site", "same-origin")]
    {
        let response = c.http.post(&url).header(name, value).body(right.clone()).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{name}: {value}");
    }
}

// ---- the command line and HTTPS ---------------------------------------------------------

#[tokio::test]
async fn the_server_speaks_https_itself() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let tls = loket_central::tls::server_config(&cert_path, &key_path).unwrap();
    let store = Arc::new(loket_central::sqlite::Sqlite::in_memory().unwrap());
    let clock = Arc::new(ManualClock::new(NOW.parse().unwrap()));
    let server = InProcess::start(store, clock, Settings::default(), Some(tls)).await.unwrap();
    let token = server.new_kiosk_token("gent-1", "Gent").await.unwrap();
    let root = reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap();
    let http = loket_protocol::tls::client().tls_certs_only([root]).build().unwrap();
    let url = format!("https://localhost:{}{}", server.addr.port(), loket_protocol::report::HEARTBEAT_PATH);
    let response =
        http.post(&url).bearer_auth(&token).json(&heartbeat("gent-1", "Gent")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let plain = format!("http://127.0.0.1:{}/health", server.addr.port());
    assert!(client().get(&plain).send().await.is_err(), "no plain HTTP on the TLS port");
}

/// Kills the child (a `loket-central` this test started) when dropped, also on failure.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn one_command_starts_it_with_a_first_admin_and_tokens_come_from_the_command_line() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_loket-central");
    let data = dir.path().join("data");
    let mut child = Child(
        std::process::Command::new(exe)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .env("RUST_LOG", "info")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdout = child.0.stdout.take().unwrap();
    // Everything it prints, read to the end, so it never writes into a closed pipe.
    let printed = std::thread::spawn(move || {
        let mut all = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut all).unwrap();
        all
    });
    let stderr = std::io::BufReader::new(child.0.stderr.take().unwrap());
    let (logged, address) = tokio::task::spawn_blocking(move || {
        let mut stderr = stderr.lines();
        let mut logged = Vec::new();
        let address = stderr
            .by_ref()
            .map(Result::unwrap)
            .inspect(|l| logged.push(l.clone()))
            .find_map(|l| l.split("listening on http://").nth(1).map(str::to_owned))
            .expect("the address it listens on");
        std::thread::spawn(move || stderr.for_each(drop));
        (logged.join("\n"), address)
    })
    .await
    .unwrap();
    // The password is in a file only the service's user reads; the log names the file.
    let file = data.join(loket_central::cli::FIRST_PASSWORD_FILE);
    assert!(logged.contains(&file.display().to_string()) && logged.contains("'admin'"), "{logged}");
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let password = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    assert!(!logged.contains(&password), "the password is not logged");
    assert_eq!(password.len(), 20);

    let http = client();
    let health = http.get(format!("http://{address}/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let login = http
        .post(format!("http://{address}/login"))
        .body(format!("name=admin&password={password}"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER, "the file's password signs in");

    let out = std::process::Command::new(exe)
        .args(["new-kiosk-token", "--kiosk", "gent-1", "--site", "Gent", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(token.len(), 64);
    let url = format!("http://{address}{}", loket_protocol::report::HEARTBEAT_PATH);
    let response =
        http.post(&url).bearer_auth(&token).json(&heartbeat("gent-1", "Gent")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "a token made while the server runs works at once");

    let mut set = std::process::Command::new(exe)
        .args(["set-password", "admin", "--data-dir"])
        .arg(&data)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(set.stdin.as_mut().unwrap(), b"a new long password\n").unwrap();
    assert!(set.wait().unwrap().success());
    let login = http
        .post(format!("http://{address}/login"))
        .body("name=admin&password=a+new+long+password")
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER, "the new password signs in");

    drop(child);
    let printed = printed.join().unwrap();
    assert!(!printed.contains(&password), "the password is not on standard output: {printed}");

    let bad =
        std::process::Command::new(exe).args(["--config", "/nonexistent/central.toml"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot read /nonexistent/central.toml"));
}

/// The pages come out in the staff's language, `dashboard.language` (Dutch by default): the
/// sign-in page, the bar, the dashboard with its date, a kiosk's warning and the visitors per
/// language, named for staff ("Tigrinya (ትግርኛ)"), the keys and files pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_speak_the_staff_language() {
    struct Expected {
        language: &'static str,
        sign_in: &'static str,
        overview: &'static str,
        never_seen: &'static str,
        tigrinya: &'static str,
        keys: &'static str,
        files: &'static str,
    }
    let cases = [
        Expected {
            language: "nl",
            sign_in: "Meld je aan om de cijfers en de kiosken te zien.",
            overview: "Overzicht van maandag 30 november 2026",
            never_seen: "nog nooit gezien",
            tigrinya: "Tigrinya (ትግርኛ)",
            keys: "Nieuwe sleutel",
            files: "Inhoudspakket (tar)",
        },
        Expected {
            language: "fr",
            sign_in: "Connectez-vous pour voir les chiffres et les bornes.",
            overview: "Vue d’ensemble du lundi 30 novembre 2026",
            never_seen: "jamais vu",
            tigrinya: "Tigrigna (ትግርኛ)",
            keys: "Nouvelle clé",
            files: "Paquet de contenu (tar)",
        },
        Expected {
            language: "en",
            sign_in: "Sign in to see the figures and the kiosks.",
            overview: "Overview of Monday 30 November 2026",
            never_seen: "never seen yet",
            tigrinya: "Tigrinya (ትግርኛ)",
            keys: "New key",
            files: "Content pack (tar)",
        },
    ];
    for e in cases {
        let settings = Settings { language: e.language.into(), ..Settings::default() };
        let c = start_with(Db::Sqlite, settings).await;
        let login = c.http.get(format!("{}/login", c.base)).send().await.unwrap().text().await.unwrap();
        assert!(login.contains(&format!("<html lang=\"{}\"", e.language)), "{login}");
        assert!(login.contains(e.sign_in), "{}: {login}", e.language);
        let token = c.token("k-1", "Gent").await;
        let mut issued = ticket_event("ticket_issued", 1, "email", NOW, None, NOW);
        issued.body["ticket"]["language"] = json!("ti");
        c.send(&token, &batch("k-1", vec![issued])).await;
        c.token("k-2", "Gent").await;
        let session = c.sign_in().await;
        let dashboard = c.page(&session, "/").await;
        for expected in [e.overview, e.never_seen, e.tigrinya] {
            assert!(dashboard.contains(expected), "{}: {expected:?} missing:\n{dashboard}", e.language);
        }
        assert!(c.page(&session, "/tokens").await.contains(e.keys), "{}", e.language);
        assert!(c.page(&session, "/files").await.contains(e.files), "{}", e.language);
    }
}
