//! The guide writing real audio: a voice pack of generated test tones (never a voice presented
//! as a language) composed in the pack's order, and espeak-ng speaking a ticket into WAV files.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use loket::guidance::{Guide, Voices, script};
use loket::speech::EspeakSpeaker;
use loket::voice_pack::{GAP_MILLIS, VoicePack, read_wav, wav_bytes};

const RATE: u32 = 16_000;

/// A test clip: a steady tone of `hz`, a quarter of a second, at half of full scale.
fn tone(hz: f32) -> Vec<u8> {
    let n = RATE / 4;
    let samples: Vec<i16> = (0..n)
        .map(|i| (0.5 * (2.0 * std::f32::consts::PI * hz * i as f32 / RATE as f32).sin() * 32767.0) as i16)
        .collect();
    wav_bytes(&samples, RATE)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A "ti" pack whose clips are tones: each clip's pitch says which clip it is.
fn tone_pack(root: &Path) -> std::path::PathBuf {
    let dir = root.join("ti");
    write(
        &dir,
        "pack.toml",
        br#"[phrases]
# The number before the words, as a language may put it.
"Your number is {code}." = ["{code}", "phrases/your-number-is.wav"]
"{count} people are before you." = ["phrases/people-before.wav", "{count}"]
"#,
    );
    write(&dir, "phrases/your-number-is.wav", &tone(700.0));
    write(&dir, "phrases/people-before.wav", &tone(900.0));
    write(&dir, "letters/E.wav", &tone(300.0));
    write(&dir, "numbers/17.wav", &tone(500.0));
    write(&dir, "digits/3.wav", &tone(1100.0));
    dir
}

/// The tones of a composed WAV, in order: its stretches of sound between silences, each
/// measured by counting zero crossings.
fn tones(wav: &[u8]) -> Vec<u32> {
    let clip = read_wav(wav).unwrap();
    let gap = (clip.rate * GAP_MILLIS / 1000) as usize;
    let mut found = Vec::new();
    let mut segment: Vec<i16> = Vec::new();
    let mut quiet = 0;
    for &sample in clip.samples.iter().chain(std::iter::repeat_n(&0, gap)) {
        if sample == 0 {
            quiet += 1;
        } else {
            quiet = 0;
        }
        segment.push(sample);
        if quiet >= gap / 2 && segment.iter().any(|&s| s != 0) {
            let crossings = segment.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count() as f64;
            let seconds = segment.iter().filter(|&&s| s != 0).count() as f64 / clip.rate as f64;
            found.push(((crossings / 2.0 / seconds) / 100.0).round() as u32 * 100);
            segment.clear();
        } else if quiet >= gap / 2 {
            segment.clear();
        }
    }
    found
}

fn wait_for_files(dir: &Path, count: usize) -> Vec<std::path::PathBuf> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        if files.len() >= count || Instant::now() > deadline {
            return files;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_voice_pack_says_the_ticket_from_its_clips_in_its_own_order() {
    let packs = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let pack_dir = tone_pack(packs.path());
    let pack = VoicePack::load(&pack_dir, "ti").unwrap();
    let speaker = EspeakSpeaker::new().with_output_dir(out.path());
    let guide =
        Guide::start(Voices::new(Box::new(speaker), BTreeMap::from([("ti".to_owned(), pack)]))).unwrap();
    assert!(guide.can_speak("ti"), "the pack gives Tigrinya a voice");
    assert!(!guide.can_speak("so"), "Somali has neither a pack nor an espeak-ng voice");

    // The ticket: the number, the people before; the wait has no clips, so it is not said
    // (and never in another language's voice).
    guide.speak(script::ticket("ti", "E-017", 3, Some((10, 20))));
    let files = wait_for_files(out.path(), 2);
    // Nothing more comes: the wait has no clips.
    std::thread::sleep(Duration::from_millis(200));
    drop(guide);
    let names: Vec<String> = wait_for_files(out.path(), 2)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into())
        .collect();
    assert_eq!(names, ["voice-1-ti.wav", "voice-2-ti.wav"], "two sentences, each one WAV; {files:?}");
    let first = std::fs::read(out.path().join("voice-1-ti.wav")).unwrap();
    let second = std::fs::read(out.path().join("voice-2-ti.wav")).unwrap();
    // E, 17, then "your number is": the pack's order, not English's.
    assert_eq!(tones(&first), [300, 500, 700]);
    // "people before", then 3 (no clip for the number 3: its digit).
    assert_eq!(tones(&second), [900, 1100]);
    let clip = read_wav(&first).unwrap();
    let expected = 3 * (RATE / 4) + 2 * (RATE * GAP_MILLIS / 1000);
    assert_eq!(clip.samples.len() as u32, expected, "three clips and two gaps");
}

#[test]
fn espeak_ng_says_the_ticket_in_dutch_into_wav_files() {
    assert!(
        EspeakSpeaker::available(),
        "espeak-ng is not installed: run `apt-get install -y espeak-ng` (the project's setup script installs it)"
    );
    let out = tempfile::tempdir().unwrap();
    let speaker = EspeakSpeaker::new().with_output_dir(out.path());
    let guide = Guide::start(Voices::new(Box::new(speaker), BTreeMap::new())).unwrap();
    guide.speak(script::ticket("nl", "E-017", 3, Some((10, 20))));
    let files = wait_for_files(out.path(), 3);
    // The last file is whole once espeak-ng has written its header's sizes.
    let deadline = Instant::now() + Duration::from_secs(20);
    while files
        .iter()
        .any(|f| std::fs::read(f).ok().and_then(|b| read_wav(&b).ok()).is_none_or(|c| c.samples.is_empty()))
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(guide);
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into()).collect();
    assert_eq!(names, ["announcement-1-nl.wav", "announcement-2-nl.wav", "announcement-3-nl.wav"]);
    for file in &files {
        let clip = read_wav(&std::fs::read(file).unwrap()).unwrap();
        let seconds = clip.samples.len() as f64 / clip.rate as f64;
        assert!(seconds > 0.8, "{}: {seconds} s of speech", file.display());
        assert!(clip.rms() > 0.01, "{}: not silent", file.display());
    }
}
