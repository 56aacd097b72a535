//! Content packs: the starter content is valid, broken packs are refused with file, line and
//! what is wrong, `loket content check` exits 2 on them, and the library keeps the last good pack.

use std::path::{Path, PathBuf};
use std::process::Command;

use loket::content::{ContentLibrary, Problem, REQUIRED_LANGUAGES, load_pack};

fn starter() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the starter pack with `file` (relative to the pack) changed by `edit`.
fn broken(file: &str, edit: impl FnOnce(String) -> String) -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let pack = temp.path().join("content");
    copy_dir(&starter(), &pack);
    let path = pack.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let changed = edit(text.clone());
    assert_ne!(changed, text, "the edit changed nothing");
    std::fs::write(&path, changed).unwrap();
    (temp, pack)
}

fn line_of(pack: &Path, file: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(pack.join(file)).unwrap();
    text.lines().position(|l| l.contains(needle)).expect("needle") + 1
}

fn only_problem(pack: &Path) -> Problem {
    let problems = load_pack(pack, REQUIRED_LANGUAGES).expect_err("the broken pack was accepted");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    problems.into_iter().next().unwrap()
}

#[test]
fn the_starter_content_is_valid() {
    let pack = load_pack(&starter(), REQUIRED_LANGUAGES).unwrap_or_else(|problems| {
        panic!("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
    });
    // The starter set: at least six tutorials and the eight screening exercises.
    assert!(pack.tutorials.len() >= 6, "{} tutorials", pack.tutorials.len());
    assert_eq!(pack.screening.len(), 8);
    // Every language a help point may offer to visitors: the lessons never fall back to Dutch.
    assert_eq!(
        pack.languages().into_iter().collect::<Vec<_>>(),
        ["ar", "en", "es", "fa", "fr", "nl", "prs", "ps", "ro", "ru", "so", "ti", "tr", "uk"]
    );
    let email = pack.tutorials.iter().find(|t| t.id == "t02-email").unwrap();
    assert_eq!(email.steps.len(), 5);
    assert_eq!(email.steps[0].screen_size.width, 360);
    assert_eq!(email.steps[0].screen_size.height, 640);
    assert!(email.strings["ar"].steps["s02"].say.is_some());
    assert_eq!(
        pack.summary(),
        format!("{} tutorials, 8 screening items, 14 languages: valid", pack.tutorials.len())
    );
}

#[test]
fn an_unknown_key_is_refused_with_its_line() {
    let file = "tutorials/t01-touchscreen/tutorial.toml";
    let (_temp, pack) =
        broken(file, |t| t.replace("estimated_minutes = 3", "estimated_minutes = 3\ntitel = \"x\""));
    let problem = only_problem(&pack);
    assert_eq!(problem.file, pack.join(file));
    assert_eq!(problem.line, Some(line_of(&pack, file, "titel")));
    assert!(problem.message.starts_with("unknown key \"titel\""), "{problem}");
    let shown = problem.to_string();
    assert!(shown.contains(&format!("t01-touchscreen/tutorial.toml:{}: unknown key", problem.line.unwrap())));
}

#[test]
fn a_missing_image_is_refused() {
    let file = "tutorials/t02-email/tutorial.toml";
    let (_temp, pack) = broken(file, |t| t.replace("img/message.svg", "img/mesage.svg"));
    let problem = only_problem(&pack);
    assert_eq!(problem.file, pack.join(file));
    assert_eq!(problem.line, Some(line_of(&pack, file, "img/mesage.svg")));
    assert!(problem.message.contains("\"img/mesage.svg\": image not found"), "{problem}");
}

#[test]
fn an_image_that_is_not_png_or_svg_is_refused() {
    let file = "tutorials/t02-email/tutorial.toml";
    let (_temp, pack) = broken(file, |t| t.replace("img/message.svg", "img/message.jpg"));
    let problem = only_problem(&pack);
    assert!(problem.message.contains("must be a PNG or SVG"), "{problem}");
}

#[test]
fn a_hotspot_outside_the_image_is_refused() {
    let file = "screening/x02-find-the-app/item.toml";
    let (_temp, pack) = broken(file, |t| t.replace("x = 140, y = 372", "x = 320, y = 372"));
    let problem = only_problem(&pack);
    assert_eq!(problem.file, pack.join(file));
    assert_eq!(problem.line, Some(line_of(&pack, file, "x = 320")));
    assert!(problem.message.contains("target"), "{problem}");
    assert!(problem.message.contains("outside the 360×640 image"), "{problem}");
}

#[test]
fn a_hotspot_outside_a_png_is_refused() {
    let file = "screening/x02-find-the-app/item.toml";
    let (_temp, pack) = broken(file, |t| t.replace("img/home.svg", "img/home.png"));
    // A 100×50 PNG, written with the png crate.
    let png = pack.join("screening/x02-find-the-app/img/home.png");
    let mut encoder = png::Encoder::new(std::fs::File::create(&png).unwrap(), 100, 50);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.write_header().unwrap().write_image_data(&[0u8; 100 * 50]).unwrap();
    let problem = only_problem(&pack);
    assert!(problem.message.contains("outside the 100×50 image"), "{problem}");
}

#[test]
fn a_missing_translation_is_refused() {
    let file = "tutorials/t02-email/strings/ar.toml";
    let (_temp, pack) = broken(file, |t| t.replace("say = \"اضغط على الرسالة الجديدة لقراءتها.\"\n", ""));
    let problem = only_problem(&pack);
    assert_eq!(problem.file, pack.join(file));
    assert_eq!(problem.line, Some(line_of(&pack, file, "[s02]")));
    assert!(problem.message.contains("missing translation: [s02] has no say"), "{problem}");
}

#[test]
fn a_missing_language_file_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let pack = temp.path().join("content");
    copy_dir(&starter(), &pack);
    std::fs::remove_file(pack.join("tutorials/t01-touchscreen/strings/fr.toml")).unwrap();
    let problem = only_problem(&pack);
    assert_eq!(problem.file, pack.join("tutorials/t01-touchscreen/strings/fr.toml"));
    assert!(problem.message.contains("required"), "{problem}");
}

