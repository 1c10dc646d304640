//! The official `clickhouse` crate (LZ4 on, validation on) inserting and reading back
//! every column type the project stores, with `insert` and with the `inserter`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use clickhouse::Row;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
struct Event {
    id: u64,
    name: String,
    kind: String,
    ts: i64,
    attrs: Vec<(String, String)>,
    tags: Vec<String>,
    #[serde(rename = "links.trace_id")]
    links_trace_id: Vec<String>,
    #[serde(rename = "links.span_id")]
    links_span_id: Vec<String>,
    score: f64,
    parent: Option<String>,
}

const DDL: &str = "CREATE TABLE events (
    id UInt64,
    name String,
    kind LowCardinality(String),
    ts DateTime64(9),
    attrs Map(LowCardinality(String), String),
    tags Array(String),
    links Nested(trace_id String, span_id String),
    score Float64,
    parent Nullable(String)
) ENGINE = MergeTree ORDER BY id";

fn event(id: u64) -> Event {
    Event {
        id,
        name: format!("span \t\"{id}\" ünïcode\n"),
        kind: ["llm", "tool", "agent"][id as usize % 3].to_owned(),
        ts: 1_764_500_000_123_456_789 + id as i64,
        attrs: vec![
            ("reshimu.intent.id".into(), format!("intent-{id}")),
            ("empty".into(), String::new()),
        ],
        tags: (0..id % 4).map(|i| format!("tag{i}")).collect(),
        links_trace_id: vec![format!("{id:032x}")],
        links_span_id: vec![format!("{id:016x}")],
        score: id as f64 / 3.0,
        parent: id.is_multiple_of(2).then(|| format!("p{id}")),
    }
}

async fn setup(prefix: &str) -> clickhouse::Client {
    let ch = common::server();
    let db = ch.fresh_database(prefix).unwrap();
    let client = ch.client().with_database(db);
    client.query(DDL).execute().await.unwrap();
    client
}

#[tokio::test]
async fn insert_and_fetch_all_types_roundtrip() {
    let client = setup("rows_insert").await;
    let rows: Vec<Event> = (0..50).map(event).collect();
    let mut insert = client.insert::<Event>("events").await.unwrap();
    for row in &rows {
        insert.write(row).await.unwrap();
    }
    insert.end().await.unwrap();

    let fetched = client
        .query("SELECT ?fields FROM events ORDER BY id")
        .fetch_all::<Event>()
        .await
        .unwrap();
    assert_eq!(fetched, rows);
}

#[tokio::test]
async fn inserter_commits_batches() {
    let client = setup("rows_inserter").await;
    let mut inserter = client.inserter::<Event>("events").with_max_rows(7);
    for id in 0..30 {
        inserter.write(&event(id)).await.unwrap();
        inserter.commit().await.unwrap();
    }
    inserter.end().await.unwrap();

    let count = client
        .query("SELECT count() FROM events")
        .fetch_one::<u64>()
        .await
        .unwrap();
    assert_eq!(count, 30);
    let last = client
        .query("SELECT ?fields FROM events WHERE id = ?")
        .bind(29)
        .fetch_one::<Event>()
        .await
        .unwrap();
    assert_eq!(last, event(29));
}

#[tokio::test]
async fn insert_fires_materialized_view() {
    let client = setup("rows_mv").await;
    client
        .query("CREATE TABLE by_kind (kind LowCardinality(String), n UInt64) ENGINE = SummingMergeTree ORDER BY kind")
        .execute()
        .await
        .unwrap();
    client
        .query("CREATE MATERIALIZED VIEW by_kind_mv TO by_kind AS SELECT kind, count() AS n FROM events GROUP BY kind")
        .execute()
        .await
        .unwrap();
    let mut insert = client.insert::<Event>("events").await.unwrap();
    for id in 0..9 {
        insert.write(&event(id)).await.unwrap();
    }
    insert.end().await.unwrap();

    let counts = client
        .query("SELECT kind, sum(n) FROM by_kind GROUP BY kind ORDER BY kind")
        .fetch_all::<(String, u64)>()
        .await
        .unwrap();
    assert_eq!(
        counts,
        vec![("agent".into(), 3), ("llm".into(), 3), ("tool".into(), 3)]
    );
}

#[tokio::test]
async fn query_params_bind_server_side() {
    let client = setup("rows_params").await;
    let mut insert = client.insert::<Event>("events").await.unwrap();
    for id in 0..10 {
        insert.write(&event(id)).await.unwrap();
    }
    insert.end().await.unwrap();
    let ids = client
        .query(
            "SELECT id FROM events WHERE kind = {kind:String} AND id >= {min:UInt64} ORDER BY id",
        )
        .param("kind", "tool")
        .param("min", 2)
        .fetch_all::<u64>()
        .await
        .unwrap();
    assert_eq!(ids, vec![4, 7]);
}

#[tokio::test]
async fn concurrent_clients_insert_and_read() {
    let client = setup("rows_concurrent").await;
    let tasks: Vec<_> = (0..8u64)
        .map(|task| {
            let client = client.clone();
            tokio::spawn(async move {
                for round in 0..5u64 {
                    let mut insert = client.insert::<Event>("events").await.unwrap();
                    for i in 0..10 {
                        insert
                            .write(&event(task * 1000 + round * 10 + i))
                            .await
                            .unwrap();
                    }
                    insert.end().await.unwrap();
                    let mine = client
                        .query("SELECT count() FROM events WHERE intDiv(id, 1000) = ?")
                        .bind(task)
                        .fetch_one::<u64>()
                        .await
                        .unwrap();
                    assert_eq!(mine, (round + 1) * 10);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let total = client
        .query("SELECT count() FROM events")
        .fetch_one::<u64>()
        .await
        .unwrap();
    assert_eq!(total, 400);
}
