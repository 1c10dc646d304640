//! The spool's files, owned by one thread that does group commit.
//!
//! Every append, batch start and acknowledgement goes through one channel to
//! this thread. It takes whatever has queued up, writes it all, syncs once,
//! and only then answers: while one `fsync` runs, the next group gathers, so
//! the cost of a sync is shared by every request that arrived meanwhile.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use tokio::sync::{mpsc, oneshot, watch};

use super::journal::{self, AckState, Entry, JournalFile};
use super::ranges::SeqSet;
use super::record::{self, MAGIC_LEN, SEGMENT_MAGIC};
use super::segment::{self, Segment};
use crate::queue::Received;
use crate::telemetry::Telemetry;

/// Most messages handled in one group; bounds the latency of the first.
const MAX_GROUP: usize = 4096;
/// The journal is rewritten once it grows past this.
const COMPACT_JOURNAL_AT: u64 = 1024 * 1024;

/// Why an append failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendError {
    /// The spool stopped taking appends (shutdown).
    Closed,
    /// Writing or syncing failed.
    Failed(String),
}

/// A request to the spool thread.
pub(crate) enum Msg {
    Append {
        payload: Vec<u8>,
        received: Received,
        reserved: u64,
        reply: oneshot::Sender<Result<u64, AppendError>>,
    },
    Begin {
        seqs: SeqSet,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Ack {
        seqs: SeqSet,
    },
    /// No more appends: close the prefetch channel so the reader ends.
    StopAppends,
    /// Sync the journal and end the thread.
    Close,
}

/// A record written in this group, waiting for the group's sync: its
/// number, the decoded request for the reader, and the receiver to answer.
type Appended = (u64, Received, oneshot::Sender<Result<u64, AppendError>>);

/// Counters shared with the handles; written by the spool thread.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Bytes of all segment files.
    pub disk_bytes: AtomicU64,
    /// Bytes admitted but not yet written.
    pub reserved: AtomicU64,
    /// The reader's next sequence number (for the depth gauge).
    pub read_next: AtomicU64,
    /// One past the highest written sequence number.
    pub written_next: AtomicU64,
    /// Set after a failed sync: nothing more is accepted.
    pub poisoned: AtomicBool,
    /// Bytes in the prefetch channel.
    pub prefetch_bytes: AtomicUsize,
    /// Requests on disk not yet acknowledged by the sinks.
    pub unacknowledged: AtomicU64,
}

/// Where freshly written requests are handed to the reader without a disk read.
pub(crate) struct Prefetch {
    pub tx: mpsc::Sender<(u64, Received)>,
    pub max_bytes: usize,
}

/// The state the thread owns.
pub(crate) struct Store {
    pub dir: PathBuf,
    pub fsync: bool,
    pub segment_bytes: u64,
    /// Segments on disk, lowest first; the last one takes appends.
    pub segments: VecDeque<Segment>,
    /// The last segment open for appending (`None` until the first append).
    pub active: Option<File>,
    pub next_seq: u64,
    pub acks: AckState,
    pub journal: JournalFile,
    pub shared: Arc<Shared>,
    pub telemetry: Telemetry,
    pub prefetch: Option<Prefetch>,
    pub written: Option<watch::Sender<u64>>,
}

