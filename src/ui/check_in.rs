//! Checking in for an appointment at the kiosk: "I have an appointment" on the services screen,
//! the keypad for the six-digit booking code, a code scanned on any visitor screen, and the
//! answer: "you are checked in" with the ticket printed, or why not, with the offer of a
//! normal ticket.
//!
//! It asks a [`CheckInDesk`] (the help point's appointments, wired by whoever builds the kiosk)
//! and shows what it answers; it must not hold appointment rules (windows, lateness, limits)
//! nor wait for the answer on the UI thread: the answer comes back as news.

use std::rc::Rc;

use jiff::Timestamp;
use loket_protocol::i18n::fill;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::Shared;
use crate::guidance::script::CheckIn as Shown;
use crate::guidance::{Phrase, Utterance};
use crate::help_point::IssuedTicket;
use crate::{AppWindow, CheckInAdapter, CheckInState, PrintState};

/// How many digits a booking code has.
pub const CODE_DIGITS: usize = 6;

/// What the help point answers a check-in: the appointment's ticket, or why there is none.
#[derive(Debug, Clone)]
pub enum CheckInReply {
    /// Checked in: the appointment's ticket (stored, to be printed), its time and its desk's id
    /// when it has one.
    CheckedIn {
        issued: Box<IssuedTicket>,
        starts_at: Timestamp,
        desk: Option<String>,
    },
    /// Too early to check in; it can from `opens_at`.
    TooEarly {
        opens_at: Timestamp,
    },
    TooLate,
    /// No appointment has this code (today).
    Unknown,
    Cancelled,
    /// The code was used to check in already.
    AlreadyUsed,
    /// Too many codes were tried at this kiosk lately.
    SlowDown {
        retry_after_seconds: u32,
    },
    /// The help point could not answer (it stopped, or the store failed): the reason, for the log.
    Failed(String),
}

/// Where the kiosk checks an appointment in: the help point's appointments. `reply` is called
/// once with the answer, on any thread; the screens hear it through their inbox.
pub trait CheckInDesk {
    fn check_in(&self, code: &str, language: &str, reply: Box<dyn FnOnce(CheckInReply) + Send>);
}

/// The check-in's state on the UI thread: where the desk is, the code typed so far, and what
/// the screen shows (for its words).
#[derive(Default)]
pub(super) struct CheckIn {
    desk: Option<Rc<dyn CheckInDesk>>,
    typed: String,
    asking: bool,
    shown: Option<Shown>,
}

/// The kiosk's own help point answers check-ins: on its owner thread, the screen hears the
/// answer when the ticket is stored.
impl CheckInDesk for crate::owner::HelpPointHandle {
    fn check_in(&self, code: &str, language: &str, reply: Box<dyn FnOnce(CheckInReply) + Send>) {
        use crate::appointment::CheckInRefusal as No;
        let (code, language) = (code.to_owned(), language.to_owned());
        let reply = std::sync::Arc::new(std::sync::Mutex::new(Some(reply)));
        let answer = reply.clone();
        let sent = self.then(
            move |hp| hp.check_in(&code, &language),
            move |result| {
                let shown = match result {
                    Ok(done) => CheckInReply::CheckedIn {
                        issued: Box::new(done.issued),
                        starts_at: done.starts_at,
                        desk: done.desk,
                    },
                    Err(No::TooEarly { opens_at }) => CheckInReply::TooEarly { opens_at },
                    Err(No::TooLate) => CheckInReply::TooLate,
                    Err(No::Unknown) => CheckInReply::Unknown,
                    Err(No::Cancelled) => CheckInReply::Cancelled,
                    Err(No::AlreadyUsed) => CheckInReply::AlreadyUsed,
                    Err(No::SlowDown { retry_after_seconds }) => {
                        CheckInReply::SlowDown { retry_after_seconds }
                    }
                    Err(why @ No::Unavailable) => CheckInReply::Failed(why.to_string()),
                };
                if let Some(reply) = answer.lock().ok().and_then(|mut r| r.take()) {
                    reply(shown);
                }
            },
        );
        if sent.is_err()
            && let Some(reply) = reply.lock().ok().and_then(|mut r| r.take())
        {
            reply(CheckInReply::Failed("the help point stopped".into()));
        }
    }
}

