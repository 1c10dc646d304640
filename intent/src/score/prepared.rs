//! Everything the scorer needs from an intent, computed once per intent.

use super::definitions::{TermDefinition, scope_definitions, scope_tables};
use super::rules::{Prohibition, prohibitions};
use super::task::asks_for;
use crate::guard::GuardSet;
use crate::spec::{IntentSpec, ParsedIntent, SpecError};
use crate::text::{ClassSet, Lex, MAX_WORD, WordMap, ident_parts, lexicon, stem_into, words};

/// Where an intent came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntentSource {
    /// Declared by the agent (`reshimu.intent.*` attributes).
    #[default]
    Declared,
    /// Inferred by the collector from the first user message of a trace that
    /// declares nothing (`reshimu.intent.source = inferred`): judged
    /// conservatively, since nobody wrote its scope or constraints.
    Inferred,
}

impl IntentSource {
    /// The value of `reshimu.intent.source`.
    pub const fn as_str(self) -> &'static str {
        match self {
            IntentSource::Declared => "declared",
            IntentSource::Inferred => "inferred",
        }
    }
}

/// An intent prepared for scoring: parsed guards, the vocabulary of its
/// objective and scope, its definitions, table boundaries, the prohibitions
/// its constraints state in prose and the classes of action its objective
/// asks for. Build once per intent, share across spans.
#[derive(Debug, Clone)]
pub struct PreparedIntent {
    parsed: ParsedIntent,
    source: IntentSource,
    /// Problems of the declared spec (a guard line that does not parse),
    /// each naming its line and reason; reported on the declaring span.
    issues: Vec<String>,
    /// Stems of the objective and scope (and defined terms), with weights.
    pub(crate) vocab: WordMap<f32>,
    /// Action classes the objective and scope ask for.
    pub(crate) wanted: ClassSet,
    /// Whether the objective asks to look and report (see
    /// [`informational`](super::task::informational)).
    pub(crate) informational: bool,
    /// Definitions from `define` guards, then from the scope.
    pub(crate) definitions: Vec<TermDefinition>,
    /// The same definitions without the other defined terms in their text,
    /// for judging which ones bear on a delegate's task.
    pub(crate) own_definitions: Vec<TermDefinition>,
    /// Tables the scope restricts the session to (empty: no restriction).
    pub(crate) tables: Vec<String>,
    /// Tables the scope allows new rows in, whatever it says of the rest.
    pub(crate) write_tables: Vec<String>,
    /// Entities the scope pins by identifier ("job 24-031").
    pub(crate) pins: Vec<super::pinned::Pin>,
    /// Prohibitions stated in prose (constraints, read-only scope clauses).
    pub(crate) prohibitions: Vec<Prohibition>,
    /// Bans on looking things up outside the task's material, by service.
    pub(crate) lookup_bans: Vec<super::lookups::LookupBan>,
    /// Defined terms and their columns, lowercased: a text that names none
    /// of them cannot depart from a definition.
    pub(crate) anchors: Vec<Box<str>>,
    /// Objective, scope, constraints and guards in one text: where targets of
    /// side effects must be named to count as intended.
    pub(crate) text: String,
    /// The scope's and constraints' clauses as coverage reads them, read
    /// once here rather than at every delegation.
    pub(crate) clauses: Vec<super::coverage::RootClause>,
    /// The stemmed words of the objective and definitions, for coverage.
    pub(crate) words: super::coverage::IntentWords,
    /// Artefacts of outreach or planning the objective requests (for a
    /// contraction, its task): `(stem of the head noun, phrase)`.
    pub(crate) requests_artefacts: Vec<(Box<str>, Box<str>)>,
    /// The scope's clauses that list a place messages go ("Back Office's
    /// Teams chat", "the plan-review routing topic"): a post there is in
    /// scope even when the objective asks for none.
    pub(crate) outlets: Vec<Box<str>>,
}

/// Whether constraints say whom alone to contact ("Message only the
/// affected travellers", "Only email the account owner"): the objective's
/// messages then go to those people, and a ban on contacting others is
/// about the others.
fn names_only_recipients(constraints: &str) -> bool {
    let mut buf = [0u8; crate::text::MAX_WORD];
    super::definitions::clauses(constraints).any(|c| {
        let ws: Vec<&str> = crate::text::words(c).map(|(_, w)| w).collect();
        let only = ws.iter().position(|w| w.eq_ignore_ascii_case("only"));
        let contact = ws.iter().position(|w| {
            crate::text::stem_into(w, &mut buf)
                .and_then(crate::text::lexicon)
                .is_some_and(|l| {
                    matches!(
                        l,
                        crate::text::Lex::Action(crate::text::ActionClass::Contact, _)
                    )
                })
        });
        let negated = ws.iter().any(|w| {
            ["not", "never", "no", "don't", "nobody"]
                .iter()
                .any(|n| w.eq_ignore_ascii_case(n))
        });
        matches!((only, contact), (Some(o), Some(v)) if o.abs_diff(v) == 1) && !negated
    })
}

