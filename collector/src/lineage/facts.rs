//! What the lineage resolver needs to know about one span, read in one pass
//! over its attributes.

use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
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
    /// Span start, Unix nanoseconds.
    pub start_unix_nano: u64,
    /// The agent this span is, or runs as, when the span says so itself:
    /// `gen_ai.agent.name`, OpenInference `agent.name` or `graph.node.id` on an
    /// agent span, or the `<agent>` of an `invoke_agent <agent>` span name.
    pub agent: Option<Arc<str>>,
    /// The name of a LangChain (OpenInference) chain or agent span: the name
    /// of a compiled graph when it runs under a tool (a sub-agent) or at the
    /// top, a node name otherwise; the resolver tells which from the parent.
    pub graph_name: Option<Arc<str>>,
    /// An OpenInference span (its parent links follow the framework's runs).
    pub openinference: bool,
    /// A tool call (`execute_tool` or OpenInference `TOOL`).
    pub tool: bool,
    /// An HTTP client span (kind CLIENT) whose method can hand work over
    /// (not GET, HEAD, OPTIONS or TRACE): a possible delegation hop to an
    /// agent in another process.
    pub http_client: bool,
    /// An HTTP server span (kind SERVER): the remote side of a hop.
    pub server: bool,
    /// A model call that carries no input or output content at all (content
    /// capture is off in its instrumentation), so it cannot be judged.
    pub content_missing: bool,
    /// The first user message this span carries, read only from spans that
    /// are not stamped with an intent: the objective of an inferred intent.
    pub user_message: Option<String>,
    /// `gen_ai.conversation.id`, else `session.id`, else the resource's
    /// session: the session when no Reshimu session or intent says otherwise.
    pub fallback_session: Option<Arc<str>>,
    /// `service.name` of the resource: the agent of last resort.
    pub service: Option<Arc<str>>,
    /// Trace and span id, `None` when the ids are malformed.
    pub key: Option<SpanKey>,
    /// The parent span within the same trace, if any.
    pub parent: Option<SpanKey>,
    /// Spans in other traces this span links to.
    pub links: Vec<SpanKey>,
    /// `reshimu.intent.id` as stamped on the span.
    pub intent_id: Option<Arc<str>>,
    /// Session id from `reshimu.session.id` (stamped or declared).
    pub session_id: Option<Arc<str>>,
    /// The intent this span declares, if it declares one.
    pub declaration: Option<Declaration>,
}

/// What a span's resource and scope say about all of its spans.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResourceFacts<'a> {
    /// A session id on the resource (some SDKs put `session.id` there).
    pub session: Option<&'a Arc<str>>,
    /// `service.name`.
    pub service: Option<&'a Arc<str>>,
    /// Whether to read user messages for inferred intents (`lineage.infer_intent`).
    pub infer_intent: bool,
}

// Keys of other conventions that only lineage reads (the shared ones live in
// `reshimu_intent::attr::foreign`).
/// OpenInference: the agent's name on an agent span.
const OI_AGENT_NAME: &str = "agent.name";
/// OpenInference: flattened input messages (`llm.input_messages.<i>.message.role` / `.content`).
const OI_INPUT_MESSAGES: &str = "llm.input_messages.";
/// OpenInference: flattened output messages.
const OI_OUTPUT_MESSAGES: &str = "llm.output_messages.";
/// OpenInference: LangChain run metadata (present on LangChain spans only).
const OI_METADATA: &str = "metadata";
/// pydantic-ai: every message of an agent run, in the GenAI message shape.
const PYDANTIC_ALL_MESSAGES: &str = "pydantic_ai.all_messages";
/// HTTP before the stable conventions.
const HTTP_METHOD_OLD: &str = "http.method";
/// GenAI content before `gen_ai.input.messages` (and some vendors still).
const GEN_AI_PROMPT: &str = "gen_ai.prompt";
const GEN_AI_COMPLETION: &str = "gen_ai.completion";

