//! The levels a screening scores a learner with, by exercise and by DigComp competence. The
//! kiosk scores with them (`loket::screening`), stores them and sends them in its xAPI
//! statements; `loket-central` counts them. Both sides name them the same, so they live here.
//!
//! Pure vocabulary: it must not score anything.

use serde::{Deserialize, Serialize};

/// How far a learner got with an exercise, or with a DigComp competence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Done alone: no hint, no risky tap, few wrong taps.
    OnOwn,
    /// Done, with hints or more wrong taps.
    WithHelp,
    /// Not done (skipped, walked away, not reached, shown by the kiosk) or a risky tap.
    NotYet,
}

impl Level {
    /// The name used in the store, the API and xAPI: `on_own`, `with_help`, `not_yet`.
    pub fn name(self) -> &'static str {
        match self {
            Level::OnOwn => "on_own",
            Level::WithHelp => "with_help",
            Level::NotYet => "not_yet",
        }
    }

    /// The level with that [`Level::name`].
    pub fn from_name(name: &str) -> Option<Level> {
        match name {
            "on_own" => Some(Level::OnOwn),
            "with_help" => Some(Level::WithHelp),
            "not_yet" => Some(Level::NotYet),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Level;

    #[test]
    fn a_level_is_found_by_its_name() {
        for level in [Level::OnOwn, Level::WithHelp, Level::NotYet] {
            assert_eq!(Level::from_name(level.name()), Some(level));
        }
        assert_eq!(Level::from_name("expert"), None);
    }
}
