//! The intent spec: three bullets plus optional guard lines.
//!
//! CONTRACT (filled in by the foundation work): validation with typed errors,
//! canonical JSON, sha256 digest, conversion to and from attributes.

use serde::{Deserialize, Serialize};

/// A declared intent: what a session (or a delegate) must achieve, within which
/// boundaries, and what must not happen.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentSpec {
    /// What the session must achieve.
    pub objective: String,
    /// Definitions and boundaries.
    pub scope: String,
    /// What must not happen.
    pub constraints: String,
    /// Machine-checkable guard lines, one rule per line (see [`crate::guard`]).
    #[serde(default)]
    pub guards: Vec<String>,
}
