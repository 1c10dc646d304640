//! Rust mirrors of the `spans` and `intents` tables, column for column and in
//! table order, so they can be written as RowBinary without conversion.
//!
//! Conventions:
//! - `DateTime64(9)` columns are `i64` nanoseconds since the Unix epoch;
//! - `Map(K, V)` columns are `Vec<(K, V)>`, which keeps attribute order and
//!   avoids hashing on the hot path;
//! - `Nested` columns are their flattened parallel arrays (`Events.Name`...),
//!   one entry per event or link, all arrays of a group of equal length.
//!
//! The schema tests insert every field and read it back, so a column added to
//! a migration without updating these types fails there.

use serde::{Deserialize, Serialize};

/// A `Map(LowCardinality(String), String)` column: attribute key and value.
pub type Attributes = Vec<(String, String)>;

/// One row of `spans`: the OpenTelemetry `otel_traces` columns, then
/// Reshimu's lineage and scores.
#[derive(Debug, Clone, Default, PartialEq, clickhouse::Row, Serialize, Deserialize)]
pub struct SpanRow {
    /// Span start, ns since the epoch.
    #[serde(rename = "Timestamp")]
    pub timestamp: i64,
    /// Hex trace id (32 characters).
    #[serde(rename = "TraceId")]
    pub trace_id: String,
    /// Hex span id (16 characters).
    #[serde(rename = "SpanId")]
    pub span_id: String,
    /// Hex parent span id; empty at a trace root.
    #[serde(rename = "ParentSpanId")]
    pub parent_span_id: String,
    /// W3C tracestate.
    #[serde(rename = "TraceState")]
    pub trace_state: String,
    /// Span name.
    #[serde(rename = "SpanName")]
    pub span_name: String,
    /// `Internal`, `Server`, `Client`, `Producer`, `Consumer` or `Unspecified`,
    /// as the OpenTelemetry exporter writes it.
    #[serde(rename = "SpanKind")]
    pub span_kind: String,
    /// `service.name` of the resource.
    #[serde(rename = "ServiceName")]
    pub service_name: String,
    /// Resource attributes, values as strings.
    #[serde(rename = "ResourceAttributes")]
    pub resource_attributes: Attributes,
    /// Instrumentation scope name.
    #[serde(rename = "ScopeName")]
    pub scope_name: String,
    /// Instrumentation scope version.
    #[serde(rename = "ScopeVersion")]
    pub scope_version: String,
    /// Span attributes, values as strings.
    #[serde(rename = "SpanAttributes")]
    pub span_attributes: Attributes,
    /// End minus start, ns.
    #[serde(rename = "Duration")]
    pub duration: u64,
    /// `Unset`, `Ok` or `Error`, as the OpenTelemetry exporter writes it.
    #[serde(rename = "StatusCode")]
    pub status_code: String,
    /// Status description.
    #[serde(rename = "StatusMessage")]
    pub status_message: String,
    /// Event times, ns since the epoch.
    #[serde(rename = "Events.Timestamp")]
    pub events_timestamp: Vec<i64>,
    /// Event names.
    #[serde(rename = "Events.Name")]
    pub events_name: Vec<String>,
    /// Event attributes.
    #[serde(rename = "Events.Attributes")]
    pub events_attributes: Vec<Attributes>,
    /// Linked trace ids.
    #[serde(rename = "Links.TraceId")]
    pub links_trace_id: Vec<String>,
    /// Linked span ids.
    #[serde(rename = "Links.SpanId")]
    pub links_span_id: Vec<String>,
    /// Linked tracestates.
    #[serde(rename = "Links.TraceState")]
    pub links_trace_state: Vec<String>,
    /// Link attributes.
    #[serde(rename = "Links.Attributes")]
    pub links_attributes: Vec<Attributes>,
    /// Session the span belongs to; empty when none resolves.
    #[serde(rename = "SessionId")]
    pub session_id: String,
    /// Intent in force; empty for unscoped spans.
    #[serde(rename = "IntentId")]
    pub intent_id: String,
    /// Root of the intent's lineage.
    #[serde(rename = "RootIntentId")]
    pub root_intent_id: String,
    /// Intent the one in force contracts from; empty at the root.
    #[serde(rename = "ParentIntentId")]
    pub parent_intent_id: String,
    /// Delegation depth: 0 at the root.
    #[serde(rename = "Depth")]
    pub depth: u16,
    /// Intent ids from the root down to the intent in force.
    #[serde(rename = "LineagePath")]
    pub lineage_path: Vec<String>,
    /// Agent that produced the span.
    #[serde(rename = "AgentName")]
    pub agent_name: String,
    /// `llm`, `tool`, `sql`, `http`, `message`, `agent` or `other`.
    #[serde(rename = "ActionKind")]
    pub action_kind: String,
    /// Tool, model, statement kind or endpoint, depending on the kind.
    #[serde(rename = "ActionName")]
    pub action_name: String,
    /// Alignment with the root objective, in [0, 1].
    #[serde(rename = "Alignment")]
    pub alignment: f32,
    /// Alignment with the intent in force, in [0, 1].
    #[serde(rename = "LocalAlignment")]
    pub local_alignment: f32,
    /// Share of the root's definitions and constraints a contraction still
    /// carries; `None` off contractions.
    #[serde(rename = "Coverage")]
    pub coverage: Option<f32>,
    /// `aligned`, `drifting`, `thin`, `violation` or `unscoped`.
    #[serde(rename = "Verdict")]
    pub verdict: String,
    /// `<rule id>: <evidence>` per broken guard or constraint.
    #[serde(rename = "Violations")]
    pub violations: Vec<String>,
    /// One sentence with the evidence for the verdict.
    #[serde(rename = "Explanation")]
    pub explanation: String,
    /// Name and version of the scorer.
    #[serde(rename = "Scorer")]
    pub scorer: String,
    /// A model call whose instrumentation captured no message content, so it
    /// cannot be judged on what it said (migration 0007).
    #[serde(rename = "ContentMissing")]
    pub content_missing: bool,
}

