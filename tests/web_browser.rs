//! The staff console and the "now serving" board in a real browser: Debian's headless Chromium,
//! driven through chromedriver with the W3C WebDriver protocol (JSON over HTTP, from reqwest).
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (`.ci/install-deps` installs
//! them); without them the test fails and says so. Screenshots land in
//! `target/tmp/web-screenshots/` for a person to look at.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::SignedDuration;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

// ---- chromedriver --------------------------------------------------------------------------

/// A running chromedriver; asks it to quit (closing its browsers) and kills it when dropped,
/// also when the test fails.
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    fn start() -> Chromedriver {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: install the Debian packages `chromium` and `chromium-driver` \
                 (apt-get install chromium chromium-driver, or run .ci/install-deps); \
                 the browser test needs them (missing: {package})"
            );
        }
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER} (Debian package chromium-driver): {e}"));
        Chromedriver { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // chromedriver's own shutdown closes the browsers it started; plain std I/O, since
        // this also runs while unwinding.
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = write!(stream, "GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            let _ = stream.read(&mut [0; 256]);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

// ---- a WebDriver session -------------------------------------------------------------------

/// One browser, as a W3C WebDriver session.
struct Browser {
    http: reqwest::Client,
    base: String,
    name: &'static str,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn open(driver: &Chromedriver, name: &'static str, width: u32, height: u32) -> Browser {
        let http = {
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::new()
        };
        let ready = Instant::now() + Duration::from_secs(10);
        loop {
            let status = http.get(format!("{}/status", driver.url())).send().await;
            if let Ok(response) = status {
                let body: Value = response.json().await.unwrap_or(Value::Null);
                if body["value"]["ready"] == true {
                    break;
                }
            }
            assert!(Instant::now() < ready, "chromedriver did not become ready within 10 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--hide-scrollbars", "--lang=nl-BE",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        }}});
        let response =
            http.post(format!("{}/session", driver.url())).json(&capabilities).send().await.unwrap();
        let body: Value = response.json().await.unwrap();
        let id = body["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver could not start {CHROMIUM}: {body}"))
            .to_owned();
        Browser { http, base: format!("{}/session/{id}", driver.url()), name, _profile: profile }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{}: WebDriver {method} {path} failed ({status}): {body}", self.name);
        body["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.command(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.command(reqwest::Method::GET, path, None).await
    }

    async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    async fn element(&self, css: &str) -> String {
        let found = self.post("/element", json!({ "using": "css selector", "value": css })).await;
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.post(&format!("/element/{id}/click"), json!({})).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.post(&format!("/element/{id}/clear"), json!({})).await;
        self.post(&format!("/element/{id}/value"), json!({ "text": text })).await;
    }

    /// Runs `script` (a function body) in the page and returns its value.
    async fn js(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": [] })).await
    }

    /// The visible text of the element `css`, or "" when there is none or it is hidden.
    async fn text(&self, css: &str) -> String {
        let script = format!(
            "const e = document.querySelector({}); return e && e.getClientRects().length > 0 ? e.innerText : '';",
            json!(css)
        );
        self.js(&script).await.as_str().unwrap_or_default().to_owned()
    }

    /// Sizes the window so that the page itself gets `width` × `height` CSS pixels.
    async fn viewport(&self, width: u32, height: u32) {
        let frame = self
            .js("return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight]")
            .await;
        let (dw, dh) = (frame[0].as_u64().unwrap_or(0) as u32, frame[1].as_u64().unwrap_or(0) as u32);
        self.post("/window/rect", json!({ "width": width + dw, "height": height + dh })).await;
    }

    async fn screenshot(&self, file: &str) -> PathBuf {
        let png = base64_decode(self.get("/screenshot").await.as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "{}: the screenshot is not a PNG", self.name);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(file);
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Messages the page logged as errors (uncaught exceptions, failed loads).
    async fn errors(&self) -> Vec<String> {
        let log = self.post("/se/log", json!({ "type": "browser" })).await;
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            // The console asks for its session before sign-in, and a wrong PIN is refused:
            // those 401s are expected (the browser logs every failed fetch).
            .filter(|entry| !entry["message"].as_str().unwrap_or_default().contains("status of 401"))
            // So is the 400 of the malformed result code the test types.
            .filter(|entry| !entry["message"].as_str().unwrap_or_default().contains("status of 400"))
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    async fn close(self) {
        self.command(reqwest::Method::DELETE, "", None).await;
    }
}

/// Polls `check` every 50 ms until it returns `Some`, for at most `limit`; on timeout fails
/// with `what` and the last thing seen.
async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> (T, Duration)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    loop {
        match check().await {
            Ok(value) => return (value, start.elapsed()),
            Err(seen) if start.elapsed() >= limit => {
                panic!("{what}: not within {} ms; last seen: {seen}", limit.as_millis())
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c:?}"),
    };
    let digits: Vec<u8> = text.bytes().filter(|c| !matches!(c, b'=' | b'\n' | b'\r')).map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let bits = chunk.iter().enumerate().fold(0u32, |acc, (i, d)| acc | (u32::from(*d) << (18 - 6 * i)));
        out.extend_from_slice(&bits.to_be_bytes()[1..chunk.len()]);
    }
    out
}

