//! Walks a pack's folders, parses every file and checks everything against everything: ids,
//! versions, DigComp codes, images and hotspots, words per language, audio. Every problem is
//! collected (never only the first); nothing here panics on content input.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

use super::image::{self, ImageFormat, ImageSize};
use super::manifest::{self, RawManifest, RawStep, key_line_after, line_at};
use super::wav;
use super::{
    Activity, ActivityKind, DIGCOMP_CODES, DIGCOMP_VERSIONS, Keyboard, Pack, Problem, Rect, Step, StepKind,
    StepText, Strings,
};
use crate::languages;

/// Loads and checks the pack in `dir`: `tutorials/<id>/tutorial.toml` and
/// `screening/<id>/item.toml`. `languages` are the languages every activity must have words
/// for. Returns the pack, or every problem found, in file order.
pub fn load_pack(dir: &Path, languages: &[&str]) -> Result<Pack, Vec<Problem>> {
    let mut problems = Vec::new();
    let tutorials_dir = dir.join("tutorials");
    let screening_dir = dir.join("screening");
    if !tutorials_dir.is_dir() && !screening_dir.is_dir() {
        problems.push(Problem {
            file: dir.to_path_buf(),
            line: None,
            message: "not a content pack: it has neither a tutorials/ nor a screening/ folder".into(),
        });
        return Err(problems);
    }
    let mut tutorials = Vec::new();
    let mut screening = Vec::new();
    for (folder, kind, out) in [
        (&tutorials_dir, ActivityKind::Tutorial, &mut tutorials),
        (&screening_dir, ActivityKind::Exercise, &mut screening),
    ] {
        for activity_dir in subfolders(folder, &mut problems) {
            if let Some(activity) = load_activity(&activity_dir, kind, languages, &mut problems) {
                out.push(activity);
            }
        }
    }
    let mut seen = BTreeMap::new();
    for activity in tutorials.iter().chain(&screening) {
        if let Some(first) = seen.insert(activity.id.clone(), activity.dir.clone()) {
            problems.push(Problem {
                file: manifest_path(&activity.dir, activity.kind),
                line: None,
                message: format!("duplicate id {:?}: {} has it too", activity.id, first.display()),
            });
        }
    }
    if problems.is_empty() {
        Ok(Pack { dir: dir.to_path_buf(), tutorials, screening })
    } else {
        Err(problems)
    }
}

fn manifest_path(dir: &Path, kind: ActivityKind) -> PathBuf {
    match kind {
        ActivityKind::Tutorial => dir.join("tutorial.toml"),
        ActivityKind::Exercise => dir.join("item.toml"),
    }
}

/// The folders inside `dir`, sorted; a missing `dir` is an empty pack section. Hidden entries
/// are skipped; stray files are problems.
fn subfolders(dir: &Path, problems: &mut Vec<Problem>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                problems.push(Problem {
                    file: dir.to_path_buf(),
                    line: None,
                    message: format!("cannot list: {e}"),
                });
                continue;
            }
        };
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            found.push(path);
        } else {
            problems.push(Problem {
                file: path,
                line: None,
                message: "a stray file: expected only folders here".into(),
            });
        }
    }
    found.sort();
    found
}

fn read_text(path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) => {
            let message = if e.kind() == std::io::ErrorKind::NotFound {
                "missing".to_owned()
            } else {
                format!("cannot read: {e}")
            };
            problems.push(Problem { file: path.to_path_buf(), line: None, message });
            None
        }
    }
}

