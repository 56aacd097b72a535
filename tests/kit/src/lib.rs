//! Test helpers both the kiosk's and loket-central's integration tests use (crate
//! `loket-testkit`, a dev-dependency of both, never shipped): a throwaway PostgreSQL cluster
//! ([`postgres`]) and a headless Chromium driven over WebDriver ([`browser`]).
//!
//! It must not know either program: only processes, HTTP and temp dirs.

pub mod browser;
pub mod postgres;
