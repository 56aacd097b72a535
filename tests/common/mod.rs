//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test file uses its own part

pub mod activity;
pub mod central_double;
pub mod fault_proxy;
pub mod pty;
pub mod ui;
pub mod web;

#[allow(unused_imports)] // each test file uses its own part
pub use loket_testkit::{browser, postgres};