fn load_activity(
    dir: &Path,
    kind: ActivityKind,
    required: &[&str],
    problems: &mut Vec<Problem>,
) -> Option<Activity> {
    let file = manifest_path(dir, kind);
    let text = read_text(&file, problems)?;
    let raw = match manifest::parse_manifest(&text) {
        Ok(raw) => raw,
        Err(e) => {
            problems.push(Problem { file, line: e.line, message: e.message });
            return None;
        }
    };
    let before = problems.len();
    let at = |span: std::ops::Range<usize>| Some(line_at(&text, span));
    let mut problem = |line: Option<usize>, message: String| {
        problems.push(Problem { file: file.clone(), line, message });
    };

    let folder_name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if raw.id.get_ref() != &folder_name {
        problem(
            at(raw.id.span()),
            format!("id {:?} must be the folder's name {folder_name:?}", raw.id.get_ref()),
        );
    }
    let version = u32::try_from(*raw.version.get_ref()).unwrap_or(0);
    if version < 1 {
        problem(at(raw.version.span()), format!("version = {}: must be 1 or more", raw.version.get_ref()));
    }
    if raw.digcomp.get_ref().is_empty() {
        problem(
            at(raw.digcomp.span()),
            "digcomp = []: name at least one DigComp competence, e.g. \"2.1\"".into(),
        );
    }
    for code in raw.digcomp.get_ref() {
        if !DIGCOMP_CODES.contains(&code.get_ref().as_str()) {
            problem(
                at(code.span()),
                format!(
                    "digcomp {:?} is not a DigComp 2.2 competence (1.1-1.3, 2.1-2.6, 3.1-3.4, 4.1-4.4, 5.1-5.4)",
                    code.get_ref()
                ),
            );
        }
    }
    let digcomp_version = match &raw.digcomp_version {
        Some(v) if !DIGCOMP_VERSIONS.contains(&v.get_ref().as_str()) => {
            problem(
                at(v.span()),
                format!("digcomp_version {:?}: must be one of {DIGCOMP_VERSIONS:?}", v.get_ref()),
            );
            v.get_ref().clone()
        }
        Some(v) => v.get_ref().clone(),
        None => "2.2".to_owned(),
    };
    if *raw.estimated_minutes.get_ref() == 0 {
        problem(at(raw.estimated_minutes.span()), "estimated_minutes = 0: must be 1 or more".into());
    }
    if languages::language(raw.ui_language.get_ref()).is_none() {
        problem(
            at(raw.ui_language.span()),
            format!("ui_language {:?} is not a language Loket knows", raw.ui_language.get_ref()),
        );
    }
    if raw.steps.is_empty() {
        problem(None, "no [[steps]]: an activity needs at least one step".into());
    }

    let mut steps = Vec::new();
    let mut step_ids = BTreeSet::new();
    let mut sizes: HashMap<PathBuf, Option<ImageSize>> = HashMap::new();
    for raw_step in &raw.steps {
        let id = raw_step.id.get_ref();
        if !step_ids.insert(id.clone()) {
            problem(at(raw_step.id.span()), format!("duplicate step id {id:?}"));
        }
        if let Some(step) = check_step(dir, &text, raw_step, &mut sizes, &mut problem) {
            steps.push(step);
        }
    }

    let icon = raw.icon.as_ref().and_then(|icon| {
        let line = Some(line_at(&text, icon.span()));
        let name = icon.get_ref();
        let path = inside_folder(dir, name)
            .ok_or_else(|| format!("icon {name:?}: must be a path inside the folder, like \"img/icon.svg\""));
        let checked = path.and_then(|path| {
            let format = ImageFormat::from_path(&path)
                .ok_or_else(|| format!("icon {name:?}: must be a PNG or SVG image"))?;
            if !path.is_file() {
                return Err(format!("icon {name:?}: image not found ({})", path.display()));
            }
            image::size(&path, format).map_err(|e| format!("icon {name:?}: {e}"))?;
            Ok(path)
        });
        checked.map_err(|message| problem(line, message)).ok()
    });

    let strings = load_strings(dir, &raw, required, problems);
    let audio = load_audio(dir, &step_ids, problems);
    if problems.len() > before {
        return None;
    }
    Some(Activity {
        kind,
        id: raw.id.into_inner(),
        version,
        digcomp: raw.digcomp.into_inner().into_iter().map(|c| c.into_inner()).collect(),
        digcomp_version,
        eds_foundation: raw.eds_foundation,
        estimated_minutes: raw.estimated_minutes.into_inner(),
        ui_language: raw.ui_language.into_inner(),
        icon,
        steps,
        strings,
        audio,
        dir: dir.to_path_buf(),
    })
}

