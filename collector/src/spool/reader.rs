//! The processing stage's end of the spool: every unacknowledged request, in
//! sequence order, from memory when it is fresh and from disk when the
//! stage fell behind or the collector restarted.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use tokio::sync::{mpsc, watch};

use super::ranges::SeqSet;
use super::segment::{self, Cursor};
use super::store::Shared;
use crate::queue::budget::DECODED_FACTOR;
use crate::queue::{MemoryBudget, Received};

/// Pause before trying an unreadable segment again.
const READ_RETRY: std::time::Duration = std::time::Duration::from_millis(200);

/// Reads requests back from the spool in sequence order.
#[derive(Debug)]
pub struct SpoolReader {
    pub(crate) dir: PathBuf,
    /// The next sequence number to hand out.
    pub(crate) next: u64,
    /// Numbers acknowledged before this run started: not replayed.
    pub(crate) skip: SeqSet,
    pub(crate) prefetch: mpsc::Receiver<(u64, Received)>,
    pub(crate) prefetch_open: bool,
    /// A prefetched request that is not the next one yet.
    pub(crate) stash: Option<(u64, Received)>,
    /// One past the highest written number; closed when appends stop.
    pub(crate) written: watch::Receiver<u64>,
    pub(crate) writing: bool,
    pub(crate) cursor: Option<Cursor>,
    pub(crate) shared: Arc<Shared>,
    /// Requests read back from disk take their share of memory like fresh
    /// ones; the reader waits for it rather than refuse what is on disk.
    pub(crate) budget: MemoryBudget,
    /// A request read from disk, waiting for its memory.
    pub(crate) disk_read: Option<(u64, Received)>,
}

impl SpoolReader {
    /// The next request and its sequence number; `None` once appends have
    /// stopped and nothing more is at hand in memory. What is left on disk
    /// then is replayed by the next run.
    pub async fn recv(&mut self) -> Option<(u64, Received)> {
        loop {
            if self.writing && self.written.has_changed().is_err() {
                self.writing = false;
            }
            while let Some(end) = self.skip.range_end(self.next) {
                self.next = end;
            }
            self.skip.remove_below(self.next);
            self.publish();
            if self.stash.is_none() {
                match self.prefetch.try_recv() {
                    Ok(item) => self.stash = Some(self.taken(item)),
                    Err(mpsc::error::TryRecvError::Disconnected) => self.prefetch_open = false,
                    Err(mpsc::error::TryRecvError::Empty) => {}
                }
            }
            match &self.stash {
                // Already read from disk while it sat in the channel.
                Some((seq, _)) if *seq < self.next => {
                    self.stash = None;
                    continue;
                }
                Some((seq, _)) if *seq == self.next => {
                    return self.stash.take().map(|item| self.deliver(item));
                }
                _ => {}
            }
            if !self.writing {
                // Shutting down: memory held nothing more in order; the
                // on-disk backlog is left to the next run.
                return None;
            }
            if self.next < self.written_next() {
                if self.disk_read.is_none() {
                    self.disk_read = self.read_disk();
                }
                if let Some((_, received)) = &self.disk_read {
                    // Kept in `disk_read` while waiting, so a cancelled wait
                    // loses nothing (recv is cancel-safe).
                    let bytes = received.encoded_len.saturating_mul(DECODED_FACTOR);
                    let reservation = self.budget.reserve(bytes).await;
                    if let Some((seq, received)) = self.disk_read.take() {
                        let received = received.with_reservation(Some(reservation));
                        return Some(self.deliver((seq, received)));
                    }
                }
                if self.next < self.written_next() {
                    // The segment could not be opened; do not spin on it.
                    tokio::time::sleep(READ_RETRY).await;
                }
                continue;
            }
            self.wait().await;
        }
    }

    /// Requests not yet processed and their bytes in memory: the queue depth.
    pub fn depth(&self) -> (usize, usize) {
        self.shared.queue_depth()
    }

