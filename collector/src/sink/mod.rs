//! Where scored spans go.

pub mod clickhouse;
