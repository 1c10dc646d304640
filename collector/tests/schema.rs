//! The ClickHouse schema against the real engine (the local launcher:
//! `CLICKHOUSE_URL`, a `clickhouse` binary, or chDB over HTTP).

// Helpers outside #[test] functions unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clickhouse::Client;
use reshimu_clickhouse_launcher::LocalClickHouse;
use reshimu_collector::schema::{self, SchemaError, SchemaOptions};
use reshimu_collector::sink::clickhouse::rows::{IntentRow, SpanRow};

const MIGRATIONS: usize = 7;

/// A fresh database on the shared server, and a client that names no
/// database (apply must work without one).
fn server(prefix: &str) -> (Client, SchemaOptions) {
    let server = LocalClickHouse::shared().unwrap();
    let database = server.fresh_database(prefix).unwrap();
    // Rows written by these tests carry fixed dates: keep them forever.
    let options = SchemaOptions {
        database,
        ttl_days: 0,
        ..SchemaOptions::default()
    };
    (server.client(), options)
}

async fn migrated(prefix: &str) -> (Client, SchemaOptions) {
    let (client, options) = server(prefix);
    let applied = schema::apply(&client, &options).await.unwrap();
    assert_eq!(applied.applied.len(), MIGRATIONS);
    (client, options)
}

async fn tables(client: &Client, database: &str) -> Vec<(String, String)> {
    client
        .query(
            "SELECT name, create_table_query FROM system.tables WHERE database = ? ORDER BY name",
        )
        .bind(database)
        .fetch_all::<(String, String)>()
        .await
        .unwrap()
}

#[tokio::test]
async fn applying_twice_is_a_no_op() {
    let (client, options) = server("schema_twice");
    let first = schema::apply(&client, &options).await.unwrap();
    assert_eq!(
        first.applied,
        [
            "0001_spans",
            "0002_spans_trace_id_ts",
            "0003_spans_session_id_ts",
            "0004_intents",
            "0005_sessions",
            "0006_intent_source",
            "0007_content_missing"
        ]
    );
    assert!(first.already_applied.is_empty());
    let before = tables(&client, &options.database).await;
    let names: Vec<&str> = before.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "intents",
            "schema_migrations",
            "sessions",
            "sessions_mv",
            "spans",
            "spans_session_id_ts",
            "spans_session_id_ts_mv",
            "spans_trace_id_ts",
            "spans_trace_id_ts_mv"
        ]
    );

    let second = schema::apply(&client, &options).await.unwrap();
    assert!(second.applied.is_empty());
    assert_eq!(second.already_applied, first.applied);
    assert_eq!(tables(&client, &options.database).await, before);

    let records: Vec<(u32, String, String)> = client
        .query_raw(&format!(
            "SELECT version, name, checksum FROM {}.schema_migrations ORDER BY version",
            options.database
        ))
        .fetch_all()
        .await
        .unwrap();
    let rendered = schema::render(&options).unwrap();
    let expected: Vec<(u32, String, String)> = rendered
        .iter()
        .map(|m| (m.version, m.name.to_owned(), m.checksum.clone()))
        .collect();
    assert_eq!(records, expected);
}

#[tokio::test]
async fn ttl_renders_and_applies() {
    let (client, mut options) = server("schema_ttl");
    options.ttl_days = 30;
    schema::apply(&client, &options).await.unwrap();
    for (name, ddl) in tables(&client, &options.database).await {
        if [
            "spans",
            "spans_trace_id_ts",
            "spans_session_id_ts",
            "intents",
            "sessions",
        ]
        .contains(&name.as_str())
        {
            assert!(ddl.contains("toIntervalDay(30)"), "{name}: {ddl}");
        }
    }
}

