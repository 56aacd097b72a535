//! What a desk tripped over, in a real browser (headless Chromium through chromedriver, as in
//! `web_browser.rs`): a status message must not move what staff are about to click, "Send on"
//! must ask first, and the screening lookup names exercises by their titles.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::browser::{Browser, Chromedriver, wait_for};

const SCREENSHOTS: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/web-screenshots");

/// Where an element is on the page: (x, y) of its top-left corner.
async fn position(browser: &Browser, css: &str) -> (i64, i64) {
    let script = format!(
        "const r = document.querySelector({css:?}).getBoundingClientRect(); return [Math.round(r.x), Math.round(r.y)];"
    );
    let value = browser.js(&script).await;
    (value[0].as_i64().unwrap(), value[1].as_i64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_moves_nothing_send_on_asks_first_and_exercises_have_titles() {
    let pack = loket::content::load_pack(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
        loket::content::REQUIRED_LANGUAGES,
    )
    .ok()
    .map(Arc::new);
    assert!(pack.is_some(), "the repository's content pack loads");
    let server = common::web::start_web_with(|_| {}, move |state| state.with_content(pack)).await;
    let take = |service: &'static str| {
        server.help_point.run(move |hp| hp.take_ticket(service, "nl")).unwrap().unwrap().ticket.code()
    };
    let first = take("email");
    take("email");

    let driver = Chromedriver::start();
    let console = Browser::open(&driver, "console-desk", 1280, 800, SCREENSHOTS).await;
    common::web::sign_in_at_desk_1(&console, &server).await;
    wait_for("the desk view", Duration::from_secs(5), || async {
        let waiting = console.text("#waiting").await;
        if waiting.contains(&first) { Ok(()) } else { Err(waiting) }
    })
    .await;

    // Calling shows a status message: nothing on the page moves for it.
    console.click("#call-next").await;
    wait_for("the call shown", Duration::from_secs(5), || async {
        let code = console.text("#current-code").await;
        if code == first { Ok(()) } else { Err(code) }
    })
    .await;
    console.js("document.getElementById('message').textContent = ''; return null").await;
    let targets = ["#call-next", "#recall", "#transfer", "#served", "#issue-submit"];
    let mut before = Vec::new();
    for css in targets {
        before.push(position(&console, css).await);
    }
    console.click("#recall").await;
    wait_for("the status message", Duration::from_secs(5), || async {
        let text = console.text("#message").await;
        if text.is_empty() { Err("no message".into()) } else { Ok(()) }
    })
    .await;
    for (css, was) in targets.iter().zip(&before) {
        assert_eq!(position(&console, css).await, *was, "{css} moved when the message appeared");
    }
    assert_eq!(
        console.js("return document.getElementById('message').getAttribute('aria-live')").await,
        "polite"
    );
    // A click on the spot of "Call next" while the message shows reaches "Call next".
    let (x, y) = position(&console, "#call-next").await;
    let hit = console.js(&format!("return document.elementFromPoint({}, {}).id", x + 5, y + 5)).await;
    assert_eq!(hit, "call-next");

    // "Send on" asks first: one click moves nobody; a second click on it takes the question back.
    console.click("#transfer-service option[value='tablet']").await;
    console.click("#transfer").await;
    let question = console.text("#transfer-question").await;
    assert!(question.contains(&first), "{question}");
    assert_eq!(server.help_point.queue().current_ticket("desk-1").map(|t| t.code()), Some(first.clone()));
    console.click("#transfer").await;
    assert_eq!(console.js("return document.getElementById('transfer-confirm').hidden").await, true);
    assert_eq!(server.help_point.queue().current_ticket("desk-1").map(|t| t.code()), Some(first.clone()));
    // Asked and confirmed, it goes.
    console.click("#transfer").await;
    console.click("#transfer-yes").await;
    wait_for("the ticket sent on", Duration::from_secs(5), || async {
        match server.help_point.queue().current_ticket("desk-1") {
            None => Ok(()),
            Some(t) => Err(t.code()),
        }
    })
    .await;

    // The screening lookup names the exercise by its title in the staff's language.
    let code = {
        use loket::screening::{ItemEnding, ItemResult, ScreeningRun, StepResult};
        let now = server.help_point.now();
        let step = StepResult {
            step_id: "s01".into(),
            done: true,
            wrong_taps: 0,
            risky_taps: 0,
            hint_level: 0,
            time_ms: 10_000,
            first_action_ms: Some(2_000),
        };
        let run = ScreeningRun {
            language: "nl".into(),
            instructions_language: None,
            started_at: now,
            ended_at: now,
            finished: true,
            items: vec![ItemResult {
                item_id: "x04-mail-reply".into(),
                version: 1,
                digcomp: vec!["2.1".into()],
                digcomp_version: "2.2".into(),
                ending: ItemEnding::Completed,
                steps: vec![step],
                duration_ms: 10_000,
            }],
        };
        server.help_point.run(move |hp| hp.record_screening(run)).unwrap().unwrap().code
    };
    console.type_into("#lookup-code", &code).await;
    console.click("#lookup-submit").await;
    let (result, _) = wait_for("the screening result", Duration::from_secs(5), || async {
        let text = console.text("#lookup-items").await;
        if text.contains("x04-mail-reply") { Ok(text) } else { Err(text) }
    })
    .await;
    assert!(result.contains("Een mail beantwoorden"), "the title, in Dutch: {result}");
    console.close().await;
}
