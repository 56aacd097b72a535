//! The digital-skills screening's results: what the player measured per exercise
//! ([`ItemResult`]), the level per exercise and per DigComp competence (on their own / with
//! help / not yet), the suggested referral from rules kept in config, and the short code staff
//! look up.
//!
//! Pure: no I/O, no clock, no randomness of its own (the code's random bytes are passed in).
//! The player (`lesson`) produces the measurements; the store keeps them; the UI and the staff
//! console only show what this module decided.
//!
//! # The levels
//!
//! Per exercise ([`item_level`]):
//! - [`Level::OnOwn`]: it ended [`ItemEnding::Completed`], every step is `done`, no step needed
//!   a hint (`hint_level` 0), there was no risky tap, and the wrong taps of all its steps
//!   together are at most `learning.on_own_max_wrong_taps`;
//! - [`Level::WithHelp`]: completed with every step done and no risky tap, but with a hint or
//!   more wrong taps;
//! - [`Level::NotYet`]: skipped, walked away, not reached, a step the kiosk had to show (not
//!   `done`), no step recorded at all, or any risky tap (the advert, the scam link) — a risky
//!   tap is the one mistake that matters more than finishing.
//!
//! Per DigComp competence ([`competence_levels`]), over the exercises tagged with it:
//! [`Level::OnOwn`] when all of them are on their own, [`Level::NotYet`] when none is on their
//! own or with help, otherwise [`Level::WithHelp`].
//!
//! Time is recorded (per step and per exercise) but never part of a level: there is no time
//! pressure in the screening.
//!
//! # The referral
//!
//! The `[[learning.referral]]` rules are tried in order and the first whose conditions all hold
//! is suggested ([`refer`]); an exercise a rule names that is not in the run counts as not yet.
//! Config validation makes the last rule a fallback without conditions.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// How one screening exercise went, as the player measured it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    /// The exercise's id (its folder name), e.g. `x04-mail-reply`.
    pub item_id: String,
    /// The exercise's content version.
    pub version: u32,
    /// DigComp competence codes the exercise is tagged with.
    pub digcomp: Vec<String>,
    pub digcomp_version: String,
    /// How the exercise ended.
    pub ending: ItemEnding,
    /// One entry per step reached, in order.
    pub steps: Vec<StepResult>,
    /// From the exercise's first screen to its end, in milliseconds.
    pub duration_ms: u64,
}

/// How an exercise ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemEnding {
    /// Every step was reached and finished (possibly after the kiosk showed the way).
    Completed,
    /// The learner tapped "skip this task".
    Skipped,
    /// The learner walked away: the kiosk went back to the start during this exercise.
    TimedOut,
    /// The screening ended before this exercise was reached.
    NotReached,
}

impl ItemEnding {
    /// The name used in the store, the API and xAPI: `completed`, `skipped`, `timed_out`,
    /// `not_reached`.
    pub fn name(self) -> &'static str {
        match self {
            ItemEnding::Completed => "completed",
            ItemEnding::Skipped => "skipped",
            ItemEnding::TimedOut => "timed_out",
            ItemEnding::NotReached => "not_reached",
        }
    }

    /// The ending with that [`ItemEnding::name`].
    pub fn from_name(name: &str) -> Option<ItemEnding> {
        [ItemEnding::Completed, ItemEnding::Skipped, ItemEnding::TimedOut, ItemEnding::NotReached]
            .into_iter()
            .find(|e| e.name() == name)
    }
}

/// How one step of an exercise went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResult {
    pub step_id: String,
    /// The learner did it themselves (false when the kiosk had to show where, or the step was
    /// not finished).
    pub done: bool,
    /// Taps beside the target and wrong typed answers.
    pub wrong_taps: u32,
    /// Wrong taps on a spot the content marks as risky (the advert, the scam link).
    pub risky_taps: u32,
    /// The highest hint level reached: 0 none, 1 the hint words (and the spoken instruction
    /// again), 2 the right spot pulsing, 3 the kiosk showed the way.
    pub hint_level: u8,
    /// From the step's start to its end (or to the end of the exercise), in milliseconds.
    pub time_ms: u64,
    /// From the step's start to the learner's first tap or key, if any.
    pub first_action_ms: Option<u64>,
}

