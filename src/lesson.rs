//! A learner going through one tutorial or one screening exercise, step by step: which step is
//! on screen, whether a tap hit the right spot, the graded hints (the hint words, then the spot
//! pulsing, then the kiosk showing the way), typing on the on-screen keyboard, and what was
//! measured ([`ItemResult`]). [`Screening`] strings the exercises together, without going back.
//!
//! Pure: time is passed in as the time since some fixed start (`now`), so the rules are tested
//! without a window or a clock. It must not know about Slint, the store or scoring (that is
//! `screening`).
//!
//! Tutorials and the screening differ only where they must: a tutorial can go back and its
//! show steps have "next"; the screening never goes back and can skip a task.

use std::sync::Arc;
use std::time::Duration;

use crate::content::{Activity, Rect, Step, StepKind};
use crate::screening::{ItemEnding, ItemResult, StepResult};

/// Tutorial (practice, can go back) or screening (measured, no going back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Tutorial,
    Screening,
}

/// Wrong taps before the kiosk shows the way, when the step does not say.
pub const DEFAULT_MAX_WRONG_TAPS: u32 = 3;

/// Seconds without the right action before the hint words show, when the step does not say.
pub const DEFAULT_HINT_AFTER_S: u32 = 20;

/// The highest hint level: the kiosk shows the way (and the step counts as not done alone).
pub const SHOWN_THE_WAY: u8 = 3;

/// What a tap on the mock screen did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapOutcome {
    /// The right spot: the step is done and the next one is on screen (or the lesson ended).
    Right,
    /// Beside the right spot: a hint may show.
    Wrong,
    /// On a spot the content marks as risky (the advert, the scam link): also a wrong tap.
    Risky,
    /// Taps on this step do nothing (a show step, a type step, or the lesson has ended).
    Ignored,
}

/// A key of the on-screen keyboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// Types this text (one character, usually).
    Text(String),
    Backspace,
    /// Done typing: checks the answer.
    Enter,
}

/// What a key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOutcome {
    /// The text changed.
    Typed,
    /// Enter with an accepted answer: the step is done.
    Right,
    /// Enter with another answer: a wrong try, the text stays to be corrected.
    Wrong,
    Ignored,
}

/// Measurements of one step, while it is on screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Progress {
    wrong_taps: u32,
    risky_taps: u32,
    hint_level: u8,
    /// The learner finished it themselves.
    done: bool,
    /// It was left (done, shown the way, skipped): its time is all in `earlier`.
    left: bool,
    first_action: Option<Duration>,
    /// When the step came on screen (since the lesson's start) the last time.
    entered_at: Duration,
    /// Time spent on the step on earlier visits (a tutorial can come back to a step).
    earlier: Duration,
}

/// One tutorial or exercise in progress.
#[derive(Debug, Clone)]
pub struct Lesson {
    activity: Arc<Activity>,
    mode: Mode,
    index: usize,
    progress: Vec<Progress>,
    /// Steps that have been on screen (a screening never returns, a tutorial may).
    reached: usize,
    started: Duration,
    ended: Option<(ItemEnding, Duration)>,
    typed: String,
    /// The answer of the last type step left, with its step: later steps on the same screen
    /// picture keep showing it (the typed "ok" stays in the mail while it is sent).
    answer: Option<(usize, String)>,
}

/// Text to draw in a step's field: what is being typed, or what was typed on that screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldText {
    pub field: Rect,
    pub text: String,
    /// Typing goes on here: the cursor shows.
    pub typing: bool,
    /// The field's boxes, one character each (see [`crate::content::Step::boxes`]).
    pub boxes: Option<u32>,
}

impl Lesson {
    /// Starts `activity` at its first step, at `now`.
    pub fn start(activity: Arc<Activity>, mode: Mode, now: Duration) -> Lesson {
        let progress = vec![Progress::default(); activity.steps.len()];
        let mut lesson = Lesson {
            activity,
            mode,
            index: 0,
            progress,
            reached: 0,
            started: now,
            ended: None,
            typed: String::new(),
            answer: None,
        };
        lesson.enter(0, now);
        lesson
    }

