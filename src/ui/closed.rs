//! The closed and dark screens outside the opening hours (the rule is [`crate::after_hours`]):
//! checks the hours every tick, cycles the message through the visitors' languages, and
//! switches the backlight. While closed the welcome screen (and so every ticket button) is not
//! offered; a visitor in the middle of a visit at closing time finishes it first.

use std::rc::Rc;
use std::time::Duration;

use slint::ComponentHandle;

use super::Shared;
use crate::after_hours::{OpensOn, Shown, next_opening_words};
use crate::{AppWindow, ClosedAdapter};

pub(super) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let adapter = window.global::<ClosedAdapter>();
    adapter.set_site_name(shared.config.site.name.as_str().into());
    let shared = shared.clone();
    adapter.on_touched(move || {
        if shared.after_hours.borrow_mut().touched() {
            log::info!("closed: the screen was touched, the message is back");
            shared.show();
        }
        if let Some(window) = shared.window.upgrade() {
            super::spoken::closed_touched(&window, &shared);
        }
    });
}

/// Time passed: opens or closes the kiosk, goes dark, and turns the message's language.
pub(super) fn tick(shared: &Shared, elapsed: Duration) {
    let (open, queue_empty) = {
        let now = shared.help_point.now().to_zoned(shared.config.site.timezone.clone()).datetime();
        let open = shared.config.hours.is_open(now);
        // The queue as last committed: reading it never waits for the help point.
        let queue_empty = !shared.help_point.queue().has_open_tickets();
        (open, queue_empty)
    };
    let changed = shared.after_hours.borrow_mut().tick(open, queue_empty, elapsed);
    let shown = shared.after_hours.borrow().shown();
    if changed {
        log::info!(
            "{}",
            match shown {
                Shown::Open => "open: the kiosk gives tickets again",
                Shown::Closed => "closed: the screen says when the help point opens again",
                Shown::Dark => "closed and nobody around: the screen goes dark",
            }
        );
        shared.closed_language.set(0);
        shared.closed_for.set(Duration::ZERO);
        shared.show();
    } else if shown == Shown::Closed && shared.visit.borrow().screen() == crate::visit::Screen::Welcome {
        // The message in the next visitor language every greeting interval.
        let shown_for = shared.closed_for.get() + elapsed;
        if shown_for >= shared.config.kiosk.greeting_interval() {
            shared.closed_for.set(Duration::ZERO);
            shared.closed_language.set(shared.closed_language.get() + 1);
            shared.show();
        } else {
            shared.closed_for.set(shown_for);
        }
    }
}

/// The language the closed message is in now.
pub(super) fn language(shared: &Shared) -> String {
    let offered: Vec<_> = shared.config.site.offered_languages().collect();
    offered
        .get(shared.closed_language.get() % offered.len().max(1))
        .map_or_else(|| shared.config.site.local_language.clone(), |l| l.code.to_owned())
}

/// Fills the closed screen and sets the backlight to match.
pub(super) fn fill(window: &AppWindow, shared: &Shared) {
    let shown = shared.after_hours.borrow().shown();
    let adapter = window.global::<ClosedAdapter>();
    let now = shared.help_point.now().to_zoned(shared.config.site.timezone.clone()).datetime();
    match shared.config.hours.next_opening(now) {
        Some(next) => {
            let (on, at) = next_opening_words(now, next);
            adapter.set_opens_on(match on {
                OpensOn::Weekday(day) => i32::from(day),
                OpensOn::Today => 7,
                OpensOn::Tomorrow => 8,
            });
            adapter.set_opens_at(at.into());
        }
        None => adapter.set_opens_on(-1),
    }
    adapter.set_dark(shown == Shown::Dark);
    let light = shown != Shown::Dark;
    if shared.backlight_on.get() != Some(light) {
        let mut backlight = shared.backlight.borrow_mut();
        match backlight.set_on(light) {
            Ok(()) => log::info!("screen {} ({})", if light { "lit" } else { "dark" }, backlight.describe()),
            Err(e) => log::warn!(
                "{}: cannot switch it {}: {e}",
                backlight.describe(),
                if light { "on" } else { "off" }
            ),
        }
        shared.backlight_on.set(Some(light));
    }
}
