//! The processing half of the collector: queue -> lineage -> score -> sinks.
//!
//! One thread does all of it, on its own single-threaded runtime, so the CPU
//! work never runs on the async I/O threads that serve OTLP. Scored requests
//! fan out to every sink through bounded channels: a slow sink slows this
//! stage, which fills the queue, which makes receivers refuse with
//! `RESOURCE_EXHAUSTED`/429. Nothing is dropped on the way.

mod process;

pub use process::{Outputs, ProcessingStage, extract_facts};
