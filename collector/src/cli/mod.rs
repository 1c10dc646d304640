//! Subcommands, one file each.

mod clickhouse;
mod demo;
mod migrate;
mod progress;
mod replay;
mod report;
mod run;
mod score;

pub use report::error_chain;

use clap::{Parser, Subcommand};
use reshimu_collector::config::LogConfig;
use reshimu_collector::telemetry::init_logging;

/// Reshimu collector: OTLP in, intent lineage and scoring, ClickHouse and
/// OTLP out.
#[derive(Debug, Parser)]
#[command(name = "reshimu-collector", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the collector (the default): OTLP in on :4317 (gRPC) and :4318
    /// (HTTP), lineage and scoring, ClickHouse / OTLP / file out.
    Run(run::RunArgs),
    /// Create or upgrade the ClickHouse schema (database, tables, views).
    ///
    /// Applies the numbered migrations this build embeds, each once, and
    /// records them in `<database>.schema_migrations`; running it again does
    /// nothing. A migration recorded with a different checksum (its SQL or the
    /// TTL/cluster options changed since) is an error.
    Migrate(migrate::MigrateArgs),
    /// Score OTLP JSON files offline and print the lineage tree or JSON Lines.
    ///
    /// Rebuilds lineage over all the files together, scores every span with
    /// the same scorer as the running collector, and prints a tree (on a
    /// terminal) or one JSON object per span (`--format jsonl`, the default in
    /// a pipe).
    Score(score::ScoreArgs),
    /// Send OTLP JSON files to a running collector, e.g. the dead-letter
    /// file of spans ClickHouse refused, once the cause is fixed.
    Replay(replay::ReplayArgs),
    /// Send the reference multi-agent session, clean and drifted, to a
    /// running collector and print the verdicts it stored in ClickHouse.
    Demo(demo::DemoArgs),
}

impl Cli {
    /// Runs the chosen subcommand. `run` logs as its configuration says
    /// (`telemetry.log`); the one-shot commands log warnings only, on stderr,
    /// so that piped output is only what they print (`RUST_LOG` raises it).
    pub fn run(self) -> anyhow::Result<()> {
        let command = self
            .command
            .unwrap_or(Command::Run(run::RunArgs::default()));
        if !matches!(command, Command::Run(_)) {
            let quiet = LogConfig {
                level: "warn".to_owned(),
                ..LogConfig::default()
            };
            init_logging(&quiet)?;
        }
        match command {
            Command::Run(args) => run::run(args),
            Command::Migrate(args) => migrate::run(args),
            Command::Score(args) => score::run(args),
            Command::Demo(args) => demo::run(args),
            Command::Replay(args) => replay::run(args),
        }
    }
}
