//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test file uses its own part

pub mod postgres;
pub mod pty;
pub mod ui;
pub mod web;
