//! Python exceptions for Rust errors, with the same field and line
//! information as [`reshimu_intent::SpecError`].

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use reshimu_intent::SpecError as RustSpecError;
use reshimu_intent::guard::GuardSetError;

pyo3::create_exception!(
    _native,
    ReshimuError,
    pyo3::exceptions::PyException,
    "Base class of every error the Reshimu SDK raises."
);

pyo3::create_exception!(
    _native,
    SpecError,
    PyValueError,
    "An invalid intent spec or guard line. Attributes: `field` (objective, \
     scope, constraints or guards), `line` (1-based guard line, or None), \
     `position` (1-based character, or None), `reason` (the message)."
);

/// Where an error points: the field, the guard line and the character.
struct Location {
    field: &'static str,
    line: Option<usize>,
    position: Option<usize>,
}

fn locate(e: &RustSpecError) -> Location {
    match e {
        RustSpecError::Empty { field }
        | RustSpecError::Blank { field }
        | RustSpecError::TooLong { field, .. } => Location {
            field: field.name(),
            line: None,
            position: None,
        },
        RustSpecError::ControlChar {
            field, position, ..
        } => Location {
            field: field.name(),
            line: None,
            position: Some(*position),
        },
        RustSpecError::Guards(g) => Location {
            field: "guards",
            line: match g {
                GuardSetError::TooMany { .. } => None,
                GuardSetError::Line { line, .. } | GuardSetError::DuplicateTerm { line, .. } => {
                    Some(*line)
                }
            },
            position: match g {
                GuardSetError::Line {
                    source: reshimu_intent::guard::GuardError::ControlChar { position, .. },
                    ..
                } => Some(*position),
                _ => None,
            },
        },
    }
}

/// A `SpecError` exception carrying the Rust error's message and location.
pub(crate) fn spec_error(py: Python<'_>, e: &RustSpecError) -> PyErr {
    let message = e.to_string();
    let err = SpecError::new_err(message.clone());
    let loc = locate(e);
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail short of
    // memory exhaustion; if it does, that error is the one to raise.
    let set = || -> PyResult<()> {
        value.setattr("field", loc.field)?;
        value.setattr("line", loc.line)?;
        value.setattr("position", loc.position)?;
        value.setattr("reason", message)?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(e) => e,
    }
}