impl CheckIn {
    /// Whether visitors can check in here (a desk is wired).
    pub(super) fn offered(&self) -> bool {
        self.desk.is_some()
    }
}

/// The code as the keypad shows it: digits in groups of three ("482 913", "48").
pub fn grouped(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + 1);
    for (i, c) in digits.chars().enumerate() {
        if i == 3 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The digits `language` writes numbers with when they are not 0–9: Arabic-Indic for Arabic,
/// Extended Arabic-Indic (Persian) for Persian, Dari and Pashto.
pub fn native_digits(language: &str) -> Option<[char; 10]> {
    let zero = match language {
        "ar" => 0x0660,
        "fa" | "prs" | "ps" => 0x06F0,
        _ => return None,
    };
    let mut digits = ['0'; 10];
    for (d, slot) in digits.iter_mut().enumerate() {
        *slot = char::from_u32(zero + d as u32)?;
    }
    Some(digits)
}

/// `text` with each Western digit written in `digits`.
pub fn in_digits(text: &str, digits: &[char; 10]) -> String {
    text.chars().map(|c| c.to_digit(10).map_or(c, |d| digits[d as usize])).collect()
}

pub(super) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let adapter = window.global::<CheckInAdapter>();
    // No ticket yet: the preview's number must not match a printed walk-in's.
    adapter.set_code("".into());
    let on = |f: fn(&Rc<Shared>)| {
        let shared = shared.clone();
        move || {
            shared.visit.borrow_mut().touched();
            f(&shared)
        }
    };
    let typing = shared.clone();
    adapter.on_digit(move |d| {
        typing.visit.borrow_mut().touched();
        let mut check_in = typing.check_in.borrow_mut();
        if check_in.asking || check_in.typed.len() >= CODE_DIGITS || !(0..10).contains(&d) {
            return;
        }
        check_in.typed.push_str(&d.to_string());
        drop(check_in);
        fill_keypad(&typing);
    });
    adapter.on_delete(on(|shared| {
        if shared.check_in.borrow_mut().typed.pop().is_some() {
            fill_keypad(shared);
        }
    }));
    adapter.on_ok(on(|shared| {
        let typed = shared.check_in.borrow().typed.clone();
        if typed.len() == CODE_DIGITS {
            ask(shared, &typed);
        }
    }));
    adapter.on_back(on(|shared| {
        let chosen = shared.visit.borrow().language().is_some();
        if chosen {
            shared.visit.borrow_mut().back_to_services();
        } else {
            shared.visit.borrow_mut().back_to_welcome();
        }
        shared.show();
    }));
    adapter.on_take_ticket(on(|shared| {
        // The services in the language shown: a scan on the welcome screen chose the site's.
        let language = shared.language();
        shared.visit.borrow_mut().choose_language(&language);
        shared.show();
    }));
    adapter.on_type_again(on(open_keypad));
    adapter.on_more_time(on(|shared| {
        shared.visit.borrow_mut().more_time();
        shared.show_countdowns();
    }));
    adapter.on_done(on(|shared| {
        shared.visit.borrow_mut().back_to_welcome();
        shared.show();
    }));

    let services = window.global::<crate::ServicesAdapter>();
    services.set_check_in(shared.check_in.borrow().offered());
    services.on_have_appointment(on(open_keypad));

    let keys = shared.clone();
    window.global::<crate::KioskAdapter>().on_key_typed(move |text: SharedString| {
        let scanned = keys.scanner.borrow_mut().key(&text, std::time::Instant::now());
        if let Some(code) = scanned {
            scanned_code(&keys, &code);
        }
    });
}

/// From now on visitors can check in at `desk`: "I have an appointment" shows, and scanned
/// codes are checked in.
pub(super) fn offer(window: &AppWindow, shared: &Rc<Shared>, desk: Rc<dyn CheckInDesk>) {
    shared.check_in.borrow_mut().desk = Some(desk);
    window.global::<crate::ServicesAdapter>().set_check_in(true);
}

