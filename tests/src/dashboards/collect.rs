//! Seeds a database the way production does: a real collector, started in
//! process and writing to a fresh database of the local ClickHouse, is sent
//! OTLP/HTTP protobuf requests and stopped once all of them are stored.

use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use reshimu_clickhouse_launcher::LocalClickHouse;
use reshimu_collector::service::{Collector, StartError};
use reshimu_collector::telemetry::ClickHouseState;

/// How long the collector gets to store everything it was sent.
const STORE_TIMEOUT: Duration = Duration::from_secs(60);

/// Why the requests did not end up in ClickHouse.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The collector did not start.
    #[error("starting the collector: {0}")]
    Start(#[from] StartError),
    /// The collector has no OTLP/HTTP receiver to send to.
    #[error("the collector's OTLP/HTTP receiver is off")]
    NoHttpReceiver,
    /// A request could not be sent or was refused.
    #[error("sending to {url}: {reason}")]
    Send {
        /// The OTLP/HTTP endpoint.
        url: String,
        /// The transport error or the refusal.
        reason: String,
    },
    /// The collector did not apply its schema in time.
    #[error("the collector's ClickHouse schema was not ready after {0:?}")]
    SchemaNotReady(Duration),
    /// Not everything was stored in time.
    #[error(
        "after {timeout:?} ClickHouse holds {spans} of {want_spans} spans and {intents} of {want_intents} intents"
    )]
    Timeout {
        /// How long we waited.
        timeout: Duration,
        /// Spans stored.
        spans: u64,
        /// Spans sent.
        want_spans: u64,
        /// Intents stored.
        intents: u64,
        /// Intents declared.
        want_intents: u64,
    },
}

pub use crate::collector::config;

/// Starts a collector on `database`, posts `requests` in order, waits until
/// ClickHouse holds all `spans` and `intents`, then shuts the collector down.
pub async fn collect(
    server: &LocalClickHouse,
    database: &str,
    requests: &[ExportTraceServiceRequest],
    spans: u64,
    intents: u64,
) -> Result<(), CollectError> {
    let collector = Collector::start(config(server, database)).await?;
    let outcome = send_and_wait(&collector, server, database, requests, spans, intents).await;
    collector.shutdown().await;
    outcome
}

async fn send_and_wait(
    collector: &Collector,
    server: &LocalClickHouse,
    database: &str,
    requests: &[ExportTraceServiceRequest],
    spans: u64,
    intents: u64,
) -> Result<(), CollectError> {
    let addr = collector.http_addr().ok_or(CollectError::NoHttpReceiver)?;
    let url = format!("http://{addr}/v1/traces");
    // As the quickstart waits for /readyz: a batch written while the schema
    // is still being applied can miss a column and be refused.
    let deadline = Instant::now() + STORE_TIMEOUT;
    while collector.telemetry().health().clickhouse() != ClickHouseState::Up {
        if Instant::now() >= deadline {
            return Err(CollectError::SchemaNotReady(STORE_TIMEOUT));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let http = reqwest::Client::new();
    for request in requests {
        post(&http, &url, request).await?;
    }
    let client = server.client().with_database(database);
    let deadline = Instant::now() + STORE_TIMEOUT;
    loop {
        // Intents are replaced by later declarations of the same id, hence FINAL.
        let stored_spans = count(&client, "SELECT count() FROM spans").await;
        let stored_intents = count(&client, "SELECT count() FROM intents FINAL").await;
        if stored_spans >= spans && stored_intents >= intents {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(CollectError::Timeout {
                timeout: STORE_TIMEOUT,
                spans: stored_spans,
                want_spans: spans,
                intents: stored_intents,
                want_intents: intents,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    request: &ExportTraceServiceRequest,
) -> Result<(), CollectError> {
    let error = |reason: String| CollectError::Send {
        url: url.to_owned(),
        reason,
    };
    let response = http
        .post(url)
        .header("content-type", "application/x-protobuf")
        .body(request.encode_to_vec())
        .send()
        .await
        .map_err(|e| error(e.to_string()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    Err(error(format!("HTTP {status}: {body}")))
}

/// A count; 0 while the table does not exist yet (the collector applies its
/// schema in the background).
async fn count(client: &clickhouse::Client, sql: &str) -> u64 {
    match client.query(sql).fetch_one::<u64>().await {
        Ok(n) => n,
        Err(error) => {
            tracing::debug!(%error, sql, "not stored yet");
            0
        }
    }
}
