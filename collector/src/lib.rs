//! # reshimu-collector
//!
//! An OpenTelemetry collector stage: receive OTLP, rebuild the intent lineage,
//! score every span against its root intent, write ClickHouse and forward OTLP.
//!
//! Data flows one way: `receive -> lineage -> score -> sink`. The folders of
//! this crate follow that order.

pub mod config;
pub mod demo;
pub mod lineage;
pub mod offline;
pub mod pipeline;
pub mod queue;
pub mod receive;
pub mod schema;
pub mod score;
pub mod service;
pub mod sink;
pub mod spool;
pub mod telemetry;
