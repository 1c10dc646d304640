//! The whole collector against the real engine: OTLP in over gRPC and HTTP
//! from real clients, lineage across traces and services, scores in
//! ClickHouse, and the offline `score` agreeing with the running pipeline.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks};
use reshimu_clickhouse_launcher::LocalClickHouse;
use reshimu_collector::demo::reference::{self, Variant};
use reshimu_collector::sink::clickhouse::rows::{IntentRow, SpanRow};
use support::*;

const TRACE: [u8; 16] = [0xa1; 16];
const OTHER_TRACE: [u8; 16] = [0xb2; 16];

fn sdk_span(
    span: u8,
    parent: Option<u8>,
    name: &'static str,
    attributes: Vec<KeyValue>,
) -> SpanData {
    let ctx = |t: [u8; 16], s: u8| {
        SpanContext::new(
            TraceId::from_bytes(t),
            SpanId::from_bytes([s; 8]),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        )
    };
    let start = SystemTime::now();
    SpanData {
        span_context: ctx(TRACE, span),
        parent_span_id: parent.map_or(SpanId::INVALID, |p| SpanId::from_bytes([p; 8])),
        parent_span_is_remote: false,
        span_kind: SpanKind::Client,
        name: Cow::Borrowed(name),
        start_time: start,
        end_time: start + Duration::from_millis(5),
        attributes,
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Ok,
        instrumentation_scope: InstrumentationScope::builder("agent-sdk")
            .with_version("1.2.3")
            .build(),
    }
}

fn resource(service: &'static str) -> Resource {
    Resource::builder_empty().with_service_name(service).build()
}

