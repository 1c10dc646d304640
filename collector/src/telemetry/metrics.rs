//! The metric set and the handle the stages count through.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::health::Health;
use super::labeled::{LabeledCounter, Labels};

/// The wire protocol a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/gRPC.
    Grpc,
    /// OTLP/HTTP.
    Http,
}

impl Protocol {
    const ALL: [Protocol; 2] = [Protocol::Grpc, Protocol::Http];

    /// Label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grpc => "grpc",
            Self::Http => "http",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request, or some of its spans, was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefuseReason {
    /// Missing or wrong bearer token.
    Unauthenticated,
    /// The body does not decode.
    Malformed,
    /// Larger than `receivers.max_request_bytes` (before or after decompression).
    TooLarge,
    /// Content type or content encoding not supported.
    UnsupportedMediaType,
    /// The queue is at a bound; the client was asked to retry.
    QueueFull,
    /// The collector is shutting down.
    ShuttingDown,
    /// A span was invalid (bad id length) and rejected alone (partial success).
    InvalidSpan,
    /// The memory budget (`memory_limit`) was full; the client was asked to retry.
    MemoryLimit,
    /// The spool could not write (disk error): not a full queue.
    SpoolFailed,
}

impl RefuseReason {
    const ALL: [RefuseReason; 9] = [
        RefuseReason::Unauthenticated,
        RefuseReason::Malformed,
        RefuseReason::TooLarge,
        RefuseReason::UnsupportedMediaType,
        RefuseReason::QueueFull,
        RefuseReason::ShuttingDown,
        RefuseReason::InvalidSpan,
        RefuseReason::MemoryLimit,
        RefuseReason::SpoolFailed,
    ];

    /// Label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Malformed => "malformed",
            Self::TooLarge => "too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::QueueFull => "queue_full",
            Self::ShuttingDown => "shutting_down",
            Self::InvalidSpan => "invalid_span",
            Self::MemoryLimit => "memory_limit",
            Self::SpoolFailed => "spool_failed",
        }
    }
}

const VERDICTS: &[&str] = &["aligned", "drifting", "thin", "violation", "unscoped"];
const SINKS: &[&str] = &["clickhouse", "forward", "file"];
const LOSSES: &[&str] = &["dead_letter_failed", "shutdown"];
const EVICTIONS: &[&str] = &[
    "intent_ttl",
    "max_intents",
    "max_indexed_spans",
    "max_pending_spans",
    "forward_failed",
];

/// Counters indexed by protocol.
#[derive(Debug)]
struct PerProtocol([Counter; 2]);

impl PerProtocol {
    fn new(family: &Family<Labels, Counter>) -> Self {
        Self(Protocol::ALL.map(|p| {
            family
                .get_or_create(&vec![("protocol", Cow::Borrowed(p.as_str()))])
                .clone()
        }))
    }

    fn get(&self, p: Protocol) -> &Counter {
        &self.0[p as usize]
    }
}

/// Counters indexed by protocol and refusal reason.
#[derive(Debug)]
struct PerRefusal([[Counter; 9]; 2]);

impl PerRefusal {
    fn new(family: &Family<Labels, Counter>) -> Self {
        Self(Protocol::ALL.map(|p| {
            RefuseReason::ALL.map(|r| {
                family
                    .get_or_create(&vec![
                        ("protocol", Cow::Borrowed(p.as_str())),
                        ("reason", Cow::Borrowed(r.as_str())),
                    ])
                    .clone()
            })
        }))
    }

    fn get(&self, p: Protocol, r: RefuseReason) -> &Counter {
        &self.0[p as usize][r as usize]
    }
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    health: Health,
    received_requests: PerProtocol,
    received_spans: PerProtocol,
    accepted_spans: PerProtocol,
    refused_requests: PerRefusal,
    refused_spans: PerRefusal,
    scored_spans: LabeledCounter,
    written_spans: LabeledCounter,
    retried_batches: LabeledCounter,
    evicted_spans: LabeledCounter,
    spooled_requests: Counter,
    spooled_bytes: Counter,
    spans_without_content: Counter,
    scorer_failures: Counter,
    expired_spans: Counter,
    dead_lettered_spans: Counter,
    lost_spans: LabeledCounter,
    queue_requests: Gauge,
    queue_bytes: Gauge,
    memory_reserved: Gauge,
    spool_bytes: Gauge,
    open_connections: [Gauge; 2],
    refused_connections: PerProtocol,
    timed_out_connections: Family<Labels, Counter>,
    insert_latency: Histogram,
}

