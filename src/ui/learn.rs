//! The learning screens: the tutorial catalogue, the screening's intro, a lesson step (a
//! tutorial step or a screening task) and the end screen ("well done", or the screening's
//! result with its code). It fills their adapters from the content pack and the [`Lesson`] in
//! progress, reads the instruction aloud, and hands finished runs to the help point to be
//! scored and stored. On the screening's result it reads the code aloud and can take a queue
//! ticket for the desk with the code on it.
//!
//! It must not hold lesson or scoring rules: `lesson` decides what a tap means, `screening`
//! what a result is worth.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use slint::{ComponentHandle, Image, ModelRc, SharedString, VecModel};

use super::Shared;
use crate::content::{Activity, Keyboard, Pack, StepKind, Strings};
use crate::lesson::{Key, KeyOutcome, Lesson, Mode, Screening, TapOutcome};
use crate::screening::{ItemEnding, Level, ScreeningRun, TutorialRun};
use crate::speech::{Reader, Reading};
use crate::visit::Screen as VisitScreen;
use crate::{
    AppWindow, CatalogueAdapter, Feedback, LessonAdapter, LessonDoneAdapter, ScreeningIntroAdapter,
    ServicesAdapter, StepAction, TutorialTile,
};

/// How long "Good!" or "Try again" stays.
const FEEDBACK: Duration = Duration::from_millis(1500);

/// Suggested tutorials on the screening's result screen, at most.
const SUGGESTIONS: usize = 3;

/// The smallest text on a mock screen, in window pixels (WCAG's readable minimum for a kiosk
/// read at arm's length), and the smallest target (WCAG 2.5.5).
pub const READABLE_TEXT_PX: f32 = 12.0;
pub const TOUCH_TARGET_PX: f32 = 44.0;

/// The most the phone is zoomed (beyond that a lesson's pictures need redrawing).
const MOST_ZOOM: f32 = 2.0;

/// What the learning screens share: the pack, the voice and the run in progress.
pub(super) struct Learning {
    pack: Option<Arc<Pack>>,
    reader: Option<Reader>,
    run: RefCell<Option<Run>>,
    /// Time since the kiosk started, advanced by the tick timer (so mocked time works too).
    clock: Cell<Duration>,
    feedback_left: Cell<Duration>,
    images: RefCell<HashMap<PathBuf, Image>>,
    /// The smallest text on each mock screen read so far, in its own pixels.
    smallest_text: RefCell<HashMap<PathBuf, Option<f32>>>,
    /// The screening result on screen, once stored: what "take a ticket" needs.
    result: RefCell<Option<DeskResult>>,
}

/// A stored screening result, as the result screen offers it to the desk.
#[derive(Debug, Clone)]
struct DeskResult {
    code: String,
    /// The service a ticket from the result screen is for; `None`: no ticket offered.
    service: Option<String>,
}

/// A tutorial or the screening, in progress.
enum Run {
    Tutorial { lesson: Lesson, language: String, started_at: jiff::Timestamp },
    Screening { screening: Screening, language: String, started_at: jiff::Timestamp },
}

impl Run {
    fn lesson(&self) -> Option<&Lesson> {
        match self {
            Run::Tutorial { lesson, .. } => Some(lesson),
            Run::Screening { screening, .. } => screening.lesson(),
        }
    }

    fn lesson_mut(&mut self) -> Option<&mut Lesson> {
        match self {
            Run::Tutorial { lesson, .. } => Some(lesson),
            Run::Screening { screening, .. } => screening.lesson_mut(),
        }
    }
}

impl Learning {
    pub(super) fn new(pack: Option<Arc<Pack>>, reader: Option<Reader>) -> Learning {
        Learning {
            pack,
            reader,
            run: RefCell::new(None),
            clock: Cell::new(Duration::ZERO),
            feedback_left: Cell::new(Duration::ZERO),
            images: RefCell::new(HashMap::new()),
            smallest_text: RefCell::new(HashMap::new()),
            result: RefCell::new(None),
        }
    }

