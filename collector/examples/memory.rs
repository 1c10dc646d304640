//! Memory benchmark: the collector binary under near-limit requests while
//! ClickHouse is frozen (a server that accepts connections and never
//! answers, as one under SIGSTOP does), reporting the collector's peak RSS.
//!
//! ```text
//! cargo build --release -p reshimu-collector --example memory --bin reshimu-collector
//! target/release/examples/memory -- --binary target/release/reshimu-collector \
//!     --senders 4 --request-mb 15 --seconds 20
//! ```
//!
//! Starts the binary with a configuration pointing at the frozen ClickHouse
//! (everything else default: `memory_limit` 256 MiB, `max_request_bytes`
//! 16 MiB), sends requests of agent-like spans of about `--request-mb` MiB
//! from `--senders` concurrent clients for `--seconds`, samples
//! `/proc/<pid>/status` (VmHWM is the kernel's peak RSS), then stops it.
//! Loopback only; every loop is bounded in time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use prost::Message;
use reshimu_collector::demo::load::workload;

#[derive(Debug, Parser)]
struct Args {
    /// The collector binary (build it with --release).
    #[arg(long, default_value = "target/release/reshimu-collector")]
    binary: std::path::PathBuf,
    /// Concurrent senders.
    #[arg(long, default_value_t = 4)]
    senders: usize,
    /// Size of each request, MiB (the default max_request_bytes is 16).
    #[arg(long, default_value_t = 15)]
    request_mb: usize,
    /// How long to send.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Use OTLP/gRPC instead of OTLP/HTTP.
    #[arg(long)]
    grpc: bool,
    /// Only measure, in this process, how many times its protobuf size one
    /// request takes once decoded and scored (the budget's DECODED_FACTOR).
    #[arg(long)]
    measure_decode: bool,
}

