//! The optional disk spool: the intake queue on disk, so that accepted
//! requests survive a ClickHouse outage and a collector crash.
//!
//! # How it works
//!
//! - **Append.** A receiver encodes the accepted request once and hands it to
//!   the spool thread, which appends it to the current segment as a
//!   checksummed record `[seq][request protobuf]` and numbers it. Records
//!   that arrive while an `fsync` runs are written and synced together
//!   (group commit); each receiver answers its client only after its own
//!   record is synced. With `fsync: false` records reach the kernel before
//!   the answer but are not forced to the device: they survive a crash of the
//!   collector process, not of the machine.
//! - **Read.** The processing stage takes requests in sequence order from a
//!   small in-memory prefetch channel when it keeps up, and from the segment
//!   files when it has fallen behind or after a restart. Memory stays
//!   bounded however large the backlog on disk.
//! - **Acknowledge.** The ClickHouse writer records each batch (its exact
//!   set of sequence numbers, from which its deduplication token derives) in
//!   the [journal](journal) before inserting it, and acknowledges it after.
//!   The spool keeps a watermark below which everything is acknowledged
//!   (requests released out of order by lineage leave gaps above it) and
//!   deletes whole segments below the watermark.
//! - **Restart.** Recovery cuts torn tails off, replays every unacknowledged
//!   request in order, and hands the writer the batches that were in flight
//!   so that it sends them again with exactly the same sequence numbers and
//!   token: ClickHouse drops them if the first attempt landed. Tokens start
//!   with the spool's persistent id, so numbers never collide with another
//!   spool's or an unspooled run's.
//!
//! A full spool (`max_bytes`) refuses requests like a full queue (429 /
//! `RESOURCE_EXHAUSTED`). One collector at a time may use a spool directory.

mod journal;
mod ranges;
mod reader;
mod record;
mod segment;
mod store;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use prost::Message;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

pub use ranges::SeqSet;
pub use reader::SpoolReader;

use crate::config::SpoolConfig;
use crate::queue::{MemoryBudget, QueueLimits, Received, SubmitError};
use crate::telemetry::Telemetry;
use journal::{Entry, JournalFile};
use store::{AppendError, Msg, Prefetch, Shared, Store};

/// File holding the spool's persistent id.
const ID_FILE: &str = "spool-id";

/// Why the spool could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// A file or the directory could not be read or written.
    #[error("spool {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The spool thread could not start.
    #[error("cannot start the spool thread: {0}")]
    Thread(#[source] io::Error),
    /// The spool has stopped (shutdown).
    #[error("the spool is closed")]
    Closed,
    /// Recording a batch in the journal failed.
    #[error("cannot record a batch in the spool journal: {0}")]
    Journal(String),
    /// Another process holds the spool directory.
    #[error(
        "spool {dir} is in use by another reshimu-collector (its lock file is held): \
         give each collector its own spool.dir"
    )]
    Locked {
        /// The directory.
        dir: PathBuf,
    },
}

/// File whose lock marks the spool directory as taken.
const LOCK_FILE: &str = "lock";

