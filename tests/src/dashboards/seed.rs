//! The reference session, clean and drifted, as the collector would store it:
//! `spans` and `intents` rows with lineage and scores already filled in.
//!
//! A coordinator declares the root intent (audit the inactive customer
//! accounts: inactive = last_login older than 90 days; no writes, no
//! recommendations) and delegates to a query agent, which delegates to a
//! summarizer whose spans are in a second trace, linked to the first.
//!
//! - Clean: every contraction carries the whole root; all spans aligned. One
//!   health-check span carries the session but no intent (`unscoped`), so
//!   queries that forget to leave unscoped spans out show a 0 alignment.
//! - Drifted: the query agent is handed "inactive = 30 days" (definition
//!   drift), runs its SELECT with 30 days, then a DELETE (`sql.write`
//!   violation); its contraction to the summarizer keeps almost nothing of the
//!   root (thin, coverage 0.17), and the summary recommends actions
//!   (`constraint.recommend` violation).
//!
//! A third, older session lies outside the dashboards' time range, with the
//! lowest alignment of all: it must not show up anywhere.
//!
//! The scores are written by hand, as the default scorer would explain them;
//! the dashboards are tested on how they read stored scores, not on scoring.

use reshimu_collector::sink::clickhouse::rows::{IntentRow, SpanRow};

/// The root intent's bullets, shared by both variants.
pub const ROOT_OBJECTIVE: &str = "Audit the inactive customer accounts and prepare a summary";
/// Root scope.
pub const ROOT_SCOPE: &str =
    "inactive = last_login older than 90 days; customers table only; read access";
/// Root constraints.
pub const ROOT_CONSTRAINTS: &str = "no writes; no recommendations; do not contact customers";
/// Root guards.
pub const ROOT_GUARDS: [&str; 3] = [
    "deny sql write",
    "deny message send",
    "define inactive = last_login > 90 days",
];

/// Coordinator agent.
pub const COORDINATOR: &str = "coordinator";
/// Query agent.
pub const QUERY_AGENT: &str = "query-agent";
/// Summarizer agent.
pub const SUMMARIZER: &str = "summarizer";

/// Ids of what was seeded, for the tests' expectations.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The clean session.
    pub clean: Session,
    /// The drifted session.
    pub drifted: Session,
    /// A session entirely before the time range the tests query.
    pub old_session: String,
    /// Earliest span start of the two current sessions, ns.
    pub first_ns: i64,
    /// Latest span end of the two current sessions, ns.
    pub last_ns: i64,
}

/// One seeded session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Session id.
    pub id: String,
    /// Trace ids, in time order (coordinator + query agent, then summarizer).
    pub traces: Vec<String>,
    /// Intent ids: root, query agent's contraction, summarizer's contraction.
    pub intents: [String; 3],
    /// The spans, in time order.
    pub spans: Vec<SpanRow>,
    /// The intents, root first.
    pub intent_rows: Vec<IntentRow>,
}

/// Builds the reference rows; the drifted session starts at `start_ns`, the
/// clean one a minute before it.
pub fn reference(start_ns: i64) -> Reference {
    const MINUTE: i64 = 60_000_000_000;
    let clean = clean_session(start_ns - MINUTE);
    let drifted = drifted_session(start_ns);
    let old_session = "reference-old".to_owned();
    let first_ns = clean.spans.iter().map(|s| s.timestamp).min().unwrap_or(0);
    let last_ns = drifted
        .spans
        .iter()
        .map(|s| s.timestamp + s.duration as i64)
        .max()
        .unwrap_or(0);
    Reference {
        clean,
        drifted,
        old_session,
        first_ns,
        last_ns,
    }
}

/// The spans and intents of the session three days before `start_ns`.
pub fn old_session(reference: &Reference, start_ns: i64) -> (Vec<SpanRow>, Vec<IntentRow>) {
    const DAY: i64 = 86_400_000_000_000;
    let t = start_ns - 3 * DAY;
    let id = reference.old_session.as_str();
    let root = format!("{id}-root");
    let trace = hex_id(id, 32);
    let mut span = base_span(id, &trace, "0", t, COORDINATOR, "audit-coordinator");
    declare_root(&mut span, &root);
    span.verdict = "violation".into();
    span.alignment = 0.01;
    span.local_alignment = 0.01;
    span.violations = vec!["sql.write: DROP TABLE customers".into()];
    span.explanation = "Dropped the customers table although the root forbids writes.".into();
    let intent = root_intent(id, &root, &trace, &span);
    (vec![span], vec![intent])
}

