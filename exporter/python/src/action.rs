//! `Action`: a proposed action described with the attributes its span will
//! carry, built by `reshimu_intent::action::Action` (the Rust exporter's too).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use reshimu_intent::action::Action as RustAction;

/// `json.dumps(value, ensure_ascii=False)`: tool arguments as the model sent
/// them, non-ASCII kept raw so the scorer reads the words, not `\\u` escapes.
fn json_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let kwargs = PyDict::new(value.py());
    kwargs.set_item("ensure_ascii", false)?;
    value
        .py()
        .import("json")?
        .call_method("dumps", (value,), Some(&kwargs))?
        .extract()
}

/// An action an agent is about to take, for `check`: a span name and the
/// string attributes the span will carry (OTel GenAI, database, HTTP,
/// messaging conventions), so the check judges it as the collector will.
#[pyclass(frozen, module = "reshimu._native", eq)]
#[derive(PartialEq)]
pub(crate) struct Action {
    pub(crate) inner: RustAction,
}

#[pymethods]
impl Action {
    /// An action with a span name and `(key, value)` string attributes.
    #[new]
    #[pyo3(signature = (name, attributes = Vec::new()))]
    fn new(name: String, attributes: Vec<(String, String)>) -> Action {
        let inner = attributes
            .into_iter()
            .fold(RustAction::new(name), |a, (k, v)| a.with(k, v));
        Action { inner }
    }

    /// A SQL statement (`db.query.text`); the span name is its leading keyword.
    #[staticmethod]
    fn sql(query: String) -> Action {
        Action {
            inner: RustAction::sql(query),
        }
    }

    /// A tool call (`execute_tool <name>`) with its arguments: JSON text, or
    /// any JSON-serializable value (serialized with `json.dumps`).
    #[staticmethod]
    #[pyo3(signature = (name, arguments = None))]
    fn tool(name: String, arguments: Option<&Bound<'_, PyAny>>) -> PyResult<Action> {
        let arguments = match arguments {
            None => String::from("{}"),
            Some(a) if a.is_instance_of::<PyString>() => a.extract()?,
            Some(a) => json_text(a)?,
        };
        Ok(Action {
            inner: RustAction::tool(&name, arguments),
        })
    }

    /// An HTTP request (`http.request.method`, `url.full`).
    #[staticmethod]
    fn http(method: String, url: String) -> Action {
        Action {
            inner: RustAction::http(&method, url),
        }
    }

    /// A message sent to `destination` (recipient, queue, topic, channel),
    /// with the text the agent sends, if known.
    #[staticmethod]
    #[pyo3(signature = (destination, body = None))]
    fn message(destination: String, body: Option<String>) -> Action {
        Action {
            inner: RustAction::message(&destination, body.as_deref()),
        }
    }

    /// A model call with its input and output messages (JSON text).
    #[staticmethod]
    fn chat(model: String, input: String, output: String) -> Action {
        Action {
            inner: RustAction::chat(&model, input, output),
        }
    }

    /// A copy with one more attribute.
    fn with_attribute(&self, key: String, value: String) -> Action {
        Action {
            inner: self.inner.clone().with(key, value),
        }
    }

    /// The span name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The attributes, in order.
    #[getter]
    fn attributes(&self) -> Vec<(String, String)> {
        self.inner.attributes().to_vec()
    }

    fn __repr__(&self) -> String {
        format!(
            "Action({:?}, {:?})",
            self.inner.name(),
            self.inner.attributes()
        )
    }
}
