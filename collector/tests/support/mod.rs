//! Shared by the collector's end-to-end tests: a collector on free ports
//! writing to a fresh database of the local ClickHouse, and posting to it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use reshimu_clickhouse_launcher::LocalClickHouse;
use reshimu_collector::config::Config;
// Builders for the tests that make their own spans (faults.rs).
#[allow(unused_imports)]
pub use reshimu_collector::demo::otlp::{declare, request, string as s};
pub use reshimu_collector::demo::reference::{CONSTRAINTS, GUARDS, OBJECTIVE, SCOPE};
use reshimu_collector::service::Collector;

/// A config for tests: receivers and telemetry on free ports, ClickHouse at
/// `clickhouse` in `database`, small batches and a short lineage wait.
pub fn config(clickhouse: &LocalClickHouse, database: &str) -> Config {
    let mut c = Config::default();
    c.receivers.grpc.endpoint = "127.0.0.1:0".into();
    c.receivers.http.endpoint = "127.0.0.1:0".into();
    c.telemetry.listen = "127.0.0.1:0".into();
    c.clickhouse.url = clickhouse.url().to_owned();
    c.clickhouse.user = clickhouse.user().to_owned();
    c.clickhouse.password = reshimu_collector::config::Secret::new(clickhouse.password());
    c.clickhouse.database = database.to_owned();
    c.clickhouse.ttl_days = 0;
    c.clickhouse.batch.max_delay = Duration::from_millis(100);
    c.clickhouse.retry.initial_backoff = Duration::from_millis(100);
    c.clickhouse.retry.max_backoff = Duration::from_millis(500);
    c.lineage.wait = Duration::from_millis(300);
    c
}

/// Starts a collector and waits until its whole schema is in place (as
/// `/readyz` says): a batch written while the migrations run can miss a
/// column of a later one and be refused.
pub async fn start(config: Config, _clickhouse: &LocalClickHouse) -> Collector {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
    let collector = Collector::start(config).await.unwrap();
    let health = collector.telemetry().health();
    wait_for(Duration::from_secs(30), || async {
        health.clickhouse() == reshimu_collector::telemetry::ClickHouseState::Up
    })
    .await;
    collector
}

/// Polls `check` until it holds or `timeout` passes (then panics).
pub async fn wait_for<F, Fut>(timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "condition not met within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A single `UInt64` from a query; 0 while the query fails (a table not
/// created yet), with the error printed for the test log.
pub async fn count(clickhouse: &LocalClickHouse, sql: &str) -> u64 {
    match clickhouse.client().query(sql).fetch_one::<u64>().await {
        Ok(n) => n,
        Err(e) => {
            eprintln!("{sql}: {e}");
            0
        }
    }
}

pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// A span builder with sensible times.
pub fn span(
    trace: [u8; 16],
    id: u8,
    parent: Option<u8>,
    name: &str,
    attributes: Vec<KeyValue>,
) -> Span {
    let start = now_ns();
    Span {
        trace_id: trace.to_vec(),
        span_id: vec![id; 8],
        parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
        name: name.into(),
        kind: 1,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 1_000_000,
        attributes,
        ..Span::default()
    }
}

/// Posts a request over OTLP/HTTP protobuf and expects 200.
pub async fn post(collector: &Collector, request: &ExportTraceServiceRequest) {
    use prost::Message;
    let url = format!("http://{}/v1/traces", collector.http_addr().unwrap());
    let resp = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-protobuf")
        .body(request.encode_to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
}
