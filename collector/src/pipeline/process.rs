//! The processing loop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use tokio::sync::mpsc;

use crate::lineage::{
    EvictionCounts, IntentLookup, LineageLimits, Released, Resolver, ResourceFacts, SpanFacts,
    read_span, resource_service, resource_session,
};
use crate::queue::{QueueReceiver, Received};
use crate::score::{ScoredRequest, ScoringStage};
use crate::spool::SpoolReader;
use crate::telemetry::Telemetry;

/// Where scored requests go: one bounded channel per sink.
pub type Outputs = Vec<mpsc::Sender<Arc<ScoredRequest>>>;

/// How long the lineage stage waits for ClickHouse when it asks for intents
/// it has not seen; past that the spans are scored as orphans.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads the lineage facts of every span of a request, in
/// [`for_each_span`](crate::score::for_each_span) order; `infer_intent`
/// reads the user messages an inferred intent needs.
pub fn extract_facts(request: &ExportTraceServiceRequest, infer_intent: bool) -> Vec<SpanFacts> {
    let mut facts = Vec::new();
    for rs in &request.resource_spans {
        // A session id and the service name on the resource apply to all of its spans.
        let attributes = rs.resource.as_ref().map(|r| r.attributes.as_slice());
        let session = attributes.and_then(resource_session);
        let service = attributes.and_then(resource_service);
        let resource = ResourceFacts {
            session: session.as_ref(),
            service: service.as_ref(),
            infer_intent,
        };
        for ss in &rs.scope_spans {
            facts.extend(ss.spans.iter().map(|span| read_span(span, resource)));
        }
    }
    facts
}

/// The lineage and scoring stage with its state.
pub struct ProcessingStage {
    resolver: Resolver<(u64, Received)>,
    scoring: ScoringStage,
    lookup: Option<Arc<dyn IntentLookup>>,
    telemetry: Telemetry,
    next_seq: u64,
    reported_evictions: EvictionCounts,
    reported_failures: u64,
    infer_intent: bool,
}

impl ProcessingStage {
    /// A stage; sequence numbers start at `first_seq` (0 for a fresh run, the
    /// spool's next number after a restart).
    pub fn new(
        limits: LineageLimits,
        scoring: ScoringStage,
        lookup: Option<Arc<dyn IntentLookup>>,
        telemetry: Telemetry,
        first_seq: u64,
    ) -> Self {
        Self {
            infer_intent: limits.infer_intent,
            resolver: Resolver::new(limits),
            scoring,
            lookup,
            telemetry,
            next_seq: first_seq,
            reported_evictions: EvictionCounts::default(),
            reported_failures: 0,
        }
    }

    /// Runs until the queue closes and drains, then releases every held span.
    pub async fn run(self, queue: QueueReceiver, outputs: Outputs) {
        self.run_from(Source::Memory(queue), outputs).await;
    }

    /// Runs on the spool: requests come in the spool's sequence order (and
    /// with its numbers), a backlog included, until the spool stops taking
    /// appends; then releases every held span.
    pub async fn run_spooled(self, spool: SpoolReader, outputs: Outputs) {
        self.run_from(Source::Spool(Box::new(spool)), outputs).await;
    }

    async fn run_from(mut self, mut source: Source, outputs: Outputs) {
        loop {
            let next = match self.resolver.next_deadline() {
                Some(deadline) => {
                    tokio::time::timeout_at(deadline.into(), source.recv(&mut self.next_seq)).await
                }
                None => Ok(source.recv(&mut self.next_seq).await),
            };
            let released = match next {
                Ok(Some((seq, received))) => {
                    let (requests, bytes) = source.depth();
                    self.telemetry.set_queue_depth(requests, bytes);
                    self.ingest(seq, received)
                }
                Ok(None) => break,
                Err(_deadline) => Vec::new(),
            };
            send(self.score(released), &outputs).await;
            let expired = self.expire(Instant::now()).await;
            send(self.score(expired), &outputs).await;
            self.report_evictions();
        }
        let rest = self.resolver.release_all();
        send(self.score(rest), &outputs).await;
    }

