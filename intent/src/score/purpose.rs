//! What a span is for, read in one pass over its texts: the classes of action
//! it asks for, how its words sit with the objective and scope (topic), and
//! where it names a defined term (so that definition checks only run there).
//!
//! One pass matters: tokenizing, stemming and looking words up is most of the
//! scorer's cost, so every per-word question is asked in the same loop.

use std::fmt::Write as _;

use super::checks::tool_classes;
use super::prepared::PreparedIntent;
use super::text::{
    ActionClass, ClassSet, Lex, MAX_WORD, ident_parts, lexicon, prefix, stem_into, words,
};
use super::{Thresholds, text};
use crate::span::{ActionKind, SpanView};

/// Indexes into [`Purpose::fields`].
pub(crate) mod field {
    pub const TOOL: usize = 0;
    pub const ARGS: usize = 1;
    pub const CONTRACTION: usize = 2;
    pub const OBJECTIVE: usize = 3;
    pub const SCOPE: usize = 4;
    pub const OUTPUT: usize = 5;
    pub const PATH: usize = 6;
    /// The end of a long model output (advice tends to come last).
    pub const OUTPUT_TAIL: usize = 7;
}

/// Bytes read from the end of a model output longer than the text budget.
const TAIL_BYTES: usize = 512;

/// How a span's words sit with the vocabulary of some intents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Topic<'a> {
    /// In [0, 1]; the neutral value when there is too little text to judge.
    pub alignment: f32,
    known: f32,
    unknown: u32,
    missing: [&'a str; 3],
    matched: [&'a str; 2],
}

impl<'a> Topic<'a> {
    fn new() -> Topic<'a> {
        Topic {
            alignment: 0.0,
            known: 0.0,
            unknown: 0,
            missing: [""; 3],
            matched: [""; 2],
        }
    }

    fn add(&mut self, word: &'a str, weight: f32) {
        if weight > 0.0 {
            self.known += weight;
            if let Some(slot) = self
                .matched
                .iter_mut()
                .find(|m| m.is_empty() || m.eq_ignore_ascii_case(word))
            {
                *slot = word;
            }
        } else {
            self.unknown += 1;
            if let Some(slot) = self
                .missing
                .iter_mut()
                .find(|m| m.is_empty() || m.eq_ignore_ascii_case(word))
            {
                *slot = word;
            }
        }
    }

    fn finish(&mut self, t: &Thresholds) {
        let evidence = self.known + self.unknown as f32;
        self.alignment = if evidence >= 1.0 {
            let frac = self.known / evidence;
            // A third of the words on topic is already a clearly topical span
            // (the rest is names, values, plumbing); none is 0.3.
            let topical = (0.3 + 1.4 * frac).min(1.0);
            // Little text is weak evidence: lean towards neutral.
            let confidence = (evidence / 8.0).min(1.0);
            confidence * topical + (1.0 - confidence) * t.neutral_alignment
        } else {
            t.neutral_alignment
        };
    }

    /// Whether the topic alone says drifting.
    pub(crate) fn drifts(&self, t: &Thresholds) -> bool {
        self.known + self.unknown as f32 >= t.min_topic_words as f32
            && self.alignment < t.drifting_below
    }

    /// "off-topic: `a`, `b` appear nowhere in objective or scope (matched only `c`)".
    pub(crate) fn explain(&self) -> String {
        let mut s = String::from("off-topic: ");
        for (i, m) in self.missing.iter().filter(|m| !m.is_empty()).enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            let _ = write!(s, "`{m}`");
        }
        s.push_str(" appear nowhere in objective or scope");
        let mut matched = self.matched.iter().filter(|m| !m.is_empty());
        match matched.next() {
            None => s.push_str(" and no objective term is used"),
            Some(first) => {
                let _ = write!(s, " (matched only `{first}`");
                for m in matched {
                    let _ = write!(s, ", `{m}`");
                }
                s.push(')');
            }
        }
        s
    }
}

