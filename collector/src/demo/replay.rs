//! Replaying recorded OTLP: every id of a recording renamed consistently
//! (trace and span ids with their parents and links, the intent and session
//! ids the attributes carry) and every time moved, durations kept.
//!
//! The collector's `demo` replays the exporter's reference session this way
//! with fresh ids and the current time; the test that records it
//! (`tests/tests/recorded_reference.rs`) uses the same renaming with numbered
//! placeholders, so recordings compare equal whatever ids they were made with.

use std::collections::HashMap;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::Span;
use reshimu_intent::attr::{self, foreign};

/// Attributes whose value is an intent id.
const INTENT_ID_KEYS: [&str; 3] = [
    attr::INTENT_ID,
    attr::INTENT_PARENT_ID,
    attr::INTENT_ROOT_ID,
];
/// Attributes whose value is a session id.
const SESSION_ID_KEYS: [&str; 2] = [attr::SESSION_ID, foreign::GEN_AI_CONVERSATION_ID];

/// What the ids are renamed to.
#[derive(Debug, Clone, Copy)]
pub enum Renaming<'a> {
    /// Numbered in order of first appearance: trace `000…01`, span
    /// `00000000000000001`, intents `intent-1`, sessions `session-1`. The
    /// form recordings are stored and compared in.
    Numbered,
    /// Random trace, span and intent ids (intents as 32 hex digits, as the
    /// exporter makes them); every session id becomes `session`.
    Fresh {
        /// The session id to replay as.
        session: &'a str,
    },
}

/// Renames every id of `requests` as `renaming` says. The same old id always
/// becomes the same new one, so parents, links and intent references still
/// point where they did; an id that only appears as a parent or link target
/// (a span outside the recording) is renamed too.
///
/// ```
/// use reshimu_collector::demo::otlp::{request, string};
/// use reshimu_collector::demo::replay::{Renaming, rename_ids};
/// use opentelemetry_proto::tonic::trace::v1::Span;
/// let span = |id: u8, parent: Option<u8>| Span {
///     trace_id: vec![7; 16],
///     span_id: vec![id; 8],
///     parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
///     attributes: vec![string("reshimu.intent.id", "a1b2")],
///     ..Span::default()
/// };
/// let mut requests = vec![request("agent", vec![span(9, None), span(5, Some(9))])];
/// rename_ids(&mut requests, Renaming::Numbered);
/// let spans = &requests[0].resource_spans[0].scope_spans[0].spans;
/// assert_eq!(spans[0].trace_id, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
/// assert_eq!(spans[0].span_id, [0, 0, 0, 0, 0, 0, 0, 1]);
/// assert_eq!(spans[1].parent_span_id, spans[0].span_id);
/// ```
pub fn rename_ids(requests: &mut [ExportTraceServiceRequest], renaming: Renaming<'_>) {
    let mut names = Names {
        renaming,
        traces: HashMap::new(),
        spans: HashMap::new(),
        texts: HashMap::new(),
        intents: 0,
        sessions: 0,
    };
    // First the ids the id-bearing attributes hold, so that a value equal to
    // one of them anywhere else (an event, a link) is renamed alike.
    for span in spans_mut(requests) {
        for kv in &span.attributes {
            if let Some(text) = string_value(kv) {
                if INTENT_ID_KEYS.contains(&kv.key.as_str()) {
                    names.text(text, false);
                } else if SESSION_ID_KEYS.contains(&kv.key.as_str()) {
                    names.text(text, true);
                }
            }
        }
    }
    for span in spans_mut(requests) {
        span.trace_id = names.trace(&span.trace_id);
        span.span_id = names.span(&span.span_id);
        if !span.parent_span_id.is_empty() {
            span.parent_span_id = names.span(&span.parent_span_id);
        }
        for link in &mut span.links {
            link.trace_id = names.trace(&link.trace_id);
            link.span_id = names.span(&link.span_id);
        }
        let attributes = span
            .attributes
            .iter_mut()
            .chain(span.events.iter_mut().flat_map(|e| &mut e.attributes))
            .chain(span.links.iter_mut().flat_map(|l| &mut l.attributes));
        for kv in attributes {
            if let Some(Value::StringValue(text)) = kv.value.as_mut().and_then(|v| v.value.as_mut())
                && let Some(new) = names.texts.get(text.as_str())
            {
                *text = new.clone();
            }
        }
    }
}