/// RSS growth from decoding and scoring `copies` requests of `spans` spans,
/// per wire byte.
fn measure_decode(spans: usize, copies: usize) -> anyhow::Result<()> {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    let wire = workload(spans, 64, 0).encode_to_vec();
    let rss_kib = || rss(std::process::id()).map_or(0, |(_, now)| now);
    let before = rss_kib();
    let mut held = Vec::new();
    for _ in 0..copies {
        let request = ExportTraceServiceRequest::decode(wire.as_slice())?;
        held.extend(reshimu_collector::offline::score_requests(
            vec![request],
            std::sync::Arc::new(reshimu_intent::score::DefaultScorer::default()),
        ));
    }
    let after = rss_kib();
    let grown = (after - before) as f64 * 1024.0;
    println!(
        "{copies} requests of {} bytes decoded and scored: RSS +{:.0} MiB, {:.2} x the wire size ({} spans held)",
        wire.len(),
        grown / 1048576.0,
        grown / (wire.len() * copies) as f64,
        held.iter().map(|r| r.spans.len()).sum::<usize>()
    );
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// `VmHWM` and `VmRSS` of a process, in KiB.
fn rss(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.measure_decode {
        let per_span = workload(1000, 64, 0).encode_to_vec().len() / 1000;
        return measure_decode(args.request_mb * 1024 * 1024 / per_span, 4);
    }
    if !args.binary.exists() {
        bail!(
            "{} does not exist: cargo build --release -p reshimu-collector",
            args.binary.display()
        );
    }
    // The frozen ClickHouse: accepts, reads nothing, answers nothing.
    let frozen = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let frozen_addr = frozen.local_addr()?;
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = frozen.accept().await {
            held.push(socket);
        }
    });

    let dir = tempfile::tempdir()?;
    let (http, grpc) = (free_port()?, free_port()?);
    let config = dir.path().join("collector.yaml");
    std::fs::write(
        &config,
        format!(
            "receivers:\n  http: {{endpoint: 127.0.0.1:{http}}}\n  grpc: {{endpoint: 127.0.0.1:{grpc}}}\n\
             telemetry: {{listen: ''}}\nshutdown_timeout: 1s\n\
             clickhouse: {{url: 'http://{frozen_addr}', migrate_on_start: false, timeout: 600s, \
             dead_letter_path: '{}'}}\n",
            dir.path().join("dead.jsonl").display()
        ),
    )?;
    let mut child = tokio::process::Command::new(&args.binary)
        .args(["run", "--config"])
        .arg(&config)
        .env_remove("CLICKHOUSE_URL")
        .env("RUST_LOG", "error")
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", args.binary.display()))?;
    let pid = child.id().context("no pid")?;

    // Requests of about `request_mb` MiB of agent-like spans.
    let per_span = workload(1000, 64, 0).encode_to_vec().len() / 1000;
    let spans = args.request_mb * 1024 * 1024 / per_span;
    let template = workload(spans, 64, 0);
    let size = template.encoded_len();
    println!(
        "collector pid {pid}; {} senders of {size} bytes ({spans} spans) over {}, ClickHouse frozen, {} s",
        args.senders,
        if args.grpc { "OTLP/gRPC" } else { "OTLP/HTTP" },
        args.seconds
    );

    let url = format!("http://127.0.0.1:{http}/v1/traces");
    let client = reqwest::Client::new();
    let ready = Instant::now() + Duration::from_secs(20);
    while client
        .get(format!("http://127.0.0.1:{http}/"))
        .send()
        .await
        .is_err()
    {
        if Instant::now() > ready {
            bail!("the collector did not start listening");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let accepted = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let body = bytes::Bytes::from(template.encode_to_vec());
    let end = Instant::now() + Duration::from_secs(args.seconds);
    let mut senders = Vec::new();
    for sender in 0..args.senders {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        let (accepted, refused, failed) = (
            Arc::clone(&accepted),
            Arc::clone(&refused),
            Arc::clone(&failed),
        );
        let grpc_endpoint = format!("http://127.0.0.1:{grpc}");
        let request = template.clone();
        let use_grpc = args.grpc;
        senders.push(tokio::spawn(async move {
            let mut grpc_client = None;
            while Instant::now() < end {
                let outcome = if use_grpc {
                    if grpc_client.is_none() {
                        grpc_client = opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient::connect(grpc_endpoint.clone())
                            .await
                            .ok()
                            .map(|c| c.max_encoding_message_size(64 << 20));
                    }
                    match grpc_client.as_mut() {
                        Some(c) => match c.export(request.clone()).await {
                            Ok(_) => Ok(200),
                            Err(s) if s.code() == tonic::Code::ResourceExhausted => Ok(429),
                            Err(_) => Err(()),
                        },
                        None => Err(()),
                    }
                } else {
                    client
                        .post(&url)
                        .header("content-type", "application/x-protobuf")
                        .body(body.clone())
                        .timeout(Duration::from_secs(30))
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .map_err(|_| ())
                };
                match outcome {
                    Ok(200) => accepted.fetch_add(1, Ordering::Relaxed),
                    Ok(429) | Ok(503) => {
                        let n = refused.fetch_add(1, Ordering::Relaxed);
                        // Clients back off when refused (Retry-After is 1 s).
                        tokio::time::sleep(Duration::from_millis(200 + 50 * sender as u64)).await;
                        n
                    }
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    let mut peak_rss = 0;
    while Instant::now() < end {
        if let Some((_, now)) = rss(pid) {
            peak_rss = peak_rss.max(now);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for sender in senders {
        let _ = sender.await;
    }
    let (hwm, now) = rss(pid).unwrap_or((0, 0));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    println!(
        "accepted {} requests, refused {} (429/503), failed {}; peak RSS {} MiB (VmHWM {} MiB, sampled {} MiB), RSS at the end {} MiB",
        accepted.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        hwm.max(peak_rss) / 1024,
        hwm / 1024,
        peak_rss / 1024,
        now / 1024
    );
    Ok(())
}
