//! Offline scoring: OTLP JSON files in, the same lineage and scores as the
//! running pipeline out. Behind `reshimu-collector score`.

mod input;
mod record;
mod tree;

pub use input::{InputError, read_requests};
pub use record::{SpanRecord, records};
pub use tree::render_tree;

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use reshimu_intent::score::Scorer;

use crate::lineage::LineageLimits;
use crate::pipeline::ProcessingStage;
use crate::queue::Received;
use crate::score::{ScoredRequest, ScoringStage};
use crate::telemetry::Telemetry;

/// Scores requests as the pipeline would, with all of them in hand: every
/// declaration is known before anything is released, so nothing waits and
/// nothing is an orphan unless its intent is truly absent from the input.
///
/// ```
/// use std::sync::Arc;
/// use reshimu_intent::score::DefaultScorer;
/// use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
/// let scored = reshimu_collector::offline::score_requests(
///     vec![ExportTraceServiceRequest::default()],
///     Arc::new(DefaultScorer::default()),
/// );
/// assert_eq!(scored.len(), 1);
/// ```
pub fn score_requests(
    requests: Vec<ExportTraceServiceRequest>,
    scorer: Arc<dyn Scorer>,
) -> Vec<ScoredRequest> {
    let limits = LineageLimits {
        max_pending_spans: usize::MAX,
        ..LineageLimits::default()
    };
    let mut stage =
        ProcessingStage::new(limits, ScoringStage::new(scorer), None, Telemetry::new(), 0);
    let mut released = Vec::new();
    for (seq, request) in requests.into_iter().enumerate() {
        let len = prost::Message::encoded_len(&request);
        released.extend(stage.ingest(seq as u64, Received::new(request, len)));
    }
    released.extend(stage.release_all());
    let mut scored: Vec<ScoredRequest> = stage
        .score(released)
        .into_iter()
        .map(|r| Arc::try_unwrap(r).unwrap_or_else(|shared| clone_scored(&shared)))
        .collect();
    scored.sort_by_key(|r| r.seq);
    scored
}

fn clone_scored(r: &ScoredRequest) -> ScoredRequest {
    ScoredRequest {
        seq: r.seq,
        received: Received::new(r.received.request.clone(), r.received.encoded_len),
        spans: r.spans.clone(),
    }
}
