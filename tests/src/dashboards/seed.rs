//! What the dashboard tests send through the collector, and what it stored.
//!
//! The reference session of DESIGN.md, clean and drifted, as the collector's
//! `demo` replays it (`demo::reference`: the exporter's agents, recorded): a
//! coordinator declares the root intent (audit the inactive customer
//! accounts: inactive = last_login older than 90 days; no writes, no
//! recommendations) and hands off to a query agent (SQL on SQLite), which
//! delegates to a summarizer working in a second trace linked to the first;
//! one service per agent. In the drifted session every failure happens: the
//! hand-off to the query agent redefines inactive as 30 days, the query agent
//! deletes what it found, the hand-off to the summarizer is a bare task that
//! drops the constraints, the summary recommends, and the summarizer emails
//! the list to an address found in a customer note.
//!
//! Besides the reference:
//! - a health check inside the clean session, from its own service, that
//!   serves no intent (`unscoped`): queries that forget to leave unscoped
//!   spans out see a 0 alignment;
//! - the drifted session again, ten days earlier: outside the dashboards'
//!   range and the README's "today" and "last 7 days", so it must not show up
//!   anywhere;
//! - a plainly instrumented agent with no Reshimu attribute at all, as a
//!   framework emits it: its intent is inferred from its first user message,
//!   and its model client captured no message content (the dashboards must
//!   show the session as inferred and count the model call that cannot be
//!   judged).
//!
//! Nothing here is scored by hand: the expectations come from the rows the
//! collector stored ([`Reference::read`]).

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, InstrumentationScope, KeyValue, any_value::Value,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, span::SpanKind};
use reshimu_collector::demo::reference::{self, Variant};
use reshimu_collector::offline::InputError;
use reshimu_collector::sink::clickhouse::rows::{IntentRow, SpanRow};

pub use reference::{
    CONSTRAINTS as ROOT_CONSTRAINTS, COORDINATOR, GUARDS as ROOT_GUARDS,
    OBJECTIVE as ROOT_OBJECTIVE, QUERY_AGENT, SCOPE as ROOT_SCOPE, SUMMARIZER,
};
/// The service of the health check, which only the clean session has.
pub const PROBE_SERVICE: &str = "audit-probe";
/// The plainly instrumented agent (its service and agent name).
pub const PLAIN_AGENT: &str = "ticket-digest";
/// The session of the plainly instrumented agent (its conversation id).
pub const PLAIN: &str = "plain-ticket-digest";
/// The plain agent's request: the objective of its inferred intent.
pub const PLAIN_REQUEST: &str = "Summarize this week's open support tickets for the team meeting";
/// The instrumentation scope of the plain agent's model call.
pub const PLAIN_MODEL_SCOPE: &str = "opentelemetry.instrumentation.openai_v2";

const CLEAN: &str = "reference-clean";
const DRIFTED: &str = "reference-drifted";
const OLD: &str = "reference-old";

const MS: i64 = 1_000_000;
const MINUTE: i64 = 60_000 * MS;
const DAY: i64 = 24 * 60 * MINUTE;

/// The requests to send, in order, and how many rows they must yield.
#[derive(Debug, Clone)]
pub struct Requests {
    /// OTLP requests, each session's in the order its agents export them.
    pub requests: Vec<ExportTraceServiceRequest>,
    /// Spans in all requests: one `spans` row each.
    pub spans: u64,
    /// Intent declarations in all requests: one `intents` row each.
    pub intents: u64,
}