    pub fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The step on screen (the last one once the lesson has ended).
    pub fn step(&self) -> &Step {
        &self.activity.steps[self.index]
    }

    /// 0-based index of the step on screen.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn step_count(&self) -> usize {
        self.activity.steps.len()
    }

    /// True once the last step is done, or the lesson was skipped or left.
    pub fn has_ended(&self) -> bool {
        self.ended.is_some()
    }

    pub fn ending(&self) -> Option<ItemEnding> {
        self.ended.map(|(ending, _)| ending)
    }

    /// 0 none, 1 the hint words, 2 the right spot pulses, 3 the kiosk shows the way.
    pub fn hint_level(&self) -> u8 {
        self.current().hint_level
    }

    /// The text typed so far on a type step.
    pub fn typed(&self) -> &str {
        &self.typed
    }

    /// What the mock screen's field shows: on a type step the text typed so far; on a later
    /// step with the same screen picture, the answer typed there.
    pub fn field_text(&self) -> Option<FieldText> {
        let step = self.step();
        if step.kind == StepKind::Type {
            return step.field.map(|field| FieldText {
                field,
                text: self.typed.clone(),
                typing: true,
                boxes: step.boxes,
            });
        }
        let (index, text) = self.answer.as_ref()?;
        let typed_on = self.activity.steps.get(*index)?;
        (*index < self.index && typed_on.screen == step.screen).then_some(())?;
        typed_on.field.map(|field| FieldText {
            field,
            text: text.clone(),
            typing: false,
            boxes: typed_on.boxes,
        })
    }

    /// Whether "next" is offered: on a show step, and once the kiosk has shown the way.
    pub fn can_go_next(&self) -> bool {
        !self.has_ended() && (self.step().kind == StepKind::Show || self.hint_level() >= SHOWN_THE_WAY)
    }

    /// Whether "back" is offered: tutorials only, not on the first step.
    pub fn can_go_back(&self) -> bool {
        self.mode == Mode::Tutorial && !self.has_ended() && self.index > 0
    }

    /// Whether "skip this task" is offered: the screening only.
    pub fn can_skip(&self) -> bool {
        self.mode == Mode::Screening && !self.has_ended()
    }

    /// The spot to mark on screen: the right spot once the hint level reaches 2, or the step's
    /// highlight on a show step.
    pub fn marked_spot(&self) -> Option<Rect> {
        let step = self.step();
        match step.kind {
            StepKind::Show => step.highlight,
            StepKind::Tap | StepKind::Choose if self.hint_level() >= 2 => step.target,
            StepKind::Type if self.hint_level() >= 2 => step.field,
            _ => None,
        }
    }

    /// A tap at (`x`, `y`) in the screen image's pixels.
    pub fn tap(&mut self, x: f32, y: f32, now: Duration) -> TapOutcome {
        if self.has_ended() {
            return TapOutcome::Ignored;
        }
        let step = self.step().clone();
        if !matches!(step.kind, StepKind::Tap | StepKind::Choose) {
            return TapOutcome::Ignored;
        }
        self.first_action(now);
        if step.target.is_some_and(|target| contains(target, x, y)) {
            let shown = self.hint_level() >= SHOWN_THE_WAY;
            self.leave_step(!shown, now);
            return TapOutcome::Right;
        }
        let risky = step.avoid.iter().any(|spot| contains(*spot, x, y));
        let progress = self.current_mut();
        progress.wrong_taps += 1;
        if risky {
            progress.risky_taps += 1;
        }
        self.escalate(&step);
        if risky { TapOutcome::Risky } else { TapOutcome::Wrong }
    }

    /// A key of the on-screen keyboard on a type step.
    pub fn key(&mut self, key: Key, now: Duration) -> KeyOutcome {
        if self.has_ended() || self.step().kind != StepKind::Type {
            return KeyOutcome::Ignored;
        }
        self.first_action(now);
        match key {
            Key::Text(text) => {
                // A field is short: more than this is a finger resting on a key.
                if self.typed.chars().count() < 64 {
                    self.typed.push_str(&text);
                }
                KeyOutcome::Typed
            }
            Key::Backspace => {
                self.typed.pop();
                KeyOutcome::Typed
            }
            Key::Enter => {
                let step = self.step().clone();
                let answer = normalise(&self.typed);
                if step.accept.iter().any(|a| normalise(a) == answer) {
                    let shown = self.hint_level() >= SHOWN_THE_WAY;
                    self.leave_step(!shown, now);
                    KeyOutcome::Right
                } else {
                    self.current_mut().wrong_taps += 1;
                    self.escalate(&step);
                    KeyOutcome::Wrong
                }
            }
        }
    }

    /// "Next": on a show step (done), or after the kiosk showed the way (not done alone).
    pub fn next(&mut self, now: Duration) -> bool {
        if !self.can_go_next() {
            return false;
        }
        let done = self.step().kind == StepKind::Show;
        self.leave_step(done, now);
        true
    }

    /// "Back" (tutorials): the step before, as it was left.
    pub fn back(&mut self, now: Duration) -> bool {
        if !self.can_go_back() {
            return false;
        }
        self.pause_step(now);
        self.enter(self.index - 1, now);
        true
    }

    /// "Skip this task" (screening): the exercise ends here.
    pub fn skip(&mut self, now: Duration) -> bool {
        if !self.can_skip() {
            return false;
        }
        self.end(ItemEnding::Skipped, now);
        true
    }

    /// The learner walked away (the kiosk went back to the start).
    pub fn walked_away(&mut self, now: Duration) {
        if !self.has_ended() {
            self.end(ItemEnding::TimedOut, now);
        }
    }

    /// Time passed: the hint words show after the step's `hint_after_s` without the right
    /// action, and the spot pulses after twice that. Never shows the way by time alone (no
    /// time pressure). Returns true when the hint level changed.
    pub fn tick(&mut self, now: Duration) -> bool {
        if self.has_ended() || self.step().kind == StepKind::Show {
            return false;
        }
        let after = Duration::from_secs(self.step().hint_after_s.unwrap_or(DEFAULT_HINT_AFTER_S).into());
        let progress = self.current();
        let on_step = progress.earlier + now.saturating_sub(progress.entered_at);
        let by_time = if on_step >= after * 2 {
            2
        } else if on_step >= after {
            1
        } else {
            0
        };
        if by_time > progress.hint_level {
            self.current_mut().hint_level = by_time;
            true
        } else {
            false
        }
    }

    /// What was measured. Before the end, steps not yet finished count as not done.
    pub fn result(&self, now: Duration) -> ItemResult {
        let end = self.ended.map_or(now, |(_, at)| at);
        let steps = self
            .progress
            .iter()
            .zip(&self.activity.steps)
            .take(self.reached)
            .map(|(p, step)| StepResult {
                step_id: step.id.clone(),
                done: p.done,
                wrong_taps: p.wrong_taps,
                risky_taps: p.risky_taps,
                hint_level: p.hint_level,
                time_ms: millis(
                    p.earlier + if p.left { Duration::ZERO } else { end.saturating_sub(p.entered_at) },
                ),
                first_action_ms: p.first_action.map(millis),
            })
            .collect();
        ItemResult {
            item_id: self.activity.id.clone(),
            version: self.activity.version,
            digcomp: self.activity.digcomp.clone(),
            digcomp_version: self.activity.digcomp_version.clone(),
            ending: self.ending().unwrap_or(ItemEnding::TimedOut),
            steps,
            duration_ms: millis(end.saturating_sub(self.started)),
        }
    }

    fn current(&self) -> &Progress {
        &self.progress[self.index]
    }

    fn current_mut(&mut self) -> &mut Progress {
        &mut self.progress[self.index]
    }

    fn first_action(&mut self, now: Duration) {
        let progress = self.current_mut();
        if progress.first_action.is_none() {
            let on_step = progress.earlier + now.saturating_sub(progress.entered_at);
            progress.first_action = Some(on_step);
        }
    }

    /// After a wrong tap or answer. In a tutorial: 1 wrong → the hint words, 2 → the spot
    /// pulses. In the screening the first wrong tap only says "try again" (a slip is not yet
    /// help), then the same one step later. In both, the step's `max_wrong_taps` → the kiosk
    /// shows the way.
    fn escalate(&mut self, step: &Step) {
        let limit = step.max_wrong_taps.unwrap_or(DEFAULT_MAX_WRONG_TAPS).max(1);
        let free = match self.mode {
            Mode::Tutorial => 0,
            Mode::Screening => 1,
        };
        let progress = self.current_mut();
        let by_taps = if progress.wrong_taps >= limit {
            SHOWN_THE_WAY
        } else {
            progress.wrong_taps.saturating_sub(free).min(2) as u8
        };
        progress.hint_level = progress.hint_level.max(by_taps);
    }

    fn enter(&mut self, index: usize, now: Duration) {
        if self.step().kind == StepKind::Type && !self.typed.is_empty() {
            self.answer = Some((self.index, self.typed.clone()));
        }
        self.index = index;
        self.reached = self.reached.max(index + 1);
        let progress = self.current_mut();
        progress.entered_at = now;
        progress.left = false;
        self.typed.clear();
    }

    /// Leaves the step on screen for a moment (a tutorial's "back"): its time so far is kept.
    fn pause_step(&mut self, now: Duration) {
        let progress = self.current_mut();
        progress.earlier += now.saturating_sub(progress.entered_at);
        progress.entered_at = now;
    }

    fn leave_step(&mut self, done: bool, now: Duration) {
        self.pause_step(now);
        let progress = self.current_mut();
        progress.done |= done;
        progress.left = true;
        if self.index + 1 < self.step_count() {
            self.enter(self.index + 1, now);
        } else {
            self.ended = Some((ItemEnding::Completed, now));
        }
    }

    fn end(&mut self, ending: ItemEnding, now: Duration) {
        if !self.current().left {
            self.pause_step(now);
            self.current_mut().left = true;
        }
        self.ended = Some((ending, now));
    }
}

