//! Liveness and readiness state shared by the stages.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// What the collector last learned about ClickHouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickHouseState {
    /// Not contacted yet (or the sink is disabled).
    Unknown,
    /// The last request succeeded.
    Up,
    /// The last request failed.
    Down,
}

impl ClickHouseState {
    /// Lower-case name, as `/readyz` reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Up => "up",
            Self::Down => "down",
        }
    }
}

/// Readiness flags. Readiness means "spans sent here get written": the
/// receivers are bound and ClickHouse, when the collector has one, is not
/// known to be down. While it is down spans still queue (or spool) up to the
/// bounds, but a load balancer should send new traffic elsewhere.
#[derive(Debug, Default)]
pub struct Health {
    receivers_ready: AtomicBool,
    clickhouse: AtomicU8,
}

impl Health {
    /// Marks the receivers bound (or, at shutdown, no longer accepting).
    pub fn set_receivers_ready(&self, ready: bool) {
        self.receivers_ready.store(ready, Ordering::Release);
    }

    /// Whether the receivers accept spans.
    pub fn receivers_ready(&self) -> bool {
        self.receivers_ready.load(Ordering::Acquire)
    }

    /// Whether the collector is ready: receivers bound, ClickHouse not down.
    pub fn ready(&self) -> bool {
        self.receivers_ready() && self.clickhouse() != ClickHouseState::Down
    }

    /// Records the outcome of the latest ClickHouse request.
    pub fn set_clickhouse(&self, state: ClickHouseState) {
        let v = match state {
            ClickHouseState::Unknown => 0,
            ClickHouseState::Up => 1,
            ClickHouseState::Down => 2,
        };
        self.clickhouse.store(v, Ordering::Release);
    }

    /// The latest known ClickHouse state.
    pub fn clickhouse(&self) -> ClickHouseState {
        match self.clickhouse.load(Ordering::Acquire) {
            1 => ClickHouseState::Up,
            2 => ClickHouseState::Down,
            _ => ClickHouseState::Unknown,
        }
    }
}