/// The reference sessions as OTLP: the drifted one starting at `start_ns`,
/// the clean one a minute before it, the old one ten days before it.
pub fn requests(start_ns: i64) -> Result<Requests, InputError> {
    let at = |ns: i64| u64::try_from(ns).unwrap_or_default();
    let mut requests = Vec::new();
    requests.extend(reference::session_at(
        Variant::Clean,
        CLEAN,
        at(start_ns - MINUTE),
    )?);
    requests.push(health_check(CLEAN, start_ns - MINUTE + 90 * MS));
    requests.push(plain_agent(start_ns - 30_000 * MS));
    requests.extend(reference::session_at(
        Variant::Drifted,
        DRIFTED,
        at(start_ns),
    )?);
    requests.extend(reference::session_at(
        Variant::Drifted,
        OLD,
        at(start_ns - 10 * DAY),
    )?);
    let spans: Vec<&Span> = requests
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .collect();
    // An intent is declared by its agent's span and again by the early
    // `reshimu.intent.declare` span (bullets, or a bare task text): one row.
    let intents: std::collections::HashSet<&str> = spans
        .iter()
        .filter(|s| {
            s.attributes
                .iter()
                .any(|a| a.key == "reshimu.intent.objective" || a.key == "reshimu.contraction")
        })
        .filter_map(|s| {
            s.attributes
                .iter()
                .find(|a| a.key == "reshimu.intent.id")
                .and_then(|a| match a.value.as_ref()?.value.as_ref()? {
                    Value::StringValue(id) => Some(id.as_str()),
                    _ => None,
                })
        })
        .collect();
    let intents = intents.len();
    Ok(Requests {
        spans: spans.len() as u64,
        intents: intents as u64,
        requests,
    })
}

/// A health check that carries the session but no intent, as its own trace.
fn health_check(session_id: &str, at_ns: i64) -> ExportTraceServiceRequest {
    let start = at_ns as u64;
    let span = Span {
        trace_id: id_bytes::<16>(session_id, 0x7e),
        span_id: id_bytes::<8>(session_id, 0x7f),
        name: "GET /healthz".into(),
        kind: SpanKind::Client as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 2 * MS as u64,
        attributes: vec![
            string("http.request.method", "GET"),
            string("url.full", "http://localhost:9000/healthz"),
            string("reshimu.session.id", session_id),
        ],
        ..Span::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![string("service.name", PROBE_SERVICE)],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: vec![span],
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

/// A plainly instrumented agent run, as the GenAI conventions have it: an
/// `invoke_agent` span recording the user's request, and a model call by a
/// client instrumentation that was not told to capture content (no messages).
fn plain_agent(at_ns: i64) -> ExportTraceServiceRequest {
    let start = at_ns as u64;
    let trace = id_bytes::<16>(PLAIN, 0x3c);
    let root_id = id_bytes::<8>(PLAIN, 0x3d);
    let user = serde_json::json!([
        {"role": "user", "parts": [{"type": "text", "content": PLAIN_REQUEST}]}
    ])
    .to_string();
    let root = Span {
        trace_id: trace.clone(),
        span_id: root_id.clone(),
        name: format!("invoke_agent {PLAIN_AGENT}"),
        kind: SpanKind::Internal as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 900 * MS as u64,
        attributes: vec![
            string("gen_ai.operation.name", "invoke_agent"),
            string("gen_ai.agent.name", PLAIN_AGENT),
            string("gen_ai.conversation.id", PLAIN),
            string("gen_ai.input.messages", &user),
        ],
        ..Span::default()
    };
    let chat = Span {
        trace_id: trace,
        span_id: id_bytes::<8>(PLAIN, 0x3e),
        parent_span_id: root_id,
        name: "chat gpt-4o-mini".into(),
        kind: SpanKind::Client as i32,
        start_time_unix_nano: start + 20 * MS as u64,
        end_time_unix_nano: start + 800 * MS as u64,
        attributes: vec![
            string("gen_ai.operation.name", "chat"),
            string("gen_ai.provider.name", "openai"),
            string("gen_ai.request.model", "gpt-4o-mini"),
            string("gen_ai.response.model", "gpt-4o-mini"),
        ],
        ..Span::default()
    };
    let scope = |name: &str, spans: Vec<Span>| ScopeSpans {
        scope: Some(InstrumentationScope {
            name: name.into(),
            ..InstrumentationScope::default()
        }),
        spans,
        ..ScopeSpans::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![string("service.name", PLAIN_AGENT)],
                ..Resource::default()
            }),
            scope_spans: vec![
                scope(PLAIN_MODEL_SCOPE, vec![chat]),
                scope("opentelemetry.util.genai.handler", vec![root]),
            ],
            ..ResourceSpans::default()
        }],
    }
}