/// The screening: its exercises one after the other, never going back.
#[derive(Debug, Clone)]
pub struct Screening {
    items: Vec<Arc<Activity>>,
    results: Vec<ItemResult>,
    current: Option<Lesson>,
}

impl Screening {
    /// Starts the first of `items` at `now`. `items` must not be empty (a pack without
    /// exercises offers no screening).
    pub fn start(items: Vec<Arc<Activity>>, now: Duration) -> Option<Screening> {
        let first = items.first()?.clone();
        Some(Screening {
            items,
            results: Vec::new(),
            current: Some(Lesson::start(first, Mode::Screening, now)),
        })
    }

    /// The exercise on screen; `None` once all are done.
    pub fn lesson(&self) -> Option<&Lesson> {
        self.current.as_ref()
    }

    pub fn lesson_mut(&mut self) -> Option<&mut Lesson> {
        self.current.as_mut()
    }

    /// 0-based number of the exercise on screen, and how many there are.
    pub fn position(&self) -> (usize, usize) {
        (self.results.len(), self.items.len())
    }

    /// After each action: when the exercise on screen has ended, its result is kept and the
    /// next one starts. Returns true when it moved on.
    pub fn advance(&mut self, now: Duration) -> bool {
        let Some(lesson) = &self.current else { return false };
        if !lesson.has_ended() {
            return false;
        }
        self.results.push(lesson.result(now));
        self.current =
            self.items.get(self.results.len()).map(|next| Lesson::start(next.clone(), Mode::Screening, now));
        true
    }

