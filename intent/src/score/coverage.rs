//! Coverage: how much of the root's scope and constraints a contraction still
//! carries. Low coverage is the trace going thin, visible at the delegation,
//! before any wrong action.

use super::definitions::{Departure, TermDefinition, TextValues, clauses, departure_in};
use super::prepared::PreparedIntent;
use super::quantity::durations;
use super::rules::{negated_classes, prohibitions};
use super::stems::StemList;
use super::task::asks_for;
use crate::text::{ActionClass, ClassSet};
use crate::text::{Lex, MAX_WORD, WordMap, lexicon, stem_into, words};

/// What a contraction carries of its root.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// Share of the root's definitions, boundaries and constraints carried, in [0, 1].
    /// 1.0 when the root has none.
    pub value: f32,
    /// The root clauses the contraction lost, as written in the root.
    pub lost: Vec<String>,
    /// Root terms the contraction redefines, each `<term>: <what it says instead>`.
    pub redefined: Vec<String>,
}

/// Share of the clauses' content words a contraction must repeat for a clause
/// with no better test (a boundary, a tone) to count as carried.
const WORDS_CARRIED: f32 = 0.6;

/// Measures what `contraction` (the text handed to a delegate, or a child
/// spec's bullets and guards) carries of `root`'s scope, constraints and `define` guards.
pub fn coverage(root: &PreparedIntent, contraction: &str) -> Coverage {
    coverage_asking(root, contraction, asks_for(contraction))
}

/// [`coverage`], given what the contraction asks for (`asks_for` of it),
/// which the scorer has already read.
pub(crate) fn coverage_asking(
    root: &PreparedIntent,
    contraction: &str,
    asks: ClassSet,
) -> Coverage {
    let stems = stem_set(contraction);
    // A task that leaves the means open ("however is quickest") may do
    // anything: every ban bears on it.
    let asks = if super::latitude::open_means(contraction).is_some() {
        ActionClass::ALL
            .into_iter()
            .filter(|c| *c != ActionClass::Recommend)
            .fold(asks, |mut set, c| {
                set.insert(c);
                set
            })
    } else {
        asks
    };
    // Read as constraints, a text's bans include what it bans read as scope
    // (its read-only clauses): one reading is enough for their classes.
    let carried_prohibitions = prohibitions(contraction, false)
        .iter()
        .fold(negated_classes(contraction), |acc, p| acc.union(p.classes));
    let relevance = Relevance::of(contraction, &stems, asks);
    // A delegate doing the objective's own work (it names what the objective
    // names) needs the rules the objective itself points at: "screen the
    // applicants against the job criteria" makes "Criteria: ..." the
    // screener's business, whatever words its task uses.
    let objective_work = root.words.objective.shares(&stems, 2);
    let mut total = 0usize;
    let mut carried = 0usize;
    let mut lost = Vec::new();
    let mut redefined = Vec::new();
    let mut seen_terms: Vec<&str> = Vec::new();

    let values = TextValues::new(contraction);
    for d in &root.definitions {
        if let Some(dep) = departure_in(d, &values) {
            if let Departure::Value { found, .. } = &dep
                && super::definitions::another_definitions_value(found, d, root.definitions.iter())
            {
                continue;
            }
            redefined.push(format!("{}: {}", d.term, describe(&dep)));
        }
    }
    // A delegate needs what bears on its task: the definitions of what it
    // handles, the bans on what it may do. A brief writer does not need the
    // calendar rules; a query agent needs the definition it filters by.
    // Define guards are items of their own; the scope's definitions are its clauses.
    for (i, d) in root
        .definitions
        .iter()
        .enumerate()
        .filter(|(_, d)| d.rule.is_some())
    {
        seen_terms.push(&d.term);
        let words = &root.words.definitions[i];
        if !relevance.definition(&root.own_definitions[i], words) {
            continue;
        }
        total += 1;
        if definition_carried(d, words, contraction, &stems) {
            carried += 1;
        } else {
            if partly_carried(d, contraction) {
                redefined.push(format!(
                    "{}: keeps part of \"{}\" and drops the rest",
                    d.term, d.text
                ));
            }
            lost.push(format!("define {} = {}", d.term, d.text));
        }
    }
    for c in &root.clauses {
        let clause = c.text.as_str();
        if let Some((i, d)) = c
            .definition
            .and_then(|i| root.definitions.get(i).map(|d| (i, d)))
        {
            let words = &root.words.definitions[i];
            if seen_terms.contains(&d.term.as_str())
                || !relevance.definition(&root.own_definitions[i], words)
            {
                continue; // counted with its guard, or not this delegate's business
            }
            total += 1;
            if definition_carried(d, words, contraction, &stems) {
                carried += 1;
            } else {
                lost.push(clause.to_owned());
            }
            continue;
        }
        let banned = c.banned;
        let pointed_at = objective_work && banned.is_empty() && c.named_by_objective;
        if !pointed_at && !relevance.clause(c) {
            continue;
        }
        total += 1;
        // The bans that bear on this delegate must be carried; a data
        // analyst need not be told not to email anyone.
        let needed = relevance.bearing(banned);
        let by_check = !needed.is_empty() && carried_prohibitions.0 & needed.0 == needed.0;
        // A scope clause that only lists what is in scope (no ban, no
        // definition) is a boundary: a delegate given part of it is
        // contracted, not thinned.
        let boundary = !c.constraint && banned.is_empty() && !c.restricts;
        if boundary || by_check || words_carried(c, &stems) || label_carried(c, &stems) {
            carried += 1;
        } else {
            lost.push(clause.to_owned());
        }
    }
    let value = if total == 0 {
        1.0
    } else {
        carried as f32 / total as f32
    };
    Coverage {
        value,
        lost,
        redefined,
    }
}

