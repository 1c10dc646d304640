//! The spool against a real directory: numbering, replay order, recovery
//! from torn and damaged files, rotation and deletion, the byte bound.

use std::path::Path;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

use super::segment;
use super::*;
use crate::config::SpoolConfig;
use crate::queue::{QueueLimits, Received, SubmitError};
use crate::telemetry::Telemetry;

fn config(dir: &Path, max_bytes: u64) -> SpoolConfig {
    SpoolConfig {
        enabled: true,
        dir: dir.to_owned(),
        max_bytes,
        fsync: true,
    }
}

fn received(name: &str, padding: usize) -> Received {
    let span = Span {
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        name: format!("{name}{}", " ".repeat(padding)),
        ..Span::default()
    };
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![span],
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    };
    Received::new(request, 100 + padding)
}

fn name(received: &Received) -> String {
    received.request.resource_spans[0].scope_spans[0].spans[0]
        .name
        .trim_end()
        .to_owned()
}

fn open(config: &SpoolConfig, limits: QueueLimits) -> Spool {
    Spool::open(
        config,
        limits,
        Telemetry::new(),
        crate::queue::MemoryBudget::unlimited(),
    )
    .unwrap()
}

async fn append_all(spool: &Spool, names: &[&str]) -> Vec<u64> {
    let mut seqs = Vec::new();
    for n in names {
        seqs.push(spool.writer.append(received(n, 0)).await.unwrap());
    }
    seqs
}

async fn read(reader: &mut SpoolReader, count: usize) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    for _ in 0..count {
        let (seq, r) = tokio::time::timeout(Duration::from_secs(5), reader.recv())
            .await
            .expect("the spool reader gave nothing")
            .expect("the spool reader ended");
        out.push((seq, name(&r)));
    }
    out
}

/// Closes the way the service does.
fn close(spool: Spool) {
    spool.control.stop_appends();
    spool.control.close();
}

async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn segment_files(dir: &Path) -> Vec<segment::Segment> {
    segment::list(dir).unwrap()
}

fn pairs(items: &[(u64, &str)]) -> Vec<(u64, String)> {
    items.iter().map(|(s, n)| (*s, (*n).to_owned())).collect()
}

#[tokio::test]
async fn appends_are_numbered_and_read_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = open(&config(dir.path(), 1 << 20), QueueLimits::default());
    assert_eq!(append_all(&spool, &["a", "b", "c"]).await, vec![0, 1, 2]);
    assert_eq!(
        read(&mut spool.reader, 3).await,
        pairs(&[(0, "a"), (1, "b"), (2, "c")])
    );
    assert_eq!(spool.writer.depth().0, 0);
    close(spool);
}

#[tokio::test]
async fn a_reader_behind_the_prefetch_bound_reads_the_backlog_from_disk_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let limits = QueueLimits {
        max_requests: 2,
        ..QueueLimits::default()
    };
    let mut spool = open(&config(dir.path(), 1 << 20), limits);
    let names: Vec<String> = (0..12).map(|i| format!("r{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    append_all(&spool, &refs).await;
    assert_eq!(spool.writer.depth().0, 12);
    let got = read(&mut spool.reader, 12).await;
    let want: Vec<(u64, String)> = names
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, n)| (i as u64, n))
        .collect();
    assert_eq!(got, want);
    close(spool);
}

#[tokio::test]
async fn a_restart_replays_what_is_unacknowledged_in_order_and_numbering_continues() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 1 << 20);
    let mut spool = open(&cfg, QueueLimits::default());
    append_all(&spool, &["a", "b", "c", "d", "e", "f"]).await;
    read(&mut spool.reader, 6).await;
    // Released out of order by lineage: 2 is still held when 3 is written.
    spool.journal.acknowledge(&[0, 1]);
    spool.journal.acknowledge(&[3]);
    close(spool);

    let mut spool = open(&cfg, QueueLimits::default());
    assert_eq!(
        read(&mut spool.reader, 3).await,
        pairs(&[(2, "c"), (4, "e"), (5, "f")])
    );
    assert_eq!(append_all(&spool, &["g"]).await, vec![6]);
    assert_eq!(read(&mut spool.reader, 1).await, pairs(&[(6, "g")]));
    close(spool);
}

