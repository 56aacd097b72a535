//! Spoken guidance, wired to the screens: when a visitor screen comes up, its words go to the
//! [`Guide`](crate::guidance::Guide) in the visitor's language; "listen again" says them once
//! more; a touched language button says its name. The words are built from what the screen
//! shows (its adapter), so the voice never says something the screen does not.
//!
//! It must not speak itself or wait: the guide's thread does. Lesson screens are read by the
//! lesson's own reader ([`super::learn`]); here they only silence the guide.

use slint::ComponentHandle;

use super::Shared;
use crate::guidance::Utterance;
use crate::guidance::script::{self, Opens};
use crate::{
    AppWindow, ClosedAdapter, KioskAdapter, Screen, ScreeningIntroAdapter, ServicesAdapter, TicketAdapter,
};

/// A screen came up (or was refreshed): speaks it when it is new, and offers "listen again"
/// when its words can be spoken.
pub(super) fn screen_shown(window: &AppWindow, shared: &Shared, screen: Screen) {
    let Some(guide) = &shared.guide else { return };
    let previous = shared.spoken_screen.replace(Some(screen));
    let words = words(window, shared, screen);
    let speakable = !words.is_empty();
    window.global::<KioskAdapter>().set_can_listen(speakable);
    if previous == Some(screen) {
        return;
    }
    shared.still_there_spoken.set(false);
    let mut said: Vec<Utterance> = shared.touched_language.take().into_iter().collect();
    match screen {
        // The invitation once when the welcome screen comes back after a visit, not at start-up
        // nor when the help point opens: no endless talk at the entrance.
        Screen::Welcome => {
            let after_visit = previous.is_some_and(|p| p != Screen::Closed);
            if after_visit && shared.config.spoken_guidance.welcome_invitation {
                said.extend(words);
            }
        }
        // Spoken when touched, not when the hours close it.
        Screen::Closed => {}
        _ => said.extend(words),
    }
    guide.speak(said);
}

/// "Listen again": this screen's words once more (the question over it, if one is shown).
pub(super) fn listen_again(window: &AppWindow, shared: &Shared) {
    let Some(guide) = &shared.guide else { return };
    let screen = window.global::<KioskAdapter>().get_screen();
    if window.global::<crate::StillThereAdapter>().get_shown() && over_screen(screen) {
        guide.speak(script::still_there(&shared.language()));
        return;
    }
    guide.speak(words(window, shared, screen));
}

/// Whether the "are you still there?" question can stand over `screen` (as app.slint shows it).
fn over_screen(screen: Screen) -> bool {
    !matches!(screen, Screen::Welcome | Screen::Ticket | Screen::CheckedIn | Screen::Closed)
}

/// The question "are you still there?" came up: it is said once.
pub(super) fn still_there_shown(window: &AppWindow, shared: &Shared, shown: bool) {
    let Some(guide) = &shared.guide else { return };
    let screen = window.global::<KioskAdapter>().get_screen();
    if !shown || !over_screen(screen) {
        shared.still_there_spoken.set(false);
        return;
    }
    let language = shared.language();
    if shared.still_there_spoken.replace(true) || !guide.can_speak(&language) {
        return;
    }
    guide.speak(script::still_there(&language));
}

/// A language button was touched: its name, in that language, comes before the next screen's
/// words.
pub(super) fn language_touched(shared: &Shared, code: &str) {
    let Some(guide) = &shared.guide else { return };
    let Some(language) = crate::languages::language(code) else { return };
    if guide.can_speak(code) {
        *shared.touched_language.borrow_mut() = Some(script::language_name(code, language.autonym));
    }
}

/// The closed screen was touched: it says when the help point opens again.
pub(super) fn closed_touched(window: &AppWindow, shared: &Shared) {
    if let Some(guide) = &shared.guide {
        guide.speak(words(window, shared, Screen::Closed));
    }
}

/// What `screen` says, in the visitor's language; nothing when that language has no voice of
/// its own (or the screen is read by someone else).
fn words(window: &AppWindow, shared: &Shared, screen: Screen) -> Vec<Utterance> {
    let Some(guide) = &shared.guide else { return Vec::new() };
    let language = shared.language();
    if screen == Screen::Welcome {
        let offered: Vec<String> = shared
            .config
            .site
            .offered_languages()
            .map(|l| l.code.to_owned())
            .filter(|code| guide.can_speak(code))
            .collect();
        return script::welcome(&offered);
    }
    if !guide.can_speak(&language) {
        return Vec::new();
    }
    match screen {
        Screen::Services => {
            let services: Vec<(String, String)> =
                shared.config.services.iter().map(|s| (s.id.clone(), s.name(&language).to_owned())).collect();
            let learning = window.global::<ServicesAdapter>().get_learning();
            let mut said = script::services(&language, &services, learning);
            // "I have an appointment" is the first tile, after the question.
            if let Some(tile) = super::check_in::spoken_tile(shared, &language) {
                said.insert(1.min(said.len()), tile);
            }
            said
        }
        Screen::Ticket => {
            let ticket = window.global::<TicketAdapter>();
            let wait = ticket
                .get_wait_known()
                .then(|| (ticket.get_wait_low().max(0) as u32, ticket.get_wait_high().max(0) as u32));
            script::ticket(&language, &ticket.get_code(), ticket.get_people_ahead().max(0) as u32, wait)
        }
        Screen::ScreeningIntro => {
            let intro = window.global::<ScreeningIntroAdapter>();
            script::screening_intro(
                &language,
                intro.get_tasks().max(0) as u32,
                intro.get_minutes().max(0) as u32,
            )
        }
        Screen::Closed => {
            let closed = window.global::<ClosedAdapter>();
            let (hour, minute) = closed
                .get_opens_at()
                .split_once(':')
                .and_then(|(h, m)| Some((h.trim().parse().ok()?, m.trim().parse().ok()?)))
                .unwrap_or((0, 0));
            let opens = match closed.get_opens_on() {
                7 => Some(Opens::Today),
                8 => Some(Opens::Tomorrow),
                day @ 0..=6 => Some(Opens::On(day as u8, day_name(&language, day).to_owned())),
                _ => None,
            };
            script::closed(&language, opens.map(|o| (o, hour, minute)))
        }
        Screen::CheckIn | Screen::CheckedIn => super::check_in::words(shared, &language),
        _ => Vec::new(),
    }
}

/// A weekday's name in `language` (0 = Monday), as the closed screen shows it.
fn day_name(language: &str, day: i32) -> &'static str {
    use loket_protocol::i18n::tr;
    match day {
        0 => tr(language, "Monday"),
        1 => tr(language, "Tuesday"),
        2 => tr(language, "Wednesday"),
        3 => tr(language, "Thursday"),
        4 => tr(language, "Friday"),
        5 => tr(language, "Saturday"),
        _ => tr(language, "Sunday"),
    }
}
