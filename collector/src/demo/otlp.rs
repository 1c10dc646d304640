//! Small builders for OTLP requests, shared by the reference session, the
//! synthetic load and the tests.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use reshimu_intent::attr;
use reshimu_intent::spec::IntentSpec;

/// A string attribute.
pub fn string(key: &str, value: &str) -> KeyValue {
    attribute(key, Value::StringValue(value.into()))
}

/// An integer attribute.
pub fn int(key: &str, value: i64) -> KeyValue {
    attribute(key, Value::IntValue(value))
}

/// A string-array attribute.
pub fn strings(key: &str, values: &[&str]) -> KeyValue {
    let values = values
        .iter()
        .map(|v| AnyValue {
            value: Some(Value::StringValue((*v).into())),
        })
        .collect();
    attribute(key, Value::ArrayValue(ArrayValue { values }))
}

fn attribute(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

/// The attributes of a span that declares `spec` as intent `id` (a
/// contraction of `parent` when given), digest included.
///
/// ```
/// use reshimu_collector::demo::otlp::declaration;
/// use reshimu_intent::spec::IntentSpec;
/// let spec = IntentSpec { objective: "Audit accounts".into(), ..IntentSpec::default() };
/// let attrs = declaration("i-1", None, &spec);
/// assert!(attrs.iter().any(|kv| kv.key == "reshimu.intent.digest"));
/// ```
pub fn declaration(id: &str, parent: Option<&str>, spec: &IntentSpec) -> Vec<KeyValue> {
    let guards: Vec<&str> = spec.guards.iter().map(String::as_str).collect();
    let mut attrs = vec![
        string(attr::INTENT_ID, id),
        string(attr::INTENT_OBJECTIVE, &spec.objective),
        string(attr::INTENT_SCOPE, &spec.scope),
        string(attr::INTENT_CONSTRAINTS, &spec.constraints),
        strings(attr::INTENT_GUARDS, &guards),
        string(attr::INTENT_DIGEST, &spec.digest()),
    ];
    if let Some(p) = parent {
        attrs.push(string(attr::INTENT_PARENT_ID, p));
    }
    attrs
}

/// [`declaration`] from the bullets and guards.
pub fn declare(
    id: &str,
    parent: Option<&str>,
    objective: &str,
    scope: &str,
    constraints: &str,
    guards: &[&str],
) -> Vec<KeyValue> {
    let spec = IntentSpec {
        objective: objective.into(),
        scope: scope.into(),
        constraints: constraints.into(),
        guards: guards.iter().map(|g| (*g).to_owned()).collect(),
    };
    declaration(id, parent, &spec)
}

/// One request holding `spans` from one service and scope.
pub fn request(service: &str, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![string("service.name", service)],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}
