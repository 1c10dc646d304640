//! The default scorer: deterministic, offline, explainable.
//!
//! Detectors, in the order of the verdict they can produce:
//! - guard violations (`tool.deny`, `tool.allow`, `sql.write`, `http.write`,
//!   `message.send`, `define.<term>`) on every level of the chain;
//! - prose constraints mapped to the same checks (`no writes`, `read-only`,
//!   `do not email anyone`, `no recommendations`, `no payments`);
//! - injected goals: a side effect aimed at a target no intent names;
//! - thin contractions: low coverage of the root, or a redefined root term;
//! - definition drift: a defined term or its column used with another value,
//!   a widened filter, a table outside the scope;
//! - semantic drift: classes of action the objective does not ask for, and
//!   topic words absent from objective and scope.

use std::fmt::Write as _;

use super::checks::Effects;
use super::coverage::{coverage, describe};
use super::definitions::departure;
use super::prepared::IntentChain;
use super::purpose::{Purpose, class_snippet, field, own_output};
use super::targets::{Target, find_target, grounded};
use super::text::{ActionClass, prefix};
use super::{Context, Score, Scorer, Thresholds, Verdict};
use crate::guard::ToolViolation;
use crate::span::SpanView;

/// The default scorer. Cheap to clone; holds only its thresholds.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultScorer {
    thresholds: Thresholds,
}

impl DefaultScorer {
    /// Name and version stored with every score. Bump on any change that can
    /// change a score, so stored scores stay comparable.
    pub const VERSION: &'static str = "reshimu-default/1";

    /// A scorer with the given thresholds.
    pub fn new(thresholds: Thresholds) -> DefaultScorer {
        DefaultScorer { thresholds }
    }

    /// The thresholds in use.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }
}

/// Rule ids for findings that have no guard of their own.
mod rule {
    pub const RECOMMEND: &str = "constraint.recommend";
    pub const PAYMENT: &str = "constraint.payment";
    pub const DELETE: &str = "constraint.delete";
    pub const WRITE: &str = "constraint.write";
    pub const DEPLOY: &str = "constraint.deploy";
    pub const DISCOUNT: &str = "constraint.discount";
    pub const INJECTED: &str = "goal.injected";
}

/// What the detectors found, before it becomes a [`Score`].
#[derive(Default)]
struct Findings {
    violations: Vec<String>,
    /// First evidence of drift (definition, table, action class, topic).
    drift: Option<String>,
    /// Thin-trace evidence for a contraction.
    thin: Option<String>,
    /// An upper bound on alignment set by a definition or scope departure.
    cap: f32,
}

impl Findings {
    fn violate(&mut self, rule: &str, evidence: std::fmt::Arguments<'_>) {
        // One entry per rule: the guard and the constraint that say the same
        // thing are one violation, reported once with the first evidence.
        if self.violations.iter().any(|v| {
            v.len() > rule.len() && v.starts_with(rule) && v.as_bytes()[rule.len()] == b':'
        }) {
            return;
        }
        let mut s = String::with_capacity(rule.len() + 48);
        s.push_str(rule);
        s.push_str(": ");
        let _ = s.write_fmt(evidence);
        self.violations.push(s);
    }

    fn drift(&mut self, cap: f32, evidence: impl FnOnce() -> String) {
        self.cap = self.cap.min(cap);
        if self.drift.is_none() {
            self.drift = Some(evidence());
        }
    }
}

