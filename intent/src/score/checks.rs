//! What a span does (its side effects) and what an intent forbids in free text.
//!
//! Guards state prohibitions in a grammar; constraints state them in prose
//! ("no writes", "read-only", "do not email anyone", "no payments"). Both end
//! up as the same checks on the same span effects, so a constraint without a
//! guard is enforced the same way, only reported with its own wording.

use super::definitions::clauses;
use super::sql::{SqlWrite, sql_write};
use super::text::{ActionClass, ClassSet, Lex, MAX_WORD, ident_parts, lexicon, stem_into, words};
use crate::span::{ActionKind, SpanView};

/// A prohibition read from a constraint (or a read-only scope) clause.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prohibition {
    /// The classes of action it forbids.
    pub classes: ClassSet,
    /// The clause as written, quoted in evidence.
    pub phrase: String,
}

/// Verbs that only look: a tool starting with one has no side effect, whatever
/// it looks at (`get_email`, `list_payments`, `draft_reply`).
const READ_VERBS: &[&str] = &[
    "get",
    "list",
    "read",
    "search",
    "fetch",
    "find",
    "lookup",
    "look",
    "query",
    "check",
    "view",
    "show",
    "describe",
    "count",
    "summarize",
    "summarise",
    "draft",
    "compose",
    "preview",
    "prepare",
    "validate",
    "estimate",
    "quote",
    "inspect",
    "diff",
    "explain",
    "analyze",
    "analyse",
    "run",
    "select",
    "open",
    "load",
    "download",
    "retrieve",
    "browse",
    "scan",
    "calculate",
    "compute",
    "convert",
    "parse",
    "format",
    "translate",
    "classify",
    "compare",
];

/// Words that make a constraint conditional ("no bookings over 600 EUR",
/// "no payments without approval"): not a flat prohibition the scorer can
/// enforce, so they stay text (coverage still tracks them).
const CONDITIONAL: &[&str] = &[
    "unless",
    "approval",
    "approved",
    "confirm",
    "confirmation",
    "over",
    "above",
    "more",
    "exceed",
    "exceeds",
    "except",
    "beyond",
    "larger",
    "greater",
    "until",
    "before",
    "after",
];

/// Prohibitions in a constraints bullet (every clause) or a scope bullet
/// (read-only clauses only: scope states boundaries, not bans).
pub(crate) fn prohibitions(text: &str, scope: bool) -> Vec<Prohibition> {
    let mut out = Vec::new();
    for clause in clauses(text) {
        let mut classes = ClassSet::default();
        if read_only(clause) {
            classes.insert(ActionClass::Modify);
            classes.insert(ActionClass::Delete);
        }
        if !scope
            && !words(clause).any(|(_, w)| CONDITIONAL.iter().any(|c| w.eq_ignore_ascii_case(c)))
        {
            classes = classes.union(negated_classes(clause));
        }
        if !classes.is_empty() {
            out.push(Prohibition {
                classes,
                phrase: clause.to_owned(),
            });
        }
    }
    out
}

fn read_only(clause: &str) -> bool {
    let lower = |s: &str| super::text::contains_ci(clause, s);
    lower("read-only") || lower("read only") || lower("readonly") || lower("read access")
}

/// Action classes named after a negation in a clause ("do not contact
/// customers" gives Contact; "no writes" gives Modify).
pub(crate) fn negated_classes(clause: &str) -> ClassSet {
    let mut set = ClassSet::default();
    let mut negated = false;
    let mut buf = [0u8; MAX_WORD];
    for (_, w) in words(clause) {
        let Some(stem) = stem_into(w, &mut buf) else {
            continue;
        };
        match lexicon(stem) {
            Some(Lex::Negation) => negated = true,
            Some(Lex::Action(c)) if negated => {
                set.insert(c);
                // A deletion is also a write; "no writes" forbids deletes too.
                if c == ActionClass::Modify {
                    set.insert(ActionClass::Delete);
                }
            }
            _ => {}
        }
    }
    set
}

/// The side effects of one span.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Effects<'a> {
    /// The SQL write, when the span runs one.
    pub sql_write: Option<SqlWrite<'a>>,
    /// The HTTP method when it writes (POST, PUT, PATCH, DELETE).
    pub http_write: Option<&'a str>,
    /// A messaging send (`send`, `publish`, `create`) or a tool that sends.
    pub message_send: bool,
    /// What the tool does, by its name.
    pub tool: ClassSet,
}

