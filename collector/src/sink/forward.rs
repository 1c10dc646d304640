//! The OTLP forward sink: enriched spans to the next hop (another collector,
//! a tracing backend), over OTLP/gRPC or OTLP/HTTP protobuf.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use prost::Message;
use tokio::sync::mpsc;
use tonic::metadata::{MetadataKey, MetadataValue};

use super::enrich::enriched_request;
use crate::config::{ForwardConfig, ForwardProtocol};
use crate::score::ScoredRequest;
use crate::telemetry::Telemetry;

/// How long a request is retried before it is given up on. The next hop is
/// not Reshimu's store of record (ClickHouse is), so a long outage there must
/// not stall the pipeline; giving up is logged and counted.
const MAX_RETRY_TIME: Duration = Duration::from_secs(60);

/// A failed export.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// Building the client failed (bad endpoint or header).
    #[error("forward sink misconfigured: {0}")]
    Config(String),
    /// The export failed.
    #[error("export to {endpoint} failed: {message}")]
    Export {
        /// Where to.
        endpoint: String,
        /// What went wrong.
        message: String,
        /// Whether retrying may help.
        retryable: bool,
    },
}

/// Forwards enriched requests.
pub struct ForwardSink {
    endpoint: String,
    config: ForwardConfig,
    http: reqwest::Client,
    telemetry: Telemetry,
}

impl ForwardSink {
    /// A sink for `config`; `None` when no endpoint is configured.
    pub fn new(config: &ForwardConfig, telemetry: Telemetry) -> Result<Option<Self>, ForwardError> {
        let Some(endpoint) = config.endpoint.clone() else {
            return Ok(None);
        };
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| ForwardError::Config(e.to_string()))?;
        Ok(Some(Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            config: config.clone(),
            http,
            telemetry,
        }))
    }

    /// Forwards until the channel closes.
    pub async fn run(self, mut rx: mpsc::Receiver<Arc<ScoredRequest>>) {
        while let Some(request) = rx.recv().await {
            let body = enriched_request(&request);
            let spans = request.spans.len() as u64;
            let started = tokio::time::Instant::now();
            let mut backoff = Duration::from_millis(100);
            loop {
                match self.export(&body).await {
                    Ok(()) => {
                        self.telemetry.spans_written("forward", spans);
                        break;
                    }
                    Err(ForwardError::Export {
                        retryable: true, ..
                    }) if started.elapsed() < MAX_RETRY_TIME => {
                        self.telemetry.batch_retried("forward");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                    Err(error) => {
                        tracing::error!(%error, spans, "giving up forwarding a request");
                        self.telemetry.spans_evicted("forward_failed", spans);
                        break;
                    }
                }
            }
        }
    }

    async fn export(&self, request: &ExportTraceServiceRequest) -> Result<(), ForwardError> {
        match self.config.protocol {
            ForwardProtocol::Grpc => self.export_grpc(request).await,
            ForwardProtocol::Http => self.export_http(request).await,
        }
    }

    async fn export_grpc(&self, request: &ExportTraceServiceRequest) -> Result<(), ForwardError> {
        let err = |message: String, retryable| ForwardError::Export {
            endpoint: self.endpoint.clone(),
            message,
            retryable,
        };
        let channel = tonic::transport::Endpoint::from_shared(self.endpoint.clone())
            .map_err(|e| ForwardError::Config(e.to_string()))?
            .timeout(self.config.timeout)
            .connect()
            .await
            .map_err(|e| err(e.to_string(), true))?;
        let mut client = TraceServiceClient::new(channel);
        let mut req = tonic::Request::new(request.clone());
        for (k, v) in &self.config.headers {
            let key = MetadataKey::from_bytes(k.to_ascii_lowercase().as_bytes())
                .map_err(|e| ForwardError::Config(format!("header {k}: {e}")))?;
            let value = MetadataValue::try_from(v.as_str())
                .map_err(|e| ForwardError::Config(format!("header {k}: {e}")))?;
            req.metadata_mut().insert(key, value);
        }
        client.export(req).await.map(|_| ()).map_err(|status| {
            use tonic::Code;
            let retryable = matches!(
                status.code(),
                Code::Unavailable
                    | Code::ResourceExhausted
                    | Code::DeadlineExceeded
                    | Code::Aborted
                    | Code::Cancelled
                    | Code::OutOfRange
                    | Code::DataLoss
            );
            err(status.to_string(), retryable)
        })
    }

    async fn export_http(&self, request: &ExportTraceServiceRequest) -> Result<(), ForwardError> {
        let url = format!("{}/v1/traces", self.endpoint);
        let mut builder = self
            .http
            .post(&url)
            .header("content-type", "application/x-protobuf")
            .body(request.encode_to_vec());
        for (k, v) in &self.config.headers {
            builder = builder.header(k, v);
        }
        let err = |message: String, retryable| ForwardError::Export {
            endpoint: url.clone(),
            message,
            retryable,
        };
        let response = builder.send().await.map_err(|e| err(e.to_string(), true))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        // OTLP/HTTP: 429, 502, 503 and 504 are retryable; other errors are not.
        let retryable = matches!(status.as_u16(), 429 | 502 | 503 | 504);
        Err(err(format!("HTTP {status}"), retryable))
    }
}
