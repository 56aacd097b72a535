//! Content packs as data: guided tutorials (`tutorials/<id>/tutorial.toml`) and screening
//! exercises (`screening/<id>/item.toml`), each with its words per language
//! (`strings/<lang>.toml`), optional recorded audio (`audio/<lang>/<step>.wav`) and mock screens
//! (`img/*.svg` or `*.png`). This module owns the typed, validated form of a pack ([`Pack`]),
//! the loader that collects *every* problem with its file and line ([`load_pack`]) and the
//! [`ContentLibrary`] that keeps the last good pack when a new one is broken.
//!
//! It must not play, score or show anything (that is the tutorial player and the screening),
//! and it must never panic on content input: a broken file is a [`Problem`], not a crash.
//!
//! Layout: [`manifest`] parses the TOML text, [`image`] measures screens, [`wav`] checks
//! recordings, `load` walks the folders and checks everything against everything.

pub mod image;
mod load;
mod manifest;
pub mod wav;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use image::ImageSize;
pub use load::load_pack;

/// Languages every tutorial and exercise must have words for; others are optional (missing
/// words fall back to Dutch).
pub const REQUIRED_LANGUAGES: &[&str] = &["nl", "en", "fr", "ar"];

/// The 21 competences of DigComp 2.2 (kept in 3.0), by code.
pub const DIGCOMP_CODES: &[&str] = &[
    "1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2",
    "4.3", "4.4", "5.1", "5.2", "5.3", "5.4",
];

/// DigComp versions a manifest may name in `digcomp_version`.
pub const DIGCOMP_VERSIONS: &[&str] = &["2.2", "3.0"];

/// One thing wrong in a pack: the file, the line when known, and what is wrong. Displayed as
/// `content/tutorials/t01-touch/tutorial.toml:12: unknown key "titel"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based line in `file`, when the problem sits on one line.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for Problem {}

/// A rectangle on a screen, in the screen image's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl Rect {
    /// True when the rectangle is not empty and lies wholly on a screen of `size`.
    pub fn fits(&self, size: ImageSize) -> bool {
        self.w > 0
            && self.h > 0
            && u64::from(self.x) + u64::from(self.w) <= u64::from(size.width)
            && u64::from(self.y) + u64::from(self.h) <= u64::from(size.height)
    }
}

/// What the learner does on a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// Look and listen, then "next".
    Show,
    /// Tap the `target` rectangle.
    Tap,
    /// Type one of the `accept` answers into the `field`.
    Type,
    /// Choose the right option: the `target` rectangle is the right one.
    Choose,
}

impl StepKind {
    /// The kind as written in the manifest: `show`, `tap`, `type`, `choose`.
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Show => "show",
            StepKind::Tap => "tap",
            StepKind::Type => "type",
            StepKind::Choose => "choose",
        }
    }
}

/// Whether an activity is a tutorial or a screening exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Tutorial,
    Exercise,
}

/// One step: one action on one screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: String,
    pub kind: StepKind,
    /// The screen image, as a path inside the pack (the activity folder joined with `screen`).
    pub screen: PathBuf,
    pub screen_size: ImageSize,
    /// A pulsing mark that draws the eye (optional).
    pub highlight: Option<Rect>,
    /// The right spot (tap, choose).
    pub target: Option<Rect>,
    /// The text field (type).
    pub field: Option<Rect>,
    /// Spots a careful learner does not tap (the advert, the scam link): a tap there is a wrong
    /// tap that is also counted as risky.
    pub avoid: Vec<Rect>,
    /// Seconds without the right action before the hint shows.
    pub hint_after_s: Option<u32>,
    /// Wrong taps before the step shows itself and moves on.
    pub max_wrong_taps: Option<u32>,
    /// Accepted answers (type): compared trimmed and case-insensitively.
    pub accept: Vec<String>,
    /// The on-screen keyboard of a type step.
    pub keyboard: Keyboard,
    /// A type step whose field is a row of this many boxes, one character each (a code):
    /// the field is split evenly and each typed character drawn in its own box.
    pub boxes: Option<u32>,
}

