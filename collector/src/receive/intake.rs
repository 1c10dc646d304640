//! What both receivers do with a decoded request: validate, queue, count.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use super::auth::BearerAuth;
use super::validate::{Rejected, retain_valid};
use crate::queue::budget::DECODED_FACTOR;
use crate::queue::{Admission, MemoryBudget, Received, Reservation, SubmitError};
use crate::telemetry::{Protocol, RefuseReason, Telemetry};

/// The shared state behind both receivers.
#[derive(Debug)]
pub(crate) struct Intake {
    pub queue: Admission,
    pub telemetry: Telemetry,
    pub auth: BearerAuth,
    pub max_request_bytes: usize,
    pub budget: MemoryBudget,
    /// Back-off suggested when memory is short (the queue's `retry_after`).
    pub retry_after: Duration,
    /// Longest a request body may take to arrive.
    pub body_timeout: Duration,
    closing: AtomicBool,
}

/// Why a decoded request was not queued.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Queue (or memory) at a bound; retry after the delay.
    Full(Duration),
    /// Larger than the queue can ever hold; retrying does not help.
    TooLarge(String),
    /// The spool cannot write; retry later (possibly elsewhere).
    Unavailable,
    /// Shutting down.
    Closing,
}

impl Intake {
    pub fn new(
        queue: Admission,
        telemetry: Telemetry,
        auth: BearerAuth,
        max_request_bytes: usize,
        budget: MemoryBudget,
        retry_after: Duration,
        body_timeout: Duration,
    ) -> Self {
        Self {
            body_timeout,
            queue,
            telemetry,
            auth,
            max_request_bytes,
            budget,
            retry_after,
            closing: AtomicBool::new(false),
        }
    }

    /// Reserves memory for `bytes` of raw body before it is read (or, for
    /// gRPC, decoded); `None` (counted) means refuse now, before any work.
    pub fn reserve_raw(&self, protocol: Protocol, bytes: usize) -> Option<Reservation> {
        let reservation = self.budget.try_reserve(bytes);
        if reservation.is_none() {
            self.refuse_undecoded(protocol, RefuseReason::MemoryLimit);
            tracing::debug!(%protocol, bytes, used = self.budget.used(), limit = self.budget.limit(), "memory budget full, asking the client to retry");
        }
        self.telemetry.set_memory_reserved(self.budget.used());
        reservation
    }

    /// Refuses (counted, reason `queue_full`) a request of at least `bytes`
    /// that the queue could not take now, before its body is read or
    /// decoded; returns the back-off to answer.
    pub fn refuse_if_full(&self, protocol: Protocol, bytes: usize) -> Option<Duration> {
        let retry_after = self.queue.full_for(bytes)?;
        self.refuse_undecoded(protocol, RefuseReason::QueueFull);
        tracing::debug!(%protocol, bytes, "queue full, refusing before decoding");
        Some(retry_after)
    }

    /// Reserves what a request of `wire_len` protobuf bytes takes once
    /// decoded, before decoding it; the reservation then travels with it.
    pub fn reserve_decoded(&self, protocol: Protocol, wire_len: usize) -> Option<Reservation> {
        self.reserve_raw(protocol, wire_len.saturating_mul(DECODED_FACTOR))
    }

    /// From now on, requests are answered "unavailable".
    pub fn close(&self) {
        self.closing.store(true, Ordering::Release);
    }

    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// Queues a decoded request of `encoded_len` bytes, dropping invalid spans
    /// alone; `Ok` carries what was dropped, for the partial-success answer.
    /// `decoding` holds spans the decoder already had to drop (bad JSON ids).
    /// With the spool on, returns once the request is on disk.
    pub async fn accept(
        &self,
        protocol: Protocol,
        mut request: ExportTraceServiceRequest,
        decoding: Rejected,
        encoded_len: usize,
        reservation: Option<Reservation>,
    ) -> Result<Rejected, Refusal> {
        let received = span_count(&request) + decoding.count;
        self.telemetry.request_received(protocol, received);
        if self.is_closing() {
            self.refuse(protocol, RefuseReason::ShuttingDown, received);
            return Err(Refusal::Closing);
        }
        let mut rejected = retain_valid(&mut request);
        rejected.count += decoding.count;
        if decoding.first.is_some() {
            rejected.first = decoding.first;
        }
        if rejected.count > 0 {
            self.telemetry
                .spans_refused(protocol, RefuseReason::InvalidSpan, rejected.count);
            tracing::debug!(%protocol, count = rejected.count, reason = %rejected.message(), "rejected invalid spans");
        }
        let valid = received - rejected.count;
        if valid == 0 {
            // Nothing to process; an empty export is a successful no-op.
            return Ok(rejected);
        }
        let received = Received::new(request, encoded_len).with_reservation(reservation);
        let submitted = self.queue.submit(received).await;
        self.telemetry.set_memory_reserved(self.budget.used());
        match submitted {
            Ok(()) => {
                self.telemetry.spans_accepted(protocol, valid);
                let (requests, bytes) = self.queue.depth();
                self.telemetry.set_queue_depth(requests, bytes);
                Ok(rejected)
            }
            Err(SubmitError::TooLarge { bytes, max_bytes }) => {
                self.refuse(protocol, RefuseReason::TooLarge, valid);
                Err(Refusal::TooLarge(format!(
                    "request of {bytes} bytes (decompressed) is larger than the collector's queue \
                     (queue.max_bytes = {max_bytes}); send smaller batches"
                )))
            }
            Err(SubmitError::Full {
                reason,
                retry_after,
            }) => {
                tracing::debug!(%protocol, bound = reason, "queue full, asking the client to retry");
                self.refuse(protocol, RefuseReason::QueueFull, valid);
                Err(Refusal::Full(retry_after))
            }
            Err(SubmitError::Closed) => {
                self.refuse(protocol, RefuseReason::ShuttingDown, valid);
                Err(Refusal::Closing)
            }
            Err(SubmitError::Unavailable(why)) => {
                tracing::warn!(%protocol, reason = %why, "spool cannot take the request; asking the client to retry");
                self.refuse(protocol, RefuseReason::SpoolFailed, valid);
                Err(Refusal::Unavailable)
            }
        }
    }

    /// Counts a request refused before its body was decoded.
    pub fn refuse_undecoded(&self, protocol: Protocol, reason: RefuseReason) {
        self.telemetry.request_received(protocol, 0);
        self.telemetry.request_refused(protocol, reason, 0);
    }

    /// Counts a request refused before (or instead of) queueing.
    pub fn refuse(&self, protocol: Protocol, reason: RefuseReason, spans: usize) {
        self.telemetry.request_refused(protocol, reason, spans);
    }
}

fn span_count(request: &ExportTraceServiceRequest) -> usize {
    request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum()
}
