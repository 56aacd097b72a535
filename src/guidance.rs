//! Spoken guidance on the visitor screens: what each screen says aloud ([`Utterance`]s built
//! from catalogue phrases and values), which voice says it ([`Voices`]: a help point's voice
//! pack, else espeak-ng where it has a voice, else nothing), and the [`Guide`] thread that
//! speaks one screen's words after the other and is cut off by the next screen.
//!
//! An utterance is structured (a phrase's English msgid plus values such as a ticket code or a
//! number), so the same words are rendered as text for espeak-ng (through the translation
//! catalogue) or composed from a voice pack's clips in the language's own word order
//! ([`crate::voice_pack`]). A language is never spoken with another language's voice: without a
//! pack or an espeak-ng voice of its own, it is not spoken, and the screen offers no "listen".
//!
//! It must not decide which screen is shown (that is [`crate::ui`]) nor wait on the UI thread:
//! [`Guide::speak`] only hands the words over.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use loket_protocol::i18n::{fill, tr};

use crate::speech::{Speaker, SpeechError, espeak_voice, spoken_code};
use crate::voice_pack::VoicePack;

/// A phrase the kiosk says, by its English msgid in the translation catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phrase {
    /// Just a name ({name}): a language's own name, a service's name.
    Name,
    TouchYourLanguage,
    WhatDoYouNeed,
    LearnStepByStep,
    CheckSkills,
    YourNumberIs,
    NextInLine,
    OnePersonBefore,
    PeopleBefore,
    WaitAbout,
    WaitUnknown,
    StillThere,
    TouchForMoreTime,
    Closed,
    OpenToday,
    OpenTomorrow,
    OpenOn,
    TicketsWhenOpen,
    ScreeningTasks,
    TouchStart,
    HaveAppointment,
    TypeAppointmentCode,
    CheckedIn,
    DeskWillCall,
    SomeDeskWillCall,
    TooEarly,
    TooLate,
    UnknownCode,
    Cancelled,
    AlreadyUsed,
    SlowDown,
    CheckInFailed,
    NormalTicket,
}

impl Phrase {
    /// Every phrase, in the order `loket voice script` lists them.
    pub const ALL: &[Phrase] = &[
        Phrase::Name,
        Phrase::TouchYourLanguage,
        Phrase::WhatDoYouNeed,
        Phrase::LearnStepByStep,
        Phrase::CheckSkills,
        Phrase::YourNumberIs,
        Phrase::NextInLine,
        Phrase::OnePersonBefore,
        Phrase::PeopleBefore,
        Phrase::WaitAbout,
        Phrase::WaitUnknown,
        Phrase::StillThere,
        Phrase::TouchForMoreTime,
        Phrase::Closed,
        Phrase::OpenToday,
        Phrase::OpenTomorrow,
        Phrase::OpenOn,
        Phrase::TicketsWhenOpen,
        Phrase::ScreeningTasks,
        Phrase::TouchStart,
        Phrase::HaveAppointment,
        Phrase::TypeAppointmentCode,
        Phrase::CheckedIn,
        Phrase::DeskWillCall,
        Phrase::SomeDeskWillCall,
        Phrase::TooEarly,
        Phrase::TooLate,
        Phrase::UnknownCode,
        Phrase::Cancelled,
        Phrase::AlreadyUsed,
        Phrase::SlowDown,
        Phrase::CheckInFailed,
        Phrase::NormalTicket,
    ];