/// A span with every column set, nothing left at its default.
fn full_span(session: &str, trace: &str, span: &str, at: i64) -> SpanRow {
    let attrs = |prefix: &str| -> Vec<(String, String)> {
        vec![
            (format!("{prefix}.a"), "1".into()),
            (format!("{prefix}.b"), "two words, 'quoted'".into()),
        ]
    };
    SpanRow {
        timestamp: at,
        trace_id: trace.into(),
        span_id: span.into(),
        parent_span_id: "00f067aa0ba902b7".into(),
        trace_state: "rojo=00f067aa0ba902b7".into(),
        span_name: "execute_tool query_db".into(),
        span_kind: "Client".into(),
        service_name: "query-agent".into(),
        resource_attributes: attrs("service"),
        scope_name: "reshimu-exporter".into(),
        scope_version: "0.1.0".into(),
        span_attributes: vec![
            ("reshimu.intent.id".into(), "i-child".into()),
            ("db.query.text".into(), "SELECT * FROM customers".into()),
        ],
        duration: 1_234_567,
        status_code: "Error".into(),
        status_message: "guard tripped".into(),
        events_timestamp: vec![at + 10, at + 20],
        events_name: vec!["reshimu.guard".into(), "gen_ai.evaluation.result".into()],
        events_attributes: vec![attrs("event1"), vec![]],
        links_trace_id: vec!["5b8efff798038103d269b633813fc60c".into()],
        links_span_id: vec!["eee19b7ec3c1b174".into()],
        links_trace_state: vec!["congo=t61rcWkgMzE".into()],
        links_attributes: vec![attrs("link")],
        session_id: session.into(),
        intent_id: "i-child".into(),
        root_intent_id: "i-root".into(),
        parent_intent_id: "i-root".into(),
        depth: 1,
        lineage_path: vec!["i-root".into(), "i-child".into()],
        agent_name: "query-agent".into(),
        action_kind: "sql".into(),
        action_name: "SELECT".into(),
        alignment: 0.25,
        local_alignment: 0.75,
        coverage: Some(0.5),
        verdict: "violation".into(),
        violations: vec!["deny-sql-write: DELETE FROM customers".into()],
        explanation: "DELETE breaks `deny sql write`".into(),
        scorer: "reshimu-default/1".into(),
        content_missing: true,
    }
}

#[tokio::test]
async fn span_rows_round_trip_every_column() {
    let (client, options) = migrated("schema_spans").await;
    let client = client.with_database(&options.database);
    let full = full_span(
        "s-1",
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "a3ce929d0e0e4736",
        1_700_000_000_123_456_789,
    );
    // Nulls, empty arrays and an empty map must survive too.
    let sparse = SpanRow {
        coverage: None,
        events_timestamp: vec![],
        events_name: vec![],
        events_attributes: vec![],
        links_trace_id: vec![],
        links_span_id: vec![],
        links_trace_state: vec![],
        links_attributes: vec![],
        span_attributes: vec![],
        span_id: "b3ce929d0e0e4736".into(),
        content_missing: false,
        ..full.clone()
    };
    let mut insert = client.insert::<SpanRow>("spans").await.unwrap();
    insert.write(&full).await.unwrap();
    insert.write(&sparse).await.unwrap();
    insert.end().await.unwrap();

    let back: Vec<SpanRow> = client
        .query("SELECT ?fields FROM spans ORDER BY SpanId")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(back, vec![full, sparse]);
}

#[tokio::test]
async fn intent_rows_round_trip_and_the_newest_version_wins() {
    let (client, options) = migrated("schema_intents").await;
    let client = client.with_database(&options.database);
    let first = IntentRow {
        intent_id: "i-child".into(),
        parent_intent_id: "i-root".into(),
        root_intent_id: "i-root".into(),
        session_id: "s-1".into(),
        depth: 1,
        agent_name: "query-agent".into(),
        objective: "list inactive accounts".into(),
        scope: "inactive = last_login older than 30 days".into(),
        constraints: "no writes".into(),
        guards: vec![
            "deny sql write".into(),
            "define inactive = last_login > 90 days".into(),
        ],
        digest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        digest_valid: true,
        coverage: Some(0.5),
        lost: vec!["define inactive".into(), "no recommendations".into()],
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        span_id: "00f067aa0ba902b7".into(),
        declared_at: 1_700_000_000_000_000_001,
        service_name: "planner".into(),
        updated_at: 1_700_000_000_000_000_100,
        source: "inferred".into(),
    };
    let root = IntentRow {
        intent_id: "i-root".into(),
        parent_intent_id: String::new(),
        depth: 0,
        coverage: None,
        digest_valid: false,
        lost: vec![],
        ..first.clone()
    };
    let newer = IntentRow {
        coverage: Some(0.25),
        updated_at: first.updated_at + 1,
        ..first.clone()
    };
    for row in [&first, &root, &newer] {
        // Separate inserts, as the collector would write them over time.
        let mut insert = client.insert::<IntentRow>("intents").await.unwrap();
        insert.write(row).await.unwrap();
        insert.end().await.unwrap();
    }

    let all: Vec<IntentRow> = client
        .query("SELECT ?fields FROM intents ORDER BY IntentId, UpdatedAt")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(all, vec![first.clone(), newer.clone(), root.clone()]);

    let latest: Vec<IntentRow> = client
        .query("SELECT ?fields FROM intents FINAL ORDER BY IntentId")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(latest, vec![newer, root]);
}

