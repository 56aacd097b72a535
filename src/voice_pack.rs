//! Voice packs: recorded clips that speak a language espeak-ng has no voice for (Tigrinya,
//! Pashto, Somali), or that a help point prefers to its synthetic voice.
//!
//! This module owns the pack's format, reading and checking it ([`VoicePack::load`],
//! [`check_pack`]), and composing an [`Utterance`] from its clips into one WAV
//! ([`VoicePack::compose`]). It must not decide what a screen says (that is
//! [`crate::guidance`]) nor play sound (that is the [`crate::speech::Speaker`]).
//!
//! # Layout
//! One folder per language under the packs' folder (`speech.voice_packs`), named by its code:
//!
//! ```text
//! ti/pack.toml            which clips make each phrase, in the language's own word order
//! ti/phrases/*.wav        the phrases' spoken pieces (any names pack.toml uses)
//! ti/digits/0.wav … 9.wav one digit each
//! ti/letters/A.wav … Z.wav the letters of ticket codes
//! ti/numbers/<n>.wav      optional: whole numbers ("17"); else tens and units, else digits
//! ti/services/<id>.wav    each service's name (the config's service id)
//! ti/language.wav         the language's own name ("ትግርኛ")
//! ti/days/monday.wav …    optional: the days of the week, for the closed screen
//! ```
//!
//! `pack.toml` has one table, `[phrases]`: per phrase (its English msgid, as
//! `loket voice script LANG` prints it) the list of clips and placeholders in speaking order:
//! `"Your number is {code}." = ["phrases/your-number-is.wav", "{code}"]`.
//!
//! Clips are WAV files, 16-bit PCM, mono, all of one language at one sample rate. They must be
//! loud enough and not clipped (see [`QUIET_RMS`], [`CLIPPED_SHARE`]); record them, then
//! normalise them as the README says (`sox … norm -3`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::guidance::{Phrase, Utterance, Value};

/// A clip whose loudness (RMS) is below this share of full scale is too quiet (about -32 dBFS).
pub const QUIET_RMS: f64 = 0.025;
/// A clip with more than this share of its samples at full scale is clipped.
pub const CLIPPED_SHARE: f64 = 0.001;
/// A clip this many decibels louder or quieter than the pack's middle one is reported.
pub const LOUDNESS_SPREAD_DB: f64 = 6.0;
/// Silence between two clips of one utterance.
pub const GAP_MILLIS: u32 = 60;

/// Why a clip or a pack cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PackError {
    #[error("{path}: cannot read: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path}: not a WAV file of 16-bit PCM mono: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error("{path}: recorded at {found} Hz, the rest of the pack at {expected} Hz")]
    Rate { path: PathBuf, found: u32, expected: u32 },
    #[error("{path}: too quiet (RMS {rms_db:.1} dBFS); normalise it (sox IN OUT norm -3)")]
    TooQuiet { path: PathBuf, rms_db: f64 },
    #[error("{path}: clipped ({share:.2} % of samples at full scale); record it again, less loud")]
    Clipped { path: PathBuf, share: f64 },
    #[error("{path}: {problem}")]
    Manifest { path: PathBuf, problem: String },
}

/// One recorded clip: its samples, at the pack's rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    pub samples: Vec<i16>,
    pub rate: u32,
}

impl Clip {
    /// Loudness as root mean square, as a share of full scale.
    pub fn rms(&self) -> f64 {
        if self.samples.is_empty() {
            return 0.0;
        }
        let sum: f64 = self.samples.iter().map(|&s| (s as f64 / 32768.0).powi(2)).sum();
        (sum / self.samples.len() as f64).sqrt()
    }

    /// The share of samples at (or one step from) full scale.
    pub fn clipped_share(&self) -> f64 {
        if self.samples.is_empty() {
            return 0.0;
        }
        let full = self.samples.iter().filter(|&&s| s >= i16::MAX - 1 || s <= i16::MIN + 1).count();
        full as f64 / self.samples.len() as f64
    }
}

/// Decibels relative to full scale.
pub fn dbfs(share: f64) -> f64 {
    20.0 * share.max(1e-9).log10()
}

