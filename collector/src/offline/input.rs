//! Reading OTLP JSON as the OpenTelemetry Collector's file exporter writes it:
//! one `ExportTraceServiceRequest` per file, or one per line.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

/// A file that is not OTLP JSON.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Neither one JSON document nor JSON Lines.
    #[error("{source_name}: line {line}: not an OTLP ExportTraceServiceRequest: {error}")]
    Json {
        /// File name (or `-`).
        source_name: String,
        /// 1-based line of the offending document.
        line: usize,
        /// What the parser said.
        error: serde_json::Error,
    },
}

/// Parses `text` as one request, or as JSON Lines of requests.
///
/// ```
/// let reqs = reshimu_collector::offline::read_requests("x.json", r#"{"resourceSpans":[]}"#).unwrap();
/// assert_eq!(reqs.len(), 1);
/// ```
pub fn read_requests(
    source_name: &str,
    text: &str,
) -> Result<Vec<ExportTraceServiceRequest>, InputError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    // A pretty-printed single document spans many lines; try it whole first.
    if let Ok(one) = serde_json::from_str::<ExportTraceServiceRequest>(trimmed) {
        return Ok(vec![one]);
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|error| InputError::Json {
                source_name: source_name.to_owned(),
                line: i + 1,
                error,
            })
        })
        .collect()
}
