//! WAV recordings as the kiosk plays them (lesson steps' `audio/<lang>/<step>.wav`, voice-pack
//! clips): the file's structure read strictly, so that random bytes, a file cut short or a
//! format `aplay` cannot play is refused with what is wrong, before a visitor hears noise or
//! nothing. [`read`] checks the RIFF/WAVE header, that every chunk (the `data` chunk above
//! all) lies within the file, and that the `fmt ` chunk comes first; [`check_playable`] checks
//! that the format is plain PCM the kiosk can play.
//!
//! It must not decode or play sound (that is [`crate::speech`]), nor judge a recording's
//! loudness (that is [`crate::voice_pack`]), and it never panics on any input.

use std::ops::Range;
use std::path::Path;

/// The largest recording read: a step's recording is a minute or two (16-bit mono at 48 kHz is
/// 5.6 MiB a minute).
pub const MAX_RECORDING_BYTES: u64 = 64 * 1024 * 1024;

/// Sample rates a recording may have, in Hz.
pub const RATES: Range<u32> = 8_000..48_001;

/// `WAVE_FORMAT_PCM`.
const FORMAT_PCM: u16 = 1;
/// `WAVE_FORMAT_EXTENSIBLE`: the real format is a GUID at the end of the `fmt ` chunk.
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;
/// The first two bytes of the PCM sub-format GUID (`00000001-0000-0010-8000-00aa00389b71`).
const PCM_GUID_TAIL: [u8; 14] =
    [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

/// What a WAV file's `fmt ` chunk says, and where its samples are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavFormat {
    /// The format tag: 1 is PCM (an extensible file with a PCM sub-format counts as 1).
    pub tag: u16,
    pub channels: u16,
    /// Samples per second.
    pub rate: u32,
    pub bits: u16,
    /// Bytes per sample frame (all channels).
    pub block_align: u16,
    /// Where the `data` chunk's samples lie in the file.
    pub data: Range<usize>,
}

/// Reads the structure of a WAV file. Chunks other than `fmt ` and `data` are skipped, but
/// each must lie within the file; the `data` chunk's size must not promise more bytes than the
/// file holds (a file cut short, or written to a pipe with its size left unknown).
pub fn read(bytes: &[u8]) -> Result<WavFormat, String> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("no RIFF/WAVE header".into());
    }
    let mut at = 12;
    let mut format: Option<WavFormat> = None;
    while at < bytes.len() {
        let Some(header) = bytes.get(at..at + 8) else {
            return Err(format!("{} stray bytes at the end, too few for a chunk", bytes.len() - at));
        };
        let id = &header[..4];
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let body_start = at + 8;
        let available = bytes.len() - body_start;
        if size > available {
            return Err(format!(
                "the {} chunk says {size} bytes, but only {available} follow: the file is cut short \
                 (or was written to a pipe); save the recording again",
                chunk_name(id)
            ));
        }
        let body = &bytes[body_start..body_start + size];
        match id {
            b"fmt " => {
                if format.is_some() {
                    return Err("two fmt chunks".into());
                }
                format = Some(read_fmt(body)?);
            }
            b"data" => {
                let Some(mut format) = format else {
                    return Err("data before fmt".into());
                };
                format.data = body_start..body_start + size;
                return Ok(format);
            }
            _ => {}
        }
        // Chunks are padded to an even length; the pad byte may be missing after the last one.
        at = body_start + size + size % 2;
    }
    Err("no data chunk".into())
}

fn chunk_name(id: &[u8]) -> String {
    if id.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("{:?}", String::from_utf8_lossy(id).trim_end())
    } else {
        format!("{id:02x?}")
    }
}

