//! What an intent forbids in free text, compiled once per intent into rules
//! on effects.
//!
//! Guards state prohibitions in a grammar; constraints state them in prose
//! ("no writes", "read-only", "do not email anyone", "no payments", "no
//! refunds over 50 EUR"). Both end up as checks on the same [effects] of the
//! same acts, so a constraint without a guard is enforced the same way, only
//! reported with its own wording.
//!
//! [effects]: super::effects::Effects

use super::definitions::clauses;
use super::quantity::{Money, money};
use std::sync::LazyLock;

use crate::text::{
    ActionClass, ClassSet, Lex, MAX_WORD, Phrases, ident_parts, lexicon, stem_into, words,
};

/// A prohibition read from a constraint (or a read-only scope) clause.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prohibition {
    /// The classes of action it forbids.
    pub classes: ClassSet,
    /// For a ban above an amount ("no refunds over 50 EUR"): the amount; an
    /// act breaks it only with a larger amount.
    pub limit: Option<Money>,
    /// For a ban on *other* targets ("no other payments", "do not email
    /// anyone else"): only acts aimed at someone the intent does not name
    /// break it.
    pub exclusive: bool,
    /// For a contact ban that names its channel ("do not email the guests"):
    /// a message on another channel (a Slack post) does not break it.
    pub channel: Option<Channel>,
    /// The clause as written, quoted in evidence.
    pub phrase: String,
    /// Objects that narrow the prohibition ("do not push *to main*", "no
    /// *hotel* bookings", "do not change *standing orders*"), each as its
    /// stems separated by spaces; empty for a flat ban. A span breaks a
    /// narrowed ban only if it names one (see [`names_object`]).
    pub qualifiers: Vec<String>,
    /// Every object the ban names, narrowing or not: a ban on what the
    /// objective itself asks for ("book the flights"; "do not book through
    /// the partner link") is narrowed by them
    /// ([`Prohibition::narrow_to_objects`]).
    pub objects: Vec<String>,
    /// The systems a read-only clause is confined to ("read-only in
    /// Shopify and Akeneo"); empty when the ban holds everywhere. An act
    /// breaks a confined ban only if it names one of them.
    pub within: Vec<String>,
}

impl Prohibition {
    /// Narrows a flat ban to its objects. An intent calls this for a ban on
    /// classes its objective asks for: the ban cannot mean all of them.
    pub(crate) fn narrow_to_objects(&mut self) {
        if self.qualifiers.is_empty() && self.limit.is_none() && !self.exclusive {
            self.qualifiers.clone_from(&self.objects);
        }
    }

    /// Whether the prohibition applies to a span that names these texts.
    pub(crate) fn applies_to(&self, texts: &[Option<&str>]) -> bool {
        self.qualifiers.is_empty()
            || self.qualifiers.iter().any(|q| {
                names_object(q, |stem| {
                    texts.iter().flatten().any(|t| names_stem(t, stem))
                })
            })
    }

    /// Whether the prohibition applies to an act: its name, path and
    /// statement name what it acts on, and so do its arguments' keys and
    /// short values; long free text in them (a note, a body) mentions
    /// things without acting on them.
    pub(crate) fn applies_to_act(&self, names: &[Option<&str>], args: Option<&str>) -> bool {
        if !self.within.is_empty() && !self.names_system(names, args) {
            return false;
        }
        if self.qualifiers.is_empty() || self.applies_to(names) {
            return true;
        }
        let Some(args) = args else { return false };
        let short = short_parts(args);
        self.qualifiers
            .iter()
            .any(|q| names_object(q, |stem| short.iter().any(|t| names_stem(t, stem))))
    }
}

impl Prohibition {
    /// Whether an act names one of the systems the ban is confined to (its
    /// tool, statement, URL, destination, or an argument that is one token:
    /// a key, a `"system": "infinityqs"`; a phrase such as `"detected_by":
    /// "SPC alarm R1"` mentions a system without acting on it).
    fn names_system(&self, names: &[Option<&str>], args: Option<&str>) -> bool {
        let short = args.map(short_parts).unwrap_or_default();
        let texts = names.iter().flatten().copied().chain(
            short
                .iter()
                .map(String::as_str)
                // An address is whom an act writes to, not where it acts.
                .filter(|t| !t.trim().contains(char::is_whitespace) && !t.contains('@')),
        );
        let texts: Vec<&str> = texts.collect();
        // A qualified name (`ods.booking`, `bay_slots`) is named only whole.
        let (qualified, plain): (Vec<&String>, Vec<&String>) =
            self.within.iter().partition(|s| s.contains(['.', '_']));
        if qualified
            .iter()
            .any(|q| texts.iter().any(|t| super::pinned::names_id(t, q)))
        {
            return true;
        }
        texts.into_iter().any(|t| {
            // The whole word too: `InfinityQS` is one name, not `Infinity` and `QS`.
            words(t)
                .flat_map(|(_, w)| std::iter::once(w).chain(ident_parts(w)))
                .any(|part| {
                    plain
                        .iter()
                        .any(|s| part.len() >= s.len() && part[..s.len()].eq_ignore_ascii_case(s))
                })
        })
    }
}

/// A listed item the scope marks read-only after naming it: "Samsara
/// vehicle stats (odometer, fault codes) for those units, read only", "the
/// linked Blend application (documents and messages, read-only)". The mark
/// confines to the systems the item names (`samsara`, `blend`); an item
/// naming none ("the customers table, read only") and a clause that starts
/// with the mark ("Read only: ...") confine to nothing.
fn read_only_item(clause: &str, lower: &str) -> Vec<String> {
    const NOT_NAMES: &[&str] = &[
        "all",
        "any",
        "every",
        "everything",
        "each",
        "data",
        "access",
        "read",
        "this",
        "these",
        "those",
        "the",
        "its",
        "our",
        "their",
        "only",
        "no",
        "nothing",
    ];
    let Some(mark) = ["read-only", "read only", "readonly"]
        .iter()
        .filter_map(|k| lower.find(k))
        .min()
    else {
        return Vec::new();
    };
    let item = &clause[..mark];
    if words(item).all(|(_, w)| {
        [
            "the", "a", "an", "its", "our", "their", "your", "this", "that",
        ]
        .iter()
        .any(|d| w.eq_ignore_ascii_case(d))
    }) {
        return read_only_object(&clause[mark..]);
    }
    let mut buf = [0u8; MAX_WORD];
    let mut numbered = false;
    let mut names: Vec<String> = words(item)
        .map(|(_, w)| w)
        .filter(|w| {
            // A record's number (`BLD25-03141`) names rows, not a system:
            // what is read-only is then what the item calls them.
            let number = w.bytes().filter(u8::is_ascii_digit).count() >= 3;
            numbered |= number;
            w.len() >= 2
                && w.as_bytes()[0].is_ascii_uppercase()
                && !number
                && !NOT_NAMES.iter().any(|n| w.eq_ignore_ascii_case(n))
                && stem_into(w, &mut buf).is_some_and(|s| lexicon(s).is_none())
        })
        .map(str::to_ascii_lowercase)
        .collect();
    if names.is_empty() {
        names = read_only_subject(item);
    }
    // "the appellants' enforcement records on the reporting replica
    // (read-only)": the parenthesis marks what it follows, so its words
    // name what is read-only (and a write to the appeals console is not
    // a write to it). Only when the item names nothing else: a qualified
    // name below is more exact.
    let marked = names.is_empty() && (numbered || item.trim_end().ends_with('('));
    // A qualified name, however written, names its system: "(ods.booking,
    // read only)" confines to the `ods` schema's `booking` table.
    for token in item.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_')) {
        let token = token.trim_matches('.');
        if token.contains(['.', '_']) && token.bytes().any(|b| b.is_ascii_alphabetic()) {
            // Matched whole (see `names_system`), and by its table when
            // that is an identifier of its own (`bay_slots`).
            names.push(token.to_ascii_lowercase());
            if let Some((_, table)) = token.rsplit_once('.')
                && table.contains('_')
            {
                names.push(table.to_ascii_lowercase());
            }
        }
    }
    if marked && names.is_empty() {
        names = marked_phrase(item);
    }
    names
}

