//! The files `[report]` names: the kiosk's token (`report.token_file`) and the extra CA
//! certificates (`report.ca_bundle`). They are read here, when the reporter starts and by
//! `loket check`, not when the config is loaded: the config only names them. Every error names
//! the key and the file, as a config error does (`loket check` exits 2 on it). It must not
//! keep the token anywhere but in the reporter's settings, nor log it.

use std::path::Path;

use crate::config::{ConfigError, Report};

/// A problem with the file a key names, as `key = "path": reason`.
fn bad_file(key: &str, path: &Path, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        value: format!("{:?}", path.display().to_string()),
        reason: reason.into(),
    }
}

/// Reads the kiosk's token from `report.token_file`: it must be readable, one line, not empty.
pub fn read_token(report: &Report) -> Result<String, ConfigError> {
    const KEY: &str = "report.token_file";
    let path = &report.token_file;
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad_file(KEY, path, format!("cannot read the token: {e}")))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(bad_file(KEY, path, "the file is empty; put the kiosk's token in it"));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad_file(KEY, path, "the token must be one line without spaces"));
    }
    Ok(token.to_owned())
}

/// Reads `report.ca_bundle`, if set: PEM certificates (`None` when not set).
pub fn read_ca_bundle(report: &Report) -> Result<Option<Vec<u8>>, ConfigError> {
    const KEY: &str = "report.ca_bundle";
    let Some(path) = &report.ca_bundle else { return Ok(None) };
    let pem = std::fs::read(path).map_err(|e| bad_file(KEY, path, format!("cannot read it: {e}")))?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(bad_file(KEY, path, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
    }
    Ok(Some(pem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_file_must_be_readable_and_not_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let report = Report { token_file: path.clone(), ..Report::default() };
        let message = read_token(&report).unwrap_err().to_string();
        assert!(message.starts_with("report.token_file = ") && message.contains("token\""), "{message}");
        assert!(message.contains("cannot read"), "{message}");
        std::fs::write(&path, "\n").unwrap();
        assert!(read_token(&report).unwrap_err().to_string().contains("empty"));
        std::fs::write(&path, "abc123\n").unwrap();
        assert_eq!(read_token(&report).unwrap(), "abc123");
    }

    #[test]
    fn a_ca_bundle_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "hello").unwrap();
        let report = Report { ca_bundle: Some(path), ..Report::default() };
        let message = read_ca_bundle(&report).unwrap_err().to_string();
        assert!(message.starts_with("report.ca_bundle = ") && message.contains("PEM"), "{message}");
        assert_eq!(read_ca_bundle(&Report::default()).unwrap(), None);
    }
}