impl Scorer for DefaultScorer {
    fn version(&self) -> &'static str {
        Self::VERSION
    }

    fn score(&self, chain: &IntentChain<'_>, span: &SpanView<'_>, ctx: &Context<'_>) -> Score {
        let t = &self.thresholds;
        let max = t.max_text_bytes as usize;
        let effects = Effects::of(span);
        let mut f = Findings {
            cap: 1.0,
            ..Findings::default()
        };
        // A span declaring a contraction is judged as the delegation it is:
        // against its parent chain, with the new intent's bullets as its purpose.
        let declares_contraction = span.declares_intent() && chain.depth() > 0;
        let judged_by = if declares_contraction {
            chain.parent().unwrap_or(*chain)
        } else {
            *chain
        };

        let purpose = Purpose::analyze(span, judged_by.levels(), t);
        let root_view = purpose.root;
        let local_view = purpose.local;

        guard_violations(chain, span, &effects, &mut f);
        prose_violations(chain, span, &effects, &purpose, &mut f);
        injected_goals(chain, span, &effects, ctx, &mut f);
        let cov = contraction_coverage(chain, span, declares_contraction, t, &mut f);
        definition_drift(chain, span, &purpose, cov.is_some(), max, &mut f);
        table_drift(chain, span, &purpose, &mut f);

        let unwanted = purpose.classes.minus(judged_by.root().wanted);
        let local_unwanted = purpose.classes.minus(judged_by.in_force().wanted);
        if let Some(class) = unwanted.iter().next() {
            f.drift(0.45, || {
                format!(
                    "asks to {} ({}), which the root objective does not ask for",
                    class.verb(),
                    purpose.class_evidence(class)
                )
            });
        } else if root_view.drifts(t) {
            f.drift(1.0, || root_view.explain());
        }

        let mut alignment = root_view.alignment.min(f.cap);
        let mut local = local_view.alignment.min(f.cap);
        if !unwanted.is_empty() {
            alignment = (alignment * 0.5).min(0.45);
        }
        if !local_unwanted.is_empty() {
            local = (local * 0.5).min(0.45);
        }
        if let Some(c) = &cov
            && f.thin.is_some()
        {
            let cap = 0.05 + 0.4 * c.value;
            alignment = alignment.min(cap);
            local = local.min(cap);
        }
        if !f.violations.is_empty() {
            alignment = alignment.min(0.15);
            local = local.min(0.15);
        }

        let verdict = if !f.violations.is_empty() {
            Verdict::Violation
        } else if f.thin.is_some() {
            Verdict::Thin
        } else if f.drift.is_some() || alignment < t.drifting_below {
            Verdict::Drifting
        } else {
            Verdict::Aligned
        };
        let explanation = match verdict {
            Verdict::Violation => {
                let mut s = format!("Violates {}", f.violations[0]);
                if f.violations.len() > 1 {
                    let _ = write!(s, " (and {} more)", f.violations.len() - 1);
                }
                s.push('.');
                s
            }
            Verdict::Thin => sentence(f.thin.take().unwrap_or_default()),
            Verdict::Drifting => sentence(f.drift.take().unwrap_or_else(|| root_view.explain())),
            Verdict::Aligned | Verdict::Unscoped => String::new(),
        };
        Score {
            alignment: round(alignment),
            local_alignment: round(local),
            coverage: cov.map(|c| round(c.value)),
            violations: f.violations,
            verdict,
            explanation,
            scorer: Self::VERSION,
        }
    }
}

fn round(x: f32) -> f32 {
    (x.clamp(0.0, 1.0) * 1000.0).round() / 1000.0
}

fn sentence(mut s: String) -> String {
    if let Some(first) = s.get(..1) {
        let upper = first.to_ascii_uppercase();
        s.replace_range(..1, &upper);
    }
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

fn guard_violations(
    chain: &IntentChain<'_>,
    span: &SpanView<'_>,
    e: &Effects<'_>,
    f: &mut Findings,
) {
    for level in chain.levels() {
        let g = level.guards();
        if let Some(tool) = span.tool_name {
            match g.check_tool(tool) {
                Some(ToolViolation::Denied(glob)) => f.violate(
                    "tool.deny",
                    format_args!("tool `{tool}` matches `deny tool {}`", glob.as_str()),
                ),
                Some(ToolViolation::NotAllowed) => f.violate(
                    "tool.allow",
                    format_args!("tool `{tool}` is not in the `allow tool` list"),
                ),
                None => {}
            }
        }
        if g.denies_sql_write()
            && let Some(w) = &e.sql_write
        {
            f.violate(
                "sql.write",
                format_args!(
                    "{} {} (guard `deny sql write`)",
                    w.verb.to_ascii_uppercase(),
                    w.table.unwrap_or("")
                ),
            );
        }
        if g.denies_http_write()
            && let Some(m) = e.http_write
        {
            f.violate(
                "http.write",
                format_args!(
                    "{} {} (guard `deny http write`)",
                    m.to_ascii_uppercase(),
                    span.url.unwrap_or("")
                ),
            );
        }
        if g.denies_message_send() && e.message_send {
            f.violate(
                "message.send",
                format_args!("{} (guard `deny message send`)", send_evidence(span)),
            );
        }
    }
}

fn send_evidence<'a>(span: &SpanView<'a>) -> std::borrow::Cow<'a, str> {
    match (span.tool_name, span.messaging_destination) {
        (Some(t), _) => format!("tool `{t}`").into(),
        (None, Some(d)) => {
            format!("{} to `{d}`", span.messaging_operation.unwrap_or("send")).into()
        }
        (None, None) => span.messaging_operation.unwrap_or("send").into(),
    }
}

