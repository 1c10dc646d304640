//! Cost of the Reshimu span processor: starting and ending one span inside an
//! intent context, with the processor installed against without.
//!
//! `cargo bench -p reshimu-exporter --bench processor`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::{Span as _, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, Span, SpanData, SpanProcessor};
use reshimu_exporter::{IntentIds, ReshimuSpanProcessor, context_with_ids};
use std::time::Duration;

fn ids() -> IntentIds {
    IntentIds {
        intent_id: Arc::from("5b1f0c6e8e3a4d2b9c7a1e0f2d3c4b5a"),
        root_id: Arc::from("0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
        session_id: Arc::from("session-0123456789"),
        depth: 2,
    }
}

/// A processor that does nothing: isolates the stamping from the SDK's own
/// per-processor cost (building the span data handed to `on_end`).
#[derive(Debug)]
struct Noop;

impl SpanProcessor for Noop {
    fn on_start(&self, _: &mut Span, _: &Context) {}
    fn on_end(&self, _: SpanData) {}
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
        Ok(())
    }
}

fn bench(c: &mut Criterion) {
    let without = SdkTracerProvider::builder().build();
    let noop = SdkTracerProvider::builder()
        .with_span_processor(Noop)
        .build();
    let with = SdkTracerProvider::builder()
        .with_span_processor(ReshimuSpanProcessor::new())
        .build();
    let session_cx = context_with_ids(&Context::new(), ids());
    let baggage_cx = Context::new().with_baggage(ids().baggage_entries());

    let mut g = c.benchmark_group("span_start_end");
    for (name, provider, cx) in [
        ("no_processor", &without, &session_cx),
        ("noop_processor", &noop, &session_cx),
        ("with_processor_session_context", &with, &session_cx),
        ("with_processor_baggage_only", &with, &baggage_cx),
    ] {
        let tracer = provider.tracer("bench");
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut span = tracer.start_with_context(black_box("execute_tool run_sql"), cx);
                span.set_attribute(KeyValue::new("gen_ai.tool.name", "run_sql"));
                span.end();
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
