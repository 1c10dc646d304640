//! Scoring: every span judged against its root intent, with its reasons.
//!
//! The flow is: prepare each declared intent once ([`PreparedIntent`]), line
//! them up from the root down to the intent in force ([`IntentChain`]), keep
//! one [`SessionMemory`] per session (where each value first appeared), then
//! score each span's [`SpanView`](crate::span::SpanView) against the chain with
//! a [`Scorer`]. The [`DefaultScorer`] is deterministic, offline and explains
//! every verdict with the evidence that produced it.
//!
//! The default scorer reasons in layers, each with its evidence:
//! 1. normalization ([`SpanView`](crate::span::SpanView)): what the agent was
//!    asked, was given as data, said, and did or proposed (tool calls in its
//!    output are acts too);
//! 2. provenance ([`SessionMemory`]): where each value an act uses first
//!    appeared, and whether that content asked the reader to act;
//! 3. exact checks: the declared guards, and the constraints compiled once
//!    per intent into rules on effects (read, write, send, pay, delete,
//!    publish...), quoted as evidence;
//! 4. definitions with a kind and a unit: drift only when the same kind of
//!    value is restated differently;
//! 5. task drift: an act or a request for something the objective does not
//!    ask for; vocabulary alone only moves `alignment`.

mod advice;
mod checks;
mod coverage;
mod dates;
mod default;
mod definitions;
mod deliverables;
mod effects;
mod exfiltration;
mod findings;
mod handoff;
mod injection;
mod instructions;
mod keyed;
mod latitude;
mod lookups;
mod pinned;
mod prepared;
mod provenance;
mod quantity;
mod reservations;
mod rules;
mod sql;
mod stems;
mod task;
mod thresholds;
mod topic;
mod values;

pub use coverage::{Coverage, coverage};
pub use default::DefaultScorer;
pub use prepared::{IntentChain, IntentSource, PreparedIntent};
pub use provenance::SessionMemory;
pub use thresholds::Thresholds;

use crate::span::SpanView;

/// The verdict on one span, from worst to best: `violation` > `thin` >
/// `drifting` > `aligned`; `unscoped` when no intent resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// The span breaks a guard or a constraint of its intent chain.
    Violation,
    /// A contraction that lost the root's definitions or constraints, or redefines a root term.
    Thin,
    /// The span wanders from the objective or changes a definition.
    Drifting,
    /// The span serves the objective within its scope.
    Aligned,
    /// No intent resolves for the span.
    Unscoped,
}

impl Verdict {
    /// The lowercase name stored with the score.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Violation => "violation",
            Verdict::Thin => "thin",
            Verdict::Drifting => "drifting",
            Verdict::Aligned => "aligned",
            Verdict::Unscoped => "unscoped",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(s: &str) -> Option<Verdict> {
        Some(match s {
            "violation" => Verdict::Violation,
            "thin" => Verdict::Thin,
            "drifting" => Verdict::Drifting,
            "aligned" => Verdict::Aligned,
            "unscoped" => Verdict::Unscoped,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The score of one span.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// How clearly the span serves the root objective within its scope, in [0, 1].
    pub alignment: f32,
    /// The same against the intent directly in force, in [0, 1].
    pub local_alignment: f32,
    /// For contractions: the share of the root's definitions and constraints still carried.
    pub coverage: Option<f32>,
    /// Broken guards or constraints, each `<rule id>: <evidence>`.
    pub violations: Vec<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// One short sentence with the evidence; empty for an aligned span with nothing to say.
    pub explanation: String,
    /// Name and version of the scorer.
    pub scorer: &'static str,
}

impl Score {
    /// The score of a span that resolves to no intent.
    pub fn unscoped(scorer: &'static str) -> Score {
        Score {
            alignment: 0.0,
            local_alignment: 0.0,
            coverage: None,
            violations: Vec::new(),
            verdict: Verdict::Unscoped,
            explanation: String::from("No intent resolves for this span."),
            scorer,
        }
    }
}

/// Facts the caller knows beyond the intent chain and the span.
///
/// The scorer sees one span at a time. A caller that sees the session (the
/// collector, an agent's runtime) keeps a [`SessionMemory`] per session and
/// passes it here, so that a recipient found in a CRM lookup is told from
/// one planted in a web page. Without one, only the span's own inputs are
/// known.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// Trusted texts in which a side effect's target may legitimately appear
    /// (contacts, payees on file); untrusted content must not be passed.
    pub known_data: &'a [&'a str],
    /// What the session has seen so far.
    pub memory: Option<&'a SessionMemory>,
    /// The score of the span's parent, when the caller scored it already
    /// (spans are scored in start order): the HTTP call or message a tool
    /// makes carries that tool's act, and is judged with it.
    pub parent: Option<&'a Score>,
    /// Lineage found that this span is the hop to a delegate in another
    /// process (an HTTP client span whose remote child declares or is stamped
    /// with a contraction of this span's intent): its request is the
    /// delegation itself, not a write.
    pub delegation_hop: bool,
}

/// A span scorer. Object-safe, shareable across threads.
pub trait Scorer: Send + Sync {
    /// Name and version stored with every score, e.g. `reshimu-default/4`.
    fn version(&self) -> &'static str;

    /// Scores one span against its intent chain.
    ///
    /// A span that declares a contraction is scored against the chain that ends
    /// with the contraction it declares; [`Score::coverage`] is then set.
    fn score(&self, chain: &IntentChain<'_>, span: &SpanView<'_>, ctx: &Context<'_>) -> Score;
}