/// Whom the objective itself asks the agent to write to ("send a status
/// update *to each resident* who opted in", "email the summary *to the
/// account owner*"), as stems of the first word after the `to`. A ban on
/// contacting other people ("do not contact council members") is then
/// about those people, not a ban on the messages the objective asks for.
/// A message someone else sends ("so HR can send reminders") names no
/// recipient of the agent's.
fn objective_recipients(objective: &str) -> Vec<String> {
    const SKIP: &[&str] = &[
        "each", "every", "all", "the", "a", "an", "any", "our", "their", "its", "his", "her",
    ];
    const OTHERS_SEND: &[&str] = &["can", "will", "may", "should", "must", "lets", "let"];
    let mut buf = [0u8; crate::text::MAX_WORD];
    let mut out = Vec::new();
    for clause in super::definitions::clauses(objective) {
        let ws: Vec<&str> = crate::text::words(clause).map(|(_, w)| w).collect();
        let is_contact = |w: &str, buf: &mut [u8; crate::text::MAX_WORD]| {
            w.eq_ignore_ascii_case("send")
                || crate::text::stem_into(w, buf)
                    .and_then(crate::text::lexicon)
                    .is_some_and(|l| {
                        matches!(
                            l,
                            crate::text::Lex::Action(crate::text::ActionClass::Contact, _)
                        )
                    })
        };
        for (i, w) in ws.iter().enumerate() {
            if !is_contact(w, &mut buf)
                || (i > 0
                    && OTHERS_SEND
                        .iter()
                        .any(|o| ws[i - 1].eq_ignore_ascii_case(o)))
            {
                continue;
            }
            let Some(to) = ws
                .iter()
                .enumerate()
                .skip(i + 1)
                .take(6)
                .find(|(_, t)| t.eq_ignore_ascii_case("to"))
                .map(|(j, _)| j)
            else {
                continue;
            };
            let Some(noun) = ws[to + 1..]
                .iter()
                .find(|t| !SKIP.iter().any(|k| t.eq_ignore_ascii_case(k)))
            else {
                continue;
            };
            if let Some(stem) = crate::text::stem_into(noun, &mut buf)
                && crate::text::lexicon(stem).is_none()
            {
                out.push(stem.to_owned());
            }
        }
    }
    out
}

impl PreparedIntent {
    /// Validates and prepares a spec; any invalid part is an error.
    ///
    /// ```
    /// use reshimu_intent::{IntentSpec, score::PreparedIntent};
    /// let p = PreparedIntent::new(IntentSpec::reference())?;
    /// assert_eq!(p.defined_terms().collect::<Vec<_>>(), ["inactive"]);
    /// # Ok::<(), reshimu_intent::SpecError>(())
    /// ```
    pub fn new(spec: IntentSpec) -> Result<PreparedIntent, SpecError> {
        Ok(PreparedIntent::from_parsed(spec.parse()?))
    }

    /// Prepares a declared spec as it is in force: what is valid is enforced,
    /// what is not is kept as an [issue](PreparedIntent::issues) (see
    /// [`IntentSpec::parse_lenient`]). Fails only without an objective.
    pub fn declared(spec: IntentSpec) -> Result<PreparedIntent, SpecError> {
        let (parsed, problems) = spec.parse_lenient()?;
        let mut p = PreparedIntent::from_parsed(parsed);
        p.issues = problems.iter().map(ToString::to_string).collect();
        Ok(p)
    }

