//! Resolver scenarios, written against span facts so each rule is visible.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reshimu_intent::spec::IntentSpec;

use super::*;

fn key(trace: u8, span: u8) -> SpanKey {
    ([trace; 16], [span; 8])
}

fn spec(objective: &str) -> IntentSpec {
    IntentSpec {
        objective: objective.into(),
        scope: "customers table only".into(),
        constraints: "no writes".into(),
        guards: vec![],
    }
}

fn declaring(trace: u8, span: u8, id: &str, parent: Option<&str>) -> SpanFacts {
    SpanFacts {
        key: Some(key(trace, span)),
        intent_id: Some(id.into()),
        declaration: Some(Declaration {
            intent_id: id.into(),
            parent_id: parent.map(Arc::from),
            spec: spec(&format!("objective of {id}")),
            claimed_digest: None,
            session_id: Some("s-1".into()),
            agent: None,
            declared_by: Some(key(trace, span)),
            declared_at_unix_nano: 0,
        }),
        ..SpanFacts::default()
    }
}

fn referencing(trace: u8, span: u8, id: &str) -> SpanFacts {
    SpanFacts {
        key: Some(key(trace, span)),
        intent_id: Some(id.into()),
        ..SpanFacts::default()
    }
}

fn plain(trace: u8, span: u8, parent: Option<u8>) -> SpanFacts {
    SpanFacts {
        key: Some(key(trace, span)),
        parent: parent.map(|p| key(trace, p)),
        ..SpanFacts::default()
    }
}

fn resolver() -> Resolver<&'static str> {
    Resolver::new(LineageLimits::default())
}

fn intent_of(l: &SpanLineage) -> Option<&str> {
    l.intent.as_ref().map(|n| &*n.id)
}

#[test]
fn declaration_and_references_in_one_request_resolve_at_once() {
    let mut r = resolver();
    let now = Instant::now();
    let out = r.ingest(
        "req",
        vec![referencing(1, 2, "root"), declaring(1, 1, "root", None)],
        now,
    );
    assert_eq!(out.len(), 1);
    let spans = &out[0].spans;
    assert_eq!(intent_of(&spans[0]), Some("root"));
    assert!(!spans[0].declares);
    assert!(spans[1].declares);
    assert_eq!(spans[0].intent.as_ref().unwrap().depth, 0);
    assert_eq!(&*spans[0].session_id, "s-1");
}

#[test]
fn children_exported_before_the_declaring_root_wait_for_it() {
    let mut r = resolver();
    let now = Instant::now();
    assert!(
        r.ingest("children", vec![referencing(1, 2, "root")], now)
            .is_empty()
    );
    assert_eq!(r.held_spans(), 1);
    let out = r.ingest("root", vec![declaring(1, 1, "root", None)], now);
    let order: Vec<_> = out.iter().map(|o| o.payload).collect();
    assert_eq!(order, vec!["children", "root"]);
    assert_eq!(r.held_spans(), 0);
}

#[test]
fn contractions_form_a_chain_with_depths_and_paths() {
    let mut r = resolver();
    let now = Instant::now();
    // Deepest first, as spans end bottom-up.
    assert!(
        r.ingest(
            "g",
            vec![
                declaring(2, 3, "grandchild", Some("child")),
                referencing(2, 4, "grandchild")
            ],
            now
        )
        .is_empty()
    );
    assert!(
        r.ingest("c", vec![declaring(1, 2, "child", Some("root"))], now)
            .is_empty()
    );
    let out = r.ingest("r", vec![declaring(1, 1, "root", None)], now);
    assert_eq!(out.len(), 3);
    let g = out.iter().find(|o| o.payload == "g").unwrap();
    let node = g.spans[1].intent.as_ref().unwrap();
    assert_eq!(node.depth, 2);
    assert_eq!(&*node.root_id, "root");
    let path: Vec<String> = node.lineage_path().iter().map(|s| s.to_string()).collect();
    assert_eq!(path, ["root", "child", "grandchild"]);
    assert!(!node.orphan);
}

