//! `reshimu-collector score`: offline scoring of OTLP JSON files.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use reshimu_collector::offline::{self, read_requests, records, render_tree};
use reshimu_intent::score::{DefaultScorer, Thresholds};

/// Options of `score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// OTLP JSON files: one ExportTraceServiceRequest per file or per line, as
    /// the OpenTelemetry Collector's file exporter writes them. `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Output: the lineage tree (default on a terminal) or JSON Lines, one
    /// object per span (default in a pipe).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Collector config whose `scoring.thresholds` to use (defaults otherwise).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Sessions, intents nested by contraction, spans with verdicts.
    Tree,
    /// One JSON object per span with the keys trace_id, span_id, session_id,
    /// intent_id, root_intent_id, depth, agent, action_kind, action_name,
    /// alignment, local_alignment, coverage, verdict, violations, explanation.
    Jsonl,
}

/// Runs `score`.
pub fn run(args: ScoreArgs) -> anyhow::Result<()> {
    let thresholds = match &args.config {
        Some(path) => {
            let config = reshimu_collector::config::Config::load(Some(path))
                .with_context(|| format!("loading {}", path.display()))?;
            reshimu_collector::score::thresholds(&config.scoring.thresholds)
                .context("reading scoring.thresholds")?
        }
        None => Thresholds::default(),
    };
    let mut stdout = std::io::stdout().lock();
    let terminal = stdout.is_terminal();
    let format = args.format.unwrap_or(if terminal {
        Format::Tree
    } else {
        Format::Jsonl
    });

    let progress = (std::io::stderr().is_terminal() && args.files.len() > 1).then(|| {
        let bar = indicatif::ProgressBar::new(args.files.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut requests = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let text = if name == "-" {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading stdin")?;
            s
        } else {
            std::fs::read_to_string(path).with_context(|| format!("reading {name}"))?
        };
        requests.extend(read_requests(&name, &text)?);
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }

    let scored = offline::score_requests(requests, Arc::new(DefaultScorer::new(thresholds)));
    match format {
        Format::Tree => write!(stdout, "{}", render_tree(&scored, terminal))?,
        Format::Jsonl => {
            for request in &scored {
                for record in records(request) {
                    serde_json::to_writer(&mut stdout, &record)?;
                    stdout.write_all(b"\n")?;
                }
            }
        }
    }
    stdout.flush()?;
    Ok(())
}
