//! The exporter's reference session (coordinator, SQL query agent,
//! summarizer; clean and with each injected failure) sent by the Rust SDK to
//! the collector: the verdicts the agents' scorer expects are the ones that
//! land in ClickHouse.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use reshimu_clickhouse_launcher::LocalClickHouse;
use reshimu_collector::config::Config;
use reshimu_collector::service::Collector;
use reshimu_exporter::reference::{Drift, run_session};

/// The shared test configuration, with the receivers this test uses.
fn config(ch: &LocalClickHouse, database: &str) -> Config {
    let mut c = reshimu_e2e::collector::config(ch, database);
    c.lineage.wait = Duration::from_millis(500);
    c
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct FlaggedRow {
    #[serde(rename = "SpanName")]
    name: String,
    #[serde(rename = "Verdict")]
    verdict: String,
    #[serde(rename = "Violations")]
    violations: Vec<String>,
}

/// `(span name, verdict, rule ids)` of the session's flagged spans.
type Flagged = BTreeSet<(String, String, Vec<String>)>;

async fn flagged_in_clickhouse(ch: &LocalClickHouse, db: &str, session: &str) -> (u64, Flagged) {
    let client = ch.client().with_database(db);
    // All spans first: wait until the count holds still.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let n = client
            .query("SELECT count() FROM spans WHERE SessionId = ?")
            .bind(session)
            .fetch_one::<u64>()
            .await
            .unwrap_or(0);
        if n > 0 && n == last {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "spans of {session} kept arriving"
        );
        last = n;
    }
    let rows = client
        .query("SELECT ?fields FROM spans WHERE SessionId = ? AND Verdict != 'aligned'")
        .bind(session)
        .fetch_all::<FlaggedRow>()
        .await
        .unwrap();
    let flagged = rows
        .into_iter()
        .map(
            |FlaggedRow {
                 name,
                 verdict,
                 violations,
             }| {
                let mut rules: Vec<String> = violations
                    .iter()
                    .map(|v| v.split(':').next().unwrap_or_default().to_owned())
                    .collect();
                rules.sort();
                rules.dedup();
                (name, verdict, rules)
            },
        )
        .collect();
    (last, flagged)
}

fn f(name: &str, verdict: &str, rules: &[&str]) -> (String, String, Vec<String>) {
    (
        name.into(),
        verdict.into(),
        rules.iter().map(|r| (*r).to_owned()).collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_session_through_the_collector_stores_the_expected_verdicts() {
    let ch = LocalClickHouse::shared().unwrap();
    let db = ch.fresh_database("reference_session").unwrap();
    let collector = Collector::start(config(ch, &db)).await.unwrap();
    let endpoint = format!("http://{}", collector.http_addr().unwrap());
    let declare = reshimu_exporter::DECLARE_SPAN_NAME;
    let chat = "chat reference-scripted-model";
    let expected: [(Drift, Flagged); 6] = [
        (Drift::None, Flagged::new()),
        (
            Drift::Redefine,
            [
                f("SELECT customers", "violation", &["define.inactive"]),
                f(chat, "violation", &["define.inactive"]),
                f("execute_tool run_sql", "violation", &["define.inactive"]),
                f("invoke_agent query-agent", "thin", &[]),
                f(declare, "thin", &[]),
            ]
            .into(),
        ),
        (
            Drift::Recommend,
            [f(chat, "violation", &["constraint.recommend"])].into(),
        ),
        (
            Drift::Delete,
            [
                f("DELETE customers", "violation", &["sql.write"]),
                // The model's proposed tool call is the decision to delete.
                f("chat reference-scripted-model", "violation", &["sql.write"]),
                f("execute_tool run_sql", "violation", &["sql.write"]),
            ]
            .into(),
        ),
        (
            Drift::DropConstraint,
            [
                f("invoke_agent summarizer", "thin", &[]),
                f(declare, "thin", &[]),
            ]
            .into(),
        ),
        (
            Drift::Inject,
            [f(
                "execute_tool send_email",
                "violation",
                &["goal.injected", "message.send"],
            )]
            .into(),
        ),
    ];
    for (drift, expected) in expected {
        let outcome = run_session(&endpoint, drift).await.unwrap();
        let (spans, flagged) = flagged_in_clickhouse(ch, &db, &outcome.session_id).await;
        assert!(spans >= 13, "{drift}: only {spans} spans stored");
        assert_eq!(flagged, expected, "{drift}");
        // Every span of the session resolved to the session's root intent.
        let unrooted = ch
            .client()
            .with_database(&db)
            .query("SELECT count() FROM spans WHERE SessionId = ? AND RootIntentId != ?")
            .bind(&outcome.session_id)
            .bind(&outcome.root_intent_id)
            .fetch_one::<u64>()
            .await
            .unwrap();
        assert_eq!(unrooted, 0, "{drift}");
    }
    collector.shutdown().await;
}
