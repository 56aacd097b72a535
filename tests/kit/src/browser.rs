//! A real browser for the tests: starts Debian's chromedriver, which starts headless Chromium,
//! and drives it with the W3C WebDriver protocol (JSON over HTTP, from reqwest). The staff
//! console and board (`tests/web_browser.rs`) and loket-central's dashboard
//! (`central/tests/central_browser.rs`) use it.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (`.ci/install-deps` installs
//! them); without them the test fails and says so, it never skips.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The language every browser asks for (`--lang`): the interfaces under test are Dutch first.
pub const LANGUAGE: &str = "nl-BE";

// ---- chromedriver --------------------------------------------------------------------------

/// A running chromedriver; asks it to quit (closing its browsers) and kills it when dropped,
/// also when the test fails.
pub struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    pub fn start() -> Chromedriver {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: install the Debian packages `chromium` and `chromium-driver` \
                 (apt-get install chromium chromium-driver, or run .ci/install-deps); \
                 the browser tests need them (missing: {package})"
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

    pub fn url(&self) -> String {
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
pub struct Browser {
    http: reqwest::Client,
    base: String,
    /// Which browser this is, in failure messages ("board", "phone", …).
    pub name: &'static str,
    /// Where [`Browser::screenshot`] writes.
    screenshots: PathBuf,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A new headless Chromium in [`LANGUAGE`] whose page gets `width` × `height` CSS pixels;
    /// its screenshots go to the folder `screenshots` (the tests name one under `target/tmp/`).
    pub async fn open(
        driver: &Chromedriver,
        name: &'static str,
        width: u32,
        height: u32,
        screenshots: &str,
    ) -> Browser {
        Browser::open_with(driver, name, width, height, screenshots, &[]).await
    }

    /// [`Browser::open`], with more Chromium flags (e.g. the autoplay policy of a wall TV).
    pub async fn open_with(
        driver: &Chromedriver,
        name: &'static str,
        width: u32,
        height: u32,
        screenshots: &str,
        flags: &[&str],
    ) -> Browser {
        let http = loket_protocol::tls::client().build().unwrap();
        let ready = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(response) = http.get(format!("{}/status", driver.url())).send().await {
                let body: Value = response.json().await.unwrap_or(Value::Null);
                if body["value"]["ready"] == true {
                    break;
                }
            }
            assert!(Instant::now() < ready, "chromedriver did not become ready within 10 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ]
        .map(str::to_owned)
        .into();
        args.extend([
            format!("--lang={LANGUAGE}"),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ]);
        args.extend(flags.iter().map(|f| (*f).to_owned()));
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": args,
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        }}});
        let response =
            http.post(format!("{}/session", driver.url())).json(&capabilities).send().await.unwrap();
        let body: Value = response.json().await.unwrap();
        let id = body["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: chromedriver could not start {CHROMIUM}: {body}"))
            .to_owned();
        let browser = Browser {
            http,
            base: format!("{}/session/{id}", driver.url()),
            name,
            screenshots: PathBuf::from(screenshots),
            _profile: profile,
        };
        browser.viewport(width, height).await;
        browser
    }

    /// One WebDriver command on this session (`path` after `/session/{id}`); fails the test
    /// unless it succeeds, and returns its `value`.
    pub async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
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

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.command(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> Value {
        self.command(reqwest::Method::GET, path, None).await
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    /// The WebDriver reference of the first element matching `css`; fails when there is none.
    pub async fn element(&self, css: &str) -> String {
        let found = self.post("/element", json!({ "using": "css selector", "value": css })).await;
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.post(&format!("/element/{id}/click"), json!({})).await;
    }

    /// Clears the field `css` and types `text` into it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.post(&format!("/element/{id}/clear"), json!({})).await;
        self.post(&format!("/element/{id}/value"), json!({ "text": text })).await;
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn js(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": [] })).await
    }

    /// The visible text of the element `css`, or "" when there is none or it is hidden.
    pub async fn text(&self, css: &str) -> String {
        let script = format!(
            "const e = document.querySelector({}); return e && e.getClientRects().length > 0 ? e.innerText : '';",
            json!(css)
        );
        self.js(&script).await.as_str().unwrap_or_default().to_owned()
    }

    /// Sizes the window so that the page itself gets `width` × `height` CSS pixels.
    pub async fn viewport(&self, width: u32, height: u32) {
        let frame = self
            .js("return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight]")
            .await;
        let (dw, dh) = (frame[0].as_u64().unwrap_or(0) as u32, frame[1].as_u64().unwrap_or(0) as u32);
        self.post("/window/rect", json!({ "width": width + dw, "height": height + dh })).await;
    }

    /// Whether the page is wider than the window (something sticks out sideways).
    pub async fn overflows_sideways(&self) -> bool {
        self.js("return document.documentElement.scrollWidth > window.innerWidth + 1").await == true
    }

    /// A PNG of what the window shows, written as `file` in this browser's screenshot folder.
    pub async fn screenshot(&self, file: &str) -> PathBuf {
        let png = base64_decode(self.get("/screenshot").await.as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "{}: the screenshot is not a PNG", self.name);
        std::fs::create_dir_all(&self.screenshots).unwrap();
        let path = self.screenshots.join(file);
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Messages the page logged as errors (uncaught exceptions, failed loads), but for those
    /// containing one of `expected` (the browser logs every failed fetch, also the ones the
    /// test provokes on purpose).
    pub async fn errors(&self, expected: &[&str]) -> Vec<String> {
        let log = self.post("/se/log", json!({ "type": "browser" })).await;
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .filter(|message| !expected.iter().any(|e| message.contains(e)))
            .collect()
    }

    /// Ends the session (closes the browser).
    pub async fn close(self) {
        self.command(reqwest::Method::DELETE, "", None).await;
    }
}

/// Polls `check` every 50 ms until it returns `Ok`, for at most `limit`; returns its value and
/// how long it took. On timeout fails with `what` and the last thing seen (the `Err`).
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> (T, Duration)
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
