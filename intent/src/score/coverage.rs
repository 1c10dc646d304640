//! Coverage: how much of the root's scope and constraints a contraction still
//! carries. Low coverage is the trace going thin, visible at the delegation,
//! before any wrong action.

use super::checks::{negated_classes, prohibitions};
use super::definitions::{Departure, TermDefinition, clauses, departure};
use super::prepared::PreparedIntent;
use super::quantity::durations;
use super::text::{Lex, MAX_WORD, WordMap, lexicon, stem_into, words};

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
    let stems = stem_set(contraction);
    let carried_prohibitions = prohibitions(contraction, false)
        .iter()
        .chain(prohibitions(contraction, true).iter())
        .fold(negated_classes(contraction), |acc, p| acc.union(p.classes));
    let spec = root.spec();
    let mut total = 0usize;
    let mut carried = 0usize;
    let mut lost = Vec::new();
    let mut redefined = Vec::new();
    let mut seen_terms: Vec<&str> = Vec::new();

    for d in &root.definitions {
        if let Some(dep) = departure(d, contraction) {
            redefined.push(format!("{}: {}", d.term, describe(&dep)));
        }
    }
    // Define guards are items of their own; the scope's definitions are its clauses.
    for d in root.definitions.iter().filter(|d| d.rule.is_some()) {
        total += 1;
        seen_terms.push(&d.term);
        if definition_carried(d, contraction) {
            carried += 1;
        } else {
            lost.push(format!("define {} = {}", d.term, d.text));
        }
    }
    for (clause, is_constraint) in clauses(&spec.scope)
        .map(|c| (c, false))
        .chain(clauses(&spec.constraints).map(|c| (c, true)))
    {
        let def = root.definitions.iter().find(|d| clause_defines(clause, d));
        if let Some(d) = def {
            if seen_terms.contains(&d.term.as_str()) {
                continue; // counted with its guard
            }
            total += 1;
            if definition_carried(d, contraction) {
                carried += 1;
            } else {
                lost.push(clause.to_owned());
            }
            continue;
        }
        total += 1;
        let banned = if is_constraint {
            prohibitions(clause, false)
                .iter()
                .fold(Default::default(), |a: super::text::ClassSet, p| {
                    a.union(p.classes)
                })
        } else {
            prohibitions(clause, true)
                .iter()
                .fold(Default::default(), |a: super::text::ClassSet, p| {
                    a.union(p.classes)
                })
        };
        let by_check = !banned.is_empty() && carried_prohibitions.0 & banned.0 == banned.0;
        if by_check || words_carried(clause, &stems) {
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

pub(crate) fn describe(dep: &Departure<'_>) -> String {
    match dep {
        Departure::Value { anchor, found } => format!("`{anchor}` with {found}"),
        Departure::Widened { anchor } => format!("filter on `{anchor}` widened with OR"),
    }
}

/// A scope clause defines a term when it names it and has the shape of a
/// definition (`=`, `means`, `defined as`), whichever source won the term.
fn clause_defines(clause: &str, d: &TermDefinition) -> bool {
    let starts_with_term = super::text::find_word_ci(clause, &d.term, 0).is_some_and(|p| p < 8);
    starts_with_term
        && (clause.contains('=')
            || super::text::find_word_ci(clause, "means", 0).is_some()
            || super::text::contains_ci(clause, "defined as"))
}

/// A definition is carried when the contraction names the term or its column
/// and, if it fixes a value, states that value.
fn definition_carried(d: &TermDefinition, contraction: &str) -> bool {
    if !d.is_used_in(contraction) {
        return false;
    }
    match d.value {
        Some(super::definitions::Value::Days(days)) => {
            durations(contraction).any(|x| !x.differs_from(days))
        }
        Some(super::definitions::Value::Number(_)) => {
            super::text::contains_ci(contraction, &d.value_text)
        }
        None => true,
    }
}

fn stem_set(text: &str) -> WordMap<()> {
    let mut set = WordMap::default();
    let mut buf = [0u8; MAX_WORD];
    for (_, w) in words(text) {
        if let Some(s) = stem_into(w, &mut buf) {
            set.insert(s.into(), ());
        }
    }
    set
}

fn words_carried(clause: &str, stems: &WordMap<()>) -> bool {
    let mut buf = [0u8; MAX_WORD];
    let (mut have, mut all) = (0u32, 0u32);
    for (_, w) in words(clause) {
        let Some(s) = stem_into(w, &mut buf) else {
            continue;
        };
        if matches!(lexicon(s), Some(Lex::Stop)) {
            continue;
        }
        all += 1;
        if stems.contains_key(s) {
            have += 1;
        }
    }
    all == 0 || have as f32 / all as f32 >= WORDS_CARRIED
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::IntentSpec;

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
