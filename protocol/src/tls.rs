//! Loket's one choice of TLS: rustls with the **ring** crypto provider (Apache-2.0 AND ISC) for
//! every HTTPS client and server — not reqwest's default aws-lc-rs, whose OpenSSL-licensed parts
//! do not go with the GPL. reqwest is built without a provider of its own, so a client needs
//! ring installed as the process default first: [`client`] does that, and everything that makes
//! an HTTP client (the reporter, the tests, the benchmarks) starts from it.

use std::sync::Arc;

/// Makes ring the process's default rustls provider (once; later calls do nothing).
fn install_ring() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The ring provider, for a server's rustls configuration.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A reqwest client builder on rustls with ring.
pub fn client() -> reqwest::ClientBuilder {
    install_ring();
    reqwest::Client::builder()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_client_can_be_built_and_ring_is_the_default() {
        assert!(super::client().build().is_ok());
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