    /// Whether the kiosk offers learning: a pack with at least one tutorial or exercise.
    pub(super) fn offered(&self) -> bool {
        self.pack.as_ref().is_some_and(|p| !p.tutorials.is_empty() || !p.screening.is_empty())
    }

    fn now(&self) -> Duration {
        self.clock.get()
    }

    /// Window pixels per mock-screen pixel that `activity` needs at least: its smallest text
    /// at [`READABLE_TEXT_PX`], its smallest target at [`TOUCH_TARGET_PX`]. One zoom for the
    /// whole lesson, so the phone does not jump between steps.
    fn readable_scale(&self, activity: &Activity) -> f32 {
        let mut cache = self.smallest_text.borrow_mut();
        let mut needed: f32 = 0.0;
        for step in &activity.steps {
            let text = *cache.entry(step.screen.clone()).or_insert_with(|| {
                std::fs::read_to_string(&step.screen)
                    .ok()
                    .and_then(|svg| crate::content::image::smallest_text(&svg))
            });
            if let Some(size) = text.filter(|s| *s > 0.0) {
                needed = needed.max(READABLE_TEXT_PX / size);
            }
            if let Some(target) = step.target {
                let side = target.w.min(target.h).max(1) as f32;
                needed = needed.max(TOUCH_TARGET_PX / side);
            }
        }
        needed.min(MOST_ZOOM)
    }

    fn image(&self, path: &Path) -> Image {
        self.images
            .borrow_mut()
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                Image::load_from_path(path).unwrap_or_else(|e| {
                    log::error!("cannot show {}: {e}", path.display());
                    Image::default()
                })
            })
            .clone()
    }
}

pub(super) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let services = window.global::<ServicesAdapter>();
    let s = shared.clone();
    services.on_learn(move || {
        s.visit.borrow_mut().go_to(VisitScreen::Catalogue);
        s.show();
    });
    let s = shared.clone();
    services.on_check_skills(move || {
        s.visit.borrow_mut().go_to(VisitScreen::ScreeningIntro);
        s.show();
    });

    let catalogue = window.global::<CatalogueAdapter>();
    let s = shared.clone();
    catalogue.on_open(move |id| start_tutorial(&s, &id));
    let s = shared.clone();
    catalogue.on_back(move || {
        s.visit.borrow_mut().back_to_services();
        s.show();
    });

    let intro = window.global::<ScreeningIntroAdapter>();
    let s = shared.clone();
    intro.on_start(move || start_screening(&s));
    let s = shared.clone();
    intro.on_back(move || {
        s.visit.borrow_mut().back_to_services();
        s.show();
    });

    let lesson = window.global::<LessonAdapter>();
    let s = shared.clone();
    lesson.on_tapped(move |x, y| {
        let now = s.learning.now();
        let outcome = with_lesson(&s, |lesson| lesson.tap(x, y, now));
        match outcome {
            Some(TapOutcome::Right) => feedback(&s, Feedback::Right),
            Some(TapOutcome::Wrong | TapOutcome::Risky) => feedback(&s, Feedback::TryAgain),
            _ => {}
        }
        after_action(&s);
    });
    let s = shared.clone();
    lesson.on_key(move |key| {
        let now = s.learning.now();
        let key = match key.as_str() {
            "backspace" => Key::Backspace,
            "enter" => Key::Enter,
            text => Key::Text(text.to_owned()),
        };
        match with_lesson(&s, |lesson| lesson.key(key, now)) {
            Some(KeyOutcome::Right) => feedback(&s, Feedback::Right),
            Some(KeyOutcome::Wrong) => feedback(&s, Feedback::TryAgain),
            _ => {}
        }
        after_action(&s);
    });
    let s = shared.clone();
    lesson.on_next(move || {
        let now = s.learning.now();
        with_lesson(&s, |lesson| lesson.next(now));
        after_action(&s);
    });
    let s = shared.clone();
    lesson.on_back(move || {
        let now = s.learning.now();
        with_lesson(&s, |lesson| lesson.back(now));
        after_action(&s);
    });
    let s = shared.clone();
    lesson.on_skip(move || {
        let now = s.learning.now();
        with_lesson(&s, |lesson| lesson.skip(now));
        after_action(&s);
    });
    let s = shared.clone();
    lesson.on_replay(move || {
        s.visit.borrow_mut().touched();
        read_aloud(&s);
    });
    let s = shared.clone();
    lesson.on_stop(move || {
        if let Some(window) = s.window.upgrade() {
            window.global::<LessonAdapter>().set_confirm_stop(false);
        }
        stop(&s);
        s.visit.borrow_mut().back_to_services();
        s.show();
    });

    let done = window.global::<LessonDoneAdapter>();
    let s = shared.clone();
    done.on_open(move |id| start_tutorial(&s, &id));
    let s = shared.clone();
    done.on_more(move || {
        s.visit.borrow_mut().go_to(VisitScreen::Catalogue);
        s.show();
    });
    let s = shared.clone();
    done.on_listen(move || {
        s.visit.borrow_mut().touched();
        read_result_aloud(&s);
    });
    let s = shared.clone();
    done.on_take_ticket(move || take_ticket_for_desk(&s));
    let s = shared.clone();
    done.on_finish(move || {
        s.visit.borrow_mut().back_to_welcome();
        s.show();
    });
}