async fn spans_of(ch: &LocalClickHouse, db: &str, session: &str) -> Vec<SpanRow> {
    ch.client()
        .with_database(db)
        .query("SELECT ?fields FROM spans WHERE SessionId = ? ORDER BY SpanId")
        .bind(session)
        .fetch_all::<SpanRow>()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_otlp_exporter_spans_land_with_otel_and_lineage_columns() {
    let ch = LocalClickHouse::shared().unwrap();
    let db = ch.fresh_database("pipeline_sdk").unwrap();
    let collector = start(config(ch, &db), ch).await;
    let grpc = format!("http://{}", collector.grpc_addr().unwrap());
    let http = format!("http://{}/v1/traces", collector.http_addr().unwrap());

    let mut root = sdk_span(
        1,
        None,
        "invoke_agent coordinator",
        vec![
            KeyValue::new("reshimu.intent.id", "sdk-root"),
            KeyValue::new("reshimu.session.id", "sdk-session"),
            KeyValue::new("gen_ai.agent.name", "coordinator"),
            KeyValue::new("reshimu.intent.objective", OBJECTIVE),
            KeyValue::new("reshimu.intent.scope", SCOPE),
            KeyValue::new("reshimu.intent.constraints", CONSTRAINTS),
            KeyValue::new(
                "reshimu.intent.guards",
                opentelemetry::Value::Array(
                    GUARDS
                        .iter()
                        .map(|g| opentelemetry::StringValue::from(*g))
                        .collect::<Vec<_>>()
                        .into(),
                ),
            ),
        ],
    );
    root.span_kind = SpanKind::Internal;
    let mut delete = sdk_span(
        2,
        Some(1),
        "DELETE customers",
        vec![
            KeyValue::new(
                "db.query.text",
                "DELETE FROM customers WHERE last_login < now() - INTERVAL 90 DAY",
            ),
            KeyValue::new("db.operation.name", "DELETE"),
        ],
    );
    delete.events.events.push(Event::new(
        "retry",
        SystemTime::now(),
        vec![KeyValue::new("attempt", 2_i64)],
        0,
    ));
    delete.links.links.push(Link::new(
        SpanContext::new(
            TraceId::from_bytes(OTHER_TRACE),
            SpanId::from_bytes([9; 8]),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        vec![KeyValue::new("link.kind", "follows")],
        0,
    ));
    let select = sdk_span(
        3,
        Some(1),
        "SELECT customers",
        vec![KeyValue::new(
            "db.query.text",
            "SELECT id, last_login FROM customers WHERE last_login < now() - INTERVAL 90 DAY",
        )],
    );

    // Root and DELETE over gRPC; the SELECT over HTTP.
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(grpc)
        .build()
        .unwrap();
    exporter.set_resource(&resource("coordinator"));
    exporter.export(vec![delete, root]).await.unwrap();
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(http)
        .build()
        .unwrap();
    exporter.set_resource(&resource("coordinator"));
    exporter.export(vec![select]).await.unwrap();

    wait_for(Duration::from_secs(20), || async {
        spans_of(ch, &db, "sdk-session").await.len() == 3
    })
    .await;
    let rows = spans_of(ch, &db, "sdk-session").await;
    let by_id: HashMap<&str, &SpanRow> = rows.iter().map(|r| (r.span_id.as_str(), r)).collect();
    let root = by_id["0101010101010101"];
    let delete = by_id["0202020202020202"];
    let select = by_id["0303030303030303"];

    // OTel columns, as the OpenTelemetry Collector's exporter writes them.
    assert_eq!(delete.trace_id, "a1".repeat(16));
    assert_eq!(delete.parent_span_id, "0101010101010101");
    assert_eq!(root.parent_span_id, "");
    assert_eq!(delete.duration, 5_000_000);
    assert_eq!(delete.span_kind, "Client");
    assert_eq!(root.span_kind, "Internal");
    assert_eq!(delete.status_code, "Ok");
    assert_eq!(delete.service_name, "coordinator");
    assert_eq!(
        (delete.scope_name.as_str(), delete.scope_version.as_str()),
        ("agent-sdk", "1.2.3")
    );
    assert!(
        delete
            .span_attributes
            .contains(&("db.operation.name".into(), "DELETE".into()))
    );
    assert!(
        delete
            .resource_attributes
            .contains(&("service.name".into(), "coordinator".into()))
    );
    assert_eq!(delete.events_name, vec!["retry"]);
    assert_eq!(
        delete.events_attributes,
        vec![vec![("attempt".to_owned(), "2".to_owned())]]
    );
    assert_eq!(delete.links_trace_id, vec!["b2".repeat(16)]);
    assert_eq!(delete.links_span_id, vec!["0909090909090909"]);
    assert!(
        root.span_attributes
            .iter()
            .any(|(k, v)| k == "reshimu.intent.guards" && v.contains("deny sql write"))
    );

    // Lineage and scores.
    for r in &rows {
        assert_eq!(
            (r.intent_id.as_str(), r.root_intent_id.as_str(), r.depth),
            ("sdk-root", "sdk-root", 0)
        );
        assert_eq!(r.lineage_path, vec!["sdk-root"]);
        assert_eq!(r.scorer, reshimu_intent::score::DefaultScorer::VERSION);
    }
    assert_eq!(root.agent_name, "coordinator");
    assert_eq!(root.verdict, "aligned", "{}", root.explanation);
    assert_eq!(select.verdict, "aligned", "{}", select.explanation);
    assert_eq!(select.action_kind, "sql");
    assert_eq!(delete.verdict, "violation");
    assert!(
        delete
            .violations
            .iter()
            .any(|v| v.starts_with("sql.write:")),
        "{:?}",
        delete.violations
    );
    assert!(!delete.explanation.is_empty());

    // The declaration is in `intents` (written right after the spans).
    wait_for(Duration::from_secs(10), || async {
        count(ch, &format!("SELECT count() FROM {db}.intents")).await == 1
    })
    .await;
    let intents = ch
        .client()
        .with_database(&db)
        .query("SELECT ?fields FROM intents FINAL WHERE IntentId = 'sdk-root'")
        .fetch_all::<IntentRow>()
        .await
        .unwrap();
    assert_eq!(intents.len(), 1);
    assert_eq!(intents[0].objective, OBJECTIVE);
    assert_eq!(intents[0].guards, GUARDS);
    assert_eq!(intents[0].session_id, "sdk-session");
    collector.shutdown().await;
}

/// The reference session as the demo replays it: the exporter's agents,
/// recorded (`reshimu_collector::demo::reference`), as session `session`.
/// Three services; the coordinator's and the query agent's spans in one
/// trace, the summarizer's job in a second trace linked to the query agent's
/// delegation span; the summarizer's trace is sent first, as its spans end
/// first.
fn reference_requests(session: &str) -> Vec<ExportTraceServiceRequest> {
    reference::session(Variant::Clean, session).unwrap()
}

/// The spans of `requests` that declare an intent: `(intent id, parent id)`.
fn declared(requests: &[ExportTraceServiceRequest]) -> HashMap<String, Option<String>> {
    let get = |span: &opentelemetry_proto::tonic::trace::v1::Span, key: &str| {
        span.attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                Value::StringValue(v) => Some(v.clone()),
                _ => None,
            })
    };
    requests
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .filter(|s| {
            get(s, "reshimu.intent.objective").is_some() || get(s, "reshimu.contraction").is_some()
        })
        .filter_map(|s| {
            Some((
                get(s, "reshimu.intent.id")?,
                get(s, "reshimu.intent.parent_id"),
            ))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_agent_session_across_two_linked_traces_and_services_resolves_to_one_lineage() {
    let ch = LocalClickHouse::shared().unwrap();
    let db = ch.fresh_database("pipeline_lineage").unwrap();
    let collector = start(config(ch, &db), ch).await;
    let requests = reference_requests("three-session");
    let sent = reference::span_count(&requests) as u64;
    for request in &requests {
        post(&collector, request).await;
    }
    wait_for(Duration::from_secs(20), || async {
        count(ch, &format!("SELECT count() FROM {db}.spans")).await == sent
    })
    .await;
    let rows = spans_of(ch, &db, "three-session").await;
    assert_eq!(
        rows.len() as u64,
        sent,
        "every span in one session: {rows:#?}"
    );

    // The lineage of each declared intent, root first.
    let parents = declared(&requests);
    assert_eq!(parents.len(), 3, "root, query agent's, summarizer's");
    let path = |intent: &str| {
        let mut path = vec![intent.to_owned()];
        while let Some(Some(parent)) = parents.get(path.last().unwrap()) {
            path.push(parent.clone());
        }
        path.reverse();
        path
    };
    let root = parents
        .iter()
        .find(|(_, p)| p.is_none())
        .map(|(id, _)| id.clone())
        .unwrap();
    for r in &rows {
        assert_eq!(r.root_intent_id, root, "{} {}", r.span_name, r.span_id);
        let lineage = path(&r.intent_id);
        assert_eq!(r.lineage_path, lineage, "{}", r.span_name);
        assert_eq!(usize::from(r.depth), lineage.len() - 1, "{}", r.span_name);
    }
    let depths: std::collections::BTreeSet<u16> = rows.iter().map(|r| r.depth).collect();
    assert_eq!(depths.into_iter().collect::<Vec<_>>(), [0, 1, 2]);

    // The summarizer's job starts a trace of its own and carries no intent:
    // it inherits the summarizer's through its span link.
    let job = rows.iter().find(|r| r.span_name == JOB_SPAN).unwrap();
    assert!(job.parent_span_id.is_empty());
    assert_eq!(job.links_span_id.len(), 1);
    let linked = rows
        .iter()
        .find(|r| r.span_id == job.links_span_id[0])
        .unwrap();
    assert_ne!(linked.trace_id, job.trace_id, "the link crosses traces");
    assert_eq!(
        (job.intent_id.as_str(), job.depth),
        (linked.intent_id.as_str(), 2),
        "inherits through the span link"
    );
    assert!(
        !job.span_attributes
            .iter()
            .any(|(k, _)| k == "reshimu.intent.id"),
        "the job span names no intent itself"
    );
    let services: std::collections::BTreeSet<_> =
        rows.iter().map(|r| r.service_name.as_str()).collect();
    assert_eq!(
        services.into_iter().collect::<Vec<_>>(),
        vec![
            "reshimu-reference-coordinator",
            "reshimu-reference-query-agent",
            "reshimu-reference-summarizer"
        ]
    );
    // The sessions view is filled by the same inserts; one session.
    wait_for(Duration::from_secs(10), || async {
        count(
            ch,
            &format!(
                "SELECT count() FROM (SELECT SessionId FROM {db}.sessions GROUP BY SessionId)"
            ),
        )
        .await
            == 1
    })
    .await;
    let total = count(
        ch,
        &format!("SELECT sum(Spans) FROM {db}.sessions WHERE SessionId = 'three-session'"),
    )
    .await;
    assert_eq!(total, sent);
    collector.shutdown().await;
}

/// The name of the summarizer's job span in the recording (the exporter's
/// `reference::JOB_SPAN_NAME`; the collector's tests do not depend on the
/// exporter).
const JOB_SPAN: &str = "summarizer job";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_sharing_clickhouse_give_the_verdicts_of_one() {
    let ch = LocalClickHouse::shared().unwrap();
    let requests = reference_requests("split-session");
    let sent = reference::span_count(&requests) as u64;
    // Reference: one collector sees everything.
    let db_one = ch.fresh_database("pipeline_one").unwrap();
    let one = start(config(ch, &db_one), ch).await;
    for request in &requests {
        post(&one, request).await;
    }
    // Two collectors: the first trace (coordinator and query agent) goes to
    // A; the summarizer's trace to B, which has never seen the intents it
    // references nor the span its job links to, and must ask ClickHouse.
    let summarizer_trace = requests[0].resource_spans[0].scope_spans[0].spans[0]
        .trace_id
        .clone();
    let (to_b, to_a): (Vec<_>, Vec<_>) = requests.iter().partition(|r| {
        r.resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
            .all(|s| s.trace_id == summarizer_trace)
    });
    assert!(!to_a.is_empty() && !to_b.is_empty());
    let b_spans =
        reference::span_count(&to_b.iter().map(|r| (*r).clone()).collect::<Vec<_>>()) as u64;
    let db_two = ch.fresh_database("pipeline_two").unwrap();
    let a = start(config(ch, &db_two), ch).await;
    let mut b_config = config(ch, &db_two);
    b_config.lineage.wait = Duration::from_secs(2);
    let b = start(b_config, ch).await;
    for request in &to_a {
        post(&a, request).await;
    }
    wait_for(Duration::from_secs(20), || async {
        count(ch, &format!("SELECT count() FROM {db_two}.intents FINAL")).await == 3
            && count(ch, &format!("SELECT count() FROM {db_two}.spans")).await == sent - b_spans
    })
    .await;
    for request in &to_b {
        post(&b, request).await;
    }

    let verdicts = |db: String| async move {
        let mut rows = ch
            .client()
            .with_database(&db)
            .query("SELECT TraceId, SpanId, Verdict, Depth, RootIntentId FROM spans ORDER BY TraceId, SpanId")
            .fetch_all::<(String, String, String, u16, String)>()
            .await
            .unwrap();
        rows.sort();
        rows
    };
    for db in [&db_one, &db_two] {
        wait_for(Duration::from_secs(20), || async {
            count(ch, &format!("SELECT count() FROM {db}.spans")).await == sent
        })
        .await;
    }
    // The same requests went to both: the same ids, the same verdicts.
    let root = declared(&requests)
        .into_iter()
        .find(|(_, parent)| parent.is_none())
        .map(|(id, _)| id)
        .unwrap();
    let expected = verdicts(db_one).await;
    assert_eq!(verdicts(db_two).await, expected);
    assert!(expected.iter().all(|r| r.4 == root), "{expected:#?}");
    for c in [one, a, b] {
        c.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_score_agrees_with_the_running_pipeline_on_the_drift_corpus() {
    let ch = LocalClickHouse::shared().unwrap();
    let db = ch.fresh_database("pipeline_corpus").unwrap();
    let collector = start(config(ch, &db), ch).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/drift");
    let listed = |dir: std::path::PathBuf, step: usize| {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files.into_iter().step_by(step).collect::<Vec<_>>()
    };
    // A spread of domains and variants of both corpora keeps the test quick:
    // the generated one, and the hand-written one (multi-trace sessions,
    // every convention, provenance across spans).
    let mut files = listed(root.join("sessions"), 7);
    let handwritten = listed(root.join("handwritten/otlp"), 3);
    assert!(handwritten.len() >= 20);
    files.extend(handwritten);
    assert!(files.len() >= 30);
    let mut requests = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        requests.extend(
            reshimu_collector::offline::read_requests(&f.display().to_string(), &text).unwrap(),
        );
    }
    let client = reqwest::Client::new();
    let url = format!("http://{}/v1/traces", collector.http_addr().unwrap());
    for f in &files {
        // As OTLP JSON, the way the corpus is stored.
        let resp = client
            .post(&url)
            .header("content-type", "application/json")
            .body(std::fs::read(f).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let offline = reshimu_collector::offline::score_requests(
        requests,
        std::sync::Arc::new(reshimu_intent::score::DefaultScorer::default()),
    );
    let mut expected: Vec<(String, String, String, String, String)> = offline
        .iter()
        .flat_map(reshimu_collector::offline::records)
        .map(|r| {
            (
                r.trace_id,
                r.span_id,
                r.verdict.to_owned(),
                r.intent_id.unwrap_or_default(),
                r.explanation,
            )
        })
        .collect();
    expected.sort();
    let n = expected.len() as u64;
    wait_for(Duration::from_secs(30), || async {
        count(ch, &format!("SELECT count() FROM {db}.spans")).await == n
    })
    .await;
    let mut stored = ch
        .client()
        .with_database(&db)
        .query("SELECT TraceId, SpanId, Verdict, IntentId, Explanation FROM spans")
        .fetch_all::<(String, String, String, String, String)>()
        .await
        .unwrap();
    stored.sort();
    assert_eq!(stored, expected);
    assert!(
        expected.iter().any(|r| r.2 != "aligned"),
        "the corpus sample has drift to agree on"
    );
    collector.shutdown().await;
}
