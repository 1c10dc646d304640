//! `reshimu-collector run`: the collector.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use reshimu_collector::config::Config;
use reshimu_collector::service::Collector;
use reshimu_collector::telemetry::init_logging;

/// Options of `run`.
#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// YAML configuration; every key has a default, so it may be omitted.
    /// See reshimu-collector.example.yaml. Secrets come from the environment:
    /// CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, RESHIMU_AUTH_TOKEN.
    #[arg(long, short, value_name = "FILE", env = "RESHIMU_CONFIG")]
    config: Option<PathBuf>,
}

/// Runs the collector until SIGINT or SIGTERM, then drains (within
/// `shutdown_timeout`) and exits 0, saying what became of the spans. A
/// second signal during the drain stops at once.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref()).context("loading the configuration")?;
    init_logging(&config.telemetry.log)?;
    let timeout = config.shutdown_timeout;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("reshimu-io")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let collector = Collector::start(config)
            .await
            .context("starting the collector")?;
        eprintln!(
            "reshimu-collector listening: OTLP/gRPC {}, OTLP/HTTP {}, metrics {}",
            show(collector.grpc_addr()),
            show(collector.http_addr()),
            collector
                .telemetry_addr()
                .map_or_else(|| "disabled".to_owned(), |a| format!("http://{a}/metrics"))
        );
        shutdown_signal().await;
        eprintln!(
            "reshimu-collector: shutting down, draining the pipeline (at most {}; a second \
             Ctrl-C or SIGTERM stops at once)",
            humantime::format_duration(timeout)
        );
        let telemetry = collector.telemetry().clone();
        tokio::select! {
            report = collector.shutdown() => {
                eprintln!("reshimu-collector: stopped: {report}");
            }
            () = shutdown_signal() => {
                let counts = telemetry.span_counts();
                eprintln!(
                    "reshimu-collector: second signal, stopping now: {} spans accepted, {} written, \
                     {} expired by the TTL, {} in the dead-letter file; anything else is in the \
                     spool if it is on, or lost",
                    counts.accepted, counts.written_clickhouse, counts.expired, counts.dead_lettered
                );
                // Threads and tasks still draining are abandoned, not awaited.
                std::process::exit(0);
            }
        }
        Ok(())
    })
}

fn show(addr: Option<std::net::SocketAddr>) -> String {
    addr.map_or_else(|| "disabled".to_owned(), |a| a.to_string())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
