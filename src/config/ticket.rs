//! `[ticket]`: what the printed ticket carries besides the number (footer, QR code, logo,
//! cutter). It must not read the logo (the printer does, and `loket check` tries it).

use std::path::PathBuf;

use serde::Deserialize;

use super::{ConfigError, invalid, quoted};

/// `[ticket]`: what the printed ticket carries besides the number.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketSettings {
    /// A line at the bottom of every ticket (empty: none).
    pub footer: String,
    /// A QR code on the ticket: a URL template where `{code}` becomes the ticket code
    /// (empty: no QR).
    pub qr_url: String,
    /// Use the printer's own QR command (`GS ( k`) instead of printing the QR as an image.
    /// Many CSN-A2 units lack it: test with `loket print-test` first.
    pub native_qr: bool,
    /// The printer has a cutter (the CSN-A2 has a tear bar: false).
    pub cutter: bool,
    /// A PNG logo printed on top instead of the site name (at most 384×200 pixels); relative
    /// paths in a file are relative to its folder.
    pub logo: Option<PathBuf>,
}

impl TicketSettings {
    /// The QR URL for a ticket code, if a QR is configured.
    pub fn qr_url_for(&self, code: &str) -> Option<String> {
        (!self.qr_url.is_empty()).then(|| self.qr_url.replace("{code}", code))
    }
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub(super) struct TicketFile {
    footer: String,
    qr_url: String,
    native_qr: bool,
    cutter: bool,
    logo: String,
}

impl TicketFile {
    pub(super) fn validate(self) -> Result<TicketSettings, ConfigError> {
        if !self.qr_url.is_empty() {
            if !(self.qr_url.starts_with("https://") || self.qr_url.starts_with("http://")) {
                return Err(invalid(
                    "ticket.qr_url",
                    quoted(&self.qr_url),
                    "must start with https:// or http://",
                ));
            }
            if !self.qr_url.contains("{code}") {
                return Err(invalid(
                    "ticket.qr_url",
                    quoted(&self.qr_url),
                    "must contain {code}, which becomes the ticket code",
                ));
            }
            if self.qr_url.len() > 200 {
                return Err(invalid("ticket.qr_url", quoted(&self.qr_url), "must be at most 200 characters"));
            }
        }
        if self.footer.chars().count() > 200 || self.footer.chars().any(char::is_control) {
            return Err(invalid(
                "ticket.footer",
                quoted(&self.footer),
                "must be one line of at most 200 characters",
            ));
        }
        let logo = (!self.logo.trim().is_empty()).then(|| PathBuf::from(self.logo.trim()));
        Ok(TicketSettings {
            footer: self.footer,
            qr_url: self.qr_url,
            native_qr: self.native_qr,
            cutter: self.cutter,
            logo,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::test_support::*;

    #[test]
    fn ticket_settings_are_read_and_checked() {
        let config = Config::sample();
        assert_eq!(config.ticket.qr_url_for("E-017"), None, "no QR in the sample by default");
        let with = |ticket: &str| format!("{GOOD}\n[ticket]\n{ticket}\n");
        let config: Config =
            with("qr_url = \"https://example.org/q/{code}\"\nfooter = \"Tot zo!\"").parse().unwrap();
        assert_eq!(config.ticket.qr_url_for("E-017").as_deref(), Some("https://example.org/q/E-017"));
        assert_eq!(config.ticket.footer, "Tot zo!");
        assert_names(
            &error(&with("qr_url = \"ftp://x/{code}\"")),
            &["ticket.qr_url = \"ftp://x/{code}\"", "https://"],
        );
        assert_names(&error(&with("qr_url = \"https://x/\"")), &["ticket.qr_url", "{code}"]);
        assert_names(&error(&with("colour = true")), &["colour"]);
    }
}
