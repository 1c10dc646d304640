//! # reshimu-intent
//!
//! The intent model of Reshimu: the three-bullet [`IntentSpec`](spec::IntentSpec)
//! (objective, scope, constraints) plus optional machine-checkable guards, the
//! `reshimu.*` attribute keys, and the scorer that judges a span against the
//! intent chain it runs under.
//!
//! This crate is pure: no I/O, no async runtime, no OpenTelemetry SDK. Both the
//! agent-side exporter and the collector depend on it, so a span is judged the
//! same way before it runs and after it is recorded.
