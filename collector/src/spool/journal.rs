//! What has been sent to ClickHouse: the acknowledgement watermark and the
//! batches in flight, kept in an append-only journal next to the segments.
//!
//! Entries:
//! - `Base(w)`: every sequence number below `w` is acknowledged.
//! - `Begin(seqs)`: a batch of exactly these requests is about to be inserted
//!   with the token derived from `seqs`. Written and synced *before* the
//!   insert, so that after a crash the same batch can be sent again with the
//!   same token, which ClickHouse then deduplicates if the first try landed.
//! - `Acked(seqs)`: these requests are in ClickHouse (or were given up on).
//!
//! Acknowledgements are written lazily (a lost one only means a replay that
//! ClickHouse deduplicates); they are synced before any segment is deleted.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::ranges::SeqSet;
use super::record::{self, JOURNAL_MAGIC, MAGIC_LEN, ScanEnd};

const BASE: u8 = 0;
const BEGIN: u8 = 1;
const ACKED: u8 = 2;

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Everything below this sequence number is acknowledged.
    Base(u64),
    /// A batch is about to be inserted.
    Begin(SeqSet),
    /// These requests are written.
    Acked(SeqSet),
}

impl Entry {
    fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::with_capacity(32);
        match self {
            Entry::Base(w) => {
                body.push(BASE);
                body.extend_from_slice(&w.to_le_bytes());
            }
            Entry::Begin(set) | Entry::Acked(set) => {
                body.push(if matches!(self, Entry::Begin(_)) {
                    BEGIN
                } else {
                    ACKED
                });
                for (start, end) in set.ranges() {
                    body.extend_from_slice(&start.to_le_bytes());
                    body.extend_from_slice(&end.to_le_bytes());
                }
            }
        }
        record::frame(out, &[&body]);
    }

    fn decode(body: &[u8]) -> Option<Entry> {
        let (&kind, rest) = body.split_first()?;
        match kind {
            BASE => record::u64_at(rest, 0).map(Entry::Base),
            BEGIN | ACKED => {
                if rest.len() % 16 != 0 {
                    return None;
                }
                let mut set = SeqSet::new();
                for pair in rest.chunks_exact(16) {
                    set.insert_range(record::u64_at(pair, 0)?, record::u64_at(pair, 8)?);
                }
                Some(if kind == BEGIN {
                    Entry::Begin(set)
                } else {
                    Entry::Acked(set)
                })
            }
            _ => None,
        }
    }
}

/// The acknowledgement state the journal describes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AckState {
    /// Every sequence number below it is acknowledged.
    pub watermark: u64,
    /// Acknowledged numbers at or above the watermark (requests released out
    /// of order by lineage leave gaps below them).
    pub acked: SeqSet,
    /// Batches begun and not acknowledged, oldest first.
    pub begun: Vec<SeqSet>,
    /// The highest sequence number any entry mentions.
    pub highest: Option<u64>,
}

impl AckState {
    /// Applies one entry.
    pub fn apply(&mut self, entry: &Entry) {
        match entry {
            Entry::Base(w) => {
                self.note(w.checked_sub(1));
                if *w > self.watermark {
                    self.watermark = *w;
                    self.settle();
                }
            }
            Entry::Begin(seqs) => {
                self.note(seqs.last());
                self.begun.push(seqs.clone());
            }
            Entry::Acked(seqs) => {
                self.note(seqs.last());
                self.ack(seqs);
            }
        }
    }

    /// Marks `seqs` acknowledged; returns whether the watermark moved.
    pub fn ack(&mut self, seqs: &SeqSet) -> bool {
        let before = self.watermark;
        for (start, end) in seqs.ranges() {
            self.acked.insert_range(start.max(self.watermark), end);
        }
        self.settle();
        self.watermark != before
    }

    /// Whether `seq` is acknowledged.
    pub fn is_acked(&self, seq: u64) -> bool {
        seq < self.watermark || self.acked.contains(seq)
    }