/// The keypad, empty, in the language of the visit so far.
fn open_keypad(shared: &Rc<Shared>) {
    {
        let mut check_in = shared.check_in.borrow_mut();
        check_in.typed.clear();
        check_in.asking = false;
        check_in.shown = Some(Shown::Typing);
    }
    shared.visit.borrow_mut().open_check_in();
    fill_keypad(shared);
    // Spoken afresh, also when a refusal on this same screen brought the keypad back.
    shared.spoken_screen.set(None);
    shared.show();
}

/// A booking code came from the scanner, on whatever visitor screen is up.
fn scanned_code(shared: &Rc<Shared>, code: &str) {
    if !shared.check_in.borrow().offered() || shared.check_in.borrow().asking {
        log::info!(
            "a scanned booking code was ignored: {}",
            if shared.check_in.borrow().asking { "one is being checked" } else { "check-in is not offered" }
        );
        return;
    }
    shared.check_in.borrow_mut().typed = code.to_owned();
    shared.visit.borrow_mut().open_check_in();
    shared.spoken_screen.set(None);
    ask(shared, code);
}

/// Shows the typed code in the boxes (and in the visitor's digits) and the keys' digits.
fn fill_keypad(shared: &Rc<Shared>) {
    let Some(window) = shared.window.upgrade() else { return };
    let adapter = window.global::<CheckInAdapter>();
    let check_in = shared.check_in.borrow();
    let typed = check_in.typed.as_str();
    let boxes: Vec<SharedString> =
        (0..CODE_DIGITS).map(|i| typed.get(i..i + 1).unwrap_or("").into()).collect();
    adapter.set_boxes(ModelRc::new(VecModel::from(boxes)));
    adapter.set_typed(grouped(typed).into());
    let native = native_digits(&shared.language());
    // Left to right, as the boxes above: without the marks (around the space too, which Arabic
    // digits would otherwise pull into their direction) an Arabic line puts "913" before "482".
    let in_native =
        |d: [char; 10]| format!("\u{200E}{}", in_digits(&grouped(typed), &d).replace(' ', "\u{200E} "));
    adapter.set_typed_native(native.map_or(String::new(), in_native).into());
    let keys: Vec<SharedString> =
        native.map_or(Vec::new(), |d| d.iter().map(|c| SharedString::from(c.to_string())).collect());
    adapter.set_native_digits(ModelRc::new(VecModel::from(keys)));
    adapter.set_state(if check_in.asking {
        CheckInState::Asking
    } else if matches!(check_in.shown, Some(Shown::Typing) | None) {
        CheckInState::Typing
    } else {
        CheckInState::Refused
    });
}

/// Sends the code to the desk; the answer comes back as news ([`answered`]).
fn ask(shared: &Rc<Shared>, code: &str) {
    let Some(desk) = shared.check_in.borrow().desk.clone() else { return };
    let Some(inbox) = shared.inbox.borrow().clone() else { return };
    let language = shared.language();
    shared.check_in.borrow_mut().asking = true;
    fill_keypad(shared);
    shared.show();
    let asked_in = language.clone();
    desk.check_in(
        code,
        &language,
        Box::new(move |reply| inbox.post(super::News::CheckInAnswered { language: asked_in, reply })),
    );
}

