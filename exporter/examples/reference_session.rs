//! The reference session as three processes talking HTTP with propagated
//! context: this binary is the coordinator and spawns itself as the query
//! agent and the summarizer.
//!
//! ```sh
//! cargo run -p reshimu-exporter --example reference_session -- \
//!     --endpoint http://127.0.0.1:4318 --drift redefine
//! ```
//! `--in-process` runs all three agents in one process instead; `--topology
//! chain` has the query agent delegate to the summarizer, which works in a
//! trace of its own linked to the query agent's (the shape the collector's
//! `demo` replays, with `--drift every`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::{Context as _, bail};
use clap::{Parser, ValueEnum};
use reshimu_exporter::reference::{self, Drift, Role, Scenario, Topology};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Coordinator,
    QueryAgent,
    Summarizer,
}

#[derive(Debug, Parser)]
#[command(
    about = "Run the Reshimu reference session (seed scenario) against an OTLP/HTTP endpoint"
)]
struct Args {
    /// OTLP/HTTP base endpoint (the collector's :4318).
    #[arg(
        long,
        env = "OTEL_EXPORTER_OTLP_ENDPOINT",
        default_value = "http://127.0.0.1:4318"
    )]
    endpoint: String,
    /// The failure to inject: none, redefine, recommend, delete, drop-constraint, inject, every.
    #[arg(long, default_value = "none")]
    drift: String,
    /// Who delegates to whom: star (the coordinator to both) or chain
    /// (coordinator -> query agent -> summarizer, the last in a linked trace).
    #[arg(long, default_value = "star")]
    topology: String,
    /// Which agent this process runs (the coordinator spawns the others).
    #[arg(long, value_enum, default_value = "coordinator")]
    role: RoleArg,
    /// Address a delegate listens on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Run all three agents in this process.
    #[arg(long)]
    in_process: bool,
}

/// A delegate process and the URL it serves.
struct Delegate {
    child: Child,
    url: String,
}

fn spawn(role: &str, endpoint: &str) -> anyhow::Result<Delegate> {
    let exe = std::env::current_exe().context("locating this binary")?;
    let mut child = Command::new(exe)
        .args([
            "--role",
            role,
            "--endpoint",
            endpoint,
            "--listen",
            "127.0.0.1:0",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("spawning the {role}"))?;
    let stdout = child.stdout.take().context("child stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let Some(addr) = line.trim().strip_prefix("listening on ") else {
        bail!("the {role} did not start: {line:?}");
    };
    Ok(Delegate {
        url: format!("http://{addr}"),
        child,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let drift: Drift = args.drift.parse()?;
    let topology: Topology = args.topology.parse()?;
    let scenario = Scenario { drift, topology };
    match args.role {
        RoleArg::QueryAgent => {
            return Ok(reference::run_role(Role::QueryAgent, &args.endpoint, &args.listen).await?);
        }
        RoleArg::Summarizer => {
            return Ok(reference::run_role(Role::Summarizer, &args.endpoint, &args.listen).await?);
        }
        RoleArg::Coordinator => {}
    }
    let outcome = if args.in_process {
        reference::run_scenario(&args.endpoint, scenario).await?
    } else {
        let mut delegates = vec![
            spawn("query-agent", &args.endpoint)?,
            spawn("summarizer", &args.endpoint)?,
        ];
        let provider = reshimu_exporter::init(
            reshimu_exporter::Config::default()
                .service_name("reshimu-reference-coordinator")
                .protocol(reshimu_exporter::Protocol::HttpProtobuf)
                .endpoint(&args.endpoint),
        )?;
        let outcome = reference::coordinate_scenario(
            &provider,
            scenario,
            &delegates[0].url,
            &delegates[1].url,
        )
        .await;
        for d in &mut delegates {
            drop(d.child.stdin.take()); // asks the delegate to stop and flush
        }
        for d in &mut delegates {
            d.child.wait()?;
        }
        tokio::task::spawn_blocking(move || provider.shutdown()).await??;
        outcome?
    };
    println!(
        "session {} (drift: {drift}, topology: {})",
        outcome.session_id,
        topology.as_str()
    );
    println!("root intent {}", outcome.root_intent_id);
    println!(
        "{} inactive accounts; summary: {}",
        outcome.rows, outcome.summary
    );
    Ok(())
}
