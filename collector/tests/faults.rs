//! Reliability under faults (issue 12), against the real engine: what
//! ClickHouse refuses must not stop the writes behind it, nothing
//! acknowledged vanishes without a count, and `/readyz` tells the truth.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(unused_imports)]
mod support;

use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use reshimu_clickhouse_launcher::LocalClickHouse;
use reshimu_collector::service::Collector;
use support::{config, count, now_ns, post, start, wait_for};

const DAY: u64 = 86_400 * 1_000_000_000;

fn ch() -> &'static LocalClickHouse {
    LocalClickHouse::shared().unwrap()
}

/// One request of `n` spans of a trace, span `i` starting at `start(i)` and
/// named `name(i)`.
fn spans(
    trace: u8,
    n: usize,
    start: impl Fn(usize) -> u64,
    name: impl Fn(usize) -> String,
) -> ExportTraceServiceRequest {
    let spans = (0..n)
        .map(|i| Span {
            trace_id: vec![trace; 16],
            span_id: {
                let mut id = (i as u64 + 1).to_be_bytes().to_vec();
                id[0] = trace;
                id
            },
            name: name(i),
            start_time_unix_nano: start(i),
            end_time_unix_nano: start(i).saturating_add(1_000),
            ..Span::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

async fn metrics(collector: &Collector) -> String {
    reqwest::get(format!(
        "http://{}/metrics",
        collector.telemetry_addr().unwrap()
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap()
}

/// The value of one sample line, 0 when absent.
fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

async fn readyz(collector: &Collector) -> (u16, serde_json::Value) {
    let response = reqwest::get(format!(
        "http://{}/readyz",
        collector.telemetry_addr().unwrap()
    ))
    .await
    .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Finding 2: spans spread over 150 days used to make ClickHouse refuse the
/// insert (more than 100 partitions) forever, holding both insert slots, so
/// nothing after them was written. Now batches are cut by day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_over_many_days_do_not_stop_writes() {
    let db = ch().fresh_database("faults_days").unwrap();
    let mut c = config(ch(), &db);
    c.clickhouse.max_in_flight = 2;
    let collector = start(c, ch()).await;
    let now = now_ns();
    for trace in [1, 2] {
        post(
            &collector,
            &spans(trace, 150, |i| now - i as u64 * DAY, |i| format!("day{i}")),
        )
        .await;
    }
    post(&collector, &spans(3, 20, |_| now, |i| format!("after{i}"))).await;
    let sql = format!("SELECT count() FROM `{db}`.spans");
    wait_for(Duration::from_secs(60), || async {
        count(ch(), &sql).await == 320
    })
    .await;
    let text = metrics(&collector).await;
    assert_eq!(
        metric(&text, "reshimu_written_spans_total{sink=\"clickhouse\"}"),
        320
    );
    assert_eq!(readyz(&collector).await.0, 200);
    collector.shutdown().await;
}

/// Finding 2: rows ClickHouse refuses for good (here a CHECK constraint) are
/// isolated, kept in the dead-letter file with a count, and the rest of their
/// batch is written; `replay` sends them again once the cause is fixed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_rows_go_to_the_dead_letter_file_and_replay() {
    let db = ch().fresh_database("faults_poison").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dead_letter = dir.path().join("dead.jsonl");
    let mut c = config(ch(), &db);
    c.clickhouse.dead_letter_path = dead_letter.clone();
    let collector = start(c, ch()).await;
    ch().execute(&format!(
        "ALTER TABLE `{db}`.spans ADD CONSTRAINT no_poison CHECK SpanName != 'poison'"
    ))
    .unwrap();
    let now = now_ns();
    let name = |i: usize| {
        if i == 3 || i == 11 {
            "poison".to_owned()
        } else {
            format!("good{i}")
        }
    };
    post(&collector, &spans(7, 16, |_| now, name)).await;
    post(&collector, &spans(8, 4, |_| now, |i| format!("later{i}"))).await;

    let sql = format!("SELECT count() FROM `{db}`.spans");
    wait_for(Duration::from_secs(60), || async {
        count(ch(), &sql).await == 18
    })
    .await;
    wait_for(Duration::from_secs(10), || async {
        metric(
            &metrics(&collector).await,
            "reshimu_dead_lettered_spans_total",
        ) == 2
    })
    .await;
    let text = metrics(&collector).await;
    assert_eq!(
        metric(&text, "reshimu_written_spans_total{sink=\"clickhouse\"}"),
        18
    );
    let kept = std::fs::read_to_string(&dead_letter).unwrap();
    assert_eq!(kept.lines().count(), 2, "{kept}");
    assert!(kept.lines().all(|l| l.contains("\"poison\"")), "{kept}");
    assert_eq!(readyz(&collector).await.0, 200, "ClickHouse is up");

    // Fixed: the constraint goes, the dead letters are replayed.
    ch().execute(&format!(
        "ALTER TABLE `{db}`.spans DROP CONSTRAINT no_poison"
    ))
    .unwrap();
    let endpoint = format!("http://{}", collector.http_addr().unwrap());
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_reshimu-collector"))
        .args(["replay", "--endpoint", &endpoint])
        .arg(&dead_letter)
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("replayed 2 requests (2 spans)"),
        "{output:?}"
    );
    let poison = format!("SELECT count() FROM `{db}`.spans WHERE SpanName = 'poison'");
    wait_for(Duration::from_secs(30), || async {
        count(ch(), &poison).await == 2
    })
    .await;
    collector.shutdown().await;
}

/// Finding 2: readiness is false while nothing can be written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_while_clickhouse_is_down() {
    let mut c = config(ch(), "unreachable");
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    c.clickhouse.url = format!("http://127.0.0.1:{port}");
    let collector = Collector::start(c).await.unwrap();
    wait_for(Duration::from_secs(10), || async {
        readyz(&collector).await.0 == 503
    })
    .await;
    let (_, json) = readyz(&collector).await;
    assert_eq!(json["ready"], false);
    assert_eq!(json["clickhouse"], "down");
    assert_eq!(json["receivers"], "bound");
    collector.shutdown().await;
}

/// Finding 3: start times ClickHouse cannot keep are refused alone with a
/// message (partial success) instead of being acknowledged and dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_range_times_are_rejected_with_a_message() {
    use prost::Message;
    let db = ch().fresh_database("faults_times").unwrap();
    let collector = start(config(ch(), &db), ch()).await;
    let now = now_ns();
    let starts = [
        0,
        now,
        4_323_283_200_000_000_000,
        i64::MAX as u64,
        u64::MAX,
        now,
    ];
    let request = spans(9, starts.len(), |i| starts[i], |i| format!("t{i}"));
    for (content_type, body) in [
        ("application/x-protobuf", request.encode_to_vec()),
        ("application/json", serde_json::to_vec(&request).unwrap()),
    ] {
        let response = reqwest::Client::new()
            .post(format!(
                "http://{}/v1/traces",
                collector.http_addr().unwrap()
            ))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().await.unwrap();
        let message = if content_type == "application/json" {
            let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(json["partialSuccess"]["rejectedSpans"], "4");
            json["partialSuccess"]["errorMessage"]
                .as_str()
                .unwrap()
                .to_owned()
        } else {
            let answer = opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse::decode(bytes).unwrap();
            let partial = answer.partial_success.unwrap();
            assert_eq!(partial.rejected_spans, 4);
            partial.error_message
        };
        assert!(message.contains("start_time_unix_nano is 0"), "{message}");
    }
    // The two good spans, sent twice: the second copy has the same ids (4 rows).
    let sql = format!("SELECT count() FROM `{db}`.spans");
    wait_for(Duration::from_secs(30), || async {
        count(ch(), &sql).await == 4
    })
    .await;
    let text = metrics(&collector).await;
    assert_eq!(
        metric(
            &text,
            "reshimu_refused_spans_total{protocol=\"http\",reason=\"invalid_span\"}"
        ),
        8
    );
    collector.shutdown().await;
}

/// Finding 3: spans older than the TTL are counted as expired with a
/// warning, not counted as written (the table would drop them at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_older_than_the_ttl_are_counted_as_expired() {
    let db = ch().fresh_database("faults_ttl").unwrap();
    let mut c = config(ch(), &db);
    c.clickhouse.ttl_days = 30;
    let collector = start(c, ch()).await;
    let now = now_ns();
    // Like replaying last year's tests/drift/ corpus: 5 spans 400 days old, 3 fresh.
    post(
        &collector,
        &spans(
            10,
            8,
            |i| if i < 5 { now - 400 * DAY } else { now },
            |i| format!("s{i}"),
        ),
    )
    .await;
    wait_for(Duration::from_secs(30), || async {
        metric(
            &metrics(&collector).await,
            "reshimu_written_spans_total{sink=\"clickhouse\"}",
        ) == 3
    })
    .await;
    let text = metrics(&collector).await;
    assert_eq!(metric(&text, "reshimu_spans_expired_total"), 5);
    let sql = format!("SELECT count() FROM `{db}`.spans");
    assert_eq!(count(ch(), &sql).await, 3);
    collector.shutdown().await;
}

