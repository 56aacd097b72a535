//! `[web]`: the staff web server's address, HTTPS behind a proxy, and the machine clients'
//! API tokens (hashes only); and what guards the console as a whole: the credentials the sample
//! config publishes, which no config file may carry, and the warnings for a console on the
//! network. It must not bind the address (that is `cli`) nor check a PIN or token (that is the
//! web layer's sign-in).
//!
//! The sample's PINs (in the README) are public. Only the built-in sample, the desktop run of
//! `loket` without `--config`, signs in with them; `loket check --config` refuses a file that
//! carries one, and `loket run --config` takes them out (that desk cannot sign in) and says so
//! in the journal, so a kiosk never comes up with a known credential nor stops for one.

use std::net::SocketAddr;

use serde::Deserialize;

use super::{Config, ConfigError, argon2_hash, desks, invalid, non_empty, quoted};

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

/// Why a published hash is refused, for the error that names its key.
const PUBLISHED: &str = "is the sample config's, whose PIN the README prints: anyone could sign in \
     with it; make this desk's own PIN with `loket hash-pin` (6 to 12 digits)";
const PUBLISHED_TOKEN: &str = "is the sample config's token hash, which anyone can read: anyone could \
     use the API with it; make a token of this client's own with `loket new-api-token`";

impl Config {
    /// Every PIN hash and API-token hash in this config that the built-in sample publishes, as
    /// the error naming its key (empty: none). For config files: the sample itself may use them.
    pub fn published_credentials(&self) -> Vec<ConfigError> {
        self.published_credentials_of(&Config::sample())
    }

    /// This config without the credentials the sample publishes (those desks cannot sign in,
    /// those tokens are not accepted), and what was taken out.
    pub fn without_published_credentials(self) -> (Config, Vec<ConfigError>) {
        self.without_credentials_of(&Config::sample())
    }

    fn published_credentials_of(&self, sample: &Config) -> Vec<ConfigError> {
        let pins = desks::with_published_pin(&self.desks, &sample.desks).into_iter().map(|i| {
            let hash = self.desks[i].pin_hash.as_deref().unwrap_or_default();
            invalid(format!("desk[{i}].pin_hash"), quoted(hash), PUBLISHED)
        });
        let tokens = self.web.tokens_published_in(&sample.web).into_iter().map(|i| {
            invalid(format!("web.api_token[{i}].token_hash"), quoted(&self.web.api_tokens[i].token_hash), {
                PUBLISHED_TOKEN
            })
        });
        pins.chain(tokens).collect()
    }

    fn without_credentials_of(mut self, sample: &Config) -> (Config, Vec<ConfigError>) {
        let found = self.published_credentials_of(sample);
        for i in desks::with_published_pin(&self.desks, &sample.desks) {
            self.desks[i].pin_hash = None;
        }
        let tokens = self.web.tokens_published_in(&sample.web);
        let mut index = 0;
        self.web.api_tokens.retain(|_| {
            index += 1;
            !tokens.contains(&(index - 1))
        });
        (self, found)
    }

    /// What to warn about in `loket check` and the journal when the staff console is served on
    /// `listen`: no desk can sign in at all; and on an address other computers reach, a desk
    /// without a PIN and a console over plain HTTP. Empty when all is well.
    pub fn console_warnings(&self, listen: SocketAddr) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.desks.iter().all(|d| d.pin_hash.is_none()) {
            warnings.push(
                "no desk can sign in to the staff console: no [[desk]] has a pin_hash; make one per desk \
                 with `loket hash-pin` (README, \"PINs\")"
                    .to_owned(),
            );
        }
        if listen.ip().to_canonical().is_loopback() {
            return warnings;
        }
        let on = if listen.ip().is_unspecified() { "every network of this machine" } else { "the network" };
        let open = format!("web.listen = \"{listen}\" serves the staff console to {on}");
        let some_sign_in = self.desks.iter().any(|d| d.pin_hash.is_some());
        for (i, desk) in self.desks.iter().enumerate().filter(|(_, d)| some_sign_in && d.pin_hash.is_none()) {
            warnings.push(format!(
                "{open}, and desk[{i}] ({:?}) has no pin_hash: nobody can sign in there; make its PIN \
                 with `loket hash-pin`",
                desk.name
            ));
        }
        if !self.web.https {
            warnings.push(format!(
                "{open} over plain HTTP (web.https = false): PINs and sessions cross it readable by \
                 anyone on it; keep it on 127.0.0.1 behind a reverse proxy with HTTPS (then web.https = \
                 true), or on a network only staff use"
            ));
        }
        warnings
    }
}

