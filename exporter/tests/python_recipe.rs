//! The Python recipe (tests/python/recipe_agent.py, plain OTel Python SDK)
//! emits what the README says: its OTLP, received by an in-test OTLP/HTTP
//! receiver and run through the scorer, declares every intent (with a digest
//! that matches Rust's), stamps every span, and is aligned.
//!
//! The venv lives in target/py-venv (created from tests/python/requirements.txt
//! on first run); set `RESHIMU_PYTHON` to use another interpreter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use reshimu_intent::attr;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn python() -> PathBuf {
    if let Ok(p) = std::env::var("RESHIMU_PYTHON") {
        return p.into();
    }
    let root = workspace();
    let venv = root.join("target/py-venv");
    let py = venv.join("bin/python");
    let ready = Command::new(&py)
        .args([
            "-c",
            "import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        assert!(
            Command::new("python3")
                .arg("-m")
                .arg("venv")
                .arg(&venv)
                .status()
                .unwrap()
                .success()
        );
        let req = root.join("tests/python/requirements.txt");
        let ok = Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "-r"])
            .arg(req)
            .status()
            .unwrap()
            .success();
        assert!(ok, "pip install failed");
    }
    py
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_recipe_agent_declares_stamps_and_propagates() {
    let (endpoint, received) = common::otlp::receiver().await;
    let py = python();
    let script = workspace().join("tests/python/recipe_agent.py");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py).arg(script).arg(endpoint).output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = |k: &str| ids[k].as_str().unwrap().to_owned();

    let spans = received.spans();
    let mut names: Vec<&str> = spans.iter().map(|(_, s)| s.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "chat scripted-model",
            "execute_tool run_sql",
            "invoke_agent coordinator",
            "invoke_agent query-agent",
            "invoke_agent summarizer",
            "reshimu.intent.declare",
            "reshimu.intent.declare",
            "reshimu.intent.declare",
        ]
    );
    assert_eq!(
        id("root_digest"),
        common::seed().digest(),
        "Python's canonical JSON matches Rust's"
    );
    let trace_id = &spans[0].1.trace_id;
    for (_, s) in &spans {
        let get = |k| common::otlp::get(s, k);
        assert_eq!(&s.trace_id, trace_id);
        assert_eq!(get(attr::SESSION_ID), Some(id("session_id")), "{}", s.name);
        assert_eq!(
            get(attr::INTENT_ROOT_ID),
            Some(id("root_intent_id")),
            "{}",
            s.name
        );
        let want_intent = match s.name.as_str() {
            "execute_tool run_sql" => id("query_intent_id"),
            "chat scripted-model" => id("summary_intent_id"),
            _ => get(attr::INTENT_ID).unwrap(),
        };
        assert_eq!(get(attr::INTENT_ID), Some(want_intent), "{}", s.name);
        let depth_is_int = s.attributes.iter().any(|kv| {
            kv.key == attr::DELEGATION_DEPTH
                && matches!(
                    kv.value.as_ref().and_then(|v| v.value.as_ref()),
                    Some(opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(_))
                )
        });
        assert!(depth_is_int, "{}: depth must be an int", s.name);
    }
    // score_all checks digests and depths against the declared lineage.
    for scored in common::otlp::score_all(&spans) {
        assert_eq!(
            scored.score.verdict.as_str(),
            "aligned",
            "{}: {}",
            scored.name,
            scored.score.explanation
        );
    }
}