/// Fills the screen the visit is on (called by `Shared::show`).
pub(super) fn fill(window: &AppWindow, shared: &Shared, screen: VisitScreen, language: &str) {
    match screen {
        VisitScreen::Services => {
            window.global::<ServicesAdapter>().set_learning(shared.learning.offered());
        }
        VisitScreen::Catalogue => fill_catalogue(window, shared, language),
        VisitScreen::ScreeningIntro => {
            let items = shared.learning.pack.as_ref().map_or(&[][..], |p| &p.screening[..]);
            let intro = window.global::<ScreeningIntroAdapter>();
            intro.set_tasks(items.len() as i32);
            intro.set_minutes(items.iter().map(|i| i.estimated_minutes).sum::<u32>() as i32);
            intro.set_reported(shared.config.report.central_url.is_some());
        }
        VisitScreen::Lesson => fill_lesson(window, shared),
        _ => {}
    }
}

/// Time passed: hints that come with time, and the feedback that goes.
pub(super) fn tick(shared: &Shared, elapsed: Duration) {
    let learning = &shared.learning;
    learning.clock.set(learning.clock.get() + elapsed);
    let now = learning.now();
    let mut changed = with_lesson(shared, |lesson| lesson.tick(now)).unwrap_or(false);
    let left = learning.feedback_left.get();
    if !left.is_zero() {
        let left = left.saturating_sub(elapsed);
        learning.feedback_left.set(left);
        changed |= left.is_zero();
    }
    if changed
        && shared.visit.borrow().screen() == VisitScreen::Lesson
        && let Some(window) = shared.window.upgrade()
    {
        fill_lesson(&window, shared);
    }
}

/// The kiosk went back to the start during a run: it is recorded as left.
pub(super) fn walked_away(shared: &Shared) {
    if let Some(window) = shared.window.upgrade() {
        window.global::<LessonAdapter>().set_confirm_stop(false);
    }
    shared.learning.result.replace(None);
    stop(shared);
}

/// Ends the run in progress as not finished, and records it.
fn stop(shared: &Shared) {
    let Some(run) = shared.learning.run.borrow_mut().take() else { return };
    let now = shared.learning.now();
    match run {
        Run::Tutorial { mut lesson, language, started_at } => {
            lesson.walked_away(now);
            record_tutorial(shared, &lesson, language, started_at, now);
        }
        Run::Screening { mut screening, language, started_at } => {
            let items = screening.walked_away(now);
            let run = ScreeningRun {
                instructions_language: screening_shown_in(shared, &language),
                language,
                started_at,
                ended_at: shared.help_point.now(),
                finished: false,
                items,
            };
            let sent = shared.help_point.send(move |hp| {
                if let Err(e) = hp.record_screening(run) {
                    log::error!("a screening that was left could not be stored: {e}");
                }
            });
            if let Err(e) = sent {
                log::error!("a screening that was left could not be stored: {e}");
            }
        }
    }
}

