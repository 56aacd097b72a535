//! The staff web API on a real port: a temp-dir store, a manual clock, HTTP from reqwest.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use loket::clock::ManualClock;
use loket::config::{ApiToken, Config};
use loket::help_point::{HelpPoint, queue_rules};
use loket::owner::{HelpPointHandle, HelpPointOwner};
use loket::store::Store;
use loket::web::{Access, ROUTES, WebState};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Server {
    base: String,
    http: reqwest::Client,
    token: String,
    help_point: HelpPointHandle,
    clock: Arc<ManualClock>,
    _web: common::web::WebServer,
}

/// A desk signed in through the API.
struct Desk {
    id: &'static str,
    cookie: String,
    csrf: String,
}

async fn start() -> Server {
    let token = loket::secret::new_token();
    let hash = loket::secret::hash(&token).unwrap();
    let web = common::web::start_web(|config| {
        config.web.api_tokens.push(ApiToken { name: "second kiosk".into(), token_hash: hash });
    })
    .await;
    Server {
        base: web.base.clone(),
        http: loket::tls::client().build().unwrap(),
        token,
        help_point: web.help_point.clone(),
        clock: web.clock.clone(),
        _web: web,
    }
}

impl Server {
    /// A visitor takes a ticket at the kiosk; returns its id.
    fn take(&self, service: &str) -> i64 {
        let service = service.to_owned();
        self.help_point.run(move |hp| hp.take_ticket(&service, "nl")).unwrap().unwrap().ticket.id.0
    }

    async fn sign_in(&self, id: &'static str) -> Desk {
        let pin = if id == "desk-1" { "2468" } else { "1357" };
        let response = self.post_json("/api/v1/session", json!({ "desk": id, "pin": pin })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/")
        );
        assert!(!cookie.contains("Secure"), "plain HTTP by default: a Secure cookie would never come back");
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let body: Value = response.json().await.unwrap();
        Desk { id, cookie, csrf: body["csrf_token"].as_str().unwrap().to_owned() }
    }