/// Finding 7: a gRPC body that does not decode is the client's error,
/// `INVALID_ARGUMENT`, not `INTERNAL`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_grpc_is_invalid_argument() {
    /// `ExportTraceServiceRequest` with its first field as raw bytes, to send
    /// what a real message cannot hold.
    #[derive(Clone, PartialEq, prost::Message)]
    struct Raw {
        #[prost(bytes = "vec", tag = "1")]
        resource_spans: Vec<u8>,
    }
    let mut c = config(ch(), "grpc_codes");
    c.clickhouse.enabled = false;
    let collector = Collector::start(c).await.unwrap();
    let channel = tonic::transport::Channel::from_shared(format!(
        "http://{}",
        collector.grpc_addr().unwrap()
    ))
    .unwrap()
    .connect()
    .await
    .unwrap();
    // A truncated varint; a span name (ScopeSpans 2 -> Span 5) that is not UTF-8.
    let invalid_utf8 = {
        use prost::Message;
        #[derive(Clone, PartialEq, prost::Message)]
        struct Span {
            #[prost(bytes = "vec", tag = "5")]
            name: Vec<u8>,
        }
        #[derive(Clone, PartialEq, prost::Message)]
        struct Scope {
            #[prost(message, repeated, tag = "2")]
            spans: Vec<Span>,
        }
        #[derive(Clone, PartialEq, prost::Message)]
        struct Resource {
            #[prost(message, repeated, tag = "2")]
            scope_spans: Vec<Scope>,
        }
        Resource {
            scope_spans: vec![Scope {
                spans: vec![Span {
                    name: vec![0xff, 0xfe],
                }],
            }],
        }
        .encode_to_vec()
    };
    for body in [vec![0x0a, 0xff, 0xff, 0xff], invalid_utf8] {
        let mut grpc = tonic::client::Grpc::new(channel.clone());
        grpc.ready().await.unwrap();
        let status = grpc
            .unary::<Raw, opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse, _>(
                tonic::Request::new(Raw {
                    resource_spans: body,
                }),
                "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
                    .parse()
                    .unwrap(),
                tonic_prost::ProstCodec::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    }
    let text = metrics(&collector).await;
    assert_eq!(
        metric(
            &text,
            "reshimu_refused_requests_total{protocol=\"grpc\",reason=\"malformed\"}"
        ),
        2
    );
    collector.shutdown().await;
}

