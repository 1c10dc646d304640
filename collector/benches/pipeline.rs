//! CPU per span through the collector's stages, on one thread (DESIGN.md,
//! "Performance budget": at least 200,000 spans/s on one core through
//! receive, lineage, score and encode).
//!
//! Each iteration takes one OTLP request of 512 realistic agent spans (about
//! 540 bytes each, encoded), in steady state: the sessions' intents were
//! declared earlier, as in a long-running collector.
//!
//! - `decode`: protobuf bytes to the request (what the HTTP receiver does);
//! - `decode_lineage_score`: plus lineage resolution and scoring;
//! - `decode_lineage_score_encode_cpu`: plus `spans` rows, RowBinary with
//!   LZ4 and the HTTP insert (the official client, validation off) to a local
//!   server that discards the body, all on this one thread; reported as this
//!   thread's CPU time, since the wall time is dominated by idle loopback
//!   round trips.
//!
//! Run: `cargo bench -p reshimu-collector --bench pipeline`.

// A bench that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use reshimu_collector::lineage::LineageLimits;
use reshimu_collector::pipeline::ProcessingStage;
use reshimu_collector::queue::Received;
use reshimu_collector::score::ScoringStage;
use reshimu_collector::sink::clickhouse::encode::encode_request;
use reshimu_collector::sink::clickhouse::rows::SpanRow;
use reshimu_collector::telemetry::Telemetry;
use reshimu_intent::score::DefaultScorer;

const SPANS: usize = 512;
const SESSIONS: usize = 8;

fn s(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(value.into())),
        }),
        ..KeyValue::default()
    }
}

fn i(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Value::IntValue(value)),
        }),
        ..KeyValue::default()
    }
}

fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    s("service.name", "query-agent"),
                    s("telemetry.sdk.language", "rust"),
                ],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

fn intent_id(session: usize) -> String {
    format!("3f1e8cb8-0000-4000-8000-{session:012}")
}

/// The declarations of every session, sent once before measuring.
fn declarations() -> ExportTraceServiceRequest {
    let spans = (0..SESSIONS)
        .map(|n| {
            let guards = [
                "deny sql write",
                "deny message send",
                "define inactive = last_login > 90 days",
            ];
            let mut attributes = vec![
                s("reshimu.intent.id", &intent_id(n)),
                s("reshimu.session.id", &format!("session-{n}")),
                s(
                    "reshimu.intent.objective",
                    "Audit the inactive customer accounts and prepare a summary",
                ),
                s(
                    "reshimu.intent.scope",
                    "inactive = last_login older than 90 days; customers table only; read access",
                ),
                s(
                    "reshimu.intent.constraints",
                    "no writes; no recommendations; do not contact customers",
                ),
            ];
            attributes.push(KeyValue {
                key: "reshimu.intent.guards".into(),
                value: Some(AnyValue {
                    value: Some(Value::ArrayValue(ArrayValue {
                        values: guards
                            .iter()
                            .map(|g| AnyValue {
                                value: Some(Value::StringValue((*g).into())),
                            })
                            .collect(),
                    })),
                }),
                ..KeyValue::default()
            });
            Span {
                trace_id: vec![n as u8 + 1; 16],
                span_id: vec![n as u8 + 1; 8],
                name: "invoke_agent coordinator".into(),
                attributes,
                ..Span::default()
            }
        })
        .collect();
    request(spans)
}

