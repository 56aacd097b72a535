//! Announcing a call by voice: "Nummer E 17, naar Balie 1", in the site's language and then
//! in the visitor's.
//!
//! This module owns the sentence per language ([`announcement`]), the order of the languages
//! ([`announce_call`]), the [`Speaker`] port with its real side ([`EspeakSpeaker`], the
//! `espeak-ng` program run as a child process with a time limit) and its simulated side
//! ([`SimulatedSpeaker`]), and the [`Announcer`] thread that speaks calls one after the other
//! without ever blocking whoever calls. It must not decide who is called or read the queue:
//! it is told the ticket code, the desk's name and the ticket's language. The visitor screens'
//! guidance ([`crate::guidance`]) speaks through the same [`Speaker`] port, which also plays a
//! voice pack's composed clips ([`Speaker::play_wav`]) and can be cut off by the next screen
//! ([`Speaker::interrupt_with`]).
//!
//! # Hardware and setup
//! * Debian package `espeak-ng` (it brings `espeak-ng-data`); the kiosk's setup installs it.
//!   Voices that exist in espeak-ng 1.51 are mapped in [`espeak_voice`]; Pashto, Tigrinya and
//!   Somali have none, and Dari is spoken with the Persian voice. A language without a voice
//!   gives [`SpeechError::NoVoice`], and the caller skips it.
//! * Sound goes to the default ALSA/PulseAudio/PipeWire output: on a Pi, the 3.5 mm jack or
//!   HDMI (`raspi-config` → System Options → Audio), with powered speakers. The kiosk's user
//!   must be in the `audio` group when no desktop session owns the sound.
//!
//! # Troubleshooting
//! * [`SpeechError::Start`] "No such file or directory": `apt-get install espeak-ng`.
//! * [`SpeechError::Failed`] naming ALSA or "audio device": no sound card, or another program
//!   holds it; try `espeak-ng -v nl "test"` as the kiosk's user.
//! * [`SpeechError::Timeout`]: the sound device blocks (a PulseAudio server that is gone, an
//!   unplugged USB card); the child is killed after [`DEFAULT_TIMEOUT`].
//! * Too fast or too slow: [`EspeakSpeaker::with_speed`] (words per minute, default 140).

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest one sentence may take to speak before the child is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Words per minute: a little slower than espeak-ng's 175, for a hall.
pub const DEFAULT_SPEED: u32 = 140;
/// Calls waiting longer than this to be spoken are dropped: the visitor has seen the screen.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(30);
/// How many calls may wait to be spoken; more are dropped.
pub const DEFAULT_QUEUE: usize = 16;