    /// The phrase in `language` from the catalogue (the English msgid where it has none).
    pub fn text(self, language: &str) -> &'static str {
        match self {
            Phrase::Name => "{name}",
            // TRANSLATORS: spoken on the welcome screen, in each language in turn.
            Phrase::TouchYourLanguage => tr(language, "Touch your language."),
            Phrase::WhatDoYouNeed => tr(language, "What do you need help with?"),
            Phrase::LearnStepByStep => tr(language, "Learn step by step"),
            Phrase::CheckSkills => tr(language, "Check your digital skills"),
            // TRANSLATORS: spoken; {code} is the ticket's code, read as "E 17".
            Phrase::YourNumberIs => tr(language, "Your number is {code}."),
            Phrase::NextInLine => tr(language, "You are next in line"),
            // TRANSLATORS: spoken on the ticket screen.
            Phrase::OnePersonBefore => tr(language, "One person is before you."),
            // TRANSLATORS: spoken on the ticket screen; {count} is 2 or more.
            Phrase::PeopleBefore => tr(language, "{count} people are before you."),
            // TRANSLATORS: spoken on the ticket screen: the expected wait.
            Phrase::WaitAbout => tr(language, "About {low} to {high} minutes."),
            // TRANSLATORS: spoken on the ticket screen.
            Phrase::WaitUnknown => tr(language, "The waiting time is not known yet."),
            Phrase::StillThere => tr(language, "Are you still there?"),
            // TRANSLATORS: spoken with "Are you still there?".
            Phrase::TouchForMoreTime => tr(language, "Touch the screen if you need more time."),
            Phrase::Closed => tr(language, "Closed"),
            // TRANSLATORS: spoken on the closed screen; {time} is like 9:00.
            Phrase::OpenToday => tr(language, "Open again today at {time}."),
            // TRANSLATORS: spoken on the closed screen; {time} is like 9:00.
            Phrase::OpenTomorrow => tr(language, "Open again tomorrow at {time}."),
            // TRANSLATORS: spoken on the closed screen; {day} is a weekday, {time} like 9:00.
            Phrase::OpenOn => tr(language, "Open again on {day} at {time}."),
            Phrase::TicketsWhenOpen => tr(language, "Tickets can be taken when we are open."),
            // TRANSLATORS: spoken before the skills check.
            Phrase::ScreeningTasks => tr(language, "{tasks} short tasks, about {minutes} minutes."),
            // TRANSLATORS: spoken before the skills check; "Start" is the button's name.
            Phrase::TouchStart => tr(language, "Touch Start when you are ready."),
            // TRANSLATORS: a button for visitors who booked an appointment (and spoken).
            Phrase::HaveAppointment => tr(language, "I have an appointment"),
            // TRANSLATORS: above the keypad where a visitor types the 6-digit code of an appointment.
            Phrase::TypeAppointmentCode => tr(language, "Type the code of your appointment."),
            // TRANSLATORS: a visitor with an appointment has checked in at the kiosk.
            Phrase::CheckedIn => tr(language, "You are checked in."),
            // TRANSLATORS: after checking in; {desk} is the desk's name as on its sign ("Desk 2"),
            // {time} the appointment's time, like 10:30.
            Phrase::DeskWillCall => tr(language, "{desk} will call you at {time}."),
            // TRANSLATORS: after checking in, when any desk may take the appointment; {time} is
            // like 10:30.
            Phrase::SomeDeskWillCall => tr(language, "A desk will call you at {time}."),
            // TRANSLATORS: a visitor came too early to check in; {time} is when they can, like 10:00.
            Phrase::TooEarly => tr(language, "You are early. You can check in from {time}."),
            // TRANSLATORS: a visitor came too late for their appointment.
            Phrase::TooLate => tr(language, "The time of this appointment has passed."),
            // TRANSLATORS: the code typed or scanned is no appointment's.
            Phrase::UnknownCode => tr(language, "We do not know this code. Please check it."),
            Phrase::Cancelled => tr(language, "This appointment was cancelled."),
            // TRANSLATORS: the appointment's code was already used to check in.
            Phrase::AlreadyUsed => tr(language, "This code was already used to check in."),
            // TRANSLATORS: too many codes were tried at the kiosk in a short time.
            Phrase::SlowDown => tr(language, "Please wait a moment, then try again."),
            // TRANSLATORS: checking in failed because of a fault at the kiosk.
            Phrase::CheckInFailed => tr(language, "Checking in is not possible right now."),
            // TRANSLATORS: offered when checking in did not work.
            Phrase::NormalTicket => tr(language, "You can take a normal ticket."),
        }
    }

    /// The English msgid (what a voice pack's pack.toml names the phrase by).
    pub fn msgid(self) -> &'static str {
        // No catalogue has the language "": the msgid itself comes back.
        self.text("")
    }

    pub fn from_msgid(msgid: &str) -> Option<Phrase> {
        Phrase::ALL.iter().copied().find(|p| p.msgid() == msgid)
    }

    /// The phrase with example values (for checking a pack and its recording script).
    pub fn example(self) -> Utterance {
        let u = Utterance::new("", self);
        match self {
            Phrase::Name => u.with("name", Value::Named { clip: "language".into(), text: String::new() }),
            Phrase::YourNumberIs => u.with("code", Value::Code("E-017".into())),
            Phrase::PeopleBefore => u.with("count", Value::Number(3)),
            Phrase::WaitAbout => u.with("low", Value::Number(10)).with("high", Value::Number(20)),
            Phrase::OpenToday | Phrase::OpenTomorrow => u.with("time", Value::Time { hour: 9, minute: 0 }),
            Phrase::OpenOn => u
                .with("day", Value::Named { clip: "days/monday".into(), text: String::new() })
                .with("time", Value::Time { hour: 9, minute: 0 }),
            Phrase::ScreeningTasks => u.with("tasks", Value::Number(8)).with("minutes", Value::Number(12)),
            Phrase::DeskWillCall => u
                .with("desk", Value::Named { clip: "desks/desk-1".into(), text: String::new() })
                .with("time", Value::Time { hour: 10, minute: 30 }),
            Phrase::SomeDeskWillCall => u.with("time", Value::Time { hour: 10, minute: 30 }),
            Phrase::TooEarly => u.with("time", Value::Time { hour: 10, minute: 0 }),
            _ => u,
        }
    }
}

