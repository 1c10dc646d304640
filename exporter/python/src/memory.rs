//! `SessionScorer`: what one session has seen (the scorer's
//! [`SessionMemory`]: where each value an action uses first appeared) and
//! the scoring of its spans and proposed actions against it, in the order
//! the collector's scoring stage uses.

use std::sync::{Mutex, MutexGuard, PoisonError};

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use reshimu_intent::action::Action as RustAction;
use reshimu_intent::score::SessionMemory;
use reshimu_intent::span::SpanView;

use crate::action::Action;
use crate::attributes::{span_view, string_attributes};
use crate::chain::{IntentChain, Judged, score};
use crate::score::Score;

/// The provenance of one session, and scoring with it.
///
/// The collector keeps one per session and, for every span in start order,
/// learns what the span was asked and given, scores it, then learns what it
/// returned ([`SessionScorer::score_span`] does the three in that order).
/// An agent's session feeds it every finished span (`observe`, which the
/// span processor calls) and tool results it learns otherwise
/// (`observe_tool_result`), and judges proposed actions with `check`, so an
/// action aimed at a value that an instruction planted in a web page
/// introduced is refused before it runs. Bounded: at most `max_values`
/// values (the oldest forgotten first).
#[pyclass(frozen, weakref, module = "reshimu._native")]
pub(crate) struct SessionScorer {
    // A session's spans may end on several threads; a lock costs far less
    // than the scan it guards.
    memory: Mutex<SessionMemory>,
}

impl SessionScorer {
    fn memory(&self) -> MutexGuard<'_, SessionMemory> {
        // The memory is plain data, valid between any two calls: a panic in
        // another thread leaves nothing half-written worth refusing over.
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Scores `view` with what the session has seen plus the view's own
    /// inputs, as the collector will once the span arrives, without
    /// remembering them: the same proposal can be checked many times, and
    /// its span is learned from when it ends.
    fn judge(&self, chain: &IntentChain, view: &SpanView<'_>, known: &[&str]) -> Score {
        let mut scratch = self.memory().clone();
        scratch.observe_inputs(view);
        let judged = Judged {
            known,
            memory: Some(&scratch),
            parent: None,
            delegation_hop: false,
        };
        score(&chain.levels, view, judged).into()
    }
}

#[pymethods]
impl SessionScorer {
    /// An empty memory keeping at most `max_values` values.
    #[new]
    #[pyo3(signature = (max_values = SessionMemory::DEFAULT_VALUES))]
    fn new(max_values: usize) -> SessionScorer {
        SessionScorer {
            memory: Mutex::new(SessionMemory::new(max_values)),
        }
    }

    /// Learns from a finished span (its name and attributes, read as
    /// `IntentChain.score` reads them): what it was asked and given, then
    /// what it returned.
    fn observe(&self, name: PyBackedStr, attributes: &Bound<'_, PyAny>) -> PyResult<()> {
        let attrs = string_attributes(attributes)?;
        let view = span_view(&name, &attrs);
        let mut memory = self.memory();
        memory.observe_inputs(&view);
        memory.observe_outputs(&view);
        Ok(())
    }

    /// Learns what the tool `tool` returned (`result`, as text), for a tool
    /// whose span this session does not see.
    fn observe_tool_result(&self, tool: &str, result: String) {
        let done = RustAction::tool_result(tool, result);
        self.memory().observe_outputs(&done.view(""));
    }

    /// The collector's scoring of one span against `chain`: learns what the
    /// span was asked and given, scores it, then learns what it returned and
    /// how it was scored (a session's first flagged span weakens the next).
    /// `delegation_hop`: lineage found the span to be the HTTP request that
    /// hands work to a delegate in another process. `parent`: the score of
    /// the span's parent, scored before it (the collector passes it when the
    /// parent came in the same request): an HTTP call or message under a
    /// flagged tool is that tool's act, carried out.
    #[pyo3(signature = (chain, name, attributes, delegation_hop = false, parent = None))]
    fn score_span(
        &self,
        chain: PyRef<'_, IntentChain>,
        name: PyBackedStr,
        attributes: &Bound<'_, PyAny>,
        delegation_hop: bool,
        parent: Option<PyRef<'_, Score>>,
    ) -> PyResult<Score> {
        let attrs = string_attributes(attributes)?;
        let view = span_view(&name, &attrs);
        let mut memory = self.memory();
        memory.observe_inputs(&view);
        let judged = Judged {
            known: &[],
            memory: Some(&*memory),
            parent: parent.as_ref().map(|p| &p.rust),
            delegation_hop,
        };
        let scored = score(&chain.levels, &view, judged);
        memory.observe_outputs(&view);
        memory.observe_score(&view, &scored);
        Ok(scored.into())
    }

    /// Scores a span about to start (a delegation, say) against `chain`
    /// with what the session has seen, without remembering it.
    #[pyo3(signature = (chain, name, attributes, known_data = Vec::new()))]
    fn score(
        &self,
        chain: PyRef<'_, IntentChain>,
        name: PyBackedStr,
        attributes: &Bound<'_, PyAny>,
        known_data: Vec<PyBackedStr>,
    ) -> PyResult<Score> {
        let attrs = string_attributes(attributes)?;
        let view = span_view(&name, &attrs);
        let known: Vec<&str> = known_data.iter().map(|s| &**s).collect();
        Ok(self.judge(&chain, &view, &known))
    }

    /// Scores a proposed action running under the intent `intent_id` (the
    /// intent in force) against `chain`, with what the session has seen;
    /// `known_data` as for `IntentChain.check`.
    #[pyo3(signature = (chain, action, intent_id, known_data = Vec::new()))]
    fn check(
        &self,
        chain: PyRef<'_, IntentChain>,
        action: PyRef<'_, Action>,
        intent_id: PyBackedStr,
        known_data: Vec<PyBackedStr>,
    ) -> Score {
        let view = action.inner.view(&intent_id);
        let known: Vec<&str> = known_data.iter().map(|s| &**s).collect();
        self.judge(&chain, &view, &known)
    }

    /// Approximate heap bytes the memory holds.
    #[getter]
    fn approx_bytes(&self) -> usize {
        self.memory().approx_bytes()
    }

    fn __repr__(&self) -> String {
        format!(
            "SessionScorer(approx_bytes={})",
            self.memory().approx_bytes()
        )
    }
}
