//! The span processor: stamps every span started inside an intent context
//! with `reshimu.intent.id`, `reshimu.intent.root_id`, `reshimu.session.id` and
//! `reshimu.delegation.depth`, whichever library started the span.

use opentelemetry::Context;
use opentelemetry::trace::Span as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

use crate::scope::{IntentIds, Scope, Stamp};

/// Adds the intent ids of the parent context to every span at start.
///
/// The ids come from the context a [`Session`](crate::Session) made current
/// (one context lookup and four reference-counted clones per span), or, when
/// the context came over the wire through a propagator other than
/// [`crate::propagation::extract`], from W3C Baggage.
///
/// Install it on an existing provider:
///
/// ```
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// let provider = SdkTracerProvider::builder()
///     .with_span_processor(reshimu_exporter::ReshimuSpanProcessor::new())
///     .build();
/// # drop(provider);
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct ReshimuSpanProcessor {
    _private: (),
}

impl ReshimuSpanProcessor {
    /// A new processor; it holds no state.
    pub fn new() -> ReshimuSpanProcessor {
        ReshimuSpanProcessor::default()
    }
}

impl SpanProcessor for ReshimuSpanProcessor {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        match cx.get::<Stamp>() {
            Some(stamp) if stamp.preset => {}
            Some(stamp) => {
                for kv in &stamp.scope.attributes {
                    span.set_attribute(kv.clone());
                }
            }
            None => {
                // Rare path: a context extracted by someone else's propagator.
                if let Some(ids) = IntentIds::from_baggage(cx) {
                    for kv in Scope::new(ids).attributes.iter() {
                        span.set_attribute(kv.clone());
                    }
                }
            }
        }
    }

    fn on_end(&self, _span: SpanData) {}

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
}