/// A value said inside a phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A ticket code: letters one by one, then the number ("E-017" → "E 17").
    Code(String),
    Number(u32),
    /// A time of day.
    Time {
        hour: u32,
        minute: u32,
    },
    /// Words already in the utterance's language (a service's or a language's name), and the
    /// voice pack clip that says them (`services/email`, `language`, `days/monday`).
    Named {
        clip: String,
        text: String,
    },
}

impl Value {
    /// As espeak-ng reads it well.
    fn text(&self) -> String {
        match self {
            Value::Code(code) => spoken_code(code),
            Value::Number(n) => n.to_string(),
            Value::Time { hour, minute } => format!("{hour}:{minute:02}"),
            Value::Named { text, .. } => text.clone(),
        }
    }
}

/// One sentence to say: a phrase, its values, and the language it is said in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utterance {
    pub language: String,
    pub phrase: Phrase,
    pub values: Vec<(&'static str, Value)>,
}

impl Utterance {
    pub fn new(language: &str, phrase: Phrase) -> Utterance {
        Utterance { language: language.to_owned(), phrase, values: Vec::new() }
    }

    pub fn with(mut self, name: &'static str, value: Value) -> Utterance {
        self.values.push((name, value));
        self
    }

    pub fn value(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Whether the catalogue has the phrase in the utterance's language (English is the source).
    pub fn translated(&self) -> bool {
        self.phrase == Phrase::Name
            || self.language == "en"
            || loket_protocol::i18n::Catalogue::bundled()
                .message(&self.language, self.phrase.msgid())
                .is_some()
    }

    /// The words, in the utterance's language, for a text-to-speech voice.
    pub fn text(&self) -> String {
        let values: Vec<(&str, String)> = self.values.iter().map(|(n, v)| (*n, v.text())).collect();
        let values: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
        fill(self.phrase.text(&self.language), &values)
    }
}

/// What each visitor screen says, built from what the screen shows.
pub mod script {
    use super::{Phrase, Utterance, Value};

