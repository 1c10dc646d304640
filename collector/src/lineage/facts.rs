//! What the lineage resolver needs to know about one span, read in one pass
//! over its attributes.

use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::Span;
use reshimu_intent::attr;
use reshimu_intent::spec::IntentSpec;

/// A trace id and span id, the key under which a span is found by its children
/// and by the spans that link to it.
pub type SpanKey = ([u8; 16], [u8; 8]);

/// Builds a [`SpanKey`]; `None` for ids of the wrong length (OTLP says 16 and 8
/// bytes; an all-zero id is invalid too).
pub fn span_key(trace_id: &[u8], span_id: &[u8]) -> Option<SpanKey> {
    let trace: [u8; 16] = trace_id.try_into().ok()?;
    let span: [u8; 8] = span_id.try_into().ok()?;
    if trace == [0; 16] || span == [0; 8] {
        return None;
    }
    Some((trace, span))
}

/// An intent declared by a span: the root intent of a session or a
/// contraction handed to a delegate.
#[derive(Debug, Clone)]
pub struct Declaration {
    /// The declared intent's id.
    pub intent_id: Arc<str>,
    /// The intent it contracts from (`None` for a root intent).
    pub parent_id: Option<Arc<str>>,
    /// The bullets and guards as declared.
    pub spec: IntentSpec,
    /// The digest the agent claimed (`reshimu.intent.digest`), if any.
    pub claimed_digest: Option<String>,
    /// The session the declaring span belongs to, if it says.
    pub session_id: Option<Arc<str>>,
    /// The agent that declared it.
    pub agent: Option<Arc<str>>,
    /// Where it was declared.
    pub declared_by: Option<SpanKey>,
    /// When it was declared (span start, Unix nanoseconds).
    pub declared_at_unix_nano: u64,
}

/// The lineage-relevant facts of one span.
#[derive(Debug, Clone, Default)]
pub struct SpanFacts {
    /// Trace and span id, `None` when the ids are malformed.
    pub key: Option<SpanKey>,
    /// The parent span within the same trace, if any.
    pub parent: Option<SpanKey>,
    /// Spans in other traces this span links to.
    pub links: Vec<SpanKey>,
    /// `reshimu.intent.id` as stamped on the span.
    pub intent_id: Option<Arc<str>>,
    /// Session id from `reshimu.session.id`, else `gen_ai.conversation.id`, else `session.id`.
    pub session_id: Option<Arc<str>>,
    /// The intent this span declares, if it declares one.
    pub declaration: Option<Declaration>,
}

/// Reads the facts of `span`; `service_session` is a session id found on the
/// resource (some SDKs put `session.id` there), used when the span has none.
pub fn read_span(span: &Span, resource_session: Option<&Arc<str>>) -> SpanFacts {
    let mut intent_id = None;
    let mut parent_id = None;
    let mut objective = None;
    let mut scope = None;
    let mut constraints = None;
    let mut guards = Vec::new();
    let mut digest = None;
    let mut contraction = None;
    let mut reshimu_session = None;
    let mut conversation = None;
    let mut plain_session = None;
    let mut agent = None;

    for KeyValue { key, value, .. } in &span.attributes {
        let value = value.as_ref();
        match key.as_str() {
            attr::INTENT_ID => intent_id = non_empty(value),
            attr::INTENT_PARENT_ID => parent_id = non_empty(value),
            attr::INTENT_OBJECTIVE => objective = string(value),
            attr::INTENT_SCOPE => scope = string(value),
            attr::INTENT_CONSTRAINTS => constraints = string(value),
            attr::INTENT_GUARDS => guards = string_list(value),
            attr::INTENT_DIGEST => digest = string(value),
            attr::CONTRACTION => contraction = string(value),
            attr::SESSION_ID => reshimu_session = non_empty(value),
            attr::foreign::GEN_AI_CONVERSATION_ID => conversation = non_empty(value),
            attr::foreign::SESSION_ID => plain_session = non_empty(value),
            attr::foreign::GEN_AI_AGENT_NAME => agent = non_empty(value),
            _ => {}
        }
    }

    let key = span_key(&span.trace_id, &span.span_id);
    let parent = if span.parent_span_id.is_empty() {
        None
    } else {
        span_key(&span.trace_id, &span.parent_span_id)
    };
    let links = span
        .links
        .iter()
        .filter_map(|l| span_key(&l.trace_id, &l.span_id))
        .collect();
    let session_id = reshimu_session
        .or(conversation)
        .or(plain_session)
        .or_else(|| resource_session.cloned());

    // A span declares when it carries the bullets, or when it is a delegation
    // that hands down only a contraction text: the text is then the delegate's
    // whole objective, which the scorer sees as a thin contraction.
    // An objective attribute that is present but blank still declares: the
    // spec is invalid, and that is reported as such rather than as an
    // intent nobody declared.
    let declared_objective = match (objective, &contraction, &parent_id) {
        (Some(o), _, _) if !o.trim().is_empty() => Some(o),
        (_, Some(c), Some(_)) if !c.trim().is_empty() => Some(c.clone()),
        (Some(blank), _, _) => Some(blank),
        _ => None,
    };
    let declaration = match (declared_objective, &intent_id) {
        (Some(objective), Some(id)) => Some(Declaration {
            intent_id: Arc::clone(id),
            parent_id,
            spec: IntentSpec {
                objective,
                scope: scope.unwrap_or_default(),
                constraints: constraints.unwrap_or_default(),
                guards,
            },
            claimed_digest: digest,
            session_id: session_id.clone(),
            agent,
            declared_by: key,
            declared_at_unix_nano: span.start_time_unix_nano,
        }),
        _ => None,
    };

    SpanFacts {
        key,
        parent,
        links,
        intent_id,
        session_id,
        declaration,
    }
}