pub use loket_protocol::learning::Level;

/// One `[[learning.referral]]` rule: an outcome and the conditions under which it is
/// suggested. Every condition given must hold; an empty rule always matches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReferralRule {
    /// Stable id of the outcome, e.g. `online-lessons`.
    pub outcome: String,
    /// What staff read, in their language.
    pub label: String,
    /// Every one of these exercises is [`Level::OnOwn`].
    pub on_own: Vec<String>,
    /// Every one of these exercises is [`Level::OnOwn`] or [`Level::WithHelp`].
    pub at_least_with_help: Vec<String>,
    /// At least one of these exercises is [`Level::NotYet`].
    pub not_yet: Vec<String>,
    /// At most this many exercises are [`Level::NotYet`].
    pub not_yet_at_most: Option<u32>,
    /// At least this many exercises are [`Level::NotYet`].
    pub not_yet_at_least: Option<u32>,
}

/// The suggested next step for a learner: a rule's outcome and label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    pub outcome: String,
    pub label: String,
}

/// One screening session as the kiosk saw it, ready to be scored and recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningRun {
    /// The language the learner chose.
    pub language: String,
    /// The language the instructions were shown (and read) in when it was not `language`, even
    /// for part of the run: the content pack lacks the learner's language and fell back. `None`:
    /// every instruction was in the learner's language.
    pub instructions_language: Option<String>,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    /// False when the learner walked away before the end.
    pub finished: bool,
    /// Every exercise of the screening, in order, including those not reached.
    pub items: Vec<ItemResult>,
}

/// A recorded screening: its result code and what was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningRecord {
    /// The code staff type to look the result up, as shown: `K7M-4PX`.
    pub code: String,
    /// The level per exercise, in the run's order.
    pub items: Vec<(String, Level)>,
    /// The level per DigComp competence, by code.
    pub competences: Vec<(String, Level)>,
    pub referral: Referral,
}

/// One tutorial session as the kiosk saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TutorialRun {
    pub tutorial_id: String,
    pub version: u32,
    pub digcomp: Vec<String>,
    pub language: String,
    /// The language the tutorial's words were shown in when it was not `language` (the pack
    /// lacks the learner's language); `None`: in the learner's language.
    pub instructions_language: Option<String>,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    /// The learner reached the end.
    pub completed: bool,
    pub steps_done: u32,
    pub steps_total: u32,
    /// Steps where a hint showed.
    pub hints: u32,
    pub wrong_taps: u32,
}

/// Problems with item ids the referral rules name but the content pack does not have, e.g.
/// `learning.referral[0].on_own: "x09-bank" is not a screening exercise in the content pack`.
/// Empty when every id is known. The kiosk calls this once the pack is loaded.
pub fn check_referral_items<S: AsRef<str>>(rules: &[ReferralRule], known_item_ids: &[S]) -> Vec<String> {
    let known = |id: &str| known_item_ids.iter().any(|k| k.as_ref() == id);
    let mut problems = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        for (key, ids) in [
            ("on_own", &rule.on_own),
            ("at_least_with_help", &rule.at_least_with_help),
            ("not_yet", &rule.not_yet),
        ] {
            for id in ids.iter().filter(|id| !known(id)) {
                problems.push(format!(
                    "learning.referral[{index}].{key}: {id:?} is not a screening exercise in the content pack"
                ));
            }
        }
    }
    problems
}

