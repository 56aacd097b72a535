//! The real staff web server on 127.0.0.1:0, over a temp-dir store and a manual clock, for the
//! API and browser tests.

use std::sync::Arc;

use loket::clock::ManualClock;
use loket::config::Config;
use loket::help_point::{HelpPoint, learning_rules, queue_rules};
use loket::owner::{HelpPointHandle, HelpPointOwner};
use loket::store::Store;
use loket::web::WebState;

/// A running server; it stops when dropped.
pub struct WebServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub help_point: HelpPointHandle,
    pub clock: Arc<ManualClock>,
    _owner: HelpPointOwner,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Starts the server for the sample help point on a Monday morning within its opening hours;
/// `adjust` may change the config first.
pub async fn start_web(adjust: impl FnOnce(&mut Config)) -> WebServer {
    start_web_with(adjust, |state| state).await
}

/// [`start_web`], with `state` adding to the server's state (e.g. a reporter's status).
pub async fn start_web_with(
    adjust: impl FnOnce(&mut Config),
    state: impl FnOnce(WebState) -> WebState,
) -> WebServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.path().to_path_buf();
    adjust(&mut config);
    let clock = Arc::new(ManualClock::new("2026-11-30T09:30:00Z".parse().unwrap()));
    let store = Store::open(&dir.path().join("loket.sqlite")).unwrap();
    let mut help_point = HelpPoint::open(queue_rules(&config), store, clock.clone()).unwrap();
    help_point.set_learning_rules(learning_rules(&config));
    help_point.set_appointment_rules(loket::help_point::appointment_rules(&config));
    let owner = HelpPointOwner::start(help_point).unwrap();
    let help_point = owner.handle();
    let state = state(WebState::new(help_point.clone(), Arc::new(config)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(loket::web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    WebServer { base, help_point, clock, _owner: owner, _dir: dir, _stop: stop }
}

/// Opens the staff console of `server` in `console` and signs in at Balie 1 with the sample's
/// PIN, as a desk would; returns once the form was sent (the caller waits for what it needs).
pub async fn sign_in_at_desk_1(console: &loket_testkit::browser::Browser, server: &WebServer) {
    use loket_testkit::browser::wait_for;
    console.goto(&format!("{}/", server.base)).await;
    wait_for("the sign-in form", std::time::Duration::from_secs(5), || async {
        let text = console.text("#sign-in-view").await;
        if text.contains("Balie 1") { Ok(()) } else { Err(text) }
    })
    .await;
    console.click("#desk option[value='desk-1']").await;
    console.type_into("#pin", "2468").await;
    console.click("#sign-in").await;
}
