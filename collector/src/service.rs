//! The whole collector, assembled from its configuration: receivers ->
//! queue -> lineage and scoring -> sinks, plus self-telemetry.
//!
//! `reshimu-collector run` is a thin wrapper around [`Collector::start`] and
//! [`Collector::shutdown`]; tests start collectors in-process the same way.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reshimu_intent::score::{DefaultScorer, Scorer};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::config::Config;
use crate::lineage::{Declaration, IntentLookup, SpanKey};
use crate::pipeline::{Outputs, ProcessingStage};
use crate::queue::{Admission, MemoryBudget, bounded};
use crate::receive::{ReceiveError, Receivers};
use crate::schema::{self, SchemaOptions};
use crate::score::{ScoringStage, thresholds};
use crate::sink::clickhouse::writer::capped_jitter;
use crate::sink::clickhouse::{ClickHouseIntentLookup, ClickHouseWriter, client};
use crate::sink::file::FileSink;
use crate::sink::forward::{ForwardError, ForwardSink};
use crate::spool::{Spool, SpoolControl, SpoolError, SpoolJournal};
use crate::telemetry::{ClickHouseState, Telemetry, TelemetryError, TelemetryServer};

/// Requests buffered between the processing stage and each sink. Small on
/// purpose: a slow sink should push back on the queue (which is bounded in
/// bytes and tells clients to retry), not hide requests here.
const SINK_CHANNEL: usize = 16;

/// After the shutdown deadline has stopped the sinks, how long the
/// processing thread gets to notice (it only has memory work left).
const PROCESSING_GRACE: Duration = Duration::from_secs(2);

/// Why the collector could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A receiver could not bind or its TLS files are unusable.
    #[error(transparent)]
    Receive(#[from] ReceiveError),
    /// The telemetry endpoint could not bind.
    #[error(transparent)]
    Telemetry(#[from] TelemetryError),
    /// `scoring.thresholds` is not valid.
    #[error("scoring.thresholds: {0}")]
    Thresholds(#[from] serde_yaml::Error),
    /// The forward sink is misconfigured.
    #[error(transparent)]
    Forward(#[from] ForwardError),
    /// The processing thread could not be started.
    #[error("cannot start the processing thread: {0}")]
    Thread(#[from] std::io::Error),
    /// The spool could not be opened.
    #[error(transparent)]
    Spool(#[from] SpoolError),
}

/// A running collector.
pub struct Collector {
    receivers: Receivers,
    telemetry_server: Option<TelemetryServer>,
    telemetry: Telemetry,
    processing: std::thread::JoinHandle<()>,
    sinks: Vec<JoinHandle<()>>,
    background: Vec<JoinHandle<()>>,
    spool: Option<SpoolControl>,
    shutdown_timeout: Duration,
    clickhouse: bool,
}

/// What became of the spans this run acknowledged, as [`Collector::shutdown`]
/// found it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Spans acknowledged to clients.
    pub accepted: u64,
    /// Spans written to ClickHouse.
    pub written: u64,
    /// Spans not written because the TTL would have dropped them.
    pub expired: u64,
    /// Spans in the dead-letter file.
    pub dead_lettered: u64,
    /// Requests left in the spool for the next run (spool on).
    pub left_in_spool: u64,
    /// Spans neither written nor kept anywhere (spool off, deadline passed).
    pub lost: u64,
    /// Whether everything finished before the deadline.
    pub drained: bool,
}

impl std::fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} spans accepted, {} written, {} expired by the TTL, {} in the dead-letter file",
            self.accepted, self.written, self.expired, self.dead_lettered
        )?;
        if self.left_in_spool > 0 {
            write!(
                f,
                ", {} requests left in the spool for the next run",
                self.left_in_spool
            )?;
        }
        if self.lost > 0 {
            write!(f, ", {} lost", self.lost)?;
        }
        Ok(())
    }
}

