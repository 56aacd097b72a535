//! `[speech]`: how calls are announced and the visitor screens spoken, and where the help
//! point's voice packs are. It must not speak (that is [`crate::speech`] and
//! [`crate::guidance`]).

use std::path::PathBuf;

use serde::Deserialize;

use super::{ConfigError, invalid, quoted};

/// `[speech]`: how calls are announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Speech {
    /// Spoken with espeak-ng (Debian package `espeak-ng`), in the local language and then in
    /// the visitor's; languages without an espeak-ng voice are skipped.
    #[default]
    EspeakNg,
    /// Nothing is said; what would be said is logged (tests, silent sites).
    Simulated,
}

/// `[speech]`, the visitor screens' spoken guidance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpokenGuidance {
    /// The folder of voice packs (one folder per language; see [`crate::voice_pack`]); `None`
    /// when the help point has none (`voice_packs = ""`).
    pub voice_packs: Option<PathBuf>,
    /// Whether the welcome screen says "Touch your language" in each language when it comes
    /// back after a visit.
    pub welcome_invitation: bool,
}

impl Default for SpokenGuidance {
    fn default() -> Self {
        SpokenGuidance { voice_packs: None, welcome_invitation: true }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct SpeechFile {
    engine: String,
    voice_packs: String,
    welcome_invitation: bool,
}

impl Default for SpeechFile {
    fn default() -> Self {
        SpeechFile { engine: "espeak-ng".into(), voice_packs: String::new(), welcome_invitation: true }
    }
}

impl SpeechFile {
    pub(super) fn validate(self) -> Result<(Speech, SpokenGuidance), ConfigError> {
        let engine = match self.engine.as_str() {
            "espeak-ng" => Speech::EspeakNg,
            "simulated" => Speech::Simulated,
            _ => {
                return Err(invalid(
                    "speech.engine",
                    quoted(&self.engine),
                    "must be \"espeak-ng\" or \"simulated\"",
                ));
            }
        };
        let voice_packs = match self.voice_packs.as_str() {
            "" => None,
            path if !path.starts_with('/') => {
                return Err(invalid(
                    "speech.voice_packs",
                    quoted(path),
                    "must be an absolute path (e.g. \"/var/lib/loket/voices\"), or \"\" for none",
                ));
            }
            path if path.split('/').any(|part| part == "..") => {
                return Err(invalid("speech.voice_packs", quoted(path), "must not contain \"..\""));
            }
            path => Some(PathBuf::from(path)),
        };
        Ok((engine, SpokenGuidance { voice_packs, welcome_invitation: self.welcome_invitation }))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;
    use crate::config::{Config, Speech};

    #[test]
    fn speech_engine_is_checked() {
        let with = |table: &str| format!("{GOOD}\n{table}\n");
        assert_eq!(Config::sample().speech, Speech::EspeakNg);
        let config: Config = with("[speech]\nengine = \"simulated\"").parse().unwrap();
        assert_eq!(config.speech, Speech::Simulated);
        assert_names(&error(&with("[speech]\nengine = \"festival\"")), &["speech.engine = \"festival\""]);
    }

    #[test]
    fn voice_packs_and_the_invitation_are_checked() {
        let with = |table: &str| format!("{GOOD}\n[speech]\n{table}\n");
        let sample = Config::sample().spoken_guidance;
        assert_eq!((sample.voice_packs, sample.welcome_invitation), (None, true));
        let config: Config =
            with("voice_packs = \"/var/lib/loket/voices\"\nwelcome_invitation = false").parse().unwrap();
        assert_eq!(config.spoken_guidance.voice_packs.as_deref(), Some("/var/lib/loket/voices".as_ref()));
        assert!(!config.spoken_guidance.welcome_invitation);
        assert_eq!(
            error(&with("voice_packs = \"voices\"")),
            "speech.voice_packs = \"voices\": must be an absolute path (e.g. \"/var/lib/loket/voices\"), or \"\" for none"
        );
        assert_names(
            &error(&with("voice_packs = \"/srv/../etc\"")),
            &["speech.voice_packs = \"/srv/../etc\""],
        );
        assert_names(&error(&with("welcome_invitation = \"yes\"")), &["welcome_invitation"]);
    }
}
