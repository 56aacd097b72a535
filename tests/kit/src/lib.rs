//! Test helpers both the kiosk's and loket-central's integration tests use (crate
//! `loket-testkit`, a dev-dependency of both, never shipped): a throwaway PostgreSQL cluster
//! ([`postgres`]), a headless Chromium driven over WebDriver ([`browser`]), checking
//! answers against an OpenAPI document ([`openapi`]), and verifying systemd units ([`systemd`]).
//!
//! It must not know either program: only processes, HTTP and temp dirs.

pub mod browser;
pub mod openapi;
pub mod postgres;
pub mod systemd;