impl Collector {
    /// Starts everything the configuration enables. ClickHouse need not be
    /// up: the schema is applied in the background as soon as it answers,
    /// and inserts are retried meanwhile.
    pub async fn start(config: Config) -> Result<Collector, StartError> {
        let telemetry = Telemetry::new();
        // Every request holds its share from being read to being written.
        let budget = MemoryBudget::for_memory_limit(config.memory_limit);
        // An empty `telemetry.listen` turns the endpoint off.
        let telemetry_server = match config.telemetry.listen.trim() {
            "" => None,
            listen => Some(TelemetryServer::start(listen, telemetry.clone()).await?),
        };
        let scorer: Arc<dyn Scorer> =
            Arc::new(DefaultScorer::new(thresholds(&config.scoring.thresholds)?));

        let mut outputs: Outputs = Vec::new();
        let mut sinks = Vec::new();
        let mut background = Vec::new();
        let mut lookup: Option<Arc<dyn IntentLookup>> = None;
        let run_id = run_id();
        // Opened first: the sinks need its journal, and a spool that cannot
        // be opened should stop the start before any port is taken.
        let spool = if config.spool.enabled {
            Some(Spool::open(
                &config.spool,
                config.queue.limits(),
                telemetry.clone(),
                budget.clone(),
            )?)
        } else {
            None
        };
        let journal = spool.as_ref().map(|s| s.journal.clone());

        if config.clickhouse.enabled {
            let ch = &config.clickhouse;
            // Every log line of the ClickHouse tasks names the server, so a
            // connection error says which one it could not reach.
            let span = clickhouse_span(&ch.url);
            tracing::info!(url = %redact(&ch.url), database = %ch.database, "writing to ClickHouse");
            let mut writer = ClickHouseWriter::new(ch, run_id.clone(), telemetry.clone());
            if ch.migrate_on_start {
                let (applied, ready) = watch::channel(false);
                writer = writer.wait_for_schema(ready);
                background.push(tokio::spawn(
                    migrate_until_done(config.clone(), telemetry.clone(), applied)
                        .instrument(span.clone()),
                ));
            }
            let (tx, rx) = mpsc::channel(SINK_CHANNEL);
            outputs.push(tx);
            if let Some(journal) = &journal {
                writer = writer.with_journal(journal.clone());
            }
            sinks.push(tokio::spawn(writer.run(rx, None).instrument(span.clone())));
            lookup = Some(Arc::new(InSpan {
                inner: ClickHouseIntentLookup::new(client(ch), ch.timeout),
                span,
            }));
        }
        if let Some(path) = &config.file.path {
            let (tx, rx) = mpsc::channel(SINK_CHANNEL);
            outputs.push(tx);
            sinks.push(tokio::spawn(FileSink::new(path, telemetry.clone()).run(rx)));
        }
        if let Some(forward) = ForwardSink::new(&config.forward, telemetry.clone())? {
            let (tx, rx) = mpsc::channel(SINK_CHANNEL);
            outputs.push(tx);
            sinks.push(tokio::spawn(forward.run(rx)));
        }

        if let (Some(journal), false) = (&journal, config.clickhouse.enabled) {
            // Without ClickHouse nothing deduplicates a replay, so a request
            // leaves the spool once every sink has been handed it.
            let (tx, rx) = mpsc::channel(SINK_CHANNEL);
            outputs.push(tx);
            sinks.push(tokio::spawn(acknowledge_handed_over(rx, journal.clone())));
        }

        let stage = ProcessingStage::new(
            config.lineage.limits(),
            ScoringStage::new(scorer),
            lookup,
            telemetry.clone(),
            0,
        );
        let (admission, source, spool): (Admission, _, _) = match spool {
            Some(spool) => (
                spool.writer.into(),
                Source::Spool(Box::new(spool.reader)),
                Some(spool.control),
            ),
            None => {
                let (queue_tx, queue_rx) = bounded(config.queue.limits());
                (queue_tx.into(), Source::Memory(queue_rx), None)
            }
        };
        // Lineage and scoring are CPU work: they get their own thread and
        // runtime so the receivers' I/O threads never wait behind them.
        let processing = std::thread::Builder::new()
            .name("reshimu-processing".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(async move {
                        match source {
                            Source::Memory(queue) => stage.run(queue, outputs).await,
                            Source::Spool(reader) => stage.run_spooled(*reader, outputs).await,
                        }
                    }),
                    Err(error) => tracing::error!(%error, "cannot start the processing runtime"),
                }
            })?;

        let receivers = Receivers::start_with_budget(
            &config.receivers,
            admission,
            telemetry.clone(),
            budget,
            config.queue.retry_after,
        )
        .await?;
        tracing::info!(
            grpc = ?receivers.grpc_addr(),
            http = ?receivers.http_addr(),
            telemetry = ?telemetry_server.as_ref().map(TelemetryServer::local_addr),
            run_id,
            "collector started"
        );
        Ok(Collector {
            receivers,
            telemetry_server,
            telemetry,
            processing,
            sinks,
            background,
            spool,
            shutdown_timeout: config.shutdown_timeout,
            clickhouse: config.clickhouse.enabled,
        })
    }

    /// The bound OTLP/gRPC address.
    pub fn grpc_addr(&self) -> Option<SocketAddr> {
        self.receivers.grpc_addr()
    }

    /// The bound OTLP/HTTP address.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.receivers.http_addr()
    }

    /// The bound `/metrics`, `/healthz`, `/readyz` address.
    pub fn telemetry_addr(&self) -> Option<SocketAddr> {
        self.telemetry_server
            .as_ref()
            .map(TelemetryServer::local_addr)
    }

    /// The metrics and health handle.
    pub fn telemetry(&self) -> &Telemetry {
        &self.telemetry
    }

    /// Stops accepting, drains the queue through lineage and scoring, lets
    /// every sink flush, then stops telemetry. Spans still waiting for their
    /// intent are scored with what is known rather than lost.
    ///
    /// All of it within `shutdown_timeout`: past it the sinks are stopped.
    /// With the spool on, what they did not write stays in the spool for the
    /// next run; without it, it is lost, and counted
    /// (`reshimu_lost_spans_total{reason="shutdown"}`) and reported.
    pub async fn shutdown(self) -> ShutdownReport {
        let deadline = tokio::time::Instant::now() + self.shutdown_timeout;
        self.receivers.shutdown_by(deadline).await;
        if let Some(spool) = &self.spool {
            spool.stop_appends();
        }
        let processing = self.processing;
        let mut processing = tokio::task::spawn_blocking(move || processing.join());
        let mut sinks = self.sinks;
        let drained = tokio::time::timeout_at(deadline, async {
            let _ = (&mut processing).await;
            for sink in &mut sinks {
                let _ = sink.await;
            }
        })
        .await
        .is_ok();
        if !drained {
            tracing::warn!(
                timeout = ?self.shutdown_timeout,
                spooled = self.spool.is_some(),
                "shutdown_timeout passed with spans not yet written; stopping the sinks"
            );
            for sink in &sinks {
                sink.abort();
            }
            // Aborted sinks drop their channels, which unblocks processing.
            // A handle that already completed must not be polled again.
            if !processing.is_finished() {
                let _ = tokio::time::timeout(PROCESSING_GRACE, &mut processing).await;
            }
        }
        for task in self.background {
            task.abort();
        }
        let spooled = self.spool.is_some();
        let mut left_in_spool = 0;
        if let Some(spool) = self.spool {
            // Closing handles the acknowledgements still queued first.
            left_in_spool = tokio::task::spawn_blocking(move || spool.close_and_count())
                .await
                .unwrap_or(0);
        }
        let counts = self.telemetry.span_counts();
        let mut report = ShutdownReport {
            accepted: counts.accepted,
            written: counts.written_clickhouse,
            expired: counts.expired,
            dead_lettered: counts.dead_lettered,
            left_in_spool,
            lost: 0,
            drained,
        };
        if self.clickhouse && !spooled {
            report.lost = report
                .accepted
                .saturating_sub(report.written + report.expired + report.dead_lettered);
            if report.lost > 0 {
                self.telemetry.spans_lost("shutdown", report.lost);
                tracing::error!(
                    lost = report.lost,
                    "spans acknowledged but not written before shutdown_timeout (the spool is off): lost"
                );
            }
        }
        tracing::info!(%report, "collector stopped");
        if let Some(server) = self.telemetry_server {
            server.shutdown().await;
        }
        report
    }
}

