//! The welcome screen: the offered languages, each in its own script, and a greeting that
//! changes language every few seconds. A touched button says the language's name (see
//! [`super::spoken`]).

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, Timer, TimerMode, VecModel};

use super::Shared;
use crate::{AppWindow, LanguageChoice, WelcomeAdapter};

pub(super) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let adapter = window.global::<WelcomeAdapter>();
    adapter.set_site_name(shared.config.site.name.as_str().into());
    let languages: Vec<LanguageChoice> = shared
        .config
        .site
        .offered_languages()
        .map(|l| LanguageChoice { code: l.code.into(), autonym: l.autonym.into() })
        .collect();
    adapter.set_languages(ModelRc::new(VecModel::from(languages)));
    adapter.set_greeting(greeting(shared, 0).into());

    let shared = shared.clone();
    adapter.on_choose_language(move |code: SharedString| {
        super::spoken::language_touched(&shared, &code);
        shared.visit.borrow_mut().choose_language(&code);
        shared.show();
    });
}

/// Cycles the greeting through the offered languages.
pub(super) fn start_greetings(window: &AppWindow, shared: &Rc<Shared>) -> Timer {
    let timer = Timer::default();
    let weak = window.as_weak();
    let shared = shared.clone();
    let mut index = 0;
    timer.start(TimerMode::Repeated, shared.config.kiosk.greeting_interval(), move || {
        index += 1;
        if let Some(window) = weak.upgrade() {
            window.global::<WelcomeAdapter>().set_greeting(greeting(&shared, index).into());
        }
    });
    timer
}

fn greeting(shared: &Shared, index: usize) -> String {
    let offered: Vec<_> = shared.config.site.offered_languages().collect();
    offered.get(index % offered.len().max(1)).map(|l| l.greeting.to_owned()).unwrap_or_default()
}