    /// The welcome screen's invitation: "Touch your language" in each of `languages` in turn.
    pub fn welcome(languages: &[String]) -> Vec<Utterance> {
        languages.iter().map(|l| Utterance::new(l, Phrase::TouchYourLanguage)).collect()
    }

    /// A language button, touched: the language's own name, in that language.
    pub fn language_name(language: &str, autonym: &str) -> Utterance {
        Utterance::new(language, Phrase::Name)
            .with("name", Value::Named { clip: "language".into(), text: autonym.into() })
    }

    /// The services screen: the question, then each tile's name in order (service id, name),
    /// then the learning tiles when offered.
    pub fn services(language: &str, services: &[(String, String)], learning: bool) -> Vec<Utterance> {
        let mut said = vec![Utterance::new(language, Phrase::WhatDoYouNeed)];
        for (id, name) in services {
            said.push(
                Utterance::new(language, Phrase::Name)
                    .with("name", Value::Named { clip: format!("services/{id}"), text: name.clone() }),
            );
        }
        if learning {
            said.push(Utterance::new(language, Phrase::LearnStepByStep));
            said.push(Utterance::new(language, Phrase::CheckSkills));
        }
        said
    }

    /// The ticket screen: the number, the people before the visitor, the wait.
    pub fn ticket(language: &str, code: &str, people_ahead: u32, wait: Option<(u32, u32)>) -> Vec<Utterance> {
        let u = |phrase| Utterance::new(language, phrase);
        vec![
            u(Phrase::YourNumberIs).with("code", Value::Code(code.into())),
            match people_ahead {
                0 => u(Phrase::NextInLine),
                1 => u(Phrase::OnePersonBefore),
                n => u(Phrase::PeopleBefore).with("count", Value::Number(n)),
            },
            match wait {
                Some((low, high)) => {
                    u(Phrase::WaitAbout).with("low", Value::Number(low)).with("high", Value::Number(high))
                }
                None => u(Phrase::WaitUnknown),
            },
        ]
    }

    /// "Are you still there?"
    pub fn still_there(language: &str) -> Vec<Utterance> {
        vec![Utterance::new(language, Phrase::StillThere), Utterance::new(language, Phrase::TouchForMoreTime)]
    }

    /// When the closed screen opens again.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Opens {
        Today,
        Tomorrow,
        /// 0 = Monday … 6 = Sunday, and its name in the language.
        On(u8, String),
    }

    /// The closed screen: closed, when it opens again (if known), no tickets until then.
    pub fn closed(language: &str, opens: Option<(Opens, u32, u32)>) -> Vec<Utterance> {
        const DAYS: [&str; 7] =
            ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
        let u = |phrase| Utterance::new(language, phrase);
        let mut said = vec![u(Phrase::Closed)];
        if let Some((opens, hour, minute)) = opens {
            let time = Value::Time { hour, minute };
            said.push(match opens {
                Opens::Today => u(Phrase::OpenToday).with("time", time),
                Opens::Tomorrow => u(Phrase::OpenTomorrow).with("time", time),
                Opens::On(day, name) => u(Phrase::OpenOn)
                    .with(
                        "day",
                        Value::Named { clip: format!("days/{}", DAYS[usize::from(day % 7)]), text: name },
                    )
                    .with("time", time),
            });
        }
        said.push(u(Phrase::TicketsWhenOpen));
        said
    }

    /// The screening's intro: what it is, and how to start.
    pub fn screening_intro(language: &str, tasks: u32, minutes: u32) -> Vec<Utterance> {
        let u = |phrase| Utterance::new(language, phrase);
        vec![
            u(Phrase::CheckSkills),
            u(Phrase::ScreeningTasks)
                .with("tasks", Value::Number(tasks))
                .with("minutes", Value::Number(minutes)),
            u(Phrase::TouchStart),
        ]
    }

