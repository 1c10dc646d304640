//! Reading span attributes handed over from Python.

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyDict, PyString};
use reshimu_intent::span::SpanView;

/// The string-valued attributes of `attributes` (a mapping, or an iterable
/// of `(key, value)` pairs), in order. Other values are skipped, exactly as
/// the collector's scoring stage reads only string attributes: ids, counts
/// and flags carry nothing the scorer interprets.
pub(crate) fn string_attributes(
    attributes: &Bound<'_, PyAny>,
) -> PyResult<Vec<(PyBackedStr, PyBackedStr)>> {
    let mut out = Vec::new();
    let mut push = |k: Bound<'_, PyAny>, v: Bound<'_, PyAny>| -> PyResult<()> {
        if v.is_instance_of::<PyString>() {
            out.push((k.extract::<PyBackedStr>()?, v.extract::<PyBackedStr>()?));
        }
        Ok(())
    };
    if let Ok(dict) = attributes.cast::<PyDict>() {
        for (k, v) in dict.iter() {
            push(k, v)?;
        }
    } else if attributes.hasattr("items")? {
        for item in attributes.call_method0("items")?.try_iter()? {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            push(k, v)?;
        }
    } else {
        for item in attributes.try_iter()? {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            push(k, v)?;
        }
    }
    Ok(out)
}

/// The scorer's view of a span named `name` with `attributes` (as
/// [`string_attributes`] returns them), read as the collector reads it.
pub(crate) fn span_view<'a>(
    name: &'a str,
    attributes: &'a [(PyBackedStr, PyBackedStr)],
) -> SpanView<'a> {
    SpanView::from_attributes(name, attributes.iter().map(|(k, v)| (&**k, &**v)))
}
