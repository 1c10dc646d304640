//! The collector's `demo` replays the exporter's reference session from a
//! recording (`collector/src/demo/recorded/`); this test makes that recording
//! and keeps it honest. It runs the exporter's session in process (topology
//! `chain`; drift `none` for the clean recording, `every` for the drifted
//! one) against an in-test OTLP/HTTP receiver, and compares what the agents
//! sent with the recording, ids, times and calendar dates aside (the dates are
//! the SQLite table's, relative to the day of the run).
//!
//! It fails when the exporter's output changed. To record again:
//!
//! ```sh
//! RESHIMU_RECORD=1 cargo test -p reshimu-e2e --test recorded_reference
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::PathBuf;
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
use reshimu_collector::demo::reference::{self, Variant};
use reshimu_collector::demo::replay::{Renaming, rename_ids, shift_times, spans_mut};
use reshimu_exporter::reference::{Drift, JOB_SPAN_NAME, Scenario, run_scenario};

/// Set to record instead of compare.
const RECORD_ENV: &str = "RESHIMU_RECORD";
/// Recordings start at 2026-01-01T00:00:00Z; the replay moves them to now.
const RECORDED_START_UNIX_NANO: u64 = 1_767_225_600_000_000_000;

/// What the in-test receiver got, request by request.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

async fn receiver() -> (String, Received) {
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
    let mut bytes = body.to_vec();
    if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .is_err()
        {
            return StatusCode::BAD_REQUEST;
        }
        bytes = out;
    }
    match ExportTraceServiceRequest::decode(&bytes[..]) {
        Ok(request) => {
            r.0.lock().unwrap().push(request);
            StatusCode::OK
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

fn scenario(variant: Variant) -> Scenario {
    match variant {
        Variant::Clean => Scenario::chain(Drift::None),
        Variant::Drifted => Scenario::chain(Drift::Every),
    }
}

/// Runs the exporter's session and returns what it sent, in the stored form:
/// ids numbered, times from [`RECORDED_START_UNIX_NANO`].
async fn record(variant: Variant) -> Vec<ExportTraceServiceRequest> {
    let (url, received) = receiver().await;
    run_scenario(&url, scenario(variant)).await.unwrap();
    let mut requests = received.0.lock().unwrap().clone();
    sort_resource_attributes(&mut requests);
    rename_ids(&mut requests, Renaming::Numbered);
    shift_times(&mut requests, RECORDED_START_UNIX_NANO);
    requests
}

/// The SDK keeps resource attributes in a hash map: their order changes from
/// run to run and means nothing.
fn sort_resource_attributes(requests: &mut [ExportTraceServiceRequest]) {
    for resource in requests
        .iter_mut()
        .flat_map(|r| &mut r.resource_spans)
        .filter_map(|rs| rs.resource.as_mut())
    {
        resource.attributes.sort_by(|a, b| a.key.cmp(&b.key));
    }
}

fn path(variant: Variant) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../collector")
        .join(variant.recording_path())
}

fn to_jsonl(requests: &[ExportTraceServiceRequest]) -> String {
    let mut out = String::new();
    for request in requests {
        out.push_str(&serde_json::to_string(request).unwrap());
        out.push('\n');
    }
    out
}

/// The spans of `requests` as compared: with their service, times zeroed,
/// calendar dates masked, as pretty JSON (request boundaries aside: a batch
/// may be cut anywhere).
fn comparable(requests: &[ExportTraceServiceRequest]) -> Vec<String> {
    let mut requests = requests.to_vec();
    sort_resource_attributes(&mut requests);
    for span in spans_mut(&mut requests) {
        span.start_time_unix_nano = 0;
        span.end_time_unix_nano = 0;
        for event in &mut span.events {
            event.time_unix_nano = 0;
        }
    }
    let mut out = Vec::new();
    for rs in requests.iter().flat_map(|r| &r.resource_spans) {
        let mut resource = serde_json::to_value(&rs.resource).unwrap();
        mask_dates(&mut resource);
        for ss in &rs.scope_spans {
            for span in &ss.spans {
                let mut value = serde_json::json!({
                    "resource": resource,
                    "scope": ss.scope,
                    "span": span,
                });
                mask_dates(&mut value);
                out.push(serde_json::to_string_pretty(&value).unwrap());
            }
        }
    }
    out
}

/// Every `YYYY-MM-DD` in the strings of `value` replaced by `YYYY-MM-DD`.
fn mask_dates(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => *s = mask_dates_in(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_dates),
        serde_json::Value::Object(map) => map.values_mut().for_each(mask_dates),
        _ => {}
    }
}

