//! The ClickHouse sink: rows of the tables of `schemas/clickhouse/`.

pub mod rows;
