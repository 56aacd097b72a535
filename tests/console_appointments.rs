//! The console's appointments section in a real browser (headless Chromium through
//! chromedriver, as in `console_desk.rs`): staff book an appointment, see it listed with its
//! booking code, cancel it after a question and see its state change; a broken file is refused
//! with its line and reason, and nothing changes.

mod common;

use std::time::Duration;

use common::browser::{Browser, Chromedriver, wait_for};
use loket_protocol::i18n::{fill, tr};

const SCREENSHOTS: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/web-screenshots");

/// The text of the appointment row of `code` (as shown, "482 913"), or what the list shows.
async fn row(browser: &Browser, code: &str) -> Result<(String, String), String> {
    let script = format!(
        "const r = [...document.querySelectorAll('#appt-list tbody tr')]
           .find((tr) => tr.querySelector('.appt-code').textContent === {code:?});
         return r ? [r.dataset.state, r.textContent] : document.querySelector('#appt-list').textContent;"
    );
    let value = browser.js(&script).await;
    match value.as_array() {
        Some(pair) => Ok((pair[0].as_str().unwrap().to_owned(), pair[1].as_str().unwrap().to_owned())),
        None => Err(value.to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_book_see_the_code_and_cancel_after_a_question() {
    let server = common::web::start_web(|_| {}).await;
    let config = loket::config::Config::sample();
    server
        .help_point
        .run(move |hp| hp.set_appointment_rules(loket::help_point::appointment_rules(&config)))
        .unwrap();
    // The help point's day (its clock is set), which the browser's own clock does not know.
    let day = server.help_point.run(|hp| hp.appointment_rules().day_of(hp.now())).unwrap().to_string();

    let driver = Chromedriver::start();
    let console = Browser::open(&driver, "console-appointments", 1280, 1000, SCREENSHOTS).await;
    common::web::sign_in_at_desk_1(&console, &server).await;
    wait_for("the appointment form's services", Duration::from_secs(5), || async {
        let n = console.js("return document.querySelectorAll('#appt-book-service option').length").await;
        if n.as_u64().unwrap_or(0) > 0 { Ok(()) } else { Err(n.to_string()) }
    })
    .await;
    assert_eq!(console.text("#appointments-title").await, tr("nl", "Appointments"));

    // Book for the help point's day at 14:00 (this browser's time) at desk 2, in Arabic.
    console
        .js(&format!(
            "const d = document.getElementById('appt-day'); d.value = {day:?};
             d.dispatchEvent(new Event('change'));
             document.getElementById('appt-book-time').value = '14:00'; return null"
        ))
        .await;
    console.click("#appt-book-service option[value='smartphone']").await;
    console.click("#appt-book-desk option[value='desk-2']").await;
    console.click("#appt-book-language option[value='ar']").await;
    console.click("#appt-book").await;
    let (booked, _) = wait_for("the booking", Duration::from_secs(5), || async {
        let list =
            server.help_point.run(|hp| hp.appointments_on(hp.appointment_rules().day_of(hp.now()), None));
        match list.unwrap().unwrap().as_slice() {
            [one] => Ok(one.clone()),
            other => Err(format!("{other:?}; the page says {:?}", console.text("#message").await)),
        }
    })
    .await;
    assert_eq!((booked.service.as_str(), booked.desk.as_deref()), ("smartphone", Some("desk-2")));
    assert_eq!(booked.language.as_deref(), Some("ar"));
    let code = booked.code.to_string();

    // Listed with its code, time, desk and state; the slip is one click away.
    let ((state, text), _) =
        wait_for("the appointment listed", Duration::from_secs(5), || async { row(&console, &code).await })
            .await;
    assert_eq!(state, "expected");
    for part in ["14:00", "Balie 2", tr("nl", "expected")] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    // The day's figures count it.
    let figures = "const f = document.getElementById('appt-figures');
         return [f.hidden, f.dataset.expected, f.dataset.cancelled, f.textContent]";
    assert_eq!(
        console.js(figures).await,
        serde_json::json!([false, "1", "0", format!("{}: 1", tr("nl", "expected"))])
    );
    let message = console.text("#message").await;
    assert!(message.contains(&code), "the message names the code: {message}");
    let slip =
        console.js("return document.querySelector('#appt-list .appt-slip').getAttribute('href')").await;
    assert_eq!(slip, format!("/appointments/{}/slip", booked.id.0).as_str());

    // "My desk only": desk 1 does not see desk 2's appointment.
    console.click("#appt-mine").await;
    wait_for("desk 1's own list", Duration::from_secs(5), || async {
        match row(&console, &code).await {
            Ok(_) => Err("still listed".to_owned()),
            Err(_) => Ok(()),
        }
    })
    .await;
    console.click("#appt-mine").await;
    wait_for("the whole list again", Duration::from_secs(5), || async { row(&console, &code).await }).await;

    // Moved to 15:30 in its row: the code stays, the list shows the new time.
    console.js("document.querySelector('#appt-list .appt-move-time').value = '15:30'; return null").await;
    console.click("#appt-list .appt-move").await;
    wait_for("the appointment moved", Duration::from_secs(5), || async {
        match row(&console, &code).await {
            Ok((_, text)) if text.contains("15:30") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let moved = server
        .help_point
        .run(|hp| hp.appointments_on(hp.appointment_rules().day_of(hp.now()), None).unwrap()[0].starts_at)
        .unwrap();
    assert_eq!(moved.duration_since(booked.starts_at).as_secs(), 90 * 60, "moved by 90 minutes");

    // Cancel asks first: the question names the code, "keep it" keeps it.
    console.click("#appt-list .appt-cancel").await;
    let question = console.text("#appt-cancel-question").await;
    assert!(question.contains(&code), "{question}");
    console.click("#appt-cancel-no").await;
    assert_eq!(console.js("return document.getElementById('appt-cancel-confirm').hidden").await, true);
    let state_now = |hp: &mut loket::help_point::HelpPoint| {
        hp.appointments_on(hp.appointment_rules().day_of(hp.now()), None).unwrap()[0].state.name()
    };
    assert_eq!(server.help_point.run(state_now).unwrap(), "expected");
    // Asked and confirmed, it is cancelled and the list says so.
    console.click("#appt-list .appt-cancel").await;
    console.click("#appt-cancel-yes").await;
    let ((state, text), _) = wait_for("the state changed", Duration::from_secs(5), || async {
        match row(&console, &code).await {
            Ok((state, text)) if state == "cancelled" => Ok((state, text)),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(state, "cancelled");
    assert!(text.contains(tr("nl", "cancelled")), "{text}");
    assert_eq!(server.help_point.run(state_now).unwrap(), "cancelled");
    assert_eq!(
        console.js(figures).await,
        serde_json::json!([false, "0", "1", format!("{}: 1", tr("nl", "cancelled"))]),
        "the figures follow the change"
    );
    assert_eq!(
        console.js("return document.querySelectorAll('#appt-list .appt-cancel').length").await,
        0,
        "a cancelled appointment cannot be cancelled again"
    );

    // A broken file is refused with its line and reason; nothing changes.
    let broken = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/appointments/broken-service.csv"),
    )
    .unwrap();
    console
        .js(&format!(
            "const t = new DataTransfer(); t.items.add(new File([{broken:?}], 'broken-service.csv'));
             document.getElementById('appt-import-file').files = t.files; return null"
        ))
        .await;
    console.click("#appt-import").await;
    let (refusal, _) = wait_for("the refusal", Duration::from_secs(5), || async {
        let text = console.text("#appt-import-error").await;
        if text.is_empty() { Err("no refusal shown".to_owned()) } else { Ok(text) }
    })
    .await;
    let said = tr("nl", "The file was refused, nothing changed. Line {line}: {reason}");
    let reason = "\"printing\" is not a service here";
    assert!(refusal.contains(&fill(said, &[("line", "3"), ("reason", reason)])), "{refusal}");
    let count = server
        .help_point
        .run(|hp| hp.appointments_on(hp.appointment_rules().day_of(hp.now()), None).unwrap().len())
        .unwrap();
    assert_eq!(count, 1, "nothing was imported");
    console.screenshot("console-appointments.png").await;
    assert_eq!(
        console.errors(&["/api/v1/session", "/api/v1/appointments/import"]).await,
        Vec::<String>::new()
    );
    console.close().await;
}
