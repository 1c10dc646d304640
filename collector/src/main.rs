//! The `reshimu-collector` command line.

mod cli;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    // Logs go to stderr and default to warnings, so that piped output is only
    // what the command prints; RUST_LOG raises the level.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    cli::Cli::parse().run()
}
