//! Attribute keys: the `reshimu.*` registry and the foreign keys the collector reads.
//!
//! The `reshimu.*` constants mirror `schemas/semconv/registry/reshimu.yaml`
//! (OpenTelemetry semantic-conventions format); the test `tests/semconv.rs`
//! fails when [`ALL`] / [`TYPES`] and the registry disagree in either direction.
//! Keys of other conventions (OTel GenAI, OpenInference, database, HTTP,
//! messaging) live in [`foreign`]: Reshimu reads them but does not define them.

/// The value type of an attribute, as spelled in the semantic-conventions registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrType {
    /// `string`
    String,
    /// `int` (64-bit signed)
    Int,
    /// `double`
    Double,
    /// `string[]`
    StringArray,
}

impl AttrType {
    /// The spelling used in the semantic-conventions YAML (`string`, `int`, `double`, `string[]`).
    pub const fn as_semconv_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Int => "int",
            AttrType::Double => "double",
            AttrType::StringArray => "string[]",
        }
    }
}

/// The intent in force on a span (every span in an intent).
pub const INTENT_ID: &str = "reshimu.intent.id";
/// The intent a contraction was derived from (declaring span of a contraction).
pub const INTENT_PARENT_ID: &str = "reshimu.intent.parent_id";
/// The root intent of the lineage (any span; the collector recomputes it).
pub const INTENT_ROOT_ID: &str = "reshimu.intent.root_id";
/// What the session must achieve (declaring span).
pub const INTENT_OBJECTIVE: &str = "reshimu.intent.objective";
/// Definitions and boundaries (declaring span).
pub const INTENT_SCOPE: &str = "reshimu.intent.scope";
/// What must not happen (declaring span).
pub const INTENT_CONSTRAINTS: &str = "reshimu.intent.constraints";
/// Guard lines, one rule per element (declaring span); see [`crate::guard`].
pub const INTENT_GUARDS: &str = "reshimu.intent.guards";
/// Lowercase hex sha256 of the canonical JSON of the spec (declaring span).
pub const INTENT_DIGEST: &str = "reshimu.intent.digest";
/// Intent ids from the root down to the intent in force (added by the collector).
pub const INTENT_LINEAGE: &str = "reshimu.intent.lineage";
/// The session of the span; fallbacks `gen_ai.conversation.id`, `session.id`, root intent id.
pub const SESSION_ID: &str = "reshimu.session.id";
/// Delegation depth: 0 at the root, +1 per contraction.
pub const DELEGATION_DEPTH: &str = "reshimu.delegation.depth";
/// The task text handed to a delegate that declares no full spec (delegation span).
pub const CONTRACTION: &str = "reshimu.contraction";
/// Where an intent came from: `declared` by the agent, or `inferred` by the
/// collector from the root agent's first user message (added by the collector).
pub const INTENT_SOURCE: &str = "reshimu.intent.source";
/// Alignment with the root objective within its scope, in [0, 1] (added by the collector).
pub const SCORE_ALIGNMENT: &str = "reshimu.score.alignment";
/// Alignment with the intent directly in force, in [0, 1] (added by the collector).
pub const SCORE_LOCAL_ALIGNMENT: &str = "reshimu.score.local_alignment";
/// Share of the root's definitions and constraints a contraction still carries, in [0, 1].
pub const SCORE_COVERAGE: &str = "reshimu.score.coverage";
/// Verdict: `violation`, `thin`, `drifting`, `aligned` or `unscoped` (added by the collector).
pub const VERDICT: &str = "reshimu.verdict";
/// Broken guards or constraints, each as `<rule id>: <evidence>` (added by the collector).
pub const VIOLATIONS: &str = "reshimu.violations";
/// One short sentence with the evidence behind the verdict (added by the collector).
pub const EXPLANATION: &str = "reshimu.explanation";
/// Name and version of the scorer that produced the scores (added by the collector).
pub const SCORER: &str = "reshimu.scorer";

