//! `reshimu-collector demo`: the reference session, clean and drifted,
//! through a running collector.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use reshimu_collector::demo;

use super::clickhouse::ClickHouseArgs;

/// Options of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// OTLP/HTTP endpoint of the collector.
    #[arg(long, default_value = "http://127.0.0.1:4318", value_name = "URL")]
    endpoint: String,
    #[command(flatten)]
    connection: ClickHouseArgs,
    /// Database the collector writes to.
    #[arg(long, default_value = "reshimu", value_name = "NAME")]
    database: String,
    /// How long to wait for the spans to reach ClickHouse.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    timeout: Duration,
}

/// Runs `demo`.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let sessions = demo::send(&args.endpoint).await?;
        println!(
            "sent the reference session, clean and drifted, to {}",
            args.endpoint
        );
        let Some(url) = args.connection.clickhouse_url.as_deref() else {
            println!(
                "(give --clickhouse-url or CLICKHOUSE_URL to see the verdicts stored in ClickHouse)"
            );
            return Ok(());
        };
        let client = args.connection.client(url).with_database(&args.database);
        for (variant, session) in sessions {
            let stored = demo::fetch(&client, &session, variant, args.timeout).await?;
            println!();
            print!("{}", demo::report(variant, &session, &stored));
        }
        Ok(())
    })
}
