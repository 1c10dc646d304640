//! The ClickHouse writer keeps up to `max_in_flight` inserts under way.
//!
//! The server here is a stand-in that answers an insert only once a second
//! one is under way (or after a second), and records how many overlapped:
//! what is tested is the writer's concurrency, not ClickHouse.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reshimu_collector::config::ClickHouseConfig;
use reshimu_collector::demo::reference::{Variant, session};
use reshimu_collector::offline::score_requests;
use reshimu_collector::sink::clickhouse::ClickHouseWriter;
use reshimu_collector::telemetry::Telemetry;
use reshimu_intent::score::DefaultScorer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Counts inserts under way and the most seen at once.
#[derive(Default)]
struct Overlap {
    now: AtomicUsize,
    max: AtomicUsize,
}

async fn holding_server(overlap: Arc<Overlap>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let overlap = Arc::clone(&overlap);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 1 << 16];
                let mut seen: Vec<u8> = Vec::new();
                loop {
                    let n = match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    seen.extend_from_slice(&buf[..n]);
                    // The chunked body of an insert ends with an empty chunk.
                    if !seen.ends_with(b"0\r\n\r\n") {
                        continue;
                    }
                    seen.clear();
                    let now = overlap.now.fetch_add(1, Ordering::SeqCst) + 1;
                    overlap.max.fetch_max(now, Ordering::SeqCst);
                    for _ in 0..100 {
                        if overlap.now.load(Ordering::SeqCst) >= 2 {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    overlap.now.fetch_sub(1, Ordering::SeqCst);
                    let _ = sock
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .await;
                }
            });
        }
    });
    format!("http://{addr}")
}

async fn max_overlap(max_in_flight: usize) -> usize {
    let overlap = Arc::new(Overlap::default());
    let mut config = ClickHouseConfig {
        url: holding_server(Arc::clone(&overlap)).await,
        max_in_flight,
        ..ClickHouseConfig::default()
    };
    config.batch.max_rows = 1; // every request is a batch of its own
    let writer = ClickHouseWriter::new(&config, "test", Telemetry::new()).without_validation();
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let task = tokio::spawn(writer.run(rx, None));
    let scored = score_requests(
        session(Variant::Clean, "w").unwrap(),
        Arc::new(DefaultScorer::default()),
    );
    for request in scored {
        tx.send(Arc::new(request)).await.unwrap();
    }
    drop(tx);
    tokio::time::timeout(Duration::from_secs(20), task)
        .await
        .unwrap()
        .unwrap();
    overlap.max.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inserts_overlap_up_to_max_in_flight() {
    assert_eq!(max_overlap(1).await, 1);
    assert_eq!(max_overlap(2).await, 2);
}
