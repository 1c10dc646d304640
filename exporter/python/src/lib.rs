//! `reshimu._native`: the Rust core of the Python package `reshimu`.
//!
//! Everything that decides a verdict comes from `reshimu-intent`, so a check
//! in a Python agent and the collector judge a span the same way: spec
//! validation ([`spec`]), the canonical digest, guard parsing, the proposed
//! action's attributes ([`action`]), the default scorer ([`chain`], whose
//! [`chain::score`] is the one call into the scorer) and a session's
//! provenance ([`memory`]). The Python side (`python/reshimu/`) holds the
//! OpenTelemetry glue.

use pyo3::prelude::*;

mod action;
mod attributes;
mod chain;
mod errors;
mod memory;
mod score;
mod spec;

/// The module `reshimu._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<spec::IntentSpec>()?;
    m.add_class::<chain::IntentChain>()?;
    m.add_class::<score::Score>()?;
    m.add_class::<memory::SessionScorer>()?;
    m.add_class::<action::Action>()?;
    m.add_function(wrap_pyfunction!(spec::parse_guard, m)?)?;
    m.add("SpecError", py.get_type::<errors::SpecError>())?;
    m.add("ReshimuError", py.get_type::<errors::ReshimuError>())?;
    m.add("SCORER_VERSION", chain::scorer_version())?;
    m.add("INTENT_DECLARE_SPAN", "reshimu.intent.declare")?;
    m.add("GUARD_EVENT", reshimu_intent::attr::event::GUARD)?;
    m.add("BAGGAGE_KEYS", reshimu_intent::attr::BAGGAGE.to_vec())?;
    Ok(())
}