fn check_step(
    dir: &Path,
    text: &str,
    raw: &RawStep,
    sizes: &mut HashMap<PathBuf, Option<ImageSize>>,
    problem: &mut impl FnMut(Option<usize>, String),
) -> Option<Step> {
    let id = raw.id.get_ref();
    let step_line = Some(line_at(text, raw.id.span()));
    let screen_line = Some(line_at(text, raw.screen.span()));
    let kind = *raw.kind.get_ref();
    let mut ok = true;
    let mut require = |present: bool, what: &str| {
        if !present {
            problem(step_line, format!("step {id:?}: a {} step needs {what}", kind.name()));
            ok = false;
        }
    };
    match kind {
        StepKind::Show => {}
        StepKind::Tap | StepKind::Choose => require(raw.target.is_some(), "a target = { x, y, w, h }"),
        StepKind::Type => {
            require(raw.field.is_some(), "a field = { x, y, w, h }");
            require(!raw.accept.is_empty(), "an accept list of answers");
        }
    }

    let keyboard = match &raw.keyboard {
        None => Keyboard::default(),
        Some(name) => match Keyboard::from_name(name.get_ref()) {
            Some(keyboard) if kind == StepKind::Type => keyboard,
            Some(_) => {
                problem(
                    Some(line_at(text, name.span())),
                    format!("step {id:?}: keyboard is only for a type step"),
                );
                ok = false;
                Keyboard::default()
            }
            None => {
                problem(
                    Some(line_at(text, name.span())),
                    format!(
                        "step {id:?}: keyboard {:?}: must be one of {:?}",
                        name.get_ref(),
                        Keyboard::NAMES
                    ),
                );
                ok = false;
                Keyboard::default()
            }
        },
    };

    let boxes = raw.boxes.as_ref().map(|b| (*b.get_ref(), line_at(text, b.span())));
    if let Some((count, line)) = boxes {
        if kind != StepKind::Type {
            problem(Some(line), format!("step {id:?}: boxes is only for a type step"));
            ok = false;
        } else if !(2..=12).contains(&count) {
            problem(Some(line), format!("step {id:?}: boxes = {count}: must be 2 to 12"));
            ok = false;
        }
    }

    let screen_name = raw.screen.get_ref();
    let relative = Path::new(screen_name);
    let Some(screen) = inside_folder(dir, screen_name) else {
        problem(
            screen_line,
            format!("screen {screen_name:?}: must be a path inside the folder, like \"img/home.svg\""),
        );
        return None;
    };
    let Some(format) = ImageFormat::from_path(relative) else {
        problem(screen_line, format!("screen {screen_name:?}: must be a PNG or SVG image"));
        return None;
    };
    let size = *sizes.entry(screen.clone()).or_insert_with(|| {
        if !screen.is_file() {
            problem(screen_line, format!("screen {screen_name:?}: image not found ({})", screen.display()));
            return None;
        }
        match image::size(&screen, format) {
            Ok(size) => Some(size),
            Err(e) => {
                problem(screen_line, format!("screen {screen_name:?}: {e}"));
                None
            }
        }
    });
    let size = size?;
    let named = [("highlight", &raw.highlight), ("target", &raw.target), ("field", &raw.field)];
    let rects = named
        .iter()
        .filter_map(|(name, rect)| rect.as_ref().map(|rect| (*name, rect)))
        .chain(raw.avoid.iter().map(|rect| ("avoid", rect)));
    for (name, rect) in rects {
        if !rect.get_ref().fits(size) {
            let Rect { x, y, w, h } = *rect.get_ref();
            problem(
                Some(line_at(text, rect.span())),
                format!(
                    "step {id:?}: {name} {{ x = {x}, y = {y}, w = {w}, h = {h} }} is empty or outside the {}×{} image {screen_name:?}",
                    size.width, size.height
                ),
            );
            ok = false;
        }
    }
    ok.then(|| Step {
        id: id.clone(),
        kind,
        screen,
        screen_size: size,
        highlight: raw.highlight.as_ref().map(|r| *r.get_ref()),
        target: raw.target.as_ref().map(|r| *r.get_ref()),
        field: raw.field.as_ref().map(|r| *r.get_ref()),
        avoid: raw.avoid.iter().map(|r| *r.get_ref()).collect(),
        hint_after_s: raw.hint_after_s,
        max_wrong_taps: raw.max_wrong_taps,
        accept: raw.accept.clone(),
        keyboard,
        boxes: boxes.map(|(count, _)| count),
    })
}

/// `name` as a path inside `dir`, or `None` when it is absolute or climbs out with `..`.
fn inside_folder(dir: &Path, name: &str) -> Option<PathBuf> {
    let relative = Path::new(name);
    let plain = !relative.is_absolute() && relative.components().all(|c| matches!(c, Component::Normal(_)));
    (plain && !name.is_empty()).then(|| dir.join(relative))
}

/// Reads every `strings/<lang>.toml`; the required languages must be there with a `say` for
/// every step.
fn load_strings(
    dir: &Path,
    raw: &RawManifest,
    required: &[&str],
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, Strings> {
    let strings_dir = dir.join("strings");
    let mut languages: BTreeSet<String> = required.iter().map(|l| (*l).to_owned()).collect();
    if let Ok(entries) = std::fs::read_dir(&strings_dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            match name.strip_suffix(".toml") {
                Some(code) if languages::language(code).is_some() => {
                    languages.insert(code.to_owned());
                }
                _ => problems.push(Problem {
                    file: path,
                    line: None,
                    message: "expected strings/<language>.toml, named by a language Loket knows (nl.toml, ar.toml, …)"
                        .into(),
                }),
            }
        }
    }
    let step_ids: Vec<&str> = raw.steps.iter().map(|s| s.id.get_ref().as_str()).collect();
    let mut all = BTreeMap::new();
    for code in languages {
        let file = strings_dir.join(format!("{code}.toml"));
        let is_required = required.contains(&code.as_str());
        if !file.exists() {
            if is_required {
                problems.push(Problem {
                    file,
                    line: None,
                    message: "missing: this language is required".into(),
                });
            }
            continue;
        }
        let Some(text) = read_text(&file, problems) else { continue };
        if let Some(strings) = parse_strings(&file, &text, &step_ids, is_required, problems) {
            all.insert(code, strings);
        }
    }
    all
}