impl<'a> Effects<'a> {
    /// Computes the effects of a span. The SQL parser runs only when the
    /// statement has a write keyword in it.
    pub(crate) fn of(span: &SpanView<'a>) -> Effects<'a> {
        let sql_write = span.sql.and_then(sql_write);
        let http_write = span.http_method.filter(|m| {
            ["POST", "PUT", "PATCH", "DELETE"]
                .iter()
                .any(|w| m.eq_ignore_ascii_case(w))
        });
        let tool = span.tool_name.map(tool_classes).unwrap_or_default();
        let messaging_send = span.messaging_operation.is_some_and(|op| {
            ["send", "publish", "create"]
                .iter()
                .any(|w| op.eq_ignore_ascii_case(w))
        });
        Effects {
            sql_write,
            http_write,
            message_send: messaging_send
                || (span.kind == ActionKind::Tool && tool.contains(ActionClass::Contact)),
            tool,
        }
    }

    /// Whether the span deletes: a SQL DELETE/DROP/TRUNCATE, an HTTP DELETE, a deleting tool.
    pub(crate) fn deletes(&self) -> bool {
        let sql = self.sql_write.as_ref().is_some_and(|w| {
            ["delete", "drop", "truncate"]
                .iter()
                .any(|v| w.verb.eq_ignore_ascii_case(v))
        });
        sql || self
            .http_write
            .is_some_and(|m| m.eq_ignore_ascii_case("DELETE"))
            || self.tool.contains(ActionClass::Delete)
    }
}

/// The action classes a tool performs, read from its name. A leading read verb
/// (`get_`, `list_`, `draft_`) means none.
pub(crate) fn tool_classes(name: &str) -> ClassSet {
    let mut set = ClassSet::default();
    let mut buf = [0u8; MAX_WORD];
    for (i, part) in ident_parts(name).enumerate() {
        if i == 0 && READ_VERBS.iter().any(|v| part.eq_ignore_ascii_case(v)) {
            return ClassSet::default();
        }
        // A read verb later on (`gmail.search`, `calendar_list`) also means a read.
        if i > 0 && READ_VERBS.iter().any(|v| part.eq_ignore_ascii_case(v)) && set.is_empty() {
            continue;
        }
        let Some(stem) = stem_into(part, &mut buf) else {
            continue;
        };
        if let Some(Lex::Action(c)) = lexicon(stem) {
            set.insert(c);
        } else if ["money", "fund", "funds", "invoice", "iban"]
            .iter()
            .any(|m| part.eq_ignore_ascii_case(m))
        {
            set.insert(ActionClass::Transfer);
        }
    }
    // `send_money` moves money; it is not a message.
    if set.contains(ActionClass::Transfer) {
        set = set.minus(ClassSet(ActionClass::Contact.bit()));
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(text: &str) -> Vec<ActionClass> {
        prohibitions(text, false)
            .iter()
            .flat_map(|p| p.classes.iter())
            .collect()
    }

    #[test]
    fn free_text_constraints_map_to_checks() {
        let c = classes("no writes; no recommendations; do not contact customers");
        assert!(c.contains(&ActionClass::Modify));
        assert!(c.contains(&ActionClass::Recommend));
        assert!(c.contains(&ActionClass::Contact));
        assert_eq!(classes("Do not email anyone."), [ActionClass::Contact]);
        assert_eq!(classes("no payments"), [ActionClass::Transfer]);
        assert!(classes("read-only").contains(&ActionClass::Modify));
    }

    #[test]
    fn conditional_or_positive_constraints_do_not_map() {
        assert!(classes("no bookings over 600 EUR").is_empty());
        assert!(classes("keep the tone neutral; cite the ticket number").is_empty());
        assert!(prohibitions("contact the customer only by email", true).is_empty());
    }

    #[test]
    fn tools_by_name() {
        assert!(tool_classes("send_email").contains(ActionClass::Contact));
        assert!(tool_classes("gmail.send").contains(ActionClass::Contact));
        assert!(tool_classes("transfer_funds").contains(ActionClass::Transfer));
        assert!(!tool_classes("send_money").contains(ActionClass::Contact));
        assert!(tool_classes("deleteAccount").contains(ActionClass::Delete));
        assert!(tool_classes("get_email").is_empty());
        assert!(tool_classes("draft_reply").is_empty());
        assert!(tool_classes("search_flights").is_empty());
        assert!(tool_classes("run_sql").is_empty());
        assert!(tool_classes("book_flight").contains(ActionClass::Purchase));
    }

    #[test]
    fn span_effects() {
        let s = SpanView::from_attributes("q", [("db.query.text", "UPDATE customers SET a=1")]);
        let e = Effects::of(&s);
        assert!(e.sql_write.is_some() && !e.deletes());
        let s = SpanView::from_attributes("q", [("http.request.method", "GET")]);
        let e = Effects::of(&s);
        assert!(e.http_write.is_none() && e.tool.is_empty() && !e.message_send);
        let s = SpanView::from_attributes("p", [("messaging.operation.type", "publish")]);
        assert!(Effects::of(&s).message_send);
    }
}