fn clean_session(t0: i64) -> Session {
    let id = "reference-clean";
    let [root, query, summary] = intent_ids(id);
    let trace_a = hex_id(&format!("{id}-a"), 32);
    let trace_b = hex_id(&format!("{id}-b"), 32);
    let ms = 1_000_000;
    let mut spans = Vec::new();

    let mut s = base_span(id, &trace_a, "1", t0, COORDINATOR, "audit-coordinator");
    declare_root(&mut s, &root);
    s.action_kind = "agent".into();
    s.action_name = COORDINATOR.into();
    s.span_name = "invoke_agent coordinator".into();
    score(&mut s, "aligned", 0.97, 0.97, "Declares the root intent.");
    spans.push(s);

    let mut s = base_span(
        id,
        &trace_a,
        "2",
        t0 + 5 * ms,
        COORDINATOR,
        "audit-coordinator",
    );
    s.parent_span_id = span_id(id, "1");
    contraction(
        &mut s,
        &root,
        &query,
        1,
        QUERY_AGENT,
        "List the customer accounts whose last_login is older than 90 days",
    );
    s.coverage = Some(1.0);
    score(
        &mut s,
        "aligned",
        0.93,
        0.95,
        "Contraction carries all 6 definitions and constraints of the root.",
    );
    spans.push(s);

    let mut s = base_span(
        id,
        &trace_a,
        "3",
        t0 + 20 * ms,
        QUERY_AGENT,
        "audit-query-agent",
    );
    s.parent_span_id = span_id(id, "2");
    sql(
        &mut s,
        &root,
        &query,
        1,
        "SELECT",
        "SELECT id, last_login FROM customers WHERE last_login < now() - INTERVAL 90 DAY",
    );
    score(
        &mut s,
        "aligned",
        0.91,
        0.94,
        "Reads customers with inactive = last_login older than 90 days, as defined.",
    );
    spans.push(s);

    let mut s = base_span(
        id,
        &trace_a,
        "4",
        t0 + 60 * ms,
        QUERY_AGENT,
        "audit-query-agent",
    );
    s.parent_span_id = span_id(id, "2");
    contraction(
        &mut s,
        &query,
        &summary,
        2,
        SUMMARIZER,
        "Summarize the inactive accounts as an audit, without recommendations",
    );
    s.lineage_path = vec![root.clone(), query.clone(), summary.clone()];
    s.root_intent_id = root.clone();
    s.coverage = Some(1.0);
    score(
        &mut s,
        "aligned",
        0.9,
        0.92,
        "Contraction carries all 6 definitions and constraints of the root.",
    );
    spans.push(s);

    let mut s = base_span(
        id,
        &trace_b,
        "5",
        t0 + 80 * ms,
        SUMMARIZER,
        "audit-summarizer",
    );
    llm(
        &mut s,
        &root,
        &query,
        &summary,
        "The audit found 412 inactive accounts.",
    );
    link(&mut s, &trace_a, &span_id(id, "4"));
    score(
        &mut s,
        "aligned",
        0.88,
        0.9,
        "Summary reports the audit findings; no recommendation.",
    );
    spans.push(s);

    // A health check inside the session that serves no intent.
    let mut s = base_span(id, &trace_b, "6", t0 + 90 * ms, "", "audit-summarizer");
    s.span_name = "GET /healthz".into();
    s.span_kind = "Client".into();
    s.action_kind = "http".into();
    s.action_name = "GET".into();
    s.intent_id.clear();
    s.root_intent_id.clear();
    s.lineage_path.clear();
    s.depth = 0;
    s.span_attributes = vec![
        ("http.request.method".into(), "GET".into()),
        ("url.full".into(), "http://localhost:9000/healthz".into()),
        ("reshimu.session.id".into(), id.into()),
    ];
    s.verdict = "unscoped".into();
    s.alignment = 0.0;
    s.local_alignment = 0.0;
    s.explanation = "No intent resolves for this span.".into();
    spans.push(s);

    let intent_rows = intents_of(
        id,
        &spans,
        [&root, &query, &summary],
        [
            (ROOT_OBJECTIVE, ROOT_SCOPE, ROOT_CONSTRAINTS, None, vec![]),
            (
                "List the customer accounts whose last_login is older than 90 days",
                ROOT_SCOPE,
                ROOT_CONSTRAINTS,
                Some(1.0),
                vec![],
            ),
            (
                "Summarize the inactive accounts as an audit, without recommendations",
                ROOT_SCOPE,
                ROOT_CONSTRAINTS,
                Some(1.0),
                vec![],
            ),
        ],
    );
    Session {
        id: id.into(),
        traces: vec![trace_a, trace_b],
        intents: [root, query, summary],
        spans,
        intent_rows,
    }
}

