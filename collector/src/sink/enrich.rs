//! Scores as OTLP: `reshimu.*` attributes and a `gen_ai.evaluation.result`
//! event on every span, so backends other than ClickHouse show them too.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::{Span, span::Event};
use reshimu_intent::attr;

use crate::score::{ScoredRequest, ScoredSpan};

/// The request with every span enriched with its lineage and score.
pub fn enriched_request(request: &ScoredRequest) -> ExportTraceServiceRequest {
    let mut out = request.received.request.clone();
    let mut scored = request.spans.iter();
    for rs in &mut out.resource_spans {
        for ss in &mut rs.scope_spans {
            for span in &mut ss.spans {
                if let Some(s) = scored.next() {
                    enrich_span(span, s);
                }
            }
        }
    }
    out
}

/// Adds lineage and score attributes and the evaluation event to one span.
/// Lineage attributes the agent already set are replaced by the resolved ones.
pub fn enrich_span(span: &mut Span, s: &ScoredSpan) {
    let node = s.lineage.intent.as_deref();
    let mut set = |key: &'static str, value: Value| {
        span.attributes.retain(|kv| kv.key != key);
        span.attributes.push(kv(key, value));
    };
    if let Some(n) = node {
        set(attr::INTENT_ID, Value::StringValue(n.id.to_string()));
        set(
            attr::INTENT_ROOT_ID,
            Value::StringValue(n.root_id.to_string()),
        );
        set(attr::DELEGATION_DEPTH, Value::IntValue(i64::from(n.depth)));
        set(
            attr::INTENT_LINEAGE,
            strings(n.lineage_path().iter().map(|id| id.to_string())),
        );
    }
    if !s.lineage.session_id.is_empty() {
        set(
            attr::SESSION_ID,
            Value::StringValue(s.lineage.session_id.to_string()),
        );
    }
    let score = &s.score;
    set(
        attr::SCORE_ALIGNMENT,
        Value::DoubleValue(f64::from(score.alignment)),
    );
    set(
        attr::SCORE_LOCAL_ALIGNMENT,
        Value::DoubleValue(f64::from(score.local_alignment)),
    );
    if let Some(c) = score.coverage {
        set(attr::SCORE_COVERAGE, Value::DoubleValue(f64::from(c)));
    }
    set(
        attr::VERDICT,
        Value::StringValue(score.verdict.as_str().to_owned()),
    );
    if !score.violations.is_empty() {
        set(attr::VIOLATIONS, strings(score.violations.iter().cloned()));
    }
    if !score.explanation.is_empty() {
        set(
            attr::EXPLANATION,
            Value::StringValue(score.explanation.clone()),
        );
    }
    set(attr::SCORER, Value::StringValue(score.scorer.to_owned()));

    span.events.push(Event {
        time_unix_nano: span.end_time_unix_nano.max(span.start_time_unix_nano),
        name: attr::event::GEN_AI_EVALUATION_RESULT.to_owned(),
        attributes: vec![
            kv(
                attr::foreign::GEN_AI_EVALUATION_NAME,
                Value::StringValue(attr::event::EVALUATION_NAME_VALUE.to_owned()),
            ),
            kv(
                attr::foreign::GEN_AI_EVALUATION_SCORE_VALUE,
                Value::DoubleValue(f64::from(score.alignment)),
            ),
            kv(
                attr::foreign::GEN_AI_EVALUATION_SCORE_LABEL,
                Value::StringValue(score.verdict.as_str().to_owned()),
            ),
            kv(
                attr::foreign::GEN_AI_EVALUATION_EXPLANATION,
                Value::StringValue(score.explanation.clone()),
            ),
        ],
        dropped_attributes_count: 0,
    });
}

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

fn strings(items: impl Iterator<Item = String>) -> Value {
    Value::ArrayValue(ArrayValue {
        values: items
            .map(|s| AnyValue {
                value: Some(Value::StringValue(s)),
            })
            .collect(),
    })
}