/// Reads the facts of `span`, with what its resource says.
pub fn read_span(span: &Span, resource: ResourceFacts<'_>) -> SpanFacts {
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
    let mut oi_agent = None;
    let mut graph_node = None;
    let mut operation = None;
    let mut oi_kind = None;
    let mut http_method = false;
    let mut has_content = false;
    let mut langchain = false;
    let mut genai_messages: Option<&str> = None;
    let mut pydantic_messages: Option<&str> = None;
    // OpenInference flattens messages into indexed keys: the lowest index
    // whose role is `user`, and each index's content.
    let mut oi_user_index: Option<u32> = None;
    let mut oi_contents: Vec<(u32, &str)> = Vec::new();

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
            attr::foreign::GEN_AI_OPERATION_NAME => operation = str_value(value),
            attr::foreign::OPENINFERENCE_SPAN_KIND => oi_kind = str_value(value),
            attr::foreign::GRAPH_NODE_ID => graph_node = non_empty(value),
            // A read (GET, HEAD, OPTIONS) hands no work over, and is judged
            // as a read whatever answers it: only the others wait for a
            // remote child that would make them a delegation hop.
            attr::foreign::HTTP_REQUEST_METHOD | HTTP_METHOD_OLD => {
                http_method = !str_value(value).is_some_and(|m| {
                    ["GET", "HEAD", "OPTIONS", "TRACE"]
                        .iter()
                        .any(|safe| m.eq_ignore_ascii_case(safe))
                });
            }
            OI_AGENT_NAME => oi_agent = non_empty(value),
            OI_METADATA => langchain = true,
            attr::foreign::GEN_AI_INPUT_MESSAGES => {
                has_content = true;
                genai_messages = str_value(value);
            }
            PYDANTIC_ALL_MESSAGES => {
                has_content = true;
                pydantic_messages = str_value(value);
            }
            attr::foreign::GEN_AI_OUTPUT_MESSAGES
            | attr::foreign::INPUT_VALUE
            | attr::foreign::OUTPUT_VALUE
            | GEN_AI_PROMPT
            | GEN_AI_COMPLETION => has_content = true,
            k if k.starts_with(OI_INPUT_MESSAGES) => {
                has_content = true;
                read_oi_message(k, value, &mut oi_user_index, &mut oi_contents);
            }
            k if k.starts_with(OI_OUTPUT_MESSAGES) => has_content = true,
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
    let fallback_session = conversation
        .or(plain_session)
        .or_else(|| resource.session.cloned());
    let is_oi_agent = matches!(oi_kind, Some("AGENT"));
    let is_oi_chain = matches!(oi_kind, Some("CHAIN"));
    let own_agent = agent
        .or_else(|| is_oi_agent.then(|| oi_agent.or(graph_node)).flatten())
        .or_else(|| invoke_agent_name(&span.name, operation));
    let graph_name = (langchain && (is_oi_agent || is_oi_chain) && !span.name.is_empty())
        .then(|| Arc::from(span.name.as_str()));
    let kind = span.kind;
    let is_llm = matches!(oi_kind, Some("LLM"))
        || matches!(
            operation,
            Some("chat" | "text_completion" | "generate_content")
        );
    let content_missing = is_llm && !has_content && !events_carry_content(span);
    let user_message = (resource.infer_intent && intent_id.is_none())
        .then(|| {
            genai_messages
                .and_then(first_user_text)
                .or_else(|| pydantic_messages.and_then(first_user_text))
                .or_else(|| {
                    let index = oi_user_index?;
                    oi_contents
                        .iter()
                        .find(|(i, _)| *i == index)
                        .map(|(_, c)| (*c).to_owned())
                })
        })
        .flatten()
        .filter(|m| !m.trim().is_empty());

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
            session_id: reshimu_session.clone().or_else(|| fallback_session.clone()),
            agent: own_agent.clone(),
            declared_by: key,
            declared_at_unix_nano: span.start_time_unix_nano,
        }),
        _ => None,
    };

    SpanFacts {
        start_unix_nano: span.start_time_unix_nano,
        agent: own_agent,
        graph_name,
        openinference: oi_kind.is_some(),
        tool: matches!(oi_kind, Some("TOOL")) || operation == Some("execute_tool"),
        http_client: kind == SpanKind::Client as i32 && http_method,
        server: kind == SpanKind::Server as i32,
        content_missing,
        user_message,
        fallback_session,
        service: resource.service.cloned(),
        key,
        parent,
        links,
        intent_id,
        session_id: reshimu_session,
        declaration,
    }
}

/// `<agent>` of an `invoke_agent <agent>` span (GenAI conventions name agent
/// spans so even when the agent name attribute is missing).
fn invoke_agent_name(name: &str, operation: Option<&str>) -> Option<Arc<str>> {
    let rest = name.strip_prefix("invoke_agent ")?;
    let rest = rest.trim();
    (operation.is_none_or(|op| op == "invoke_agent") && !rest.is_empty()).then(|| Arc::from(rest))
}