#[tokio::test]
async fn shutdown_leaves_the_backlog_on_disk_for_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 1 << 20);
    let limits = QueueLimits {
        max_requests: 1,
        ..QueueLimits::default()
    };
    let mut spool = open(&cfg, limits);
    append_all(&spool, &["a", "b", "c"]).await;
    spool.control.stop_appends();
    // Appends are refused once the spool thread has taken the stop.
    assert_eq!(
        spool.writer.append(received("late", 0)).await,
        Err(SubmitError::Closed)
    );
    // Only what memory holds in order comes out; the rest waits on disk.
    let mut taken = Vec::new();
    while let Some((seq, _)) = spool.reader.recv().await {
        taken.push(seq);
    }
    assert_eq!(taken, vec![0]);
    spool.journal.acknowledge(&taken);
    spool.control.close();

    let mut spool = open(&cfg, limits);
    assert_eq!(
        read(&mut spool.reader, 2).await,
        pairs(&[(1, "b"), (2, "c")])
    );
    close(spool);
}

#[tokio::test]
async fn a_torn_tail_is_cut_off_and_its_number_reused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 1 << 20);
    let spool = open(&cfg, QueueLimits::default());
    append_all(&spool, &["a", "b", "c"]).await;
    close(spool);

    let seg = &segment_files(dir.path())[0];
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&seg.path)
        .unwrap();
    file.set_len(seg.bytes - 5).unwrap();

    let mut spool = open(&cfg, QueueLimits::default());
    assert_eq!(
        read(&mut spool.reader, 2).await,
        pairs(&[(0, "a"), (1, "b")])
    );
    // "c" was cut before it was synced, so it was never acknowledged to a client.
    assert_eq!(append_all(&spool, &["c2"]).await, vec![2]);
    assert_eq!(read(&mut spool.reader, 1).await, pairs(&[(2, "c2")]));
    close(spool);
}

#[tokio::test]
async fn a_checksum_mismatch_drops_the_damaged_record_and_what_follows_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 1 << 20);
    let spool = open(&cfg, QueueLimits::default());
    append_all(&spool, &["a", "b", "c"]).await;
    close(spool);

    let seg = &segment_files(dir.path())[0];
    let mut bytes = std::fs::read(&seg.path).unwrap();
    let record = (bytes.len() - record::MAGIC_LEN) / 3;
    // A byte inside the second record's payload.
    bytes[record::MAGIC_LEN + record + record::HEADER + 12] ^= 0xff;
    std::fs::write(&seg.path, &bytes).unwrap();

    let mut spool = open(&cfg, QueueLimits::default());
    assert_eq!(read(&mut spool.reader, 1).await, pairs(&[(0, "a")]));
    assert_eq!(
        segment_files(dir.path())[0].bytes as usize,
        record::MAGIC_LEN + record
    );
    assert_eq!(append_all(&spool, &["d"]).await, vec![1]);
    assert_eq!(read(&mut spool.reader, 1).await, pairs(&[(1, "d")]));
    close(spool);
}