/// Every key of the `reshimu.*` registry with its type, in registry order.
pub const TYPES: &[(&str, AttrType)] = &[
    (INTENT_ID, AttrType::String),
    (INTENT_PARENT_ID, AttrType::String),
    (INTENT_ROOT_ID, AttrType::String),
    (INTENT_OBJECTIVE, AttrType::String),
    (INTENT_SCOPE, AttrType::String),
    (INTENT_CONSTRAINTS, AttrType::String),
    (INTENT_GUARDS, AttrType::StringArray),
    (INTENT_DIGEST, AttrType::String),
    (INTENT_LINEAGE, AttrType::StringArray),
    (SESSION_ID, AttrType::String),
    (DELEGATION_DEPTH, AttrType::Int),
    (CONTRACTION, AttrType::String),
    (INTENT_SOURCE, AttrType::String),
    (SCORE_ALIGNMENT, AttrType::Double),
    (SCORE_LOCAL_ALIGNMENT, AttrType::Double),
    (SCORE_COVERAGE, AttrType::Double),
    (VERDICT, AttrType::String),
    (VIOLATIONS, AttrType::StringArray),
    (EXPLANATION, AttrType::String),
    (SCORER, AttrType::String),
];

/// Every key of the `reshimu.*` registry (the keys of [`TYPES`], same order).
pub const ALL: &[&str] = &[
    INTENT_ID,
    INTENT_PARENT_ID,
    INTENT_ROOT_ID,
    INTENT_OBJECTIVE,
    INTENT_SCOPE,
    INTENT_CONSTRAINTS,
    INTENT_GUARDS,
    INTENT_DIGEST,
    INTENT_LINEAGE,
    SESSION_ID,
    DELEGATION_DEPTH,
    CONTRACTION,
    INTENT_SOURCE,
    SCORE_ALIGNMENT,
    SCORE_LOCAL_ALIGNMENT,
    SCORE_COVERAGE,
    VERDICT,
    VIOLATIONS,
    EXPLANATION,
    SCORER,
];

/// Keys that travel in W3C Baggage across process boundaries.
pub const BAGGAGE: &[&str] = &[INTENT_ID, INTENT_ROOT_ID, SESSION_ID, DELEGATION_DEPTH];

/// The type of a `reshimu.*` key, or `None` when the key is not in the registry.
///
/// ```
/// use reshimu_intent::attr::{self, AttrType};
/// assert_eq!(attr::type_of(attr::INTENT_GUARDS), Some(AttrType::StringArray));
/// assert_eq!(attr::type_of("gen_ai.tool.name"), None);
/// ```
pub fn type_of(key: &str) -> Option<AttrType> {
    TYPES.iter().find(|(k, _)| *k == key).map(|(_, t)| *t)
}

/// Event names Reshimu records or reads.
pub mod event {
    /// Event recorded by the exporter when `check` finds a violation in `observe` mode.
    pub const GUARD: &str = "reshimu.guard";
    /// OTel GenAI evaluation event added to forwarded spans.
    pub const GEN_AI_EVALUATION_RESULT: &str = "gen_ai.evaluation.result";
    /// The value of `gen_ai.evaluation.name` on Reshimu's evaluation event.
    pub const EVALUATION_NAME_VALUE: &str = "reshimu.intent_alignment";
}