/// Moves every time of `requests` (span starts and ends, event times) so the
/// earliest span starts at `start_unix_nano`; durations and gaps are kept.
///
/// ```
/// use reshimu_collector::demo::otlp::request;
/// use reshimu_collector::demo::replay::shift_times;
/// use opentelemetry_proto::tonic::trace::v1::Span;
/// let span = |start: u64, end: u64| Span { start_time_unix_nano: start, end_time_unix_nano: end, ..Span::default() };
/// let mut requests = vec![request("agent", vec![span(500, 900), span(300, 1_000)])];
/// shift_times(&mut requests, 10);
/// let spans = &requests[0].resource_spans[0].scope_spans[0].spans;
/// assert_eq!((spans[0].start_time_unix_nano, spans[0].end_time_unix_nano), (210, 610));
/// assert_eq!((spans[1].start_time_unix_nano, spans[1].end_time_unix_nano), (10, 710));
/// ```
pub fn shift_times(requests: &mut [ExportTraceServiceRequest], start_unix_nano: u64) {
    let Some(first) = spans_mut(requests)
        .map(|s| s.start_time_unix_nano)
        .filter(|t| *t > 0)
        .min()
    else {
        return;
    };
    let shift = i128::from(start_unix_nano) - i128::from(first);
    let moved = |t: &mut u64| {
        if *t > 0 {
            *t = u64::try_from((i128::from(*t) + shift).max(1)).unwrap_or(u64::MAX);
        }
    };
    for span in spans_mut(requests) {
        moved(&mut span.start_time_unix_nano);
        moved(&mut span.end_time_unix_nano);
        for event in &mut span.events {
            moved(&mut event.time_unix_nano);
        }
    }
}

/// Every span of `requests`, in order.
pub fn spans_mut(requests: &mut [ExportTraceServiceRequest]) -> impl Iterator<Item = &mut Span> {
    requests
        .iter_mut()
        .flat_map(|r| &mut r.resource_spans)
        .flat_map(|r| &mut r.scope_spans)
        .flat_map(|s| &mut s.spans)
}

fn string_value(kv: &KeyValue) -> Option<&str> {
    match kv.value.as_ref() {
        Some(AnyValue {
            value: Some(Value::StringValue(s)),
        }) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// The renaming tables, filled as ids are met.
struct Names<'a> {
    renaming: Renaming<'a>,
    traces: HashMap<Vec<u8>, Vec<u8>>,
    spans: HashMap<Vec<u8>, Vec<u8>>,
    texts: HashMap<String, String>,
    intents: usize,
    sessions: usize,
}

impl Names<'_> {
    fn trace(&mut self, old: &[u8]) -> Vec<u8> {
        let (renaming, n) = (self.renaming, self.traces.len() + 1);
        self.traces
            .entry(old.to_vec())
            .or_insert_with(|| new_binary_id::<16>(renaming, n))
            .clone()
    }

    fn span(&mut self, old: &[u8]) -> Vec<u8> {
        let (renaming, n) = (self.renaming, self.spans.len() + 1);
        self.spans
            .entry(old.to_vec())
            .or_insert_with(|| new_binary_id::<8>(renaming, n))
            .clone()
    }

    fn text(&mut self, old: &str, session: bool) {
        if self.texts.contains_key(old) {
            return;
        }
        let new = match (self.renaming, session) {
            (Renaming::Numbered, true) => {
                self.sessions += 1;
                format!("session-{}", self.sessions)
            }
            (Renaming::Numbered, false) => {
                self.intents += 1;
                format!("intent-{}", self.intents)
            }
            (Renaming::Fresh { session: name }, true) => name.to_owned(),
            (Renaming::Fresh { .. }, false) => format!("{:032x}", fastrand::u128(..)),
        };
        self.texts.insert(old.to_owned(), new);
    }
}