#[test]
fn words_for_a_step_that_does_not_exist_are_refused() {
    let file = "tutorials/t01-touchscreen/strings/en.toml";
    let (_temp, pack) = broken(file, |t| t + "\n[s09]\nsay = \"Extra.\"\n");
    let problem = only_problem(&pack);
    assert_eq!(problem.line, Some(line_of(&pack, file, "[s09]")));
    assert!(problem.message.contains("no step \"s09\""), "{problem}");
}

#[test]
fn a_wrong_competence_code_is_refused() {
    let file = "tutorials/t02-email/tutorial.toml";
    let (_temp, pack) = broken(file, |t| t.replace("digcomp = [\"2.1\"]", "digcomp = [\"2.1\", \"2.7\"]"));
    let problem = only_problem(&pack);
    assert_eq!(problem.file, pack.join(file));
    assert_eq!(problem.line, Some(line_of(&pack, file, "2.7")));
    assert!(problem.message.contains("\"2.7\" is not a DigComp 2.2 competence"), "{problem}");
}

#[test]
fn a_tap_without_target_a_duplicate_step_and_version_zero_are_all_reported() {
    let file = "tutorials/t02-email/tutorial.toml";
    let (_temp, pack) = broken(file, |t| {
        t.replace("version = 1", "version = 0")
            .replace("target = { x = 16, y = 540, w = 156, h = 52 }\n", "")
            .replace("id = \"s05\"", "id = \"s04\"")
    });
    let problems = load_pack(&pack, REQUIRED_LANGUAGES).unwrap_err();
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let all = text.join("\n");
    assert!(all.contains("version = 0: must be 1 or more"), "{all}");
    assert!(all.contains("step \"s03\": a tap step needs a target"), "{all}");
    assert!(all.contains("duplicate step id \"s04\""), "{all}");
    assert!(
        problems.iter().all(|p| p.file.ends_with(file) || p.file.to_string_lossy().contains("strings")),
        "{all}"
    );
}

#[test]
fn a_toml_syntax_error_is_a_problem_not_a_crash() {
    let file = "tutorials/t01-touchscreen/strings/nl.toml";
    let (_temp, pack) = broken(file, |t| t.replace("[s03]", "[s03"));
    let problem = only_problem(&pack);
    assert_eq!(problem.line, Some(line_of(&pack, file, "[s03")));
}

#[test]
fn content_check_exits_2_and_prints_file_and_line() {
    let file = "tutorials/t02-email/tutorial.toml";
    let (_temp, pack) = broken(file, |t| t.replace("digcomp = [\"2.1\"]", "digcomp = [\"9.9\"]"));
    let out =
        Command::new(env!("CARGO_BIN_EXE_loket")).args(["content", "check"]).arg(&pack).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = line_of(&pack, file, "9.9");
    let expected = format!("{}:{line}: digcomp \"9.9\"", pack.join(file).display());
    assert!(stdout.contains(&expected), "{stdout}");
}

#[test]
fn content_check_on_the_starter_content_exits_0() {
    let out =
        Command::new(env!("CARGO_BIN_EXE_loket")).args(["content", "check"]).arg(starter()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!(
            "{} tutorials, 8 screening items, 14 languages: valid",
            std::fs::read_dir("content/tutorials").unwrap().count()
        )
    );
}

#[test]
fn the_library_keeps_the_last_good_pack() {
    let mut library = ContentLibrary::load(&starter(), REQUIRED_LANGUAGES).unwrap();
    let good = library.pack().clone();
    let file = "tutorials/t02-email/tutorial.toml";
    let (_temp, pack) = broken(file, |t| t.replace("version = 1", "version = 2\nbogus = 1"));
    let problems = library.try_replace(&pack).unwrap_err();
    assert!(!problems.is_empty());
    assert_eq!(library.pack(), &good);

    let (_temp2, newer) = broken(file, |t| t.replace("version = 1", "version = 2"));
    library.try_replace(&newer).unwrap();
    assert_eq!(library.pack().dir, newer);
    assert_eq!(library.pack().tutorials.iter().find(|t| t.id == "t02-email").unwrap().version, 2);
}

