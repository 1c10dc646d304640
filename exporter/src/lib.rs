//! # reshimu-exporter
//!
//! The agent-side half of Reshimu, built on `opentelemetry`,
//! `opentelemetry_sdk` and `opentelemetry-otlp`. It declares the root intent of
//! a session, declares a contraction on every delegation and stamps every span
//! started inside an intent context with the intent it serves.
//!
//! The crate re-exports the intent model so agents need a single dependency.

pub use reshimu_intent as intent;