    async fn post_json(&self, path: &str, body: Value) -> reqwest::Response {
        self.http.post(format!("{}{path}", self.base)).json(&body).send().await.unwrap()
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).send().await.unwrap()
    }

    /// A desk's request, with its cookie and CSRF token.
    fn as_desk(&self, desk: &Desk, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("cookie", &desk.cookie)
            .header("x-csrf-token", &desk.csrf)
    }

    /// `POST /api/v1/desks/{desk}/{action}` as that desk: (status, body).
    async fn act(&self, desk: &Desk, action: &str, body: Value) -> (StatusCode, Value) {
        let path = format!("/api/v1/desks/{}/{action}", desk.id);
        let response = self.as_desk(desk, Method::POST, &path).json(&body).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn view(&self, desk: &Desk) -> Value {
        let response =
            self.as_desk(desk, Method::GET, &format!("/api/v1/desks/{}", desk.id)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

async fn error_of(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.expect("errors are JSON");
    (status, body["error"].as_str().expect("{\"error\": …}").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_form_gets_the_desks_by_name_and_nothing_secret() {
    let server = start().await;
    let response = server.http.get(format!("{}/api/v1/desks", server.base)).send().await.unwrap();
    assert!(response.headers().get("set-cookie").is_none());
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"desks": [
            {"id": "desk-1", "name": "Balie 1", "can_sign_in": true},
            {"id": "desk-2", "name": "Balie 2", "can_sign_in": true},
        ]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_goes_through_the_whole_call_cycle() {
    let s = start().await;
    let first = s.take("email");
    s.clock.advance(SignedDuration::from_mins(12));
    let second = s.take("appointment");
    let third = s.take("email");
    let desk = s.sign_in("desk-1").await;

    let session: Value =
        s.as_desk(&desk, Method::GET, "/api/v1/session").send().await.unwrap().json().await.unwrap();
    assert_eq!((session["desk"].as_str(), session["desk_name"].as_str()), (Some("desk-1"), Some("Balie 1")));

    let (status, body) = s.act(&desk, "call-next", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let called = &body["called"];
    let keys: BTreeSet<&str> = called.as_object().unwrap().keys().map(String::as_str).collect();
    let want = [
        "id",
        "code",
        "service",
        "service_name",
        "language",
        "language_name",
        "state",
        "desk",
        "issued_at",
        "waiting_minutes",
        "screening_code",
    ];
    assert_eq!(keys, want.into_iter().collect());
    assert_eq!(called["screening_code"], Value::Null, "a ticket from the services screen has none");
    assert_eq!(called["id"], first);
    assert_eq!(called["code"], "E-001");
    assert_eq!(called["service_name"], "E-mail");
    assert_eq!(called["language_name"], "Nederlands");
    assert_eq!(called["state"], "called");
    assert_eq!(called["desk"], "desk-1");
    assert_eq!(called["issued_at"], "2026-11-30T09:30:00Z");
    assert_eq!(called["waiting_minutes"], 12);

    let (status, body) = s.act(&desk, "recall", json!({})).await;
    assert_eq!((status, body["called"]["id"].as_i64()), (StatusCode::OK, Some(first)));

    let (status, body) = s.act(&desk, "served", json!({ "outcome": "Nope" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"].as_str().unwrap().contains("Geholpen"), "{body}");
    let (status, body) = s.act(&desk, "served", json!({ "outcome": "Geholpen" })).await;
    assert_eq!((status, &body["ticket"]["state"]), (StatusCode::OK, &json!("served")));
    let (status, body) = s.act(&desk, "served", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "no current ticket: {body}");

    let (_, body) = s.act(&desk, "call-next", json!({})).await;
    assert_eq!(body["called"]["id"], second);
    let (status, body) = s.act(&desk, "no-show", json!({})).await;
    assert_eq!((status, &body["ticket"]["state"]), (StatusCode::OK, &json!("no_show")));

    // The third visitor is called, then sent on to the tablet service of desk 2.
    let (_, body) = s.act(&desk, "call-next", json!({})).await;
    assert_eq!(body["called"]["id"], third);
    let (status, body) = s.act(&desk, "transfer", json!({ "service": "tablet" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((&body["ticket"]["service"], &body["ticket"]["state"]), (&json!("tablet"), &json!("waiting")));
    let (status, _) = s.act(&desk, "transfer", json!({ "service": "fax" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing current any more");
    let (status, _) = s.act(&desk, "transfer", json!({ "service": "fax", "ticket": third })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no such service");

    // Call a particular ticket out of order.
    let later = s.take("email");
    let (status, body) = s.act(&desk, "call", json!({ "ticket": later })).await;
    assert_eq!((status, body["called"]["id"].as_i64()), (StatusCode::OK, Some(later)));
    let (status, _) = s.act(&desk, "call", json!({ "ticket": third })).await;
    assert_eq!(status, StatusCode::CONFLICT, "desk 1 does not serve tablet");
    let (status, _) = s.act(&desk, "call", json!({ "ticket": 999 })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Pause and resume.
    s.take("email");
    let (status, body) = s.act(&desk, "pause", json!({})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "paused": true })));
    let (status, body) = s.act(&desk, "call-next", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"].as_str().unwrap().contains("paused"), "{body}");
    assert_eq!(s.view(&desk).await["desk"]["paused"], true);
    let (status, body) = s.act(&desk, "resume", json!({})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "paused": false })));
    let (status, _) = s.act(&desk, "call-next", json!({})).await;
    assert_eq!(status, StatusCode::OK);

    // The desk's view.
    let view = s.view(&desk).await;
    assert_eq!(view["desk"]["name"], "Balie 1");
    assert_eq!(view["current"]["code"], "E-004");
    assert_eq!(view["waiting"], json!([]), "the tablet ticket is not desk 1's");
    assert_eq!(view["figures"]["served_today"], 2, "one marked served, one by calling the next");
    assert_eq!(view["figures"]["no_shows_today"], 1);
    let tablet =
        view["figures"]["waiting_per_service"].as_array().unwrap().iter().find(|w| w["service"] == "tablet");
    assert_eq!(tablet.unwrap()["waiting"], 1);
    assert_eq!(view["outcomes"], json!(["Geholpen", "Doorverwezen", "Komt later terug"]));
    assert_eq!(view["services"].as_array().unwrap().len(), 6);

    // The board shows the calls, newest first.
    let board: Value = s.get("/api/v1/board").await.json().await.unwrap();
    assert_eq!(board["site"], "Digilabo");
    let calls = board["calls"].as_array().unwrap();
    assert_eq!(calls[0]["code"], "E-004");
    assert_eq!(calls[0]["desk_name"], "Balie 1");
    assert!(calls.len() <= 6);

    // Signing out ends the session.
    let response = s.as_desk(&desk, Method::DELETE, "/api/v1/session").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let response = s.as_desk(&desk, Method::GET, "/api/v1/session").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_desks_calling_at_once_never_get_the_same_ticket() {
    let s = start().await;
    let count = 30;
    for i in 0..count {
        s.take(if i % 2 == 0 { "smartphone" } else { "something-else" });
    }
    let (one, two) = (Arc::new(s.sign_in("desk-1").await), Arc::new(s.sign_in("desk-2").await));
    let s = Arc::new(s);
    let mut tasks = Vec::new();
    for i in 0..(count + 6) {
        let (s, desk) = (s.clone(), if i % 2 == 0 { one.clone() } else { two.clone() });
        tasks.push(tokio::spawn(async move { s.act(&desk, "call-next", json!({})).await }));
    }
    let mut called = Vec::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            (StatusCode::OK, body) => called.push(body["called"]["id"].as_i64().unwrap()),
            (StatusCode::CONFLICT, _) => refused += 1,
            (status, body) => panic!("{status} {body}"),
        }
    }
    let distinct: BTreeSet<i64> = called.iter().copied().collect();
    assert_eq!(distinct.len(), called.len(), "a ticket was called twice: {called:?}");
    assert_eq!((called.len(), refused), (count, 6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_only_gets_tickets_of_its_services_and_a_transfer_keeps_the_arrival_order() {
    let s = start().await;
    let email = s.take("email");
    s.clock.advance(SignedDuration::from_mins(1));
    let tablet = s.take("tablet");
    s.clock.advance(SignedDuration::from_mins(1));
    let lessons = s.take("online-lessons");
    let desk_2 = s.sign_in("desk-2").await;

    let waiting: Vec<i64> = s.view(&desk_2).await["waiting"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(waiting, [tablet, lessons], "desk 2 does not serve e-mail");

    // The e-mail visitor came first: moved to tablet, they are called before the others.
    let token = format!("Bearer {}", s.token);
    let response = s
        .http
        .post(format!("{}/api/v1/desks/desk-1/transfer", s.base))
        .header("authorization", &token)
        .json(&json!({ "service": "tablet", "ticket": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (_, body) = s.act(&desk_2, "call-next", json!({})).await;
    assert_eq!(body["called"]["id"], email);
    assert_eq!(body["called"]["code"], "E-001", "the code on the paper stays");
    let (_, body) = s.act(&desk_2, "call-next", json!({})).await;
    assert_eq!(body["called"]["id"], tablet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_staff_route_needs_a_session_or_a_token() {
    let s = start().await;
    let staff_routes: Vec<_> = ROUTES.iter().filter(|r| r.access == Access::Staff).collect();
    assert!(staff_routes.len() >= 12);
    for route in staff_routes {
        let url = format!("{}{}", s.base, route.path.replace("{desk}", "desk-1"));
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        for (header, value) in [
            (None, ""),
            (Some("cookie"), "loket_session=0000"),
            (Some("authorization"), "Bearer 0000"),
            (Some("authorization"), "Basic abc"),
        ] {
            let mut request = s.http.request(method.clone(), &url).json(&json!({ "service": "email" }));
            if let Some(header) = header {
                request = request.header(header, value);
            }
            let (status, message) = error_of(request.send().await.unwrap()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{} {} with {header:?}", route.method, route.path);
            assert!(!message.is_empty());
        }
    }
    // Public routes answer without credentials.
    for route in ROUTES.iter().filter(|r| r.access == Access::Public && r.method == "GET") {
        if route.path.ends_with("/events") || route.path == "/api/v1/session" {
            continue;
        }
        let response = s.get(&route.path.replace("{file}", "style.css")).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", route.path);
    }
    let health: Value = s.get("/health").await.json().await.unwrap();
    assert_eq!(health, json!({ "status": "ok", "version": "0.1.0" }));
    let console = s.get("/").await;
    assert!(console.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(s.get("/static/secret.txt").await.status(), StatusCode::NOT_FOUND);
    let (status, _) = error_of(s.get("/api/v1/nothing").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_cannot_act_for_another_desk_and_needs_its_csrf_token() {
    let s = start().await;
    s.take("tablet");
    let desk_1 = s.sign_in("desk-1").await;
    for (method, path) in
        [(Method::GET, "/api/v1/desks/desk-2"), (Method::POST, "/api/v1/desks/desk-2/call-next")]
    {
        let (status, message) = error_of(s.as_desk(&desk_1, method, path).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(message.contains("desk-2"), "{message}");
    }
    let (status, _) =
        error_of(s.as_desk(&desk_1, Method::GET, "/api/v1/desks/desk-9").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let url = format!("{}/api/v1/desks/desk-1/pause", s.base);
    let missing = s.http.post(&url).header("cookie", &desk_1.cookie).send().await.unwrap();
    let (status, message) = error_of(missing).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message.contains("X-CSRF-Token"), "{message}");
    let wrong = s.http.post(&url).header("cookie", &desk_1.cookie).header("x-csrf-token", "0".repeat(64));
    assert_eq!(wrong.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let other = s.sign_in("desk-2").await;
    let crossed = s.http.post(&url).header("cookie", &desk_1.cookie).header("x-csrf-token", &other.csrf);
    assert_eq!(crossed.send().await.unwrap().status(), StatusCode::FORBIDDEN, "another session's token");
    let ticket = s.http.post(format!("{}/api/v1/tickets", s.base)).header("cookie", &desk_1.cookie);
    let ticket = ticket.json(&json!({ "service": "email", "language": "nl" })).send().await.unwrap();
    assert_eq!(ticket.status(), StatusCode::FORBIDDEN);
    s.help_point.sync().unwrap();
    assert!(!s.help_point.queue().is_paused("desk-1"), "nothing happened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sixth_sign_in_within_five_minutes_is_refused_even_with_the_right_pin() {
    let s = start().await;
    let (status, message) =
        error_of(s.post_json("/api/v1/session", json!({ "desk": "desk-9", "pin": "2468" })).await).await;
    assert_eq!((status, message.as_str()), (StatusCode::UNAUTHORIZED, "wrong desk or PIN"));
    for _ in 0..5 {
        let response = s.post_json("/api/v1/session", json!({ "desk": "desk-1", "pin": "0000" })).await;
        let (status, message) = error_of(response).await;
        assert_eq!((status, message.as_str()), (StatusCode::UNAUTHORIZED, "wrong desk or PIN"));
    }
    let response = s.post_json("/api/v1/session", json!({ "desk": "desk-1", "pin": "2468" })).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("set-cookie").is_none());
    let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((290..=300).contains(&retry), "{retry}");
    let (_, message) = error_of(response).await;
    assert!(message.contains("try again"), "{message}");
    // Another desk is not locked out.
    s.sign_in("desk-2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_a_json_400() {
    let s = start().await;
    let url = format!("{}/api/v1/session", s.base);
    for body in
        ["{", "[]", r#"{"desk": 1, "pin": "2468"}"#, r#"{"desk":"desk-1","pin":"2468","admin":true}"#, ""]
    {
        let response =
            s.http.post(&url).header("content-type", "application/json").body(body).send().await.unwrap();
        let (status, message) = error_of(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}");
        assert!(message.contains("JSON"), "{message}");
    }
    let desk = s.sign_in("desk-1").await;
    let response = s.as_desk(&desk, Method::POST, "/api/v1/desks/desk-1/call").body("{\"ticket\":\"x\"}");
    assert_eq!(error_of(response.send().await.unwrap()).await.0, StatusCode::BAD_REQUEST);
    let huge = format!("{{\"outcome\":\"{}\"}}", "x".repeat(100_000));
    let response = s.as_desk(&desk, Method::POST, "/api/v1/desks/desk-1/served").body(huge);
    assert!(response.send().await.unwrap().status().is_client_error());
    assert_eq!(s.get("/health").await.status(), StatusCode::OK, "still serving");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_machine_with_an_api_token_issues_tickets() {
    let s = start().await;
    let url = format!("{}/api/v1/tickets", s.base);
    let token = format!("Bearer {}", s.token);
    s.take("email");
    let response = s
        .http
        .post(&url)
        .header("authorization", &token)
        .json(&json!({ "service": "email", "language": "ar" }));
    let response = response.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["ticket"]["code"], "E-002");
    assert_eq!(body["ticket"]["language_name"], "العربية");
    assert_eq!(body["ticket"]["state"], "waiting");
    assert_eq!(body["people_ahead"], 1);
    assert!(body["wait"]["low_minutes"].is_u64() && body["wait"]["high_minutes"].is_u64(), "{body}");

    let send = |service: &str, language: &str| {
        s.http
            .post(&url)
            .header("authorization", &token)
            .json(&json!({ "service": service, "language": language }))
    };
    assert_eq!(send("fax", "nl").send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let (status, message) = error_of(send("email", "de").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "German is not offered: {message}");
    let wrong =
        s.http.post(&url).bearer_auth("f".repeat(64)).json(&json!({ "service": "email", "language": "nl" }));
    assert_eq!(wrong.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // A token may act for any desk, without CSRF.
    let call =
        s.http.post(format!("{}/api/v1/desks/desk-1/call-next", s.base)).header("authorization", &token);
    let body: Value = call.send().await.unwrap().json().await.unwrap();
    assert_eq!(body["called"]["code"], "E-001");
}

/// Reads an event stream until `needle` appears; panics after `within`.
async fn read_until(mut response: reqwest::Response, needle: &str, within: Duration) -> String {
    let mut seen = String::new();
    let found = tokio::time::timeout(within, async {
        while let Some(chunk) = response.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(needle) {
                return;
            }
        }
    })
    .await;
    assert!(found.is_ok(), "no {needle:?} within {within:?}; saw {seen:?}");
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_clients_hear_a_call_within_a_second() {
    let s = start().await;
    s.take("email");
    let desk = s.sign_in("desk-1").await;
    let staff = s.as_desk(&desk, Method::GET, "/api/v1/events").send().await.unwrap();
    assert_eq!(staff.status(), StatusCode::OK);
    assert!(staff.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let board = s.get("/api/v1/board/events").await;
    assert_eq!(board.status(), StatusCode::OK);
    // Both streams are subscribed once their headers arrived.
    let (status, _) = s.act(&desk, "call-next", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (staff, board) = tokio::join!(
        read_until(staff, "E-001", Duration::from_secs(1)),
        read_until(board, "E-001", Duration::from_secs(1)),
    );
    assert!(staff.contains("event: queue"), "{staff}");
    let data = staff.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let change: Value = serde_json::from_str(data).unwrap();
    assert_eq!((change["type"].as_str(), change["desk"].as_str()), (Some("ticket_called"), Some("desk-1")));
    assert_eq!(change["ticket"]["code"], "E-001");
    assert!(board.contains("event: call"), "{board}");
    let data = board.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let call: Value = serde_json::from_str(data).unwrap();
    assert_eq!(call["desk_name"], "Balie 1");
    assert_eq!(call["at"], "2026-11-30T09:30:00Z");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_stops_promptly_with_boards_connected() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::sample();
    let clock = Arc::new(ManualClock::new("2026-11-30T09:30:00Z".parse().unwrap()));
    let store = Store::open(&dir.path().join("loket.sqlite")).unwrap();
    let owner = HelpPointOwner::start(HelpPoint::open(queue_rules(&config), store, clock).unwrap()).unwrap();
    let help_point = owner.handle();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = WebState::new(help_point, Arc::new(config));
    let server = tokio::spawn(loket::web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let board = reqwest::get(format!("{base}/api/v1/board/events")).await.unwrap();
    assert_eq!(board.status(), StatusCode::OK);
    stop.send(()).unwrap();
    let served = tokio::time::timeout(Duration::from_secs(2), server).await;
    assert!(matches!(served, Ok(Ok(Ok(())))), "serve returned within 2 s: {served:?}");
    drop(board);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_https_the_session_cookie_is_secure() {
    let web = common::web::start_web(|config| config.web.https = true).await;
    let response = loket::tls::client()
        .build()
        .unwrap()
        .post(format!("{}/api/v1/session", web.base))
        .json(&json!({ "desk": "desk-1", "pin": "2468" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_cannot_transfer_a_visitor_served_at_another_desk() {
    let s = start().await;
    let smartphone = s.take("smartphone");
    let one = s.sign_in("desk-1").await;
    let two = s.sign_in("desk-2").await;
    // Both desks serve smartphones; desk 2 calls the visitor.
    let (_, body) = s.act(&two, "call-next", json!({})).await;
    assert_eq!(body["called"]["id"], smartphone);
    let (status, body) = s.act(&one, "transfer", json!({ "service": "email", "ticket": smartphone })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"].as_str().unwrap().contains("desk-2"), "{body}");
    let (status, _) = s.act(&two, "transfer", json!({ "service": "email", "ticket": smartphone })).await;
    assert_eq!(status, StatusCode::OK, "its own visitor");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_that_signed_out_hears_no_more_changes() {
    let s = start().await;
    s.take("email");
    let desk = s.sign_in("desk-1").await;
    let mut events = s.as_desk(&desk, Method::GET, "/api/v1/events").send().await.unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    let signed_out = s.as_desk(&desk, Method::DELETE, "/api/v1/session").send().await.unwrap();
    assert_eq!(signed_out.status(), StatusCode::NO_CONTENT);
    // Another client calls the visitor; the signed-out stream ends instead of telling it.
    s.help_point.run(|hp| hp.call_next("desk-1")).unwrap().unwrap();
    let mut seen = String::new();
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        while let Ok(Some(chunk)) = events.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream ended");
    assert!(!seen.contains("E-001"), "nothing after signing out: {seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_on_the_visitor_the_desk_no_longer_serves_changes_nothing() {
    let s = start().await;
    let first = s.take("email");
    let second = s.take("email");
    let desk = s.sign_in("desk-1").await;
    let (_, body) = s.act(&desk, "call-next", json!({})).await;
    assert_eq!(body["called"]["id"], first);
    // The desk's button moves on to the second visitor while the console still shows the first.
    s.help_point.run(|hp| hp.call_next("desk-1")).unwrap().unwrap();
    for action in ["no-show", "recall", "served"] {
        let (status, body) = s.act(&desk, action, json!({ "ticket": first })).await;
        assert_eq!(status, StatusCode::CONFLICT, "{action}: {body}");
    }
    let current = s.help_point.queue().current_ticket("desk-1").unwrap().clone();
    assert_eq!((current.id.0, current.recalls), (second, 0), "nothing happened to the second visitor");
    let (status, _) = s.act(&desk, "no-show", json!({ "ticket": second })).await;
    assert_eq!(status, StatusCode::OK);
}

/// A screening a learner finished at the kiosk a few minutes ago: the warm-up on their own, the
/// mail with a hint, the phishing message with a tap on the scam link, the rest not reached.
fn record_screening(server: &Server) -> loket::screening::ScreeningRecord {
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
    let now = server.help_point.now();
    let run = ScreeningRun {
        language: "ar".into(),
        instructions_language: None,
        started_at: now.checked_sub(SignedDuration::from_mins(6)).unwrap(),
        ended_at: now,
        finished: true,
        items: vec![
            item("x01-touch-warmup", &["5.2"], ItemEnding::Completed, vec![step(0, 0, 0), step(1, 0, 0)]),
            item("x04-mail-reply", &["2.1"], ItemEnding::Completed, vec![step(0, 0, 2)]),
            item("x07-phishing", &["4.2", "1.2"], ItemEnding::Completed, vec![step(1, 1, 0)]),
            item("x08-search-ad", &["1.1", "1.2"], ItemEnding::NotReached, vec![]),
        ],
    };
    server.help_point.run(move |hp| hp.record_screening(run)).unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_look_a_screening_result_up_by_its_code() {
    let s = start().await;
    let record = record_screening(&s);
    let desk = s.sign_in("desk-2").await;
    let lookup = |code: String| s.as_desk(&desk, Method::GET, &format!("/api/v1/screening/{code}")).send();
    let response = lookup(record.code.clone()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], record.code.as_str());
    assert_eq!(body["language"], "ar");
    assert_eq!(body["language_name"], "العربية");
    assert_eq!(body["instructions_language"], Value::Null, "the pack has Arabic");
    assert_eq!(body["finished"], true);
    assert_eq!(body["ended_local"], "30-11-2026 10:30", "local time in Brussels");
    assert_eq!(body["referral"], json!({"outcome": record.referral.outcome, "label": record.referral.label}));
    assert_eq!(body["referral"]["outcome"], "one-to-one", "x02 was not done");
    let competences: Vec<(String, String)> = body["competences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].as_str().unwrap().to_owned(), c["level"].as_str().unwrap().to_owned()))
        .collect();
    let expected =
        [("1.1", "not_yet"), ("1.2", "not_yet"), ("2.1", "with_help"), ("4.2", "not_yet"), ("5.2", "on_own")];
    assert_eq!(competences, expected.map(|(c, l)| (c.to_owned(), l.to_owned())));
    assert_eq!(body["competences"][2]["name"], "Interageren via digitale technologieën");
    let mail = &body["items"][1];
    assert_eq!(mail["item_id"], "x04-mail-reply");
    assert_eq!((mail["level"].as_str(), mail["ending"].as_str()), (Some("with_help"), Some("completed")));
    assert_eq!((mail["hints"].as_u64(), mail["max_hint_level"].as_u64()), (Some(1), Some(2)));
    let phishing = &body["items"][2];
    assert_eq!((phishing["level"].as_str(), phishing["risky_taps"].as_u64()), (Some("not_yet"), Some(1)));
    assert_eq!(body["items"][0]["wrong_taps"], 1);
    assert_eq!(body["items"][3]["ending"], "not_reached");
    assert_eq!(body["items"][0]["duration_ms"], 65_000);

    // Typed in lowercase without the dash, or by a machine with a token: the same result.
    let typed = record.code.replace('-', "").to_lowercase();
    let again: Value = lookup(typed).await.unwrap().json().await.unwrap();
    assert_eq!(again["code"], record.code.as_str());
    let by_token = s
        .http
        .get(format!("{}/api/v1/screening/{}", s.base, record.code))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), StatusCode::OK);

    // An unknown code is 404, something that cannot be a code 400, both with a reason.
    let unknown = if record.code == "AAA-AAA" { "CCC-CCC" } else { "AAA-AAA" };
    let (status, message) = error_of(lookup(unknown.into()).await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(message.contains("no screening") && message.contains(unknown), "{message}");
    for bad in ["K7M-4P", "0O0-1I1", "K7M-4PXX", "%20", "K7M%2F4PX"] {
        let (status, message) = error_of(lookup(bad.into()).await.unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(message.contains("not a result code"), "{bad}: {message}");
    }
    // Without a session or token: 401, and nothing about the result.
    let (status, message) = error_of(s.get(&format!("/api/v1/screening/{}", record.code)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!message.contains(&record.code));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_from_the_screenings_result_shows_its_code_to_the_desk() {
    let s = start().await;
    let record = record_screening(&s);
    let code = record.code.clone();
    let id = s
        .help_point
        .run(move |hp| hp.take_ticket_with_code("email", "ti", Some(&code)))
        .unwrap()
        .unwrap()
        .ticket
        .id
        .0;
    let desk = s.sign_in("desk-1").await;
    let view = s.view(&desk).await;
    let waiting = view["waiting"].as_array().unwrap();
    let ticket = waiting.iter().find(|t| t["id"] == id).unwrap();
    assert_eq!(ticket["screening_code"], record.code.as_str());
    let (status, body) = s.act(&desk, "call-next", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["called"]["screening_code"], record.code.as_str(), "and once called");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn todays_figures_count_screenings_and_tutorials() {
    let s = start().await;
    let desk = s.sign_in("desk-1").await;
    let figures = s.view(&desk).await["figures"].clone();
    assert_eq!(
        (figures["screenings_today"].as_u64(), figures["tutorials_today"].as_u64()),
        (Some(0), Some(0))
    );
    record_screening(&s);
    {
        let now = s.help_point.now();
        let run = loket::screening::TutorialRun {
            tutorial_id: "t02-email".into(),
            version: 1,
            digcomp: vec!["2.1".into()],
            language: "fr".into(),
            instructions_language: None,
            started_at: now,
            ended_at: now,
            completed: true,
            steps_done: 6,
            steps_total: 6,
            hints: 0,
            wrong_taps: 0,
        };
        s.help_point.run(move |hp| hp.record_tutorial(run)).unwrap().unwrap();
    }
    let figures = s.view(&desk).await["figures"].clone();
    assert_eq!(
        (figures["screenings_today"].as_u64(), figures["tutorials_today"].as_u64()),
        (Some(1), Some(1))
    );
    s.clock.advance(SignedDuration::from_hours(24));
    let figures = s.view(&desk).await["figures"].clone();
    assert_eq!(figures["screenings_today"], 0, "a new day");
}

/// The console and the board come out in the staff's language, `site.local_language`: their
/// fixed words in the HTML and the words their scripts use in the embedded dictionary, with every
/// visitor language named for staff ("Tigrinya (ትግርኛ)").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_speak_the_staff_language() {
    let http = reqwest::Client::new();
    let cases = [
        ("nl", "Aanmelden aan de balie", "Volgende roepen", "Nu aan de beurt", "Tigrinya (ትግርኛ)"),
        ("fr", "Se connecter à un guichet", "Appeler le suivant", "Appelés", "Tigrigna (ትግርኛ)"),
        ("en", "Sign in at a desk", "Call the next one", "Now serving", "Tigrinya (ትግርኛ)"),
    ];
    for (staff, sign_in, call_next, now_serving, tigrinya) in cases {
        let web = common::web::start_web(|config| config.site.local_language = staff.into()).await;
        let console = http.get(format!("{}/", web.base)).send().await.unwrap();
        assert_eq!(console.status(), StatusCode::OK);
        let console = console.text().await.unwrap();
        assert!(console.contains(&format!("<html lang=\"{staff}\"")), "{staff}: {console}");
        assert!(console.contains(sign_in) && console.contains(call_next), "{staff}: {console}");
        assert!(!console.contains("{{"), "{staff}: a mark left unfilled");
        let words = console
            .split("<script type=\"application/json\" id=\"words\">")
            .nth(1)
            .and_then(|rest| rest.split("</script>").next())
            .unwrap_or_else(|| panic!("{staff}: no words for the script"));
        let words: Value = serde_json::from_str(words).unwrap();
        assert_eq!(words["languages"]["ti"], tigrinya, "{staff}");
        assert_eq!(words["lang"], staff);
        let board = http.get(format!("{}/board", web.base)).send().await.unwrap().text().await.unwrap();
        assert!(board.contains(&format!("<title>{now_serving}</title>")), "{staff}: {board}");
        assert!(board.contains("--autoplay-policy=no-user-gesture-required"), "{staff}: the board's help");
        assert!(!board.contains("{{"), "{staff}: a mark left unfilled");
    }
    // The Dutch that staff read today stays: nothing English on a Dutch page.
    let web = common::web::start_web(|_| {}).await;
    let console = http.get(format!("{}/", web.base)).send().await.unwrap().text().await.unwrap();
    for english in ["Sign in at a desk", "Call the next one", "Nobody is waiting."] {
        assert!(!console.contains(english), "{english:?} on the Dutch console");
    }
}

/// A client whose requests come from `ip` (any 127.x address reaches the server on loopback).
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    loket::tls::client().local_address(std::net::IpAddr::from(ip)).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_takes_json_from_the_consoles_own_page_only() {
    let s = start().await;
    let url = format!("{}/api/v1/session", s.base);
    let body = r#"{"desk":"desk-1","pin":"2468"}"#;
    // A form or a text/plain post, as another site's page can send without asking.
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
    {
        let response =
            s.http.post(&url).header("content-type", content_type).body(body).send().await.unwrap();
        assert!(response.headers().get("set-cookie").is_none());
        let (status, message) = error_of(response).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
        assert!(message.contains("application/json") && message.contains(content_type), "{message}");
    }
    let bare = s.http.post(&url).body(body).send().await.unwrap();
    assert_eq!(error_of(bare).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE, "no content type");
    // A fetch from another site's page, which a browser marks.
    let json = |extra: (&'static str, &'static str)| {
        s.http.post(&url).header("content-type", "application/json").header(extra.0, extra.1).body(body)
    };
    for header in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site"), ("origin", "null")] {
        let response = json(header).send().await.unwrap();
        assert!(response.headers().get("set-cookie").is_none());
        let (status, message) = error_of(response).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{header:?}");
        assert!(message.contains("another site"), "{message}");
    }
    // The console's own page.
    let own = json(("sec-fetch-site", "same-origin")).header("origin", &s.base).send().await.unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    let charset = s.http.post(&url).header("content-type", "application/json; charset=utf-8").body(body);
    assert_eq!(charset.send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pins_from_other_addresses_do_not_lock_the_staff_out() {
    let quick = loket::web::auth::SlowDown {
        after: 2 * loket::web::auth::FAILURE_LIMIT,
        step: Duration::from_millis(20),
        max: Duration::from_millis(100),
    };
    let web = common::web::start_web_with(
        |_| {},
        |state| state.with_sign_in_limiter(loket::web::auth::SignInLimiter::new(quick)),
    )
    .await;
    let url = format!("{}/api/v1/session", web.base);
    let wrong = json!({ "desk": "desk-1", "pin": "0000" });
    // Five wrong PINs from each of four other addresses.
    for host in 2..=5 {
        let other = client_from([127, 0, 0, host]);
        for _ in 0..loket::web::auth::FAILURE_LIMIT {
            let response = other.post(&url).json(&wrong).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "from 127.0.0.{host}");
        }
        let locked = other.post(&url).json(&wrong).send().await.unwrap();
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS, "that address is locked out");
    }
    // The right PIN from the staff's own address gets in, slowed down, not refused.
    let staff = client_from([127, 0, 0, 1]);
    let response = staff.post(&url).json(&json!({ "desk": "desk-1", "pin": "2468" })).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// A server with one API token (returned), nothing verified yet, as after a restart.
async fn start_with_token() -> (common::web::WebServer, String) {
    let token = loket::secret::new_token();
    let hash = loket::secret::hash(&token).unwrap();
    let web = common::web::start_web(|config| {
        config.web.api_tokens.push(ApiToken { name: "second kiosk".into(), token_hash: hash });
    })
    .await;
    (web, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_token_is_not_refused_for_wrong_ones_from_its_address_or_another() {
    let (web, token) = start_with_token().await;
    let url = format!("{}/api/v1/desks/desk-1", web.base);
    for host in [2, 1] {
        let client = client_from([127, 0, 0, host]);
        for _ in 0..loket::web::auth::FAILURE_LIMIT + 1 {
            let wrong = loket::secret::new_token();
            let response = client.get(&url).bearer_auth(&wrong).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "from 127.0.0.{host}");
        }
    }
    let response = client_from([127, 0, 0, 1]).get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_tokens_arriving_together_after_a_restart_all_pass() {
    let (web, token) = start_with_token().await;
    let http = loket::tls::client().build().unwrap();
    let url = format!("{}/api/v1/desks/desk-1", web.base);
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..16 {
        burst.spawn(http.get(&url).bearer_auth(&token).send());
    }
    let statuses: Vec<StatusCode> = burst.join_all().await.into_iter().map(|r| r.unwrap().status()).collect();
    assert_eq!(statuses, vec![StatusCode::OK; 16]);
}

#[tokio::test]
async fn a_full_store_answers_503_with_the_reason_and_health_says_degraded_until_space_returns() {
    let s = start().await;
    let url = format!("{}/api/v1/tickets", s.base);
    let take =
        || s.http.post(&url).bearer_auth(&s.token).json(&json!({ "service": "email", "language": "nl" }));
    assert_eq!(take().send().await.unwrap().status(), StatusCode::CREATED);
    // The disk fills up: the file may not grow by one page more (SQLITE_FULL).
    s.help_point
        .run(|hp| hp.store().limit_pages_for_tests(hp.store().page_count_for_tests().unwrap()))
        .unwrap()
        .unwrap();
    let mut refused = None;
    for _ in 0..500 {
        let answer = take().send().await.unwrap();
        if answer.status() != StatusCode::CREATED {
            refused = Some((answer.status(), answer.json::<Value>().await.unwrap()));
            break;
        }
    }
    let (status, body) = refused.expect("a full store refuses a ticket");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("the store cannot write: disk full"), "{error}");
    let health: Value = s.get("/health").await.json().await.unwrap();
    assert_eq!(
        health,
        json!({ "status": "degraded", "version": "0.1.0", "problems": ["the store cannot write: disk full"] })
    );
    // Space returns: the next ticket is stored and /health is ok again.
    s.help_point.run(|hp| hp.store().limit_pages_for_tests(1_000_000)).unwrap().unwrap();
    assert_eq!(take().send().await.unwrap().status(), StatusCode::CREATED);
    let health: Value = s.get("/health").await.json().await.unwrap();
    assert_eq!(health, json!({ "status": "ok", "version": "0.1.0" }));
}

#[tokio::test]
async fn a_printer_out_of_paper_makes_health_degraded_with_the_reason() {
    let s = start().await;
    s.help_point.run(|hp| hp.device_state_changed("printer", "no_paper", "out of paper")).unwrap().unwrap();
    let health: Value = s.get("/health").await.json().await.unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["problems"], json!(["the printer: no_paper (out of paper)"]));
    s.help_point.run(|hp| hp.device_state_changed("printer", "ready", "")).unwrap().unwrap();
    let health: Value = s.get("/health").await.json().await.unwrap();
    assert_eq!(health, json!({ "status": "ok", "version": "0.1.0" }));
}
