//! Per-span scoring cost on realistic spans against a prepared 2-level chain
//! (the seed audit intent and its query-agent contraction).
//!
//! `cargo bench -p reshimu-intent --bench scorer` runs the criterion
//! benchmarks (mean/median per span kind) and then a distribution run that
//! times every call of a mixed workload and prints median, p99 and max.

// A benchmark may panic on a broken fixture: that is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use reshimu_intent::IntentSpec;
use reshimu_intent::score::{Context, DefaultScorer, IntentChain, PreparedIntent, Scorer};
use reshimu_intent::span::SpanView;

fn root() -> PreparedIntent {
    PreparedIntent::new(IntentSpec::reference()).unwrap()
}

fn query_agent() -> PreparedIntent {
    PreparedIntent::new(IntentSpec {
        objective:
            "List the inactive customers (last_login older than 90 days) with plan and signup date"
                .into(),
        scope: "inactive = last_login older than 90 days; customers table only; read access".into(),
        constraints: "no writes; do not contact customers".into(),
        guards: vec![],
    })
    .unwrap()
}

type Attrs = Vec<(&'static str, &'static str)>;

/// (name, attributes) of realistic spans, roughly in the proportions a session produces.
fn spans() -> Vec<(&'static str, &'static str, Attrs)> {
    vec![
        (
            "sql_tool",
            "execute_tool run_sql",
            vec![
                ("gen_ai.operation.name", "execute_tool"),
                ("gen_ai.agent.name", "query_agent"),
                ("gen_ai.tool.name", "run_sql"),
                ("reshimu.intent.id", "int-2"),
                ("reshimu.session.id", "sess-1"),
                (
                    "gen_ai.tool.call.arguments",
                    r#"{"query": "SELECT id, email, plan, signup_date, last_login FROM customers WHERE last_login < now() - INTERVAL 90 DAY ORDER BY last_login", "database": "crm"}"#,
                ),
                (
                    "gen_ai.tool.call.result",
                    r#"{"row_count": 1204, "rows": [{"id": 4411, "plan": "free", "last_login": "2023-04-12"}, {"id": 9120, "plan": "pro", "last_login": "2022-11-02"}]}"#,
                ),
            ],
        ),
        (
            "db_client",
            "SELECT postgresql",
            vec![
                ("db.system.name", "postgresql"),
                ("db.operation.name", "SELECT"),
                ("reshimu.intent.id", "int-2"),
                (
                    "db.query.text",
                    "SELECT plan, count(*) AS n FROM customers WHERE last_login < now() - INTERVAL 90 DAY GROUP BY plan",
                ),
            ],
        ),
        (
            "llm_summary",
            "chat gpt-4.1",
            vec![
                ("gen_ai.operation.name", "chat"),
                ("gen_ai.request.model", "gpt-4.1"),
                ("gen_ai.agent.name", "summarizer"),
                ("reshimu.intent.id", "int-2"),
                (
                    "gen_ai.input.messages",
                    r#"[{"role": "user", "parts": [{"type": "text", "content": "Write the audit summary of the inactive customers."}]}]"#,
                ),
                (
                    "gen_ai.output.messages",
                    r#"[{"role": "assistant", "parts": [{"type": "text", "content": "Audit summary: 1204 of 8731 customers are inactive (last_login older than 90 days). By plan: free 602, pro 401, team 201. 37 inactive accounts still have open invoices; the oldest last login is 2019-03-02."}], "finish_reason": "stop"}]"#,
                ),
            ],
        ),
        (
            "llm_long",
            "chat gpt-4.1",
            vec![
                ("gen_ai.operation.name", "chat"),
                ("gen_ai.agent.name", "summarizer"),
                ("reshimu.intent.id", "int-2"),
                ("gen_ai.output.messages", LONG_OUTPUT),
            ],
        ),
        (
            "http_get",
            "GET",
            vec![
                ("http.request.method", "GET"),
                (
                    "url.full",
                    "https://crm.internal.example/api/v2/customers/4411",
                ),
                ("reshimu.intent.id", "int-2"),
            ],
        ),
        (
            "send_email_violation",
            "execute_tool send_email",
            vec![
                ("gen_ai.operation.name", "execute_tool"),
                ("gen_ai.tool.name", "send_email"),
                ("reshimu.intent.id", "int-2"),
                (
                    "gen_ai.tool.call.arguments",
                    r#"{"to": ["user412@mail.example"], "subject": "We miss you", "body": "Come back for 20% off."}"#,
                ),
            ],
        ),
        (
            "sql_write_violation",
            "execute_tool run_sql",
            vec![
                ("gen_ai.operation.name", "execute_tool"),
                ("gen_ai.tool.name", "run_sql"),
                ("reshimu.intent.id", "int-2"),
                (
                    "gen_ai.tool.call.arguments",
                    r#"{"query": "UPDATE customers SET status = 'inactive' WHERE last_login < now() - INTERVAL 90 DAY"}"#,
                ),
            ],
        ),
        (
            "delegation",
            "invoke_agent summarizer",
            vec![
                ("gen_ai.operation.name", "invoke_agent"),
                ("gen_ai.agent.name", "summarizer"),
                ("reshimu.intent.id", "int-2"),
                (
                    "reshimu.contraction",
                    "Write the audit summary of the 1204 inactive customers (last_login older than 90 days, customers table only). Read-only: no writes, no recommendations, do not contact customers.",
                ),
            ],
        ),
    ]
}