fn mask_dates_in(text: &str) -> String {
    let shape = b"dddd-dd-dd";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let is_date = bytes.len() - i >= shape.len()
            && shape.iter().zip(&bytes[i..]).all(|(s, b)| match s {
                b'd' => b.is_ascii_digit(),
                _ => b == s,
            });
        if is_date {
            out.push_str("YYYY-MM-DD");
            i += shape.len();
        } else {
            // Dates are ASCII; copy whole characters otherwise.
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// The lines of `new` that differ from `old`'s, with their line numbers.
fn line_diff(old: &str, new: &str) -> String {
    let (old, new): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let mut out = Vec::new();
    for i in 0..old.len().max(new.len()) {
        let (o, n) = (old.get(i), new.get(i));
        if o != n {
            out.push(format!(
                "{i:>4} - {}\n{i:>4} + {}",
                o.unwrap_or(&""),
                n.unwrap_or(&"")
            ));
        }
    }
    out.join("\n")
}

#[test]
fn dates_are_masked_and_nothing_else() {
    assert_eq!(
        mask_dates_in("last login 2025-01-03, Ünïcode 12-3 2025-1-03"),
        "last login YYYY-MM-DD, Ünïcode 12-3 2025-1-03"
    );
}

async fn check(variant: Variant) {
    let live = record(variant).await;
    let file = path(variant);
    if std::env::var_os(RECORD_ENV).is_some() {
        std::fs::write(&file, to_jsonl(&live)).unwrap();
        eprintln!("recorded {}", file.display());
        return;
    }
    let stored = reference::recorded(variant).unwrap();
    // Through JSON as the recording went: serde_json reads a double back
    // within one ulp, not always exactly.
    let live = reshimu_collector::offline::read_requests("live", &to_jsonl(&live)).unwrap();
    let (live, stored) = (comparable(&live), comparable(&stored));
    let hint = format!(
        "the exporter's reference session no longer matches {}; if the change is intended, record it again:\n  {RECORD_ENV}=1 cargo test -p reshimu-e2e --test recorded_reference",
        file.display()
    );
    for (i, (l, s)) in live.iter().zip(&stored).enumerate() {
        assert!(
            l == s,
            "span {i} differs (- recorded, + sent now):\n{}\n{hint}",
            line_diff(s, l)
        );
    }
    assert_eq!(
        live.len(),
        stored.len(),
        "{} spans sent now, {} recorded\n{hint}",
        live.len(),
        stored.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clean_recording_is_what_the_exporter_sends() {
    check(Variant::Clean).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drifted_recording_is_what_the_exporter_sends() {
    check(Variant::Drifted).await;
}

// ------------------------------------------------------------------ the story

fn spans(variant: Variant) -> Vec<(String, Span)> {
    reference::recorded(variant)
        .unwrap()
        .into_iter()
        .flat_map(|r| r.resource_spans)
        .flat_map(|rs| {
            let service = rs
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| text(kv.value.as_ref()))
                .unwrap_or_default();
            rs.scope_spans
                .into_iter()
                .flat_map(|ss| ss.spans)
                .map(move |s| (service.clone(), s))
        })
        .collect()
}

fn text(v: Option<&AnyValue>) -> Option<String> {
    match v?.value.as_ref()? {
        Value::StringValue(s) => Some(s.clone()),
        Value::IntValue(i) => Some(i.to_string()),
        _ => None,
    }
}

fn get(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| text(kv.value.as_ref()))
}

#[test]
fn the_recordings_have_the_shape_the_demo_and_the_dashboards_show() {
    for variant in [Variant::Clean, Variant::Drifted] {
        let spans = spans(variant);
        let services: std::collections::BTreeSet<&str> =
            spans.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            services.into_iter().collect::<Vec<_>>(),
            [
                "reshimu-reference-coordinator",
                "reshimu-reference-query-agent",
                "reshimu-reference-summarizer"
            ],
            "{variant:?}: one service per agent"
        );
        // Two traces: the summarizer's job starts its own, linked to the
        // query agent's delegation span.
        let job = spans
            .iter()
            .map(|(_, s)| s)
            .find(|s| s.name == JOB_SPAN_NAME)
            .unwrap_or_else(|| panic!("{variant:?}: no job span"));
        assert!(job.parent_span_id.is_empty(), "{variant:?}: a new trace");
        assert_eq!(job.links.len(), 1, "{variant:?}");
        assert!(
            get(job, "reshimu.intent.id").is_none(),
            "found through its link"
        );
        let linked = spans
            .iter()
            .map(|(_, s)| s)
            .find(|s| s.span_id == job.links[0].span_id)
            .unwrap();
        assert_eq!(linked.name, "invoke_agent summarizer");
        assert_ne!(linked.trace_id, job.trace_id);
        let traces: std::collections::BTreeSet<&[u8]> =
            spans.iter().map(|(_, s)| s.trace_id.as_slice()).collect();
        assert_eq!(traces.len(), 2, "{variant:?}");
        // A depth-2 chain: the summarizer's intent contracts the query agent's.
        assert_eq!(
            get(linked, "reshimu.delegation.depth").as_deref(),
            Some("2"),
            "{variant:?}"
        );
        let query = spans
            .iter()
            .map(|(_, s)| s)
            .find(|s| {
                s.name == "invoke_agent query-agent" && get(s, "reshimu.intent.parent_id").is_some()
            })
            .unwrap();
        assert_eq!(
            get(linked, "reshimu.intent.parent_id"),
            get(query, "reshimu.intent.id"),
            "{variant:?}"
        );
    }
}

/// Whether a span is the one looked for.
type SpanTest = dyn Fn(&Span) -> bool;

#[test]
fn the_drifted_recording_holds_every_failure_and_the_clean_one_none() {
    let has = |variant: Variant, what: &SpanTest| spans(variant).iter().any(|(_, s)| what(s));
    let delete =
        |s: &Span| get(s, "db.query.text").is_some_and(|q| q.starts_with("DELETE FROM customers"));
    let thirty_days = |s: &Span| {
        get(s, "db.query.text").is_some_and(|q| q.starts_with("SELECT") && q.contains("-30 days"))
    };
    let email = |s: &Span| get(s, "gen_ai.tool.name").as_deref() == Some("send_email");
    let recommends = |s: &Span| {
        get(s, "gen_ai.agent.name").as_deref() == Some("summarizer")
            && get(s, "gen_ai.output.messages").is_some_and(|m| m.contains("We recommend"))
    };
    let redefined =
        |s: &Span| get(s, "reshimu.intent.scope").is_some_and(|scope| scope.contains("30 days"));
    let bare_task = |s: &Span| get(s, "reshimu.contraction").is_some();
    let failures: [(&str, &SpanTest); 6] = [
        ("a DELETE", &delete),
        ("a SELECT with 30 days", &thirty_days),
        ("an email", &email),
        ("a recommending summary", &recommends),
        ("a hand-off that redefines inactive", &redefined),
        ("a hand-off with only a task text", &bare_task),
    ];
    for (name, what) in failures {
        assert!(
            has(Variant::Drifted, what),
            "the drifted session has {name}"
        );
        assert!(!has(Variant::Clean, what), "the clean session has {name}");
    }
}