// ---- the server ------------------------------------------------------------------------------

type Server = common::web::WebServer;

async fn start_server() -> Server {
    common::web::start_web(|_| {}).await
}

impl Server {
    fn take(&self, service: &str, language: &str) -> String {
        self.help_point.lock().unwrap().take_ticket(service, language).unwrap().ticket.code()
    }

    /// A screening finished at the kiosk just now: the warm-up alone, the mail with a hint, a
    /// tap on the scam link; returns its result code.
    fn screening_done(&self) -> String {
        use loket::screening::{ItemEnding, ItemResult, ScreeningRun, StepResult};
        let step = |wrong_taps: u32, risky_taps: u32, hint_level: u8| StepResult {
            step_id: "s01".into(),
            done: true,
            wrong_taps,
            risky_taps,
            hint_level,
            time_ms: 20_000,
            first_action_ms: Some(2_500),
        };
        let item = |id: &str, digcomp: &[&str], steps: Vec<StepResult>, duration_ms: u64| ItemResult {
            item_id: id.into(),
            version: 1,
            digcomp: digcomp.iter().map(|c| (*c).to_owned()).collect(),
            digcomp_version: "2.2".into(),
            ending: if steps.is_empty() { ItemEnding::NotReached } else { ItemEnding::Completed },
            steps,
            duration_ms,
        };
        let mut hp = self.help_point.lock().unwrap();
        let now = hp.now();
        let run = ScreeningRun {
            language: "ar".into(),
            started_at: now.checked_sub(SignedDuration::from_mins(9)).unwrap(),
            ended_at: now,
            finished: true,
            items: vec![
                item("x01-touch-warmup", &["5.2"], vec![step(0, 0, 0), step(1, 0, 0)], 48_000),
                item("x02-find-the-app", &["5.2"], vec![step(0, 0, 0)], 21_000),
                item("x04-mail-reply", &["2.1"], vec![step(2, 0, 1), step(0, 0, 0)], 95_000),
                item("x07-phishing", &["4.2", "1.2"], vec![step(0, 1, 0)], 61_000),
                item("x08-search-ad", &["1.1", "1.2"], vec![], 0),
            ],
        };
        hp.record_screening(run).unwrap().code
    }
}