#[derive(Debug, PartialEq, clickhouse::Row, serde::Deserialize)]
struct SessionSummary {
    #[serde(rename = "SessionId")]
    session_id: String,
    #[serde(rename = "FirstSeen")]
    first_seen: i64,
    #[serde(rename = "LastSeen")]
    last_seen: i64,
    #[serde(rename = "Spans")]
    spans: u64,
    #[serde(rename = "MaxDepth")]
    max_depth: u16,
    #[serde(rename = "MinAlignment")]
    min_alignment: Option<f32>,
    #[serde(rename = "AlignmentSum")]
    alignment_sum: f64,
    #[serde(rename = "AlignedSpans")]
    aligned: u64,
    #[serde(rename = "DriftingSpans")]
    drifting: u64,
    #[serde(rename = "ThinSpans")]
    thin: u64,
    #[serde(rename = "ViolationSpans")]
    violation: u64,
    #[serde(rename = "UnscopedSpans")]
    unscoped: u64,
    #[serde(rename = "RootObjective")]
    root_objective: Option<String>,
    #[serde(rename = "RootIntentIds")]
    root_intent_ids: Vec<String>,
    #[serde(rename = "ServiceNames")]
    service_names: Vec<String>,
    #[serde(rename = "AgentNames")]
    agent_names: Vec<String>,
}

/// What `sessions` should hold for `spans`, computed the slow way.
fn expected_session(session: &str, spans: &[SpanRow]) -> SessionSummary {
    let mine: Vec<&SpanRow> = spans.iter().filter(|s| s.session_id == session).collect();
    let scored: Vec<&&SpanRow> = mine.iter().filter(|s| s.verdict != "unscoped").collect();
    let count = |verdict: &str| mine.iter().filter(|s| s.verdict == verdict).count() as u64;
    let sorted_unique = |values: Vec<String>| {
        let mut values: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
        values.sort();
        values.dedup();
        values
    };
    SessionSummary {
        session_id: session.into(),
        first_seen: mine.iter().map(|s| s.timestamp).min().unwrap(),
        last_seen: mine.iter().map(|s| s.timestamp).max().unwrap(),
        spans: mine.len() as u64,
        max_depth: mine.iter().map(|s| s.depth).max().unwrap(),
        min_alignment: scored.iter().map(|s| s.alignment).reduce(f32::min),
        alignment_sum: scored.iter().map(|s| f64::from(s.alignment)).sum(),
        aligned: count("aligned"),
        drifting: count("drifting"),
        thin: count("thin"),
        violation: count("violation"),
        unscoped: count("unscoped"),
        root_objective: mine
            .iter()
            .filter(|s| s.depth == 0 && s.parent_intent_id.is_empty())
            .find_map(|s| {
                s.span_attributes
                    .iter()
                    .find(|(k, _)| k == "reshimu.intent.objective")
                    .map(|(_, v)| v.clone())
            }),
        root_intent_ids: sorted_unique(mine.iter().map(|s| s.root_intent_id.clone()).collect()),
        service_names: sorted_unique(mine.iter().map(|s| s.service_name.clone()).collect()),
        agent_names: sorted_unique(mine.iter().map(|s| s.agent_name.clone()).collect()),
    }
}

fn sorted(mut summary: SessionSummary) -> SessionSummary {
    summary.root_intent_ids.sort();
    summary.service_names.sort();
    summary.agent_names.sort();
    summary
}

