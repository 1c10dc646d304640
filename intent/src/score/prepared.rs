//! Everything the scorer needs from an intent, computed once per intent.

use super::checks::{Prohibition, prohibitions};
use super::definitions::{TermDefinition, scope_definitions, scope_tables};
use super::text::{
    ActionClass, ClassSet, Lex, MAX_WORD, WordMap, ident_parts, lexicon, stem_into, words,
};
use crate::guard::GuardSet;
use crate::spec::{IntentSpec, ParsedIntent, SpecError};

/// An intent prepared for scoring: parsed guards, the vocabulary of its
/// objective and scope, its definitions, table boundaries and the prohibitions
/// its constraints state in prose. Build once per intent, share across spans.
#[derive(Debug, Clone)]
pub struct PreparedIntent {
    parsed: ParsedIntent,
    /// Stems of the objective and scope (and defined terms), with weights.
    pub(crate) vocab: WordMap<f32>,
    /// Action classes the objective and scope ask for.
    pub(crate) wanted: ClassSet,
    /// Definitions from `define` guards, then from the scope.
    pub(crate) definitions: Vec<TermDefinition>,
    /// Tables the scope restricts the session to (empty: no restriction).
    pub(crate) tables: Vec<String>,
    /// Prohibitions stated in prose (constraints, read-only scope clauses).
    pub(crate) prohibitions: Vec<Prohibition>,
    /// Defined terms and their columns, lowercased, single words only: a
    /// span that names none of them cannot depart from a definition.
    pub(crate) anchors: Vec<Box<str>>,
    /// A defined term has several words; then every text is checked.
    pub(crate) has_multiword_term: bool,
    /// Objective, scope, constraints and guards in one text: where targets of
    /// side effects must be named to count as intended.
    pub(crate) text: String,
}

impl PreparedIntent {
    /// Validates and prepares a spec.
    pub fn new(spec: IntentSpec) -> Result<PreparedIntent, SpecError> {
        Ok(PreparedIntent::from_parsed(spec.parse()?))
    }

    /// Prepares an already validated spec.
    pub fn from_parsed(parsed: ParsedIntent) -> PreparedIntent {
        let spec = parsed.spec();
        let mut definitions: Vec<TermDefinition> = parsed
            .guards()
            .definitions()
            .map(|d| TermDefinition::new(d.term(), d.text(), Some(d.rule_id().to_owned())))
            .collect();
        for d in scope_definitions(&spec.scope) {
            if !definitions.iter().any(|g| g.term == d.term) {
                definitions.push(d);
            }
        }
        let mut vocab: WordMap<f32> = WordMap::default();
        // The objective says what the task is: its words weigh more than the
        // scope's, which are boundaries and definitions.
        add_vocab(&mut vocab, &spec.objective, 1.5);
        add_vocab(&mut vocab, &spec.scope, 1.0);
        for d in &definitions {
            add_vocab(&mut vocab, &d.term, 1.0);
            add_vocab(&mut vocab, &d.text, 1.0);
        }
        let wanted = wanted_classes(&spec.objective).union(wanted_classes(&spec.scope));
        let mut prohibitions = prohibitions(&spec.constraints, false);
        prohibitions.extend(prohibitions_from_scope(&spec.scope));
        let tables = scope_tables(&spec.scope);
        let mut text = String::with_capacity(
            spec.objective.len() + spec.scope.len() + spec.constraints.len() + 64,
        );
        for part in [&spec.objective, &spec.scope, &spec.constraints]
            .into_iter()
            .chain(&spec.guards)
        {
            text.push_str(part);
            text.push('\n');
        }
        let mut anchors: Vec<Box<str>> = Vec::new();
        for d in &definitions {
            for a in std::iter::once(&d.term).chain(&d.columns) {
                if !a.contains(' ') && !anchors.iter().any(|x| **x == **a) {
                    anchors.push(a.as_str().into());
                }
            }
        }
        let has_multiword_term = definitions.iter().any(|d| d.term.contains(' '));
        PreparedIntent {
            anchors,
            has_multiword_term,
            parsed,
            vocab,
            wanted,
            definitions,
            tables,
            prohibitions,
            text,
        }
    }

    /// The spec.
    pub fn spec(&self) -> &IntentSpec {
        self.parsed.spec()
    }

    /// The compiled guards.
    pub fn guards(&self) -> &GuardSet {
        self.parsed.guards()
    }

    /// The digest of the spec.
    pub fn digest(&self) -> &str {
        self.parsed.digest()
    }

    /// The terms this intent defines (lowercased), from guards and scope.
    pub fn defined_terms(&self) -> impl Iterator<Item = &str> {
        self.definitions.iter().map(|d| d.term.as_str())
    }

    pub(crate) fn weight(&self, stem: &str) -> Option<f32> {
        self.vocab.get(stem).copied()
    }
}

fn prohibitions_from_scope(scope: &str) -> Vec<Prohibition> {
    prohibitions(scope, true)
}

