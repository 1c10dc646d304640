//! Scoring thresholds: configuration, every field defaulted.

use serde::Deserialize;

/// Where the default scorer draws its lines. Deserializable from the
/// collector's YAML (`scoring.thresholds`); unknown keys are rejected so that a
/// typo does not silently keep a default.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// A span whose alignment falls below this is `drifting`.
    pub drifting_below: f32,
    /// A contraction whose coverage falls below this is `thin`.
    pub thin_coverage_below: f32,
    /// Fewer topic words than this in a span's purpose is too little evidence
    /// to call a change of topic; such a span keeps a neutral topic score.
    pub min_topic_words: u32,
    /// Alignment given to a span whose purpose carries too few topic words.
    pub neutral_alignment: f32,
    /// How many bytes of each free text (arguments, contraction, output) are
    /// analysed; bounds the cost of very long model outputs. A longer output
    /// is read at its head and its last 512 bytes.
    pub max_text_bytes: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            drifting_below: 0.5,
            thin_coverage_below: 0.6,
            min_topic_words: 4,
            neutral_alignment: 0.8,
            max_text_bytes: 2048,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_defaults_and_unknown_fields_fail() {
        let t: Thresholds = serde_json::from_str(r#"{"drifting_below": 0.4}"#).unwrap();
        assert_eq!(t.drifting_below, 0.4);
        assert_eq!(
            t.thin_coverage_below,
            Thresholds::default().thin_coverage_below
        );
        assert!(serde_json::from_str::<Thresholds>(r#"{"drift_below": 0.4}"#).is_err());
    }
}