/// The desk answered: the confirmation (and the ticket to the printer), or why not.
pub(super) fn answered(window: &AppWindow, shared: &Rc<Shared>, language: &str, reply: CheckInReply) {
    let adapter = window.global::<CheckInAdapter>();
    let local_time = |at: Timestamp| {
        let time = at.to_zoned(shared.config.site.timezone.clone());
        (time.hour().max(0) as u32, time.minute().max(0) as u32)
    };
    let shown = match &reply {
        CheckInReply::CheckedIn { starts_at, desk, .. } => {
            let (hour, minute) = local_time(*starts_at);
            let desk = desk.as_ref().map(|id| {
                let name = shared.config.desk(id).map_or(id.as_str(), |d| d.name.as_str());
                (id.clone(), name.to_owned())
            });
            Shown::CheckedIn { desk, hour, minute }
        }
        CheckInReply::TooEarly { opens_at } => {
            let (hour, minute) = local_time(*opens_at);
            Shown::TooEarly { hour, minute }
        }
        CheckInReply::TooLate => Shown::TooLate,
        CheckInReply::Unknown => Shown::Unknown,
        CheckInReply::Cancelled => Shown::Cancelled,
        CheckInReply::AlreadyUsed => Shown::AlreadyUsed,
        CheckInReply::SlowDown { .. } => Shown::SlowDown,
        CheckInReply::Failed(reason) => {
            log::error!("checking in failed: {reason}");
            Shown::Failed
        }
    };
    let words = crate::guidance::script::check_in(language, &shown);
    let line = |u: Option<&Utterance>| u.map_or(String::new(), text_shown);
    adapter.set_headline(line(words.first()).into());
    adapter.set_detail(line(words.get(1)).into());
    {
        let mut check_in = shared.check_in.borrow_mut();
        check_in.asking = false;
        check_in.typed.clear();
        check_in.shown = Some(shown);
    }
    // Said afresh: the answer is new words on the same screen.
    shared.spoken_screen.set(None);
    match reply {
        CheckInReply::CheckedIn { issued, .. } => {
            adapter.set_code(issued.ticket.code().into());
            adapter.set_print_state(PrintState::Printing);
            shared.visit.borrow_mut().checked_in();
            shared.show();
            super::ticket::print(window, shared, &issued, language);
        }
        _ => {
            fill_keypad(shared);
            shared.show();
        }
    }
}

/// An utterance as the screen writes it: the same words, with times as 10:30.
fn text_shown(utterance: &Utterance) -> String {
    let values: Vec<(&str, String)> = utterance
        .values
        .iter()
        .map(|(name, value)| {
            let text = match value {
                crate::guidance::Value::Time { hour, minute } => format!("{hour}:{minute:02}"),
                crate::guidance::Value::Named { text, .. } => text.clone(),
                crate::guidance::Value::Number(n) => n.to_string(),
                crate::guidance::Value::Code(code) => code.clone(),
            };
            (*name, text)
        })
        .collect();
    let values: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let text = fill(utterance.phrase.text(&utterance.language), &values);
    // A right-to-left sentence that starts with a desk's Latin name ("Balie 2 …") would be laid
    // out left to right, its full stop on the wrong end: the mark says which way it reads.
    if crate::languages::language(&utterance.language).is_some_and(|l| l.rtl) {
        format!("\u{200F}{text}")
    } else {
        text
    }
}

/// The check-in screen's words, in the visitor's language, as it shows them.
pub(super) fn words(shared: &Shared, language: &str) -> Vec<Utterance> {
    let shown = shared.check_in.borrow().shown.clone().unwrap_or(Shown::Typing);
    crate::guidance::script::check_in(language, &shown)
}

/// The services screen's "I have an appointment", spoken after the question when it is offered.
pub(super) fn spoken_tile(shared: &Shared, language: &str) -> Option<Utterance> {
    shared.check_in.borrow().offered().then(|| Utterance::new(language, Phrase::HaveAppointment))
}

/// The printer answered for `code`: shown when the confirmation still shows that ticket.
pub(super) fn print_finished(window: &AppWindow, code: &str, printed: bool) -> bool {
    let adapter = window.global::<CheckInAdapter>();
    if adapter.get_code() != code {
        return false;
    }
    adapter.set_print_state(if printed { PrintState::Printed } else { PrintState::Failed });
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_shown_in_two_groups_of_three() {
        assert_eq!(grouped("482913"), "482 913");
        assert_eq!(grouped("4829"), "482 9");
        assert_eq!(grouped("48"), "48");
        assert_eq!(grouped(""), "");
    }

    #[test]
    fn arabic_persian_dari_and_pashto_see_their_own_digits() {
        let ar = native_digits("ar").unwrap();
        assert_eq!(in_digits("482 913", &ar), "٤٨٢ ٩١٣");
        for language in ["fa", "prs", "ps"] {
            let digits = native_digits(language).unwrap();
            assert_eq!(in_digits("482 913", &digits), "۴۸۲ ۹۱۳", "{language}");
        }
    }

    #[test]
    fn languages_that_write_0_to_9_get_no_second_digits() {
        for language in ["nl", "fr", "en", "ti", "so", "uk", "tr"] {
            assert_eq!(native_digits(language), None, "{language}");
        }
    }
}
