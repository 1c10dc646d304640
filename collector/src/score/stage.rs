//! Scores each span of a request and attaches the result.

use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Span};
use reshimu_intent::score::{Context, IntentChain, PreparedIntent, Score, Scorer, Verdict};
use reshimu_intent::span::{ActionKind, SpanView};

use crate::lineage::{IntentNode, SpanLineage};
use crate::queue::Received;

/// One span's lineage and score, in the order of the request's spans.
#[derive(Debug, Clone)]
pub struct ScoredSpan {
    /// How the span resolved.
    pub lineage: SpanLineage,
    /// Its score.
    pub score: Score,
    /// Its action kind (the `ActionKind` column).
    pub action_kind: ActionKind,
    /// Its action name (the `ActionName` column).
    pub action_name: String,
    /// The agent that produced it, when known.
    pub agent: String,
}

/// A request whose spans are all scored: what the sinks write.
#[derive(Debug)]
pub struct ScoredRequest {
    /// The request's sequence number in this run (or in the spool): the
    /// order it was accepted in, and its part of the deduplication token.
    pub seq: u64,
    /// The request as received.
    pub received: Received,
    /// One entry per span, in [`for_each_span`] order.
    pub spans: Vec<ScoredSpan>,
}

/// Visits every span of a request in a fixed order (resource, scope, span),
/// the order lineage facts and scores are listed in.
pub fn for_each_span<'a>(
    resource_spans: &'a [ResourceSpans],
    mut f: impl FnMut(&'a ResourceSpans, &'a Span),
) {
    for rs in resource_spans {
        for ss in &rs.scope_spans {
            for span in &ss.spans {
                f(rs, span);
            }
        }
    }
}

/// The scoring stage.
pub struct ScoringStage {
    scorer: Arc<dyn Scorer>,
}

impl ScoringStage {
    /// A stage scoring with `scorer`.
    pub fn new(scorer: Arc<dyn Scorer>) -> Self {
        Self { scorer }
    }

    /// The scorer's name and version.
    pub fn scorer_version(&self) -> &'static str {
        self.scorer.version()
    }

    /// Scores every span of `received`, whose lineage is `lineage` (one entry
    /// per span in [`for_each_span`] order).
    pub fn score(&self, seq: u64, received: Received, lineage: Vec<SpanLineage>) -> ScoredRequest {
        let mut spans = Vec::with_capacity(lineage.len());
        let mut lineage = lineage.into_iter();
        for_each_span(&received.request.resource_spans, |_, span| {
            let Some(l) = lineage.next() else { return };
            spans.push(self.score_span(span, l));
        });
        ScoredRequest {
            seq,
            received,
            spans,
        }
    }

    fn score_span(&self, span: &Span, lineage: SpanLineage) -> ScoredSpan {
        let view = SpanView::from_attributes(&span.name, string_attributes(&span.attributes));
        let action_kind = view.kind;
        let action_name = view.action_name().to_owned();
        let mut agent = view.agent.map(str::to_owned);
        let score = match &lineage.intent {
            None => Score::unscoped(self.scorer.version()),
            Some(node) => {
                if agent.is_none() {
                    agent = node
                        .declaration
                        .as_ref()
                        .and_then(|d| d.agent.as_deref())
                        .map(str::to_owned);
                }
                self.score_in_chain(node, &view, lineage.declares)
            }
        };
        ScoredSpan {
            lineage,
            score,
            action_kind,
            action_name,
            agent: agent.unwrap_or_default(),
        }
    }

    fn score_in_chain(&self, node: &IntentNode, view: &SpanView<'_>, declares: bool) -> Score {
        let chain_nodes = node.chain();
        let levels: Vec<&PreparedIntent> = chain_nodes
            .iter()
            .filter_map(|n| n.prepared.as_ref())
            .collect();
        let Some(chain) = IntentChain::new(&levels) else {
            let mut score = Score::unscoped(self.scorer.version());
            score.explanation = match (&node.declaration, &node.spec_error) {
                (Some(_), Some(error)) => {
                    if declares {
                        score.violations.push(format!("spec: {error}"));
                        score.verdict = Verdict::Violation;
                    }
                    format!(
                        "Intent {} was declared with an invalid spec: {error}.",
                        node.id
                    )
                }
                _ => format!(
                    "Intent {} was referenced but never declared (not in flight, not in ClickHouse).",
                    node.id
                ),
            };
            return score;
        };
        let mut score = self.scorer.score(&chain, view, &Context::default());
        // Lineage findings the scorer cannot see from one span.
        if declares {
            if node.digest_valid == Some(false) {
                score.violations.push(format!(
                    "digest: the declared digest does not match the spec (recomputed {})",
                    node.prepared.as_ref().map_or("", |p| p.digest())
                ));
                escalate(
                    &mut score,
                    "The declared digest does not match the intent's bullets.",
                );
            }
            if let Some(error) = &node.spec_error {
                score.violations.push(format!("spec: {error}"));
                escalate(
                    &mut score,
                    &format!("The declared intent spec is invalid: {error}."),
                );
            }
        }
        if node.orphan {
            if !score.explanation.is_empty() {
                score.explanation.push(' ');
            }
            score.explanation.push_str(&node.partial_lineage_note());
        }
        score
    }
}

fn escalate(score: &mut Score, sentence: &str) {
    if score.verdict != Verdict::Violation {
        score.verdict = Verdict::Violation;
        score.explanation = sentence.to_owned();
    }
}

/// The string-valued attributes, as the span view reads them. Other values
/// carry nothing the scorer interprets (ids, counts and flags).
fn string_attributes(attributes: &[KeyValue]) -> impl Iterator<Item = (&str, &str)> {
    attributes
        .iter()
        .filter_map(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some((kv.key.as_str(), s.as_str())),
            _ => None,
        })
}
