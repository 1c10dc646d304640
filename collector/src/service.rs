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

use crate::config::Config;
use crate::lineage::IntentLookup;
use crate::pipeline::{Outputs, ProcessingStage};
use crate::queue::{Admission, bounded};
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

/// With the spool on, how long shutdown waits for the sinks to finish what
/// they hold before stopping them: whatever is unwritten stays in the spool
/// and is replayed by the next run, so an unreachable ClickHouse cannot hold
/// shutdown forever.
const SPOOLED_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

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
}

impl Collector {
    /// Starts everything the configuration enables. ClickHouse need not be
    /// up: the schema is applied in the background as soon as it answers,
    /// and inserts are retried meanwhile.
    pub async fn start(config: Config) -> Result<Collector, StartError> {
        let telemetry = Telemetry::new();
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
            )?)
        } else {
            None
        };
        let journal = spool.as_ref().map(|s| s.journal.clone());

        if config.clickhouse.enabled {
            let ch = &config.clickhouse;
            let mut writer = ClickHouseWriter::new(ch, run_id.clone(), telemetry.clone());
            if ch.migrate_on_start {
                let (applied, ready) = watch::channel(false);
                writer = writer.wait_for_schema(ready);
                background.push(tokio::spawn(migrate_until_done(
                    config.clone(),
                    telemetry.clone(),
                    applied,
                )));
            }
            let (tx, rx) = mpsc::channel(SINK_CHANNEL);
            outputs.push(tx);
            if let Some(journal) = &journal {
                writer = writer.with_journal(journal.clone());
            }
            sinks.push(tokio::spawn(writer.run(rx, None)));
            lookup = Some(Arc::new(ClickHouseIntentLookup::new(
                client(ch),
                ch.timeout,
            )));
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
                Source::Spool(spool.reader),
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
                            Source::Spool(reader) => stage.run_spooled(reader, outputs).await,
                        }
                    }),
                    Err(error) => tracing::error!(%error, "cannot start the processing runtime"),
                }
            })?;

        let receivers = Receivers::start(&config.receivers, admission, telemetry.clone()).await?;
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
    /// With the spool on, what memory holds is processed and the sinks get
    /// [`SPOOLED_SHUTDOWN_GRACE`] to write it; anything left (the on-disk
    /// backlog, a batch ClickHouse did not take) stays in the spool for the
    /// next run.
    pub async fn shutdown(self) {
        self.receivers.shutdown().await;
        let processing = self.processing;
        let mut processing = tokio::task::spawn_blocking(move || processing.join());
        let mut sinks = self.sinks;
        match &self.spool {
            None => {
                let _ = processing.await;
                for sink in sinks {
                    let _ = sink.await;
                }
            }
            Some(spool) => {
                spool.stop_appends();
                let drained = tokio::time::timeout(SPOOLED_SHUTDOWN_GRACE, async {
                    let _ = (&mut processing).await;
                    for sink in &mut sinks {
                        let _ = sink.await;
                    }
                })
                .await;
                if drained.is_err() {
                    tracing::warn!(
                        "sinks did not finish in time; what they held stays in the spool for the next run"
                    );
                    for sink in &sinks {
                        sink.abort();
                    }
                    // Aborted sinks drop their channels, which unblocks processing.
                    let _ = processing.await;
                }
            }
        }
        for task in self.background {
            task.abort();
        }
        if let Some(spool) = self.spool {
            let _ = tokio::task::spawn_blocking(move || spool.close()).await;
        }
        if let Some(server) = self.telemetry_server {
            server.shutdown().await;
        }
    }
}

/// Where the processing stage reads from.
enum Source {
    Memory(crate::queue::QueueReceiver),
    Spool(crate::spool::SpoolReader),
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

/// Distinguishes this run's deduplication tokens from earlier runs', whose
/// sequence numbers also started at 0.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("run{:x}{:04x}", nanos, fastrand::u16(..))
}
