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
//! - `spool/append_read_ack` (fsync on and off): what the spool adds per
//!   request when it is on: encode, append (and sync), hand to the reader,
//!   acknowledge; wall time on this thread, the spool's own thread included.
//!
//! Run: `cargo bench -p reshimu-collector --bench pipeline`.

// A bench that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use reshimu_collector::demo::load::{declarations, workload};
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

fn stage() -> ProcessingStage {
    let mut stage = ProcessingStage::new(
        LineageLimits::default(),
        ScoringStage::new(Arc::new(DefaultScorer::default())),
        None,
        Telemetry::new(),
        0,
    );
    let decl = declarations(SESSIONS);
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
    let body = workload(SPANS, SESSIONS, 0).encode_to_vec();
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

    // Agents that follow no recipe declare the intent on the session's root
    // span, which ends (and is exported) last: every request waits for it.
    let held_requests = 100;
    let bodies: Vec<Vec<u8>> = (0..held_requests)
        .map(|n| workload(SPANS, SESSIONS, n * SPANS as u64).encode_to_vec())
        .collect();
    let mut group = c.benchmark_group(format!(
        "lineage/{held_requests}_requests_held_until_declared"
    ));
    group.throughput(Throughput::Elements(held_requests * SPANS as u64));
    group.sample_size(20);
    group.bench_function("decode_lineage_score", |b| {
        b.iter(|| {
            let mut st = ProcessingStage::new(
                LineageLimits::default(),
                ScoringStage::new(Arc::new(DefaultScorer::default())),
                None,
                Telemetry::new(),
                0,
            );
            let mut released = Vec::new();
            for (seq, body) in bodies.iter().enumerate() {
                let request = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
                released.extend(st.ingest(seq as u64, Received::new(request, body.len())));
            }
            assert!(
                released.is_empty(),
                "nothing resolves before the declarations"
            );
            let decl = declarations(SESSIONS);
            let len = decl.encoded_len();
            released.extend(st.ingest(held_requests, Received::new(decl, len)));
            assert_eq!(released.len() as u64, held_requests + 1);
            st.score(released)
        })
    });
    group.finish();
}

/// The spool's cost per span: append (group commit, fsync when asked), read
/// back, acknowledge, one request of `SPANS` spans at a time.
fn spool(c: &mut Criterion) {
    use reshimu_collector::config::SpoolConfig;
    use reshimu_collector::queue::{MemoryBudget, QueueLimits};
    use reshimu_collector::spool::Spool;
    let request = workload(SPANS, SESSIONS, 0);
    let len = request.encoded_len();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group(format!("spool/{SPANS}_spans"));
    group.throughput(Throughput::Elements(SPANS as u64));
    for fsync in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let config = SpoolConfig {
            enabled: true,
            dir: dir.path().to_owned(),
            max_bytes: 1 << 30,
            fsync,
        };
        let mut spool = Spool::open(
            &config,
            QueueLimits::default(),
            Telemetry::new(),
            MemoryBudget::unlimited(),
        )
        .unwrap();
        group.bench_function(format!("append_read_ack_fsync_{fsync}"), |b| {
            b.iter_batched(
                || Received::new(request.clone(), len),
                |received| {
                    rt.block_on(async {
                        let seq = spool.writer.append(received).await.unwrap();
                        let (read, _) = spool.reader.recv().await.unwrap();
                        assert_eq!(read, seq);
                        spool.journal.acknowledge(&[seq]);
                    })
                },
                criterion::BatchSize::SmallInput,
            )
        });
        spool.control.stop_appends();
        spool.control.close();
    }
    group.finish();
}

criterion_group!(benches, bench, spool);
criterion_main!(benches);
