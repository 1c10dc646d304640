//! A collector for end-to-end tests, writing to a database of the local
//! ClickHouse.

use std::time::Duration;

use reshimu_clickhouse_launcher::LocalClickHouse;
use reshimu_collector::config::{Config, Secret};

/// A collector configuration for `database` on `server`: only the OTLP/HTTP
/// receiver, on a free port; no self-telemetry endpoint; small batches; and
/// no TTL, so rows dated days ago are kept.
pub fn config(server: &LocalClickHouse, database: &str) -> Config {
    let mut config = Config::default();
    config.receivers.grpc.enabled = false;
    config.receivers.http.endpoint = "127.0.0.1:0".into();
    config.telemetry.listen = String::new();
    config.clickhouse.url = server.url().to_owned();
    config.clickhouse.user = server.user().to_owned();
    config.clickhouse.password = Secret::new(server.password());
    config.clickhouse.database = database.to_owned();
    config.clickhouse.ttl_days = 0;
    config.clickhouse.batch.max_delay = Duration::from_millis(100);
    config.clickhouse.retry.initial_backoff = Duration::from_millis(100);
    config.clickhouse.retry.max_backoff = Duration::from_millis(500);
    config
}
