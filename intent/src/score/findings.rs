//! What the detectors found about one span, before it becomes a [`Score`](super::Score).

use std::fmt::Write as _;

/// Kinds of drift, each with the alignment it caps a span at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Drift {
    /// A defined term restated with another value.
    Definition,
    /// A table or object outside the scope.
    Scope,
    /// A different task than the objective asks for.
    Task,
}

impl Drift {
    pub(crate) fn cap(self) -> f32 {
        match self {
            Drift::Definition => 0.35,
            Drift::Scope => 0.4,
            Drift::Task => 0.3,
        }
    }
}

/// Findings of one span.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    /// Broken guards or constraints, each `<rule id>: <evidence>`.
    pub violations: Vec<String>,
    /// First evidence of drift, its kind, and whether the intent in force
    /// asked for what the root did not (then only root alignment drops).
    pub drift: Option<(Drift, String, bool)>,
    /// Thin-trace evidence for a contraction.
    pub thin: Option<String>,
    /// Multiplies alignment within the aligned band: weak evidence that
    /// does not change the verdict (an unknown recipient, advice where none
    /// is forbidden, off-topic words).
    pub weak: f32,
}

impl Findings {
    pub(crate) fn new() -> Findings {
        Findings {
            weak: 1.0,
            ..Findings::default()
        }
    }

    /// Records a violation; one entry per rule (the guard and the constraint
    /// that say the same thing are reported once, with the first evidence).
    pub(crate) fn violate(&mut self, rule: &str, evidence: std::fmt::Arguments<'_>) {
        if self.has(rule) {
            return;
        }
        let mut s = String::with_capacity(rule.len() + 64);
        s.push_str(rule);
        s.push_str(": ");
        let _ = s.write_fmt(evidence);
        self.violations.push(s);
    }

    /// Whether a violation of `rule` is recorded.
    pub(crate) fn has(&self, rule: &str) -> bool {
        self.violations.iter().any(|v| {
            v.len() > rule.len() && v.starts_with(rule) && v.as_bytes()[rule.len()] == b':'
        })
    }

    pub(crate) fn drift(
        &mut self,
        kind: Drift,
        root_only: bool,
        evidence: impl FnOnce() -> String,
    ) {
        match &self.drift {
            // A finding the intent in force does not excuse outranks one it does.
            Some((_, _, true)) if !root_only => self.drift = Some((kind, evidence(), false)),
            Some(_) => {}
            None => self.drift = Some((kind, evidence(), root_only)),
        }
    }

    pub(crate) fn weaken(&mut self, factor: f32) {
        self.weak = self.weak.min(factor);
    }
}
