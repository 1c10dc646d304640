//! `reshimu-collector replay`: send OTLP JSON files (the dead-letter file,
//! the file sink's output, a file exporter's) to a running collector.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use prost::Message;
use reshimu_collector::offline::read_requests;

/// Options of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// OTLP JSON files, one ExportTraceServiceRequest per file or per line.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// OTLP/HTTP endpoint of the collector.
    #[arg(long, default_value = "http://127.0.0.1:4318", value_name = "URL")]
    endpoint: String,
}

/// Runs `replay`: every request is posted in order; the first one the
/// collector does not accept stops the replay, saying which it was, so a
/// second run after the fix can start from the file again (the collector
/// does not duplicate what a dead-letter file holds: those spans were never
/// written).
pub fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let url = format!("{}/v1/traces", args.endpoint.trim_end_matches('/'));
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let (mut requests, mut spans) = (0usize, 0usize);
        for path in &args.files {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {name}"))?;
            for (index, request) in read_requests(&name, &text)?.into_iter().enumerate() {
                let count: usize = request
                    .resource_spans
                    .iter()
                    .flat_map(|r| &r.scope_spans)
                    .map(|s| s.spans.len())
                    .sum();
                let response = client
                    .post(&url)
                    .header("content-type", "application/x-protobuf")
                    .body(request.encode_to_vec())
                    .send()
                    .await
                    .with_context(|| format!("sending request {} of {name} to {url}", index + 1))?;
                let status = response.status();
                if !status.is_success() {
                    anyhow::bail!(
                        "{url} refused request {} of {name} with {status}; {requests} requests \
                         ({spans} spans) were sent before it",
                        index + 1
                    );
                }
                requests += 1;
                spans += count;
            }
        }
        println!("replayed {requests} requests ({spans} spans) to {url}");
        Ok(())
    })
}