    /// Takes one request with a given sequence number.
    pub fn ingest(&mut self, seq: u64, received: Received) -> Vec<Released<(u64, Received)>> {
        let facts = extract_facts(&received.request, self.infer_intent);
        self.resolver.ingest((seq, received), facts, Instant::now())
    }

    /// Asks ClickHouse for the intents that requests past their wait still
    /// miss, then releases those requests, as orphans where nothing was found.
    pub async fn expire(&mut self, now: Instant) -> Vec<Released<(u64, Received)>> {
        let mut released = Vec::new();
        let spans = self.resolver.missing_spans(now);
        if let (false, Some(lookup)) = (spans.is_empty(), &self.lookup) {
            let found = tokio::time::timeout(LOOKUP_TIMEOUT, lookup.span_intents(&spans))
                .await
                .unwrap_or_default();
            self.resolver.supply_spans(found);
        }
        let missing = self.resolver.missing_intents(now);
        if let (false, Some(lookup)) = (missing.is_empty(), &self.lookup) {
            let found = tokio::time::timeout(LOOKUP_TIMEOUT, lookup.lookup(&missing))
                .await
                .unwrap_or_default();
            released.extend(self.resolver.supply(found));
        }
        released.extend(self.resolver.release_expired(now));
        released
    }

    /// Releases everything still held (end of input).
    pub fn release_all(&mut self) -> Vec<Released<(u64, Received)>> {
        self.resolver.release_all()
    }

    /// Scores released requests.
    pub fn score(&mut self, released: Vec<Released<(u64, Received)>>) -> Vec<Arc<ScoredRequest>> {
        let scored = self.score_released(released);
        let failures = self.scoring.failures();
        if failures > self.reported_failures {
            self.telemetry
                .scorer_failed(failures - self.reported_failures);
            self.reported_failures = failures;
        }
        scored
    }

    fn score_released(
        &mut self,
        released: Vec<Released<(u64, Received)>>,
    ) -> Vec<Arc<ScoredRequest>> {
        released
            .into_iter()
            .map(|r| {
                let (seq, received) = r.payload;
                let scored = self.scoring.score(seq, received, r.spans);
                for s in &scored.spans {
                    self.telemetry.spans_scored(s.score.verdict.as_str(), 1);
                }
                let without_content = scored
                    .spans
                    .iter()
                    .filter(|s| s.lineage.content_missing)
                    .count() as u64;
                if without_content > 0 {
                    self.telemetry.spans_without_content(without_content);
                }
                Arc::new(scored)
            })
            .collect()
    }

    fn report_evictions(&mut self) {
        let now = self.resolver.evictions();
        let before = self.reported_evictions;
        if now.intents > before.intents {
            self.telemetry
                .spans_evicted("intent_limit", now.intents - before.intents);
        }
        if now.spans > before.spans {
            self.telemetry
                .spans_evicted("span_index_limit", now.spans - before.spans);
        }
        if now.early_releases > before.early_releases {
            self.telemetry
                .spans_evicted("pending_limit", now.early_releases - before.early_releases);
        }
        self.reported_evictions = now;
    }
}

/// Where the processing stage takes requests from.
enum Source {
    /// The in-memory queue; the stage numbers requests itself.
    Memory(QueueReceiver),
    /// The spool, which numbers them.
    Spool(Box<SpoolReader>),
}

impl Source {
    /// The next request and its sequence number. Cancel-safe: a request is
    /// only taken out of the source when it is returned.
    async fn recv(&mut self, next_seq: &mut u64) -> Option<(u64, Received)> {
        match self {
            Source::Memory(queue) => {
                let received = queue.recv().await?;
                let seq = *next_seq;
                *next_seq += 1;
                Some((seq, received))
            }
            Source::Spool(spool) => spool.recv().await,
        }
    }

    fn depth(&self) -> (usize, usize) {
        match self {
            Source::Memory(queue) => queue.depth(),
            Source::Spool(spool) => spool.depth(),
        }
    }
}

async fn send(scored: Vec<Arc<ScoredRequest>>, outputs: &Outputs) {
    for request in scored {
        for out in outputs {
            // A closed sink has shut down; the others still get the request.
            let _ = out.send(Arc::clone(&request)).await;
        }
    }
}