/// The words of `activity` in `language`, else Dutch, else English (Dutch and English are
/// required by the pack's checks, so one of them is there).
fn words<'a>(activity: &'a Activity, language: &str) -> Option<&'a Strings> {
    [language, "nl", "en"].iter().find_map(|l| activity.strings.get(*l)).or(activity.strings.values().next())
}

/// The language `activity`'s instructions are shown in when it is not `language` (the pack
/// lacks it, for the activity or one of its steps), else `None`.
fn shown_in(activity: &Activity, language: &str) -> Option<String> {
    let own = activity.strings.get(language);
    let complete = own
        .is_some_and(|w| activity.steps.iter().all(|s| w.steps.get(&s.id).is_some_and(|t| t.say.is_some())));
    if complete {
        return None;
    }
    // A step without its words in the language falls back to Dutch (see `fill_lesson`).
    let fallback = ["nl", "en"].into_iter().find(|l| activity.strings.contains_key(*l));
    Some(fallback.map_or_else(|| activity.strings.keys().next().cloned().unwrap_or_default(), str::to_owned))
}

/// The first language other than `language` the screening's exercises were shown in, if any.
fn screening_shown_in(shared: &Shared, language: &str) -> Option<String> {
    shared.learning.pack.iter().flat_map(|p| &p.screening).find_map(|a| shown_in(a, language))
}

fn title(activity: &Activity, language: &str) -> String {
    words(activity, language).map_or_else(|| activity.id.clone(), |w| w.title.clone())
}

fn tile(shared: &Shared, activity: &Activity, language: &str) -> TutorialTile {
    TutorialTile {
        id: activity.id.as_str().into(),
        title: title(activity, language).into(),
        minutes: activity.estimated_minutes as i32,
        has_icon: activity.icon.is_some(),
        icon: activity.icon.as_deref().map(|p| shared.learning.image(p)).unwrap_or_default(),
    }
}

/// The catalogue offers the tutorials that have the visitor's language; when none has it, all
/// of them (in Dutch, else English), and the run records the language they were shown in.
fn fill_catalogue(window: &AppWindow, shared: &Shared, language: &str) {
    let tutorials: Vec<&Activity> = shared.learning.pack.iter().flat_map(|p| &p.tutorials).collect();
    let in_language: Vec<&Activity> =
        tutorials.iter().copied().filter(|t| t.strings.contains_key(language)).collect();
    let offered = if in_language.is_empty() { tutorials } else { in_language };
    let tiles: Vec<TutorialTile> = offered.into_iter().map(|t| tile(shared, t, language)).collect();
    window.global::<CatalogueAdapter>().set_tutorials(ModelRc::new(VecModel::from(tiles)));
}

fn start_tutorial(shared: &Rc<Shared>, id: &str) {
    let Some(activity) = shared.learning.pack.as_ref().and_then(|p| p.tutorials.iter().find(|t| t.id == id))
    else {
        log::error!("no tutorial {id:?} in the content pack");
        return;
    };
    stop(shared);
    let lesson = Lesson::start(Arc::new(activity.clone()), Mode::Tutorial, shared.learning.now());
    let started_at = shared.help_point.now();
    *shared.learning.run.borrow_mut() =
        Some(Run::Tutorial { lesson, language: shared.language(), started_at });
    shared.learning.feedback_left.set(Duration::ZERO);
    if let Some(window) = shared.window.upgrade() {
        window.global::<LessonAdapter>().set_confirm_stop(false);
    }
    shared.visit.borrow_mut().go_to(VisitScreen::Lesson);
    shared.show();
    read_aloud(shared);
}

