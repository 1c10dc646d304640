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
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks};
use reshimu_clickhouse_launcher::LocalClickHouse;
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

/// Coordinator in one trace and service; the query agent continues in another
/// trace (linked), in another service; the summarizer is a contraction of the
/// query agent's intent. The child trace arrives first.
fn three_agent_requests(
    tag: &str,
) -> Vec<(
    u8,
    opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest,
)> {
    let root = format!("{tag}-root");
    let query = format!("{tag}-query");
    let summary = format!("{tag}-summary");
    let session = format!("{tag}-session");
    let mut a1 = declare(&root, None, OBJECTIVE, SCOPE, CONSTRAINTS, &GUARDS);
    a1.push(s("reshimu.session.id", &session));
    a1.push(s("gen_ai.agent.name", "coordinator"));
    let mut a2 = declare(
        &query,
        Some(&root),
        "List the inactive customer accounts for the audit",
        SCOPE,
        CONSTRAINTS,
        &GUARDS,
    );
    a2.push(s("gen_ai.agent.name", "query_agent"));
    let coordinator = request(
        "coordinator",
        vec![
            span(TRACE, 1, None, "invoke_agent coordinator", a1),
            span(TRACE, 2, Some(1), "delegate query_agent", a2),
        ],
    );

    let mut b1 = span(
        OTHER_TRACE,
        1,
        None,
        "invoke_agent query_agent",
        vec![s("gen_ai.agent.name", "query_agent")],
    );
    b1.links.push(link(TRACE, 2));
    let mut b2_attrs = declare(
        &summary,
        Some(&query),
        "Summarize the inactive customer accounts for the audit",
        SCOPE,
        CONSTRAINTS,
        &GUARDS,
    );
    b2_attrs.push(s("gen_ai.agent.name", "summarizer"));
    let b2 = span(OTHER_TRACE, 2, Some(1), "delegate summarizer", b2_attrs);
    let b3 = span(
        OTHER_TRACE,
        3,
        Some(2),
        "chat",
        vec![
            s("gen_ai.operation.name", "chat"),
            s(
                "gen_ai.output.messages",
                "Summary: 42 customer accounts have been inactive for more than 90 days.",
            ),
        ],
    );
    let query_agent = request("query-agent", vec![b3, b1, b2]);
    vec![(0, query_agent), (1, coordinator)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_agent_session_across_two_linked_traces_and_services_resolves_to_one_lineage() {
    let ch = LocalClickHouse::shared().unwrap();
    let db = ch.fresh_database("pipeline_lineage").unwrap();
    let collector = start(config(ch, &db), ch).await;
    for (_, request) in three_agent_requests("three") {
        post(&collector, &request).await;
    }
    wait_for(Duration::from_secs(20), || async {
        count(ch, &format!("SELECT count() FROM {db}.spans")).await == 5
    })
    .await;
    let rows = spans_of(ch, &db, "three-session").await;
    assert_eq!(rows.len(), 5, "every span in one session: {rows:#?}");
    let depth: HashMap<(String, String), (u16, Vec<String>)> = rows
        .iter()
        .map(|r| {
            (
                (r.trace_id[..2].to_owned(), r.span_id[..2].to_owned()),
                (r.depth, r.lineage_path.clone()),
            )
        })
        .collect();
    let path = |ids: &[&str]| ids.iter().map(|s| format!("three-{s}")).collect::<Vec<_>>();
    assert_eq!(depth[&("a1".into(), "01".into())], (0, path(&["root"])));
    assert_eq!(
        depth[&("a1".into(), "02".into())],
        (1, path(&["root", "query"]))
    );
    assert_eq!(
        depth[&("b2".into(), "01".into())],
        (1, path(&["root", "query"])),
        "inherits through the span link"
    );
    assert_eq!(
        depth[&("b2".into(), "02".into())],
        (2, path(&["root", "query", "summary"]))
    );
    assert_eq!(
        depth[&("b2".into(), "03".into())],
        (2, path(&["root", "query", "summary"])),
        "inherits from its parent span"
    );
    assert!(rows.iter().all(|r| r.root_intent_id == "three-root"));
    let services: std::collections::BTreeSet<_> =
        rows.iter().map(|r| r.service_name.as_str()).collect();
    assert_eq!(
        services.into_iter().collect::<Vec<_>>(),
        vec!["coordinator", "query-agent"]
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
    assert_eq!(total, 5);
    collector.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_sharing_clickhouse_give_the_verdicts_of_one() {
    let ch = LocalClickHouse::shared().unwrap();
    // Reference: one collector sees everything.
    let db_one = ch.fresh_database("pipeline_one").unwrap();
    let one = start(config(ch, &db_one), ch).await;
    for (_, request) in three_agent_requests("split") {
        post(&one, &request).await;
    }
    // Two collectors: the coordinator's trace goes to A, the query agent's to B,
    // which has never seen the intents it references and must ask ClickHouse.
    let db_two = ch.fresh_database("pipeline_two").unwrap();
    let a = start(config(ch, &db_two), ch).await;
    let mut b_config = config(ch, &db_two);
    b_config.lineage.wait = Duration::from_secs(2);
    let b = start(b_config, ch).await;
    let requests = three_agent_requests("split");
    post(&a, &requests[1].1).await;
    wait_for(Duration::from_secs(20), || async {
        count(ch, &format!("SELECT count() FROM {db_two}.intents")).await == 2
    })
    .await;
    post(&b, &requests[0].1).await;

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
    wait_for(Duration::from_secs(20), || async {
        count(ch, &format!("SELECT count() FROM {db_one}.spans")).await == 5
    })
    .await;
    wait_for(Duration::from_secs(20), || async {
        count(ch, &format!("SELECT count() FROM {db_two}.spans")).await == 5
    })
    .await;
    let expected = verdicts(db_one).await;
    assert_eq!(verdicts(db_two).await, expected);
    assert!(expected.iter().all(|r| r.4 == "split-root"));
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