/// A definition without the other defined terms its text uses: "headroom
/// = ... over the reporting window" is not a cost analyst's business because
/// its task names the reporting window (that is the other term's).
pub(crate) fn own_words(d: &TermDefinition, all: &[TermDefinition]) -> TermDefinition {
    let mut text = d.text.clone();
    for other in all.iter().filter(|o| o.term != d.term) {
        while let Some((at, end)) = super::definitions::find_term(&text, &other.term, 0) {
            text.replace_range(at..end, " ");
        }
    }
    TermDefinition { text, ..d.clone() }
}

/// A clause of a root's scope or constraints, as [`coverage`] weighs it.
#[derive(Debug, Clone)]
pub(crate) struct RootClause {
    /// The clause as written.
    text: String,
    /// The definition it states, by index into the intent's definitions.
    definition: Option<usize>,
    /// The classes of action its bans cover.
    banned: ClassSet,
    /// Whether a ban is narrowed to some objects ("no writes to billing").
    narrowed: bool,
    /// Whether it is a clause of the constraints (else of the scope).
    constraint: bool,
    /// Whether it states a rule rather than listing what is in scope ([`restricts`]).
    restricts: bool,
    /// Whether the objective names it by its label ([`named_by_objective`]).
    named_by_objective: bool,
    /// Its content words, and its words but stop words.
    content: StemList,
    non_stop: StemList,
    /// The stems of its label, when it opens with a name a task can carry
    /// it by ([`label_carried`]).
    label: Option<StemList>,
}

/// The stemmed words of an intent's objective and definitions, read once
/// ([`StemList`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct IntentWords {
    pub objective: StemList,
    /// One per definition, in the intent's order.
    pub definitions: Vec<DefinitionWords>,
}

/// The content words of one definition.
#[derive(Debug, Clone, Default)]
pub(crate) struct DefinitionWords {
    term: StemList,
    text: StemList,
    /// Of its text without the other defined terms ([`own_words`]).
    own_text: StemList,
}

impl IntentWords {
    pub(crate) fn new(
        objective: &str,
        definitions: &[TermDefinition],
        own_definitions: &[TermDefinition],
    ) -> IntentWords {
        IntentWords {
            objective: StemList::content(objective),
            definitions: definitions
                .iter()
                .zip(own_definitions)
                .map(|(d, own)| DefinitionWords {
                    term: StemList::content(&d.term),
                    text: StemList::content(&d.text),
                    own_text: StemList::content(&own.text),
                })
                .collect(),
        }
    }
}

