//! The memory budget: every request is accounted in bytes, once, from the
//! moment its body is read until the last sink has let go of it.
//!
//! A [`Reservation`] travels with the request ([`super::Received`] holds it)
//! through the queue, lineage, scoring, the sink channels and the ClickHouse
//! batch; dropping the request releases it. So one counter bounds every stage
//! at once, by bytes rather than by counts, and nothing per span is added on
//! the hot path: one atomic add when a request comes in, one when it goes.
//!
//! Receivers ask with [`MemoryBudget::try_reserve`] *before* they decode (and
//! for HTTP before they read the body), so a full collector refuses early
//! with 429 / `RESOURCE_EXHAUSTED` instead of decoding first. The spool
//! reader, which must not drop what is on disk, waits with
//! [`MemoryBudget::reserve`].

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// A decoded OTLP request, scored, takes about this many times its protobuf
/// size in memory (strings and vectors of the prost types, allocator
/// rounding, the span's lineage and score). Measured with
/// `cargo run --release -p reshimu-collector --example memory` (see the
/// README); a request is charged `wire × (1 + DECODED_FACTOR)` while its raw
/// bytes are still held, and `wire × DECODED_FACTOR` afterwards.
pub const DECODED_FACTOR: usize = 4;

/// Share of `memory_limit` that requests may take; the rest is for the
/// runtime, connection buffers (up to about 400 KiB per open HTTP/1
/// connection), lineage's indexes, the scorer's session memories and
/// allocator slack. 5/8 let 48 concurrent senders of 15 MiB bodies reach
/// 268 MiB under a 256 MiB limit.
pub const REQUEST_SHARE_NUM: usize = 1;
/// See [`REQUEST_SHARE_NUM`].
pub const REQUEST_SHARE_DEN: usize = 2;

/// The bytes requests may hold at once. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MemoryBudget {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    limit: usize,
    used: AtomicUsize,
    released: Notify,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                limit,
                used: AtomicUsize::new(0),
                released: Notify::new(),
            }),
        }
    }

    /// The budget for requests out of a process `memory_limit`.
    pub fn for_memory_limit(memory_limit: usize) -> Self {
        Self::new(memory_limit / REQUEST_SHARE_DEN * REQUEST_SHARE_NUM)
    }

    /// An unlimited budget (tools and tests that hold requests themselves).
    pub fn unlimited() -> Self {
        Self::new(usize::MAX)
    }

    /// The limit in bytes.
    pub fn limit(&self) -> usize {
        self.inner.limit
    }

    /// Bytes reserved now.
    pub fn used(&self) -> usize {
        self.inner.used.load(Ordering::Acquire)
    }

    /// Reserves `bytes` if they fit now.
    pub fn try_reserve(&self, bytes: usize) -> Option<Reservation> {
        self.inner.take(bytes).then(|| Reservation {
            budget: self.clone(),
            bytes,
        })
    }

    /// Reserves `bytes`, waiting until they fit. A request larger than the
    /// whole budget is let through alone (once nothing else is held), so a
    /// record on disk can always be replayed.
    pub async fn reserve(&self, bytes: usize) -> Reservation {
        loop {
            let notified = self.inner.released.notified();
            if self.inner.take(bytes) || (bytes > self.inner.limit && self.inner.take_alone(bytes))
            {
                return Reservation {
                    budget: self.clone(),
                    bytes,
                };
            }
            notified.await;
        }
    }
}

impl Inner {
    fn take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    fn take_alone(&self, bytes: usize) -> bool {
        self.used
            .compare_exchange(0, bytes, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    fn give_back(&self, bytes: usize) {
        if bytes > 0 {
            self.used.fetch_sub(bytes, Ordering::AcqRel);
            self.released.notify_waiters();
        }
    }
}

/// Bytes held against a [`MemoryBudget`], released on drop.
#[derive(Debug)]
pub struct Reservation {
    budget: MemoryBudget,
    bytes: usize,
}

impl Reservation {
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Grows the reservation to `bytes` if the difference fits now.
    pub fn try_grow(&mut self, bytes: usize) -> bool {
        if bytes <= self.bytes {
            return true;
        }
        if self.budget.inner.take(bytes - self.bytes) {
            self.bytes = bytes;
            true
        } else {
            false
        }
    }

    /// Shrinks the reservation to `bytes` (a no-op if it holds less).
    pub fn shrink(&mut self, bytes: usize) {
        if bytes < self.bytes {
            self.budget.inner.give_back(self.bytes - bytes);
            self.bytes = bytes;
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.inner.give_back(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_bound_and_release() {
        let budget = MemoryBudget::new(100);
        let mut a = budget.try_reserve(60).unwrap();
        assert!(budget.try_reserve(50).is_none());
        assert!(!a.try_grow(120));
        assert!(a.try_grow(90));
        a.shrink(30);
        let b = budget.try_reserve(70).unwrap();
        assert_eq!(budget.used(), 100);
        drop((a, b));
        assert_eq!(budget.used(), 0);
        // Larger than the budget: never through try_reserve.
        assert!(budget.try_reserve(101).is_none());
    }

    #[tokio::test]
    async fn waiting_reservations_go_through_once_memory_is_released() {
        let budget = MemoryBudget::new(100);
        let held = budget.try_reserve(80).unwrap();
        let waiting = {
            let budget = budget.clone();
            tokio::spawn(async move { budget.reserve(50).await.bytes() })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(held);
        assert_eq!(waiting.await.unwrap(), 50);
        // Oversize alone, once the budget is empty.
        assert_eq!(budget.reserve(500).await.bytes(), 500);
    }
}
