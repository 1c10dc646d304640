//! The reference session's emitted OTLP, run through the scorer: the clean
//! session is aligned everywhere; each drift flag flags exactly the drifting,
//! violating or thin spans, and the in-process checks agree with the scorer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::otlp::{self, Scored};
use opentelemetry_proto::tonic::trace::v1::Span;
use reshimu_exporter::reference::{Drift, run_session};
use reshimu_intent::attr;

const DECLARE: &str = reshimu_exporter::DECLARE_SPAN_NAME;
const CHAT: &str = "chat reference-scripted-model";

async fn run(drift: Drift) -> (Vec<(String, Span)>, Vec<Scored>) {
    let (url, received) = otlp::receiver().await;
    let outcome = run_session(&url, drift).await.unwrap();
    let spans = received.spans();
    for (_, s) in &spans {
        assert_eq!(
            otlp::get(s, attr::SESSION_ID).as_deref(),
            Some(outcome.session_id.as_str()),
            "{}",
            s.name
        );
        assert_eq!(
            otlp::get(s, attr::INTENT_ROOT_ID).as_deref(),
            Some(outcome.root_intent_id.as_str()),
            "{}",
            s.name
        );
    }
    let scored = otlp::score_all(&spans);
    (spans, scored)
}

/// `(span name, agent, verdict, rule ids)` of every span not aligned, sorted.
fn flagged(scored: &[Scored]) -> Vec<(String, String, &'static str, Vec<String>)> {
    let mut v: Vec<_> = scored
        .iter()
        .filter(|s| s.score.verdict.as_str() != "aligned")
        .map(|s| {
            (
                s.name.clone(),
                s.agent.clone().unwrap_or_default(),
                s.score.verdict.as_str(),
                s.score
                    .violations
                    .iter()
                    .map(|v| v.split(':').next().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    v.sort();
    v
}

fn f(
    name: &str,
    agent: &str,
    verdict: &'static str,
    rules: &[&str],
) -> (String, String, &'static str, Vec<String>) {
    (
        name.into(),
        agent.into(),
        verdict,
        rules.iter().map(|r| (*r).to_owned()).collect(),
    )
}

/// Verdicts of the `reshimu.guard` events the agents recorded in process.
fn guard_events(spans: &[(String, Span)]) -> Vec<(String, String)> {
    let mut v: Vec<_> = spans
        .iter()
        .flat_map(|(_, s)| s.events.iter().map(move |e| (s, e)))
        .filter(|(_, e)| e.name == attr::event::GUARD)
        .map(|(_, e)| {
            let get = |k: &str| {
                e.attributes
                    .iter()
                    .find(|kv| kv.key == k)
                    .and_then(|kv| otlp::string(kv.value.as_ref()))
                    .unwrap()
            };
            (get(reshimu_exporter::GUARD_ACTION), get(attr::VERDICT))
        })
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_session_is_aligned_everywhere() {
    let (spans, scored) = run(Drift::None).await;
    // coordinator: root, declare, plan; 2 delegations x (span, declare);
    // query agent: span, chat, tool, db; summarizer: span, chat.
    assert_eq!(
        scored.len(),
        13,
        "{:?}",
        scored.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    assert_eq!(flagged(&scored), vec![]);
    let delegations: Vec<_> = guard_events(&spans);
    assert_eq!(
        delegations,
        [
            ("delegate query-agent".into(), "aligned".into()),
            ("delegate summarizer".into(), "aligned".into())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redefine_is_thin_at_the_delegation_and_violates_the_definition_downstream() {
    let (spans, scored) = run(Drift::Redefine).await;
    assert_eq!(
        flagged(&scored),
        vec![
            f("SELECT customers", "", "violation", &["define.inactive"]),
            f(CHAT, "query-agent", "violation", &["define.inactive"]),
            f(
                "execute_tool run_sql",
                "query-agent",
                "violation",
                &["define.inactive"]
            ),
            f("invoke_agent query-agent", "query-agent", "thin", &[]),
            f(DECLARE, "query-agent", "thin", &[]),
        ]
    );
    let events = guard_events(&spans);
    assert!(
        events.contains(&("delegate query-agent".into(), "thin".into())),
        "{events:?}"
    );
    assert!(
        events.contains(&("execute_tool run_sql".into(), "violation".into())),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommend_flags_the_summary() {
    let (_, scored) = run(Drift::Recommend).await;
    assert_eq!(
        flagged(&scored),
        vec![f(
            CHAT,
            "summarizer",
            "violation",
            &["constraint.recommend"]
        )]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_flags_the_statement_the_proposed_call_and_the_tool_call() {
    let (spans, scored) = run(Drift::Delete).await;
    assert_eq!(
        flagged(&scored),
        vec![
            f("DELETE customers", "", "violation", &["sql.write"]),
            // The model's proposed tool call is the decision to delete.
            f(CHAT, "query-agent", "violation", &["sql.write"]),
            f(
                "execute_tool run_sql",
                "query-agent",
                "violation",
                &["sql.write"]
            ),
        ]
    );
    assert_eq!(
        guard_events(&spans)
            .iter()
            .filter(|(a, v)| a == "execute_tool run_sql" && v == "violation")
            .count(),
        1,
        "the in-process check saw the same violation before the DELETE ran"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_constraint_is_thin_before_any_action() {
    let (_, scored) = run(Drift::DropConstraint).await;
    assert_eq!(
        flagged(&scored),
        vec![
            f("invoke_agent summarizer", "summarizer", "thin", &[]),
            f(DECLARE, "summarizer", "thin", &[]),
        ]
    );
    let thin = scored
        .iter()
        .find(|s| s.score.verdict.as_str() == "thin")
        .unwrap();
    assert!(thin.score.coverage.unwrap() < 0.6, "{:?}", thin.score);
    assert!(
        thin.score.explanation.contains("no recommendations"),
        "{}",
        thin.score.explanation
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inject_flags_the_email_to_an_address_from_nowhere() {
    let (_, scored) = run(Drift::Inject).await;
    assert_eq!(
        flagged(&scored),
        vec![f(
            "execute_tool send_email",
            "summarizer",
            "violation",
            &["message.send", "goal.injected"]
        )]
    );
}
