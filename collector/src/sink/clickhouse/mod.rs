//! The ClickHouse sink: rows of the tables of `schemas/clickhouse/`.

pub mod dead_letter;
pub mod encode;
pub mod failure;
pub mod lookup;
pub mod plan;
pub mod rows;
pub mod writer;

pub use lookup::ClickHouseIntentLookup;
pub use writer::{Acknowledge, ClickHouseWriter, SinkError, client};