/// Takes the directory's lock for as long as the returned file lives: two
/// collectors on one spool would number, replay and delete each other's
/// records. The lock is the kernel's (`flock`), so a crashed collector does
/// not leave it behind.
fn lock_dir(dir: &Path) -> Result<std::fs::File, SpoolError> {
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| SpoolError::Io {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(SpoolError::Locked {
            dir: dir.to_owned(),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(SpoolError::Io { path, source }),
    }
}

/// A batch that was being inserted when the previous run stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredBatch {
    /// The batch's sequence numbers as recorded: its token derives from them.
    pub seqs: Vec<u64>,
    /// The ones still in the spool, which the writer waits for before
    /// sending the batch again (records lost since are not waited for).
    pub expect: Vec<u64>,
}

/// An opened spool: one handle per role.
#[derive(Debug)]
pub struct Spool {
    /// For the receivers.
    pub writer: SpoolWriter,
    /// For the processing stage.
    pub reader: SpoolReader,
    /// For the ClickHouse writer.
    pub journal: SpoolJournal,
    /// For the service: shutdown.
    pub control: SpoolControl,
}

impl Spool {
    /// Opens (creating if needed) the spool in `config.dir`, recovers what a
    /// previous run left, and starts its thread. `prefetch` bounds the
    /// requests kept in memory for the processing stage.
    pub fn open(
        config: &SpoolConfig,
        prefetch: QueueLimits,
        telemetry: Telemetry,
        budget: MemoryBudget,
    ) -> Result<Spool, SpoolError> {
        let dir = config.dir.clone();
        let io_err = |path: &Path| {
            let path = path.to_owned();
            move |source| SpoolError::Io { path, source }
        };
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let lock = lock_dir(&dir)?;
        let id = load_or_create_id(&dir, config.fsync).map_err(io_err(&dir.join(ID_FILE)))?;
        let (mut journal, mut acks) = JournalFile::open(&dir, config.fsync)
            .map_err(io_err(&dir.join(journal::JOURNAL_FILE)))?;

        let mut present = SeqSet::new();
        let mut segments = VecDeque::new();
        for mut seg in segment::list(&dir).map_err(io_err(&dir))? {
            let found = segment::recover(&mut seg, config.fsync).map_err(io_err(&seg.path))?;
            if found.dropped_bytes > 0 {
                if found.corrupt {
                    tracing::error!(segment = %seg.path.display(), dropped_bytes = found.dropped_bytes, "spool segment is corrupt; the records from the damage on are lost");
                } else {
                    tracing::warn!(segment = %seg.path.display(), dropped_bytes = found.dropped_bytes, "spool segment ends in a torn record (crash while writing, never acknowledged); cut off");
                }
            }
            if found.seqs.is_empty() {
                store::remove_if_present(&seg.path).map_err(io_err(&seg.path))?;
                continue;
            }
            present.extend(&found.seqs);
            segments.push_back(seg);
        }

        // Numbers are never reused: a reused number would repeat a token.
        let next_seq = [
            present.last().map(|s| s + 1),
            acks.highest.map(|s| s + 1),
            Some(acks.watermark),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0);
        // Numbers above the watermark with neither a record nor an
        // acknowledgement were lost (damage, or power loss without fsync).
        let mut known = present.clone();
        known.extend(&acks.acked);
        let lost = known.gaps(acks.watermark, next_seq);
        if !lost.is_empty() {
            tracing::error!(
                count = lost.len(),
                "spooled requests are missing from disk; they cannot be replayed"
            );
            journal
                .append(&Entry::Acked(lost.clone()))
                .map_err(io_err(&dir.join(journal::JOURNAL_FILE)))?;
            acks.ack(&lost);
        }
        let recovered: Vec<RecoveredBatch> = acks
            .begun
            .iter()
            .map(|batch| RecoveredBatch {
                seqs: batch.iter().collect(),
                expect: batch.iter().filter(|&s| !acks.is_acked(s)).collect(),
            })
            .filter(|b| !b.expect.is_empty())
            .collect();
        let backlog = next_seq - acks.watermark - acks.acked.len();
        tracing::info!(dir = %dir.display(), id, next_seq, watermark = acks.watermark, backlog, in_flight_batches = recovered.len(), "spool opened");

        let shared = Arc::new(Shared::default());
        let disk_bytes: u64 = segments.iter().map(|s| s.bytes).sum();
        shared.disk_bytes.store(disk_bytes, Ordering::Release);
        shared.written_next.store(next_seq, Ordering::Release);
        shared.read_next.store(acks.watermark, Ordering::Release);

        let (prefetch_tx, prefetch_rx) = mpsc::channel(prefetch.max_requests.max(1));
        let (written_tx, written_rx) = watch::channel(next_seq);
        let reader = SpoolReader {
            dir: dir.clone(),
            next: acks.watermark,
            skip: acks.acked.clone(),
            prefetch: prefetch_rx,
            prefetch_open: true,
            stash: None,
            written: written_rx,
            writing: true,
            cursor: None,
            shared: Arc::clone(&shared),
            budget,
            disk_read: None,
        };
        let mut store = Store {
            dir: dir.clone(),
            fsync: config.fsync,
            segment_bytes: segment_bytes(config.max_bytes),
            segments,
            active: None,
            next_seq,
            acks,
            journal,
            shared: Arc::clone(&shared),
            telemetry,
            prefetch: Some(Prefetch {
                tx: prefetch_tx,
                max_bytes: prefetch.max_bytes,
            }),
            written: Some(written_tx),
        };
        // Segments wholly acknowledged before the crash can go now.
        store.collect_garbage().map_err(io_err(&dir))?;
        store.publish_unacknowledged();
        store.journal.sync().map_err(io_err(&dir))?;

        let (tx, rx) = mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("reshimu-spool".into())
            .spawn(move || store.run(rx))
            .map_err(SpoolError::Thread)?;
        let max_in_flight = prefetch.max_requests.max(1);
        Ok(Spool {
            writer: SpoolWriter {
                tx: tx.clone(),
                shared: Arc::clone(&shared),
                max_bytes: config.max_bytes,
                retry_after: prefetch.retry_after,
                in_flight: Arc::new(Semaphore::new(max_in_flight)),
            },
            reader,
            journal: SpoolJournal {
                tx: tx.clone(),
                id: id.into(),
                recovered: Arc::new(recovered),
            },
            control: SpoolControl {
                tx,
                thread: Some(thread),
                shared,
                _lock: lock,
            },
        })
    }
}

/// Segments are a fraction of the budget so that acknowledged space comes
/// back in small steps, within sane bounds for the file count.
fn segment_bytes(max_bytes: u64) -> u64 {
    (max_bytes / 8).clamp(4 * 1024, 16 * 1024 * 1024)
}

/// The receivers' handle: appends a request and waits until it is on disk.
#[derive(Debug, Clone)]
pub struct SpoolWriter {
    tx: mpsc::UnboundedSender<Msg>,
    shared: Arc<Shared>,
    max_bytes: u64,
    retry_after: Duration,
    /// Appends waiting for their sync; bounds the memory they hold.
    in_flight: Arc<Semaphore>,
}

impl SpoolWriter {
    /// Writes `received` to the spool and returns its sequence number once
    /// it is durable (synced, or written with `fsync: false`). Refuses with
    /// [`SubmitError::Full`] when the spool is at `max_bytes` or too many
    /// appends are waiting.
    pub async fn append(&self, received: Received) -> Result<u64, SubmitError> {
        if self.shared.poisoned.load(Ordering::Acquire) {
            return Err(SubmitError::Unavailable(
                "the spool failed; see the collector log".into(),
            ));
        }
        let full = |reason| SubmitError::Full {
            reason,
            retry_after: self.retry_after,
        };
        let Ok(_permit) = self.in_flight.try_acquire() else {
            return Err(full("spool writes in flight"));
        };
        let payload = received.request.encode_to_vec();
        let len = record::framed_len(8 + payload.len()) as u64;
        let reserved = self.shared.reserved.fetch_add(len, Ordering::AcqRel);
        let used = self.shared.disk_bytes.load(Ordering::Acquire) + reserved;
        // As with the memory queue, one request larger than the whole budget
        // still goes into an empty spool rather than being refused forever.
        if used > record::MAGIC_LEN as u64 && used + len > self.max_bytes {
            self.shared.reserved.fetch_sub(len, Ordering::AcqRel);
            return Err(full("spool bytes"));
        }
        let (reply, answer) = oneshot::channel();
        let msg = Msg::Append {
            payload,
            received,
            reserved: len,
            reply,
        };
        if self.tx.send(msg).is_err() {
            self.shared.reserved.fetch_sub(len, Ordering::AcqRel);
            return Err(SubmitError::Closed);
        }
        match answer.await {
            Ok(Ok(seq)) => Ok(seq),
            Ok(Err(AppendError::Closed)) | Err(_) => Err(SubmitError::Closed),
            Ok(Err(AppendError::Failed(why))) => Err(SubmitError::Unavailable(why)),
        }
    }

    /// Requests not yet processed and their bytes in memory: the queue depth
    /// (bytes on disk are `reshimu_spool_bytes`).
    pub fn depth(&self) -> (usize, usize) {
        self.shared.queue_depth()
    }
}

/// The ClickHouse writer's handle: records batches and acknowledges them.
#[derive(Debug, Clone)]
pub struct SpoolJournal {
    tx: mpsc::UnboundedSender<Msg>,
    id: Arc<str>,
    recovered: Arc<Vec<RecoveredBatch>>,
}

impl SpoolJournal {
    /// The spool's persistent id: the prefix of deduplication tokens.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Batches that were in flight when the previous run stopped.
    pub fn recovered_batches(&self) -> &[RecoveredBatch] {
        &self.recovered
    }

    /// Durably records that a batch of exactly `seqs` is about to be inserted.
    pub async fn begin(&self, seqs: &[u64]) -> Result<(), SpoolError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Msg::Begin {
                seqs: SeqSet::from_seqs(seqs),
                reply,
            })
            .map_err(|_| SpoolError::Closed)?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(why)) => Err(SpoolError::Journal(why)),
            Err(_) => Err(SpoolError::Closed),
        }
    }

    /// Marks `seqs` as written; their records may now be deleted.
    pub fn acknowledge(&self, seqs: &[u64]) {
        // After shutdown there is nothing left to release.
        let _ = self.tx.send(Msg::Ack {
            seqs: SeqSet::from_seqs(seqs),
        });
    }
}

