//! The digital-skills screening's results: what the player measured per exercise
//! ([`ItemResult`]), the level per exercise and per DigComp competence (on their own / with
//! help / not yet), the suggested referral from rules kept in config, and the short code staff
//! look up.
//!
//! Pure: no I/O, no clock, no randomness of its own (the code's random bytes are passed in).
//! The player (`lesson`) produces the measurements; the store keeps them; the UI and the staff
//! console only show what this module decided.

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