/// Why a sentence was not spoken.
#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("no voice for language {0:?}")]
    NoVoice(String),
    #[error("cannot start {program}: {source} (install the Debian package espeak-ng)", program = .program.display())]
    Start {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{program} did not finish within {limit:?} and was stopped", program = .program.display())]
    Timeout { program: PathBuf, limit: Duration },
    #[error("{program} failed ({status}): {stderr}", program = .program.display())]
    Failed { program: PathBuf, status: String, stderr: String },
    #[error("waiting for {program}: {source}", program = .program.display())]
    Wait {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the announcement thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// Speaks a sentence, and returns when it has been spoken.
pub trait Speaker: Send {
    /// Says `text`, which is in `language` (a code such as "nl" or "ar").
    fn say(&mut self, text: &str, language: &str) -> Result<(), SpeechError>;

    /// Plays the call chime (two rising tones) that comes before an announcement.
    fn chime(&mut self) -> Result<(), SpeechError> {
        Ok(())
    }

    /// Plays a recorded WAV file (a content pack's recorded instruction). A speaker that cannot
    /// play files says so; the words are then read instead.
    fn play(&mut self, wav: &Path) -> Result<(), SpeechError> {
        Err(SpeechError::NoVoice(format!("a recording ({})", wav.display())))
    }

    /// Plays a WAV composed in memory (a voice pack's clips), which says something in
    /// `language`. By default: written to a file of this process, then [`Speaker::play`].
    fn play_wav(&mut self, wav: &[u8], language: &str) -> Result<(), SpeechError> {
        let file = std::env::temp_dir().join(format!("loket-voice-{}-{language}.wav", std::process::id()));
        std::fs::write(&file, wav).map_err(|e| SpeechError::Failed {
            program: PathBuf::from("aplay"),
            status: "not played".into(),
            stderr: format!("cannot write {}: {e}", file.display()),
        })?;
        self.play(&file)
    }

    /// From now on, stops what is being said as soon as `flag` is set (a new screen's words
    /// cut off the old ones). A speaker that cannot stop finishes the sentence.
    fn interrupt_with(&mut self, flag: Arc<AtomicBool>) {
        let _ = flag;
    }
}

/// The call chime as a WAV file: two rising tones (660 Hz, then 880 Hz) with soft edges,
/// 16-bit mono at 22,050 Hz, about half a second.
pub fn chime_wav() -> Vec<u8> {
    const RATE: u32 = 22_050;
    let mut samples: Vec<i16> = Vec::new();
    for (frequency, millis) in [(660.0_f32, 200_u32), (880.0, 320)] {
        let n = RATE * millis / 1000;
        for i in 0..n {
            let t = i as f32 / RATE as f32;
            let fade = (i.min(n - i) as f32 / (RATE as f32 * 0.02)).min(1.0);
            let decay = (-3.0 * t).exp();
            samples.push(
                (0.5 * fade * decay * (2.0 * std::f32::consts::PI * frequency * t).sin() * 32767.0) as i16,
            );
        }
    }
    let data_len = (samples.len() * 2) as u32;
    let mut wav = Vec::with_capacity(44 + data_len as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&RATE.to_le_bytes());
    wav.extend_from_slice(&(RATE * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        wav.extend_from_slice(&sample.to_le_bytes());
    }
    wav
}

/// Our language codes and the espeak-ng 1.51 voices that speak them (`espeak-ng --voices`).
static VOICES: &[(&str, &str)] = &[
    ("nl", "nl"),
    ("en", "en"),
    ("fr", "fr"),
    ("de", "de"),
    ("ar", "ar"),
    ("uk", "uk"),
    ("ru", "ru"),
    ("tr", "tr"),
    ("fa", "fa"),
    // Dari: written and understood like Persian.
    ("prs", "fa"),
    ("es", "es"),
    ("ro", "ro"),
];

/// The espeak-ng voice for a language code, if espeak-ng has one.
pub fn espeak_voice(language: &str) -> Option<&'static str> {
    VOICES.iter().find(|(code, _)| *code == language).map(|(_, voice)| *voice)
}

/// Speaks through the `espeak-ng` program.
#[derive(Debug, Clone)]
pub struct EspeakSpeaker {
    program: PathBuf,
    speed: u32,
    timeout: Duration,
    output_dir: Option<PathBuf>,
    spoken: u64,
    /// Set by whoever wants the current sentence stopped.
    interrupt: Option<Arc<AtomicBool>>,
}

impl Default for EspeakSpeaker {
    fn default() -> EspeakSpeaker {
        EspeakSpeaker::new()
    }
}

impl EspeakSpeaker {
    /// `espeak-ng` from the PATH, at [`DEFAULT_SPEED`], killed after [`DEFAULT_TIMEOUT`].
    pub fn new() -> EspeakSpeaker {
        EspeakSpeaker {
            program: PathBuf::from("espeak-ng"),
            speed: DEFAULT_SPEED,
            timeout: DEFAULT_TIMEOUT,
            output_dir: None,
            spoken: 0,
            interrupt: None,
        }
    }

    /// Whether `espeak-ng` is on the PATH.
    pub fn available() -> bool {
        find_on_path("espeak-ng").is_some()
    }

    /// Runs `program` instead of `espeak-ng` (same arguments).
    pub fn with_program(mut self, program: impl Into<PathBuf>) -> EspeakSpeaker {
        self.program = program.into();
        self
    }

    /// Words per minute (espeak-ng's `-s`; 80 to 450).
    pub fn with_speed(mut self, words_per_minute: u32) -> EspeakSpeaker {
        self.speed = words_per_minute.clamp(80, 450);
        self
    }

    /// Kills the child when one sentence takes longer than `limit`.
    pub fn with_timeout(mut self, limit: Duration) -> EspeakSpeaker {
        self.timeout = limit;
        self
    }

    /// Writes each sentence to `dir/announcement-<n>-<language>.wav` instead of the sound
    /// device (tests, checking voices on a machine without speakers).
    pub fn with_output_dir(mut self, dir: impl Into<PathBuf>) -> EspeakSpeaker {
        self.output_dir = Some(dir.into());
        self
    }

    fn command(&self, text: &str, voice: &str, language: &str) -> Command {
        let mut command = Command::new(&self.program);
        command.arg("-v").arg(voice).arg("-s").arg(self.speed.to_string());
        if let Some(dir) = &self.output_dir {
            command.arg("-w").arg(dir.join(format!("announcement-{}-{language}.wav", self.spoken)));
        }
        // `--`: a text that starts with "-" is not taken for an option.
        command.arg("--").arg(text);
        command
    }
}

impl Speaker for EspeakSpeaker {
    fn say(&mut self, text: &str, language: &str) -> Result<(), SpeechError> {
        let voice = espeak_voice(language).ok_or_else(|| SpeechError::NoVoice(language.to_owned()))?;
        self.spoken += 1;
        run_with_timeout(
            self.command(text, voice, language),
            &self.program,
            self.timeout,
            self.interrupt.as_deref(),
        )
    }

    /// Plays the chime with `aplay` (Debian package alsa-utils); into the output folder instead
    /// when one is set.
    fn chime(&mut self) -> Result<(), SpeechError> {
        let file = match &self.output_dir {
            Some(dir) => dir.join(format!("chime-{}.wav", self.spoken + 1)),
            None => std::env::temp_dir().join(format!("loket-chime-{}.wav", std::process::id())),
        };
        if !file.exists() {
            std::fs::write(&file, chime_wav()).map_err(|e| SpeechError::Failed {
                program: PathBuf::from("aplay"),
                status: "not played".into(),
                stderr: format!("cannot write {}: {e}", file.display()),
            })?;
        }
        if self.output_dir.is_some() {
            return Ok(());
        }
        let player = PathBuf::from("aplay");
        let mut command = Command::new(&player);
        command.arg("-q").arg(&file);
        run_with_timeout(command, &player, self.timeout, None)
    }

    /// Plays `wav` with `aplay`; with an output folder set, copies it there instead.
    fn play(&mut self, wav: &Path) -> Result<(), SpeechError> {
        let player = PathBuf::from("aplay");
        if let Some(dir) = &self.output_dir {
            self.spoken += 1;
            let copy = dir.join(format!("recording-{}.wav", self.spoken));
            return std::fs::copy(wav, &copy).map(|_| ()).map_err(|e| SpeechError::Failed {
                program: player,
                status: "not played".into(),
                stderr: format!("cannot copy {}: {e}", wav.display()),
            });
        }
        let mut command = Command::new(&player);
        command.arg("-q").arg(wav);
        run_with_timeout(command, &player, self.timeout, self.interrupt.as_deref())
    }

    /// With an output folder set, writes the WAV there as `voice-<n>-<language>.wav`;
    /// otherwise plays it with `aplay`.
    fn play_wav(&mut self, wav: &[u8], language: &str) -> Result<(), SpeechError> {
        self.spoken += 1;
        let file = match &self.output_dir {
            Some(dir) => dir.join(format!("voice-{}-{language}.wav", self.spoken)),
            None => std::env::temp_dir().join(format!("loket-voice-{}.wav", std::process::id())),
        };
        std::fs::write(&file, wav).map_err(|e| SpeechError::Failed {
            program: PathBuf::from("aplay"),
            status: "not played".into(),
            stderr: format!("cannot write {}: {e}", file.display()),
        })?;
        if self.output_dir.is_some() {
            return Ok(());
        }
        let player = PathBuf::from("aplay");
        let mut command = Command::new(&player);
        command.arg("-q").arg(&file);
        run_with_timeout(command, &player, self.timeout, self.interrupt.as_deref())
    }

    fn interrupt_with(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = Some(flag);
    }
}

/// Runs `command` with no input or output, killing it after `limit`, or as soon as `interrupt`
/// is set (then it counts as done). Keeps the start of its error output for the message.
fn run_with_timeout(
    mut command: Command,
    program: &Path,
    limit: Duration,
    interrupt: Option<&AtomicBool>,
) -> Result<(), SpeechError> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| SpeechError::Start { program: program.to_owned(), source })?;
    let reader = child.stderr.take().map(|stderr| std::thread::spawn(move || read_start(stderr, 2000)));
    let deadline = Instant::now() + limit;
    let status: ExitStatus = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if interrupt.is_some_and(|i| i.load(Ordering::SeqCst)) => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(());
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SpeechError::Timeout { program: program.to_owned(), limit });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(source) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SpeechError::Wait { program: program.to_owned(), source });
            }
        }
    };
    if status.success() {
        return Ok(());
    }
    let stderr = reader.and_then(|r| r.join().ok()).unwrap_or_default();
    Err(SpeechError::Failed { program: program.to_owned(), status: status.to_string(), stderr })
}

