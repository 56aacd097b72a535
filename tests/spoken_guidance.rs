//! Spoken guidance on every visitor screen, heard through the simulated speaker while a
//! visitor walks through the real screens (Slint's headless testing backend): what is said,
//! in which language and in which order; languages without a voice of their own stay silent
//! and get no "listen again" button.

use std::sync::Arc;
use std::time::Duration;

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use loket::clock::ManualClock;
use loket::config::Config;
use loket::ui::Kiosk;
use loket::{AppWindow, KioskAdapter, Screen, TicketAdapter};
use slint::ComponentHandle;

struct Running {
    window: AppWindow,
    kiosk: Kiosk,
    _dir: tempfile::TempDir,
}

/// A kiosk on Monday 30 November 2026 at `time` UTC (the sample opens 9:00 to 17:00, Brussels).
fn start_at(time: &str, change: impl FnOnce(&mut Config)) -> Running {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.path().to_path_buf();
    config.speech = loket::config::Speech::Simulated;
    change(&mut config);
    let clock = Arc::new(ManualClock::new(time.parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    let window = AppWindow::new().unwrap();
    let kiosk = Kiosk::wire_without_event_loop(&window, parts);
    Running { window, kiosk, _dir: dir }
}

fn start() -> Running {
    start_at("2026-11-30T09:30:00Z", |_| {})
}

fn buttons(window: &AppWindow, label: &str) -> usize {
    ElementHandle::find_by_accessible_label(window, label)
        .filter(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .count()
}

fn tap(window: &AppWindow, label: &str) {
    let found: Vec<_> = ElementHandle::find_by_accessible_label(window, label)
        .filter(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .collect();
    assert_eq!(found.len(), 1, "exactly one button labelled {label:?}");
    found[0].invoke_accessible_default_action();
}

fn wait(seconds: u64) {
    for _ in 0..seconds * 4 {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(250));
    }
}

/// Waits until `count` more things were said after the first `before`, and returns those.
fn heard(k: &Running, before: usize, count: usize) -> Vec<String> {
    let said = k.kiosk.wait_until_said(before + count, Duration::from_secs(5)).unwrap();
    said[before.min(said.len())..(before + count).min(said.len())]
        .iter()
        .map(|(language, text)| format!("{language}: {text}"))
        .collect()
}

fn said_count(k: &Running) -> usize {
    k.kiosk.said().unwrap().len()
}

/// Waits until the guide has said everything it was given; returns how much was said.
fn settle(k: &Running) -> usize {
    loop {
        let count = said_count(k);
        if k.kiosk.wait_until_said(count + 1, Duration::from_millis(300)).unwrap().len() == count {
            return count;
        }
    }
}

/// Makes sure nothing more is said (the guide had time to speak anything still waiting).
fn nothing_more(k: &Running, count: usize) {
    let said = k.kiosk.wait_until_said(count + 1, Duration::from_millis(300)).unwrap();
    assert_eq!(said.len(), count, "said more: {:?}", &said[count.min(said.len())..]);
}

fn tr(language: &str, msgid: &'static str) -> &'static str {
    loket_protocol::i18n::tr(language, msgid)
}

/// "Touch your language" in each offered language that espeak-ng has a voice for and the
/// catalogue a translation (English is the source): English words are never read with another
/// language's voice.
fn invitation() -> Vec<String> {
    let catalogue = loket_protocol::i18n::Catalogue::bundled();
    let msgid = "Touch your language.";
    Config::sample()
        .site
        .offered_languages()
        .map(|l| l.code)
        .filter(|l| loket::speech::espeak_voice(l).is_some())
        .filter(|l| *l == "en" || catalogue.message(l, msgid).is_some())
        .map(|l| format!("{l}: {}", tr(l, msgid)))
        .collect()
}

/// The sample's services, named in `language`, as the services screen lists them.
fn service_names(language: &str) -> Vec<String> {
    Config::sample().services.iter().map(|s| format!("{language}: {}", s.name(language))).collect()
}

#[test]
fn an_english_visitor_hears_the_language_the_services_the_ticket_and_the_invitation_after() {
    let k = start();
    let w = &k.window;
    // At start-up, nobody is there: the welcome screen says nothing yet, but can be asked to.
    nothing_more(&k, 0);
    assert!(w.global::<KioskAdapter>().get_can_listen());

    tap(w, "English");
    let mut expected = vec!["en: English".to_owned(), "en: What do you need help with?".to_owned()];
    expected.extend(service_names("en"));
    expected.extend(["en: Learn step by step".to_owned(), "en: Check your digital skills".to_owned()]);
    assert_eq!(
        heard(&k, 0, expected.len()),
        expected,
        "the language's name, the question, each tile in order"
    );
    nothing_more(&k, expected.len());

    let before = said_count(&k);
    tap(w, "E-mail");
    k.kiosk.catch_up();
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Ticket);
    let ticket = w.global::<TicketAdapter>();
    assert_eq!((ticket.get_code().as_str(), ticket.get_people_ahead()), ("E-001", 0));
    let wait = if ticket.get_wait_known() {
        format!("en: About {} to {} minutes.", ticket.get_wait_low(), ticket.get_wait_high())
    } else {
        "en: The waiting time is not known yet.".to_owned()
    };
    assert_eq!(
        heard(&k, before, 3),
        ["en: Your number is E 1.".to_owned(), "en: You are next in line".to_owned(), wait.clone()]
    );

    // "Listen again" says the ticket once more.
    let before = said_count(&k);
    tap(w, "Listen again");
    assert_eq!(heard(&k, before, 3)[0], "en: Your number is E 1.");

    // Back at the welcome screen after the visit: "Touch your language" once in each offered
    // language that has a voice of its own, in the offered order; Pashto, Tigrinya and Somali
    // have none, and no other language's voice stands in for them.
    let before = said_count(&k);
    tap(w, "Done");
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Welcome);
    let invitation = invitation();
    assert_eq!(heard(&k, before, invitation.len()), invitation);
    assert_eq!(invitation[0], "nl: Raak je taal aan.");
    nothing_more(&k, before + invitation.len());
}

#[test]
fn an_arabic_visitor_hears_arabic_and_a_second_ticket_counts_the_person_before() {
    let k = start();
    let w = &k.window;
    tap(w, "English");
    settle(&k);
    tap(w, "E-mail");
    k.kiosk.catch_up();
    settle(&k);
    tap(w, "Done");
    let before = settle(&k);

    tap(w, "العربية");
    let mut expected =
        vec!["ar: العربية".to_owned(), format!("ar: {}", tr("ar", "What do you need help with?"))];
    expected.extend(service_names("ar"));
    let got = heard(&k, before, expected.len() + 2);
    assert_eq!(got[..expected.len()], expected);
    assert_ne!(got[1], "ar: What do you need help with?", "in Arabic, not English");

    let before = settle(&k);
    let mail = Config::sample().services[0].name("ar").to_owned();
    tap(w, &mail);
    k.kiosk.catch_up();
    let said = heard(&k, before, 3);
    assert_eq!(said[0], "ar: رقمك هو E 2.");
    assert_eq!(said[1], "ar: أمامك شخص واحد.", "one person before: the English visitor's ticket");
    assert!(said[2].starts_with("ar: "), "{said:?}");
}

#[test]
fn a_language_without_a_voice_is_not_spoken_and_offers_no_listen_button() {
    let k = start();
    let w = &k.window;
    tap(w, "ትግርኛ");
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Services);
    assert!(!w.global::<KioskAdapter>().get_can_listen(), "no voice for Tigrinya: no loudspeaker");
    assert_eq!(buttons(w, "Listen again"), 0);
    nothing_more(&k, 0);
}

#[test]
fn still_there_is_asked_aloud_once() {
    let k = start();
    let w = &k.window;
    tap(w, "Français");
    let before = heard(&k, 0, 2 + service_names("fr").len() + 2).len();
    assert_eq!(before, 10);
    let idle = Config::sample().kiosk.idle_timeout_seconds as u64;
    wait(idle);
    assert!(w.global::<loket::StillThereAdapter>().get_shown());
    let expected = [
        format!("fr: {}", tr("fr", "Are you still there?")),
        format!("fr: {}", tr("fr", "Touch the screen if you need more time.")),
    ];
    assert_eq!(heard(&k, before, 2), expected);
    wait(2);
    nothing_more(&k, before + 2);
    // "Listen again" over the question asks it again.
    tap(w, tr("fr", "Listen again"));
    assert_eq!(heard(&k, before + 2, 2), expected);
}

#[test]
fn the_screening_intro_says_what_it_is_and_how_to_start() {
    let k = start();
    let w = &k.window;
    tap(w, "English");
    let before = heard(&k, 0, 2 + service_names("en").len() + 2).len();
    tap(w, "Check your digital skills");
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::ScreeningIntro);
    let intro = w.global::<loket::ScreeningIntroAdapter>();
    assert_eq!(
        heard(&k, before, 3),
        [
            "en: Check your digital skills".to_owned(),
            format!("en: {} short tasks, about {} minutes.", intro.get_tasks(), intro.get_minutes()),
            "en: Touch Start when you are ready.".to_owned(),
        ]
    );
    assert_eq!(buttons(w, "Listen again"), 1, "one listen button on the intro");
}

