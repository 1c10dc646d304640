//! Batched, retried, deduplicated inserts into `spans` and `intents`.
//!
//! Batches close on rows, bytes or time. Each insert carries an
//! `insert_deduplication_token` made of the collector run (or spool) id and
//! the sequence numbers of the requests in it, so a batch retried after a
//! timeout whose insert did land — or replayed from the spool after a crash —
//! is not written twice (the tables keep a deduplication window).
//!
//! A batch is [planned](super::plan) first: rows the table's TTL would drop
//! at once are counted (`reshimu_spans_expired_total`) instead of sent, and
//! the rest is cut so no insert touches more than 100 partitions. Failures
//! are [classified](super::failure): transient ones are retried with back-off
//! (and `/readyz` says ClickHouse is down meanwhile); when ClickHouse refuses
//! rows for good, the chunk is halved until the refused rows are alone, and
//! those go to the [dead-letter file](super::dead_letter), so one bad span
//! never stops the spans behind it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::dead_letter::DeadLetter;
use super::encode::encode_span;
use super::failure::{Failure, classify};
use super::plan::{Plan, plan};
use super::rows::{IntentRow, SpanRow};
use crate::config::ClickHouseConfig;
use crate::score::ScoredRequest;
use crate::spool::SpoolJournal;
use crate::telemetry::{ClickHouseState, Telemetry};

/// Why an insert failed.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// ClickHouse refused or could not be reached.
    #[error("insert into {table} failed: {source}")]
    Insert {
        /// The table.
        table: &'static str,
        /// The client's error.
        #[source]
        source: clickhouse::error::Error,
    },
}

impl SinkError {
    /// Whether trying again can help, and if not, what to do instead.
    pub fn failure(&self) -> Failure {
        let SinkError::Insert { source, .. } = self;
        classify(source)
    }
}

/// Called with the sequence numbers of requests once they are in ClickHouse
/// (or given up on), so the spool can release them.
pub type Acknowledge = Arc<dyn Fn(&[u64]) + Send + Sync>;

/// Writes scored requests to ClickHouse.
pub struct ClickHouseWriter {
    client: clickhouse::Client,
    config: ClickHouseConfig,
    dedup_prefix: String,
    telemetry: Telemetry,
    journal: Option<SpoolJournal>,
    dead_letter: DeadLetter,
    schema_ready: Option<watch::Receiver<bool>>,
}

impl ClickHouseWriter {
    /// A writer for `config`. `dedup_prefix` must differ between collector
    /// runs whose sequence numbers restart (a run id), and stay the same across
    /// replays of the same spool (the spool id).
    pub fn new(
        config: &ClickHouseConfig,
        dedup_prefix: impl Into<String>,
        telemetry: Telemetry,
    ) -> Self {
        Self {
            client: client(config),
            config: config.clone(),
            dedup_prefix: dedup_prefix.into(),
            telemetry,
            journal: None,
            dead_letter: DeadLetter::new(&config.dead_letter_path),
            schema_ready: None,
        }
    }

    /// Holds every insert until `ready` turns true: the collector's startup
    /// migration, which inserts must not race.
    pub fn wait_for_schema(mut self, ready: watch::Receiver<bool>) -> Self {
        self.schema_ready = Some(ready);
        self
    }

    /// Skips the client's schema check before inserts (for servers that are
    /// not ClickHouse, in tests and benchmarks; the schema tests check the
    /// row types against the real tables).
    pub fn without_validation(mut self) -> Self {
        self.client = self.client.with_validation(false);
        self
    }

    /// Makes the writer work with the spool: each batch is recorded in the
    /// spool's journal before it is inserted and acknowledged after, tokens
    /// start with the spool's id instead of the run id, and batches that
    /// were in flight when the previous run stopped are sent again with
    /// exactly the same requests (so the same token) once they are replayed.
    pub fn with_journal(mut self, journal: SpoolJournal) -> Self {
        self.dedup_prefix = journal.id().to_owned();
        self.journal = Some(journal);
        self
    }