/// Where the processing stage reads from.
enum Source {
    Memory(crate::queue::QueueReceiver),
    Spool(Box<crate::spool::SpoolReader>),
}

/// Acknowledges every request it is handed: releases spooled requests when
/// no sink acknowledges its writes itself.
async fn acknowledge_handed_over(
    mut rx: mpsc::Receiver<Arc<crate::score::ScoredRequest>>,
    journal: SpoolJournal,
) {
    while let Some(request) = rx.recv().await {
        journal.acknowledge(&[request.seq]);
    }
}

/// Applies the schema, retrying while ClickHouse is unreachable, reports its
/// state to `/readyz`, and lets inserts start once it is applied.
async fn migrate_until_done(
    config: Config,
    telemetry: Telemetry,
    schema_ready: watch::Sender<bool>,
) {
    let ch = &config.clickhouse;
    let options = SchemaOptions {
        database: ch.database.clone(),
        ttl_days: ch.ttl_days,
        cluster: ch.cluster.clone(),
    };
    // The database may not exist yet, so this client names none.
    let client = clickhouse::Client::default()
        .with_url(&ch.url)
        .with_user(&ch.user)
        .with_password(ch.password.expose());
    let mut backoff = ch.retry.initial_backoff;
    loop {
        match schema::apply(&client, &options).await {
            Ok(applied) => {
                tracing::info!(?applied, database = %ch.database, "ClickHouse schema ready");
                telemetry.health().set_clickhouse(ClickHouseState::Up);
                schema_ready.send_replace(true);
                return;
            }
            Err(error) => {
                telemetry.health().set_clickhouse(ClickHouseState::Down);
                let cap = ch.retry.max_backoff.max(Duration::from_secs(1));
                let wait = capped_jitter(backoff, cap);
                tracing::warn!(%error, retry_in = ?wait, "cannot apply the ClickHouse schema yet");
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(cap);
            }
        }
    }
}

/// The span the ClickHouse tasks log in: `clickhouse{url=...}`.
fn clickhouse_span(url: &str) -> tracing::Span {
    tracing::info_span!("clickhouse", url = %redact(url))
}

/// `url` without a password, if it carries one.
fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// What [`IntentLookup`] methods return.
type LookupFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = Vec<T>> + Send + 'a>>;

/// An intent lookup whose log lines carry `span` (the ClickHouse server's).
struct InSpan<L> {
    inner: L,
    span: tracing::Span,
}

impl<L: IntentLookup> IntentLookup for InSpan<L> {
    fn lookup<'a>(&'a self, ids: &'a [Arc<str>]) -> LookupFuture<'a, Declaration> {
        Box::pin(self.inner.lookup(ids).instrument(self.span.clone()))
    }

    fn span_intents<'a>(
        &'a self,
        spans: &'a [SpanKey],
    ) -> LookupFuture<'a, (SpanKey, Option<Arc<str>>)> {
        Box::pin(self.inner.span_intents(spans).instrument(self.span.clone()))
    }
}

/// Distinguishes this run's deduplication tokens from earlier runs', whose
/// sequence numbers also started at 0.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("run{:x}{:04x}", nanos, fastrand::u16(..))
}
