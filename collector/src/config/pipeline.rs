//! `queue`, `lineage` and `scoring`: the stages between receivers and sinks.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::queue::QueueLimits;

/// The bounded intake queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// Most requests waiting for processing.
    pub max_requests: usize,
    /// Most bytes (decoded request size) waiting for processing.
    pub max_bytes: usize,
    /// Back-off suggested to clients when the queue is full.
    #[serde(with = "humantime_serde")]
    pub retry_after: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        let limits = QueueLimits::default();
        Self {
            max_requests: limits.max_requests,
            max_bytes: limits.max_bytes,
            retry_after: limits.retry_after,
        }
    }
}

impl QueueConfig {
    /// The queue's limits.
    pub fn limits(&self) -> QueueLimits {
        QueueLimits {
            max_requests: self.max_requests,
            max_bytes: self.max_bytes,
            retry_after: self.retry_after,
        }
    }
}

/// Lineage reconstruction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LineageConfig {
    /// How long a span whose intent has not arrived waits before the
    /// collector asks ClickHouse and then scores it as an orphan.
    #[serde(with = "humantime_serde")]
    pub wait: Duration,
    /// Most sessions held in memory; the least recently seen is evicted first.
    pub max_sessions: usize,
    /// Most spans waiting for their intent, across all sessions.
    pub max_pending_spans: usize,
    /// A session idle this long is forgotten.
    #[serde(with = "humantime_serde")]
    pub session_ttl: Duration,
}

impl Default for LineageConfig {
    fn default() -> Self {
        Self {
            wait: Duration::from_secs(2),
            max_sessions: 10_000,
            max_pending_spans: 100_000,
            session_ttl: Duration::from_secs(15 * 60),
        }
    }
}

/// Span scoring.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringConfig {
    /// Scoring threads; 0 means one per core, minus one for I/O.
    pub workers: usize,
    /// Scorer thresholds. Kept opaque here: the scorer owns their meaning and
    /// validates them when it is built.
    pub thresholds: serde_yaml::Mapping,
}