#[test]
fn spans_without_intent_inherit_from_parent_even_out_of_order() {
    let mut r = resolver();
    let now = Instant::now();
    // Grandchild listed before its parent in the same request.
    let out = r.ingest(
        "req",
        vec![
            plain(1, 3, Some(2)),
            plain(1, 2, Some(1)),
            referencing(1, 1, "root"),
            declaring(9, 9, "root", None),
        ],
        now,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(intent_of(&out[0].spans[0]), Some("root"));
    assert_eq!(intent_of(&out[0].spans[1]), Some("root"));
}

#[test]
fn a_span_link_carries_the_intent_into_another_trace() {
    let mut r = resolver();
    let now = Instant::now();
    r.ingest("a", vec![declaring(1, 1, "root", None)], now);
    let linked = SpanFacts {
        key: Some(key(2, 1)),
        links: vec![key(1, 1)],
        ..SpanFacts::default()
    };
    let out = r.ingest("b", vec![linked, plain(2, 2, Some(1))], now);
    assert_eq!(intent_of(&out[0].spans[0]), Some("root"));
    assert_eq!(intent_of(&out[0].spans[1]), Some("root"));
}

#[test]
fn a_trace_root_without_intent_is_unscoped_at_once() {
    let mut r = resolver();
    let out = r.ingest(
        "req",
        vec![plain(1, 1, None), plain(1, 2, Some(1))],
        Instant::now(),
    );
    assert_eq!(out.len(), 1);
    assert!(out[0].spans.iter().all(|s| s.intent.is_none()));
    assert_eq!(&*out[0].spans[0].session_id, "");
}

#[test]
fn missing_intents_are_asked_for_after_the_wait_and_supplied() {
    let mut r = resolver();
    let start = Instant::now();
    assert!(
        r.ingest("req", vec![referencing(1, 2, "stored")], start)
            .is_empty()
    );
    assert!(r.missing_intents(start).is_empty(), "nothing expired yet");
    let later = start + Duration::from_secs(3);
    assert_eq!(r.missing_intents(later), vec![Arc::<str>::from("stored")]);
    let stored = declaring(5, 5, "stored", None).declaration.unwrap();
    let out = r.supply(vec![stored]);
    assert_eq!(out.len(), 1);
    assert_eq!(intent_of(&out[0].spans[0]), Some("stored"));
    assert!(!out[0].spans[0].intent.as_ref().unwrap().orphan);
}

#[test]
fn intents_that_never_arrive_become_orphans_and_later_spans_do_not_wait() {
    let mut r = resolver();
    let start = Instant::now();
    r.ingest(
        "req",
        vec![
            referencing(1, 2, "ghost"),
            declaring(1, 3, "child", Some("lost-parent")),
        ],
        start,
    );
    let later = start + Duration::from_secs(3);
    assert!(r.release_expired(start).is_empty());
    let out = r.release_expired(later);
    assert_eq!(out.len(), 1);
    let ghost = out[0].spans[0].intent.as_ref().unwrap();
    assert!(ghost.orphan && ghost.declaration.is_none());
    let child = out[0].spans[1].intent.as_ref().unwrap();
    assert!(child.orphan);
    assert!(child.declaration.is_some());
    assert_eq!(child.depth, 0);
    // Known now (as an orphan), so the next span is not held.
    assert_eq!(
        r.ingest("next", vec![referencing(1, 4, "ghost")], later)
            .len(),
        1
    );
}

#[test]
fn a_late_declaration_replaces_the_stand_in() {
    let mut r = resolver();
    let start = Instant::now();
    r.ingest("req", vec![referencing(1, 2, "late")], start);
    r.release_expired(start + Duration::from_secs(3));
    r.ingest("decl", vec![declaring(1, 1, "late", None)], start);
    assert!(r.intent("late").unwrap().declaration.is_some());
}

#[test]
fn pending_spans_are_bounded() {
    let mut r = Resolver::new(LineageLimits {
        max_pending_spans: 3,
        ..LineageLimits::default()
    });
    let now = Instant::now();
    assert!(
        r.ingest(
            "a",
            vec![referencing(1, 1, "x"), referencing(1, 2, "x")],
            now
        )
        .is_empty()
    );
    let out = r.ingest(
        "b",
        vec![referencing(1, 3, "x"), referencing(1, 4, "x")],
        now,
    );
    assert_eq!(out.iter().map(|o| o.payload).collect::<Vec<_>>(), vec!["a"]);
    assert_eq!(r.evictions().early_releases, 1);
    assert_eq!(r.held_spans(), 2);
}

#[test]
fn intents_are_bounded() {
    let mut r = Resolver::new(LineageLimits {
        max_intents: 2,
        ..LineageLimits::default()
    });
    let now = Instant::now();
    for (i, id) in ["a", "b", "c"].into_iter().enumerate() {
        r.ingest("x", vec![declaring(1, i as u8 + 1, id, None)], now);
    }
    assert_eq!(r.known_intents(), 2);
    assert!(r.intent("a").is_none());
    assert_eq!(r.evictions().intents, 1);
}

#[test]
fn digest_mismatch_is_detected() {
    let mut good = declaring(1, 1, "root", None);
    let d = good.declaration.as_mut().unwrap();
    d.claimed_digest = Some(d.spec.digest().to_uppercase());
    let mut bad = declaring(1, 2, "other", None);
    bad.declaration.as_mut().unwrap().claimed_digest = Some("00".repeat(32));
    let mut r = resolver();
    let out = r.ingest("x", vec![good, bad], Instant::now());
    assert_eq!(
        out[0].spans[0].intent.as_ref().unwrap().digest_valid,
        Some(true)
    );
    assert_eq!(
        out[0].spans[1].intent.as_ref().unwrap().digest_valid,
        Some(false)
    );
}

#[test]
fn release_all_flushes_everything() {
    let mut r = resolver();
    r.ingest("a", vec![plain(1, 2, Some(1))], Instant::now());
    let out = r.release_all();
    assert_eq!(out.len(), 1);
    assert!(out[0].spans[0].intent.is_none());
    assert_eq!(r.held_spans(), 0);
}

#[test]
fn intents_are_forgotten_after_their_ttl_and_waited_for_again() {
    let mut r = Resolver::new(LineageLimits {
        intent_ttl: Duration::from_secs(60),
        ..LineageLimits::default()
    });
    let start = Instant::now();
    r.ingest("decl", vec![declaring(1, 1, "root", None)], start);
    assert_eq!(
        r.ingest(
            "soon",
            vec![referencing(1, 2, "root")],
            start + Duration::from_secs(30)
        )
        .len(),
        1
    );
    let later = start + Duration::from_secs(61);
    assert!(
        r.ingest("late", vec![referencing(1, 3, "root")], later)
            .is_empty()
    );
    assert_eq!(r.evictions().expired_intents, 1);
    assert_eq!(
        r.missing_intents(later + Duration::from_secs(3)),
        vec![Arc::<str>::from("root")]
    );
}

#[test]
fn spans_seen_by_another_collector_are_asked_for_and_supplied() {
    let mut r = resolver();
    let start = Instant::now();
    let linked = SpanFacts {
        key: Some(key(2, 1)),
        links: vec![key(1, 2)],
        ..SpanFacts::default()
    };
    assert!(
        r.ingest("b", vec![linked, plain(2, 2, Some(1))], start)
            .is_empty()
    );
    let later = start + Duration::from_secs(3);
    assert_eq!(r.missing_spans(later), vec![key(1, 2)]);
    r.supply_spans(vec![(key(1, 2), Some("child".into()))]);
    assert_eq!(r.missing_intents(later), vec![Arc::<str>::from("child")]);
    let mut child = declaring(1, 2, "child", Some("root")).declaration.unwrap();
    child.parent_id = None;
    let out = r.supply(vec![child]);
    assert_eq!(out.len(), 1);
    assert_eq!(intent_of(&out[0].spans[0]), Some("child"));
    assert_eq!(intent_of(&out[0].spans[1]), Some("child"));
}

#[test]
fn a_parent_span_arriving_later_releases_its_held_children_in_the_same_call() {
    let mut r = resolver();
    let now = Instant::now();
    assert!(
        r.ingest("child", vec![plain(1, 3, Some(2))], now)
            .is_empty()
    );
    assert!(
        r.ingest("other", vec![plain(7, 1, Some(9))], now)
            .is_empty()
    );
    let out = r.ingest(
        "parent",
        vec![referencing(1, 2, "root"), declaring(1, 1, "root", None)],
        now,
    );
    let order: Vec<_> = out.iter().map(|o| o.payload).collect();
    assert_eq!(
        order,
        vec!["child", "parent"],
        "the unrelated request stays held"
    );
    assert_eq!(intent_of(&out[0].spans[0]), Some("root"));
    assert_eq!(r.held_spans(), 1);
}

// ---- Rules for spans nobody wrote for Reshimu, on the captured framework runs
// (intent/tests/fixtures/frameworks/, see its README).

mod frameworks {
    use std::collections::{HashMap, HashSet};
    use std::path::PathBuf;

    use opentelemetry_proto::tonic::trace::v1::Span;

    use super::super::*;
    use super::{declaring, key};
    use crate::pipeline::extract_facts;
    use std::time::{Duration, Instant};

    /// One span of a resolved fixture run.
    struct Resolved {
        span: Span,
        lineage: SpanLineage,
    }

    fn fixture(framework: &str, run: &str) -> Vec<Resolved> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../intent/tests/fixtures/frameworks")
            .join(framework)
            .join(format!("{run}.jsonl"));
        let text = std::fs::read_to_string(&path).unwrap();
        let requests = crate::offline::read_requests(run, &text).unwrap();
        let mut r: Resolver<Vec<Span>> = Resolver::new(LineageLimits::default());
        let now = Instant::now();
        let mut released = Vec::new();
        for request in &requests {
            let spans: Vec<Span> = request
                .resource_spans
                .iter()
                .flat_map(|rs| rs.scope_spans.iter().flat_map(|ss| ss.spans.clone()))
                .collect();
            released.extend(r.ingest(spans, extract_facts(request, true), now));
        }
        released.extend(r.release_all());
        released
            .into_iter()
            .flat_map(|rel| {
                rel.payload
                    .into_iter()
                    .zip(rel.spans)
                    .map(|(span, lineage)| Resolved { span, lineage })
            })
            .collect()
    }

    /// The run's ids as the harness printed them (runs.jsonl).
    fn ids(framework: &str, run: &str) -> serde_json::Value {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../intent/tests/fixtures/frameworks")
            .join(framework)
            .join("runs.jsonl");
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|v| v["run"] == run)
            .unwrap()
    }

    fn intent(r: &Resolved) -> &str {
        r.lineage.intent.as_ref().map_or("", |n| &n.id)
    }

    fn agent(r: &Resolved) -> &str {
        r.lineage.agent.as_deref().unwrap_or("")
    }

    fn named<'a>(spans: &'a [Resolved], name: &str) -> Vec<&'a Resolved> {
        spans.iter().filter(|r| r.span.name == name).collect()
    }

    /// Every span that runs as `agent` serves that agent's intent.
    fn assert_agents_serve_their_intents(framework: &str, run: &str) {
        let spans = fixture(framework, run);
        let ids = ids(framework, run);
        let expected: HashMap<&str, &str> = [
            ("coordinator", ids["root_intent_id"].as_str().unwrap()),
            ("query_agent", ids["query_intent_id"].as_str().unwrap()),
            ("summarizer", ids["summary_intent_id"].as_str().unwrap()),
        ]
        .into();
        for r in &spans {
            let want = expected.get(agent(r)).unwrap_or_else(|| {
                panic!(
                    "{framework}/{run}: `{}` has agent {:?}",
                    r.span.name,
                    agent(r)
                )
            });
            assert_eq!(
                intent(r),
                *want,
                "{framework}/{run}: `{}` of {} serves the wrong intent",
                r.span.name,
                agent(r)
            );
            let depth = r.lineage.intent.as_ref().unwrap().depth;
            assert_eq!(
                depth,
                u32::from(agent(r) != "coordinator"),
                "{}",
                r.span.name
            );
        }
        let sessions: HashSet<&str> = spans.iter().map(|r| &*r.lineage.session_id).collect();
        assert_eq!(
            sessions,
            HashSet::from([ids["session_id"].as_str().unwrap()]),
            "{framework}/{run}: one session"
        );
    }

    #[test]
    fn without_the_processor_langgraph_subgraphs_take_their_delegates_intent() {
        // OpenInference parents the query agent's graph to the coordinator's
        // `delegate_query` tool run, beside the user's declaring span: only
        // the graph's name ties it to the contraction declared for it.
        let spans = fixture("langgraph", "write-declare");
        let graph = named(&spans, "query_agent");
        assert_eq!(graph.len(), 1);
        assert_eq!(agent(graph[0]), "query_agent");
        let delete = spans
            .iter()
            .find(|r| {
                r.span.name == "run_sql"
                    && r.span.attributes.iter().any(|kv| {
                        kv.key == "input.value"
                            && matches!(&kv.value.as_ref().and_then(|v| v.value.clone()),
                                Some(opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s)) if s.starts_with("DELETE"))
                    })
            })
            .unwrap();
        let ids = ids("langgraph", "write-declare");
        assert_eq!(intent(delete), ids["query_intent_id"].as_str().unwrap());
        assert_eq!(agent(delete), "query_agent");
        assert_eq!(delete.lineage.intent.as_ref().unwrap().depth, 1);
        assert_agents_serve_their_intents("langgraph", "write-declare");
    }

    #[test]
    fn every_framework_resolves_every_span_with_and_without_the_processor() {
        for framework in ["openai-v2", "langgraph", "openai-agents", "pydantic-ai"] {
            for run in [
                "clean-declare",
                "clean-stamp",
                "write-declare",
                "email-stamp",
            ] {
                assert_agents_serve_their_intents(framework, run);
            }
        }
    }

    #[test]
    fn pydantic_ai_conversation_ids_do_not_split_the_session() {
        let spans = fixture("pydantic-ai", "clean-declare");
        let conversations: HashSet<String> = spans
            .iter()
            .flat_map(|r| r.span.attributes.iter())
            .filter(|kv| kv.key == "gen_ai.conversation.id")
            .map(|kv| crate::sink::clickhouse::encode::value_string(kv.value.as_ref()))
            .collect();
        assert!(conversations.len() >= 4, "{conversations:?}");
        let sessions: HashSet<&str> = spans.iter().map(|r| &*r.lineage.session_id).collect();
        assert_eq!(sessions.len(), 1, "{sessions:?}");
    }

    #[test]
    fn plain_instrumentation_gets_an_inferred_intent_from_the_first_user_message() {
        for framework in ["openai-v2", "langgraph", "openai-agents", "pydantic-ai"] {
            let spans = fixture(framework, "write-plain");
            let nodes: HashSet<&str> = spans.iter().map(intent).collect();
            assert_eq!(
                nodes.len(),
                1,
                "{framework}: one inferred intent for the trace"
            );
            let node = spans[0].lineage.intent.as_ref().unwrap();
            assert!(node.inferred && node.source() == "inferred", "{framework}");
            let spec = &node.declaration.as_ref().unwrap().spec;
            assert!(
                spec.objective
                    .starts_with("Audit the inactive customer accounts"),
                "{framework}: {}",
                spec.objective
            );
            assert!(spec.scope.is_empty() && spec.constraints.is_empty() && spec.guards.is_empty());
            assert_eq!(
                spans.iter().filter(|r| r.lineage.declares).count(),
                1,
                "{framework}"
            );
            let sessions: HashSet<&str> = spans.iter().map(|r| &*r.lineage.session_id).collect();
            assert_eq!(sessions.len(), 1, "{framework}: one session {sessions:?}");
            assert!(!sessions.contains(""), "{framework}");
            let agents: HashSet<&str> = spans.iter().map(agent).collect();
            for a in ["coordinator", "query_agent", "summarizer"] {
                assert!(agents.contains(a), "{framework}: {agents:?}");
            }
        }
    }

    #[test]
    fn inference_can_be_turned_off() {
        let text = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../intent/tests/fixtures/frameworks/langgraph/clean-plain.jsonl"),
        )
        .unwrap();
        let requests = crate::offline::read_requests("x", &text).unwrap();
        let mut r: Resolver<()> = Resolver::new(LineageLimits {
            infer_intent: false,
            ..LineageLimits::default()
        });
        let mut out = Vec::new();
        for request in &requests {
            out.extend(r.ingest((), extract_facts(request, false), Instant::now()));
        }
        out.extend(r.release_all());
        assert!(
            out.iter()
                .flat_map(|o| &o.spans)
                .all(|s| s.intent.is_none())
        );
    }

    #[test]
    fn the_http_call_to_a_remote_agent_is_the_delegation_hop() {
        for framework in ["openai-v2", "langgraph", "openai-agents", "pydantic-ai"] {
            for run in ["remote-declare", "remote-stamp"] {
                let spans = fixture(framework, run);
                let hops: Vec<&Resolved> =
                    spans.iter().filter(|r| r.lineage.delegation_hop).collect();
                assert_eq!(hops.len(), 1, "{framework}/{run}");
                assert_eq!(hops[0].span.name, "POST", "{framework}/{run}");
                let ids = ids(framework, run);
                assert_eq!(intent(hops[0]), ids["root_intent_id"].as_str().unwrap());
                // The remote query agent's spans serve its contraction.
                let remote: Vec<&Resolved> = spans
                    .iter()
                    .filter(|r| r.lineage.agent.as_deref() == Some("query_agent"))
                    .collect();
                assert!(!remote.is_empty());
                assert!(
                    remote
                        .iter()
                        .all(|r| r.lineage.intent.as_ref().unwrap().depth == 1),
                    "{framework}/{run}"
                );
                let sessions: HashSet<&str> =
                    spans.iter().map(|r| &*r.lineage.session_id).collect();
                assert_eq!(sessions.len(), 1, "{framework}/{run}: {sessions:?}");
            }
        }
    }

    #[test]
    fn a_client_span_waits_for_its_remote_child_and_is_no_hop_without_one() {
        let client = SpanFacts {
            key: Some(key(1, 2)),
            parent: Some(key(1, 1)),
            http_client: true,
            ..SpanFacts::default()
        };
        let mut r: Resolver<&str> = Resolver::new(LineageLimits::default());
        let start = Instant::now();
        r.ingest("root", vec![declaring(1, 1, "root", None)], start);
        assert!(r.ingest("client", vec![client.clone()], start).is_empty());
        // The remote child arrives after the client span: server span, then
        // the contraction declared under it.
        let server = SpanFacts {
            key: Some(key(1, 3)),
            parent: Some(key(1, 2)),
            server: true,
            ..SpanFacts::default()
        };
        let mut child = declaring(1, 4, "child", Some("root"));
        child.parent = Some(key(1, 3));
        let out = r.ingest("remote", vec![server, child], start);
        let client_out = out.iter().find(|o| o.payload == "client").unwrap();
        assert!(client_out.spans[0].delegation_hop);
        // A client span with no remote child is released after the wait, no hop.
        let lone = SpanFacts {
            key: Some(key(1, 9)),
            parent: Some(key(1, 1)),
            http_client: true,
            ..SpanFacts::default()
        };
        assert!(r.ingest("lone", vec![lone], start).is_empty());
        let out = r.release_expired(start + Duration::from_secs(3));
        assert_eq!(out.len(), 1);
        assert!(!out[0].spans[0].delegation_hop);
        assert_eq!(super::intent_of(&out[0].spans[0]), Some("root"));
    }

    #[test]
    fn only_requests_that_can_hand_work_over_wait_to_be_a_hop() {
        use crate::demo::otlp::{request, string};
        let client = |method: &str| {
            let span = Span {
                trace_id: vec![1; 16],
                span_id: vec![2; 8],
                kind: 3,
                name: method.into(),
                attributes: vec![string("http.request.method", method)],
                ..Span::default()
            };
            let request = request("client", vec![span]);
            extract_facts(&request, false)[0].http_client
        };
        assert!(client("POST") && client("put") && client("PATCH") && client("DELETE"));
        assert!(!client("GET") && !client("head") && !client("OPTIONS"));
    }

    #[test]
    fn model_calls_without_captured_content_are_marked() {
        for (framework, expect_none) in [("openai-v2", true), ("langgraph", true)] {
            let spans = fixture(framework, "clean-declare");
            let missing = spans.iter().filter(|r| r.lineage.content_missing).count();
            assert_eq!(
                missing == 0,
                expect_none,
                "{framework}: content was captured"
            );
        }
        let llm = Span {
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            name: "chat gpt".into(),
            attributes: vec![opentelemetry_proto::tonic::common::v1::KeyValue {
                key: "gen_ai.operation.name".into(),
                value: Some(opentelemetry_proto::tonic::common::v1::AnyValue {
                    value: Some(
                        opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(
                            "chat".into(),
                        ),
                    ),
                }),
                ..Default::default()
            }],
            ..Span::default()
        };
        assert!(read_span(&llm, ResourceFacts::default()).content_missing);
    }
}
