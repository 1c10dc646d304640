//! The file sink: enriched requests as OTLP JSON, one per line, the format
//! the OpenTelemetry Collector's file exporter writes (and `score` reads).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::enrich::enriched_request;
use crate::score::ScoredRequest;
use crate::telemetry::Telemetry;

/// Appends enriched requests to a file.
pub struct FileSink {
    path: PathBuf,
    telemetry: Telemetry,
}

impl FileSink {
    /// A sink appending to `path` (created if missing).
    pub fn new(path: &Path, telemetry: Telemetry) -> Self {
        Self {
            path: path.to_owned(),
            telemetry,
        }
    }

    /// Writes until the channel closes. A write error is logged and the
    /// request counted as not written; the file sink is for debugging and
    /// must never stall the pipeline.
    pub async fn run(self, mut rx: mpsc::Receiver<Arc<ScoredRequest>>) {
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await;
        let mut file = match file {
            Ok(f) => tokio::io::BufWriter::new(f),
            Err(error) => {
                tracing::error!(%error, path = %self.path.display(), "cannot open the file sink; it writes nothing");
                while rx.recv().await.is_some() {}
                return;
            }
        };
        while let Some(request) = rx.recv().await {
            let line = match serde_json::to_string(&enriched_request(&request)) {
                Ok(line) => line,
                Err(error) => {
                    tracing::error!(%error, "cannot encode a request as OTLP JSON");
                    continue;
                }
            };
            let written = async {
                file.write_all(line.as_bytes()).await?;
                file.write_all(b"\n").await?;
                // One request per flush: the file is read while the collector runs.
                file.flush().await
            };
            match written.await {
                Ok(()) => self
                    .telemetry
                    .spans_written("file", request.spans.len() as u64),
                Err(error) => {
                    tracing::error!(%error, path = %self.path.display(), "file sink write failed")
                }
            }
        }
    }
}