/// The purpose of one span.
pub(crate) struct Purpose<'a> {
    /// The texts read, by [`field`] index.
    pub fields: [Option<&'a str>; 8],
    /// Classes of action the span performs or asks for.
    pub classes: ClassSet,
    /// Bit per field: a non-negated word of advice ("recommend", "suggest").
    pub advice_fields: u8,
    /// Bit per field: a defined term or its column appears.
    pub anchor_fields: u8,
    /// The model's own output holds a SQL statement it proposes.
    pub output_has_sql: bool,
    /// Topic against every level of the chain (alignment with the root's lineage).
    pub root: Topic<'a>,
    /// Topic against the intent in force only.
    pub local: Topic<'a>,
}

/// What the agent itself said: the output of a model or agent span. A tool's
/// result is what the world answered (a web page, an inbox, rows), not a
/// choice of the agent, so it is not held against the objective; it is where
/// injected instructions come from, and those are judged by what the agent
/// then does.
pub(crate) fn own_output<'a>(span: &SpanView<'a>) -> Option<&'a str> {
    match span.kind {
        ActionKind::Llm | ActionKind::Agent => span.output,
        _ => None,
    }
}

/// Whether the span is an HTTP request that writes.
pub(crate) fn is_http_write(span: &SpanView<'_>) -> bool {
    span.http_method.is_some_and(|m| {
        ["POST", "PUT", "PATCH", "DELETE"]
            .iter()
            .any(|w| m.eq_ignore_ascii_case(w))
    })
}

/// The path of a URL, without scheme, host and query.
fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