/// Finding 7: in OTLP/JSON a `traceId` that is not hex (3 characters) rejects
/// its span alone, like a 10-character one, not the whole request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_json_ids_reject_their_span_alone() {
    let db = ch().fresh_database("faults_json_ids").unwrap();
    let collector = start(config(ch(), &db), ch()).await;
    let now = now_ns();
    let body = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[
        {{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"good","startTimeUnixNano":"{now}","endTimeUnixNano":"{now}"}},
        {{"traceId":"abc","spanId":"eee19b7ec3c1b175","name":"odd","startTimeUnixNano":"{now}","endTimeUnixNano":"{now}"}},
        {{"traceId":"5b8efff798","spanId":"eee19b7ec3c1b176","name":"short","startTimeUnixNano":"{now}","endTimeUnixNano":"{now}"}}
        ]}}]}}]}}"#
    );
    let response = reqwest::Client::new()
        .post(format!(
            "http://{}/v1/traces",
            collector.http_addr().unwrap()
        ))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["partialSuccess"]["rejectedSpans"], "2", "{json}");
    let sql = format!("SELECT count() FROM `{db}`.spans WHERE SpanName = 'good'");
    wait_for(Duration::from_secs(30), || async {
        count(ch(), &sql).await == 1
    })
    .await;
    collector.shutdown().await;
}

