//! Spans from the real OpenTelemetry Python SDK — the OTLP/gRPC exporter for
//! the coordinator, the OTLP/HTTP exporter for the query agent in its own,
//! linked trace — through the collector into ClickHouse, with the OTel
//! columns intact and the lineage rebuilt across the two traces.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use reshimu_clickhouse_launcher::LocalClickHouse;
use reshimu_collector::config::Config;
use reshimu_collector::service::Collector;
use reshimu_collector::sink::clickhouse::rows::{IntentRow, SpanRow};
use reshimu_e2e::python::{python, workspace};
use serde_json::Value;

/// The shared test configuration, with the receivers this test uses.
fn config(ch: &LocalClickHouse, database: &str) -> Config {
    let mut c = reshimu_e2e::collector::config(ch, database);
    c.receivers.grpc.enabled = true;
    c.receivers.grpc.endpoint = "127.0.0.1:0".into();
    c.lineage.wait = Duration::from_millis(500);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_grpc_and_http_exporters_land_in_clickhouse_with_lineage() {
    let py = tokio::task::spawn_blocking(python).await.unwrap().unwrap();
    let ch = LocalClickHouse::shared().unwrap();
    let db = ch.fresh_database("python_sdk").unwrap();
    let collector = Collector::start(config(ch, &db)).await.unwrap();
    let grpc = format!("http://{}", collector.grpc_addr().unwrap());
    let http = format!("http://{}", collector.http_addr().unwrap());

    let script = workspace().join("tests/python/sdk_exporters.py");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(py).arg(script).arg(grpc).arg(http).output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out: Value = serde_json::from_slice(&output.stdout).unwrap();
    let session = out["session_id"].as_str().unwrap();
    let span_id = |name: &str| out[name]["span_id"].as_str().unwrap().to_owned();
    let trace_id = |name: &str| out[name]["trace_id"].as_str().unwrap().to_owned();

    let client = ch.client().with_database(&db);
    let deadline = Instant::now() + Duration::from_secs(30);
    let rows = loop {
        let rows = client
            .query("SELECT ?fields FROM spans WHERE SessionId = ?")
            .bind(session)
            .fetch_all::<SpanRow>()
            .await
            .unwrap_or_default();
        if rows.len() == 5 || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        rows.len(),
        5,
        "every span of both traces resolves to the session: {rows:#?}"
    );
    let by_id: HashMap<&str, &SpanRow> = rows.iter().map(|r| (r.span_id.as_str(), r)).collect();
    let root = by_id[span_id("root").as_str()];
    let handoff = by_id[span_id("handoff").as_str()];
    let agent_root = by_id[span_id("agent_root").as_str()];
    let select = by_id[span_id("select").as_str()];
    let delete = by_id[span_id("delete").as_str()];

    // OTel columns from the gRPC exporter...
    assert_eq!(root.trace_id, trace_id("root"));
    assert_eq!(root.parent_span_id, "");
    assert_eq!(handoff.parent_span_id, span_id("root"));
    assert_eq!(
        (
            root.service_name.as_str(),
            root.scope_name.as_str(),
            root.scope_version.as_str()
        ),
        ("py-coordinator", "py-coordinator", "0.1.0")
    );
    assert_eq!(root.span_kind, "Internal");
    assert!(
        root.resource_attributes
            .iter()
            .any(|(k, v)| k == "telemetry.sdk.language" && v == "python")
    );
    // ...and from the HTTP exporter.
    assert_eq!(select.trace_id, trace_id("agent_root"));
    assert_ne!(select.trace_id, root.trace_id);
    assert_eq!(select.parent_span_id, span_id("agent_root"));
    assert_eq!(
        (select.service_name.as_str(), select.scope_version.as_str()),
        ("py-query-agent", "0.2.0")
    );
    assert_eq!(select.span_kind, "Client");
    assert!(
        select.duration >= 10_000_000,
        "slept 10 ms: {}",
        select.duration
    );
    assert_eq!(select.events_name, vec!["rows_fetched"]);
    assert_eq!(
        select.events_attributes,
        vec![vec![("rows".to_owned(), "42".to_owned())]]
    );
    assert!(select.events_timestamp[0] >= select.timestamp);
    assert_eq!(agent_root.span_kind, "Server");
    assert_eq!(agent_root.links_trace_id, vec![trace_id("handoff")]);
    assert_eq!(agent_root.links_span_id, vec![span_id("handoff")]);
    assert_eq!(
        agent_root.links_attributes,
        vec![vec![("link.kind".to_owned(), "delegation".to_owned())]]
    );
    assert_eq!(
        (delete.status_code.as_str(), delete.status_message.as_str()),
        ("Error", "forbidden")
    );

    // Lineage: the agent's trace inherits the hand-off's intent through the link.
    let root_id = out["root_intent_id"].as_str().unwrap();
    let query_id = out["query_intent_id"].as_str().unwrap();
    assert!(rows.iter().all(|r| r.root_intent_id == root_id));
    assert_eq!((root.intent_id.as_str(), root.depth), (root_id, 0));
    for r in [handoff, agent_root, select, delete] {
        assert_eq!(
            (r.intent_id.as_str(), r.depth),
            (query_id, 1),
            "{}",
            r.span_name
        );
        assert_eq!(
            r.lineage_path,
            vec![root_id.to_owned(), query_id.to_owned()]
        );
    }
    assert_eq!(delete.verdict, "violation");
    assert!(delete.violations.iter().any(|v| v.starts_with("sql.write")));
    assert_eq!(select.verdict, "aligned", "{}", select.explanation);

    // Both declarations, with digests computed in Python that the collector accepts.
    let deadline = Instant::now() + Duration::from_secs(10);
    let intents = loop {
        let intents = client
            .query("SELECT ?fields FROM intents FINAL")
            .fetch_all::<IntentRow>()
            .await
            .unwrap();
        if intents.len() == 2 || Instant::now() > deadline {
            break intents;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(intents.len(), 2);
    assert!(intents.iter().all(|i| i.digest_valid), "{intents:#?}");
    collector.shutdown().await;
}