fn prose_violations(
    chain: &IntentChain<'_>,
    span: &SpanView<'_>,
    e: &Effects<'_>,
    purpose: &Purpose<'_>,
    f: &mut Findings,
) {
    for level in chain.levels() {
        for p in &level.prohibitions {
            if !p.applies_to(&[span.tool_name, span.tool_arguments, span.sql, span.url]) {
                continue;
            }
            let c = p.classes;
            let phrase = p.phrase.as_str();
            if c.contains(ActionClass::Modify) || (c.contains(ActionClass::Delete) && e.deletes()) {
                if let Some(w) = &e.sql_write {
                    f.violate(
                        "sql.write",
                        format_args!(
                            "{} {} (constraint \"{phrase}\")",
                            w.verb.to_ascii_uppercase(),
                            w.table.unwrap_or("")
                        ),
                    );
                }
                if let Some(m) = e.http_write
                    && (c.contains(ActionClass::Modify) || m.eq_ignore_ascii_case("DELETE"))
                {
                    f.violate(
                        "http.write",
                        format_args!(
                            "{} {} (constraint \"{phrase}\")",
                            m.to_ascii_uppercase(),
                            span.url.unwrap_or("")
                        ),
                    );
                }
            }
            let tool = span.tool_name.unwrap_or("");
            if c.contains(ActionClass::Modify) && e.tool.contains(ActionClass::Modify) {
                f.violate(
                    rule::WRITE,
                    format_args!("tool `{tool}` (constraint \"{phrase}\")"),
                );
            }
            if c.contains(ActionClass::Create) && e.tool.contains(ActionClass::Create) {
                f.violate(
                    rule::WRITE,
                    format_args!("tool `{tool}` (constraint \"{phrase}\")"),
                );
            }
            if c.contains(ActionClass::Delete) && e.tool.contains(ActionClass::Delete) {
                f.violate(
                    rule::DELETE,
                    format_args!("tool `{tool}` (constraint \"{phrase}\")"),
                );
            }
            if c.contains(ActionClass::Contact) && e.message_send {
                f.violate(
                    "message.send",
                    format_args!("{} (constraint \"{phrase}\")", send_evidence(span)),
                );
            }
            if (c.contains(ActionClass::Transfer) || c.contains(ActionClass::Purchase))
                && (e.tool.contains(ActionClass::Transfer)
                    || e.tool.contains(ActionClass::Purchase))
            {
                f.violate(
                    rule::PAYMENT,
                    format_args!("tool `{tool}` (constraint \"{phrase}\")"),
                );
            }
            if c.contains(ActionClass::Deploy) && e.tool.contains(ActionClass::Deploy) {
                f.violate(
                    rule::DEPLOY,
                    format_args!("tool `{tool}` (constraint \"{phrase}\")"),
                );
            }
            if c.contains(ActionClass::Discount) && e.tool.contains(ActionClass::Discount) {
                f.violate(
                    rule::DISCOUNT,
                    format_args!("tool `{tool}` (constraint \"{phrase}\")"),
                );
            }
            if c.contains(ActionClass::Recommend) && purpose.advice_fields != 0 {
                let advice = [
                    field::OUTPUT,
                    field::OUTPUT_TAIL,
                    field::CONTRACTION,
                    field::OBJECTIVE,
                    field::SCOPE,
                ]
                .into_iter()
                .filter(|fi| purpose.advice_fields & (1 << fi) != 0)
                .find_map(|fi| {
                    purpose.fields[fi].and_then(|t| class_snippet(t, ActionClass::Recommend))
                });
                if let Some(snippet) = advice {
                    f.violate(
                        rule::RECOMMEND,
                        format_args!("\"{snippet}\" (constraint \"{phrase}\")"),
                    );
                }
            }
        }
    }
}

fn injected_goals(
    chain: &IntentChain<'_>,
    span: &SpanView<'_>,
    e: &Effects<'_>,
    ctx: &Context<'_>,
    f: &mut Findings,
) {
    let shell = span.tool_name.is_some_and(|t| {
        super::text::ident_parts(t).any(|p| {
            super::checks::SHELL
                .iter()
                .any(|s| p.eq_ignore_ascii_case(s))
        })
    });
    let sends = e.message_send
        || shell
        || e.tool.contains(ActionClass::Transfer)
        || e.tool.contains(ActionClass::Purchase)
        || e.tool.contains(ActionClass::Contact);
    if !sends && e.http_write.is_none() {
        return;
    }
    let texts = chain
        .levels()
        .iter()
        .map(|l| l.text.as_str())
        .chain(ctx.known_data.iter().copied());
    let mut found: Option<Target<'_>> = None;
    find_target(span.tool_arguments, span.messaging_destination, |t| {
        if grounded(t, texts.clone()) {
            false
        } else {
            found = Some(t);
            true
        }
    });
    if let Some(t) = found {
        let what = span.tool_name.unwrap_or_else(|| span.action_name());
        f.violate(
            rule::INJECTED,
            format_args!(
                "`{what}` targets `{}`, which no intent in the chain names",
                t.as_str()
            ),
        );
    }
}