// ---- the test --------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_calls_a_visitor_and_the_board_shows_it_at_once() {
    let server = start_server().await;
    let first = server.take("email", "ar");
    server.clock.advance(SignedDuration::from_mins(7));
    let second = server.take("appointment", "uk");
    server.clock.advance(SignedDuration::from_mins(5));

    let driver = Chromedriver::start();
    // The TV and the desk PC are two machines: two browsers.
    let (board, console) = tokio::join!(
        Browser::open(&driver, "board", 1280, 720),
        Browser::open(&driver, "console", 1280, 900)
    );

    board.viewport(1280, 720).await;
    console.viewport(1280, 800).await;
    board.goto(&format!("{}/board", server.base)).await;
    wait_for("the board's event stream is open", Duration::from_secs(5), || async {
        let live = board.js("return document.body.dataset.live || ''").await;
        if live == "open" { Ok(()) } else { Err(format!("data-live={live}")) }
    })
    .await;
    assert_eq!(board.text("#board-site").await, "Digilabo");

    // Signing in: a wrong PIN is refused with the server's reason, the right one opens the desk.
    console.goto(&format!("{}/", server.base)).await;
    // The desks to choose from come from /api/v1/desks, by name.
    wait_for("the sign-in form with the desks", Duration::from_secs(5), || async {
        let text = console.text("#sign-in-view").await;
        if text.contains("Balie 1") && text.contains("Balie 2") { Ok(()) } else { Err(text) }
    })
    .await;
    console.click("#desk option[value='desk-1']").await;
    console.type_into("#pin", "0000").await;
    console.click("#sign-in").await;
    let (refused, _) = wait_for("the sign-in error", Duration::from_secs(5), || async {
        let text = console.text("#sign-in-error").await;
        if text.is_empty() { Err("no error shown".into()) } else { Ok(text) }
    })
    .await;
    assert!(refused.contains("PIN klopt niet") && refused.contains("wrong desk or PIN"), "{refused}");
    console.type_into("#pin", "2468").await;
    console.click("#sign-in").await;
    wait_for("the desk view with both tickets waiting, live", Duration::from_secs(5), || async {
        let name = console.text("#desk-name").await;
        let waiting = console.text("#waiting").await;
        let live = console.js("return document.body.dataset.live || ''").await;
        if name == "Balie 1" && waiting.contains(&first) && waiting.contains(&second) && live == "open" {
            Ok(())
        } else {
            Err(format!("desk name {name:?}, waiting {waiting:?}, data-live={live}"))
        }
    })
    .await;
    assert!(console.text("#waiting").await.contains("العربية"), "the language in its own script");

    // The call: the console and the board both show it within a second.
    console.click("#call-next").await;
    let (_, on_console) = wait_for("the console shows the called ticket", Duration::from_secs(1), || async {
        let code = console.text("#current-code").await;
        if code == first { Ok(()) } else { Err(format!("#current-code {code:?}")) }
    })
    .await;
    let (_, on_board) = wait_for("the board shows the call", Duration::from_secs(1), || async {
        let shown = board.text("#board-current").await;
        if shown.contains(&first) && shown.contains("Balie 1") { Ok(()) } else { Err(shown) }
    })
    .await;
    eprintln!(
        "call shown on the console after {on_console:?}, on the board after {on_board:?} (from the click)"
    );
    wait_for("the announcement and the live list", Duration::from_secs(2), || async {
        let message = console.text("#message").await;
        let waiting = console.text("#waiting").await;
        if message.contains(&format!("{first} geroepen"))
            && !waiting.contains(&first)
            && waiting.contains(&second)
        {
            Ok(())
        } else {
            Err(format!("message {message:?}, waiting {waiting:?}"))
        }
    })
    .await;
    assert_eq!(console.text("#current-service").await, "E-mail");

    // Screenshots for a person to look at: the desk PC, a phone, the TV.
    let shot = console.screenshot("console-desktop.png").await;
    console.viewport(390, 844).await;
    console.screenshot("console-phone.png").await;
    // The "Roep" button of a waiting visitor works on a phone too.
    let rows = console.js("return document.querySelectorAll('#waiting li').length").await;
    assert_eq!(rows, 1);
    console.click("#waiting li button").await;
    wait_for("the second ticket called from its row", Duration::from_secs(2), || async {
        let code = console.text("#current-code").await;
        let shown = board.text("#board-current").await;
        let recent = board.text("#board-recent").await;
        if code == second && shown.contains(&second) && recent.contains(&first) {
            Ok(())
        } else {
            Err(format!("console {code:?}, board {shown:?}, recent {recent:?}"))
        }
    })
    .await;
    // Calling the next one finished the first: today's figures count it.
    wait_for("the figures", Duration::from_secs(2), || async {
        let served = console.text("#fig-served").await;
        if served == "1" { Ok(()) } else { Err(format!("#fig-served {served:?}")) }
    })
    .await;
    console.screenshot("console-phone-second-call.png").await;
    // The chime needs a click first (autoplay rules); the button goes once sound is on.
    assert!(board.text("#sound-on").await.contains("geluid"), "the unlock button is shown");
    board.click("#sound-on").await;
    wait_for("sound on", Duration::from_secs(2), || async {
        let shown = board.text("#sound-on").await;
        if shown.is_empty() { Ok(()) } else { Err(format!("#sound-on still shows {shown:?}")) }
    })
    .await;
    // Let the board's flash settle, as a visitor would see it most of the time.
    wait_for("the flash ends", Duration::from_secs(3), || async {
        let running = board.js("return document.getAnimations().length").await;
        if running == 0 { Ok(()) } else { Err(format!("{running} animations")) }
    })
    .await;
    board.screenshot("board.png").await;

    // A learner shows their screening code at the desk: staff look the result up.
    let code = server.screening_done();
    console.viewport(1280, 800).await;
    console.type_into("#lookup-code", &code.replace('-', "").to_lowercase()).await;
    console.click("#lookup-submit").await;
    let (result, _) = wait_for("the screening result", Duration::from_secs(3), || async {
        let text = console.text("#lookup-result").await;
        if text.contains(&code) { Ok(text) } else { Err(format!("#lookup-result {text:?}")) }
    })
    .await;
    for expected in [
        "Digisessie in groep (Meet/Zoom en e-mail)",
        "30-11-2026 10:42",
        "العربية",
        "✓ zelfstandig\n5.2",
        "◐ met hulp\n2.1 Interageren via digitale technologieën",
        "✗ nog niet\n4.2 Beschermen van persoonsgegevens en privacy",
        "x04-mail-reply",
        "1 (niveau 1)",
        "1 min 35 s",
        "niet bereikt",
    ] {
        assert!(result.contains(expected), "{expected:?} missing from the result:\n{result}");
    }
    let risky = console.js("return document.querySelectorAll('#lookup-items td.risky').length").await;
    assert_eq!(risky, 1, "the risky tap stands out");
    wait_for("today's screenings", Duration::from_secs(3), || async {
        let shown = console.text("#fig-screenings").await;
        if shown == "1" { Ok(()) } else { Err(format!("#fig-screenings {shown:?}")) }
    })
    .await;
    console.js("document.getElementById('lookup').scrollIntoView(); return null").await;
    console.screenshot("console-lookup.png").await;
    console.viewport(390, 844).await;
    console.js("document.getElementById('lookup-result').scrollIntoView(); return null").await;
    console.screenshot("console-lookup-phone.png").await;
    console.type_into("#lookup-code", "AAA-AA").await;
    console.click("#lookup-submit").await;
    let (refused, _) = wait_for("a malformed code is refused", Duration::from_secs(3), || async {
        let text = console.text("#lookup-error").await;
        if text.is_empty() { Err("no error".into()) } else { Ok(text) }
    })
    .await;
    assert!(
        refused.contains("geen resultaatcode") && console.text("#lookup-result").await.is_empty(),
        "{refused}"
    );

    for browser in [&board, &console] {
        let errors = browser.errors().await;
        assert!(errors.is_empty(), "{}: the page logged errors: {errors:#?}", browser.name);
    }
    eprintln!("screenshots in {}", shot.parent().unwrap().display());
    board.close().await;
    console.close().await;
}
