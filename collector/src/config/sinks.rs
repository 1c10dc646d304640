//! `clickhouse`, `forward`, `file` and `spool`: where scored spans go.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Secret;

/// The ClickHouse sink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClickHouseConfig {
    /// Whether to write to ClickHouse at all.
    pub enabled: bool,
    /// HTTP interface URL. Overridden by `CLICKHOUSE_URL`.
    pub url: String,
    /// Database holding the Reshimu tables.
    pub database: String,
    /// User. Overridden by `CLICKHOUSE_USER`.
    pub user: String,
    /// Password. Overridden by `CLICKHOUSE_PASSWORD`.
    pub password: Secret,
    /// Rows older than this many days are dropped by ClickHouse; 0 keeps them
    /// forever. A setting: the tables are brought to it at start.
    pub ttl_days: u32,
    /// Cluster name: when set, DDL runs `ON CLUSTER` with replicated and distributed tables.
    pub cluster: Option<String>,
    /// Insert batching.
    pub batch: BatchConfig,
    /// Most inserts in flight at once.
    pub max_in_flight: usize,
    /// Retries of failed inserts.
    pub retry: RetryConfig,
    /// Timeout of one HTTP request to ClickHouse.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Apply the schema migrations when the collector starts.
    pub migrate_on_start: bool,
    /// Where spans ClickHouse refuses for good are kept, as OTLP JSON lines
    /// (`reshimu-collector replay FILE` sends them again).
    pub dead_letter_path: PathBuf,
}

impl Default for ClickHouseConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            url: "http://127.0.0.1:8123".to_owned(),
            database: "reshimu".to_owned(),
            user: "default".to_owned(),
            password: Secret::default(),
            ttl_days: crate::schema::DEFAULT_TTL_DAYS,
            cluster: None,
            batch: BatchConfig::default(),
            max_in_flight: 2,
            retry: RetryConfig::default(),
            timeout: Duration::from_secs(30),
            migrate_on_start: true,
            dead_letter_path: PathBuf::from("reshimu-dead-letter.jsonl"),
        }
    }
}

/// When a batch is sent: at whichever bound is reached first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatchConfig {
    /// Rows per insert.
    pub max_rows: usize,
    /// Uncompressed bytes per insert.
    pub max_bytes: usize,
    /// Longest a row waits for its batch to fill.
    #[serde(with = "humantime_serde")]
    pub max_delay: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            max_rows: 20_000,
            // Wire bytes; with `max_in_flight` batches also held while they
            // are inserted, this is what keeps the collector under 256 MB.
            max_bytes: 4 * 1024 * 1024,
            max_delay: Duration::from_secs(1),
        }
    }
}

/// Exponential back-off between retries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// First delay.
    #[serde(with = "humantime_serde")]
    pub initial_backoff: Duration,
    /// Cap on the delay; retries go on until the insert succeeds or the collector stops.
    #[serde(with = "humantime_serde")]
    pub max_backoff: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// Forwarding of enriched spans to the next OTLP hop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForwardConfig {
    /// Target, e.g. `http://otel-collector:4317`; unset disables forwarding.
    pub endpoint: Option<String>,
    /// Wire protocol.
    pub protocol: ForwardProtocol,
    /// Extra request headers (gRPC metadata), e.g. an authorization header.
    pub headers: BTreeMap<String, String>,
    /// Timeout of one export.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for ForwardConfig {
    fn default() -> Self {
        Self {
            endpoint: None,
            protocol: ForwardProtocol::Grpc,
            headers: BTreeMap::new(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// OTLP transport for forwarding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ForwardProtocol {
    /// OTLP/gRPC.
    #[default]
    Grpc,
    /// OTLP/HTTP with protobuf bodies.
    Http,
}

/// Writing enriched spans as OTLP JSON lines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// Output file (`-` for stdout); unset disables the file sink.
    pub path: Option<PathBuf>,
}

/// The on-disk spool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpoolConfig {
    /// Whether accepted requests are written to disk before they are acknowledged.
    pub enabled: bool,
    /// Spool directory.
    pub dir: PathBuf,
    /// Most bytes on disk; beyond it the receivers answer "retry later".
    pub max_bytes: u64,
    /// fsync each write before acknowledging (survives power loss, costs latency).
    pub fsync: bool,
}

impl Default for SpoolConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            dir: PathBuf::from("reshimu-spool"),
            max_bytes: 1024 * 1024 * 1024,
            fsync: true,
        }
    }
}