/// A long model output (about 4 KiB, the most the scorer reads per field).
const LONG_OUTPUT: &str = concat!(
    "Audit summary. 1204 of 8731 customers are inactive (last_login older than 90 days). By plan: free 602, pro 401, team 201. 37 inactive accounts still have open invoices. The oldest last login is 2019-03-02; 212 accounts never logged in after signup. Inactive accounts by signup year: 2019 88, 2020 141, 2021 260, 2022 322, 2023 393. Regional split: EMEA 512, Americas 448, APAC 244. Audit method: customers table only, read access. ",
    "Audit summary. 1204 of 8731 customers are inactive (last_login older than 90 days). By plan: free 602, pro 401, team 201. 37 inactive accounts still have open invoices. The oldest last login is 2019-03-02; 212 accounts never logged in after signup. Inactive accounts by signup year: 2019 88, 2020 141, 2021 260, 2022 322, 2023 393. Regional split: EMEA 512, Americas 448, APAC 244. Audit method: customers table only, read access. ",
    "Audit summary. 1204 of 8731 customers are inactive (last_login older than 90 days). By plan: free 602, pro 401, team 201. 37 inactive accounts still have open invoices. The oldest last login is 2019-03-02; 212 accounts never logged in after signup. Inactive accounts by signup year: 2019 88, 2020 141, 2021 260, 2022 322, 2023 393. Regional split: EMEA 512, Americas 448, APAC 244. Audit method: customers table only, read access. ",
    "Audit summary. 1204 of 8731 customers are inactive (last_login older than 90 days). By plan: free 602, pro 401, team 201. 37 inactive accounts still have open invoices. The oldest last login is 2019-03-02; 212 accounts never logged in after signup. Inactive accounts by signup year: 2019 88, 2020 141, 2021 260, 2022 322, 2023 393. Regional split: EMEA 512, Americas 448, APAC 244. Audit method: customers table only, read access. ",
    "Audit summary. 1204 of 8731 customers are inactive (last_login older than 90 days). By plan: free 602, pro 401, team 201. 37 inactive accounts still have open invoices. The oldest last login is 2019-03-02; 212 accounts never logged in after signup. Inactive accounts by signup year: 2019 88, 2020 141, 2021 260, 2022 322, 2023 393. Regional split: EMEA 512, Americas 448, APAC 244. Audit method: customers table only, read access. ",
    "Audit summary. 1204 of 8731 customers are inactive (last_login older than 90 days). By plan: free 602, pro 401, team 201. 37 inactive accounts still have open invoices. The oldest last login is 2019-03-02; 212 accounts never logged in after signup. Inactive accounts by signup year: 2019 88, 2020 141, 2021 260, 2022 322, 2023 393. Regional split: EMEA 512, Americas 448, APAC 244. Audit method: customers table only, read access. ",
    "Audit summary. 1204 of 8731 customers are inactive (last_login older than 90 days). By plan: free 602, pro 401, team 201. 37 inactive accounts still have open invoices. The oldest last login is 2019-03-02; 212 accounts never logged in after signup. Inactive accounts by signup year: 2019 88, 2020 141, 2021 260, 2022 322, 2023 393. Regional split: EMEA 512, Americas 448, APAC 244. Audit method: customers table only, read access. ",
    "Audit summary. 1204 of 8731 customers are inactive (last_login older than 90 days). By plan: free 602, pro 401, team 201. 37 inactive accounts still have open invoices. The oldest last login is 2019-03-02; 212 accounts never logged in after signup. Inactive accounts by signup year: 2019 88, 2020 141, 2021 260, 2022 322, 2023 393. Regional split: EMEA 512, Americas 448, APAC 244. Audit method: customers table only, read access. ",
);