/// The stems of the content words of the phrase a parenthesised read-only
/// mark follows (from the last clause break before it), without words
/// that name no particular thing (`records`, `tables`, `data`).
fn marked_phrase(item: &str) -> Vec<String> {
    let phrase = item
        .trim_end_matches(['(', ',', ' '])
        .rsplit([':', ';', ','])
        .next()
        .unwrap_or("");
    // "... for this submission", "... for account 5571208": which rows, not
    // which thing.
    let phrase = phrase.split(" for ").next().unwrap_or(phrase);
    let mut buf = [0u8; MAX_WORD];
    words(phrase)
        .map(|(_, w)| w)
        .filter(|w| {
            w.len() >= 4
                && w.bytes().filter(u8::is_ascii_digit).count() < 3
                && !OBJECT_NOT_NAMES.iter().any(|g| w.eq_ignore_ascii_case(g))
        })
        .filter_map(|w| {
            let w = w.trim_end_matches("'s").trim_end_matches('\'');
            stem_into(w, &mut buf)
                .filter(|s| lexicon(s).is_none())
                .map(str::to_owned)
        })
        .collect()
}

/// The stems of the short subject a read-only mark is said of, in words
/// that name what is read-only: "Payments data is read-only" gives
/// `payment`, "The data mart is read only" gives `mart`. A subject that is
/// the work itself ("the session is read-only", "everything is read-only")
/// names nothing: the mark is global.
fn read_only_subject(item: &str) -> Vec<String> {
    const COPULAS: &[&str] = &["is", "are", "stays", "stay", "remains", "remain"];
    const THE_WORK: &[&str] = &[
        "session",
        "run",
        "task",
        "tasks",
        "job",
        "work",
        "agent",
        "assistant",
        "workflow",
        "process",
        "review",
        "analysis",
        "audit",
        "investigation",
        "everything",
        "all",
        "this",
        "that",
        "it",
        "access",
        "data",
        "the",
        "a",
        "an",
        "our",
        "your",
        "their",
        "its",
        "system",
        "systems",
        "mode",
        "triage",
        "pass",
    ];
    let subject = item
        .rsplit([':', ';', ',', '.', '(', ')'])
        .next()
        .unwrap_or(item);
    let ws: Vec<&str> = words(subject).map(|(_, w)| w).collect();
    let Some((last, rest)) = ws.split_last() else {
        return Vec::new();
    };
    if !COPULAS.iter().any(|c| last.eq_ignore_ascii_case(c)) || rest.is_empty() || rest.len() > 4 {
        return Vec::new();
    }
    let mut buf = [0u8; MAX_WORD];
    rest.iter()
        .filter(|w| w.len() >= 3 && !THE_WORK.iter().any(|n| w.eq_ignore_ascii_case(n)))
        .filter_map(|w| stem_into(w, &mut buf).map(str::to_owned))
        .collect()
}

/// What a tool's name says it acts on, as a stem: its last part that is
/// neither an action nor a word for any record at all (`uw_create_referral`
/// gives `referral`, `escalation_create` `escal`, `update_record` none).
pub(crate) fn tool_object(tool: &str) -> Option<String> {
    const ANY_RECORD: &[&str] = &[
        "record", "data", "item", "entry", "object", "resource", "row", "field", "value", "info",
        "detail", "status", "file", "api", "tool", "request",
    ];
    let mut buf = [0u8; MAX_WORD];
    // A short part names the object only at the end (`tms_create_job`); in
    // front it is a vendor or system prefix (`mews_`, `crm_`).
    let last = ident_parts(tool).count().saturating_sub(1);
    ident_parts(tool)
        .enumerate()
        .filter_map(|(i, part)| {
            let stem = stem_into(part, &mut buf)?;
            let generic = stem.len() < if i == last { 3 } else { 4 }
                || ANY_RECORD.contains(&stem)
                || matches!(
                    lexicon(stem),
                    Some(Lex::Action(..) | Lex::Stop | Lex::Negation)
                );
            (!generic).then(|| stem.to_owned())
        })
        .last()
}

/// Whether a read-only clause leaves alone an act the objective asks for by
/// name: "open a senior-underwriter referral" and `uw_create_referral`
/// under "the UW data mart's claim history (read only)". The act's object
/// must be one the objective names and the read-only phrase does not.
pub(crate) fn asked_by_objective(objective: &str, phrase: &str, tool: &str) -> bool {
    tool_object(tool).is_some_and(|o| names_stem(objective, &o) && !names_stem(phrase, &o))
}

/// Words that name no particular thing read-only (`records`, `data`,
/// `everything`), left out of what a read-only mark is said of.
const OBJECT_NOT_NAMES: &[&str] = &[
    "read",
    "only",
    "readonly",
    "access",
    "all",
    "any",
    "every",
    "everything",
    "data",
    "the",
    "its",
    "our",
    "their",
    "this",
    "these",
    "those",
    "and",
    "nor",
    "for",
    "from",
    "with",
    "into",
    "records",
    "record",
    "tables",
    "table",
    "files",
    "file",
    "systems",
    "system",
    "mode",
    "everywhere",
    "throughout",
    "except",
    "unless",
    "rows",
    "entries",
    "onto",
    "your",
];

/// The words of what a leading read-only mark qualifies: "read-only usage
/// records in the rating warehouse" gives `usage`, `rating`, `warehouse`;
/// "Read only: ..." and "read-only access" give none (the mark is global).
fn read_only_object(marked: &str) -> Vec<String> {
    let rest = marked.trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '-');
    if rest.trim_start().starts_with([':', ',', ';', '.', '(']) {
        return Vec::new();
    }
    let end = rest.find([':', ';', '.', '(', ',']).unwrap_or(rest.len());
    let mut buf = [0u8; MAX_WORD];
    // The phrase ends where another part of the clause starts ("the
    // read-only ERP replica *for lookups and* the SAP invoice API").
    const ENDS: &[&str] = &[
        "for", "and", "or", "but", "with", "to", "via", "except", "unless",
    ];
    let found: Vec<String> = words(&rest[..end])
        .map(|(_, w)| w)
        .take_while(|w| !ENDS.iter().any(|e| w.eq_ignore_ascii_case(e)))
        .filter(|w| {
            w.len() >= 3
                && !OBJECT_NOT_NAMES.iter().any(|n| w.eq_ignore_ascii_case(n))
                && stem_into(w, &mut buf).is_some_and(|s| lexicon(s).is_none())
        })
        .map(str::to_ascii_lowercase)
        .collect();
    found
}

