//! Spans ClickHouse refused for good, kept as OTLP JSON so they can be
//! inspected, fixed and sent again (`reshimu-collector replay FILE`).
//!
//! One `ExportTraceServiceRequest` per line, each holding one refused span
//! with its resource and scope: the format of the OpenTelemetry Collector's
//! file exporter, which `score` and `replay` read.

use std::path::{Path, PathBuf};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

/// Appends refused spans to a file, created on first use.
#[derive(Debug)]
pub struct DeadLetter {
    path: PathBuf,
    file: Mutex<Option<tokio::fs::File>>,
}

impl DeadLetter {
    /// A dead-letter file at `path` (not opened until a span is refused).
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            file: Mutex::new(None),
        }
    }

    /// The file's path, for log lines.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line per span and syncs, so a refused span is on disk
    /// before its request is released from the spool.
    pub async fn write<'a>(
        &self,
        spans: impl IntoIterator<Item = (&'a ResourceSpans, &'a ScopeSpans, &'a Span)>,
    ) -> std::io::Result<usize> {
        let mut text = String::new();
        let mut count = 0;
        for (rs, ss, span) in spans {
            let request = ExportTraceServiceRequest {
                resource_spans: vec![ResourceSpans {
                    resource: rs.resource.clone(),
                    scope_spans: vec![ScopeSpans {
                        scope: ss.scope.clone(),
                        spans: vec![span.clone()],
                        schema_url: ss.schema_url.clone(),
                    }],
                    schema_url: rs.schema_url.clone(),
                }],
            };
            text.push_str(&serde_json::to_string(&request).map_err(std::io::Error::other)?);
            text.push('\n');
            count += 1;
        }
        if count == 0 {
            return Ok(0);
        }
        let mut file = self.file.lock().await;
        if file.is_none() {
            *file = Some(
                tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)
                    .await?,
            );
        }
        let Some(f) = file.as_mut() else {
            return Err(std::io::Error::other("dead-letter file not open"));
        };
        f.write_all(text.as_bytes()).await?;
        f.sync_data().await?;
        Ok(count)
    }
}