#[tokio::test]
async fn sessions_view_aggregates_spans_across_inserts() {
    let (client, options) = migrated("schema_sessions").await;
    let client = client.with_database(&options.database);
    let t0 = 1_700_000_000_000_000_000_i64;
    let span = |session: &str, n: i64, depth: u16, verdict: &str, alignment: f32| SpanRow {
        timestamp: t0 + n * 1_000_000,
        trace_id: format!("trace-{session}"),
        span_id: format!("{session}-{n}"),
        session_id: session.into(),
        depth,
        parent_intent_id: if depth == 0 {
            String::new()
        } else {
            "i-root".into()
        },
        root_intent_id: if verdict == "unscoped" {
            String::new()
        } else {
            format!("root-{session}")
        },
        verdict: verdict.into(),
        alignment,
        service_name: format!("svc-{}", n % 2),
        agent_name: if depth == 0 {
            "planner".into()
        } else {
            "query-agent".into()
        },
        ..SpanRow::default()
    };
    let mut declaring = span("s-a", 0, 0, "aligned", 0.9);
    declaring.span_attributes = vec![(
        "reshimu.intent.objective".into(),
        "audit inactive accounts".into(),
    )];
    // A different count per verdict, so a view that mixes two up fails.
    let mut batches = vec![vec![], vec![declaring], vec![]];
    let mut n = 1;
    for (verdict, count) in [
        ("aligned", 1),
        ("drifting", 2),
        ("thin", 3),
        ("violation", 4),
        ("unscoped", 5),
    ] {
        for _ in 0..count {
            let depth = 1 + (n % 3) as u16;
            let alignment = if verdict == "unscoped" {
                0.0
            } else {
                0.05 * n as f32
            };
            batches[n as usize % 3].push(span("s-a", n, depth, verdict, alignment));
            n += 1;
        }
    }
    // A session that never resolved an intent, and a span without a session.
    batches[0].push(span("s-b", n, 0, "unscoped", 0.0));
    batches[2].push(span("s-b", n + 1, 0, "unscoped", 0.0));
    batches[1].push(span("", n + 2, 0, "aligned", 1.0));
    for batch in &batches {
        // One insert per batch: the view then writes one partial row per
        // session per batch, which reads must merge.
        let mut insert = client.insert::<SpanRow>("spans").await.unwrap();
        for row in batch {
            insert.write(row).await.unwrap();
        }
        insert.end().await.unwrap();
    }
    let spans: Vec<SpanRow> = batches.into_iter().flatten().collect();

    let grouped: Vec<SessionSummary> = client
        .query(
            "SELECT SessionId, min(FirstSeen) AS FirstSeen, max(LastSeen) AS LastSeen, \
             sum(Spans) AS Spans, max(MaxDepth) AS MaxDepth, min(MinAlignment) AS MinAlignment, \
             sum(AlignmentSum) AS AlignmentSum, sum(AlignedSpans) AS AlignedSpans, \
             sum(DriftingSpans) AS DriftingSpans, sum(ThinSpans) AS ThinSpans, \
             sum(ViolationSpans) AS ViolationSpans, sum(UnscopedSpans) AS UnscopedSpans, \
             any(RootObjective) AS RootObjective, \
             arraySort(groupUniqArrayArray(RootIntentIds)) AS RootIntentIds, \
             arraySort(groupUniqArrayArray(ServiceNames)) AS ServiceNames, \
             arraySort(groupUniqArrayArray(AgentNames)) AS AgentNames \
             FROM sessions GROUP BY SessionId ORDER BY SessionId",
        )
        .fetch_all()
        .await
        .unwrap();
    let mut expected = vec![
        expected_session("s-a", &spans),
        expected_session("s-b", &spans),
    ];
    // Float sums depend on the order of additions: compare them apart.
    for (got, want) in grouped.iter().zip(&expected) {
        assert!(
            (got.alignment_sum - want.alignment_sum).abs() < 1e-6,
            "{got:?}"
        );
    }
    for summary in expected.iter_mut() {
        summary.alignment_sum = 0.0;
    }
    let strip = |rows: Vec<SessionSummary>| -> Vec<SessionSummary> {
        rows.into_iter()
            .map(|row| SessionSummary {
                alignment_sum: 0.0,
                ..sorted(row)
            })
            .collect()
    };
    assert_eq!(strip(grouped), expected);
    assert_eq!(
        expected[0].root_objective.as_deref(),
        Some("audit inactive accounts")
    );
    assert_eq!(expected[1].min_alignment, None);

    let finalized: Vec<SessionSummary> = client
        .query("SELECT ?fields FROM sessions FINAL ORDER BY SessionId")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(strip(finalized), expected);
}