#[tokio::test]
async fn segments_rotate_and_go_once_every_record_in_them_is_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    // 64 KiB budget: 8 KiB segments, about seven 1 KiB requests each.
    let cfg = config(dir.path(), 64 * 1024);
    let mut spool = open(&cfg, QueueLimits::default());
    let mut seqs = Vec::new();
    for i in 0..30 {
        seqs.push(
            spool
                .writer
                .append(received(&format!("r{i}"), 1000))
                .await
                .unwrap(),
        );
    }
    read(&mut spool.reader, 30).await;
    let before = segment_files(dir.path());
    assert!(before.len() >= 4, "{} segments", before.len());
    for pair in before.windows(2) {
        assert!(pair[0].first < pair[1].first);
    }
    let disk = spool.control.depth().1;
    assert_eq!(disk as u64, before.iter().map(|s| s.bytes).sum::<u64>());

    // Up to the start of the third segment: the first two go, no more.
    let third = before[2].first;
    spool.journal.acknowledge(&seqs[..third as usize]);
    eventually("two segments are deleted and uncounted", || {
        segment_files(dir.path()).len() == before.len() - 2 && spool.control.depth().1 < disk
    })
    .await;
    assert_eq!(segment_files(dir.path())[0].first, third);

    // A gap holds the watermark: acknowledging all but one keeps its segment.
    let last = *seqs.last().unwrap();
    spool
        .journal
        .acknowledge(&seqs[third as usize..seqs.len() - 1]);
    eventually("only the last segment is left", || {
        segment_files(dir.path()).len() == 1
    })
    .await;
    spool.journal.acknowledge(&[last]);
    // The byte count drops right after each file goes: wait for both.
    eventually("every segment is deleted and uncounted", || {
        segment_files(dir.path()).is_empty() && spool.control.depth().1 == 0
    })
    .await;
    close(spool);

    // Nothing to replay, and numbers are never reused.
    let spool = open(&cfg, QueueLimits::default());
    assert_eq!(append_all(&spool, &["next"]).await, vec![last + 1]);
    close(spool);
}

#[tokio::test]
async fn a_full_spool_refuses_until_acknowledgements_free_space() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 32 * 1024);
    let mut spool = open(&cfg, QueueLimits::default());
    let mut accepted = Vec::new();
    let refusal = loop {
        match spool.writer.append(received("x", 1000)).await {
            Ok(seq) => accepted.push(seq),
            Err(e) => break e,
        }
        assert!(accepted.len() < 100, "the spool never filled up");
    };
    assert!(
        matches!(
            refusal,
            SubmitError::Full {
                reason: "spool bytes",
                ..
            }
        ),
        "{refusal:?}"
    );
    assert!(spool.control.depth().1 <= 32 * 1024);
    read(&mut spool.reader, accepted.len()).await;
    spool.journal.acknowledge(&accepted);
    let writer = spool.writer.clone();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match writer.append(received("after", 1000)).await {
            Ok(_) => break,
            Err(SubmitError::Full { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("the spool did not recover: {e:?}"),
        }
    }
    close(spool);
}

#[tokio::test]
async fn batches_in_flight_at_a_crash_come_back_with_their_exact_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 1 << 20);
    let mut spool = open(&cfg, QueueLimits::default());
    append_all(&spool, &["a", "b", "c", "d"]).await;
    read(&mut spool.reader, 4).await;
    spool.journal.begin(&[0, 2]).await.unwrap();
    spool.journal.acknowledge(&[0, 2]);
    spool.journal.begin(&[3, 1]).await.unwrap();
    // The crash: the second batch may or may not have landed.
    close(spool);

    let mut spool = open(&cfg, QueueLimits::default());
    assert_eq!(
        spool.journal.recovered_batches(),
        &[RecoveredBatch {
            seqs: vec![1, 3],
            expect: vec![1, 3]
        }]
    );
    let id = spool.journal.id().to_owned();
    assert!(!id.is_empty());
    assert_eq!(
        read(&mut spool.reader, 2).await,
        pairs(&[(1, "b"), (3, "d")])
    );
    spool.journal.acknowledge(&[1, 3]);
    close(spool);

    let spool = open(&cfg, QueueLimits::default());
    assert!(spool.journal.recovered_batches().is_empty());
    assert_eq!(spool.journal.id(), id, "the token prefix survives restarts");
    close(spool);
}

#[tokio::test]
async fn without_fsync_records_still_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), 1 << 20);
    cfg.fsync = false;
    let spool = open(&cfg, QueueLimits::default());
    append_all(&spool, &["a", "b"]).await;
    close(spool);
    let mut spool = open(&cfg, QueueLimits::default());
    assert_eq!(
        read(&mut spool.reader, 2).await,
        pairs(&[(0, "a"), (1, "b")])
    );
    close(spool);
}
