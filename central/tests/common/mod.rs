//! Helpers shared by loket-central's integration tests: a throwaway PostgreSQL and a WebDriver
//! client, from `loket-testkit` (tests/kit), which the kiosk's tests use too.

#![allow(dead_code)] // each test file uses its own part

#[allow(unused_imports)] // each test file uses its own part
pub use loket_testkit::{browser, postgres};
