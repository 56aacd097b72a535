//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test file uses its own part

pub mod activity;
pub mod browser;
pub mod central_double;
pub mod fault_proxy;
pub mod postgres;
pub mod pty;
pub mod ui;
pub mod web;