impl Store {
    /// Serves messages until `Close` or until every sender is gone.
    pub fn run(mut self, mut rx: mpsc::UnboundedReceiver<Msg>) {
        let mut group = Vec::new();
        while let Some(first) = rx.blocking_recv() {
            group.push(first);
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(m) => group.push(m),
                    Err(_) => break,
                }
            }
            if !self.handle(std::mem::take(&mut group)) {
                break;
            }
        }
        if let Err(error) = self.journal.sync() {
            tracing::error!(%error, "cannot sync the spool journal at shutdown");
        }
        tracing::info!(dir = %self.dir.display(), next_seq = self.next_seq, watermark = self.acks.watermark, "spool closed");
    }

    /// Handles one group; `false` when the thread should end.
    fn handle(&mut self, group: Vec<Msg>) -> bool {
        let mut appended: Vec<Appended> = Vec::new();
        let mut begun = Vec::new();
        let mut acked = false;
        let mut keep_running = true;
        for msg in group {
            match msg {
                Msg::Append {
                    payload,
                    received,
                    reserved,
                    reply,
                } => {
                    let result = if self.written.is_none() {
                        Err(AppendError::Closed)
                    } else if self.shared.poisoned.load(Ordering::Acquire) {
                        Err(AppendError::Failed(
                            "the spool failed earlier; restart the collector".into(),
                        ))
                    } else {
                        self.append(&payload)
                            .map_err(|e| AppendError::Failed(e.to_string()))
                    };
                    self.shared.reserved.fetch_sub(reserved, Ordering::AcqRel);
                    match result {
                        Ok(seq) => appended.push((seq, received, reply)),
                        Err(e) => {
                            let _ = reply.send(Err(e));
                        }
                    }
                }
                Msg::Begin { seqs, reply } => {
                    let entry = Entry::Begin(seqs);
                    match self.journal.append(&entry) {
                        Ok(()) => {
                            self.acks.apply(&entry);
                            begun.push(reply);
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e.to_string()));
                        }
                    }
                }
                Msg::Ack { seqs } => {
                    acked = true;
                    if let Some(last) = seqs.last().filter(|&l| l >= self.next_seq) {
                        tracing::warn!(
                            last,
                            next_seq = self.next_seq,
                            "acknowledgement of requests the spool never held; ignored"
                        );
                        continue;
                    }
                    // A lost acknowledgement only costs a deduplicated replay,
                    // so a failed write is logged, not fatal.
                    if let Err(error) = self.journal.append(&Entry::Acked(seqs.clone())) {
                        tracing::warn!(%error, "cannot record an acknowledgement in the spool journal");
                    }
                    self.acks.ack(&seqs);
                }
                Msg::StopAppends => {
                    // Appends before the stop still reach the reader; the
                    // reader ends after them, and later appends are refused.
                    self.finish_appends(std::mem::take(&mut appended));
                    self.prefetch = None;
                    self.written = None;
                }
                Msg::Close => keep_running = false,
            }
        }
        self.finish_appends(appended);
        self.publish_unacknowledged();
        self.telemetry
            .set_spool_bytes(self.shared.disk_bytes.load(Ordering::Acquire));
        if !begun.is_empty() {
            let result = self.journal.sync().map_err(|e| e.to_string());
            for reply in begun {
                let _ = reply.send(result.clone());
            }
        }
        if acked && let Err(error) = self.collect_garbage() {
            tracing::warn!(%error, "cannot delete acknowledged spool segments");
        }
        keep_running
    }

    /// Publishes how many written requests are not acknowledged yet.
    pub(crate) fn publish_unacknowledged(&self) {
        let open = self
            .next_seq
            .saturating_sub(self.acks.watermark)
            .saturating_sub(self.acks.acked.len());
        self.shared.unacknowledged.store(open, Ordering::Release);
    }

    /// Syncs the group's records, then hands them to the reader and answers.
    fn finish_appends(&mut self, appended: Vec<Appended>) {
        if appended.is_empty() {
            return;
        }
        if let Err(error) = self.sync_active() {
            // After a failed fsync the kernel may have dropped the dirty pages:
            // nothing written since the last good sync can be trusted, so the
            // spool refuses everything from now on rather than guess.
            tracing::error!(%error, dir = %self.dir.display(), "spool fsync failed; refusing further requests");
            self.shared.poisoned.store(true, Ordering::Release);
            for (_, _, reply) in appended {
                let _ = reply.send(Err(AppendError::Failed(error.to_string())));
            }
            return;
        }
        let mut replies = Vec::with_capacity(appended.len());
        for (seq, received, reply) in appended {
            self.telemetry.request_spooled(received.encoded_len as u64);
            if let Some(prefetch) = &self.prefetch {
                let len = received.encoded_len;
                let before = self.shared.prefetch_bytes.fetch_add(len, Ordering::AcqRel);
                let fits = before == 0 || before + len <= prefetch.max_bytes;
                // Full means the reader is behind: it reads this one from disk later.
                if !fits || prefetch.tx.try_send((seq, received)).is_err() {
                    self.shared.prefetch_bytes.fetch_sub(len, Ordering::AcqRel);
                }
            }
            replies.push((seq, reply));
        }
        // Prefetched first, then announced: the reader prefers memory.
        self.shared
            .written_next
            .store(self.next_seq, Ordering::Release);
        if let Some(written) = &self.written {
            written.send_replace(self.next_seq);
        }
        for (seq, reply) in replies {
            let _ = reply.send(Ok(seq));
        }
    }

    /// Writes one record; on failure nothing of it stays in the file.
    fn append(&mut self, payload: &[u8]) -> io::Result<u64> {
        let seq = self.next_seq;
        let len = record::framed_len(8 + payload.len()) as u64;
        let rotate = self
            .segments
            .back()
            .is_some_and(|s| s.bytes > MAGIC_LEN as u64 && s.bytes + len > self.segment_bytes);
        if rotate {
            self.sync_active()?;
            self.active = None;
        }
        if self.active.is_none() {
            self.open_segment(seq)?;
        }
        let mut buf = Vec::with_capacity(len as usize);
        record::frame(&mut buf, &[&seq.to_le_bytes(), payload]);
        let (Some(file), Some(segment)) = (self.active.as_mut(), self.segments.back_mut()) else {
            return Err(io::Error::other("no active spool segment"));
        };
        if let Err(e) = file.write_all(&buf) {
            // Cut a partial record off so the next one starts on a boundary.
            if let Err(cut) = file.set_len(segment.bytes) {
                tracing::error!(error = %cut, "cannot cut a failed spool write; refusing further requests");
                self.shared.poisoned.store(true, Ordering::Release);
            }
            return Err(e);
        }
        segment.bytes += len;
        self.shared.disk_bytes.fetch_add(len, Ordering::AcqRel);
        self.next_seq += 1;
        Ok(seq)
    }

    fn open_segment(&mut self, first: u64) -> io::Result<()> {
        let path = segment::path_for(&self.dir, first);
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)?;
        file.write_all(SEGMENT_MAGIC)?;
        if self.fsync {
            file.sync_data()?;
            journal::sync_dir(&self.dir)?;
        }
        self.shared
            .disk_bytes
            .fetch_add(MAGIC_LEN as u64, Ordering::AcqRel);
        self.segments.push_back(Segment {
            first,
            path,
            bytes: MAGIC_LEN as u64,
        });
        self.active = Some(file);
        Ok(())
    }

    fn sync_active(&mut self) -> io::Result<()> {
        match (&self.active, self.fsync) {
            (Some(file), true) => file.sync_data(),
            _ => Ok(()),
        }
    }

    /// Deletes segments whose every record is acknowledged, and compacts
    /// the journal when it has grown.
    pub(crate) fn collect_garbage(&mut self) -> io::Result<()> {
        let watermark = self.acks.watermark;
        // A segment ends where the next one begins.
        while self.segments.len() > 1 && self.segments[1].first <= watermark {
            let done = self.segments.pop_front();
            self.delete(done)?;
        }
        // The last one ends at `next_seq`: once everything written is
        // acknowledged it goes too, and the next append starts a fresh one.
        if self.segments.len() == 1 && self.next_seq <= watermark {
            self.active = None;
            let done = self.segments.pop_front();
            self.delete(done)?;
        }
        if self.journal.len() > COMPACT_JOURNAL_AT {
            self.journal.compact(&self.acks)?;
        }
        Ok(())
    }

    fn delete(&mut self, segment: Option<Segment>) -> io::Result<()> {
        let Some(segment) = segment else {
            return Ok(());
        };
        // The acknowledgements that allow this must be durable before the data goes.
        self.journal.sync()?;
        std::fs::remove_file(&segment.path)?;
        self.shared
            .disk_bytes
            .fetch_sub(segment.bytes, Ordering::AcqRel);
        tracing::debug!(
            first = segment.first,
            bytes = segment.bytes,
            "spool segment acknowledged and deleted"
        );
        Ok(())
    }
}

/// Removes a file if present.
pub(crate) fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
