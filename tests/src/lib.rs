//! Shared helpers for Reshimu's end-to-end tests.
