//! A nested, multi-task session through the in-memory exporter: every
//! attribute on every span.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use common::{attrs, get, provider, seed};
use opentelemetry::trace::{Tracer, TracerProvider};
use opentelemetry::{Context, Value};
use opentelemetry_sdk::trace::SpanData;
use reshimu_exporter::{Action, DECLARE_SPAN_NAME, Error, Mode, Session};
use reshimu_intent::IntentSpec;
use reshimu_intent::attr;
use reshimu_intent::score::Verdict;

fn query_contraction() -> IntentSpec {
    IntentSpec {
        objective: "List the inactive customer accounts from the customers table".into(),
        scope: "inactive = last_login older than 90 days; customers table only; read access".into(),
        constraints: "no writes; no recommendations; do not contact customers".into(),
        guards: vec![
            "deny sql write".into(),
            "define inactive = last_login > 90 days".into(),
        ],
    }
}

fn by_intent(spans: &[SpanData]) -> HashMap<String, Vec<&SpanData>> {
    let mut m: HashMap<String, Vec<&SpanData>> = HashMap::new();
    for s in spans {
        m.entry(get(s, attr::INTENT_ID).unwrap_or_default())
            .or_default()
            .push(s);
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_multi_task_session_stamps_every_span() {
    let (provider, exporter) = provider();
    // Spans "by any library": a tracer of another instrumentation scope.
    let library = provider.tracer("some-http-library");

    let root = Session::builder(seed())
        .workflow("inactive-accounts-audit")
        .session_id("session-42")
        .tracer_provider(&provider)
        .start()
        .unwrap();
    let root_ids = root.ids().clone();
    assert_eq!(root_ids.depth, 0);
    assert_eq!(root_ids.intent_id, root_ids.root_id);
    assert_eq!(&*root_ids.session_id, "session-42");

    {
        let _g = root.attach();
        library.in_span("plan", |_| {});
    }

    let query = root.delegate("query-agent", query_contraction()).unwrap();
    let query_ids = query.ids().clone();
    let summarize = root
        .delegate(
            "summarizer",
            "Summarize the inactive customer accounts (inactive = last_login older than 90 days; customers table only; read access); no writes; no recommendations; do not contact customers",
        )
        .unwrap();
    let summarize_ids = summarize.ids().clone();

    // Work in several tasks at once, each in its session's context, with a
    // nested delegation inside one of them.
    let lib_a = library.clone();
    let a = tokio::spawn(query.in_scope(async move {
        tokio::task::yield_now().await;
        lib_a.in_span("SELECT customers", |_| {});
        let inner = tokio::spawn(
            async move {
                lib_a.in_span("row-fetch", |_| {});
            }
            .with_current_context_helper(),
        );
        inner.await.unwrap();
    }));
    let lib_b = library.clone();
    let b = tokio::spawn(summarize.in_scope(async move {
        tokio::task::yield_now().await;
        lib_b.in_span("chat summarize", |cx| {
            // A span started explicitly under a context it was given.
            let _child = lib_b.start_with_context("tokenize", &cx);
        });
    }));
    a.await.unwrap();
    b.await.unwrap();

    let deeper = summarize
        .delegate("formatter", query_contraction())
        .unwrap();
    let deeper_ids = deeper.ids().clone();
    {
        let _g = deeper.attach();
        library.in_span("format", |_| {});
    }
    deeper.end();
    summarize.end();
    query.end();
    root.end();
    // Outside every session: nothing is stamped.
    library.in_span("unrelated", |_| {});

    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let groups = by_intent(&spans);

    let expect = [
        (
            &root_ids,
            None,
            vec![
                "invoke_workflow inactive-accounts-audit",
                DECLARE_SPAN_NAME,
                "plan",
            ],
        ),
        (
            &query_ids,
            Some(&root_ids),
            vec![
                "invoke_agent query-agent",
                DECLARE_SPAN_NAME,
                "SELECT customers",
                "row-fetch",
            ],
        ),
        (
            &summarize_ids,
            Some(&root_ids),
            vec![
                "invoke_agent summarizer",
                DECLARE_SPAN_NAME,
                "chat summarize",
                "tokenize",
            ],
        ),
        (
            &deeper_ids,
            Some(&summarize_ids),
            vec!["invoke_agent formatter", DECLARE_SPAN_NAME, "format"],
        ),
    ];
    for (ids, parent, names) in expect {
        let group = groups.get(&*ids.intent_id).unwrap();
        let mut got: Vec<&str> = group.iter().map(|s| s.name.as_ref()).collect();
        got.sort_unstable();
        let mut want = names.clone();
        want.sort_unstable();
        assert_eq!(got, want, "spans of intent {}", ids.intent_id);
        for s in group {
            let a = attrs(s);
            assert_eq!(
                get(s, attr::INTENT_ROOT_ID).as_deref(),
                Some(&*root_ids.intent_id)
            );
            assert_eq!(get(s, attr::SESSION_ID).as_deref(), Some("session-42"));
            assert_eq!(
                a.get(attr::DELEGATION_DEPTH),
                Some(&Value::I64(i64::from(ids.depth)))
            );
            let declares = s.name.starts_with("invoke_") || s.name == DECLARE_SPAN_NAME;
            assert_eq!(
                a.contains_key(attr::INTENT_OBJECTIVE) || a.contains_key(attr::CONTRACTION),
                declares,
                "{}",
                s.name
            );
            if declares {
                assert_eq!(
                    get(s, attr::INTENT_PARENT_ID).as_deref(),
                    parent.map(|p| &*p.intent_id)
                );
                assert_eq!(
                    get(s, "gen_ai.conversation.id").as_deref(),
                    Some("session-42")
                );
            } else {
                assert!(!a.contains_key(attr::INTENT_PARENT_ID));
            }
        }
    }
    assert_eq!(
        groups.get("").map(|v| v.len()),
        Some(1),
        "only `unrelated` is unstamped"
    );

    // Root declaration: bullets, guards as string array, digest, GenAI keys.
    let root_span = spans
        .iter()
        .find(|s| s.name.starts_with("invoke_workflow"))
        .unwrap();
    let a = attrs(root_span);
    let spec = seed();
    assert_eq!(
        get(root_span, attr::INTENT_OBJECTIVE),
        Some(spec.objective.clone())
    );
    assert_eq!(get(root_span, attr::INTENT_SCOPE), Some(spec.scope.clone()));
    assert_eq!(
        get(root_span, attr::INTENT_CONSTRAINTS),
        Some(spec.constraints.clone())
    );
    assert_eq!(get(root_span, attr::INTENT_DIGEST), Some(spec.digest()));
    match a.get(attr::INTENT_GUARDS) {
        Some(Value::Array(opentelemetry::Array::String(g))) => {
            let g: Vec<&str> = g.iter().map(|s| s.as_str()).collect();
            assert_eq!(
                g,
                spec.guards.iter().map(String::as_str).collect::<Vec<_>>()
            );
        }
        other => panic!("guards: {other:?}"),
    }
    assert_eq!(
        get(root_span, "gen_ai.operation.name").as_deref(),
        Some("invoke_workflow")
    );
    assert_eq!(
        get(root_span, "gen_ai.agent.name").as_deref(),
        Some("inactive-accounts-audit")
    );

    // The early declaration ends before its declaring span and carries the same declaration.
    for ids in [&root_ids, &query_ids, &summarize_ids, &deeper_ids] {
        let group = &groups[&*ids.intent_id];
        let declare = group.iter().find(|s| s.name == DECLARE_SPAN_NAME).unwrap();
        let owner = group
            .iter()
            .find(|s| s.name.starts_with("invoke_"))
            .unwrap();
        assert_eq!(declare.parent_span_id, owner.span_context.span_id());
        assert!(declare.end_time <= owner.end_time);
        for key in [
            attr::INTENT_OBJECTIVE,
            attr::INTENT_DIGEST,
            attr::CONTRACTION,
            attr::INTENT_PARENT_ID,
        ] {
            assert_eq!(get(declare, key), get(owner, key), "{key}");
        }
    }
    // A task contraction declares through reshimu.contraction, a spec through the bullets.
    let sum_span = groups[&*summarize_ids.intent_id]
        .iter()
        .find(|s| s.name.starts_with("invoke_"))
        .unwrap();
    assert!(
        get(sum_span, attr::CONTRACTION)
            .unwrap()
            .starts_with("Summarize")
    );
    assert_eq!(get(sum_span, attr::INTENT_OBJECTIVE), None);
    let q_span = groups[&*query_ids.intent_id]
        .iter()
        .find(|s| s.name.starts_with("invoke_"))
        .unwrap();
    assert_eq!(
        get(q_span, attr::INTENT_DIGEST),
        Some(query_contraction().digest())
    );
    assert_eq!(
        get(q_span, "gen_ai.agent.name").as_deref(),
        Some("query-agent")
    );

    // Every delegation records its verdict; these contractions are clean.
    for ids in [&query_ids, &summarize_ids, &deeper_ids] {
        let owner = groups[&*ids.intent_id]
            .iter()
            .find(|s| s.name.starts_with("invoke_"))
            .unwrap();
        let ev = owner
            .events
            .iter()
            .find(|e| e.name == attr::event::GUARD)
            .unwrap();
        let verdict = ev
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == attr::VERDICT)
            .unwrap();
        assert_eq!(
            verdict.value.as_str(),
            "aligned",
            "{}: {:?}",
            owner.name,
            ev.attributes
        );
        assert!(
            ev.attributes
                .iter()
                .any(|kv| kv.key.as_str() == attr::SCORE_COVERAGE)
        );
    }
    // Parentage: the library spans nest under their session's span.
    let by_id: HashMap<_, _> = spans
        .iter()
        .map(|s| (s.span_context.span_id(), s))
        .collect();
    let select = spans.iter().find(|s| s.name == "SELECT customers").unwrap();
    assert_eq!(
        by_id[&select.parent_span_id].name,
        "invoke_agent query-agent"
    );
    let row = spans.iter().find(|s| s.name == "row-fetch").unwrap();
    assert_eq!(by_id[&row.parent_span_id].name, "invoke_agent query-agent");
    let q = by_id[&q_span.span_context.span_id()];
    assert_eq!(
        by_id[&q.parent_span_id].name,
        "invoke_workflow inactive-accounts-audit"
    );
}

/// `tokio::spawn` does not carry the OTel context; this is how to.
trait WithCurrent: std::future::Future + Sized {
    fn with_current_context_helper(self) -> opentelemetry::context::WithContext<Self> {
        use opentelemetry::context::FutureExt;
        self.with_context(Context::current())
    }
}
impl<F: std::future::Future> WithCurrent for F {}

#[test]
fn observe_records_a_guard_event_and_lets_the_action_run() {
    let (provider, exporter) = provider();
    let session = Session::builder(seed())
        .agent("auditor")
        .tracer_provider(&provider)
        .start()
        .unwrap();
    let tracer = provider.tracer("agent");
    let score = {
        let _g = session.attach();
        tracer.in_span("execute_tool run_sql", |_| {
            session.check(&Action::sql(
                "DELETE FROM customers WHERE last_login < date('now', '-90 days')",
            ))
        })
    }
    .unwrap();
    assert_eq!(score.verdict, Verdict::Violation);
    assert!(
        score.violations.iter().any(|v| v.starts_with("sql.write")),
        "{:?}",
        score.violations
    );
    let ok = {
        let _g = session.attach();
        session
            .check(&Action::sql(
                "SELECT id, last_login FROM customers WHERE last_login < date('now', '-90 days')",
            ))
            .unwrap()
    };
    assert_eq!(ok.verdict, Verdict::Aligned, "{}", ok.explanation);
    session.end();
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let tool = spans
        .iter()
        .find(|s| s.name == "execute_tool run_sql")
        .unwrap();
    let ev: Vec<_> = tool
        .events
        .iter()
        .filter(|e| e.name == attr::event::GUARD)
        .collect();
    assert_eq!(ev.len(), 1, "the event lands on the current span");
    let kv = |k: &str| {
        ev[0]
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == k)
            .map(|kv| kv.value.as_str().into_owned())
    };
    assert_eq!(kv(attr::VERDICT).as_deref(), Some("violation"));
    assert_eq!(
        kv(reshimu_exporter::GUARD_OUTCOME).as_deref(),
        Some("allowed")
    );
    assert_eq!(kv(reshimu_exporter::GUARD_MODE).as_deref(), Some("observe"));
    // The aligned check recorded nothing on the session span.
    let root = spans
        .iter()
        .find(|s| s.name == "invoke_agent auditor")
        .unwrap();
    assert!(root.events.iter().all(|e| e.name != attr::event::GUARD));
}