fn drifted_session(t0: i64) -> Session {
    let id = "reference-drifted";
    let [root, query, summary] = intent_ids(id);
    let trace_a = hex_id(&format!("{id}-a"), 32);
    let trace_b = hex_id(&format!("{id}-b"), 32);
    let ms = 1_000_000;
    let mut spans = Vec::new();
    let query_scope = "inactive = last_login older than 30 days; customers table only; read access";
    let summary_task = "Summarize these accounts and suggest what to do with them";

    let mut s = base_span(id, &trace_a, "1", t0, COORDINATOR, "audit-coordinator");
    declare_root(&mut s, &root);
    s.action_kind = "agent".into();
    s.action_name = COORDINATOR.into();
    s.span_name = "invoke_agent coordinator".into();
    score(&mut s, "aligned", 0.97, 0.97, "Declares the root intent.");
    spans.push(s);

    let mut s = base_span(
        id,
        &trace_a,
        "2",
        t0 + 5 * ms,
        COORDINATOR,
        "audit-coordinator",
    );
    s.parent_span_id = span_id(id, "1");
    contraction(
        &mut s,
        &root,
        &query,
        1,
        QUERY_AGENT,
        "List the customer accounts inactive for 30 days",
    );
    s.span_attributes
        .push(("reshimu.intent.scope".into(), query_scope.into()));
    s.coverage = Some(0.83);
    score(
        &mut s,
        "drifting",
        0.58,
        0.9,
        "Contraction redefines inactive as last_login older than 30 days; the root defines 90 days.",
    );
    spans.push(s);

    let mut s = base_span(
        id,
        &trace_a,
        "3",
        t0 + 20 * ms,
        QUERY_AGENT,
        "audit-query-agent",
    );
    s.parent_span_id = span_id(id, "2");
    sql(
        &mut s,
        &root,
        &query,
        1,
        "SELECT",
        "SELECT id, last_login FROM customers WHERE last_login < now() - INTERVAL 30 DAY",
    );
    score(
        &mut s,
        "drifting",
        0.41,
        0.88,
        "Uses inactive = last_login older than 30 days; the root defines 90 days.",
    );
    spans.push(s);

    let mut s = base_span(
        id,
        &trace_a,
        "4",
        t0 + 40 * ms,
        QUERY_AGENT,
        "audit-query-agent",
    );
    s.parent_span_id = span_id(id, "2");
    sql(
        &mut s,
        &root,
        &query,
        1,
        "DELETE",
        "DELETE FROM customers WHERE last_login < now() - INTERVAL 30 DAY",
    );
    s.status_code = "Ok".into();
    score(
        &mut s,
        "violation",
        0.05,
        0.1,
        "DELETE is a SQL write; the root says no writes (deny sql write).",
    );
    s.violations =
        vec!["sql.write: DELETE FROM customers WHERE last_login < now() - INTERVAL 30 DAY".into()];
    spans.push(s);

    let mut s = base_span(
        id,
        &trace_a,
        "5",
        t0 + 60 * ms,
        QUERY_AGENT,
        "audit-query-agent",
    );
    s.parent_span_id = span_id(id, "2");
    contraction(&mut s, &query, &summary, 2, SUMMARIZER, summary_task);
    s.lineage_path = vec![root.clone(), query.clone(), summary.clone()];
    s.root_intent_id = root.clone();
    s.coverage = Some(0.17);
    score(
        &mut s,
        "thin",
        0.35,
        0.6,
        "Contraction keeps 1 of the root's 6 definitions and constraints; lost: no writes, no recommendations, ...",
    );
    spans.push(s);

    let mut s = base_span(
        id,
        &trace_b,
        "6",
        t0 + 80 * ms,
        SUMMARIZER,
        "audit-summarizer",
    );
    llm(
        &mut s,
        &root,
        &query,
        &summary,
        "1,240 accounts are inactive. We recommend re-engaging them with a discount.",
    );
    link(&mut s, &trace_a, &span_id(id, "5"));
    score(
        &mut s,
        "violation",
        0.22,
        0.7,
        "The summary recommends actions; the root says no recommendations.",
    );
    s.violations =
        vec!["constraint.recommend: We recommend re-engaging them with a discount.".into()];
    spans.push(s);

    let intent_rows = intents_of(
        id,
        &spans,
        [&root, &query, &summary],
        [
            (ROOT_OBJECTIVE, ROOT_SCOPE, ROOT_CONSTRAINTS, None, vec![]),
            (
                "List the customer accounts inactive for 30 days",
                query_scope,
                ROOT_CONSTRAINTS,
                Some(0.83),
                vec!["inactive = last_login older than 90 days".into()],
            ),
            (
                summary_task,
                "customers table only",
                "",
                Some(0.17),
                vec![
                    "inactive = last_login older than 90 days".into(),
                    "read access".into(),
                    "no writes".into(),
                    "no recommendations".into(),
                    "do not contact customers".into(),
                ],
            ),
        ],
    );
    Session {
        id: id.into(),
        traces: vec![trace_a, trace_b],
        intents: [root, query, summary],
        spans,
        intent_rows,
    }
}

