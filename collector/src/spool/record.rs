//! The framing shared by segment and journal files.
//!
//! A file starts with an 8-byte magic (kind and format version), then holds
//! records `[len: u32 LE][crc32(body): u32 LE][body: len bytes]`. A crash
//! can leave the last record half written; [`scan`] finds the end of the
//! last intact record so the caller can cut the rest off.

use std::io;

/// Bytes of a record header (length and checksum).
pub const HEADER: usize = 8;
/// Bytes of a file's magic.
pub const MAGIC_LEN: usize = 8;
/// Magic of a segment file, format version 1.
pub const SEGMENT_MAGIC: &[u8; MAGIC_LEN] = b"RSHSEG\x00\x01";
/// Magic of the journal file, format version 1.
pub const JOURNAL_MAGIC: &[u8; MAGIC_LEN] = b"RSHJNL\x00\x01";
/// No record body is larger: a length beyond it is garbage, not data.
pub const MAX_BODY: usize = 1 << 30;

/// Appends one framed record holding `parts` (concatenated) to `out`.
pub fn frame(out: &mut Vec<u8>, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut crc = crc32fast::Hasher::new();
    for p in parts {
        crc.update(p);
    }
    // Bodies are bounded by the receivers' request size limit, far below 4 GiB.
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
}

/// Size of a framed record whose body is `body_len` bytes.
pub fn framed_len(body_len: usize) -> usize {
    HEADER + body_len
}

/// How a scan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanEnd {
    /// Every byte belongs to an intact record.
    Clean,
    /// The file ends inside a record: a write cut short by a crash.
    Torn {
        /// Where the torn record starts; everything from here is dropped.
        at: usize,
    },
    /// A complete record fails its checksum (or has an impossible length).
    Corrupt {
        /// Where the bad record starts; everything from here is dropped.
        at: usize,
    },
}

impl ScanEnd {
    /// Where the intact prefix ends, for a file of `len` bytes.
    pub fn valid_len(self, len: usize) -> usize {
        match self {
            Self::Clean => len,
            Self::Torn { at } | Self::Corrupt { at } => at,
        }
    }
}

/// Walks the records of `data` (a whole file without its magic, starting at
/// file offset `base`), calling `each(offset, body)` for every intact one.
pub fn scan(data: &[u8], base: usize, mut each: impl FnMut(usize, &[u8])) -> ScanEnd {
    let mut pos = 0;
    while pos < data.len() {
        let at = base + pos;
        let Some(header) = data.get(pos..pos + HEADER) else {
            return ScanEnd::Torn { at };
        };
        let len = u32_at(header, 0) as usize;
        let crc = u32_at(header, 4);
        if len > MAX_BODY {
            return ScanEnd::Corrupt { at };
        }
        let Some(body) = data.get(pos + HEADER..pos + HEADER + len) else {
            return ScanEnd::Torn { at };
        };
        if crc32fast::hash(body) != crc {
            // A checksum failure on the very last record is what a torn write
            // looks like when the length made it to disk but the body did not.
            return if pos + HEADER + len == data.len() {
                ScanEnd::Torn { at }
            } else {
                ScanEnd::Corrupt { at }
            };
        }
        each(at, body);
        pos += HEADER + len;
    }
    ScanEnd::Clean
}

/// Checks a file's magic.
pub fn check_magic(data: &[u8], magic: &[u8; MAGIC_LEN]) -> io::Result<()> {
    if data.get(..MAGIC_LEN) == Some(magic.as_slice()) {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not a spool file of this version (bad magic)",
        ))
    }
}

/// Reads a little-endian `u32` at `at` (the caller checked the length).
pub fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

/// Reads a little-endian `u64` at `at`, if there are enough bytes.
pub fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let slice = bytes.get(at..at + 8)?;
    let mut b = [0u8; 8];
    b.copy_from_slice(slice);
    Some(u64::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(bodies: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for b in bodies {
            frame(&mut out, &[b]);
        }
        out
    }

    fn collect(data: &[u8]) -> (Vec<Vec<u8>>, ScanEnd) {
        let mut seen = Vec::new();
        let end = scan(data, 0, |_, body| seen.push(body.to_vec()));
        (seen, end)
    }

    #[test]
    fn intact_records_scan_clean() {
        let data = records(&[b"one", b"", b"three"]);
        let (seen, end) = collect(&data);
        assert_eq!(seen, vec![b"one".to_vec(), vec![], b"three".to_vec()]);
        assert_eq!(end, ScanEnd::Clean);
    }

    #[test]
    fn every_cut_inside_the_last_record_is_a_torn_tail() {
        let data = records(&[b"first", b"second record"]);
        let second = framed_len(5);
        for cut in second + 1..data.len() {
            let (seen, end) = collect(&data[..cut]);
            assert_eq!(seen, vec![b"first".to_vec()], "cut at {cut}");
            assert_eq!(end, ScanEnd::Torn { at: second }, "cut at {cut}");
            assert_eq!(end.valid_len(cut), second);
        }
    }

    #[test]
    fn a_flipped_byte_before_the_tail_is_corruption() {
        let mut data = records(&[b"first", b"second", b"third"]);
        let second = framed_len(5);
        data[second + HEADER + 2] ^= 0x40;
        let (seen, end) = collect(&data);
        assert_eq!(seen, vec![b"first".to_vec()]);
        assert_eq!(end, ScanEnd::Corrupt { at: second });
    }

    #[test]
    fn an_absurd_length_is_corruption_not_an_allocation() {
        let mut data = records(&[b"first"]);
        data.extend_from_slice(&u32::MAX.to_le_bytes());
        data.extend_from_slice(&[0; 4]);
        let (seen, end) = collect(&data);
        assert_eq!(seen.len(), 1);
        assert_eq!(end, ScanEnd::Corrupt { at: framed_len(5) });
    }
}
