//! What the Loket kiosk and `loket-central` share, and nothing else.
//!
//! Layout
//! - [`report`]: the report protocol — the JSON shapes both sides speak, the paths, the limits;
//! - [`appointments`]: the appointment plan kiosks pull and the bodies of appointment events;
//! - [`content_pack`]: what a content pack's tar archive may hold (no links, no devices, no `..`);
//! - [`learning`]: the levels a screening scores with, named the same on both sides;
//! - [`xapi`]: the outbox event type and ADL verbs of the kiosk's xAPI statements;
//! - [`secret`]: Argon2id hashes of PINs, passwords and tokens, new tokens, constant-time compare;
//! - [`sign_in`]: the sign-in rate limit both servers apply, and the cookie reader;
//! - [`server`] (feature `server`): how both web servers hold connections — timeouts, caps, TLS;
//! - [`routes`]: the route table type each server's OpenAPI test checks its document against;
//! - [`tls`]: the one choice of TLS (rustls with ring) for every client and server;
//! - [`i18n`]: the translation catalogue (`lang/*/LC_MESSAGES/loket.po`) for words made outside Slint;
//! - [`languages`]: the languages a kiosk knows, and how staff read a visitor's language;
//! - [`clock`]: the clock port (the real clock and one set by hand for tests);
//! - [`journal_log`]: log lines with journal priorities when stderr is the journal.
//!
//! It must stay small and free of either program's machinery: no Slint, no GPIO, no store, no web
//! framework. The kiosk re-exports these modules under their old paths (`loket::protocol`,
//! `loket::secret`, `loket::tls`, `loket::clock`, `loket::journal_log`).

pub mod appointments;
pub mod clock;
pub mod content_pack;
pub mod i18n;
pub mod journal_log;
pub mod languages;
pub mod learning;
pub mod report;
pub mod routes;
pub mod secret;
#[cfg(feature = "server")]
pub mod server;
pub mod sign_in;
pub mod tls;
pub mod xapi;