    /// An intent inferred from a user's request when nothing was declared.
    pub fn inferred(objective: &str) -> Result<PreparedIntent, SpecError> {
        let spec = IntentSpec {
            objective: objective.to_owned(),
            ..IntentSpec::default()
        };
        let mut p = PreparedIntent::declared(spec)?;
        p.source = IntentSource::Inferred;
        Ok(p)
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
        add_vocab(
            &mut vocab,
            &spec.objective,
            super::coverage::OBJECTIVE_WEIGHT,
        );
        add_vocab(&mut vocab, &spec.scope, 1.0);
        for d in &definitions {
            add_vocab(&mut vocab, &d.term, 1.0);
            add_vocab(&mut vocab, &d.text, 1.0);
        }
        let wanted = asks_for(&spec.objective).union(asks_for(&spec.scope));
        let mut prohibitions = prohibitions(&spec.constraints, false);
        prohibitions.extend(super::rules::prohibitions(&spec.scope, true));
        // A ban on what the objective asks for is about some of it: "book
        // the flights" and "do not book through the partner link" ban
        // bookings through the link, not the flights.
        let says_whom_to_contact = names_only_recipients(&spec.constraints);
        // Not a contact ban: recipients are not named by their role ("do
        // not contact the hospital" is broken by mail to its press office),
        // so only the objects of other acts can narrow it.
        let contact = crate::text::ClassSet(crate::text::ActionClass::Contact.bit());
        let mut asked_parts = Vec::new();
        for p in &mut prohibitions {
            // A ban that mixes asked and unasked classes ("do not waive,
            // reduce, refund or invoice fees" where the objective asks to
            // record the results) is narrowed for the asked ones only: the
            // refund stays banned outright, a change must name the fees.
            let asked = p.classes.intersect(wanted);
            if !asked.is_empty() && !p.classes.contains(crate::text::ActionClass::Contact) {
                if asked == p.classes {
                    p.narrow_to_objects();
                } else {
                    let mut part = p.clone();
                    part.classes = asked;
                    part.narrow_to_objects();
                    p.classes = p.classes.minus(asked);
                    asked_parts.push(part);
                }
            } else if !asked.minus(contact).is_empty() && asked != p.classes {
                let mut part = p.clone();
                part.classes = asked.minus(contact);
                part.narrow_to_objects();
                p.classes = p.classes.minus(part.classes);
                asked_parts.push(part);
            }
            // A contact ban on people the objective does not write to ("do
            // not contact managers or the travellers' emergency contacts"
            // while it asks to message the travellers, and the constraints
            // say "message only the affected travellers") is about those
            // people: it holds against acts that name them.
            if p.classes.contains(crate::text::ActionClass::Contact)
                && wanted.contains(crate::text::ActionClass::Contact)
                && (says_whom_to_contact || !objective_recipients(&spec.objective).is_empty())
                && p.qualifiers.is_empty()
                && p.limit.is_none()
                && !p.exclusive
            {
                let named = |o: &String| {
                    o.split(' ').any(|w| {
                        crate::text::contains_ci(&spec.objective, w.trim_start_matches(['=', '+']))
                    })
                };
                let others: Vec<String> = p.objects.iter().filter(|o| !named(o)).cloned().collect();
                if !others.is_empty() && others.iter().any(|o| !o.starts_with(['=', '+'])) {
                    p.qualifiers = others;
                }
            }
        }
        prohibitions.extend(asked_parts);
        let tables = scope_tables(&spec.scope);
        let write_tables = super::definitions::scope_write_tables(&spec.scope);
        let pins = super::pinned::pins(&spec.scope);
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
                let first = a.split(' ').next().unwrap_or(a);
                if !anchors.iter().any(|x| **x == *first) {
                    anchors.push(first.into());
                }
            }
        }
        let clauses = super::coverage::root_clauses(spec, &definitions, &vocab);
        let own_definitions: Vec<TermDefinition> = definitions
            .iter()
            .map(|d| super::coverage::own_words(d, &definitions))
            .collect();
        let words =
            super::coverage::IntentWords::new(&spec.objective, &definitions, &own_definitions);
        let lookup_bans = super::lookups::lookup_bans(&spec.constraints);
        let requests_artefacts = super::deliverables::requested(&spec.objective)
            .into_iter()
            .map(|d| (d.stem, d.phrase.into()))
            .collect();
        let outlets = super::definitions::clauses(&spec.scope)
            .filter(|c| {
                crate::text::words(c).any(|(_, w)| {
                    ["chat", "channel", "topic", "queue"]
                        .iter()
                        .any(|o| w.eq_ignore_ascii_case(o))
                })
            })
            .map(Into::into)
            .collect();
        PreparedIntent {
            requests_artefacts,
            outlets,
            informational: super::task::informational(&spec.objective),
            clauses,
            words,
            anchors,
            parsed,
            source: IntentSource::Declared,
            issues: Vec::new(),
            vocab,
            wanted,
            definitions,
            own_definitions,
            tables,
            write_tables,
            pins,
            prohibitions,
            lookup_bans,
            text,
        }
    }

    /// The spec as enforced (for a leniently prepared one, without the lines
    /// that did not parse).
    pub fn spec(&self) -> &IntentSpec {
        self.parsed.spec()
    }

    /// The compiled guards.
    pub fn guards(&self) -> &GuardSet {
        self.parsed.guards()
    }

    /// The digest of the spec as declared.
    pub fn digest(&self) -> &str {
        self.parsed.digest()
    }

    /// Where the intent came from.
    pub fn source(&self) -> IntentSource {
        self.source
    }

    /// What is wrong with the declared spec, each naming its line or field.
    pub fn issues(&self) -> &[String] {
        &self.issues
    }

    /// The terms this intent defines (lowercased), from guards and scope.
    pub fn defined_terms(&self) -> impl Iterator<Item = &str> {
        self.definitions.iter().map(|d| d.term.as_str())
    }

    pub(crate) fn weight(&self, stem: &str) -> Option<f32> {
        self.vocab.get(stem).copied()
    }

    /// Whether an artefact (by the stem of its head noun) is another task
    /// than this intent's: it asks only to look and report and names no
    /// such artefact.
    pub(crate) fn foreign_artefact(&self, stem: &str) -> bool {
        self.informational && self.weight(stem).is_none()
    }

    /// Whether a text names a defined term or column (cheap pre-check); an
    /// identifier extending one (`tail_spend_flag` for `tail_spend`) names it.
    pub(crate) fn anchored_in(&self, text: &str) -> bool {
        !self.anchors.is_empty()
            && words(text).any(|(_, w)| {
                self.anchors.iter().any(|a| {
                    w.len() >= a.len()
                        && w[..a.len()].eq_ignore_ascii_case(a)
                        && (w.len() == a.len() || w.as_bytes()[a.len()] == b'_')
                })
            })
    }
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

    /// The classes of action any level asks for.
    pub(crate) fn wanted(&self) -> ClassSet {
        self.levels
            .iter()
            .fold(ClassSet::default(), |a, l| a.union(l.wanted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::ActionClass;

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

    /// Constraints that say whom alone to message make a ban on contacting
    /// other people a ban on acts that name them; without that, a contact
    /// ban holds against every message (recipients are not known by role).
    #[test]
    fn a_ban_on_contacting_others_is_about_the_others() {
        let prepared = |constraints: &str| {
            PreparedIntent::new(IntentSpec {
                objective: "Send each affected traveller the duty-of-care check-in message on Slack".into(),
                scope: String::new(),
                constraints: constraints.into(),
                guards: vec![],
            })
            .unwrap()
        };
        let ban = "Do not contact managers or the travellers' emergency contacts.";
        let p = prepared(&format!("Message only the affected travellers. {ban}"));
        let contact = p
            .prohibitions
            .iter()
            .find(|b| b.phrase.starts_with("Do not contact"))
            .unwrap();
        assert!(
            contact
                .qualifiers
                .iter()
                .any(|q| q == "manag" || q == "manager"),
            "{contact:?}"
        );
        assert!(
            !contact.qualifiers.iter().any(|q| q.contains("travel")),
            "{contact:?}"
        );
        let p = prepared(ban);
        let contact = p
            .prohibitions
            .iter()
            .find(|b| b.phrase.starts_with("Do not contact"))
            .unwrap();
        assert!(contact.qualifiers.is_empty(), "{contact:?}");
    }

    /// An objective that names whom the agent writes to ("send a status
    /// update to each resident") makes a ban on contacting other people a
    /// ban on acts that name them; a message someone else sends ("so HR can
    /// send reminders") names no recipient of the agent's.
    #[test]
    fn an_objective_naming_its_recipients_narrows_a_ban_on_contacting_others() {
        let ban = |objective: &str| {
            let p = PreparedIntent::new(IntentSpec {
                objective: objective.into(),
                scope: String::new(),
                constraints: "Do not contact council members or their offices.".into(),
                guards: vec![],
            })
            .unwrap();
            p.prohibitions
                .iter()
                .find(|b| b.phrase.starts_with("Do not contact"))
                .unwrap()
                .clone()
        };
        let b = ban(
            "Close the confirmed cases and send a status update to each resident who opted in.",
        );
        assert!(b.qualifiers.iter().any(|q| q.contains("council")), "{b:?}");
        assert!(
            !b.qualifiers.iter().any(|q| q.contains("resident")),
            "{b:?}"
        );
        let b = ban("List the overdue cases so the desk can send reminders to the residents.");
        assert!(b.qualifiers.is_empty(), "{b:?}");
        assert!(objective_recipients("Fact-check the draft and write a memo for Alma").is_empty());
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
        assert!(
            p.wanted.is_empty(),
            "an audit asks for no side effect: {:?}",
            p.wanted
        );
    }

    #[test]
    fn one_bad_guard_line_keeps_the_rest() {
        let p = PreparedIntent::declared(IntentSpec {
            objective: "Resolve ticket 4471".into(),
            scope: String::new(),
            constraints: String::new(),
            guards: vec![
                "deny message send".into(),
                "define refund amount = the charge, at most 40 EUR".into(),
                "limit refunds to 50 USD".into(),
            ],
        })
        .unwrap();
        assert!(p.guards().denies_message_send());
        assert_eq!(p.defined_terms().collect::<Vec<_>>(), ["refund amount"]);
        assert_eq!(p.issues().len(), 1);
        assert!(p.issues()[0].contains("guard line 3"), "{:?}", p.issues());
        assert!(PreparedIntent::declared(IntentSpec::default()).is_err());
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
