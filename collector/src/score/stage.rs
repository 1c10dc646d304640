//! Scores each span of a request and attaches the result.

use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Span};
use reshimu_intent::score::{
    Context, IntentChain, PreparedIntent, Score, Scorer, SessionMemory, Verdict,
};
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

/// The scoring stage: the scorer, and what each session has seen so far
/// (where each value an action uses first appeared), bounded.
pub struct ScoringStage {
    scorer: Arc<dyn Scorer>,
    memories: SessionMemories,
    failures: u64,
}

impl ScoringStage {
    /// A stage scoring with `scorer`, remembering the default number of sessions.
    pub fn new(scorer: Arc<dyn Scorer>) -> Self {
        Self::with_sessions(scorer, SessionMemories::DEFAULT_SESSIONS)
    }

    /// A stage remembering at most `max_sessions` sessions' provenance (the
    /// least recently scored are forgotten first).
    pub fn with_sessions(scorer: Arc<dyn Scorer>, max_sessions: usize) -> Self {
        Self {
            scorer,
            memories: SessionMemories::new(max_sessions),
            failures: 0,
        }
    }

    /// The scorer's name and version.
    pub fn scorer_version(&self) -> &'static str {
        self.scorer.version()
    }

    /// Spans the scorer failed on (a panic), written unjudged.
    pub fn failures(&self) -> u64 {
        self.failures
    }

    /// Sessions whose provenance was forgotten to stay within bounds.
    pub fn forgotten_sessions(&self) -> u64 {
        self.memories.forgotten
    }

    /// Scores every span of `received`, whose lineage is `lineage` (one entry
    /// per span in [`for_each_span`] order). Spans are judged in start order,
    /// so that a tool's result is known when the call that uses it is judged;
    /// the result keeps the request's order.
    pub fn score(
        &mut self,
        seq: u64,
        received: Received,
        lineage: Vec<SpanLineage>,
    ) -> ScoredRequest {
        let mut spans_in: Vec<&Span> = Vec::with_capacity(lineage.len());
        for_each_span(&received.request.resource_spans, |_, span| {
            spans_in.push(span)
        });
        let mut order: Vec<usize> = (0..spans_in.len().min(lineage.len())).collect();
        order.sort_by_key(|&i| (spans_in[i].start_time_unix_nano, i));
        let mut lineage: Vec<Option<SpanLineage>> = lineage.into_iter().map(Some).collect();
        let mut scored: Vec<Option<ScoredSpan>> = (0..order.len()).map(|_| None).collect();
        // A span's parent, when it is in the request, was scored before it
        // (start order): transport spans are judged with their parent's act.
        let index: std::collections::HashMap<&[u8], usize> = spans_in
            .iter()
            .enumerate()
            .map(|(i, s)| (s.span_id.as_slice(), i))
            .collect();
        for i in order {
            if let Some(l) = lineage[i].take() {
                let parent = index
                    .get(spans_in[i].parent_span_id.as_slice())
                    .and_then(|&p| scored[p].as_ref())
                    .map(|p| p.score.clone());
                scored[i] = Some(self.score_span(spans_in[i], l, parent.as_ref()));
            }
        }
        let spans = scored.into_iter().flatten().collect();
        ScoredRequest {
            seq,
            received,
            spans,
        }
    }

    fn score_span(
        &mut self,
        span: &Span,
        lineage: SpanLineage,
        parent: Option<&Score>,
    ) -> ScoredSpan {
        let view = SpanView::from_attributes(&span.name, string_attributes(&span.attributes));
        let action_kind = view.kind;
        let action_name = view.action_name().to_owned();
        // Lineage resolved the agent (own, nearest agent ancestor, the
        // intent's, the service); the span view's is the last resort.
        let agent = lineage
            .agent
            .as_deref()
            .or(view.agent)
            .unwrap_or_default()
            .to_owned();
        let score = match &lineage.intent {
            None => Score::unscoped(self.scorer.version()),
            Some(node) => {
                let key = if lineage.session_id.is_empty() {
                    Arc::clone(&node.root_id)
                } else {
                    Arc::clone(&lineage.session_id)
                };
                let memory = self.memories.get(key);
                memory.observe_inputs(&view);
                // A scorer bug on one span must not stop the pipeline: the
                // span is written unjudged, counted and logged. The scorer
                // only reads the memory, so a panic leaves it as it was.
                let judged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    score_in_chain(
                        self.scorer.as_ref(),
                        node,
                        &view,
                        lineage.declares,
                        lineage.delegation_hop,
                        memory,
                        parent,
                    )
                }));
                let score = judged.unwrap_or_else(|panic| {
                    self.failures += 1;
                    let why = panic_message(panic.as_ref());
                    tracing::error!(
                        span = %span.name,
                        scorer = self.scorer.version(),
                        error = %why,
                        "the scorer failed on a span; it is written unjudged"
                    );
                    let mut s = Score::unscoped(self.scorer.version());
                    s.explanation =
                        format!("The scorer failed on this span ({why}); it was not judged.");
                    s
                });
                memory.observe_outputs(&view);
                memory.observe_score(&view, &score);
                score
            }
        };
        ScoredSpan {
            lineage,
            score,
            action_kind,
            action_name,
            agent,
        }
    }
}