/// Finding 5: `migrate` then `run`, both with their defaults, agree: the
/// collector applies nothing new, is ready and writes; a TTL changed later in
/// the collector's configuration is applied to the tables, not reported as
/// an edited migration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_and_run_agree_and_the_ttl_is_a_setting() {
    let db = ch().fresh_database("faults_migrate").unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_reshimu-collector"))
        .args(["migrate", "--clickhouse-url", ch().url(), "--database", &db])
        .args(["--user", ch().user()])
        .env("CLICKHOUSE_PASSWORD", ch().password())
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");

    for ttl_days in [
        reshimu_collector::config::ClickHouseConfig::default().ttl_days,
        9,
    ] {
        let mut c = config(ch(), &db);
        c.clickhouse.ttl_days = ttl_days;
        let collector = start(c, ch()).await;
        let now = now_ns();
        post(&collector, &spans(11, 3, |_| now, |i| format!("m{i}"))).await;
        wait_for(Duration::from_secs(30), || async {
            metric(
                &metrics(&collector).await,
                "reshimu_written_spans_total{sink=\"clickhouse\"}",
            ) == 3
        })
        .await;
        let (status, json) = readyz(&collector).await;
        assert_eq!((status, &json["clickhouse"]), (200, &"up".into()), "{json}");
        let engine = ch()
            .execute(&format!(
                "SELECT engine_full FROM system.tables WHERE database = '{db}' AND name = 'spans'"
            ))
            .unwrap();
        assert!(
            engine.contains(&format!("toIntervalDay({ttl_days})")),
            "{engine}"
        );
        collector.shutdown().await;
    }
}

fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Finding 4: with ClickHouse down and rows pending, shutdown ends at
/// `shutdown_timeout` and says what was lost (spool off), or what stays in
/// the spool (spool on, which used to panic: "JoinHandle polled after
/// completion").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_clickhouse_down_ends_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    for spool in [false, true] {
        let mut c = config(ch(), "shutdown_down");
        c.clickhouse.url = format!("http://127.0.0.1:{}", closed_port());
        c.shutdown_timeout = Duration::from_secs(1);
        c.spool.enabled = spool;
        c.spool.dir = dir.path().join("spool");
        c.spool.fsync = false;
        let collector = Collector::start(c).await.unwrap();
        let now = now_ns();
        post(&collector, &spans(12, 5, |_| now, |i| format!("p{i}"))).await;
        let started = std::time::Instant::now();
        let report = tokio::time::timeout(Duration::from_secs(15), collector.shutdown())
            .await
            .expect("shutdown must end at its deadline");
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{:?}",
            started.elapsed()
        );
        assert!(!report.drained, "{report:?}");
        assert_eq!((report.accepted, report.written), (5, 0), "{report:?}");
        if spool {
            assert_eq!((report.left_in_spool, report.lost), (1, 0), "{report:?}");
        } else {
            assert_eq!((report.left_in_spool, report.lost), (0, 5), "{report:?}");
        }
    }
}

/// Finding 4, as an operator sees it: the binary exits 0 soon after a second
/// signal even though ClickHouse is down and the deadline is far.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_the_binary_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let http = closed_port();
    let file = dir.path().join("collector.yaml");
    std::fs::write(
        &file,
        format!(
            "shutdown_timeout: 60s\nreceivers:\n  grpc: {{enabled: false}}\n  http: {{endpoint: 127.0.0.1:{http}}}\n\
             telemetry: {{listen: ''}}\nclickhouse: {{url: 'http://127.0.0.1:{}'}}\n",
            closed_port()
        ),
    )
    .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_reshimu-collector"))
        .args(["run", "--config"])
        .arg(&file)
        .env_remove("CLICKHOUSE_URL")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{http}/v1/traces");
    let now = now_ns();
    let body = {
        use prost::Message;
        spans(13, 3, |_| now, |i| format!("s{i}")).encode_to_vec()
    };
    wait_for(Duration::from_secs(20), || async {
        reqwest::Client::new()
            .post(&url)
            .header("content-type", "application/x-protobuf")
            .body(body.clone())
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    let pid = child.id().unwrap().to_string();
    let kill = || {
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
    };
    assert!(kill().unwrap().success());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(kill().unwrap().success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the second signal stops the collector")
        .unwrap();
    assert!(status.success(), "{status:?}");
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr)
        .await
        .unwrap();
    assert!(stderr.contains("second signal, stopping now"), "{stderr}");
}

/// A ClickHouse that accepts connections and never answers (like one under
/// SIGSTOP); connections are held until the test ends.
async fn frozen_clickhouse() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{addr}")
}