#[tokio::test]
async fn lookup_tables_bound_one_trace_and_one_session() {
    let (client, options) = migrated("schema_lookup").await;
    let client = client.with_database(&options.database);
    // One day, four sessions of about 10,000 spans (more than a granule
    // each), traces of 100 spans within one session.
    client
        .query(
            "INSERT INTO spans (Timestamp, TraceId, SpanId, SessionId, Verdict) \
             SELECT toDateTime64('2025-03-01 00:00:00', 9) + toIntervalSecond(number), \
                    concat('trace-', toString(intDiv(number, 100))), toString(number), \
                    concat('session-', toString(intDiv(number, 100) % 4)), 'aligned' \
             FROM numbers(40000)",
        )
        .execute()
        .await
        .unwrap();

    let bounds: (u32, u32) = client
        .query("SELECT toUnixTimestamp(min(Start)), toUnixTimestamp(max(End)) FROM spans_trace_id_ts WHERE TraceId = 'trace-7'")
        .fetch_one()
        .await
        .unwrap();
    let expected: (u32, u32) = client
        .query("SELECT toUnixTimestamp(min(Timestamp)), toUnixTimestamp(max(Timestamp)) FROM spans WHERE TraceId = 'trace-7'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(bounds, expected);

    let sessions: Vec<(String, u32, u32)> = client
        .query("SELECT SessionId, toUnixTimestamp(min(Start)), toUnixTimestamp(max(End)) FROM spans_session_id_ts GROUP BY SessionId ORDER BY SessionId")
        .fetch_all()
        .await
        .unwrap();
    let from_spans: Vec<(String, u32, u32)> = client
        .query("SELECT SessionId, toUnixTimestamp(min(Timestamp)), toUnixTimestamp(max(Timestamp)) FROM spans GROUP BY SessionId ORDER BY SessionId")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(sessions, from_spans);
    assert_eq!(sessions.len(), 4);

    let session_plan = explain(
        &client,
        "SELECT SpanId FROM spans WHERE SessionId = 'session-2'",
    )
    .await;
    let (selected, total) = granules(&session_plan, "PrimaryKey");
    assert!(
        selected < total,
        "session lookup reads {selected}/{total} granules:\n{session_plan}"
    );

    // A trace: the bloom filter on TraceId skips granules without it.
    let trace_plan = explain(
        &client,
        "SELECT SpanId FROM spans WHERE TraceId = 'trace-7'",
    )
    .await;
    let (selected, total) = granules(&trace_plan, "idx_trace_id");
    assert!(
        selected < total,
        "trace lookup reads {selected}/{total} granules:\n{trace_plan}"
    );
}

async fn explain(client: &Client, query: &str) -> String {
    let lines: Vec<String> = client
        .query_raw(&format!("EXPLAIN indexes = 1 {query}"))
        .fetch_all()
        .await
        .unwrap();
    lines.join("\n")
}

/// `Granules: selected/total` of the index section named `index`.
fn granules(plan: &str, index: &str) -> (u64, u64) {
    let section = plan
        .split_once(index)
        .unwrap_or_else(|| panic!("no {index} in plan:\n{plan}"))
        .1;
    let line = section
        .lines()
        .find(|line| line.trim_start().starts_with("Granules:"))
        .unwrap();
    let (selected, total) = line
        .trim()
        .trim_start_matches("Granules:")
        .trim()
        .split_once('/')
        .unwrap();
    (selected.parse().unwrap(), total.parse().unwrap())
}

#[tokio::test]
async fn cluster_ddl_parses_on_the_engine() {
    let server = LocalClickHouse::shared().unwrap();
    let client = server.client();
    let options = SchemaOptions {
        database: "reshimu".into(),
        ttl_days: 30,
        cluster: Some("reshimu_cluster".into()),
    };
    let mut statements = schema::bootstrap_statements(&options);
    for migration in schema::render(&options).unwrap() {
        statements.extend(migration.statements);
    }
    let mut distributed = Vec::new();
    for statement in &statements {
        assert!(
            statement.contains("ON CLUSTER `reshimu_cluster`"),
            "{statement}"
        );
        let formatted: String = client
            .query_raw("SELECT formatQuerySingleLine({q:String})")
            .param("q", statement)
            .fetch_one()
            .await
            .unwrap_or_else(|e| panic!("does not parse: {e}\n{statement}"));
        assert!(
            formatted.contains("ON CLUSTER reshimu_cluster"),
            "{formatted}"
        );
        if formatted.contains("ENGINE = Distributed(") {
            distributed.push(formatted);
        } else if formatted.starts_with("CREATE TABLE") {
            assert!(formatted.contains("ENGINE = Replicated"), "{formatted}");
            assert!(
                formatted.contains("_local ") || formatted.contains("schema_migrations"),
                "{formatted}"
            );
        } else if formatted.starts_with("CREATE MATERIALIZED VIEW") {
            // Views fire on the node the block lands on: local tables only.
            assert!(
                formatted.contains("FROM reshimu.spans_local"),
                "{formatted}"
            );
            assert!(formatted.contains("_local AS SELECT"), "{formatted}");
        }
    }
    let mut names: Vec<&str> = distributed
        .iter()
        .map(|d| d.split_whitespace().nth(5).unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "reshimu.intents",
            "reshimu.sessions",
            "reshimu.spans",
            "reshimu.spans_session_id_ts",
            "reshimu.spans_trace_id_ts"
        ]
    );
}