    async fn wait(&mut self) {
        let want_prefetch = self.stash.is_none() && self.prefetch_open;
        tokio::select! {
            item = self.prefetch.recv(), if want_prefetch => match item {
                Some(item) => self.stash = Some(self.taken(item)),
                None => self.prefetch_open = false,
            },
            changed = self.written.changed(), if self.writing => {
                if changed.is_err() {
                    self.writing = false;
                }
            }
            else => {}
        }
    }

    /// One past the highest number written (the last value, after appends stopped).
    fn written_next(&self) -> u64 {
        *self.written.borrow()
    }

    fn taken(&self, item: (u64, Received)) -> (u64, Received) {
        self.shared
            .prefetch_bytes
            .fetch_sub(item.1.encoded_len, Ordering::AcqRel);
        item
    }

    fn deliver(&mut self, item: (u64, Received)) -> (u64, Received) {
        self.next = item.0 + 1;
        self.publish();
        item
    }

    fn publish(&self) {
        self.shared.read_next.store(self.next, Ordering::Release);
    }

    /// Reads the record numbered `self.next` (or the first one after it, if
    /// records were lost) from its segment.
    fn read_disk(&mut self) -> Option<(u64, Received)> {
        loop {
            let cursor = match self.cursor.take() {
                Some(c) if c.first <= self.next => c,
                _ => self.open_cursor()?,
            };
            let mut cursor = cursor;
            match cursor.next_record() {
                Ok(Some(read)) if read.seq < self.next => {
                    self.cursor = Some(cursor);
                }
                Ok(Some(read)) => {
                    if read.seq > self.next {
                        tracing::warn!(
                            expected = self.next,
                            found = read.seq,
                            "spool records missing; they were lost before this run"
                        );
                    }
                    self.cursor = Some(cursor);
                    match ExportTraceServiceRequest::decode(read.payload.as_slice()) {
                        Ok(request) => {
                            return Some((read.seq, Received::new(request, read.payload.len())));
                        }
                        Err(error) => {
                            tracing::error!(seq = read.seq, %error, "spooled request does not decode; skipped");
                            self.next = read.seq + 1;
                        }
                    }
                }
                Ok(None) => {
                    // End of this segment: the next one holds `self.next`.
                    self.cursor = self.open_after(cursor.first);
                    if self.cursor.is_none() {
                        return self.lost_to(self.written_next());
                    }
                }
                Err(error) => {
                    tracing::error!(%error, segment = cursor.first, "cannot read the spool segment; skipping the rest of it");
                    self.cursor = self.open_after(cursor.first);
                    if self.cursor.is_none() {
                        return self.lost_to(self.written_next());
                    }
                }
            }
        }
    }

    /// Opens the segment that holds `self.next`.
    fn open_cursor(&mut self) -> Option<Cursor> {
        let segments = match segment::list(&self.dir) {
            Ok(s) => s,
            Err(error) => {
                tracing::error!(%error, dir = %self.dir.display(), "cannot list the spool segments");
                return None;
            }
        };
        let Some(seg) = segments.iter().rev().find(|s| s.first <= self.next) else {
            // Everything before the first segment is gone: go on from there.
            let end = segments.first().map_or(self.written_next(), |s| s.first);
            self.lost_to(end);
            return None;
        };
        match Cursor::open(&self.dir, seg.first) {
            Ok(c) => Some(c),
            Err(error) => {
                tracing::error!(%error, segment = seg.first, "cannot open the spool segment");
                None
            }
        }
    }

    fn open_after(&self, first: u64) -> Option<Cursor> {
        let segments = segment::list(&self.dir).ok()?;
        let next = segments.iter().find(|s| s.first > first)?;
        Cursor::open(&self.dir, next.first).ok()
    }

    /// Records up to `end` are not on disk: say so and move past them.
    fn lost_to(&mut self, end: u64) -> Option<(u64, Received)> {
        if end > self.next {
            tracing::error!(from = self.next, to = end, "spool records missing; skipped");
            self.next = end;
        }
        None
    }
}