    /// Moves the watermark over acknowledged numbers and forgets batches
    /// that are wholly acknowledged.
    fn settle(&mut self) {
        while let Some(end) = self.acked.range_end(self.watermark) {
            self.watermark = end;
        }
        self.acked.remove_below(self.watermark);
        let acked = |s: u64| s < self.watermark || self.acked.contains(s);
        self.begun.retain(|batch| !batch.iter().all(acked));
    }

    fn note(&mut self, seq: Option<u64>) {
        if let Some(s) = seq {
            self.highest = Some(self.highest.map_or(s, |h| h.max(s)));
        }
    }

    /// The entries that rebuild this state: what a compacted journal holds.
    fn entries(&self) -> Vec<Entry> {
        let mut entries = vec![Entry::Base(self.watermark)];
        if !self.acked.is_empty() {
            entries.push(Entry::Acked(self.acked.clone()));
        }
        entries.extend(self.begun.iter().cloned().map(Entry::Begin));
        entries
    }
}

/// The journal file, open for appending.
#[derive(Debug)]
pub struct JournalFile {
    path: PathBuf,
    file: File,
    len: u64,
    /// Appended since the last sync.
    dirty: bool,
    fsync: bool,
}

/// File name of the journal inside the spool directory.
pub const JOURNAL_FILE: &str = "journal.log";

impl JournalFile {
    /// Opens (or creates) the journal in `dir`, replays it into a state and
    /// cuts off a torn tail.
    pub fn open(dir: &Path, fsync: bool) -> io::Result<(JournalFile, AckState)> {
        let path = dir.join(JOURNAL_FILE);
        let mut state = AckState::default();
        let data = match std::fs::read(&path) {
            Ok(data) => data,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        if data.len() < MAGIC_LEN {
            // Absent, or cut before its header was complete: start it over.
            let file = write_new(&path, &[], fsync)?;
            return Ok((
                JournalFile {
                    path,
                    file,
                    len: MAGIC_LEN as u64,
                    dirty: false,
                    fsync,
                },
                state,
            ));
        }
        record::check_magic(&data, JOURNAL_MAGIC)?;
        let mut undecodable = 0usize;
        let end = record::scan(
            &data[MAGIC_LEN..],
            MAGIC_LEN,
            |_, body| match Entry::decode(body) {
                Some(entry) => state.apply(&entry),
                None => undecodable += 1,
            },
        );
        if undecodable > 0 {
            tracing::warn!(path = %path.display(), undecodable, "spool journal holds entries of an unknown kind; ignored");
        }
        let valid = end.valid_len(data.len());
        match end {
            ScanEnd::Clean => {}
            ScanEnd::Torn { .. } => {
                tracing::warn!(path = %path.display(), dropped_bytes = data.len() - valid, "spool journal ends in a torn entry (crash while writing); cut off")
            }
            ScanEnd::Corrupt { .. } => {
                tracing::error!(path = %path.display(), dropped_bytes = data.len() - valid, "spool journal entry fails its checksum; it and what follows are dropped")
            }
        }
        let file = OpenOptions::new().append(true).open(&path)?;
        if valid < data.len() {
            file.set_len(valid as u64)?;
            if fsync {
                file.sync_data()?;
            }
        }
        let journal = JournalFile {
            path,
            file,
            len: valid as u64,
            dirty: false,
            fsync,
        };
        Ok((journal, state))
    }

    /// Appends one entry (not yet synced).
    pub fn append(&mut self, entry: &Entry) -> io::Result<()> {
        let mut buf = Vec::with_capacity(64);
        entry.encode(&mut buf);
        if let Err(e) = self.file.write_all(&buf) {
            // Leave no half entry behind for the next append to follow.
            let _ = self.file.set_len(self.len);
            return Err(e);
        }
        self.len += buf.len() as u64;
        self.dirty = true;
        Ok(())
    }

    /// Makes every appended entry durable (a no-op with `fsync: false`).
    pub fn sync(&mut self) -> io::Result<()> {
        if self.dirty && self.fsync {
            self.file.sync_data()?;
        }
        self.dirty = false;
        Ok(())
    }

    /// Current size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Rewrites the journal as the few entries that rebuild `state`,
    /// atomically (temporary file, sync, rename).
    pub fn compact(&mut self, state: &AckState) -> io::Result<()> {
        let mut buf = Vec::new();
        for entry in state.entries() {
            entry.encode(&mut buf);
        }
        let file = write_new(&self.path, &buf, self.fsync)?;
        self.len = (MAGIC_LEN + buf.len()) as u64;
        self.file = file;
        self.dirty = false;
        Ok(())
    }
}

/// Writes `magic + body` to a temporary file and renames it over `path`.
fn write_new(path: &Path, body: &[u8], fsync: bool) -> io::Result<File> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(JOURNAL_MAGIC)?;
        f.write_all(body)?;
        if fsync {
            f.sync_all()?;
        }
    }
    std::fs::rename(&tmp, path)?;
    if fsync && let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    // Append mode: every write lands at the end, also after a truncation.
    OpenOptions::new().append(true).open(path)
}

