//! `IntentChain`: the intents a span runs under, root first, and the scoring
//! of spans and proposed actions against them.

use std::sync::{Arc, LazyLock};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use reshimu_intent::score::{Context, DefaultScorer, IntentChain as RustChain, PreparedIntent};
use reshimu_intent::score::{Score as RustScore, Scorer, SessionMemory};
use reshimu_intent::span::SpanView;

use crate::action::Action;
use crate::attributes::{span_view, string_attributes};
use crate::score::Score;
use crate::spec::IntentSpec;

/// The collector's default scorer, built once per process.
static SCORER: LazyLock<DefaultScorer> = LazyLock::new(DefaultScorer::default);

/// The scorer's name and version, stored with every score.
pub(crate) fn scorer_version() -> &'static str {
    SCORER.version()
}

/// What a span is judged with beyond its chain: the caller's trusted data,
/// what its session has seen (none: only the span's own inputs), its parent's
/// score when the parent was scored first, and whether
/// lineage found it to be the hop to a delegate in another process.
#[derive(Default, Clone, Copy)]
pub(crate) struct Judged<'a> {
    pub(crate) known: &'a [&'a str],
    pub(crate) memory: Option<&'a SessionMemory>,
    pub(crate) parent: Option<&'a RustScore>,
    pub(crate) delegation_hop: bool,
}

/// The one call into the scorer: `view` judged against `levels` (root first)
/// with what the caller knows. Every score the binding returns comes from
/// here, so a change of the scorer's API is a change of this function.
pub(crate) fn score(
    levels: &[Arc<PreparedIntent>],
    view: &SpanView<'_>,
    judged: Judged<'_>,
) -> RustScore {
    let refs: Vec<&PreparedIntent> = levels.iter().map(|p| &**p).collect();
    match RustChain::new(&refs) {
        Some(chain) => SCORER.score(
            &chain,
            view,
            &Context {
                known_data: judged.known,
                memory: judged.memory,
                parent: judged.parent,
                delegation_hop: judged.delegation_hop,
            },
        ),
        None => RustScore::unscoped(SCORER.version()),
    }
}

/// The intents a span runs under: the root first, then each contraction down
/// to the intent in force. Immutable; `extend` makes the chain of a delegate.
#[pyclass(frozen, module = "reshimu._native")]
pub(crate) struct IntentChain {
    pub(crate) levels: Vec<Arc<PreparedIntent>>,
}

#[pymethods]
impl IntentChain {
    /// A chain from its levels, root first (at least one).
    #[new]
    fn new(levels: Vec<PyRef<'_, IntentSpec>>) -> PyResult<IntentChain> {
        if levels.is_empty() {
            return Err(PyValueError::new_err(
                "an intent chain needs at least its root intent",
            ));
        }
        Ok(IntentChain {
            levels: levels.iter().map(|s| s.prepared.clone()).collect(),
        })
    }

    /// The chain of a delegate: this chain plus `spec` as the intent in force.
    fn extend(&self, spec: PyRef<'_, IntentSpec>) -> IntentChain {
        let mut levels = self.levels.clone();
        levels.push(spec.prepared.clone());
        IntentChain { levels }
    }

    /// The root intent.
    #[getter]
    fn root(&self) -> IntentSpec {
        IntentSpec {
            prepared: self.levels[0].clone(),
        }
    }

    /// The intent in force (the deepest contraction).
    #[getter]
    fn in_force(&self) -> IntentSpec {
        IntentSpec {
            prepared: self.levels[self.levels.len() - 1].clone(),
        }
    }

    /// Every level, root first.
    #[getter]
    fn levels(&self) -> Vec<IntentSpec> {
        self.levels
            .iter()
            .map(|p| IntentSpec {
                prepared: p.clone(),
            })
            .collect()
    }

    /// Delegation depth of the intent in force (0 at the root).
    #[getter]
    fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    fn __len__(&self) -> usize {
        self.levels.len()
    }

    /// Scores a span, given its name and attributes (a mapping or `(key,
    /// value)` pairs; only string values are read, as the collector reads
    /// them), against this chain, knowing only the span's own inputs (a
    /// `SessionScorer` also knows what its session saw before). `known_data`: trusted texts (contacts from a
    /// CRM, payees on file) in which a side effect's target may appear;
    /// never untrusted content.
    #[pyo3(signature = (name, attributes, known_data = Vec::new()))]
    fn score(
        &self,
        name: PyBackedStr,
        attributes: &Bound<'_, PyAny>,
        known_data: Vec<PyBackedStr>,
    ) -> PyResult<Score> {
        let attrs = string_attributes(attributes)?;
        let view = span_view(&name, &attrs);
        let known: Vec<&str> = known_data.iter().map(|s| &**s).collect();
        let judged = Judged {
            known: &known,
            ..Judged::default()
        };
        Ok(score(&self.levels, &view, judged).into())
    }

    /// Scores a proposed action running under the intent `intent_id` (the
    /// id of the intent in force), as its span will be scored.
    #[pyo3(signature = (action, intent_id, known_data = Vec::new()))]
    fn check(
        &self,
        action: PyRef<'_, Action>,
        intent_id: PyBackedStr,
        known_data: Vec<PyBackedStr>,
    ) -> Score {
        let view = action.inner.view(&intent_id);
        let known: Vec<&str> = known_data.iter().map(|s| &**s).collect();
        let judged = Judged {
            known: &known,
            ..Judged::default()
        };
        score(&self.levels, &view, judged).into()
    }

    fn __repr__(&self) -> String {
        format!("IntentChain(depth={})", self.levels.len() - 1)
    }
}
