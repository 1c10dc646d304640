//! Why a local ClickHouse could not be provided.

use std::io;
use std::path::PathBuf;

/// Failure to provide a ClickHouse server.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// A process or file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Building the chDB virtualenv failed (python3 -m venv or pip).
    #[error("could not prepare the chDB virtualenv at {venv}: {detail}")]
    Venv {
        /// The virtualenv folder.
        venv: PathBuf,
        /// What failed, with the tool's output.
        detail: String,
    },
    /// The server process exited or never became ready.
    #[error("ClickHouse server did not start: {0}")]
    NotReady(String),
    /// `CLICKHOUSE_URL` is set but not usable.
    #[error("invalid CLICKHOUSE_URL {url:?}: {reason}")]
    BadUrl {
        /// The value of `CLICKHOUSE_URL`.
        url: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The server answered a query with an error.
    #[error("ClickHouse query failed with HTTP {status}: {body}")]
    Query {
        /// HTTP status of the answer.
        status: u16,
        /// Body of the answer (the `Code: N. DB::Exception: ...` text).
        body: String,
    },
    /// The shared instance failed to start earlier in this process.
    #[error("the shared local ClickHouse failed to start: {0}")]
    Shared(String),
}

impl LaunchError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
