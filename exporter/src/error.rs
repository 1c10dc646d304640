//! Errors of the exporter SDK.

use reshimu_intent::SpecError;
use reshimu_intent::score::{Score, Verdict};
use thiserror::Error;

/// Why a session, a delegation or a guarded action could not go ahead.
#[derive(Debug, Error)]
pub enum Error {
    /// The intent spec (root or contraction) is invalid.
    #[error("invalid intent spec: {0}")]
    Spec(#[from] SpecError),
    /// `enforce` mode refused an action that violates the intent.
    #[error("action `{action}` refused ({}): {}", .score.verdict, .score.explanation)]
    ActionRefused {
        /// The action's name.
        action: String,
        /// The score that refused it.
        score: Box<Score>,
    },
    /// `enforce` mode refused a thin or redefining contraction.
    #[error("delegation to `{agent}` refused ({}): {}", .score.verdict, .score.explanation)]
    ContractionRefused {
        /// The delegate.
        agent: String,
        /// The score of the delegation.
        score: Box<Score>,
    },
    /// A handoff received from a parent agent is inconsistent.
    #[error("invalid handoff: {0}")]
    Handoff(&'static str),
}

impl Error {
    /// The verdict behind a refusal, if this is one.
    pub fn verdict(&self) -> Option<Verdict> {
        match self {
            Error::ActionRefused { score, .. } | Error::ContractionRefused { score, .. } => {
                Some(score.verdict)
            }
            Error::Spec(_) | Error::Handoff(_) => None,
        }
    }
}
