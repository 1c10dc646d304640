//! End-to-end load benchmark: a collector binary under OTLP load, writing to
//! a discarding ClickHouse stand-in, measured from outside the process.
//!
//! ```text
//! cargo build --release -p reshimu-collector --bin reshimu-collector --example loadbench
//! taskset -c 1 target/release/examples/loadbench --sink discard \
//!     --clickhouse "$CLICKHOUSE_URL" --collector-cpu 0 --seconds 15
//! ```
//!
//! One run: start the discard sink, start the collector pinned to
//! `--collector-cpu` (`taskset`), send the intent declarations, send
//! requests of `--spans` agent-like spans from `--clients` connections for
//! `--seconds` (OTLP/HTTP protobuf, or `--grpc`), then wait for the
//! collector to write what it accepted. Prints one JSON line: spans/s
//! accepted, the collector's CPU seconds per span (utime + stime of every
//! thread, from `/proc/PID/stat`, over the load window and the drain), its
//! peak RSS (`VmHWM`), and, for reshimu, accepted and written spans from its
//! `/metrics`.
//!
//! The discard sink answers `INSERT` requests by reading and dropping the
//! body, so the collector's insert path (rows, RowBinary, LZ4, HTTP) runs in
//! full while no database work is counted. Every other request (migrations,
//! `DESCRIBE TABLE` for the client's schema check, lineage lookups) is
//! forwarded to a real ClickHouse (`--clickhouse`, e.g. the local engine of
//! `tests/clickhouse`), which sees no inserts and so costs next to nothing.
//!
//! `--command` runs another OTLP collector instead of reshimu (for the
//! comparison script `tests/load/compare.sh`): `{http}`, `{grpc}` and
//! `{clickhouse}` in it are replaced by the OTLP/HTTP and OTLP/gRPC
//! listen addresses and the sink's URL. Only the sink's byte count says what
//! such a collector wrote. Loopback only; every wait is bounded.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use clap::{Parser, ValueEnum};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use prost::Message;
use reshimu_collector::demo::load::{declarations, workload};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Sink {
    /// The discard sink (inserts dropped, the rest forwarded).
    Discard,
    /// No ClickHouse at all (`clickhouse.enabled: false` for reshimu).
    None,
}

#[derive(Debug, Parser)]
struct Args {
    /// The reshimu collector binary (build it with --release).
    #[arg(long, default_value = "target/release/reshimu-collector")]
    binary: std::path::PathBuf,
    /// Run this collector command instead (see the module docs).
    #[arg(long)]
    command: Option<String>,
    /// Where the collector writes.
    #[arg(long, value_enum, default_value_t = Sink::Discard)]
    sink: Sink,
    /// The real ClickHouse that non-insert requests are forwarded to.
    #[arg(long, env = "CLICKHOUSE_URL")]
    clickhouse: Option<String>,
    /// Turn reshimu's spool on (fsync on).
    #[arg(long)]
    spool: bool,
    /// Send over OTLP/gRPC instead of OTLP/HTTP.
    #[arg(long)]
    grpc: bool,
    /// The CPU the collector is pinned to (`taskset -c`); none: not pinned.
    #[arg(long)]
    collector_cpu: Option<usize>,
    /// How long to send.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Spans per request.
    #[arg(long, default_value_t = 512)]
    spans: usize,
    /// Sessions the spans are spread over.
    #[arg(long, default_value_t = 64)]
    sessions: usize,
    /// A name for this run in the output.
    #[arg(long, default_value = "reshimu")]
    label: String,
}

/// What the discard sink saw.
#[derive(Default)]
struct SinkCounts {
    inserts: AtomicU64,
    insert_bytes: AtomicU64,
    forwarded: AtomicU64,
}

struct SinkState {
    counts: SinkCounts,
    forward_to: Option<String>,
    client: reqwest::Client,
}

/// Drops inserts, forwards everything else (see the module docs).
async fn sink(
    State(state): State<Arc<SinkState>>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, Bytes) {
    let query = query.unwrap_or_default();
    let statement = url_decoded_query(&query);
    let is_insert = statement
        .trim_start()
        .get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("insert"));
    if is_insert {
        state.counts.inserts.fetch_add(1, Ordering::Relaxed);
        state
            .counts
            .insert_bytes
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        return (StatusCode::OK, HeaderMap::new(), Bytes::new());
    }
    let Some(base) = &state.forward_to else {
        return (
            StatusCode::NOT_IMPLEMENTED,
            HeaderMap::new(),
            Bytes::from_static(b"loadbench: no --clickhouse to forward non-insert requests to"),
        );
    };
    state.counts.forwarded.fetch_add(1, Ordering::Relaxed);
    let mut request = state
        .client
        .request(method, format!("{}/?{query}", base.trim_end_matches('/')))
        .body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(r) => {
            let status =
                StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            // The client reads ClickHouse's own headers (format, exceptions).
            let mut out = HeaderMap::new();
            for (name, value) in r.headers() {
                if name != "content-length" && name != "transfer-encoding" && name != "connection" {
                    out.insert(name.clone(), value.clone());
                }
            }
            (status, out, r.bytes().await.unwrap_or_default())
        }
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            HeaderMap::new(),
            Bytes::from(e.to_string()),
        ),
    }
}