/// The clauses of a spec's scope and constraints, read for coverage.
pub(crate) fn root_clauses(
    spec: &crate::IntentSpec,
    definitions: &[TermDefinition],
    vocab: &WordMap<f32>,
) -> Vec<RootClause> {
    clauses(&spec.scope)
        .map(|c| (c, false))
        .chain(clauses(&spec.constraints).map(|c| (c, true)))
        .map(|(clause, is_constraint)| {
            let definition = definitions.iter().position(|d| clause_defines(clause, d));
            let rules = prohibitions(clause, !is_constraint);
            RootClause {
                text: clause.to_owned(),
                definition,
                banned: rules
                    .iter()
                    .fold(ClassSet::default(), |a, p| a.union(p.classes)),
                narrowed: rules.iter().any(|r| !r.qualifiers.is_empty()),
                constraint: is_constraint,
                restricts: restricts(clause),
                named_by_objective: named_by_objective(vocab, clause),
                content: StemList::content(clause),
                non_stop: StemList::non_stop(clause),
                label: carrying_label(clause),
            }
        })
        .collect()
}

pub(crate) fn describe(dep: &Departure<'_>) -> String {
    match dep {
        Departure::Value { anchor, found } => format!("`{anchor}` with {found}"),
        Departure::Widened { anchor } => format!("filter on `{anchor}` widened with OR"),
        Departure::Range { found } => format!("the dates `{found}`"),
        Departure::Hours { found } => format!("the time `{found}`"),
    }
}

/// A scope clause defines a term when it names it and has the shape of a
/// definition (`=`, `means`, `defined as`), whichever source won the term.
fn clause_defines(clause: &str, d: &TermDefinition) -> bool {
    let starts_with_term = crate::text::find_word_ci(clause, &d.term, 0).is_some_and(|p| p < 8);
    starts_with_term
        && (clause.contains('=')
            || crate::text::find_word_ci(clause, "means", 0).is_some()
            || crate::text::contains_ci(clause, "defined as"))
}

/// A definition is carried when the contraction names the term or its column
/// and, if it fixes a value, states that value.
fn definition_carried(
    d: &TermDefinition,
    words: &DefinitionWords,
    contraction: &str,
    stems: &WordMap<()>,
) -> bool {
    // Named by its term or column, or restated by its own words ("engaged
    // (opened or clicked in the last 90 days)").
    // Or by most of its words with its very value ("net surplus
    // compensation = surplus kWh x USD 0.0391 per kWh" carries "net surplus
    // compensation rate = USD 0.0391 per kWh").
    if !d.is_used_in(contraction) {
        let stated = !d.value_text.is_empty()
            && crate::text::contains_ci(contraction, &d.value_text)
            // A term of one content word ("MEL category B interval")
            // is restated by that word and its very value.
            && words.term.shares(stems, words.term.len().clamp(1, 2));
        if !stated && !words.text.shares(stems, 2) {
            return false;
        }
    }
    // Every value it fixes: "GBP 9.98 per day after the first two full
    // working days" is not carried by "GBP 9.98 per day".
    if d.values.is_empty() {
        return value_carried(d, d.value, contraction);
    }
    d.values
        .iter()
        .all(|v| value_carried(d, Some(*v), contraction))
}

/// A definition of several values handed down with some of them: "pay
/// GBP 9.98 per day" for "GBP 9.98 per calendar day after the first two
/// full working days" restates the term without its condition.
fn partly_carried(d: &TermDefinition, contraction: &str) -> bool {
    d.values.len() >= 2
        && super::definitions::find_term(contraction, &d.term, 0).is_some()
        && d.values
            .iter()
            .any(|v| value_carried(d, Some(*v), contraction))
}

