//! Segment files: `seg-<first seq, 20 digits>.log`, each a magic followed by
//! records whose body is `[seq: u64 LE][OTLP request protobuf]`.
//!
//! Records are appended in sequence order, so a segment holds the numbers
//! from its first up to the next segment's first. A whole segment is deleted
//! once every number in it is acknowledged.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::ranges::SeqSet;
use super::record::{self, HEADER, MAGIC_LEN, SEGMENT_MAGIC, ScanEnd};

const PREFIX: &str = "seg-";
const SUFFIX: &str = ".log";

/// A segment on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Sequence number of its first record (also its name).
    pub first: u64,
    /// The file.
    pub path: PathBuf,
    /// Size in bytes.
    pub bytes: u64,
}

/// The path of the segment starting at `first`.
pub fn path_for(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{PREFIX}{first:020}{SUFFIX}"))
}

/// The segments in `dir`, lowest first (sizes as found).
pub fn list(dir: &Path) -> io::Result<Vec<Segment>> {
    let mut segments = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(first) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|n| n.strip_suffix(SUFFIX))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        // The spool thread may delete an acknowledged segment meanwhile.
        let bytes = match entry.metadata() {
            Ok(meta) => meta.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        segments.push(Segment {
            first,
            path: entry.path(),
            bytes,
        });
    }
    segments.sort_by_key(|s| s.first);
    Ok(segments)
}

/// What recovery found in one segment.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Sequence numbers of its intact records.
    pub seqs: SeqSet,
    /// Bytes cut off (torn or corrupt tail).
    pub dropped_bytes: u64,
    /// Whether the cut was corruption rather than a torn write.
    pub corrupt: bool,
}

/// Checks every record of a segment, truncates a torn or corrupt tail, and
/// returns the sequence numbers it holds. Updates `segment.bytes`.
pub fn recover(segment: &mut Segment, fsync: bool) -> io::Result<Recovered> {
    let data = std::fs::read(&segment.path)?;
    let mut found = Recovered::default();
    if data.len() < MAGIC_LEN {
        // Created but its header never made it: nothing in it was acknowledged.
        found.dropped_bytes = data.len() as u64;
        segment.bytes = 0;
        return Ok(found);
    }
    record::check_magic(&data, SEGMENT_MAGIC)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", segment.path.display())))?;
    let mut last: Option<u64> = None;
    let mut out_of_order = None;
    let end = record::scan(&data[MAGIC_LEN..], MAGIC_LEN, |at, body| {
        let Some(seq) = record::u64_at(body, 0) else {
            out_of_order.get_or_insert(at);
            return;
        };
        if out_of_order.is_some() || last.is_some_and(|l| seq <= l) {
            out_of_order.get_or_insert(at);
            return;
        }
        last = Some(seq);
        found.seqs.insert(seq);
    });
    let mut valid = end.valid_len(data.len());
    found.corrupt = matches!(end, ScanEnd::Corrupt { .. });
    if let Some(at) = out_of_order {
        // Only corruption that happens to pass a checksum gets here.
        valid = valid.min(at);
        found.corrupt = true;
    }
    if valid < data.len() {
        found.dropped_bytes = (data.len() - valid) as u64;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&segment.path)?;
        file.set_len(valid as u64)?;
        if fsync {
            file.sync_data()?;
        }
    }
    segment.bytes = valid as u64;
    Ok(found)
}

/// Reads records one at a time from a segment, by offset.
#[derive(Debug)]
pub struct Cursor {
    file: File,
    /// The segment's first sequence number.
    pub first: u64,
    offset: u64,
}

/// One record read back.
#[derive(Debug)]
pub struct Read {
    /// Its sequence number.
    pub seq: u64,
    /// The request bytes.
    pub payload: Vec<u8>,
}

impl Cursor {
    /// A cursor at the first record of the segment starting at `first`.
    pub fn open(dir: &Path, first: u64) -> io::Result<Cursor> {
        Ok(Cursor {
            file: File::open(path_for(dir, first))?,
            first,
            offset: MAGIC_LEN as u64,
        })
    }

    /// The next record, or `None` at the end of what is written so far.
    /// Callers only read numbers the writer reported written, so a short
    /// read means the end of this segment, never a record in progress.
    pub fn next_record(&mut self) -> io::Result<Option<Read>> {
        let mut header = [0u8; HEADER];
        match self.file.read_exact_at(&mut header, self.offset) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let len = record::u32_at(&header, 0) as usize;
        let crc = record::u32_at(&header, 4);
        if !(8..=record::MAX_BODY).contains(&len) {
            return Err(invalid(self.offset, "impossible record length"));
        }
        let mut body = vec![0u8; len];
        self.file
            .read_exact_at(&mut body, self.offset + HEADER as u64)?;
        if crc32fast::hash(&body) != crc {
            return Err(invalid(self.offset, "checksum mismatch"));
        }
        self.offset += (HEADER + len) as u64;
        let seq = record::u64_at(&body, 0).unwrap_or_default();
        body.drain(..8);
        Ok(Some(Read { seq, payload: body }))
    }
}

fn invalid(offset: u64, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("spool record at byte {offset}: {what}"),
    )
}