/// The session id a resource carries, if any (`session.id` or `reshimu.session.id`).
pub fn resource_session(attributes: &[KeyValue]) -> Option<Arc<str>> {
    attributes
        .iter()
        .find(|kv| kv.key == attr::SESSION_ID || kv.key == attr::foreign::SESSION_ID)
        .and_then(|kv| non_empty(kv.value.as_ref()))
}

fn string(value: Option<&AnyValue>) -> Option<String> {
    match value?.value.as_ref()? {
        Value::StringValue(s) => Some(s.clone()),
        Value::IntValue(i) => Some(i.to_string()),
        _ => None,
    }
}

fn non_empty(value: Option<&AnyValue>) -> Option<Arc<str>> {
    let s = string(value)?;
    let trimmed = s.trim();
    (!trimmed.is_empty()).then(|| Arc::from(trimmed))
}

/// Guards arrive as a string array, or as one newline-separated string from
/// SDKs whose attribute API has no arrays.
fn string_list(value: Option<&AnyValue>) -> Vec<String> {
    match value.and_then(|v| v.value.as_ref()) {
        Some(Value::ArrayValue(array)) => array
            .values
            .iter()
            .filter_map(|v| match v.value.as_ref() {
                Some(Value::StringValue(s)) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        Some(Value::StringValue(s)) => s
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::ArrayValue;

    fn kv(key: &str, value: Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..KeyValue::default()
        }
    }

    fn s(v: &str) -> Value {
        Value::StringValue(v.into())
    }

    #[test]
    fn reads_a_root_declaration() {
        let span = Span {
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            attributes: vec![
                kv(attr::INTENT_ID, s("i-root")),
                kv(attr::INTENT_OBJECTIVE, s("Audit accounts")),
                kv(attr::INTENT_SCOPE, s("customers table only")),
                kv(attr::INTENT_CONSTRAINTS, s("no writes")),
                kv(
                    attr::INTENT_GUARDS,
                    Value::ArrayValue(ArrayValue {
                        values: vec![AnyValue {
                            value: Some(s("deny sql write")),
                        }],
                    }),
                ),
                kv(attr::foreign::GEN_AI_CONVERSATION_ID, s("conv-1")),
            ],
            ..Span::default()
        };
        let facts = read_span(&span, None);
        let decl = facts.declaration.unwrap();
        assert_eq!(&*decl.intent_id, "i-root");
        assert!(decl.parent_id.is_none());
        assert_eq!(decl.spec.guards, vec!["deny sql write".to_string()]);
        assert_eq!(facts.session_id.as_deref(), Some("conv-1"));
        assert_eq!(facts.key, Some(([1; 16], [2; 8])));
        assert_eq!(facts.parent, None);
    }

    #[test]
    fn a_contraction_text_alone_declares_a_child_intent() {
        let span = Span {
            trace_id: vec![1; 16],
            span_id: vec![3; 8],
            parent_span_id: vec![2; 8],
            attributes: vec![
                kv(attr::INTENT_ID, s("i-child")),
                kv(attr::INTENT_PARENT_ID, s("i-root")),
                kv(attr::CONTRACTION, s("list users idle for 30 days")),
                kv(
                    attr::INTENT_GUARDS,
                    s("deny sql write\n\ndeny message send"),
                ),
            ],
            ..Span::default()
        };
        let facts = read_span(&span, None);
        let decl = facts.declaration.unwrap();
        assert_eq!(decl.spec.objective, "list users idle for 30 days");
        assert_eq!(decl.parent_id.as_deref(), Some("i-root"));
        assert_eq!(decl.spec.guards.len(), 2);
        assert_eq!(facts.parent, Some(([1; 16], [2; 8])));
    }

    #[test]
    fn references_do_not_declare_and_malformed_ids_have_no_key() {
        let span = Span {
            trace_id: vec![1; 3],
            span_id: vec![3; 8],
            attributes: vec![
                kv(attr::INTENT_ID, s("i-root")),
                kv(attr::CONTRACTION, s("no parent id, so not a declaration")),
            ],
            ..Span::default()
        };
        let facts = read_span(&span, Some(&Arc::from("res-session")));
        assert!(facts.declaration.is_none());
        assert_eq!(facts.key, None);
        assert_eq!(facts.intent_id.as_deref(), Some("i-root"));
        assert_eq!(facts.session_id.as_deref(), Some("res-session"));
    }

    #[test]
    fn session_fallback_order() {
        let span = Span {
            attributes: vec![
                kv(attr::foreign::SESSION_ID, s("plain")),
                kv(attr::foreign::GEN_AI_CONVERSATION_ID, s("conv")),
                kv(attr::SESSION_ID, s("reshimu")),
            ],
            ..Span::default()
        };
        assert_eq!(
            read_span(&span, None).session_id.as_deref(),
            Some("reshimu")
        );
    }
}
