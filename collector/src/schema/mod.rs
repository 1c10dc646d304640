//! The ClickHouse schema: the numbered migrations of `schemas/clickhouse/`,
//! rendered for a deployment (database, optional cluster) and applied once
//! each, recorded in `schema_migrations`; the TTL is a setting reconciled on
//! every apply.
//!
//! Tables (see the SQL files for the reasoning behind each layout):
//! - `spans`: the OpenTelemetry `otel_traces` columns plus lineage and scores;
//! - `spans_trace_id_ts`, `spans_session_id_ts`: id -> time range lookups
//!   filled by materialized views, so one trace or session never scans `spans`;
//! - `intents`: one row per declared intent (ReplacingMergeTree);
//! - `sessions`: one row per session, aggregated from `spans` by a view.

mod apply;
mod error;
mod migrations;
mod options;
mod template;

pub use apply::{
    Applied, MIGRATIONS_TABLE, Step, apply, apply_with_progress, bootstrap_statements, summary,
    ttl_statement,
};
pub use error::SchemaError;
pub use migrations::{Migration, MigrationSet, RenderedMigration, TableTtl, render};
pub use options::{DEFAULT_DATABASE, DEFAULT_TTL_DAYS, SchemaOptions};
