//! The staff console and the "now serving" board in a real browser: Debian's headless Chromium,
//! driven through chromedriver with the W3C WebDriver protocol (JSON over HTTP, from reqwest).
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (`.ci/install-deps` installs
//! them); without them the test fails and says so. Screenshots land in
//! `target/tmp/web-screenshots/` for a person to look at.

mod common;

use std::time::Duration;

use common::browser::{Browser, Chromedriver, wait_for};
use jiff::SignedDuration;

/// Under `target/tmp/`.
const SCREENSHOTS: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/web-screenshots");

// ---- the server ------------------------------------------------------------------------------

type Server = common::web::WebServer;

async fn start_server() -> Server {
    common::web::start_web(|_| {}).await
}

impl Server {
    fn take(&self, service: &str, language: &str) -> String {
        let (service, language) = (service.to_owned(), language.to_owned());
        self.help_point.run(move |hp| hp.take_ticket(&service, &language)).unwrap().unwrap().ticket.code()
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
        let now = self.help_point.now();
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
        self.help_point.run(move |hp| hp.record_screening(run)).unwrap().unwrap().code
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
        Browser::open(&driver, "board", 1280, 720, SCREENSHOTS),
        Browser::open(&driver, "console", 1280, 800, SCREENSHOTS)
    );

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
    assert!(
        console.text("#waiting").await.contains("Arabisch (العربية)"),
        "the language in the staff's language, then in its own script"
    );

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
        "Arabisch (العربية)",
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
        // The console asks for its session before sign-in, and a wrong PIN is refused: those
        // 401s are expected. So is the 400 of the malformed result code the test types.
        let errors = browser.errors(&["status of 401", "status of 400"]).await;
        assert!(errors.is_empty(), "{}: the page logged errors: {errors:#?}", browser.name);
    }
    eprintln!("screenshots in {}", shot.parent().unwrap().display());
    board.close().await;
    console.close().await;
}

/// Names from the config reach the pages as text, never as markup: a desk or site name that
/// looks like HTML is shown as typed, and nothing in it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_looks_like_html_is_shown_as_text() {
    const HOSTILE: &str = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=1</script>";
    let server = common::web::start_web(|config| {
        config.site.name = format!("{HOSTILE}Digilabo");
        config.desks[0].name = format!("{HOSTILE}Balie 1");
    })
    .await;
    let code = server.take("email", "nl");
    let driver = Chromedriver::start();
    let (board, console) = tokio::join!(
        Browser::open(&driver, "hostile-board", 1280, 720, SCREENSHOTS),
        Browser::open(&driver, "hostile-console", 1280, 800, SCREENSHOTS)
    );
    board.goto(&format!("{}/board", server.base)).await;
    wait_for("the board's site name", Duration::from_secs(5), || async {
        let site = board.text("#board-site").await;
        if site == format!("{HOSTILE}Digilabo") { Ok(()) } else { Err(site) }
    })
    .await;
    console.goto(&format!("{}/", server.base)).await;
    wait_for("the sign-in form with the desks", Duration::from_secs(5), || async {
        let text = console.text("#sign-in-view").await;
        if text.contains(&format!("{HOSTILE}Balie 1")) { Ok(()) } else { Err(text) }
    })
    .await;
    console.click("#desk option[value='desk-1']").await;
    console.type_into("#pin", "2468").await;
    console.click("#sign-in").await;
    wait_for("the desk's name in its view", Duration::from_secs(5), || async {
        let name = console.text("#desk-name").await;
        if name == format!("{HOSTILE}Balie 1") { Ok(()) } else { Err(name) }
    })
    .await;
    console.click("#call-next").await;
    wait_for(
        "the board shows the call at the desk, by its name as typed",
        Duration::from_secs(2),
        || async {
            let shown = board.text("#board-current").await;
            if shown.contains(&code) && shown.contains(HOSTILE) { Ok(()) } else { Err(shown) }
        },
    )
    .await;
    for browser in [&board, &console] {
        let ran = browser.js("return window.pwned === undefined ? 'no' : 'yes'").await;
        assert_eq!(ran, "no", "{}: the name's markup ran", browser.name);
        let images = browser.js("return document.querySelectorAll('img').length").await;
        assert_eq!(images, 0, "{}: the name's <img> became an element", browser.name);
    }
    board.close().await;
    console.close().await;
}