    /// What the check-in screen says: the keypad's invitation, the confirmation, or why the
    /// code was refused and that a normal ticket can be taken.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum CheckIn {
        Typing,
        /// The appointment's time; the desk (id, name as on its sign) when one is set.
        CheckedIn {
            desk: Option<(String, String)>,
            hour: u32,
            minute: u32,
        },
        TooEarly {
            hour: u32,
            minute: u32,
        },
        TooLate,
        Unknown,
        Cancelled,
        AlreadyUsed,
        SlowDown,
        Failed,
    }

    /// The check-in screen's words in `language`: what it shows, in the order it shows it.
    pub fn check_in(language: &str, shown: &CheckIn) -> Vec<Utterance> {
        let u = |phrase| Utterance::new(language, phrase);
        let refused = |phrase| vec![u(phrase), u(Phrase::NormalTicket)];
        match shown {
            CheckIn::Typing => vec![u(Phrase::TypeAppointmentCode)],
            CheckIn::CheckedIn { desk, hour, minute } => {
                let time = Value::Time { hour: *hour, minute: *minute };
                let when = match desk {
                    Some((id, name)) => u(Phrase::DeskWillCall)
                        .with("desk", Value::Named { clip: format!("desks/{id}"), text: name.clone() })
                        .with("time", time),
                    None => u(Phrase::SomeDeskWillCall).with("time", time),
                };
                vec![u(Phrase::CheckedIn), when]
            }
            CheckIn::TooEarly { hour, minute } => vec![
                u(Phrase::TooEarly).with("time", Value::Time { hour: *hour, minute: *minute }),
                u(Phrase::NormalTicket),
            ],
            CheckIn::TooLate => refused(Phrase::TooLate),
            CheckIn::Unknown => refused(Phrase::UnknownCode),
            CheckIn::Cancelled => refused(Phrase::Cancelled),
            CheckIn::AlreadyUsed => refused(Phrase::AlreadyUsed),
            CheckIn::SlowDown => refused(Phrase::SlowDown),
            CheckIn::Failed => refused(Phrase::CheckInFailed),
        }
    }
}

/// Which voice speaks each language: the help point's voice pack for it, else espeak-ng's voice
/// for it; never another language's.
pub struct Voices {
    speaker: Box<dyn Speaker>,
    packs: BTreeMap<String, VoicePack>,
}

impl Voices {
    /// `speaker` is the text-to-speech voice (espeak-ng, or the simulated one with the same
    /// voices) and plays the packs' composed clips.
    pub fn new(speaker: Box<dyn Speaker>, packs: BTreeMap<String, VoicePack>) -> Voices {
        Voices { speaker, packs }
    }

    /// The languages that can be spoken: those with a pack or an espeak-ng voice.
    pub fn can_speak(&self, language: &str) -> bool {
        self.packs.contains_key(language) || espeak_voice(language).is_some()
    }

    /// Says `utterance`: from the pack's clips when the pack has them all, else with
    /// espeak-ng's voice for the language, else [`SpeechError::NoVoice`].
    pub fn say(&mut self, utterance: &Utterance) -> Result<(), SpeechError> {
        if let Some(pack) = self.packs.get(&utterance.language) {
            match pack.compose(utterance) {
                Ok(wav) => return self.speaker.play_wav(&wav, &utterance.language),
                Err(lacking) => log::debug!(
                    "voice pack {}: \"{}\" lacks {}",
                    utterance.language,
                    utterance.phrase.msgid(),
                    lacking.join(", ")
                ),
            }
        }
        if espeak_voice(&utterance.language).is_none() {
            return Err(SpeechError::NoVoice(utterance.language.clone()));
        }
        // English words read with another language's voice would be no help: a phrase not yet
        // translated is left out (names are the visitor's own words).
        if !utterance.translated() {
            log::debug!(
                "\"{}\" is not translated into {}: not spoken",
                utterance.phrase.msgid(),
                utterance.language
            );
            return Err(SpeechError::NoVoice(utterance.language.clone()));
        }
        self.speaker.say(&utterance.text(), &utterance.language)
    }
}

