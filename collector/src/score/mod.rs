//! The scoring stage: every span of a released request judged against its
//! intent chain by the scorer of `reshimu-intent`, through its trait.
//!
//! This stage is CPU work; the pipeline runs it on its own thread, never on
//! the async I/O threads.

mod stage;

pub use stage::{ScoredRequest, ScoredSpan, ScoringStage, for_each_span};

use reshimu_intent::score::Thresholds;

/// Reads the scorer's thresholds from the config's `scoring.thresholds`
/// mapping; unknown keys are an error (the scorer owns their meaning).
///
/// ```
/// let t = reshimu_collector::score::thresholds(&serde_yaml::from_str("drifting_below: 0.4").unwrap()).unwrap();
/// assert_eq!(t.drifting_below, 0.4);
/// assert!(reshimu_collector::score::thresholds(&serde_yaml::from_str("drift: 1").unwrap()).is_err());
/// ```
pub fn thresholds(mapping: &serde_yaml::Mapping) -> Result<Thresholds, serde_yaml::Error> {
    serde_yaml::from_value(serde_yaml::Value::Mapping(mapping.clone()))
}
