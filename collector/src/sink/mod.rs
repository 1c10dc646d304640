//! Where scored spans go.

pub mod clickhouse;
pub mod enrich;
pub mod file;
pub mod forward;
