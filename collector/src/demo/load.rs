//! Synthetic agent traffic for benchmarks and load tests: sessions whose
//! intents are declared once, then batches of the spans agents emit (tool
//! calls with SQL, model calls with output, HTTP reads, plain agent steps).

use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;

use super::otlp::{declaration, int, request, string};
use super::reference;

/// The intent id of synthetic session `session`.
pub fn intent_id(session: usize) -> String {
    format!("3f1e8cb8-0000-4000-8000-{session:012}")
}

/// The declarations of `sessions` sessions (the seed intent), to send once
/// before the traffic.
pub fn declarations(sessions: usize) -> ExportTraceServiceRequest {
    // Spans without a start time are refused as invalid: the declarations
    // would be lost and every span of the load unscoped.
    let now = now_nanos();
    let spans = (0..sessions)
        .map(|n| {
            let mut attributes = declaration(&intent_id(n), None, &reference::seed_spec());
            attributes.push(string("reshimu.session.id", &format!("session-{n}")));
            Span {
                trace_id: vec![n as u8 + 1; 16],
                span_id: vec![n as u8 + 1; 8],
                name: "invoke_agent coordinator".into(),
                start_time_unix_nano: now,
                end_time_unix_nano: now + 1_000_000,
                attributes,
                ..Span::default()
            }
        })
        .collect();
    request("query-agent", spans)
}

/// `spans` spans of the kinds agents emit, spread over `sessions` sessions,
/// with span ids starting at `first_span` (so consecutive batches differ).
pub fn workload(spans: usize, sessions: usize, first_span: u64) -> ExportTraceServiceRequest {
    let now = now_nanos();
    let spans = (0..spans)
        .map(|k| {
            let session = k % sessions;
            let mut attributes = vec![
                string("reshimu.intent.id", &intent_id(session)),
                string("reshimu.intent.root_id", &intent_id(session)),
                string("reshimu.session.id", &format!("session-{session}")),
                int("reshimu.delegation.depth", 1),
                string("gen_ai.agent.name", "query_agent"),
            ];
            let name = match k % 4 {
                0 => {
                    attributes.extend([
                        string("gen_ai.operation.name", "execute_tool"),
                        string("gen_ai.tool.name", "run_sql"),
                        string("gen_ai.tool.call.arguments", "{\"query\":\"SELECT id, last_login FROM customers WHERE last_login < now() - INTERVAL 90 DAY\"}"),
                        string("db.query.text", "SELECT id, last_login FROM customers WHERE last_login < now() - INTERVAL 90 DAY"),
                    ]);
                    "execute_tool run_sql"
                }
                1 => {
                    attributes.extend([
                        string("gen_ai.operation.name", "chat"),
                        string("gen_ai.request.model", "gpt-x"),
                        string("gen_ai.output.messages", "Audit summary: 42 customer accounts have been inactive for more than 90 days; most are on the basic plan."),
                    ]);
                    "chat gpt-x"
                }
                2 => {
                    attributes.extend([
                        string("http.request.method", "GET"),
                        string("url.full", "https://crm.internal.example/api/customers?inactive_days=90&page=3"),
                        int("http.response.status_code", 200),
                    ]);
                    "GET /api/customers"
                }
                _ => {
                    attributes.extend([string("gen_ai.operation.name", "invoke_agent"), string("step", "collect-results")]);
                    "agent step"
                }
            };
            Span {
                trace_id: vec![session as u8 + 1; 16],
                span_id: (first_span + k as u64 + 1000).to_be_bytes().to_vec(),
                parent_span_id: vec![session as u8 + 1; 8],
                name: name.into(),
                kind: 3,
                start_time_unix_nano: now,
                end_time_unix_nano: now + 1_500_000,
                attributes,
                ..Span::default()
            }
        })
        .collect();
    request("query-agent", spans)
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
