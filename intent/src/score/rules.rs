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
use crate::text::{ActionClass, ClassSet, Lex, MAX_WORD, ident_parts, lexicon, stem_into, words};

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
    crate::text::words(text)
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
        let mut limit = None;
        let mut exclusive = false;
        let conditional =
            words(clause).any(|(_, w)| CONDITIONAL.iter().any(|c| w.eq_ignore_ascii_case(c)));
        if !scope && !conditional {
            let (negated, q) = negated_classes_with_objects(clause);
            classes = classes.union(negated);
            qualifiers = q;
        } else if !scope && let Some(m) = amount_limit(clause) {
            // "no refunds over 50 EUR": a condition that can be checked.
            classes = classes.union(negated_classes_with_objects(clause).0);
            limit = Some(m);
        } else if !scope && others_only(clause) {
            // "no other payments", "do not email anyone else": a condition
            // that can be checked against the targets the intent names.
            classes = classes.union(negated_classes_with_objects(clause).0);
            exclusive = true;
        }
        if !classes.is_empty() {
            out.push(Prohibition {
                classes,
                limit,
                exclusive,
                phrase: clause.to_owned(),
                qualifiers,
            });
        }
    }
    out
}

/// Whether the clause's only condition is "other" targets: "no other
/// payments", "do not email anyone else", "nobody besides the attendees".
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
    // After the negation, the verbs ("send, post or publish") are the ban;
    // later action words are what is acted on ("do not change the
    // *payment* method" bans changes, not payments).
    let mut verbs_open = false;
    let mut joined = false;
    let mut after_verb = false;
    let mut objects = Vec::new();
    let mut buf = [0u8; MAX_WORD];
    for (_, w) in words(clause) {
        if ["or", "and", "nor"]
            .iter()
            .any(|j| w.eq_ignore_ascii_case(j))
        {
            joined = after_verb;
            continue;
        }
        let Some(stem) = stem_into(w, &mut buf) else {
            continue;
        };
        match lexicon(stem) {
            Some(Lex::Negation) => {
                negated = true;
                verbs_open = true;
            }
            Some(Lex::Action(c, _)) if negated && (verbs_open || joined || after_verb) => {
                set.insert(c);
                verbs_open = false;
                after_verb = true;
                joined = false;
                continue;
            }
            Some(Lex::Stop) => {
                after_verb = false;
                continue;
            }
            _ if negated && !NOT_QUALIFIERS.iter().any(|n| w.eq_ignore_ascii_case(n)) => {
                if !set.is_empty() {
                    verbs_open = false;
                }
                objects.push(stem.to_owned());
            }
            _ => {}
        }
        joined = false;
        after_verb = false;
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
        let p = prohibitions(
            "Do not change the original order's payment method or shipping address",
            false,
        );
        assert_eq!(
            p[0].classes.iter().collect::<Vec<_>>(),
            [ActionClass::Modify]
        );
        assert!(p[0].qualifiers.iter().any(|q| q == "payment"));
        let c = classes("do not send, post or publish anything");
        assert!(c.contains(&ActionClass::Contact) && c.contains(&ActionClass::Publish));
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
}
