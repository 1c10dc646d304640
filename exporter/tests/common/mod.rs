//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use reshimu_exporter::ReshimuSpanProcessor;
use reshimu_intent::IntentSpec;

/// The seed intent of the design.
pub fn seed() -> IntentSpec {
    IntentSpec::reference()
}

/// A provider with the Reshimu processor and an in-memory exporter.
pub fn provider() -> (SdkTracerProvider, InMemorySpanExporter) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(ReshimuSpanProcessor::new())
        .with_simple_exporter(exporter.clone())
        .build();
    (provider, exporter)
}

/// A span's attributes by key; panics on a duplicate key (a stamping bug).
pub fn attrs(span: &SpanData) -> HashMap<String, Value> {
    let mut map = HashMap::new();
    for KeyValue { key, value, .. } in &span.attributes {
        assert!(
            map.insert(key.to_string(), value.clone()).is_none(),
            "span {} has {} twice",
            span.name,
            key
        );
    }
    map
}

/// The string form of an attribute.
pub fn get(span: &SpanData, key: &str) -> Option<String> {
    attrs(span).get(key).map(|v| v.as_str().into_owned())
}
pub mod otlp;
