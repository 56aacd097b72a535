//! A learner at the kiosk, driven through the real screens with Slint's headless testing
//! backend: buttons found by their accessible labels in the language on screen, taps on the mock
//! phone screen as pointer events at the place the screen shows them, time mocked. The
//! repository's own content pack is used, and the results are read back from the SQLite store.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use loket::clock::ManualClock;
use loket::config::Config;
use loket::content::{Pack, StepKind};
use loket::screening::Level;
use loket::ui::Kiosk;
use loket::{AppWindow, Feedback, KioskAdapter, LessonAdapter, LessonDoneAdapter, Screen};
use slint::{ComponentHandle, Model};

mod common;
use common::ui::{solve, tap, tap_beside_target, tap_rect, text, type_text};

struct Running {
    window: AppWindow,
    kiosk: Kiosk,
    dir: tempfile::TempDir,
    help_point: loket::owner::HelpPointHandle,
}

fn start() -> Running {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.path().to_path_buf();
    config.speech = loket::config::Speech::Simulated;
    let clock = Arc::new(ManualClock::new("2026-11-30T09:30:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    let help_point = parts.help_point.clone();
    let window = AppWindow::new().unwrap();
    window.window().set_size(slint::PhysicalSize::new(800, 480));
    let kiosk = Kiosk::wire_without_event_loop(&window, parts);
    window.show().unwrap();
    Running { window, kiosk, dir, help_point }
}

fn pack() -> Pack {
    loket::content::load_pack(Path::new("content"), loket::content::REQUIRED_LANGUAGES).unwrap()
}

fn wait(seconds: u64) {
    for _ in 0..seconds * 4 {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(250));
    }
}

fn screen(window: &AppWindow) -> Screen {
    window.global::<KioskAdapter>().get_screen()
}

fn db(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(loket::setup::STORE_FILE)).unwrap()
}

/// Waits until the reader thread has said `count` things (woken by each, at most 5 s).
fn said(kiosk: &Kiosk, count: usize) -> Vec<(String, String)> {
    kiosk.wait_until_said(count, Duration::from_secs(5)).unwrap()
}