impl Web {
    /// The tokens (their index) whose hash is one of `published`'s.
    fn tokens_published_in(&self, published: &Web) -> Vec<usize> {
        let known: Vec<&str> = published.api_tokens.iter().map(|t| t.token_hash.as_str()).collect();
        let published =
            self.api_tokens.iter().enumerate().filter(|(_, t)| known.contains(&t.token_hash.as_str()));
        published.map(|(i, _)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::test_support::*;

    const SAMPLE_PIN: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$5XJWpWtrIKUQiDdpbQaSdA$w1q+f6kyUnx8Kx5kOrunX8FDJfIB160sy7Kaz4FHmq8";
    const OWN_PIN: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";

    /// GOOD with this pin_hash on its desk and `[web]` as given.
    fn with_desk_pin(pin_hash: &str, web: &str) -> Config {
        good_with("name = \"Balie 1\"", &format!("name = \"Balie 1\"\npin_hash = \"{pin_hash}\""))
            .replace("[web]\nlisten = \"127.0.0.1:8080\"", web)
            .parse()
            .unwrap()
    }

    #[test]
    fn a_config_file_with_the_samples_pin_hash_is_refused_naming_the_desk() {
        let sample = Config::sample();
        assert!(sample.desks.iter().any(|d| d.pin_hash.as_deref() == Some(SAMPLE_PIN)), "the sample's PIN");
        let config = with_desk_pin(SAMPLE_PIN, "[web]\nlisten = \"127.0.0.1:8080\"");
        let refused: Vec<String> = config.published_credentials().iter().map(|e| e.to_string()).collect();
        assert_eq!(refused.len(), 1, "{refused:?}");
        // The hash is long: the message shows its start (config messages shorten long values).
        assert_names(
            &refused[0],
            &["desk[0].pin_hash", &SAMPLE_PIN[..40], "sample config", "loket hash-pin"],
        );
        assert!(with_desk_pin(OWN_PIN, "[web]").published_credentials().is_empty(), "its own PIN");

        let (taken, said) = config.without_published_credentials();
        assert_eq!(said.len(), 1);
        assert_eq!(taken.desks[0].pin_hash, None, "that desk cannot sign in");
    }

    #[test]
    fn a_token_hash_the_sample_publishes_is_refused_and_taken_out() {
        let token = |name: &str, hash: &str| {
            format!("[[web.api_token]]\nname = \"{name}\"\ntoken_hash = \"{hash}\"\n")
        };
        let sample = with_desk_pin(SAMPLE_PIN, &format!("[web]\n{}", token("sample", SAMPLE_PIN)));
        let web = format!("[web]\n{}{}", token("own", OWN_PIN), token("copied", SAMPLE_PIN));
        let config = with_desk_pin(OWN_PIN, &web);
        let refused = config.published_credentials_of(&sample);
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_names(&refused[0].to_string(), &["web.api_token[1].token_hash", "loket new-api-token"]);
        let (taken, _) = config.without_credentials_of(&sample);
        let names: Vec<&str> = taken.web.api_tokens.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["own"]);
    }

    #[test]
    fn a_console_on_the_network_is_warned_about() {
        let local = with_desk_pin(OWN_PIN, "[web]\nlisten = \"127.0.0.1:8080\"");
        assert_eq!(local.console_warnings(local.web.listen), Vec::<String>::new());
        let network = "0.0.0.0:8080".parse().unwrap();
        let warnings = local.console_warnings(network);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_names(&warnings[0], &["web.listen = \"0.0.0.0:8080\"", "plain HTTP", "web.https"]);
        let proxied = with_desk_pin(OWN_PIN, "[web]\nlisten = \"192.0.2.7:8080\"\nhttps = true");
        assert_eq!(proxied.console_warnings(proxied.web.listen), Vec::<String>::new());

        let no_pin: Config = GOOD.parse().unwrap();
        assert!(no_pin.desks.iter().all(|d| d.pin_hash.is_none()));
        let said = no_pin.console_warnings("[::1]:8080".parse().unwrap());
        assert_eq!(said.len(), 1, "{said:?}");
        assert_names(&said[0], &["no desk can sign in", "loket hash-pin"]);
        assert_eq!(no_pin.console_warnings("[::]:8080".parse().unwrap()).len(), 2);
    }

    #[test]
    fn bad_web_listen() {
        let message = error(&good_with("\"127.0.0.1:8080\"", "\"localhost\""));
        assert_names(&message, &["web.listen = \"localhost\"", "IP address and a port"]);
    }
}
