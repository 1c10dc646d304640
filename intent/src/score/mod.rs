//! Scoring: every span judged against its root intent, with its reasons.
//!
//! The flow is: prepare each declared intent once ([`PreparedIntent`]), line
//! them up from the root down to the intent in force ([`IntentChain`]), then
//! score each span's [`SpanView`](crate::span::SpanView) against the chain with
//! a [`Scorer`]. The [`DefaultScorer`] is deterministic, offline and explains
//! every verdict with the evidence that produced it.

mod checks;
mod coverage;
mod default;
mod definitions;
mod prepared;
mod purpose;
mod quantity;
mod sql;
mod targets;
mod text;
mod thresholds;

pub use coverage::{Coverage, coverage};
pub use default::DefaultScorer;
pub use prepared::{IntentChain, PreparedIntent};
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

/// Facts the caller knows beyond the intent chain, used to tell a legitimate
/// recipient or counterparty from an injected one.
///
/// The scorer sees one span at a time; it cannot know which tool results came
/// before. A caller that tracks them (the collector's session state, the
/// exporter's agent) can pass trusted values here: contacts looked up in a
/// CRM, hosts of the organization, payees on file. Untrusted content (web
/// pages, inbound emails) must not be passed: that is where injected goals
/// come from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// Trusted texts in which a side effect's target may legitimately appear.
    pub known_data: &'a [&'a str],
}

/// A span scorer. Object-safe, shareable across threads.
pub trait Scorer: Send + Sync {
    /// Name and version stored with every score, e.g. `reshimu-default/1`.
    fn version(&self) -> &'static str;

    /// Scores one span against its intent chain.
    ///
    /// A span that declares a contraction is scored against the chain that ends
    /// with the contraction it declares; [`Score::coverage`] is then set.
    fn score(&self, chain: &IntentChain<'_>, span: &SpanView<'_>, ctx: &Context<'_>) -> Score;
}