fn read_fmt(body: &[u8]) -> Result<WavFormat, String> {
    if body.len() < 16 {
        return Err(format!("the fmt chunk has {} bytes, fewer than 16", body.len()));
    }
    let u16_at = |i: usize| u16::from_le_bytes([body[i], body[i + 1]]);
    let mut tag = u16_at(0);
    if tag == FORMAT_EXTENSIBLE {
        // cbSize (2), valid bits (2), channel mask (4), then the sub-format GUID (16).
        match body.get(24..40) {
            Some(guid) if guid[2..] == PCM_GUID_TAIL => tag = u16::from_le_bytes([guid[0], guid[1]]),
            _ => return Err("an extensible fmt chunk without a PCM sub-format".into()),
        }
    }
    Ok(WavFormat {
        tag,
        channels: u16_at(2),
        rate: u32::from_le_bytes([body[4], body[5], body[6], body[7]]),
        block_align: u16_at(12),
        bits: u16_at(14),
        data: 0..0,
    })
}

/// Whether the kiosk can play the format: PCM, mono or stereo, 8, 16, 24 or 32 bits, a rate in
/// [`RATES`], a frame size that matches, and some sound.
pub fn check_playable(format: &WavFormat) -> Result<(), String> {
    if format.tag != FORMAT_PCM {
        return Err(format!("format tag {} (needs PCM, tag 1)", format.tag));
    }
    if !(1..=2).contains(&format.channels) {
        return Err(format!("{} channels (needs mono or stereo)", format.channels));
    }
    if ![8, 16, 24, 32].contains(&format.bits) {
        return Err(format!("{} bits per sample (needs 8, 16, 24 or 32)", format.bits));
    }
    if !RATES.contains(&format.rate) {
        return Err(format!(
            "sample rate {} Hz (needs {} to {} Hz)",
            format.rate,
            RATES.start,
            RATES.end - 1
        ));
    }
    let frame = format.channels * (format.bits / 8);
    if format.block_align != frame {
        return Err(format!(
            "{} bytes per frame, but {} channel(s) of {} bits make {frame}",
            format.block_align, format.channels, format.bits
        ));
    }
    if format.data.is_empty() {
        return Err("no sound: the data chunk is empty".into());
    }
    if !format.data.len().is_multiple_of(usize::from(frame)) {
        return Err(format!("the data chunk's {} bytes are not whole frames of {frame}", format.data.len()));
    }
    Ok(())
}

