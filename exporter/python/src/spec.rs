//! `IntentSpec`: the three bullets plus guards, validated, digested and
//! prepared for scoring once, when the Python object is built.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use reshimu_intent::score::PreparedIntent;
use reshimu_intent::{AttrValue, Guard, IntentSpec as RustSpec};

use crate::errors::{SpecError, spec_error};

/// An intent: what a session (or a delegate) must achieve (`objective`),
/// within which definitions and boundaries (`scope`), what must not happen
/// (`constraints`), and optional machine-checkable `guards`, one rule per line.
///
/// Built once per intent: the constructor validates the spec, compiles the
/// guards and prepares everything the scorer needs, and raises `SpecError`
/// (with `field`, `line` and `position`) when the spec is invalid.
#[pyclass(frozen, module = "reshimu._native", eq, hash)]
pub(crate) struct IntentSpec {
    pub(crate) prepared: Arc<PreparedIntent>,
}

impl PartialEq for IntentSpec {
    fn eq(&self, other: &Self) -> bool {
        self.prepared.spec() == other.prepared.spec()
    }
}

impl std::hash::Hash for IntentSpec {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.prepared.digest().hash(state);
    }
}

impl IntentSpec {
    pub(crate) fn from_rust(py: Python<'_>, spec: RustSpec) -> PyResult<IntentSpec> {
        match PreparedIntent::new(spec) {
            Ok(prepared) => Ok(IntentSpec {
                prepared: Arc::new(prepared),
            }),
            Err(e) => Err(spec_error(py, &e)),
        }
    }

    pub(crate) fn spec(&self) -> &RustSpec {
        self.prepared.spec()
    }
}

#[pymethods]
impl IntentSpec {
    #[new]
    #[pyo3(signature = (objective, scope = String::new(), constraints = String::new(), guards = Vec::new()))]
    fn new(
        py: Python<'_>,
        objective: String,
        scope: String,
        constraints: String,
        guards: Vec<String>,
    ) -> PyResult<IntentSpec> {
        IntentSpec::from_rust(
            py,
            RustSpec {
                objective,
                scope,
                constraints,
                guards,
            },
        )
    }

    /// A spec as an agent declared it, prepared as the collector prepares
    /// declarations: what is valid is enforced, what is not (a guard line
    /// that does not parse, an overlong bullet) is kept in `issues` and
    /// reported by the scorer on the declaring span. Raises `SpecError` only
    /// without a usable objective.
    #[staticmethod]
    #[pyo3(signature = (objective, scope = String::new(), constraints = String::new(), guards = Vec::new()))]
    fn declared(
        py: Python<'_>,
        objective: String,
        scope: String,
        constraints: String,
        guards: Vec<String>,
    ) -> PyResult<IntentSpec> {
        let spec = RustSpec {
            objective,
            scope,
            constraints,
            guards,
        };
        match PreparedIntent::declared(spec) {
            Ok(prepared) => Ok(IntentSpec {
                prepared: Arc::new(prepared),
            }),
            Err(e) => Err(spec_error(py, &e)),
        }
    }

    /// The intent the collector infers from a user's request when nothing
    /// was declared (`reshimu.intent.source = inferred`): judged
    /// conservatively, since nobody wrote its scope or constraints.
    #[staticmethod]
    fn inferred(py: Python<'_>, objective: &str) -> PyResult<IntentSpec> {
        match PreparedIntent::inferred(objective) {
            Ok(prepared) => Ok(IntentSpec {
                prepared: Arc::new(prepared),
            }),
            Err(e) => Err(spec_error(py, &e)),
        }
    }

    /// What is wrong with a spec built by `declared` (each naming its line
    /// or field); empty for a valid one.
    #[getter]
    fn issues(&self) -> Vec<String> {
        self.prepared.issues().to_vec()
    }

