//! `[web]`: the staff web server's address, HTTPS behind a proxy, and the machine clients'
//! API tokens (hashes only). It must not bind the address (that is `cli`).

use std::net::SocketAddr;

use serde::Deserialize;

use super::{ConfigError, argon2_hash, invalid, non_empty, quoted};

/// `[web]`: the staff web page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Web {
    /// Address and port the staff web server listens on.
    pub listen: SocketAddr,
    /// Machine clients (a second kiosk, another system) allowed to use the API with a token.
    pub api_tokens: Vec<ApiToken>,
    /// The console is reached over HTTPS (through a reverse proxy): session cookies get the
    /// `Secure` flag, so a browser never sends them over plain HTTP.
    pub https: bool,
}

/// `[[web.api_token]]`: a machine client and the Argon2 hash of its token (`loket hash-pin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub name: String,
    pub token_hash: String,
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct WebFile {
    listen: String,
    https: bool,
    #[serde(rename = "api_token")]
    api_tokens: Vec<ApiTokenFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ApiTokenFile {
    name: String,
    token_hash: String,
}

impl Default for WebFile {
    fn default() -> Self {
        WebFile { listen: "127.0.0.1:8080".into(), https: false, api_tokens: Vec::new() }
    }
}

impl WebFile {
    pub(super) fn validate(self) -> Result<Web, ConfigError> {
        let listen = self.listen.trim().parse::<SocketAddr>().map_err(|_| {
            invalid(
                "web.listen",
                quoted(&self.listen),
                "must be an IP address and a port, e.g. \"127.0.0.1:8080\" or \"0.0.0.0:8080\"",
            )
        })?;
        let mut api_tokens = Vec::new();
        for (i, token) in self.api_tokens.into_iter().enumerate() {
            let name = non_empty(&format!("web.api_token[{i}].name"), &token.name, "who uses the token")?;
            let token_hash = argon2_hash(&format!("web.api_token[{i}].token_hash"), &token.token_hash)?;
            api_tokens.push(ApiToken { name, token_hash });
        }
        Ok(Web { listen, api_tokens, https: self.https })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;

    #[test]
    fn bad_web_listen() {
        let message = error(&good_with("\"127.0.0.1:8080\"", "\"localhost\""));
        assert_names(&message, &["web.listen = \"localhost\"", "IP address and a port"]);
    }
}