/// The `query` parameter, percent-decoded enough to see its first word.
fn url_decoded_query(raw: &str) -> String {
    raw.split('&')
        .find_map(|kv| kv.strip_prefix("query="))
        .map(|q| q.replace('+', " ").replace("%20", " "))
        .unwrap_or_default()
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// utime + stime of a process (all its threads), in seconds.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields are counted after its `)`.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / clock_ticks())
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`; 100 on Linux
/// unless configured otherwise).
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// A counter of reshimu's `/metrics`, summed over its labels.
async fn metric(client: &reqwest::Client, telemetry: &str, name: &str) -> Option<u64> {
    let text = client
        .get(format!("http://{telemetry}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let mut sum = 0.0;
    for line in text.lines().filter(|l| l.starts_with(name)) {
        let rest = &line[name.len()..];
        if rest.starts_with(['{', ' ']) {
            sum += line.rsplit(' ').next()?.parse::<f64>().ok()?;
        }
    }
    Some(sum as u64)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.command.is_none() && !args.binary.exists() {
        bail!(
            "{} does not exist: cargo build --release -p reshimu-collector",
            args.binary.display()
        );
    }
    if args.sink == Sink::Discard && args.clickhouse.is_none() {
        bail!(
            "--sink discard forwards migrations and schema checks to a real ClickHouse: \
             pass --clickhouse URL (or set CLICKHOUSE_URL), e.g. from tests/clickhouse's launcher"
        );
    }
    let state = Arc::new(SinkState {
        counts: SinkCounts::default(),
        forward_to: args.clickhouse.clone(),
        // Bodies pass through as ClickHouse compressed them.
        client: reqwest::Client::builder().no_gzip().build()?,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sink_url = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new()
        .fallback(sink)
        .with_state(Arc::clone(&state));
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir()?;
    let (http, grpc, telemetry) = (free_port()?, free_port()?, free_port()?);
    let http_addr = format!("127.0.0.1:{http}");
    let grpc_addr = format!("127.0.0.1:{grpc}");
    let telemetry_addr = format!("127.0.0.1:{telemetry}");
    let command: Vec<String> = match &args.command {
        Some(c) => {
            let c = c
                .replace("{http}", &http_addr)
                .replace("{grpc}", &grpc_addr)
                .replace("{clickhouse}", &sink_url);
            vec!["sh".into(), "-c".into(), format!("exec {c}")]
        }
        None => {
            let config = dir.path().join("collector.yaml");
            let clickhouse = match args.sink {
                Sink::Discard => format!(
                    "{{url: '{sink_url}', ttl_days: 0, dead_letter_path: '{}'}}",
                    dir.path().join("dead.jsonl").display()
                ),
                Sink::None => "{enabled: false}".to_owned(),
            };
            std::fs::write(
                &config,
                format!(
                    "receivers:\n  http: {{endpoint: '{http_addr}'}}\n  grpc: {{endpoint: '{grpc_addr}'}}\n\
                     telemetry: {{listen: '{telemetry_addr}', log: {{level: warn}}}}\n\
                     shutdown_timeout: 30s\nclickhouse: {clickhouse}\n\
                     spool: {{enabled: {}, dir: '{}'}}\n",
                    args.spool,
                    dir.path().join("spool").display()
                ),
            )?;
            vec![
                args.binary.display().to_string(),
                "run".into(),
                "--config".into(),
                config.display().to_string(),
            ]
        }
    };
    let mut cmd = match args.collector_cpu {
        Some(cpu) => {
            let mut c = tokio::process::Command::new("taskset");
            c.args(["-c", &cpu.to_string()]).args(&command);
            c
        }
        None => {
            let mut c = tokio::process::Command::new(&command[0]);
            c.args(&command[1..]);
            c
        }
    };
    let mut child = cmd
        .env_remove("CLICKHOUSE_URL")
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", command.join(" ")))?;
    let pid = child.id().context("the collector exited at once")?;
    let client = reqwest::Client::new();
    let target = if args.grpc { &grpc_addr } else { &http_addr };
    let ready = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(target).await.is_err() {
        if Instant::now() > ready {
            bail!("the collector did not listen on {target} within 30 s");
        }
        if let Ok(Some(status)) = child.try_wait() {
            bail!("the collector exited before listening: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let url = format!("http://{http_addr}/v1/traces");
    let declared = declarations(args.sessions).encode_to_vec();
    let response = client
        .post(&url)
        .header("content-type", "application/x-protobuf")
        .body(declared)
        .send()
        .await
        .context("sending the declarations")?;
    if !response.status().is_success() {
        bail!(
            "the collector refused the declarations: {}",
            response.status()
        );
    }
    // Let the declarations through lineage before the clock starts.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let cpu_before = cpu_seconds(pid).context("reading the collector's CPU time")?;
    let accepted = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let (client, url) = (client.clone(), url.clone());
        let grpc_url = format!("http://{grpc_addr}");
        let (accepted, refused, failed) = (
            Arc::clone(&accepted),
            Arc::clone(&refused),
            Arc::clone(&failed),
        );
        let (spans, sessions, use_grpc) = (args.spans, args.sessions, args.grpc);
        tasks.push(tokio::spawn(async move {
            let mut grpc_client = None;
            let mut batch = 0u64;
            while Instant::now() < deadline {
                let first = ((c as u64) << 40) + batch * spans as u64;
                batch += 1;
                let request = workload(spans, sessions, first);
                let outcome: Result<bool, ()> = if use_grpc {
                    if grpc_client.is_none() {
                        grpc_client = TraceServiceClient::connect(grpc_url.clone()).await.ok();
                    }
                    match grpc_client.as_mut() {
                        Some(g) => match g.export(request).await {
                            Ok(_) => Ok(true),
                            Err(s) if s.code() == tonic::Code::ResourceExhausted => Ok(false),
                            Err(_) => Err(()),
                        },
                        None => Err(()),
                    }
                } else {
                    match client
                        .post(&url)
                        .header("content-type", "application/x-protobuf")
                        .body(request.encode_to_vec())
                        .send()
                        .await
                    {
                        Ok(r) if r.status().is_success() => Ok(true),
                        Ok(r) if matches!(r.status().as_u16(), 429 | 503) => Ok(false),
                        _ => Err(()),
                    }
                };
                match outcome {
                    Ok(true) => {
                        accepted.fetch_add(spans as u64, Ordering::Relaxed);
                    }
                    Ok(false) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(()) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let accepted = accepted.load(Ordering::Relaxed);

    // Drain: wait until reshimu says it wrote what it accepted (or, for
    // another collector, until the sink stops receiving for two seconds).
    let drain_deadline = Instant::now() + Duration::from_secs(60);
    let mut written = None;
    let mut acknowledged = None;
    let mut last_bytes = u64::MAX;
    let mut quiet_since = Instant::now();
    while Instant::now() < drain_deadline {
        if args.command.is_none() {
            let sink_name = match args.sink {
                Sink::Discard => "reshimu_written_spans_total{sink=\"clickhouse\"}",
                Sink::None => "reshimu_scored_spans_total",
            };
            // The collector's own count includes the declarations.
            acknowledged = metric(&client, &telemetry_addr, "reshimu_accepted_spans_total").await;
            written = metric(&client, &telemetry_addr, sink_name).await;
            if written.is_some() && written >= acknowledged {
                break;
            }
        } else {
            let bytes = state.counts.insert_bytes.load(Ordering::Relaxed);
            if bytes != last_bytes {
                last_bytes = bytes;
                quiet_since = Instant::now();
            } else if quiet_since.elapsed() > Duration::from_secs(2) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let cpu = cpu_seconds(pid).context("reading the collector's CPU time")? - cpu_before;
    let rss = peak_rss_kib(pid).unwrap_or(0);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;

    let report = serde_json::json!({
        "label": args.label,
        "protocol": if args.grpc { "grpc" } else { "http" },
        "sink": match args.sink { Sink::Discard => "discard", Sink::None => "none" },
        "spool": args.spool,
        "seconds": elapsed,
        "accepted_spans": accepted,
        "spans_per_second": accepted as f64 / elapsed,
        "collector_cpu_seconds": cpu,
        "cpu_us_per_span": if accepted > 0 { cpu * 1e6 / accepted as f64 } else { 0.0 },
        "peak_rss_mib": rss as f64 / 1024.0,
        "collector_accepted_spans": acknowledged,
        "written_spans": written,
        "written_equals_accepted": written.zip(acknowledged).map(|(w, a)| w == a),
        "refused_requests": refused.load(Ordering::Relaxed),
        "failed_requests": failed.load(Ordering::Relaxed),
        "sink_inserts": state.counts.inserts.load(Ordering::Relaxed),
        "sink_insert_bytes": state.counts.insert_bytes.load(Ordering::Relaxed),
        "sink_forwarded": state.counts.forwarded.load(Ordering::Relaxed),
    });
    println!("{report}");
    Ok(())
}
