//! `queue`, `lineage` and `scoring`: the stages between receivers and sinks.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::lineage::LineageLimits;
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
    /// How long a span whose intent (or parent span) has not arrived waits
    /// before the collector asks ClickHouse and then scores it as an orphan.
    #[serde(with = "humantime_serde")]
    pub wait: Duration,
    /// Most intents held in memory; the oldest learnt are forgotten first.
    pub max_intents: usize,
    /// An intent is forgotten this long after it was learnt; later spans of
    /// it find it in ClickHouse.
    #[serde(with = "humantime_serde")]
    pub intent_ttl: Duration,
    /// Most spans waiting for their intent, across all sessions; past it the
    /// oldest waiting request is scored at once with what is known.
    pub max_pending_spans: usize,
    /// Most spans remembered so that their children and links find their
    /// intent; the oldest are forgotten first.
    pub max_indexed_spans: usize,
    /// When a trace declares no intent, judge it against one inferred from
    /// the root agent's first user message (`reshimu.intent.source =
    /// inferred`), instead of leaving every span unscoped.
    pub infer_intent: bool,
}

impl Default for LineageConfig {
    fn default() -> Self {
        let limits = LineageLimits::default();
        Self {
            wait: limits.wait,
            max_intents: limits.max_intents,
            intent_ttl: limits.intent_ttl,
            max_pending_spans: limits.max_pending_spans,
            max_indexed_spans: limits.max_indexed_spans,
            infer_intent: limits.infer_intent,
        }
    }
}

impl LineageConfig {
    /// The resolver's bounds.
    pub fn limits(&self) -> LineageLimits {
        LineageLimits {
            wait: self.wait,
            max_intents: self.max_intents,
            intent_ttl: self.intent_ttl,
            max_pending_spans: self.max_pending_spans,
            max_indexed_spans: self.max_indexed_spans,
            infer_intent: self.infer_intent,
        }
    }
}

/// Span scoring. Lineage and scoring run on one dedicated thread (off the
/// I/O threads); the default scorer keeps up with the receivers on one core.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringConfig {
    /// Scorer thresholds. Kept opaque here: the scorer owns their meaning and
    /// validates them when it is built.
    pub thresholds: serde_yaml::Mapping,
}
