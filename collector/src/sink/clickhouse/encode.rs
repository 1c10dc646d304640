//! Scored requests as rows of `spans` and `intents`, the way the OpenTelemetry
//! Collector's ClickHouse exporter lays out `otel_traces`.

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, span::SpanKind, status::StatusCode,
};

use super::rows::{Attributes, IntentRow, SpanRow};
use crate::score::{ScoredRequest, ScoredSpan};

/// Appends the `spans` rows of a request, and an `intents` row for every
/// span that declares an intent, stamped `updated_at` (ns).
pub fn encode_request(
    request: &ScoredRequest,
    updated_at: i64,
    spans: &mut Vec<SpanRow>,
    intents: &mut Vec<IntentRow>,
) {
    let mut scored = request.spans.iter();
    for rs in &request.received.request.resource_spans {
        for ss in &rs.scope_spans {
            for span in &ss.spans {
                let Some(s) = scored.next() else { return };
                let (row, intent) = encode_span(rs, ss, span, s, updated_at);
                intents.extend(intent);
                spans.push(row);
            }
        }
    }
}

/// The `spans` row of one span, and its `intents` row when it declares one.
pub fn encode_span(
    rs: &ResourceSpans,
    ss: &ScopeSpans,
    span: &Span,
    s: &ScoredSpan,
    updated_at: i64,
) -> (SpanRow, Option<IntentRow>) {
    let resource = rs
        .resource
        .as_ref()
        .map(|r| r.attributes.as_slice())
        .unwrap_or(&[]);
    let service_name = resource
        .iter()
        .find(|kv| kv.key == "service.name")
        .map(|kv| value_string(kv.value.as_ref()))
        .unwrap_or_default();
    let row = span_row(span, s, &service_name, resource, ss.scope.as_ref());
    let intent = if s.lineage.declares {
        intent_row(&row, s, updated_at)
    } else {
        None
    };
    (row, intent)
}

fn span_row(
    span: &Span,
    s: &ScoredSpan,
    service_name: &str,
    resource: &[KeyValue],
    scope: Option<&opentelemetry_proto::tonic::common::v1::InstrumentationScope>,
) -> SpanRow {
    let node = s.lineage.intent.as_deref();
    let (events_timestamp, events_name, events_attributes) = span
        .events
        .iter()
        .map(|e| {
            (
                nanos(e.time_unix_nano),
                e.name.clone(),
                attributes(&e.attributes),
            )
        })
        .collect();
    let mut links_trace_id = Vec::with_capacity(span.links.len());
    let mut links_span_id = Vec::with_capacity(span.links.len());
    let mut links_trace_state = Vec::with_capacity(span.links.len());
    let mut links_attributes = Vec::with_capacity(span.links.len());
    for l in &span.links {
        links_trace_id.push(hex::encode(&l.trace_id));
        links_span_id.push(hex::encode(&l.span_id));
        links_trace_state.push(l.trace_state.clone());
        links_attributes.push(attributes(&l.attributes));
    }
    SpanRow {
        timestamp: nanos(span.start_time_unix_nano),
        trace_id: hex::encode(&span.trace_id),
        span_id: hex::encode(&span.span_id),
        parent_span_id: hex::encode(&span.parent_span_id),
        trace_state: span.trace_state.clone(),
        span_name: span.name.clone(),
        span_kind: span_kind(span.kind).to_owned(),
        service_name: service_name.to_owned(),
        resource_attributes: attributes(resource),
        scope_name: scope.map(|s| s.name.clone()).unwrap_or_default(),
        scope_version: scope.map(|s| s.version.clone()).unwrap_or_default(),
        span_attributes: attributes(&span.attributes),
        duration: span
            .end_time_unix_nano
            .saturating_sub(span.start_time_unix_nano),
        status_code: status_code(span).to_owned(),
        status_message: span
            .status
            .as_ref()
            .map(|s| s.message.clone())
            .unwrap_or_default(),
        events_timestamp,
        events_name,
        events_attributes,
        links_trace_id,
        links_span_id,
        links_trace_state,
        links_attributes,
        session_id: s.lineage.session_id.to_string(),
        intent_id: node.map(|n| n.id.to_string()).unwrap_or_default(),
        root_intent_id: node.map(|n| n.root_id.to_string()).unwrap_or_default(),
        parent_intent_id: node
            .and_then(|n| n.parent_id())
            .map(|p| p.to_string())
            .unwrap_or_default(),
        depth: node.map_or(0, |n| u16::try_from(n.depth).unwrap_or(u16::MAX)),
        lineage_path: node
            .map(|n| n.lineage_path().iter().map(|id| id.to_string()).collect())
            .unwrap_or_default(),
        agent_name: s.agent.clone(),
        action_kind: s.action_kind.as_str().to_owned(),
        action_name: s.action_name.clone(),
        alignment: s.score.alignment,
        local_alignment: s.score.local_alignment,
        coverage: s.score.coverage,
        verdict: s.score.verdict.as_str().to_owned(),
        violations: s.score.violations.clone(),
        explanation: s.score.explanation.clone(),
        scorer: s.score.scorer.to_owned(),
        content_missing: s.lineage.content_missing,
    }
}