/// Finding 1: with ClickHouse frozen, what the collector holds is bounded by
/// `memory_limit` in decoded bytes at every stage (queue, lineage, sink
/// channels, batches), not by request counts: once the budget is spent,
/// requests are refused before they are decoded (429, reason
/// `memory_limit`); and a request larger than the queue's byte bound is
/// refused even when the queue is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_is_bounded_by_bytes_with_clickhouse_frozen() {
    use prost::Message;
    const MIB: usize = 1024 * 1024;
    let mut c = config(ch(), "frozen");
    c.clickhouse.url = frozen_clickhouse().await;
    c.clickhouse.migrate_on_start = false;
    c.clickhouse.timeout = Duration::from_secs(120);
    c.memory_limit = 64 * MIB;
    c.receivers.max_request_bytes = 4 * MIB;
    c.queue.max_bytes = 4 * MIB;
    let collector = Collector::start(c).await.unwrap();
    let url = format!("http://{}/v1/traces", collector.http_addr().unwrap());
    let client = reqwest::Client::new();
    let now = now_ns();
    let mut accepted = 0usize;
    let mut refused = 0usize;
    let mut wire = 0;
    for trace in 0..40u8 {
        // About 3 MiB each: many spans with a long attribute.
        let mut request = spans(
            trace.wrapping_add(100),
            6000,
            |_| now,
            |i| format!("load{i}"),
        );
        for span in &mut request.resource_spans[0].scope_spans[0].spans {
            span.attributes
                .push(support::s("payload", &"x".repeat(480)));
        }
        let body = request.encode_to_vec();
        wire = body.len();
        // A refusal is answered before the body is read; a client still
        // writing it may see the connection close instead of the answer
        // (the metrics below count those refusals too).
        match post_refusable(&client, &url, body).await {
            Some(200) => accepted += 1,
            Some(429) | None => refused += 1,
            Some(other) => panic!("unexpected {other}"),
        }
    }
    assert!((3 * MIB..4 * MIB).contains(&wire), "{wire}");
    // 64 MiB leaves half, 32 MiB, for requests; each holds 4x its wire size decoded.
    let budget = 32 * MIB;
    assert!(
        accepted * wire * 4 <= budget,
        "{accepted} requests of {wire} bytes accepted: more than the memory budget holds"
    );
    assert!(
        accepted >= 1 && refused >= 30,
        "{accepted} accepted, {refused} refused"
    );
    let text = metrics(&collector).await;
    assert!(
        metric(
            &text,
            "reshimu_refused_requests_total{protocol=\"http\",reason=\"memory_limit\"}"
        ) >= 30,
        "{text}"
    );
    assert!(metric(&text, "reshimu_memory_reserved_bytes") <= budget as u64);

    // Larger than queue.max_bytes (4 MiB): refused outright, not queued alone.
    let big = spans(200, 8000, |_| now, |i| format!("big{i}"));
    let mut big = big;
    for span in &mut big.resource_spans[0].scope_spans[0].spans {
        span.attributes
            .push(support::s("payload", &"y".repeat(500)));
    }
    let body = big.encode_to_vec();
    assert!(body.len() > 4 * MIB);
    let status = post_refusable(&client, &url, body).await;
    assert!(matches!(status, Some(413) | None), "{status:?}");
    let text = metrics(&collector).await;
    assert_eq!(
        metric(
            &text,
            "reshimu_refused_requests_total{protocol=\"http\",reason=\"too_large\"}"
        ),
        1,
        "{text}"
    );
    let report = tokio::time::timeout(Duration::from_secs(30), collector.shutdown())
        .await
        .unwrap();
    assert_eq!(report.written, 0);
}