    /// Consumes scored requests until the channel closes, flushing what is
    /// left and waiting for every insert before returning. Up to
    /// `max_in_flight` batches are inserted at once, so a slow insert does
    /// not stop the next batch from filling and going out.
    pub async fn run(self, mut rx: mpsc::Receiver<Arc<ScoredRequest>>, ack: Option<Acknowledge>) {
        let this = Arc::new(self);
        let batch_cfg = this.config.batch.clone();
        let mut inflight = InFlight::new(this.config.max_in_flight);
        let mut batch: Vec<Arc<ScoredRequest>> = Vec::new();
        let mut rows = 0usize;
        let mut bytes = 0usize;
        let mut deadline: Option<Instant> = None;
        let mut replays = Replays::new(this.journal.as_ref());
        loop {
            let next = match deadline {
                Some(d) => tokio::time::timeout_at(d.into(), rx.recv()).await,
                None => Ok(rx.recv().await),
            };
            match next {
                Ok(Some(request)) => {
                    let request = match replays.take(request) {
                        Ok(Some((seqs, requests))) => {
                            // Already in the journal: sent again as it was.
                            inflight.spawn(&this, seqs, requests, ack.clone()).await;
                            continue;
                        }
                        Ok(None) => continue,
                        Err(request) => request,
                    };
                    rows += request.spans.len();
                    bytes += request.received.encoded_len;
                    deadline.get_or_insert_with(|| Instant::now() + batch_cfg.max_delay);
                    batch.push(request);
                    if rows < batch_cfg.max_rows && bytes < batch_cfg.max_bytes {
                        continue;
                    }
                }
                Ok(None) => {
                    this.flush(&mut batch, &ack, &mut inflight).await;
                    inflight.wait_all().await;
                    if !replays.is_empty() {
                        // Their remaining requests stay in the spool; the next
                        // run sends the batch again with the same token.
                        tracing::info!(
                            batches = replays.len(),
                            "stopping with recovered batches incomplete"
                        );
                    }
                    return;
                }
                Err(_elapsed) => {}
            }
            this.flush(&mut batch, &ack, &mut inflight).await;
            rows = 0;
            bytes = 0;
            deadline = None;
        }
    }

    async fn flush(
        self: &Arc<Self>,
        batch: &mut Vec<Arc<ScoredRequest>>,
        ack: &Option<Acknowledge>,
        inflight: &mut InFlight,
    ) {
        if batch.is_empty() {
            return;
        }
        let seqs: Vec<u64> = batch.iter().map(|r| r.seq).collect();
        // With the spool, the batch is recorded before its insert starts, so
        // that a crash during it replays the very same batch (same token).
        if let Some(journal) = &self.journal {
            self.begin_with_retries(journal, &seqs).await;
        }
        inflight
            .spawn(self, seqs, std::mem::take(batch), ack.clone())
            .await;
    }

    /// Writes `requests` under the token of `seqs`, then acknowledges them.
    async fn write_batch(
        &self,
        seqs: &[u64],
        requests: &[Arc<ScoredRequest>],
        ack: Option<&Acknowledge>,
    ) {
        let token = format!("{}-{}", self.dedup_prefix, seq_ranges(seqs));
        let updated_at = now_nanos();
        let plan = plan(
            requests,
            self.config.ttl_days,
            u64::try_from(updated_at).unwrap_or(0),
        );
        if !plan.expired.is_empty() {
            self.telemetry.spans_expired(plan.expired.len() as u64);
            tracing::warn!(
                spans = plan.expired.len(),
                ttl_days = self.config.ttl_days,
                token,
                "spans older than the ClickHouse TTL are not written: the table would drop them at once"
            );
        }
        let mut written = 0u64;
        for chunk in &plan.chunks {
            written += self
                .write_chunk(requests, &plan, chunk.clone(), &token, updated_at)
                .await;
        }
        self.telemetry.spans_written("clickhouse", written);
        if let Some(ack) = ack {
            ack(seqs);
        }
        if let Some(journal) = &self.journal {
            journal.acknowledge(seqs);
        }
    }