/// 512 spans of the kinds agents emit: tool calls with SQL, model calls with
/// output, HTTP reads and plain agent steps, spread over the sessions.
fn workload() -> ExportTraceServiceRequest {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let spans = (0..SPANS)
        .map(|k| {
            let session = k % SESSIONS;
            let mut attributes = vec![
                s("reshimu.intent.id", &intent_id(session)),
                s("reshimu.intent.root_id", &intent_id(session)),
                s("reshimu.session.id", &format!("session-{session}")),
                i("reshimu.delegation.depth", 1),
                s("gen_ai.agent.name", "query_agent"),
            ];
            let name = match k % 4 {
                0 => {
                    attributes.extend([
                        s("gen_ai.operation.name", "execute_tool"),
                        s("gen_ai.tool.name", "run_sql"),
                        s("gen_ai.tool.call.arguments", "{\"query\":\"SELECT id, last_login FROM customers WHERE last_login < now() - INTERVAL 90 DAY\"}"),
                        s("db.query.text", "SELECT id, last_login FROM customers WHERE last_login < now() - INTERVAL 90 DAY"),
                    ]);
                    "execute_tool run_sql"
                }
                1 => {
                    attributes.extend([
                        s("gen_ai.operation.name", "chat"),
                        s("gen_ai.request.model", "gpt-x"),
                        s("gen_ai.output.messages", "Audit summary: 42 customer accounts have been inactive for more than 90 days; most are on the basic plan."),
                    ]);
                    "chat gpt-x"
                }
                2 => {
                    attributes.extend([
                        s("http.request.method", "GET"),
                        s("url.full", "https://crm.internal.example/api/customers?inactive_days=90&page=3"),
                        i("http.response.status_code", 200),
                    ]);
                    "GET /api/customers"
                }
                _ => {
                    attributes.extend([s("gen_ai.operation.name", "invoke_agent"), s("step", "collect-results")]);
                    "agent step"
                }
            };
            Span {
                trace_id: vec![session as u8 + 1; 16],
                span_id: (k as u64 + 1000).to_be_bytes().to_vec(),
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
    request(spans)
}

fn stage() -> ProcessingStage {
    let mut stage = ProcessingStage::new(
        LineageLimits::default(),
        ScoringStage::new(Arc::new(DefaultScorer::default())),
        None,
        Telemetry::new(),
        0,
    );
    let decl = declarations();
    let len = decl.encoded_len();
    let released = stage.ingest(0, Received::new(decl, len));
    assert_eq!(
        stage.score(released).len(),
        1,
        "declarations resolve at once"
    );
    stage
}

/// An HTTP server that reads and drops every request body, standing in for
/// ClickHouse so the client's RowBinary + LZ4 + HTTP cost is measured alone.
async fn discard_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|body: axum::body::Bytes| async move {
        std::hint::black_box(body.len());
        ""
    });
    // As ClickHouse does, answer without Nagle's delay.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn bench(c: &mut Criterion) {
    let body = workload().encode_to_vec();
    let per_span = body.len() / SPANS;
    let mut group = c.benchmark_group(format!("pipeline/{SPANS}_spans_of_{per_span}_bytes"));
    group.throughput(Throughput::Elements(SPANS as u64));

    group.bench_function("decode", |b| {
        b.iter(|| ExportTraceServiceRequest::decode(body.as_slice()).unwrap())
    });

    let mut st = stage();
    let mut seq = 1;
    group.bench_function("decode_lineage_score", |b| {
        b.iter(|| {
            let request = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
            seq += 1;
            let released = st.ingest(seq, Received::new(request, body.len()));
            let scored = st.score(released);
            assert_eq!(scored.len(), 1);
            scored
        })
    });

    // Everything below runs on this thread (a current-thread runtime drives
    // the client and the discard server), so this thread's CPU time is the
    // pipeline's. Wall time would mostly measure the loopback round trip
    // waiting on the server's delayed ACK (about 40 ms per insert here), which
    // costs no CPU.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = rt.block_on(discard_server());
    let client = clickhouse::Client::default()
        .with_url(url)
        .with_validation(false);
    let mut st = stage();
    let mut seq = 1;
    group.bench_function("decode_lineage_score_encode_cpu", |b| {
        b.iter_custom(|iterations| {
            let start = cpu_time::ThreadTime::now();
            for _ in 0..iterations {
                let request = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
                seq += 1;
                let released = st.ingest(seq, Received::new(request, body.len()));
                let scored = st.score(released);
                let mut rows = Vec::with_capacity(SPANS);
                let mut intents = Vec::new();
                encode_request(&scored[0], 0, &mut rows, &mut intents);
                rt.block_on(async {
                    let mut insert = client.insert::<SpanRow>("spans").await.unwrap();
                    for row in &rows {
                        insert.write(row).await.unwrap();
                    }
                    insert.end().await.unwrap();
                });
            }
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
