//! `[speech]`: how calls are announced. It must not speak (that is [`crate::speech`]).

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

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct SpeechFile {
    engine: String,
}

impl Default for SpeechFile {
    fn default() -> Self {
        SpeechFile { engine: "espeak-ng".into() }
    }
}

impl SpeechFile {
    pub(super) fn validate(self) -> Result<Speech, ConfigError> {
        match self.engine.as_str() {
            "espeak-ng" => Ok(Speech::EspeakNg),
            "simulated" => Ok(Speech::Simulated),
            _ => {
                Err(invalid("speech.engine", quoted(&self.engine), "must be \"espeak-ng\" or \"simulated\""))
            }
        }
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
}