/// Reads a WAV file's samples: 16-bit PCM mono at a rate the kiosk plays; other chunks are
/// skipped. The file's structure is read strictly ([`crate::content::wav::read`]): random
/// bytes, a chunk running past the end or a `data` chunk longer than the file are refused.
pub fn read_wav(bytes: &[u8]) -> Result<Clip, String> {
    let format = crate::content::wav::read(bytes)?;
    let (tag, channels, rate, bits) = (format.tag, format.channels, format.rate, format.bits);
    if tag != 1 || bits != 16 {
        return Err(format!("format tag {tag}, {bits} bits (needs PCM, 16 bits)"));
    }
    if channels != 1 {
        return Err(format!("{channels} channels (needs mono)"));
    }
    if rate == 0 {
        return Err("sample rate 0".into());
    }
    let data = &bytes[format.data.clone()];
    if !data.is_empty() {
        crate::content::wav::check_playable(&format)?;
    }
    let samples = data.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
    Ok(Clip { samples, rate })
}

/// `samples` at `rate` as a WAV file (16-bit PCM mono).
pub fn wav_bytes(samples: &[i16], rate: u32) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut wav = Vec::with_capacity(44 + data_len as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        wav.extend_from_slice(&sample.to_le_bytes());
    }
    wav
}

/// A piece of a phrase as the pack says it: a clip, or a placeholder filled from the utterance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Clip(String),
    Slot(String),
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    phrases: BTreeMap<String, Vec<String>>,
}

/// One language's clips, read and checked.
#[derive(Debug, Clone)]
pub struct VoicePack {
    pub language: String,
    pub dir: PathBuf,
    pub rate: u32,
    phrases: BTreeMap<String, Vec<Piece>>,
    /// Every readable, usable clip by its path in the pack ("digits/7.wav").
    clips: BTreeMap<String, Clip>,
}

/// What [`check_pack`] found in one language's folder.
#[derive(Debug, Default)]
pub struct PackReport {
    pub language: String,
    /// Spoken phrases the pack can say (every clip present).
    pub covered: Vec<String>,
    /// Spoken phrases it cannot, each with the clips it lacks.
    pub missing: Vec<(String, Vec<String>)>,
    /// Digits, letters and names it lacks.
    pub missing_clips: Vec<String>,
    /// Clips that cannot be used: the pack is refused until they are fixed.
    pub errors: Vec<PackError>,
    /// Clips much louder or quieter than the rest.
    pub warnings: Vec<String>,
}

impl VoicePack {
    /// Reads `dir` (one language's folder): pack.toml and every WAV under it. Clips that cannot
    /// be used are errors; the pack is refused with all of them.
    pub fn load(dir: &Path, language: &str) -> Result<VoicePack, Vec<PackError>> {
        let (pack, errors, _) = read_pack(dir, language);
        if errors.is_empty() { Ok(pack) } else { Err(errors) }
    }

    /// The clips (by their path in the pack) that say `utterance`, in order, or the clips it
    /// lacks.
    pub fn pieces(&self, utterance: &Utterance) -> Result<Vec<String>, Vec<String>> {
        let mut out = Vec::new();
        let mut lacking = Vec::new();
        let phrase: Vec<Piece> = match utterance.phrase {
            Phrase::Name => vec![Piece::Slot("name".into())],
            phrase => match self.phrases.get(phrase.msgid()) {
                Some(pieces) => pieces.clone(),
                None => return Err(vec![format!("pack.toml: \"{}\"", phrase.msgid())]),
            },
        };
        for piece in phrase {
            match piece {
                Piece::Clip(clip) => out.push(clip),
                Piece::Slot(name) => match utterance.value(&name) {
                    Some(value) => out.extend(self.value_clips(value)),
                    None => lacking.push(format!("a value for {{{name}}}")),
                },
            }
        }
        for clip in &out {
            if !self.clips.contains_key(clip) {
                lacking.push(clip.clone());
            }
        }
        if lacking.is_empty() { Ok(out) } else { Err(lacking) }
    }