fn start_screening(shared: &Rc<Shared>) {
    let items: Vec<Arc<Activity>> =
        shared.learning.pack.iter().flat_map(|p| &p.screening).map(|a| Arc::new(a.clone())).collect();
    let Some(screening) = Screening::start(items, shared.learning.now()) else {
        log::error!("the content pack has no screening exercises");
        return;
    };
    stop(shared);
    let started_at = shared.help_point.now();
    *shared.learning.run.borrow_mut() =
        Some(Run::Screening { screening, language: shared.language(), started_at });
    shared.learning.feedback_left.set(Duration::ZERO);
    if let Some(window) = shared.window.upgrade() {
        window.global::<LessonAdapter>().set_confirm_stop(false);
    }
    shared.visit.borrow_mut().go_to(VisitScreen::Lesson);
    shared.show();
    read_aloud(shared);
}

/// Runs `f` on the lesson on screen, if any, as a touch.
fn with_lesson<T>(shared: &Shared, f: impl FnOnce(&mut Lesson) -> T) -> Option<T> {
    let mut run = shared.learning.run.borrow_mut();
    let lesson = run.as_mut()?.lesson_mut()?;
    Some(f(lesson))
}

/// "Good!" or "Try again" for a moment.
fn feedback(shared: &Shared, kind: Feedback) {
    shared.learning.feedback_left.set(FEEDBACK);
    if let Some(window) = shared.window.upgrade() {
        window.global::<LessonAdapter>().set_feedback(kind);
    }
}

/// After every action in a lesson: move on to the next task, or finish, and redraw.
fn after_action(shared: &Rc<Shared>) {
    shared.visit.borrow_mut().touched();
    let now = shared.learning.now();
    let (step_before, ended) = {
        let run = shared.learning.run.borrow();
        let Some(run) = run.as_ref() else { return };
        (
            run.lesson().map(|l| (l.activity().id.clone(), l.index())),
            run.lesson().is_none_or(Lesson::has_ended),
        )
    };
    if ended {
        // The borrow of the run ends before `finish`, which shows other screens.
        let finished = {
            let mut run = shared.learning.run.borrow_mut();
            let done = match run.as_mut() {
                Some(Run::Screening { screening, .. }) => {
                    screening.advance(now);
                    screening.is_finished()
                }
                Some(Run::Tutorial { .. }) => true,
                None => return,
            };
            if done { run.take() } else { None }
        };
        if let Some(run) = finished {
            finish(shared, run);
            return;
        }
    }
    let step_after = {
        let run = shared.learning.run.borrow();
        run.as_ref().and_then(Run::lesson).map(|l| (l.activity().id.clone(), l.index()))
    };
    if let Some(window) = shared.window.upgrade() {
        fill_lesson(&window, shared);
    }
    if step_after != step_before {
        read_aloud(shared);
    }
}

/// A run reached its end: record it and show the end screen.
fn finish(shared: &Rc<Shared>, run: Run) {
    let now = shared.learning.now();
    let Some(window) = shared.window.upgrade() else { return };
    let done = window.global::<LessonDoneAdapter>();
    match run {
        Run::Tutorial { lesson, language, started_at } => {
            record_tutorial(shared, &lesson, language.clone(), started_at, now);
            done.set_screening(false);
            done.set_title(title(lesson.activity(), &language).into());
        }
        Run::Screening { screening, language, started_at } => {
            let items = screening.results().to_vec();
            let run = ScreeningRun {
                language: language.clone(),
                instructions_language: screening_shown_in(shared, &language),
                started_at,
                ended_at: shared.help_point.now(),
                finished: true,
                items: items.clone(),
            };
            let (language_shown, items_shown) = (language.clone(), items.clone());
            // Shown at once, the code when the help point has stored the result.
            done.set_screening(true);
            done.set_saving(true);
            done.set_not_stored(false);
            done.set_ticket_asked(false);
            done.set_ticket_offered(false);
            shared.learning.result.replace(None);
            done.set_code(SharedString::new());
            done.set_can_already(ModelRc::default());
            done.set_practise(ModelRc::default());
            done.set_suggestions(ModelRc::default());
            let inbox = shared.inbox.borrow().clone();
            let sent = inbox.ok_or(crate::owner::Stopped).and_then(|inbox| {
                shared.help_point.then(
                    move |hp| hp.record_screening(run).map_err(|e| e.to_string()),
                    move |record| inbox.post(super::News::ScreeningRecorded { language, items, record }),
                )
            });
            if let Err(e) = sent {
                screening_recorded(&window, shared, &language_shown, &items_shown, Err(e.to_string()));
            }
        }
    }
    shared.visit.borrow_mut().go_to(VisitScreen::LessonDone);
    shared.show();
}