fn intent_row(span: &SpanRow, s: &ScoredSpan, updated_at: i64) -> Option<IntentRow> {
    let node = s.lineage.intent.as_deref()?;
    let d = node.declaration.as_ref()?;
    let lost = s
        .score
        .coverage
        .and_then(|_| node.prepared.as_ref().zip(root_prepared(node)))
        .map(|(contraction, root)| {
            let spec = contraction.spec();
            let text = [spec.objective.as_str(), &spec.scope, &spec.constraints]
                .into_iter()
                .chain(spec.guards.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("\n");
            reshimu_intent::score::coverage(root, &text).lost
        })
        .unwrap_or_default();
    Some(IntentRow {
        intent_id: node.id.to_string(),
        parent_intent_id: span.parent_intent_id.clone(),
        root_intent_id: span.root_intent_id.clone(),
        session_id: span.session_id.clone(),
        depth: span.depth,
        agent_name: span.agent_name.clone(),
        objective: d.spec.objective.clone(),
        scope: d.spec.scope.clone(),
        constraints: d.spec.constraints.clone(),
        guards: d.spec.guards.clone(),
        digest: d.claimed_digest.clone().unwrap_or_else(|| d.spec.digest()),
        digest_valid: node.digest_valid != Some(false),
        coverage: s.score.coverage,
        lost,
        trace_id: span.trace_id.clone(),
        span_id: span.span_id.clone(),
        declared_at: span.timestamp,
        service_name: span.service_name.clone(),
        updated_at,
        source: node.source().to_owned(),
    })
}

fn root_prepared(
    node: &crate::lineage::IntentNode,
) -> Option<&reshimu_intent::score::PreparedIntent> {
    node.chain().first().and_then(|root| root.prepared.as_ref())
}

/// OTLP times are u64 ns; ClickHouse's DateTime64(9) is an i64. Times past
/// 2262 are clamped rather than wrapped.
fn nanos(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

fn attributes(kvs: &[KeyValue]) -> Attributes {
    kvs.iter()
        .map(|kv| (kv.key.clone(), value_string(kv.value.as_ref())))
        .collect()
}

/// Attribute values as the OpenTelemetry Collector's ClickHouse exporter
/// stores them in a `Map(String, String)`: scalars in their text form,
/// arrays and maps as JSON.
pub fn value_string(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        None => String::new(),
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        Some(Value::BytesValue(b)) => hex::encode(b),
        Some(other) => json_value(other).to_string(),
    }
}

fn json_value(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::StringValue(s) => J::String(s.clone()),
        Value::BoolValue(b) => J::Bool(*b),
        Value::IntValue(i) => J::from(*i),
        Value::DoubleValue(d) => J::from(*d),
        Value::BytesValue(b) => J::String(hex::encode(b)),
        Value::ArrayValue(a) => J::Array(
            a.values
                .iter()
                .map(|v| v.value.as_ref().map_or(J::Null, json_value))
                .collect(),
        ),
        Value::KvlistValue(kv) => J::Object(
            kv.values
                .iter()
                .map(|kv| {
                    let v = kv.value.as_ref().and_then(|v| v.value.as_ref());
                    (kv.key.clone(), v.map_or(J::Null, json_value))
                })
                .collect(),
        ),
        #[allow(unreachable_patterns)]
        _ => J::Null,
    }
}

fn span_kind(kind: i32) -> &'static str {
    match SpanKind::try_from(kind).unwrap_or(SpanKind::Unspecified) {
        SpanKind::Unspecified => "Unspecified",
        SpanKind::Internal => "Internal",
        SpanKind::Server => "Server",
        SpanKind::Client => "Client",
        SpanKind::Producer => "Producer",
        SpanKind::Consumer => "Consumer",
    }
}

fn status_code(span: &Span) -> &'static str {
    match span
        .status
        .as_ref()
        .map(|s| StatusCode::try_from(s.code).unwrap_or(StatusCode::Unset))
    {
        None | Some(StatusCode::Unset) => "Unset",
        Some(StatusCode::Ok) => "Ok",
        Some(StatusCode::Error) => "Error",
    }
}