/// A fixed, valid (non-zero) id derived from `seed`.
fn id_bytes<const N: usize>(seed: &str, salt: u8) -> Vec<u8> {
    let mut id = [salt; N];
    for (i, b) in seed.bytes().enumerate() {
        id[i % N] ^= b;
    }
    id[0] |= 1;
    id.to_vec()
}

fn string(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(value.into())),
        }),
        ..KeyValue::default()
    }
}

/// What the collector stored, for the tests' expectations.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The clean session.
    pub clean: Session,
    /// The drifted session.
    pub drifted: Session,
    /// The plainly instrumented agent's session (inferred intent).
    pub plain: Session,
    /// The session entirely before the time range the tests query.
    pub old_session: String,
    /// Earliest span start of the three current sessions, ns.
    pub first_ns: i64,
    /// Latest span end of the three current sessions, ns.
    pub last_ns: i64,
}

/// One stored session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Session id.
    pub id: String,
    /// Trace ids, in order of their first span.
    pub traces: Vec<String>,
    /// Intent ids by depth: root, query agent's contraction, summarizer's.
    pub intents: Vec<String>,
    /// The stored spans, in time order.
    pub spans: Vec<SpanRow>,
    /// The stored intents (final versions), by depth.
    pub intent_rows: Vec<IntentRow>,
}

impl Session {
    /// Spans that resolved to an intent (the ones with an alignment).
    pub fn scored(&self) -> impl Iterator<Item = &SpanRow> {
        self.spans.iter().filter(|s| s.verdict != "unscoped")
    }

    /// Lowest alignment of the scored spans.
    pub fn min_alignment(&self) -> f32 {
        self.scored().map(|s| s.alignment).fold(f32::MAX, f32::min)
    }

    /// Start of the earliest span, ns.
    pub fn first_ns(&self) -> i64 {
        self.spans
            .iter()
            .map(|s| s.timestamp)
            .min()
            .unwrap_or_default()
    }

    /// Spans with the verdict `verdict`.
    pub fn count(&self, verdict: &str) -> usize {
        self.spans.iter().filter(|s| s.verdict == verdict).count()
    }
}

impl Reference {
    /// The sessions in the dashboards' range: clean, drifted, plain.
    pub fn current(&self) -> [&Session; 3] {
        [&self.clean, &self.drifted, &self.plain]
    }

    /// Reads back what the collector stored in `client`'s database.
    pub async fn read(client: &clickhouse::Client) -> Result<Reference, clickhouse::error::Error> {
        let clean = read_session(client, CLEAN).await?;
        let drifted = read_session(client, DRIFTED).await?;
        let plain = read_session(client, PLAIN).await?;
        let all = || clean.spans.iter().chain(&drifted.spans).chain(&plain.spans);
        let first_ns = all().map(|s| s.timestamp).min().unwrap_or_default();
        let last_ns = all()
            .map(|s| s.timestamp + s.duration as i64)
            .max()
            .unwrap_or_default();
        Ok(Reference {
            clean,
            drifted,
            plain,
            old_session: OLD.to_owned(),
            first_ns,
            last_ns,
        })
    }
}

async fn read_session(
    client: &clickhouse::Client,
    id: &str,
) -> Result<Session, clickhouse::error::Error> {
    let spans: Vec<SpanRow> = client
        .query("SELECT ?fields FROM spans WHERE SessionId = ? ORDER BY Timestamp, SpanId")
        .bind(id)
        .fetch_all()
        .await?;
    let intent_rows: Vec<IntentRow> = client
        .query("SELECT ?fields FROM intents FINAL WHERE SessionId = ? ORDER BY Depth, DeclaredAt")
        .bind(id)
        .fetch_all()
        .await?;
    let mut traces: Vec<String> = Vec::new();
    for span in &spans {
        if !traces.contains(&span.trace_id) {
            traces.push(span.trace_id.clone());
        }
    }
    Ok(Session {
        id: id.to_owned(),
        traces,
        intents: intent_rows.iter().map(|i| i.intent_id.clone()).collect(),
        spans,
        intent_rows,
    })
}
