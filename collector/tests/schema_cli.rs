//! `reshimu-collector migrate` as a user runs it.

// Helpers outside #[test] functions unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use reshimu_clickhouse_launcher::LocalClickHouse;

fn collector() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reshimu-collector"));
    for var in ["CLICKHOUSE_URL", "CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD"] {
        command.env_remove(var);
    }
    command
}

fn stdout_of(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn help_documents_every_option() {
    let help = stdout_of(collector().args(["migrate", "--help"]));
    for flag in [
        "--clickhouse-url",
        "--database",
        "--user",
        "--password",
        "--ttl-days",
        "--cluster",
        "--dry-run",
        "CLICKHOUSE_PASSWORD",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn dry_run_prints_the_rendered_sql_without_a_server() {
    let single = stdout_of(collector().args([
        "migrate",
        "--dry-run",
        "--database",
        "obs",
        "--ttl-days",
        "9",
    ]));
    assert!(
        single.contains("CREATE DATABASE IF NOT EXISTS obs;"),
        "{single}"
    );
    assert!(
        single.contains("CREATE TABLE IF NOT EXISTS obs.spans\n"),
        "{single}"
    );
    assert!(single.contains("toIntervalDay(9)"), "{single}");
    assert!(!single.contains("ON CLUSTER"), "{single}");
    assert!(!single.contains("{{"), "{single}");
    assert_eq!(single.matches("-- migration ").count(), 7);

    let cluster = stdout_of(collector().args(["migrate", "--dry-run", "--cluster", "prod"]));
    assert!(
        cluster.contains("CREATE TABLE IF NOT EXISTS reshimu.spans_local ON CLUSTER `prod`"),
        "{cluster}"
    );
    assert!(
        cluster.contains("ENGINE = Distributed('prod', 'reshimu', 'spans_local'"),
        "{cluster}"
    );
    assert!(
        cluster.contains("ReplicatedReplacingMergeTree("),
        "{cluster}"
    );
}

#[test]
fn missing_url_is_an_error_naming_the_flag() {
    let output = collector().arg("migrate").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--clickhouse-url"), "{stderr}");
}

#[test]
fn migrate_in_a_pipe_prints_only_the_result() {
    let server = LocalClickHouse::shared().unwrap();
    let database = server.fresh_database("schema_cli").unwrap();
    let run = || {
        let mut command = collector();
        command
            .args([
                "migrate",
                "--clickhouse-url",
                server.url(),
                "--database",
                &database,
            ])
            .args(["--user", server.user()])
            .env("CLICKHOUSE_PASSWORD", server.password());
        stdout_of(&mut command)
    };
    let first = run();
    assert_eq!(
        first,
        format!(
            "applied 7 migrations to {database} (0001_spans, 0002_spans_trace_id_ts, \
             0003_spans_session_id_ts, 0004_intents, 0005_sessions, 0006_intent_source, \
             0007_content_missing); 0 already applied\n\
             TTL set to 30 days on spans, spans_trace_id_ts, spans_session_id_ts, intents, sessions\n"
        )
    );
    let second = run();
    assert_eq!(
        second,
        format!("schema up to date: 7 migrations already applied to {database}\n")
    );
}
