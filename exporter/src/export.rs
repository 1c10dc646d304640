//! The OTLP exporter, wrapped so that spans it could not deliver are never
//! lost silently: every failed export logs how many spans were not exported,
//! where to, and why.

use std::time::Duration;

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

/// A [`SpanExporter`] that reports each failed export (a collector that is
/// down, refuses, or times out) with the span count and the endpoint.
///
/// The report is a `tracing` warning (target `reshimu_exporter`); an agent
/// that installed no `tracing` subscriber gets it on stderr instead, since a
/// warning nobody can see is as silent as none.
#[derive(Debug)]
pub struct ReportingExporter<E> {
    inner: E,
    endpoint: String,
}

impl<E> ReportingExporter<E> {
    /// Wraps `inner`, which sends to `endpoint` (named in the reports).
    pub fn new(inner: E, endpoint: impl Into<String>) -> Self {
        ReportingExporter {
            inner,
            endpoint: endpoint.into(),
        }
    }
}

impl<E: SpanExporter> SpanExporter for ReportingExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans = batch.len();
        let result = self.inner.export(batch).await;
        if let Err(error) = &result {
            report_lost(spans, &self.endpoint, &error.to_string());
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

fn report_lost(spans: usize, endpoint: &str, error: &str) {
    if tracing::dispatcher::has_been_set() {
        tracing::warn!(
            spans,
            endpoint,
            error,
            "spans were not exported: is the collector at {endpoint} running?"
        );
    } else {
        eprintln!(
            "reshimu-exporter: {spans} spans were not exported to {endpoint}: {error} (is the collector running?)"
        );
    }
}

/// The endpoint the OTLP exporter sends to: the configured one, else the
/// standard environment variables, else the OTLP default for `http`.
pub(crate) fn effective_endpoint(configured: Option<&str>, http: bool) -> String {
    let from_env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    configured
        .map(str::to_owned)
        .or_else(|| from_env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        .or_else(|| from_env("OTEL_EXPORTER_OTLP_ENDPOINT"))
        .unwrap_or_else(|| {
            if http {
                "http://localhost:4318".to_owned()
            } else {
                "http://localhost:4317".to_owned()
            }
        })
}
