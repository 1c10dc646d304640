//! One JSON object per span: the `score --format jsonl` output contract.

use serde::Serialize;

use crate::score::{ScoredRequest, for_each_span};

/// A scored span with exactly the keys of DESIGN.md ("Command line"), in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanRecord {
    /// Hex trace id.
    pub trace_id: String,
    /// Hex span id.
    pub span_id: String,
    /// Session (empty when none resolves).
    pub session_id: String,
    /// Intent in force (null when unscoped).
    pub intent_id: Option<String>,
    /// Root intent (null when unscoped).
    pub root_intent_id: Option<String>,
    /// Delegation depth.
    pub depth: u32,
    /// Agent (null when unknown).
    pub agent: Option<String>,
    /// `llm`, `tool`, `sql`, `http`, `message`, `agent` or `other`.
    pub action_kind: &'static str,
    /// Tool, operation, method, model...
    pub action_name: String,
    /// Against the root objective.
    pub alignment: f32,
    /// Against the intent in force.
    pub local_alignment: f32,
    /// Contractions only.
    pub coverage: Option<f32>,
    /// The verdict.
    pub verdict: &'static str,
    /// `<rule id>: <evidence>` each.
    pub violations: Vec<String>,
    /// The evidence in one sentence.
    pub explanation: String,
}

/// The records of a scored request, in span order.
pub fn records(request: &ScoredRequest) -> Vec<SpanRecord> {
    let mut out = Vec::with_capacity(request.spans.len());
    let mut scored = request.spans.iter();
    for_each_span(&request.received.request.resource_spans, |_, span| {
        let Some(s) = scored.next() else { return };
        let node = s.lineage.intent.as_deref();
        out.push(SpanRecord {
            trace_id: hex::encode(&span.trace_id),
            span_id: hex::encode(&span.span_id),
            session_id: s.lineage.session_id.to_string(),
            intent_id: node.map(|n| n.id.to_string()),
            root_intent_id: node.map(|n| n.root_id.to_string()),
            depth: node.map_or(0, |n| n.depth),
            agent: (!s.agent.is_empty()).then(|| s.agent.clone()),
            action_kind: s.action_kind.as_str(),
            action_name: s.action_name.clone(),
            alignment: s.score.alignment,
            local_alignment: s.score.local_alignment,
            coverage: s.score.coverage,
            verdict: s.score.verdict.as_str(),
            violations: s.score.violations.clone(),
            explanation: s.score.explanation.clone(),
        });
    });
    out
}
