//! `reshimu-collector score`: offline scoring of OTLP JSON files.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use reshimu_collector::offline::{self, read_requests, records, render_tree};
use reshimu_intent::score::{DefaultScorer, Thresholds};

use super::progress::Progress;

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

    let mut progress = Progress::on_stderr();
    progress.phase("reading", args.files.len() as u64, "files");
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
        let read = read_requests(&name, &text)?;
        check_has_spans(&name, &text, &read)?;
        requests.extend(read);
        progress.advance(1, &name);
    }

    let spans = span_count(&requests);
    progress.spinner(
        "scoring",
        format!(
            "lineage and scores of {spans} spans from {} files",
            args.files.len()
        ),
    );
    let scored = offline::score_requests(requests, Arc::new(DefaultScorer::new(thresholds)));
    progress.phase("writing", spans as u64, "spans");
    match format {
        Format::Tree => {
            let tree = render_tree(&scored, terminal);
            progress.finish();
            write!(stdout, "{tree}")?;
        }
        Format::Jsonl => {
            if terminal {
                // Lines on the same terminal as the bar would be torn by it.
                progress.finish();
            }
            for request in &scored {
                for record in records(request) {
                    serde_json::to_writer(&mut stdout, &record)?;
                    stdout.write_all(b"\n")?;
                }
                progress.advance(request.spans.len() as u64, "");
            }
            progress.finish();
        }
    }
    stdout.flush()?;
    Ok(())
}

fn span_count(requests: &[ExportTraceServiceRequest]) -> usize {
    requests
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum()
}

/// A file that holds no span is a mistake (a metrics or logs export, a file
/// that is not OTLP at all): scoring it would print nothing and succeed.
fn check_has_spans(
    name: &str,
    text: &str,
    requests: &[ExportTraceServiceRequest],
) -> anyhow::Result<()> {
    if text.trim().is_empty() {
        bail!(
            "{name} is empty: expected OTLP JSON traces (one ExportTraceServiceRequest per file or per line)"
        );
    }
    if span_count(requests) == 0 {
        bail!(
            "{name} holds no spans: expected OTLP JSON traces with resourceSpans[].scopeSpans[].spans[] \
             (one ExportTraceServiceRequest per file or per line, as the OpenTelemetry Collector's file exporter writes them)"
        );
    }
    Ok(())
}