fn parse_strings(
    file: &Path,
    text: &str,
    step_ids: &[&str],
    is_required: bool,
    problems: &mut Vec<Problem>,
) -> Option<Strings> {
    let table = match manifest::parse_strings(text) {
        Ok(table) => table,
        Err(e) => {
            problems.push(Problem { file: file.to_path_buf(), line: e.line, message: e.message });
            return None;
        }
    };
    let before = problems.len();
    let mut problem = |line: Option<usize>, message: String| {
        problems.push(Problem { file: file.to_path_buf(), line, message })
    };
    let mut title = None;
    let mut steps = BTreeMap::new();
    let mut step_lines = BTreeMap::new();
    for (key, value) in &table {
        let line = Some(line_at(text, key.span()));
        let name = key.get_ref().as_str();
        if name == "title" {
            match value.as_str() {
                Some(t) if !t.trim().is_empty() => title = Some(t.to_owned()),
                _ => problem(line, "title must be a non-empty text".into()),
            }
            continue;
        }
        let Some(entries) = value.as_table() else {
            problem(line, format!("unknown key {name:?} (expected title, or a [step] table)"));
            continue;
        };
        if !step_ids.contains(&name) {
            problem(
                line,
                format!(
                    "[{name}]: there is no step {name:?} in this activity (steps: {})",
                    step_ids.join(", ")
                ),
            );
            continue;
        }
        step_lines.insert(name, line);
        let mut say = None;
        let mut hint = None;
        for (entry, entry_value) in entries {
            let entry_line = key_line_after(text, key.span().start, entry).or(line);
            let slot = match entry.as_str() {
                "say" => &mut say,
                "hint" => &mut hint,
                _ => {
                    problem(entry_line, format!("[{name}]: unknown key {entry:?} (expected say or hint)"));
                    continue;
                }
            };
            match entry_value.as_str() {
                Some(t) if !t.trim().is_empty() => *slot = Some(t.to_owned()),
                _ => problem(entry_line, format!("[{name}].{entry} must be a non-empty text")),
            }
        }
        steps.insert(name.to_owned(), StepText { say, hint });
    }
    if title.is_none() && !table.keys().any(|k| k.get_ref() == "title") {
        problem(Some(1), "missing key \"title\"".into());
    }
    if is_required {
        for id in step_ids {
            match steps.get(*id) {
                None => {
                    problem(None, format!("missing translation: no [{id}] with say = \"…\" for step {id:?}"))
                }
                Some(StepText { say: None, .. }) => problem(
                    step_lines.get(id).copied().flatten(),
                    format!("missing translation: [{id}] has no say = \"…\""),
                ),
                Some(_) => {}
            }
        }
    }
    if problems.len() > before {
        return None;
    }
    Some(Strings { title: title.unwrap_or_default(), steps })
}

/// Reads `audio/<lang>/<step>.wav` (played with aplay): each file must name a known language and a step, and be
/// a WAV recording the kiosk can play ([`wav::check_file`]). Audio without words in that language is allowed
/// (the words fall back to Dutch).
fn load_audio(
    dir: &Path,
    step_ids: &BTreeSet<String>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<(String, String), PathBuf> {
    let mut audio = BTreeMap::new();
    let Ok(languages) = std::fs::read_dir(dir.join("audio")) else { return audio };
    for language in languages.flatten() {
        let code = language.file_name().to_string_lossy().into_owned();
        if code.starts_with('.') {
            continue;
        }
        let language_dir = language.path();
        if !language_dir.is_dir() || languages::language(&code).is_none() {
            problems.push(Problem {
                file: language_dir,
                line: None,
                message: "expected audio/<language>/ named by a language Loket knows".into(),
            });
            continue;
        }
        let Ok(files) = std::fs::read_dir(&language_dir) else { continue };
        for file in files.flatten() {
            let path = file.path();
            let name = file.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            match name.strip_suffix(".wav") {
                Some(step) if step_ids.contains(step) => match wav::check_file(&path) {
                    Ok(_) => {
                        audio.insert((code.clone(), step.to_owned()), path);
                    }
                    Err(reason) => problems.push(Problem {
                        file: path,
                        line: None,
                        message: format!("not a WAV recording the kiosk can play: {reason}"),
                    }),
                },
                Some(step) => problems.push(Problem {
                    file: path,
                    line: None,
                    message: format!("audio for step {step:?}, which this activity does not have"),
                }),
                None => problems.push(Problem {
                    file: path,
                    line: None,
                    message: "expected <step>.wav (a WAV recording)".into(),
                }),
            }
        }
    }
    audio
}