    /// `declared` or `inferred`: where the intent came from.
    #[getter]
    fn source(&self) -> &'static str {
        self.prepared.source().as_str()
    }

    /// The design's reference intent (a coordinator auditing inactive
    /// customer accounts), the one the demos and tests judge against.
    #[staticmethod]
    fn reference(py: Python<'_>) -> PyResult<IntentSpec> {
        IntentSpec::from_rust(py, RustSpec::reference())
    }

    /// Reads a spec from its JSON form (`{"objective": ..., "scope": ...,
    /// "constraints": ..., "guards": [...]}`; unknown keys are an error).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: String) -> PyResult<IntentSpec> {
        let spec: RustSpec = serde_json::from_str(&text)
            .map_err(|e| SpecError::new_err(format!("intent spec JSON: {e}")))?;
        IntentSpec::from_rust(py, spec)
    }

    /// What the session must achieve.
    #[getter]
    fn objective(&self) -> &str {
        &self.spec().objective
    }

    /// Definitions and boundaries.
    #[getter]
    fn scope(&self) -> &str {
        &self.spec().scope
    }

    /// What must not happen.
    #[getter]
    fn constraints(&self) -> &str {
        &self.spec().constraints
    }

    /// The guard lines in force (for a spec built by `declared`, without
    /// the lines that did not parse).
    #[getter]
    fn guards(&self) -> Vec<String> {
        self.spec().guards.clone()
    }

    /// Lowercase hex sha256 of the canonical JSON: `reshimu.intent.digest`.
    #[getter]
    fn digest(&self) -> &str {
        self.prepared.digest()
    }

    /// The canonical JSON the digest is computed over.
    fn canonical_json(&self) -> String {
        self.spec().canonical_json()
    }

    /// The rule id of every guard, in line order (`sql.write`,
    /// `tool.deny.send_*`, `define.inactive`, ...).
    #[getter]
    fn rules(&self) -> Vec<String> {
        self.prepared
            .guards()
            .guards()
            .iter()
            .map(|g| g.rule_id().to_owned())
            .collect()
    }

    /// The terms the intent defines (lowercased), from `define` guards and
    /// from the scope, with their definitions where a guard gives one.
    #[getter]
    fn definitions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for term in self.prepared.defined_terms() {
            let text = self
                .prepared
                .guards()
                .definition(term)
                .map(|d| d.text().to_owned());
            out.set_item(term, text)?;
        }
        Ok(out)
    }

    /// The declaration attributes (objective, scope, constraints, guards as a
    /// list, digest) for the declaring span.
    fn to_attributes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (key, value) in self.spec().to_attributes() {
            match value {
                AttrValue::String(s) => out.set_item(key, s)?,
                AttrValue::Int(i) => out.set_item(key, i)?,
                AttrValue::Double(d) => out.set_item(key, d)?,
                AttrValue::StringArray(v) => out.set_item(key, PyList::new(py, v)?)?,
            }
        }
        Ok(out)
    }

    /// The spec as a JSON-ready dict (the form `from_json` reads).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let spec = self.spec();
        let out = PyDict::new(py);
        out.set_item("objective", &spec.objective)?;
        out.set_item("scope", &spec.scope)?;
        out.set_item("constraints", &spec.constraints)?;
        out.set_item("guards", PyList::new(py, &spec.guards)?)?;
        Ok(out)
    }

    fn __repr__(&self) -> String {
        format!(
            "IntentSpec(objective={:?}, digest={:?})",
            self.spec().objective,
            &self.prepared.digest()[..12]
        )
    }
}

/// Parses one guard line: its rule id, or `None` for a blank line or a `#`
/// comment. Raises `SpecError` (field `guards`, line 1) when it does not parse.
#[pyfunction]
pub(crate) fn parse_guard(py: Python<'_>, line: String) -> PyResult<Option<String>> {
    match Guard::parse_line(&line) {
        Ok(guard) => Ok(guard.map(|g| g.rule_id().to_owned())),
        Err(source) => Err(spec_error(
            py,
            &reshimu_intent::SpecError::Guards(reshimu_intent::guard::GuardSetError::Line {
                line: 1,
                text: line.clone(),
                source,
            }),
        )),
    }
}