    pub fn is_finished(&self) -> bool {
        self.current.is_none()
    }

    /// Every exercise's result: those not reached yet count as `NotReached`, the one on
    /// screen as left (`TimedOut`) — for when the learner walks away.
    pub fn walked_away(&mut self, now: Duration) -> Vec<ItemResult> {
        if let Some(lesson) = &mut self.current {
            lesson.walked_away(now);
        }
        self.advance(now);
        self.current = None;
        let mut results = self.results.clone();
        for item in &self.items[results.len()..] {
            results.push(ItemResult {
                item_id: item.id.clone(),
                version: item.version,
                digcomp: item.digcomp.clone(),
                digcomp_version: item.digcomp_version.clone(),
                ending: ItemEnding::NotReached,
                steps: Vec::new(),
                duration_ms: 0,
            });
        }
        results
    }

    /// The results so far (all of them once finished).
    pub fn results(&self) -> &[ItemResult] {
        &self.results
    }
}

fn contains(rect: Rect, x: f32, y: f32) -> bool {
    let (left, top) = (rect.x as f32, rect.y as f32);
    x >= left && y >= top && x < left + rect.w as f32 && y < top + rect.h as f32
}

/// Answers are compared trimmed, case-insensitively and with inner spaces collapsed.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{ActivityKind, ImageSize, Keyboard};
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    const S: Duration = Duration::from_secs(1);

    fn rect(x: u32, y: u32, w: u32, h: u32) -> Rect {
        Rect { x, y, w, h }
    }

    fn step(id: &str, kind: StepKind) -> Step {
        Step {
            id: id.into(),
            kind,
            screen: PathBuf::from("img/a.svg"),
            screen_size: ImageSize { width: 360, height: 640 },
            highlight: None,
            target: matches!(kind, StepKind::Tap | StepKind::Choose).then(|| rect(100, 100, 50, 50)),
            field: (kind == StepKind::Type).then(|| rect(10, 300, 340, 60)),
            avoid: vec![rect(0, 0, 360, 60)],
            hint_after_s: Some(20),
            max_wrong_taps: Some(3),
            accept: if kind == StepKind::Type { vec!["OK".into(), "oké".into()] } else { vec![] },
            keyboard: Keyboard::Letters,
            boxes: None,
        }
    }

    fn activity(kinds: &[StepKind]) -> Arc<Activity> {
        Arc::new(Activity {
            kind: ActivityKind::Exercise,
            id: "x-test".into(),
            version: 2,
            digcomp: vec!["2.1".into()],
            digcomp_version: "2.2".into(),
            eds_foundation: vec![],
            estimated_minutes: 1,
            ui_language: "nl".into(),
            icon: None,
            steps: kinds.iter().enumerate().map(|(i, k)| step(&format!("s{i}"), *k)).collect(),
            strings: BTreeMap::new(),
            audio: BTreeMap::new(),
            dir: PathBuf::from("x-test"),
        })
    }

    #[test]
    fn right_taps_walk_through_the_steps_and_end_completed() {
        let mut lesson = Lesson::start(activity(&[StepKind::Tap, StepKind::Choose]), Mode::Screening, S);
        assert_eq!(lesson.tap(120.0, 120.0, 3 * S), TapOutcome::Right);
        assert_eq!(lesson.index(), 1);
        assert_eq!(lesson.tap(149.9, 149.9, 5 * S), TapOutcome::Right);
        assert!(lesson.has_ended());
        assert_eq!(lesson.tap(120.0, 120.0, 6 * S), TapOutcome::Ignored);
        let result = lesson.result(9 * S);
        assert_eq!(result.ending, ItemEnding::Completed);
        assert_eq!(result.duration_ms, 4000);
        assert!(result.steps.iter().all(|s| s.done && s.wrong_taps == 0 && s.hint_level == 0));
        assert_eq!(result.steps[0].time_ms, 2000);
        assert_eq!(result.steps[0].first_action_ms, Some(2000));
        assert_eq!((result.item_id.as_str(), result.version), ("x-test", 2));
    }

    #[test]
    fn the_edge_of_the_target_is_outside() {
        let mut lesson = Lesson::start(activity(&[StepKind::Tap]), Mode::Screening, S);
        assert_eq!(lesson.tap(150.0, 120.0, S), TapOutcome::Wrong);
        assert_eq!(lesson.tap(99.9, 120.0, S), TapOutcome::Wrong);
        assert_eq!(lesson.tap(100.0, 100.0, S), TapOutcome::Right);
    }

    #[test]
    fn wrong_taps_bring_graded_hints_then_the_way_is_shown() {
        let mut lesson = Lesson::start(activity(&[StepKind::Tap, StepKind::Tap]), Mode::Tutorial, S);
        assert_eq!(lesson.marked_spot(), None);
        assert_eq!(lesson.tap(300.0, 500.0, S), TapOutcome::Wrong);
        assert_eq!(lesson.hint_level(), 1);
        assert_eq!(lesson.marked_spot(), None, "first the words");
        lesson.tap(300.0, 500.0, S);
        assert_eq!(lesson.hint_level(), 2);
        assert_eq!(lesson.marked_spot(), Some(rect(100, 100, 50, 50)), "then the spot");
        assert!(!lesson.can_go_next());
        lesson.tap(300.0, 500.0, S);
        assert_eq!(lesson.hint_level(), SHOWN_THE_WAY);
        assert!(lesson.can_go_next(), "the way is shown and the learner may go on");
        assert_eq!(lesson.tap(120.0, 120.0, 2 * S), TapOutcome::Right);
        let result = lesson.result(2 * S);
        assert!(!result.steps[0].done, "shown the way: not done alone");
        assert_eq!(result.steps[0].wrong_taps, 3);
    }

    #[test]
    fn in_the_screening_a_first_slip_brings_no_hint() {
        let mut lesson = Lesson::start(activity(&[StepKind::Tap]), Mode::Screening, S);
        lesson.tap(300.0, 500.0, S);
        assert_eq!(lesson.hint_level(), 0, "one slip: only \"try again\"");
        lesson.tap(300.0, 500.0, S);
        assert_eq!(lesson.hint_level(), 1);
        lesson.tap(300.0, 500.0, S);
        assert_eq!(lesson.hint_level(), SHOWN_THE_WAY);
    }

    #[test]
    fn next_after_being_shown_the_way_leaves_the_step_not_done() {
        let mut lesson = Lesson::start(activity(&[StepKind::Tap]), Mode::Screening, S);
        for _ in 0..3 {
            lesson.tap(1.0, 600.0, S);
        }
        assert!(lesson.next(2 * S));
        assert_eq!(lesson.ending(), Some(ItemEnding::Completed));
        assert!(!lesson.result(2 * S).steps[0].done);
    }

    #[test]
    fn risky_taps_count_as_wrong_and_risky() {
        let mut lesson = Lesson::start(activity(&[StepKind::Choose]), Mode::Screening, S);
        assert_eq!(lesson.tap(10.0, 10.0, S), TapOutcome::Risky);
        lesson.tap(120.0, 120.0, S);
        let step = &lesson.result(S).steps[0];
        assert_eq!((step.wrong_taps, step.risky_taps, step.done), (1, 1, true));
    }

    #[test]
    fn hints_come_with_time_but_the_way_is_never_shown_by_time() {
        let mut lesson = Lesson::start(activity(&[StepKind::Tap]), Mode::Screening, Duration::ZERO);
        assert!(!lesson.tick(19 * S));
        assert!(lesson.tick(20 * S));
        assert_eq!(lesson.hint_level(), 1);
        assert!(lesson.tick(40 * S));
        assert_eq!(lesson.hint_level(), 2);
        assert!(!lesson.tick(3600 * S));
        assert_eq!(lesson.hint_level(), 2);
        assert!(!lesson.can_go_next());
    }

    #[test]
    fn a_typed_answer_stays_in_its_field_on_the_next_steps_of_the_same_screen() {
        let mut steps = activity(&[StepKind::Type, StepKind::Tap, StepKind::Tap]).as_ref().clone();
        steps.steps[2].screen = PathBuf::from("img/sent.svg");
        let mut lesson = Lesson::start(Arc::new(steps), Mode::Tutorial, S);
        for key in ["o", "k"] {
            lesson.key(Key::Text(key.into()), S);
        }
        let field = rect(10, 300, 340, 60);
        let typing = FieldText { field, text: "ok".into(), typing: true, boxes: None };
        assert_eq!(lesson.field_text(), Some(typing));
        assert_eq!(lesson.key(Key::Enter, S), KeyOutcome::Right);
        let sending = FieldText { field, text: "ok".into(), typing: false, boxes: None };
        assert_eq!(lesson.field_text(), Some(sending), "the send step still shows the answer");
        lesson.tap(120.0, 120.0, S);
        assert_eq!(lesson.field_text(), None, "another screen has no such field");
    }

    #[test]
    fn typing_checks_the_answer_on_enter_and_keeps_the_text_to_correct() {
        let mut lesson = Lesson::start(activity(&[StepKind::Type]), Mode::Screening, S);
        assert_eq!(lesson.tap(20.0, 320.0, S), TapOutcome::Ignored);
        for c in ["o", "k", "k"] {
            assert_eq!(lesson.key(Key::Text(c.into()), 2 * S), KeyOutcome::Typed);
        }
        assert_eq!(lesson.key(Key::Enter, 3 * S), KeyOutcome::Wrong);
        assert_eq!((lesson.typed(), lesson.hint_level()), ("okk", 0));
        lesson.key(Key::Backspace, 4 * S);
        lesson.key(Key::Text(" ".into()), 4 * S);
        assert_eq!(lesson.key(Key::Enter, 5 * S), KeyOutcome::Right, "trimmed, any case");
        let step = &lesson.result(5 * S).steps[0];
        assert_eq!((step.done, step.wrong_taps, step.first_action_ms), (true, 1, Some(1000)));
    }

    #[test]
    fn a_finger_resting_on_a_key_does_not_grow_the_text_forever() {
        let mut lesson = Lesson::start(activity(&[StepKind::Type]), Mode::Screening, S);
        for _ in 0..1000 {
            lesson.key(Key::Text("a".into()), S);
        }
        assert_eq!(lesson.typed().len(), 64);
    }

    #[test]
    fn tutorials_go_back_and_keep_the_time_spent() {
        let mut lesson =
            Lesson::start(activity(&[StepKind::Show, StepKind::Tap]), Mode::Tutorial, Duration::ZERO);
        assert!(!lesson.can_go_back() && !lesson.can_skip());
        assert_eq!(lesson.tap(120.0, 120.0, S), TapOutcome::Ignored, "a show step waits for next");
        assert!(lesson.next(2 * S));
        assert!(lesson.back(5 * S));
        assert_eq!(lesson.index(), 0);
        assert!(lesson.next(6 * S));
        lesson.tap(120.0, 120.0, 7 * S);
        let result = lesson.result(7 * S);
        assert_eq!(result.ending, ItemEnding::Completed);
        assert_eq!(result.steps[0].time_ms, 3000, "2 s, then 1 s after coming back");
        assert_eq!(result.steps[1].time_ms, 4000, "3 s, then 1 s");
    }

    #[test]
    fn the_screening_never_goes_back_but_can_skip() {
        let mut lesson = Lesson::start(activity(&[StepKind::Tap, StepKind::Tap]), Mode::Screening, S);
        lesson.tap(120.0, 120.0, S);
        assert!(!lesson.back(S));
        assert!(lesson.skip(4 * S));
        let result = lesson.result(10 * S);
        assert_eq!(result.ending, ItemEnding::Skipped);
        assert_eq!(result.steps.len(), 2);
        assert!(!result.steps[1].done);
        assert_eq!(result.duration_ms, 3000);
    }

    #[test]
    fn a_screening_runs_its_items_in_order_and_fills_in_the_rest_when_left() {
        let items = vec![activity(&[StepKind::Tap]), activity(&[StepKind::Tap]), activity(&[StepKind::Tap])];
        let mut screening = Screening::start(items, Duration::ZERO).unwrap();
        assert_eq!(screening.position(), (0, 3));
        screening.lesson_mut().unwrap().tap(120.0, 120.0, S);
        assert!(screening.advance(S));
        assert_eq!(screening.position(), (1, 3));
        assert!(!screening.advance(2 * S), "the second one is still going");
        let results = screening.walked_away(30 * S);
        let endings: Vec<_> = results.iter().map(|r| r.ending).collect();
        assert_eq!(endings, [ItemEnding::Completed, ItemEnding::TimedOut, ItemEnding::NotReached]);
        assert!(screening.is_finished());
    }

    #[test]
    fn a_screening_without_items_does_not_start() {
        assert!(Screening::start(Vec::new(), Duration::ZERO).is_none());
    }
}