/// Relative weights of the span kinds in the distribution run: most spans
/// are reads, model calls and plumbing; violations and delegations are rare.
const MIX: &[(&str, usize)] = &[
    ("sql_tool", 20),
    ("db_client", 20),
    ("llm_summary", 27),
    ("llm_long", 3),
    ("http_get", 20),
    ("send_email_violation", 3),
    ("sql_write_violation", 3),
    ("delegation", 4),
];

fn criterion_benches(c: &mut Criterion, chain: &IntentChain<'_>, scorer: &DefaultScorer) {
    let mut group = c.benchmark_group("score_span");
    for (label, name, attrs) in spans() {
        let view = SpanView::from_attributes(name, attrs.iter().copied());
        group.bench_function(label, |b| {
            b.iter(|| scorer.score(black_box(chain), black_box(&view), &Context::default()))
        });
    }
    group.finish();
    let (_, name, attrs) = &spans()[0];
    c.bench_function("span_view_from_attributes", |b| {
        b.iter_batched(
            || attrs.clone(),
            |a| SpanView::from_attributes(name, a),
            BatchSize::SmallInput,
        )
    });
}

/// Times every call of the mixed workload; prints median, p99 and max.
fn distribution(chain: &IntentChain<'_>, scorer: &DefaultScorer) {
    let all = spans();
    let mut workload = Vec::new();
    // `RESHIMU_BENCH_ONLY=llm_long` runs one kind alone (for a profile of it).
    let only = std::env::var("RESHIMU_BENCH_ONLY").ok();
    for (label, weight) in MIX
        .iter()
        .filter(|(l, _)| only.as_deref().is_none_or(|o| o == *l))
    {
        let (_, name, attrs) = all.iter().find(|(l, _, _)| l == label).unwrap();
        for _ in 0..*weight {
            workload.push((*label, *name, attrs.clone()));
        }
    }
    let views: Vec<SpanView<'_>> = workload
        .iter()
        .map(|(_, n, a)| SpanView::from_attributes(n, a.iter().copied()))
        .collect();
    // Warm up caches and the lexicon.
    for v in &views {
        black_box(scorer.score(chain, v, &Context::default()));
    }
    // Fewer rounds make an instruction count under callgrind quick:
    // `RESHIMU_BENCH_ROUNDS=20 valgrind --tool=callgrind <bench binary> --bench none`.
    let rounds = std::env::var("RESHIMU_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(2_000usize);
    let mut times = Vec::with_capacity(rounds * views.len());
    let mut by_kind: Vec<(&str, Vec<Duration>)> =
        MIX.iter().map(|(l, _)| (*l, Vec::new())).collect();
    for _ in 0..rounds {
        for (v, (label, _, _)) in views.iter().zip(&workload) {
            let t = Instant::now();
            black_box(scorer.score(black_box(chain), black_box(v), &Context::default()));
            let took = t.elapsed();
            times.push(took);
            if let Some((_, kind)) = by_kind.iter_mut().find(|(l, _)| l == label) {
                kind.push(took);
            }
        }
    }
    // Per kind, so that a change to one path shows where the tail comes from:
    // the p99 of the mix is the slowest kinds' median.
    for (label, kind) in by_kind.iter_mut().filter(|(_, k)| !k.is_empty()) {
        kind.sort();
        println!("  {label:<22} median {:?}", kind[kind.len() / 2]);
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "\nscore per span, mixed workload ({} calls): median {:?}, p99 {:?}, max {:?}, mean {:?}",
        times.len(),
        pct(0.5),
        pct(0.99),
        times[times.len() - 1],
        mean
    );
}

fn main() {
    let root = root();
    let child = query_agent();
    let levels = [&root, &child];
    let chain = IntentChain::new(&levels).unwrap();
    let scorer = DefaultScorer::default();
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &chain, &scorer);
    c.final_summary();
    distribution(&chain, &scorer);
}
