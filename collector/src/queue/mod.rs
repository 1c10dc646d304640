//! The bounded queue between the receivers and the processing stages.
//!
//! A receiver acknowledges a request only once [`QueueSender::submit`] has
//! accepted it, so "accepted" always means "queued" (and, with the spool on,
//! "on disk"). The queue is bounded in requests *and* in encoded bytes; the
//! whole process is bounded by the [memory budget](budget), whose
//! reservation each request carries through every stage. When either is full
//! the sender learns how long to wait, which receivers turn into gRPC
//! `RESOURCE_EXHAUSTED` or HTTP 429 with `Retry-After`.

pub mod budget;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use tokio::sync::mpsc;

use crate::spool::SpoolWriter;
pub use budget::{MemoryBudget, Reservation};

/// One accepted export request, decoded once at the edge.
#[derive(Debug)]
pub struct Received {
    /// The decoded request.
    pub request: ExportTraceServiceRequest,
    /// Size of the request as received (after decompression), for byte accounting.
    pub encoded_len: usize,
    /// When the receiver accepted it.
    pub received_at: SystemTime,
    /// How many spans it holds.
    pub span_count: usize,
    /// Its share of the memory budget, released when the request is dropped
    /// (after the last sink is done with it).
    pub reservation: Option<Reservation>,
}

impl Received {
    /// Wraps a decoded request, counting its spans.
    pub fn new(request: ExportTraceServiceRequest, encoded_len: usize) -> Self {
        let span_count = request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        Self {
            request,
            encoded_len,
            received_at: SystemTime::now(),
            span_count,
            reservation: None,
        }
    }

    /// The request, holding `reservation` for as long as it lives.
    pub fn with_reservation(mut self, reservation: Option<Reservation>) -> Self {
        self.reservation = reservation;
        self
    }
}

/// Why a request was not queued.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SubmitError {
    /// The queue is at its request or byte bound; retry after the given delay.
    #[error("queue full ({reason}); retry after {retry_after:?}")]
    Full {
        /// Which bound was hit.
        reason: &'static str,
        /// Suggested client back-off.
        retry_after: Duration,
    },
    /// The request is larger than the queue's whole byte bound: it can never
    /// be queued, so retrying does not help.
    #[error("request of {bytes} bytes is larger than the queue's byte bound of {max_bytes}")]
    TooLarge {
        /// The request's size.
        bytes: usize,
        /// `queue.max_bytes`.
        max_bytes: usize,
    },
    /// The collector is shutting down.
    #[error("collector is shutting down")]
    Closed,
    /// The spool cannot write (disk error); clients should retry later.
    #[error("spool unavailable: {0}")]
    Unavailable(String),
}

/// Where receivers put accepted requests: the in-memory queue, or the spool
/// in front of it. An accepted request is queued (and, with the spool, on
/// disk) by the time [`Admission::submit`] returns `Ok`.
#[derive(Debug, Clone)]
pub enum Admission {
    /// The bounded in-memory queue.
    Memory(QueueSender),
    /// The disk spool.
    Spool(SpoolWriter),
}

impl From<QueueSender> for Admission {
    fn from(queue: QueueSender) -> Self {
        Admission::Memory(queue)
    }
}

impl From<SpoolWriter> for Admission {
    fn from(spool: SpoolWriter) -> Self {
        Admission::Spool(spool)
    }
}

impl Admission {
    /// Queues a request; with the spool, waits until it is durable.
    pub async fn submit(&self, item: Received) -> Result<(), SubmitError> {
        match self {
            Admission::Memory(queue) => queue.submit(item),
            Admission::Spool(spool) => spool.append(item).await.map(|_seq| ()),
        }
    }

    /// The back-off to answer when a request of at least `bytes` would be
    /// refused as full right now; checked before a body is read or decoded,
    /// so that a full collector spends nothing on the requests it refuses.
    /// Only the in-memory queue can tell in advance: the spool decides when
    /// it appends.
    pub fn full_for(&self, bytes: usize) -> Option<Duration> {
        match self {
            Admission::Memory(queue) => queue.full_for(bytes),
            Admission::Spool(_) => None,
        }
    }

    /// Requests and bytes waiting (with the spool: unprocessed requests and
    /// bytes on disk).
    pub fn depth(&self) -> (usize, usize) {
        match self {
            Admission::Memory(queue) => (queue.queued_requests(), queue.queued_bytes()),
            Admission::Spool(spool) => spool.depth(),
        }
    }
}

/// Limits of the in-memory queue.
#[derive(Debug, Clone, Copy)]
pub struct QueueLimits {
    /// Maximum queued requests.
    pub max_requests: usize,
    /// Maximum queued bytes (sum of [`Received::encoded_len`]).
    pub max_bytes: usize,
    /// Back-off suggested to clients when full.
    pub retry_after: Duration,
}

impl Default for QueueLimits {
    fn default() -> Self {
        Self {
            max_requests: 1024,
            // Counted in wire bytes, and at least one request of the largest
            // size (`receivers.max_request_bytes`) must fit; what they take
            // once decoded is bounded by `memory_limit` (see `budget`).
            max_bytes: 16 * 1024 * 1024,
            retry_after: Duration::from_secs(1),
        }
    }
}

/// Creates a bounded queue.
///
/// ```
/// # tokio_test_block_on(async {
/// use reshimu_collector::queue::{bounded, QueueLimits, Received};
/// use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
/// let (tx, mut rx) = bounded(QueueLimits::default());
/// tx.submit(Received::new(ExportTraceServiceRequest::default(), 0)).unwrap();
/// assert!(rx.recv().await.is_some());
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
pub fn bounded(limits: QueueLimits) -> (QueueSender, QueueReceiver) {
    let (tx, rx) = mpsc::channel(limits.max_requests.max(1));
    let bytes = Arc::new(AtomicUsize::new(0));
    (
        QueueSender {
            tx,
            bytes: Arc::clone(&bytes),
            limits,
        },
        QueueReceiver { rx, bytes },
    )
}