/// The systems a read-only clause is confined to: "Read-only in Shopify
/// and Akeneo: ..." gives `shopify`, `akeneo`; a bare "read-only" none.
fn read_only_within(clause: &str) -> Vec<String> {
    let lower = clause.to_ascii_lowercase();
    let Some(at) = [
        "read-only in ",
        "read only in ",
        "read-only on ",
        "read only on ",
        "readonly in ",
    ]
    .iter()
    .filter_map(|k| lower.find(k).map(|i| i + k.len()))
    .min() else {
        return read_only_item(clause, &lower);
    };
    let rest = &clause[at..];
    let end = rest.find([':', ';', '.', '(']).unwrap_or(rest.len());
    words(&rest[..end])
        .map(|(_, w)| w)
        .filter(|w| {
            w.len() >= 3
                && !["and", "the", "or", "nor", "its", "our", "their"]
                    .iter()
                    .any(|s| w.eq_ignore_ascii_case(s))
        })
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The keys and short string values of JSON arguments (or the whole text
/// when it is short and not JSON).
pub(crate) fn short_parts(args: &str) -> Vec<String> {
    let t = args.trim();
    let Ok(v) = serde_json::from_str::<serde_json::Value>(t) else {
        return if t.len() <= 60 {
            vec![t.to_owned()]
        } else {
            Vec::new()
        };
    };
    let mut out = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    out.push(k.clone());
                    walk(x, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::String(s) if s.len() <= 60 => out.push(s.clone()),
            _ => {}
        }
    }
    walk(&v, &mut out);
    out
}

/// Heads of compound objects that say little on their own: "customer
/// *records*" is named by "customers".
const GENERIC_HEADS: &[&str] = &[
    "record", "data", "row", "entri", "entry", "item", "detail", "inform", "info", "field", "valu",
    "value", "list", "file", "document", "configur", "config", "setting",
];

/// Whether an object of a ban (its stems, space-separated) is named, `named`
/// telling whether one stem is. A compound is its head (the last noun) as
/// its nearest modifier narrows it: "change the *node group*" is about node
/// groups, not broken by a command naming a node; a generic head ("customer
/// records") is named by either.
fn names_object(object: &str, named: impl Fn(&str) -> bool) -> bool {
    // Its initials, as a word of their own, name a compound too ("po" for
    // "purchase order"); built on the stack, this runs per act.
    if object.contains(' ') && !object.contains('\'') {
        let mut initials = [b'='; 9];
        let mut n = 1;
        for w in object.split(' ') {
            match w.bytes().next() {
                Some(b) if b.is_ascii_alphanumeric() && n < initials.len() => {
                    initials[n] = b;
                    n += 1;
                }
                _ => n = 0,
            }
            if n == 0 {
                break;
            }
        }
        if n >= 3
            && let Ok(initials) = std::str::from_utf8(&initials[..n])
            && named(initials)
        {
            return true;
        }
    }
    let mut stems = object.rsplit(' ');
    let Some(head) = stems.next() else {
        return false;
    };
    // Systems call accounts users (`DELETE /users/{id}`, `disable_user`).
    let named_head = |h: &str| named(h) || (h == "account" && named("user"));
    match stems.next() {
        None => named_head(head),
        Some(modifier) if GENERIC_HEADS.contains(&head) => named(modifier) || named_head(head),
        // Every noun modifier narrows: a "prime contract change order" is
        // not a "commitment change order". Adjectives ("existing") do not.
        Some(modifier) => {
            named_head(head)
                && named(modifier)
                && stems.all(|m| ADJECTIVES.contains(&m) || named(m))
        }
    }
}

/// Modifier stems that describe a state, not a kind of thing: "existing
/// purchase orders" are named by `update_purchase_order`.
const ADJECTIVES: &[&str] = &[
    "exist", "current", "new", "old", "open", "activ", "pend", "approv", "draft", "futur", "past",
    "live", "other", "ani", "all", "their", "our", "same",
];

/// Whether `text` names `stem`: "event" is named by "events" and
/// "delete_event", not by "eventually"; "configur" by "update_config".
pub(crate) fn names_stem(text: &str, stem: &str) -> bool {
    // An identifier (`treasury_recon`) is named only by itself: a folder
    // "Treasury/Recon" is not that database.
    if stem.contains(['_', '.']) {
        return crate::text::contains_ci(text, stem);
    }
    // `=po`: the word part itself, not a longer one ("com" is no "co").
    if let Some(exact) = stem.strip_prefix('=') {
        return crate::text::words(text)
            .flat_map(|(_, w)| ident_parts(w))
            .any(|part| part.eq_ignore_ascii_case(exact));
    }
    // `+southerncrosstour`: a part that extends it, never one it abbreviates
    // ("status" is no "status update").
    if let Some(run) = stem.strip_prefix('+') {
        return crate::text::words(text)
            .flat_map(|(_, w)| ident_parts(w))
            .any(|part| {
                part.len() >= run.len()
                    && part.len() - run.len() <= 3
                    && part[..run.len()].eq_ignore_ascii_case(run)
            });
    }
    // Per word part (`update_config` gives `update`, `config`): the part
    // extends the stem by at most three letters ("events"), or abbreviates it
    // ("config" for "configuration", at least four letters and more than
    // half of the stem).
    crate::text::words(text)
        .flat_map(|(_, w)| ident_parts(w))
        .any(|part| {
            let (p, q) = (part.as_bytes(), stem.as_bytes());
            let extends = p.len() >= q.len()
                && p.len() - q.len() <= 3
                && p[..q.len()].eq_ignore_ascii_case(q);
            // More than half of it: "city" does not abbreviate "cityworks".
            let abbreviates = p.len() >= 4
                && p.len() < q.len()
                && 2 * p.len() > q.len()
                && q[..p.len()].eq_ignore_ascii_case(p);
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
            | ActionClass::Grant
            | ActionClass::Publish
    )
}

/// Words that do not narrow anything ("do not modify anything", "no changes
/// to existing events": `existing` says nothing about which events).
const NOT_QUALIFIERS: &[&str] = &[
    "through",
    "via",
    "using",
    "within",
    "without",
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

/// Words that make a constraint conditional ("no bookings over 600 EUR",
/// "no payments without approval"): not a flat prohibition the scorer can
/// enforce, so they stay text (coverage still tracks them).
const CONDITIONAL: &[&str] = &[
    "other", "others", "else", "outside", "external", "besides", "than", "unless", "over", "above",
    "more", "exceed", "exceeds", "except", "beyond", "larger", "greater", "until", "before",
    "after",
];

/// Whether a ban's object is limited by what it is or does ("do not
/// approve a request *that breaks the policy*", "customers *who* opted
/// out"): which ones the condition holds for is a judgement the scorer
/// cannot check, so the ban is not enforced on every act.
fn limited_by_relative_clause(clause: &str) -> bool {
    let ws: Vec<&str> = words(clause).map(|(_, w)| w).collect();
    let mut buf = [0u8; MAX_WORD];
    let verb_at = ws.iter().position(|w| {
        stem_into(w, &mut buf)
            .and_then(lexicon)
            .is_some_and(|l| matches!(l, Lex::Action(..)))
    });
    let Some(v) = verb_at else { return false };
    // After the verb and its object's first word, and with words after it.
    ws.iter().enumerate().skip(v + 2).any(|(i, w)| {
        ["that", "which", "who", "whose"]
            .iter()
            .any(|r| w.eq_ignore_ascii_case(r))
            && i + 1 < ws.len()
    })
}

/// Whether a ban waits for someone's approval ("no refunds without
/// approval", "do not send it until confirmed", "pending approval"): then
/// it cannot be checked. "Do not change the approval status" is a ban on
/// a field.
fn awaits_approval(clause: &str) -> bool {
    let ws: Vec<&str> = words(clause).map(|(_, w)| w).collect();
    let is = |w: &str, list: &[&str]| list.iter().any(|k| w.eq_ignore_ascii_case(k));
    ws.iter().enumerate().any(|(i, w)| {
        is(
            w,
            &[
                "approval",
                "approved",
                "confirm",
                "confirmed",
                "confirmation",
                "sign-off",
                "signoff",
            ],
        ) && (i.saturating_sub(3)..i).any(|j| {
            is(
                ws[j],
                &[
                    "without", "unless", "until", "before", "pending", "prior", "requires",
                    "require", "needs", "need", "after", "explicit", "written",
                ],
            )
        })
    })
}

/// Prohibitions in a constraints bullet (every clause) or a scope bullet
/// (read-only clauses only: scope states boundaries, not bans).
pub(crate) fn prohibitions(text: &str, scope: bool) -> Vec<Prohibition> {
    let mut out = Vec::new();
    for clause in clauses(text).flat_map(negations) {
        // An act reserved for someone else is a ban on the agent doing it,
        // on what the clause names only.
        if !scope
            && let Some(ban) = super::reservations::as_ban(clause)
                .or_else(|| super::reservations::proposed_only(clause))
        {
            for mut p in prohibitions(&ban, false) {
                p.phrase = clause.to_owned();
                p.narrow_to_objects();
                out.push(p);
            }
            continue;
        }
        let mut classes = ClassSet::default();
        let is_read_only = read_only(clause);
        if is_read_only {
            classes.insert(ActionClass::Modify);
            classes.insert(ActionClass::Delete);
            classes.insert(ActionClass::Create);
        }
        let negated = negated_parts(clause);
        // Most clauses of a task ban nothing: the reads below only narrow
        // or condition a ban.
        if !is_read_only && negated.classes.is_empty() {
            continue;
        }
        let mut qualifiers = Vec::new();
        let mut limit = None;
        let mut exclusive = false;
        let channels: Vec<Channel> = negated.verbs.iter().filter_map(|v| channel(v)).collect();
        let any_channel = negated.verbs.iter().any(|v| {
            channel(v).is_none()
                && [
                    "contact", "message", "notify", "reach", "send", "forward", "reply", "share",
                    "invite", "cc", "bcc", "respond", "outreach", "upload",
                ]
                .iter()
                .any(|k| v == k)
        });
        let ban_channel = (!any_channel && channels.len() == 1).then(|| channels[0]);
        // "Do not change the risk profile: they change only after Daniel's
        // meeting": what follows the colon explains the ban, its "after"
        // conditions nothing.
        let head = match clause.split_once(": ") {
            Some((ban, _))
                if negated
                    .verbs
                    .iter()
                    .any(|v| crate::text::contains_ci(ban, v)) =>
            {
                ban
            }
            _ => clause,
        };
        let conditional = words(head)
            .any(|(_, w)| CONDITIONAL.iter().any(|c| w.eq_ignore_ascii_case(c)))
            || awaits_approval(head)
            || limited_by_relative_clause(head);
        if !scope && !conditional {
            classes = classes.union(negated.classes);
            qualifiers.clone_from(&negated.qualifiers);
        } else if !scope && let Some(m) = amount_limit(clause) {
            // "no refunds over 50 EUR": a condition that can be checked.
            classes = classes.union(negated.classes);
            limit = Some(m);
        } else if !scope && names_then_others(clause) {
            // "Do not contact Veloce or any other supplier" bans Veloce too,
            // and whatever names the kind: narrowed by them, whoever they are.
            classes = classes.union(negated.classes);
            qualifiers.clone_from(&negated.objects);
        } else if !scope && others_only(clause) {
            // "no other payments", "do not email anyone else": a condition
            // that can be checked against the targets the intent names.
            classes = classes.union(negated.classes);
            exclusive = true;
        }
        if !classes.is_empty() {
            out.push(Prohibition {
                classes,
                limit,
                exclusive,
                channel: ban_channel,
                phrase: clause.to_owned(),
                qualifiers,
                objects: negated.objects,
                within: if is_read_only {
                    read_only_within(clause)
                } else {
                    Vec::new()
                },
            });
        }
    }
    out
}

/// A clause split where a new negation starts ("do not create purchase
/// orders and do not approve any payment" is two bans): each ban keeps
/// its own objects, so "payment" does not narrow the creation.
fn negations(clause: &str) -> impl Iterator<Item = &str> {
    const RESTARTS: &[&str] = &[
        " and do not ",
        " and don't ",
        " and never ",
        " and no ",
        ", do not ",
        ", don't ",
        ", never ",
        ", no ",
    ];
    // A statement, a colon, then a ban ("Deposit waivers are set by the
    // programs team after they verify eligibility: do not ..."): the ban is
    // a clause of its own, so the statement's "after" does not make it
    // conditional. After a ban or a read-only clause, the colon explains it
    // and the part after stays its own ("Read-only in Shopify: do not ...").
    const BAN_AFTER_COLON: &[&str] = &[": do not ", ": don't ", ": never "];
    // One automaton for both lists: this runs on every clause of every
    // delegation's task text.
    static CUTS: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(&[RESTARTS, BAN_AFTER_COLON].concat()));
    let mut cuts: Vec<usize> = CUTS
        .found(clause)
        .filter(|&(pattern, i)| {
            if pattern < RESTARTS.len() {
                return true;
            }
            let before = &clause[..i];
            !read_only(before)
                && !["not ", "never ", "no ", "don't "]
                    .iter()
                    .any(|n| crate::text::contains_ci(before, n))
        })
        .map(|(_, i)| i)
        .collect();
    // "Do not contact employees or managers: HR sends the reminders after
    // reviewing the page": what follows the colon is another sentence (its
    // "after" does not make the ban conditional). A lowercase continuation
    // ("Read-only in Workday: do not adjust balances") is the same clause.
    let b = clause.as_bytes();
    cuts.extend(
        clause
            .match_indices(": ")
            .map(|(i, _)| i)
            .filter(|i| b.get(i + 2).is_some_and(u8::is_ascii_uppercase))
            .map(|i| i + 1),
    );
    cuts.push(clause.len());
    cuts.sort_unstable();
    cuts.dedup();
    let mut from = 0;
    cuts.into_iter().filter_map(move |cut| {
        let part =
            clause[from..cut].trim_matches(|c: char| c == ',' || c == ':' || c.is_whitespace());
        from = cut;
        let part = part.strip_prefix("and ").unwrap_or(part).trim();
        (!part.is_empty()).then_some(part)
    })
}

/// Whether the clause's only condition is "other" targets: "no other
/// payments", "do not email anyone else", "nobody besides the attendees".
/// Whether a ban names someone and then the rest of their kind ("Veloce or
/// any other supplier"): nobody of the kind is allowed.
fn names_then_others(clause: &str) -> bool {
    let ws: Vec<&str> = words(clause).map(|(_, w)| w).collect();
    let is = |w: &str, k: &str| w.eq_ignore_ascii_case(k);
    ws.windows(3).enumerate().any(|(i, w)| {
        i > 0
            && w[0].starts_with(|c: char| c.is_ascii_uppercase())
            && (is(w[1], "or") || is(w[1], "nor"))
            && (is(w[2], "other")
                || (is(w[2], "any") && ws.get(i + 3).is_some_and(|x| is(x, "other"))))
    })
}

fn others_only(clause: &str) -> bool {
    const OTHERS: &[&str] = &["other", "others", "else", "besides"];
    const OTHER_CONDITIONS: &[&str] = &[
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
        "until",
        "before",
        "after",
        "without",
    ];
    let ws: Vec<&str> = words(clause).map(|(_, w)| w).collect();
    ws.iter()
        .any(|w| OTHERS.iter().any(|o| w.eq_ignore_ascii_case(o)))
        && !ws
            .iter()
            .any(|w| OTHER_CONDITIONS.iter().any(|o| w.eq_ignore_ascii_case(o)))
}

/// The amount in "over / above / more than / exceeding <amount>", when the
/// clause's only condition is that amount.
fn amount_limit(clause: &str) -> Option<Money> {
    const ABOVE: &[&str] = &[
        "over",
        "above",
        "more",
        "exceed",
        "exceeds",
        "exceeding",
        "beyond",
        "larger",
        "greater",
        "than",
    ];
    const OTHER: &[&str] = &[
        "unless",
        "approval",
        "approved",
        "confirm",
        "confirmation",
        "without",
        "except",
        "other",
        "others",
        "else",
        "outside",
        "external",
        "until",
        "before",
        "after",
    ];
    let ws: Vec<&str> = words(clause).map(|(_, w)| w).collect();
    if ws
        .iter()
        .any(|w| OTHER.iter().any(|o| w.eq_ignore_ascii_case(o)))
    {
        return None;
    }
    let above_at = ABOVE
        .iter()
        .filter_map(|a| crate::text::find_word_ci(clause, a, 0))
        .min()?;
    money(&clause[above_at..]).next().map(|(m, _)| m)
}

fn read_only(clause: &str) -> bool {
    let lower = |s: &str| crate::text::contains_ci(clause, s);
    lower("read-only")
        || lower("read only")
        || lower("readonly")
        || lower("read access")
        // "(SELECT only)", "with SELECTs only": a query that reads.
        || lower("select only")
        || lower("selects only")
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
    let n = negated_parts(clause);
    (n.classes, n.qualifiers)
}

/// The subject of a passive ban ("Vendor, customer and account records
/// are not edited", "posted entries must never be changed"), as objects:
/// the content words before the auxiliary that precedes the negation,
/// words in a row making one compound. Empty for an active clause.
fn passive_subject(clause: &str, ws: &[(usize, &str)]) -> Vec<String> {
    const AUXILIARIES: &[&str] = &[
        "is", "are", "was", "were", "be", "must", "may", "should", "shall", "can", "will",
    ];
    let mut buf = [0u8; MAX_WORD];
    let Some(neg) = ws.iter().position(|&(_, w)| {
        stem_into(w, &mut buf)
            .and_then(lexicon)
            .is_some_and(|l| l == Lex::Negation)
    }) else {
        return Vec::new();
    };
    let is_aux = |i: usize| AUXILIARIES.iter().any(|a| ws[i].1.eq_ignore_ascii_case(a));
    // "Credit limits are reported, not changed": the auxiliary comes
    // before an allowed participle, the negation after its comma.
    let aux = if neg > 0 && is_aux(neg - 1) {
        Some(neg - 1)
    } else if neg > 1
        && is_aux(neg - 2)
        && ws[neg - 1].1.len() > 4
        && ws[neg - 1].1.ends_with("ed")
        && clause[ws[neg - 1].0 + ws[neg - 1].1.len()..ws[neg].0].contains(',')
    {
        Some(neg - 2)
    } else {
        None
    };
    let passive = aux.is_some()
        // The participle: "edited", "changed", "sent" (not "do not edit").
        && ws[neg + 1..]
            .iter()
            .find(|(_, w)| !w.eq_ignore_ascii_case("be"))
            .is_some_and(|(_, w)| !is_base_verb(w));
    if !passive {
        return Vec::new();
    }
    let mut objects: Vec<String> = Vec::new();
    let mut prev_end = 0usize;
    let mut in_object = false;
    let aux = aux.unwrap_or(0);
    for &(at, w) in &ws[..aux] {
        let gap = &clause[prev_end.min(at)..at];
        prev_end = at + w.len();
        let continues = std::mem::take(&mut in_object) && gap.trim().is_empty();
        if DETERMINERS.iter().any(|d| w.eq_ignore_ascii_case(d))
            || NOT_QUALIFIERS.iter().any(|n| w.eq_ignore_ascii_case(n))
        {
            continue;
        }
        let Some(stem) = stem_into(w, &mut buf) else {
            continue;
        };
        if lexicon(stem).is_some() {
            continue;
        }
        let stem = stem.replace('-', " ");
        match objects.last_mut() {
            Some(last) if continues => {
                last.push(' ');
                last.push_str(&stem);
            }
            _ => objects.push(stem),
        }
        in_object = true;
    }
    objects
}

/// What a clause's negation bans.
struct Negated {
    classes: ClassSet,
    /// The objects, when they narrow the classes (see [`negated_parts`]).
    qualifiers: Vec<String>,
    /// Every object named, narrowing or not.
    objects: Vec<String>,
    /// The verbs as written.
    verbs: Vec<String>,
}

/// Words that open an object: after "or <verb>" they show the verb has an
/// object of its own ("or contact *anyone*", "or email *the* owner").
pub(crate) const DETERMINERS: &[&str] = &[
    "the", "a", "an", "any", "anyone", "anybody", "anything", "them", "it", "their", "his", "her",
    "its", "our", "your", "all", "every", "each", "no", "other", "others",
];

/// Whether `word` is an action verb in its base form ("contact", "email",
/// "delete"), not a noun form of one ("payments", "refunds").
pub(crate) fn is_base_verb(word: &str) -> bool {
    let mut buf = [0u8; MAX_WORD];
    let Some(stem) = stem_into(word, &mut buf) else {
        return false;
    };
    let base =
        word.len() == stem.len() || (word.len() == stem.len() + 1 && word.ends_with(['e', 'E']));
    base && matches!(lexicon(stem), Some(Lex::Action(c, _)) if c != ActionClass::Recommend)
}

/// The negated classes of a clause, the words that narrow them, and the
/// verbs as written.
fn negated_parts(clause: &str) -> Negated {
    let mut set = ClassSet::default();
    let mut verbs = Vec::new();
    let mut negated = false;
    // After the negation, the verbs ("send, post or publish") are the ban;
    // later action words are what is acted on ("do not change the
    // *payment* method" bans changes, not payments).
    let mut verbs_open = false;
    let mut joined = false;
    let mut after_verb = false;
    let mut prev_end = 0usize;
    let mut closed = false;
    let mut objects: Vec<String> = Vec::new();
    // Object words in a row are one compound ("the node group").
    let mut in_object = false;
    let mut first_after_negation = false;
    let mut verbal_negation = false;
    // After "of", words say whose the object is ("the amounts of any
    // *request*"), not another object.
    let mut attached = false;
    let mut buf = [0u8; MAX_WORD];
    let ws: Vec<(usize, &str)> = words(clause).collect();
    for (k, &(at, w)) in ws.iter().enumerate() {
        let comma = clause[prev_end.min(at)..at].contains(',');
        // "do not add bolt-ons: the account manager handles commercial
        // changes": after the colon the ban is explained, not extended.
        // Also when the ban names no verb: in "No account suspension,
        // lock or ban: account-level action is *proposed* in the
        // escalation" what follows says how it is done instead.
        if negated && clause[prev_end.min(at)..at].contains(':') {
            closed = true;
            verbs_open = false;
            after_verb = false;
        }
        let adjacent = clause[prev_end.min(at)..at].trim().is_empty();
        prev_end = at + w.len();
        let continues_object = std::mem::take(&mut in_object) && adjacent && !comma;
        if comma {
            attached = false;
        }
        if w.eq_ignore_ascii_case("of") && negated && !objects.is_empty() {
            attached = true;
            continue;
        }
        // "change orders *to Granite Ridge*", "bolt-ons *on any line*": for a
        // record, words after "to" or "on" say whose or where it is. For a
        // message or a payment they are its target.
        if (w.eq_ignore_ascii_case("to")
            || w.eq_ignore_ascii_case("on")
            || w.eq_ignore_ascii_case("in"))
            && negated
            && !objects.is_empty()
            && !set.is_empty()
            && [
                ActionClass::Contact,
                ActionClass::Transfer,
                ActionClass::Purchase,
            ]
            .iter()
            .all(|c| !set.contains(*c))
        {
            attached = true;
            continue;
        }
        if ["or", "and", "nor"]
            .iter()
            .any(|j| w.eq_ignore_ascii_case(j))
        {
            attached = false;
            // "do not write to any record or contact anyone": a verb with
            // an object of its own after "or" is another banned act, not
            // one more object of the first.
            let verb_follows = !w.eq_ignore_ascii_case("and")
                && negated
                && !closed
                && !set.is_empty()
                && ws.get(k + 1).is_some_and(|&(_, v)| is_base_verb(v))
                && ws
                    .get(k + 2)
                    .is_none_or(|&(_, d)| DETERMINERS.iter().any(|x| d.eq_ignore_ascii_case(x)));
            joined = after_verb || verb_follows;
            continue;
        }
        let listed = joined || (after_verb && comma);
        let Some(stem) = stem_into(w, &mut buf) else {
            continue;
        };
        // In a list of banned verbs a billing noun is a verb too: "do not
        // waive, reduce, refund or *invoice* fees" bans invoicing the fees.
        let lex = match lexicon(stem) {
            None if negated && listed && ["invoic", "bill"].contains(&stem) => {
                Some(Lex::Action(ActionClass::Create, false))
            }
            other => other,
        };
        match lex {
            Some(Lex::Negation) => {
                // A new negation starts a new ban: what follows qualifies its
                // verb, not the ones before ("do not create orders and do
                // not approve any *payment*").
                if negated && !set.is_empty() {
                    closed = true;
                }
                negated = true;
                verbs_open = true;
                first_after_negation = true;
                // "not", "never": a verb follows; "no", "without": a noun.
                verbal_negation = !["no", "none", "without"]
                    .iter()
                    .any(|n| w.eq_ignore_ascii_case(n));
            }
            Some(Lex::Action(c, _)) if negated && (verbs_open || listed) => {
                first_after_negation = false;
                closed = false;
                set.insert(c);
                verbs.push(w.to_ascii_lowercase());
                verbs_open = false;
                after_verb = true;
                joined = false;
                continue;
            }
            Some(Lex::Stop) => {
                after_verb = false;
                continue;
            }
            _ if attached => {}
            _ if negated
                && !closed
                && !NOT_QUALIFIERS.iter().any(|n| w.eq_ignore_ascii_case(n)) =>
            {
                // A word right after the negation and before any known
                // verb is likely a verb itself ("do not *resize* volumes"):
                // it compounds with nothing.
                let unknown_verb = std::mem::take(&mut first_after_negation) && set.is_empty();
                if !set.is_empty() {
                    verbs_open = false;
                }
                // A hyphenated word is a compound of its own ("partner-hotel").
                let stem = stem.replace('-', " ");
                match objects.last_mut() {
                    // The verb names the act it bans, as a word part of its
                    // own (`renew_coverage`), not a noun made of it
                    // (`save_renewal_worksheet`).
                    _ if unknown_verb && verbal_negation => {
                        objects.push(format!("={}", w.to_ascii_lowercase()));
                    }
                    Some(last) if continues_object => {
                        last.push(' ');
                        last.push_str(&stem);
                    }
                    _ => objects.push(stem.clone()),
                }
                // A possessor is no modifier ("the customer's plan").
                in_object = !unknown_verb && !stem.ends_with('\'');
            }
            _ => {}
        }
        joined = false;
        after_verb = false;
    }
    // "Vendor, customer and account records are not edited": in the
    // passive the objects come before the negation.
    if objects.is_empty() && !set.is_empty() {
        objects = passive_subject(clause, &ws);
    }
    // "Do not send or schedule the campaign": scheduling a send is sending.
    if set.contains(ActionClass::Contact) && verbs.iter().all(|v| v != "create" && v != "add") {
        set = set.minus(ClassSet(ActionClass::Create.bit()));
    }
    // Deleting and creating are writes too: "no writes" forbids them. A
    // narrowed ban ("do not push to main") stays on its own verb's class.
    if set.contains(ActionClass::Modify) && objects.is_empty() {
        set.insert(ActionClass::Delete);
        set.insert(ActionClass::Create);
    }
    // A compound written as one identifier names it too: `paymenthold`,
    // `vendorbill`, `nodegroup` (exactly that word part, see `names_stem`).
    let joined: Vec<String> = objects
        .iter()
        .filter(|o| !o.contains('\''))
        .filter_map(|o| {
            let mut stems = o.rsplit(' ');
            let head = stems.next()?;
            let modifier = stems.next()?;
            Some(format!("={modifier}{head}"))
        })
        .collect();
    // A name of three words or more is written as one in an address or a
    // host (`settlements@southerncrosstouring.com.au` for "Southern Cross
    // Touring"): all its stems run together name it.
    let run_together: Vec<String> = objects
        .iter()
        .filter(|o| !o.contains('\'') && o.split(' ').count() >= 3)
        .map(|o| format!("+{}", o.split(' ').collect::<String>()))
        .collect();
    objects.extend(joined);
    objects.extend(run_together);
    // A ban on contacting people cannot be narrowed by who they are (the
    // scorer does not know who is a customer), only by what is sent
    // ("never send passwords or credentials").
    let narrows = |c: ActionClass| {
        narrowable(c)
            || (c == ActionClass::Contact
                && !objects.is_empty()
                && !objects
                    .iter()
                    .flat_map(|o| o.split(' '))
                    .any(|o| PEOPLE.iter().any(|p| o.starts_with(p))))
    };
    let qualifiers = if set.iter().all(narrows) {
        objects.clone()
    } else {
        Vec::new()
    };
    Negated {
        classes: set,
        qualifiers,
        objects,
        verbs,
    }
}

/// Stems of words for people: a ban on contacting them names recipients.
const PEOPLE: &[&str] = &[
    "customer",
    "client",
    "user",
    "guest",
    "sponsor",
    "candidate",
    "applicant",
    "patient",
    "tenant",
    "vendor",
    "supplier",
    "partner",
    "employe",
    "staff",
    "member",
    "subscriber",
    "anyone",
    "anybody",
    "people",
    "person",
    "owner",
    "famil",
    "parent",
    "referee",
    "bank",
    "recipient",
    "contact",
    "lead",
    "prospect",
    "buyer",
    "seller",
    "driver",
    "carrier",
    "insured",
    "claimant",
    "provider",
    "doctor",
    "physician",
    "lawyer",
    "counsel",
    "them",
    "him",
    "her",
    "outside",
    "external",
    "third",
];

/// The channel a contact ban or a sending tool names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    /// Email.
    Email,
    /// Chat (Slack, Teams...).
    Chat,
    /// Text messages.
    Sms,
    /// Phone calls.
    Phone,
}

/// The channel a word names, if it names one.
pub(crate) fn channel(word: &str) -> Option<Channel> {
    let w = word.to_ascii_lowercase();
    Some(match w.as_str() {
        "email" | "emails" | "e-mail" | "mail" | "gmail" | "outlook" | "smtp" | "sendgrid"
        | "mailchimp" | "mailgun" | "ses" => Channel::Email,
        "slack" | "teams" | "discord" | "chat" | "telegram" | "whatsapp" | "mattermost" => {
            Channel::Chat
        }
        "sms" | "text" | "texts" | "twilio" => Channel::Sms,
        "call" | "phone" | "voice" | "dial" => Channel::Phone,
        _ => return None,
    })
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
    fn deciding_a_status_is_a_change_and_a_condition_is_not_checked() {
        let p = prohibitions("Do not close, accept or approve the SCAR", false);
        assert!(p[0].classes.contains(ActionClass::Modify), "{p:?}");
        assert_eq!(p[0].qualifiers, ["scar"], "{p:?}");
        // Which requests break the policy is a judgement: not enforced.
        assert!(prohibitions("Do not approve a request that breaks the policy", false).is_empty());
        // In a system, on a line: where, not what.
        let p = prohibitions(
            "do not approve or release any payment in Kyriba or a bank portal",
            false,
        );
        assert!(
            !p[0].applies_to_act(&[Some("kyriba_save_worksheet")], None),
            "{p:?}"
        );
    }

    #[test]
    fn a_long_name_run_together_in_an_address_names_it() {
        let p = prohibitions(
            "Do not contact Southern Cross Touring (the promoter) or the artist's team",
            false,
        );
        let mut narrowed = p[0].clone();
        narrowed.narrow_to_objects();
        let to =
            |addr: &str| format!(r#"{{"to": ["{addr}"], "body": "Refunds processed today."}}"#);
        assert!(
            narrowed.applies_to_act(
                &[Some("send_email")],
                Some(&to("settlements@southerncrosstouring.com.au"))
            ),
            "{narrowed:?}"
        );
        assert!(!narrowed.applies_to_act(&[Some("send_email")], Some(&to("m.khan@example.com"))));
    }

    #[test]
    fn a_compound_object_with_another_kind_is_not_named() {
        let p = prohibitions(
            "Do not create or change commitment change orders to Granite Ridge",
            false,
        );
        let args = r#"{"contract_id": 88, "title": "COR-031 Unforeseen rock", "status": "draft", "vendor": "Granite Ridge Earthworks"}"#;
        assert!(
            !p[0].applies_to_act(
                &[Some("procore_create_prime_contract_change_order")],
                Some(args)
            ),
            "{p:?}"
        );
        assert!(p[0].applies_to_act(
            &[Some("procore_update_commitment_change_order")],
            Some(args)
        ));
        let p = prohibitions(
            "do not add or remove bolt-ons on any line: the account manager handles commercial changes",
            false,
        );
        assert_eq!(p[0].qualifiers, ["bolt on", "=bolton"], "{p:?}");
        assert!(!p[0].applies_to_act(
            &[Some("porting_submit_port")],
            Some(r#"{"lines": ["07700 900123"], "loa": "LOA-88"}"#)
        ));
        // Adjectives do not narrow to another kind.
        let p = prohibitions("Do not change existing purchase orders", false);
        assert!(
            p[0].applies_to_act(&[Some("update_purchase_order")], None),
            "{p:?}"
        );
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
        // A sentence after a colon is not part of the ban before it.
        let p = prohibitions(
            "Do not contact employees or managers: HR sends the reminders after reviewing the page.",
            false,
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].classes.contains(ActionClass::Contact));
        assert_eq!(p[0].phrase, "Do not contact employees or managers");
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
        let p = prohibitions(
            "Do not change the original order's payment method or shipping address",
            false,
        );
        assert_eq!(
            p[0].classes.iter().collect::<Vec<_>>(),
            [ActionClass::Modify]
        );
        assert!(
            p[0].qualifiers
                .iter()
                .any(|q| q.ends_with("payment method")),
            "{:?}",
            p[0].qualifiers
        );
        assert!(p[0].applies_to(&[Some("update_payment_method")]));
        assert!(!p[0].applies_to(&[Some("record_payment")]));
        // A compound object is its head as its modifier narrows it: a command
        // naming a node does not change the node group; a generic head
        // ("records") is named by its modifier alone.
        let p = prohibitions("do not resize volumes or change the node group", false);
        assert!(p[0].applies_to(&[Some("eks_update_node_group")]), "{p:?}");
        assert!(
            p[0].applies_to(&[Some(r#"{"node_group": "ng-2"}"#)]),
            "{p:?}"
        );
        assert!(
            !p[0].applies_to(&[
                Some("ssm_send_command"),
                Some("clean logs on node ip-10-0-1-5")
            ]),
            "{p:?}"
        );
        assert!(p[0].applies_to(&[Some("ec2_modify_volume")]), "{p:?}");
        let p = prohibitions("never touch the node group", false);
        assert!(
            p.is_empty() || !p[0].applies_to(&[Some("node ip-10-0-1-5")]),
            "{p:?}"
        );
        let p = prohibitions("Do not create new purchase orders", false);
        assert!(p[0].applies_to(&[Some("erp_create_po")]), "initials: {p:?}");
        let p = prohibitions("do not change the customer's plan", false);
        assert!(
            p[0].applies_to(&[Some("update_plan")]),
            "a possessor is no modifier: {p:?}"
        );
        let p = prohibitions("do not delete any account", false);
        assert!(p[0].applies_to(&[Some("DELETE /v1.0/users/4f1c")]), "{p:?}");
        // After "of", words say whose the object is, not another object.
        let p = prohibitions(
            "Do not edit the amounts, dates or segments of any request",
            false,
        );
        assert!(!p[0].applies_to(&[Some("concur_approve_request")]), "{p:?}");
        assert!(p[0].applies_to(&[Some("update_segment")]), "{p:?}");
        // A preposition narrows nothing; the ban keeps its objects for an
        // intent that asks for what it bans.
        let mut p = prohibitions(
            "Do not book through the conference organiser's partner-hotel link",
            false,
        );
        assert!(!p[0].objects.iter().any(|o| o == "through"), "{p:?}");
        p[0].narrow_to_objects();
        assert!(
            !p[0].applies_to(&[Some("POST /v1/booking/flight-orders")]),
            "{p:?}"
        );
        assert!(
            p[0].applies_to(&[Some("book via partner-hotel link")]),
            "{p:?}"
        );
        // Read-only in a named system confines the ban to acts on it.
        let p = prohibitions(
            "Read-only in Shopify and Akeneo: do not change, revert or republish any price",
            false,
        );
        assert_eq!(p[0].within, ["shopify", "akeneo"]);
        assert!(!p[0].applies_to_act(
            &[Some("s3_put_object")],
            Some(r#"{"key": "price-audit.csv"}"#)
        ));
        assert!(p[0].applies_to_act(&[Some("shopify_update_price")], None));
        assert!(prohibitions("read-only", false)[0].within.is_empty());
        // A query that only selects reads.
        let p = prohibitions("Take the dates from the AMOS replica (SELECT only)", false);
        assert!(
            p.iter().any(|p| p.classes.contains(ActionClass::Modify)),
            "{p:?}"
        );
        // A listed item marked read-only after it is named: only its systems.
        let p = prohibitions(
            "Samsara vehicle stats (odometer, engine hours, fault codes) for those units, read only",
            true,
        );
        assert_eq!(p[0].within, ["samsara"], "{p:?}");
        // An address at the system's domain is a recipient, not the system.
        assert!(!p[0].applies_to_act(
            &[Some("zendesk_update_ticket")],
            Some(r#"{"assignee_email": "ops@samsara-fleet.example"}"#)
        ));
        assert!(p[0].applies_to_act(
            &[Some("zendesk_update_ticket")],
            Some(r#"{"system": "samsara"}"#)
        ));
        // A lowercase qualified name confines too.
        let p = prohibitions(
            "the customer's two accounts in the core banking booking history (ods.booking, read only)",
            true,
        );
        assert_eq!(p[0].within, ["ods.booking"], "{p:?}");
        assert!(!p[0].applies_to_act(&[Some("actimize_add_narrative")], None));
        assert!(p[0].applies_to_act(&[Some("UPDATE ods.booking SET amount = 0")], None));
        let p = prohibitions(
            "the Omaha bay schedule in shopdb (shop.bay_slots, read only)",
            true,
        );
        assert!(
            !p[0].applies_to_act(
                &[Some("fleetio_create_work_order")],
                Some(r#"{"bay": "3"}"#)
            ),
            "{p:?}"
        );
        // A record's number is no system: the item's own words confine.
        let p = prohibitions(
            "fees.schedule_fy2026 and the intake invoice of BLD25-03141 in fees.invoice, read-only",
            true,
        );
        assert!(!p[0].within.iter().any(|w| w.contains("bld25")), "{p:?}");
        assert!(!p[0].applies_to_act(
            &[Some("accela_set_intake_result")],
            Some(r#"{"record": "BLD25-03141"}"#)
        ));
        let p = prohibitions("the MRA-251108 seat map, read only", true);
        assert_eq!(p[0].within, ["seat"], "{p:?}");
        assert!(!p[0].applies_to_act(
            &[Some("stripe_submit_dispute_evidence")],
            Some(r#"{"event": "MRA-251108"}"#)
        ));
        assert!(p[0].applies_to_act(&[Some("seatmap_update_seat")], None));
        // An argument phrase mentioning the system does not act on it.
        let p = prohibitions(
            "the InfinityQS SPC database (read only) for part VB-220",
            true,
        );
        assert!(!p[0].applies_to_act(
            &[Some("qms_create_ncr")],
            Some(r#"{"detected_by": "SPC alarm R1 2025-11-25 02:47", "part": "VB-220"}"#)
        ));
        assert!(
            p[0].applies_to_act(
                &[Some("update_limits")],
                Some(r#"{"system": "InfinityQS", "ucl": 18.013}"#)
            ),
            "{p:?}"
        );
        let p = prohibitions(
            "the linked Blend application (documents and borrower messages, read-only)",
            true,
        );
        assert_eq!(p[0].within, ["blend"], "{p:?}");
        let p = prohibitions(
            "the read-only ERP replica for lookups and the SAP invoice API for posting",
            true,
        );
        assert_eq!(p[0].within, ["erp", "replica"], "{p:?}");
        // A parenthesised mark confines to the phrase it follows.
        let p = prohibitions(
            "the appellants' enforcement records on the reporting replica (read-only)",
            true,
        );
        assert!(
            !p[0].applies_to_act(
                &[Some(
                    "POST https://console.example/api/v2/appeals/drafts:batchCreate"
                )],
                None
            ),
            "{p:?}"
        );
        assert!(
            p[0].applies_to_act(&[Some("enforcement_strike_update")], None),
            "{p:?}"
        );
        let p = prohibitions(
            "the device-link and bans tables of the trust warehouse (read-only)",
            true,
        );
        assert!(
            !p[0].applies_to_act(&[Some("content_actions_apply")], None),
            "{p:?}"
        );
        assert!(
            p[0].applies_to_act(&[Some("UPDATE trust.bans SET lifted = 1")], None),
            "{p:?}"
        );
        // A leading mark confines to what it qualifies.
        let p = prohibitions("read-only usage records in the rating warehouse", true);
        assert!(
            !p[0].applies_to_act(&[Some("crm_update_case")], None),
            "{p:?}"
        );
        assert!(p[0].applies_to_act(&[Some("UPDATE rating.usage_records SET rated = 0")], None));
        for global in [
            "the customers table, read only",
            "read-only access for this run",
            "Read-only everywhere",
            "Read only: no changes anywhere",
            "All data is read-only",
        ] {
            let p = prohibitions(global, true);
            assert!(p[0].within.is_empty(), "{global}: {p:?}");
        }
        // What follows the colon explains the ban; it bans nothing.
        let p = prohibitions(
            "No account suspension, lock or ban from this run: account-level action is proposed \
             in the escalation and applied only by a human reviewer",
            false,
        );
        assert!(
            p.iter()
                .all(|p| !p.classes.contains(ActionClass::Recommend)),
            "{p:?}"
        );
        // A passive ban names its objects before the negation.
        let p = prohibitions("Vendor, customer and account records are not edited", false);
        assert!(
            !p[0].applies_to_act(&[Some("enqueue_close_job")], None),
            "{p:?}"
        );
        assert!(
            p[0].applies_to_act(&[Some("update_vendor_bank_details")], None),
            "{p:?}"
        );
        let p = prohibitions("posted entries must not be changed", false);
        assert!(
            p[0].applies_to_act(&[Some("journal_entry_update")], None),
            "{p:?}"
        );
        assert!(
            !p[0].applies_to_act(&[Some("workpaper_update")], None),
            "{p:?}"
        );
        // What is allowed, then after a comma what is not.
        let p = prohibitions("Credit limits are reported, not changed", false);
        assert!(
            !p[0].applies_to_act(&[Some("outlook_create_draft")], None),
            "{p:?}"
        );
        assert!(
            p[0].applies_to_act(&[Some("credit_limit_update")], None),
            "{p:?}"
        );
        // The active form is unchanged: a flat ban.
        let p = prohibitions("do not edit anything", false);
        assert!(
            p[0].applies_to_act(&[Some("workpaper_update")], None),
            "{p:?}"
        );
        let p = prohibitions("no writes to treasury_recon", false);
        assert!(
            !p[0].applies_to(&[Some("save_workbook Treasury/Reconciliations/2025-W47")]),
            "{p:?}"
        );
        assert!(
            p[0].applies_to(&[Some("INSERT INTO treasury_recon.matches VALUES (1)")]),
            "{p:?}"
        );
        // A ban on the approval status is a ban on a field; one that waits
        // for an approval cannot be checked.
        let p = prohibitions(
            "Do not change vendor bills, payment holds, approval status or bank details",
            false,
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].applies_to_act(
            &[Some("netsuite_update_record")],
            Some(r#"{"record_type": "vendorbill", "fields": {"paymenthold": false}}"#)
        ));
        assert!(!p[0].applies_to_act(
            &[Some("netsuite_update_record")],
            Some(r#"{"record_type": "customer"}"#)
        ));
        assert!(prohibitions("no refunds without approval", false).is_empty());
        // Someone named, then the rest of their kind: all of it is banned.
        let p = prohibitions("Do not contact Veloce or any other supplier", false);
        assert!(
            p[0].classes.contains(ActionClass::Contact) && !p[0].exclusive,
            "{p:?}"
        );
        assert!(prohibitions("do not email anyone else", false)[0].exclusive);
        // A statement, a colon, then the ban: the ban is not conditional.
        let p = prohibitions(
            "Deposit waivers are set only by the programs team after they verify eligibility: do not reduce a deposit",
            false,
        );
        // The statement reserves setting waivers for the programs team: a
        // ban of its own, on waivers only.
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].qualifiers[0], "deposit waiver");
        assert_eq!(p[1].phrase, "do not reduce a deposit");
        let p = prohibitions("do not delete customer records", false);
        assert!(
            p[0].applies_to(&[Some("DELETE FROM customers WHERE id = 4")]),
            "{p:?}"
        );
        let c = classes("do not send, post or publish anything");
        assert!(c.contains(&ActionClass::Contact) && c.contains(&ActionClass::Publish));
        let p = prohibitions("Do not create purchase orders or contracts", false);
        assert_eq!(
            p[0].classes.iter().collect::<Vec<_>>(),
            [ActionClass::Create]
        );
        // Two bans in one sentence keep their own objects.
        let p = prohibitions(
            "Do not create purchase orders or contracts and do not approve any payment",
            false,
        );
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(!p[0].qualifiers.iter().any(|q| q == "payment"), "{p:?}");
        assert!(p[0].applies_to(&[Some("create purchase order 4411")]));
        assert!(!p[0].applies_to(&[Some("create supplier, payment term Net 60")]));
        assert_eq!(p[1].phrase, "do not approve any payment");
        let p = prohibitions(
            "never send passwords, credentials or certificates to anyone",
            false,
        );
        assert!(
            p[0].qualifiers.iter().any(|q| q == "password"),
            "narrowed by what is sent: {p:?}"
        );
        let p = prohibitions("do not email customers or vendors", false);
        assert!(
            p[0].qualifiers.is_empty(),
            "recipients cannot narrow: {p:?}"
        );
        let p = prohibitions("Do not email the guests or their sponsors", false);
        assert_eq!(p[0].channel, Some(Channel::Email));
        assert_eq!(
            prohibitions("do not contact customers", false)[0].channel,
            None
        );
        let p = prohibitions("Do not send or schedule the campaign", false);
        assert_eq!(
            p[0].classes.iter().collect::<Vec<_>>(),
            [ActionClass::Contact]
        );
    }

    #[test]
    fn a_ban_above_an_amount_keeps_its_limit() {
        let p = prohibitions("no bookings over 600 EUR", false);
        assert_eq!(p.len(), 1);
        assert!(p[0].classes.contains(ActionClass::Purchase));
        let limit = p[0].limit.unwrap();
        assert_eq!((limit.amount, limit.currency_str()), (600.0, "EUR"));
    }

    #[test]
    fn conditional_or_positive_constraints_do_not_map() {
        assert!(classes("no bookings without approval").is_empty());
        assert!(classes("no refunds above the original charge").is_empty());
        let p = prohibitions("do not email anyone else; no other payments", false);
        assert!(p.iter().all(|p| p.exclusive), "{p:?}");
        assert!(classes("do not email anyone outside the team").is_empty());
        assert!(classes("keep the tone neutral; cite the ticket number").is_empty());
        assert!(prohibitions("contact the customer only by email", true).is_empty());
    }

    #[test]
    fn a_tool_names_its_object_by_its_last_particular_part() {
        assert_eq!(
            tool_object("uw_create_referral").as_deref(),
            Some("referral")
        );
        assert_eq!(tool_object("escalation_create").as_deref(), Some("escal"));
        assert_eq!(tool_object("update_record"), None);
        assert_eq!(tool_object("tms_create_job").as_deref(), Some("job"));
        assert_eq!(tool_object("mews_update_reservation"), None);
        assert_eq!(tool_object("send"), None);
        let objective = "Prepare the renewal, save a draft quote and open a senior-underwriter referral where the guidelines require one.";
        let phrase = "the UW data mart's claim and premium history (read only)";
        assert!(asked_by_objective(objective, phrase, "uw_create_referral"));
        // Not asked for by the objective, or the very thing marked read-only.
        assert!(!asked_by_objective(
            objective,
            phrase,
            "uw_update_claim_history"
        ));
        assert!(!asked_by_objective(objective, phrase, "uw_post_adjustment"));
    }

    #[test]
    fn a_part_abbreviates_a_stem_only_by_more_than_half_of_it() {
        assert!(names_stem("update_config", "configur"));
        assert!(names_stem("the events table", "event"));
        // "city" is no abbreviation of "Cityworks".
        assert!(!names_stem("Utility-owned pole. No city crew.", "citywork"));
        let p = prohibitions("Do not create, edit or close anything in Cityworks", false);
        assert!(!p[0].applies_to_act(
            &[Some("fh311_update_cases")],
            Some(r#"{"case": "00486031", "note": "No city crew."}"#)
        ));
        assert!(p[0].applies_to_act(&[Some("cityworks_update_work_order")], None));
    }
}