#[test]
fn a_learner_completes_a_tutorial_in_french_with_hints_after_wrong_taps() {
    let k = start();
    let pack = pack();
    let tutorial = pack.tutorials.iter().find(|t| t.id == "t02-email").unwrap();
    tap(&k.window, "Français");
    tap(&k.window, &text("fr", "Learn step by step"));
    assert_eq!(screen(&k.window), Screen::Catalogue);
    tap(&k.window, &tutorial.strings["fr"].title);
    assert_eq!(screen(&k.window), Screen::Lesson);
    let lesson = k.window.global::<LessonAdapter>();
    assert_eq!((lesson.get_step(), lesson.get_steps()), (1, tutorial.steps.len() as i32));
    assert_eq!(lesson.get_say().as_str(), tutorial.strings["fr"].steps["s01"].say.as_deref().unwrap());
    // The instruction is read aloud in French as the step comes on screen.
    let first_say = tutorial.strings["fr"].steps["s01"].say.clone().unwrap();
    // (The screens before it speak too: wait until the instruction is among what was said.)
    let instruction = ("fr".to_owned(), first_say.clone());
    let mut count = 1;
    while !said(&k.kiosk, count).contains(&instruction) && count < 40 {
        count += 1;
    }
    assert!(said(&k.kiosk, count).contains(&instruction));

    for (i, step) in tutorial.steps.iter().enumerate() {
        assert_eq!(lesson.get_step(), i as i32 + 1, "step {}", step.id);
        if i == 1 {
            // A wrong tap first: "try again" and the hint words; a second: the spot is marked.
            assert_eq!(step.kind, StepKind::Tap);
            tap_beside_target(&k.window, step);
            assert_eq!(lesson.get_step(), 2, "a wrong tap does not move on");
            assert_eq!(lesson.get_feedback(), Feedback::TryAgain);
            assert_eq!(lesson.get_hint_level(), 1);
            assert_eq!(
                lesson.get_hint().as_str(),
                tutorial.strings["fr"].steps["s02"].hint.as_deref().unwrap()
            );
            assert!(!lesson.get_mark());
            tap_beside_target(&k.window, step);
            assert!(lesson.get_mark(), "the right spot is marked after two wrong taps");
            let target = step.target.unwrap();
            assert_eq!((lesson.get_mark_x(), lesson.get_mark_w()), (target.x as f32, target.w as f32));
            // "Listen again" reads the instruction once more.
            let before = k.kiosk.said().unwrap().len();
            tap(&k.window, &text("fr", "Listen again"));
            assert!(said(&k.kiosk, before + 1).len() > before);
        }
        if step.kind == StepKind::Type {
            // A wrong answer keeps the text to correct; the field shows what was typed.
            type_text(&k.window, "fr", "non");
            tap(&k.window, &text("fr", "Done typing"));
            assert_eq!(lesson.get_typed().as_str(), "non");
            assert_eq!(lesson.get_feedback(), Feedback::TryAgain);
            for _ in 0..3 {
                tap(&k.window, &text("fr", "Erase"));
            }
            assert_eq!(lesson.get_typed().as_str(), "");
        }
        solve(&k.window, step);
    }
    assert_eq!(screen(&k.window), Screen::LessonDone);
    let done = k.window.global::<LessonDoneAdapter>();
    assert!(!done.get_screening());
    assert_eq!(done.get_title().as_str(), tutorial.strings["fr"].title);
    k.kiosk.catch_up();

    let (completed, language, steps_done, steps_total, hints, wrong): (bool, String, u32, u32, u32, u32) = db(k.dir.path())
        .query_row(
            "SELECT completed, language, steps_done, steps_total, hints, wrong_taps FROM tutorial_run WHERE tutorial_id = 't02-email'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap();
    assert!(completed);
    assert_eq!(language, "fr");
    assert_eq!(steps_total, tutorial.steps.len() as u32);
    assert_eq!(steps_done, steps_total, "two wrong taps are help, not the kiosk showing the way");
    assert_eq!((hints, wrong), (2, 3), "hints on the tap and the type step; 2 wrong taps + 1 wrong answer");
    let statement: String = db(k.dir.path())
        .query_row("SELECT body FROM outbox WHERE type LIKE 'xapi%' ORDER BY seq DESC LIMIT 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(statement.contains("t02-email") && statement.contains("completed"), "{statement}");

    // "Done" goes back to the welcome screen and forgets the language.
    tap(&k.window, &text("fr", "Done"));
    assert_eq!(screen(&k.window), Screen::Welcome);
}

#[test]
fn a_learner_does_the_screening_with_a_mix_of_right_wrong_and_risky_taps() {
    let k = start();
    let pack = pack();
    tap(&k.window, "العربية");
    tap(&k.window, &text("ar", "Check your digital skills"));
    assert_eq!(screen(&k.window), Screen::ScreeningIntro);
    tap(&k.window, &text("ar", "Start"));
    let lesson = k.window.global::<LessonAdapter>();
    assert!(lesson.get_screening() && lesson.get_can_skip() && !lesson.get_can_back());

    for (n, item) in pack.screening.iter().enumerate() {
        assert_eq!((lesson.get_task(), lesson.get_tasks()), (n as i32 + 1, 8), "{}", item.id);
        match item.id.as_str() {
            // Shown the way on the first step: three wrong taps, then "next".
            "x03-wifi" => {
                for _ in 0..3 {
                    tap_beside_target(&k.window, &item.steps[0]);
                }
                assert_eq!(lesson.get_hint_level(), 3);
                tap(&k.window, &text("ar", "Next"));
                for step in &item.steps[1..] {
                    solve(&k.window, step);
                }
            }
            // One slip on the first step: still "on their own" (one wrong tap is allowed).
            "x04-mail-reply" => {
                tap_beside_target(&k.window, &item.steps[0]);
                assert_eq!(lesson.get_hint_level(), 0, "a first slip brings no hint in the screening");
                for step in &item.steps {
                    solve(&k.window, step);
                }
            }
            // Skipped at once.
            "x05-video-call" => tap(&k.window, &text("ar", "Skip this task")),
            // The scam link tapped once: risky.
            "x07-phishing" => {
                let step = item.steps.iter().position(|s| !s.avoid.is_empty()).unwrap();
                for s in &item.steps[..step] {
                    solve(&k.window, s);
                }
                tap_rect(&k.window, item.steps[step].avoid[0]);
                for s in &item.steps[step..] {
                    solve(&k.window, s);
                }
            }
            // Two wrong taps: the hint words, then done: "with help".
            "x08-search-ad" => {
                tap_beside_target(&k.window, &item.steps[0]);
                tap_beside_target(&k.window, &item.steps[0]);
                assert_eq!(lesson.get_hint_level(), 1);
                for step in &item.steps {
                    solve(&k.window, step);
                }
            }
            _ => {
                for step in &item.steps {
                    solve(&k.window, step);
                }
            }
        }
    }
    assert_eq!(screen(&k.window), Screen::LessonDone);
    let done = k.window.global::<LessonDoneAdapter>();
    assert!(done.get_saving() && done.get_code().is_empty(), "the end screen at once, the code follows");
    k.kiosk.catch_up();
    assert!(done.get_screening() && !done.get_not_stored() && !done.get_saving());
    let code = done.get_code().to_string();
    assert_eq!(code.len(), 7, "{code}");

    // The learner sees what they can already do and what to practise, by task title.
    let titles = |model: slint::ModelRc<loket::TutorialTile>| -> Vec<String> {
        model.iter().map(|t| t.title.to_string()).collect()
    };
    let title = |id: &str| pack.screening.iter().find(|a| a.id == id).unwrap().strings["ar"].title.clone();
    let already = titles(done.get_can_already());
    let practise = titles(done.get_practise());
    for id in ["x01-touch-warmup", "x02-find-the-app", "x04-mail-reply", "x06-appointment"] {
        assert!(already.contains(&title(id)), "{id} done alone: {already:?}");
    }
    for id in ["x03-wifi", "x05-video-call", "x07-phishing", "x08-search-ad"] {
        assert!(practise.contains(&title(id)), "{id} to practise: {practise:?}");
    }
    assert!(done.get_suggestions().row_count() > 0, "tutorials are suggested for what to practise");

    // Staff find the details behind the code.
    let by_code = code.clone();
    let detail =
        k.help_point.run(move |hp| hp.store().screening_by_code(&by_code)).unwrap().unwrap().unwrap();
    assert!(detail.finished);
    assert_eq!(detail.language, "ar");
    let level = |id: &str| detail.items.iter().find(|(r, _)| r.item_id == id).unwrap().1;
    assert_eq!(level("x01-touch-warmup"), Level::OnOwn);
    assert_eq!(level("x04-mail-reply"), Level::OnOwn);
    assert_eq!(level("x03-wifi"), Level::NotYet);
    assert_eq!(level("x05-video-call"), Level::NotYet);
    assert_eq!(level("x07-phishing"), Level::NotYet);
    assert_eq!(level("x08-search-ad"), Level::WithHelp);
    let phishing = &detail.items.iter().find(|(r, _)| r.item_id == "x07-phishing").unwrap().0;
    assert_eq!(phishing.steps.iter().map(|s| s.risky_taps).sum::<u32>(), 1);
    // x05 (the video call) was skipped, so the sample's rules do not suggest online lessons.
    assert_ne!(detail.referral.outcome, "online-lessons", "{:?}", detail.referral);
    assert!(!detail.referral.label.is_empty());
}

#[test]
fn a_learner_who_walks_away_is_asked_then_the_kiosk_starts_over_and_keeps_the_partial_result() {
    let k = start();
    tap(&k.window, "Nederlands");
    tap(&k.window, &text("nl", "Check your digital skills"));
    tap(&k.window, &text("nl", "Start"));
    let pack = pack();
    solve(&k.window, &pack.screening[0].steps[0]);
    let learning_idle = Config::sample().learning.idle_timeout_seconds as u64;
    wait(learning_idle - 5);
    assert_eq!(screen(&k.window), Screen::Lesson, "a lesson waits longer than a choice screen");
    assert!(!k.window.global::<loket::StillThereAdapter>().get_shown());
    wait(10);
    assert!(k.window.global::<loket::StillThereAdapter>().get_shown(), "are you still there?");
    wait(Config::sample().kiosk.countdown_seconds as u64 + 1);
    assert_eq!(screen(&k.window), Screen::Welcome);
    k.kiosk.catch_up();
    let (finished, items): (bool, u32) = db(k.dir.path())
        .query_row(
            "SELECT finished, (SELECT count(*) FROM screening_item WHERE screening = screening.id) FROM screening",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(!finished);
    assert_eq!(items, 8, "every exercise is recorded, those not reached too");
}

#[test]
fn hints_come_with_time_in_a_tutorial() {
    let k = start();
    tap(&k.window, "English");
    tap(&k.window, &text("en", "Learn step by step"));
    let pack = pack();
    let tutorial = pack.tutorials.iter().find(|t| t.id == "t01-touchscreen").unwrap();
    tap(&k.window, &tutorial.strings["en"].title);
    solve(&k.window, &tutorial.steps[0]);
    let lesson = k.window.global::<LessonAdapter>();
    let after = tutorial.steps[1].hint_after_s.unwrap() as u64;
    wait(after - 1);
    assert_eq!(lesson.get_hint_level(), 0);
    wait(2);
    assert_eq!(lesson.get_hint_level(), 1, "the hint words after {after} s");
    wait(after);
    assert!(lesson.get_mark(), "the spot after twice that");
    // Back goes to the step before (tutorials only).
    tap(&k.window, &text("en", "Back"));
    assert_eq!(lesson.get_step(), 1);
}

/// Does the whole screening as a learner who knows the way, in the language on screen.
fn do_the_screening(k: &Running, pack: &Pack) {
    for item in &pack.screening {
        for step in &item.steps {
            solve(&k.window, step);
        }
    }
    assert_eq!(screen(&k.window), Screen::LessonDone);
    k.kiosk.catch_up();
}

#[test]
fn the_screenings_result_stays_is_read_aloud_and_brings_the_learner_to_the_desk_with_the_code() {
    let k = start();
    let pack = pack();
    tap(&k.window, "Français");
    tap(&k.window, &text("fr", "Check your digital skills"));
    tap(&k.window, &text("fr", "Start"));
    do_the_screening(&k, &pack);
    let done = k.window.global::<LessonDoneAdapter>();
    let code = done.get_code().to_string();
    assert_eq!(code.len(), 7, "{code}");

    // The code is read aloud in French, one character at a time.
    let spelled = loket::screening::spelled_code(&code);
    let intro = text("fr", "Thank you! Show this code at the desk:");
    let mut heard = Vec::new();
    for _ in 0..50 {
        heard = k.kiosk.said().unwrap();
        if heard.iter().any(|(_, t)| t.contains(&spelled)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let reading = heard.iter().rev().find(|(_, t)| t.contains(&spelled)).expect("the code is read aloud");
    assert_eq!(reading.0, "fr");
    assert!(reading.1.starts_with(&intro), "{reading:?}");

    // Longer than a visitor's choice screen waits: the code is still there.
    let sample = Config::sample();
    wait(u64::from(sample.kiosk.idle_timeout_seconds + sample.kiosk.countdown_seconds) + 5);
    assert_eq!(screen(&k.window), Screen::LessonDone, "the result stays with the learning timeout");
    assert_eq!(done.get_code().as_str(), code);

    // "Listen again" reads it once more.
    let before = k.kiosk.said().unwrap().len();
    tap(&k.window, &text("fr", "Listen again"));
    let again = said(&k.kiosk, before + 1);
    assert!(again[before..].iter().any(|(l, t)| l == "fr" && t.contains(&spelled)), "{again:?}");

    // A ticket for the desk, with the code on it.
    tap(&k.window, &text("fr", "Take a ticket for the desk"));
    k.kiosk.catch_up();
    assert_eq!(screen(&k.window), Screen::Ticket);
    let (service, language, stored_code): (String, String, Option<String>) = db(k.dir.path())
        .query_row("SELECT service, language, screening_code FROM ticket", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(stored_code.as_deref(), Some(code.as_str()));
    assert_eq!(language, "fr");
    assert!(sample.services.iter().any(|s| s.id == service), "{service}");
}

#[test]
fn the_screenings_result_goes_back_to_the_start_after_the_learning_timeout() {
    let k = start();
    let pack = pack();
    tap(&k.window, "Nederlands");
    tap(&k.window, &text("nl", "Check your digital skills"));
    tap(&k.window, &text("nl", "Start"));
    do_the_screening(&k, &pack);
    let sample = Config::sample();
    wait(u64::from(sample.learning.idle_timeout_seconds + sample.kiosk.countdown_seconds) + 1);
    assert_eq!(screen(&k.window), Screen::Welcome);
    assert_eq!(
        db(k.dir.path()).query_row("SELECT count(*) FROM ticket", [], |r| r.get::<_, i64>(0)).unwrap(),
        0
    );
}

#[test]
fn the_stop_cross_asks_before_a_lesson_is_left() {
    let k = start();
    tap(&k.window, "العربية");
    tap(&k.window, &text("ar", "Learn step by step"));
    let pack = pack();
    let tutorial = &pack.tutorials[0];
    tap(&k.window, &tutorial.strings["ar"].title);
    solve(&k.window, &tutorial.steps[0]);
    let lesson = k.window.global::<LessonAdapter>();
    let step = lesson.get_step();

    tap(&k.window, &text("ar", "Stop"));
    assert!(lesson.get_confirm_stop(), "Stop this lesson?");
    assert!(loket_has_text(&k.window, &text("ar", "Stop this lesson?")));
    tap(&k.window, &text("ar", "No"));
    assert_eq!((screen(&k.window), lesson.get_step()), (Screen::Lesson, step), "no: the lesson goes on");
    assert!(!lesson.get_confirm_stop());

    tap(&k.window, &text("ar", "Stop"));
    tap(&k.window, &text("ar", "Yes"));
    assert_eq!(screen(&k.window), Screen::Services, "yes: back to the services, in Arabic");
    k.kiosk.catch_up();
    let completed: bool =
        db(k.dir.path()).query_row("SELECT completed FROM tutorial_run", [], |r| r.get(0)).unwrap();
    assert!(!completed, "the stopped lesson is recorded as not finished");
}

/// Whether some element on the window carries `label` as its text.
fn loket_has_text(window: &AppWindow, label: &str) -> bool {
    i_slint_backend_testing::ElementHandle::find_by_accessible_label(window, label).next().is_some()
}

/// [`start`] with a copy of the content pack where only `t01-touchscreen` speaks Ukrainian.
/// The kiosk with a content pack that lacks Ukrainian and Tigrinya, but for one tutorial in
/// Ukrainian (the shipped pack has every language).
fn start_with_some_ukrainian() -> Running {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    copy_dir(Path::new("content"), &content);
    for kind in ["tutorials", "screening"] {
        for item in std::fs::read_dir(content.join(kind)).unwrap() {
            let words = item.unwrap().path().join("strings");
            for lang in ["uk", "ti"] {
                std::fs::remove_file(words.join(format!("{lang}.toml"))).unwrap();
            }
        }
    }
    let words = content.join("tutorials/t01-touchscreen/strings");
    std::fs::copy(words.join("en.toml"), words.join("uk.toml")).unwrap();
    let mut config = Config::sample();
    config.kiosk.data_dir = dir.path().to_path_buf();
    config.learning.content_dir = content;
    config.speech = loket::config::Speech::Simulated;
    let clock = Arc::new(ManualClock::new("2026-11-30T09:30:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    let help_point = parts.help_point.clone();
    let window = AppWindow::new().unwrap();
    window.window().set_size(slint::PhysicalSize::new(800, 480));
    let kiosk = Kiosk::wire_without_event_loop(&window, parts);
    window.show().unwrap();
    Running { window, kiosk, dir, help_point }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn catalogue_ids(window: &AppWindow) -> Vec<String> {
    window.global::<loket::CatalogueAdapter>().get_tutorials().iter().map(|t| t.id.to_string()).collect()
}

#[test]
fn tutorials_are_offered_in_the_visitors_language_or_all_when_none_has_it() {
    let k = start_with_some_ukrainian();
    let all: Vec<String> = pack().tutorials.iter().map(|t| t.id.clone()).collect();
    tap(&k.window, "Українська");
    tap(&k.window, &text("uk", "Learn step by step"));
    assert_eq!(catalogue_ids(&k.window), ["t01-touchscreen"], "only the tutorial that speaks Ukrainian");
    tap(&k.window, &text("uk", "Back"));
    tap(&k.window, &text("uk", "Back"));
    tap(&k.window, "ትግርኛ");
    tap(&k.window, &text("ti", "Learn step by step"));
    assert_eq!(catalogue_ids(&k.window), all, "no tutorial speaks Tigrinya: all of them, in Dutch");
}

#[test]
fn the_result_says_the_instructions_were_in_dutch_when_the_pack_lacks_the_learners_language() {
    let k = start_with_some_ukrainian();
    let pack = pack();
    tap(&k.window, "ትግርኛ");
    tap(&k.window, &text("ti", "Check your digital skills"));
    tap(&k.window, &text("ti", "Start"));
    do_the_screening(&k, &pack);
    let code = k.window.global::<LessonDoneAdapter>().get_code().to_string();
    let detail = k.help_point.run(move |hp| hp.store().screening_by_code(&code)).unwrap().unwrap().unwrap();
    assert_eq!((detail.language.as_str(), detail.instructions_language.as_deref()), ("ti", Some("nl")));
    let statement: String = db(k.dir.path())
        .query_row("SELECT body FROM outbox WHERE type LIKE 'xapi%' ORDER BY seq DESC LIMIT 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(statement.contains("/ext/instructions_language\":\"nl\""), "{statement}");

    // A tutorial in French has all its words in French: nothing to say.
    tap(&k.window, &text("ti", "Done"));
    tap(&k.window, "Français");
    tap(&k.window, &text("fr", "Learn step by step"));
    let tutorial = &pack.tutorials[0];
    tap(&k.window, &tutorial.strings["fr"].title);
    for step in &tutorial.steps {
        solve(&k.window, step);
    }
    k.kiosk.catch_up();
    let shown_in: Option<String> = db(k.dir.path())
        .query_row("SELECT instructions_language FROM tutorial_run", [], |r| r.get(0))
        .unwrap();
    assert_eq!(shown_in, None);
}
