//! Helpers shared by loket-central's integration tests (copies of the kiosk's own
//! `tests/common` helpers that these tests need: a throwaway PostgreSQL, a WebDriver client).

#![allow(dead_code)] // each test file uses its own part

pub mod browser;
pub mod postgres;
