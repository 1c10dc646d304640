//! Shared helpers for Reshimu's end-to-end tests.

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod collector;
pub mod dashboards;
pub mod frameworks;
pub mod python;
