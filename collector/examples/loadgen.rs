//! A load generator for the collector: OTLP/HTTP protobuf requests of
//! synthetic agent spans, from several concurrent clients, for a while.
//!
//! ```text
//! cargo run --release -p reshimu-collector --example loadgen -- \
//!     http://127.0.0.1:4318 --seconds 20 --clients 4 --spans 512
//! ```
//!
//! Prints spans accepted per second and how often the collector pushed back
//! (429 / 503): with a slow ClickHouse behind it, pushing back is how the
//! collector keeps its memory bounded. Loopback targets only.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;
use reshimu_collector::demo::load::{declarations, workload};

#[derive(Debug, Parser)]
struct Args {
    /// OTLP/HTTP base URL of the collector.
    endpoint: String,
    /// How long to send.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Spans per request.
    #[arg(long, default_value_t = 512)]
    spans: usize,
    /// Sessions the spans are spread over.
    #[arg(long, default_value_t = 64)]
    sessions: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let url = format!("{}/v1/traces", args.endpoint.trim_end_matches('/'));
    if !(url.starts_with("http://127.")
        || url.starts_with("http://localhost")
        || url.starts_with("http://[::1]"))
    {
        bail!("loadgen only targets loopback addresses, got {url}");
    }
    let client = reqwest::Client::new();
    let post = |body: Vec<u8>| {
        client
            .post(&url)
            .header("content-type", "application/x-protobuf")
            .body(body)
            .send()
    };
    let response = post(declarations(args.sessions).encode_to_vec())
        .await
        .context("sending the declarations")?;
    let status = response.status();
    if !status.is_success() {
        bail!("the collector refused the declarations: {status}");
    }
    // A declaration refused inside an accepted request would leave every
    // span of the load unscoped: nothing would be scored.
    let answer = ExportTraceServiceResponse::decode(response.bytes().await?)
        .context("reading the collector's answer to the declarations")?;
    if let Some(partial) = answer.partial_success.filter(|p| p.rejected_spans > 0) {
        bail!(
            "the collector rejected {} declarations: {}",
            partial.rejected_spans,
            partial.error_message
        );
    }
    let accepted = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let client = client.clone();
        let url = url.clone();
        let (accepted, refused) = (Arc::clone(&accepted), Arc::clone(&refused));
        let (spans, sessions) = (args.spans, args.sessions);
        tasks.push(tokio::spawn(async move {
            let mut batch = 0u64;
            while Instant::now() < deadline {
                let first = ((c as u64) << 40) + batch * spans as u64;
                batch += 1;
                let body = workload(spans, sessions, first).encode_to_vec();
                match client
                    .post(&url)
                    .header("content-type", "application/x-protobuf")
                    .body(body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        accepted.fetch_add(spans as u64, Ordering::Relaxed);
                    }
                    Ok(r) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        let wait = r
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                            .unwrap_or(1);
                        tokio::time::sleep(Duration::from_millis(wait * 100)).await;
                    }
                    Err(e) => {
                        eprintln!("client {c}: {e}");
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
    let spans = accepted.load(Ordering::Relaxed);
    println!(
        "accepted {spans} spans in {elapsed:.1}s = {:.0} spans/s; {} requests pushed back",
        spans as f64 / elapsed,
        refused.load(Ordering::Relaxed)
    );
    Ok(())
}