fn score_in_chain(
    scorer: &dyn Scorer,
    node: &IntentNode,
    view: &SpanView<'_>,
    declares: bool,
    delegation_hop: bool,
    memory: &SessionMemory,
    parent: Option<&Score>,
) -> Score {
    let chain_nodes = node.chain();
    let levels: Vec<&PreparedIntent> = chain_nodes
        .iter()
        .filter_map(|n| n.prepared.as_ref())
        .collect();
    let Some(chain) = IntentChain::new(&levels) else {
        let mut score = Score::unscoped(scorer.version());
        score.explanation = match node.declaration.as_ref().and(node.spec_error.as_deref()) {
            Some(error) => {
                // Reported once, on the span that declared it; the spans
                // under it cannot be judged and say why.
                if declares {
                    score.violations.push(format!("spec: {error}"));
                    score.verdict = Verdict::Violation;
                }
                format!(
                    "Intent {} was declared with an invalid spec: {error}.",
                    node.id
                )
            }
            None => format!(
                "Intent {} was referenced but never declared (not in flight, not in ClickHouse).",
                node.id
            ),
        };
        return score;
    };
    let ctx = Context {
        memory: Some(memory),
        delegation_hop,
        parent,
        ..Context::default()
    };
    let mut score = scorer.score(&chain, view, &ctx);
    // Lineage findings the scorer cannot see from one span.
    if declares && node.digest_valid == Some(false) {
        score.violations.push(format!(
            "digest: the declared digest does not match the spec (recomputed {})",
            node.prepared.as_ref().map_or("", |p| p.digest())
        ));
        escalate(
            &mut score,
            "The declared digest does not match the intent's bullets.",
        );
    }
    if node.orphan {
        if !score.explanation.is_empty() {
            score.explanation.push(' ');
        }
        score.explanation.push_str(&node.partial_lineage_note());
    }
    score
}

/// Provenance per session, bounded by count: the least recently scored
/// session is forgotten first (its later spans are judged as if its earlier
/// data had not been seen, never wrongly as injected).
struct SessionMemories {
    by_session: std::collections::HashMap<Arc<str>, (SessionMemory, u64)>,
    clock: u64,
    max: usize,
    forgotten: u64,
}

impl SessionMemories {
    /// Sessions remembered by default (about 14 KB each at most).
    const DEFAULT_SESSIONS: usize = 4096;

    fn new(max: usize) -> Self {
        Self {
            by_session: std::collections::HashMap::new(),
            clock: 0,
            max: max.max(1),
            forgotten: 0,
        }
    }

    fn get(&mut self, session: Arc<str>) -> &mut SessionMemory {
        self.clock += 1;
        if !self.by_session.contains_key(&session) && self.by_session.len() >= self.max {
            // Evicting is rare and O(n) over a bounded map: cheaper than
            // keeping an ordered index on every span.
            if let Some(oldest) = self
                .by_session
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| Arc::clone(k))
            {
                self.by_session.remove(&oldest);
                self.forgotten += 1;
            }
        }
        let clock = self.clock;
        let entry = self
            .by_session
            .entry(session)
            .or_insert_with(|| (SessionMemory::default(), clock));
        entry.1 = clock;
        &mut entry.0
    }
}

/// The message of a caught panic, as `panic!` formatted it.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
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

#[cfg(test)]
mod tests {
    // A test may unwrap its own fixture.
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use reshimu_intent::score::{Context, DefaultScorer, IntentChain, Score, Scorer, Verdict};
    use reshimu_intent::span::SpanView;

    use crate::demo::reference::{Variant, recorded};

    /// The default scorer, except that it panics on model-call spans: a
    /// stand-in for a scorer bug on some input.
    struct PanicsOnModelCalls(DefaultScorer);

    impl Scorer for PanicsOnModelCalls {
        fn version(&self) -> &'static str {
            "panics-on-model-calls/1"
        }
        fn score(&self, chain: &IntentChain<'_>, span: &SpanView<'_>, ctx: &Context<'_>) -> Score {
            if span.kind == reshimu_intent::span::ActionKind::Llm {
                panic!("byte index 168 is not a char boundary");
            }
            self.0.score(chain, span, ctx)
        }
    }

    #[test]
    fn a_scorer_panic_leaves_the_span_unjudged_and_the_rest_scored() {
        let requests = recorded(Variant::Drifted).unwrap();
        let spans = crate::demo::reference::span_count(&requests);
        let scored = crate::offline::score_requests(
            requests,
            Arc::new(PanicsOnModelCalls(DefaultScorer::default())),
        );
        let all: Vec<_> = scored.iter().flat_map(|r| &r.spans).collect();
        // Nothing is lost: every span comes out, scored or not.
        assert_eq!(all.len(), spans);
        let failed: Vec<_> = all
            .iter()
            .filter(|s| {
                s.score
                    .explanation
                    .starts_with("The scorer failed on this span")
            })
            .collect();
        assert!(!failed.is_empty());
        for s in &failed {
            assert_eq!(s.score.verdict, Verdict::Unscoped);
            assert!(
                s.score.explanation.contains("not a char boundary"),
                "{:?}",
                s.score
            );
            assert_eq!(s.action_kind, reshimu_intent::span::ActionKind::Llm);
        }
        // The other spans are judged as usual (the drifted session is flagged).
        assert!(all.iter().any(|s| s.score.verdict == Verdict::Violation));
    }
}