/// The on-screen keyboard a type step shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keyboard {
    /// Letters (AZERTY, as on Belgian phones), digits and a few signs.
    #[default]
    Letters,
    /// A number pad (codes, phone numbers).
    Digits,
}

impl Keyboard {
    /// The names written in a manifest's `keyboard = "…"`.
    pub const NAMES: &[&str] = &["letters", "digits"];

    pub fn from_name(name: &str) -> Option<Keyboard> {
        match name {
            "letters" => Some(Keyboard::Letters),
            "digits" => Some(Keyboard::Digits),
            _ => None,
        }
    }
}

/// The words of one step in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepText {
    /// Shown and spoken; absent only in optional languages (then Dutch is used).
    pub say: Option<String>,
    pub hint: Option<String>,
}

/// `strings/<lang>.toml`: the words of one activity in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strings {
    pub title: String,
    /// By step id.
    pub steps: BTreeMap<String, StepText>,
}

/// A tutorial or a screening exercise, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub kind: ActivityKind,
    /// Stable id, equal to the folder name; the suffix of the xAPI activity id.
    pub id: String,
    /// Bumped on every content change (at least 1).
    pub version: u32,
    /// DigComp competence codes, e.g. `["2.1"]`.
    pub digcomp: Vec<String>,
    pub digcomp_version: String,
    pub eds_foundation: Vec<String>,
    pub estimated_minutes: u32,
    /// The language of the mock app screens (usually Dutch, as in real life).
    pub ui_language: String,
    /// The catalogue pictogram, as a path (the activity folder joined with `icon`).
    pub icon: Option<PathBuf>,
    pub steps: Vec<Step>,
    /// By language code.
    pub strings: BTreeMap<String, Strings>,
    /// Recorded audio by (language, step id).
    pub audio: BTreeMap<(String, String), PathBuf>,
    /// The activity's folder.
    pub dir: PathBuf,
}

/// A whole, valid content pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pack {
    pub dir: PathBuf,
    /// `tutorials/*`, by id.
    pub tutorials: Vec<Activity>,
    /// `screening/*`, by id.
    pub screening: Vec<Activity>,
}

impl Pack {
    /// Every language some activity has words for.
    pub fn languages(&self) -> BTreeSet<&str> {
        self.tutorials
            .iter()
            .chain(&self.screening)
            .flat_map(|a| a.strings.keys().map(String::as_str))
            .collect()
    }

    /// One-line summary for `loket content check`.
    pub fn summary(&self) -> String {
        format!(
            "{} tutorials, {} screening items, {} languages: valid",
            self.tutorials.len(),
            self.screening.len(),
            self.languages().len()
        )
    }
}

/// The pack in use. "A broken pack is refused and the last good one stays in use": a new pack
/// replaces the current one only when it loads without a single problem.
#[derive(Debug, Clone)]
pub struct ContentLibrary {
    pack: Pack,
    languages: Vec<String>,
}

impl ContentLibrary {
    /// Loads the first pack; `languages` are the required languages (see [`REQUIRED_LANGUAGES`]).
    pub fn load(dir: &Path, languages: &[&str]) -> Result<ContentLibrary, Vec<Problem>> {
        let pack = load_pack(dir, languages)?;
        Ok(ContentLibrary { pack, languages: languages.iter().map(|l| (*l).to_owned()).collect() })
    }

    /// The pack in use.
    pub fn pack(&self) -> &Pack {
        &self.pack
    }

    /// Loads the pack in `dir` and uses it if it is valid; otherwise keeps the current pack and
    /// returns every problem.
    pub fn try_replace(&mut self, dir: &Path) -> Result<(), Vec<Problem>> {
        let languages: Vec<&str> = self.languages.iter().map(String::as_str).collect();
        self.pack = load_pack(dir, &languages)?;
        Ok(())
    }
}
