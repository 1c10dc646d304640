//! Two (here three) processes over real HTTP: the delegates run as separate
//! processes (this test binary re-executed in a role), export to an in-test
//! OTLP receiver, and every span they emit carries the coordinator's session
//! and root intent and continues its trace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use reshimu_exporter::reference::{self, Drift, Role};
use reshimu_intent::attr;

const ROLE_ENV: &str = "RESHIMU_TEST_ROLE";
const ENDPOINT_ENV: &str = "RESHIMU_TEST_ENDPOINT";

/// The delegate side, run only when re-executed by the test below (hence
/// ignored: on its own it has nothing to do).
#[tokio::test]
#[ignore = "entry point of the delegate processes spawned by delegates_in_other_processes_continue_the_lineage"]
async fn delegate_process() {
    let role = match std::env::var(ROLE_ENV).as_deref() {
        Ok("query-agent") => Role::QueryAgent,
        Ok("summarizer") => Role::Summarizer,
        other => panic!("{ROLE_ENV} = {other:?}"),
    };
    let endpoint = std::env::var(ENDPOINT_ENV).unwrap();
    reference::run_role(role, &endpoint, "127.0.0.1:0")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delegates_in_other_processes_continue_the_lineage() {
    let (endpoint, received) = common::otlp::receiver().await;
    let mut children = Vec::new();
    let mut urls = Vec::new();
    for role in ["query-agent", "summarizer"] {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "delegate_process",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(ROLE_ENV, role)
            .env(ENDPOINT_ENV, &endpoint)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the delegate exited before listening")
                .unwrap();
            // libtest prints `test delegate_process ... ` before it.
            if let Some((_, a)) = line.split_once("listening on ") {
                break a.trim().to_owned();
            }
        };
        urls.push(format!("http://{addr}"));
        children.push((child, lines));
    }

    let (provider, exporter) = common::provider();
    let outcome = reference::coordinate(&provider, Drift::None, &urls[0], &urls[1])
        .await
        .unwrap();
    assert_eq!(outcome.rows, 5);
    for (child, _) in &mut children {
        drop(child.stdin.take());
    }
    for (child, lines) in &mut children {
        for _ in lines.by_ref() {}
        assert!(child.wait().unwrap().success());
    }
    provider.force_flush().unwrap();

    let local = exporter.get_finished_spans().unwrap();
    let trace_id = local[0].span_context.trace_id().to_bytes();
    assert!(
        local
            .iter()
            .all(|s| s.span_context.trace_id().to_bytes() == trace_id)
    );
    let remote = received.spans();
    let services: std::collections::BTreeSet<_> =
        remote.iter().map(|(svc, _)| svc.as_str()).collect();
    assert_eq!(
        services.into_iter().collect::<Vec<_>>(),
        [
            "reshimu-reference-query-agent",
            "reshimu-reference-summarizer"
        ]
    );
    // query agent: its span, chat, tool, db; summarizer: its span, chat.
    assert_eq!(
        remote.len(),
        6,
        "{:?}",
        remote.iter().map(|(_, s)| &s.name).collect::<Vec<_>>()
    );
    let local_ids: std::collections::HashSet<[u8; 8]> = local
        .iter()
        .map(|s| s.span_context.span_id().to_bytes())
        .collect();
    for (svc, s) in &remote {
        let get = |k| common::otlp::get(s, k);
        assert_eq!(s.trace_id, trace_id, "{svc} {}", s.name);
        assert_eq!(
            get(attr::SESSION_ID).as_deref(),
            Some(outcome.session_id.as_str()),
            "{svc} {}",
            s.name
        );
        assert_eq!(
            get(attr::INTENT_ROOT_ID).as_deref(),
            Some(outcome.root_intent_id.as_str()),
            "{svc} {}",
            s.name
        );
        assert_eq!(
            get(attr::DELEGATION_DEPTH).as_deref(),
            Some("1"),
            "{svc} {}",
            s.name
        );
        let intent = get(attr::INTENT_ID).unwrap();
        assert_ne!(
            intent, outcome.root_intent_id,
            "a delegate works under its contraction"
        );
        // Its intent was declared by the coordinator's delegation span.
        let delegation = local
            .iter()
            .find(|l| {
                l.name.starts_with("invoke_agent")
                    && common::get(l, attr::INTENT_ID).as_deref() == Some(intent.as_str())
            })
            .unwrap();
        assert_eq!(
            common::get(delegation, attr::INTENT_PARENT_ID).as_deref(),
            Some(outcome.root_intent_id.as_str())
        );
        if s.name.starts_with("invoke_agent") {
            let parent: [u8; 8] = s.parent_span_id.clone().try_into().unwrap();
            assert!(
                local_ids.contains(&parent),
                "the delegate's span continues the coordinator's"
            );
            assert_eq!(parent, delegation.span_context.span_id().to_bytes());
        }
    }
}