    /// The clips that say a value: codes letter by letter and then as a number, numbers from
    /// whole-number clips where recorded, else tens and units, else digit by digit.
    fn value_clips(&self, value: &Value) -> Vec<String> {
        match value {
            Value::Number(n) => self.number_clips(*n),
            Value::Code(code) => {
                let mut clips = Vec::new();
                let (prefix, number) = code.split_once('-').unwrap_or(("", code));
                for letter in prefix.chars() {
                    clips.push(format!("letters/{}.wav", letter.to_uppercase()));
                }
                match number.parse::<u32>() {
                    Ok(n) => clips.extend(self.number_clips(n)),
                    Err(_) => clips.extend(number.chars().map(|c| match c {
                        '0'..='9' => format!("digits/{c}.wav"),
                        c => format!("letters/{}.wav", c.to_uppercase()),
                    })),
                }
                clips
            }
            Value::Time { hour, minute } => {
                let mut clips = self.number_clips(*hour);
                if *minute > 0 {
                    clips.extend(self.number_clips(*minute));
                }
                clips
            }
            Value::Named { clip, .. } => vec![format!("{clip}.wav")],
        }
    }

    fn number_clips(&self, n: u32) -> Vec<String> {
        let whole = format!("numbers/{n}.wav");
        if self.clips.contains_key(&whole) {
            return vec![whole];
        }
        if (21..100).contains(&n) {
            let (tens, units) = (format!("numbers/{}.wav", n / 10 * 10), format!("numbers/{}.wav", n % 10));
            if !n.is_multiple_of(10) && self.clips.contains_key(&tens) && self.clips.contains_key(&units) {
                return vec![tens, units];
            }
        }
        n.to_string().chars().map(|d| format!("digits/{d}.wav")).collect()
    }

    /// `utterance` as one WAV: its clips in order with a short silence between them.
    pub fn compose(&self, utterance: &Utterance) -> Result<Vec<u8>, Vec<String>> {
        let pieces = self.pieces(utterance)?;
        let gap = vec![0i16; (self.rate * GAP_MILLIS / 1000) as usize];
        let mut samples = Vec::new();
        for (i, piece) in pieces.iter().enumerate() {
            if i > 0 {
                samples.extend_from_slice(&gap);
            }
            if let Some(clip) = self.clips.get(piece) {
                samples.extend_from_slice(&clip.samples);
            }
        }
        Ok(wav_bytes(&samples, self.rate))
    }

    /// Whether the pack can say `utterance`.
    pub fn can_say(&self, utterance: &Utterance) -> bool {
        self.pieces(utterance).is_ok()
    }
}

