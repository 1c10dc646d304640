//! Structured logs through `tracing-subscriber`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use super::TelemetryError;
use crate::config::{LogConfig, LogFormat};

/// Installs the global log subscriber: text or JSON lines on stderr, filtered
/// by `RUST_LOG` when set, else by the configured level. Text is coloured
/// only when stderr is a terminal, so a log redirected to a file or a pipe
/// holds no ANSI escape codes.
pub fn init_logging(config: &LogConfig) -> Result<(), TelemetryError> {
    let filter = match std::env::var(EnvFilter::DEFAULT_ENV) {
        Ok(from_env) if !from_env.is_empty() => EnvFilter::try_new(&from_env),
        _ => EnvFilter::try_new(&config.level),
    }
    .map_err(|e| TelemetryError::LogLevel {
        level: config.level.clone(),
        message: e.to_string(),
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match config.format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_ansi(false)
            .try_init(),
    };
    installed.map_err(|e| TelemetryError::LoggerInstalled(e.to_string()))
}
