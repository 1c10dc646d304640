//! Durability with the spool on, against the real engine and real OTLP
//! clients: a ClickHouse outage in the middle of a stream, a `kill -9` of the
//! collector binary in the middle of a stream, and a full spool. In each,
//! every span the collector acknowledged must end up in ClickHouse exactly
//! once.

// Helpers outside `#[test]` functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use reshimu_clickhouse_launcher::{LaunchOptions, LocalClickHouse};
use reshimu_collector::config::{Config, Secret};
use reshimu_collector::service::Collector;

/// Spans per OTLP request.
const SPANS_PER_REQUEST: u64 = 20;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A chDB-backed server on a fixed port and data folder, so it can be
/// stopped and started again with its data.
struct Server {
    options: LaunchOptions,
    running: Option<LocalClickHouse>,
}

impl Server {
    async fn start(data_dir: &Path, port: u16) -> Server {
        let mut server = Server {
            options: LaunchOptions {
                data_dir: Some(data_dir.to_owned()),
                port,
                password: String::new(),
            },
            running: None,
        };
        server.restart().await;
        server
    }

    async fn restart(&mut self) {
        let options = self.options.clone();
        let ch = tokio::task::spawn_blocking(move || LocalClickHouse::start_chdb(&options))
            .await
            .unwrap()
            .unwrap();
        self.running = Some(ch);
    }

    async fn stop(&mut self) {
        if let Some(mut ch) = self.running.take() {
            tokio::task::spawn_blocking(move || ch.stop())
                .await
                .unwrap();
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.options.port)
    }

    fn ch(&self) -> &LocalClickHouse {
        self.running.as_ref().expect("ClickHouse is stopped")
    }

    /// `(count(), uniqExact(SpanId))` of the spans table, if it answers.
    async fn span_counts(&self, db: &str) -> Option<(u64, u64)> {
        self.ch()
            .client()
            .with_database(db)
            .query("SELECT count(), uniqExact(SpanId) FROM spans")
            .fetch_one::<(u64, u64)>()
            .await
            .ok()
    }

    async fn span_ids(&self, db: &str) -> Vec<String> {
        self.ch()
            .client()
            .with_database(db)
            .query("SELECT SpanId FROM spans")
            .fetch_all::<String>()
            .await
            .unwrap()
    }

    /// Waits until every migration is recorded: the collector holds its
    /// inserts until then, so a test that stops ClickHouse earlier would
    /// see no insert to retry.
    async fn wait_for_schema(&self, db: &str) {
        let all = reshimu_collector::schema::MigrationSet::embedded()
            .migrations()
            .len() as u64;
        wait_for("the schema is applied", Duration::from_secs(60), || async {
            self.ch()
                .client()
                .with_database(db)
                .query("SELECT count() FROM schema_migrations")
                .fetch_one::<u64>()
                .await
                .is_ok_and(|n| n >= all)
                && self.span_counts(db).await.is_some()
        })
        .await;
    }
}

async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Makes OTLP requests whose span ids are unique across the test.
struct Requests {
    next_span: u64,
    run: u64,
}

impl Requests {
    fn new() -> Self {
        let run = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Requests { next_span: 1, run }
    }

    /// A request and the hex ids of its spans (as ClickHouse stores them).
    fn next(&mut self) -> (ExportTraceServiceRequest, Vec<String>) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let mut trace_id = self.run.to_be_bytes().to_vec();
        trace_id.extend_from_slice(&self.next_span.to_be_bytes());
        let mut spans = Vec::new();
        let mut ids = Vec::new();
        for _ in 0..SPANS_PER_REQUEST {
            let span_id = self.next_span.to_be_bytes().to_vec();
            self.next_span += 1;
            ids.push(hex(&span_id));
            spans.push(Span {
                trace_id: trace_id.clone(),
                span_id,
                name: "tool.call".into(),
                start_time_unix_nano: now,
                end_time_unix_nano: now + 1_000,
                ..Span::default()
            });
        }
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        };
        (request, ids)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Posts one OTLP/HTTP protobuf request; the status, or `None` when the
/// collector could not be reached.
async fn post(
    client: &reqwest::Client,
    url: &str,
    request: &ExportTraceServiceRequest,
) -> Option<reqwest::Response> {
    client
        .post(url)
        .header("content-type", "application/x-protobuf")
        .body(request.encode_to_vec())
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()
}

