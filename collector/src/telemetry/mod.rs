//! Self-telemetry: Prometheus metrics, health and readiness, structured logs.
//!
//! [`Telemetry`] is a cheap, cloneable handle passed to every stage; there is
//! no global registry. Every label set the pipeline uses is registered up
//! front and its counter kept, so incrementing on the hot path is one atomic
//! add, without hashing or locks.

mod health;
mod labeled;
mod logging;
mod metrics;
mod server;

pub use health::{ClickHouseState, Health};
pub use logging::init_logging;
pub use metrics::{Protocol, RefuseReason, SpanCounts, Telemetry};
pub use server::TelemetryServer;

/// Why self-telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The metrics listener could not bind.
    #[error("cannot listen on {endpoint} for /metrics: {source}")]
    Bind {
        /// The configured address.
        endpoint: String,
        /// The socket error.
        source: std::io::Error,
    },
    /// The log filter does not parse.
    #[error("invalid log level {level:?}: {message}")]
    LogLevel {
        /// The configured filter.
        level: String,
        /// The parser's complaint.
        message: String,
    },
    /// A global logger was already installed.
    #[error("a logger is already installed: {0}")]
    LoggerInstalled(String),
}