/// Finding 8: an empty objective, a self-parent and a parent cycle each get
/// their own message, in the explanation too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_intents_say_what_is_wrong() {
    use support::{declare, request, s, span};
    let db = ch().fresh_database("faults_intents").unwrap();
    let collector = start(config(ch(), &db), ch()).await;
    let t = |n: u8| [n; 16];
    post(
        &collector,
        &request(
            "agents",
            vec![
                span(
                    t(21),
                    1,
                    None,
                    "empty",
                    declare("i-empty", None, "", "", "", &[]),
                ),
                span(
                    t(21),
                    2,
                    Some(1),
                    "under-empty",
                    vec![s("reshimu.intent.id", "i-empty")],
                ),
                span(
                    t(22),
                    1,
                    None,
                    "self",
                    declare("i-self", Some("i-self"), "Audit", "", "", &[]),
                ),
                span(
                    t(23),
                    1,
                    None,
                    "a",
                    declare("i-a", Some("i-b"), "Audit A", "", "", &[]),
                ),
                span(
                    t(23),
                    2,
                    None,
                    "b",
                    declare("i-b", Some("i-a"), "Audit B", "", "", &[]),
                ),
            ],
        ),
    )
    .await;
    let sql = format!("SELECT count() FROM `{db}`.spans");
    wait_for(Duration::from_secs(30), || async {
        count(ch(), &sql).await == 5
    })
    .await;
    #[derive(Debug, Clone, clickhouse::Row, serde::Deserialize)]
    struct Row {
        #[serde(rename = "SpanName")]
        name: String,
        #[serde(rename = "Verdict")]
        verdict: String,
        #[serde(rename = "Explanation")]
        explanation: String,
        #[serde(rename = "Violations")]
        violations: Vec<String>,
    }
    let rows: Vec<Row> = ch()
        .client()
        .query(&format!(
            "SELECT SpanName, Verdict, Explanation, Violations FROM `{db}`.spans ORDER BY SpanName"
        ))
        .fetch_all()
        .await
        .unwrap();
    let row = |name: &str| {
        let r = rows.iter().find(|r| r.name == name).unwrap().clone();
        (r.name, r.verdict, r.explanation, r.violations)
    };
    let (_, verdict, explanation, violations) = row("empty");
    assert_eq!(verdict, "violation", "{explanation}");
    assert!(
        explanation.contains("declared with an invalid spec: objective is empty"),
        "{explanation}"
    );
    assert!(
        violations
            .iter()
            .any(|v| v.starts_with("spec: objective is empty")),
        "{violations:?}"
    );
    let (_, _, explanation, _) = row("under-empty");
    assert!(
        explanation.contains("i-empty was declared with an invalid spec")
            && !explanation.contains("never declared"),
        "{explanation}"
    );
    let (_, _, explanation, _) = row("self");
    assert!(
        explanation.contains("intent i-self names itself as its parent intent"),
        "{explanation}"
    );
    assert!(!explanation.contains("never arrived"), "{explanation}");
    for name in ["a", "b"] {
        let (_, _, explanation, _) = row(name);
        assert!(
            explanation.contains("parent intents form a cycle"),
            "{name}: {explanation}"
        );
        assert!(
            !explanation.contains("never arrived"),
            "{name}: {explanation}"
        );
    }
    collector.shutdown().await;
}

/// Finding 9: one collector per spool directory (the second is refused with
/// a clear error), and the spool's bytes on disk have their own gauge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spool_directory_is_locked_and_its_bytes_reported() {
    let dir = tempfile::tempdir().unwrap();
    let spooled = |dir: &std::path::Path| {
        let mut c = config(ch(), "spool_lock");
        c.clickhouse.url = format!("http://127.0.0.1:{}", closed_port());
        c.shutdown_timeout = Duration::from_millis(500);
        c.spool.enabled = true;
        c.spool.dir = dir.to_owned();
        c.spool.fsync = false;
        c
    };
    let first = Collector::start(spooled(dir.path())).await.unwrap();
    let error = match Collector::start(spooled(dir.path())).await {
        Ok(_) => panic!("a second collector opened the same spool"),
        Err(error) => error.to_string(),
    };
    assert!(
        error.contains("in use by another reshimu-collector"),
        "{error}"
    );
    let now = now_ns();
    post(&first, &spans(30, 10, |_| now, |i| format!("k{i}"))).await;
    let text = metrics(&first).await;
    assert!(metric(&text, "reshimu_spool_bytes") > 0, "{text}");
    first.shutdown().await;
    // Released with the collector: the next one opens it.
    let again = Collector::start(spooled(dir.path())).await.unwrap();
    again.shutdown().await;
}