/// Span totals since start, for the shutdown report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpanCounts {
    /// Acknowledged to clients, both protocols.
    pub accepted: u64,
    /// Written to ClickHouse.
    pub written_clickhouse: u64,
    /// Not written: the TTL would have dropped them.
    pub expired: u64,
    /// In the dead-letter file.
    pub dead_lettered: u64,
}

/// The collector's metrics and health, shared by every stage. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Telemetry {
    inner: Arc<Inner>,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self::new()
    }
}

impl Telemetry {
    /// Registers every metric (prefix `reshimu_`).
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("reshimu");
        let mut family = |name: &str, help: &str| {
            let f = Family::<Labels, Counter>::default();
            registry.register(name, help, f.clone());
            f
        };
        let received_requests = family("received_requests", "OTLP export requests received");
        let received_spans = family("received_spans", "Spans in decoded requests");
        let accepted_spans = family("accepted_spans", "Spans acknowledged (queued)");
        let refused_requests = family(
            "refused_requests",
            "Requests refused, by protocol and reason",
        );
        let refused_spans = family(
            "refused_spans",
            "Spans refused (whole requests or rejected alone), by protocol and reason",
        );
        let refused_connections = family(
            "refused_connections",
            "Connections closed at once because the receiver was at max_connections",
        );

        let scored_spans = LabeledCounter::new("verdict", VERDICTS);
        let written_spans = LabeledCounter::new("sink", SINKS);
        let retried_batches = LabeledCounter::new("sink", SINKS);
        let evicted_spans = LabeledCounter::new("reason", EVICTIONS);
        registry.register(
            "scored_spans",
            "Spans scored, by verdict",
            scored_spans.family(),
        );
        registry.register(
            "written_spans",
            "Spans written, by sink",
            written_spans.family(),
        );
        registry.register(
            "retried_batches",
            "Batch writes retried, by sink",
            retried_batches.family(),
        );
        registry.register(
            "evicted_spans",
            "Spans or sessions evicted from lineage memory, by reason",
            evicted_spans.family(),
        );

        let spooled_requests = Counter::default();
        let spooled_bytes = Counter::default();
        registry.register(
            "spooled_requests",
            "Requests written to the spool",
            spooled_requests.clone(),
        );
        registry.register(
            "spooled_bytes",
            "Bytes written to the spool",
            spooled_bytes.clone(),
        );

        // Model calls whose instrumentation captured no messages: the scorer
        // has nothing to judge them on, and users need to know why.
        let spans_without_content = Counter::default();
        registry.register(
            "spans_without_content",
            "Model-call spans that carry no input or output content (content capture is off)",
            spans_without_content.clone(),
        );
        // A scorer bug on a span: it is written unjudged, never dropped.
        let scorer_failures = Counter::default();
        registry.register(
            "scorer_failures",
            "Spans the scorer failed on (a panic, logged); they are written unscoped",
            scorer_failures.clone(),
        );
        let expired_spans = Counter::default();
        registry.register(
            "spans_expired",
            "Spans not written because the ClickHouse TTL would drop them at insert",
            expired_spans.clone(),
        );
        let dead_lettered_spans = Counter::default();
        registry.register(
            "dead_lettered_spans",
            "Spans ClickHouse refused for good, written to the dead-letter file",
            dead_lettered_spans.clone(),
        );
        let lost_spans = LabeledCounter::new("reason", LOSSES);
        registry.register(
            "lost_spans",
            "Acknowledged spans that were neither written nor kept anywhere, by reason",
            lost_spans.family(),
        );

        let queue_requests = Gauge::default();
        let queue_bytes = Gauge::default();
        registry.register(
            "queue_requests",
            "Requests waiting in the queue",
            queue_requests.clone(),
        );
        registry.register(
            "queue_bytes",
            "Bytes waiting in the queue",
            queue_bytes.clone(),
        );

        let memory_reserved = Gauge::default();
        registry.register(
            "memory_reserved_bytes",
            "Bytes of the memory budget held by requests in flight, queued or being written",
            memory_reserved.clone(),
        );

        let connections = Family::<Labels, Gauge>::default();
        registry.register(
            "open_connections",
            "Connections open, by receiver",
            connections.clone(),
        );
        let open_connections = Protocol::ALL.map(|p| {
            connections
                .get_or_create(&vec![("protocol", Cow::Borrowed(p.as_str()))])
                .clone()
        });
        let timed_out_connections = Family::<Labels, Counter>::default();
        registry.register(
            "timed_out_connections",
            "Connections closed by a timeout (idle, header, body), by receiver",
            timed_out_connections.clone(),
        );

