//! Subcommands, one file each.

mod clickhouse;
mod migrate;

use clap::{Parser, Subcommand};

/// Reshimu collector: OTLP in, intent lineage and scoring, ClickHouse and
/// OTLP out.
#[derive(Debug, Parser)]
#[command(name = "reshimu-collector", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create or upgrade the ClickHouse schema (database, tables, views).
    ///
    /// Applies the numbered migrations this build embeds, each once, and
    /// records them in `<database>.schema_migrations`; running it again does
    /// nothing. A migration recorded with a different checksum (its SQL or the
    /// TTL/cluster options changed since) is an error.
    Migrate(migrate::MigrateArgs),
}

impl Cli {
    /// Runs the chosen subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Migrate(args) => migrate::run(args),
        }
    }
}
