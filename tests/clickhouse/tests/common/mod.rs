//! Helpers shared by the protocol tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use reshimu_clickhouse_launcher::LocalClickHouse;
use reshimu_clickhouse_launcher::http::{self, Response, basic_auth};

/// The server under test: the process-wide shared instance.
pub fn server() -> &'static LocalClickHouse {
    LocalClickHouse::shared().expect("a local ClickHouse")
}

/// `host:port` of a server URL.
pub fn host_port(ch: &LocalClickHouse) -> String {
    ch.url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

/// Raw POST with the server's credentials.
pub fn post(ch: &LocalClickHouse, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let auth = basic_auth(ch.user(), ch.password());
    let mut all = vec![("Authorization", auth.as_str())];
    all.extend_from_slice(headers);
    http::request(
        &host_port(ch),
        "POST",
        target,
        &all,
        body,
        Duration::from_secs(60),
    )
    .unwrap()
}

/// Raw GET with the server's credentials.
pub fn get(ch: &LocalClickHouse, target: &str) -> Response {
    let auth = basic_auth(ch.user(), ch.password());
    http::request(
        &host_port(ch),
        "GET",
        target,
        &[("Authorization", auth.as_str())],
        b"",
        Duration::from_secs(60),
    )
    .unwrap()
}

/// `/?query=<sql>&<extra>` with the SQL percent-encoded.
pub fn query_target(sql: &str, extra: &str) -> String {
    let mut target = format!("/?query={}", http::encode_component(sql));
    if !extra.is_empty() {
        target.push('&');
        target.push_str(extra);
    }
    target
}
