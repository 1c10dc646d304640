//! Setup: a tracer provider with the OTLP exporter and the Reshimu span processor.

use opentelemetry::KeyValue;
use opentelemetry_otlp::WithHttpConfig as _;
use opentelemetry_otlp::{ExporterBuildError, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use thiserror::Error;

use crate::export::{ReportingExporter, effective_endpoint};
use crate::processor::ReshimuSpanProcessor;

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/gRPC (default port 4317). Needs a Tokio runtime when [`init`] runs.
    Grpc,
    /// OTLP/HTTP with protobuf bodies (default port 4318).
    HttpProtobuf,
}

impl Protocol {
    /// The protocol named by `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or
    /// `OTEL_EXPORTER_OTLP_PROTOCOL` (`grpc`, `http/protobuf`), if set.
    pub fn from_env() -> Option<Protocol> {
        [
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ]
        .iter()
        .find_map(|k| std::env::var(k).ok())
        .and_then(|v| match v.trim().to_ascii_lowercase().as_str() {
            "grpc" => Some(Protocol::Grpc),
            "http/protobuf" => Some(Protocol::HttpProtobuf),
            _ => None,
        })
    }
}

/// Why [`init`] failed.
#[derive(Debug, Error)]
pub enum InitError {
    /// The OTLP exporter could not be built (bad endpoint, headers, protocol).
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(#[from] ExporterBuildError),
    /// The blocking HTTP client could not be built.
    #[error("cannot build the OTLP/HTTP client: {0}")]
    HttpClient(String),
}

/// What [`init`] builds. Every field has a default; the endpoint, headers,
/// timeout and compression otherwise come from the standard
/// `OTEL_EXPORTER_OTLP_*` variables, and the resource from `OTEL_SERVICE_NAME`
/// and `OTEL_RESOURCE_ATTRIBUTES`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Config {
    /// `service.name` of the resource (default: `OTEL_SERVICE_NAME`, else the SDK's default).
    pub service_name: Option<String>,
    /// The transport (default: from the environment, else OTLP/HTTP protobuf).
    pub protocol: Option<Protocol>,
    /// Base endpoint, e.g. `http://localhost:4318` (default: from the
    /// environment). For HTTP, `/v1/traces` is appended unless present.
    pub endpoint: Option<String>,
}

impl Config {
    /// Sets `service.name`.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Sets the transport.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// Sets the base endpoint.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }
}

/// Builds a tracer provider exporting over OTLP in batches, with the
/// [`ReshimuSpanProcessor`] stamping every span. A batch the collector does
/// not take (down, refusing, too slow) is reported with its span count and
/// the endpoint, see [`ReportingExporter`](crate::ReportingExporter). The caller decides whether
/// to install it globally (`opentelemetry::global::set_tracer_provider`) and
/// must call `shutdown()` on exit so the last batch is sent.
pub fn init(config: Config) -> Result<SdkTracerProvider, InitError> {
    let protocol = config
        .protocol
        .or_else(Protocol::from_env)
        .unwrap_or(Protocol::HttpProtobuf);
    let endpoint = match protocol {
        Protocol::Grpc => effective_endpoint(config.endpoint.as_deref(), false),
        Protocol::HttpProtobuf => {
            http_traces_endpoint(&effective_endpoint(config.endpoint.as_deref(), true))
        }
    };
    let exporter = match protocol {
        Protocol::Grpc => {
            let mut b = opentelemetry_otlp::SpanExporter::builder().with_tonic();
            if let Some(e) = &config.endpoint {
                b = b.with_endpoint(e.clone());
            }
            b.build()?
        }
        Protocol::HttpProtobuf => {
            let mut b = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_http_client(blocking_http_client()?)
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary);
            if let Some(e) = &config.endpoint {
                b = b.with_endpoint(http_traces_endpoint(e));
            }
            b.build()?
        }
    };
    let mut resource = Resource::builder();
    if let Some(name) = config.service_name {
        resource = resource.with_service_name(name);
    }
    let resource = resource
        .with_attribute(KeyValue::new("telemetry.distro.name", "reshimu-exporter"))
        .build();
    Ok(SdkTracerProvider::builder()
        .with_resource(resource)
        .with_span_processor(ReshimuSpanProcessor::new())
        .with_batch_exporter(ReportingExporter::new(exporter, endpoint))
        .build())
}

/// The batch processor exports from its own thread, outside any Tokio
/// runtime, so the OTLP/HTTP client must be the blocking one. It is chosen
/// here rather than left to opentelemetry-otlp, which prefers the async client
/// whenever both reqwest features end up enabled (as in a workspace that also
/// uses the async one) and then panics for want of a runtime.
fn blocking_http_client() -> Result<reqwest::blocking::Client, InitError> {
    // reqwest's blocking client owns a runtime, which must not be created or
    // dropped inside an async context: build it on a plain thread.
    std::thread::spawn(|| reqwest::blocking::Client::builder().build())
        .join()
        .map_err(|_| InitError::HttpClient("the client builder panicked".into()))?
        .map_err(|e| InitError::HttpClient(e.to_string()))
}

/// `base` with `/v1/traces` appended, as `OTEL_EXPORTER_OTLP_ENDPOINT` is read.
fn http_traces_endpoint(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/v1/traces") {
        base.to_owned()
    } else {
        format!("{base}/v1/traces")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_endpoint_gets_the_signal_path_once() {
        assert_eq!(
            http_traces_endpoint("http://h:4318"),
            "http://h:4318/v1/traces"
        );
        assert_eq!(
            http_traces_endpoint("http://h:4318/"),
            "http://h:4318/v1/traces"
        );
        assert_eq!(
            http_traces_endpoint("http://h:4318/v1/traces"),
            "http://h:4318/v1/traces"
        );
    }
}
