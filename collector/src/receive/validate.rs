//! Per-span checks that reject a span alone instead of its whole request.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;

/// Spans dropped from a request, with the first reason as a sample.
#[derive(Debug, Default)]
pub(crate) struct Rejected {
    pub count: usize,
    pub first: Option<String>,
}

impl Rejected {
    /// The `partial_success.error_message` for the client.
    pub fn message(&self) -> String {
        match &self.first {
            Some(first) if self.count > 1 => {
                format!("rejected {} invalid spans; first: {first}", self.count)
            }
            Some(first) => format!("rejected 1 invalid span: {first}"),
            None => String::new(),
        }
    }
}

/// Removes spans whose ids cannot identify them (wrong length or all zero),
/// which no later stage could link or store.
pub(crate) fn retain_valid(request: &mut ExportTraceServiceRequest) -> Rejected {
    let mut rejected = Rejected::default();
    for rs in &mut request.resource_spans {
        for ss in &mut rs.scope_spans {
            ss.spans.retain(|span| match problem(span) {
                None => true,
                Some(p) => {
                    rejected.count += 1;
                    if rejected.first.is_none() {
                        rejected.first = Some(format!("span {:?}: {p}", span.name));
                    }
                    false
                }
            });
        }
    }
    rejected
}

/// The last second ClickHouse's `DateTime` holds (2106-02-07T06:28:15Z), in
/// ns: the TTL and partition expressions convert span start times to it, so
/// a later start would overflow there and be dropped by the engine.
pub(crate) const LATEST_START_NS: u64 = u32::MAX as u64 * 1_000_000_000;

fn problem(span: &Span) -> Option<String> {
    fn id(name: &str, bytes: &[u8], want: usize) -> Option<String> {
        if bytes.len() != want {
            Some(format!("{name} is {} bytes, want {want}", bytes.len()))
        } else if bytes.iter().all(|&b| b == 0) {
            Some(format!("{name} is all zeros"))
        } else {
            None
        }
    }
    id("trace_id", &span.trace_id, 16)
        .or_else(|| id("span_id", &span.span_id, 8))
        .or_else(|| {
            if span.parent_span_id.is_empty() {
                None
            } else {
                id("parent_span_id", &span.parent_span_id, 8)
            }
        })
        .or_else(|| match span.start_time_unix_nano {
            0 => Some("start_time_unix_nano is 0 (not set)".to_owned()),
            t if t > LATEST_START_NS => Some(format!(
                "start_time_unix_nano {t} is after 2106-02-07T06:28:15Z, the latest time ClickHouse stores"
            )),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};

    fn span(name: &str, trace_id: Vec<u8>, span_id: Vec<u8>, parent: Vec<u8>) -> Span {
        Span {
            name: name.into(),
            trace_id,
            span_id,
            parent_span_id: parent,
            start_time_unix_nano: 1_700_000_000_000_000_000,
            ..Default::default()
        }
    }

    #[test]
    fn drops_times_clickhouse_cannot_store() {
        let at = |name: &str, start: u64| Span {
            start_time_unix_nano: start,
            ..span(name, vec![1; 16], vec![2; 8], vec![])
        };
        let mut req = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![
                        at("zero", 0),
                        at("ok", 1_700_000_000_000_000_000),
                        at("last", LATEST_START_NS),
                        at("2107", 4_323_283_200_000_000_000),
                        at("i64max", i64::MAX as u64),
                        at("u64max", u64::MAX),
                    ],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let rejected = retain_valid(&mut req);
        let kept: Vec<_> = req.resource_spans[0].scope_spans[0]
            .spans
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(kept, ["ok", "last"]);
        assert_eq!(rejected.count, 4);
        assert_eq!(
            rejected.message(),
            "rejected 4 invalid spans; first: span \"zero\": start_time_unix_nano is 0 (not set)"
        );
    }

    #[test]
    fn drops_only_the_bad_spans() {
        let mut req = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![
                        span("ok", vec![1; 16], vec![2; 8], vec![]),
                        span("short", vec![1; 5], vec![2; 8], vec![]),
                        span("child", vec![1; 16], vec![3; 8], vec![2; 8]),
                        span("zero", vec![1; 16], vec![0; 8], vec![]),
                        span("bad-parent", vec![1; 16], vec![3; 8], vec![2; 3]),
                    ],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let rejected = retain_valid(&mut req);
        let kept: Vec<_> = req.resource_spans[0].scope_spans[0]
            .spans
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(kept, ["ok", "child"]);
        assert_eq!(rejected.count, 3);
        assert_eq!(
            rejected.message(),
            "rejected 3 invalid spans; first: span \"short\": trace_id is 5 bytes, want 16"
        );
    }
}