/// Adds the content words of `text` (identifiers split into their parts) to the vocabulary.
fn add_vocab(vocab: &mut WordMap<f32>, text: &str, weight: f32) {
    let mut buf = [0u8; MAX_WORD];
    for (_, w) in words(text) {
        for part in std::iter::once(w).chain(ident_parts(w).filter(|p| p.len() < w.len())) {
            let Some(stem) = stem_into(part, &mut buf) else {
                continue;
            };
            if stem.len() < 2 || matches!(lexicon(stem), Some(Lex::Stop | Lex::Negation)) {
                continue;
            }
            let e = vocab.entry(stem.into()).or_insert(0.0);
            *e = e.max(weight);
        }
    }
}

/// Action classes a text asks for: class words not under a negation.
pub(crate) fn wanted_classes(text: &str) -> ClassSet {
    let mut set = ClassSet::default();
    let mut buf = [0u8; MAX_WORD];
    let mut negated_until = 0usize;
    for (i, (_, w)) in words(text).enumerate() {
        let Some(stem) = stem_into(w, &mut buf) else {
            continue;
        };
        match lexicon(stem) {
            Some(Lex::Negation) => negated_until = i + 4,
            Some(Lex::Action(c, _)) if i >= negated_until => set.insert(c),
            _ => {}
        }
    }
    // Objectives rarely spell out every consequence: fixing, scheduling or
    // booking implies changing things; paying implies a transfer.
    for (word, class) in [
        ("fix", ActionClass::Modify),
        ("fix", ActionClass::Create),
        ("reschedule", ActionClass::Modify),
        ("implement", ActionClass::Modify),
        ("implement", ActionClass::Create),
        ("refactor", ActionClass::Modify),
        ("rebook", ActionClass::Purchase),
        ("resolve", ActionClass::Modify),
        ("open", ActionClass::Create),
        ("book", ActionClass::Create),
    ] {
        if words(text).any(|(_, w)| w.eq_ignore_ascii_case(word)) {
            set.insert(class);
        }
    }
    set
}

/// The intents a span runs under: the root first, then each contraction down
/// to the intent in force.
#[derive(Debug, Clone, Copy)]
pub struct IntentChain<'a> {
    levels: &'a [&'a PreparedIntent],
}

impl<'a> IntentChain<'a> {
    /// A chain from its levels, root first. Returns `None` when empty.
    pub fn new(levels: &'a [&'a PreparedIntent]) -> Option<IntentChain<'a>> {
        (!levels.is_empty()).then_some(IntentChain { levels })
    }

    /// The root intent.
    pub fn root(&self) -> &'a PreparedIntent {
        self.levels[0]
    }

    /// The intent in force (the deepest contraction).
    pub fn in_force(&self) -> &'a PreparedIntent {
        self.levels[self.levels.len() - 1]
    }

    /// All levels, root first.
    pub fn levels(&self) -> &'a [&'a PreparedIntent] {
        self.levels
    }

    /// Delegation depth of the intent in force (0 at the root).
    pub fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// The chain without its last level (the parent's chain), `None` at the root.
    pub fn parent(&self) -> Option<IntentChain<'a>> {
        (self.levels.len() > 1).then(|| IntentChain {
            levels: &self.levels[..self.levels.len() - 1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> PreparedIntent {
        PreparedIntent::new(IntentSpec {
            objective: "Audit the inactive customer accounts and prepare a summary".into(),
            scope: "inactive = last_login older than 90 days; customers table only; read access"
                .into(),
            constraints: "no writes; no recommendations; do not contact customers".into(),
            guards: vec!["define inactive = last_login > 90 days".into()],
        })
        .unwrap()
    }

    #[test]
    fn prepares_vocabulary_definitions_and_prohibitions() {
        let p = seed();
        let mut buf = [0u8; MAX_WORD];
        assert!(p.weight(stem_into("accounts", &mut buf).unwrap()).is_some());
        assert!(p.weight(stem_into("login", &mut buf).unwrap()).is_some());
        assert!(p.weight(stem_into("the", &mut buf).unwrap()).is_none());
        assert_eq!(
            p.definitions.len(),
            1,
            "the guard wins over the scope's definition of the same term"
        );
        assert_eq!(p.definitions[0].rule.as_deref(), Some("define.inactive"));
        assert_eq!(p.tables, ["customers"]);
        let all = p
            .prohibitions
            .iter()
            .fold(ClassSet::default(), |a, x| a.union(x.classes));
        assert!(
            all.contains(ActionClass::Modify)
                && all.contains(ActionClass::Recommend)
                && all.contains(ActionClass::Contact)
        );
        assert!(!p.wanted.contains(ActionClass::Recommend));
    }

    #[test]
    fn wanted_classes_skip_negations() {
        assert!(wanted_classes("Pay the March invoice").contains(ActionClass::Transfer));
        assert!(
            !wanted_classes("summarize, but never pay anything").contains(ActionClass::Transfer)
        );
        assert!(wanted_classes("Fix the failing test").contains(ActionClass::Modify));
    }

    #[test]
    fn chain_levels() {
        let a = seed();
        let b = seed();
        let levels = [&a, &b];
        let c = IntentChain::new(&levels).unwrap();
        assert_eq!(c.depth(), 1);
        assert_eq!(c.parent().unwrap().depth(), 0);
        assert!(IntentChain::new(&[]).is_none());
    }
}
