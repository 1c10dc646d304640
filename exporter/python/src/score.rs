//! `Score`: the scorer's verdict on one span, as a Python value.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use reshimu_intent::score::Score as RustScore;

/// The score of one span (or proposed action): the same fields the collector
/// stores (`Alignment`, `LocalAlignment`, `Coverage`, `Verdict`, `Violations`,
/// `Explanation`, `Scorer`).
#[pyclass(frozen, module = "reshimu._native")]
pub(crate) struct Score {
    /// How clearly the span serves the root objective within its scope, in [0, 1].
    #[pyo3(get)]
    alignment: f64,
    /// The same against the intent directly in force, in [0, 1].
    #[pyo3(get)]
    local_alignment: f64,
    /// For contractions: the share of the root's definitions and constraints still carried.
    #[pyo3(get)]
    coverage: Option<f64>,
    /// `violation`, `thin`, `drifting`, `aligned` or `unscoped`.
    #[pyo3(get)]
    verdict: &'static str,
    /// Broken guards or constraints, each `<rule id>: <evidence>`.
    #[pyo3(get)]
    violations: Vec<String>,
    /// One short sentence with the evidence.
    #[pyo3(get)]
    explanation: String,
    /// Name and version of the scorer.
    #[pyo3(get)]
    scorer: &'static str,
    /// The score as the scorer returned it: a span's score is the `parent`
    /// context of its children (`SessionScorer.score_span`).
    pub(crate) rust: RustScore,
}

impl From<RustScore> for Score {
    fn from(s: RustScore) -> Self {
        Score {
            alignment: f64::from(s.alignment),
            local_alignment: f64::from(s.local_alignment),
            coverage: s.coverage.map(f64::from),
            verdict: s.verdict.as_str(),
            violations: s.violations.clone(),
            explanation: s.explanation.clone(),
            scorer: s.scorer,
            rust: s,
        }
    }
}

#[pymethods]
impl Score {
    /// True for every verdict but `aligned`.
    #[getter]
    fn flagged(&self) -> bool {
        self.verdict != "aligned"
    }

    /// The fields as a dict (the keys of `reshimu-collector score --format jsonl`
    /// that a score holds).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("alignment", self.alignment)?;
        d.set_item("local_alignment", self.local_alignment)?;
        d.set_item("coverage", self.coverage)?;
        d.set_item("verdict", self.verdict)?;
        d.set_item("violations", self.violations.clone())?;
        d.set_item("explanation", &self.explanation)?;
        d.set_item("scorer", self.scorer)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "Score(verdict={:?}, alignment={:.2}, explanation={:?})",
            self.verdict, self.alignment, self.explanation
        )
    }
}