/// Id number `n` (big-endian) or a random one; never all zeros, which OTLP
/// reads as no id.
fn new_binary_id<const N: usize>(renaming: Renaming<'_>, n: usize) -> Vec<u8> {
    let mut id = [0u8; N];
    match renaming {
        Renaming::Numbered => {
            let bytes = (n as u64).to_be_bytes();
            id[N - bytes.len()..].copy_from_slice(&bytes);
        }
        Renaming::Fresh { .. } => {
            for b in &mut id {
                *b = fastrand::u8(..);
            }
            id[0] |= 1;
        }
    }
    id.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::otlp::{request, string};
    use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};

    fn recorded() -> Vec<ExportTraceServiceRequest> {
        let root = Span {
            trace_id: vec![0xaa; 16],
            span_id: vec![0x11; 8],
            start_time_unix_nano: 1_000,
            end_time_unix_nano: 5_000,
            attributes: vec![
                string("reshimu.intent.id", "root-intent"),
                string("reshimu.session.id", "sess"),
                string("gen_ai.conversation.id", "sess"),
                string("note", "untouched"),
            ],
            ..Span::default()
        };
        let linked = Span {
            trace_id: vec![0xbb; 16],
            span_id: vec![0x22; 8],
            start_time_unix_nano: 2_000,
            end_time_unix_nano: 3_000,
            attributes: vec![
                string("reshimu.intent.id", "child-intent"),
                string("reshimu.intent.parent_id", "root-intent"),
            ],
            links: vec![Link {
                trace_id: vec![0xaa; 16],
                span_id: vec![0x11; 8],
                ..Link::default()
            }],
            events: vec![Event {
                time_unix_nano: 2_500,
                name: "e".into(),
                attributes: vec![string("about", "child-intent")],
                ..Event::default()
            }],
            ..Span::default()
        };
        vec![request("a", vec![linked]), request("b", vec![root])]
    }

    fn attr<'a>(span: &'a Span, key: &str) -> &'a str {
        span.attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(string_value)
            .unwrap_or_default()
    }

    #[test]
    fn fresh_ids_keep_every_reference_and_name_the_session() {
        let mut requests = recorded();
        rename_ids(&mut requests, Renaming::Fresh { session: "demo-1" });
        let spans: Vec<Span> = spans_mut(&mut requests).map(|s| s.clone()).collect();
        let (linked, root) = (&spans[0], &spans[1]);
        assert_ne!(root.trace_id, vec![0xaa; 16]);
        assert_eq!(linked.links[0].trace_id, root.trace_id);
        assert_eq!(linked.links[0].span_id, root.span_id);
        assert_eq!(attr(root, "reshimu.session.id"), "demo-1");
        assert_eq!(attr(root, "gen_ai.conversation.id"), "demo-1");
        let root_intent = attr(root, "reshimu.intent.id");
        assert_eq!(root_intent.len(), 32);
        assert_ne!(root_intent, "root-intent");
        assert_eq!(attr(linked, "reshimu.intent.parent_id"), root_intent);
        let child = attr(linked, "reshimu.intent.id");
        assert_ne!(child, root_intent);
        assert_eq!(
            string_value(&linked.events[0].attributes[0]),
            Some(child),
            "an id elsewhere is renamed alike"
        );
        assert_eq!(attr(root, "note"), "untouched");
    }

    #[test]
    fn numbered_ids_do_not_depend_on_the_recorded_ones() {
        let mut a = recorded();
        let mut b = recorded();
        for span in spans_mut(&mut b) {
            span.trace_id[3] ^= 0x5a;
            span.span_id[1] ^= 0x33;
            for link in &mut span.links {
                link.trace_id[3] ^= 0x5a;
                link.span_id[1] ^= 0x33;
            }
        }
        rename_ids(&mut a, Renaming::Numbered);
        rename_ids(&mut b, Renaming::Numbered);
        assert_eq!(a, b);
        let spans: Vec<Span> = spans_mut(&mut a).map(|s| s.clone()).collect();
        // In order of first appearance: the linked span comes first.
        assert_eq!(attr(&spans[0], "reshimu.intent.id"), "intent-1");
        assert_eq!(attr(&spans[0], "reshimu.intent.parent_id"), "intent-2");
        assert_eq!(attr(&spans[1], "reshimu.intent.id"), "intent-2");
        assert_eq!(attr(&spans[1], "reshimu.session.id"), "session-1");
    }

    #[test]
    fn times_move_together() {
        let mut requests = recorded();
        shift_times(&mut requests, 1_000_000);
        let spans: Vec<Span> = spans_mut(&mut requests).map(|s| s.clone()).collect();
        assert_eq!(spans[1].start_time_unix_nano, 1_000_000);
        assert_eq!(spans[1].end_time_unix_nano, 1_004_000);
        assert_eq!(spans[0].start_time_unix_nano, 1_001_000);
        assert_eq!(spans[0].events[0].time_unix_nano, 1_001_500);
    }
}
