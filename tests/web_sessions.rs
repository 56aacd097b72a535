//! Desk sessions across a restart of the kiosk: the real staff web server on a real port,
//! stopped and started again on the same data directory.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use loket::clock::ManualClock;
use loket::config::Config;
use loket::help_point::{HelpPoint, queue_rules};
use loket::owner::HelpPointOwner;
use loket::store::Store;
use loket::web::WebState;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A kiosk's web server over the store in `dir`, until [`Kiosk::stop`].
struct Kiosk {
    base: String,
    owner: HelpPointOwner,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Kiosk {
    async fn start(dir: &Path, config: Config, now: Timestamp) -> Kiosk {
        let clock = Arc::new(ManualClock::new(now));
        let store = Store::open(&dir.join("loket.sqlite")).unwrap();
        let owner =
            HelpPointOwner::start(HelpPoint::open(queue_rules(&config), store, clock.clone()).unwrap())
                .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = WebState::new(owner.handle(), Arc::new(config)).with_session_clock(clock);
        let server = tokio::spawn(loket::web::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Kiosk { base, owner, stop, server }
    }

    /// Stops the server and closes the store, as a restart does.
    async fn stop(self) {
        self.stop.send(()).unwrap();
        let served = tokio::time::timeout(Duration::from_secs(5), self.server).await;
        assert!(matches!(served, Ok(Ok(Ok(())))), "{served:?}");
        self.owner.stop().expect("the help point stops");
    }
}

/// A signed-in desk: its cookie and CSRF token.
struct Desk {
    cookie: String,
    csrf: String,
}

fn http() -> reqwest::Client {
    loket::tls::client().build().unwrap()
}

async fn sign_in(base: &str, desk: &str, pin: &str) -> Desk {
    let response = http()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"desk": desk, "pin": pin}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    Desk { cookie, csrf: body["csrf_token"].as_str().unwrap().to_owned() }
}

/// `GET /api/v1/session` with the desk's cookie: (status, body).
async fn session(base: &str, desk: &Desk) -> (StatusCode, Value) {
    let response =
        http().get(format!("{base}/api/v1/session")).header("cookie", &desk.cookie).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Calls the next visitor as the desk: the status.
async fn call_next(base: &str, desk: &Desk) -> StatusCode {
    http()
        .post(format!("{base}/api/v1/desks/desk-1/call-next"))
        .header("cookie", &desk.cookie)
        .header("x-csrf-token", &desk.csrf)
        .send()
        .await
        .unwrap()
        .status()
}

fn morning() -> Timestamp {
    "2026-11-30T09:30:00Z".parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_stays_signed_in_across_a_restart_with_the_same_csrf_token() {
    let dir = tempfile::tempdir().unwrap();
    let kiosk = Kiosk::start(dir.path(), Config::sample(), morning()).await;
    let desk = sign_in(&kiosk.base, "desk-1", "2468").await;
    kiosk.stop().await;

    let store = std::fs::read(dir.path().join("loket.sqlite")).unwrap();
    let id = desk.cookie.split_once('=').unwrap().1;
    let text = String::from_utf8_lossy(&store);
    assert!(!text.contains(id) && !text.contains(&desk.csrf), "neither the id nor the CSRF token is stored");

    let kiosk = Kiosk::start(dir.path(), Config::sample(), morning() + SignedDuration::from_mins(5)).await;
    let (status, body) = session(&kiosk.base, &desk).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["desk"].as_str(), body["csrf_token"].as_str()),
        (Some("desk-1"), Some(desk.csrf.as_str()))
    );
    // Nobody waits, so the queue refuses (409) — after the session and its CSRF token passed.
    assert_eq!(call_next(&kiosk.base, &desk).await, StatusCode::CONFLICT);
    kiosk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_session_still_ends_after_twelve_hours() {
    let dir = tempfile::tempdir().unwrap();
    let kiosk = Kiosk::start(dir.path(), Config::sample(), morning()).await;
    let desk = sign_in(&kiosk.base, "desk-1", "2468").await;
    kiosk.stop().await;
    let later = morning() + SignedDuration::from_hours(12);
    let kiosk = Kiosk::start(dir.path(), Config::sample(), later).await;
    assert_eq!(session(&kiosk.base, &desk).await.0, StatusCode::UNAUTHORIZED);
    kiosk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_session_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let kiosk = Kiosk::start(dir.path(), Config::sample(), morning()).await;
    let desk = sign_in(&kiosk.base, "desk-1", "2468").await;
    let response = http()
        .delete(format!("{}/api/v1/session", kiosk.base))
        .header("cookie", &desk.cookie)
        .header("x-csrf-token", &desk.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(session(&kiosk.base, &desk).await.0, StatusCode::UNAUTHORIZED);
    kiosk.stop().await;
    let kiosk = Kiosk::start(dir.path(), Config::sample(), morning()).await;
    assert_eq!(session(&kiosk.base, &desk).await.0, StatusCode::UNAUTHORIZED, "not back after a restart");
    kiosk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_pin_for_the_desk_ends_its_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let kiosk = Kiosk::start(dir.path(), Config::sample(), morning()).await;
    let desk_1 = sign_in(&kiosk.base, "desk-1", "2468").await;
    let desk_2 = sign_in(&kiosk.base, "desk-2", "1357").await;
    kiosk.stop().await;
    let mut config = Config::sample();
    let new_pin = loket::secret::hash("8642").unwrap();
    config.desks.iter_mut().find(|d| d.id == "desk-1").unwrap().pin_hash = Some(new_pin);
    let kiosk = Kiosk::start(dir.path(), config, morning()).await;
    assert_eq!(session(&kiosk.base, &desk_1).await.0, StatusCode::UNAUTHORIZED, "desk-1's PIN changed");
    assert_eq!(session(&kiosk.base, &desk_2).await.0, StatusCode::OK, "desk-2's did not");
    kiosk.stop().await;
}