#[tokio::test]
async fn a_changed_migration_is_rejected_by_name() {
    let (client, options) = server("schema_checksum");
    for statement in schema::bootstrap_statements(&options) {
        client.query_raw(&statement).execute().await.unwrap();
    }
    let rendered = schema::render(&options).unwrap();
    client
        .query_raw(&format!(
            "INSERT INTO {}.schema_migrations (version, name, checksum) VALUES (1, 'spans', {{c:String}}), (4, 'intents', 'edited')",
            options.database
        ))
        .param("c", &rendered[0].checksum)
        .execute()
        .await
        .unwrap();

    let error = schema::apply(&client, &options).await.unwrap_err();
    match &error {
        SchemaError::ChecksumMismatch {
            version,
            name,
            recorded,
            current,
            ..
        } => {
            assert_eq!((*version, name.as_str()), (4, "intents"));
            assert_eq!(recorded, "edited");
            assert_eq!(current, &rendered[3].checksum);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(error.to_string().contains("0004_intents"), "{error}");
    // Nothing ran: the check comes before the first statement.
    let names: Vec<String> = tables(&client, &options.database)
        .await
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["schema_migrations"]);
}

/// The TTL is a setting (issue 12, finding 5): changing it on an applied
/// schema alters the tables instead of failing the checksum check.
#[tokio::test]
async fn changing_the_ttl_of_an_applied_schema_alters_the_tables() {
    let (client, options) = migrated("schema_options").await;
    for days in [7, 0, 30] {
        let changed = SchemaOptions {
            ttl_days: days,
            ..options.clone()
        };
        let applied = schema::apply(&client, &changed).await.unwrap();
        assert!(applied.applied.is_empty(), "{applied:?}");
        for (name, ddl) in tables(&client, &options.database).await {
            if ["spans", "intents", "sessions"].contains(&name.as_str()) {
                if days == 0 {
                    assert!(!ddl.contains(" TTL "), "{name}: {ddl}");
                } else {
                    assert!(
                        ddl.contains(&format!("toIntervalDay({days})")),
                        "{name}: {ddl}"
                    );
                }
            }
        }
        // Applying the same setting again changes nothing.
        let again = schema::apply(&client, &changed).await.unwrap();
        assert!(again.ttl_changed.is_empty(), "{again:?}");
    }
}