#[test]
fn enforce_refuses_violations_and_thin_or_redefining_contractions() {
    let (provider, exporter) = provider();
    let session = Session::builder(seed())
        .agent("auditor")
        .mode(Mode::Enforce)
        .tracer_provider(&provider)
        .start()
        .unwrap();
    let err = session
        .check(&Action::tool(
            "send_email",
            r#"{"to": "a@b.example", "body": "hi"}"#,
        ))
        .unwrap_err();
    assert!(matches!(err, Error::ActionRefused { .. }), "{err}");
    assert_eq!(err.verdict(), Some(Verdict::Violation));

    let thin = session
        .delegate("summarizer", "Summarize the accounts")
        .unwrap_err();
    assert!(
        matches!(&thin, Error::ContractionRefused { agent, .. } if agent == "summarizer"),
        "{thin}"
    );
    assert_eq!(thin.verdict(), Some(Verdict::Thin));

    let mut redefined = query_contraction();
    redefined.scope = redefined.scope.replace("90", "30");
    redefined.guards = vec!["deny sql write".into()];
    let err = session.delegate("query-agent", redefined).unwrap_err();
    assert_eq!(err.verdict(), Some(Verdict::Thin), "{err}");
    assert!(err.to_string().contains("inactive"), "{err}");

    // A faithful contraction goes ahead in enforce mode too.
    let child = session
        .delegate("query-agent", query_contraction())
        .unwrap();
    child.end();
    session.end();
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let refused: Vec<_> = spans
        .iter()
        .filter(|s| {
            s.name.starts_with("invoke_agent")
                && matches!(s.status, opentelemetry::trace::Status::Error { .. })
        })
        .map(|s| s.name.to_string())
        .collect();
    assert_eq!(
        refused,
        ["invoke_agent summarizer", "invoke_agent query-agent"]
    );
}