/// The board's chime on a wall TV: Chromium started with the autoplay flag plays it at the
/// first call without anyone clicking; a browser without it keeps sound off, and the board then
/// shows a banner in the staff's language that says how to turn sound on and how to start
/// Chromium so no click is needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_chimes_without_a_click_on_a_wall_tv_and_asks_for_one_elsewhere() {
    let server = common::web::start_web(|config| config.site.local_language = "fr".into()).await;
    let driver = Chromedriver::start();
    let (tv, desk_pc) = tokio::join!(
        Browser::open_with(
            &driver,
            "wall-tv",
            1280,
            720,
            SCREENSHOTS,
            &["--autoplay-policy=no-user-gesture-required"]
        ),
        Browser::open(&driver, "board-without-flag", 1280, 720, SCREENSHOTS)
    );
    for board in [&tv, &desk_pc] {
        board.goto(&format!("{}/board", server.base)).await;
        wait_for("the board's event stream is open", Duration::from_secs(5), || async {
            let live = board.js("return document.body.dataset.live || ''").await;
            if live == "open" { Ok(()) } else { Err(format!("{}: data-live={live}", board.name)) }
        })
        .await;
    }
    wait_for("sound on by itself on the wall TV", Duration::from_secs(3), || async {
        let sound = tv.js("return document.body.dataset.sound || ''").await;
        if sound == "on" { Ok(()) } else { Err(format!("data-sound={sound}")) }
    })
    .await;
    assert_eq!(tv.text("#sound-banner").await, "", "no banner on the wall TV");
    assert_eq!(desk_pc.js("return document.body.dataset.sound || ''").await, "blocked");
    let banner = desk_pc.text("#sound-banner").await;
    assert!(
        banner.contains("Cliquez pour activer le son")
            && banner.contains("--autoplay-policy=no-user-gesture-required"),
        "the banner, in French, with the flag: {banner:?}"
    );
    assert_eq!(tv.text(".board-label").await, "Appelés · Now serving");

    // A call: the TV chimes without a click, the other board could not and still asks.
    let code = server.take("email", "ti");
    server.help_point.run(|hp| hp.call_next("desk-1")).unwrap().unwrap();
    for board in [&tv, &desk_pc] {
        wait_for("the call on the board", Duration::from_secs(2), || async {
            let shown = board.text("#board-current").await;
            if shown.contains(&code) && shown.contains("Balie 1") { Ok(()) } else { Err(shown) }
        })
        .await;
    }
    let (chimes, _) = wait_for("the chime played on the wall TV", Duration::from_secs(2), || async {
        let chime = tv.js("return document.body.dataset.chime || ''").await;
        let chimes = tv.js("return document.body.dataset.chimes || '0'").await;
        if chime == "played" { Ok(chimes) } else { Err(format!("data-chime={chime}")) }
    })
    .await;
    assert_eq!(chimes, "1");
    assert_eq!(desk_pc.js("return document.body.dataset.chime || ''").await, "blocked");
    assert!(desk_pc.text("#sound-on").await.contains("Cliquez"), "the banner stays until a click");
    desk_pc.screenshot("board-sound-banner-fr.png").await;

    // A click turns the sound on: the banner goes, the next call chimes.
    desk_pc.click("#sound-on").await;
    wait_for("the banner goes after the click", Duration::from_secs(2), || async {
        let shown = desk_pc.text("#sound-banner").await;
        if shown.is_empty() { Ok(()) } else { Err(shown) }
    })
    .await;
    server.take("email", "nl");
    server.help_point.run(|hp| hp.call_next("desk-1")).unwrap().unwrap();
    wait_for("the chime after the click", Duration::from_secs(2), || async {
        let chime = desk_pc.js("return document.body.dataset.chime || ''").await;
        if chime == "played" { Ok(()) } else { Err(format!("data-chime={chime}")) }
    })
    .await;
    for board in [&tv, &desk_pc] {
        let errors = board.errors(&[]).await;
        assert!(errors.is_empty(), "{}: the page logged errors: {errors:#?}", board.name);
    }
    tv.close().await;
    desk_pc.close().await;
}

/// The console in the staff's language (French here): its fixed words, the words its script
/// builds, and a visitor's language named in French beside its own name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_speaks_the_staff_language() {
    let server = common::web::start_web(|config| config.site.local_language = "fr".into()).await;
    let code = server.take("email", "ti");
    let driver = Chromedriver::start();
    let console = Browser::open(&driver, "console-fr", 1280, 800, SCREENSHOTS).await;
    console.goto(&format!("{}/", server.base)).await;
    wait_for("the sign-in form in French", Duration::from_secs(5), || async {
        let text = console.text("#sign-in-view").await;
        if text.contains("Se connecter à un guichet") && text.contains("Balie 1") {
            Ok(())
        } else {
            Err(text)
        }
    })
    .await;
    assert_eq!(console.js("return document.documentElement.lang").await, "fr");
    console.click("#desk option[value='desk-1']").await;
    console.type_into("#pin", "0000").await;
    console.click("#sign-in").await;
    let (refused, _) = wait_for("the sign-in error", Duration::from_secs(5), || async {
        let text = console.text("#sign-in-error").await;
        if text.is_empty() { Err("no error shown".into()) } else { Ok(text) }
    })
    .await;
    assert!(refused.contains("Le guichet ou le code PIN n’est pas correct"), "{refused}");
    console.type_into("#pin", "2468").await;
    console.click("#sign-in").await;
    let (waiting, _) = wait_for("the waiting list", Duration::from_secs(5), || async {
        let waiting = console.text("#waiting").await;
        if waiting.contains(&code) { Ok(waiting) } else { Err(waiting) }
    })
    .await;
    assert!(waiting.contains("Tigrigna (ትግርኛ)"), "the language for French staff: {waiting:?}");
    assert_eq!(console.text("#waiting-count").await, "1 visiteur attend.");
    console.click("#call-next").await;
    wait_for("the call, said in French", Duration::from_secs(2), || async {
        let message = console.text("#message").await;
        let language = console.text("#current-language").await;
        if message == format!("{code} appelé.") && language == "Tigrigna (ትግርኛ)" {
            Ok(())
        } else {
            Err(format!("message {message:?}, language {language:?}"))
        }
    })
    .await;
    assert_eq!(console.text("#call-next").await, "Appeler le suivant");
    console.screenshot("console-fr.png").await;
    let errors = console.errors(&["status of 401"]).await;
    assert!(errors.is_empty(), "the page logged errors: {errors:#?}");
    console.close().await;
}