fn value_carried(
    d: &TermDefinition,
    value: Option<super::definitions::Value>,
    contraction: &str,
) -> bool {
    use super::definitions::Value;
    match value {
        Some(Value::Days(days)) => durations(contraction).any(|x| !x.differs_from(days)),
        Some(Value::Money(m)) => super::quantity::money(contraction)
            .any(|(x, _)| x.comparable(&m) && !x.differs_from(&m)),
        // The first value is quoted as written; another one by its number.
        Some(v @ (Value::Percent(x) | Value::Number(x))) => {
            if Some(v) == d.value {
                crate::text::contains_ci(contraction, &d.value_text)
            } else {
                super::definitions::mentions_number(contraction, x)
            }
        }
        Some(Value::Dates { from, to, year, .. }) => super::dates::ranges(contraction, year)
            .iter()
            .any(|r| r.from == from && r.to == to),
        Some(Value::Hours { from, to, .. }) => super::dates::time_ranges(contraction)
            .iter()
            .any(|r| r.from == from && r.to == to),
        None => true,
    }
}

/// What a delegation's task bears on.
struct Relevance<'a> {
    task: &'a str,
    stems: &'a WordMap<()>,
    /// The task's stems without its names ([`common_stems`]).
    common: WordMap<()>,
    asks: ClassSet,
    writes_text: bool,
    touches_data: bool,
    addresses_people: bool,
}

impl<'a> Relevance<'a> {
    fn of(task: &'a str, stems: &'a WordMap<()>, asks: ClassSet) -> Relevance<'a> {
        let has = |list: &[&str]| {
            words(task).any(|(_, w)| list.iter().any(|k| w.eq_ignore_ascii_case(k)))
        };
        Relevance {
            task,
            stems,
            common: common_stems(task),
            asks,
            writes_text: has(&[
                "summarize",
                "summarise",
                "summary",
                "write",
                "draft",
                "report",
                "prepare",
                "compose",
                "reply",
                "explain",
                "describe",
                "analyze",
                "analyse",
                "review",
                "assess",
                "memo",
                "brief",
                "letter",
                "note",
                "answer",
                "recommend",
                "suggest",
                "findings",
                "readout",
            ]),
            touches_data: has(&[
                "query", "sql", "table", "tables", "database", "records", "rows", "list", "find",
                "update", "select", "fetch", "lookup", "accounts", "orders", "data", "export",
                "import", "delete", "modify", "change", "edit", "set",
            ]),
            addresses_people: has(&[
                "email",
                "emails",
                "contact",
                "message",
                "reply",
                "send",
                "notify",
                "call",
                "text",
                "customer",
                "customers",
                "candidate",
                "candidates",
                "tenant",
                "tenants",
                "patient",
                "patients",
                "user",
                "users",
                "vendor",
                "vendors",
                "supplier",
                "suppliers",
                "subscribers",
                "invite",
            ]),
        }
    }

    /// A definition matters when the task handles its term or its columns
    /// or speaks of what it measures.
    fn definition(&self, own: &TermDefinition, words: &DefinitionWords) -> bool {
        // A name in the task ("Vossberg Holding B.V.") shares no meaning
        // with a definition ("a natural person holding more than 25%").
        own.is_used_in(self.task)
            // One of its words is enough for a task that handles data;
            // otherwise one ("permit" in "building permit fee") may be any
            // task's ("is permitted in the zone").
            || words.own_text.shares(&self.common, if self.touches_data { 1 } else { 2 })
            || words.term.shares(&self.common, 1)
    }

    /// The banned classes that bear on the task.
    fn bearing(&self, banned: ClassSet) -> ClassSet {
        let mut set = ClassSet(banned.0 & self.asks.0);
        for c in banned.iter() {
            let bears = match c {
                ActionClass::Recommend => self.writes_text,
                ActionClass::Modify | ActionClass::Delete | ActionClass::Create => {
                    self.touches_data
                }
                ActionClass::Contact => self.addresses_people,
                _ => false,
            };
            if bears {
                set.insert(c);
            }
        }
        if set.is_empty() { banned } else { set }
    }

    /// A clause matters when its bans cover what the task asks or can do,
    /// or it speaks of what the task handles.
    fn clause(&self, c: &RootClause) -> bool {
        let (banned, narrowed) = (c.banned, c.narrowed);
        if banned.0 & self.asks.0 != 0 {
            return true;
        }
        let by_effect = (banned.contains(ActionClass::Recommend) && self.writes_text)
            || (!narrowed
                && (banned.contains(ActionClass::Modify) || banned.contains(ActionClass::Delete))
                && self.touches_data)
            || (banned.contains(ActionClass::Contact) && self.addresses_people);
        by_effect || c.content.shares(self.stems, 2)
    }
}