/// The service's handle: stops the spool.
#[derive(Debug)]
pub struct SpoolControl {
    tx: mpsc::UnboundedSender<Msg>,
    thread: Option<std::thread::JoinHandle<()>>,
    shared: Arc<Shared>,
    /// Held (locked) until the spool is closed.
    _lock: std::fs::File,
}

impl SpoolControl {
    /// No more appends: the reader ends after what memory holds; the rest
    /// stays on disk for the next run.
    pub fn stop_appends(&self) {
        let _ = self.tx.send(Msg::StopAppends);
    }

    /// Requests not yet processed and bytes on disk.
    pub fn depth(&self) -> (usize, usize) {
        self.shared.depth()
    }

    /// Requests on disk that no sink has acknowledged: what the next run
    /// replays.
    pub fn unacknowledged(&self) -> u64 {
        self.shared.unacknowledged.load(Ordering::Acquire)
    }

    /// Syncs the journal and stops the spool thread (blocking).
    pub fn close(self) {
        self.close_and_count();
    }

    /// [`SpoolControl::close`], returning the requests left for the next run.
    pub fn close_and_count(mut self) -> u64 {
        let _ = self.tx.send(Msg::Close);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the spool thread panicked");
        }
        self.unacknowledged()
    }
}

impl Shared {
    pub(crate) fn depth(&self) -> (usize, usize) {
        let bytes = self.disk_bytes.load(Ordering::Acquire);
        (
            self.unprocessed(),
            usize::try_from(bytes).unwrap_or(usize::MAX),
        )
    }

    /// Requests not yet processed and bytes of them held in memory: what
    /// the queue gauges show with the spool on (the disk has its own gauge).
    pub(crate) fn queue_depth(&self) -> (usize, usize) {
        (
            self.unprocessed(),
            self.prefetch_bytes.load(Ordering::Acquire),
        )
    }

    fn unprocessed(&self) -> usize {
        let written = self.written_next.load(Ordering::Acquire);
        let read = self.read_next.load(Ordering::Acquire);
        usize::try_from(written.saturating_sub(read)).unwrap_or(usize::MAX)
    }
}

/// Reads the spool id, creating one on first use.
fn load_or_create_id(dir: &Path, fsync: bool) -> io::Result<String> {
    let path = dir.join(ID_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let id = format!("spool{:x}{:08x}", nanos, fastrand::u32(..));
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(id.as_bytes())?;
        if fsync {
            f.sync_all()?;
        }
    }
    std::fs::rename(&tmp, &path)?;
    if fsync {
        journal::sync_dir(dir)?;
    }
    Ok(id)
}