#[test]
fn boxes_on_a_step_that_is_not_typed_or_too_many_are_refused() {
    let file = "screening/x01-touch-warmup/item.toml";
    let (_temp, pack) = broken(file, |t| t.replace("boxes = 4", "boxes = 40"));
    let problem = only_problem(&pack);
    assert_eq!(problem.line, Some(line_of(&pack, file, "boxes = 40")));
    assert!(problem.message.contains("boxes = 40: must be 2 to 12"), "{problem}");

    let file = "tutorials/t02-email/tutorial.toml";
    let (_temp, pack) =
        broken(file, |t| t.replacen("hint_after_s = 20\n", "hint_after_s = 20\nboxes = 4\n", 1));
    let problem = only_problem(&pack);
    assert_eq!(problem.line, Some(line_of(&pack, file, "boxes = 4")));
    assert!(problem.message.contains("boxes is only for a type step"), "{problem}");
}

#[test]
fn the_dutch_words_of_the_lessons_say_je_never_u() {
    let mut found = Vec::new();
    for kind in ["tutorials", "screening"] {
        for activity in std::fs::read_dir(starter().join(kind)).unwrap() {
            let path = activity.unwrap().path().join("strings/nl.toml");
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let words = line.split(|c: char| !c.is_alphabetic());
                if words.into_iter().any(|w| matches!(w, "u" | "U" | "uw" | "Uw" | "uzelf")) {
                    found.push(format!("{}:{}: {line}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "the kiosk speaks to learners with je:\n{}", found.join("\n"));
}

/// A copy of the starter pack with `bytes` as t02-email's Dutch recording of step s02.
fn with_recording(bytes: &[u8]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let pack = temp.path().join("content");
    copy_dir(&starter(), &pack);
    let audio = pack.join("tutorials/t02-email/audio/nl");
    std::fs::create_dir_all(&audio).unwrap();
    let file = audio.join("s02.wav");
    std::fs::write(&file, bytes).unwrap();
    (temp, pack, file)
}

/// 0.1 s of a 440 Hz tone, 16-bit mono at 16 kHz.
fn good_recording() -> Vec<u8> {
    let samples: Vec<i16> = (0..1600)
        .map(|i| ((i as f32 * 440.0 / 16_000.0 * std::f32::consts::TAU).sin() * 9000.0) as i16)
        .collect();
    loket::voice_pack::wav_bytes(&samples, 16_000)
}

#[test]
fn a_playable_recording_is_kept() {
    let (_temp, pack, file) = with_recording(&good_recording());
    let pack = load_pack(&pack, REQUIRED_LANGUAGES).unwrap();
    let email = pack.tutorials.iter().find(|t| t.id == "t02-email").unwrap();
    assert_eq!(email.audio.get(&("nl".to_owned(), "s02".to_owned())), Some(&file));
}

#[test]
fn random_bytes_as_a_recording_are_refused_naming_the_file() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..8192)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 40) as u8
        })
        .collect();
    let (_temp, pack, file) = with_recording(&noise);
    let problem = only_problem(&pack);
    assert_eq!(problem.file, file);
    assert_eq!(problem.message, "not a WAV recording the kiosk can play: no RIFF/WAVE header");
}

#[test]
fn a_recording_whose_data_chunk_is_longer_than_the_file_is_refused() {
    let mut cut = good_recording();
    cut.truncate(cut.len() / 2);
    let (_temp, pack, file) = with_recording(&cut);
    let problem = only_problem(&pack);
    assert_eq!(problem.file, file);
    assert!(problem.message.contains("\"data\" chunk says 3200 bytes, but only 1578 follow"), "{problem}");
}

#[test]
fn content_check_exits_2_on_a_recording_it_cannot_play_and_the_library_keeps_the_last_good_pack() {
    let mut stereo_24_bit = good_recording();
    stereo_24_bit[22..24].copy_from_slice(&2u16.to_le_bytes());
    stereo_24_bit[34..36].copy_from_slice(&24u16.to_le_bytes());
    let (_temp, pack, file) = with_recording(&stereo_24_bit);
    let out =
        Command::new(env!("CARGO_BIN_EXE_loket")).args(["content", "check"]).arg(&pack).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("{}: not a WAV recording", file.display())), "{stdout}");
    assert!(stdout.contains("2 bytes per frame, but 2 channel(s) of 24 bits make 6"), "{stdout}");
    let mut library = ContentLibrary::load(&starter(), REQUIRED_LANGUAGES).unwrap();
    let good = library.pack().clone();
    assert!(library.try_replace(&pack).is_err());
    assert_eq!(library.pack(), &good);
}