impl<'a> Purpose<'a> {
    /// Reads the span once. `levels` are the intents it is judged by, root
    /// first; the last one is the intent in force.
    pub(crate) fn analyze(
        span: &SpanView<'a>,
        levels: &[&PreparedIntent],
        t: &Thresholds,
    ) -> Purpose<'a> {
        let max = t.max_text_bytes as usize;
        let cut = |x: Option<&'a str>| x.map(|x| prefix(x, max));
        let path = span
            .url
            .map(url_path)
            .filter(|_| span.http_method.is_some());
        // A long output is read at its head and its tail: the budget bounds
        // the cost, and conclusions ("we recommend...") sit at the end.
        let (output_head, output_tail) = match own_output(span) {
            Some(o) if o.len() > max => (
                Some(prefix(o, max.saturating_sub(TAIL_BYTES))),
                Some(text::suffix(o, TAIL_BYTES)),
            ),
            other => (other, None),
        };
        let fields = [
            span.tool_name,
            cut(span.tool_arguments),
            cut(span.contraction),
            cut(span.declared.objective),
            cut(span.declared.scope),
            output_head,
            path,
            output_tail,
        ];
        let mut p = Purpose {
            fields,
            classes: span.tool_name.map(tool_classes).unwrap_or_default(),
            advice_fields: 0,
            anchor_fields: 0,
            output_has_sql: false,
            root: Topic::new(),
            local: Topic::new(),
        };
        // A write request's path names what it does (`/rollouts`, `/transfers`).
        if let Some(path) = path.filter(|_| is_http_write(span)) {
            p.classes = p.classes.union(tool_classes(path));
        }
        let in_force = levels.last().copied();
        let multiword_terms = levels.iter().any(|l| l.has_multiword_term);
        let (mut saw_select, mut saw_from) = (false, false);
        let mut buf = [0u8; MAX_WORD];
        let mut part_buf = [0u8; MAX_WORD];
        for (fi, text) in fields.iter().enumerate() {
            let Some(text) = *text else { continue };
            if multiword_terms {
                p.anchor_fields |= 1 << fi;
            }
            // Task texts are commands: their action words count. Outputs are
            // prose about data ("the email column", "payment history"): only
            // advice counts there.
            let imperative = fi == field::CONTRACTION || fi == field::OBJECTIVE;
            let b = text.as_bytes();
            let mut negated_until = 0usize;
            for (i, (at, w)) in words(text).enumerate() {
                if levels
                    .iter()
                    .any(|l| l.anchors.iter().any(|a| a.eq_ignore_ascii_case(w)))
                {
                    p.anchor_fields |= 1 << fi;
                }
                if fi == field::OUTPUT {
                    saw_select |= w.eq_ignore_ascii_case("select");
                    saw_from |= w.eq_ignore_ascii_case("from");
                }
                let Some(stem) = stem_into(w, &mut buf) else {
                    continue;
                };
                match lexicon(stem) {
                    Some(Lex::Negation) => {
                        negated_until = i + 4;
                        continue;
                    }
                    Some(Lex::Action(c, weak)) => {
                        if i >= negated_until && !weak && fi != field::TOOL && fi != field::PATH {
                            if imperative {
                                p.classes.insert(c);
                            }
                            if c == ActionClass::Recommend {
                                p.advice_fields |= 1 << fi;
                                if fi == field::OUTPUT {
                                    p.classes.insert(c);
                                }
                            }
                        }
                        continue;
                    }
                    Some(Lex::Stop | Lex::Neutral) => continue,
                    None => {}
                }
                // Parts of emails, hosts and dotted names are addresses, not topics.
                let end = at + w.len();
                let address = (at > 0 && matches!(b[at - 1], b'@' | b'.'))
                    || (end < b.len() && b[end] == b'@')
                    || (end + 1 < b.len() && b[end] == b'.' && b[end + 1].is_ascii_alphanumeric());
                if (fi != field::TOOL && address)
                    || w.len() < 3
                    || w.bytes().any(|c| c.is_ascii_digit())
                {
                    continue;
                }
                let single = w.bytes().all(|c| c.is_ascii_alphanumeric()) && !has_camel(w);
                if single {
                    let (r, l) = weights(stem, levels, in_force);
                    p.root.add(w, r);
                    p.local.add(w, l);
                    continue;
                }
                for part in ident_parts(w) {
                    if part.len() < 3 {
                        continue;
                    }
                    let Some(ps) = stem_into(part, &mut part_buf) else {
                        continue;
                    };
                    if lexicon(ps).is_some() {
                        continue;
                    }
                    let (r, l) = weights(ps, levels, in_force);
                    p.root.add(part, r);
                    p.local.add(part, l);
                }
            }
        }
        p.output_has_sql = saw_select && saw_from;
        p.root.finish(t);
        p.local.finish(t);
        p
    }

    /// Evidence for a class of action: the tool, else a short quote.
    pub(crate) fn class_evidence(&self, class: ActionClass) -> String {
        if let Some(tool) = self.fields[field::TOOL]
            && tool_classes(tool).contains(class)
        {
            return format!("tool `{tool}`");
        }
        self.fields[field::ARGS..]
            .iter()
            .flatten()
            .find_map(|t| class_snippet(t, class))
            .map_or_else(|| class.verb().to_owned(), |s| format!("\"{s}\""))
    }
}

fn has_camel(w: &str) -> bool {
    w.as_bytes()
        .windows(2)
        .any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase())
}

/// The weight of a stem for root alignment and for local alignment.
///
/// Root: the root's own words count fully; words only a contraction
/// introduced count half: they are the lineage's legitimate vocabulary, but
/// weaker evidence that the span serves what the root asked. Local: the
/// intent in force only.
fn weights(
    stem: &str,
    levels: &[&PreparedIntent],
    in_force: Option<&PreparedIntent>,
) -> (f32, f32) {
    let mut root = 0.0f32;
    let mut local = 0.0f32;
    for (i, l) in levels.iter().enumerate() {
        if let Some(w) = l.weight(stem) {
            root = root.max(if i == 0 { w } else { 0.5 * w });
            if in_force.is_some_and(|f| std::ptr::eq(f, *l)) {
                local = w;
            }
        }
    }
    (root, local)
}

