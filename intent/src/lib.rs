//! # reshimu-intent
//!
//! The intent model of Reshimu: the three-bullet [`IntentSpec`] (objective,
//! scope, constraints) plus optional machine-checkable [guards](guard), the
//! `reshimu.*` [attribute keys](attr), the [canonical JSON and digest](canonical)
//! of a spec and its [conversion to span attributes](attributes).
//!
//! This crate is pure: no I/O, no async runtime, no OpenTelemetry SDK. Both the
//! agent-side exporter and the collector depend on it, so a span is judged the
//! same way before it runs and after it is recorded. Everything costly (guard
//! parsing, glob compilation, digests) happens once per intent, in
//! [`IntentSpec::parse`]; the per-span checks ([`guard::GuardSet::check_tool`],
//! [`guard::ToolGlob::matches`]) do not allocate.
//!
//! ```
//! use reshimu_intent::IntentSpec;
//!
//! let spec: IntentSpec = serde_json::from_str(r#"{
//!     "objective": "Audit the inactive customer accounts and prepare a summary",
//!     "scope": "inactive = last_login older than 90 days; customers table only; read access",
//!     "constraints": "no writes; no recommendations; do not contact customers",
//!     "guards": ["deny sql write", "deny message send", "define inactive = last_login > 90 days"]
//! }"#)?;
//! let intent = spec.parse()?;
//! assert_eq!(intent.guards().definition("inactive").map(|d| d.text()), Some("last_login > 90 days"));
//! assert_eq!(intent.guards().check_tool("send_email"), None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod action;
pub mod attr;
pub mod attributes;
pub mod canonical;
pub mod guard;
pub mod score;
pub mod span;
pub mod spec;
pub(crate) mod text;

pub use attributes::{AttrError, AttrValue, AttrValueRef, DeclaredIntent, DigestCheck};
pub use guard::{Guard, GuardSet};
pub use spec::{Field, IntentSpec, ParsedIntent, SpecError};
