//! A resolved intent and its place in the delegation tree.

use std::sync::Arc;

use reshimu_intent::score::PreparedIntent;
use reshimu_intent::spec::IntentSpec;

use super::facts::Declaration;

/// One intent in a session's delegation tree, linked to its parent so a span's
/// whole chain (root first) is reachable without further lookups.
#[derive(Debug)]
pub struct IntentNode {
    /// The intent id.
    pub id: Arc<str>,
    /// The intent it contracts from; `None` at the root, and for orphans whose
    /// parent never arrived.
    pub parent: Option<Arc<IntentNode>>,
    /// The root of the chain (this node's id at the root).
    pub root_id: Arc<str>,
    /// 0 at the root, +1 per contraction.
    pub depth: u32,
    /// What was declared. `None` when spans reference an intent whose
    /// declaration never arrived (not in flight, not in ClickHouse).
    pub declaration: Option<Declaration>,
    /// True when the chain is incomplete: the declaration or an ancestor is missing.
    pub orphan: bool,
    /// `Some(false)` when the agent's claimed digest differs from the recomputed one.
    pub digest_valid: Option<bool>,
    /// The declaration prepared for scoring, once per intent.
    pub prepared: Option<PreparedIntent>,
    /// Why the declaration is invalid, when it is (an unknown guard line, an
    /// over-long bullet...). The intent is then scored on what remains valid.
    pub spec_error: Option<String>,
    /// True for an intent the collector inferred (`reshimu.intent.source =
    /// inferred`): the objective is the root agent's first user message, with
    /// no scope, constraints or guards, so it is judged conservatively.
    pub inferred: bool,
    /// Why the chain above this intent can never be complete, when the
    /// declarations themselves say so (it names itself as parent, or its
    /// ancestors loop back to it); `None` when the parent simply never came.
    pub parent_problem: Option<ParentProblem>,
}

/// A parent link that cannot be followed to a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParentProblem {
    /// The intent declares itself as its own parent.
    SelfParent,
    /// Following parents leads back to this intent: the ids of the loop,
    /// starting with this intent's parent.
    Cycle(Vec<Arc<str>>),
}

impl IntentNode {
    /// The sentence explaining why the lineage of this (orphan) intent is
    /// partial, for the span's explanation.
    pub fn partial_lineage_note(&self) -> String {
        // A loop found higher up explains this intent's partial chain too.
        let mut node = Some(self);
        while let Some(n) = node {
            if n.parent_problem.is_some() {
                return n.own_lineage_note();
            }
            node = n.parent.as_deref();
        }
        self.own_lineage_note()
    }

    fn own_lineage_note(&self) -> String {
        match (&self.parent_problem, self.parent_id()) {
            (Some(ParentProblem::SelfParent), _) => format!(
                "Invalid lineage: intent {} names itself as its parent intent.",
                self.id
            ),
            (Some(ParentProblem::Cycle(path)), _) => {
                let chain: Vec<&str> = std::iter::once(&*self.id)
                    .chain(path.iter().map(|id| &**id))
                    .chain(std::iter::once(&*self.id))
                    .collect();
                format!(
                    "Invalid lineage: parent intents form a cycle ({}).",
                    chain.join(" -> ")
                )
            }
            (None, Some(parent)) => {
                format!("Partial lineage: parent intent {parent} never arrived.")
            }
            (None, None) => "Partial lineage: the chain above this intent is unknown.".to_owned(),
        }
    }
}

impl IntentNode {
    /// A node for a declaration whose parent is `parent` (complete or absent).
    pub fn declared(
        declaration: Declaration,
        parent: Option<Arc<IntentNode>>,
        orphan: bool,
    ) -> Self {
        let digest_valid = declaration
            .claimed_digest
            .as_deref()
            .map(|claimed| claimed.eq_ignore_ascii_case(&declaration.spec.digest()));
        let (prepared, spec_error) = prepare(&declaration.spec);
        let (root_id, depth, orphan) = match &parent {
            Some(p) => (Arc::clone(&p.root_id), p.depth + 1, orphan || p.orphan),
            None => (Arc::clone(&declaration.intent_id), 0, orphan),
        };
        Self {
            id: Arc::clone(&declaration.intent_id),
            parent,
            root_id,
            depth,
            declaration: Some(declaration),
            orphan,
            digest_valid,
            prepared,
            spec_error,
            parent_problem: None,
            inferred: false,
        }
    }

    /// An intent inferred for a trace that declares none: the objective is
    /// the first user message of its root agent; scope, constraints and
    /// guards are empty. `declaration.declared_by` is the span it came from.
    pub fn inferred(declaration: Declaration) -> Self {
        let prepared = PreparedIntent::inferred(&declaration.spec.objective).ok();
        Self {
            inferred: true,
            prepared,
            spec_error: None,
            ..Self::declared(declaration, None, false)
        }
    }

    /// A stand-in for an intent that spans reference but nobody declared.
    pub fn undeclared(id: Arc<str>) -> Self {
        Self {
            root_id: Arc::clone(&id),
            id,
            parent: None,
            depth: 0,
            declaration: None,
            orphan: true,
            digest_valid: None,
            prepared: None,
            spec_error: None,
            parent_problem: None,
            inferred: false,
        }
    }

    /// The chain from the root down to this node.
    pub fn chain(&self) -> Vec<&IntentNode> {
        let mut chain = Vec::with_capacity(self.depth as usize + 1);
        let mut node = Some(self);
        while let Some(n) = node {
            chain.push(n);
            node = n.parent.as_deref();
        }
        chain.reverse();
        chain
    }

    /// `declared` or `inferred`: the `reshimu.intent.source` of the intent.
    pub fn source(&self) -> &'static str {
        if self.inferred {
            "inferred"
        } else {
            "declared"
        }
    }

    /// Intent ids from the root down to this node.
    pub fn lineage_path(&self) -> Vec<Arc<str>> {
        self.chain()
            .into_iter()
            .map(|n| Arc::clone(&n.id))
            .collect()
    }

    /// The id of the intent this one contracts from, declared or not.
    pub fn parent_id(&self) -> Option<&Arc<str>> {
        self.declaration.as_ref().and_then(|d| d.parent_id.as_ref())
    }

    /// The session this intent belongs to, as declared anywhere up its chain.
    pub fn declared_session(&self) -> Option<&Arc<str>> {
        self.chain()
            .into_iter()
            .rev()
            .find_map(|n| n.declaration.as_ref().and_then(|d| d.session_id.as_ref()))
    }
}

/// Prepares a declared spec for scoring. An invalid spec is not thrown away:
/// what is valid of it is enforced and the rest is reported by the scorer on
/// the declaring span ([`PreparedIntent::declared`]); only a spec with no
/// usable objective cannot be prepared, and its error is kept.
fn prepare(spec: &IntentSpec) -> (Option<PreparedIntent>, Option<String>) {
    match PreparedIntent::declared(spec.clone()) {
        Ok(p) => {
            let error = (!p.issues().is_empty()).then(|| p.issues().join("; "));
            (Some(p), error)
        }
        Err(error) => (None, Some(error.to_string())),
    }
}
