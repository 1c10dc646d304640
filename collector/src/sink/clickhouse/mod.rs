//! The ClickHouse sink: rows of the tables of `schemas/clickhouse/`.

pub mod encode;
pub mod lookup;
pub mod rows;
pub mod writer;

pub use lookup::ClickHouseIntentLookup;
pub use writer::{Acknowledge, ClickHouseWriter, SinkError, client};