/// Reads a pack's folder, collecting every problem instead of stopping at the first.
fn read_pack(dir: &Path, language: &str) -> (VoicePack, Vec<PackError>, Vec<String>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let manifest_path = dir.join("pack.toml");
    let phrases: BTreeMap<String, Vec<Piece>> = match std::fs::read_to_string(&manifest_path) {
        Ok(text) => match toml::from_str::<Manifest>(&text) {
            Ok(manifest) => manifest
                .phrases
                .into_iter()
                .map(|(msgid, pieces)| {
                    let pieces: Vec<Piece> = pieces
                        .into_iter()
                        .map(|p| match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                            Some(slot) => Piece::Slot(slot.to_owned()),
                            None => Piece::Clip(p),
                        })
                        .collect();
                    (msgid, pieces)
                })
                .collect(),
            Err(e) => {
                errors.push(PackError::Manifest { path: manifest_path.clone(), problem: e.to_string() });
                BTreeMap::new()
            }
        },
        Err(e) => {
            errors.push(PackError::Unreadable { path: manifest_path.clone(), reason: e.to_string() });
            BTreeMap::new()
        }
    };
    for (msgid, pieces) in &phrases {
        if Phrase::from_msgid(msgid).is_none() {
            warnings.push(format!("pack.toml: \"{msgid}\" is not a phrase the kiosk says"));
        }
        for piece in pieces.iter() {
            if let Piece::Clip(clip) = piece
                && (clip.contains("..") || clip.starts_with('/'))
            {
                errors.push(PackError::Manifest {
                    path: manifest_path.clone(),
                    problem: format!("\"{msgid}\": {clip} is outside the pack's folder"),
                });
            }
        }
    }
    let mut clips = BTreeMap::new();
    let mut files = Vec::new();
    collect_wavs(dir, dir, &mut files, &mut errors);
    files.sort();
    let mut rate = None;
    for (name, path) in files {
        let clip = match std::fs::read(&path) {
            Ok(bytes) => match read_wav(&bytes) {
                Ok(clip) => clip,
                Err(reason) => {
                    errors.push(PackError::Format { path, reason });
                    continue;
                }
            },
            Err(e) => {
                errors.push(PackError::Unreadable { path, reason: e.to_string() });
                continue;
            }
        };
        let expected = *rate.get_or_insert(clip.rate);
        if clip.rate != expected {
            errors.push(PackError::Rate { path, found: clip.rate, expected });
            continue;
        }
        if clip.clipped_share() > CLIPPED_SHARE {
            errors.push(PackError::Clipped { path, share: clip.clipped_share() * 100.0 });
            continue;
        }
        if clip.rms() < QUIET_RMS {
            errors.push(PackError::TooQuiet { path, rms_db: dbfs(clip.rms()) });
            continue;
        }
        clips.insert(name, clip);
    }
    let mut levels: Vec<f64> = clips.values().map(|c| dbfs(c.rms())).collect();
    levels.sort_by(f64::total_cmp);
    if let Some(&middle) = levels.get(levels.len() / 2) {
        for (name, clip) in &clips {
            let level = dbfs(clip.rms());
            if (level - middle).abs() > LOUDNESS_SPREAD_DB {
                warnings.push(format!(
                    "{name}: {level:.1} dBFS, the pack's middle is {middle:.1} dBFS; normalise the pack"
                ));
            }
        }
    }
    let pack = VoicePack {
        language: language.to_owned(),
        dir: dir.to_owned(),
        rate: rate.unwrap_or(22_050),
        phrases,
        clips,
    };
    (pack, errors, warnings)
}

fn collect_wavs(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>, errors: &mut Vec<PackError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(PackError::Unreadable { path: dir.to_owned(), reason: e.to_string() });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_wavs(root, &path, out, errors);
        } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav")) {
            let name = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            out.push((name, path));
        }
    }
}

/// Checks one language's folder against every phrase the kiosk says (with `service_ids`, the
/// services' names too): what it covers, what it lacks, which clips are unusable.
pub fn check_pack(dir: &Path, language: &str, service_ids: &[&str]) -> PackReport {
    let (pack, errors, warnings) = read_pack(dir, language);
    let mut report = PackReport { language: language.to_owned(), errors, warnings, ..Default::default() };
    for phrase in Phrase::ALL {
        if *phrase == Phrase::Name {
            continue;
        }
        match pack.pieces(&phrase.example()) {
            Ok(_) => report.covered.push(phrase.msgid().to_owned()),
            Err(lacking) => report.missing.push((phrase.msgid().to_owned(), lacking)),
        }
    }
    let mut needed: Vec<String> = (0..10).map(|d| format!("digits/{d}.wav")).collect();
    needed.extend(('A'..='Z').map(|c| format!("letters/{c}.wav")));
    needed.push("language.wav".into());
    needed.extend(service_ids.iter().map(|id| format!("services/{id}.wav")));
    for clip in needed {
        if !pack.clips.contains_key(&clip) && !report.errors.iter().any(|e| error_names(e, &pack.dir, &clip))
        {
            report.missing_clips.push(clip);
        }
    }
    report
}

fn error_names(error: &PackError, dir: &Path, clip: &str) -> bool {
    let path = match error {
        PackError::Unreadable { path, .. }
        | PackError::Format { path, .. }
        | PackError::Rate { path, .. }
        | PackError::TooQuiet { path, .. }
        | PackError::Clipped { path, .. }
        | PackError::Manifest { path, .. } => path,
    };
    path == &dir.join(clip)
}

