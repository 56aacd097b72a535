//! The appointment routes on a real port: book, list, move, cancel and the visitor's slip, with
//! a temp-dir store, a manual clock (Monday 30 November 2026, 10:30 in Brussels) and an API
//! token.

mod common;

use loket::config::ApiToken;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Server {
    web: common::web::WebServer,
    http: reqwest::Client,
    token: String,
}

async fn start() -> Server {
    let token = loket::secret::new_token();
    let hash = loket::secret::hash(&token).unwrap();
    let web = common::web::start_web(|config| {
        config.web.api_tokens.push(ApiToken { name: "planning".into(), token_hash: hash });
    })
    .await;
    let config = loket::config::Config::sample();
    web.help_point
        .run(move |hp| hp.set_appointment_rules(loket::help_point::appointment_rules(&config)))
        .unwrap();
    Server { web, http: loket::tls::client().build().unwrap(), token }
}

impl Server {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request =
            self.http.request(method, format!("{}{path}", self.web.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn book(&self, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, "/api/v1/appointments", Some(body)).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_book_list_move_and_cancel_an_appointment() {
    let server = start().await;
    let (status, booked) = server
        .book(json!({"starts_at": "2026-11-30T10:00:00Z", "service": "appointment", "desk": "desk-1", "language": "ar"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    let code = booked["code"].as_str().unwrap().to_owned();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    assert_eq!(booked["code_shown"], format!("{} {}", &code[..3], &code[3..]));
    assert_eq!((booked["state"].as_str(), booked["source"].as_str()), (Some("expected"), Some("console")));
    assert!(booked.get("name").is_none());
    let id = booked["id"].as_i64().unwrap();

    let (status, list) = server.call(Method::GET, "/api/v1/appointments?day=2026-11-30", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["code"], code.as_str());
    let (_, other_day) = server.call(Method::GET, "/api/v1/appointments?day=2026-12-01", None).await;
    assert_eq!(other_day, json!([]));
    let (_, desk_2) = server.call(Method::GET, "/api/v1/appointments?desk=desk-2", None).await;
    assert_eq!(desk_2, json!([]), "today, and only desk-2's");

    let path = format!("/api/v1/appointments/{id}");
    let (status, moved) = server
        .call(Method::PATCH, &path, Some(json!({"starts_at": "2026-11-30T11:00:00Z", "desk": null})))
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!((moved["starts_at"].as_str(), &moved["desk"]), (Some("2026-11-30T11:00:00Z"), &Value::Null));
    assert_eq!(moved["code"], code.as_str(), "a move keeps the code");

    let (status, cancelled) = server.call(Method::POST, &format!("{path}/cancel"), None).await;
    assert_eq!((status, cancelled["state"].as_str()), (StatusCode::OK, Some("cancelled")));
    let (status, again) = server.call(Method::POST, &format!("{path}/cancel"), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again["error"].as_str().unwrap().contains("cancelled"), "{again}");
    let checked = server.web.help_point.run(move |hp| hp.check_in(&code, "nl")).unwrap();
    assert_eq!(checked.unwrap_err(), loket::appointment::CheckInRefusal::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checked_in_appointment_is_listed_with_its_ticket() {
    let server = start().await;
    let (_, booked) =
        server.book(json!({"starts_at": "2026-11-30T09:45:00Z", "service": "email", "desk": "desk-1"})).await;
    let code = booked["code"].as_str().unwrap().to_owned();
    let ticket =
        server.web.help_point.run(move |hp| hp.check_in(&format!("LKT{code}"), "fr")).unwrap().unwrap();
    let (_, list) = server.call(Method::GET, "/api/v1/appointments?desk=desk-1", None).await;
    assert_eq!(list[0]["state"], "checked_in");
    assert_eq!(list[0]["ticket"], ticket.issued.ticket.code().as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_its_reason() {
    let server = start().await;
    let at = "2026-11-30T10:00:00Z";
    for (body, status, reason) in [
        (json!({"starts_at": at, "service": "fax"}), StatusCode::UNPROCESSABLE_ENTITY, "fax"),
        (
            json!({"starts_at": at, "service": "email", "desk": "desk-9"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "desk-9",
        ),
        (
            json!({"starts_at": at, "service": "tablet", "desk": "desk-1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "does not serve",
        ),
        (
            json!({"starts_at": at, "service": "email", "name": "Ann"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "names",
        ),
        (
            json!({"starts_at": at, "service": "email", "language": "xx"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "xx",
        ),
        (
            json!({"starts_at": "2026-11-30T07:00:00Z", "service": "email"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "past",
        ),
        (json!({"starts_at": "soon", "service": "email"}), StatusCode::BAD_REQUEST, "not valid JSON"),
        (json!({"starts_at": at, "service": "email", "room": 4}), StatusCode::BAD_REQUEST, "room"),
    ] {
        let (got, answer) = server.book(body.clone()).await;
        assert_eq!(got, status, "{body} → {answer}");
        assert!(answer["error"].as_str().unwrap().contains(reason), "{body} → {answer}");
    }
    let (status, answer) = server.call(Method::GET, "/api/v1/appointments?day=monday", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["error"].as_str().unwrap().contains("monday"), "{answer}");
    let (status, _) = server.call(Method::GET, "/api/v1/appointments?desk=desk-9", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.call(Method::POST, "/api/v1/appointments/999/cancel", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.call(Method::PATCH, "/api/v1/appointments/x", Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let anonymous = server.http.get(format!("{}/api/v1/appointments", server.web.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = server.call(Method::GET, "/api/v1/appointments", None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_slip_shows_the_code_and_its_qr_code_to_staff_only() {
    let server = start().await;
    let (_, booked) = server.book(json!({"starts_at": "2026-11-30T10:00:00Z", "service": "email"})).await;
    let path = format!("/appointments/{}/slip", booked["id"]);
    let response = server
        .http
        .get(format!("{}{path}", server.web.base))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains(booked["code_shown"].as_str().unwrap()), "{html}");
    assert!(html.contains(&format!("aria-label=\"LKT{}\"", booked["code"].as_str().unwrap())));
    assert!(html.contains("11:00"), "the local time (UTC+1)");
    let anonymous = server.http.get(format!("{}{path}", server.web.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let missing = server
        .http
        .get(format!("{}/appointments/999/slip", server.web.base))
        .bearer_auth(&server.token)
        .send()
        .await;
    assert_eq!(missing.unwrap().status(), StatusCode::NOT_FOUND);
}
