//! The `reshimu.guard` event: a check's verdict recorded on a span.

use opentelemetry::{Array, KeyValue, StringValue, Value};
use reshimu_intent::attr;
use reshimu_intent::score::Score;

use crate::session::Mode;

/// Event attribute: what was checked (action name or `delegate <agent>`).
pub const GUARD_ACTION: &str = "reshimu.guard.action";
/// Event attribute: the mode of the check (`observe` or `enforce`).
pub const GUARD_MODE: &str = "reshimu.guard.mode";
/// Event attribute: `allowed` or `refused`.
pub const GUARD_OUTCOME: &str = "reshimu.guard.outcome";

/// Whether the checked action or delegation went ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Allowed,
    Refused,
}

/// The attributes of a `reshimu.guard` event for `score`.
pub(crate) fn guard_event(
    score: &Score,
    action: &str,
    mode: Mode,
    outcome: Outcome,
) -> Vec<KeyValue> {
    let mut v = vec![
        KeyValue::new(GUARD_ACTION, action.to_owned()),
        KeyValue::new(GUARD_MODE, mode.as_str()),
        KeyValue::new(
            GUARD_OUTCOME,
            match outcome {
                Outcome::Allowed => "allowed",
                Outcome::Refused => "refused",
            },
        ),
        KeyValue::new(attr::VERDICT, score.verdict.as_str()),
        KeyValue::new(attr::SCORE_ALIGNMENT, f64::from(score.alignment)),
        KeyValue::new(
            attr::SCORE_LOCAL_ALIGNMENT,
            f64::from(score.local_alignment),
        ),
        KeyValue::new(attr::EXPLANATION, score.explanation.clone()),
        KeyValue::new(attr::SCORER, score.scorer),
        KeyValue::new(
            attr::VIOLATIONS,
            Value::Array(Array::String(
                score
                    .violations
                    .iter()
                    .cloned()
                    .map(StringValue::from)
                    .collect(),
            )),
        ),
    ];
    if let Some(c) = score.coverage {
        v.push(KeyValue::new(attr::SCORE_COVERAGE, f64::from(c)));
    }
    v
}