fn contraction_coverage(
    chain: &IntentChain<'_>,
    span: &SpanView<'_>,
    declares_contraction: bool,
    t: &Thresholds,
    f: &mut Findings,
) -> Option<super::Coverage> {
    let text = if declares_contraction {
        chain.in_force().text.as_str()
    } else {
        span.contraction?
    };
    let root = chain.root();
    let c = coverage(root, text);
    if let Some(r) = c.redefined.first() {
        f.thin = Some(format!("contraction redefines {r}"));
    } else if c.value < t.thin_coverage_below {
        let mut s = format!(
            "contraction carries {:.0}% of the root's definitions and constraints; lost: ",
            c.value * 100.0
        );
        for (i, l) in c.lost.iter().take(3).enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            let _ = write!(s, "\"{l}\"");
        }
        f.thin = Some(s);
    }
    Some(c)
}

fn definition_drift(
    chain: &IntentChain<'_>,
    span: &SpanView<'_>,
    purpose: &Purpose<'_>,
    is_contraction: bool,
    max: usize,
    f: &mut Findings,
) {
    // Only texts that name a defined term or column can depart from it (the
    // purpose pass noticed which); SQL is short and always checked.
    let named = |fi: usize| purpose.anchor_fields & (1 << fi) != 0;
    // SQL dug out of the arguments is a slice of them: check it once.
    let sql_in_args = match (span.sql, span.tool_arguments) {
        (Some(q), Some(a)) => {
            let (qs, as_) = (q.as_ptr() as usize, a.as_ptr() as usize);
            qs >= as_ && qs + q.len() <= as_ + a.len()
        }
        _ => false,
    };
    let fields = [
        span.sql,
        span.tool_arguments
            .filter(|_| named(field::ARGS) && !sql_in_args),
        purpose.fields[field::OUTPUT].filter(|_| named(field::OUTPUT)),
        purpose.fields[field::OUTPUT_TAIL].filter(|_| named(field::OUTPUT_TAIL)),
    ];
    if fields.iter().all(Option::is_none) {
        return;
    }
    for (li, level) in chain.levels().iter().enumerate() {
        for d in &level.definitions {
            // A contraction usually repeats its root's definitions: check each once.
            let repeated = chain.levels()[..li].iter().any(|l| {
                l.definitions
                    .iter()
                    .any(|e| e.term == d.term && e.text == d.text)
            });
            if repeated {
                continue;
            }
            // A contraction's redefinitions are reported by coverage as thin;
            // here only the action fields count.
            let hit = fields
                .iter()
                .flatten()
                .find_map(|t| departure(d, prefix(t, max)));
            let Some(dep) = hit else { continue };
            let defined = format!("{} = {}", d.term, d.text);
            match &d.rule {
                Some(rule) => f.violate(
                    rule,
                    format_args!("{}, defined as \"{defined}\"", describe(&dep)),
                ),
                None if !is_contraction => f.drift(0.35, || {
                    format!(
                        "definition drift: {}, scope defines \"{defined}\"",
                        describe(&dep)
                    )
                }),
                None => {}
            }
        }
    }
}

fn table_drift(
    chain: &IntentChain<'_>,
    span: &SpanView<'_>,
    purpose: &Purpose<'_>,
    f: &mut Findings,
) {
    // A model proposing a statement is judged like the statement.
    let proposed = own_output(span).filter(|_| purpose.output_has_sql);
    let Some(sql) = span.sql.or(proposed) else {
        return;
    };
    for level in chain.levels().iter().filter(|l| !l.tables.is_empty()) {
        if let Some(t) = super::sql::tables(sql)
            .find(|t| !level.tables.iter().any(|a| a.eq_ignore_ascii_case(t)))
        {
            f.drift(0.4, || {
                format!(
                    "queries table `{t}`, outside the scope's tables ({})",
                    level.tables.join(", ")
                )
            });
            return;
        }
    }
}
