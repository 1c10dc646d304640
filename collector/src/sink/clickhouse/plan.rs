//! How a batch becomes inserts: which of its spans go in at all, and how
//! they are cut so that no insert touches more partitions than ClickHouse
//! accepts in one block.
//!
//! Pure: the writer gives it the batch and the time, and gets back the rows
//! the TTL would drop at once and the chunks to insert, in batch order. The
//! same batch always gives the same chunks, so a retried or replayed batch
//! carries the same deduplication tokens.

use std::ops::Range;
use std::sync::Arc;

use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

use crate::score::{ScoredRequest, ScoredSpan};

/// ClickHouse refuses an insert block spanning more than
/// `max_partitions_per_insert_block` (100 by default) partitions; `spans` is
/// partitioned by day in the server's time zone. Counting UTC days, a chunk
/// of at most 50 touches at most 100 local days whatever that zone is.
pub const MAX_DAYS_PER_INSERT: usize = 50;

const NANOS_PER_DAY: u64 = 86_400 * 1_000_000_000;

/// One span of a batch: where it sits in its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    /// Index of the request in the batch.
    pub request: u32,
    /// Resource, scope and span indexes inside the request.
    pub resource: u32,
    /// See [`Unit::resource`].
    pub scope: u32,
    /// See [`Unit::resource`].
    pub span: u32,
    /// Index of the span's score in [`ScoredRequest::spans`].
    pub scored: u32,
}

/// A span with everything its row needs.
pub type UnitRef<'a> = (&'a ResourceSpans, &'a ScopeSpans, &'a Span, &'a ScoredSpan);

impl Unit {
    /// The span and its context in `batch`.
    pub fn get<'a>(&self, batch: &'a [Arc<ScoredRequest>]) -> Option<UnitRef<'a>> {
        let request = batch.get(self.request as usize)?;
        let rs = request
            .received
            .request
            .resource_spans
            .get(self.resource as usize)?;
        let ss = rs.scope_spans.get(self.scope as usize)?;
        let span = ss.spans.get(self.span as usize)?;
        let scored = request.spans.get(self.scored as usize)?;
        Some((rs, ss, span, scored))
    }
}

/// What a batch is inserted as.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Every span of the batch, in order.
    pub units: Vec<Unit>,
    /// Indexes (into `units`) of the spans the TTL would drop at insert.
    pub expired: Vec<usize>,
    /// Indexes (into `units`) of the spans to insert, in order.
    pub live: Vec<usize>,
    /// Ranges of `live`, one insert each.
    pub chunks: Vec<Range<usize>>,
}

/// Plans a batch. `ttl` is the table TTL in days (0: none) and `now_ns` the
/// current time.
pub fn plan(batch: &[Arc<ScoredRequest>], ttl_days: u32, now_ns: u64) -> Plan {
    let mut out = Plan::default();
    for (r, request) in batch.iter().enumerate() {
        let mut scored = 0u32;
        for (ri, rs) in request.received.request.resource_spans.iter().enumerate() {
            for (si, ss) in rs.scope_spans.iter().enumerate() {
                for sp in 0..ss.spans.len() {
                    if scored as usize >= request.spans.len() {
                        break;
                    }
                    out.units.push(Unit {
                        request: r as u32,
                        resource: ri as u32,
                        scope: si as u32,
                        span: sp as u32,
                        scored,
                    });
                    scored += 1;
                }
            }
        }
    }
    let horizon =
        (ttl_days > 0).then(|| now_ns.saturating_sub(u64::from(ttl_days) * NANOS_PER_DAY));
    let mut days: Vec<u64> = Vec::with_capacity(MAX_DAYS_PER_INSERT);
    let mut chunk_start = 0;
    for (index, unit) in out.units.iter().enumerate() {
        let Some((_, _, span, _)) = unit.get(batch) else {
            continue;
        };
        let start = span.start_time_unix_nano;
        // The TTL compares whole seconds (`toDateTime(Timestamp)`).
        if horizon.is_some_and(|h| start / 1_000_000_000 * 1_000_000_000 < h) {
            out.expired.push(index);
            continue;
        }
        let day = start / NANOS_PER_DAY;
        if !days.contains(&day) {
            if days.len() == MAX_DAYS_PER_INSERT {
                out.chunks.push(chunk_start..out.live.len());
                chunk_start = out.live.len();
                days.clear();
            }
            days.push(day);
        }
        out.live.push(index);
    }
    if chunk_start < out.live.len() {
        out.chunks.push(chunk_start..out.live.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lineage::SpanLineage;
    use crate::queue::Received;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use reshimu_intent::score::Score;
    use reshimu_intent::span::ActionKind;

    fn batch(starts: &[u64]) -> Vec<Arc<ScoredRequest>> {
        let spans: Vec<Span> = starts
            .iter()
            .map(|&s| Span {
                start_time_unix_nano: s,
                ..Span::default()
            })
            .collect();
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        };
        let scored = starts
            .iter()
            .map(|_| ScoredSpan {
                lineage: SpanLineage {
                    intent: None,
                    session_id: Arc::from(""),
                    declares: false,
                    agent: None,
                    delegation_hop: false,
                    content_missing: false,
                },
                score: Score::unscoped("t"),
                action_kind: ActionKind::Other,
                action_name: String::new(),
                agent: String::new(),
            })
            .collect();
        vec![Arc::new(ScoredRequest {
            seq: 0,
            received: Received::new(request, 0),
            spans: scored,
        })]
    }

    #[test]
    fn splits_by_day_and_drops_expired() {
        let day = NANOS_PER_DAY;
        let now = 1_000 * day;
        // 120 distinct days inside a 200-day TTL, then one row 300 days old.
        let mut starts: Vec<u64> = (0..120).map(|d| now - (d + 1) * day).collect();
        starts.push(now - 300 * day);
        starts.push(now - day); // a day already seen: joins the chunk it fits
        let b = batch(&starts);
        let p = plan(&b, 200, now);
        assert_eq!(p.units.len(), 122);
        assert_eq!(p.expired, vec![120]);
        assert_eq!(p.live.len(), 121);
        assert_eq!(p.chunks, vec![0..50, 50..100, 100..121]);
        // Without a TTL nothing expires.
        assert!(plan(&b, 0, now).expired.is_empty());
        // The same batch plans the same way (tokens derive from it).
        assert_eq!(plan(&b, 200, now), p);
    }
}