/// The level of one exercise (see the module doc).
pub fn item_level(item: &ItemResult, on_own_max_wrong_taps: u32) -> Level {
    let finished = item.ending == ItemEnding::Completed
        && !item.steps.is_empty()
        && item.steps.iter().all(|s| s.done)
        && item.risky_taps() == 0;
    if !finished {
        return Level::NotYet;
    }
    if item.hints() == 0 && item.wrong_taps() <= u64::from(on_own_max_wrong_taps) {
        Level::OnOwn
    } else {
        Level::WithHelp
    }
}

impl ItemResult {
    /// Wrong taps over all steps.
    pub fn wrong_taps(&self) -> u64 {
        self.steps.iter().map(|s| u64::from(s.wrong_taps)).sum()
    }

    /// Risky taps over all steps.
    pub fn risky_taps(&self) -> u64 {
        self.steps.iter().map(|s| u64::from(s.risky_taps)).sum()
    }

    /// How many steps needed a hint (any level).
    pub fn hints(&self) -> u32 {
        self.steps.iter().filter(|s| s.hint_level > 0).count() as u32
    }

    /// The highest hint level reached on any step (0: none).
    pub fn max_hint_level(&self) -> u8 {
        self.steps.iter().map(|s| s.hint_level).max().unwrap_or(0)
    }

    /// How many steps the learner did themselves.
    pub fn steps_done(&self) -> u32 {
        self.steps.iter().filter(|s| s.done).count() as u32
    }
}

/// The level per DigComp competence over the exercises tagged with it, by code (sorted).
/// `items` pairs each exercise with its level.
pub fn competence_levels(items: &[(&ItemResult, Level)]) -> Vec<(String, Level)> {
    let mut per_code: BTreeMap<&str, Vec<Level>> = BTreeMap::new();
    for (item, level) in items {
        for code in &item.digcomp {
            per_code.entry(code.as_str()).or_default().push(*level);
        }
    }
    per_code
        .into_iter()
        .map(|(code, levels)| {
            let level = if levels.iter().all(|l| *l == Level::OnOwn) {
                Level::OnOwn
            } else if levels.iter().all(|l| *l == Level::NotYet) {
                Level::NotYet
            } else {
                Level::WithHelp
            };
            (code.to_owned(), level)
        })
        .collect()
}

/// A scored screening: the level per exercise (in the run's order) and per competence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scores {
    pub items: Vec<(String, Level)>,
    pub competences: Vec<(String, Level)>,
}

/// Scores every exercise of a run and each competence they are tagged with.
pub fn score(items: &[ItemResult], on_own_max_wrong_taps: u32) -> Scores {
    let levels: Vec<(&ItemResult, Level)> =
        items.iter().map(|item| (item, item_level(item, on_own_max_wrong_taps))).collect();
    Scores {
        items: levels.iter().map(|(item, level)| (item.item_id.clone(), *level)).collect(),
        competences: competence_levels(&levels),
    }
}

impl ReferralRule {
    /// Whether every condition of this rule holds for these exercise levels.
    pub fn matches(&self, items: &[(String, Level)]) -> bool {
        let level_of = |id: &str| items.iter().find(|(i, _)| i == id).map_or(Level::NotYet, |(_, l)| *l);
        let not_yet = items.iter().filter(|(_, l)| *l == Level::NotYet).count();
        self.on_own.iter().all(|id| level_of(id) == Level::OnOwn)
            && self.at_least_with_help.iter().all(|id| level_of(id) != Level::NotYet)
            && (self.not_yet.is_empty() || self.not_yet.iter().any(|id| level_of(id) == Level::NotYet))
            && self.not_yet_at_most.is_none_or(|most| not_yet <= most as usize)
            && self.not_yet_at_least.is_none_or(|least| not_yet >= least as usize)
    }

    /// True for a rule without conditions (it always matches).
    pub fn is_fallback(&self) -> bool {
        self.on_own.is_empty()
            && self.at_least_with_help.is_empty()
            && self.not_yet.is_empty()
            && self.not_yet_at_most.is_none()
            && self.not_yet_at_least.is_none()
    }
}