/// The receivers' end of the queue. Cheap to clone.
#[derive(Debug, Clone)]
pub struct QueueSender {
    tx: mpsc::Sender<Received>,
    bytes: Arc<AtomicUsize>,
    limits: QueueLimits,
}

impl QueueSender {
    /// Queues a request without waiting; refuses it when a bound is reached.
    pub fn submit(&self, item: Received) -> Result<(), SubmitError> {
        let len = item.encoded_len;
        if len > self.limits.max_bytes {
            // Not even into an empty queue: the bound is a promise about memory.
            return Err(SubmitError::TooLarge {
                bytes: len,
                max_bytes: self.limits.max_bytes,
            });
        }
        let before = self.bytes.fetch_add(len, Ordering::AcqRel);
        if before + len > self.limits.max_bytes {
            self.bytes.fetch_sub(len, Ordering::AcqRel);
            return Err(SubmitError::Full {
                reason: "bytes",
                retry_after: self.limits.retry_after,
            });
        }
        self.tx.try_send(item).map_err(|e| {
            self.bytes.fetch_sub(len, Ordering::AcqRel);
            match e {
                mpsc::error::TrySendError::Full(_) => SubmitError::Full {
                    reason: "requests",
                    retry_after: self.limits.retry_after,
                },
                mpsc::error::TrySendError::Closed(_) => SubmitError::Closed,
            }
        })
    }

    /// The back-off when a request of at least `bytes` would be refused as
    /// full now (a request larger than the whole queue is left to
    /// [`submit`](Self::submit), which says it is too large).
    pub fn full_for(&self, bytes: usize) -> Option<Duration> {
        let max = self.limits.max_bytes;
        let full = self.tx.capacity() == 0 || (bytes <= max && self.queued_bytes() + bytes > max);
        full.then_some(self.limits.retry_after)
    }

    /// Bytes currently queued.
    pub fn queued_bytes(&self) -> usize {
        self.bytes.load(Ordering::Acquire)
    }

    /// Requests currently queued.
    pub fn queued_requests(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }
}

/// The processing end of the queue.
#[derive(Debug)]
pub struct QueueReceiver {
    rx: mpsc::Receiver<Received>,
    bytes: Arc<AtomicUsize>,
}

impl QueueReceiver {
    /// Next request, or `None` once every sender is gone and the queue is drained.
    pub async fn recv(&mut self) -> Option<Received> {
        let item = self.rx.recv().await?;
        self.bytes.fetch_sub(item.encoded_len, Ordering::AcqRel);
        Some(item)
    }

    /// Requests and bytes still queued.
    pub fn depth(&self) -> (usize, usize) {
        (self.rx.len(), self.bytes.load(Ordering::Acquire))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(len: usize) -> Received {
        Received::new(ExportTraceServiceRequest::default(), len)
    }

    #[test]
    fn refuses_when_request_bound_reached() {
        let (tx, _rx) = bounded(QueueLimits {
            max_requests: 2,
            ..QueueLimits::default()
        });
        tx.submit(item(1)).unwrap();
        tx.submit(item(1)).unwrap();
        assert!(matches!(
            tx.submit(item(1)),
            Err(SubmitError::Full {
                reason: "requests",
                ..
            })
        ));
        assert_eq!(tx.queued_requests(), 2);
    }

    #[test]
    fn refuses_when_byte_bound_reached_even_into_an_empty_queue() {
        let (tx, _rx) = bounded(QueueLimits {
            max_bytes: 100,
            ..QueueLimits::default()
        });
        assert!(matches!(
            tx.submit(item(150)),
            Err(SubmitError::TooLarge {
                bytes: 150,
                max_bytes: 100
            })
        ));
        assert_eq!(tx.queued_bytes(), 0);
        tx.submit(item(60)).unwrap();
        assert!(matches!(
            tx.submit(item(41)),
            Err(SubmitError::Full {
                reason: "bytes",
                ..
            })
        ));
        assert_eq!(tx.queued_bytes(), 60);
    }

    #[tokio::test]
    async fn receiving_releases_bytes() {
        let (tx, mut rx) = bounded(QueueLimits {
            max_bytes: 100,
            ..QueueLimits::default()
        });
        tx.submit(item(80)).unwrap();
        rx.recv().await.unwrap();
        assert_eq!(tx.queued_bytes(), 0);
        tx.submit(item(80)).unwrap();
    }

    #[test]
    fn fullness_is_known_before_a_request_is_built() {
        let (tx, _rx) = bounded(QueueLimits {
            max_requests: 2,
            max_bytes: 100,
            retry_after: Duration::from_secs(3),
        });
        assert_eq!(tx.full_for(100), None);
        tx.submit(item(60)).unwrap();
        assert_eq!(tx.full_for(40), None);
        assert_eq!(tx.full_for(41), Some(Duration::from_secs(3)));
        // Too large for any queue: not "full", `submit` says why.
        assert_eq!(tx.full_for(101), None);
        tx.submit(item(1)).unwrap();
        assert_eq!(tx.full_for(0), Some(Duration::from_secs(3)));
    }

    #[test]
    fn closed_queue_says_so() {
        let (tx, rx) = bounded(QueueLimits::default());
        drop(rx);
        assert_eq!(tx.submit(item(1)), Err(SubmitError::Closed));
        assert_eq!(tx.queued_bytes(), 0);
    }
}