/// Reads and checks the recording at `path`: a plain file of at most [`MAX_RECORDING_BYTES`]
/// that [`read`] and [`check_playable`] accept. The error says what is wrong, without the path.
pub fn check_file(path: &Path) -> Result<WavFormat, String> {
    use std::io::Read;
    let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read the recording: {e}"))?;
    if !metadata.is_file() {
        return Err("not a plain file".into());
    }
    if metadata.len() > MAX_RECORDING_BYTES {
        return Err(format!(
            "{} MiB, larger than {} MiB; a step's recording is a minute or two",
            metadata.len() / (1024 * 1024),
            MAX_RECORDING_BYTES / (1024 * 1024)
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_RECORDING_BYTES).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read the recording: {e}"))?;
    let format = read(&bytes)?;
    check_playable(&format)?;
    Ok(format)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::voice_pack::wav_bytes;

    fn tone() -> Vec<u8> {
        let samples: Vec<i16> = (0..1600).map(|i| ((i % 40) as i16 - 20) * 800).collect();
        wav_bytes(&samples, 16_000)
    }

    /// A deterministic stream of bytes that looks like nothing (xorshift).
    fn noise(len: usize, mut seed: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn a_plain_recording_is_read() {
        let bytes = tone();
        let format = read(&bytes).unwrap();
        assert_eq!((format.tag, format.channels, format.rate, format.bits), (1, 1, 16_000, 16));
        assert_eq!(format.data, 44..bytes.len());
        check_playable(&format).unwrap();
    }

    #[test]
    fn random_bytes_are_not_a_recording() {
        for seed in 1..50 {
            assert_eq!(read(&noise(4096, seed)).unwrap_err(), "no RIFF/WAVE header");
        }
    }

    #[test]
    fn random_bytes_behind_a_wav_header_are_refused() {
        // "RIFF....WAVE" then noise: the chunk sizes the noise makes up run past the end.
        for seed in 1..50 {
            let mut bytes = b"RIFF\0\0\0\0WAVE".to_vec();
            bytes.extend(noise(4096, seed));
            let format = read(&bytes).and_then(|f| check_playable(&f).map(|()| f));
            assert!(format.is_err(), "seed {seed}: {format:?}");
        }
    }

    #[test]
    fn a_data_chunk_longer_than_the_file_is_refused() {
        let mut bytes = tone();
        bytes[40..44].copy_from_slice(&0x7fff_f000u32.to_le_bytes());
        let message = read(&bytes).unwrap_err();
        assert!(message.contains("\"data\" chunk says 2147479552 bytes, but only 3200 follow"), "{message}");
        let mut cut = tone();
        cut.truncate(1000);
        assert!(read(&cut).unwrap_err().contains("cut short"));
    }

    #[test]
    fn a_chunk_before_the_data_running_past_the_end_is_refused() {
        let mut bytes = tone();
        bytes[16..20].copy_from_slice(&100_000u32.to_le_bytes());
        assert!(read(&bytes).unwrap_err().contains("\"fmt\" chunk says 100000 bytes"));
    }

    #[test]
    fn formats_the_kiosk_cannot_play_are_refused() {
        let with = |at: usize, value: &[u8]| {
            let mut bytes = tone();
            bytes[at..at + value.len()].copy_from_slice(value);
            check_playable(&read(&bytes).unwrap()).unwrap_err()
        };
        assert_eq!(with(20, &3u16.to_le_bytes()), "format tag 3 (needs PCM, tag 1)");
        assert_eq!(with(22, &6u16.to_le_bytes()), "6 channels (needs mono or stereo)");
        assert_eq!(with(34, &12u16.to_le_bytes()), "12 bits per sample (needs 8, 16, 24 or 32)");
        assert_eq!(with(24, &4_000u32.to_le_bytes()), "sample rate 4000 Hz (needs 8000 to 48000 Hz)");
        assert_eq!(with(24, &0u32.to_le_bytes()), "sample rate 0 Hz (needs 8000 to 48000 Hz)");
        assert!(with(32, &4u16.to_le_bytes()).contains("4 bytes per frame"));
        let empty = wav_bytes(&[], 16_000);
        assert_eq!(check_playable(&read(&empty).unwrap()).unwrap_err(), "no sound: the data chunk is empty");
    }

    #[test]
    fn data_before_fmt_and_no_data_are_refused() {
        assert_eq!(read(b"RIFF\x04\0\0\0WAVEdata\x02\0\0\0\x01\x02").unwrap_err(), "data before fmt");
        let bytes = tone();
        assert_eq!(read(&bytes[..36]).unwrap_err(), "no data chunk");
    }

    #[test]
    fn an_extensible_pcm_file_is_read_as_pcm() {
        let base = tone();
        let mut bytes = base[..12].to_vec();
        bytes.extend_from_slice(b"fmt ");
        bytes.extend_from_slice(&40u32.to_le_bytes());
        bytes.extend_from_slice(&0xFFFEu16.to_le_bytes());
        bytes.extend_from_slice(&base[22..36]);
        bytes.extend_from_slice(&22u16.to_le_bytes());
        bytes.extend_from_slice(&16u16.to_le_bytes());
        bytes.extend_from_slice(&4u32.to_le_bytes());
        bytes.extend_from_slice(&1u16.to_le_bytes());
        bytes.extend_from_slice(&PCM_GUID_TAIL);
        bytes.extend_from_slice(&base[36..]);
        let format = read(&bytes).unwrap();
        assert_eq!(format.tag, 1);
        check_playable(&format).unwrap();
    }

    #[test]
    fn a_file_that_is_not_plain_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(check_file(dir.path()).unwrap_err(), "not a plain file");
        assert_eq!(check_file(Path::new("/dev/zero")).unwrap_err(), "not a plain file");
        let path = dir.path().join("step.wav");
        std::fs::write(&path, tone()).unwrap();
        assert_eq!(check_file(&path).unwrap().rate, 16_000);
    }
}