/// One version of a row of `intents`; the newest `updated_at` wins.
#[derive(Debug, Clone, Default, PartialEq, clickhouse::Row, Serialize, Deserialize)]
pub struct IntentRow {
    /// The intent.
    #[serde(rename = "IntentId")]
    pub intent_id: String,
    /// Intent it contracts from; empty for a root.
    #[serde(rename = "ParentIntentId")]
    pub parent_intent_id: String,
    /// Root of its lineage (itself for a root).
    #[serde(rename = "RootIntentId")]
    pub root_intent_id: String,
    /// Session it was declared in.
    #[serde(rename = "SessionId")]
    pub session_id: String,
    /// 0 at the root, +1 per contraction.
    #[serde(rename = "Depth")]
    pub depth: u16,
    /// Agent the intent was handed to.
    #[serde(rename = "AgentName")]
    pub agent_name: String,
    /// What must be achieved.
    #[serde(rename = "Objective")]
    pub objective: String,
    /// Definitions and boundaries.
    #[serde(rename = "Scope")]
    pub scope: String,
    /// What must not happen.
    #[serde(rename = "Constraints")]
    pub constraints: String,
    /// Guard lines.
    #[serde(rename = "Guards")]
    pub guards: Vec<String>,
    /// sha256 (hex) as declared.
    #[serde(rename = "Digest")]
    pub digest: String,
    /// Whether the declared digest matches the collector's recomputation.
    #[serde(rename = "DigestValid")]
    pub digest_valid: bool,
    /// Share of the root's definitions and constraints still carried; `None`
    /// for a root.
    #[serde(rename = "Coverage")]
    pub coverage: Option<f32>,
    /// The root's definitions and constraints this intent no longer carries.
    #[serde(rename = "Lost")]
    pub lost: Vec<String>,
    /// Trace of the declaring span.
    #[serde(rename = "TraceId")]
    pub trace_id: String,
    /// The declaring span.
    #[serde(rename = "SpanId")]
    pub span_id: String,
    /// Start of the declaring span, ns since the epoch.
    #[serde(rename = "DeclaredAt")]
    pub declared_at: i64,
    /// Service of the declaring span.
    #[serde(rename = "ServiceName")]
    pub service_name: String,
    /// When this version of the row was written, ns since the epoch.
    #[serde(rename = "UpdatedAt")]
    pub updated_at: i64,
    /// `declared` by an agent or `inferred` by the collector (migration 0006).
    #[serde(rename = "Source")]
    pub source: String,
}