#[derive(Default)]
struct GuideSlot {
    next: Option<Vec<Utterance>>,
    stop: bool,
}

/// Speaks a screen's guidance on its own thread. [`Guide::speak`] never waits: new words
/// replace those waiting and cut off those being spoken, so the voice always speaks for the
/// screen in front of the visitor.
pub struct Guide {
    slot: Arc<(Mutex<GuideSlot>, Condvar)>,
    interrupt: Arc<AtomicBool>,
    speakable: Box<dyn Fn(&str) -> bool + Send>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Guide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guide").field("running", &self.worker.is_some()).finish()
    }
}

impl Guide {
    pub fn start(mut voices: Voices) -> Result<Guide, SpeechError> {
        let slot: Arc<(Mutex<GuideSlot>, Condvar)> = Arc::default();
        let interrupt = Arc::new(AtomicBool::new(false));
        voices.speaker.interrupt_with(interrupt.clone());
        let packs: Vec<String> = voices.packs.keys().cloned().collect();
        let speakable = Box::new(move |l: &str| packs.iter().any(|p| p == l) || espeak_voice(l).is_some());
        let (waiting, cut) = (slot.clone(), interrupt.clone());
        let worker = std::thread::Builder::new()
            .name("guide".into())
            .spawn(move || {
                loop {
                    let utterances = {
                        let (lock, ready) = &*waiting;
                        let mut slot = lock.lock().unwrap_or_else(|e| e.into_inner());
                        loop {
                            if slot.stop {
                                return;
                            }
                            if let Some(next) = slot.next.take() {
                                cut.store(false, Ordering::SeqCst);
                                break next;
                            }
                            slot = ready.wait(slot).unwrap_or_else(|e| e.into_inner());
                        }
                    };
                    for utterance in &utterances {
                        {
                            let slot = waiting.0.lock().unwrap_or_else(|e| e.into_inner());
                            if slot.stop || slot.next.is_some() {
                                break;
                            }
                        }
                        match voices.say(utterance) {
                            Ok(()) | Err(SpeechError::NoVoice(_)) => {}
                            Err(e) => log::warn!("guidance not spoken: {e}"),
                        }
                    }
                }
            })
            .map_err(SpeechError::Thread)?;
        Ok(Guide { slot, interrupt, speakable, worker: Some(worker) })
    }

    /// Whether `language` can be spoken (a pack or an espeak-ng voice of its own).
    pub fn can_speak(&self, language: &str) -> bool {
        (self.speakable)(language)
    }

    /// Says `utterances` in order, cutting off whatever is being said.
    pub fn speak(&self, utterances: Vec<Utterance>) {
        let (lock, ready) = &*self.slot;
        let mut slot = lock.lock().unwrap_or_else(|e| e.into_inner());
        slot.next = Some(utterances);
        self.interrupt.store(true, Ordering::SeqCst);
        ready.notify_one();
    }

    /// Stops speaking (a screen that says nothing, or the lesson's own reader takes over).
    pub fn silence(&self) {
        self.speak(Vec::new());
    }
}