/// A short quote around the first non-negated word of `class` in `text`.
pub(crate) fn class_snippet(text: &str, class: ActionClass) -> Option<&str> {
    let mut buf = [0u8; MAX_WORD];
    let mut negated_until = 0usize;
    for (i, (at, w)) in words(text).enumerate() {
        let Some(stem) = stem_into(w, &mut buf) else {
            continue;
        };
        match lexicon(stem) {
            Some(Lex::Negation) => negated_until = i + 4,
            Some(Lex::Action(c, _)) if c == class && i >= negated_until => {
                let start = text[..at]
                    .rfind(['.', '\n', '"', '!', '?'])
                    .map_or(0, |p| p + 1);
                let mut start = start.max(text::floor_boundary(text, at.saturating_sub(30)));
                // Start the quote on a word, not in the middle of one.
                if start > 0 && text.as_bytes()[start - 1].is_ascii_alphanumeric() {
                    start = text[start..at].find(' ').map_or(at, |p| start + p + 1);
                }
                let end = text::ceil_boundary(text, at + w.len() + 40);
                let end = text[at..end]
                    .find(['.', '\n', '"', '!', '?'])
                    .map_or(end, |p| at + p);
                return Some(text[start..end].trim());
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::IntentSpec;

    fn audit() -> PreparedIntent {
        PreparedIntent::new(IntentSpec {
            objective: "Audit the inactive customer accounts and prepare a summary".into(),
            scope: "inactive = last_login older than 90 days; customers table only".into(),
            constraints: "no recommendations".into(),
            guards: vec![],
        })
        .unwrap()
    }

    fn llm(output: &str) -> SpanView<'_> {
        SpanView::from_attributes(
            "chat",
            [
                ("gen_ai.operation.name", "chat"),
                ("gen_ai.output.messages", output),
            ],
        )
    }

    #[test]
    fn on_topic_text_aligns_and_off_topic_text_does_not() {
        let a = audit();
        let levels = [&a];
        let t = Thresholds::default();
        let on = Purpose::analyze(
            &llm("1204 inactive customer accounts; oldest last_login 2019; audit complete"),
            &levels,
            &t,
        );
        assert!(on.root.alignment > 0.8, "{}", on.root.alignment);
        let off = Purpose::analyze(
            &llm("Launch a drip newsletter campaign with personalised offers and paid social ads"),
            &levels,
            &t,
        );
        assert!(off.root.drifts(&t), "{}", off.root.alignment);
        assert!(
            off.root.explain().contains("`newsletter`") || off.root.explain().contains("`drip`")
        );
    }

    #[test]
    fn advice_counts_in_output_unless_negated() {
        let a = audit();
        let levels = [&a];
        let t = Thresholds::default();
        let p = Purpose::analyze(&llm("We recommend closing them."), &levels, &t);
        assert!(p.classes.contains(ActionClass::Recommend));
        assert_ne!(p.advice_fields, 0);
        let p = Purpose::analyze(&llm("As asked, no recommendations are made."), &levels, &t);
        assert!(!p.classes.contains(ActionClass::Recommend));
    }

    #[test]
    fn anchors_and_proposed_sql_are_noticed() {
        let a = audit();
        let levels = [&a];
        let t = Thresholds::default();
        let p = Purpose::analyze(
            &llm("I will run: SELECT id FROM customers WHERE last_login < now() - 30"),
            &levels,
            &t,
        );
        assert!(p.output_has_sql);
        assert_ne!(p.anchor_fields & (1 << field::OUTPUT), 0);
        let p = Purpose::analyze(&llm("Nothing to report."), &levels, &t);
        assert_eq!(p.anchor_fields, 0);
    }

    #[test]
    fn tool_results_are_not_the_agent_s_words() {
        let v = SpanView::from_attributes(
            "execute_tool web_fetch",
            [
                ("gen_ai.tool.name", "web_fetch"),
                ("gen_ai.tool.call.result", "We recommend our casino bonus"),
            ],
        );
        let a = audit();
        let p = Purpose::analyze(&v, &[&a], &Thresholds::default());
        assert!(!p.classes.contains(ActionClass::Recommend));
    }
}