/// Finding 6: connections are bounded per receiver, idle ones are closed,
/// and clients trickling headers (slowloris) or sending less body than they
/// announced are cut, with metrics; the telemetry endpoint stays reachable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_bounded_and_slow_clients_cut() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    let mut c = config(ch(), "connections");
    c.clickhouse.enabled = false;
    c.receivers.max_connections = 4;
    c.receivers.idle_timeout = Duration::from_millis(1500);
    c.receivers.header_timeout = Duration::from_secs(1);
    c.receivers.body_timeout = Duration::from_secs(1);
    let collector = Collector::start(c).await.unwrap();
    let http = collector.http_addr().unwrap();
    let grpc = collector.grpc_addr().unwrap();

    // Reads until the peer closes (or errors); how long that took.
    async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<(Duration, Vec<u8>)> {
        let started = std::time::Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
                Err(_) => return None,
                Ok(Ok(0) | Err(_)) => return Some((started.elapsed(), got)),
                Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            }
        }
    }

    // Ten idle connections to each receiver: four are kept, the rest closed at once.
    let mut idle = Vec::new();
    for addr in [http, grpc] {
        for _ in 0..10 {
            idle.push(TcpStream::connect(addr).await.unwrap());
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = metrics(&collector).await;
    for protocol in ["http", "grpc"] {
        assert_eq!(
            metric(
                &text,
                &format!("reshimu_refused_connections_total{{protocol=\"{protocol}\"}}")
            ),
            6,
            "{text}"
        );
    }
    let healthz = reqwest::get(format!(
        "http://{}/healthz",
        collector.telemetry_addr().unwrap()
    ))
    .await
    .unwrap();
    assert_eq!(healthz.status(), 200);
    // The kept ones are closed once idle for idle_timeout.
    for stream in &mut idle {
        assert!(
            closed_within(stream, Duration::from_secs(5))
                .await
                .is_some(),
            "an idle connection stayed open"
        );
    }
    drop(idle);
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Slowloris: headers a byte at a time are cut at header_timeout.
    let mut slow = TcpStream::connect(http).await.unwrap();
    let header = b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n";
    let trickle = tokio::spawn(async move {
        for byte in header {
            if slow.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        slow
    });
    let mut slow = trickle.await.unwrap();
    assert!(
        closed_within(&mut slow, Duration::from_secs(3))
            .await
            .is_some(),
        "a slowloris client was not cut"
    );

    // A body shorter than announced: 408 after body_timeout.
    let mut short = TcpStream::connect(http).await.unwrap();
    short
        .write_all(
            b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\nabc",
        )
        .await
        .unwrap();
    let (took, answer) = closed_within(&mut short, Duration::from_secs(5))
        .await
        .expect("a short body was not cut");
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let text = metrics(&collector).await;
    assert!(
        metric(
            &text,
            "reshimu_timed_out_connections_total{protocol=\"http\",timeout=\"body\"}"
        ) >= 1,
        "{text}"
    );
    // Still serving.
    let now = now_ns();
    post(&collector, &spans(40, 2, |_| now, |i| format!("c{i}"))).await;
    collector.shutdown().await;
}

/// Posts an OTLP/HTTP protobuf body: the status, or `None` when the
/// collector closed the connection while the body was still being written
/// (it refuses oversize and over-budget bodies before reading them).
async fn post_refusable(client: &reqwest::Client, url: &str, body: Vec<u8>) -> Option<u16> {
    match client
        .post(url)
        .header("content-type", "application/x-protobuf")
        .body(body)
        .send()
        .await
    {
        Ok(response) => Some(response.status().as_u16()),
        Err(e) if e.is_request() => {
            let text = format!("{e:?}");
            assert!(
                text.contains("BodyWrite") || text.contains("BrokenPipe") || text.contains("reset"),
                "not a refusal: {text}"
            );
            None
        }
        Err(e) => panic!("{e:?}"),
    }
}