#[test]
fn the_closed_screen_says_when_it_opens_when_touched() {
    // Saturday 5 December 2026, 10:00 in Brussels: closed until Monday 9:00.
    let k = start_at("2026-12-05T09:00:00Z", |_| {});
    let w = &k.window;
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Closed);
    nothing_more(&k, 0);
    w.global::<loket::ClosedAdapter>().invoke_touched();
    let expected =
        ["nl: Gesloten", "nl: Weer open op maandag om 9:00.", "nl: Een ticket nemen kan zodra we open zijn."];
    assert_eq!(heard(&k, 0, 3), expected);
    nothing_more(&k, 3);
    tap(w, tr("nl", "Listen again"));
    assert_eq!(heard(&k, 3, 3), expected);
}

#[test]
fn the_invitation_can_be_switched_off() {
    let k = start_at("2026-11-30T09:30:00Z", |c| c.spoken_guidance.welcome_invitation = false);
    let w = &k.window;
    tap(w, "English");
    let before = heard(&k, 0, 2 + service_names("en").len() + 2).len();
    tap(w, "Back");
    assert_eq!(w.global::<KioskAdapter>().get_screen(), Screen::Welcome);
    nothing_more(&k, before);
    // Asked for, it still speaks (the welcome screen is in the site's language).
    tap(w, tr("nl", "Listen again"));
    let invitation = invitation();
    assert_eq!(heard(&k, before, invitation.len()), invitation);
}