/// The outcome reported when no rule matches, which a valid config rules out (its last rule
/// is a fallback).
pub const NO_REFERRAL: &str = "none";

/// The first rule that matches these exercise levels.
pub fn refer(rules: &[ReferralRule], items: &[(String, Level)]) -> Referral {
    match rules.iter().find(|rule| rule.matches(items)) {
        Some(rule) => Referral { outcome: rule.outcome.clone(), label: rule.label.clone() },
        None => Referral {
            outcome: NO_REFERRAL.to_owned(),
            label: "Geen doorverwijzing: geen regel past".to_owned(),
        },
    }
}

/// A recorded screening as the store gives it back, for staff: everything measured and
/// everything decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningDetail {
    /// The result code as shown, e.g. `K7M-4PX`.
    pub code: String,
    pub language: String,
    /// The language the instructions were shown (and read) in when it was not `language`, even
    /// for part of the run: the content pack lacks the learner's language and fell back. `None`:
    /// every instruction was in the learner's language.
    pub instructions_language: Option<String>,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub finished: bool,
    /// Every exercise with its level, in the run's order.
    pub items: Vec<(ItemResult, Level)>,
    pub competences: Vec<(String, Level)>,
    pub referral: Referral,
}

/// The Dutch name of a DigComp 2.2 competence (as staff read it), by code.
pub fn digcomp_name_nl(code: &str) -> Option<&'static str> {
    Some(match code {
        "1.1" => "Browsen, zoeken en filteren van gegevens, informatie en digitale inhoud",
        "1.2" => "Evalueren van gegevens, informatie en digitale inhoud",
        "1.3" => "Beheren van gegevens, informatie en digitale inhoud",
        "2.1" => "Interageren via digitale technologieën",
        "2.2" => "Delen via digitale technologieën",
        "2.3" => "Burgerschap uitoefenen via digitale technologieën",
        "2.4" => "Samenwerken via digitale technologieën",
        "2.5" => "Netiquette",
        "2.6" => "Beheren van de digitale identiteit",
        "3.1" => "Ontwikkelen van digitale inhoud",
        "3.2" => "Integreren en herwerken van digitale inhoud",
        "3.3" => "Auteursrecht en licenties",
        "3.4" => "Programmeren",
        "4.1" => "Beschermen van apparaten",
        "4.2" => "Beschermen van persoonsgegevens en privacy",
        "4.3" => "Beschermen van gezondheid en welzijn",
        "4.4" => "Beschermen van het milieu",
        "5.1" => "Oplossen van technische problemen",
        "5.2" => "Behoeften en technologische oplossingen herkennen",
        "5.3" => "Creatief gebruiken van digitale technologieën",
        "5.4" => "Hiaten in de eigen digitale competenties herkennen",
        _ => return None,
    })
}

/// The letters of a result code: no look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B, G/6, Q).
pub const CODE_ALPHABET: &[u8] = b"ACDEFHJKMNPRTUVWXY34679";

/// A result code from random bytes, as shown: `K7M-4PX` (6 letters from [`CODE_ALPHABET`]).
/// Bytes that would bias the choice are skipped; `None` when too few bytes were usable (ask
/// again with fresh bytes).
pub fn code_from_random(bytes: &[u8]) -> Option<String> {
    let n = CODE_ALPHABET.len();
    let limit = (256 / n * n) as u8; // 253: every letter equally likely
    let letters: Vec<char> = bytes
        .iter()
        .filter(|b| **b < limit)
        .take(6)
        .map(|b| CODE_ALPHABET[*b as usize % n] as char)
        .collect();
    if letters.len() < 6 {
        return None;
    }
    let (first, second) = letters.split_at(3);
    Some(format!("{}-{}", first.iter().collect::<String>(), second.iter().collect::<String>()))
}