    /// Inserts the spans `live[chunk]` of a plan; returns how many went in.
    /// A chunk ClickHouse refuses for its rows is halved until the refused
    /// rows are alone; those (or a chunk refused for its schema) go to the
    /// dead-letter file.
    async fn write_chunk(
        &self,
        requests: &[Arc<ScoredRequest>],
        plan: &Plan,
        chunk: std::ops::Range<usize>,
        token: &str,
        updated_at: i64,
    ) -> u64 {
        let whole = plan.chunks.len() == 1;
        let mut written = 0;
        // Depth-first, left half first, so rows go in in batch order.
        let mut todo = vec![chunk];
        while let Some(range) = todo.pop() {
            let units: Vec<usize> = plan.live[range.clone()].to_vec();
            let (Some(&first), Some(&last)) = (units.first(), units.last()) else {
                continue;
            };
            let token = if whole && range.len() == plan.live.len() {
                token.to_owned()
            } else {
                format!("{token}-{first}-{last}")
            };
            match self
                .write_with_retries(requests, plan, &units, &token, updated_at)
                .await
            {
                Ok(()) => written += units.len() as u64,
                Err((Failure::Rows, _)) if range.len() > 1 => {
                    let mid = range.start + range.len() / 2;
                    todo.push(mid..range.end);
                    todo.push(range.start..mid);
                }
                Err((_, error)) => {
                    self.dead_letter(requests, plan, &units, &token, &error)
                        .await;
                }
            }
        }
        written
    }

    async fn dead_letter(
        &self,
        requests: &[Arc<ScoredRequest>],
        plan: &Plan,
        units: &[usize],
        token: &str,
        error: &SinkError,
    ) {
        let spans = units.iter().filter_map(|&i| {
            plan.units[i]
                .get(requests)
                .map(|(rs, ss, span, _)| (rs, ss, span))
        });
        let path = self.dead_letter.path().display().to_string();
        match self.dead_letter.write(spans).await {
            Ok(count) => {
                self.telemetry.spans_dead_lettered(count as u64);
                tracing::error!(%error, spans = count, token, dead_letter = %path,
                    "ClickHouse refused these spans for good; they are in the dead-letter file \
                     (send them again with `reshimu-collector replay {path}` once the cause is fixed)");
            }
            Err(io) => {
                self.telemetry
                    .spans_lost("dead_letter_failed", units.len() as u64);
                tracing::error!(%error, write_error = %io, spans = units.len(), token, dead_letter = %path,
                    "ClickHouse refused these spans for good and the dead-letter file cannot be written: they are lost");
            }
        }
    }

    /// Inserting a batch that the journal does not know of could duplicate
    /// it after a crash, so a journal that cannot write holds the writer up
    /// (and, through the bounded channels, the receivers) until it can.
    async fn begin_with_retries(&self, journal: &SpoolJournal, seqs: &[u64]) {
        let retry = &self.config.retry;
        let mut backoff = retry.initial_backoff;
        while let Err(error) = journal.begin(seqs).await {
            let wait = capped_jitter(backoff, retry.max_backoff);
            tracing::error!(%error, retry_in = ?wait, "cannot record a ClickHouse batch in the spool journal; retrying");
            tokio::time::sleep(wait).await;
            backoff = (backoff * 2).min(retry.max_backoff);
        }
    }

    /// Retries transient failures with exponential backoff and jitter until
    /// they succeed; the bounded channel in front of the writer turns a long
    /// outage into backpressure on the receivers rather than into loss.
    /// Returns the failure when ClickHouse refuses the rows for good.
    async fn write_with_retries(
        &self,
        requests: &[Arc<ScoredRequest>],
        plan: &Plan,
        units: &[usize],
        token: &str,
        updated_at: i64,
    ) -> Result<(), (Failure, SinkError)> {
        let retry = &self.config.retry;
        let mut backoff = retry.initial_backoff;
        loop {
            self.schema_applied().await;
            let started = Instant::now();
            let result = self
                .write_once(requests, plan, units, token, updated_at)
                .await;
            let error = match result {
                Ok(()) => {
                    self.telemetry.observe_insert_latency(started.elapsed());
                    self.telemetry.health().set_clickhouse(ClickHouseState::Up);
                    return Ok(());
                }
                Err(error) => error,
            };
            let failure = error.failure();
            if failure != Failure::Transient {
                // It answered: reachable, only these rows are refused.
                self.telemetry.health().set_clickhouse(ClickHouseState::Up);
                return Err((failure, error));
            }
            self.telemetry
                .health()
                .set_clickhouse(ClickHouseState::Down);
            self.telemetry.batch_retried("clickhouse");
            let wait = capped_jitter(backoff, retry.max_backoff);
            tracing::warn!(%error, retry_in = ?wait, rows = units.len(), "ClickHouse insert failed; retrying");
            tokio::time::sleep(wait).await;
            backoff = (backoff * 2).min(retry.max_backoff);
        }
    }

