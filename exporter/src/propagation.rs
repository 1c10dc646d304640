//! Carrying the intent across processes: W3C Trace Context plus W3C Baggage
//! with `reshimu.intent.id`, `reshimu.intent.root_id`, `reshimu.session.id` and
//! `reshimu.delegation.depth`, so a sub-agent in another process continues the
//! lineage (and its spans are stamped) whatever language it is written in.

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use opentelemetry::Context;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};

use crate::scope::{IntentIds, context_with_ids};

/// Writes the trace context and the intent baggage of `cx` into `carrier`.
///
/// The baggage already in `cx` is kept; the four `reshimu.*` entries are set
/// from the intent in force, overriding stale values.
pub fn inject_context(cx: &Context, carrier: &mut dyn Injector) {
    let with_ids;
    let cx = match IntentIds::from_context(cx) {
        Some(ids) => {
            with_ids = cx.with_baggage(
                cx.baggage()
                    .iter()
                    .map(|(k, (v, _))| opentelemetry::KeyValue::new(k.clone(), v.clone()))
                    .chain(ids.baggage_entries()),
            );
            &with_ids
        }
        None => cx,
    };
    TraceContextPropagator::new().inject_context(cx, carrier);
    BaggagePropagator::new().inject_context(cx, carrier);
}

/// Reads the trace context and baggage from `carrier` into a new context
/// (child of the current one). When the baggage names an intent, the context
/// carries it as the intent in force, so spans started under it are stamped
/// on the processor's fast path.
pub fn extract_context(carrier: &dyn Extractor) -> Context {
    let cx = Context::current();
    let cx = TraceContextPropagator::new().extract_with_context(&cx, carrier);
    let cx = BaggagePropagator::new().extract_with_context(&cx, carrier);
    match IntentIds::from_baggage(&cx) {
        Some(ids) => context_with_ids(&cx, ids),
        None => cx,
    }
}

/// [`inject_context`] into HTTP request headers.
pub fn inject(cx: &Context, headers: &mut HeaderMap) {
    inject_context(cx, &mut HeaderInjector(headers));
}

/// [`extract_context`] from HTTP request headers.
pub fn extract(headers: &HeaderMap) -> Context {
    extract_context(&HeaderExtractor(headers))
}

/// [`Injector`] over an [`http::HeaderMap`]. Keys or values that are not valid
/// header text are skipped: the propagators only produce valid ones.
#[derive(Debug)]
pub struct HeaderInjector<'a>(pub &'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// [`Extractor`] over an [`http::HeaderMap`].
#[derive(Debug)]
pub struct HeaderExtractor<'a>(pub &'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::IntentIds;
    use reshimu_intent::attr;
    use std::sync::Arc;

    fn ids() -> IntentIds {
        IntentIds {
            intent_id: Arc::from("child"),
            root_id: Arc::from("root"),
            session_id: Arc::from("s-1"),
            depth: 2,
        }
    }

    #[test]
    fn round_trip_through_headers_keeps_ids_and_other_baggage() {
        let cx = Context::new().with_baggage([opentelemetry::KeyValue::new("tenant", "acme")]);
        let cx = context_with_ids(&cx, ids());
        let mut headers = HeaderMap::new();
        inject(&cx, &mut headers);
        let baggage = headers.get("baggage").unwrap().to_str().unwrap();
        assert!(baggage.contains("reshimu.intent.id=child"), "{baggage}");
        assert!(baggage.contains("tenant=acme"), "{baggage}");

        let back = extract(&headers);
        assert_eq!(IntentIds::from_context(&back), Some(ids()));
        assert_eq!(
            back.baggage()
                .get(attr::DELEGATION_DEPTH)
                .map(|v| v.as_str().to_owned()),
            Some("2".to_owned())
        );
        assert_eq!(
            back.baggage().get("tenant").map(|v| v.as_str().to_owned()),
            Some("acme".to_owned())
        );
    }

    #[test]
    fn no_intent_no_reshimu_baggage() {
        let mut headers = HeaderMap::new();
        inject(&Context::new(), &mut headers);
        assert!(headers.get("baggage").is_none());
        assert_eq!(IntentIds::from_context(&extract(&headers)), None);
    }
}
