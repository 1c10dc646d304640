//! Real agent frameworks (openai-v2, LangGraph, OpenAI Agents, pydantic-ai;
//! `tests/frameworks/`) run the reference story against the fake model
//! server and export over OTLP/HTTP to one collector; ClickHouse then holds
//! every span with its lineage, agent and session, with the recipe's
//! declaring spans only, with the stamping processor, with no Reshimu
//! attribute at all (an inferred intent), and across processes.
//!
//! `lineage_*` checks what lineage owns. `verdicts_*` checks what the scorer
//! makes of these spans (no false positive on clean runs, every drift caught
//! with its explanation).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reshimu_clickhouse_launcher::LocalClickHouse;
use reshimu_collector::service::Collector;
use reshimu_collector::sink::clickhouse::rows::{IntentRow, SpanRow};
use reshimu_e2e::python::workspace;
use serde_json::Value;

const FRAMEWORKS: [&str; 4] = ["openai-v2", "langgraph", "openai-agents", "pydantic-ai"];
const RUNS: [&str; 10] = [
    "clean-declare",
    "clean-stamp",
    "definition-declare",
    "write-declare",
    "write-stamp",
    "email-declare",
    "recommend-stamp",
    "clean-plain",
    "write-plain",
    "remote-declare",
];

/// Everything the framework runs stored, shared by the tests of this binary.
struct Stored {
    /// Per framework, the runs as the harness printed them.
    runs: HashMap<&'static str, Vec<Value>>,
    spans: Vec<SpanRow>,
    intents: Vec<IntentRow>,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// One collector for the binary; the four frameworks run in parallel.
fn stored() -> &'static Stored {
    static STORED: OnceLock<Stored> = OnceLock::new();
    STORED.get_or_init(|| runtime().block_on(run_everything()))
}