/// Makes a directory's entries (created, renamed, removed files) durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(seqs: &[u64]) -> SeqSet {
        SeqSet::from_seqs(seqs)
    }

    #[test]
    fn watermark_waits_for_gaps_then_jumps() {
        let mut state = AckState::default();
        assert!(!state.ack(&set(&[1, 2, 3])));
        assert_eq!(state.watermark, 0);
        assert!(state.is_acked(2) && !state.is_acked(0) && !state.is_acked(4));
        assert!(state.ack(&set(&[0])));
        assert_eq!(state.watermark, 4);
        assert!(state.acked.is_empty());
        state.ack(&set(&[6]));
        assert_eq!(state.watermark, 4);
        state.ack(&set(&[5, 4]));
        assert_eq!(state.watermark, 7);
    }

    #[test]
    fn begun_batches_are_forgotten_once_acknowledged() {
        let mut state = AckState::default();
        state.apply(&Entry::Begin(set(&[0, 2])));
        state.apply(&Entry::Begin(set(&[1])));
        state.apply(&Entry::Acked(set(&[0, 2])));
        assert_eq!(state.begun, vec![set(&[1])]);
        assert_eq!(state.watermark, 1);
        assert_eq!(state.highest, Some(2));
    }

    #[test]
    fn journal_survives_reopen_torn_tail_and_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, _) = JournalFile::open(dir.path(), true).unwrap();
        journal.append(&Entry::Begin(set(&[0, 1]))).unwrap();
        journal.append(&Entry::Acked(set(&[0, 1]))).unwrap();
        journal.append(&Entry::Begin(set(&[3, 4]))).unwrap();
        journal.append(&Entry::Acked(set(&[5]))).unwrap();
        journal.sync().unwrap();
        let full = journal.len();
        drop(journal);

        let (journal, state) = JournalFile::open(dir.path(), true).unwrap();
        assert_eq!(state.watermark, 2);
        assert_eq!(state.begun, vec![set(&[3, 4])]);
        assert_eq!(state.acked, set(&[5]));
        assert_eq!(journal.len(), full);
        drop(journal);

        // A crash in the middle of the last entry loses only that entry.
        let path = dir.path().join(JOURNAL_FILE);
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(full - 3).unwrap();
        let (mut journal, torn) = JournalFile::open(dir.path(), true).unwrap();
        assert!(torn.acked.is_empty());
        assert_eq!(torn.begun, vec![set(&[3, 4])]);
        assert!(journal.len() < full - 3);

        journal.compact(&state).unwrap();
        journal.append(&Entry::Acked(set(&[2]))).unwrap();
        drop(journal);
        let (_, compacted) = JournalFile::open(dir.path(), true).unwrap();
        assert_eq!(compacted.watermark, 3);
        assert_eq!(compacted.begun, vec![set(&[3, 4])]);
        assert_eq!(compacted.acked, set(&[5]));
    }
}
