//! The command line as people meet it: `score` on OTLP JSON succeeds, and on
//! an empty file or JSON that is not OTLP traces fails saying what was wrong;
//! `run` logs without ANSI codes when its stderr is not a terminal, and its
//! ClickHouse errors name the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use reshimu_collector::demo::reference::{Variant, session, span_count};

fn score(file: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_reshimu-collector"))
        .args(["score", "--format", "jsonl"])
        .arg(file)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn otlp_json_is_scored_and_anything_else_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("session.jsonl");
    let requests = session(Variant::Drifted, "cli").unwrap();
    let lines: Vec<String> = requests
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(&good, lines.join("\n")).unwrap();
    let (ok, stdout, stderr) = score(&good);
    assert!(ok, "{stderr}");
    // One line per span sent.
    assert_eq!(stdout.lines().count(), span_count(&requests), "{stdout}");
    assert!(stdout.contains("\"verdict\":\"violation\""), "{stdout}");

    let not_otlp = dir.path().join("foo.json");
    std::fs::write(&not_otlp, r#"{"foo":1}"#).unwrap();
    let (ok, stdout, stderr) = score(&not_otlp);
    assert!(!ok, "{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("foo.json holds no spans"), "{stderr}");

    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    let (ok, _, stderr) = score(&empty);
    assert!(!ok);
    assert!(stderr.contains("empty.json is empty"), "{stderr}");

    let missing = dir.path().join("missing.json");
    let (ok, _, stderr) = score(&missing);
    assert!(!ok);
    // The cause once, not once per level of the chain.
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );
}

#[test]
fn run_logs_plain_text_off_a_terminal_and_names_the_clickhouse_url() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("collector.yaml");
    std::fs::write(
        &config,
        "receivers:\n  grpc:\n    endpoint: 127.0.0.1:0\n  http:\n    endpoint: 127.0.0.1:0\n\
         telemetry:\n  listen: \"\"\nclickhouse:\n  url: http://127.0.0.1:1\n  retry:\n    initial_backoff: 50ms\n",
    )
    .unwrap();
    let log = dir.path().join("collector.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_reshimu-collector"))
        .args(["run", "--config"])
        .arg(&config)
        .env_remove("RUST_LOG")
        // The environment would override the unreachable URL under test.
        .env_remove("CLICKHOUSE_URL")
        .env_remove("CLICKHOUSE_USER")
        .env_remove("CLICKHOUSE_PASSWORD")
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let text = loop {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let text = std::fs::read_to_string(&log).unwrap();
        if text.contains("cannot apply the ClickHouse schema yet")
            || std::time::Instant::now() > deadline
        {
            break text;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(!text.contains('\x1b'), "ANSI codes in a log file:\n{text}");
    let warning = text
        .lines()
        .find(|l| l.contains("cannot apply the ClickHouse schema yet"))
        .unwrap_or_else(|| panic!("no ClickHouse warning in:\n{text}"));
    assert!(warning.contains("http://127.0.0.1:1"), "{warning}");
}