    /// Waits until the startup migration is done, if there is one.
    async fn schema_applied(&self) {
        let Some(ready) = &self.schema_ready else {
            return;
        };
        if *ready.borrow() {
            return;
        }
        tracing::info!("waiting for the ClickHouse schema to be applied before inserting");
        // A closed channel means the migration task stopped (shutdown): go on.
        let _ = ready.clone().wait_for(|r| *r).await;
    }

    async fn write_once(
        &self,
        requests: &[Arc<ScoredRequest>],
        plan: &Plan,
        units: &[usize],
        token: &str,
        updated_at: i64,
    ) -> Result<(), SinkError> {
        // Intents first: once a span is visible, so is the intent it
        // references (other collectors look intents up for the spans they
        // hold). They are few (declaring spans only).
        let mut intents: Vec<IntentRow> = Vec::new();
        for &i in units {
            if let Some((rs, ss, span, s)) = plan.units[i].get(requests)
                && s.lineage.declares
            {
                intents.extend(encode_span(rs, ss, span, s, updated_at).1);
            }
        }
        if !intents.is_empty() {
            let mut insert = self.start_insert::<IntentRow>("intents", token).await?;
            for row in &intents {
                insert.write(row).await.map_err(insert_error("intents"))?;
            }
            insert.end().await.map_err(insert_error("intents"))?;
        }
        // Span rows are encoded one at a time as the insert streams, so a
        // batch never exists twice in memory.
        let mut insert = self.start_insert::<SpanRow>("spans", token).await?;
        for &i in units {
            let Some((rs, ss, span, s)) = plan.units[i].get(requests) else {
                continue;
            };
            let (row, _) = encode_span(rs, ss, span, s, updated_at);
            insert.write(&row).await.map_err(insert_error("spans"))?;
        }
        insert.end().await.map_err(insert_error("spans"))
    }

    async fn start_insert<T: clickhouse::RowOwned + clickhouse::RowWrite>(
        &self,
        table: &'static str,
        token: &str,
    ) -> Result<clickhouse::insert::Insert<T>, SinkError> {
        let timeout = self.config.timeout;
        Ok(self
            .client
            .insert::<T>(table)
            .await
            .map_err(insert_error(table))?
            .with_timeouts(Some(timeout), Some(timeout))
            .with_setting("insert_deduplication_token", format!("{token}-{table}"))
            // Without this the lookup tables and `sessions` would count a
            // replayed batch twice even though `spans` drops it.
            .with_setting("deduplicate_blocks_in_dependent_materialized_views", "1"))
    }
}

fn insert_error(table: &'static str) -> impl Fn(clickhouse::error::Error) -> SinkError {
    move |source| SinkError::Insert { table, source }
}

/// The inserts under way, at most `max` at once.
struct InFlight {
    permits: Arc<Semaphore>,
    tasks: JoinSet<()>,
}

impl InFlight {
    fn new(max: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max.max(1))),
            tasks: JoinSet::new(),
        }
    }

    /// Starts writing a batch once fewer than `max` are under way.
    async fn spawn(
        &mut self,
        writer: &Arc<ClickHouseWriter>,
        seqs: Vec<u64>,
        requests: Vec<Arc<ScoredRequest>>,
        ack: Option<Acknowledge>,
    ) {
        // The semaphore is never closed, so acquiring cannot fail; if it
        // somehow did, writing without a permit still loses nothing.
        let permit = Arc::clone(&self.permits).acquire_owned().await.ok();
        while self.tasks.try_join_next().is_some() {}
        let writer = Arc::clone(writer);
        self.tasks.spawn(async move {
            writer.write_batch(&seqs, &requests, ack.as_ref()).await;
            drop(permit);
        });
    }

    async fn wait_all(&mut self) {
        while let Some(result) = self.tasks.join_next().await {
            if let Err(error) = result {
                tracing::error!(%error, "a ClickHouse insert task failed");
            }
        }
    }
}

