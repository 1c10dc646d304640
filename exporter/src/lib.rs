//! # reshimu-exporter
//!
//! The agent-side SDK of Reshimu, on the OpenTelemetry SDK:
//!
//! - [`init`] builds a tracer provider with the OTLP exporter and the
//!   [`ReshimuSpanProcessor`]; teams with their own provider add just the processor.
//! - [`Session::start`] declares the root intent; [`Session::delegate`] declares
//!   a contraction and judges it before the delegate starts; [`Session::check`]
//!   judges an action before it runs, with the collector's scorer.
//! - The processor stamps every span started in a session's context, by any
//!   library, with `reshimu.intent.id`, `reshimu.intent.root_id`,
//!   `reshimu.session.id` and `reshimu.delegation.depth`.
//! - [`propagation`] carries the ids to sub-agents in other processes as
//!   W3C Trace Context plus W3C Baggage.
//!
//! ```
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//! use reshimu_exporter::{Action, IntentSpec, ReshimuSpanProcessor, Session};
//!
//! let provider = SdkTracerProvider::builder()
//!     .with_span_processor(ReshimuSpanProcessor::new())
//!     .build();
//! let session = Session::builder(IntentSpec {
//!     objective: "Audit the inactive customer accounts and prepare a summary".into(),
//!     scope: "inactive = last_login older than 90 days; customers table only; read access".into(),
//!     constraints: "no writes; no recommendations; do not contact customers".into(),
//!     guards: vec!["deny sql write".into()],
//! })
//! .workflow("inactive-accounts-audit")
//! .tracer_provider(&provider)
//! .start()?;
//! let score = session.check(&Action::sql("DELETE FROM customers"))?;
//! assert_eq!(score.verdict.as_str(), "violation"); // observe mode: recorded, not refused
//! # Ok::<(), reshimu_exporter::Error>(())
//! ```

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod action;
mod error;
mod export;
mod handoff;
mod init;
mod processor;
pub mod propagation;
mod record;
#[cfg(feature = "reference")]
pub mod reference;
mod scope;
mod session;

pub use action::Action;
pub use error::Error;
pub use export::ReportingExporter;
pub use handoff::{Handoff, HandoffIntent};
pub use init::{Config, InitError, Protocol, init};
pub use processor::ReshimuSpanProcessor;
pub use record::{GUARD_ACTION, GUARD_MODE, GUARD_OUTCOME};
pub use scope::{IntentIds, context_with_ids};
pub use session::{
    ActionSpan, Contraction, DECLARE_SPAN_NAME, Mode, Session, SessionBuilder, TRACER_NAME,
};

// What a caller needs from reshimu-intent, so that depending on this crate
// alone is enough: the spec it declares, and the score a check returns.
pub use reshimu_intent::score::{Score, Verdict};
pub use reshimu_intent::{IntentSpec, SpecError};