impl Drop for Guide {
    fn drop(&mut self) {
        {
            let (lock, ready) = &*self.slot;
            lock.lock().unwrap_or_else(|e| e.into_inner()).stop = true;
            self.interrupt.store(true, Ordering::SeqCst);
            ready.notify_one();
        }
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speech::SimulatedSpeaker;

    fn texts(said: &[Utterance]) -> Vec<String> {
        said.iter().map(|u| format!("{}: {}", u.language, u.text())).collect()
    }

    #[test]
    fn the_ticket_is_said_with_its_number_the_people_before_and_the_wait() {
        let said = script::ticket("en", "E-017", 3, Some((10, 20)));
        assert_eq!(
            texts(&said),
            ["en: Your number is E 17.", "en: 3 people are before you.", "en: About 10 to 20 minutes."]
        );
        let said = script::ticket("en", "A-002", 1, None);
        assert_eq!(
            texts(&said),
            [
                "en: Your number is A 2.",
                "en: One person is before you.",
                "en: The waiting time is not known yet."
            ]
        );
        assert_eq!(texts(&script::ticket("en", "A-002", 0, None))[1], "en: You are next in line");
    }

    #[test]
    fn phrases_are_said_in_the_visitors_language_from_the_catalogue() {
        let dutch = script::services("nl", &[("email".into(), "E-mail".into())], false);
        let question = Phrase::WhatDoYouNeed.text("nl");
        assert_ne!(question, "What do you need help with?", "translated");
        assert_eq!(texts(&dutch), [format!("nl: {question}"), "nl: E-mail".to_owned()]);
        assert_eq!(
            texts(&script::ticket("nl", "E-017", 3, None))[..2],
            ["nl: Je nummer is E 17.", "nl: Er zijn 3 mensen voor je."]
        );
        assert_ne!(Phrase::YourNumberIs.text("fr"), Phrase::YourNumberIs.msgid());
        // Every translation keeps the phrase's placeholders, so values are never lost.
        for phrase in Phrase::ALL {
            let mut wanted = loket_protocol::i18n::placeholders(phrase.msgid());
            wanted.sort();
            for language in ["nl", "fr", "ar"] {
                let mut found = loket_protocol::i18n::placeholders(phrase.text(language));
                found.sort();
                assert_eq!(found, wanted, "{language}: {}", phrase.msgid());
            }
        }
    }

    #[test]
    fn every_phrase_has_its_own_msgid() {
        for phrase in Phrase::ALL {
            assert_eq!(Phrase::from_msgid(phrase.msgid()), Some(*phrase));
        }
    }

    #[test]
    fn no_language_is_spoken_with_another_languages_voice() {
        let simulated = SimulatedSpeaker::new();
        let mut voices = Voices::new(Box::new(simulated.clone()), BTreeMap::new());
        for language in ["ti", "ps", "so"] {
            assert!(!voices.can_speak(language));
            let err = voices.say(&Utterance::new(language, Phrase::TouchYourLanguage)).unwrap_err();
            assert!(matches!(err, SpeechError::NoVoice(l) if l == language));
        }
        assert!(simulated.said().is_empty(), "{:?}", simulated.said());
        voices.say(&script::language_name("prs", "دری")).unwrap();
        assert_eq!(simulated.said()[0], ("prs".to_owned(), "دری".to_owned()), "Dari with the Persian voice");
        // No English words with a Dutch voice: a phrase without its translation is left out.
        let untranslated = Utterance::new("nl", Phrase::TouchYourLanguage);
        assert!(untranslated.translated());
        let mut english_only = untranslated.clone();
        english_only.language = "xx-nowhere".into();
        assert!(!english_only.translated());
    }

    #[test]
    fn new_words_cut_off_the_old_screens() {
        let simulated = SimulatedSpeaker::new();
        let guide = Guide::start(Voices::new(Box::new(simulated.clone()), BTreeMap::new())).unwrap();
        guide.speak(script::still_there("en"));
        guide.speak(script::welcome(&["nl".into(), "en".into()]));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while simulated.said().last().is_none_or(|(l, _)| l != "en") && std::time::Instant::now() < deadline {
            simulated.wait_until_said(simulated.said().len() + 1, std::time::Duration::from_millis(100));
        }
        drop(guide);
        let said: Vec<String> = simulated.said().iter().map(|(l, t)| format!("{l}: {t}")).collect();
        // The first screen's words may have begun; the last screen's come whole and last.
        assert_eq!(said[said.len() - 2..], ["nl: Raak je taal aan.", "en: Touch your language."]);
        assert!(said.len() <= 4, "{said:?}");
    }
}