/// A result code as someone typed it (any case, with or without the dash, spaces around)
/// in its shown form `K7M-4PX`; `None` when it cannot be a result code.
pub fn normalize_code(typed: &str) -> Option<String> {
    let typed = typed.trim();
    let compact: String = match typed.split_once('-') {
        Some((a, b)) if a.len() == 3 => format!("{a}{b}"),
        Some(_) => return None,
        None => typed.to_owned(),
    };
    let upper = compact.to_ascii_uppercase();
    if upper.len() != 6 || !upper.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{}-{}", &upper[..3], &upper[3..]))
}

/// A result code as it is read aloud: one character at a time, the two halves apart
/// (`K7M-4PX` → `K 7 M, 4 P X`), so a speech engine spells it rather than reading a word.
pub fn spelled_code(code: &str) -> String {
    code.split('-')
        .map(|half| half.chars().map(String::from).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The service a learner queues for from the screening's result screen: the one named like
/// the referral's outcome (a help point can name a referral after the service that gives
/// it), else the first about online lessons, else the first service. `None` without services.
pub fn desk_service<'a>(services: &'a [crate::config::Service], referral: &Referral) -> Option<&'a str> {
    services
        .iter()
        .find(|s| s.id == referral.outcome)
        .or_else(|| services.iter().find(|s| s.pictogram == "online-lesson"))
        .or_else(|| services.first())
        .map(|s| s.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_code_is_spelled_character_by_character() {
        assert_eq!(spelled_code("K7M-4PX"), "K 7 M, 4 P X");
        assert_eq!(spelled_code("ABC"), "A B C");
    }

    #[test]
    fn the_desk_service_follows_the_referral_then_online_lessons_then_the_first() {
        let services = crate::config::Config::sample().services;
        let refer = |outcome: &str| Referral { outcome: outcome.into(), label: String::new() };
        assert_eq!(desk_service(&services, &refer("tablet")), Some("tablet"));
        let lessons = services.iter().find(|s| s.pictogram == "online-lesson").unwrap();
        assert_eq!(desk_service(&services, &refer("one-to-one")), Some(lessons.id.as_str()));
        let without: Vec<_> = services.iter().filter(|s| s.pictogram != "online-lesson").cloned().collect();
        assert_eq!(desk_service(&without, &refer("one-to-one")), Some(without[0].id.as_str()));
        assert_eq!(desk_service(&[], &refer("one-to-one")), None);
    }

    fn step(done: bool, wrong_taps: u32, risky_taps: u32, hint_level: u8) -> StepResult {
        StepResult {
            step_id: "s".into(),
            done,
            wrong_taps,
            risky_taps,
            hint_level,
            time_ms: 4_000,
            first_action_ms: Some(900),
        }
    }

    fn item(id: &str, digcomp: &[&str], ending: ItemEnding, steps: Vec<StepResult>) -> ItemResult {
        ItemResult {
            item_id: id.into(),
            version: 1,
            digcomp: digcomp.iter().map(|c| (*c).to_owned()).collect(),
            digcomp_version: "2.2".into(),
            ending,
            steps,
            duration_ms: 12_000,
        }
    }

    fn done(id: &str, digcomp: &[&str], steps: Vec<StepResult>) -> ItemResult {
        item(id, digcomp, ItemEnding::Completed, steps)
    }

    fn clean() -> Vec<StepResult> {
        vec![step(true, 0, 0, 0), step(true, 0, 0, 0)]
    }

    #[test]
    fn a_clean_exercise_is_on_own() {
        assert_eq!(item_level(&done("x", &["2.1"], clean()), 1), Level::OnOwn);
    }

    #[test]
    fn wrong_taps_at_the_threshold_are_on_own_and_one_more_is_with_help() {
        let at = done("x", &[], vec![step(true, 1, 0, 0), step(true, 0, 0, 0)]);
        assert_eq!(item_level(&at, 1), Level::OnOwn);
        let over = done("x", &[], vec![step(true, 1, 0, 0), step(true, 1, 0, 0)]);
        assert_eq!(item_level(&over, 1), Level::WithHelp, "wrong taps count over all steps");
        assert_eq!(item_level(&over, 2), Level::OnOwn);
        assert_eq!(item_level(&at, 0), Level::WithHelp);
    }

    #[test]
    fn any_hint_makes_it_with_help() {
        for hint_level in [1, 2] {
            let hinted = done("x", &[], vec![step(true, 0, 0, 0), step(true, 0, 0, hint_level)]);
            assert_eq!(item_level(&hinted, 1), Level::WithHelp, "hint level {hint_level}");
        }
    }

    #[test]
    fn a_step_the_kiosk_showed_is_not_yet() {
        let shown = done("x", &[], vec![step(true, 0, 0, 1), step(false, 3, 0, 3)]);
        assert_eq!(item_level(&shown, 1), Level::NotYet);
    }

    #[test]
    fn a_risky_tap_is_not_yet_even_when_finished() {
        let risky = done("x07-phishing", &["4.2"], vec![step(true, 1, 1, 0)]);
        assert_eq!(item_level(&risky, 5), Level::NotYet);
    }

    #[test]
    fn skipped_timed_out_and_not_reached_are_not_yet() {
        for ending in [ItemEnding::Skipped, ItemEnding::TimedOut, ItemEnding::NotReached] {
            assert_eq!(item_level(&item("x", &[], ending, clean()), 1), Level::NotYet, "{ending:?}");
        }
        let half = item("x", &[], ItemEnding::TimedOut, vec![step(true, 0, 0, 0)]);
        assert_eq!(item_level(&half, 1), Level::NotYet, "walked away in the middle");
    }

    #[test]
    fn a_completed_exercise_without_any_step_is_not_yet() {
        assert_eq!(item_level(&done("x", &[], vec![]), 1), Level::NotYet);
    }

    #[test]
    fn time_never_changes_the_level() {
        let mut slow = done("x", &[], clean());
        slow.duration_ms = 3_600_000;
        slow.steps[0].time_ms = 1_800_000;
        slow.steps[0].first_action_ms = None;
        assert_eq!(item_level(&slow, 1), Level::OnOwn);
    }

    #[test]
    fn all_skipped_gives_not_yet_everywhere() {
        let items: Vec<ItemResult> = ["x01", "x02", "x03"]
            .iter()
            .map(|id| item(id, &["2.1", "5.1"], ItemEnding::Skipped, vec![step(false, 0, 0, 0)]))
            .collect();
        let scores = score(&items, 1);
        assert!(scores.items.iter().all(|(_, l)| *l == Level::NotYet));
        assert_eq!(scores.competences, [("2.1".into(), Level::NotYet), ("5.1".into(), Level::NotYet)]);
    }

    #[test]
    fn everything_not_reached_scores_without_panicking() {
        let items: Vec<ItemResult> =
            ["x01", "x02"].iter().map(|id| item(id, &["1.1"], ItemEnding::NotReached, vec![])).collect();
        let scores = score(&items, 1);
        assert_eq!(scores.items, [("x01".into(), Level::NotYet), ("x02".into(), Level::NotYet)]);
        assert_eq!(scores.competences, [("1.1".into(), Level::NotYet)]);
        assert_eq!(score(&[], 1), Scores { items: vec![], competences: vec![] });
    }

    #[test]
    fn timed_out_in_the_middle_keeps_the_earlier_levels() {
        let items = vec![
            done("x01", &["5.2"], clean()),
            item("x02", &["2.1"], ItemEnding::TimedOut, vec![step(true, 0, 0, 0)]),
            item("x03", &["2.1"], ItemEnding::NotReached, vec![]),
        ];
        let scores = score(&items, 1);
        let levels: Vec<Level> = scores.items.iter().map(|(_, l)| *l).collect();
        assert_eq!(levels, [Level::OnOwn, Level::NotYet, Level::NotYet]);
        assert_eq!(scores.competences, [("2.1".into(), Level::NotYet), ("5.2".into(), Level::OnOwn)]);
    }

    #[test]
    fn a_competence_across_exercises() {
        let hinted = vec![step(true, 0, 0, 2)];
        let items = vec![
            done("x04", &["2.1"], clean()),
            done("x05", &["2.1", "2.4"], clean()),
            done("x06", &["2.3", "1.1"], hinted.clone()),
            item("x08", &["1.1", "1.2"], ItemEnding::Skipped, vec![]),
            done("x07", &["4.2", "1.2"], clean()),
        ];
        let scores = score(&items, 1);
        let expect = |code: &str| scores.competences.iter().find(|(c, _)| c == code).unwrap().1;
        assert_eq!(expect("2.1"), Level::OnOwn, "all its exercises on their own");
        assert_eq!(expect("2.4"), Level::OnOwn);
        assert_eq!(expect("2.3"), Level::WithHelp);
        assert_eq!(expect("1.1"), Level::WithHelp, "one with help, one not yet");
        assert_eq!(expect("1.2"), Level::WithHelp, "one on own, one not yet");
        let codes: Vec<&str> = scores.competences.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes, ["1.1", "1.2", "2.1", "2.3", "2.4", "4.2"], "sorted by code");
    }

    fn rule(outcome: &str) -> ReferralRule {
        ReferralRule { outcome: outcome.into(), label: format!("label {outcome}"), ..ReferralRule::default() }
    }

    fn sample_rules() -> Vec<ReferralRule> {
        vec![
            ReferralRule { on_own: vec!["x01".into(), "x04".into(), "x05".into()], ..rule("online-lessons") },
            ReferralRule {
                at_least_with_help: vec!["x01".into(), "x02".into()],
                not_yet_at_most: Some(2),
                ..rule("group-session")
            },
            rule("one-to-one"),
        ]
    }

    fn levels(pairs: &[(&str, Level)]) -> Vec<(String, Level)> {
        pairs.iter().map(|(id, l)| ((*id).to_owned(), *l)).collect()
    }

    use Level::{NotYet, OnOwn, WithHelp};

    #[test]
    fn the_first_matching_rule_wins() {
        let all_on_own = levels(&[("x01", OnOwn), ("x02", OnOwn), ("x04", OnOwn), ("x05", OnOwn)]);
        assert_eq!(refer(&sample_rules(), &all_on_own).outcome, "online-lessons");
        assert_eq!(refer(&sample_rules(), &all_on_own).label, "label online-lessons");
        let mail_with_help = levels(&[("x01", OnOwn), ("x02", WithHelp), ("x04", WithHelp), ("x05", OnOwn)]);
        assert_eq!(refer(&sample_rules(), &mail_with_help).outcome, "group-session");
    }

    #[test]
    fn the_fallback_catches_the_rest() {
        let warmup_failed = levels(&[("x01", NotYet), ("x02", OnOwn), ("x04", OnOwn), ("x05", OnOwn)]);
        assert_eq!(refer(&sample_rules(), &warmup_failed).outcome, "one-to-one");
        let three_not_yet =
            levels(&[("x01", OnOwn), ("x02", WithHelp), ("x04", NotYet), ("x05", NotYet), ("x06", NotYet)]);
        assert_eq!(refer(&sample_rules(), &three_not_yet).outcome, "one-to-one", "not_yet_at_most = 2");
        let two_not_yet = levels(&[("x01", OnOwn), ("x02", WithHelp), ("x04", NotYet), ("x05", NotYet)]);
        assert_eq!(refer(&sample_rules(), &two_not_yet).outcome, "group-session");
        assert_eq!(refer(&sample_rules(), &[]).outcome, "one-to-one", "absent exercises are not yet");
    }

    #[test]
    fn not_yet_and_at_least_conditions() {
        let rules = vec![
            ReferralRule { not_yet: vec!["x07".into(), "x08".into()], ..rule("safety") },
            ReferralRule { not_yet_at_least: Some(2), ..rule("many") },
            rule("fallback"),
        ];
        assert_eq!(refer(&rules, &levels(&[("x07", OnOwn), ("x08", NotYet)])).outcome, "safety");
        assert_eq!(refer(&rules, &levels(&[("x07", OnOwn), ("x08", WithHelp)])).outcome, "fallback");
        let two = levels(&[("x01", NotYet), ("x02", NotYet), ("x07", OnOwn), ("x08", OnOwn)]);
        assert_eq!(refer(&rules, &two).outcome, "many");
        assert!(rules[2].is_fallback() && !rules[1].is_fallback());
    }

    #[test]
    fn without_a_matching_rule_the_referral_says_so() {
        let rules = vec![ReferralRule { on_own: vec!["x01".into()], ..rule("online") }];
        assert_eq!(refer(&rules, &[]).outcome, NO_REFERRAL);
    }

    #[test]
    fn unknown_item_ids_in_the_rules_are_named_with_their_key() {
        let problems = check_referral_items(&sample_rules(), &["x01", "x02", "x04"]);
        assert_eq!(
            problems,
            ["learning.referral[0].on_own: \"x05\" is not a screening exercise in the content pack"]
        );
        let known: Vec<String> = ["x01", "x02", "x04", "x05"].iter().map(|s| (*s).to_owned()).collect();
        assert!(check_referral_items(&sample_rules(), &known).is_empty());
    }

    #[test]
    fn codes_come_from_the_alphabet_without_bias_bytes() {
        assert_eq!(code_from_random(&[0, 1, 2, 3, 4, 5]).as_deref(), Some("ACD-EFH"));
        assert_eq!(code_from_random(&[22, 45, 253, 255, 68, 0, 0, 0]).as_deref(), Some("999-AAA"));
        assert_eq!(code_from_random(&[253, 254, 0, 0, 0, 0, 0]), None, "too few usable bytes");
        assert_eq!(code_from_random(&[]), None);
    }

    #[test]
    fn typed_codes_are_normalized() {
        for typed in ["K7M-4PX", "k7m-4px", "K7M4PX", " k7m4px "] {
            assert_eq!(normalize_code(typed).as_deref(), Some("K7M-4PX"), "{typed:?}");
        }
        assert_eq!(normalize_code("k7m4xx").as_deref(), Some("K7M-4XX"));
        for bad in [
            "",
            "K7M-4QX",
            "K7M-4P",
            "K7M-4QXX",
            "K7-M4QX",
            "K7M--4QX",
            "O0I1L5",
            "K7M 4QX",
            "ÄÄÄ-ÄÄÄ",
            "../../x",
        ] {
            assert_eq!(normalize_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_digcomp_competence_has_a_dutch_name() {
        for code in crate::content::DIGCOMP_CODES {
            assert!(digcomp_name_nl(code).is_some_and(|n| !n.is_empty()), "{code}");
        }
        assert_eq!(digcomp_name_nl("9.9"), None);
    }

    #[test]
    fn level_names_round_trip() {
        for level in [OnOwn, WithHelp, NotYet] {
            assert_eq!(Level::from_name(level.name()), Some(level));
            assert_eq!(serde_json::to_value(level).unwrap(), level.name());
        }
        assert_eq!(Level::from_name("passed"), None);
        for ending in
            [ItemEnding::Completed, ItemEnding::Skipped, ItemEnding::TimedOut, ItemEnding::NotReached]
        {
            assert_eq!(ItemEnding::from_name(ending.name()), Some(ending));
            assert_eq!(serde_json::to_value(ending).unwrap(), ending.name());
        }
    }
}