/// Reads `from` to its end and returns its first `keep` bytes as trimmed text.
fn read_start(mut from: impl Read, keep: usize) -> String {
    let mut kept = Vec::new();
    let mut buffer = [0u8; 1024];
    while let Ok(n) = from.read(&mut buffer) {
        if n == 0 {
            break;
        }
        let room = keep.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..n.min(room)]);
    }
    String::from_utf8_lossy(&kept).trim().to_owned()
}

/// The executable `name` in a directory of the PATH.
fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| {
        candidate.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// Records what would be said, as (language, text). Clones share the record.
#[derive(Debug, Clone, Default)]
pub struct SimulatedSpeaker {
    said: Arc<Mutex<Vec<(String, String)>>>,
    /// Signalled whenever something is added to `said`.
    spoke: Arc<std::sync::Condvar>,
    chimes: Arc<std::sync::atomic::AtomicUsize>,
    /// When set, only these languages have a voice (like a real speaker); otherwise all do.
    voices: Option<Vec<String>>,
}

impl SimulatedSpeaker {
    /// A speaker with a voice for every language.
    pub fn new() -> SimulatedSpeaker {
        SimulatedSpeaker::default()
    }

    /// A speaker with a voice for `languages` only, like [`EspeakSpeaker`] with its voices.
    pub fn with_voices(languages: &[&str]) -> SimulatedSpeaker {
        SimulatedSpeaker {
            voices: Some(languages.iter().map(|l| l.to_string()).collect()),
            ..Default::default()
        }
    }

    /// How many chimes were played.
    pub fn chimes(&self) -> usize {
        self.chimes.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Everything said so far, as (language, text), in order.
    pub fn said(&self) -> Vec<(String, String)> {
        self.said.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until `count` things have been said (woken by each one, not by a timer), at most
    /// `limit`; returns everything said by then.
    pub fn wait_until_said(&self, count: usize, limit: std::time::Duration) -> Vec<(String, String)> {
        let said = self.said.lock().unwrap_or_else(|e| e.into_inner());
        let (said, _) = self
            .spoke
            .wait_timeout_while(said, limit, |said| said.len() < count)
            .unwrap_or_else(|e| e.into_inner());
        said.clone()
    }

    fn record(&self, entry: (String, String)) {
        self.said.lock().unwrap_or_else(|e| e.into_inner()).push(entry);
        self.spoke.notify_all();
    }
}

impl Speaker for SimulatedSpeaker {
    fn say(&mut self, text: &str, language: &str) -> Result<(), SpeechError> {
        if self.voices.as_ref().is_some_and(|voices| !voices.iter().any(|v| v == language)) {
            return Err(SpeechError::NoVoice(language.to_owned()));
        }
        self.record((language.to_owned(), text.to_owned()));
        Ok(())
    }

    fn chime(&mut self) -> Result<(), SpeechError> {
        self.chimes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// Recorded as ("file", the path).
    fn play(&mut self, wav: &Path) -> Result<(), SpeechError> {
        self.record(("file".to_owned(), wav.display().to_string()));
        Ok(())
    }

    /// Recorded as (language, "[recorded clips, N ms]").
    fn play_wav(&mut self, wav: &[u8], language: &str) -> Result<(), SpeechError> {
        let millis = match crate::voice_pack::read_wav(wav) {
            Ok(clip) => clip.samples.len() as u64 * 1000 / u64::from(clip.rate),
            Err(e) => {
                return Err(SpeechError::Failed {
                    program: "simulated".into(),
                    status: e,
                    stderr: String::new(),
                });
            }
        };
        self.record((language.to_owned(), format!("[recorded clips, {millis} ms]")));
        Ok(())
    }
}

/// What the [`Reader`] reads: words in a language, or a recording (with the words to say when
/// the recording cannot be played).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub text: String,
    pub language: String,
    pub recording: Option<PathBuf>,
}

#[derive(Default)]
struct ReaderSlot {
    next: Option<Reading>,
    stop: bool,
}

/// Reads a lesson's instructions aloud on its own thread. A new reading replaces one still
/// waiting (the learner moved on), so the voice never lags several steps behind the screen;
/// [`Reader::read`] never waits.
pub struct Reader {
    slot: Arc<(Mutex<ReaderSlot>, std::sync::Condvar)>,
    worker: Option<JoinHandle<()>>,
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader").field("running", &self.worker.is_some()).finish()
    }
}

impl Reader {
    pub fn start(mut speaker: Box<dyn Speaker>) -> Result<Reader, SpeechError> {
        let slot: Arc<(Mutex<ReaderSlot>, std::sync::Condvar)> = Arc::default();
        let waiting = slot.clone();
        let worker = std::thread::Builder::new()
            .name("reader".into())
            .spawn(move || {
                loop {
                    let reading = {
                        let (lock, ready) = &*waiting;
                        let mut slot = lock.lock().unwrap_or_else(|e| e.into_inner());
                        loop {
                            if slot.stop {
                                return;
                            }
                            if let Some(reading) = slot.next.take() {
                                break reading;
                            }
                            slot = ready.wait(slot).unwrap_or_else(|e| e.into_inner());
                        }
                    };
                    let played = match &reading.recording {
                        Some(wav) => speaker.play(wav),
                        None => speaker.say(&reading.text, &reading.language),
                    };
                    let result = match (played, &reading.recording) {
                        (Err(e), Some(_)) => {
                            log::warn!("recording not played: {e}; reading the words instead");
                            speaker.say(&reading.text, &reading.language)
                        }
                        (result, _) => result,
                    };
                    match result {
                        Ok(()) | Err(SpeechError::NoVoice(_)) => {}
                        Err(e) => log::warn!("instruction not read aloud: {e}"),
                    }
                }
            })
            .map_err(SpeechError::Thread)?;
        Ok(Reader { slot, worker: Some(worker) })
    }

    /// Reads `reading` as soon as the voice is free, replacing one still waiting.
    pub fn read(&self, reading: Reading) {
        let (lock, ready) = &*self.slot;
        lock.lock().unwrap_or_else(|e| e.into_inner()).next = Some(reading);
        ready.notify_one();
    }
}

impl Drop for Reader {
    /// Stops after the reading in progress; one still waiting is dropped.
    fn drop(&mut self) {
        let (lock, ready) = &*self.slot;
        lock.lock().unwrap_or_else(|e| e.into_inner()).stop = true;
        ready.notify_one();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// A ticket code as a voice reads it well: the prefix letter by letter, then the number as a
/// number ("E-017" → "E 17", "AB-1204" → "A B 1204"). Anything else is read as written, with
/// dashes as pauses.
pub fn spoken_code(code: &str) -> String {
    if let Some((prefix, digits)) = code.split_once('-')
        && !prefix.is_empty()
        && prefix.chars().all(|c| c.is_alphabetic())
        && let Ok(number) = digits.parse::<u32>()
    {
        let letters: Vec<String> = prefix.chars().map(String::from).collect();
        return format!("{} {number}", letters.join(" "));
    }
    code.replace('-', " ")
}

/// The sentence that calls ticket `code` to the desk named `desk_name` (as on its sign), in
/// `language`. Languages without a phrasing here get the English one.
pub fn announcement(code: &str, desk_name: &str, language: &str) -> String {
    let c = spoken_code(code);
    // TRANSLATORS: spoken aloud when a ticket is called: {code} is the ticket's code as it is read
    // out ("E 17"), {desk} the desk's name as on its sign ("Balie 1").
    let sentence = loket_protocol::i18n::tr(language, "Number {code}, please go to {desk}.");
    loket_protocol::i18n::fill(sentence, &[("code", &c), ("desk", desk_name)])
}

/// Says the call in `local_language` and then, when it differs, in the ticket's language.
/// Returns one result per sentence, in that order; a failure does not stop the next one.
pub fn announce_call(
    speaker: &mut dyn Speaker,
    code: &str,
    desk_name: &str,
    ticket_language: &str,
    local_language: &str,
) -> Vec<Result<(), SpeechError>> {
    let mut languages = vec![local_language];
    if ticket_language != local_language {
        languages.push(ticket_language);
    }
    if let Err(e) = speaker.chime() {
        log::warn!("call chime not played: {e}");
    }
    languages
        .into_iter()
        .map(|language| speaker.say(&announcement(code, desk_name, language), language))
        .collect()
}

/// How an [`Announcer`] behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncerOptions {
    /// The site's language, said first for every call.
    pub local_language: String,
    /// Calls that waited longer than this are dropped. Default [`DEFAULT_MAX_AGE`].
    pub max_age: Duration,
    /// How many calls may wait. Default [`DEFAULT_QUEUE`].
    pub queue: usize,
}

impl AnnouncerOptions {
    pub fn new(local_language: impl Into<String>) -> AnnouncerOptions {
        AnnouncerOptions {
            local_language: local_language.into(),
            max_age: DEFAULT_MAX_AGE,
            queue: DEFAULT_QUEUE,
        }
    }
}

/// Monotonic time since some fixed start, for the age of waiting calls.
pub type MonotonicTime = Arc<dyn Fn() -> Duration + Send + Sync>;

struct Call {
    code: String,
    desk_name: String,
    language: String,
    queued_at: Duration,
}

/// Owns a [`Speaker`] on its own thread and speaks calls one after the other: they never
/// overlap, and [`Announcer::announce`] never waits for them.
pub struct Announcer {
    send: Option<SyncSender<Call>>,
    stop: Arc<AtomicBool>,
    worker: Option<JoinHandle<()>>,
    now: MonotonicTime,
}

impl fmt::Debug for Announcer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Announcer").field("running", &self.worker.is_some()).finish()
    }
}

impl Announcer {
    /// Starts the thread, with the system's monotonic clock.
    pub fn start(speaker: Box<dyn Speaker>, options: AnnouncerOptions) -> Result<Announcer, SpeechError> {
        let origin = Instant::now();
        Announcer::start_with_clock(speaker, options, Arc::new(move || origin.elapsed()))
    }

    /// Starts the thread; `now` tells the time for the age of waiting calls (tests).
    pub fn start_with_clock(
        speaker: Box<dyn Speaker>,
        options: AnnouncerOptions,
        now: MonotonicTime,
    ) -> Result<Announcer, SpeechError> {
        let (send, receive) = std::sync::mpsc::sync_channel(options.queue.max(1));
        let stop = Arc::new(AtomicBool::new(false));
        let worker = {
            let (stop, now) = (stop.clone(), now.clone());
            std::thread::Builder::new()
                .name("announcer".into())
                .spawn(move || speak_calls(speaker, options, receive, &stop, &*now))
                .map_err(SpeechError::Thread)?
        };
        Ok(Announcer { send: Some(send), stop, worker: Some(worker), now })
    }

    /// Queues a call to be spoken and returns at once: false when it was dropped because too
    /// many calls are waiting.
    pub fn announce(&self, code: &str, desk_name: &str, language: &str) -> bool {
        let Some(send) = &self.send else { return false };
        let call = Call {
            code: code.to_owned(),
            desk_name: desk_name.to_owned(),
            language: language.to_owned(),
            queued_at: (self.now)(),
        };
        match send.try_send(call) {
            Ok(()) => true,
            Err(TrySendError::Full(call)) => {
                log::warn!("too many calls waiting to be announced: {} not announced", call.code);
                false
            }
            Err(TrySendError::Disconnected(call)) => {
                log::warn!("the announcer has stopped: {} not announced", call.code);
                false
            }
        }
    }

    /// Speaks the calls still waiting (dropping those too old), then stops.
    pub fn finish(mut self) {
        self.send = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for Announcer {
    /// Stops after the sentence being spoken (at most the speaker's time limit); calls still
    /// waiting are not spoken.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.send = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

fn speak_calls(
    mut speaker: Box<dyn Speaker>,
    options: AnnouncerOptions,
    calls: Receiver<Call>,
    stop: &AtomicBool,
    now: &dyn Fn() -> Duration,
) {
    for call in calls {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let waited = now().saturating_sub(call.queued_at);
        if waited > options.max_age {
            log::warn!("call of {} waited {waited:?} to be announced: dropped", call.code);
            continue;
        }
        let results = announce_call(
            speaker.as_mut(),
            &call.code,
            &call.desk_name,
            &call.language,
            &options.local_language,
        );
        for result in results {
            match result {
                Ok(()) => {}
                Err(SpeechError::NoVoice(language)) => {
                    log::info!("call of {} not announced in {language:?}: no voice", call.code)
                }
                Err(e) => log::warn!("call of {} not announced: {e}", call.code),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chime_is_a_half_second_pcm_wav_and_comes_before_the_words() {
        let wav = chime_wav();
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        let data = u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]) as usize;
        assert_eq!(wav.len(), 44 + data);
        let seconds = data as f64 / (22_050.0 * 2.0);
        assert!((0.4..0.7).contains(&seconds), "{seconds} s");
        let speaker = SimulatedSpeaker::new();
        announce_call(&mut speaker.clone(), "E-017", "Balie 1", "nl", "nl");
        assert_eq!((speaker.chimes(), speaker.said().len()), (1, 1));
    }
    use std::sync::atomic::AtomicU64;
    use std::sync::mpsc;

    #[test]
    fn codes_are_spoken_as_letters_and_a_number() {
        assert_eq!(spoken_code("E-017"), "E 17");
        assert_eq!(spoken_code("AB-1204"), "A B 1204");
        assert_eq!(spoken_code("V-000"), "V 0");
        assert_eq!(spoken_code("E-x1"), "E x1");
        assert_eq!(spoken_code("-017"), " 017");
        assert_eq!(spoken_code("E17"), "E17");
    }

    #[test]
    fn announcements_per_language() {
        assert_eq!(announcement("E-017", "Balie 1", "nl"), "Nummer E 17, naar Balie 1.");
        assert_eq!(announcement("E-017", "Balie 1", "en"), "Number E 17, please go to Balie 1.");
        assert_eq!(announcement("E-017", "Balie 1", "de"), "Nummer E 17, bitte zu Balie 1.");
        assert_eq!(announcement("A-102", "Balie 2", "ar"), "الرقم A 102، يرجى التوجه إلى Balie 2.");
        assert_eq!(announcement("E-017", "Balie 1", "fr"), "Numéro E 17, veuillez vous présenter à Balie 1.");
        // No translation: English.
        for language in ["xx", ""] {
            assert_eq!(announcement("E-017", "Balie 1", language), "Number E 17, please go to Balie 1.");
        }
    }

    #[test]
    fn every_language_with_a_catalogue_has_its_own_sentence() {
        // Which languages have a file is the catalogue's business (its check asks every offered
        // language for this sentence); each one that has one says it in its own words.
        let catalogue = loket_protocol::i18n::Catalogue::bundled();
        let english = announcement("E-017", "Balie 1", "en");
        let mut checked = 0;
        for language in crate::languages::all().iter().map(|l| l.code).filter(|c| *c != "en") {
            if catalogue.translations(language).is_none() {
                assert_eq!(announcement("E-017", "Balie 1", language), english, "{language}");
                continue;
            }
            let text = announcement("E-017", "Balie 1", language);
            assert_ne!(text, english, "{language}");
            assert!(text.contains("E 17") && text.contains("Balie 1"), "{language}: {text}");
            if language == "fa" || language == "prs" {
                assert!(!text.contains(['\u{064A}', '\u{0643}']), "Arabic yeh or kaf in {text}");
            }
            checked += 1;
        }
        assert!(checked >= 4, "nl, fr, de and ar at least");
    }

    #[test]
    fn an_arabic_ticket_is_called_in_dutch_then_arabic() {
        let speaker = SimulatedSpeaker::new();
        let results = announce_call(&mut speaker.clone(), "A-102", "Balie 2", "ar", "nl");
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(
            speaker.said(),
            [
                ("nl".to_owned(), "Nummer A 102, naar Balie 2.".to_owned()),
                ("ar".to_owned(), "الرقم A 102، يرجى التوجه إلى Balie 2.".to_owned()),
            ]
        );
    }

    #[test]
    fn a_dutch_ticket_is_called_once() {
        let speaker = SimulatedSpeaker::new();
        let results = announce_call(&mut speaker.clone(), "E-017", "Balie 1", "nl", "nl");
        assert_eq!(results.len(), 1);
        assert_eq!(speaker.said(), [("nl".to_owned(), "Nummer E 17, naar Balie 1.".to_owned())]);
    }

    #[test]
    fn a_language_without_a_voice_is_reported_and_skipped() {
        let speaker = SimulatedSpeaker::with_voices(&["nl", "ar"]);
        let results = announce_call(&mut speaker.clone(), "E-017", "Balie 1", "so", "nl");
        assert!(results[0].is_ok());
        assert!(matches!(&results[1], Err(SpeechError::NoVoice(l)) if l == "so"), "{results:?}");
        assert_eq!(speaker.said().len(), 1);
        // espeak-ng: decided before any program runs.
        let mut espeak = EspeakSpeaker::new().with_program("/nonexistent/espeak-ng");
        for language in ["so", "ti", "ps"] {
            let err = espeak.say("x", language).expect_err("no voice");
            assert_eq!(err.to_string(), format!("no voice for language {language:?}"));
        }
        assert_eq!(espeak_voice("prs"), Some("fa"));
    }

    /// A directory under the system's temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            static COUNT: AtomicU64 = AtomicU64::new(0);
            let n = COUNT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("loket-speech-{tag}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).expect("temp dir");
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn require_espeak() {
        assert!(
            EspeakSpeaker::available(),
            "espeak-ng is not installed: run `apt-get install -y espeak-ng` (Debian package espeak-ng; \
             the project's setup script installs it)"
        );
    }

    fn wav_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .expect("output dir")
            .map(|entry| {
                let path = entry.expect("entry").path();
                let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                (name, std::fs::read(&path).expect("wav"))
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn espeak_ng_speaks_a_call_into_a_wav_file() {
        require_espeak();
        let dir = TempDir::new("wav");
        let mut speaker = EspeakSpeaker::new().with_output_dir(&dir.0);
        let results = announce_call(&mut speaker, "E-017", "Balie 1", "ar", "nl");
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        let files = wav_files(&dir.0);
        let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            ["announcement-1-nl.wav", "announcement-2-ar.wav", "chime-1.wav"],
            "chime, then the words"
        );
        for (name, bytes) in &files {
            assert_eq!(&bytes[..4], b"RIFF", "{name}");
            // A 44-byte header, then about two seconds of 22 kHz 16-bit samples.
            assert!(bytes.len() > 44 + 22_050, "{name}: {} bytes", bytes.len());
        }
    }

    #[test]
    fn every_mapped_voice_exists_in_espeak_ng() {
        require_espeak();
        let dir = TempDir::new("voices");
        let mut speaker = EspeakSpeaker::new().with_output_dir(&dir.0);
        for (language, _) in VOICES {
            let result = speaker.say(&announcement("E-017", "Balie 1", language), language);
            assert!(result.is_ok(), "{language}: {result:?}");
        }
        let files = wav_files(&dir.0);
        assert_eq!(files.len(), VOICES.len());
        assert!(files.iter().all(|(_, bytes)| bytes.len() > 44 + 10_000), "every voice made sound");
    }

    #[test]
    fn a_missing_program_says_which_package_to_install() {
        let mut speaker = EspeakSpeaker::new().with_program("/nonexistent/espeak-ng");
        let err = speaker.say("Nummer E 17", "nl").expect_err("missing");
        assert!(matches!(err, SpeechError::Start { .. }), "{err}");
        assert!(err.to_string().starts_with("cannot start /nonexistent/espeak-ng: "), "{err}");
        assert!(err.to_string().contains("install the Debian package espeak-ng"), "{err}");
    }

    #[test]
    fn a_failing_program_is_reported_with_its_status() {
        let mut speaker = EspeakSpeaker::new().with_program("false");
        let err = speaker.say("Nummer E 17", "nl").expect_err("fails");
        let SpeechError::Failed { status, .. } = &err else { panic!("{err}") };
        assert_eq!(status, "exit status: 1");
    }

    #[test]
    fn a_hanging_program_is_killed_after_the_time_limit() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new("hang");
        let script = dir.0.join("hang");
        std::fs::write(&script, "#!/bin/sh\nexec sleep 30\n").expect("script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let mut speaker = EspeakSpeaker::new().with_program(&script).with_timeout(Duration::from_millis(100));
        let started = Instant::now();
        // A file just written may be "busy" for exec while another test thread forks: retry.
        let err = loop {
            match speaker.say("Nummer E 17", "nl") {
                Err(SpeechError::Start { source, .. })
                    if source.kind() == std::io::ErrorKind::ExecutableFileBusy
                        && started.elapsed() < Duration::from_secs(5) =>
                {
                    continue;
                }
                other => break other.expect_err("times out"),
            }
        };
        assert!(
            matches!(err, SpeechError::Timeout { limit, .. } if limit == Duration::from_millis(100)),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    }

    /// Says through `inner`, but the first sentence waits until the test lets it go.
    struct GatedSpeaker {
        inner: SimulatedSpeaker,
        started: Option<mpsc::Sender<()>>,
        release: mpsc::Receiver<()>,
    }

    impl Speaker for GatedSpeaker {
        fn say(&mut self, text: &str, language: &str) -> Result<(), SpeechError> {
            if let Some(started) = self.started.take() {
                let _ = started.send(());
                let _ = self.release.recv_timeout(Duration::from_secs(10));
            }
            self.inner.say(text, language)
        }

        fn play(&mut self, wav: &Path) -> Result<(), SpeechError> {
            self.inner.play(wav)
        }
    }

    #[test]
    fn the_reader_reads_recordings_and_words_and_a_new_reading_replaces_a_waiting_one() {
        let (speaker, gate) = gated();
        let reader = Reader::start(speaker).unwrap();
        let reading = |text: &str| Reading { text: text.into(), language: "nl".into(), recording: None };
        reader.read(reading("stap 1"));
        gate.started.recv_timeout(Duration::from_secs(5)).unwrap();
        // While step 1 is being read, the learner moves on twice: only the last is read.
        reader.read(reading("stap 2"));
        reader.read(Reading { recording: Some(PathBuf::from("audio/nl/s03.wav")), ..reading("stap 3") });
        gate.release.send(()).unwrap();
        for _ in 0..500 {
            if gate.said.said().len() == 2 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(reader);
        assert_eq!(
            gate.said.said(),
            [("nl".to_owned(), "stap 1".to_owned()), ("file".to_owned(), "audio/nl/s03.wav".to_owned())]
        );
    }

    #[test]
    fn a_speaker_that_cannot_play_recordings_reads_the_words() {
        struct WordsOnly(SimulatedSpeaker);
        impl Speaker for WordsOnly {
            fn say(&mut self, text: &str, language: &str) -> Result<(), SpeechError> {
                self.0.say(text, language)
            }
        }
        let said = SimulatedSpeaker::new();
        let reader = Reader::start(Box::new(WordsOnly(said.clone()))).unwrap();
        reader.read(Reading {
            text: "اضغط".into(), language: "ar".into(), recording: Some("x.wav".into())
        });
        for _ in 0..500 {
            if !said.said().is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(said.said(), [("ar".to_owned(), "اضغط".to_owned())]);
    }

    struct Gate {
        said: SimulatedSpeaker,
        started: mpsc::Receiver<()>,
        release: mpsc::Sender<()>,
    }

    fn gated() -> (Box<dyn Speaker>, Gate) {
        let said = SimulatedSpeaker::new();
        let (started_tx, started) = mpsc::channel();
        let (release, release_rx) = mpsc::channel();
        let speaker = GatedSpeaker { inner: said.clone(), started: Some(started_tx), release: release_rx };
        (Box::new(speaker), Gate { said, started, release })
    }

    fn manual_clock() -> (MonotonicTime, Arc<AtomicU64>) {
        let millis = Arc::new(AtomicU64::new(0));
        let read = millis.clone();
        (Arc::new(move || Duration::from_millis(read.load(Ordering::SeqCst))), millis)
    }

    fn texts(speaker: &SimulatedSpeaker) -> Vec<String> {
        speaker.said().into_iter().map(|(language, text)| format!("{language}: {text}")).collect()
    }

    #[test]
    fn the_announcer_speaks_calls_in_order() {
        let speaker = SimulatedSpeaker::new();
        let announcer =
            Announcer::start(Box::new(speaker.clone()), AnnouncerOptions::new("nl")).expect("start");
        assert!(announcer.announce("E-017", "Balie 1", "nl"));
        assert!(announcer.announce("A-102", "Balie 2", "en"));
        announcer.finish();
        assert_eq!(
            texts(&speaker),
            [
                "nl: Nummer E 17, naar Balie 1.",
                "nl: Nummer A 102, naar Balie 2.",
                "en: Number A 102, please go to Balie 2.",
            ]
        );
    }

    #[test]
    fn calls_that_waited_too_long_are_dropped() {
        let (speaker, gate) = gated();
        let (clock, millis) = manual_clock();
        let announcer =
            Announcer::start_with_clock(speaker, AnnouncerOptions::new("nl"), clock).expect("start");
        assert!(announcer.announce("E-001", "Balie 1", "nl"));
        gate.started.recv_timeout(Duration::from_secs(10)).expect("first call is being spoken");
        assert!(announcer.announce("E-002", "Balie 1", "nl"));
        millis.store(20_000, Ordering::SeqCst);
        assert!(announcer.announce("E-003", "Balie 1", "nl"));
        millis.store(40_000, Ordering::SeqCst);
        assert!(announcer.announce("E-004", "Balie 1", "nl"));
        gate.release.send(()).expect("release");
        announcer.finish();
        // E-002 waited 40 s, E-003 20 s, E-004 none.
        assert_eq!(
            texts(&gate.said),
            [
                "nl: Nummer E 1, naar Balie 1.",
                "nl: Nummer E 3, naar Balie 1.",
                "nl: Nummer E 4, naar Balie 1."
            ]
        );
    }

    #[test]
    fn announce_never_waits_and_drops_calls_when_the_queue_is_full() {
        let (speaker, gate) = gated();
        let options = AnnouncerOptions { queue: 1, ..AnnouncerOptions::new("nl") };
        let announcer = Announcer::start(speaker, options).expect("start");
        assert!(announcer.announce("E-001", "Balie 1", "nl"));
        gate.started.recv_timeout(Duration::from_secs(10)).expect("first call is being spoken");
        assert!(announcer.announce("E-002", "Balie 1", "nl"), "one may wait");
        assert!(!announcer.announce("E-003", "Balie 1", "nl"), "full: dropped at once");
        gate.release.send(()).expect("release");
        announcer.finish();
        assert_eq!(texts(&gate.said), ["nl: Nummer E 1, naar Balie 1.", "nl: Nummer E 2, naar Balie 1."]);
    }

    #[test]
    fn dropping_the_announcer_skips_the_waiting_calls() {
        let (speaker, gate) = gated();
        let announcer = Announcer::start(speaker, AnnouncerOptions::new("nl")).expect("start");
        assert!(announcer.announce("E-001", "Balie 1", "nl"));
        gate.started.recv_timeout(Duration::from_secs(10)).expect("first call is being spoken");
        assert!(announcer.announce("E-002", "Balie 1", "nl"));
        // Let the first call finish only once the drop has begun.
        let stop = announcer.stop.clone();
        let dropper = std::thread::spawn(move || drop(announcer));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            std::thread::yield_now();
        }
        gate.release.send(()).expect("release");
        dropper.join().expect("dropped");
        assert_eq!(texts(&gate.said), ["nl: Nummer E 1, naar Balie 1."]);
    }
}