/// Loads every language folder under `root` that has a pack.toml. A refused pack is logged
/// with its problems and left out; the kiosk then does not speak that language from clips.
pub fn load_all(root: &Path) -> BTreeMap<String, VoicePack> {
    let mut packs = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        log::error!("speech.voice_packs: cannot read {}: no voice packs", root.display());
        return packs;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        if !dir.join("pack.toml").is_file() {
            continue;
        }
        let language = entry.file_name().to_string_lossy().into_owned();
        match VoicePack::load(&dir, &language) {
            Ok(pack) => {
                log::info!("voice pack {language}: {} clips at {} Hz", pack.clips.len(), pack.rate);
                packs.insert(language, pack);
            }
            Err(errors) => {
                for error in &errors {
                    log::error!("voice pack {language}: {error}");
                }
                log::error!(
                    "voice pack {} refused ({} problems; `loket voice check` lists them)",
                    dir.display(),
                    errors.len()
                );
            }
        }
    }
    packs
}

/// A phrase split at its placeholders, as it is recorded: literal pieces (each one clip) and
/// placeholders, in `text`'s order. Pieces of only punctuation and spaces are left out.
pub fn split_phrase(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = text;
    let literal = |piece: &str, pieces: &mut Vec<Piece>| {
        if piece.chars().any(char::is_alphanumeric) {
            pieces.push(Piece::Clip(piece.trim().to_owned()));
        }
    };
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else { break };
        literal(&rest[..start], &mut pieces);
        pieces.push(Piece::Slot(rest[start + 1..start + end].to_owned()));
        rest = &rest[start + end + 1..];
    }
    literal(rest, &mut pieces);
    pieces
}

/// A file name from a phrase's first English words: "Your number is {code}." → "your-number-is".
fn slug(msgid: &str) -> String {
    let words: Vec<String> = msgid
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .filter(|w| !msgid.contains(&format!("{{{w}}}")))
        .take(5)
        .map(str::to_lowercase)
        .collect();
    words.join("-")
}