fn spooled_config(url: &str, db: &str, spool: &Path) -> Config {
    let mut c = Config::default();
    c.receivers.grpc.endpoint = "127.0.0.1:0".into();
    c.receivers.http.endpoint = "127.0.0.1:0".into();
    c.telemetry.listen = "127.0.0.1:0".into();
    c.clickhouse.url = url.to_owned();
    c.clickhouse.user = "default".into();
    c.clickhouse.password = Secret::default();
    c.clickhouse.database = db.to_owned();
    c.clickhouse.ttl_days = 0;
    c.clickhouse.timeout = Duration::from_secs(5);
    c.clickhouse.batch.max_delay = Duration::from_millis(100);
    c.clickhouse.retry.initial_backoff = Duration::from_millis(100);
    c.clickhouse.retry.max_backoff = Duration::from_millis(500);
    c.lineage.wait = Duration::from_millis(100);
    c.spool.enabled = true;
    c.spool.dir = spool.to_owned();
    c.spool.fsync = true;
    c
}

async fn metric(client: &reqwest::Client, collector: &Collector, line_prefix: &str) -> u64 {
    let text = client
        .get(format!(
            "http://{}/metrics",
            collector.telemetry_addr().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(line_prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or_else(
            || panic!("no metric {line_prefix} in:\n{text}"),
            |v| v as u64,
        )
}

/// Every acknowledged span is in ClickHouse, and no span is there twice.
async fn assert_exactly_once(server: &Server, db: &str, acknowledged: &HashSet<String>) {
    let want = acknowledged.len() as u64;
    wait_for(
        "every acknowledged span is written",
        Duration::from_secs(90),
        || async {
            server
                .span_counts(db)
                .await
                .is_some_and(|(_, uniq)| uniq >= want)
        },
    )
    .await;
    // Give a late duplicate (a replay) the time to show up before judging.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (count, uniq) = server.span_counts(db).await.unwrap();
    assert_eq!(
        count,
        uniq,
        "{} spans are in ClickHouse more than once",
        count - uniq
    );
    let present: HashSet<String> = server.span_ids(db).await.into_iter().collect();
    let missing: Vec<&String> = acknowledged.difference(&present).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged spans are missing, e.g. {:?}",
        missing.len(),
        missing.first()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clickhouse_outage_mid_stream_loses_and_duplicates_nothing() {
    let data = tempfile::tempdir().unwrap();
    let spool = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path(), free_port()).await;
    let db = server.ch().fresh_database("durability_outage").unwrap();
    let collector = Collector::start(spooled_config(&server.url(), &db, spool.path()))
        .await
        .unwrap();
    server.wait_for_schema(&db).await;
    let http = format!("http://{}/v1/traces", collector.http_addr().unwrap());
    let client = reqwest::Client::new();
    let mut requests = Requests::new();
    let mut acknowledged = HashSet::new();
    let send = async |requests: &mut Requests, acknowledged: &mut HashSet<String>, n: usize| {
        for _ in 0..n {
            let (request, ids) = requests.next();
            let response = post(&client, &http, &request)
                .await
                .expect("the collector is unreachable");
            assert_eq!(
                response.status(),
                200,
                "refused: {:?}",
                response.text().await
            );
            acknowledged.extend(ids);
        }
    };

    send(&mut requests, &mut acknowledged, 20).await;
    // The collector's schema step ends after the last migration is recorded
    // (it reconciles TTLs too), and inserts wait for it: stopping ClickHouse
    // before the first rows are in could stop it mid-migration, and then no
    // insert is even tried. The outage must come while rows are flowing.
    wait_for(
        "the first requests are written",
        Duration::from_secs(30),
        || async {
            metric(
                &client,
                &collector,
                "reshimu_written_spans_total{sink=\"clickhouse\"}",
            )
            .await
                >= 20 * SPANS_PER_REQUEST
        },
    )
    .await;
    server.stop().await;
    // ClickHouse is down: the collector keeps accepting, onto disk.
    send(&mut requests, &mut acknowledged, 20).await;
    wait_for(
        "inserts are being retried",
        Duration::from_secs(30),
        || async {
            metric(
                &client,
                &collector,
                "reshimu_retried_batches_total{sink=\"clickhouse\"}",
            )
            .await
                >= 2
        },
    )
    .await;
    send(&mut requests, &mut acknowledged, 10).await;
    server.restart().await;
    send(&mut requests, &mut acknowledged, 20).await;

    assert_exactly_once(&server, &db, &acknowledged).await;
    assert_eq!(acknowledged.len() as u64, 70 * SPANS_PER_REQUEST);
    assert!(metric(&client, &collector, "reshimu_spooled_requests_total").await >= 70);
    collector.shutdown().await;
    // Everything written: the spool keeps no segment behind.
    let leftover: Vec<_> = std::fs::read_dir(spool.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("seg-"))
        .collect();
    assert!(leftover.is_empty(), "segments left: {leftover:?}");
}

/// A TCP proxy in front of ClickHouse that, once armed, holds back the
/// answer to the next insert: the rows are committed but the collector does
/// not know yet. Killing the collector then is the worst moment for
/// duplicates: the replay must send that very batch again, with its token.
struct InsertHold {
    addr: std::net::SocketAddr,
    armed: Arc<AtomicBool>,
    held: Arc<tokio::sync::Notify>,
}

impl InsertHold {
    async fn start(upstream: u16) -> InsertHold {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let armed = Arc::new(AtomicBool::new(false));
        let held = Arc::new(tokio::sync::Notify::new());
        let (a, h) = (Arc::clone(&armed), Arc::clone(&held));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(Self::connection(
                    client,
                    upstream,
                    Arc::clone(&a),
                    Arc::clone(&h),
                ));
            }
        });
        InsertHold { addr, armed, held }
    }

    async fn connection(
        client: tokio::net::TcpStream,
        upstream: u16,
        armed: Arc<AtomicBool>,
        held: Arc<tokio::sync::Notify>,
    ) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await else {
            return;
        };
        let (mut client_rd, mut client_wr) = client.into_split();
        let (mut server_rd, mut server_wr) = server.into_split();
        let inserting = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&inserting);
        let up = async move {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n @ 1..) = client_rd.read(&mut buf).await {
                if buf[..n].windows(6).any(|w| w == b"INSERT") {
                    seen.store(true, Ordering::SeqCst);
                }
                if server_wr.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        };
        let down = async move {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n @ 1..) = server_rd.read(&mut buf).await {
                if inserting.swap(false, Ordering::SeqCst) && armed.swap(false, Ordering::SeqCst) {
                    held.notify_one();
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
                if client_wr.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        };
        tokio::join!(up, down);
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// The collector binary, killed with SIGKILL by the test.
struct Binary {
    child: Child,
}

impl Binary {
    /// Starts `reshimu-collector run` and waits for its "listening" line.
    fn start(config: &Path) -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_reshimu-collector"))
            .args(["run", "--config"])
            .arg(config)
            .env("RUST_LOG", "warn")
            // The config file names this test's ClickHouse; the environment
            // (tests/run.sh exports the shared one) would override it.
            .env_remove("CLICKHOUSE_URL")
            .env_remove("CLICKHOUSE_USER")
            .env_remove("CLICKHOUSE_PASSWORD")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("listening") {
                    let _ = tx.send(());
                }
                eprintln!("[collector] {line}");
            }
        });
        rx.recv_timeout(Duration::from_secs(60))
            .expect("the collector did not start listening");
        Binary { child }
    }

    fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_stream_then_restart_writes_every_acknowledged_span_once() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), free_port()).await;
    let db = server.ch().fresh_database("durability_kill").unwrap();
    let hold = InsertHold::start(server.options.port).await;
    let http_port = free_port();
    let config_path = work.path().join("collector.yaml");
    std::fs::write(
        &config_path,
        format!(
            "receivers:\n  grpc:\n    enabled: false\n  http:\n    endpoint: 127.0.0.1:{http_port}\n\
             lineage:\n  wait: 100ms\n\
             clickhouse:\n  url: {url}\n  database: {db}\n  ttl_days: 0\n  timeout: 60s\n  \
             batch:\n    max_delay: 50ms\n    max_rows: 400\n  retry:\n    initial_backoff: 100ms\n    max_backoff: 500ms\n\
             spool:\n  enabled: true\n  dir: {spool}\n  fsync: true\n\
             telemetry:\n  listen: 127.0.0.1:{metrics_port}\n",
            url = hold.url(),
            spool = work.path().join("spool").display(),
            metrics_port = free_port(),
        ),
    )
    .unwrap();
    let url = format!("http://127.0.0.1:{http_port}/v1/traces");
    let client = reqwest::Client::new();
    let mut requests = Requests::new();
    let mut acknowledged = HashSet::new();

    let collector = Binary::start(&config_path);
    server.wait_for_schema(&db).await;
    for _ in 0..10 {
        let (request, ids) = requests.next();
        assert_eq!(post(&client, &url, &request).await.unwrap().status(), 200);
        acknowledged.extend(ids);
    }
    wait_for(
        "the first requests are written",
        Duration::from_secs(60),
        || async {
            server
                .span_counts(&db)
                .await
                .is_some_and(|(count, _)| count >= 10 * SPANS_PER_REQUEST)
        },
    )
    .await;

    // A stream from several concurrent clients, killed in the middle of an
    // insert that ClickHouse has committed but not yet answered.
    hold.armed.store(true, Ordering::SeqCst);
    let mut stream = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let batch: Vec<_> = (0..100).map(|_| requests.next()).collect();
        let client = client.clone();
        let url = url.clone();
        stream.spawn(async move {
            let mut acked = Vec::new();
            for (request, ids) in batch {
                match post(&client, &url, &request).await {
                    Some(r) if r.status() == 200 => acked.extend(ids),
                    Some(r) => panic!("refused before the kill: {}", r.status()),
                    None => break,
                }
            }
            acked
        });
    }
    tokio::time::timeout(Duration::from_secs(60), hold.held.notified())
        .await
        .expect("no insert was made while the stream ran");
    let (landed, _) = server.span_counts(&db).await.unwrap();
    collector.kill_9();
    while let Some(acked) = stream.join_next().await {
        acknowledged.extend(acked.unwrap());
    }
    assert!(
        (landed as usize) < acknowledged.len(),
        "nothing was left to replay ({landed} written, {} acknowledged)",
        acknowledged.len()
    );

    // Batches close differently after the restart, as after an operator
    // changed the batch size: the batch cut short must still be sent again
    // exactly as it was, or its token differs and its rows land twice.
    let yaml = std::fs::read_to_string(&config_path).unwrap();
    std::fs::write(
        &config_path,
        yaml.replace("max_rows: 400", "max_rows: 1000"),
    )
    .unwrap();
    let collector = Binary::start(&config_path);
    // The restarted collector takes new data too, numbered after the replay.
    for _ in 0..10 {
        let (request, ids) = requests.next();
        let response = post(&client, &url, &request).await.unwrap();
        assert_eq!(response.status(), 200);
        acknowledged.extend(ids);
    }
    assert_exactly_once(&server, &db, &acknowledged).await;
    drop(collector);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_spool_answers_429_and_resource_exhausted_then_recovers_when_drained() {
    let data = tempfile::tempdir().unwrap();
    let spool = tempfile::tempdir().unwrap();
    // ClickHouse is not there yet: the collector starts anyway and spools.
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut server = Server {
        options: LaunchOptions {
            data_dir: Some(data.path().to_owned()),
            port,
            password: String::new(),
        },
        running: None,
    };
    let db = format!("durability_full_{}", std::process::id());
    let mut config = spooled_config(&url, &db, spool.path());
    config.spool.max_bytes = 64 * 1024;
    let collector = Collector::start(config).await.unwrap();
    let http = format!("http://{}/v1/traces", collector.http_addr().unwrap());
    let client = reqwest::Client::new();
    let mut requests = Requests::new();
    let mut acknowledged = HashSet::new();

    let refused = loop {
        let (request, ids) = requests.next();
        let response = post(&client, &http, &request).await.unwrap();
        if response.status() == 200 {
            acknowledged.extend(ids);
            assert!(acknowledged.len() < 100_000, "the spool never filled up");
            continue;
        }
        break response;
    };
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    assert!(!acknowledged.is_empty());

    let mut grpc =
        TraceServiceClient::connect(format!("http://{}", collector.grpc_addr().unwrap()))
            .await
            .unwrap();
    let status = grpc.export(requests.next().0).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);

    server.restart().await;
    // Draining into ClickHouse frees the spool; clients get through again.
    let mut accepted_again = false;
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        let (request, ids) = requests.next();
        let response = post(&client, &http, &request).await.unwrap();
        if response.status() == 200 {
            acknowledged.extend(ids);
            accepted_again = true;
            break;
        }
        assert_eq!(response.status(), 429);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(accepted_again, "the spool did not drain");
    assert_exactly_once(&server, &db, &acknowledged).await;
    collector.shutdown().await;
}
