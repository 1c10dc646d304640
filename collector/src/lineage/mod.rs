//! Lineage: which intent each span serves, and that intent's chain up to the
//! root, across spans, traces and processes.
//!
//! Rules (DESIGN.md, "Attributes"):
//! - a span that carries the bullets (or a delegation's contraction text with a
//!   parent id) **declares** an intent; a declaration with a parent id is a
//!   contraction of that parent;
//! - a span with `reshimu.intent.id` **references** that intent;
//! - a span without it takes the intent of its parent span, else of a span it
//!   links to in another trace;
//! - a span that resolves to no intent is kept, unscoped.
//!
//! [`facts`] reads what a span says, [`resolver`] rebuilds the tree and holds
//! spans whose intent has not arrived yet, [`node`] is one intent in the tree.
//! All of it is pure: the pipeline supplies time and ClickHouse lookups.

pub mod bounded;
pub mod facts;
pub mod lookup;
pub mod node;
pub mod resolver;

pub use facts::{
    Declaration, ResourceFacts, SpanFacts, SpanKey, read_span, resource_service, resource_session,
    span_key,
};
pub use lookup::IntentLookup;
pub use node::{IntentNode, ParentProblem};
pub use resolver::{EvictionCounts, LineageLimits, Released, Resolver, SpanLineage};

#[cfg(test)]
mod tests;