/// The help point stored a finished screening (or could not): fill the end screen with the
/// result code and what the learner can already do and may practise.
pub(super) fn screening_recorded(
    window: &AppWindow,
    shared: &Shared,
    language: &str,
    items: &[crate::screening::ItemResult],
    recorded: Result<crate::screening::ScreeningRecord, String>,
) {
    let done = window.global::<LessonDoneAdapter>();
    done.set_saving(false);
    let pack = shared.learning.pack.clone();
    let exercise = |id: &str| pack.as_ref().and_then(|p| p.screening.iter().find(|a| a.id == id));
    let named = |level_ok: fn(Level) -> bool, levels: &[(String, Level)]| -> Vec<TutorialTile> {
        levels
            .iter()
            .filter(|(_, level)| level_ok(*level))
            .filter_map(|(id, _)| exercise(id).map(|a| tile(shared, a, language)))
            .collect()
    };
    match recorded {
        Ok(record) => {
            done.set_not_stored(false);
            done.set_code(record.code.as_str().into());
            done.set_can_listen(crate::speech::espeak_voice(&shared.language()).is_some());
            let service = crate::screening::desk_service(&shared.config.services, &record.referral);
            done.set_ticket_offered(service.is_some());
            shared
                .learning
                .result
                .replace(Some(DeskResult { code: record.code.clone(), service: service.map(str::to_owned) }));
            let already = named(|l| l == Level::OnOwn, &record.items);
            let practise = named(|l| l != Level::OnOwn, &record.items);
            done.set_can_already(ModelRc::new(VecModel::from(already)));
            done.set_practise(ModelRc::new(VecModel::from(practise)));
            let to_practise: Vec<&str> = record
                .competences
                .iter()
                .filter(|(_, level)| *level != Level::OnOwn)
                .map(|(code, _)| code.as_str())
                .collect();
            let suggestions: Vec<TutorialTile> = pack
                .iter()
                .flat_map(|p| &p.tutorials)
                .filter(|t| t.digcomp.iter().any(|c| to_practise.contains(&c.as_str())))
                .take(SUGGESTIONS)
                .map(|t| tile(shared, t, language))
                .collect();
            done.set_suggestions(ModelRc::new(VecModel::from(suggestions)));
            read_result_aloud(shared);
        }
        Err(e) => {
            log::error!("a finished screening could not be stored: {e}");
            done.set_not_stored(true);
            done.set_code(SharedString::new());
            let finished = items.iter().filter(|i| i.ending == ItemEnding::Completed);
            let titles: Vec<TutorialTile> =
                finished.filter_map(|i| exercise(&i.item_id).map(|a| tile(shared, a, language))).collect();
            done.set_can_already(ModelRc::new(VecModel::from(titles)));
            done.set_practise(ModelRc::default());
            done.set_suggestions(ModelRc::default());
        }
    }
}

