//! The intent a piece of work runs under, as carried in the OpenTelemetry
//! [`Context`]: ids only, cheap to clone, read by the span processor on every
//! span start.

use std::sync::Arc;

use opentelemetry::baggage::BaggageExt;
use opentelemetry::{Context, Key, KeyValue, StringValue, Value};
use reshimu_intent::attr;

/// The ids that tie a span to its intent lineage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentIds {
    /// The intent in force (`reshimu.intent.id`).
    pub intent_id: Arc<str>,
    /// The root intent of the lineage (`reshimu.intent.root_id`).
    pub root_id: Arc<str>,
    /// The session (`reshimu.session.id`).
    pub session_id: Arc<str>,
    /// Delegation depth: 0 at the root, +1 per contraction (`reshimu.delegation.depth`).
    pub depth: u32,
}

impl IntentIds {
    /// The ids the current context carries (from a session, or from W3C
    /// Baggage extracted from a request), if any.
    pub fn current() -> Option<IntentIds> {
        Context::map_current(IntentIds::from_context)
    }

    /// The ids `cx` carries: the session's scope first, then W3C Baggage.
    pub fn from_context(cx: &Context) -> Option<IntentIds> {
        match cx.get::<Stamp>() {
            Some(stamp) => Some(stamp.scope.ids.clone()),
            None => IntentIds::from_baggage(cx),
        }
    }

    /// Reads the ids from W3C Baggage. The intent id is required; a missing
    /// root falls back to the intent id, a missing session to the root (the
    /// fallbacks the collector applies), a missing or malformed depth to 0.
    pub fn from_baggage(cx: &Context) -> Option<IntentIds> {
        let baggage = cx.baggage();
        let intent_id = non_empty(baggage.get(attr::INTENT_ID))?;
        let root_id =
            non_empty(baggage.get(attr::INTENT_ROOT_ID)).unwrap_or_else(|| intent_id.clone());
        let session_id =
            non_empty(baggage.get(attr::SESSION_ID)).unwrap_or_else(|| root_id.clone());
        let depth = baggage
            .get(attr::DELEGATION_DEPTH)
            .and_then(|d| d.as_str().trim().parse().ok())
            .unwrap_or(0);
        Some(IntentIds {
            intent_id,
            root_id,
            session_id,
            depth,
        })
    }

    /// The four ids as W3C Baggage entries.
    pub fn baggage_entries(&self) -> [KeyValue; 4] {
        [
            KeyValue::new(attr::INTENT_ID, self.intent_id.to_string()),
            KeyValue::new(attr::INTENT_ROOT_ID, self.root_id.to_string()),
            KeyValue::new(attr::SESSION_ID, self.session_id.to_string()),
            KeyValue::new(attr::DELEGATION_DEPTH, self.depth.to_string()),
        ]
    }
}

fn non_empty(v: Option<&StringValue>) -> Option<Arc<str>> {
    let s = v?.as_str().trim();
    (!s.is_empty()).then(|| Arc::from(s))
}

/// Ids with their span attributes built once, so stamping a span clones four
/// `KeyValue`s (reference-counted strings) and allocates nothing else.
#[derive(Debug)]
pub(crate) struct Scope {
    pub(crate) ids: IntentIds,
    pub(crate) attributes: [KeyValue; 4],
}

impl Scope {
    pub(crate) fn new(ids: IntentIds) -> Arc<Scope> {
        let attributes = [
            KeyValue::new(
                Key::from_static_str(attr::INTENT_ID),
                Value::String(StringValue::from(ids.intent_id.clone())),
            ),
            KeyValue::new(
                Key::from_static_str(attr::INTENT_ROOT_ID),
                Value::String(StringValue::from(ids.root_id.clone())),
            ),
            KeyValue::new(
                Key::from_static_str(attr::SESSION_ID),
                Value::String(StringValue::from(ids.session_id.clone())),
            ),
            KeyValue::new(
                Key::from_static_str(attr::DELEGATION_DEPTH),
                Value::I64(i64::from(ids.depth)),
            ),
        ];
        Arc::new(Scope { ids, attributes })
    }
}

/// The context value the span processor reads: one lookup per span start.
///
/// `preset` marks the context a session uses to start its own spans, which
/// already carry the ids (they must, even without the processor installed):
/// the processor then leaves them alone instead of adding duplicates.
#[derive(Debug, Clone)]
pub(crate) struct Stamp {
    pub(crate) scope: Arc<Scope>,
    pub(crate) preset: bool,
}

/// `cx` with `ids` as the intent in force (for spans started under it).
///
/// Use this in a sub-agent whose context did not come through
/// [`crate::propagation::extract`] but whose ids are known.
pub fn context_with_ids(cx: &Context, ids: IntentIds) -> Context {
    cx.with_value(Stamp {
        scope: Scope::new(ids),
        preset: false,
    })
}
