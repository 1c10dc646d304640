//! A tiny in-test OTLP/HTTP receiver (protobuf, optionally gzip) and a
//! scorer over what it received: lineage from the declarations, then the
//! collector's default scorer on every span.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use reshimu_intent::attr;
use reshimu_intent::score::{
    Context, DefaultScorer, IntentChain, PreparedIntent, Score, Scorer, SessionMemory,
};
use reshimu_intent::span::SpanView;
use reshimu_intent::{AttrValueRef, IntentSpec};

/// Spans received, with their resource's `service.name`.
#[derive(Clone, Default)]
pub struct Received(Arc<Mutex<Vec<(String, Span)>>>);

impl Received {
    pub fn spans(&self) -> Vec<(String, Span)> {
        self.0.lock().unwrap().clone()
    }
}

/// Starts the receiver; returns its base URL (`http://127.0.0.1:PORT`).
pub async fn receiver() -> (String, Received) {
    let received = Received::default();
    let app = Router::new()
        .route("/v1/traces", post(traces))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn traces(State(r): State<Received>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let body = if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        body.to_vec()
    };
    let Ok(req) = ExportTraceServiceRequest::decode(&body[..]) else {
        return StatusCode::BAD_REQUEST;
    };
    let mut out = r.0.lock().unwrap();
    for rs in req.resource_spans {
        let service = rs
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|kv| kv.key == "service.name")
            .map(|kv| string(kv.value.as_ref()).unwrap_or_default())
            .unwrap_or_default();
        for ss in rs.scope_spans {
            for s in ss.spans {
                out.push((service.clone(), s));
            }
        }
    }
    StatusCode::OK
}

pub fn string(v: Option<&AnyValue>) -> Option<String> {
    match v?.value.as_ref()? {
        Value::StringValue(s) => Some(s.clone()),
        Value::IntValue(i) => Some(i.to_string()),
        Value::DoubleValue(d) => Some(d.to_string()),
        Value::BoolValue(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The string form of a span attribute.
pub fn get(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| string(kv.value.as_ref()))
}

fn value_ref(v: Option<&AnyValue>) -> AttrValueRef<'_> {
    match v.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => AttrValueRef::Str(s),
        Some(Value::IntValue(i)) => AttrValueRef::Int(*i),
        Some(Value::ArrayValue(a)) => AttrValueRef::StrArray(
            a.values
                .iter()
                .filter_map(|v| match v.value.as_ref() {
                    Some(Value::StringValue(s)) => Some(s.as_str()),
                    _ => None,
                })
                .collect(),
        ),
        _ => AttrValueRef::Other,
    }
}

/// One scored span.
#[derive(Debug, Clone)]
pub struct Scored {
    pub name: String,
    pub agent: Option<String>,
    pub score: Score,
}

/// Rebuilds the intents declared in `spans` (bullets, or a contraction text
/// with a parent id, as the collector reads them) and scores every span
/// against its chain. Panics on a span without an intent id or on an intent
/// that never arrived: in the reference session neither may happen.
pub fn score_all(spans: &[(String, Span)]) -> Vec<Scored> {
    let mut declared: HashMap<String, (IntentSpec, Option<String>)> = HashMap::new();
    for (_, s) in spans {
        let Some(id) = get(s, attr::INTENT_ID) else {
            continue;
        };
        let parent = get(s, attr::INTENT_PARENT_ID);
        let spec = IntentSpec::from_attributes(
            s.attributes
                .iter()
                .map(|kv| (kv.key.as_str(), value_ref(kv.value.as_ref()))),
        )
        .unwrap()
        .map(|d| {
            assert!(
                matches!(d.check_digest(), reshimu_intent::DigestCheck::Matches),
                "digest of {}",
                s.name
            );
            d.spec
        })
        .or_else(|| {
            let task = get(s, attr::CONTRACTION)?;
            parent.as_ref()?;
            Some(IntentSpec {
                objective: task,
                ..IntentSpec::default()
            })
        });
        if let Some(spec) = spec {
            if let Some((prev, prev_parent)) = declared.get(&id) {
                assert_eq!(
                    (prev, prev_parent),
                    (&spec, &parent),
                    "intent {id} declared twice, differently"
                );
            }
            declared.insert(id, (spec, parent));
        }
    }
    let prepared: HashMap<&str, PreparedIntent> = declared
        .iter()
        .map(|(id, (spec, _))| (id.as_str(), PreparedIntent::new(spec.clone()).unwrap()))
        .collect();
    let scorer = DefaultScorer::default();
    // As the collector scores a session: in start order, with what the
    // session has seen (one session here) and each span's parent's score.
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].1.start_time_unix_nano, i));
    let mut memory = SessionMemory::default();
    let mut by_span: HashMap<&[u8], Score> = HashMap::new();
    let mut out: Vec<Option<Scored>> = (0..spans.len()).map(|_| None).collect();
    for i in order {
        let s = &spans[i].1;
        let id = get(s, attr::INTENT_ID).unwrap_or_else(|| panic!("span {} has no intent", s.name));
        let mut chain_ids = vec![id.clone()];
        while let Some((_, Some(parent))) = declared.get(chain_ids.last().unwrap()) {
            chain_ids.push(parent.clone());
        }
        chain_ids.reverse();
        let levels: Vec<&PreparedIntent> = chain_ids
            .iter()
            .map(|i| {
                prepared
                    .get(i.as_str())
                    .unwrap_or_else(|| panic!("intent {i} never declared"))
            })
            .collect();
        assert_eq!(
            get(s, attr::DELEGATION_DEPTH),
            Some((levels.len() - 1).to_string()),
            "depth of {}",
            s.name
        );
        let chain = IntentChain::new(&levels).unwrap();
        let strings: Vec<(String, String)> = s
            .attributes
            .iter()
            .filter_map(|kv| Some((kv.key.clone(), string(kv.value.as_ref())?)))
            .collect();
        let view = SpanView::from_attributes(
            &s.name,
            strings.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        memory.observe_inputs(&view);
        let context = Context {
            memory: Some(&memory),
            parent: by_span.get(s.parent_span_id.as_slice()),
            ..Context::default()
        };
        let score = scorer.score(&chain, &view, &context);
        memory.observe_outputs(&view);
        memory.observe_score(&view, &score);
        by_span.insert(s.span_id.as_slice(), score.clone());
        out[i] = Some(Scored {
            name: s.name.clone(),
            agent: get(s, "gen_ai.agent.name"),
            score,
        });
    }
    out.into_iter().flatten().collect()
}