#[test]
fn invalid_specs_are_errors() {
    let err = Session::start(IntentSpec::default()).unwrap_err();
    assert!(matches!(err, Error::Spec(_)));
}

#[test]
fn handoff_resumes_the_lineage_from_extracted_headers() {
    let (provider, exporter) = provider();
    let root = Session::builder(seed())
        .agent("coordinator")
        .tracer_provider(&provider)
        .start()
        .unwrap();
    let child = root.delegate("query-agent", query_contraction()).unwrap();
    let mut headers = http::HeaderMap::new();
    reshimu_exporter::propagation::inject(child.context(), &mut headers);
    let body = serde_json::to_string(&child.handoff()).unwrap();

    // "Another process": only the headers and the body.
    let (child_ids, root_ids) = (child.ids().clone(), root.ids().clone());
    let (provider2, exporter2) = common::provider();
    let cx = reshimu_exporter::propagation::extract(&headers);
    let tracer2 = provider2.tracer("remote-lib");
    opentelemetry::trace::Span::end(&mut tracer2.start_with_context("raw-library-span", &cx));
    let handoff = serde_json::from_str(&body).unwrap();
    let remote = Session::resume(handoff)
        .agent("query-agent")
        .parent(cx)
        .tracer_provider(&provider2)
        .start()
        .unwrap();
    assert_eq!(remote.ids(), &child_ids);
    let score = remote
        .check(&Action::sql(
            "SELECT id FROM customers WHERE last_login < date('now', '-30 days')",
        ))
        .unwrap();
    assert_eq!(
        score.verdict,
        Verdict::Violation,
        "the child enforces the root's definition: {}",
        score.explanation
    );
    remote.end();
    child.end();
    root.end();
    provider.force_flush().unwrap();
    provider2.force_flush().unwrap();
    let local = exporter.get_finished_spans().unwrap();
    let delegation = local
        .iter()
        .find(|s| s.name == "invoke_agent query-agent")
        .unwrap();
    for s in exporter2.get_finished_spans().unwrap() {
        assert_eq!(
            s.span_context.trace_id(),
            delegation.span_context.trace_id(),
            "{}",
            s.name
        );
        assert_eq!(
            get(&s, attr::INTENT_ID).as_deref(),
            Some(&*child_ids.intent_id),
            "{}",
            s.name
        );
        assert_eq!(
            get(&s, attr::INTENT_ROOT_ID).as_deref(),
            Some(&*root_ids.intent_id)
        );
        assert_eq!(
            get(&s, attr::SESSION_ID).as_deref(),
            Some(&*root_ids.session_id)
        );
        assert_eq!(attrs(&s).get(attr::DELEGATION_DEPTH), Some(&Value::I64(1)));
        assert_eq!(s.parent_span_id, delegation.span_context.span_id());
    }
}