        let spool_bytes = Gauge::default();
        registry.register(
            "spool_bytes",
            "Bytes of the spool's segment files on disk",
            spool_bytes.clone(),
        );

        // 1 ms .. ~33 s: an insert slower than that is an outage, not latency.
        let insert_latency = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        registry.register(
            "clickhouse_insert_latency_seconds",
            "Latency of successful ClickHouse inserts",
            insert_latency.clone(),
        );

        Self {
            inner: Arc::new(Inner {
                received_requests: PerProtocol::new(&received_requests),
                received_spans: PerProtocol::new(&received_spans),
                accepted_spans: PerProtocol::new(&accepted_spans),
                refused_requests: PerRefusal::new(&refused_requests),
                refused_spans: PerRefusal::new(&refused_spans),
                registry,
                health: Health::default(),
                scored_spans,
                written_spans,
                retried_batches,
                evicted_spans,
                spooled_requests,
                spooled_bytes,
                spans_without_content,
                scorer_failures,
                expired_spans,
                dead_lettered_spans,
                lost_spans,
                queue_requests,
                queue_bytes,
                memory_reserved,
                spool_bytes,
                open_connections,
                refused_connections: PerProtocol::new(&refused_connections),
                timed_out_connections,
                insert_latency,
            }),
        }
    }

    /// Readiness and dependency state.
    pub fn health(&self) -> &Health {
        &self.inner.health
    }

    /// A request arrived holding `spans` spans (0 when it did not decode).
    pub fn request_received(&self, protocol: Protocol, spans: usize) {
        self.inner.received_requests.get(protocol).inc();
        self.inner.received_spans.get(protocol).inc_by(spans as u64);
    }

    /// Spans were acknowledged to the client (they are queued).
    pub fn spans_accepted(&self, protocol: Protocol, spans: usize) {
        self.inner.accepted_spans.get(protocol).inc_by(spans as u64);
    }

    /// A whole request (holding `spans` spans, 0 if unknown) was refused.
    pub fn request_refused(&self, protocol: Protocol, reason: RefuseReason, spans: usize) {
        self.inner.refused_requests.get(protocol, reason).inc();
        self.inner
            .refused_spans
            .get(protocol, reason)
            .inc_by(spans as u64);
    }

    /// Some spans of an otherwise accepted request were rejected.
    pub fn spans_refused(&self, protocol: Protocol, reason: RefuseReason, spans: usize) {
        self.inner
            .refused_spans
            .get(protocol, reason)
            .inc_by(spans as u64);
    }

    /// Spans were scored with `verdict` (`aligned`, `drifting`, `thin`, `violation`, `unscoped`).
    pub fn spans_scored(&self, verdict: &str, spans: u64) {
        self.inner.scored_spans.inc_by(verdict, spans);
    }

    /// Model-call spans arrived without any captured content.
    pub fn spans_without_content(&self, spans: u64) {
        self.inner.spans_without_content.inc_by(spans);
    }

    /// The scorer failed on `spans` spans, written unjudged.
    pub fn scorer_failed(&self, spans: u64) {
        self.inner.scorer_failures.inc_by(spans);
    }

    /// Spans were written by `sink` (`clickhouse`, `forward`, `file`).
    pub fn spans_written(&self, sink: &str, spans: u64) {
        self.inner.written_spans.inc_by(sink, spans);
    }

    /// A batch write to `sink` failed and will be retried.
    pub fn batch_retried(&self, sink: &str) {
        self.inner.retried_batches.inc_by(sink, 1);
    }

    /// Spans were evicted from lineage memory (`intent_ttl`, `max_intents`, `max_indexed_spans`, `max_pending_spans`, `forward_failed`).
    pub fn spans_evicted(&self, reason: &str, spans: u64) {
        self.inner.evicted_spans.inc_by(reason, spans);
    }

    /// A request of `bytes` bytes was written to the spool.
    pub fn request_spooled(&self, bytes: u64) {
        self.inner.spooled_requests.inc();
        self.inner.spooled_bytes.inc_by(bytes);
    }

    /// Spans were not written because the TTL would drop them at insert.
    pub fn spans_expired(&self, spans: u64) {
        self.inner.expired_spans.inc_by(spans);
    }

    /// Spans were written to the dead-letter file.
    pub fn spans_dead_lettered(&self, spans: u64) {
        self.inner.dead_lettered_spans.inc_by(spans);
    }

    /// Acknowledged spans were lost (`dead_letter_failed`, `shutdown`).
    pub fn spans_lost(&self, reason: &str, spans: u64) {
        self.inner.lost_spans.inc_by(reason, spans);
    }

    /// Current queue depth; set by whoever last changed it.
    pub fn set_queue_depth(&self, requests: usize, bytes: usize) {
        self.inner.queue_requests.set(clamp(requests));
        self.inner.queue_bytes.set(clamp(bytes));
    }

    /// Bytes of the memory budget held now.
    pub fn set_memory_reserved(&self, bytes: usize) {
        self.inner.memory_reserved.set(clamp(bytes));
    }

    /// A connection was accepted on a receiver.
    pub fn connection_opened(&self, protocol: Protocol) {
        self.inner.open_connections[protocol as usize].inc();
    }

    /// A guarded connection closed.
    pub fn connection_closed(&self, protocol: Protocol) {
        self.inner.open_connections[protocol as usize].dec();
    }

    /// A connection was closed at once: the receiver was at `max_connections`.
    pub fn connection_refused(&self, protocol: Protocol) {
        self.inner.refused_connections.get(protocol).inc();
    }

    /// A connection was closed by a timeout (`idle`, `header`, `body`).
    pub fn connection_timed_out(&self, protocol: Protocol, kind: &'static str) {
        self.inner
            .timed_out_connections
            .get_or_create(&vec![
                ("protocol", Cow::Borrowed(protocol.as_str())),
                ("timeout", Cow::Borrowed(kind)),
            ])
            .inc();
    }

    /// Bytes of the spool on disk.
    pub fn set_spool_bytes(&self, bytes: u64) {
        self.inner
            .spool_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }

    /// A ClickHouse insert succeeded after `latency`.
    pub fn observe_insert_latency(&self, latency: Duration) {
        self.inner.insert_latency.observe(latency.as_secs_f64());
    }

    /// Span totals since start.
    pub fn span_counts(&self) -> SpanCounts {
        let i = &self.inner;
        SpanCounts {
            accepted: Protocol::ALL
                .iter()
                .map(|&p| i.accepted_spans.get(p).get())
                .sum(),
            written_clickhouse: i.written_spans.get("clickhouse"),
            expired: i.expired_spans.get(),
            dead_lettered: i.dead_lettered_spans.get(),
        }
    }

    /// The metrics in the OpenMetrics text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::with_capacity(8 * 1024);
        encode(&mut out, &self.inner.registry)?;
        Ok(out)
    }
}