/// Batches that were in flight when the previous run stopped, filling up
/// as their requests are replayed.
struct Replays {
    /// Sequence number -> index of the batch waiting for it.
    waiting: HashMap<u64, usize>,
    batches: Vec<Option<Replay>>,
}

struct Replay {
    seqs: Vec<u64>,
    missing: usize,
    requests: Vec<Arc<ScoredRequest>>,
}

impl Replays {
    fn new(journal: Option<&SpoolJournal>) -> Self {
        let mut waiting = HashMap::new();
        let mut batches = Vec::new();
        for batch in journal
            .map(SpoolJournal::recovered_batches)
            .unwrap_or_default()
        {
            let index = batches.len();
            for &seq in &batch.expect {
                waiting.insert(seq, index);
            }
            batches.push(Some(Replay {
                seqs: batch.seqs.clone(),
                missing: batch.expect.len(),
                requests: Vec::with_capacity(batch.expect.len()),
            }));
        }
        Self { waiting, batches }
    }

    /// Takes `request` if a recovered batch waits for it: `Ok(Some)` with the
    /// batch once it is complete, `Ok(None)` while it is not, `Err` (the
    /// request back) when no batch wants it.
    #[allow(clippy::type_complexity)]
    fn take(
        &mut self,
        request: Arc<ScoredRequest>,
    ) -> Result<Option<(Vec<u64>, Vec<Arc<ScoredRequest>>)>, Arc<ScoredRequest>> {
        let Some(index) = self.waiting.remove(&request.seq) else {
            return Err(request);
        };
        let Some(slot) = self.batches.get_mut(index) else {
            return Err(request);
        };
        let Some(replay) = slot.as_mut() else {
            return Err(request);
        };
        replay.requests.push(request);
        replay.missing -= 1;
        if replay.missing > 0 {
            return Ok(None);
        }
        Ok(slot.take().map(|r| (r.seqs, r.requests)))
    }

    fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    fn len(&self) -> usize {
        self.batches.iter().filter(|b| b.is_some()).count()
    }
}

/// A client for the configured server and database.
pub fn client(config: &ClickHouseConfig) -> clickhouse::Client {
    clickhouse::Client::default()
        .with_url(&config.url)
        .with_user(&config.user)
        .with_password(config.password.expose())
        .with_database(&config.database)
}

/// `1-3,7` for sequence numbers 1, 2, 3 and 7: short tokens for long batches.
fn seq_ranges(seqs: &[u64]) -> String {
    let mut sorted = seqs.to_vec();
    sorted.sort_unstable();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}-{end}"));
        }
        i += 1;
    }
    out
}

/// Back-off with ±20% jitter, so that many collectors retrying after one outage do not hit
/// ClickHouse in lockstep, never above `cap` (`retry.max_backoff` is a
/// promise to operators, jitter included).
pub fn capped_jitter(base: Duration, cap: Duration) -> Duration {
    let factor = 0.8 + fastrand::f64() * 0.4;
    base.mul_f64(factor).min(cap)
}

fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_ranges_are_compact_and_order_independent() {
        assert_eq!(seq_ranges(&[3, 1, 2, 7, 9, 8]), "1-3,7-9");
        assert_eq!(seq_ranges(&[5]), "5");
        assert_eq!(seq_ranges(&[]), "");
    }

    #[test]
    fn jitter_stays_within_twenty_percent_and_under_the_cap() {
        for _ in 0..1000 {
            let j = capped_jitter(Duration::from_millis(1000), Duration::from_secs(5));
            assert!(
                j >= Duration::from_millis(800) && j <= Duration::from_millis(1200),
                "{j:?}"
            );
            let capped = capped_jitter(Duration::from_secs(30), Duration::from_secs(30));
            assert!(
                capped >= Duration::from_secs(24) && capped <= Duration::from_secs(30),
                "{capped:?}"
            );
        }
    }
}