/// The recording script for `language`: every clip to record, with the words to say (from the
/// catalogue), then the pack.toml that puts them together. `services` are (id, name in the
/// language). Phrases not yet translated are marked: translate them first.
pub fn recording_script(language: &str, autonym: &str, services: &[(String, String)]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "# Voice pack for {language} ({autonym}): record each clip into the file named.");
    let _ = writeln!(out, "# One speaker, a quiet room, 16-bit mono WAV; then normalise (see the README).");
    let _ = writeln!(out);
    let _ = writeln!(out, "language.wav	{autonym}");
    for (id, name) in services {
        let _ = writeln!(out, "services/{id}.wav	{name}");
    }
    for d in 0..10 {
        let _ = writeln!(out, "digits/{d}.wav	{d}");
    }
    for c in 'A'..='Z' {
        let _ = writeln!(out, "letters/{c}.wav	{c} (as a letter of a ticket code)");
    }
    let _ =
        writeln!(out, "numbers/N.wav	(optional) whole numbers, e.g. numbers/17.wav; else digits are used");
    for day in ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] {
        let _ = writeln!(out, "days/{day}.wav	(optional) {day}, in {language}");
    }
    let mut manifest = String::from("[phrases]\n");
    let catalogue = loket_protocol::i18n::Catalogue::bundled();
    for phrase in Phrase::ALL {
        if *phrase == Phrase::Name {
            continue;
        }
        let msgid = phrase.msgid();
        let translated = catalogue.message(language, msgid).is_some() || language == "en";
        let text = phrase.text(language);
        let mut files = Vec::new();
        let mut n = 0;
        for piece in split_phrase(text) {
            match piece {
                Piece::Clip(words) => {
                    n += 1;
                    let file = format!("phrases/{}-{n}.wav", slug(msgid));
                    let note = if translated {
                        String::new()
                    } else {
                        "  [NOT TRANSLATED YET: translate first]".into()
                    };
                    let _ = writeln!(out, "{file}\t{words}{note}");
                    files.push(format!("{file:?}"));
                }
                Piece::Slot(name) => files.push(format!("\"{{{name}}}\"")),
            }
        }
        let _ = writeln!(manifest, "{msgid:?} = [{}]", files.join(", "));
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "# pack.toml (the pieces in the order the language says them; change it if yours differs):"
    );
    out.push_str(&manifest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tone of `hz` for `millis` at `level` (share of full scale), as a test clip.
    pub(crate) fn tone(hz: f32, millis: u32, level: f32) -> Vec<u8> {
        let rate = 16_000;
        let n = rate * millis / 1000;
        let samples: Vec<i16> = (0..n)
            .map(|i| {
                let t = i as f32 / rate as f32;
                (level * (2.0 * std::f32::consts::PI * hz * t).sin() * 32767.0) as i16
            })
            .collect();
        wav_bytes(&samples, rate)
    }

    #[test]
    fn a_wav_file_is_read_back_and_odd_formats_are_refused() {
        let clip = read_wav(&tone(440.0, 100, 0.5)).unwrap();
        assert_eq!((clip.rate, clip.samples.len()), (16_000, 1600));
        assert!((clip.rms() - 0.5 / 2f64.sqrt()).abs() < 0.01, "{}", clip.rms());
        let mut stereo = tone(440.0, 100, 0.5);
        stereo[22] = 2;
        assert_eq!(read_wav(&stereo).unwrap_err(), "2 channels (needs mono)");
        assert_eq!(read_wav(b"OggS....").unwrap_err(), "no RIFF/WAVE header");
    }

    #[test]
    fn a_clip_whose_data_chunk_is_longer_than_the_file_is_refused() {
        // Such a file was cut short, or its size never written (a recorder writing to a pipe).
        let mut cut = tone(440.0, 100, 0.5);
        cut[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_wav(&cut).unwrap_err().contains("the \"data\" chunk says 4294967295 bytes"));
    }

    #[test]
    fn random_bytes_after_a_wav_header_are_not_a_clip() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..50 {
            let mut bytes = b"RIFF\0\0\0\0WAVE".to_vec();
            bytes.extend((0..2048).map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 32) as u8
            }));
            assert!(read_wav(&bytes).is_err(), "random bytes read as a clip");
        }
    }

    #[test]
    fn a_phrase_is_split_at_its_placeholders_in_the_languages_order() {
        assert_eq!(
            split_phrase("Open again on {day} at {time}."),
            [
                Piece::Clip("Open again on".into()),
                Piece::Slot("day".into()),
                Piece::Clip("at".into()),
                Piece::Slot("time".into())
            ]
        );
        assert_eq!(slug("Your number is {code}."), "your-number-is");
        let script = recording_script("nl", "Nederlands", &[("email".into(), "E-mail".into())]);
        assert!(script.contains("phrases/your-number-is-1.wav\tJe nummer is"), "{script}");
        assert!(script.contains("services/email.wav\tE-mail"), "{script}");
        assert!(
            script.contains("\"Your number is {code}.\" = [\"phrases/your-number-is-1.wav\", \"{code}\"]")
        );
        // A language without a catalogue file (every shipped one is complete now).
        let untranslated = recording_script("xx", "Xx", &[]);
        assert!(untranslated.contains("NOT TRANSLATED YET"), "honest about what is not translated");
        let tigrinya = recording_script("ti", "ትግርኛ", &[]);
        assert!(!tigrinya.contains("NOT TRANSLATED YET"), "{tigrinya}");
    }

    #[test]
    fn numbers_use_whole_clips_then_tens_and_units_then_digits() {
        let mut pack = VoicePack {
            language: "so".into(),
            dir: PathBuf::new(),
            rate: 16_000,
            phrases: BTreeMap::new(),
            clips: BTreeMap::new(),
        };
        let clip = Clip { samples: vec![1000; 10], rate: 16_000 };
        for name in ["numbers/17.wav", "numbers/20.wav", "numbers/3.wav"] {
            pack.clips.insert(name.into(), clip.clone());
        }
        assert_eq!(pack.number_clips(17), ["numbers/17.wav"]);
        assert_eq!(pack.number_clips(23), ["numbers/20.wav", "numbers/3.wav"]);
        assert_eq!(pack.number_clips(104), ["digits/1.wav", "digits/0.wav", "digits/4.wav"]);
        assert_eq!(
            pack.value_clips(&Value::Code("AB-017".into())),
            ["letters/A.wav", "letters/B.wav", "numbers/17.wav"]
        );
    }
}