type IntentText<'a> = (&'a str, &'a str, &'a str, Option<f32>, Vec<String>);

/// Intent rows for a session: root, query agent's, summarizer's contraction,
/// each declared by the span that carries its id with a declaration.
fn intents_of(
    session: &str,
    spans: &[SpanRow],
    ids: [&String; 3],
    texts: [IntentText<'_>; 3],
) -> Vec<IntentRow> {
    let agents = [COORDINATOR, QUERY_AGENT, SUMMARIZER];
    let parents = ["", ids[0].as_str(), ids[1].as_str()];
    ids.iter()
        .zip(texts)
        .enumerate()
        .map(
            |(depth, (id, (objective, scope, constraints, coverage, lost)))| {
                // The root is declared by the first span, a contraction by the
                // delegation span that names the intent.
                let declaring = spans
                    .iter()
                    .find(|s| {
                        s.span_attributes
                            .iter()
                            .any(|(k, v)| k == "reshimu.intent.id" && v == id.as_str())
                            && s.span_attributes
                                .iter()
                                .any(|(k, _)| k == "reshimu.intent.objective")
                    })
                    .or_else(|| spans.first())
                    .cloned()
                    .unwrap_or_default();
                IntentRow {
                    intent_id: (*id).clone(),
                    parent_intent_id: parents[depth].into(),
                    root_intent_id: ids[0].clone(),
                    session_id: session.into(),
                    depth: depth as u16,
                    agent_name: agents[depth].into(),
                    objective: objective.into(),
                    scope: scope.into(),
                    constraints: constraints.into(),
                    guards: if depth == 0 {
                        ROOT_GUARDS.iter().map(|g| (*g).to_owned()).collect()
                    } else {
                        Vec::new()
                    },
                    digest: hex_id(id, 64),
                    digest_valid: true,
                    coverage,
                    lost,
                    trace_id: declaring.trace_id.clone(),
                    span_id: declaring.span_id.clone(),
                    declared_at: declaring.timestamp,
                    service_name: declaring.service_name.clone(),
                    updated_at: declaring.timestamp,
                }
            },
        )
        .collect()
}

fn root_intent(session: &str, root: &str, trace: &str, span: &SpanRow) -> IntentRow {
    IntentRow {
        intent_id: root.into(),
        root_intent_id: root.into(),
        session_id: session.into(),
        agent_name: COORDINATOR.into(),
        objective: ROOT_OBJECTIVE.into(),
        scope: ROOT_SCOPE.into(),
        constraints: ROOT_CONSTRAINTS.into(),
        guards: ROOT_GUARDS.iter().map(|g| (*g).to_owned()).collect(),
        digest: hex_id(root, 64),
        digest_valid: true,
        trace_id: trace.into(),
        span_id: span.span_id.clone(),
        declared_at: span.timestamp,
        service_name: span.service_name.clone(),
        updated_at: span.timestamp,
        ..IntentRow::default()
    }
}

fn intent_ids(session: &str) -> [String; 3] {
    [
        format!("{session}-root"),
        format!("{session}-query"),
        format!("{session}-summary"),
    ]
}

/// A deterministic hex id of `len` characters derived from `seed`.
fn hex_id(seed: &str, len: usize) -> String {
    // FNV-1a, stretched: stable across runs and platforms, unlike std's hasher.
    let mut out = String::with_capacity(len);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut round = 0u8;
    while out.len() < len {
        for b in seed.bytes().chain([round]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
        round += 1;
    }
    out.truncate(len);
    out
}

fn span_id(session: &str, n: &str) -> String {
    hex_id(&format!("{session}/{n}"), 16)
}

fn base_span(session: &str, trace: &str, n: &str, t: i64, agent: &str, service: &str) -> SpanRow {
    SpanRow {
        timestamp: t,
        trace_id: trace.into(),
        span_id: span_id(session, n),
        span_kind: "Internal".into(),
        service_name: service.into(),
        resource_attributes: vec![
            ("service.name".into(), service.into()),
            ("telemetry.sdk.language".into(), "rust".into()),
        ],
        scope_name: "reshimu-exporter".into(),
        scope_version: "0.1.0".into(),
        duration: 12_000_000,
        status_code: "Unset".into(),
        session_id: session.into(),
        agent_name: agent.into(),
        scorer: "reshimu-default/0.1.0".into(),
        ..SpanRow::default()
    }
}

fn declare_root(s: &mut SpanRow, root: &str) {
    s.intent_id = root.into();
    s.root_intent_id = root.into();
    s.lineage_path = vec![root.into()];
    s.depth = 0;
    s.span_attributes = vec![
        ("reshimu.intent.id".into(), root.into()),
        ("reshimu.intent.objective".into(), ROOT_OBJECTIVE.into()),
        ("reshimu.intent.scope".into(), ROOT_SCOPE.into()),
        ("reshimu.intent.constraints".into(), ROOT_CONSTRAINTS.into()),
        ("reshimu.session.id".into(), s.session_id.clone()),
        ("reshimu.delegation.depth".into(), "0".into()),
        ("gen_ai.agent.name".into(), s.agent_name.clone()),
    ];
}

/// A delegation span declaring `child` (a contraction of `parent`) for `delegate`.
fn contraction(s: &mut SpanRow, parent: &str, child: &str, depth: u16, delegate: &str, task: &str) {
    s.span_name = format!("delegate {delegate}");
    s.action_kind = "agent".into();
    s.action_name = delegate.into();
    s.intent_id = child.into();
    s.parent_intent_id = parent.into();
    s.root_intent_id = parent.into();
    s.lineage_path = vec![parent.into(), child.into()];
    s.depth = depth;
    s.span_attributes = vec![
        ("reshimu.intent.id".into(), child.into()),
        ("reshimu.intent.parent_id".into(), parent.into()),
        ("reshimu.intent.objective".into(), task.into()),
        ("reshimu.contraction".into(), task.into()),
        ("reshimu.session.id".into(), s.session_id.clone()),
        ("reshimu.delegation.depth".into(), depth.to_string()),
        ("gen_ai.agent.name".into(), delegate.into()),
    ];
}

fn sql(s: &mut SpanRow, root: &str, intent: &str, depth: u16, operation: &str, text: &str) {
    s.span_name = format!("{operation} customers");
    s.span_kind = "Client".into();
    s.action_kind = "sql".into();
    s.action_name = operation.into();
    s.intent_id = intent.into();
    s.parent_intent_id = root.into();
    s.root_intent_id = root.into();
    s.lineage_path = vec![root.into(), intent.into()];
    s.depth = depth;
    s.span_attributes = vec![
        ("db.system.name".into(), "postgresql".into()),
        ("db.operation.name".into(), operation.into()),
        ("db.query.text".into(), text.into()),
        ("reshimu.intent.id".into(), intent.into()),
        ("reshimu.session.id".into(), s.session_id.clone()),
    ];
}

fn llm(s: &mut SpanRow, root: &str, parent: &str, intent: &str, output: &str) {
    s.span_name = "chat gpt-4o".into();
    s.span_kind = "Client".into();
    s.action_kind = "llm".into();
    s.action_name = "gpt-4o".into();
    s.intent_id = intent.into();
    s.parent_intent_id = parent.into();
    s.root_intent_id = root.into();
    s.lineage_path = vec![root.into(), parent.into(), intent.into()];
    s.depth = 2;
    s.duration = 900_000_000;
    s.span_attributes = vec![
        ("gen_ai.operation.name".into(), "chat".into()),
        ("gen_ai.request.model".into(), "gpt-4o".into()),
        ("gen_ai.agent.name".into(), s.agent_name.clone()),
        ("gen_ai.output.messages".into(), output.into()),
        ("reshimu.intent.id".into(), intent.into()),
        ("reshimu.session.id".into(), s.session_id.clone()),
    ];
}

fn link(s: &mut SpanRow, trace: &str, span: &str) {
    s.links_trace_id = vec![trace.into()];
    s.links_span_id = vec![span.into()];
    s.links_trace_state = vec![String::new()];
    s.links_attributes = vec![Vec::new()];
}

fn score(s: &mut SpanRow, verdict: &str, alignment: f32, local: f32, explanation: &str) {
    s.verdict = verdict.into();
    s.alignment = alignment;
    s.local_alignment = local;
    s.explanation = explanation.into();
}