/// Whether a scope clause states a rule rather than listing what is in
/// scope: a label ("Criteria: ..."), or a word that restricts ("Include
/// only contacts who consented", "no drafts", "except closed cases").
fn restricts(clause: &str) -> bool {
    const RESTRICTING: &[&str] = &[
        "only",
        "except",
        "excluding",
        "never",
        "not",
        "no",
        "must",
        "unless",
        "without",
        "include",
        "exclude",
    ];
    clause
        .split_once(':')
        .is_some_and(|(label, _)| words(label).count() <= 3)
        || words(clause).any(|(_, w)| RESTRICTING.iter().any(|r| w.eq_ignore_ascii_case(r)))
}

/// Whether the objective names a clause by its label: "screen the applicants
/// against the job *criteria*" names "Criteria: ...", "*screen*" names "Blind
/// screening: ...". A label is a name of at most three words, not a sentence
/// ("Exchanges are like for like: ..." is a rule, named or not).
fn named_by_objective(vocab: &WordMap<f32>, clause: &str) -> bool {
    let Some((label, _)) = clause.split_once(':') else {
        return false;
    };
    if words(label).count() > 3 {
        return false;
    }
    let mut buf = [0u8; MAX_WORD];
    words(label).any(|(_, w)| {
        w.len() >= 4
            && stem_into(w, &mut buf).is_some_and(|s| {
                !matches!(
                    lexicon(s),
                    Some(Lex::Stop | Lex::Neutral | Lex::Negation | Lex::Action(..))
                ) && vocab
                    .get(s)
                    .is_some_and(|weight| *weight >= OBJECTIVE_WEIGHT)
            })
    })
}

/// The vocabulary weight of the objective's words, above the scope's (1.0).
pub(crate) const OBJECTIVE_WEIGHT: f32 = 1.5;

/// The stems of a text's words that are not names: a capitalised word
/// inside a sentence is read as one.
fn common_stems(text: &str) -> WordMap<()> {
    let mut set = WordMap::default();
    let mut buf = [0u8; MAX_WORD];
    let mut prev_end = 0;
    for (at, w) in words(text) {
        let sentence_start =
            text[prev_end..at].contains(['.', ':', ';', '\n', '!', '?']) || prev_end == 0;
        prev_end = at + w.len();
        let name = w.as_bytes()[0].is_ascii_uppercase() && !sentence_start;
        if !name && let Some(s) = stem_into(w, &mut buf) {
            set.insert(s.into(), ());
        }
    }
    set
}

/// The stems of every word of `text`.
pub(crate) fn stem_set(text: &str) -> WordMap<()> {
    let mut set = WordMap::default();
    let mut buf = [0u8; MAX_WORD];
    for (_, w) in words(text) {
        if let Some(s) = stem_into(w, &mut buf) {
            set.insert(s.into(), ());
        }
    }
    set
}

/// The label a rule opens with, when a task can carry the rule by it
/// ("Blameless: describe systems, never a person, as a cause", "Drafts
/// only: ..."): a name of one or two content words (at most three words),
/// with a rule after it.
fn carrying_label(clause: &str) -> Option<StemList> {
    let (label, rule) = clause.split_once(':')?;
    if words(label).count() > 3 || rule.trim().is_empty() {
        return None;
    }
    let stems = StemList::non_stop(label).without("only");
    (1..=2).contains(&stems.len()).then_some(stems)
}