async fn run_everything() -> Stored {
    let py = tokio::task::spawn_blocking(reshimu_e2e::frameworks::python)
        .await
        .unwrap()
        .unwrap();
    let ch = LocalClickHouse::shared().unwrap();
    let db = ch.fresh_database("frameworks").unwrap();
    let mut config = reshimu_e2e::collector::config(ch, &db);
    // A run takes a few seconds and its declaring spans end last; spans are
    // released as soon as they resolve, so a long wait costs nothing here.
    config.lineage.wait = Duration::from_secs(10);
    // The collector lives as long as the test binary.
    let collector = Box::leak(Box::new(Collector::start(config).await.unwrap()));
    let endpoint = format!("http://{}", collector.http_addr().unwrap());

    let script = workspace().join("tests/frameworks/run.py");
    let mut tasks = Vec::new();
    for framework in FRAMEWORKS {
        let (py, script, endpoint) = (py.clone(), script.clone(), endpoint.clone());
        tasks.push(tokio::task::spawn_blocking(move || {
            let out = Command::new(py)
                .arg(script)
                .args(["--framework", framework, "--endpoint", &endpoint])
                .args(RUNS)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{framework}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let runs: Vec<Value> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            (framework, runs)
        }));
    }
    let mut runs = HashMap::new();
    for t in tasks {
        let (framework, r) = t.await.unwrap();
        runs.insert(framework, r);
    }
    let traces: HashSet<String> = runs
        .values()
        .flatten()
        .flat_map(|r| r["trace_ids"].as_array().unwrap().iter())
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();

    // Every span of every trace, once the collector has written them all
    // (lineage holds HTTP client spans up to lineage.wait).
    let client = ch.client().with_database(&db);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = 0;
    let mut stable_since = Instant::now();
    let spans = loop {
        let rows: Vec<SpanRow> = client
            .query("SELECT ?fields FROM spans")
            .fetch_all()
            .await
            .unwrap_or_default();
        if rows.len() != last {
            last = rows.len();
            stable_since = Instant::now();
        }
        let complete = traces.iter().all(|t| rows.iter().any(|r| &r.trace_id == t));
        if (complete && stable_since.elapsed() > Duration::from_secs(2))
            || Instant::now() > deadline
        {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let intents = client
        .query("SELECT ?fields FROM intents FINAL")
        .fetch_all::<IntentRow>()
        .await
        .unwrap();
    Stored {
        runs,
        spans,
        intents,
    }
}

fn run<'a>(framework: &str, name: &str) -> &'a Value {
    stored().runs[framework]
        .iter()
        .find(|r| r["run"] == name)
        .unwrap()
}

fn spans_of(run: &Value) -> Vec<&'static SpanRow> {
    let traces: HashSet<&str> = run["trace_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let spans: Vec<&SpanRow> = stored()
        .spans
        .iter()
        .filter(|s| traces.contains(s.trace_id.as_str()))
        .collect();
    assert!(!spans.is_empty(), "no spans stored for {}", run["run"]);
    spans
}

/// Every span serves the intent of the agent that produced it, at its
/// depth, in the run's one session.
fn assert_lineage(framework: &str, name: &str) {
    let r = run(framework, name);
    let spans = spans_of(r);
    let by_agent: HashMap<&str, (&str, u16)> = [
        ("coordinator", (r["root_intent_id"].as_str().unwrap(), 0)),
        (
            "query_agent",
            (r["query_intent_id"].as_str().unwrap_or(""), 1),
        ),
        ("summarizer", (r["summary_intent_id"].as_str().unwrap(), 1)),
    ]
    .into();
    let root = r["root_intent_id"].as_str().unwrap();
    for s in &spans {
        let (intent, depth) = by_agent.get(s.agent_name.as_str()).unwrap_or_else(|| {
            panic!(
                "{framework}/{name}: `{}` has agent {:?}",
                s.span_name, s.agent_name
            )
        });
        if !intent.is_empty() {
            assert_eq!(
                &s.intent_id, intent,
                "{framework}/{name}: `{}` ({})",
                s.span_name, s.agent_name
            );
        }
        assert_eq!(
            s.depth, *depth,
            "{framework}/{name}: `{}` ({})",
            s.span_name, s.agent_name
        );
        assert_eq!(
            s.root_intent_id, root,
            "{framework}/{name}: `{}`",
            s.span_name
        );
        assert_eq!(
            s.session_id,
            r["session_id"].as_str().unwrap(),
            "{framework}/{name}: `{}` in the run's session",
            s.span_name
        );
    }
    let agents: HashSet<&str> = spans.iter().map(|s| s.agent_name.as_str()).collect();
    assert_eq!(
        agents,
        HashSet::from(["coordinator", "query_agent", "summarizer"]),
        "{framework}/{name}"
    );
}

#[test]
fn lineage_with_declaring_spans_only_and_with_the_stamping_processor() {
    for framework in FRAMEWORKS {
        for name in [
            "clean-declare",
            "clean-stamp",
            "definition-declare",
            "write-declare",
            "write-stamp",
            "email-declare",
            "recommend-stamp",
        ] {
            assert_lineage(framework, name);
        }
    }
}

#[test]
fn lineage_across_processes_and_the_delegation_hop() {
    for framework in FRAMEWORKS {
        assert_lineage(framework, "remote-declare");
        let spans = spans_of(run(framework, "remote-declare"));
        let services: HashSet<&str> = spans.iter().map(|s| s.service_name.as_str()).collect();
        assert_eq!(
            services,
            HashSet::from(["coordinator", "query-agent"]),
            "{framework}"
        );
        assert!(
            spans
                .iter()
                .filter(|s| s.service_name == "query-agent" && s.span_kind != "Server")
                .all(|s| s.depth == 1),
            "{framework}: the remote query agent serves its contraction: {:?}",
            spans
                .iter()
                .filter(|s| s.service_name == "query-agent" && s.depth != 1)
                .map(|s| (&s.span_name, &s.span_kind, s.depth))
                .collect::<Vec<_>>()
        );
        // The call that carried the delegation is not the remote agent's:
        // it is the coordinator's, at the root intent.
        let client = spans
            .iter()
            .find(|s| s.span_kind == "Client" && s.span_name == "POST")
            .unwrap();
        assert_eq!(
            (client.agent_name.as_str(), client.depth),
            ("coordinator", 0),
            "{framework}"
        );
    }
}

#[test]
fn plain_instrumentation_is_judged_against_an_inferred_intent() {
    for framework in FRAMEWORKS {
        for name in ["clean-plain", "write-plain"] {
            let spans = spans_of(run(framework, name));
            let roots: HashSet<&str> = spans.iter().map(|s| s.root_intent_id.as_str()).collect();
            assert_eq!(roots.len(), 1, "{framework}/{name}: {roots:?}");
            let root = *roots.iter().next().unwrap();
            assert!(root.starts_with("inferred-"), "{framework}/{name}: {root}");
            let sessions: HashSet<&str> = spans.iter().map(|s| s.session_id.as_str()).collect();
            assert_eq!(
                sessions.len(),
                1,
                "{framework}/{name}: one session {sessions:?}"
            );
            assert!(!sessions.contains(""), "{framework}/{name}");
            assert!(
                spans.iter().all(|s| s.verdict != "unscoped"),
                "{framework}/{name}"
            );
            let agents: HashSet<&str> = spans.iter().map(|s| s.agent_name.as_str()).collect();
            for a in ["coordinator", "query_agent", "summarizer"] {
                assert!(agents.contains(a), "{framework}/{name}: {agents:?}");
            }
            let intent = stored()
                .intents
                .iter()
                .find(|i| i.intent_id == root)
                .unwrap_or_else(|| panic!("{framework}/{name}: no intents row for {root}"));
            assert_eq!(intent.source, "inferred");
            assert!(
                intent
                    .objective
                    .starts_with("Audit the inactive customer accounts"),
                "{}",
                intent.objective
            );
            assert!(intent.scope.is_empty() && intent.constraints.is_empty());
        }
    }
}

#[test]
fn declared_intents_are_stored_as_declared() {
    for framework in FRAMEWORKS {
        let r = run(framework, "clean-declare");
        for key in ["root_intent_id", "query_intent_id", "summary_intent_id"] {
            let id = r[key].as_str().unwrap();
            let row = stored().intents.iter().find(|i| i.intent_id == id).unwrap();
            assert_eq!(row.source, "declared", "{framework}");
            assert!(row.digest_valid, "{framework}");
        }
    }
}

/// The scorer's side of the same runs.
fn flagged(spans: &[&SpanRow]) -> Vec<String> {
    spans
        .iter()
        .filter(|s| s.verdict != "aligned")
        .map(|s| {
            format!(
                "{} {} {}: {}",
                s.agent_name, s.span_name, s.verdict, s.explanation
            )
        })
        .collect()
}

#[test]
fn verdicts_no_false_positive_on_clean_runs() {
    let mut failures = Vec::new();
    for framework in FRAMEWORKS {
        for name in [
            "clean-declare",
            "clean-stamp",
            "remote-declare",
            "clean-plain",
        ] {
            let spans = spans_of(run(framework, name));
            let f = flagged(&spans);
            if !f.is_empty() {
                failures.push(format!("{framework}/{name}: {f:#?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn verdicts_every_drift_is_caught_with_its_explanation() {
    let expectations = [
        ("definition-declare", "define.inactive"),
        ("write-declare", "sql.write"),
        ("write-stamp", "sql.write"),
        ("email-declare", "message.send"),
        ("recommend-stamp", "constraint.recommend"),
        ("write-plain", "sql.write"),
    ];
    let mut failures = Vec::new();
    for framework in FRAMEWORKS {
        for (name, rule) in expectations {
            let spans = spans_of(run(framework, name));
            let caught = spans.iter().any(|s| {
                s.verdict == "violation"
                    && s.violations
                        .iter()
                        .any(|v| v.starts_with(rule) || v.contains(rule))
                    && !s.explanation.is_empty()
            });
            if !caught {
                failures.push(format!(
                    "{framework}/{name}: no violation of {rule}; flagged: {:#?}",
                    flagged(&spans)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
