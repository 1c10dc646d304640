//! The HTTP client under the official ClickHouse client.

use std::time::Duration;

use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The `clickhouse` crate's own client, with one difference: `TCP_NODELAY`.
/// The crate streams an insert body in chunks; with Nagle's algorithm on, a
/// chunk waits for the server's delayed ACK, which adds about 40 ms to every
/// insert (`benches/pipeline.rs` measured 44 ms per 512-row insert on
/// loopback with Nagle on).
pub fn clickhouse_client() -> clickhouse::Client {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    // As the crate does: keep connections alive, and drop idle ones before
    // ClickHouse's 3 s keep-alive timeout does.
    connector.set_keepalive(Some(Duration::from_secs(60)));
    let http = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(2))
        .build(connector);
    clickhouse::Client::with_http_client(http)
}