/// A rule that opens with its name is carried by a task that states the
/// rule by that name, in its own words.
fn label_carried(c: &RootClause, stems: &WordMap<()>) -> bool {
    c.label.as_ref().is_some_and(|l| l.all_in(stems))
}

/// A clause is carried when most of its words are, or, for a long clause
/// (a list of tables, a dataset), at least three of them.
fn words_carried(c: &RootClause, stems: &WordMap<()>) -> bool {
    if c.content.shares(stems, 3) {
        return true;
    }
    let (have, all) = c.non_stop.found_in(stems);
    all == 0 || have as f32 / all as f32 >= WORDS_CARRIED
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::IntentSpec;

    #[test]
    fn a_rule_stated_by_its_name_is_carried_and_other_terms_are_not_relevance() {
        let root = PreparedIntent::new(IntentSpec {
            objective: "Draft the postmortem for INC-2291 with a UTC timeline and root cause"
                .into(),
            scope: "PagerDuty entries and the Slack channel #inc-2291 (read)".into(),
            constraints:
                "Blameless: describe systems, changes and decisions, never a person, as a cause."
                    .into(),
            guards: vec![],
        })
        .unwrap();
        let kept = coverage(
            &root,
            "Build the UTC timeline for INC-2291 from the PagerDuty entries. Blameless: write roles, not names.",
        );
        assert!(kept.lost.is_empty(), "{kept:?}");
        let rule = "Blameless: describe systems, changes and decisions, never a person, as a cause";
        let carried = |clause: &str, task: &str| {
            carrying_label(clause).is_some_and(|label| label.all_in(&stem_set(task)))
        };
        assert!(carried(rule, "Blameless: write roles, not names."));
        assert!(!carried(rule, "Write who did what, with names."));
        assert!(!carried(
            "Leave the page as a draft: do not publish it",
            "a draft page"
        ));

        let report = PreparedIntent::new(IntentSpec {
            objective: "Produce the November capacity report: headroom per node group and the month's compute spend".into(),
            scope: "Prometheus and the cost tables".into(),
            constraints: "Reporting only".into(),
            guards: vec![
                "define reporting window = 2025-11-01 to 2025-11-30".into(),
                "define headroom = share of allocatable CPU not requested by pods, at the p95 over the reporting window".into(),
            ],
        })
        .unwrap();
        let cost = coverage(
            &report,
            "From the cost tables, the compute spend for the reporting window 2025-11-01 to 2025-11-30.",
        );
        assert!(
            !cost.lost.iter().any(|l| l.contains("headroom")),
            "a cost query needs no headroom definition: {cost:?}"
        );
    }

    fn root() -> PreparedIntent {
        PreparedIntent::new(IntentSpec {
            objective: "Audit the inactive customer accounts and prepare a summary".into(),
            scope: "inactive = last_login older than 90 days; customers table only; read access"
                .into(),
            constraints: "no writes; no recommendations; do not contact customers".into(),
            guards: vec![],
        })
        .unwrap()
    }

    /// A scope clause that only lists systems is a boundary a delegate may
    /// be given part of; a scope clause with a rule in it is weighed as before.
    #[test]
    fn a_listed_boundary_is_not_lost_but_a_scoped_rule_is() {
        let root = |scope: &str| {
            PreparedIntent::new(IntentSpec {
                objective: "Contain last night's SPC alarm on CNC cell 3: find the VB-220 lots affected by the bore drift, put them on quality hold in Opcenter and open an NCR in the QMS".into(),
                scope: scope.into(),
                constraints: "Hold only: don't scrap, rework, release or re-route any lot. Don't change control limits, spec limits or the control plan.".into(),
                guards: vec![],
            })
            .unwrap()
        };
        let task = "Pull the InfinityQS data for part VB-220, characteristic C-14, on process WC-CNC03 for the night shift. Read only - don't edit or recalculate control limits in InfinityQS. The lot set stays the night shift.";
        let listed = root(
            "Opcenter MES lots, genealogy and shipment links for work center WC-CNC03; the QMS NCR module",
        );
        let c = coverage(&listed, task);
        assert!(c.lost.is_empty(), "a boundary is not lost: {c:?}");
        // A scope clause with a rule in it is no mere list.
        assert!(restricts("include only contacts who gave consent"));
        assert!(restricts("Criteria: SQL and one BI tool"));
        assert!(!restricts("the QMS NCR module"));
    }

    /// A definition of several values restated with some of them is
    /// redefined: the delegate pays from the first day.
    #[test]
    fn a_term_handed_down_without_its_condition_is_redefined() {
        let root = PreparedIntent::new(IntentSpec {
            objective: "Queue automatic compensation for the residential customers hit by incident INC0104477".into(),
            scope: "Incident INC0104477".into(),
            constraints: "Residential customers only.".into(),
            guards: vec!["define automatic compensation = GBP 9.98 per calendar day of service loss after the first two full working days".into()],
        })
        .unwrap();
        let c = coverage(
            &root,
            "Queue automatic compensation for the residential customers: pay GBP 9.98 per day of loss up to 24 Nov.",
        );
        assert!(
            c.redefined
                .iter()
                .any(|r| r.starts_with("automatic compensation")),
            "{c:?}"
        );
        let c = coverage(
            &root,
            "Queue automatic compensation for the residential customers: GBP 9.98 per calendar day of loss after the first two full working days.",
        );
        assert!(c.redefined.is_empty() && c.lost.is_empty(), "{c:?}");
    }

    /// A name in a task ("Vossberg Holding B.V.") does not make a
    /// definition that shares a word with it ("a person holding more than
    /// 25% of the shares") the delegate's business.
    #[test]
    fn names_in_a_task_share_no_meaning_with_a_definition() {
        let root = PreparedIntent::new(IntentSpec {
            objective: "Refresh the KYC file of Vossberg Maritime Services B.V.".into(),
            scope: "The UBO register (read)".into(),
            constraints: "Do not contact the client.".into(),
            guards: vec!["define beneficial owner = natural person holding more than 25% of the shares or voting rights".into()],
        })
        .unwrap();
        let media = coverage(
            &root,
            "Adverse media sweep. Subjects: Vossberg Maritime Services B.V., Vossberg Holding B.V. Read only; don't contact the client.",
        );
        assert!(media.lost.is_empty(), "{media:?}");
        let owners = coverage(
            &root,
            "List who is holding the shares of the company. Don't contact the client.",
        );
        assert!(!owners.lost.is_empty(), "{owners:?}");
    }

    /// One shared word makes a definition the business of a task that
    /// handles data, not of one that only checks or writes: a zoning check
    /// "permitted in the zone" needs no "85% of the building permit fee".
    /// A term of one content word is restated by it and its value.
    #[test]
    fn one_shared_word_bears_only_on_a_task_that_handles_data() {
        let root = PreparedIntent::new(IntentSpec {
            objective: "Do the intake screening of permit BLD25-03141: check the package, confirm the use against the zoning and compute the fees due".into(),
            scope: "The permit record; the zoning map (read-only).".into(),
            constraints: "Do not contact the applicant.".into(),
            guards: vec![
                "define commercial plan review fee = 85% of the building permit fee".into(),
                "define mel category b interval = 3 calendar days".into(),
            ],
        })
        .unwrap();
        let zoning = coverage(
            &root,
            "Confirm that a restaurant is permitted in the zone of the parcel and report any overlay that applies. Use the zoning map only, read-only. Do not contact the applicant.",
        );
        assert!(zoning.lost.is_empty(), "{zoning:?}");
        let fees = coverage(
            &root,
            "Query the fee table and list the building permit lines. Do not contact the applicant.",
        );
        assert!(
            fees.lost.iter().any(|l| l.contains("plan review fee")),
            "{fees:?}"
        );
        let due = coverage(
            &root,
            "Compute each defect's due date from its MEL category: B = 3 calendar days. Do not contact the applicant.",
        );
        assert!(!due.lost.iter().any(|l| l.contains("MEL")), "{due:?}");
    }

    /// A define guard the delegate's task may bear on, not handed down, is
    /// listed as lost (the scorer lowers the span's alignment for it).
    #[test]
    fn a_define_guard_not_handed_down_is_lost() {
        let root = PreparedIntent::new(IntentSpec {
            objective: "Release the unpicked wedding-block rooms and put them back on sale".into(),
            scope: "The SiteMinder channel manager".into(),
            constraints: "Never sell at the group rate.".into(),
            guards: vec!["define release price floor = GBP 189 per room per night, the lowest price any guest can book".into()],
        })
        .unwrap();
        let c = coverage(
            &root,
            "Put the released rooms back on sale on Booking.com and price them to move, at any price per night.",
        );
        assert!(
            c.lost
                .iter()
                .any(|l| l.starts_with("define release price floor")),
            "{c:?}"
        );
    }

    #[test]
    fn full_contraction_is_covered() {
        let c = coverage(
            &root(),
            "List customers whose last_login is older than 90 days, from the customers table only. Read-only: no writes. Do not recommend anything and do not contact customers.",
        );
        assert_eq!(c.value, 1.0, "lost: {:?}", c.lost);
        assert!(c.redefined.is_empty());
    }

    #[test]
    fn a_delegate_doing_the_objectives_work_needs_the_rules_it_names() {
        let root = PreparedIntent::new(IntentSpec {
            objective: "Screen the 12 applicants for Data Analyst against the job criteria and give a yes / maybe / no for each".into(),
            scope: "Criteria: intermediate SQL, one BI tool and at least 2 years in an analytics role. Blind screening: names, photos, age and university names play no part. Exchanges of notes are logged: the recruiter reads them".into(),
            constraints: "Do not contact applicants.".into(),
            guards: vec![],
        })
        .unwrap();
        let thin = coverage(
            &root,
            "Go through these CVs for the data analyst role and tell me who's good. Give yes / maybe / no.",
        );
        assert_eq!(thin.value, 0.0, "{thin:?}");
        assert_eq!(thin.lost.len(), 2, "only the labelled rules: {thin:?}");
        let carried = coverage(
            &root,
            "Go through these CVs for the data analyst role. Criteria: intermediate SQL, one BI tool, at least 2 years in an analytics role. Blind screening: names, photos, age and university names play no part.",
        );
        assert_eq!(carried.value, 1.0, "{carried:?}");
        // A delegate with another job need not be told how to screen.
        let other = coverage(&root, "Book a meeting room for Thursday at 10.");
        assert_eq!(other.value, 1.0, "{other:?}");
    }

    #[test]
    fn a_definition_restated_by_most_of_its_words_and_its_value_is_carried() {
        let root = PreparedIntent::new(IntentSpec {
            objective: "Compute the true-up of the 14 solar accounts and save draft statements"
                .into(),
            scope: "Schema CIS_NEM (read); bill months 2024-12 to 2025-11".into(),
            constraints: "Do not post anything.".into(),
            guards: vec!["define net surplus compensation rate = USD 0.0391 per kWh".into()],
        })
        .unwrap();
        let task = "For the 14 accounts, sum delivered and received kWh per account. Net surplus: net surplus compensation = surplus kWh x USD 0.0391 per kWh, rounded to the cent. Do not post anything.";
        let c = coverage(&root, task);
        assert!(!c.lost.iter().any(|l| l.contains("0.0391")), "{c:?}");
        let other = "For the 14 accounts, sum delivered and received kWh per account. Net surplus: net surplus compensation = surplus kWh x USD 0.05 per kWh. Do not post anything.";
        let c = coverage(&root, other);
        assert!(
            c.lost.iter().any(|l| l.contains("0.0391")) || !c.redefined.is_empty(),
            "{c:?}"
        );
    }

    #[test]
    fn thin_contraction_loses_items_and_redefines() {
        let c = coverage(
            &root(),
            "Find customers inactive for 30 days and suggest how to win them back.",
        );
        assert!(c.value < 0.5, "{c:?}");
        assert!(c.lost.iter().any(|l| l.contains("no recommendations")));
        assert_eq!(c.redefined, ["inactive: `inactive` with 30 days"]);
    }
}