/// Keys defined by other conventions that the collector reads (and, for the
/// GenAI evaluation event, writes). Not part of the `reshimu.*` registry.
pub mod foreign {
    /// OTel GenAI: the operation (`chat`, `execute_tool`, `invoke_agent`, ...).
    pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
    /// OTel GenAI: the agent's name.
    pub const GEN_AI_AGENT_NAME: &str = "gen_ai.agent.name";
    /// OTel GenAI: the tool's name.
    pub const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
    /// OTel GenAI: the tool call's arguments (JSON text).
    pub const GEN_AI_TOOL_CALL_ARGUMENTS: &str = "gen_ai.tool.call.arguments";
    /// OTel GenAI: messages sent to the model.
    pub const GEN_AI_INPUT_MESSAGES: &str = "gen_ai.input.messages";
    /// OTel GenAI: messages returned by the model.
    pub const GEN_AI_OUTPUT_MESSAGES: &str = "gen_ai.output.messages";
    /// OTel GenAI: the conversation id (session fallback).
    pub const GEN_AI_CONVERSATION_ID: &str = "gen_ai.conversation.id";
    /// OTel GenAI evaluation event: the evaluation's name.
    pub const GEN_AI_EVALUATION_NAME: &str = "gen_ai.evaluation.name";
    /// OTel GenAI evaluation event: the numeric score.
    pub const GEN_AI_EVALUATION_SCORE_VALUE: &str = "gen_ai.evaluation.score.value";
    /// OTel GenAI evaluation event: the score's label (Reshimu puts the verdict here).
    pub const GEN_AI_EVALUATION_SCORE_LABEL: &str = "gen_ai.evaluation.score.label";
    /// OTel GenAI evaluation event: the explanation.
    pub const GEN_AI_EVALUATION_EXPLANATION: &str = "gen_ai.evaluation.explanation";

    /// OpenInference: the span kind (`LLM`, `TOOL`, `AGENT`, `CHAIN`, ...).
    pub const OPENINFERENCE_SPAN_KIND: &str = "openinference.span.kind";
    /// OpenInference: the span's input.
    pub const INPUT_VALUE: &str = "input.value";
    /// OpenInference: the span's output.
    pub const OUTPUT_VALUE: &str = "output.value";
    /// OpenInference: the tool's name.
    pub const TOOL_NAME: &str = "tool.name";
    /// OpenInference: the graph node of an agent framework.
    pub const GRAPH_NODE_ID: &str = "graph.node.id";
    /// OpenInference: the parent graph node.
    pub const GRAPH_NODE_PARENT_ID: &str = "graph.node.parent_id";
    /// OpenInference (and general): the session id (session fallback).
    pub const SESSION_ID: &str = "session.id";

    /// Database: the query text.
    pub const DB_QUERY_TEXT: &str = "db.query.text";
    /// Database: the operation (`SELECT`, `UPDATE`, ...).
    pub const DB_OPERATION_NAME: &str = "db.operation.name";

    /// HTTP: the request method.
    pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
    /// HTTP: the full URL.
    pub const URL_FULL: &str = "url.full";

    /// Messaging: the operation type (`send`, `create`, `receive`, ...).
    pub const MESSAGING_OPERATION_TYPE: &str = "messaging.operation.type";

    /// Every foreign key above.
    pub const ALL: &[&str] = &[
        GEN_AI_OPERATION_NAME,
        GEN_AI_AGENT_NAME,
        GEN_AI_TOOL_NAME,
        GEN_AI_TOOL_CALL_ARGUMENTS,
        GEN_AI_INPUT_MESSAGES,
        GEN_AI_OUTPUT_MESSAGES,
        GEN_AI_CONVERSATION_ID,
        GEN_AI_EVALUATION_NAME,
        GEN_AI_EVALUATION_SCORE_VALUE,
        GEN_AI_EVALUATION_SCORE_LABEL,
        GEN_AI_EVALUATION_EXPLANATION,
        OPENINFERENCE_SPAN_KIND,
        INPUT_VALUE,
        OUTPUT_VALUE,
        TOOL_NAME,
        GRAPH_NODE_ID,
        GRAPH_NODE_PARENT_ID,
        SESSION_ID,
        DB_QUERY_TEXT,
        DB_OPERATION_NAME,
        HTTP_REQUEST_METHOD,
        URL_FULL,
        MESSAGING_OPERATION_TYPE,
    ];
}