fn record_tutorial(
    shared: &Shared,
    lesson: &Lesson,
    language: String,
    started_at: jiff::Timestamp,
    now: Duration,
) {
    let result = lesson.result(now);
    let activity = lesson.activity();
    let run = TutorialRun {
        tutorial_id: activity.id.clone(),
        version: activity.version,
        digcomp: activity.digcomp.clone(),
        instructions_language: shown_in(activity, &language),
        language,
        started_at,
        ended_at: shared.help_point.now(),
        completed: result.ending == ItemEnding::Completed,
        steps_done: result.steps.iter().filter(|s| s.done).count() as u32,
        steps_total: activity.steps.len() as u32,
        hints: result.steps.iter().filter(|s| s.hint_level > 0).count() as u32,
        wrong_taps: result.steps.iter().map(|s| s.wrong_taps).sum(),
    };
    let id = activity.id.clone();
    let sent = shared.help_point.send(move |hp| {
        if let Err(e) = hp.record_tutorial(run) {
            log::error!("tutorial {id} not stored: {e}");
        }
    });
    if let Err(e) = sent {
        log::error!("tutorial {} not stored: {e}", activity.id);
    }
}

/// Reads the screening's result aloud: the sentence above the code, then the code one
/// character at a time. In the language the screen shows the sentence in: the learner's when
/// the kiosk has its screen texts, else English (as on screen), never passed off as theirs.
fn read_result_aloud(shared: &Shared) {
    let Some(reader) = &shared.learning.reader else { return };
    let Some(result) = shared.learning.result.borrow().clone() else { return };
    let Some(window) = shared.window.upgrade() else { return };
    let language = shared.language();
    let shown_in =
        if slint::select_bundled_translation(&language).is_ok() { language } else { "en".to_owned() };
    let intro = window.global::<LessonDoneAdapter>().get_spoken_intro();
    let text = format!("{intro} {}.", crate::screening::spelled_code(&result.code));
    reader.read(Reading { text, language: shown_in, recording: None });
}

/// "Take a ticket for the desk": a queue ticket with the result code on it, then the ticket
/// screen as after a tap on a service.
fn take_ticket_for_desk(shared: &Rc<Shared>) {
    let Some(window) = shared.window.upgrade() else { return };
    let done = window.global::<LessonDoneAdapter>();
    let Some(DeskResult { code, service: Some(service) }) = shared.learning.result.borrow().clone() else {
        return;
    };
    if done.get_ticket_asked() {
        return;
    }
    done.set_ticket_asked(true);
    shared.visit.borrow_mut().touched();
    let Some(inbox) = shared.inbox.borrow().clone() else { return };
    let language = shared.language();
    let asked_in = language.clone();
    let sent = shared.help_point.then(
        move |hp| {
            hp.take_ticket_with_code(&service, &asked_in, Some(&code))
                .map_err(|e| format!("no ticket for {service} from the screening's result: {e}"))
        },
        move |issued| inbox.post(super::News::TicketTaken { language, issued }),
    );
    if let Err(e) = sent {
        log::error!("no ticket from the screening's result: {e}");
        done.set_ticket_asked(false);
    }
}

/// Reads the step's instruction aloud: the pack's recording if there is one, else the words.
fn read_aloud(shared: &Shared) {
    let Some(reader) = &shared.learning.reader else { return };
    let language = shared.language();
    let run = shared.learning.run.borrow();
    let Some(lesson) = run.as_ref().and_then(Run::lesson) else { return };
    let activity = lesson.activity();
    let step = lesson.step();
    let Some(say) =
        words(activity, &language).and_then(|w| w.steps.get(&step.id)).and_then(|t| t.say.clone())
    else {
        return;
    };
    // The words fall back to Dutch when the language has none: then they are read in Dutch.
    let spoken_in = if activity.strings.get(&language).and_then(|w| w.steps.get(&step.id)).is_some() {
        language.clone()
    } else {
        "nl".to_owned()
    };
    let recording = activity.audio.get(&(spoken_in.clone(), step.id.clone())).cloned();
    reader.read(Reading { text: say, language: spoken_in, recording });
}