fn clamp(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(prefix))
    }

    #[test]
    fn counts_appear_with_labels() {
        let t = Telemetry::new();
        t.request_received(Protocol::Http, 3);
        t.spans_accepted(Protocol::Http, 2);
        t.spans_refused(Protocol::Http, RefuseReason::InvalidSpan, 1);
        t.spans_scored("violation", 4);
        t.spans_scored("novel", 1);
        t.set_queue_depth(5, 500);
        t.spans_without_content(2);
        t.scorer_failed(1);
        let text = t.encode().unwrap();
        assert_eq!(
            line(&text, "reshimu_scorer_failures_total "),
            Some("reshimu_scorer_failures_total 1")
        );
        assert_eq!(
            line(&text, "reshimu_spans_without_content_total "),
            Some("reshimu_spans_without_content_total 2")
        );
        assert_eq!(
            line(&text, "reshimu_received_spans_total{protocol=\"http\"}"),
            Some("reshimu_received_spans_total{protocol=\"http\"} 3")
        );
        assert_eq!(
            line(
                &text,
                "reshimu_refused_spans_total{protocol=\"http\",reason=\"invalid_span\"}"
            ),
            Some("reshimu_refused_spans_total{protocol=\"http\",reason=\"invalid_span\"} 1")
        );
        assert_eq!(
            line(&text, "reshimu_scored_spans_total{verdict=\"violation\"}"),
            Some("reshimu_scored_spans_total{verdict=\"violation\"} 4")
        );
        assert_eq!(
            line(&text, "reshimu_scored_spans_total{verdict=\"novel\"}"),
            Some("reshimu_scored_spans_total{verdict=\"novel\"} 1")
        );
        assert_eq!(
            line(&text, "reshimu_queue_bytes "),
            Some("reshimu_queue_bytes 500")
        );
        // Pre-registered label sets are exported at zero before anything happens.
        assert!(line(&text, "reshimu_received_spans_total{protocol=\"grpc\"} 0").is_some());
    }
}
