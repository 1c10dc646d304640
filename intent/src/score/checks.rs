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
    /// Stems that narrow the prohibition to some objects ("do not push *to
    /// main*", "no *hotel* bookings", "do not change *standing orders*"); empty
    /// for a flat ban. A span breaks a narrowed ban only if it names one.
    pub qualifiers: Vec<String>,
}

impl Prohibition {
    /// Whether the prohibition applies to a span that names these texts.
    pub(crate) fn applies_to(&self, texts: &[Option<&str>]) -> bool {
        self.qualifiers.is_empty()
            || self
                .qualifiers
                .iter()
                .any(|q| texts.iter().flatten().any(|t| names_stem(t, q)))
    }
}

/// Whether `text` names `stem`: "event" is named by "events" and
/// "delete_event", not by "eventually"; "configur" by "update_config".
fn names_stem(text: &str, stem: &str) -> bool {
    // Per word part (`update_config` gives `update`, `config`): the part
    // extends the stem by at most three letters ("events"), or abbreviates it
    // ("config" for "configuration", at least four letters).
    super::text::words(text)
        .flat_map(|(_, w)| ident_parts(w))
        .any(|part| {
            let (p, q) = (part.as_bytes(), stem.as_bytes());
            let extends = p.len() >= q.len()
                && p.len() - q.len() <= 3
                && p[..q.len()].eq_ignore_ascii_case(q);
            let abbreviates =
                p.len() >= 4 && p.len() < q.len() && q[..p.len()].eq_ignore_ascii_case(p);
            extends || abbreviates
        })
}

/// Classes whose ban is about *what* is acted on: their objects narrow them.
/// Contacting, advising and paying are banned whatever the object.
fn narrowable(c: ActionClass) -> bool {
    matches!(
        c,
        ActionClass::Modify
            | ActionClass::Delete
            | ActionClass::Create
            | ActionClass::Deploy
            | ActionClass::Purchase
    )
}

/// Words that do not narrow anything ("do not modify anything", "no changes
/// to existing events": `existing` says nothing about which events).
const NOT_QUALIFIERS: &[&str] = &[
    "anything",
    "anyone",
    "anybody",
    "everything",
    "everyone",
    "nothing",
    "existing",
    "any",
    "data",
    "records",
    "record",
    "the",
    "a",
    "an",
    "my",
    "our",
    "their",
    "your",
    "of",
    "or",
    "and",
    "way",
    "kind",
    "sort",
];

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

/// Tool-name parts that mean arbitrary command execution.
pub(crate) const SHELL: &[&str] = &["shell", "bash", "exec", "terminal", "command", "cmd", "sh"];

/// Words that make a constraint conditional ("no bookings over 600 EUR",
/// "no payments without approval"): not a flat prohibition the scorer can
/// enforce, so they stay text (coverage still tracks them).
const CONDITIONAL: &[&str] = &[
    "other",
    "others",
    "else",
    "outside",
    "external",
    "besides",
    "than",
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
            classes.insert(ActionClass::Create);
        }
        let mut qualifiers = Vec::new();
        if !scope
            && !words(clause).any(|(_, w)| CONDITIONAL.iter().any(|c| w.eq_ignore_ascii_case(c)))
        {
            let (negated, q) = negated_classes_with_objects(clause);
            classes = classes.union(negated);
            qualifiers = q;
        }
        if !classes.is_empty() {
            out.push(Prohibition {
                classes,
                phrase: clause.to_owned(),
                qualifiers,
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
    negated_classes_with_objects(clause).0
}

/// The negated classes of a clause and, when they are all narrowable, the
/// words that narrow them: content words between the negation and the verb
/// ("no *hotel* bookings") and after it ("do not change *standing orders*").
fn negated_classes_with_objects(clause: &str) -> (ClassSet, Vec<String>) {
    let mut set = ClassSet::default();
    let mut negated = false;
    let mut objects = Vec::new();
    let mut buf = [0u8; MAX_WORD];
    for (_, w) in words(clause) {
        let Some(stem) = stem_into(w, &mut buf) else {
            continue;
        };
        match lexicon(stem) {
            Some(Lex::Negation) => negated = true,
            Some(Lex::Action(c, _)) if negated => {
                set.insert(c);
            }
            Some(Lex::Stop) => {}
            _ if negated && !NOT_QUALIFIERS.iter().any(|n| w.eq_ignore_ascii_case(n)) => {
                objects.push(stem.to_owned());
            }
            _ => {}
        }
    }
    // Deleting and creating are writes too: "no writes" forbids them. A
    // narrowed ban ("do not push to main") stays on its own verb's class.
    if set.contains(ActionClass::Modify) && objects.is_empty() {
        set.insert(ActionClass::Delete);
        set.insert(ActionClass::Create);
    }
    if set.iter().all(narrowable) {
        (set, objects)
    } else {
        (set, Vec::new())
    }
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
    // A shell can do anything: treat it as a change, whatever verb precedes it.
    if ident_parts(name).any(|p| SHELL.iter().any(|s| p.eq_ignore_ascii_case(s))) {
        set.insert(ActionClass::Modify);
        return set;
    }
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
        if let Some(Lex::Action(c, _)) = lexicon(stem) {
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
        let p = prohibitions(
            "do not push to main; no hotel or car bookings; no writes",
            false,
        );
        assert_eq!(p[0].qualifiers, ["main"]);
        assert_eq!(p[1].qualifiers, ["hotel", "car"]);
        assert!(p[2].qualifiers.is_empty());
        assert!(p[0].applies_to(&[Some(r#"{"branch": "main"}"#)]));
        assert!(!p[0].applies_to(&[Some(r#"{"branch": "maintenance-x"}"#), Some("git_push")]));
        assert!(p[1].applies_to(&[Some("book_hotel")]));
        assert!(!p[1].applies_to(&[Some("book_flight")]));
        let p = prohibitions("no configuration changes", false);
        assert!(p[0].applies_to(&[Some("update_config")]));
        assert!(!p[0].applies_to(&[Some("update_ticket")]));
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
        assert!(classes("do not email anyone else").is_empty());
        assert!(classes("no other payments").is_empty());
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