/// Puts the lesson on screen: the mock screen, the words, the hint, the buttons.
fn fill_lesson(window: &AppWindow, shared: &Shared) {
    let language = shared.language();
    let run = shared.learning.run.borrow();
    let Some(run) = run.as_ref() else { return };
    let Some(lesson) = run.lesson() else { return };
    let adapter = window.global::<LessonAdapter>();
    let activity = lesson.activity();
    let step = lesson.step();
    let text = words(activity, &language).and_then(|w| w.steps.get(&step.id));
    // A step's words can be missing in an optional language: then Dutch.
    let dutch = activity.strings.get("nl").and_then(|w| w.steps.get(&step.id));
    let say = text.and_then(|t| t.say.clone()).or_else(|| dutch.and_then(|t| t.say.clone()));
    let hint = text.and_then(|t| t.hint.clone()).or_else(|| dutch.and_then(|t| t.hint.clone()));
    adapter.set_title(title(activity, &language).into());
    adapter.set_screening(matches!(run, Run::Screening { .. }));
    if let Run::Screening { screening, .. } = run {
        let (done, count) = screening.position();
        adapter.set_task(done as i32 + 1);
        adapter.set_tasks(count as i32);
    }
    adapter.set_step(lesson.index() as i32 + 1);
    adapter.set_steps(lesson.step_count() as i32);
    adapter.set_screen(shared.learning.image(&step.screen));
    adapter.set_screen_width(step.screen_size.width as f32);
    adapter.set_screen_height(step.screen_size.height as f32);
    adapter.set_readable_scale(shared.learning.readable_scale(activity));
    // The part of the picture the step is about, kept in view on a zoomed phone.
    let focus = step.target.or(step.field).or(step.highlight).or(lesson.marked_spot());
    adapter.set_focus_y(focus.map_or(0.0, |r| r.y as f32));
    adapter.set_focus_h(focus.map_or(0.0, |r| r.h as f32));
    // As `read_step` reads it: in the language of the words shown, from a recording or a voice.
    let own_words = activity.strings.get(&language).and_then(|w| w.steps.get(&step.id)).is_some();
    let spoken_in = if own_words { language.as_str() } else { "nl" };
    adapter.set_can_listen(
        activity.audio.contains_key(&(spoken_in.to_owned(), step.id.clone()))
            || crate::speech::espeak_voice(spoken_in).is_some(),
    );
    adapter.set_say(say.unwrap_or_default().into());
    adapter.set_hint(hint.unwrap_or_default().into());
    adapter.set_hint_level(lesson.hint_level().into());
    adapter.set_action(match step.kind {
        StepKind::Show => StepAction::Show,
        StepKind::Tap | StepKind::Choose => StepAction::Tap,
        StepKind::Type => StepAction::Type,
    });
    adapter.set_digits(step.keyboard == Keyboard::Digits);
    let mark = lesson.marked_spot();
    adapter.set_mark(mark.is_some());
    if let Some(r) = mark {
        adapter.set_mark_x(r.x as f32);
        adapter.set_mark_y(r.y as f32);
        adapter.set_mark_w(r.w as f32);
        adapter.set_mark_h(r.h as f32);
    }
    let field = lesson.field_text();
    adapter.set_field(field.is_some());
    if let Some(field) = &field {
        let r = field.field;
        adapter.set_field_x(r.x as f32);
        adapter.set_field_y(r.y as f32);
        adapter.set_field_w(r.w as f32);
        adapter.set_field_h(r.h as f32);
        adapter.set_field_cursor(field.typing);
        adapter.set_field_boxes(field.boxes.unwrap_or(0) as i32);
    }
    let shown = field.map(|f| f.text).unwrap_or_default();
    let chars: Vec<SharedString> = shown.chars().map(|c| c.to_string().into()).collect();
    adapter.set_field_chars(ModelRc::new(VecModel::from(chars)));
    adapter.set_typed(shown.into());
    adapter.set_can_next(lesson.can_go_next());
    adapter.set_can_back(lesson.can_go_back());
    adapter.set_can_skip(lesson.can_skip());
    if shared.learning.feedback_left.get().is_zero() {
        adapter.set_feedback(Feedback::None);
    }
}