/// Reads one `llm.input_messages.<i>.message.<field>` attribute.
fn read_oi_message<'a>(
    key: &str,
    value: Option<&'a AnyValue>,
    user_index: &mut Option<u32>,
    contents: &mut Vec<(u32, &'a str)>,
) {
    let Some(rest) = key.strip_prefix(OI_INPUT_MESSAGES) else {
        return;
    };
    let Some((index, field)) = rest.split_once('.') else {
        return;
    };
    let Ok(index) = index.parse::<u32>() else {
        return;
    };
    match (field, str_value(value)) {
        ("message.role", Some("user")) => {
            *user_index = Some(user_index.map_or(index, |i| i.min(index)));
        }
        ("message.content", Some(text)) => contents.push((index, text)),
        _ => {}
    }
}

/// GenAI content can travel in events instead of attributes (the older
/// `gen_ai.user.message`... events, or inference details events).
fn events_carry_content(span: &Span) -> bool {
    span.events.iter().any(|e| e.name.starts_with("gen_ai."))
}

/// The first user message's text in the GenAI messages shape
/// (`[{"role": "user", "parts": [{"type": "text", "content": "..."}]}]`,
/// also older `{"role": "user", "content": "..."}` entries).
fn first_user_text(json: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Message {
        #[serde(default)]
        role: String,
        #[serde(default)]
        parts: Vec<serde_json::Value>,
        #[serde(default)]
        content: Option<serde_json::Value>,
    }
    let messages: Vec<Message> = serde_json::from_str(json).ok()?;
    let user = messages.into_iter().find(|m| m.role == "user")?;
    let from_parts = user.parts.iter().find_map(|p| {
        let is_text = p
            .get("type")
            .and_then(|t| t.as_str())
            .is_none_or(|t| t == "text");
        p.get("content")
            .and_then(|c| c.as_str())
            .filter(|_| is_text)
            .map(str::to_owned)
    });
    from_parts.or_else(|| user.content.and_then(|c| c.as_str().map(str::to_owned)))
}

/// The session id a resource carries, if any (`session.id` or `reshimu.session.id`).
pub fn resource_session(attributes: &[KeyValue]) -> Option<Arc<str>> {
    attributes
        .iter()
        .find(|kv| kv.key == attr::SESSION_ID || kv.key == attr::foreign::SESSION_ID)
        .and_then(|kv| non_empty(kv.value.as_ref()))
}

/// The `service.name` of a resource, if any.
pub fn resource_service(attributes: &[KeyValue]) -> Option<Arc<str>> {
    attributes
        .iter()
        .find(|kv| kv.key == "service.name")
        .and_then(|kv| non_empty(kv.value.as_ref()))
}

fn str_value(value: Option<&AnyValue>) -> Option<&str> {
    match value?.value.as_ref()? {
        Value::StringValue(s) => Some(s.as_str()),
        _ => None,
    }
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
        let facts = read_span(&span, ResourceFacts::default());
        let decl = facts.declaration.unwrap();
        assert_eq!(&*decl.intent_id, "i-root");
        assert!(decl.parent_id.is_none());
        assert_eq!(decl.spec.guards, vec!["deny sql write".to_string()]);
        assert_eq!(facts.session_id, None, "no Reshimu session on the span");
        assert_eq!(facts.fallback_session.as_deref(), Some("conv-1"));
        assert_eq!(decl.session_id.as_deref(), Some("conv-1"));
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
        let facts = read_span(&span, ResourceFacts::default());
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
        let session = Arc::from("res-session");
        let facts = read_span(
            &span,
            ResourceFacts {
                session: Some(&session),
                ..ResourceFacts::default()
            },
        );
        assert!(facts.declaration.is_none());
        assert_eq!(facts.key, None);
        assert_eq!(facts.intent_id.as_deref(), Some("i-root"));
        assert_eq!(facts.fallback_session.as_deref(), Some("res-session"));
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
        let facts = read_span(&span, ResourceFacts::default());
        assert_eq!(facts.session_id.as_deref(), Some("reshimu"));
        assert_eq!(facts.fallback_session.as_deref(), Some("conv"));
    }
}
