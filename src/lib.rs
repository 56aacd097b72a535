//! Loket: the software of a self-service kiosk for public help points.
//!
//! Layout
//! - Domain, pure and tested without I/O: [`queue`] (tickets, desks, numbering, estimates),
//!   [`appointment`] (booked visits, booking codes, check-in rules), [`wait_estimate`] (the
//!   wait shown to a visitor, worked out by playing the desks forward) and [`visit`] (the
//!   screens a visitor walks through and their timeouts).
//! - [`config`]: the one TOML file, parsed strictly and validated; [`languages`]: the languages
//!   the kiosk knows, named in their own script; [`content`]: tutorial and screening packs
//!   (TOML + images), loaded and checked.
//! - Ports with a real and a simulated side: [`clock`], [`store`] (SQLite), [`printer`].
//! - [`help_point`]: the queue behind its store — every action is committed before it is shown;
//!   [`owner`]: the one thread that owns it, and the handle everyone else sends commands with.
//! - [`ui`]: the Slint screens from `ui/*.slint`, wired to the help point.
//! - [`web`]: the staff console, the "now serving" board and the JSON API (axum on tokio).
//! - Being a service: [`watchdog`] (sd_notify: ready, alive from the UI thread, stopping) and
//!   [`stop_signal`] (SIGTERM finishes the ticket being printed and closes the store).
//! - [`maintenance`]: the nightly tidy-up of the store (figures kept, old detail deleted).
//! - [`after_hours`]: the closed message and the dark screen outside the opening hours.
//! - [`speech`], [`guidance`], [`voice_pack`]: calls, lesson steps and every visitor screen
//!   spoken aloud, with espeak-ng or a help point's recorded clips.
//! - [`cli`]: the `loket` command line; `main.rs` only calls it.
//! - [`protocol`], [`secret`], [`tls`], [`clock`], [`journal_log`]: shared with `loket-central`,
//!   the central system the kiosks report to (crate `loket-protocol`; `loket-central` is its own
//!   crate). `journal_log`: log lines with journal priorities, for both programs.

slint::include_modules!();

pub mod after_hours;
pub mod appointment;
pub mod appointment_import;
pub mod cli;
pub mod config;
pub mod content;
pub mod desk_buttons;
pub mod guidance;
pub mod help_point;
pub use loket_protocol::languages;
pub mod lesson;
pub mod maintenance;
pub mod opening_hours;
pub mod owner;
pub mod print_queue;
pub mod printed_ticket;
pub mod printer;
pub mod queue;
pub mod report;
pub mod screening;
pub mod setup;
pub mod speech;
pub mod stop_signal;
pub mod store;
pub mod ui;
pub mod visit;
pub mod voice_pack;
pub mod wait_estimate;
pub mod watchdog;
pub mod web;
pub mod xapi;

// Shared with loket-central (the loket-protocol crate), re-exported under their old paths.
pub use loket_protocol::report as protocol;
pub use loket_protocol::{clock, journal_log, secret, tls};
