//! The collector's configuration: one YAML file in which every key has a default.
//!
//! An empty (or absent) file is a valid configuration. Unknown keys are
//! rejected with their full path (`receivers.http.endpont`), because a typo that
//! silently falls back to a default is worse than a refusal to start. String
//! values may reference environment variables as `${NAME}`, and the usual
//! secrets can be supplied by environment alone (see [`env`]).
//!
//! `reshimu-collector.example.yaml` at the repository root documents every key;
//! a test keeps it in step with these structs.

mod env;
mod pipeline;
mod receivers;
mod secret;
mod sinks;
mod telemetry;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use env::{ENV_AUTH_TOKEN, ENV_CLICKHOUSE_PASSWORD, ENV_CLICKHOUSE_URL, ENV_CLICKHOUSE_USER};
pub use pipeline::{LineageConfig, QueueConfig, ScoringConfig};
pub use receivers::{AuthConfig, GrpcConfig, HttpConfig, ReceiversConfig, TlsConfig};
pub use secret::Secret;
pub use sinks::{
    BatchConfig, ClickHouseConfig, FileConfig, ForwardConfig, ForwardProtocol, RetryConfig,
    SpoolConfig,
};
pub use telemetry::{LogConfig, LogFormat, TelemetryConfig};

/// The whole collector configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Memory the whole process may use, in bytes: requests are refused
    /// (429 / `RESOURCE_EXHAUSTED`) before it would be exceeded.
    pub memory_limit: usize,
    /// Longest a shutdown takes: past it the sinks are stopped, and what they
    /// did not write stays in the spool (or, with the spool off, is lost and
    /// reported). A second SIGINT/SIGTERM stops at once.
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: std::time::Duration,
    /// OTLP receivers (gRPC and HTTP).
    pub receivers: ReceiversConfig,
    /// The bounded intake queue between receivers and processing.
    pub queue: QueueConfig,
    /// Lineage reconstruction (per-session intent registry).
    pub lineage: LineageConfig,
    /// Span scoring.
    pub scoring: ScoringConfig,
    /// The ClickHouse sink.
    pub clickhouse: ClickHouseConfig,
    /// Forwarding of enriched spans to another OTLP endpoint.
    pub forward: ForwardConfig,
    /// Writing enriched spans to a file as OTLP JSON lines.
    pub file: FileConfig,
    /// The on-disk spool that makes the queue durable.
    pub spool: SpoolConfig,
    /// Self-telemetry: metrics, health endpoints and logs.
    pub telemetry: TelemetryConfig,
}

/// Default of [`Config::memory_limit`]: 256 MiB.
pub const DEFAULT_MEMORY_LIMIT: usize = 256 * 1024 * 1024;

impl Default for Config {
    fn default() -> Self {
        Self {
            memory_limit: DEFAULT_MEMORY_LIMIT,
            shutdown_timeout: std::time::Duration::from_secs(10),
            receivers: ReceiversConfig::default(),
            queue: QueueConfig::default(),
            lineage: LineageConfig::default(),
            scoring: ScoringConfig::default(),
            clickhouse: ClickHouseConfig::default(),
            forward: ForwardConfig::default(),
            file: FileConfig::default(),
            spool: SpoolConfig::default(),
            telemetry: TelemetryConfig::default(),
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid YAML.
    #[error("{origin}: invalid YAML: {source}")]
    Yaml {
        /// Where the text came from (a path, or `<string>`).
        origin: String,
        /// The parser error, with line and column.
        source: serde_yaml::Error,
    },
    /// A key is unknown or a value has the wrong type.
    #[error("{origin}: `{key}`: {message}")]
    Invalid {
        /// Where the text came from.
        origin: String,
        /// Dotted path of the offending key.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// A `${NAME}` reference names an unset environment variable.
    #[error("{origin}: `{key}`: environment variable {var} is not set")]
    MissingEnv {
        /// Where the text came from.
        origin: String,
        /// Dotted path of the key whose value references it.
        key: String,
        /// The variable name.
        var: String,
    },
}

impl Config {
    /// Loads the configuration from `path` (or the defaults when `None`),
    /// then applies the environment overrides from the process environment.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let lookup = |name: &str| std::env::var(name).ok();
        match path {
            None => Self::from_yaml_str("", "<defaults>", &lookup),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                Self::from_yaml_str(&text, &path.display().to_string(), &lookup)
            }
        }
    }

    /// Parses YAML text, resolving `${NAME}` references and secret overrides
    /// through `env` (tests pass a map instead of the process environment).
    /// `origin` names the text in error messages.
    pub fn from_yaml_str(
        text: &str,
        origin: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut value: serde_yaml::Value =
            serde_yaml::from_str(text).map_err(|source| ConfigError::Yaml {
                origin: origin.to_owned(),
                source,
            })?;
        // An empty document (or one holding only comments) is the all-defaults configuration.
        if value.is_null() {
            value = serde_yaml::Value::Mapping(serde_yaml::Mapping::new());
        }
        env::expand(&mut value, env).map_err(|e| ConfigError::MissingEnv {
            origin: origin.to_owned(),
            key: e.key,
            var: e.var,
        })?;
        let mut config: Config =
            serde_path_to_error::deserialize(value).map_err(|e| ConfigError::Invalid {
                origin: origin.to_owned(),
                key: e.path().to_string(),
                message: e.into_inner().to_string(),
            })?;
        env::apply_overrides(&mut config, env);
        config
            .validate()
            .map_err(|(key, message)| ConfigError::Invalid {
                origin: origin.to_owned(),
                key: key.to_owned(),
                message,
            })?;
        Ok(config)
    }

    /// Checks relations between keys that types alone cannot express.
    fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.receivers.max_request_bytes == 0 {
            return Err(("receivers.max_request_bytes", "must be positive".into()));
        }
        let tls = &self.receivers.tls;
        if tls.cert_file.is_some() != tls.key_file.is_some() {
            return Err((
                "receivers.tls",
                "cert_file and key_file must be set together".into(),
            ));
        }
        if self.queue.max_requests == 0 {
            return Err(("queue.max_requests", "must be positive".into()));
        }
        let max_request = self.receivers.max_request_bytes;
        if self.queue.max_bytes < max_request {
            return Err((
                "queue.max_bytes",
                format!(
                    "{} is smaller than receivers.max_request_bytes ({max_request}): the largest \
                     accepted request must fit in the queue",
                    self.queue.max_bytes
                ),
            ));
        }
        let budget = crate::queue::MemoryBudget::for_memory_limit(self.memory_limit).limit();
        // The worst case is gRPC: tonic's buffer (up to twice the message)
        // and the decoded request, at once.
        let needed = max_request.saturating_mul(2 + crate::queue::budget::DECODED_FACTOR);
        if needed > budget {
            return Err((
                "memory_limit",
                format!(
                    "{} leaves {budget} bytes for requests, but one request of \
                     receivers.max_request_bytes ({max_request}) needs {needed} while it is \
                     decoded: raise memory_limit or lower max_request_bytes",
                    self.memory_limit
                ),
            ));
        }
        if self.clickhouse.batch.max_rows == 0 {
            return Err(("clickhouse.batch.max_rows", "must be positive".into()));
        }
        if self.spool.enabled && self.spool.dir.as_os_str().is_empty() {
            return Err(("spool.dir", "must be set when the spool is enabled".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
