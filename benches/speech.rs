//! Tap to first audio sample: the time from a screen handing its words to the guide
//! (`Guide::speak`, what a tap does) to the first sample of sound written, through the real
//! guide thread and speaker, with espeak-ng and with a voice pack.
//!
//! Run with `cargo bench --bench speech` (needs the Debian package espeak-ng). Goal: under
//! 300 ms for both. The speaker writes into a folder instead of the sound device (this machine
//! has none): the first sample counts as written when the file grows past its 44-byte WAV
//! header. espeak-ng writes its file as it synthesises, so this is when playback could start;
//! a voice pack's utterance is composed whole in memory and written at once. The pack is made
//! of generated tones the length of real clips (half a second each, 22,050 Hz).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use loket::guidance::{Guide, Voices, script};
use loket::speech::EspeakSpeaker;
use loket::voice_pack::{VoicePack, wav_bytes};

const RUNS: usize = 20;
const HEADER: u64 = 44;

fn main() {
    assert!(EspeakSpeaker::available(), "espeak-ng is not installed: apt-get install espeak-ng");
    let espeak = measure("nl", None, "announcement");
    let packs = tempfile::tempdir().expect("temp dir");
    let pack = VoicePack::load(&tone_pack(packs.path()), "ti").expect("the generated pack loads");
    let pack = measure("ti", Some(pack), "voice");
    println!("tap to first audio sample, {RUNS} runs each, \"Your number is E 17.\" (goal: < 300 ms):");
    for (name, times) in [("espeak-ng (nl)", espeak.0), ("voice pack (ti)", pack.0)] {
        report(name, "first sample", times);
    }
    report("espeak-ng (nl)", "whole sentence written", espeak.1);
}

fn report(name: &str, what: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  {name:16} {what:24} median {:7.1} ms   p95 {:7.1} ms   max {:7.1} ms",
        ms(times[times.len() / 2]),
        ms(times[(times.len() - 1) * 95 / 100]),
        ms(*times.last().unwrap())
    );
}

/// Speaks the ticket's first sentence `RUNS` times; returns the times to the first sample and
/// to the whole file.
fn measure(language: &str, pack: Option<VoicePack>, prefix: &str) -> (Vec<Duration>, Vec<Duration>) {
    let out = tempfile::tempdir().expect("temp dir");
    let speaker = EspeakSpeaker::new().with_output_dir(out.path());
    let packs: BTreeMap<String, VoicePack> = pack.into_iter().map(|p| (language.to_owned(), p)).collect();
    let guide = Guide::start(Voices::new(Box::new(speaker), packs)).expect("guide");
    let sentence = script::ticket(language, "E-017", 3, Some((10, 20))).remove(0);
    let (mut first, mut whole) = (Vec::new(), Vec::new());
    for run in 1..=RUNS {
        let file = out.path().join(format!("{prefix}-{run}-{language}.wav"));
        let tap = Instant::now();
        guide.speak(vec![sentence.clone()]);
        first.push(wait_until(&file, |len| len > HEADER, tap));
        whole.push(wait_until_stable(&file, tap));
    }
    (first, whole)
}

/// Polls `file` until its length passes `test`; returns the time since `since`.
fn wait_until(file: &Path, test: impl Fn(u64) -> bool, since: Instant) -> Duration {
    let deadline = since + Duration::from_secs(10);
    loop {
        if std::fs::metadata(file).is_ok_and(|m| test(m.len())) {
            return since.elapsed();
        }
        assert!(Instant::now() < deadline, "{} was not written", file.display());
        std::hint::spin_loop();
    }
}

/// Waits until `file` has stopped growing for 30 ms; returns when it last grew.
fn wait_until_stable(file: &Path, since: Instant) -> Duration {
    let mut last = (0, since.elapsed());
    loop {
        let len = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        if len != last.0 {
            last = (len, since.elapsed());
        } else if since.elapsed() - last.1 > Duration::from_millis(30) {
            return last.1;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// A pack of tones with the clips "Your number is E 17." needs.
fn tone_pack(root: &Path) -> PathBuf {
    let dir = root.join("ti");
    let put = |name: &str, hz: f32| {
        let rate = 22_050;
        let samples: Vec<i16> = (0..rate / 2)
            .map(|i| {
                (0.4 * (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin() * 32767.0) as i16
            })
            .collect();
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
        std::fs::write(path, wav_bytes(&samples, rate)).expect("clip");
    };
    std::fs::create_dir_all(&dir).expect("folder");
    std::fs::write(
        dir.join("pack.toml"),
        "[phrases]\n\"Your number is {code}.\" = [\"phrases/number.wav\", \"{code}\"]\n",
    )
    .expect("pack.toml");
    put("phrases/number.wav", 440.0);
    put("letters/E.wav", 300.0);
    put("numbers/17.wav", 500.0);
    dir
}
